# `make test` and `make demo` are the two commands README promises; both set everything up on first use.
# `make check`: the fast tier for every change (no subprocess); `make test`: everything, as CI runs it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: check test lint typecheck unit demo bench chaos clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -m "not e2e and not chaos"

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

demo: $(STAMP)
	@$(BIN)/python scripts/demo.py

bench: $(STAMP)
	@$(BIN)/python benchmarks/run_all.py

chaos: $(STAMP)
	$(BIN)/pytest -q -m chaos -s

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
