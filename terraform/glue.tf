# The three Glue jobs of shared/gamboge/common/workflow.py, their connections, the catalog database and the
# security configuration. Names, script paths, commands and argument names here must match
# shared/gamboge/common/workflow.py JOBS; tests/infra/test_terraform.py parses this file and fails on any drift.

locals {
  # Repo path of each job script (workflow.JOBS[...].script). `make deploy` uploads each one to
  # <artifacts bucket>/<artifact_version>/<repo path>; the jobs point at exactly that key.
  job_scripts = {
    ingest    = "glue_jobs/ingest_totesys.py"
    transform = "glue_jobs/transform_star_schema.py"
    load      = "glue_jobs/load_warehouse.py"
  }
  artifact_prefix = "s3://${local.artifacts_bucket}/${var.artifact_version}"
  # The pinned, offline Python artifacts of each runtime (`make package`, dist/artifacts.json): the
  # library (shared/) and its whole dependency closure, in install order, library last. `make deploy`
  # uploads each file to <artifact prefix>/wheels/<file>; Glue installs these and nothing else.
  python_shell_wheel_uris = join(",", [for wheel in var.python_shell_wheels : "${local.artifact_prefix}/wheels/${wheel}"])
  spark_wheel_uris        = join(",", [for wheel in var.spark_wheels : "${local.artifact_prefix}/wheels/${wheel}"])

  landing_uri      = "s3://${local.landing_bucket}/landing"
  ingest_state_uri = "s3://${local.landing_bucket}/state"
  processed_uri    = "s3://${local.processed_bucket}/processed"
  # transform keeps its bookmark next to what it writes; load keeps its own inside the warehouse.
  transform_state_uri = "s3://${local.processed_bucket}/state"
  catalog_database    = replace("${var.project_name}_${var.environment}", "-", "_")
}

# Encrypts what the jobs write to S3, their CloudWatch logs, and Glue's own job bookmarks.
resource "aws_glue_security_configuration" "jobs" {
  name = local.security_configuration_name

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = aws_kms_key.data.arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = aws_kms_key.data.arn
    }
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = aws_kms_key.data.arn
    }
  }
}

resource "aws_glue_catalog_database" "star_schema" {
  name        = local.catalog_database
  description = "Gamboge star schema (Parquet in the processed zone), written by the transform job, queried by Athena"
}

# Catalog metadata and connection passwords encrypted with the stack's key. This setting is per
# account and region, so it is off unless manage_catalog_encryption = true (see variables.tf for why).
resource "aws_glue_data_catalog_encryption_settings" "account" {
  count = var.manage_catalog_encryption ? 1 : 0

  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = aws_kms_key.data.arn
    }
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = aws_kms_key.data.arn
    }
  }
}

# --- connections ----------------------------------------------------------------------------------

# The load job's way into the warehouse. Credentials come from the loader secret (SECRET_ID: role
# gamboge_loader, never the master user; warehouse_role.tf), so the connection holds no password;
# Glue places the job's network interfaces in a private subnet with the self-referencing security group.
resource "aws_glue_connection" "warehouse" {
  name            = "${var.project_name}-${var.environment}-warehouse"
  description     = "JDBC to the RDS PostgreSQL warehouse (TLS enforced), credentials via SECRET_ID"
  connection_type = "JDBC"

  connection_properties = {
    JDBC_CONNECTION_URL = "jdbc:postgresql://${aws_db_instance.warehouse.address}:${aws_db_instance.warehouse.port}/${aws_db_instance.warehouse.db_name}?sslmode=require"
    JDBC_ENFORCE_SSL    = "true"
    SECRET_ID           = aws_secretsmanager_secret.warehouse_loader.arn
  }

  physical_connection_requirements {
    availability_zone      = aws_subnet.private[0].availability_zone
    subnet_id              = aws_subnet.private[0].id
    security_group_id_list = [aws_security_group.glue.id]
  }
}

# Puts the ingest job in the same private subnet, so it reaches ToteSys through the NAT gateway
# from one known address and everything else through the VPC endpoints.
resource "aws_glue_connection" "private_network" {
  name            = "${var.project_name}-${var.environment}-private-network"
  description     = "Private subnet for the ingest job (egress via NAT to ToteSys only)"
  connection_type = "NETWORK"

  physical_connection_requirements {
    availability_zone      = aws_subnet.private[0].availability_zone
    subnet_id              = aws_subnet.private[0].id
    security_group_id_list = [aws_security_group.glue.id]
  }
}

