# gradkit: `make check` grades exercises/, `make test` proves the kit itself.
# Both set up .venv first (idempotent); pinned versions live in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup check test bench clean

setup: $(BIN)/gradkit

$(BIN)/gradkit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.test-deps: $(BIN)/gradkit
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

check: setup
	$(BIN)/gradkit check --target exercises --html report

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q tests

bench: setup
	$(BIN)/python -m gradkit.bench

clean:
	rm -rf $(VENV) report build *.egg-info
