# The two commands: `make demo` and `make test`. Each creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint servers clean

$(BIN)/warroom: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/warroom
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/warroom
	$(BIN)/warroom demo

# The servers and tools the tests talk to: a real Prometheus, tmux for the end-to-end runs,
# openssl for the self-signed certificates of the TLS tests, kubectl to prove the test API
# server behaves like a real one (the kubectl package where the machine has its repository,
# else Debian's kubernetes-client).
servers:
	@command -v prometheus >/dev/null && command -v tmux >/dev/null && command -v openssl >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    prometheus tmux openssl; }
	@command -v kubectl >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  { DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends kubectl || \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends kubernetes-client; }; }

test: $(VENV)/.test-deps servers
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check tui panels actions themes tests bench
	$(BIN)/ruff format --check tui panels actions themes tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(VENV)/.test-deps
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache snapshot_report.html
