"""Ingest: ToteSys PostgreSQL → landing zone (JSON Lines), incremental, with silent-update reconciliation.

gamboge ingest [--job-bookmark-option job-bookmark-enable|-disable|-pause] [--tables a,b]
               [--reconcile auto|always|never] [--landing_uri URI] [--state_uri URI]
glue_jobs/ingest_totesys.py --landing_uri URI --state_uri URI --source_secret_id ID … (as Glue starts it)

One run reads every table from ONE consistent snapshot: a REPEATABLE READ transaction exports its
snapshot and a second connection imports it, so two tables stream in parallel and still agree.
PostgreSQL renders each row as a JSON object (the same text ``row_to_json`` gives, built by
concatenating per-column ``to_json``/``::text``, which is faster) and ``COPY … TO STDOUT`` streams it
to the landing file: memory stays constant at any table size.

Incremental extraction, per table: read ``last_updated > watermark − overlap``; rows of the previous
run's boundary window (ids + content hashes kept in the bookmark) that come back unchanged are not
landed again. The watermark is the max ``last_updated`` read in the snapshot (the DB clock).

Reconciliation: ToteSys changes some rows without bumping ``last_updated``. State keeps, per table,
a fingerprint (id → md5 of the row's JSON, sorted by id, gzip) as a baseline plus small deltas of
what later runs landed. A reconcile run streams the source hashes in id order, merge-compares them
with the fingerprint (constant memory) and lands the changed/new rows as ``"kind": "reconcile"``.

Order of durability: data files, then the manifest, then fingerprints named by the bookmark, then
the bookmark. A run that extracts nothing still writes a manifest, with ``"empty": true``: the run
and its snapshot time stay on record, and the transform skips it cheaply.

Imported by the ingest Glue job (Python 3.9). psycopg is imported inside functions so that the
``gamboge`` command line stays fast.
"""

import argparse
import contextlib
import gzip
import heapq
import itertools
import json
import queue
import tempfile
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

from gamboge.common import config, faults, glue_args, logs, schema, workflow
from gamboge.common.errors import GambogeError
from gamboge.lake import bookmarks, manifests, storage, workflow_run

JOB = "ingest"
SUMMARY = "Glue Python shell job: ToteSys PostgreSQL to landing JSON Lines, incremental, one snapshot per run."
KIND_FULL = "full"
KIND_INCREMENTAL = "incremental"
KIND_RECONCILE = "reconcile"
RECONCILE_CHOICES = ("auto", "always", "never")
COMPRESSION_CHOICES = ("none", "gzip")

# Knobs the job accepts beyond the workflow's declared arguments; terraform need not pass them.
CRASH_AFTER_DATA_FILES = "ingest:after-data-files"  # landing files written, manifest not yet
CRASH_BEFORE_BOOKMARK = "ingest:before-bookmark"  # manifest written, bookmark not yet

EXTRA_ARGUMENTS: Dict[str, str] = {
    "overlap_seconds": "how far below the watermark each run re-reads, for late commits (seconds)",
    "reconcile_every_hours": "with --reconcile auto: at most one reconcile per table this often (hours)",
    "compression": "none | gzip landing files",
}
# The bookmark default is for in-process and `gamboge ingest` callers; a job script started
# without --job-bookmark-option gets Glue's own default (disable) from getResolvedOptions.
DEFAULTS: Dict[str, Optional[str]] = {
    glue_args.BOOKMARK_KEY: bookmarks.ENABLE,
    "reconcile": "auto",
    "overlap_seconds": "300",
    "reconcile_every_hours": "6",
    "compression": "none",
}

WORKERS = 2  # two connections in one snapshot: Glue Python shell gets 1 DPU, a local laptop 2+ cores
FLUSH_BYTES = 1 << 20  # COPY yields one row per chunk; write in 1 MiB blocks instead
BOUNDARY_LIMIT = 100_000  # beyond this the window is not remembered: overlap rows land again (harmless)
RECONCILE_BATCH = 10_000  # ids per re-read of changed rows
# Types whose ::text is already the JSON row_to_json emits (cheaper than to_json).
PLAIN_JSON_TYPES = ("smallint", "integer", "bigint", "boolean")
# The csv COPY format with control characters as quote and delimiter writes the JSON line
# verbatim: JSON text never holds a raw control character, and unlike the text format nothing is
# backslash-escaped.
COPY_LINES = "TO STDOUT (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"

