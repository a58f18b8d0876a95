//! Statistics of wage-arrears cases (their figures for the plan's targets
//! are `crate::plan::case_tally`'s).
//!
//! * [`stats`] (案件统计): the cases received in a period within the
//!   actor's scope, by county (with the city's total), sector, source and
//!   status: counts, open and overdue cases, cases ended and ended within
//!   their time limit, amounts claimed and recovered, workers involved and
//!   paid, and the working days from receipt to the end.
//! * [`clearance`] (欠薪清零): every open case in scope by county, how many
//!   are overdue, the oldest, and the open count at each month end of a
//!   period.
//!
//! Every figure is exact and comes from one `GROUP BY` over `cases` (the
//! days to the end from a second one), whatever the number of cases. The
//! definitions are in `docs/cases.md` ("Statistics").
//!
//! Who sees them: holders of `ViewDashboard` (the lead, the office, the
//! departments, county staff and inspectors), over the cases their scope
//! grants for the `WageCase` kind. The figures are aggregates only; the case
//! lists they link to stay with those who read cases ([`may_list`]).

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::plan::case_tally::IN_TIME;
use crate::store::{Sql, Tx};
use crate::xlsx::safe;
use crate::{Call, require};
use chrono::{Datelike, Months, NaiveDate};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::calendar::{Calendar, CalendarError};
use shiminhua_core::case::{self, Sector, Source, Status};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::record;
use std::collections::{BTreeMap, HashMap};

/// Whether the actor may see the statistics.
pub fn may_view(actor: &Actor) -> bool {
    actor.can(Permission::ViewDashboard)
}

/// Whether the actor may open the case lists behind the figures (the case
/// readers of `cases`).
pub fn may_list(actor: &Actor) -> bool {
    actor.can(Permission::ReadPii) && case::may_read(&actor.roles)
}

/// The local (UTC+8) date of an instant.
fn local_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

// ---------------------------------------------------------------------------
// The period
// ---------------------------------------------------------------------------

/// The cases received from `from` to `to`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// This year up to today.
    pub fn this_year(today: NaiveDate) -> Period {
        Period {
            from: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
            to: today,
        }
    }

    /// The period typed (either end may be left empty: the start of this year,
    /// today), or why it does not read, in Chinese.
    pub fn parse(from: &str, to: &str, today: NaiveDate) -> Result<Period, String> {
        let default = Period::this_year(today);
        let read = |s: &str, label: &str, fallback: NaiveDate| -> Result<NaiveDate, String> {
            if s.trim().is_empty() {
                return Ok(fallback);
            }
            record::parse_date(s).ok_or_else(|| {
                let shown: String = s.trim().chars().take(20).collect();
                format!("{label}“{shown}”格式不正确，应为“年-月-日”，如 2023-01-01")
            })
        };
        let from = read(from, "起始日期", default.from)?;
        let to = read(to, "截止日期", default.to)?;
        if to < from {
            return Err(format!("截止日期（{to}）不能早于起始日期（{from}）"));
        }
        Ok(Period { from, to })
    }

    /// 2023年1月1日至2023年9月30日
    pub fn label(&self) -> String {
        format!("{}至{}", date_label(self.from), date_label(self.to))
    }

    /// The end of each month of the period, the last point being `to`
    /// itself; at most [`MAX_POINTS`] (the latest ones).
    pub fn month_ends(&self) -> (Vec<NaiveDate>, bool) {
        let mut out = Vec::new();
        let mut month = NaiveDate::from_ymd_opt(self.from.year(), self.from.month(), 1).unwrap_or(self.from);
        while month <= self.to {
            let end = month
                .checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(month)
                .min(self.to);
            out.push(end);
            match month.checked_add_months(Months::new(1)) {
                Some(next) => month = next,
                None => break,
            }
        }
        let cut = out.len() > MAX_POINTS;
        if cut {
            out.drain(..out.len() - MAX_POINTS);
        }
        (out, cut)
    }
}

