//! The keys that protect personal information at rest. They live outside the
//! database (a key file, or `SHIMINHUA_KEY` as hex); the database keeps only
//! the current key's fingerprint, so a wrong or missing key is detected at
//! start.
//!
//! The key file is a key ring: the first line is the current key (new values
//! are sealed with it), further lines are older keys that may still open
//! values, and an `index` line holds the blind-index key, which does not
//! change when the encryption key is rotated (so searches keep working while
//! a rotation runs). An `audit` line holds the audit chain's key, which does
//! not change on rotation either (rows chained under it must keep verifying;
//! see `docs/decisions/0004-audit-chain.md`). A file of one line — one key,
//! the index and audit keys derived from it — is the form `init` writes.

use crate::error::{AppError, AppResult};
use crate::store::{Sql, Tx};
use rand::RngCore;
pub(crate) use shiminhua_core::kdf::derive;
use sm3::{Digest, Sm3};
use std::fmt;
use std::path::Path;

/// The label that derives the blind-index key from the first master key.
pub(crate) const INDEX_LABEL: &[u8] = b"shiminhua/pii-index/hmac-sm3/v1";

/// The label that derives the audit chain's key from the first master key.
const AUDIT_LABEL: &[u8] = b"shiminhua/audit-chain/hmac-sm3/v1";

#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(k)
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
        hex32(s).map(MasterKey)
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
}

/// The current key, older keys, the blind-index key and the audit chain's key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRing {
    keys: Vec<MasterKey>,
    index: [u8; 32],
    audit: [u8; 32],
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyRing({} keys)", self.keys.len())
    }
}

impl KeyRing {
    /// A ring of one key, its index key derived from it.
    pub fn single(key: MasterKey) -> KeyRing {
        let index = derive(key.bytes(), INDEX_LABEL);
        let audit = derive(key.bytes(), AUDIT_LABEL);
        KeyRing {
            keys: vec![key],
            index,
            audit,
        }
    }

    /// The audit chain's HMAC-SM3 key.
    pub fn audit_key(&self) -> &[u8; 32] {
        &self.audit
    }

    /// The audit chain's key, anchored in `data_dir`.
    pub fn chain_key(&self, data_dir: &Path) -> crate::chain_key::ChainKey {
        crate::chain_key::ChainKey::new(&self.audit, data_dir.join(crate::chain_key::ANCHOR_FILE))
    }

    pub fn current(&self) -> &MasterKey {
        &self.keys[0]
    }

    pub fn keys(&self) -> &[MasterKey] {
        &self.keys
    }

    pub fn index_key(&self) -> &[u8; 32] {
        &self.index
    }

    /// A ring with a new current key in front of the old ones.
    pub fn rotated(&self) -> KeyRing {
        let mut keys = vec![MasterKey::generate()];
        keys.extend(self.keys.iter().cloned());
        KeyRing {
            keys,
            index: self.index,
            audit: self.audit,
        }
    }

    /// The ring without its older keys (once nothing is sealed with them).
    pub fn current_only(&self) -> KeyRing {
        KeyRing {
            keys: vec![self.current().clone()],
            index: self.index,
            audit: self.audit,
        }
    }

