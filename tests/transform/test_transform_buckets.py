"""dim_transaction and _current/transaction in id-range buckets, on the real PostgreSQL and Spark:
a batch rewrites only the buckets its rows fall in, carries the others over, and a lake of before
the buckets (manifest format 1, whole-table snapshots) is rewritten as buckets by its next batch."""

import json

import psycopg
import pytest

from gamboge.common import config
from gamboge.dev import simulate
from gamboge.ingest import job as ingest
from gamboge.lake import bookmarks, buckets, manifests, storage
from gamboge.ops.query import run_sql
from gamboge.transform import transform_job
from gamboge.transform.catalog import FileCatalog, cataloged_locations, table_input
from helpers import workspaces

pytestmark = pytest.mark.spark

SCALE = 0.2  # ~3,300 transactions
SPAN = 1024  # a few buckets at this scale (65,536 would hold them all in one)
TRANSACTION_COLUMNS = "transaction_id, transaction_type, sales_order_id, purchase_order_id"


@pytest.fixture(scope="module")
def lake(pg_server, tmp_path_factory):
    home = tmp_path_factory.mktemp("buckets-home")
    with workspaces.seeded_source_env(pg_server, home, SCALE, seed_value=11) as source:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(buckets, "BUCKET_SPAN", SPAN)
            yield {"source": source, "processed": config.processed_uri((home / "lake").as_uri())}


def _ingest():
    assert ingest.run_job(ingest.argument_defaults()) == 0


def _transform(spark, option=bookmarks.ENABLE):
    arguments = dict(transform_job.defaults(), job_bookmark_option=option)
    return transform_job.execute(arguments, spark=spark)


def _source(dsn, sql):
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def _source_buckets(dsn):
    return sorted(str(b) for (b,) in _source(dsn, f"SELECT DISTINCT transaction_id / {SPAN} FROM transaction"))


def _written_buckets(processed, table, batch_id):
    """The buckets that have a snapshot of ``batch_id`` on disk: what the batch wrote."""
    root = storage.join(processed, table)
    return sorted(
        {buckets.bucket_in(u) for u in storage.list_uris(root, suffix=".parquet") if f"/snapshot={batch_id}/" in u},
        key=int,
    )


def _visible_dim_transaction():
    catalog = FileCatalog(config.catalog_uri())
    return sorted(run_sql(f"SELECT {TRANSACTION_COLUMNS} FROM dim_transaction", catalog)[1])


def _source_transactions(dsn):
    return sorted(_source(dsn, f"SELECT {TRANSACTION_COLUMNS} FROM transaction"))


@pytest.fixture(scope="module")
def first_batch(lake, spark):
    _ingest()
    return _transform(spark)


def test_the_first_batch_writes_every_bucket_and_catalogs_each_at_its_snapshot(lake, first_batch):
    every = _source_buckets(lake["source"])
    assert len(every) >= 3
    dim, state = first_batch["tables"]["dim_transaction"], first_batch["current"]["transaction"]
    for table, entry in (("dim_transaction", dim), ("_current/transaction", state)):
        assert entry["changed"] == sorted(entry["buckets"], key=int) == every
        assert entry["bucket_span"] == SPAN
        assert _written_buckets(lake["processed"], table, first_batch["batch_id"]) == every
    (count,) = _source(lake["source"], "SELECT count(*) FROM transaction")[0]
    assert dim["rows"] == state["rows"] == dim["changed_rows"] == count
    cataloged = FileCatalog(config.catalog_uri()).tables()["dim_transaction"]
    assert cataloged_locations(cataloged) == buckets.locations(dim)
    assert _visible_dim_transaction() == _source_transactions(lake["source"])
    # To Athena the bucket is one more column: the bucket of the row's id.
    catalog = FileCatalog(config.catalog_uri())
    wrong = f"SELECT count(*) FROM dim_transaction WHERE transaction_bucket <> transaction_id // {SPAN}"
    assert run_sql(wrong, catalog)[1] == [(0,)]


@pytest.fixture(scope="module")
def second_batch(lake, first_batch, spark):
    """A simulated day (new transactions, in the last bucket) and an update of a transaction in the
    first bucket: the batch rewrites those buckets only."""
    report = simulate.simulate(lake["source"], days=1, seed_value=5)
    with psycopg.connect(lake["source"]) as conn:
        conn.execute(
            "UPDATE transaction SET last_updated = last_updated + interval '1 second' WHERE transaction_id = 5"
        )
    _ingest()
    return dict(_transform(spark), simulated=report["changes"]["transaction"]["inserted"] + 1)


