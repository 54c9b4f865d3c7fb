"""``make deploy``: upload this version's artifacts, then ``terraform apply`` with that version.

Artifacts are immutable per version: ``s3://<artifacts bucket>/<version>/glue_jobs/<job>.py`` for
every job script in :data:`gamboge.common.workflow.JOBS` and ``ONE_OFF_JOBS``, and
``s3://<artifacts bucket>/<version>/wheels/<file>`` for every wheel ``make package`` put in
``dist/wheels/`` (the library wheel and each runtime's pinned dependencies, :mod:`gamboge.ops.artifacts`).
Each runtime's wheel list, from ``dist/artifacts.json``, becomes a terraform list variable, so the
Glue jobs in terraform (``terraform/glue.tf``) point at exactly these keys and install from them
alone. A deploy switches every job to the new code at once, and applying an older
``artifact_version`` rolls back.

The artifacts bucket is part of the stack. On the very first deploy it does not exist yet, so it is
created first with a targeted apply of that bucket alone, then the artifacts go up, then the whole
stack is applied.

Settings (environment):

- ``GAMBOGE_TF_BACKEND_CONFIG`` — file with the S3 backend settings for ``terraform init``
  (default ``terraform/backend.hcl``; see ``terraform/backend.hcl.example``).
- ``GAMBOGE_ARTIFACT_VERSION`` — override the version (default: the git commit, plus ``-dirty-<UTC
  time>`` when the work tree has uncommitted changes).
- Stack inputs come from ``terraform/terraform.tfvars`` (read by terraform itself) or ``TF_VAR_*``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from gamboge.common import workflow
from gamboge.common.errors import GambogeError
from gamboge.ops import artifacts

REPO_ROOT = artifacts.REPO_ROOT
TERRAFORM_DIR = REPO_ROOT / "terraform"
DIST_DIR = artifacts.DIST_DIR
DEFAULT_BACKEND_CONFIG = TERRAFORM_DIR / "backend.hcl"
# The first apply creates only this (and what it depends on: the key, the access-log bucket).
ARTIFACTS_BUCKET_TARGET = 'module.bucket["artifacts"]'
ARTIFACTS_BUCKET_OUTPUT = "artifacts_bucket"


class DeployError(GambogeError):
    """A precondition is missing; the message says what to do."""


def artifact_key(version: str, repo_path: str) -> str:
    """S3 key of one artifact: the version, then the file's path in the repo (or its file name)."""
    return f"{version}/{repo_path}"


def artifact_uploads(version: str, index: dict, dist: Path = DIST_DIR) -> List[Tuple[Path, str]]:
    """(local file, S3 key) for every artifact of this version: each job script, then every wheel
    any runtime of the package index (``dist/artifacts.json``) lists, once."""
    jobs = workflow.JOBS + workflow.ONE_OFF_JOBS
    uploads = [(REPO_ROOT / spec.script, artifact_key(version, spec.script)) for spec in jobs]
    wheels = sorted({name for entry in index["runtimes"].values() for name in entry["wheels"]})
    for name in wheels:
        path = f"{artifacts.WHEELS_DIR}/{name}"
        uploads.append((dist / path, artifact_key(version, path)))
    return uploads


def terraform_variables(version: str, index: dict) -> List[str]:
    """``-var`` arguments: the version, and each runtime's wheel list in install order."""
    variables = ["-var", f"artifact_version={version}"]
    for entry in index["runtimes"].values():
        variables += ["-var", f"{entry['terraform_variable']}={json.dumps(entry['wheels'])}"]
    return variables


def read_package_index(dist: Path = DIST_DIR) -> dict:
    try:
        return artifacts.read_index(dist)
    except artifacts.PackagingError as exc:
        raise DeployError(str(exc)) from exc