# --- log groups -----------------------------------------------------------------------------------
# Glue creates the log groups it writes to when they are missing, with no retention and no key.
# So every group the jobs may write to is created here first, with log_retention_days and the
# stack's key, and the job roles may write to these groups only (iam.tf).
#
# Where Glue writes:
# - Glue 5.0 logs every Spark job in real time to /aws-glue/jobs/error and /aws-glue/jobs/output,
#   or <prefix>/error and <prefix>/output with --custom-logGroup-prefix (AWS, "Logging for AWS Glue
#   jobs"); --continuous-log-logGroup, a Glue 4.0 argument, is ignored.
# - The Python shell job writes to /aws-glue/python-jobs/output and /aws-glue/python-jobs/error.
# - A security configuration that encrypts CloudWatch logs (ours does) inserts
#   "<security configuration>-role/<role name>" before error and output: for example
#   /aws-glue/jobs/<config>-role/<role>/error and /aws-glue/python-jobs/<config>-role/<role>/output.
#   AWS documents that only in the JobRun.LogGroupName field, in an older spelling; whether Glue
#   5.0 puts it under the custom prefix or under /aws-glue/jobs is not documented, so both exist.
# The names that stay empty after the first runs can be dropped from job_log_group_bases then.
locals {
  # The names of the job roles (iam.tf) and of the security configuration above, as Glue puts them
  # into log group names.
  job_role_names              = { for key in local.job_keys : key => "${var.project_name}-${var.environment}-${key}-job" }
  security_configuration_name = "${var.project_name}-${var.environment}-jobs"
  security_configuration_part = { for key, role in local.job_role_names : key => "${local.security_configuration_name}-role/${role}" }
  # --custom-logGroup-prefix of each Spark job.
  spark_log_group_prefix = { for key in ["transform", "load"] : key => "/aws-glue/${var.project_name}-${var.environment}/${key}" }

  # Each job's possible log group names, up to the final /error or /output.
  job_log_group_bases = {
    ingest = ["/aws-glue/python-jobs/${local.security_configuration_part["ingest"]}"]
    transform = [
      local.spark_log_group_prefix["transform"],
      "${local.spark_log_group_prefix["transform"]}/${local.security_configuration_part["transform"]}",
      "/aws-glue/jobs/${local.security_configuration_part["transform"]}",
    ]
    load = [
      local.spark_log_group_prefix["load"],
      "${local.spark_log_group_prefix["load"]}/${local.security_configuration_part["load"]}",
      "/aws-glue/jobs/${local.security_configuration_part["load"]}",
    ]
  }
  # log group name => job key
  job_log_groups = merge([
    for key, bases in local.job_log_group_bases : { for pair in setproduct(bases, ["error", "output"]) : "${pair[0]}/${pair[1]}" => key }
  ]...)

  # Glue's unqualified Python shell groups are shared by every Python shell job of the account and
  # region; this stack creates them only when manage_python_shell_log_groups is set.
  python_shell_log_groups = ["/aws-glue/python-jobs/error", "/aws-glue/python-jobs/output"]
}

resource "aws_cloudwatch_log_group" "job" {
  for_each = local.job_log_groups

  name              = each.key
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn
  tags              = { job = each.value }
}

resource "aws_cloudwatch_log_group" "python_shell_shared" {
  for_each = var.manage_python_shell_log_groups ? toset(local.python_shell_log_groups) : toset([])

  name              = each.key
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn
  # Other stacks' Python shell jobs may log here too: a destroy leaves the group and its logs.
  skip_destroy = true
}

# --- jobs -----------------------------------------------------------------------------------------

# ingest: ToteSys PostgreSQL -> landing zone. Python shell on Python 3.9: the extraction is I/O
# bound and small, and a Spark cluster would cost more than it saves.
resource "aws_glue_job" "ingest" {
  name                   = "${var.project_name}-${var.environment}-ingest"
  description            = "ToteSys PostgreSQL to landing JSON Lines with manifests (every change by xmin, audited weekly)"
  role_arn               = aws_iam_role.job["ingest"].arn
  max_capacity           = var.ingest_max_capacity
  timeout                = var.job_timeout_minutes["ingest"]
  security_configuration = aws_glue_security_configuration.jobs.name
  connections            = [aws_glue_connection.private_network.name]

  command {
    name            = "pythonshell"
    python_version  = "3.9"
    script_location = "${local.artifact_prefix}/${local.job_scripts["ingest"]}"
  }

  execution_property {
    # Two overlapping extractions would race on the ingest bookmark.
    max_concurrent_runs = 1
  }

  default_arguments = {
    # Glue's own
    "--TempDir" = "s3://${local.temp_bucket}/ingest/"
    # The Python shell takes S3 wheels in --extra-py-files, not in --additional-python-modules.
    "--extra-py-files" = local.python_shell_wheel_uris
    # shared/gamboge/common/workflow.py JOBS["ingest"].arguments
    "--aws_region"          = var.aws_region
    "--source_secret_id"    = aws_secretsmanager_secret.totesys.arn
    "--landing_uri"         = local.landing_uri
    "--state_uri"           = local.ingest_state_uri
    "--job-bookmark-option" = var.bookmark_option
    "--tables"              = var.ingest_tables
    "--audit"               = var.ingest_audit
    "--audit_every_hours"   = tostring(var.ingest_audit_every_hours)
  }
}

