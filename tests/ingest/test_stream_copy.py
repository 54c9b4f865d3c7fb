"""stream_copy against a real PostgreSQL: the bytes COPY sends, in blocks, whatever the size; errors."""

import psycopg
import pytest

from gamboge.ingest import rowsql
from gamboge.ingest.landing_file import FLUSH_BYTES, LandingFile

LINES = "TO STDOUT (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"


class Blocks:
    def __init__(self):
        self.blocks = []

    def write(self, block) -> None:
        self.blocks.append(bytes(block))


def per_row(cursor, statement) -> bytes:
    with cursor.copy(statement) as copy:
        return b"".join(bytes(chunk) for chunk in copy)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT i::text FROM generate_series(1, 200000) i",  # many 1 MiB blocks
        "SELECT i::text FROM generate_series(1, 0) i",  # no rows
        "SELECT repeat('x', 3 << 20) || i FROM generate_series(1, 3) i",  # rows larger than a block
        "SELECT to_json(E'tab\\there \"quoted\" back\\\\slash\\nnewline, ünïcödé ' || i)::text"
        " FROM generate_series(1, 5000) i",
    ],
)
def test_blocks_hold_exactly_the_rows_copy_sends(fresh_db, query):
    with psycopg.connect(fresh_db) as conn, conn.cursor() as cursor:
        expected = per_row(cursor, f"COPY ({query}) {LINES}")
        sink = Blocks()
        rowsql.stream_copy(cursor, f"COPY ({query}) {LINES}", sink)
        assert b"".join(sink.blocks) == expected
        assert all(block for block in sink.blocks)
        assert all(block.endswith(b"\n") for block in sink.blocks)
        assert all(len(block) < rowsql.COPY_BLOCK_BYTES + (4 << 20) for block in sink.blocks)
        assert cursor.execute("SELECT 1").fetchone() == (1,)  # the connection is ready for more


def test_a_server_error_mid_copy_is_raised_and_leaves_the_transaction_failed(fresh_db):
    with psycopg.connect(fresh_db) as conn, conn.cursor() as cursor:
        statement = f"COPY (SELECT (100000 / (150000 - i))::text FROM generate_series(1, 200000) i) {LINES}"
        with pytest.raises(psycopg.errors.DivisionByZero):
            rowsql.stream_copy(cursor, statement, Blocks())
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        conn.rollback()
        assert cursor.execute("SELECT 1").fetchone() == (1,)


def test_a_failing_sink_stops_the_copy_and_the_connection_recovers(fresh_db):
    class Broken:
        def write(self, block) -> None:
            raise OSError("disk full")

    with psycopg.connect(fresh_db) as conn, conn.cursor() as cursor:
        with pytest.raises(OSError, match="disk full"):
            rowsql.stream_copy(cursor, f"COPY (SELECT i::text FROM generate_series(1, 500000) i) {LINES}", Broken())
        conn.rollback()
        assert cursor.execute("SELECT 1").fetchone() == (1,)


def test_landing_file_counts_rows_from_blocks_and_single_rows(tmp_path):
    target = LandingFile((tmp_path / "a.jsonl").as_uri(), "full", compress=False)
    target.write(b"1\n")
    target.write(b"x" * FLUSH_BYTES + b"\n")
    target.write(bytearray(b"y" * FLUSH_BYTES + b"\n"))
    target.write(memoryview(b"z" * FLUSH_BYTES + b"\n"))
    target.write(b"2\n")
    landed = target.close()
    data = (tmp_path / "a.jsonl").read_bytes()
    assert data == b"1\n" + b"x" * FLUSH_BYTES + b"\n" + b"y" * FLUSH_BYTES + b"\n" + b"z" * FLUSH_BYTES + b"\n2\n"
    assert (landed.rows, landed.bytes) == (5, len(data))
