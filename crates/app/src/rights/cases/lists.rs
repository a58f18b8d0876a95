//! Lists of cases in scope with their deadlines, and the counts by
//! timing.

use super::deadlines::deadline_calendar;
use super::rows::{COLUMNS, CaseRow, readable};
use super::settings::limits_in;
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, contains_pattern, dialect};
use chrono::NaiveDate;
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::case::{CaseStatus, Sector, Source, Timing};
use shiminhua_core::division::DivisionCode;

/// Filters of a case list.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub county: Option<DivisionCode>,
    pub status: Option<CaseStatus>,
    pub sector: Option<Sector>,
    pub source: Option<Source>,
    /// Only overdue cases (`Timing::Overdue`) or only near-due ones (`Timing::NearDue`).
    pub timing: Option<Timing>,
    /// Part of the case number, the employer's name or its credit code.
    pub q: String,
    /// Received within these days (both included).
    pub received: Option<(NaiveDate, NaiveDate)>,
}

/// A township of the city with its county's name (for township pickers).
#[derive(Clone, Debug)]
pub struct Township {
    pub code: DivisionCode,
    pub name: String,
    pub county_name: String,
}

/// Every township (乡镇/街道) of the city, by code: a case may be
/// registered in one within the actor's scope and transferred to one of
/// another county.
pub async fn townships(db: &Db) -> AppResult<Vec<Township>> {
    let rows: Vec<(i64, String, i16)> = db
        .read()
        .await?
        .all(Sql::new(
            "SELECT code, name, level FROM regions WHERE level IN (3, 4) ORDER BY code",
        ))
        .await?;
    let counties: std::collections::HashMap<i64, String> =
        rows.iter().filter(|r| r.2 == 3).map(|r| (r.0, r.1.clone())).collect();
    Ok(rows
        .into_iter()
        .filter(|r| r.2 == 4)
        .filter_map(|(code, name, _)| {
            let code = DivisionCode::from_i64(code).ok()?;
            let county_name = counties.get(&code.county()?.as_i64())?.clone();
            Some(Township {
                code,
                name,
                county_name,
            })
        })
        .collect())
}

/// The conditions of a filter without its timing, on the scope of `actor`.
/// `region` names the region column (see [`dialect::case_region_by_due`]).
fn filter_cond(actor: &Actor, f: &CaseFilter, region: &str) -> Sql {
    let mut ranges = actor.scope.ranges_for(RecordKind::WageCase);
    if let Some(c) = f.county {
        let (lo, hi) = c.subtree_range();
        ranges = ranges
            .into_iter()
            .map(|(a, b)| (a.max(lo), b.min(hi)))
            .filter(|(a, b)| a <= b)
            .collect();
    }
    let mut cond = Sql::new(" WHERE ");
    cond.in_ranges(region, &ranges);
    if let Some(s) = f.status {
        cond.push(" AND c.status = ").arg(s.code());
    }
    if let Some(s) = f.sector {
        cond.push(" AND c.sector = ").arg(s.code());
    }
    if let Some(s) = f.source {
        cond.push(" AND c.source = ").arg(s.code());
    }
    if let Some((from, to)) = f.received {
        cond.push(" AND c.received_on >= ")
            .arg(from)
            .push(" AND c.received_on <= ")
            .arg(to);
    }
    let q = shiminhua_core::record::tidy(&f.q);
    if !q.is_empty() {
        let upper = contains_pattern(&q.to_uppercase());
        cond.push(" AND (c.number LIKE ")
            .arg(upper.clone())
            .push(" ESCAPE '\\' OR c.employer_credit_code LIKE ")
            .arg(upper)
            .push(" ESCAPE '\\' OR c.employer_name LIKE ")
            .arg(contains_pattern(&q))
            .push(" ESCAPE '\\')");
    }
    cond
}

/// Adds the condition of `timing` (as of `today`, near due until `near`).
/// `no_limit` is the condition of cases without a running time limit.
fn timing_cond(cond: &mut Sql, timing: Timing, today: NaiveDate, near: NaiveDate, no_limit: &str) {
    match timing {
        Timing::Overdue => {
            cond.push(" AND c.due_on < ").arg(today);
        }
        Timing::NearDue => {
            cond.push(" AND c.due_on >= ")
                .arg(today)
                .push(" AND c.due_on <= ")
                .arg(near);
        }
        Timing::OnTime => {
            cond.push(" AND c.due_on > ").arg(near);
        }
        Timing::None => {
            cond.push(" AND ").push(no_limit);
        }
    }
}

/// Cases without a running time limit.
const NO_LIMIT: &str = "c.due_on IS NULL";

