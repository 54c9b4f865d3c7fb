provider "aws" {
  region = var.aws_region

  # Every resource carries these, so cost and ownership are visible without reading the code.
  default_tags {
    tags = merge(var.extra_tags, {
      project     = var.project_name
      environment = var.environment
      managed_by  = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  # Bucket names are global: the account id and region keep them unique without a random suffix.
  name_suffix = "${var.environment}-${local.account_id}-${local.region}"
}
