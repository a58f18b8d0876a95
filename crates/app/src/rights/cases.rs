//! Wage-arrears cases (欠薪线索/案件): registration, the workflow of
//! `shiminhua_core::case` over the database, lists with deadlines.
//!
//! Scope: a case is visible and workable to a user whose scope holds the
//! `WageCase` kind in the case's region (the township where the arrears
//! arose); who may take which step is the core's transition table.
//!
//! Every step is one transaction: the case row is updated only if it is
//! still at the version the officer saw (`UPDATE … WHERE version = $n`), an
//! event is appended to `case_events` and an audit record written. A stale
//! version is a conflict and writes nothing, so of two officers acting on
//! one case at once exactly one succeeds.
//!
//! The reporter's name, phone and ID number are sealed, bound to the case
//! number; the tables keep masked copies and blind indexes (of the same
//! kinds as the workers', so a person's cases can be found by ID number or
//! phone). The query code given to the reporter is kept as an HMAC only.

use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::regions::PlaceBook;
use crate::store::{Backend, Db, Sql, Tx, contains_pattern, is_unique_violation};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use shiminhua_core::auth::{Actor, Permission, RecordKind, Role};
use shiminhua_core::calendar::Calendar;
use shiminhua_core::case::{
    self, Action, ActionInput, CaseData, CaseDates, CaseInput, CaseState, Deadlines, Limits, Refusal, Reporter,
    Running, Sector, Source, Span, Status, Timing,
};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::money::Fen;

/// The settings key of the platform clues' time limit (working days).
pub const PLATFORM_DAYS_KEY: &str = "case.platform_days";
/// The settings key of the conclusion categories (one a line).
pub const CONCLUSIONS_KEY: &str = "case.conclusions";

/// The local (UTC+8) date of an instant.
fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

/// Errors of core validation as field errors.
fn field_errors(errs: shiminhua_core::record::Errors) -> AppError {
    let mut fe = FieldErrors::default();
    for (k, m) in errs {
        fe.add(k, m);
    }
    AppError::Validation(fe)
}

async fn setting(tx: &mut Tx, key: &str) -> AppResult<Option<String>> {
    let v: Option<(String,)> = tx
        .opt(Sql::new("SELECT value FROM settings WHERE key = $1").bind(key))
        .await?;
    Ok(v.map(|(v,)| v))
}

async fn put_setting(tx: &mut Tx, key: &str, value: &str) -> AppResult<()> {
    let n = tx
        .exec(
            Sql::new("UPDATE settings SET value = $1 WHERE key = $2")
                .bind(value)
                .bind(key),
        )
        .await?;
    if n == 0 {
        tx.exec(
            Sql::new("INSERT INTO settings (key, value) VALUES ($1, $2)")
                .bind(key)
                .bind(value),
        )
        .await?;
    }
    Ok(())
}

/// The time limits with the office's platform setting (default 10 working days).
async fn limits_in(tx: &mut Tx) -> AppResult<Limits> {
    let mut l = Limits::default();
    if let Some(v) = setting(tx, PLATFORM_DAYS_KEY).await?
        && let Ok(n) = case::parse_platform_days(&v)
    {
        l.platform_days = n;
    }
    Ok(l)
}

/// The conclusion categories of 办结 (the office's list, else the default ten).
async fn conclusions_in(tx: &mut Tx) -> AppResult<Vec<String>> {
    if let Some(v) = setting(tx, CONCLUSIONS_KEY).await?
        && let Ok(list) = case::parse_conclusions(&v)
    {
        return Ok(list);
    }
    Ok(case::DEFAULT_CONCLUSIONS.iter().map(|s| s.to_string()).collect())
}

/// The time limits in force.
pub async fn limits(db: &Db) -> AppResult<Limits> {
    limits_in(&mut db.read().await?).await
}

/// The conclusion categories in force.
pub async fn conclusions(db: &Db) -> AppResult<Vec<String>> {
    conclusions_in(&mut db.read().await?).await
}

