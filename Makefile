# Two set-up commands: `make up` runs the stack, `make test` runs every suite.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
SERVICES := products inventory
LOCKS := $(foreach s,$(SERVICES),subgraphs/$(s)/requirements.txt) requirements-dev.txt
INSTALLED := $(VENV)/.installed

# .env is read by the runner (`make up`, `make migrate`), as docker compose reads it: quotes,
# `$` and `#` mean there what they mean to compose, and the environment wins over the file.
# Make itself reads no .env, so the test targets run on the environment alone.

.PHONY: help install lint format test test-unit up migrate schema schema-check compose lock clean bench vendor-explorer fuzz soak

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(INSTALLED): $(LOCKS) libs/subgraph_kit/pyproject.toml gateway/package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11+ is required (set PYTHON=...)"; exit 1; }
	@command -v npm >/dev/null || { echo "Node 20+ and npm are required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -q $(foreach f,$(LOCKS),-r $(f))
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e libs/subgraph_kit
	cd gateway && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(INSTALLED) ## Create .venv and install the pinned Python and Node dependencies

lint: install ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint schema-check ## Lint, schema-check, then every suite: the kit, each subgraph (unit, integration, snapshots), then cross-service
	@echo "== subgraph_kit"
	cd libs/subgraph_kit && $(PY) -m pytest --cov=subgraph_kit --cov=subgraph_kit_testing --cov-report=term
	@for service in $(SERVICES); do \
		echo "== $$service"; \
		(cd subgraphs/$$service && $(PY) -m pytest --cov=app --cov-report=term) || exit 1; \
	done
	@echo "== cross-service"
	$(PY) -m pytest

fuzz: install ## Long Schemathesis run on both subgraphs (FUZZ_EXAMPLES per operation, default 500)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(PY) -m pytest tests/test_fuzz.py

soak: install ## Mixed load through the gateway for SOAK_SECONDS (default 300) at SOAK_CONNECTIONS (32)
	SOAK_SECONDS=$${SOAK_SECONDS:-300} $(PY) -m pytest tests/test_soak.py

migrate: install ## Apply every migration to <SERVICE>_DATABASE_URL (SQLite under ./data if unset)
	$(PY) -m runner --migrate $(SERVICES)

up: migrate ## Run the stack on SQLite under ./data (or the DATABASE_URLs you set); Ctrl-C stops it
	$(PY) -m runner $(SERVICES) gateway

# `make bench DURATION=10 CONCURRENCY=16`; BENCH_DATABASE_URL=postgresql://… benchmarks on
# Postgres; BENCH_ARGS passes more options (`.venv/bin/python -m bench --help`).
DURATION ?= 10
CONCURRENCY ?= 16

# The reference peer (bench/peer, Node): better-sqlite3 has no prebuilt binary it may fetch
# here, so npm builds it with the C compiler (a minute or two, once).
bench/peer/node_modules/.installed: bench/peer/package-lock.json
	cd bench/peer && npm ci --no-audit --no-fund --loglevel=error
	touch $@

bench: install bench/peer/node_modules/.installed ## Throughput, latency and SQL cost beside a plain-SQL floor and a Node peer (see bench/)
	$(PY) -m bench --duration $(DURATION) --concurrency $(CONCURRENCY) $(BENCH_ARGS)

schema: install ## Refresh each subgraph's schema.graphql and asyncapi.json snapshots from the code
	@for service in $(SERVICES); do \
		(cd subgraphs/$$service && $(PY) -c 'from app.infrastructure.api.graphql.schema import schema; print(schema.as_str())' > schema.graphql) || exit 1; \
		(cd subgraphs/$$service && $(PY) -c 'from app.infrastructure.asyncapi import document; print(document(), end="")' > asyncapi.json) || exit 1; \
	done

# The last release (schemas/released/<newest>) is the baseline; `make schema-check BASE_REF=main`
# or `BASE_DIR=<folder>` picks another.
schema-check: install ## Fail on a breaking schema change against the last release (README: Schema evolution)
	$(PY) scripts/schema_check.py $(if $(BASE_REF),--base-ref $(BASE_REF)) $(if $(BASE_DIR),--base-dir $(BASE_DIR))

compose: install ## Compose supergraph.graphql from supergraph.yaml
	node gateway/compose.mjs

vendor-explorer: ## Re-copy the pinned GraphiQL/Swagger UI files (tools/explorer-assets) into the kit
	@command -v npm >/dev/null || { echo "Node 20+ and npm are required"; exit 1; }
	node tools/explorer-assets/vendor.mjs

lock: ## Re-resolve the pinned requirements (after changing a pyproject.toml or requirements-dev.in)
	@for service in $(SERVICES); do \
		$(PYTHON) scripts/lock.py subgraphs/$$service/pyproject.toml subgraphs/$$service/requirements.txt; \
	done
	$(PYTHON) scripts/lock.py requirements-dev.in requirements-dev.txt

clean: ## Remove .venv, node_modules, caches and the SQLite data
	rm -rf $(VENV) gateway/node_modules data .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
