"""Load benchmark: rows/s of ``gamboge.load.pipeline.run`` against raw ``COPY … FROM STDIN`` of the same rows.

A synthetic processed zone shaped like ToteSys at ``scale`` (scale 1 ≈ 12k sales orders, 5k
purchase orders, one transaction and one payment per order; every key valid) is written with
Spark following the processed-zone contract. Then, in one fresh database:

1. the load job loads it (Parquet → JDBC staging → one transaction), timed end to end;
2. the star tables are truncated and the same rows are sent with ``COPY … FROM STDIN (FORMAT csv)``
   into the same tables, indexes and constraints included. The CSV is rendered before the clock
   starts, so COPY is the server-side ceiling the load is compared with.

Run: ``python -m bench.load --scale 1,10``; ``python -m bench`` runs it as its load stage (``bench_load_scale``).

Measured on 2 shared cores, embedded PostgreSQL 15, one run each (load / COPY rows/s):
scale 1 (52k rows) 6.0k / 40k = 0.15 (Spark start-up dominates); scale 10 (511k) 25.7k / 42.4k = 0.61;
scale 100 (5.1M) 32.7k / 28.2k = 1.16. Both paths are bound by the FK checks and the wide fact version
index, which COPY pays row by row too; the JDBC staging tables themselves have neither.
"""

import argparse
import datetime
import io
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Sequence

import psycopg
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gamboge.common import config, schema
from gamboge.common.schema import quote_ident
from gamboge.dev import localpg
from gamboge.lake import manifests, storage
from gamboge.load import pipeline
from gamboge.transform import star
from gamboge.warehouse import warehouse

SALES_PER_SCALE = 12_000
PURCHASES_PER_SCALE = 5_000
FIRST_DAY = datetime.date(2022, 11, 3)
BATCH_ID = "20250101T000000000000Z-bench0"


def server_dsn(database: str) -> str:
    """A DSN for ``database`` on the warehouse's server (the embedded one, started if needed)."""
    if not os.environ.get(config.ENV_WAREHOUSE_DSN):
        localpg.EmbeddedPostgres(config.home() / "pg").up()
    params = conninfo_to_dict(config.warehouse_dsn())
    params["dbname"] = database
    return make_conninfo(**params)


# --- a synthetic processed zone ----------------------------------------------------------------------
def _stamps(ids: DataFrame, spacing_ms: int) -> DataFrame:
    """Creation times every ``spacing_ms`` from FIRST_DAY, with millisecond fractions."""
    base_ms = int(datetime.datetime.combine(FIRST_DAY, datetime.time(8)).timestamp() * 1000)
    stamped = ids.withColumn("ts", F.timestamp_millis(F.lit(base_ms) + F.col("id") * F.lit(spacing_ms)))
    return stamped.withColumns(
        {
            "created_date": F.to_date("ts"),
            "created_time": F.date_format("ts", "HH:mm:ss.SSS"),
            "last_updated_date": F.to_date("ts"),
            "last_updated_time": F.date_format("ts", "HH:mm:ss.SSS"),
            "agreed_payment_date": F.date_add(F.to_date("ts"), (F.col("id") % 7).cast("int")),
            "agreed_delivery_date": F.date_add(F.to_date("ts"), (F.col("id") % 5).cast("int")),
        }
    )


def _key(modulus: int) -> F.Column:
    return ((F.col("id") % modulus) + 1).cast("int")


