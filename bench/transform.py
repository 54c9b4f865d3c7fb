"""Transform benchmark: the full star-schema build against DuckDB and pandas on the same landing files.

The landing zone comes from one full ingest of the seeded source at the scale. Each run builds the
star schema three ways, each into its own fresh folder:

- the transform job (``gamboge.transform.transform_job.execute``) in a fresh lake, on a Spark session started
  once for the whole benchmark (its start-up is reported separately);
- ``gamboge transform`` in a fresh process, as a user and Glue start it (interpreter, JVM and session
  start included), with the Spark event log on: its jobs, stages, tasks, bytes and what each job
  built, and the JVM's CPU by kind of thread;
- bench/duckdb_star.py: the same tables in DuckDB SQL;
- bench/pandas_star.py: the same tables in pandas, at scales up to PANDAS_MAX_SCALE only.
"""

import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from bench import duckdb_star, pandas_star, profile
from gamboge.common import config, glue_args
from gamboge.lake import bookmarks, manifests, storage

PANDAS_MAX_SCALE = 10


def landing_files(landing_uri: str) -> Dict[str, List[str]]:
    """Local paths of every landing file a manifest names, by source table."""
    files: Dict[str, List[str]] = {}
    for run_id in manifests.list_run_ids(landing_uri):
        body = manifests.read_manifest(manifests.manifest_uri(landing_uri, run_id))
        for table, entry in body.get("tables", {}).items():
            files.setdefault(table, []).extend(storage.local_path(f["uri"]) for f in entry.get("files", []))
    return files


def run_transform_job(spark, landing_uri: str, lake_uri: str, pyspy_output: Optional[Path] = None) -> Dict[str, Any]:
    """The transform job over ``landing_uri`` into a fresh lake; seconds and rows per star table."""
    from gamboge.transform import transform_job

    arguments = {
        "landing_uri": landing_uri,
        "processed_uri": config.processed_uri(lake_uri),
        "state_uri": config.state_uri(lake_uri),
        "catalog_database": "gamboge",
        glue_args.BOOKMARK_KEY: bookmarks.ENABLE,
        "max_reject_ratio": "0.01",
    }
    previous = os.environ.get(config.ENV_LAKE)
    os.environ[config.ENV_LAKE] = lake_uri  # the file catalog lives under the lake
    try:
        spy = profile.start_pyspy(os.getpid(), pyspy_output) if pyspy_output else None
        if spy:
            time.sleep(1.0)  # let py-spy attach before the clock starts
        jvm = _jvm_pid(spark)
        cpu_before = profile.jvm_cpu(jvm) if jvm else {}
        started_ms = time.time() * 1000
        started = time.perf_counter()
        summary = transform_job.execute(arguments, spark=spark)
        seconds = time.perf_counter() - started
        window = (started_ms, time.time() * 1000)
        jvm_cpu_s = profile.jvm_cpu_between(cpu_before, profile.jvm_cpu(jvm) if jvm else {})
        profile.stop_pyspy(spy)
    finally:
        if previous is None:
            os.environ.pop(config.ENV_LAKE, None)
        else:
            os.environ[config.ENV_LAKE] = previous
    counts = {t: e["rows"] for t, e in summary["tables"].items()}
    return {"seconds": seconds, "counts": counts, "window_ms": window, "jvm_cpu_s": jvm_cpu_s}


def _java_descendant(pid: int) -> Optional[int]:
    """The JVM a process started (pyspark launches it as a grandchild, through spark-submit)."""
    parents: Dict[int, int] = {}
    names: Dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            names[int(entry.name)] = stat[stat.index("(") + 1 : stat.rindex(")")]
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, grew = {pid}, True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    return next((p for p in family if names.get(p) == "java"), None)


def run_cold_transform(landing_uri: str, lake_uri: str, event_log: Path) -> Dict[str, Any]:
    """``gamboge transform`` over ``landing_uri`` in a fresh process and a fresh lake: wall seconds,
    the event-log profile of the build, and the JVM's CPU by kind of thread (sampled until it ends)."""
    from bench.pipeline import GAMBOGE

    env = dict(
        os.environ,
        **{
            config.ENV_LAKE: lake_uri,
            "GAMBOGE_CATALOG": "file",
            "PYSPARK_SUBMIT_ARGS": profile.event_log_conf(event_log),
        },
    )
    argv = [*GAMBOGE, "transform", "--landing_uri", landing_uri, "--processed_uri", config.processed_uri(lake_uri)]
    argv += ["--state_uri", config.state_uri(lake_uri)]
    jvm_cpu: Dict[str, float] = {}
    started_ms = time.time() * 1000
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log_file:
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log_file)

        def sample() -> None:
            jvm = None
            while child.poll() is None:
                jvm = jvm or _java_descendant(child.pid)
                reading = profile.jvm_cpu(jvm) if jvm else {}
                if reading:
                    jvm_cpu.clear()
                    jvm_cpu.update(reading)
                else:
                    jvm = None  # spark-submit's short-lived launcher JVM ended: find the driver's
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        child.wait()
        seconds = time.perf_counter() - started
        sampler.join()
        if child.returncode:
            log_file.seek(0)
            tail = log_file.read().decode("utf-8", "replace")[-3000:]
            raise RuntimeError(f"gamboge transform failed (exit {child.returncode}):\n{tail}")
    events = profile.summarise_event_log(event_log, (started_ms, time.time() * 1000))
    return {
        "seconds": seconds,
        "events": events,
        "jvm_cpu_s": profile.jvm_cpu_between({k: 0.0 for k in jvm_cpu}, jvm_cpu) if jvm_cpu else {},
    }


