"""How a source row becomes a landing line, in SQL: the text ``ingest`` lands and ``check`` compares.

PostgreSQL renders each row as a JSON object (the same text ``row_to_json`` gives, built by
concatenating per-column ``to_json``/``::text``, which is faster) and ``COPY … TO STDOUT`` streams it
to the landing file: memory stays constant at any table size. The md5 of that text is the row's
fingerprint, so this rendering is a contract with ``gamboge.check`` and with every fingerprint
already stored: changing it makes every row look changed.

Imported by the ingest Glue job: Python 3.9 compatible. psycopg is imported inside functions so
that the ``gamboge`` command line stays fast.
"""

import json
from typing import Any, List

from gamboge.common.postgres import CatalogColumn
from gamboge.ingest.capture import FIRST_NORMAL_XID, XminWindow
from gamboge.ingest.model import TablePlan

# Types whose ::text is already the JSON row_to_json emits (cheaper than to_json).
PLAIN_JSON_TYPES = ("smallint", "integer", "bigint", "boolean")
# The csv COPY format with control characters as quote and delimiter writes the JSON line
# verbatim: JSON text never holds a raw control character, and unlike the text format nothing is
# backslash-escaped.
COPY_LINES = "TO STDOUT (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
COPY_BLOCK_BYTES = 1 << 20  # what stream_copy hands its sink at a time


def psycopg_sql():
    """``psycopg.sql``, imported on first use."""
    from psycopg import sql

    return sql


def line_expression(columns: List[CatalogColumn], alias: str = "src"):
    """SQL text expression rendering one row exactly as row_to_json(src)::text does."""
    sql = psycopg_sql()
    parts = []
    for i, column in enumerate(columns):
        key = ("{" if i == 0 else ",") + json.dumps(column.name, ensure_ascii=False) + ":"
        ident = sql.Identifier(alias, column.name)
        if column.type in PLAIN_JSON_TYPES:
            value = sql.SQL("{}::text").format(ident)
        else:
            value = sql.SQL("to_json({})::text").format(ident)
        if column.nullable:
            value = sql.SQL("coalesce({}, 'null')").format(value)
        parts.append(sql.SQL("{} || {}").format(sql.Literal(key), value))
    return sql.SQL("(") + sql.SQL(" || ").join(parts) + sql.SQL(" || '}')")


def array_literal(values: List[Any], pg_type: str):
    sql = psycopg_sql()
    # ids are integers and hashes hex digits, so the array text needs no quoting.
    return sql.SQL("{}::" + pg_type).format(sql.Literal("{" + ",".join(str(v) for v in values) + "}"))


def primary_key(plan: TablePlan):
    """The table's id column, as the statements below alias it."""
    sql = psycopg_sql()
    return sql.SQL("src.") + sql.Identifier(plan.table.primary_key)


def xmin_predicate(window: XminWindow):
    """The rows whose version is in the run's xmin window (see ``gamboge.ingest.capture``)."""
    sql = psycopg_sql()
    # xid has no ordering operators; its text is the 32-bit value.
    xmin = sql.SQL("src.xmin::text::bigint")
    low, high = sql.Literal(window.low), sql.Literal(window.high)
    if window.wraps == 0:
        return sql.SQL("({x} >= {low} AND {x} < {high})").format(x=xmin, low=low, high=high)
    return sql.SQL("({x} >= {low} OR ({x} >= {first} AND {x} < {high}))").format(
        x=xmin, low=low, high=high, first=sql.Literal(FIRST_NORMAL_XID)
    )


def from_table(plan: TablePlan):
    sql = psycopg_sql()
    return sql.SQL("FROM {} AS src").format(sql.Identifier(plan.table.name))


def stream_copy(cursor, statement, sink) -> None:
    """Run a ``COPY … TO STDOUT`` and write its rows to ``sink`` in blocks of ``COPY_BLOCK_BYTES``.

    The server sends one message per row. Iterating psycopg's ``Copy`` costs a generator and a
    wait per message, which for narrow rows is more client CPU than the server spends producing
    them; here one wait drains every message libpq already holds into the block."""
    with cursor.copy(statement) as copy:
        connection = copy.connection
        pgconn, encoding = connection.pgconn, connection.info.encoding
        while True:
            block, done = connection.wait(_copy_out_block(pgconn, COPY_BLOCK_BYTES, encoding))
            if block:
                sink.write(block)
            if done:
                return


def _copy_out_block(pgconn, limit: int, encoding: str):
    """A generator for ``Connection.wait``: the COPY's rows until ``limit`` bytes or its end.

    Returns (block, ended). At the end it also takes the statement's result (libpq has left the
    COPY state, so psycopg's ``Copy`` has nothing more to read) and raises the server's error."""
    from psycopg import errors, pq
    from psycopg.waiting import Wait

    block = bytearray()
    get_copy_data = pgconn.get_copy_data
    while len(block) < limit:
        nbytes, data = get_copy_data(1)
        if nbytes > 0:
            block += data
        elif nbytes == 0:  # no whole message buffered: wait for the socket
            while not (yield Wait.R):
                pass
            pgconn.consume_input()
        else:  # -1: the COPY is over; the command's result follows
            failure = None
            while True:
                while pgconn.is_busy():
                    while not (yield Wait.R):
                        pass
                    pgconn.consume_input()
                result = pgconn.get_result()
                if result is None:
                    break
                if result.status != pq.ExecStatus.COMMAND_OK and failure is None:
                    failure = errors.error_from_result(result, encoding=encoding)
            if failure is not None:
                raise failure
            return block, True
    return block, False
