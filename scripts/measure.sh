#!/usr/bin/env bash
# Measures the release build: binary size, start-up time to the first served
# request on an initialised database, idle memory, and sign-in page
# throughput on loopback (wrk). Usage: scripts/measure.sh [seconds-of-load]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }

cargo build --release -p shiminhua >/dev/null 2>&1
bin=target/release/shiminhua
data=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$data"' EXIT

echo "release binary: $(stat -c %s "$bin") bytes ($(du -h "$bin" | cut -f1))"
"$bin" --data-dir "$data" init >/dev/null

port=18765
best=""
for i in 1 2 3 4 5; do
  start=$(date +%s%N)
  SHIMINHUA_LOG=warn "$bin" --data-dir "$data" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.005; done
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  echo "start-up to first served request, run $i: ${ms} ms"
  if [ "$i" -lt 5 ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
done

sleep 2
echo "idle RSS: $(awk '/VmRSS/ {print $2 " kB"}' /proc/$pid/status)"
echo "sign-in page under load (wrk, 2 threads, 32 connections, ${secs}s):"
wrk -t2 -c32 -d"${secs}s" --latency "http://127.0.0.1:$port/login" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors" || true
echo "RSS after load: $(awk '/VmRSS/ {print $2 " kB"}' /proc/$pid/status)"
