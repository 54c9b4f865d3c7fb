"""Profiles of the largest stage: py-spy on the Python driver, the Spark event log for the JVM side.

py-spy samples the driver process (the transform's Python code and the threads waiting on Spark);
the event log says how the same wall time splits into Spark jobs, tasks and their metrics. Both are
summarised as plain numbers so the results can say what dominates.
"""

import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

TRANSFORM_SOURCE = Path(__file__).resolve().parent.parent / "shared" / "gamboge" / "transform" / "transform.py"


def pyspy_binary() -> Optional[str]:
    """py-spy from the venv (installed on demand from PyPI), else PATH; None when unavailable."""
    local = Path(sys.executable).parent / "py-spy"
    if not local.exists() and not shutil.which("py-spy"):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=False)
    if local.exists():
        return str(local)
    return shutil.which("py-spy")


def start_pyspy(pid: int, output: Path) -> Optional[subprocess.Popen]:
    binary = pyspy_binary()
    if not binary:
        return None
    return subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "50",
            "--format",
            "raw",
            "--output",
            str(output),
            "--threads",
            "--idle",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_pyspy(process: Optional[subprocess.Popen]) -> None:
    if process is None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def source_snapshot(raw: Path) -> Path:
    """Where the copy of gamboge/transform/transform.py that a profiled run executes is kept beside its stacks."""
    return raw.with_name(raw.name + ".transform.py")


def snapshot_transform_source(raw: Path) -> None:
    """Copy shared/gamboge/transform/transform.py as it is now: line numbers in the stacks refer to this text, and
    the file may change under a long benchmark."""
    source_snapshot(raw).write_text(TRANSFORM_SOURCE.read_text())


def _step(frame: str) -> str:
    """The function a py-spy frame ("name (file:line)") is in."""
    return frame.split(" (", 1)[0]


def summarise_pyspy(raw: Path, top: int = 8) -> Dict[str, Any]:
    """Collapsed stacks (``--idle --threads``) → where the driver's wall time goes.

    The step of ``transform.run`` the main thread is in (the function it called) says which phase
    the wall clock is in; the worker threads' innermost project frames say what the per-table
    work does, and how much of it is a py4j round trip to the JVM."""
    if not raw.exists():
        return {"available": False}
    main: collections.Counter = collections.Counter()
    workers: collections.Counter = collections.Counter()
    steps: collections.Counter = collections.Counter()
    main_total = worker_total = worker_py4j = main_all = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        names = [f.split(": ", 1)[-1] for f in frames if f.startswith("thread (")]
        thread = names[0] if names else ""
        # py-spy names a frame's file from its top package folder: (gamboge/dev/run.py:N).
        project = [f for f in frames if "gamboge/" in f]
        if thread == "MainThread":
            main_all += n
            in_pipeline = [f for f in frames if "gamboge/dev/run.py:" in f]
            if in_pipeline:
                steps[re.sub(r" \((?:shared/)?gamboge/dev/run.py:\d+\)$", "", in_pipeline[-1])] += n
            # transform.run calls one named step at a time: the frame inside run's is the phase.
            in_transform = [f for f in frames if "gamboge/transform/transform.py:" in f]
            runs = [i for i, f in enumerate(in_transform) if _step(f) == "run"]
            if runs:
                main_total += n
                inner = in_transform[runs[-1] + 1 :]
                main[_step(inner[0]) if inner else "set-up (manifests, bookmark, orphans)"] += n
        elif project:
            worker_total += n
            workers[re.sub(r":\d+\)$", ")", project[-1])] += n
            if any("(py4j/" in f for f in frames):
                worker_py4j += n

    def share(counter: collections.Counter, total: int) -> List[Tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)] if total else []

    return {
        "available": True,
        "main_thread_all_samples": main_all,
        "main_thread_pipeline_step_pct": share(steps, main_all),
        "main_thread_samples": main_total,
        "main_thread_phase_pct": share(main, main_total),
        "worker_samples": worker_total,
        "worker_waiting_on_jvm_pct": round(100 * worker_py4j / worker_total, 1) if worker_total else None,
        "worker_innermost_project_frame_pct": share(workers, worker_total),
    }


