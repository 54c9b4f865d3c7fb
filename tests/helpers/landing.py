"""Landing input written directly, as the ingest contract describes it: rows, files and the manifest
naming them (for the bad-input matrix and the launcher tests)."""

import gzip
import json

from gamboge.common import config
from gamboge.lake import manifests, storage

STAMP = "2024-01-02T10:00:00.5"


def currency(key, code="GBP", **changes):
    row = {"currency_id": key, "currency_code": code, "created_at": STAMP, "last_updated": STAMP}
    row.update(changes)
    return {k: v for k, v in row.items() if v is not _DROP}


_DROP = object()


def payment(payment_id, **changes):
    row = {
        "payment_id": payment_id,
        "created_at": STAMP,
        "last_updated": STAMP,
        "transaction_id": payment_id,
        "counterparty_id": 1,
        "payment_amount": "10.50",
        "currency_id": 1,
        "payment_type_id": 1,
        "paid": False,
        "payment_date": "2024-01-05",
        "company_ac_number": 123,
        "counterparty_ac_number": 456,
    }
    row.update(changes)
    return row


def land(table, lines, run_id=None, gz=False, truncate=False, rows=None):
    """A landing file and the manifest naming it; returns (run_id, file uri)."""
    run_id = run_id or manifests.new_run_id()
    uri = storage.join(
        config.landing_uri(), table, "ingest_date=2024-01-02", f"{run_id}-1.jsonl" + (".gz" if gz else "")
    )
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()
    data = gzip.compress(text) if gz else text
    storage.write_bytes(uri, data[: len(data) // 2] if truncate else data)
    count = len(lines) if rows is None else rows
    manifests.write_manifest(config.landing_uri(), run_id, manifest_body(table, uri, count))
    return run_id, uri


def manifest_body(table, uri, rows):
    return {
        "job": "ingest",
        "empty": rows == 0,
        "tables": {table: {"rows": rows, "files": [{"uri": uri, "rows": rows}]}},
    }
