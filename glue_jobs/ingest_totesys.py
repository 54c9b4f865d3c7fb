"""Glue Python shell job (Python 3.9): ToteSys PostgreSQL → landing zone JSON Lines.

Parses the job arguments (those declared in shared.workflow, plus the optional tuning knobs of
shared.ingest) and hands them to the library. Locally: `python glue_jobs/ingest_totesys.py` with
the same arguments, or `gamboge ingest`.
"""

import os
import sys

from shared import glue_args, ingest, logs, workflow_run


def main(argv):
    # CloudWatch wants one JSON object per event; a terminal gets the readable lines, and
    # `gamboge run` passes its own choice down.
    logs.configure(os.environ.get(logs.ENV_FORMAT) or ("text" if sys.stderr.isatty() else "json"))
    # Started by the Glue workflow, the job also gets the workflow run to report its manifest to.
    optional = dict(ingest.argument_defaults(), **workflow_run.ARGUMENTS)
    arguments = glue_args.resolve(argv, required=[], optional=optional)
    return ingest.run_job(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
