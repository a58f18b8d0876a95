//! The figures of the plan's computed targets, kept current in the database
//! (`indicator_cells`, `indicator_members`) in the same transaction as the
//! record writes, and recomputable from the records (`rebuild`).
//!
//! The arithmetic — which records a target takes, on which day, and what
//! each adds — is core's (`shiminhua_core::indicator`); this module only
//! stores it. Every region from the record's place up to the plan's area has
//! its own cells, so the figure of a township, a county or the city is a sum
//! over days of one region's cells. See `docs/decisions/0002-indicators.md`.
//!
//! Targets over wage-arrears cases (`kind = "wage_case"`) have no cells:
//! they are read from the cases table when asked (`crate::rights::case_stats`).
//! Tallies that count the workers' family members (`family`) have cells
//! too: a record adds its worker's registered family as stored with it, and
//! a family member registered, moved or removed moves the contributions of
//! the worker's records ([`family_changed`]).
//!
//! Every figure is taken on one day, [`Plan::figure_day`]: the plan's figures are
//! those of its period, and after its end they stay as they were on its last
//! day. The board, its monthly series, the evaluation and the public
//! progress page all read through [`figures`], so that a target, a region
//! and a day have one value.

use crate::error::{AppError, AppResult};
use crate::plan::memo::{self, Memo};
use crate::store::{Arg, Db, Sql, Tx};
use crate::stored_values::from_json;
use chrono::{Months, NaiveDate};
use shiminhua_core::auth::RecordKind;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::indicator::{Fact, Outcome, Pace, Span, elapsed_share, expected, status};
use shiminhua_core::plan::{Aggregate, MONEY_UNITS, Measurement, Plan, Progress, Query, Tally, Window};
use shiminhua_core::record::{self, Values};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A record as stored: its kind, worker, place and values.
#[derive(Clone, Debug)]
pub struct StoredFact {
    pub kind: RecordKind,
    pub worker: i64,
    pub region: DivisionCode,
    pub values: Values,
    /// The worker's registered family members (0 where not read: the
    /// writers' facts read it, see [`family_of`]).
    pub family: i64,
}

impl StoredFact {
    pub fn fact(&self) -> Fact<'_> {
        Fact {
            kind: self.kind,
            worker: self.worker,
            region: self.region,
            values: &self.values,
            family: self.family,
        }
    }

    /// From a records row (kind code, worker id, region code, JSON data).
    pub fn from_row(kind: &str, worker: i64, region: i64, data: &str) -> Option<StoredFact> {
        let kind = RecordKind::from_code(kind)?;
        let spec = record::spec(kind)?;
        Some(StoredFact {
            kind,
            worker,
            region: DivisionCode::from_i64(region).ok()?,
            values: from_json(spec, data),
            family: 0,
        })
    }
}

/// The day the board shows when none is asked for: today, within the plan
/// period.
pub fn default_day(plan: &Plan, today: NaiveDate) -> NaiveDate {
    today.clamp(plan.meta.start, plan.meta.end.max(plan.meta.start))
}

/// The computed targets of a plan with their tallies, all kept in cells:
/// (target id, part, tally).
fn tallies(plan: &Plan) -> Vec<(&str, i64, &Tally)> {
    let mut out = Vec::new();
    for t in &plan.targets {
        let Measurement::Computed(q) = &t.measurement else {
            continue;
        };
        match q {
            Query::Tally(tally) => out.push((t.id.as_str(), 0, tally)),
            Query::Ratio { numerator, denominator } => {
                out.push((t.id.as_str(), 0, numerator));
                out.push((t.id.as_str(), 1, denominator));
            }
        }
    }
    out
}

/// The SQL expression of a record's worker's registered family, over the
/// records' `worker_id` column named `worker`.
pub(crate) fn family_of(worker: &str) -> String {
    format!("(SELECT COUNT(*) FROM dependants d WHERE d.worker_id = {worker})")
}

fn distinct(t: &Tally) -> bool {
    matches!(t.aggregate, Aggregate::CountDistinct(_))
}

/// The regions a place counts in: itself and every level above it up to
/// the plan's area.
fn regions(place: DivisionCode, area: DivisionCode) -> Vec<i64> {
    let mut out = Vec::with_capacity(4);
    let mut at = Some(place);
    while let Some(code) = at {
        if !area.contains(code) {
            break;
        }
        out.push(code.as_i64());
        if code == area {
            break;
        }
        at = code.parent();
    }
    out
}

/// A cell's key: (target, part, source, region, day).
type CellKey = (String, i64, i64, i64, NaiveDate);

