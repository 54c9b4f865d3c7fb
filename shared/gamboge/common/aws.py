"""boto3 clients with an explicit region: the one the job was given (``--aws_region``), else the SDK's own.

A Glue Python-shell run is not guaranteed an ``AWS_DEFAULT_REGION``, so every job passes the
stack's region as an argument and every client is built here with it.

Imported by the ingest job: Python 3.9 compatible.
"""

from typing import Any, Dict, Optional

_REGION: Dict[str, Optional[str]] = {"value": None}


def use_region(region: Optional[str]) -> None:
    """Make ``region`` the region of every client built from now on (None: the SDK's setting)."""
    _REGION["value"] = region or None


def region() -> Optional[str]:
    return _REGION["value"]


def client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=_REGION["value"])  # None: boto3 falls back to its own config
