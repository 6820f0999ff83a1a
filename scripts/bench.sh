#!/usr/bin/env bash
# Benchmarks of hubsync against hubspot-sim (separate processes, loopback HTTP), printing
# contacts/s, CPU seconds, peak RSS and requests per 1,000 contacts, with the load average.
# Usage: [BUILD_DIR=build] [CONTACTS=N] [DELETES="100 10000"] scripts/bench.sh
#        (latency: [LATENCY_CONTACTS=N] [LATENCIES="0 100 300 800"] [LIMITS="110 190"]
#         [ID_SPACING=K], the simulator's --id-spacing; [SEARCHES_PER_SECOND=N], default 4)
#          [backfill|floor|million|limits|incremental|objects|links|latency|deletes|reconcile|all]
# Throughput runs use bench/bench_sync (the sync engine and mirror of `hubsync sync`, with the
# client-side limiter off, which the config keys cannot do); the limits and incremental runs
# use `hubsync sync` itself; the latency runs use bench_sync with the limiter on auto, as
# `hubsync` runs by default. Results are recorded in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# BUILD_DIR=<dir> uses an existing build instead of configuring and building everything.
if [[ -n "${BUILD_DIR:-}" ]]; then
  bin=$(cd "$BUILD_DIR" && pwd)
else
  scripts/deps.sh
  dir=$(scripts/build.sh)
  bin="$PWD/$dir"
fi
what=${1:-backfill}
work=$(mktemp -d /tmp/hubsync-bench.XXXXXX)
sim_pid=""
cleanup() { [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# start_sim CONTACTS CUSTOM_PROPERTIES [extra flags...]
start_sim() {
  local n=$1 custom=$2; shift 2
  [[ -n "$sim_pid" ]] && { kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null || true; }
  "$bin/sim/hubspot-sim" --port 0 --contacts "$n" --custom-properties "$custom" --seed 3 \
    --token-ttl 86400 "$@" >"$work/sim.log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 600); do grep -q "listening on" "$work/sim.log" 2>/dev/null && break; sleep 0.1; done
  sim_url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/sim.log" | head -n1)
  curl -fsS -X POST -d '{}' "$sim_url/_sim/tokens" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' >"$work/token"
  chmod 600 "$work/token"
  rm -rf "$work/state" "$work/hubspot.db"*
  cat >"$work/hubsync.conf" <<CONF
[hubspot]
private_app_token_file = $work/token
api_base_url = $sim_url
[sync]
database = $work/hubspot.db
state_dir = $work/state
${sync_extra:-}
[log]
level = warning
CONF
}

# grep -c prints 0 and fails when nothing matches; `|| true` keeps set -e/pipefail quiet.
requests() { curl -fsS "$sim_url/_sim/requests" | grep -o '"method"' | wc -l || true; }
clear_requests() { curl -fsS -X DELETE "$sim_url/_sim/requests" >/dev/null; }
count_429() { curl -fsS "$sim_url/_sim/requests" | { grep -o '"status":429' || true; } | wc -l; }

# timed_sync LABEL CONTACTS [sync args...]: one `hubsync sync`, measured.
timed_sync() {
  local label=$1 n=$2; shift 2
  clear_requests
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin/daemon/hubsync" --config "$work/hubsync.conf" sync "$@" >/dev/null
  read -r wall user sys rss < <(tail -n1 "$work/time")
  local reqs; reqs=$(requests)
  local r429; r429=$(count_429)
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v ld="$load" -v l="$label" -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v r="$reqs" -v z="$r429" 'BEGIN {
    printf "%-34s %9d contacts %8.2f s %9.0f contacts/s  cpu %6.2f s  peak RSS %6.1f MB  %6.2f req/1000  %d x 429  (%d requests, load %s)\n",
      l, n, w, (w > 0 ? n / w : 0), u + s, m / 1024, (n > 0 ? r * 1000 / n : r), z, r, ld }'
}

# timed_engine LABEL CONTACTS [bench_sync args...]: one sync cycle by bench_sync, measured.
timed_engine() {
  local label=$1 n=$2; shift 2
  clear_requests
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin/bench/bench_sync" --url "$sim_url" \
    --token-file "$work/token" --db "$work/hubspot.db" "$@" 2>/dev/null | sed 's/^/  /'
  read -r wall user sys rss < <(tail -n1 "$work/time")
  local reqs; reqs=$(requests)
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v ld="$load" -v l="$label" -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v r="$reqs" 'BEGIN {
    printf "%-34s %9d contacts %8.2f s %9.0f contacts/s  cpu %6.2f s  peak RSS %6.1f MB  %6.2f req/1000  (%d requests, load %s)\n",
      l, n, w, (w > 0 ? n / w : 0), u + s, m / 1024, (n > 0 ? r * 1000 / n : r), r, ld }'
}

