"""Glue 5.0 Spark job: processed-zone batches → the PostgreSQL warehouse over JDBC.

Thin: the whole sys.argv Glue built goes to the stage; `--help` lists the arguments.
"""

import sys

from gamboge.load.load_job import glue_main

if __name__ == "__main__":
    sys.exit(glue_main(sys.argv))