def _union_ms(intervals: List[Tuple[int, int]]) -> int:
    busy, end = 0, None
    for lo, hi in sorted(intervals):
        if end is None or lo > end:
            busy += hi - lo
            end = hi
        elif hi > end:
            busy += hi - end
            end = hi
    return busy


def summarise_event_log(folder: Path, window_ms: Tuple[float, float], top: int = 8) -> Dict[str, Any]:
    """Spark jobs, stages and tasks that started inside ``window_ms`` (epoch milliseconds)."""
    logs = [p for p in folder.iterdir() if p.is_file()] if folder.exists() else []
    if not logs:
        return {"available": False}
    lo, hi = window_ms
    jobs: Dict[int, Dict[str, Any]] = {}
    stage_job: Dict[int, int] = {}
    stages_done = 0
    tasks = collections.Counter()
    cpu_by_job: collections.Counter = collections.Counter()
    sql: List[Tuple[int, int]] = []
    sql_started: Dict[int, Tuple[int, str]] = {}
    for path in logs:
        with open(path) as handle:
            for line in handle:
                event = json.loads(line)
                kind = event.get("Event")
                if kind == "SparkListenerJobStart" and lo <= event["Submission Time"] <= hi:
                    props = event.get("Properties") or {}
                    stages = event.get("Stage Infos") or [{}]
                    site = props.get("callSite.short") or stages[-1].get("Stage Name") or "?"
                    # What the job built, where the code names it (gamboge.spark.session.described).
                    what = props.get("spark.job.description") or site
                    jobs[event["Job ID"]] = {"start": event["Submission Time"], "end": None, "site": site, "what": what}
                    for stage in event.get("Stage IDs", []):
                        stage_job[stage] = event["Job ID"]
                elif kind == "SparkListenerJobEnd" and event["Job ID"] in jobs:
                    jobs[event["Job ID"]]["end"] = event["Completion Time"]
                elif kind == "SparkListenerStageCompleted":
                    stages_done += (event.get("Stage Info") or {}).get("Stage ID") in stage_job
                elif kind == "SparkListenerTaskEnd" and event.get("Stage ID") in stage_job:
                    info, metrics = event["Task Info"], event.get("Task Metrics") or {}
                    cpu_by_job[stage_job[event["Stage ID"]]] += metrics.get("Executor CPU Time", 0) // 1_000_000
                    tasks["tasks"] += 1
                    tasks["task_wall_ms"] += info["Finish Time"] - info["Launch Time"]
                    tasks["run_ms"] += metrics.get("Executor Run Time", 0)
                    tasks["cpu_ms"] += metrics.get("Executor CPU Time", 0) // 1_000_000
                    tasks["deserialize_ms"] += metrics.get("Executor Deserialize Time", 0)
                    tasks["gc_ms"] += metrics.get("JVM GC Time", 0)
                    tasks["input_bytes"] += (metrics.get("Input Metrics") or {}).get("Bytes Read", 0)
                    tasks["output_bytes"] += (metrics.get("Output Metrics") or {}).get("Bytes Written", 0)
                    tasks["shuffle_write_bytes"] += (metrics.get("Shuffle Write Metrics") or {}).get(
                        "Shuffle Bytes Written", 0
                    )
                elif kind == "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart":
                    if lo <= event["time"] <= hi:
                        sql_started[event["executionId"]] = (event["time"], event.get("description", ""))
                elif kind == "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd":
                    if event["executionId"] in sql_started:
                        sql.append((sql_started[event["executionId"]][0], event["time"]))
    finished = [j for j in jobs.values() if j["end"]]
    by_site: collections.Counter = collections.Counter()
    count_site: collections.Counter = collections.Counter()
    by_what: Dict[str, Dict[str, int]] = {}
    for job_id, job in jobs.items():
        if not job["end"]:
            continue
        by_site[job["site"]] += job["end"] - job["start"]
        count_site[job["site"]] += 1
        what = by_what.setdefault(job["what"], {"jobs": 0, "ms": 0, "cpu_ms": 0})
        what["jobs"] += 1
        what["ms"] += job["end"] - job["start"]
        what["cpu_ms"] += cpu_by_job[job_id]
    wall = hi - lo
    busy = _union_ms([(j["start"], j["end"]) for j in finished])
    return {
        "available": True,
        "window_ms": round(wall),
        "spark_jobs": len(finished),
        "stages": stages_done,
        "sql_executions": len(sql),
        "ms_with_a_spark_job_running": busy,
        "pct_with_a_spark_job_running": round(100 * busy / wall, 1) if wall else None,
        "sum_of_job_ms": sum(j["end"] - j["start"] for j in finished),
        "tasks": dict(tasks),
        "job_ms_by_call_site": [
            {"call_site": site, "jobs": count_site[site], "ms": ms} for site, ms in by_site.most_common(top)
        ],
        # Executor CPU is the query work; a job's wall time also counts waiting for a free core.
        "jobs_by_what": [
            {"what": what, **figures} for what, figures in sorted(by_what.items(), key=lambda item: -item[1]["cpu_ms"])
        ],
    }


