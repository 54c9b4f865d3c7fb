"""Run ids and manifests: every stage commits its output by writing a manifest last.

A manifest is ``<zone>/_manifests/<run_id>.json``. Downstream stages consume manifests (never raw
listings) in run-id order; data files no manifest names do not exist for them. Run ids sort by
time, so "newer than my bookmark" is a string comparison.

Imported by the ingest job: Python 3.9 compatible.
"""

import datetime
import json
import uuid
from typing import Any, Dict, List

from gamboge.lake import storage

MANIFEST_DIR = "_manifests"


def new_run_id(now: "datetime.datetime | None" = None) -> str:
    """``20261126T120000123456Z-1a2b3c``: UTC time to the microsecond, then a random tail."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


def manifest_uri(zone_uri: str, run_id: str) -> str:
    return storage.join(zone_uri, MANIFEST_DIR, run_id + ".json")


def write_manifest(zone_uri: str, run_id: str, body: Dict[str, Any]) -> str:
    uri = manifest_uri(zone_uri, run_id)
    document = dict(body)
    document.setdefault("run_id", run_id)
    storage.write_text(uri, json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    return uri


def read_manifest(uri: str) -> Dict[str, Any]:
    return json.loads(storage.read_text(uri))


def list_run_ids(zone_uri: str) -> List[str]:
    """Run ids of every committed manifest in the zone, oldest first."""
    prefix = storage.join(zone_uri, MANIFEST_DIR)
    return [u.rsplit("/", 1)[-1][: -len(".json")] for u in storage.list_uris(prefix, suffix=".json")]


def pending_run_ids(zone_uri: str, consumed: List[str]) -> List[str]:
    done = set(consumed)
    return [r for r in list_run_ids(zone_uri) if r not in done]
