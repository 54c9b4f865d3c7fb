"""Run a Glue Spark job script with only what needs Glue's JVM stood in.

Usage: ``python tests/helpers/glue_standin.py SCRIPT ARG…`` — the script then runs as ``__main__`` with
``sys.argv = [SCRIPT, ARG…]``, exactly as Glue runs it. Everything is real (AWS's awsglue library
and its ``getResolvedOptions``, PySpark 3.5.4, the project's code, boto3 against whatever
``AWS_ENDPOINT_URL`` names) except these two classes, which on Glue are backed by Glue's JVM:

- ``awsglue.context.GlueContext``: its ``spark_session`` is a local Spark configured like Glue
  5.0's, started before the script as Glue's runtime starts its Spark before the script runs;
  ``extract_jdbc_conf(name)`` returns what the AWS documentation specifies (``user``, ``password``,
  ``vendor``, ``url`` with only protocol, host and port, ``fullUrl`` as entered, ``enforceSSL``),
  read from the Glue connection and the Secrets Manager secret its ``SECRET_ID`` names.
- ``awsglue.job.Job``: the real class (its option lists feed ``getResolvedOptions``) with
  ``init``/``commit`` recorded to ``GAMBOGE_STANDIN_RECORD`` instead of Glue's bookmark service.
"""

import json
import os
import runpy
import sys
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # run as a script: no helpers package


def _record(call: str, **fields) -> None:
    path = os.environ.get("GAMBOGE_STANDIN_RECORD")
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps(dict(fields, call=call), default=str) + "\n")


def install() -> None:
    import awsglue.context
    import awsglue.job
    from pyspark.sql import SparkSession

    from gamboge.common import aws

    class StandInGlueContext:
        def __init__(self, spark_context, **options):
            self._sc = spark_context
            self.spark_session = SparkSession(spark_context)
            self.sparkSession = self.spark_session
            _record("GlueContext")

        def extract_jdbc_conf(self, connection_name, catalog_id=None):
            connection = aws.client("glue").get_connection(Name=connection_name, HidePassword=False)["Connection"]
            properties = connection["ConnectionProperties"]
            full_url = properties["JDBC_CONNECTION_URL"]
            parsed = urllib.parse.urlparse(full_url[len("jdbc:") :])
            user, password = properties.get("USERNAME"), properties.get("PASSWORD")
            if properties.get("SECRET_ID"):
                secret = json.loads(
                    aws.client("secretsmanager").get_secret_value(SecretId=properties["SECRET_ID"])["SecretString"]
                )
                user, password = secret["username"], secret["password"]
            _record("extract_jdbc_conf", connection_name=connection_name)
            return {
                "user": user,
                "password": password,
                "vendor": parsed.scheme,
                "url": f"jdbc:{parsed.scheme}://{parsed.netloc}",
                "fullUrl": full_url,
                "enforceSSL": properties.get("JDBC_ENFORCE_SSL", "false"),
            }

    class StandInJob(awsglue.job.Job):
        def __init__(self, glue_context):
            self._glue_context = glue_context
            self._initialised = False

        def init(self, job_name, args={}):  # noqa: B006 - the real signature
            self._initialised = True
            _record("init", job_name=job_name, args=dict(args))

        def isInitialized(self):  # noqa: N802 - the real name
            return self._initialised

        def commit(self):
            _record("commit")

    awsglue.context.GlueContext = StandInGlueContext
    awsglue.job.Job = StandInJob


def main() -> None:
    script, *arguments = sys.argv[1:]
    sys.path.insert(0, str(REPO / "shared"))
    from gamboge.spark.session import local_session

    local_session("glue-standin", with_jdbc=True)  # Glue's Spark is up before the script starts
    install()
    sys.argv = [script, *arguments]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