# transform: landing -> processed Parquet star schema + Glue Data Catalog. Glue 5.0 (Spark 3.5.4,
# Python 3.11) with auto scaling: a day's increment needs few workers, a backfill many.
resource "aws_glue_job" "transform" {
  name                   = "${var.project_name}-${var.environment}-transform"
  description            = "Landing manifests to the Parquet star schema in the processed zone and the Glue Data Catalog"
  role_arn               = aws_iam_role.job["transform"].arn
  glue_version           = "5.0"
  worker_type            = var.spark_worker_type
  number_of_workers      = var.spark_max_workers
  timeout                = var.job_timeout_minutes["transform"]
  security_configuration = aws_glue_security_configuration.jobs.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "${local.artifact_prefix}/${local.job_scripts["transform"]}"
  }

  execution_property {
    # One run at a time: runs consume manifests in order and advance one bookmark.
    max_concurrent_runs = 1
  }

  default_arguments = {
    # Glue's own
    "--job-language"                    = "python"
    "--TempDir"                         = "s3://${local.temp_bucket}/transform/"
    "--additional-python-modules"       = local.spark_wheel_uris
    "--python-modules-installer-option" = "--no-index"
    "--enable-auto-scaling"             = "true"
    "--enable-metrics"                  = "true"
    "--enable-observability-metrics"    = "true"
    "--custom-logGroup-prefix"          = local.spark_log_group_prefix["transform"]
    "--enable-spark-ui"                 = "true"
    "--spark-event-logs-path"           = "s3://${local.temp_bucket}/spark-ui/transform/"
    # shared/gamboge/common/workflow.py JOBS["transform"].arguments
    "--aws_region"          = var.aws_region
    "--landing_uri"         = local.landing_uri
    "--processed_uri"       = local.processed_uri
    "--state_uri"           = local.transform_state_uri
    "--catalog_database"    = aws_glue_catalog_database.star_schema.name
    "--job-bookmark-option" = var.bookmark_option
    "--max_reject_ratio"    = tostring(var.max_reject_ratio)
  }
}

# load: processed zone -> warehouse over the JDBC connection; dims before facts, one transaction,
# its bookmark inside the warehouse (so no --job-bookmark-option: workflow.py lists none). After
# the load it compacts the fact partitions and deletes superseded snapshots: it is the job that
# knows which batches the warehouse holds (shared/gamboge/load/housekeeping.py).
resource "aws_glue_job" "load" {
  name                   = "${var.project_name}-${var.environment}-load"
  description            = "Processed manifests to the RDS PostgreSQL warehouse over the Glue JDBC connection"
  role_arn               = aws_iam_role.job["load"].arn
  glue_version           = "5.0"
  worker_type            = var.spark_worker_type
  number_of_workers      = var.spark_max_workers
  timeout                = var.job_timeout_minutes["load"]
  security_configuration = aws_glue_security_configuration.jobs.name
  connections            = [aws_glue_connection.warehouse.name]

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "${local.artifact_prefix}/${local.job_scripts["load"]}"
  }

  execution_property {
    # Two loads at once would contend for the warehouse bookmark row.
    max_concurrent_runs = 1
  }

  default_arguments = {
    # Glue's own
    "--job-language"                    = "python"
    "--TempDir"                         = "s3://${local.temp_bucket}/load/"
    "--additional-python-modules"       = local.spark_wheel_uris
    "--python-modules-installer-option" = "--no-index"
    "--enable-auto-scaling"             = "true"
    "--enable-metrics"                  = "true"
    "--enable-observability-metrics"    = "true"
    "--custom-logGroup-prefix"          = local.spark_log_group_prefix["load"]
    "--enable-spark-ui"                 = "true"
    "--spark-event-logs-path"           = "s3://${local.temp_bucket}/spark-ui/load/"
    # shared/gamboge/common/workflow.py JOBS["load"].arguments
    "--aws_region"        = var.aws_region
    "--processed_uri"     = local.processed_uri
    "--connection_name"   = aws_glue_connection.warehouse.name
    "--retain_batches"    = tostring(var.retain_batches)
    "--compact_min_files" = tostring(var.compact_min_files)
  }
}