fn office_only(actor: &Actor) -> AppResult<()> {
    if actor.roles.contains(Role::Office) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The office sets the platform clues' time limit (1–60 working days).
/// Applies to cases accepted from then on.
pub async fn set_platform_days(call: &Call<'_>, text: &str) -> AppResult<u32> {
    office_only(call.actor)?;
    let n = case::parse_platform_days(text).map_err(|m| AppError::field("platform_days", m))?;
    let mut tx = call.db.write().await?;
    put_setting(&mut tx, PLATFORM_DAYS_KEY, &n.to_string()).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("case.settings", "settings", PLATFORM_DAYS_KEY).detail(format!("platform_days={n}")),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// The office sets the ten conclusion categories (one a line).
pub async fn set_conclusions(call: &Call<'_>, text: &str) -> AppResult<Vec<String>> {
    office_only(call.actor)?;
    let list = case::parse_conclusions(text).map_err(|m| AppError::field("conclusions", m))?;
    let mut tx = call.db.write().await?;
    put_setting(&mut tx, CONCLUSIONS_KEY, &list.join("\n")).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("case.settings", "settings", CONCLUSIONS_KEY).detail(list.join("、")),
    )
    .await?;
    tx.commit().await?;
    Ok(list)
}

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------

/// A stored case (sealed values left out; masked copies in).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub version: i64,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub source: String,
    pub clue_no: Option<String>,
    pub anonymous: bool,
    pub worker_id: Option<i64>,
    pub reporter_name_masked: String,
    pub reporter_phone_masked: String,
    pub reporter_id_masked: String,
    pub employer_name: String,
    pub employer_credit_code: String,
    pub employer_address: String,
    pub sector: String,
    pub project_name: String,
    pub contractor_credit_code: String,
    pub workers: i64,
    pub amount_claimed_fen: i64,
    pub amount_recovered_fen: Option<i64>,
    pub workers_paid: Option<i64>,
    pub conclusion: String,
    pub arrears_from: NaiveDate,
    pub arrears_to: NaiveDate,
    pub description: String,
    pub received_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub accept_due: NaiveDate,
    pub handle_due: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub due_from: Option<NaiveDate>,
    pub due_days: Option<i64>,
    /// The due date falls in a year whose holiday arrangement is not loaded
    /// yet (counted Monday to Friday; computed again when it is loaded).
    pub due_provisional: bool,
    pub extended: bool,
    pub urged: i64,
    pub closed_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl CaseRow {
    /// The running time limit as stored.
    fn span(&self) -> Option<Span> {
        Some(Span {
            from: self.due_from?,
            days: u32::try_from(self.due_days?).ok()?,
        })
    }

    pub fn state(&self) -> Option<Status> {
        Status::from_code(&self.status)
    }

    pub fn status_label(&self) -> &'static str {
        self.state().map(Status::label_zh).unwrap_or("")
    }

    pub fn source_label(&self) -> &'static str {
        Source::from_code(&self.source).map(Source::label_zh).unwrap_or("")
    }

    pub fn sector_label(&self) -> &'static str {
        Sector::from_code(&self.sector).map(Sector::label_zh).unwrap_or("")
    }

    pub fn amount_claimed(&self) -> Fen {
        Fen(self.amount_claimed_fen)
    }

    /// How the case stands against its running time limit.
    pub fn timing(&self, today: NaiveDate, near_until: NaiveDate) -> Timing {
        Timing::of(self.due_on, today, near_until)
    }
}

const COLUMNS: &str = "SELECT c.id, c.number, c.status, c.version, c.county_code, c.region_code, g.name AS region_name, \
     c.source, c.clue_no, c.anonymous, c.worker_id, c.reporter_name_masked, c.reporter_phone_masked, \
     c.reporter_id_masked, c.employer_name, c.employer_credit_code, c.employer_address, c.sector, c.project_name, \
     c.contractor_credit_code, c.workers, c.amount_claimed_fen, c.amount_recovered_fen, c.workers_paid, c.conclusion, \
     c.arrears_from, c.arrears_to, c.description, c.received_on, c.accepted_on, c.accept_due, c.handle_due, c.due_on, \
     c.due_from, c.due_days, c.due_provisional, c.extended, c.urged, c.closed_on, c.created_at, c.created_by, c.updated_at, c.updated_by \
     FROM cases c JOIN regions g ON g.code = c.region_code";

/// One event of a case's history.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CaseEvent {
    pub id: i64,
    pub version: i64,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor_name: String,
    pub at: DateTime<Utc>,
    pub note: String,
    pub public_reply: String,
    pub data: String,
}

impl CaseEvent {
    pub fn action_label(&self) -> &'static str {
        if self.action == "register" {
            "登记"
        } else {
            Action::from_code(&self.action).map(Action::label_zh).unwrap_or("")
        }
    }
}

fn readable(actor: &Actor) -> AppResult<()> {
    require(actor, Permission::ReadPii)?;
    if case::may_read(&actor.roles) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A case inside the actor's scope (NotFound outside it).
async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<CaseRow> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE c.id = ").arg(id).push(" AND ");
    q.in_ranges("c.region_code", &actor.scope.ranges_for(RecordKind::WageCase));
    tx.one(q).await
}

async fn events_of(tx: &mut Tx, id: i64) -> AppResult<Vec<CaseEvent>> {
    tx.all(
        Sql::new(
            "SELECT id, version, action, from_status, to_status, actor_name, at, note, public_reply, data \
             FROM case_events WHERE case_id = $1 ORDER BY version",
        )
        .bind(id),
    )
    .await
}

/// One case with its events, oldest first.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<(CaseRow, Vec<CaseEvent>)> {
    readable(actor)?;
    let mut tx = db.read().await?;
    let row = get_in(&mut tx, actor, id).await?;
    let events = events_of(&mut tx, id).await?;
    Ok((row, events))
}

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

/// What registration gives back. The query code is shown once (to be given
/// to the reporter); only its HMAC is stored.
#[derive(Clone, Debug)]
pub struct Registered {
    pub id: i64,
    pub number: String,
    pub query_code: String,
}

