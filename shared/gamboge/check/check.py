"""Reconcile every zone with the source and with each other: ``gamboge check``.

What must hold after a run (each failure is an ERROR and the exit status is 1):

* **batch accounting** — every landing manifest is consumed by a processed batch and every
  processed batch is in the warehouse load log; for every batch and source table the rows the
  landing manifests list equal the rows the transform read (landed = processed + rejected);
* **processed zone, as a reader sees it** (DuckDB over the Parquet the catalog points at) — no
  fact file that no committed manifest names, every dimension's catalog location is the snapshot
  the latest committed manifest names, no fact version twice, no foreign key without its
  dimension row, fact rows visible = rows the manifests committed;
* **warehouse** — no foreign-key orphan, no fact version twice, dim_date contiguous, and as many
  rows per table as the processed zone holds (facts: every version once; dimensions: every key);
* **source ↔ warehouse, row by row** — every current ToteSys row is a version of its fact (same
  natural id and the same business values), and every dimension row equals what the source's
  current rows make of it.

What is reported but does not fail (WARNING):

* a source row whose content the last ingest did not land (compared with the ingest's per-row
  fingerprints): newer than the ingest watermark (the pipeline is behind the live source), or a
  *silent* update (changed without ``last_updated`` moving), which the next reconcile run lands;
* rows quarantined by the transform (reasons under ``processed/_rejects/``);
* warehouse rows whose source row is gone (hard deletes are not propagated);
* landing files no manifest names (left by a crashed ingest; no reader ever sees them).

Locally the processed zone is read through the file catalog (``file://`` lakes); for an ``s3://``
lake those checks are skipped with a warning.
"""

import argparse
import datetime
import json
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Set, Tuple

from gamboge.common import config, logs, schema
from gamboge.lake import bookmarks, committed, manifests, storage

log = logs.get("check")

ERROR = "ERROR"
WARNING = "WARNING"
EXIT_MISMATCH = 1

# The source table whose rows a star table counts (facts: one version per current row at least).
MAIN_SOURCE = {
    "dim_date": None,
    "dim_staff": "staff",
    "dim_location": "address",
    "dim_currency": "currency",
    "dim_design": "design",
    "dim_counterparty": "counterparty",
    "dim_payment_type": "payment_type",
    "dim_transaction": "transaction",
    "fact_sales_order": "sales_order",
    "fact_purchase_order": "purchase_order",
    "fact_payment": "payment",
}
SAMPLE = 5  # keys quoted per finding


class Finding(NamedTuple):
    severity: str
    table: str
    check: str
    detail: str


class Report:
    def __init__(self) -> None:
        self.findings: List[Finding] = []
        self.counts: Dict[str, Dict[str, Any]] = {t.name: {} for t in schema.STAR_TABLES}

    def add(self, severity: str, table: str, check: str, detail: str) -> None:
        self.findings.append(Finding(severity, table, check, detail))

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def as_dict(self) -> Dict[str, Any]:
        return {
            "ok": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "counts": self.counts,
            "findings": [f._asdict() for f in self.findings],
        }


def _sample(keys: Iterable[Any]) -> str:
    keys = sorted(keys, key=str)
    more = f" (+{len(keys) - SAMPLE} more)" if len(keys) > SAMPLE else ""
    return ", ".join(str(k) for k in keys[:SAMPLE]) + more


# --- zones: manifests, bookmarks, load log ----------------------------------------------------------
def _manifests(zone_uri: str) -> Dict[str, Dict[str, Any]]:
    return {r: manifests.read_manifest(manifests.manifest_uri(zone_uri, r)) for r in manifests.list_run_ids(zone_uri)}


