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
source scripts/measure-lib.sh

echo "== $backend, $(basename "$bin") $(stat -c %y "$bin" | cut -d. -f1), data in $data"
generate --workers "$n" --seed 1 --records-per-worker "$rpw"
size=$(db_size)
if [ "$backend" = postgres ]; then
  records=$(psql "$SHIMINHUA_DATABASE_URL" -Atc "SELECT COUNT(*) FROM records")
else
  records=$(sqlite3 "$data/shiminhua.db" "SELECT COUNT(*) FROM records")
fi
echo "database: $size, $records records"
[ "${GEN_ONLY:-}" = 1 ] && exit 0

start_server
city=$(login demo.office)

# The board as of today (the current period) and as of the end of 2023.
bench "目标进度 board, current period" "/plan/board" "$city"
bench "目标进度 board, as of 2023-12-31" "/plan/board?as_of=2023-12-31" "$city"
# The drill-down behind the first computed figure of the city on the board
# (the people or records it counts, /plan/board/figure), then the records
# list of the city's subsidised trainings of 2023, each on its first page,
# page 50 and page 500.
first=$(curl -s -H "Cookie: shm_session=$city" "$base/plan/board" | grep -o 'href="/plan/board/figure?[^"]*region=341000[^"]*"' |
  head -1 | sed 's/^href="//;s/"$//;s/&amp;/\&/g;s/&#38;/\&/g')
fixed="/records?kind=training&region=341000&from=2023-01-01&to=2023-12-31&f_subsidised=%E6%98%AF"
for path in $first $fixed; do
  bench "drill-down, first page" "$path" "$city"
  bench "drill-down, page 50" "$path&page=50" "$city"
  bench "drill-down, page 500" "$path&page=500" "$city"
done