/// Characters of a query code (no 0/O, 1/I/L).
const CODE_CHARS: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

fn query_code() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| char::from(CODE_CHARS[rng.random_range(0..CODE_CHARS.len())]))
        .collect()
}

fn query_hash(cipher: &Cipher, number: &str, code: &str) -> Vec<u8> {
    cipher.blind_index("case_query", &format!("{number}:{}", code.trim().to_ascii_uppercase()))
}

/// The id of the case with this number whose query code is `code`
/// (for the public lookup); `None` when either is wrong.
pub async fn find_by_query_code(db: &Db, cipher: &Cipher, number: &str, code: &str) -> AppResult<Option<i64>> {
    let number = number.trim().to_ascii_uppercase();
    let found: Option<(i64, Vec<u8>)> = db
        .read()
        .await?
        .opt(Sql::new("SELECT id, query_hash FROM cases WHERE number = $1").bind(number.clone()))
        .await?;
    Ok(found.and_then(|(id, h)| (h == query_hash(cipher, &number, code)).then_some(id)))
}

/// What the public lookup tells: the status and the replies to the
/// reporter, nothing else of the case.
#[derive(Clone, Debug)]
pub struct PublicView {
    pub number: String,
    /// [`Status::public_label`].
    pub status: &'static str,
    pub received_on: NaiveDate,
    /// (date, reply), oldest first.
    pub replies: Vec<(NaiveDate, String)>,
}

/// The public view of the case with this number and query code; `None`
/// when either is wrong (the two answers are the same to the caller).
pub async fn public_view(db: &Db, cipher: &Cipher, number: &str, code: &str) -> AppResult<Option<PublicView>> {
    let Some(id) = find_by_query_code(db, cipher, number, code).await? else {
        return Ok(None);
    };
    let mut tx = db.read().await?;
    let (number, status, received_on): (String, String, NaiveDate) = tx
        .one(Sql::new("SELECT number, status, received_on FROM cases WHERE id = $1").bind(id))
        .await?;
    let replies: Vec<(DateTime<Utc>, String)> = tx
        .all(
            Sql::new(
                "SELECT at, public_reply FROM case_events WHERE case_id = $1 AND public_reply <> '' ORDER BY version",
            )
            .bind(id),
        )
        .await?;
    Ok(Some(PublicView {
        number,
        status: Status::from_code(&status).map(Status::public_label).unwrap_or("办理中"),
        received_on,
        replies: replies.into_iter().map(|(at, r)| (local_date(at), r)).collect(),
    }))
}

fn context(number: &str, field: &str) -> String {
    format!("case:{number}:{field}")
}

/// Takes the next case number of `year` in a transaction of its own,
/// committed at once, so that the counter row is locked for that moment
/// only and not until the case is stored (concurrent registrations would
/// otherwise commit one after another). On PostgreSQL that commit does not
/// wait for the disk: its record precedes the case's in the log, so a case
/// durably stored has its number durably taken. A registration that fails
/// after this leaves its number unused; no number is given twice.
async fn take_number(db: &Db, year: i32) -> AppResult<String> {
    let mut tx = db.write().await?;
    if tx.backend() == Backend::Postgres {
        tx.exec(Sql::new("SET LOCAL synchronous_commit = off")).await?;
    }
    let n = number_in(&mut tx, year).await?;
    tx.commit().await?;
    Ok(n)
}

/// The next case number of `year`, in the writing transaction (batches:
/// the counter row stays locked until the batch commits).
async fn number_in(tx: &mut Tx, year: i32) -> AppResult<String> {
    tx.exec(Sql::new("INSERT INTO case_numbers (year, last) VALUES ($1, 0) ON CONFLICT (year) DO NOTHING").bind(year))
        .await?;
    let seq = tx
        .int(Sql::new("UPDATE case_numbers SET last = last + 1 WHERE year = $1 RETURNING last").bind(year))
        .await?;
    Ok(case::case_number(year, seq))
}

/// Sealed reporter columns: (name sealed, name masked, phone sealed, phone
/// index, phone masked, id sealed, id index, id masked).
type SealedReporter = (
    Option<Vec<u8>>,
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    String,
);

fn seal_reporter(cipher: &Cipher, number: &str, r: &Reporter) -> AppResult<SealedReporter> {
    let mut out: SealedReporter = Default::default();
    let phone = match r {
        Reporter::Anonymous => None,
        Reporter::Worker { phone, .. } => phone.as_ref(),
        Reporter::Contact {
            name, phone, id_number, ..
        } => {
            out.0 = Some(cipher.seal(&context(number, "reporter_name"), name.as_bytes())?);
            out.1 = shiminhua_core::person::mask_name(name);
            if let Some(id) = id_number {
                out.5 = Some(cipher.seal(&context(number, "reporter_id"), id.as_str().as_bytes())?);
                out.6 = Some(cipher.blind_index("id_number", id.as_str()));
                out.7 = id.masked();
            }
            Some(phone)
        }
    };
    if let Some(p) = phone {
        out.2 = Some(cipher.seal(&context(number, "reporter_phone"), p.as_str().as_bytes())?);
        out.3 = Some(cipher.blind_index("phone", p.as_str()));
        out.4 = p.masked();
    }
    Ok(out)
}

