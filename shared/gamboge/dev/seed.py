"""Fill the ToteSys source database with realistic, deterministic history, generated inside PostgreSQL.

Creates the ToteSys schema if it is absent (the DDL comes from gamboge.common.schema) and refuses to touch a
source that already holds rows unless --replace is given (drop and recreate). Scale 1 is the size
of the live database: 530 working days of about 21 sales and 9 purchase orders a day (about 11k sales
orders, 5k purchase orders, 16k transactions and payments), the fixed reference rows (3 currencies,
4 payment types, 8 departments, 20 staff, 30 addresses, 20 counterparties) and about 500 designs.
Orders, transactions and payments grow linearly with the scale, designs with its square root, the
reference rows not at all. --days counts working days (Mon-Fri); the span ends yesterday unless
--start sets its first day. The same --seed gives the same rows.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import date, datetime, timedelta
from typing import Any

from gamboge import SQL_DIR
from gamboge.common import config, logs, schema

SEED_SQL_DIR = SQL_DIR / "seed"

# Daily means at scale 1, measured on the live database (2022-11 to 2024-11).
SALES_ORDERS_PER_DAY = 21.0
PURCHASE_ORDERS_PER_DAY = 9.4
# Designs arrive at 0.9 a working day on top of the catalogue the shop opened with. A bigger shop
# does not need proportionally more designs, so they grow with the square root of the scale.
DESIGNS_PER_DAY = 0.9
LAUNCH_DESIGNS = 10
DEFAULT_DAYS = 530

# The tables whose rows the generator appends to (the others are the fixed reference rows).
GENERATED_TABLES = ("design", "sales_order", "purchase_order", "transaction", "payment")

log = logs.get("seed")


class SourceNotEmpty(RuntimeError):
    """The source database already holds ToteSys rows (or a partial schema) and --replace was not given."""


# --- SQL files --------------------------------------------------------------------------------------
def load_statements(filename: str) -> dict[str, str]:
    """The named statements of one file under shared/gamboge/sql/seed, in file order.

    Each statement follows a ``-- name: <name>`` line; text before the first name is the file's
    header comment. One statement per name lets every step run with parameters and report its rows.
    """
    statements: dict[str, str] = {}
    name = None
    lines: list[str] = []
    for line in (SEED_SQL_DIR / filename).read_text().splitlines():
        if line.startswith("-- name:"):
            if name:
                statements[name] = "\n".join(lines).strip()
            name, lines = line.split(":", 1)[1].strip(), []
        elif name:
            lines.append(line)
    if name:
        statements[name] = "\n".join(lines).strip()
    return statements


def run_statement(conn, filename: str, name: str, params: dict | None = None, progress: bool = True) -> int:
    """Run one named statement; return the rows it touched (and log the step on stderr)."""
    started = time.monotonic()
    cursor = conn.execute(load_statements(filename)[name], params or {})
    rows = max(cursor.rowcount, 0)
    if progress:
        logs.event(log, name, rows=rows, seconds=round(time.monotonic() - started, 2))
    return rows


# --- working days -----------------------------------------------------------------------------------
def is_business_day(day: date) -> bool:
    return day.weekday() < 5


def business_days_from(first: date, count: int) -> list[date]:
    """``count`` working days starting at ``first`` (or the next working day after it)."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if is_business_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def business_days_until(last: date, count: int) -> list[date]:
    """``count`` working days ending at ``last`` (or the working day before it)."""
    days: list[date] = []
    day = last
    while len(days) < count:
        if is_business_day(day):
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def count_business_days(first: date, last: date) -> int:
    return sum(1 for n in range((last - first).days + 1) if is_business_day(first + timedelta(days=n)))


# --- the generator ----------------------------------------------------------------------------------
def connect(dsn: str):
    """A connection with room for the generator's large sorts."""
    import psycopg

    conn = psycopg.connect(dsn)
    conn.execute("SET work_mem = '256MB'")
    conn.execute("SET jit = off")
    return conn


# Bandit B608 is suppressed in this module: table and column names come from shared/gamboge/common/schema.py, quoted.
def max_ids(conn) -> dict[str, int]:
    """The highest id of every source table (0 when empty); ids are contiguous from 1."""
    return {
        t.name: conn.execute(
            f"SELECT coalesce(max({schema.quote_ident(t.primary_key)}), 0) FROM {schema.quote_ident(t.name)}"  # nosec B608
        ).fetchone()[0]
        for t in schema.SOURCE_TABLES
    }


def row_counts(conn) -> dict[str, int]:
    return {
        t.name: conn.execute(f"SELECT count(*) FROM {schema.quote_ident(t.name)}").fetchone()[0]  # nosec B608
        for t in schema.SOURCE_TABLES
    }


def prepare_days(conn, days: list[date], seed: int) -> None:
    """Install the session's helper functions for ``seed`` and the table of days this run generates."""
    from psycopg import sql

    for statement in load_statements("functions.sql").values():
        conn.execute(sql.SQL(statement).format(seed=sql.Literal(int(seed))), {"days": days})


