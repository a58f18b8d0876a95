//! Signing in: passwords, lockout, the forced steps and the TOTP second factor.

use super::*;
use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::config::Security;
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, Duration, Utc};
use shiminhua_core::auth::{Role, RoleSet};
use shiminhua_core::password::PasswordPolicy;
use shiminhua_core::totp::TotpSecret;

/// What a user types to change their password.
#[derive(Clone, Copy, Debug)]
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub confirm: &'a str,
}

/// The user's own password change: checks the current password, the policy and the history.
pub async fn change_password(
    db: &Db,
    user_id: i64,
    origin: &Origin,
    now: DateTime<Utc>,
    policy: &PasswordPolicy,
    input: &PasswordChange<'_>,
) -> AppResult<()> {
    let PasswordChange { current, new, confirm } = *input;
    let mut tx = db.read().await?;
    let u = get_row(&mut tx, user_id).await?;
    let history: Vec<(String,)> = tx
        .all(
            Sql::new("SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(user_id)
                .bind(policy.history as i64),
        )
        .await?;
    drop(tx);
    let mut errs = FieldErrors::default();
    if !verify_password(current, &u.password_hash).await {
        errs.add("current", "当前密码不正确");
    }
    if new != confirm {
        errs.add("confirm", "两次输入的新密码不一致");
    }
    if let Err(e) = policy.check(&u.username, new) {
        errs.add("new", e.to_string());
    } else {
        for (h,) in &history {
            if verify_password(new, h).await {
                errs.add("new", policy.reused().to_string());
                break;
            }
        }
    }
    let who = Who::user(u.id, &u.username, &RoleSet::default(), origin);
    if !errs.is_empty() {
        audit::record_alone(db, now, &who, Event::failed("password.change", "user", u.id)).await?;
        return Err(AppError::Validation(errs));
    }
    let hash = hash_password(new).await?;
    let mut tx = db.write().await?;
    set_password_hash(&mut tx, now, u.id, &hash, false).await?;
    audit::record(&mut tx, now, &who, Event::ok("password.change", "user", u.id)).await?;
    tx.commit().await
}

/// What a correct password leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Fully signed in.
    Done,
    /// Must enter the TOTP code.
    Totp,
    /// Must enrol a TOTP authenticator (administrators).
    EnrolTotp,
    /// Must change the one-time or expired password.
    ChangePassword { expired: bool },
}

#[derive(Clone, Debug)]
pub struct SignIn {
    pub user_id: i64,
    pub next: NextStep,
}

/// The rules sign-in applies.
#[derive(Clone, Copy, Debug)]
pub struct SignInRules<'a> {
    pub security: &'a Security,
    pub policy: &'a PasswordPolicy,
    /// The server runs with `--demo`.
    pub demo: bool,
}

/// Checks a user name and password, with lockout. Every outcome is audited.
/// `demo` is true when the server runs with `--demo`: demo accounts then skip
/// the forced change and the second factor.
pub async fn authenticate(
    db: &Db,
    origin: &Origin,
    now: DateTime<Utc>,
    rules: &SignInRules<'_>,
    username: &str,
    password: &str,
) -> AppResult<SignIn> {
    let SignInRules {
        security: sec,
        policy,
        demo,
    } = *rules;
    let username = username.trim();
    let mut tx = db.read().await?;
    let user = if username.is_empty() {
        None
    } else {
        get_by_name(&mut tx, username).await?
    };
    drop(tx);
    let who = Who::anonymous(username, origin);
    let Some(u) = user else {
        // Spend the same time as for a real account.
        let _ = verify_password(password, DUMMY_HASH).await;
        audit::record_alone(db, now, &who, Event::failed("login", "user", "").detail("unknown user")).await?;
        return Err(AppError::Auth(LOGIN_FAILED.into()));
    };
    let locked = u.locked_until.is_some_and(|t| t > now);
    let ok = verify_password(password, &u.password_hash).await;
    let mut tx = db.write().await?;
    if locked || u.disabled || !ok {
        let reason = if u.disabled {
            "disabled"
        } else if locked {
            "locked"
        } else {
            "bad password"
        };
        if !locked && !u.disabled {
            note_failure(&mut tx, now, sec, u.id).await?;
        }
        audit::record(&mut tx, now, &who, Event::failed("login", "user", u.id).detail(reason)).await?;
        tx.commit().await?;
        return Err(AppError::Auth(LOGIN_FAILED.into()));
    }
    tx.exec(Sql::new("UPDATE users SET failed_count = 0, locked_until = NULL WHERE id = $1").bind(u.id))
        .await?;
    let roles = roles_of(&mut tx, u.id).await?;
    let next = next_step(&u, &roles, policy, now, demo);
    let who = Who {
        actor_id: Some(u.id),
        role: roles.codes(),
        ..who
    };
    let detail = match next {
        NextStep::Done => "",
        NextStep::Totp => "awaiting second factor",
        NextStep::EnrolTotp => "must enrol second factor",
        NextStep::ChangePassword { .. } => "must change password",
    };
    audit::record(&mut tx, now, &who, Event::ok("login", "user", u.id).detail(detail)).await?;
    tx.commit().await?;
    Ok(SignIn { user_id: u.id, next })
}

