"""Crash anywhere, rerun, lose nothing: the crash matrix, and `gamboge check` catching what is wrong.

Each case kills `gamboge run` with SIGKILL at one named crash point (GAMBOGE_CRASH_AT), reruns it
without, and compares the warehouse with a clean run over an identical copy of the source
(PostgreSQL's CREATE DATABASE … TEMPLATE): per-table checksums over the business columns (the
serial record ids are excluded: a rolled-back insert legitimately consumes sequence values). The
processed zone must hold nothing a reader would see that no committed manifest names.

The load's housekeeping (compaction, retention) has crash points of its own, reached only once
there is something to merge and something superseded: those cases crash the third run of a
short history and compare it with three clean runs.

`make test` runs a cheap representative subset at scale 0.1; `make test-all` the whole matrix at
scale 1.
"""

import psycopg
import pytest

from gamboge.check import processed as processed_check
from gamboge.common import config, schema
from gamboge.dev import simulate
from gamboge.ingest import job as ingest
from gamboge.lake import committed, compaction, manifests, retention, storage
from gamboge.load import pipeline
from gamboge.transform import catalog, transform
from helpers.workspaces import gamboge, warehouse_checksums

pytestmark = pytest.mark.spark

ALL_POINTS = [
    ingest.CRASH_AFTER_DATA_FILES,
    ingest.CRASH_BEFORE_BOOKMARK,
    transform.CRASH_AFTER_FACTS,
    transform.CRASH_BEFORE_BOOKMARK,
    pipeline.CRASH_AFTER_STAGING,
    pipeline.CRASH_BEFORE_COMMIT,
]
# The default subset: a crash between ingest's manifest and bookmark (the rerun lands the same rows
# again under a new run id: the overlap must be deduplicated), and one inside the load transaction.
# transform:after-facts is already exercised by tests/e2e/test_run.py.
FAST_POINTS = [ingest.CRASH_BEFORE_BOOKMARK, pipeline.CRASH_BEFORE_COMMIT]
HOUSEKEEPING_POINTS = [
    compaction.CRASH_AFTER_MERGE,
    compaction.CRASH_BEFORE_DELETE,
    retention.CRASH_MID_DELETE,
]
SIGKILL_EXIT = -9
# Two simulated days between three runs: the second run's load compacts the first two batches'
# files, the third's compacts again and supersedes the first batch's snapshots.
HISTORY_SEEDS = (31, 32)


def assert_no_orphans_a_reader_would_see(workspace):
    processed = config.processed_uri(workspace["lake"])
    bodies = [manifests.read_manifest(manifests.manifest_uri(processed, r)) for r in manifests.list_run_ids(processed)]
    readable = committed.committed_fact_files(processed, bodies)  # manifests and compaction records
    for fact in schema.FACTS:
        on_disk = set(storage.list_uris(storage.join(processed, fact.name), suffix=".parquet"))
        assert on_disk <= readable, f"{fact.name}: files no commit names: {on_disk - readable}"
        assert on_disk, fact.name
    latest = processed_check.latest_locations(dict(zip(manifests.list_run_ids(processed), bodies)))
    cataloged = catalog.FileCatalog(config.catalog_uri(workspace["lake"])).tables()
    for dim in schema.DIMENSIONS:
        locations = catalog.cataloged_locations(cataloged[dim.name])
        assert locations == latest[dim.name], f"{dim.name}: the catalog points at an uncommitted snapshot"
    assert not storage.list_uris(storage.join(processed, "_staging"))


def crash(workspace, point):
    crashed = gamboge(workspace, "run", GAMBOGE_CRASH_AT=point)
    # Ingest runs as its own process (the Glue Python shell job): its SIGKILL fails the run with
    # exit 1; transform and load (with its housekeeping) run inside `gamboge run`, which dies with them.
    if point.startswith("ingest:"):
        assert crashed.returncode == 1 and "exit -9" in crashed.stderr, crashed.stderr[-3000:]
    else:
        assert crashed.returncode == SIGKILL_EXIT, crashed.stderr[-3000:]
    assert f"GAMBOGE_CRASH_AT={point}: killing process" in crashed.stderr


def crash_then_heal(sources, clean_runs, tmp_path, points, scale):
    """Crash at each point in turn (each rerun dies further on), then one uninterrupted run."""
    _, clean = clean_runs(scale)
    workspace = sources.workspace(scale, tmp_path)
    for point in points:
        crash(workspace, point)
    healed = gamboge(workspace, "run")
    assert healed.returncode == 0, healed.stdout[-3000:] + healed.stderr[-3000:]
    assert "check: OK" in healed.stdout
    assert warehouse_checksums(workspace["warehouse"]) == clean
    assert_no_orphans_a_reader_would_see(workspace)


def history_before_the_third_run(workspace):
    """Two clean runs with a simulated day after each: the third run has work to tidy."""
    for seed_value in HISTORY_SEEDS:
        ran = gamboge(workspace, "run")
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
        simulate.simulate(workspace["source"], days=1, seed_value=seed_value)


