"""Batch accounting across the zones, from their manifests alone: every landing manifest consumed
by a processed batch, landed = processed + rejected per batch and source table, and landing files
no manifest names."""

from typing import Any, Dict, List

from gamboge.check.report import ERROR, WARNING, Report, sample
from gamboge.common import schema
from gamboge.lake import manifests, storage
from gamboge.transform.star_sources import MAIN_SOURCE


def load_manifests(zone_uri: str) -> Dict[str, Any]:
    """run id → manifest body, for every committed manifest of a zone, oldest first."""
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
        report.add(ERROR, "-", "pending", f"{len(pending)} landing manifest(s) not transformed yet: {sample(pending)}")
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
            f"{len(stray)} landing file(s) no manifest names (never read): {sample(stray)}",
        )


def check_capture(report: Report, landing: Dict[str, Dict[str, Any]]) -> None:
    """What the ingest's capture recorded: rows deleted in the source (WARNING: the star keeps
    them as history), and each table's latest audit after an incremental read, which must have
    found nothing (ERROR otherwise: the capture missed a change, which that audit then landed)."""
    deleted: Dict[str, List[Any]] = {}
    deleted_rows: Dict[str, int] = {}
    audits: Dict[str, Any] = {}
    for run_id, body in landing.items():  # oldest first
        for table, entry in body.get("tables", {}).items():
            if entry.get("deleted"):
                deleted_rows[table] = deleted_rows.get(table, 0) + entry["deleted"]["rows"]
                deleted.setdefault(table, []).extend(entry["deleted"]["ids"])
            capture = entry.get("capture") or {}
            if entry.get("audit") is not None and capture.get("kind") == "incremental":
                audits[table] = (run_id, entry["audit"])
    for table, count in sorted(deleted_rows.items()):
        report.add(
            WARNING,
            table,
            "deleted in source",
            f"{count} row(s) deleted in ToteSys, recorded by the ingest (kept in the star as history): "
            + sample(deleted[table]),
        )
    for table, (run_id, counts) in sorted(audits.items()):
        if any(counts.values()):
            report.add(
                ERROR,
                table,
                "audit",
                f"the audit of ingest run {run_id} found rows the change capture missed (landed by that run): "
                + ", ".join(f"{v} {k}" for k, v in counts.items()),
            )
