"""gamboge.check.queries: the foreign-key orphan query, run on DuckDB as the processed checks run it."""

import duckdb

from gamboge.check.queries import fk_orphans_sql
from gamboge.common import schema


def test_fk_orphans_are_the_distinct_keys_with_no_dimension_row():
    fact = schema.star_table("fact_payment")
    (fk,) = [k for k in fact.foreign_keys if k.column == "currency_id"]
    conn = duckdb.connect()
    conn.execute("CREATE TABLE fact_payment (currency_id INTEGER)")
    conn.execute("CREATE TABLE dim_currency (currency_id INTEGER)")
    conn.execute("INSERT INTO fact_payment VALUES (1), (2), (2), (3), (NULL)")
    conn.execute("INSERT INTO dim_currency VALUES (1), (3)")
    assert conn.execute(fk_orphans_sql(fact, fk)).fetchall() == [("2",)]
    assert fk_orphans_sql(fact, fk) == (
        'SELECT DISTINCT f."currency_id"::text FROM "fact_payment" f WHERE f."currency_id" IS NOT NULL '
        'AND NOT EXISTS (SELECT 1 FROM "dim_currency" d WHERE d."currency_id" = f."currency_id")'
    )
