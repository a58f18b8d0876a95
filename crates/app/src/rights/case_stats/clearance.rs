//! 欠薪清零: the open cases by county and the open count at each month
//! end of a period, with the wage-payment monitoring's open warnings of
//! unpaid wages (a warning turned into a case is counted as the case).

use super::period::{CasePeriod, local_date};
use super::scope::{OPEN_STATUSES, REGION, counties_in, county_key, scope_of, total_label};
use crate::error::AppResult;
use crate::store::Sql;
use crate::{Call, require};
use chrono::NaiveDate;
use shiminhua_core::auth::Permission;
use shiminhua_core::case::CaseStatus;
use shiminhua_core::monitor::Check;

/// One county's open cases (or the total).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenLine {
    /// Division code; empty for the total.
    pub key: String,
    pub label: String,
    pub open: i64,
    /// In 登记, 受理, 调查处理.
    pub registered: i64,
    pub accepted: i64,
    pub investigating: i64,
    /// Past their running time limit today.
    pub overdue: i64,
    /// The receipt date of the oldest open case.
    pub oldest: Option<NaiveDate>,
    /// Open monitoring warnings of wages not paid (有考勤未发工资, 工资未按时
    /// 发放, 低于最低工资), not yet turned into cases.
    pub warnings: i64,
    /// Open cases at each month end of the period.
    pub series: Vec<i64>,
}

impl OpenLine {
    fn new(key: impl Into<String>, label: impl Into<String>, points: usize) -> OpenLine {
        OpenLine {
            key: key.into(),
            label: label.into(),
            series: vec![0; points],
            ..OpenLine::default()
        }
    }

    /// 已清零: no open case and no open warning of unpaid wages.
    pub fn cleared(&self) -> bool {
        self.open == 0 && self.warnings == 0
    }
}

/// 欠薪清零 as of today, with the open count at each month end of a period.
#[derive(Clone, Debug)]
pub struct Clearance {
    pub today: NaiveDate,
    pub period: CasePeriod,
    /// The month ends of the series (the last one is the period's end).
    pub months: Vec<NaiveDate>,
    /// The period had more months than [`MAX_POINTS`]: the earliest are left out.
    pub cut: bool,
    pub counties: Vec<OpenLine>,
    pub total: OpenLine,
}

impl Clearance {
    /// Counties that have reached zero.
    pub fn cleared(&self) -> usize {
        self.counties.iter().filter(|c| c.cleared()).count()
    }
}

/// A row of counts of any width: the county and one count per column.
struct Wide {
    county: i64,
    counts: Vec<i64>,
}

impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for Wide {
    fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Wide, sqlx::Error> {
        use sqlx::Row;
        Ok(Wide {
            county: row.try_get(0)?,
            counts: (1..row.len()).map(|i| row.try_get(i)).collect::<Result<_, _>>()?,
        })
    }
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for Wide {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Wide, sqlx::Error> {
        use sqlx::Row;
        Ok(Wide {
            county: row.try_get(0)?,
            counts: (1..row.len()).map(|i| row.try_get(i)).collect::<Result<_, _>>()?,
        })
    }
}

/// The open cases in the actor's scope by county as of today, and the open
/// count at each month end of `period` (a case is open at the end of a day
/// when it was received by then and had not ended by then).
pub async fn clearance(call: &Call<'_>, period: CasePeriod) -> AppResult<Clearance> {
    require(call.actor, Permission::ViewDashboard)?;
    let today = local_date(call.now);
    let ranges = scope_of(call.actor);
    let (months, cut) = period.month_ends();
    let mut tx = call.db.read().await?;
    let counties = counties_in(&mut tx, &ranges).await?;

    let mut q = Sql::new("SELECT +county_code, status, COUNT(*), CAST(SUM(CASE WHEN due_on < ");
    q.arg(today)
        .push(" THEN 1 ELSE 0 END) AS BIGINT), MIN(received_on) FROM cases WHERE ")
        .in_ranges(REGION, &ranges)
        .push(" AND status IN ")
        .push(OPEN_STATUSES)
        .push(" GROUP BY +county_code, status");
    let open: Vec<(i64, String, i64, i64, NaiveDate)> = tx.all(q).await?;

    let mut series: Vec<Wide> = Vec::new();
    if let (Some(first), Some(last)) = (months.first(), months.last()) {
        let mut q = Sql::new("SELECT +county_code");
        for m in &months {
            q.push(", CAST(SUM(CASE WHEN received_on <= ")
                .arg(*m)
                .push(" AND (closed_on IS NULL OR closed_on > ")
                .arg(*m)
                .push(") THEN 1 ELSE 0 END) AS BIGINT)");
        }
        q.push(" FROM cases WHERE ")
            .in_ranges(REGION, &ranges)
            .push(" AND received_on <= ")
            .arg(*last)
            .push(" AND (closed_on IS NULL OR closed_on > ")
            .arg(*first)
            .push(") GROUP BY +county_code");
        series = tx.all(q).await?;
    }
    // The warnings of projects the actor may see, in the counties it sees cases of.
    let projects = call.actor.scope.ranges_for(shiminhua_core::auth::RecordKind::Project);
    let mut warned: Vec<(i64, i64)> = Vec::new();
    if !projects.is_empty() {
        let mut q = Sql::new("SELECT county_code, COUNT(*) FROM warnings WHERE status <> 'resolved' AND ");
        q.in_list("check_code", Check::UNPAID_WAGES.iter().map(|c| c.code()))
            .push(" AND ")
            .in_ranges("region_code", &ranges)
            .push(" AND ")
            .in_ranges("region_code", &projects)
            .push(" GROUP BY county_code");
        warned = tx.all(q).await?;
    }
    drop(tx);

    let points = months.len();
    let mut lines: Vec<OpenLine> = counties
        .iter()
        .map(|(code, name)| OpenLine::new(county_key(*code), name.clone(), points))
        .collect();
    let line_of = |lines: &mut Vec<OpenLine>, county: i64| -> usize {
        let key = county_key(county);
        match lines.iter().position(|l| l.key == key) {
            Some(i) => i,
            None => {
                lines.push(OpenLine::new(key.clone(), key, points));
                lines.len() - 1
            }
        }
    };
    for (county, status, n, overdue, oldest) in open {
        let i = line_of(&mut lines, county);
        let l = &mut lines[i];
        l.open += n;
        l.overdue += overdue;
        match CaseStatus::from_code(&status) {
            Some(CaseStatus::Registered) => l.registered += n,
            Some(CaseStatus::Accepted) => l.accepted += n,
            _ => l.investigating += n,
        }
        l.oldest = Some(l.oldest.map_or(oldest, |o| o.min(oldest)));
    }
    for (county, n) in warned {
        let i = line_of(&mut lines, county);
        lines[i].warnings += n;
    }
    for w in series {
        let i = line_of(&mut lines, w.county);
        for (k, n) in w.counts.iter().enumerate().take(points) {
            lines[i].series[k] += n;
        }
    }
    let mut total = OpenLine::new("", total_label(&counties, &ranges), points);
    for l in &lines {
        total.open += l.open;
        total.registered += l.registered;
        total.accepted += l.accepted;
        total.investigating += l.investigating;
        total.overdue += l.overdue;
        total.warnings += l.warnings;
        total.oldest = match (total.oldest, l.oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for (k, n) in l.series.iter().enumerate() {
            total.series[k] += n;
        }
    }
    Ok(Clearance {
        today,
        period,
        months,
        cut,
        counties: lines,
        total,
    })
}
