"""Check every zone against the source and against each other: ``gamboge check``.

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
  current rows make of it;
* **source ↔ landed** (the ingest's audit, on demand) — every source row not changed since the
  last ingest's snapshot has the content hash the ingest landed; and each table's latest audit
  after an incremental read found nothing.

What is reported but does not fail (WARNING):

* a source row changed since the last ingest's snapshot (its xmin is in the window the next
  ingest reads): the pipeline is behind the live source by one run;
* rows quarantined by the transform (reasons under ``processed/_rejects/``);
* rows deleted in the source, as the ingest recorded them, and warehouse rows whose source row is
  gone (deletes are not propagated: the star keeps them as history);
* landing files no manifest names (left by a crashed ingest; no reader ever sees them).

The batch accounting is incremental: ``<state>/check/checkpoint.json`` (gamboge.check.checkpoint)
records how far the last check that found no error got, and the next one verifies only the
manifests committed since, with the totals carried over; ``--full`` verifies every manifest again
and the committed state of the processed zone against them. The steps over the data itself (the
processed zone, the warehouse, the source) cost what the data holds, not what the history holds.

Locally the processed zone is read through the file catalog (``file://`` lakes); for an ``s3://``
lake those checks are skipped with a warning.
"""

import argparse
import json
from typing import Any, Dict, Optional

from gamboge.check import checkpoint, source_oracle, warehouse, zones
from gamboge.check import processed as processed_zone
from gamboge.check.report import ERROR, WARNING, Report, exit_status, format_report
from gamboge.common import config
from gamboge.lake import bookmarks, committed, cursor, manifests


def run_checks(
    source_dsn: Optional[str] = None,
    warehouse_dsn: Optional[str] = None,
    lake: Optional[str] = None,
    rows: bool = True,
    full: bool = False,
) -> Report:
    """Run every check against the configured (or given) source, lake and warehouse.

    ``rows=False`` skips the row-by-row source comparison, whose cost (and memory) grows with the
    whole source: counts, orphans, duplicates, foreign keys and the calendar are still checked.
    The batch accounting starts from the checkpoint of the last check that passed and reads only
    what was committed since; ``full=True`` starts from nothing, walks every manifest, and
    compares the committed state with the manifests and compaction records it is folded from."""
    import psycopg

    lake = lake or config.lake_uri()
    landing_uri, processed_uri, state_uri = config.landing_uri(lake), config.processed_uri(lake), config.state_uri(lake)
    report = Report()
    since = checkpoint.empty() if full else checkpoint.load(state_uri)
    # The transform's bookmark is read before the manifests are listed: every batch that took a
    # landing manifest it names was committed before it, so is in the listing.
    taken = bookmarks.load(state_uri, "transform").get("landing", cursor.EMPTY)
    new = checkpoint.read_new(landing_uri, processed_uri, since)
    verified = checkpoint.advanced(since, new)
    zones.check_landing_files(report, new.landing)
    zones.check_batches(report, checkpoint.batch_inputs(landing_uri, new), new.processed)
    zones.check_pending(report, manifests.unseen_run_ids(landing_uri, taken))
    zones.report_counts(report, verified)
    zones.check_landing_orphans(report, landing_uri, new.landing_listed, new.since)
    zones.check_capture(report, verified)
    state = committed.current(processed_uri).state
    if full:
        _check_committed_state(report, processed_uri, state, new.processed)
    if processed_uri.startswith("file:"):
        head = state["head"]
        latest = {}
        if head:  # the newest batch names every table's current snapshot
            latest[head] = dict(manifests.read_processed_manifest(manifests.manifest_uri(processed_uri, head)))
        processed_zone.check_processed(report, processed_uri, config.catalog_uri(lake), state, latest)
    else:
        report.add(WARNING, "-", "processed", "processed-zone checks read a file:// lake only; skipped")
    with (
        psycopg.connect(source_dsn or config.source_dsn()) as src,
        psycopg.connect(warehouse_dsn or config.warehouse_dsn()) as wh,
    ):
        warehouse.check_warehouse(report, wh, new.processed)
        if rows:
            source = source_oracle.read_source(src, source_oracle.ingest_state())
            source_oracle.report_missed(report, source)
            rejected = source_oracle.rejected_ids(verified["rejects"]) if any(verified["rejected"].values()) else set()
            source_oracle.compare_rows(report, wh, source, rejected)
    if not report.errors:
        checkpoint.save(state_uri, verified)
    return report


def _check_committed_state(report: Report, processed_uri: str, state: Any, processed: Dict[str, Any]) -> None:
    """The committed state names exactly the files, rows and head the documents themselves give."""
    files = committed.committed_fact_files(processed_uri, processed.values())
    rebuilt = committed.empty_state()
    for batch_id, body in processed.items():
        rebuilt = committed.with_manifest(rebuilt, batch_id, body)
    if committed.file_set(state) != files or state["rows"] != rebuilt["rows"] or state["head"] != rebuilt["head"]:
        report.add(
            ERROR,
            "-",
            "committed state",
            f"{committed.state_uri(processed_uri)} disagrees with the manifests and compaction records "
            "(delete it: the next transform rebuilds it)",
        )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--fail-on-warnings",
        action="store_true",
        help="exit non-zero on warnings too (changes not ingested yet, deleted rows)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="verify every manifest, not only those committed since the last check that passed, and "
        "the committed state against them (its time grows with the history)",
    )
    parser.add_argument(
        "--counts-only",
        action="store_true",
        help="skip the row-by-row comparison with the source (its time and memory grow with the source)",
    )


def main(args: argparse.Namespace) -> int:
    report = run_checks(rows=not args.counts_only, full=args.full)
    print(json.dumps(report.as_dict(), indent=2, default=str) if args.json else format_report(report.as_dict()))
    return exit_status(report, args.fail_on_warnings)
