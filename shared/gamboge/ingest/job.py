"""Ingest: ToteSys PostgreSQL → landing zone (JSON Lines), every change of every run, by xmin.

gamboge ingest [--job-bookmark-option job-bookmark-enable|-disable|-pause] [--tables a,b]
               [--audit auto|always|never] [--landing_uri URI] [--state_uri URI]
glue_jobs/ingest_totesys.py --landing_uri URI --state_uri URI --source_secret_id ID … (as Glue starts it)

One run: open the source's snapshot (``source``), plan each table from the previous bookmark,
run the tables over the snapshot's connections (``table_job``), then record the run.

Order of durability: data files and this run's fingerprint files, then the manifest, then the
bookmark that names them (a crash before it leaves both unnamed: the rerun reads the same window
again). A run that extracts nothing still writes a manifest, with ``"empty": true``: the run and its
snapshot stay on record, and the transform records it as consumed without starting Spark.

Imported by the ingest Glue job (Python 3.9). psycopg is imported inside functions so that the
``gamboge`` command line stays fast.
"""

import argparse
import logging
import time
from typing import Any, Dict, List, Optional

from gamboge.common import faults, glue_args, logs, schema
from gamboge.common.postgres import CatalogColumn, columns_of
from gamboge.common.redact import redact
from gamboge.ingest import capture
from gamboge.ingest.model import (
    JOB,
    KIND_AUDIT,
    KIND_FULL,
    KIND_INCREMENTAL,
    IngestError,
    RunContext,
    TablePlan,
    TableResult,
)
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
from gamboge.lake import bookmarks, cursor, manifests, storage, workflow_run

SUMMARY = "Glue Python shell job: ToteSys PostgreSQL to landing JSON Lines, incremental, one snapshot per run."
WORKERS = 2  # two connections in one snapshot: Glue Python shell gets 1 DPU, a local laptop 2+ cores

# The log event an audit logs when it finds changes the capture missed; terraform alarms on it.
AUDIT_MISSED = "audit found changes the capture missed"

CRASH_AFTER_DATA_FILES = "ingest:after-data-files"  # landing files written, manifest not yet
CRASH_BEFORE_BOOKMARK = "ingest:before-bookmark"  # manifest written, bookmark not yet

log = logs.get(JOB)


# --- planning -------------------------------------------------------------------------------------
def _audit_due(settings: Settings, state: Dict[str, Any], now_epoch: float) -> bool:
    if settings.audit == "never" or settings.bookmark_option != bookmarks.ENABLE:
        return False  # an audit resets the baseline: only a run that saves its bookmark may
    if settings.audit == "always":
        return True
    last = state.get("audited_epoch")
    return last is None or now_epoch - float(last) >= settings.audit_every_hours * 3600


def plan_table(
    settings: Settings, table: schema.Table, columns: List[CatalogColumn], added: List[str], state: Dict[str, Any],
    context: RunContext,
) -> TablePlan:  # fmt: skip
    """How this run reads one table, from its bookmark entry (``{}`` when bookmarks are disabled)."""
    plan = TablePlan(table, columns, added, KIND_FULL, None, [], None, False, "no bookmark yet")
    if settings.bookmark_option == bookmarks.DISABLE:
        return plan._replace(reason="bookmarks disabled")
    if not state.get("fingerprints"):
        return plan
    plan = plan._replace(kind=KIND_AUDIT, fingerprints=list(state["fingerprints"]), known_rows=state.get("rows"))
    live = [c.name for c in columns]
    if "xmin" not in state:
        return plan._replace(reason="bookmark from before xmin capture: one audit starts it")
    if state.get("columns") != live:
        return plan._replace(reason="columns changed since the last run: every row is rendered anew")
    window = capture.xmin_window(int(state["xmin"]), context.xids)
    if window is None:
        return plan._replace(reason=capture.resync_reason(int(state["xmin"]), context.xids))
    audit = _audit_due(settings, state, context.snapshot_epoch)
    reason = "rows changed since the last snapshot" + (", then an audit" if audit else "")
    return plan._replace(kind=KIND_INCREMENTAL, window=window, audit=audit, reason=reason)


