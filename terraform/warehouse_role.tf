# The load job's own warehouse login. The load job never connects as the RDS master user: it uses
# role gamboge_loader, whose credentials live in the loader secret below. Terraform creates that
# secret empty (no value, so no password passes through the plan or the state); the one-off
# warehouse_setup job fills it. Run the job once after the first apply, and again to rotate:
#
#   aws glue start-job-run --job-name "$(terraform -chdir=terraform output -raw warehouse_setup_job_name)"
#
# It connects as the master user, creates or updates gamboge_loader (LOGIN, CONNECT on the
# database, USAGE + CREATE on the star schema's schema, nothing else; shared/gamboge/warehouse/warehouse_role.py),
# and writes host, port, dbname, username and password to the loader secret. Its role is the
# only one that may read the master secret. No trigger starts it: it is not part of the workflow
# (shared/gamboge/common/workflow.py ONE_OFF_JOBS; tests/infra/test_terraform.py checks it against this file).

locals {
  # Repo path of each one-off job script (workflow.ONE_OFF_JOBS[...].script), uploaded by `make deploy`.
  one_off_job_scripts = {
    warehouse_setup = "glue_jobs/warehouse_setup.py"
  }
  # Rotating the password ends the sessions of a load that runs at that moment; rotate between runs.
  warehouse_setup_timeout_minutes = 15
}

resource "aws_secretsmanager_secret" "warehouse_loader" {
  #checkov:skip=CKV2_AWS_57:Rotated by rerunning the warehouse_setup job (new password on the role, then AWSCURRENT moves), not by a Lambda rotator.
  name                    = "${var.project_name}/${var.environment}/warehouse-loader"
  description             = "Warehouse credentials of the load job (role gamboge_loader): host, port, dbname, username, password; written by the warehouse_setup job"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
}

# --- the setup job's role: the master secret (read) and the loader secret (write), nothing else ------

resource "aws_iam_role" "warehouse_setup" {
  name                 = "${var.project_name}-${var.environment}-warehouse-setup-job"
  description          = "Runs the ${var.project_name}-warehouse_setup Glue job"
  assume_role_policy   = data.aws_iam_policy_document.glue_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "warehouse_setup" {
  # Artifacts, its temp prefix, the stack key (both secrets are encrypted with it) and its logs.
  source_policy_documents = [data.aws_iam_policy_document.glue_job_runtime["warehouse_setup"].json]

  statement {
    sid       = "UseThePrivateNetworkConnection"
    actions   = ["glue:GetConnection"]
    resources = [local.glue_catalog_arn, aws_glue_connection.private_network.arn]
  }

  statement {
    sid       = "ReadTheMasterCredentials"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [local.warehouse_secret_arn]
  }

  # Write a pending version, then move AWSCURRENT to it; reading the loader secret is not needed.
  statement {
    sid       = "WriteTheLoaderCredentials"
    actions   = ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.warehouse_loader.arn]
  }
}

resource "aws_iam_role_policy" "warehouse_setup" {
  name   = "warehouse-setup-access"
  role   = aws_iam_role.warehouse_setup.id
  policy = data.aws_iam_policy_document.warehouse_setup.json
}

# Glue places the job's network interface in the private subnet, like the ingest and load jobs.
resource "aws_iam_role_policy" "warehouse_setup_network" {
  name   = "glue-job-network"
  role   = aws_iam_role.warehouse_setup.id
  policy = data.aws_iam_policy_document.job_vpc.json
}

# --- the job --------------------------------------------------------------------------------------

# Python shell on Python 3.9, in the private subnet with the Glue security group (the warehouse
# accepts PostgreSQL from that group only). The RDS-managed master secret holds only username and
# password, so the warehouse's address comes as arguments.
resource "aws_glue_job" "warehouse_setup" {
  name                   = "${var.project_name}-${var.environment}-warehouse_setup"
  description            = "One-off: create or rotate the warehouse role gamboge_loader and write the load job's secret"
  role_arn               = aws_iam_role.warehouse_setup.arn
  max_capacity           = 0.0625
  timeout                = local.warehouse_setup_timeout_minutes
  security_configuration = aws_glue_security_configuration.jobs.name
  connections            = [aws_glue_connection.private_network.name]

  command {
    name            = "pythonshell"
    python_version  = "3.9"
    script_location = "${local.artifact_prefix}/${local.one_off_job_scripts["warehouse_setup"]}"
  }

  execution_property {
    # Two rotations at once would race on the role's password and the secret's stages.
    max_concurrent_runs = 1
  }

  default_arguments = {
    # Glue's own
    "--TempDir" = "s3://${local.temp_bucket}/warehouse_setup/"
    # The Python shell takes S3 wheels in --extra-py-files, not in --additional-python-modules.
    "--extra-py-files" = local.python_shell_wheel_uris
    # shared/gamboge/common/workflow.py ONE_OFF_JOBS["warehouse_setup"].arguments
    "--aws_region"       = var.aws_region
    "--master_secret_id" = local.warehouse_secret_arn
    "--loader_secret_id" = aws_secretsmanager_secret.warehouse_loader.arn
    "--warehouse_host"   = aws_db_instance.warehouse.address
    "--warehouse_port"   = tostring(aws_db_instance.warehouse.port)
    "--warehouse_dbname" = aws_db_instance.warehouse.db_name
  }
}

output "warehouse_setup_job_name" {
  description = "Start once after the first apply (and again to rotate the loader's password): aws glue start-job-run --job-name <this>."
  value       = aws_glue_job.warehouse_setup.name
}

output "warehouse_loader_secret_arn" {
  description = "Secret of the load job's warehouse role gamboge_loader (written by the warehouse_setup job)."
  value       = aws_secretsmanager_secret.warehouse_loader.arn
}

# Its logs, like the ingest job's (glue.tf): Glue's Python shell groups qualified by the security
# configuration and this job's role, with retention and the stack's key.
locals {
  warehouse_setup_log_groups = [
    for stream in ["error", "output"] :
    "/aws-glue/python-jobs/${local.security_configuration_name}-role/${aws_iam_role.warehouse_setup.name}/${stream}"
  ]
}

resource "aws_cloudwatch_log_group" "warehouse_setup" {
  for_each = toset(local.warehouse_setup_log_groups)

  name              = each.key
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn
  tags              = { job = "warehouse_setup" }
}
