"""Structured logging: one JSON object per event for CloudWatch, or plain lines for people.

Imported by the ingest job: Python 3.9 compatible.
"""

import json
import logging
import os
import sys
import time
from typing import Any

_FORMAT = {"value": "text", "configured": ""}
ENV_FORMAT = "GAMBOGE_LOG_FORMAT"  # how a parent process asks its child jobs to log


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        event.update(getattr(record, "fields", {}))
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        line = f"{record.getMessage()} {extra}".rstrip()
        if record.levelno >= logging.WARNING:
            line = f"{record.levelname.lower()}: {line}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Send gamboge logs to stderr as ``text`` (people) or ``json`` (CloudWatch, machines)."""
    _FORMAT["value"] = fmt
    _FORMAT["configured"] = "yes"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("gamboge")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def configure_for_job() -> None:
    """A job script's logging: as its parent asked (``GAMBOGE_LOG_FORMAT``), as a command that
    already configured it chose, else JSON for CloudWatch (readable lines on a terminal)."""
    requested = os.environ.get(ENV_FORMAT)
    if requested:
        configure(requested)
    elif not _FORMAT["configured"]:
        configure("text" if sys.stderr.isatty() else "json")


def log_format() -> str:
    return _FORMAT["value"]


def get(name: str) -> logging.Logger:
    return logging.getLogger("gamboge." + name)


def event(logger: logging.Logger, message: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with structured fields (table=…, rows=…, seconds=…)."""
    logger.log(level, message, extra={"fields": fields})
