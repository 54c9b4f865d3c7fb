"""The documents stages hand each other: landing and processed manifests, and the job bookmarks.

A stage commits its output by writing a manifest last; the next stage reads it by key, and every
job remembers what it consumed in a bookmark. These types name every key, so that a renamed key is
a type error instead of a failure at run time, and every document carries ``"format": N`` so that
a reader can tell which version of the contract wrote it.

The rules for ``format``:

* writers stamp the current format of the document's kind (``manifests.write_manifest`` and
  ``bookmarks.save`` do it, not the stage code);
* readers (``manifests.read_manifest`` and ``bookmarks.load``) accept the formats they know and
  refuse any other with a :class:`ContractError` naming the file and the format;
* a document with no ``format`` key is what every version before these contracts wrote: it is
  read as format 1 (:data:`UNVERSIONED`), so existing lakes keep working;
* a change that a reader of the current format could not read raises that kind's FORMAT; the
  reader then upgrades the older formats it still knows as it reads them (see :func:`checked`).

Manifests say which stage wrote them in ``job`` ("ingest": landing, "transform": processed);
bookmarks are told apart by where they live (``<state>/<job>/bookmark.json``).

Keys a writer leaves out in some documents sit in a ``total=False`` class (``typing.NotRequired``
is newer than Python 3.9).

Imported by the ingest job: Python 3.9 compatible (``typing.TypedDict``, no ``X | Y`` at run time).
"""

from typing import Any, Dict, List, Literal, Mapping, NamedTuple, Optional, TypedDict, Union

from gamboge.common.errors import GambogeError
from gamboge.lake import cursor
from gamboge.lake.cursor import Cursor

# The current format of each kind of document; a reader knows formats 1 … FORMAT of its kind.
LANDING_MANIFEST_FORMAT = 2  # 2: xmin capture (capture, deleted, audit, snapshot_xids)
PROCESSED_MANIFEST_FORMAT = 2  # 2: bucketed entries (dim_transaction, current transaction): gamboge.lake.buckets
INGEST_BOOKMARK_FORMAT = 2  # 2: per table the snapshot xmin and a row count, no last_updated watermark
TRANSFORM_BOOKMARK_FORMAT = 2  # 2: a cursor over the landing manifests instead of every consumed id
COMMITTED_STATE_FORMAT = 1
CHECK_CHECKPOINT_FORMAT = 1
# A document without a "format" key was written before formats existed: that is format 1.
UNVERSIONED = 1

FORMAT_KEY = "format"


class ContractError(GambogeError, ValueError):
    """A manifest or bookmark this version cannot read: an unknown format, or the wrong kind."""


# --- landing data files: <lake>/landing/<table>/ingest_date=<date>/<run_id>-<n>.jsonl[.gz] ---------
# The run that wrote a file is its name up to the last separator: a run id holds dashes, the file's
# number and suffix none. The ingest names files so; the transform (in Spark) and the check read it.
LANDING_FILE_SEPARATOR = "-"
LANDING_FILE_SUFFIXES = (".jsonl", ".jsonl.gz")


def landing_file_name(run_id: str, number: int, compressed: bool) -> str:
    return f"{run_id}{LANDING_FILE_SEPARATOR}{number}{LANDING_FILE_SUFFIXES[1 if compressed else 0]}"


def run_id_of_landing_file(uri: str) -> str:
    return uri.rsplit("/", 1)[-1].rsplit(LANDING_FILE_SEPARATOR, 1)[0]


# --- landing manifest: <lake>/landing/_manifests/<run_id>.json, written by ingest -------------------
class LandedFileEntry(TypedDict):
    """One landing file (``ingest.LandedFile``)."""

    uri: str
    rows: int
    bytes: int  # after compression: what storage holds
    kind: Literal["full", "incremental", "audit", "reconcile"]  # "reconcile": format 1 only


class XminWindowEntry(TypedDict):
    """The 32-bit xmin values an incremental read selected (``ingest.capture.XminWindow``)."""

    low: int
    high: int
    wraps: int


