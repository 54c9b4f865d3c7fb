"""The manifest and bookmark contracts: round trips, format stamps, and what a reader refuses.

Fast: a file:// lake in a temporary folder, no PostgreSQL, no Spark."""

import json

import pytest

from gamboge.common import schema
from gamboge.common.postgres import CatalogColumn
from gamboge.ingest import job as ingest
from gamboge.ingest import model, settings
from gamboge.ingest.capture import SnapshotXids, XminWindow
from gamboge.lake import bookmarks, contracts, cursor, manifests, storage
from gamboge.lake.contracts import (
    IngestBookmark,
    LandingManifest,
    ProcessedManifest,
    TransformBookmark,
)

RUN_ID = "20260102T030405000000Z-abcdef"


@pytest.fixture()
def lake(tmp_path):
    root = (tmp_path / "lake").as_uri()
    return {"landing": root + "/landing", "processed": root + "/processed", "state": root + "/state"}


def landing_manifest(lake) -> LandingManifest:
    uri = storage.join(lake["landing"], "payment", "ingest_date=2026-01-02", RUN_ID + "-1.jsonl")
    return {
        "format": contracts.LANDING_MANIFEST_FORMAT,
        "job": "ingest",
        "run_id": RUN_ID,
        "snapshot_time": "2026-01-02T03:04:05.123+00:00",
        "snapshot_xids": {"xmin": 4294967400, "xmax": 4294967405},
        "bookmark_option": bookmarks.ENABLE,
        "empty": False,
        "tables": {
            "payment": {
                "rows": 2,
                "files": [{"uri": uri, "rows": 2, "bytes": 321, "kind": "incremental"}],
                "capture": {
                    "kind": "incremental",
                    "reason": "rows changed since the last snapshot",
                    "window": {"low": 4294967000, "high": 109, "wraps": 1},
                    "read": 3,
                    "unchanged": 1,
                },
                "deleted": {"rows": 1, "ids": [9]},
                "audit": {"changed": 0, "new": 0, "deleted": 0},
                "schema_drift": {"added": ["note"], "dropped": []},
            }
        },
    }


def processed_manifest(lake) -> ProcessedManifest:
    fact = storage.join(lake["processed"], "fact_payment", "created_month=2026-01", RUN_ID + "-0.parquet")
    return {
        "format": contracts.PROCESSED_MANIFEST_FORMAT,
        "job": "transform",
        "run_id": RUN_ID,
        "batch_id": RUN_ID,
        "inputs": [RUN_ID],
        "landed": {"payment": 2},
        "rejected": {"payment": 0},
        "rejects_uri": None,
        "tables": {
            "dim_currency": {
                "kind": "dimension",
                "location": lake["processed"] + "/dim_currency/snapshot=x",
                "rows": 3,
            },
            "dim_date": {"kind": "dimension", "location": "file:///old", "rows": 31, "carried_over": True},
            "fact_payment": {"kind": "fact", "files": [fact], "rows": 2, "partitions": ["2026-01"]},
        },
        "current": {"currency": lake["processed"] + "/_current/currency/snapshot=x"},
        "date_range": ["2026-01-01", "2026-01-31"],
        "seconds": 1.5,
    }


def ingest_bookmark(lake) -> IngestBookmark:
    return {
        "format": contracts.INGEST_BOOKMARK_FORMAT,
        "job": "ingest",
        "run_id": RUN_ID,
        "snapshot_time": "2026-01-02T03:04:05.123+00:00",
        "manifest": manifests.manifest_uri(lake["landing"], RUN_ID),
        "tables": {
            "payment": {
                "xmin": 4294967400,
                "fingerprints": [lake["state"] + "/ingest/fingerprints/payment/" + RUN_ID + "-baseline.tsv.gz"],
                "rows": 2,
                "columns": ["payment_id", "last_updated"],
                "audited_at": "2026-01-02T03:04:05.123+00:00",
                "audited_epoch": 1767323045.123,
            }
        },
    }


def transform_bookmark() -> TransformBookmark:
    return {
        "format": contracts.TRANSFORM_BOOKMARK_FORMAT,
        "landing": {"through": RUN_ID, "recent": [RUN_ID]},
        "updated_at": "2026-01-02T03:05:00",
    }


