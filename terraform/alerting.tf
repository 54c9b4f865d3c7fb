# A run of any of the three jobs that ends FAILED, TIMEOUT, ERROR or STOPPED publishes to an
# encrypted SNS topic. EventBridge sees every run, whether started by the workflow, by hand or by a
# retry. What produces no job event at all (a scheduled start refused because the previous run is
# still going, a trigger that never fires, a schedule switched off) is caught by the second alert:
# no load has succeeded for load_success_alarm_hours.

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
  description = "A ${var.project_name}-${var.environment} Glue job run ended FAILED, TIMEOUT, ERROR or STOPPED"

  event_pattern = jsonencode({
    source      = ["aws.glue"]
    detail-type = ["Glue Job State Change"]
    detail = {
      jobName = [aws_glue_job.ingest.name, aws_glue_job.transform.name, aws_glue_job.load.name]
      # ERROR: Glue could not start the run (for example a trigger naming a deleted job).
      state = ["FAILED", "TIMEOUT", "ERROR", "STOPPED"]
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

# --- no successful load for N hours ----------------------------------------------------------------
# The rule only counts: its AWS/Events MatchedEvents metric is the number of load runs that
# succeeded. An hour without a match has no datapoint, which counts as breaching, so the alarm
# fires once load_success_alarm_hours hours in a row had no successful load. The alarm exists
# while the schedule is on: with the schedule off, no load is expected.
resource "aws_cloudwatch_event_rule" "load_succeeded" {
  name        = "${var.project_name}-${var.environment}-load-succeeded"
  description = "A run of the ${var.project_name}-${var.environment} load job succeeded (counted by the no-load alarm)"

  event_pattern = jsonencode({
    source      = ["aws.glue"]
    detail-type = ["Glue Job State Change"]
    detail = {
      jobName = [aws_glue_job.load.name]
      state   = ["SUCCEEDED"]
    }
  })
}

locals {
  no_load_alarm_name = "${var.project_name}-${var.environment}-no-successful-load"
  no_load_alarm_arn  = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.no_load_alarm_name}"
}

resource "aws_cloudwatch_metric_alarm" "no_successful_load" {
  count = var.schedule_enabled ? 1 : 0

  alarm_name        = local.no_load_alarm_name
  alarm_description = "No run of ${aws_glue_job.load.name} has succeeded for ${var.load_success_alarm_hours} hours: the warehouse is stale."

  namespace           = "AWS/Events"
  metric_name         = "MatchedEvents"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.load_succeeded.name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.load_success_alarm_hours
  datapoints_to_alarm = var.load_success_alarm_hours
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"

  alarm_actions = [aws_sns_topic.job_failures.arn]
  ok_actions    = [aws_sns_topic.job_failures.arn]
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

  statement {
    sid       = "CloudWatchPublishesTheStacksAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.job_failures.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      # names, not the resources: the no-load alarm exists only while scheduled
      values = [local.no_load_alarm_arn, local.audit_missed_alarm_arn]
    }
  }
}

resource "aws_sns_topic_policy" "job_failures" {
  arn    = aws_sns_topic.job_failures.arn
  policy = data.aws_iam_policy_document.job_failures_topic.json
}

# --- the ingest's audit ---------------------------------------------------------------------------
# A weekly audit compares every source row's content hash with what the ingest landed. Finding a
# difference means the xmin capture missed a change (the audit lands it): the data heals, but the
# capture needs a look. The job succeeds, so the job-state rule above would not tell anyone.
locals {
  # shared/gamboge/ingest/job.py AUDIT_MISSED, the "event" of its JSON log line
  ingest_audit_missed_event = "audit found changes the capture missed"
  ingest_error_log_groups   = [for name, key in local.job_log_groups : name if key == "ingest" && endswith(name, "/error")]
  metrics_namespace         = "Gamboge/${var.project_name}-${var.environment}"
  audit_missed_alarm_name   = "${var.project_name}-${var.environment}-ingest-audit-missed"
  audit_missed_alarm_arn    = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.audit_missed_alarm_name}"
}

resource "aws_cloudwatch_log_metric_filter" "ingest_audit_missed" {
  for_each = toset(local.ingest_error_log_groups)

  name           = "${var.project_name}-${var.environment}-ingest-audit-missed"
  log_group_name = aws_cloudwatch_log_group.job[each.key].name
  pattern        = "{ $.event = \"${local.ingest_audit_missed_event}\" }"

  metric_transformation {
    name          = "IngestAuditMissedChanges"
    namespace     = local.metrics_namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "ingest_audit_missed" {
  alarm_name        = local.audit_missed_alarm_name
  alarm_description = "The ingest's audit found source changes the xmin capture had missed (it landed them): see the ingest log and its landing manifest."

  namespace           = local.metrics_namespace
  metric_name         = "IngestAuditMissedChanges"
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"

  alarm_actions = [aws_sns_topic.job_failures.arn]
}
