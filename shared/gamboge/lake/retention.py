"""Superseded snapshots: deleted once nothing reads them, the newest batches' kept for rollback.

Every transform batch writes the dimensions and current-state tables it changed to a new prefix,
``<table root>/snapshot=<batch>`` (a bucketed table, gamboge.lake.buckets: each bucket it rewrote to
``<table root>/transaction_bucket=<n>/snapshot=<batch>``), and its processed manifest names the
snapshot of every table, or of every bucket (new or carried over). A bucket no batch has touched
for a while is still read at the snapshot of the batch that last wrote it, however old. A snapshot
is still needed while a manifest that may be read names it:

- the newest ``keep`` processed manifests: the newest is where the catalog points (Athena and the
  next transform read it), the ones before it are the rollback depth and cover queries that
  started before the catalog moved;
- every manifest the warehouse has not loaded: the load reads each batch's snapshots from its
  own manifest, however far it lags behind the transform.

Every other snapshot older than the newest committed batch is deleted: superseded ones, and those
of a transform that crashed before its manifest and was then run again under a newer batch id.
A snapshot newer than the newest commit may be a running transform's and is left alone. A crash
while deleting leaves snapshots no kept manifest names, which the next run deletes.

Python 3.9 compatible: lake/ is on the Python-shell path.
"""

from typing import Any, Dict, Iterable, List, Mapping, Optional, Set

from gamboge.common import faults, logs
from gamboge.lake import buckets, manifests, storage

DEFAULT_KEEP_BATCHES = 2  # the current state and the one before it (Athena's query timeout is 30 min)
SNAPSHOT = "snapshot="
CRASH_MID_DELETE = "retention:mid-delete"  # one superseded snapshot deleted, the others not yet
log = logs.get("retention")


def named_snapshots(bodies: Iterable[Mapping[str, Any]]) -> Set[str]:
    """Every snapshot location the processed manifests ``bodies`` name (dimensions and current state)."""
    named: Set[str] = set()
    for body in bodies:
        named.update(buckets.all_locations(body.get("tables", {}).values()))
        named.update(buckets.all_locations(body.get("current", {}).values()))
    return named


def table_root(snapshot: str) -> str:
    """``<root>/snapshot=<batch>`` or ``<root>/transaction_bucket=<n>/snapshot=<batch>`` → ``<root>``:
    listing the table's root finds its bucket snapshots and any whole-table snapshot of before
    the buckets (a lake upgraded from manifest format 1)."""
    head = snapshot.rsplit("/" + SNAPSHOT, 1)[0]
    parent, _, last = head.rpartition("/")
    return parent if last.startswith(buckets.BUCKET_COLUMN + "=") else head


def snapshot_of(uri: str) -> Optional[str]:
    """``…/dim_x/snapshot=<batch>`` for any object below it; None outside a snapshot."""
    head, found, tail = uri.partition("/" + SNAPSHOT)
    return f"{head}/{SNAPSHOT}{tail.split('/', 1)[0]}" if found else None


def batch_of(snapshot: str) -> str:
    return snapshot.rsplit("/" + SNAPSHOT, 1)[1]


def superseded(objects: Iterable[str], needed: Set[str], newest_batch: str) -> List[str]:
    """The snapshots ``objects`` lie in that no needed manifest names and that are older than the
    newest committed batch."""
    snapshots = {s for s in (snapshot_of(u) for u in objects) if s}
    return sorted(s for s in snapshots if s not in needed and batch_of(s) < newest_batch)


def check_keep(keep: int) -> int:
    if keep < 1:
        raise ValueError(f"at least the newest batch's snapshots are kept (it is the current state), not {keep}")
    return keep


def needed_batches(run_ids: List[str], loaded: Set[str], keep: int) -> List[str]:
    """The batches whose manifests may still be read: the newest ``keep`` and every one not loaded."""
    check_keep(keep)
    newest = set(run_ids[-keep:])
    return [r for r in run_ids if r in newest or r not in loaded]


def remove_superseded(
    processed_uri: str, run_ids: List[str], loaded: Set[str], keep: int = DEFAULT_KEEP_BATCHES
) -> Dict[str, int]:
    """Delete the snapshots no needed manifest names (``run_ids``: the committed processed
    batches, oldest first; ``loaded``: those the warehouse has loaded)."""
    if not run_ids:
        return {"snapshots_deleted": 0, "objects_deleted": 0}
    bodies = [
        manifests.read_processed_manifest(manifests.manifest_uri(processed_uri, r))
        for r in needed_batches(run_ids, loaded, keep)
    ]
    needed = named_snapshots(bodies)
    # The table roots come from the manifests themselves: whatever tables the transform
    # snapshots, their roots are where their snapshots are.
    roots = sorted({table_root(location) for location in needed})
    doomed = [s for root in roots for s in superseded(storage.list_uris(root), needed, run_ids[-1])]
    objects = 0
    for n, snapshot in enumerate(doomed):
        objects += storage.delete_prefix(snapshot)
        if n == 0:
            faults.crash_point(CRASH_MID_DELETE)
    summary = {"snapshots_deleted": len(doomed), "objects_deleted": objects}
    logs.event(log, "superseded snapshots deleted", **summary)
    return summary
