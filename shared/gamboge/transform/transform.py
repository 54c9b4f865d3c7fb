"""The transform job: landing manifests → the star schema in Parquet, cataloged.

Sources (landing files a manifest names), pure transforms (shared/gamboge/transform/star.py) and sinks (Parquet in
the processed zone, the catalog, the manifest, the bookmark) are kept apart; this module wires them.

Commit protocol, so that a crash anywhere is healed by a rerun:
1. the batch id is the newest pending landing run id (or, for a late landing manifest, the id just
   after the latest batch): the same pending set gives the same id;
2. fact files the committed state does not name are orphans of a crashed run: deleted first;
3. dimensions and current-state tables go to a new ``snapshot=<batch>`` prefix (readers keep the
   old one until the catalog and the manifest move); the tables that grow with the facts
   (gamboge.lake.buckets) do so per id-range bucket, for the buckets the batch touched only;
4. fact versions already in the processed zone are dropped (anti-join on the version key), the rest
   written as ``<fact>/created_month=YYYY-MM/<batch>-<n>.parquet``;
5. the catalog, then the processed manifest (the commit), then the bookmark, then the committed
   state (``gamboge.lake.committed``).

What is pending and what came before are read from the bookmark's cursor and the committed state,
never from the whole history: a run lists the landing manifests of the last few days and reads
the new ones, the latest processed manifest, and the checkpoint.
"""

import datetime
import functools
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gamboge.common import faults, logs, schema
from gamboge.common.errors import GambogeError
from gamboge.lake import bookmarks, buckets, committed, cursor, manifests, storage
from gamboge.spark import observed
from gamboge.spark.session import described
from gamboge.transform import settings, star, star_sources
from gamboge.transform.catalog import Catalog
from gamboge.transform.landing_reader import (
    LANDING_RUN_ID,
    LINE_ORDER,
    REJECTED,
    good_rows,
    read_landing,
    rejected_rows,
    with_verdicts,
)
from gamboge.transform.spark_schemas import source_schema

JOB = "transform"
CRASH_AFTER_FACTS = "transform:after-facts"  # data files written, manifest not yet
CRASH_BEFORE_BOOKMARK = "transform:before-bookmark"  # manifest committed, bookmark not yet
log = logs.get(JOB)


class TransformError(GambogeError):
    pass


def _latest_processed_manifest(processed_uri: str, state: committed.CommittedState) -> Dict[str, Any]:
    head = state["head"]
    return dict(manifests.read_manifest(manifests.manifest_uri(processed_uri, head))) if head else {}


def remove_orphans(processed_uri: str, committed_files: Optional[Set[str]] = None) -> int:
    """Delete what an interrupted run left behind (the lake's commit rule: gamboge.lake.committed)."""
    removed = committed.remove_orphans(processed_uri, committed_files)
    if removed:
        log.warning("removed %d orphan file(s) of an interrupted run", removed)
    return removed


def _pending(landing_uri: str, bookmark: Dict[str, Any], latest: Dict[str, Any]) -> Tuple[cursor.Cursor, List[str]]:
    """The landing manifests already transformed, and those pending, oldest first.

    A crash between a batch's manifest and the bookmark leaves the batch's inputs pending: they are
    taken here. The transform is the zone's only writer, so only the latest batch can be missing
    from the bookmark. With no bookmark at all (never written, or reset) its inputs count as taken
    only when the newest pending manifest is the batch's own id: the same pending set again."""
    position = bookmark.get("landing", cursor.EMPTY)
    pending = manifests.unseen_run_ids(landing_uri, position)
    missed = set(latest.get("inputs", [])) & set(pending)
    if missed and (bookmark or pending[-1] == latest["batch_id"]):
        log.info("batch %s was already committed; recording it in the bookmark", latest["batch_id"])
        position = cursor.advanced(position, missed)
        pending = [r for r in pending if r not in missed]
    return position, pending


def _batch_id(pending: List[str], head: Optional[str], bookmark_option: str) -> str:
    """A full rebuild gets a fresh id; an incremental batch is named by its newest input, so that a
    rerun of the same pending set overwrites its own output instead of adding to it. Batch ids grow
    with every commit, which lets readers list the batches after the ones they know: a batch whose
    newest input is older than the latest batch (a late landing manifest) is named just after it."""
    candidate = manifests.new_run_id() if bookmark_option == bookmarks.DISABLE else pending[-1]
    return candidate if head is None or candidate > head else manifests.run_id_after(head, candidate)


