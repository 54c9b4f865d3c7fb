"""The local sessions' ``file://`` file system: Hadoop's, without a ``chmod`` process per file.

Without Hadoop's native library, which pyspark does not ship, Hadoop's local file system sets the
permissions of every file and directory it creates by running ``chmod``: a cold scale-1 build
started 437 of them (one per Parquet file, its checksum file and each task's directories).
NioLocalFileSystem.java, beside this module, is Hadoop's LocalFileSystem setting the same modes
through java.nio. ``python -m gamboge.spark.jvm_archive ensure`` (``make install``) compiles it
once per pyspark installation when a JDK's ``javac`` is there; a local session uses it once built
(``GAMBOGE_SPARK_NIO_FS=off``: Hadoop's own). Glue's sessions write to S3: none of this applies there.
"""

import hashlib
import os
import shutil
import subprocess  # nosec B404
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, Optional

ENV_SWITCH = "GAMBOGE_SPARK_NIO_FS"  # "off": Hadoop's own local file system
SOURCE = Path(__file__).with_name("NioLocalFileSystem.java")
CLASS_NAME = "gamboge.hadoop.NioLocalFileSystem"
# What the class compiles against, from pyspark's jars.
COMPILE_AGAINST = ("hadoop-client-api-", "slf4j-api-")


def _spark_jars() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def jar_path() -> Path:
    """Where the compiled class lives for this source and this pyspark (it need not exist yet)."""
    import pyspark

    key = hashlib.sha256(SOURCE.read_bytes() + pyspark.__version__.encode()).hexdigest()[:16]
    return Path(sys.prefix) / "var" / "gamboge" / f"nio-local-fs-{key}.jar"


def in_use() -> Optional[Path]:
    """The built jar local sessions put on the driver's class path, None when there is none or it
    is switched off."""
    if os.environ.get(ENV_SWITCH, "").lower() == "off":
        return None
    jar = jar_path()
    return jar if jar.is_file() else None


def session_settings() -> Dict[str, str]:
    """The local session's settings that make ``file://`` go through the class (none without it)."""
    jar = in_use()
    if jar is None:
        return {}
    return {"spark.driver.extraClassPath": str(jar), "spark.hadoop.fs.file.impl": CLASS_NAME}


def javac() -> Optional[str]:
    """The JDK's compiler ``build`` uses (JAVA_HOME's, else the one on PATH); None with a JRE only."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "javac").is_file():
        return str(Path(java_home) / "bin" / "javac")
    return shutil.which("javac")


def build(jar: Optional[Path] = None) -> Optional[Path]:
    """Compile the class into ``jar`` (default ``jar_path()``) unless it exists; None without javac."""
    jar = jar or jar_path()
    if jar.is_file():
        return jar
    compiler = javac()
    if compiler is None:
        return None
    classpath = [str(p) for p in sorted(_spark_jars().glob("*.jar")) if p.name.startswith(COMPILE_AGAINST)]
    with tempfile.TemporaryDirectory(prefix="gamboge-nio-fs-") as classes:
        # A fixed argv: javac (from JAVA_HOME or PATH) on this package's own source.
        subprocess.run(  # nosec B603
            [compiler, "-nowarn", "-d", classes, "-cp", os.pathsep.join(classpath), str(SOURCE)],
            check=True,
            capture_output=True,
        )
        jar.parent.mkdir(parents=True, exist_ok=True)
        partial = jar.with_name(f"{jar.name}.{os.getpid()}.partial")
        with zipfile.ZipFile(partial, "w") as archive:
            for path in sorted(Path(classes).rglob("*.class")):
                archive.write(path, path.relative_to(classes).as_posix())
        os.replace(partial, jar)
    return jar
