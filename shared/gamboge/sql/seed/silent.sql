-- Silent updates: ToteSys changes some columns of existing rows WITHOUT touching last_updated.
-- Each statement picks silent_* distinct rows among those that existed before this run
-- (id <= the run's base id), changes one column per row to a value that surely differs, and
-- returns the changed ids, so the reported counts are the rows whose content changed.
-- The pick key mixes in the run's first day (run_key) so that successive runs pick other rows.

-- name: silent_sales_orders
UPDATE sales_order AS s
SET design_id = CASE WHEN p.field = 0
        THEN 1 + mod(s.design_id + pg_temp.gen_int(p.key, 82, 0, c.designs - 2), c.designs) ELSE s.design_id END,
    staff_id = CASE WHEN p.field = 1
        THEN 1 + mod(s.staff_id + pg_temp.gen_int(p.key, 82, 0, c.staff - 2), c.staff) ELSE s.staff_id END,
    agreed_delivery_date = CASE WHEN p.field = 2
        THEN to_char(s.agreed_delivery_date::date + 1 + pg_temp.gen_int(p.key, 82, 0, 364), 'YYYY-MM-DD')
        ELSE s.agreed_delivery_date END,
    agreed_delivery_location_id = CASE WHEN p.field = 3
        THEN 1 + mod(s.agreed_delivery_location_id + pg_temp.gen_int(p.key, 82, 0, c.addresses - 2), c.addresses)
        ELSE s.agreed_delivery_location_id END
FROM (
    SELECT sales_order_id AS id, key, pg_temp.gen_int(key, 81, 0, 3) AS field
    FROM (SELECT sales_order_id, sales_order_id::bigint * 100000 + %(run_key)s AS key
          FROM sales_order WHERE sales_order_id <= %(sales_order_max_id)s) AS existing
    ORDER BY pg_temp.gen_random(key, 80)
    LIMIT %(silent_sales_orders)s
) AS p,
(SELECT (SELECT max(design_id) FROM design) AS designs, (SELECT max(staff_id) FROM staff) AS staff,
        (SELECT max(address_id) FROM address) AS addresses) AS c
WHERE s.sales_order_id = p.id
RETURNING s.sales_order_id;

-- name: silent_purchase_orders
UPDATE purchase_order AS o
SET staff_id = CASE WHEN p.field = 0
        THEN 1 + mod(o.staff_id + pg_temp.gen_int(p.key, 87, 0, c.staff - 2), c.staff) ELSE o.staff_id END,
    item_code = CASE WHEN p.field = 1 THEN pg_temp.gen_code(p.key, 88) ELSE o.item_code END,
    agreed_delivery_date = CASE WHEN p.field = 2
        THEN to_char(o.agreed_delivery_date::date + 1 + pg_temp.gen_int(p.key, 87, 0, 364), 'YYYY-MM-DD')
        ELSE o.agreed_delivery_date END,
    agreed_delivery_location_id = CASE WHEN p.field = 3
        THEN 1 + mod(o.agreed_delivery_location_id + pg_temp.gen_int(p.key, 87, 0, c.addresses - 2), c.addresses)
        ELSE o.agreed_delivery_location_id END
FROM (
    SELECT purchase_order_id AS id, key, pg_temp.gen_int(key, 86, 0, 3) AS field
    FROM (SELECT purchase_order_id, purchase_order_id::bigint * 100000 + %(run_key)s AS key
          FROM purchase_order WHERE purchase_order_id <= %(purchase_order_max_id)s) AS existing
    ORDER BY pg_temp.gen_random(key, 85)
    LIMIT %(silent_purchase_orders)s
) AS p,
(SELECT (SELECT max(staff_id) FROM staff) AS staff, (SELECT max(address_id) FROM address) AS addresses) AS c
WHERE o.purchase_order_id = p.id
RETURNING o.purchase_order_id;

-- name: silent_designs
-- A design moves to another directory (a location it does not have now).
UPDATE design AS d
SET file_location = (pg_temp.design_locations())[
        1 + mod(coalesce(array_position(pg_temp.design_locations(), d.file_location), 0)
                + pg_temp.gen_int(p.key, 101, 0, cardinality(pg_temp.design_locations()) - 2),
                cardinality(pg_temp.design_locations()))]
FROM (
    SELECT design_id AS id, key
    FROM (SELECT design_id, design_id::bigint * 100000 + %(run_key)s AS key
          FROM design WHERE design_id <= %(design_max_id)s) AS existing
    ORDER BY pg_temp.gen_random(key, 100)
    LIMIT %(silent_designs)s
) AS p
WHERE d.design_id = p.id
RETURNING d.design_id;
