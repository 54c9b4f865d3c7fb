"""Start a job script the way AWS Glue starts it, in a subprocess.

``sys.argv`` is what Glue builds for a run: the script path, every ``default_arguments`` entry of
the job's ``aws_glue_job`` in terraform (read with python-hcl2; run arguments override them), and
Glue's own ``--JOB_ID``, ``--JOB_RUN_ID``, ``--JOB_NAME`` and, inside a workflow,
``--WORKFLOW_NAME``/``--WORKFLOW_RUN_ID``. Terraform's references are pointed at local things: the
lake (file:// or s3:// on the moto server), secrets and the Glue connection and catalog database
on the moto server, the terraform variables at their defaults. A project argument whose terraform
value the launcher cannot point anywhere fails loudly, so a new argument cannot go untested.

The Python-shell job runs under Python 3.9 (.venv-py39, Glue's Python-shell runtime locally) with
nothing stood in. The Spark jobs run under this Python 3.11 through ``tests/helpers/glue_standin.py``, which
stands in only what needs Glue's JVM (GlueContext's Spark session and ``extract_jdbc_conf``,
``Job.init``/``commit``); with ``GAMBOGE_REAL_GLUE=1`` (inside the official Glue 5 image, `make
docker-test`) the scripts run as they are, on the image's real GlueContext.
"""

import json
import os
import random
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, List, Mapping, NamedTuple, Optional

import hcl2

import helpers
from gamboge import LIBRARY_ROOT
from gamboge.common import workflow

REPO = helpers.REPO
TERRAFORM = REPO / "terraform"
PY39 = REPO / ".venv-py39" / "bin" / "python"
STANDIN = REPO / "tests" / "helpers" / "glue_standin.py"
REAL_GLUE = os.environ.get("GAMBOGE_REAL_GLUE") == "1"
INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
ORDERS = ("job-first", "glue-first", "shuffled")


class LauncherError(AssertionError):
    pass


class GlueJob(NamedTuple):
    key: str
    name_template: str  # the terraform expression of the job's name
    command: str
    python_version: str
    default_arguments: Dict[str, str]  # as written in terraform


def _load_terraform() -> List[dict]:
    documents = []
    for path in sorted(TERRAFORM.glob("*.tf")):
        with path.open() as handle:
            documents.append(hcl2.load(handle))
    return documents


def terraform_jobs() -> Dict[str, GlueJob]:
    jobs = {}
    for document in _load_terraform():
        for block in document.get("resource", []):
            for key, job in block.get("aws_glue_job", {}).items():
                (command,) = job["command"]
                jobs[key] = GlueJob(
                    key, job["name"], command["name"], str(command.get("python_version")), job["default_arguments"]
                )
    return jobs


def variable_defaults() -> Dict[str, object]:
    defaults = {}
    for document in _load_terraform():
        for block in document.get("variable", []):
            for name, variable in block.items():
                if "default" in variable:
                    defaults[name] = variable["default"]
    return defaults


