# One role per Glue job, each allowed only what that job does. Shared grants (artifacts, temp
# space, logs, metrics, the key, the workflow run properties) are one policy per role, built from
# the same document with the job's key filled in; each job's data access is its own policy.
# Listing is granted per bucket (S3 clients list and HEAD the bucket without a prefix); reading
# and writing objects is granted per prefix.
# "*" appears only for actions that have no resource-level permissions (cloudwatch:PutMetricData,
# ec2:Describe*), each with the narrowest condition AWS offers.

locals {
  job_keys               = toset(["ingest", "transform", "load"])
  jobs_in_vpc            = toset(["ingest", "load"])
  workflow_arn           = "arn:${local.partition}:glue:${local.region}:${local.account_id}:workflow/${aws_glue_workflow.pipeline.name}"
  glue_catalog_arn       = "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"
  warehouse_secret_arn   = aws_db_instance.warehouse.master_user_secret[0].secret_arn
  landing_bucket_arn     = module.bucket["landing"].arn
  processed_bucket_arn   = module.bucket["processed"].arn
  artifacts_bucket_arn   = module.bucket["artifacts"].arn
  temp_bucket_arn        = module.bucket["temp"].arn
  network_interfaces_arn = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"
}

locals {
  log_group_arn_prefix = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:"
  # Each job's log groups (glue.tf); for ingest also Glue's shared Python shell groups, whether or
  # not this stack manages them.
  job_log_group_names = {
    for key in local.job_keys : key => concat(
      [for name, job in local.job_log_groups : name if job == key],
      key == "ingest" ? local.python_shell_log_groups : [],
    )
  }
  # What every Glue job role needs, the workflow's jobs and the one-off warehouse_setup job alike:
  # its temp-space prefixes and its log groups (warehouse_role.tf names the setup job's).
  glue_job_runtime = merge(
    { for key in local.job_keys : key => {
      temp_prefixes = ["${key}/*", "spark-ui/${key}/*"]
      log_groups    = local.job_log_group_names[key]
    } },
    {
      warehouse_setup = {
        temp_prefixes = ["warehouse_setup/*"]
        log_groups    = concat(local.warehouse_setup_log_groups, local.python_shell_log_groups)
      }
    },
  )
}

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "job" {
  for_each = local.job_keys

  name                 = local.job_role_names[each.key]
  description          = "Runs the ${var.project_name}-${var.environment}-${each.key} Glue job"
  assume_role_policy   = data.aws_iam_policy_document.glue_assume.json
  max_session_duration = 3600
}

# --- what every job needs -------------------------------------------------------------------------

# Artifacts, temp space, the stack key and its own log groups: the same grants for every Glue job role.
data "aws_iam_policy_document" "glue_job_runtime" {
  for_each = local.glue_job_runtime

  statement {
    sid       = "ReadThisDeploymentsArtifacts"
    actions   = ["s3:GetObject"]
    resources = ["${local.artifacts_bucket_arn}/${var.artifact_version}/*"]
  }

  statement {
    sid       = "ListTempSpace"
    actions   = ["s3:ListBucket"]
    resources = [local.temp_bucket_arn]
  }

  statement {
    sid       = "UseOwnTempSpace"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [for prefix in each.value.temp_prefixes : "${local.temp_bucket_arn}/${prefix}"]
  }

  statement {
    sid       = "UseTheStackKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.data.arn]
  }

  # Only this job's own log groups. CreateLogGroup stays so that Glue's create-if-missing call on
  # an existing group gets ResourceAlreadyExists, not AccessDenied; AssociateKmsKey is what the
  # security configuration's CloudWatch encryption calls.
  statement {
    sid = "WriteThisJobsLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:AssociateKmsKey",
    ]
    resources = flatten([
      for name in each.value.log_groups : ["${local.log_group_arn_prefix}${name}", "${local.log_group_arn_prefix}${name}:*"]
    ])
  }
}

data "aws_iam_policy_document" "job_common" {
  for_each = local.job_keys

  source_policy_documents = [data.aws_iam_policy_document.glue_job_runtime[each.key].json]

  statement {
    sid       = "PublishGlueMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource-level permissions
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }

  # The manifest id travels from ingest to transform to load as a workflow run property.
  statement {
    sid       = "ShareManifestIdsThroughTheWorkflowRun"
    actions   = ["glue:GetWorkflowRunProperties", "glue:PutWorkflowRunProperties"]
    resources = [local.workflow_arn]
  }
}

resource "aws_iam_role_policy" "job_common" {
  for_each = local.job_keys

  name   = "glue-job-runtime"
  role   = aws_iam_role.job[each.key].id
  policy = data.aws_iam_policy_document.job_common[each.key].json
}

