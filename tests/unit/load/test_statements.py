"""The load transaction's SQL text, for real tables of gamboge.common.schema (no database)."""

import re
import subprocess
import sys

from gamboge.common import schema
from gamboge.load import statements

CURRENCY = schema.star_table("dim_currency")
DATE = schema.star_table("dim_date")
PAYMENT = schema.star_table("fact_payment")


def test_staging_holds_the_data_columns_in_declared_order():
    assert [c.name for c in statements.staging_columns(CURRENCY)] == ["currency_id", "currency_code", "currency_name"]
    names = [c.name for c in statements.staging_columns(PAYMENT)]
    assert "payment_record_id" not in names  # the serial key is the warehouse's, not staged
    assert names[:3] == ["payment_id", "created_date", "created_time"]


def test_a_dimension_upsert_rewrites_only_rows_whose_values_differ():
    assert statements.upsert_dimension_sql(CURRENCY, "gamboge_stg_b_dim_currency") == (
        'WITH changed AS (INSERT INTO "dim_currency" AS t ("currency_id", "currency_code", "currency_name") '
        'SELECT s."currency_id", s."currency_code", s."currency_name" FROM "gamboge_stg_b_dim_currency" AS s '
        'ON CONFLICT ("currency_id") DO UPDATE SET "currency_code" = excluded."currency_code", '
        '"currency_name" = excluded."currency_name" '
        'WHERE ROW(t."currency_code", t."currency_name") IS DISTINCT FROM ROW(excluded."currency_code", '
        'excluded."currency_name") '
        "RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM changed"
    )


def test_dim_date_only_adds_missing_days():
    assert statements.upsert_dimension_sql(DATE, "stg") == (
        'WITH changed AS (INSERT INTO "dim_date" AS t ("date_id", "year", "month", "day", "day_of_week", '
        '"day_name", "month_name", "quarter") '
        'SELECT s."date_id", s."year", s."month", s."day", s."day_of_week", s."day_name", s."month_name", '
        's."quarter" FROM "stg" AS s ON CONFLICT ("date_id") DO NOTHING '
        "RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM changed"
    )


def test_fact_versions_are_inserted_in_source_order_and_repeats_skipped_on_the_version_index():
    columns = (
        '"payment_id", "created_date", "created_time", "last_updated_date", "last_updated_time", '
        '"transaction_id", "counterparty_id", "payment_amount", "currency_id", "payment_type_id", "paid", '
        '"payment_date"'
    )
    assert statements.insert_facts_sql(PAYMENT, "gamboge_stg_b_fact_payment") == (
        f'INSERT INTO "fact_payment" ({columns}) '
        'SELECT s."payment_id", s."created_date", s."created_time"::time, s."last_updated_date", '
        's."last_updated_time"::time, s."transaction_id", s."counterparty_id", s."payment_amount", '
        's."currency_id", s."payment_type_id", s."paid", s."payment_date" '
        'FROM "gamboge_stg_b_fact_payment" AS s '
        'ORDER BY s."payment_id", s."last_updated_date", s."last_updated_time", s."created_date" '
        f"ON CONFLICT ({columns}) DO NOTHING"
    )


def test_missing_keys_has_one_anti_join_per_foreign_key_each_taking_its_column_name_as_parameter():
    sql = statements.missing_keys_sql(PAYMENT, "stg")
    parts = sql.split(" UNION ALL ")
    assert parts[0] == (
        'SELECT %s::text AS fk_column, count(*) AS rows_missing, (array_agg(DISTINCT s."created_date"::text))[1:5] '
        'AS sample_keys FROM "stg" AS s WHERE s."created_date" IS NOT NULL AND NOT EXISTS '
        '(SELECT 1 FROM "dim_date" AS d WHERE d."date_id" = s."created_date")'
    )
    checked = [re.search(r'FROM "(\w+)" AS d WHERE d\."(\w+)" = s\."(\w+)"\)$', part).group(3, 1, 2) for part in parts]
    assert checked == [
        ("created_date", "dim_date", "date_id"),
        ("last_updated_date", "dim_date", "date_id"),
        ("transaction_id", "dim_transaction", "transaction_id"),
        ("counterparty_id", "dim_counterparty", "counterparty_id"),
        ("currency_id", "dim_currency", "currency_id"),
        ("payment_type_id", "dim_payment_type", "payment_type_id"),
        ("payment_date", "dim_date", "date_id"),
    ]
    assert sql.count("%s") == len(PAYMENT.foreign_keys) == 7


def test_a_table_without_foreign_keys_has_no_check():
    assert statements.missing_keys_sql(CURRENCY, "stg") == ""


def test_the_staging_name_is_quoted_as_an_identifier():
    sql = statements.insert_facts_sql(PAYMENT, 'odd"name')
    assert ' FROM "odd""name" AS s ' in sql


def test_the_builders_import_neither_spark_nor_a_database_driver():
    probe = "import sys, gamboge.load.statements; print(sorted({'pyspark', 'psycopg'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
