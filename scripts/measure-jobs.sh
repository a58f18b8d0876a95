#!/usr/bin/env bash
# Measures the public employment services (公共就业服务) at a city's size on
# a release build: matching for a seeker and for a vacancy, the public job
# board's search (latency and requests a second from 8 tasks) and the wage
# guide over up to 1,000,000 employment records, on SQLite and PostgreSQL.
# The measuring is crates/app/benches/jobs.rs (see its header for what it
# prints and its environment).
#
# Usage: scripts/measure-jobs.sh [seekers] [vacancies] [sqlite|postgres|sqlite,postgres]
#        (default 200,000 seekers, 50,000 vacancies, both backends;
#        `scripts/measure-jobs.sh 2000 500` is a smoke run of about 20 s)
#
# Environment: JOBS_BENCH_KEEP=DIR keeps the generated data in DIR (and a
# PostgreSQL database named after it) and measures it again later;
# JOBS_BENCH_GUIDE_RECORDS, JOBS_BENCH_GUIDE_YEAR, JOBS_BENCH_GUIDE_DENSITY,
# JOBS_BENCH_WORKERS, JOBS_BENCH_REFERRALS, JOBS_BENCH_SAMPLES,
# JOBS_BENCH_SECONDS, JOBS_BENCH_TASKS, JOBS_BENCH_EXPLAIN=1 as in the
# bench; SHIMINHUA_TEST_PG the server.
set -euo pipefail
cd "$(dirname "$0")/.."
export JOBS_BENCH_SEEKERS="${1:-200000}"
export JOBS_BENCH_VACANCIES="${2:-50000}"
export JOBS_BENCH_BACKENDS="${3:-sqlite,postgres}"
exec cargo bench -p shiminhua-app --bench jobs