def synthetic_tables(spark: SparkSession, scale: float) -> Dict[str, DataFrame]:
    sales_n = max(1, int(SALES_PER_SCALE * scale))
    purchases_n = max(1, int(PURCHASES_PER_SCALE * scale))
    spacing_ms = max(1, int(2 * 365 * 86_400_000 / (sales_n + purchases_n)))  # two years of orders
    sales = _stamps(spark.range(1, sales_n + 1), spacing_ms).select(
        F.col("id").cast("int").alias("sales_order_id"),
        "created_date",
        "created_time",
        "last_updated_date",
        "last_updated_time",
        _key(20).alias("sales_staff_id"),
        _key(20).alias("counterparty_id"),
        _key(100).alias("units_sold"),
        ((F.col("id") % 400) / 100 + 2).cast("decimal(10,2)").alias("unit_price"),
        _key(3).alias("currency_id"),
        _key(500).alias("design_id"),
        "agreed_payment_date",
        "agreed_delivery_date",
        _key(30).alias("agreed_delivery_location_id"),
    )
    purchases = _stamps(spark.range(1, purchases_n + 1), spacing_ms).select(
        F.col("id").cast("int").alias("purchase_order_id"),
        "created_date",
        "created_time",
        "last_updated_date",
        "last_updated_time",
        _key(20).alias("staff_id"),
        _key(20).alias("counterparty_id"),
        F.concat(F.lit("ITEM"), F.col("id") % 97).alias("item_code"),
        _key(50).alias("item_quantity"),
        ((F.col("id") % 900) / 100 + 1).cast("decimal(10,2)").alias("item_unit_price"),
        _key(3).alias("currency_id"),
        "agreed_delivery_date",
        "agreed_payment_date",
        _key(30).alias("agreed_delivery_location_id"),
    )
    transactions_n = sales_n + purchases_n
    payments = _stamps(spark.range(1, transactions_n + 1), spacing_ms // 2 or 1).select(
        F.col("id").cast("int").alias("payment_id"),
        "created_date",
        "created_time",
        "last_updated_date",
        "last_updated_time",
        F.col("id").cast("int").alias("transaction_id"),
        _key(20).alias("counterparty_id"),
        ((F.col("id") % 5000) / 10 + 1).cast("decimal(10,2)").alias("payment_amount"),
        _key(3).alias("currency_id"),
        _key(4).alias("payment_type_id"),
        (F.col("id") % 2 == 0).alias("paid"),
        F.col("agreed_payment_date").alias("payment_date"),
    )
    word = F.concat(F.lit("name-"), F.col("id").cast("string"))
    ids = spark.range(1, 501)
    tables = {
        "dim_staff": ids.filter(F.col("id") <= 20).select(
            F.col("id").cast("int").alias("staff_id"), word, word, word, word, word
        ),
        "dim_location": ids.filter(F.col("id") <= 30).select(
            F.col("id").cast("int").alias("location_id"), word, F.lit(None).cast("string"), word, word, word, word, word
        ),
        "dim_currency": spark.createDataFrame(
            [(1, "GBP", "Pound Sterling"), (2, "USD", "US Dollar"), (3, "EUR", "Euro")], "a int, b string, c string"
        ),
        "dim_design": ids.select(F.col("id").cast("int").alias("design_id"), word, F.lit("/usr"), word),
        "dim_counterparty": ids.filter(F.col("id") <= 20).select(
            F.col("id").cast("int"), word, word, word, F.lit(None).cast("string"), word, word, word, word
        ),
        "dim_payment_type": spark.createDataFrame(
            [(1, "SALES_RECEIPT"), (2, "SALES_REFUND"), (3, "PURCHASE_PAYMENT"), (4, "PURCHASE_REFUND")],
            "a int, b string",
        ),
        "dim_transaction": spark.range(1, transactions_n + 1).select(
            F.col("id").cast("int"),
            F.when(F.col("id") <= sales_n, F.lit("SALE")).otherwise(F.lit("PURCHASE")),
            F.when(F.col("id") <= sales_n, F.col("id").cast("int")),
            F.when(F.col("id") > sales_n, (F.col("id") - sales_n).cast("int")),
        ),
        "fact_sales_order": sales,
        "fact_purchase_order": purchases,
        "fact_payment": payments,
    }
    # Name every dimension's columns by the schema (the select is the contract).
    for table in schema.DIMENSIONS:
        if table.name in tables:
            tables[table.name] = tables[table.name].toDF(*[c.name for c in table.data_columns])
    last = FIRST_DAY + datetime.timedelta(days=2 * 365 + 10)
    tables["dim_date"] = star.dim_date(spark, FIRST_DAY - datetime.timedelta(days=1), last)
    return tables


def write_processed_zone(spark: SparkSession, processed_uri: str, scale: float) -> Dict[str, int]:
    """The synthetic batch by the processed-zone contract; returns rows per table."""
    entries, counts = {}, {}
    for name, frame in synthetic_tables(spark, scale).items():
        table = schema.star_table(name)
        folder = storage.join(processed_uri, name, f"snapshot={BATCH_ID}")
        if table.is_fact:
            data_columns = [c.name for c in table.data_columns]
            frame = frame.withColumn(star.VERSION_KEY, star.version_key(data_columns))
        frame.write.mode("overwrite").parquet(folder)
        counts[name] = spark.read.parquet(folder).count()
        if table.is_fact:
            files = storage.list_uris(folder, suffix=".parquet")
            entries[name] = {"kind": "fact", "files": files, "rows": counts[name], "partitions": []}
        else:
            entries[name] = {"kind": "dimension", "location": folder, "rows": counts[name]}
    body = {"job": "transform", "batch_id": BATCH_ID, "inputs": [BATCH_ID], "tables": entries}
    manifests.write_manifest(processed_uri, BATCH_ID, body)
    return counts


# --- COPY, the ceiling --------------------------------------------------------------------------------
def csv_payloads(processed_uri: str) -> Dict[str, bytes]:
    """The batch's rows as CSV, table by table in load order (rendered before timing)."""
    body = manifests.read_manifest(manifests.manifest_uri(processed_uri, BATCH_ID))
    payloads = {}
    for table in schema.STAR_TABLES:
        entry = body["tables"][table.name]
        if table.is_fact:
            source = [storage.local_path(uri) for uri in entry["files"]]
        else:
            source = storage.local_path(entry["location"])  # a folder: its _SUCCESS marker is skipped
        data = pads.dataset(source, format="parquet").to_table(columns=[c.name for c in table.data_columns])
        # pyarrow 21 writes garbage CSV for a table with an empty chunk (an empty Parquet file).
        data = data.combine_chunks()
        buffer = io.BytesIO()
        pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
        payloads[table.name] = buffer.getvalue()
    return payloads


