#!/usr/bin/env bash
# Measures the practice-wide FHIR export (`chartkeep export fhir --all`): resources a
# second and peak memory, on a demo practice of N patients (default 2000) kept in
# target/bench-export-N and reused. Run with nothing else building.
#   scripts/bench-export.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
runs="${2:-3}"
cargo build --release --quiet -p chartkeep
bin=target/release/chartkeep
data="target/bench-export-$n"
export CHARTKEEP_PASSPHRASE=bench-export-passphrase
if [ ! -f "$data/chartkeep.db" ]; then
  rm -rf "$data"
  CHARTKEEP_PASSWORD=bench-admin-password "$bin" --data "$data" init --admin admin --no-keychain >/dev/null
  "$bin" --data "$data" demo --patients "$n" --seed 1 >/dev/null
fi
for i in $(seq "$runs"); do
  out=$(mktemp -d)
  rmdir "$out"
  /usr/bin/time -f "%e %M" -o "$out.time" env CHARTKEEP_USER=admin CHARTKEEP_PASSWORD=bench-admin-password \
    "$bin" --data "$data" export fhir --all --out "$out" >"$out.json"
  read -r secs kib <"$out.time"
  resources=$(grep -o '"resources": [0-9]*' "$out.json" | head -1 | grep -o '[0-9]*$')
  awk -v r="$resources" -v s="$secs" -v k="$kib" -v n="$n" \
    'BEGIN { printf "%d patients: %d resources in %.2f s = %.0f resources/s, peak RSS %.0f MiB\n", n, r, s, r / s, k / 1024 }'
  rm -rf "$out" "$out.time" "$out.json"
done