# --- logging ---------------------------------------------------------------------------------------
def _log_table(result: TableResult) -> None:
    rows = sum(f.rows for f in result.files)
    size = sum(f.bytes for f in result.files)
    audit = result.audit._asdict() if result.audit else None
    fields = dict(
        table=result.plan.table.name,
        rows=rows,
        bytes=size,
        seconds=round(result.seconds, 3),
        kind=result.plan.kind,
        read=result.read,
        unchanged=result.unchanged,
        deleted=result.deleted,
        audit=audit,
        schema_drift_added=result.plan.added,
    )
    if result.plan.kind != KIND_INCREMENTAL:
        fields["reason"] = result.plan.reason
    if result.plan.kind == KIND_INCREMENTAL and result.audit and any(result.audit):
        logs.event(log, AUDIT_MISSED, level=logging.ERROR, **fields)
    if logs.log_format() == "json":
        logs.event(log, "table landed", **fields)
        return
    extra = ""
    if result.unchanged:
        extra += f", {result.unchanged} unchanged"
    if result.deleted:
        extra += f", {result.deleted} deleted in source"
    if result.audit:
        extra += ", audit: {changed} changed / {new} new / {deleted} deleted".format(**audit)
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
        plan = result.plan
        tables[name] = {
            "rows": sum(f.rows for f in result.files),
            "files": [f._asdict() for f in result.files],
            "capture": {
                "kind": plan.kind,
                "reason": plan.reason,
                "window": plan.window._asdict() if plan.window else None,
                "read": result.read,
                "unchanged": result.unchanged,
            },
            "deleted": {"rows": result.deleted, "ids": result.deleted_sample} if result.deleted else None,
            "audit": result.audit._asdict() if result.audit else None,
            "schema_drift": {"added": plan.added, "dropped": []},
        }
    return {
        "job": JOB,
        "run_id": context.run_id,
        "snapshot_time": context.snapshot_time,
        "snapshot_xids": context.xids._asdict(),
        "bookmark_option": settings.bookmark_option,
        "empty": not any(t["rows"] for t in tables.values()),
        "tables": tables,
    }


def next_bookmark(
    previous: Dict[str, Any], context: RunContext, results: Dict[str, TableResult], manifest: str
) -> Dict[str, Any]:
    tables = dict(previous.get("tables", {}))
    for name, result in results.items():
        entry = {
            "xmin": context.xids.xmin,
            "fingerprints": result.fingerprints,
            "rows": result.rows,
            "columns": [c.name for c in result.plan.columns],
        }
        old = tables.get(name, {})
        if result.audit is not None or result.plan.kind == KIND_FULL:
            entry.update(audited_at=context.snapshot_time, audited_epoch=context.snapshot_epoch)
        elif "audited_epoch" in old:
            entry.update(audited_at=old["audited_at"], audited_epoch=old["audited_epoch"])
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
        states = previous.get("tables", {}) if settings.bookmark_option != bookmarks.DISABLE else {}
        plans = [
            plan_table(settings, schema.source_table(name), live[name], added[name], states.get(name, {}), context)
            for name in settings.tables
        ]
        for plan in plans:
            if plan.kind == KIND_AUDIT:
                log.warning("%s: auditing in full: %s", plan.table.name, plan.reason)
        sizes = table_sizes(leader, settings.tables)
        plans.sort(key=lambda p: -float(sizes.get(p.table.name) or 0))
        for _ in range(min(WORKERS, len(plans)) - 1):
            follower = source.connect()
            connections.append(follower)
            begin_snapshot(follower, context.snapshot)
        log.info(
            "ingest %s from %s (%s, snapshot %s, xmin %d)",
            run_id,
            source.description,
            settings.bookmark_option,
            context.snapshot_time,
            context.xids.xmin,
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
    if not cursor.commits_in_time(run_id):
        # Readers list the manifests from a window before the newest they took; one committed
        # later than that might never be listed. Nothing is committed: the next run reads it again.
        raise IngestError(
            f"run {run_id} took longer than {cursor.LATE_WINDOW} to commit; its manifest is not written "
            "(bookmark unchanged, the next run reads the same changes)"
        )
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
