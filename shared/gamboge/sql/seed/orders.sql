-- The generated history: for every day in gen_day, new designs, sales orders and purchase orders, then
-- one transaction and one payment per new order sharing the order's created_at. Ids continue from
-- the maximum before this run (the *_max_id parameters), in created_at order. Daily counts vary
-- around their means (see gen_count).

-- name: designs
-- The launch designs (the catalogue the shop opened with) exist at launch_at; more arrive on
-- working days. Names are materials; file_location is a Unix directory.
INSERT INTO design (design_id, created_at, design_name, file_location, file_name, last_updated)
SELECT %(design_max_id)s + row_number() OVER (ORDER BY created_at, key), created_at, name,
       (pg_temp.design_locations())[pg_temp.gen_int(key, 53, 1, cardinality(pg_temp.design_locations()))],
       lower(name) || '-' || to_char(created_at - pg_temp.gen_int(key, 54, 30, 700) * interval '1 day', 'YYYYMMDD')
           || '-' || lower(left(pg_temp.gen_code(key, 55), 4)) || '.json',
       created_at
FROM (
    SELECT key, created_at,
           (ARRAY['Wooden', 'Bronze', 'Steel', 'Cotton', 'Granite', 'Rubber', 'Linen', 'Concrete', 'Plastic',
                  'Leather', 'Marble', 'Copper', 'Bamboo', 'Canvas', 'Velvet', 'Glass'])[pg_temp.gen_int(key, 52, 1, 16)]
               AS name
    FROM (
        SELECT n::bigint AS key, %(launch_at)s::timestamp(3) AS created_at
        FROM generate_series(1, %(launch_designs)s::integer) AS n
        UNION ALL
        SELECT g.day_number::bigint * 10000000 + n, pg_temp.gen_business_time(g.day, g.day_number::bigint * 10000000 + n, 50)
        FROM gen_day AS g
        CROSS JOIN LATERAL generate_series(
            1, pg_temp.gen_count(%(designs_per_day)s::float8, g.day_number, 5)) AS n
    ) AS slot
) AS d;

-- name: sales_orders
-- An order's design is one that existed when the working day began.
INSERT INTO sales_order (sales_order_id, created_at, last_updated, design_id, staff_id, counterparty_id, units_sold,
                         unit_price, currency_id, agreed_delivery_date, agreed_payment_date,
                         agreed_delivery_location_id)
SELECT %(sales_order_max_id)s + row_number() OVER (ORDER BY created_at, key), created_at, created_at,
       pg_temp.gen_int(key, 12, 1, designs_available),
       pg_temp.gen_int(key, 13, 1, %(staff_max_id)s),
       pg_temp.gen_int(key, 14, 1, %(counterparty_max_id)s),
       pg_temp.gen_int(key, 15, 1000, 99999),
       pg_temp.gen_int(key, 16, 200, 400) / 100.0,
       pg_temp.gen_int(key, 17, 1, %(currency_max_id)s),
       pg_temp.gen_agreed_date(created_at, key, 18),
       pg_temp.gen_agreed_date(created_at, key, 19),
       pg_temp.gen_int(key, 20, 1, %(address_max_id)s)
FROM (
    SELECT key, pg_temp.gen_business_time(g.day, key, 10) AS created_at, available.designs_available
    FROM gen_day AS g
    CROSS JOIN LATERAL (
        SELECT max(design_id) AS designs_available FROM design WHERE created_at <= g.day + time '08:00'
    ) AS available
    CROSS JOIN LATERAL generate_series(
        1, pg_temp.gen_count(%(sales_per_day)s::float8, g.day_number, 1)) AS n
    CROSS JOIN LATERAL (SELECT g.day_number::bigint * 10000000 + n AS key) AS k
) AS slot;

-- name: purchase_orders
INSERT INTO purchase_order (purchase_order_id, created_at, last_updated, staff_id, counterparty_id, item_code,
                            item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date,
                            agreed_delivery_location_id)
SELECT %(purchase_order_max_id)s + row_number() OVER (ORDER BY created_at, key), created_at, created_at,
       pg_temp.gen_int(key, 32, 1, %(staff_max_id)s),
       pg_temp.gen_int(key, 33, 1, %(counterparty_max_id)s),
       pg_temp.gen_code(key, 40),
       pg_temp.gen_int(key, 34, 1, 999),
       pg_temp.gen_int(key, 35, 100, 99999) / 100.0,
       pg_temp.gen_int(key, 36, 1, %(currency_max_id)s),
       pg_temp.gen_agreed_date(created_at, key, 37),
       pg_temp.gen_agreed_date(created_at, key, 38),
       pg_temp.gen_int(key, 39, 1, %(address_max_id)s)
