#!/usr/bin/env bash
# Install the benchmark's peers (Brian2, NEST) into their own virtualenv, so that the numpy
# pin Brian2 2.9 needs (< 2.4) never touches the environment dopaspike runs in.
#   usage: benchmarks/install_peers.sh [VENV_DIR]      (default: benchmarks/.venv-peers)
#   PYTHON=python3.11 benchmarks/install_peers.sh      (interpreter to base the venv on)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/.venv-peers}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install -r "$here/requirements-peers.txt"
PYNEST_QUIET=1 "$venv/bin/python" - <<'PY'
import brian2, nest, numpy
print(f"peers ready: brian2 {brian2.__version__}, NEST {nest.__version__}, numpy {numpy.__version__}")
PY
echo "run: python benchmarks/run_benchmarks.py   (peers use $venv/bin/python)"