class CaptureEntry(TypedDict):
    """How the run read the table: ``kind`` full | incremental | audit, and why."""

    kind: str
    reason: str
    window: Optional[XminWindowEntry]  # incremental only
    read: int  # row versions read (the whole table for full and audit)
    unchanged: int  # read, but with the content already landed: not landed again


class AuditCounts(TypedDict):
    """What a full content-hash audit found against the fingerprints (and landed)."""

    changed: int
    new: int
    deleted: int


class DeletedEntry(TypedDict):
    rows: int  # rows gone from the source since the previous run
    ids: List[int]  # the first of them (at most 1,000), in id order


class SchemaDrift(TypedDict):
    added: List[str]  # live columns the schema does not know, carried into landing
    dropped: List[str]  # always empty: a missing column stops the run


class LandingTableEntry(TypedDict):
    rows: int
    files: List[LandedFileEntry]
    capture: Optional[CaptureEntry]  # None: written by format 1
    deleted: Optional[DeletedEntry]  # None: nothing deleted (or format 1)
    audit: Optional[AuditCounts]  # None: no audit this run
    schema_drift: SchemaDrift


class LandingManifest(TypedDict):
    format: int
    job: Literal["ingest"]
    run_id: str
    snapshot_time: str  # the source snapshot's statement_timestamp(), ISO-8601
    snapshot_xids: Optional[Dict[str, int]]  # {"xmin", "xmax"} epoch-qualified; None: format 1
    bookmark_option: str  # bookmarks.ENABLE | DISABLE | PAUSE
    empty: bool  # no table landed a row
    tables: Dict[str, LandingTableEntry]


# --- processed manifest: <lake>/processed/_manifests/<batch_id>.json, written by transform ----------
class _DimensionTableEntry(TypedDict):
    kind: Literal["dimension"]
    location: str  # the snapshot=<batch> prefix readers use
    rows: int


class DimensionTableEntry(_DimensionTableEntry, total=False):
    carried_over: bool  # True: not rebuilt by this batch, copied from the previous manifest


class FactTableEntry(TypedDict):
    kind: Literal["fact"]
    files: List[str]  # the fact files this batch added (new versions only)
    rows: int
    partitions: List[str]  # created_month values of those files


class BucketedEntry(TypedDict):
    """A table kept in id-range buckets (gamboge.lake.buckets), as a current state."""

    bucket_span: int  # ids per bucket: bucket = key DIV bucket_span
    buckets: Dict[str, str]  # bucket → its current snapshot prefix (carried over when unchanged)
    changed: List[str]  # the buckets this batch rewrote
    rows: int  # the table's rows
    changed_rows: int  # the rows of the changed buckets


class _BucketedDimensionEntry(BucketedEntry):
    kind: Literal["dimension"]


class BucketedDimensionEntry(_BucketedDimensionEntry, total=False):
    carried_over: bool  # True: no bucket rewritten by this batch (``changed`` is empty)


ProcessedTableEntry = Union[DimensionTableEntry, BucketedDimensionEntry, FactTableEntry]


class ProcessedManifest(TypedDict):
    format: int
    job: Literal["transform"]
    run_id: str  # equals batch_id
    batch_id: str  # the newest consumed landing run id (a fresh id for a full rebuild)
    inputs: List[str]  # landing run ids this batch consumed
    landed: Dict[str, int]  # source table → rows read from landing
    rejected: Dict[str, int]  # source table → rows quarantined
    rejects_uri: Optional[str]  # where the rejected rows and reasons are, if any
    tables: Dict[str, ProcessedTableEntry]  # star table → its entry
    current: Dict[str, Union[str, BucketedEntry]]  # source table → its current-state snapshot prefix, or buckets
    date_range: Optional[List[str]]  # [first, last] ISO date any fact references
    seconds: float


Manifest = Union[LandingManifest, ProcessedManifest]


# --- bookmarks: <state>/<job>/bookmark.json ------------------------------------------------------
class _IngestTableState(TypedDict):
    fingerprints: List[str]  # baseline first, then deltas (state URIs)
    columns: List[str]  # the live columns of the last run


