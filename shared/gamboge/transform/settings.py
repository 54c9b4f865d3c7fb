"""The transform job's settings: every argument with its default, declared once.

The meanings (its --help) are the workflow's (gamboge.common.workflow); the catalog, the transform and
`gamboge run` take these defaults from here. Plain values, no Spark.
"""

from typing import Dict, Optional

from gamboge.common import config

DEFAULT_CATALOG_DATABASE = "gamboge"
DEFAULT_MAX_REJECT_RATIO = 0.01  # fail the batch when more than 1% of its landed rows are rejected


def defaults() -> Dict[str, Optional[str]]:
    """The job's own arguments with their defaults (Glue's --job-bookmark-option is not one)."""
    return {
        "aws_region": None,
        "landing_uri": config.landing_uri(),
        "processed_uri": config.processed_uri(),
        "state_uri": config.state_uri(),
        "catalog_database": DEFAULT_CATALOG_DATABASE,
        "max_reject_ratio": str(DEFAULT_MAX_REJECT_RATIO),
    }
