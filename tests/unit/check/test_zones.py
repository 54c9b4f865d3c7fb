"""gamboge.check.zones and gamboge.check.checkpoint: batch accounting on hand-built manifests in a
file:// lake, from a checkpoint and what was committed since."""

import pytest

from gamboge.check import checkpoint, zones
from gamboge.check.report import ERROR, WARNING, Finding, Report
from gamboge.lake import cursor, manifests, storage

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
    return {"job": "ingest", "run_id": run_id, "tables": tables}


@pytest.fixture()
def landing(lake):
    landing_uri = storage.join(lake, "landing")
    bodies = {
        RUN_1: landing_body(landing_uri, RUN_1, payment=3, staff=2, department=1),
        RUN_2: landing_body(landing_uri, RUN_2, payment=2),
    }
    for run_id, body in bodies.items():
        manifests.write_manifest(landing_uri, run_id, body)
    return landing_uri, bodies


def batch(processed_uri, batch_id, **body):
    manifests.write_manifest(processed_uri, batch_id, dict(body, job="transform", batch_id=batch_id))


def test_batches_that_account_for_every_landed_row_pass_and_fill_the_counts(lake, landing):
    landing_uri, bodies = landing
    processed_uri = storage.join(lake, "processed")
    batch(
        processed_uri,
        BATCH,
        inputs=[RUN_1, RUN_2],
        landed={"payment": 5, "staff": 2, "department": 1},
        rejected={"payment": 1, "staff": 0},
    )
    new = checkpoint.read_new(landing_uri, processed_uri, checkpoint.empty())
    assert list(new.landing) == [RUN_1, RUN_2] and list(new.processed) == [BATCH]
    report = Report()
    zones.check_batches(report, checkpoint.batch_inputs(landing_uri, new), new.processed)
    verified = checkpoint.advanced(checkpoint.empty(), new)
    zones.report_counts(report, verified)
    assert report.findings == []
    assert verified["rejected"] == {"payment": 1, "staff": 0}
    assert report.counts["fact_payment"] == {"landed": 5, "rejected": 1}
    assert report.counts["dim_staff"] == {"landed": 2, "rejected": 0}  # its own table, not department
    assert report.counts["dim_currency"] == {"landed": 0, "rejected": 0}
    assert report.counts["dim_date"] == {}  # no source table feeds it


def test_after_a_checkpoint_only_what_was_committed_since_is_read_and_the_totals_carry_on(lake, landing):
    landing_uri, _ = landing
    processed_uri = storage.join(lake, "processed")
    batch(processed_uri, BATCH, inputs=[RUN_1], landed={"payment": 3, "staff": 2, "department": 1})
    first = checkpoint.advanced(checkpoint.empty(), checkpoint.read_new(landing_uri, processed_uri, checkpoint.empty()))
    state = storage.join(lake, "state")
    checkpoint.save(state, first)
    assert checkpoint.load(state) == first

    run_3 = "20261201T100000000000Z-dddddd"
    manifests.write_manifest(landing_uri, run_3, landing_body(landing_uri, run_3, payment=4))
    later = "20261201T110000000000Z-eeeeee"
    batch(processed_uri, later, inputs=[RUN_2, run_3], landed={"payment": 6})
    new = checkpoint.read_new(landing_uri, processed_uri, checkpoint.load(state))
    assert list(new.landing) == [run_3] and list(new.processed) == [later]
    inputs = checkpoint.batch_inputs(landing_uri, new)  # RUN_2 was verified before: read again by id
    assert list(inputs) == [run_3, RUN_2]
    report = Report()
    zones.check_batches(report, inputs, new.processed)
    assert report.findings == []
    assert checkpoint.advanced(first, new)["landed"] == {"payment": 9, "staff": 2, "department": 1}


def test_a_batch_that_read_other_than_its_manifests_list_is_an_error(landing):
    _, bodies = landing
    processed = {BATCH: {"inputs": [RUN_1, RUN_2], "landed": {"payment": 4, "staff": 2, "department": 1}}}
    report = Report()
    zones.check_batches(report, bodies, processed)
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
    zones.check_landing_files(report, bodies)
    zones.check_batches(report, bodies, processed)
    zones.check_pending(report, manifests.unseen_run_ids(landing_uri, cursor.of([RUN_1])))
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


def test_landing_files_of_runs_that_committed_no_manifest_are_a_warning(landing):
    landing_uri, bodies = landing
    stray = landed_file(landing_uri, "payment", "20261201T073000000000Z-dead00")
    storage.write_text(storage.join(landing_uri, "payment", "notes.txt"), "not landing data\n")
    report = Report()
    zones.check_landing_orphans(report, landing_uri, list(bodies), since=None)
    assert report.findings == [
        Finding(WARNING, "-", "landing orphans", f"1 landing file(s) no manifest names (never read): {stray}")
    ]
    # From a checkpoint, only the runs from its window on are looked at: an earlier check saw the rest.
    clean = Report()
    zones.check_landing_orphans(clean, landing_uri, [RUN_2], since="20261201T075000000000Z")
    assert clean.findings == []


def test_deletes_and_audits_carry_over_from_one_checkpoint_to_the_next(lake):
    entry = {
        "rows": 0,
        "files": [],
        "deleted": {"rows": 2, "ids": [7, 9]},
        "capture": {"kind": "incremental"},
        "audit": {"changed": 1, "new": 0, "deleted": 0},
    }
    landing = {RUN_1: {"tables": {"payment": entry}}}
    first = checkpoint.advanced(checkpoint.empty(), checkpoint.New(landing, {}, [RUN_1], None))
    clean_audit = dict(entry, deleted={"rows": 1, "ids": [3]}, audit={"changed": 0, "new": 0, "deleted": 0})
    second = checkpoint.advanced(first, checkpoint.New({RUN_2: {"tables": {"payment": clean_audit}}}, {}, [], None))
    assert second["deleted"] == {"payment": {"rows": 3, "ids": [3, 7, 9]}}
    report = Report()
    zones.check_capture(report, first)
    assert [f.check for f in report.findings] == ["deleted in source", "audit"]
    later = Report()
    zones.check_capture(later, second)  # the latest audit found nothing
    assert [f.check for f in later.findings] == ["deleted in source"]
