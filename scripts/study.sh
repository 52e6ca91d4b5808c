#!/usr/bin/env bash
# One command from a fresh clone to the whole Fashion-MNIST study (outputs/ by default).
# Any arguments go to the study: bash scripts/study.sh --epochs 5 --out my-run
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python examples/fashion_mnist.py "$@"
