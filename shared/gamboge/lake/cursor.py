"""A reader's position in a log of run ids: which manifests (or records) are new since it last looked.

Run ids sort by time (``manifests.new_run_id``), so a reader that has taken everything up to run id
``through`` need only list what comes after it: on S3 the listing starts there (``StartAfter``) and
costs what is new, not what the history holds. One thing breaks "newer = after ``through``": a
manifest that becomes visible after a newer one, e.g. from two overlapping ingests, or one whose
commit came long after it took its run id. Its id sorts before ``through``. So the listing starts
LATE_WINDOW before ``through``, and the cursor remembers the ids it took inside that window
(``recent``): an id listed there and not remembered is a late arrival, and is new.

Nothing is lost as long as every writer commits within LATE_WINDOW of taking its run id. Glue
ends a job at its timeout (at most 48 hours, terraform's ``job_timeout_minutes``), and ingest
refuses to commit a manifest whose run id is older than the window (``commits_in_time``), so a
stalled local run cannot break the rule either. The window costs one listing of three days of
half-hourly runs (about 150 keys, one S3 page) and as many remembered ids, whatever the history.

Pure functions, no I/O. Imported by the ingest job: Python 3.9 compatible.
"""

import datetime
from typing import Iterable, List, Optional, TypedDict

LATE_WINDOW = datetime.timedelta(days=3)
# The part of a run id that is its time: "20261126T120000123456Z" (then "-" and a random tail).
_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
_TIME_LENGTH = len("20261126T120000123456Z")


class Cursor(TypedDict):
    through: Optional[str]  # the newest run id taken; None: nothing taken yet
    recent: List[str]  # every run id taken that sorts at or after window_start(through), sorted


EMPTY: Cursor = {"through": None, "recent": []}


def run_time(run_id: str) -> datetime.datetime:
    return datetime.datetime.strptime(run_id[:_TIME_LENGTH], _TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)


def time_prefix(moment: datetime.datetime) -> str:
    """The run-id prefix of ``moment``: it sorts before every run id taken at or after it."""
    return moment.astimezone(datetime.timezone.utc).strftime(_TIME_FORMAT)


def window_start(through: str) -> str:
    """Where a listing starts: LATE_WINDOW before ``through`` (a prefix, not a run id)."""
    return time_prefix(run_time(through) - LATE_WINDOW)


def listing_start(cursor: Cursor) -> Optional[str]:
    """The key to list after (None: list everything, nothing was taken yet)."""
    return window_start(cursor["through"]) if cursor["through"] else None


def is_taken(cursor: Cursor, run_id: str) -> bool:
    return not unseen(cursor, [run_id])


def unseen(cursor: Cursor, listed: Iterable[str]) -> List[str]:
    """The ids of ``listed`` (a listing from ``listing_start``, or a longer one) the cursor has not
    taken, sorted."""
    recent = set(cursor["recent"])
    start = window_start(cursor["through"]) if cursor["through"] else None
    return sorted(r for r in listed if r not in recent and (start is None or r >= start))


def advanced(cursor: Cursor, taken: Iterable[str]) -> Cursor:
    """The cursor once ``taken`` are taken too; ids older than the new window are forgotten."""
    ids = set(cursor["recent"]) | set(taken)
    if not ids:
        return {"through": cursor["through"], "recent": []}
    through = max([*ids, *([cursor["through"]] if cursor["through"] else [])])
    start = window_start(through)
    return {"through": through, "recent": sorted(r for r in ids if r >= start)}


def of(taken: Iterable[str]) -> Cursor:
    """A cursor that has taken exactly ``taken`` (and, by the window rule, everything older)."""
    return advanced(EMPTY, taken)


def commits_in_time(run_id: str, now: Optional[datetime.datetime] = None) -> bool:
    """May a manifest named ``run_id`` still be committed? Not once LATE_WINDOW has passed: a reader
    whose cursor moved past it might never list it."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now - run_time(run_id) < LATE_WINDOW