# Linux truncates thread names to 15 characters: these prefixes survive it.
JVM_EXECUTOR = "executor tasks (the query work)"
JVM_THREAD_KINDS = [
    ("Executor task", JVM_EXECUTOR),
    ("C2 Compiler", "JIT compiler (C2)"),
    ("C1 Compiler", "JIT compiler (C1)"),
    ("GC Thread", "garbage collector"),
    ("G1 ", "garbage collector"),
    ("Thread-", "driver: planning and code generation (py4j call threads)"),
]
JVM_OTHER = "everything else (driver, scheduler, ended threads)"


def jvm_cpu(pid: int) -> Dict[str, float]:
    """CPU seconds a JVM has used so far, in total and by kind of thread (Linux /proc; {} elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    root = Path(f"/proc/{pid}")

    def seconds(stat_file: Path) -> float:
        fields = stat_file.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    try:
        totals: Dict[str, float] = {"total": seconds(root / "stat")}
    except OSError:
        return {}
    for task in (root / "task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            used = seconds(task / "stat")
        except OSError:
            continue  # the thread ended while we looked
        kind = next((label for prefix, label in JVM_THREAD_KINDS if name.startswith(prefix)), None)
        if kind:
            totals[kind] = totals.get(kind, 0.0) + used
    return totals


def jvm_cpu_between(before: Dict[str, float], after: Dict[str, float]) -> Dict[str, float]:
    """CPU seconds each kind of JVM thread used between two ``jvm_cpu`` readings.

    Threads that ended in between take their time out of their kind: it shows up under JVM_OTHER,
    which is the process total minus the named kinds."""
    if not before or not after:
        return {}
    used = {kind: max(0.0, after.get(kind, 0.0) - before.get(kind, 0.0)) for kind in after if kind != "total"}
    total = after["total"] - before["total"]
    used[JVM_OTHER] = max(0.0, total - sum(used.values()))
    return {"total": round(total, 2), **{kind: round(s, 2) for kind, s in used.items()}}


def event_log_conf(folder: Path) -> str:
    """PYSPARK_SUBMIT_ARGS that switch the event log on for a session started after it is set."""
    folder.mkdir(parents=True, exist_ok=True)
    return (
        f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir={folder.as_uri()} "
        "--conf spark.eventLog.compress=false pyspark-shell"
    )


def pid() -> int:
    return os.getpid()
