//! What a computed figure counts (the board's drill-down): the people, or
//! the records, behind a target's figure for a region on a day, with every
//! record that qualifies them, from every source the target takes. The list
//! is made with the same arithmetic as the figure (`shiminhua_core::indicator`)
//! over the records as stored, so that its count is the figure.
//!
//! A small figure is read whole ([`drill`]): its sources, family members and
//! the people outside the reader's scope are known. A large one (a city's
//! figure at 1,000,000 workers reads some 700,000 records whole, seconds a
//! request) is read a page at a time ([`drill_page`]): the records of the
//! tally's kinds in worker order, each person put together with the same
//! arithmetic, until the page is full. Its total is then the figure itself.

use crate::error::AppResult;
use crate::plan::indicators::{StoredFact, family_of};
use crate::require;
use crate::store::{Backend, Db, Sql, Tx, dialect};
use chrono::NaiveDate;
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::field::FieldSpec;
use shiminhua_core::indicator::Span;
use shiminhua_core::person::mask_name;
use shiminhua_core::plan::{Aggregate, Distinct, Measurement, Plan, Query, Source, Tally, Test};
use shiminhua_core::record::{self, FieldType};

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
/// without `ReadPii` or reaching only its cases' parties, are counted but
/// not shown (`visible`).
pub async fn drill(
    db: &Db,
    actor: &Actor,
    plan: &Plan,
    target: &str,
    part: i64,
    region: DivisionCode,
    as_of: NaiveDate,
) -> AppResult<Option<Drill>> {
    let Some(tally) = drillable(actor, plan, target, part, region)? else {
        return Ok(None);
    };
    let as_of = plan.figure_day(as_of);
    let span = Span {
        plan_start: plan.meta.start,
        as_of,
    };
    let kinds = kinds_of(tally);
    let mut tx = db.read().await?;
    let facts = facts_in(&mut tx, &kinds, region, tally.counts_family()).await?;
    let by_person = matches!(tally.aggregate, Aggregate::CountDistinct(Distinct::Worker));
    let sum_of = match tally.aggregate {
        Aggregate::Sum(field) => Some(field),
        _ => None,
    };
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
    for (id, stored) in &facts {
        count_fact(&mut people, tally, span, actor, *id, stored);
    }
    fill_names(&mut tx, &mut people).await?;
    let mut total = 0i64;
    let mut family = 0i64;
    for p in &mut people {
        p.adds = adds_of(p, by_person);
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

/// Adds what one record counts for (per source of the tally) to the last
/// person of `people`, or to a new person when the record is another
/// worker's (records come in worker order).
fn count_fact(people: &mut Vec<CountedPerson>, tally: &Tally, span: Span, actor: &Actor, id: i64, stored: &StoredFact) {
    let fact = stored.fact();
    let pii = lists_people(actor);
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
            id,
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
                // Read for the people listed ([`fill_names`]).
                name_masked: String::new(),
                records: vec![record],
                adds: 0,
                visible,
            }),
        }
    }
}

/// What a person adds: 1 to a distinct count, their records' amounts else.
fn adds_of(p: &CountedPerson, by_person: bool) -> i64 {
    if by_person {
        1
    } else {
        p.records.iter().map(|r| r.adds).sum()
    }
}

/// Figures up to this size are read whole; larger ones a page at a time.
pub const WHOLE_UP_TO: i64 = 5_000;

/// Records read at a time when a drill-down is read a page at a time.
pub const BATCH: i64 = 2_000;

/// What the whole of a figure holds, known when it is read whole.
#[derive(Clone, Debug)]
pub struct WholeFigure {
    /// Family members counted with the workers.
    pub family: i64,
    pub sources: Vec<SourceShare>,
    /// People counted who are not listed (outside the reader's scope).
    pub hidden: usize,
    /// Pages of listed people.
    pub pages: usize,
}

/// One page of a drill-down: the people the reader may see, in worker order.
#[derive(Clone, Debug)]
pub struct DrillPage {
    pub region: DivisionCode,
    pub as_of: NaiveDate,
    pub by_person: bool,
    pub sum_of: Option<&'static str>,
    /// The figure (people, records or the sum), as the board shows it.
    pub total: i64,
    /// Read whole (a small figure); `None` when read a page at a time.
    pub whole: Option<WholeFigure>,
    /// The page's people, all visible to the reader.
    pub people: Vec<CountedPerson>,
    /// The number of the page's first person among the listed ones (from 1).
    pub first_no: usize,
    /// More people follow this page.
    pub more: bool,
    /// Read a page at a time for a reader who may not see everyone counted
    /// (outside the reader's scope, or no people shown to the reader): the
    /// people left out are not counted apart.
    pub partial: bool,
}

