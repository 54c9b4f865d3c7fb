-- Payments whose latest version is still unpaid, per counterparty and currency.
WITH current_payments AS (
    SELECT payment_id, counterparty_id, currency_id, payment_amount, paid, payment_date,
           ROW_NUMBER() OVER (
               PARTITION BY payment_id ORDER BY last_updated_date DESC, last_updated_time DESC, landing_run_id DESC
           ) AS version_rank
    FROM fact_payment
)
SELECT cp.counterparty_legal_name,
       cu.currency_code,
       COUNT(*) AS payments,
       SUM(p.payment_amount) AS amount_outstanding,
       MIN(p.payment_date) AS oldest_payment_date
FROM current_payments AS p
JOIN dim_counterparty AS cp ON cp.counterparty_id = p.counterparty_id
JOIN dim_currency AS cu ON cu.currency_id = p.currency_id
WHERE p.version_rank = 1 AND NOT p.paid
GROUP BY cp.counterparty_legal_name, cu.currency_code
ORDER BY amount_outstanding DESC
