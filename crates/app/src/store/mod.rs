//! The store: one code path over SQLite and PostgreSQL.
//!
//! Queries are written once, with `$N` placeholders (both drivers accept them),
//! and run through [`Tx`], which dispatches to the backend's connection. The
//! per-backend parts live here only: connection set-up, the migration folders
//! and a few dialect helpers. See `docs/decisions/0001-storage.md`.

pub mod dialect;
mod migrate;
#[macro_use]
mod binding;
mod bulk;

use crate::error::{AppError, AppResult};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::ids::{CaseId, DependantId, FacilityId, RecordId, ReportId, UserId, WorkerId};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, Postgres, Sqlite, Transaction};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use migrate::MIGRATIONS;

/// Which database a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database URL whose `Debug`/`Display` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Parses `sqlite://PATH`, `sqlite::memory:` or `postgres://…`/`postgresql://…`.
    pub fn parse(s: &str) -> AppResult<DatabaseUrl> {
        let s = s.trim();
        if s.starts_with("sqlite:") || s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(DatabaseUrl(s.to_string()))
        } else {
            Err(AppError::Config(
                "数据库地址无法识别：只支持 sqlite:// 或 postgres:// 开头的地址。".into(),
            ))
        }
    }

    pub fn sqlite_file(path: &std::path::Path) -> DatabaseUrl {
        DatabaseUrl(format!("sqlite://{}", path.display()))
    }

    pub fn backend(&self) -> Backend {
        if self.0.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    /// The SQLite file, when this is a file-backed SQLite URL.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self
            .0
            .strip_prefix("sqlite://")
            .or_else(|| self.0.strip_prefix("sqlite:"))?;
        let rest = rest.split('?').next().unwrap_or_default();
        if rest.is_empty() || rest == ":memory:" {
            None
        } else {
            Some(PathBuf::from(rest))
        }
    }

    /// The URL itself, for handing to a driver or to `pg_dump`.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match (self.0.find("://"), self.0.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                let userinfo = &self.0[s + 3..at];
                let user = userinfo.split(':').next().unwrap_or_default();
                let masked = if userinfo.contains(':') {
                    format!("{user}:***")
                } else {
                    user.to_string()
                };
                format!("{}{}{}", &self.0[..s + 3], masked, &self.0[at..])
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A connection pool on one of the two backends.
#[derive(Clone)]
pub enum Db {
    /// The readers' pool and the writer.
    Sqlite(SqlitePool, SqliteWriter, AuditSlot),
    Postgres(PgPool, AuditSlot),
}

/// SQLite's writer: one connection of its own, and the queue of writers.
/// SQLite writes one transaction at a time, and a writer waiting in its busy
/// handler sleeps and retries (up to 100 ms a time), so writers wait their
/// turn here, in order, instead. The one connection keeps its page cache
/// and memory map from one write to the next (a connection that sees
/// another's write drops both), so that an import's batches find the pages
/// the batch before read.
#[derive(Clone)]
pub struct SqliteWriter {
    pool: SqlitePool,
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// The audit chain's key and anchor, set once the key ring is loaded (see
/// [`Db::set_audit_key`]); shared by every clone of a [`Db`].
pub type AuditSlot = Arc<std::sync::RwLock<Option<Arc<crate::chain_key::ChainKey>>>>;

/// A database's identity in the process ([`Db::identity`]). It holds the
/// database's shared state weakly, so that the address it is compared by
/// cannot be reused while the identity is kept.
#[derive(Clone, Debug)]
pub struct DbId(std::sync::Weak<std::sync::RwLock<Option<Arc<crate::chain_key::ChainKey>>>>);

impl PartialEq for DbId {
    fn eq(&self, other: &DbId) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

impl Eq for DbId {}

impl std::hash::Hash for DbId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.0.as_ptr() as usize).hash(state);
    }
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Db({})", self.backend().label())
    }
}

/// Pool statistics for `/metrics`.
pub struct PoolStats {
    pub size: u32,
    pub idle: usize,
}

/// How much the program's side of the database may hold (`[database]` of
/// the configuration): the connections of the pool and, on SQLite, the page
/// cache of all of them together. The memory a server holds after a day of
/// use is mostly this cache; it is set here rather than left to how many
/// connections happen to have been opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbTuning {
    /// Connections of the pool; `None`: 8 on SQLite, 16 on PostgreSQL.
    pub pool_size: Option<u32>,
    /// SQLite's page cache for the whole pool, in MiB, shared out evenly
    /// over its connections (PostgreSQL caches in its own server).
    pub cache_mib: u32,
}

