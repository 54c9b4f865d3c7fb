"""Catalog entries derived from the schema, through boto3's real Glue calls (moto server) and the
local file catalog, which must hold the very same TableInput."""

import uuid

import boto3

from shared import schema
from shared.catalog import FileCatalog, GlueCatalog, hive_type, table_input

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


def test_file_catalog_holds_the_same_table_input(tmp_path):
    files = FileCatalog(tmp_path.as_uri())
    files.put_table("fact_payment", f"{LOCATION}/fact_payment", partitions=["2024-11"])
    files.put_table("fact_payment", f"{LOCATION}/fact_payment", partitions=["2024-12"])
    entry = files.tables()["fact_payment"]
    assert entry["TableInput"] == table_input("fact_payment", f"{LOCATION}/fact_payment")
    assert entry["Partitions"] == ["2024-11", "2024-12"]
