//! 就业失业登记: employment registrations — the filing of a hire, due within
//! 30 days of it (later ones are flagged); the job is written as the worker's
//! employment record (created or updated by its natural key) — and
//! unemployment registrations at the place of residence (常住地), open until
//! the person is employed again (an employment registration ends them, and
//! marks a job seeker employed). Each has a registration number.

use super::{own_ranges, within, write_ranges};
use crate::Call;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::fields;
use crate::regions::PlaceBook;
use crate::registry::records;
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::field::Value;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::jobs::forms::{EMPLOYMENT_REGISTRATION, UNEMPLOYMENT};
use shiminhua_core::jobs::{EMPLOYMENT_REGISTRATION_DAYS, RegistrationKind, UnemploymentReason, registration_late};
use shiminhua_core::person::mask_name;

/// A stored registration with the worker's name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RegistrationRow {
    pub id: i64,
    pub number: Option<String>,
    pub kind: String,
    pub worker_id: i64,
    pub name: String,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub since: NaiveDate,
    pub registered_on: NaiveDate,
    pub late: bool,
    pub reason: String,
    pub note: String,
    pub ended_on: Option<NaiveDate>,
    pub record_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub version: i64,
}

const COLUMNS: &str = "SELECT g.id, g.number, g.kind, g.worker_id, w.name, g.county_code, g.region_code, \
     r.name AS region_name, g.since, g.registered_on, g.late, g.reason, g.note, g.ended_on, g.record_id, \
     g.updated_at, g.updated_by, g.version \
     FROM job_registrations g JOIN workers w ON w.id = g.worker_id JOIN regions r ON r.code = g.region_code";

impl RegistrationRow {
    pub fn kind_label(&self) -> &'static str {
        RegistrationKind::from_code(&self.kind).map_or("", |k| k.label_zh())
    }

    pub fn reason_label(&self) -> &'static str {
        UnemploymentReason::from_code(&self.reason).map_or("", |r| r.label_zh())
    }
}

