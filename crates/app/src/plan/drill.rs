//! What a computed figure counts (the board's drill-down): the people, or
//! the records, behind a target's figure for a region on a day, with every
//! record that qualifies them, from every source the target takes. The list
//! is made with the same arithmetic as the figure (`shiminhua_core::indicator`)
//! over the records as stored, so that its count is the figure.

use crate::error::AppResult;
use crate::plan::indicators::facts_in;
use crate::require;
use crate::store::Db;
use chrono::NaiveDate;
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::indicator::Span;
use shiminhua_core::person::mask_name;
use shiminhua_core::plan::{Aggregate, Distinct, Measurement, Plan, Query, Tally};

/// A record that counts, and what it adds.
#[derive(Clone, Debug)]
pub struct CountedRecord {
    pub id: i64,
    pub kind: RecordKind,
    /// The source of the target it counts for (its place in `from`).
    pub source: usize,
    /// The day that places it in time for that source.
    pub date: Option<NaiveDate>,
    pub region: DivisionCode,
    /// Family members counted with the worker through this record.
    pub family: i64,
    /// What it adds to a count or a sum (a distinct count: 1 per person,
    /// however many records qualify them).
    pub adds: i64,
}

/// A worker behind the figure, with the records that count.
#[derive(Clone, Debug)]
pub struct CountedPerson {
    pub worker: i64,
    pub name_masked: String,
    pub records: Vec<CountedRecord>,
    /// What the person adds to the figure (1 for a distinct count).
    pub adds: i64,
    /// Whether the reader's scope and permissions let them see the person.
    pub visible: bool,
}

/// What one source of the target contributes.
#[derive(Clone, Debug)]
pub struct SourceShare {
    pub kind: RecordKind,
    /// Records of this source that count.
    pub records: usize,
    /// People with a record of this source that counts.
    pub people: usize,
}

/// The drill-down of one part of a figure.
#[derive(Clone, Debug)]
pub struct Drill {
    pub region: DivisionCode,
    /// The day the figure is taken on ([`Plan::figure_day`]).
    pub as_of: NaiveDate,
    /// A distinct count of people: the total is the number of people.
    pub by_person: bool,
    /// A sum of a field (the total is the sum of the records' amounts).
    pub sum_of: Option<&'static str>,
    /// The figure as listed: people, records (人次) or the sum.
    pub total: i64,
    /// Of the total, family members counted with the workers.
    pub family: i64,
    pub sources: Vec<SourceShare>,
    /// In worker order.
    pub people: Vec<CountedPerson>,
}

/// The tally of a computed target's part (0: the figure or a ratio's
/// numerator, 1: a ratio's denominator); `None` for other targets and parts,
/// and for tallies over cases (listed on the case pages).
pub fn tally_of<'a>(plan: &'a Plan, target: &str, part: i64) -> Option<&'a Tally> {
    let t = plan.target(target)?;
    let Measurement::Computed(q) = &t.measurement else {
        return None;
    };
    let tally = match (q, part) {
        (Query::Tally(t), 0) => t,
        (Query::Ratio { numerator, .. }, 0) => numerator,
        (Query::Ratio { denominator, .. }, 1) => denominator,
        _ => return None,
    };
    (!tally.is_cases()).then_some(tally)
}

/// What the figure of `target` (its `part`) for `region` on `as_of` counts;
/// `None` when the target has no such registry tally. Needs `ViewDashboard`;
/// people outside the reader's data scope, or every person for a reader
/// without `ReadPii`, are counted but not shown (`visible`).
pub async fn drill(
    db: &Db,
    actor: &Actor,
    plan: &Plan,
    target: &str,
    part: i64,
    region: DivisionCode,
    as_of: NaiveDate,
) -> AppResult<Option<Drill>> {
    require(actor, Permission::ViewDashboard)?;
    let Some(tally) = tally_of(plan, target, part) else {
        return Ok(None);
    };
    if !plan.meta.region.contains(region) {
        return Ok(None);
    }
    let as_of = plan.figure_day(as_of);
    let span = Span {
        plan_start: plan.meta.start,
        as_of,
    };
    let mut kinds: Vec<RecordKind> = Vec::new();
    for s in &tally.from {
        if !kinds.contains(&s.kind) {
            kinds.push(s.kind);
        }
    }
    let mut tx = db.read().await?;
    let facts = facts_in(&mut tx, &kinds, region, tally.counts_family()).await?;
    drop(tx);
    let by_person = matches!(tally.aggregate, Aggregate::CountDistinct(Distinct::Worker));
    let sum_of = match tally.aggregate {
        Aggregate::Sum(field) => Some(field),
        _ => None,
    };
    let pii = actor.can(Permission::ReadPii);
    let mut sources: Vec<SourceShare> = tally
        .from
        .iter()
        .map(|s| SourceShare {
            kind: s.kind,
            records: 0,
            people: 0,
        })
        .collect();
    let mut people: Vec<CountedPerson> = Vec::new();
    for (id, name, stored) in &facts {
        let fact = stored.fact();
        for (i, source) in tally.from.iter().enumerate() {
            if !source.counts(&fact, span) {
                continue;
            }
            let (adds, family) = match &tally.aggregate {
                Aggregate::Count => {
                    let family = source.family_of(&fact);
                    (1 + family, family)
                }
                Aggregate::Sum(_) => match tally.aggregate.amount(fact.values) {
                    Some(n) => (n, 0),
                    None => continue,
                },
                Aggregate::CountDistinct(_) => (0, 0),
            };
            let record = CountedRecord {
                id: *id,
                kind: stored.kind,
                source: i,
                date: source.date_of(&fact),
                region: stored.region,
                family,
                adds,
            };
            let visible = pii && actor.scope.allows(stored.kind, stored.region);
            match people.last_mut() {
                Some(p) if p.worker == stored.worker => {
                    p.visible |= visible;
                    p.records.push(record);
                }
                _ => people.push(CountedPerson {
                    worker: stored.worker,
                    name_masked: mask_name(name),
                    records: vec![record],
                    adds: 0,
                    visible,
                }),
            }
        }
    }
    let mut total = 0i64;
    let mut family = 0i64;
    for p in &mut people {
        p.adds = if by_person {
            1
        } else {
            p.records.iter().map(|r| r.adds).sum()
        };
        total += p.adds;
        family += p.records.iter().map(|r| r.family).sum::<i64>();
        for (i, share) in sources.iter_mut().enumerate() {
            let n = p.records.iter().filter(|r| r.source == i).count();
            share.records += n;
            share.people += usize::from(n > 0);
        }
    }
    Ok(Some(Drill {
        region,
        as_of,
        by_person,
        sum_of,
        total,
        family,
        sources,
        people,
    }))
}
