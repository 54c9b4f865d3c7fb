"""Load processed-zone batches into the PostgreSQL warehouse (Glue Spark job, JDBC).

Dimensions are upserted and fact versions appended, each batch in one transaction together with
its load-log row, so a batch is loaded exactly once. On Glue the warehouse is the Glue JDBC
connection ``--connection_name``; locally GAMBOGE_WAREHOUSE_DSN, ``--warehouse_dsn`` or the
embedded server.
"""

import argparse
import json
import sys
from typing import Dict, List, Optional

from shared import config, glue_args, logs, workflow, workflow_run

JOB = workflow.job("load")
log = logs.get("load")
LOCAL_ARGUMENTS = {
    "warehouse_dsn": "warehouse DSN for local runs (default: GAMBOGE_WAREHOUSE_DSN or the embedded server)"
}


def defaults() -> Dict[str, Optional[str]]:
    return {"processed_uri": config.processed_uri(), "connection_name": None, "warehouse_dsn": None}


def execute(arguments: Dict[str, Optional[str]], spark=None) -> dict:
    """Run the load with resolved arguments; on Glue inside Job.init/commit."""
    from shared import job_session, load

    session = job_session.start("gamboge-load", arguments, spark=spark, with_jdbc=True)
    target = None
    if arguments.get("connection_name") and session.glue_context is not None:
        target = load.warehouse_from_glue(session.glue_context, arguments["connection_name"])
    summary = load.run(
        session.spark,
        processed_uri=arguments["processed_uri"],
        warehouse_dsn=arguments.get("warehouse_dsn") or (None if target else config.warehouse_dsn()),
        target=target,
    )
    session.commit()
    return summary


def run_job(argv: List[str]) -> int:
    """Entry point of glue_jobs/load_warehouse.py."""
    from shared.load import LoadError
    from shared.warehouse import SchemaMismatch

    arguments = glue_args.resolve(argv, [], dict(defaults(), **workflow_run.ARGUMENTS))
    try:
        problem = workflow_run.missing_upstream(arguments, workflow_run.PROCESSED_MANIFEST, arguments["processed_uri"])
        if problem:
            raise LoadError(problem)
        summary = execute(arguments)
    except (LoadError, SchemaMismatch) as exc:
        log.error(str(exc))
        return 1
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


def configure_parser(parser: argparse.ArgumentParser) -> None:
    for name, default in defaults().items():
        meaning = JOB.arguments.get(name) or LOCAL_ARGUMENTS[name]
        parser.add_argument("--" + name, dest=name, default=default, help=f"{meaning} (default: {default})")


def main(args: argparse.Namespace) -> int:
    argv = glue_args.to_argv({name: getattr(args, name) for name in defaults()})
    return run_job(argv)


if __name__ == "__main__":
    sys.exit(run_job(sys.argv[1:]))
