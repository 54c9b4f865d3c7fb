"""Run ids and manifests: every stage commits its output by writing a manifest last.

A manifest is ``<zone>/_manifests/<run_id>.json``. Downstream stages consume manifests (never raw
listings) in run-id order; data files no manifest names do not exist for them. Run ids sort by
time, so "newer than my bookmark" is a listing that starts after it (``gamboge.lake.cursor``).

What a manifest holds is a contract (``gamboge.lake.contracts``): ``write_manifest`` stamps the
format of its kind, the readers check it and refuse a format this version does not know.

Imported by the ingest job: Python 3.9 compatible.
"""

import datetime
import json
import uuid
from typing import Any, Dict, List, Mapping, Optional, cast

from gamboge.lake import contracts, cursor, storage
from gamboge.lake.contracts import LandingManifest, Manifest, ProcessedManifest

MANIFEST_DIR = "_manifests"


def new_run_id(now: "datetime.datetime | None" = None) -> str:
    """``20261126T120000123456Z-1a2b3c``: UTC time to the microsecond, then a random tail."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


def run_id_after(earlier: str, like: str) -> str:
    """A run id that sorts just after ``earlier`` (one microsecond later) with the random tail of
    ``like``: the same two ids always give the same one."""
    moment = cursor.run_time(earlier) + datetime.timedelta(microseconds=1)
    return cursor.time_prefix(moment) + "-" + like.rsplit("-", 1)[-1]


def manifest_uri(zone_uri: str, run_id: str) -> str:
    return storage.join(zone_uri, MANIFEST_DIR, run_id + ".json")


def write_manifest(zone_uri: str, run_id: str, body: Mapping[str, Any]) -> str:
    """Write ``body`` (a LandingManifest or ProcessedManifest, told apart by its ``job``) with the
    current format of its kind; returns its URI."""
    uri = manifest_uri(zone_uri, run_id)
    document = contracts.stamped(body, contracts.manifest_kind(body, uri))
    document.setdefault("run_id", run_id)
    storage.write_text(uri, json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    return uri


def _read(uri: str, expected: Optional[contracts.Kind] = None) -> Dict[str, Any]:
    document = json.loads(storage.read_text(uri))
    if not isinstance(document, dict):
        raise contracts.ContractError(f"{uri}: a manifest is a JSON object, not {type(document).__name__}")
    kind = contracts.manifest_kind(document, uri)
    if expected is not None and kind != expected:
        raise contracts.ContractError(f"{uri}: a {kind.name}, where a {expected.name} was expected")
    return contracts.checked(document, kind, uri)


def read_manifest(uri: str) -> Manifest:
    """A manifest of either zone; refuses a format this version does not know (a manifest with no
    format was written before formats existed and reads as format 1)."""
    return cast(Manifest, _read(uri))


def read_landing_manifest(uri: str) -> LandingManifest:
    return cast(LandingManifest, _read(uri, contracts.LANDING_MANIFEST))


def read_processed_manifest(uri: str) -> ProcessedManifest:
    return cast(ProcessedManifest, _read(uri, contracts.PROCESSED_MANIFEST))


def run_ids_in(prefix: str, after: Optional[str] = None) -> List[str]:
    """Run ids of the ``<run_id>.json`` documents directly below ``prefix``, oldest first; with
    ``after`` (a run id or a prefix of one), only those that sort after it."""
    start = storage.join(prefix, after) if after else None
    uris = storage.list_uris(prefix, suffix=".json", start_after=start)
    listed = [u.rsplit("/", 1)[-1][: -len(".json")] for u in uris]
    return [r for r in listed if after is None or r > after]  # the listing includes <after>.json itself


def list_run_ids(zone_uri: str, after: Optional[str] = None) -> List[str]:
    """Run ids of every committed manifest in the zone (with ``after``: newer ones), oldest first."""
    return run_ids_in(storage.join(zone_uri, MANIFEST_DIR), after)


def unseen_run_ids(zone_uri: str, position: cursor.Cursor) -> List[str]:
    """Committed manifests of the zone that ``position`` has not taken, oldest first: one listing
    that starts a late window before the position, however long the zone's history."""
    return cursor.unseen(position, list_run_ids(zone_uri, cursor.listing_start(position)))
