#!/usr/bin/env bash
# Measures FHIR import (`chartkeep import`): the 62-patient Synthea set in ../shared/data
# (18,319 resources) and a 600-patient set made from it (ten copies, every id renamed per
# copy), each into a new practice, RUNS times: seconds, resources a second, peak memory.
# Run with nothing else building. BENCH_SETS="62" measures one set only; CHARTKEEP_BENCH_BIN
# measures another build of chartkeep (an earlier commit's, for a baseline in the same run).
#   scripts/bench-import.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
archive=../shared/data/synthea-r4-dev.tar.gz
[ -f "$archive" ] || { echo "skipping: $archive is absent" >&2; exit 0; }
if [ -z "${CHARTKEEP_BENCH_BIN:-}" ]; then cargo build --release --quiet -p chartkeep; fi
bin="${CHARTKEEP_BENCH_BIN:-target/release/chartkeep}"
work=target/bench-import
if [ ! -d "$work/62/synthea-r4" ]; then
  mkdir -p "$work/62" && tar xzf "$archive" -C "$work/62"
fi
if [ ! -d "$work/600" ]; then
  mkdir -p "$work/600"
  python3 - "$work/62/synthea-r4" "$work/600" <<'PY'
import json, os, re, sys, uuid
src, dst = sys.argv[1], sys.argv[2]
pat = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
files = sorted(os.listdir(src))
n = 0
for copy in range(10):
    ns = uuid.uuid5(uuid.NAMESPACE_OID, f"chartkeep bench copy {copy}")
    for f in files:
        if n == 600:
            break
        text = open(os.path.join(src, f), encoding="utf-8").read()
        text = pat.sub(lambda m: str(uuid.uuid5(ns, m.group(0))), text)
        open(os.path.join(dst, f"{copy}-{f}"), "w", encoding="utf-8").write(text)
        n += 1
PY
fi
export CHARTKEEP_PASSPHRASE=bench-import-passphrase
for set in ${BENCH_SETS:-62 600}; do
  files="$work/$set"
  resources=$(find "$files" -name '*.json' -exec cat {} + | grep -o '"fullUrl"' | wc -l)
  for i in $(seq "$runs"); do
    data=$(mktemp -d)
    rmdir "$data"
    CHARTKEEP_PASSWORD=bench-admin-password "$bin" --data "$data" init --admin admin --no-keychain >/dev/null
    "$bin" --data "$data" demo --patients 0 >/dev/null 2>&1
    /usr/bin/time -f "%e %M" -o "$data.time" env CHARTKEEP_USER=drlee CHARTKEEP_PASSWORD=chartkeep-demo \
      "$bin" --data "$data" import --on-match new "$files" >"$data.out" 2>/dev/null || true
    read -r secs kib <"$data.time"
    head -1 "$data.out"
    awk -v r="$resources" -v s="$secs" -v k="$kib" -v n="$set" \
      'BEGIN { printf "%d patients: %d resources in %.2f s = %.0f resources/s, peak RSS %.0f MiB\n", n, r, s, r / s, k / 1024 }'
    rm -rf "$data" "$data.time" "$data.out"
  done
done
