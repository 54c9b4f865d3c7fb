"""Batch accounting across the zones, from their manifests alone: the files every landing manifest
names exist, landed = processed + rejected per batch and source table, nothing left pending, and
landing files no manifest names. Each step takes the documents to verify (those committed since
the last check, ``gamboge.check.checkpoint``) and the totals folded so far."""

import datetime
from typing import Any, Dict, Iterable, List, Optional

from gamboge.check.report import ERROR, WARNING, Report, sample
from gamboge.common import schema
from gamboge.lake import contracts, cursor, storage
from gamboge.lake.contracts import CheckCheckpoint
from gamboge.transform.star_sources import MAIN_SOURCE

Manifests = Dict[str, Dict[str, Any]]  # run id → manifest body, oldest first


def check_landing_files(report: Report, landing: Manifests) -> None:
    for body in landing.values():
        for table, entry in body.get("tables", {}).items():
            for f in entry.get("files", []):
                if not storage.exists(f["uri"]):
                    report.add(
                        ERROR, table, "landing", f"landing manifest {body.get('run_id')} lists missing {f['uri']}"
                    )


def check_batches(report: Report, inputs: Manifests, processed: Manifests) -> None:
    """landed = processed + rejected per batch and table (``inputs``: the landing manifests the
    batches read)."""
    for batch_id, body in processed.items():
        listed: Dict[str, int] = {}
        for run_id in body.get("inputs", []):
            if run_id not in inputs:
                report.add(
                    ERROR, "-", "batch", f"processed batch {batch_id} consumed {run_id}, no such landing manifest"
                )
                continue
            for table, entry in inputs[run_id].get("tables", {}).items():
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


def check_pending(report: Report, pending: List[str]) -> None:
    """``pending``: the landing manifests the transform's bookmark has not taken."""
    if pending:
        report.add(ERROR, "-", "pending", f"{len(pending)} landing manifest(s) not transformed yet: {sample(pending)}")


def report_counts(report: Report, verified: CheckCheckpoint) -> None:
    for star_table, source in MAIN_SOURCE.items():
        if source:
            report.counts[star_table]["landed"] = verified["landed"].get(source, 0)
            report.counts[star_table]["rejected"] = verified["rejected"].get(source, 0)


def check_landing_orphans(report: Report, landing_uri: str, committed_ids: Iterable[str], since: Optional[str]) -> None:
    """Landing files of runs that committed no manifest: a crashed ingest's (never read).

    ``committed_ids``: the landing manifests listed from ``since`` (a run-id prefix; None: from the
    beginning). Only files of runs from ``since`` on are looked at, and only the ingest dates from
    a day before it are listed: an earlier check saw the older ones."""
    named = set(committed_ids)
    stray = []
    for table in schema.SOURCE_TABLE_NAMES:
        root = storage.join(landing_uri, table)
        start = None
        if since:
            first_day = cursor.run_time(since).date() - datetime.timedelta(days=1)
            start = storage.join(root, "ingest_date=" + first_day.isoformat())
        for uri in storage.list_uris(root, start_after=start):
            if not uri.endswith(contracts.LANDING_FILE_SUFFIXES):
                continue
            run_id = contracts.run_id_of_landing_file(uri)
            if run_id not in named and (since is None or run_id >= since):
                stray.append(uri)
    if stray:
        report.add(
            WARNING,
            "-",
            "landing orphans",
            f"{len(stray)} landing file(s) no manifest names (never read): {sample(stray)}",
        )


def check_capture(report: Report, verified: CheckCheckpoint) -> None:
    """What the ingest's capture recorded: rows deleted in the source (WARNING: the star keeps
    them as history), and each table's latest audit after an incremental read, which must have
    found nothing (ERROR otherwise: the capture missed a change, which that audit then landed)."""
    for table, deleted in sorted(verified["deleted"].items()):
        report.add(
            WARNING,
            table,
            "deleted in source",
            f"{deleted['rows']} row(s) deleted in ToteSys, recorded by the ingest (kept in the star as history): "
            + sample(deleted["ids"]),
        )
    for table, (run_id, counts) in sorted(verified["audits"].items()):
        if any(counts.values()):
            report.add(
                ERROR,
                table,
                "audit",
                f"the audit of ingest run {run_id} found rows the change capture missed (landed by that run): "
                + ", ".join(f"{v} {k}" for k, v in counts.items()),
            )
