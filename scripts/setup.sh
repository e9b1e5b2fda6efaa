#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test Chartkeep.
# Safe to run again: it only installs what is missing. Needs root or sudo for apt.
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# Build: a C compiler and OpenSSL's libcrypto for SQLCipher, D-Bus for the keychain client,
# WebKitGTK and GTK for the desktop app (Tauri 2), Node.js and npm for the web UI.
# Tests: gnome-keyring and dbus for the real Secret Service keychain test; Debian's Chromium
# for the browser tests; Xvfb and WebKitWebDriver to drive the real desktop window;
# poppler-utils to read printed PDFs; ImageMagick and xdotool for window screenshots.
packages=(build-essential pkg-config libssl-dev libdbus-1-dev dbus gnome-keyring libsecret-tools
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev file
  xvfb xauth webkit2gtk-driver chromium poppler-utils imagemagick xdotool fonts-dejavu-core)
# Python with venv, for the independent validators the tests install from PyPI (FHIR:
# fhir.resources; HL7 v2: python-hl7): keep one that can make a venv; else Debian's.
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then packages+=(python3 python3-venv); fi
# Node.js: keep one that is already installed (it may come with its own npm); else Debian's.
if ! command -v node >/dev/null 2>&1; then packages+=(nodejs npm); fi
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

# The UI's tools (Vite 8) need Node.js 20.19 or newer.
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)')
if [ "$node_ok" != 1 ]; then
  echo "Node.js $(node --version) is too old for the UI's build tools: install Node.js 20.19 or newer (e.g. from Debian 13 or NodeSource), then run this again." >&2
  exit 1
fi
