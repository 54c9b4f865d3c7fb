"""Run the whole pipeline locally, in the order of the Glue workflow: ingest → transform → load.

The same job scripts and arguments as the Glue workflow's triggers (shared/gamboge/common/workflow.py): ingest
runs as its Glue Python-shell script in a subprocess; transform and load share one local Spark
session. Stops at the first failing stage with its message and a non-zero exit. One run at a
time: a second `gamboge run` exits non-zero naming the run that holds the lock.

With --seed-if-empty: seeds ToteSys at --scale when the source is empty, otherwise simulates one
more day first, so each `make run` shows the incremental behaviour.
"""

import argparse
import datetime
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from gamboge import LIBRARY_ROOT
from gamboge.check.checks import run_checks  # every run ends with `gamboge check`: source, zones, warehouse
from gamboge.check.report import EXIT_MISMATCH, format_report
from gamboge.common import config, glue_args, logs, schema, workflow
from gamboge.common.errors import GambogeError
from gamboge.common.redact import dsn_without_password
from gamboge.common.text import format_table
from gamboge.dev import seed, simulate
from gamboge.ingest import job as ingest_job
from gamboge.lake import bookmarks, cursor, manifests
from gamboge.load import load_job
from gamboge.transform import transform_job
from gamboge.transform.star_sources import MAIN_SOURCE

log = logs.get("run")
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later


class StageFailed(GambogeError):
    pass


class RunLocked(RuntimeError):
    pass


class RunLock:
    """An exclusive flock on .gamboge/run.lock, naming its holder (pid, host, start time)."""

    def __init__(self, path: Path):
        self.path = path
        self.handle: Any = None

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a+")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # The holder writes its line just after taking the lock, so a run started at the same
            # instant can read the file empty and would name nobody: give the holder a moment.
            deadline = time.monotonic() + 2
            while True:
                self.handle.seek(0)
                holder = self.handle.read().strip()
                if holder or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            holder = holder or "another process"
            self.handle.close()
            raise RunLocked(f"another pipeline run holds {self.path}: {holder}") from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        self.handle.flush()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handle.truncate(0)
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _say(message: str) -> None:
    logs.event(log, message)


def _stage_arguments(key: str) -> Dict[str, Optional[str]]:
    """The arguments the Glue trigger passes, with the stage's local defaults (no secret id and no
    Glue connection: locally the DSNs come from GAMBOGE_*_DSN or the embedded server)."""

    defaults_of = {
        "ingest": ingest_job.argument_defaults,
        "transform": transform_job.defaults,
        "load": load_job.defaults,
    }
    defaults = defaults_of[key]()
    job = workflow.job(key)
    arguments = {name: defaults[name] for name in job.arguments}
    if job.glue_bookmark:
        arguments[glue_args.BOOKMARK_KEY] = bookmarks.ENABLE
    return arguments


def prepare_source(scale: float) -> Dict[str, Any]:
    """Seed an empty source; otherwise let one more business day happen."""
    import psycopg

    dsn = config.source_dsn()
    with psycopg.connect(dsn) as conn:
        # EXISTS returns one row: fetchone() is never None here.
        has_rows = (
            conn.execute(  # type: ignore[index]
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'sales_order')"
            ).fetchone()[0]
            and conn.execute("SELECT EXISTS (SELECT 1 FROM sales_order)").fetchone()[0]  # type: ignore[index]
        )
    if not has_rows:
        _say(f"seeding ToteSys at scale {scale} (the source is empty)")
        counts = seed.seed_source(dsn, scale=scale)
        return {"action": "seeded", "rows": counts}
    report = simulate.simulate(dsn, days=1, seed_value=int(time.time()) % 100000)
    _say(f"simulated one more day in ToteSys ({report['first']})")
    return {"action": "simulated", "report": report}


def run_ingest() -> Dict[str, Any]:
    landing = config.landing_uri()
    # The ingest's run id is taken after this moment: list only the manifests named after it.
    started = cursor.time_prefix(datetime.datetime.now(datetime.timezone.utc))
    script = config.project_root() / workflow.job("ingest").script
    argv = [sys.executable, *glue_args.to_argv(_stage_arguments("ingest"), str(script))]
    env = dict(os.environ, PYTHONPATH=str(LIBRARY_ROOT), **{logs.ENV_FORMAT: logs.log_format()})
    result = subprocess.run(argv, env=env)
    if result.returncode != 0:
        raise StageFailed(f"ingest failed (exit {result.returncode}); its bookmark is unchanged, rerun to retry")
    new = manifests.list_run_ids(landing, after=started)
    if not new:
        return {"run_id": None, "tables": {}}
    body = dict(manifests.read_landing_manifest(manifests.manifest_uri(landing, new[-1])))
    return body


def _start_spark(workload_rows: Optional[int] = None):
    from gamboge.spark.session import local_session

    return local_session("gamboge-run", with_jdbc=True, workload_rows=workload_rows)


