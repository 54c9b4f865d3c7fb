"""The star schema computed by DuckDB from the same landing files: the transform's yardstick.

The same semantics as shared/gamboge/transform/star.py for a full build: dimensions from the latest version of each
source row (highest last_updated, then the newest landing run), facts as one row per distinct
version (a SHA-256 content hash over the fact columns, as the transform computes it) with the
derived date and time columns, a contiguous dim_date over every date a fact references, currency
names from pycountry. Output is Parquet: one file per dimension, facts partitioned by
``created_month`` like the processed zone.

What it does not do: per-row validation with quarantine (DuckDB's typed JSON read fails the whole
read on a bad value instead) and the commit protocol (manifests, catalog, bookmarks).
"""

import os
from pathlib import Path
from typing import Dict, List

import duckdb
import pyarrow as pa
import pycountry

from gamboge.common import schema
from gamboge.transform import star, star_sources

TYPES = {
    schema.INT: "INTEGER",
    schema.MONEY: "DECIMAL(10,2)",
    schema.TIMESTAMP: "TIMESTAMP",
    schema.BOOL: "BOOLEAN",
    schema.TEXT_DATE: "DATE",
}
RUN_ID = r"([^/]+)-[0-9]+\.jsonl(\.gz)?$"


def _duck_type(column: schema.Column) -> str:
    return TYPES.get(column.type, "VARCHAR")


def _q(name: str) -> str:
    return schema.quote_ident(name)