class IngestTableState(_IngestTableState, total=False):
    xmin: int  # the epoch-qualified snapshot xmin of the last run; absent: upgraded from format 1
    rows: Optional[int]  # live rows the fingerprints hold; absent: upgraded from format 1
    audited_at: str  # snapshot time of the last audit or full extract
    audited_epoch: float  # the same, in epoch seconds


class IngestBookmark(TypedDict, total=False):
    """Every key is written; ``bookmarks.load`` gives ``{}`` when there is no bookmark yet."""

    format: int
    job: Literal["ingest"]
    run_id: str  # the run that wrote it
    snapshot_time: str
    manifest: str  # URI of that run's landing manifest
    tables: Dict[str, IngestTableState]


class TransformBookmark(TypedDict, total=False):
    """Every key is written; ``bookmarks.load`` gives ``{}`` when there is no bookmark yet."""

    format: int
    landing: Cursor  # the landing manifests already transformed (or found empty)
    updated_at: str  # UTC, ISO-8601


Bookmark = Union[IngestBookmark, TransformBookmark]


# --- committed state: <lake>/processed/_committed.json, written by transform ------------------------
class CommittedState(TypedDict):
    """What a reader of the processed zone sees, folded from the processed manifests and the
    compaction records up to the two cursors; the manifests and records stay the truth."""

    format: int
    manifests: Cursor  # processed manifests folded in
    compactions: Cursor  # compaction records folded in
    head: Optional[str]  # the newest committed batch: its manifest holds the current snapshots
    files: Dict[str, List[str]]  # fact table → its committed files, sorted
    rows: Dict[str, int]  # fact table → rows the folded manifests committed


# --- check checkpoint: <state>/check/checkpoint.json, written by `gamboge check` --------------------
class DeletedTotals(TypedDict):
    rows: int
    ids: List[int]  # the first ids (at most report.SAMPLE are shown), in the order recorded


class CheckCheckpoint(TypedDict):
    """What earlier checks verified, so that the next one reads only what is new."""

    format: int
    landing: Cursor  # landing manifests verified (files exist, counted)
    processed: Cursor  # processed batches verified (landed = processed + rejected, loaded)
    landed: Dict[str, int]  # source table → rows the verified landing manifests list
    rejected: Dict[str, int]  # source table → rows the verified batches quarantined
    rejects: List[str]  # rejects_uri of every verified batch that quarantined a row
    deleted: Dict[str, DeletedTotals]  # source table → deletes the ingest recorded
    audits: Dict[str, List[Any]]  # source table → [run id, AuditCounts] of its latest audit after an incremental read


# --- format stamps and checks ----------------------------------------------------------------------
class Kind(NamedTuple):
    """One kind of document: what to call it in a message, and its current format."""

    name: str
    format: int


LANDING_MANIFEST = Kind("landing manifest", LANDING_MANIFEST_FORMAT)
PROCESSED_MANIFEST = Kind("processed manifest", PROCESSED_MANIFEST_FORMAT)
INGEST_BOOKMARK = Kind("ingest bookmark", INGEST_BOOKMARK_FORMAT)
TRANSFORM_BOOKMARK = Kind("transform bookmark", TRANSFORM_BOOKMARK_FORMAT)
COMMITTED_STATE = Kind("committed state", COMMITTED_STATE_FORMAT)
CHECK_CHECKPOINT = Kind("check checkpoint", CHECK_CHECKPOINT_FORMAT)

MANIFEST_KINDS: Dict[str, Kind] = {"ingest": LANDING_MANIFEST, "transform": PROCESSED_MANIFEST}  # by "job"
BOOKMARK_KINDS: Dict[str, Kind] = {"ingest": INGEST_BOOKMARK, "transform": TRANSFORM_BOOKMARK}  # by job


def manifest_kind(document: Mapping[str, Any], where: str) -> Kind:
    """The kind of a manifest, from the stage that wrote it (its ``job``)."""
    job = document.get("job")
    kind = MANIFEST_KINDS.get(job) if isinstance(job, str) else None
    if kind is None:
        raise ContractError(
            f"{where}: not a manifest this version reads: job {document.get('job')!r}, expected one of "
            + ", ".join(sorted(MANIFEST_KINDS))
        )
    return kind


