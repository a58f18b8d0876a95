//! Files that hold personal data are readable by their owner only: the
//! SQLite database with its WAL and shared-memory files, backups, the key
//! file and the folders the program creates for them. (PostgreSQL keeps its
//! own files; its backups are checked like SQLite's when `pg_dump` exists.)

use chrono::{TimeZone, Utc};
use shiminhua_app::config::{Config, Overrides};
use shiminhua_app::keys::{KeyRing, MasterKey};
use shiminhua_app::store::{DatabaseUrl, Db, Sql};
use shiminhua_app::testing::TempDir;
use shiminhua_app::{ops::backup, ops::setup};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn database_wal_shm_key_and_backup_are_owner_only() {
    let t = TempDir::new("modes");
    let data = t.0.join("data");
    let config = Config::load(
        &Overrides {
            data_dir: Some(data.clone()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("config");
    let now = Utc.with_ymd_and_hms(2026, 9, 30, 2, 0, 0).unwrap();
    let (db, _key) = setup::open(&config, true, now).await.expect("open");
    setup::init(&db, now, &config.password, Some("Init-Root-2026".into()))
        .await
        .expect("init");
    // Something in the WAL.
    let mut tx = db.write().await.expect("tx");
    tx.exec(Sql::new("INSERT INTO settings (key, value) VALUES ('mode-test', 'x')"))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    for f in ["shiminhua.db", "shiminhua.db-wal", "shiminhua.db-shm", "shiminhua.key"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    assert_eq!(mode(&data), 0o700, "data folder");
    let dest = t.0.join("backup.db");
    backup::backup(&db, &config.database, now, &dest).await.expect("backup");
    assert_eq!(mode(&dest), 0o600, "backup");
    assert!(std::fs::metadata(&dest).expect("backup").len() > 0);
    db.close().await;

    // A database left readable by others is closed on the next start.
    let db_file = data.join("shiminhua.db");
    std::fs::set_permissions(&db_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let db = Db::connect(&DatabaseUrl::sqlite_file(&db_file)).await.expect("reopen");
    assert_eq!(mode(&db_file), 0o600);
    db.close().await;

    // A restored database too.
    backup::restore(&config.database, &dest).await.expect("restore");
    assert_eq!(mode(&db_file), 0o600, "restored");
}

#[test]
fn a_key_file_and_its_new_folder_are_owner_only() {
    let t = TempDir::new("key-modes");
    let path = t.0.join("keys").join("shiminhua.key");
    KeyRing::single(MasterKey::generate()).write(&path).expect("key");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&t.0.join("keys")), 0o700);
}

#[test]
fn a_written_workbook_is_owner_only() {
    let t = TempDir::new("xlsx-modes");
    let path = t.0.join("export.xlsx");
    let mut out = shiminhua_app::xlsx::XlsxStream::create(&path, "名册", &["姓名"], &[10.0]).expect("create");
    out.row(&[shiminhua_app::xlsx::XCell::Text("张三")]).expect("row");
    out.finish().expect("finish");
    assert_eq!(mode(&path), 0o600);
}
