#!/usr/bin/env bash
# The demo: installs what is needed, builds, starts the bundled HubSpot simulator with 20,000
# contacts (and 4,000 companies, 10,000 deals, 2,000 tickets, owners, pipelines and the links
# among them), authorizes through its consent page, backfills every type, changes records, syncs
# again incrementally and queries the mirror with the sqlite3 shell, a joined report among them.
# About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
dir=$(scripts/build.sh)
bin="$PWD/$dir"
work=$(mktemp -d /tmp/hubsync-demo.XXXXXX)
sim_pid=""
auth_pid=""
cleanup() {
  [[ -n "$auth_pid" ]] && kill "$auth_pid" 2>/dev/null || true
  [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Starting hubspot-sim: 20,000 contacts, 4,000 companies, 10,000 deals, 2,000 tickets (HubSpot's rate limits on)"
"$bin/sim/hubspot-sim" --port 0 --contacts 20000 --custom-properties 20 --seed 42 \
  --client-id demo-client --client-secret demo-secret-value \
  --scopes "oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read tickets crm.objects.owners.read" \
  >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/sim.log" 2>/dev/null && break
  sleep 0.1
done
sim_url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/sim.log" | head -n1)
[[ -n "$sim_url" ]] || { cat "$work/sim.log"; echo "the simulator did not start"; exit 1; }
echo "simulator at $sim_url"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18976)
printf 'demo-secret-value\n' >"$work/client_secret"
chmod 600 "$work/client_secret"
cat >"$work/hubsync.conf" <<CONF
[hubspot]
client_id = demo-client
client_secret_file = $work/client_secret
scopes = oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read tickets
redirect_uri = http://127.0.0.1:$port/callback
authorize_url = $sim_url/oauth/authorize
api_base_url = $sim_url

[sync]
database = $work/hubspot.db
state_dir = $work/state
objects = contacts, companies, deals, tickets
interval = 1m
lookback = 10m

[log]
level = warning
CONF
export HUBSYNC_CONFIG="$work/hubsync.conf"
echo "config: $HUBSYNC_CONFIG"

say "hubsync authorize: the consent URL, approved on the simulator's consent page"
"$bin/daemon/hubsync" authorize >"$work/authorize.log" 2>&1 &
auth_pid=$!
for _ in $(seq 100); do
  grep -q "/oauth/authorize?" "$work/authorize.log" 2>/dev/null && break
  sleep 0.1
done
url=$(grep -o "$sim_url/oauth/authorize?[^ ]*" "$work/authorize.log" | head -n1)
echo "consent URL: ${url:0:100}..."
approve=$(curl -fsS "$url" | sed -n 's/.*id="approve-link" href="\([^"]*\)".*/\1/p' | sed 's/&amp;/\&/g' | head -n1)
case "$approve" in http*) ;; *) approve="$sim_url$approve" ;; esac
curl -fsS -L -o /dev/null "$approve"   # the browser's click: consent, then the redirect home
wait "$auth_pid"
auth_pid=""
cat "$work/authorize.log"

say "hubsync sync: the first run backfills every contact, company, deal and ticket, then reads their links, owners and pipelines"
"$bin/daemon/hubsync" sync

say "Changing HubSpot: 25 contact updates, 5 deletes, a merge, a new contact; 10 deals won, 2 deleted"
ids=$(sqlite3 "$work/hubspot.db" "SELECT id FROM contacts ORDER BY id LIMIT 40")
set -- $ids
for i in $(seq 1 25); do
  id=${!i}
  curl -fsS -X PATCH -H 'Content-Type: application/json' \
    -d '{"properties":{"lifecyclestage":"customer","city":"Oslo"}}' "$sim_url/_sim/contacts/$id" >/dev/null
done
for i in $(seq 26 30); do curl -fsS -X POST "$sim_url/_sim/contacts/${!i}/archive" >/dev/null; done
curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"primaryObjectId\":\"${31}\",\"objectIdToMerge\":\"${32}\"}" "$sim_url/_sim/merge" >/dev/null
curl -fsS -X POST -H 'Content-Type: application/json' \
  -d '{"properties":{"email":"new.person@example.com","firstname":"New","lastname":"Person"}}' \
  "$sim_url/_sim/contacts" >/dev/null
deal_ids=$(sqlite3 "$work/hubspot.db" "SELECT id FROM deals ORDER BY id LIMIT 12")
set -- $deal_ids
for i in $(seq 1 10); do
  curl -fsS -X PATCH -H 'Content-Type: application/json' \
    -d '{"properties":{"dealstage":"closedwon"}}' "$sim_url/_sim/objects/deals/${!i}" >/dev/null
done
for i in 11 12; do curl -fsS -X POST "$sim_url/_sim/objects/deals/${!i}/archive" >/dev/null; done

say "hubsync sync: incremental (search window + batch read, archive sweep forced for the demo)"
HUBSYNC_SYNC_ARCHIVED_INTERVAL=1s "$bin/daemon/hubsync" sync

say "Reporting queries with the sqlite3 shell"
q() { echo "sqlite> $1"; sqlite3 -header -column "$work/hubspot.db" "$1"; echo; }
q "SELECT lifecyclestage, count(*) AS contacts FROM active_contacts GROUP BY 1 ORDER BY 2 DESC LIMIT 6"
q "SELECT count(*) AS archived FROM contacts WHERE archived = 1"
q "SELECT id, merged_into FROM contacts WHERE merged_into IS NOT NULL"
q "SELECT id, email, firstname, city FROM active_contacts WHERE city = 'Oslo' LIMIT 5"
q "SELECT dealstage, count(*) AS deals, round(sum(amount)) AS amount FROM active_deals GROUP BY 1 ORDER BY 2 DESC LIMIT 6"
q "SELECT 'contacts' AS type, count(*) AS active FROM active_contacts UNION ALL SELECT 'companies', count(*) FROM active_companies UNION ALL SELECT 'deals', count(*) FROM active_deals UNION ALL SELECT 'tickets', count(*) FROM active_tickets"
q "SELECT object_type, started_at, mode, records_written, requests_made FROM sync_runs ORDER BY id"
q "SELECT from_type, to_type, coalesce(label, '(unlabelled)') AS label, count(*) AS rows FROM associations GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
say "A joined report: deals by stage, with their company and owner names"
q "SELECT stage, company_name AS company, owner_name AS owner, count(*) AS deals, printf('%.0f', total(amount)) AS amount FROM deals_report WHERE company_name IS NOT NULL GROUP BY stage, company_name, owner_name ORDER BY total(amount) DESC LIMIT 12"

say "hubsync status"
"$bin/daemon/hubsync" status

say "On a real HubSpot account"
cat <<'TXT'
1. Create an app in your HubSpot developer account with the scope crm.objects.contacts.read
   (plus crm.objects.companies.read, crm.objects.deals.read and tickets for `objects = ...`;
   `hubsync check-config` names any that are missing; crm.objects.owners.read, optional, for
   owner names) and the redirect URL
   http://localhost:8976/callback.
2. Put its client id in /etc/hubsync/hubsync.conf and its secret in /etc/hubsync/client_secret
   (mode 0600); leave authorize_url and api_base_url at their defaults.
3. sudo -u hubsync hubsync authorize     (or --paste on a server without a browser)
4. sudo systemctl enable --now hubsync   then: hubsync status, journalctl -u hubsync
TXT
