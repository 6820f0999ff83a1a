#!/usr/bin/env bash
# Soak: `hubsync run` against hubspot-sim with one-minute tokens (a refresh every 30 s) for
# MINUTES real minutes (30 by default), while contacts change every minute, sampling the
# service's resident memory (VmRSS) every minute. Prints the series and a summary (growth
# after the first sync, the target being flat within 1 MB) and records it in a TSV file.
# Usage: [BUILD_DIR=build] scripts/soak.sh [MINUTES] [--out FILE] [--contacts N]
# Results are recorded in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30
out=""
contacts=5000
while (($#)); do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --contacts) contacts=$2; shift 2 ;;
    [0-9]*) minutes=$1; shift ;;
    *) echo "usage: scripts/soak.sh [MINUTES] [--out FILE] [--contacts N]" >&2; exit 64 ;;
  esac
done
# BUILD_DIR=<dir> uses an existing build instead of configuring and building everything.
if [[ -n "${BUILD_DIR:-}" ]]; then
  bin=$(cd "$BUILD_DIR" && pwd)
else
  scripts/deps.sh
  dir=$(scripts/build.sh)
  bin="$PWD/$dir"
fi
work=$(mktemp -d /tmp/hubsync-soak.XXXXXX)
out=${out:-$work/soak.tsv}
sim_pid=""
run_pid=""
cleanup() {
  [[ -n "$run_pid" ]] && kill "$run_pid" 2>/dev/null
  [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null
  wait 2>/dev/null || true
}
trap cleanup EXIT

"$bin/sim/hubspot-sim" --port 0 --contacts "$contacts" --custom-properties 20 --seed 11 \
  --token-ttl 60 --auto-consent --client-id soak-client --client-secret soak-secret-value \
  >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sim.log" 2>/dev/null && break; sleep 0.1; done
sim_url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/sim.log" | head -n1)
[[ -n "$sim_url" ]] || { cat "$work/sim.log"; echo "the simulator did not start" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'soak-secret-value\n' >"$work/client_secret"
chmod 600 "$work/client_secret"
cat >"$work/hubsync.conf" <<CONF
[hubspot]
client_id = soak-client
client_secret_file = $work/client_secret
redirect_uri = http://127.0.0.1:$port/callback
authorize_url = $sim_url/oauth/authorize
api_base_url = $sim_url
[sync]
database = $work/hubspot.db
state_dir = $work/state
interval = 1m
reconcile_interval = 10m
archived_interval = 5m
[log]
level = info
CONF
export HUBSYNC_CONFIG="$work/hubsync.conf"

# Authorize through the simulator's consent page, which approves at once (--auto-consent).
"$bin/daemon/hubsync" authorize >"$work/authorize.log" 2>&1 &
auth_pid=$!
for _ in $(seq 100); do grep -q "/oauth/authorize?" "$work/authorize.log" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o "$sim_url/oauth/authorize?[^ ]*" "$work/authorize.log" | head -n1)
curl -fsS -L -o /dev/null "$url"
wait "$auth_pid" || { cat "$work/authorize.log"; exit 1; }

"$bin/daemon/hubsync" run >"$work/service.log" 2>&1 &
run_pid=$!
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$run_pid/status"; }
count() { { grep -c "$1" "$work/service.log" || true; } | head -n1; }

echo "soak: $minutes min, $contacts contacts, tokens live 60 s; $(nproc) cores, $(uname -r)"
printf 'minute\trss_kb\ttoken_refreshes\tsyncs\n' | tee "$out"
ids=$(curl -fsS "$sim_url/crm/v3/objects/contacts?limit=100" \
  -H "Authorization: Bearer $(curl -fsS -X POST -d '{}' "$sim_url/_sim/tokens" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')" |
  grep -o "\"id\":\"[0-9]*\"" | grep -o "[0-9]*" | head -n 20 | paste -sd, -)
start=$(date +%s)
for ((m = 0; m <= minutes; m++)); do
  # Sleep to the minute mark (not a fixed 60 s), so the samples stay one minute apart.
  while (($(date +%s) < start + m * 60)); do sleep 1; done
  kill -0 "$run_pid" 2>/dev/null || { tail -n 20 "$work/service.log"; echo "the service died" >&2; exit 1; }
  printf '%d\t%s\t%s\t%s\n' "$m" "$(rss_kb)" "$(count 'access token refreshed')" "$(count ' sync: ')" | tee -a "$out"
  # Twenty contacts change every minute, so each sync writes something.
  curl -fsS -X POST -H 'Content-Type: application/json' \
    -d "{\"ids\":[${ids}],\"properties\":{\"city\":\"Soak$m\"}}" "$sim_url/_sim/touch" >/dev/null
done

kill -TERM "$run_pid"
status=0
wait "$run_pid" || status=$?
run_pid=""
echo "service exit status after SIGTERM: $status"
grep -ci "error" "$work/service.log" | sed 's/^/error lines in the service log: /' || true
# Growth is measured from minute 2 on: the first backfill and reconcile allocate the caches.
awk -F'\t' 'NR > 1 { rss[$1] = $2; last = $1 } END {
  lo = hi = rss[2]; for (m = 2; m <= last; m++) { if (rss[m] < lo) lo = rss[m]; if (rss[m] > hi) hi = rss[m] }
  printf "RSS: minute 0 %.1f MB, minute 2 %.1f MB, minute %d %.1f MB; minutes 2..%d within %.2f MB (min %.1f, max %.1f)\n",
    rss[0] / 1024, rss[2] / 1024, last, rss[last] / 1024, last, (hi - lo) / 1024, lo / 1024, hi / 1024 }' "$out"
echo "series: $out"
[[ "$status" == 0 ]]
