"""Run the benchmarks: `python -m bench --scale 1,10,100 [--stages seed] [--runs 3]`.

Each stage is a function ``(scales, runs) -> list of result dicts``; the driver runs the chosen
stages in order and writes bench/results/results.json and bench/results/results.md (one Markdown
table per stage). Timings live here, never in the tests.
"""

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

from bench.seed import bench_seed

RESULTS = Path(__file__).resolve().parent / "results"

Stage = Callable[[Sequence[float], int], List[Dict[str, object]]]
# (name, function) in the order they run; later stages can rely on nothing from earlier ones.
STAGES: List[tuple] = [
    ("seed", bench_seed),
]


def markdown_table(rows: List[Dict[str, object]]) -> str:
    headers = list(rows[0])
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append(
            "| " + " | ".join(f"{row[h]:,}" if isinstance(row[h], int) else str(row[h]) for h in headers) + " |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="1", help="comma-separated scales, e.g. 1,10,100 (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="runs per scale; the median is reported (default 3)")
    parser.add_argument("--stages", default=",".join(name for name, _ in STAGES), help="comma-separated stages")
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.scale.split(",") if s.strip()]
    chosen = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(chosen) - {name for name, _ in STAGES}
    if unknown:
        parser.error(f"unknown stages: {', '.join(sorted(unknown))}")
    results = {name: stage(scales, args.runs) for name, stage in STAGES if name in chosen}
    RESULTS.mkdir(exist_ok=True)
    machine = f"{platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / "results.json").write_text(
        json.dumps({"measured": measured, "machine": machine, "results": results}, indent=2) + "\n"
    )
    sections = [f"# Benchmark results\n\nMeasured {measured} on {machine}; median of {args.runs} runs (min-max).\n"]
    sections += [f"## {name}\n\n{markdown_table(rows)}\n" for name, rows in results.items() if rows]
    (RESULTS / "results.md").write_text("\n".join(sections))
    print(f"wrote {RESULTS / 'results.md'} and {RESULTS / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
