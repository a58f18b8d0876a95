#!/usr/bin/env bash
# Runs the department API against its own OpenAPI document: a server with
# demo data on a loopback port, a unit key, then schemathesis (a pinned
# version, in a virtualenv) with every check and the stateful phase, a bounded
# number of examples per operation. Exits non-zero on any failure.
# Usage: scripts/api-contract.sh            (builds the debug binary)
#        SHIMINHUA_BIN=path/to/shiminhua scripts/api-contract.sh
#        EXAMPLES=50 scripts/api-contract.sh (examples per operation, default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.32.5
examples="${EXAMPLES:-50}"
venv="${SCHEMATHESIS_VENV:-$HOME/.cache/shiminhua/schemathesis-$version}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi
if [ -n "${SHIMINHUA_BIN:-}" ]; then
  bin="$SHIMINHUA_BIN"
else
  cargo build -q -p shiminhua
  bin="$PWD/target/debug/shiminhua"
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export SHIMINHUA_DATA_DIR="$work/data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

SHIMINHUA_ADMIN_PASSWORD='Contract-Pass-2026x' "$bin" init >/dev/null
"$bin" demo --workers 200 --cases 20 >/dev/null
kinds=()
for k in worker employment venture training insurance schooling housing settlement; do kinds+=(--kind "$k"); done
key=$("$bin" apikey add --unit 341021-zjj --name 接口契约测试 --region 341021 "${kinds[@]}" | grep -o 'smh_[A-Za-z0-9_-]*' | head -n1)
[ -n "$key" ] || { echo "no API key was created" >&2; exit 1; }

"$bin" serve --demo --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$port/api/v1/openapi.json" >/dev/null 2>&1 && break
  sleep 0.2
done

status=0
config="$PWD/scripts/schemathesis.toml"
# From the scratch directory, where schemathesis keeps its example database.
cd "$work"
"$venv/bin/schemathesis" --config-file "$config" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $key" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$examples" \
  --seed "${SEED:-2026}" \
  --workers 2 \
  --no-color \
  --suppress-health-check all \
  --warnings off || status=$?
if grep -q 'panicked' "$work/serve.log"; then
  echo "the server panicked:" >&2
  grep -A3 'panicked' "$work/serve.log" >&2
  status=1
fi
exit "$status"
