//! SQL shared by the statistics and the clearance: the scope's
//! counties and conditions.

use crate::error::AppResult;
use crate::store::{Sql, Tx};
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::division::DivisionCode;

/// The place of a case in scope conditions. The unary plus (here and on
/// the numeric columns grouped by) keeps SQLite from answering a scope as
/// wide as the city through the region or county index, a table look-up
/// per case; the statistics read the covering index `cases_stats` instead
/// (migration 0015). PostgreSQL plans them the same.
pub(super) const REGION: &str = "+region_code";

/// The statuses in which a time limit runs.
pub(super) const OPEN_STATUSES: &str = "('registered', 'accepted', 'investigating')";

/// The counties of the city a scope reaches for cases, in code order.
pub(super) async fn counties_in(tx: &mut Tx, ranges: &[(i64, i64)]) -> AppResult<Vec<(i64, String)>> {
    let rows: Vec<(i64, String)> = tx
        .all(Sql::new("SELECT code, name FROM regions WHERE level = 3 ORDER BY code"))
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(code, _)| {
            DivisionCode::from_i64(*code).is_ok_and(|c| {
                let (lo, hi) = c.subtree_range();
                ranges.iter().any(|(a, b)| *a <= hi && lo <= *b)
            })
        })
        .collect())
}

/// A county's key in the case list's `county` filter: its six digits.
pub(super) fn county_key(code: i64) -> String {
    DivisionCode::from_i64(code).map_or_else(|_| code.to_string(), |c| c.to_string())
}

pub(super) fn scope_of(actor: &Actor) -> Vec<(i64, i64)> {
    actor.scope.ranges_for(RecordKind::WageCase)
}

/// The total's label: 全市合计 when the scope takes in the whole city the
/// counties belong to, else 合计.
pub(super) fn total_label(counties: &[(i64, String)], ranges: &[(i64, i64)]) -> &'static str {
    let city = counties
        .first()
        .and_then(|(c, _)| DivisionCode::from_i64(*c).ok())
        .and_then(DivisionCode::parent);
    let whole = city.is_some_and(|c| {
        let (lo, hi) = c.subtree_range();
        ranges.iter().any(|(a, b)| *a <= lo && hi <= *b)
    });
    if whole { "全市合计" } else { "合计" }
}
