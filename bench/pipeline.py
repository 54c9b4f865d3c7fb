"""End-to-end and incremental benchmark: ``gamboge run`` as a user runs it.

Each run gets a copy of the seeded source at the scale, an empty warehouse database and an empty
lake. ``gamboge run`` runs as a subprocess (Python and Spark start-up included), first from the
empty lake (the full run: end to end), again with nothing new in the source, then after
``gamboge simulate --days 1`` (the incremental run). Wall seconds of each, the seconds inside the
stages (from ``--json``: no interpreter or Spark start-up) and the rows each run landed.
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional

from bench import profile
from bench.transform import spread
from gamboge import LIBRARY_ROOT
from gamboge.common import config
from gamboge.dev.simulate import simulate

REPO = Path(__file__).resolve().parent.parent
GAMBOGE = [sys.executable, "-m", "gamboge.cli"]


def gamboge_run(env: Dict[str, str], pyspy_output: Optional[Path] = None) -> Dict[str, Any]:
    """One ``gamboge run --json`` in a child process: wall seconds and the run report.

    With ``pyspy_output``, py-spy samples the child (non-blocking) into that file."""
    with tempfile.TemporaryFile() as log_file:
        if pyspy_output:
            profile.snapshot_transform_source(pyspy_output)  # the child imports it now
        started = time.perf_counter()
        child = subprocess.Popen(
            [*GAMBOGE, "run", "--json"], env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=log_file
        )
        spy = profile.start_pyspy(child.pid, pyspy_output) if pyspy_output else None
        stdout, _ = child.communicate()
        seconds = time.perf_counter() - started
        profile.stop_pyspy(spy)
        result = subprocess.CompletedProcess(child.args, child.returncode, stdout)
        try:
            report = json.loads(result.stdout)
        except ValueError:
            report = None
        if report is None or "stages" not in report:
            log_file.seek(0)
            tail = log_file.read().decode("utf-8", "replace")[-3000:]
            raise RuntimeError(f"gamboge run failed (exit {result.returncode}):\n{tail}")
    stages = {name: stage.get("stage_seconds", 0.0) for name, stage in report["stages"].items()}
    landed = sum(t.get("rows", 0) for t in report["stages"].get("ingest", {}).get("tables", {}).values())
    # `gamboge run` ends with `gamboge check`; a mismatch exits non-zero but the run itself completed.
    check_ok = (report.get("check") or {}).get("ok")
    return {
        "wall_s": seconds,
        "stages_s": sum(stages.values()),
        "per_stage_s": stages,
        "landed_rows": landed,
        "exit_code": result.returncode,
        "check_ok": check_ok,
    }


class Workspace(NamedTuple):
    source: str  # the source database's DSN
    warehouse: str  # the warehouse database's DSN
    lake_uri: str
    env: Dict[str, str]  # what a ``gamboge`` child process needs to use them


@contextlib.contextmanager
def workspace(cluster, scale: float) -> Iterator[Workspace]:
    """A seeded copy of the source, an empty warehouse, an empty lake and a home, for as long as
    the block runs."""
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(cluster.copy_of_seeded(scale))
        warehouse = stack.enter_context(cluster.empty_database())
        lake = stack.enter_context(cluster.lake())
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="home-", dir=str(cluster.root)))
        env = dict(
            os.environ,
            PYTHONPATH=str(LIBRARY_ROOT),
            **{
                config.ENV_SOURCE_DSN: source,
                config.ENV_WAREHOUSE_DSN: warehouse,
                config.ENV_LAKE: lake.uri,
                config.ENV_HOME: home,
            },
        )
        yield Workspace(source, warehouse, lake.uri, env)


def measure_once(cluster, scale: float, seed_value: int, pyspy_output: Optional[Path] = None) -> Dict[str, Any]:
    with workspace(cluster, scale) as space:
        full = gamboge_run(space.env)
        unchanged = gamboge_run(space.env)  # nothing new in the source: no JVM should start
        report = simulate(space.source, days=1, seed_value=seed_value)
        changed = sum(sum(kinds.values()) for kinds in report["changes"].values())
        incremental = gamboge_run(space.env, pyspy_output)
    return {"full": full, "unchanged": unchanged, "incremental": incremental, "source_rows_changed": changed}


def bench_pipeline(cluster, scale: float, runs: int, pyspy_output: Optional[Path] = None) -> Dict[str, Any]:
    """Full and incremental ``gamboge run``; with ``pyspy_output`` the last incremental run is profiled."""
    measured: List[Dict[str, Any]] = [
        measure_once(cluster, scale, seed_value=n + 1, pyspy_output=pyspy_output if n == runs - 1 else None)
        for n in range(runs)
    ]
    full_wall = spread([m["full"]["wall_s"] for m in measured], 1)
    incr_wall = spread([m["incremental"]["wall_s"] for m in measured], 1)
    full_stages = spread([m["full"]["stages_s"] for m in measured], 1)
    incr_stages = spread([m["incremental"]["stages_s"] for m in measured], 1)
    middle = sorted(measured, key=lambda m: m["full"]["wall_s"])[len(measured) // 2]
    return {
        "full_wall_s": full_wall,
        "full_stages_s": full_stages,
        "full_per_stage_s": middle["full"]["per_stage_s"],
        "full_landed_rows": middle["full"]["landed_rows"],
        "unchanged_wall_s": spread([m["unchanged"]["wall_s"] for m in measured], 2),
        "incremental_wall_s": incr_wall,
        "incremental_stages_s": incr_stages,
        "incremental_per_stage_s": middle["incremental"]["per_stage_s"],
        "incremental_landed_rows": middle["incremental"]["landed_rows"],
        "source_rows_changed": middle["source_rows_changed"],
        "check_ok": all(m[k]["check_ok"] is not False for m in measured for k in ("full", "incremental")),
        "incremental_share": round(incr_wall["median"] / full_wall["median"], 3),
        "incremental_share_in_stages": round(incr_stages["median"] / full_stages["median"], 3),
    }
