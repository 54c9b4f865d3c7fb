"""Names of the columns the transform adds to the source's: lineage, verdicts, versions, partitions.

Plain names, no Spark: the catalog, the local Athena and the checks use them without starting one.
"""

# Lineage of every landed row (landing_reader adds them while reading).
SOURCE_FILE = "_source_file"
LANDING_RUN_ID = "_landing_run_id"
LINE_ORDER = "_line_order"
REJECTED = "_rejected"  # the verdict column of validation
CORRUPT_RECORD = "_corrupt_record"  # what Spark's JSON reader fills for a malformed line
# Kept on every fact row: which version of its source row it is, which landing run brought it, and
# the month partition it is written under.
VERSION_KEY = "version_key"
LANDED_BY = "landing_run_id"
PARTITION_COLUMN = "created_month"
