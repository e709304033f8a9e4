# Two commands on a fresh machine: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DB ?= var/demo.duckdb

.PHONY: setup run demo test lint bench models clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "civicpulse needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

DEMO_PASSWORD ?= hanoi-saigon-2026
HOST ?= 127.0.0.1
PORT ?= 8000

# Ingest the bundled demo data into the embedded store, analyze it, create the demo login (once: re-runs keep it)
# and serve the web app in the foreground (Ctrl-C stops it). Re-running changes nothing already stored.
run: setup
	$(BIN)/civicpulse --db $(DB) ingest data/demo --workspace demo --no-progress
	$(BIN)/civicpulse --db $(DB) analyze --workspace demo --no-progress
	$(BIN)/civicpulse --db $(DB) stats --workspace demo
	@out=$$(printf '%s\n' '$(DEMO_PASSWORD)' | $(BIN)/civicpulse --db $(DB) users create demo --admin 2>&1) \
		&& echo "$$out" || echo "$$out" | grep -q "already exists" || { echo "$$out"; exit 1; }
	$(BIN)/civicpulse --db $(DB) workspaces grant demo demo --role owner
	@echo "Open http://$(HOST):$(PORT) — sign in as demo / $(DEMO_PASSWORD)"
	$(BIN)/civicpulse --db $(DB) serve --host $(HOST) --port $(PORT)

# The optional Hugging Face backend (torch CPU build + transformers) is installed for the tests only, so that its
# loading path is tested; `make run` does not need it.
$(VENV)/.hf-installed: $(VENV)/.installed requirements-hf.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-hf.lock
	touch $@

# The optional Ray engine, likewise installed for the tests (one marked test starts a local two-node cluster).
$(VENV)/.ray-installed: $(VENV)/.installed requirements-ray.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-ray.lock
	touch $@

# The optional PostgreSQL backend's driver; the tests start a throwaway cluster of Debian's postgresql.
$(VENV)/.postgres-installed: $(VENV)/.installed requirements-postgres.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-postgres.lock
	touch $@

lint: setup
	$(BIN)/ruff check src tests benchmarks data/demo

test: setup lint $(VENV)/.hf-installed $(VENV)/.ray-installed $(VENV)/.postgres-installed
	bash scripts/install-system-packages.sh
	BIN=$(BIN) bash scripts/run-tests.sh

bench: setup
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/topics.py

# Rebuild the default models from data/training (deterministic; writes src/civicpulse/analysis/resources/models).
models: setup
	$(BIN)/civicpulse train

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
