"""``make lock`` and ``make package``: the pinned, offline Python artifacts of each Glue runtime.

No job run installs anything from a package index. For each Glue runtime the jobs use, a lock file
in ``requirements/`` pins the library wheel's whole dependency closure for that runtime's Python and
platform, with hashes; ``make package`` builds the library wheel and fetches exactly those files
into ``dist/wheels/``, checks offline that they close over the wheel's requirements, and writes
``dist/artifacts.json``: per runtime, its wheels in install order (dependencies first, the library
last). ``make deploy`` uploads them and hands each list to terraform (``shared/gamboge/ops/deploy.py``).

pyproject.toml stays the one place top-level dependencies are declared; a lock is derived from it
with ``make lock`` and only changes when that is run.

What a runtime already provides is not shipped again (it would replace the runtime's own copy):

- Glue 5.0 provides boto3, botocore, s3transfer and the rest of :data:`GLUE_5_PROVIDED` ("Python
  modules already provided in AWS Glue", https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html#glue-modules-provided),
  and pyspark. A requirement on one of them must accept the provided version.
- The Python shell 3.9 has boto3 (1.21.21) only with the ``analytics`` library set and not with
  ``none`` (https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html#python-shell-supported-library),
  so its artifacts bring the ``aws`` extra (boto3 and its closure) and count on nothing provided.

Fetched files are kept in a wheelhouse (``GAMBOGE_WHEELHOUSE``, default ``~/.cache/gamboge/wheelhouse``)
and found there again by hash, so a repeated ``make package`` needs no network.

A lock is resolved by the runtime's own Python version (``make lock`` needs a Python 3.9): pip
evaluates environment markers with the interpreter that runs it, whatever ``--python-version``
says, and botocore, for one, pins a different urllib3 below Python 3.10.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from gamboge.common import config
from gamboge.common.errors import GambogeError

REPO_ROOT = config.project_root()
DIST_DIR = REPO_ROOT / "dist"
LOCK_DIR = REPO_ROOT / "requirements"
INDEX_NAME = "artifacts.json"
WHEELS_DIR = "wheels"  # under dist/ and under the artifact version in S3
INDEX_FORMAT = 1
LIBRARY = canonicalize_name("gamboge")

# AWS Glue 5.0 "includes the following Python modules out of the box" (the page above).
GLUE_5_PROVIDED: Mapping[str, str] = {
    "aiobotocore": "2.13.1",
    "aiohappyeyeballs": "2.3.5",
    "aiohttp": "3.10.1",
    "aioitertools": "0.11.0",
    "aiosignal": "1.3.1",
    "appdirs": "1.4.4",
    "attrs": "24.2.0",
    "boto3": "1.34.131",
    "botocore": "1.34.131",
    "certifi": "2024.7.4",
    "charset-normalizer": "3.3.2",
    "contourpy": "1.2.1",
    "cycler": "0.12.1",
    "fonttools": "4.53.1",
    "frozenlist": "1.4.1",
    "fsspec": "2024.6.1",
    "idna": "2.10",
    "jmespath": "0.10.0",
    "kaleido": "0.2.1",
    "kiwisolver": "1.4.5",
    "matplotlib": "3.9.0",
    "multidict": "6.0.5",
    "numpy": "1.26.4",
    "packaging": "24.1",
    "pandas": "2.2.2",
    "pillow": "10.4.0",
    "pip": "23.0.1",
    "plotly": "5.23.0",
    "pyarrow": "17.0.0",
    "pyparsing": "3.1.2",
    "python-dateutil": "2.9.0.post0",
    "pytz": "2024.1",
    "requests": "2.32.2",
    "s3fs": "2024.6.1",
    "s3transfer": "0.10.2",
    "seaborn": "0.13.2",
    "setuptools": "59.6.0",
    "six": "1.16.0",
    "tenacity": "9.0.0",
    "tzdata": "2024.1",
    "urllib3": "1.25.10",
    "virtualenv": "20.4.0",
    "wrapt": "1.16.0",
    "yarl": "1.9.4",
    # Not in that list because it is the runtime itself: Glue 5.0 is Spark 3.5.4.
    "pyspark": "3.5.4",
}


class Runtime(NamedTuple):
    key: str
    description: str
    jobs: Tuple[str, ...]  # gamboge.common.workflow job keys that run on it
    python_version: str  # major.minor
    platforms: Tuple[str, ...]  # pip --platform tags, most specific first
    extras: Tuple[str, ...]  # extras of the library wheel this runtime needs
    provided: Mapping[str, str]  # distribution name -> version the runtime already has
    terraform_variable: str  # the terraform list variable that receives its wheel file names

    @property
    def abi(self) -> str:
        return "cp" + self.python_version.replace(".", "")

    @property
    def lock_file(self) -> Path:
        return LOCK_DIR / f"{self.key}.txt"

    def marker_environment(self, extra: str = "") -> Dict[str, str]:
        """The environment markers of the runtime (CPython on x86_64 Linux), not of this machine."""
        return {
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "python_version": self.python_version,
            "python_full_version": self.python_version + ".0",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": "x86_64",
            "extra": extra,
        }


RUNTIMES: Tuple[Runtime, ...] = (
    Runtime(
        key="glue-python-shell-3.9",
        description="Glue Python shell, Python 3.9 (Amazon Linux 2, glibc 2.26)",
        jobs=("ingest", "warehouse_setup"),
        python_version="3.9",
        platforms=("manylinux2014_x86_64",),
        extras=("aws",),
        provided={},
        terraform_variable="python_shell_wheels",
    ),
    Runtime(
        key="glue-5.0",
        description="Glue 5.0 Spark, Python 3.11 (Amazon Linux 2023, glibc 2.34)",
        jobs=("transform", "load"),
        python_version="3.11",
        platforms=("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
        extras=(),
        provided=GLUE_5_PROVIDED,
        terraform_variable="spark_wheels",
    ),
)


def runtime(key: str) -> Runtime:
    for candidate in RUNTIMES:
        if candidate.key == key:
            return candidate
    raise KeyError(key)


class PackagingError(GambogeError):
    """The artifacts cannot be built as locked; the message says what to do."""


class Pin(NamedTuple):
    name: NormalizedName
    version: str
    sha256: str


# --- lock files ----------------------------------------------------------------------------------


def read_lock(path: Path) -> List[Pin]:
    """The pins of a lock file written by :func:`write_lock` (``name==version --hash=sha256:...``)."""
    if not path.is_file():
        raise PackagingError(f"no lock file {path}: run `make lock`")
    pins = []
    for line in path.read_text().replace("\\\n", " ").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        name, sep, version = requirement.partition("==")
        hashes = [option.split(":", 1)[1] for option in options if option.startswith("--hash=sha256:")]
        if not sep or len(hashes) != 1:
            raise PackagingError(f"{path}: {line!r} is not an exact pin with one sha256 hash; run `make lock`")
        pins.append(Pin(canonicalize_name(name), version, hashes[0]))
    return pins


def write_lock(target: Runtime, files: Iterable[Path]) -> List[Pin]:
    pins = sorted((_pin_of(path) for path in files), key=lambda pin: pin.name)
    lines = [
        f"# {target.description}: the closure of the gamboge wheel"
        + (f" with extras {','.join(target.extras)}" if target.extras else ""),
        f"# for {target.abi} on {', '.join(target.platforms)}, minus what the runtime provides.",
        "# Generated by `make lock` (shared/gamboge/ops/artifacts.py) from pyproject.toml; do not edit by hand.",
    ]
    for pin in pins:
        lines += [f"{pin.name}=={pin.version} \\", f"    --hash=sha256:{pin.sha256}"]
    target.lock_file.parent.mkdir(parents=True, exist_ok=True)
    target.lock_file.write_text("\n".join(lines) + "\n")
    return pins


def _pin_of(path: Path) -> Pin:
    name, version, _, _ = parse_wheel_filename(path.name)
    return Pin(name, str(version), _sha256(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- resolving (make lock) -----------------------------------------------------------------------


def _pip_target_options(target: Runtime) -> List[str]:
    options = ["--only-binary=:all:", "--implementation", "cp", "--python-version", target.python_version]
    options += ["--abi", target.abi]
    for platform in target.platforms:
        options += ["--platform", platform]
    return options


def lock(target: Runtime, wheel: Path, interpreter: str) -> List[Pin]:
    """Resolve the wheel's closure for the runtime with an interpreter of the runtime's Python version."""
    version = subprocess.run(
        [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if version != target.python_version:
        raise PackagingError(f"{target.key} must be resolved by Python {target.python_version}, not {version}")
    with tempfile.TemporaryDirectory() as scratch:
        spec = str(wheel) + (f"[{','.join(target.extras)}]" if target.extras else "")
        command = [interpreter, "-m", "pip", "download", "--quiet", "--dest", scratch]
        subprocess.run([*command, *_pip_target_options(target), spec], check=True)
        files = [path for path in Path(scratch).glob("*.whl") if parse_wheel_filename(path.name)[0] != LIBRARY]
        provided = _canonical(target.provided)
        kept = [path for path in files if parse_wheel_filename(path.name)[0] not in provided]
        # A provided package is left out (with what only it needed), so the closure must accept the
        # version the runtime has.
        ordered = closure_order(target, wheel, kept, allow_unused=True)
        return write_lock(target, ordered[:-1])


def _canonical(provided: Mapping[str, str]) -> Dict[NormalizedName, str]:
    return {canonicalize_name(name): version for name, version in provided.items()}


# --- checking the closure offline ----------------------------------------------------------------


def _requirements_of(wheel: Path) -> List[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(metadata).decode("utf-8"))
    return [Requirement(value) for value in message.get_all("Requires-Dist") or []]


def _applies(requirement: Requirement, target: Runtime, extras: FrozenSet[str]) -> bool:
    if requirement.marker is None:
        return True
    marker: Marker = requirement.marker
    return any(marker.evaluate(target.marker_environment(extra)) for extra in ("", *sorted(extras)))


def closure_order(target: Runtime, wheel: Path, dependencies: Sequence[Path], allow_unused: bool = False) -> List[Path]:
    """The wheel and its dependencies in install order, after checking the closure is complete.

    Every requirement (markers evaluated for the runtime, extras followed) must be met by one of
    the files or by a package the runtime provides, at an accepted version; and every file must be
    needed (unless ``allow_unused``: then the unneeded ones are left out). Raises
    :class:`PackagingError` listing what is wrong.
    """
    files: Dict[NormalizedName, Path] = {LIBRARY: wheel}
    for path in dependencies:
        name = parse_wheel_filename(path.name)[0]
        if name in files:
            raise PackagingError(f"{path.name}: a second file for {name}")
        files[name] = path
    versions = {name: parse_wheel_filename(path.name)[1] for name, path in files.items()}
    provided = _canonical(target.provided)
    problems: List[str] = []
    edges: Dict[NormalizedName, Set[NormalizedName]] = {name: set() for name in files}
    seen: Set[Tuple[NormalizedName, FrozenSet[str]]] = set()
    pending: List[Tuple[NormalizedName, FrozenSet[str]]] = [(LIBRARY, frozenset(target.extras))]
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        for requirement in _requirements_of(files[name]):
            if not _applies(requirement, target, extras):
                continue
            needed = canonicalize_name(requirement.name)
            if needed in files:
                if not requirement.specifier.contains(versions[needed], prereleases=True):
                    problems.append(f"{name} needs {requirement}, the lock has {needed} {versions[needed]}")
                edges[name].add(needed)
                pending.append((needed, frozenset(requirement.extras)))
            elif needed in provided:
                if not requirement.specifier.contains(Version(provided[needed]), prereleases=True):
                    problems.append(f"{name} needs {requirement}, {target.key} provides {needed} {provided[needed]}")
            else:
                problems.append(f"{name} needs {requirement}, which is neither locked nor provided")
    unused = sorted(set(files) - {name for name, _ in seen})
    if unused and not allow_unused:
        problems.append("locked but not needed: " + ", ".join(unused))
    for name in unused:
        del edges[name]
    if problems:
        raise PackagingError(
            f"{target.key}: " + "; ".join(problems) + ". Run `make lock` after changing pyproject.toml."
        )
    return [files[name] for name in _install_order(edges)]


def _install_order(edges: Mapping[NormalizedName, Set[NormalizedName]]) -> List[NormalizedName]:
    """Dependencies before dependents; ties by name, so the order is stable."""
    order: List[NormalizedName] = []
    placed: Set[NormalizedName] = set()
    while len(order) < len(edges):
        ready = sorted(name for name in edges if name not in placed and edges[name] <= placed)
        if not ready:
            raise PackagingError("dependency cycle among " + ", ".join(sorted(set(edges) - placed)))
        order.append(ready[0])
        placed.add(ready[0])
    return order


# --- fetching (make package) ---------------------------------------------------------------------


def default_wheelhouse() -> Path:
    configured = os.environ.get("GAMBOGE_WHEELHOUSE")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "gamboge" / "wheelhouse"


def fetch(target: Runtime, pins: Sequence[Pin], wheelhouse: Path) -> List[Path]:
    """The locked files, from the wheelhouse where present (by hash), else downloaded into it."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    found = _by_hash(wheelhouse)
    missing = [pin for pin in pins if pin.sha256 not in found]
    if missing:
        with tempfile.TemporaryDirectory() as scratch:
            requirements = Path(scratch) / "requirements.txt"
            requirements.write_text(
                "".join(f"{pin.name}=={pin.version} --hash=sha256:{pin.sha256}\n" for pin in missing)
            )
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes"]
            command += ["--dest", scratch, *_pip_target_options(target), "-r", str(requirements)]
            subprocess.run(command, check=True)
            for path in Path(scratch).glob("*.whl"):
                shutil.copy2(path, wheelhouse / path.name)
        found = _by_hash(wheelhouse)
    absent = [f"{pin.name}=={pin.version}" for pin in pins if pin.sha256 not in found]
    if absent:
        raise PackagingError(f"{target.key}: no file with the locked hash for {', '.join(absent)}")
    return [found[pin.sha256] for pin in pins]