/// A point of a month-end series: 2023-09末 for a month's last day, the
/// date itself otherwise (a period ending inside a month).
pub fn point_label(d: NaiveDate) -> String {
    if d.succ_opt().is_none_or(|n| n.day() == 1) {
        format!("{}末", d.format("%Y-%m"))
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// The most month ends a series shows (five years).
pub const MAX_POINTS: usize = 60;

/// 2023年9月30日
pub fn date_label(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

// ---------------------------------------------------------------------------
// SQL shared by the statistics and the targets
// ---------------------------------------------------------------------------

/// The place of a case in scope conditions. The unary plus (here and on
/// the numeric columns grouped by) keeps SQLite from answering a scope as
/// wide as the city through the region or county index, a table look-up
/// per case; the statistics read the covering index `cases_stats` instead
/// (migration 0015). PostgreSQL plans them the same.
const REGION: &str = "+region_code";

/// The statuses in which a time limit runs.
const OPEN_STATUSES: &str = "('registered', 'accepted', 'investigating')";

/// The counties of the city a scope reaches for cases, in code order.
async fn counties_in(tx: &mut Tx, ranges: &[(i64, i64)]) -> AppResult<Vec<(i64, String)>> {
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
fn county_key(code: i64) -> String {
    DivisionCode::from_i64(code).map_or_else(|_| code.to_string(), |c| c.to_string())
}

fn scope_of(actor: &Actor) -> Vec<(i64, i64)> {
    actor.scope.ranges_for(RecordKind::WageCase)
}

/// The total's label: 全市合计 when the scope takes in the whole city the
/// counties belong to, else 合计.
fn total_label(counties: &[(i64, String)], ranges: &[(i64, i64)]) -> &'static str {
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

// ---------------------------------------------------------------------------
// 案件统计
// ---------------------------------------------------------------------------

/// Working days from receipt to the end of the cases counted on a line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Days {
    /// Cases whose days could be counted.
    pub counted: i64,
    /// Their working days added up.
    pub total: i64,
    /// The median (the mean of the middle two for an even count).
    pub median: Option<f64>,
    /// Ended cases not counted: their span reaches a year whose holiday
    /// arrangement is not loaded.
    pub uncounted: i64,
}

impl Days {
    pub fn average(&self) -> Option<f64> {
        (self.counted > 0).then(|| self.total as f64 / self.counted as f64)
    }

    /// From (working days, cases) pairs.
    fn from_counts(counts: &BTreeMap<i64, i64>, uncounted: i64) -> Days {
        let counted: i64 = counts.values().sum();
        let total = counts.iter().map(|(d, n)| d * n).sum();
        let nth = |k: i64| -> i64 {
            let mut seen = 0;
            for (d, n) in counts {
                seen += n;
                if seen > k {
                    return *d;
                }
            }
            0
        };
        let median = match counted {
            0 => None,
            n if n % 2 == 1 => Some(nth(n / 2) as f64),
            n => Some((nth(n / 2 - 1) + nth(n / 2)) as f64 / 2.0),
        };
        Days {
            counted,
            total,
            median,
            uncounted,
        }
    }
}

/// The figures of one line of a table (a county, a sector, a source, a
/// status, or the total).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Line {
    /// The code the case list is filtered by (division code, sector, source
    /// or status code); empty for the total.
    pub key: String,
    pub label: String,
    /// Cases received in the period.
    pub cases: i64,
    /// Of them, still open (登记, 受理, 调查处理).
    pub open: i64,
    /// Of the open ones, past their running time limit today.
    pub overdue: i64,
    /// Ended: 办结, 不予受理, 移送仲裁, 移送公安 (and 已回访 after them).
    pub ended: i64,
    /// Ended within the time limit that ran then.
    pub in_time: i64,
    /// Concluded (办结, with the amount recovered recorded).
    pub concluded: i64,
    pub claimed_fen: i64,
    /// The amount claimed of the concluded cases.
    pub concluded_claimed_fen: i64,
    pub recovered_fen: i64,
    pub workers: i64,
    /// The workers of the concluded cases.
    pub concluded_workers: i64,
    pub workers_paid: i64,
    /// Receipt to end, in working days (counties and the total only).
    pub days: Days,
}

/// `part` of `whole` in percent, `None` of nothing.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

impl Line {
    fn new(key: impl Into<String>, label: impl Into<String>) -> Line {
        Line {
            key: key.into(),
            label: label.into(),
            ..Line::default()
        }
    }

    fn add(&mut self, g: &Group) {
        self.cases += g.cases;
        if Status::from_code(&g.status).is_some_and(Status::is_open) {
            self.open += g.cases;
        }
        self.overdue += g.overdue;
        self.ended += g.ended;
        self.in_time += g.in_time;
        self.concluded += g.concluded;
        self.claimed_fen += g.claimed;
        self.concluded_claimed_fen += g.concluded_claimed;
        self.recovered_fen += g.recovered;
        self.workers += g.workers;
        self.concluded_workers += g.concluded_workers;
        self.workers_paid += g.workers_paid;
    }

    /// Ended within the time limit, of the ended cases.
    pub fn in_time_share(&self) -> Option<f64> {
        share(self.in_time, self.ended)
    }

    /// Recovered, of the amount claimed in the concluded cases.
    pub fn recovery_share(&self) -> Option<f64> {
        share(self.recovered_fen, self.concluded_claimed_fen)
    }

    /// Workers paid, of the workers of the concluded cases.
    pub fn paid_share(&self) -> Option<f64> {
        share(self.workers_paid, self.concluded_workers)
    }

    /// Ended, of the cases received.
    pub fn ended_share(&self) -> Option<f64> {
        share(self.ended, self.cases)
    }
}

/// 案件统计 of a period.
#[derive(Clone, Debug)]
pub struct CaseStats {
    pub period: Period,
    /// The day open cases are judged overdue on.
    pub today: NaiveDate,
    /// Every county the scope reaches, in code order.
    pub counties: Vec<Line>,
    /// The counties added up (全市, or the scope's total).
    pub total: Line,
    pub sectors: Vec<Line>,
    pub sources: Vec<Line>,
    pub statuses: Vec<Line>,
    /// Years whose holiday arrangement a receipt-to-end span needed but is
    /// not loaded (those cases are left out of the days).
    pub missing_years: Vec<i32>,
}

/// One group of the statistics query.
#[derive(sqlx::FromRow)]
struct Group {
    county_code: i64,
    sector: String,
    source: String,
    status: String,
    cases: i64,
    ended: i64,
    in_time: i64,
    overdue: i64,
    concluded: i64,
    claimed: i64,
    concluded_claimed: i64,
    recovered: i64,
    workers: i64,
    concluded_workers: i64,
    workers_paid: i64,
}

/// The working days between two dates of a range, by prefix counts over
/// the stored calendar (one look-up per day of the range, not per case).
struct WorkIndex {
    start: NaiveDate,
    /// Working days in (start, start + i].
    working: Vec<i64>,
    /// Days of unknown kind (year not loaded) in (start, start + i].
    unknown: Vec<i64>,
    /// The year not loaded that each unknown day needs.
    missing: Vec<Option<i32>>,
}

impl WorkIndex {
    fn new(cal: &Calendar, start: NaiveDate, end: NaiveDate) -> WorkIndex {
        let n = usize::try_from((end - start).num_days().max(0)).unwrap_or(0) + 1;
        let mut idx = WorkIndex {
            start,
            working: Vec::with_capacity(n),
            unknown: Vec::with_capacity(n),
            missing: Vec::with_capacity(n),
        };
        let (mut w, mut u) = (0i64, 0i64);
        let mut d = start;
        for i in 0..n {
            let mut missing = None;
            // The first day is never counted (day 1 is the day after).
            if i > 0 {
                match cal.is_working_day(d) {
                    Ok(true) => w += 1,
                    Ok(false) => {}
                    Err(e) => {
                        u += 1;
                        if let CalendarError::NotLoaded { year } = e {
                            missing = Some(year);
                        }
                    }
                }
            }
            idx.working.push(w);
            idx.unknown.push(u);
            idx.missing.push(missing);
            d = d.succ_opt().unwrap_or(d);
        }
        idx
    }

    fn at(&self, d: NaiveDate) -> usize {
        usize::try_from((d - self.start).num_days()).unwrap_or(0)
    }

    /// Working days `x` with `a < x ≤ b` (as `Calendar::working_days_between`),
    /// or a year that is not loaded.
    fn between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, Option<i32>> {
        let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let (i, j) = (self.at(lo), self.at(hi));
        if self.unknown[j] > self.unknown[i] {
            return Err(self.missing[i + 1..=j].iter().flatten().next().copied());
        }
        Ok(sign * (self.working[j] - self.working[i]))
    }
}

/// Statistics of the cases received in `period` within the actor's scope,
/// open cases judged overdue as of `today`.
pub async fn stats(call: &Call<'_>, period: Period) -> AppResult<CaseStats> {
    require(call.actor, Permission::ViewDashboard)?;
    let today = local_date(call.now);
    let cal = crate::calendar::calendar(call.db).await?;
    let ranges = scope_of(call.actor);
    let mut tx = call.db.read().await?;
    let counties = counties_in(&mut tx, &ranges).await?;

    let mut cond = Sql::new(" WHERE ");
    cond.in_ranges(REGION, &ranges)
        .push(" AND received_on >= ")
        .arg(period.from)
        .push(" AND received_on <= ")
        .arg(period.to);

    let mut q = Sql::new("SELECT county_code, sector, source, status, COUNT(*) AS cases, ");
    q.push("CAST(SUM(CASE WHEN closed_on IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS ended, ")
        .push("CAST(SUM(CASE WHEN ")
        .push(IN_TIME)
        .push(" THEN 1 ELSE 0 END) AS BIGINT) AS in_time, ")
        .push("CAST(SUM(CASE WHEN due_on < ")
        .arg(today)
        .push(" THEN 1 ELSE 0 END) AS BIGINT) AS overdue, ")
        .push("CAST(SUM(CASE WHEN amount_recovered_fen IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS concluded, ")
        .push("CAST(SUM(amount_claimed_fen) AS BIGINT) AS claimed, ")
        .push(
            "CAST(SUM(CASE WHEN amount_recovered_fen IS NOT NULL THEN amount_claimed_fen ELSE 0 END) AS BIGINT) \
             AS concluded_claimed, ",
        )
        .push("CAST(SUM(COALESCE(amount_recovered_fen, 0)) AS BIGINT) AS recovered, ")
        .push("CAST(SUM(workers) AS BIGINT) AS workers, ")
        .push("CAST(SUM(CASE WHEN workers_paid IS NOT NULL THEN workers ELSE 0 END) AS BIGINT) AS concluded_workers, ")
        .push("CAST(SUM(COALESCE(workers_paid, 0)) AS BIGINT) AS workers_paid FROM cases");
    q.append(&cond);
    q.push(" GROUP BY county_code, sector, source, status");
    let groups: Vec<Group> = tx.all(q).await?;

    let mut d = Sql::new("SELECT county_code, received_on, closed_on, COUNT(*) FROM cases");
    d.append(&cond);
    d.push(" AND closed_on IS NOT NULL GROUP BY county_code, received_on, closed_on");
    let spans: Vec<(i64, NaiveDate, NaiveDate, i64)> = tx.all(d).await?;
    drop(tx);

    let mut by_county: Vec<Line> = counties
        .iter()
        .map(|(code, name)| Line::new(county_key(*code), name.clone()))
        .collect();
    let mut sectors: Vec<Line> = Sector::ALL.iter().map(|s| Line::new(s.code(), s.label_zh())).collect();
    let mut sources: Vec<Line> = Source::ALL.iter().map(|s| Line::new(s.code(), s.label_zh())).collect();
    let mut statuses: Vec<Line> = Status::ALL.iter().map(|s| Line::new(s.code(), s.label_zh())).collect();
    let mut total = Line::new("", total_label(&counties, &ranges));
    for g in &groups {
        total.add(g);
        let county = county_key(g.county_code);
        match by_county.iter_mut().find(|l| l.key == county) {
            Some(l) => l.add(g),
            None => {
                // A county outside the list (not expected): shown by its code.
                let mut l = Line::new(county.clone(), county);
                l.add(g);
                by_county.push(l);
            }
        }
        for (lines, key) in [
            (&mut sectors, &g.sector),
            (&mut sources, &g.source),
            (&mut statuses, &g.status),
        ] {
            match lines.iter_mut().find(|l| &l.key == key) {
                Some(l) => l.add(g),
                None => {
                    let mut l = Line::new(key.clone(), key.clone());
                    l.add(g);
                    lines.push(l);
                }
            }
        }
    }

    // Working days from receipt to the end.
    let mut missing: Vec<i32> = Vec::new();
    if let (Some(first), Some(last)) = (
        spans.iter().map(|s| s.1.min(s.2)).min(),
        spans.iter().map(|s| s.1.max(s.2)).max(),
    ) {
        let idx = WorkIndex::new(&cal, first, last);
        let mut per: HashMap<String, (BTreeMap<i64, i64>, i64)> = HashMap::new();
        let mut all: (BTreeMap<i64, i64>, i64) = Default::default();
        for (county, received, closed, n) in &spans {
            let e = per.entry(county_key(*county)).or_default();
            match idx.between(*received, *closed) {
                Ok(days) => {
                    *e.0.entry(days).or_default() += n;
                    *all.0.entry(days).or_default() += n;
                }
                Err(year) => {
                    e.1 += n;
                    all.1 += n;
                    if let Some(y) = year
                        && !missing.contains(&y)
                    {
                        missing.push(y);
                    }
                }
            }
        }
        for l in &mut by_county {
            if let Some((counts, uncounted)) = per.get(&l.key) {
                l.days = Days::from_counts(counts, *uncounted);
            }
        }
        total.days = Days::from_counts(&all.0, all.1);
    }
    missing.sort_unstable();
    Ok(CaseStats {
        period,
        today,
        counties: by_county,
        total,
        sectors,
        sources,
        statuses,
        missing_years: missing,
    })
}

// ---------------------------------------------------------------------------
// 欠薪清零
// ---------------------------------------------------------------------------

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

    /// 已清零: no open case.
    pub fn cleared(&self) -> bool {
        self.open == 0
    }
}

/// 欠薪清零 as of today, with the open count at each month end of a period.
#[derive(Clone, Debug)]
pub struct Clearance {
    pub today: NaiveDate,
    pub period: Period,
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
pub async fn clearance(call: &Call<'_>, period: Period) -> AppResult<Clearance> {
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
        match Status::from_code(&status) {
            Some(Status::Registered) => l.registered += n,
            Some(Status::Accepted) => l.accepted += n,
            _ => l.investigating += n,
        }
        l.oldest = Some(l.oldest.map_or(oldest, |o| o.min(oldest)));
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

// ---------------------------------------------------------------------------
// The workbook
// ---------------------------------------------------------------------------

fn err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

fn print_setup(ws: &mut Worksheet, title: &str) -> AppResult<()> {
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_header(format!("&C&\"宋体,Bold\"{}", title.replace('&', "&&")));
    ws.set_footer("&C第 &P 页，共 &N 页");
    ws.set_repeat_rows(0, 0).map_err(err)?;
    ws.set_freeze_panes(1, 1).map_err(err)?;
    Ok(())
}

struct Formats {
    head: Format,
    text: Format,
    int: Format,
    money: Format,
    pct: Format,
    days: Format,
    dash: Format,
}

fn formats() -> Formats {
    let cell = Format::new().set_border(FormatBorder::Thin);
    Formats {
        head: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin)
            .set_background_color("DDE7F3"),
        text: cell.clone().set_text_wrap(),
        int: cell.clone().set_num_format("#,##0"),
        money: cell.clone().set_num_format("#,##0.00"),
        pct: cell.clone().set_num_format("0.0"),
        days: cell.clone().set_num_format("0.0"),
        dash: cell.set_align(FormatAlign::Center),
    }
}

fn opt_number(ws: &mut Worksheet, row: u32, col: u16, v: Option<f64>, f: &Format, dash: &Format) -> AppResult<()> {
    match v {
        Some(x) => ws.write_number_with_format(row, col, x, f).map_err(err)?,
        None => ws.write_string_with_format(row, col, "—", dash).map_err(err)?,
    };
    Ok(())
}

/// The columns of a table of lines (the days only for counties).
const LINE_HEADS: [&str; 14] = [
    "案件数",
    "未结案",
    "其中逾期",
    "已结案",
    "按期结案",
    "按期结案率（%）",
    "反映欠薪金额（元）",
    "办结案件反映金额（元）",
    "追回金额（元）",
    "追回率（%）",
    "涉及人数",
    "办结案件涉及人数",
    "已支付人数",
    "支付人数占比（%）",
];

fn line_sheet(
    wb: &mut Workbook,
    f: &Formats,
    name: &str,
    first: &str,
    lines: &[&Line],
    days: bool,
    title: &str,
) -> AppResult<()> {
    let ws = wb.add_worksheet();
    ws.set_name(name).map_err(err)?;
    let mut heads: Vec<&str> = vec![first];
    heads.extend(LINE_HEADS);
    if days {
        heads.extend(["平均办理工作日", "办理工作日中位数", "未计入工作日的件数"]);
    }
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.head).map_err(err)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string_with_format(r, 0, safe(&l.label), &f.text)
            .map_err(err)?;
        let ints = [l.cases, l.open, l.overdue, l.ended, l.in_time];
        for (k, n) in ints.iter().enumerate() {
            ws.write_number_with_format(r, 1 + k as u16, *n as f64, &f.int)
                .map_err(err)?;
        }
        opt_number(ws, r, 6, l.in_time_share(), &f.pct, &f.dash)?;
        ws.write_number_with_format(r, 7, yuan(l.claimed_fen), &f.money)
            .map_err(err)?;
        ws.write_number_with_format(r, 8, yuan(l.concluded_claimed_fen), &f.money)
            .map_err(err)?;
        ws.write_number_with_format(r, 9, yuan(l.recovered_fen), &f.money)
            .map_err(err)?;
        opt_number(ws, r, 10, l.recovery_share(), &f.pct, &f.dash)?;
        for (k, n) in [l.workers, l.concluded_workers, l.workers_paid].iter().enumerate() {
            ws.write_number_with_format(r, 11 + k as u16, *n as f64, &f.int)
                .map_err(err)?;
        }
        opt_number(ws, r, 14, l.paid_share(), &f.pct, &f.dash)?;
        if days {
            opt_number(ws, r, 15, l.days.average(), &f.days, &f.dash)?;
            opt_number(ws, r, 16, l.days.median, &f.days, &f.dash)?;
            ws.write_number_with_format(r, 17, l.days.uncounted as f64, &f.int)
                .map_err(err)?;
        }
    }
    ws.set_column_width(0, 16).map_err(err)?;
    for c in 1..heads.len() {
        ws.set_column_width(c as u16, 11).map_err(err)?;
    }
    ws.set_row_height(0, 45).map_err(err)?;
    print_setup(ws, title)
}

