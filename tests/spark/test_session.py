"""The session's settings: code generation chosen by the rows a session works on."""

import pytest
from pyspark.sql import Window
from pyspark.sql import functions as F

from gamboge.spark import session


def test_small_work_runs_interpreted_and_large_or_unknown_work_generated():
    small = session.execution_settings(session.INTERPRETED_MAX_ROWS)
    assert small == {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}
    assert session.execution_settings(0) == small
    generated = {"spark.sql.codegen.wholeStage": "true", "spark.sql.codegen.factoryMode": "FALLBACK"}
    assert session.execution_settings(session.INTERPRETED_MAX_ROWS + 1) == generated
    assert session.execution_settings(None) == generated


@pytest.fixture()
def reconfigured(spark):
    yield spark
    session.configure(spark)  # the shared test session goes back to its own settings


def _typed_and_ranked(spark):
    raw = spark.createDataFrame(
        [("1", "2024-01-02 03:04:05.5", "12.30"), ("2", "bad", "1"), ("x", "2024-02-01 00:00:00", None)],
        "k string, at string, amount string",
    )
    typed = raw.select(
        F.when(F.col("k").rlike(r"^-?\d+$"), F.col("k").cast("int")).alias("k"),
        F.col("at").cast("timestamp").alias("at"),
        F.col("amount").cast("decimal(10,2)").alias("amount"),
        F.sha2(F.concat_ws("|", F.col("k"), F.col("at")), 256).alias("version"),
    )
    return typed.withColumn("rank", F.row_number().over(Window.orderBy(F.col("k").asc_nulls_last())))


def _compiled_stages(df) -> int:
    """The whole-stage-codegen operators of the plan, which Spark prints as ``*(n)``."""
    return df._jdf.queryExecution().executedPlan().toString().count("*(")


@pytest.mark.spark
def test_interpreted_and_generated_plans_give_the_same_rows(reconfigured):
    spark = reconfigured
    session.configure(spark, workload_rows=10)
    interpreted = _typed_and_ranked(spark)
    interpreted_rows = interpreted.collect()
    assert _compiled_stages(interpreted) == 0
    session.configure(spark, workload_rows=None)
    generated = _typed_and_ranked(spark)
    assert _compiled_stages(generated) > 0
    assert generated.collect() == interpreted_rows
    ranked = [(r.k, str(r.amount), r.rank) for r in interpreted_rows]
    assert ranked == [(1, "12.30", 1), (2, "1.00", 2), (None, "None", 3)]
