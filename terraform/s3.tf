# The lake and its support buckets. Each bucket has one job, so each job role can be granted
# exactly the buckets (and prefixes) it touches:
#   landing         ingest writes JSON Lines + manifests (landing/) and its bookmarks (state/)
#   processed       transform writes Parquet + manifests (processed/) and its bookmark (state/)
#   artifacts       `make deploy` uploads <artifact_version>/glue_jobs/*.py and the library wheel
#   temp            Glue --TempDir and Spark UI event logs; short-lived
#   athena-results  query results of the Athena workgroup
locals {
  lake_buckets = {
    landing = {
      # Landed files are replayable input: keep them long enough to rebuild the processed zone.
      # Only landing/ expires: state/ holds the ingest's bookmark and fingerprints, whose
      # baseline is rewritten only by an audit or a full extract and must never expire.
      current_version_expiration_days   = var.landing_retention_days
      current_version_expiration_prefix = "landing/"
    }
    processed = {
      current_version_expiration_days   = null
      current_version_expiration_prefix = ""
    }
    artifacts = {
      # Old artifact versions stay so that a rollback is `terraform apply -var artifact_version=<old>`.
      current_version_expiration_days   = null
      current_version_expiration_prefix = ""
    }
    temp = {
      # Glue's TempDir and the Spark UI event logs
      current_version_expiration_days   = 7
      current_version_expiration_prefix = ""
    }
    athena-results = {
      current_version_expiration_days   = 30
      current_version_expiration_prefix = ""
    }
  }
}

module "bucket" {
  source   = "./modules/secure_bucket"
  for_each = local.lake_buckets

  bucket_name                       = "${var.project_name}-${each.key}-${local.name_suffix}"
  kms_key_arn                       = aws_kms_key.data.arn
  current_version_expiration_days   = each.value.current_version_expiration_days
  current_version_expiration_prefix = each.value.current_version_expiration_prefix
  noncurrent_version_retention_days = var.noncurrent_version_retention_days
  access_log_bucket_name            = aws_s3_bucket.access_logs.id
}

locals {
  landing_bucket        = module.bucket["landing"].name
  processed_bucket      = module.bucket["processed"].name
  artifacts_bucket      = module.bucket["artifacts"].name
  temp_bucket           = module.bucket["temp"].name
  athena_results_bucket = module.bucket["athena-results"].name
}

# --- server access logs of the buckets above ----------------------------------------------------
# S3 log delivery can only write to a bucket whose default encryption is SSE-S3 (SSE-KMS is not
# supported for access-log targets), and a log bucket does not log to itself.
resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_145:S3 server access log delivery does not support SSE-KMS targets; this bucket uses SSE-S3 (AES256).
  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it to itself would loop.
  bucket        = "${var.project_name}-access-logs-${local.name_suffix}"
  force_destroy = false
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "S3LogDeliveryWritesThisAccountsBucketLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket     = aws_s3_bucket.access_logs.id
  policy     = data.aws_iam_policy_document.access_logs.json
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
