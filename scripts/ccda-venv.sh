#!/usr/bin/env bash
# Creates target/ccda-venv with the PyPI package `lxml`, which tests/ccda/extract.py (the
# independent C-CDA reader that the C-CDA importer's tests compare against) reads XML with.
# pip's cache lives in the target folder, and an installed venv is reused without asking PyPI.
#
#   scripts/ccda-venv.sh
#
# The version is pinned so the comparison means the same thing on every machine; 6.1.3 is
# the latest release on PyPI as of this writing, and installs from a wheel on Python 3.11.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/ccda-venv"
mkdir -p "$root/target"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$root/target/pip-cache}"

if [ ! -x "$venv/bin/python3" ]; then
  python3 -m venv "$venv"
fi
# pip asks the index even with a warm cache, so an installed venv is left as it is.
if ! "$venv/bin/python3" -c "import lxml" 2>/dev/null; then
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "lxml==6.1.3"
fi
"$venv/bin/python3" -c "import lxml; print('lxml', lxml.__version__, 'in', '$venv')"
