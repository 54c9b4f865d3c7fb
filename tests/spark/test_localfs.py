"""The local sessions' file system: Hadoop's LocalFileSystem, setting modes without a chmod process."""

import stat
import zipfile

import pytest
from pyspark.sql import functions as F

from gamboge.spark import localfs

needs_javac = pytest.mark.skipif(localfs.javac() is None, reason="no javac: local sessions use Hadoop's file system")


def test_without_the_built_jar_sessions_keep_hadoops_file_system(tmp_path, monkeypatch):
    monkeypatch.setattr(localfs, "jar_path", lambda: tmp_path / "absent.jar")
    monkeypatch.delenv(localfs.ENV_SWITCH, raising=False)
    assert localfs.in_use() is None
    assert localfs.session_settings() == {}


def test_the_built_jar_is_used_unless_switched_off(tmp_path, monkeypatch):
    jar = tmp_path / "built.jar"
    jar.write_bytes(b"built")
    monkeypatch.setattr(localfs, "jar_path", lambda: jar)
    monkeypatch.delenv(localfs.ENV_SWITCH, raising=False)
    assert localfs.session_settings() == {
        "spark.driver.extraClassPath": str(jar),
        "spark.hadoop.fs.file.impl": "gamboge.hadoop.NioLocalFileSystem",
    }
    monkeypatch.setenv(localfs.ENV_SWITCH, "off")
    assert localfs.session_settings() == {}


def test_the_jar_is_named_after_its_source_and_pyspark():
    first = localfs.jar_path()
    assert first == localfs.jar_path()
    assert first.name.startswith("nio-local-fs-") and first.suffix == ".jar"


@needs_javac
def test_build_compiles_the_class_into_a_jar(tmp_path):
    jar = localfs.build(tmp_path / "fs.jar")
    assert jar == tmp_path / "fs.jar"
    with zipfile.ZipFile(jar) as archive:
        names = set(archive.namelist())
    assert {"gamboge/hadoop/NioLocalFileSystem.class", "gamboge/hadoop/NioLocalFileSystem$Raw.class"} <= names
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.spark
def test_the_test_session_writes_through_it_with_hadoops_modes(spark, tmp_path):
    """``make install`` builds the jar where javac exists, so the local sessions of the tests use
    it: files and folders get the modes Hadoop's own would give them (umask 022)."""
    configured = spark.sparkContext._jsc.hadoopConfiguration().get("fs.file.impl")
    assert configured == ("gamboge.hadoop.NioLocalFileSystem" if localfs.in_use() else None)
    spark.range(3).withColumn("part", F.col("id") % 2).write.partitionBy("part").parquet(str(tmp_path / "out"))
    folder = tmp_path / "out" / "part=1"
    (data,) = folder.glob("*.parquet")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE(data.stat().st_mode) == 0o644
    assert sorted(r.id for r in spark.read.parquet(str(tmp_path / "out")).collect()) == [0, 1, 2]
