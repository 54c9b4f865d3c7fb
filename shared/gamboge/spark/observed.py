"""Numbers a query computes on the way, read after the action that ran it: no second pass.

``observe`` attaches aggregate expressions to a DataFrame; the one action that executes it (a
write, usually) fills them. This is how the transform counts landed and rejected rows, rows written
and date spans without a Spark job of their own.

Spark delivers the numbers through a query listener, after the action returns, and only when the
observed node ran: adaptive execution drops a node above a stage that turned out empty, and
``Observation.get`` would then wait forever. The sessions run with adaptive execution off
(gamboge.spark.session), and ``values`` waits a bounded time, so a lost number is an error, never a
hang.
"""

import threading
from typing import Any, Dict, Tuple

from pyspark.sql import Column, DataFrame, Observation

from gamboge.common.errors import GambogeError

# The listener reports within milliseconds of the action; the bound only has to outlast a busy JVM.
WAIT_SECONDS = 120.0


class ObservationLost(GambogeError):
    """The action ran, but Spark did not report what it observed."""


def observe(df: DataFrame, name: str, **metrics: Column) -> Tuple[DataFrame, Observation]:
    """``df`` with ``metrics`` attached; its Observation holds them once an action has run it."""
    observation = Observation(name)
    return df.observe(observation, *[value.alias(key) for key, value in metrics.items()]), observation


def values(observation: Observation, wait_seconds: float = WAIT_SECONDS) -> Dict[str, Any]:
    """What ``observation`` saw, once the action that ran it has returned."""
    result: Dict[str, Any] = {}
    # A daemon thread: Observation.get blocks in the JVM without a timeout of its own.
    waiter = threading.Thread(target=lambda: result.update(observation.get), daemon=True)
    waiter.start()
    waiter.join(wait_seconds)
    if waiter.is_alive():
        raise ObservationLost(
            f"Spark did not report the observed metrics {observation._name!r} within {wait_seconds} s"
        )
    return result
