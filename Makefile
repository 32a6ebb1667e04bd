# One command each: set-up + run, test, lint, rebuild the shipped boundaries.
# Every target installs what it needs into the project's own virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run build test lint bench boundaries clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Open the dashboard (it builds the default store on first start, showing progress).
run: install
	$(BIN)/streamlit run app.py

## Build the default store (shipped Camden boundaries + synthetic demo spend) and list estates.
build: install
	$(BIN)/placespend build
	$(BIN)/placespend estates --limit 30

## The whole test suite.
test: install
	$(BIN)/pytest

## Lint: ruff on all the code, and the type checker (mypy) on the package.
lint: install
	$(BIN)/ruff check placespend tests scripts benchmarks app.py
	$(BIN)/mypy

## Benchmarks: Camden's real size and 10x, the floor, tobler, pandas, London-wide geometry, the
## app, all 33 boroughs' spend in one build and 30x Camden in one file (about an hour on 2 cores;
## inputs cached in benchmarks/.cache). Writes benchmarks/RESULTS.md.
bench: install
	$(BIN)/python -m benchmarks.run

## Rebuild boundaries/ from ../shared/data (maintainers only; the outputs are committed).
boundaries: install
	$(BIN)/python scripts/build_boundaries.py

clean:
	rm -rf .placespend .pytest_cache .hypothesis
