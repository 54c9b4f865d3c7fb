"""SQL text the checks share, for PostgreSQL (the warehouse) and DuckDB (the processed zone) alike.

Identifiers come from shared/gamboge/common/schema.py and are quoted; no value is interpolated."""

from gamboge.common import schema


def q(name: str) -> str:
    return schema.quote_ident(name)


def fk_orphans_sql(table: schema.StarTable, fk: schema.ForeignKey) -> str:
    """Keys of ``table.fk`` with no row in the referenced table (PostgreSQL and DuckDB alike)."""
    column, ref = q(fk.column), q(fk.ref_column)
    return (
        f"SELECT DISTINCT f.{column}::text FROM {q(table.name)} f WHERE f.{column} IS NOT NULL "  # nosec B608
        f"AND NOT EXISTS (SELECT 1 FROM {q(fk.ref_table)} d WHERE d.{ref} = f.{column})"
    )
