"""Glue 5.0 Spark job: landing JSON Lines → star schema Parquet, cataloged.

Thin: the whole sys.argv Glue built goes to the stage; `--help` lists the arguments.
"""

import sys

from gamboge.transform.transform_job import glue_main

if __name__ == "__main__":
    sys.exit(glue_main(sys.argv))
