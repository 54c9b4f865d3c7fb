"""What earlier checks verified, so that the next one reads only what is new: ``<state>/check/checkpoint.json``.

Batch accounting only ever needs the documents committed since the last check that passed: each
landing manifest's files and rows, each processed batch against the landing manifests it read,
each batch in the load log. The checkpoint (a ``contracts.CheckCheckpoint``) holds the two cursors
that say how far that went and the running totals the report shows (rows landed and quarantined
per source table, the deletes and latest audits the ingest recorded, where the rejects are). It
is written last, and only by a check that found no error: a crash or a failing check leaves the
previous one, and the next check verifies the same documents again. ``gamboge check --full``
starts from an empty checkpoint and so walks every manifest.

The checkpoint holds totals the check reports, never a copy of what another record holds: the
committed fact files, rows and snapshots are the committed state's (``gamboge.lake.committed``).
"""

from typing import Any, Dict, List, NamedTuple, Optional, cast

from gamboge.lake import contracts, cursor, documents, manifests, storage
from gamboge.lake.contracts import CheckCheckpoint

DELETED_IDS_KEPT = 1000  # as many as one landing manifest records per table


def checkpoint_uri(state_uri: str) -> str:
    return storage.join(state_uri, "check", "checkpoint.json")


def empty() -> CheckCheckpoint:
    return {
        "format": contracts.CHECK_CHECKPOINT_FORMAT,
        "landing": cursor.EMPTY,
        "processed": cursor.EMPTY,
        "landed": {},
        "rejected": {},
        "rejects": [],
        "deleted": {},
        "audits": {},
    }


def load(state_uri: str) -> CheckCheckpoint:
    return cast(CheckCheckpoint, documents.read(checkpoint_uri(state_uri), contracts.CHECK_CHECKPOINT, empty))


def save(state_uri: str, checkpoint: CheckCheckpoint) -> None:
    documents.write(checkpoint_uri(state_uri), checkpoint, contracts.CHECK_CHECKPOINT)


class New(NamedTuple):
    """What was committed since a checkpoint."""

    landing: Dict[str, Dict[str, Any]]  # run id → landing manifest, oldest first
    processed: Dict[str, Dict[str, Any]]  # batch id → processed manifest, oldest first
    landing_listed: List[str]  # every landing run id the listing saw (the window, and what is new)
    since: Optional[str]  # where that listing started (None: from the beginning)


def read_new(landing_uri: str, processed_uri: str, since: CheckCheckpoint) -> New:
    start = cursor.listing_start(since["landing"])
    listed = manifests.list_run_ids(landing_uri, start)
    landing = {
        r: dict(manifests.read_landing_manifest(manifests.manifest_uri(landing_uri, r)))
        for r in cursor.unseen(since["landing"], listed)
    }
    processed = {
        b: dict(manifests.read_processed_manifest(manifests.manifest_uri(processed_uri, b)))
        for b in manifests.unseen_run_ids(processed_uri, since["processed"])
    }
    return New(landing, processed, listed, start)


def batch_inputs(landing_uri: str, new: New) -> Dict[str, Dict[str, Any]]:
    """The landing manifests the new batches read (new ones, or older ones read again by id); an
    input with no manifest is absent."""
    out = dict(new.landing)
    for body in new.processed.values():
        for run_id in body.get("inputs", []):
            uri = manifests.manifest_uri(landing_uri, run_id)
            if run_id not in out and storage.exists(uri):
                out[run_id] = dict(manifests.read_landing_manifest(uri))
    return out


def _added(totals: Dict[str, int], more: Dict[str, Any]) -> Dict[str, int]:
    out = dict(totals)
    for table, count in more.items():
        out[table] = out.get(table, 0) + int(count or 0)
    return out


def advanced(since: CheckCheckpoint, new: New) -> CheckCheckpoint:
    """``since`` with the new documents folded in (pure)."""
    landed, deleted, audits = dict(since["landed"]), dict(since["deleted"]), dict(since["audits"])
    for run_id, body in new.landing.items():  # oldest first
        landed = _added(landed, {t: e.get("rows") for t, e in body.get("tables", {}).items()})
        for table, entry in body.get("tables", {}).items():
            if entry.get("deleted"):
                before = deleted.get(table, {"rows": 0, "ids": []})
                ids = sorted([*before["ids"], *entry["deleted"]["ids"]], key=str)[:DELETED_IDS_KEPT]
                deleted[table] = {"rows": before["rows"] + entry["deleted"]["rows"], "ids": ids}
            capture = entry.get("capture") or {}
            if entry.get("audit") is not None and capture.get("kind") == "incremental":
                if table not in audits or audits[table][0] < run_id:
                    audits[table] = [run_id, entry["audit"]]
    rejected = dict(since["rejected"])
    rejects = list(since["rejects"])
    for body in new.processed.values():
        rejected = _added(rejected, body.get("rejected") or {})
        if body.get("rejects_uri"):
            rejects.append(body["rejects_uri"])
    return dict(  # type: ignore[return-value]
        since,
        landing=cursor.advanced(since["landing"], new.landing),
        processed=cursor.advanced(since["processed"], new.processed),
        landed=landed,
        rejected=rejected,
        rejects=rejects,
        deleted=deleted,
        audits=audits,
    )