def copy_rows(dsn: str, payloads: Dict[str, bytes]) -> float:
    """Truncate the star tables, COPY every payload in one transaction; seconds of the COPYs."""
    names = ", ".join(quote_ident(t.name) for t in schema.STAR_TABLES)
    with psycopg.connect(dsn) as conn:
        conn.execute(f"TRUNCATE {names} RESTART IDENTITY")
        conn.commit()
        started = time.perf_counter()
        for table in schema.STAR_TABLES:
            columns = ", ".join(quote_ident(c.name) for c in table.data_columns)
            with conn.cursor().copy(f"COPY {quote_ident(table.name)} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                payload = payloads[table.name]
                for offset in range(0, len(payload), 1 << 20):
                    copy.write(payload[offset : offset + (1 << 20)])
        conn.commit()
        return time.perf_counter() - started


# --- the benchmark ---------------------------------------------------------------------------------------
def measure_load(spark: SparkSession, scale: float) -> Dict[str, object]:
    """One run at ``scale``: load rows/s and COPY rows/s of the same rows into the same tables."""
    database = "bench_load_" + uuid.uuid4().hex[:10]
    admin = server_dsn("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory(prefix="gamboge-bench-load-") as folder:
            processed_uri = Path(folder).as_uri() + "/processed"
            counts = write_processed_zone(spark, processed_uri, scale)
            rows = sum(counts.values())
            dsn = server_dsn(database)
            with psycopg.connect(dsn) as conn:
                warehouse.ensure_schema(conn)  # DDL outside the timing, as for COPY
            started = time.perf_counter()
            summary = pipeline.run(spark, processed_uri, dsn)
            load_seconds = time.perf_counter() - started
            loaded = sum(t["inserted"] for t in summary["tables"].values())
            if loaded != rows:
                raise RuntimeError(f"the load inserted {loaded} rows, expected {rows}")
            copy_seconds = copy_rows(dsn, csv_payloads(processed_uri))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return {
        "rows": rows,
        "load_s": load_seconds,
        "copy_s": copy_seconds,
        "load_rows_per_s": rows / load_seconds,
        "copy_rows_per_s": rows / copy_seconds,
    }


def bench_load(scales: Sequence[float], runs: int = 3, spark: SparkSession = None) -> List[Dict[str, object]]:
    """Per scale, the median of ``runs``: load vs COPY rows/s and their ratio (target ≥ 0.5)."""
    if spark is None:
        from gamboge.spark.session import local_session

        spark = local_session("gamboge-bench-load", with_jdbc=True)
    results = []
    for scale in scales:
        timings = [measure_load(spark, scale) for _ in range(runs)]
        load_rate = statistics.median(t["load_rows_per_s"] for t in timings)
        copy_rate = statistics.median(t["copy_rows_per_s"] for t in timings)
        results.append(
            {
                "stage": "load",
                "scale": scale,
                "runs": runs,
                "rows": timings[0]["rows"],
                "load_median_s": round(statistics.median(t["load_s"] for t in timings), 2),
                "load_rows_per_s": int(load_rate),
                "copy_median_s": round(statistics.median(t["copy_s"] for t in timings), 2),
                "copy_rows_per_s": int(copy_rate),
                "load_vs_copy": round(load_rate / copy_rate, 2),
            }
        )
    return results


def bench_load_scale(spark: SparkSession, scale: float, runs: int) -> Dict[str, object]:
    """One scale, ``runs`` times: load and COPY rows/s as median (min-max), ratio of the medians."""
    timings = [measure_load(spark, scale) for _ in range(runs)]

    def spread(key: str, digits: int = 0) -> Dict[str, float]:
        values = [t[key] for t in timings]
        return {
            "median": round(statistics.median(values), digits),
            "min": round(min(values), digits),
            "max": round(max(values), digits),
        }

    load_rate, copy_rate = spread("load_rows_per_s"), spread("copy_rows_per_s")
    return {
        "rows": timings[0]["rows"],
        "load_s": spread("load_s", 2),
        "load_rows_per_s": load_rate,
        "copy_s": spread("copy_s", 2),
        "copy_rows_per_s": copy_rate,
        "vs_copy": round(load_rate["median"] / copy_rate["median"], 2),
        "note": "synthetic processed zone shaped like ToteSys at the scale (every key valid)",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="1", help="comma-separated scales (default 1)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.scale.split(",") if s.strip()]
    print(json.dumps(bench_load(scales, args.runs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
