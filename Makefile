# The README's commands. Everything is installed into .venv by these targets.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# node_modules as package-lock.json pins it: solc (compiles the contracts) and anvil (the local chain).
NODE_STAMP := node_modules/.installed

.PHONY: up cluster cluster-tools test browser lint e2e bench messages clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

## make up: install, migrate, create the demo and run the whole platform on http://127.0.0.1:8000
up: $(STAMP) $(NODE_STAMP)
	$(PY) manage.py up

## make cluster: the deployed shape on this machine (HAProxy, two web processes, a GPU worker and a
## worker, beat) on PostgreSQL and Redis: this machine's own on 127.0.0.1 unless DATABASE_URL and
## REDIS_URL say otherwise
CLUSTER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/storyloom
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/0
cluster: $(STAMP) $(NODE_STAMP) cluster-tools
	DATABASE_URL=$${DATABASE_URL:-$(CLUSTER_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(CLUSTER_REDIS_URL)} \
	  $(PY) manage.py up --topology cluster

# The cluster's balancer and the compose file's checker (tests/test_cluster.py, tests/test_deploy.py):
# Debian's haproxy and docker-compose, installed where missing, as chromium is.
cluster-tools:
	@if ! command -v haproxy >/dev/null || ! command -v docker-compose >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's haproxy and docker-compose for the cluster topology and its checks"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy docker-compose >/dev/null; \
	  else \
	    echo "haproxy or docker-compose is missing and cannot be installed here (needs root and apt): their tests will be skipped"; \
	  fi; \
	fi

## make test: every test (unit, API, websocket, boot, browser), then ruff and mypy
test: $(STAMP) $(NODE_STAMP) browser cluster-tools
	$(PY) -m pytest
	$(MAKE) --no-print-directory lint

# The browser tests drive Debian's chromium; CJK fonts make the Chinese pages render.
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "chromium is missing and cannot be installed here (needs root and apt): browser tests will be skipped"; \
	  fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	PYTHONPATH=platform $(VENV)/bin/lint-imports

e2e: $(STAMP) $(NODE_STAMP) browser
	$(PY) -m pytest -m e2e

bench: $(STAMP) $(NODE_STAMP)
	@# (exit status 2: the benchmark needs hardware this machine lacks, e.g. generation_gpu.py a GPU)
	@for script in benchmarks/[!_]*.py; do $(PY) $$script; status=$$?; \
		if [ $$status -eq 2 ]; then echo "skipped $$script"; elif [ $$status -ne 0 ]; then exit 1; fi; done

## make messages: refresh the translation catalogues (needs GNU gettext)
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests --ignore=node_modules --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
