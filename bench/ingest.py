"""Ingest benchmark: the job's full extract against raw ``COPY (SELECT * FROM t) TO STDOUT (FORMAT csv)``.

Both run in the same call over the same tables. The job runs as a subprocess exactly as Glue would
start it (``glue_jobs/ingest_totesys.py``, bookmarks disabled so it extracts everything and leaves
state alone), so its peak RSS is the job's own. The raw COPY baseline streams every table over one
connection and discards the bytes: the cost floor of getting the data out of PostgreSQL at all.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import psycopg

from gamboge import LIBRARY_ROOT
from gamboge.common import schema
from gamboge.lake import manifests, storage

REPO = Path(__file__).resolve().parent.parent
JOB_SCRIPT = REPO / "glue_jobs" / "ingest_totesys.py"


def raw_copy_csv(dsn: str) -> Dict[str, float]:
    rows = size = 0
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        for table in schema.SOURCE_TABLE_NAMES:
            with cursor.copy(f"COPY (SELECT * FROM {schema.quote_ident(table)}) TO STDOUT (FORMAT csv)") as copy:
                for chunk in copy:
                    rows += 1  # csv COPY yields one row per chunk (no embedded newlines in ToteSys)
                    size += len(chunk)
    seconds = time.perf_counter() - started
    return {"rows": rows, "bytes": size, "seconds": seconds}


_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(child.pid, 0)
print(status, usage.ru_maxrss)  # ru_maxrss is in KiB on Linux
"""


def run_ingest_job(
    dsn: str, landing_uri: str, compression: str = "none", state_uri: Optional[str] = None
) -> Dict[str, Any]:
    """Run the job script as a child process; return its manifest totals, wall time and peak RSS.

    Without ``state_uri``: a full extract with bookmarks disabled; with it, a run that reads and
    saves the bookmark there (incremental once one exists)."""
    with tempfile.TemporaryDirectory(prefix="gamboge-bench-state-") as scratch:
        env = dict(os.environ, GAMBOGE_SOURCE_DSN=dsn, PYTHONPATH=str(LIBRARY_ROOT))
        bookmark = "job-bookmark-enable" if state_uri else "job-bookmark-disable"
        argv = [
            sys.executable,
            str(JOB_SCRIPT),
            "--landing_uri",
            landing_uri,
            "--state_uri",
            state_uri or Path(scratch).as_uri(),
            "--job-bookmark-option",
            bookmark,
            "--audit",
            "never",
            "--compression",
            compression,
        ]
        before = set(manifests.list_run_ids(landing_uri))
        started = time.perf_counter()
        # stderr to a file, not a pipe: a full pipe would block the child while we wait for it.
        # The job is started by a small launcher, which reports the job's peak RSS: a child forked
        # straight from this (large) benchmark process would count our pages in its ru_maxrss.
        launcher = [sys.executable, "-c", _LAUNCHER, *argv]
        with tempfile.TemporaryFile() as log_file:
            done = subprocess.run(launcher, env=env, stdout=subprocess.PIPE, stderr=log_file, check=False)
            seconds = time.perf_counter() - started
            log_file.seek(0)
            stderr = log_file.read().decode("utf-8", "replace")
        status, peak_kib = (int(x) for x in done.stdout.split())
        if status != 0:
            raise RuntimeError(f"ingest job failed ({status}): {stderr[-2000:]}")
    (run_id,) = set(manifests.list_run_ids(landing_uri)) - before
    manifest = manifests.read_manifest(manifests.manifest_uri(landing_uri, run_id))
    tables = manifest["tables"]
    per_table = {}
    in_job_seconds = None
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if str(event.get("event", "")).startswith("ingest finished"):
            in_job_seconds = event["seconds"]
        if event.get("event") == "table landed":
            per_table[event["table"]] = {"rows": event["rows"], "bytes": event["bytes"], "seconds": event["seconds"]}
    return {
        "run_id": run_id,
        "rows": sum(t["rows"] for t in tables.values()),
        "bytes": sum(f["bytes"] for t in tables.values() for f in t["files"]),
        "seconds": seconds,
        # Snapshot to manifest, without interpreter start-up and imports (which dominate small scales).
        "in_job_seconds": in_job_seconds,
        "peak_rss_mb": peak_kib / 1024.0,
        "tables": per_table,
        "files": [f["uri"] for t in tables.values() for f in t["files"]],
    }


