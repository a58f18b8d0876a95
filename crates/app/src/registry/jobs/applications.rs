//! 求职登记 filed by job seekers themselves from a phone (`/public/jobs/register`):
//! the person (name, ID number, phone, township of residence), the seeker
//! form's wishes and the consent to the processing notice (PIPL art. 14,
//! 17). It is kept as an application until the staff of the township's
//! county accept it, registering the worker if not yet registered and the
//! seeker (source 本人手机登记), or refuse it with a reason the applicant
//! reads. The applicant follows it with a number and a query code, as a
//! public wage-arrears report is followed: only the code's keyed hash is
//! stored, and a wrong code answers like an unknown number.
//!
//! The ID number and the phone are sealed as the workers' are; lists show
//! them masked. Nobody outside the township's county sees an application.

use super::seekers;
use super::{own_ranges, within, write_ranges};
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::regions::PlaceBook;
use crate::registry::workers::{self, WorkerInput};
use crate::rights::cases::{query_code, wrap_code};
use crate::store::{Db, Sql, Tx, is_unique_violation};
use crate::{Call, Origin};
use chrono::{DateTime, Datelike, Utc};
use shiminhua_core::auth::Actor;
use shiminhua_core::division::{DivisionCode, Level};
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::jobs::forms::SEEKER;
use shiminhua_core::person::{self, mask_name, normalise_name};
use shiminhua_core::phone::Phone;
use std::collections::HashMap;

/// The notice the applicant agrees to (个人信息处理告知), shown above the
/// consent box.
pub const NOTICE: &str = "您填写的姓名、身份证号码、手机号码和求职意向，由您居住地所在区县人力资源和社会保障部门用于办理求职登记、向您推荐岗位和联系您，不用于其他目的，不向用人单位提供您的身份证号码。工作人员确认登记前，申请保存不超过一年；登记后按就业服务的规定保存。您可以持身份证到当地人社服务窗口查询、更正或注销您的登记。";

/// What an application is (its status), as the applicant reads it.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "待工作人员确认",
        "accepted" => "已办理求职登记",
        "refused" => "未予登记",
        _ => "",
    }
}

/// What filing gives back: the number and the code (empty once no longer
/// shown), and whether the same form had been filed before.
#[derive(Clone, Debug)]
pub struct Filed {
    pub number: String,
    pub query_code: String,
    pub again: bool,
}

fn query_hash(cipher: &Cipher, number: &str, code: &str) -> Vec<u8> {
    cipher.blind_index(
        "job_application_query",
        &format!("{number}:{}", code.trim().to_ascii_uppercase()),
    )
}

/// The context an application's sealed `field` (`id`, `phone`) is bound to.
pub(crate) fn sealed_context(field: &str, index: &[u8]) -> String {
    format!("job_application:{field}:{}", crate::hex(index))
}

/// The applicant's form as typed: the person and the seeker form's fields.
#[derive(Clone, Debug, Default)]
pub struct Application {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    /// The township of residence (a division code).
    pub region: String,
    /// The seeker form's fields by key.
    pub wishes: HashMap<String, String>,
    pub consent: bool,
}

/// The person of an application, checked.
struct Person {
    name: String,
    id: IdNumber,
    phone: Phone,
    region: DivisionCode,
    county: DivisionCode,
}

/// Checks an application: every mistake at once, by field.
async fn check(tx: &mut Tx, now: DateTime<Utc>, a: &Application) -> AppResult<Person> {
    let mut errs = FieldErrors::default();
    let name = normalise_name(&a.name);
    if let Err(e) = person::check_name(&name, &person::REGISTRY_NAME) {
        errs.add("name", e);
    }
    let id = IdNumber::parse(&a.id_number).map_err(|e| errs.add("id_number", e.to_string()));
    let phone = Phone::parse(&a.phone).map_err(|e| errs.add("phone", e.to_string()));
    let places = PlaceBook::load(tx).await?;
    let region = places
        .resolve(&a.region)
        .ok()
        .filter(|c| c.level() == Level::Township)
        .and_then(|c| c.county().map(|county| (c, county)));
    if region.is_none() {
        errs.add("region", "请选择居住地所在的乡镇（街道）");
    }
    let wishes = |k: &str| a.wishes.get(k).cloned().unwrap_or_default();
    match seekers::validate_at(tx, now, &wishes).await {
        Ok(_) => {}
        Err(AppError::Validation(e)) => {
            for (k, m) in e.0 {
                errs.add(&k, m);
            }
        }
        Err(e) => return Err(e),
    }
    if !a.consent {
        errs.add("consent", "请阅读个人信息处理告知，同意后再提交");
    }
    match (id, phone, region) {
        (Ok(id), Ok(phone), Some((region, county))) if errs.is_empty() => Ok(Person {
            name,
            id,
            phone,
            region,
            county,
        }),
        _ => Err(AppError::Validation(errs)),
    }
}

