"""Show or reset a job's bookmark (the JSON document under the state URI).

gamboge bookmarks show  [--job ingest|transform] [--table T]   print the bookmark (or one table's entry)
gamboge bookmarks reset [--job ingest|transform] [--table T]   forget it: the next run starts over

Resetting the ingest bookmark also forgets its fingerprints (the content hashes of what it landed),
so the next run is a full extract that sets a fresh baseline.
"""

import argparse
import json
import sys

from gamboge.common import config
from gamboge.lake import bookmarks, storage

JOBS = ("ingest", "transform")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("action", choices=("show", "reset"))
    parser.add_argument("--job", choices=JOBS, default="ingest", help="whose bookmark (default ingest)")
    parser.add_argument("--table", help="only this table's entry")
    parser.add_argument("--state_uri", "--state-uri", dest="state_uri", help="state URI (default: <lake>/state)")


def main(args: argparse.Namespace) -> int:
    state_uri = (args.state_uri or config.state_uri()).rstrip("/")
    bookmark = bookmarks.load(state_uri, args.job)
    if args.action == "show":
        if not bookmark:
            print(f"no {args.job} bookmark at {bookmarks.bookmark_uri(state_uri, args.job)}")
            return 0
        shown = bookmark
        if args.table:
            shown = bookmark.get("tables", {}).get(args.table)
            if shown is None:
                print(f"the {args.job} bookmark has no entry for table {args.table}", file=sys.stderr)
                return 1
        print(json.dumps(shown, indent=2, sort_keys=True))
        return 0
    entries = bookmark.get("tables", {})
    forgotten = [args.table] if args.table else list(entries)
    removed = bookmarks.reset(state_uri, args.job, args.table)
    if args.job == "ingest":
        for table in forgotten:
            for uri in entries.get(table, {}).get("fingerprints", []):
                if storage.exists(uri):
                    storage.delete(uri)
    what = f"table {args.table} of the {args.job} bookmark" if args.table else f"the {args.job} bookmark"
    print(("reset " if removed else "nothing to reset: no ") + what)
    return 0
