"""Concurrency against the real PostgreSQL and Spark: two loads at once, two workflow runs at once,
and an ingest while ToteSys is being written to.

- Two `gamboge load` processes on one processed zone and one empty warehouse: the second waits on
  the advisory lock, then finds every batch in the load log. To be sure both really contend, the
  test holds the lock itself until both processes wait on it, then lets them race for it.
- Two `gamboge run` processes started together: one runs, the other exits 75 at once naming the
  holder's pid; the warehouse ends equal to a single clean run over an identical source.
- An ingest while writers commit sales orders, transactions and payments stamped by the database
  clock, some from long transactions that stamped their rows before the ingest's snapshot and
  commit after it. Their transaction ids are at or above the snapshot's xmin the ingest records,
  so the next run reads them, however late they commit; the content hash keeps everything else
  from landing twice, and an audit after it finds nothing.
"""

import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import psycopg
import pytest

from gamboge.common import config, schema
from gamboge.dev import seed
from gamboge.dev.run import EXIT_LOCKED, RunLock, RunLocked
from gamboge.lake import bookmarks, manifests
from gamboge.load import pipeline, staging
from gamboge.warehouse import warehouse
from helpers.ingest_runs import ingest_run, landed
from helpers.workspaces import warehouse_checksums, with_password

LOAD_WAITS = "another load is running against this warehouse; waiting for it to finish"


@pytest.fixture()
def clean_run(clean_runs):
    """The workspace and warehouse checksums of one uninterrupted `gamboge run` at scale 0.1."""
    return clean_runs(0.1)


def start(workspace, argv, out_dir, name, **extra_env):
    """`gamboge ARGV…` in the background; output goes to files (a full pipe would stall it)."""
    out = open(out_dir / f"{name}.out", "w")  # noqa: SIM115 - closed by finish()
    err = open(out_dir / f"{name}.err", "w")  # noqa: SIM115 - closed by finish()
    process = subprocess.Popen(
        [sys.executable, "-m", "gamboge.cli", *argv],
        stdout=out,
        stderr=err,
        text=True,
        env=dict(workspace["env"], **extra_env),
    )
    process.files = (out, err)
    return process


def finish(process, timeout=900):
    """Wait for the process; returns (exit status, stdout, stderr)."""
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for handle in process.files:
            handle.close()
    out, err = (open(h.name).read() for h in process.files)
    return process.returncode, out, err


def rows(dsn, statement, params=None):
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(statement, params).fetchall()


