"""gamboge.lake.buckets: which bucket a key is in, and the manifest entries of bucketed tables."""

from gamboge.lake import buckets

ROOT = "file:///p/dim_transaction"


def at(bucket, batch):
    return f"{ROOT}/{buckets.bucket_dir(bucket)}/snapshot={batch}"


def test_a_bucket_is_a_fixed_range_of_the_serial_key():
    span = buckets.BUCKET_SPAN
    assert [buckets.bucket_of(k, span) for k in (0, 1, span - 1, span, 2 * span + 5)] == [0, 0, 0, 1, 2]
    # A day of new ids falls in the last bucket, two at a boundary: never scattered like a hash.
    assert {buckets.bucket_of(k, span) for k in range(span - 10, span + 11)} == {0, 1}
    assert buckets.bucket_in(at(3, "b1") + "/b1-0.parquet") == "3"


def test_a_batch_rewrites_its_buckets_and_carries_the_others_over():
    prior = {"0": at(0, "b1"), "1": at(1, "b1"), "2": at(2, "b1")}
    entry = buckets.updated_entry(prior, {"2": at(2, "b2"), "3": at(3, "b2")}, rows=21, written_rows=7, span=4)
    assert entry == {
        "bucket_span": 4,
        "buckets": {"0": at(0, "b1"), "1": at(1, "b1"), "2": at(2, "b2"), "3": at(3, "b2")},
        "changed": ["2", "3"],
        "rows": 21,
        "changed_rows": 7,
    }
    assert buckets.locations(entry) == [at(0, "b1"), at(1, "b1"), at(2, "b2"), at(3, "b2")]
    assert buckets.changed_locations(entry) == [at(2, "b2"), at(3, "b2")]
    assert buckets.changed_rows(entry) == 7
    carried = buckets.carried_over(entry)
    assert buckets.changed_locations(carried) == [] and buckets.locations(carried) == buckets.locations(entry)


def test_buckets_sort_by_number_not_by_text():
    entry = buckets.updated_entry(None, {"10": at(10, "b"), "9": at(9, "b")}, rows=2, written_rows=2, span=4)
    assert entry["changed"] == ["9", "10"] and buckets.locations(entry) == [at(9, "b"), at(10, "b")]


def test_a_format_1_entry_is_one_whole_table_snapshot_and_is_merged_by_no_bucket():
    """A lake written before buckets: the next batch reads the whole snapshot and rewrites every bucket."""
    dimension = {"kind": "dimension", "location": f"{ROOT}/snapshot=b0", "rows": 5}
    state = "file:///p/_current/transaction/snapshot=b0"
    assert buckets.locations(dimension) == [f"{ROOT}/snapshot=b0"] == buckets.changed_locations(dimension)
    assert buckets.locations(state) == [state] and buckets.changed_rows(dimension) == 5
    assert buckets.prior_buckets(dimension, 4) is None and buckets.prior_buckets(state, 4) is None
    assert buckets.locations(None) == [] and buckets.locations({"kind": "fact", "files": ["x"], "rows": 1}) == []


def test_another_span_is_not_merged_bucket_by_bucket():
    entry = buckets.updated_entry(None, {"0": at(0, "b")}, rows=1, written_rows=1, span=4)
    assert buckets.prior_buckets(entry, 4) == {"0": at(0, "b")}
    assert buckets.prior_buckets(entry, 8) is None
