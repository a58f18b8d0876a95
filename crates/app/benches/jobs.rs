//! Measures the public employment services (公共就业服务) at a city's size:
//! 200,000 job seekers and 50,000 vacancies (about 44,000 of them open), on
//! SQLite and on PostgreSQL. Prints:
//!
//! - matching (人岗匹配) for one seeker (`matching::for_seeker`) and for one
//!   vacancy (`matching::for_vacancy`), p50 and p95 over random active
//!   seekers and open vacancies — goal p95 ≤ 50 ms each;
//! - the public board's search (`vacancies::board`, a page of 20 with the
//!   total) over a mix of queries: no filter, a county, a county and a major
//!   group, a township, a wage at least, pages 2–5, a text — goal p95 ≤
//!   30 ms; and the same mix from 8 concurrent tasks for 5 s, requests a
//!   second — goal ≥ 1,000/s (the use case: the HTTP side is measured with
//!   `wrk` against `/public/jobs` of a `serve --demo`). The board keeps the
//!   pages it computed until a vacancy changes, so the mix, asked for again
//!   and again, is mostly read from there; for reference the same mix is
//!   also run through the staff list, which searches alike and keeps
//!   nothing (what each query costs the first time after a change);
//! - the wage guide (`wage_guide::compute`) over the employment records of
//!   two years, at up to three sizes up to 1,000,000 records — goal ≤ 2 s;
//! - the peak RSS of the process.
//!
//! The data comes from the project's generators: the workers from
//! `generate_with` (one seeker a worker), the vacancies, seekers and
//! referrals from `jobs_with` with synthetic middle groups (`finer`), so that
//! matching narrows by middle group as it does with a loaded classification.
//! For the wage guide, further workers are generated with more records each
//! (`records_per_worker`: earlier jobs) until the two years hold the
//! records asked for; they are generated after matching and the board are
//! measured, and are no seekers.
//!
//! Usage: `cargo bench -p shiminhua-app --bench jobs`, or
//! `scripts/measure-jobs.sh`. Environment:
//!
//! - `JOBS_BENCH_SEEKERS=N` (default 200,000), `JOBS_BENCH_VACANCIES=N`
//!   (default 50,000); `JOBS_BENCH_WORKERS` (default the seekers),
//!   `JOBS_BENCH_REFERRALS` (default a twentieth of the seekers)
//!   (`JOBS_BENCH_SEEKERS=2000 JOBS_BENCH_VACANCIES=500` is a smoke run of
//!   about 20 s);
//! - `JOBS_BENCH_GUIDE_RECORDS=N`: employment records of the guide's two
//!   years aimed at (default 5 a seeker: 1,000,000); 0 measures the guide
//!   over what the seekers' workers hold; `JOBS_BENCH_GUIDE_YEAR` (default
//!   2023: the generated records start in 2022–2024, earlier jobs mostly in
//!   2022–2023); `JOBS_BENCH_GUIDE_DENSITY` records per further worker
//!   (default 9);
//! - `JOBS_BENCH_BACKENDS=sqlite,postgres` (default `sqlite`); PostgreSQL
//!   on `SHIMINHUA_TEST_PG`'s server (default
//!   `postgres://postgres@127.0.0.1:5432/postgres`), in a database of its own;
//! - `JOBS_BENCH_KEEP=DIR`: keep the data (SQLite in `DIR/jobs.db`,
//!   PostgreSQL in a database named after `DIR`) and measure it again on a
//!   later run without generating;
//! - `JOBS_BENCH_SAMPLES=N`: measured runs of each kind (default 200);
//!   `JOBS_BENCH_SECONDS` (default 5) and `JOBS_BENCH_TASKS` (default 8)
//!   for the board's throughput;
//! - `JOBS_BENCH_EXPLAIN=1`: the plans of the reads (EXPLAIN QUERY PLAN on
//!   SQLite, EXPLAIN ANALYZE on PostgreSQL), printed anyway for a goal
//!   missed.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shiminhua_app::crypto::Cipher;
use shiminhua_app::keys::MasterKey;
use shiminhua_app::ops::{demo, setup};
use shiminhua_app::registry::jobs::vacancies::{self, VacancyFilter};
use shiminhua_app::registry::jobs::{matching, wage_guide};
use shiminhua_app::store::{Backend, DatabaseUrl, Db, Row, Sql};
use shiminhua_app::testing::{TempDir, TestDb, pg_admin_url, set_test_audit_key};
use shiminhua_app::{AppResult, Call, Origin};
use shiminhua_core::auth::{Actor, Grant, KindSet, Role, RoleSet, Scope};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::jobs::wage_guide::DEFAULT_MIN_CELL;
use shiminhua_core::password::PasswordPolicy;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The day measured: in 2025, the generated records' years behind it.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 20, 2, 0, 0).unwrap()
}

