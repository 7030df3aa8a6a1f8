# pv-tracker: `make run` for a local instance, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install migrate demo run test test-browser test-load load check bench clean messages

# xstatic-bootstrap is an sdist whose setup.py imports pkg_resources: build it with an
# older setuptools, without build isolation.
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools<81" wheel
	$(BIN)/pip install -q --no-build-isolation -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Demo users, a small synthetic cohort (once), and a report request that the worker
# started by `make run` completes within a minute.
demo: migrate
	$(BIN)/python manage.py setup_demo
	$(BIN)/python manage.py generate_demo_data --patients 300 --seed 1 --if-empty
	$(BIN)/python manage.py pv_aggregate --product anakinra --as-of $$(date +%F) --queue

run: demo
	@echo ""
	@echo "  pv-tracker: http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo logins (password for all: demo-password-2026):"
	@echo "    reporter-01 (site-01), reporter-02 (site-02), reviewer, analyst, admin"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A pv_tracker worker --loglevel INFO --concurrency 2 --hostname worker@%h & \
	$(BIN)/celery -A pv_tracker beat --loglevel INFO & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

test: install check
	$(BIN)/pytest

# Benchmark on fresh databases of its own (var/bench/sqlite, PostgreSQL pv_bench); see docs/performance.md.
# Develop with `make bench BENCH_PATIENTS=2000`; the full size takes minutes on each backend.
BENCH_PATIENTS ?= 100000
BENCH_DBS ?= sqlite postgresql
BENCH_IMPORT_PATIENTS ?= 10000
# Request cost against a trivial page and form (PostgreSQL, gunicorn as in the Dockerfile), and the CSV
# export's peak memory at a tenth and all of BENCH_EXPORT_PATIENTS x ~10 reactions (docs/performance.md).
BENCH_REQUEST_PATIENTS ?= 20000
BENCH_EXPORT_PATIENTS ?= $(BENCH_PATIENTS)
bench: install
	@for db in $(BENCH_DBS); do $(BIN)/python bench/run.py --db $$db --patients $(BENCH_PATIENTS) || exit 1; done
	@for db in $(BENCH_DBS); do $(BIN)/python bench/import_bench.py --db $$db --patients $(BENCH_IMPORT_PATIENTS) \
	  --json bench/results/import-$$db.json || exit 1; done
	$(BIN)/python bench/request_cost.py --patients $(BENCH_REQUEST_PATIENTS) --json bench/results/requests-postgresql.json
	$(BIN)/python bench/export_memory.py --patients $(BENCH_EXPORT_PATIENTS) --json bench/results/export-postgresql.json

# Browser tests (Playwright + Debian's Chromium) and the concurrency load test; both are also
# part of `make test`. `make load` runs scripts/load_submit.py on a fresh SQLite database
# (LOAD_ARGS="--database-url postgres://... --requests 500" for PostgreSQL).
test-browser: install
	$(BIN)/pytest tests/browser

test-load: install
	$(BIN)/pytest tests/load

load: install
	$(BIN)/python scripts/load_submit.py $(LOAD_ARGS)

# Translations: refresh the catalogues from the code and templates, then compile them. The compiled
# .mo files are committed, so `make run` and the Docker image need no gettext; a test checks that
# they match the .po files. Needs gettext (Debian package `gettext`).
MESSAGES_IGNORE := --ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles --ignore=var --ignore=scripts
messages: install
	$(BIN)/python manage.py makemessages -l it -l en_GB $(MESSAGES_IGNORE) --no-obsolete
	$(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)

clean:
	rm -rf $(VENV) var staticfiles
