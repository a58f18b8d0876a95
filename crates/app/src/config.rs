//! Layered configuration: defaults → `shiminhua.toml` → `SHIMINHUA_*`
//! environment variables → command-line flags. Secrets may come from files
//! (`SHIMINHUA_DATABASE_URL_FILE`, `database_url_file`).

use crate::error::{AppError, AppResult};
use crate::store::DatabaseUrl;
use serde::Deserialize;
use shiminhua_core::password::PasswordPolicy;
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
    /// Mark cookies `Secure`; set when the server is reached over HTTPS.
    pub cookie_secure: bool,
}

impl Default for Security {
    fn default() -> Security {
        Security {
            session_idle_minutes: 30,
            lockout_threshold: 5,
            lockout_minutes: 15,
            cookie_secure: false,
        }
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
}

/// Values given on the command line; they win over everything else.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub listen: Option<String>,
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
            security.cookie_secure = matches!(v.as_str(), "1" | "true" | "yes");
        }
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
        let password = file.password.unwrap_or_default();
        if password.min_len < 8 || password.min_classes < 3 {
            return Err(AppError::Config(
                "密码策略不能低于等保三级要求：长度至少8位，至少包含3类字符。".into(),
            ));
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