def _literal_list(paths: List[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def read_source_sql(table: schema.Table, paths: List[str]) -> str:
    columns = ", ".join(f"'{c.name}': '{_duck_type(c)}'" for c in table.columns)
    return (
        f"SELECT * EXCLUDE (filename), regexp_extract(filename, '{RUN_ID}', 1) AS _landing_run_id "
        f"FROM read_json({_literal_list(paths)}, format = 'newline_delimited', columns = {{{columns}}}, "
        "filename = true)"
    )


def _time_of_day(column: str) -> str:
    return (
        f"CASE WHEN strftime({column}, '%g') = '000' THEN strftime({column}, '%H:%M:%S') "
        f"ELSE strftime({column}, '%H:%M:%S.%g') END"
    )


FACT_RENAMES = {"fact_sales_order": {"sales_staff_id": "staff_id"}}
DIMENSION_SQL = {
    "dim_staff": "SELECT s.staff_id, s.first_name, s.last_name, d.department_name, d.location, s.email_address "
    "FROM cur_staff s LEFT JOIN cur_department d USING (department_id)",
    "dim_location": "SELECT address_id AS location_id, address_line_1, address_line_2, district, city, "
    "postal_code, country, phone FROM cur_address",
    "dim_currency": "SELECT c.currency_id, c.currency_code, coalesce(n.currency_name, c.currency_code) "
    "AS currency_name FROM cur_currency c LEFT JOIN currency_names n USING (currency_code)",
    "dim_design": "SELECT design_id, design_name, file_location, file_name FROM cur_design",
    "dim_counterparty": "SELECT c.counterparty_id, c.counterparty_legal_name, "
    "a.address_line_1 AS counterparty_legal_address_line_1, a.address_line_2 AS counterparty_legal_address_line_2, "
    "a.district AS counterparty_legal_district, a.city AS counterparty_legal_city, "
    "a.postal_code AS counterparty_legal_postal_code, a.country AS counterparty_legal_country, "
    "a.phone AS counterparty_legal_phone_number "
    "FROM cur_counterparty c LEFT JOIN cur_address a ON a.address_id = c.legal_address_id",
    "dim_payment_type": "SELECT payment_type_id, payment_type_name FROM cur_payment_type",
    "dim_transaction": "SELECT transaction_id, transaction_type, sales_order_id, purchase_order_id "
    "FROM cur_transaction",
}


def fact_sql(fact: str) -> str:
    table = schema.star_table(fact)
    source = star_sources.FACT_SOURCES[fact]
    renames = FACT_RENAMES.get(fact, {})
    derived = {
        "created_date": "CAST(created_at AS DATE)",
        "created_time": _time_of_day("created_at"),
        "last_updated_date": "CAST(last_updated AS DATE)",
        "last_updated_time": _time_of_day("last_updated"),
    }
    data = [c.name for c in table.data_columns]
    select = ", ".join(f"{derived.get(c) or _q(renames.get(c, c))} AS {_q(c)}" for c in data)
    parts = ", ".join(f"coalesce(CAST({_q(c)} AS VARCHAR), chr(0))" for c in data)
    return (
        f"WITH shaped AS (SELECT {select}, _landing_run_id FROM src_{source}), "
        f"versioned AS (SELECT *, sha256(concat_ws(chr(1), {parts})) AS version_key, "
        "strftime(created_date, '%Y-%m') AS created_month FROM shaped) "
        f"SELECT {', '.join(_q(c) for c in data)}, version_key, _landing_run_id AS landing_run_id, created_month "
        "FROM versioned QUALIFY row_number() OVER (PARTITION BY version_key ORDER BY _landing_run_id) = 1"
    )


def build(files: Dict[str, List[str]], out_dir: str, threads: int = 0) -> Dict[str, int]:
    """Build the 11 star tables from landing files (local paths by source table) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET threads = {threads or os.cpu_count() or 1}")
    con.execute("SET preserve_insertion_order = false")
    names = pa.table(
        {
            "currency_code": [c.alpha_3 for c in pycountry.currencies],
            "currency_name": [c.name for c in pycountry.currencies],
        }
    )
    con.register("currency_names", names)
    for table in schema.SOURCE_TABLES:
        con.execute(f"CREATE TABLE src_{table.name} AS {read_source_sql(table, files[table.name])}")
    for name in star_sources.CURRENT_STATE_TABLES:
        table = schema.source_table(name)
        con.execute(
            f"CREATE TABLE cur_{name} AS SELECT * FROM src_{name} QUALIFY row_number() OVER "
            f"(PARTITION BY {_q(table.primary_key)} ORDER BY last_updated DESC, _landing_run_id DESC) = 1"
        )
    counts: Dict[str, int] = {}
    for dim, sql in DIMENSION_SQL.items():
        con.execute(f"COPY ({sql}) TO '{out / dim}.parquet' (FORMAT parquet)")
        counts[dim] = con.execute(f"SELECT count(*) FROM '{out / dim}.parquet'").fetchone()[0]
    spans = []
    for fact in star_sources.FACT_SOURCES:
        con.execute(f"CREATE TABLE {fact} AS {fact_sql(fact)}")
        dates = star.date_columns(fact)
        spans.append(
            con.execute(
                f"SELECT min(least({', '.join(dates)})), max(greatest({', '.join(dates)})) FROM {fact}"
            ).fetchone()
        )
        con.execute(
            f"COPY {fact} TO '{out / fact}' (FORMAT parquet, PARTITION_BY (created_month), OVERWRITE_OR_IGNORE)"
        )
        counts[fact] = con.execute(f"SELECT count(*) FROM {fact}").fetchone()[0]
    first = min(s[0] for s in spans if s[0])
    last = max(s[1] for s in spans if s[1])
    calendar = (
        "SELECT CAST(d AS DATE) AS date_id, year(d) AS year, month(d) AS month, day(d) AS day, "
        "isodow(d) AS day_of_week, dayname(d) AS day_name, monthname(d) AS month_name, quarter(d) AS quarter "
        f"FROM range(DATE '{first}', DATE '{last}' + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(d)"
    )
    con.execute(f"COPY ({calendar}) TO '{out / 'dim_date'}.parquet' (FORMAT parquet)")
    counts["dim_date"] = con.execute(f"SELECT count(*) FROM '{out / 'dim_date'}.parquet'").fetchone()[0]
    con.close()
    return counts
