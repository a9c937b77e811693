# One entry point for people and CI. Both targets create (or reuse) the virtual environment in .venv;
# `make test` also installs what the tests drive (Debian packages, npm packages) when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
STORE  ?= s3
export OPENDATA_HOME ?= $(CURDIR)/var

.PHONY: demo test test-sqlite test-postgresql scaleout scaleout-down lint venv system-packages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## system-packages: chromium, CJK fonts, nginx, node/npm from Debian when missing (nothing when present)
system-packages:
	@scripts/system-packages.sh

## node_modules: axe-core and Lighthouse exactly as package-lock.json pins them
$(NODE_STAMP): package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## demo: set up, initialise the embedded database, sync and ingest the sample catalogue, then serve it
demo: $(STAMP)
	$(BIN)/opendata init
	$(BIN)/opendata sync --ingest
	$(BIN)/opendata serve --host $(HOST) --port $(PORT)

## test: set up and run the whole test suite on SQLite (browser tests included) and, at the same time (one
## core each: each pass is one process), the store, services and API suites on a real PostgreSQL the run
## starts and stops itself; each pass's output is printed when it ends
test: $(STAMP) system-packages $(NODE_STAMP)
	$(MAKE) -j2 --output-sync=target test-sqlite test-postgresql

## test-sqlite: the whole test suite on SQLite files
test-sqlite: $(STAMP) system-packages $(NODE_STAMP)
	$(BIN)/python -m pytest -q

## test-postgresql: the store, services and API suites on a PostgreSQL server started (and stopped) by pytest
## (its own cache and temporary folders, so it can run beside test-sqlite)
test-postgresql: $(STAMP) system-packages
	mkdir -p $(CURDIR)/var  # pytest makes --basetemp but not its parent, which a clean clone lacks
	$(BIN)/python -m pytest -q --database=postgresql -o cache_dir=.pytest_cache/postgresql \
		--basetemp=$(CURDIR)/var/pytest-postgresql tests/store tests/services tests/api

## scaleout: PostgreSQL, Redis, an S3 server (moto), two gunicorn replicas, a worker and nginx on 127.0.0.1
## (scripts/scaleout.py; `make scaleout STORE=folder` keeps the artifacts in the shared folder), files in var/scaleout
scaleout: $(STAMP) system-packages
	$(BIN)/python scripts/scaleout.py up --dir $(CURDIR)/var/scaleout --store $(STORE)

## scaleout-down: stop what `make scaleout` started, by the PIDs it recorded (the database and folder stay;
## moto's objects do not)
scaleout-down:
	$(BIN)/python scripts/scaleout.py down --dir $(CURDIR)/var/scaleout

lint: $(STAMP)
	$(BIN)/ruff check opendata tests bench examples

clean:
	rm -rf $(VENV) var .pytest_cache node_modules
