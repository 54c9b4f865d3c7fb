"""Glue 5.0 Spark job: processed-zone batches → the PostgreSQL warehouse over JDBC. Thin: parse, build, call."""

import sys

from shared.load_cli import run_job

if __name__ == "__main__":
    sys.exit(run_job(sys.argv[1:]))
