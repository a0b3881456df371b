# Two commands on a fresh machine: `make run` and `make test` (README).
# The interpreter .venv is made from: Debian's own python3.11 where it can make
# a venv, else python3 from PATH (`make PY=... setup` to choose). Debian builds
# it with LTO/PGO and links libpython into the binary; the server used 6-11%
# less CPU per message on it than on a plain source build with a shared
# libpython such as pyenv's default (docs/decisions/0012-an-optimized-interpreter.md).
SYSTEM_PY := /usr/bin/python3.11
ifeq ($(origin PY),undefined)
PY := $(shell $(SYSTEM_PY) -c 'import ensurepip, venv' 2>/dev/null && echo $(SYSTEM_PY) || echo python3)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Which interpreter .venv was made from; it is made again when that changes.
VENV_PY := $(VENV)/.interpreter
HOST ?= 127.0.0.1
PORT ?= 8080
DB ?= var/chatserver.sqlite3

.PHONY: run test lint typecheck check bench clean setup widget chromium FORCE

WIDGET := clients/widget
WIDGET_STAMP := $(WIDGET)/dist/.built

$(VENV_PY): FORCE
	@mkdir -p $(VENV); [ "$$(cat $@ 2>/dev/null)" = '$(PY)' ] || echo '$(PY)' > $@

FORCE:

$(STAMP): pyproject.toml $(VENV_PY)
	$(PY) -m venv --clear $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	echo '$(PY)' > $(VENV_PY)
	touch $(STAMP)

setup: $(STAMP)

# The browser widget: npm packages from the registry, built into $(WIDGET)/dist.
$(WIDGET_STAMP): $(shell find $(WIDGET) -path $(WIDGET)/node_modules -prune -o -path $(WIDGET)/dist -prune -o -type f -print 2>/dev/null)
	cd $(WIDGET) && npm ci --no-audit --no-fund --loglevel=error && npm run build
	touch $(WIDGET_STAMP)

widget: $(WIDGET_STAMP)

# Debian's Chromium for the browser tests (shared/TOOLING.md); needs root.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

run: $(STAMP) widget
	mkdir -p var
	$(BIN)/chatserver demo --db $(DB)
	$(BIN)/chatserver serve --db $(DB) --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck widget chromium
	$(BIN)/pytest -q
	PYTHONASYNCIODEBUG=1 $(BIN)/pytest -q -x tests/protocol tests/domain tests/store

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
