#!/usr/bin/env bash
# Create the virtual environment that benchmarks/run.py uses for bambi. bambi pins its own
# PyMC, PyTensor and formulae, which need not match the versions multilevel is developed
# against, so it gets an environment of its own.
# usage: bash benchmarks/setup_bambi.sh [PYTHON]   (default: python3)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-bambi"
python="${1:-python3}"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
# arviz 0.23 imports arviz-plots, which fails on matplotlib 3.11 (no matplotlib.style.core)
"$venv/bin/python" -m pip install --quiet "bambi==0.17.*" "matplotlib<3.11"
"$venv/bin/python" -c "import bambi, pymc; print('bambi', bambi.__version__, 'pymc', pymc.__version__)"
