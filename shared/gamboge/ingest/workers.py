"""The run's worker threads: one per connection of the snapshot, taking tables from one queue.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

import queue
import threading
from typing import Any, Callable, Dict, List

from gamboge.ingest.model import IngestError, TableResult
from gamboge.ingest.table_job import TableJob


def run_workers(connections: List[Any], jobs: List[TableJob], progress: Callable[[TableResult], None]):
    """Tables largest-first over the snapshot's connections; the first failure stops the rest."""
    work: queue.Queue[TableJob] = queue.Queue()
    for job in jobs:
        work.put(job)
    results: Dict[str, TableResult] = {}
    failures: List[BaseException] = []
    lock = threading.Lock()

    def worker(connection) -> None:
        while not failures:
            try:
                job = work.get_nowait()
            except queue.Empty:
                return
            try:
                result = job.execute(connection)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                with lock:
                    failures.append(_explain(job.plan.table.name, exc))
                return
            with lock:
                results[job.plan.table.name] = result
                progress(result)

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in connections]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return results


def _explain(table: str, exc: BaseException) -> BaseException:
    if isinstance(exc, IngestError):
        return exc
    import psycopg

    if isinstance(exc, psycopg.Error):
        return IngestError(f"table {table}: {type(exc).__name__}: {str(exc).strip()}")
    return exc
