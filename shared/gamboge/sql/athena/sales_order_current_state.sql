-- The current state of each sales order, from its versions, with how many versions it has had.
WITH ranked AS (
    SELECT f.*,
           ROW_NUMBER() OVER (
               PARTITION BY sales_order_id ORDER BY last_updated_date DESC, last_updated_time DESC, landing_run_id DESC
           ) AS version_rank,
           COUNT(*) OVER (PARTITION BY sales_order_id) AS versions
    FROM fact_sales_order AS f
)
SELECT sales_order_id, created_date, last_updated_date, last_updated_time, sales_staff_id, counterparty_id,
       units_sold, unit_price, currency_id, design_id, agreed_payment_date, agreed_delivery_date,
       agreed_delivery_location_id, versions
FROM ranked
WHERE version_rank = 1
ORDER BY sales_order_id
