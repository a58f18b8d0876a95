#!/usr/bin/env bash
# Measures the wage-arrears case list (欠薪案件办理) at scale on a release
# build: p50/p95/p99 with wrk, for the city office (every county) and a
# county inspector, on the first page, filtered lists and a deep page.
#
# Usage: scripts/measure-cases.sh [cases] [seconds-of-load] [sqlite|postgres]
#
# Environment: KEEP, BIN, CONNS, PORT, GEN_ONLY as in scripts/measure-board.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
secs="${2:-10}"
backend="${3:-sqlite}"
conns="${CONNS:-1}"
port="${PORT:-18769}"
case "$backend" in sqlite | postgres) ;; *)
  echo "backend must be sqlite or postgres" >&2
  exit 2
  ;;
esac
source scripts/measure-lib.sh

echo "== $backend, $(basename "$bin") $(stat -c %y "$bin" | cut -d. -f1), data in $data"
generate --workers 200 --seed 1 --cases "$n"
echo "database: $(db_size)"
[ "${GEN_ONLY:-}" = 1 ] && exit 0

start_server
city=$(login demo.office)
county=$(login demo.inspector)

bench "case list, city, first page" "/cases" "$city"
bench "case list, city, overdue" "/cases?timing=overdue" "$city"
bench "case list, city, 工程建设 in 调查处理" "/cases?sector=construction&status=investigating" "$city"
bench "case list, city, page 200" "/cases?page=200" "$city"
bench "case list, search by employer" "/cases?q=%E5%BE%BD%E6%B8%AF" "$city"
bench "case list, 徽州区 inspector, first page" "/cases" "$county"
