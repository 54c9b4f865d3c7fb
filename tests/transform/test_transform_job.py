"""Seed → ingest → transform on the real local PostgreSQL and Spark: the processed zone and its
catalog answer the same questions as SQL over the source, and the transform is incremental."""

import datetime
import decimal
import json

import psycopg
import pytest

from gamboge.common import config, schema
from gamboge.dev import simulate
from gamboge.ingest import job as ingest
from gamboge.lake import bookmarks, committed, cursor, manifests, storage
from gamboge.ops.query import named_query_sql, run_sql
from gamboge.transform import transform_job
from gamboge.transform.catalog import FileCatalog
from helpers import workspaces

pytestmark = pytest.mark.spark

SCALE = 0.2


@pytest.fixture(scope="module")
def lake(pg_server, tmp_path_factory):
    """A seeded source, an empty lake, and the environment every stage reads."""
    home = tmp_path_factory.mktemp("pipeline-home")
    with workspaces.seeded_source_env(pg_server, home, SCALE, seed_value=7) as source:
        yield {"source": source, "lake": (home / "lake").as_uri()}


def _ingest(**extra):
    arguments = ingest.argument_defaults()
    arguments.update(extra)
    assert ingest.run_job(arguments) == 0


def _transform(spark):
    return transform_job.execute(transform_job.defaults(), spark=spark)


def _source(dsn, sql):
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def first_batch(lake, spark):
    _ingest()
    return _transform(spark)


def test_every_landed_row_is_processed_or_rejected(lake, first_batch):
    source_counts = {t: _source(lake["source"], f'SELECT count(*) FROM "{t}"')[0][0] for t in schema.SOURCE_TABLE_NAMES}
    assert first_batch["landed"] == source_counts
    assert sum(first_batch["rejected"].values()) == 0
    tables = first_batch["tables"]
    assert tables["fact_sales_order"]["rows"] == source_counts["sales_order"]
    assert tables["fact_purchase_order"]["rows"] == source_counts["purchase_order"]
    assert tables["fact_payment"]["rows"] == source_counts["payment"]
    assert tables["dim_transaction"]["rows"] == source_counts["transaction"]
    assert tables["dim_staff"]["rows"] == 20 and tables["dim_location"]["rows"] == 30


