"""The load job: processed-zone batches → the PostgreSQL warehouse, each batch exactly once.

Per batch (processed manifests not yet in the load log, oldest first; batch ids grow with every
commit, so they are the manifests listed after the log's newest batch):

1. Spark writes every table the batch changed over JDBC into per-batch UNLOGGED staging tables
   (bulk, parallel, no WAL); of a bucketed dimension (dim_transaction) only the buckets the batch
   rewrote, which hold every row it changed. Staging is disposable: a crash leaves only staging behind, which the
   next run drops.
2. One warehouse transaction then moves staging into the star schema: dimensions are upserted
   (only rows whose values differ are rewritten), missing dim_date rows added, every fact foreign
   key checked with an anti-join (so a missing dimension row is reported by table and key, not as
   a bare FK violation), fact versions inserted ``ON CONFLICT DO NOTHING`` on the version index,
   the batch recorded in the load log, staging dropped. The load log is the job's bookmark, so the
   data and the bookmark commit or roll back together: a batch is never loaded twice or skipped.

The transaction runs through psycopg (a dependency of the wheel) on Glue as well as locally: one
code path for both, real server-side errors, and the same connection holds the advisory lock.
Two loads never interleave: the second waits on a session advisory lock, then finds the batches
already in the load log and does nothing.

After the batches, still holding the lock, the processed zone is tidied
(gamboge.load.housekeeping): fact partitions of loaded batches compacted, superseded snapshots
deleted.

The parts: gamboge.load.connection (the target), gamboge.load.staging (staging tables and the
JDBC writes), gamboge.load.statements (the SQL text); this module runs them.
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Union, cast

import psycopg
from pyspark.sql import SparkSession

from gamboge.common import faults, logs, schema
from gamboge.common.schema import quote_ident
from gamboge.lake import buckets, compaction, manifests, retention
from gamboge.load import housekeeping, staging
from gamboge.load.connection import LoadError, WarehouseTarget, warehouse_from_dsn
from gamboge.load.statements import insert_facts_sql, missing_keys_sql, upsert_dimension_sql
from gamboge.warehouse import warehouse

JOB = "load"
log = logs.get(JOB)

# 'gamboge' in ASCII: the advisory lock every load takes for its whole run.
ADVISORY_LOCK_KEY = 0x67616D626F6765

CRASH_AFTER_STAGING = "load:after-staging"
PARALLEL_STAGING = 4  # staging tables written side by side, one connection each
CRASH_BEFORE_COMMIT = "load:before-commit"


# --- the transaction --------------------------------------------------------------------------------
def check_dimension_keys(conn: psycopg.Connection, table: schema.StarTable, staged: str, batch_id: str) -> None:
    if not table.foreign_keys:
        return
    params = [fk.column for fk in table.foreign_keys]
    refs = {fk.column: fk for fk in table.foreign_keys}
    problems = []
    for fk_column, rows_missing, sample_keys in conn.execute(missing_keys_sql(table, staged), params).fetchall():
        if rows_missing:
            fk = refs[fk_column]
            problems.append(
                f"{table.name}.{fk_column} references {fk.ref_table}.{fk.ref_column} = "
                f"{', '.join(sample_keys)} but {fk.ref_table} has no such row ({rows_missing} fact row(s))"
            )
    if problems:
        raise LoadError(f"batch {batch_id} not loaded (rolled back, nothing changed): " + "; ".join(problems))


def apply_batch(
    conn: psycopg.Connection, batch_id: str, inputs: List[str], staged: Dict[str, str]
) -> Dict[str, Dict[str, int]]:
    """Staging → star schema + load log, in one transaction (the caller's connection is autocommit)."""
    stats: Dict[str, Dict[str, int]] = {}
    with conn.transaction():
        for table in schema.DIMENSIONS:  # dim_date first, as specified; no dimension references another
            if table.name in staged:
                inserted, updated = conn.execute(upsert_dimension_sql(table, staged[table.name])).fetchone()
                stats[table.name] = {
                    "staged": staging.count_staged(conn, staged[table.name]),
                    "inserted": inserted,
                    "updated": updated,
                }
        for table in schema.FACTS:
            if table.name in staged:
                check_dimension_keys(conn, table, staged[table.name], batch_id)
                cursor = conn.execute(insert_facts_sql(table, staged[table.name]))
                stats[table.name] = {
                    "staged": staging.count_staged(conn, staged[table.name]),
                    "inserted": cursor.rowcount,
                    "updated": 0,
                }
        conn.execute(
            f"INSERT INTO {quote_ident(warehouse.LOAD_LOG)} "
            f"({', '.join(quote_ident(name) for name, _type, _nullable in warehouse.LOAD_LOG_COLUMNS)}) "
            "VALUES (%s, now(), %s::jsonb, %s::jsonb)",  # nosec B608
            (batch_id, json.dumps(inputs), json.dumps(stats, sort_keys=True)),
        )
        for name in staged.values():
            conn.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
        faults.crash_point(CRASH_BEFORE_COMMIT)
    return stats


# --- the job ---------------------------------------------------------------------------------------
def acquire_lock(conn: psycopg.Connection) -> None:
    """The load lock, held for the session: no two loads (nor their housekeeping) at once."""
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[0]:
        log.warning("another load is running against this warehouse; waiting for it to finish")
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))


