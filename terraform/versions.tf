# Versions are pinned so a plan made on one laptop is the plan applied from another.
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "= 5.100.0"
    }
  }

  # State belongs in a remote, locked, encrypted backend (an S3 bucket with a lock table, created
  # once per account outside this stack). `make deploy` passes its settings with -backend-config
  # (TF_BACKEND_CONFIG), so nothing account-specific is committed.
  backend "s3" {}
}
