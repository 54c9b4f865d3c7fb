"""The committed state of the processed zone: a checkpoint folded from the manifests and the
compaction records, that a reader tops up with what was committed since, and that agrees with the
commit rule read from every document. Fast: a file:// lake, no PostgreSQL, no Spark."""

import json

from gamboge.lake import committed, contracts, manifests, storage

B1, B2, B3 = "20260301T000000000000Z-aaaaaa", "20260302T000000000000Z-bbbbbb", "20260303T000000000000Z-cccccc"
C1 = "20260302T120000000000Z-dddddd"


def _batch(processed: str, batch_id: str, files: list, rows: int) -> dict:
    body = {
        "job": "transform",
        "batch_id": batch_id,
        "inputs": [batch_id],
        "landed": {"payment": rows},
        "rejected": {},
        "rejects_uri": None,
        "tables": {"fact_payment": {"kind": "fact", "files": files, "rows": rows, "partitions": ["2026-03"]}},
        "current": {},
        "date_range": None,
        "seconds": 0.1,
    }
    manifests.write_manifest(processed, batch_id, body)
    for uri in files:
        storage.write_text(uri, "parquet")
    return body


def _fact_file(processed: str, name: str) -> str:
    return storage.join(processed, "fact_payment", "created_month=2026-03", name + ".parquet")


def _compact(processed: str, record_id: str, replaces: list) -> str:
    merged = _fact_file(processed, "compacted-" + record_id)
    storage.write_text(merged, "parquet")
    record = {"run_id": record_id, "partitions": [{"table": "fact_payment", "partition": "created_month=2026-03",
                                                   "file": merged, "replaces": replaces, "rows": 3}]}  # fmt: skip
    storage.write_text(storage.join(processed, committed.COMPACTIONS, record_id + ".json"), json.dumps(record))
    for uri in replaces:
        storage.delete(uri)
    return merged


def _every_document(processed: str) -> set:
    bodies = [
        manifests.read_processed_manifest(manifests.manifest_uri(processed, r))
        for r in manifests.list_run_ids(processed)
    ]
    return committed.committed_fact_files(processed, bodies)


def test_the_state_folds_batches_and_compactions_and_agrees_with_every_document(tmp_path):
    processed = (tmp_path / "processed").as_uri()
    f1, f2 = _fact_file(processed, B1 + "-0"), _fact_file(processed, B2 + "-0")
    _batch(processed, B1, [f1], 1)
    committed.refresh(processed)  # a checkpoint after the first batch
    _batch(processed, B2, [f2], 2)
    merged = _compact(processed, C1, [f1, f2])
    f3 = _fact_file(processed, B3 + "-0")
    _batch(processed, B3, [f3], 4)

    folded = committed.current(processed)
    assert folded.batches == [B2, B3] and folded.compactions == [C1]
    assert folded.state["head"] == B3
    assert committed.file_set(folded.state) == {merged, f3} == _every_document(processed)
    assert folded.state["rows"]["fact_payment"] == 7
    assert committed.fact_orphans(processed)["fact_payment"] == []


def test_a_saved_state_is_read_back_and_only_what_came_after_it_is_folded(tmp_path):
    processed = (tmp_path / "processed").as_uri()
    _batch(processed, B1, [_fact_file(processed, B1 + "-0")], 1)
    saved = committed.refresh(processed)
    assert committed.read_state(processed) == dict(saved, format=contracts.COMMITTED_STATE_FORMAT)
    assert committed.current(processed).batches == []
    _batch(processed, B2, [_fact_file(processed, B2 + "-0")], 2)
    assert committed.current(processed).batches == [B2]


def test_a_lost_checkpoint_is_rebuilt_from_the_documents(tmp_path):
    processed = (tmp_path / "processed").as_uri()
    _batch(processed, B1, [_fact_file(processed, B1 + "-0")], 1)
    saved = committed.refresh(processed)
    storage.delete(committed.state_uri(processed))
    assert committed.current(processed).state == saved


def test_an_uncommitted_fact_file_is_an_orphan_and_is_removed(tmp_path):
    processed = (tmp_path / "processed").as_uri()
    _batch(processed, B1, [_fact_file(processed, B1 + "-0")], 1)
    stray = _fact_file(processed, B2 + "-0")  # published by a batch that crashed before its manifest
    storage.write_text(stray, "parquet")
    assert committed.fact_orphans(processed)["fact_payment"] == [stray]
    assert committed.remove_orphans(processed) == 1 and not storage.exists(stray)