def _by_hash(directory: Path) -> Dict[str, Path]:
    return {_sha256(path): path for path in sorted(directory.glob("*.whl"))}


def build_library_wheel(dist: Path) -> Path:
    for old in dist.glob("gamboge-*.whl"):
        old.unlink()
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO_ROOT)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PackagingError("building the library wheel failed:\n" + result.stdout[-3000:] + result.stderr[-3000:])
    (wheel,) = dist.glob("gamboge-*-py3-none-any.whl")
    return wheel


def package(dist: Path = DIST_DIR, wheelhouse: Optional[Path] = None) -> dict:
    """Build ``dist/``: the library wheel, every runtime's locked wheels, and ``artifacts.json``."""
    wheelhouse = wheelhouse or default_wheelhouse()
    if dist.exists():
        shutil.rmtree(dist)
    wheels_dir = dist / WHEELS_DIR
    wheels_dir.mkdir(parents=True)
    wheel = build_library_wheel(wheels_dir)
    index: Dict[str, Any] = {"format": INDEX_FORMAT, "library_wheel": wheel.name, "runtimes": {}}
    for target in RUNTIMES:
        files = fetch(target, read_lock(target.lock_file), wheelhouse)
        ordered = closure_order(target, wheel, files)
        for path in ordered[:-1]:
            shutil.copy2(path, wheels_dir / path.name)
        index["runtimes"][target.key] = {
            "description": target.description,
            "jobs": list(target.jobs),
            "terraform_variable": target.terraform_variable,
            "wheels": [path.name for path in ordered],
        }
    (dist / INDEX_NAME).write_text(json.dumps(index, indent=2) + "\n")
    return index


