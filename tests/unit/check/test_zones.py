"""gamboge.check.zones: batch accounting on hand-built manifests in a file:// lake."""

import pytest

from gamboge.check import zones
from gamboge.check.report import ERROR, WARNING, Finding, Report
from gamboge.lake import manifests, storage

RUN_1 = "20261201T070000000000Z-aaaaaa"
RUN_2 = "20261201T080000000000Z-bbbbbb"
BATCH = "20261201T090000000000Z-cccccc"


@pytest.fixture()
def lake(tmp_path):
    return "file://" + str(tmp_path / "lake")


def landed_file(landing_uri, table, run_id, lines=1):
    uri = storage.join(landing_uri, table, "ingest_date=2026-12-01", f"{run_id}-0.jsonl")
    storage.write_text(uri, "{}\n" * lines)
    return uri


def landing_body(landing_uri, run_id, **rows):
    tables = {t: {"rows": n, "files": [{"uri": landed_file(landing_uri, t, run_id, n)}]} for t, n in rows.items()}
    return {"run_id": run_id, "tables": tables}


@pytest.fixture()
def landing(lake):
    landing_uri = storage.join(lake, "landing")
    return landing_uri, {
        RUN_1: landing_body(landing_uri, RUN_1, payment=3, staff=2, department=1),
        RUN_2: landing_body(landing_uri, RUN_2, payment=2),
    }


def test_a_zone_s_manifests_are_read_in_run_id_order(lake):
    zone = storage.join(lake, "processed")
    manifests.write_manifest(zone, RUN_2, {"job": "transform", "inputs": [RUN_2]})
    manifests.write_manifest(zone, RUN_1, {"job": "transform", "inputs": [RUN_1]})
    found = zones.load_manifests(zone)
    assert list(found) == [RUN_1, RUN_2]
    assert found[RUN_1] == {"job": "transform", "inputs": [RUN_1], "run_id": RUN_1, "format": 1}
    assert zones.load_manifests(storage.join(lake, "nothing-here")) == {}


def test_batches_that_account_for_every_landed_row_pass_and_fill_the_counts(landing):
    _, bodies = landing
    processed = {
        BATCH: {
            "inputs": [RUN_1, RUN_2],
            "landed": {"payment": 5, "staff": 2, "department": 1},
            "rejected": {"payment": 1, "staff": 0},
        }
    }
    report = Report()
    rejected = zones.check_batches(report, bodies, processed, consumed=[RUN_1, RUN_2])
    assert report.findings == []
    assert rejected == {"payment": 1, "staff": 0}
    assert report.counts["fact_payment"] == {"landed": 5, "rejected": 1}
    assert report.counts["dim_staff"] == {"landed": 2, "rejected": 0}  # its own table, not department
    assert report.counts["dim_currency"] == {"landed": 0, "rejected": 0}
    assert report.counts["dim_date"] == {}  # no source table feeds it


def test_a_batch_that_read_other_than_its_manifests_list_is_an_error(landing):
    _, bodies = landing
    processed = {BATCH: {"inputs": [RUN_1, RUN_2], "landed": {"payment": 4, "staff": 2, "department": 1}}}
    report = Report()
    zones.check_batches(report, bodies, processed, consumed=[RUN_1, RUN_2])
    assert report.findings == [
        Finding(
            ERROR,
            "payment",
            "landed = processed + rejected",
            f"batch {BATCH}: landing manifests list 5 row(s), the transform read 4",
        )
    ]


def test_missing_files_unknown_inputs_and_unconsumed_manifests_are_errors(landing):
    landing_uri, bodies = landing
    lost = bodies[RUN_2]["tables"]["payment"]["files"][0]["uri"]
    storage.delete(lost)
    processed = {BATCH: {"inputs": [RUN_1, "20261130T000000000000Z-gone00"], "landed": {"payment": 3, "staff": 2}}}
    report = Report()
    zones.check_batches(report, bodies, processed, consumed=[RUN_1])
    assert report.findings == [
        Finding(ERROR, "payment", "landing", f"landing manifest {RUN_2} lists missing {lost}"),
        Finding(
            ERROR,
            "-",
            "batch",
            f"processed batch {BATCH} consumed 20261130T000000000000Z-gone00, no such landing manifest",
        ),
        Finding(
            ERROR,
            "department",
            "landed = processed + rejected",
            f"batch {BATCH}: landing manifests list 1 row(s), the transform read 0",
        ),
        Finding(ERROR, "-", "pending", f"1 landing manifest(s) not transformed yet: {RUN_2}"),
    ]


def test_landing_files_no_manifest_names_are_a_warning(landing):
    landing_uri, bodies = landing
    stray = landed_file(landing_uri, "payment", "20261201T073000000000Z-dead00")
    storage.write_text(storage.join(landing_uri, "payment", "notes.txt"), "not landing data\n")
    report = Report()
    zones.check_landing_orphans(report, landing_uri, bodies)
    assert report.findings == [
        Finding(WARNING, "-", "landing orphans", f"1 landing file(s) no manifest names (never read): {stray}")
    ]
    named = dict(bodies, late={"tables": {"payment": {"rows": 1, "files": [{"uri": stray}]}}})
    clean = Report()
    zones.check_landing_orphans(clean, landing_uri, named)
    assert clean.findings == []
