"""Spark types of the logical column types (shared/gamboge/common/schema.py), and the star tables'
shapes in the processed zone: what the transform writes and the load reads back, declared once."""

from pyspark.sql import types as T

from gamboge.common import schema

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


def star_schema(table: schema.StarTable) -> T.StructType:
    """The processed-zone shape of a star table (facts: without the warehouse's serial id)."""
    return T.StructType([T.StructField(c.name, spark_type(c.type), c.nullable) for c in table.data_columns])
