#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test Chartkeep.
# Safe to run again: it only installs what is missing. Needs root or sudo for apt.
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# Build: a C compiler and OpenSSL's libcrypto for SQLCipher, D-Bus for the keychain client.
# Tests: gnome-keyring and dbus for the real Secret Service keychain test.
packages=(build-essential pkg-config libssl-dev libdbus-1-dev dbus gnome-keyring libsecret-tools)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Rust: use the toolchain if present; otherwise Debian's rustup (Debian 13+/Ubuntu 24.04+).
if ! command -v cargo >/dev/null 2>&1; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "Installing the Rust toolchain (rustup)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rustup >/dev/null
  rustup default stable
fi
