"""Observed metrics: what a write counts on the way, and a clear error when Spark never reports."""

import pytest
from pyspark.sql import functions as F

from gamboge.spark import observed
from gamboge.spark.session import SHUFFLE_PARTITIONS_PER_CORE

pytestmark = pytest.mark.spark


def test_a_write_reports_what_it_observed_on_the_way(spark, tmp_path):
    rows = spark.createDataFrame([(1, "a"), (2, None), (3, "c")], "id int, name string")
    counted, seen = observed.observe(
        rows, "names", rows=F.count(F.lit(1)), unnamed=F.sum(F.col("name").isNull().cast("int"))
    )
    counted.filter(F.col("id") > 1).write.parquet(str(tmp_path / "out"))
    assert observed.values(seen) == {"rows": 3, "unnamed": 1}


def test_a_filter_that_leaves_nothing_still_reports(spark, tmp_path):
    rows = spark.createDataFrame([(1,), (2,)], "id int")
    counted, seen = observed.observe(rows, "all filtered", rows=F.count(F.lit(1)))
    counted.filter(F.col("id") > 5).write.parquet(str(tmp_path / "out"))
    assert observed.values(seen) == {"rows": 2}


def test_an_observation_no_action_ran_is_an_error_not_a_hang(spark):
    _, seen = observed.observe(spark.range(3), "never run", rows=F.count(F.lit(1)))
    with pytest.raises(observed.ObservationLost, match="never run"):
        observed.values(seen, wait_seconds=0.5)


def test_the_shuffle_partitions_follow_the_cores(spark):
    expected = SHUFFLE_PARTITIONS_PER_CORE * spark.sparkContext.defaultParallelism
    assert spark.conf.get("spark.sql.shuffle.partitions") == str(expected)
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"
