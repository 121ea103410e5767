# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast check lint format install bench clean system-packages system-packages-test

# What the system must provide (Pango, HarfBuzz's subsetter, DejaVu fonts; chromium for the tests):
# installed when this runs as root or with password-less sudo, otherwise one line saying how.
system-packages:
	@$(PYTHON) tools/system_packages.py

system-packages-test:
	@$(PYTHON) tools/system_packages.py --browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Migrate, load the demo co-op (idempotent), then serve the site with one task worker beside it.
ADDRESS ?= 127.0.0.1:8000
# Emailed links (sign-up, certificates) point at this address unless SITE_URL says otherwise.
run: export SITE_URL := $(or $(SITE_URL),http://$(ADDRESS))
run: system-packages $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	$(PY) manage.py schedule_daily
	$(PY) manage.py db_worker --queue-name '*' & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Serving http://$(ADDRESS)/ (admin at http://$(ADDRESS)/admin/; the logins are above). Ctrl-C stops it."; \
	$(PY) manage.py runserver $(ADDRESS)

# One test process per core (pytest-xdist); TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= auto
test: system-packages-test $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The edit-test loop: everything but the browser tests, keeping the test database between runs.
test-fast: system-packages-test $(STAMP)
	TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-.test-db.sqlite3} $(PY) -m pytest -n $(TEST_WORKERS) --ignore=tests/browser --reuse-db $(PYTEST_ARGS)

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
