//! 案件统计: the cases received in a period by county, sector, source and
//! status, with their figures.

use super::period::{CasePeriod, local_date};
use super::scope::{REGION, counties_in, county_key, scope_of, total_label};
use crate::error::AppResult;
use crate::plan::case_tally::IN_TIME;
use crate::store::Sql;
use crate::{Call, require};
use chrono::NaiveDate;
use shiminhua_core::auth::Permission;
use shiminhua_core::calendar::{Calendar, CalendarError};
use shiminhua_core::case::{CaseStatus, Sector, Source};
use std::collections::{BTreeMap, HashMap};

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
        if CaseStatus::from_code(&g.status).is_some_and(CaseStatus::is_open) {
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
    pub period: CasePeriod,
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
pub async fn stats(call: &Call<'_>, period: CasePeriod) -> AppResult<CaseStats> {
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
    let mut statuses: Vec<Line> = CaseStatus::ALL
        .iter()
        .map(|s| Line::new(s.code(), s.label_zh()))
        .collect();
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
