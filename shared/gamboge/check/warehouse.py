"""The warehouse on its own terms: every processed batch in the load log, no foreign-key orphan, no
fact version twice, dim_date contiguous, and as many rows per table as the processed zone holds
(facts: every version once; dimensions: every key)."""

from typing import Iterable

from gamboge.check.queries import fk_orphans_sql, q
from gamboge.check.report import ERROR, Report, sample
from gamboge.common import schema
from gamboge.warehouse import warehouse


def check_warehouse(report: Report, conn, batches: Iterable[str]) -> None:
    """``batches``: the processed batches to find in the load log (those committed since the last check)."""
    if not check_loaded_batches(report, conn, batches):
        return
    for table in schema.STAR_TABLES:
        _check_table(report, conn, table)
    check_calendar(report, conn)


def check_loaded_batches(report: Report, conn, batches: Iterable[str]) -> bool:
    """Every batch of ``batches`` is in the load log; False when there is no load log at all."""

    present = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    if warehouse.LOAD_LOG not in present:
        report.add(ERROR, "-", "warehouse", "the warehouse has no load log: nothing was ever loaded")
        return False
    wanted = list(batches)
    loaded = set(warehouse.loaded_among(conn, wanted))
    pending = [b for b in wanted if b not in loaded]
    if pending:
        report.add(ERROR, "-", "pending", f"{len(pending)} processed batch(es) not loaded yet: {sample(pending)}")
    return True


def _check_table(report: Report, conn, table: schema.StarTable) -> None:
    # Identifiers come from shared/gamboge/common/schema.py and are quoted; no value is interpolated.
    count = conn.execute(f"SELECT count(*) FROM {q(table.name)}").fetchone()[0]  # nosec B608
    report.counts[table.name]["loaded"] = count
    processed_rows = report.counts[table.name].get("processed")
    if processed_rows is not None and processed_rows != count:
        report.add(
            ERROR,
            table.name,
            "loaded = processed",
            f"the warehouse holds {count} row(s), the processed zone {processed_rows}",
        )
    for fk in table.foreign_keys:
        orphans = conn.execute(fk_orphans_sql(table, fk)).fetchall()
        if orphans:
            report.add(
                ERROR, table.name, "FK orphans", f"{fk.column} → {fk.ref_table}: {sample(r[0] for r in orphans)}"
            )
    if table.is_fact:
        columns = ", ".join(q(c) for c in table.version_columns)
        duplicates = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {q(table.name)} GROUP BY {columns} HAVING count(*) > 1) d"  # nosec B608
        ).fetchone()[0]
        if duplicates:
            report.add(ERROR, table.name, "duplicate versions", f"{duplicates} fact version(s) stored more than once")


def check_calendar(report: Report, conn) -> None:
    """dim_date has every day between its first and its last."""
    days, span = conn.execute("SELECT count(*), max(date_id) - min(date_id) + 1 FROM dim_date").fetchone()
    if days and days != span:
        report.add(ERROR, "dim_date", "contiguous", f"{days} day(s) over a span of {span}")
