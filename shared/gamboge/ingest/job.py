"""Ingest: ToteSys PostgreSQL → landing zone (JSON Lines), incremental, with silent-update reconciliation.

gamboge ingest [--job-bookmark-option job-bookmark-enable|-disable|-pause] [--tables a,b]
               [--reconcile auto|always|never] [--landing_uri URI] [--state_uri URI]
glue_jobs/ingest_totesys.py --landing_uri URI --state_uri URI --source_secret_id ID … (as Glue starts it)

One run: open the source's snapshot (``source``), plan each table from the previous bookmark,
run the tables over the snapshot's connections (``table_job``), then record the run.

Order of durability: data files, then the manifest, then fingerprints named by the bookmark, then
the bookmark. A run that extracts nothing still writes a manifest, with ``"empty": true``: the run
and its snapshot time stay on record, and the transform skips it cheaply.

Imported by the ingest Glue job (Python 3.9). psycopg is imported inside functions so that the
``gamboge`` command line stays fast.
"""

import argparse
import time
from typing import Any, Dict, List, Optional

from gamboge.common import faults, glue_args, logs, schema
from gamboge.common.postgres import CatalogColumn, columns_of
from gamboge.common.redact import redact
from gamboge.ingest.model import JOB, KIND_FULL, KIND_INCREMENTAL, IngestError, RunContext, TablePlan, TableResult
from gamboge.ingest.settings import (
    DEFAULTS,
    Settings,
    argument_defaults,
    described_arguments,
    settings_from_arguments,
)
from gamboge.ingest.source import (
    Source,
    begin_snapshot,
    check_schema,
    export_snapshot,
    source_from_settings,
    table_sizes,
)
from gamboge.ingest.table_job import TableJob
from gamboge.ingest.workers import run_workers
from gamboge.lake import bookmarks, manifests, storage, workflow_run

SUMMARY = "Glue Python shell job: ToteSys PostgreSQL to landing JSON Lines, incremental, one snapshot per run."
WORKERS = 2  # two connections in one snapshot: Glue Python shell gets 1 DPU, a local laptop 2+ cores

CRASH_AFTER_DATA_FILES = "ingest:after-data-files"  # landing files written, manifest not yet
CRASH_BEFORE_BOOKMARK = "ingest:before-bookmark"  # manifest written, bookmark not yet

log = logs.get(JOB)


# --- planning -------------------------------------------------------------------------------------
def _reconcile_due(settings: Settings, state: Dict[str, Any], kind: str, now_epoch: float) -> bool:
    if settings.reconcile == "never" or kind == KIND_FULL or settings.bookmark_option == bookmarks.DISABLE:
        return False  # a full extract lands every row: nothing can have changed unseen
    if settings.reconcile == "always":
        return True
    last = state.get("reconciled_epoch")
    return last is None or now_epoch - float(last) >= settings.reconcile_every_hours * 3600


def plan_tables(
    settings: Settings, live: Dict[str, List[CatalogColumn]], added: Dict[str, List[str]], previous: Dict[str, Any]
) -> List[TablePlan]:
    plans = []
    use_bookmark = settings.bookmark_option != bookmarks.DISABLE
    for name in settings.tables:
        state = previous.get("tables", {}).get(name, {}) if use_bookmark else {}
        kind = KIND_INCREMENTAL if state.get("watermark") else KIND_FULL
        plans.append(
            TablePlan(
                table=schema.source_table(name),
                columns=live[name],
                added=added[name],
                kind=kind,
                watermark=state.get("watermark") if kind == KIND_INCREMENTAL else None,
                boundary=state.get("boundary", []) if kind == KIND_INCREMENTAL else [],
                fingerprints=state.get("fingerprints", []),
                reconcile=False,  # decided once the snapshot's clock is known
            )
        )
    return plans


