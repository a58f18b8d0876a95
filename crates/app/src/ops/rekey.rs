//! `shiminhua key rotate`: a new encryption key for personal information.
//!
//! The new key goes first in the key file (older keys stay, so that values
//! are readable throughout), then every sealed value is opened and sealed
//! again with the new key, in batches of one transaction each. The server may
//! keep running: it reads masked values without keys, opens old and new
//! values alike, and picks the new key up from the file by itself. The blind
//! indexes do not change, so searches keep working.

use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::keys::KeyRing;
use crate::registry::jobs::applications::sealed_context;
use crate::registry::workers::{dependant_birth_context, dependant_context, dependant_name_context, worker_context};
use crate::store::{Db, Sql};
use crate::users::totp_context;
use chrono::{DateTime, Utc};
use shiminhua_core::ids::DependantId;
use std::path::Path;

/// How many values were sealed again, per column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub totp_secrets: u64,
    pub worker_ids: u64,
    pub worker_phones: u64,
    pub dependant_ids: u64,
    pub dependant_names: u64,
    pub dependant_births: u64,
    /// ID numbers and phones of 求职登记 filed from a phone.
    pub applications: u64,
}

impl Report {
    pub fn total(&self) -> u64 {
        self.totp_secrets
            + self.worker_ids
            + self.worker_phones
            + self.dependant_ids
            + self.dependant_names
            + self.dependant_births
            + self.applications
    }
}

const BATCH: i64 = 500;

/// One sealed column: the rows' ids, the value and what builds its context.
#[derive(sqlx::FromRow)]
struct Sealed {
    id: i64,
    sealed: Vec<u8>,
    a: Option<Vec<u8>>,
    b: Option<String>,
}

/// (select, update, context) for every sealed column.
type Column = (&'static str, &'static str, fn(&Sealed) -> String);

const COLUMNS: [Column; 8] = [
    (
        "SELECT id, totp_secret AS sealed, totp_secret AS a, CAST(NULL AS TEXT) AS b FROM users WHERE totp_secret IS NOT NULL",
        "UPDATE users SET totp_secret = $1 WHERE id = $2",
        |r| totp_context(r.id),
    ),
    (
        "SELECT id, id_sealed AS sealed, id_index AS a, CAST(NULL AS TEXT) AS b FROM workers WHERE 1 = 1",
        "UPDATE workers SET id_sealed = $1 WHERE id = $2",
        |r| worker_context("id", r.a.as_deref().unwrap_or_default()),
    ),
    (
        "SELECT id, phone_sealed AS sealed, id_index AS a, CAST(NULL AS TEXT) AS b FROM workers WHERE phone_sealed IS NOT NULL",
        "UPDATE workers SET phone_sealed = $1 WHERE id = $2",
        |r| worker_context("phone", r.a.as_deref().unwrap_or_default()),
    ),
    (
        "SELECT id, id_sealed AS sealed, id_index AS a, CAST(NULL AS TEXT) AS b FROM dependants WHERE id_sealed IS NOT NULL",
        "UPDATE dependants SET id_sealed = $1 WHERE id = $2",
        |r| dependant_context("id", r.a.as_deref().unwrap_or_default()),
    ),
    (
        "SELECT d.id, d.name_sealed AS sealed, w.id_index AS a, d.relation AS b FROM dependants d JOIN workers w ON w.id = d.worker_id WHERE 1 = 1",
        "UPDATE dependants SET name_sealed = $1 WHERE id = $2",
        |r| dependant_name_context(r.a.as_deref().unwrap_or_default(), r.b.as_deref().unwrap_or_default()),
    ),
    (
        "SELECT id, birth_sealed AS sealed, id_index AS a, CAST(NULL AS TEXT) AS b FROM dependants WHERE birth_sealed IS NOT NULL",
        "UPDATE dependants SET birth_sealed = $1 WHERE id = $2",
        |r| dependant_birth_context(DependantId(r.id)),
    ),
    (
        "SELECT id, id_sealed AS sealed, id_index AS a, CAST(NULL AS TEXT) AS b FROM job_applications WHERE 1 = 1",
        "UPDATE job_applications SET id_sealed = $1 WHERE id = $2",
        |r| sealed_context("id", r.a.as_deref().unwrap_or_default()),
    ),
    (
        "SELECT id, phone_sealed AS sealed, id_index AS a, CAST(NULL AS TEXT) AS b FROM job_applications WHERE 1 = 1",
        "UPDATE job_applications SET phone_sealed = $1 WHERE id = $2",
        |r| sealed_context("phone", r.a.as_deref().unwrap_or_default()),
    ),
];

/// Rotates the key in the key file at `path` and re-seals every value.
pub async fn rotate(db: &Db, path: &Path, now: DateTime<Utc>) -> AppResult<Report> {
    let ring = KeyRing::read(path)?
        .ok_or_else(|| AppError::Config(format!("找不到密钥文件 {}，无法轮换密钥。", path.display())))?;
    let new = ring.rotated();
    new.write(path)?;
    let mut tx = db.write().await?;
    tx.exec(Sql::new("UPDATE settings SET value = $1 WHERE key = 'key_fingerprint'").bind(new.current().fingerprint()))
        .await?;
    tx.commit().await?;
    let cipher = Cipher::from_ring(&new);
    let current = cipher.key_id();
    let mut report = Report::default();
    for (i, (select, update, context)) in COLUMNS.iter().enumerate() {
        let mut after = 0i64;
        loop {
            let mut tx = db.write().await?;
            let id_col = if select.contains(" d JOIN ") { "d.id" } else { "id" };
            let mut q = Sql::new(select);
            q.push(" AND ")
                .push(id_col)
                .push(" > ")
                .arg(after)
                .push(" ORDER BY ")
                .push(id_col);
            q.push(" LIMIT ").arg(BATCH);
            let rows: Vec<Sealed> = tx.all(q).await?;
            let Some(last) = rows.last().map(|r| r.id) else { break };
            for r in &rows {
                if Cipher::key_id_of(&r.sealed) == Some(current) {
                    continue;
                }
                let ctx = context(r);
                let plain = cipher.open(&ctx, &r.sealed)?;
                tx.exec(Sql::new(update).bind(cipher.seal(&ctx, &plain)?).bind(r.id))
                    .await?;
                match i {
                    0 => report.totp_secrets += 1,
                    1 => report.worker_ids += 1,
                    2 => report.worker_phones += 1,
                    3 => report.dependant_ids += 1,
                    4 => report.dependant_names += 1,
                    5 => report.dependant_births += 1,
                    _ => report.applications += 1,
                }
            }
            tx.commit().await?;
            after = last;
        }
    }
    let mut tx = db.write().await?;
    audit::record(
        &mut tx,
        now,
        &Who::system(&Origin::cli()),
        Event::ok("key.rotate", "system", "").detail(format!(
            "resealed={}; key={}",
            report.total(),
            crate::hex(&current)
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}
