"""Seed benchmark: wall time of `gamboge seed` at each scale, each run into a fresh database.

The database server is the one GAMBOGE_SOURCE_DSN points at, else the embedded local PostgreSQL
(started if needed). Every run creates its own database and drops it afterwards, so runs do not see
each other's data; the figure is the median of the runs with their min and max.
"""

import os
import statistics
import time
import uuid
from typing import Dict, List, Sequence

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from gamboge.common import config
from gamboge.dev import localpg
from gamboge.dev.seed import seed_source

RUNS = 3


def server_dsn(database: str) -> str:
    """A DSN for ``database`` on the source's server."""
    if not os.environ.get(config.ENV_SOURCE_DSN):
        localpg.EmbeddedPostgres(config.home() / "pg").up()
    params = conninfo_to_dict(config.source_dsn())
    params["dbname"] = database
    return make_conninfo(**params)


def time_one_seed(scale: float) -> Dict[str, object]:
    name = "bench_seed_" + uuid.uuid4().hex[:10]
    admin = server_dsn("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        counts = seed_source(server_dsn(name), scale=scale)
        return {"seconds": time.perf_counter() - started, "rows": sum(counts.values()), "counts": counts}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_seed(scales: Sequence[float], runs: int = RUNS) -> List[Dict[str, object]]:
    """Seed each scale ``runs`` times into fresh databases; one result row per scale."""
    results = []
    for scale in scales:
        timings = [time_one_seed(scale) for _ in range(runs)]
        seconds = [t["seconds"] for t in timings]
        counts = timings[0]["counts"]
        results.append(
            {
                "stage": "seed",
                "scale": scale,
                "runs": runs,
                "median_s": round(statistics.median(seconds), 2),
                "min_s": round(min(seconds), 2),
                "max_s": round(max(seconds), 2),
                "rows": timings[0]["rows"],
                "sales_orders": counts["sales_order"],
                "payments": counts["payment"],
                "rows_per_s": round(timings[0]["rows"] / statistics.median(seconds)),
            }
        )
        print(
            f"seed scale {scale:g}: median {results[-1]['median_s']}s "
            f"(min {results[-1]['min_s']}s, max {results[-1]['max_s']}s), {results[-1]['rows']:,} rows",
            flush=True,
        )
    return results