def bookmark_kind(job: str) -> Kind:
    kind = BOOKMARK_KINDS.get(job)
    if kind is None:
        raise ContractError(f"no bookmark contract for job {job!r}; known: " + ", ".join(sorted(BOOKMARK_KINDS)))
    return kind


def stamped(document: Mapping[str, Any], kind: Kind) -> Dict[str, Any]:
    """A copy of ``document`` carrying the current format of its kind."""
    out = dict(document)
    out[FORMAT_KEY] = kind.format
    return out


def checked(document: Any, kind: Kind, where: str) -> Dict[str, Any]:
    """``document`` as the current format of ``kind``; refuses one this version does not know.

    No ``format`` key: written before formats existed, so format 1 (:data:`UNVERSIONED`); every
    lake written so far must keep working. When a kind's FORMAT is raised, upgrade the older
    formats here, one step at a time, so that readers only ever see the current one."""
    if not isinstance(document, dict):
        raise ContractError(f"{where}: a {kind.name} is a JSON object, not {type(document).__name__}")
    version = document.get(FORMAT_KEY, UNVERSIONED)
    known = isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= kind.format
    if not known:
        reads = "format 1" if kind.format == 1 else f"formats 1 to {kind.format}"
        raise ContractError(
            f"{where}: {kind.name} format {version!r} is not one this version of gamboge reads ({reads});"
            " a newer gamboge wrote it, or something else did"
        )
    upgraded = dict(document)
    for step in range(version, kind.format):
        upgraded = _UPGRADES[(kind.name, step)](upgraded)
    upgraded[FORMAT_KEY] = kind.format
    return upgraded


# --- upgrades, one format step each: (kind name, from format) → the document one format later -------
def _landing_manifest_1_to_2(document: Dict[str, Any]) -> Dict[str, Any]:
    """Format 1 read last_updated watermarks: its capture, deletes and audits are unknown (None)."""
    tables = {}
    for name, entry in document.get("tables", {}).items():
        entry = {k: v for k, v in entry.items() if k not in ("low_watermark", "high_watermark", "reconciled")}
        tables[name] = dict(entry, capture=None, deleted=None, audit=None)
    return dict(document, tables=tables, snapshot_xids=None)


def _ingest_bookmark_1_to_2(document: Dict[str, Any]) -> Dict[str, Any]:
    """Format 1 kept a last_updated watermark: its fingerprints stay, and with no ``xmin`` the
    next run audits each table once against them, which starts xmin capture exactly."""
    tables = {}
    for name, entry in document.get("tables", {}).items():
        kept = {k: entry[k] for k in ("fingerprints", "columns") if k in entry}
        if "reconciled_epoch" in entry:
            kept.update(audited_at=entry.get("reconciled_at"), audited_epoch=entry["reconciled_epoch"])
        tables[name] = kept
    return dict(document, tables=tables)


def _transform_bookmark_1_to_2(document: Dict[str, Any]) -> Dict[str, Any]:
    """Format 1 listed every consumed landing run id: the cursor that has taken them."""
    upgraded = {k: v for k, v in document.items() if k != "consumed"}
    return dict(upgraded, landing=cursor.of(document.get("consumed", [])))


def _processed_manifest_1_to_2(document: Dict[str, Any]) -> Dict[str, Any]:
    """Format 1 named one whole-table snapshot of every table: format 2 still reads such an entry
    (gamboge.lake.buckets.locations), and the next batch rewrites it as buckets."""
    return document


_UPGRADES = {
    (PROCESSED_MANIFEST.name, 1): _processed_manifest_1_to_2,
    (LANDING_MANIFEST.name, 1): _landing_manifest_1_to_2,
    (INGEST_BOOKMARK.name, 1): _ingest_bookmark_1_to_2,
    (TRANSFORM_BOOKMARK.name, 1): _transform_bookmark_1_to_2,
}