log = logs.get(JOB)


class IngestError(GambogeError):
    """A failure the operator can act on. The message names the table/column and never a secret."""


class Settings(NamedTuple):
    landing_uri: str
    state_uri: str
    bookmark_option: str
    tables: List[str]
    reconcile: str
    overlap_seconds: int
    reconcile_every_hours: float
    compression: str
    source_secret_id: Optional[str]


class LiveColumn(NamedTuple):
    name: str
    type: str  # format_type() of the live column
    nullable: bool


class TablePlan(NamedTuple):
    table: schema.Table
    columns: List[LiveColumn]  # live columns in physical order (schema drift included)
    added: List[str]
    kind: str  # full | incremental
    watermark: Optional[str]  # the previous run's watermark (incremental only)
    boundary: List[List[Any]]  # [[id, md5], …] landed in the previous run's boundary window
    fingerprints: List[str]  # baseline first, then deltas
    reconcile: bool


class LandedFile(NamedTuple):
    uri: str
    rows: int
    bytes: int
    kind: str


class TableResult(NamedTuple):
    plan: TablePlan
    files: List[LandedFile]
    low_watermark: Optional[str]
    high_watermark: Optional[str]  # max last_updated read this run
    watermark: Optional[str]  # what the bookmark keeps (never moves backwards)
    boundary: List[List[Any]]
    fingerprints: List[str]
    reconciled: Optional[Dict[str, int]]
    seconds: float


# --- arguments ------------------------------------------------------------------------------------
def argument_defaults() -> Dict[str, Optional[str]]:
    """Every argument of the job's own (the workflow's, then the extras) with its default; Glue's
    --job-bookmark-option is not one of them (getResolvedOptions parses it itself)."""
    names = list(workflow.job(JOB).arguments) + list(EXTRA_ARGUMENTS)
    return {name: DEFAULTS.get(name) for name in names}


def settings_from_arguments(arguments: Dict[str, Optional[str]]) -> Settings:
    def value(name: str) -> Optional[str]:
        given = arguments.get(name)
        return given if given not in (None, "") else DEFAULTS.get(name)

    option = bookmarks.check_option(value(glue_args.BOOKMARK_KEY) or bookmarks.ENABLE)
    reconcile = value("reconcile") or "auto"
    if reconcile not in RECONCILE_CHOICES:
        raise IngestError("--reconcile must be one of {}, not {!r}".format(", ".join(RECONCILE_CHOICES), reconcile))
    compression = value("compression") or "none"
    if compression not in COMPRESSION_CHOICES:
        raise IngestError(f"--compression must be none or gzip, not {compression!r}")
    tables_argument = value("tables")
    tables = [t.strip() for t in tables_argument.split(",") if t.strip()] if tables_argument else []
    unknown = [t for t in tables if t not in schema.SOURCE_BY_NAME]
    if unknown:
        raise IngestError(
            "unknown table(s) {}; known: {}".format(", ".join(unknown), ", ".join(schema.SOURCE_TABLE_NAMES))
        )
    try:
        overlap = int(value("overlap_seconds") or 0)
        every = float(value("reconcile_every_hours") or 0)
    except ValueError:
        raise IngestError("--overlap_seconds and --reconcile_every_hours must be numbers") from None
    return Settings(
        landing_uri=(value("landing_uri") or config.landing_uri()).rstrip("/"),
        state_uri=(value("state_uri") or config.state_uri()).rstrip("/"),
        bookmark_option=option,
        tables=tables or list(schema.SOURCE_TABLE_NAMES),
        reconcile=reconcile,
        overlap_seconds=overlap,
        reconcile_every_hours=every,
        compression=compression,
        source_secret_id=value("source_secret_id"),
    )


# --- connections ----------------------------------------------------------------------------------
class Source(NamedTuple):
    """How to connect, and what to say about it: host and database, never the password."""

    connect: Callable[[], Any]
    description: str
    secrets: List[str]


