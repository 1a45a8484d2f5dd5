# Everything a fresh Debian machine needs is installed by these targets (root, or sudo).
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR ?= .demo
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help deps system-deps test unit lint docs lock demo demo-stop bench clean

help:
	@echo "make demo       start a local Prometheus with demo data, a local shop and the analyzer, print real verdicts"
	@echo "                (free ports; DEMO_ARGS=\"--analyzer-port 18080\" picks one; source .demo/env sets \$$ANALYZER)"
	@echo "make demo-stop  stop them"
	@echo "make test       install what is needed and run every test (and the linters)"
	@echo "make unit       every test that needs no Prometheus (-m \"not integration\")"
	@echo "make lint       ruff and mypy"
	@echo "make docs       build the documentation site into site/ (offline, --strict)"
	@echo "make bench      benchmarks against a local Prometheus (not part of make test)"

# system-deps first: on a fresh Debian `python3 -m venv` needs the python3-venv package.
$(VENV)/.installed: pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

# prometheus (with promtool) for the tests and the demo; python3-venv for `python3 -m venv`; curl for the
# documented examples, which the tests run as written.
system-deps:
	@missing=""; \
	command -v prometheus >/dev/null && command -v promtool >/dev/null || missing="$$missing prometheus"; \
	if [ ! -e $(VENV)/.installed ]; then \
	  probe=$$(mktemp -d); $(PYTHON) -m venv "$$probe/venv" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	  rm -rf "$$probe"; \
	fi; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	if [ -n "$$missing" ]; then \
	  echo "installing the Debian packages$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "installing the Debian packages chromium and chromium-driver (the UI's browser tests)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; \
	fi

deps: $(VENV)/.installed system-deps

lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: deps lint docs
	$(VENV)/bin/pytest -q -p no:cacheprovider

# Offline: the material theme ships its fonts and scripts; --strict turns broken links into errors.
docs: $(VENV)/.installed
	$(VENV)/bin/python scripts/settings_table.py --check
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site

# Pins the image's runtime dependencies to the versions installed (and tested) here.
lock: $(VENV)/.installed
	$(VENV)/bin/python scripts/lock_requirements.py > requirements.lock

# Every test but those marked `integration`; `prometheus` and `promtool` are stubs that fail here, so a test
# that starts Prometheus without the marker fails instead of quietly starting one.
unit: $(VENV)/.installed
	@stubs=$$(mktemp -d); \
	for tool in prometheus promtool; do \
	  printf '#!/bin/sh\necho "make unit: a test without the integration marker ran %s" >&2\nexit 1\n' $$tool > $$stubs/$$tool; \
	  chmod +x $$stubs/$$tool; \
	done; \
	PATH="$$stubs:$$PATH" $(VENV)/bin/pytest -q -p no:cacheprovider -m "not integration"; status=$$?; \
	rm -rf "$$stubs"; exit $$status

demo: deps
	$(VENV)/bin/python deploy/demo/demo.py start --dir $(DEMO_DIR) $(DEMO_ARGS)

demo-stop:
	@if [ -x $(VENV)/bin/python ]; then $(VENV)/bin/python deploy/demo/demo.py stop --dir $(DEMO_DIR); fi

# Both benchmarks run even when the first misses a target; the exit status says whether any did.
bench: deps
	status=0; $(VENV)/bin/python bench/run.py || status=$$?; $(VENV)/bin/python bench/overload.py || status=$$?; exit $$status

clean: demo-stop
	rm -rf $(VENV) $(DEMO_DIR) build site *.egg-info
