"""`gamboge run` as a user runs it: the whole workflow against the real PostgreSQL, one run at a
time, idempotent, and healed by the next run after a crash mid-way."""

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from gamboge.common import config, schema
from gamboge.dev import seed, simulate
from gamboge.dev.run import EXIT_LOCKED, RunLock
from gamboge.lake import buckets, manifests, storage

pytestmark = pytest.mark.spark

CHECKSUM_SQL = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"


@pytest.fixture(scope="module")
def workspace(pg_server, tmp_path_factory):
    home = tmp_path_factory.mktemp("run-home")
    names = {"source": "src_" + uuid.uuid4().hex[:8], "warehouse": "wh_" + uuid.uuid4().hex[:8]}
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    env = dict(
        os.environ,
        GAMBOGE_HOME=str(home),
        GAMBOGE_LAKE=(home / "lake").as_uri(),
        GAMBOGE_SOURCE_DSN=pg_server.dsn(names["source"]),
        GAMBOGE_WAREHOUSE_DSN=pg_server.dsn(names["warehouse"]),
        GAMBOGE_SPARK_MASTER="local[2]",
        GAMBOGE_SPARK_DRIVER_MEMORY="2g",
    )
    env.pop("GAMBOGE_CRASH_AT", None)
    seed.seed_source(env["GAMBOGE_SOURCE_DSN"], scale=0.1, seed=11)
    return {"env": env, "home": home, **{k: pg_server.dsn(v) for k, v in names.items()}}


def gamboge_run(workspace, **extra_env):
    env = dict(workspace["env"], **extra_env)
    return subprocess.run(
        [sys.executable, "-m", "gamboge.cli", "run"], capture_output=True, text=True, env=env, timeout=900
    )


def rows(dsn, sql):
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def warehouse_checksums(workspace):
    return {t.name: rows(workspace["warehouse"], CHECKSUM_SQL.format(t.name))[0] for t in schema.STAR_TABLES}


def count(dsn, table):
    return rows(dsn, f'SELECT count(*) FROM "{table}"')[0][0]


@pytest.fixture(scope="module")
def first_run(workspace):
    result = gamboge_run(workspace)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_a_run_lands_transforms_and_loads_every_row(workspace, first_run):
    src, wh = workspace["source"], workspace["warehouse"]
    assert count(wh, "fact_sales_order") == count(src, "sales_order")
    assert count(wh, "fact_purchase_order") == count(src, "purchase_order")
    assert count(wh, "fact_payment") == count(src, "payment")
    assert count(wh, "dim_transaction") == count(src, "transaction")
    assert count(wh, "dim_counterparty") == count(src, "counterparty") == 20
    # Dimensions equal the source's current values.
    assert rows(wh, "SELECT location FROM dim_staff s WHERE email_address LIKE '%''%'") == rows(
        src,
        "SELECT d.location FROM staff s JOIN department d USING (department_id) WHERE s.email_address LIKE '%''%'",
    )
    summary = first_run.stdout
    line = next(x for x in summary.splitlines() if x.startswith("fact_payment "))
    assert line.split()[1:] == [str(count(src, "payment")), "0", str(count(src, "payment"))] + [
        str(count(src, "payment")),
        "0",
    ]
    assert "seconds per stage: ingest" in summary and "gamboge query" in summary


def test_a_second_run_without_source_changes_changes_nothing_and_starts_no_jvm(workspace, first_run):
    before = warehouse_checksums(workspace)
    # With SPARK_HOME pointing nowhere, starting a Spark session would fail the run.
    again = gamboge_run(workspace, SPARK_HOME="/nonexistent-spark")
    assert again.returncode == 0, again.stderr[-3000:]
    assert warehouse_checksums(workspace) == before
    output = again.stdout + again.stderr
    assert "nothing new to transform: 1 pending landing manifest(s), none with a row" in output
    assert "nothing new to load" in output


def test_a_second_run_waits_for_nobody_it_names_the_holder(workspace, first_run):
    with RunLock(workspace["home"] / "run.lock"):
        blocked = gamboge_run(workspace)
    assert blocked.returncode == EXIT_LOCKED
    assert f"pid {os.getpid()}" in blocked.stderr


