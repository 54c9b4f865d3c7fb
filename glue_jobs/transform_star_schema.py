"""Glue 5.0 Spark job: landing JSON Lines → star schema Parquet, cataloged. Thin: parse, build, call."""

import sys

from shared.transform_cli import run_job

if __name__ == "__main__":
    sys.exit(run_job(sys.argv[1:]))