def source_from_settings(settings: Settings) -> Source:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    if settings.source_secret_id:
        from gamboge.common import db_secrets as secrets

        try:
            kwargs = secrets.rds_connection_kwargs(settings.source_secret_id)
        except secrets.SecretError as exc:
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


def redact(message: str, secrets: List[Optional[str]]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message.strip()


# --- SQL builders ---------------------------------------------------------------------------------
def _sql():
    from psycopg import sql

    return sql


def line_expression(columns: List[LiveColumn], alias: str = "src"):
    """SQL text expression rendering one row exactly as row_to_json(src)::text does."""
    sql = _sql()
    parts = []
    for i, column in enumerate(columns):
        key = ("{" if i == 0 else ",") + json.dumps(column.name, ensure_ascii=False) + ":"
        ident = sql.Identifier(alias, column.name)
        if column.type in PLAIN_JSON_TYPES:
            value = sql.SQL("{}::text").format(ident)
        else:
            value = sql.SQL("to_json({})::text").format(ident)
        if column.nullable:
            value = sql.SQL("coalesce({}, 'null')").format(value)
        parts.append(sql.SQL("{} || {}").format(sql.Literal(key), value))
    return sql.SQL("(") + sql.SQL(" || ").join(parts) + sql.SQL(" || '}')")


def _array_literal(values: List[Any], pg_type: str):
    sql = _sql()
    # ids are integers and hashes hex digits, so the array text needs no quoting.
    return sql.SQL("{}::" + pg_type).format(sql.Literal("{" + ",".join(str(v) for v in values) + "}"))


def _selected_predicate(plan: TablePlan, overlap_seconds: int):
    """Which rows this run lands: all (full), or the new ones since the watermark minus overlap,
    except boundary rows landed last time that come back unchanged."""
    sql = _sql()
    if plan.kind == KIND_FULL:
        return sql.SQL("TRUE")
    src = sql.SQL("src.")
    pk = src + sql.Identifier(plan.table.primary_key)
    return sql.SQL(
        "src.last_updated > {wm}::timestamp - make_interval(secs => {overlap}) AND (src.last_updated > {wm}::timestamp"
        " OR NOT EXISTS (SELECT 1 FROM unnest({ids}, {hashes}) AS landed(id, hash)"
        " WHERE landed.id = {pk} AND landed.hash = md5({line})))"
    ).format(
        wm=sql.Literal(plan.watermark),
        overlap=sql.Literal(overlap_seconds),
        ids=_array_literal([b[0] for b in plan.boundary], "bigint[]"),
        hashes=_array_literal([b[1] for b in plan.boundary], "text[]"),
        pk=pk,
        line=line_expression(plan.columns),
    )


def _from(plan: TablePlan):
    sql = _sql()
    return sql.SQL("FROM {} AS src").format(sql.Identifier(plan.table.name))


# --- files ----------------------------------------------------------------------------------------
class _CountingSink:
    """Counts the bytes that reach storage (after compression) for the manifest."""

    def __init__(self, raw):
        self.raw = raw
        self.bytes = 0

    def write(self, data) -> int:
        self.bytes += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        pass


class LandingFile:
    """One landing object, opened on the first row so that empty extracts leave no file behind."""

    def __init__(self, uri: str, kind: str, compress: bool):
        self.uri, self.kind, self.compress = uri, kind, compress
        self.rows = 0
        self._writer = None
        self._sink: Optional[_CountingSink] = None
        self._stream = None
        self._buffer = bytearray()

    def write(self, chunk) -> None:
        self._buffer += chunk
        if len(self._buffer) >= FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self._writer = storage.open_writer(self.uri)
            self._sink = _CountingSink(self._writer.__enter__())
            self._stream = (
                gzip.GzipFile(fileobj=self._sink, mode="wb", compresslevel=1, mtime=0) if self.compress else self._sink
            )
        self.rows += self._buffer.count(b"\n")
        self._stream.write(bytes(self._buffer))
        self._buffer = bytearray()

    def close(self) -> Optional[LandedFile]:
        self._flush()
        if self._writer is None:
            return None
        if self.compress:
            self._stream.close()
        self._writer.__exit__(None, None, None)
        return LandedFile(self.uri, self.rows, self._sink.bytes, self.kind)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.__exit__(RuntimeError, RuntimeError("aborted"), None)
            self._writer = None


def _stream_copy(cursor, statement, sink) -> None:
    with cursor.copy(statement) as copy:
        for chunk in copy:
            sink.write(chunk)


# --- fingerprints ---------------------------------------------------------------------------------
def fingerprint_uri(state_uri: str, table: str, run_id: str) -> str:
    return storage.join(state_uri, JOB, "fingerprints", table, run_id + ".tsv.gz")


def _write_fingerprint(uri: str, cursor, statement) -> None:
    """Stream ``id<TAB>md5`` lines (COPY text format, id order) into a gzip object."""
    with storage.open_writer(uri) as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
        _stream_copy(cursor, statement, out)


def _read_fingerprint(uri: str, order: int) -> Iterator[Tuple[int, int, bytes]]:
    for line in storage.iter_lines(uri):
        ident, digest = line.rstrip(b"\n").split(b"\t")
        yield int(ident), order, digest


def latest_fingerprints(uris: List[str]) -> Iterator[Tuple[int, bytes]]:
    """(id, md5) in id order over a baseline and its deltas; for each id the newest file wins."""
    merged = heapq.merge(*(_read_fingerprint(uri, order) for order, uri in enumerate(uris)))
    for ident, versions in itertools.groupby(merged, key=lambda entry: entry[0]):
        *_, newest = versions
        yield ident, newest[2]


# --- one table ------------------------------------------------------------------------------------
class TableJob:
    """Everything done for one table on one connection of the shared snapshot."""

    def __init__(self, plan: TablePlan, settings: Settings, run: "RunContext"):
        self.plan, self.settings, self.run = plan, settings, run
        self.files: List[LandedFile] = []

    def landing_uri(self) -> str:
        suffix = ".jsonl.gz" if self.settings.compression == "gzip" else ".jsonl"
        name = f"{self.run.run_id}-{len(self.files) + 1}{suffix}"
        return storage.join(
            self.settings.landing_uri, self.plan.table.name, "ingest_date=" + self.run.ingest_date, name
        )

    @contextlib.contextmanager
    def _landing_file(self, kind: str) -> Iterator["LandingFile"]:
        """A new landing file: kept (if it got rows) when the block completes, removed if it fails."""
        target = LandingFile(self.landing_uri(), kind, self.settings.compression == "gzip")
        try:
            yield target
        except BaseException:
            target.abort()
            raise
        landed = target.close()
        if landed is not None:
            self.files.append(landed)

    def _land(self, cursor, statement, kind: str) -> None:
        with self._landing_file(kind) as target:
            _stream_copy(cursor, statement, target)

    def execute(self, connection) -> TableResult:
        sql = _sql()
        started = time.monotonic()
        plan, overlap = self.plan, self.settings.overlap_seconds
        line = line_expression(plan.columns)
        selected = _selected_predicate(plan, overlap)
        pk = sql.SQL("src.") + sql.Identifier(plan.table.primary_key)
        cursor = connection.cursor()

        extract = sql.SQL("COPY (SELECT {} {} WHERE {}) " + COPY_LINES).format(line, _from(plan), selected)
        self._land(cursor, extract, plan.kind)

        low = None
        read_filter = sql.SQL("TRUE")
        if plan.kind == KIND_INCREMENTAL:
            low = cursor.execute(
                "SELECT to_json(%s::timestamp - make_interval(secs => %s)) #>> '{}'", (plan.watermark, overlap)
            ).fetchone()[0]
            read_filter = sql.SQL("src.last_updated > {}::timestamp").format(sql.Literal(low))
        high = cursor.execute(
            sql.SQL("SELECT to_json(max(src.last_updated)) #>> '{{}}' {} WHERE {}").format(_from(plan), read_filter)
        ).fetchone()[0]
        watermark = plan.watermark if plan.kind == KIND_INCREMENTAL else None
        if high is not None:
            watermark = cursor.execute(
                "SELECT to_json(greatest(%s::timestamp, %s::timestamp)) #>> '{}'", (high, watermark)
            ).fetchone()[0]

        boundary: List[List[Any]] = []
        if watermark is not None:
            rows = cursor.execute(
                sql.SQL(
                    "SELECT {pk}, md5({line}) {src}"
                    " WHERE src.last_updated > {wm}::timestamp - make_interval(secs => {o}) ORDER BY 1 LIMIT {limit}"
                ).format(
                    pk=pk,
                    line=line,
                    src=_from(plan),
                    wm=sql.Literal(watermark),
                    o=sql.Literal(overlap),
                    limit=sql.Literal(BOUNDARY_LIMIT + 1),
                )
            ).fetchall()
            if len(rows) > BOUNDARY_LIMIT:
                log.warning(
                    "%s: more than %d rows in the overlap window; they will be landed again next run",
                    plan.table.name,
                    BOUNDARY_LIMIT,
                )
            else:
                boundary = [[int(ident), digest] for ident, digest in rows]

        fingerprints = list(plan.fingerprints)
        reconciled = None
        keeps_state = self.settings.bookmark_option == bookmarks.ENABLE
        new_fingerprint = fingerprint_uri(self.settings.state_uri, plan.table.name, self.run.run_id)
        if plan.reconcile:
            reconciled = self._reconcile(cursor, line, selected, pk, new_fingerprint if keeps_state else None)
            if keeps_state:
                fingerprints = [new_fingerprint]
        elif keeps_state and (plan.kind == KIND_FULL or self.files):
            # A full extract starts a new baseline; an incremental one adds a delta of what it landed.
            statement = sql.SQL("COPY (SELECT {}, md5({}) {} WHERE {} ORDER BY 1) TO STDOUT").format(
                pk, line, _from(plan), selected
            )
            _write_fingerprint(new_fingerprint, cursor, statement)
            fingerprints = [new_fingerprint] if plan.kind == KIND_FULL else fingerprints + [new_fingerprint]

        return TableResult(
            plan=plan,
            files=self.files,
            low_watermark=low,
            high_watermark=high,
            watermark=watermark,
            boundary=boundary,
            fingerprints=fingerprints,
            reconciled=reconciled,
            seconds=time.monotonic() - started,
        )

    def _reconcile(self, cursor, line, selected, pk, new_fingerprint: Optional[str]) -> Dict[str, int]:
        """Merge-compare source hashes (id order) with the fingerprint; land what changed unseen."""
        sql = _sql()
        plan = self.plan
        has_baseline = bool(plan.fingerprints)
        previous = latest_fingerprints(plan.fingerprints) if has_baseline else iter(())
        counts = {"changed": 0, "new": 0}
        statement = sql.SQL("COPY (SELECT {}, md5({}), ({}) {} ORDER BY 1) TO STDOUT").format(
            pk, line, selected, _from(plan)
        )
        with tempfile.TemporaryFile() as spool:
            writer = storage.open_writer(new_fingerprint) if new_fingerprint else None
            raw = writer.__enter__() if writer else None
            out = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) if raw else None
            try:
                known = next(previous, None)
                with cursor.copy(statement) as copy:
                    for chunk in copy:
                        ident_text, digest, extracted = bytes(chunk).rstrip(b"\n").split(b"\t")
                        ident = int(ident_text)
                        if out is not None:
                            out.write(ident_text + b"\t" + digest + b"\n")
                        while known is not None and known[0] < ident:
                            known = next(previous, None)  # a row gone from the source
                        if extracted == b"t" or not has_baseline:
                            continue  # landed by this run's extract, or no baseline to compare with yet
                        if known is None or known[0] != ident:
                            counts["new"] += 1
                        elif known[1] != digest:
                            counts["changed"] += 1
                        else:
                            continue
                        spool.write(ident_text + b"\n")
                if out is not None:
                    out.close()
                    writer.__exit__(None, None, None)
            except BaseException as exc:
                if writer is not None:
                    writer.__exit__(type(exc), exc, None)
                raise
            if not has_baseline:
                log.info("%s: no fingerprint yet; this reconcile sets the baseline", plan.table.name)
            if counts["changed"] or counts["new"]:
                spool.seek(0)
                self._land_reconciled(cursor, line, pk, spool)
        return counts

    def _land_reconciled(self, cursor, line, pk, spool) -> None:
        sql = _sql()
        with self._landing_file(KIND_RECONCILE) as target:
            while True:
                batch = [int(x) for x in itertools.islice(spool, RECONCILE_BATCH)]
                if not batch:
                    break
                statement = sql.SQL("COPY (SELECT {} {} WHERE {} = ANY({}) ORDER BY {}) " + COPY_LINES).format(
                    line, _from(self.plan), pk, _array_literal(batch, "bigint[]"), pk
                )
                _stream_copy(cursor, statement, target)