class LocalAws(NamedTuple):
    """What terraform's references point at here."""

    endpoint: str  # the moto server
    region: str
    lake: str  # file:///… or s3://bucket/prefix
    references: Dict[str, str]  # terraform reference (e.g. "local.landing_uri") → local value

    def env(self, **extra: str) -> Dict[str, str]:
        """The job process's environment: boto3 to the moto server, no region (the job's
        --aws_region must bring it), no local DSN or lake (the job's arguments must)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GAMBOGE_", "AWS_")) and k != "PYTHONPATH"}
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - the moto server's dummy credentials
            PYTHONPATH=str(LIBRARY_ROOT),
            GAMBOGE_LOG_FORMAT="json",
            GAMBOGE_SPARK_MASTER="local[2]",
            GAMBOGE_SPARK_DRIVER_MEMORY="2g",
        )
        env.update(extra)
        return env


def _evaluate(expression: str, variables: Mapping[str, object], local: LocalAws) -> Optional[str]:
    """One ``${…}`` of terraform: a variable at its default, a reference pointed at a local value;
    None when it is neither."""
    expression = expression.strip()
    function = re.fullmatch(r"tostring\((.*)\)", expression)
    if function:
        expression = function.group(1).strip()
    if expression.startswith("var."):
        value = variables[expression[len("var.") :]]
        return str(value).lower() if isinstance(value, bool) else str(value)
    return local.references.get(expression)


def evaluate(template: str, variables: Mapping[str, object], local: LocalAws) -> Optional[str]:
    unresolved = []

    def one(match: "re.Match[str]") -> str:
        value = _evaluate(match.group(1), variables, local)
        if value is None:
            unresolved.append(match.group(1))
            return "<" + match.group(1) + ">"
        return value

    text = INTERPOLATION.sub(one, template)
    return None if unresolved else text


def job_name(key: str, local: LocalAws) -> str:
    name = evaluate(terraform_jobs()[key].name_template, variable_defaults(), local)
    if name is None:
        raise LauncherError(f"cannot evaluate the name of job {key}")
    return name


def glue_argv(
    key: str,
    local: LocalAws,
    *,
    run_arguments: Optional[Mapping[str, str]] = None,
    workflow_run: Optional[Mapping[str, str]] = None,
    order: str = "job-first",
    seed: int = 0,
) -> List[str]:
    """The ``sys.argv`` Glue builds for one run of job ``key``."""
    job = terraform_jobs()[key]
    spec = workflow.job(key)
    variables = variable_defaults()
    own = {"--" + name for name in spec.arguments} | ({"--job-bookmark-option"} if spec.glue_bookmark else set())
    arguments: Dict[str, str] = {}
    for flag, template in job.default_arguments.items():
        value = evaluate(str(template), variables, local)
        if value is None:
            if flag in own:
                raise LauncherError(
                    f"{key}: terraform passes {flag} = {template!r}, which the launcher cannot point here"
                )
            value = INTERPOLATION.sub(lambda m: "<" + m.group(1) + ">", str(template))  # Glue's own: unused
        arguments[flag] = value
    for flag, value in (run_arguments or {}).items():  # start-job-run --arguments override the defaults
        arguments[flag] = value
    job_pairs = [[flag, value] for flag, value in arguments.items()]
    run_id = "jr_" + uuid.uuid4().hex
    glue_pairs = [
        ["--JOB_ID", "j_" + uuid.uuid4().hex[:24]],
        ["--JOB_RUN_ID", run_id],
        ["--JOB_NAME", job_name(key, local)],
    ]
    if workflow_run:
        glue_pairs += [["--WORKFLOW_NAME", workflow_run["name"]], ["--WORKFLOW_RUN_ID", workflow_run["run_id"]]]
    if order == "job-first":  # how Glue 5.0 orders them (public fixtures of real runs)
        pairs = job_pairs + glue_pairs
    elif order == "glue-first":
        pairs = glue_pairs + job_pairs
    elif order == "shuffled":
        pairs = job_pairs + glue_pairs
        random.Random(seed).shuffle(pairs)
    else:
        raise ValueError(order)
    script = str(REPO / spec.script)
    return [script] + [item for pair in pairs for item in pair]


class JobRun(NamedTuple):
    argv: List[str]
    returncode: int
    stdout: str
    stderr: str
    standin_calls: List[dict]  # Job.init / commit as the stand-in recorded them

    def events(self) -> List[dict]:
        """The job's JSON log events (one object per stderr line)."""
        out = []
        for line in self.stderr.splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out


def run(key: str, argv: List[str], local: LocalAws, tmp: Path, timeout: float = 900, **env: str) -> JobRun:
    """Run the script as Glue would: Python shell under 3.9, Spark jobs under 3.11 (stand-in or real)."""
    spec = workflow.job(key)
    record = tmp / f"standin-{uuid.uuid4().hex[:8]}.jsonl"
    if spec.glue_command == "pythonshell":
        # Glue's Python shell is 3.9; the Glue 5 image has only its own 3.11.
        command = [sys.executable if REAL_GLUE else str(PY39), *argv]
    elif REAL_GLUE:
        command = [sys.executable, *argv]
    else:
        command = [sys.executable, str(STANDIN), *argv]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=local.env(GAMBOGE_STANDIN_RECORD=str(record), **env),
        cwd=str(tmp),  # never the repo: the job must find everything through its arguments
        timeout=timeout,
    )
    calls = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return JobRun(argv, result.returncode, result.stdout, result.stderr, calls)
