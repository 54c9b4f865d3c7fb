"""Where things are: one settings object for local runs and Glue runs alike.

Locally the settings come from environment variables (GAMBOGE_SOURCE_DSN, GAMBOGE_WAREHOUSE_DSN,
GAMBOGE_LAKE) and fall back to the embedded PostgreSQL cluster and a file:// lake under
``.gamboge/``. On Glue the job arguments carry the same facts (secret ids, S3 URIs) and the job
scripts pass them in explicitly.

Imported by the ingest job: Python 3.9 compatible.
"""

import os
from pathlib import Path
from typing import Optional

from gamboge.common.errors import NotConfigured

ENV_SOURCE_DSN = "GAMBOGE_SOURCE_DSN"
ENV_WAREHOUSE_DSN = "GAMBOGE_WAREHOUSE_DSN"
ENV_LAKE = "GAMBOGE_LAKE"
ENV_HOME = "GAMBOGE_HOME"

SOURCE_DB = "totesys"
WAREHOUSE_DB = "warehouse"


def project_root() -> Path:
    """The checkout this library runs from (where the Makefile lives), else the working dir."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").exists() and (folder / "glue_jobs").is_dir():
            return folder
    return Path.cwd()


def home() -> Path:
    """The local state folder: embedded PostgreSQL cluster, default lake, run lock."""
    configured = os.environ.get(ENV_HOME)
    return Path(configured).resolve() if configured else project_root() / ".gamboge"


def lake_uri() -> str:
    configured = os.environ.get(ENV_LAKE)
    if configured:
        return configured.rstrip("/")
    return (home() / "lake").as_uri()


def landing_uri(lake: Optional[str] = None) -> str:
    return (lake or lake_uri()) + "/landing"


def processed_uri(lake: Optional[str] = None) -> str:
    return (lake or lake_uri()) + "/processed"


def state_uri(lake: Optional[str] = None) -> str:
    return (lake or lake_uri()) + "/state"


def catalog_uri(lake: Optional[str] = None) -> str:
    """The local stand-in for the Glue Data Catalog: TableInput JSON files."""
    return (lake or lake_uri()) + "/catalog"


def source_dsn() -> str:
    return os.environ.get(ENV_SOURCE_DSN) or embedded_dsn(SOURCE_DB)


def warehouse_dsn() -> str:
    return os.environ.get(ENV_WAREHOUSE_DSN) or embedded_dsn(WAREHOUSE_DB)


# The embedded cluster `gamboge db up` runs (gamboge.dev.localpg) is found here: its folder under
# home(), the port it listens on (written there on start) and its trusted superuser on 127.0.0.1.
EMBEDDED_SUPERUSER = "gamboge"
EMBEDDED_PORT_FILE = "port"


def embedded_root() -> Path:
    return home() / "pg"


def embedded_port(root: Path) -> int:
    port_file = root / EMBEDDED_PORT_FILE
    if not port_file.exists():
        raise NotConfigured(
            "the embedded PostgreSQL has not been created yet: run `gamboge db up` "
            "(or set GAMBOGE_SOURCE_DSN / GAMBOGE_WAREHOUSE_DSN)"
        )
    return int(port_file.read_text().strip())


def embedded_dsn(database: str, root: Optional[Path] = None) -> str:
    port = embedded_port(root or embedded_root())
    return f"postgresql://{EMBEDDED_SUPERUSER}@127.0.0.1:{port}/{database}"