def _landing_files(landing_uri: str, run_ids: List[str]) -> Tuple[Dict[str, List[str]], Dict[str, int]]:
    """The files the landing manifests name, per table, and the rows they say each table landed."""
    files: Dict[str, List[str]] = {}
    rows: Dict[str, int] = {}
    for run_id in run_ids:
        body = manifests.read_manifest(manifests.manifest_uri(landing_uri, run_id))
        for table, entry in body.get("tables", {}).items():
            rows[table] = rows.get(table, 0) + int(entry.get("rows") or 0)
            for f in entry.get("files", []):
                if not storage.exists(f["uri"]):
                    raise TransformError(
                        f"landing manifest {run_id} lists {f['uri']} for {table}, but the file does not exist"
                    )
                files.setdefault(table, []).append(f["uri"])
    return files, rows


def _table_of(uri: str) -> str:
    """``…/dim_staff/snapshot=<batch>`` → dim_staff; ``…/_current/staff/snapshot=<batch>`` → _current/staff;
    a table root (``…/dim_transaction``) names itself."""
    parts = uri.rstrip("/").split("/")
    if parts[-1].startswith("snapshot="):
        parts = parts[:-1]
    return "/".join(parts[-2:]) if parts[-2] == "_current" else parts[-1]


def _write_snapshot(df: DataFrame, uri: str) -> int:
    """Write a whole table to a new prefix, as one file (the tables are small); the rows written,
    counted by the write itself."""
    counted, rows = observed.observe(df, f"rows {uri}", rows=F.count(F.lit(1)))
    with described(df.sparkSession, f"write {_table_of(uri)}"):
        counted.coalesce(1).write.mode("overwrite").parquet(uri)
    return int(observed.values(rows)["rows"])


def _stage_partitioned(df: DataFrame, staging: str, column: str) -> List[str]:
    """One file per ``column`` value below ``staging``: the rows arrive partitioned by it (the fact
    builders shuffle them by month, ``star.with_bucket`` by bucket), and each task writes one file
    per value it holds."""
    df.write.mode("overwrite").partitionBy(column).parquet(staging)
    return storage.list_uris(staging, suffix=".parquet")


def _partition_of(uri: str, column: str) -> str:
    """``column=<value>``, the partition folder a staged file lies in."""
    return [p for p in uri.split("/") if p.startswith(column + "=")][0]


def _publish(staged: List[str], target_of: Callable[[str], str], batch_id: str) -> List[str]:
    """Move staged files to the folders ``target_of`` gives their staged path, named after the
    batch so a rerun overwrites."""
    written = []
    for n, uri in enumerate(staged):
        target = storage.join(target_of(uri), f"{batch_id}-{n}.parquet")
        storage.move(uri, target)
        written.append(target)
    return written


def _publish_fact_files(staged: List[str], processed_uri: str, fact: str, batch_id: str) -> List[str]:
    """Move staged files into their month partitions."""
    return _publish(
        staged, lambda uri: storage.join(processed_uri, fact, _partition_of(uri, star.PARTITION_COLUMN)), batch_id
    )


def _write_buckets(df: DataFrame, table_root: str, processed_uri: str, batch_id: str) -> Tuple[Dict[str, str], int]:
    """Write the buckets ``df`` holds (``star.with_bucket``), in one Spark job: staged partitioned by
    bucket, then each bucket's file moved to ``<table root>/transaction_bucket=<n>/snapshot=<batch>``.

    Returns bucket → its new snapshot, and the rows written (counted by the write)."""
    counted, rows = observed.observe(df, f"rows {table_root}", rows=F.count(F.lit(1)))
    name = _table_of(table_root)
    staging = storage.join(processed_uri, committed.STAGING, batch_id, name)
    with described(df.sparkSession, f"write {name}"):
        staged = _stage_partitioned(counted, staging, buckets.BUCKET_COLUMN)
    snapshots = {
        buckets.bucket_in(uri): storage.join(
            table_root, buckets.bucket_dir(buckets.bucket_in(uri)), f"snapshot={batch_id}"
        )
        for uri in staged
    }
    for snapshot in snapshots.values():  # a rerun of the batch replaces what a crashed one moved there
        storage.delete_prefix(snapshot)
    _publish(staged, lambda uri: snapshots[buckets.bucket_in(uri)], batch_id)
    return snapshots, int(observed.values(rows)["rows"])


# Spark runs jobs submitted from several threads side by side: the per-table jobs are small, so
# overlapping them hides most of their scheduling latency.
PARALLEL_TABLES = 4


