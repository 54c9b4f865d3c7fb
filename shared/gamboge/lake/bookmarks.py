"""Job bookmarks kept as JSON documents under the state URI (Glue semantics, our own storage).

Python-shell jobs have no Glue bookmarks, and the transform's "which manifests did I consume" is
ours to keep too. ``<state>/<job>/bookmark.json`` holds one JSON object per job; writing it is
the job's last step, after its data and manifest are durable.

What a bookmark holds is a contract (``gamboge.lake.contracts``: IngestBookmark, TransformBookmark):
``save`` stamps the format of the job's bookmark, ``load`` checks it and refuses a format this
version does not know.

Imported by the ingest job: Python 3.9 compatible.
"""

from typing import Any, Dict, Literal, Mapping, Optional, cast, overload

from gamboge.lake import contracts, documents, storage
from gamboge.lake.contracts import Bookmark, IngestBookmark, TransformBookmark

ENABLE = "job-bookmark-enable"
DISABLE = "job-bookmark-disable"
PAUSE = "job-bookmark-pause"
OPTIONS = (ENABLE, DISABLE, PAUSE)


def bookmark_uri(state_uri: str, job: str) -> str:
    return storage.join(state_uri, job, "bookmark.json")


def _load(state_uri: str, job: str) -> Dict[str, Any]:
    # A bookmark with no format was written before formats existed: it reads as format 1.
    return documents.read(bookmark_uri(state_uri, job), contracts.bookmark_kind(job), dict)


@overload
def load(state_uri: str, job: Literal["ingest"]) -> IngestBookmark: ...
@overload
def load(state_uri: str, job: Literal["transform"]) -> TransformBookmark: ...
@overload
def load(state_uri: str, job: str) -> Bookmark: ...
def load(state_uri: str, job: str) -> Bookmark:
    """The job's bookmark, ``{}`` if it has none; refuses a format this version does not know."""
    return cast(Bookmark, _load(state_uri, job))


def save(state_uri: str, job: str, bookmark: Mapping[str, Any]) -> None:
    """Write the job's bookmark with the current format of its kind."""
    documents.write(bookmark_uri(state_uri, job), bookmark, contracts.bookmark_kind(job))


def reset(state_uri: str, job: str, table: Optional[str] = None) -> bool:
    """Forget the whole bookmark, or one table's entry; True if something was removed."""
    uri = bookmark_uri(state_uri, job)
    if not storage.exists(uri):
        return False
    if table is None:
        storage.delete(uri)
        return True
    bookmark = _load(state_uri, job)
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
