# Roundbook: `make run` serves a local copy with demo data; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test lint format typecheck migrations-check check-python clean bench bench-smoke bench-soak

help:
	@echo "make run               install, migrate, load demo data, serve http://$(HOST):$(PORT)"
	@echo "make test              install dev dependencies and run the test suite"
	@echo "make lint | format | typecheck | migrations-check"
	@echo "make bench | bench-smoke | bench-soak   benchmarks (PostgreSQL, Redis, wrk); see README"

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "Roundbook needs Python 3.12 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Install 3.12+ (pyenv reads .python-version) or run: make PYTHON=python3.12 ..."; \
	  exit 1; }

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

# A local secret key and DEBUG for this checkout only; never committed.
local.env:
	@umask 077; { \
	  echo "# Written by 'make run' for this checkout only. Not committed."; \
	  echo "DEBUG=True"; \
	  echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(64))')"; \
	} > $@
	@echo "Wrote local.env (local secret key, DEBUG=True)."

run: $(VENV)/.installed local.env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	@echo
	@echo "Admin login: create one with"
	@echo "    $(BIN)/python manage.py createsuperuser"
	@echo "then open http://$(HOST):$(PORT)/admin/"
	@echo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy .

migrations-check: $(VENV)/.installed-dev
	DEBUG=True $(BIN)/python manage.py makemigrations --check --dry-run

# Benchmarks (README "Benchmarks"): need PostgreSQL, Redis and wrk; write bench/results/.
bench: $(VENV)/.installed
	$(BIN)/python -m bench.run

bench-smoke: $(VENV)/.installed
	$(BIN)/python -m bench.run --smoke

bench-soak: $(VENV)/.installed
	$(BIN)/python -m bench.run --soak

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache staticfiles
