"""Job arguments the Glue way: ``getResolvedOptions`` on Glue, an identical argparse fallback locally.

Glue passes ``--name value`` pairs (plus its own, such as ``--JOB_NAME``); the fallback accepts the
same spelling, so a job runs unchanged on Glue, under ``gamboge``, or as ``python glue_jobs/x.py``.

Imported by the ingest job: Python 3.9 compatible.
"""

import argparse
from typing import Dict, List, Optional, Sequence


def resolve(argv: Sequence[str], required: Sequence[str], optional: Dict[str, Optional[str]]) -> Dict[str, str]:
    """Return {name: value} for every required and optional argument (defaults filled in)."""
    try:
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        getResolvedOptions = None  # noqa: N806 - the Glue function's own name
    if getResolvedOptions is not None:
        present = [name for name in optional if "--" + name in argv]
        resolved = getResolvedOptions(list(argv), list(required) + present)
        out = {k: v for k, v in optional.items()}
        out.update(resolved)
        return out
    parser = argparse.ArgumentParser(add_help=True)
    for name in required:
        parser.add_argument("--" + name, dest=name, required=True)
    for name, default in optional.items():
        parser.add_argument("--" + name, dest=name, default=default)
    known, _unknown = parser.parse_known_args(list(argv))  # Glue adds arguments of its own
    return vars(known)


def to_argv(arguments: Dict[str, Optional[str]]) -> List[str]:
    """The inverse: {name: value} → ['--name', 'value', …], skipping unset values."""
    out: List[str] = []
    for name, value in arguments.items():
        if value is not None:
            out += ["--" + name, str(value)]
    return out
