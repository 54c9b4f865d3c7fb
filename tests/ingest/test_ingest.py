"""The ingest job against a real PostgreSQL: landing files, manifests, bookmarks, xmin capture, audits, errors."""

import json
import os

import psycopg
import pytest

import helpers
from gamboge import LIBRARY_ROOT
from gamboge.cli import bookmarks as bookmarks_cli
from gamboge.common import schema
from gamboge.ingest import job as ingest
from gamboge.lake import bookmarks, manifests, storage
from helpers.ingest_runs import ingest_run, landed
from helpers.small_totesys import ROW_COUNTS, SOURCE_ROWS

PASSWORD = "s3cret-never-logged"


@pytest.fixture()
def source(fresh_db, monkeypatch):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(schema.source_ddl())
        conn.execute(SOURCE_ROWS)
    monkeypatch.setenv("GAMBOGE_SOURCE_DSN", fresh_db)
    return fresh_db


@pytest.fixture()
def lake(tmp_path):
    return {"landing_uri": (tmp_path / "landing").as_uri(), "state_uri": (tmp_path / "state").as_uri()}


def sql(dsn, statement, params=None):
    with psycopg.connect(dsn, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def landed_ids(manifest, table, kind=None):
    pk = schema.source_table(table).primary_key
    return sorted(json.loads(line)[pk] for line in landed(manifest, table, kind))


def row_to_json(dsn, table, where="TRUE"):
    return sorted(r[0] for r in sql(dsn, f'SELECT row_to_json(t)::text FROM "{table}" t WHERE {where}'))


def state_of(lake):
    return bookmarks.load(lake["state_uri"], "ingest")


def capture_of(manifest, table):
    return manifest["tables"][table]["capture"]


def test_first_run_lands_every_row_once_byte_identical_to_row_to_json(source, lake):
    manifest = ingest_run(lake)

    assert manifest["job"] == "ingest" and manifest["empty"] is False and manifest["format"] == 2
    assert manifest["bookmark_option"] == "job-bookmark-enable"
    xids = manifest["snapshot_xids"]
    assert 0 < xids["xmin"] <= xids["xmax"]
    state = state_of(lake)
    for table, count in ROW_COUNTS.items():
        entry = manifest["tables"][table]
        assert entry["rows"] == count
        assert sorted(landed(manifest, table)) == row_to_json(source, table)
        assert [f["kind"] for f in entry["files"]] == ["full"]
        assert entry["files"][0]["bytes"] == storage.size(entry["files"][0]["uri"])
        assert entry["schema_drift"] == {"added": [], "dropped": []}
        assert entry["capture"] == {"kind": "full", "reason": "no bookmark yet", "window": None, "read": count,
                                    "unchanged": 0}  # fmt: skip
        assert entry["deleted"] is None and entry["audit"] is None
        assert state["tables"][table]["xmin"] == xids["xmin"] and state["tables"][table]["rows"] == count
    date = manifest["snapshot_time"][:10]
    uri = manifest["tables"]["payment"]["files"][0]["uri"]
    assert uri == f"{lake['landing_uri']}/payment/ingest_date={date}/{manifest['run_id']}-1.jsonl"
    first = json.loads(landed(manifest, "sales_order")[0])
    assert first["created_at"] == "2024-02-05T09:26:10"  # whole second: no fraction, as row_to_json
    assert '"unit_price":3.50' in landed(manifest, "sales_order")[0]  # numeric stays exact


def test_second_run_without_change_lands_nothing_and_reads_from_the_first_snapshot(source, lake):
    first = ingest_run(lake)
    files_before = storage.list_uris(lake["landing_uri"], ".jsonl")

    manifest = ingest_run(lake)

    assert manifest["empty"] is True
    assert all(t["rows"] == 0 and t["files"] == [] for t in manifest["tables"].values())
    assert storage.list_uris(lake["landing_uri"], ".jsonl") == files_before
    window = capture_of(manifest, "payment")["window"]
    assert window == {"low": first["snapshot_xids"]["xmin"] % 2**32,
                      "high": manifest["snapshot_xids"]["xmax"] % 2**32, "wraps": 0}  # fmt: skip
    assert capture_of(manifest, "payment")["kind"] == "incremental"
    assert state_of(lake)["tables"]["payment"]["xmin"] == manifest["snapshot_xids"]["xmin"]


def test_new_rows_a_shared_timestamp_batch_and_silent_updates_land_on_the_next_plain_run(source, lake):
    ingest_run(lake)
    sql(
        source,
        """
        INSERT INTO sales_order VALUES
          (3, '2024-02-06 08:12:00.5', '2024-02-06 08:12:00.5', 1, 2, 1, 7, 12.00, 3, '2024-02-09', '2024-02-08', 2);
        INSERT INTO transaction VALUES (4, 'SALE', 3, NULL, '2024-02-06 08:12:00.5', '2024-02-06 08:12:00.5');
        INSERT INTO payment VALUES (4, '2024-02-06 08:12:00.5', '2024-02-06 08:12:00.5', 4, 1, 84.00, 3, 1, false,
          '2024-02-08', 11111111, 22222222);
        -- the 07:55 batch: several payments flip paid with ONE shared last_updated
        UPDATE payment SET paid = true, last_updated = '2024-02-06 07:55:11.000' WHERE payment_id IN (1, 2, 3);
        -- silent updates: content changes, last_updated does not
        UPDATE sales_order SET design_id = 2, agreed_delivery_date = '2024-02-12' WHERE sales_order_id = 1;
        UPDATE design SET file_location = '/opt' WHERE design_id = 1;
        """,
    )

    manifest = ingest_run(lake, audit="never")

    assert landed_ids(manifest, "payment", "incremental") == [1, 2, 3, 4]
    assert sorted(landed(manifest, "payment")) == row_to_json(source, "payment")
    assert landed_ids(manifest, "transaction") == [4]
    assert landed_ids(manifest, "sales_order", "incremental") == [1, 3]
    assert sorted(landed(manifest, "sales_order")) == row_to_json(source, "sales_order", "sales_order_id IN (1, 3)")
    assert landed_ids(manifest, "design", "incremental") == [1]
    assert manifest["tables"]["currency"]["rows"] == 0
    assert {t: e["audit"] for t, e in manifest["tables"].items()} == {t: None for t in ROW_COUNTS}
    assert state_of(lake)["tables"]["payment"]["rows"] == 4

    again = ingest_run(lake, audit="always")
    assert again["empty"] is True
    assert {t: e["audit"] for t, e in again["tables"].items()} == {
        t: {"changed": 0, "new": 0, "deleted": 0} for t in ROW_COUNTS
    }


def test_a_same_value_update_moves_xmin_but_adds_nothing(source, lake):
    ingest_run(lake)
    sql(source, "UPDATE payment SET paid = paid")  # three new row versions, same content
    sql(source, "UPDATE sales_order SET units_sold = 8 WHERE sales_order_id = 2")  # one real change

    manifest = ingest_run(lake)

    assert capture_of(manifest, "payment") | {"window": None} == {
        "kind": "incremental", "reason": "rows changed since the last snapshot", "window": None, "read": 3,
        "unchanged": 3,
    }  # fmt: skip
    assert manifest["tables"]["payment"]["rows"] == 0 and manifest["tables"]["payment"]["files"] == []
    assert landed_ids(manifest, "sales_order") == [2]
    assert json.loads(landed(manifest, "sales_order")[0])["units_sold"] == 8


def test_a_transaction_open_across_the_snapshot_lands_on_the_next_run_exactly_once(source, lake):
    """Stamped with an old last_updated and committed after a run's snapshot: the snapshot's xmin
    is at or below its transaction id, so the next run reads it whenever it commits."""
    ingest_run(lake)
    with psycopg.connect(source) as late:
        late.execute(
            "UPDATE sales_order SET units_sold = 99, last_updated = '2020-01-01 00:00:00' WHERE sales_order_id = 1"
        )
        late.execute("UPDATE payment SET paid = true, last_updated = '2020-01-01 00:00:00' WHERE payment_id = 2")
        during = ingest_run(lake)  # the transaction is open: its rows are invisible to this snapshot
        late.commit()
    assert during["empty"] is True

    after = ingest_run(lake)

    assert landed_ids(after, "sales_order") == [1] and landed_ids(after, "payment") == [2]
    assert json.loads(landed(after, "sales_order")[0])["units_sold"] == 99
    assert ingest_run(lake)["empty"] is True


def test_deleted_rows_are_recorded_once_and_a_reinserted_id_lands_as_new(source, lake):
    ingest_run(lake)
    sql(source, "DELETE FROM payment WHERE payment_id IN (1, 3)")

    manifest = ingest_run(lake)

    assert manifest["tables"]["payment"]["deleted"] == {"rows": 2, "ids": [1, 3]}
    assert manifest["tables"]["payment"]["rows"] == 0
    assert state_of(lake)["tables"]["payment"]["rows"] == 1
    assert all(e["deleted"] is None for t, e in manifest["tables"].items() if t != "payment")
    assert ingest_run(lake)["tables"]["payment"]["deleted"] is None  # recorded once
    sql(
        source,
        "INSERT INTO payment VALUES (3, '2024-02-05 11:01:03.017', '2024-02-05 11:01:03.017', 3, 1, 134075.69, 2, 3,"
        " false, '2024-02-09', 66213052, 32948074)",
    )
    back = ingest_run(lake, audit="always")
    assert landed_ids(back, "payment") == [3] and back["tables"]["payment"]["audit"] == {
        "changed": 0, "new": 0, "deleted": 0,
    }  # fmt: skip
    assert state_of(lake)["tables"]["payment"]["rows"] == 2


def test_the_audit_lands_what_the_fingerprints_do_not_hold_and_logs_an_error(source, lake, caplog):
    """The audit is the safety net: make the state lose a change (its fingerprint says otherwise)
    and the next audit must find it, land it and say so at ERROR."""
    import gzip

    ingest_run(lake)
    (baseline,) = state_of(lake)["tables"]["payment"]["fingerprints"]
    lines = gzip.decompress(storage.read_bytes(baseline)).splitlines()
    lines[1] = lines[1].split(b"\t")[0] + b"\t" + b"0" * 32  # payment 2's hash, corrupted
    storage.write_bytes(baseline, gzip.compress(b"\n".join(lines) + b"\n"))

    assert ingest_run(lake, audit="never")["empty"] is True  # nothing changed in the source
    manifest = ingest_run(lake, audit="always")

    assert manifest["tables"]["payment"]["audit"] == {"changed": 1, "new": 0, "deleted": 0}
    assert landed_ids(manifest, "payment", "audit") == [2]
    assert landed(manifest, "payment") == row_to_json(source, "payment", "payment_id = 2")
    assert any(r.levelname == "ERROR" and r.getMessage() == ingest.AUDIT_MISSED for r in caplog.records)
    assert ingest_run(lake, audit="always")["tables"]["payment"]["audit"] == {"changed": 0, "new": 0, "deleted": 0}


def test_a_bookmark_from_before_xmin_capture_is_audited_once_then_read_by_xmin(source, lake):
    ingest_run(lake)
    uri = bookmarks.bookmark_uri(lake["state_uri"], "ingest")
    document = json.loads(storage.read_text(uri))
    for entry in document["tables"].values():  # what format 1 kept per table
        entry.update(watermark="2024-02-05T11:01:03.017", boundary=[[3, "0" * 32]])
        for key in ("xmin", "rows", "audited_at", "audited_epoch"):
            entry.pop(key)
    storage.write_text(uri, json.dumps(dict(document, format=1)))
    sql(source, "UPDATE design SET file_location = '/opt' WHERE design_id = 1")  # silent

    manifest = ingest_run(lake, audit="never")

    assert {e["capture"]["kind"] for e in manifest["tables"].values()} == {"audit"}
    assert "before xmin capture" in capture_of(manifest, "design")["reason"]
    assert landed_ids(manifest, "design", "audit") == [1]
    assert {t: e["rows"] for t, e in manifest["tables"].items() if e["rows"]} == {"design": 1}
    state = state_of(lake)
    assert state["format"] == 2 and state["tables"]["design"]["rows"] == 2
    assert "watermark" not in state["tables"]["design"]
    assert capture_of(ingest_run(lake), "design")["kind"] == "incremental"


def test_pause_reads_from_the_bookmark_without_moving_it_and_disable_extracts_everything(source, lake):
    ingest_run(lake)
    before = storage.read_text(storage.join(lake["state_uri"], "ingest", "bookmark.json"))
    sql(source, "UPDATE currency SET currency_code = 'CHF' WHERE currency_id = 3")

    for _ in range(2):  # paused: the same change lands again, and the bookmark stays
        paused = ingest_run(lake, bookmark="job-bookmark-pause")
        assert landed_ids(paused, "currency") == [3]
        assert paused["bookmark_option"] == "job-bookmark-pause"
        assert storage.read_text(storage.join(lake["state_uri"], "ingest", "bookmark.json")) == before

    disabled = ingest_run(lake, bookmark="job-bookmark-disable")
    assert {t: e["rows"] for t, e in disabled["tables"].items()} == ROW_COUNTS
    assert {f["kind"] for t in disabled["tables"].values() for f in t["files"]} == {"full"}
    assert storage.read_text(storage.join(lake["state_uri"], "ingest", "bookmark.json")) == before

    enabled = ingest_run(lake)
    assert landed_ids(enabled, "currency") == [3]
    assert state_of(lake)["tables"]["currency"]["xmin"] == enabled["snapshot_xids"]["xmin"]


def test_tables_argument_limits_the_run_and_keeps_other_tables_bookmarks(source, lake):
    ingest_run(lake)
    sql(source, "UPDATE staff SET last_name = 'Smith' WHERE staff_id = 1")
    sql(source, "UPDATE currency SET last_updated = '2024-03-01 10:00:00' WHERE currency_id = 1")

    manifest = ingest_run(lake, tables="staff")

    assert list(manifest["tables"]) == ["staff"] and landed_ids(manifest, "staff") == [1]
    assert landed_ids(ingest_run(lake), "currency") == [1]


def test_a_new_upstream_column_is_carried_and_reported_as_drift(source, lake):
    ingest_run(lake)
    sql(source, "ALTER TABLE design ADD COLUMN colour text")
    sql(source, "UPDATE design SET colour = 'teal', last_updated = '2024-03-01 12:00:00.250' WHERE design_id = 2")

    manifest = ingest_run(lake)

    assert manifest["tables"]["design"]["schema_drift"] == {"added": ["colour"], "dropped": []}
    # Every design row renders anew (with the column): the table is audited and every row lands once.
    assert capture_of(manifest, "design")["kind"] == "audit"
    assert sorted(landed(manifest, "design")) == row_to_json(source, "design")
    assert [json.loads(line)["colour"] for line in landed(manifest, "design")] == [None, "teal"]
    assert capture_of(manifest, "staff")["kind"] == "incremental"
    assert capture_of(ingest_run(lake), "design")["kind"] == "incremental"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("ALTER TABLE staff DROP COLUMN email_address", "staff.email_address"),
        ("ALTER TABLE payment RENAME COLUMN last_updated TO updated_at", "payment.last_updated"),
        ('DROP TABLE "transaction" CASCADE', "table transaction"),
    ],
)
def test_a_broken_source_schema_fails_naming_the_table_or_column_and_keeps_the_bookmark(source, lake, change, named):
    ingest_run(lake)
    before = storage.read_text(storage.join(lake["state_uri"], "ingest", "bookmark.json"))
    manifests_before = manifests.list_run_ids(lake["landing_uri"])
    sql(source, change)

    with pytest.raises(ingest.IngestError, match=named.replace(".", r"\.")):
        ingest.run(ingest.settings_from_arguments(dict(lake)))
    assert ingest.run_job(dict(lake)) == 1

    assert storage.read_text(storage.join(lake["state_uri"], "ingest", "bookmark.json")) == before
    assert manifests.list_run_ids(lake["landing_uri"]) == manifests_before


