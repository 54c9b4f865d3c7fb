# Inputs. Defaults give a small, safe deployment; `make deploy` sets artifact_version,
# python_shell_wheels and spark_wheels. No variable carries a secret: credentials live in Secrets Manager only.
#
# The longest bucket name, <project_name>-athena-results-<environment>-<account id>-<region>
# (s3.tf), must fit S3's 63 characters: 8 + 16 + 7 + 1 + 12 + 1 + 18 = 63 with the longest
# project_name (8), environment (7) and region (18) the validations below accept.

variable "project_name" {
  description = "Prefix of every resource name. Glue jobs, triggers and the workflow are named <project_name>-<environment>-<key>, as shared/gamboge/common/workflow.py resource_name() builds them."
  type        = string
  default     = "gamboge"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,6}[a-z0-9]$", var.project_name)) && !strcontains(var.project_name, "--")
    error_message = "project_name must be 2-8 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (it starts every S3 bucket name, which S3 limits to 63 characters)."
  }
}

variable "environment" {
  description = "Deployment stage, part of bucket names and tags (for example dev, staging, prod)."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,6}$", var.environment))
    error_message = "environment must be 2-7 lowercase letters or digits, starting with a letter (it is part of every S3 bucket name, which S3 limits to 63 characters)."
  }
}

variable "aws_region" {
  description = "AWS region for every resource."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]{4,9}-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-2 or ap-southeast-1 (at most 18 characters: it is part of every S3 bucket name)."
  }
}

variable "extra_tags" {
  description = "Tags added to every resource on top of project, environment and managed_by."
  type        = map(string)
  default     = {}
}

# --- artifacts ------------------------------------------------------------------------------

variable "artifact_version" {
  description = "Version of the uploaded job scripts and wheels (an S3 key prefix in the artifacts bucket). `make deploy` sets it to the git commit; an older value rolls the jobs back."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", var.artifact_version))
    error_message = "artifact_version must be 1-64 characters of letters, digits, dot, underscore or hyphen."
  }
}

variable "python_shell_wheels" {
  description = "File names of the ingest job's wheels (Glue Python shell 3.9: cp39, manylinux2014) in install order, the library wheel last, as `make package` lists them in dist/artifacts.json; uploaded under <artifact_version>/wheels/."
  type        = list(string)

  validation {
    condition     = alltrue([for wheel in var.python_shell_wheels : can(regex("^[A-Za-z0-9_.+-]+\\.whl$", wheel))]) && can(regex("^gamboge-[0-9][A-Za-z0-9.+_]*-py3-none-any\\.whl$", try(reverse(var.python_shell_wheels)[0], "")))
    error_message = "python_shell_wheels must be wheel file names ending with the library wheel, as `make package` writes them to dist/artifacts.json."
  }
}

variable "spark_wheels" {
  description = "File names of the transform and load jobs' wheels (Glue 5.0: cp311, manylinux) in install order, the library wheel last, as `make package` lists them in dist/artifacts.json; uploaded under <artifact_version>/wheels/."
  type        = list(string)

  validation {
    condition     = alltrue([for wheel in var.spark_wheels : can(regex("^[A-Za-z0-9_.+-]+\\.whl$", wheel))]) && can(regex("^gamboge-[0-9][A-Za-z0-9.+_]*-py3-none-any\\.whl$", try(reverse(var.spark_wheels)[0], "")))
    error_message = "spark_wheels must be wheel file names ending with the library wheel, as `make package` writes them to dist/artifacts.json."
  }
}

# --- network --------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the VPC the Glue connections and the warehouse live in."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(tonumber(split("/", var.vpc_cidr)[1])) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be a valid CIDR block from /16 (the largest VPC AWS allows) to /20 (it is cut into /24 subnets)."
  }
}

variable "availability_zone_suffixes" {
  description = "The two availability zones (suffixes of aws_region, for example a and b) of the private subnets and the warehouse."
  type        = list(string)
  default     = ["a", "b"]

  validation {
    condition     = length(var.availability_zone_suffixes) == 2 && length(distinct(var.availability_zone_suffixes)) == 2 && alltrue([for suffix in var.availability_zone_suffixes : can(regex("^[a-z]$", suffix))])
    error_message = "availability_zone_suffixes must be two different single letters."
  }
}

variable "source_db_cidr_blocks" {
  description = "Where the ToteSys PostgreSQL server lives: the ingest job may open connections to port source_db_port on these addresses only."
  type        = list(string)

  validation {
    condition     = length(var.source_db_cidr_blocks) > 0 && alltrue([for cidr in var.source_db_cidr_blocks : can(cidrhost(cidr, 0))])
    error_message = "source_db_cidr_blocks must hold at least one valid CIDR block (use a /32 for one host)."
  }
}

