# Each target is one command on a fresh Debian 12: it installs what it needs first.
# Debian's own interpreter, as a deployment uses it (and it starts faster than most builds).
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Two workers: most of the suite's time is real servers starting and answering.
PYTEST_ARGS ?= -n 2 --dist worksteal

.PHONY: all deps venv test lint bench demo clean

all: test

deps:
	@tools/install-deps

$(STAMP): pyproject.toml | deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --config-settings editable_mode=compat -e '.[test,holidays,dns,libvirt,einvoice,web,sms,postgres]'
	@touch $(STAMP)

venv: deps $(STAMP)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check plugins bridge tests bench tools/demo stubs
	$(VENV)/bin/ruff format --check plugins bridge tests bench tools/demo stubs
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: venv
	$(PY) bench/run_all.py

demo: venv
	$(PY) tools/demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
