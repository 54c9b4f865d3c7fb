# A failed or timed-out run of any of the three jobs publishes to an encrypted SNS topic.
# EventBridge sees every run, whether started by the workflow, by hand or by a retry.

resource "aws_sns_topic" "job_failures" {
  name              = "${var.project_name}-${var.environment}-job-failures"
  kms_master_key_id = aws_kms_key.data.arn
}

resource "aws_sns_topic_subscription" "job_failures_email" {
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.job_failures.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_event_rule" "job_failed" {
  name        = "${var.project_name}-${var.environment}-job-failed"
  description = "A ${var.project_name} Glue job run ended FAILED or TIMEOUT"

  event_pattern = jsonencode({
    source      = ["aws.glue"]
    detail-type = ["Glue Job State Change"]
    detail = {
      jobName = [aws_glue_job.ingest.name, aws_glue_job.transform.name, aws_glue_job.load.name]
      state   = ["FAILED", "TIMEOUT"]
    }
  })
}

resource "aws_cloudwatch_event_target" "job_failed_to_sns" {
  rule      = aws_cloudwatch_event_rule.job_failed.name
  target_id = "sns"
  arn       = aws_sns_topic.job_failures.arn

  # A readable message instead of the raw event.
  input_transformer {
    input_paths = {
      job     = "$.detail.jobName"
      state   = "$.detail.state"
      run_id  = "$.detail.jobRunId"
      message = "$.detail.message"
    }
    input_template = "\"Glue job <job> ended <state> (run <run_id>): <message>\""
  }
}

data "aws_iam_policy_document" "job_failures_topic" {
  statement {
    sid       = "EventBridgePublishesFailures"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.job_failures.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.job_failed.arn]
    }
  }
}

resource "aws_sns_topic_policy" "job_failures" {
  arn    = aws_sns_topic.job_failures.arn
  policy = data.aws_iam_policy_document.job_failures_topic.json
}