def without_format(document):
    return {k: v for k, v in document.items() if k != "format"}


def stored(uri):
    return json.loads(storage.read_text(uri))


# --- round trips -----------------------------------------------------------------------------------
def test_a_landing_manifest_round_trips_with_its_format(lake):
    body = landing_manifest(lake)
    uri = manifests.write_manifest(lake["landing"], RUN_ID, without_format(body))
    assert uri == manifests.manifest_uri(lake["landing"], RUN_ID)
    assert stored(uri)["format"] == contracts.LANDING_MANIFEST_FORMAT == 2
    assert manifests.read_manifest(uri) == body
    assert manifests.read_landing_manifest(uri) == body


def test_a_processed_manifest_round_trips_with_its_format(lake):
    body = processed_manifest(lake)
    uri = manifests.write_manifest(lake["processed"], RUN_ID, without_format(body))
    assert stored(uri)["format"] == contracts.PROCESSED_MANIFEST_FORMAT == 2
    assert manifests.read_manifest(uri) == body
    assert manifests.read_processed_manifest(uri) == body


def test_write_manifest_still_fills_in_the_run_id(lake):
    body = without_format(processed_manifest(lake))
    del body["run_id"]
    uri = manifests.write_manifest(lake["processed"], RUN_ID, body)
    assert manifests.read_processed_manifest(uri)["run_id"] == RUN_ID


def test_an_ingest_bookmark_round_trips_with_its_format(lake):
    bookmark = ingest_bookmark(lake)
    bookmarks.save(lake["state"], "ingest", without_format(bookmark))
    assert stored(bookmarks.bookmark_uri(lake["state"], "ingest"))["format"] == contracts.INGEST_BOOKMARK_FORMAT == 2
    assert bookmarks.load(lake["state"], "ingest") == bookmark


def test_a_transform_bookmark_round_trips_with_its_format(lake):
    bookmark = transform_bookmark()
    bookmarks.save(lake["state"], "transform", without_format(bookmark))
    assert (
        stored(bookmarks.bookmark_uri(lake["state"], "transform"))["format"] == contracts.TRANSFORM_BOOKMARK_FORMAT == 2
    )
    assert bookmarks.load(lake["state"], "transform") == bookmark


def test_no_bookmark_is_still_an_empty_one(lake):
    assert bookmarks.load(lake["state"], "ingest") == {}
    assert bookmarks.load(lake["state"], "transform") == {}


def test_resetting_one_table_keeps_the_rest_and_the_format(lake):
    bookmark = ingest_bookmark(lake)
    bookmark["tables"]["staff"] = dict(bookmark["tables"]["payment"])
    bookmarks.save(lake["state"], "ingest", bookmark)
    assert bookmarks.reset(lake["state"], "ingest", "payment")
    left = bookmarks.load(lake["state"], "ingest")
    assert list(left["tables"]) == ["staff"] and left["format"] == 2


# --- documents written before formats existed --------------------------------------------------------
def _write_raw(uri, document):
    storage.write_text(uri, json.dumps(document))


def format_1_landing_manifest(lake):
    """What the last_updated-watermark ingest wrote (no format key)."""
    body = without_format(landing_manifest(lake))
    del body["snapshot_xids"]
    entry = body["tables"]["payment"]
    for key in ("capture", "deleted", "audit"):
        del entry[key]
    entry.update(low_watermark="2026-01-01T03:00:00", high_watermark="2026-01-02T03:00:00", reconciled=None)
    return body


def format_1_ingest_bookmark(lake):
    bookmark = without_format(ingest_bookmark(lake))
    entry = bookmark["tables"]["payment"]
    for key in ("xmin", "rows", "audited_at", "audited_epoch"):
        del entry[key]
    entry.update(watermark="2026-01-02T03:00:00", boundary=[[7, "0123abcd"]],
                 reconciled_at="2026-01-02T03:04:05.123+00:00", reconciled_epoch=1767323045.123)  # fmt: skip
    return bookmark


def test_a_processed_manifest_without_format_reads_as_format_1_upgraded_as_it_is(lake):
    """Format 1's whole-table entries are read as they are (gamboge.lake.buckets reads both shapes)."""
    body = processed_manifest(lake)
    uri = manifests.manifest_uri(lake["processed"], RUN_ID)
    _write_raw(uri, without_format(body))
    assert manifests.read_manifest(uri) == body
    assert manifests.read_manifest(uri)["format"] == 2


