"""Landing JSON Lines → typed source rows, and rejects with a reason for everything that does not fit.

``read_landing`` is the source function (I/O); ``validate`` is pure: it splits a raw string-typed
DataFrame into typed good rows and reject rows (source file, raw record, reason), so every rule is
testable without files.
"""

from typing import List, Tuple

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from shared import schema
from shared.spark_schemas import CORRUPT_RECORD, landing_read_schema, spark_type

SOURCE_FILE = "_source_file"
LANDING_RUN_ID = "_landing_run_id"
LINE_ORDER = "_line_order"
REJECT_COLUMNS = ["table", "source_file", "reason", "record"]


def read_landing(spark: SparkSession, table: schema.Table, uris: List[str]) -> DataFrame:
    """Read the landing files a manifest names, as strings, with lineage columns."""
    raw = (
        spark.read.schema(landing_read_schema(table))
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
        .json(uris)
    )
    file_name = F.regexp_extract(F.input_file_name(), r"([^/]+)$", 1)
    return raw.withColumns(
        {
            SOURCE_FILE: F.input_file_name(),
            # Files are named <run_id>-<n>.jsonl[.gz]: the run id orders versions of one row.
            LANDING_RUN_ID: F.regexp_extract(file_name, r"^(.*)-[0-9]+\.jsonl(\.gz)?$", 1),
            LINE_ORDER: F.monotonically_increasing_id(),
        }
    )


def _typed(column: schema.Column) -> Column:
    raw = F.col(column.name)
    if column.type == schema.BOOL:
        # Spark's string→boolean cast also accepts 't', 'yes', '1': JSON only has true/false.
        return F.when(raw.isin("true", "false"), raw == F.lit("true"))
    if column.type == schema.TIMESTAMP:
        # ISO-8601 as PostgreSQL renders it: milliseconds present or (when zero) omitted.
        ok = raw.rlike(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
        return F.when(ok, raw.cast("timestamp"))
    if column.type == schema.TEXT_DATE:
        return F.when(raw.rlike(r"^\d{4}-\d{2}-\d{2}$"), raw.cast("date"))
    if column.type == schema.INT:
        return F.when(raw.rlike(r"^-?\d+$"), raw.cast("int"))
    return raw.cast(spark_type(column.type))


def reject_reason(table: schema.Table) -> Column:
    """Why a raw landing row cannot be used ('' when it can): every problem of the row, joined."""
    problems = []
    for c in table.columns:
        raw_value, value = F.col(c.name), _typed(c)
        if not c.nullable:
            problems.append(F.when(raw_value.isNull(), F.lit(f"{c.name}: missing or null in a NOT NULL column")))
        problems.append(
            F.when(
                raw_value.isNotNull() & value.isNull(),
                F.concat(F.lit(f"{c.name}: cannot read "), F.to_json(F.array(raw_value)), F.lit(f" as {c.type}")),
            )
        )
    column_problems = F.concat_ws("; ", F.filter(F.array(*problems), lambda p: p.isNotNull()))
    # A line that is not JSON has no columns to judge: one reason says it all.
    return F.when(F.col(CORRUPT_RECORD).isNotNull(), F.lit("malformed JSON line")).otherwise(column_problems)


def validate(raw: DataFrame, table: schema.Table) -> Tuple[DataFrame, DataFrame]:
    """Split raw landing rows into (typed rows, rejects). Pure: no I/O, no actions."""
    typed_cols = {c.name: _typed(c) for c in table.columns}
    checked = raw.withColumn("_reason", reject_reason(table))
    good = checked.filter(F.col("_reason") == "").select(
        *[typed_cols[c].alias(c) for c in table.column_names], SOURCE_FILE, LANDING_RUN_ID, LINE_ORDER
    )
    record = F.coalesce(
        F.col(CORRUPT_RECORD),
        F.to_json(F.struct(*[F.col(c) for c in table.column_names]), {"ignoreNullFields": "false"}),
    )
    rejects = checked.filter(F.col("_reason") != "").select(
        F.lit(table.name).alias("table"),
        F.col(SOURCE_FILE).alias("source_file"),
        F.col("_reason").alias("reason"),
        record.alias("record"),
    )
    return good, rejects
