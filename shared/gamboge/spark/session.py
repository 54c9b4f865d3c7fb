"""The Spark session: Glue's on AWS, a local one configured like Glue 5.0 everywhere else."""

import contextlib
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, Optional

from pyspark.sql import SparkSession

from gamboge.common import logs
from gamboge.spark import jvm, localfs, py4j_lookups
from gamboge.spark.jdbc_driver import find_jar, require_jar

# Settings both runtimes need: UTC so naive ToteSys timestamps never shift, and millisecond Parquet
# timestamps that Athena reads. Adaptive execution off: it runs every shuffle stage as a Spark job
# of its own, and it drops the observed-metrics node above a stage that came out empty
# (gamboge.spark.observed counts rows by those nodes); the plans here have few shuffles.
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MILLIS",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.adaptive.enabled": "false",
}
# Shuffle partitions per core of the session: with adaptive execution off the count is fixed, so it
# follows the cores (4 on a 2-core laptop; on Glue, the workers' type times their number). The
# writes do not depend on it: a fact month is one shuffle partition, a snapshot one file.
SHUFFLE_PARTITIONS_PER_CORE = 2
# A small batch runs interpreted. Spark compiles generated Java (Janino) for every stage and
# expression, and in a fresh JVM (every local run, every Glue job run) that code then starts in
# the bytecode interpreter: for tens of thousands of rows compiling costs more than it saves.
# Measured cold on 2 cores: one simulated day at scale 1 (a few hundred rows), `gamboge run`
# 15.4 s → 12.9 s (JVM CPU 19.5 s → 15.7 s); a full build (`gamboge transform`, interleaved) of
# 49k rows 11.1 s → 10.2 s (4 runs each: the driver's planning and compiling cost more than the
# executors' extra work), of 486k rows 21.0 s → 25.5 s (2 runs each: the executors' CPU +12 s).
INTERPRETED_MAX_ROWS = 60_000
log = logs.get("spark")


def execution_settings(workload_rows: Optional[int]) -> Dict[str, str]:
    """Code generation for the session, by the landed rows it works on (None: unknown, so generated
    code, Spark's default)."""
    interpreted = workload_rows is not None and workload_rows <= INTERPRETED_MAX_ROWS
    return {
        "spark.sql.codegen.wholeStage": "false" if interpreted else "true",
        # NO_CODEGEN: expressions evaluated by their interpreted forms, which Spark's own tests
        # hold to the same results as the generated ones; FALLBACK is Spark's default.
        "spark.sql.codegen.factoryMode": "NO_CODEGEN" if interpreted else "FALLBACK",
    }


def configure(spark: SparkSession, workload_rows: Optional[int] = None) -> SparkSession:
    """Apply the shared settings to a running session (Glue's, or a local one), and those for the
    ``workload_rows`` landed rows it is about to work on."""
    py4j_lookups.install()
    for key, value in {**SESSION_SETTINGS, **execution_settings(workload_rows)}.items():
        spark.conf.set(key, value)
    cores = spark.sparkContext.defaultParallelism
    spark.conf.set("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS_PER_CORE * cores))
    return spark


def local_session(
    app_name: str = "gamboge",
    with_jdbc: bool = False,
    workload_rows: Optional[int] = None,
    dump_archive_to: Optional[Path] = None,
) -> SparkSession:
    """A local[*] session like Glue 5.0's (Spark 3.5.4, Java 17), with the PostgreSQL JDBC jar.

    ``workload_rows``: the landed rows the session is started for, when known: the driver's JVM
    (gamboge.spark.jvm) and code generation (``execution_settings``) are tuned to it. A session
    already running in this process is returned as it is."""
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise RuntimeError(
            "Spark needs Java 17 and none was found. Install it, then run again:\n"
            "  Debian/Ubuntu:  sudo apt-get install -y openjdk-17-jre-headless\n"
            "  macOS:          brew install openjdk@17  (and set JAVA_HOME)"
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Loopback only: no warning about the host name, no listening on other interfaces.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    started = time.monotonic()
    driver_options = jvm.driver_options(workload_rows, dump_archive_to)
    builder = (
        SparkSession.builder.master(os.environ.get("GAMBOGE_SPARK_MASTER", "local[*]"))
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("GAMBOGE_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.sql.warehouse.dir", os.path.join(tempfile.gettempdir(), "gamboge-spark-warehouse"))
        .config("spark.driver.extraJavaOptions", driver_options)
        .config("spark.executor.extraJavaOptions", jvm.TIMEZONE)
    )

    for key, value in localfs.session_settings().items():
        builder = builder.config(key, value)
    jar = require_jar() if with_jdbc else find_jar()
    if jar:
        builder = builder.config("spark.jars", jar)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    logs.event(
        log,
        "local Spark session started",
        level=logging.DEBUG,
        seconds=round(time.monotonic() - started, 2),
        workload_rows=workload_rows,
        driver_options=driver_options,
    )
    return configure(spark, workload_rows)


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