def check_batches(
    report: Report, landing: Dict[str, Dict[str, Any]], processed: Dict[str, Dict[str, Any]], consumed: List[str]
) -> Dict[str, int]:
    """landed = processed + rejected per batch and table; nothing pending. Returns rejected per source table."""
    rejected: Dict[str, int] = {}
    landed_rows: Dict[str, int] = {}
    for body in landing.values():
        for table, entry in body.get("tables", {}).items():
            landed_rows[table] = landed_rows.get(table, 0) + int(entry.get("rows") or 0)
            for f in entry.get("files", []):
                if not storage.exists(f["uri"]):
                    report.add(
                        ERROR, table, "landing", f"landing manifest {body.get('run_id')} lists missing {f['uri']}"
                    )
    for batch_id, body in processed.items():
        for table, count in (body.get("rejected") or {}).items():
            rejected[table] = rejected.get(table, 0) + int(count)
        listed: Dict[str, int] = {}
        for run_id in body.get("inputs", []):
            if run_id not in landing:
                report.add(
                    ERROR, "-", "batch", f"processed batch {batch_id} consumed {run_id}, no such landing manifest"
                )
                continue
            for table, entry in landing[run_id].get("tables", {}).items():
                listed[table] = listed.get(table, 0) + int(entry.get("rows") or 0)
        read = body.get("landed") or {}
        for table in sorted(set(listed) | set(read)):
            if listed.get(table, 0) != int(read.get(table, 0)):
                report.add(
                    ERROR,
                    table,
                    "landed = processed + rejected",
                    f"batch {batch_id}: landing manifests list {listed.get(table, 0)} row(s), "
                    f"the transform read {read.get(table, 0)}",
                )
    pending = [r for r in landing if r not in set(consumed)]
    if pending:
        report.add(ERROR, "-", "pending", f"{len(pending)} landing manifest(s) not transformed yet: {_sample(pending)}")
    for star_table, source in MAIN_SOURCE.items():
        if source:
            report.counts[star_table]["landed"] = landed_rows.get(source, 0)
            report.counts[star_table]["rejected"] = rejected.get(source, 0)
    return rejected


def check_landing_orphans(report: Report, landing_uri: str, landing: Dict[str, Dict[str, Any]]) -> None:
    named = {f["uri"] for body in landing.values() for e in body.get("tables", {}).values() for f in e.get("files", [])}
    stray = [
        u
        for t in schema.SOURCE_TABLE_NAMES
        for u in storage.list_uris(storage.join(landing_uri, t))
        if (u.endswith(".jsonl") or u.endswith(".jsonl.gz")) and u not in named
    ]
    if stray:
        report.add(
            WARNING,
            "-",
            "landing orphans",
            f"{len(stray)} landing file(s) no manifest names (never read): {_sample(stray)}",
        )


# --- processed zone ---------------------------------------------------------------------------------
def _latest_locations(processed: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    locations: Dict[str, str] = {}
    for body in processed.values():  # oldest first: the newest committed entry wins
        for name, entry in body.get("tables", {}).items():
            if entry.get("location"):
                locations[name] = entry["location"]
    return locations


def check_processed(report: Report, processed_uri: str, catalog_uri: str, processed: Dict[str, Dict[str, Any]]) -> None:
    from gamboge.ops.query import connect
    from gamboge.transform.catalog import FileCatalog

    # The lake's commit rule (manifests and compaction records): gamboge.lake.committed.
    orphans = committed.fact_orphans(processed_uri, committed.committed_fact_files(processed_uri, processed.values()))
    for fact in schema.FACTS:
        stray = orphans[fact.name]
        if stray:
            report.add(
                ERROR,
                fact.name,
                "processed orphans",
                f"{len(stray)} file(s) no committed manifest names: {_sample(stray)}",
            )
    catalog = FileCatalog(catalog_uri)
    entries = catalog.tables()
    latest = _latest_locations(processed)
    for dim in schema.DIMENSIONS:
        location = entries.get(dim.name, {}).get("TableInput", {}).get("StorageDescriptor", {}).get("Location")
        if processed and location != latest.get(dim.name):
            report.add(
                ERROR,
                dim.name,
                "catalog",
                f"the catalog points at {location}, the committed snapshot is {latest.get(dim.name)}",
            )
    if not entries:
        return
    conn = connect(catalog)
    try:
        for table in schema.STAR_TABLES:
            if table.name not in entries:
                continue
            # Names below come from shared/gamboge/common/schema.py, never from data.
            visible = conn.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]  # nosec B608
            report.counts[table.name]["processed"] = visible
            if table.is_fact:
                manifest_rows = sum(
                    int(b["tables"][table.name]["rows"])
                    for b in processed.values()
                    if table.name in b.get("tables", {})
                )
                if visible != manifest_rows:
                    report.add(
                        ERROR,
                        table.name,
                        "processed rows",
                        f"readers see {visible} row(s), manifests committed {manifest_rows}",
                    )
                duplicates = conn.execute(
                    f'SELECT count(*) - count(DISTINCT version_key) FROM "{table.name}"'  # nosec B608
                ).fetchone()[0]
                if duplicates:
                    report.add(
                        ERROR,
                        table.name,
                        "duplicate versions",
                        f"{duplicates} fact version(s) twice in the processed zone",
                    )
                for fk in table.foreign_keys:
                    if fk.ref_table not in entries:
                        continue
                    orphans = conn.execute(fk_orphans_sql(table, fk)).fetchall()
                    if orphans:
                        report.add(
                            ERROR,
                            table.name,
                            "FK orphans (processed)",
                            f"{fk.column} → {fk.ref_table}: no row for {_sample(r[0] for r in orphans)}",
                        )
    finally:
        conn.close()


