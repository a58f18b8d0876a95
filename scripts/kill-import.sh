#!/usr/bin/env bash
# Kills `shiminhua import worker` with SIGKILL at random moments of a large
# import (SQLite, release build) and checks what the importer promises:
#   - after the kill, either the import had finished (the registry holds
#     exactly the workers its batch record counts, nothing is left staged) or
#     nothing is merged: the registry holds no worker, and the staged rows
#     and the rejected ones make up the rows the batch record counts, in
#     whole batches unless staging had finished (never a half merge);
#   - `shiminhua audit verify` passes;
#   - rerunning the same command resumes and ends with exactly the file's rows.
# Prints one line per kill and exits non-zero if any check fails.
# Usage: scripts/kill-import.sh [kills] [rows]        (default 20 kills, 200,000 rows)
#        SHIMINHUA_BIN=path/to/shiminhua scripts/kill-import.sh …
#        SEED=n scripts/kill-import.sh …                 (the kill moments; default random)
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-20}"
rows="${2:-200000}"
batch=5000 # import::BATCH_ROWS
if [ -n "${SHIMINHUA_BIN:-}" ]; then
  bin="$SHIMINHUA_BIN"
else
  cargo build --release -q -p shiminhua
  bin="$PWD/target/release/shiminhua"
fi
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seed="${SEED:-$RANDOM}"
RANDOM=$seed

file="$work/workers.csv"
"$bin" --data-dir "$work/gen" demo-file "$file" --workers "$rows" --seed 11 >/dev/null
lines=$(($(wc -l <"$file") - 1))

# An empty registry with an import user, copied for each run.
base="$work/base"
mkdir -p "$base"
SHIMINHUA_ADMIN_PASSWORD='Kill-Import-2026x' "$bin" --data-dir "$base" init >/dev/null
"$bin" --data-dir "$base" user add office --name 导入测试 --role office --region 341000 >/dev/null

q() { sqlite3 -batch -noheader "$1/shiminhua.db" "$2"; }

# The time of one whole import sets the range of the kill moments.
dir="$work/full"
cp -r "$base" "$dir"
start=$(date +%s%N)
"$bin" --data-dir "$dir" import worker "$file" --as office --rejected "$work/full-rejected.xlsx" >/dev/null 2>&1
full_ms=$((($(date +%s%N) - start) / 1000000))
expected=$(q "$dir" "SELECT COUNT(*) FROM workers")
rejected=$(q "$dir" "SELECT rejected FROM import_batches")
rm -rf "$dir"
echo "file: $lines data rows; one import takes $full_ms ms and registers $expected workers ($rejected rows rejected)"
echo "seed $seed; batch size $batch"
printf '%-3s %8s %-8s %9s %9s %-6s %-6s %-9s %9s %s\n' \
  run kill_ms batch rows_done workers whole audit resumed final verdict

failures=0
for i in $(seq 1 "$kills"); do
  dir="$work/run$i"
  cp -r "$base" "$dir"
  # Uniform over the import, from just after start to just before the end.
  at=$((RANDOM * 32768 + RANDOM))
  at=$((at % (full_ms * 98 / 100) + full_ms / 100))
  "$bin" --data-dir "$dir" import worker "$file" --as office --rejected "$dir/rejected.xlsx" >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk "BEGIN{print $at / 1000}")"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true

  status=$(q "$dir" "SELECT COALESCE(MAX(status), 'none') FROM import_batches")
  done_rows=$(q "$dir" "SELECT COALESCE(SUM(rows_done), 0) FROM import_batches")
  counted=$(q "$dir" "SELECT COALESCE(SUM(inserted + updated + unchanged + rejected), 0) FROM import_batches")
  inserted=$(q "$dir" "SELECT COALESCE(SUM(inserted), 0) FROM import_batches")
  workers=$(q "$dir" "SELECT COUNT(*) FROM workers")
  staged=$(q "$dir" "SELECT COUNT(*) FROM import_stage_workers")
  rejected_now=$(q "$dir" "SELECT COALESCE(SUM(rejected), 0) FROM import_batches")
  whole=yes
  if [ "$status" = done ]; then
    if [ "$workers" != "$inserted" ] || [ "$counted" != "$done_rows" ] || [ "$staged" != 0 ]; then whole=no; fi
  else
    if [ "$workers" != 0 ] || [ $((staged + rejected_now)) != "$done_rows" ]; then whole=no; fi
    if [ "$status" != staged ] && [ $((done_rows % batch)) -ne 0 ]; then whole=no; fi
  fi
  if "$bin" --data-dir "$dir" audit verify >/dev/null 2>&1; then audit=ok; else audit=FAIL; fi

  out=$("$bin" --data-dir "$dir" import worker "$file" --as office --rejected "$dir/rejected.xlsx" 2>&1) || true
  resumed=no
  if echo "$out" | grep -q '续'; then resumed=yes; fi
  final=$(q "$dir" "SELECT COUNT(*) FROM workers")
  distinct=$(q "$dir" "SELECT COUNT(DISTINCT id_index) FROM workers")
  verdict=ok
  if [ "$whole" != yes ] || [ "$audit" != ok ] || [ "$final" != "$expected" ] || [ "$distinct" != "$final" ]; then
    verdict=FAIL
    failures=$((failures + 1))
  fi
  if ! "$bin" --data-dir "$dir" audit verify >/dev/null 2>&1; then verdict=FAIL-audit-after; failures=$((failures + 1)); fi
  printf '%-3s %8s %-8s %9s %9s %-6s %-6s %-9s %9s %s\n' \
    "$i" "$at" "$status" "$done_rows" "$workers" "$whole" "$audit" "$resumed" "$final" "$verdict"
  rm -rf "$dir"
done
echo "$failures of $kills runs failed"
[ "$failures" -eq 0 ]
