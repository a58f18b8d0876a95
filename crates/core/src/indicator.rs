//! The arithmetic of computed targets: which records a target's definition
//! (`plan::Query`) takes, where in time a record falls, and the figure of a
//! region as of a day.
//!
//! This is the reference evaluation over a set of records. The database keeps
//! the same figures current as records change (see
//! `docs/decisions/0002-indicators.md`); both use the matching and the
//! contributions defined here, so that no target's arithmetic is written
//! anywhere else. A ratio is always the ratio of the region's sums, never an
//! average of its parts' ratios.

use crate::auth::RecordKind;
use crate::case::{CaseStatus, Sector, Source as CaseSource};
use crate::division::DivisionCode;
use crate::money::Fen;
use crate::plan::{Aggregate, Distinct, Filter, Query, Source, Tally, Test, Window};
use crate::record::{self, FieldSpec, FieldType, Value, Values};
use chrono::{Months, NaiveDate};
use std::collections::BTreeSet;

/// A registry record as the engine sees it.
#[derive(Clone, Copy, Debug)]
pub struct Fact<'a> {
    pub kind: RecordKind,
    /// The worker the record belongs to (for distinct counts of workers).
    pub worker: i64,
    /// Where the record is counted: its township or village.
    pub region: DivisionCode,
    pub values: &'a Values,
    /// How many family members (随迁家属) the worker has registered: a
    /// source with `family` counts them with the worker.
    pub family: i64,
}

/// The time a figure is taken over: the plan's start, and the day it is
/// taken on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub plan_start: NaiveDate,
    pub as_of: NaiveDate,
}

/// A computed figure: the value, and for a ratio its denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// A count, a sum (money in fen), or a ratio's numerator.
    pub value: i64,
    /// A ratio's denominator.
    pub base: Option<i64>,
}

impl Outcome {
    /// The figure as shown: a ratio in percent (`None` when its denominator
    /// is 0), anything else as it is.
    pub fn shown(self) -> Option<f64> {
        match self.base {
            None => Some(self.value as f64),
            Some(0) => None,
            Some(base) => Some(self.value as f64 * 100.0 / base as f64),
        }
    }
}

impl Filter {
    /// Whether a record's values pass this filter. Values are compared in
    /// their displayed form (是/否 for flags, the section letter for
    /// industries), the form the plan file uses.
    pub fn passes(&self, values: &Values) -> bool {
        let shown = values.get(self.field).map(Value::display);
        match &self.test {
            Test::In(list) => shown.is_some_and(|v| list.contains(&v)),
            Test::NotIn(list) => !shown.is_some_and(|v| list.contains(&v)),
            Test::Present(want) => shown.is_some_and(|v| !v.is_empty()) == *want,
        }
    }
}

impl Source {
    /// Whether a record is one this source takes (its kind and filters),
    /// whenever it is dated.
    pub fn admits(&self, fact: &Fact<'_>) -> bool {
        fact.kind == self.kind && self.filters.iter().all(|f| f.passes(fact.values))
    }

    /// The day that places a record in time for this source: the named date
    /// field, or the kind's own rule. `None` when that field is empty.
    pub fn date_of(&self, fact: &Fact<'_>) -> Option<NaiveDate> {
        let spec = crate::plan::source_spec(fact.kind)?;
        match self.date {
            None => record::period_date(spec, fact.values),
            Some(key) => match fact.values.get(key) {
                Some(Value::Date(d)) => Some(*d),
                Some(Value::Text(s)) if spec.field(key).is_some_and(|f| f.ty == FieldType::SchoolYear) => {
                    record::school_year_start(s)
                }
                _ => None,
            },
        }
    }

    /// The family members a counted record brings with its worker: the
    /// worker's registered family when the source counts them and the
    /// record meets its conditions, else none.
    pub fn family_of(&self, fact: &Fact<'_>) -> i64 {
        match &self.family {
            Some(when) if when.iter().all(|f| f.passes(fact.values)) => fact.family.max(0),
            _ => 0,
        }
    }

    /// Whether a record counts for this source as of `span`.
    pub fn counts(&self, fact: &Fact<'_>, span: Span) -> bool {
        self.admits(fact) && self.date_of(fact).is_some_and(|d| self.window.contains(d, span))
    }
}

impl Window {
    /// Whether a record dated `date` counts as of `span`.
    pub fn contains(self, date: NaiveDate, span: Span) -> bool {
        date <= span.as_of
            && match self {
                Window::Plan => date >= span.plan_start,
                Window::ToDate => true,
                Window::RollingYear => span
                    .as_of
                    .checked_sub_months(Months::new(12))
                    .is_none_or(|from| date > from),
            }
    }
}

