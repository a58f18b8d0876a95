//! Backup and restore. SQLite: a consistent online snapshot (`VACUUM INTO`),
//! and restore by replacing the database file while the server is stopped.
//! PostgreSQL: `pg_dump --format=custom` / `pg_restore`, the standard tools
//! (see docs/operations.md).

use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{DatabaseUrl, Db};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::process::Command;

/// Writes a backup of the whole database to `dest` (which must not exist).
pub async fn backup(db: &Db, url: &DatabaseUrl, now: DateTime<Utc>, dest: &Path) -> AppResult<()> {
    if dest.exists() {
        return Err(AppError::Config(format!(
            "备份文件 {} 已存在，请换一个文件名。",
            dest.display()
        )));
    }
    let mut tx = db.write().await?;
    audit::record(
        &mut tx,
        now,
        &Who::system(&Origin::cli()),
        Event::ok("backup", "system", "").detail(dest.display().to_string()),
    )
    .await?;
    tx.commit().await?;
    // A backup holds everything: readable by the owner only. The file is
    // created empty first (both tools write into an existing empty file and
    // keep its mode), and restricted again once written.
    crate::staging::create_file(dest)
        .map_err(|_| AppError::Config(format!("无法写入备份文件 {}。", dest.display())))?;
    let written = write_backup(db, url, dest).await;
    if written.is_err() {
        let _ = std::fs::remove_file(dest);
    }
    written?;
    crate::staging::restrict(dest)
        .map_err(|_| AppError::Config(format!("无法设置备份文件 {} 的权限。", dest.display())))
}

async fn write_backup(db: &Db, url: &DatabaseUrl, dest: &Path) -> AppResult<()> {
    match db {
        // VACUUM cannot run inside a transaction; it takes a plain connection
        // and reads one consistent snapshot while the server keeps running.
        Db::Sqlite(pool, ..) => {
            sqlx::query("VACUUM INTO $1")
                .bind(dest.display().to_string())
                .execute(pool)
                .await
                .map_err(|_| AppError::Config(format!("无法写入备份文件 {}。", dest.display())))?;
            Ok(())
        }
        Db::Postgres(..) => run_tool(
            "pg_dump",
            &[
                "--format=custom",
                "--no-owner",
                "--file",
                &dest.display().to_string(),
                "--dbname",
                url.expose(),
            ],
        ),
    }
}

/// Restores a backup. SQLite: the server must be stopped; the current file is
/// replaced by the backup after checking it is a shiminhua database.
/// PostgreSQL: `pg_restore --clean` into the configured database.
pub async fn restore(url: &DatabaseUrl, src: &Path) -> AppResult<()> {
    if !src.is_file() {
        return Err(AppError::Config(format!("备份文件 {} 不存在。", src.display())));
    }
    match url.sqlite_path() {
        Some(target) => {
            // Check the backup before touching anything.
            let probe = DatabaseUrl::sqlite_file(src);
            let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(probe.expose())
                .map_err(|_| AppError::Config("备份文件路径无效。".into()))?
                .read_only(true);
            let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&opts)
                .await
                .map_err(|_| AppError::Config(format!("{} 不是有效的备份文件。", src.display())))?;
            let ok: Result<(i64,), _> = sqlx::query_as("SELECT COUNT(*) FROM schema_migrations")
                .fetch_one(&mut conn)
                .await;
            drop(conn);
            if ok.is_err() {
                return Err(AppError::Config(format!("{} 不是本系统的备份文件。", src.display())));
            }
            let tmp = target.with_extension("db.restoring");
            std::fs::copy(src, &tmp).map_err(|_| AppError::Config(format!("无法写入 {}。", tmp.display())))?;
            // The copy has the backup's mode; the database is the owner's only.
            crate::staging::restrict(&tmp).map_err(|_| AppError::Config(format!("无法写入 {}。", tmp.display())))?;
            for ext in ["db-wal", "db-shm"] {
                let _ = std::fs::remove_file(target.with_extension(ext));
            }
            std::fs::rename(&tmp, &target)
                .map_err(|_| AppError::Config(format!("无法替换数据库文件 {}。", target.display())))?;
            Ok(())
        }
        None if url.backend() == crate::store::Backend::Postgres => run_tool(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                url.expose(),
                &src.display().to_string(),
            ],
        ),
        None => Err(AppError::Config("内存数据库不能恢复备份。".into())),
    }
}

fn run_tool(tool: &str, args: &[&str]) -> AppResult<()> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .map_err(|_| AppError::Config(format!("找不到 {tool}，请安装 PostgreSQL 客户端工具后重试。")))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        Err(AppError::Config(format!("{tool} 执行失败：{first}")))
    }
}
