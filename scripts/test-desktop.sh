#!/usr/bin/env bash
# Builds the desktop app and drives its real window: Xvfb for the display, WebKitWebDriver
# (Debian's webkit2gtk-driver) launching the built binary, and scripts/desktop/*.test.mjs
# talking plain W3C WebDriver from Node. A temporary HOME and data folder keep the machine's
# own files out of it; the screenshot lands in target/test-artifacts/desktop/.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"

# What building and driving the window needs from Debian (see shared PLATFORM notes):
# WebKitGTK and GTK headers, a virtual display, the WebDriver for WebKitGTK, xdotool and
# ImageMagick for the window checks and the screenshot. Installs only what is missing.
packages=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  libxdo-dev libssl-dev pkg-config build-essential file xvfb xauth webkit2gtk-driver xdotool
  imagemagick nodejs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

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
# The whole workspace with every target, as `cargo test --workspace --all-targets` builds it:
# the same feature set, so after the tests this only links the binary (building the one
# package alone unifies features differently and recompiles much of Tauri).
cargo build --quiet --workspace --all-targets
bin="$target/debug/chartkeep-desktop"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/data" "$target/test-artifacts/desktop"
export CHARTKEEP_DESKTOP_BIN="$bin"
export CHARTKEEP_BIN="$target/debug/chartkeep"
if [ -f ui/dist/placeholder.js ]; then placeholder=1; else placeholder=0; fi
export CHARTKEEP_UI_PLACEHOLDER=$placeholder
export CHARTKEEP_TEST_DATA="$tmp/data/practice"
export CHARTKEEP_TEST_ARTIFACTS="$target/test-artifacts/desktop"
echo "== desktop window under Xvfb + WebKitWebDriver"
# -noreset: by default Xvfb resets when its last client leaves, and an app started during
# the reset (the next test's window) fails to open the display.
HOME="$tmp/home" XDG_DATA_HOME="" XDG_CONFIG_HOME="" XDG_CACHE_HOME="" \
  xvfb-run -a -s "-screen 0 1280x800x24 -noreset" scripts/desktop/under-display.sh
echo "Screenshot: $CHARTKEEP_TEST_ARTIFACTS/desktop-window.png"
