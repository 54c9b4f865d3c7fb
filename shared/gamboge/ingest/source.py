"""The ToteSys source: how to connect, the run's one snapshot, and whether the tables are as expected.

One run reads every table from ONE consistent snapshot: a REPEATABLE READ transaction on the
leader connection exports its snapshot and every further connection imports it, so tables stream
in parallel and still agree.

Imported by the ingest Glue job: Python 3.9 compatible. psycopg is imported inside functions so
that the ``gamboge`` command line stays fast.
"""

from typing import Any, Callable, Dict, List, NamedTuple, Optional

from gamboge.common import config, db_secrets, schema
from gamboge.common.postgres import CatalogColumn
from gamboge.common.redact import redact
from gamboge.ingest.capture import SnapshotXids
from gamboge.ingest.model import IngestError, RunContext
from gamboge.ingest.rowsql import psycopg_sql
from gamboge.ingest.settings import Settings

MIN_SERVER_VERSION = 130000  # pg_current_snapshot() and xid8


class Source(NamedTuple):
    """How to connect, and what to say about it: host and database, never the password."""

    connect: Callable[[], Any]
    description: str
    secrets: List[str]


def source_from_settings(settings: Settings) -> Source:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    if settings.source_secret_id:
        try:
            kwargs = db_secrets.rds_connection_kwargs(settings.source_secret_id)
        except db_secrets.SecretError as exc:
            raise IngestError(str(exc)) from None
        conninfo = ""
    else:
        conninfo = config.source_dsn()
        try:
            kwargs = {k: str(v) for k, v in conninfo_to_dict(conninfo).items()}
        except psycopg.Error:
            raise IngestError("GAMBOGE_SOURCE_DSN is not a valid PostgreSQL connection string") from None
        conninfo = ""
    password = kwargs.get("password")
    description = "{}:{}/{} as {}".format(
        kwargs.get("host", "localhost"), kwargs.get("port", "5432"), kwargs.get("dbname", "?"), kwargs.get("user", "?")
    )

    def connect():
        try:
            return psycopg.connect(conninfo, application_name="gamboge-ingest", **kwargs)
        except psycopg.Error as exc:
            raise IngestError(
                f"cannot connect to the source database {description}: {redact(str(exc), [password])}"
            ) from None

    return Source(connect, description, [password] if password else [])


# --- the snapshot ---------------------------------------------------------------------------------
def begin_snapshot(connection, snapshot: Optional[str] = None) -> None:
    """Open a read-only REPEATABLE READ transaction; with ``snapshot``, in that exported snapshot."""
    connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    if snapshot is not None:
        connection.execute(psycopg_sql().SQL("SET TRANSACTION SNAPSHOT {}").format(psycopg_sql().Literal(snapshot)))


def export_snapshot(leader, run_id: str) -> RunContext:
    """Begin the run's snapshot on the leader and export it; the database clock dates the run, and
    the snapshot's epoch-qualified xmin and xmax bound what the next run reads (``capture``)."""
    version = leader.info.server_version
    if version < MIN_SERVER_VERSION:
        raise IngestError(
            f"the source runs PostgreSQL {version // 10000}; change capture needs 13 or newer (pg_current_snapshot)"
        )
    begin_snapshot(leader)
    # One statement: it takes the REPEATABLE READ snapshot that is exported and whose ids are read.
    snapshot, snapshot_time, epoch, ingest_date, xmin, xmax = leader.execute(
        "SELECT pg_export_snapshot(), to_json(statement_timestamp()) #>> '{}',"
        " extract(epoch FROM statement_timestamp())::float8,"
        " to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
        " pg_snapshot_xmin(pg_current_snapshot())::text::bigint, pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
    ).fetchone()
    return RunContext(run_id, snapshot, snapshot_time, epoch, ingest_date, SnapshotXids(xmin, xmax))


def table_sizes(connection, tables: List[str]) -> Dict[str, Any]:
    """The planner's estimate of each table's size, to start the largest tables first."""
    return dict(
        connection.execute(
            "SELECT relname, greatest(reltuples, relpages) FROM pg_class WHERE relname = ANY(%s)",
            (tables,),
        ).fetchall()
    )


# --- the source schema ----------------------------------------------------------------------------
def check_schema(live: Dict[str, List[CatalogColumn]], tables: List[str]) -> Dict[str, List[str]]:
    """Missing tables or columns stop the run (naming them); columns we do not know are carried."""
    problems = []
    added: Dict[str, List[str]] = {}
    for name in tables:
        expected = schema.source_table(name).column_names
        if name not in live:
            problems.append(f"table {name} does not exist in the source database")
            continue
        present = [c.name for c in live[name]]
        problems += [
            f"column {name}.{c} is missing upstream (dropped or renamed)" for c in expected if c not in present
        ]
        added[name] = [c for c in present if c not in expected]
    if problems:
        raise IngestError("source schema mismatch: " + "; ".join(problems))
    return added
