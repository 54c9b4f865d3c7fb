"""Catalog entries derived from the schema, through boto3's real Glue calls (moto server) and the
local file catalog, which must hold the very same TableInput."""

import copy
import uuid

import boto3

from gamboge.common import schema
from gamboge.transform.catalog import FileCatalog, GlueCatalog, hive_type, same_table_input, table_input

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