# --- the run --------------------------------------------------------------------------------------
class RunContext(NamedTuple):
    run_id: str
    snapshot: str
    snapshot_time: str
    snapshot_epoch: float
    ingest_date: str


def _begin_snapshot(connection, snapshot: Optional[str] = None) -> None:
    connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    if snapshot is not None:
        connection.execute(_sql().SQL("SET TRANSACTION SNAPSHOT {}").format(_sql().Literal(snapshot)))


def live_columns(connection, tables: List[str]) -> Dict[str, List[LiveColumn]]:
    rows = connection.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull"
        " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
        " WHERE c.relname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_table_is_visible(c.oid)"
        " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
        (tables,),
    ).fetchall()
    out: Dict[str, List[LiveColumn]] = {}
    for table, name, type_, nullable in rows:
        out.setdefault(table, []).append(LiveColumn(name, type_, nullable))
    return out


def check_schema(live: Dict[str, List[LiveColumn]], tables: List[str]) -> Dict[str, List[str]]:
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


def _reconcile_due(settings: Settings, state: Dict[str, Any], kind: str, now_epoch: float) -> bool:
    if settings.reconcile == "never" or kind == KIND_FULL or settings.bookmark_option == bookmarks.DISABLE:
        return False  # a full extract lands every row: nothing can have changed unseen
    if settings.reconcile == "always":
        return True
    last = state.get("reconciled_epoch")
    return last is None or now_epoch - float(last) >= settings.reconcile_every_hours * 3600


