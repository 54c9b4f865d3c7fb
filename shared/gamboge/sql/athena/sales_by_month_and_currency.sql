-- Revenue and units sold per month and currency, from the current version of each sales order.
WITH current_orders AS (
    SELECT sales_order_id, created_date, units_sold, unit_price, currency_id,
           ROW_NUMBER() OVER (
               PARTITION BY sales_order_id ORDER BY last_updated_date DESC, last_updated_time DESC, landing_run_id DESC
           ) AS version_rank
    FROM fact_sales_order
)
SELECT d.year,
       d.month,
       c.currency_code,
       COUNT(*) AS orders,
       SUM(o.units_sold) AS units_sold,
       SUM(o.units_sold * o.unit_price) AS revenue
FROM current_orders AS o
JOIN dim_date AS d ON d.date_id = o.created_date
JOIN dim_currency AS c ON c.currency_id = o.currency_id
WHERE o.version_rank = 1
GROUP BY d.year, d.month, c.currency_code
ORDER BY d.year, d.month, c.currency_code