/// Page `page` (from 1) of `per_page` people of what the figure of
/// `target` (its `part`) for `region` on `as_of` counts, read whole when
/// the figure is at most [`WHOLE_UP_TO`] and a page at a time otherwise.
#[expect(clippy::too_many_arguments, reason = "the figure and the page asked for")]
pub async fn drill_page(
    db: &Db,
    actor: &Actor,
    plan: &Plan,
    target: &str,
    part: i64,
    region: DivisionCode,
    as_of: NaiveDate,
    page: usize,
    per_page: usize,
) -> AppResult<Option<DrillPage>> {
    let reading = Reading {
        whole_up_to: WHOLE_UP_TO,
        batch: BATCH,
    };
    drill_page_with(db, actor, plan, target, part, region, as_of, page, per_page, reading).await
}

/// How a drill-down is read: whole up to a figure of `whole_up_to`, else a
/// page at a time, at most `batch` records a read.
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    pub whole_up_to: i64,
    pub batch: i64,
}

/// [`drill_page`] read as `reading` says (tests read small figures a page
/// at a time, in small batches).
#[expect(clippy::too_many_arguments, reason = "the figure and the page asked for")]
pub async fn drill_page_with(
    db: &Db,
    actor: &Actor,
    plan: &Plan,
    target: &str,
    part: i64,
    region: DivisionCode,
    as_of: NaiveDate,
    page: usize,
    per_page: usize,
    reading: Reading,
) -> AppResult<Option<DrillPage>> {
    let Some(tally) = drillable(actor, plan, target, part, region)? else {
        return Ok(None);
    };
    let (page, per_page) = (page.max(1), per_page.max(1));
    let mut tx = db.read().await?;
    let Some(figure) = crate::plan::indicators::figure(&mut tx, plan, target, region, as_of).await? else {
        return Ok(None);
    };
    let total = if part == 0 {
        figure.value
    } else {
        figure.base.unwrap_or_default()
    };
    drop(tx);
    if total <= reading.whole_up_to {
        let Some(d) = drill(db, actor, plan, target, part, region, as_of).await? else {
            return Ok(None);
        };
        let visible: Vec<CountedPerson> = d.people.iter().filter(|p| p.visible).cloned().collect();
        let pages = visible.len().div_ceil(per_page).max(1);
        let page = page.min(pages);
        let first = (page - 1) * per_page;
        return Ok(Some(DrillPage {
            region,
            as_of: d.as_of,
            by_person: d.by_person,
            sum_of: d.sum_of,
            total: d.total,
            whole: Some(WholeFigure {
                family: d.family,
                sources: d.sources,
                hidden: d.people.len() - visible.len(),
                pages,
            }),
            more: page < pages,
            partial: false,
            first_no: first + 1,
            people: visible.into_iter().skip(first).take(per_page).collect(),
        }));
    }
    let as_of = plan.figure_day(as_of);
    let span = Span {
        plan_start: plan.meta.start,
        as_of,
    };
    let by_person = matches!(tally.aggregate, Aggregate::CountDistinct(Distinct::Worker));
    let kinds = kinds_of(tally);
    let skip = (page - 1) * per_page;
    let mut seen = 0usize;
    let mut listed: Vec<CountedPerson> = Vec::new();
    let mut more = false;
    let mut after = 0i64;
    let (lo, hi) = region.subtree_range();
    // Where the reader may see each source's kind, within the region: a
    // person is listed when a record there counts.
    let seen_where: Vec<(&Source, Vec<(i64, i64)>)> = if lists_people(actor) {
        tally
            .from
            .iter()
            .map(|source| {
                let ranges = actor
                    .scope
                    .ranges_for(source.kind)
                    .into_iter()
                    .map(|(a, b)| (a.max(lo), b.min(hi)))
                    .filter(|(a, b)| a <= b)
                    .collect::<Vec<_>>();
                (source, ranges)
            })
            .filter(|(_, ranges)| !ranges.is_empty())
            .collect()
    } else {
        Vec::new()
    };
    let mut tx = db.read().await?;
    let backend = tx.backend();
    // Planned with its values: a plan made once for any place and kinds
    // sorted the city's records on PostgreSQL (139 ms a page; 1 ms so).
    if let Some(plan) = dialect::plan_with_values(backend) {
        tx.exec(Sql::new(plan)).await?;
    }
    let per_record = |c: &str| dialect::record_column_per_worker(backend, c);
    // The first read asks for twice as many records as the page needs
    // people; each further read for as many as the people still needed
    // took so far (with a quarter more), or twice as many as the last when
    // none was seen yet, up to `reading.batch`.
    let most = reading.batch.max(1);
    let wanted = (skip + per_page + 1) as i64;
    let mut batch = (wanted * 2).clamp(1, most);
    let mut rows_read = 0i64;
    while !seen_where.is_empty() {
        // The next workers with a record the reader may see that may count,
        // in worker order along the (worker, kind) key: kind, place, date
        // and filters tested per record, so that SQLite walks the key and
        // stops with the batch.
        let mut q = Sql::new("SELECT r.worker_id FROM records r WHERE r.worker_id > ");
        q.arg(after).push(" AND (");
        for (i, (source, ranges)) in seen_where.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("(")
                .push(&per_record("r.kind"))
                .push(" = ")
                .arg(source.kind.code())
                .push(" AND ");
            q.in_ranges(&per_record("r.region_code"), ranges);
            may_count(&mut q, backend, source, span);
            q.push(")");
        }
        q.push(") ORDER BY r.worker_id LIMIT ").arg(batch);
        let rows: Vec<(i64,)> = tx.all(q).await?;
        let last_batch = (rows.len() as i64) < batch;
        rows_read += rows.len() as i64;
        let mut workers: Vec<i64> = rows.into_iter().map(|(w,)| w).collect();
        workers.dedup();
        let Some(&last) = workers.last() else { break };
        after = last;
        // Those workers whole: every record of the tally's kinds in the region.
        let mut q = Sql::new("SELECT r.id, r.kind, r.worker_id, r.region_code, r.data, ");
        q.push(&family_column(tally.counts_family()));
        q.push(" FROM records r WHERE ");
        q.in_list("r.worker_id", workers.iter().copied()).push(" AND ");
        q.in_list(&per_record("r.kind"), kinds.iter().map(|k| k.code()))
            .push(" AND ")
            .push(&per_record("r.region_code"))
            .push(" BETWEEN ")
            .arg(lo)
            .push(" AND ")
            .arg(hi)
            .push(" ORDER BY r.worker_id, r.id");
        let rows: Vec<(i64, String, i64, i64, String, i64)> = tx.all(q).await?;
        let mut people: Vec<CountedPerson> = Vec::new();
        for (id, stored) in facts_of(rows) {
            count_fact(&mut people, tally, span, actor, id, &stored);
        }
        for mut p in people.into_iter().filter(|p| p.visible) {
            seen += 1;
            if seen <= skip {
                continue;
            }
            if listed.len() == per_page {
                more = true;
                break;
            }
            p.adds = adds_of(&p, by_person);
            listed.push(p);
        }
        if more || last_batch {
            break;
        }
        batch = match seen as i64 {
            0 => batch * 2,
            seen => ((wanted - seen) * rows_read * 5 + seen * 4 - 1) / (seen * 4),
        }
        .clamp(1, most);
    }
    fill_names(&mut tx, &mut listed).await?;
    Ok(Some(DrillPage {
        region,
        as_of,
        by_person,
        sum_of: match tally.aggregate {
            Aggregate::Sum(field) => Some(field),
            _ => None,
        },
        total,
        whole: None,
        people: listed,
        first_no: skip + 1,
        more,
        partial: !lists_people(actor) || kinds.iter().any(|k| !actor.scope.allows(*k, region)),
    }))
}

