"""The cursor over a log of run ids: what is new, late arrivals inside the window, and what the
listings that start from it cost, on file:// and against the moto server for S3.

Fast apart from the S3 cases (a moto server): no PostgreSQL, no Spark."""

import datetime

import pytest

from gamboge.lake import cursor, manifests, storage

DAY = datetime.timedelta(days=1)
T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)


def run_id(at: datetime.datetime, tail: str = "aaaaaa") -> str:
    return cursor.time_prefix(at) + "-" + tail


def test_what_the_cursor_has_taken_is_not_new_and_what_came_after_is():
    taken = [run_id(T0), run_id(T0 + DAY)]
    position = cursor.of(taken)
    later = run_id(T0 + 2 * DAY)
    assert cursor.unseen(position, [*taken, later]) == [later]
    assert position["through"] == taken[-1] and cursor.is_taken(position, taken[0])


def test_a_late_manifest_inside_the_window_is_new_though_its_id_is_older():
    position = cursor.of([run_id(T0 + DAY, "bbbbbb")])
    late = run_id(T0 + DAY - datetime.timedelta(hours=2), "aaaaaa")  # took its id first, committed last
    assert cursor.unseen(position, [late, position["through"]]) == [late]
    assert cursor.unseen(cursor.advanced(position, [late]), [late, position["through"]]) == []


def test_the_cursor_forgets_ids_older_than_the_window_and_counts_them_as_taken():
    old, new = run_id(T0), run_id(T0 + cursor.LATE_WINDOW + DAY)
    position = cursor.of([old, new])
    assert position["recent"] == [new]
    assert cursor.is_taken(position, old)
    assert cursor.listing_start(position) > old  # the listing starts after it: never listed again


def test_an_empty_cursor_has_taken_nothing_and_lists_everything():
    assert cursor.listing_start(cursor.EMPTY) is None
    assert cursor.unseen(cursor.EMPTY, [run_id(T0)]) == [run_id(T0)]
    assert cursor.advanced(cursor.EMPTY, []) == cursor.EMPTY


def test_a_commit_later_than_the_window_is_refused():
    assert cursor.commits_in_time(run_id(T0), now=T0 + cursor.LATE_WINDOW - datetime.timedelta(minutes=1))
    assert not cursor.commits_in_time(run_id(T0), now=T0 + cursor.LATE_WINDOW)


def test_the_id_after_another_sorts_just_after_it_and_is_always_the_same():
    head, late = run_id(T0 + DAY, "bbbbbb"), run_id(T0, "cccccc")
    after = manifests.run_id_after(head, late)
    assert head < after < run_id(T0 + DAY + datetime.timedelta(milliseconds=1))
    assert after == manifests.run_id_after(head, late) and after.endswith("-cccccc")


@pytest.fixture(params=["file", "s3"])
def zone(request, tmp_path):
    if request.param == "file":
        return (tmp_path / "zone").as_uri()
    request.getfixturevalue("aws")
    bucket = "cursor-" + tmp_path.name.lower().replace("_", "-")[-40:]
    storage.s3_client().create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    return f"s3://{bucket}/zone"


def _commit(zone_uri: str, rid: str) -> None:
    storage.write_text(manifests.manifest_uri(zone_uri, rid), "{}")


def test_the_listing_starts_after_the_given_key_on_file_and_s3(zone):
    ids = [run_id(T0 + n * DAY) for n in range(5)]
    for rid in ids:
        _commit(zone, rid)
    assert manifests.list_run_ids(zone) == ids
    assert manifests.list_run_ids(zone, after=ids[2]) == ids[3:]
    assert manifests.list_run_ids(zone, after=cursor.time_prefix(T0 + 2 * DAY)) == ids[2:]


def test_unseen_run_ids_finds_new_and_late_manifests_from_a_listing_of_the_window(zone):
    history = [run_id(T0 + n * DAY) for n in range(10)]
    for rid in history:
        _commit(zone, rid)
    position = cursor.of(history)
    late = run_id(T0 + 9 * DAY - datetime.timedelta(hours=1), "late00")
    new = run_id(T0 + 10 * DAY)
    _commit(zone, late)
    _commit(zone, new)
    assert manifests.unseen_run_ids(zone, position) == [late, new]