class Source(NamedTuple):
    """One source table of the batch, read once: the write its rows feed also counts them."""

    rows: DataFrame  # the typed good rows; the one action that reads them fills ``counts``
    judged: DataFrame  # every landed row with its verdict, read again only to quarantine rejects
    counts: Observation  # landed, rejected


def _read_source(spark: SparkSession, table: schema.Table, uris: List[str]) -> Source:
    judged = with_verdicts(read_landing(spark, table, uris), table)
    counted, counts = observed.observe(
        judged,
        f"landed {table.name}",
        landed=F.count(F.lit(1)),
        rejected=F.coalesce(F.sum(F.col(REJECTED).cast("int")), F.lit(0)),
    )
    return Source(good_rows(counted, table), judged, counts)


class BatchSources:
    """The batch's source tables, each read on first use, by the thread that writes its star table:
    planning a source costs the driver a good part of a second, and doing it there overlaps it with
    the jobs already running."""

    def __init__(self, spark: SparkSession, files: Dict[str, List[str]], landed_rows: Dict[str, int]):
        self._spark = spark
        self._landed_rows = landed_rows
        self._files = {name: uris for name, uris in files.items() if uris}
        self._locks = {name: threading.Lock() for name in self._files}
        self._read: Dict[str, Source] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def landed_rows(self, name: str) -> int:
        """The rows the landing manifests say the table's files hold (to order the work, not to count)."""
        return self._landed_rows.get(name, 0)

    def rows(self, name: str) -> DataFrame:
        with self._locks[name]:
            if name not in self._read:
                self._read[name] = _read_source(self._spark, schema.source_table(name), self._files[name])
            return self._read[name].rows

    def read(self) -> Dict[str, Source]:
        """Every source, once the writes have run (each one's counts come from the write that read it)."""
        unread = sorted(set(self._files) - set(self._read))
        if unread:
            raise TransformError(f"no star table was built from {', '.join(unread)}")
        return dict(self._read)


def _unreadable_landing(exc: BaseException, files: Dict[str, List[str]]) -> Optional[TransformError]:
    """A truncated or corrupt .gz cannot be quarantined line by line: the first action that reads it
    fails with a Java EOFException deep in a stack trace. Name the file instead."""
    text = str(exc)
    if "EOFException" not in text and "Unexpected end of input stream" not in text and "ZipException" not in text:
        return None
    named = re.search(r"reading file (\S+?)\.? ", text)
    culprit = named.group(1) if named else ", ".join(uri for uris in files.values() for uri in uris)
    return TransformError(f"landing file(s) cannot be read (truncated or corrupt compressed file): {culprit}")


def _read_current(spark: SparkSession, table: schema.Table, uris: List[str]) -> DataFrame:
    """Current-state snapshots (a table's, or some of its buckets'), read with their known schema
    (Spark would otherwise run a job to infer it)."""
    lineage = [T.StructField(LANDING_RUN_ID, T.StringType()), T.StructField(LINE_ORDER, T.LongType())]
    return spark.read.schema(T.StructType(source_schema(table).fields + lineage)).parquet(*uris)


def _update_current_state(
    spark: SparkSession,
    table: schema.Table,
    prior_uri: Optional[str],
    new_rows: DataFrame,
    processed_uri: str,
    batch_id: str,
) -> str:
    """The latest version of every row seen so far (previous state ∪ this batch), as a new snapshot."""
    lineage = [*table.column_names, LANDING_RUN_ID, LINE_ORDER]
    merged = new_rows.select(*lineage)
    if prior_uri:
        merged = _read_current(spark, table, [prior_uri]).select(*lineage).unionByName(merged)
    location = storage.join(processed_uri, "_current", table.name, f"snapshot={batch_id}")
    _write_snapshot(star.latest_per_key(merged, table.primary_key), location)
    return location


