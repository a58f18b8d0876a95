//! The arrears blacklist (拖欠农民工工资失信联合惩戒对象名单): storage and use cases.
//!
//! The rules are `shiminhua_core::blacklist`; this module stores listings in
//! `blacklist` with every step in `blacklist_events` (append-only), and
//! writes an audit record with each step in the same transaction.
//!
//! Who may do what:
//!
//! * read (list, detail, export): every business role (`ViewDashboard`),
//!   for listings of the counties its scope reaches (any record kind; a
//!   township-level grant reaches its county). The list is public by law,
//!   and the departments that carry out the joint punishment need it;
//! * list, remove early, revoke: the roles that register wage-arrears cases
//!   (`case::may_register`: 劳动保障监察员, 区县/乡镇工作人员, 专班办公室),
//!   for a county whose wage cases (`RecordKind::WageCase`) the scope holds;
//! * the related cases on a listing's page: only to those who may read cases
//!   (`case::may_read`), within their `WageCase` scope.
//!
//! The state of a listing (列入中 / 已期满移出 / 提前移出 / 已撤销) is
//! computed for a day from its dates, on read and in SQL conditions; no job
//! runs when a period ends. Each step updates the row only at the version
//! the officer saw (`UPDATE … WHERE version = $n`): a stale version is a
//! conflict and writes nothing.
//!
//! For other modules (case lists and pages): [`listed`] and [`listed_among`]
//! tell whether an employer's credit code is listed on a day. They read
//! without scope: the list is public information.

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{Db, Sql, Tx, contains_pattern, is_unique_violation};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::blacklist::{
    self, Ending, ListingDates, ListingInput, Reason, Refusal, Removal, RemovalInput, RemovalKind, State,
};
use shiminhua_core::case;
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::division::{DivisionCode, Level};
use shiminhua_core::money::Fen;
use shiminhua_core::record::{normalise, tidy};
use std::collections::HashMap;

/// The local (UTC+8) date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------

/// A stored listing.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Listing {
    pub id: i64,
    pub version: i64,
    pub county_code: i64,
    pub county_name: String,
    pub employer_name: String,
    /// The canonical 18-character code.
    pub credit_code: String,
    /// Names joined with “、” ("" when none).
    pub responsible_persons: String,
    /// [`Reason::code`]
    pub reason: String,
    pub document_no: String,
    pub authority: String,
    pub amount_owed_fen: Option<i64>,
    pub workers: Option<i64>,
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    pub listed_on: NaiveDate,
    pub removal_due: NaiveDate,
    pub removed_on: Option<NaiveDate>,
    /// [`RemovalKind::code`], when removed early or revoked.
    pub removal_kind: Option<String>,
    pub removal_note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Listing {
    pub fn dates(&self) -> ListingDates {
        let removal = match (
            self.removal_kind.as_deref().and_then(RemovalKind::from_code),
            self.removed_on,
        ) {
            (Some(kind), Some(on)) => Some(Removal { kind, on }),
            _ => None,
        };
        ListingDates {
            listed_on: self.listed_on,
            removal_due: self.removal_due,
            removal,
        }
    }

    /// Where the listing stands on `day`.
    pub fn state_on(&self, day: NaiveDate) -> State {
        self.dates().state_on(day)
    }

    pub fn reason_label(&self) -> &'static str {
        Reason::from_code(&self.reason).map(Reason::label_zh).unwrap_or("")
    }

    pub fn amount_owed(&self) -> Option<Fen> {
        self.amount_owed_fen.map(Fen)
    }

    /// The first day early removal may be granted.
    pub fn early_from(&self) -> NaiveDate {
        blacklist::early_from(self.listed_on)
    }
}

