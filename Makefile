# gradkit: `make check` grades exercises/, `make test` proves the kit itself.
# Both set up .venv first (idempotent); pinned versions live in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup check test lint bench autograder student clean mutate

setup: $(BIN)/gradkit

$(BIN)/gradkit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.test-deps: $(BIN)/gradkit pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,batch,class]'
	@touch $@

check: setup
	$(BIN)/gradkit check --target exercises --html report

test: $(VENV)/.test-deps $(VENV)/.lint-deps
	@test -d tests || { echo "the kit's own tests are not part of this bundle"; exit 2; }
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -rs tests

$(VENV)/.lint-deps: $(BIN)/gradkit
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[lint]'
	@touch $@

# ruff and mypy, pinned in pyproject.toml with their configuration (`make test` runs them first).
lint: $(VENV)/.lint-deps
	$(BIN)/ruff check .
	$(BIN)/mypy

$(VENV)/.mutate-deps: $(BIN)/gradkit pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[mutate]'
	@touch $@

# Mutation testing of the checks (cosmic-ray on a copy of solutions/): prints the kill rate;
# equivalent mutants are listed in docs/mutation.md. Long: run it in the background.
mutate: $(VENV)/.mutate-deps
	$(BIN)/python tests/mutation/mutate.py

bench: setup
	$(BIN)/python -m gradkit.bench

# Gradescope's autograder zip. Its setup.sh installs torch's CPU build; GRADKIT_TORCH=cuda
# bakes in the default (CUDA) build instead, GRADKIT_TORCH_INDEX=<URL> another index.
autograder: setup
	$(BIN)/python -m gradkit.bundle autograder --out build/autograder.zip

# What students get: stubs, engine and public checks; no solutions, hidden checks or tests.
student: setup
	$(BIN)/python -m gradkit.bundle student --out build/student.zip

clean:
	rm -rf $(VENV) report build *.egg-info
