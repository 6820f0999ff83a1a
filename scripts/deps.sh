#!/usr/bin/env bash
# Installs the Debian 12 packages hubsync needs to build, test and run its demo.
# Usage: scripts/deps.sh [--with-browser]   (root, or sudo available)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libpoco-dev libfmt-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev
  sqlite3 openssl procps curl time
  systemd dpkg-dev file clang-format
)
if [[ "${1:-}" == "--with-browser" ]]; then
  packages+=(chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} == 0 )); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
