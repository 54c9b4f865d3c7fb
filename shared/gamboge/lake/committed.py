"""Which processed-zone files exist for readers: the lake's commit rule, in one place.

A fact file is *committed* when a processed manifest names it, or a compaction record names it
as the merge of a partition, and no compaction record retires it (lists it under ``replaces``).
Every other ``.parquet`` under a fact table, and everything under ``_staging``, is an orphan of
an interrupted run: readers never see it, and the next transform deletes it. Transform, check,
compact and the tests all ask this module.

The committed state (``processed/_committed.json``, a ``contracts.CommittedState``) is that rule
folded over the manifests and compaction records up to two cursors, with the newest batch and the
fact rows committed, so that no reader reads the whole history on every run: ``current`` reads
it and folds in what was committed since (one listing of each log from its cursor's window, and
the new documents). It is a checkpoint, never the truth: the manifests and records are. A crash
before it is written costs the next reader a few more documents to fold; a lost or deleted one is
rebuilt from the logs. The transform writes it after its bookmark; anyone may, since folding the
same documents again changes nothing.

Within one fold the compaction records are listed before the manifests: a record replaces only
files committed before the compaction started, so every manifest it depends on is in the later
listing, and folding the manifests first never lets a record retire a file not yet added.

Python 3.9 compatible: common/ and lake/ are on the Python-shell path.
"""

import json
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Set, Tuple, cast

from gamboge.common import schema
from gamboge.lake import contracts, cursor, documents, manifests, storage
from gamboge.lake.contracts import CommittedState

COMPACTIONS = "_compactions"  # processed/_compactions/<run>.json: what `gamboge compact` merged
STAGING = "_staging"
STATE = "_committed.json"


# --- the committed state ----------------------------------------------------------------------------
def state_uri(processed_uri: str) -> str:
    return storage.join(processed_uri, STATE)


def empty_state() -> CommittedState:
    return {
        "format": contracts.COMMITTED_STATE_FORMAT,
        "manifests": dict(cursor.EMPTY),  # type: ignore[typeddict-item]
        "compactions": dict(cursor.EMPTY),  # type: ignore[typeddict-item]
        "head": None,
        "files": {fact.name: [] for fact in schema.FACTS},
        "rows": {fact.name: 0 for fact in schema.FACTS},
    }


def read_state(processed_uri: str) -> CommittedState:
    """The saved checkpoint (an empty state when there is none); refuses an unknown format."""
    return cast(CommittedState, documents.read(state_uri(processed_uri), contracts.COMMITTED_STATE, empty_state))


def save_state(processed_uri: str, state: CommittedState) -> None:
    documents.write(state_uri(processed_uri), state, contracts.COMMITTED_STATE)


def with_manifest(state: CommittedState, batch_id: str, body: Mapping[str, Any]) -> CommittedState:
    """``state`` once the processed manifest ``batch_id`` is folded in (pure)."""
    files = {name: set(uris) for name, uris in state["files"].items()}
    rows = dict(state["rows"])
    for name, entry in body.get("tables", {}).items():
        if entry.get("kind") == "fact":
            files.setdefault(name, set()).update(entry.get("files", []))
            rows[name] = rows.get(name, 0) + int(entry.get("rows") or 0)
    head = state["head"]
    return dict(  # type: ignore[return-value]
        state,
        manifests=cursor.advanced(state["manifests"], [batch_id]),
        head=batch_id if head is None or batch_id > head else head,
        files={name: sorted(uris) for name, uris in files.items()},
        rows=rows,
    )


def with_compaction(state: CommittedState, record_id: str, record: Mapping[str, Any]) -> CommittedState:
    """``state`` once the compaction record ``record_id`` is folded in (pure)."""
    files = {name: set(uris) for name, uris in state["files"].items()}
    for partition in record["partitions"]:
        table = files.setdefault(partition["table"], set())
        table.difference_update(partition["replaces"])
        table.add(partition["file"])
    return dict(  # type: ignore[return-value]
        state,
        compactions=cursor.advanced(state["compactions"], [record_id]),
        files={name: sorted(uris) for name, uris in files.items()},
    )


