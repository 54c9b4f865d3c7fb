"""Make the local driver's class archive (``gamboge.spark.jvm``): ``python -m gamboge.spark.jvm_archive
ensure``, which ``make install`` runs. It first builds the local file system (gamboge.spark.localfs),
which joins the driver's class path; then a session exercises what a build loads, and the JVM
writes the archive as it exits."""

import contextlib
import os
import shutil
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path
from typing import Iterator, Optional

from pyspark.sql import Window
from pyspark.sql import functions as F

from gamboge.spark import jvm, localfs
from gamboge.spark.session import local_session


def _exercise(spark, folder: str) -> None:
    """Load the classes a build loads: JSON read with a schema, typing, windows, joins,
    aggregates, Parquet written and read back."""
    raw = spark.range(2000).select(
        F.to_json(
            F.struct(
                F.col("id").cast("string").alias("k"),
                F.date_format(F.timestamp_seconds(F.col("id") * 3600), "yyyy-MM-dd HH:mm:ss.SSS").alias("at"),
                (F.col("id") % 7).cast("string").alias("g"),
            )
        ).alias("value")
    )
    raw.write.mode("overwrite").text(f"{folder}/json")
    typed = (
        spark.read.schema("k string, at string, g string")
        .json(f"{folder}/json")
        .select(
            F.when(F.col("k").rlike(r"^-?\d+$"), F.col("k").cast("int")).alias("k"),
            F.col("at").cast("timestamp").alias("at"),
            F.col("g").cast("decimal(10,2)").alias("g"),
            F.input_file_name().alias("file"),
            F.monotonically_increasing_id().alias("line"),
        )
    )
    latest = typed.withColumn("_n", F.row_number().over(Window.partitionBy("g").orderBy(F.col("at").desc())))
    joined = typed.join(latest.filter(F.col("_n") == 1).select("g", F.col("k").alias("newest")), on="g", how="left")
    joined.write.mode("overwrite").partitionBy("g").parquet(f"{folder}/parquet")
    back = spark.read.parquet(f"{folder}/parquet")
    back.groupBy("g").agg(F.count(F.lit(1)), F.sha2(F.concat_ws("|", F.max("k")), 256)).collect()


@contextlib.contextmanager
def _scratch() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="gamboge-jvm-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ensure() -> Optional[Path]:
    """Make the class archive unless it exists: a session exercises Spark, and the JVM writes the
    archive as it exits (to a temporary name, moved into place once the JVM ended well)."""
    archive = jvm.class_archive()  # keyed by the local file system's jar: build_local_fs() first
    if archive is None or archive.is_file():
        return archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(f"{archive.name}.{os.getpid()}.partial")
    spark = local_session("gamboge-class-archive", dump_archive_to=partial)
    exercised = False
    try:
        with _scratch() as folder:
            _exercise(spark, folder)
        exercised = True
    finally:
        driver = spark.sparkContext._gateway.proc  # type: ignore[attr-defined,union-attr]
        spark.stop()
        driver.stdin.close()  # the gateway JVM exits when its stdin closes, and writes the archive then
        ended_well = driver.wait() == 0
        if exercised and ended_well and partial.is_file():
            os.replace(partial, archive)
        partial.unlink(missing_ok=True)
    return archive if archive.is_file() else None


def build_local_fs() -> None:
    try:
        built = localfs.build()
    except (OSError, subprocess.CalledProcessError) as exc:  # a speed-up: without it, Hadoop's own
        print(f"local file system not built ({exc}); local Spark sessions use Hadoop's", file=sys.stderr)
    else:
        print(f"local file system: {built}" if built else "local file system: Hadoop's (no javac found)")


if __name__ == "__main__":
    if sys.argv[1:] != ["ensure"]:
        print("usage: python -m gamboge.spark.jvm_archive ensure", file=sys.stderr)
        sys.exit(2)
    build_local_fs()
    try:
        made = ensure()
    except Exception as exc:  # noqa: BLE001 - a cache: without it local sessions only start slower
        print(f"Spark class archive not made ({exc}); local Spark sessions run without it", file=sys.stderr)
    else:
        print(f"Spark class archive: {made}" if made else "Spark class archive: not available (runs without it)")
