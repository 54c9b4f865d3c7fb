"""Reading landing files: the lineage columns every landed row carries."""

import gzip
import json

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from gamboge.common import schema
from gamboge.transform.columns import LANDING_RUN_ID
from gamboge.transform.landing_reader import read_landing, run_id_of_file
from helpers.landing import currency

pytestmark = pytest.mark.spark


def test_the_run_id_is_the_file_name_before_its_number(spark):
    uris = [
        ("file:///lake/landing/currency/ingest_date=2026-12-03/20261203T142131397276Z-b59d60-0.jsonl",),
        ("s3://bucket-with-dashes/landing/payment/ingest_date=2026-01-31/20260131T000000000001Z-00ff00-12.jsonl.gz",),
        ("file:///lake/landing/sales_order/ingest_date=2026-12-03/a-b-c-7.jsonl",),
    ]
    got = spark.createDataFrame(uris, "uri string").select(run_id_of_file(F.col("uri")).alias("run_id"))
    expected = spark.createDataFrame(
        [("20261203T142131397276Z-b59d60",), ("20260131T000000000001Z-00ff00",), ("a-b-c",)], "run_id string"
    )
    assert_df_equality(got, expected, ignore_nullable=True)


def test_each_landed_row_carries_the_run_id_of_its_file(spark, tmp_path):
    folder = tmp_path / "currency" / "ingest_date=2026-12-03"
    folder.mkdir(parents=True)
    plain = folder / "20261203T100000000000Z-aaaaaa-0.jsonl"
    plain.write_text(json.dumps(currency(1)) + "\n" + json.dumps(currency(2)) + "\n")
    packed = folder / "20261203T103000000000Z-bbbbbb-1.jsonl.gz"
    packed.write_bytes(gzip.compress((json.dumps(currency(3)) + "\n").encode()))
    rows = read_landing(spark, schema.source_table("currency"), ["file://" + str(plain), "file://" + str(packed)])
    got = {(r["currency_id"], r[LANDING_RUN_ID]) for r in rows.collect()}
    assert got == {
        ("1", "20261203T100000000000Z-aaaaaa"),
        ("2", "20261203T100000000000Z-aaaaaa"),
        ("3", "20261203T103000000000Z-bbbbbb"),
    }
