//! The one way into the indicator engine for the writers of other groups.
//!
//! A writer of records opens a [`RecordChange`] before it writes (the record
//! as stored then) and finishes it after, in the same transaction; the
//! engine then moves the record's contribution in its cells. The engine
//! imports no writer: what it knows of a write is what it is handed here.

use crate::error::AppResult;
use crate::plan::in_force::plan_in;
use crate::plan::indicators::{StoredFact, family_changed, record_changed};
use crate::store::{Sql, Tx};

/// A write to one record on its way through a transaction.
#[must_use = "finish the change after the write, or the figures fall behind"]
pub struct RecordChange {
    before: Option<StoredFact>,
}

impl RecordChange {
    /// Before writing a new record: there is nothing to take back.
    pub fn new_record() -> RecordChange {
        RecordChange { before: None }
    }

    /// Before writing record `id`: its contribution as stored now.
    pub async fn begin(tx: &mut Tx, id: i64) -> AppResult<RecordChange> {
        Ok(RecordChange {
            before: stored(tx, id).await?,
        })
    }

    /// After the write: record `id` as stored now (gone once deleted) takes
    /// the place of what it was.
    pub async fn finish(self, tx: &mut Tx, id: i64) -> AppResult<()> {
        let after = stored(tx, id).await?;
        match plan_in(tx).await? {
            Some(plan) => record_changed(tx, &plan, self.before.as_ref(), after.as_ref()).await,
            None => Ok(()),
        }
    }
}

/// After worker `worker`'s registered family grew (`delta` > 0) or shrank
/// by `delta` members, in the transaction that wrote them: the figures that
/// count family members take the family as it is now.
pub async fn family_moved(tx: &mut Tx, worker: i64, delta: i64) -> AppResult<()> {
    match plan_in(tx).await? {
        Some(plan) => family_changed(tx, &plan, worker, delta).await,
        None => Ok(()),
    }
}

/// The record with this id as stored now, if any, with its worker's
/// family as registered now.
async fn stored(tx: &mut Tx, id: i64) -> AppResult<Option<StoredFact>> {
    let mut q = Sql::new("SELECT kind, worker_id, region_code, data, ");
    q.push(&crate::plan::indicators::family_of("records.worker_id"))
        .push(" FROM records WHERE id = ")
        .arg(id);
    let row: Option<(String, i64, i64, String, i64)> = tx.opt(q).await?;
    Ok(row.and_then(|(k, w, r, d, family)| {
        let mut f = StoredFact::from_row(&k, w, r, &d)?;
        f.family = family;
        Some(f)
    }))
}