def test_queries_over_the_catalog_match_sql_over_the_source(lake, first_batch):
    catalog = FileCatalog(config.catalog_uri())
    assert set(catalog.tables()) == {t.name for t in schema.STAR_TABLES}
    _, rows = run_sql(named_query_sql("sales_by_month_and_currency"), catalog)
    expected = _source(
        lake["source"],
        """SELECT extract(year FROM s.created_at)::int, extract(month FROM s.created_at)::int, c.currency_code,
                  count(*), sum(s.units_sold), sum(s.units_sold * s.unit_price)
           FROM sales_order s JOIN currency c USING (currency_id) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    )
    assert [(r[0], r[1], r[2], r[3], int(r[4]), decimal.Decimal(r[5])) for r in rows] == [
        (y, m, c, n, int(u), rev) for y, m, c, n, u, rev in expected
    ]


def test_every_foreign_key_resolves_and_dim_date_covers_every_fact_date(first_batch):
    catalog = FileCatalog(config.catalog_uri())
    for fact in schema.FACTS:
        for fk in fact.foreign_keys:
            sql = (
                f"SELECT count(*) FROM {fact.name} f LEFT JOIN {fk.ref_table} d "
                f"ON d.{fk.ref_column} = f.{fk.column} WHERE d.{fk.ref_column} IS NULL"
            )
            assert run_sql(sql, catalog)[1] == [(0,)], f"{fact.name}.{fk.column} → {fk.ref_table}"
    _, gaps = run_sql(
        "SELECT count(*), max(date_id) - min(date_id) + 1 FROM dim_date", FileCatalog(config.catalog_uri())
    )
    assert gaps[0][0] == gaps[0][1]


def test_a_run_without_new_landing_data_writes_nothing(lake, first_batch, spark):
    before = storage.list_uris(lake["lake"] + "/processed")
    assert _transform(spark)["batch_id"] is None
    assert storage.list_uris(lake["lake"] + "/processed") == before


def test_after_a_simulated_day_only_new_manifests_are_read(lake, first_batch, spark):
    report = simulate.simulate(lake["source"], days=1, seed_value=3)
    _ingest()  # a plain run: silent updates arrive by xmin
    taken_before = bookmarks.load(config.state_uri(), "transform")["landing"]
    second = _transform(spark)
    assert second["inputs"] == [
        r for r in manifests.list_run_ids(config.landing_uri()) if not cursor.is_taken(taken_before, r)
    ]
    assert second["inputs"]
    changes = report["changes"]
    assert (
        second["landed"]["sales_order"]
        == changes["sales_order"]["inserted"] + changes["sales_order"]["silently_updated"]
    )
    # New orders, and silently changed ones as new versions of the same order.
    assert second["tables"]["fact_sales_order"]["rows"] == second["landed"]["sales_order"]
    # Paid flips are second versions of existing payments.
    assert (
        second["tables"]["fact_payment"]["rows"] == changes["payment"]["inserted"] + changes["payment"]["paid_flipped"]
    )
    catalog = FileCatalog(config.catalog_uri())
    versions = run_sql("SELECT count(*) - count(DISTINCT payment_id) FROM fact_payment", catalog)[1][0][0]
    assert versions == changes["payment"]["paid_flipped"]
    # Each batch adds one file per month it touches, named after the batch.
    for batch in (first_batch, second):
        for fact in ("fact_sales_order", "fact_purchase_order", "fact_payment"):
            entry = batch["tables"][fact]
            months = [uri.split("created_month=")[1].split("/")[0] for uri in entry["files"]]
            assert sorted(months) == entry["partitions"]
            assert all(uri.rsplit("/", 1)[1].startswith(batch["batch_id"] + "-") for uri in entry["files"])


def test_a_session_is_made_for_the_rows_the_pending_manifests_landed(lake, first_batch, spark):
    """The factory learns the workload from the landing manifests before any Spark runs: the same
    number the transform then counts row by row."""
    simulate.simulate(lake["source"], days=1, seed_value=11)
    _ingest()
    taken = bookmarks.load(config.state_uri(), "transform")["landing"]
    pending = [r for r in manifests.list_run_ids(config.landing_uri()) if not cursor.is_taken(taken, r)]
    manifest_rows = sum(
        entry["rows"]
        for run_id in pending
        for entry in manifests.read_manifest(manifests.manifest_uri(config.landing_uri(), run_id))["tables"].values()
    )
    asked = []

    def factory(workload_rows):
        asked.append(workload_rows)
        return spark

    summary = transform_job.execute(transform_job.defaults(), spark_factory=factory)
    assert asked == [manifest_rows]
    assert manifest_rows == sum(summary["landed"].values()) > 0


def test_rejects_are_quarantined_with_reason_and_source_file(lake, first_batch, spark):
    run_id = manifests.new_run_id()
    bad_file = storage.join(config.landing_uri(), "currency", "ingest_date=2026-01-01", f"{run_id}-0.jsonl")
    good = {
        "currency_id": 9,
        "currency_code": "JPY",
        "created_at": "2026-01-01T10:00:00.5",
        "last_updated": "2026-01-01T10:00:00.5",
    }
    bad = dict(good, currency_id="nine")
    lines = [json.dumps(good), json.dumps(bad), '{"currency_id": 10, "currency_code": ']
    storage.write_text(bad_file, "\n".join(lines) + "\n")
    manifests.write_manifest(
        config.landing_uri(),
        run_id,
        {"job": "ingest", "empty": False, "tables": {"currency": {"rows": 3, "files": [{"uri": bad_file, "rows": 3}]}}},
    )
    arguments = dict(transform_job.defaults(), max_reject_ratio="1")
    summary = transform_job.execute(arguments, spark=spark)
    assert summary["landed"] == {"currency": 3} and summary["rejected"] == {"currency": 2}
    rejects = [
        json.loads(line)
        for uri in storage.list_uris(summary["rejects_uri"], suffix=".json")
        for line in storage.read_text(uri).splitlines()
    ]
    assert sorted(r["reason"] for r in rejects) == ['currency_id: cannot read ["nine"] as int', "malformed JSON line"]
    assert {r["source_file"].rsplit("/", 1)[-1] for r in rejects} == {f"{run_id}-0.jsonl"}
    names = dict(run_sql("SELECT currency_code, currency_name FROM dim_currency", FileCatalog(config.catalog_uri()))[1])
    assert names["JPY"] == "Yen" and names["GBP"] == "Pound Sterling"


@pytest.mark.timeout(300)
def test_a_batch_of_only_known_versions_writes_nothing_and_finishes(lake, first_batch, spark):
    """Re-landing rows already processed (a crash before the ingest bookmark does this) adds no
    version and no file; the run must not wait for metrics of an empty plan."""
    first_landing = manifests.read_manifest(manifests.manifest_uri(config.landing_uri(), first_batch["inputs"][0]))
    payments = first_landing["tables"]["payment"]
    run_id = manifests.new_run_id()
    manifests.write_manifest(
        config.landing_uri(), run_id, {"job": "ingest", "empty": False, "tables": {"payment": payments}}
    )
    files_before = storage.list_uris(lake["lake"] + "/processed/fact_payment", suffix=".parquet")
    summary = _transform(spark)
    assert summary["inputs"] == [run_id]
    assert summary["landed"]["payment"] == payments["rows"]
    assert summary["tables"]["fact_payment"]["rows"] == 0 and summary["tables"]["fact_payment"]["files"] == []
    assert storage.list_uris(lake["lake"] + "/processed/fact_payment", suffix=".parquet") == files_before


def test_a_failed_dimension_build_leaves_no_fact_file_and_the_rerun_heals(lake, first_batch, spark, monkeypatch):
    """Facts are built beside the dimensions: when a dimension fails, the fact files already
    published for the batch are deleted before the error surfaces, and a rerun commits the batch."""
    from gamboge.transform import transform

    simulate.simulate(lake["source"], days=1, seed_value=11)
    _ingest()
    processed = config.processed_uri()

    def broken(dim, current):
        raise RuntimeError(f"{dim}: simulated failure")

    with monkeypatch.context() as patch:
        patch.setattr(transform, "_build_dimension", broken)
        with pytest.raises(RuntimeError, match="simulated failure"):
            _transform(spark)
    on_disk = {
        uri
        for fact in ("fact_sales_order", "fact_purchase_order", "fact_payment")
        for uri in storage.list_uris(f"{processed}/{fact}", suffix=".parquet")
    }
    assert on_disk <= committed.committed_fact_files(processed)

    healed = _transform(spark)
    assert healed["batch_id"] is not None
    assert healed["tables"]["fact_sales_order"]["rows"] > 0
    readable = committed.committed_fact_files(processed)
    assert set(healed["tables"]["fact_sales_order"]["files"]) <= readable


def test_a_landing_manifest_committed_after_a_newer_batch_is_transformed_in_a_batch_after_it(lake, first_batch, spark):
    """Two overlapping ingests: the one that took the older run id commits last. Its manifest
    sorts before the latest batch, inside the late window: it is still pending, and its batch is
    named after the latest one, so that the load and the committed state list it too. (Last in
    the module: its simulated day adds versions the tests above do not expect.)"""
    simulate.simulate(lake["source"], days=1, seed_value=11)
    _ingest()
    landing = config.landing_uri()
    head = committed.current(config.processed_uri()).state["head"]
    newest = manifests.list_run_ids(landing)[-1]
    late = cursor.time_prefix(cursor.run_time(head) - datetime.timedelta(hours=1)) + "-late00"
    assert late < head < newest
    storage.move(manifests.manifest_uri(landing, newest), manifests.manifest_uri(landing, late))

    batch = _transform(spark)
    assert batch["inputs"] == [late]
    assert batch["batch_id"] > head and batch["batch_id"] == manifests.run_id_after(head, late)
    assert batch["tables"]["fact_sales_order"]["rows"] > 0
    state = committed.current(config.processed_uri()).state
    assert state["head"] == batch["batch_id"]
    assert set(batch["tables"]["fact_sales_order"]["files"]) <= set(state["files"]["fact_sales_order"])
    assert _transform(spark)["batch_id"] is None
