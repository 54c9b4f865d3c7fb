"""The fingerprint files: per table, ``id<TAB>md5`` of each row's landing line, in id order, gzip.

State keeps, per table, a baseline plus small deltas of what later runs landed or saw deleted (the
bookmark names them, baseline first). For each id the newest file wins; a deleted row's line holds
:data:`DELETED` instead of a hash. The incremental read and the audit merge-compare the source's
hashes with them in id order, in constant memory; ``gamboge check`` reads them to tell which
source rows the ingest has not landed.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

import gzip
import heapq
import itertools
from typing import Iterator, List, Tuple

from gamboge.ingest.model import JOB
from gamboge.ingest.rowsql import stream_copy
from gamboge.lake import storage

DELETED = b"-"  # in place of the md5: the row is gone from the source
# What one run may add to a table's state, by file name: <run_id>-<part>.tsv.gz
BASELINE, CHANGES, DELETES = "baseline", "changes", "deletes"


def fingerprint_uri(state_uri: str, table: str, run_id: str, part: str) -> str:
    return storage.join(state_uri, JOB, "fingerprints", table, f"{run_id}-{part}.tsv.gz")


def write_fingerprint(uri: str, cursor, statement) -> None:
    """Stream ``id<TAB>md5`` lines (COPY text format, id order) into a gzip object."""
    with storage.open_writer(uri) as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
        stream_copy(cursor, statement, out)


def _read_fingerprint(uri: str, order: int) -> Iterator[Tuple[int, int, bytes]]:
    for line in storage.iter_lines(uri):
        ident, digest = line.rstrip(b"\n").split(b"\t")
        yield int(ident), order, digest


def latest_fingerprints(uris: List[str]) -> Iterator[Tuple[int, bytes]]:
    """(id, md5 or DELETED) in id order over a baseline and its deltas; for each id the newest file wins."""
    merged = heapq.merge(*(_read_fingerprint(uri, order) for order, uri in enumerate(uris)))
    for ident, versions in itertools.groupby(merged, key=lambda entry: entry[0]):
        *_, newest = versions
        yield ident, newest[2]


def live_fingerprints(uris: List[str]) -> Iterator[Tuple[int, bytes]]:
    """(id, md5) of the rows the fingerprints say exist, in id order."""
    return ((ident, digest) for ident, digest in latest_fingerprints(uris) if digest != DELETED)