def _update_bucketed_current_state(
    spark: SparkSession,
    table: schema.Table,
    prior: Optional[buckets.Entry],
    new_rows: DataFrame,
    processed_uri: str,
    batch_id: str,
) -> Dict[str, Any]:
    """The latest version of every row of the buckets this batch touched (their previous snapshot
    ∪ this batch's rows), as new bucket snapshots; the other buckets are carried over unread.

    A previous state in another shape (a whole-table snapshot of manifest format 1, another span)
    is read whole and every bucket rewritten from it: the upgrade to buckets. Returns the entry."""
    key, span = buckets.BUCKETED_KEYS[table.name], buckets.BUCKET_SPAN
    lineage = [*table.column_names, LANDING_RUN_ID, LINE_ORDER]
    new = star.with_bucket(new_rows.select(*lineage), key, span)
    prior_buckets = buckets.prior_buckets(prior, span)
    if prior_buckets is None:
        reread = buckets.locations(prior)
    else:
        # One small job over the batch's rows: which buckets it touches decides which files to read.
        with described(spark, f"buckets of {table.name}"):
            touched = {str(r[0]) for r in new.select(buckets.BUCKET_COLUMN).distinct().collect()}
        reread = [prior_buckets[b] for b in sorted(touched & set(prior_buckets), key=int)]
    merged = new
    replaced = None
    if reread:
        old, replaced = observed.observe(
            _read_current(spark, table, reread).select(*lineage), f"replaced {table.name}", rows=F.count(F.lit(1))
        )
        merged = star.with_bucket(old, key, span).unionByName(new)
    # One shuffle, by bucket, serves the window (the key determines the bucket) and the write.
    latest = star.latest_per_key(star.by_bucket(merged), table.primary_key, within=buckets.BUCKET_COLUMN)
    written, written_rows = _write_buckets(
        latest, storage.join(processed_uri, "_current", table.name), processed_uri, batch_id
    )
    rows = written_rows
    if prior_buckets is not None:  # the carried-over buckets keep their rows
        rows += int(prior["rows"]) - (int(observed.values(replaced)["rows"]) if replaced else 0)  # type: ignore[index]
    return buckets.updated_entry(prior_buckets, written, rows, written_rows, span)


def _build_dimension(dim: str, current: Dict[str, DataFrame]) -> DataFrame:
    builders = {
        "dim_staff": lambda: star.dim_staff(current["staff"], current["department"]),
        "dim_location": lambda: star.dim_location(current["address"]),
        "dim_currency": lambda: star.dim_currency(current["currency"]),
        "dim_design": lambda: star.dim_design(current["design"]),
        "dim_counterparty": lambda: star.dim_counterparty(current["counterparty"], current["address"]),
        "dim_payment_type": lambda: star.dim_payment_type(current["payment_type"]),
        "dim_transaction": lambda: star.dim_transaction(current["transaction"]),
    }
    return builders[dim]()


def _write_new_versions(
    spark: SparkSession, fact: str, source_rows: DataFrame, processed_uri: str, batch_id: str
) -> Tuple[Dict[str, Any], Optional[List[str]]]:
    """Append the batch's fact versions that the processed zone does not hold yet.

    Returns the manifest entry and the [first, last] date the new versions reference."""
    batch = star.FACT_BUILDERS[fact](source_rows)
    fact_root = storage.join(processed_uri, fact)
    stored = {u.rsplit("/", 2)[-2] for u in storage.list_uris(fact_root, suffix=".parquet")}
    if stored:
        # Every version of a row shares its created_date, so only the months this batch touches
        # can hold a version it repeats: read those partitions, not the whole history. The months
        # come off the source rows (each becomes a version in its month), not the fact build.
        with described(spark, f"months of {fact}"):
            months = source_rows.select(star.created_month(F.col("created_at"))).distinct().collect()
        touched = {f"{star.PARTITION_COLUMN}={r[0]}" for r in months}
        partitions = [storage.join(fact_root, p) for p in sorted(touched & stored)]
        if partitions:
            # Only the key column, with its schema given: no schema-inference job, no other column read.
            existing = spark.read.schema(star.VERSION_KEY_SCHEMA).option("basePath", fact_root).parquet(*partitions)
            # The anti-join may regroup rows by version key: bring each month back to one task,
            # so a batch still adds at most one file per month.
            batch = star.new_versions(batch, existing).repartition(F.col(star.PARTITION_COLUMN))
    # The plan runs once, for the write, which also counts the rows and finds their date span.
    dates = [F.col(c) for c in star.date_columns(fact)]
    batch, stats = observed.observe(
        batch,
        f"versions {fact}",
        rows=F.count(F.lit(1)),
        lo=F.min(F.least(*dates)).cast("string"),
        hi=F.max(F.greatest(*dates)).cast("string"),
    )
    with described(spark, f"write {fact}"):
        staged = _stage_partitioned(
            batch, storage.join(processed_uri, committed.STAGING, batch_id, fact), star.PARTITION_COLUMN
        )
    written_rows = observed.values(stats)
    # A batch that repeats only known versions writes no file at all.
    written = _publish_fact_files(staged, processed_uri, fact, batch_id) if written_rows["rows"] else []
    partitions = sorted({u.split(star.PARTITION_COLUMN + "=")[1].split("/")[0] for u in written})
    entry = {"kind": "fact", "files": written, "rows": int(written_rows["rows"]), "partitions": partitions}
    return entry, ([written_rows["lo"], written_rows["hi"]] if written_rows["lo"] else None)


