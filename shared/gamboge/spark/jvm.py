"""The local Spark driver's JVM options: what a short-lived process on a few cores needs.

A local ``gamboge transform`` or ``gamboge run`` is a fresh JVM each time, and at small scales most
of its time is the JVM warming up, not the query work (bench/results/transform: a cold build at
scale 1 spent 20 s of its 48 s of CPU in the JIT compilers). Two things cut that:

- **A class archive** (HotSpot's dynamic CDS archive): the classes Spark loads, already parsed and
  verified, mapped from one file instead of read from ~250 jars. It is made once per Java build and
  pyspark installation (``python -m gamboge.spark.jvm_archive ensure``, which ``make install`` runs) and used
  by every later local session; a session that finds none runs without it.
- **Quick JIT for small work**: only the C1 compiler when the session is started for at most
  ``QUICK_JIT_MAX_ROWS`` landed rows. C2's optimised code pays for its compile time only on long
  runs. Measured cold on 2 cores, a full build (`gamboge transform`, 2 runs each, interleaved): at
  486k landed rows (scale 10) C1 alone took 20.7 s against 24.2 s (C2 compiled for 12 s of CPU); at
  972k (scale 20) 29.0 s against 28.4 s, the break-even; at 4.85M (scale 100) 104 s against 58 s
  (the executors' CPU 2.6 times C2's). Smaller runs gain more: one day's batch at scale 1 went from
  24 s to 18.5 s.

Glue starts its own JVMs: none of this applies there (``gamboge.spark.job_session``).
"""

import hashlib
import os
import shutil
import sys
from pathlib import Path
from typing import List, Optional

from gamboge.spark import localfs

ENV_CLASS_ARCHIVE = "GAMBOGE_SPARK_CLASS_ARCHIVE"  # "off" runs without the archive
QUICK_JIT_MAX_ROWS = 750_000  # between scale 10 (C1 ahead by 15 %) and the break-even near 1M rows
TIMEZONE = "-Duser.timezone=UTC"  # naive ToteSys timestamps never shift
# The archive is a cache: a JVM that cannot use it (another Java build, another class path) runs
# without it, and says so only in these log tags, which stay quiet.
QUIET_ARCHIVE_LOG = "-Xlog:cds=off,cds+dynamic=off"


def _java() -> Optional[Path]:
    java_home = os.environ.get("JAVA_HOME")
    found = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    return Path(found).resolve() if found and Path(found).exists() else None


def class_archive() -> Optional[Path]:
    """Where the archive for this Java build and this pyspark installation lives (it need not
    exist yet), beside the installation in the environment's ``var/``; None without Java."""
    import pyspark

    java = _java()
    if java is None:
        return None
    stat = java.stat()
    spark_home = Path(pyspark.__file__).parent
    # The archive holds classes of the driver's class path, which the local file system's jar joins.
    key = f"{java}|{stat.st_size}|{stat.st_mtime_ns}|{spark_home}|{pyspark.__version__}|{localfs.in_use()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(sys.prefix) / "var" / "gamboge" / f"spark-{pyspark.__version__}-{digest}.jsa"


def _archive_in_use() -> Optional[Path]:
    if os.environ.get(ENV_CLASS_ARCHIVE, "").lower() == "off":
        return None
    archive = class_archive()
    return archive if archive is not None and archive.is_file() else None


def driver_options(workload_rows: Optional[int] = None, dump_archive_to: Optional[Path] = None) -> str:
    """``spark.driver.extraJavaOptions`` for a local session started for ``workload_rows`` landed
    rows (None: unknown, so the full JIT)."""
    options: List[str] = [TIMEZONE]
    if dump_archive_to is not None:
        options += [f"-XX:ArchiveClassesAtExit={dump_archive_to}", QUIET_ARCHIVE_LOG]
    else:
        archive = _archive_in_use()
        if archive is not None:
            options += [f"-XX:SharedArchiveFile={archive}", QUIET_ARCHIVE_LOG]
    if workload_rows is not None and workload_rows <= QUICK_JIT_MAX_ROWS:
        options.append("-XX:TieredStopAtLevel=1")
    return " ".join(options)
