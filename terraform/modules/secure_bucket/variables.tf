variable "bucket_name" {
  description = "Globally unique name of the bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key for default SSE-KMS encryption."
  type        = string
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted object version is kept before it expires."
  type        = number
  default     = 30
}

variable "current_version_expiration_days" {
  description = "Days after which current objects expire; null keeps them until deleted."
  type        = number
  default     = null
}

variable "current_version_expiration_prefix" {
  description = "Only current objects under this key prefix expire (\"\" for the whole bucket)."
  type        = string
  default     = ""
}

variable "access_log_bucket_name" {
  description = "Bucket receiving S3 server access logs for this bucket; null disables access logging."
  type        = string
  default     = null
}