# --- warehouse --------------------------------------------------------------------------------------
def _q(name: str) -> str:
    return schema.quote_ident(name)


def fk_orphans_sql(table: schema.StarTable, fk: schema.ForeignKey) -> str:
    """Keys of ``table.fk`` with no row in the referenced table (PostgreSQL and DuckDB alike)."""
    column, ref = _q(fk.column), _q(fk.ref_column)
    return (
        f"SELECT DISTINCT f.{column}::text FROM {_q(table.name)} f WHERE f.{column} IS NOT NULL "  # nosec B608
        f"AND NOT EXISTS (SELECT 1 FROM {_q(fk.ref_table)} d WHERE d.{ref} = f.{column})"
    )


def check_warehouse(report: Report, conn, processed: Dict[str, Dict[str, Any]]) -> None:
    from gamboge.warehouse import warehouse

    present = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    if warehouse.LOAD_LOG not in present:
        report.add(ERROR, "-", "warehouse", "the warehouse has no load log: nothing was ever loaded")
        return
    loaded = {r[0] for r in conn.execute(f"SELECT batch_id FROM {_q(warehouse.LOAD_LOG)}")}  # nosec B608
    pending = [b for b in processed if b not in loaded]
    if pending:
        report.add(ERROR, "-", "pending", f"{len(pending)} processed batch(es) not loaded yet: {_sample(pending)}")
    for table in schema.STAR_TABLES:
        # Identifiers come from shared/gamboge/common/schema.py and are quoted; no value is interpolated.
        count = conn.execute(f"SELECT count(*) FROM {_q(table.name)}").fetchone()[0]  # nosec B608
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
                    ERROR, table.name, "FK orphans", f"{fk.column} → {fk.ref_table}: {_sample(r[0] for r in orphans)}"
                )
        if table.is_fact:
            columns = ", ".join(_q(c) for c in table.version_columns)
            duplicates = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {_q(table.name)} GROUP BY {columns} HAVING count(*) > 1) d"  # nosec B608
            ).fetchone()[0]
            if duplicates:
                report.add(
                    ERROR, table.name, "duplicate versions", f"{duplicates} fact version(s) stored more than once"
                )
    days, span = conn.execute("SELECT count(*), max(date_id) - min(date_id) + 1 FROM dim_date").fetchone()
    if days and days != span:
        report.add(ERROR, "dim_date", "contiguous", f"{days} day(s) over a span of {span}")


# --- source ↔ warehouse, row by row -------------------------------------------------------------------
class SourceRows(NamedTuple):
    rows: Dict[Any, Dict[str, Any]]  # id → row
    unseen: Dict[Any, str]  # id → why the last ingest did not land this content


