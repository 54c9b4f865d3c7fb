"""Run an Athena named query (shared/gamboge/sql/athena/NAME.sql) or any SQL locally, the way Athena would.

DuckDB reads the Parquet that the catalog points at: each cataloged table becomes a view over its
location (facts with their created_month partitions; a bucketed dimension over each partition's
own location, with its partition column), so the same SQL runs here and in Athena.

  gamboge query --list
  gamboge query sales_by_month_and_currency
  gamboge query --sql "SELECT count(*) FROM fact_payment"
"""

import argparse
import sys
from importlib import resources
from typing import Any, Dict, List, Tuple

from gamboge.common import config
from gamboge.common.text import format_table
from gamboge.lake import storage
from gamboge.transform.catalog import DEFAULT_DATABASE, Catalog, FileCatalog


def named_queries() -> List[str]:
    folder = resources.files("gamboge") / "sql" / "athena"
    return sorted(p.name[: -len(".sql")] for p in folder.iterdir() if p.name.endswith(".sql"))


def named_query_sql(name: str) -> str:
    if name not in named_queries():
        raise KeyError(f"no named query {name!r}; known: {', '.join(named_queries())}")
    return (resources.files("gamboge") / "sql" / "athena" / f"{name}.sql").read_text()


def _located_partitions(column: str, located: Dict[str, str]) -> str:
    """A table whose partitions have their own locations, as Athena reads it: each partition's files,
    with the partition's (integer) value as a column."""
    # The column, values and locations come from the catalog this pipeline writes; values are ints.
    parts = [
        f'SELECT *, {int(value)} AS "{column}" '  # nosec B608
        f"FROM read_parquet('{storage.local_path(located[value])}/*.parquet')"
        for value in sorted(located, key=int)
    ]
    return "(" + " UNION ALL ".join(parts) + ")"


def connect(catalog: Catalog):
    """A DuckDB connection with one view per cataloged table."""
    import duckdb

    conn = duckdb.connect()
    for name, entry in sorted(catalog.tables().items()):
        table = entry["TableInput"]
        location = storage.local_path(table["StorageDescriptor"]["Location"])
        if entry.get("PartitionLocations"):
            source = _located_partitions(table["PartitionKeys"][0]["Name"], entry["PartitionLocations"])
        elif table.get("PartitionKeys"):
            source = f"read_parquet('{location}/*/*.parquet', hive_partitioning = true)"
        else:
            source = f"read_parquet('{location}/*.parquet')"
        # Names and locations come from the catalog this pipeline writes (schema-defined tables).
        conn.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {source}')  # nosec B608
    return conn


def run_sql(sql: str, catalog: Catalog) -> Tuple[List[str], List[Tuple[Any, ...]]]:
    conn = connect(catalog)
    try:
        cursor = conn.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        conn.close()


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("name", nargs="?", help="a named query (see --list)")
    parser.add_argument("--sql", help="run this SQL instead of a named query")
    parser.add_argument("--list", action="store_true", help="list the named queries")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="catalog database (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=50, help="rows to print (default: %(default)s)")


def main(args: argparse.Namespace) -> int:
    if args.list or not (args.name or args.sql):
        print("\n".join(named_queries()))
        return 0 if args.list else 2
    try:
        sql = args.sql or named_query_sql(args.name)
    except KeyError as exc:
        print(f"gamboge query: {exc.args[0]}", file=sys.stderr)
        return 2
    catalog = FileCatalog(config.catalog_uri(), args.database)
    if not catalog.tables():
        print("gamboge query: the catalog is empty; run `gamboge run` (or `gamboge transform`) first", file=sys.stderr)
        return 1
    import duckdb

    try:
        columns, rows = run_sql(sql, catalog)
    except duckdb.Error as exc:
        print(f"gamboge query: {exc}", file=sys.stderr)
        return 1
    print(format_table(columns, rows, args.limit))
    return 0