FROM (
    SELECT key, pg_temp.gen_business_time(g.day, key, 30) AS created_at
    FROM gen_day AS g
    CROSS JOIN LATERAL generate_series(
        1, pg_temp.gen_count(%(purchases_per_day)s::float8, g.day_number, 3)) AS n
    CROSS JOIN LATERAL (SELECT g.day_number::bigint * 10000000 + n AS key) AS k
) AS slot;

-- name: analyze_orders
-- Fresh statistics, so that the joins below hash instead of sorting a million rows.
ANALYZE sales_order, purchase_order, gen_day;

-- name: transactions
INSERT INTO "transaction" (transaction_id, transaction_type, sales_order_id, purchase_order_id, created_at,
                           last_updated)
SELECT %(transaction_max_id)s + row_number() OVER (ORDER BY created_at, transaction_type,
                                                          coalesce(sales_order_id, purchase_order_id)),
       transaction_type, sales_order_id, purchase_order_id, created_at, created_at
FROM (
    SELECT 'SALE'::transaction_type AS transaction_type, sales_order_id, NULL::integer AS purchase_order_id, created_at
    FROM sales_order WHERE sales_order_id > %(sales_order_max_id)s
    UNION ALL
    SELECT 'PURCHASE', NULL, purchase_order_id, created_at
    FROM purchase_order WHERE purchase_order_id > %(purchase_order_max_id)s
) AS new_order;

-- name: analyze_transactions
ANALYZE "transaction";

-- name: payments
-- About one in a hundred is a refund. A payment that falls due within the run is written as it is
-- after that day's 07:55 batch (the rule of flip_payments, applied while inserting: cheaper than
-- updating a million fresh rows).
INSERT INTO payment (payment_id, created_at, last_updated, transaction_id, counterparty_id, payment_amount,
                     currency_id, payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
SELECT %(payment_max_id)s + row_number() OVER (ORDER BY t.transaction_id), t.created_at,
       coalesce(due.flipped_at, t.created_at), t.transaction_id,
       coalesce(s.counterparty_id, p.counterparty_id),
       coalesce(s.units_sold * s.unit_price, p.item_quantity * p.item_unit_price),
       coalesce(s.currency_id, p.currency_id),
       CASE WHEN t.transaction_type = 'SALE'
            THEN CASE WHEN pg_temp.gen_random(t.transaction_id, 70) < 0.01
                      THEN (SELECT payment_type_id FROM payment_type WHERE payment_type_name = 'SALES_REFUND')
                      ELSE (SELECT payment_type_id FROM payment_type WHERE payment_type_name = 'SALES_RECEIPT') END
            ELSE CASE WHEN pg_temp.gen_random(t.transaction_id, 70) < 0.01
                      THEN (SELECT payment_type_id FROM payment_type WHERE payment_type_name = 'PURCHASE_REFUND')
                      ELSE (SELECT payment_type_id FROM payment_type WHERE payment_type_name = 'PURCHASE_PAYMENT') END
       END,
       due.flipped_at IS NOT NULL,
       coalesce(s.agreed_payment_date, p.agreed_payment_date),
       pg_temp.gen_int(t.transaction_id, 71, 10000000, 99999999),
       pg_temp.gen_int(t.transaction_id, 72, 10000000, 99999999)
FROM "transaction" AS t
LEFT JOIN sales_order AS s ON s.sales_order_id = t.sales_order_id
LEFT JOIN purchase_order AS p ON p.purchase_order_id = t.purchase_order_id
LEFT JOIN gen_payment_batch AS due
       ON due.payment_date = coalesce(s.agreed_payment_date, p.agreed_payment_date) AND t.created_at < due.flipped_at
WHERE t.transaction_id > %(transaction_max_id)s;

-- name: analyze_payments
ANALYZE payment;

-- name: flip_payments
-- Every working day at 07:55:11.xxx ToteSys marks the payments due that day paid, in one batch that
-- shares one last_updated. Only payments that existed by then qualify, so a payment due the day it
-- is created, or due on a weekend, stays unpaid (as in the live data). Payments inserted by this
-- run were written flipped already (see payments).
UPDATE payment AS p
SET paid = true, last_updated = due.flipped_at
FROM gen_payment_batch AS due
WHERE p.payment_id <= %(payment_max_id)s
  AND NOT p.paid
  AND p.payment_date = due.payment_date
  AND p.created_at < due.flipped_at;
