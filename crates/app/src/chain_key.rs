//! The audit chain's key and its anchor file: the key that MACs every
//! audit row, and the file outside the database that records the chain's
//! latest head. See `docs/decisions/0004-audit-chain.md`.

use shiminhua_core::audit::anchor_mac;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The name of the anchor file in the data directory.
pub const ANCHOR_FILE: &str = "audit-anchor";

/// The audit chain's key and the file its head is anchored in.
pub struct ChainKey {
    pub(crate) key: [u8; 32],
    /// A public id of the key (first 8 bytes of a MAC of a label, in hex),
    /// stored on every keyed row.
    pub(crate) id: String,
    pub(crate) anchor: PathBuf,
    /// The highest sequence number anchored by this process.
    pub(crate) anchored: Mutex<i64>,
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainKey({}, {})", self.id, self.anchor.display())
    }
}

/// The head of the chain as the anchor file records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub head: Vec<u8>,
}

impl ChainKey {
    /// A chain key; its head is anchored in `anchor` (a file in the data directory).
    pub fn new(key: &[u8; 32], anchor: PathBuf) -> ChainKey {
        let id = crate::hex(&shiminhua_core::kdf::derive(key, b"shiminhua/audit-key-id/v1")[..8]);
        ChainKey {
            key: *key,
            id,
            anchor,
            anchored: Mutex::new(0),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn anchor_path(&self) -> &Path {
        &self.anchor
    }

    /// Writes the head `(seq, head)` to the anchor file (atomically, mode
    /// 0600) unless a later head was anchored already. The anchor may lag
    /// behind the table (a failed write is retried with the next commit);
    /// it never runs ahead of it, since it is written after the commit.
    pub(crate) fn anchor(&self, seq: i64, head: &[u8]) {
        let mut done = self.anchored.lock().unwrap_or_else(|p| p.into_inner());
        if seq <= *done {
            return;
        }
        match self.write_anchor(seq, head) {
            Ok(()) => *done = seq,
            Err(e) => tracing::error!(error = %e, "cannot write the audit anchor file"),
        }
    }

    pub(crate) fn write_anchor(&self, seq: i64, head: &[u8]) -> std::io::Result<()> {
        if let Some(current) = self.read_anchor().ok().flatten()
            && current.seq > seq
        {
            // Another process anchored a later head.
            return Ok(());
        }
        let text = format!(
            "# shiminhua 审计日志锚点：最新记录序号与其链值（勿手工修改）\nseq {seq}\nhead {}\nmac {}\n",
            crate::hex(head),
            crate::hex(&anchor_mac(&self.key, seq, head))
        );
        if let Some(dir) = self.anchor.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.anchor.with_extension(format!("new.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        std::io::Write::write_all(&mut f, text.as_bytes())?;
        f.sync_data()?;
        std::fs::rename(&tmp, &self.anchor)
    }

    /// Reads the anchor file: `Ok(None)` when there is none, an error when it
    /// is unreadable, malformed or its MAC does not match (forged).
    pub fn read_anchor(&self) -> Result<Option<Anchor>, String> {
        let text = match std::fs::read_to_string(&self.anchor) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
                .map(str::trim)
        };
        let seq = field("seq").and_then(|v| v.parse::<i64>().ok());
        let head = field("head").and_then(crate::unhex);
        let mac = field("mac").and_then(crate::unhex);
        let (Some(seq), Some(head), Some(mac)) = (seq, head, mac) else {
            return Err("malformed".into());
        };
        if anchor_mac(&self.key, seq, &head).as_slice() != mac.as_slice() {
            return Err("forged".into());
        }
        Ok(Some(Anchor { seq, head }))
    }
}
