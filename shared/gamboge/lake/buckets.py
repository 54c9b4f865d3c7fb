"""Range buckets of the tables that grow with the facts: one place for their layout and their
manifest entries, read by every stage (plain Python, no Spark).

``transaction`` (one row per order) and ``dim_transaction`` grow with the history, so a batch
rewrites only the id ranges it touched instead of the whole table. ``transaction_id`` is a serial:
new rows get growing ids, so a range bucket (``transaction_id DIV BUCKET_SPAN``) takes a day's new
rows in the last bucket (two at a boundary), and an update of an old row touches its own bucket
only. Hash buckets would scatter every day's rows over every bucket.

Layout: ``<table root>/transaction_bucket=<n>/snapshot=<batch>/<batch>-<n>.parquet``. The bucket
comes first so that each bucket's snapshots are one listing and retention keeps or deletes each
bucket's snapshot on its own (an unchanged bucket keeps pointing at the batch that last wrote it,
while the buckets written beside it are superseded).

Manifest entry of a bucketed table (a dimension in ``tables``, a current state in ``current``)::

    {"bucket_span": 65536, "buckets": {"0": "<location>", ...}, "changed": ["0"], "rows": 16042,
     "changed_rows": 16042}

``buckets``: every bucket's current snapshot (unchanged ones carried over from the previous
manifest); ``changed``: the buckets this batch wrote (the load upserts their rows, and only
theirs); ``rows``: the table's rows; ``changed_rows``: the rows of the changed buckets. A
dimension entry also has ``kind`` (and ``carried_over`` when the batch wrote no bucket). Manifests
of format 1 name one whole-table ``location`` (a dimension) or one prefix (a current state):
``locations`` reads both shapes, and the next batch rewrites every bucket from such a snapshot.

Python 3.9 compatible: lake/ is on the Python-shell path.
"""

from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

# 65,536 ids per bucket: at ~21 new transactions a day the last bucket takes years to fill, so a
# day's batch rewrites at most 65,536 rows (one Parquet file well under a megabyte, seconds of
# Spark at most), while the table stays a handful of partitions (16k transactions at scale 1 are
# one bucket, 1.6M at scale 100 are 25): few enough files for Athena and few Glue partitions.
BUCKET_SPAN = 65_536
BUCKET_COLUMN = "transaction_bucket"
# Bucketed table → the serial key its buckets are ranges of (source tables and star tables).
BUCKETED_KEYS: Dict[str, str] = {"transaction": "transaction_id", "dim_transaction": "transaction_id"}

Entry = Union[str, Mapping[str, Any]]


def is_bucketed(entry: Optional[Entry]) -> bool:
    return isinstance(entry, Mapping) and "buckets" in entry


def bucket_of(key: int, span: int) -> int:
    """The bucket of one key (what the Spark expression computes for every row)."""
    return key // span


def bucket_dir(bucket: Union[int, str]) -> str:
    return f"{BUCKET_COLUMN}={bucket}"


def bucket_in(uri: str) -> str:
    """The bucket a ``…/transaction_bucket=<n>/…`` uri lies in."""
    return [p for p in uri.split("/") if p.startswith(BUCKET_COLUMN + "=")][0].split("=", 1)[1]


def locations(entry: Optional[Entry]) -> List[str]:
    """Every snapshot location of a manifest entry, bucketed or not: what a reader of the whole
    table reads (and what retention keeps)."""
    if entry is None:
        return []
    if isinstance(entry, str):
        return [entry]
    if is_bucketed(entry):
        return [entry["buckets"][b] for b in sorted(entry["buckets"], key=int)]
    return [entry["location"]] if entry.get("location") else []


def changed_locations(entry: Entry) -> List[str]:
    """The snapshots a batch wrote: the changed buckets of a bucketed entry, else the whole table."""
    if isinstance(entry, Mapping) and is_bucketed(entry):
        return [entry["buckets"][b] for b in sorted(entry["changed"], key=int)]
    return locations(entry)


def changed_rows(entry: Mapping[str, Any]) -> int:
    """The rows of the snapshots ``changed_locations`` names."""
    return int(entry["changed_rows"] if is_bucketed(entry) else entry.get("rows") or 0)


def prior_buckets(entry: Optional[Entry], span: int) -> Optional[Dict[str, str]]:
    """The previous batch's bucket locations, when they can be merged bucket by bucket; None when
    the previous entry is of another shape (format 1, whole table) or span: then every bucket is
    rewritten from its whole snapshot (``locations``)."""
    if isinstance(entry, Mapping) and is_bucketed(entry) and int(entry["bucket_span"]) == span:
        return dict(entry["buckets"])
    return None


def updated_entry(
    prior: Optional[Dict[str, str]], written: Mapping[str, str], rows: int, written_rows: int, span: int
) -> Dict[str, Any]:
    """The entry after a batch wrote ``written`` (bucket → its new snapshot) over ``prior`` (the
    previous buckets; None: nothing is carried over, the batch wrote every bucket). ``rows``: the
    table's rows now; ``written_rows``: the rows of the buckets written. Both are counted by the
    writes, so no bucket is read to count it."""
    return {
        "bucket_span": span,
        "buckets": dict(prior or {}, **written),
        "changed": sorted(written, key=int),
        "rows": rows,
        "changed_rows": written_rows,
    }


def carried_over(entry: Entry) -> Entry:
    """A previous batch's entry as the next manifest carries it: the same snapshots, none changed."""
    return dict(entry, changed=[], changed_rows=0) if isinstance(entry, Mapping) and is_bucketed(entry) else entry


def all_locations(entries: Iterable[Optional[Entry]]) -> List[str]:
    return [location for entry in entries for location in locations(entry)]