def _ingest_state() -> Dict[str, Any]:
    return bookmarks.load(config.state_uri(), "ingest").get("tables", {})


def read_source(conn, state: Dict[str, Any]) -> Dict[str, SourceRows]:
    """Every current source row, and which of them the last ingest has not landed as they are now."""
    from psycopg import sql
    from psycopg.rows import dict_row

    from gamboge.common.postgres import columns_of
    from gamboge.ingest.fingerprints import latest_fingerprints
    from gamboge.ingest.rowsql import line_expression

    live = columns_of(conn, schema.SOURCE_TABLE_NAMES)
    out: Dict[str, SourceRows] = {}
    for table in schema.SOURCE_TABLES:
        if table.name not in live:
            continue  # ingest reports a missing table; nothing to compare here
        entry = state.get(table.name, {})
        landed = dict(latest_fingerprints(entry.get("fingerprints", [])))
        watermark = entry.get("watermark")
        statement = sql.SQL("SELECT md5({}) AS _md5, src.* FROM {} AS src").format(
            line_expression(live[table.name]), sql.Identifier(table.name)
        )
        rows, unseen = {}, {}
        with conn.cursor(row_factory=dict_row) as cursor:
            for row in cursor.execute(statement):
                key = row[table.primary_key]
                rows[key] = row
                if landed.get(key) == row["_md5"].encode():
                    continue
                newer = watermark is None or row["last_updated"] > datetime.datetime.fromisoformat(watermark)
                unseen[key] = "newer than the last ingest" if newer else "changed without last_updated moving"
        out[table.name] = SourceRows(rows, unseen)
    return out


def _text_date(value: Optional[str]) -> Optional[datetime.date]:
    try:
        return datetime.date.fromisoformat(value) if value is not None else None
    except ValueError:
        return None


def _stamp(row: Dict[str, Any], prefix: str, column: str) -> Dict[str, Any]:
    ts = row[column]
    return {f"{prefix}_date": ts.date(), f"{prefix}_time": ts.time()}


def expected_fact(table: schema.StarTable, row: Dict[str, Any]) -> Tuple[Any, ...]:
    """The business columns a source row becomes in its fact (the star.py rules, restated)."""
    values = dict(row, **_stamp(row, "created", "created_at"), **_stamp(row, "last_updated", "last_updated"))
    values["sales_staff_id"] = row.get("staff_id")
    source = schema.source_table(MAIN_SOURCE[table.name])
    for column in source.columns:
        if column.type == schema.TEXT_DATE:
            values[column.name] = _text_date(row[column.name])
    return tuple(values[c.name] for c in table.data_columns)


def expected_dimensions(
    source: Dict[str, SourceRows],
) -> Dict[str, Dict[Any, Tuple[Tuple[Any, ...], List[Tuple[str, Any]]]]]:
    """dimension → id → (expected row, the source rows (table, id) it is made of)."""
    import pycountry

    def rows(name: str) -> Dict[Any, Dict[str, Any]]:
        return source[name].rows if name in source else {}

    names = {c.alpha_3: c.name for c in pycountry.currencies}
    departments, addresses = rows("department"), rows("address")
    out: Dict[str, Dict[Any, Tuple[Tuple[Any, ...], List[Tuple[str, Any]]]]] = {}
    out["dim_staff"] = {
        k: (
            (k, r["first_name"], r["last_name"], departments.get(r["department_id"], {}).get("department_name"),
             departments.get(r["department_id"], {}).get("location"), r["email_address"]),
            [("staff", k), ("department", r["department_id"])],
        )
        for k, r in rows("staff").items()
    }  # fmt: skip
    address_columns = ["address_line_1", "address_line_2", "district", "city", "postal_code", "country", "phone"]
    out["dim_location"] = {k: ((k, *[r[c] for c in address_columns]), [("address", k)]) for k, r in addresses.items()}
    out["dim_currency"] = {
        k: ((k, r["currency_code"], names.get(r["currency_code"], r["currency_code"])), [("currency", k)])
        for k, r in rows("currency").items()
    }
    out["dim_design"] = {
        k: ((k, r["design_name"], r["file_location"], r["file_name"]), [("design", k)])
        for k, r in rows("design").items()
    }
    out["dim_counterparty"] = {
        k: (
            (
                k,
                r["counterparty_legal_name"],
                *[addresses.get(r["legal_address_id"], {}).get(c) for c in address_columns],
            ),
            [("counterparty", k), ("address", r["legal_address_id"])],
        )
        for k, r in rows("counterparty").items()
    }
    out["dim_payment_type"] = {
        k: ((k, r["payment_type_name"]), [("payment_type", k)]) for k, r in rows("payment_type").items()
    }
    out["dim_transaction"] = {
        k: ((k, r["transaction_type"], r["sales_order_id"], r["purchase_order_id"]), [("transaction", k)])
        for k, r in rows("transaction").items()
    }
    return out


