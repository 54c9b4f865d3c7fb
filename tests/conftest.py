"""Shared fixtures: one real embedded PostgreSQL cluster per test session, one Spark session, the moto
server, and the pipeline workspaces of tests/helpers/workspaces.py."""

import os
import uuid
from pathlib import Path

import psycopg
import pytest

from gamboge.dev import localpg, moto_server

pytest.register_assert_rewrite("helpers")  # before pytest_plugins imports them
pytest_plugins = ["helpers.workspaces", "helpers.xid_cluster"]  # `sources`, `clean_runs`; `xid_edge_cluster`

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
    from gamboge.spark.session import local_session

    os.environ.setdefault("GAMBOGE_SPARK_MASTER", "local[2]")
    os.environ.setdefault("GAMBOGE_SPARK_DRIVER_MEMORY", "2g")
    session = local_session("gamboge-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server (AWS control-plane emulator) on a free loopback port, for boto3's real calls."""
    with moto_server.running() as endpoint:
        yield endpoint


@pytest.fixture()
def aws(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    from gamboge.lake import storage

    storage.reset_clients()
    yield
    storage.reset_clients()


@pytest.fixture(autouse=True)
def _gamboge_logging_restored():
    """A job's entry point configures the `gamboge` loggers for CloudWatch (its own handler, no
    propagation); a test that calls one in-process must not take caplog away from the next."""
    import logging

    from gamboge.common import logs

    logger = logging.getLogger("gamboge")
    saved = (list(logger.handlers), logger.level, logger.propagate, dict(logs._FORMAT))
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]
    logs._FORMAT.clear()
    logs._FORMAT.update(saved[3])
