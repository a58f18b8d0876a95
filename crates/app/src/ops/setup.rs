//! Opening the data directory and database, `init`, and the demo accounts.

use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::keys::{self, KeyRing};
use crate::store::{Db, Sql};
use crate::users::{self, UserForm};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::{Grant, KindSet, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::password::PasswordPolicy;

/// Creates the data directory (for a SQLite file) and connects, applying migrations.
pub async fn connect(config: &Config) -> AppResult<Db> {
    if let Some(path) = config.database.sqlite_path()
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        // Missing folders are created for the owner only (existing ones are left as they are).
        crate::staging::create_dirs(dir)
            .map_err(|_| AppError::Config(format!("无法创建数据目录 {}。", dir.display())))?;
    }
    Db::connect_tuned(&config.database, &config.db_tuning, None).await
}

/// Opens the database and checks the key; `init` (and `serve`, `demo`,
/// which set up what is missing) may create a missing key and a missing
/// PostgreSQL database. Sets the audit chain's key (and its anchor in the
/// data directory) and keys a chain that is not keyed yet.
pub async fn open(config: &Config, may_create_key: bool, now: DateTime<Utc>) -> AppResult<(Db, KeyRing)> {
    if may_create_key && Db::create_if_missing(&config.database).await? {
        tracing::info!(database = %config.database.redacted(), "created the PostgreSQL database");
    }
    let db = connect(config).await?;
    let mut tx = db.write().await?;
    let env_key = std::env::var("SHIMINHUA_KEY").ok().filter(|k| !k.is_empty());
    let key = keys::load_for(&mut tx, &config.key_file, env_key, may_create_key).await?;
    tx.commit().await?;
    db.set_audit_key(key.chain_key(&config.data_dir));
    audit::adopt_key(&db, now).await?;
    // Family members' birth dates that migration 0017 could not seal without the key.
    crate::registry::workers::seal_pending_births(&db, &crate::crypto::Cipher::from_ring(&key)).await?;
    // Figures a migration asked to compute again (0024: family members).
    if let Some(read) = crate::plan::indicators::rebuild_when_asked(&db).await?
        && read > 0
    {
        tracing::info!(records = read, "recomputed the plan's figures after an upgrade");
    }
    Ok((db, key))
}

/// What `init` did.
#[derive(Clone, Debug, Default)]
pub struct InitReport {
    pub regions: usize,
    pub units: usize,
    /// The shipped plan was stored now (false: a plan was there already).
    pub plan_loaded: bool,
    /// Holiday dates added now (0 when the shipped ones were there already).
    pub holidays: usize,
    /// The administrator account created now, with its one-time password
    /// (None when it already existed or the password came from the environment).
    pub admin_password: Option<String>,
    pub admin_created: bool,
}

pub const ADMIN_USERNAME: &str = "admin";