impl DbTuning {
    /// The page cache of the whole pool by default (MiB).
    pub const DEFAULT_CACHE_MIB: u32 = 64;
}

/// How much of an SQLite database file is read through a memory map (the
/// rest, if the file is larger, through reads).
const MMAP_BYTES: u64 = 1 << 30;

impl Default for DbTuning {
    fn default() -> DbTuning {
        DbTuning {
            pool_size: None,
            cache_mib: DbTuning::DEFAULT_CACHE_MIB,
        }
    }
}

impl Db {
    /// Connects and applies pending migrations.
    pub async fn connect(url: &DatabaseUrl) -> AppResult<Db> {
        Db::connect_tuned(url, &DbTuning::default(), None).await
    }

    /// Connects and applies every migration but `without` (all with `None`):
    /// a test of a migration builds the schema without it, with the data the
    /// program writes today, and applies it on the next connect.
    pub async fn connect_without(url: &DatabaseUrl, without: Option<i64>) -> AppResult<Db> {
        Db::connect_tuned(url, &DbTuning::default(), without).await
    }

    /// [`Db::connect_without`] with the pool and cache sized by `tuning`.
    pub async fn connect_tuned(url: &DatabaseUrl, tuning: &DbTuning, without: Option<i64>) -> AppResult<Db> {
        let db = match url.backend() {
            Backend::Sqlite => {
                if let Some(path) = url.sqlite_path() {
                    owner_only(&path)?;
                }
                let memory = url.sqlite_path().is_none();
                let pool_size = if memory {
                    1
                } else {
                    tuning.pool_size.unwrap_or(8).max(1)
                };
                // The page cache, in KiB (a negative cache_size is KiB): half
                // for the writer, half shared out over the readers, at least
                // 2 MiB each. The readers read through the memory map, which
                // needs little cache; the writer changes pages all over the
                // file in a large merge.
                let half_kib = u64::from(tuning.cache_mib) * 1024 / 2;
                let cache_kib = (half_kib / u64::from(pool_size)).max(2048);
                let opts = SqliteConnectOptions::from_str(url.expose())
                    .map_err(|_| AppError::Config("SQLite 数据库地址格式不正确。".into()))?
                    .create_if_missing(true)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .synchronous(SqliteSynchronous::Normal)
                    .pragma("cache_size", format!("-{cache_kib}"))
                    // Statement journals and sorts in memory, not in temporary files.
                    .pragma("temp_store", "memory")
                    // Reads through a shared map of the file: every connection
                    // reads the operating system's cached pages in place
                    // instead of copying them into a small cache of its own.
                    .pragma("mmap_size", MMAP_BYTES.to_string())
                    // Checkpoint every 64 MiB of log instead of every 4 MiB: a page
                    // written by several transactions in a row (an index page during
                    // a large import) is copied back to the database file once.
                    .pragma("wal_autocheckpoint", "16384");
                let opts = if memory {
                    opts
                } else {
                    opts.journal_mode(SqliteJournalMode::Wal)
                };
                // An in-memory database lives in one connection; keep it open.
                let pool_of = |size: u32, opts: SqliteConnectOptions| {
                    SqlitePoolOptions::new()
                        .max_connections(size)
                        .min_connections(if memory { 1 } else { 0 })
                        .idle_timeout(if memory { None } else { Some(Duration::from_secs(600)) })
                        .max_lifetime(if memory { None } else { Some(Duration::from_secs(3600)) })
                        .acquire_timeout(Duration::from_secs(15))
                        .connect_with(opts)
                };
                let opened = |e: sqlx::Error| AppError::Config(format!("无法打开 SQLite 数据库：{}。", brief(&e)));
                let pool = pool_of(pool_size, opts.clone()).await.map_err(opened)?;
                let writer = if memory {
                    pool.clone()
                } else {
                    pool_of(1, opts.pragma("cache_size", format!("-{}", half_kib.max(2048))))
                        .await
                        .map_err(opened)?
                };
                Db::Sqlite(
                    pool,
                    SqliteWriter {
                        pool: writer,
                        turn: Arc::default(),
                    },
                    AuditSlot::default(),
                )
            }
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url.expose())
                    .map_err(|_| AppError::Config("PostgreSQL 数据库地址格式不正确。".into()))?;
                let pool = PgPoolOptions::new()
                    .max_connections(tuning.pool_size.unwrap_or(16).max(1))
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(opts)
                    .await
                    .map_err(|e| {
                        AppError::Config(format!(
                            "无法连接 PostgreSQL 数据库（{}）：{}。",
                            url.redacted(),
                            brief(&e)
                        ))
                    })?;
                Db::Postgres(pool, AuditSlot::default())
            }
        };
        migrate::run(&db, without).await?;
        Ok(db)
    }

    /// Creates the PostgreSQL database `url` names when the server says it
    /// does not exist (`init`, `serve` and `demo` on a fresh server), by
    /// connecting to the server's `postgres` database; returns whether it
    /// created one. When the role may not create databases, the error names
    /// the one command that does. SQLite creates its file on connect.
    pub async fn create_if_missing(url: &DatabaseUrl) -> AppResult<bool> {
        if url.backend() != Backend::Postgres {
            return Ok(false);
        }
        let opts = PgConnectOptions::from_str(url.expose())
            .map_err(|_| AppError::Config("PostgreSQL 数据库地址格式不正确。".into()))?;
        let name = opts.get_database().unwrap_or_default().to_string();
        let missing = match sqlx::ConnectOptions::connect(&opts).await {
            Ok(c) => {
                let _ = sqlx::Connection::close(c).await;
                false
            }
            Err(sqlx::Error::Database(e)) => e.code().as_deref() == Some("3D000"),
            Err(_) => false,
        };
        // Only names the server would take unquoted, so the statement needs no quoting.
        if !missing
            || name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Ok(false);
        }
        let refused = || {
            AppError::Config(format!(
                "PostgreSQL 数据库“{name}”不存在，当前账户也无权创建。请由数据库管理员执行：createdb {name}（或在 psql 中执行 CREATE DATABASE {name};），然后重试。"
            ))
        };
        let mut admin = sqlx::ConnectOptions::connect(&opts.clone().database("postgres"))
            .await
            .map_err(|_| refused())?;
        let created = sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await;
        let _ = sqlx::Connection::close(admin).await;
        match created {
            Ok(_) => Ok(true),
            // Created meanwhile by another process.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => Ok(false),
            Err(_) => Err(refused()),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(..) => Backend::Postgres,
        }
    }

    /// What tells this database apart from the others open in the process
    /// (shared by its clones): the key of what a process remembers about
    /// one database. While a key is kept, no other database can take it.
    pub fn identity(&self) -> DbId {
        match self {
            Db::Sqlite(_, _, slot) | Db::Postgres(_, slot) => DbId(Arc::downgrade(slot)),
        }
    }

    /// Begins a transaction that will write. On SQLite it takes the write
    /// lock at once, so that concurrent writers queue instead of failing.
    pub async fn write(&self) -> AppResult<Tx> {
        Ok(match self {
            Db::Sqlite(_, w, _) => {
                // As long as SQLite's own busy timeout.
                let turn = tokio::time::timeout(Duration::from_secs(10), Arc::clone(&w.turn).lock_owned())
                    .await
                    .map_err(|_| AppError::Db(sqlx::Error::PoolTimedOut))?;
                Tx::new(
                    Conn::Sqlite(w.pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn)),
                    self.audit_key(),
                )
            }
            Db::Postgres(p, _) => Tx::new(Conn::Postgres(p.begin().await?), self.audit_key()),
        })
    }

    /// Begins a read-only unit of work (a consistent snapshot on both backends).
    pub async fn read(&self) -> AppResult<Tx> {
        Ok(match self {
            Db::Sqlite(p, ..) => Tx::new(Conn::Sqlite(p.begin().await?, None), self.audit_key()),
            Db::Postgres(p, _) => Tx::new(
                Conn::Postgres(p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?),
                self.audit_key(),
            ),
        })
    }

    fn slot(&self) -> &AuditSlot {
        match self {
            Db::Sqlite(_, _, s) | Db::Postgres(_, s) => s,
        }
    }

    /// Sets the key (and anchor) of the audit chain for every clone of this
    /// handle; audit records cannot be written before it is set.
    pub fn set_audit_key(&self, key: crate::chain_key::ChainKey) {
        *self.slot().write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(key));
    }

    /// Uses the audit chain's key of `other`, a second handle on the same
    /// database.
    pub fn share_audit_key(&self, other: &Db) {
        *self.slot().write().unwrap_or_else(|p| p.into_inner()) = other.audit_key();
    }

    /// The audit chain's key, once set.
    pub fn audit_key(&self) -> Option<Arc<crate::chain_key::ChainKey>> {
        self.slot().read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether the database answers (`SELECT 1` on a pooled connection),
    /// for the health check.
    pub async fn ping(&self) -> AppResult<()> {
        match self {
            Db::Sqlite(p, ..) => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?,
            Db::Postgres(p, _) => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?,
        }
        Ok(())
    }

    pub fn pool_stats(&self) -> PoolStats {
        match self {
            Db::Sqlite(p, ..) => PoolStats {
                size: p.size(),
                idle: p.num_idle(),
            },
            Db::Postgres(p, _) => PoolStats {
                size: p.size(),
                idle: p.num_idle(),
            },
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, w, _) => {
                w.pool.close().await;
                p.close().await;
            }
            Db::Postgres(p, _) => p.close().await,
        }
    }
}