/// What one record adds to a tally.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Contribution {
    /// An amount to add (1 for a count; the field's value for a sum).
    Add(i64),
    /// A member of a distinct count (a worker id or a field's value).
    Member(String),
}

impl Aggregate {
    /// What one record adds to a count or a sum (`None` for a distinct count,
    /// and for a sum whose field is empty).
    pub fn amount(&self, values: &Values) -> Option<i64> {
        match self {
            Aggregate::Count => Some(1),
            Aggregate::Sum(field) => match values.get(field) {
                Some(Value::Money(f)) => Some(f.0),
                Some(Value::Count(n)) => Some(*n),
                _ => None,
            },
            Aggregate::CountDistinct(_) => None,
        }
    }
}

impl Tally {
    /// The contribution of a record to this tally as of `span`, once per
    /// source that counts it (several sources of a count add up).
    pub fn contributions(&self, fact: &Fact<'_>, span: Span) -> Vec<Contribution> {
        self.from
            .iter()
            .filter(|s| s.counts(fact, span))
            .filter_map(|s| match &self.aggregate {
                Aggregate::Count | Aggregate::Sum(_) => self.amount(s, fact).map(Contribution::Add),
                Aggregate::CountDistinct(Distinct::Worker) => Some(Contribution::Member(fact.worker.to_string())),
                Aggregate::CountDistinct(Distinct::Field(field)) => fact
                    .values
                    .get(field)
                    .map(|v| Contribution::Member(v.key_text()))
                    .filter(|m| m != &Contribution::Member(String::new())),
            })
            .collect()
    }

    /// What a record that `source` admits adds to a count or a sum: 1 and
    /// the family it brings for a count, the field's value for a sum; `None`
    /// for a distinct count and for a sum whose field is empty.
    pub fn amount(&self, source: &Source, fact: &Fact<'_>) -> Option<i64> {
        let amount = self.aggregate.amount(fact.values)?;
        Some(match self.aggregate {
            Aggregate::Count => amount + source.family_of(fact),
            _ => amount,
        })
    }

    /// Whether a source counts the workers' family members too.
    pub fn counts_family(&self) -> bool {
        self.from.iter().any(|s| s.family.is_some())
    }

