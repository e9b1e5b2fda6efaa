#!/usr/bin/env bash
# Sets up what is missing and runs every test: the web UI's type checks, lints and unit
# tests; Rust formatting, lints, unit and integration tests (including the kill -9 crash
# harness); FHIR exports against two independent validators; the keychain test against a
# real Secret Service (gnome-keyring inside a private D-Bus session); end-to-end tests in
# Debian's Chromium against `chartkeep serve`; and the real desktop window driven through
# WebKitWebDriver under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
# npm's download cache lives in the target folder, which CI keeps between runs.
export npm_config_cache="$PWD/target/npm-cache"

echo "== UI: install from the lockfile, svelte-check, ESLint + Prettier, Vitest, build"
(
  cd ui
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error
  npm run --silent check
  npm run --silent lint
  npm run --silent test
  npm run --silent build
)
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
# python-hl7, the independent parser tests/hl7v2.rs compares ours against; required here.
scripts/hl7-venv.sh
export CHARTKEEP_REQUIRE_HL7_PY=1
# lxml, the independent reader tests/ccda_import.rs compares the C-CDA import against.
scripts/ccda-venv.sh
export CHARTKEEP_REQUIRE_CCDA=1
# CDC's CDSi test cases (../shared/data/cds/immunization), which tests/cdsi_cases.rs runs; required here.
export CHARTKEEP_REQUIRE_CDSI=1
# The IPS 2.0 guide's examples (npm), which tests/fhir_import.rs imports; required here.
CHARTKEEP_IPS_EXAMPLES="$(scripts/ips-examples.sh)"
export CHARTKEEP_IPS_EXAMPLES CHARTKEEP_REQUIRE_IPS=1
# tests/fhir_export.rs also writes the Bundles it exports here, for the FHIR validators.
rm -rf target/fhir-export
CHARTKEEP_FHIR_OUT="$PWD/target/fhir-export" cargo test --workspace --all-targets --quiet
echo "== FHIR exports against two independent validators (npm fhir, PyPI fhir.resources) and our own checks"
tests/fhir/selftest.sh
scripts/test-fhir.sh target/fhir-export
echo "== doc tests"
cargo test --doc --quiet

echo "== keychain test against gnome-keyring"
keyhome=$(mktemp -d)
# gnome-keyring keeps its files under HOME: give it a throwaway one, but keep the toolchain.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
HOME="$keyhome" CHARTKEEP_TEST_KEYCHAIN=1 dbus-run-session -- sh -c '
  eval "$(printf chartkeep-test | gnome-keyring-daemon --unlock --components=secrets)"
  cargo test --quiet --lib keychain
  cargo test --quiet --test cli keychain
'
rm -rf "$keyhome"

echo "== browser tests (Chromium against chartkeep serve)"
# The debug build that cargo test made embeds the UI built above.
CHARTKEEP_BIN=target/debug/chartkeep scripts/test-browser.sh
echo "== desktop window test (Xvfb + WebKitWebDriver)"
scripts/test-desktop.sh
echo "All tests passed."
