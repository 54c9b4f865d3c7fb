"""Glue Python shell job (Python 3.9): ToteSys PostgreSQL → landing zone JSON Lines.

Parses the job arguments (those declared in shared.workflow, plus the optional tuning knobs of
shared.ingest) and hands them to the library. Locally: `python glue_jobs/ingest_totesys.py` with
the same arguments, or `gamboge ingest`.
"""

import sys

from shared import glue_args, ingest, logs


def main(argv):
    # CloudWatch wants one JSON object per event; a terminal gets the readable lines.
    logs.configure("text" if sys.stderr.isatty() else "json")
    arguments = glue_args.resolve(argv, required=[], optional=ingest.argument_defaults())
    return ingest.run_job(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
