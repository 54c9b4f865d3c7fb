"""Transform landing manifests into the star schema (Parquet in the processed zone, cataloged).

Reads the landing manifests its bookmark has not consumed, validates every row against the schema
(rejects go to processed/_rejects/<batch>/ with a reason), rebuilds the changed dimensions, appends
new fact versions, updates the catalog and writes a processed manifest. Locally the catalog is a
file catalog under the lake (GAMBOGE_CATALOG=glue uses the Glue Data Catalog through boto3).
"""

import argparse
import os
import sys
from typing import Dict, List, Optional

from shared import bookmarks, config, glue_args, logs, workflow, workflow_run

JOB = workflow.job("transform")
log = logs.get("transform")


def defaults() -> Dict[str, Optional[str]]:
    return {
        "landing_uri": config.landing_uri(),
        "processed_uri": config.processed_uri(),
        "state_uri": config.state_uri(),
        "catalog_database": "gamboge",
        workflow.BOOKMARK_OPTION: bookmarks.ENABLE,
        "max_reject_ratio": "0.01",
    }


def execute(arguments: Dict[str, Optional[str]], spark=None) -> dict:
    """Run the transform with resolved arguments; on Glue inside Job.init/commit."""
    from shared import catalog, job_session, transform

    session = job_session.start("gamboge-transform", arguments, spark=spark)
    spark = session.spark
    use_glue = os.environ.get("GAMBOGE_CATALOG", "glue" if job_session.on_glue() else "file") == "glue"
    target = (
        catalog.GlueCatalog(arguments["catalog_database"])
        if use_glue
        else catalog.FileCatalog(config.catalog_uri(), arguments["catalog_database"])
    )
    summary = transform.run(
        spark,
        landing_uri=arguments["landing_uri"],
        processed_uri=arguments["processed_uri"],
        state_uri=arguments["state_uri"],
        catalog=target,
        bookmark_option=arguments[workflow.BOOKMARK_OPTION],
        max_reject_ratio=float(arguments["max_reject_ratio"]),
    )
    session.commit()
    return summary


def run_job(argv: List[str]) -> int:
    """Entry point of glue_jobs/transform_star_schema.py."""
    from shared.transform import TransformError

    arguments = glue_args.resolve(argv, [], dict(defaults(), **workflow_run.ARGUMENTS))
    try:
        problem = workflow_run.missing_upstream(arguments, workflow_run.LANDING_MANIFEST, arguments["landing_uri"])
        if problem:
            raise TransformError(problem)
        summary = execute(arguments)
        if summary.get("batch_id"):
            workflow_run.publish(arguments, workflow_run.PROCESSED_MANIFEST, summary["batch_id"])
    except TransformError as exc:
        log.error(str(exc))
        return 1
    return 0


def configure_parser(parser: argparse.ArgumentParser) -> None:
    for name, default in defaults().items():
        parser.add_argument("--" + name, dest=name, default=default, help=f"{JOB.arguments[name]} (default: {default})")


def main(args: argparse.Namespace) -> int:
    argv = glue_args.to_argv({name: getattr(args, name) for name in defaults()})
    return run_job(argv)


if __name__ == "__main__":
    sys.exit(run_job(sys.argv[1:]))
