#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs Python 3.11, graphviz and the kit with its pinned dependencies
# (pyproject.toml is the one place they are pinned). torch comes from PyTorch's CPU wheel
# index by default (grading needs no GPU, and the default build is several GB of CUDA).
# The zip's torch-index.txt, written by `make autograder`, can say otherwise: "default"
# (`make autograder GRADKIT_TORCH=cuda`: pip's default index, the CUDA build) or an index
# URL (`make autograder GRADKIT_TORCH_INDEX=...`, e.g. a mirror of the CPU index).
set -euo pipefail
SOURCE=/autograder/source
apt-get update -qq
apt-get install -y -qq graphviz >/dev/null
if ! command -v python3.11 >/dev/null 2>&1; then
  apt-get install -y -qq software-properties-common >/dev/null
  add-apt-repository -y ppa:deadsnakes/ppa >/dev/null
  apt-get update -qq
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null
fi
python3.11 -m venv /autograder/venv
PIP=(/autograder/venv/bin/python -m pip install --quiet --disable-pip-version-check)
TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu
torch_index="$TORCH_CPU_INDEX"
if [ -s "$SOURCE/torch-index.txt" ]; then
  torch_index="$(head -n 1 "$SOURCE/torch-index.txt" | tr -d '[:space:]')"
fi
if [ "$torch_index" != "default" ]; then
  torch_pin="$(grep -o '"torch==[^"]*"' "$SOURCE/pyproject.toml" | tr -d '"')"
  "${PIP[@]}" --index-url "$torch_index" "$torch_pin"
fi
"${PIP[@]}" "$SOURCE"
# The venv gets the engine only (pyproject.toml installs no checks/): the sandbox mounts the
# Python installation read-only, so nothing there may hold a reference or hidden check.
# run_autograder loads checks/ from $SOURCE, which the namespace sandbox never mounts; where
# namespaces are refused and student code runs under a uid of its own, the source must stay
# root's alone.
chmod -R go-rwx "$SOURCE"
chmod 700 "$SOURCE"
