"""Versioned JSON documents kept in storage: read one checked against its contract, write one
stamped with its current format (``gamboge.lake.contracts``). Bookmarks, the committed state and
the check checkpoint are such documents; manifests add their own kind detection on top.

Imported by the ingest job: Python 3.9 compatible.
"""

import json
from typing import Any, Callable, Dict, Mapping

from gamboge.lake import contracts, storage


def read(uri: str, kind: contracts.Kind, missing: Callable[[], Mapping[str, Any]]) -> Dict[str, Any]:
    """The document at ``uri`` as the current format of ``kind``, or ``missing()`` when there is
    none; refuses a format this version does not know."""
    if not storage.exists(uri):
        return dict(missing())
    return contracts.checked(json.loads(storage.read_text(uri)), kind, uri)


def write(uri: str, document: Mapping[str, Any], kind: contracts.Kind) -> None:
    """Write ``document`` stamped with the current format of ``kind`` (one write: storage makes it
    whole or absent)."""
    stamped = contracts.stamped(document, kind)
    storage.write_text(uri, json.dumps(stamped, indent=1, sort_keys=True, default=str) + "\n")
