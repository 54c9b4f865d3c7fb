"""Glue Python shell job (Python 3.9), outside the workflow: create or rotate the load job's warehouse role.

Started by hand once after the first deploy, and again to rotate the password
(`aws glue start-job-run --job-name <warehouse_setup_job_name>`).
Thin: the whole sys.argv Glue built goes to the library.
"""

import sys

from gamboge.warehouse.warehouse_role import glue_main

if __name__ == "__main__":
    sys.exit(glue_main(sys.argv))