/// The statistics and the 清零 view as a workbook: 按区县, 按行业, 按来源,
/// 按状态, 欠薪清零, 说明 (A4 landscape, header rows frozen and repeated).
pub fn workbook(s: &CaseStats, c: &Clearance) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let f = formats();
    let period = s.period.label();
    let counties: Vec<&Line> = s.counties.iter().chain(std::iter::once(&s.total)).collect();
    line_sheet(
        &mut wb,
        &f,
        "按区县",
        "区县",
        &counties,
        true,
        &format!("欠薪案件统计（按区县，{period}收到）"),
    )?;
    let sectors: Vec<&Line> = s.sectors.iter().chain(std::iter::once(&s.total)).collect();
    line_sheet(
        &mut wb,
        &f,
        "按行业",
        "行业",
        &sectors,
        false,
        &format!("欠薪案件统计（按行业，{period}收到）"),
    )?;
    let sources: Vec<&Line> = s.sources.iter().chain(std::iter::once(&s.total)).collect();
    line_sheet(
        &mut wb,
        &f,
        "按来源",
        "线索来源",
        &sources,
        false,
        &format!("欠薪案件统计（按来源，{period}收到）"),
    )?;
    let statuses: Vec<&Line> = s.statuses.iter().chain(std::iter::once(&s.total)).collect();
    line_sheet(
        &mut wb,
        &f,
        "按状态",
        "案件状态",
        &statuses,
        false,
        &format!("欠薪案件统计（按状态，{period}收到）"),
    )?;

    // 欠薪清零
    {
        let ws = wb.add_worksheet();
        ws.set_name("欠薪清零").map_err(err)?;
        let mut heads: Vec<String> = [
            "区县",
            "未结案",
            "登记",
            "受理",
            "调查处理",
            "其中逾期",
            "最早收到日期",
            "是否清零",
        ]
        .map(String::from)
        .to_vec();
        heads.extend(c.months.iter().map(|m| format!("{}未结案", point_label(*m))));
        for (k, h) in heads.iter().enumerate() {
            ws.write_string_with_format(0, k as u16, h, &f.head).map_err(err)?;
        }
        for (i, l) in c.counties.iter().chain(std::iter::once(&c.total)).enumerate() {
            let r = 1 + i as u32;
            ws.write_string_with_format(r, 0, safe(&l.label), &f.text)
                .map_err(err)?;
            for (k, n) in [l.open, l.registered, l.accepted, l.investigating, l.overdue]
                .iter()
                .enumerate()
            {
                ws.write_number_with_format(r, 1 + k as u16, *n as f64, &f.int)
                    .map_err(err)?;
            }
            let oldest = l.oldest.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
            ws.write_string_with_format(r, 6, oldest, &f.dash).map_err(err)?;
            ws.write_string_with_format(r, 7, if l.cleared() { "已清零" } else { "未清零" }, &f.dash)
                .map_err(err)?;
            for (k, n) in l.series.iter().enumerate() {
                ws.write_number_with_format(r, 8 + k as u16, *n as f64, &f.int)
                    .map_err(err)?;
            }
        }
        ws.set_column_width(0, 16).map_err(err)?;
        ws.set_column_width(6, 13).map_err(err)?;
        ws.set_row_height(0, 45).map_err(err)?;
        print_setup(ws, &format!("欠薪清零（截至{}）", date_label(c.today)))?;
    }

    // 说明
    {
        let ws = wb.add_worksheet();
        ws.set_name("说明").map_err(err)?;
        ws.set_column_width(0, 110).map_err(err)?;
        let mut notes = vec![
            format!("统计范围：{period}收到的欠薪线索/案件（本人数据范围内），逾期按{}判断。", date_label(s.today)),
            "未结案：处于登记、受理、调查处理状态；其中逾期：当前办理期限早于统计日。".to_string(),
            "已结案：办结、不予受理、移送仲裁、移送公安（含其后已回访）。".to_string(),
            "按期结案：不予受理的，结案日不晚于受理期限；其他结案方式，结案日不晚于当时的办理期限（延期的按延期后期限）。"
                .to_string(),
            "追回率：追回金额占办结案件反映金额的比例；支付人数占比：已支付人数占办结案件涉及人数的比例。".to_string(),
            "办理工作日：从收到之日的次日起至结案之日，按节假日安排计算的工作日数；所跨年份节假日安排未载入的案件不计入平均值和中位数。"
                .to_string(),
            "欠薪清零：全部未结案案件（不限收到日期）；月末未结案：该日已收到且尚未结案的案件数。".to_string(),
        ];
        if !s.missing_years.is_empty() {
            let years: Vec<String> = s.missing_years.iter().map(|y| format!("{y}年")).collect();
            notes.push(format!(
                "{}的节假日安排尚未载入，相关案件未计入办理工作日。",
                years.join("、")
            ));
        }
        for (i, n) in notes.iter().enumerate() {
            ws.write_string_with_format(i as u32, 0, n, &f.text).map_err(err)?;
        }
    }
    wb.save_to_buffer().map_err(err)
}

/// The statistics of `period` and the 清零 view as a workbook, the export
/// recorded in the audit trail (`case.stats_export`).
pub async fn export(call: &Call<'_>, period: Period) -> AppResult<Vec<u8>> {
    let s = stats(call, period).await?;
    let c = clearance(call, period).await?;
    let bytes = workbook(&s, &c)?;
    let mut tx = call.db.write().await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(
            "case.stats_export",
            "case_stats",
            format!("{}..{}", period.from, period.to),
        )
        .detail(format!(
            "from={}; to={}; cases={}; open={}",
            period.from, period.to, s.total.cases, c.total.open
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(bytes)
}
