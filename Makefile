# strikevote development tasks. Every target works from a fresh clone: it bootstraps what it needs.
#
#   make demo        run the demonstration election (DEMO_ARGS="..." passes options, e.g. "--scenario wga-2017")
#   make test        setup + lint + typecheck + the whole test suite (what CI runs)
#   make help        list the targets

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Gates run one after the other, in the order written, even under `make -j`.
.NOTPARALLEL:

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp
# Only the directories that exist: git does not keep empty ones.
PY_DIRS := $(wildcard src tests bench)

BELENIOS_TOOL_2 ?= /usr/bin/belenios-tool
BELENIOS_TOOL_3 ?= $(HOME)/.cache/belenios-tool-3/belenios-tool-3
PYTEST_ARGS     ?= -n 2 -q
DEMO_ARGS       ?=
# The full-disk tests mount a small tmpfs: required where that is possible (as root, as in CI).
REQUIRE_FULL_DISK := $(if $(filter 0,$(shell id -u)),1,0)

.PHONY: help setup venv lint typecheck test demo bench fmt clean distclean

help:
	@echo "make demo       run the demo election (DEMO_ARGS=... passes options to 'strikevote demo')"
	@echo "make test       setup, lint, typecheck, then pytest (PostgreSQL and belenios-tool required)"
	@echo "make setup      venv + dev dependencies + belenios-tool 2.0/3.0 + PostgreSQL binaries"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make typecheck  mypy src/strikevote"
	@echo "make bench      run bench/*.py"
	@echo "make fmt        ruff format + ruff check --fix"
	@echo "make clean      remove caches and build output (distclean: also .venv)"

# The venv is rebuilt only when pyproject.toml changes (bootstrap.sh compares its sha256).
$(STAMP): pyproject.toml
	@bash scripts/bootstrap.sh
	@touch $@

venv: $(STAMP)

setup:
	@bash scripts/bootstrap.sh --with-belenios --with-postgres --with-browser
	@touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check $(PY_DIRS)
	$(VENV)/bin/ruff format --check $(PY_DIRS)

typecheck: $(STAMP)
	$(VENV)/bin/mypy src/strikevote

# Interop and PostgreSQL tests must run here: missing tools are failures, not skips.
test: setup lint typecheck
	BELENIOS_TOOL_2="$(BELENIOS_TOOL_2)" BELENIOS_TOOL_3="$(BELENIOS_TOOL_3)" \
	STRIKEVOTE_REQUIRE_INTEROP=1 STRIKEVOTE_REQUIRE_PG=1 STRIKEVOTE_REQUIRE_FULL_DISK=$(REQUIRE_FULL_DISK) \
	bash scripts/with-postgres.sh $(VENV)/bin/pytest $(PYTEST_ARGS)

demo: $(STAMP)
	$(VENV)/bin/strikevote demo $(DEMO_ARGS)

bench: $(STAMP)
	@shopt -s nullglob; for f in bench/*.py; do echo "== $$f"; $(PY) "$$f"; done

fmt: $(STAMP)
	$(VENV)/bin/ruff format $(PY_DIRS)
	$(VENV)/bin/ruff check --fix $(PY_DIRS)

clean:
	rm -rf build out bench/cache .pgtmp .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
