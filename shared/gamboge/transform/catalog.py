"""The Glue Data Catalog entries of the star schema, derived from shared/gamboge/common/schema.py.

``GlueCatalog`` creates/updates tables and registers partitions through boto3 (a moto server in
tests); ``FileCatalog`` keeps the very same TableInput JSON under the lake, for local runs, where
``gamboge query`` (DuckDB) reads it the way Athena reads the Glue catalog.

Facts are partitioned by month, by partition projection over the table's location. A bucketed
dimension (gamboge.lake.buckets: dim_transaction) is partitioned by bucket, and each partition has
its own location, the snapshot of the batch that last wrote that bucket: a batch moves only the
partitions of the buckets it rewrote. Its partition column (``transaction_bucket``) is one more
column to Athena; the warehouse's dim_transaction does not have it.
"""

import json
from typing import Any, Dict, List, Optional

from gamboge.common import aws, schema
from gamboge.lake import buckets, storage
from gamboge.transform import settings
from gamboge.transform.columns import LANDED_BY, PARTITION_COLUMN, VERSION_KEY

DEFAULT_DATABASE = settings.DEFAULT_CATALOG_DATABASE
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
# Facts are partitioned by the month of creation: ~600–900 rows a month at the real rate, so one
# file per month per batch (compactable) and Athena prunes by month through partition projection.
PROJECTION_RANGE = "2020-01,NOW"

_HIVE_TYPES = {
    schema.INT: "int",
    schema.TEXT: "string",
    "varchar": "string",
    schema.MONEY: "decimal(10,2)",
    schema.TIMESTAMP: "timestamp",
    schema.BOOL: "boolean",
    schema.DATE: "date",
    schema.TEXT_DATE: "date",
    schema.TIME: "string",  # no TIME type in Hive/Athena tables: ISO text keeps milliseconds
}


BUCKET_COMMENT = "transaction_id DIV the bucket span; each bucket's partition is at its latest snapshot"


def hive_type(logical: str) -> str:
    return _HIVE_TYPES[logical]


def table_input(name: str, location: str) -> Dict[str, Any]:
    table = schema.star_table(name)
    columns = [{"Name": c.name, "Type": hive_type(c.type)} for c in table.data_columns]
    parameters = {"classification": "parquet", "EXTERNAL": "TRUE", "gamboge.kind": table.kind}
    partition_keys: List[Dict[str, str]] = []
    if table.is_fact:
        columns.append({"Name": VERSION_KEY, "Type": "string", "Comment": "content hash of the fact version"})
        columns.append({"Name": LANDED_BY, "Type": "string", "Comment": "landing run that brought the version"})
        partition_keys = [{"Name": PARTITION_COLUMN, "Type": "string", "Comment": "yyyy-MM of created_date"}]
        parameters.update(
            {
                "projection.enabled": "true",
                f"projection.{PARTITION_COLUMN}.type": "date",
                f"projection.{PARTITION_COLUMN}.format": "yyyy-MM",
                f"projection.{PARTITION_COLUMN}.range": PROJECTION_RANGE,
                f"projection.{PARTITION_COLUMN}.interval": "1",
                f"projection.{PARTITION_COLUMN}.interval.unit": "MONTHS",
                "storage.location.template": location.rstrip("/") + f"/{PARTITION_COLUMN}=${{{PARTITION_COLUMN}}}",
            }
        )
    if name in buckets.BUCKETED_KEYS:
        partition_keys = [{"Name": buckets.BUCKET_COLUMN, "Type": "int", "Comment": BUCKET_COMMENT}]
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": partition_keys,
        "StorageDescriptor": {
            "Columns": columns,
            "Location": location,
            "InputFormat": PARQUET_INPUT,
            "OutputFormat": PARQUET_OUTPUT,
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
        },
    }


def partition_input(location: str, value: str) -> Dict[str, Any]:
    """A month partition of a fact, below the table's location."""
    return located_partition_input(location.rstrip("/") + f"/{PARTITION_COLUMN}={value}", value)


def located_partition_input(location: str, value: str) -> Dict[str, Any]:
    return {
        "Values": [value],
        "StorageDescriptor": {
            "Location": location,
            "InputFormat": PARQUET_INPUT,
            "OutputFormat": PARQUET_OUTPUT,
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
        },
    }


def _managed_part(wanted: Any, actual: Any) -> Any:
    """``actual`` (from GetTable) cut down to the fields ``wanted`` (a TableInput) sets. GetTable
    adds fields of its own (CreateTime, VersionId, DatabaseName, defaults such as Compressed or
    NumberOfBuckets) that this module does not manage. ``Parameters`` maps are compared whole, so a
    parameter that is no longer wanted still counts as a change; an absent list or map is empty."""
    if isinstance(wanted, dict) and isinstance(actual, dict):
        out = {}
        for key, value in wanted.items():
            empty: Any = {} if isinstance(value, dict) else [] if isinstance(value, list) else None
            present = actual.get(key, empty)
            out[key] = present if key == "Parameters" else _managed_part(value, present)
        return out
    if isinstance(wanted, list) and isinstance(actual, list) and len(wanted) == len(actual):
        return [_managed_part(w, a) for w, a in zip(wanted, actual)]
    return actual


def same_table_input(wanted: Dict[str, Any], table: Dict[str, Any]) -> bool:
    """Whether the catalog's ``table`` (a GetTable ``Table``) already holds TableInput ``wanted``."""
    return _managed_part(wanted, table) == wanted


def cataloged_locations(entry: Dict[str, Any]) -> List[str]:
    """Where a reader of a cataloged dimension reads: each partition's own location (a bucketed
    table, by bucket), else the table's; compare with ``buckets.locations`` of its manifest entry."""
    located = entry.get("PartitionLocations")
    if located:
        return [located[value] for value in sorted(located, key=int)]
    location = entry.get("TableInput", {}).get("StorageDescriptor", {}).get("Location")
    return [location] if location else []