fn env_usize(key: &str) -> Option<usize> {
    std::env::var(key)
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
}

struct Size {
    seekers: usize,
    vacancies: usize,
    workers: usize,
    referrals: usize,
    samples: usize,
    seconds: u64,
    tasks: usize,
    guide_records: usize,
    guide_year: i32,
    guide_density: f64,
}

fn main() {
    let seekers = env_usize("JOBS_BENCH_SEEKERS").unwrap_or(200_000).max(10);
    let size = Size {
        seekers,
        vacancies: env_usize("JOBS_BENCH_VACANCIES").unwrap_or(50_000).max(10),
        workers: env_usize("JOBS_BENCH_WORKERS").unwrap_or(seekers).max(seekers),
        referrals: env_usize("JOBS_BENCH_REFERRALS").unwrap_or(seekers / 20),
        samples: env_usize("JOBS_BENCH_SAMPLES").unwrap_or(200).max(1),
        seconds: env_usize("JOBS_BENCH_SECONDS").unwrap_or(5).max(1) as u64,
        tasks: env_usize("JOBS_BENCH_TASKS").unwrap_or(8).max(1),
        guide_records: env_usize("JOBS_BENCH_GUIDE_RECORDS").unwrap_or(seekers * 5),
        guide_year: env_usize("JOBS_BENCH_GUIDE_YEAR").map_or(2023, |y| y as i32),
        guide_density: std::env::var("JOBS_BENCH_GUIDE_DENSITY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(9.0),
    };
    let backends = std::env::var("JOBS_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for backend in backends.split(',').map(str::trim).filter(|b| !b.is_empty()) {
        let backend = match backend {
            "sqlite" => Backend::Sqlite,
            "postgres" | "pg" => Backend::Postgres,
            other => {
                eprintln!("unknown backend {other}: sqlite or postgres");
                std::process::exit(2);
            }
        };
        if let Err(e) = rt.block_on(run(backend, &size)) {
            eprintln!("{}: {e}", backend.label());
            std::process::exit(1);
        }
    }
    println!("peak RSS of the process: {}", peak_rss());
}

/// A database to measure: kept in `JOBS_BENCH_KEEP`, or a fresh one
/// dropped at the end.
enum Place {
    Kept { db: Db, _anchor: TempDir },
    Fresh(TestDb),
}

impl Place {
    fn db(&self) -> &Db {
        match self {
            Place::Kept { db, .. } | Place::Fresh(TestDb { db, .. }) => db,
        }
    }
}

async fn open(backend: Backend) -> AppResult<Option<Place>> {
    let Ok(keep) = std::env::var("JOBS_BENCH_KEEP") else {
        return Ok(match backend {
            Backend::Sqlite => Some(Place::Fresh(TestDb::sqlite().await)),
            Backend::Postgres => TestDb::postgres().await.map(Place::Fresh),
        });
    };
    let dir = PathBuf::from(&keep);
    std::fs::create_dir_all(&dir).map_err(|e| shiminhua_app::AppError::Config(e.to_string()))?;
    let url = match backend {
        Backend::Sqlite => DatabaseUrl::sqlite_file(&dir.join("jobs.db")),
        Backend::Postgres => {
            let Some(admin) = pg_admin_url() else {
                return Ok(None);
            };
            let base = admin.rsplit_once('/').map_or(admin.clone(), |(b, _)| b.to_string());
            let tag: String = dir
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let url = DatabaseUrl::parse(&format!("{base}/shm_bench_jobs_{tag}"))?;
            Db::create_if_missing(&url).await?;
            url
        }
    };
    let db = Db::connect(&url).await?;
    // The audit chain's anchor in a directory of its own (its key is new
    // on each run: the chain is not what is measured).
    let anchor = TempDir::new("jobs-bench");
    set_test_audit_key(&db, &anchor.0);
    Ok(Some(Place::Kept { db, _anchor: anchor }))
}

/// The key the data is sealed with: new on each run, or, with
/// `JOBS_BENCH_KEEP`, the one kept beside the data.
fn bench_key() -> AppResult<MasterKey> {
    let Ok(keep) = std::env::var("JOBS_BENCH_KEEP") else {
        return Ok(MasterKey::generate());
    };
    let path = PathBuf::from(keep).join("bench.key");
    if let Some(key) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| MasterKey::from_hex(&s))
    {
        return Ok(key);
    }
    let key = MasterKey::generate();
    std::fs::write(&path, key.to_hex()).map_err(|e| shiminhua_app::AppError::Config(e.to_string()))?;
    Ok(key)
}

/// A small deterministic generator for the picks (the same on each run).
struct Pick(u64);

