"""The offline artifacts of each Glue runtime (shared/gamboge/ops/artifacts.py, `make package`, `make lock`).

Fast tests hold the lock files to pyproject.toml and the closure check to its rules on tiny wheels
made here. The slow test builds the real artifacts and installs each runtime's set, with pip's
index switched off, into a fresh virtualenv of that runtime's Python: the closure is complete.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import helpers
from gamboge.ops import artifacts

REPO = helpers.REPO


def _pyproject() -> dict:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def _top_level(target: artifacts.Runtime) -> list:
    project = _pyproject()
    declared = list(project["dependencies"])
    for extra in target.extras:
        declared += project["optional-dependencies"][extra]
    return [Requirement(value) for value in declared]


# --- the locks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", artifacts.RUNTIMES, ids=lambda target: target.key)
def test_each_lock_pins_what_pyproject_declares(target):
    pins = {pin.name: pin for pin in artifacts.read_lock(target.lock_file)}
    assert len(pins) == len(artifacts.read_lock(target.lock_file)), "a project pinned twice"
    for pin in pins.values():
        assert len(pin.sha256) == 64 and int(pin.sha256, 16) >= 0
    for requirement in _top_level(target):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{target.lock_file.name} lacks {requirement}: run `make lock`"
        assert requirement.specifier.contains(pins[name].version), f"{requirement} vs {pins[name]}: run `make lock`"


@pytest.mark.parametrize("target", artifacts.RUNTIMES, ids=lambda target: target.key)
def test_no_lock_replaces_what_its_runtime_provides(target):
    provided = {canonicalize_name(name) for name in target.provided}
    assert not provided & {pin.name for pin in artifacts.read_lock(target.lock_file)}


def test_glue_5_gets_boto3_from_the_runtime_and_the_python_shell_from_its_artifacts():
    spark = {pin.name for pin in artifacts.read_lock(artifacts.runtime("glue-5.0").lock_file)}
    shell = {pin.name: pin.version for pin in artifacts.read_lock(artifacts.runtime("glue-python-shell-3.9").lock_file)}
    assert "boto3" not in spark and "botocore" not in spark
    assert "boto3" in shell and "botocore" in shell
    # botocore caps urllib3 below 1.27 on Python < 3.10: the lock was resolved for 3.9, not for this Python.
    assert shell["urllib3"].startswith("1.26.")
    assert not any(Requirement(d).name == "boto3" for d in _pyproject()["dependencies"])


def test_every_glue_job_has_exactly_one_runtime():
    from gamboge.common import workflow

    keys = [key for target in artifacts.RUNTIMES for key in target.jobs]
    assert sorted(keys) == sorted(spec.key for spec in workflow.JOBS + workflow.ONE_OFF_JOBS)


# --- the closure check, on wheels made here ------------------------------------------------------


def _wheel(directory: Path, name: str, version: str, *requires: str) -> Path:
    path = directory / f"{name}-{version}-py3-none-any.whl"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {requirement}" for requirement in requires]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}-{version}.dist-info/METADATA", "\n".join(metadata) + "\n")
    return path


SHELL = artifacts.runtime("glue-python-shell-3.9")
SPARK = artifacts.runtime("glue-5.0")


def test_closure_follows_extras_and_markers_of_the_runtime_and_orders_dependencies_first(tmp_path):
    library = _wheel(tmp_path, "gamboge", "0.1.0", "alpha[fast]==1.0", 'boto3==1.40.76; extra == "aws"')
    alpha = _wheel(tmp_path, "alpha", "1.0", 'alpha-fast==1.0; extra == "fast"', 'legacy<2; python_version < "3.10"')
    fast = _wheel(tmp_path, "alpha_fast", "1.0")
    legacy = _wheel(tmp_path, "legacy", "1.5")
    boto3 = _wheel(tmp_path, "boto3", "1.40.76")

    order = artifacts.closure_order(SHELL, library, [boto3, legacy, alpha, fast])
    assert order == [fast, boto3, legacy, alpha, library]
    # On Python 3.11 legacy is not needed; without the aws extra neither is boto3.
    with pytest.raises(artifacts.PackagingError, match="locked but not needed: legacy"):
        artifacts.closure_order(SPARK, library, [legacy, alpha, fast])


def test_closure_reports_what_is_missing_or_at_a_version_not_accepted(tmp_path):
    library = _wheel(tmp_path, "gamboge", "0.1.0", "alpha==1.0", "beta")
    alpha = _wheel(tmp_path, "alpha", "1.1")
    with pytest.raises(artifacts.PackagingError) as raised:
        artifacts.closure_order(SPARK, library, [alpha])
    assert "gamboge needs alpha==1.0, the lock has alpha 1.1" in str(raised.value)
    assert "gamboge needs beta, which is neither locked nor provided" in str(raised.value)


def test_a_provided_package_counts_only_at_the_version_the_runtime_has(tmp_path):
    accepted = _wheel(tmp_path, "gamboge", "0.1.0", "boto3>=1.34")
    assert artifacts.closure_order(SPARK, accepted, []) == [accepted]
    (tmp_path / "newer").mkdir()
    rejected = _wheel(tmp_path / "newer", "gamboge", "0.1.0", "boto3==1.40.76")
    with pytest.raises(artifacts.PackagingError, match="glue-5.0 provides boto3 1.34.131"):
        artifacts.closure_order(SPARK, rejected, [])


def test_fetch_takes_locked_files_from_the_wheelhouse_by_hash_without_pip(tmp_path, monkeypatch):
    wheel = _wheel(tmp_path, "alpha", "1.0")
    pin = artifacts.Pin(canonicalize_name("alpha"), "1.0", artifacts._sha256(wheel))

    def no_pip(*args, **kwargs):
        raise AssertionError("pip was run although the wheelhouse has the file")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert artifacts.fetch(SPARK, [pin], tmp_path) == [wheel]


def test_read_lock_refuses_a_pin_without_a_hash(tmp_path, monkeypatch):
    lock = tmp_path / "lock.txt"
    lock.write_text("alpha==1.0\n")
    with pytest.raises(artifacts.PackagingError, match="exact pin with one sha256 hash"):
        artifacts.read_lock(lock)


# --- the real artifacts, installed offline --------------------------------------------------------


def _python(version: str):
    found = shutil.which(f"python{version}")
    candidates = [found] if found else []
    candidates += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}"))
    for candidate in candidates:
        if subprocess.run([candidate, "-c", "import venv"], capture_output=True).returncode == 0:
            return candidate
    return None


def _offline_env() -> dict:
    """No pip configuration and no PIP_* settings: no index, no find-links but the ones given."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


