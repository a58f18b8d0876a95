//! Test support: a fresh database on either backend, with the shipped data.
//!
//! PostgreSQL tests connect to `SHIMINHUA_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and create a database of
//! their own. Without a server they are skipped with a plain message — except
//! under `CI=true`, where a missing server fails the test.

pub mod bombs;
pub mod roster;

use crate::store::{DatabaseUrl, Db};
use shiminhua_core::ids::UserId;
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct TestDb {
    pub db: Db,
    pub url: DatabaseUrl,
    pg: Option<(String, String)>,
    _dir: Option<TempDir>,
}

/// A directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("shm-{tag}-{}-{n}-{nanos}", std::process::id()));
        let _ = std::fs::create_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Gives a test database a random audit chain key, anchored in `dir`.
pub fn set_test_audit_key(db: &Db, dir: &std::path::Path) {
    let key: [u8; 32] = rand::random();
    db.set_audit_key(crate::audit::ChainKey::new(&key, dir.join(crate::audit::ANCHOR_FILE)));
}

pub fn pg_admin_url() -> Option<String> {
    match std::env::var("SHIMINHUA_TEST_PG") {
        Ok(v) if v == "off" => None,
        Ok(v) if !v.is_empty() => Some(v),
        _ => Some("postgres://postgres@127.0.0.1:5432/postgres".into()),
    }
}

fn skip(reason: &str) -> Option<TestDb> {
    if std::env::var("CI").is_ok_and(|v| v == "true") && std::env::var("SHIMINHUA_TEST_PG").as_deref() != Ok("off") {
        panic!("CI 环境下 PostgreSQL 测试不能跳过：{reason}");
    }
    eprintln!("已跳过 PostgreSQL 部分：{reason}（设置 SHIMINHUA_TEST_PG=postgres://… 以运行）");
    None
}

impl TestDb {
    /// A fresh SQLite database in a file of its own (WAL, like production).
    pub async fn sqlite() -> TestDb {
        TestDb::sqlite_without(None).await
    }

    /// A fresh SQLite database with every migration but `without` (all with `None`).
    pub async fn sqlite_without(without: Option<i64>) -> TestDb {
        let dir = TempDir::new("db");
        let url = DatabaseUrl::sqlite_file(&dir.0.join("test.db"));
        let db = Db::connect_without(&url, without).await.expect("sqlite test database");
        set_test_audit_key(&db, &dir.0);
        TestDb {
            db,
            url,
            pg: None,
            _dir: Some(dir),
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a message) without a server.
    pub async fn postgres() -> Option<TestDb> {
        TestDb::postgres_without(None).await
    }

    /// A fresh PostgreSQL database with every migration but `without` (all
    /// with `None`), or `None` without a server.
    pub async fn postgres_without(without: Option<i64>) -> Option<TestDb> {
        let Some(admin) = pg_admin_url() else {
            return skip("SHIMINHUA_TEST_PG=off");
        };
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => return skip(&format!("无法连接 {admin}：{e}")),
        };
        let name = format!(
            "shm_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin.clone());
        let url = DatabaseUrl::parse(&format!("{base}/{name}")).expect("url");
        let db = Db::connect_without(&url, without)
            .await
            .expect("postgres test database");
        let dir = TempDir::new("pg");
        set_test_audit_key(&db, &dir.0);
        Some(TestDb {
            db,
            url,
            pg: Some((admin, name)),
            _dir: Some(dir),
        })
    }

    /// Closes the pool and drops a PostgreSQL test database.
    pub async fn finish(mut self) {
        self.db.close().await;
        if let Some((admin, name)) = self.pg.take() {
            drop_database(&admin, &name).await;
        }
    }
}

async fn drop_database(admin: &str, name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
    }
}

/// A test that failed before `finish` still removes its database.
impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(drop_database(&admin, &name));
                }
            })
            .join();
        }
    }
}

/// Runs an async test body on SQLite and on PostgreSQL: `both!(name, body_fn)`
/// creates `name::sqlite` and `name::postgres`; `body_fn` takes a [`Db`].
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let t = $crate::testing::TestDb::sqlite().await;
                    super::$name(t.db.clone()).await;
                    t.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(t) = $crate::testing::TestDb::postgres().await {
                        super::$name(t.db.clone()).await;
                        t.finish().await;
                    }
                }
            }
        )*
    };
}

/// Approves the pending grant of `user_id`, if any, as a second person: an
/// enabled office account other than the user, or else one created from the
/// command line as the installation's first approver.
pub async fn approve_pending(db: &Db, now: chrono::DateTime<chrono::Utc>, user_id: i64) {
    use crate::store::Sql;
    use crate::users;
    use shiminhua_core::auth::{Grant, KindSet, Role};
    let Some(_) = users::pending_grant_of_any(db, UserId(user_id)).await.unwrap() else {
        return;
    };
    let mut tx = db.read().await.unwrap();
    let found: Option<(i64,)> = tx
        .opt(
            Sql::new(
                "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'office' AND u.id <> $1 ORDER BY u.id LIMIT 1",
            )
            .bind(user_id),
        )
        .await
        .unwrap();
    drop(tx);
    let approver = match found {
        Some((id,)) => id,
        None => {
            let form = users::UserForm {
                username: "approver".into(),
                display_name: "审批人".into(),
                unit_id: None,
                roles: vec![Role::Office],
                grants: vec![Grant {
                    region: shiminhua_core::division::DivisionCode::parse(crate::regions::CITY_CODE).unwrap(),
                    kinds: KindSet::all(),
                }],
            };
            let policy = shiminhua_core::password::PasswordPolicy::default();
            users::add_cli(db, now, &policy, form, None).await.unwrap().0
        }
    };
    let mut tx = db.read().await.unwrap();
    let actor = users::load_actor(&mut tx, UserId(approver)).await.unwrap();
    drop(tx);
    let req = users::pending_grant_of_any(db, UserId(user_id)).await.unwrap().unwrap();
    users::decide_grant(db, &actor, &crate::Origin::default(), now, req, true)
        .await
        .unwrap();
}
