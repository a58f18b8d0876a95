# Shared parts of the measuring scripts (sourced, not run): tools, the
# binary, the data directory, a server on demo accounts, and wrk with
# percentiles. The caller sets: backend (sqlite|postgres), port, secs, conns.

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

# The data directory: KEEP, or a temporary one removed on exit (with its
# PostgreSQL database).
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

# create_db: a new, empty PostgreSQL database for the data directory.
create_db() {
  if [ "$backend" = postgres ]; then
    psql "$pg" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null
    psql "$pg" -qc "CREATE DATABASE $pgdb" >/dev/null
    echo "$SHIMINHUA_DATABASE_URL" >"$data/database_url"
  fi
}

# generate ARGS...: runs "shiminhua demo ARGS" into the data directory once
# (a directory holding a finished generation is measured again as it is).
generate() {
  if [ -f "$data/generated.txt" ]; then
    echo "existing data, generated earlier:"
    sed 's/^/   /' "$data/generated.txt"
    return
  fi
  if [ -e "$data/shiminhua.db" ] || [ -e "$data/shiminhua.key" ] || [ -e "$data/database_url" ]; then
    echo "$data holds an unfinished generation: remove it first" >&2
    exit 1
  fi
  create_db
  local start took out
  start=$(date +%s)
  out=$("$bin" --data-dir "$data" demo "$@")
  took=$(($(date +%s) - start))
  {
    echo "$out"
    echo "generation: $took s (demo $*, $backend, $(date -u +%Y-%m-%dT%H:%MZ))"
  } | tee "$data/generated.txt"
}

# db_size: the database's size on disk.
db_size() {
  if [ "$backend" = postgres ]; then
    psql "$SHIMINHUA_DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null
    psql "$SHIMINHUA_DATABASE_URL" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))"
  else
    du -ch "$data"/shiminhua.db* | tail -1 | cut -f1
  fi
}

# start_server [ENV=VALUE...]: serves the data with the demo accounts.
start_server() {
  local started
  started=$(date +%s)
  env SHIMINHUA_LOG=warn "$@" "$bin" --data-dir "$data" serve --demo --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
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
}

# login USER: signs a demo account in; prints its session cookie's value.
login() {
  local user=$1 pw jar="$data/jar-$1" csrf
  pw=$(grep "用户名 $user　" "$data/serve.log" | sed 's/.*密码 //')
  csrf=$(curl -s -c "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "username=$user" \
    --data-urlencode "password=$pw" "$base/login"
  grep shm_session "$jar" | awk '{print $7}'
}

# bench LABEL PATH SESSION: wrk on GET PATH with the session cookie.
bench() {
  local label=$1 path=$2 session=$3 code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: shm_session=$session" "$base$path")
  echo "-- $label (HTTP $code, $(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: shm_session=$session" "$base$path") s cold)"
  echo "   $path"
  wrk -t1 -c"$conns" -d"${secs}s" --timeout 30s -s "$data/percentiles.lua" -H "Cookie: shm_session=$session" "$base$path" |
    grep -E "p50|Non-2xx"
}
