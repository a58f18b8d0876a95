//! Registering a case: by an officer, by the public (with its query
//! code), or from the platform's import; the sealed reporter and the case
//! number.

use super::deadlines::StepRules;
use super::settings::{field_errors, local_date};
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx, dialect, is_unique_violation};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use shiminhua_core::auth::{Permission, RecordKind};
use shiminhua_core::case::{self, CaseData, CaseInput, CaseStatus, Reporter, Running, Source};

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

/// A new query code (8 characters of [`CODE_CHARS`]); also the job
/// seekers' applications' (`registry::jobs::applications`).
pub(crate) fn query_code() -> String {
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
    /// [`CaseStatus::public_label`].
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
        status: CaseStatus::from_code(&status)
            .map(CaseStatus::public_label)
            .unwrap_or("办理中"),
        received_on,
        replies: replies.into_iter().map(|(at, r)| (local_date(at), r)).collect(),
    }))
}

pub(super) fn context(number: &str, field: &str) -> String {
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
    if let Some(no_flush) = dialect::commit_without_flush(tx.backend()) {
        tx.exec(Sql::new(no_flush)).await?;
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
    let (rules, data) = checked(call, input).await?;
    register_new(&Writer::officer(call), &rules, &data, None).await
}

/// Registers a case inside the caller's transaction (a monitoring warning
/// turned into a case, linked to it in the same transaction). Reporters
/// and linked workers are not taken here: such a case is filed anonymously.
pub(crate) async fn register_in(tx: &mut Tx, call: &Call<'_>, input: &CaseInput) -> AppResult<Registered> {
    require(call.actor, Permission::ReadPii)?;
    if !case::may_register(&call.actor.roles) {
        return Err(AppError::Forbidden);
    }
    if !input.anonymous {
        return Err(AppError::Internal(
            "a case registered in a transaction is anonymous".into(),
        ));
    }
    let cal = crate::calendar::calendar(call.db).await?;
    let rules = StepRules::load(tx, cal).await?;
    let data = case::validate(input, &rules.places, local_date(call.now)).map_err(field_errors)?;
    if !call.actor.scope.allows(RecordKind::WageCase, data.region) {
        return Err(AppError::field("region", "该欠薪发生地不在您的数据范围内"));
    }
    store_new(tx, &Writer::officer(call), &rules, &data, None).await
}

/// An officer's registration checked: permission, validation, scope, the
/// linked worker and the clue number.
async fn checked(call: &Call<'_>, input: &CaseInput) -> AppResult<(StepRules, CaseData)> {
    require(call.actor, Permission::ReadPii)?;
    if !case::may_register(&call.actor.roles) {
        return Err(AppError::Forbidden);
    }
    let today = local_date(call.now);
    let cal = crate::calendar::calendar(call.db).await?;
    let mut tx = call.db.read().await?;
    let rules = StepRules::load(&mut tx, cal).await?;
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
    Ok((rules, data))
}

// ---------------------------------------------------------------------------
// The same form sent twice

/// How long the browser that filed a case may see its query code again.
pub const CODE_SHOWN_FOR: chrono::Duration = chrono::Duration::minutes(30);

/// A case registered by a form submitted earlier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filed {
    pub id: i64,
    pub number: String,
    /// The query code, while it may be shown again ([`CODE_SHOWN_FOR`]).
    pub query_code: Option<String>,
    pub at: DateTime<Utc>,
    /// The case's source (网上反映 for the public form).
    pub source: String,
}

/// What a registration form gives once: the new case, or the case the
/// same form registered before.
#[derive(Clone, Debug)]
pub enum Once {
    New(Registered),
    Again(Filed),
}

