#!/usr/bin/env bash
# Measures the importer (release build): N worker rows from CSV and from xlsx
# into SQLite and into PostgreSQL, including validation, encryption and
# deduplication: rows/s and peak RSS of the import process. For comparison,
# the same files are also loaded raw (cells inserted as read, nothing
# validated or encrypted) in the same run, and each import is given as a
# ratio to the raw load of its file.
#
# Then, on SQLite, into a registry that already holds N other workers: the
# file (new workers), the same file again (nothing changed), the file with
# 10% of its rows changed, N employment records of those workers (the
# indicator cells kept), and a department-sized file of 20,000 rows checked
# (the preview, which stages them) and committed (the staged rows merged).
#
# Usage: scripts/bench-import.sh [rows]     (default 1,000,000)
#        SHIMINHUA_BIN=path/to/shiminhua scripts/bench-import.sh …  (an existing build)
#        ONLY=large scripts/bench-import.sh …  (only the second part)
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

# Runs one import of ROWS rows in a child process; prints rows/s, seconds and
# the child's peak RSS, and, when RAW (rows/s of the raw load of the same
# file) is set, the ratio to it. Sets $last_rate.
measure() {
  local label=$1 rows=$2; shift 2
  local out
  out=$(python3 - "$rows" "$label" "${RAW:-}" "$@" <<'PY'
import resource, subprocess, sys, time
n, label, raw, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
t = time.monotonic()
r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
secs = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
if r.returncode != 0:
    print(f"{label}: FAILED\n{r.stdout}"); sys.exit(1)
summary = r.stdout.strip().splitlines()[0] if r.stdout.strip() else ""
ratio = f"{n / secs / float(raw):5.2f} x raw" if raw else "          "
print(f"{n / secs:.0f}\t{label:<44} {n / secs:>9,.0f} rows/s {secs:>7.1f} s  {ratio}  peak RSS {rss:>5.0f} MB  | {summary}")
PY
)
  last_rate=${out%%$'\t'*}
  echo "${out#*$'\t'}"
}

# A fresh database for BACKEND in DIR with the user "office"; sets $url.
fresh() {
  local backend=$1 dir=$2
  if [ "$backend" = postgres ]; then
    psql "$pg" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
    url="${pg%/*}/$db"
  else
    url="sqlite://$dir/shiminhua.db"
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  SHIMINHUA_ADMIN_PASSWORD='Bench-Pass-2026x' "$bin" --data-dir "$dir" --database "$url" init >/dev/null
  "$bin" --data-dir "$dir" --database "$url" user add office --name 测量 --role office --region 341000 >/dev/null
}

if [ "${ONLY:-}" != large ]; then
for backend in sqlite postgres; do
  for ext in csv xlsx; do
    RAW=
    for mode in raw import; do
      dir="$work/$backend-$ext-$mode"
      fresh "$backend" "$dir"
      extra=()
      [ "$mode" = raw ] && extra=(--raw)
      measure "$backend $ext $mode, empty registry" "$n" "$bin" --data-dir "$dir" --database "$url" \
        import worker "$work/workers.$ext" --as office "${extra[@]}"
      [ "$mode" = raw ] && RAW=$last_rate
      rm -rf "$dir"
    done
  done
done
fi

# Into a registry that already holds N other workers (SQLite).
echo "== SQLite, a registry of $n other workers"
"$bin" --data-dir "$work/gen" demo-file "$work/others.csv" --workers "$n" --seed 8 >/dev/null
"$bin" --data-dir "$work/gen" demo-file "$work/changed.csv" --workers "$n" --seed 7 --changed 10 >/dev/null
"$bin" --data-dir "$work/gen" demo-file "$work/jobs.csv" --workers "$n" --seed 7 --kind employment >/dev/null
"$bin" --data-dir "$work/gen" demo-file "$work/dept.csv" --workers 20000 --seed 9 >/dev/null
dir="$work/large"
fresh sqlite "$dir"
large=(--data-dir "$dir" --database "$url")
RAW= measure "the registry: $n other workers" "$n" "$bin" "${large[@]}" import worker "$work/others.csv" --as office
RAW= measure "raw load of the file" "$n" "$bin" "${large[@]}" import worker "$work/workers.csv" --as office --raw
RAW=$last_rate
measure "the file, new workers" "$n" "$bin" "${large[@]}" import worker "$work/workers.csv" --as office
measure "the same file again, nothing changed" "$n" "$bin" "${large[@]}" import worker "$work/workers.csv" --as office
measure "the file with 10% of rows changed" "$n" "$bin" "${large[@]}" import worker "$work/changed.csv" --as office
RAW= measure "raw load of the employment file" "$n" "$bin" "${large[@]}" import employment "$work/jobs.csv" --as office --raw
RAW=$last_rate
measure "$n employment records, indicators kept" "$n" "$bin" "${large[@]}" import employment "$work/jobs.csv" --as office
RAW=
measure "20,000 rows: the preview (staged)" 20000 "$bin" "${large[@]}" import worker "$work/dept.csv" --as office --dry-run
batch=$(sqlite3 "$dir/shiminhua.db" "SELECT MAX(id) FROM import_batches WHERE status = 'checked'")
measure "20,000 rows: 导入 (the staged rows merged)" 20000 "$bin" "${large[@]}" import worker "$work/dept.csv" --as office --commit "$batch"
echo "database: $(du -sh "$dir" | cut -f1)"