/// Who writes a case or an event: an officer, or the public form.
pub(crate) struct Writer<'a> {
    pub(crate) db: &'a Db,
    pub(crate) cipher: &'a Cipher,
    pub(crate) now: DateTime<Utc>,
    pub(crate) actor_id: Option<i64>,
    pub(crate) name: String,
    /// Who the audit trail records; `None` for the public form, whose
    /// registrations are recorded by their first event only (the audit
    /// chain is for the users' actions, and writing a link of it makes
    /// concurrent registrations commit one at a time).
    pub(crate) who: Option<Who>,
}

impl<'a> Writer<'a> {
    pub(crate) fn officer(call: &Call<'a>) -> Writer<'a> {
        Writer {
            db: call.db,
            cipher: call.cipher,
            now: call.now,
            actor_id: Some(call.actor.user_id),
            name: call.actor.display_name.clone(),
            who: Some(Who::actor(call.actor, call.origin)),
        }
    }
}

/// The name that public submissions are recorded under.
pub const PUBLIC_WRITER: &str = "网上反映（公众）";

/// Registers a case (登记). The township where the arrears arose must lie
/// in the registrar's scope; a linked worker in the registrar's worker
/// scope; a platform clue number may be registered once.
pub async fn register(call: &Call<'_>, input: &CaseInput) -> AppResult<Registered> {
    require(call.actor, Permission::ReadPii)?;
    if !case::may_register(&call.actor.roles) {
        return Err(AppError::Forbidden);
    }
    let today = local_date(call.now);
    let cal = crate::calendar::calendar(call.db).await?;
    let mut tx = call.db.read().await?;
    let rules = Rules::load(&mut tx, cal).await?;
    let data = case::validate(input, &rules.places, today).map_err(field_errors)?;
    if !call.actor.scope.allows(RecordKind::WageCase, data.region) {
        return Err(AppError::field("region", "该欠薪发生地不在您的数据范围内"));
    }
    if let Reporter::Worker { worker_id, .. } = &data.reporter {
        let mut q = Sql::new("SELECT COUNT(*) FROM workers WHERE id = ");
        q.arg(*worker_id).push(" AND ");
        q.in_ranges("region_code", &call.actor.scope.ranges_for(RecordKind::Worker));
        if tx.int(q).await? == 0 {
            return Err(AppError::field("worker_id", "所选农民工不存在或不在您的数据范围内"));
        }
    }
    clue_free(&mut tx, &data).await?;
    drop(tx);
    register_new(&Writer::officer(call), &rules, &data).await
}

/// Refuses a platform clue number registered already.
async fn clue_free(tx: &mut Tx, data: &CaseData) -> AppResult<()> {
    if let Some(clue) = &data.clue_no {
        let taken: Option<(String,)> = tx
            .opt(Sql::new("SELECT number FROM cases WHERE clue_no = $1").bind(clue.clone()))
            .await?;
        if let Some((number,)) = taken {
            return Err(duplicate_clue(&number));
        }
    }
    Ok(())
}

/// Numbers and stores a validated case in a transaction of its own.
async fn register_new(w: &Writer<'_>, rules: &Rules, data: &CaseData) -> AppResult<Registered> {
    // The time limit first: a year not loaded refuses before a number is taken.
    rules
        .running(rules.limits.accept_span(data.received_on), "受理期限")
        .map_err(|m| AppError::field("received_on", m))?;
    let number = take_number(w.db, chrono::Datelike::year(&data.received_on)).await?;
    let mut tx = w.db.write().await?;
    let r = store_new(&mut tx, w, rules, data, Some(number)).await?;
    tx.commit().await?;
    Ok(r)
}

/// Registers a case reported on the public form (source 网上反映,
/// received today, no worker link). Anyone may; the township must be one
/// of the city's. Recorded by the case's first event, not in the audit
/// trail (see [`Writer::who`]).
pub async fn register_public(db: &Db, cipher: &Cipher, now: DateTime<Utc>, input: &CaseInput) -> AppResult<Registered> {
    let today = local_date(now);
    let input = CaseInput {
        source: Source::Online.code().into(),
        clue_no: String::new(),
        received_on: today.to_string(),
        worker_id: None,
        ..input.clone()
    };
    let cal = crate::calendar::calendar(db).await?;
    let rules = Rules::load(&mut db.read().await?, cal).await?;
    let data = case::validate(&input, &rules.places, today).map_err(field_errors)?;
    let writer = Writer {
        db,
        cipher,
        now,
        actor_id: None,
        name: PUBLIC_WRITER.into(),
        who: None,
    };
    register_new(&writer, &rules, &data).await
}

/// Numbers, stores and logs a validated new case (the caller commits).
/// `number`: taken already, else taken in `tx`.
pub(crate) async fn store_new(
    tx: &mut Tx,
    w: &Writer<'_>,
    rules: &Rules,
    data: &CaseData,
    number: Option<String>,
) -> AppResult<Registered> {
    clue_free(tx, data).await?;
    let due = rules
        .running(rules.limits.accept_span(data.received_on), "受理期限")
        .map_err(|m| AppError::field("received_on", m))?;
    let number = match number {
        Some(n) => n,
        None => number_in(tx, chrono::Datelike::year(&data.received_on)).await?,
    };
    let code = query_code();
    let id = insert(tx, w, data, &number, due, &code).await?;
    append_event(
        tx,
        w,
        id,
        1,
        "register",
        "",
        Status::Registered,
        ("", ""),
        &serde_json::json!({ "source": data.source.code(), "accept_due": due.due.to_string() }).to_string(),
    )
    .await?;
    if let Some(who) = &w.who {
        audit::record(
            tx,
            w.now,
            who,
            Event::ok("case.register", "case", id).detail(format!(
                "number={number}; source={}; county={}",
                data.source.code(),
                data.county
            )),
        )
        .await?;
    }
    Ok(Registered {
        id,
        number,
        query_code: code,
    })
}

/// Registers one clue of the national platform's transfer list inside an
/// import batch (the importer commits). A clue number already registered is
/// left as it is: `Ok(false)`. Validation and scope as [`register`]; in a
/// dry run nothing is written and a valid new clue gives `Ok(true)`.
pub(crate) async fn import_platform(
    tx: &mut Tx,
    call: &Call<'_>,
    rules: &Rules,
    input: &CaseInput,
    dry_run: bool,
) -> AppResult<bool> {
    let data = case::validate(input, &rules.places, local_date(call.now)).map_err(field_errors)?;
    if !call.actor.scope.allows(RecordKind::WageCase, data.region) {
        return Err(AppError::field("region", "该欠薪发生地不在您的数据范围内"));
    }
    let clue = data.clue_no.clone().unwrap_or_default();
    let taken = tx
        .int(Sql::new("SELECT COUNT(*) FROM cases WHERE clue_no = $1").bind(clue))
        .await?;
    if taken > 0 {
        return Ok(false);
    }
    if !dry_run {
        store_new(tx, &Writer::officer(call), rules, &data, None).await?;
    }
    Ok(true)
}

fn duplicate_clue(number: &str) -> AppError {
    if number.is_empty() {
        return AppError::field("clue_no", "该平台线索编号已登记，请勿重复登记");
    }
    AppError::field(
        "clue_no",
        format!("该平台线索编号已登记（案件编号{number}），请勿重复登记"),
    )
}

async fn insert(tx: &mut Tx, w: &Writer<'_>, d: &CaseData, number: &str, due: Running, code: &str) -> AppResult<i64> {
    let s = seal_reporter(w.cipher, number, &d.reporter)?;
    let worker_id = match d.reporter {
        Reporter::Worker { worker_id, .. } => Some(worker_id),
        _ => None,
    };
    let by = w.name.clone();
    let q = Sql::new(
        "INSERT INTO cases (number, status, version, county_code, region_code, source, clue_no, anonymous, worker_id, \
         reporter_name_sealed, reporter_name_masked, reporter_phone_sealed, reporter_phone_index, reporter_phone_masked, \
         reporter_id_sealed, reporter_id_index, reporter_id_masked, employer_name, employer_credit_code, employer_address, \
         sector, project_name, contractor_credit_code, workers, amount_claimed_fen, arrears_from, arrears_to, description, \
         received_on, accept_due, due_on, query_hash, created_at, created_by, updated_at, updated_by, due_from, due_days, \
         due_provisional) \
         VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
         $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38) RETURNING id",
    )
    .bind(number)
    .bind(Status::Registered.code())
    .bind(d.county.as_i64())
    .bind(d.region.as_i64())
    .bind(d.source.code())
    .bind(d.clue_no.clone())
    .bind(d.reporter == Reporter::Anonymous)
    .bind(worker_id)
    .bind(s.0)
    .bind(s.1)
    .bind(s.2)
    .bind(s.3)
    .bind(s.4)
    .bind(s.5)
    .bind(s.6)
    .bind(s.7)
    .bind(d.employer_name.clone())
    .bind(
        d.employer_credit_code
            .as_ref()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
    )
    .bind(d.employer_address.clone())
    .bind(d.sector.code())
    .bind(d.project_name.clone().unwrap_or_default())
    .bind(
        d.contractor_credit_code
            .as_ref()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
    )
    .bind(d.workers)
    .bind(d.amount_claimed.0)
    .bind(d.arrears_from)
    .bind(d.arrears_to)
    .bind(d.description.clone())
    .bind(d.received_on)
    .bind(due.due)
    .bind(due.due)
    .bind(query_hash(w.cipher, number, code))
    .bind(w.now)
    .bind(by.clone())
    .bind(w.now)
    .bind(by)
    .bind(due.span.from)
    .bind(i64::from(due.span.days))
    .bind(due.provisional);
    let (id,): (i64,) = tx
        .one(q)
        .await
        .map_err(|e| if is_unique_violation(&e) { duplicate_clue("") } else { e })?;
    Ok(id)
}