def bench_ingest(dsn: str, landing_uri: str) -> Dict[str, Any]:
    """Full extract of every ToteSys table vs raw csv COPY, measured in the same call.

    Returns rows/s and MB/s of both, their ratio (target ≥ 0.6; the job's rate counts the whole
    process, start-up included), the rate inside the job, and the job's peak RSS. The job's
    landing files are removed afterwards (the manifest stays, for inspection).
    """
    raw = raw_copy_csv(dsn)
    job = run_ingest_job(dsn, landing_uri)
    for uri in job.pop("files"):
        storage.delete(uri)
    raw_rate = raw["rows"] / raw["seconds"] if raw["seconds"] else 0.0
    job_rate = job["rows"] / job["seconds"] if job["seconds"] else 0.0
    return {
        "rows": job["rows"],
        "raw_copy_csv": {
            "rows_per_s": round(raw_rate),
            "mb_per_s": round(raw["bytes"] / 1e6 / raw["seconds"], 1) if raw["seconds"] else 0.0,
            "seconds": round(raw["seconds"], 3),
        },
        "ingest_job": {
            "rows_per_s": round(job_rate),
            "mb_per_s": round(job["bytes"] / 1e6 / job["seconds"], 1) if job["seconds"] else 0.0,
            "seconds": round(job["seconds"], 3),
            "in_job_rows_per_s": round(job["rows"] / job["in_job_seconds"]) if job["in_job_seconds"] else None,
            "in_job_seconds": job["in_job_seconds"],
            "peak_rss_mb": round(job["peak_rss_mb"], 1),
            "per_table": job["tables"],
        },
        "ratio_vs_raw_copy": round(job_rate / raw_rate, 3) if raw_rate else None,
        "target_ratio": 0.6,
        "parallel_connections": 2,
    }


if __name__ == "__main__":
    from gamboge.common import config

    print(json.dumps(bench_ingest(config.source_dsn(), sys.argv[1] if len(sys.argv) > 1 else config.landing_uri())))


