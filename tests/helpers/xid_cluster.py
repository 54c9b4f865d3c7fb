"""A PostgreSQL cluster whose next transaction id sits just below 2^32, for xmin-based capture tests.

A row's `xmin` is a 32-bit transaction id that wraps; `pg_current_xact_id()` and `pg_current_snapshot()`
are epoch-qualified 64-bit ids. Reaching the wrap honestly takes four billion transactions, so the
cluster is made with `pg_resetwal -x` instead, and `set_epoch` moves the epoch with `pg_resetwal -e`
to stand for further wraps.
"""

import shutil

import psycopg
import pytest

from gamboge.dev import localpg

WRAP = 1 << 32
DEFAULT_NEXT_XID = WRAP - 296  # 4294967000: ~300 transactions below the wrap
XACTS_PER_SEGMENT = 32 * 32768  # pg_xact: 32 pages of 8 KiB a segment, 4 transactions a byte
SEGMENT_BYTES = 32 * 8192


class XidEdgeCluster(localpg.EmbeddedPostgres):
    def __init__(self, root, next_xid=DEFAULT_NEXT_XID):
        super().__init__(root)
        self.start_xid = next_xid

    def up(self):
        """Create the cluster at `start_xid` (once) and start it; returns the DSNs of both databases."""
        if self.initialised():
            return super().up()
        super().up()  # initdb, start, create totesys and warehouse
        # Freeze everything initdb and CREATE DATABASE wrote: an unfrozen xmin in the low thousands
        # would read as a transaction two billion ids in the future once the next id nears 2^32.
        vacuumdb = [self._bin("vacuumdb"), "--all", "--freeze", "--quiet", "-h", "127.0.0.1"]
        self._run(vacuumdb + ["-p", str(self.port), "-U", localpg.SUPERUSER])
        self.down()
        # PostgreSQL 15's -x leaves oldestXID (initdb's, 716 on 15.18) alone; that reads as ~1000 ids in the future of
        # 4294967000, so no wraparound warning or forced vacuum follows.
        self._resetwal("-x", str(self.start_xid))
        # pg_resetwal does not create the commit-log segment the new id falls in, and the server only
        # zeroes a fresh page when an id lands on a page boundary: without it startup fails with
        # "could not access status of transaction 4294967000".
        segment = self.data / "pg_xact" / f"{self.start_xid // XACTS_PER_SEGMENT:04X}"
        if not segment.exists():
            segment.write_bytes(bytes(SEGMENT_BYTES))
            user = localpg._server_user()
            if user:
                shutil.chown(str(segment), user=user, group=user)
        return super().up()

    def set_epoch(self, epoch):
        """Move the xid epoch (the high 32 bits of every 64-bit id) to `epoch`: stop, pg_resetwal -e, start.
        Nothing on disk stores the epoch but the control file, so stored 32-bit xmins stay as they were
        and are read as belonging to the new epoch, and a 64-bit id saved before the jump now lies that many
        more wraps in the past."""
        self.down()
        self._resetwal("-e", str(epoch))
        self.up()

    # --- reading and spending transaction ids ---
    def next_xid(self):
        """The next 64-bit transaction id, read from a snapshot so the read does not consume one."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            return int(conn.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").fetchone()[0])

    def burn_xids(self, n):
        """Consume `n` transaction ids: each autocommit pg_current_xact_id() assigns and commits one."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            for _ in range(n):
                conn.execute("SELECT pg_current_xact_id()")

    def burn_past_wrap(self, margin=10):
        """Consume ids until the epoch has gone up by one and the low 32 bits are at least `margin`."""
        start = self.next_xid()
        target = (((start >> 32) + 1) << 32) + max(margin, 3)
        while True:
            now = self.next_xid()  # re-read: autovacuum may spend ids too
            if now >= target:
                return now
            # 64-bit ids skip the reserved 32-bit values 0, 1 and 2 at each wrap
            self.burn_xids(target - now - (3 if now >> 32 < target >> 32 else 0))

    def create_database(self, name):
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def _bin(self, name):
        return str(localpg.find_bindir() / name)

    def _resetwal(self, *options):
        self._run([self._bin("pg_resetwal"), *options, "-D", str(self.data)])


@pytest.fixture(scope="module")
def xid_edge_cluster(tmp_path_factory):
    """A started cluster with next xid 4294967000 and the `totesys` database, one per test module (a
    module that crosses the wrap or moves the epoch cannot hand it on); stopped at the end. Tests in
    one module share it: read next_xid() rather than assume where it stands."""
    root = tmp_path_factory.mktemp("xid-edge")
    root.chmod(0o755)
    cluster = XidEdgeCluster(root / "pg")
    cluster.up()
    yield cluster
    cluster.down()
