#!/usr/bin/env bash
# Installs what is needed, builds, and runs the chaos scenarios against the real hubsync:
# 100 SIGKILLs, the simulator's fault mix, a full disk, four readers through a 100k backfill.
# Prints one line per scenario (ran, survived, lost rows); exits non-zero when one fails.
# Usage: scripts/chaos.sh [--reduced] [--seed N] [--scenario NAME]... [--verbose]
# CI runs the reduced size as the ctest `chaos.reduced`. Results: docs/chaos.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${BUILD_DIR:-}" ]]; then
  dir=$BUILD_DIR
else
  scripts/deps.sh
  dir=$(scripts/build.sh)
fi
exec "$dir/tests/hubsync-chaos" --hubsync "$dir/daemon/hubsync" "$@"