#[expect(clippy::too_many_arguments, reason = "one event row")]
async fn append_event(
    tx: &mut Tx,
    w: &Writer<'_>,
    case_id: i64,
    version: i64,
    action: &str,
    from: &str,
    to: Status,
    (note, public_reply): (&str, &str),
    data: &str,
) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "INSERT INTO case_events (case_id, version, action, from_status, to_status, actor_id, actor_name, at, note, \
             public_reply, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(case_id)
        .bind(version)
        .bind(action)
        .bind(from)
        .bind(to.code())
        .bind(w.actor_id)
        .bind(w.name.clone())
        .bind(w.now)
        .bind(note)
        .bind(public_reply)
        .bind(data),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

/// The audit action code of a step.
fn audit_code(a: Action) -> &'static str {
    match a {
        Action::Accept => "case.accept",
        Action::Reject => "case.reject",
        Action::Investigate => "case.investigate",
        Action::Close => "case.close",
        Action::FollowUp => "case.follow_up",
        Action::Transfer => "case.transfer",
        Action::Arbitrate => "case.arbitrate",
        Action::ReferPolice => "case.refer_police",
        Action::Extend => "case.extend",
        Action::Urge => "case.urge",
    }
}

fn stale(number: &str) -> AppError {
    AppError::Conflict(format!(
        "操作未保存：案件{number}已被他人办理（状态或内容已变化）。请刷新页面查看最新情况后再操作。"
    ))
}

