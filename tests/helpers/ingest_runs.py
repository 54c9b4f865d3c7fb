"""Ingest runs as the Glue job makes them, and the lines they landed: shared by the ingest tests."""

import gzip

from gamboge.common import glue_args
from gamboge.ingest import job as ingest
from gamboge.lake import manifests, storage


def ingest_run(lake, **options):
    """One run like the job does it; returns the manifest it committed."""
    arguments = dict(lake, **options)
    if "bookmark" in arguments:
        arguments[glue_args.BOOKMARK_KEY] = arguments.pop("bookmark")
    before = set(manifests.list_run_ids(lake["landing_uri"]))
    assert ingest.run_job(arguments) == 0
    (run_id,) = set(manifests.list_run_ids(lake["landing_uri"])) - before
    return manifests.read_manifest(manifests.manifest_uri(lake["landing_uri"], run_id))


def landed(manifest, table, kind=None):
    lines = []
    for entry in manifest["tables"][table]["files"]:
        if kind is None or entry["kind"] == kind:
            data = storage.read_bytes(entry["uri"])
            text = gzip.decompress(data) if entry["uri"].endswith(".gz") else data
            lines += text.decode("utf-8").splitlines()
    return lines
