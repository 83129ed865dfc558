# gradkit: `make check` grades exercises/, `make test` proves the kit itself.
# Both set up .venv first (idempotent); pinned versions live in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup check test lint bench autograder student clean mutate notebooks notebook

setup: $(BIN)/gradkit

# torch comes as its CPU build (about 200 MB; the default build brings about 1.4 GB of CUDA,
# and grading needs no GPU) from PyTorch's CPU wheel index, unless pip is set up with an
# index of its own (a mirror: then that is used as it is) or GRADKIT_TORCH=cuda.
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
GRADKIT_TORCH ?= cpu

$(BIN)/gradkit: pyproject.toml
	@echo "gradkit: setting up $(VENV) (first run only: torch and the pinned packages, a few minutes)"
	@echo "gradkit: 正在创建 $(VENV)（仅首次运行：安装 torch 和固定版本的依赖，需要几分钟）"
	$(PYTHON) -m venv $(VENV)
	@if [ "$(GRADKIT_TORCH)" = cpu ] && ! $(BIN)/python -m pip config list 2>/dev/null \
	    | grep -qE 'index-url|find-links'; then \
	  echo "gradkit: installing torch's CPU build"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    --index-url $(TORCH_CPU_INDEX) "$$(grep -o '"torch==[^"]*"' pyproject.toml | tr -d '"')"; \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@
	@echo "gradkit: $(VENV) is ready / 环境已就绪"

$(VENV)/.test-deps: $(BIN)/gradkit pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,batch,notebook,class]'
	@touch $@

check: setup
	$(BIN)/gradkit check --target exercises --html report

# One pytest worker per core (pytest-xdist); the workers share the one grading of every mutant
# (tests/conftest.py). `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= auto
test: $(VENV)/.test-deps $(VENV)/.lint-deps
	@test -d tests || { echo "the kit's own tests are not part of this bundle"; exit 2; }
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -rs -n $(PYTEST_WORKERS) --dist worksteal tests

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

$(VENV)/.notebook-deps: $(BIN)/gradkit pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[notebook]'
	@touch $@

# The topic notebooks (notebooks/en, notebooks/zh), written from the stubs in exercises/.
notebooks: $(VENV)/.notebook-deps
	$(BIN)/python -m gradkit.notebooks --out notebooks

# Work in the notebooks: JupyterLab on notebooks/ (VS Code: pick .venv's Python as kernel).
notebook: $(VENV)/.jupyter-deps
	$(BIN)/jupyter lab notebooks

$(VENV)/.jupyter-deps: $(VENV)/.notebook-deps
	@echo "gradkit: installing JupyterLab into $(VENV) (first time only) / 正在安装 JupyterLab（仅首次）"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[notebook,jupyter]'
	@touch $@

clean:
	rm -rf $(VENV) report build *.egg-info