/// What a record adds to the cells of counts and sums (distinct tallies are
/// kept per worker, see `members_of`). Windows are applied when reading, so
/// every dated record has its cell.
fn additive(plan: &Plan, fact: &StoredFact, sign: i64, out: &mut HashMap<CellKey, i64>) {
    let f = fact.fact();
    for (target, part, tally) in tallies(plan) {
        if distinct(tally) {
            continue;
        }
        for (i, source) in tally.from.iter().enumerate() {
            if !source.admits(&f) {
                continue;
            }
            let Some(day) = source.date_of(&f) else { continue };
            let Some(amount) = tally.amount(source, &f) else {
                continue;
            };
            if amount == 0 {
                continue;
            }
            for region in regions(fact.region, plan.meta.region) {
                *out.entry((target.to_string(), part, i as i64, region, day))
                    .or_default() += sign * amount;
            }
        }
    }
}

/// A member's key: (target, part, region).
type MemberKey = (String, i64, i64);

/// The first day a worker counts, per distinct tally and region, from the
/// worker's records. Only the plan window's records from the plan's start
/// on count (a window that starts with the plan, or one with no start).
fn members_of(plan: &Plan, facts: &[StoredFact]) -> BTreeMap<MemberKey, NaiveDate> {
    let mut out: BTreeMap<MemberKey, NaiveDate> = BTreeMap::new();
    for (target, part, tally) in tallies(plan) {
        if !distinct(tally) {
            continue;
        }
        for fact in facts {
            let f = fact.fact();
            for source in &tally.from {
                if !source.admits(&f) {
                    continue;
                }
                let Some(day) = source.date_of(&f) else { continue };
                if source.window == Window::Plan && day < plan.meta.start {
                    continue;
                }
                for region in regions(fact.region, plan.meta.region) {
                    out.entry((target.to_string(), part, region))
                        .and_modify(|d| *d = (*d).min(day))
                        .or_insert(day);
                }
            }
        }
    }
    out
}

/// Adds `delta` to cells, creating them as needed and removing empty ones.
async fn add_to_cells(tx: &mut Tx, deltas: HashMap<CellKey, i64>) -> AppResult<()> {
    for ((target, part, source, region, day), delta) in deltas {
        if delta == 0 {
            continue;
        }
        tx.exec(
            Sql::new(
                "INSERT INTO indicator_cells (target, part, source, region, day, value) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (target, part, source, region, day) DO UPDATE SET value = indicator_cells.value + $6",
            )
            .bind(target.clone())
            .bind(part)
            .bind(source)
            .bind(region)
            .bind(day)
            .bind(delta),
        )
        .await?;
        tx.exec(
            Sql::new(
                "DELETE FROM indicator_cells WHERE target = $1 AND part = $2 AND source = $3 AND region = $4 \
                 AND day = $5 AND value = 0",
            )
            .bind(target)
            .bind(part)
            .bind(source)
            .bind(region)
            .bind(day),
        )
        .await?;
    }
    Ok(())
}

/// The records of a worker, as facts (with the family as registered now).
async fn worker_facts(tx: &mut Tx, worker: i64) -> AppResult<Vec<StoredFact>> {
    let mut q = Sql::new("SELECT kind, worker_id, region_code, data, ");
    q.push(&family_of("records.worker_id"))
        .push(" FROM records WHERE worker_id = ")
        .arg(worker);
    let rows: Vec<(String, i64, i64, String, i64)> = tx.all(q).await?;
    Ok(rows
        .iter()
        .filter_map(|(k, w, r, d, family)| {
            let mut f = StoredFact::from_row(k, *w, *r, d)?;
            f.family = *family;
            Some(f)
        })
        .collect())
}

/// Keeps the figures current after worker `worker`'s registered family
/// changed by `delta` members (a family member registered, moved by a merge
/// or removed): the worker's records now bring the family as it is. Call it
/// in the transaction that wrote the family member, after the write.
pub(crate) async fn family_changed(tx: &mut Tx, plan: &Plan, worker: i64, delta: i64) -> AppResult<()> {
    if delta == 0 || !tallies(plan).iter().any(|(_, _, t)| t.counts_family()) {
        return Ok(());
    }
    let mut deltas = HashMap::new();
    for after in worker_facts(tx, worker).await? {
        let before = StoredFact {
            family: after.family - delta,
            ..after.clone()
        };
        additive(plan, &before, -1, &mut deltas);
        additive(plan, &after, 1, &mut deltas);
    }
    add_to_cells(tx, deltas).await
}

