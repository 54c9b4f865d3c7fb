"""What an ingest run is made of: its names, the plan for each table and what each table produced.

Every other module of ``gamboge.ingest`` builds on these; they hold data only.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

from typing import List, NamedTuple, Optional

from gamboge.common import schema
from gamboge.common.errors import GambogeError
from gamboge.common.postgres import CatalogColumn
from gamboge.ingest.capture import SnapshotXids, XminWindow

JOB = "ingest"  # the workflow's job name, and the folder of its state and its logger
# How a table's rows were read this run (the landing file's "kind").
KIND_FULL = "full"  # every row: no state yet, or bookmarks disabled
KIND_INCREMENTAL = "incremental"  # the row versions in the xmin window, minus those whose content is landed
KIND_AUDIT = "audit"  # every row's content hash against the fingerprints; the differences land


class IngestError(GambogeError):
    """A failure the operator can act on. The message names the table/column and never a secret."""


class TablePlan(NamedTuple):
    table: schema.Table
    columns: List[CatalogColumn]  # live columns in physical order (schema drift included)
    added: List[str]
    kind: str  # full | incremental | audit
    window: Optional[XminWindow]  # incremental: the xmin window to read
    fingerprints: List[str]  # baseline first, then deltas
    known_rows: Optional[int]  # live rows the fingerprints hold (None: not counted yet)
    audit: bool  # audit after the incremental read (due, or asked for)
    reason: str  # why this kind, for the log and the manifest


class LandedFile(NamedTuple):
    uri: str
    rows: int
    bytes: int
    kind: str


class AuditCounts(NamedTuple):
    changed: int  # content differs from the fingerprint
    new: int  # no fingerprint (or a deleted one)
    deleted: int  # a fingerprint whose row is gone


class TableResult(NamedTuple):
    plan: TablePlan
    files: List[LandedFile]
    read: int  # row versions the capture read (the whole table for full and audit)
    unchanged: int  # of those, rows whose content was landed already: not landed again
    deleted: int  # rows gone from the source since the last run
    deleted_sample: List[int]  # the first of their ids, in id order
    audit: Optional[AuditCounts]  # None: no audit this run
    fingerprints: List[str]
    rows: Optional[int]  # live rows the fingerprints hold after this run
    seconds: float


class RunContext(NamedTuple):
    run_id: str
    snapshot: str
    snapshot_time: str
    snapshot_epoch: float
    ingest_date: str
    xids: SnapshotXids
