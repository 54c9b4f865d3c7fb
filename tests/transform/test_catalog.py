"""Catalog entries derived from the schema, through boto3's real Glue calls (moto server) and the
local file catalog, which must hold the very same TableInput."""

import copy
import uuid

import boto3

from gamboge.common import schema
from gamboge.lake import buckets
from gamboge.transform.catalog import (
    BUCKET_COMMENT,
    FileCatalog,
    GlueCatalog,
    cataloged_locations,
    hive_type,
    same_table_input,
    table_input,
)

LOCATION = "s3://lake/processed"


def test_table_input_columns_come_from_the_schema():
    for table in schema.STAR_TABLES:
        entry = table_input(table.name, f"{LOCATION}/{table.name}")
        columns = entry["StorageDescriptor"]["Columns"]
        expected = [(c.name, hive_type(c.type)) for c in table.data_columns]
        assert [(c["Name"], c["Type"]) for c in columns][: len(expected)] == expected
        assert entry["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    fact = table_input("fact_payment", f"{LOCATION}/fact_payment")
    assert [k["Name"] for k in fact["PartitionKeys"]] == ["created_month"]
    assert fact["Parameters"]["projection.enabled"] == "true"
    assert fact["Parameters"]["projection.created_month.format"] == "yyyy-MM"
    assert (
        fact["Parameters"]["storage.location.template"] == f"{LOCATION}/fact_payment/created_month=${{created_month}}"
    )
    assert {c["Name"]: c["Type"] for c in fact["StorageDescriptor"]["Columns"]}["payment_amount"] == "decimal(10,2)"


def test_glue_catalog_creates_updates_and_registers_partitions(aws):
    client = boto3.client("glue")
    database = "gamboge_" + uuid.uuid4().hex[:8]
    glue = GlueCatalog(database, client)
    glue.ensure_database()
    glue.put_table("dim_currency", f"{LOCATION}/dim_currency/snapshot=a")
    glue.put_table("dim_currency", f"{LOCATION}/dim_currency/snapshot=b")  # readers move to the new snapshot
    glue.put_table("fact_payment", f"{LOCATION}/fact_payment", partitions=["2024-11", "2024-12"])
    glue.put_table("fact_payment", f"{LOCATION}/fact_payment", partitions=["2024-12", "2025-01"])
    currency = client.get_table(DatabaseName=database, Name="dim_currency")["Table"]
    assert currency["StorageDescriptor"]["Location"] == f"{LOCATION}/dim_currency/snapshot=b"
    assert [c["Name"] for c in currency["StorageDescriptor"]["Columns"]] == [
        "currency_id",
        "currency_code",
        "currency_name",
    ]
    tables = glue.tables()
    assert tables["fact_payment"]["Partitions"] == ["2024-11", "2024-12", "2025-01"]
    partition = client.get_partition(DatabaseName=database, TableName="fact_payment", PartitionValues=["2025-01"])
    assert partition["Partition"]["StorageDescriptor"]["Location"] == f"{LOCATION}/fact_payment/created_month=2025-01"


def _update_table_calls(client) -> list:
    """Every UpdateTable request the client sends, as its parameters."""
    calls = []
    client.meta.events.register("provide-client-params.glue.UpdateTable", lambda params, **_: calls.append(params))
    return calls


def _versions(client, database: str, name: str) -> int:
    return len(client.get_table_versions(DatabaseName=database, TableName=name)["TableVersions"])


def test_glue_catalog_updates_a_table_only_when_its_table_input_changed(aws):
    client = boto3.client("glue")
    database = "gamboge_" + uuid.uuid4().hex[:8]
    glue = GlueCatalog(database, client)
    glue.ensure_database()
    updates = _update_table_calls(client)
    for name, location in (
        ("fact_payment", f"{LOCATION}/fact_payment"),
        ("dim_currency", f"{LOCATION}/dim_currency/a"),
    ):
        glue.put_table(name, location, partitions=["2024-11"] if name.startswith("fact") else None)
        versions = _versions(client, database, name)

        # The same table again, as every run writes it: no UpdateTable, no new table version.
        glue.put_table(name, location, partitions=["2024-12"] if name.startswith("fact") else None)
        assert updates == [], f"{name}: an unchanged TableInput was written again"
        assert _versions(client, database, name) == versions

    # A dimension's new snapshot moves the location: one update, which archives no version. moto
    # (5.1) archives a version on every UpdateTable, SkipArchive or not, so the request is what
    # this can check; botocore has validated it against Glue's UpdateTable model ("By default,
    # UpdateTable always creates an archived version of the table before updating it. However, if
    # skipArchive is set to true, UpdateTable does not create the archived version.").
    glue.put_table("dim_currency", f"{LOCATION}/dim_currency/b")
    assert len(updates) == 1
    assert updates[0]["SkipArchive"] is True
    assert updates[0]["TableInput"] == table_input("dim_currency", f"{LOCATION}/dim_currency/b")
    table = client.get_table(DatabaseName=database, Name="dim_currency")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"{LOCATION}/dim_currency/b"
    glue.put_table("dim_currency", f"{LOCATION}/dim_currency/b")
    assert len(updates) == 1


def test_same_table_input_ignores_what_get_table_adds_and_sees_what_changed():
    wanted = table_input("fact_payment", f"{LOCATION}/fact_payment")
    # What GetTable returns for that input on Glue: the input plus Glue's own fields and defaults.
    table = copy.deepcopy(wanted)
    table.update(
        {
            "DatabaseName": "gamboge_dev",
            "CreateTime": "2026-12-01T00:00:00Z",
            "UpdateTime": "2026-12-01T00:00:00Z",
            "Retention": 0,
            "IsRegisteredWithLakeFormation": False,
            "CatalogId": "123456789012",
            "VersionId": "3",
        }
    )
    table["StorageDescriptor"].update(
        {"Compressed": False, "NumberOfBuckets": -1, "BucketColumns": [], "SortColumns": [], "Parameters": {}}
    )
    table["StorageDescriptor"]["StoredAsSubDirectories"] = False
    assert same_table_input(wanted, table)

    dimension = table_input("dim_currency", f"{LOCATION}/dim_currency/a")
    without_partition_keys = {k: v for k, v in copy.deepcopy(dimension).items() if k != "PartitionKeys"}
    assert same_table_input(dimension, without_partition_keys), "an absent list is an empty one"

    moved = copy.deepcopy(table)
    moved["StorageDescriptor"]["Location"] = f"{LOCATION}/elsewhere"
    assert not same_table_input(wanted, moved)
    retyped = copy.deepcopy(table)
    retyped["StorageDescriptor"]["Columns"][0]["Type"] = "bigint"
    assert not same_table_input(wanted, retyped)
    extra_column = copy.deepcopy(table)
    extra_column["StorageDescriptor"]["Columns"].append({"Name": "dropped", "Type": "string"})
    assert not same_table_input(wanted, extra_column)
    stale_parameter = copy.deepcopy(table)
    stale_parameter["Parameters"]["projection.old.type"] = "integer"
    assert not same_table_input(wanted, stale_parameter), "a parameter no longer wanted is a change"


def test_file_catalog_holds_the_same_table_input(tmp_path):
    files = FileCatalog(tmp_path.as_uri())
    files.put_table("fact_payment", f"{LOCATION}/fact_payment", partitions=["2024-11"])
    files.put_table("fact_payment", f"{LOCATION}/fact_payment", partitions=["2024-12"])
    entry = files.tables()["fact_payment"]
    assert entry["TableInput"] == table_input("fact_payment", f"{LOCATION}/fact_payment")
    assert entry["Partitions"] == ["2024-11", "2024-12"]


def _bucket(n: int, batch: str) -> str:
    return f"{LOCATION}/dim_transaction/{buckets.bucket_dir(n)}/snapshot={batch}"


def test_a_bucketed_dimension_is_partitioned_by_bucket_with_the_star_columns_first():
    """dim_transaction to Athena: the warehouse's columns, then the bucket as its partition key."""
    entry = table_input("dim_transaction", f"{LOCATION}/dim_transaction")
    expected = [c.name for c in schema.star_table("dim_transaction").data_columns]
    assert [c["Name"] for c in entry["StorageDescriptor"]["Columns"]] == expected
    assert entry["PartitionKeys"] == [{"Name": "transaction_bucket", "Type": "int", "Comment": BUCKET_COMMENT}]
    assert "projection.enabled" not in entry["Parameters"]  # each partition has its own location


def test_glue_catalog_moves_only_the_rewritten_buckets_partitions(aws):
    client = boto3.client("glue")
    database = "gamboge_" + uuid.uuid4().hex[:8]
    glue = GlueCatalog(database, client)
    glue.ensure_database()
    root = f"{LOCATION}/dim_transaction"
    # A lake of before the buckets: one whole-table snapshot, no partition key.
    client.create_table(
        DatabaseName=database,
        TableInput=dict(table_input("dim_currency", f"{root}/snapshot=a"), Name="dim_transaction"),
    )
    glue.put_table("dim_transaction", root, partition_locations={"0": _bucket(0, "b1"), "1": _bucket(1, "b1")})
    glue.put_table("dim_transaction", root, partition_locations={"1": _bucket(1, "b2"), "2": _bucket(2, "b2")})
    table = client.get_table(DatabaseName=database, Name="dim_transaction")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["transaction_bucket"]
    assert table["StorageDescriptor"]["Location"] == root
    located = {"0": _bucket(0, "b1"), "1": _bucket(1, "b2"), "2": _bucket(2, "b2")}
    listed = glue.tables()["dim_transaction"]
    assert listed["PartitionLocations"] == located and listed["Partitions"] == ["0", "1", "2"]
    assert cataloged_locations(listed) == [located["0"], located["1"], located["2"]]
    one = client.get_partition(DatabaseName=database, TableName="dim_transaction", PartitionValues=["1"])
    assert one["Partition"]["StorageDescriptor"]["Location"] == _bucket(1, "b2")


def test_file_catalog_holds_the_bucket_partitions_where_glue_does(tmp_path):
    files = FileCatalog(tmp_path.as_uri())
    root = f"{LOCATION}/dim_transaction"
    files.put_table("dim_transaction", root, partition_locations={"0": _bucket(0, "b1"), "10": _bucket(10, "b1")})
    files.put_table("dim_transaction", root, partition_locations={"10": _bucket(10, "b2")})
    entry = files.tables()["dim_transaction"]
    assert entry["TableInput"] == table_input("dim_transaction", root)
    assert entry["PartitionLocations"] == {"0": _bucket(0, "b1"), "10": _bucket(10, "b2")}
    assert entry["Partitions"] == ["0", "10"]
    assert cataloged_locations(entry) == [_bucket(0, "b1"), _bucket(10, "b2")]
    assert cataloged_locations(files.tables().get("dim_staff", {})) == []
