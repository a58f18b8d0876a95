#!/usr/bin/env bash
# Measures the public report form (反映欠薪问题, POST /public/cases/new) and
# the lookup (进度查询, POST /public/cases/query) under load, on a release
# build with the demo data: requests/s, p50/p95/p99 and the responses that
# were not 2xx/3xx (wrk on loopback). Throttling and the challenge are off
# for the run (SHIMINHUA_PUBLIC_SUBMISSIONS_PER_HOUR=0,
# SHIMINHUA_PUBLIC_LOOKUPS_PER_MINUTE=0, SHIMINHUA_PUBLIC_CHALLENGE=false);
# the forms still carry the CSRF double-submit token, as a browser's do.
#
# Usage: scripts/measure-public.sh [seconds-of-load] [sqlite|postgres]
#
# Environment:
#   KEEP=DIR   keep the data in DIR (see scripts/measure-board.sh).
#   BIN=PATH   the binary to measure (default: build target/release/shiminhua).
#   CONNS=N    concurrent connections (default 16).
#   THREADS=N  wrk threads (default 2).
#   PORT=N     port of the server under test (default 18768).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
backend="${2:-sqlite}"
conns="${CONNS:-16}"
threads="${THREADS:-2}"
port="${PORT:-18768}"
case "$backend" in sqlite | postgres) ;; *)
  echo "backend must be sqlite or postgres" >&2
  exit 2
  ;;
esac
source scripts/measure-lib.sh
create_db

# Any 64 hex digits: the cookie and the form field must agree (double submit).
token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$data/report.lua" <<LUA
-- One report per request, each a little different (as real ones are).
local n = 0
local token = "$token"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "shm_csrf=" .. token
local function enc(s)
  return (s:gsub("[^%w%-_%.]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
request = function()
  n = n + 1
  local body = "csrf=" .. token
    .. "&region=341021100"
    .. "&employer_name=" .. enc("黄山某制造有限公司")
    .. "&sector=" .. ({ "manufacturing", "catering", "other" })[n % 3 + 1]
    .. "&workers=" .. (n % 30 + 1)
    .. "&amount_claimed=" .. (1000 + n)
    .. "&arrears_from=2026-05-01&arrears_to=2026-08-31"
    .. "&description=" .. enc("五月至八月工资未发放，第" .. n .. "次测试。")
    .. "&reporter_name=" .. enc("测试人")
    .. "&reporter_phone=1390559" .. string.format("%04d", n % 10000)
  return wrk.format(nil, "/public/cases/new", nil, body)
end
LUA
cat >"$data/lookup.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "shm_csrf=$token"
LUA
cat >"$data/summary.lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("   %.0f req/s   p50 %.1f ms   p95 %.1f ms   p99 %.1f ms   %d requests   non-2xx/3xx %d   socket errors %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.errors.status, errors))
end
LUA
cat "$data/summary.lua" >>"$data/report.lua"
cat "$data/summary.lua" >>"$data/lookup.lua"

echo "== $backend, $(basename "$bin") $(stat -c %y "$bin" | cut -d. -f1), $conns connections, $threads threads, ${secs}s"
start_server SHIMINHUA_PUBLIC_CASES=true SHIMINHUA_PUBLIC_CHALLENGE=false \
  SHIMINHUA_PUBLIC_SUBMISSIONS_PER_HOUR=0 SHIMINHUA_PUBLIC_LOOKUPS_PER_MINUTE=0
count() {
  if [ "$backend" = postgres ]; then
    psql "$SHIMINHUA_DATABASE_URL" -Atc "SELECT COUNT(*) FROM cases"
  else
    sqlite3 "$data/shiminhua.db" "SELECT COUNT(*) FROM cases"
  fi
}

# One report by hand: it must be registered (201) and give a number and code.
one=$(curl -s -w '\n%{http_code}' -H "Cookie: shm_csrf=$token" \
  --data-urlencode "csrf=$token" --data-urlencode "region=341021100" \
  --data-urlencode "employer_name=黄山某餐饮有限公司" --data-urlencode "sector=catering" \
  --data-urlencode "workers=2" --data-urlencode "amount_claimed=6000" \
  --data-urlencode "arrears_from=2026-07-01" --data-urlencode "arrears_to=2026-08-31" \
  --data-urlencode "description=工资未发放" --data-urlencode "anonymous=1" "$base/public/cases/new")
status=$(echo "$one" | tail -1)
number=$(echo "$one" | grep -o 'id="case-number">[^<]*' | sed 's/.*>//')
code=$(echo "$one" | grep -o 'id="query-code">[^<]*' | sed 's/.*>//')
if [ "$status" != 201 ] || [ -z "$number" ] || [ -z "$code" ]; then
  echo "the report was not registered (HTTP $status):" >&2
  echo "$one" | grep -E 'error|field-error' >&2 || true
  exit 1
fi
echo "cases before: $(count)"

echo "-- 反映欠薪问题: POST /public/cases/new (one new case per request)"
wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 30s -s "$data/report.lua" "$base/public/cases/new" |
  grep -E "req/s|Non-2xx"
echo "cases after: $(count)"

echo "-- 进度查询: POST /public/cases/query (number and code of one case)"
body="csrf=$token&number=$number&code=$code"
cat >>"$data/lookup.lua" <<LUA
wrk.body = "$body"
LUA
check=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: shm_csrf=$token" --data "$body" "$base/public/cases/query")
echo "   (HTTP $check for the lookup by hand)"
wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 30s -s "$data/lookup.lua" "$base/public/cases/query" |
  grep -E "req/s|Non-2xx"
