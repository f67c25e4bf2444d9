# The two commands: `make run` (the bot; the sandbox when no Slack token is set) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint sandbox bench clean

run: $(STAMP)
	@$(BIN)/python -m bot

test: $(STAMP)
	$(BIN)/python -m pytest

# ruff on the whole tree; mypy strict on the domain, storage and sandbox, plain on the Bolt-facing code (pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

sandbox: $(STAMP)
	$(BIN)/python -m bot sandbox

# PYTHONWARNINGS: setuptools' notes about editable installs are for packagers, not for someone trying Triad.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Triad needs Python 3.11 or newer (PYTHON=python3.12 make ...)"; exit 1; }
	@echo "Setting up Triad in $(VENV) (first run only)..."
	@$(PYTHON) -m venv $(VENV)
	@PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) var .pytest_cache

# Each step runs even when the one before missed a target; the exit status says whether all were met.
bench: $(STAMP)
	@status=0; for step in bench/run.py bench/outbox_limits.py bench/load.py; do $(BIN)/python $$step || status=1; done; exit $$status