variable "source_db_port" {
  description = "TCP port of the ToteSys PostgreSQL server."
  type        = number
  default     = 5432

  validation {
    condition     = var.source_db_port > 0 && var.source_db_port < 65536
    error_message = "source_db_port must be a TCP port number."
  }
}

# --- Glue jobs ------------------------------------------------------------------------------

variable "schedule_expression" {
  description = "When the workflow starts: a Glue cron expression (UTC) for the SCHEDULED trigger of the ingest job."
  type        = string
  default     = "cron(0/30 * * * ? *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be a Glue cron expression such as cron(0/30 * * * ? *)."
  }
}

variable "schedule_enabled" {
  description = "Whether the SCHEDULED trigger starts the workflow (and the no-successful-load alarm exists). Off on the first deploy, when the ToteSys secret has no value yet and every run would fail: set it to true and apply again after put-secret-value. While false, the workflow runs only on demand."
  type        = bool
  default     = false
}

variable "ingest_max_capacity" {
  description = "DPUs of the Python shell ingest job: 0.0625 (1 GB memory) or 1 (16 GB)."
  type        = number
  default     = 0.0625

  validation {
    condition     = contains([0.0625, 1], var.ingest_max_capacity)
    error_message = "A Python shell job takes 0.0625 or 1 DPU."
  }
}

variable "spark_worker_type" {
  description = "Glue worker type of the transform and load Spark jobs."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.spark_worker_type)
    error_message = "spark_worker_type must be one of G.1X, G.2X, G.4X, G.8X."
  }
}

variable "spark_max_workers" {
  description = "Upper bound of workers for the Spark jobs; with auto scaling Glue uses fewer when the batch is small."
  type        = number
  default     = 4

  validation {
    condition     = var.spark_max_workers >= 2 && var.spark_max_workers <= 50
    error_message = "spark_max_workers must be between 2 and 50."
  }
}

variable "job_timeout_minutes" {
  description = "Per-job timeout in minutes (ingest, transform, load); a run past it ends as TIMEOUT and alerts."
  type        = map(number)
  default = {
    ingest    = 30
    transform = 60
    load      = 60
  }

  validation {
    condition     = alltrue([for key in ["ingest", "transform", "load"] : try(var.job_timeout_minutes[key] >= 5 && var.job_timeout_minutes[key] <= 2880, false)])
    error_message = "job_timeout_minutes needs ingest, transform and load, each between 5 and 2880."
  }
}

variable "ingest_tables" {
  description = "Comma-separated ToteSys tables the ingest job extracts (the --tables argument)."
  type        = string
  default     = "address,counterparty,currency,department,design,payment_type,staff,sales_order,purchase_order,transaction,payment"

  validation {
    condition     = can(regex("^[a-z_]+(,[a-z_]+)*$", var.ingest_tables))
    error_message = "ingest_tables must be table names separated by commas, without spaces."
  }
}

variable "ingest_audit" {
  description = "The ingest job's full content-hash audit of every table (the --audit argument): auto (every ingest_audit_every_hours), always or never."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "always", "never"], var.ingest_audit)
    error_message = "ingest_audit must be auto, always or never."
  }
}

variable "ingest_audit_every_hours" {
  description = "With ingest_audit = auto: hours between two audits of a table (168: weekly)."
  type        = number
  default     = 168

  validation {
    condition     = var.ingest_audit_every_hours > 0
    error_message = "ingest_audit_every_hours must be positive."
  }
}

variable "bookmark_option" {
  description = "The --job-bookmark-option passed to the jobs that keep a bookmark (ingest, transform)."
  type        = string
  default     = "job-bookmark-enable"

  validation {
    condition     = contains(["job-bookmark-enable", "job-bookmark-disable", "job-bookmark-pause"], var.bookmark_option)
    error_message = "bookmark_option must be job-bookmark-enable, job-bookmark-disable or job-bookmark-pause."
  }
}

variable "max_reject_ratio" {
  description = "The transform run fails when rejected/landed rows exceed this ratio (the --max_reject_ratio argument)."
  type        = number
  default     = 0.01

  validation {
    condition     = var.max_reject_ratio >= 0 && var.max_reject_ratio <= 1
    error_message = "max_reject_ratio must be between 0 and 1."
  }
}

variable "retain_batches" {
  description = "The load keeps the dimension and current-state snapshots the newest this many processed batches name (the rollback depth; the --retain_batches argument) and deletes older superseded ones."
  type        = number
  default     = 2

  validation {
    condition     = var.retain_batches >= 1 && floor(var.retain_batches) == var.retain_batches
    error_message = "retain_batches must be a whole number of at least 1 (the newest batch is the current state)."
  }
}

