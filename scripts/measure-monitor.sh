#!/usr/bin/env bash
# Measures the wage-payment monitoring (智慧监管) at a province's monthly
# load on a release build: the evaluation of every rule over all projects
# (first and second run), the monitoring board and a project's page, on
# SQLite and PostgreSQL. The measuring is crates/app/benches/monitor.rs
# (see its header for what it prints and its environment).
#
# Usage: scripts/measure-monitor.sh [roster-lines] [sqlite|postgres|sqlite,postgres]
#        (default 1,000,000 roster lines over 10,000 projects, both backends)
#
# Environment: MONITOR_BENCH_KEEP=DIR keeps the generated data in DIR (and
# a PostgreSQL database named after it) and measures it again later;
# MONITOR_BENCH_WORKERS, MONITOR_BENCH_PROJECTS, MONITOR_BENCH_SAMPLES,
# MONITOR_BENCH_EXPLAIN=1 as in the bench; SHIMINHUA_TEST_PG the server.
set -euo pipefail
cd "$(dirname "$0")/.."
export MONITOR_BENCH_ROSTER="${1:-1000000}"
export MONITOR_BENCH_BACKENDS="${2:-sqlite,postgres}"
exec cargo bench -p shiminhua-app --bench monitor