/// Makes the SQLite database file readable by its owner only, creating it
/// empty (a new database to SQLite) when missing. SQLite creates the WAL
/// and shared-memory files with the mode of the database file, so they
/// follow; existing ones are fixed here too.
fn owner_only(path: &std::path::Path) -> AppResult<()> {
    let fail = |e: std::io::Error| AppError::Config(format!("无法设置数据库文件 {} 的权限：{e}。", path.display()));
    match crate::staging::create_file(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        // No such folder: SQLite says so in its own words.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(fail(e)),
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = path.with_file_name(format!("{name}{suffix}"));
        match crate::staging::restrict(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(e)),
        }
    }
    Ok(())
}

/// The first line of a driver error, without connection details.
fn brief(e: &sqlx::Error) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or_default().chars().take(200).collect()
}

/// A bound value. Each variant encodes natively on both backends.
#[derive(Clone, Debug)]
pub enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    Bytes(Option<Vec<u8>>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
}

macro_rules! arg_from {
    ($t:ty, $v:ident, $e:expr, $o:expr) => {
        impl From<$t> for Arg {
            fn from($v: $t) -> Arg {
                $e
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(o: Option<$t>) -> Arg {
                $o(o)
            }
        }
    };
}
arg_from!(i64, v, Arg::I64(Some(v)), Arg::I64);
arg_from!(String, v, Arg::Text(Some(v)), Arg::Text);
arg_from!(Vec<u8>, v, Arg::Bytes(Some(v)), Arg::Bytes);
arg_from!(DateTime<Utc>, v, Arg::Time(Some(v)), Arg::Time);
arg_from!(NaiveDate, v, Arg::Date(Some(v)), Arg::Date);
macro_rules! arg_from_ids {
    ($($t:ty),*) => {$(
        arg_from!($t, v, Arg::I64(Some(v.0)), |o: Option<$t>| Arg::I64(o.map(|v| v.0)));
    )*};
}
arg_from_ids!(WorkerId, DependantId, RecordId, CaseId, FacilityId, ReportId, UserId);

impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}
impl From<i16> for Arg {
    fn from(v: i16) -> Arg {
        Arg::I64(Some(i64::from(v)))
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Arg {
        Arg::I64(Some(i64::from(v)))
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Arg {
        Arg::Bytes(Some(v.to_vec()))
    }
}

/// SQL text with its arguments. Text is only ever built from fixed fragments
/// and `$N` placeholders; values always travel as bound arguments.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Binds the next `$N` already written in the text.
    pub fn bind(mut self, a: impl Into<Arg>) -> Sql {
        self.args.push(a.into());
        self
    }

    /// Appends a fixed fragment.
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `a`.
    pub fn arg(&mut self, a: impl Into<Arg>) -> &mut Sql {
        self.args.push(a.into());
        let n = self.args.len();
        self.text.push('$');
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends `col IN (a, b, …)` with the values bound; an empty list
    /// matches nothing.
    pub fn in_list<T: Into<Arg>>(&mut self, col: &str, values: impl IntoIterator<Item = T>) -> &mut Sql {
        let mut values = values.into_iter().peekable();
        if values.peek().is_none() {
            return self.push("(1 = 0)");
        }
        self.push(col).push(" IN (");
        for (i, v) in values.enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(v);
        }
        self.push(")")
    }

    /// Appends `(col BETWEEN lo AND hi OR …)`; an empty list matches nothing.
    pub fn in_ranges(&mut self, col: &str, ranges: &[(i64, i64)]) -> &mut Sql {
        if ranges.is_empty() {
            self.push("(1 = 0)");
            return self;
        }
        self.push("(");
        for (i, (lo, hi)) in ranges.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push(col).push(" BETWEEN ").arg(*lo).push(" AND ").arg(*hi);
        }
        self.push(")");
        self
    }