def _abandon(pending: Dict[str, Future], processed_uri: str) -> None:
    """After a failure beside running builds (the facts, dim_date): let them end, log how they
    ended, and delete the files they published (no manifest names them) instead of leaving them
    to the next run."""
    for future in pending.values():
        future.cancel()
    wait(list(pending.values()))
    for table, future in pending.items():
        if not future.cancelled() and future.exception() is not None:
            log.error("%s failed too: %s", table, future.exception())
    remove_orphans(processed_uri)


def _update_state(
    spark: SparkSession, name: str, prior: Any, new_rows: DataFrame, processed_uri: str, batch_id: str
) -> Any:
    """A source table's new current state: a snapshot location, or a bucketed entry."""
    update = _update_bucketed_current_state if name in buckets.BUCKETED_KEYS else _update_current_state
    return update(spark, schema.source_table(name), prior, new_rows, processed_uri, batch_id)


def _current_state_and_dimensions(
    spark: SparkSession,
    sources: BatchSources,
    previous: Dict[str, Any],
    processed_uri: str,
    batch_id: str,
) -> Tuple[Dict[str, Dict[str, Any]], Dict[str, Any]]:
    """New current-state snapshots of the changed source tables, and the dimensions built on them:
    each dimension as soon as the states it reads are written, beside the states still being
    written (a small dimension need not wait for the largest state).

    Returns the dimensions' manifest entries and where each current-state snapshot now is (a
    location, or a bucketed entry: gamboge.lake.buckets)."""
    carried: Dict[str, Any] = {name: buckets.carried_over(e) for name, e in previous.get("current", {}).items()}
    # The largest first: it is on the dimensions' critical path, the small ones fill in beside it.
    changed_state = sorted(
        (n for n in star_sources.CURRENT_STATE_TABLES if n in sources), key=lambda n: -sources.landed_rows(n)
    )
    # A dimension is rebuilt when one of its sources changed and each of them has a state to read
    # (written now, or a previous snapshot; a bucketed state's rewritten buckets).
    readable = set(changed_state) | {n for n, e in carried.items() if buckets.changed_locations(e)}
    rebuilt = [
        dim
        for dim, dim_sources in star_sources.DIMENSION_SOURCES.items()
        if any(s in sources for s in dim_sources) and all(s in readable for s in dim_sources)
    ]
    prior_tables = previous.get("tables", {})

    def update_state(name: str) -> Any:
        return _update_state(spark, name, carried.get(name), sources.rows(name), processed_uri, batch_id)

    with (
        ThreadPoolExecutor(max_workers=PARALLEL_TABLES) as state_pool,
        ThreadPoolExecutor(max_workers=max(len(rebuilt), 1)) as dimension_pool,
    ):
        states = {name: state_pool.submit(update_state, name) for name in changed_state}

        def write_dimension(dim: str) -> Dict[str, Any]:
            own = star_sources.DIMENSION_SOURCES[dim]
            state = dict(carried, **{s: states[s].result() for s in own if s in states})
            if dim in buckets.BUCKETED_KEYS:
                return _write_bucketed_dimension(spark, dim, prior_tables.get(dim), state, processed_uri, batch_id)
            # Each snapshot is one file: one partition, which the dimension's joins use as it is.
            current = {
                s: _read_current(spark, schema.source_table(s), buckets.changed_locations(state[s])).coalesce(1)
                for s in own
            }
            built = _build_dimension(dim, current)
            location = storage.join(processed_uri, dim, f"snapshot={batch_id}")
            return {"kind": "dimension", "location": location, "rows": _write_snapshot(built, location)}

        dimensions = {dim: dimension_pool.submit(write_dimension, dim) for dim in rebuilt}
        current_state = dict(carried, **{name: future.result() for name, future in states.items()})
        tables = {dim: future.result() for dim, future in dimensions.items()}
    for dim in star_sources.DIMENSION_SOURCES:
        if dim not in tables and dim in prior_tables:
            tables[dim] = dict(buckets.carried_over(prior_tables[dim]), carried_over=True)
    return tables, current_state


