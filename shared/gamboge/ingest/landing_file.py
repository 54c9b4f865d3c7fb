"""One landing object: JSON Lines (optionally gzip) written in blocks, counted for the manifest.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

import gzip
from typing import Optional

from gamboge.ingest.model import LandedFile
from gamboge.lake import storage

FLUSH_BYTES = 1 << 20  # rows written one at a time reach storage in 1 MiB blocks


class _CountingSink:
    """Counts the bytes that reach storage (after compression) for the manifest."""

    def __init__(self, raw):
        self.raw = raw
        self.bytes = 0

    def write(self, data) -> int:
        self.bytes += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        pass


class LandingFile:
    """One landing object, opened on the first row so that empty extracts leave no file behind."""

    def __init__(self, uri: str, kind: str, compress: bool):
        self.uri, self.kind, self.compress = uri, kind, compress
        self.rows = 0
        self._writer = None
        self._sink: Optional[_CountingSink] = None
        self._stream = None
        self._buffer = bytearray()

    def write(self, chunk) -> None:
        """Whole lines: one row at a time, or a block of them (``stream_copy``'s go straight out)."""
        if not self._buffer and len(chunk) >= FLUSH_BYTES:
            self._write(chunk if isinstance(chunk, (bytes, bytearray)) else bytes(chunk))
            return
        self._buffer += chunk
        if len(self._buffer) >= FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._write(self._buffer)
            self._buffer = bytearray()

    def _write(self, data) -> None:
        if self._writer is None:
            self._writer = storage.open_writer(self.uri)
            self._sink = _CountingSink(self._writer.__enter__())
            self._stream = (
                gzip.GzipFile(fileobj=self._sink, mode="wb", compresslevel=1, mtime=0) if self.compress else self._sink
            )
        self.rows += data.count(b"\n")
        self._stream.write(data)

    def close(self) -> Optional[LandedFile]:
        self._flush()
        if self._writer is None:
            return None
        if self.compress:
            self._stream.close()
        self._writer.__exit__(None, None, None)
        return LandedFile(self.uri, self.rows, self._sink.bytes, self.kind)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.__exit__(RuntimeError, RuntimeError("aborted"), None)
            self._writer = None
