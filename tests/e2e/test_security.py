"""Security: no medium/high bandit finding, hostile text survives every stage verbatim, and a
password never appears in anything a run prints or writes, whether the run succeeds or fails."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import psycopg
import pytest

import helpers
from gamboge.common import db_secrets as secrets
from helpers.workspaces import HOSTILE, PASSWORD_MARKER, gamboge

pytestmark = pytest.mark.spark
REPO = helpers.REPO


def test_bandit_finds_no_medium_or_high_issue():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "bandit"), "-q", "-r", "shared", "glue_jobs", "-ll"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_hostile_text_reaches_the_warehouse_verbatim(clean_runs):
    workspace, _ = clean_runs(0.1)
    with psycopg.connect(workspace["warehouse"]) as wh:
        staff = wh.execute(
            "SELECT first_name, last_name, email_address FROM dim_staff WHERE first_name = %s",
            (HOSTILE["first_name"],),
        ).fetchall()
        design = wh.execute(
            "SELECT design_name, file_location, file_name FROM dim_design WHERE design_name = %s",
            (HOSTILE["design_name"],),
        ).fetchall()
        counterparty = wh.execute(
            "SELECT count(*) FROM dim_counterparty WHERE counterparty_legal_name = %s",
            (HOSTILE["counterparty_legal_name"],),
        ).fetchone()[0]
        sold_by = wh.execute(
            "SELECT s.last_name, d.file_name FROM fact_sales_order f JOIN dim_staff s ON s.staff_id = f.sales_staff_id "
            "JOIN dim_design d USING (design_id) WHERE s.first_name = %s",
            (HOSTILE["first_name"],),
        ).fetchall()
        item_codes = wh.execute(
            "SELECT count(*) FROM fact_purchase_order WHERE item_code = %s", (HOSTILE["item_code"],)
        ).fetchone()[0]
        # Nothing was dropped or emptied by the injection attempts.
        payments = wh.execute("SELECT count(*) FROM fact_payment").fetchone()[0]
    assert staff == [(HOSTILE["first_name"], HOSTILE["last_name"], HOSTILE["email_address"])]
    assert design == [(HOSTILE["design_name"], HOSTILE["file_location"], HOSTILE["file_name"])]
    assert counterparty == 1 and item_codes == 1 and payments > 0
    assert sold_by == [(HOSTILE["last_name"], HOSTILE["file_name"])]
    with psycopg.connect(workspace["source"]) as src:
        assert src.execute("SELECT count(*) FROM staff WHERE last_name = %s", ("O'Keefe",)).fetchone()[0] == 1


def _files_containing(root: Path, marker: str):
    needle = marker.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_a_successful_run_never_prints_or_writes_the_password(clean_runs):
    workspace, _ = clean_runs(0.1)
    assert PASSWORD_MARKER in workspace["env"]["GAMBOGE_SOURCE_DSN"]  # the run really had one
    result = workspace["clean_run"]
    assert PASSWORD_MARKER not in result.stdout + result.stderr
    assert _files_containing(Path(workspace["home"]), PASSWORD_MARKER) == []


def _no_marker(result):
    output = result.stdout + result.stderr
    assert PASSWORD_MARKER not in output, output[-3000:]
    return output


def test_failing_connections_never_print_the_password(clean_runs, tmp_path):
    workspace, _ = clean_runs(0.1)
    missing_db = workspace["env"]["GAMBOGE_SOURCE_DSN"].rsplit("/", 1)[0] + "/no_such_db_" + uuid.uuid4().hex[:6]
    lake = {"GAMBOGE_LAKE": (tmp_path / "lake").as_uri(), "GAMBOGE_HOME": str(tmp_path)}
    for log_format in ("text", "json"):
        failed = gamboge(workspace, "--log-format", log_format, "ingest", GAMBOGE_SOURCE_DSN=missing_db, **lake)
        assert failed.returncode == 1
        assert "cannot connect to the source database" in _no_marker(failed)
    failed_load = gamboge(workspace, "load", GAMBOGE_WAREHOUSE_DSN=missing_db, **lake)
    assert failed_load.returncode == 1
    assert "cannot connect to the warehouse" in _no_marker(failed_load)
    assert _files_containing(tmp_path, PASSWORD_MARKER) == []


def test_the_secrets_manager_path_never_prints_the_password(sources, aws, tmp_path):
    workspace = sources.workspace(0.1, tmp_path / "home")  # made after `aws`: its env has the endpoint
    dsn = psycopg.conninfo.conninfo_to_dict(workspace["source"])
    client = boto3.client("secretsmanager")
    good, bad = "totesys-" + uuid.uuid4().hex[:6], "totesys-bad-" + uuid.uuid4().hex[:6]
    document = {
        "host": dsn["host"],
        "port": dsn["port"],
        "dbname": dsn["dbname"],
        "username": dsn["user"],
        "password": PASSWORD_MARKER,
        "sslmode": "disable",  # the embedded server has no TLS; on AWS the default is require
    }
    client.create_secret(Name=good, SecretString=json.dumps(document))
    client.create_secret(Name=bad, SecretString=json.dumps(dict(document, dbname="no_such_db")))

    landed = gamboge(workspace, "ingest", "--source_secret_id", good, "--tables", "currency,payment_type")
    assert landed.returncode == 0, landed.stderr[-3000:]
    _no_marker(landed)
    refused = gamboge(workspace, "ingest", "--source_secret_id", bad)
    assert refused.returncode == 1
    assert "cannot connect to the source database" in _no_marker(refused)
    assert _files_containing(tmp_path, PASSWORD_MARKER) == []


def test_database_secrets_require_tls_unless_they_say_otherwise():
    document = {"host": "db.example", "dbname": "totesys", "username": "etl", "password": "x"}
    assert secrets.connection_kwargs(document, "totesys")["sslmode"] == "require"
