#!/usr/bin/env bash
# Creates target/hl7-venv with the PyPI package `hl7` (python-hl7), the independent parser that
# tests/hl7v2.rs compares our HL7 v2 parser against (through tests/hl7v2/extract.py). pip's
# cache lives in the target folder, and an installed venv is reused without asking PyPI.
#
#   scripts/hl7-venv.sh
#
# The version is pinned so the comparison means the same thing on every machine; 0.4.5 is
# the latest release on PyPI as of this writing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/hl7-venv"
mkdir -p "$root/target"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$root/target/pip-cache}"

if [ ! -x "$venv/bin/python3" ]; then
  python3 -m venv "$venv"
fi
# pip asks the index even with a warm cache, so an installed venv is left as it is.
if ! "$venv/bin/python3" -c "import hl7" 2>/dev/null; then
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "hl7==0.4.5"
fi
"$venv/bin/python3" -c "import hl7; print('hl7', hl7.__version__ if hasattr(hl7, '__version__') else '', 'in', '$venv')"
