"""Everything one table's part of a run does, on one connection of the run's snapshot.

- **full** (no state yet, or bookmarks disabled): land every row; the baseline fingerprint follows.
- **incremental**: read the row versions in the run's xmin window (``capture``) in id order and
  merge them with the fingerprints: a row whose content hash is the one already landed is not
  landed again, so only real changes become versions. Then count the table: fewer rows than the
  fingerprints hold means rows were deleted, and a key-only scan names them (recorded, never
  propagated as changes).
- **audit** (when due, or to resynchronise after 2+ xid wraps, a restored source, changed columns
  or a bookmark from before xmin capture): every row's hash against the fingerprints; whatever
  differs lands, and the source's hashes become the new baseline. After an incremental read it is a
  check that must find nothing.

Memory stays constant: rows stream from COPY, fingerprints stream from their files in id order.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

import contextlib
import itertools
import tempfile
import time
from typing import Iterator, List, Optional, Tuple

from gamboge.common import logs
from gamboge.ingest.fingerprints import (
    BASELINE,
    CHANGES,
    DELETED,
    DELETES,
    FingerprintLookup,
    fingerprint_uri,
    latest_fingerprints,
    live_fingerprints,
    write_fingerprint,
)
from gamboge.ingest.landing_file import LandingFile
from gamboge.ingest.model import (
    JOB,
    KIND_AUDIT,
    KIND_FULL,
    KIND_INCREMENTAL,
    AuditCounts,
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
    stream_copy,
    xmin_predicate,
)
from gamboge.ingest.settings import Settings
from gamboge.lake import bookmarks, contracts, storage

AUDIT_BATCH = 10_000  # ids per re-read of the rows an audit lands
DELETED_SAMPLE = 1_000  # deleted ids named in the manifest; the fingerprints keep them all

log = logs.get(JOB)


class _Sink:
    """Where fingerprint lines go when the bookmark is not saved (pause, disable): nowhere."""

    def write(self, chunk) -> None:
        pass


@contextlib.contextmanager
def _written(target: LandingFile) -> Iterator[List[LandedFile]]:
    """Close ``target`` when the block completes (the list then holds what it wrote, if anything),
    remove it if the block fails."""
    written: List[LandedFile] = []
    try:
        yield written
    except BaseException:
        target.abort()
        raise
    landed = target.close()
    if landed is not None:
        written.append(landed)


class TableJob:
    """Everything done for one table on one connection of the shared snapshot."""

    def __init__(self, plan: TablePlan, settings: Settings, run: RunContext):
        self.plan, self.settings, self.run = plan, settings, run
        self.files: List[LandedFile] = []
        self.fingerprints = list(plan.fingerprints)
        self.keeps_state = settings.bookmark_option == bookmarks.ENABLE

    def landing_uri(self) -> str:
        name = contracts.landing_file_name(self.run.run_id, len(self.files) + 1, self.settings.compression == "gzip")
        return storage.join(
            self.settings.landing_uri, self.plan.table.name, "ingest_date=" + self.run.ingest_date, name
        )

    @contextlib.contextmanager
    def _landing_file(self, kind: str) -> Iterator[LandingFile]:
        """A new landing file: kept (if it got rows) when the block completes, removed if it fails."""
        target = LandingFile(self.landing_uri(), kind, self.settings.compression == "gzip")
        with _written(target) as written:
            yield target
        if written:
            self.files.append(written[0])

    @contextlib.contextmanager
    def _fingerprint_file(self, part: str) -> Iterator:
        """A new fingerprint file of this run (gzip, opened on its first line), named by the bookmark
        only if it got lines; a sink that keeps nothing when the bookmark is not saved."""
        if not self.keeps_state:
            yield _Sink()
            return
        uri = fingerprint_uri(self.settings.state_uri, self.plan.table.name, self.run.run_id, part)
        target = LandingFile(uri, part, compress=True)
        with _written(target) as written:
            yield target
        if written:
            self.fingerprints = [uri] if part == BASELINE else self.fingerprints + [uri]

    def execute(self, connection) -> TableResult:
        started = time.monotonic()
        plan = self.plan
        cursor = connection.cursor()
        # Every statement below renders rows the same way, so their hashes compare.
        line = line_expression(plan.columns)
        pk = primary_key(plan)
        rows = plan.known_rows
        read = unchanged = deleted = 0
        deleted_sample: List[int] = []
        audit = None
        consistent = True
        if plan.kind == KIND_FULL:
            read = rows = self._extract_all(cursor, line, pk)
        elif plan.kind == KIND_INCREMENTAL:
            read, unchanged, new = self._capture(cursor, line, pk)
            rows = (rows or 0) + new
            deleted, deleted_sample, consistent = self._deletes(cursor, pk, rows)
            rows -= deleted
            if not consistent:
                log.warning(
                    "%s: the source holds more rows than the fingerprints; auditing the table now", plan.table.name
                )
        # After an incremental read only with state kept: its changes must be in the fingerprints.
        audit_now = plan.kind == KIND_INCREMENTAL and self.keeps_state and (plan.audit or not consistent)
        if plan.kind == KIND_AUDIT or audit_now:
            audit, total, audit_deleted = self._audit(cursor, line, pk)
            if plan.kind == KIND_AUDIT:
                read = total
            rows = total
            deleted += audit.deleted
            deleted_sample = (deleted_sample + audit_deleted)[:DELETED_SAMPLE]
        return TableResult(
            plan=plan,
            files=self.files,
            read=read,
            unchanged=unchanged,
            deleted=deleted,
            deleted_sample=deleted_sample,
            audit=audit,
            fingerprints=self.fingerprints,
            rows=rows if self.keeps_state else plan.known_rows,
            seconds=time.monotonic() - started,
        )

    # --- full -------------------------------------------------------------------------------------
    def _extract_all(self, cursor, line, pk) -> int:
        """Land every row, then (when state is kept) the baseline; returns the rows landed."""
        sql = psycopg_sql()
        with self._landing_file(KIND_FULL) as target:
            everything = sql.SQL("COPY (SELECT {} {}) " + COPY_LINES).format(line, from_table(self.plan))
            stream_copy(cursor, everything, target)
        if self.keeps_state:
            uri = fingerprint_uri(self.settings.state_uri, self.plan.table.name, self.run.run_id, BASELINE)
            statement = sql.SQL("COPY (SELECT {}, md5({}) {} ORDER BY 1) TO STDOUT").format(
                pk, line, from_table(self.plan)
            )
            write_fingerprint(uri, cursor, statement)
            self.fingerprints = [uri]
        return sum(f.rows for f in self.files)

    # --- incremental ------------------------------------------------------------------------------
    def _capture(self, cursor, line, pk) -> Tuple[int, int, int]:
        """Land the rows of the xmin window whose content is not the landed one, in id order.
        Returns (versions read, unchanged, new ids). The fingerprints are read only if a row came."""
        sql = psycopg_sql()
        assert self.plan.window is not None  # noqa: S101 - an incremental plan always has one
        statement = sql.SQL("COPY (SELECT {pk}, md5({line}), {line} {src} WHERE {window} ORDER BY 1) " + COPY_LINES)
        statement = statement.format(
            pk=pk, line=line, src=from_table(self.plan), window=xmin_predicate(self.plan.window)
        )
        read = unchanged = new = 0
        landed: Optional[FingerprintLookup] = None
        with self._landing_file(KIND_INCREMENTAL) as target, self._fingerprint_file(CHANGES) as changes:
            with cursor.copy(statement) as copy:
                for chunk in copy:
                    ident_text, digest, text = bytes(chunk).split(b"\x02", 2)
                    read += 1
                    if landed is None:
                        landed = FingerprintLookup(self.fingerprints)
                    known = landed.find(int(ident_text))
                    if known == digest:
                        unchanged += 1  # a new row version with the content already landed
                        continue
                    new += known is None or known == DELETED
                    target.write(text)
                    changes.write(ident_text + b"\t" + digest + b"\n")
        return read, unchanged, new

    def _deletes(self, cursor, pk, expected: int) -> Tuple[int, List[int], bool]:
        """Rows gone from the source: (how many, the first ids, whether the count was consistent).

        Every row the snapshot sees was read by this run or an earlier one, so the source holds the
        fingerprinted rows minus the deleted ones: a count tells whether any went, and only then a
        key-only scan in id order names them against the fingerprints."""
        sql = psycopg_sql()
        if self.plan.known_rows is None:
            return 0, [], True  # no count yet (state from before counts): the audit sets it
        (count,) = cursor.execute(sql.SQL("SELECT count(*) {}").format(from_table(self.plan))).fetchone()
        if count >= expected:
            return 0, [], count == expected
        deleted, sample = 0, []
        source = self._stream_ids(cursor, pk)
        current = next(source, None)
        with self._fingerprint_file(DELETES) as deletes:
            for ident, _digest in live_fingerprints(self.fingerprints):
                while current is not None and current < ident:
                    current = next(source, None)
                if current == ident:
                    continue
                deleted += 1
                if len(sample) < DELETED_SAMPLE:
                    sample.append(ident)
                deletes.write(b"%d\t%s\n" % (ident, DELETED))
        for _ in source:
            pass  # finish the COPY
        return deleted, sample, count == expected - deleted

    def _stream_ids(self, cursor, pk) -> Iterator[int]:
        sql = psycopg_sql()
        statement = sql.SQL("COPY (SELECT {} {} ORDER BY 1) TO STDOUT").format(pk, from_table(self.plan))
        with cursor.copy(statement) as copy:
            for chunk in copy:
                yield int(bytes(chunk))

    # --- audit ------------------------------------------------------------------------------------
    def _audit(self, cursor, line, pk) -> Tuple[AuditCounts, int, List[int]]:
        """Merge-compare every source row's hash (id order) with the fingerprints; land what differs
        and make the source's hashes the new baseline. Returns (counts, source rows, deleted ids)."""
        sql = psycopg_sql()
        landed = latest_fingerprints(self.fingerprints)
        known = next(landed, None)
        changed = new = deleted = total = 0
        deleted_ids: List[int] = []
        statement = sql.SQL("COPY (SELECT {}, md5({}) {} ORDER BY 1) TO STDOUT").format(pk, line, from_table(self.plan))

        def gone(ident: int) -> None:
            nonlocal deleted
            deleted += 1
            if len(deleted_ids) < DELETED_SAMPLE:
                deleted_ids.append(ident)

        with tempfile.TemporaryFile() as spool, self._fingerprint_file(BASELINE) as baseline:
            with cursor.copy(statement) as copy:
                for chunk in copy:
                    data = bytes(chunk)
                    ident_text, digest = data.rstrip(b"\n").split(b"\t")
                    ident = int(ident_text)
                    total += 1
                    baseline.write(data)
                    while known is not None and known[0] < ident:
                        if known[1] != DELETED:
                            gone(known[0])
                        known = next(landed, None)
                    if known is not None and known[0] == ident:
                        same, was_deleted = known[1] == digest, known[1] == DELETED
                        known = next(landed, None)
                        if same:
                            continue
                        if was_deleted:
                            new += 1
                        else:
                            changed += 1
                    else:
                        new += 1
                    spool.write(ident_text + b"\n")
            while known is not None:
                if known[1] != DELETED:
                    gone(known[0])
                known = next(landed, None)
            if changed or new:
                spool.seek(0)
                self._land_audited(cursor, line, pk, spool)
        return AuditCounts(changed, new, deleted), total, deleted_ids

    def _land_audited(self, cursor, line, pk, spool) -> None:
        sql = psycopg_sql()
        with self._landing_file(KIND_AUDIT) as target:
            while True:
                batch = [int(x) for x in itertools.islice(spool, AUDIT_BATCH)]
                if not batch:
                    break
                statement = sql.SQL("COPY (SELECT {} {} WHERE {} = ANY({}) ORDER BY {}) " + COPY_LINES).format(
                    line, from_table(self.plan), pk, array_literal(batch, "bigint[]"), pk
                )
                stream_copy(cursor, statement, target)
