//! The monitoring board (监控看板): projects in warning by county,
//! authority and rule, warnings by level, overdue ones, and the warnings
//! opened month by month.

use super::local_date;
use super::projects::viewer;
use crate::error::AppResult;
use crate::store::{Db, Sql};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::Actor;
use shiminhua_core::monitor::Month;

/// A count under a key (a county code, an authority's or a check's code).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BoardCount {
    pub key: String,
    /// Projects with an open warning.
    pub projects: i64,
    /// Open warnings.
    pub warnings: i64,
}

/// Warnings opened in a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthCount {
    pub month: Month,
    pub opened: i64,
}

/// The board's figures, in the actor's view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Board {
    /// Projects watched (在建, 停工 by the rules) and all projects.
    pub projects: i64,
    pub projects_warned: i64,
    pub open: i64,
    pub red: i64,
    pub orange: i64,
    pub yellow: i64,
    pub overdue: i64,
    pub by_county: Vec<BoardCount>,
    pub by_authority: Vec<BoardCount>,
    pub by_check: Vec<BoardCount>,
    /// The last 12 months, oldest first.
    pub trend: Vec<MonthCount>,
}

/// The monitoring board for the actor.
pub async fn board(db: &Db, actor: &Actor, now: DateTime<Utc>) -> AppResult<Board> {
    let mut tx = db.read().await?;
    let v = viewer(&mut tx, actor).await?;
    let today = local_date(now);
    let mut b = Board::default();
    let mut q = Sql::new("SELECT COUNT(*) FROM projects p WHERE 1 = 1");
    v.limit(&mut q);
    b.projects = tx.int(q).await?;
    let open = |select: &str, group: &str| {
        let mut q = Sql::new(select);
        q.push(" FROM warnings w JOIN projects p ON p.id = w.project_id WHERE w.status <> 'resolved'");
        v.limit(&mut q);
        if !group.is_empty() {
            q.push(" GROUP BY ").push(group).push(" ORDER BY ").push(group);
        }
        q
    };
    let (warned, total, red, orange, yellow): (i64, i64, i64, i64, i64) = tx
        .one(open(
            "SELECT COUNT(DISTINCT w.project_id), COUNT(*), \
             CAST(COALESCE(SUM(CASE WHEN w.level = 'red' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN w.level = 'orange' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN w.level = 'yellow' THEN 1 ELSE 0 END), 0) AS BIGINT)",
            "",
        ))
        .await?;
    (b.projects_warned, b.open, b.red, b.orange, b.yellow) = (warned, total, red, orange, yellow);
    let mut q = open("SELECT COUNT(*)", "");
    q.push(" AND w.due_on < ").arg(today);
    b.overdue = tx.int(q).await?;
    b.by_county = tx
        .all(open(
            "SELECT CAST(w.county_code AS TEXT) AS key, COUNT(DISTINCT w.project_id) AS projects, COUNT(*) AS warnings",
            "w.county_code",
        ))
        .await?;
    b.by_authority = tx
        .all(open(
            "SELECT w.authority AS key, COUNT(DISTINCT w.project_id) AS projects, COUNT(*) AS warnings",
            "w.authority",
        ))
        .await?;
    b.by_check = tx
        .all(open(
            "SELECT w.check_code AS key, COUNT(DISTINCT w.project_id) AS projects, COUNT(*) AS warnings",
            "w.check_code",
        ))
        .await?;
    let last = Month::of(today);
    let first = (1..12).fold(last, |m, _| m.prev());
    let mut q =
        Sql::new("SELECT w.opened_on FROM warnings w JOIN projects p ON p.id = w.project_id WHERE w.opened_on >= ");
    q.arg(first.first_day());
    v.limit(&mut q);
    let opened: Vec<(chrono::NaiveDate,)> = tx.all(q).await?;
    let mut m = first;
    loop {
        let n = opened.iter().filter(|(d,)| Month::of(*d) == m).count();
        b.trend.push(MonthCount {
            month: m,
            opened: i64::try_from(n).unwrap_or(0),
        });
        if m == last {
            break;
        }
        m = m.next();
    }
    Ok(b)
}