# --- two loads at once ------------------------------------------------------------------------------
@pytest.mark.spark
def test_two_loads_at_once_load_every_batch_once(pg_server, clean_run, tmp_path):
    workspace, clean = clean_run
    processed = config.processed_uri(workspace["lake"])
    batches = manifests.list_run_ids(processed)
    assert batches
    name = "wh_" + uuid.uuid4().hex[:8]
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = with_password(pg_server.dsn(name))
    waiting_sql = (
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = current_database() "
        "AND a.application_name = 'gamboge-load'"
    )

    with psycopg.connect(target, autocommit=True) as gate:
        gate.execute("SELECT pg_advisory_lock(%s)", (pipeline.ADVISORY_LOCK_KEY,))
        loads = [start(workspace, ["load"], tmp_path, f"load{i}", GAMBOGE_WAREHOUSE_DSN=target) for i in range(2)]
        deadline = time.monotonic() + 300
        while gate.execute(waiting_sql).fetchone()[0] < 2:
            for process in loads:
                assert process.poll() is None, finish(process)
            assert time.monotonic() < deadline, "the two loads never both waited on the advisory lock"
            time.sleep(0.2)
        # Both wait on the lock; neither has touched the warehouse yet.
        assert rows(target, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
        gate.execute("SELECT pg_advisory_unlock(%s)", (pipeline.ADVISORY_LOCK_KEY,))

    results = [finish(p) for p in loads]
    for status, out, err in results:
        assert status == 0, out[-2000:] + err[-3000:]
        assert LOAD_WAITS in err
    summaries = sorted((json.loads(out[out.index("{") :]) for _, out, _ in results), key=lambda s: len(s["loaded"]))
    # The second found the first one's batches in the load log and loaded nothing.
    assert summaries[0]["loaded"] == [] and summaries[0]["already_loaded"] == len(batches)
    assert summaries[1]["loaded"] == batches and summaries[1]["already_loaded"] == 0
    log = rows(target, f"SELECT batch_id, count(*) FROM {warehouse.LOAD_LOG} GROUP BY batch_id ORDER BY batch_id")
    assert log == [(b, 1) for b in sorted(batches)]
    # Each fact version once: per-table counts and checksums equal the clean run's single load.
    assert warehouse_checksums(target) == clean
    for fact in schema.FACTS:
        assert rows(
            target,
            f"SELECT count(*) FROM (SELECT 1 FROM {fact.name} GROUP BY {', '.join(fact.version_columns)} "
            "HAVING count(*) > 1) d",
        ) == [(0,)]
    leftover = rows(
        target, "SELECT count(*) FROM pg_tables WHERE starts_with(tablename, %s)", (staging.STAGING_PREFIX,)
    )
    assert leftover == [(0,)]


# --- two workflow runs at once ----------------------------------------------------------------------
def _take_run_lock(path, barrier, gave_way, results):
    barrier.wait()  # both processes go for the lock at the same instant
    try:
        with RunLock(path):
            results.put((os.getpid(), None))
            gave_way.wait(10)  # hold it until the other one has tried
    except RunLocked as exc:
        results.put((os.getpid(), str(exc)))
        gave_way.set()


def test_a_run_that_loses_the_race_for_the_lock_names_the_winner(tmp_path):
    """The holder writes its line just after taking the lock: the loser must not read the file
    before that and name nobody. Forked processes meet at a barrier to hit that instant."""
    context = multiprocessing.get_context("fork")
    for attempt in range(30):
        barrier, gave_way, results = context.Barrier(2), context.Event(), context.Queue()
        args = (tmp_path / f"run{attempt}.lock", barrier, gave_way, results)
        workers = [context.Process(target=_take_run_lock, args=args) for _ in range(2)]
        for worker in workers:
            worker.start()
        outcomes = dict(results.get(timeout=30) for _ in workers)
        for worker in workers:
            worker.join(30)
            assert worker.exitcode == 0
        (winner,) = [pid for pid, message in outcomes.items() if message is None]
        (message,) = [message for message in outcomes.values() if message]
        assert f"pid {winner} on " in message, f"attempt {attempt}: {message}"


@pytest.mark.spark
def test_two_runs_at_once_one_runs_the_other_exits_naming_it(sources, clean_run, tmp_path):
    _, clean = clean_run
    workspace = sources.workspace(0.1, tmp_path / "home")
    runs = [start(workspace, ["run"], tmp_path, f"run{i}") for i in range(2)]

    deadline = time.monotonic() + 60
    while all(p.poll() is None for p in runs):
        assert time.monotonic() < deadline, "neither run gave way"
        time.sleep(0.05)
    (loser,) = [p for p in runs if p.poll() is not None]
    (winner,) = [p for p in runs if p is not loser]
    assert winner.poll() is None  # the loser did not wait for the run in progress
    status, out, err = finish(loser)
    assert status == EXIT_LOCKED, out[-2000:] + err[-3000:]
    assert f"another pipeline run holds {workspace['home'] / 'run.lock'}: pid {winner.pid} on " in err

    status, out, err = finish(winner)
    assert status == 0, out[-2000:] + err[-3000:]
    assert "check: OK" in out
    # The warehouse is what one run over an identical source gives, and one run is on record.
    assert warehouse_checksums(workspace["warehouse"]) == clean
    assert len(manifests.list_run_ids(config.landing_uri(workspace["lake"]))) == 1
    (batch,) = manifests.list_run_ids(config.processed_uri(workspace["lake"]))
    assert rows(workspace["warehouse"], f"SELECT batch_id FROM {warehouse.LOAD_LOG}") == [(batch,)]
    assert (workspace["home"] / "run.lock").read_text() == ""  # released


# --- ingest during a source write burst ------------------------------------------------------------
WRITTEN = ("sales_order", "transaction", "payment")


class Burst:
    """ToteSys sales happening: per database transaction a sales order, its transaction and its
    payment, each stamped ``last_updated = clock_timestamp()`` (the database clock) when inserted.

    ``late`` long transactions insert first and hold their commit until an ingest has taken its
    snapshot (seen in pg_stat_activity) or ``release`` is set; ``writers`` threads meanwhile
    commit ``orders`` sales each, ``pause`` seconds apart, so the ingest's watermark passes the
    long transactions' stamps before they commit.
    """

    def __init__(self, dsn, late=3, writers=2, orders=16, pause=0.12):
        self.dsn, self.late, self.writers, self.orders, self.pause = dsn, late, writers, orders, pause
        self.lock = threading.Lock()
        self.ids = {table: [] for table in WRITTEN}
        self.late_rows = []  # (ids by table, stamp, commit time), from the database clock
        self.commits = 0
        self.release = threading.Event()
        self.errors = []
        with psycopg.connect(dsn) as conn:
            self.refs = conn.execute(
                "SELECT (SELECT min(design_id) FROM design), (SELECT min(staff_id) FROM staff), "
                "(SELECT min(counterparty_id) FROM counterparty), (SELECT min(currency_id) FROM currency), "
                "(SELECT min(address_id) FROM address), "
                "(SELECT payment_type_id FROM payment_type WHERE payment_type_name = 'SALES_RECEIPT')"
            ).fetchone()

    def _sale(self, conn):
        design, staff, counterparty, currency, address, payment_type = self.refs
        stamp = conn.execute("SELECT clock_timestamp()::timestamp").fetchone()[0]
        order = conn.execute(
            "INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, "
            "unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id) "
            "VALUES (%s, %s, %s, %s, %s, 12, 2.50, %s, '2030-01-02', '2030-01-03', %s) RETURNING sales_order_id",
            (stamp, stamp, design, staff, counterparty, currency, address),
        ).fetchone()[0]
        transaction = conn.execute(
            "INSERT INTO transaction (transaction_type, sales_order_id, purchase_order_id, created_at, last_updated) "
            "VALUES ('SALE', %s, NULL, %s, %s) RETURNING transaction_id",
            (order, stamp, stamp),
        ).fetchone()[0]
        payment = conn.execute(
            "INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, "
            "currency_id, payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number) "
            "VALUES (%s, %s, %s, %s, 30.00, %s, %s, false, '2030-01-03', 12345678, 87654321) RETURNING payment_id",
            (stamp, stamp, transaction, counterparty, currency, payment_type),
        ).fetchone()[0]
        return stamp, {"sales_order": order, "transaction": transaction, "payment": payment}

    def _record(self, ids):
        with self.lock:
            for table, ident in ids.items():
                self.ids[table].append(ident)

    def _late(self, inserted):
        try:
            with psycopg.connect(self.dsn) as conn:
                stamp, ids = self._sale(conn)
                inserted.set()
                with psycopg.connect(self.dsn, autocommit=True) as watch:
                    while not self.release.is_set():
                        snapshots = watch.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND application_name = 'gamboge-ingest' AND backend_xmin IS NOT NULL"
                        ).fetchone()[0]
                        if snapshots:
                            break
                        time.sleep(0.005)
                conn.commit()
                committed = conn.execute("SELECT clock_timestamp()").fetchone()[0]
            self._record(ids)
            with self.lock:
                self.late_rows.append((ids, stamp, committed))
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.errors.append(exc)

    def _writer(self):
        try:
            with psycopg.connect(self.dsn) as conn:
                for _ in range(self.orders):
                    _, ids = self._sale(conn)
                    conn.commit()
                    self._record(ids)
                    with self.lock:
                        self.commits += 1
                    time.sleep(self.pause)
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.errors.append(exc)

    def start(self):
        self.threads = []
        for _ in range(self.late):
            inserted = threading.Event()
            thread = threading.Thread(target=self._late, args=(inserted,), daemon=True)
            thread.start()
            assert inserted.wait(30)
            self.threads.append(thread)
        for _ in range(self.writers):
            thread = threading.Thread(target=self._writer, daemon=True)
            thread.start()
            self.threads.append(thread)

    def join(self):
        self.release.set()
        for thread in self.threads:
            thread.join(60)
            assert not thread.is_alive()
        assert not self.errors, self.errors