    pub fn parse(text: &str) -> Option<KeyRing> {
        let mut keys = Vec::new();
        let mut index = None;
        let mut audit = None;
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if let Some(h) = line.strip_prefix("index ") {
                index = Some(hex32(h)?);
            } else if let Some(h) = line.strip_prefix("audit ") {
                audit = Some(hex32(h)?);
            } else {
                keys.push(MasterKey::from_hex(line)?);
            }
        }
        let derived = KeyRing::single(keys.first()?.clone());
        Some(KeyRing {
            keys,
            index: index.unwrap_or(derived.index),
            audit: audit.unwrap_or(derived.audit),
        })
    }

    fn to_text(&self) -> String {
        let mut s = String::from(
            "# shiminhua 密钥文件：第一行为当前密钥，其后为旧密钥；index 行为检索索引密钥，audit 行为审计日志密钥。请妥善备份，切勿外传。\n",
        );
        for k in &self.keys {
            s.push_str(&k.to_hex());
            s.push('\n');
        }
        s.push_str("index ");
        s.push_str(&crate::hex(&self.index));
        s.push('\n');
        s.push_str("audit ");
        s.push_str(&crate::hex(&self.audit));
        s.push('\n');
        s
    }

    /// Reads the key file (None when it does not exist).
    pub fn read(path: &Path) -> AppResult<Option<KeyRing>> {
        match std::fs::read_to_string(path) {
            Ok(s) => KeyRing::parse(&s).map(Some).ok_or_else(|| {
                AppError::Config(format!(
                    "密钥文件 {} 内容无效，每行应为64位十六进制字符。",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(_) => Err(AppError::Config(format!("无法读取密钥文件 {}。", path.display()))),
        }
    }

    /// Writes the ring to `path` atomically, readable by the owner only.
    pub fn write(&self, path: &Path) -> AppResult<()> {
        let fail = |_| AppError::Config(format!("无法写入密钥文件 {}。", path.display()));
        if let Some(dir) = path.parent() {
            crate::staging::create_dirs(dir).map_err(fail)?;
        }
        let tmp = path.with_extension("key.new");
        let _ = std::fs::remove_file(&tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(fail)?;
        std::io::Write::write_all(&mut f, self.to_text().as_bytes()).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)
    }
}

/// Checks the key ring against the fingerprint stored in the database, or
/// records it when the database has none yet. `may_create` allows writing a
/// new key file for a database that has no key yet (`init`).
pub async fn load_for(tx: &mut Tx, path: &Path, env_key: Option<String>, may_create: bool) -> AppResult<KeyRing> {
    let stored: Option<(String,)> = tx
        .opt(Sql::new("SELECT value FROM settings WHERE key = 'key_fingerprint'"))
        .await?;
    let ring = match env_key {
        Some(h) => Some(
            KeyRing::parse(&h.replace(',', "\n"))
                .ok_or_else(|| AppError::Config("环境变量 SHIMINHUA_KEY 无效，应为64位十六进制字符。".into()))?,
        ),
        None => KeyRing::read(path)?,
    };
    match (ring, stored) {
        // Any key of the ring may match: a rotation records the new key last.
        (Some(r), Some((fp,))) if r.keys.iter().any(|k| k.fingerprint() == fp) => Ok(r),
        (Some(_), Some(_)) => Err(AppError::Config(format!(
            "密钥文件 {} 与数据库不匹配，请使用初始化时生成的密钥文件。",
            path.display()
        ))),
        (None, Some(_)) => Err(AppError::Config(format!(
            "找不到密钥文件 {}。数据库已初始化，必须使用原密钥文件才能启动，请从备份中恢复该文件。",
            path.display()
        ))),
        (ring, None) => {
            let r = match ring {
                Some(r) => r,
                None if may_create => {
                    if path.exists() {
                        return Err(AppError::Config(format!("密钥文件 {} 已存在。", path.display())));
                    }
                    let r = KeyRing::single(MasterKey::generate());
                    r.write(path)?;
                    r
                }
                None => {
                    return Err(AppError::Config(format!(
                        "找不到密钥文件 {}，请先运行 shiminhua init。",
                        path.display()
                    )));
                }
            };
            tx.exec(
                Sql::new("INSERT INTO settings (key, value) VALUES ('key_fingerprint', $1)")
                    .bind(r.current().fingerprint()),
            )
            .await?;
            Ok(r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit chain's key survives a rotation and a round trip through
    /// the key file, so rows chained before the rotation still verify.
    #[test]
    fn the_audit_key_does_not_rotate() {
        let ring = KeyRing::single(MasterKey::generate());
        let rotated = ring.rotated();
        assert_ne!(rotated.current(), ring.current());
        assert_eq!(rotated.audit_key(), ring.audit_key());
        assert_eq!(rotated.current_only().audit_key(), ring.audit_key());
        let text = rotated.to_text();
        assert!(text.contains("\naudit "));
        assert_eq!(KeyRing::parse(&text).unwrap().audit_key(), ring.audit_key());
        // A one-line file derives it from its only key, as `single` does.
        assert_eq!(KeyRing::parse(&ring.current().to_hex()).unwrap(), ring);
        assert_ne!(ring.audit_key(), ring.index_key());
    }
}
