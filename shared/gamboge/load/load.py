"""The load job: processed-zone batches → the PostgreSQL warehouse, each batch exactly once.

Per batch (processed manifests not yet in the load log, oldest first):

1. Spark writes every table the batch changed over JDBC into per-batch UNLOGGED staging tables
   (bulk, parallel, no WAL). Staging is disposable: a crash leaves only staging behind, which the
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
"""

import json
import re
import time
import urllib.parse
from typing import Any, Dict, List, NamedTuple, Optional

import psycopg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gamboge.common import aws, faults, logs, schema
from gamboge.common.errors import GambogeError
from gamboge.common.redact import one_line
from gamboge.common.schema import quote_ident
from gamboge.lake import manifests
from gamboge.spark.jdbc_driver import DRIVER_CLASS
from gamboge.warehouse import warehouse

JOB = "load"
log = logs.get(JOB)

# 'gamboge' in ASCII: the advisory lock every load takes for its whole run.
ADVISORY_LOCK_KEY = 0x67616D626F6765
STAGING_PREFIX = "gamboge_stg_"
JDBC_BATCH_SIZE = 10000
# Rows per Spark partition when writing staging: enough parallel JDBC connections to keep the
# server busy, few enough that tiny dimensions go through one connection.
ROWS_PER_JDBC_PARTITION = 100_000
CONNECT_TIMEOUT_SECONDS = 10
MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1

CRASH_AFTER_STAGING = "load:after-staging"
CRASH_BEFORE_COMMIT = "load:before-commit"


class LoadError(GambogeError):
    """The load cannot proceed; the batch being loaded was rolled back, nothing is half-loaded."""


# --- connection -----------------------------------------------------------------------------------
class Warehouse(NamedTuple):
    """One warehouse, addressed twice: psycopg for the transaction, a JDBC URL for Spark."""

    connect_kwargs: Dict[str, str]  # psycopg.connect(**connect_kwargs)
    jdbc_url: str  # without credentials
    jdbc_properties: Dict[str, str]  # user, password, driver
    label: str  # host:port/dbname, for messages (never the password)

    def connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(**self.connect_kwargs, autocommit=True)
        except psycopg.OperationalError as exc:
            raise LoadError(f"cannot connect to the warehouse {self.label}: {one_line(exc, -1)}") from None


def _jdbc_url(host: str, port: str, dbname: str, sslmode: Optional[str]) -> str:
    params = {"reWriteBatchedInserts": "true", "connectTimeout": str(CONNECT_TIMEOUT_SECONDS)}
    if sslmode:
        params["sslmode"] = sslmode
    return f"jdbc:postgresql://{host}:{port}/{urllib.parse.quote(dbname)}?{urllib.parse.urlencode(params)}"


def _warehouse(host: str, port: str, dbname: str, user: str, password: str, sslmode: Optional[str]) -> Warehouse:
    connect_kwargs = {
        "host": host,
        "port": port,
        "dbname": dbname,
        "user": user,
        "connect_timeout": str(CONNECT_TIMEOUT_SECONDS),
        "application_name": "gamboge-load",
    }
    properties = {"driver": DRIVER_CLASS, "user": user}
    if password:
        connect_kwargs["password"] = password
        properties["password"] = password
    if sslmode:
        connect_kwargs["sslmode"] = sslmode
    return Warehouse(connect_kwargs, _jdbc_url(host, port, dbname, sslmode), properties, f"{host}:{port}/{dbname}")


