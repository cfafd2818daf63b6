# Compute Atlas — `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8501
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help setup build run test test-fast browser-deps test-deps team-deps serve-team lint format clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	@echo "Installing the pinned requirements into $(VENV) (first run only; a minute or two; pip shows its progress)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -r requirements.txt
	@touch $@

setup: $(BIN)/.installed ## Create .venv and install the pinned requirements

build: setup ## Validate datasets/ and build the figure database (build/atlas.duckdb)
	$(BIN)/python -m analysis build

run: build ## Set up, build and start the app on http://localhost:$(PORT)
	$(BIN)/python -m streamlit run app.py --server.port $(PORT)

browser-deps: ## Install with apt what the browser and deck tests need: Chromium, CJK fonts, LibreOffice Impress, poppler
	@if [ -x "$(CHROMIUM)" ] && fc-list 2>/dev/null | grep -q "Noto Sans CJK" \
		&& command -v soffice >/dev/null && command -v pdftotext >/dev/null; then \
		echo "Chromium, CJK fonts, LibreOffice and poppler present"; \
	else \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q \
			chromium fonts-noto-cjk libreoffice-impress poppler-utils; \
	fi

test-deps: ## Install with apt the PostgreSQL server the user-data store tests start (a throwaway cluster)
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "PostgreSQL present"; \
	else \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql; \
	fi

team-deps: ## Install with apt what `make serve-team` and its tests need: PostgreSQL and nginx (the reverse proxy)
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -x /usr/sbin/nginx ]; then \
		echo "PostgreSQL and nginx present"; \
	else \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql nginx-light; \
	fi

TEAM_PORT ?= 8600
serve-team: setup team-deps ## PostgreSQL, two app servers and nginx on http://127.0.0.1:$(TEAM_PORT) (README "Team deployment"; TEAM_ARGS=--help)
	$(BIN)/python -m deploy.serve_team --port $(TEAM_PORT) $(TEAM_ARGS)

test: setup browser-deps test-deps team-deps ## Set up and run every test tier (unit, AppTest, browser) and the linter
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: setup test-deps ## Unit and AppTest tiers only (no browser)
	$(BIN)/python -m pytest -m "not browser"

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup ## Apply ruff formatting
	$(BIN)/ruff format .

clean: ## Remove the rebuildable database (user data in var/ is kept)
	rm -rf build

# ---------------------------------------------------------------- benchmark and load test (on demand, not part of `make test`)
LOAD_SESSIONS ?= 10
LOAD_SECONDS ?= 60
.PHONY: bench loadtest loadtest-team

bench: setup browser-deps ## Benchmark pages against a trivial page, cold start, build, pack, memory → bench/results.json (BENCH_ARGS=--help)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

loadtest: setup browser-deps ## 10 browser sessions move widgets for 60 s on one server → bench/loadtest.json (LOAD_SESSIONS=, LOAD_SECONDS=)
	$(BIN)/python -m bench.loadtest --sessions $(LOAD_SESSIONS) --seconds $(LOAD_SECONDS) $(LOADTEST_ARGS)

loadtest-team: setup browser-deps ## The same load through `make serve-team`'s proxy (start it first, in another terminal)
	$(BIN)/python -m bench.loadtest --sessions $(LOAD_SESSIONS) --seconds $(LOAD_SECONDS) --url http://127.0.0.1:$(TEAM_PORT) \
		--server-log var/team/logs/app-1.log --server-log var/team/logs/app-2.log $(LOADTEST_ARGS)
