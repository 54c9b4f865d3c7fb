# The warehouse: RDS PostgreSQL in the private subnets, reachable only from the Glue security
# group, encrypted with the stack's key, TLS required, the master password generated and
# rotated by RDS in Secrets Manager (never in terraform state), with automated backups.

resource "aws_db_subnet_group" "warehouse" {
  name       = "${var.project_name}-${var.environment}-warehouse"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "warehouse" {
  name_prefix = "${var.project_name}-${var.environment}-warehouse-"
  family      = "postgres${var.warehouse_engine_version}"
  description = "Warehouse: TLS only, connection and slow statement logging"

  # Refuse unencrypted connections (the Glue connection sets JDBC_ENFORCE_SSL too).
  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  parameter {
    name  = "log_disconnections"
    value = "1"
  }
  # Statements slower than 5 s are logged; the load job's statements are few and large.
  parameter {
    name  = "log_min_duration_statement"
    value = "5000"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "warehouse" {
  identifier     = "${var.project_name}-${var.environment}-warehouse"
  engine         = "postgres"
  engine_version = var.warehouse_engine_version
  instance_class = var.warehouse_instance_class
  db_name        = "warehouse"

  allocated_storage     = var.warehouse_allocated_storage_gb
  max_allocated_storage = var.warehouse_allocated_storage_gb * 5
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.data.arn

  username                      = var.warehouse_master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.data.arn
  # IAM authentication is available for people who query the warehouse; the load job uses the
  # Glue connection's secret.
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.warehouse.name
  vpc_security_group_ids = [aws_security_group.warehouse.id]
  parameter_group_name   = aws_db_parameter_group.warehouse.name
  publicly_accessible    = false
  multi_az               = var.warehouse_multi_az

  backup_retention_period   = var.warehouse_backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = var.warehouse_deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.project_name}-${var.environment}-warehouse-final"

  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  monitoring_interval             = 60
  monitoring_role_arn             = aws_iam_role.rds_monitoring.arn
  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.data.arn

  depends_on = [aws_cloudwatch_log_group.warehouse]
}

# Created here (rather than by RDS on first export) so they get a retention and the stack's key.
resource "aws_cloudwatch_log_group" "warehouse" {
  for_each = toset(["postgresql", "upgrade"])

  name              = "/aws/rds/instance/${var.project_name}-${var.environment}-warehouse/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn
}

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name               = "${var.project_name}-${var.environment}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
}

# The AWS managed policy is the documented, minimal grant for enhanced monitoring (it writes to
# the RDSOSMetrics log group only).
resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
