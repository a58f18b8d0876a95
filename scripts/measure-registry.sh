#!/usr/bin/env bash
# Measures the worker registry at scale (release build): generation rate,
# then p50/p95/p99 of the worker list, the searches, the plan's supervision
# board and a drill-down list under load (wrk).
# Usage: scripts/measure-registry.sh [workers] [seconds-of-load] [postgres]
# MEASURE_FROM_FILE=1 loads the workers through the importer instead of the
# demo generator (quicker; workers only).
# With "postgres" as third argument the data goes into a fresh PostgreSQL
# database on $SHIMINHUA_TEST_PG's server instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
secs="${2:-5}"
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
cargo build --release -p shiminhua >/dev/null 2>&1
bin="$PWD/target/release/shiminhua"
data=$(mktemp -d)
pg="${SHIMINHUA_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
pgdb="shm_measure_$$"
# (never "kill 0" when the server has not started: that signals the process group)
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$data"; [ "${3:-}" = postgres ] && psql "$pg" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1; true' EXIT
if [ "${3:-}" = postgres ]; then
  psql "$pg" -qc "CREATE DATABASE $pgdb" >/dev/null
  export SHIMINHUA_DATABASE_URL="${pg%/*}/$pgdb"
fi
cat >"$data/percentiles.lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("   p50 %.2f ms   p95 %.2f ms   p99 %.2f ms   %.0f req/s   errors %d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), errors))
end
LUA

start=$(date +%s)
if [ "${MEASURE_FROM_FILE:-}" = 1 ]; then
  # Faster set-up: the workers come from a generated file through the importer
  # (no families or records).
  "$bin" --data-dir "$data" demo-file "$data/workers.csv" --workers "$n" --seed 1 >/dev/null
  SHIMINHUA_ADMIN_PASSWORD='Measure-Pass-2026x' "$bin" --data-dir "$data" init >/dev/null
  "$bin" --data-dir "$data" user add measure --name 测量 --role office --region 341000 >/dev/null
  "$bin" --data-dir "$data" import worker "$data/workers.csv" --as measure 2>/dev/null
  echo "set-up by import: $(( $(date +%s) - start )) s for $n workers"
else
  "$bin" --data-dir "$data" demo --workers "$n" --seed 1
  echo "generation: $(( $(date +%s) - start )) s for $n workers with families"
fi

port=18766
SHIMINHUA_LOG=warn "$bin" --data-dir "$data" serve --demo --listen "127.0.0.1:$port" >"$data/serve.log" 2>/dev/null &
pid=$!
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.1; done
base="http://127.0.0.1:$port"

login() {
  local user=$1 pw jar="$data/jar-$1" csrf
  pw=$(grep "用户名 $user　" "$data/serve.log" | sed 's/.*密码 //')
  csrf=$(curl -s -c "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "username=$user" \
    --data-urlencode "password=$pw" "$base/login"
  grep shm_session "$jar" | awk '{print $7}'
}
city=$(login demo.office)
county=$(login demo.shexian)

# One full ID number, revealed as an officer would (audited), for the exact search.
csrf=$(curl -s -H "Cookie: shm_session=$city" "$base/workers/1" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
idn=$(curl -s -H "Cookie: shm_session=$city" --data-urlencode "csrf=$csrf" --data-urlencode "field=id_number" \
  --data-urlencode "reason=性能测试核对" "$base/workers/1/reveal" | grep -o '身份证号：[0-9X]*' | head -1 | sed 's/身份证号：//')

bench() {
  local label=$1 cookie=$2 path=$3
  echo "== $label"
  wrk -t2 -c8 -d"${secs}s" -s "$data/percentiles.lua" -H "Cookie: shm_session=$cookie" "$base$path" | grep -E "p50|Non-2xx"
}
bench "worker list, county user" "$county" "/workers"
bench "worker list, city user" "$city" "/workers"
bench "exact ID search, city user" "$city" "/workers?q=$idn"
bench "name search, one character (王), city user" "$city" "/workers?q=%E7%8E%8B"
bench "name search, a given name's character (红), city user" "$city" "/workers?q=%E7%BA%A2"
bench "name search, a pair in no name (小红), county user" "$county" "/workers?q=%E5%B0%8F%E7%BA%A2"
bench "region filter (歙县), city user" "$city" "/workers?region=341021"
bench "region filter (徽城镇), city user" "$city" "/workers?region=341021100"
# The plan's supervision board (every target × city and counties) and a
# drill-down list behind one of its figures.
bench "目标进度 board, city user" "$city" "/plan/board?as_of=2023-12-31"
bench "drill-down: subsidised trainings 2023, city user" "$city" \
  "/records?kind=training&region=341000&from=2023-01-01&to=2023-12-31&f_subsidised=%E6%98%AF"