def warehouse_from_dsn(dsn: str) -> Warehouse:
    """A libpq DSN (``postgresql://user:pw@host:port/db`` or ``key=value …``) → both addresses."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return _warehouse(
        host=str(params.get("host") or "localhost"),
        port=str(params.get("port") or 5432),
        dbname=str(params.get("dbname") or params.get("user") or "postgres"),
        user=str(params.get("user") or ""),
        password=str(params.get("password") or ""),
        sslmode=str(params["sslmode"]) if params.get("sslmode") else None,
    )


def warehouse_from_glue(glue_context: Any, connection_name: str) -> Warehouse:
    """The Glue JDBC connection's URL and credentials; TLS required.

    ``extract_jdbc_conf`` returns the URL and, for a connection that stores its credentials in
    Secrets Manager (``SECRET_ID``), usually the resolved user and password as well; when it does
    not, the secret named by the connection is read directly (RDS secret shape).
    """
    conf = glue_context.extract_jdbc_conf(connection_name)
    url = conf.get("fullUrl") or conf["url"]
    parsed = urllib.parse.urlparse(url[len("jdbc:") :])
    dbname = parsed.path.lstrip("/")
    user, password = conf.get("user"), conf.get("password")
    if not (user and password):
        from gamboge.common import db_secrets as secrets

        connection = aws.client("glue").get_connection(Name=connection_name, HidePassword=False)["Connection"]
        secret_id = connection.get("ConnectionProperties", {}).get("SECRET_ID")
        if not secret_id:
            raise LoadError(f"Glue connection {connection_name!r} has neither credentials nor a SECRET_ID")
        document = secrets.read_secret_json(secret_id)
        user, password = str(document.get("username") or ""), str(document.get("password") or "")
        dbname = dbname or str(document.get("dbname") or "")
    return _warehouse(
        host=parsed.hostname or "",
        port=str(parsed.port or 5432),
        dbname=dbname,
        user=user or "",
        password=password or "",
        sslmode="require",
    )


# --- staging --------------------------------------------------------------------------------------
def staging_table_name(batch_id: str, table: str) -> str:
    """``gamboge_stg_<batch>_<table>``, lower case; a batch id too long for PostgreSQL is hashed."""
    slug = re.sub(r"[^a-z0-9]+", "_", batch_id.lower()).strip("_")
    name = f"{STAGING_PREFIX}{slug}_{table}"
    if len(name) > MAX_IDENTIFIER:
        import hashlib

        name = f"{STAGING_PREFIX}{hashlib.sha256(batch_id.encode()).hexdigest()[:16]}_{table}"
    return name


def _staging_type(column: schema.Column) -> str:
    # Spark has no time type: times arrive as ISO text ('14:20:52.186') and are cast in the SQL.
    return "text" if column.type == schema.TIME else warehouse.warehouse_type(column)


def staging_columns(table: schema.StarTable) -> List[schema.Column]:
    """What the processed zone provides for a table, which is what staging holds."""
    return list(table.data_columns)


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


def _tidy_staging(conn: psycopg.Connection) -> None:
    """Best effort after a failure: a lost connection must not hide the error that matters."""
    try:
        drop_leftover_staging(conn)
    except psycopg.Error:
        log.warning("could not drop staging tables now; the next load drops them")


def read_table(spark: SparkSession, table: schema.StarTable, entry: Dict[str, Any]) -> DataFrame:
    """The batch's rows of one star table, in staging column order (the select is the contract)."""
    frame = (
        spark.read.parquet(entry["location"]) if entry["kind"] == "dimension" else spark.read.parquet(*entry["files"])
    )
    return frame.select(*[F.col(c.name) for c in staging_columns(table)])


