//! Figures computed lately, reused while nothing they were computed from has
//! changed. The board (目标进度), its monthly lines and the evaluation are
//! the same for every reader and are asked for far more often than the
//! registry changes; computing them reads every target's cells. The public
//! job board's pages are kept the same way, under a version of their own.
//!
//! What they are computed from has a version per database, read in the
//! transaction the figures are then read in, so that a figure is only ever
//! kept under the version it was computed at:
//! - SQLite: `figure_version.n`, raised by triggers on every row written to
//!   the tables the board reads (`indicator_cells`, `cases`, `facilities`,
//!   `regions`, `reports`, `report_figures`), in the writer's transaction and
//!   so by any process (a command-line import while the server runs).
//! - PostgreSQL: the read transaction's snapshot (`pg_current_snapshot()`):
//!   two transactions with the same snapshot see the same data. Any write
//!   in the cluster starts a new one, so the memo is used less when writers
//!   are busy but is never stale. (A counter row raised by triggers would
//!   make every writer of those tables queue on it until commit, and could
//!   deadlock with the row locks they take in between.)

use crate::error::AppResult;
use crate::store::{Backend, Db, DbId, Sql, Tx};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The version of what the figures are computed from, as seen by `tx`.
pub(crate) async fn version(tx: &mut Tx) -> AppResult<String> {
    counted_version(tx, Counter::Figures).await
}

/// The SQLite counters raised by triggers (on PostgreSQL every counter is
/// the snapshot).
#[derive(Clone, Copy)]
pub(crate) enum Counter {
    /// `figure_version`: the tables the plan's board is computed from.
    Figures,
    /// `board_version`: the vacancies of the public job board (migration
    /// 0035).
    Board,
}

/// The version of what `counter` watches, as seen by `tx`.
pub(crate) async fn counted_version(tx: &mut Tx, counter: Counter) -> AppResult<String> {
    let q = match (tx.backend(), counter) {
        (Backend::Sqlite, Counter::Figures) => "SELECT CAST(n AS TEXT) FROM figure_version WHERE id = 1",
        (Backend::Sqlite, Counter::Board) => "SELECT CAST(n AS TEXT) FROM board_version WHERE id = 1",
        (Backend::Postgres, _) => "SELECT CAST(pg_current_snapshot() AS TEXT)",
    };
    let (v,): (String,) = tx.one(Sql::new(q)).await?;
    Ok(v)
}

/// How many computed values a memo keeps by default (the newest; a day
/// asked for once pushes out the oldest).
const KEPT: usize = 16;

/// A value kept: the database, the version it was computed at, its key.
type Kept<K, V> = (DbId, String, K, Arc<V>);

/// Values computed per database, version and key, the newest `capacity`
/// ([`KEPT`] unless asked otherwise).
pub(crate) struct Memo<K, V> {
    kept: Mutex<VecDeque<Kept<K, V>>>,
    capacity: usize,
}

impl<K: PartialEq, V> Memo<K, V> {
    pub(crate) const fn new() -> Self {
        Self::with_capacity(KEPT)
    }

    /// A memo keeping the newest `capacity` values.
    pub(crate) const fn with_capacity(capacity: usize) -> Self {
        Memo {
            kept: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    /// The value kept for `key` computed at `version` of `db`.
    pub(crate) fn get(&self, db: &Db, version: &str, key: &K) -> Option<Arc<V>> {
        let id = db.identity();
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .find(|(d, v, k, _)| *d == id && v == version && k == key)
            .map(|(.., value)| Arc::clone(value))
    }

    /// Keeps `value` for `key` at `version` of `db`, in place of what was
    /// kept for the key at another version.
    pub(crate) fn put(&self, db: &Db, version: String, key: K, value: Arc<V>) {
        let id = db.identity();
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|(d, _, k, _)| !(*d == id && *k == key));
        if kept.len() >= self.capacity {
            kept.pop_front();
        }
        kept.push_back((id, version, key, value));
    }

    /// The value for `key` at `version` of `db`: the one kept, or `compute`'s,
    /// then kept.
    pub(crate) async fn get_or<F>(&self, db: &Db, version: String, key: K, compute: F) -> AppResult<Arc<V>>
    where
        F: std::future::Future<Output = AppResult<V>>,
    {
        if let Some(v) = self.get(db, &version, &key) {
            return Ok(v);
        }
        let value = Arc::new(compute.await?);
        self.put(db, version, key, Arc::clone(&value));
        Ok(value)
    }
}
