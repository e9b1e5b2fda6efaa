#!/usr/bin/env bash
# Sets up what is missing and runs every test: formatting, lints, unit and integration
# tests (including the kill -9 crash harness), and the keychain test against a real
# Secret Service (gnome-keyring inside a private D-Bus session).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --all-targets --quiet
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
echo "All tests passed."
