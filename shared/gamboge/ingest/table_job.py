"""Everything one table's part of a run does, on one connection of the run's snapshot.

Incremental extraction: read ``last_updated > watermark − overlap``; rows of the previous run's
boundary window (ids + content hashes kept in the bookmark) that come back unchanged are not
landed again. The watermark is the max ``last_updated`` read in the snapshot (the DB clock).

Reconciliation: ToteSys changes some rows without bumping ``last_updated``. A reconcile run streams
the source hashes in id order, merge-compares them with the fingerprint files (constant memory)
and lands the changed/new rows as ``"kind": "reconcile"``.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

import contextlib
import gzip
import itertools
import tempfile
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

from gamboge.common import logs
from gamboge.ingest.fingerprints import fingerprint_uri, latest_fingerprints, write_fingerprint
from gamboge.ingest.landing_file import LandingFile
from gamboge.ingest.model import (
    JOB,
    KIND_FULL,
    KIND_INCREMENTAL,
    KIND_RECONCILE,
    LandedFile,
    RunContext,
    TablePlan,
    TableResult,
)
from gamboge.ingest.rowsql import (
    COPY_LINES,
    array_literal,
    from_table,
    line_expression,
    primary_key,
    psycopg_sql,
    selected_predicate,
    stream_copy,
)
from gamboge.ingest.settings import Settings
from gamboge.lake import bookmarks, storage

BOUNDARY_LIMIT = 100_000  # beyond this the window is not remembered: overlap rows land again (harmless)
RECONCILE_BATCH = 10_000  # ids per re-read of changed rows

log = logs.get(JOB)


class TableJob:
    """Everything done for one table on one connection of the shared snapshot."""

    def __init__(self, plan: TablePlan, settings: Settings, run: RunContext):
        self.plan, self.settings, self.run = plan, settings, run
        self.files: List[LandedFile] = []

    def landing_uri(self) -> str:
        suffix = ".jsonl.gz" if self.settings.compression == "gzip" else ".jsonl"
        name = f"{self.run.run_id}-{len(self.files) + 1}{suffix}"
        return storage.join(
            self.settings.landing_uri, self.plan.table.name, "ingest_date=" + self.run.ingest_date, name
        )

    @contextlib.contextmanager
    def _landing_file(self, kind: str) -> Iterator[LandingFile]:
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
            stream_copy(cursor, statement, target)

    def execute(self, connection) -> TableResult:
        """Extract, then read the new watermark and boundary window, then keep the fingerprints."""
        started = time.monotonic()
        plan = self.plan
        # Every statement below renders rows and selects them the same way as the extract.
        line = line_expression(plan.columns)
        selected = selected_predicate(plan, self.settings.overlap_seconds)
        pk = primary_key(plan)
        cursor = connection.cursor()

        self._extract(cursor, line, selected)
        low, high, watermark = self._watermarks(cursor)
        boundary = self._boundary(cursor, line, pk, watermark)
        fingerprints, reconciled = self._update_fingerprints(cursor, line, selected, pk)
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

    def _extract(self, cursor, line, selected) -> None:
        """Land the rows this run selects, as the plan's kind (full or incremental)."""
        sql = psycopg_sql()
        statement = sql.SQL("COPY (SELECT {} {} WHERE {}) " + COPY_LINES).format(line, from_table(self.plan), selected)
        self._land(cursor, statement, self.plan.kind)

    def _watermarks(self, cursor) -> Tuple[Optional[str], Optional[str], Optional[str]]:
        """(low, high, watermark): where this run started reading (incremental only), the newest
        ``last_updated`` it read, and what the bookmark keeps, which never moves backwards."""
        sql = psycopg_sql()
        plan, overlap = self.plan, self.settings.overlap_seconds
        low = None
        read_filter = sql.SQL("TRUE")
        if plan.kind == KIND_INCREMENTAL:
            low = cursor.execute(
                "SELECT to_json(%s::timestamp - make_interval(secs => %s)) #>> '{}'", (plan.watermark, overlap)
            ).fetchone()[0]
            read_filter = sql.SQL("src.last_updated > {}::timestamp").format(sql.Literal(low))
        newest = sql.SQL("SELECT to_json(max(src.last_updated)) #>> '{{}}' {} WHERE {}")
        high = cursor.execute(newest.format(from_table(plan), read_filter)).fetchone()[0]
        watermark = plan.watermark if plan.kind == KIND_INCREMENTAL else None
        if high is not None:
            watermark = cursor.execute(
                "SELECT to_json(greatest(%s::timestamp, %s::timestamp)) #>> '{}'", (high, watermark)
            ).fetchone()[0]
        return low, high, watermark

    def _boundary(self, cursor, line, pk, watermark: Optional[str]) -> List[List[Any]]:
        """[id, md5] of the rows in the overlap window below the new watermark: the next run reads
        them again and skips those that come back unchanged. Empty when the window is too large."""
        if watermark is None:
            return []
        sql = psycopg_sql()
        rows = cursor.execute(
            sql.SQL(
                "SELECT {pk}, md5({line}) {src}"
                " WHERE src.last_updated > {wm}::timestamp - make_interval(secs => {o}) ORDER BY 1 LIMIT {limit}"
            ).format(
                pk=pk,
                line=line,
                src=from_table(self.plan),
                wm=sql.Literal(watermark),
                o=sql.Literal(self.settings.overlap_seconds),
                limit=sql.Literal(BOUNDARY_LIMIT + 1),
            )
        ).fetchall()
        if len(rows) > BOUNDARY_LIMIT:
            log.warning(
                "%s: more than %d rows in the overlap window; they will be landed again next run",
                self.plan.table.name,
                BOUNDARY_LIMIT,
            )
            return []
        return [[int(ident), digest] for ident, digest in rows]

    def _update_fingerprints(self, cursor, line, selected, pk) -> Tuple[List[str], Optional[Dict[str, int]]]:
        """The fingerprint files the bookmark names after this run, and the reconcile counts (None
        when this run did not reconcile). A fingerprint file is written only when the bookmark will be saved."""
        sql = psycopg_sql()
        plan = self.plan
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
                pk, line, from_table(plan), selected
            )
            write_fingerprint(new_fingerprint, cursor, statement)
            fingerprints = [new_fingerprint] if plan.kind == KIND_FULL else fingerprints + [new_fingerprint]
        return fingerprints, reconciled

    def _reconcile(self, cursor, line, selected, pk, new_fingerprint: Optional[str]) -> Dict[str, int]:
        """Merge-compare source hashes (id order) with the fingerprint; land what changed unseen."""
        sql = psycopg_sql()
        plan = self.plan
        has_baseline = bool(plan.fingerprints)
        previous = latest_fingerprints(plan.fingerprints) if has_baseline else iter(())
        counts = {"changed": 0, "new": 0}
        statement = sql.SQL("COPY (SELECT {}, md5({}), ({}) {} ORDER BY 1) TO STDOUT").format(
            pk, line, selected, from_table(plan)
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
        sql = psycopg_sql()
        with self._landing_file(KIND_RECONCILE) as target:
            while True:
                batch = [int(x) for x in itertools.islice(spool, RECONCILE_BATCH)]
                if not batch:
                    break
                statement = sql.SQL("COPY (SELECT {} {} WHERE {} = ANY({}) ORDER BY {}) " + COPY_LINES).format(
                    line, from_table(self.plan), pk, array_literal(batch, "bigint[]"), pk
                )
                stream_copy(cursor, statement, target)
