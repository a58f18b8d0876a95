#!/usr/bin/env bash
# Measures what auditing reads of personal data costs: p50/p95/p99 of the
# worker list, an exact ID-number search and a worker's page under wrk (the
# search and the page each queue one audited read per request).
# Usage: [BIN=path/to/shiminhua] scripts/measure-read-audit.sh [workers] [seconds] [connections]
# Run it once with this version and once with a binary built before read
# auditing (BIN=...) for the "off" figures; each run generates its own data.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
secs="${2:-10}"
conns="${3:-8}"
backend=sqlite
port=18767
# shellcheck source=scripts/measure-lib.sh
. scripts/measure-lib.sh

generate --workers "$n" --seed 1 --records-per-worker 0 --cases 0
start_server
city=$(login demo.office)
county=$(login demo.shexian)

# One full ID number, revealed as an officer would (audited), for the exact search.
csrf=$(curl -s -H "Cookie: shm_session=$city" "$base/workers/1" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
idn=$(curl -s -H "Cookie: shm_session=$city" --data-urlencode "csrf=$csrf" --data-urlencode "field=id_number" \
  --data-urlencode "reason=性能测试核对" "$base/workers/1/reveal" | grep -o '身份证号：[0-9X]*' | head -1 | sed 's/身份证号：//')

bench "worker list, county user" "/workers" "$county"
bench "worker list, city user" "/workers" "$city"
bench "exact ID search, city user" "/workers?q=$idn" "$city"
bench "worker page, city user" "/workers/1" "$city"

# The list beside a second load on the other core: a page that queues one
# audited read per request (a worker's page), then a page that queues none (a
# name search), each driven as hard as it goes. The list's own figures under
# the two loads show what the audit writer's work costs the pages beside it.
beside() {
  local label=$1 other=$2
  wrk -t1 -c"$conns" -d"$((secs + 2))s" --timeout 30s -H "Cookie: shm_session=$city" "$base$other" >"$data/other.txt" 2>&1 &
  local load=$!
  sleep 1
  echo "-- worker list, county user, beside $label"
  wrk -t1 -c"$conns" -d"${secs}s" --timeout 30s -s "$data/percentiles.lua" -H "Cookie: shm_session=$county" "$base/workers" |
    grep -E "p50|Non-2xx"
  wait "$load"
  echo "   ($label: $(grep 'Requests/sec' "$data/other.txt"))"
}
beside "worker pages (1 audited read each)" "/workers/2"
beside "name searches (nothing audited)" "/workers?q=%E7%8E%8B"

# Stop gracefully (the queued reads are written out), then count them.
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
pid=
echo "audit rows: $(sqlite3 "$data/shiminhua.db" "SELECT COUNT(*) FROM audit_log")," \
  "of them reads: $(sqlite3 "$data/shiminhua.db" "SELECT COUNT(*) FROM audit_log WHERE action IN ('worker.view', 'worker.search')" 2>/dev/null || echo 0)"
