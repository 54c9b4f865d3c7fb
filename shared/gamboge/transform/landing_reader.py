"""Landing JSON Lines → typed source rows, and rejects with a reason for everything that does not fit.

``read_landing`` is the source function (I/O); ``validate`` is pure: it splits a raw string-typed
DataFrame into typed good rows and reject rows (source file, raw record, reason), so every rule is
testable without files.
"""

import functools
import operator
from typing import Callable, List, NamedTuple, Tuple

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from gamboge.common import schema
from gamboge.lake import contracts
from gamboge.spark.schemas import spark_type
from gamboge.transform.columns import CORRUPT_RECORD, LANDING_RUN_ID, LINE_ORDER, REJECTED, SOURCE_FILE
from gamboge.transform.spark_schemas import landing_read_schema


def read_landing(spark: SparkSession, table: schema.Table, uris: List[str]) -> DataFrame:
    """Read the landing files a manifest names, as strings, with lineage columns."""
    raw = (
        spark.read.schema(landing_read_schema(table))
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
        .json(uris)
    )
    return raw.withColumns(
        {
            SOURCE_FILE: F.input_file_name(),
            LANDING_RUN_ID: run_id_of_file(F.input_file_name()),
            LINE_ORDER: F.monotonically_increasing_id(),
        }
    )


def run_id_of_file(uri: Column) -> Column:
    """The landing run that wrote a file (``contracts.run_id_of_landing_file`` as a Column); the run
    id orders versions of one row. Evaluated on every row, so by plain substring scans: a regular
    expression here (unanchored over the whole URI, then a backtracking ``(.*)``) took a quarter of
    the executors' time in a cold build at scale 10."""
    separator = contracts.LANDING_FILE_SEPARATOR
    name = F.substring_index(uri, "/", -1)
    numbered = F.substring_index(name, separator, -1)  # "<n>.jsonl[.gz]"
    return name.substr(F.lit(1), F.length(name) - F.length(numbered) - F.lit(len(separator)))


def typed_name(column: schema.Column) -> str:
    """The column that holds ``column``'s typed value beside its raw string while rows are judged."""
    return "_typed_" + column.name


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


class Problem(NamedTuple):
    """One way a raw value can be unusable: the condition, on rows that carry the column's typed
    value (``with_verdicts``), and what to say about it. The wording is built only where a reason is
    written (``reject_reason``): every batch judges its rows, few reject any, and each Column made
    on the driver is a round trip to the JVM."""

    condition: Column
    message: Callable[[], Column]


def _problems(column: schema.Column) -> List[Problem]:
    raw = F.col(column.name)
    problems = []
    if not column.nullable:
        problems.append(Problem(raw.isNull(), lambda: F.lit(f"{column.name}: missing or null in a NOT NULL column")))
    problems.append(
        Problem(
            raw.isNotNull() & F.col(typed_name(column)).isNull(),
            lambda: F.concat(
                F.lit(f"{column.name}: cannot read "), F.to_json(F.array(raw)), F.lit(f" as {column.type}")
            ),
        )
    )
    return problems


def is_rejected(table: schema.Table) -> Column:
    """True when a raw landing row cannot be used, judged from the typed values ``with_verdicts``
    computed once (the good rows reuse them). A plain boolean, cheap to evaluate on every row: the
    wording of the reason (``reject_reason``) is only computed for the rows that need one."""
    conditions = [problem.condition for c in table.columns for problem in _problems(c)]
    return functools.reduce(operator.or_, conditions, F.col(CORRUPT_RECORD).isNotNull())


def reject_reason(table: schema.Table) -> Column:
    """Why a raw landing row cannot be used ('' when it can): every problem of the row, joined."""
    # concat_ws skips NULLs: only the problems that apply are joined.
    column_problems = F.concat_ws(
        "; ", *[F.when(problem.condition, problem.message()) for c in table.columns for problem in _problems(c)]
    )
    # A line that is not JSON has no columns to judge: one reason says it all.
    return F.when(F.col(CORRUPT_RECORD).isNotNull(), F.lit("malformed JSON line")).otherwise(column_problems)


def with_verdicts(raw: DataFrame, table: schema.Table) -> DataFrame:
    """Raw landing rows with their typed values, each marked rejected or not. Pure.

    Each value is typed once: the verdict and the good rows read the same typed column (Spark
    keeps a projection apart when collapsing it would evaluate an expensive expression twice)."""
    typed = raw.withColumns({typed_name(c): _typed(c) for c in table.columns})
    return typed.withColumn(REJECTED, is_rejected(table))


def good_rows(judged: DataFrame, table: schema.Table) -> DataFrame:
    """Rows marked by ``with_verdicts`` → the typed rows that passed, with their lineage. Pure."""
    return judged.filter(~F.col(REJECTED)).select(
        *[F.col(typed_name(c)).alias(c.name) for c in table.columns], SOURCE_FILE, LANDING_RUN_ID, LINE_ORDER
    )


def rejected_rows(judged: DataFrame, table: schema.Table) -> DataFrame:
    """Rows marked by ``with_verdicts`` → the rejects: table, source file, reason, raw record. Pure."""
    record = F.coalesce(
        F.col(CORRUPT_RECORD),
        F.to_json(F.struct(*[F.col(c) for c in table.column_names]), {"ignoreNullFields": "false"}),
    )
    return judged.filter(F.col(REJECTED)).select(
        F.lit(table.name).alias("table"),
        F.col(SOURCE_FILE).alias("source_file"),
        reject_reason(table).alias("reason"),
        record.alias("record"),
    )


def validate(raw: DataFrame, table: schema.Table) -> Tuple[DataFrame, DataFrame]:
    """Split raw landing rows into (typed rows, rejects). Pure: no I/O, no actions."""
    judged = with_verdicts(raw, table)
    return good_rows(judged, table), rejected_rows(judged, table)
