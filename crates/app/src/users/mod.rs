//! Accounts (用户): creation, roles and scopes, passwords, sign-in with
//! lockout, and the TOTP second factor.

use crate::error::{AppError, AppResult};
use crate::store::{Sql, Tx};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use rand::Rng;
use shiminhua_core::auth::{Actor, Grant, KindSet, Role, RoleSet, Scope};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::UserId;

mod accounts;
mod form;
mod grants;
mod sign_in;

pub use accounts::*;
pub use form::UserForm;
pub(crate) use form::insert_user;
pub use grants::*;
pub use sign_in::*;

/// The one message for every sign-in failure: it never tells whether the
/// user exists, the password was wrong or the account is locked.
pub const LOGIN_FAILED: &str = "用户名或密码错误，或账户已被暂时锁定。连续失败5次将锁定15分钟，请稍后再试。";

pub async fn hash_password(pw: &str) -> AppResult<String> {
    let pw = pw.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

pub async fn verify_password(pw: &str, hash: &str) -> bool {
    let (pw, hash) = (pw.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(pw.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// A random one-time password that satisfies the policy (no look-alike characters).
pub fn one_time_password() -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const OTHER: &[u8] = b"#%+=@";
    let mut rng = rand::rng();
    let mut pick = |set: &[u8]| set[rng.random_range(0..set.len())] as char;
    let mut s = String::new();
    for i in 0..12 {
        s.push(match i % 4 {
            0 => pick(UPPER),
            1 => pick(LOWER),
            2 => pick(DIGIT),
            _ => pick(if i == 11 { OTHER } else { LOWER }),
        });
    }
    s
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: Option<i64>,
    pub password_hash: String,
    pub password_changed_at: DateTime<Utc>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub demo: bool,
    pub failed_count: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const USER_COLUMNS: &str = "SELECT id, username, display_name, unit_id, password_hash, password_changed_at, must_change_password, disabled, demo, failed_count, locked_until, totp_secret, totp_last_step, created_at, updated_at, version FROM users";

pub(crate) async fn get_row(tx: &mut Tx, id: i64) -> AppResult<UserRow> {
    let mut q = Sql::new(USER_COLUMNS);
    q.push(" WHERE id = ").arg(id);
    tx.one(q).await
}

async fn get_by_name(tx: &mut Tx, username: &str) -> AppResult<Option<UserRow>> {
    let mut q = Sql::new(USER_COLUMNS);
    q.push(" WHERE username = ").arg(username);
    tx.opt(q).await
}

pub(crate) async fn roles_of(tx: &mut Tx, id: i64) -> AppResult<RoleSet> {
    let rows: Vec<(String,)> = tx
        .all(Sql::new("SELECT role FROM user_roles WHERE user_id = $1").bind(id))
        .await?;
    Ok(RoleSet::new(
        rows.iter().filter_map(|(r,)| Role::from_code(r)).collect(),
    ))
}

pub(crate) async fn grants_of(tx: &mut Tx, id: i64) -> AppResult<Vec<Grant>> {
    let rows: Vec<(i64, i64)> = tx
        .all(Sql::new("SELECT region_code, kinds FROM user_scopes WHERE user_id = $1 ORDER BY id").bind(id))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, kinds)| {
            Some(Grant {
                region: DivisionCode::from_i64(code).ok()?,
                kinds: KindSet::from_bits(kinds),
            })
        })
        .collect())
}

/// Builds the [`Actor`] of a signed-in user.
pub async fn load_actor(tx: &mut Tx, id: UserId) -> AppResult<Actor> {
    let id = id.0;
    let u = get_row(tx, id).await?;
    let roles = roles_of(tx, id).await?;
    // Only business roles carry a data scope.
    let scope = if roles.iter().any(Role::needs_scope) {
        Scope::new(grants_of(tx, id).await?)
    } else {
        Scope::default()
    };
    Ok(Actor {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        roles,
        scope,
        unit_id: u.unit_id,
    })
}

async fn set_password_hash(tx: &mut Tx, now: DateTime<Utc>, id: i64, hash: &str, must_change: bool) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = $3, failed_count = 0, locked_until = NULL, updated_at = $2, version = version + 1 WHERE id = $4",
        )
        .bind(hash)
        .bind(now)
        .bind(must_change)
        .bind(id),
    )
    .await?;
    tx.exec(Sql::new("DELETE FROM sessions WHERE user_id = $1").bind(id))
        .await?;
    tx.exec(
        Sql::new("INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(hash)
            .bind(now),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiminhua_core::password::PasswordPolicy;

    #[test]
    fn one_time_passwords_satisfy_the_policy() {
        let p = PasswordPolicy::default();
        for _ in 0..200 {
            let pw = one_time_password();
            assert_eq!(pw.len(), 12);
            p.check("someone", &pw).unwrap();
        }
    }
}