const COLUMNS: &str = "SELECT b.id, b.version, b.county_code, g.name AS county_name, b.employer_name, b.credit_code, \
     b.responsible_persons, b.reason, b.document_no, b.authority, b.amount_owed_fen, b.workers, b.case_id, \
     c.number AS case_number, b.listed_on, b.removal_due, b.removed_on, b.removal_kind, b.removal_note, \
     b.created_at, b.created_by, b.updated_at, b.updated_by \
     FROM blacklist b JOIN regions g ON g.code = b.county_code LEFT JOIN cases c ON c.id = b.case_id";

/// One step of a listing's history.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ListingEvent {
    pub id: i64,
    pub version: i64,
    pub action: String,
    pub actor_name: String,
    pub at: DateTime<Utc>,
    pub on_date: NaiveDate,
    pub note: String,
    pub data: String,
}

impl ListingEvent {
    pub fn action_label(&self) -> &'static str {
        match self.action.as_str() {
            "list" => "列入名单",
            "remove" => "提前移出",
            "revoke" => "撤销列入决定",
            _ => "",
        }
    }
}

/// A wage-arrears case of the same employer, as the listing's page shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RelatedCase {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub received_on: NaiveDate,
    pub employer_name: String,
    pub workers: i64,
    pub amount_claimed_fen: i64,
    pub region_name: String,
}

impl RelatedCase {
    pub fn status_label(&self) -> &'static str {
        case::CaseStatus::from_code(&self.status)
            .map(case::CaseStatus::label_zh)
            .unwrap_or("")
    }

    pub fn amount_claimed(&self) -> Fen {
        Fen(self.amount_claimed_fen)
    }
}

// ---------------------------------------------------------------------------
// Who and where
// ---------------------------------------------------------------------------

fn readable(actor: &Actor) -> AppResult<()> {
    require(actor, Permission::ViewDashboard)
}

/// Whether the actor's roles may list and remove (the roles that register
/// wage-arrears cases).
pub fn may_write(actor: &Actor) -> bool {
    actor.can(Permission::ViewDashboard) && case::may_register(&actor.roles)
}

