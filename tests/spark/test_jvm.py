"""The local driver JVM's options: the quick JIT for small work, the class archive when it exists."""

import sys
from pathlib import Path

import pyspark
import pytest

from gamboge.spark import jvm

QUICK_JIT = "-XX:TieredStopAtLevel=1"


@pytest.fixture()
def archive(tmp_path, monkeypatch):
    path = tmp_path / "spark.jsa"
    monkeypatch.setattr(jvm, "class_archive", lambda: path)
    monkeypatch.delenv(jvm.ENV_CLASS_ARCHIVE, raising=False)
    return path


def test_small_work_gets_the_quick_jit_and_large_or_unknown_work_the_full_one(archive):
    assert QUICK_JIT in jvm.driver_options(jvm.QUICK_JIT_MAX_ROWS).split()
    assert QUICK_JIT in jvm.driver_options(0).split()
    assert QUICK_JIT not in jvm.driver_options(jvm.QUICK_JIT_MAX_ROWS + 1).split()
    assert QUICK_JIT not in jvm.driver_options(None).split()
    assert jvm.driver_options(None).split() == [jvm.TIMEZONE]


def test_the_class_archive_is_used_once_made_unless_switched_off(archive, monkeypatch):
    use = f"-XX:SharedArchiveFile={archive}"
    assert use not in jvm.driver_options(None).split()
    archive.write_bytes(b"made")
    assert jvm.driver_options(None).split() == [jvm.TIMEZONE, use, jvm.QUIET_ARCHIVE_LOG]
    monkeypatch.setenv(jvm.ENV_CLASS_ARCHIVE, "off")
    assert jvm.driver_options(None).split() == [jvm.TIMEZONE]


def test_the_session_that_makes_the_archive_does_not_read_one(archive, tmp_path):
    archive.write_bytes(b"made")
    options = jvm.driver_options(None, dump_archive_to=tmp_path / "new.jsa").split()
    assert options == [jvm.TIMEZONE, f"-XX:ArchiveClassesAtExit={tmp_path / 'new.jsa'}", jvm.QUIET_ARCHIVE_LOG]


def test_the_archive_belongs_to_one_java_build_and_one_pyspark(tmp_path, monkeypatch):
    here = jvm.class_archive()
    assert here is not None
    assert here.parent == Path(sys.prefix) / "var" / "gamboge"
    assert here.name.startswith(f"spark-{pyspark.__version__}-") and here.suffix == ".jsa"
    other_java = tmp_path / "jdk" / "bin" / "java"
    other_java.parent.mkdir(parents=True)
    other_java.write_text("another build")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    elsewhere = jvm.class_archive()
    assert elsewhere is not None and elsewhere != here and elsewhere.parent == here.parent


@pytest.mark.spark
def test_the_local_session_jvm_runs_with_these_options(spark):
    """The test session is a local one: its JVM got the options, the archive among them exactly
    when one has been made (``make install`` makes it)."""
    arguments = list(
        spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )
    assert jvm.TIMEZONE in arguments
    archive = jvm.class_archive()
    assert (f"-XX:SharedArchiveFile={archive}" in arguments) == archive.is_file()
    assert QUICK_JIT not in arguments  # started for no known workload