# --- jobs inside the VPC (ingest, load): Glue creates their network interfaces -------------------

data "aws_iam_policy_document" "job_vpc" {
  statement {
    sid = "DescribeTheNetwork"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeRouteTables",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeVpcAttribute",
    ]
    resources = ["*"] # EC2 Describe* actions have no resource-level permissions
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  statement {
    sid     = "AttachToThePrivateSubnet"
    actions = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:CreateTags", "ec2:DeleteTags"]
    resources = [
      local.network_interfaces_arn,
      aws_subnet.private[0].arn,
      aws_security_group.glue.arn,
    ]
  }
}

resource "aws_iam_role_policy" "job_vpc" {
  for_each = local.jobs_in_vpc

  name   = "glue-job-network"
  role   = aws_iam_role.job[each.key].id
  policy = data.aws_iam_policy_document.job_vpc.json
}

# --- ingest: ToteSys secret -> landing zone and its own state --------------------------------------

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "ReadTheToteSysSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.totesys.arn]
  }

  statement {
    sid       = "UseThePrivateNetworkConnection"
    actions   = ["glue:GetConnection"]
    resources = [local.glue_catalog_arn, aws_glue_connection.private_network.arn]
  }

  statement {
    sid       = "ListLandingAndState"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.landing_bucket_arn]
  }

  statement {
    sid       = "WriteLandingAndState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.landing_bucket_arn}/landing/*", "${local.landing_bucket_arn}/state/*"]
  }
}

resource "aws_iam_role_policy" "ingest" {
  name   = "ingest-data-access"
  role   = aws_iam_role.job["ingest"].id
  policy = data.aws_iam_policy_document.ingest.json
}

# --- transform: landing (read) -> processed zone, its state, and the catalog ----------------------

data "aws_iam_policy_document" "transform" {
  statement {
    sid       = "ListLanding"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.landing_bucket_arn]
  }

  statement {
    sid       = "ReadLanding"
    actions   = ["s3:GetObject"]
    resources = ["${local.landing_bucket_arn}/landing/*"]
  }

  statement {
    sid       = "ListProcessedAndState"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.processed_bucket_arn]
  }

  statement {
    sid       = "WriteProcessedAndState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.processed_bucket_arn}/processed/*", "${local.processed_bucket_arn}/state/*"]
  }

  statement {
    sid = "MaintainTheStarSchemaTables"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:CreatePartition",
      "glue:BatchCreatePartition",
      "glue:UpdatePartition",
      "glue:BatchUpdatePartition",
    ]
    resources = [
      local.glue_catalog_arn,
      aws_glue_catalog_database.star_schema.arn,
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.star_schema.name}/*",
    ]
  }
}

resource "aws_iam_role_policy" "transform" {
  name   = "transform-data-access"
  role   = aws_iam_role.job["transform"].id
  policy = data.aws_iam_policy_document.transform.json
}

# --- load: processed zone (read) -> warehouse via the JDBC connection ------------------------------

data "aws_iam_policy_document" "load" {
  statement {
    sid       = "ListProcessed"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.processed_bucket_arn]
  }

  statement {
    sid       = "ReadProcessed"
    actions   = ["s3:GetObject"]
    resources = ["${local.processed_bucket_arn}/processed/*"]
  }

  # Housekeeping after the load (shared/gamboge/load/housekeeping.py): compaction writes merged
  # fact files and its records and deletes the files they replace; retention deletes superseded
  # dimension and current-state snapshots. Manifests, rejects and the transform's state stay
  # out of reach.
  statement {
    sid     = "CompactTheFactPartitions"
    actions = ["s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${local.processed_bucket_arn}/processed/fact_*",
      "${local.processed_bucket_arn}/processed/_compactions/*",
    ]
  }

  statement {
    sid     = "DeleteSupersededSnapshots"
    actions = ["s3:DeleteObject"]
    resources = [
      "${local.processed_bucket_arn}/processed/dim_*/snapshot=*",
      "${local.processed_bucket_arn}/processed/_current/*/snapshot=*",
    ]
  }

  statement {
    sid       = "UseTheWarehouseConnection"
    actions   = ["glue:GetConnection"]
    resources = [local.glue_catalog_arn, aws_glue_connection.warehouse.arn]
  }

  # The loader role's secret only; the master secret is the warehouse_setup job's alone.
  statement {
    sid       = "ReadTheLoaderCredentials"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.warehouse_loader.arn]
  }
}

resource "aws_iam_role_policy" "load" {
  name   = "load-data-access"
  role   = aws_iam_role.job["load"].id
  policy = data.aws_iam_policy_document.load.json
}
