#!/usr/bin/env bash
# Installs what is needed, builds, and runs the whole test suite.
# Usage: scripts/test.sh [--sanitize]   (--sanitize: the ASan + UBSan build)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --with-browser
dir=$(scripts/build.sh "$@")
# CI also builds the product as a packager would (Release, -O3), where GCC warns differently.
if [[ "${CI:-}" == true && $# -eq 0 ]]; then scripts/build.sh --release >/dev/null; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$dir" --output-on-failure -j2 --timeout 600 -LE slow