fn date(values: &shiminhua_core::field::Values, key: &str) -> Option<NaiveDate> {
    match values.get(key) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

/// The worker's place, refused outside the writer's scope.
async fn worker_place(tx: &mut Tx, ranges: &[(i64, i64)], worker_id: WorkerId) -> AppResult<(i64, i64)> {
    let w: Option<(i64, i64)> = tx
        .opt(Sql::new("SELECT region_code, county_code FROM workers WHERE id = $1").bind(worker_id))
        .await?;
    match w {
        Some((region, county)) if within(ranges, region) => Ok((region, county)),
        _ => Err(AppError::NotFound),
    }
}

/// Numbers a new registration: county code, year, id (34102120260000123).
async fn number(tx: &mut Tx, id: i64, county: i64, on: NaiveDate) -> AppResult<()> {
    let county = DivisionCode::from_i64(county).map_or_else(|_| county.to_string(), |c| c.to_string());
    tx.exec(
        Sql::new("UPDATE job_registrations SET number = $1 WHERE id = $2")
            .bind(format!("{county}{}{id:07}", on.format("%Y")))
            .bind(id),
    )
    .await?;
    Ok(())
}

/// Registers a hire: the employment record (its fields as `get` gives them,
/// created or updated by its natural key) and the registration, flagged
/// late after the days allowed; the worker's open unemployment
/// registrations end on the day the job starts. Returns the registration id.
pub async fn register_employment(
    call: &Call<'_>,
    worker_id: WorkerId,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<i64> {
    let ranges = write_ranges(call.actor)?;
    if call.actor.scope.ranges_for(RecordKind::Employment).is_empty() {
        return Err(AppError::Conflict(
            "就业登记会生成就业记录，您的账号没有就业记录的数据范围，请由人社部门工作人员办理。".into(),
        ));
    }
    let mut tx = call.db.write().await?;
    let (region, county) = worker_place(&mut tx, &ranges, worker_id).await?;
    let places = PlaceBook::load(&mut tx).await?;
    let values = fields::read(&EMPLOYMENT_REGISTRATION, get, &places, call.now)?;
    let registered = date(&values, "registered_on").unwrap_or_else(|| fields::today(call.now));
    let record = records::put_in(&mut tx, call, worker_id, RecordKind::Employment, get, "registration").await?;
    let filed = tx
        .int(Sql::new("SELECT COUNT(*) FROM job_registrations WHERE record_id = $1").bind(record.id()))
        .await?;
    if filed > 0 {
        return Err(AppError::Conflict(
            "这份工作（用人单位和就业开始日期相同）已办理过就业登记，不再重复登记。".into(),
        ));
    }
    let (start,): (NaiveDate,) = tx
        .one(Sql::new("SELECT period_date FROM records WHERE id = $1").bind(record.id()))
        .await?;
    if registered < start {
        return Err(AppError::field("registered_on", "登记日期不能早于就业开始日期"));
    }
    let late = registration_late(start, registered, EMPLOYMENT_REGISTRATION_DAYS);
    let by = call.actor.display_name.clone();
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO job_registrations (kind, worker_id, county_code, region_code, since, registered_on, late, \
                 record_id, created_at, created_by, updated_at, updated_by, version) VALUES ('employment', $1, $2, $3, \
                 $4, $5, $6, $7, $8, $9, $8, $9, 1) RETURNING id",
            )
            .bind(worker_id)
            .bind(county)
            .bind(region)
            .bind(start)
            .bind(registered)
            .bind(late)
            .bind(record.id())
            .bind(call.now)
            .bind(by.clone()),
        )
        .await?;
    number(&mut tx, id, county, registered).await?;
    let ended = tx
        .exec(
            Sql::new(
                "UPDATE job_registrations SET ended_on = $1, updated_at = $2, updated_by = $3, version = version + 1 \
                 WHERE worker_id = $4 AND kind = 'unemployment' AND ended_on IS NULL AND since <= $1",
            )
            .bind(start)
            .bind(call.now)
            .bind(by)
            .bind(worker_id),
        )
        .await?;
    // A job seeker found work.
    tx.exec(
        Sql::new(
            "UPDATE job_seekers SET status = 'employed', updated_at = $1, updated_by = $2, version = version + 1 \
             WHERE worker_id = $3 AND status = 'active'",
        )
        .bind(call.now)
        .bind(call.actor.display_name.clone())
        .bind(worker_id),
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("registration.employment", "registration", id).detail(format!(
            "worker={}; record={}; late={late}; unemployment_ended={ended}",
            worker_id.0,
            record.id()
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Registers a worker as unemployed at the place of residence; refused
/// while an unemployment registration of theirs is open.
pub async fn register_unemployment(
    call: &Call<'_>,
    worker_id: WorkerId,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<i64> {
    let ranges = write_ranges(call.actor)?;
    let mut tx = call.db.write().await?;
    let (region, county) = worker_place(&mut tx, &ranges, worker_id).await?;
    let places = PlaceBook::load(&mut tx).await?;
    let values = fields::read(&UNEMPLOYMENT, get, &places, call.now)?;
    let (Some(since), Some(registered)) = (date(&values, "since"), date(&values, "registered_on")) else {
        return Err(AppError::Internal("validated registration without dates".into()));
    };
    if registered < since {
        return Err(AppError::field("registered_on", "登记日期不能早于失业日期"));
    }
    let reason = match values.get("reason") {
        Some(Value::Text(t)) => UnemploymentReason::ALL.iter().copied().find(|r| r.label_zh() == t),
        _ => None,
    }
    .ok_or_else(|| AppError::field("reason", "请选择失业原因"))?;
    let open = tx
        .int(
            Sql::new(
                "SELECT COUNT(*) FROM job_registrations WHERE worker_id = $1 AND kind = 'unemployment' AND ended_on IS NULL",
            )
            .bind(worker_id),
        )
        .await?;
    if open > 0 {
        return Err(AppError::Conflict("该人员已有未结束的失业登记。".into()));
    }
    let note = match values.get("note") {
        Some(Value::Text(t)) => t.clone(),
        _ => String::new(),
    };
    let by = call.actor.display_name.clone();
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO job_registrations (kind, worker_id, county_code, region_code, since, registered_on, reason, \
                 note, created_at, created_by, updated_at, updated_by, version) VALUES ('unemployment', $1, $2, $3, $4, \
                 $5, $6, $7, $8, $9, $8, $9, 1) RETURNING id",
            )
            .bind(worker_id)
            .bind(county)
            .bind(region)
            .bind(since)
            .bind(registered)
            .bind(reason.code())
            .bind(note)
            .bind(call.now)
            .bind(by),
        )
        .await?;
    number(&mut tx, id, county, registered).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("registration.unemployment", "registration", id).detail(format!(
            "worker={}; reason={}",
            worker_id.0,
            reason.code()
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Filters of the registration list.
#[derive(Clone, Debug, Default)]
pub struct RegistrationFilter {
    pub kind: Option<RegistrationKind>,
    /// A county or township.
    pub region: Option<DivisionCode>,
    /// Unemployment registrations still open only.
    pub open: bool,
    /// Employment registrations filed late only.
    pub late: bool,
}

/// A registration as an account may see it (the name masked outside the
/// account's places).
#[derive(Clone, Debug)]
pub struct Registration {
    pub row: RegistrationRow,
    pub open: bool,
}

impl Registration {
    pub fn shown_name(&self) -> String {
        if self.open {
            self.row.name.clone()
        } else {
            mask_name(&self.row.name)
        }
    }
}

/// Registrations in the actor's job-service scope, the longest waiting
/// first for open unemployment, else newest first; with the total.
pub async fn list(
    db: &Db,
    actor: &Actor,
    f: &RegistrationFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Registration>, i64)> {
    let ranges = own_ranges(actor)?;
    let mut tx = db.read().await?;
    let mut cond = Sql::new(" AND ");
    cond.in_ranges("g.region_code", &ranges);
    if let Some(k) = f.kind {
        cond.push(" AND g.kind = ").arg(k.code());
    }
    if let Some(r) = f.region {
        cond.push(" AND ");
        cond.in_ranges("g.region_code", &[r.subtree_range()]);
    }
    if f.open {
        cond.push(" AND g.kind = 'unemployment' AND g.ended_on IS NULL");
    }
    if f.late {
        cond.push(" AND g.kind = 'employment' AND g.late = ").arg(true);
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM job_registrations g WHERE 1 = 1");
    count.append(&cond);
    let total = tx.int(count).await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE 1 = 1").append(&cond);
    q.push(if f.open {
        " ORDER BY g.since, g.id"
    } else {
        " ORDER BY g.registered_on DESC, g.id DESC"
    });
    q.page(limit, offset);
    let rows: Vec<RegistrationRow> = tx.all(q).await?;
    let pii = actor.can(Permission::ReadPii);
    Ok((
        rows.into_iter().map(|row| Registration { open: pii, row }).collect(),
        total,
    ))
}

/// The registered unemployed still waiting, by township: (township,
/// people, the longest wait in days on `today`).
pub async fn waiting_by_township(db: &Db, actor: &Actor, today: NaiveDate) -> AppResult<Vec<(i64, i64, i64)>> {
    let ranges = own_ranges(actor)?;
    let mut q = Sql::new(
        "SELECT region_code, COUNT(*), MIN(since) FROM job_registrations WHERE kind = 'unemployment' AND ended_on IS NULL AND ",
    );
    q.in_ranges("region_code", &ranges);
    q.push(" GROUP BY region_code ORDER BY region_code");
    let rows: Vec<(i64, i64, NaiveDate)> = db.read().await?.all(q).await?;
    Ok(rows
        .into_iter()
        .map(|(r, n, since)| (r, n, shiminhua_core::jobs::waited_days(since, today)))
        .collect())
}

/// Ends an open unemployment registration (employed again elsewhere,
/// moved away) on a day, from the version seen.
pub async fn end_unemployment(call: &Call<'_>, id: i64, version: i64, on: NaiveDate) -> AppResult<()> {
    let ranges = write_ranges(call.actor)?;
    let mut tx = call.db.write().await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE g.id = ").arg(id);
    let row: RegistrationRow = tx.opt(q).await?.ok_or(AppError::NotFound)?;
    if !within(&ranges, row.region_code) {
        return Err(AppError::NotFound);
    }
    if row.kind != RegistrationKind::Unemployment.code() || row.ended_on.is_some() {
        return Err(AppError::Conflict("该登记不是未结束的失业登记。".into()));
    }
    if on < row.since || on > fields::today(call.now) {
        return Err(AppError::field("on", "结束日期应在失业日期和今天之间"));
    }
    let n = tx
        .exec(
            Sql::new(
                "UPDATE job_registrations SET ended_on = $1, updated_at = $2, updated_by = $3, version = version + 1 \
                 WHERE id = $4 AND version = $5",
            )
            .bind(on)
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(AppError::Conflict("该登记已被他人修改，请刷新后再试。".into()));
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("registration.end", "registration", id).detail(format!("ended_on={on}")),
    )
    .await?;
    tx.commit().await
}
