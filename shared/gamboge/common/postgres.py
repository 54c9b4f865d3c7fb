"""What the PostgreSQL catalog says about a table's columns: one query for the source and the warehouse.

The ingest reads its source tables' live columns (schema drift included) and ``check`` renders
rows with them; the warehouse compares its existing tables with the specification. Both ask the
same question of ``pg_attribute``; they differ only in which relations count (``schema``).

Imported by the Python-shell jobs: Python 3.9 compatible, and free of psycopg (the caller passes
an open connection), so ``gamboge.common`` imports without it.
"""

from typing import Dict, List, NamedTuple, Sequence

# Which relations a name means:
SEARCH_PATH = "search_path"  # the relation an unqualified query reads: tables, views, foreign tables
CURRENT_SCHEMA = "current_schema"  # the table an unqualified CREATE TABLE makes: plain or partitioned tables
SCHEMAS = (SEARCH_PATH, CURRENT_SCHEMA)
_READABLE_KINDS = ["r", "p", "v", "m", "f"]
_TABLE_KINDS = ["r", "p"]

_COLUMNS_QUERY = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = ANY(%(tables)s) AND c.relkind::text = ANY(%(kinds)s)
  AND CASE WHEN %(search_path)s THEN pg_table_is_visible(c.oid) ELSE n.nspname = current_schema() END
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""


class CatalogColumn(NamedTuple):
    name: str
    type: str  # as format_type() renders it
    nullable: bool


def columns_of(conn, tables: Sequence[str], schema: str = SEARCH_PATH) -> Dict[str, List[CatalogColumn]]:
    """Each named relation that exists → its columns in physical order; missing ones are absent."""
    if schema not in SCHEMAS:
        raise ValueError(f"schema must be one of {', '.join(SCHEMAS)}, not {schema!r}")
    search_path = schema == SEARCH_PATH
    parameters = {
        "tables": list(tables),
        "kinds": _READABLE_KINDS if search_path else _TABLE_KINDS,
        "search_path": search_path,
    }
    found: Dict[str, List[CatalogColumn]] = {}
    for table, name, type_, nullable in conn.execute(_COLUMNS_QUERY, parameters).fetchall():
        found.setdefault(table, []).append(CatalogColumn(name, type_, nullable))
    return found
