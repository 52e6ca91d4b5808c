#!/usr/bin/env bash
# Sets up tinycnn from a fresh clone: system packages where we can install them, then a virtual
# environment in .venv with tinycnn and its dependencies. Safe to run again; never waits for input.
#   scripts/setup.sh            what the study needs (graphviz for drawings, the offline dataset)
#   scripts/setup.sh --test     that, plus the test and docs tools and Chromium (for the report
#                               and docs tests)
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1
say() { printf '[setup] %s\n' "$*"; }

# ---- 1. system packages (Debian/Ubuntu): optional, each has a fallback ----------------------
# graphviz: the `dot` program that renders the network drawing (without it: only the .gv source).
# dataset-fashion-mnist: the real data files, for machines that cannot download them.
# chromium: the tests open report.html and the built docs in a real headless browser.
system_packages=(graphviz dataset-fashion-mnist)
[ "$with_tests" = 1 ] && system_packages+=(chromium)
installed() {  # "dpkg -s" also succeeds for a removed package whose config files remain
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=()
for package in "${system_packages[@]}"; do
  installed "$package" || missing+=("$package")
done
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "not a Debian system: install these yourself if you want them: ${missing[*]}"
  else
    sudo_cmd=()
    if [ "$(id -u)" != 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo_cmd=(sudo -n)
      else
        sudo_cmd=(none)
      fi
    fi
    if [ "${sudo_cmd[*]:-}" = none ]; then
      say "cannot install system packages without root; to get them run:"
      say "  sudo apt-get install -y ${missing[*]}"
    else
      say "installing system packages: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      timeout 900 "${sudo_cmd[@]}" apt-get update -qq </dev/null \
        || say "apt-get update failed; trying the install with the lists we have"
      for package in "${missing[@]}"; do
        # One at a time, so one unavailable package does not stop the others.
        if ! timeout 900 "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
            "$package" </dev/null >/dev/null; then
          say "could not install $package (not in this system's archive?)"
        fi
      done
    fi
  fi
fi
command -v dot >/dev/null 2>&1 \
  || say "note: no 'dot' program (package graphviz): the network drawing will be .gv source only"
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] \
  || say "note: no offline Fashion-MNIST (package dataset-fashion-mnist): it will be downloaded"

# ---- 2. the virtual environment --------------------------------------------------------------
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  say "tinycnn needs Python >= 3.11; $("$python" --version 2>&1) found (set PYTHON=...)"
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$python" -m venv .venv
fi
extras=""
[ "$with_tests" = 1 ] && extras="[test,docs]"
say "installing tinycnn${extras} into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --progress-bar off \
  --editable ".${extras}"
say "ready"
