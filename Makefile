# tgpl — the two commands: `make run` (serve phones on SQLite) and `make test` (the whole suite).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEBFORMS := tests/webforms

.PHONY: run test lint bench clean

run: $(VENV)/.run-deps
	$(BIN)/tgpl init
	$(BIN)/tgpl serve

test: $(VENV)/.test-deps $(WEBFORMS)/node_modules/.installed
	$(BIN)/pytest -n auto

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(VENV)/.test-deps
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/gazetteer.py
	$(BIN)/python bench/exporter.py --no-tracemalloc
	$(BIN)/python bench/export.py
	$(BIN)/python bench/coverage.py
	$(BIN)/python bench/soak.py

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "tgpl needs Python 3.11 or newer (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.run-deps

# The ODK Web Forms engine for the end-to-end tests; without npm those tests skip (or fail under CI).
$(WEBFORMS)/node_modules/.installed: $(WEBFORMS)/package-lock.json
	@if command -v npm >/dev/null; then \
		cd $(WEBFORMS) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the Web Forms engine tests will be skipped"; fi

clean:
	rm -rf $(VENV) $(WEBFORMS)/node_modules .pytest_cache .mypy_cache .ruff_cache
