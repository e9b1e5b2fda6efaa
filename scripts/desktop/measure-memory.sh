#!/usr/bin/env bash
# Resident memory of the desktop app after an hour-like scripted session (see
# measure-memory.mjs): a measurement for BENCHMARKS.md, not a test.
# Usage: scripts/desktop/measure-memory.sh PRACTICE_DIR [BINARY]
#   PRACTICE_DIR is copied first (the session writes to the access log; the original stays
#   as it was). CHARTKEEP_PASSPHRASE unlocks it; ROUNDS sets the number of chart opens.
set -euo pipefail
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24 -noreset" "$0" "$@"
fi
here="$(cd "$(dirname "$0")" && pwd)"
practice="$1"
bin="$(realpath "${2:-${CARGO_TARGET_DIR:-target}/release/chartkeep-desktop}")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "copying $practice (the session writes to its access log)"
cp -r "$practice" "$tmp/practice"
mkdir -p "$tmp/home"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export TAURI_WEBVIEW_AUTOMATION=true
HOME="$tmp/home" WebKitWebDriver --port="$port" --host=127.0.0.1 >"$tmp/webdriver.log" 2>&1 &
driver=$!
trap 'kill "$driver" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/status" >/dev/null && break
  sleep 0.1
done
HOME="$tmp/home" WEBDRIVER_URL="http://127.0.0.1:$port" CHARTKEEP_DESKTOP_BIN="$bin" \
  CHARTKEEP_MEASURE_DATA="$tmp/practice" node "$here/measure-memory.mjs"