@pytest.fixture()
def burst_source(fresh_db, tmp_path, monkeypatch):
    seed.seed_source(fresh_db, scale=0.02, seed=7)
    monkeypatch.setenv("GAMBOGE_SOURCE_DSN", fresh_db)
    lake = {"landing_uri": (tmp_path / "landing").as_uri(), "state_uri": (tmp_path / "state").as_uri()}
    return fresh_db, lake


def landed_ids(manifest, table, kind=None):
    pk = schema.source_table(table).primary_key
    return {json.loads(line)[pk] for line in landed(manifest, table, kind)}


def assert_every_row_landed_exactly_once(dsn, lake):
    landing = lake["landing_uri"]
    bodies = [manifests.read_manifest(manifests.manifest_uri(landing, r)) for r in manifests.list_run_ids(landing)]
    for table in WRITTEN:
        lines = Counter(line for body in bodies for line in landed(body, table))
        source = Counter(r[0] for r in rows(dsn, f'SELECT row_to_json(t)::text FROM "{table}" t'))
        assert lines == source, table  # every row, each version exactly once, byte for byte
        assert set(lines.values()) == {1}, table


def burst_during_ingest(dsn, lake, ingest_after, **options):
    """Run 1 starts ``ingest_after`` seconds into the burst; returns (burst, run 1's manifest)."""
    burst = Burst(dsn)
    started = time.monotonic()
    burst.start()
    while burst.commits < 4 or time.monotonic() - started < ingest_after:
        assert not burst.errors, burst.errors
        time.sleep(0.01)
    try:
        during = ingest_run(lake, **options)
    finally:
        burst.join()
    return burst, during


