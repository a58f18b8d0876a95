//! The monitoring's rules file, kept in the settings (the shipped default
//! until the task-force office saves its own).

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{Sql, Tx};
use crate::{Call, require};
use shiminhua_core::auth::Permission;
use shiminhua_core::monitor::Rules;
use shiminhua_core::monitor::rules::DEFAULT_RULES;

/// The settings key of the rules file's text.
pub const RULES_KEY: &str = "monitor.rules";

/// The rules in force and their text.
pub async fn current_rules(tx: &mut Tx) -> AppResult<(Rules, String)> {
    let stored: Option<(String,)> = tx
        .opt(Sql::new("SELECT value FROM settings WHERE key = $1").bind(RULES_KEY))
        .await?;
    let text = stored.map_or_else(|| DEFAULT_RULES.to_string(), |(t,)| t);
    let rules =
        Rules::parse(&text).map_err(|e| AppError::Internal(format!("stored monitoring rules invalid: {}", e.len())))?;
    Ok((rules, text))
}

/// Saves a new rules file (the task-force office); refused with each
/// mistake and its line.
pub async fn set_rules(call: &Call<'_>, text: &str) -> AppResult<Rules> {
    require(call.actor, Permission::ManagePlan)?;
    let rules = Rules::parse(text).map_err(|errs| {
        let mut fe = FieldErrors::default();
        for e in errs {
            fe.add("rules", e.to_string());
        }
        AppError::Validation(fe)
    })?;
    let mut tx = call.db.write().await?;
    let n = tx
        .exec(
            Sql::new("UPDATE settings SET value = $1 WHERE key = $2")
                .bind(text)
                .bind(RULES_KEY),
        )
        .await?;
    if n == 0 {
        tx.exec(
            Sql::new("INSERT INTO settings (key, value) VALUES ($1, $2)")
                .bind(RULES_KEY)
                .bind(text),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("monitor.rules", "setting", RULES_KEY).detail(format!("rules={}", rules.rules.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(rules)
}
