"""Which processed-zone files exist for readers: the lake's commit rule, in one place.

A fact file is *committed* when a processed manifest names it, or a compaction record names it
as the merge of a partition, and no compaction record retires it (lists it under ``replaces``).
Every other ``.parquet`` under a fact table, and everything under ``_staging``, is an orphan of
an interrupted run: readers never see it, and the next transform deletes it. Transform, check,
compact and the tests all ask this module.

Python 3.9 compatible: common/ and lake/ are on the Python-shell path.
"""

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from gamboge.common import schema
from gamboge.lake import manifests, storage

COMPACTIONS = "_compactions"  # processed/_compactions/<run>.json: what `gamboge compact` merged
STAGING = "_staging"


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


def remove_orphans(processed_uri: str) -> int:
    """Delete staging output and every uncommitted fact file; the number removed."""
    removed = storage.delete_prefix(storage.join(processed_uri, STAGING))
    for uris in fact_orphans(processed_uri).values():
        for uri in uris:
            storage.delete(uri)
            removed += 1
    return removed
