#!/usr/bin/env bash
# Builds the desktop app and drives its real window: Xvfb for the display, WebKitWebDriver
# (Debian's webkit2gtk-driver) launching the built binary, and scripts/desktop/*.test.mjs
# talking plain W3C WebDriver from Node. A temporary HOME and data folder keep the machine's
# own files out of it; the screenshot lands in target/test-artifacts/desktop/.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"

# The desktop binary embeds ui/dist at build time. Before the web UI exists, a placeholder
# page (no inline script: the CSP forbids it) stands in so the shell can be tested alone.
if [ ! -f ui/dist/index.html ]; then
  if [ -f ui/package.json ]; then
    (cd ui && npm ci --no-audit --no-fund && npm run build)
  else
    mkdir -p ui/dist
    cat > ui/dist/index.html <<'HTML'
<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Chartkeep</title></head>
  <body>
    <main><h1>Chartkeep</h1><p id="status">Starting…</p></main>
    <script type="module" src="placeholder.js"></script>
  </body>
</html>
HTML
    cat > ui/dist/placeholder.js <<'JS'
const status = document.getElementById('status');
window.__TAURI_INTERNALS__
  .invoke('app_status', { args: {} })
  .then((s) => { status.textContent = `Practice folder ${s.folder}: ${s.state}`; })
  .catch((e) => { status.textContent = `Error: ${e.message ?? e}`; });
JS
  fi
fi

echo "== build chartkeep-desktop"
cargo build --quiet -p chartkeep-desktop
bin="$target/debug/chartkeep-desktop"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/data" "$target/test-artifacts/desktop"
export CHARTKEEP_DESKTOP_BIN="$bin"
if [ -f ui/dist/placeholder.js ]; then placeholder=1; else placeholder=0; fi
export CHARTKEEP_UI_PLACEHOLDER=$placeholder
export CHARTKEEP_TEST_DATA="$tmp/data/practice"
export CHARTKEEP_TEST_ARTIFACTS="$target/test-artifacts/desktop"
echo "== desktop window under Xvfb + WebKitWebDriver"
HOME="$tmp/home" XDG_DATA_HOME="" XDG_CONFIG_HOME="" XDG_CACHE_HOME="" \
  xvfb-run -a -s "-screen 0 1280x800x24" scripts/desktop/under-display.sh
echo "Screenshot: $CHARTKEEP_TEST_ARTIFACTS/desktop-window.png"
