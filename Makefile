# Koel: `make run` starts the whole stack, `make test` runs the test suite.
# Both create .venv and install the pinned requirements first; only Python 3.11+ is needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint fmt bench reliability check clean-var

$(VENV)/.requirements-%: requirements/base.txt requirements/embedded.txt requirements/%.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Koel needs Python 3.11 or newer (set PYTHON=...)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/$*.txt
	@rm -f $(VENV)/.requirements-* && touch $@

run: $(VENV)/.requirements-dev
	$(PY) -m koel.stack run

test: $(VENV)/.requirements-dev
	$(PY) -m koel.stack test $(ARGS)

# Lint: ruff, the import rules (pyproject.toml's [tool.importlinter]; docs/architecture.md) and
# migrations matching the models (checked against the same servers as `make test`).
lint: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) -m koel.stack exec $(PY) manage.py makemigrations --check --dry-run

fmt: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks (see docs/benchmarks.md); they use the same embedded or given servers.
bench: $(VENV)/.requirements-dev
	$(PY) -m koel.stack exec $(PY) bench/ingest.py
	$(PY) -m koel.stack exec $(PY) bench/queries.py
	$(PY) -m koel.stack exec $(PY) bench/scrape.py
	$(PY) -m koel.stack exec $(PY) bench/api.py
	$(PY) -m koel.stack exec $(PY) bench/pages.py
	$(PY) -m koel.stack exec $(PY) bench/alerts.py
	$(PY) -m koel.stack exec $(PY) bench/live_tick.py
	$(PY) -m koel.stack exec $(PY) bench/stream.py

# Reliability: faults, crashes, load and hostile input (docs/reliability.md); minutes, not seconds.
reliability: $(VENV)/.requirements-dev
	$(PY) -m koel.stack test -m long $(ARGS)
	@set -e; for script in reliability/run_*.py; do \
	  [ -e "$$script" ] || continue; \
	  echo "== $$script"; $(PY) -m koel.stack exec $(PY) $$script; \
	done

clean-var:
	rm -rf var/
