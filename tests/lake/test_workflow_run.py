"""On AWS the batch id travels from job to job as a Glue workflow run property (moto server)."""

import os
import subprocess
import sys
import uuid

import boto3

from gamboge import LIBRARY_ROOT
from gamboge.dev import seed
from gamboge.lake import manifests, workflow_run
from tests.conftest import REPO


def _workflow_run():
    glue = boto3.client("glue")
    name = "gamboge-" + uuid.uuid4().hex[:6]
    glue.create_workflow(Name=name)
    return {"WORKFLOW_NAME": name, "WORKFLOW_RUN_ID": glue.start_workflow_run(Name=name)["RunId"]}


def test_outside_a_workflow_nothing_is_published_or_read():
    assert workflow_run.publish({}, workflow_run.LANDING_MANIFEST, "x") is False
    assert workflow_run.read({"WORKFLOW_NAME": "w"}, workflow_run.LANDING_MANIFEST) is None


def test_the_ingest_script_records_its_manifest_on_the_workflow_run(aws, fresh_db, tmp_path):
    seed.seed_source(fresh_db, scale=0.02, seed=1)
    run = _workflow_run()
    lake = tmp_path.as_uri()
    env = dict(os.environ, GAMBOGE_SOURCE_DSN=fresh_db, PYTHONPATH=str(LIBRARY_ROOT))
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "glue_jobs" / "ingest_totesys.py"),
            "--JOB_NAME", "gamboge-ingest",
            "--WORKFLOW_NAME", run["WORKFLOW_NAME"],
            "--WORKFLOW_RUN_ID", run["WORKFLOW_RUN_ID"],
            "--landing_uri", lake + "/landing",
            "--state_uri", lake + "/state",
        ],
        capture_output=True,
        text=True,
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (landed,) = manifests.list_run_ids(lake + "/landing")
    assert workflow_run.read(run, workflow_run.LANDING_MANIFEST) == landed
    assert workflow_run.read(run, workflow_run.PROCESSED_MANIFEST) is None
    # The next job starts only if it sees the batch the previous one recorded.
    assert workflow_run.missing_upstream(run, workflow_run.LANDING_MANIFEST, lake + "/landing") is None
    problem = workflow_run.missing_upstream(run, workflow_run.LANDING_MANIFEST, lake + "/elsewhere")
    assert problem == f"the previous job committed {landed}, but it is not in {lake}/elsewhere"
