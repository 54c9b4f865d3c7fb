"""Hand the batch id from one job to the next through Glue workflow run properties.

When a Glue workflow starts a job it passes ``--WORKFLOW_NAME`` and ``--WORKFLOW_RUN_ID``. Ingest
records the landing manifest it committed, transform the processed batch it committed; the next
job reads the property and checks that the batch it is about to consume includes it, so a job
never runs on a view of the lake older than its trigger's. Outside a workflow (locally, or a job
started by hand) there is nothing to pass and every call is a no-op.

Imported by the ingest job: Python 3.9 compatible.
"""

from typing import Dict, Optional

from gamboge.common import aws
from gamboge.lake import manifests, storage

LANDING_MANIFEST = "gamboge_landing_manifest"
PROCESSED_MANIFEST = "gamboge_processed_manifest"
ARGUMENTS = {"WORKFLOW_NAME": None, "WORKFLOW_RUN_ID": None}


def _run(arguments: Dict[str, Optional[str]]):
    name, run_id = arguments.get("WORKFLOW_NAME"), arguments.get("WORKFLOW_RUN_ID")
    return (name, run_id) if name and run_id else None


def publish(arguments: Dict[str, Optional[str]], key: str, value: str) -> bool:
    """Record ``key=value`` on the current workflow run; False when not in a workflow."""
    run = _run(arguments)
    if run is None:
        return False
    aws.client("glue").put_workflow_run_properties(Name=run[0], RunId=run[1], RunProperties={key: value})
    return True


def read(arguments: Dict[str, Optional[str]], key: str) -> Optional[str]:
    """The value an earlier job of this workflow run recorded, if any."""
    run = _run(arguments)
    if run is None:
        return None
    properties = aws.client("glue").get_workflow_run_properties(Name=run[0], RunId=run[1])["RunProperties"]
    return properties.get(key)


def missing_upstream(arguments: Dict[str, Optional[str]], key: str, zone_uri: str) -> Optional[str]:
    """Why this job must not start: the batch the previous job recorded under ``key`` is not among
    the committed manifests of ``zone_uri``; None when it is there, or when not in a workflow."""

    expected = read(arguments, key)
    if expected and not storage.exists(manifests.manifest_uri(zone_uri, expected)):
        return f"the previous job committed {expected}, but it is not in {zone_uri}"
    return None
