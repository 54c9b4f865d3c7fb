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

ENV_SOURCE_DSN = "GAMBOGE_SOURCE_DSN"
ENV_WAREHOUSE_DSN = "GAMBOGE_WAREHOUSE_DSN"
ENV_LAKE = "GAMBOGE_LAKE"
ENV_HOME = "GAMBOGE_HOME"

SOURCE_DB = "totesys"
WAREHOUSE_DB = "warehouse"


def project_root() -> Path:
    """The checkout this library runs from (where the Makefile lives), else the working dir."""
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists():
        return here
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
    return os.environ.get(ENV_SOURCE_DSN) or _embedded_dsn(SOURCE_DB)


def warehouse_dsn() -> str:
    return os.environ.get(ENV_WAREHOUSE_DSN) or _embedded_dsn(WAREHOUSE_DB)


def _embedded_dsn(database: str) -> str:
    from shared import localpg  # imported late: the Glue runtime never needs it

    return localpg.EmbeddedPostgres(home() / "pg").dsn(database)