def generate_days(conn, scale: float, launch_designs: int = 0, launch_at: datetime | None = None) -> dict[str, int]:
    """Append the days in gen_day: designs, orders, their transactions and payments; flip due payments.

    Returns the rows each step touched: ``{"designs": n, ..., "flip_payments": n}``, plus
    ``paid_on_insert``: new payments already paid because they fell due within the days.
    """
    params: dict[str, Any] = {f"{table}_max_id": max_id for table, max_id in max_ids(conn).items()}
    params.update(
        sales_per_day=SALES_ORDERS_PER_DAY * scale,
        purchases_per_day=PURCHASE_ORDERS_PER_DAY * scale,
        designs_per_day=DESIGNS_PER_DAY * math.sqrt(scale),
        launch_designs=launch_designs,
        launch_at=launch_at or datetime(1970, 1, 1),
    )
    steps = {name: run_statement(conn, "orders.sql", name, params) for name in load_statements("orders.sql")}
    steps["paid_on_insert"] = conn.execute(
        "SELECT count(*) FROM payment WHERE payment_id > %s AND paid", (params["payment_max_id"],)
    ).fetchone()[0]
    return steps


def sync_sequences(conn) -> None:
    """Point every serial sequence past the highest id, so later plain INSERTs get fresh ids."""
    for t in schema.SOURCE_TABLES:
        table, key = schema.quote_ident(t.name), schema.quote_ident(t.primary_key)
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({key}), 1), max({key}) IS NOT NULL) "
            f"FROM {table}",  # nosec B608
            (table, t.primary_key),
        )


# --- the schema -------------------------------------------------------------------------------------
def existing_tables(conn) -> list[str]:
    return [
        name
        for name in schema.SOURCE_TABLE_NAMES
        if conn.execute("SELECT to_regclass(%s)", (schema.quote_ident(name),)).fetchone()[0] is not None
    ]


def drop_source(conn) -> None:
    tables = ", ".join(schema.quote_ident(name) for name in schema.SOURCE_TABLE_NAMES)
    conn.execute(f"DROP TABLE IF EXISTS {tables} CASCADE")
    for enum in schema.SOURCE_ENUMS:
        conn.execute(f"DROP TYPE IF EXISTS {schema.quote_ident(enum)} CASCADE")


def split_source_ddl() -> tuple[list[str], list[str]]:
    """The source DDL as (types, tables and indexes) and (foreign keys).

    Foreign keys are added after the bulk load: one validating scan per key is far cheaper than a
    trigger call per inserted row.
    """
    statements = [s.strip() for s in schema.source_ddl().split(";\n") if s.strip()]
    foreign_keys = [s for s in statements if s.startswith("ALTER TABLE") and "FOREIGN KEY" in s]
    return [s for s in statements if s not in foreign_keys], foreign_keys


# --- the command ------------------------------------------------------------------------------------
def seed_source(
    dsn: str,
    scale: float = 1.0,
    days: int = DEFAULT_DAYS,
    start: date | None = None,
    seed: int = 0,
    replace: bool = False,
) -> dict[str, int]:
    """Create (if absent) and fill the ToteSys source; return the row count of every table."""
    if scale <= 0 or days < 1:
        raise ValueError("scale must be positive and days at least 1")
    span = business_days_from(start, days) if start else business_days_until(date.today() - timedelta(days=1), days)
    reference_at = datetime.combine(span[0], datetime.min.time()).replace(hour=8)
    with connect(dsn) as conn:
        present = existing_tables(conn)
        if present and replace:
            drop_source(conn)
            present = []
        elif present:
            if len(present) < len(schema.SOURCE_TABLES):
                missing = sorted(set(schema.SOURCE_TABLE_NAMES) - set(present))
                raise SourceNotEmpty(f"the source holds a partial ToteSys schema (missing: {', '.join(missing)})")
            filled = [name for name, rows in row_counts(conn).items() if rows]
            if filled:
                raise SourceNotEmpty(f"the source already holds ToteSys rows (in {', '.join(filled)})")
        foreign_keys: list[str] = []
        if not present:
            create, foreign_keys = split_source_ddl()
            for statement in create:
                conn.execute(statement)
        logs.event(log, "seeding", scale=scale, days=len(span), first=span[0], last=span[-1], seed=seed)
        for name in load_statements("reference.sql"):
            run_statement(conn, "reference.sql", name, {"created_at": reference_at}, progress=False)
        prepare_days(conn, span, seed)
        generate_days(conn, scale, launch_designs=LAUNCH_DESIGNS, launch_at=reference_at)
        started = time.monotonic()
        for statement in foreign_keys:
            conn.execute(statement)
        if foreign_keys:
            logs.event(log, "foreign keys", count=len(foreign_keys), seconds=round(time.monotonic() - started, 2))
        sync_sequences(conn)
        return row_counts(conn)


def print_counts(counts: dict[str, int]) -> None:
    width = max(len(name) for name in counts)
    for name, rows in counts.items():
        print(f"{name:<{width}}  {rows:>10,}")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the size of the live database (default 1)")
    parser.add_argument(
        "--start", type=date.fromisoformat, help="first day of the history, YYYY-MM-DD (default: it ends yesterday)"
    )
    parser.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help=f"working days of history (default {DEFAULT_DAYS})"
    )
    parser.add_argument("--seed", type=int, default=0, help="the pseudo-random seed (default 0)")
    parser.add_argument("--replace", action="store_true", help="drop and recreate a source that already holds rows")


def main(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        counts = seed_source(config.source_dsn(), args.scale, args.days, args.start, args.seed, args.replace)
    except SourceNotEmpty as exc:
        print(f"gamboge seed: {exc}; nothing changed. Use --replace to drop and recreate it.", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"gamboge seed: {exc}", file=sys.stderr)
        return 2
    print_counts(counts)
    print(f"seeded in {time.monotonic() - started:.1f}s")
    return 0
