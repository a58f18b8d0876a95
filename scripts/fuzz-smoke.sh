#!/usr/bin/env bash
# Runs each fuzz target for a short while from its corpus (fuzz/corpus/NAME),
# without growing the corpus: a smoke test that the parsers still hold their
# properties on everything found so far and on a little more.
# Usage: scripts/fuzz-smoke.sh [seconds per target]     (default 20)
#        scripts/fuzz-smoke.sh 20 money csv              (some targets only)
# Builds with the stable toolchain and no sanitizer (`--sanitizer none`): the
# coverage instrumentation cargo-fuzz asks rustc for needs no nightly feature.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-20}"
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install -q cargo-fuzz --version 0.13.2 --locked
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
cargo fuzz build --sanitizer none -O
status=0
for t in "${targets[@]}"; do
  scratch=$(mktemp -d)
  # A scratch directory first: new inputs go there, the corpus is only read.
  if out=$(cargo fuzz run --sanitizer none -O "$t" "$scratch" "corpus/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 2>&1); then
    execs=$(echo "$out" | grep -o 'stat::number_of_executed_units: *[0-9]*' | grep -o '[0-9]*$' || true)
    cov=$(echo "$out" | grep -o 'cov: [0-9]*' | tail -n1 || true)
    echo "fuzz $t: ok, ${execs:-?} runs in ${secs}s, $cov"
  else
    echo "fuzz $t: FAILED"
    echo "$out" | tail -n 40
    status=1
  fi
  rm -rf "$scratch"
done
exit "$status"