def run_pipeline(scale: Optional[float], seed_if_empty: bool, check_level: str = "counts") -> Dict[str, Any]:
    report: Dict[str, Any] = {"stages": {}}
    if seed_if_empty:
        report["source"] = prepare_source(scale or 1.0)
    # Transform and load share one session, started only when one of them has work: a run with
    # nothing new starts no JVM. Before the first extract (long, and always followed by work) it
    # starts in the background while ingest (a separate process) runs, hiding its start-up; later
    # the transform starts it, for the rows it is about to take (gamboge.spark.jvm).
    background: Optional[Future] = None
    if not bookmarks.load(config.state_uri(), "ingest"):
        starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spark-start")
        background = starter.submit(_start_spark)
        starter.shutdown(wait=False)

    session: List[Any] = []

    def spark(workload_rows: Optional[int] = None):
        if not session:
            session.append(background.result() if background else _start_spark(workload_rows))
        return session[0]

    def transform() -> Dict[str, Any]:
        return transform_job.execute(_stage_arguments("transform"), spark_factory=spark)

    def load() -> Dict[str, Any]:
        arguments = dict(_stage_arguments("load"), warehouse_dsn=config.warehouse_dsn())
        return load_job.execute(arguments, spark_factory=spark)

    stages: Dict[str, Callable[[], Dict[str, Any]]] = {"ingest": run_ingest, "transform": transform, "load": load}
    for job in workflow.JOBS:
        _say(f"▶ {job.key}")
        started = time.monotonic()
        try:
            report["stages"][job.key] = stages[job.key]()
        except StageFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - any stage failure stops the run with its message
            raise StageFailed(f"{job.key} failed: {exc}") from exc
        seconds = time.monotonic() - started
        report["stages"][job.key]["stage_seconds"] = round(seconds, 2)
        _say(f"✔ {job.key} ({seconds:.1f} s)")

    if check_level == "off":
        return report
    try:
        report["check"] = run_checks(rows=check_level == "full").as_dict()
    except Exception as exc:  # noqa: BLE001 - a check that cannot run fails the run like a stage
        raise StageFailed(f"check failed: {exc}") from exc
    return report


def summary_table(report: Dict[str, Any]) -> str:
    ingest = report["stages"].get("ingest", {})
    transform = report["stages"].get("transform", {})
    load = report["stages"].get("load", {})
    landed_rows = {t: e.get("rows", 0) for t, e in ingest.get("tables", {}).items()}
    rejected = transform.get("rejected", {}) or {}
    loaded = load.get("tables", {}) or {}
    header = ["table", "landed", "rejected", "processed", "inserted", "updated"]
    rows = []
    for star_table in schema.STAR_TABLES:
        # "landed" counts the star table's own source (dim_staff: staff); lookups such as
        # department are landed rows of their own table.
        main_source = MAIN_SOURCE[star_table.name]
        sources = [main_source] if main_source else []
        entry = transform.get("tables", {}).get(star_table.name, {})
        processed = 0 if entry.get("carried_over") else entry.get("rows", 0)
        load_entry = loaded.get(star_table.name, {})
        rows.append(
            [
                star_table.name,
                sum(landed_rows.get(s, 0) for s in sources),
                sum(rejected.get(s, 0) for s in sources),
                processed,
                load_entry.get("inserted", 0),
                load_entry.get("updated", 0),
            ]
        )

    text = format_table(header, rows, limit=len(rows)).rsplit("\n", 1)[0]
    seconds = "  ".join(f"{k} {v.get('stage_seconds', 0):.1f} s" for k, v in report["stages"].items())
    return f"{text}\n\nseconds per stage: {seconds}"


def where_things_are() -> str:
    lake = config.lake_uri()
    return "\n".join(
        [
            f"landing zone:   {config.landing_uri(lake)}",
            f"processed zone: {config.processed_uri(lake)}",
            f"warehouse:      {dsn_without_password(config.warehouse_dsn())}",
            "query it:       gamboge query --list | gamboge query sales_by_month_and_currency | "
            f"psql {dsn_without_password(config.warehouse_dsn())}",
        ]
    )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--seed-if-empty",
        action="store_true",
        help="seed ToteSys when the source is empty, else simulate one more day first (what `make run` does)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="seed scale with --seed-if-empty (default: 1)")
    parser.add_argument(
        "--check",
        choices=("full", "counts", "off"),
        default="counts",
        help="check after the load: counts, pending batches, orphans, keys and the calendar (counts, the "
        "default: cheap at any size), also row by row against the source (full: its time and memory grow "
        "with the whole source, so it suits small sources and `gamboge check`), or not at all",
    )
    parser.add_argument("--json", action="store_true", help="print the run report as JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    try:
        with RunLock(config.home() / "run.lock"):
            report = run_pipeline(args.scale, args.seed_if_empty, args.check)
    except RunLocked as exc:
        print(f"gamboge run: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except StageFailed as exc:
        print(f"gamboge run: {exc}", file=sys.stderr)
        return 1

    checked = "check" in report
    status = 0 if not checked or report["check"]["ok"] else EXIT_MISMATCH
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return status
    print()
    print(summary_table(report))
    print()
    print(where_things_are())
    if checked:
        print()
        print(format_report(report["check"], counts=status != 0))
    return status