def db_says(dsn, predicate, params):
    return rows(dsn, f"SELECT {predicate}", params)[0][0]


def late_ids(burst, table):
    return {ids[table] for ids, _, _ in burst.late_rows}


def xmin32(dsn, table, ident):
    pk = schema.source_table(table).primary_key
    return rows(dsn, f'SELECT xmin::text::bigint FROM "{table}" WHERE "{pk}" = %s', (ident,))[0][0]


def test_ingest_during_a_write_burst_lands_every_row_exactly_once(burst_source):
    dsn, lake = burst_source
    ingest_run(lake)  # the full extract of the seeded history
    burst, during = burst_during_ingest(dsn, lake, ingest_after=0.5, audit="never")
    watermark = bookmarks.load(lake["state_uri"], "ingest")["tables"]["sales_order"]["xmin"]
    assert watermark == during["snapshot_xids"]["xmin"]

    # The case a last_updated watermark misses: stamped before run 1's snapshot, committed after
    # it, so invisible to it; their transaction was running, so its id is at or above the watermark.
    assert len(burst.late_rows) == burst.late
    for ids, stamp, committed in burst.late_rows:
        assert db_says(dsn, "%s::timestamp < %s::timestamptz", (stamp, during["snapshot_time"]))
        assert db_says(dsn, "%s::timestamptz < %s::timestamptz", (during["snapshot_time"], committed))
        for table in WRITTEN:
            assert ids[table] not in landed_ids(during, table)
            assert xmin32(dsn, table, ids[table]) >= watermark % 2**32  # the test cluster has not wrapped
    # Run 1 really ran amid the burst: it landed some of it, and more was committed after it.
    in_run_1 = landed_ids(during, "sales_order") & set(burst.ids["sales_order"])
    assert 0 < len(in_run_1) < len(burst.ids["sales_order"]) - burst.late

    after = ingest_run(lake, audit="always")
    for table in WRITTEN:
        assert late_ids(burst, table) <= landed_ids(after, table, kind="incremental")
        assert not landed_ids(during, table) & landed_ids(after, table)  # nothing landed twice
        assert after["tables"][table]["audit"] == {"changed": 0, "new": 0, "deleted": 0}
    assert_every_row_landed_exactly_once(dsn, lake)
    assert ingest_run(lake)["empty"] is True  # and nothing more


def test_a_commit_lagging_seconds_behind_its_stamp_is_read_by_the_next_plain_run(burst_source):
    """Long transactions that commit ~2 s after stamping their rows, while writers keep committing:
    a last_updated watermark with any overlap under 2 s lost them until a full comparison. By xmin
    the next plain run lands every one of them, exactly once."""
    dsn, lake = burst_source
    ingest_run(lake)
    burst, during = burst_during_ingest(dsn, lake, ingest_after=2.0, audit="never")
    for _, stamp, committed in burst.late_rows:
        assert db_says(dsn, "%s::timestamptz - %s::timestamp > interval '1 second'", (committed, stamp))

    after = ingest_run(lake, audit="never")
    for table in WRITTEN:
        missed = set(burst.ids[table]) - landed_ids(during, table)
        assert late_ids(burst, table) <= missed
        assert landed_ids(after, table) == missed
    assert_every_row_landed_exactly_once(dsn, lake)