/// A page of cases in scope, overdue first (then by due date, then newest
/// registration), with the total, as of `today`.
///
/// The page is read part by part — overdue, then running, then without a
/// time limit — each in an order an index gives (due date, or newest
/// first), so that the first pages never sort the whole table; a part is
/// counted only when a page lies wholly beyond it.
pub async fn list(
    db: &Db,
    actor: &Actor,
    f: &CaseFilter,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<CaseRow>, i64)> {
    readable(actor)?;
    let cal = deadline_calendar(db).await?;
    let mut tx = db.read().await?;
    let limits = limits_in(&mut tx).await?;
    let near = limits.near_until(&cal, today).map_err(AppError::Conflict)?;
    // Counted from the index of the filter's columns, or, for cases
    // overdue or due soon, from the (due date, place) index.
    let mut count = Sql::new("SELECT COUNT(*) FROM cases c");
    let mut counted = match f.timing {
        Some(Timing::Overdue | Timing::NearDue) => filter_cond(actor, f, dialect::case_region_by_due(tx.backend())),
        _ => filter_cond(actor, f, "c.region_code"),
    };
    if let Some(t) = f.timing {
        timing_cond(&mut counted, t, today, near, NO_LIMIT);
    }
    // Listed newest first, kept off the due-date index on SQLite.
    let no_limit = dialect::case_no_limit_newest_first(tx.backend());
    count.append(&counted);
    let total = tx.int(count).await?;
    // The parts in list order: (timing, order); `None` is running, not overdue.
    let parts: Vec<(Option<Timing>, &str)> = match f.timing {
        None => vec![
            (Some(Timing::Overdue), " ORDER BY c.due_on, c.id DESC"),
            (None, " ORDER BY c.due_on, c.id DESC"),
            (Some(Timing::None), " ORDER BY c.id DESC"),
        ],
        Some(Timing::None) => vec![(Some(Timing::None), " ORDER BY c.id DESC")],
        Some(t) => vec![(Some(t), " ORDER BY c.due_on, c.id DESC")],
    };
    let mut rows = Vec::new();
    let (mut skip, mut want) = (offset.max(0), limit);
    for (i, (timing, order)) in parts.iter().enumerate() {
        if want <= 0 {
            break;
        }
        let mut cond = filter_cond(actor, f, dialect::case_region_by_due(tx.backend()));
        match timing {
            Some(t) => timing_cond(&mut cond, *t, today, near, no_limit),
            // Running, not overdue.
            None => {
                cond.push(" AND c.due_on >= ").arg(today);
            }
        }
        let mut q = Sql::new(COLUMNS);
        q.append(&cond).push(order);
        q.page(want, skip);
        let got: Vec<CaseRow> = tx.all(q).await?;
        if got.is_empty() && skip > 0 && i + 1 < parts.len() {
            // The page lies beyond this part: skip all of it.
            let mut c = Sql::new("SELECT COUNT(*) FROM cases c");
            c.append(&cond);
            skip = (skip - tx.int(c).await?).max(0);
            continue;
        }
        want -= got.len() as i64;
        rows.extend(got);
        // A part that ended on this page: the next one from its start.
        skip = 0;
    }
    Ok((rows, total))
}

/// Cases of a filter (its timing aside) whose time limit runs, as of a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DueCounts {
    /// A time limit runs (登记, 受理, 调查处理).
    pub open: i64,
    pub overdue: i64,
    pub near_due: i64,
}

/// How many cases of a filter (its timing aside) are open, overdue and near
/// due as of `today`, in one pass over the running time limits.
pub async fn due_counts(db: &Db, actor: &Actor, f: &CaseFilter, today: NaiveDate) -> AppResult<DueCounts> {
    readable(actor)?;
    let cal = deadline_calendar(db).await?;
    let mut tx = db.read().await?;
    let near = limits_in(&mut tx)
        .await?
        .near_until(&cal, today)
        .map_err(AppError::Conflict)?;
    let mut q = Sql::new("SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.due_on < ");
    q.arg(today)
        .push(" THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN c.due_on >= ")
        .arg(today)
        .push(" AND c.due_on <= ")
        .arg(near)
        .push(" THEN 1 ELSE 0 END), 0) FROM cases c");
    // From the (due date, place) index alone.
    q.append(&filter_cond(actor, f, dialect::case_region_by_due(tx.backend())));
    q.push(" AND c.due_on IS NOT NULL");
    let (open, overdue, near_due): (i64, i64, i64) = tx.one(q).await?;
    Ok(DueCounts {
        open,
        overdue,
        near_due,
    })
}