# --- logging ---------------------------------------------------------------------------------------
def _log_table(result: TableResult) -> None:
    rows = sum(f.rows for f in result.files)
    size = sum(f.bytes for f in result.files)
    fields = dict(
        table=result.plan.table.name,
        rows=rows,
        bytes=size,
        seconds=round(result.seconds, 3),
        kind=result.plan.kind,
        reconciled=result.reconciled,
        schema_drift_added=result.plan.added,
    )
    if logs.log_format() == "json":
        logs.event(log, "table landed", **fields)
        return
    extra = ""
    if result.reconciled:
        extra = ", reconciled {changed} changed / {new} new".format(**result.reconciled)
    log.info(
        "  %-15s %9d rows %10.1f kB %7.2fs  %s%s",
        result.plan.table.name,
        rows,
        size / 1000.0,
        result.seconds,
        result.plan.kind,
        extra,
    )


# --- what the run records -------------------------------------------------------------------------
def manifest_body(settings: Settings, context: RunContext, results: Dict[str, TableResult]) -> Dict[str, Any]:
    tables = {}
    for name in settings.tables:
        result = results[name]
        tables[name] = {
            "rows": sum(f.rows for f in result.files),
            "files": [f._asdict() for f in result.files],
            "low_watermark": result.low_watermark,
            "high_watermark": result.high_watermark,
            "reconciled": result.reconciled,
            "schema_drift": {"added": result.plan.added, "dropped": []},
        }
    return {
        "job": JOB,
        "run_id": context.run_id,
        "snapshot_time": context.snapshot_time,
        "bookmark_option": settings.bookmark_option,
        "empty": not any(t["rows"] for t in tables.values()),
        "tables": tables,
    }


def next_bookmark(
    previous: Dict[str, Any], context: RunContext, results: Dict[str, TableResult], manifest: str
) -> Dict[str, Any]:
    tables = dict(previous.get("tables", {}))
    for name, result in results.items():
        entry = dict(tables.get(name, {}))
        entry.update(
            watermark=result.watermark,
            boundary=result.boundary,
            fingerprints=result.fingerprints,
            columns=[c.name for c in result.plan.columns],
        )
        if result.reconciled is not None or result.plan.kind == KIND_FULL:
            entry.update(reconciled_at=context.snapshot_time, reconciled_epoch=context.snapshot_epoch)
        tables[name] = entry
    return {
        "job": JOB,
        "run_id": context.run_id,
        "snapshot_time": context.snapshot_time,
        "manifest": manifest,
        "tables": tables,
    }


def _forget_fingerprints(previous: Dict[str, Any], current: Dict[str, Any]) -> None:
    """Delete fingerprint files the new bookmark no longer names (best effort: they are only state)."""
    keep = {uri for entry in current.get("tables", {}).values() for uri in entry.get("fingerprints", [])}
    for entry in previous.get("tables", {}).values():
        for uri in entry.get("fingerprints", []):
            if uri not in keep:
                try:
                    storage.delete(uri)
                except Exception as exc:  # noqa: BLE001 - a stale file costs storage, not correctness
                    log.warning("could not delete old fingerprint %s: %s", uri, exc)


