#!/usr/bin/env bash
# One command from a fresh clone to a full test run: set up, lint, build the docs, then pytest.
# Any arguments go to pytest: bash scripts/test.sh -k kernels
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "[test] ruff check"
.venv/bin/python -m ruff check .
echo "[test] mkdocs build --strict (the docs site, into site/)"
# A broken link, a missing reference target or a docstring that does not render fails here.
NO_MKDOCS_2_WARNING=1 .venv/bin/python -m mkdocs build --strict --quiet
echo "[test] pytest"
exec .venv/bin/python -m pytest "$@"
