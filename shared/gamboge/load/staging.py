"""Per-batch staging tables: their names, their DDL, and Spark's bulk JDBC writes into them.

Staging tables are UNLOGGED (bulk, parallel, no WAL) and disposable: a crash leaves only staging
behind, which the next run drops while it holds the load lock.
"""

import hashlib
import re
from typing import Any, Dict

import psycopg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gamboge.common import logs, schema
from gamboge.common.redact import one_line
from gamboge.common.schema import quote_ident
from gamboge.lake import buckets
from gamboge.load.connection import LoadError, WarehouseTarget
from gamboge.load.statements import staging_columns
from gamboge.spark.schemas import star_schema
from gamboge.warehouse import warehouse

log = logs.get("load")

STAGING_PREFIX = "gamboge_stg_"
JDBC_BATCH_SIZE = 10000
# Rows per Spark partition when writing staging: enough parallel JDBC connections to keep the
# server busy, few enough that tiny dimensions go through one connection.
ROWS_PER_JDBC_PARTITION = 100_000
MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1


def staging_table_name(batch_id: str, table: str) -> str:
    """``gamboge_stg_<batch>_<table>``, lower case; a batch id too long for PostgreSQL is hashed."""
    slug = re.sub(r"[^a-z0-9]+", "_", batch_id.lower()).strip("_")
    name = f"{STAGING_PREFIX}{slug}_{table}"
    if len(name) > MAX_IDENTIFIER:
        name = f"{STAGING_PREFIX}{hashlib.sha256(batch_id.encode()).hexdigest()[:16]}_{table}"
    return name


def _staging_type(column: schema.Column) -> str:
    # Spark has no time type: times arrive as ISO text ('14:20:52.186') and are cast in the SQL.
    return "text" if column.type == schema.TIME else warehouse.warehouse_type(column)


def create_staging(conn: psycopg.Connection, name: str, table: schema.StarTable) -> None:
    columns = ", ".join(f"{quote_ident(c.name)} {_staging_type(c)}" for c in staging_columns(table))
    conn.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
    conn.execute(f"CREATE UNLOGGED TABLE {quote_ident(name)} ({columns})")


def drop_leftover_staging(conn: psycopg.Connection) -> int:
    """Staging of a crashed run (only ever called while holding the load lock)."""
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, %s)",
        (STAGING_PREFIX,),
    ).fetchall()
    for (name,) in rows:
        conn.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
    if rows:
        log.warning("dropped %d staging table(s) left by an interrupted load", len(rows))
    return len(rows)


def tidy_staging(conn: psycopg.Connection) -> None:
    """Best effort after a failure: a lost connection must not hide the error that matters."""
    try:
        drop_leftover_staging(conn)
    except psycopg.Error:
        log.warning("could not drop staging tables now; the next load drops them")


def count_staged(conn: psycopg.Connection, staging: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {quote_ident(staging)}").fetchone()[0]  # nosec B608


def read_table(spark: SparkSession, table: schema.StarTable, entry: Dict[str, Any]) -> DataFrame:
    """The batch's rows of one star table, in staging column order (the select is the contract):
    a dimension's snapshot (of a bucketed one, the buckets the batch rewrote), a fact's new files.
    Read with the shape the transform wrote (Spark would otherwise run a job to infer it)."""
    uris = buckets.changed_locations(entry) if entry["kind"] == "dimension" else entry["files"]
    frame = spark.read.schema(star_schema(table)).parquet(*uris)
    return frame.select(*[F.col(c.name) for c in staging_columns(table)])


def connections(spark: SparkSession, rows: int) -> int:
    """JDBC connections (Spark partitions) that write ``rows`` rows into staging."""
    return max(1, min(spark.sparkContext.defaultParallelism, rows // ROWS_PER_JDBC_PARTITION))


def write_staging(frame: DataFrame, target: WarehouseTarget, staging: str, rows: int) -> None:
    wanted = connections(frame.sparkSession, rows)
    partitions = frame.rdd.getNumPartitions()
    if partitions < wanted:
        frame = frame.repartition(wanted)
    elif partitions > wanted:  # a batch's few small files: one connection each would be wasted
        frame = frame.coalesce(wanted)
    writer = frame.write.format("jdbc").mode("append")
    options = dict(target.jdbc_properties, url=target.jdbc_url, dbtable=quote_ident(staging))
    options["batchsize"] = str(JDBC_BATCH_SIZE)
    try:
        writer.options(**options).save()
    except Exception as exc:  # py4j wraps the driver's SQLException; its first line says what failed
        raise LoadError(
            f"writing staging table {staging} over JDBC to {target.label} failed: {one_line(exc)}"
        ) from None