/// The column of a record's worker's registered family (`r`), or 0 where
/// the tally does not count them.
fn family_column(family: bool) -> String {
    if family {
        family_of("r.worker_id")
    } else {
        "CAST(0 AS BIGINT)".to_string()
    }
}

/// Records rows (id, kind, worker, place, data, family) as facts.
fn facts_of(rows: Vec<(i64, String, i64, i64, String, i64)>) -> Vec<(i64, StoredFact)> {
    rows.into_iter()
        .filter_map(|(id, kind, worker, region, data, family)| {
            let mut f = StoredFact::from_row(&kind, worker, region, &data)?;
            f.family = family;
            Some((id, f))
        })
        .collect()
}

/// The records of some kinds placed in `area`'s subtree, in worker order, as
/// facts with the worker's registered family.
async fn facts_in(
    tx: &mut Tx,
    kinds: &[RecordKind],
    area: DivisionCode,
    family: bool,
) -> AppResult<Vec<(i64, StoredFact)>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let (lo, hi) = area.subtree_range();
    let mut q = Sql::new("SELECT r.id, r.kind, r.worker_id, r.region_code, r.data, ");
    q.push(&family_column(family))
        .push(" FROM records r WHERE r.region_code BETWEEN ")
        .arg(lo)
        .push(" AND ")
        .arg(hi)
        .push(" AND ");
    q.in_list("r.kind", kinds.iter().map(|k| k.code()))
        .push(" ORDER BY r.worker_id, r.id");
    Ok(facts_of(tx.all(q).await?))
}

