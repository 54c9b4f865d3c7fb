"""The star schema as pure functions: DataFrame(s) in, one star table out. No I/O, no actions.

Every function ends with a ``select`` in the order of shared/gamboge/common/schema.py: that select is the output
contract, checked by the tests against the schema definition.
"""

import datetime
from typing import Dict, List, Optional

import pycountry
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gamboge.common import schema
from gamboge.lake.buckets import BUCKET_COLUMN
from gamboge.transform.columns import LANDED_BY, LANDING_RUN_ID, LINE_ORDER, PARTITION_COLUMN, VERSION_KEY

VERSION_KEY_SCHEMA = T.StructType([T.StructField(VERSION_KEY, T.StringType())])
# The landing run that brought a version: orders versions that share last_updated (silent updates).
# Which source tables build each star table: gamboge.transform.star_sources.


def _contract(df: DataFrame, table_name: str, *extra: str) -> DataFrame:
    table = schema.star_table(table_name)
    return df.select(*[c.name for c in table.data_columns], *extra)


# --- current state of source tables -------------------------------------------------------------
def latest_per_key(rows: DataFrame, key: str, within: Optional[str] = None) -> DataFrame:
    """The latest version of each row: the one the newest landing run read, then the last in file
    order. Each ingest run reads a later snapshot of the source, so its rows are the newer state
    whatever their last_updated says (ToteSys changes rows without moving it, and a transaction
    may commit an older stamp than the version it replaces).

    ``within``: a column the key determines (a bucket): windowing by it too lets rows already
    partitioned by it stay where they are, with no second shuffle."""
    order = Window.partitionBy(*([within] if within else []), key).orderBy(
        F.col(LANDING_RUN_ID).desc(), F.col(LINE_ORDER).desc()
    )
    return rows.withColumn("_rank", F.row_number().over(order)).filter(F.col("_rank") == 1).drop("_rank")


def with_bucket(rows: DataFrame, key: str, span: int) -> DataFrame:
    """``rows`` with their range bucket: ``key DIV span`` (gamboge.lake.buckets)."""
    return rows.withColumn(BUCKET_COLUMN, F.floor(F.col(key) / F.lit(span)).cast("int"))


def by_bucket(rows: DataFrame) -> DataFrame:
    """One bucket per shuffle partition: a write partitioned by bucket then gives each bucket one file."""
    return rows.repartition(F.col(BUCKET_COLUMN))


# --- time helpers ---------------------------------------------------------------------------------
def time_of_day(ts: Column) -> Column:
    """'14:20:52.186' keeps its milliseconds; a whole-second time prints as '09:26:10'."""
    # One formatter call per value; the milliseconds come from arithmetic, not a second format.
    # pmod, not %: before 1970 the microseconds are negative and % would keep the sign.
    millis = F.floor(F.pmod(F.unix_micros(ts), F.lit(1_000_000)) / 1000).cast("int")
    whole = F.date_format(ts, "HH:mm:ss")
    return F.when(millis == 0, whole).otherwise(F.concat(whole, F.lit("."), F.lpad(millis.cast("string"), 3, "0")))


def _stamp_columns(prefix: str, ts: str) -> Dict[str, Column]:
    return {f"{prefix}_date": F.to_date(F.col(ts)), f"{prefix}_time": time_of_day(F.col(ts))}


def created_month(created_at: Column) -> Column:
    """The fact partition a row belongs to: 'YYYY-MM' of its creation."""
    return F.date_format(F.to_date(created_at), "yyyy-MM")


def version_key(columns: List[str]) -> Column:
    """A content hash over a fact row: two versions differ iff some fact column differs
    (silent source updates keep last_updated, so the id and timestamp alone cannot tell)."""
    parts = [F.coalesce(F.col(c).cast("string"), F.lit("\u0000")) for c in columns]
    return F.sha2(F.concat_ws("\u0001", *parts), 256)


# --- dimensions -------------------------------------------------------------------------------------
def _lookup(table: DataFrame) -> DataFrame:
    """A small lookup side of a join, hashed where it is joined: a broadcast would cost a Spark job
    of its own, and both sides of these joins arrive in one partition (no shuffle either)."""
    return table.hint("shuffle_hash")


def dim_staff(staff: DataFrame, department: DataFrame) -> DataFrame:
    departments = _lookup(department.select("department_id", "department_name", "location"))
    return _contract(staff.join(departments, on="department_id", how="left"), "dim_staff")


def dim_location(address: DataFrame) -> DataFrame:
    return _contract(address.withColumnRenamed("address_id", "location_id"), "dim_location")


def currency_name(code: Column) -> Column:
    """The ISO 4217 name of a currency code, from pycountry (a maintained ISO database); NULL for a
    code it does not know. A literal map in the plan, not a table to join: the currency table has a
    handful of rows, and a lookup DataFrame made from Python rows cost the build a job's worth of
    serialising them into the JVM."""
    names = F.create_map(*[F.lit(value) for c in pycountry.currencies for value in (c.alpha_3, c.name)])
    return names[code]