def test_unreachable_database_and_bad_credentials_fail_without_leaking_the_password(pg_server, lake, monkeypatch):
    closed_port = pg_server.dsn("postgres").replace(f":{pg_server.port}/", ":1/")
    for dsn, reason in [
        (closed_port.replace("gamboge@", f"gamboge:{PASSWORD}@"), "Connection refused"),
        (pg_server.dsn("no_such_database").replace("gamboge@", f"gamboge:{PASSWORD}@"), "no_such_database"),
    ]:
        monkeypatch.setenv("GAMBOGE_SOURCE_DSN", dsn)
        with pytest.raises(ingest.IngestError) as failure:
            ingest.run(ingest.settings_from_arguments(dict(lake)))
        assert "cannot connect to the source database" in str(failure.value)
        assert reason in str(failure.value)
        assert PASSWORD not in str(failure.value)
        assert ingest.run_job(dict(lake)) == 1
    assert not storage.exists(bookmarks.bookmark_uri(lake["state_uri"], "ingest"))


def test_gzip_landing_files_round_trip(source, lake):
    manifest = ingest_run(lake, compression="gzip")
    entry = manifest["tables"]["payment"]["files"][0]
    assert entry["uri"].endswith(".jsonl.gz")
    assert sorted(landed(manifest, "payment")) == row_to_json(source, "payment")