class Catalog:
    def put_table(
        self,
        name: str,
        location: str,
        partitions: Optional[List[str]] = None,
        partition_locations: Optional[Dict[str, str]] = None,
    ) -> None:
        """Create or update the table; register ``partitions`` (values below ``location``) or point
        the partitions ``partition_locations`` names (value → location) at their locations."""
        raise NotImplementedError

    def tables(self) -> Dict[str, Dict[str, Any]]:
        """name → {"TableInput": …, "Partitions": [values]}, and "PartitionLocations" (value →
        location) for a table whose partitions have their own locations"""
        raise NotImplementedError


class FileCatalog(Catalog):
    def __init__(self, catalog_uri: str, database: str = DEFAULT_DATABASE):
        self.root = storage.join(catalog_uri, database)
        self.database = database

    def _uri(self, name: str) -> str:
        return storage.join(self.root, name + ".json")

    def put_table(
        self,
        name: str,
        location: str,
        partitions: Optional[List[str]] = None,
        partition_locations: Optional[Dict[str, str]] = None,
    ) -> None:
        known = self.tables().get(name, {})
        entry: Dict[str, Any] = {"TableInput": table_input(name, location)}
        if name in buckets.BUCKETED_KEYS:
            located = dict(known.get("PartitionLocations", {}), **(partition_locations or {}))
            entry.update(Partitions=sorted(located, key=int), PartitionLocations=located)
        else:
            entry["Partitions"] = sorted(set(known.get("Partitions", [])) | set(partitions or []))
        storage.write_text(self._uri(name), json.dumps(entry, indent=2, sort_keys=True))

    def tables(self) -> Dict[str, Dict[str, Any]]:
        out = {}
        for uri in storage.list_uris(self.root, suffix=".json"):
            entry = json.loads(storage.read_text(uri))
            out[entry["TableInput"]["Name"]] = entry
        return out


class GlueCatalog(Catalog):
    def __init__(self, database: str = DEFAULT_DATABASE, client: Any = None):
        self.database = database
        self.client = client or aws.client("glue")

    def ensure_database(self) -> None:
        try:
            self.client.get_database(Name=self.database)
        except self.client.exceptions.EntityNotFoundException:
            self.client.create_database(DatabaseInput={"Name": self.database})

    def put_table(
        self,
        name: str,
        location: str,
        partitions: Optional[List[str]] = None,
        partition_locations: Optional[Dict[str, str]] = None,
    ) -> None:
        """Create the table, or update it when its TableInput changed. An unchanged table is left
        alone, and an update archives no version: Glue keeps at most 100,000 versions per table
        (1,000,000 per account) and fails UpdateTable beyond that."""
        entry = table_input(name, location)
        try:
            current = self.client.get_table(DatabaseName=self.database, Name=name)["Table"]
        except self.client.exceptions.EntityNotFoundException:
            self.client.create_table(DatabaseName=self.database, TableInput=entry)
        else:
            if not same_table_input(entry, current):
                self.client.update_table(DatabaseName=self.database, TableInput=entry, SkipArchive=True)
        if partitions:
            self._add_partitions(name, location, partitions)
        if partition_locations:
            self._locate_partitions(name, partition_locations)

    def _add_partitions(self, name: str, location: str, values: List[str]) -> None:
        for i in range(0, len(values), 100):  # BatchCreatePartition takes at most 100
            inputs = [partition_input(location, v) for v in values[i : i + 100]]
            response = self.client.batch_create_partition(
                DatabaseName=self.database, TableName=name, PartitionInputList=inputs
            )
            for error in response.get("Errors", []):
                if error.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException":
                    raise RuntimeError(f"registering partition {error.get('PartitionValues')} of {name}: {error}")

    def _locate_partitions(self, name: str, located: Dict[str, str]) -> None:
        """Create the partitions, and move those that exist (BatchUpdatePartition) to their new
        location: one or two calls per 100 partitions, whatever the table held before."""
        values = sorted(located, key=int)
        for i in range(0, len(values), 100):  # both batch calls take at most 100
            inputs = [located_partition_input(located[v], v) for v in values[i : i + 100]]
            response = self.client.batch_create_partition(
                DatabaseName=self.database, TableName=name, PartitionInputList=inputs
            )
            existing = []
            for error in response.get("Errors", []):
                if error.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException":
                    raise RuntimeError(f"registering partition {error.get('PartitionValues')} of {name}: {error}")
                existing.append(error["PartitionValues"][0])
            if existing:
                entries = [
                    {"PartitionValueList": [v], "PartitionInput": located_partition_input(located[v], v)}
                    for v in existing
                ]
                updated = self.client.batch_update_partition(
                    DatabaseName=self.database, TableName=name, Entries=entries
                )
                if updated.get("Errors"):
                    raise RuntimeError(f"moving partitions of {name}: {updated['Errors']}")

    def tables(self) -> Dict[str, Dict[str, Any]]:
        out = {}
        for page in self.client.get_paginator("get_tables").paginate(DatabaseName=self.database):
            for table in page["TableList"]:
                located = {}
                for ppage in self.client.get_paginator("get_partitions").paginate(
                    DatabaseName=self.database, TableName=table["Name"]
                ):
                    located.update({p["Values"][0]: p["StorageDescriptor"]["Location"] for p in ppage["Partitions"]})
                out[table["Name"]] = {"TableInput": table, "Partitions": sorted(located)}
                if table["Name"] in buckets.BUCKETED_KEYS:
                    out[table["Name"]].update(Partitions=sorted(located, key=int), PartitionLocations=located)
        return out