impl Pick {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn of<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Milliseconds, for printing.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`th percentile of sorted durations.
fn pct(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) * p).div_ceil(100)]
}

/// The process's CPU time so far, user and system, all its threads (on
/// SQLite the database's work is done in them; PostgreSQL's is not), where
/// the system tells it (Linux, at 100 ticks a second).
fn cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The process's peak resident set (`VmHWM`) and what it holds now,
/// anonymous and file-backed (SQLite's memory map of the database is
/// file-backed, counted once for each connection that maps it), where the
/// system tells it.
fn peak_rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<i64>().ok())
            .map_or_else(|| "?".into(), |kb| format!("{} MB", thousands(kb / 1024)))
    };
    format!(
        "{} (now {} anonymous, {} file-backed)",
        mb("VmHWM:"),
        mb("RssAnon:"),
        mb("RssFile:")
    )
}

/// Wall-clock durations of some runs, sorted, and the CPU time they took
/// (the machine may be shared: the CPU time says what the work cost).
struct Runs {
    wall: Vec<Duration>,
    cpu: Option<Duration>,
}

/// Runs `f` `n` times (after one unmeasured run).
async fn sample<F, Fut>(n: usize, mut f: F) -> AppResult<Runs>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = AppResult<()>>,
{
    f(0).await?;
    let mut wall = Vec::with_capacity(n);
    let before = cpu();
    for i in 0..n {
        let t = Instant::now();
        f(i).await?;
        wall.push(t.elapsed());
    }
    let cpu = cpu().zip(before).map(|(a, b)| a.saturating_sub(b));
    wall.sort();
    Ok(Runs { wall, cpu })
}

fn report(label: &str, r: &Runs, goal: &str) {
    let d = &r.wall;
    let per_run = r
        .cpu
        .map(|c| format!(", cpu {:>6.2} ms/run", ms(c) / d.len().max(1) as f64))
        .unwrap_or_default();
    println!(
        "  {label:<34} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({} runs{per_run})  {goal}",
        ms(pct(d, 50)),
        ms(pct(d, 95)),
        ms(d.last().copied().unwrap_or_default()),
        d.len()
    );
}

/// "goal p95 ≤ 50 ms ✓" (or ✗).
fn goal_ms(d: Duration, which: &str, limit_ms: u64) -> (String, bool) {
    let ok = d <= Duration::from_millis(limit_ms);
    (
        format!("goal {which} ≤ {limit_ms} ms {}", if ok { "✓" } else { "✗" }),
        ok,
    )
}

fn thousands(n: impl Into<i64>) -> String {
    let s = n.into().to_string();
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

async fn count(db: &Db, sql: &str) -> AppResult<i64> {
    db.read().await?.int(Sql::new(sql)).await
}

async fn database_size(db: &Db) -> AppResult<String> {
    let bytes = match db.backend() {
        Backend::Sqlite => {
            let mut tx = db.read().await?;
            let pages = tx.int(Sql::new("SELECT page_count FROM pragma_page_count()")).await?;
            let size = tx.int(Sql::new("SELECT page_size FROM pragma_page_size()")).await?;
            pages * size
        }
        Backend::Postgres => {
            db.read()
                .await?
                .int(Sql::new("SELECT pg_database_size(current_database())"))
                .await?
        }
    };
    Ok(format!("{} MB", thousands(bytes / 1_048_576)))
}

/// A city office account: every kind, the whole city.
fn office() -> Actor {
    Actor {
        user_id: 0,
        username: "bench.office".into(),
        display_name: "就业服务窗口（测量）".into(),
        roles: RoleSet::new(vec![Role::Office]),
        scope: Scope::new(vec![Grant {
            region: DivisionCode::parse("341000").expect("city"),
            kinds: KindSet::all(),
        }]),
        unit_id: None,
    }
}

/// Refreshes PostgreSQL's statistics after a bulk load or a migration that
/// filled a table (what autovacuum does a little later); SQLite keeps none.
async fn analyze(db: &Db) -> AppResult<()> {
    if db.backend() == Backend::Postgres {
        let mut tx = db.write().await?;
        for t in [
            "workers",
            "records",
            "job_seekers",
            "job_seeker_occupations",
            "vacancies",
            "referrals",
            "job_seeker_reach",
            "vacancy_grams",
            "employment_pay",
        ] {
            tx.exec(Sql::new(&format!("ANALYZE {t}"))).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn run(backend: Backend, size: &Size) -> AppResult<()> {
    let Some(place) = open(backend).await? else {
        println!("== {}: skipped (no server)", backend.label());
        return Ok(());
    };
    let db = place.db();
    let now = now();
    let today = (now + chrono::Duration::hours(8)).date_naive();
    let cipher = Cipher::new(&bench_key()?);
    println!(
        "== {}: {} seekers, {} vacancies, {} referrals, {} workers (on {today})",
        backend.label(),
        thousands(size.seekers as i64),
        thousands(size.vacancies as i64),
        thousands(size.referrals as i64),
        thousands(size.workers as i64),
    );
    if !setup::is_initialised(db).await? {
        setup::init(db, now, &PasswordPolicy::default(), Some("Bench-Jobs-2025".into())).await?;
    }
    if count(db, "SELECT COUNT(*) FROM workers").await? == 0 {
        let t = Instant::now();
        let g = demo::generate_with(db, &cipher, now, size.workers, 1, demo::Options::default()).await?;
        println!(
            "  workers generated: {} (with {} dependants, {} records) in {:.1} s",
            thousands(g.workers as i64),
            thousands(g.dependants as i64),
            thousands(g.records as i64),
            t.elapsed().as_secs_f64()
        );
    }
    if count(db, "SELECT COUNT(*) FROM vacancies").await? == 0 {
        let t = Instant::now();
        let options = demo::JobsOptions {
            vacancies: size.vacancies,
            seekers: size.seekers,
            referrals: size.referrals,
            hires: 0,
            finer: true,
            guide_year: None,
            applications: 0,
        };
        let j = demo::jobs_with(db, &cipher, now, 1, options).await?;
        println!(
            "  job services generated in {:.1} s: {} vacancies, {} seekers, {} referrals",
            t.elapsed().as_secs_f64(),
            thousands(j.vacancies as i64),
            thousands(j.seekers as i64),
            thousands(j.referrals as i64)
        );
    }
    // Also when the data was kept: a migration since may have filled a
    // table (sampled, a second or two).
    analyze(db).await?;
    let open_vacancies: Vec<(i64,)> = db
        .read()
        .await?
        .all(Sql::new("SELECT id FROM vacancies WHERE status = 'open' AND valid_until >= $1 ORDER BY id").bind(today))
        .await?;
    let active: Vec<(i64,)> = db
        .read()
        .await?
        .all(Sql::new(
            "SELECT id FROM job_seekers WHERE status = 'active' ORDER BY id",
        ))
        .await?;
    println!(
        "  on file: {} workers, {} seekers ({} active, {} wishes), {} vacancies ({} open today), {} referrals; \
         database {}",
        thousands(count(db, "SELECT COUNT(*) FROM workers").await?),
        thousands(count(db, "SELECT COUNT(*) FROM job_seekers").await?),
        thousands(active.len() as i64),
        thousands(count(db, "SELECT COUNT(*) FROM job_seeker_occupations").await?),
        thousands(count(db, "SELECT COUNT(*) FROM vacancies").await?),
        thousands(open_vacancies.len() as i64),
        thousands(count(db, "SELECT COUNT(*) FROM referrals").await?),
        database_size(db).await?
    );
    let explain = std::env::var("JOBS_BENCH_EXPLAIN").is_ok_and(|v| v == "1");
    let office = office();
    let mut pick = Pick(17);

    // Matching, for a seeker and for a vacancy.
    let seekers: Vec<i64> = (0..size.samples).map(|_| pick.of(&active).0).collect();
    let vacancy_ids: Vec<i64> = (0..size.samples).map(|_| pick.of(&open_vacancies).0).collect();
    if seekers.is_empty() || vacancy_ids.is_empty() {
        println!("  nothing to match");
        return Ok(());
    }
    let found = AtomicUsize::new(0);
    let for_seeker = sample(seekers.len(), |i| {
        let (office, found) = (&office, &found);
        let id = seekers[i % seekers.len()];
        async move {
            let m = matching::for_seeker(db, office, id, today).await?;
            found.fetch_add(m.len(), Ordering::Relaxed);
            Ok(())
        }
    })
    .await?;
    let seeker_avg = found.swap(0, Ordering::Relaxed) as f64 / (seekers.len() + 1) as f64;
    let for_vacancy = sample(vacancy_ids.len(), |i| {
        let (office, found) = (&office, &found);
        let id = vacancy_ids[i % vacancy_ids.len()];
        async move {
            let m = matching::for_vacancy(db, office, id, today).await?;
            found.fetch_add(m.len(), Ordering::Relaxed);
            Ok(())
        }
    })
    .await?;
    let vacancy_avg = found.swap(0, Ordering::Relaxed) as f64 / (vacancy_ids.len() + 1) as f64;
    let (g1, ok1) = goal_ms(pct(&for_seeker.wall, 95), "p95", 50);
    report("matching for a seeker", &for_seeker, &g1);
    println!("    ({seeker_avg:.1} matches on average)");
    let (g2, ok2) = goal_ms(pct(&for_vacancy.wall, 95), "p95", 50);
    report("matching for a vacancy", &for_vacancy, &g2);
    println!("    ({vacancy_avg:.1} matches on average)");
    if explain || !ok1 || !ok2 {
        matching_reads(db, today, seekers[0], vacancy_ids[0], explain || !ok1 || !ok2).await?;
    }

    // The public board.
    let mix = board_mix(db, &mut pick, size.samples).await?;
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); KINDS.len()];
    let mut all = Vec::with_capacity(mix.len());
    let mut rows_seen = 0usize;
    let (f, o) = &mix[0].1;
    vacancies::board(db, f, today, 20, *o).await?;
    let before = cpu();
    for (kind, (f, offset)) in &mix {
        let t = Instant::now();
        let (rows, _) = vacancies::board(db, f, today, 20, *offset).await?;
        let d = t.elapsed();
        rows_seen += rows.len();
        by_kind[*kind].push(d);
        all.push(d);
    }
    let used = cpu().zip(before).map(|(a, b)| a.saturating_sub(b));
    all.sort();
    let board_runs = Runs { wall: all, cpu: used };
    let (g3, ok3) = goal_ms(pct(&board_runs.wall, 95), "p95", 30);
    report("board search, the mix", &board_runs, &g3);
    for (k, mut d) in by_kind.into_iter().enumerate() {
        d.sort();
        report(&format!("  {}", KINDS[k]), &Runs { wall: d, cpu: None }, "");
    }
    println!(
        "    ({:.1} rows a page on average)",
        rows_seen as f64 / mix.len().max(1) as f64
    );
    // The same mix without the pages kept: the staff list runs the same
    // search and keeps nothing. What a query costs the first time it is
    // asked for after a vacancy changed (on PostgreSQL: after any write),
    // held to the same goal.
    let mut cold = Vec::with_capacity(mix.len());
    let mut cold_by_kind: Vec<Vec<Duration>> = vec![Vec::new(); KINDS.len()];
    let before = cpu();
    for (kind, (f, offset)) in &mix {
        let t = Instant::now();
        vacancies::list(db, &office, f, today, 20, *offset).await?;
        cold.push(t.elapsed());
        cold_by_kind[*kind].push(t.elapsed());
    }
    let used = cpu().zip(before).map(|(a, b)| a.saturating_sub(b));
    cold.sort();
    let (g4, _) = goal_ms(pct(&cold, 95), "p95", 30);
    report("  the mix, no page kept", &Runs { wall: cold, cpu: used }, &g4);
    for (k, mut d) in cold_by_kind.into_iter().enumerate() {
        d.sort();
        report(&format!("    {}", KINDS[k]), &Runs { wall: d, cpu: None }, "");
    }
    if explain || !ok3 {
        board_reads(db, today, explain || !ok3).await?;
    }
    throughput(db, &mix, today, size).await?;

    // The wage guide.
    guide(db, &cipher, &office, now, size).await?;
    println!(
        "  database: {}; peak RSS so far {}",
        database_size(db).await?,
        peak_rss()
    );
    if let Place::Fresh(t) = place {
        t.finish().await;
    }
    Ok(())
}

const KINDS: [&str; 7] = [
    "no filter",
    "a county",
    "a county and a major group",
    "a township",
    "wage at least",
    "page 2–5",
    "text",
];

/// `n` queries of each kind, shuffled: (kind, filter, offset).
async fn board_mix(db: &Db, pick: &mut Pick, n: usize) -> AppResult<Vec<(usize, (VacancyFilter, i64))>> {
    let mut tx = db.read().await?;
    let counties: Vec<(i64,)> = tx
        .all(Sql::new("SELECT code FROM regions WHERE level = 3 ORDER BY code"))
        .await?;
    let towns: Vec<(i64,)> = tx
        .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
        .await?;
    drop(tx);
    let code = |c: i64| DivisionCode::from_i64(c).ok();
    const MAJORS: [u8; 6] = [6, 6, 4, 4, 5, 3];
    const WORDS: [&str; 8] = ["焊工", "普工", "快递", "服务员", "厨师", "保洁", "新安", "徽州"];
    let mut mix = Vec::with_capacity(n * KINDS.len());
    for kind in 0..KINDS.len() {
        for _ in 0..n {
            let mut f = VacancyFilter::default();
            let mut offset = 0;
            match kind {
                1 => f.region = code(pick.of(&counties).0),
                2 => {
                    f.region = code(pick.of(&counties).0);
                    f.major = Some(pick.of(&MAJORS));
                }
                3 => f.region = code(pick.of(&towns).0),
                4 => f.wage_at_least = Some((4000 + 500 * pick.below(9) as i64) * 100),
                5 => offset = 20 * (1 + pick.below(4) as i64),
                6 => f.q = pick.of(&WORDS).to_string(),
                _ => {}
            }
            mix.push((kind, (f, offset)));
        }
    }
    for i in (1..mix.len()).rev() {
        let j = pick.below(i + 1);
        mix.swap(i, j);
    }
    Ok(mix)
}

/// The mix from `size.tasks` tasks at once for `size.seconds`: requests a
/// second (goal ≥ 1,000) and the latency under that load.
async fn throughput(db: &Db, mix: &[(usize, (VacancyFilter, i64))], today: NaiveDate, size: &Size) -> AppResult<()> {
    let mix: Arc<Vec<(VacancyFilter, i64)>> = Arc::new(mix.iter().map(|(_, q)| q.clone()).collect());
    let until = Instant::now() + Duration::from_secs(size.seconds);
    let (t, before) = (Instant::now(), cpu());
    let mut handles = Vec::new();
    let tasks = size.tasks;
    for task in 0..tasks {
        let (db, mix) = (db.clone(), Arc::clone(&mix));
        handles.push(tokio::spawn(async move {
            let mut wall = Vec::new();
            let mut i = task * mix.len() / tasks;
            while Instant::now() < until {
                let (f, offset) = &mix[i % mix.len()];
                let t = Instant::now();
                vacancies::board(&db, f, today, 20, *offset).await?;
                wall.push(t.elapsed());
                i += 1;
            }
            AppResult::Ok(wall)
        }));
    }
    let mut wall = Vec::new();
    for h in handles {
        wall.extend(
            h.await
                .map_err(|e| shiminhua_app::AppError::Internal(e.to_string()))??,
        );
    }
    let took = t.elapsed();
    let used = cpu().zip(before).map(|(a, b)| a.saturating_sub(b));
    wall.sort();
    let rate = wall.len() as f64 / took.as_secs_f64();
    let ok = rate >= 1000.0;
    println!(
        "  board search, {} tasks for {:.1} s      {:>7.0} requests/s (p50 {:.2} ms, p95 {:.2} ms{})  \
         goal ≥ 1,000/s {}",
        size.tasks,
        took.as_secs_f64(),
        rate,
        ms(pct(&wall, 50)),
        ms(pct(&wall, 95)),
        used.map(|c| format!(", cpu {:.0}% of one core", 100.0 * c.as_secs_f64() / took.as_secs_f64()))
            .unwrap_or_default(),
        if ok { "✓" } else { "✗" }
    );
    Ok(())
}

/// Employment records of the guide's two years.
async fn guide_window(db: &Db, year: i32) -> AppResult<i64> {
    let (from, to) = (
        NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    );
    db.read()
        .await?
        .int(
            Sql::new(
                "SELECT COUNT(*) FROM records WHERE kind = 'employment' AND period_date >= $1 AND period_date <= $2",
            )
            .bind(from)
            .bind(to),
        )
        .await
}

/// The wage guide at up to three sizes up to `size.guide_records`
/// employment records in its two years, further workers generated between
/// them.
async fn guide(db: &Db, cipher: &Cipher, office: &Actor, now: DateTime<Utc>, size: &Size) -> AppResult<()> {
    let year = size.guide_year;
    let target = size.guide_records as i64;
    let mut held = guide_window(db, year).await?;
    let mut steps: Vec<i64> = [target / 4, target / 2, target]
        .into_iter()
        .filter(|s| *s > held + held / 10)
        .collect();
    steps.dedup();
    // Records a further worker adds to the two years, first guessed,
    // then as measured.
    let mut rate = 2.0;
    let mut missed = false;
    let explain = std::env::var("JOBS_BENCH_EXPLAIN").is_ok_and(|v| v == "1");
    missed |= !guide_once(db, cipher, office, now, year, held).await?;
    for step in steps {
        let t = Instant::now();
        let mut made = 0usize;
        while held < step {
            let workers = count(db, "SELECT COUNT(*) FROM workers").await?;
            let n = (((step - held) as f64 / rate).ceil() as usize).max(100);
            let options = demo::Options {
                records_per_worker: Some(size.guide_density),
            };
            // A seed of its own for each call (the same people are skipped).
            let seed = 1_000 + workers as u64;
            let g = demo::generate_with(db, cipher, now, n, seed, options).await?;
            made += g.workers;
            let after = guide_window(db, year).await?;
            if g.workers > 0 && after > held {
                rate = (after - held) as f64 / g.workers as f64;
            }
            held = after;
        }
        analyze(db).await?;
        println!(
            "  further workers generated for the guide: {} in {:.1} s ({:.2} employment records of {}–{year} each)",
            thousands(made as i64),
            t.elapsed().as_secs_f64(),
            rate,
            year - 1
        );
        missed |= !guide_once(db, cipher, office, now, year, held).await?;
    }
    if explain || missed {
        guide_reads(db, year, true).await?;
    }
    Ok(())
}

/// The guide computed twice at the current size; whether the goal was met
/// (by the second run).
async fn guide_once(
    db: &Db,
    cipher: &Cipher,
    office: &Actor,
    now: DateTime<Utc>,
    year: i32,
    held: i64,
) -> AppResult<bool> {
    let origin = Origin::cli();
    let call = Call {
        db,
        cipher,
        actor: office,
        origin: &origin,
        now,
    };
    let mut last = Duration::ZERO;
    let mut line = String::new();
    let mut used = 0;
    for _ in 0..2 {
        let (t, before) = (Instant::now(), cpu());
        used = wage_guide::compute(&call, year, DEFAULT_MIN_CELL).await?;
        last = t.elapsed();
        let c = cpu().zip(before).map(|(a, b)| a.saturating_sub(b)).unwrap_or_default();
        line.push_str(&format!("{:>7.0} ms (cpu {:.0} ms)  ", ms(last), ms(c)));
    }
    let ok = last <= Duration::from_secs(2);
    println!(
        "  wage guide {year}, {:>9} records used ({} in the years): {line}goal ≤ 2,000 ms {}",
        thousands(used as i64),
        thousands(held),
        if ok { "✓" } else { "✗" }
    );
    Ok(ok)
}

/// One read, timed (its rows fetched as `T`), and with `explain` its plan.
async fn timed<T: Row>(db: &Db, label: &str, q: Sql, explain: bool) -> AppResult<Vec<T>> {
    let mut tx = db.read().await?;
    let (t, before) = (Instant::now(), cpu());
    let rows: Vec<T> = tx.all(q.clone()).await?;
    let used = cpu().zip(before).map(|(a, b)| a.saturating_sub(b)).unwrap_or_default();
    println!(
        "    {label:<48} {:>8.2} ms, cpu {:>5.0} ms  ({} rows)",
        ms(t.elapsed()),
        ms(used),
        thousands(rows.len() as i64)
    );
    if explain {
        let mut plan = Sql::new(match db.backend() {
            Backend::Sqlite => "EXPLAIN QUERY PLAN ",
            Backend::Postgres => "EXPLAIN (ANALYZE, BUFFERS) ",
        });
        plan.append(&q);
        let lines: Vec<String> = match db.backend() {
            Backend::Sqlite => tx
                .all::<(i64, i64, i64, String)>(plan)
                .await?
                .into_iter()
                .map(|r| r.3)
                .collect(),
            Backend::Postgres => tx.all::<(String,)>(plan).await?.into_iter().map(|r| r.0).collect(),
        };
        for line in lines {
            println!("        {line}");
        }
    }
    Ok(rows)
}

/// The candidate reads of matching (as `matching.rs` writes them) for one
/// seeker and one vacancy.
async fn matching_reads(db: &Db, today: NaiveDate, seeker: i64, vacancy: i64, explain: bool) -> AppResult<()> {
    println!("  matching's candidate reads, for seeker {seeker} and vacancy {vacancy}:");
    let wishes: Vec<(i64, String)> = db
        .read()
        .await?
        .all(Sql::new("SELECT major, middle FROM job_seeker_occupations WHERE seeker_id = $1").bind(seeker))
        .await?;
    let vacancy_side = |column: &str, keys: Vec<shiminhua_app::store::Arg>| {
        let mut q = Sql::new(
            "SELECT id, occupation, region_code, wage_min_fen, wage_max_fen, valid_until FROM vacancies \
             WHERE status = 'open' AND valid_until >= ",
        );
        q.arg(today).push(" AND ");
        q.in_list(column, keys);
        q.push(" ORDER BY posted_on DESC, id DESC");
        q
    };
    type VacancyCandidate = (i64, String, i64, i64, i64, NaiveDate);
    let middles = wishes.iter().map(|(_, m)| m.clone().into()).collect();
    timed::<VacancyCandidate>(
        db,
        "seeker: vacancies of its middle groups",
        vacancy_side("middle", middles),
        explain,
    )
    .await?;
    let majors = wishes.iter().map(|(m, _)| (*m).into()).collect();
    timed::<VacancyCandidate>(
        db,
        "seeker: vacancies of its major groups",
        vacancy_side("major", majors),
        explain,
    )
    .await?;
    let (major, middle): (i64, String) = db
        .read()
        .await?
        .one(Sql::new("SELECT major, middle FROM vacancies WHERE id = $1").bind(vacancy))
        .await?;
    let seeker_side = |column: &str, key: shiminhua_app::store::Arg| {
        let mut q = Sql::new(
            "SELECT s.id, o.code, s.region_code, s.places, s.min_wage_fen, s.available_from \
             FROM job_seeker_occupations o JOIN job_seekers s ON s.id = o.seeker_id \
             WHERE s.status = 'active' AND o.",
        );
        q.push(column).push(" = ").arg(key);
        q.push(" ORDER BY s.registered_on DESC, s.id DESC");
        q
    };
    type SeekerCandidate = (i64, String, i64, String, Option<i64>, Option<NaiveDate>);
    timed::<SeekerCandidate>(
        db,
        "vacancy: seekers of its middle group",
        seeker_side("middle", middle.into()),
        explain,
    )
    .await?;
    timed::<SeekerCandidate>(
        db,
        "vacancy: seekers of its major group",
        seeker_side("major", major.into()),
        explain,
    )
    .await?;
    Ok(())
}

/// The board's two reads (count and page) of some kinds of query, as
/// `vacancies.rs` writes them.
async fn board_reads(db: &Db, today: NaiveDate, explain: bool) -> AppResult<()> {
    println!("  the board's reads (count, then the page):");
    let county: i64 = count(db, "SELECT MIN(code) FROM regions WHERE level = 3").await?;
    let cases: [(&str, String); 5] = [
        ("no filter", String::new()),
        ("a county", format!(" AND v.county_code = {county}")),
        (
            "a county and a major",
            format!(" AND v.county_code = {county} AND v.major = 6"),
        ),
        ("wage at least 6,000", " AND v.wage_max_fen >= 600000".into()),
        (
            "text 焊工",
            " AND (v.title LIKE '%焊工%' ESCAPE '\\' OR v.employer_name LIKE '%焊工%' ESCAPE '\\')".into(),
        ),
    ];
    for (label, cond) in cases {
        let mut c = Sql::new("SELECT COUNT(*) FROM vacancies v WHERE v.status = 'open' AND v.valid_until >= ");
        c.arg(today).push(&cond);
        timed::<(i64,)>(db, &format!("{label}: count"), c, explain).await?;
        let mut p = Sql::new(
            "SELECT v.id, v.title, r.name FROM vacancies v JOIN regions r ON r.code = v.region_code \
             WHERE v.status = 'open' AND v.valid_until >= ",
        );
        p.arg(today)
            .push(&cond)
            .push(" ORDER BY v.posted_on DESC, v.id DESC LIMIT 20 OFFSET 40");
        timed::<(i64, String, String)>(db, &format!("{label}: page 3"), p, explain).await?;
    }
    Ok(())
}

/// The guide's read of its records, then their JSON parsed, timed apart.
async fn guide_reads(db: &Db, year: i32, explain: bool) -> AppResult<()> {
    #[derive(serde::Deserialize)]
    struct Pay {
        #[serde(rename = "wage")]
        _wage: Option<i64>,
        #[serde(default, rename = "occupation")]
        _occupation: String,
        #[serde(default, rename = "industry")]
        _industry: String,
    }
    println!("  the wage guide's read:");
    let q = Sql::new("SELECT data FROM records WHERE kind = 'employment' AND period_date >= $1 AND period_date <= $2")
        .bind(NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or_default())
        .bind(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default());
    let rows = timed::<(String,)>(db, "employment records of the two years", q, explain).await?;
    let t = Instant::now();
    let parsed = rows
        .iter()
        .filter(|(d,)| serde_json::from_str::<Pay>(d).is_ok())
        .count();
    println!(
        "    their JSON parsed                                {:>8.2} ms  ({} rows)",
        ms(t.elapsed()),
        thousands(parsed as i64)
    );
    drop(rows);
    // The three facts taken out by the database instead (what an index of
    // them would serve without reading the records).
    let facts = match db.backend() {
        Backend::Sqlite => {
            "SELECT json_extract(data, '$.wage'), json_extract(data, '$.occupation'), json_extract(data, '$.industry') \
             FROM records WHERE kind = 'employment' AND period_date >= $1 AND period_date <= $2"
        }
        Backend::Postgres => {
            "SELECT CAST(CAST(data AS jsonb) ->> 'wage' AS BIGINT), CAST(data AS jsonb) ->> 'occupation', \
             CAST(data AS jsonb) ->> 'industry' \
             FROM records WHERE kind = 'employment' AND period_date >= $1 AND period_date <= $2"
        }
    };
    let q = Sql::new(facts)
        .bind(NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or_default())
        .bind(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default());
    timed::<(Option<i64>, Option<String>, Option<String>)>(db, "wage, occupation, industry taken out", q, explain)
        .await?;
    Ok(())
}