def dim_currency(currency: DataFrame) -> DataFrame:
    # An unknown code keeps the code as its name rather than loading a NULL into a NOT NULL column.
    code = F.col("currency_code")
    return _contract(currency.withColumn("currency_name", F.coalesce(currency_name(code), code)), "dim_currency")


def dim_design(design: DataFrame) -> DataFrame:
    return _contract(design, "dim_design")


def dim_counterparty(counterparty: DataFrame, address: DataFrame) -> DataFrame:
    legal_address = address.select(
        F.col("address_id").alias("legal_address_id"),
        F.col("address_line_1").alias("counterparty_legal_address_line_1"),
        F.col("address_line_2").alias("counterparty_legal_address_line_2"),
        F.col("district").alias("counterparty_legal_district"),
        F.col("city").alias("counterparty_legal_city"),
        F.col("postal_code").alias("counterparty_legal_postal_code"),
        F.col("country").alias("counterparty_legal_country"),
        F.col("phone").alias("counterparty_legal_phone_number"),
    )
    return _contract(counterparty.join(_lookup(legal_address), on="legal_address_id", how="left"), "dim_counterparty")


def dim_payment_type(payment_type: DataFrame) -> DataFrame:
    return _contract(payment_type, "dim_payment_type")


def dim_transaction(transaction: DataFrame) -> DataFrame:
    return _contract(transaction, "dim_transaction")


def dim_date(spark: SparkSession, first: datetime.date, last: datetime.date) -> DataFrame:
    """A contiguous calendar from ``first`` to ``last`` inclusive."""
    days = spark.range(1).select(
        F.explode(F.sequence(F.lit(first).cast("date"), F.lit(last).cast("date"))).alias("date_id")
    )
    calendar = days.select(
        "date_id",
        F.year("date_id").alias("year"),
        F.month("date_id").alias("month"),
        F.dayofmonth("date_id").alias("day"),
        # Spark's dayofweek is Sunday=1…Saturday=7; ISO is Monday=1…Sunday=7.
        (((F.dayofweek("date_id") + 5) % 7) + 1).alias("day_of_week"),
        F.date_format("date_id", "EEEE").alias("day_name"),
        F.date_format("date_id", "MMMM").alias("month_name"),
        F.quarter("date_id").alias("quarter"),
    )
    return _contract(calendar, "dim_date")


# --- facts --------------------------------------------------------------------------------------------
def _fact(rows: DataFrame, table_name: str, renames: Dict[str, str]) -> DataFrame:
    table = schema.star_table(table_name)
    derived = {**_stamp_columns("created", "created_at"), **_stamp_columns("last_updated", "last_updated")}
    derived.update({target: F.col(source) for target, source in renames.items()})
    shaped = rows.withColumns(derived)
    data_columns = [c.name for c in table.data_columns]
    versioned = shaped.withColumns(
        {
            VERSION_KEY: version_key(data_columns),
            LANDED_BY: F.col(LANDING_RUN_ID),
            PARTITION_COLUMN: created_month(F.col("created_at")),
        }
    )
    # The same version can arrive twice in one batch (a full re-extract, an audit): keep one.
    # One shuffle, by month, serves both this dedupe and the month-partitioned write that follows:
    # a version never spans months (its created_date is part of it), so deduping within a month
    # is deduping overall, and the window's sort already groups each task's rows by month.
    by_month = versioned.repartition(F.col(PARTITION_COLUMN))
    first = Window.partitionBy(PARTITION_COLUMN, VERSION_KEY).orderBy(F.col(LANDING_RUN_ID), F.col(LINE_ORDER))
    unique = by_month.withColumn("_n", F.row_number().over(first)).filter(F.col("_n") == 1)
    return _contract(unique, table_name, VERSION_KEY, LANDED_BY, PARTITION_COLUMN)


def fact_sales_order(sales_order: DataFrame) -> DataFrame:
    return _fact(sales_order, "fact_sales_order", {"sales_staff_id": "staff_id"})


def fact_purchase_order(purchase_order: DataFrame) -> DataFrame:
    return _fact(purchase_order, "fact_purchase_order", {})


def fact_payment(payment: DataFrame) -> DataFrame:
    return _fact(payment, "fact_payment", {})


FACT_BUILDERS = {
    "fact_sales_order": fact_sales_order,
    "fact_purchase_order": fact_purchase_order,
    "fact_payment": fact_payment,
}


def new_versions(batch: DataFrame, existing_keys: DataFrame) -> DataFrame:
    """Versions of the batch not already in the processed zone: a version seen twice adds nothing."""
    return batch.join(existing_keys.select(VERSION_KEY), on=VERSION_KEY, how="left_anti")


def date_columns(table_name: str) -> List[str]:
    """The columns of a star table that reference dim_date."""
    return [fk.column for fk in schema.star_table(table_name).foreign_keys if fk.ref_table == "dim_date"]