def test_bookmarks_command_shows_and_resets(source, lake, capsys):
    import argparse

    ingest_run(lake)
    parser = argparse.ArgumentParser()
    bookmarks_cli.configure_parser(parser)

    assert bookmarks_cli.main(parser.parse_args(["show", "--table", "payment", "--state_uri", lake["state_uri"]])) == 0
    assert json.loads(capsys.readouterr().out)["xmin"] == state_of(lake)["tables"]["payment"]["xmin"]
    fingerprint = state_of(lake)["tables"]["payment"]["fingerprints"][0]
    assert storage.exists(fingerprint)

    assert bookmarks_cli.main(parser.parse_args(["reset", "--table", "payment", "--state_uri", lake["state_uri"]])) == 0
    assert "payment" not in state_of(lake)["tables"] and "staff" in state_of(lake)["tables"]
    assert not storage.exists(fingerprint)
    assert landed_ids(ingest_run(lake), "payment") == [1, 2, 3]  # full again, for that table only


# --- s3:// and Secrets Manager against a moto server -----------------------------------------------
def test_s3_landing_with_the_source_secret_from_secrets_manager(source, aws, monkeypatch):
    import uuid

    import boto3
    from psycopg.conninfo import conninfo_to_dict

    bucket = "gamboge-" + uuid.uuid4().hex[:8]
    boto3.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    parts = conninfo_to_dict(source)
    secret = {
        "host": parts["host"],
        "port": int(parts["port"]),
        "dbname": parts["dbname"],
        "username": parts["user"],
        "password": PASSWORD,  # the embedded server trusts loopback: any password is accepted
        "sslmode": "disable",  # the test server has no TLS; on AWS the default is require
    }
    secret_id = "totesys-" + uuid.uuid4().hex[:6]
    boto3.client("secretsmanager").create_secret(Name=secret_id, SecretString=json.dumps(secret))
    monkeypatch.setenv("GAMBOGE_SOURCE_DSN", "postgresql://nobody@127.0.0.1:1/not_used")
    lake = {
        "landing_uri": f"s3://{bucket}/landing",
        "state_uri": f"s3://{bucket}/state",
        "source_secret_id": secret_id,
    }

    manifest = ingest_run(lake)

    assert manifest["tables"]["payment"]["files"][0]["uri"].startswith(f"s3://{bucket}/landing/payment/ingest_date=")
    for table in ROW_COUNTS:
        assert sorted(landed(manifest, table)) == row_to_json(source, table)
    assert storage.exists(f"s3://{bucket}/state/ingest/bookmark.json")
    assert ingest_run(lake)["empty"] is True

    with pytest.raises(ingest.IngestError, match="no-such-secret"):
        ingest.run(ingest.settings_from_arguments(dict(lake, source_secret_id="no-such-secret")))


# --- the Glue Python shell runtime ---------------------------------------------------------------------
PY39 = str(helpers.REPO / ".venv-py39" / "bin" / "python")


@pytest.mark.skipif(not os.path.exists(PY39), reason="no .venv-py39 (python3.9 with psycopg and boto3)")
def test_the_job_script_runs_under_python_3_9(source, lake):
    import subprocess

    repo = str(helpers.REPO)
    env = dict(os.environ, PYTHONPATH=str(LIBRARY_ROOT), GAMBOGE_SOURCE_DSN=source)
    argv = [PY39, os.path.join(repo, "glue_jobs", "ingest_totesys.py"), "--JOB_NAME", "gamboge-ingest"]
    argv += ["--landing_uri", lake["landing_uri"], "--state_uri", lake["state_uri"]]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines()]
    assert {e["table"]: e["rows"] for e in events if e["event"] == "table landed"} == ROW_COUNTS
    (run_id,) = manifests.list_run_ids(lake["landing_uri"])
    assert (
        manifests.read_manifest(manifests.manifest_uri(lake["landing_uri"], run_id))["tables"]["payment"]["rows"] == 3
    )
