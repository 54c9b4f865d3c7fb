"""Manage the embedded PostgreSQL cluster under .gamboge/pg (127.0.0.1, trust auth, a free port).

gamboge db up        create (once) and start it, create the totesys and warehouse databases
gamboge db down      stop it
gamboge db status    say whether it runs, where, and on which port
gamboge db url source|warehouse   print one DSN (honours GAMBOGE_SOURCE_DSN/GAMBOGE_WAREHOUSE_DSN)
"""

import argparse
import sys

from gamboge.common import config
from gamboge.common.errors import GambogeError
from gamboge.dev import localpg


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("action", choices=("up", "down", "status", "url"))
    parser.add_argument("database", nargs="?", choices=("source", "warehouse"), help="with `url`: which DSN")


def main(args: argparse.Namespace) -> int:
    server = localpg.EmbeddedPostgres(config.home() / "pg")
    try:
        if args.action == "up":
            dsns = server.up()
            print("source:    " + dsns[0])
            print("warehouse: " + dsns[1])
        elif args.action == "down":
            print("stopped" if server.down() else "not running")
        elif args.action == "status":
            if server.running():
                print(f"running on 127.0.0.1:{server.port} (data: {server.data})")
            else:
                print("not running" + ("" if server.initialised() else " (not created yet: `gamboge db up`)"))
                return 3
        else:
            if not args.database:
                print("gamboge db url: say which: source or warehouse", file=sys.stderr)
                return 2
            print(config.source_dsn() if args.database == "source" else config.warehouse_dsn())
    except localpg.PostgresNotInstalled as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except GambogeError as exc:
        print(f"gamboge db {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0
