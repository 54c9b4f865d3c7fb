"""Which row versions a run must read: the xmin window between the previous snapshot and this one.

Every INSERT and UPDATE in PostgreSQL writes a row version stamped with its transaction id
(``xmin``), whatever the columns say, and since 9.4 freezing keeps it. A run's watermark is its
snapshot's xmin (``pg_snapshot_xmin``, epoch-qualified): every transaction below it had ended when
the snapshot was taken, so its rows were read by that run or an earlier one. The next run reads the
versions stamped at or above it, so a transaction still open during a snapshot is read by the next
run whenever it commits; never the highest xmin seen, which misses an older transaction that
commits late.

``xmin`` is the 32-bit form of the id. A run compares it with the window [previous watermark,
this snapshot's xmax) taken modulo 2^32: while the window does not cross the wrap that is
``low <= xmin < high``; across one wrap, ``xmin >= low OR xmin < high``. A window of 2^32 ids or
more (two or more wraps, or a bookmark older than the source's transaction counter: a restored
database) cannot be told apart by 32 bits, so the table is resynchronised by a full content-hash
audit instead (``table_job``).

Rows may come back although they did not change (a transaction that committed between the
previous snapshot's xmin and xmax, a same-value UPDATE, pg_repack, dump and restore, a frozen row
of an earlier epoch whose 32-bit id falls in the window): the content hash filters them out.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

from typing import NamedTuple, Optional

XID_SPACE = 1 << 32
FIRST_NORMAL_XID = 3  # 0-2 are PostgreSQL's invalid, bootstrap and frozen ids: never a change


class SnapshotXids(NamedTuple):
    """A snapshot's epoch-qualified ids: ``xmin`` (the watermark) and ``xmax`` (the first id it cannot see)."""

    xmin: int
    xmax: int


class XminWindow(NamedTuple):
    """The 32-bit xmin values a run reads: ``low <= xmin < high``, or across the wrap when ``wraps``."""

    low: int
    high: int
    wraps: int  # 0 or 1: how many times the 32-bit counter passed zero since the watermark


def epoch(xid: int) -> int:
    return xid >> 32


def xmin_window(watermark: int, snapshot: SnapshotXids) -> Optional[XminWindow]:
    """The window from the previous run's watermark to this snapshot, or None when 32 bits cannot
    express it (2^32 ids or more apart, or the watermark is ahead of the source): resynchronise."""
    span = snapshot.xmax - watermark
    if not 0 <= span < XID_SPACE:
        return None
    wraps = epoch(snapshot.xmax) - epoch(watermark)
    # A span below 2^32 crosses at most one wrap; both bounds as 32-bit values.
    return XminWindow(watermark % XID_SPACE, snapshot.xmax % XID_SPACE, wraps)


def resync_reason(watermark: int, snapshot: SnapshotXids) -> str:
    """Why ``xmin_window`` gave None, for the log and the manifest."""
    if watermark > snapshot.xmax:
        return (
            f"the bookmark's transaction id {watermark} is ahead of the source's ({snapshot.xmax}):"
            " the database was restored or replaced"
        )
    wraps = epoch(snapshot.xmax) - epoch(watermark)
    return f"the transaction id counter wrapped {wraps} time(s) since the last run (32-bit xmin cannot tell)"


def selects(window: XminWindow, xmin32: int) -> bool:
    """Whether a row version with this 32-bit xmin is in the window (the SQL predicate, in Python)."""
    if window.wraps == 0:
        return window.low <= xmin32 < window.high
    return xmin32 >= window.low or FIRST_NORMAL_XID <= xmin32 < window.high
