"""The Spark session a job runs in: Glue's (inside Job.init/commit) when Glue started the run, a local one elsewhere.

"Started by Glue" is decided from what the Glue service hands a run, its ``--JOB_RUN_ID``
(``glue_args.started_by_glue``), never from ``import awsglue`` succeeding: the awsglue library is
installed locally too. On that path the GlueContext must be the real one; a Spark without Glue's
JVM classes is reported as such instead of failing deep inside py4j.
"""

from typing import Any, Dict, NamedTuple, Optional

from pyspark.sql import SparkSession

from gamboge.common import glue_args
from gamboge.common.errors import GambogeError
from gamboge.spark.session import configure, local_session


class GlueRuntimeMissing(GambogeError):
    """The run carries Glue's run id, but this Spark has no Glue runtime."""


class JobSession(NamedTuple):
    spark: SparkSession
    glue_context: Any  # awsglue.context.GlueContext when Glue started the run, else None
    glue_job: Any  # awsglue.job.Job when Glue started the run, else None

    def commit(self) -> None:
        """Tell Glue the run succeeded (Job.commit); a no-op locally."""
        if self.glue_job is not None:
            self.glue_job.commit()


def start(
    app_name: str,
    arguments: Dict[str, Optional[str]],
    spark: Optional[SparkSession] = None,
    with_jdbc: bool = False,
    workload_rows: Optional[int] = None,
) -> JobSession:
    """A session for the job: the given one (in-process callers, as it is), Glue's, or a local one.
    ``workload_rows``, the landed rows it is for when known, chooses code generation on either
    (gamboge.spark.session.execution_settings) and tunes a local JVM (Glue's JVM is Glue's)."""
    if spark is None and glue_args.started_by_glue(arguments):
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from awsglue.job import Job  # type: ignore[import-not-found]
        from pyspark.context import SparkContext

        if not arguments.get("JOB_NAME"):
            raise GlueRuntimeMissing("started with Glue's --JOB_RUN_ID but without its --JOB_NAME")
        try:
            glue_context = GlueContext(SparkContext.getOrCreate())
        except TypeError as exc:  # py4j: "'JavaPackage' object is not callable" without Glue's jars
            raise GlueRuntimeMissing(
                f"started with Glue's --JOB_RUN_ID, but this Spark has no Glue runtime ({exc}); "
                "run the job without Glue's arguments to use a local Spark session"
            ) from None
        glue_job = Job(glue_context)
        glue_job.init(arguments["JOB_NAME"], arguments)
        return JobSession(configure(glue_context.spark_session, workload_rows), glue_context, glue_job)
    return JobSession(spark or local_session(app_name, with_jdbc=with_jdbc, workload_rows=workload_rows), None, None)