/// What a user who proved their password must do next.
pub(super) fn next_step(
    u: &UserRow,
    roles: &RoleSet,
    policy: &PasswordPolicy,
    now: DateTime<Utc>,
    demo: bool,
) -> NextStep {
    if demo && u.demo {
        NextStep::Done
    } else if u.must_change_password {
        NextStep::ChangePassword { expired: false }
    } else if policy.is_expired(u.password_changed_at, now) {
        NextStep::ChangePassword { expired: true }
    } else if u.totp_secret.is_some() {
        NextStep::Totp
    } else if roles.contains(Role::Admin) {
        NextStep::EnrolTotp
    } else {
        NextStep::Done
    }
}

/// The next step of a user who is part-way through signing in (after a
/// forced password change, say).
pub async fn next_step_for(
    db: &Db,
    user_id: i64,
    policy: &PasswordPolicy,
    now: DateTime<Utc>,
    demo: bool,
) -> AppResult<NextStep> {
    let mut tx = db.read().await?;
    let u = get_row(&mut tx, user_id).await?;
    let roles = roles_of(&mut tx, user_id).await?;
    Ok(next_step(&u, &roles, policy, now, demo))
}

pub(super) async fn note_failure(tx: &mut Tx, now: DateTime<Utc>, sec: &Security, id: i64) -> AppResult<()> {
    let (count,): (i32,) = tx
        .one(Sql::new("UPDATE users SET failed_count = failed_count + 1 WHERE id = $1 RETURNING failed_count").bind(id))
        .await?;
    if i64::from(count) >= sec.lockout_threshold {
        tx.exec(
            Sql::new("UPDATE users SET failed_count = 0, locked_until = $1 WHERE id = $2")
                .bind(now + Duration::minutes(sec.lockout_minutes))
                .bind(id),
        )
        .await?;
    }
    Ok(())
}

/// An argon2id hash of a random string, verified against for unknown users.
pub(super) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2hpbWluaHVhLWR1bW15$8f2GgUyJg2pX6mJ2n4wq0m2mQ0jD7m6QyJb3vZ0a3o8";

/// What a user's TOTP secret is bound to when sealed.
pub(crate) fn totp_context(user_id: i64) -> String {
    format!("users.totp_secret:{user_id}")
}

/// Checks a TOTP code for a user who passed the password step.
pub async fn verify_totp(
    db: &Db,
    cipher: &Cipher,
    user_id: i64,
    origin: &Origin,
    now: DateTime<Utc>,
    sec: &Security,
    code: &str,
) -> AppResult<()> {
    let mut tx = db.write().await?;
    let u = get_row(&mut tx, user_id).await?;
    let who = Who::user(u.id, &u.username, &roles_of(&mut tx, u.id).await?, origin);
    let secret = match &u.totp_secret {
        Some(sealed) => Some(TotpSecret::from_bytes(cipher.open(&totp_context(u.id), sealed)?)),
        None => None,
    };
    let matched = secret.and_then(|s| s.verify(code, now.timestamp(), 1));
    let fresh = matched.filter(|step| u.totp_last_step.is_none_or(|last| *step > last));
    let locked = u.locked_until.is_some_and(|t| t > now);
    match fresh {
        Some(step) if !locked && !u.disabled => {
            tx.exec(
                Sql::new("UPDATE users SET totp_last_step = $1, failed_count = 0 WHERE id = $2")
                    .bind(step)
                    .bind(u.id),
            )
            .await?;
            audit::record(&mut tx, now, &who, Event::ok("login.totp", "user", u.id)).await?;
            tx.commit().await
        }
        _ => {
            if !locked {
                note_failure(&mut tx, now, sec, u.id).await?;
            }
            audit::record(&mut tx, now, &who, Event::failed("login.totp", "user", u.id)).await?;
            tx.commit().await?;
            Err(AppError::field(
                "code",
                "动态口令不正确或已使用，请输入认证器上最新的6位数字",
            ))
        }
    }
}

/// Stores a new TOTP secret once the user proved they can generate codes with it.
pub async fn enrol_totp(
    db: &Db,
    cipher: &Cipher,
    user_id: i64,
    origin: &Origin,
    now: DateTime<Utc>,
    secret_b32: &str,
    code: &str,
) -> AppResult<()> {
    let secret = TotpSecret::from_base32(secret_b32)
        .filter(|s| s.as_bytes().len() >= 16)
        .ok_or_else(|| AppError::field("code", "密钥无效，请刷新页面重新绑定"))?;
    let Some(step) = secret.verify(code, now.timestamp(), 1) else {
        return Err(AppError::field(
            "code",
            "动态口令不正确，请核对手机时间后输入认证器上最新的6位数字",
        ));
    };
    let mut tx = db.write().await?;
    let u = get_row(&mut tx, user_id).await?;
    tx.exec(
        Sql::new("UPDATE users SET totp_secret = $1, totp_last_step = $2, updated_at = $3, version = version + 1 WHERE id = $4")
            .bind(cipher.seal(&totp_context(u.id), secret.as_bytes())?)
            .bind(step)
            .bind(now)
            .bind(u.id),
    )
    .await?;
    let who = Who::user(u.id, &u.username, &roles_of(&mut tx, u.id).await?, origin);
    audit::record(&mut tx, now, &who, Event::ok("totp.enrol", "user", u.id)).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_parses() {
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
