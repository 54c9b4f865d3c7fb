"""What an ingest run is made of: its names, the plan for each table and what each table produced.

Every other module of ``gamboge.ingest`` builds on these; they hold data only.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

from typing import Any, Dict, List, NamedTuple, Optional

from gamboge.common import schema
from gamboge.common.errors import GambogeError
from gamboge.common.postgres import CatalogColumn

JOB = "ingest"  # the workflow's job name, and the folder of its state and its logger
KIND_FULL = "full"
KIND_INCREMENTAL = "incremental"
KIND_RECONCILE = "reconcile"


class IngestError(GambogeError):
    """A failure the operator can act on. The message names the table/column and never a secret."""


class TablePlan(NamedTuple):
    table: schema.Table
    columns: List[CatalogColumn]  # live columns in physical order (schema drift included)
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


class RunContext(NamedTuple):
    run_id: str
    snapshot: str
    snapshot_time: str
    snapshot_epoch: float
    ingest_date: str