bench_backfill() {
  echo "# 1. backfill, 100,000 contacts x 50 properties, rate limits off (3 runs)"
  start_sim 100000 26 --no-rate-limits
  for run in 1 2 3; do
    rm -f "$work/hubspot.db"*
    timed_engine "backfill 100k x 50 (run $run)" 100000
  done
}

bench_floor() {
  echo "# 2. the local floor: the same pages replayed from memory, no HTTP (3 runs)"
  for run in 1 2 3; do
    echo "load $(cut -d' ' -f1 /proc/loadavg), run $run"
    "$bin/bench/bench_sync" --floor --contacts 100000 --custom-properties 26 \
      --db "$work/floor.db" 2>/dev/null | sed 's/^/  /'
  done
}

bench_million() {
  echo "# 3. backfill, 100,000 vs 1,000,000 contacts: peak RSS must stay flat"
  for n in 100000 1000000; do
    start_sim "$n" 26 --no-rate-limits
    timed_engine "backfill $n" "$n"
  done
}

bench_limits() {
  echo "# 4. HubSpot's limits on (110 per 10 s, 5 searches/s): fraction of the allowed rate"
  for budget in 100 110; do
    sync_extra="requests_per_10s = $budget" start_sim 50000 26
    timed_sync "backfill 50k, limits on, budget $budget" 50000
    # A rolling window of 110 per 10 s lets R requests finish no sooner than
    # floor((R - 1) / 110) * 10 s (110 at once, then 110 more every 10 s); the fraction is that
    # shortest time over the achieved one.
    local reqs; reqs=$(requests)
    awk -v n=50000 -v r="$reqs" '{ wall = $1 } END {
      best = int((r - 1) / 110) * 10;
      printf "  %d requests: the limits allow them in %d s (%.0f contacts/s); achieved %.2f s (%.0f contacts/s): %.3f\n",
        r, best, n / best, wall, n / wall, best / wall }' <(tail -n1 "$work/time")
  done
}

bench_incremental() {
  echo "# 5. incremental on a 1,000,000-contact mirror"
  start_sim 1000000 26 --no-rate-limits
  timed_engine "initial backfill 1M" 1000000
  "$bin/daemon/hubsync" --config "$work/hubsync.conf" sync >/dev/null  # first incremental
  for k in 0 100 10000; do
    if (( k > 0 )); then
      # Simulator ids are sparse: take k real ones, spread over the id range.
      ids=$(sqlite3 "$work/hubspot.db" "SELECT group_concat(id) FROM (SELECT id FROM contacts WHERE id % 7 = 0 ORDER BY id LIMIT $k)")
      curl -fsS -X POST -H 'Content-Type: application/json' \
        -d "{\"ids\":[${ids}],\"properties\":{\"city\":\"Bench$k\"}}" "$sim_url/_sim/touch" >/dev/null
    fi
    sleep 2  # the simulator's search indexing delay
    timed_sync "incremental, $k changes" "$k"
  done
  # The scheduled reconcile (id sweep) and `sync --full` (re-read everything) over the same
  # mirror, limiter off; the binary would be held to requests_per_10s.
  timed_engine "reconcile sweep over 1M" 1000000 --reconcile
  timed_engine "full re-read + reconcile over 1M" 1000000 --full
}

# Requests of the last run by bucket: search has its own 5/s limit, the rest share the 10 s one.
bucket_requests() {
  curl -fsS "$sim_url/_sim/requests" | grep -o '"path":"[^"]*"' | awk '
    /\/search"/ { search++; next } /\/crm\// { main++ } END {
      printf "%d main-bucket + %d search requests", main, search }'
}

