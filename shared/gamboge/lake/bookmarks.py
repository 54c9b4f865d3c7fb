"""Job bookmarks kept as JSON documents under the state URI (Glue semantics, our own storage).

Python-shell jobs have no Glue bookmarks, and the transform's "which manifests did I consume" is
ours to keep too. ``<state>/<job>/bookmark.json`` holds one JSON object per job; writing it is
the job's last step, after its data and manifest are durable.

Imported by the ingest job: Python 3.9 compatible.
"""

import json
from typing import Any, Dict, Optional

from gamboge.lake import storage

ENABLE = "job-bookmark-enable"
DISABLE = "job-bookmark-disable"
PAUSE = "job-bookmark-pause"
OPTIONS = (ENABLE, DISABLE, PAUSE)


def bookmark_uri(state_uri: str, job: str) -> str:
    return storage.join(state_uri, job, "bookmark.json")


def load(state_uri: str, job: str) -> Dict[str, Any]:
    uri = bookmark_uri(state_uri, job)
    if not storage.exists(uri):
        return {}
    return json.loads(storage.read_text(uri))


def save(state_uri: str, job: str, bookmark: Dict[str, Any]) -> None:
    storage.write_text(bookmark_uri(state_uri, job), json.dumps(bookmark, indent=2, sort_keys=True, default=str))


def reset(state_uri: str, job: str, table: Optional[str] = None) -> bool:
    """Forget the whole bookmark, or one table's entry; True if something was removed."""
    uri = bookmark_uri(state_uri, job)
    if not storage.exists(uri):
        return False
    if table is None:
        storage.delete(uri)
        return True
    bookmark = load(state_uri, job)
    tables = bookmark.get("tables", {})
    if table not in tables:
        return False
    del tables[table]
    save(state_uri, job, bookmark)
    return True


def check_option(option: str) -> str:
    if option not in OPTIONS:
        raise ValueError("--job-bookmark-option must be one of {}, not {!r}".format(", ".join(OPTIONS), option))
    return option
