"""The Glue workflow graph, declared once.

``gamboge run`` executes it locally in this order; terraform declares the same jobs, scripts and
arguments (a test parses the terraform and compares it with this module); each job script accepts
exactly these arguments. ``ONE_OFF_JOBS`` are declared the same way but run outside the workflow.
"""

from typing import Dict, NamedTuple, Optional, Tuple

# Every Glue job, trigger and the workflow are named <project>-<environment>-<key>, as terraform
# names them (var.project_name, var.environment), so two environments can share an account and
# region. These defaults are terraform's defaults.
DEFAULT_PROJECT = "gamboge"
DEFAULT_ENVIRONMENT = "dev"
WORKFLOW_KEY = "pipeline"
AWS_REGION_MEANING = "region of every AWS API call the job makes (default: the AWS SDK's own setting)"


class JobSpec(NamedTuple):
    key: str  # short name: ingest | transform | load
    script: str  # path in the repo, uploaded as the Glue script
    glue_command: str  # "pythonshell" | "glueetl"
    # The job's own arguments terraform passes (name → meaning). The script accepts each of them.
    arguments: Dict[str, str]
    after: Optional[str]  # the job whose SUCCEEDED state triggers this one
    # Whether terraform passes Glue's own --job-bookmark-option (parsed by getResolvedOptions
    # itself, never requested by name) and the job keeps a bookmark by it.
    glue_bookmark: bool


JOBS: Tuple[JobSpec, ...] = (
    JobSpec(
        "ingest",
        "glue_jobs/ingest_totesys.py",
        "pythonshell",
        {
            "aws_region": AWS_REGION_MEANING,
            "source_secret_id": "Secrets Manager secret with the ToteSys connection (host, port, dbname, username, "
            "password); locally replaced by GAMBOGE_SOURCE_DSN",
            "landing_uri": "landing zone URI (s3://bucket/landing)",
            "state_uri": "where ingest keeps its bookmarks (s3://bucket/state)",
            "tables": "comma-separated ToteSys tables to extract (default: all 11)",
            "audit": "full content-hash audit of every table: auto (every --audit_every_hours) | always | never",
            "audit_every_hours": "with --audit auto: one audit per table this often (hours)",
        },
        None,
        True,
    ),
    JobSpec(
        "transform",
        "glue_jobs/transform_star_schema.py",
        "glueetl",
        {
            "aws_region": AWS_REGION_MEANING,
            "landing_uri": "landing zone URI to read manifests from",
            "processed_uri": "processed zone URI (s3://bucket/processed)",
            "state_uri": "where transform keeps its bookmark",
            "catalog_database": "Glue Data Catalog database for the star schema",
            "max_reject_ratio": "fail the run when rejected/landed rows exceed this ratio",
        },
        "ingest",
        True,
    ),
    JobSpec(
        "load",
        "glue_jobs/load_warehouse.py",
        "glueetl",
        {
            "aws_region": AWS_REGION_MEANING,
            "processed_uri": "processed zone URI to read manifests from",
            "connection_name": "Glue JDBC connection to the warehouse (credentials via its SECRET_ID)",
            "retain_batches": "after the load, keep the dimension and current-state snapshots that the newest this "
            "many processed batches name (the rollback depth) and those of every batch not loaded; delete the "
            "other superseded ones",
            "compact_min_files": "after the load, merge the files of loaded batches in each fact partition into one "
            "where there are at least this many",
        },
        "transform",
        False,
    ),
)

JOBS_BY_KEY: Dict[str, JobSpec] = {j.key: j for j in JOBS}

# Jobs outside the workflow, started by hand (`aws glue start-job-run`); terraform declares them
# with their scripts and arguments like the workflow's jobs, but no trigger starts them.
ONE_OFF_JOBS: Tuple[JobSpec, ...] = (
    JobSpec(
        "warehouse_setup",
        "glue_jobs/warehouse_setup.py",
        "pythonshell",
        {
            "aws_region": AWS_REGION_MEANING,
            "master_secret_id": "the RDS-managed secret of the warehouse master user (username, password)",
            "loader_secret_id": "the load job's secret, written by this job (host, port, dbname, username, password)",
            "warehouse_host": "warehouse address",
            "warehouse_port": "warehouse port",
            "warehouse_dbname": "warehouse database",
        },
        None,
        False,
    ),
)

ONE_OFF_JOBS_BY_KEY: Dict[str, JobSpec] = {j.key: j for j in ONE_OFF_JOBS}


def job(key: str) -> JobSpec:
    return JOBS_BY_KEY[key]


def one_off_job(key: str) -> JobSpec:
    return ONE_OFF_JOBS_BY_KEY[key]


def resource_name(key: str, project: str = DEFAULT_PROJECT, environment: str = DEFAULT_ENVIRONMENT) -> str:
    """The name of one of the stack's Glue resources: ``<project>-<environment>-<key>``."""
    return f"{project}-{environment}-{key}"


def glue_job_name(key: str, project: str = DEFAULT_PROJECT, environment: str = DEFAULT_ENVIRONMENT) -> str:
    """The Glue job of workflow job ``key`` (ingest, transform, load) in one deployment."""
    return resource_name(key, project, environment)


def workflow_name(project: str = DEFAULT_PROJECT, environment: str = DEFAULT_ENVIRONMENT) -> str:
    """The Glue workflow of one deployment (``aws glue start-workflow-run --name <this>``)."""
    return resource_name(WORKFLOW_KEY, project, environment)