/// The masked names of `people`, read for them alone (a figure read whole
/// may take thousands of records of the same few hundred people).
async fn fill_names(tx: &mut Tx, people: &mut [CountedPerson]) -> AppResult<()> {
    let mut names: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for chunk in people.chunks(500) {
        let mut q = Sql::new("SELECT id, name FROM workers WHERE ");
        q.in_list("id", chunk.iter().map(|p| p.worker));
        let rows: Vec<(i64, String)> = tx.all(q).await?;
        names.extend(rows);
    }
    for p in people {
        p.name_masked = names.get(&p.worker).map(|n| mask_name(n)).unwrap_or_default();
    }
    Ok(())
}

/// Whether the reader is shown people at all: with `ReadPii`, and not an
/// account that sees only its cases' parties (an inspector, whose record
/// lists hold only those: [`crate::reach::by_parties`]).
fn lists_people(actor: &Actor) -> bool {
    actor.can(Permission::ReadPii) && !crate::reach::by_parties(actor)
}

/// Narrows a query of records of `source`'s kind (`r`) to those that may
/// count for it as of `span`: every record that counts passes (the person
/// is then built from all of their records with the figure's own
/// arithmetic), so only what the stored row says exactly is tested — the
/// window on the record's period date where that is the source's date, and
/// the filters on choice fields (stored as the text the plan names). Where
/// the backend gains by it ([`dialect::drill_tests_dates_and_filters`]).
fn may_count(q: &mut Sql, backend: Backend, source: &Source, span: Span) {
    if !dialect::drill_tests_dates_and_filters(backend) {
        return;
    }
    let Some(spec) = record::spec(source.kind) else { return };
    let dated_by_period = match source.date {
        None => true,
        Some(key) => spec.date.first() == Some(&key),
    };
    if dated_by_period {
        let period = dialect::record_column_per_worker(backend, "r.period_date");
        q.push(" AND ").push(&period).push(" <= ").arg(span.as_of);
        if let Some(from) = crate::plan::indicators::window_start(source.window, span) {
            q.push(" AND ").push(&period).push(" >= ").arg(from);
        }
    }
    for f in &source.filters {
        let (Test::In(values), Some(FieldType::Choice(_))) = (&f.test, spec.field(f.field).map(|x| x.ty)) else {
            continue;
        };
        q.push(" AND ");
        q.in_list(&dialect::json_field(backend, f.field), values.iter().cloned());
    }
}

/// The record kinds a tally takes, each once.
fn kinds_of(tally: &Tally) -> Vec<RecordKind> {
    let mut kinds: Vec<RecordKind> = Vec::new();
    for s in &tally.from {
        if !kinds.contains(&s.kind) {
            kinds.push(s.kind);
        }
    }
    kinds
}

/// The tally a reader may drill into: needs `ViewDashboard`; `None` for a
/// target or part without a registry tally, or a region outside the plan.
fn drillable<'a>(
    actor: &Actor,
    plan: &'a Plan,
    target: &str,
    part: i64,
    region: DivisionCode,
) -> AppResult<Option<&'a Tally>> {
    require(actor, Permission::ViewDashboard)?;
    Ok(tally_of(plan, target, part).filter(|_| plan.meta.region.contains(region)))
}
