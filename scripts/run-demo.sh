#!/usr/bin/env bash
# Sets up what is missing, builds the web UI and the desktop app, creates a demo practice of
# synthetic patients on first run, and opens it in the desktop window. On a machine with no
# display it says so and starts `chartkeep serve` instead, printing the URL to open.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
export npm_config_cache="$PWD/target/npm-cache"
# The UI is rebuilt only when its sources changed: a fresh ui/dist makes cargo re-embed it.
if [ ! -f ui/dist/index.html ] || [ ! -d ui/node_modules ] ||
  [ -n "$(find ui/src ui/isolation ui/index.html ui/package-lock.json ui/vite.config.ts -newer ui/dist/index.html -print -quit)" ]; then
  echo "== building the web UI"
  (cd ui && npm ci --no-audit --no-fund --prefer-offline --loglevel=error && npm run build --silent)
fi
echo "== building chartkeep and the desktop app (the first build takes a few minutes)"
cargo build --release --quiet -p chartkeep -p chartkeep-desktop

data="${CHARTKEEP_DATA:-$PWD/target/demo-practice}"
passphrase="${CHARTKEEP_PASSPHRASE:-chartkeep-demo-passphrase}"
if [ ! -f "$data/chartkeep.header" ]; then
  # The demo keeps its key under a passphrase (no keychain needed) and says so.
  CHARTKEEP_PASSWORD=chartkeep-demo CHARTKEEP_PASSPHRASE="$passphrase" \
    target/release/chartkeep --data "$data" init --admin admin --no-keychain >/dev/null
  CHARTKEEP_PASSPHRASE="$passphrase" \
    target/release/chartkeep --data "$data" demo --patients "${DEMO_PATIENTS:-200}" --seed 1
fi
cat <<MSG

Demo practice in $data
  key mode:   passphrase (no OS keychain); the passphrase is: $passphrase
  staff:      drlee (clinician), nurse.kim (nurse), frontdesk, billing, admin (administrator)
  password:   chartkeep-demo (every account)
MSG
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  echo "Opening the desktop app..."
  exec target/release/chartkeep-desktop --data "$data"
fi
echo
echo "No display here (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop window cannot open."
echo "Starting chartkeep serve instead: open the URL on the next line in a browser on this computer."
CHARTKEEP_PASSPHRASE="$passphrase" exec target/release/chartkeep --data "$data" serve
