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
from typing import Iterator, List, Optional, Tuple

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


class _FileSeeker:
    """Finds the lines of ascending ids in one fingerprint file, decompressing it block by block
    and parsing only each block's first and last id: the lines in between are searched as bytes."""

    def __init__(self, uri: str, block_size: int):
        self._blocks = storage.iter_blocks(uri, block_size)
        self._carry = b""
        self._block = b""  # b"\n<line>\n<line>…\n": whole lines, each between newlines
        self._first = self._last = -1
        self._cursor = 0
        self._done = False

    def _next_block(self) -> bool:
        for data in self._blocks:
            data = self._carry + data
            end = data.rfind(b"\n")
            if end < 0:
                self._carry = data
                continue
            self._carry = data[end + 1 :]
            self._set_block(data[: end + 1])
            return True
        if self._carry:
            self._set_block(self._carry + b"\n")
            self._carry = b""
            return True
        self._done = True
        return False

    def _set_block(self, lines: bytes) -> None:
        self._block = b"\n" + lines
        self._first = int(self._block[1 : self._block.index(b"\t")])
        start = self._block.rfind(b"\n", 0, len(self._block) - 1) + 1
        self._last = int(self._block[start : self._block.index(b"\t", start)])
        self._cursor = 0

    def find(self, ident: int) -> Optional[bytes]:
        """The digest (or DELETED) of ``ident``; None if the file has no line for it. Ids asked
        for must ascend."""
        while not self._done and (self._last < ident or not self._block):
            if not self._next_block():
                return None
        if self._done or ident < self._first:
            return None
        key = b"\n%d\t" % ident
        at = self._block.find(key, self._cursor)
        if at < 0:
            return None
        self._cursor = at
        start = at + len(key)
        return self._block[start : self._block.index(b"\n", start)]


class FingerprintLookup:
    """The latest fingerprint of ascending ids over a baseline and its deltas (newest file wins),
    reading each file once, in constant memory: what an incremental run compares its rows with."""

    def __init__(self, uris: List[str], block_size: int = 1 << 20):
        self._seekers = [_FileSeeker(uri, block_size) for uri in reversed(uris)]  # newest first

    def find(self, ident: int) -> Optional[bytes]:
        found = None
        for seeker in self._seekers:
            digest = seeker.find(ident)  # every file advances, so later ids can still be found
            if found is None:
                found = digest
        return found
