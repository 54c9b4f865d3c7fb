"""Locate the PostgreSQL JDBC driver for local Spark runs (Glue 5.0 has it built in).

Order: ``GAMBOGE_JDBC_JAR``; the local Maven repository (``~/.m2``, newest version); Debian's
``libpostgresql-jdbc-java`` (``/usr/share/java/postgresql.jar``). ``python -m gamboge.spark.jdbc_driver
ensure`` installs the Debian package when nothing is found and we may (root, apt-get present).
"""

import glob
import os
import shutil
import subprocess
import sys
from typing import Optional

ENV_JAR = "GAMBOGE_JDBC_JAR"
DEBIAN_JAR = "/usr/share/java/postgresql.jar"
DRIVER_CLASS = "org.postgresql.Driver"


def _version_key(path: str):
    version = os.path.basename(os.path.dirname(path))
    return [int(p) if p.isdigit() else 0 for p in version.replace("-", ".").split(".")]


def find_jar() -> Optional[str]:
    configured = os.environ.get(ENV_JAR)
    if configured:
        return configured if os.path.exists(configured) else None
    m2 = os.path.expanduser("~/.m2/repository/org/postgresql/postgresql/*/postgresql-*.jar")
    jars = [j for j in glob.glob(m2) if not j.endswith(("-sources.jar", "-javadoc.jar"))]
    if jars:
        return max(jars, key=_version_key)
    return DEBIAN_JAR if os.path.exists(DEBIAN_JAR) else None


def require_jar() -> str:
    jar = find_jar()
    if not jar:
        raise RuntimeError(
            f"the PostgreSQL JDBC driver was not found. Set {ENV_JAR} to a postgresql-*.jar, or install it: "
            "`apt-get install libpostgresql-jdbc-java` (Debian/Ubuntu), "
            "`mvn dependency:get -Dartifact=org.postgresql:postgresql:42.7.4` (any OS)"
        )
    return jar


def ensure() -> str:
    if find_jar() is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing the PostgreSQL JDBC driver (libpostgresql-jdbc-java)", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "libpostgresql-jdbc-java"], check=True, env=env)
    return require_jar()


if __name__ == "__main__":
    if sys.argv[1:] != ["ensure"]:
        print("usage: python -m gamboge.spark.jdbc_driver ensure", file=sys.stderr)
        sys.exit(2)
    try:
        print(ensure())
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"gamboge: {exc}", file=sys.stderr)
        sys.exit(1)
