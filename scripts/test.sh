#!/usr/bin/env bash
# One command from a fresh clone to a full test run: set up, lint, then pytest.
# Any arguments go to pytest: bash scripts/test.sh -k kernels
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "[test] ruff check"
.venv/bin/python -m ruff check .
echo "[test] pytest"
exec .venv/bin/python -m pytest "$@"
