"""Object storage by URI: ``file://`` locally, ``s3://`` on AWS (and against a moto server in tests).

Writes are atomic for readers: a local file appears under its final name only when complete
(temporary name + rename); an S3 object appears only when its (multipart) upload completes.
Set ``AWS_ENDPOINT_URL`` to point boto3 at an emulator.

Imported by the ingest job: Python 3.9 compatible.
"""

import io
import os
import shutil
import uuid
from typing import IO, Any, Dict, Iterable, Iterator, List, Optional, Tuple
from urllib.parse import unquote, urlparse

from gamboge.common import aws

_TMP_MARK = ".tmp-"
# S3 multipart: every part but the last must be at least 5 MiB.
PART_SIZE = 16 * 1024 * 1024


def join(base: str, *parts: str) -> str:
    out = base.rstrip("/")
    for p in parts:
        out += "/" + p.strip("/")
    return out


def _split(uri: str) -> Tuple[str, str, str]:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return "file", "", unquote(parsed.path)
    if parsed.scheme == "s3":
        return "s3", parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme == "":
        return "file", "", os.path.abspath(uri)
    raise ValueError(f"unsupported storage URI {uri!r}: use file:// or s3://")


def local_path(uri: str) -> str:
    scheme, _, path = _split(uri)
    if scheme != "file":
        raise ValueError(f"not a local URI: {uri}")
    return path


_S3: Dict[str, Any] = {}


def s3_client():
    """One boto3 S3 client per process (honours AWS_ENDPOINT_URL; region from gamboge.common.aws)."""
    if "client" not in _S3:
        _S3["client"] = aws.client("s3")
    return _S3["client"]


def reset_clients() -> None:
    _S3.clear()


# --- reading ----------------------------------------------------------------------------------
def exists(uri: str) -> bool:
    scheme, bucket, key = _split(uri)
    if scheme == "file":
        return os.path.exists(key)
    from botocore.exceptions import ClientError

    try:
        s3_client().head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def read_bytes(uri: str) -> bytes:
    scheme, bucket, key = _split(uri)
    if scheme == "file":
        with open(key, "rb") as f:
            return f.read()
    return s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()


def read_text(uri: str) -> str:
    return read_bytes(uri).decode("utf-8")


def list_uris(prefix: str, suffix: str = "", start_after: Optional[str] = None) -> List[str]:
    """Every complete object below ``prefix`` (recursively), sorted, ending with ``suffix``.

    ``start_after`` (a URI below ``prefix``, not necessarily an object): only objects whose URI
    sorts after it. On S3 the listing itself starts there (ListObjectsV2 ``StartAfter``), so its
    cost is what comes after, not what came before; locally the names are read from the
    directories, and no file is opened."""
    scheme, bucket, key = _split(prefix)
    after = _split(start_after)[2] if start_after else None
    out = []
    if scheme == "file":
        if not os.path.isdir(key):
            return []
        return sorted("file://" + path for path in _local_files(key, suffix, after))
    listing = {"Bucket": bucket, "Prefix": key.rstrip("/") + "/"}
    if after is not None:
        listing["StartAfter"] = after
    paginator = s3_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(**listing):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(suffix):
                out.append("s3://{}/{}".format(bucket, obj["Key"]))
    return sorted(out)


