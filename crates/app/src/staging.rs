//! Files that hold personal data outside the database for a short while:
//! uploads waiting to be imported, their rejected rows, exports on their way
//! to the browser. They live in `<data>/staging/` (mode 0700), each file
//! readable by the owner only (0600), and none stays longer than
//! [`MAX_AGE`]: the callers remove them when done (commit, cancel,
//! download), and [`sweep`] removes whatever is left, at start and
//! periodically.
//!
//! Also the modes of the data directory itself and of the files the
//! program creates there (see [`private_dir`], [`restrict`]).

use chrono::{DateTime, Utc};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// How long a staged file may stay.
pub const MAX_AGE: chrono::Duration = chrono::Duration::hours(1);

/// The staging folder of a data directory.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("staging")
}

/// Creates `path` (and missing parents) as a directory only its owner can
/// enter, and makes an existing one so.
pub fn private_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)
    }
}

/// Creates the missing folders of `path` for their owner only (0700),
/// leaving existing ones as they are.
pub fn create_dirs(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)
    }
}

/// The staging folder of `data_dir`, created private if need be.
pub fn ensure(data_dir: &Path) -> io::Result<PathBuf> {
    create_dirs(data_dir)?;
    let d = dir(data_dir);
    private_dir(&d)?;
    Ok(d)
}

/// Options that create a new file readable by its owner only.
pub fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Creates `path` as a new, empty file readable by its owner only.
pub fn create_file(path: &Path) -> io::Result<File> {
    private_options().open(path)
}

/// Makes an existing file readable by its owner only.
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// A unique path in `staging` for a file named `prefix-<random>.<ext>`.
pub fn unique_path(staging: &Path, prefix: &str, ext: &str) -> PathBuf {
    use rand::RngCore;
    let mut token = [0u8; 16];
    rand::rng().fill_bytes(&mut token);
    staging.join(format!("{prefix}-{}.{ext}", crate::hex(&token)))
}

/// Removes the files in `staging` last modified more than [`MAX_AGE`]
/// before `now`; returns how many were removed.
pub fn sweep(staging: &Path, now: DateTime<Utc>) -> usize {
    let Ok(entries) = std::fs::read_dir(staging) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let Ok(modified) = meta.modified() else { continue };
        let modified: DateTime<Utc> = modified.into();
        if now - modified > MAX_AGE && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::testing::TempDir;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn staging_is_private_and_files_owner_only() {
        let t = TempDir::new("staging-modes");
        let data = t.0.join("data");
        let s = ensure(&data).expect("staging");
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&s), 0o700);
        // An existing folder that others could read is closed.
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        ensure(&data).expect("staging");
        assert_eq!(mode(&s), 0o700);
        let f = unique_path(&s, "export", "xlsx");
        create_file(&f).expect("file");
        assert_eq!(mode(&f), 0o600);
        // A writer that recreates the file keeps its mode.
        std::fs::write(&f, b"rows").expect("write");
        assert_eq!(mode(&f), 0o600);
    }

    #[test]
    fn sweep_removes_what_is_older_than_an_hour() {
        let t = TempDir::new("staging-sweep");
        let s = ensure(&t.0).expect("staging");
        let f = s.join("a.data");
        create_file(&f).expect("file");
        let modified: DateTime<Utc> = std::fs::metadata(&f).and_then(|m| m.modified()).expect("mtime").into();
        assert_eq!(sweep(&s, modified + chrono::Duration::minutes(59)), 0);
        assert!(f.exists());
        assert_eq!(sweep(&s, modified + chrono::Duration::minutes(61)), 1);
        assert!(!f.exists());
    }
}