def test_a_format_1_landing_manifest_is_upgraded_with_its_capture_unknown(lake):
    uri = manifests.manifest_uri(lake["landing"], RUN_ID)
    _write_raw(uri, format_1_landing_manifest(lake))
    manifest = manifests.read_landing_manifest(uri)
    assert manifest["format"] == 2 and manifest["snapshot_xids"] is None
    entry = manifest["tables"]["payment"]
    assert set(entry) == _keys(contracts.LandingTableEntry)
    assert (entry["capture"], entry["deleted"], entry["audit"]) == (None, None, None)
    assert entry["files"] == landing_manifest(lake)["tables"]["payment"]["files"]


def test_a_format_1_ingest_bookmark_keeps_its_fingerprints_and_has_no_xmin(lake):
    """No xmin: the next run audits each table once against the fingerprints (tests/ingest)."""
    _write_raw(bookmarks.bookmark_uri(lake["state"], "ingest"), format_1_ingest_bookmark(lake))
    entry = bookmarks.load(lake["state"], "ingest")["tables"]["payment"]
    assert entry == {
        "fingerprints": ingest_bookmark(lake)["tables"]["payment"]["fingerprints"],
        "columns": ["payment_id", "last_updated"],
        "audited_at": "2026-01-02T03:04:05.123+00:00",
        "audited_epoch": 1767323045.123,
    }


def test_a_format_1_transform_bookmark_becomes_the_cursor_that_took_every_consumed_id(lake):
    older = "20251201T000000000000Z-000001"  # a month before RUN_ID: outside the late window
    _write_raw(
        bookmarks.bookmark_uri(lake["state"], "transform"),
        {"consumed": [older, RUN_ID], "updated_at": "2026-01-02T03:05:00"},  # format 1 had no "format"
    )
    bookmark = bookmarks.load(lake["state"], "transform")
    assert bookmark == transform_bookmark()
    assert cursor.is_taken(bookmark["landing"], older) and cursor.is_taken(bookmark["landing"], RUN_ID)


# --- what a reader refuses ---------------------------------------------------------------------------
@pytest.mark.parametrize("version", [3, 0, "1", None, True])
@pytest.mark.parametrize(
    "zone, make, name, reads",
    [
        ("landing", landing_manifest, "landing manifest", "formats 1 to 2"),
        ("processed", processed_manifest, "processed manifest", "formats 1 to 2"),
    ],
)
def test_a_manifest_of_an_unknown_format_is_refused_naming_file_and_format(lake, zone, make, name, reads, version):
    uri = manifests.manifest_uri(lake[zone], RUN_ID)
    _write_raw(uri, dict(make(lake), format=version))
    with pytest.raises(contracts.ContractError) as refused:
        manifests.read_manifest(uri)
    message = str(refused.value)
    assert uri in message and f"{name} format {version!r}" in message and f"reads ({reads})" in message


@pytest.mark.parametrize("job", ["ingest", "transform"])
def test_a_bookmark_of_an_unknown_format_is_refused_naming_file_and_format(lake, job):
    bookmark = ingest_bookmark(lake) if job == "ingest" else transform_bookmark()
    uri = bookmarks.bookmark_uri(lake["state"], job)
    unknown = contracts.bookmark_kind(job).format + 1
    _write_raw(uri, dict(bookmark, format=unknown))
    with pytest.raises(contracts.ContractError, match=f"{job} bookmark format {unknown}") as refused:
        bookmarks.load(lake["state"], job)
    assert uri in str(refused.value)


def test_a_refusal_is_a_gamboge_error_and_a_value_error():
    """The jobs' entry points report GambogeError and ValueError as a message, not a traceback."""
    assert issubclass(contracts.ContractError, contracts.GambogeError)
    assert issubclass(contracts.ContractError, ValueError)


def test_a_manifest_of_the_other_zone_is_refused_by_a_typed_reader(lake):
    uri = manifests.write_manifest(lake["processed"], RUN_ID, processed_manifest(lake))
    with pytest.raises(contracts.ContractError, match="a processed manifest, where a landing manifest was expected"):
        manifests.read_landing_manifest(uri)


