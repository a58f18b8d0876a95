#!/usr/bin/env bash
# Measures the importer (release build): N worker rows from CSV and from xlsx
# into SQLite and into PostgreSQL, including validation, encryption and
# deduplication: rows/s and peak RSS of the import process. For comparison,
# the same files are also loaded raw (cells inserted as read, nothing
# validated or encrypted) in the same run.
# Usage: scripts/bench-import.sh [rows]     (default 1,000,000)
#        SHIMINHUA_BIN=path/to/shiminhua scripts/bench-import.sh …  (an existing build)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
pg="${SHIMINHUA_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
if [ -n "${SHIMINHUA_BIN:-}" ]; then
  bin="$SHIMINHUA_BIN"
else
  cargo build --release -p shiminhua >/dev/null 2>&1
  bin="$PWD/target/release/shiminhua"
fi
work=$(mktemp -d)
db="shm_bench_import_$$"
trap 'rm -rf "$work"; psql "$pg" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

for ext in csv xlsx; do
  start=$(date +%s.%N)
  "$bin" --data-dir "$work/gen" demo-file "$work/workers.$ext" --workers "$n" --seed 7 >/dev/null
  printf 'file %-4s %d rows, %s MB, written in %.1f s\n' "$ext" "$n" \
    "$(( $(stat -c %s "$work/workers.$ext") / 1048576 ))" "$(awk "BEGIN{print $(date +%s.%N) - $start}")"
done

# Runs one import in a child process; prints rows/s and the child's peak RSS.
measure() {
  local label=$1; shift
  python3 - "$n" "$label" "$@" <<'PY'
import resource, subprocess, sys, time
n, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
t = time.monotonic()
r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
secs = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
if r.returncode != 0:
    print(f"{label}: FAILED\n{r.stdout}"); sys.exit(1)
summary = r.stdout.strip().splitlines()[0] if r.stdout.strip() else ""
print(f"{label:<34} {n / secs:>10,.0f} rows/s  {secs:>6.1f} s  peak RSS {rss:>6.0f} MB  | {summary}")
PY
}

for backend in sqlite postgres; do
  for ext in csv xlsx; do
    for mode in import raw; do
      dir="$work/$backend-$ext-$mode"
      if [ "$backend" = postgres ]; then
        psql "$pg" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
        psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
        url="${pg%/*}/$db"
      else
        url="sqlite://$dir/shiminhua.db"
      fi
      mkdir -p "$dir"
      SHIMINHUA_ADMIN_PASSWORD='Bench-Pass-2026x' "$bin" --data-dir "$dir" --database "$url" init >/dev/null
      "$bin" --data-dir "$dir" --database "$url" user add office --name 测量 --role office --region 341000 >/dev/null
      extra=()
      [ "$mode" = raw ] && extra=(--raw)
      measure "$backend $ext $mode" "$bin" --data-dir "$dir" --database "$url" import worker "$work/workers.$ext" \
        --as office "${extra[@]}"
      rm -rf "$dir"
    done
  done
done