def plan_tables(
    settings: Settings, live: Dict[str, List[LiveColumn]], added: Dict[str, List[str]], previous: Dict[str, Any]
) -> List[TablePlan]:
    plans = []
    use_bookmark = settings.bookmark_option != bookmarks.DISABLE
    for name in settings.tables:
        state = previous.get("tables", {}).get(name, {}) if use_bookmark else {}
        kind = KIND_INCREMENTAL if state.get("watermark") else KIND_FULL
        plans.append(
            TablePlan(
                table=schema.source_table(name),
                columns=live[name],
                added=added[name],
                kind=kind,
                watermark=state.get("watermark") if kind == KIND_INCREMENTAL else None,
                boundary=state.get("boundary", []) if kind == KIND_INCREMENTAL else [],
                fingerprints=state.get("fingerprints", []),
                reconcile=False,  # decided once the snapshot's clock is known
            )
        )
    return plans


def _run_workers(connections: List[Any], jobs: List[TableJob], progress: Callable[[TableResult], None]):
    """Tables largest-first over the snapshot's connections; the first failure stops the rest."""
    work: queue.Queue[TableJob] = queue.Queue()
    for job in jobs:
        work.put(job)
    results: Dict[str, TableResult] = {}
    failures: List[BaseException] = []
    lock = threading.Lock()

    def worker(connection) -> None:
        while not failures:
            try:
                job = work.get_nowait()
            except queue.Empty:
                return
            try:
                result = job.execute(connection)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                with lock:
                    failures.append(_explain(job.plan.table.name, exc))
                return
            with lock:
                results[job.plan.table.name] = result
                progress(result)

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in connections]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return results