fn writer(actor: &Actor) -> AppResult<()> {
    if may_write(actor) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Ranges of county codes the actor reads listings of: each grant's own
/// subtree, or its county when the grant lies below a county.
fn read_ranges(actor: &Actor) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = actor
        .scope
        .grants()
        .iter()
        .map(|g| match g.region.county() {
            Some(c) if g.region.level() > Level::County => c.subtree_range(),
            _ => g.region.subtree_range(),
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A listing the actor may read (NotFound otherwise).
async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<Listing> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE b.id = ").arg(id).push(" AND ");
    q.in_ranges("b.county_code", &read_ranges(actor));
    tx.one(q).await
}

/// The counties of the city, by code order: those whose listings the actor
/// reads (`write` false) or may enter (`write` true).
pub async fn counties(db: &Db, actor: &Actor, write: bool) -> AppResult<Vec<(DivisionCode, String)>> {
    readable(actor)?;
    let rows: Vec<(i64, String)> = db
        .read()
        .await?
        .all(Sql::new("SELECT code, name FROM regions WHERE level = 3 ORDER BY code"))
        .await?;
    let ranges = read_ranges(actor);
    Ok(rows
        .into_iter()
        .filter_map(|(code, name)| DivisionCode::from_i64(code).ok().map(|c| (c, name)))
        .filter(|(c, _)| {
            if write {
                actor.scope.allows(RecordKind::WageCase, *c)
            } else {
                ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c.as_i64()))
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

async fn events_of(tx: &mut Tx, id: i64) -> AppResult<Vec<ListingEvent>> {
    tx.all(
        Sql::new(
            "SELECT id, version, action, actor_name, at, on_date, note, data FROM blacklist_events \
             WHERE listing_id = $1 ORDER BY version",
        )
        .bind(id),
    )
    .await
}

/// One listing with its steps, oldest first.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<(Listing, Vec<ListingEvent>)> {
    readable(actor)?;
    let mut tx = db.read().await?;
    let row = get_in(&mut tx, actor, id).await?;
    let events = events_of(&mut tx, id).await?;
    Ok((row, events))
}

/// Most related cases a listing's page shows.
pub const RELATED_LIMIT: i64 = 50;

/// The wage-arrears cases whose employer has this credit code, newest
/// first, within the actor's `WageCase` scope; empty for those who may not
/// read cases.
pub async fn related_cases(db: &Db, actor: &Actor, credit_code: &str) -> AppResult<Vec<RelatedCase>> {
    readable(actor)?;
    if !actor.can(Permission::ReadPii) || !case::may_read(&actor.roles) || credit_code.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT c.id, c.number, c.status, c.received_on, c.employer_name, c.workers, c.amount_claimed_fen, \
         g.name AS region_name FROM cases c JOIN regions g ON g.code = c.region_code WHERE c.employer_credit_code = ",
    );
    q.arg(credit_code.to_string()).push(" AND ");
    q.in_ranges("c.region_code", &actor.scope.ranges_for(RecordKind::WageCase));
    q.push(" ORDER BY c.received_on DESC, c.id DESC LIMIT ")
        .arg(RELATED_LIMIT);
    db.read().await?.all(q).await
}

/// Filters of the list.
#[derive(Clone, Debug, Default)]
pub struct ListingFilter {
    /// Part of the employer's name, or (part of) its credit code.
    pub q: String,
    /// The state on the list's day.
    pub state: Option<State>,
    pub county: Option<DivisionCode>,
}

/// ` AND` the condition that a listing is in `state` on `day` (columns of
/// `blacklist b`); the SQL twin of `blacklist::state_on`.
fn state_condition(q: &mut Sql, state: State, day: NaiveDate) {
    match state {
        State::Listed => {
            q.push(" AND b.listed_on <= ")
                .arg(day)
                .push(" AND b.removal_due > ")
                .arg(day)
                .push(" AND (b.removed_on IS NULL OR b.removed_on > ")
                .arg(day)
                .push(")");
        }
        State::Expired => {
            q.push(" AND b.removal_due <= ")
                .arg(day)
                .push(" AND (b.removed_on IS NULL OR b.removed_on > ")
                .arg(day)
                .push(")");
        }
        State::RemovedEarly | State::Revoked => {
            let kind = if state == State::Revoked {
                RemovalKind::Revoked
            } else {
                RemovalKind::Early
            };
            q.push(" AND b.removal_kind = ")
                .arg(kind.code())
                .push(" AND b.removed_on <= ")
                .arg(day);
        }
        State::Pending => {
            q.push(" AND b.listed_on > ")
                .arg(day)
                .push(" AND (b.removed_on IS NULL OR b.removed_on > ")
                .arg(day)
                .push(")");
        }
    }
}

/// ` WHERE` the actor's counties narrowed to the filter's, the search and
/// the state on `day`.
fn condition(actor: &Actor, f: &ListingFilter, day: NaiveDate) -> Sql {
    let mut ranges = read_ranges(actor);
    if let Some(c) = f.county {
        let (lo, hi) = c.subtree_range();
        ranges = ranges
            .into_iter()
            .map(|(a, b)| (a.max(lo), b.min(hi)))
            .filter(|(a, b)| a <= b)
            .collect();
    }
    let mut cond = Sql::new(" WHERE ");
    cond.in_ranges("b.county_code", &ranges);
    let q = tidy(&f.q);
    if !q.is_empty() {
        if let Ok(code) = CreditCode::parse(&q) {
            cond.push(" AND b.credit_code = ").arg(code.as_str());
        } else {
            let upper: String = normalise(&q).to_ascii_uppercase();
            cond.push(" AND (b.employer_name LIKE ")
                .arg(contains_pattern(&q))
                .push(" ESCAPE '\\' OR b.credit_code LIKE ")
                .arg(contains_pattern(&upper))
                .push(" ESCAPE '\\')");
        }
    }
    if let Some(s) = f.state {
        state_condition(&mut cond, s, day);
    }
    cond
}

/// A page of listings the actor reads, newest listing first, with the
/// total; states are those on `day`.
pub async fn list(
    db: &Db,
    actor: &Actor,
    f: &ListingFilter,
    day: NaiveDate,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Listing>, i64)> {
    readable(actor)?;
    let mut tx = db.read().await?;
    let cond = condition(actor, f, day);
    let mut count = Sql::new("SELECT COUNT(*) FROM blacklist b");
    count.append(&cond);
    let total = tx.int(count).await?;
    let mut q = Sql::new(COLUMNS);
    q.append(&cond).push(" ORDER BY b.listed_on DESC, b.id DESC");
    q.page(limit, offset);
    Ok((tx.all(q).await?, total))
}

// ---------------------------------------------------------------------------
// For other modules: is this employer listed?
// ---------------------------------------------------------------------------

/// The listing in effect on `today` of the employer with this credit code
/// (any form the credit-code parser accepts), or `None` when it is not
/// listed that day (never listed, period over, removed early, revoked, or
/// not a valid code). With several listings in effect, the one that runs
/// longest. Reads without scope: the list is public; use it to mark
/// employers on case lists and pages.
pub async fn listed(db: &Db, credit_code: &str, today: NaiveDate) -> AppResult<Option<Listing>> {
    let Ok(code) = CreditCode::parse(credit_code) else {
        return Ok(None);
    };
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE b.credit_code = ").arg(code.as_str());
    state_condition(&mut q, State::Listed, today);
    q.push(" ORDER BY b.removal_due DESC, b.id DESC LIMIT 1");
    db.read().await?.opt(q).await
}

/// Credit codes looked up per statement by [`listed_among`].
const CODES_PER_QUERY: usize = 500;

/// [`listed`] for many codes at once (a page of cases): the canonical code
/// → the listing in effect on `today`, for the codes that are listed.
/// Empty and invalid codes are skipped. Cases store canonical codes, so
/// `map.get(&row.employer_credit_code)` finds a case's employer.
pub async fn listed_among(db: &Db, codes: &[String], today: NaiveDate) -> AppResult<HashMap<String, Listing>> {
    let mut wanted: Vec<String> = codes
        .iter()
        .filter_map(|c| CreditCode::parse(c).ok())
        .map(|c| c.as_str().to_string())
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut out: HashMap<String, Listing> = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let mut tx = db.read().await?;
    for chunk in wanted.chunks(CODES_PER_QUERY) {
        let mut q = Sql::new(COLUMNS);
        q.push(" WHERE b.credit_code IN (");
        for (i, c) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.arg(c.as_str());
        }
        q.push(")");
        state_condition(&mut q, State::Listed, today);
        let rows: Vec<Listing> = tx.all(q).await?;
        for r in rows {
            match out.get(&r.credit_code) {
                Some(have) if (have.removal_due, have.id) >= (r.removal_due, r.id) => {}
                _ => {
                    out.insert(r.credit_code.clone(), r);
                }
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------

/// What the listing form gives: the core's fields, the county and the
/// number of the case the listing arose from (optional).
#[derive(Clone, Debug, Default)]
pub struct NewListing {
    pub input: ListingInput,
    /// The county responsible: a county code (6 or 12 digits) or name.
    pub county: String,
    /// A case number (HS2023-000001), optional.
    pub case_number: String,
}

/// The county typed, or the reason it is refused.
async fn county_of(tx: &mut Tx, actor: &Actor, raw: &str) -> Result<DivisionCode, String> {
    let t = tidy(raw);
    if t.is_empty() {
        return Err("请选择所属区县".into());
    }
    let rows: Vec<(i64, String)> = tx
        .all(Sql::new("SELECT code, name FROM regions WHERE level = 3 ORDER BY code"))
        .await
        .map_err(|_| "无法读取行政区划".to_string())?;
    let by_code = DivisionCode::parse(&t).ok();
    let found = rows
        .iter()
        .find(|(c, n)| *n == t || by_code.is_some_and(|b| b.as_i64() == *c))
        .and_then(|(c, _)| DivisionCode::from_i64(*c).ok());
    let Some(county) = found else {
        return Err(format!("所属区县“{t}”不是本市的区县"));
    };
    if !actor.scope.allows(RecordKind::WageCase, county) {
        return Err("该区县不在您的数据范围内".into());
    }
    Ok(county)
}

/// The case with this number in the actor's wage-case scope: (id, employer
/// credit code).
async fn case_of(tx: &mut Tx, actor: &Actor, raw: &str) -> AppResult<Result<Option<(i64, String)>, String>> {
    let number = normalise(raw).to_ascii_uppercase();
    if number.is_empty() {
        return Ok(Ok(None));
    }
    let mut q = Sql::new("SELECT id, employer_credit_code FROM cases WHERE number = ");
    q.arg(number.clone()).push(" AND ");
    q.in_ranges("region_code", &actor.scope.ranges_for(RecordKind::WageCase));
    let found: Option<(i64, String)> = tx.opt(q).await?;
    Ok(match found {
        Some(c) => Ok(Some(c)),
        None => Err(format!(
            "未找到案件编号为“{number}”的欠薪案件，或该案件不在您的数据范围内"
        )),
    })
}

fn duplicate_document(no: &str) -> AppError {
    AppError::field("document_no", format!("决定书文号“{no}”已列入名单，请勿重复登记"))
}

/// Enters a listing decision (列入). The county must lie in the actor's
/// wage-case scope, the case (if named) too; a decision number is entered
/// once. Returns the listing's id.
pub async fn add(call: &Call<'_>, new: &NewListing) -> AppResult<i64> {
    writer(call.actor)?;
    let today = local_date(call.now);
    let mut tx = call.db.write().await?;
    let mut fe = FieldErrors::default();
    let data = match blacklist::validate(&new.input, today) {
        Ok(d) => Some(d),
        Err(errs) => {
            for (k, m) in errs {
                fe.add(k, m);
            }
            None
        }
    };
    let county = county_of(&mut tx, call.actor, &new.county)
        .await
        .map_err(|m| fe.add("county", m))
        .ok();
    let case = match case_of(&mut tx, call.actor, &new.case_number).await? {
        Ok(c) => c,
        Err(m) => {
            fe.add("case_number", m);
            None
        }
    };
    if let (Some(d), Some((_, code))) = (&data, &case)
        && !code.is_empty()
        && code != d.credit_code.as_str()
    {
        fe.add(
            "case_number",
            format!("该案件的用人单位统一社会信用代码为{code}，与所填代码不一致"),
        );
    }
    if let Some(d) = &data {
        let taken: Option<(i64,)> = tx
            .opt(Sql::new("SELECT id FROM blacklist WHERE document_no = $1").bind(d.document_no.clone()))
            .await?;
        if taken.is_some() {
            fe.add(
                "document_no",
                format!("决定书文号“{}”已列入名单，请勿重复登记", d.document_no),
            );
        }
    }
    fe.into_result()?;
    let (Some(d), Some(county)) = (data, county) else {
        return Err(AppError::Internal("validated listing without data".into()));
    };
    let by = call.actor.display_name.clone();
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO blacklist (version, county_code, employer_name, credit_code, responsible_persons, reason, \
                 document_no, authority, amount_owed_fen, workers, case_id, listed_on, removal_due, created_at, \
                 created_by, updated_at, updated_by) \
                 VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
            )
            .bind(county.as_i64())
            .bind(d.employer_name.clone())
            .bind(d.credit_code.as_str())
            .bind(d.responsible_persons.clone())
            .bind(d.reason.code())
            .bind(d.document_no.clone())
            .bind(d.authority.clone())
            .bind(d.amount_owed.map(|f| f.0))
            .bind(d.workers)
            .bind(case.as_ref().map(|c| c.0))
            .bind(d.listed_on)
            .bind(d.removal_due)
            .bind(call.now)
            .bind(by.clone())
            .bind(call.now)
            .bind(by),
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                duplicate_document(&d.document_no)
            } else {
                e
            }
        })?;
    let data = serde_json::json!({
        "reason": d.reason.code(),
        "removal_due": d.removal_due.to_string(),
        "document_no": d.document_no,
    });
    append_event(&mut tx, call, id, 1, "list", d.listed_on, "", &data.to_string()).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("blacklist.add", "blacklist", id).detail(format!(
            "credit_code={}; document={}; county={}; listed_on={}",
            d.credit_code.as_str(),
            d.document_no,
            county,
            d.listed_on
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[expect(clippy::too_many_arguments, reason = "one event row")]
async fn append_event(
    tx: &mut Tx,
    call: &Call<'_>,
    listing_id: i64,
    version: i64,
    action: &str,
    on: NaiveDate,
    note: &str,
    data: &str,
) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "INSERT INTO blacklist_events (listing_id, version, action, actor_id, actor_name, at, on_date, note, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(listing_id)
        .bind(version)
        .bind(action)
        .bind(call.actor.user_id)
        .bind(call.actor.display_name.clone())
        .bind(call.now)
        .bind(on)
        .bind(note)
        .bind(data),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Ending a listing
// ---------------------------------------------------------------------------

fn stale(r: &Listing) -> AppError {
    AppError::Conflict(format!(
        "操作未保存：{}的名单记录已被他人修改。请刷新页面查看最新情况后再操作，您填写的内容仍保留在表单中。",
        r.employer_name
    ))
}

/// Removes a listing early (提前移出) that the actor saw at `version`, if
/// the three conditions hold on the removal date (see
/// `blacklist::early_removal`).
pub async fn remove_early(call: &Call<'_>, id: i64, version: i64, input: &RemovalInput) -> AppResult<()> {
    end(call, id, version, input, RemovalKind::Early).await
}

/// Records that a listing decision was revoked (撤销) on review or in court.
pub async fn revoke(call: &Call<'_>, id: i64, version: i64, input: &RemovalInput) -> AppResult<()> {
    end(call, id, version, input, RemovalKind::Revoked).await
}

async fn end(call: &Call<'_>, id: i64, version: i64, input: &RemovalInput, kind: RemovalKind) -> AppResult<()> {
    writer(call.actor)?;
    let today = local_date(call.now);
    let mut tx = call.db.write().await?;
    let row = get_in(&mut tx, call.actor, id).await?;
    let county = DivisionCode::from_i64(row.county_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if !call.actor.scope.allows(RecordKind::WageCase, county) {
        return Err(AppError::Forbidden);
    }
    if row.version != version {
        return Err(stale(&row));
    }
    let dates = row.dates();
    let checked = match kind {
        RemovalKind::Early => blacklist::early_removal(&dates, input, today),
        RemovalKind::Revoked => blacklist::revocation(&dates, input, today),
    };
    let ending: Ending = checked.map_err(|r| match r {
        Refusal::State(m) => AppError::Conflict(m),
        Refusal::Fields(errs) => {
            let mut fe = FieldErrors::default();
            for (k, m) in errs {
                fe.add(k, m);
            }
            AppError::Validation(fe)
        }
    })?;
    let n = tx
        .exec(
            Sql::new(
                "UPDATE blacklist SET removed_on = $1, removal_kind = $2, removal_note = $3, version = version + 1, \
                 updated_at = $4, updated_by = $5 WHERE id = $6 AND version = $7 AND removed_on IS NULL",
            )
            .bind(ending.on)
            .bind(ending.kind.code())
            .bind(ending.note.clone())
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(stale(&row));
    }
    let (action, audit_code, data) = match kind {
        RemovalKind::Early => (
            "remove",
            "blacklist.remove",
            serde_json::json!({ "paid_in_full": input.paid_in_full, "commitment": input.commitment }),
        ),
        RemovalKind::Revoked => ("revoke", "blacklist.revoke", serde_json::json!({})),
    };
    append_event(
        &mut tx,
        call,
        id,
        version + 1,
        action,
        ending.on,
        &ending.note,
        &data.to_string(),
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(audit_code, "blacklist", id).detail(format!(
            "credit_code={}; document={}; on={}",
            row.credit_code, row.document_no, ending.on
        )),
    )
    .await?;
    tx.commit().await
}

// ---------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------

/// Listings read from the database at a time by an export.
pub const EXPORT_PAGE: i64 = 2_000;

/// Writes the listings the actor reads that match the filter (states on
/// `day`) to `path` as a workbook and records the export in the audit
/// trail; returns the number of rows.
pub async fn export(call: &Call<'_>, f: &ListingFilter, day: NaiveDate, path: &std::path::Path) -> AppResult<u64> {
    use crate::xlsx::{XCell, XlsxStream, local_time};
    readable(call.actor)?;
    let cond = condition(call.actor, f, day);
    let headers = [
        "用人单位名称",
        "统一社会信用代码",
        "责任人",
        "列入事由",
        "列入决定书文号",
        "作出决定的部门",
        "所属区县",
        "列入日期",
        "期满移出日期",
        "状态",
        "实际移出（撤销）日期",
        "移出说明",
        "拖欠工资金额（元）",
        "涉及农民工人数",
        "关联案件",
        "最后修改时间",
        "最后修改人",
    ];
    let widths = [
        30.0, 22.0, 16.0, 30.0, 24.0, 24.0, 10.0, 12.0, 12.0, 10.0, 14.0, 24.0, 14.0, 10.0, 16.0, 18.0, 12.0,
    ];
    let mut out = XlsxStream::create(path, "失信联合惩戒名单", &headers, &widths)?;
    let mut after: Option<(NaiveDate, i64)> = None;
    loop {
        let mut q = Sql::new(COLUMNS);
        q.append(&cond);
        if let Some((d, id)) = after {
            q.push(" AND (b.listed_on < ")
                .arg(d)
                .push(" OR (b.listed_on = ")
                .arg(d)
                .push(" AND b.id < ")
                .arg(id)
                .push("))");
        }
        q.push(" ORDER BY b.listed_on DESC, b.id DESC LIMIT ").arg(EXPORT_PAGE);
        let rows: Vec<Listing> = call.db.read().await?.all(q).await?;
        for r in &rows {
            let zh = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
            let (listed, due) = (zh(r.listed_on), zh(r.removal_due));
            let removed = r.removed_on.map(zh).unwrap_or_default();
            let updated = local_time(r.updated_at);
            let case = r.case_number.clone().unwrap_or_default();
            let amount = r.amount_owed_fen.map(|f| f as f64 / 100.0);
            out.row(&[
                XCell::Text(&r.employer_name),
                XCell::Text(&r.credit_code),
                XCell::Text(&r.responsible_persons),
                XCell::Text(r.reason_label()),
                XCell::Text(&r.document_no),
                XCell::Text(&r.authority),
                XCell::Text(&r.county_name),
                XCell::Text(&listed),
                XCell::Text(&due),
                XCell::Text(r.state_on(day).label_zh()),
                XCell::Text(&removed),
                XCell::Text(&r.removal_note),
                amount.map_or(XCell::Empty, XCell::Number),
                r.workers.map_or(XCell::Empty, |n| XCell::Number(n as f64)),
                XCell::Text(&case),
                XCell::Text(&updated),
                XCell::Text(&r.updated_by),
            ])?;
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == EXPORT_PAGE => after = Some((last.listed_on, last.id)),
            _ => break,
        }
    }
    let n = out.rows();
    out.finish()?;
    let detail = format!(
        "rows={n}; day={day}; state={}; county={}; q={}",
        f.state.map(State::code).unwrap_or(""),
        f.county.map(|c| c.to_string()).unwrap_or_default(),
        f.q.chars().take(50).collect::<String>()
    );
    let mut tx = call.db.write().await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("blacklist.export", "blacklist", "").detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}
