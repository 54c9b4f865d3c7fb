"""Compaction and retention on a real processed zone, file:// and S3 (a moto server): hand-written
manifests, real Parquet.

What the load's housekeeping may delete or merge, and what it must leave: the snapshots readers,
a lagging load and a running transform still need, and the files of batches not loaded yet."""

import datetime
import io
import json
import uuid

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gamboge.lake import buckets, committed, compaction, manifests, retention, storage

MONTH = "created_month=2024-11"


@pytest.fixture(params=["file", "s3"])
def processed(request, tmp_path):
    if request.param == "file":
        return (tmp_path / "processed").as_uri()
    request.getfixturevalue("aws")
    bucket = "gamboge-" + uuid.uuid4().hex[:8]
    boto3.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    return f"s3://{bucket}/processed"


def batch_ids(n):
    start = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
    return [manifests.new_run_id(start + datetime.timedelta(minutes=30 * i)) for i in range(n)]


def write_snapshot(processed, root, batch):
    location = storage.join(processed, root, f"snapshot={batch}")
    storage.write_text(storage.join(location, "part-00000.parquet"), "rows")
    storage.write_text(storage.join(location, "_SUCCESS"), "")
    return location


def commit(processed, batch, tables=None, current=None, facts=None):
    entries = {name: {"kind": "dimension", "location": loc, "rows": 1} for name, loc in (tables or {}).items()}
    for fact, files in (facts or {}).items():
        entries[fact] = {"kind": "fact", "files": files, "rows": len(files), "partitions": [MONTH[-7:]]}
    body = {"job": "transform", "batch_id": batch, "inputs": [batch], "tables": entries, "current": current or {}}
    manifests.write_manifest(processed, batch, body)


def snapshots_left(processed, root):
    return sorted(
        {retention.batch_of(retention.snapshot_of(u)) for u in storage.list_uris(storage.join(processed, root))}
    )


@pytest.fixture()
def zone(processed):
    """Four committed batches b1..b4. dim_a is rebuilt by b1, b2 and b4 (b3 carries b2's over),
    dim_b only by b1, the current state of `x` by every batch. `lost` is a transform that crashed
    before its commit (its input then went into b3): its snapshots no manifest names. `running`
    is a transform still at work, newer than every commit."""
    b1, b2, lost, b3, b4, running = batch_ids(6)
    a = {b: write_snapshot(processed, "dim_a", b) for b in (b1, b2, lost, b4, running)}
    b = write_snapshot(processed, "dim_b", b1)
    x = {b_: write_snapshot(processed, "_current/x", b_) for b_ in (b1, b2, lost, b3, b4, running)}
    commit(processed, b1, {"dim_a": a[b1], "dim_b": b}, {"x": x[b1]})
    commit(processed, b2, {"dim_a": a[b2], "dim_b": b}, {"x": x[b2]})
    commit(processed, b3, {"dim_a": a[b2], "dim_b": b}, {"x": x[b3]})
    commit(processed, b4, {"dim_a": a[b4], "dim_b": b}, {"x": x[b4]})
    return processed, {"b1": b1, "b2": b2, "lost": lost, "b3": b3, "b4": b4, "running": running}


def test_retention_keeps_what_the_newest_batches_name_and_deletes_the_rest(zone):
    processed, ids = zone
    b1, b2, b3, b4, running = (ids[k] for k in ("b1", "b2", "b3", "b4", "running"))
    done = retention.remove_superseded(processed, [b1, b2, b3, b4], loaded={b1, b2, b3, b4}, keep=2)

    # b3 names dim_a's b2 snapshot (carried over) and b4 its own; b1's is superseded, the lost
    # run's was never committed, the running transform's is newer than every commit.
    assert snapshots_left(processed, "dim_a") == [b2, b4, running]
    assert snapshots_left(processed, "dim_b") == [b1]  # unchanged since b1: still the current one
    assert snapshots_left(processed, "_current/x") == [b3, b4, running]
    assert done == {"snapshots_deleted": 5, "objects_deleted": 10}

    again = retention.remove_superseded(processed, [b1, b2, b3, b4], loaded={b1, b2, b3, b4}, keep=2)
    assert again == {"snapshots_deleted": 0, "objects_deleted": 0}


def test_retention_keeps_every_snapshot_a_lagging_load_still_reads(zone):
    processed, ids = zone
    b1, b2, b3, b4, running = (ids[k] for k in ("b1", "b2", "b3", "b4", "running"))
    retention.remove_superseded(processed, [b1, b2, b3, b4], loaded={b1}, keep=1)
    assert snapshots_left(processed, "dim_a") == [b2, b4, running]
    assert snapshots_left(processed, "_current/x") == [b2, b3, b4, running]

    retention.remove_superseded(processed, [b1, b2, b3, b4], loaded={b1, b2, b3, b4}, keep=1)
    assert snapshots_left(processed, "dim_a") == [b4, running]
    assert snapshots_left(processed, "_current/x") == [b4, running]
    assert snapshots_left(processed, "dim_b") == [b1]


def test_retention_refuses_to_keep_no_batch(zone):
    processed, ids = zone
    committed_ids = [ids[k] for k in ("b1", "b2", "b3", "b4")]
    before = snapshots_left(processed, "dim_a")
    with pytest.raises(ValueError, match="newest batch"):
        retention.remove_superseded(processed, committed_ids, loaded=set(committed_ids), keep=0)
    assert snapshots_left(processed, "dim_a") == before


# --- compaction ------------------------------------------------------------------------------------
def write_fact_file(processed, batch, ids):
    uri = storage.join(processed, "fact_payment", MONTH, f"{batch}-0.parquet")
    table = pa.table({"payment_id": pa.array(ids, pa.int32()), "version_key": [f"v{i}" for i in ids]})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    storage.write_bytes(uri, sink.getvalue().to_pybytes())
    return uri


