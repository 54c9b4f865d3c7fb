"""The bad-input matrix: every kind of garbage has a defined outcome — quarantined with a reason, or
a clear error with nothing written — and the counts always add up (landed = processed + rejected).

Landing input is written here directly (files + a manifest, as the ingest contract describes it)
and the transform runs in-process on the session's Spark; source-side cases run the real ingest
against a copy of a seeded ToteSys.
"""

import json
import logging

import psycopg
import pytest

from gamboge.common import config
from gamboge.ingest import job as ingest
from gamboge.lake import bookmarks, manifests, storage
from gamboge.load import pipeline
from gamboge.transform import transform, transform_job
from helpers.landing import _DROP, currency, land, manifest_body, payment
from helpers.workspaces import with_password

pytestmark = pytest.mark.spark


@pytest.fixture()
def lake(tmp_path, monkeypatch):
    monkeypatch.setenv("GAMBOGE_HOME", str(tmp_path))
    monkeypatch.setenv("GAMBOGE_LAKE", (tmp_path / "lake").as_uri())
    return (tmp_path / "lake").as_uri()


def transform_all(spark):
    return transform_job.execute(dict(transform_job.defaults(), max_reject_ratio="1"), spark=spark)


def reasons(summary):
    return sorted(
        json.loads(line)["reason"]
        for uri in storage.list_uris(summary["rejects_uri"], suffix=".json")
        for line in storage.read_text(uri).splitlines()
    )


def assert_counts_add_up(summary, table, landed, rejected):
    assert summary["landed"][table] == landed and summary["rejected"][table] == rejected


# --- quarantined rows ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad_line, reason",
    [
        ('{"currency_id": 2, "currency_code": ', "malformed JSON line"),
        (currency(2, **{"currency_id": "two"}), 'currency_id: cannot read ["two"] as int'),
        (currency(2, currency_code=_DROP), "currency_code: missing or null in a NOT NULL column"),
        (currency(2, currency_code=None), "currency_code: missing or null in a NOT NULL column"),
        (currency(2, last_updated="yesterday"), 'last_updated: cannot read ["yesterday"] as timestamp'),
    ],
    ids=["malformed-json", "text-in-int", "missing-column", "null-in-not-null", "bad-timestamp"],
)
def test_a_bad_row_is_quarantined_with_its_reason_and_the_rest_goes_through(lake, spark, bad_line, reason):
    land("currency", [currency(1, "GBP"), bad_line, currency(3, "EUR")])
    summary = transform_all(spark)
    assert_counts_add_up(summary, "currency", landed=3, rejected=1)
    assert reasons(summary) == [reason]
    assert summary["tables"]["dim_currency"]["rows"] == 2


def test_too_many_rejects_fail_the_batch_and_write_nothing(lake, spark):
    land("currency", [currency(1, "GBP"), currency(2, **{"currency_id": "two"})])
    with pytest.raises(transform.TransformError, match="1 of 2 landed rows were rejected"):
        transform_job.execute(transform_job.defaults(), spark=spark)
    assert manifests.list_run_ids(config.processed_uri()) == []


def test_an_unknown_column_is_carried_in_landing_and_ignored_by_the_transform(lake, spark):
    land("currency", [currency(1, "GBP", colour="gamboge")])
    summary = transform_all(spark)
    assert_counts_add_up(summary, "currency", landed=1, rejected=0)
    assert summary["tables"]["dim_currency"]["rows"] == 1


# --- whole-file problems ----------------------------------------------------------------------------------
def test_a_manifest_listing_a_missing_file_fails_clearly_and_writes_nothing(lake, spark):
    _, uri = land("currency", [currency(1)])
    storage.delete(uri)
    with pytest.raises(transform.TransformError, match="lists .* for currency, but the file does not exist"):
        transform_all(spark)
    assert manifests.list_run_ids(config.processed_uri()) == []
    assert bookmarks.load(config.state_uri(), "transform") == {}


def test_a_truncated_gzip_fails_clearly_naming_the_file_and_writes_nothing(lake, spark):
    _, uri = land("currency", [currency(i, "GBP") for i in range(1, 2000)], gz=True, truncate=True)
    with pytest.raises(transform.TransformError, match="cannot be read") as failure:
        transform_all(spark)
    assert uri.rsplit("/", 1)[-1] in str(failure.value)
    assert manifests.list_run_ids(config.processed_uri()) == []


