//! The case settings (the platform clues' time limit, the conclusion
//! categories) and the small helpers every part of the cases uses.

use crate::Call;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Role};
use shiminhua_core::case::{self, Limits};

/// The settings key of the platform clues' time limit (working days).
pub const PLATFORM_DAYS_KEY: &str = "case.platform_days";
/// The settings key of the conclusion categories (one a line).
pub const CONCLUSIONS_KEY: &str = "case.conclusions";

/// The local (UTC+8) date of an instant.
pub(super) fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

/// Errors of core validation as field errors.
pub(super) fn field_errors(errs: shiminhua_core::record::Errors) -> AppError {
    let mut fe = FieldErrors::default();
    for (k, m) in errs {
        fe.add(k, m);
    }
    AppError::Validation(fe)
}

async fn setting(tx: &mut Tx, key: &str) -> AppResult<Option<String>> {
    let v: Option<(String,)> = tx
        .opt(Sql::new("SELECT value FROM settings WHERE key = $1").bind(key))
        .await?;
    Ok(v.map(|(v,)| v))
}

async fn put_setting(tx: &mut Tx, key: &str, value: &str) -> AppResult<()> {
    let n = tx
        .exec(
            Sql::new("UPDATE settings SET value = $1 WHERE key = $2")
                .bind(value)
                .bind(key),
        )
        .await?;
    if n == 0 {
        tx.exec(
            Sql::new("INSERT INTO settings (key, value) VALUES ($1, $2)")
                .bind(key)
                .bind(value),
        )
        .await?;
    }
    Ok(())
}

/// The time limits with the office's platform setting (default 10 working days).
pub(super) async fn limits_in(tx: &mut Tx) -> AppResult<Limits> {
    let mut l = Limits::default();
    if let Some(v) = setting(tx, PLATFORM_DAYS_KEY).await?
        && let Ok(n) = case::parse_platform_days(&v)
    {
        l.platform_days = n;
    }
    Ok(l)
}

/// The conclusion categories of 办结 (the office's list, else the default ten).
pub(super) async fn conclusions_in(tx: &mut Tx) -> AppResult<Vec<String>> {
    if let Some(v) = setting(tx, CONCLUSIONS_KEY).await?
        && let Ok(list) = case::parse_conclusions(&v)
    {
        return Ok(list);
    }
    Ok(case::DEFAULT_CONCLUSIONS.iter().map(|s| s.to_string()).collect())
}

/// The time limits in force.
pub async fn limits(db: &Db) -> AppResult<Limits> {
    limits_in(&mut db.read().await?).await
}

/// The conclusion categories in force.
pub async fn conclusions(db: &Db) -> AppResult<Vec<String>> {
    conclusions_in(&mut db.read().await?).await
}

fn office_only(actor: &Actor) -> AppResult<()> {
    if actor.roles.contains(Role::Office) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The office sets the platform clues' time limit (1–60 working days).
/// Applies to cases accepted from then on.
pub async fn set_platform_days(call: &Call<'_>, text: &str) -> AppResult<u32> {
    office_only(call.actor)?;
    let n = case::parse_platform_days(text).map_err(|m| AppError::field("platform_days", m))?;
    let mut tx = call.db.write().await?;
    put_setting(&mut tx, PLATFORM_DAYS_KEY, &n.to_string()).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("case.settings", "settings", PLATFORM_DAYS_KEY).detail(format!("platform_days={n}")),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// The office sets the ten conclusion categories (one a line).
pub async fn set_conclusions(call: &Call<'_>, text: &str) -> AppResult<Vec<String>> {
    office_only(call.actor)?;
    let list = case::parse_conclusions(text).map_err(|m| AppError::field("conclusions", m))?;
    let mut tx = call.db.write().await?;
    put_setting(&mut tx, CONCLUSIONS_KEY, &list.join("\n")).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("case.settings", "settings", CONCLUSIONS_KEY).detail(list.join("、")),
    )
    .await?;
    tx.commit().await?;
    Ok(list)
}
