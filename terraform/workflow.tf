# The Glue workflow: the same graph `gamboge run` executes locally (shared/gamboge/common/workflow.py, the
# `after` field of each job). SCHEDULED -> ingest; ingest SUCCEEDED -> transform;
# transform SUCCEEDED -> load.
#
# How the ingest manifest id reaches the later jobs: a job started by a workflow trigger receives
# --WORKFLOW_NAME and --WORKFLOW_RUN_ID from Glue. The ingest job records the id of the manifest
# it wrote as a run property of that workflow run (glue:PutWorkflowRunProperties); transform
# reads it with glue:GetWorkflowRunProperties and processes exactly that batch, and writes the
# processed manifest id the same way for load. Outside a workflow (a manual job run, or
# `gamboge run` locally) those arguments are absent and each job falls back to its bookmark:
# every manifest not yet consumed. The job roles may call those two actions on this workflow
# only (iam.tf).

resource "aws_glue_workflow" "pipeline" {
  name        = "${var.project_name}-${var.environment}-pipeline"
  description = "ToteSys -> landing -> star schema -> warehouse"
  # A second run while one is in progress would consume the same manifests twice.
  max_concurrent_runs = 1
}

resource "aws_glue_trigger" "ingest_on_schedule" {
  name              = "${var.project_name}-${var.environment}-ingest-on-schedule"
  description       = "Starts the workflow: ingest on a schedule"
  workflow_name     = aws_glue_workflow.pipeline.name
  type              = "SCHEDULED"
  schedule          = var.schedule_expression
  enabled           = var.schedule_enabled
  start_on_creation = var.schedule_enabled

  actions {
    job_name = aws_glue_job.ingest.name
  }
}

resource "aws_glue_trigger" "transform_after_ingest" {
  name          = "${var.project_name}-${var.environment}-transform-after-ingest"
  description   = "transform runs when ingest succeeded"
  workflow_name = aws_glue_workflow.pipeline.name
  type          = "CONDITIONAL"

  predicate {
    logical = "AND"
    conditions {
      job_name         = aws_glue_job.ingest.name
      logical_operator = "EQUALS"
      state            = "SUCCEEDED"
    }
  }

  actions {
    job_name = aws_glue_job.transform.name
  }
}

resource "aws_glue_trigger" "load_after_transform" {
  name          = "${var.project_name}-${var.environment}-load-after-transform"
  description   = "load runs when transform succeeded"
  workflow_name = aws_glue_workflow.pipeline.name
  type          = "CONDITIONAL"

  predicate {
    logical = "AND"
    conditions {
      job_name         = aws_glue_job.transform.name
      logical_operator = "EQUALS"
      state            = "SUCCEEDED"
    }
  }

  actions {
    job_name = aws_glue_job.load.name
  }
}
