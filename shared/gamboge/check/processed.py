"""The processed zone as a reader sees it: DuckDB over the Parquet the catalog points at.

No fact file that no committed manifest names, every dimension's catalog location is the snapshot
the latest committed manifest names (of a bucketed one, every partition's location is its
bucket's), no fact version twice, no foreign key without its dimension row, fact rows visible =
rows the manifests committed. Reads a ``file://`` lake's file catalog.

What was committed comes from the committed state (``gamboge.lake.committed``) and the latest
manifest, which names every table's current snapshot: no step reads every manifest."""

from typing import Any, Dict, List, Set

from gamboge.check.queries import fk_orphans_sql
from gamboge.check.report import ERROR, Report, sample
from gamboge.common import schema
from gamboge.lake import buckets, committed
from gamboge.lake.contracts import CommittedState
from gamboge.ops.query import connect
from gamboge.transform.catalog import FileCatalog, cataloged_locations

Manifests = Dict[str, Dict[str, Any]]  # batch id → processed manifest body, oldest first


def check_processed(
    report: Report, processed_uri: str, catalog_uri: str, state: CommittedState, latest: Manifests
) -> None:
    """``latest``: the newest committed manifest (by its batch id), or nothing."""
    check_fact_orphans(report, processed_uri, committed.file_set(state))
    catalog = FileCatalog(catalog_uri)
    entries = catalog.tables()
    check_catalog_locations(report, entries, latest)
    if not entries:
        return
    conn = connect(catalog)
    try:
        for table in schema.STAR_TABLES:
            if table.name in entries:
                _check_visible_table(report, conn, table, entries, state["rows"])
    finally:
        conn.close()


def check_fact_orphans(report: Report, processed_uri: str, committed_files: Set[str]) -> None:
    """Fact files in the zone that no committed manifest (or compaction record) names."""
    # The lake's commit rule (manifests and compaction records): gamboge.lake.committed.
    orphans = committed.fact_orphans(processed_uri, committed_files)
    for fact in schema.FACTS:
        stray = orphans[fact.name]
        if stray:
            report.add(
                ERROR,
                fact.name,
                "processed orphans",
                f"{len(stray)} file(s) no committed manifest names: {sample(stray)}",
            )


def latest_locations(processed: Manifests) -> Dict[str, List[str]]:
    """Table → the locations the newest committed manifest gives it (one snapshot, or its buckets')."""
    locations: Dict[str, List[str]] = {}
    for body in processed.values():  # oldest first: the newest committed entry wins
        for name, entry in body.get("tables", {}).items():
            if buckets.locations(entry):
                locations[name] = buckets.locations(entry)
    return locations


def check_catalog_locations(report: Report, entries: Dict[str, Any], processed: Manifests) -> None:
    """Every dimension's catalog entry points at the snapshot the latest committed manifest names."""
    latest = latest_locations(processed)
    for dim in schema.DIMENSIONS:
        cataloged = cataloged_locations(entries.get(dim.name, {}))
        if processed and cataloged != latest.get(dim.name, []):
            report.add(
                ERROR,
                dim.name,
                "catalog",
                f"the catalog points at {', '.join(cataloged) or None}, "
                f"the committed snapshot is {', '.join(latest.get(dim.name, [])) or None}",
            )


def _check_visible_table(
    report: Report, conn, table: schema.StarTable, entries: Dict[str, Any], committed_rows: Dict[str, int]
) -> None:
    # Names below come from shared/gamboge/common/schema.py, never from data.
    visible = conn.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]  # nosec B608
    report.counts[table.name]["processed"] = visible
    if table.is_fact:
        _check_fact_rows(report, table, visible, committed_rows.get(table.name, 0))
        _check_fact_versions(report, conn, table)
        _check_fact_keys(report, conn, table, entries)


def _check_fact_rows(report: Report, table: schema.StarTable, visible: int, manifest_rows: int) -> None:
    """Fact rows a reader sees = the rows the committed manifests list."""
    if visible != manifest_rows:
        report.add(
            ERROR,
            table.name,
            "processed rows",
            f"readers see {visible} row(s), manifests committed {manifest_rows}",
        )


def _check_fact_versions(report: Report, conn, table: schema.StarTable) -> None:
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


def _check_fact_keys(report: Report, conn, table: schema.StarTable, entries: Dict[str, Any]) -> None:
    """Every foreign key of the fact has its row in the (catalogued) dimension."""
    for fk in table.foreign_keys:
        if fk.ref_table not in entries:
            continue
        orphans = conn.execute(fk_orphans_sql(table, fk)).fetchall()
        if orphans:
            report.add(
                ERROR,
                table.name,
                "FK orphans (processed)",
                f"{fk.column} → {fk.ref_table}: no row for {sample(r[0] for r in orphans)}",
            )