def test_a_crash_in_transform_keeps_ingest_output_and_the_next_run_completes(workspace, first_run):
    report = simulate.simulate(workspace["source"], days=1, seed_value=5)
    landing = config.landing_uri(workspace["env"]["GAMBOGE_LAKE"])
    landed_before = manifests.list_run_ids(landing)
    crashed = gamboge_run(workspace, GAMBOGE_CRASH_AT="transform:after-facts")
    assert crashed.returncode == -9, crashed.stderr[-3000:]
    landed_after = manifests.list_run_ids(landing)
    assert len(landed_after) == len(landed_before) + 1  # ingest committed its batch

    healed = gamboge_run(workspace)
    assert healed.returncode == 0, healed.stderr[-3000:]
    src, wh = workspace["source"], workspace["warehouse"]
    flipped = report["changes"]["payment"]["paid_flipped"]
    assert count(wh, "fact_payment") == count(src, "payment") + flipped
    assert rows(wh, "SELECT count(*) - count(DISTINCT payment_id) FROM fact_payment")[0][0] == flipped
    # Every sales order version is there once: current source rows all appear as a version.
    assert count(wh, "fact_sales_order") >= count(src, "sales_order")
    missing = rows(
        wh,
        "SELECT count(*) FROM dim_transaction t WHERE NOT EXISTS "
        "(SELECT 1 FROM fact_payment p WHERE p.transaction_id = t.transaction_id)",
    )
    assert missing == [(0,)]


def test_every_run_compacts_what_it_loaded_and_deletes_the_superseded_snapshots(workspace, first_run):
    """The load's housekeeping: after each run every fact partition is one file holding what the
    warehouse holds, and only the snapshots the newest retained batches name are left."""
    from gamboge.lake import compaction, retention
    from gamboge.ops.query import run_sql
    from gamboge.transform.catalog import FileCatalog

    lake = workspace["env"]["GAMBOGE_LAKE"]
    processed = config.processed_uri(lake)
    catalog = FileCatalog(config.catalog_uri(lake))
    for seed_value in (8, 9):  # two more batches: the older batches' snapshots are superseded
        simulate.simulate(workspace["source"], days=1, seed_value=seed_value)
        ran = gamboge_run(workspace)
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]

    for fact in schema.FACTS:
        files = storage.list_uris(f"{processed}/{fact.name}", suffix=".parquet")
        partitions = [compaction.partition_of(u) for u in files]
        assert len(partitions) == len(set(partitions)), f"{fact.name}: a partition holds more than one file"
        assert any(compaction.is_merged(u) for u in files), fact.name
        (visible,) = run_sql(f"SELECT count(*) FROM {fact.name}", catalog)[1]  # nosec B608
        assert visible[0] == count(workspace["warehouse"], fact.name)

    run_ids = manifests.list_run_ids(processed)
    bodies = [manifests.read_processed_manifest(manifests.manifest_uri(processed, r)) for r in run_ids]
    kept = retention.named_snapshots(bodies[-retention.DEFAULT_KEEP_BATCHES :])
    on_disk = {retention.snapshot_of(u) for u in storage.list_uris(processed)} - {None}
    assert on_disk == kept
    first_transactions = buckets.locations(bodies[0]["tables"]["dim_transaction"])
    assert first_transactions and all(b not in kept and storage.list_uris(b) == [] for b in first_transactions)

    compacted = subprocess.run(
        [sys.executable, "-m", "gamboge.cli", "compact"], capture_output=True, text=True, env=workspace["env"]
    )
    assert compacted.returncode == 0, compacted.stderr
    assert compacted.stdout.startswith("compacted 0 partition(s)")


def test_one_run_after_a_simulated_day_leaves_nothing_pending_and_a_delete_is_recorded_and_kept(workspace, first_run):
    """Silent updates arrive with the run that follows them: `gamboge check` finds nothing pending.
    A row deleted in ToteSys is recorded by the ingest and kept in the star as history."""
    src, wh = workspace["source"], workspace["warehouse"]
    simulate.simulate(src, days=1, seed_value=12)
    with psycopg.connect(src) as conn:
        (payment_id,) = conn.execute(
            "DELETE FROM payment WHERE payment_id = (SELECT min(payment_id) FROM payment) RETURNING payment_id"
        ).fetchone()
    ran = gamboge_run(workspace)
    assert ran.returncode == 0, ran.stderr[-3000:]

    check = subprocess.run(
        [sys.executable, "-m", "gamboge.cli", "check"], capture_output=True, text=True, env=workspace["env"]
    )
    assert check.returncode == 0, check.stdout
    assert "not landed yet" not in check.stdout and "missed" not in check.stdout
    recorded = [line for line in check.stdout.splitlines() if "recorded by the ingest" in line]
    assert len(recorded) == 1 and "payment" in recorded[0] and str(payment_id) in recorded[0]
    assert rows(wh, f"SELECT count(*) FROM fact_payment WHERE payment_id = {payment_id}")[0][0] >= 1
