"""The SQL text of the load's transaction, built from the schema definition: pure text, no I/O.

Every statement reads a per-batch staging table (named by gamboge.load.staging) and writes the
star table of the same shape.
"""

from typing import List

from gamboge.common import schema
from gamboge.common.schema import quote_ident


def staging_columns(table: schema.StarTable) -> List[schema.Column]:
    """What the processed zone provides for a table, which is what staging holds."""
    return list(table.data_columns)


# Bandit B608 is suppressed below, line by line: it flags every string-built statement; in these, each interpolated name
# comes from shared/gamboge/common/schema.py (or the batch id slug) through quote_ident, and values are parameters.
def _select_list(table: schema.StarTable, alias: str) -> str:
    parts = []
    for column in staging_columns(table):
        ref = f"{alias}.{quote_ident(column.name)}"
        parts.append(f"{ref}::time" if column.type == schema.TIME else ref)
    return ", ".join(parts)


def upsert_dimension_sql(table: schema.StarTable, staging: str) -> str:
    """Insert new keys; rewrite an existing row only when some value differs (no dead tuples)."""
    columns = [c.name for c in staging_columns(table)]
    values = [c for c in columns if c != table.primary_key]
    target_columns = ", ".join(quote_ident(c) for c in columns)
    if table.name == "dim_date" or not values:
        # A calendar day never changes: only the missing days are added.
        on_conflict = f"ON CONFLICT ({quote_ident(table.primary_key)}) DO NOTHING"
    else:
        assignments = ", ".join(f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in values)
        current = ", ".join(f"t.{quote_ident(c)}" for c in values)
        incoming = ", ".join(f"excluded.{quote_ident(c)}" for c in values)
        on_conflict = (
            f"ON CONFLICT ({quote_ident(table.primary_key)}) DO UPDATE SET {assignments} "
            f"WHERE ROW({current}) IS DISTINCT FROM ROW({incoming})"  # nosec B608
        )
    # xmax = 0 marks a freshly inserted row; an updated one carries the updating transaction's id.
    return (
        f"WITH changed AS (INSERT INTO {quote_ident(table.name)} AS t ({target_columns}) "
        f"SELECT {_select_list(table, 's')} FROM {quote_ident(staging)} AS s {on_conflict} "
        "RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM changed"  # nosec B608
    )


def insert_facts_sql(table: schema.StarTable, staging: str) -> str:
    """Append the versions the fact does not hold yet; ordered so record ids follow the source."""
    columns = ", ".join(quote_ident(c.name) for c in staging_columns(table))
    version = ", ".join(quote_ident(c) for c in table.version_columns)
    order = ", ".join(
        f"s.{quote_ident(c)}" for c in (table.natural_key, "last_updated_date", "last_updated_time", "created_date")
    )
    return (
        f"INSERT INTO {quote_ident(table.name)} ({columns}) "
        f"SELECT {_select_list(table, 's')} FROM {quote_ident(staging)} AS s ORDER BY {order} "
        f"ON CONFLICT ({version}) DO NOTHING"  # nosec B608
    )


def missing_keys_sql(table: schema.StarTable, staging: str) -> str:
    """Per foreign key: how many staged rows reference no dimension row, and a few such keys.

    One ``%s`` parameter per foreign key, its column name, in ``table.foreign_keys`` order."""
    checks = []
    for fk in table.foreign_keys:
        column = quote_ident(fk.column)
        checks.append(
            f"SELECT %s::text AS fk_column, count(*) AS rows_missing, "
            f"(array_agg(DISTINCT s.{column}::text))[1:5] AS sample_keys "
            f"FROM {quote_ident(staging)} AS s WHERE s.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {quote_ident(fk.ref_table)} AS d WHERE d.{quote_ident(fk.ref_column)} = s.{column})"  # nosec B608
        )
    return " UNION ALL ".join(checks)
