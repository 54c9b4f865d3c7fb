"""The landing zone's Spark schemas, derived from shared/gamboge/common/schema.py (the star tables'
are gamboge.spark.schemas).

Landing JSON is read with every known column as a string: a value that does not fit its type then
becomes a reject with a reason instead of a silent NULL, and numerics keep their exact text until
they are cast to decimal.
"""

from pyspark.sql import types as T

from gamboge.common import schema
from gamboge.spark.schemas import spark_type
from gamboge.transform.columns import CORRUPT_RECORD


def landing_read_schema(table: schema.Table) -> T.StructType:
    """Every source column as a string, plus the reader's corrupt-record column."""
    fields = [T.StructField(c.name, T.StringType(), True) for c in table.columns]
    return T.StructType(fields + [T.StructField(CORRUPT_RECORD, T.StringType(), True)])


def source_schema(table: schema.Table) -> T.StructType:
    """The typed shape of a validated source row."""
    return T.StructType([T.StructField(c.name, spark_type(c.type), c.nullable) for c in table.columns])
