# Athena over the star schema: one workgroup whose settings clients cannot override, so every
# query result is written encrypted to the results bucket; and one named query per file in
# shared/gamboge/sql/athena (the same SQL `gamboge` runs locally on DuckDB). Adding a .sql file there adds
# a named query here on the next apply.

locals {
  athena_sql_dir     = "${path.module}/../shared/gamboge/sql/athena"
  athena_query_files = fileset(local.athena_sql_dir, "*.sql")
}

resource "aws_athena_workgroup" "analytics" {
  name          = "${var.project_name}-${var.environment}"
  description   = "Queries over the ${var.project_name} star schema"
  state         = "ENABLED"
  force_destroy = false

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    # A runaway scan stops at 10 GB instead of billing for the whole lake.
    bytes_scanned_cutoff_per_query = 10737418240

    result_configuration {
      output_location = "s3://${local.athena_results_bucket}/results/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.data.arn
      }
    }
  }
}

resource "aws_athena_named_query" "star_schema" {
  for_each = local.athena_query_files

  name        = trimsuffix(each.value, ".sql")
  description = "shared/gamboge/sql/athena/${each.value}"
  workgroup   = aws_athena_workgroup.analytics.id
  database    = aws_glue_catalog_database.star_schema.name
  query       = file("${local.athena_sql_dir}/${each.value}")
}