    /// The tally over the records of `region`'s subtree as of `span`.
    pub fn evaluate(&self, facts: &[Fact<'_>], region: DivisionCode, span: Span) -> i64 {
        let mut sum = 0i64;
        let mut members = BTreeSet::new();
        for fact in facts.iter().filter(|f| region.contains(f.region)) {
            for c in self.contributions(fact, span) {
                match c {
                    Contribution::Add(n) => sum = sum.saturating_add(n),
                    Contribution::Member(m) => {
                        members.insert(m);
                    }
                }
            }
        }
        match self.aggregate {
            Aggregate::CountDistinct(_) => members.len() as i64,
            _ => sum,
        }
    }
}

impl Query {
    /// The figure of `region` (the city, a county or a township) as of `span`.
    pub fn evaluate(&self, facts: &[Fact<'_>], region: DivisionCode, span: Span) -> Outcome {
        match self {
            Query::Tally(t) => Outcome {
                value: t.evaluate(facts, region, span),
                base: None,
            },
            Query::Ratio { numerator, denominator } => Outcome {
                value: numerator.evaluate(facts, region, span),
                base: Some(denominator.evaluate(facts, region, span)),
            },
        }
    }

    /// Whether any of its tallies counts family members.
    pub fn counts_family(&self) -> bool {
        match self {
            Query::Tally(t) => t.counts_family(),
            Query::Ratio { numerator, denominator } => numerator.counts_family() || denominator.counts_family(),
        }
    }

    /// The record kinds the figure depends on, each once.
    pub fn kinds(&self) -> Vec<RecordKind> {
        let tallies: Vec<&Tally> = match self {
            Query::Tally(t) => vec![t],
            Query::Ratio { numerator, denominator } => vec![numerator, denominator],
        };
        let mut kinds = Vec::new();
        for kind in tallies.iter().flat_map(|t| t.from.iter().map(|s| s.kind)) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
    }
}

/// A wage-arrears case as a computed target sees it: a source of
/// `kind = "wage_case"` (fields in `plan::CASE_SPEC`). The database computes
/// the same figures from the cases table at read time (`app::case_stats`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseFact {
    /// The township where the arrears arose.
    pub region: DivisionCode,
    /// The status now.
    pub status: CaseStatus,
    pub sector: Sector,
    pub source: CaseSource,
    pub received: NaiveDate,
    /// The day the case ended (办结, 不予受理, 移送仲裁, 移送公安), if it has.
    pub closed: Option<NaiveDate>,
    /// It ended within the time limit that ran then ([`closed_in_time`]).
    pub in_time: bool,
    pub amount_claimed: Fen,
    /// Set when it was concluded (办结).
    pub amount_recovered: Option<Fen>,
    pub workers: i64,
    pub workers_paid: Option<i64>,
}

/// Whether a case that ended on `closed` did so within the time limit that
/// ran at that moment: a refused case (不予受理, decided in 登记) against its
/// acceptance deadline `accept_due`; any other ending (办结, 移送仲裁 or
/// 移送公安, from 受理 or 调查处理, and the 已回访 that follows) against its
/// investigation deadline `handle_due` as it stood then (extended, if it
/// was). An ending without an investigation deadline is not in time.
pub fn closed_in_time(
    status: CaseStatus,
    closed: NaiveDate,
    accept_due: NaiveDate,
    handle_due: Option<NaiveDate>,
) -> bool {
    match status {
        CaseStatus::Rejected => closed <= accept_due,
        _ => handle_due.is_some_and(|due| closed <= due),
    }
}

impl CaseFact {
    /// The case as it stood at the end of `as_of`, in the fields of
    /// `plan::CASE_SPEC`: not yet ended then, it has no `closed` date, no
    /// amount recovered and no workers paid, and is `open`.
    pub fn values(&self, as_of: NaiveDate) -> Values {
        let ended = self.closed.filter(|d| *d <= as_of);
        let mut v = Values::new();
        v.insert("received", Value::Date(self.received));
        if let Some(d) = ended {
            v.insert("closed", Value::Date(d));
            if let Some(a) = self.amount_recovered {
                v.insert("amount_recovered", Value::Money(a));
            }
            if let Some(n) = self.workers_paid {
                v.insert("workers_paid", Value::Count(n));
            }
        }
        v.insert("status", Value::Text(self.status.label_zh().to_string()));
        v.insert("sector", Value::Text(self.sector.label_zh().to_string()));
        v.insert("source", Value::Text(self.source.label_zh().to_string()));
        v.insert("open", Value::Flag(ended.is_none()));
        v.insert("on_time", Value::Flag(ended.is_some() && self.in_time));
        v.insert("amount_claimed", Value::Money(self.amount_claimed));
        v.insert("workers", Value::Count(self.workers));
        v
    }
}

impl Query {
    /// The figure of `region` over cases as of `span` (the reference the
    /// database's figures are tested against).
    pub fn evaluate_cases(&self, cases: &[CaseFact], region: DivisionCode, span: Span) -> Outcome {
        let values: Vec<Values> = cases.iter().map(|c| c.values(span.as_of)).collect();
        let facts: Vec<Fact<'_>> = cases
            .iter()
            .zip(&values)
            .map(|(c, v)| Fact {
                kind: RecordKind::WageCase,
                worker: 0,
                region: c.region,
                values: v,
                family: 0,
            })
            .collect();
        self.evaluate(&facts, region, span)
    }
}

/// How a figure stands against the progress due by the day (时序进度).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pace {
    /// 严重滞后 (red).
    Severe,
    /// 滞后 (amber).
    Lagging,
    /// 正常 (green).
    OnTrack,
    /// No figure yet (not reported, or a ratio of nothing).
    NoData,
}

impl Pace {
    pub fn label_zh(self) -> &'static str {
        match self {
            Pace::Severe => "严重滞后",
            Pace::Lagging => "滞后",
            Pace::OnTrack => "正常",
            Pace::NoData => "暂无数据",
        }
    }

    /// What the status weighs in ordering counties by how far behind they
    /// are: 严重滞后 10, 滞后 1, otherwise 0.
    pub fn lag_weight(self) -> usize {
        match self {
            Pace::Severe => 10,
            Pace::Lagging => 1,
            _ => 0,
        }
    }

    /// The CSS class of the mark (red / amber / green / grey).
    pub fn css(self) -> &'static str {
        match self {
            Pace::Severe => "red",
            Pace::Lagging => "amber",
            Pace::OnTrack => "green",
            Pace::NoData => "grey",
        }
    }
}