def _write_bucketed_dimension(
    spark: SparkSession,
    dim: str,
    prior: Optional[Dict[str, Any]],
    current_state: Dict[str, Any],
    processed_uri: str,
    batch_id: str,
) -> Dict[str, Any]:
    """The dimension's buckets that its source's current state rewrote (read from the state's
    changed buckets).

    The dimension is its source's rows (one row per key), so it has the state's row count. A prior
    entry that cannot be merged bucket by bucket (format 1, another span, none) is rebuilt from
    every bucket of the state."""
    span, key = buckets.BUCKET_SPAN, buckets.BUCKETED_KEYS[dim]
    source = star_sources.DIMENSION_SOURCES[dim][0]
    state = current_state[source]
    prior_buckets = buckets.prior_buckets(prior, span)
    if prior_buckets is None:
        rows = _read_current(spark, schema.source_table(source), buckets.locations(state))
    else:  # the rewritten buckets, one file each: one partition, as the dimension's build expects
        rows = _read_current(spark, schema.source_table(source), buckets.changed_locations(state)).coalesce(1)
    current = {source: rows}
    built = star.with_bucket(_build_dimension(dim, current), key, span)
    written, written_rows = _write_buckets(
        star.by_bucket(built), storage.join(processed_uri, dim), processed_uri, batch_id
    )
    entry = buckets.updated_entry(prior_buckets, written, int(state["rows"]), written_rows, span)
    return dict(entry, kind="dimension")


class Counts(NamedTuple):
    landed: Dict[str, int]
    rejected: Dict[str, int]


def _counts(sources: Dict[str, Source]) -> Counts:
    """What each source's write counted on the way (the landed rows and the rejected ones)."""
    seen = {name: observed.values(source.counts) for name, source in sources.items()}
    return Counts(
        landed={name: int(v["landed"]) for name, v in seen.items()},
        rejected={name: int(v["rejected"]) for name, v in seen.items()},
    )


def _quarantine(
    sources: Dict[str, Source], counts: Counts, processed_uri: str, batch_id: str, max_reject_ratio: float
) -> Optional[str]:
    """Write the rejected rows, with their reasons, to one file; refuse the batch when too many.

    Only the tables that rejected a row are read again. Returns where the rejects are, None when no
    row was rejected."""
    total_landed, total_rejected = sum(counts.landed.values()), sum(counts.rejected.values())
    rejects_uri = storage.join(processed_uri, "_rejects", batch_id)
    if total_rejected:
        rejecting = [
            rejected_rows(source.judged, schema.source_table(name))
            for name, source in sources.items()
            if counts.rejected[name]
        ]
        union = functools.reduce(DataFrame.unionByName, rejecting)
        # repartition, not coalesce: only the reject rows are shuffled into the one file, while the
        # landing files are still read by as many tasks as usual.
        with described(union.sparkSession, "write _rejects"):
            union.repartition(1).write.mode("overwrite").json(rejects_uri)
        log.warning(
            "%d of %d landed row(s) rejected; reasons in %s",
            total_rejected,
            total_landed,
            rejects_uri,
            extra={"fields": {"rejected": counts.rejected}},
        )
    if total_landed and total_rejected / total_landed > max_reject_ratio:
        raise TransformError(
            f"{total_rejected} of {total_landed} landed rows were rejected "
            f"({total_rejected / total_landed:.2%} > max_reject_ratio {max_reject_ratio:.2%}); "
            f"nothing was committed. Reasons: {rejects_uri}"
        )
    return rejects_uri if total_rejected else None


class Built(NamedTuple):
    """What the batch's Spark jobs wrote, before the commit."""

    tables: Dict[str, Dict[str, Any]]  # dimension and fact manifest entries, dim_date's among them
    current: Dict[str, Any]  # the current-state locations (gamboge.lake.buckets entries)
    date_range: Optional[List[str]]  # [first, last] date any fact references