def _explain(table: str, exc: BaseException) -> BaseException:
    if isinstance(exc, IngestError):
        return exc
    import psycopg

    if isinstance(exc, psycopg.Error):
        return IngestError(f"table {table}: {type(exc).__name__}: {str(exc).strip()}")
    return exc


def _log_table(result: TableResult) -> None:
    rows = sum(f.rows for f in result.files)
    size = sum(f.bytes for f in result.files)
    fields = dict(
        table=result.plan.table.name,
        rows=rows,
        bytes=size,
        seconds=round(result.seconds, 3),
        kind=result.plan.kind,
        reconciled=result.reconciled,
        schema_drift_added=result.plan.added,
    )
    if logs.log_format() == "json":
        logs.event(log, "table landed", **fields)
        return
    extra = ""
    if result.reconciled:
        extra = ", reconciled {changed} changed / {new} new".format(**result.reconciled)
    log.info(
        "  %-15s %9d rows %10.1f kB %7.2fs  %s%s",
        result.plan.table.name,
        rows,
        size / 1000.0,
        result.seconds,
        result.plan.kind,
        extra,
    )


def manifest_body(settings: Settings, context: RunContext, results: Dict[str, TableResult]) -> Dict[str, Any]:
    tables = {}
    for name in settings.tables:
        result = results[name]
        tables[name] = {
            "rows": sum(f.rows for f in result.files),
            "files": [f._asdict() for f in result.files],
            "low_watermark": result.low_watermark,
            "high_watermark": result.high_watermark,
            "reconciled": result.reconciled,
            "schema_drift": {"added": result.plan.added, "dropped": []},
        }
    return {
        "job": JOB,
        "run_id": context.run_id,
        "snapshot_time": context.snapshot_time,
        "bookmark_option": settings.bookmark_option,
        "empty": not any(t["rows"] for t in tables.values()),
        "tables": tables,
    }


