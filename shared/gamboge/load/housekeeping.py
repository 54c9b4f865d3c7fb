"""After every load: compaction and retention of the processed zone, by what the warehouse holds.

Both need to know which batches the warehouse has loaded (compaction merges only their files,
retention keeps the snapshots of every batch not loaded yet), and only the load job reaches the
warehouse: on AWS through its Glue connection. So they run at the end of the load job, while it
still holds the load lock (no second load, and so no second housekeeping, runs beside them), and
after the transform, whose catalog update and commit they follow. The workflow starts the load
only after the transform succeeded and runs one workflow run at a time, so no transform runs
beside them; `gamboge run` keeps the same order.
"""

from typing import Any, Dict

from gamboge.lake import compaction, manifests, retention
from gamboge.warehouse import warehouse


def tidy(conn: Any, processed_uri: str, retain_batches: int, compact_min_files: int) -> Dict[str, Any]:
    """Compact the fact partitions and delete the superseded snapshots; the settings and what each did.

    ``conn``: the load's warehouse connection (psycopg), holding the load lock."""
    loaded = set(warehouse.loaded_batches(conn))
    return {
        "retain_batches": retain_batches,
        "compact_min_files": compact_min_files,
        "compaction": compaction.compact(processed_uri, loaded, compact_min_files),
        "retention": retention.remove_superseded(
            processed_uri, manifests.list_run_ids(processed_uri), loaded, retain_batches
        ),
    }