/// The share of the period `start..=end` elapsed by the end of `as_of`
/// (0 before it starts, 1 from its last day on).
pub fn elapsed_share(start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> f64 {
    let total = (end - start).num_days() + 1;
    let done = ((as_of - start).num_days() + 1).clamp(0, total.max(0));
    if total <= 0 { 1.0 } else { done as f64 / total as f64 }
}

/// What should have been reached by `as_of`: a cumulative target in
/// proportion to the time elapsed, a level in full.
pub fn expected(value: f64, progress: crate::plan::Progress, share: f64) -> f64 {
    match progress {
        crate::plan::Progress::Cumulative => value * share,
        crate::plan::Progress::Level => value,
    }
}

/// How far a region lags over its targets' statuses (the board lists the
/// highest first): the sum of [`Pace::lag_weight`].
pub fn lag_score(statuses: impl IntoIterator<Item = Pace>) -> usize {
    statuses.into_iter().map(Pace::lag_weight).sum()
}

/// The share of the goal reached, in whole percent from 0 to 100 (0 without
/// a figure or a positive goal).
pub fn percent_reached(actual: Option<f64>, goal: Option<f64>) -> u32 {
    match (actual, goal) {
        (Some(a), Some(g)) if g > 0.0 => (a / g * 100.0).clamp(0.0, 100.0) as u32,
        _ => 0,
    }
}

/// The status of `actual` against `expected` with the thresholds (percent of
/// the due progress reached; for a ceiling, of the ceiling kept).
pub fn status(
    actual: Option<f64>,
    expected: f64,
    comparison: crate::plan::Comparison,
    thresholds: &crate::plan::Thresholds,
) -> Pace {
    let Some(actual) = actual else { return Pace::NoData };
    let reached = match comparison {
        crate::plan::Comparison::AtMost if actual > 0.0 => expected / actual * 100.0,
        crate::plan::Comparison::AtMost => 100.0,
        _ if expected <= 0.0 => 100.0,
        _ => actual / expected * 100.0,
    };
    if reached < f64::from(thresholds.severe_below) {
        Pace::Severe
    } else if reached < f64::from(thresholds.lagging_below) {
        Pace::Lagging
    } else {
        Pace::OnTrack
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::{self, shipped};
    use crate::plan::{self, Measurement, Plan};

    fn query<'a>(plan: &'a Plan, id: &str) -> &'a Query {
        match &plan.target(id).expect(id).measurement {
            Measurement::Computed(q) => q,
            other => panic!("{id} is not computed: {other:?}"),
        }
    }

    fn code(s: &str) -> DivisionCode {
        s.parse().expect(s)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().expect(s)
    }

    fn values(pairs: &[(&'static str, Value)]) -> Values {
        pairs.iter().cloned().collect()
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    fn span(as_of: &str) -> Span {
        Span {
            plan_start: day("2023-01-01"),
            as_of: day(as_of),
        }
    }

    // Townships of two counties: 徽城镇, 深渡镇 (歙县), 海阳镇 (休宁县).
    const HUICHENG: &str = "341021100000";
    const SHENDU: &str = "341021101000";
    const HAIYANG: &str = "341022100000";

    #[test]
    fn percent_reached_and_lag_score() {
        assert_eq!(percent_reached(Some(45.0), Some(60.0)), 75);
        assert_eq!(percent_reached(Some(90.0), Some(60.0)), 100);
        assert_eq!(percent_reached(Some(-1.0), Some(60.0)), 0);
        assert_eq!(percent_reached(None, Some(60.0)), 0);
        assert_eq!(percent_reached(Some(5.0), Some(0.0)), 0);
        assert_eq!(percent_reached(Some(5.0), None), 0);
        assert_eq!(
            lag_score([Pace::Severe, Pace::Lagging, Pace::Lagging, Pace::OnTrack]),
            12
        );
        assert_eq!(lag_score([Pace::NoData, Pace::OnTrack]), 0);
    }

    #[test]
    fn goals_by_region_from_value_and_allocation() {
        let plan = shipped();
        let area = plan.meta.region;
        let mut t = plan
            .targets
            .iter()
            .find(|t| t.progress == plan::Progress::Cumulative)
            .expect("a cumulative target")
            .clone();
        let a = crate::division::DivisionCode::parse("341002").unwrap();
        let b = crate::division::DivisionCode::parse("341003").unwrap();
        t.value = None;
        t.allocation = [(a, plan::Figure(30_000)), (b, plan::Figure(15_000))].into();
        assert_eq!(t.city_figure(), Some(plan::Figure(45_000)));
        assert_eq!(t.goal_in(area, area), Some(4.5));
        assert_eq!(t.goal_in(a, area), Some(3.0));
        assert_eq!(t.share_of(Some(b)), Some(plan::Figure(15_000)));
        let c = crate::division::DivisionCode::parse("341004").unwrap();
        assert_eq!(t.share_of(Some(c)), Some(plan::Figure(0)));
        assert_eq!(t.share_of(None), Some(plan::Figure(0)));
        assert_eq!(t.goal_in(c, area), None);
        t.value = Some(plan::Figure(50_000));
        assert_eq!(t.city_figure(), Some(plan::Figure(50_000)));
        assert_eq!(t.goal_in(area, area), Some(5.0));
        t.allocation.clear();
        assert_eq!(t.share_of(Some(a)), None);
        t.value = None;
        assert_eq!((t.city_figure(), t.goal_in(area, area)), (None, None));
        t.value = Some(plan::Figure(950_000));
        t.progress = plan::Progress::Level;
        assert_eq!(t.goal_in(a, area), Some(95.0));
    }

    #[test]
    fn local_jobs_count_each_worker_once_across_kinds_and_records() {
        let plan = shipped();
        let q = query(&plan, "local_jobs");
        let near = values(&[("form", text("就近就业")), ("start", Value::Date(day("2023-03-01")))]);
        let near_again = values(&[("form", text("就近就业")), ("start", Value::Date(day("2023-08-01")))]);
        let away = values(&[("form", text("外出务工")), ("start", Value::Date(day("2023-03-01")))]);
        let before = values(&[("form", text("就近就业")), ("start", Value::Date(day("2022-12-31")))]);
        let venture = values(&[("start", Value::Date(day("2023-05-01")))]);
        let facts = [
            // Worker 1: two local jobs and a venture: one person.
            Fact {
                kind: RecordKind::Employment,
                worker: 1,
                region: code(HUICHENG),
                values: &near,
                family: 0,
            },
            Fact {
                kind: RecordKind::Employment,
                worker: 1,
                region: code(HUICHENG),
                values: &near_again,
                family: 0,
            },
            Fact {
                kind: RecordKind::Venture,
                worker: 1,
                region: code(HUICHENG),
                values: &venture,
                family: 0,
            },
            // Worker 2: works away; worker 3: started before the plan.
            Fact {
                kind: RecordKind::Employment,
                worker: 2,
                region: code(SHENDU),
                values: &away,
                family: 0,
            },
            Fact {
                kind: RecordKind::Employment,
                worker: 3,
                region: code(SHENDU),
                values: &before,
                family: 0,
            },
            // Worker 4: a venture in 休宁县.
            Fact {
                kind: RecordKind::Venture,
                worker: 4,
                region: code(HAIYANG),
                values: &venture,
                family: 0,
            },
        ];
        let at = |region: &str, as_of: &str| q.evaluate(&facts, code(region), span(as_of)).value;
        assert_eq!(at("341000", "2023-12-31"), 2);
        assert_eq!(at("341021", "2023-12-31"), 1);
        assert_eq!(at("341022", "2023-12-31"), 1);
        assert_eq!(at(SHENDU, "2023-12-31"), 0);
        // As of 2023-04-30 the ventures have not started yet.
        assert_eq!(at("341000", "2023-04-30"), 1);
        assert_eq!(at("341000", "2022-12-31"), 0);
    }

    #[test]
    fn training_counts_subsidised_attendances() {
        let plan = shipped();
        let q = query(&plan, "training");
        let yes = values(&[
            ("subsidised", Value::Flag(true)),
            ("start", Value::Date(day("2023-06-01"))),
        ]);
        let no = values(&[
            ("subsidised", Value::Flag(false)),
            ("start", Value::Date(day("2023-06-01"))),
        ]);
        let facts = [
            Fact {
                kind: RecordKind::Training,
                worker: 1,
                region: code(HUICHENG),
                values: &yes,
                family: 0,
            },
            Fact {
                kind: RecordKind::Training,
                worker: 1,
                region: code(HUICHENG),
                values: &yes,
                family: 0,
            },
            Fact {
                kind: RecordKind::Training,
                worker: 2,
                region: code(HUICHENG),
                values: &no,
                family: 0,
            },
        ];
        // 人次: the same person twice counts twice.
        assert_eq!(q.evaluate(&facts, code("341000"), span("2023-12-31")).value, 2);
    }

    #[test]
    fn a_ratio_is_the_ratio_of_sums_not_the_mean_of_ratios() {
        let plan = shipped();
        let q = query(&plan, "schooling_public");
        let public = values(&[("school_type", text("公办")), ("school_year", text("2023-2024"))]);
        let bought = values(&[
            ("school_type", text("政府购买学位的民办")),
            ("school_year", text("2023-2024")),
        ]);
        let private = values(&[("school_type", text("其他民办")), ("school_year", text("2023-2024"))]);
        let old = values(&[("school_type", text("其他民办")), ("school_year", text("2021-2022"))]);
        let fact = |worker: i64, region: &str, values| Fact {
            kind: RecordKind::Schooling,
            worker,
            region: code(region),
            values,
            family: 0,
        };
        let facts = [
            // 歙县: 徽城镇 1 of 1 public; 深渡镇 2 of 4 public or bought.
            fact(1, HUICHENG, &public),
            fact(2, SHENDU, &public),
            fact(3, SHENDU, &bought),
            fact(4, SHENDU, &private),
            fact(5, SHENDU, &private),
            // An earlier school year is outside the rolling year.
            fact(6, SHENDU, &old),
        ];
        let county = q.evaluate(&facts, code("341021"), span("2023-12-31"));
        assert_eq!(
            county,
            Outcome {
                value: 3,
                base: Some(5)
            }
        );
        assert_eq!(county.shown(), Some(60.0), "3/5, not the mean of 100% and 50%");
        let town = q.evaluate(&facts, code(HUICHENG), span("2023-12-31"));
        assert_eq!(town.shown(), Some(100.0));
        // No pupils: no figure rather than 0% or a division by zero.
        assert_eq!(q.evaluate(&facts, code("341022"), span("2023-12-31")).shown(), None);
    }

    #[test]
    fn settlement_counts_those_with_the_intention_who_settled() {
        let plan = shipped();
        let q = query(&plan, "settlement");
        let settled = values(&[
            ("intention", text("有")),
            ("intention_date", Value::Date(day("2022-06-01"))),
            ("settled", Value::Date(day("2023-04-01"))),
        ]);
        let waiting = values(&[
            ("intention", text("有")),
            ("intention_date", Value::Date(day("2023-02-01"))),
        ]);
        let none = values(&[
            ("intention", text("无")),
            ("intention_date", Value::Date(day("2023-02-01"))),
        ]);
        let facts = [
            Fact {
                kind: RecordKind::Settlement,
                worker: 1,
                region: code(HUICHENG),
                values: &settled,
                family: 0,
            },
            Fact {
                kind: RecordKind::Settlement,
                worker: 2,
                region: code(HUICHENG),
                values: &waiting,
                family: 0,
            },
            Fact {
                kind: RecordKind::Settlement,
                worker: 3,
                region: code(HUICHENG),
                values: &none,
                family: 0,
            },
        ];
        let end = q.evaluate(&facts, code("341000"), span("2023-12-31"));
        assert_eq!(
            end,
            Outcome {
                value: 1,
                base: Some(2)
            }
        );
        // Before the settlement date, nobody has settled yet.
        assert_eq!(q.evaluate(&facts, code("341000"), span("2023-03-31")).value, 0);
    }

    #[test]
    fn settlement_counts_the_family_that_settles_with_the_worker() {
        let plan = shipped();
        let q = query(&plan, "settlement");
        let settled = |household: &str| {
            values(&[
                ("intention", text("有")),
                ("intention_date", Value::Date(day("2023-02-01"))),
                ("settled", Value::Date(day("2023-04-01"))),
                ("household", text(household)),
            ])
        };
        let family = settled("家庭户");
        let alone = settled("集体户");
        let waiting = values(&[
            ("intention", text("有")),
            ("intention_date", Value::Date(day("2023-02-01"))),
        ]);
        let fact = |worker: i64, values, family: i64| Fact {
            kind: RecordKind::Settlement,
            worker,
            region: code(HUICHENG),
            values,
            family,
        };
        let facts = [
            // Settled with a spouse and two children.
            fact(1, &family, 3),
            // Settled alone in a 集体户; a parent did not.
            fact(2, &alone, 1),
            // Waiting, with a spouse.
            fact(3, &waiting, 1),
        ];
        assert_eq!(
            q.evaluate(&facts, code("341000"), span("2023-12-31")),
            Outcome {
                value: 4 + 1,
                base: Some(4 + 2 + 2)
            }
        );
        // Before anyone settled: the intentions only.
        assert_eq!(q.evaluate(&facts, code("341000"), span("2023-03-01")).value, 0);
    }

    #[test]
    fn sums_add_money_and_filters_test_presence() {
        let src = |filters| Source {
            kind: RecordKind::Venture,
            date: Some("start"),
            window: Window::ToDate,
            filters,
            family: None,
        };
        let loan = values(&[
            ("start", Value::Date(day("2023-02-01"))),
            ("loan", Value::Money(Fen(20_000_000))),
        ]);
        let no_loan = values(&[("start", Value::Date(day("2023-02-01")))]);
        let facts = [
            Fact {
                kind: RecordKind::Venture,
                worker: 1,
                region: code(HUICHENG),
                values: &loan,
                family: 0,
            },
            Fact {
                kind: RecordKind::Venture,
                worker: 2,
                region: code(HUICHENG),
                values: &loan,
                family: 0,
            },
            Fact {
                kind: RecordKind::Venture,
                worker: 3,
                region: code(HUICHENG),
                values: &no_loan,
                family: 0,
            },
        ];
        let sum = Tally {
            aggregate: Aggregate::Sum("loan"),
            from: vec![src(vec![])],
        };
        assert_eq!(sum.evaluate(&facts, code("341000"), span("2023-12-31")), 40_000_000);
        let without = Tally {
            aggregate: Aggregate::Count,
            from: vec![src(vec![Filter {
                field: "loan",
                test: Test::Present(false),
            }])],
        };
        assert_eq!(without.evaluate(&facts, code("341000"), span("2023-12-31")), 1);
        let not_in = Filter {
            field: "form",
            test: Test::NotIn(vec!["就近就业".into()]),
        };
        assert!(not_in.passes(&no_loan), "an absent value is none of the listed ones");
    }

    #[test]
    fn time_progress_and_status() {
        use crate::plan::{Comparison, Progress, Thresholds};
        let (start, end) = (day("2023-01-01"), day("2023-12-31"));
        assert_eq!(elapsed_share(start, end, day("2022-12-31")), 0.0);
        assert_eq!(elapsed_share(start, end, day("2023-12-31")), 1.0);
        assert_eq!(elapsed_share(start, end, day("2024-05-01")), 1.0);
        // 30 September: 273 of 365 days.
        let share = elapsed_share(start, end, day("2023-09-30"));
        assert!((share - 273.0 / 365.0).abs() < 1e-12);
        let due = expected(8000.0, Progress::Cumulative, share);
        assert!((due - 8000.0 * 273.0 / 365.0).abs() < 1e-9);
        assert_eq!(expected(95.0, Progress::Level, share), 95.0);
        let t = Thresholds {
            lagging_below: 90,
            severe_below: 70,
        };
        // 5,983.56 due: 5,400 is 90.2% of it, 5,300 is 88.6%, 4,100 is 68.5%.
        assert_eq!(status(Some(5400.0), due, Comparison::AtLeast, &t), Pace::OnTrack);
        assert_eq!(status(Some(5300.0), due, Comparison::AtLeast, &t), Pace::Lagging);
        assert_eq!(status(Some(4100.0), due, Comparison::AtLeast, &t), Pace::Severe);
        assert_eq!(status(None, due, Comparison::AtLeast, &t), Pace::NoData);
        let ratio = Thresholds {
            lagging_below: 100,
            severe_below: 95,
        };
        assert_eq!(status(Some(95.0), 95.0, Comparison::AtLeast, &ratio), Pace::OnTrack);
        assert_eq!(status(Some(92.0), 95.0, Comparison::AtLeast, &ratio), Pace::Lagging);
        assert_eq!(status(Some(90.0), 95.0, Comparison::AtLeast, &ratio), Pace::Severe);
        // A ceiling: 12 against at most 10 keeps 83% of it.
        assert_eq!(status(Some(12.0), 10.0, Comparison::AtMost, &t), Pace::Lagging);
        assert_eq!(status(Some(8.0), 10.0, Comparison::AtMost, &t), Pace::OnTrack);
    }

    #[test]
    fn windows_place_dates_around_the_day() {
        let s = span("2024-03-15");
        assert!(Window::Plan.contains(day("2023-01-01"), s));
        assert!(!Window::Plan.contains(day("2022-12-31"), s));
        assert!(Window::ToDate.contains(day("2020-01-01"), s));
        assert!(!Window::ToDate.contains(day("2024-03-16"), s));
        assert!(Window::RollingYear.contains(day("2023-03-16"), s));
        assert!(!Window::RollingYear.contains(day("2023-03-15"), s));
    }

    #[test]
    fn every_computed_target_of_the_shipped_plan_names_kinds_of_the_registry() {
        let plan = shipped();
        let computed: Vec<&str> = plan
            .targets
            .iter()
            .filter(|t| matches!(t.measurement, Measurement::Computed(_)))
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(computed, ["local_jobs", "training", "schooling_public", "settlement"]);
        for id in computed {
            assert!(!query(&plan, id).kinds().is_empty(), "{id}");
        }
    }

    #[test]
    fn case_targets_take_the_cases_as_they_stood_on_the_day() {
        use crate::case::{CaseStatus, Sector, Source as CaseSource};
        let text = format!("{}{}", fixtures::SHIPPED, fixtures::CASE_TARGETS);
        let plan = plan::parse(&text, &fixtures::context()).unwrap_or_else(|e| panic!("{e:?}"));
        let case =
            |region: &str, status, received: &str, closed: Option<&str>, in_time, recovered: Option<i64>| CaseFact {
                region: code(region),
                status,
                sector: Sector::Construction,
                source: CaseSource::Hotline,
                received: day(received),
                closed: closed.map(day),
                in_time,
                amount_claimed: Fen(1_000_000),
                amount_recovered: recovered.map(Fen),
                workers: 5,
                workers_paid: recovered.map(|_| 5),
            };
        let cases = [
            // 歙县: concluded in time, 8,000元 recovered; refused late; still open.
            case(
                HUICHENG,
                CaseStatus::Closed,
                "2023-03-01",
                Some("2023-04-10"),
                true,
                Some(800_000),
            ),
            case(
                SHENDU,
                CaseStatus::Rejected,
                "2023-03-01",
                Some("2023-03-20"),
                false,
                None,
            ),
            case(SHENDU, CaseStatus::Investigating, "2023-05-01", None, false, None),
            // 休宁县: concluded late in June (4,000元), followed up since.
            case(
                HAIYANG,
                CaseStatus::FollowedUp,
                "2023-02-01",
                Some("2023-06-30"),
                false,
                Some(400_000),
            ),
            // Received before the plan, open until March 2023.
            case(
                HAIYANG,
                CaseStatus::Police,
                "2022-11-01",
                Some("2023-03-15"),
                true,
                None,
            ),
        ];
        let at =
            |id: &str, region: &str, as_of: &str| query(&plan, id).evaluate_cases(&cases, code(region), span(as_of));
        // Open at the end of the day: received by then and not ended.
        assert_eq!(at("case_clearance", "341000", "2023-12-31").value, 1);
        assert_eq!(at("case_clearance", "341000", "2023-03-31").value, 2);
        assert_eq!(at("case_clearance", "341000", "2023-03-14").value, 4);
        assert_eq!(at("case_clearance", "341000", "2023-03-15").value, 3);
        assert_eq!(at("case_clearance", "341022", "2023-12-31").value, 0);
        assert_eq!(at("case_clearance", "341021", "2023-12-31").value, 1);
        assert_eq!(at("case_clearance", "341000", "2022-12-31").value, 1);
        // Recovered: counted from the day the case was concluded.
        assert_eq!(at("case_recovered", "341000", "2023-12-31").value, 1_200_000);
        assert_eq!(at("case_recovered", "341000", "2023-06-29").value, 800_000);
        assert_eq!(at("case_recovered", "341022", "2023-12-31").value, 400_000);
        // In time among the ended cases other than refusals (plan window: from 2023-01-01).
        assert_eq!(
            at("case_in_time", "341000", "2023-12-31"),
            Outcome {
                value: 2,
                base: Some(3)
            }
        );
        assert_eq!(
            at("case_in_time", "341000", "2023-04-30"),
            Outcome {
                value: 2,
                base: Some(2)
            }
        );
        assert_eq!(at("case_in_time", "341021", "2023-03-31").shown(), None);
        // The values as of a day before the end carry no end.
        let v = cases[0].values(day("2023-04-09"));
        assert_eq!(v.get("open"), Some(&Value::Flag(true)));
        assert_eq!(v.get("on_time"), Some(&Value::Flag(false)));
        assert!(!v.contains_key("closed") && !v.contains_key("amount_recovered"));
        let v = cases[0].values(day("2023-04-10"));
        assert_eq!(v.get("on_time"), Some(&Value::Flag(true)));
        assert_eq!(v.get("amount_recovered"), Some(&Value::Money(Fen(800_000))));
    }

    #[test]
    fn closed_in_time_uses_the_limit_that_ran() {
        use crate::case::CaseStatus;
        let (accept, handle) = (day("2023-10-10"), Some(day("2024-01-02")));
        assert!(closed_in_time(CaseStatus::Rejected, day("2023-10-10"), accept, handle));
        assert!(!closed_in_time(CaseStatus::Rejected, day("2023-10-11"), accept, handle));
        assert!(closed_in_time(CaseStatus::Closed, day("2024-01-02"), accept, handle));
        assert!(!closed_in_time(
            CaseStatus::FollowedUp,
            day("2024-01-03"),
            accept,
            handle
        ));
        assert!(closed_in_time(
            CaseStatus::Arbitration,
            day("2023-12-01"),
            accept,
            handle
        ));
        assert!(!closed_in_time(CaseStatus::Police, day("2023-10-01"), accept, None));
    }
}