def _spread(values, digits=1):
    values = sorted(values)
    return {
        "median": round(values[len(values) // 2], digits),
        "min": round(values[0], digits),
        "max": round(values[-1], digits),
    }


def bench_ingest_runs(dsn: str, landing_uri: str, runs: int) -> Dict[str, Any]:
    """``runs`` full extracts and raw COPYs, alternating; medians (min-max) of both and their ratio.

    The last run's landing files stay in ``landing_uri`` (the transform benchmark reads them);
    earlier runs' files are deleted."""
    raws, jobs = [], []
    for n in range(runs):
        raws.append(raw_copy_csv(dsn))
        job = run_ingest_job(dsn, landing_uri)
        files = job.pop("files")
        if n < runs - 1:
            for uri in files:
                storage.delete(uri)
            storage.delete(manifests.manifest_uri(landing_uri, job["run_id"]))
        jobs.append(job)
    rows, size = jobs[-1]["rows"], jobs[-1]["bytes"]
    raw_rows, raw_bytes = raws[-1]["rows"], raws[-1]["bytes"]
    job_rate = _spread([j["rows"] / j["seconds"] for j in jobs], 0)
    raw_rate = _spread([r["rows"] / r["seconds"] for r in raws], 0)
    in_job = [j["rows"] / j["in_job_seconds"] for j in jobs if j["in_job_seconds"]]
    in_job_rate = _spread(in_job, 0) if in_job else None
    return {
        "rows": rows,
        "landed_mb": round(size / 1e6, 1),
        "raw_csv_mb": round(raw_bytes / 1e6, 1),
        "raw_rows": raw_rows,
        "job_s": _spread([j["seconds"] for j in jobs], 2),
        "job_rows_per_s": job_rate,
        "job_mb_per_s": round(size / 1e6 / statistics.median(j["seconds"] for j in jobs), 1),
        "in_job_rows_per_s": in_job_rate,
        "raw_copy_s": _spread([r["seconds"] for r in raws], 2),
        "raw_copy_rows_per_s": raw_rate,
        "raw_copy_mb_per_s": round(raw_bytes / 1e6 / statistics.median(r["seconds"] for r in raws), 1),
        "vs_raw_copy": round(job_rate["median"] / raw_rate["median"], 2),
        "in_job_vs_raw_copy": round(in_job_rate["median"] / raw_rate["median"], 2) if in_job_rate else None,
        "peak_rss_mb": _spread([j["peak_rss_mb"] for j in jobs], 1),
        "per_table": jobs[-1]["tables"],
    }


# --- incremental runs: what the xmin capture costs --------------------------------------------------
CHANGES = {
    # a real change to one sales order in a thousand, and a same-value update of as many payments
    "changed": "UPDATE sales_order SET units_sold = units_sold + 1 WHERE sales_order_id % 1000 = {n}",
    "same_value": "UPDATE payment SET paid = paid WHERE payment_id % 1000 = {n}",
}


def xmin_scan_seconds(dsn: str, watermark: int) -> Dict[str, Any]:
    """The capture's scans alone, as the job runs them: per table the rows at or above the
    watermark (no index on xmin: a sequential scan) and the row count that detects deletes."""
    started = time.perf_counter()
    selected = 0
    with psycopg.connect(dsn) as conn:
        for table in schema.SOURCE_TABLE_NAMES:
            name = schema.quote_ident(table)
            selected += conn.execute(
                f"SELECT count(*) FROM {name} WHERE xmin::text::bigint >= %s", (watermark % 2**32,)
            ).fetchone()[0]
            conn.execute(f"SELECT count(*) FROM {name}").fetchone()
    return {"seconds": time.perf_counter() - started, "rows": selected}


def bench_incremental_runs(dsn: str, runs: int) -> Dict[str, Any]:
    """After one full extract that saves its bookmark: ``runs`` incremental runs with nothing to
    land, and ``runs`` after changing one sales order in a thousand (plus as many same-value
    payment updates, which land nothing), each a cold job process; beside them the capture's
    scans alone. The source is changed: run on a copy."""
    with tempfile.TemporaryDirectory(prefix="gamboge-bench-incremental-") as tmp:
        landing, state = Path(tmp, "landing").as_uri(), Path(tmp, "state").as_uri()
        run_ingest_job(dsn, landing, state_uri=state)
        empty: List[Dict[str, Any]] = []
        changed: List[Dict[str, Any]] = []
        scans: List[Dict[str, Any]] = []
        for n in range(runs):
            empty.append(run_ingest_job(dsn, landing, state_uri=state))
            with psycopg.connect(dsn, autocommit=True) as conn:
                for statement in CHANGES.values():
                    conn.execute(statement.format(n=n))
            watermark = manifests.read_manifest(manifests.manifest_uri(landing, empty[-1]["run_id"]))
            scans.append(xmin_scan_seconds(dsn, watermark["snapshot_xids"]["xmin"]))
            changed.append(run_ingest_job(dsn, landing, state_uri=state))
    return {
        "empty_run_s": _spread([j["seconds"] for j in empty], 2),
        "empty_run_in_job_s": _spread([j["in_job_seconds"] for j in empty], 3),
        "changed_run_s": _spread([j["seconds"] for j in changed], 2),
        "changed_run_in_job_s": _spread([j["in_job_seconds"] for j in changed], 3),
        "changed_rows_landed": changed[-1]["rows"],
        "xmin_scan_s": _spread([s["seconds"] for s in scans], 3),
        "xmin_scan_rows": scans[-1]["rows"],
    }
