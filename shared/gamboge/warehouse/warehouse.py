"""The warehouse DDL, rendered from the one schema definition (shared/gamboge/common/schema.py), and its checks.

``render_ddl()`` is the source of truth; ``shared/gamboge/sql/warehouse.sql`` is the same text as package
data for terraform and people (a test keeps the two equal). ``ensure_schema`` applies it
idempotently: missing tables are created, existing tables must already have the specified shape.

Facts keep the specified shape (serial record id + data columns, nothing else): a fact version's
identity is its whole content, enforced by a unique index over ``StarTable.version_columns``
because silent source updates keep ``last_updated``.
"""

from typing import Any, Dict, List, Optional, Tuple

from gamboge import SQL_DIR
from gamboge.common import postgres, schema
from gamboge.common.errors import GambogeError
from gamboge.common.schema import quote_ident
from gamboge.lake import cursor

SQL_FILE = SQL_DIR / "warehouse.sql"

LOAD_LOG = "gamboge_load_log"
# The load job's bookmark: one row per processed batch, written in the batch's own transaction.
LOAD_LOG_COLUMNS: Tuple[Tuple[str, str, bool], ...] = (
    ("batch_id", "text", False),
    ("loaded_at", "timestamp with time zone", False),
    ("inputs", "jsonb", False),
    ("rows", "jsonb", False),
)

# How PostgreSQL's format_type() spells each warehouse type, for comparing an existing table.
_CATALOG_TYPE = {
    "integer": "integer",
    "serial": "integer",
    "varchar": "character varying",
    "numeric(10,2)": "numeric(10,2)",
    "date": "date",
    "time": "time without time zone",
    "boolean": "boolean",
    "text": "text",
    "jsonb": "jsonb",
    "timestamp with time zone": "timestamp with time zone",
}


class SchemaMismatch(GambogeError):
    """An existing warehouse table does not have the specified shape; nothing was changed."""


def warehouse_type(column: schema.Column) -> str:
    return schema.pg_type(column.type)


def version_index_name(table: schema.StarTable) -> str:
    return f"{table.name}_version_key"


def _table_ddl(table: schema.StarTable) -> str:
    lines = []
    for column in table.columns:
        not_null = "" if column.nullable or column.type == schema.SERIAL else " NOT NULL"
        lines.append(f"{quote_ident(column.name)} {warehouse_type(column)}{not_null}")
    lines.append(f"CONSTRAINT {quote_ident(table.name + '_pkey')} PRIMARY KEY ({quote_ident(table.primary_key)})")
    for fk in table.foreign_keys:
        lines.append(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})".format(
                quote_ident(f"{table.name}_{fk.column}_fkey"),
                quote_ident(fk.column),
                quote_ident(fk.ref_table),
                quote_ident(fk.ref_column),
            )
        )
    return "CREATE TABLE IF NOT EXISTS {} (\n    {}\n);".format(quote_ident(table.name), ",\n    ".join(lines))


def _version_index_ddl(table: schema.StarTable) -> str:
    by_name = {c.name: c for c in table.columns}
    columns = [by_name[name] for name in table.version_columns]
    # A NULL never equals NULL in a plain unique index: a nullable version column would let the
    # same version in twice. PostgreSQL 15+ can treat NULLs as equal.
    nulls = " NULLS NOT DISTINCT" if any(c.nullable for c in columns) else ""
    return "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({}){};".format(
        quote_ident(version_index_name(table)),
        quote_ident(table.name),
        ", ".join(quote_ident(c.name) for c in columns),
        nulls,
    )


def _load_log_ddl() -> str:
    lines = [f"{quote_ident(name)} {type_} NOT NULL" for name, type_, _nullable in LOAD_LOG_COLUMNS]
    lines.append(f"CONSTRAINT {quote_ident(LOAD_LOG + '_pkey')} PRIMARY KEY ({quote_ident('batch_id')})")
    return "CREATE TABLE IF NOT EXISTS {} (\n    {}\n);".format(quote_ident(LOAD_LOG), ",\n    ".join(lines))


def render_ddl() -> str:
    """The whole warehouse DDL: the 11 star tables in the specified order, then the load log."""
    statements = [
        "-- Gamboge warehouse: the Northcoders star schema, rendered from shared/gamboge/common/schema.py by\n"
        "-- shared/gamboge/warehouse/warehouse.py (render_ddl). Do not edit by hand; a test compares the two."
    ]
    for table in schema.STAR_TABLES:
        statements.append(_table_ddl(table))
        if table.is_fact:
            statements.append(_version_index_ddl(table))
    statements.append(
        "-- The load job's bookmark: one row per processed batch, committed with the batch's data.\n" + _load_log_ddl()
    )
    return "\n\n".join(statements) + "\n"