def write_staging(frame: DataFrame, target: Warehouse, staging: str, rows: int) -> None:
    wanted = max(1, min(frame.sparkSession.sparkContext.defaultParallelism, rows // ROWS_PER_JDBC_PARTITION))
    if frame.rdd.getNumPartitions() < wanted:
        frame = frame.repartition(wanted)
    writer = frame.write.format("jdbc").mode("append")
    options = dict(target.jdbc_properties, url=target.jdbc_url, dbtable=quote_ident(staging))
    options["batchsize"] = str(JDBC_BATCH_SIZE)
    try:
        writer.options(**options).save()
    except Exception as exc:  # py4j wraps the driver's SQLException; its first line says what failed
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LoadError(f"writing staging table {staging} over JDBC to {target.label} failed: {reason}") from None


# --- the transaction --------------------------------------------------------------------------------
# Bandit B608 is suppressed below, line by line: it flags every string-built statement; in these, each interpolated name
# comes from shared/gamboge/common/schema.py (or the batch id slug) through quote_ident, and values are parameters.
def _select_list(table: schema.StarTable, alias: str) -> str:
    parts = []
    for column in staging_columns(table):
        ref = f"{alias}.{quote_ident(column.name)}"
        parts.append(f"{ref}::time" if column.type == schema.TIME else ref)
    return ", ".join(parts)


def upsert_dimension_sql(table: schema.StarTable, staging: str) -> str:
    """Insert new keys; rewrite an existing row only when some value differs (no dead tuples)."""
    columns = [c.name for c in staging_columns(table)]
    values = [c for c in columns if c != table.primary_key]
    target_columns = ", ".join(quote_ident(c) for c in columns)
    if table.name == "dim_date" or not values:
        # A calendar day never changes: only the missing days are added.
        on_conflict = f"ON CONFLICT ({quote_ident(table.primary_key)}) DO NOTHING"
    else:
        assignments = ", ".join(f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in values)
        current = ", ".join(f"t.{quote_ident(c)}" for c in values)
        incoming = ", ".join(f"excluded.{quote_ident(c)}" for c in values)
        on_conflict = (
            f"ON CONFLICT ({quote_ident(table.primary_key)}) DO UPDATE SET {assignments} "
            f"WHERE ROW({current}) IS DISTINCT FROM ROW({incoming})"  # nosec B608
        )
    # xmax = 0 marks a freshly inserted row; an updated one carries the updating transaction's id.
    return (
        f"WITH changed AS (INSERT INTO {quote_ident(table.name)} AS t ({target_columns}) "
        f"SELECT {_select_list(table, 's')} FROM {quote_ident(staging)} AS s {on_conflict} "
        "RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM changed"  # nosec B608
    )


def insert_facts_sql(table: schema.StarTable, staging: str) -> str:
    """Append the versions the fact does not hold yet; ordered so record ids follow the source."""
    columns = ", ".join(quote_ident(c.name) for c in staging_columns(table))
    version = ", ".join(quote_ident(c) for c in table.version_columns)
    order = ", ".join(
        f"s.{quote_ident(c)}" for c in (table.natural_key, "last_updated_date", "last_updated_time", "created_date")
    )
    return (
        f"INSERT INTO {quote_ident(table.name)} ({columns}) "
        f"SELECT {_select_list(table, 's')} FROM {quote_ident(staging)} AS s ORDER BY {order} "
        f"ON CONFLICT ({version}) DO NOTHING"  # nosec B608
    )


def missing_keys_sql(table: schema.StarTable, staging: str) -> str:
    """Per foreign key: how many staged rows reference no dimension row, and a few such keys."""
    checks = []
    for fk in table.foreign_keys:
        column = quote_ident(fk.column)
        checks.append(
            f"SELECT %s::text AS fk_column, count(*) AS rows_missing, "
            f"(array_agg(DISTINCT s.{column}::text))[1:5] AS sample_keys "
            f"FROM {quote_ident(staging)} AS s WHERE s.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {quote_ident(fk.ref_table)} AS d WHERE d.{quote_ident(fk.ref_column)} = s.{column})"  # nosec B608
        )
    return " UNION ALL ".join(checks)


def check_dimension_keys(conn: psycopg.Connection, table: schema.StarTable, staging: str, batch_id: str) -> None:
    if not table.foreign_keys:
        return
    params = [fk.column for fk in table.foreign_keys]
    refs = {fk.column: fk for fk in table.foreign_keys}
    problems = []
    for fk_column, rows_missing, sample_keys in conn.execute(missing_keys_sql(table, staging), params).fetchall():
        if rows_missing:
            fk = refs[fk_column]
            problems.append(
                f"{table.name}.{fk_column} references {fk.ref_table}.{fk.ref_column} = "
                f"{', '.join(sample_keys)} but {fk.ref_table} has no such row ({rows_missing} fact row(s))"
            )
    if problems:
        raise LoadError(f"batch {batch_id} not loaded (rolled back, nothing changed): " + "; ".join(problems))


def _count(conn: psycopg.Connection, staging: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {quote_ident(staging)}").fetchone()[0]  # nosec B608


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
                    "staged": _count(conn, staged[table.name]),
                    "inserted": inserted,
                    "updated": updated,
                }
        for table in schema.FACTS:
            if table.name in staged:
                check_dimension_keys(conn, table, staged[table.name], batch_id)
                cursor = conn.execute(insert_facts_sql(table, staged[table.name]))
                stats[table.name] = {
                    "staged": _count(conn, staged[table.name]),
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
def _acquire_lock(conn: psycopg.Connection) -> None:
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[0]:
        log.warning("another load is running against this warehouse; waiting for it to finish")
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))


def _tables_to_stage(body: Dict[str, Any]) -> List[schema.StarTable]:
    """Tables the batch changed, dimensions first; a carried-over dimension was loaded before."""
    entries = body.get("tables", {})
    wanted = []
    for table in schema.STAR_TABLES:
        entry = entries.get(table.name)
        if not entry or entry.get("carried_over") or not entry.get("rows"):
            continue
        wanted.append(table)
    return wanted


def load_batch(spark: SparkSession, conn: psycopg.Connection, target: Warehouse, processed_uri: str, batch_id: str):
    body = manifests.read_manifest(manifests.manifest_uri(processed_uri, batch_id))
    staged: Dict[str, str] = {}
    for table in _tables_to_stage(body):
        entry = body["tables"][table.name]
        name = staging_table_name(batch_id, table.name)
        create_staging(conn, name, table)
        write_staging(read_table(spark, table, entry), target, name, int(entry["rows"]))
        staged[table.name] = name
    faults.crash_point(CRASH_AFTER_STAGING)
    return apply_batch(conn, batch_id, list(body.get("inputs", [])), staged)


def run(
    spark: SparkSession,
    processed_uri: str,
    warehouse_dsn: Optional[str] = None,
    target: Optional[Warehouse] = None,
) -> Dict[str, Any]:
    """Load every processed batch the warehouse has not recorded; return per-table counts.

    ``target`` (from ``warehouse_from_glue``) wins over ``warehouse_dsn`` (a libpq DSN/URL).
    Raises LoadError or warehouse.SchemaMismatch; a failed batch leaves the warehouse as it was.
    """
    if target is None:
        if not warehouse_dsn:
            raise LoadError("no warehouse given: pass a DSN or a Glue connection")
        target = warehouse_from_dsn(warehouse_dsn)
    started = time.monotonic()
    totals: Dict[str, Dict[str, int]] = {}
    loaded: List[str] = []
    with target.connect() as conn:
        _acquire_lock(conn)
        with conn.transaction():
            warehouse.ensure_schema(conn)
        drop_leftover_staging(conn)
        done = set(warehouse.loaded_batches(conn))
        pending = [b for b in manifests.list_run_ids(processed_uri) if b not in done]
        if not pending:
            log.info("nothing new to load: every processed batch is in the load log")
        for batch_id in pending:
            batch_started = time.monotonic()
            try:
                stats = load_batch(spark, conn, target, processed_uri, batch_id)
            except psycopg.Error as exc:
                _tidy_staging(conn)
                raise LoadError(f"batch {batch_id} not loaded (rolled back): {str(exc).strip()}") from exc
            except LoadError:
                _tidy_staging(conn)
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
    return {
        "job": JOB,
        "warehouse": target.label,
        "loaded": loaded,
        "already_loaded": len(done),
        "tables": totals,
        "seconds": round(time.monotonic() - started, 3),
    }
