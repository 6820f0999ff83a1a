#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with Clang and runs each for SECONDS on a scratch copy
# of its corpus, then minimizes the committed corpus (fuzz/corpus/TARGET) together with what
# the run found. Prints one summary line per target; exits non-zero when any target crashed,
# hung or ran out of memory (the reproducers stay in the scratch directory it names).
# Usage: scripts/fuzz.sh [fuzz_api_decode|fuzz_config|fuzz_redirect|all] [SECONDS]
#        (default: all, 600 s each; targets run one after the other on one core)
# Environment: FUZZ_BUILD_DIR (default build-fuzz), JOBS (build parallelism, default nproc).
# Results are recorded in docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(fuzz_api_decode fuzz_config fuzz_redirect)
what=${1:-all}
seconds=${2:-600}
if [[ "$what" == "all" ]]; then
  targets=("${all_targets[@]}")
elif [[ " ${all_targets[*]} " == *" $what "* ]]; then
  targets=("$what")
else
  echo "usage: $0 [fuzz_api_decode|fuzz_config|fuzz_redirect|all] [SECONDS]" >&2
  exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi

# The build dependencies, then Clang with its fuzzer and sanitizer runtimes.
scripts/deps.sh
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "installing: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

build=${FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DHUBSYNC_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" -j"${JOBS:-$(nproc)}" "${targets[@]}" >&2

work=$(mktemp -d /tmp/hubsync-fuzz.XXXXXX)
echo "scratch directory (logs, crash reproducers): $work"

# files DIR: "N files, B bytes"
files() {
  local n bytes
  n=$(find "$1" -type f | wc -l)
  bytes=$(find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  echo "$n files, $bytes bytes"
}

# run_target TARGET: fuzzes, minimizes the corpus, prints the summary; fails on a finding.
run_target() {
  local t=$1
  local bin="$PWD/$build/fuzz/$t" corpus="fuzz/corpus/$t" dict="fuzz/dict/$t.dict"
  local scratch="$work/$t"
  mkdir -p "$corpus" "$scratch/corpus" "$scratch/artifacts" "$scratch/tmp" "$scratch/minimized"
  cp -R "$corpus/." "$scratch/corpus/"
  local before
  before=$(files "$corpus")
  local extra=()
  [[ -f "$dict" ]] && extra+=("-dict=$dict")
  # stdin from /dev/null and no controlling terminal: fuzz_config inputs may name /dev/stdin
  # or /dev/tty as a secret file, which must not block. TMPDIR keeps the targets' temporary
  # files in the scratch directory.
  local rc=0
  TMPDIR="$scratch/tmp" setsid --wait "$bin" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" \
    "${extra[@]}" "$scratch/corpus" </dev/null >"$scratch/fuzz.log" 2>&1 || rc=$?

  # Minimize: the committed corpus plus the new inputs, reduced to a set that covers the same
  # edges, replaces the committed corpus. -use_counters=0 keeps it to a few hundred small files
  # (hit-count variety is rediscovered within seconds of the next run).
  if ! TMPDIR="$scratch/tmp" setsid --wait "$bin" -merge=1 -use_counters=0 -timeout=10 \
    -rss_limit_mb=2048 "$scratch/minimized" "$corpus" "$scratch/corpus" \
    </dev/null >"$scratch/merge.log" 2>&1 ||
    [[ -z "$(ls -A "$scratch/minimized")" ]]; then
    echo "$t: merging the corpus failed, fuzz/corpus/$t left as it was; see $scratch/merge.log" >&2
    return 1
  fi
  find "$corpus" -type f -delete
  cp -R "$scratch/minimized/." "$corpus/"

  local execs eps status cov ft findings
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/fuzz.log" | tail -n1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/fuzz.log" | tail -n1)
  status=$(grep -E '^#[0-9]+' "$scratch/fuzz.log" | tail -n1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
  findings=$(find "$scratch/artifacts" -type f \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
  echo "$t: ${seconds} s, ${execs:-?} executions, ${eps:-?} exec/s, cov ${cov:-?} ft ${ft:-?}," \
    "corpus $before -> $(files "$corpus"), crashes $findings/${execs:-?} (exit $rc)"
  if ((rc != 0 || findings > 0)); then
    echo "$t: FAILED; log $scratch/fuzz.log, reproducers in $scratch/artifacts/" >&2
    return 1
  fi
}

failed=0
for t in "${targets[@]}"; do
  run_target "$t" || failed=1
done
# The logs stay; the scratch corpora go unless something needs a look.
if ((failed == 0)); then
  rm -rf "$work"/*/corpus "$work"/*/minimized "$work"/*/tmp
fi
exit "$failed"
