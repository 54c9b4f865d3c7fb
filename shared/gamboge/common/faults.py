"""Named crash points for fault-injection tests: ``GAMBOGE_CRASH_AT=<name>`` kills the process there.

The kill is SIGKILL, not an exception: no ``finally`` block, ``atexit`` hook or open transaction
gets a chance to tidy up, which is exactly what a lost Glue worker or an OOM kill looks like.
Several points may be named, separated by commas.

Python 3.9 compatible (any stage may call it).
"""

import os
import signal
import sys

ENV_CRASH_AT = "GAMBOGE_CRASH_AT"


def armed(name: str) -> bool:
    configured = os.environ.get(ENV_CRASH_AT, "")
    return name in [part.strip() for part in configured.split(",") if part.strip()]


def crash_point(name: str) -> None:
    """Die here, at once and without cleanup, when ``GAMBOGE_CRASH_AT`` names this point."""
    if armed(name):
        print(f"gamboge: {ENV_CRASH_AT}={name}: killing process {os.getpid()}", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
