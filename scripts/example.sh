#!/usr/bin/env bash
# The example blog project, end to end on SQLite: make migration -> migrate -> status ->
# a model change -> make migration -> migrate -> status -> rollback -> status.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/schemashift ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
fi
exec .venv/bin/python examples/blog/walkthrough.py "$@"