/// Takes `action` on a case the actor saw at `version`; returns the new
/// status. Refused (nothing written) when the case changed meanwhile, when
/// the workflow has no such step from its status or not for the actor's
/// roles, or when the action's fields are missing.
pub async fn act(call: &Call<'_>, id: i64, version: i64, action: Action, input: &ActionInput) -> AppResult<Status> {
    readable(call.actor)?;
    let cal = crate::calendar::calendar(call.db).await?;
    let mut tx = call.db.write().await?;
    let rules = Rules::load(&mut tx, cal).await?;
    let to = act_in(
        &mut tx,
        &Writer::officer(call),
        call.actor,
        &rules,
        id,
        version,
        action,
        input,
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// What checking and dating a step needs besides the case, loaded once.
pub(crate) struct Rules {
    /// The stored calendar with the years after it taken as ordinary.
    pub(crate) cal: Calendar,
    /// The stored calendar.
    real: Calendar,
    pub(crate) places: PlaceBook,
    conclusions: Vec<String>,
    limits: Limits,
}

impl Rules {
    /// The rules with the stored calendar `real`.
    pub(crate) async fn load(tx: &mut Tx, real: Calendar) -> AppResult<Rules> {
        Ok(Rules {
            cal: assuming(&real),
            real,
            places: PlaceBook::load(tx).await?,
            conclusions: conclusions_in(tx).await?,
            limits: limits_in(tx).await?,
        })
    }

    /// The calendars and limits a step is dated on.
    fn deadlines(&self) -> Deadlines<'_> {
        Deadlines {
            cal: &self.cal,
            real: &self.real,
            limits: &self.limits,
        }
    }

    /// The due date of `span`, provisional when it falls in a year whose
    /// arrangement is not loaded.
    pub(crate) fn running(&self, span: Span, what: &str) -> Result<Running, String> {
        self.deadlines().running(span, what)
    }
}

/// Years taken as ordinary after the last one loaded, for time limits that
/// run into them (the next year's arrangement is usually published late in
/// the year; a 60-working-day limit set in October already reaches it).
const ASSUMED_YEARS: i32 = 2;

fn assuming(real: &Calendar) -> Calendar {
    let last = real.years().max().unwrap_or(0);
    real.assuming_ordinary_years(last + ASSUMED_YEARS)
}

/// The calendar time limits are counted on: the stored one, and after its
/// last year two ordinary years (Monday to Friday) until their arrangements
/// are loaded. Due dates falling in those years are provisional.
pub async fn deadline_calendar(db: &Db) -> AppResult<Calendar> {
    Ok(assuming(&crate::calendar::calendar(db).await?))
}

/// Computes again the provisional due dates of open cases on the stored
/// calendar (after a year's arrangement was loaded). Returns how many
/// changed.
pub(crate) async fn recompute_provisional(tx: &mut Tx, real: &Calendar) -> AppResult<u64> {
    let cal = assuming(real);
    let rows: Vec<(i64, String, NaiveDate, i64, Option<NaiveDate>)> = tx
        .all(
            Sql::new(
                "SELECT id, status, due_from, due_days, due_on FROM cases \
             WHERE due_provisional = $1 AND due_from IS NOT NULL AND due_days IS NOT NULL",
            )
            .bind(true),
        )
        .await?;
    let mut changed = 0;
    for (id, status, from, days, old) in rows {
        let span = Span {
            from,
            days: u32::try_from(days).unwrap_or(0),
        };
        let Ok(due) = span.due(&cal, "期限") else { continue };
        let which = if status == Status::Registered.code() {
            "accept_due"
        } else {
            "handle_due"
        };
        let mut q = Sql::new("UPDATE cases SET due_on = ");
        q.arg(due).push(", due_provisional = ").arg(!real.covers_date(due));
        q.push(&format!(", {which} = ")).arg(due);
        q.push(" WHERE id = ").arg(id);
        tx.exec(q).await?;
        if old != Some(due) {
            changed += 1;
        }
    }
    Ok(changed)
}

/// [`act`] inside a transaction (the caller commits), on the day of `w.now`.
#[expect(clippy::too_many_arguments, reason = "one step, with its context")]
pub(crate) async fn act_in(
    tx: &mut Tx,
    w: &Writer<'_>,
    actor: &Actor,
    rules: &Rules,
    id: i64,
    version: i64,
    action: Action,
    input: &ActionInput,
) -> AppResult<Status> {
    let today = local_date(w.now);
    let row = get_in(tx, actor, id).await?;
    if row.version != version {
        return Err(stale(&row.number));
    }
    let status = row
        .state()
        .ok_or_else(|| AppError::Internal(format!("case {id} has status {:?}", row.status)))?;
    let (places, conclusions) = (&rules.places, &rules.conclusions);
    let state = CaseState {
        status,
        county: DivisionCode::from_i64(row.county_code).map_err(|e| AppError::Internal(e.to_string()))?,
        workers: row.workers,
        extended: row.extended,
    };
    let step = case::check(&state, action, &actor.roles, input, conclusions, places).map_err(|r| match r {
        Refusal::State(m) | Refusal::Rule(m) => AppError::Conflict(m),
        Refusal::Role(_) => AppError::Forbidden,
        Refusal::Fields(errs) => field_errors(errs),
    })?;
    let dates = CaseDates {
        source: Source::from_code(&row.source).unwrap_or(Source::Visit),
        received_on: row.received_on,
        accepted_on: row.accepted_on,
        span: row.span(),
    };
    let ch = step
        .changes(&dates, &rules.deadlines(), today)
        .map_err(AppError::Conflict)?;

    let mut q = Sql::new("UPDATE cases SET status = ");
    q.arg(step.to.code())
        .push(", version = version + 1, updated_at = ")
        .arg(w.now)
        .push(", updated_by = ")
        .arg(w.name.clone());
    if let Some(d) = ch.accepted_on {
        q.push(", accepted_on = ").arg(d);
    }
    if let Some(d) = ch.accept_due {
        q.push(", accept_due = ").arg(d).push(", accepted_on = NULL");
    }
    if let Some(d) = ch.handle_due {
        q.push(", handle_due = ").arg(d);
    }
    match ch.running {
        Some(Some(r)) => {
            q.push(", due_on = ")
                .arg(r.due)
                .push(", due_from = ")
                .arg(r.span.from)
                .push(", due_days = ")
                .arg(i64::from(r.span.days))
                .push(", due_provisional = ")
                .arg(r.provisional);
        }
        Some(None) => {
            q.push(", due_on = NULL, due_from = NULL, due_days = NULL, due_provisional = ")
                .arg(false);
        }
        None => {}
    }
    if let Some(d) = ch.closed_on {
        q.push(", closed_on = ").arg(d);
    }
    if ch.extended {
        q.push(", extended = ").arg(true);
    }
    if ch.urged {
        q.push(", urged = urged + 1");
    }
    if let Some(r) = ch.region {
        let county = r
            .county()
            .ok_or_else(|| AppError::Internal("township without a county".into()))?;
        q.push(", region_code = ")
            .arg(r.as_i64())
            .push(", county_code = ")
            .arg(county.as_i64());
    }
    if let Some(c) = &step.conclusion {
        q.push(", conclusion = ").arg(c.clone());
    }
    if let Some(a) = step.amount_recovered {
        q.push(", amount_recovered_fen = ").arg(a.0);
    }
    if let Some(n) = step.workers_paid {
        q.push(", workers_paid = ").arg(n);
    }
    q.push(" WHERE id = ").arg(id).push(" AND version = ").arg(version);
    if tx.exec(q).await? != 1 {
        return Err(stale(&row.number));
    }

    let mut data = serde_json::Map::new();
    if let Some(c) = &step.conclusion {
        data.insert("conclusion".into(), c.clone().into());
    }
    if let Some(a) = step.amount_recovered {
        data.insert("amount_recovered_fen".into(), a.0.into());
    }
    if let Some(n) = step.workers_paid {
        data.insert("workers_paid".into(), n.into());
    }
    if let Some(r) = step.region {
        data.insert("from_region".into(), row.region_code.into());
        data.insert("to_region".into(), r.as_i64().into());
    }
    if let Some(Some(r)) = ch.running {
        data.insert("due_on".into(), r.due.to_string().into());
    }
    let data = serde_json::Value::Object(data).to_string();
    append_event(
        tx,
        w,
        id,
        version + 1,
        action.code(),
        status.code(),
        step.to,
        (&step.note, &step.public_reply),
        &data,
    )
    .await?;
    let mut detail = format!("number={}; {}→{}", row.number, status.code(), step.to.code());
    if let Some(r) = step.region {
        detail.push_str(&format!("; region {}→{}", row.region_code, r));
    }
    let who = w
        .who
        .as_ref()
        .ok_or_else(|| AppError::Internal("a case step without an officer".into()))?;
    audit::record(tx, w.now, who, Event::ok(audit_code(action), "case", id).detail(detail)).await?;
    Ok(step.to)
}

// ---------------------------------------------------------------------------
// Attachments
// ---------------------------------------------------------------------------

/// Most attachments a case keeps.
pub const MAX_FILES: i64 = 20;

/// The attachments of a case in scope, without their content.
pub async fn files(db: &Db, actor: &Actor, id: i64) -> AppResult<Vec<crate::plan::reports::FileRow>> {
    readable(actor)?;
    let mut tx = db.read().await?;
    get_in(&mut tx, actor, id).await?;
    tx.all(
        Sql::new("SELECT id, name, mime, size, added_at, added_by FROM case_files WHERE case_id = $1 ORDER BY id")
            .bind(id),
    )
    .await
}

/// Adds an attachment to a case in scope (type by extension and first
/// bytes, at most 10 MB, at most [`MAX_FILES`] a case; the reason in
/// Chinese when refused). Returns the file's id.
pub async fn add_file(call: &Call<'_>, id: i64, name: &str, bytes: &[u8]) -> AppResult<i64> {
    readable(call.actor)?;
    if !case::may_register(&call.actor.roles) {
        return Err(AppError::Forbidden);
    }
    let name: String = name.trim().chars().take(120).collect();
    let mime = crate::plan::reports::check_file(&name, bytes).map_err(|m| AppError::field("file", m))?;
    let mut tx = call.db.write().await?;
    let row = get_in(&mut tx, call.actor, id).await?;
    let n = tx
        .int(Sql::new("SELECT COUNT(*) FROM case_files WHERE case_id = $1").bind(id))
        .await?;
    if n >= MAX_FILES {
        return Err(AppError::field("file", format!("每个案件最多{MAX_FILES}个附件")));
    }
    let (file_id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO case_files (case_id, name, mime, size, data, added_at, added_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(id)
            .bind(name.clone())
            .bind(mime)
            .bind(bytes.len() as i64)
            .bind(bytes.to_vec())
            .bind(call.now)
            .bind(call.actor.display_name.clone()),
        )
        .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("case.attach", "case", id).detail(format!("number={}; file={file_id}", row.number)),
    )
    .await?;
    tx.commit().await?;
    Ok(file_id)
}

/// An attachment of a case in scope: (name, MIME type, content).
pub async fn file(db: &Db, actor: &Actor, id: i64, file_id: i64) -> AppResult<(String, String, Vec<u8>)> {
    readable(actor)?;
    let mut tx = db.read().await?;
    get_in(&mut tx, actor, id).await?;
    tx.one(
        Sql::new("SELECT name, mime, data FROM case_files WHERE id = $1 AND case_id = $2")
            .bind(file_id)
            .bind(id),
    )
    .await
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

/// Filters of a case list.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub county: Option<DivisionCode>,
    pub status: Option<Status>,
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

/// The region column as written where a list is read or counted in
/// due-date order: SQLite keeps no statistics, and "+" keeps it from
/// choosing the index by place there; PostgreSQL estimates the place's
/// share from its statistics, which "+" would hide (it then joined the
/// regions to all overdue cases: 104 ms instead of 0.4).
fn region_by_due(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "+c.region_code",
        Backend::Postgres => "c.region_code",
    }
}

/// The conditions of a filter without its timing, on the scope of `actor`.
/// `region` names the region column (see [`region_by_due`]).
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
        Some(Timing::Overdue | Timing::NearDue) => filter_cond(actor, f, region_by_due(tx.backend())),
        _ => filter_cond(actor, f, "c.region_code"),
    };
    if let Some(t) = f.timing {
        timing_cond(&mut counted, t, today, near, NO_LIMIT);
    }
    // SQLite keeps no statistics: asked for the cases without a time limit
    // (most of them), newest first, it would fetch them all through the
    // due-date index and sort them; "+" leaves it the table in id order.
    let no_limit = match tx.backend() {
        Backend::Sqlite => "+c.due_on IS NULL",
        Backend::Postgres => NO_LIMIT,
    };
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
        let mut cond = filter_cond(actor, f, region_by_due(tx.backend()));
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
    q.append(&filter_cond(actor, f, region_by_due(tx.backend())));
    q.push(" AND c.due_on IS NOT NULL");
    let (open, overdue, near_due): (i64, i64, i64) = tx.one(q).await?;
    Ok(DueCounts {
        open,
        overdue,
        near_due,
    })
}