@pytest.mark.slow  # builds the artifacts (downloads them into a cold wheelhouse) and two virtualenvs
def test_each_runtimes_artifacts_install_without_an_index_and_import(tmp_path):
    interpreters = {"3.9": _python("3.9"), "3.11": sys.executable if sys.version_info[:2] == (3, 11) else None}
    if not all(interpreters.values()):
        pytest.skip(f"needs Python 3.9 and 3.11, found {interpreters}")
    dist = tmp_path / "dist"
    index = artifacts.package(dist)
    checks = {
        # The ingest job's whole import path, and psycopg's binary implementation (the cp39 wheel).
        "glue-python-shell-3.9": "import boto3, psycopg, gamboge.ingest.job; assert psycopg.pq.__impl__ == 'binary'",
        # The Spark jobs' own dependencies; boto3 and pyspark are the runtime's.
        "glue-5.0": "import psycopg, pycountry, gamboge.common.schema; assert psycopg.pq.__impl__ == 'binary'",
    }
    for target in artifacts.RUNTIMES:
        venv = tmp_path / target.key
        subprocess.run([interpreters[target.python_version], "-m", "venv", str(venv)], check=True)
        wheels = [str(dist / artifacts.WHEELS_DIR / name) for name in index["runtimes"][target.key]["wheels"]]
        assert wheels[-1].endswith(index["library_wheel"])
        install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", "--no-cache-dir"]
        result = subprocess.run([*install, *wheels], capture_output=True, text=True, env=_offline_env())
        assert result.returncode == 0, result.stdout + result.stderr
        # Run outside the repo, so `gamboge` is the installed wheel, not the working tree.
        result = subprocess.run(
            [str(venv / "bin" / "python"), "-c", checks[target.key]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=_offline_env(),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        check = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
