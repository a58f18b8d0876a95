//! A case's attachments.

use super::rows::{get_in, readable};
use crate::Call;
use crate::attachments::{FileRow, check_file};
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql};
use shiminhua_core::auth::Actor;
use shiminhua_core::case::{self};
use shiminhua_core::ids::CaseId;

/// Most attachments a case keeps.
pub const MAX_FILES: i64 = 20;

/// The attachments of a case in scope, without their content.
pub async fn files(db: &Db, actor: &Actor, id: CaseId) -> AppResult<Vec<FileRow>> {
    let id = id.0;
    readable(actor)?;
    let mut tx = db.read().await?;
    get_in(&mut tx, actor, id).await?;
    tx.all(
        Sql::new("SELECT id, name, mime, size, added_at, added_by FROM case_files WHERE case_id = $1 ORDER BY id")
            .bind(id),
    )
    .await
}

/// Adds an attachment to a case in scope (type by extension and first
/// bytes, at most 10 MB, at most [`MAX_FILES`] a case; the reason in
/// Chinese when refused). Returns the file's id.
pub async fn add_file(call: &Call<'_>, id: CaseId, name: &str, bytes: &[u8]) -> AppResult<i64> {
    let id = id.0;
    readable(call.actor)?;
    if !case::may_register(&call.actor.roles) {
        return Err(AppError::Forbidden);
    }
    let name: String = name.trim().chars().take(120).collect();
    let mime = check_file(&name, bytes).map_err(|m| AppError::field("file", m))?;
    let mut tx = call.db.write().await?;
    let row = get_in(&mut tx, call.actor, id).await?;
    let n = tx
        .int(Sql::new("SELECT COUNT(*) FROM case_files WHERE case_id = $1").bind(id))
        .await?;
    if n >= MAX_FILES {
        return Err(AppError::field("file", format!("每个案件最多{MAX_FILES}个附件")));
    }
    let (file_id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO case_files (case_id, name, mime, size, data, added_at, added_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(id)
            .bind(name.clone())
            .bind(mime)
            .bind(bytes.len() as i64)
            .bind(bytes.to_vec())
            .bind(call.now)
            .bind(call.actor.display_name.clone()),
        )
        .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("case.attach", "case", id).detail(format!("number={}; file={file_id}", row.number)),
    )
    .await?;
    tx.commit().await?;
    Ok(file_id)
}

/// An attachment of a case in scope: (name, MIME type, content).
pub async fn file(db: &Db, actor: &Actor, id: CaseId, file_id: i64) -> AppResult<(String, String, Vec<u8>)> {
    let id = id.0;
    readable(actor)?;
    let mut tx = db.read().await?;
    get_in(&mut tx, actor, id).await?;
    tx.one(
        Sql::new("SELECT name, mime, data FROM case_files WHERE id = $1 AND case_id = $2")
            .bind(file_id)
            .bind(id),
    )
    .await
}