def read_index(dist: Path = DIST_DIR) -> dict:
    path = dist / INDEX_NAME
    if not path.is_file():
        raise PackagingError(f"no {path}: run `make package` first")
    index = json.loads(path.read_text())
    if index.get("format") != INDEX_FORMAT:
        raise PackagingError(f"{path} has format {index.get('format')!r}, expected {INDEX_FORMAT}: run `make package`")
    return index


# --- command line --------------------------------------------------------------------------------


def _interpreter_for(target: Runtime) -> str:
    """An interpreter of the runtime's Python version: this one, $PY39/$PY311, or pythonX.Y."""
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == target.python_version:
        return sys.executable
    configured = os.environ.get("PY" + target.python_version.replace(".", ""))
    candidates = [configured] if configured else []
    candidates.append(shutil.which(f"python{target.python_version}") or "")
    candidates += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{target.python_version}*/bin/python3*"))
    for candidate in filter(None, candidates):
        try:
            subprocess.run([candidate, "-m", "pip", "--version"], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            continue
        return candidate
    raise PackagingError(f"`make lock` needs Python {target.python_version} with pip (set PY{target.abi[2:]}=...)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gamboge.ops.artifacts", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["package", "lock"])
    parser.add_argument("--dist", type=Path, default=DIST_DIR, help="output directory (default dist/)")
    args = parser.parse_args(argv)
    try:
        if args.command == "lock":
            with tempfile.TemporaryDirectory() as scratch:
                wheel = build_library_wheel(Path(scratch))
                for target in RUNTIMES:
                    pins = lock(target, wheel, _interpreter_for(target))
                    print(f"{target.lock_file.relative_to(REPO_ROOT)}: {len(pins)} pins")
        else:
            index = package(args.dist)
            for key, entry in index["runtimes"].items():
                print(f"{key} ({', '.join(entry['jobs'])}): " + " ".join(entry["wheels"]))
    except PackagingError as exc:
        print(f"artifacts: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
