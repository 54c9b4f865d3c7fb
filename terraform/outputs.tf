output "artifacts_bucket" {
  description = "Bucket `make deploy` uploads the job scripts and the library wheel to."
  value       = local.artifacts_bucket
}

output "artifact_version" {
  description = "Artifact version the jobs currently run."
  value       = var.artifact_version
}

output "landing_uri" {
  description = "Landing zone (JSON Lines and ingest manifests)."
  value       = local.landing_uri
}

output "processed_uri" {
  description = "Processed zone (Parquet star schema and manifests)."
  value       = local.processed_uri
}

output "glue_job_names" {
  description = "Glue job name per workflow job key."
  value = {
    ingest    = aws_glue_job.ingest.name
    transform = aws_glue_job.transform.name
    load      = aws_glue_job.load.name
  }
}

output "glue_workflow_name" {
  description = "Start a run by hand: aws glue start-workflow-run --name <this>."
  value       = aws_glue_workflow.pipeline.name
}

output "catalog_database" {
  description = "Glue Data Catalog database of the star schema."
  value       = aws_glue_catalog_database.star_schema.name
}

output "athena_workgroup" {
  description = "Athena workgroup to run the named queries in."
  value       = aws_athena_workgroup.analytics.name
}

output "athena_named_queries" {
  description = "Named query ids by name."
  value       = { for file, query in aws_athena_named_query.star_schema : query.name => query.id }
}

output "totesys_secret_arn" {
  description = "Secret to fill with the ToteSys connection (put-secret-value) before the first run."
  value       = aws_secretsmanager_secret.totesys.arn
}

output "warehouse_endpoint" {
  description = "Warehouse host:port (private)."
  value       = aws_db_instance.warehouse.endpoint
}

output "warehouse_secret_arn" {
  description = "RDS-managed secret holding the warehouse master credentials."
  value       = local.warehouse_secret_arn
}

output "warehouse_connection_name" {
  description = "Glue JDBC connection of the load job."
  value       = aws_glue_connection.warehouse.name
}

output "nat_public_ip" {
  description = "Address ToteSys sees the ingest job connect from (allow it in the source's firewall)."
  value       = aws_eip.nat.public_ip
}

output "alerts_topic_arn" {
  description = "SNS topic of job runs that ended FAILED, TIMEOUT, ERROR or STOPPED, and of the no-successful-load alarm."
  value       = aws_sns_topic.job_failures.arn
}

output "kms_key_arn" {
  description = "Customer managed key of the stack (Athena users need kms:Decrypt on it)."
  value       = aws_kms_key.data.arn
}
