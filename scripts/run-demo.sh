#!/usr/bin/env bash
# Sets up what is missing, creates a demo practice (synthetic patients) and shows a chart.
# The desktop app arrives with the next milestone; until then this prints a chart summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release --quiet
data="${CHARTKEEP_DATA:-$PWD/target/demo-practice}"
export CHARTKEEP_PASSWORD="${CHARTKEEP_PASSWORD:-chartkeep-demo}"
export CHARTKEEP_PASSPHRASE="${CHARTKEEP_PASSPHRASE:-chartkeep-demo-passphrase}"
if [ ! -f "$data/chartkeep.header" ]; then
  # No keychain on a headless machine: the demo uses a passphrase and says so.
  target/release/chartkeep --data "$data" init --admin admin --no-keychain
fi
target/release/chartkeep --data "$data" demo --patients "${DEMO_PATIENTS:-200}" --seed 1 --show
echo
echo "Demo practice in $data (staff logins: drlee, nurse.kim, frontdesk, billing; password chartkeep-demo)."
echo "Try: CHARTKEEP_USER=drlee target/release/chartkeep --data $data call patient.search '{\"query\": \"gar\"}'"
