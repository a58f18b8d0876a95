//! Layered configuration: defaults → `shiminhua.toml` → `SHIMINHUA_*`
//! environment variables → command-line flags. Secrets may come from files
//! (`SHIMINHUA_DATABASE_URL_FILE`, `database_url_file`).

use crate::error::{AppError, AppResult};
use crate::store::{DatabaseUrl, DbTuning};
use serde::Deserialize;
use shiminhua_core::password::PasswordPolicy;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub key_file: PathBuf,
    pub listen: String,
    pub password: PasswordPolicy,
    pub security: Security,
    /// `text` or `json`.
    pub log_format: String,
    pub public: Public,
    /// Proxies whose forwarding headers name the client (`[server]
    /// trusted_proxies`).
    pub trusted_proxies: TrustedProxies,
    /// Where and to whom `/metrics` is served.
    pub metrics: MetricsAccess,
    /// The pool's connections and SQLite's page cache (`[database]`).
    pub db_tuning: DbTuning,
}

/// The `[database]` table of the file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DatabaseFile {
    /// Connections of the pool (default 8 on SQLite, 16 on PostgreSQL).
    pool_size: Option<u32>,
    /// SQLite's page cache for the whole pool, in MiB (default 64).
    cache_mb: Option<u32>,
}

/// The `[database]` settings, from the file and then the environment
/// (`SHIMINHUA_DB_POOL_SIZE`, `SHIMINHUA_DB_CACHE_MB`), within bounds.
fn db_tuning(file: DatabaseFile, env: &dyn Fn(&str) -> Option<String>) -> AppResult<DbTuning> {
    let number = |name: &str, key: &str, v: Option<u32>, lo: u32, hi: u32| -> AppResult<Option<u32>> {
        let v = match env(name) {
            Some(text) => Some(
                text.trim()
                    .parse::<u32>()
                    .map_err(|_| AppError::Config(format!("环境变量 {name} 应为{lo}至{hi}之间的整数。")))?,
            ),
            None => v,
        };
        match v {
            Some(n) if !(lo..=hi).contains(&n) => Err(AppError::Config(format!(
                "[database] {key} 应为{lo}至{hi}之间的整数（环境变量 {name}），现为 {n}。"
            ))),
            v => Ok(v),
        }
    };
    Ok(DbTuning {
        pool_size: number("SHIMINHUA_DB_POOL_SIZE", "pool_size", file.pool_size, 1, 256)?,
        cache_mib: number("SHIMINHUA_DB_CACHE_MB", "cache_mb", file.cache_mb, 8, 65_536)?
            .unwrap_or(DbTuning::DEFAULT_CACHE_MIB),
    })
}

/// The `[server]` table of the file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Server {
    /// Addresses (`10.0.0.5`) or networks (`10.0.0.0/24`) of reverse proxies
    /// whose `X-Forwarded-For` / `X-Real-IP` are believed.
    trusted_proxies: Vec<String>,
}

/// The reverse proxies whose forwarding headers are believed: addresses
/// and networks (prefix length).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.5`, `10.0.0.0/24`, `::1`, `fd00::/8`.
    pub fn parse(items: &[String]) -> AppResult<TrustedProxies> {
        let mut out = Vec::new();
        for item in items {
            let t = item.trim();
            let (addr, len) = match t.split_once('/') {
                Some((a, l)) => (a, Some(l)),
                None => (t, None),
            };
            let bad = || {
                AppError::Config(format!(
                    "[server] trusted_proxies 中的“{t}”不是有效的IP地址或网段（如 10.0.0.5 或 10.0.0.0/24）。"
                ))
            };
            let ip: IpAddr = addr.parse().map_err(|_| bad())?;
            let ip = canonical(ip);
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = match len {
                Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(bad)?,
                None => max,
            };
            out.push((ip, len));
        }
        Ok(TrustedProxies(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|&(net, len)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }
}

/// IPv4 mapped into IPv6 as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The `[metrics]` table of the file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MetricsFile {
    token: Option<String>,
    token_file: Option<PathBuf>,
    listen: Option<String>,
}

/// How `/metrics` is served: with neither a token nor a listen address of
/// its own, it is not served at all.
#[derive(Clone, Default)]
pub struct MetricsAccess {
    /// Required as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// A listen address of its own (e.g. `127.0.0.1:9100`); the main
    /// address then does not serve `/metrics`.
    pub listen: Option<String>,
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsAccess")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("listen", &self.listen)
            .finish()
    }
}

