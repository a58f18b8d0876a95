//! Measures the wage-payment monitoring (智慧监管) at a province's monthly
//! load: 10,000 projects, 1,000,000 roster lines and a month's attendance
//! and payroll of as many lines, on SQLite and on PostgreSQL. Prints:
//!
//! - the evaluation of every rule over all projects (`evaluate_all`), its
//!   first run (opening the warnings) and a second one (nothing changes) —
//!   goal ≤ 2 s each — with the time of each read of its facts;
//! - the monitoring board (`board`) of a city office user, p50 (goal ≤ 50 ms);
//! - a project's page: `get`, `grid` of 6 months × the first 50 roster
//!   lines and `warnings` of the project, p95 (goal ≤ 50 ms);
//! - the evaluation of one project, as after a change of its facts;
//! - a month's payroll file of every roster line imported (`import::run`,
//!   staged then merged) as a ratio to the raw load of the same file
//!   (goal ≥ 0.3×).
//!
//! The workers come from the project's generator (`generate_with`, with
//! their families and records: about 17 minutes for a million on SQLite);
//! `MONITOR_BENCH_WORKERS` takes fewer, each then on several projects. The
//! monitoring data comes from the demo generator at this size
//! (`monitor_with`, one month, about 30 s).
//!
//! Usage: `cargo bench -p shiminhua-app --bench monitor`, or
//! `scripts/measure-monitor.sh`. Environment:
//!
//! - `MONITOR_BENCH_ROSTER=N`: roster lines (default 1,000,000); the
//!   projects are N/100 and the workers N unless
//!   `MONITOR_BENCH_PROJECTS` / `MONITOR_BENCH_WORKERS` say otherwise
//!   (`MONITOR_BENCH_ROSTER=20000` is a smoke run of a few seconds);
//! - `MONITOR_BENCH_BACKENDS=sqlite,postgres` (default `sqlite`);
//!   PostgreSQL on `SHIMINHUA_TEST_PG`'s server (default
//!   `postgres://postgres@127.0.0.1:5432/postgres`), in a database of its own;
//! - `MONITOR_BENCH_KEEP=DIR`: keep the data (SQLite in `DIR/monitor.db`,
//!   PostgreSQL in a database named after `DIR`) and measure it again on a
//!   later run, its warnings removed first, without generating;
//! - `MONITOR_BENCH_SAMPLES=N`: reads of each kind measured (default 200);
//! - `MONITOR_BENCH_EXPLAIN=1`: the plans of the evaluation's reads
//!   (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shiminhua_app::audit::Who;
use shiminhua_app::crypto::Cipher;
use shiminhua_app::keys::MasterKey;
use shiminhua_app::ops::{demo, setup};
use shiminhua_app::registry::import::{self, ImportKind};
use shiminhua_app::registry::workers::worker_context;
use shiminhua_app::rights::monitor::{self, WarningFilter};
use shiminhua_app::store::{Backend, DatabaseUrl, Db, Row, Sql};
use shiminhua_app::testing::{TempDir, TestDb, pg_admin_url, set_test_audit_key};
use shiminhua_app::{AppResult, Call, Origin};
use shiminhua_core::auth::{Actor, Grant, KindSet, Role, RoleSet, Scope};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::monitor::{Month, checked_month};
use shiminhua_core::password::PasswordPolicy;
use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The day measured: the 20th, so that last month is the month checked.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap()
}

fn env_usize(key: &str) -> Option<usize> {
    std::env::var(key)
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
}

struct Size {
    projects: usize,
    roster: usize,
    workers: usize,
    samples: usize,
}

fn main() {
    let roster = env_usize("MONITOR_BENCH_ROSTER").unwrap_or(1_000_000);
    let size = Size {
        projects: env_usize("MONITOR_BENCH_PROJECTS").unwrap_or((roster / 100).max(10)),
        roster,
        workers: env_usize("MONITOR_BENCH_WORKERS").unwrap_or(roster.max(100)),
        samples: env_usize("MONITOR_BENCH_SAMPLES").unwrap_or(200).max(1),
    };
    let backends = std::env::var("MONITOR_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite".into());
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
}

