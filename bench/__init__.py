"""Benchmarks: `python -m bench --scale 1,10,100` (see bench/__main__.py). Not part of the test suite."""