def next_bookmark(
    previous: Dict[str, Any], context: RunContext, results: Dict[str, TableResult], manifest: str
) -> Dict[str, Any]:
    tables = dict(previous.get("tables", {}))
    for name, result in results.items():
        entry = dict(tables.get(name, {}))
        entry.update(
            watermark=result.watermark,
            boundary=result.boundary,
            fingerprints=result.fingerprints,
            columns=[c.name for c in result.plan.columns],
        )
        if result.reconciled is not None or result.plan.kind == KIND_FULL:
            entry.update(reconciled_at=context.snapshot_time, reconciled_epoch=context.snapshot_epoch)
        tables[name] = entry
    return {
        "job": JOB,
        "run_id": context.run_id,
        "snapshot_time": context.snapshot_time,
        "manifest": manifest,
        "tables": tables,
    }


def run(settings: Settings, source: Optional[Source] = None) -> Dict[str, Any]:
    """One ingest run; returns the manifest body. Raises IngestError with an actionable message."""
    import psycopg

    source = source or source_from_settings(settings)
    started = time.monotonic()
    previous = bookmarks.load(settings.state_uri, JOB) if settings.bookmark_option != bookmarks.DISABLE else {}
    run_id = manifests.new_run_id()
    connections = []
    try:
        leader = source.connect()
        connections.append(leader)
        _begin_snapshot(leader)
        snapshot, snapshot_time, epoch, ingest_date = leader.execute(
            "SELECT pg_export_snapshot(), to_json(statement_timestamp()) #>> '{}',"
            " extract(epoch FROM statement_timestamp())::float8,"
            " to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        ).fetchone()
        context = RunContext(run_id, snapshot, snapshot_time, epoch, ingest_date)
        live = live_columns(leader, settings.tables)
        added = check_schema(live, settings.tables)
        for name, columns in added.items():
            if columns:
                log.warning("schema drift: %s has new column(s) %s; carried into landing", name, ", ".join(columns))
        plans = [
            p._replace(
                reconcile=_reconcile_due(settings, previous.get("tables", {}).get(p.table.name, {}), p.kind, epoch)
            )
            for p in plan_tables(settings, live, added, previous)
        ]
        sizes = dict(
            leader.execute(
                "SELECT relname, greatest(reltuples, relpages) FROM pg_class WHERE relname = ANY(%s)",
                (settings.tables,),
            ).fetchall()
        )
        plans.sort(key=lambda p: -float(sizes.get(p.table.name) or 0))
        for _ in range(min(WORKERS, len(plans)) - 1):
            follower = source.connect()
            connections.append(follower)
            _begin_snapshot(follower, snapshot)
        log.info(
            "ingest %s from %s (%s, snapshot %s)", run_id, source.description, settings.bookmark_option, snapshot_time
        )
        jobs = [TableJob(plan, settings, context) for plan in plans]
        results = _run_workers(connections, jobs, _log_table)
    except psycopg.Error as exc:
        raise IngestError("source database error: " + redact(str(exc), source.secrets)) from None
    finally:
        for connection in connections:
            try:
                connection.rollback()
                connection.close()
            except Exception:  # noqa: BLE001, S110 - closing after a failure must not mask it
                pass

    body = manifest_body(settings, context, results)
    faults.crash_point(CRASH_AFTER_DATA_FILES)
    manifest = manifests.write_manifest(settings.landing_uri, run_id, body)
    faults.crash_point(CRASH_BEFORE_BOOKMARK)
    if settings.bookmark_option == bookmarks.ENABLE:
        bookmark = next_bookmark(previous, context, results, manifest)
        bookmarks.save(settings.state_uri, JOB, bookmark)
        _forget_fingerprints(previous, bookmark)
    total_rows = sum(t["rows"] for t in body["tables"].values())
    logs.event(
        log,
        "ingest finished: nothing new (empty manifest written)" if body["empty"] else "ingest finished",
        run_id=run_id,
        rows=total_rows,
        bytes=sum(f["bytes"] for t in body["tables"].values() for f in t["files"]),
        seconds=round(time.monotonic() - started, 3),
        manifest=manifest,
        bookmark="saved" if settings.bookmark_option == bookmarks.ENABLE else "unchanged",
    )
    return dict(body, run_id=run_id)


def _forget_fingerprints(previous: Dict[str, Any], current: Dict[str, Any]) -> None:
    """Delete fingerprint files the new bookmark no longer names (best effort: they are only state)."""
    keep = {uri for entry in current.get("tables", {}).values() for uri in entry.get("fingerprints", [])}
    for entry in previous.get("tables", {}).values():
        for uri in entry.get("fingerprints", []):
            if uri not in keep:
                try:
                    storage.delete(uri)
                except Exception as exc:  # noqa: BLE001 - a stale file costs storage, not correctness
                    log.warning("could not delete old fingerprint %s: %s", uri, exc)


def run_job(arguments: Dict[str, Optional[str]]) -> int:
    """Run with resolved arguments (the Glue script's, `gamboge ingest`'s or a test's); the exit status."""
    try:
        result = run(settings_from_arguments(arguments))
        workflow_run.publish(arguments, workflow_run.LANDING_MANIFEST, result["run_id"])
    except (IngestError, ValueError) as exc:
        log.error("ingest failed: %s (bookmark unchanged)", exc)
        return 1
    return 0


# --- entry points: the Glue script and `gamboge ingest` ---------------------------------------------
def described_arguments() -> Dict[str, str]:
    return dict(workflow.job(JOB).arguments, **EXTRA_ARGUMENTS)


def glue_main(argv: List[str]) -> int:
    """glue_jobs/ingest_totesys.py: ``argv`` is the whole ``sys.argv`` Glue built."""
    arguments, status = glue_args.start_job(
        "ingest",
        argv,
        SUMMARY,
        described_arguments(),
        dict(argument_defaults(), **workflow_run.ARGUMENTS),
        glue_bookmark=True,
    )
    if arguments is None:
        return status
    return run_job(arguments)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    described = described_arguments()
    for name, default in argument_defaults().items():
        help_text = described[name] + (f" (default {default})" if default else "")
        parser.add_argument("--" + name, dest=name, default=default, help=help_text)
    parser.add_argument(
        glue_args.BOOKMARK_FLAG,
        dest=glue_args.BOOKMARK_KEY,
        choices=bookmarks.OPTIONS,
        default=DEFAULTS[glue_args.BOOKMARK_KEY],
        help="Glue's bookmark option: enable (incremental), disable (full extract, bookmark unchanged), pause "
        "(incremental, bookmark unchanged) (default %(default)s)",
    )


def main(args: argparse.Namespace) -> int:
    names = list(argument_defaults()) + [glue_args.BOOKMARK_KEY]
    return glue_main(glue_args.to_argv({name: getattr(args, name, None) for name in names}, "gamboge ingest"))
