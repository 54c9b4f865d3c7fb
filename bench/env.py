"""The benchmark's own world: a private PostgreSQL cluster, temporary lakes, the machine's facts.

Nothing here touches the developer's ``.gamboge``: the cluster lives in a temporary folder, every
lake is a temporary folder, and GAMBOGE_HOME / GAMBOGE_*_DSN point there for every child process.
"""

import contextlib
import os
import platform
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Dict, Iterator

import psycopg

from gamboge.common import config
from gamboge.dev import localpg
from gamboge.dev.seed import seed_source


def machine() -> Dict[str, object]:
    """Cores, RAM and the load average when the benchmark starts (the noise it runs in)."""
    ram_gb = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    load = [round(x, 2) for x in os.getloadavg()]
    return {
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "load_average_at_start": load,
        "platform": f"{platform.machine()}, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


class BenchCluster:
    """A private embedded PostgreSQL for one benchmark run; databases by name, dropped at the end."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gamboge-bench-"))
        os.chmod(self.root, 0o755)
        self.server = localpg.EmbeddedPostgres(self.root / "pg")
        self.templates: Dict[float, str] = {}

    def __enter__(self) -> "BenchCluster":
        self.server.up()
        os.environ[config.ENV_HOME] = str(self.root / "home")
        os.environ[config.ENV_SOURCE_DSN] = self.server.dsn(config.SOURCE_DB)
        os.environ[config.ENV_WAREHOUSE_DSN] = self.server.dsn(config.WAREHOUSE_DB)
        os.environ["GAMBOGE_CATALOG"] = "file"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.down()
        shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self, database: str) -> str:
        return self.server.dsn(database)

    def create(self, template: str = "") -> str:
        """A new database (a copy of ``template`` when given); returns its name."""
        name = "bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop(self, name: str) -> None:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def seeded(self, scale: float) -> str:
        """A database seeded at ``scale`` once per benchmark, used as a template (never written to)."""
        if scale not in self.templates:
            name = self.create()
            seed_source(self.dsn(name), scale=scale)
            with psycopg.connect(self.dsn(name), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
            self.templates[scale] = name
        return self.templates[scale]

    @contextlib.contextmanager
    def copy_of_seeded(self, scale: float) -> Iterator[str]:
        """A throwaway copy of the seeded source at ``scale``; yields its DSN."""
        name = self.create(template=self.seeded(scale))
        try:
            yield self.dsn(name)
        finally:
            self.drop(name)

    @contextlib.contextmanager
    def empty_database(self) -> Iterator[str]:
        name = self.create()
        try:
            yield self.dsn(name)
        finally:
            self.drop(name)

    def lake(self) -> "TempLake":
        return TempLake(self.root)


class TempLake:
    """A ``file://`` lake in a temporary folder, removed on exit."""

    def __init__(self, parent: Path) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="lake-", dir=parent))
        self.uri = self.path.as_uri()

    def __enter__(self) -> "TempLake":
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def size_bytes(self, under: str = "") -> int:
        root = self.path / under
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
