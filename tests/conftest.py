"""Shared fixtures: one real embedded PostgreSQL cluster per test session, one Spark session."""

import os
import uuid
from pathlib import Path

import psycopg
import pytest

from shared import localpg

REPO = Path(__file__).resolve().parent.parent
TOTESYS_DATA = REPO.parent / "shared" / "totesys-data"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A private cluster for this test run, never the developer's own `.gamboge/pg`."""
    root = tmp_path_factory.mktemp("gamboge-home")
    os.chmod(root, 0o755)
    server = localpg.EmbeddedPostgres(root / "pg")
    server.up()
    yield server
    server.down()


@pytest.fixture()
def fresh_db(pg_server):
    """A new empty database on the test cluster; returns its DSN."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.dsn(name)
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (configured like Glue 5.0) for the whole test run."""
    from shared.spark import local_session

    os.environ.setdefault("GAMBOGE_SPARK_MASTER", "local[2]")
    os.environ.setdefault("GAMBOGE_SPARK_DRIVER_MEMORY", "2g")
    session = local_session("gamboge-tests")
    yield session
    session.stop()