def test_a_good_gzip_file_is_read(lake, spark):
    land("currency", [currency(1, "GBP"), currency(2, "USD")], gz=True)
    assert_counts_add_up(transform_all(spark), "currency", landed=2, rejected=0)


def test_an_empty_file_is_zero_rows_not_an_error(lake, spark):
    land("currency", [], rows=0)
    land("currency", [currency(1, "GBP")])
    summary = transform_all(spark)
    assert_counts_add_up(summary, "currency", landed=1, rejected=0)


def test_the_same_files_under_two_manifests_add_each_fact_version_once(lake, spark):
    first, uri = land("payment", [payment(1), payment(2)])
    again = manifests.new_run_id()
    manifests.write_manifest(config.landing_uri(), again, manifest_body("payment", uri, 2))
    summary = transform_all(spark)
    assert summary["inputs"] == [first, again]
    assert_counts_add_up(summary, "payment", landed=4, rejected=0)  # read twice, as listed twice
    assert summary["tables"]["fact_payment"]["rows"] == 2
    rows = spark.read.parquet(storage.join(config.processed_uri(), "fact_payment")).count()
    assert rows == 2


# --- source-side problems (real ingest against a copy of ToteSys) ---------------------------------------
@pytest.fixture()
def source(sources, tmp_path, monkeypatch, lake):
    workspace = sources.workspace(0.1, tmp_path / "home")
    monkeypatch.setenv("GAMBOGE_SOURCE_DSN", workspace["source"])
    return workspace


def _ingest(**extra):
    return ingest.run_job(dict(ingest.argument_defaults(), **extra))


@pytest.mark.parametrize("change", ["ALTER TABLE payment RENAME TO payments", "DROP TABLE payment"])
def test_a_renamed_or_dropped_source_table_fails_ingest_naming_it_and_keeps_the_bookmark(source, change, caplog):
    assert _ingest(tables="payment,currency") == 0
    bookmark = bookmarks.load(config.state_uri(), "ingest")
    landed = manifests.list_run_ids(config.landing_uri())
    with psycopg.connect(source["source"]) as conn:
        conn.execute(change)
    with caplog.at_level(logging.ERROR):
        assert _ingest(tables="payment,currency") == 1
    assert "table payment does not exist in the source database" in caplog.text
    assert bookmarks.load(config.state_uri(), "ingest") == bookmark
    assert manifests.list_run_ids(config.landing_uri()) == landed


def test_a_new_source_column_is_landed_and_reported_and_the_transform_ignores_it(source, spark):
    with psycopg.connect(source["source"]) as conn:
        conn.execute("ALTER TABLE currency ADD COLUMN colour text DEFAULT 'gamboge'")
    assert _ingest(tables="currency") == 0
    body = manifests.read_manifest(
        manifests.manifest_uri(config.landing_uri(), manifests.list_run_ids(config.landing_uri())[-1])
    )
    assert body["tables"]["currency"]["schema_drift"]["added"] == ["colour"]
    first_file = body["tables"]["currency"]["files"][0]["uri"]
    assert json.loads(storage.read_text(first_file).splitlines()[0])["colour"] == "gamboge"
    summary = transform_all(spark)
    assert summary["rejected"]["currency"] == 0
    assert summary["tables"]["dim_currency"]["rows"] == summary["landed"]["currency"] == 3


@pytest.mark.slow  # a whole ingest → transform → load at scale 0.1, in-process
def test_a_fact_referencing_a_missing_dimension_row_is_refused_by_the_load(source, spark, fresh_db):
    """ToteSys without its foreign key lets an order name a design that does not exist."""
    with psycopg.connect(source["source"]) as conn:
        conn.execute("ALTER TABLE sales_order DROP CONSTRAINT sales_order_design_id_fkey")
        conn.execute("UPDATE sales_order SET design_id = 999999 WHERE sales_order_id = 1")
    assert _ingest() == 0
    transform_all(spark)
    with pytest.raises(pipeline.LoadError) as refused:
        pipeline.run(spark, config.processed_uri(), with_password(fresh_db, "unused"))
    message = str(refused.value)
    assert "fact_sales_order.design_id references dim_design.design_id = 999999" in message
    assert "rolled back, nothing changed" in message
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM fact_sales_order").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM gamboge_load_log").fetchone()[0] == 0
