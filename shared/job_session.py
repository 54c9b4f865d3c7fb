"""The Spark session a job runs in: Glue's (inside Job.init/commit) on AWS, a local one elsewhere.

Shared by every Spark job entry point, so that the Glue-versus-local decision is made in one place.
"""

from typing import Any, Dict, NamedTuple, Optional

from pyspark.sql import SparkSession


def on_glue() -> bool:
    try:
        import awsglue  # noqa: F401  # type: ignore[import-not-found]
    except ImportError:
        return False
    return True


class JobSession(NamedTuple):
    spark: SparkSession
    glue_context: Any  # awsglue.context.GlueContext on Glue, else None
    glue_job: Any  # awsglue.job.Job on Glue, else None

    def commit(self) -> None:
        """Tell Glue the run succeeded (advances Glue's own job bookmark); a no-op locally."""
        if self.glue_job is not None:
            self.glue_job.commit()


def start(
    app_name: str,
    arguments: Dict[str, Optional[str]],
    spark: Optional[SparkSession] = None,
    with_jdbc: bool = False,
) -> JobSession:
    """A session for ``app_name``: the given one (in-process callers), Glue's, or a local one."""
    from shared.spark import configure, local_session

    if spark is None and on_glue():
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from awsglue.job import Job  # type: ignore[import-not-found]
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        glue_job = Job(glue_context)
        glue_job.init(arguments.get("JOB_NAME") or app_name, arguments)
        return JobSession(configure(glue_context.spark_session), glue_context, glue_job)
    return JobSession(spark or local_session(app_name, with_jdbc=with_jdbc), None, None)