/// Brings a worker's distinct-count memberships (and the cells counting
/// them) in line with the worker's records as they are now.
async fn refresh_members(tx: &mut Tx, plan: &Plan, worker: i64) -> AppResult<()> {
    if !tallies(plan).iter().any(|(_, _, t)| distinct(t)) {
        return Ok(());
    }
    let facts = worker_facts(tx, worker).await?;
    let want = members_of(plan, &facts);
    let rows: Vec<(String, i64, i64, NaiveDate)> = tx
        .all(Sql::new("SELECT target, part, region, day FROM indicator_members WHERE worker = $1").bind(worker))
        .await?;
    let have: BTreeMap<MemberKey, NaiveDate> = rows.into_iter().map(|(t, p, r, d)| ((t, p, r), d)).collect();
    let mut deltas: HashMap<CellKey, i64> = HashMap::new();
    for (key, day) in &have {
        if want.get(key) != Some(day) {
            *deltas.entry((key.0.clone(), key.1, 0, key.2, *day)).or_default() -= 1;
            tx.exec(
                Sql::new(
                    "DELETE FROM indicator_members WHERE target = $1 AND part = $2 AND region = $3 AND worker = $4",
                )
                .bind(key.0.clone())
                .bind(key.1)
                .bind(key.2)
                .bind(worker),
            )
            .await?;
        }
    }
    for (key, day) in &want {
        if have.get(key) != Some(day) {
            *deltas.entry((key.0.clone(), key.1, 0, key.2, *day)).or_default() += 1;
            tx.exec(
                Sql::new(
                    "INSERT INTO indicator_members (target, part, region, worker, day) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(key.0.clone())
                .bind(key.1)
                .bind(key.2)
                .bind(worker)
                .bind(*day),
            )
            .await?;
        }
    }
    add_to_cells(tx, deltas).await
}

/// Keeps the figures current after a record changed: `before` is the record
/// as it was (None for a new one), `after` as it is now (None once deleted).
/// Call it in the transaction that wrote the record, after the write.
pub(crate) async fn record_changed(
    tx: &mut Tx,
    plan: &Plan,
    before: Option<&StoredFact>,
    after: Option<&StoredFact>,
) -> AppResult<()> {
    let mut deltas = HashMap::new();
    if let Some(b) = before {
        additive(plan, b, -1, &mut deltas);
    }
    if let Some(a) = after {
        additive(plan, a, 1, &mut deltas);
    }
    add_to_cells(tx, deltas).await?;
    let mut workers: Vec<i64> = before.iter().chain(after.iter()).map(|f| f.worker).collect();
    workers.dedup();
    for w in workers {
        refresh_members(tx, plan, w).await?;
    }
    Ok(())
}

/// The figures' changes from many records written at once (an import's
/// merge): what every record took back and brought, summed per cell, and
/// the workers whose distinct-count memberships may move. Applied in the
/// merge's transaction, after its writes, as a few statements per thousand
/// workers and one grouped upsert of the cells.
pub(crate) struct Changes<'p> {
    plan: &'p Plan,
    cells: HashMap<CellKey, i64>,
    workers: std::collections::BTreeSet<i64>,
    distinct: bool,
}

impl<'p> Changes<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Changes<'p> {
        Changes {
            plan,
            cells: HashMap::new(),
            workers: std::collections::BTreeSet::new(),
            distinct: tallies(plan).iter().any(|(_, _, t)| distinct(t)),
        }
    }

    /// A record that was `before` (None: new) and is `after` (None: gone).
    pub(crate) fn record(&mut self, before: Option<&StoredFact>, after: Option<&StoredFact>) {
        if let Some(b) = before {
            additive(self.plan, b, -1, &mut self.cells);
        }
        if let Some(a) = after {
            additive(self.plan, a, 1, &mut self.cells);
        }
        if self.distinct {
            self.workers.extend(before.iter().chain(after.iter()).map(|f| f.worker));
        }
    }

    /// Writes the changes: the memberships of the workers touched, brought
    /// in line with their records as stored now, then every cell's change.
    pub(crate) async fn apply(mut self, tx: &mut Tx) -> AppResult<()> {
        const WORKERS: usize = 500;
        let workers: Vec<i64> = std::mem::take(&mut self.workers).into_iter().collect();
        for chunk in workers.chunks(WORKERS) {
            self.refresh_members(tx, chunk).await?;
        }
        add_to_cells_grouped(tx, self.cells).await
    }

    /// [`refresh_members`] for a set of workers at once.
    async fn refresh_members(&mut self, tx: &mut Tx, workers: &[i64]) -> AppResult<()> {
        let mut q = Sql::new("SELECT kind, worker_id, region_code, data, ");
        q.push(&family_of("records.worker_id"))
            .push(" FROM records WHERE ")
            .in_list("worker_id", workers.iter().copied())
            .push(" ORDER BY worker_id");
        let rows: Vec<(String, i64, i64, String, i64)> = tx.all(q).await?;
        let mut want: BTreeMap<(String, i64, i64, i64), NaiveDate> = BTreeMap::new();
        let mut facts: Vec<StoredFact> = Vec::new();
        for (k, w, r, d, family) in &rows {
            let Some(mut f) = StoredFact::from_row(k, *w, *r, d) else {
                continue;
            };
            f.family = *family;
            if facts.last().is_some_and(|p| p.worker != f.worker) {
                collect_members(self.plan, &std::mem::take(&mut facts), &mut want);
            }
            facts.push(f);
        }
        collect_members(self.plan, &facts, &mut want);
        let mut q = Sql::new("SELECT target, part, region, worker, day FROM indicator_members WHERE ");
        q.in_list("worker", workers.iter().copied());
        let rows: Vec<(String, i64, i64, i64, NaiveDate)> = tx.all(q).await?;
        let have: BTreeMap<(String, i64, i64, i64), NaiveDate> =
            rows.into_iter().map(|(t, p, r, w, d)| ((t, p, r, w), d)).collect();
        let mut gone = Vec::new();
        for (key, day) in &have {
            if want.get(key) != Some(day) {
                *self.cells.entry((key.0.clone(), key.1, 0, key.2, *day)).or_default() -= 1;
                gone.push(key.clone());
            }
        }
        let mut added = Vec::new();
        for (key, day) in want {
            if have.get(&key) != Some(&day) {
                *self.cells.entry((key.0.clone(), key.1, 0, key.2, day)).or_default() += 1;
                let (target, part, region, worker) = key;
                added.push(vec![
                    Arg::from(target),
                    part.into(),
                    region.into(),
                    worker.into(),
                    day.into(),
                ]);
            }
        }
        // Removed by worker and key, a few hundred at a time.
        for chunk in gone.chunks(200) {
            let mut q = Sql::new("DELETE FROM indicator_members WHERE ");
            for (i, (target, part, region, worker)) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(" OR ");
                }
                q.push("(worker = ")
                    .arg(*worker)
                    .push(" AND target = ")
                    .arg(target.clone())
                    .push(" AND part = ")
                    .arg(*part)
                    .push(" AND region = ")
                    .arg(*region)
                    .push(")");
            }
            tx.exec(q).await?;
        }
        tx.bulk_insert(
            "indicator_members",
            &["target", "part", "region", "worker", "day"],
            added,
        )
        .await?;
        Ok(())
    }
}

