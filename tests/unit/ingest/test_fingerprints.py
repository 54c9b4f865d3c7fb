"""Fingerprint lookups against a baseline and its deltas: the newest file wins, deletes read as
DELETED, and the answer equals the full merge whatever the block size (file:// lake, no database)."""

import gzip
import random

import pytest

from gamboge.ingest.fingerprints import DELETED, FingerprintLookup, latest_fingerprints
from gamboge.lake import storage


def write(tmp_path, name, lines):
    uri = (tmp_path / name).as_uri()
    storage.write_bytes(uri, gzip.compress(b"".join(b"%d\t%s\n" % line for line in lines)))
    return uri


@pytest.fixture()
def files(tmp_path):
    baseline = write(tmp_path, "a-baseline.tsv.gz", [(i, b"%032x" % i) for i in range(1, 2000, 2)])
    changes = write(tmp_path, "b-changes.tsv.gz", [(5, b"f" * 32), (1500, b"e" * 32), (3001, b"d" * 32)])
    deletes = write(tmp_path, "c-deletes.tsv.gz", [(7, DELETED), (1999, DELETED)])
    empty = write(tmp_path, "d-changes.tsv.gz", [])
    return [baseline, changes, deletes, empty]


def test_the_newest_file_wins_and_a_delete_reads_as_deleted(files):
    lookup = FingerprintLookup(files)
    assert [lookup.find(i) for i in (1, 2, 5, 7, 1500, 1999, 3001, 5000)] == [
        b"%032x" % 1, None, b"f" * 32, DELETED, b"e" * 32, DELETED, b"d" * 32, None,
    ]  # fmt: skip


@pytest.mark.parametrize("block_size", [7, 64, 1000, 1 << 20])
def test_any_ascending_ids_give_what_the_full_merge_gives(files, block_size):
    expected = dict(latest_fingerprints(files))
    asked = sorted(random.Random(block_size).sample(range(0, 3100), 600))
    lookup = FingerprintLookup(files, block_size)
    assert {i: lookup.find(i) for i in asked} == {i: expected.get(i) for i in asked}


def test_no_files_know_nothing():
    assert FingerprintLookup([]).find(1) is None
