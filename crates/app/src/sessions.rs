//! Server-side sessions. The cookie carries a random token; the database keeps
//! only its SM3 hash. A session passes through stages (second factor, enrolment,
//! password change) before it is `active`; each step issues a new token.

use crate::Origin;
use crate::error::AppResult;
use crate::store::{Db, Sql};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use shiminhua_core::ids::UserId;
use sm3::{Digest, Sm3};

shiminhua_core::coded! {
    /// Where a session stands (stored as its code).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Stage {
        /// Password accepted; the TOTP code is due.
        Totp = "totp",
        /// Password accepted; the user must enrol a TOTP authenticator.
        Enrol = "enrol",
        /// Password accepted; the user must change it first.
        Password = "password",
        /// Fully signed in.
        Active = "active",
    }
}

impl Stage {
    fn parse(s: &str) -> Option<Stage> {
        Stage::from_code(s)
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: i64,
    pub stage: Stage,
    pub csrf: String,
    pub demo_user: bool,
}

/// Why a cookie no longer names a usable session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// No such session (signed out, never existed, or ended by a password change).
    Unknown,
    /// Idle for longer than the limit.
    Expired,
    /// The account was disabled.
    Disabled,
}

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    crate::hex(&b)
}

fn token_hash(token: &str) -> Vec<u8> {
    Sm3::digest(token.as_bytes()).to_vec()
}

/// Creates a session and returns its token.
pub async fn create(db: &Db, user_id: UserId, stage: Stage, origin: &Origin, now: DateTime<Utc>) -> AppResult<String> {
    let user_id = user_id.0;
    let token = random_token();
    let mut tx = db.write().await?;
    tx.exec(
        Sql::new("INSERT INTO sessions (id_hash, user_id, csrf, stage, created_at, last_seen, client_addr) VALUES ($1, $2, $3, $4, $5, $5, $6)")
            .bind(token_hash(&token))
            .bind(user_id)
            .bind(random_token())
            .bind(stage.code())
            .bind(now)
            .bind(origin.client_addr.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    csrf: String,
    stage: String,
    last_seen: DateTime<Utc>,
    disabled: bool,
    demo: bool,
}

/// Looks a session up, ending it when idle too long or its user is disabled.
pub async fn load(db: &Db, token: &str, now: DateTime<Utc>, idle_minutes: i64) -> AppResult<Result<Session, Gone>> {
    let hash = token_hash(token);
    let mut tx = db.read().await?;
    let row: Option<SessionRow> = tx
        .opt(
            Sql::new("SELECT s.user_id, s.csrf, s.stage, s.last_seen, u.disabled, u.demo FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1")
                .bind(hash.clone()),
        )
        .await?;
    drop(tx);
    let Some(r) = row else {
        return Ok(Err(Gone::Unknown));
    };
    let gone = if r.disabled {
        Some(Gone::Disabled)
    } else if now - r.last_seen > Duration::minutes(idle_minutes) {
        Some(Gone::Expired)
    } else {
        None
    };
    if let Some(g) = gone {
        destroy(db, token).await?;
        return Ok(Err(g));
    }
    // Touch at most once a minute to spare the database.
    if now - r.last_seen > Duration::seconds(60) {
        let mut tx = db.write().await?;
        tx.exec(
            Sql::new("UPDATE sessions SET last_seen = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(hash),
        )
        .await?;
        tx.commit().await?;
    }
    let Some(stage) = Stage::parse(&r.stage) else {
        return Ok(Err(Gone::Unknown));
    };
    Ok(Ok(Session {
        user_id: r.user_id,
        stage,
        csrf: r.csrf,
        demo_user: r.demo,
    }))
}

/// Replaces a session by a new one at `stage` (a new token and CSRF token).
pub async fn advance(
    db: &Db,
    old_token: &str,
    user_id: i64,
    stage: Stage,
    origin: &Origin,
    now: DateTime<Utc>,
) -> AppResult<String> {
    destroy(db, old_token).await?;
    create(db, UserId(user_id), stage, origin, now).await
}

pub async fn destroy(db: &Db, token: &str) -> AppResult<()> {
    let mut tx = db.write().await?;
    tx.exec(Sql::new("DELETE FROM sessions WHERE id_hash = $1").bind(token_hash(token)))
        .await?;
    tx.commit().await
}

/// Removes sessions idle for longer than the limit (run periodically).
pub async fn sweep(db: &Db, now: DateTime<Utc>, idle_minutes: i64) -> AppResult<u64> {
    let mut tx = db.write().await?;
    let n = tx
        .exec(Sql::new("DELETE FROM sessions WHERE last_seen < $1").bind(now - Duration::minutes(idle_minutes)))
        .await?;
    tx.commit().await?;
    Ok(n)
}
