//! Figures for the home page (工作台), each read in the caller's scope.

use crate::error::AppResult;
use crate::store::{Db, Sql};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::{Actor, Permission};

#[derive(Clone, Debug, Default)]
pub struct Workbench {
    /// (level label, count) of the regions in view.
    pub regions: Vec<(&'static str, i64)>,
    pub workers: Option<crate::registry::workers::WorkerCounts>,
    pub units: Option<i64>,
    pub taskforce_members: Option<i64>,
    pub users_active: Option<i64>,
    pub users_disabled: Option<i64>,
    pub users_locked: Option<i64>,
    pub sessions: Option<i64>,
    pub audit_today: Option<i64>,
    pub audit_failures_today: Option<i64>,
}

pub async fn workbench(db: &Db, actor: &Actor, now: DateTime<Utc>) -> AppResult<Workbench> {
    let mut w = Workbench::default();
    if actor.can(Permission::ViewRegions) {
        for (level, n) in crate::regions::counts(db, actor).await? {
            let label = match level {
                1 => "省",
                2 => "市",
                3 => "区县",
                4 => "乡镇（街道）",
                _ => "村（社区）",
            };
            w.regions.push((label, n));
        }
        w.units = Some(crate::units::list(db, actor).await?.len() as i64);
        w.taskforce_members = Some(crate::units::taskforce(db, actor).await?.len() as i64);
    }
    if actor.can(Permission::ReadPii) {
        w.workers = Some(crate::registry::workers::counts(db, actor).await?);
    }
    let mut tx = db.read().await?;
    if actor.can(Permission::ManageUsers) {
        w.users_active = Some(
            tx.int(Sql::new("SELECT COUNT(*) FROM users WHERE disabled = $1").bind(false))
                .await?,
        );
        w.users_disabled = Some(
            tx.int(Sql::new("SELECT COUNT(*) FROM users WHERE disabled = $1").bind(true))
                .await?,
        );
        w.users_locked = Some(
            tx.int(Sql::new("SELECT COUNT(*) FROM users WHERE locked_until > $1").bind(now))
                .await?,
        );
        w.sessions = Some(
            tx.int(Sql::new("SELECT COUNT(*) FROM sessions WHERE stage = 'active'"))
                .await?,
        );
    }
    if actor.can(Permission::ViewAudit) {
        // The day in China Standard Time (UTC+8), as the database keeps the
        // trail's entries per day (migration 0022).
        let day = (now.timestamp() + 8 * 3600).div_euclid(86_400);
        let (entries, failures): (i64, i64) = tx
            .opt(Sql::new("SELECT entries, failures FROM audit_days WHERE day = $1").bind(day))
            .await?
            .unwrap_or_default();
        w.audit_today = Some(entries);
        w.audit_failures_today = Some(failures);
    }
    Ok(w)
}
