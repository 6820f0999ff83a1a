#!/usr/bin/env bash
# Configures and builds hubsync. Usage: scripts/build.sh [--sanitize|--release]; prints the build dir.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
case "${1:-}" in
  --sanitize) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DHUBSYNC_SANITIZE=ON) ;;
  --release) dir=build-release; flags=(-DCMAKE_BUILD_TYPE=Release -DHUBSYNC_BUILD_TESTS=OFF) ;;
esac
# Warnings are errors here, as in CI; a plain `cmake` build leaves them warnings.
flags+=(-DHUBSYNC_WERROR=ON)
if command -v ccache >/dev/null 2>&1; then flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
ninja -C "$dir" >&2
echo "$dir"
