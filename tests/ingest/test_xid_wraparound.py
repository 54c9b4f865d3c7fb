"""xmin capture across the 32-bit transaction-id wrap, on a real cluster whose next transaction id
was set just below 2^32 (tests/helpers/xid_cluster.py): 0 wraps, 1 wrap crossed for real (with a
transaction open across it), and 2+ wraps by moving the epoch, which resynchronises by an audit."""

import json
import uuid

import psycopg
import pytest

from gamboge.common import schema
from gamboge.lake import bookmarks
from helpers.ingest_runs import ingest_run, landed
from helpers.small_totesys import ROW_COUNTS, SOURCE_ROWS
from helpers.xid_cluster import WRAP


@pytest.fixture()
def edge_source(xid_edge_cluster, tmp_path, monkeypatch):
    dsn = xid_edge_cluster.create_database("t_" + uuid.uuid4().hex[:10])
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(schema.source_ddl())
        conn.execute(SOURCE_ROWS)
    monkeypatch.setenv("GAMBOGE_SOURCE_DSN", dsn)
    lake = {"landing_uri": (tmp_path / "landing").as_uri(), "state_uri": (tmp_path / "state").as_uri()}
    return xid_edge_cluster, dsn, lake


def execute(dsn, statement):
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)


def ids(manifest, table, kind=None):
    pk = schema.source_table(table).primary_key
    return sorted(json.loads(line)[pk] for line in landed(manifest, table, kind))


def window(manifest, table):
    return manifest["tables"][table]["capture"]["window"]


def test_no_wrap_then_one_wrap_crossed_with_a_transaction_open_across_it(edge_source):
    cluster, dsn, lake = edge_source
    if cluster.next_xid() > WRAP - 100:
        pytest.skip("this module's cluster has already crossed the wrap")
    first = ingest_run(lake)
    assert {t: e["rows"] for t, e in first["tables"].items()} == ROW_COUNTS
    assert first["snapshot_xids"]["xmax"] < WRAP  # still epoch 0

    # 0 wraps: a silent update below the wrap.
    execute(dsn, "UPDATE design SET file_location = '/opt' WHERE design_id = 1")
    before_wrap = ingest_run(lake)
    assert window(before_wrap, "design")["wraps"] == 0
    assert ids(before_wrap, "design") == [1] and before_wrap["tables"]["payment"]["rows"] == 0

    # 1 wrap: a transaction takes its id below 2^32 and commits after the counter wrapped.
    with psycopg.connect(dsn) as late:
        late.execute("UPDATE payment SET paid = true WHERE payment_id = 2")
        late_xid = late.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]
        during = ingest_run(lake)  # the open transaction is invisible; the watermark stays at or below it
        assert during["snapshot_xids"]["xmin"] <= late_xid < WRAP
        cluster.burn_past_wrap(margin=20)
        late.commit()
    execute(dsn, "UPDATE sales_order SET units_sold = 5 WHERE sales_order_id = 1")  # 32-bit xmin now small
    execute(dsn, "UPDATE payment SET paid = paid WHERE payment_id = 1")  # same value, xmin moved
    xmins = dict(execute_rows(dsn, "SELECT sales_order_id, xmin::text::bigint FROM sales_order"))
    assert xmins[1] < 1000  # after the wrap

    after_wrap = ingest_run(lake)

    assert after_wrap["snapshot_xids"]["xmin"] >> 32 == 1
    assert window(after_wrap, "payment") == {
        "low": during["snapshot_xids"]["xmin"] % WRAP,
        "high": after_wrap["snapshot_xids"]["xmax"] % WRAP,
        "wraps": 1,
    }
    assert ids(after_wrap, "payment", "incremental") == [2]  # above the watermark, before the wrap
    assert ids(after_wrap, "sales_order", "incremental") == [1]  # below the new xmax, after the wrap
    assert after_wrap["tables"]["payment"]["capture"]["unchanged"] == 1  # the same-value update
    assert json.loads(landed(after_wrap, "payment")[0])["paid"] is True
    again = ingest_run(lake)
    assert again["empty"] is True and window(again, "payment")["wraps"] == 0


def test_two_or_more_wraps_resynchronise_by_an_audit_that_lands_only_the_differences(edge_source):
    cluster, dsn, lake = edge_source
    ingest_run(lake)
    epoch = cluster.next_xid() >> 32
    cluster.set_epoch(epoch + 2)  # as if 2^33 transactions had passed since the run
    execute(dsn, "UPDATE currency SET currency_code = 'CHF' WHERE currency_id = 3")

    resync = ingest_run(lake, audit="never")

    assert {e["capture"]["kind"] for e in resync["tables"].values()} == {"audit"}
    assert "wrapped 2 time(s)" in resync["tables"]["currency"]["capture"]["reason"]
    assert ids(resync, "currency", "audit") == [3]
    assert {t: e["rows"] for t, e in resync["tables"].items() if e["rows"]} == {"currency": 1}
    assert resync["tables"]["currency"]["audit"] == {"changed": 1, "new": 0, "deleted": 0}
    state = bookmarks.load(lake["state_uri"], "ingest")["tables"]["currency"]
    assert state["xmin"] >> 32 == epoch + 2
    follow = ingest_run(lake)
    assert follow["empty"] is True and window(follow, "currency")["wraps"] == 0


def execute_rows(dsn, statement):
    with psycopg.connect(dsn) as conn:
        return conn.execute(statement).fetchall()
