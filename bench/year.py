"""A simulated year: does a run cost what its change costs, or what the history costs?

Two lakes per measurement, side by side: a fresh one, and one that already holds a year of
half-hourly runs (17,520 landing manifests, one a day with rows, 365 processed batches and their
load-log rows); each step runs on both before the next, the order alternating between
measurements. The history is synthetic: manifests, one small landing file a day, and the
records the stages keep (transform bookmark, committed state, check checkpoint), each folded by
the library's own functions from those manifests. Everything measured after it is real: the
first ``gamboge run`` on the seeded source, a run with nothing new, a run after one simulated
day, and ``gamboge check``. The figure is the ratio year / fresh of each (target: at most 1.2).

Storage requests are counted against a moto S3 server on lakes with a day, a month and a year
of the same synthetic history (a lake with none has no records to read yet, so it would make
fewer): a real ingest with nothing new (as the scheduler runs it 96 times a day), then the
bookkeeping the transform, the load and the check do before any data is read, each counted on
the S3 client. Flat means the same count after a year as after a day.

    python -m bench.year [--runs N]       # writes bench/results/year/results.{json,md}
"""

import argparse
import contextlib
import datetime
import json
import os
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List

from bench.env import BenchCluster, machine
from bench.pipeline import GAMBOGE, REPO, Workspace, gamboge_run, workspace
from bench.transform import spread
from gamboge.check import checkpoint
from gamboge.common import config
from gamboge.dev import moto_server
from gamboge.dev.simulate import simulate
from gamboge.lake import bookmarks, committed, cursor, manifests, storage

RUNS_A_DAY = 48
DAYS_A_YEAR = 365
REQUEST_HISTORIES = {"after a day": 1, "after a month": 30, "after a year": DAYS_A_YEAR}  # days of history
SCALE = 1.0
RESULTS = REPO / "bench" / "results" / "year"


def _landing_body(run_id: str, file_uri: str = "") -> Dict[str, Any]:
    tables = {}
    if file_uri:
        tables["payment"] = {
            "rows": 1,
            "files": [{"uri": file_uri, "rows": 1, "bytes": 3, "kind": "incremental"}],
            "capture": None,
            "deleted": None,
            "audit": None,
            "schema_drift": {"added": [], "dropped": []},
        }
    return {
        "job": "ingest",
        "run_id": run_id,
        "snapshot_time": cursor.run_time(run_id).isoformat(),
        "snapshot_xids": None,
        "bookmark_option": bookmarks.ENABLE,
        "empty": not file_uri,
        "tables": tables,
    }


def _processed_body(batch_id: str, inputs: List[str]) -> Dict[str, Any]:
    """A day's batch whose one landed row repeated a known version: it read a row, wrote nothing."""
    return {
        "job": "transform",
        "batch_id": batch_id,
        "inputs": inputs,
        "landed": {"payment": 1},
        "rejected": {},
        "rejects_uri": None,
        "tables": {},
        "current": {},
        "date_range": None,
        "seconds": 0.0,
    }


def synthesize_history(
    lake_uri: str, days: int = DAYS_A_YEAR, warehouse_dsn: str = "", end: datetime.datetime = None
) -> Dict[str, int]:
    """``days`` of half-hourly runs ending an hour before ``end`` (now), as the stages would have left it."""
    import psycopg

    from gamboge.transform.transform import _save_bookmark
    from gamboge.warehouse import warehouse

    end = (end or datetime.datetime.now(datetime.timezone.utc)) - datetime.timedelta(hours=1)
    landing, processed = config.landing_uri(lake_uri), config.processed_uri(lake_uri)
    state = config.state_uri(lake_uri)
    runs = days * RUNS_A_DAY
    first = end - datetime.timedelta(minutes=30 * (runs - 1))
    day: List[str] = []
    batches: List[List[str]] = []
    landing_ids: List[str] = []
    for n in range(runs):
        run_id = cursor.time_prefix(first + datetime.timedelta(minutes=30 * n)) + f"-{n:06x}"
        file_uri = ""
        if n % RUNS_A_DAY == RUNS_A_DAY - 1:  # the day's one run with rows
            when = cursor.run_time(run_id).date().isoformat()
            file_uri = storage.join(landing, "payment", f"ingest_date={when}", f"{run_id}-1.jsonl")
            storage.write_text(file_uri, "{}\n")
        manifests.write_manifest(landing, run_id, _landing_body(run_id, file_uri))
        landing_ids.append(run_id)
        day.append(run_id)
        if file_uri:
            manifests.write_manifest(processed, run_id, _processed_body(run_id, day))
            batches.append(day)
            day = []
    # The records the stages keep, folded by the library from the manifests just written.
    _save_bookmark(state, {}, landing_ids, bookmarks.ENABLE)
    committed.refresh(processed)
    checkpoint.save(
        state, checkpoint.advanced(checkpoint.empty(), checkpoint.read_new(landing, processed, checkpoint.empty()))
    )
    if warehouse_dsn:
        with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
            with conn.transaction():
                warehouse.ensure_schema(conn)
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {warehouse.LOAD_LOG} VALUES (%s, now(), %s::jsonb, '{{}}'::jsonb)",  # nosec B608
                    [(inputs[-1], json.dumps(inputs)) for inputs in batches],
                )
    return {"landing_manifests": len(landing_ids), "processed_batches": len(batches)}


