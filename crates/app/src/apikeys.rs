//! Keys of the department data-sharing API (`/api/v1`).
//!
//! A key belongs to a unit and carries a data scope like a user's (regions ×
//! record kinds). It is shown once when created; only its SM3 hash is stored,
//! with a short prefix to find it and to name it in lists and the audit trail.
//! A revoked key stops working at once. A request made with a key runs as an
//! `Actor` with the 部门 role, the key's unit and its scope, so the same
//! validation, scope checks and audit apply as on the pages.

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::hex;
use crate::store::{Db, Sql};
use chrono::{DateTime, Utc};
use rand::Rng;
use shiminhua_core::auth::{Actor, Grant, KindSet, Role, RoleSet, Scope};
use shiminhua_core::division::DivisionCode;
use sm3::{Digest, Sm3};

/// Keys look like `smh_<8 hex>_<32 hex>`; the first part is the prefix.
const PREFIX: &str = "smh_";

fn hash(key: &str) -> Vec<u8> {
    Sm3::digest(key.as_bytes()).to_vec()
}

/// A key as listed (never the key itself).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub name: String,
    pub prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
}

/// Creates a key for a unit with the given scope; returns (id, the key),
/// the key being shown only this once.
pub async fn create(
    db: &Db,
    who: &Who,
    now: DateTime<Utc>,
    unit_id: i64,
    name: &str,
    grants: &[Grant],
) -> AppResult<(i64, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::field(
            "name",
            "请填写密钥用途（50字以内），如“住建局住房保障系统”",
        ));
    }
    if grants.is_empty() || grants.iter().any(|g| g.kinds.is_empty()) {
        return Err(AppError::field("grants", "请指定数据范围：区划和可访问的业务类别"));
    }
    let mut rng = rand::rng();
    let prefix = format!("{PREFIX}{}", hex(&rng.random::<[u8; 4]>()));
    let key = format!("{prefix}_{}", hex(&rng.random::<[u8; 16]>()));
    let mut tx = db.write().await?;
    let units = tx
        .int(Sql::new("SELECT COUNT(*) FROM units WHERE id = $1").bind(unit_id))
        .await?;
    if units == 0 {
        return Err(AppError::field("unit", "单位不存在"));
    }
    let id = tx
        .int(
            Sql::new(
                "INSERT INTO api_keys (unit_id, name, prefix, secret_hash, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(unit_id)
            .bind(name)
            .bind(prefix.clone())
            .bind(hash(&key))
            .bind(who.actor_name.clone())
            .bind(now),
        )
        .await?;
    for g in grants {
        tx.exec(
            Sql::new("INSERT INTO api_key_scopes (key_id, region_code, kinds) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(g.region.as_i64())
                .bind(g.kinds.bits()),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        now,
        who,
        Event::ok("apikey.create", "api_key", id).detail(format!("prefix={prefix}; unit={unit_id}")),
    )
    .await?;
    tx.commit().await?;
    Ok((id, key))
}

/// Revokes a key by its prefix.
pub async fn revoke(db: &Db, who: &Who, now: DateTime<Utc>, prefix: &str) -> AppResult<()> {
    let mut tx = db.write().await?;
    let n = tx
        .exec(
            Sql::new("UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(prefix.trim()),
        )
        .await?;
    if n == 0 {
        return Err(AppError::Config(format!("接口密钥 {prefix} 不存在或已吊销。")));
    }
    audit::record(&mut tx, now, who, Event::ok("apikey.revoke", "api_key", prefix)).await?;
    tx.commit().await
}

pub async fn list(db: &Db) -> AppResult<Vec<KeyRow>> {
    db.read()
        .await?
        .all(Sql::new(
            "SELECT k.id, k.unit_id, u.name AS unit_name, k.name, k.prefix, k.created_by, k.created_at, k.revoked_at, \
             k.last_used FROM api_keys k JOIN units u ON u.id = k.unit_id ORDER BY k.id",
        ))
        .await
}

/// The actor a request with `key` runs as; `None` for an unknown, malformed
/// or revoked key (all answered the same way).
pub async fn authenticate(db: &Db, key: &str, now: DateTime<Utc>) -> AppResult<Option<Actor>> {
    let key = key.trim();
    let Some(prefix) = key.get(..PREFIX.len() + 8).filter(|p| p.starts_with(PREFIX)) else {
        return Ok(None);
    };
    let mut tx = db.read().await?;
    type Found = (i64, i64, String, Vec<u8>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let found: Option<Found> = tx
        .opt(
            Sql::new("SELECT id, unit_id, name, secret_hash, revoked_at, last_used FROM api_keys WHERE prefix = $1")
                .bind(prefix),
        )
        .await?;
    let Some((id, unit_id, name, secret, revoked, last_used)) = found else {
        return Ok(None);
    };
    // Constant-time comparison of the hashes.
    let presented = hash(key);
    let same = presented.len() == secret.len() && presented.iter().zip(&secret).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
    if !same || revoked.is_some() {
        return Ok(None);
    }
    let rows: Vec<(i64, i64)> = tx
        .all(Sql::new("SELECT region_code, kinds FROM api_key_scopes WHERE key_id = $1").bind(id))
        .await?;
    drop(tx);
    let grants = rows
        .into_iter()
        .filter_map(|(r, k)| {
            Some(Grant {
                region: DivisionCode::from_i64(r).ok()?,
                kinds: KindSet::from_bits(k),
            })
        })
        .collect();
    // Recorded at most once a minute, so that reads stay reads.
    if last_used.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
        let mut tx = db.write().await?;
        tx.exec(
            Sql::new("UPDATE api_keys SET last_used = $1 WHERE id = $2")
                .bind(now)
                .bind(id),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(Some(Actor {
        // Keys are told apart from users by a negative id.
        user_id: -id,
        username: format!("api:{prefix}"),
        display_name: format!("接口：{name}"),
        roles: RoleSet::new(vec![Role::Department]),
        scope: Scope::new(grants),
        unit_id: Some(unit_id),
    }))
}
