#!/usr/bin/env bash
# Proves the FHIR harness works: the valid fixtures pass all three validators, and each
# validator fails the invalid Bundle by catching exactly the planted errors that README.md's
# table says it catches (so the table stays true), and .ndjson problems carry their line.
#
#   tests/fhir/selftest.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
fx=tests/fhir/fixtures
py=target/fhir-venv/bin/python
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

# 1. The valid fixtures pass; this also sets up node_modules and the venv.
if out=$(scripts/test-fhir.sh "$fx/valid-bundle.json" "$fx/valid-resources.ndjson" 2>&1); then
  ok "scripts/test-fhir.sh passes the valid fixtures"
else
  bad "scripts/test-fhir.sh fails the valid fixtures:"$'\n'"$out"
fi
for summary in 'fhir (npm): 11 resources, 0 errors' 'fhir.resources: 11 resources, 0 errors' \
  'own checks: 11 resources, 0 errors'; do
  if grep -qF "$summary" <<<"$out"; then ok "valid: $summary"; else bad "valid: no '$summary' in:"$'\n'"$out"; fi
done

# 2. The script fails the invalid Bundle.
if out=$(scripts/test-fhir.sh "$fx/invalid-bundle.json" 2>&1); then
  bad "scripts/test-fhir.sh passes invalid-bundle.json"
else
  ok "scripts/test-fhir.sh fails invalid-bundle.json"
fi

# 3. Each validator on its own fails it, with exactly these problems (README.md's table):
# the planted errors are an unknown element (Patient.favouriteColour), a bad gender code,
# an effectiveDateTime without a zone, a dangling reference (Immunization.patient), and an
# Observation without status.
expect() { # name, command..., then after "--": the expected "ResourceType path" pairs
  local name=$1 line got want
  shift
  local cmd=()
  while [ "$1" != -- ]; do cmd+=("$1"); shift; done
  shift
  if out=$("${cmd[@]}" "$fx/invalid-bundle.json" 2>&1); then
    bad "$name passes invalid-bundle.json"
    return
  fi
  got=$(grep -F "$fx/invalid-bundle.json " <<<"$out" | awk '{print $2, $3}' | sed 's,/[^ ]*,,; s,:$,,' | sort)
  want=$(printf '%s\n' "$@" | sort)
  if [ "$got" = "$want" ]; then
    ok "$name catches: $(tr '\n' ';' <<<"$want")"
  else
    bad "$name: expected"$'\n'"$want"$'\n'"got"$'\n'"$out"
  fi
}
expect "fhir (npm)" node tests/fhir/validate.mjs -- \
  "Patient Patient.favouriteColour" "Patient Patient.gender" "Observation Observation.status"
expect "fhir.resources" "$py" tests/fhir/validate.py -- \
  "Patient Patient.favouriteColour" "Observation Observation.status"
expect "own checks" "$py" tests/fhir/checks.py -- \
  "Patient Patient.gender" "Observation Observation.effectiveDateTime" \
  "Observation Observation.status" "Immunization Immunization.patient.reference"

# 4. In an .ndjson file a problem carries its line: drop Procedure.status on line 3.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed '3s/"status":"completed",//' "$fx/valid-resources.ndjson" >"$tmp/lines.ndjson"
for v in "node tests/fhir/validate.mjs" "$py tests/fhir/validate.py" "$py tests/fhir/checks.py"; do
  out=$($v "$tmp/lines.ndjson" 2>&1) && rc=0 || rc=$?
  if [ "$rc" = 1 ] && grep -q "^$tmp/lines.ndjson:3 Procedure/proc1 Procedure.status: " <<<"$out"; then
    ok "${v##*/}: .ndjson line 3"
  else
    bad "${v##* }: expected exit 1 and a line-3 Procedure.status problem, got $rc:"$'\n'"$out"
  fi
done

echo "selftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