def _timed_check(env: Dict[str, str]) -> Dict[str, Any]:
    started = time.perf_counter()
    result = subprocess.run([*GAMBOGE, "check", "--json"], env=env, cwd=str(REPO), capture_output=True)
    seconds = time.perf_counter() - started
    report = json.loads(result.stdout) if result.stdout else {}
    return {
        "wall_s": seconds,
        "ok": report.get("ok"),
        "errors": [f for f in report.get("findings", []) if f["severity"] == "ERROR"][:5],
    }


def measure_pair(cluster: BenchCluster, seed_value: int, year_first: bool) -> Dict[str, Dict[str, Any]]:
    """Each run once on a fresh lake and once on a year lake, step by step: a step runs on both
    lakes before the next starts, first on the one ``year_first`` says. Measured one lake after the
    other, the year lake's runs always came after writing its 35,000 history files and minutes
    later than the fresh lake's, so the ratio measured the machine's drift as much as the history."""
    with contextlib.ExitStack() as stack:
        spaces = {name: stack.enter_context(workspace(cluster, SCALE)) for name in ("fresh", "year")}
        history = synthesize_history(spaces["year"].lake_uri, warehouse_dsn=spaces["year"].warehouse)
        os.sync()  # the history's writes reach the disk before anything is timed
        order = ("year", "fresh") if year_first else ("fresh", "year")
        measured: Dict[str, Dict[str, Any]] = {"fresh": {"history": {}}, "year": {"history": history}}

        def step(key: str, action: Callable[[Workspace], Dict[str, Any]]) -> None:
            for name in order:
                measured[name][key] = action(spaces[name])

        step("full", lambda space: gamboge_run(space.env))
        step("unchanged", lambda space: gamboge_run(space.env))
        for space in spaces.values():
            simulate(space.source, days=1, seed_value=seed_value)
        step("incremental", lambda space: gamboge_run(space.env))
        step("check", lambda space: _timed_check(space.env))
    return measured


# --- storage requests against moto ------------------------------------------------------------------
@contextlib.contextmanager
def moto_s3():
    """A moto server, with the AWS settings of this process pointing at it for the block."""
    names = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    saved = {k: os.environ.get(k) for k in names}
    with moto_server.running() as endpoint:
        os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                          AWS_DEFAULT_REGION="eu-west-2")  # fmt: skip
        storage.reset_clients()
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            storage.reset_clients()


class RequestCounter:
    def __init__(self) -> None:
        self.count = 0
        storage.s3_client().meta.events.register("before-send.s3", self._seen)

    def _seen(self, **_: Any) -> None:
        self.count += 1

    @contextlib.contextmanager
    def counting(self, into: Dict[str, int], name: str):
        before = self.count
        yield
        into[name] = self.count - before