/// Checks an application without filing it (to show every mistake with a
/// refused challenge).
pub async fn check_only(db: &Db, now: DateTime<Utc>, a: &Application) -> AppResult<()> {
    check(&mut db.read().await?, now, a).await.map(|_| ())
}

/// Files an application from the public form whose one-time token is
/// `token`. The same form sent again (a retry on a weak connection, back
/// and resubmit) files nothing and gives the first filing back, with its
/// code for [`CODE_SHOWN_FOR`] (kept wrapped under the token, which only
/// that browser holds).
pub async fn file(
    db: &Db,
    cipher: &Cipher,
    origin: &Origin,
    now: DateTime<Utc>,
    a: &Application,
    token: &str,
) -> AppResult<Filed> {
    if !crate::rights::cases::form_token_ok(token) {
        return Err(AppError::BadRequest("表单已失效，请刷新页面后重新填写。".into()));
    }
    if let Some(f) = filed_before(db, cipher, now, token).await? {
        return Ok(f);
    }
    let mut tx = db.write().await?;
    let p = check(&mut tx, now, a).await?;
    let index = cipher.blind_index("id_number", p.id.as_str());
    let wishes: HashMap<&str, String> = SEEKER
        .fields
        .iter()
        .map(|f| (f.key, a.wishes.get(f.key).cloned().unwrap_or_default()))
        .collect();
    let wishes = serde_json::to_string(&wishes).map_err(|e| AppError::Internal(e.to_string()))?;
    let inserted = tx
        .one::<(i64,)>(
            Sql::new(
                "INSERT INTO job_applications (query_hash, form_token, name, id_sealed, id_index, id_masked, \
                 phone_sealed, phone_masked, county_code, region_code, wishes, consent_at, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $12) RETURNING id",
            )
            .bind(Vec::<u8>::new())
            .bind(token_hash(cipher, token))
            .bind(p.name.clone())
            .bind(cipher.seal(&sealed_context("id", &index), p.id.as_str().as_bytes())?)
            .bind(index.clone())
            .bind(p.id.masked())
            .bind(cipher.seal(&sealed_context("phone", &index), p.phone.as_str().as_bytes())?)
            .bind(p.phone.masked())
            .bind(p.county.as_i64())
            .bind(p.region.as_i64())
            .bind(wishes)
            .bind(now),
        )
        .await;
    let id = match inserted {
        Ok((id,)) => id,
        // The same form filed meanwhile by a request sent at once.
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            return filed_before(db, cipher, now, token)
                .await?
                .ok_or_else(|| AppError::Internal("a form token taken and not found".into()));
        }
        Err(e) => return Err(e),
    };
    let number = format!("QZ{}{id:06}", (now + chrono::Duration::hours(8)).year());
    let code = query_code();
    tx.exec(
        Sql::new("UPDATE job_applications SET number = $1, query_hash = $2, code_wrapped = $3 WHERE id = $4")
            .bind(number.clone())
            .bind(query_hash(cipher, &number, &code))
            .bind(wrap_code(cipher, CODE_DOMAIN, token, code.as_bytes()))
            .bind(id),
    )
    .await?;
    // Codes are kept wrapped only while they may be shown again.
    tx.exec(
        Sql::new("UPDATE job_applications SET code_wrapped = NULL WHERE code_wrapped IS NOT NULL AND created_at < $1")
            .bind(now - CODE_SHOWN_FOR),
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        &Who::anonymous("求职人员（手机登记）", origin),
        Event::ok("job_application.file", "job_application", id).detail(format!("county={}", p.county)),
    )
    .await?;
    tx.commit().await?;
    Ok(Filed {
        number,
        query_code: code,
        again: false,
    })
}

/// How long the code of a filing is shown again to the same form (as a
/// public wage-arrears report's).
pub use crate::rights::cases::CODE_SHOWN_FOR;

fn token_hash(cipher: &Cipher, token: &str) -> String {
    crate::hex(&cipher.blind_index("job_application_form", &token.to_ascii_lowercase()))
}

const CODE_DOMAIN: &str = "job_application_code";

