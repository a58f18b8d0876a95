//! The change history (历史版本) of workers, dependants and records: every
//! earlier version kept, with who changed it and when.

use crate::Call;
use crate::error::AppResult;
use crate::store::{Sql, Tx};

/// Keeps the version of an object as it was before a change.
#[expect(clippy::too_many_arguments, reason = "the columns of one history row")]
pub async fn keep_history(
    tx: &mut Tx,
    call: &Call<'_>,
    object_kind: &str,
    object_id: i64,
    worker_id: i64,
    version: i64,
    action: &str,
    data: &str,
) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "INSERT INTO history (object_kind, object_id, worker_id, version, action, data, changed_at, changed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(object_kind)
        .bind(object_id)
        .bind(worker_id)
        .bind(version)
        .bind(action)
        .bind(data)
        .bind(call.now)
        .bind(call.actor.display_name.clone()),
    )
    .await?;
    Ok(())
}
