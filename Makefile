# `make test` and `make demo` are the two commands README promises; both set everything up on first use.
# `make check`: the fast tier for every change (no subprocess); `make test`: everything, as CI runs it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/dev.txt
# `make demo` needs only the runtime dependencies: a venv of its own, without the development tools.
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
RUNTIME := requirements/runtime.txt

.PHONY: check test demo bench chaos clean lock postgres-binaries

# The venv holds the exact releases of the lock file; the checkout itself is put on its path by a .pth file, so
# `reconciler`, `providers` and `state` are imported from these folders (nothing of the project is installed).
# `.venv/bin/reconciler` runs the checkout's CLI.
$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(LOCK)
	$(BIN)/python -c 'import pathlib, sys, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "reconciler-checkout.pth").write_text(sys.argv[1] + "\n")' "$(CURDIR)"
	@printf '#!%s\nfrom reconciler.cli import main\nraise SystemExit(main())\n' "$(CURDIR)/$(BIN)/python" > $(BIN)/reconciler
	@chmod +x $(BIN)/reconciler
	@touch $(STAMP)

# The PostgreSQL tests start a real server from this machine's binaries (tests/_postgres.py); as root, install them
# when they are missing. Otherwise those tests fail and say how to provide a server (RECONCILER_TEST_PG_URL).
postgres-binaries:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
		{ test "$$(id -u)" = 0 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } || \
		echo "PostgreSQL binaries not found and not installable here: set RECONCILER_TEST_PG_URL for the PostgreSQL tests"

check: $(STAMP) postgres-binaries
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -m "not e2e and not chaos"

test: $(STAMP) postgres-binaries
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

$(DEMO_STAMP): $(RUNTIME)
	@test -x $(DEMO_VENV)/bin/python || $(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(RUNTIME)
	@touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	@$(DEMO_VENV)/bin/python scripts/demo.py

bench: $(STAMP) postgres-binaries
	@$(BIN)/python benchmarks/run_all.py

chaos: $(STAMP)
	$(BIN)/pytest -q -m chaos -s

# Rewrite the lock file with today's releases within pyproject.toml's ranges (needs the package index).
lock:
	$(PYTHON) scripts/lock.py

clean:
	rm -rf $(VENV) $(DEMO_VENV) .mypy_cache .pytest_cache .ruff_cache
