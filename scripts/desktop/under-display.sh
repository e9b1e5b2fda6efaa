#!/usr/bin/env bash
# Inside the Xvfb display: starts WebKitWebDriver on a free loopback port, runs the
# WebDriver tests against the desktop binary, and stops the driver it started.
set -euo pipefail
cd "$(dirname "$0")"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# Without this variable WebKitGTK refuses automation and the session never starts.
export TAURI_WEBVIEW_AUTOMATION=true
WebKitWebDriver --port="$port" --host=127.0.0.1 >"$CHARTKEEP_TEST_ARTIFACTS/webdriver.log" 2>&1 &
driver=$!
trap 'kill "$driver" 2>/dev/null || true; wait "$driver" 2>/dev/null || true' EXIT
export WEBDRIVER_URL="http://127.0.0.1:$port"
for _ in $(seq 100); do
  node -e "fetch(process.env.WEBDRIVER_URL + '/status').then(r => r.json()).then(j => process.exit(j.value.ready ? 0 : 1), () => process.exit(1))" && break
  sleep 0.1
done
tests=(shell.test.mjs)
# The UI's own flows need the real UI; the placeholder page only proves the shell.
[ "${CHARTKEEP_UI_PLACEHOLDER:-0}" = 1 ] || tests+=(first-run.test.mjs join.test.mjs)
node --test --test-concurrency=1 "${tests[@]}"
