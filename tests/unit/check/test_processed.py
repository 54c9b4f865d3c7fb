"""gamboge.check.processed, the steps that need no Parquet: which snapshot each table's newest
committed manifest names, and whether the catalog points at it."""

from gamboge.check import processed
from gamboge.check.report import ERROR, Finding, Report
from gamboge.common import schema


def entry(location):
    return {"TableInput": {"StorageDescriptor": {"Location": location}}}


MANIFESTS = {
    "b1": {"tables": {"dim_staff": {"location": "file:///p/dim_staff/snapshot=b1"}, "fact_payment": {"rows": 4}}},
    "b2": {"tables": {"dim_staff": {"location": "file:///p/dim_staff/snapshot=b2"}}},
    "b3": {"tables": {"dim_currency": {"location": "file:///p/dim_currency/snapshot=b3"}}},
}


def test_the_newest_committed_location_of_each_table_wins():
    assert processed.latest_locations(MANIFESTS) == {
        "dim_staff": ["file:///p/dim_staff/snapshot=b2"],
        "dim_currency": ["file:///p/dim_currency/snapshot=b3"],
    }


def test_a_catalog_entry_behind_the_committed_snapshot_is_an_error():
    latest = processed.latest_locations(MANIFESTS)
    entries = {d.name: entry(latest.get(d.name, [None])[0]) for d in schema.DIMENSIONS}
    entries["dim_staff"] = entry("file:///p/dim_staff/snapshot=b1")
    report = Report()
    processed.check_catalog_locations(report, entries, MANIFESTS)
    assert report.findings == [
        Finding(
            ERROR,
            "dim_staff",
            "catalog",
            "the catalog points at file:///p/dim_staff/snapshot=b1, the committed snapshot is "
            "file:///p/dim_staff/snapshot=b2",
        )
    ]


def test_an_empty_processed_zone_needs_no_catalog():
    report = Report()
    processed.check_catalog_locations(report, {}, {})
    assert report.findings == []


def test_a_bucketed_dimension_is_checked_partition_by_partition():
    """Each bucket's catalog partition must point at the snapshot the newest manifest names for it."""
    root = "file:///p/dim_transaction"
    named = {"0": f"{root}/transaction_bucket=0/snapshot=b1", "1": f"{root}/transaction_bucket=1/snapshot=b2"}
    body = {"kind": "dimension", "bucket_span": 4, "buckets": named, "changed": ["1"], "rows": 6, "changed_rows": 2}
    committed_batches = {"b2": {"tables": {"dim_transaction": body}}}
    assert processed.latest_locations(committed_batches) == {"dim_transaction": [named["0"], named["1"]]}

    def checked(located):
        report = Report()
        cataloged = {"TableInput": {"StorageDescriptor": {"Location": root}}, "PartitionLocations": located}
        processed.check_catalog_locations(report, {"dim_transaction": cataloged}, committed_batches)
        return [f for f in report.findings if f.table == "dim_transaction"]

    assert checked(dict(named)) == []
    behind = checked(dict(named, **{"1": f"{root}/transaction_bucket=1/snapshot=b1"}))
    assert len(behind) == 1 and "transaction_bucket=1/snapshot=b1" in behind[0].detail
