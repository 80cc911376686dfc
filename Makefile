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
# The noxfile imports tiered_ci.nox. In tiered-ci's checkout, or an example inside it
# (examples/*), the tools env holds that checkout and nox runs it (NOX_SCRIPT_MODE=none);
# elsewhere nox installs the tiered-ci the noxfile's PEP 723 block names (the one
# place an adopter sets it; tiered-ci's docs/workflows.md). TIERED_CI=<requirement>
# overrides both, as the workflow's `tiered-ci` input does.
TIERED_CI ?= $(or $(if $(wildcard ci/tiered_ci),-e .),$(if $(wildcard ../../ci/tiered_ci),-e ../..))
export NOX_SCRIPT_MODE ?= $(if $(strip $(TIERED_CI)),none,reuse)
$(NOX): ; $(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/python -m pip install --quiet $(TOOLS_PINS) $(TIERED_CI)