bench_objects() {
  echo "# 6. every object type: 100,000 contacts, 20,000 companies, 50,000 deals, 10,000 tickets"
  local scopes="oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read tickets"
  local limits
  for limits in off on; do
    local flags=(--scopes "$scopes")
    [[ $limits == off ]] && flags+=(--no-rate-limits)
    sync_extra="objects = contacts, companies, deals, tickets" start_sim 100000 26 "${flags[@]}"
    timed_sync "backfill 4 types, limits $limits" 180000
    echo "  $(bucket_requests)"
    sqlite3 "$work/hubspot.db" "SELECT object_type, records_written, requests_made,
        printf('%.1f s', (julianday(finished_at) - julianday(started_at)) * 86400)
        FROM sync_runs ORDER BY id" | sed 's/^/  per type: /'
    "$bin/daemon/hubsync" --config "$work/hubsync.conf" sync >/dev/null  # first incremental
    timed_sync "idle cycle, 4 types, limits $limits" 0
    echo "  $(bucket_requests)"
  done
}

# links_sweep LABEL RECORDS: one `hubsync sync` whose association sweep is due, measured by the
# simulator's request log: association reads (exempt from HubSpot's 10-second bucket), the
# other requests (which draw on it) and 429s.
links_sweep() {
  local label=$1 n=$2
  sqlite3 "$work/hubspot.db" "DELETE FROM sync_state WHERE key = 'links.associations.swept_ms'"
  clear_requests
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" env HUBSYNC_SYNC_ASSOCIATIONS=true \
    "$bin/daemon/hubsync" --config "$work/hubsync.conf" sync >/dev/null
  read -r wall user sys rss < <(tail -n1 "$work/time")
  # One request a line, without a neighbour's (see neighbour_start).
  local log; log=$(curl -fsS "$sim_url/_sim/requests" | sed 's/},{"method"/}\n{"method"/g' |
    { grep -v 'neighbour=1' || true; })
  local reads; reads=$(grep -o '"path":"[^"]*/batch/read"' <<<"$log" | { grep -c '/associations/' || true; })
  local total; total=$(grep -o '"method"' <<<"$log" | wc -l || true)
  local searches; searches=$(grep -o '"path":"[^"]*/search"' <<<"$log" | wc -l || true)
  local r429; r429=$( { grep -o '"status":429' <<<"$log" || true; } | wc -l)
  local rows; rows=$(sqlite3 "$work/hubspot.db" "SELECT count(*) FROM associations")
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v ld="$load" -v l="$label" -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" \
      -v a="$reads" -v q="$searches" -v t="$total" -v z="$r429" -v rows="$rows" 'BEGIN {
    printf "%-30s %8.2f s  %d requests: %d association reads + %d searches + %d in the 10-s bucket, %d x 429  cpu %.2f s  peak RSS %.1f MB  %d rows  (load %s)\n",
      l, w, t, a, q, t - a - q, z, u + s, m / 1024, rows, ld;
    printf "%-30s per 10,000 records: %.1f requests, %.2f s\n", "", t * 10000 / n, w * 10000 / n }'
}

# neighbour_start PER_SECOND: another integration of the same account, sending PER_SECOND list
# requests a second into the 10-second bucket until neighbour_stop (marked neighbour=1, which
# the request counts leave out).
neighbour_start() {
  local pause; pause=$(awk -v r="$1" 'BEGIN { printf "%.3f", 1 / r }')
  ( while :; do
      curl -s -o /dev/null -H "Authorization: Bearer $(cat "$work/token")" \
        "$sim_url/crm/owners/2026-09?limit=1&neighbour=1" || true
      sleep "$pause"
    done ) &
  neighbour_pid=$!
}
neighbour_stop() { kill "$neighbour_pid" 2>/dev/null || true; wait "$neighbour_pid" 2>/dev/null || true; }

bench_links() {
  echo "# 6. associations of 100,000 contacts, 20,000 companies, 50,000 deals (6 directions)"
  sync_extra=$'objects = contacts, companies, deals\nassociations = false' \
    start_sim 100000 26 --companies 20000 --deals 50000 --tickets 0 --no-rate-limits \
    --scopes "oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read crm.objects.owners.read"
  timed_sync "backfill, links off" 170000
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"rate_limits":true}' \
    "$sim_url/_sim/settings" >/dev/null
  sleep 10  # an empty 10-second window for the measured runs
  links_sweep "first sweep, 0 ms" 170000
  sleep 10
  links_sweep "steady sweep, 0 ms" 170000
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"latency_ms":300}' \
    "$sim_url/_sim/settings" >/dev/null
  sleep 10
  links_sweep "steady sweep, 300 ms" 170000
  # Another integration of the account takes 8 of the 11 requests a second of the 10-second
  # bucket: association reads are exempt from it and should not slow down.
  neighbour_start 8
  sleep 10
  links_sweep "steady, 300 ms, neighbour 8/s" 170000
  neighbour_stop
}

