# gradkit: `make check` grades exercises/, `make test` proves the kit itself.
# Both set up .venv first (idempotent); pinned versions live in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup check test bench autograder student clean

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
	@test -d tests || { echo "the kit's own tests are not part of this bundle"; exit 2; }
	$(BIN)/python -m pytest -q -rs tests

bench: setup
	$(BIN)/python -m gradkit.bench

# Gradescope's autograder zip; TORCH_CPU_INDEX=<PyTorch's CPU wheel index> bakes it in.
autograder: setup
	$(BIN)/python -m gradkit.bundle autograder --out build/autograder.zip

# What students get: stubs, engine and public checks; no solutions, hidden checks or tests.
student: setup
	$(BIN)/python -m gradkit.bundle student --out build/student.zip

clean:
	rm -rf $(VENV) report build *.egg-info