/// Whether a listen address is on the loopback interface only.
pub fn is_loopback(listen: &str) -> bool {
    let host = match listen.rsplit_once(':') {
        Some((h, _)) => h,
        None => listen,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| canonical(ip).is_loopback())
}

/// Pages for the public, without signing in (see `docs/operations.md`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Public {
    /// 公开进度: the city's aggregate progress on the plan's targets. Off
    /// unless switched on.
    pub progress: bool,
    /// 反映欠薪问题 and 进度查询 (`/public/cases/...`): the workers' own
    /// channel for wage arrears. On unless switched off.
    pub cases: bool,
    /// Reports (form submissions) one client address may send per hour;
    /// 0: no limit.
    pub submissions_per_hour: u32,
    /// Lookups one client address may make per minute; 0: no limit.
    pub lookups_per_minute: u32,
    /// The arithmetic question on the report form (answer bound to a
    /// signed, expiring, single-use token). On unless switched off.
    pub challenge: bool,
}

impl Default for Public {
    fn default() -> Public {
        Public {
            progress: false,
            cases: true,
            submissions_per_hour: 20,
            lookups_per_minute: 20,
            challenge: true,
        }
    }
}

fn env_flag(v: &str) -> bool {
    matches!(v, "1" | "true" | "yes")
}

fn env_count(name: &str, v: &str) -> AppResult<u32> {
    v.trim()
        .parse::<u32>()
        .map_err(|_| AppError::Config(format!("环境变量 {name} 应为不小于0的整数（0表示不限制）。")))
}

/// Sign-in and session rules (等保2.0 8.1.4.1).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Security {
    pub session_idle_minutes: i64,
    pub lockout_threshold: i64,
    pub lockout_minutes: i64,
    /// Mark cookies `Secure` (and send `Strict-Transport-Security`). As
    /// resolved: the file's or environment's setting, otherwise on unless
    /// the server listens on loopback only.
    #[serde(skip)]
    pub cookie_secure: bool,
    /// `cookie_secure` as the file gives it (`None`: by the listen address).
    #[serde(rename = "cookie_secure")]
    pub cookie_secure_setting: Option<bool>,
    /// Failed sign-ins (password or second factor) one client address may
    /// make per minute before it is answered 429; 0: no limit.
    pub login_per_minute_per_addr: u32,
    /// Failed sign-ins per minute for one user name, from anywhere; 0: no
    /// limit.
    pub login_per_minute_per_user: u32,
}

impl Default for Security {
    fn default() -> Security {
        Security {
            session_idle_minutes: 30,
            lockout_threshold: 5,
            lockout_minutes: 15,
            cookie_secure: false,
            cookie_secure_setting: None,
            login_per_minute_per_addr: 10,
            login_per_minute_per_user: 10,
        }
    }
}

/// The level-3 floor of the sign-in rules (等保2.0 8.1.4.1 a and b, see
/// `docs/security.md`): every setting below it, each named with its floor,
/// or `Ok` when none is.
pub fn check_floor(password: &PasswordPolicy, security: &Security) -> AppResult<()> {
    let mut below = Vec::new();
    if password.min_len < 8 {
        below.push(format!(
            "口令长度不得少于8位（[password] min_len = {}）",
            password.min_len
        ));
    }
    if password.min_classes < 3 {
        below.push(format!(
            "口令须至少包含3类字符（[password] min_classes = {}）",
            password.min_classes
        ));
    }
    if password.history < 5 {
        below.push(format!(
            "口令历史不得少于5次（[password] history = {}）",
            password.history
        ));
    }
    if !(1..=90).contains(&password.max_age_days) {
        below.push(format!(
            "口令最长使用期限不得超过90天且不能不限期（[password] max_age_days = {}）",
            password.max_age_days
        ));
    }
    if !(1..=5).contains(&security.lockout_threshold) {
        below.push(format!(
            "登录连续失败不得超过5次即锁定（[security] lockout_threshold = {}）",
            security.lockout_threshold
        ));
    }
    if security.lockout_minutes < 10 {
        below.push(format!(
            "登录失败锁定时间不得少于10分钟（[security] lockout_minutes = {}）",
            security.lockout_minutes
        ));
    }
    if !(1..=30).contains(&security.session_idle_minutes) {
        below.push(format!(
            "会话空闲超时不得超过30分钟（[security] session_idle_minutes = {}）",
            security.session_idle_minutes
        ));
    }
    if below.is_empty() {
        Ok(())
    } else {
        Err(AppError::Config(format!(
            "配置低于等保三级要求：{}。请修改配置文件后再启动（仅演示环境 serve --demo 可低于此要求）。",
            below.join("；")
        )))
    }
}

