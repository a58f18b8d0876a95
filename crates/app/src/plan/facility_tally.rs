//! Plan targets counted from the facility registries (`[target.count]`:
//! 工会驿站, 返乡创业示范园, 家政企业, 家政劳务输出示范基地, 保障性租赁住房项目)
//! and from the registers of the public employment service
//! (`crate::plan::service_tally`: 求职登记, 推荐, 招聘活动, 就业失业登记).
//!
//! Facilities are few (hundreds, not millions) and change by hand, so a
//! figure is read when asked: the facilities of the kind under the regions
//! asked for, in one query of this module's own (the plan group does not
//! import the registry), judged by core's arithmetic
//! (`shiminhua_core::plan::FacilityCount`). The board, its monthly series,
//! the evaluation and `/progress` all reach these figures through
//! `indicators::figures`, and the drill-down list takes [`counted`], so each
//! shows the same number for a (target, region, day). A register of the
//! employment service is read the same way, although it may hold many more
//! rows (seekers by the ten thousand): one read per figure request, all the
//! regions asked for at once.

use crate::error::AppResult;
use crate::store::{Db, Sql, Tx};
use crate::stored_values::fields_from_json;
use chrono::NaiveDate;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::indicator::{Outcome, Span};
use shiminhua_core::plan::{CountSource, FacilityAggregate, FacilityCount, FacilityFact, Measurement, Plan};
use shiminhua_core::record::Values;
use std::collections::{BTreeMap, HashMap};

/// A stored facility as a count reads it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub id: i64,
    pub region: DivisionCode,
    pub county: DivisionCode,
    pub values: Values,
}

impl Stored {
    fn fact(&self) -> FacilityFact<'_> {
        FacilityFact {
            region: self.region,
            county: self.county,
            values: &self.values,
        }
    }
}

/// The facilities (or the entries of the employment service's register)
/// of the count's kind under any of `regions`.
async fn load(tx: &mut Tx, count: &FacilityCount, regions: &[DivisionCode]) -> AppResult<Vec<Stored>> {
    if regions.is_empty() {
        return Ok(Vec::new());
    }
    let ranges: Vec<(i64, i64)> = regions.iter().map(|r| r.subtree_range()).collect();
    let rows = match count.kind {
        CountSource::Facility(kind) => {
            let mut q = Sql::new("SELECT id, region_code, county_code, data FROM facilities WHERE kind = ");
            q.arg(kind.code()).push(" AND ");
            q.in_ranges("region_code", &ranges);
            q.push(" ORDER BY region_code, id");
            let rows: Vec<(i64, i64, i64, String)> = tx.all(q).await?;
            let fields = kind.spec().fields;
            rows.into_iter()
                .map(|(id, region, county, data)| (id, region, county, fields_from_json(fields, &data)))
                .collect()
        }
        CountSource::Service(register) => crate::plan::service_tally::load(tx, register, &ranges).await?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|(id, region, county, values)| {
            Some(Stored {
                id,
                region: DivisionCode::from_i64(region).ok()?,
                county: DivisionCode::from_i64(county).ok()?,
                values,
            })
        })
        .collect())
}

/// The count of a target counted from a facility registry.
pub fn count_of<'a>(plan: &'a Plan, target: &str) -> Option<&'a FacilityCount> {
    match &plan.target(target)?.measurement {
        Measurement::Counted { count, .. } => Some(count),
        _ => None,
    }
}

/// The span of a figure on a day: like every figure of the plan, it stops at
/// the plan's end (`Plan::figure_day`).
fn span(plan: &Plan, as_of: NaiveDate) -> Span {
    Span {
        plan_start: plan.meta.start,
        as_of: plan.figure_day(as_of),
    }
}

/// The figures of a counted target for several regions as of a day
/// (`None`: the target is not counted from a facility registry).
pub async fn figures(
    tx: &mut Tx,
    plan: &Plan,
    target: &str,
    regions: &[DivisionCode],
    as_of: NaiveDate,
) -> AppResult<Option<HashMap<i64, Outcome>>> {
    let Some(count) = count_of(plan, target) else {
        return Ok(None);
    };
    let stored = load(tx, count, regions).await?;
    let facts: Vec<FacilityFact<'_>> = stored.iter().map(Stored::fact).collect();
    let span = span(plan, as_of);
    Ok(Some(
        regions
            .iter()
            .map(|r| {
                let value = count.evaluate(&facts, *r, span);
                (r.as_i64(), Outcome { value, base: None })
            })
            .collect(),
    ))
}

/// The figure of a counted target for a region as of a day: the one every
/// page shows for (target, region, day).
pub async fn figure(
    db: &Db,
    plan: &Plan,
    target: &str,
    region: DivisionCode,
    as_of: NaiveDate,
) -> AppResult<Option<i64>> {
    let mut tx = db.read().await?;
    Ok(figures(&mut tx, plan, target, &[region], as_of)
        .await?
        .and_then(|m| m.get(&region.as_i64()).map(|o| o.value)))
}

/// The figure at the end of each month of the plan period up to `as_of`
/// (the last point is `as_of` itself), from one read of the registry.
pub async fn monthly(
    tx: &mut Tx,
    plan: &Plan,
    target: &str,
    region: DivisionCode,
    as_of: NaiveDate,
) -> AppResult<Vec<(NaiveDate, i64)>> {
    let Some(count) = count_of(plan, target) else {
        return Ok(Vec::new());
    };
    let stored = load(tx, count, &[region]).await?;
    let facts: Vec<FacilityFact<'_>> = stored.iter().map(Stored::fact).collect();
    Ok(plan
        .month_ends(as_of.min(plan.meta.end))
        .into_iter()
        .map(|end| (end, count.evaluate(&facts, region, span(plan, end))))
        .collect())
}

/// The facilities behind a figure: those the count takes in `region` as of
/// `as_of`, with what each adds, grouped by county.
#[derive(Clone, Debug, Default)]
pub struct Counted {
    /// The facilities (or register entries) counted, by region then entry
    /// order.
    pub entries: Vec<Stored>,
    /// Per county (division code): the facilities counted and their sum.
    pub by_county: BTreeMap<i64, (i64, i64)>,
    /// The figure: facilities, their sum, or counties covered.
    pub figure: i64,
}

/// The facilities a counted target takes in `region` as of `as_of`
/// (`None`: the target is not counted). Their number, sum or counties is
/// the figure [`figures`] gives.
pub async fn counted(
    db: &Db,
    plan: &Plan,
    target: &str,
    region: DivisionCode,
    as_of: NaiveDate,
) -> AppResult<Option<Counted>> {
    let Some(count) = count_of(plan, target) else {
        return Ok(None);
    };
    let stored = load(&mut db.read().await?, count, &[region]).await?;
    let span = span(plan, as_of);
    let mut out = Counted::default();
    for s in stored.into_iter().filter(|s| count.counts(&s.values, span)) {
        let e = out.by_county.entry(s.county.as_i64()).or_default();
        e.0 += 1;
        e.1 += count.amount(&s.values);
        out.entries.push(s);
    }
    out.figure = match count.aggregate {
        FacilityAggregate::Count => out.entries.len() as i64,
        FacilityAggregate::Sum(_) => out.by_county.values().map(|c| c.1).sum(),
        FacilityAggregate::Counties => out.by_county.len() as i64,
    };
    Ok(Some(out))
}

impl Counted {
    /// The ids of the entries counted.
    pub fn ids(&self) -> Vec<i64> {
        self.entries.iter().map(|s| s.id).collect()
    }
}