/// A database to measure: kept in `MONITOR_BENCH_KEEP`, or a fresh one
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
    let Ok(keep) = std::env::var("MONITOR_BENCH_KEEP") else {
        return Ok(match backend {
            Backend::Sqlite => Some(Place::Fresh(TestDb::sqlite().await)),
            Backend::Postgres => TestDb::postgres().await.map(Place::Fresh),
        });
    };
    let dir = PathBuf::from(&keep);
    std::fs::create_dir_all(&dir).map_err(|e| shiminhua_app::AppError::Config(e.to_string()))?;
    let url = match backend {
        Backend::Sqlite => DatabaseUrl::sqlite_file(&dir.join("monitor.db")),
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
            let url = DatabaseUrl::parse(&format!("{base}/shm_bench_monitor_{tag}"))?;
            Db::create_if_missing(&url).await?;
            url
        }
    };
    let db = Db::connect(&url).await?;
    // The audit chain's anchor in a directory of its own (its key is new
    // on each run: the chain is not what is measured).
    let anchor = TempDir::new("monitor-bench");
    set_test_audit_key(&db, &anchor.0);
    Ok(Some(Place::Kept { db, _anchor: anchor }))
}

/// The key the data is sealed with: new on each run, or, with
/// `MONITOR_BENCH_KEEP`, the one kept beside the data (so that a later run
/// can read the ID numbers back, for the payroll file).
fn bench_key() -> AppResult<MasterKey> {
    let Ok(keep) = std::env::var("MONITOR_BENCH_KEEP") else {
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
        .map(|c| format!("cpu {:>6.2} ms/run", ms(c) / d.len().max(1) as f64))
        .unwrap_or_default();
    println!(
        "  {label:<44} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({} runs, {per_run})  {goal}",
        ms(pct(d, 50)),
        ms(pct(d, 95)),
        ms(d.last().copied().unwrap_or_default()),
        d.len()
    );
}

fn thousands(n: impl Into<i64>) -> String {
    let s = n.into().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

async fn count(db: &Db, sql: &str) -> AppResult<i64> {
    db.read().await?.int(Sql::new(sql)).await
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
        "== {}: {} projects, {} roster lines, {} workers (evaluated on {today})",
        backend.label(),
        thousands(size.projects as i64),
        thousands(size.roster as i64),
        thousands(size.workers as i64)
    );
    if !setup::is_initialised(db).await? {
        setup::init(db, now, &PasswordPolicy::default(), Some("Bench-Monitor-2026".into())).await?;
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
    if count(db, "SELECT COUNT(*) FROM projects").await? == 0 {
        let t = Instant::now();
        let options = demo::MonitorOptions {
            projects: size.projects,
            roster_lines: Some(size.roster),
            months: 1,
            evaluate: false,
        };
        let m = demo::monitor_with(db, &cipher, now, 1, options).await?;
        println!(
            "  monitoring data generated in {:.1} s: {} projects ({} watched), {} roster lines of {} workers, \
             {} attendance lines, {} payroll lines, {} transfers, {} deposits",
            t.elapsed().as_secs_f64(),
            thousands(m.projects as i64),
            thousands(m.watched as i64),
            thousands(m.roster as i64),
            thousands(m.workers as i64),
            thousands(m.attendance as i64),
            thousands(m.payroll as i64),
            thousands(m.transfers as i64),
            thousands(m.deposits as i64)
        );
    } else {
        // Kept data: measured again from no warnings at all.
        let mut tx = db.write().await?;
        tx.exec(Sql::new(
            "UPDATE cases SET project_id = NULL WHERE project_id IS NOT NULL",
        ))
        .await?;
        tx.exec(Sql::new("DELETE FROM warning_events")).await?;
        tx.exec(Sql::new("DELETE FROM warnings")).await?;
        tx.commit().await?;
        println!(
            "  kept data: {} projects, {} roster lines, {} attendance lines, {} payroll lines (warnings removed)",
            thousands(count(db, "SELECT COUNT(*) FROM projects").await?),
            thousands(count(db, "SELECT COUNT(*) FROM project_roster").await?),
            thousands(count(db, "SELECT COUNT(*) FROM project_attendance").await?),
            thousands(count(db, "SELECT COUNT(*) FROM payroll_lines").await?)
        );
    }
    println!("  database: {}", database_size(db).await?);

    // The evaluation, twice.
    let who = Who::system(&Origin::cli());
    let mut missed = false;
    for run in ["first run", "second run"] {
        let (t, before) = (Instant::now(), cpu());
        let e = monitor::evaluate_all(db, now, &who, None).await?;
        let took = t.elapsed();
        let used = cpu().zip(before).map(|(a, b)| a.saturating_sub(b)).unwrap_or_default();
        missed |= took > Duration::from_secs(2);
        println!(
            "  evaluate_all, {run:<11} {:>8.0} ms, cpu {:>6.0} ms  ({} projects, {} opened, {} cleared, {} open)  \
             goal ≤ 2,000 ms{}",
            ms(took),
            ms(used),
            thousands(e.projects as i64),
            thousands(e.opened as i64),
            thousands(e.cleared as i64),
            thousands(e.open as i64),
            if took > Duration::from_secs(2) { "  MISSED" } else { "" }
        );
    }
    let explain = std::env::var("MONITOR_BENCH_EXPLAIN").is_ok_and(|v| v == "1");
    facts_reads(db, today, explain || missed).await?;

    // The board and a project's page, as a city office user.
    let city = DivisionCode::parse("341000").expect("city");
    let office = Actor {
        user_id: 0,
        username: "bench.office".into(),
        display_name: "专班办公室（测量）".into(),
        roles: RoleSet::new(vec![Role::Office]),
        scope: Scope::new(vec![Grant {
            region: city,
            kinds: KindSet::all(),
        }]),
        unit_id: None,
    };
    let board = sample(size.samples.min(50), |_| async {
        monitor::board(db, &office, now).await.map(|_| ())
    })
    .await?;
    report("board (city office)", &board, &goal(pct(&board.wall, 50), "p50"));

    let (rules, _) = monitor::current_rules(&mut db.read().await?).await?;
    let checked = checked_month(&rules, today);
    let months: Vec<Month> = {
        let mut m = vec![checked];
        for _ in 1..6 {
            let p = m[m.len() - 1].prev();
            m.push(p);
        }
        m.reverse();
        m
    };
    let ids: Vec<(i64,)> = db
        .read()
        .await?
        .all(Sql::new(
            "SELECT p.id FROM projects p WHERE EXISTS (SELECT 1 FROM project_roster r WHERE r.project_id = p.id) \
             ORDER BY p.id",
        ))
        .await?;
    let step = (ids.len() / size.samples).max(1);
    let picks: Vec<i64> = ids.iter().step_by(step).map(|(id,)| *id).take(size.samples).collect();
    if picks.is_empty() {
        return Ok(());
    }
    let pick = |i: usize| picks[i % picks.len()];
    let get = sample(picks.len(), |i| {
        let office = &office;
        async move { monitor::get(db, office, pick(i)).await.map(|_| ()) }
    })
    .await?;
    let grid = sample(picks.len(), |i| {
        let (office, months) = (&office, &months);
        async move { monitor::grid(db, office, pick(i), months, 50, 0).await.map(|_| ()) }
    })
    .await?;
    let warned = sample(picks.len(), |i| {
        let office = &office;
        async move {
            let f = WarningFilter {
                project_id: Some(pick(i)),
                ..WarningFilter::default()
            };
            monitor::warnings(db, office, &f, today, 20, 0).await.map(|_| ())
        }
    })
    .await?;
    let page = sample(picks.len(), |i| {
        let (office, months) = (&office, &months);
        async move {
            let id = pick(i);
            monitor::get(db, office, id).await?;
            monitor::grid(db, office, id, months, 50, 0).await?;
            let f = WarningFilter {
                project_id: Some(id),
                ..WarningFilter::default()
            };
            monitor::warnings(db, office, &f, today, 20, 0).await.map(|_| ())
        }
    })
    .await?;
    report(
        "project page (get + grid 6 × 50 + warnings)",
        &page,
        &goal(pct(&page.wall, 95), "p95"),
    );
    report("  get", &get, "");
    report("  grid, 6 months × first 50 lines", &grid, "");
    report("  warnings of the project", &warned, "");
    // The evaluation of one project, as after a change of its facts
    // (`evaluate_project`).
    let one = sample(picks.len().min(50), |i| {
        let who = &who;
        async move { monitor::evaluate_all(db, now, who, Some(pick(i))).await.map(|_| ()) }
    })
    .await?;
    report("evaluate_all of one project", &one, "");
    payroll_import(db, &cipher, &office, now, checked.next()).await?;
    if let Place::Fresh(t) = place {
        t.finish().await;
    }
    Ok(())
}

/// A month's payroll of every roster line, as a bank's file (its own
/// headers, one line a worker and project), imported through the staged
/// path (`import::run`) and, before that, loaded raw (cells inserted as
/// read); prints both rates and their ratio (goal ≥ 0.3×).
async fn payroll_import(db: &Db, cipher: &Cipher, office: &Actor, now: DateTime<Utc>, month: Month) -> AppResult<()> {
    use std::fmt::Write as _;
    let lines: Vec<(String, String, Vec<u8>, Vec<u8>)> = db
        .read()
        .await?
        .all(Sql::new(
            "SELECT p.code, w.name, w.id_sealed, w.id_index FROM project_roster r \
             JOIN projects p ON p.id = r.project_id JOIN workers w ON w.id = r.worker_id ORDER BY r.id",
        ))
        .await?;
    let paid_on = month.first_day() + chrono::Duration::days(9);
    let mut file = String::with_capacity(lines.len() * 90);
    file.push_str("项目编号,户名,证件号码,工资所属期,实发工资,交易日期,卡号\n");
    for (i, (code, name, sealed, index)) in lines.iter().enumerate() {
        let Ok(id) = cipher.open(&worker_context("id", index), sealed) else {
            println!("  payroll import: skipped (the kept data was sealed with an earlier run's key)");
            return Ok(());
        };
        let id = String::from_utf8_lossy(&id);
        let yuan = 3_000 + (i * 37) % 5_000;
        let _ = writeln!(
            file,
            "{code},{name},{id},{},{yuan}.00,{paid_on},6222{:015}",
            month.iso(),
            i
        );
    }
    // A kept database holds the month from an earlier run: removed, so
    // that every run imports the same file into the same data.
    let mut tx = db.write().await?;
    tx.exec(Sql::new("DELETE FROM payroll_lines WHERE month = $1").bind(month.code()))
        .await?;
    tx.commit().await?;
    let dir = TempDir::new("monitor-payroll");
    let path = dir.0.join("工资发放.csv");
    std::fs::write(&path, file).map_err(|e| shiminhua_app::AppError::Config(e.to_string()))?;
    let origin = Origin::cli();
    let call = Call {
        db,
        cipher,
        actor: office,
        origin: &origin,
        now,
    };
    let n = lines.len() as f64;
    let raw_opts = import::Options {
        raw: true,
        ..import::Options::default()
    };
    let t = Instant::now();
    import::run(&call, ImportKind::Payroll, &path, "工资发放.csv", &raw_opts).await?;
    let raw = t.elapsed();
    let (t, before) = (Instant::now(), cpu());
    // When the staging ended (its last batch reported).
    let staged = std::sync::Mutex::new(None::<Duration>);
    let progress = |_: u64, _: Option<u64>| {
        *staged.lock().expect("not poisoned") = Some(t.elapsed());
    };
    let opts = import::Options {
        progress: Some(&progress),
        ..import::Options::default()
    };
    let s = import::run(&call, ImportKind::Payroll, &path, "工资发放.csv", &opts).await?;
    let took = t.elapsed();
    let staged = staged.lock().expect("not poisoned").unwrap_or(took);
    let used = cpu().zip(before).map(|(a, b)| a.saturating_sub(b)).unwrap_or_default();
    let ratio = raw.as_secs_f64() / took.as_secs_f64();
    println!(
        "  payroll file of {} lines ({month}): raw load {:>9.0} lines/s ({:.1} s); import {:>9.0} lines/s ({:.1} s, \
         cpu {:.1} s: staged in {:.1} s, merged in {:.1} s; {} written, {} refused) = {ratio:.2}× raw  \
         goal ≥ 0.30×{}",
        thousands(lines.len() as i64),
        n / raw.as_secs_f64(),
        raw.as_secs_f64(),
        n / took.as_secs_f64(),
        took.as_secs_f64(),
        used.as_secs_f64(),
        staged.as_secs_f64(),
        (took - staged).as_secs_f64(),
        thousands((s.inserted + s.updated) as i64),
        thousands(s.rejected as i64),
        if ratio < 0.3 { "  MISSED" } else { "" }
    );
    Ok(())
}

fn goal(d: Duration, which: &str) -> String {
    let ok = d <= Duration::from_millis(50);
    format!("goal {which} ≤ 50 ms{}", if ok { "" } else { "  MISSED" })
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

/// One of the evaluation's reads, timed (its rows fetched as `T`), and
/// with `explain` its plan.
async fn timed<T: Row>(db: &Db, label: &str, q: Sql, explain: bool) -> AppResult<()> {
    let mut tx = db.read().await?;
    let (t, before) = (Instant::now(), cpu());
    let rows: Vec<T> = tx.all(q.clone()).await?;
    let used = cpu().zip(before).map(|(a, b)| a.saturating_sub(b)).unwrap_or_default();
    println!(
        "    {label:<40} {:>8.1} ms, cpu {:>6.0} ms  ({} rows)",
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
    Ok(())
}

/// The evaluation's reads of the facts (`monitor::FactQueries`), for every
/// project.
async fn facts_reads(db: &Db, today: NaiveDate, explain: bool) -> AppResult<()> {
    let (rules, _) = monitor::current_rules(&mut db.read().await?).await?;
    let month = checked_month(&rules, today);
    println!("  the evaluation's reads of its facts, one at a time:");
    type ProjectFacts = (
        i64,
        String,
        i64,
        i64,
        String,
        Option<NaiveDate>,
        Option<NaiveDate>,
        i64,
        Option<NaiveDate>,
        Option<NaiveDate>,
        i64,
        bool,
    );
    let q = monitor::FactQueries::new(&rules, month, today, None);
    timed::<ProjectFacts>(db, "projects", q.projects, explain).await?;
    timed::<(i64,)>(db, "transfers", q.transfers, explain).await?;
    timed::<(i64, i64)>(db, "deposits", q.deposits, explain).await?;
    timed::<(i64, i64, i64)>(db, "roster", q.roster, explain).await?;
    timed::<(i64, i64)>(db, "payroll", q.payroll, explain).await?;
    timed::<(i64,)>(db, "later attendance", q.later_attendance, explain).await?;
    let counties: Vec<i64> = db
        .read()
        .await?
        .all::<(i64,)>(Sql::new(
            "SELECT DISTINCT county_code FROM projects ORDER BY county_code",
        ))
        .await?
        .into_iter()
        .map(|(c,)| c)
        .collect();
    let q = monitor::FactQueries::people(&rules, month, None, &counties);
    timed::<(i64, i64, i64, i64)>(db, "people (attendance × roster × payroll)", q, explain).await?;
    Ok(())
}
