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
# Where `make run` and `make serve` listen: make run PORT=8001 HOST=0.0.0.0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-dev run serve test test-sqlite test-postgres lint format migrations-check bench loadtest clean

help:
	@echo "make run               set up .venv, migrate, load vocabulary and demo, serve http://HOST:PORT (127.0.0.1:8000) with a background worker and the feed scheduler"
	@echo "make install-dev       .venv with the test tools (pytest, playwright, schemathesis, ruff), and axe-core and vnu.jar from npm"
	@echo "make test              the whole suite on SQLite, then on PostgreSQL at TEST_DATABASE_URL"
	@echo "make lint              ruff check and format check"
	@echo "make migrations-check  fail if models and migrations disagree"
	@echo "make loadtest          gunicorn on loopback under 16 connections, <= 30 s: req/s, p50, p99, errors (DATABASE_URL)"

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The accessibility tests' tools from npm, pinned in package.json/package-lock.json: axe-core and
# the Nu HTML checker (vnu.jar, run with Java). Without npm they are skipped (a failure under REQUIRE_BROWSER=1).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm is not installed: the accessibility tests (axe-core, vnu.jar) will be skipped."; \
	fi

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

run: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_vocabulary
	$(DEV_ENV) $(PY) manage.py load_demo
	$(DEV_ENV) $(PY) manage.py db_worker --interval 1 & worker=$$!; \
	$(DEV_ENV) $(PY) manage.py poll_feeds --interval 30 & scheduler=$$!; \
	trap 'kill $$worker $$scheduler' EXIT INT TERM; \
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

serve: install
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

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

# Throughput on loopback (articles/bench/load.py): gunicorn -c gunicorn.conf.py on a free port,
# 16 keep-alive connections, 10 s per URL (30 s at most in all). LOADTEST_ARGS: --path,
# --seconds, --connections, --conditional. Uses DATABASE_URL as the site would.
LOADTEST_ARGS ?=
loadtest: install
	SECRET_KEY=$${SECRET_KEY:-loadtest-only-secret-key} DEBUG=0 $(PY) manage.py loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