def expected_columns() -> Dict[str, List[postgres.CatalogColumn]]:
    """Every warehouse table's columns as the PostgreSQL catalog should report them, in order."""
    expected = {
        table.name: [
            postgres.CatalogColumn(c.name, _CATALOG_TYPE[warehouse_type(c)], c.nullable and c.type != schema.SERIAL)
            for c in table.columns
        ]
        for table in schema.STAR_TABLES
    }
    expected[LOAD_LOG] = [
        postgres.CatalogColumn(name, _CATALOG_TYPE[type_], nullable) for name, type_, nullable in LOAD_LOG_COLUMNS
    ]
    return expected


def existing_columns(conn) -> Dict[str, List[postgres.CatalogColumn]]:
    # The tables ensure_schema's unqualified CREATE TABLE would make, as they are now.
    return postgres.columns_of(conn, list(expected_columns()), schema=postgres.CURRENT_SCHEMA)


def shape_problem(
    table: str, expected: List[postgres.CatalogColumn], actual: List[postgres.CatalogColumn]
) -> Optional[str]:
    """Why an existing table differs from its specification (None when it matches)."""
    for position, want in enumerate(expected, start=1):
        if position > len(actual):
            return f"table {table} has no column {want.name} (expected at position {position}, {want.type})"
        have = actual[position - 1]
        if have.name != want.name:
            if want.name in [a.name for a in actual]:
                return f"table {table} column {want.name} is not at position {position} (found {have.name} there)"
            return f"table {table} has no column {want.name} (found {have.name} at position {position})"
        if have.type != want.type:
            return f"table {table} column {want.name} is {have.type}, expected {want.type}"
        if have.nullable != want.nullable:
            wanted = "NULL" if want.nullable else "NOT NULL"
            return f"table {table} column {want.name} should be {wanted}"
    if len(actual) > len(expected):
        return f"table {table} has an unexpected column {actual[len(expected)].name}"
    return None


def check_shape(conn) -> None:
    """Refuse (SchemaMismatch) when any existing warehouse table differs from its specification."""
    actual = existing_columns(conn)
    problems = [
        problem
        for table, columns in expected_columns().items()
        if table in actual
        for problem in [shape_problem(table, columns, actual[table])]
        if problem
    ]
    if problems:
        raise SchemaMismatch(
            "the warehouse schema differs from the specification (nothing was changed): "
            + "; ".join(problems)
            + ". Migrate or drop the table(s), then run the load again."
        )


def ensure_schema(conn) -> None:
    """Create what is missing, inside the caller's transaction; refuse a differently shaped table."""
    check_shape(conn)
    conn.execute(render_ddl())


def loaded_batches(conn: Any) -> List[str]:
    """The batches the load log records (``conn``: a psycopg connection to the warehouse)."""
    return [r[0] for r in conn.execute(f"SELECT batch_id FROM {quote_ident(LOAD_LOG)}").fetchall()]  # nosec B608


def load_position(conn: Any) -> cursor.Cursor:
    """The load log as a cursor over the processed manifests: its newest batch, and the batches of
    the late window before it (processed batch ids grow with every commit, so this is exact)."""
    table = quote_ident(LOAD_LOG)
    latest = conn.execute(f"SELECT max(batch_id) FROM {table}").fetchone()[0]  # nosec B608
    if latest is None:
        return cursor.EMPTY
    recent = conn.execute(
        f"SELECT batch_id FROM {table} WHERE batch_id >= %s ORDER BY batch_id",  # nosec B608
        (cursor.window_start(latest),),
    ).fetchall()
    return {"through": latest, "recent": [r[0] for r in recent]}


def loaded_among(conn: Any, batches: List[str]) -> List[str]:
    """Which of ``batches`` the load log records."""
    query = f"SELECT batch_id FROM {quote_ident(LOAD_LOG)} WHERE batch_id = ANY(%s)"  # nosec B608
    rows = conn.execute(query, (batches,)).fetchall()
    return [r[0] for r in rows]


def loaded_count(conn: Any) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {quote_ident(LOAD_LOG)}").fetchone()[0])  # nosec B608
