# One entry point for people and CI. Both targets create (or reuse) the virtual environment in .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
export OPENDATA_HOME ?= $(CURDIR)/var

.PHONY: demo test lint venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## demo: set up, initialise the embedded database, sync and ingest the sample catalogue, then serve it
demo: $(STAMP)
	$(BIN)/opendata init
	$(BIN)/opendata sync --ingest
	$(BIN)/opendata serve --host $(HOST) --port $(PORT)

## test: set up and run the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check opendata tests bench

clean:
	rm -rf $(VENV) var .pytest_cache