def _jvm_pid(spark) -> Optional[int]:
    """The local Spark JVM's process id (pyspark keeps the process it launched on its gateway)."""
    process = getattr(spark.sparkContext._gateway, "proc", None)
    return getattr(process, "pid", None)


def _timed(build: Callable[[str], Dict[str, int]], parent: str) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="star-", dir=parent) as out:
        started = time.perf_counter()
        counts = build(out)
        return {"seconds": time.perf_counter() - started, "counts": counts}


def spread(values: List[float], digits: int = 2) -> Dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def bench_transform(
    spark,
    landing_uri: str,
    new_lake: Callable[[], Any],
    scale: float,
    runs: int,
    pyspy_output: Optional[Path] = None,
) -> Dict[str, Any]:
    """Per run: Spark job, DuckDB and (small scales) pandas over the same landing files.

    With ``pyspy_output`` the last Spark run is sampled by py-spy (non-blocking); its time window
    is returned as ``profile_window_ms`` for the event log."""
    files = landing_files(landing_uri)
    with_pandas = scale <= PANDAS_MAX_SCALE
    job, cold, duck, panda = [], [], [], []
    checks: Optional[Dict[str, Dict[str, int]]] = None
    for n in range(runs):
        with new_lake() as lake:
            cold.append(run_cold_transform(landing_uri, lake.uri + "/cold", lake.path / "cold-events"))
        with new_lake() as lake:
            job.append(run_transform_job(spark, landing_uri, lake.uri, pyspy_output if n == runs - 1 else None))
            duck.append(_timed(lambda out: duckdb_star.build(files, out), str(lake.path)))
            if with_pandas:
                panda.append(_timed(lambda out: pandas_star.build(files, out), str(lake.path)))
        checks = {"spark": job[-1]["counts"], "duckdb": duck[-1]["counts"]}
        if with_pandas:
            checks["pandas"] = panda[-1]["counts"]
    mismatches = {
        table: {name: counts.get(table) for name, counts in checks.items()}
        for table in checks["spark"]
        if len({counts.get(table) for counts in checks.values()}) > 1
    }
    job_s = spread([r["seconds"] for r in job])
    cold_s = spread([r["seconds"] for r in cold])
    duck_s = spread([r["seconds"] for r in duck])
    events = cold[-1]["events"]
    result: Dict[str, Any] = {
        "landed_rows": sum(1 for paths in files.values() for p in paths for _ in open(p, "rb")),
        "star_rows": sum(job[-1]["counts"].values()),
        "spark_s": job_s,
        "duckdb_s": duck_s,
        "vs_duckdb": round(job_s["median"] / duck_s["median"], 2),
        "cold_s": cold_s,
        "cold_vs_duckdb": round(cold_s["median"] / duck_s["median"], 2),
        # The last cold build, from its event log: what each job built and what it cost.
        "cold_build": {
            "spark_jobs": events.get("spark_jobs"),
            "stages": events.get("stages"),
            "tasks": (events.get("tasks") or {}).get("tasks"),
            "input_mb": round((events.get("tasks") or {}).get("input_bytes", 0) / 1e6, 1),
            "output_mb": round((events.get("tasks") or {}).get("output_bytes", 0) / 1e6, 1),
            "shuffle_write_mb": round((events.get("tasks") or {}).get("shuffle_write_bytes", 0) / 1e6, 1),
            "executor_cpu_s": round((events.get("tasks") or {}).get("cpu_ms", 0) / 1000, 1),
            "jobs_by_what": events.get("jobs_by_what", []),
            "jvm_cpu_s": cold[-1]["jvm_cpu_s"],
        },
        "row_count_mismatches": mismatches,
        "profile_window_ms": job[-1]["window_ms"],
        # Where the JVM's CPU went in the last run: the query work, or compiling it (JIT), or GC.
        "jvm_cpu_s_last_run": job[-1]["jvm_cpu_s"],
    }
    if with_pandas:
        pandas_s = spread([r["seconds"] for r in panda])
        result["pandas_s"] = pandas_s
        result["vs_pandas"] = round(job_s["median"] / pandas_s["median"], 2)
    else:
        result["pandas_s"] = None
        result["vs_pandas"] = None
        result["pandas_note"] = f"pandas skipped above scale {PANDAS_MAX_SCALE} (whole tables in memory)"
    return result
