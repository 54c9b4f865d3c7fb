"""The xmin window: which 32-bit xmin values a run reads, for 0, 1 and 2+ wraps (no database).

The same cases run against a real cluster at the edge of the wrap in tests/ingest/test_xid_wraparound.py."""

import pytest

from gamboge.ingest.capture import XID_SPACE, SnapshotXids, XminWindow, resync_reason, selects, xmin_window

EDGE = XID_SPACE - 300  # an epoch-0 id 300 transactions before the wrap


def test_no_wrap_reads_from_the_watermark_up_to_the_snapshot_xmax():
    window = xmin_window(1000, SnapshotXids(xmin=1500, xmax=1502))
    assert window == XminWindow(low=1000, high=1502, wraps=0)
    assert [x for x in (999, 1000, 1501, 1502, 2**32 - 1) if selects(window, x)] == [1000, 1501]


def test_the_same_ids_in_a_later_epoch_keep_their_32_bit_bounds():
    window = xmin_window(3 * XID_SPACE + 1000, SnapshotXids(3 * XID_SPACE + 1500, 3 * XID_SPACE + 1502))
    assert window == XminWindow(1000, 1502, 0)


def test_one_wrap_reads_above_the_watermark_or_below_the_snapshot_xmax():
    """Read before the wrap at EDGE, now 110 ids into epoch 1: what the pg_resetwal cluster shows."""
    window = xmin_window(EDGE, SnapshotXids(xmin=XID_SPACE + 108, xmax=XID_SPACE + 111))
    assert window == XminWindow(low=EDGE, high=111, wraps=1)
    chosen = [x for x in (0, 1, 2, 3, 110, 111, 5000, EDGE - 1, EDGE, XID_SPACE - 1) if selects(window, x)]
    assert chosen == [3, 110, EDGE, XID_SPACE - 1]  # 0-2 are PostgreSQL's special ids, never a change


def test_a_window_that_ends_exactly_at_the_wrap_has_not_wrapped():
    assert xmin_window(EDGE, SnapshotXids(XID_SPACE - 5, XID_SPACE)) == XminWindow(EDGE, 0, 1)
    # wraps=1 with high=0: everything from the watermark to the top of the 32-bit range
    assert selects(XminWindow(EDGE, 0, 1), XID_SPACE - 1) and not selects(XminWindow(EDGE, 0, 1), 5)


@pytest.mark.parametrize(
    ("watermark", "xmax", "why"),
    [
        (EDGE, 2 * XID_SPACE + 50, "wrapped 2 time(s)"),  # two wraps
        (1000, XID_SPACE + 1000, "wrapped 1 time(s)"),  # one wrap, but 2^32 ids apart: 32 bits cannot tell
        (5 * XID_SPACE, XID_SPACE + 7, "ahead of the source"),  # a restored or replaced database
    ],
)
def test_windows_32_bits_cannot_express_resynchronise(watermark, xmax, why):
    snapshot = SnapshotXids(xmax - 2, xmax)
    assert xmin_window(watermark, snapshot) is None
    assert why in resync_reason(watermark, snapshot)


def test_every_id_in_the_window_and_no_other_is_selected_across_the_wrap():
    """Brute force over a small neighbourhood of the wrap: a 64-bit id is selected iff it lies in
    [watermark, xmax) (the special ids 0-2 of each epoch are never assigned)."""
    watermark, xmax = XID_SPACE - 40, XID_SPACE + 25
    window = xmin_window(watermark, SnapshotXids(xmax - 1, xmax))
    for full in range(XID_SPACE - 100, XID_SPACE + 100):
        if full % XID_SPACE < 3:
            continue
        assert selects(window, full % XID_SPACE) == (watermark <= full < xmax), full
