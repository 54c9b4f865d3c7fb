"""`gamboge compact`: merge the small fact files of each created_month partition into one file.

The merge and its crash safety are the lake's (gamboge.lake.compaction); the load job runs the
same compaction after every load (gamboge.load.housekeeping). This command runs it by hand,
against the warehouse whose load log says which batches are loaded, holding the load lock as
the load does: two compactions at once would each take the other's merged files for leftovers.
Like the load's, it must not run beside a transform (`gamboge run` holds .gamboge/run.lock).
"""

import argparse
import sys
from typing import Any, Dict

import psycopg

from gamboge.common import config
from gamboge.lake import compaction
from gamboge.load.pipeline import acquire_lock
from gamboge.warehouse.warehouse import loaded_batches


def compact(processed_uri: str, warehouse_dsn: str, min_files: int = compaction.DEFAULT_MIN_FILES) -> Dict[str, Any]:
    """Compact every fact partition holding at least ``min_files`` loaded files; return what was done."""
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        acquire_lock(conn)
        return compaction.compact(processed_uri, set(loaded_batches(conn)), min_files)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processed_uri", default=config.processed_uri(), help="processed zone (default: %(default)s)")
    parser.add_argument("--warehouse_dsn", help="warehouse whose load log says which batches are loaded")
    parser.add_argument(
        "--min-files",
        type=int,
        default=compaction.DEFAULT_MIN_FILES,
        help="compact partitions with at least this many files (default: %(default)s)",
    )


def main(args: argparse.Namespace) -> int:
    summary = compact(args.processed_uri, args.warehouse_dsn or config.warehouse_dsn(), args.min_files)
    print(
        f"compacted {summary['partitions']} partition(s): {summary['files_before']} files → "
        f"{summary['files_after']} ({summary['rows']} rows)",
        file=sys.stdout,
    )
    return 0