/// Whether `token` is a form token as the forms make them (64 hex digits);
/// others are not looked up nor kept.
pub fn form_token_ok(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn token_hash(cipher: &Cipher, token: &str) -> Vec<u8> {
    cipher.blind_index("case_submission", &token.to_ascii_lowercase())
}

/// The query code XOR a key derived from the token (in `domain`): only the
/// holder of the token (the browser that filed) can have it back.
pub(crate) fn wrap_code(cipher: &Cipher, domain: &str, token: &str, code: &[u8]) -> Vec<u8> {
    let key = cipher.blind_index(domain, &token.to_ascii_lowercase());
    code.iter().zip(key.iter().cycle()).map(|(a, b)| a ^ b).collect()
}

const CODE_DOMAIN: &str = "case_submission_code";

/// (case id, number, source, wrapped code, when submitted)
type SubmissionRow = (i64, String, String, Option<Vec<u8>>, DateTime<Utc>);

/// The case a form with `token` registered, if any.
pub async fn submitted(db: &Db, cipher: &Cipher, token: &str, now: DateTime<Utc>) -> AppResult<Option<Filed>> {
    if !form_token_ok(token) {
        return Ok(None);
    }
    let row: Option<SubmissionRow> = db
        .read()
        .await?
        .opt(
            Sql::new(
                "SELECT c.id, c.number, c.source, s.code_wrapped, s.created_at FROM case_submissions s \
                 JOIN cases c ON c.id = s.case_id WHERE s.token_hash = $1",
            )
            .bind(token_hash(cipher, token)),
        )
        .await?;
    Ok(row.map(|(id, number, source, wrapped, at)| Filed {
        id,
        number,
        query_code: wrapped
            .filter(|_| now - at <= CODE_SHOWN_FOR)
            .and_then(|w| String::from_utf8(wrap_code(cipher, CODE_DOMAIN, token, &w)).ok()),
        at,
        source,
    }))
}

/// [`register`], once per form: the form's `token` registered a case
/// already, that case is given back (and no second one registered).
pub async fn register_once(call: &Call<'_>, input: &CaseInput, token: &str) -> AppResult<Once> {
    require(call.actor, Permission::ReadPii)?;
    if let Some(f) = submitted(call.db, call.cipher, token, call.now).await? {
        return Ok(Once::Again(f));
    }
    let (rules, data) = checked(call, input).await?;
    if !form_token_ok(token) {
        return register_new(&Writer::officer(call), &rules, &data, None)
            .await
            .map(Once::New);
    }
    once(
        call.db,
        call.cipher,
        call.now,
        token,
        register_new(&Writer::officer(call), &rules, &data, Some(token)).await,
    )
    .await
}

/// The outcome of a registration with a token: a second submission that
/// lost the race to store its token gets the first one's case.
async fn once(
    db: &Db,
    cipher: &Cipher,
    now: DateTime<Utc>,
    token: &str,
    result: AppResult<Registered>,
) -> AppResult<Once> {
    match result {
        Ok(r) => Ok(Once::New(r)),
        Err(e) => match submitted(db, cipher, token, now).await? {
            Some(f) => Ok(Once::Again(f)),
            None => Err(e),
        },
    }
}

/// [`register_public`], once per form (see [`register_once`]).
pub async fn register_public_once(
    db: &Db,
    cipher: &Cipher,
    now: DateTime<Utc>,
    input: &CaseInput,
    token: &str,
) -> AppResult<Once> {
    if let Some(f) = submitted(db, cipher, token, now).await? {
        return Ok(Once::Again(f));
    }
    let token = Some(token).filter(|t| form_token_ok(t));
    let result = register_public_with(db, cipher, now, input, token).await;
    match token {
        Some(t) => once(db, cipher, now, t, result).await,
        None => result.map(Once::New),
    }
}

/// Checks a public report without registering it: the errors it would be
/// refused with (shown with the others when the challenge failed).
pub async fn check_public(db: &Db, now: DateTime<Utc>, input: &CaseInput) -> AppResult<()> {
    let today = local_date(now);
    let input = public_input(input, today);
    let cal = crate::calendar::calendar(db).await?;
    let rules = StepRules::load(&mut db.read().await?, cal).await?;
    case::validate(&input, &rules.places, today).map_err(field_errors)?;
    Ok(())
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
async fn register_new(
    w: &Writer<'_>,
    rules: &StepRules,
    data: &CaseData,
    token: Option<&str>,
) -> AppResult<Registered> {
    // The time limit first: a year not loaded refuses before a number is taken.
    rules
        .running(rules.limits.accept_span(data.received_on), "受理期限")
        .map_err(|m| AppError::field("received_on", m))?;
    let number = take_number(w.db, chrono::Datelike::year(&data.received_on)).await?;
    let mut tx = w.db.write().await?;
    let r = store_new(&mut tx, w, rules, data, Some(number)).await?;
    if let Some(token) = token {
        // The query code is not to be had back after a while.
        tx.exec(
            Sql::new(
                "UPDATE case_submissions SET code_wrapped = NULL WHERE code_wrapped IS NOT NULL AND created_at < $1",
            )
            .bind(w.now - CODE_SHOWN_FOR),
        )
        .await?;
        // A second submission of the same form fails here and rolls back.
        tx.exec(
            Sql::new(
                "INSERT INTO case_submissions (token_hash, case_id, code_wrapped, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash(w.cipher, token))
            .bind(r.id)
            .bind(wrap_code(w.cipher, CODE_DOMAIN, token, r.query_code.as_bytes()))
            .bind(w.now),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(r)
}

/// Registers a case reported on the public form (source 网上反映,
/// received today, no worker link). Anyone may; the township must be one
/// of the city's. Recorded by the case's first event, not in the audit
/// trail (see [`Writer::who`]).
pub async fn register_public(db: &Db, cipher: &Cipher, now: DateTime<Utc>, input: &CaseInput) -> AppResult<Registered> {
    register_public_with(db, cipher, now, input, None).await
}

/// The public form's input as registered: source 网上反映, received today,
/// no clue number, no worker link.
fn public_input(input: &CaseInput, today: NaiveDate) -> CaseInput {
    CaseInput {
        source: Source::Online.code().into(),
        clue_no: String::new(),
        received_on: today.to_string(),
        worker_id: None,
        ..input.clone()
    }
}

async fn register_public_with(
    db: &Db,
    cipher: &Cipher,
    now: DateTime<Utc>,
    input: &CaseInput,
    token: Option<&str>,
) -> AppResult<Registered> {
    let today = local_date(now);
    let input = public_input(input, today);
    let cal = crate::calendar::calendar(db).await?;
    let rules = StepRules::load(&mut db.read().await?, cal).await?;
    let data = case::validate(&input, &rules.places, today).map_err(field_errors)?;
    let writer = Writer {
        db,
        cipher,
        now,
        actor_id: None,
        name: PUBLIC_WRITER.into(),
        who: None,
    };
    register_new(&writer, &rules, &data, token).await
}

/// Numbers, stores and logs a validated new case (the caller commits).
/// `number`: taken already, else taken in `tx`.
pub(crate) async fn store_new(
    tx: &mut Tx,
    w: &Writer<'_>,
    rules: &StepRules,
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
        CaseStatus::Registered,
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
    rules: &StepRules,
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

pub(super) async fn insert(
    tx: &mut Tx,
    w: &Writer<'_>,
    d: &CaseData,
    number: &str,
    due: Running,
    code: &str,
) -> AppResult<i64> {
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
         due_provisional, contractor_name) \
         VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
         $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39) RETURNING id",
    )
    .bind(number)
    .bind(CaseStatus::Registered.code())
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
    .bind(due.provisional)
    .bind(d.contractor_name.clone().unwrap_or_default());
    let (id,): (i64,) = tx
        .one(q)
        .await
        .map_err(|e| if is_unique_violation(&e) { duplicate_clue("") } else { e })?;
    Ok(id)
}

#[expect(clippy::too_many_arguments, reason = "one event row")]
pub(super) async fn append_event(
    tx: &mut Tx,
    w: &Writer<'_>,
    case_id: i64,
    version: i64,
    action: &str,
    from: &str,
    to: CaseStatus,
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
