# One-line aliases to nox sessions (the sessions hold the logic; see noxfile.py).
# Needs only python3 (3.10+), git and make: the first target run bootstraps
# .venv-tools with the pinned nox and uv plus tiered-ci. `make test` is the whole suite
# (CONTRIBUTING.md).

PYTHON ?= python3
# uv trusts the OS certificate store, like pip (matters behind TLS-inspecting proxies).
export UV_NATIVE_TLS ?= 1
TOOLS := .venv-tools
NOX := $(TOOLS)/bin/nox

.PHONY: quick unit integration e2e plan ci test lint bench coverage build clean

quick: $(NOX) ; $(NOX) -s quick
unit: $(NOX) ; $(NOX) -s unit
integration: $(NOX) ; $(NOX) -s integration
e2e: $(NOX) ; $(NOX) -s full-e2e
plan: $(NOX) ; $(NOX) -s plan
ci: $(NOX) ; $(NOX) -s ci
test: $(NOX) ; $(NOX) -s lint full-e2e
lint: $(NOX) ; $(NOX) -s lint
bench: $(NOX) ; $(NOX) -s bench
coverage: $(NOX) ; $(NOX) -s coverage
build: $(NOX) ; $(NOX) -s docker-changed-services
clean: ; rm -rf .nox reports .coverage .coverage.* coverage.xml

# nox and uv as pinned in ci/requirements-tools.txt (tests keep the pins equal); inline,
# so that a copy of this Makefile outside the checkout bootstraps the same tools.
TOOLS_PINS := nox==2026.10.20 uv==0.13.9
# The noxfile imports tiered_ci.nox, so the tools env holds tiered-ci: this checkout,
# the checkout around an example (examples/*), else the released package.
TIERED_CI ?= $(or $(if $(wildcard ci/tiered_ci),-e .),$(if $(wildcard ../../ci/tiered_ci),-e ../..),tiered-ci)
$(NOX): ; $(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/python -m pip install --quiet $(TOOLS_PINS) $(TIERED_CI)
