#!/usr/bin/env bash
# Walks every page a signed-in user reaches from the menu, for every demo
# role, on a release build at scale: each page's p50/p95 with one connection
# (a user alone) and its throughput with CONNS connections (wrk), then the
# server's resident memory after the walk.
#
# Usage: scripts/measure-walk.sh [workers] [conns] [sqlite|postgres]
#
# Pages: 工作台 (/), every item of the user's menu, and where the user has
# them the first drill-down of the board (目标进度), the first worker's
# profile (农民工名册) and the first case's page (案件办理).
#
# Environment:
#   KEEP=DIR   the data directory (default /var/tmp/shiminhua-bench/
#              {sqlite|pg}-{100k|1m|N}); generated there once
#              (`demo --workers N --seed 1 --records-per-worker 5`), then
#              measured as it is by any newer binary (which migrates it).
#   BIN=PATH   the binary to measure (default: build target/release/shiminhua).
#   SECS=N     seconds of load per page and connection count (default 5).
#   USERS="demo.office demo.lead"  only these demo accounts.
#   PORT=N     port of the server under test (default 18768).
#   SERVE_ENV="SHIMINHUA_DB_CACHE_MB=64"  extra environment of the server.
#   GEN_ONLY=1 generate (into KEEP) and stop, to measure later.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
walk_conns="${2:-8}"
backend="${3:-sqlite}"
secs="${SECS:-5}"
port="${PORT:-18768}"
case "$backend" in sqlite | postgres) ;; *)
  echo "backend must be sqlite or postgres" >&2
  exit 2
  ;;
esac
case "$n" in
  100000) label=100k ;;
  1000000) label=1m ;;
  *) label=$n ;;
esac
short=$backend
[ "$backend" = postgres ] && short=pg
export KEEP="${KEEP:-/var/tmp/shiminhua-bench/$short-$label}"
conns=1
source scripts/measure-lib.sh

echo "== $backend, $(basename "$bin") $(stat -c %y "$bin" | cut -d. -f1), data in $data"
generate --workers "$n" --seed 1 --records-per-worker 5
echo "database: $(db_size)"
[ "${GEN_ONLY:-}" = 1 ] && exit 0
# shellcheck disable=SC2086
start_server ${SERVE_ENV:-}
echo "server RSS after start: $(($(ps -o rss= -p "$pid") / 1024)) MB"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min), $(nproc) cores"

unescape() { sed 's/&amp;/\&/g;s/&#38;/\&/g;s/&#x26;/\&/g;s/&#61;/=/g;s/&#x3d;/=/g;s/&#x3D;/=/g'; }

# The pages of one user: the workbench, the menu, the first drill-down, profile and case.
pages_of() {
  local session=$1 home
  home=$(curl -s -m 60 -H "Cookie: shm_session=$session" "$base/")
  echo "/"
  echo "$home" | sed -n '/<nav class="side"/,/<\/nav>/p' | grep -o 'href="/[^"]*"' | sed 's/^href="//;s/"$//' | unescape
  local board workers cases
  if echo "$home" | grep -q 'href="/plan/board"'; then
    board=$(curl -s -m 60 -H "Cookie: shm_session=$session" "$base/plan/board")
    echo "$board" | grep -o 'href="/plan/board/figure?[^"]*"' | head -1 | sed 's/^href="//;s/"$//' | unescape
  fi
  if echo "$home" | grep -q 'href="/workers"'; then
    workers=$(curl -s -m 60 -H "Cookie: shm_session=$session" "$base/workers")
    echo "$workers" | grep -o 'href="/workers/[0-9][0-9]*"' | head -1 | sed 's/^href="//;s/"$//'
  fi
  if echo "$home" | grep -q 'href="/cases"'; then
    cases=$(curl -s -m 60 -H "Cookie: shm_session=$session" "$base/cases")
    echo "$cases" | grep -o 'href="/cases/[0-9][0-9]*"' | head -1 | sed 's/^href="//;s/"$//'
  fi
}

# run_wrk CONNS PATH SESSION: "p50 p95 req/s errors non2xx"
run_wrk() {
  local c=$1 path=$2 session=$3 out
  out=$(wrk -t1 -c"$c" -d"${secs}s" --timeout 30s -s "$data/percentiles.lua" \
    -H "Cookie: shm_session=$session" "$base$path" 2>&1)
  local line non2xx
  line=$(echo "$out" | grep p50 || true)
  non2xx=$(echo "$out" | grep -o 'Non-2xx or 3xx responses: [0-9]*' | grep -o '[0-9]*$' || true)
  echo "$line" | awk -v n="${non2xx:-0}" '{print $2, $5, $10, $15, n}'
}

users="${USERS:-demo.admin demo.lead demo.office demo.jyj demo.shexian demo.inspector demo.auditor}"
summary="$data/walk-$(date -u +%Y%m%dT%H%MZ).txt"
{
  printf '%-15s %-72s %8s %8s %9s %6s\n' user page p50ms p95ms "req/s@$walk_conns" errors
  for user in $users; do
    session=$(login "$user")
    [ -n "$session" ] || {
      echo "cannot sign $user in" >&2
      exit 1
    }
    while read -r path; do
      [ -n "$path" ] || continue
      code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H "Cookie: shm_session=$session" "$base$path")
      read -r p50 p95 _ e1 x1 <<<"$(run_wrk 1 "$path" "$session")"
      read -r _ _ rps e8 x8 <<<"$(run_wrk "$walk_conns" "$path" "$session")"
      errors=$((${e1:-0} + ${e8:-0} + ${x1:-0} + ${x8:-0}))
      [ "$code" = 200 ] || errors="$errors(HTTP $code)"
      printf '%-15s %-72s %8s %8s %9s %6s\n' "$user" "${path:0:72}" "$p50" "$p95" "$rps" "$errors"
    done < <(pages_of "$session" | awk '!seen[$0]++')
  done
} | tee "$summary"
echo "server RSS after the walk: $(($(ps -o rss= -p "$pid") / 1024)) MB"
echo "(written to $summary)"