    /// Appends `col LIKE '%s%' ESCAPE '\'`: `col` contains `s` as it is
    /// (`%`, `_` and `\` in `s` match only themselves).
    pub fn like_contains(&mut self, col: &str, s: &str) -> &mut Sql {
        self.push(col).push(" LIKE ").arg(contains_pattern(s)).push(LIKE_ESCAPE)
    }

    /// Appends ` AND col >= s AND col < s || U+10FFFF`: `col` starts with
    /// `prefix` as it is (no character in it is a wildcard), compared in
    /// code-point order, which an index on `col` (on PostgreSQL on
    /// `col COLLATE "C"`) serves on either backend.
    pub fn starts_with(&mut self, backend: Backend, col: &str, prefix: &str) -> &mut Sql {
        let col = match backend {
            Backend::Sqlite => col.to_string(),
            Backend::Postgres => format!("{col} COLLATE \"C\""),
        };
        self.push(" AND ")
            .push(&col)
            .push(" >= ")
            .arg(prefix.to_string())
            .push(" AND ")
            .push(&col)
            .push(" < ")
            .arg(format!("{prefix}\u{10FFFF}"))
    }

    /// Appends `LIMIT n OFFSET m`.
    pub fn page(&mut self, limit: i64, offset: i64) -> &mut Sql {
        self.push(" LIMIT ").arg(limit).push(" OFFSET ").arg(offset);
        self
    }