def _build_star(
    spark: SparkSession,
    sources: BatchSources,
    previous: Dict[str, Any],
    processed_uri: str,
    batch_id: str,
) -> Built:
    """The fact builds, started first, run beside the current state and the dimensions (they need
    neither, and overlapping the two chains keeps both cores busy); dim_date as soon as the facts
    have said which dates they reference. A failure in either chain ends the other and removes the
    files it published."""
    fact_names = [f for f, source in star_sources.FACT_SOURCES.items() if source in sources]

    def write_fact(fact: str) -> Tuple[Dict[str, Any], Optional[List[str]]]:
        return _write_new_versions(spark, fact, sources.rows(star_sources.FACT_SOURCES[fact]), processed_uri, batch_id)

    with ThreadPoolExecutor(max_workers=len(fact_names) + 1) as fact_pool:
        pending = {fact: fact_pool.submit(write_fact, fact) for fact in fact_names}
        calendar = fact_pool.submit(
            lambda: _dim_date(spark, [f.result()[1] for f in pending.values()], previous, processed_uri, batch_id)
        )
        try:
            tables, current_locations = _current_state_and_dimensions(spark, sources, previous, processed_uri, batch_id)
            tables.update({fact: future.result()[0] for fact, future in pending.items()})
            dim_date, date_range = calendar.result()
        except BaseException:
            _abandon({**pending, "dim_date": calendar}, processed_uri)
            raise
    if dim_date is not None:
        tables["dim_date"] = dim_date
    return Built(tables, current_locations, date_range)


def _discard(
    tables: Dict[str, Dict[str, Any]], current_state: Dict[str, Any], processed_uri: str, batch_id: str
) -> None:
    """Delete what a refused batch wrote: its new snapshots and its fact files."""
    for location in buckets.all_locations([*tables.values(), *current_state.values()]):
        if location.rsplit("/", 1)[-1] == f"snapshot={batch_id}":
            storage.delete_prefix(location)
    remove_orphans(processed_uri)


def _dim_date(
    spark: SparkSession,
    fact_spans: List[Optional[List[str]]],
    previous: Dict[str, Any],
    processed_uri: str,
    batch_id: str,
) -> Tuple[Optional[Dict[str, Any]], Optional[List[str]]]:
    """dim_date, contiguous over every date any fact references (the previous range and the spans
    of the batch's new fact versions): rewritten only when the range grew, else carried over.
    Returns its manifest entry (None before any fact) and the range."""
    spans = [s for s in [previous.get("date_range"), *fact_spans] if s]
    date_range = [min(s[0] for s in spans), max(s[1] for s in spans)] if spans else None
    if date_range and date_range != previous.get("date_range"):
        first, last = (datetime.date.fromisoformat(d) for d in date_range)
        location = storage.join(processed_uri, "dim_date", f"snapshot={batch_id}")
        rows = _write_snapshot(star.dim_date(spark, first, last), location)
        return {"kind": "dimension", "location": location, "rows": rows}, date_range
    prior = previous.get("tables", {}).get("dim_date")
    return (dict(prior, carried_over=True) if prior else None), date_range


def _catalog(tables: Dict[str, Dict[str, Any]], processed_uri: str, catalog: Catalog) -> None:
    """Point the catalog at what the batch wrote: new dimension snapshots, new fact partitions."""
    for name, entry in tables.items():
        if entry.get("carried_over"):
            continue
        if entry["kind"] == "fact":
            catalog.put_table(name, storage.join(processed_uri, name), partitions=entry["partitions"])
        elif buckets.is_bucketed(entry):  # one partition per bucket, each at its own snapshot
            located = {b: entry["buckets"][b] for b in entry["changed"]}
            catalog.put_table(name, storage.join(processed_uri, name), partition_locations=located)
        else:
            catalog.put_table(name, entry["location"])


def _commit(
    processed_uri: str,
    state_uri: str,
    summary: Dict[str, Any],
    bookmark: Dict[str, Any],
    bookmark_option: str,
    state: committed.CommittedState,
) -> None:
    """The processed manifest (the commit), the bookmark, then the committed state (a checkpoint of
    both: a crash before it only leaves the next reader more to fold); each step has its crash point."""
    faults.crash_point(CRASH_AFTER_FACTS)
    manifests.write_manifest(processed_uri, summary["batch_id"], summary)
    faults.crash_point(CRASH_BEFORE_BOOKMARK)
    _save_bookmark(state_uri, bookmark, summary["inputs"], bookmark_option)
    committed.save_state(processed_uri, committed.with_manifest(state, summary["batch_id"], summary))
    for name, entry in summary["tables"].items():
        if not entry.get("carried_over"):
            logs.event(log, "table written", table=name, rows=entry["rows"])


