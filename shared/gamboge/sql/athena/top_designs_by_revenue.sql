-- The ten designs with the highest revenue (all currencies at face value), current order versions.
WITH current_orders AS (
    SELECT sales_order_id, design_id, units_sold, unit_price,
           ROW_NUMBER() OVER (
               PARTITION BY sales_order_id ORDER BY last_updated_date DESC, last_updated_time DESC, landing_run_id DESC
           ) AS version_rank
    FROM fact_sales_order
)
SELECT g.design_id,
       g.design_name,
       COUNT(*) AS orders,
       SUM(o.units_sold * o.unit_price) AS revenue
FROM current_orders AS o
JOIN dim_design AS g ON g.design_id = o.design_id
WHERE o.version_rank = 1
GROUP BY g.design_id, g.design_name
ORDER BY revenue DESC, g.design_id
LIMIT 10
