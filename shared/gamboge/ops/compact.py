"""Merge the small fact files of each created_month partition into one file.

Every transform batch adds at most one file per month it touches; at ToteSys's rate (~30 rows a
day, a run every half hour) a month collects hundreds of tiny files, which Athena pays for per
file. Compaction rewrites each partition that has more than ``--min-files`` files as one file.

Crash safety: the merged file is written first (an orphan until recorded, which the next
transform deletes), then a compaction record under ``processed/_compactions/`` names it and the
files it replaces (from then on the merged file is committed and the replaced ones are orphans),
then the replaced files are deleted. A rerun finishes the deletions of an interrupted one.
"""

import argparse
import io
import json
import sys
from typing import Any, Dict, List

from gamboge.common import config, logs, schema
from gamboge.lake import committed, manifests, storage
from gamboge.transform.columns import PARTITION_COLUMN
from gamboge.warehouse.warehouse import loaded_batches

log = logs.get("compact")


def _finish_interrupted(processed_uri: str) -> int:
    _, replaced = committed.compacted_and_replaced(processed_uri)
    leftovers = [u for u in replaced if storage.exists(u)]
    for uri in leftovers:
        storage.delete(uri)
    return len(leftovers)


def _merge(uris: List[str], target: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(io.BytesIO(storage.read_bytes(u))) for u in uris]
    merged = pa.concat_tables(tables, promote_options="default")
    buffer = io.BytesIO()
    pq.write_table(merged, buffer, compression="snappy")
    storage.write_bytes(target, buffer.getvalue())
    return merged.num_rows


def _loaded_batches(warehouse_dsn: str) -> set:
    import psycopg

    with psycopg.connect(warehouse_dsn) as conn:
        return set(loaded_batches(conn))


def _batch_of(uri: str) -> str:
    """Fact files are named <batch_id>-<n>.parquet by the transform, compacted-<id>.parquet here."""
    return uri.rsplit("/", 1)[-1].rsplit("-", 1)[0]


def compact(processed_uri: str, warehouse_dsn: str, min_files: int = 2) -> Dict[str, Any]:
    """Compact every fact partition holding at least ``min_files`` loaded files; return what was done.

    Only files of batches the warehouse has loaded are merged: the load job reads a batch's own
    files, so those of a batch still waiting must stay as they are."""
    finished = _finish_interrupted(processed_uri)
    loaded = _loaded_batches(warehouse_dsn)
    run_id = manifests.new_run_id()
    partitions: List[Dict[str, Any]] = []
    for fact in schema.FACTS:
        by_partition: Dict[str, List[str]] = {}
        for uri in storage.list_uris(storage.join(processed_uri, fact.name), suffix=".parquet"):
            named = [p for p in uri.split("/") if p.startswith(PARTITION_COLUMN + "=")]
            batch = _batch_of(uri)
            if named and (batch in loaded or batch.startswith("compacted")):
                by_partition.setdefault(named[0], []).append(uri)
        for part, uris in sorted(by_partition.items()):
            if len(uris) < min_files:
                continue
            target = storage.join(processed_uri, fact.name, part, f"compacted-{run_id}.parquet")
            rows = _merge(uris, target)
            partitions.append({"table": fact.name, "partition": part, "file": target, "replaces": uris, "rows": rows})
    if partitions:
        record = {"run_id": run_id, "partitions": partitions}
        storage.write_text(
            storage.join(processed_uri, committed.COMPACTIONS, run_id + ".json"), json.dumps(record, indent=2)
        )
        for partition in partitions:
            for uri in partition["replaces"]:
                storage.delete(uri)
    summary = {
        "partitions": len(partitions),
        "files_before": sum(len(p["replaces"]) for p in partitions),
        "files_after": len(partitions),
        "rows": sum(p["rows"] for p in partitions),
        "finished_interrupted": finished,
    }
    logs.event(log, "compaction done", **summary)
    return summary


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processed_uri", default=config.processed_uri(), help="processed zone (default: %(default)s)")
    parser.add_argument("--warehouse_dsn", help="warehouse whose load log says which batches are loaded")
    parser.add_argument(
        "--min-files", type=int, default=2, help="compact partitions with at least this many files (default: 2)"
    )


def main(args: argparse.Namespace) -> int:
    summary = compact(args.processed_uri, args.warehouse_dsn or config.warehouse_dsn(), args.min_files)
    print(
        f"compacted {summary['partitions']} partition(s): {summary['files_before']} files → "
        f"{summary['files_after']} ({summary['rows']} rows)",
        file=sys.stdout,
    )
    return 0