def count_requests(cluster: BenchCluster, days: int) -> Dict[str, int]:
    """S3 requests of one no-change run's bookkeeping, per stage, on a lake with ``days`` of history."""
    from gamboge.check import zones
    from gamboge.ingest import job as ingest
    from gamboge.transform import transform

    bucket = f"bench-year-{days}-days-{os.getpid()}"
    storage.s3_client().create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    lake = f"s3://{bucket}/lake"
    landing, processed, state = config.landing_uri(lake), config.processed_uri(lake), config.state_uri(lake)
    synthesize_history(lake, days)
    counts: Dict[str, int] = {}
    counter = RequestCounter()
    with cluster.copy_of_seeded(SCALE) as source:
        os.environ[config.ENV_SOURCE_DSN] = source  # the ingest reads its source from the environment
        arguments = dict(ingest.argument_defaults(), landing_uri=landing, state_uri=state)
        assert ingest.run_job(arguments) == 0  # the first extract, not counted
        transform._save_bookmark(
            state, bookmarks.load(state, "transform"), manifests.list_run_ids(landing), bookmarks.ENABLE
        )
        with counter.counting(counts, "ingest (nothing new)"):
            assert ingest.run_job(arguments) == 0
    with counter.counting(counts, "transform: pending_work"):
        assert transform.pending_work(landing, state).idle is not None
    with counter.counting(counts, "transform: committed state, latest batch, pending"):
        folded = committed.current(processed).state
        latest = transform._latest_processed_manifest(processed, folded)
        transform._pending(landing, bookmarks.load(state, "transform"), latest)
    with counter.counting(counts, "load: pending batches"):
        manifests.unseen_run_ids(processed, folded["manifests"])
    with counter.counting(counts, "check: batch accounting"):
        since = checkpoint.load(state)
        new = checkpoint.read_new(landing, processed, since)
        checkpoint.batch_inputs(landing, new)
        manifests.unseen_run_ids(landing, bookmarks.load(state, "transform")["landing"])
        zones.check_landing_orphans(zones.Report(), landing, new.landing_listed, new.since)
    counts["total"] = sum(counts.values())
    return counts


def render(report: Dict[str, Any]) -> str:
    lines = [
        "# A simulated year: run cost against history",
        "",
        f"{report['history']['landing_manifests']:,} landing manifests and {report['history']['processed_batches']} "
        f"processed batches of synthetic history; scale {SCALE}; {report['runs']} run(s) each, median (min-max); "
        "each step ran on both lakes before the next, the order alternating between runs.",
        "",
        "| measured | fresh lake (s) | after a year (s) | year / fresh | target |",
        "|---|---|---|---|---|",
    ]
    for key, label in (
        ("full", "first `gamboge run`"),
        ("unchanged", "`gamboge run`, nothing new"),
        ("incremental", "`gamboge run` after one simulated day"),
        ("check", "`gamboge check`"),
    ):
        fresh, year = report["fresh"][key], report["year"][key]
        target = "≤ 1.2" if key in ("incremental", "check", "unchanged") else "-"
        lines.append(
            f"| {label} | {fresh['median']:.2f} ({fresh['min']:.2f}-{fresh['max']:.2f}) | "
            f"{year['median']:.2f} ({year['min']:.2f}-{year['max']:.2f}) | {report['ratio'][key]:.2f} | {target} |"
        )
    lines += [
        "",
        "S3 requests of one run with nothing new (moto server):",
        "",
        "| step | " + " | ".join(REQUEST_HISTORIES) + " |",
        "|---|" + "---|" * len(REQUEST_HISTORIES),
    ]
    for step in report["requests"]["after a day"]:
        counts = [str(report["requests"][history][step]) for history in REQUEST_HISTORIES]
        lines.append(f"| {step} | " + " | ".join(counts) + " |")
    lines += ["", f"Every run's check passed: {report['checks_ok']}.", ""]
    return "\n".join(lines)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.year", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="measurements per lake (default: 1)")
    args = parser.parse_args(argv)
    measured: Dict[str, List[Dict[str, Any]]] = {"fresh": [], "year": []}
    with BenchCluster() as cluster:
        for n in range(args.runs):
            print(f"[bench.year] fresh and year lakes, run {n + 1}", file=sys.stderr, flush=True)
            pair = measure_pair(cluster, seed_value=n + 1, year_first=n % 2 == 1)
            for name in measured:
                measured[name].append(pair[name])
        with moto_s3():
            requests = {name: count_requests(cluster, days) for name, days in REQUEST_HISTORIES.items()}
    keys = ("full", "unchanged", "incremental", "check")
    figures = {name: {k: spread([m[k]["wall_s"] for m in runs], 2) for k in keys} for name, runs in measured.items()}
    report = {
        "machine": machine(),
        "runs": args.runs,
        "history": measured["year"][0]["history"],
        **figures,
        "ratio": {k: round(figures["year"][k]["median"] / figures["fresh"][k]["median"], 3) for k in keys},
        "requests": requests,
        "checks_ok": all(
            m["check"]["ok"] and all(m[k]["check_ok"] is not False for k in ("full", "unchanged", "incremental"))
            for runs in measured.values()
            for m in runs
        ),
        "check_errors": [m["check"]["errors"] for runs in measured.values() for m in runs if m["check"]["errors"]],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (RESULTS / "results.md").write_text(render(report))
    print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
