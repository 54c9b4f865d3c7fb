"""Gamboge: an AWS Glue pipeline from ToteSys to a star schema, runnable on a laptop."""

from pathlib import Path

__version__ = "0.1.0"
# Package data: the warehouse DDL, the Athena named queries and the seed SQL.
SQL_DIR = Path(__file__).resolve().parent / "sql"
# The folder that holds this package (the repo's shared/, or site-packages): what a child process
# needs on PYTHONPATH to import the same code.
LIBRARY_ROOT = Path(__file__).resolve().parent.parent
