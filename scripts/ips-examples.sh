#!/usr/bin/env bash
# Fetches the IPS 2.0 implementation guide's examples (npm package hl7.fhir.uv.ips@2.0.0,
# from the npm registry) into target/ips-pkg once, and prints the examples' folder.
# tests/fhir_import.rs reads it from CHARTKEEP_IPS_EXAMPLES.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/ips-pkg
if [ ! -d "$dir/package/example" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm_config_cache="$PWD/../npm-cache" npm pack --silent hl7.fhir.uv.ips@2.0.0 >/dev/null \
        && tar xzf hl7.fhir.uv.ips-2.0.0.tgz)
fi
echo "$PWD/$dir/package/example"
