"""Glue Python shell job (Python 3.9): ToteSys PostgreSQL → landing zone JSON Lines.

Glue starts it with the job's default arguments and its own; `--help` lists them. Locally:
`python glue_jobs/ingest_totesys.py --job-bookmark-option job-bookmark-enable …`, or `gamboge ingest`.
"""

import sys

from gamboge.ingest import job

if __name__ == "__main__":
    sys.exit(job.glue_main(sys.argv))
