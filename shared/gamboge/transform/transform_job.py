"""Transform landing manifests into the star schema (Parquet in the processed zone, cataloged).

Reads the landing manifests its bookmark has not consumed, validates every row against the schema
(rejects go to processed/_rejects/<batch>/ with a reason), rebuilds the changed dimensions, appends
new fact versions, updates the catalog and writes a processed manifest. The catalog is the Glue
Data Catalog (boto3) when Glue started the run, else a file catalog under the lake
(GAMBOGE_CATALOG=glue|file overrides).
"""

import argparse
import os
from typing import Dict, List, Optional

from gamboge.common import config, glue_args, logs, workflow
from gamboge.lake import bookmarks, workflow_run
from gamboge.transform.settings import defaults

JOB = workflow.job("transform")
SUMMARY = "Glue 5.0 Spark job: landing JSON Lines to the Parquet star schema, cataloged."
log = logs.get("transform")


def execute(arguments: Dict[str, Optional[str]], spark=None, spark_factory=None) -> dict:
    """Run the transform with resolved arguments; inside Job.init/commit when Glue started it.

    No pending landing manifest with a row: the run ends before any Spark session (or, on Glue,
    GlueContext) starts. ``spark`` is a session to use; ``spark_factory`` makes one if needed, given
    the landed rows it is for (a local session tunes its JVM to them)."""
    from gamboge.spark import job_session
    from gamboge.transform import catalog, transform

    option = arguments.get(glue_args.BOOKMARK_KEY) or bookmarks.ENABLE
    work = transform.pending_work(arguments["landing_uri"], arguments["state_uri"], option)
    if work.idle is not None:
        return work.idle
    if spark is None and spark_factory is not None:
        spark = spark_factory(work.landed_rows)
    session = job_session.start("gamboge-transform", arguments, spark=spark, workload_rows=work.landed_rows)
    default_catalog = "glue" if session.glue_context is not None else "file"
    target = (
        catalog.GlueCatalog(arguments["catalog_database"])
        if os.environ.get("GAMBOGE_CATALOG", default_catalog) == "glue"
        else catalog.FileCatalog(config.catalog_uri(), arguments["catalog_database"])
    )
    summary = transform.run(
        session.spark,
        landing_uri=arguments["landing_uri"],
        processed_uri=arguments["processed_uri"],
        state_uri=arguments["state_uri"],
        catalog=target,
        bookmark_option=option,
        max_reject_ratio=float(arguments["max_reject_ratio"]),
    )
    session.commit()
    return summary


def glue_main(argv: List[str]) -> int:
    """glue_jobs/transform_star_schema.py: ``argv`` is the whole ``sys.argv`` Glue built."""
    from gamboge.spark.job_session import GlueRuntimeMissing
    from gamboge.transform.transform import TransformError

    arguments, status = glue_args.start_job(
        "transform", argv, SUMMARY, JOB.arguments, dict(defaults(), **workflow_run.ARGUMENTS), glue_bookmark=True
    )
    if arguments is None:
        return status
    try:
        problem = workflow_run.missing_upstream(arguments, workflow_run.LANDING_MANIFEST, arguments["landing_uri"])
        if problem:
            raise TransformError(problem)
        summary = execute(arguments)
        if summary.get("batch_id"):
            workflow_run.publish(arguments, workflow_run.PROCESSED_MANIFEST, summary["batch_id"])
    except (TransformError, GlueRuntimeMissing) as exc:
        log.error(str(exc))
        return 1
    return 0


def configure_parser(parser: argparse.ArgumentParser) -> None:
    for name, default in defaults().items():
        parser.add_argument("--" + name, dest=name, default=default, help=f"{JOB.arguments[name]} (default: {default})")
    parser.add_argument(
        glue_args.BOOKMARK_FLAG,
        dest=glue_args.BOOKMARK_KEY,
        choices=bookmarks.OPTIONS,
        default=bookmarks.ENABLE,
        help="Glue's bookmark option: enable (only new landing manifests), disable (rebuild from every manifest), "
        "pause (new manifests, bookmark unchanged) (default: %(default)s)",
    )


def main(args: argparse.Namespace) -> int:
    names = list(defaults()) + [glue_args.BOOKMARK_KEY]
    return glue_main(glue_args.to_argv({name: getattr(args, name) for name in names}, "gamboge transform"))
