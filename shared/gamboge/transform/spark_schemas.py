"""Spark schemas derived from shared/gamboge/common/schema.py (never written by hand anywhere else).

Landing JSON is read with every known column as a string: a value that does not fit its type then
becomes a reject with a reason instead of a silent NULL, and numerics keep their exact text until
they are cast to decimal.
"""

from pyspark.sql import types as T

from gamboge.common import schema
from gamboge.transform.columns import CORRUPT_RECORD

_SPARK_TYPES = {
    schema.INT: T.IntegerType(),
    schema.TEXT: T.StringType(),
    "varchar": T.StringType(),
    schema.MONEY: T.DecimalType(10, 2),
    schema.TIMESTAMP: T.TimestampType(),
    schema.BOOL: T.BooleanType(),
    schema.DATE: T.DateType(),
    schema.TEXT_DATE: T.DateType(),
    # Spark 3.5 has no TIME type: keep the exact ISO text ("14:20:52.186").
    schema.TIME: T.StringType(),
    schema.SERIAL: T.LongType(),
}


def spark_type(logical: str) -> T.DataType:
    if logical.startswith(("enum:", "varchar")):
        return T.StringType()
    return _SPARK_TYPES[logical]


def landing_read_schema(table: schema.Table) -> T.StructType:
    """Every source column as a string, plus the reader's corrupt-record column."""
    fields = [T.StructField(c.name, T.StringType(), True) for c in table.columns]
    return T.StructType(fields + [T.StructField(CORRUPT_RECORD, T.StringType(), True)])


def source_schema(table: schema.Table) -> T.StructType:
    """The typed shape of a validated source row."""
    return T.StructType([T.StructField(c.name, spark_type(c.type), c.nullable) for c in table.columns])


def star_schema(table: schema.StarTable) -> T.StructType:
    """The processed-zone shape of a star table (facts: without the warehouse's serial id)."""
    return T.StructType([T.StructField(c.name, spark_type(c.type), c.nullable) for c in table.data_columns])