/// The filing of the form with `token`, if it was filed: its number, and
/// its code while it may be shown again (else empty).
async fn filed_before(db: &Db, cipher: &Cipher, now: DateTime<Utc>, token: &str) -> AppResult<Option<Filed>> {
    /// number, wrapped code, filed at
    type Row = (Option<String>, Option<Vec<u8>>, DateTime<Utc>);
    let row: Option<Row> = db
        .read()
        .await?
        .opt(
            Sql::new("SELECT number, code_wrapped, created_at FROM job_applications WHERE form_token = $1")
                .bind(token_hash(cipher, token)),
        )
        .await?;
    Ok(row.map(|(number, wrapped, at)| Filed {
        number: number.unwrap_or_default(),
        query_code: wrapped
            .filter(|_| now - at <= CODE_SHOWN_FOR)
            .and_then(|w| String::from_utf8(wrap_code(cipher, CODE_DOMAIN, token, &w)).ok())
            .unwrap_or_default(),
        again: true,
    }))
}

/// What the applicant reads with the number and code.
#[derive(Clone, Debug)]
pub struct PublicView {
    pub number: String,
    pub status: &'static str,
    pub filed_on: chrono::NaiveDate,
    /// The reason of a refusal.
    pub reason: String,
    /// The county, for the job board's link.
    pub county: i64,
}

/// The application with this number and code; `None` when either is wrong.
pub async fn public_view(db: &Db, cipher: &Cipher, number: &str, code: &str) -> AppResult<Option<PublicView>> {
    let number = number.trim().to_ascii_uppercase();
    /// query hash, status, filed, reason, county
    type Found = (Vec<u8>, String, DateTime<Utc>, String, i64);
    let found: Option<Found> = db
        .read()
        .await?
        .opt(
            Sql::new(
                "SELECT query_hash, status, created_at, reason, county_code FROM job_applications WHERE number = $1",
            )
            .bind(number.clone()),
        )
        .await?;
    Ok(found
        .filter(|(h, ..)| *h == query_hash(cipher, &number, code))
        .map(|(_, status, at, reason, county)| PublicView {
            number,
            status: status_label(&status),
            filed_on: (at + chrono::Duration::hours(8)).date_naive(),
            reason,
            county,
        }))
}

/// An application as the staff list shows it (masked).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: i64,
    pub number: Option<String>,
    pub name: String,
    pub id_masked: String,
    pub phone_masked: String,
    pub region_code: i64,
    pub wishes: String,
    pub status: String,
    pub reason: String,
    pub seeker_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub decided_by: String,
}

impl ApplicationRow {
    pub fn name_masked(&self) -> String {
        mask_name(&self.name)
    }

    /// The wishes as typed, by key.
    pub fn wishes(&self) -> HashMap<String, String> {
        serde_json::from_str(&self.wishes).unwrap_or_default()
    }

    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }
}

const COLUMNS: &str = "SELECT id, number, name, id_masked, phone_masked, region_code, wishes, status, reason, \
     seeker_id, created_at, decided_by FROM job_applications";

/// The applications of the actor's places with `status` (pending first
/// filed first; others newest first), with the total.
pub async fn list(
    db: &Db,
    actor: &Actor,
    status: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<ApplicationRow>, i64)> {
    let ranges = own_ranges(actor)?;
    let mut cond = Sql::new(" WHERE status = ");
    cond.arg(status.to_string()).push(" AND ");
    cond.in_ranges("region_code", &ranges);
    let mut tx = db.read().await?;
    let mut count = Sql::new("SELECT COUNT(*) FROM job_applications");
    count.append(&cond);
    let total = tx.int(count).await?;
    let mut q = Sql::new(COLUMNS);
    q.append(&cond);
    q.push(if status == "pending" {
        " ORDER BY created_at, id"
    } else {
        " ORDER BY created_at DESC, id DESC"
    });
    q.page(limit, offset);
    Ok((tx.all(q).await?, total))
}

/// An application decided already (by another user meanwhile).
fn decided() -> AppError {
    AppError::Conflict(ALREADY_DECIDED.into())
}

/// The staff's messages of a refused accept, as shown on their list (fixed
/// texts: the list page shows them by code, never text from an address).
pub const ALREADY_DECIDED: &str = "该申请已由其他工作人员处理，请刷新页面。";
pub const NAME_DIFFERS: &str =
    "该身份证号已登记的农民工姓名与申请填写的姓名不一致，请核实后不予登记，或请本人持身份证到窗口办理。";
pub const ELSEWHERE: &str = "该人员登记的居住地不在您的数据范围内，请由其居住地的就业服务窗口办理。";
pub const SEEKER_EXISTS: &str = "该人员已有求职登记，请在其求职登记中核对修改，本申请可不予登记。";

/// A pending application the actor may decide (its township in the
/// actor's job-service scope).
async fn pending_for(tx: &mut Tx, call: &Call<'_>, id: i64) -> AppResult<(ApplicationRow, Vec<(i64, i64)>)> {
    let ranges = write_ranges(call.actor)?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE id = ").arg(id);
    let row: ApplicationRow = tx.opt(q).await?.ok_or(AppError::NotFound)?;
    if !within(&ranges, row.region_code) {
        return Err(AppError::NotFound);
    }
    if row.status != "pending" {
        return Err(decided());
    }
    Ok((row, ranges))
}