def run(
    spark: SparkSession,
    landing_uri: str,
    processed_uri: str,
    state_uri: str,
    catalog: Catalog,
    bookmark_option: str = bookmarks.ENABLE,
    max_reject_ratio: float = settings.DEFAULT_MAX_REJECT_RATIO,
) -> Dict[str, Any]:
    """Transform every landing manifest not yet consumed; return the run's summary.

    The steps: read the sources (judged, not yet run), build the facts beside the current state and
    the dimensions (each write counts its source's landed and rejected rows on the way), dim_date,
    quarantine the rejects (or refuse the batch and discard what it wrote), the catalog, then the
    commit (manifest, bookmark)."""
    bookmarks.check_option(bookmark_option)
    started = time.monotonic()
    bookmark = {} if bookmark_option == bookmarks.DISABLE else bookmarks.load(state_uri, JOB)
    state = committed.current(processed_uri).state
    latest = _latest_processed_manifest(processed_uri, state)
    position, pending = _pending(landing_uri, bookmark, latest if bookmark_option != bookmarks.DISABLE else {})
    if not pending:
        if position != bookmark.get("landing", cursor.EMPTY):  # the latest batch, missing from the bookmark
            _save_bookmark(state_uri, bookmark, latest["inputs"], bookmark_option)
            committed.save_state(processed_uri, state)
            return latest
        log.info("nothing new to transform: every landing manifest is consumed")
        return {"batch_id": None, "inputs": [], "tables": {}}
    bookmark = dict(bookmark, landing=position)
    batch_id = _batch_id(pending, state["head"], bookmark_option)
    remove_orphans(processed_uri, committed.file_set(state))
    previous = {} if bookmark_option == bookmarks.DISABLE else latest
    files, landed_rows = _landing_files(landing_uri, pending)
    log.info("transforming %d landing manifest(s) as batch %s", len(pending), batch_id)
    sources = BatchSources(spark, files, landed_rows)
    try:
        built = _build_star(spark, sources, previous, processed_uri, batch_id)
    except Exception as exc:
        unreadable = _unreadable_landing(exc, files)
        if unreadable is None:
            raise
        raise unreadable from None
    tables, current_locations = built.tables, built.current
    read = sources.read()
    counts = _counts(read)
    try:
        rejects_uri = _quarantine(read, counts, processed_uri, batch_id, max_reject_ratio)
    except TransformError:
        _discard(tables, current_locations, processed_uri, batch_id)
        raise
    _catalog(tables, processed_uri, catalog)
    storage.delete_prefix(storage.join(processed_uri, committed.STAGING))
    summary = {
        "job": JOB,
        "batch_id": batch_id,
        "inputs": pending,
        "landed": counts.landed,
        "rejected": counts.rejected,
        "rejects_uri": rejects_uri,
        "tables": tables,
        "current": current_locations,
        "date_range": built.date_range,
        "seconds": round(time.monotonic() - started, 3),
    }
    _commit(processed_uri, state_uri, summary, bookmark, bookmark_option, state)
    return summary


class PendingWork(NamedTuple):
    """What a transform run would take, known from the landing manifests alone (no Spark)."""

    landed_rows: int  # the rows the pending landing manifests say they hold
    idle: Optional[Dict[str, Any]]  # the run's summary when none of them carries a row, else None


def pending_work(landing_uri: str, state_uri: str, bookmark_option: str = bookmarks.ENABLE) -> PendingWork:
    """The landed rows a run would transform, so that a Spark session can be sized to them, or none
    need start: when no pending landing manifest carries a row, empty manifests (ingest runs that
    found no change) are recorded as consumed and ``idle`` is the run's summary."""
    bookmarks.check_option(bookmark_option)
    bookmark = {} if bookmark_option == bookmarks.DISABLE else bookmarks.load(state_uri, JOB)
    pending = manifests.unseen_run_ids(landing_uri, bookmark.get("landing", cursor.EMPTY))
    bodies = [manifests.read_landing_manifest(manifests.manifest_uri(landing_uri, run_id)) for run_id in pending]
    if any(not body.get("empty") for body in bodies):
        rows = sum(int(entry.get("rows") or 0) for body in bodies for entry in body.get("tables", {}).values())
        return PendingWork(rows, None)
    if pending and bookmark_option != bookmarks.DISABLE:
        _save_bookmark(state_uri, bookmark, pending, bookmark_option)
    log.info("nothing new to transform: %d pending landing manifest(s), none with a row", len(pending))
    return PendingWork(0, {"batch_id": None, "inputs": pending, "tables": {}})


def _save_bookmark(state_uri: str, bookmark: Dict[str, Any], pending: List[str], option: str) -> None:
    if option == bookmarks.PAUSE:
        return
    landing = cursor.advanced(bookmark.get("landing", cursor.EMPTY), pending)
    bookmarks.save(state_uri, JOB, {"landing": landing, "updated_at": datetime.datetime.utcnow().isoformat()})
