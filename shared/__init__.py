"""Gamboge: an AWS Glue pipeline from ToteSys to a star schema, runnable on a laptop."""

__version__ = "0.1.0"
