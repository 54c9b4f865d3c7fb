"""Source ↔ warehouse, row by row: what every current ToteSys row must be in the star, and whether
the warehouse holds it.

``expected_fact`` and ``expected_dimensions`` restate the star rules of
shared/gamboge/transform/star.py in plain Python, on purpose: an oracle independent of the Spark code
it checks. A row that differs is an ERROR unless the pipeline could not have had it yet: a source
row changed since the last ingest's snapshot (its xmin is in the window the next ingest reads), or
a row the transform quarantined. Both are WARNINGs, as are warehouse rows whose source row is gone
(deletes are recorded, not propagated). A source row the ingest should have landed and did not is
an ERROR of its own: the local form of the ingest's audit.
"""

import datetime
import json
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Set, Tuple

from gamboge.check.queries import q
from gamboge.check.report import ERROR, WARNING, Report, sample
from gamboge.common import config, schema
from gamboge.common.postgres import columns_of
from gamboge.ingest.capture import SnapshotXids, selects, xmin_window
from gamboge.ingest.fingerprints import live_fingerprints
from gamboge.ingest.rowsql import line_expression
from gamboge.lake import bookmarks, storage
from gamboge.transform.star_sources import FACT_SOURCES, MAIN_SOURCE

CHANGED_SINCE_INGEST = "changed since the last ingest's snapshot"
NOT_INGESTED = "table not ingested yet"
MISSED = "differs from what the ingest landed, though it changed before the last ingest's snapshot"


class SourceRows(NamedTuple):
    rows: Dict[Any, Dict[str, Any]]  # id → row
    unseen: Dict[Any, str]  # id → why the last ingest could not have landed this content yet
    missed: List[Any]  # ids whose content the last ingest should have landed and did not


def ingest_state() -> Dict[str, Any]:
    return bookmarks.load(config.state_uri(), "ingest").get("tables", {})


def _snapshot_xids(conn) -> SnapshotXids:
    xmin, xmax = conn.execute(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
        " pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
    ).fetchone()
    return SnapshotXids(xmin, xmax)


def read_source(conn, state: Dict[str, Any]) -> Dict[str, SourceRows]:
    """Every current source row, and which of them the last ingest has not landed as they are now:
    those changed since its snapshot (by xmin, as the next ingest reads them) are pending; any
    other is missed by the capture."""
    from psycopg import sql
    from psycopg.rows import dict_row

    live = columns_of(conn, schema.SOURCE_TABLE_NAMES)
    now = _snapshot_xids(conn)
    out: Dict[str, SourceRows] = {}
    for table in schema.SOURCE_TABLES:
        if table.name not in live:
            continue  # ingest reports a missing table; nothing to compare here
        entry = state.get(table.name, {})
        landed = dict(live_fingerprints(entry.get("fingerprints", [])))
        window = xmin_window(int(entry["xmin"]), now) if "xmin" in entry else None
        statement = sql.SQL("SELECT md5({}) AS _md5, src.xmin::text::bigint AS _xmin, src.* FROM {} AS src").format(
            line_expression(live[table.name]), sql.Identifier(table.name)
        )
        rows, unseen, missed = {}, {}, []
        with conn.cursor(row_factory=dict_row) as cursor:
            for row in cursor.execute(statement):
                key = row[table.primary_key]
                rows[key] = row
                if landed.get(key) == row["_md5"].encode():
                    continue
                if window is None:
                    unseen[key] = NOT_INGESTED if "xmin" not in entry else CHANGED_SINCE_INGEST
                elif selects(window, row["_xmin"]):
                    unseen[key] = CHANGED_SINCE_INGEST
                else:
                    missed.append(key)
        out[table.name] = SourceRows(rows, unseen, missed)
    return out


def report_missed(report: Report, source: Dict[str, SourceRows]) -> None:
    """The local audit: a source row whose content the ingest should have landed and did not."""
    for table, rows in source.items():
        if rows.missed:
            report.add(ERROR, table, "source = landed", f"{len(rows.missed)} row(s) {MISSED}: {sample(rows.missed)}")


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
    source = schema.source_table(FACT_SOURCES[table.name])
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


def rejected_ids(rejects_uris: Iterable[str]) -> Set[Tuple[str, Any]]:
    """(source table, id) of every quarantined row whose id could be read (``rejects_uris``: where
    the batches wrote their rejects)."""
    out: Set[Tuple[str, Any]] = set()
    for rejects_uri in rejects_uris:
        for uri in storage.list_uris(rejects_uri, suffix=".json"):
            for line in storage.read_text(uri).splitlines():
                reject = json.loads(line)
                try:
                    record = json.loads(reject.get("record") or "")
                    key = record.get(schema.source_table(reject["table"]).primary_key)
                    out.add((reject["table"], int(key)))
                except (ValueError, TypeError, AttributeError, KeyError):
                    continue  # a malformed line names no id; the counts still account for it
    return out


def classify(
    report: Report,
    table: str,
    check: str,
    problem: str,
    keys: Dict[Any, List[Tuple[str, Any]]],
    source: Dict[str, SourceRows],
    rejected: Set[Tuple[str, Any]],
) -> None:
    """Split mismatching keys into errors (the pipeline had the row and lost it) and warnings.

    ``keys``: star key → the source rows (table, id) it is made of. A key is a warning when one of
    them was quarantined (``rejected``) or not landed as it is now (``source[table].unseen``)."""
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
        report.add(severity, table, check, f"{len(group)} row(s) {why}: {sample(group)}")


def compare_rows(report: Report, wh, source: Dict[str, SourceRows], rejected: Set[Tuple[str, Any]]) -> None:
    """Every current source row against the warehouse: facts hold its current version, dimensions
    equal what the source makes of them; warehouse ids the source no longer has are warnings."""
    for table in schema.FACTS:
        origin = MAIN_SOURCE[table.name]
        if origin not in source:
            continue
        columns = ", ".join(q(c.name) for c in table.data_columns)
        versions: Dict[Any, Set[Tuple[Any, ...]]] = {}
        for row in wh.execute(f"SELECT {columns} FROM {q(table.name)}"):  # nosec B608
            versions.setdefault(row[0], set()).add(tuple(row))
        rows = source[origin].rows
        report.counts[table.name]["source"] = len(rows)
        missing = {k: [(origin, k)] for k, r in rows.items() if expected_fact(table, r) not in versions.get(k, ())}
        classify(
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
                WARNING, table.name, "deleted in source", f"{len(gone)} id(s) no longer in ToteSys: {sample(gone)}"
            )
    for dim, expected in expected_dimensions(source).items():
        table = schema.star_table(dim)
        columns = ", ".join(q(c.name) for c in table.data_columns)
        actual = {r[0]: tuple(r) for r in wh.execute(f"SELECT {columns} FROM {q(dim)}")}  # nosec B608
        report.counts[dim]["source"] = len(expected)
        differs = {k: parts for k, (row, parts) in expected.items() if actual.get(k) != row}
        classify(report, dim, "source = warehouse", "missing or different in the warehouse", differs, source, rejected)
        gone = set(actual) - set(expected)
        if gone:
            report.add(WARNING, dim, "deleted in source", f"{len(gone)} id(s) no longer in ToteSys: {sample(gone)}")
