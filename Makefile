# Dunwell developer commands. `make demo` and `make test` work from a fresh clone:
# the first run builds .venv and installs the project with its dev extras.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.PHONY: help venv demo test stress bench lint fmt clean

help:
	@echo "make venv   create .venv and install dunwell with its dev and spark extras"
	@echo "make demo   compare humane, aggressive and ml in the strategy lab, write var/lab.html,"
	@echo "            then serve the humane run's book in the web app"
	@echo "make test   run the tests (SQLite; PostgreSQL too when DUNWELL_TEST_POSTGRES_URL is set)"
	@echo "make stress the integrity tests at full size: 10,000 HTTP payments with server kills,"
	@echo "            COB killed at 100 points, the stateful book test with a bigger budget"
	@echo "            (PostgreSQL at DUNWELL_STRESS_POSTGRES_URL, fresh schemas it drops),"
	@echo "            and every test marked stress: the full-size runs make test sizes down"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make lint   ruff, mypy, import-linter contracts and the domain checks"
	@echo "make fmt    format the code with ruff"
	@echo "make clean  remove .venv, caches and build artefacts"

venv: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "dunwell needs Python >= 3.11: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev,spark]'
	touch $@

# The demo's strategy lab: humane, aggressive and ml side by side on DEMO_BORROWERS
# synthetic borrowers for DEMO_DAYS days (after the book's 45-day warm-up), the report
# in var/lab.html, then the humane run's book served (docs/simulation.md, "The demo").
DEMO_BORROWERS ?= 200
DEMO_DAYS ?= 60

demo: venv
	$(BIN)/dunwell demo --lab --borrowers $(DEMO_BORROWERS) --days $(DEMO_DAYS) --serve

# worksteal: each worker starts on its own half of the tests in order (a module's shared
# books and models are built by one worker, not both) and takes from the other's end
# when it runs dry, so one long test does not leave a core idle at the end.
# compileall first: with PYTHONDONTWRITEBYTECODE set, every worker and every server or
# CLI a test starts would compile the package from source again; and pytest keeps the
# bytecode of the tests it rewrites (each worker collects every test module).
# One thread each for OpenMP (LightGBM), BLAS and Polars: the workers already keep every
# core busy, and a second thread per worker only spins waiting for the core it shares.
TEST_THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 POLARS_MAX_THREADS=1

test: venv
	$(BIN)/python -m compileall -q -j 0 src
	PYTHONDONTWRITEBYTECODE= $(TEST_THREADS) $(BIN)/pytest -q -p no:cacheprovider -n auto --dist worksteal

DUNWELL_STRESS_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

stress: venv
	mkdir -p bench/out
	DUNWELL_STRESS=1 DUNWELL_TEST_POSTGRES_URL=$(DUNWELL_STRESS_POSTGRES_URL) \
		$(BIN)/pytest -q -p no:cacheprovider -rA tests/integrity \
		--deselect tests/integrity/test_http_payments_stress.py \
		--junitxml=bench/out/stress_integrity.xml
	DUNWELL_STRESS=1 DUNWELL_TEST_POSTGRES_URL=$(DUNWELL_STRESS_POSTGRES_URL) \
		$(BIN)/pytest -q -p no:cacheprovider -rA -n auto -m stress tests --ignore=tests/integrity \
		--junitxml=bench/out/stress_full_size.xml
	$(BIN)/python bench/stress_payments.py --db $(DUNWELL_STRESS_POSTGRES_URL)

bench: venv
	$(BIN)/python bench/run_all.py

lint: venv
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python tools/check_domain.py
	$(BIN)/python tools/error_codes.py --check

fmt: venv
	$(BIN)/ruff format src tests bench tools

clean:
	rm -rf $(VENV) build dist bench/out .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name '__pycache__' -type d -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +
