# The README's commands. Everything is installed into .venv by these targets.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: up test lint e2e bench messages clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## make up: install, migrate, create the demo and run the whole platform on http://127.0.0.1:8000
up: $(STAMP)
	$(PY) manage.py up

## make test: every test (unit, API, websocket, boot, browser), then ruff and mypy
test: $(STAMP)
	$(PY) -m pytest
	$(MAKE) --no-print-directory lint

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

e2e: $(STAMP)
	$(PY) -m pytest -m e2e

bench: $(STAMP)
	@for script in benchmarks/[!_]*.py; do $(PY) $$script || exit 1; done

## make messages: refresh the translation catalogues (needs GNU gettext)
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests --ignore=node_modules --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
