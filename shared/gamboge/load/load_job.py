"""Load processed-zone batches into the PostgreSQL warehouse (Glue Spark job, JDBC).

Dimensions are upserted and fact versions appended, each batch in one transaction together with
its load-log row, so a batch is loaded exactly once. When Glue started the run the warehouse is
the Glue JDBC connection ``--connection_name``; locally GAMBOGE_WAREHOUSE_DSN, ``--warehouse_dsn``
or the embedded server.
"""

import argparse
import json
from typing import Dict, List, Optional

from gamboge.common import config, glue_args, logs, workflow
from gamboge.lake import compaction, retention, workflow_run
from gamboge.load.connection import LoadError
from gamboge.warehouse.warehouse import SchemaMismatch

JOB = workflow.job("load")
SUMMARY = "Glue 5.0 Spark job: processed-zone batches to the PostgreSQL warehouse over JDBC, each exactly once."
log = logs.get("load")
LOCAL_ARGUMENTS = {
    "warehouse_dsn": "warehouse DSN for local runs (default: GAMBOGE_WAREHOUSE_DSN or the embedded server)"
}


def defaults() -> Dict[str, Optional[str]]:
    return {
        "aws_region": None,
        "processed_uri": config.processed_uri(),
        "connection_name": None,
        "retain_batches": str(retention.DEFAULT_KEEP_BATCHES),
        "compact_min_files": str(compaction.DEFAULT_MIN_FILES),
        "warehouse_dsn": None,
    }


def _housekeeping(arguments: Dict[str, Optional[str]]) -> Dict[str, int]:
    """pipeline.run's housekeeping settings, from the job's arguments, checked before any load."""
    checks = {"retain_batches": retention.check_keep, "compact_min_files": compaction.check_min_files}
    settings = {}
    for name, check in checks.items():
        try:
            settings[name] = check(int(arguments[name] or ""))
        except ValueError as exc:
            raise LoadError(f"--{name} {arguments[name]!r}: {exc}") from None
    return settings


def described() -> Dict[str, str]:
    return dict(JOB.arguments, **LOCAL_ARGUMENTS)


def execute(arguments: Dict[str, Optional[str]], spark=None, spark_factory=None) -> dict:
    """Run the load with resolved arguments; inside Job.init/commit when Glue started it.

    Locally the Spark session starts only when a batch is pending (``spark`` is a session to
    use, ``spark_factory`` makes one). On Glue the warehouse connection comes from GlueContext,
    so its session starts first and a run with nothing to load ends at once."""
    from gamboge.load import connection, pipeline
    from gamboge.spark import job_session

    if spark is None and glue_args.started_by_glue(arguments):
        session = job_session.start("gamboge-load", arguments, with_jdbc=True)
        target = None
        if arguments.get("connection_name"):
            target = connection.warehouse_from_glue(session.glue_context, arguments["connection_name"])
        dsn = arguments.get("warehouse_dsn") or (None if target else config.warehouse_dsn())
        summary = pipeline.run(
            session.spark,
            processed_uri=arguments["processed_uri"],
            warehouse_dsn=dsn,
            target=target,
            **_housekeeping(arguments),
        )
        session.commit()
        return summary

    def local_spark():
        if spark is not None:
            return spark
        if spark_factory is not None:
            return spark_factory()
        return job_session.start("gamboge-load", arguments, with_jdbc=True).spark

    return pipeline.run(
        local_spark,
        processed_uri=arguments["processed_uri"],
        warehouse_dsn=arguments.get("warehouse_dsn") or config.warehouse_dsn(),
        **_housekeeping(arguments),
    )


def glue_main(argv: List[str]) -> int:
    """glue_jobs/load_warehouse.py: ``argv`` is the whole ``sys.argv`` Glue built."""
    from gamboge.spark.job_session import GlueRuntimeMissing

    arguments, status = glue_args.start_job(
        "load", argv, SUMMARY, described(), dict(defaults(), **workflow_run.ARGUMENTS)
    )
    if arguments is None:
        return status
    try:
        problem = workflow_run.missing_upstream(arguments, workflow_run.PROCESSED_MANIFEST, arguments["processed_uri"])
        if problem:
            raise LoadError(problem)
        summary = execute(arguments)
    except (LoadError, SchemaMismatch, GlueRuntimeMissing) as exc:
        log.error(str(exc))
        return 1
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


def configure_parser(parser: argparse.ArgumentParser) -> None:
    meanings = described()
    for name, default in defaults().items():
        parser.add_argument("--" + name, dest=name, default=default, help=f"{meanings[name]} (default: {default})")


def main(args: argparse.Namespace) -> int:
    return glue_main(glue_args.to_argv({name: getattr(args, name) for name in defaults()}, "gamboge load"))
