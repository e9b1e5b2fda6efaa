#!/usr/bin/env bash
# Validates FHIR R4 JSON (.json resources or Bundles, .ndjson one resource a line, or folders
# of them) three ways: the npm `fhir` package, PyPI `fhir.resources`, and Chartkeep's own
# checks (tests/fhir/README.md says what each catches). Sets up what is missing first:
# tests/fhir/node_modules from the lockfile, and a Python venv in target/fhir-venv. npm's and
# pip's caches and the wheels live in the target folder, which CI keeps between runs, so
# after the first install this runs offline.
#
#   scripts/test-fhir.sh DIR_OR_FILE...
#
# Runs all three even when one fails; exits 1 if any found an error. FHIR_WARNINGS=0 hides
# the npm validator's warnings (they never fail the run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ "$#" -eq 0 ]; then
  echo "usage: scripts/test-fhir.sh DIR_OR_FILE..." >&2
  exit 2
fi
# Paths are taken as given, relative to where this was called from.
for p in "$@"; do
  if [ ! -e "$p" ]; then
    echo "scripts/test-fhir.sh: no such file or directory: $p" >&2
    exit 2
  fi
done

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
fhir_dir="$root/tests/fhir"
venv="$root/target/fhir-venv"
mkdir -p "$root/target"
export npm_config_cache="${npm_config_cache:-$root/target/npm-cache}"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$root/target/pip-cache}"

# npm: install from the lockfile when node_modules is missing or older than the lockfile.
stamp="$fhir_dir/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$fhir_dir/package-lock.json" -nt "$stamp" ]; then
  echo "== tests/fhir: npm ci" >&2
  (cd "$fhir_dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2)
fi

# Python: a venv with fhir.resources 6.4.0 (FHIR R4 4.0.1) on pydantic 1. The wheels are kept
# in target/fhir-wheels, so that making the venv again needs no network.
pip_specs=('fhir.resources==6.4.0' 'pydantic<2')
wheels="$root/target/fhir-wheels"
venv_stamp="$venv/.chartkeep-fhir-deps"
if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    # Debian splits venv and ensurepip into python3-venv.
    echo "== installing python3-venv" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  fi
  echo "== target/fhir-venv: python3 -m venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
if [ ! -f "$venv_stamp" ] || [ "$(cat "$venv_stamp")" != "${pip_specs[*]}" ]; then
  echo "== target/fhir-venv: pip install ${pip_specs[*]}" >&2
  pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)
  if ! "${pip[@]}" install --no-index --find-links "$wheels" "${pip_specs[@]}" >/dev/null 2>&1; then
    "${pip[@]}" download --dest "$wheels" "${pip_specs[@]}" >&2
    "${pip[@]}" install --no-index --find-links "$wheels" "${pip_specs[@]}" >&2
  fi
  printf '%s' "${pip_specs[*]}" >"$venv_stamp"
fi

warn_flag=()
if [ "${FHIR_WARNINGS:-1}" = 0 ]; then warn_flag=(--no-warnings); fi

status=0
echo "== fhir (npm)"
node "$fhir_dir/validate.mjs" "${warn_flag[@]}" "$@" || status=1
echo "== fhir.resources"
"$venv/bin/python" "$fhir_dir/validate.py" "$@" || status=1
echo "== own checks"
"$venv/bin/python" "$fhir_dir/checks.py" "$@" || status=1
exit "$status"