# bucket_counts: requests to the search endpoint and to everything else (the 10-second
# bucket), from the simulator's log.
bucket_counts() {
  curl -fsS "$sim_url/_sim/requests" | awk '{
    n = gsub(/"path":"[^"]*\/search"/, "&"); s += n;
    m = gsub(/"method":/, "&"); t += m } END { printf "%d %d\n", t - s, s }'
}

# timed_latency LABEL RECORDS LIMIT [bench_sync args...]: one cycle by bench_sync with the limiter
# on auto (what the simulator's headers say) and 4 searches/s, as `hubsync` runs by default
# (SEARCHES_PER_SECOND=N for another search budget).
# Prints wall, records/s, the fraction of the list-only ceiling (LIMIT requests per 10 s x 100
# records), peak in-flight requests, 429s, requests per bucket and peak RSS.
timed_latency() {
  local label=$1 n=$2 limit=$3; shift 3
  clear_requests
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin/bench/bench_sync" --url "$sim_url" \
    --token-file "$work/token" --db "$work/hubspot.db" --requests-per-10s auto \
    --searches-per-second "${SEARCHES_PER_SECOND:-4}" "$@" 2>/dev/null >"$work/engine"
  read -r wall user sys rss < <(tail -n1 "$work/time")
  local written; written=$(sed -n 's/.* contacts=\([0-9]*\).*/\1/p' "$work/engine")
  local peak; peak=$(sed -n 's/.*in_flight_peak=\([0-9]*\).*/\1/p' "$work/engine")
  local lat; lat=$(sed -n 's/.*latency_ms=\([0-9]*\).*/\1/p' "$work/engine")
  local general search; read -r general search < <(bucket_counts)
  local r429; r429=$(count_429)
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v ld="$load" -v l="$label" -v n="$n" -v wr="$written" -v w="$wall" -v u="$user" -v s="$sys" \
      -v m="$rss" -v lim="$limit" -v pk="$peak" -v z="$r429" -v g="$general" -v q="$search" \
      -v lat="$lat" 'BEGIN {
    ceiling = lim * 10;
    printf "%-30s %7d records %8.2f s %6.0f records/s  %.2f of %d/s  in flight <= %2d  %d x 429  requests %d + %d search  cpu %5.2f s  peak RSS %5.1f MB  (measured latency %d ms, %d written, load %s)\n",
      l, n, w, (w > 0 ? n / w : 0), (w > 0 ? n / w / ceiling : 0), ceiling, pk, z, g, q, u + s, m / 1024, lat, wr, ld }'
}

bench_latency() {
  local n=${LATENCY_CONTACTS:-100000}
  echo "# 7. far from HubSpot: backfill of $n contacts x 50 properties, the simulator's limits on, ids spaced ${ID_SPACING:-3}"
  for limit in ${LIMITS:-110 190}; do
    for ms in ${LATENCIES:-0 100 300 800}; do
      start_sim "$n" 26 --rate-limit "$limit" --latency "$ms" --id-spacing "${ID_SPACING:-3}"
      timed_latency "backfill, $limit/10 s, $ms ms" "$n" "$limit"
    done
  done
  echo "# 8. incremental with 10,000 changes at 300 ms (110 per 10 s)"
  start_sim "$n" 26 --latency 0
  timed_latency "initial backfill, 0 ms" "$n" 110
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"latency_ms":300}' \
    "$sim_url/_sim/settings" >/dev/null
  local k=10000
  ids=$(sqlite3 "$work/hubspot.db" "SELECT group_concat(id) FROM (SELECT id FROM contacts WHERE id % 7 = 0 ORDER BY id LIMIT $k)")
  curl -fsS -X POST -H 'Content-Type: application/json' \
    -d "{\"ids\":[${ids}],\"properties\":{\"city\":\"Bench$k\"}}" "$sim_url/_sim/touch" >/dev/null
  sleep 2  # the simulator's search indexing delay
  timed_latency "incremental, $k changes, 300 ms" "$k" 110
}