class Folded(NamedTuple):
    state: CommittedState
    batches: List[str]  # processed manifests committed since the checkpoint, oldest first
    compactions: List[str]  # compaction records committed since the checkpoint


def current(processed_uri: str, since: Optional[CommittedState] = None) -> Folded:
    """The committed state now: the checkpoint (or ``since``) and everything committed after it."""
    state = read_state(processed_uri) if since is None else since
    records_dir = storage.join(processed_uri, COMPACTIONS)
    # Records first, manifests second (see the module docstring).
    new_records = cursor.unseen(
        state["compactions"], manifests.run_ids_in(records_dir, cursor.listing_start(state["compactions"]))
    )
    new_batches = manifests.unseen_run_ids(processed_uri, state["manifests"])
    for batch_id in new_batches:
        state = with_manifest(
            state, batch_id, manifests.read_processed_manifest(manifests.manifest_uri(processed_uri, batch_id))
        )
    for record_id in new_records:
        record = json.loads(storage.read_text(storage.join(records_dir, record_id + ".json")))
        state = with_compaction(state, record_id, record)
    return Folded(state, new_batches, new_records)


def refresh(processed_uri: str) -> CommittedState:
    """Fold what was committed since the checkpoint into it and save it (when anything was)."""
    folded = current(processed_uri)
    if folded.batches or folded.compactions:
        save_state(processed_uri, folded.state)
    return folded.state


def file_set(state: CommittedState) -> Set[str]:
    return {uri for uris in state["files"].values() for uri in uris}


# --- the rule, from the documents themselves ----------------------------------------------------------


def compaction_records(processed_uri: str) -> List[Dict[str, Any]]:
    prefix = storage.join(processed_uri, COMPACTIONS)
    return [json.loads(storage.read_text(u)) for u in storage.list_uris(prefix, suffix=".json")]


def compacted_and_replaced(processed_uri: str) -> Tuple[Set[str], Set[str]]:
    """Files compaction committed, and files it replaced (orphans once the record exists)."""
    written: Set[str] = set()
    replaced: Set[str] = set()
    for record in compaction_records(processed_uri):
        for partition in record["partitions"]:
            written.add(partition["file"])
            replaced.update(partition["replaces"])
    return written - replaced, replaced


def manifest_files(processed_uri: str, bodies: Optional[Iterable[Mapping[str, Any]]] = None) -> Set[str]:
    """Every file the processed manifests name (``bodies``: manifests the caller already read)."""
    if bodies is None:
        bodies = (
            manifests.read_processed_manifest(manifests.manifest_uri(processed_uri, run_id))
            for run_id in manifests.list_run_ids(processed_uri)
        )
    return {uri for body in bodies for entry in body.get("tables", {}).values() for uri in entry.get("files", [])}


def committed_fact_files(processed_uri: str, bodies: Optional[Iterable[Mapping[str, Any]]] = None) -> Set[str]:
    """The committed fact files: from the committed state, or, given ``bodies`` (every processed
    manifest), from those and every compaction record (what ``gamboge check --full`` compares)."""
    if bodies is None:
        return file_set(current(processed_uri).state)
    compacted, replaced = compacted_and_replaced(processed_uri)
    return (manifest_files(processed_uri, bodies) | compacted) - replaced


def fact_orphans(processed_uri: str, committed: Optional[Set[str]] = None) -> Dict[str, List[str]]:
    """fact table → its files that no commit names."""
    committed = committed_fact_files(processed_uri) if committed is None else committed
    return {
        fact.name: [
            uri
            for uri in storage.list_uris(storage.join(processed_uri, fact.name), suffix=".parquet")
            if uri not in committed
        ]
        for fact in schema.FACTS
    }


def remove_orphans(processed_uri: str, committed: Optional[Set[str]] = None) -> int:
    """Delete staging output and every uncommitted fact file; the number removed.

    A listing of the fact tables' files, compared with the committed set: its cost follows the
    files the tables hold (compaction keeps them to a few per partition), not the runs."""
    removed = storage.delete_prefix(storage.join(processed_uri, STAGING))
    for uris in fact_orphans(processed_uri, committed).values():
        for uri in uris:
            storage.delete(uri)
            removed += 1
    return removed