/// Accepts an application: the worker with its ID number (registered now
/// if not yet, at the township of residence, with the phone), whose name
/// must agree, and the seeker with the wishes. Returns the seeker's id.
pub async fn accept(call: &Call<'_>, id: i64) -> AppResult<i64> {
    let mut tx = call.db.write().await?;
    let (row, ranges) = pending_for(&mut tx, call, id).await?;
    let (id_sealed, id_index, phone_sealed): (Vec<u8>, Vec<u8>, Vec<u8>) = tx
        .one(Sql::new("SELECT id_sealed, id_index, phone_sealed FROM job_applications WHERE id = $1").bind(id))
        .await?;
    let open = |field: &str, sealed: &[u8]| -> AppResult<String> {
        String::from_utf8(call.cipher.open(&sealed_context(field, &id_index), sealed)?)
            .map_err(|e| AppError::Internal(e.to_string()))
    };
    let id_number = open("id", &id_sealed)?;
    let on_file: Option<(i64, String)> = tx
        .opt(
            Sql::new("SELECT id, name FROM workers WHERE id_index = $1")
                .bind(call.cipher.blind_index("id_number", &id_number)),
        )
        .await?;
    let worker = match on_file {
        Some((_, name)) if name != row.name => return Err(AppError::Conflict(NAME_DIFFERS.into())),
        Some((worker, _)) => {
            // An application never overwrites a registration on file (its
            // wishes, or a seeker found work): the staff look at it.
            let seeking = tx
                .int(Sql::new("SELECT COUNT(*) FROM job_seekers WHERE worker_id = $1").bind(worker))
                .await?;
            if seeking > 0 {
                return Err(AppError::Conflict(SEEKER_EXISTS.into()));
            }
            worker
        }
        None => {
            let input = WorkerInput {
                name: row.name.clone(),
                id_number,
                phone: open("phone", &phone_sealed)?,
                region: row.region_code.to_string(),
                ..WorkerInput::default()
            };
            workers::create_in(&mut tx, call, &input).await?
        }
    };
    let wishes = row.wishes();
    let get = |k: &str| wishes.get(k).cloned().unwrap_or_default();
    let seeker = match seekers::register_in(&mut tx, call, &ranges, WorkerId(worker), &get, "public").await {
        Err(AppError::NotFound) => return Err(AppError::Conflict(ELSEWHERE.into())),
        other => other?,
    };
    let n = tx
        .exec(
            Sql::new(
                "UPDATE job_applications SET status = 'accepted', seeker_id = $1, decided_at = $2, decided_by = $3 \
                 WHERE id = $4 AND status = 'pending'",
            )
            .bind(seeker)
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(id),
        )
        .await?;
    if n != 1 {
        // Decided meanwhile by someone else: nothing of this accept is kept.
        return Err(decided());
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("job_application.accept", "job_application", id).detail(format!("seeker={seeker}")),
    )
    .await?;
    tx.commit().await?;
    Ok(seeker)
}

/// Refuses an application with the reason the applicant reads.
pub async fn refuse(call: &Call<'_>, id: i64, reason: &str) -> AppResult<()> {
    let reason: String = reason.trim().chars().take(200).collect();
    if reason.is_empty() {
        return Err(AppError::field("reason", "请填写不予登记的原因，申请人查询时可以看到"));
    }
    let mut tx = call.db.write().await?;
    pending_for(&mut tx, call, id).await?;
    let n = tx
        .exec(
            Sql::new(
                "UPDATE job_applications SET status = 'refused', reason = $1, decided_at = $2, decided_by = $3 \
                 WHERE id = $4 AND status = 'pending'",
            )
            .bind(reason)
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(id),
        )
        .await?;
    if n != 1 {
        return Err(decided());
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("job_application.refuse", "job_application", id),
    )
    .await?;
    tx.commit().await
}

/// How long an application is kept (the notice's promise): pending or
/// refused, it is removed with its sealed ID number and phone; an accepted
/// one lives on as the worker's and seeker's registration.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::days(365);

/// Removes the applications filed longer than [`KEPT_FOR`] ago (the
/// server's sweep); returns how many. Audited as one system event.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> AppResult<u64> {
    let mut tx = db.write().await?;
    let n = tx
        .exec(Sql::new("DELETE FROM job_applications WHERE created_at < $1").bind(now - KEPT_FOR))
        .await?;
    if n > 0 {
        audit::record(
            &mut tx,
            now,
            &Who::system(&Origin::default()),
            Event::ok("job_application.purge", "job_application", "").detail(format!("removed={n}")),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n)
}
