# The ToteSys source credentials. Terraform creates the secret (its name, key and access) but never
# its value, so no password passes through tfvars, the plan or the state. Set it once, out of band:
#
#   aws secretsmanager put-secret-value --secret-id "$(terraform output -raw totesys_secret_arn)" \
#     --secret-string file://totesys.json   # {"host": ..., "port": 5432, "dbname": ..., "username": ..., "password": ...}
#
# The ingest job reads it by ARN (--source_secret_id). The warehouse master credentials need no
# secret here: RDS generates, stores and rotates them (manage_master_user_password in rds.tf); the
# load job's own credentials are in warehouse_role.tf.
resource "aws_secretsmanager_secret" "totesys" {
  #checkov:skip=CKV2_AWS_57:The ToteSys password belongs to the source system's owners, who rotate it on their side; a Lambda rotator here cannot change it.
  name                    = "${var.project_name}/${var.environment}/totesys-source"
  description             = "ToteSys PostgreSQL connection for the ingest job: host, port, dbname, username, password (value set out of band)"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
}