# timed_cycle LABEL: one `hubsync sync` with the client-side limits on (the simulator's too),
# then `hubsync verify`: requests per bucket, wall time, and whether the mirror agrees.
timed_cycle() {
  local label=$1
  clear_requests
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin/daemon/hubsync" --config "$work/hubsync.conf" sync >/dev/null
  read -r wall user sys rss < <(tail -n1 "$work/time")
  read -r general search < <(bucket_counts)
  local verdict
  verdict=$("$bin/daemon/hubsync" --config "$work/hubsync.conf" verify 2>/dev/null | head -n1 || true)
  printf "%-34s %8.2f s  %6d general  %6d search  cpu %6.2f s  peak RSS %6.1f MB  [%s]  (load %s)\n" \
    "$label" "$wall" "$general" "$search" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc -l)" \
    "$verdict" "$(cut -d' ' -f1 /proc/loadavg)"
}

# archive_ids K: archives K active contacts spread over the id range, through the admin API.
archive_ids() {
  local k=$1
  sqlite3 "$work/hubspot.db" "SELECT id FROM active_contacts WHERE id % 13 = 5 ORDER BY id" |
    awk -v k="$k" -v n="$(sqlite3 "$work/hubspot.db" "SELECT count(*) FROM active_contacts WHERE id % 13 = 5")" \
      'BEGIN { step = n / k } { if (NR - 1 >= next_at && taken < k) { print; taken++; next_at += step } }' |
    xargs -P 8 -I{} curl -fsS -o /dev/null -X POST "$sim_url/_sim/objects/contacts/{}/archive"
}

bench_deletes() {
  local n=${CONTACTS:-1000000}
  echo "# 9. deletes on a $n-contact mirror: one cycle with the default config, limits on"
  start_sim "$n" 26 --no-rate-limits
  timed_engine "initial backfill" "$n"
  curl -fsS -X POST -d '{"rate_limits":true}' "$sim_url/_sim/settings" >/dev/null
  "$bin/daemon/hubsync" --config "$work/hubsync.conf" sync >/dev/null  # first incremental
  timed_cycle "0 changes"
  for k in ${DELETES:-100 10000}; do
    archive_ids "$k"
    timed_cycle "$k deletes"
  done
}

bench_reconcile() {
  local n=${CONTACTS:-1000000}
  echo "# 10. the reconcile sweep over $n contacts at 300 ms latency, limits on"
  start_sim "$n" 26 --no-rate-limits
  timed_engine "initial backfill" "$n"
  curl -fsS -X POST -d '{"rate_limits":true,"latency_ms":300}' "$sim_url/_sim/settings" >/dev/null
  clear_requests
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin/bench/bench_sync" --url "$sim_url" \
    --token-file "$work/token" --db "$work/hubspot.db" --requests-per-10s 100 \
    --searches-per-second 4 --reconcile 2>/dev/null | sed 's/^/  /'
  read -r wall user sys rss < <(tail -n1 "$work/time")
  read -r general search < <(bucket_counts)
  printf "%-34s %8.2f s  %6d general  %6d search  cpu %6.2f s  peak RSS %6.1f MB  (load %s)\n" \
    "reconcile sweep, 300 ms" "$wall" "$general" "$search" "$(echo "$user + $sys" | bc)" \
    "$(echo "$rss / 1024" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
}

case "$what" in
  backfill) bench_backfill ;;
  floor) bench_floor ;;
  million) bench_million ;;
  limits) bench_limits ;;
  incremental) bench_incremental ;;
  objects) bench_objects ;;
  links) bench_links ;;
  latency) bench_latency ;;
  deletes) bench_deletes ;;
  reconcile) bench_reconcile ;;
  all) bench_backfill; bench_floor; bench_million; bench_limits; bench_incremental; bench_objects; bench_links; bench_latency; bench_deletes; bench_reconcile ;;
  *) echo "usage: scripts/bench.sh [backfill|floor|million|limits|incremental|objects|links|latency|deletes|reconcile|all]"; exit 64 ;;
esac