# --- the run --------------------------------------------------------------------------------------
def run(settings: Settings, source: Optional[Source] = None) -> Dict[str, Any]:
    """One ingest run; returns the manifest body. Raises IngestError with an actionable message."""
    import psycopg

    source = source or source_from_settings(settings)
    started = time.monotonic()
    previous = bookmarks.load(settings.state_uri, JOB) if settings.bookmark_option != bookmarks.DISABLE else {}
    run_id = manifests.new_run_id()
    connections = []
    try:
        leader = source.connect()
        connections.append(leader)
        context = export_snapshot(leader, run_id)
        live = columns_of(leader, settings.tables)
        added = check_schema(live, settings.tables)
        for name, columns in added.items():
            if columns:
                log.warning("schema drift: %s has new column(s) %s; carried into landing", name, ", ".join(columns))
        plans = [
            p._replace(
                reconcile=_reconcile_due(
                    settings, previous.get("tables", {}).get(p.table.name, {}), p.kind, context.snapshot_epoch
                )
            )
            for p in plan_tables(settings, live, added, previous)
        ]
        sizes = table_sizes(leader, settings.tables)
        plans.sort(key=lambda p: -float(sizes.get(p.table.name) or 0))
        for _ in range(min(WORKERS, len(plans)) - 1):
            follower = source.connect()
            connections.append(follower)
            begin_snapshot(follower, context.snapshot)
        log.info(
            "ingest %s from %s (%s, snapshot %s)",
            run_id,
            source.description,
            settings.bookmark_option,
            context.snapshot_time,
        )
        jobs = [TableJob(plan, settings, context) for plan in plans]
        results = run_workers(connections, jobs, _log_table)
    except psycopg.Error as exc:
        raise IngestError("source database error: " + redact(str(exc), source.secrets)) from None
    finally:
        for connection in connections:
            try:
                connection.rollback()
                connection.close()
            except Exception:  # noqa: BLE001, S110 - closing after a failure must not mask it
                pass

    body = manifest_body(settings, context, results)
    faults.crash_point(CRASH_AFTER_DATA_FILES)
    manifest = manifests.write_manifest(settings.landing_uri, run_id, body)
    faults.crash_point(CRASH_BEFORE_BOOKMARK)
    if settings.bookmark_option == bookmarks.ENABLE:
        bookmark = next_bookmark(previous, context, results, manifest)
        bookmarks.save(settings.state_uri, JOB, bookmark)
        _forget_fingerprints(previous, bookmark)
    total_rows = sum(t["rows"] for t in body["tables"].values())
    logs.event(
        log,
        "ingest finished: nothing new (empty manifest written)" if body["empty"] else "ingest finished",
        run_id=run_id,
        rows=total_rows,
        bytes=sum(f["bytes"] for t in body["tables"].values() for f in t["files"]),
        seconds=round(time.monotonic() - started, 3),
        manifest=manifest,
        bookmark="saved" if settings.bookmark_option == bookmarks.ENABLE else "unchanged",
    )
    return dict(body, run_id=run_id)


def run_job(arguments: Dict[str, Optional[str]]) -> int:
    """Run with resolved arguments (the Glue script's, `gamboge ingest`'s or a test's); the exit status."""
    try:
        result = run(settings_from_arguments(arguments))
        workflow_run.publish(arguments, workflow_run.LANDING_MANIFEST, result["run_id"])
    except (IngestError, ValueError) as exc:
        log.error("ingest failed: %s (bookmark unchanged)", exc)
        return 1
    return 0


# --- entry points: the Glue script and `gamboge ingest` ---------------------------------------------
def glue_main(argv: List[str]) -> int:
    """glue_jobs/ingest_totesys.py: ``argv`` is the whole ``sys.argv`` Glue built."""
    arguments, status = glue_args.start_job(
        "ingest",
        argv,
        SUMMARY,
        described_arguments(),
        dict(argument_defaults(), **workflow_run.ARGUMENTS),
        glue_bookmark=True,
    )
    if arguments is None:
        return status
    return run_job(arguments)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    described = described_arguments()
    for name, default in argument_defaults().items():
        help_text = described[name] + (f" (default {default})" if default else "")
        parser.add_argument("--" + name, dest=name, default=default, help=help_text)
    parser.add_argument(
        glue_args.BOOKMARK_FLAG,
        dest=glue_args.BOOKMARK_KEY,
        choices=bookmarks.OPTIONS,
        default=DEFAULTS[glue_args.BOOKMARK_KEY],
        help="Glue's bookmark option: enable (incremental), disable (full extract, bookmark unchanged), pause "
        "(incremental, bookmark unchanged) (default %(default)s)",
    )


def main(args: argparse.Namespace) -> int:
    names = list(argument_defaults()) + [glue_args.BOOKMARK_KEY]
    return glue_main(glue_args.to_argv({name: getattr(args, name, None) for name in names}, "gamboge ingest"))