def _tables_to_stage(body: Dict[str, Any]) -> List[schema.StarTable]:
    """Tables the batch changed, dimensions first; a carried-over dimension was loaded before."""
    entries = body.get("tables", {})
    wanted = []
    for table in schema.STAR_TABLES:
        entry = entries.get(table.name)
        if not entry or entry.get("carried_over") or not buckets.changed_rows(entry):
            continue
        wanted.append(table)
    return wanted


def load_batch(
    spark: SparkSession, conn: psycopg.Connection, target: WarehouseTarget, processed_uri: str, batch_id: str
):
    body = manifests.read_manifest(manifests.manifest_uri(processed_uri, batch_id))
    tables = _tables_to_stage(body)
    staged = {table.name: staging.staging_table_name(batch_id, table.name) for table in tables}
    for table in tables:
        staging.create_staging(conn, staged[table.name], table)

    def write(table: schema.StarTable) -> None:
        entry = body["tables"][table.name]
        frame = staging.read_table(spark, table, entry)
        staging.write_staging(frame, target, staged[table.name], buckets.changed_rows(entry))

    # Tables that one connection writes go side by side (Spark runs jobs from several threads at
    # once: most of a small write is its scheduling latency); larger ones one after another, so that
    # the connections open at once stay within max(PARALLEL_STAGING, the session's cores).
    single = [t for t in tables if staging.connections(spark, buckets.changed_rows(body["tables"][t.name])) == 1]
    with ThreadPoolExecutor(max_workers=PARALLEL_STAGING) as pool:
        list(pool.map(write, single))
    for table in tables:
        if table not in single:
            write(table)
    faults.crash_point(CRASH_AFTER_STAGING)
    return apply_batch(conn, batch_id, list(body.get("inputs", [])), staged)


def run(
    spark: Union[SparkSession, Callable[[], SparkSession]],
    processed_uri: str,
    warehouse_dsn: Optional[str] = None,
    target: Optional[WarehouseTarget] = None,
    retain_batches: int = retention.DEFAULT_KEEP_BATCHES,
    compact_min_files: int = compaction.DEFAULT_MIN_FILES,
) -> Dict[str, Any]:
    """Load every processed batch the warehouse has not recorded, then tidy the processed zone
    (gamboge.load.housekeeping); return per-table counts and what the housekeeping did.

    ``spark`` is a session, or a function that makes one: called only when a batch is pending, so
    a run with nothing to load starts no JVM. ``target`` (from ``warehouse_from_glue``) wins over
    ``warehouse_dsn`` (a libpq DSN/URL). Raises LoadError or warehouse.SchemaMismatch; a failed
    batch leaves the warehouse as it was.
    """
    if target is None:
        if not warehouse_dsn:
            raise LoadError("no warehouse given: pass a DSN or a Glue connection")
        target = warehouse_from_dsn(warehouse_dsn)
    started = time.monotonic()
    totals: Dict[str, Dict[str, int]] = {}
    loaded: List[str] = []
    with target.connect() as conn:
        acquire_lock(conn)
        with conn.transaction():
            warehouse.ensure_schema(conn)
        staging.drop_leftover_staging(conn)
        # The batches after the load log's newest (and any late one in the window before it): one
        # listing of a few days of manifests, however many batches the log holds.
        pending = manifests.unseen_run_ids(processed_uri, warehouse.load_position(conn))
        already_loaded = warehouse.loaded_count(conn)
        if not pending:
            log.info("nothing new to load: every processed batch is in the load log")
        if pending and not isinstance(spark, SparkSession):
            spark = spark()
        for batch_id in pending:
            batch_started = time.monotonic()
            try:
                stats = load_batch(cast(SparkSession, spark), conn, target, processed_uri, batch_id)
            except psycopg.Error as exc:
                staging.tidy_staging(conn)
                raise LoadError(f"batch {batch_id} not loaded (rolled back): {str(exc).strip()}") from exc
            except LoadError:
                staging.tidy_staging(conn)
                raise
            loaded.append(batch_id)
            for table, counts in stats.items():
                total = totals.setdefault(table, {"staged": 0, "inserted": 0, "updated": 0})
                for key, value in counts.items():
                    total[key] += value
            logs.event(
                log,
                "batch loaded",
                batch_id=batch_id,
                seconds=round(time.monotonic() - batch_started, 3),
                rows=sum(c["inserted"] + c["updated"] for c in stats.values()),
            )
        tidied = housekeeping.tidy(conn, processed_uri, retain_batches, compact_min_files)
    return {
        "job": JOB,
        "warehouse": target.label,
        "loaded": loaded,
        "already_loaded": already_loaded,
        "tables": totals,
        "housekeeping": tidied,
        "seconds": round(time.monotonic() - started, 3),
    }