/// Adds `deltas` to cells as grouped upserts (a few hundred cells per
/// statement), then removes the cells left at zero.
async fn add_to_cells_grouped(tx: &mut Tx, deltas: HashMap<CellKey, i64>) -> AppResult<()> {
    let mut deltas: Vec<(CellKey, i64)> = deltas.into_iter().filter(|(_, v)| *v != 0).collect();
    if deltas.is_empty() {
        return Ok(());
    }
    deltas.sort_unstable();
    for chunk in deltas.chunks(500) {
        let mut q = Sql::new("INSERT INTO indicator_cells (target, part, source, region, day, value) VALUES ");
        for (i, ((target, part, source, region, day), value)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .arg(target.clone())
                .push(", ")
                .arg(*part)
                .push(", ")
                .arg(*source)
                .push(", ")
                .arg(*region)
                .push(", ")
                .arg(*day)
                .push(", ")
                .arg(*value)
                .push(")");
        }
        q.push(
            " ON CONFLICT (target, part, source, region, day) DO UPDATE SET value = indicator_cells.value + excluded.value",
        );
        tx.exec(q).await?;
    }
    tx.exec(Sql::new("DELETE FROM indicator_cells WHERE value = 0")).await?;
    Ok(())
}

/// Recomputes every figure from the records (`shiminhua plan rebuild`, and
/// after the plan's targets change); returns the number of records read.
pub async fn rebuild(db: &Db, plan: &Plan) -> AppResult<u64> {
    let mut tx = db.write().await?;
    let read = rebuild_in(&mut tx, plan).await?;
    tx.commit().await?;
    Ok(read)
}

/// The setting by which a migration asks for the figures to be computed
/// again from the records at the program's next start (migration 0024).
const REBUILD_ASKED: &str = "indicators.rebuild";

/// Recomputes every figure when a migration asked for it (on opening the
/// data directory), and removes the request; returns the records read, or
/// `None` when nothing was asked.
pub async fn rebuild_when_asked(db: &Db) -> AppResult<Option<u64>> {
    let mut tx = db.write().await?;
    let asked: Option<(String,)> = tx
        .opt(Sql::new("SELECT value FROM settings WHERE key = $1").bind(REBUILD_ASKED))
        .await?;
    if asked.is_none() {
        return Ok(None);
    }
    let read = match crate::plan::in_force::plan_in(&mut tx).await? {
        Some(plan) => rebuild_in(&mut tx, &plan).await?,
        None => 0,
    };
    tx.exec(Sql::new("DELETE FROM settings WHERE key = $1").bind(REBUILD_ASKED))
        .await?;
    tx.commit().await?;
    Ok(Some(read))
}