def test_a_batch_rewrites_only_the_buckets_its_rows_fall_in(lake, first_batch, second_batch):
    every = _source_buckets(lake["source"])
    new_ids = _source(
        lake["source"], f"SELECT DISTINCT transaction_id / {SPAN} FROM transaction WHERE transaction_id > 5"
    )
    touched = sorted({"0"} | {str(b) for (b,) in new_ids if str(b) == every[-1]}, key=int)
    # Counted by the batch's first read of the new rows (the job that finds their buckets).
    assert second_batch["landed"]["transaction"] == second_batch["simulated"] >= 2
    batch = second_batch["batch_id"]
    for table, key in (("dim_transaction", "tables"), ("_current/transaction", "current")):
        entry = second_batch[key]["transaction" if key == "current" else table]
        assert entry["changed"] == touched == _written_buckets(lake["processed"], table, batch), table
        previous = (first_batch[key]["transaction" if key == "current" else table])["buckets"]
        for bucket, location in entry["buckets"].items():
            expected = f"/snapshot={batch}" if bucket in touched else previous[bucket].rsplit("/", 1)[1]
            assert location.endswith(expected), (table, bucket, location)
    dim = second_batch["tables"]["dim_transaction"]
    (count,) = _source(lake["source"], "SELECT count(*) FROM transaction")[0]
    assert dim["rows"] == second_batch["current"]["transaction"]["rows"] == count
    listed = ", ".join(touched)
    (in_touched,) = _source(
        lake["source"], f"SELECT count(*) FROM transaction WHERE transaction_id / {SPAN} IN ({listed})"
    )[0]
    assert dim["changed_rows"] == in_touched < count
    cataloged = FileCatalog(config.catalog_uri()).tables()["dim_transaction"]
    assert cataloged_locations(cataloged) == buckets.locations(dim)
    assert _visible_dim_transaction() == _source_transactions(lake["source"])


def _as_format_1(spark, processed, batch_id):
    """Rewrite the lake as the code before buckets left it: one whole-table snapshot of
    dim_transaction and of the transaction state, named by a format-1 manifest, and an
    unpartitioned catalog entry at the whole snapshot. Returns the whole snapshots."""
    uri = manifests.manifest_uri(processed, batch_id)
    body = json.loads(storage.read_text(uri))
    whole = {}
    for key, table, root in (
        ("tables", "dim_transaction", "dim_transaction"),
        ("current", "transaction", "_current/transaction"),
    ):
        entry = body[key][table]
        whole[table] = storage.join(processed, root, "snapshot=" + batch_id)
        spark.read.parquet(*buckets.locations(entry)).coalesce(1).write.mode("overwrite").parquet(whole[table])
        for location in buckets.locations(entry):
            storage.delete_prefix(location)
    rows = body["tables"]["dim_transaction"]["rows"]
    body["tables"]["dim_transaction"] = {"kind": "dimension", "location": whole["dim_transaction"], "rows": rows}
    body["current"]["transaction"] = whole["transaction"]
    body["format"] = 1
    storage.write_text(uri, json.dumps(body))
    catalog = FileCatalog(config.catalog_uri())
    unpartitioned = dict(table_input("dim_staff", whole["dim_transaction"]), Name="dim_transaction")
    storage.write_text(catalog._uri("dim_transaction"), json.dumps({"TableInput": unpartitioned, "Partitions": []}))
    return whole


def test_a_lake_of_before_the_buckets_is_rewritten_as_buckets_by_its_next_batch(lake, second_batch, spark):
    whole = _as_format_1(spark, lake["processed"], second_batch["batch_id"])
    assert (
        manifests.read_processed_manifest(manifests.manifest_uri(lake["processed"], second_batch["batch_id"]))[
            "current"
        ]["transaction"]
        == whole["transaction"]
    )
    assert _visible_dim_transaction() == _source_transactions(lake["source"])  # still readable as it is

    simulate.simulate(lake["source"], days=1, seed_value=6)
    _ingest()
    third = _transform(spark)
    every = _source_buckets(lake["source"])
    dim, state = third["tables"]["dim_transaction"], third["current"]["transaction"]
    for table, entry in (("dim_transaction", dim), ("_current/transaction", state)):
        assert entry["changed"] == sorted(entry["buckets"], key=int) == every, table
        assert _written_buckets(lake["processed"], table, third["batch_id"]) == every
    (count,) = _source(lake["source"], "SELECT count(*) FROM transaction")[0]
    assert dim["rows"] == state["rows"] == dim["changed_rows"] == count
    assert cataloged_locations(FileCatalog(config.catalog_uri()).tables()["dim_transaction"]) == buckets.locations(dim)
    assert _visible_dim_transaction() == _source_transactions(lake["source"])


def test_a_full_rebuild_writes_every_bucket(lake, second_batch, spark):
    rebuilt = _transform(spark, bookmarks.DISABLE)
    every = _source_buckets(lake["source"])
    dim = rebuilt["tables"]["dim_transaction"]
    assert dim["changed"] == every == _written_buckets(lake["processed"], "dim_transaction", rebuilt["batch_id"])
    assert rebuilt["current"]["transaction"]["changed"] == every
    assert _visible_dim_transaction() == _source_transactions(lake["source"])
