#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs Python 3.11, graphviz and the kit with its pinned dependencies
# (pyproject.toml is the one place they are pinned). For the CPU build of torch,
# `make autograder TORCH_CPU_INDEX=...` bakes PyTorch's CPU wheel index into the zip
# (torch-index.txt); without it pip takes torch from its default index.
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
if [ -s "$SOURCE/torch-index.txt" ]; then
  torch_pin="$(grep -o '"torch==[^"]*"' "$SOURCE/pyproject.toml" | tr -d '"')"
  "${PIP[@]}" --index-url "$(cat "$SOURCE/torch-index.txt")" "$torch_pin"
fi
"${PIP[@]}" "$SOURCE"
# Student code runs under its own uid (see gradkit/untrusted/privileges.py): let it read Python.
chmod -R o+rX /autograder/venv "$SOURCE"