variable "compact_min_files" {
  description = "After each load, a fact partition holding at least this many files of loaded batches is merged into one (the --compact_min_files argument)."
  type        = number
  default     = 2

  validation {
    condition     = var.compact_min_files >= 2 && floor(var.compact_min_files) == var.compact_min_files
    error_message = "compact_min_files must be a whole number of at least 2."
  }
}

# --- storage and logs -------------------------------------------------------------------------

variable "landing_retention_days" {
  description = "Days landed JSON Lines stay in the landing zone before they expire (the processed zone keeps the history)."
  type        = number
  default     = 400

  validation {
    condition     = var.landing_retention_days >= 30
    error_message = "landing_retention_days must be at least 30, so a failed transform can be replayed."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted S3 object version is kept (undo window for bad writes)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (job logs, VPC flow logs, RDS logs)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts (for example 30, 90, 365)."
  }
}

# --- warehouse ------------------------------------------------------------------------------

variable "warehouse_engine_version" {
  description = "PostgreSQL major version of the warehouse (the parameter group family follows it)."
  type        = string
  default     = "16"

  validation {
    condition     = contains(["14", "15", "16", "17"], var.warehouse_engine_version)
    error_message = "warehouse_engine_version must be a PostgreSQL major version RDS supports: 14, 15, 16 or 17."
  }
}

variable "warehouse_instance_class" {
  description = "RDS instance class of the warehouse."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.warehouse_instance_class))
    error_message = "warehouse_instance_class must look like db.t4g.micro."
  }
}

variable "warehouse_allocated_storage_gb" {
  description = "Initial storage of the warehouse in GiB (storage autoscaling may grow it to 5x)."
  type        = number
  default     = 20

  validation {
    condition     = var.warehouse_allocated_storage_gb >= 20 && var.warehouse_allocated_storage_gb <= 1000
    error_message = "warehouse_allocated_storage_gb must be between 20 and 1000."
  }
}

variable "warehouse_multi_az" {
  description = "Run the warehouse with a standby in a second availability zone."
  type        = bool
  default     = true
}

variable "warehouse_backup_retention_days" {
  description = "Days of automated warehouse backups (point-in-time recovery window)."
  type        = number
  default     = 7

  validation {
    condition     = var.warehouse_backup_retention_days >= 1 && var.warehouse_backup_retention_days <= 35
    error_message = "warehouse_backup_retention_days must be between 1 and 35 (0 would disable backups)."
  }
}

variable "warehouse_deletion_protection" {
  description = "Refuse to delete the warehouse instance; set false only to tear down a test environment."
  type        = bool
  default     = true
}

variable "warehouse_master_username" {
  description = "Master user name of the warehouse; its password is generated and rotated by RDS in Secrets Manager."
  type        = string
  default     = "gamboge_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.warehouse_master_username)) && !contains(["admin", "postgres", "rdsadmin"], var.warehouse_master_username)
    error_message = "warehouse_master_username must be a lowercase PostgreSQL identifier and not a reserved name."
  }
}

# --- alerting -------------------------------------------------------------------------------

variable "alert_email_addresses" {
  description = "E-mail addresses subscribed to the job-run and no-successful-load alerts (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alert_email_addresses must be e-mail addresses."
  }
}

variable "manage_python_shell_log_groups" {
  description = "Create Glue's account-wide /aws-glue/python-jobs/error and /output log groups with log_retention_days and this stack's key. They are shared by every Python shell job in the account and region, so only one stack may create them (a destroy leaves them); the ingest job's own, security-configuration-qualified groups are created either way."
  type        = bool
  default     = false
}

# Off by default: the catalog encryption settings are one per account and region, not per stack.
# Turned on, every database, table and connection password in the region's catalog is encrypted
# with this stack's key, so every other principal in the account (other teams' jobs and crawlers,
# Athena, QuickSight, Redshift Spectrum) needs kms:Decrypt on it, and scheduling this key's
# deletion would break the whole region's catalog. Catalog encryption belongs in an
# account-baseline stack with a key of its own.
variable "load_success_alarm_hours" {
  description = "Alarm (to the alert topic) when no run of the load job has succeeded for this many hours. With the default half-hourly schedule, 6 hours is a dozen missed or failed runs. The alarm exists only while schedule_enabled is true."
  type        = number
  default     = 6

  validation {
    condition     = var.load_success_alarm_hours >= 1 && var.load_success_alarm_hours <= 24 && floor(var.load_success_alarm_hours) == var.load_success_alarm_hours
    error_message = "load_success_alarm_hours must be a whole number of hours from 1 to 24 (a CloudWatch alarm looks back at most one day)."
  }
}

variable "manage_catalog_encryption" {
  description = "Manage the account-wide Glue Data Catalog encryption settings (SSE-KMS with this stack's key). Account-wide: leave false unless this stack is the only user of the account's catalog in this region."
  type        = bool
  default     = false
}
