# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast check lint format install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Migrate, load the demo co-op (idempotent), then serve the site with one task worker beside it.
run: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	$(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The edit-test loop: everything but the browser tests, keeping the test database between runs.
test-fast: $(STAMP)
	TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-.test-db.sqlite3} $(PY) -m pytest --ignore=tests/browser --reuse-db $(PYTEST_ARGS)

# What memory forgets: lint, migrations not yet made, imports against the layers or in a circle.
check: lint $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -q -p no:randomly tests/test_layers.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) bench/offer_rush.py

clean:
	rm -rf $(VENV) db.sqlite3 .test-db.sqlite3
