"""The Spark session: Glue's on AWS, a local one configured like Glue 5.0 everywhere else."""

import contextlib
import os
import shutil
import sys
import tempfile
from typing import Iterator

from pyspark.sql import SparkSession

from gamboge.spark.jdbc_driver import find_jar, require_jar

# Settings both runtimes need: UTC so naive ToteSys timestamps never shift, millisecond Parquet
# timestamps that Athena reads, and few shuffle partitions (the data is small per run).
# Adaptive execution off: it runs every shuffle stage as a Spark job of its own, and it drops the
# observed-metrics node above a stage that came out empty (gamboge.spark.observed counts rows by
# those nodes); the plans here have few shuffles with a known partition count.
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MILLIS",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.adaptive.enabled": "false",
}


def configure(spark: SparkSession) -> SparkSession:
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)
    return spark


def local_session(app_name: str = "gamboge", with_jdbc: bool = False) -> SparkSession:
    """A local[*] session like Glue 5.0's (Spark 3.5.4, Java 17), with the PostgreSQL JDBC jar."""
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise RuntimeError(
            "Spark needs Java 17 and none was found. Install it, then run again:\n"
            "  Debian/Ubuntu:  sudo apt-get install -y openjdk-17-jre-headless\n"
            "  macOS:          brew install openjdk@17  (and set JAVA_HOME)"
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Loopback only: no warning about the host name, no listening on other interfaces.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(os.environ.get("GAMBOGE_SPARK_MASTER", "local[*]"))
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("GAMBOGE_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.sql.warehouse.dir", os.path.join(tempfile.gettempdir(), "gamboge-spark-warehouse"))
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
    )
    for key, value in SESSION_SETTINGS.items():
        builder = builder.config(key, value)

    jar = require_jar() if with_jdbc else find_jar()
    if jar:
        builder = builder.config("spark.jars", jar)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextlib.contextmanager
def described(spark: SparkSession, text: str) -> Iterator[None]:
    """Name the Spark jobs this thread starts inside the block (the event log and the Spark UI show
    it), so that a profile says which table each job built."""
    context = spark.sparkContext
    before = context.getLocalProperty("spark.job.description")
    context.setJobDescription(text)
    try:
        yield
    finally:
        context.setLocalProperty("spark.job.description", before)  # type: ignore[arg-type]
