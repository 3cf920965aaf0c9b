# Kinerja: the two commands a new machine needs are `make run` and `make test`.
# Every target creates or refreshes the virtual environment from requirements.lock first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MONTH ?=
UNPAUSE ?=
PYTEST_ARGS ?=
# Test files run in parallel, each file whole on one worker (pytest-xdist), the long ones
# first (tests/conftest.py orders them); every worker has its own embedded server, Airflow
# metadata database and dbt target folder.
# PYTEST_WORKERS=0 runs in this process (for a debugger), auto: one per CPU.
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --requirement requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## Create or refresh the virtual environment from requirements.lock

.PHONY: run
run: $(STAMP) ## Run the daily DAG for every day of last month, then the monthly DAG (MONTH=2026-10 to choose)
	$(BIN)/kinerja run $(if $(MONTH),--month $(MONTH))

# The data team's Airflow on this machine: api-server (UI), scheduler, dag-processor and
# triggerer in the background, LocalExecutor, over the warehouse of `make run`.
.PHONY: airflow
airflow: $(STAMP) ## Start Airflow's UI at http://127.0.0.1:8080 and its scheduler in the background (UNPAUSE=1: unpause the DAGs)
	$(BIN)/kinerja airflow start $(if $(UNPAUSE),--unpause)

.PHONY: airflow-stop
airflow-stop: $(STAMP) ## Stop every Airflow process `make airflow` started
	$(BIN)/kinerja airflow stop

.PHONY: test
test: $(STAMP) ## Run the whole test suite (real PostgreSQL, dbt, Great Expectations and Airflow)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

PY_PATHS := plugins dags tests bench deploy

# Every check runs, so one failure does not hide the others; lint fails if any failed.
# sqlfluff's dbt templater compiles the models, which needs a database: `kinerja lint-sql`
# uses KINERJA_WAREHOUSE_URL or starts the embedded server, and stops it again if it
# started it (nothing else needs to run).
.PHONY: lint
lint: $(STAMP) ## Lint: ruff check, ruff format --check (pyproject.toml), sqlfluff on the dbt models (.sqlfluff)
	@status=0; \
	$(BIN)/ruff check $(PY_PATHS) || status=1; \
	$(BIN)/ruff format --check $(PY_PATHS) || status=1; \
	$(BIN)/kinerja lint-sql || status=1; \
	exit $$status

.PHONY: fix
fix: $(STAMP) ## Apply the linters' automatic fixes (ruff check --fix, ruff format, sqlfluff fix); review the diff
	$(BIN)/ruff check --fix $(PY_PATHS)
	$(BIN)/ruff format $(PY_PATHS)
	$(BIN)/kinerja lint-sql fix dbt_project/models

.PHONY: stop
stop: $(STAMP) ## Stop the embedded PostgreSQL server under .local/
	$(BIN)/kinerja warehouse stop

.PHONY: psql
psql: $(STAMP) ## Open psql on the warehouse
	$(BIN)/kinerja warehouse psql

.PHONY: clean
clean: ## Remove the embedded warehouse, Airflow home and generated scorecards (.local/)
	-$(BIN)/kinerja warehouse stop 2>/dev/null
	rm -rf .local dbt_project/target dbt_project/logs
