# One customer managed key encrypts every store of this stack: the S3 zones, the catalog, job
# bookmarks, logs, secrets, the warehouse and alerts. A CMK (not an AWS managed key) so that access
# is granted in one auditable key policy plus the job roles, and can be revoked in one place.
resource "aws_kms_key" "data" {
  description             = "${var.project_name}-${var.environment}: encrypts the lake, catalog, logs, secrets, warehouse and alerts"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = local.data_key_policy
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.project_name}-${var.environment}-data"
  target_key_id = aws_kms_key.data.key_id
}

# A key policy, not an IAM policy: in it, "Resource": "*" means this key and nothing else.
locals {
  data_key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The account administers the key; IAM policies (the job roles) then grant its use.
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # Encrypted log groups (job logs, flow logs, RDS logs and the Glue security
        # configuration's CloudWatch encryption) are written by the CloudWatch Logs service.
        Sid       = "CloudWatchLogsEncryptsThisAccountsLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
          }
        }
      },
      {
        # EventBridge publishes failure events to the encrypted SNS topic.
        Sid       = "EventBridgePublishesToTheEncryptedAlertTopic"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      {
        # CloudWatch alarms (the no-successful-load alarm) publish to the encrypted SNS topic:
        # without this, the alarm changes state but its notification is dropped.
        Sid       = "CloudWatchAlarmsPublishToTheEncryptedAlertTopic"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
}
