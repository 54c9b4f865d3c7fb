"""Transform benchmark: the full star-schema build against DuckDB and pandas on the same landing files.

The landing zone comes from one full ingest of the seeded source at the scale. Each run builds the
star schema three ways, each into its own fresh folder:

- the transform job (``gamboge.transform.transform_job.execute``) in a fresh lake, on a Spark session started
  once for the whole benchmark (its start-up is reported separately);
- bench/duckdb_star.py: the same tables in DuckDB SQL;
- bench/pandas_star.py: the same tables in pandas, at scales up to PANDAS_MAX_SCALE only.
"""

import os
import statistics
import tempfile
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
    job, duck, panda = [], [], []
    checks: Optional[Dict[str, Dict[str, int]]] = None
    for n in range(runs):
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
    duck_s = spread([r["seconds"] for r in duck])
    result: Dict[str, Any] = {
        "landed_rows": sum(1 for paths in files.values() for p in paths for _ in open(p, "rb")),
        "star_rows": sum(job[-1]["counts"].values()),
        "spark_s": job_s,
        "duckdb_s": duck_s,
        "vs_duckdb": round(job_s["median"] / duck_s["median"], 2),
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