def partition_files(processed):
    return storage.list_uris(storage.join(processed, "fact_payment", MONTH), suffix=".parquet")


def rows_of(uris):
    tables = [pq.read_table(io.BytesIO(storage.read_bytes(u))) for u in uris]
    return sorted(r for t in tables for r in t.column("payment_id").to_pylist())


@pytest.fixture()
def facts(processed):
    """Three committed batches, each with one file in the same month."""
    batches = batch_ids(3)
    for n, batch in enumerate(batches):
        commit(processed, batch, facts={"fact_payment": [write_fact_file(processed, batch, [2 * n, 2 * n + 1])]})
    return processed, batches


def test_compaction_merges_only_files_of_loaded_batches_and_readers_see_every_row_once(facts):
    processed, (b1, b2, b3) = facts
    summary = compaction.compact(processed, loaded={b1, b2}, min_files=2)

    assert summary == {"partitions": 1, "files_before": 2, "files_after": 1, "rows": 4, "finished_interrupted": 0}
    files = partition_files(processed)
    merged = [u for u in files if compaction.is_merged(u)]
    assert len(merged) == 1 and rows_of(merged) == [0, 1, 2, 3]
    assert [u for u in files if not compaction.is_merged(u)] == [
        storage.join(processed, "fact_payment", MONTH, f"{b3}-0.parquet")
    ]
    assert set(files) == committed.committed_fact_files(processed)  # what a reader sees is all there is
    assert rows_of(files) == [0, 1, 2, 3, 4, 5]

    # Once b3 is loaded, the merged file and b3's make two: one file again.
    compaction.compact(processed, loaded={b1, b2, b3}, min_files=2)
    (only,) = partition_files(processed)
    assert rows_of([only]) == [0, 1, 2, 3, 4, 5]
    assert {only} == committed.committed_fact_files(processed)


def test_compaction_leaves_a_partition_below_min_files_alone(facts):
    processed, batches = facts
    before = partition_files(processed)
    assert compaction.compact(processed, loaded=set(batches), min_files=4)["partitions"] == 0
    assert partition_files(processed) == before
    assert storage.list_uris(storage.join(processed, committed.COMPACTIONS)) == []


def test_a_rerun_finishes_an_interrupted_compaction_at_either_step(facts):
    processed, batches = facts
    originals = {u: storage.read_bytes(u) for u in partition_files(processed)}
    # Killed after the merge, before the record: a merged file no record names.
    stray = storage.join(processed, "fact_payment", MONTH, "compacted-20261201T000000000000Z-dead00.parquet")
    compaction.merge(list(originals), stray)
    assert stray not in committed.committed_fact_files(processed)
    summary = compaction.compact(processed, loaded=set(batches), min_files=2)
    assert summary["finished_interrupted"] == 1 and summary["partitions"] == 1
    (merged,) = partition_files(processed)
    assert merged != stray and rows_of([merged]) == [0, 1, 2, 3, 4, 5]

    # Killed after the record, before the deletions: the replaced files are back on disk.
    for uri, data in originals.items():
        storage.write_bytes(uri, data)
    record = json.loads(storage.read_text(storage.list_uris(storage.join(processed, committed.COMPACTIONS))[0]))
    assert sorted(record["partitions"][0]["replaces"]) == sorted(originals)
    summary = compaction.compact(processed, loaded=set(batches), min_files=2)
    assert summary["finished_interrupted"] == 3 and summary["partitions"] == 0
    assert partition_files(processed) == [merged]
    assert rows_of(partition_files(processed)) == [0, 1, 2, 3, 4, 5]


def test_retention_keeps_each_bucket_at_the_batch_that_last_wrote_it(processed):
    """dim_transaction in buckets: b0 is a lake of before the buckets (one whole-table snapshot);
    b1 rewrote it as buckets 0..2 (the upgrade); b2 and b3 rewrote the last bucket only, b3 an
    old one (0) too. Bucket 1 is still read at b1's snapshot, which is kept however old; b0's
    whole snapshot and the superseded bucket snapshots go."""
    b0, b1, b2, b3 = batch_ids(4)
    whole = write_snapshot(processed, "dim_t", b0)
    written = [(0, b1), (1, b1), (2, b1), (2, b2), (0, b3), (2, b3)]
    at = {(n, b): write_snapshot(processed, f"dim_t/{buckets.bucket_dir(n)}", b) for n, b in written}
    commit(processed, b0, {"dim_t": whole})
    layouts = {
        b1: {"0": at[0, b1], "1": at[1, b1], "2": at[2, b1]},
        b2: {"0": at[0, b1], "1": at[1, b1], "2": at[2, b2]},
        b3: {"0": at[0, b3], "1": at[1, b1], "2": at[2, b3]},
    }
    for batch, located in layouts.items():
        entry = dict(buckets.updated_entry(None, located, rows=3, written_rows=1, span=4), kind="dimension")
        body = {"job": "transform", "batch_id": batch, "inputs": [batch], "tables": {"dim_t": entry}, "current": {}}
        manifests.write_manifest(processed, batch, body)

    done = retention.remove_superseded(processed, [b0, b1, b2, b3], loaded={b0, b1, b2, b3}, keep=1)
    left = {retention.snapshot_of(u) for u in storage.list_uris(storage.join(processed, "dim_t"))}
    assert left == {at[0, b3], at[1, b1], at[2, b3]}
    assert done["snapshots_deleted"] == 4  # the whole b0 snapshot, bucket 0 of b1, bucket 2 of b1 and b2
    assert retention.table_root(at[1, b1]) == retention.table_root(whole) == storage.join(processed, "dim_t")
