"""The load job's warehouse role against a real PostgreSQL that checks passwords, and moto's Secrets Manager.

The session cluster of conftest trusts every local connection, so it cannot show that a password
works or stops working. These tests start their own cluster whose superuser is trusted (the test's
own back door) while every other role must authenticate with SCRAM. The master user is made the
way RDS makes it: LOGIN CREATEROLE CREATEDB, owner of the warehouse database, not a superuser.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import boto3
import psycopg
import pytest

import helpers
from gamboge import LIBRARY_ROOT
from gamboge.common import db_secrets as secrets
from gamboge.dev import localpg
from gamboge.load import pipeline
from gamboge.warehouse import warehouse, warehouse_role

REPO = helpers.REPO
PY39 = REPO / ".venv-py39" / "bin" / "python"
MASTER = "warehouse_admin"
LOADER = warehouse_role.LOADER_ROLE
HBA = f"""# the test's superuser is trusted; everyone else authenticates
local all {localpg.SUPERUSER} trust
host  all {localpg.SUPERUSER} 127.0.0.1/32 trust
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
"""


@pytest.fixture(scope="module")
def server():
    # Outside pytest's base temp: every pytest start on the machine resets /tmp/pytest-of-<user> to
    # 0700, which would lock the server (running as an unprivileged user under root) out of its data.
    root = Path(tempfile.mkdtemp(prefix="gamboge-roles-"))
    os.chmod(root, 0o755)
    pg = localpg.EmbeddedPostgres(root / "pg")
    pg.up()
    (pg.data / "pg_hba.conf").write_text(HBA)
    master_password = "master-" + uuid.uuid4().hex
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        # The warehouse logs DDL (rds.tf: log_statement = ddl); so does this server, to check the log.
        conn.execute("ALTER SYSTEM SET log_statement = 'ddl'")
        conn.execute(
            psycopg.sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD {}").format(
                psycopg.sql.Identifier(MASTER), psycopg.sql.Literal(master_password)
            )
        )
        conn.execute("SELECT pg_reload_conf()")
    pg.master_password = master_password
    yield pg
    pg.down()
    shutil.rmtree(root, ignore_errors=True)


def _dsn(server, database, user, password):
    return f"postgresql://{user}:{password}@127.0.0.1:{server.port}/{database}?sslmode=disable"


@pytest.fixture()
def warehouse_db(server):
    """An RDS-like warehouse database owned by the master user; the loader role is gone afterwards."""
    name = "wh_" + uuid.uuid4().hex[:10]
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{MASTER}"')
    yield name
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{LOADER}"')


@pytest.fixture()
def master_dsn(server, warehouse_db):
    return _dsn(server, warehouse_db, MASTER, server.master_password)


@pytest.fixture()
def sm(aws):
    return boto3.client("secretsmanager")


@pytest.fixture()
def secret_ids(sm, server):
    """The RDS-managed master secret (username and password only) and the empty loader secret terraform makes."""
    suffix = uuid.uuid4().hex[:8]
    master = sm.create_secret(
        Name=f"rds!db-{suffix}",
        SecretString=json.dumps({"username": MASTER, "password": server.master_password, "sslmode": "disable"}),
    )["ARN"]
    loader = sm.create_secret(Name=f"gamboge/test/warehouse-loader-{suffix}")["ARN"]
    return master, loader


def run_setup(server, warehouse_db, secret_ids):
    master, loader = secret_ids
    return warehouse_role.setup(master, loader, host="127.0.0.1", port=str(server.port), dbname=warehouse_db)


def loader_secret(sm, secret_id):
    # AWS answers AWSCURRENT when no stage is named; moto keeps answering the version that was
    # current before update_secret_version_stage moved the label, so the stage is named here.
    return json.loads(sm.get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")["SecretString"])


def loader_dsn(server, warehouse_db, document):
    return _dsn(server, warehouse_db, document["username"], document["password"])


def stages(sm, secret_id):
    return sorted(tuple(sorted(v)) for v in sm.describe_secret(SecretId=secret_id)["VersionIdsToStages"].values())


# --- create, rotate -----------------------------------------------------------------------------


def test_setup_creates_the_role_and_writes_its_secret(server, warehouse_db, secret_ids, sm):
    log_before = server.log_file.stat().st_size
    done = run_setup(server, warehouse_db, secret_ids)
    assert done["created"] is True and done["role"] == LOADER and done["adopted"] == []

    document = loader_secret(sm, secret_ids[1])
    password = document.pop("password")
    assert document == {
        "engine": "postgres",
        "host": "127.0.0.1",
        "port": server.port,
        "dbname": warehouse_db,
        "username": LOADER,
        "sslmode": "disable",
    }
    assert len(password) == 43 and password.replace("-", "").replace("_", "").isalnum()
    assert stages(sm, secret_ids[1]) == [("AWSCURRENT",)], "the pending label is gone once promoted"

    # The load job's own way of reading a secret connects as the loader.
    with psycopg.connect(**secrets.rds_connection_kwargs(secret_ids[1])) as conn:
        assert conn.execute("SELECT current_user, current_setting('search_path')").fetchone() == (LOADER, "public")
    with psycopg.connect(server.dsn("postgres")) as conn:
        attributes = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, "
            "left(rolpassword, 14) FROM pg_authid WHERE rolname = %s",
            (LOADER,),
        ).fetchone()
        members = conn.execute(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s",
            (LOADER,),
        ).fetchone()[0]
    assert attributes == (True, False, False, False, False, False, "SCRAM-SHA-256$")
    assert members == 0
    # The statement log shows the role being made, never the password.
    with server.log_file.open(errors="replace") as handle:
        handle.seek(log_before)
        logged = handle.read()
    assert f'CREATE ROLE "{LOADER}"' in logged
    assert password not in logged


def test_a_second_run_rotates_the_password_and_the_old_one_stops_working(server, warehouse_db, secret_ids, sm):
    run_setup(server, warehouse_db, secret_ids)
    old = loader_secret(sm, secret_ids[1])
    with psycopg.connect(loader_dsn(server, warehouse_db, old)) as conn:
        warehouse.ensure_schema(conn)  # tables made before the rotation stay the loader's

    again = run_setup(server, warehouse_db, secret_ids)
    assert again["created"] is False and again["adopted"] == []
    new = loader_secret(sm, secret_ids[1])
    assert new["password"] != old["password"] and dict(new, password="") == dict(old, password="")
    assert stages(sm, secret_ids[1]) == [("AWSCURRENT",), ("AWSPREVIOUS",)]

    with pytest.raises(psycopg.OperationalError, match=f'password authentication failed for user "{LOADER}"'):
        psycopg.connect(loader_dsn(server, warehouse_db, old)).close()
    with psycopg.connect(loader_dsn(server, warehouse_db, new)) as conn:
        assert conn.execute("SELECT count(*) FROM dim_currency").fetchone()[0] == 0


def test_a_failed_setup_leaves_the_current_secret_alone(server, warehouse_db, secret_ids, sm):
    run_setup(server, warehouse_db, secret_ids)
    before = loader_secret(sm, secret_ids[1])
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'ALTER ROLE "{LOADER}" BYPASSRLS')  # changed by hand: the setup must not carry on

    with pytest.raises(warehouse_role.SetupError, match=f"role {LOADER} exists with BYPASSRLS"):
        run_setup(server, warehouse_db, secret_ids)
    assert loader_secret(sm, secret_ids[1]) == before
    assert ("AWSCURRENT",) in stages(sm, secret_ids[1])
    with psycopg.connect(loader_dsn(server, warehouse_db, before)) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == LOADER

    # Wrong master credentials: a clear error that names no password.
    master, loader = secret_ids
    wrong = {"username": MASTER, "password": "nope", "sslmode": "disable"}
    sm.put_secret_value(SecretId=master, SecretString=json.dumps(wrong))
    with pytest.raises(warehouse_role.SetupError, match="password authentication failed") as failure:
        run_setup(server, warehouse_db, secret_ids)
    assert server.master_password not in str(failure.value) and "nope" not in str(failure.value)
    assert loader_secret(sm, loader) == before


# --- what the loader may and may not do -------------------------------------------------------------


def test_the_loader_owns_the_star_schema_and_nothing_else(server, warehouse_db, master_dsn, secret_ids, sm):
    with psycopg.connect(master_dsn) as conn:
        conn.execute("CREATE SCHEMA private")
        conn.execute("CREATE TABLE private.salaries (name text, pay numeric)")
        conn.execute("INSERT INTO private.salaries VALUES ('someone', 100)")
        conn.execute("CREATE TABLE public.audit (who text)")
    run_setup(server, warehouse_db, secret_ids)
    dsn = loader_dsn(server, warehouse_db, loader_secret(sm, secret_ids[1]))

    with psycopg.connect(dsn) as conn:
        warehouse.ensure_schema(conn)
        conn.execute("INSERT INTO dim_currency VALUES (1, 'GBP', 'Pound Sterling')")
        conn.execute(
            "INSERT INTO dim_currency VALUES (1, 'GBP', 'British Pound') "
            "ON CONFLICT (currency_id) DO UPDATE SET currency_name = excluded.currency_name"
        )
        assert conn.execute("SELECT * FROM dim_currency").fetchall() == [(1, "GBP", "British Pound")]
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relname = ANY(%s)",
            (list(warehouse.expected_columns()),),
        ).fetchall()
        assert owners == [(LOADER,)]

    refused = {
        "CREATE ROLE intruder LOGIN": "permission denied to create role",
        "CREATE DATABASE other": "permission denied to create database",
        "CREATE SCHEMA mine": f"permission denied for database {warehouse_db}",
        "SELECT * FROM private.salaries": "permission denied for schema private",
        "SELECT * FROM public.audit": "permission denied for table audit",
        f'ALTER ROLE "{LOADER}" CREATEDB': "permission denied",
    }
    for statement, message in refused.items():
        with psycopg.connect(dsn, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=message):
                conn.execute(statement)


def test_tables_an_earlier_deployment_made_as_master_are_handed_to_the_loader(
    server, warehouse_db, master_dsn, secret_ids, sm
):
    with psycopg.connect(master_dsn) as conn:
        warehouse.ensure_schema(conn)
        conn.execute("INSERT INTO dim_currency VALUES (1, 'GBP', 'Pound Sterling')")

    done = run_setup(server, warehouse_db, secret_ids)
    assert sorted(done["adopted"]) == sorted(warehouse.expected_columns())
    with psycopg.connect(loader_dsn(server, warehouse_db, loader_secret(sm, secret_ids[1]))) as conn:
        warehouse.ensure_schema(conn)  # CREATE INDEX IF NOT EXISTS needs ownership
        serial = conn.execute("SELECT nextval(pg_get_serial_sequence('fact_payment', 'payment_record_id'))")
        assert serial.fetchone() == (1,)
        assert conn.execute("SELECT currency_name FROM dim_currency").fetchone() == ("Pound Sterling",)
        sequences = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relkind = 'S'"
        ).fetchall()
        assert sequences == [(LOADER,)], "serial sequences move with their tables"
    with psycopg.connect(server.dsn("postgres")) as conn:
        inherits = conn.execute("SELECT pg_has_role(%s, %s, 'USAGE')", (MASTER, LOADER)).fetchone()[0]
    assert inherits is False, "the membership the hand-over needed is revoked again"


@pytest.mark.spark
def test_the_loader_runs_the_load(spark, server, warehouse_db, secret_ids, sm, tmp_path):
    import test_load

    processed_uri = (tmp_path / "lake" / "processed").as_uri()
    test_load.first_batch(processed_uri)
    run_setup(server, warehouse_db, secret_ids)
    dsn = loader_dsn(server, warehouse_db, loader_secret(sm, secret_ids[1]))

    summary = pipeline.run(spark, processed_uri, dsn)
    assert summary["loaded"] == ["20240102T000000000000Z-aaaaaa"]
    assert summary["tables"]["fact_sales_order"] == {"staged": 2, "inserted": 2, "updated": 0}
    counts = test_load.checksums(dsn)
    assert {name: counts[name][0] for name in ("dim_date", "dim_currency", "fact_payment", warehouse.LOAD_LOG)} == {
        "dim_date": 10,
        "dim_currency": 2,
        "fact_payment": 2,
        warehouse.LOAD_LOG: 1,
    }
    assert test_load.staging_tables(dsn) == []
    assert pipeline.run(spark, processed_uri, dsn)["already_loaded"] == 1


# --- the Glue job script ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "python",
    [
        pytest.param(sys.executable, id="python3"),
        pytest.param(
            str(PY39),
            id="python3.9",
            marks=pytest.mark.skipif(not PY39.exists(), reason="no .venv-py39 (the Glue Python shell runtime)"),
        ),
    ],
)
def test_the_job_script_sets_up_the_role(python, server, warehouse_db, secret_ids, sm, moto_endpoint):
    master, loader = secret_ids
    argv = [python, str(REPO / "glue_jobs" / "warehouse_setup.py"), "--JOB_NAME", "gamboge-warehouse_setup"]
    argv += ["--master_secret_id", master, "--loader_secret_id", loader, "--warehouse_host", "127.0.0.1"]
    argv += ["--warehouse_port", str(server.port), "--warehouse_dbname", warehouse_db]
    env = dict(os.environ, PYTHONPATH=str(LIBRARY_ROOT), GAMBOGE_LOG_FORMAT="json")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    # (boto3 on Python 3.9 adds a deprecation warning of its own to stderr)
    (event,) = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert event["event"] == "warehouse loader role ready"
    assert (event["role"], event["created"], event["database"]) == (LOADER, True, warehouse_db)
    document = loader_secret(sm, loader)
    assert document["password"] not in done.stdout + done.stderr
    with psycopg.connect(loader_dsn(server, warehouse_db, document)) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == LOADER

    missing = subprocess.run(argv[:4], env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "master_secret_id" in missing.stderr


def test_the_setup_job_is_not_in_the_workflow():
    from gamboge.common import workflow

    spec = workflow.one_off_job("warehouse_setup")
    assert spec.key not in workflow.JOBS_BY_KEY and spec.after is None
    assert (REPO / spec.script).is_file()
    assert warehouse_role.JOB is spec
