"""Merge the small fact files of each partition into one, crash-safe; the lake's side of compaction.

Every transform batch adds at most one file per month it touches; at ToteSys's rate (~30 rows a
day, a run every half hour) a month would collect hundreds of tiny files, which Athena pays for
per file. Compaction rewrites every partition holding at least ``min_files`` mergeable files as
one file, so a partition never holds more than ``min_files - 1`` of them, plus one per batch the
warehouse has not loaded yet.

Only files of loaded batches (and earlier merges) are merged: the load job reads a batch's own
files, named by its manifest, so those of a batch still waiting must stay as they are.

Crash safety, with the commit rule of gamboge.lake.committed:
1. each merged file is written (``compacted-<run>.parquet``; no record names it yet, so readers
   that follow the commit rule do not see it);
2. one compaction record under ``processed/_compactions/`` names every merged file and the files
   it replaces (from then on the merged files are committed and the replaced ones are not);
3. the replaced files are deleted.
A rerun first deletes what an interrupted one left: merged files no record names (step 1 done,
2 not) and replaced files still there (2 done, 3 not).

Runs beside no transform (the transform deletes every fact file no commit names, a merged file
before its record among them): on AWS it is a step of the load job, which the workflow starts
after the transform; locally `gamboge run` runs it the same way.

Python 3.9 compatible: lake/ is on the Python-shell path (pyarrow is imported only to merge).
"""

import io
import json
from typing import Any, Dict, Iterable, List, Set

from gamboge.common import faults, logs, schema
from gamboge.lake import committed, manifests, storage

DEFAULT_MIN_FILES = 2  # every load leaves each partition at one loaded file
MERGED_PREFIX = "compacted-"
CRASH_AFTER_MERGE = "compact:after-merge"  # merged files written, no record names them yet
CRASH_BEFORE_DELETE = "compact:before-delete"  # record written, the replaced files not yet deleted
log = logs.get("compact")


def batch_of(uri: str) -> str:
    """Fact files are named <batch_id>-<n>.parquet by the transform, compacted-<run>.parquet here."""
    return uri.rsplit("/", 1)[-1].rsplit("-", 1)[0]


def is_merged(uri: str) -> bool:
    return uri.rsplit("/", 1)[-1].startswith(MERGED_PREFIX)


def partition_of(uri: str) -> str:
    """``created_month=2024-11`` for ``…/fact_x/created_month=2024-11/<file>``; "" outside a partition."""
    parent = uri.rsplit("/", 2)[-2]
    return parent if "=" in parent else ""


def leftovers(files: Iterable[str], live_merged: Set[str], replaced: Set[str]) -> List[str]:
    """Files an interrupted compaction left: replaced ones still there, merged ones never recorded."""
    return [u for u in files if u in replaced or (is_merged(u) and u not in live_merged)]


def mergeable_by_partition(files: Iterable[str], loaded: Set[str], min_files: int) -> Dict[str, List[str]]:
    """partition → its files of loaded batches and earlier merges, where there are ``min_files`` or more."""
    by_partition: Dict[str, List[str]] = {}
    for uri in files:
        if partition_of(uri) and (is_merged(uri) or batch_of(uri) in loaded):
            by_partition.setdefault(partition_of(uri), []).append(uri)
    return {part: uris for part, uris in sorted(by_partition.items()) if len(uris) >= min_files}


def merge(uris: List[str], target: str) -> int:
    """Write the rows of ``uris`` as one Parquet file at ``target``; the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(io.BytesIO(storage.read_bytes(u))) for u in uris]
    merged = pa.concat_tables(tables, promote_options="default")
    buffer = io.BytesIO()
    pq.write_table(merged, buffer, compression="snappy")
    storage.write_bytes(target, buffer.getvalue())
    return int(merged.num_rows)


def check_min_files(min_files: int) -> int:
    if min_files < 2:
        raise ValueError(f"the least number of files to compact is 2 (merging one changes nothing), not {min_files}")
    return min_files


def compact(processed_uri: str, loaded: Set[str], min_files: int = DEFAULT_MIN_FILES) -> Dict[str, Any]:
    """Finish an interrupted compaction, then compact every fact partition holding at least
    ``min_files`` files of ``loaded`` batches (and earlier merges); return what was done."""
    check_min_files(min_files)
    live_merged, replaced = committed.compacted_and_replaced(processed_uri)
    files = {f.name: storage.list_uris(storage.join(processed_uri, f.name), suffix=".parquet") for f in schema.FACTS}
    finished = leftovers((u for uris in files.values() for u in uris), live_merged, replaced)
    for uri in finished:
        storage.delete(uri)
    gone = set(finished)

    run_id = manifests.new_run_id()
    partitions: List[Dict[str, Any]] = []
    for fact, uris in files.items():
        remaining = [u for u in uris if u not in gone]
        for part, group in mergeable_by_partition(remaining, loaded, min_files).items():
            target = storage.join(processed_uri, fact, part, f"{MERGED_PREFIX}{run_id}.parquet")
            rows = merge(group, target)
            partitions.append({"table": fact, "partition": part, "file": target, "replaces": group, "rows": rows})
    if partitions:
        faults.crash_point(CRASH_AFTER_MERGE)
        record = {"run_id": run_id, "partitions": partitions}
        storage.write_text(
            storage.join(processed_uri, committed.COMPACTIONS, run_id + ".json"), json.dumps(record, indent=2)
        )
        faults.crash_point(CRASH_BEFORE_DELETE)
        for partition in partitions:
            for uri in partition["replaces"]:
                storage.delete(uri)
    summary = {
        "partitions": len(partitions),
        "files_before": sum(len(p["replaces"]) for p in partitions),
        "files_after": len(partitions),
        "rows": sum(p["rows"] for p in partitions),
        "finished_interrupted": len(finished),
    }
    logs.event(log, "compaction done", **summary)
    return summary