def default_version(repo: Path = REPO_ROOT) -> str:
    configured = os.environ.get("GAMBOGE_ARTIFACT_VERSION")
    if configured:
        return configured
    try:
        commit = _git(repo, "rev-parse", "--short=12", "HEAD")
        dirty = _git(repo, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise DeployError("cannot read the git commit; set GAMBOGE_ARTIFACT_VERSION") from exc
    if dirty:
        # Never reuse a commit's version for code that is not that commit.
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        return f"{commit}-dirty-{stamp}"
    return commit


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def require_terraform() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        raise DeployError("terraform is not installed (or not on PATH): install Terraform >= 1.6 to deploy")
    return binary


def require_aws_credentials() -> None:
    try:
        import boto3  # the `aws` extra (`make install`); imported late so --help works without it
    except ImportError as exc:
        raise DeployError("boto3 is missing: run `make install`") from exc
    credentials = boto3.session.Session().get_credentials()
    if credentials is None:
        raise DeployError(
            "no AWS credentials found: configure a profile (AWS_PROFILE), SSO login or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY for the target account, then run `make deploy` again"
        )


def backend_config() -> Path:
    configured = os.environ.get("GAMBOGE_TF_BACKEND_CONFIG")
    path = Path(configured) if configured else DEFAULT_BACKEND_CONFIG
    if not path.is_file():
        raise DeployError(
            f"no terraform backend settings at {path}: copy terraform/backend.hcl.example to terraform/backend.hcl "
            "(state bucket, key, region, lock table) or set GAMBOGE_TF_BACKEND_CONFIG"
        )
    return path.resolve()


def _terraform(binary: str, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    command = [binary, f"-chdir={TERRAFORM_DIR}", *args]
    print("+ terraform " + " ".join(args), flush=True)
    return subprocess.run(command, check=True, capture_output=capture, text=True)


def _existing_artifacts_bucket(binary: str) -> Optional[str]:
    try:
        result = _terraform(binary, "output", "-raw", ARTIFACTS_BUCKET_OUTPUT, capture=True)
    except subprocess.CalledProcessError:
        return None  # no state yet: the first deploy
    name = result.stdout.strip()
    return name or None


def upload(bucket: str, uploads: Sequence[Tuple[Path, str]]) -> None:
    import boto3

    s3 = boto3.client("s3")
    for local, key in uploads:
        if not local.is_file():
            raise DeployError(f"artifact {local} does not exist")
        # No encryption header: the bucket's default SSE-KMS with the stack's key applies (naming
        # aws:kms here without a key id would pick the AWS managed key instead).
        s3.upload_file(str(local), bucket, key)
        print(f"uploaded s3://{bucket}/{key}", flush=True)


def deploy(version: str, auto_approve: bool, plan_only: bool) -> None:
    binary = require_terraform()
    require_aws_credentials()
    index = read_package_index()
    backend = backend_config()
    uploads = artifact_uploads(version, index)
    variables = terraform_variables(version, index)
    approve = ["-auto-approve"] if auto_approve else []

    _terraform(binary, "init", "-input=false", f"-backend-config={backend}")
    bucket = _existing_artifacts_bucket(binary)
    if bucket is None:
        print("first deploy: creating the artifacts bucket before uploading", flush=True)
        _terraform(binary, "apply", "-input=false", f"-target={ARTIFACTS_BUCKET_TARGET}", *variables, *approve)
        bucket = _existing_artifacts_bucket(binary)
        if bucket is None:
            raise DeployError("the artifacts bucket was not created; see the terraform output above")
    upload(bucket, uploads)
    if plan_only:
        _terraform(binary, "plan", "-input=false", *variables)
    else:
        _terraform(binary, "apply", "-input=false", *variables, *approve)
    print(f"deployed artifact version {version}", flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gamboge.ops.deploy",
        description="Upload the job scripts and wheels under a version, then terraform apply that version.",
    )
    parser.add_argument("--version", help="artifact version (default: git commit, -dirty-<time> if modified)")
    parser.add_argument("--auto-approve", action="store_true", help="apply without terraform's confirmation prompt")
    parser.add_argument("--plan-only", action="store_true", help="upload the artifacts, then plan instead of apply")
    args = parser.parse_args(argv)
    try:
        version = args.version or default_version()
        deploy(version, auto_approve=args.auto_approve, plan_only=args.plan_only)
    except DeployError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"deploy: `{' '.join(map(str, exc.cmd[:3]))} …` failed with exit code {exc.returncode}", file=sys.stderr)
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
