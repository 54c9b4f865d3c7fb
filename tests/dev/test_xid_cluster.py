"""The test cluster at the edge of 32-bit transaction-id wraparound: it starts just below 2^32, crosses
the wrap for real, and its epoch moves on without losing data."""

import psycopg

from helpers.xid_cluster import DEFAULT_NEXT_XID, WRAP

FULL_XID = "pg_current_xact_id()::text::bigint"  # xid8 has no arithmetic: through text to bigint
SNAPSHOT_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def _xmin(conn):
    return conn.execute("SELECT xmin::text::bigint FROM capture_probe WHERE id = 1").fetchone()[0]


def test_a_row_keeps_its_xmin_across_the_wrap_and_an_epoch_jump(xid_edge_cluster):
    cluster = xid_edge_cluster
    start = cluster.next_xid()
    assert DEFAULT_NEXT_XID <= start < WRAP
    assert cluster.next_xid() == start  # reading it spends no id

    cluster.burn_xids(5)
    assert cluster.next_xid() >= start + 5

    with psycopg.connect(cluster.dsn("totesys"), autocommit=True) as conn:
        conn.execute("CREATE TABLE capture_probe (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO capture_probe VALUES (1, 'before the wrap')")
        before = _xmin(conn)
        assert DEFAULT_NEXT_XID < before < WRAP
        snapshot_before = conn.execute(f"SELECT {SNAPSHOT_XMIN}").fetchone()[0]
        assert before < snapshot_before < WRAP

    after_wrap = cluster.burn_past_wrap(margin=10)
    assert after_wrap >> 32 == 1 and after_wrap & 0xFFFFFFFF >= 10

    with psycopg.connect(cluster.dsn("totesys"), autocommit=True) as conn:
        assert conn.execute(f"SELECT {FULL_XID} >> 32").fetchone()[0] == 1
        assert conn.execute("SELECT xmin::text::bigint, name FROM capture_probe").fetchall() == [
            (before, "before the wrap")
        ]
        conn.execute("UPDATE capture_probe SET name = name WHERE id = 1")  # same value, new row version
        rewritten = _xmin(conn)
        assert 3 <= rewritten < 1000  # the 32-bit id restarted after 2^32 - 1 (0, 1, 2 are reserved)
        assert conn.execute("SELECT name FROM capture_probe").fetchall() == [("before the wrap",)]
        assert conn.execute(f"SELECT {SNAPSHOT_XMIN}").fetchone()[0] > WRAP + rewritten

    cluster.set_epoch(3)
    assert cluster.next_xid() >> 32 == 3
    with psycopg.connect(cluster.dsn("totesys"), autocommit=True) as conn:
        assert conn.execute(f"SELECT {FULL_XID} >> 32").fetchone()[0] == 3
        # the stored 32-bit xmin is untouched; only the epoch it is read against moved
        assert conn.execute("SELECT xmin::text::bigint, name FROM capture_probe").fetchall() == [
            (rewritten, "before the wrap")
        ]
        assert conn.execute(f"SELECT {SNAPSHOT_XMIN}").fetchone()[0] > (3 << 32) + rewritten


def test_create_database_returns_a_working_dsn(xid_edge_cluster):
    dsn = xid_edge_cluster.create_database("xid_extra")
    assert xid_edge_cluster.create_database("xid_extra") == dsn  # idempotent
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "xid_extra"
