# Gamboge developer commands. `make run` and `make test` set themselves up on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A real Python 3.9 when one is installed (pyenv's shim answers `command -v` even when it cannot run 3.9).
PY39 ?= $(shell for p in python3.9 $$HOME/.pyenv/versions/3.9*/bin/python3.9; do $$p -c 'import sys' 2>/dev/null && echo $$p && break; done)
SCALE ?= 1
PYTEST_FLAGS ?=
# The Python-shell jobs (ingest, warehouse_setup) run on Glue's Python 3.9: they import only these
# folders of the library, and `make lint` holds them to 3.9 (tests/unit/test_layout.py checks the imports).
PY39_PATH = glue_jobs/ingest_totesys.py glue_jobs/warehouse_setup.py shared/gamboge/__init__.py \
	shared/gamboge/common shared/gamboge/lake shared/gamboge/ingest shared/gamboge/warehouse

.PHONY: install run test test-unit test-all lint bench docker-test package lock deploy clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

install: $(STAMP)  ## create .venv and install the package with its dev dependencies

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (set PYTHON=...)"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[aws,local,dev]'
	@$(BIN)/python -m gamboge.spark.jdbc_driver ensure
	@$(BIN)/python -m gamboge.spark.jvm_archive ensure
	@touch $(STAMP)

run: install  ## start PostgreSQL, seed ToteSys (or add a day), run the whole workflow, print a summary
	$(BIN)/gamboge db up
	$(BIN)/gamboge run --seed-if-empty --scale $(SCALE) --check full
	@echo; echo "Athena named query sales_by_month_and_currency, run locally on DuckDB:"
	@$(BIN)/gamboge query sales_by_month_and_currency --limit 12

# The Glue Python-shell runtime, locally: Python 3.9 with the wheel's own dependencies (and boto3,
# which the ingest job's artifacts bring) and AWS's awsglue library (which Glue provides there), so
# tests run the ingest job under 3.9 for real (skipped when no Python 3.9 is installed). The awsglue wheel declares Python 3.11 but its
# getResolvedOptions is plain Python; its package __init__ imports pyspark (and py4j), so the
# same pinned pyspark comes along. Both pins are read from pyproject.toml.
AWSGLUE_PIN = $(shell grep -o '"AWSGlueDataplanePython==[^"]*"' pyproject.toml | tr -d '"')
PYSPARK_PIN = $(shell grep -o '"pyspark==[^"]*"' pyproject.toml | tr -d '"')
.venv-py39/.installed: pyproject.toml
	@if [ -n "$(PY39)" ]; then \
		$(PY39) -m venv .venv-py39 && .venv-py39/bin/pip install --quiet '.[aws]' '$(PYSPARK_PIN)' && \
		.venv-py39/bin/pip install --quiet --no-deps --ignore-requires-python '$(AWSGLUE_PIN)' && touch $@; \
	else echo "no Python 3.9 found: the ingest job's Python 3.9 run tests will be skipped"; fi

test: install .venv-py39/.installed  ## the default test suite (skips slow scale/fault-matrix tests)
	$(BIN)/python -m pytest -m 'not slow' $(PYTEST_FLAGS)

test-unit: install  ## the fast tier: no PostgreSQL, no Spark, no subprocess (tests/unit, seconds)
	$(BIN)/python -m pytest tests/unit $(PYTEST_FLAGS)

test-all: install .venv-py39/.installed  ## every test, including slow scale and fault-matrix tests
	$(BIN)/python -m pytest $(PYTEST_FLAGS)

# checkov pins its own (old) boto3, so it lives in a virtualenv of its own.
CHECKOV_VERSION := 3.3.30
CHECKOV_STAMP := .venv-checkov/.installed-$(CHECKOV_VERSION)

lint: install $(CHECKOV_STAMP)  ## ruff, format check, mypy, bandit, Python 3.9 ingest path, terraform fmt/validate, checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy  # shared/gamboge, configured in pyproject.toml
	$(BIN)/bandit -q -r shared glue_jobs -ll
	$(BIN)/vermin --no-tips --violations -t=3.9- $(PY39_PATH)
	@if [ -n "$(PY39)" ]; then $(PY39) -m compileall -q $(PY39_PATH) >/dev/null && echo "python3.9 compiles the Python-shell path"; \
	else echo "python3.9 not found: vermin's check stands alone"; fi
	@if ! command -v terraform >/dev/null 2>&1; then echo "terraform not found: fmt and validate skipped"; \
	else terraform fmt -check -recursive terraform && echo "terraform fmt: clean" && \
	  if terraform -chdir=terraform init -backend=false -input=false >/dev/null 2>&1; \
	  then terraform -chdir=terraform validate; \
	  else echo "terraform validate skipped: the AWS provider cannot be downloaded here"; fi; fi
	.venv-checkov/bin/checkov --config-file .checkov.yaml

.venv-checkov: $(CHECKOV_STAMP)  ## checkov in its own virtualenv (offline scans: --skip-download)

$(CHECKOV_STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (set PYTHON=...)"; exit 1; }
	@test -d .venv-checkov || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --upgrade pip
	.venv-checkov/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	@touch $(CHECKOV_STAMP)

bench: install  ## benchmarks against raw PostgreSQL COPY and DuckDB (SCALE=1,10,100)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m bench --scale $(SCALE)

docker-test:  ## the suite, then the jobs started as Glue starts them, inside the official Glue 5 image (needs Docker)
	docker build -f Dockerfile.glue -t gamboge-glue-test .
	docker run --rm gamboge-glue-test
	docker run --rm -e GAMBOGE_REAL_GLUE=1 gamboge-glue-test "python3 -m pytest -p no:cacheprovider tests/e2e/test_glue_launch.py"

package: install  ## each Glue runtime's pinned wheels (requirements/*.txt) and the library wheel under dist/
	$(BIN)/python -m gamboge.ops.artifacts package

lock: install  ## re-pin each Glue runtime's dependency closure in requirements/ from pyproject.toml (needs Python 3.9)
	PY39=$(PY39) $(BIN)/python -m gamboge.ops.artifacts lock

deploy: package  ## upload versioned artifacts and terraform apply (needs AWS credentials)
	$(BIN)/python -m gamboge.ops.deploy

clean:  ## stop the local PostgreSQL and remove .venv, .gamboge and build output
	-@test -x $(BIN)/gamboge && $(BIN)/gamboge db down
	rm -rf $(VENV) .venv-py39 .gamboge dist build *.egg-info shared/*.egg-info .pytest_cache .ruff_cache .mypy_cache
