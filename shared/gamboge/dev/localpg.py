"""The embedded PostgreSQL server: a private cluster under ``.gamboge/pg`` for local runs and tests.

``initdb`` + ``pg_ctl`` on 127.0.0.1 with a free port and trust authentication (it listens on
loopback only and exists for development). PostgreSQL refuses to run as root, so when we are root
the server runs as the unprivileged ``postgres`` user (or ``nobody``) through ``runuser``.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import List, Optional

from gamboge.common import config
from gamboge.common.config import SOURCE_DB, WAREHOUSE_DB
from gamboge.common.errors import GambogeError

SUPERUSER = config.EMBEDDED_SUPERUSER
DATABASES = (SOURCE_DB, WAREHOUSE_DB)

INSTALL_HINT = """PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found.
Install them, then run the command again:
  Debian/Ubuntu:  sudo apt-get install -y postgresql   (or: apt-get install -y postgresql-15)
  macOS:          brew install postgresql@15
Or point GAMBOGE_SOURCE_DSN and GAMBOGE_WAREHOUSE_DSN at an existing server."""

# A disposable development cluster: durability is traded for speed. Never used on AWS.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "256MB",
    "max_wal_size": "4GB",
    "timezone": "UTC",
    "log_timezone": "UTC",
    "datestyle": "iso, ymd",
}


class PostgresNotInstalled(RuntimeError):
    pass


class PostgresError(GambogeError):
    pass


def find_bindir() -> Path:
    """The directory holding initdb/pg_ctl: PATH first, then the Debian layout, newest version."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl") + glob.glob("/opt/homebrew/opt/postgresql@*/bin/pg_ctl"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.split("/")],
    )
    for candidate in reversed(candidates):
        if os.path.exists(os.path.join(os.path.dirname(candidate), "initdb")):
            return Path(candidate).parent
    raise PostgresNotInstalled(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _server_user() -> Optional[str]:
    """The unprivileged account to run the server as, when we are root; None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresError("running as root and neither a 'postgres' nor a 'nobody' user exists to run the server")


class EmbeddedPostgres:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.data = self.root / "data"
        self.port_file = self.root / config.EMBEDDED_PORT_FILE
        self.log_file = self.root / "server.log"

    # --- facts ---
    @property
    def port(self) -> int:
        return config.embedded_port(self.root)

    def dsn(self, database: str) -> str:
        return config.embedded_dsn(database, self.root)

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised():
            return False
        result = self._run(["pg_ctl", "status", "-D", str(self.data)], check=False)
        return result.returncode == 0

    # --- actions ---
    def up(self) -> List[str]:
        """Create (once) and start (if stopped) the cluster, ensure both databases; return DSNs."""
        bindir = find_bindir()
        self.root.mkdir(parents=True, exist_ok=True)
        user = _server_user()
        if user:
            # The server user must own its data and be able to reach it through every parent.
            shutil.chown(str(self.root), user=user)
            for parent in self.root.parents:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(str(parent), mode | 0o001)
        if not self.initialised():
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            )
            with open(self.data / "postgresql.auto.conf", "a") as conf:
                for key, value in SERVER_SETTINGS.items():
                    conf.write(f"{key} = '{value}'\n")
        if not self.running():
            port = self.port if self.port_file.exists() else _free_port()
            if _port_in_use(port):
                port = _free_port()
            self.port_file.write_text(str(port))
            self._run(
                [
                    str(bindir / "pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log_file),
                    "-o",
                    f"-p {port} -k {self.root} -h 127.0.0.1",
                ]
            )
        self._ensure_databases()
        return [self.dsn(db) for db in DATABASES]

    def down(self) -> bool:
        """Stop the server if it runs; True if it was running."""
        if not self.running():
            return False
        self._run([str(find_bindir() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data)])
        return True

    def _ensure_databases(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(self.dsn("postgres"), autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with conn:
            existing = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
            for db in DATABASES:
                if db not in existing:
                    conn.execute(f'CREATE DATABASE "{db}"')

    def _run(self, argv: List[str], check: bool = True) -> "subprocess.CompletedProcess[str]":
        if argv[0] == "pg_ctl":
            argv = [str(find_bindir() / "pg_ctl")] + argv[1:]
        user = _server_user()
        if user:
            argv = ["runuser", "-u", user, "--"] + argv
        result = subprocess.run(argv, capture_output=True, text=True, cwd=str(self.root))
        if check and result.returncode != 0:
            tail = ""
            if self.log_file.exists():
                tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
            raise PostgresError(
                "`{}` failed (exit {}):\n{}{}\n{}".format(
                    " ".join(argv), result.returncode, result.stdout, result.stderr, tail
                )
            )
        return result