/// `rebuild` within a transaction (a plan edit recomputes with its save).
pub(crate) async fn rebuild_in(tx: &mut Tx, plan: &Plan) -> AppResult<u64> {
    const PAGE: i64 = 10_000;
    tx.exec(Sql::new("DELETE FROM indicator_cells")).await?;
    tx.exec(Sql::new("DELETE FROM indicator_members")).await?;
    let mut cells: HashMap<CellKey, i64> = HashMap::new();
    let mut members: BTreeMap<(String, i64, i64, i64), NaiveDate> = BTreeMap::new();
    let mut after = 0i64;
    let mut read = 0u64;
    // Records are read in worker order, so that a worker's records come
    // together for the distinct counts.
    let mut pending: Vec<StoredFact> = Vec::new();
    loop {
        let mut q = Sql::new("SELECT id, kind, worker_id, region_code, data, ");
        q.push(&family_of("records.worker_id"))
            .push(" FROM records WHERE worker_id >= ")
            .arg(after)
            .push(" ORDER BY worker_id, id LIMIT ")
            .arg(PAGE);
        let rows: Vec<(i64, String, i64, i64, String, i64)> = tx.all(q).await?;
        let last_page = (rows.len() as i64) < PAGE;
        // A page may end inside a worker's records: keep that worker for the
        // next page (read again from its first record).
        let cut = if last_page { None } else { rows.last().map(|r| r.2) };
        if cut == Some(after) && !last_page {
            return Err(AppError::Internal("a worker with more records than a page".into()));
        }
        for (_, kind, worker, region, data, family) in rows.iter().filter(|r| Some(r.2) != cut) {
            read += 1;
            let Some(mut fact) = StoredFact::from_row(kind, *worker, *region, data) else {
                continue;
            };
            fact.family = *family;
            additive(plan, &fact, 1, &mut cells);
            if pending.last().is_some_and(|p| p.worker != fact.worker) {
                collect_members(plan, &std::mem::take(&mut pending), &mut members);
            }
            pending.push(fact);
        }
        // The members of the page's workers are written as the page ends,
        // so that memory holds a page of them, not the whole registry's
        // (4 million at 1,000,000 workers).
        write_members(tx, &mut cells, std::mem::take(&mut members)).await?;
        match cut {
            Some(w) => after = w,
            None => break,
        }
    }
    collect_members(plan, &pending, &mut members);
    write_members(tx, &mut cells, members).await?;
    // Written in key order, so that a figure's cells lie together in the
    // table as in its index (in hash order, PostgreSQL read a page of the
    // table for each cell: 6.7 ms for one figure at 1,000,000 workers).
    let mut cells: Vec<(CellKey, i64)> = cells.into_iter().filter(|(_, v)| *v != 0).collect();
    cells.sort_unstable();
    let cell_rows: Vec<Vec<Arg>> = cells
        .into_iter()
        .map(|((target, part, source, region, day), value)| {
            vec![
                Arg::from(target),
                part.into(),
                source.into(),
                region.into(),
                day.into(),
                value.into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "indicator_cells",
        &["target", "part", "source", "region", "day", "value"],
        cell_rows,
    )
    .await?;
    Ok(read)
}

/// Writes distinct-count members and counts them in their cells.
async fn write_members(
    tx: &mut Tx,
    cells: &mut HashMap<CellKey, i64>,
    members: BTreeMap<(String, i64, i64, i64), NaiveDate>,
) -> AppResult<()> {
    let mut rows = Vec::with_capacity(members.len());
    for ((target, part, region, worker), day) in members {
        *cells.entry((target.clone(), part, 0, region, day)).or_default() += 1;
        rows.push(vec![
            Arg::from(target),
            part.into(),
            region.into(),
            worker.into(),
            day.into(),
        ]);
    }
    tx.bulk_insert(
        "indicator_members",
        &["target", "part", "region", "worker", "day"],
        rows,
    )
    .await?;
    Ok(())
}

fn collect_members(plan: &Plan, facts: &[StoredFact], out: &mut BTreeMap<(String, i64, i64, i64), NaiveDate>) {
    let Some(worker) = facts.first().map(|f| f.worker) else {
        return;
    };
    for ((target, part, region), day) in members_of(plan, facts) {
        out.insert((target, part, region, worker), day);
    }
}

/// The first day a window admits as of `span` (`None`: no lower bound).
pub(crate) fn window_start(window: Window, span: Span) -> Option<NaiveDate> {
    match window {
        Window::Plan => Some(span.plan_start),
        Window::ToDate => None,
        Window::RollingYear => span
            .as_of
            .checked_sub_months(Months::new(12))
            .and_then(|d| d.succ_opt()),
    }
}

/// The cells' sources of a tally with their windows. A distinct tally's
/// cells are under source 0, with the window of its first source (the plan
/// check requires one window per tally).
fn cell_sources(tally: &Tally) -> Vec<(i64, Window)> {
    if distinct(tally) {
        tally.from.first().map(|s| vec![(0, s.window)]).unwrap_or_default()
    } else {
        tally
            .from
            .iter()
            .enumerate()
            .map(|(i, s)| (i as i64, s.window))
            .collect()
    }
}

/// A tally's total per region (one query per source for all the regions).
async fn read_tally(
    tx: &mut Tx,
    target: &str,
    part: i64,
    tally: &Tally,
    regions: &[DivisionCode],
    span: Span,
) -> AppResult<HashMap<i64, i64>> {
    let mut totals: HashMap<i64, i64> = regions.iter().map(|r| (r.as_i64(), 0)).collect();
    if regions.is_empty() {
        return Ok(totals);
    }
    for (source, window) in cell_sources(tally) {
        let mut q = Sql::new(
            "SELECT region, CAST(SUM(value) AS BIGINT) FROM indicator_cells WHERE target = $1 AND part = $2 \
             AND source = $3 AND day <= $4",
        );
        q = q.bind(target.to_string()).bind(part).bind(source).bind(span.as_of);
        if let Some(from) = window_start(window, span) {
            q.push(" AND day >= ").arg(from);
        }
        q.push(" AND ");
        q.in_list("region", regions.iter().map(|r| r.as_i64()))
            .push(" GROUP BY region");
        let rows: Vec<(i64, i64)> = tx.all(q).await?;
        for (region, sum) in rows {
            *totals.entry(region).or_default() += sum;
        }
    }
    Ok(totals)
}

/// A tally's total per region: from the cells for registry records, from
/// the cases table for wage-arrears cases (`crate::plan::case_tally::tally_in`:
/// cases change by their workflow, not by record writes, and their figures
/// depend on the day through their end date, so they are read at request
/// time with one `GROUP BY` per source).
async fn read_any(
    tx: &mut Tx,
    target: &str,
    part: i64,
    tally: &Tally,
    regions: &[DivisionCode],
    span: Span,
) -> AppResult<HashMap<i64, i64>> {
    if tally.is_cases() {
        crate::plan::case_tally::tally_in(tx, tally, regions, span).await
    } else {
        read_tally(tx, target, part, tally, regions, span).await
    }
}

/// The figures of a computed target for several regions as of a day, from
/// the cells (or, for cases, the cases table); `None` for a target that is
/// not computed.
pub async fn figures(
    tx: &mut Tx,
    plan: &Plan,
    target: &str,
    regions: &[DivisionCode],
    as_of: NaiveDate,
) -> AppResult<Option<HashMap<i64, Outcome>>> {
    let Some(t) = plan.target(target) else { return Ok(None) };
    if let Measurement::Counted { .. } = &t.measurement {
        return crate::plan::facility_tally::figures(tx, plan, target, regions, as_of).await;
    }
    let Measurement::Computed(q) = &t.measurement else {
        return Ok(None);
    };
    let span = Span {
        plan_start: plan.meta.start,
        as_of: plan.figure_day(as_of),
    };
    Ok(Some(match q {
        Query::Tally(tally) => read_any(tx, target, 0, tally, regions, span)
            .await?
            .into_iter()
            .map(|(r, value)| (r, Outcome { value, base: None }))
            .collect(),
        Query::Ratio { numerator, denominator } => {
            let num = read_any(tx, target, 0, numerator, regions, span).await?;
            let den = read_any(tx, target, 1, denominator, regions, span).await?;
            num.into_iter()
                .map(|(r, value)| {
                    let base = den.get(&r).copied().unwrap_or_default();
                    (
                        r,
                        Outcome {
                            value,
                            base: Some(base),
                        },
                    )
                })
                .collect()
        }
    }))
}

/// The figure of a computed target for a region as of a day, from the cells.
pub async fn figure(
    tx: &mut Tx,
    plan: &Plan,
    target: &str,
    region: DivisionCode,
    as_of: NaiveDate,
) -> AppResult<Option<Outcome>> {
    Ok(figures(tx, plan, target, &[region], as_of)
        .await?
        .and_then(|mut m| m.remove(&region.as_i64())))
}

/// A tally's cells for one region up to `last`, summed per source and day:
/// (sum, the source's window, day).
async fn cell_days(
    tx: &mut Tx,
    target: &str,
    tally: &Tally,
    region: DivisionCode,
    last: NaiveDate,
) -> AppResult<Vec<(i64, Window, NaiveDate)>> {
    let mut out = Vec::new();
    for (source, window) in cell_sources(tally) {
        let rows: Vec<(NaiveDate, i64)> = tx
            .all(
                Sql::new(
                    "SELECT day, CAST(SUM(value) AS BIGINT) FROM indicator_cells WHERE target = $1 AND part = 0 \
                     AND source = $2 AND region = $3 AND day <= $4 GROUP BY day",
                )
                .bind(target.to_string())
                .bind(source)
                .bind(region.as_i64())
                .bind(last),
            )
            .await?;
        out.extend(rows.into_iter().map(|(day, sum)| (sum, window, day)));
    }
    Ok(out)
}

/// One target's standing in one region as of a day.
#[derive(Clone, Debug)]
pub struct Standing {
    pub region: DivisionCode,
    pub region_name: String,
    /// The target for this region: the city's value (or the sum of its
    /// allocations), a county's allocation, or a level target's value.
    pub goal: Option<f64>,
    /// The figure: a count, a sum, or a ratio in percent.
    pub actual: Option<f64>,
    /// For ratios: numerator and denominator.
    pub outcome: Option<Outcome>,
    /// Due by the day (时序进度).
    pub expected: Option<f64>,
    pub status: Pace,
    /// For a reported target: the accepted reports the figure is from (the
    /// latest period ending by the day), and that period's end.
    pub reports: Vec<i64>,
    pub reported_as_of: Option<NaiveDate>,
    /// For a target counted from a facility registry: the figure of the
    /// cross-checking unit's accepted report, beside the count.
    pub cross_check: Option<f64>,
}

/// A target on the supervision board: the city's standing and each county's.
#[derive(Clone, Debug)]
pub struct TargetBoard {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub computed: bool,
    pub progress: Progress,
    /// The unit code that reports a reported target.
    pub reporter: Option<String>,
    pub city: Standing,
    pub counties: Vec<Standing>,
}

/// A figure of a reported target from an accepted report.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReportedFigure {
    pub target: String,
    pub region: i64,
    pub as_of: NaiveDate,
    pub value: i64,
    pub report_id: i64,
}

/// Every figure of accepted reports as of a day (one query; the board
/// takes the latest per target and region).
pub(crate) async fn accepted_figures(tx: &mut Tx, as_of: NaiveDate) -> AppResult<Vec<ReportedFigure>> {
    // Reports only feed the board, which takes them as of `Plan::figure_day`.
    tx.all(
        Sql::new(
            "SELECT f.target, f.region, f.as_of, f.value, f.report_id FROM report_figures f \
             JOIN reports r ON r.id = f.report_id WHERE r.status = $1 AND f.as_of <= $2",
        )
        .bind(shiminhua_core::report::ReportStatus::Accepted.code())
        .bind(as_of),
    )
    .await
}

/// A reported figure on the board: the value (ten-thousandths of the
/// target's unit), the period end it is as of, and the reports giving it.
type Reported = (i64, NaiveDate, Vec<i64>);

/// The latest accepted figure of each reported target and region as of a
/// day, from one query: the latest period end wins; of several reports for
/// the same period end (a city unit's breakdown and a county unit's own
/// report), the one filed last gives the value and all are listed.
async fn reported(tx: &mut Tx, as_of: NaiveDate) -> AppResult<HashMap<(String, i64), Reported>> {
    let mut rows = accepted_figures(tx, as_of).await?;
    rows.sort_by_key(|f| (f.as_of, f.report_id));
    let mut out: HashMap<(String, i64), Reported> = HashMap::new();
    for f in rows {
        let e = out
            .entry((f.target, f.region))
            .or_insert_with(|| (f.value, f.as_of, Vec::new()));
        if f.as_of > e.1 {
            *e = (f.value, f.as_of, Vec::new());
        }
        e.0 = f.value;
        e.2.push(f.report_id);
    }
    Ok(out)
}

/// A computed figure in the target's unit: a money sum is kept in fen and
/// shown in the target's 元, 万元 or 亿元; anything else as it is.
fn in_unit(t: &shiminhua_core::plan::Target, outcome: Option<Outcome>) -> Option<f64> {
    let shown = outcome.and_then(Outcome::shown)?;
    match &t.measurement {
        Measurement::Computed(Query::Tally(tally)) if tally.is_money() => MONEY_UNITS
            .iter()
            .find(|(u, _)| *u == t.unit)
            .map(|(_, fen)| shown / *fen as f64),
        _ => Some(shown),
    }
}

/// The supervision board (目标督办) as of a day: every target of the plan,
/// for the city and each county. Computed targets are read from the cells,
/// reported ones from the accepted reports (see [`reported`]).
///
/// Computed once per plan, day and version of what it is computed from
/// (`crate::plan::memo`): every reader is shown the same board.
pub async fn board(db: &Db, plan: &Plan, as_of: NaiveDate) -> AppResult<(f64, Vec<TargetBoard>)> {
    static BOARDS: Memo<(Plan, NaiveDate), (f64, Vec<TargetBoard>)> = Memo::new();
    let mut tx = db.read().await?;
    let version = memo::version(&mut tx).await?;
    let board = BOARDS
        .get_or(db, version, (plan.clone(), as_of), board_in(&mut tx, plan, as_of))
        .await?;
    Ok((*board).clone())
}

async fn board_in(tx: &mut Tx, plan: &Plan, as_of: NaiveDate) -> AppResult<(f64, Vec<TargetBoard>)> {
    let reported = reported(tx, plan.figure_day(as_of)).await?;
    let book = crate::regions::PlaceBook::load(tx).await?;
    let area = plan.meta.region;
    let counties: Vec<(i64,)> = tx
        .all(
            Sql::new("SELECT code FROM regions WHERE level = 3 AND code BETWEEN $1 AND $2 ORDER BY code")
                .bind(area.subtree_range().0)
                .bind(area.subtree_range().1),
        )
        .await?;
    let counties: Vec<DivisionCode> = counties
        .into_iter()
        .filter_map(|(c,)| DivisionCode::from_i64(c).ok())
        .collect();
    let share = elapsed_share(plan.meta.start, plan.meta.end, as_of);
    let regions: Vec<DivisionCode> = std::iter::once(area).chain(counties.iter().copied()).collect();
    let mut out = Vec::with_capacity(plan.targets.len());
    for t in &plan.targets {
        let goal_of = |region: DivisionCode| t.goal_in(region, area);
        let standing = |region: DivisionCode, outcome: Option<Outcome>| {
            let goal = goal_of(region);
            let from_reports = reported.get(&(t.id.clone(), region.as_i64()));
            let report_value = from_reports.map(|(v, _, _)| *v as f64 / shiminhua_core::plan::Figure::SCALE as f64);
            // A counted target's figure is the count; its unit's report is
            // a cross-check beside it.
            let counted = matches!(t.measurement, Measurement::Counted { .. });
            let actual = match report_value {
                Some(v) if !counted => Some(v),
                _ => in_unit(t, outcome),
            };
            let expected = goal.map(|g| expected(g, t.progress, share));
            Standing {
                region,
                region_name: book.name(region.as_i64()).to_string(),
                goal,
                actual,
                outcome,
                expected,
                status: match expected {
                    Some(e) => status(actual, e, t.comparison, t.thresholds(plan)),
                    None => Pace::NoData,
                },
                reports: from_reports.map(|r| r.2.clone()).unwrap_or_default(),
                reported_as_of: from_reports.map(|r| r.1),
                cross_check: if counted { report_value } else { None },
            }
        };
        let (computed, reporter) = match &t.measurement {
            Measurement::Computed(_) | Measurement::Counted { .. } => (true, None),
            Measurement::Reported { reporter, .. } => (false, Some(reporter.clone())),
        };
        let found = figures(tx, plan, &t.id, &regions, as_of).await?;
        let mut rows: Vec<Standing> = regions
            .iter()
            .map(|r| standing(*r, found.as_ref().and_then(|f| f.get(&r.as_i64()).copied())))
            .collect();
        let city = rows.remove(0);
        out.push(TargetBoard {
            id: t.id.clone(),
            name: t.name.clone(),
            unit: t.unit.clone(),
            computed,
            progress: t.progress,
            reporter,
            city,
            counties: rows,
        });
    }
    Ok((share, out))
}

/// A computed target's figure for a region at the end of each month of the
/// plan period up to `as_of` (the last point is `as_of` itself).
pub async fn monthly(db: &Db, plan: &Plan, target: &str, region: DivisionCode, as_of: NaiveDate) -> AppResult<Line> {
    monthly_in(&mut db.read().await?, plan, target, region, as_of).await
}

/// The city's line of every computed cumulative target on the board (as
/// [`monthly`], in the plan's order), computed once per plan, day and
/// version like the board.
pub async fn board_lines(db: &Db, plan: &Plan, as_of: NaiveDate) -> AppResult<Arc<Vec<(String, Line)>>> {
    static LINES: Memo<(Plan, NaiveDate), Vec<(String, Line)>> = Memo::new();
    let mut tx = db.read().await?;
    let version = memo::version(&mut tx).await?;
    LINES
        .get_or(db, version, (plan.clone(), as_of), async {
            let mut out = Vec::new();
            for t in plan.targets.iter().filter(|t| {
                t.progress == Progress::Cumulative && !matches!(t.measurement, Measurement::Reported { .. })
            }) {
                let line = monthly_in(&mut tx, plan, &t.id, plan.meta.region, as_of).await?;
                out.push((t.id.clone(), line));
            }
            Ok(out)
        })
        .await
}

/// A line of monthly figures: (month end, figure in the target's unit).
pub type Line = Vec<(NaiveDate, Option<f64>)>;

async fn monthly_in(tx: &mut Tx, plan: &Plan, target: &str, region: DivisionCode, as_of: NaiveDate) -> AppResult<Line> {
    // A target counted from a registry: one read of it for every month
    // (a read per month made the board 3 times slower at 1,000,000 workers).
    if let Some(t) = plan.target(target)
        && let Measurement::Counted { .. } = &t.measurement
    {
        let points = crate::plan::facility_tally::monthly(tx, plan, target, region, as_of).await?;
        return Ok(points
            .into_iter()
            .map(|(day, value)| (day, in_unit(t, Some(Outcome { value, base: None }))))
            .collect());
    }
    let last = as_of.min(plan.meta.end);
    // A tally kept in cells: its days read once, summed up to each month's end.
    if let Some(t) = plan.target(target)
        && let Measurement::Computed(Query::Tally(tally)) = &t.measurement
        && !tally.is_cases()
    {
        let days = cell_days(tx, target, tally, region, last).await?;
        return Ok(plan
            .month_ends(last)
            .into_iter()
            .map(|end| {
                let span = Span {
                    plan_start: plan.meta.start,
                    as_of: end,
                };
                let value = days
                    .iter()
                    .filter(|(_, window, day)| {
                        *day <= end && window_start(*window, span).is_none_or(|from| *day >= from)
                    })
                    .map(|(sum, _, _)| sum)
                    .sum();
                (end, in_unit(t, Some(Outcome { value, base: None })))
            })
            .collect());
    }
    let mut out = Vec::new();
    for end in plan.month_ends(last) {
        let outcome = figure(tx, plan, target, region, end).await?;
        let value = match plan.target(target) {
            Some(t) => in_unit(t, outcome),
            None => outcome.and_then(Outcome::shown),
        };
        out.push((end, value));
    }
    Ok(out)
}