def _rejected_ids(processed: Dict[str, Dict[str, Any]]) -> Set[Tuple[str, Any]]:
    """(source table, id) of every quarantined row whose id could be read."""
    out: Set[Tuple[str, Any]] = set()
    for body in processed.values():
        if not body.get("rejects_uri"):
            continue
        for uri in storage.list_uris(body["rejects_uri"], suffix=".json"):
            for line in storage.read_text(uri).splitlines():
                reject = json.loads(line)
                try:
                    record = json.loads(reject.get("record") or "")
                    key = record.get(schema.source_table(reject["table"]).primary_key)
                    out.add((reject["table"], int(key)))
                except (ValueError, TypeError, AttributeError, KeyError):
                    continue  # a malformed line names no id; the counts still account for it
    return out


def _classify(
    report: Report, table: str, check: str, problem: str, keys: Dict[Any, List[Tuple[str, Any]]], source, rejected
) -> None:
    """Split mismatching keys into errors (the pipeline had the row and lost it) and warnings."""
    groups: Dict[Tuple[str, str], List[Any]] = {}
    for key, parts in keys.items():
        reasons = [source[t].unseen[k] for t, k in parts if t in source and k in source[t].unseen]
        if any((t, k) in rejected for t, k in parts):
            groups.setdefault((WARNING, "quarantined by the transform (see processed/_rejects)"), []).append(key)
        elif reasons:
            groups.setdefault((WARNING, f"not landed yet: {reasons[0]}"), []).append(key)
        else:
            groups.setdefault((ERROR, problem), []).append(key)
    for (severity, why), group in sorted(groups.items()):
        report.add(severity, table, check, f"{len(group)} row(s) {why}: {_sample(group)}")


def compare_rows(report: Report, wh, source: Dict[str, SourceRows], rejected: Set[Tuple[str, Any]]) -> None:
    for table in schema.FACTS:
        origin = MAIN_SOURCE[table.name]
        if origin not in source:
            continue
        columns = ", ".join(_q(c.name) for c in table.data_columns)
        versions: Dict[Any, Set[Tuple[Any, ...]]] = {}
        for row in wh.execute(f"SELECT {columns} FROM {_q(table.name)}"):  # nosec B608
            versions.setdefault(row[0], set()).add(tuple(row))
        rows = source[origin].rows
        report.counts[table.name]["source"] = len(rows)
        missing = {k: [(origin, k)] for k, r in rows.items() if expected_fact(table, r) not in versions.get(k, ())}
        _classify(
            report,
            table.name,
            "source = warehouse",
            "current version missing from the warehouse",
            missing,
            source,
            rejected,
        )
        gone = set(versions) - set(rows)
        if gone:
            report.add(
                WARNING, table.name, "deleted in source", f"{len(gone)} id(s) no longer in ToteSys: {_sample(gone)}"
            )
    for dim, expected in expected_dimensions(source).items():
        table = schema.star_table(dim)
        columns = ", ".join(_q(c.name) for c in table.data_columns)
        actual = {r[0]: tuple(r) for r in wh.execute(f"SELECT {columns} FROM {_q(dim)}")}  # nosec B608
        report.counts[dim]["source"] = len(expected)
        differs = {k: parts for k, (row, parts) in expected.items() if actual.get(k) != row}
        _classify(report, dim, "source = warehouse", "missing or different in the warehouse", differs, source, rejected)
        gone = set(actual) - set(expected)
        if gone:
            report.add(WARNING, dim, "deleted in source", f"{len(gone)} id(s) no longer in ToteSys: {_sample(gone)}")


