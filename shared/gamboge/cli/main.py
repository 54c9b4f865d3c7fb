"""The ``gamboge`` command line: one subcommand per concern, each defined in its own module.

Every command module exposes ``configure_parser(parser)`` and ``main(args) -> int`` and keeps heavy
imports (PySpark, boto3) inside its functions, so ``gamboge --help`` stays instant.
"""

import argparse
import importlib
import sys
from typing import List, Optional

from gamboge import __version__
from gamboge.common import logs

# (command, module, one-line help) in the order a new user meets them.
COMMANDS = [
    ("run", "gamboge.dev.run", "run the whole pipeline locally (ingest → transform → load) and print a summary"),
    ("db", "gamboge.cli.db", "start, stop or locate the embedded local PostgreSQL"),
    ("seed", "gamboge.dev.seed", "fill the ToteSys source with realistic generated history (--scale, --seed)"),
    (
        "simulate",
        "gamboge.dev.simulate",
        "append N working days of ToteSys activity: orders, paid flips, silent updates",
    ),
    (
        "ingest",
        "gamboge.ingest.job",
        "ToteSys → landing zone JSON Lines, every change by xmin, audited (Glue Python shell)",
    ),
    ("query", "gamboge.ops.query", "run an Athena named query (or --sql) locally with DuckDB over the catalog"),
    ("transform", "gamboge.transform.transform_job", "landing zone → star schema Parquet + catalog (Glue Spark job)"),
    (
        "load",
        "gamboge.load.load_job",
        "processed zone → PostgreSQL warehouse, each batch exactly once (Glue Spark job)",
    ),
    ("compact", "gamboge.ops.compact", "merge the small fact files of each month partition (loaded batches only)"),
    ("schema", "gamboge.cli.schema", "print the star-schema diagram or the ToteSys source DDL"),
    ("bookmarks", "gamboge.cli.bookmarks", "show or reset a job's bookmark (ingest, transform)"),
    (
        "check",
        "gamboge.check.checks",
        "check source, landing, processed zone and warehouse against each other; non-zero on any mismatch",
    ),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gamboge",
        description="ToteSys to star schema: the Gamboge Glue pipeline, run locally or on AWS.",
        epilog="Run `gamboge COMMAND --help` for a command's options. Local settings: "
        "GAMBOGE_SOURCE_DSN, GAMBOGE_WAREHOUSE_DSN, GAMBOGE_LAKE (see README).",
    )
    parser.add_argument("--version", action="version", version="gamboge " + __version__)
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="log lines for people (text) or machines (json)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name, help_text in COMMANDS:
        module = importlib.import_module(module_name)
        # The module docstring is for whoever reads the code; --help says what the command does.
        command = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        module.configure_parser(command)
        command.set_defaults(_module=module)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_format)
    try:
        return int(args._module.main(args) or 0)
    except KeyboardInterrupt:
        print("gamboge: interrupted", file=sys.stderr)
        return 130
