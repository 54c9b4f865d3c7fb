"""Append working days of ToteSys activity to a seeded source, the way the live database changes.

For each of the next N working days after the newest order (Mon-Fri; weekends pass quietly): new
designs, sales and purchase orders with their transactions and payments at the seeded database's
own daily rate; at 07:55:11.xxx the payments due that day flip to paid in one batch sharing one
last_updated; and a few silent in-place updates that leave last_updated unchanged, as ToteSys does
(sales_order: design_id, staff_id, agreed_delivery_date, agreed_delivery_location_id;
purchase_order: staff_id, item_code, agreed_delivery_date, agreed_delivery_location_id;
design: file_location). Prints what it changed, per table and kind. The same --seed on the same
database state gives the same changes; runs continue one after another from the newest order.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import date, timedelta

from gamboge.common import config, logs
from gamboge.dev import seed

# Silent in-place updates per working day at scale 1 (the live data shows a few dozen sales orders
# changing between daily snapshots, fewer purchase orders and designs).
SILENT_SALES_ORDERS_PER_DAY = 4.0
SILENT_PURCHASE_ORDERS_PER_DAY = 2.0
SILENT_DESIGNS_PER_DAY = 0.5

KINDS = ("inserted", "paid_flipped", "silently_updated")
ORDER_STEP_TABLES = {
    "designs": "design",
    "sales_orders": "sales_order",
    "purchase_orders": "purchase_order",
    "transactions": "transaction",
    "payments": "payment",
}
SILENT_STEP_TABLES = {
    "silent_sales_orders": "sales_order",
    "silent_purchase_orders": "purchase_order",
    "silent_designs": "design",
}

log = logs.get("simulate")


class NothingToContinue(RuntimeError):
    """The source holds no orders to continue from."""


def observed_scale(conn) -> tuple[float, date]:
    """The scale the source was generated at (its sales orders per working day) and its newest order day."""
    orders, first, last = conn.execute(
        "SELECT count(*), min(created_at)::date, max(created_at)::date FROM sales_order"
    ).fetchone()
    if not orders:
        raise NothingToContinue("the source holds no sales orders to continue from: run `gamboge seed` first")
    newest_purchase = conn.execute("SELECT max(created_at)::date FROM purchase_order").fetchone()[0]
    last = max(last, newest_purchase or last)
    return orders / (seed.SALES_ORDERS_PER_DAY * seed.count_business_days(first, last)), last


def silent_update_counts(scale: float, days: int) -> dict[str, int]:
    """How many rows of each table a run changes silently: at least one each."""
    return {
        "silent_sales_orders": max(1, round(SILENT_SALES_ORDERS_PER_DAY * scale * days)),
        "silent_purchase_orders": max(1, round(SILENT_PURCHASE_ORDERS_PER_DAY * scale * days)),
        "silent_designs": max(1, round(SILENT_DESIGNS_PER_DAY * math.sqrt(scale) * days)),
    }


def simulate(dsn: str, days: int, seed_value: int = 0) -> dict:
    """Append ``days`` working days; return what changed.

    ``{"first": date, "last": date, "scale": float, "changes": {table: {kind: rows}}}`` where kind is
    inserted, paid_flipped (includes payments inserted and falling due within the run) or
    silently_updated (distinct existing rows whose content changed, last_updated untouched).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    with seed.connect(dsn) as conn:
        scale, newest = observed_scale(conn)
        run_days = seed.business_days_from(newest + timedelta(days=1), days)
        logs.event(log, "simulating", days=days, first=run_days[0], last=run_days[-1], scale=round(scale, 3))
        before = seed.max_ids(conn)
        seed.prepare_days(conn, run_days, seed_value)
        steps = seed.generate_days(conn, scale)
        params = {f"{table}_max_id": max_id for table, max_id in before.items()}
        params["run_key"] = (run_days[0] - date(1970, 1, 1)).days % 100000
        params.update(silent_update_counts(scale, days))
        for name in seed.load_statements("silent.sql"):
            steps[name] = seed.run_statement(conn, "silent.sql", name, params)
        seed.sync_sequences(conn)
    changes = {table: dict.fromkeys(KINDS, 0) for table in seed.GENERATED_TABLES}
    for step, table in ORDER_STEP_TABLES.items():
        changes[table]["inserted"] = steps[step]
    for step, table in SILENT_STEP_TABLES.items():
        changes[table]["silently_updated"] = steps[step]
    changes["payment"]["paid_flipped"] = steps["flip_payments"] + steps["paid_on_insert"]
    return {"first": run_days[0], "last": run_days[-1], "scale": scale, "changes": changes}


def print_report(report: dict, seed_value: int) -> None:
    print(
        f"simulated {report['first']} to {report['last']} (working days only; "
        f"scale {report['scale']:.2f} observed; seed {seed_value})"
    )
    headers = ("table",) + tuple(kind.replace("_", "-") for kind in KINDS)
    width = max(len(table) for table in report["changes"])
    print(f"{headers[0]:<{width}}" + "".join(f"  {h:>16}" for h in headers[1:]))
    for table, counts in report["changes"].items():
        print(f"{table:<{width}}" + "".join(f"  {counts[kind]:>16,}" for kind in KINDS))
    print("paid-flipped rows got one shared last_updated per day (07:55:11.xxx); silent updates kept theirs.")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=1, help="working days to append (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="the pseudo-random seed (default 0)")


def main(args: argparse.Namespace) -> int:
    try:
        report = simulate(config.source_dsn(), args.days, args.seed)
    except (NothingToContinue, ValueError) as exc:
        print(f"gamboge simulate: {exc}", file=sys.stderr)
        return 1
    print_report(report, args.seed)
    return 0
