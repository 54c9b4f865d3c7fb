"""The one base of every error a stage reports to its operator.

Each stage raises its own kind (``IngestError``, ``TransformError``, ``LoadError``, …), all derived
from :class:`GambogeError`, so an entry point can tell "the job says what is wrong" from a bug.

Imported by the Python-shell jobs: Python 3.9 compatible.
"""


class GambogeError(RuntimeError):
    """A failure the operator can act on; the message names what and where, never a secret."""


class NotConfigured(GambogeError):
    """A setting has no value, and no local default can stand in for it."""