def test_a_manifest_must_name_the_stage_that_wrote_it(lake):
    with pytest.raises(contracts.ContractError, match="job 'compact'"):
        manifests.write_manifest(lake["landing"], RUN_ID, {"job": "compact", "tables": {}})
    uri = manifests.manifest_uri(lake["landing"], RUN_ID)
    _write_raw(uri, [1, 2])
    with pytest.raises(contracts.ContractError, match="a manifest is a JSON object, not list"):
        manifests.read_manifest(uri)


def test_a_bookmark_of_an_unknown_job_is_refused(lake):
    with pytest.raises(contracts.ContractError, match="no bookmark contract for job 'load'"):
        bookmarks.save(lake["state"], "load", {})


# --- the writers produce every key of the contract ---------------------------------------------------
def _keys(typed_dict):
    return set(typed_dict.__required_keys__) | set(typed_dict.__optional_keys__)


def _ingest_run(lake):
    chosen = settings.settings_from_arguments(
        {"landing_uri": lake["landing"], "state_uri": lake["state"], "tables": "payment"}
    )
    xids = SnapshotXids(4294967400, 4294967405)
    context = model.RunContext(RUN_ID, "snap-1", "2026-01-02T03:04:05.123+00:00", 1767323045.123, "2026-01-02", xids)
    table = schema.source_table("payment")
    columns = [CatalogColumn(c, "text", True) for c in table.column_names]
    window = XminWindow(4294967000, 109, 1)
    plan = model.TablePlan(table, columns, [], model.KIND_INCREMENTAL, window, [], 1, True, "rows changed")
    landed = model.LandedFile(lake["landing"] + "/payment/x.jsonl", 2, 321, model.KIND_INCREMENTAL)
    audit = model.AuditCounts(0, 0, 0)
    result = model.TableResult(plan, [landed], 3, 1, 1, [9], audit, [], 2, 0.1)
    return chosen, context, {"payment": result}


def test_the_ingest_writers_fill_every_key_of_their_contracts(lake):
    settings, context, results = _ingest_run(lake)
    body = ingest.manifest_body(settings, context, results)
    uri = manifests.write_manifest(settings.landing_uri, context.run_id, body)
    manifest = manifests.read_landing_manifest(uri)
    assert set(manifest) == _keys(LandingManifest)
    entry = manifest["tables"]["payment"]
    assert set(entry) == _keys(contracts.LandingTableEntry)
    assert set(entry["files"][0]) == _keys(contracts.LandedFileEntry)

    bookmarks.save(settings.state_uri, ingest.JOB, ingest.next_bookmark({}, context, results, uri))
    bookmark = bookmarks.load(settings.state_uri, "ingest")
    assert set(bookmark) == _keys(IngestBookmark)
    assert set(bookmark["tables"]["payment"]) == _keys(contracts.IngestTableState)  # audited: audited_*
    assert set(entry["capture"]) == _keys(contracts.CaptureEntry)
    assert set(entry["capture"]["window"]) == _keys(contracts.XminWindowEntry)
    assert set(entry["deleted"]) == _keys(contracts.DeletedEntry)
    assert set(entry["audit"]) == _keys(contracts.AuditCounts)


def test_the_transform_bookmark_writer_fills_every_key_of_its_contract(lake):
    from gamboge.transform import transform  # pyspark is imported, no Spark session is started

    transform._save_bookmark(lake["state"], {}, [RUN_ID], bookmarks.ENABLE)
    bookmark = bookmarks.load(lake["state"], "transform")
    assert set(bookmark) == _keys(TransformBookmark)
    assert bookmark["landing"] == {"through": RUN_ID, "recent": [RUN_ID]}


def test_a_landing_file_is_named_after_its_run_and_gives_it_back():
    run_id = "20261203T142131397276Z-b59d60"
    assert contracts.landing_file_name(run_id, 12, compressed=True) == run_id + "-12.jsonl.gz"
    assert contracts.landing_file_name(run_id, 1, compressed=False) == run_id + "-1.jsonl"
    uri = "s3://bucket-with-dashes/landing/payment/ingest_date=2026-12-03/" + run_id + "-12.jsonl.gz"
    assert contracts.run_id_of_landing_file(uri) == run_id