    /// Appends another fragment with its own `$1…$k`, renumbering them.
    pub fn append(&mut self, other: &Sql) -> &mut Sql {
        let shift = self.args.len();
        let mut chars = other.text.chars().peekable();
        while let Some(c) = chars.next() {
            self.text.push(c);
            if c == '$' {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                match n.parse::<usize>() {
                    Ok(i) => self.text.push_str(&(i + shift).to_string()),
                    Err(_) => self.text.push_str(&n),
                }
            }
        }
        self.args.extend(other.args.iter().cloned());
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The escape clause that goes with [`like_escape`] (the same text on both
/// backends: `\` is the escape character).
pub const LIKE_ESCAPE: &str = " ESCAPE '\\'";

/// `s` with the LIKE wildcards `%` and `_` and the escape `\` escaped, for
/// a pattern followed by [`LIKE_ESCAPE`].
pub fn like_escape(s: &str) -> String {
    let mut p = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p
}

/// `s` as a LIKE pattern matching it anywhere (with [`LIKE_ESCAPE`]).
pub fn contains_pattern(s: &str) -> String {
    format!("%{}%", like_escape(s))
}

/// A row type readable from both backends.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static {}

/// A transaction on either backend. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    conn: Conn,
    /// The audit chain's key, when the database has one.
    audit: Option<Arc<crate::chain_key::ChainKey>>,
    /// The audit chain's head written in this transaction (seq, MAC), to be
    /// anchored outside the database once the transaction has committed.
    audit_head: Option<(i64, [u8; 32])>,
}

/// The connection of a [`Tx`] on its backend.
pub enum Conn {
    /// A transaction, and for a writer its turn in the queue of writers
    /// (released when the transaction ends).
    Sqlite(Transaction<'static, Sqlite>, Option<tokio::sync::OwnedMutexGuard<()>>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    fn new(conn: Conn, audit: Option<Arc<crate::chain_key::ChainKey>>) -> Tx {
        Tx {
            conn,
            audit,
            audit_head: None,
        }
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(..) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// The audit chain's key (None until the key ring is loaded).
    pub(crate) fn audit_key(&self) -> Option<Arc<crate::chain_key::ChainKey>> {
        self.audit.clone()
    }

    /// Notes the audit chain's new head, anchored after the commit.
    pub(crate) fn note_audit_head(&mut self, seq: i64, mac: [u8; 32]) {
        self.audit_head = Some((seq, mac));
    }

    pub async fn commit(self) -> AppResult<()> {
        match self.conn {
            Conn::Sqlite(t, _) => t.commit().await?,
            Conn::Postgres(t) => t.commit().await?,
        }
        if let (Some(key), Some((seq, mac))) = (self.audit, self.audit_head) {
            key.anchor(seq, &mac);
        }
        Ok(())
    }

    /// A statement's text as this connection's backend runs it best: on
    /// SQLite, `$1…$n` used once each and in order become anonymous `?`.
    /// SQLite looks a named parameter up by a linear search, when it
    /// prepares the statement and again when each value is bound, so a
    /// statement of thousands of `$n` (a long `IN` list, a multi-row
    /// insert) costs time quadratic in their number; `?` costs none.
    fn text_for_backend(&self, text: String, args: usize) -> String {
        match self.conn {
            Conn::Sqlite(..) => positional(&text, args).unwrap_or(text),
            Conn::Postgres(_) => text,
        }
    }

    /// Runs a statement; returns the number of rows affected.
    pub async fn exec(&mut self, q: Sql) -> AppResult<u64> {
        let text = AssertSqlSafe(self.text_for_backend(q.text, q.args.len()));
        Ok(match &mut self.conn {
            Conn::Sqlite(t, _) => bind_all!(sqlx::query(text), q.args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            Conn::Postgres(t) => bind_all!(sqlx::query(text), q.args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    pub async fn all<T: Row>(&mut self, q: Sql) -> AppResult<Vec<T>> {
        let text = AssertSqlSafe(self.text_for_backend(q.text, q.args.len()));
        Ok(match &mut self.conn {
            Conn::Sqlite(t, _) => {
                bind_all!(sqlx::query_as::<_, T>(text), q.args)
                    .fetch_all(&mut **t)
                    .await?
            }
            Conn::Postgres(t) => {
                bind_all!(sqlx::query_as::<_, T>(text), q.args)
                    .fetch_all(&mut **t)
                    .await?
            }
        })
    }

    pub async fn opt<T: Row>(&mut self, q: Sql) -> AppResult<Option<T>> {
        let text = AssertSqlSafe(self.text_for_backend(q.text, q.args.len()));
        Ok(match &mut self.conn {
            Conn::Sqlite(t, _) => {
                bind_all!(sqlx::query_as::<_, T>(text), q.args)
                    .fetch_optional(&mut **t)
                    .await?
            }
            Conn::Postgres(t) => {
                bind_all!(sqlx::query_as::<_, T>(text), q.args)
                    .fetch_optional(&mut **t)
                    .await?
            }
        })
    }

    pub async fn one<T: Row>(&mut self, q: Sql) -> AppResult<T> {
        self.opt(q).await?.ok_or(AppError::NotFound)
    }

    /// A single `i64` (counts, ids).
    pub async fn int(&mut self, q: Sql) -> AppResult<i64> {
        let (v,): (i64,) = self.one(q).await?;
        Ok(v)
    }

    /// Serialises writers of the audit chain (PostgreSQL; SQLite's
    /// `BEGIN IMMEDIATE` already does).
    pub async fn lock_audit_chain(&mut self) -> AppResult<()> {
        self.lock_until_commit(7270501).await
    }

    /// Serialises evaluations of the monitoring's rules (two at once would
    /// open the same warnings).
    pub async fn lock_evaluation(&mut self) -> AppResult<()> {
        self.lock_until_commit(7270502).await
    }

    /// Waits for, then holds until commit, the lock `key` (PostgreSQL; a
    /// SQLite writer holds the database's write lock from its start).
    async fn lock_until_commit(&mut self, key: i64) -> AppResult<()> {
        if let Conn::Postgres(_) = self.conn {
            self.exec(Sql::new("SELECT pg_advisory_xact_lock($1)::text IS NULL").bind(key))
                .await?;
        }
        Ok(())
    }

    /// Runs a script of several statements (migrations).
    pub(crate) async fn exec_script(&mut self, script: &str) -> AppResult<()> {
        let text = AssertSqlSafe(script.to_string());
        match &mut self.conn {
            Conn::Sqlite(t, _) => {
                sqlx::raw_sql(text).execute(&mut **t).await?;
            }
            Conn::Postgres(t) => {
                sqlx::raw_sql(text).execute(&mut **t).await?;
            }
        }
        Ok(())
    }
}

/// Whether a driver error is a unique-constraint violation.
pub fn is_unique_violation(e: &AppError) -> bool {
    matches!(e, AppError::Db(sqlx::Error::Database(d)) if d.is_unique_violation())
}

/// Turns a unique-constraint violation into an error on `field` (other
/// errors pass through): `.map_err(unique_as("username", "该用户名已被使用"))`.
pub fn unique_as(field: &'static str, msg: &'static str) -> impl Fn(AppError) -> AppError {
    move |e| {
        if is_unique_violation(&e) {
            AppError::field(field, msg)
        } else {
            e
        }
    }
}

/// `text` with its placeholders `$1…$args` replaced by `?`, when each
/// appears exactly once and in that order (outside quoted literals and
/// identifiers); `None` otherwise, or when there is nothing to replace.
fn positional(text: &str, args: usize) -> Option<String> {
    if args == 0 {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut next = 1;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' => {
                let mut n = 0usize;
                let mut digits = 0;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n.checked_mul(10)?.checked_add(d as usize)?;
                    digits += 1;
                    chars.next();
                }
                if digits == 0 || n != next {
                    return None;
                }
                next += 1;
                out.push('?');
            }
            None => out.push(c),
        }
    }
    (next == args + 1).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_debug_hides_the_password() {
        let u = DatabaseUrl::parse("postgres://app:s3cret@db.local:5432/shm").unwrap();
        assert_eq!(format!("{u:?}"), "DatabaseUrl(postgres://app:***@db.local:5432/shm)");
        assert!(!u.to_string().contains("s3cret"));
        assert_eq!(u.backend(), Backend::Postgres);
        let s = DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap();
        assert_eq!(s.sqlite_path(), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(DatabaseUrl::parse("sqlite::memory:").unwrap().sqlite_path(), None);
        let e = DatabaseUrl::parse("mysql://root@localhost/x").unwrap_err();
        assert!(e.to_string().contains("只支持"));
    }

    #[test]
    fn placeholders_used_once_in_order_become_positional() {
        assert_eq!(positional("a = $1 AND b = $2", 2).as_deref(), Some("a = ? AND b = ?"));
        let many: Vec<String> = (1..=12).map(|i| format!("${i}")).collect();
        let text = format!("x IN ({})", many.join(", "));
        let want = format!("x IN ({})", ["?"; 12].join(", "));
        assert_eq!(positional(&text, 12), Some(want));
        // Quoted `$1` is text, not a placeholder.
        assert_eq!(
            positional("a = '$1' AND \"$2\" = $1", 1).as_deref(),
            Some("a = '$1' AND \"$2\" = ?")
        );
        assert_eq!(
            positional("a = 'it''s' AND b = $1", 1).as_deref(),
            Some("a = 'it''s' AND b = ?")
        );
        // Anything else keeps its names.
        for (text, args) in [
            ("a = $1 OR b = $1", 1),
            ("a = $2 AND b = $1", 2),
            ("a = $1", 2),
            ("a = $1 AND b = $2", 1),
            ("a = $ AND b = $1", 1),
            ("a = 1", 0),
        ] {
            assert_eq!(positional(text, args), None, "{text}");
        }
    }

    #[test]
    fn sql_numbers_placeholders_in_order() {
        let mut q = Sql::new("SELECT 1 FROM t WHERE a = ");
        q.arg(1).push(" AND ");
        q.in_ranges("code", &[(1, 2), (5, 9)]);
        q.page(10, 20);
        assert_eq!(
            q.text(),
            "SELECT 1 FROM t WHERE a = $1 AND (code BETWEEN $2 AND $3 OR code BETWEEN $4 AND $5) LIMIT $6 OFFSET $7"
        );
        let mut w = Sql::new(" AND b = ");
        w.arg(3).push(" AND c IN ($1)");
        let mut outer = Sql::new("x = ");
        outer.arg(1).push(" AND y = ").arg(2);
        outer.append(&w);
        assert_eq!(outer.text(), "x = $1 AND y = $2 AND b = $3 AND c IN ($3)");
        assert_eq!(outer.args.len(), 3);
        let mut none = Sql::new("WHERE ");
        none.in_ranges("code", &[]);
        assert_eq!(none.text(), "WHERE (1 = 0)");
    }
}
