#!/usr/bin/env bash
# Measures the plan's supervision board (目标进度: every target × the city and
# its counties, current period) and the drill-down lists behind its figures
# at scale, on a release build: p50/p95/p99 with wrk.
#
# Usage: scripts/measure-board.sh [workers] [seconds-of-load] [sqlite|postgres]
#
# Environment:
#   KEEP=DIR   keep the data in DIR (for PostgreSQL also the database, named
#              after DIR). When DIR already holds a finished generation, it is
#              measured again without generating: the binary migrates the
#              database on start, so a newer binary measures the same data.
#   BIN=PATH   the binary to measure (default: build target/release/shiminhua).
#   RPW=N      records per worker of the generated population (default 5).
#   CONNS=N    concurrent connections of the load (default 1: the latency of
#              one request at a time; more measures throughput under load).
#   PORT=N     port of the server under test (default 18767).
#   GEN_ONLY=1 generate (into KEEP) and stop, to measure later.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
secs="${2:-10}"
backend="${3:-sqlite}"
rpw="${RPW:-5}"
conns="${CONNS:-1}"
port="${PORT:-18767}"
case "$backend" in sqlite | postgres) ;; *)
  echo "backend must be sqlite or postgres" >&2
  exit 2
  ;;
esac
tools="wrk curl"
[ "$backend" = sqlite ] && tools="$tools sqlite3"
for tool in $tools; do
  command -v "$tool" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null; }
done
if [ -n "${BIN:-}" ]; then
  bin="$BIN"
else
  cargo build --release -p shiminhua >/dev/null 2>&1
  bin="$PWD/target/release/shiminhua"
fi
pg="${SHIMINHUA_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"

if [ -n "${KEEP:-}" ]; then
  data="$KEEP"
  mkdir -p "$data"
  pgdb="shm_bench_$(basename "$data" | tr -c 'a-zA-Z0-9\n' _ | tr 'A-Z' 'a-z')"
else
  data=$(mktemp -d)
  pgdb="shm_bench_$$"
fi
cleanup() {
  # (never "kill 0": that would signal the whole process group)
  if [ -n "${pid:-}" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ -z "${KEEP:-}" ]; then
    rm -rf "$data"
    [ "$backend" = postgres ] && psql "$pg" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1
  fi
  true
}
trap cleanup EXIT
if [ "$backend" = postgres ]; then
  export SHIMINHUA_DATABASE_URL="${pg%/*}/$pgdb"
fi

cat >"$data/percentiles.lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("   p50 %.1f ms   p95 %.1f ms   p99 %.1f ms   %.1f req/s   %d requests   errors %d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests, errors))
end
LUA

echo "== $backend, $(basename "$bin") $(stat -c %y "$bin" | cut -d. -f1), data in $data"
if [ -f "$data/generated.txt" ]; then
  echo "existing data, generated earlier:"
  sed 's/^/   /' "$data/generated.txt"
else
  if [ -e "$data/shiminhua.db" ] || [ -e "$data/shiminhua.key" ] || [ -e "$data/database_url" ]; then
    echo "$data holds an unfinished generation: remove it first" >&2
    exit 1
  fi
  if [ "$backend" = postgres ]; then
    psql "$pg" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null
    psql "$pg" -qc "CREATE DATABASE $pgdb" >/dev/null
    echo "$SHIMINHUA_DATABASE_URL" >"$data/database_url"
  fi
  start=$(date +%s)
  out=$("$bin" --data-dir "$data" demo --workers "$n" --seed 1 --records-per-worker "$rpw")
  took=$(($(date +%s) - start))
  {
    echo "$out"
    echo "generation: $took s for $n workers ($backend, --records-per-worker $rpw, $(date -u +%Y-%m-%dT%H:%MZ))"
  } | tee "$data/generated.txt"
fi
if [ "$backend" = postgres ]; then
  psql "$SHIMINHUA_DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null
  size=$(psql "$SHIMINHUA_DATABASE_URL" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")
  records=$(psql "$SHIMINHUA_DATABASE_URL" -Atc "SELECT COUNT(*) FROM records")
else
  size=$(du -ch "$data"/shiminhua.db* | tail -1 | cut -f1)
  records=$(sqlite3 "$data/shiminhua.db" "SELECT COUNT(*) FROM records")
fi
echo "database: $size, $records records"
[ "${GEN_ONLY:-}" = 1 ] && exit 0

started=$(date +%s)
SHIMINHUA_LOG=warn "$bin" --data-dir "$data" serve --demo --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
pid=$!
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || {
    cat "$data/serve.log" >&2
    exit 1
  }
  sleep 0.2
done
echo "server ready after $(($(date +%s) - started)) s (including any migration)"
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

bench() {
  local label=$1 path=$2 code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: shm_session=$city" "$base$path")
  echo "-- $label (HTTP $code, $(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: shm_session=$city" "$base$path") s cold)"
  echo "   $path"
  wrk -t1 -c"$conns" -d"${secs}s" --timeout 30s -s "$data/percentiles.lua" -H "Cookie: shm_session=$city" "$base$path" |
    grep -E "p50|Non-2xx"
}

# The board as of today (the current period) and as of the end of 2023.
bench "目标进度 board, current period" "/plan/board"
bench "目标进度 board, as of 2023-12-31" "/plan/board?as_of=2023-12-31"
# The drill-down behind the first computed figure of the city on the board,
# then a fixed one (the city's subsidised trainings of 2023), each on its
# first page, page 50 and page 500 (the last within the counted 10,000).
first=$(curl -s -H "Cookie: shm_session=$city" "$base/plan/board" | grep -o 'href="/records?[^"]*region=341000[^"]*"' |
  head -1 | sed 's/^href="//;s/"$//;s/&amp;/\&/g;s/&#38;/\&/g')
fixed="/records?kind=training&region=341000&from=2023-01-01&to=2023-12-31&f_subsidised=%E6%98%AF"
for path in $first $fixed; do
  bench "drill-down, first page" "$path"
  bench "drill-down, page 50" "$path&page=50"
  bench "drill-down, page 500" "$path&page=500"
done
