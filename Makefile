# Everything a fresh Debian machine needs is installed by these targets (root, or sudo).
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR ?= .demo
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help deps system-deps test unit lint lock demo demo-stop bench clean

help:
	@echo "make demo       start a local Prometheus with demo data and the analyzer, print real verdicts"
	@echo "make demo-stop  stop them"
	@echo "make test       install what is needed and run every test (and the linters)"
	@echo "make lint       ruff and mypy"
	@echo "make bench      benchmarks against a local Prometheus (not part of make test)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

system-deps:
	@if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then \
	  echo "installing the Debian package prometheus (prometheus + promtool)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	fi
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "installing the Debian packages chromium and chromium-driver (the UI's browser tests)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; \
	fi

deps: $(VENV)/.installed system-deps

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: deps lint
	$(VENV)/bin/pytest -q -p no:cacheprovider

# Pins the image's runtime dependencies to the versions installed (and tested) here.
lock: $(VENV)/.installed
	$(VENV)/bin/python scripts/lock_requirements.py > requirements.lock

unit: $(VENV)/.installed
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/unit tests/api

demo: deps
	$(VENV)/bin/python deploy/demo/demo.py start --dir $(DEMO_DIR)

demo-stop:
	@if [ -x $(VENV)/bin/python ]; then $(VENV)/bin/python deploy/demo/demo.py stop --dir $(DEMO_DIR); fi

bench: deps
	$(VENV)/bin/python bench/run.py

clean: demo-stop
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