def _local_files(folder: str, suffix: str, after: Optional[str]) -> Iterator[str]:
    """Paths of the complete files below ``folder`` ending with ``suffix`` that sort after ``after``.
    A folder whose every path sorts before ``after`` is not read: a listing that starts late in a
    long history (17,520 manifests a year) costs the names of one folder, not a path per file."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                # Every path below it lies between "<folder>/" and "<folder>0" ("0" follows "/").
                if not entry.is_symlink() and (after is None or entry.path + "0" > after):
                    yield from _local_files(entry.path, suffix, after)
            elif entry.name.endswith(suffix) and _TMP_MARK not in entry.name and (after is None or entry.path > after):
                yield entry.path


def size(uri: str) -> int:
    scheme, bucket, key = _split(uri)
    if scheme == "file":
        return os.path.getsize(key)
    return int(s3_client().head_object(Bucket=bucket, Key=key)["ContentLength"])


# --- writing ----------------------------------------------------------------------------------
def write_bytes(uri: str, data: bytes) -> None:
    with open_writer(uri) as f:
        f.write(data)


def write_text(uri: str, text: str) -> None:
    write_bytes(uri, text.encode("utf-8"))


def delete(uri: str) -> None:
    scheme, bucket, key = _split(uri)
    if scheme == "file":
        if os.path.isdir(key):
            shutil.rmtree(key)
        elif os.path.exists(key):
            os.remove(key)
        return
    s3_client().delete_object(Bucket=bucket, Key=key)


def move(src: str, dst: str) -> None:
    """Rename an object (S3: copy, then delete the source)."""
    src_scheme, src_bucket, src_key = _split(src)
    dst_scheme, dst_bucket, dst_key = _split(dst)
    if src_scheme != dst_scheme:
        raise ValueError(f"cannot move between {src} and {dst}")
    if src_scheme == "file":
        os.makedirs(os.path.dirname(dst_key), exist_ok=True)
        os.replace(src_key, dst_key)
        return
    s3_client().copy({"Bucket": src_bucket, "Key": src_key}, dst_bucket, dst_key)
    s3_client().delete_object(Bucket=src_bucket, Key=src_key)


def delete_prefix(prefix: str) -> int:
    """Remove everything below ``prefix``; returns how many objects were removed."""
    scheme, bucket, key = _split(prefix)
    if scheme == "file":
        count = sum(len(files) for _, _, files in os.walk(key)) if os.path.isdir(key) else 0
        delete(prefix)
        return count
    uris = list_uris(prefix)
    for i in range(0, len(uris), 1000):
        batch = [{"Key": _split(u)[2]} for u in uris[i : i + 1000]]
        s3_client().delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return len(uris)


class _LocalWriter(io.RawIOBase):
    def __init__(self, path: str):
        super().__init__()
        self.path = path
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        self.tmp = os.path.join(directory, _TMP_MARK + uuid.uuid4().hex + "-" + os.path.basename(path))
        self.f = open(self.tmp, "wb")  # noqa: SIM115 - closed in close()/abort()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        return self.f.write(b)

    def close(self) -> None:
        if self.closed:
            return
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()
        os.replace(self.tmp, self.path)
        super().close()

    def abort(self) -> None:
        self.f.close()
        if os.path.exists(self.tmp):
            os.remove(self.tmp)
        super().close()


class _S3Writer(io.RawIOBase):
    """Buffers up to PART_SIZE, then streams parts of a multipart upload: constant memory."""

    def __init__(self, bucket: str, key: str):
        super().__init__()
        self.bucket, self.key = bucket, key
        self.buffer = bytearray()
        self.parts: List[dict] = []
        self.upload_id: Optional[str] = None

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.buffer += b
        if len(self.buffer) >= PART_SIZE:
            self._flush_part()
        return len(b)

    def _flush_part(self) -> None:
        client = s3_client()
        if self.upload_id is None:
            self.upload_id = client.create_multipart_upload(Bucket=self.bucket, Key=self.key)["UploadId"]
        number = len(self.parts) + 1
        etag = client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=bytes(self.buffer)
        )["ETag"]
        self.parts.append({"ETag": etag, "PartNumber": number})
        self.buffer = bytearray()

    def close(self) -> None:
        if self.closed:
            return
        client = s3_client()
        if self.upload_id is None:
            client.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer))
        else:
            if self.buffer:
                self._flush_part()
            client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
            )
        super().close()

    def abort(self) -> None:
        if self.upload_id is not None:
            s3_client().abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        super().close()


class Writer:
    """Context manager: the object exists under its name only if the block completes."""

    def __init__(self, uri: str):
        scheme, bucket, key = _split(uri)
        self.raw = _LocalWriter(key) if scheme == "file" else _S3Writer(bucket, key)

    def __enter__(self) -> IO[bytes]:
        return self.raw  # type: ignore[return-value]

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.raw.close()
        else:
            self.raw.abort()


def open_writer(uri: str) -> Writer:
    return Writer(uri)


def iter_blocks(uri: str, size: int = 1 << 20) -> Iterator[bytes]:
    """Stream a (possibly gzip) object in blocks of about ``size`` bytes, decompressed."""
    import gzip

    scheme, bucket, key = _split(uri)
    if scheme == "file":
        raw: Any = open(key, "rb")  # noqa: SIM115 - closed below
    else:
        raw = s3_client().get_object(Bucket=bucket, Key=key)["Body"]
    stream: Any = gzip.GzipFile(fileobj=raw) if uri.endswith(".gz") else raw
    try:
        while True:
            block = stream.read(size)
            if not block:
                return
            yield block
    finally:
        raw.close()


def iter_lines(uri: str) -> Iterator[bytes]:
    """Stream a (possibly gzip) object line by line."""
    import gzip

    scheme, bucket, key = _split(uri)
    if scheme == "file":
        raw: Any = open(key, "rb")  # noqa: SIM115 - closed below
    else:
        raw = s3_client().get_object(Bucket=bucket, Key=key)["Body"]
    if uri.endswith(".gz"):
        stream: Iterable[bytes] = gzip.GzipFile(fileobj=raw)
    elif scheme == "file":
        stream = raw
    else:
        # Iterating a botocore body yields fixed-size chunks, not lines.
        stream = raw.iter_lines(keepends=True)
    try:
        yield from stream
    finally:
        raw.close()
