//! The master key that protects personal information at rest. It lives
//! outside the database (a key file, or `SHIMINHUA_KEY` as hex); the database
//! keeps only its fingerprint, so a wrong or missing key is detected at start.

use crate::error::{AppError, AppResult};
use crate::store::{Sql, Tx};
use rand::RngCore;
use sm3::{Digest, Sm3};
use std::fmt;
use std::path::Path;

#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn generate() -> MasterKey {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        MasterKey(k)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn from_hex(s: &str) -> Option<MasterKey> {
        let s = s.trim();
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(MasterKey(k))
    }

    pub fn to_hex(&self) -> String {
        crate::hex(&self.0)
    }

    /// A public fingerprint (not the key): SM3 of a label and the key, first 8 bytes.
    pub fn fingerprint(&self) -> String {
        let mut h = Sm3::new();
        h.update(b"shiminhua-key-fingerprint");
        h.update(self.0);
        crate::hex(&h.finalize()[..8])
    }

    /// Reads the key file.
    pub fn read(path: &Path) -> AppResult<Option<MasterKey>> {
        match std::fs::read_to_string(path) {
            Ok(s) => MasterKey::from_hex(&s).map(Some).ok_or_else(|| {
                AppError::Config(format!("密钥文件 {} 内容无效，应为64位十六进制字符。", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(_) => Err(AppError::Config(format!("无法读取密钥文件 {}。", path.display()))),
        }
    }

    /// Writes a new key file readable by the owner only.
    pub fn write_new(path: &Path) -> AppResult<MasterKey> {
        let key = MasterKey::generate();
        let fail = |_| AppError::Config(format!("无法写入密钥文件 {}。", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(path).map_err(fail)?;
        std::io::Write::write_all(&mut f, format!("{}\n", key.to_hex()).as_bytes()).map_err(fail)?;
        Ok(key)
    }
}

/// Checks the key against the fingerprint stored in the database, or
/// records it when the database has none yet. `may_create` allows writing a
/// new key file for a database that has no key yet (`init`).
pub async fn load_for(tx: &mut Tx, path: &Path, env_key: Option<String>, may_create: bool) -> AppResult<MasterKey> {
    let stored: Option<(String,)> = tx
        .opt(Sql::new("SELECT value FROM settings WHERE key = 'key_fingerprint'"))
        .await?;
    let key = match env_key {
        Some(h) => Some(
            MasterKey::from_hex(&h)
                .ok_or_else(|| AppError::Config("环境变量 SHIMINHUA_KEY 无效，应为64位十六进制字符。".into()))?,
        ),
        None => MasterKey::read(path)?,
    };
    match (key, stored) {
        (Some(k), Some((fp,))) if k.fingerprint() == fp => Ok(k),
        (Some(_), Some(_)) => Err(AppError::Config(format!(
            "密钥文件 {} 与数据库不匹配，请使用初始化时生成的密钥文件。",
            path.display()
        ))),
        (None, Some(_)) => Err(AppError::Config(format!(
            "找不到密钥文件 {}。数据库已初始化，必须使用原密钥文件才能启动，请从备份中恢复该文件。",
            path.display()
        ))),
        (key, None) => {
            let k = match key {
                Some(k) => k,
                None if may_create => MasterKey::write_new(path)?,
                None => {
                    return Err(AppError::Config(format!(
                        "找不到密钥文件 {}，请先运行 shiminhua init。",
                        path.display()
                    )));
                }
            };
            tx.exec(Sql::new("INSERT INTO settings (key, value) VALUES ('key_fingerprint', $1)").bind(k.fingerprint()))
                .await?;
            Ok(k)
        }
    }
}