/// Loads the shipped data and creates the first administrator; running it
/// again changes nothing but reloads the shipped data.
pub async fn init(
    db: &Db,
    now: DateTime<Utc>,
    policy: &PasswordPolicy,
    admin_password: Option<String>,
) -> AppResult<InitReport> {
    if let Some(p) = &admin_password
        && let Err(e) = policy.check(ADMIN_USERNAME, p)
    {
        return Err(AppError::Config(format!(
            "SHIMINHUA_ADMIN_PASSWORD 不符合密码策略：{e}。"
        )));
    }
    let mut report = InitReport::default();
    let hash = match &admin_password {
        Some(p) => users::hash_password(p).await?,
        None => {
            let p = users::one_time_password();
            let h = users::hash_password(&p).await?;
            report.admin_password = Some(p);
            h
        }
    };
    let mut tx = db.write().await?;
    report.regions = crate::regions::load_seed(&mut tx, now).await?;
    report.units = crate::units::load_seed(&mut tx).await?;
    report.plan_loaded = crate::plan::document::load_seed(&mut tx, now).await?;
    report.holidays = crate::calendar::load_seed(&mut tx, now).await?;
    let admins = tx
        .int(Sql::new("SELECT COUNT(*) FROM user_roles WHERE role = 'admin'"))
        .await?;
    let who = Who::system(&Origin::cli());
    if admins == 0 {
        let form = UserForm {
            username: ADMIN_USERNAME.into(),
            display_name: "系统管理员".into(),
            unit_id: None,
            roles: vec![Role::Admin],
            grants: vec![],
        };
        let must_change = admin_password.is_none();
        let id = users::insert_user(&mut tx, now, &form, &hash, must_change, false).await?;
        audit::record(
            &mut tx,
            now,
            &who,
            Event::ok("user.create", "user", id).detail("username=admin; roles=admin"),
        )
        .await?;
        report.admin_created = true;
    } else {
        report.admin_password = None;
    }
    audit::record(
        &mut tx,
        now,
        &who,
        Event::ok("system.init", "system", "").detail(format!(
            "regions={}; units={}; plan={}; holidays={}",
            report.regions, report.units, report.plan_loaded, report.holidays
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// One demo account and its password for this run.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub role: Role,
    pub username: String,
    pub display_name: String,
    pub password: String,
}

/// One demo account: user name, name, role, unit code, scope region.
pub struct DemoSpec(
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<&'static str>,
);

pub const DEMO_ACCOUNTS: &[DemoSpec] = &[
    DemoSpec("demo.admin", "演示管理员", Role::Admin, None, None),
    DemoSpec(
        "demo.lead",
        "演示专班领导",
        Role::Lead,
        Some("341000-rsj"),
        Some("341000"),
    ),
    DemoSpec(
        "demo.office",
        "演示专班办公室",
        Role::Office,
        Some("341000-rsj"),
        Some("341000"),
    ),
    DemoSpec(
        "demo.jyj",
        "演示市教育局",
        Role::Department,
        Some("341000-jyj"),
        Some("341000"),
    ),
    DemoSpec(
        "demo.shexian",
        "演示歙县人社局",
        Role::Local,
        Some("341021-rsj"),
        Some("341021"),
    ),
    DemoSpec(
        "demo.inspector",
        "演示徽州区监察员",
        Role::Inspector,
        Some("341004-rsj"),
        Some("341004"),
    ),
    DemoSpec("demo.auditor", "演示审计员", Role::Auditor, None, None),
];

/// Creates the demo accounts if missing and gives each a fresh password,
/// printed by `serve --demo`. Demo accounts skip the forced password change
/// and the second factor only while the server runs with `--demo`.
pub async fn demo_accounts(db: &Db, now: DateTime<Utc>) -> AppResult<Vec<DemoAccount>> {
    let mut out = Vec::new();
    let who = Who::system(&Origin::cli());
    for &DemoSpec(username, display, role, unit, region) in DEMO_ACCOUNTS {
        let password = users::one_time_password();
        let hash = users::hash_password(&password).await?;
        let mut tx = db.write().await?;
        let existing: Option<(i64,)> = tx
            .opt(Sql::new("SELECT id FROM users WHERE username = $1").bind(username))
            .await?;
        match existing {
            Some((id,)) => {
                tx.exec(
                    Sql::new("UPDATE users SET password_hash = $1, failed_count = 0, locked_until = NULL, disabled = $2 WHERE id = $3")
                        .bind(hash)
                        .bind(false)
                        .bind(id),
                )
                .await?;
            }
            None => {
                let unit_id = match unit {
                    Some(code) => tx
                        .opt::<(i64,)>(Sql::new("SELECT id FROM units WHERE code = $1").bind(code))
                        .await?
                        .map(|(id,)| id),
                    None => None,
                };
                // A department holds its unit's record kinds only.
                let kinds = match (role, unit.and_then(|u| u.split('-').nth(1))) {
                    (Role::Department, Some(dept)) => crate::units::default_kinds(dept),
                    _ => KindSet::all(),
                };
                let grants = match region {
                    Some(r) => vec![Grant {
                        region: DivisionCode::parse(r).map_err(|e| AppError::Internal(e.to_string()))?,
                        kinds,
                    }],
                    None => vec![],
                };
                let form = UserForm {
                    username: username.into(),
                    display_name: display.into(),
                    unit_id,
                    roles: vec![role],
                    grants,
                };
                let id = users::insert_user(&mut tx, now, &form, &hash, false, true).await?;
                audit::record(
                    &mut tx,
                    now,
                    &who,
                    Event::ok("user.create", "user", id).detail(format!("demo; username={username}")),
                )
                .await?;
            }
        }
        tx.commit().await?;
        out.push(DemoAccount {
            role,
            username: username.into(),
            display_name: display.into(),
            password,
        });
    }
    Ok(out)
}

/// Whether `init` has run on this database.
pub async fn is_initialised(db: &Db) -> AppResult<bool> {
    let n = db.read().await?.int(Sql::new("SELECT COUNT(*) FROM regions")).await?;
    Ok(n > 0)
}
