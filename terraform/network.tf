# The private network of the Glue connections and the warehouse.
#
# Two private subnets in two availability zones (RDS requires a subnet group spanning two AZs);
# AWS APIs are reached through VPC endpoints so lake and secret traffic never leaves the AWS
# network. One NAT gateway gives the private subnets controlled egress for the one thing that lives
# outside: the ToteSys server (only to source_db_cidr_blocks, see the Glue security group). No job
# reaches a package index: each installs the pinned wheels `make package` built, from S3.

locals {
  # Zone names are pinned (not "the first two available"): a new zone appearing in the list must
  # never reshuffle the subnets, which would replace the warehouse.
  availability_zones = data.aws_availability_zones.pinned.names
}

# The VPC is cut into /24 subnets: the private ones are the first two, the NAT subnet is the last
# one the VPC holds, which exists for every prefix vpc_cidr allows (/16 to /20).
locals {
  subnet_newbits    = 24 - tonumber(split("/", var.vpc_cidr)[1])
  nat_subnet_netnum = pow(2, local.subnet_newbits) - 1
}

data "aws_availability_zones" "pinned" {
  state = "available"
  filter {
    name   = "zone-name"
    values = [for suffix in var.availability_zone_suffixes : "${var.aws_region}${suffix}"]
  }
}

resource "aws_vpc" "main" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # private DNS of the interface endpoints needs both
  tags                 = { Name = "${var.project_name}-${var.environment}" }
}

# The default security group is never used: strip all its rules so nothing falls back to it.
resource "aws_default_security_group" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "private" {
  count = length(local.availability_zones)

  vpc_id                  = aws_vpc.main.id
  availability_zone       = local.availability_zones[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, local.subnet_newbits, count.index)
  map_public_ip_on_launch = false
  tags                    = { Name = "${var.project_name}-private-${local.availability_zones[count.index]}" }
}

# Holds only the NAT gateway; nothing of ours runs in it.
resource "aws_subnet" "public_nat" {
  vpc_id                  = aws_vpc.main.id
  availability_zone       = local.availability_zones[0]
  cidr_block              = cidrsubnet(var.vpc_cidr, local.subnet_newbits, local.nat_subnet_netnum)
  map_public_ip_on_launch = false
  tags                    = { Name = "${var.project_name}-public-nat" }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_eip" "nat" {
  domain     = "vpc"
  depends_on = [aws_internet_gateway.main]
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public_nat.id
}

resource "aws_route_table" "public_nat" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
}

resource "aws_route_table_association" "public_nat" {
  subnet_id      = aws_subnet.public_nat.id
  route_table_id = aws_route_table.public_nat.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.main.id
  }
}

resource "aws_route_table_association" "private" {
  count          = length(aws_subnet.private)
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# --- VPC endpoints ------------------------------------------------------------------------------

# S3 through a gateway endpoint: free, and the lake traffic stays off the NAT gateway.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
}

locals {
  # What the jobs in the VPC call: secrets, the Glue API (connections, workflow run properties),
  # CloudWatch Logs, CloudWatch metrics (--enable-metrics; there is no internet egress to reach
  # it otherwise), KMS (SSE-KMS objects and secrets), and STS for credential refresh.
  interface_endpoint_services = toset(["secretsmanager", "glue", "logs", "monitoring", "kms", "sts"])
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoint_services

  vpc_id              = aws_vpc.main.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.vpc_endpoints.id]
  private_dns_enabled = true
}

resource "aws_security_group" "vpc_endpoints" {
  name        = "${var.project_name}-${var.environment}-vpc-endpoints"
  description = "HTTPS from inside the VPC to the interface endpoints"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "vpc_endpoints_https" {
  security_group_id = aws_security_group.vpc_endpoints.id
  description       = "HTTPS from the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.main.cidr_block
}

# --- the Glue connections' security group ---------------------------------------------------------
# Glue requires the security group of a connection to reference itself for all TCP: the job's
# workers (elastic network interfaces in the subnet) talk to each other through it.
resource "aws_security_group" "glue" {
  #checkov:skip=CKV2_AWS_5:Attached through the Glue connections (security_group_id_list), which checkov does not follow.
  name        = "${var.project_name}-${var.environment}-glue"
  description = "Glue job network interfaces (self-referencing, as Glue connections require)"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "glue_self" {
  #checkov:skip=CKV_AWS_24:The source is this security group itself (referenced_security_group_id), not 0.0.0.0/0; checkov does not read that attribute.
  #checkov:skip=CKV_AWS_25:The source is this security group itself (referenced_security_group_id), not 0.0.0.0/0; checkov does not read that attribute.
  #checkov:skip=CKV_AWS_260:The source is this security group itself (referenced_security_group_id), not 0.0.0.0/0; checkov does not read that attribute.
  security_group_id            = aws_security_group.glue.id
  description                  = "Glue workers talk to each other"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.glue.id
}

resource "aws_vpc_security_group_egress_rule" "glue_self" {
  security_group_id            = aws_security_group.glue.id
  description                  = "Glue workers talk to each other"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.glue.id
}

# HTTPS reaches AWS through the VPC endpoints only; no job installs packages from an index (the
# jobs install the wheels `make package` pinned, from the artifacts bucket).
resource "aws_vpc_security_group_egress_rule" "glue_https" {
  security_group_id = aws_security_group.glue.id
  description       = "HTTPS to the interface VPC endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.main.cidr_block
}

resource "aws_vpc_security_group_egress_rule" "glue_https_s3" {
  security_group_id = aws_security_group.glue.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
}

resource "aws_vpc_security_group_egress_rule" "glue_to_warehouse" {
  security_group_id            = aws_security_group.glue.id
  description                  = "PostgreSQL to the warehouse"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.warehouse.id
}

resource "aws_vpc_security_group_egress_rule" "glue_to_totesys" {
  for_each = toset(var.source_db_cidr_blocks)

  security_group_id = aws_security_group.glue.id
  description       = "PostgreSQL to the ToteSys source"
  ip_protocol       = "tcp"
  from_port         = var.source_db_port
  to_port           = var.source_db_port
  cidr_ipv4         = each.value
}

resource "aws_security_group" "warehouse" {
  name        = "${var.project_name}-${var.environment}-warehouse"
  description = "The warehouse accepts PostgreSQL from the Glue jobs only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "warehouse_from_glue" {
  security_group_id            = aws_security_group.warehouse.id
  description                  = "PostgreSQL from the Glue connection"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.glue.id
}

# --- flow logs ----------------------------------------------------------------------------------

resource "aws_flow_log" "main" {
  vpc_id               = aws_vpc.main.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.vpc_flow_logs.arn
  iam_role_arn         = aws_iam_role.vpc_flow_logs.arn
}

resource "aws_cloudwatch_log_group" "vpc_flow_logs" {
  name              = "/${var.project_name}/${var.environment}/vpc-flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn
}

data "aws_iam_policy_document" "vpc_flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "vpc_flow_logs" {
  name               = "${var.project_name}-${var.environment}-vpc-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.vpc_flow_logs_assume.json
}

data "aws_iam_policy_document" "vpc_flow_logs" {
  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = ["${aws_cloudwatch_log_group.vpc_flow_logs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "vpc_flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.vpc_flow_logs.id
  policy = data.aws_iam_policy_document.vpc_flow_logs.json
}
