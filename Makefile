# NewsBase: `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
REQUIRE_POSTGRES ?= 0
REQUIRE_BROWSER ?= 0
PYTEST_ARGS ?=
# Tests run as production would (DEBUG off), with a throwaway key.
TEST_ENV := SECRET_KEY=test-only-secret-key DEBUG=0 REQUIRE_BROWSER=$(REQUIRE_BROWSER)
DEV_ENV := DEBUG=1

.PHONY: help install install-dev run serve test test-sqlite test-postgres lint format migrations-check bench clean

help:
	@echo "make run               set up .venv, migrate, load vocabulary and demo, serve http://127.0.0.1:8000"
	@echo "make test              the whole suite on SQLite, then on PostgreSQL at TEST_DATABASE_URL"
	@echo "make lint              ruff check and format check"
	@echo "make migrations-check  fail if models and migrations disagree"

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_vocabulary
	$(DEV_ENV) $(PY) manage.py load_demo
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

serve: install
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: install-dev test-sqlite test-postgres

test-sqlite: install-dev
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install-dev
	@if $(PY) -c "import psycopg2, sys; psycopg2.connect('$(TEST_DATABASE_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== tests on PostgreSQL ($(TEST_DATABASE_URL)) =="; \
		DATABASE_URL='$(TEST_DATABASE_URL)' $(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "PostgreSQL does not answer at $(TEST_DATABASE_URL) and REQUIRE_POSTGRES=1." >&2; exit 1; \
	else \
		echo "== PostgreSQL not reachable at $(TEST_DATABASE_URL): skipped (set REQUIRE_POSTGRES=1 to fail) =="; \
	fi

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
