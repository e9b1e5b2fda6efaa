#!/usr/bin/env bash
# End-to-end tests of the UI in Debian's Chromium against a real `chartkeep serve` on a fresh
# demo practice (tests/browser/). Builds nothing but `npm ci` there: it takes the binary from
# CHARTKEEP_BIN (default target/release/chartkeep, which embeds ui/dist) and, when set, serves
# the UI from CHARTKEEP_UI_DIR instead. Never downloads a browser.
#   scripts/test-browser.sh [name-filter]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
# Chromium runs the tests; pdftotext (poppler-utils) reads the printed summary's text.
missing=()
for p in chromium poppler-utils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export CHARTKEEP_BIN="${CHARTKEEP_BIN:-target/release/chartkeep}"
if [ ! -x "$CHARTKEEP_BIN" ]; then
  echo "No chartkeep binary at $CHARTKEEP_BIN (build it, or set CHARTKEEP_BIN)" >&2
  exit 2
fi

echo "== browser tests (tests/browser)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
node tests/browser/run.mjs "$@"