# --- the whole check ----------------------------------------------------------------------------------
def reconcile(
    source_dsn: Optional[str] = None,
    warehouse_dsn: Optional[str] = None,
    lake: Optional[str] = None,
    rows: bool = True,
) -> Report:
    """Run every check against the configured (or given) source, lake and warehouse.

    ``rows=False`` skips the row-by-row source comparison, whose cost (and memory) grows with the
    whole source: counts, orphans, duplicates, foreign keys and the calendar are still checked."""
    import psycopg

    lake = lake or config.lake_uri()
    landing_uri, processed_uri = config.landing_uri(lake), config.processed_uri(lake)
    report = Report()
    landing, processed = _manifests(landing_uri), _manifests(processed_uri)
    consumed = bookmarks.load(config.state_uri(lake), "transform").get("consumed", [])
    rejected_counts = check_batches(report, landing, processed, consumed)
    check_landing_orphans(report, landing_uri, landing)
    if processed_uri.startswith("file:"):
        check_processed(report, processed_uri, config.catalog_uri(lake), processed)
    else:
        report.add(WARNING, "-", "processed", "processed-zone checks read a file:// lake only; skipped")
    with (
        psycopg.connect(source_dsn or config.source_dsn()) as src,
        psycopg.connect(warehouse_dsn or config.warehouse_dsn()) as wh,
    ):
        check_warehouse(report, wh, processed)
        if rows:
            source = read_source(src, _ingest_state())
            compare_rows(report, wh, source, _rejected_ids(processed) if any(rejected_counts.values()) else set())
    return report


def format_report(result: Dict[str, Any], counts: bool = True) -> str:
    """The counts per table (optional), every finding, and the verdict; ``result`` is ``Report.as_dict()``."""
    from gamboge.ops.query import format_table

    findings = [Finding(**f) for f in result["findings"]]
    parts = []
    if counts:
        header = ["table", "source", "landed", "rejected", "processed", "loaded", "errors", "warnings"]
        rows = []
        for table in schema.STAR_TABLES:
            c = result["counts"][table.name]
            mine = [f for f in findings if f.table == table.name]
            errors = sum(f.severity == ERROR for f in mine)
            rows.append([table.name, *[c.get(k, "") for k in header[1:6]], errors, len(mine) - errors])
        parts.append(format_table(header, rows, limit=len(rows)).rsplit("\n", 1)[0])
    if findings:
        table = format_table(["severity", "table", "check", "detail"], [list(f) for f in findings], len(findings))
        parts.append(table.rsplit("\n", 1)[0])
    verdict = "OK" if result["ok"] else "MISMATCH"
    parts.append(f"check: {verdict} ({result['errors']} error(s), {result['warnings']} warning(s))")
    return "\n\n".join(parts)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--fail-on-warnings", action="store_true", help="exit non-zero on warnings too (silent drift)")
    parser.add_argument(
        "--counts-only",
        action="store_true",
        help="skip the row-by-row comparison with the source (its time and memory grow with the source)",
    )


def main(args: argparse.Namespace) -> int:
    report = reconcile(rows=not args.counts_only)
    print(json.dumps(report.as_dict(), indent=2, default=str) if args.json else format_report(report.as_dict()))
    failed = report.errors or (args.fail_on_warnings and report.warnings)
    return EXIT_MISMATCH if failed else 0
