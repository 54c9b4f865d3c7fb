"""The ingest job's arguments: which it takes, their defaults, and the ``Settings`` they make.

Imported by the ingest Glue job: Python 3.9 compatible.
"""

from typing import Dict, List, NamedTuple, Optional

from gamboge.common import config, glue_args, schema, workflow
from gamboge.ingest.model import JOB, IngestError
from gamboge.lake import bookmarks

AUDIT_CHOICES = ("auto", "always", "never")
COMPRESSION_CHOICES = ("none", "gzip")

# Knobs the job accepts beyond the workflow's declared arguments; terraform need not pass them.
EXTRA_ARGUMENTS: Dict[str, str] = {
    "compression": "none | gzip landing files",
}
# The bookmark default is for in-process and `gamboge ingest` callers; a job script started
# without --job-bookmark-option gets Glue's own default (disable) from getResolvedOptions.
DEFAULTS: Dict[str, Optional[str]] = {
    glue_args.BOOKMARK_KEY: bookmarks.ENABLE,
    "audit": "auto",
    "audit_every_hours": "168",
    "compression": "none",
}


class Settings(NamedTuple):
    landing_uri: str
    state_uri: str
    bookmark_option: str
    tables: List[str]
    audit: str
    audit_every_hours: float
    compression: str
    source_secret_id: Optional[str]


def argument_defaults() -> Dict[str, Optional[str]]:
    """Every argument of the job's own (the workflow's, then the extras) with its default; Glue's
    --job-bookmark-option is not one of them (getResolvedOptions parses it itself)."""
    names = list(workflow.job(JOB).arguments) + list(EXTRA_ARGUMENTS)
    return {name: DEFAULTS.get(name) for name in names}


def described_arguments() -> Dict[str, str]:
    return dict(workflow.job(JOB).arguments, **EXTRA_ARGUMENTS)


def settings_from_arguments(arguments: Dict[str, Optional[str]]) -> Settings:
    def value(name: str) -> Optional[str]:
        given = arguments.get(name)
        return given if given not in (None, "") else DEFAULTS.get(name)

    option = bookmarks.check_option(value(glue_args.BOOKMARK_KEY) or bookmarks.ENABLE)
    audit = value("audit") or "auto"
    if audit not in AUDIT_CHOICES:
        raise IngestError("--audit must be one of {}, not {!r}".format(", ".join(AUDIT_CHOICES), audit))
    compression = value("compression") or "none"
    if compression not in COMPRESSION_CHOICES:
        raise IngestError(f"--compression must be none or gzip, not {compression!r}")
    tables_argument = value("tables")
    tables = [t.strip() for t in tables_argument.split(",") if t.strip()] if tables_argument else []
    unknown = [t for t in tables if t not in schema.SOURCE_BY_NAME]
    if unknown:
        raise IngestError(
            "unknown table(s) {}; known: {}".format(", ".join(unknown), ", ".join(schema.SOURCE_TABLE_NAMES))
        )
    try:
        every = float(value("audit_every_hours") or 0)
    except ValueError:
        raise IngestError(f"--audit_every_hours must be a number, not {value('audit_every_hours')!r}") from None
    return Settings(
        landing_uri=(value("landing_uri") or config.landing_uri()).rstrip("/"),
        state_uri=(value("state_uri") or config.state_uri()).rstrip("/"),
        bookmark_option=option,
        tables=tables or list(schema.SOURCE_TABLE_NAMES),
        audit=audit,
        audit_every_hours=every,
        compression=compression,
        source_secret_id=value("source_secret_id"),
    )