@pytest.fixture(scope="module")
def three_clean_runs(sources, tmp_path_factory):
    """scale → warehouse checksums after the history and an uninterrupted third run."""
    cache = {}

    def get(scale):
        if scale not in cache:
            workspace = sources.workspace(scale, tmp_path_factory.mktemp("three-clean"))
            history_before_the_third_run(workspace)
            third = gamboge(workspace, "run")
            assert third.returncode == 0 and "check: OK" in third.stdout, third.stdout[-3000:]
            cache[scale] = warehouse_checksums(workspace["warehouse"])
        return cache[scale]

    return get


def assert_housekeeping_done(workspace):
    """Every fact partition is one file, and only the snapshots the newest retained batches name are left."""
    processed = config.processed_uri(workspace["lake"])
    for fact in schema.FACTS:
        partitions = [
            compaction.partition_of(u) for u in storage.list_uris(storage.join(processed, fact.name), suffix=".parquet")
        ]
        assert len(partitions) == len(set(partitions)), f"{fact.name}: a partition holds more than one file"
    newest = manifests.list_run_ids(processed)[-retention.DEFAULT_KEEP_BATCHES :]
    kept = retention.named_snapshots(
        manifests.read_processed_manifest(manifests.manifest_uri(processed, r)) for r in newest
    )
    assert {retention.snapshot_of(u) for u in storage.list_uris(processed)} - {None} == kept


def crash_in_housekeeping_then_heal(sources, three_clean_runs, tmp_path, point, scale):
    clean = three_clean_runs(scale)
    workspace = sources.workspace(scale, tmp_path)
    history_before_the_third_run(workspace)
    crash(workspace, point)
    # The housekeeping comes after the load's commit: the warehouse already holds the third batch.
    assert warehouse_checksums(workspace["warehouse"]) == clean
    healed = gamboge(workspace, "run")
    assert healed.returncode == 0, healed.stdout[-3000:] + healed.stderr[-3000:]
    assert "check: OK" in healed.stdout
    assert warehouse_checksums(workspace["warehouse"]) == clean
    assert_no_orphans_a_reader_would_see(workspace)
    assert_housekeeping_done(workspace)


def test_a_crash_inside_compaction_heals_to_three_clean_runs(sources, three_clean_runs, tmp_path):
    # Killed between the compaction record and its deletions: the state Athena would see twice.
    crash_in_housekeeping_then_heal(sources, three_clean_runs, tmp_path, compaction.CRASH_BEFORE_DELETE, scale=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("point", HOUSEKEEPING_POINTS)
def test_crash_matrix_in_housekeeping(sources, three_clean_runs, tmp_path, point):
    crash_in_housekeeping_then_heal(sources, three_clean_runs, tmp_path, point, scale=1)


def test_crashes_in_ingest_then_in_the_load_transaction_heal_to_a_clean_run(sources, clean_runs, tmp_path):
    # Chained in one workspace to keep `make test` quick; the slow matrix isolates every point.
    crash_then_heal(sources, clean_runs, tmp_path, FAST_POINTS, scale=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("point", ALL_POINTS)
def test_crash_matrix_at_scale_1(sources, clean_runs, tmp_path, point):
    crash_then_heal(sources, clean_runs, tmp_path, [point], scale=1)


def test_all_crash_points_are_in_the_matrix():
    """A crash point added to a stage without a matrix entry would go untested."""
    named = set()
    for module in (ingest, transform, pipeline, compaction, retention):
        named |= {v for k, v in vars(module).items() if k.startswith("CRASH_") and isinstance(v, str)}
    assert named == set(ALL_POINTS) | set(HOUSEKEEPING_POINTS)


# --- gamboge check -------------------------------------------------------------------------------------
def test_check_reports_pending_changes_and_deletes_as_warnings_and_loss_as_an_error(clean_runs):
    workspace, _ = clean_runs(0.1)
    assert gamboge(workspace, "check").returncode == 0
    src, wh = workspace["source"], workspace["warehouse"]
    with psycopg.connect(src) as conn:
        # A ToteSys silent update: the content changes, last_updated does not.
        order_id = conn.execute(
            "UPDATE sales_order SET units_sold = units_sold + 1 "
            "WHERE sales_order_id = (SELECT min(sales_order_id) FROM sales_order) RETURNING sales_order_id"
        ).fetchone()[0]
    drift = gamboge(workspace, "check")
    assert drift.returncode == 0, drift.stdout
    assert "changed since the last ingest's snapshot" in drift.stdout and str(order_id) in drift.stdout
    assert gamboge(workspace, "check", "--fail-on-warnings").returncode == 1

    with psycopg.connect(wh) as conn:
        payment_id = conn.execute(
            "DELETE FROM fact_payment WHERE payment_record_id = (SELECT max(payment_record_id) FROM fact_payment) "
            "RETURNING payment_id"
        ).fetchone()[0]
        conn.execute("UPDATE dim_staff SET last_name = 'Nobody' WHERE staff_id = 1")
    broken = gamboge(workspace, "check")
    assert broken.returncode == 1
    findings = [line for line in broken.stdout.splitlines() if line.startswith("ERROR")]
    assert any("fact_payment" in f and "current version missing" in f and str(payment_id) in f for f in findings)
    assert any("dim_staff" in f and "missing or different" in f for f in findings)
    assert any("fact_payment" in f and "loaded = processed" in f for f in findings)
    assert "check: MISMATCH" in broken.stdout