/// The file `shiminhua.toml`; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    database_url_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    listen: Option<String>,
    log_format: Option<String>,
    password: Option<PasswordPolicy>,
    security: Option<Security>,
    public: Option<Public>,
    server: Option<Server>,
    metrics: Option<MetricsFile>,
    database: Option<DatabaseFile>,
}

/// Values given on the command line; they win over everything else.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub listen: Option<String>,
    /// The demo (`serve --demo`, `demo`): settings below the level-3 floor
    /// are allowed.
    pub demo: bool,
}

impl Config {
    /// Loads the configuration; `env` reads an environment variable (injected for tests).
    pub fn load(over: &Overrides, env: &dyn Fn(&str) -> Option<String>) -> AppResult<Config> {
        let data_dir = over
            .data_dir
            .clone()
            .or_else(|| env("SHIMINHUA_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("shiminhua-data"));
        let file_path = env("SHIMINHUA_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("shiminhua.toml"));
        let file = read_file_config(&file_path, env("SHIMINHUA_CONFIG").is_some())?;

        let database = match (
            &over.database,
            env("SHIMINHUA_DATABASE_URL"),
            env("SHIMINHUA_DATABASE_URL_FILE"),
        ) {
            (Some(u), _, _) => Some(u.clone()),
            (None, Some(u), _) => Some(u),
            (None, None, Some(f)) => Some(read_secret(Path::new(&f))?),
            (None, None, None) => match (&file.database_url, &file.database_url_file) {
                (Some(u), _) => Some(u.clone()),
                (None, Some(f)) => Some(read_secret(f)?),
                (None, None) => None,
            },
        };
        let database = match database {
            Some(u) => DatabaseUrl::parse(&u)?,
            None => DatabaseUrl::sqlite_file(&data_dir.join("shiminhua.db")),
        };
        let key_file = env("SHIMINHUA_KEY_FILE")
            .map(PathBuf::from)
            .or(file.key_file)
            .unwrap_or_else(|| data_dir.join("shiminhua.key"));
        let listen = over
            .listen
            .clone()
            .or_else(|| env("SHIMINHUA_LISTEN"))
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let log_format = env("SHIMINHUA_LOG_FORMAT")
            .or(file.log_format)
            .unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            return Err(AppError::Config("日志格式只能是 text 或 json。".into()));
        }
        let mut security = file.security.unwrap_or_default();
        if let Some(v) = env("SHIMINHUA_COOKIE_SECURE") {
            security.cookie_secure_setting = Some(env_flag(&v));
        }
        security.cookie_secure = security.cookie_secure_setting.unwrap_or(!is_loopback(&listen));
        if let Some(v) = env("SHIMINHUA_LOGIN_PER_MINUTE_PER_ADDR") {
            security.login_per_minute_per_addr = env_count("SHIMINHUA_LOGIN_PER_MINUTE_PER_ADDR", &v)?;
        }
        if let Some(v) = env("SHIMINHUA_LOGIN_PER_MINUTE_PER_USER") {
            security.login_per_minute_per_user = env_count("SHIMINHUA_LOGIN_PER_MINUTE_PER_USER", &v)?;
        }
        let proxies: Vec<String> = match env("SHIMINHUA_TRUSTED_PROXIES") {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            None => file.server.unwrap_or_default().trusted_proxies,
        };
        let trusted_proxies = TrustedProxies::parse(&proxies)?;
        let m = file.metrics.unwrap_or_default();
        let token = match (env("SHIMINHUA_METRICS_TOKEN"), env("SHIMINHUA_METRICS_TOKEN_FILE")) {
            (Some(t), _) => Some(t),
            (None, Some(f)) => Some(read_secret(Path::new(&f))?),
            (None, None) => match (m.token, m.token_file) {
                (Some(t), _) => Some(t),
                (None, Some(f)) => Some(read_secret(&f)?),
                (None, None) => None,
            },
        };
        let token = token.map(|t| t.trim().to_string());
        if token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(AppError::Config("[metrics] token 至少应有16个字符。".into()));
        }
        let metrics = MetricsAccess {
            token,
            listen: env("SHIMINHUA_METRICS_LISTEN").or(m.listen),
        };
        let mut public = file.public.unwrap_or_default();
        if let Some(v) = env("SHIMINHUA_PUBLIC_PROGRESS") {
            public.progress = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("SHIMINHUA_PUBLIC_CASES") {
            public.cases = env_flag(&v);
        }
        if let Some(v) = env("SHIMINHUA_PUBLIC_CHALLENGE") {
            public.challenge = env_flag(&v);
        }
        if let Some(v) = env("SHIMINHUA_PUBLIC_SUBMISSIONS_PER_HOUR") {
            public.submissions_per_hour = env_count("SHIMINHUA_PUBLIC_SUBMISSIONS_PER_HOUR", &v)?;
        }
        if let Some(v) = env("SHIMINHUA_PUBLIC_LOOKUPS_PER_MINUTE") {
            public.lookups_per_minute = env_count("SHIMINHUA_PUBLIC_LOOKUPS_PER_MINUTE", &v)?;
        }
        let db_tuning = db_tuning(file.database.unwrap_or_default(), env)?;
        let password = file.password.unwrap_or_default();
        if !over.demo {
            check_floor(&password, &security)?;
        }
        Ok(Config {
            data_dir,
            database,
            key_file,
            listen,
            password,
            security,
            log_format,
            public,
            trusted_proxies,
            metrics,
            db_tuning,
        })
    }
}

fn read_file_config(path: &Path, required: bool) -> AppResult<FileConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(1);
            AppError::Config(format!("配置文件 {} 第{}行有误：{}", path.display(), line, e.message()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(FileConfig::default()),
        Err(_) => Err(AppError::Config(format!("无法读取配置文件 {}。", path.display()))),
    }
}

fn read_secret(path: &Path) -> AppResult<String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|_| AppError::Config(format!("无法读取密钥文件 {}。", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = std::env::temp_dir().join(format!("shm-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("shiminhua.toml"),
            "listen = \"127.0.0.1:9000\"\n[security]\nsession_idle_minutes = 20\n[password]\nmax_age_days = 60\n[public]\nprogress = true\n",
        )
        .unwrap();
        let secret = dir.join("db-url");
        std::fs::write(&secret, "postgres://u:pw@h/db\n").unwrap();
        let over = Overrides {
            data_dir: Some(dir.clone()),
            ..Default::default()
        };
        let c = Config::load(&over, &env_of(&[])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000");
        assert_eq!(c.security.session_idle_minutes, 20);
        assert_eq!(c.security.lockout_threshold, 5);
        assert_eq!(c.password.max_age_days, 60);
        assert_eq!(c.password.min_len, 8);
        assert_eq!(c.database.sqlite_path(), Some(dir.join("shiminhua.db")));
        assert!(c.public.progress);

        let c = Config::load(
            &over,
            &env_of(&[
                ("SHIMINHUA_LISTEN", "0.0.0.0:80"),
                ("SHIMINHUA_PUBLIC_PROGRESS", "false"),
                ("SHIMINHUA_DATABASE_URL_FILE", secret.to_str().unwrap()),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:80");
        assert!(!c.public.progress);
        assert_eq!(c.database.expose(), "postgres://u:pw@h/db");
        assert!(!format!("{c:?}").contains("pw@"), "Debug must hide the password");

        let over2 = Overrides {
            data_dir: Some(dir.clone()),
            listen: Some("127.0.0.1:1".into()),
            database: Some("sqlite::memory:".into()),
            demo: false,
        };
        let c = Config::load(&over2, &env_of(&[("SHIMINHUA_LISTEN", "0.0.0.0:80")])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert_eq!(c.database.expose(), "sqlite::memory:");

        std::fs::write(dir.join("shiminhua.toml"), "listen = 3\n").unwrap();
        let e = Config::load(&over, &env_of(&[])).unwrap_err().to_string();
        assert!(e.contains("第1行"), "{e}");
        std::fs::write(dir.join("shiminhua.toml"), "[password]\nmin_len = 6\n").unwrap();
        assert!(Config::load(&over, &env_of(&[])).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn database_pool_and_cache_come_from_the_file_then_the_environment() {
        let dir = std::env::temp_dir().join(format!("shm-cfg-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let over = Overrides {
            data_dir: Some(dir.clone()),
            ..Default::default()
        };
        let c = Config::load(&over, &env_of(&[])).unwrap();
        assert_eq!(c.db_tuning, DbTuning::default());
        assert_eq!(c.db_tuning.cache_mib, DbTuning::DEFAULT_CACHE_MIB);
        std::fs::write(
            dir.join("shiminhua.toml"),
            "[database]
pool_size = 4
cache_mb = 48
",
        )
        .unwrap();
        let c = Config::load(&over, &env_of(&[])).unwrap();
        assert_eq!((c.db_tuning.pool_size, c.db_tuning.cache_mib), (Some(4), 48));
        let c = Config::load(&over, &env_of(&[("SHIMINHUA_DB_CACHE_MB", "200")])).unwrap();
        assert_eq!((c.db_tuning.pool_size, c.db_tuning.cache_mib), (Some(4), 200));
        let e = Config::load(&over, &env_of(&[("SHIMINHUA_DB_POOL_SIZE", "很多")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("SHIMINHUA_DB_POOL_SIZE"), "{e}");
        std::fs::write(
            dir.join("shiminhua.toml"),
            "[database]
pool_size = 0
",
        )
        .unwrap();
        let e = Config::load(&over, &env_of(&[])).unwrap_err().to_string();
        assert!(e.contains("pool_size") && e.contains("1至256"), "{e}");
        std::fs::write(
            dir.join("shiminhua.toml"),
            "[database]
cache = 1
",
        )
        .unwrap();
        assert!(Config::load(&over, &env_of(&[])).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn public_case_pages_settings() {
        let over = Overrides {
            database: Some("sqlite::memory:".into()),
            ..Default::default()
        };
        let c = Config::load(&over, &env_of(&[])).unwrap();
        assert!(c.public.cases && c.public.challenge && !c.public.progress);
        assert_eq!((c.public.submissions_per_hour, c.public.lookups_per_minute), (20, 20));
        let c = Config::load(
            &over,
            &env_of(&[
                ("SHIMINHUA_PUBLIC_CASES", "false"),
                ("SHIMINHUA_PUBLIC_CHALLENGE", "0"),
                ("SHIMINHUA_PUBLIC_SUBMISSIONS_PER_HOUR", "0"),
                ("SHIMINHUA_PUBLIC_LOOKUPS_PER_MINUTE", "7"),
            ]),
        )
        .unwrap();
        assert!(!c.public.cases && !c.public.challenge);
        assert_eq!((c.public.submissions_per_hour, c.public.lookups_per_minute), (0, 7));
        let e = Config::load(&over, &env_of(&[("SHIMINHUA_PUBLIC_LOOKUPS_PER_MINUTE", "-1")])).unwrap_err();
        assert!(e.to_string().contains("SHIMINHUA_PUBLIC_LOOKUPS_PER_MINUTE"), "{e}");
        let p: Public = toml::from_str("cases = false\nsubmissions_per_hour = 3\n").unwrap();
        assert!(!p.cases && p.challenge);
        assert_eq!(p.submissions_per_hour, 3);
    }

    fn load_toml(toml: &str, demo: bool, env: &[(&str, &str)]) -> AppResult<Config> {
        let dir = std::env::temp_dir().join(format!("shm-cfg-floor-{}-{}", std::process::id(), rand_tag()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("shiminhua.toml"), toml).unwrap();
        let over = Overrides {
            data_dir: Some(dir.clone()),
            demo,
            ..Default::default()
        };
        let r = Config::load(&over, &env_of(env));
        std::fs::remove_dir_all(&dir).unwrap();
        r
    }

    fn rand_tag() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::Relaxed)
    }

    #[test]
    fn settings_below_the_level_3_floor_are_refused() {
        let cases = [
            (
                "[password]\nhistory = 0\n",
                "口令历史不得少于5次（[password] history = 0）",
            ),
            ("[password]\nhistory = 4\n", "口令历史不得少于5次"),
            ("[password]\nmax_age_days = 36500\n", "口令最长使用期限不得超过90天"),
            ("[password]\nmax_age_days = 0\n", "max_age_days = 0"),
            ("[password]\nmin_len = 6\n", "口令长度不得少于8位"),
            (
                "[security]\nlockout_threshold = 100000\n",
                "登录连续失败不得超过5次即锁定（[security] lockout_threshold = 100000）",
            ),
            ("[security]\nlockout_threshold = 0\n", "lockout_threshold = 0"),
            ("[security]\nlockout_minutes = 9\n", "登录失败锁定时间不得少于10分钟"),
            ("[security]\nsession_idle_minutes = 31\n", "会话空闲超时不得超过30分钟"),
        ];
        for (toml, needle) in cases {
            let e = load_toml(toml, false, &[]).unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("等保三级"), "{toml}: {e}");
            // The demo may go below.
            assert!(load_toml(toml, true, &[]).is_ok(), "{toml}");
        }
        // Every setting below is named at once.
        let e = load_toml(
            "[password]\nhistory = 0\nmax_age_days = 36500\n[security]\nlockout_threshold = 100000\n",
            false,
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("history") && e.contains("max_age_days") && e.contains("lockout_threshold"),
            "{e}"
        );
        // The floor itself is allowed.
        let ok = "[password]\nhistory = 5\nmax_age_days = 90\n[security]\nlockout_threshold = 5\nlockout_minutes = 10\nsession_idle_minutes = 30\n";
        assert!(load_toml(ok, false, &[]).is_ok());
        assert!(check_floor(&PasswordPolicy::default(), &Security::default()).is_ok());
    }

    #[test]
    fn cookies_are_secure_unless_on_loopback() {
        for (listen, secure) in [
            ("127.0.0.1:8080", false),
            ("[::1]:8080", false),
            ("localhost:8080", false),
            ("0.0.0.0:8080", true),
            ("[::]:8080", true),
            ("10.1.2.3:80", true),
        ] {
            let c = load_toml(&format!("listen = \"{listen}\"\n"), false, &[]).unwrap();
            assert_eq!(c.security.cookie_secure, secure, "{listen}");
        }
        // Forced either way by the file or the environment.
        let c = load_toml(
            "listen = \"0.0.0.0:80\"\n[security]\ncookie_secure = false\n",
            false,
            &[],
        )
        .unwrap();
        assert!(!c.security.cookie_secure);
        let c = load_toml("[security]\ncookie_secure = true\n", false, &[]).unwrap();
        assert!(c.security.cookie_secure);
        let c = load_toml("listen = \"0.0.0.0:80\"\n", false, &[("SHIMINHUA_COOKIE_SECURE", "0")]).unwrap();
        assert!(!c.security.cookie_secure);
    }

    #[test]
    fn trusted_proxies_metrics_and_sign_in_limits() {
        let c = load_toml(
            "[server]\ntrusted_proxies = [\"10.0.0.5\", \"192.168.0.0/16\", \"fd00::/8\"]\n[metrics]\ntoken = \"0123456789abcdef0123\"\nlisten = \"127.0.0.1:9100\"\n[security]\nlogin_per_minute_per_addr = 3\n",
            false,
            &[],
        )
        .unwrap();
        let p = &c.trusted_proxies;
        assert!(p.contains("10.0.0.5".parse().unwrap()));
        assert!(!p.contains("10.0.0.6".parse().unwrap()));
        assert!(p.contains("192.168.44.1".parse().unwrap()));
        assert!(p.contains("::ffff:10.0.0.5".parse().unwrap()));
        assert!(p.contains("fd12::1".parse().unwrap()));
        assert!(!p.contains("2001:db8::1".parse().unwrap()));
        assert_eq!(c.metrics.token.as_deref(), Some("0123456789abcdef0123"));
        assert_eq!(c.metrics.listen.as_deref(), Some("127.0.0.1:9100"));
        assert!(
            !format!("{c:?}").contains("0123456789abcdef0123"),
            "Debug hides the token"
        );
        assert_eq!(c.security.login_per_minute_per_addr, 3);
        assert_eq!(c.security.login_per_minute_per_user, 10);
        // Defaults: no proxy, no metrics.
        let c = load_toml("", false, &[]).unwrap();
        assert!(c.trusted_proxies.is_empty() && c.metrics.token.is_none() && c.metrics.listen.is_none());
        let e = load_toml("[server]\ntrusted_proxies = [\"10.0.0.0/40\"]\n", false, &[]).unwrap_err();
        assert!(e.to_string().contains("10.0.0.0/40"), "{e}");
        let e = load_toml("[metrics]\ntoken = \"short\"\n", false, &[]).unwrap_err();
        assert!(e.to_string().contains("16"), "{e}");
        let c = load_toml("", false, &[("SHIMINHUA_TRUSTED_PROXIES", "127.0.0.1, ::1")]).unwrap();
        assert!(c.trusted_proxies.contains("127.0.0.1".parse().unwrap()));
        assert!(c.trusted_proxies.contains("::1".parse().unwrap()));
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let e = Config::load(
            &Overrides {
                database: Some("mysql://x".into()),
                ..Default::default()
            },
            &env_of(&[]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("数据库地址无法识别"));
    }
}
