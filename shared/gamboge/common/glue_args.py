"""Job arguments, parsed the way AWS Glue parses them: with awsglue's own ``getResolvedOptions``.

Glue starts a job script with ``sys.argv`` = the script path, the job's default arguments and the
run's arguments (``--name value`` pairs), and its own: ``--JOB_ID``, ``--JOB_RUN_ID``,
``--JOB_NAME`` and, inside a workflow, ``--WORKFLOW_NAME``/``--WORKFLOW_RUN_ID``. Every job here
parses that argv with the real ``awsglue.utils.getResolvedOptions`` (AWS's library, PyPI
``AWSGlueDataplanePython``), on Glue and locally alike, so what works here works there:

- it parses ``argv[1:]``: callers hand over the whole ``sys.argv``, script path first;
- it treats every requested name as required, so only the names present in argv are requested
  and the others keep the stage's default;
- it refuses to be asked for Glue's reserved names (``job-bookmark-option``, ``JOB_ID``, …) and
  parses ``--job-bookmark-option`` itself, handing it back as ``job_bookmark_option`` (default
  ``job-bookmark-disable``, as on Glue).

Imported by the ingest job: Python 3.9 compatible.
"""

import sys
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from gamboge.common import aws, logs
from gamboge.common.errors import GambogeError

# Glue's own bookmark option and the key getResolvedOptions returns it under.
BOOKMARK_FLAG = "--job-bookmark-option"
BOOKMARK_KEY = "job_bookmark_option"
# Names Glue passes that a job may ask for (JOB_NAME is not reserved; JOB_ID and JOB_RUN_ID are
# reserved and always come back parsed).
GLUE_RUN_NAMES = ("JOB_NAME", "WORKFLOW_NAME", "WORKFLOW_RUN_ID")
GLUE_RESERVED_KEYS = ("JOB_ID", "JOB_RUN_ID")
EXIT_USAGE = 2


class ArgumentError(GambogeError, ValueError):
    """The job's arguments cannot be parsed; the message says which and why."""


def _given(argv: Sequence[str], name: str) -> bool:
    flag = "--" + name
    return any(arg == flag or arg.startswith(flag + "=") for arg in argv[1:])


def resolve(argv: Sequence[str], defaults: Mapping[str, Optional[str]]) -> Dict[str, Optional[str]]:
    """{name: value} for every name in ``defaults`` (given or defaulted), plus Glue's run names
    (``JOB_NAME``, ``JOB_ID``, ``JOB_RUN_ID``, ``WORKFLOW_NAME``, ``WORKFLOW_RUN_ID``; None when
    absent) and ``job_bookmark_option`` as Glue parsed it. ``argv`` is the whole ``sys.argv``."""
    from awsglue.utils import GlueArgumentError, getResolvedOptions  # type: ignore[import-not-found]

    names = [name for name in list(defaults) + list(GLUE_RUN_NAMES) if _given(argv, name)]
    try:
        parsed = getResolvedOptions(list(argv), list(dict.fromkeys(names)))
    except (GlueArgumentError, RuntimeError) as exc:  # RuntimeError: a bookmark range left half-given
        raise ArgumentError(str(exc)) from None
    resolved: Dict[str, Optional[str]] = {name: None for name in GLUE_RUN_NAMES + GLUE_RESERVED_KEYS}
    resolved.update(defaults)
    resolved.update({name: parsed.get(name) for name in GLUE_RESERVED_KEYS})
    resolved.update({name: parsed[name] for name in names})
    resolved[BOOKMARK_KEY] = parsed[BOOKMARK_KEY]
    return resolved


def started_by_glue(arguments: Mapping[str, Optional[str]]) -> bool:
    """True when the Glue service started this run: only Glue hands a job its ``--JOB_RUN_ID``."""
    return bool(arguments.get("JOB_RUN_ID"))


def unknown_project_arguments(argv: Sequence[str], known: Iterable[str]) -> List[str]:
    """``--snake_case`` names in argv that this job does not know (a typo is otherwise silently
    ignored, as getResolvedOptions ignores what it was not asked for). Glue's own arguments are
    spelled with hyphens or in capitals, so they never count."""
    accepted = set(known) | set(GLUE_RUN_NAMES) | set(GLUE_RESERVED_KEYS) | {"TempDir", "RedshiftTempDir"}
    unknown = []
    for arg in argv[1:]:
        if not arg.startswith("--"):
            continue
        name = arg[2:].split("=", 1)[0]
        if "_" in name and name == name.lower() and name not in accepted:
            unknown.append(name)
    return unknown


def wants_help(argv: Sequence[str]) -> bool:
    return any(arg in ("-h", "--help") for arg in argv[1:])


def help_text(
    summary: str, described: Mapping[str, str], defaults: Mapping[str, Optional[str]], glue_bookmark: bool = False
) -> str:
    """``--help`` of a job script: what it does and every argument with its default."""
    lines = [summary, "", "arguments (--name value; parsed by awsglue's getResolvedOptions, as on Glue):"]
    for name, meaning in described.items():
        default = defaults.get(name)
        lines.append(f"  --{name}\n      {meaning}" + (f" (default: {default})" if default not in (None, "") else ""))
    if glue_bookmark:
        lines.append(
            f"  {BOOKMARK_FLAG}\n      Glue's own: job-bookmark-enable | job-bookmark-disable | job-bookmark-pause "
            "(absent: job-bookmark-disable, as on Glue)"
        )
    return "\n".join(lines)


def to_argv(arguments: Mapping[str, Optional[str]], script: str = "job") -> List[str]:
    """The inverse: a ``sys.argv`` for {name: value} (unset values skipped); ``job_bookmark_option``
    becomes Glue's ``--job-bookmark-option``."""
    out: List[str] = [script]
    for name, value in arguments.items():
        if value is None:
            continue
        out += [BOOKMARK_FLAG if name == BOOKMARK_KEY else "--" + name, str(value)]
    return out


def start_job(
    job: str,
    argv: Sequence[str],
    summary: str,
    described: Mapping[str, str],
    defaults: Mapping[str, Optional[str]],
    glue_bookmark: bool = False,
) -> Tuple[Optional[Dict[str, Optional[str]]], int]:
    """What every job script does before its work: logging for CloudWatch, ``--help``, the
    arguments as Glue parses them, a warning per unknown argument, the region of every AWS call.
    Returns (arguments, 0), or (None, exit status) when the script ends here."""

    logs.configure_for_job()
    if wants_help(argv):
        print(help_text(summary, described, defaults, glue_bookmark))
        return None, 0
    try:
        arguments = resolve(argv, defaults)
    except ArgumentError as exc:
        return None, fail_usage(job, exc)
    for name in unknown_project_arguments(argv, defaults):
        logs.get(job).warning("ignoring unknown argument --%s", name)
    aws.use_region(arguments.get("aws_region"))
    return arguments, 0


def fail_usage(job: str, exc: object) -> int:
    print(f"{job}: {exc}", file=sys.stderr)
    return EXIT_USAGE
