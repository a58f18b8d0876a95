//! Referrals (推荐): who was sent to which vacancy, and what came of it
//! (面试, 录用, 未录用, 未到岗). A hire creates the worker's employment
//! record with "经公共就业服务机构介绍 = 是", so the plan's 就近就业 figure
//! moves by itself, marks the seeker as employed and ends the person's
//! unemployment registration.

use super::seekers::{self, Seeker};
use super::vacancies::{self, VacancyRow};
use super::{own_ranges, within, write_ranges};
use crate::Call;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::fields;
use crate::registry::records;
use crate::store::{Db, Sql, Tx, is_unique_violation};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::field::Value;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::jobs::forms::OUTCOME;
use shiminhua_core::jobs::matching::county_of;
use shiminhua_core::jobs::occupation::major_name;
use shiminhua_core::jobs::{ReferralOutcome, SeekerStatus, VacancyStatus};

/// A stored referral with what a list shows of both sides.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReferralRow {
    pub id: i64,
    pub seeker_id: i64,
    pub vacancy_id: i64,
    pub referred_on: NaiveDate,
    pub outcome: String,
    pub outcome_on: Option<NaiveDate>,
    pub note: String,
    pub record_id: Option<i64>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub title: String,
    pub employer_name: String,
    pub vacancy_region: i64,
    pub seeker_region: i64,
}

const COLUMNS: &str = "SELECT f.id, f.seeker_id, f.vacancy_id, f.referred_on, f.outcome, f.outcome_on, f.note, \
     f.record_id, f.created_by, f.updated_at, f.version, v.title, v.employer_name, v.region_code AS vacancy_region, \
     s.region_code AS seeker_region \
     FROM referrals f JOIN vacancies v ON v.id = f.vacancy_id JOIN job_seekers s ON s.id = f.seeker_id";

impl ReferralRow {
    pub fn outcome_label(&self) -> &'static str {
        ReferralOutcome::from_code(&self.outcome).map_or("", |o| o.label_zh())
    }

    pub fn next(&self) -> &'static [ReferralOutcome] {
        ReferralOutcome::from_code(&self.outcome).map_or(&[], |o| o.next_allowed())
    }
}

/// Sends a seeker to a vacancy (of any county). Only the staff of the
/// seeker's own place refer: a referral shows the person to the vacancy's
/// place, so it is theirs to give. The vacancy must be open and the seeker
/// looking for work.
pub async fn refer(call: &Call<'_>, seeker_id: i64, vacancy_id: i64, note: &str) -> AppResult<i64> {
    let ranges = write_ranges(call.actor)?;
    let mut tx = call.db.write().await?;
    let seeker = seekers::row_in(&mut tx, seeker_id).await?;
    let vacancy = vacancies::get_in(&mut tx, vacancy_id).await?;
    if !within(&ranges, seeker.region_code) {
        return Err(AppError::Conflict(
            "求职人员由其居住地的工作人员推荐。请联系该人员所在区县的就业服务窗口。".into(),
        ));
    }
    let today = fields::today(call.now);
    if !vacancy.is_public(today) {
        return Err(AppError::Conflict("该岗位已过期、已招满或已撤回，不能再推荐。".into()));
    }
    if seeker.status != SeekerStatus::Active.code() {
        return Err(AppError::Conflict("该求职人员不在求职中，不能推荐。".into()));
    }
    let note = shiminhua_core::field::tidy(note);
    if note.chars().count() > 200 {
        return Err(AppError::field("note", "说明不超过200个字"));
    }
    let by = call.actor.display_name.clone();
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO referrals (seeker_id, vacancy_id, referred_on, outcome, note, created_at, created_by, \
                 updated_at, updated_by, version) VALUES ($1, $2, $3, 'referred', $4, $5, $6, $5, $6, 1) RETURNING id",
            )
            .bind(seeker_id)
            .bind(vacancy_id)
            .bind(today)
            .bind(note)
            .bind(call.now)
            .bind(by),
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                AppError::Conflict("已向该岗位推荐过此人，请在推荐记录中登记结果。".into())
            } else {
                e
            }
        })?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("referral.create", "referral", id).detail(format!("seeker={seeker_id}; vacancy={vacancy_id}")),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn row_in(tx: &mut Tx, id: i64) -> AppResult<ReferralRow> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE f.id = ").arg(id);
    tx.opt(q).await?.ok_or(AppError::NotFound)
}

/// Records what came of a referral, from the version seen. A hire is
/// recorded by the staff of the vacancy's place (the employment record is
/// theirs): it creates the employment record and marks the seeker employed.
pub async fn set_outcome(
    call: &Call<'_>,
    id: i64,
    version: i64,
    outcome: ReferralOutcome,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<()> {
    let ranges = write_ranges(call.actor)?;
    let mut tx = call.db.write().await?;
    let r = row_in(&mut tx, id).await?;
    if !within(&ranges, r.seeker_region) && !within(&ranges, r.vacancy_region) {
        return Err(AppError::NotFound);
    }
    if r.version != version {
        return Err(AppError::Conflict("该推荐记录已被他人修改，请刷新后再试。".into()));
    }
    let current = ReferralOutcome::from_code(&r.outcome).ok_or_else(|| AppError::Internal("outcome".into()))?;
    if !current.next_allowed().contains(&outcome) {
        return Err(AppError::Conflict(format!(
            "推荐结果已是“{}”，不能改为“{}”。",
            current.label_zh(),
            outcome.label_zh()
        )));
    }
    let places = crate::regions::PlaceBook::load(&mut tx).await?;
    let values = fields::read(&OUTCOME, get, &places, call.now)?;
    let on = match values.get("on") {
        Some(Value::Date(d)) => *d,
        _ => fields::today(call.now),
    };
    if on < r.referred_on {
        return Err(AppError::field("on", "日期不能早于推荐日期"));
    }
    let note = match values.get("note") {
        Some(Value::Text(t)) => t.clone(),
        _ => String::new(),
    };
    let mut record_id = None;
    if outcome == ReferralOutcome::Hired {
        if !within(&ranges, r.vacancy_region) {
            return Err(AppError::Conflict(
                "录用结果由岗位所在地的工作人员登记（就业记录属于岗位所在地）。".into(),
            ));
        }
        if !within(&call.actor.scope.ranges_for(RecordKind::Employment), r.vacancy_region) {
            return Err(AppError::Conflict(
                "登记录用会生成就业记录，您的账号没有岗位所在地就业记录的数据范围，请由人社部门工作人员登记。".into(),
            ));
        }
        let seeker = seekers::row_in(&mut tx, r.seeker_id).await?;
        let vacancy = vacancies::get_in(&mut tx, r.vacancy_id).await?;
        if seeker.status != SeekerStatus::Active.code() {
            return Err(AppError::Conflict("该求职人员已不在求职中，不能再登记录用。".into()));
        }
        let hired_before = tx
            .int(
                Sql::new("SELECT COUNT(*) FROM referrals WHERE vacancy_id = $1 AND outcome = 'hired'").bind(vacancy.id),
            )
            .await?;
        if vacancy.status != VacancyStatus::Open.code() || hired_before >= vacancy.headcount {
            return Err(AppError::Conflict("该岗位已招满或已撤回，不能再登记录用。".into()));
        }
        let wage = match values.get("wage") {
            Some(Value::Money(f)) => f.0,
            _ => vacancy.wage_min_fen,
        };
        let contract = !matches!(values.get("contract"), Some(Value::Flag(false)));
        record_id = Some(hire(&mut tx, call, &seeker, &vacancy, on, wage, contract).await?);
        seekers::set_status_in(&mut tx, call, &seeker, seeker.version, SeekerStatus::Employed).await?;
        // Employed again: the person's unemployment registration ends.
        tx.exec(
            Sql::new(
                "UPDATE job_registrations SET ended_on = $1, updated_at = $2, updated_by = $3, version = version + 1 \
                 WHERE worker_id = $4 AND kind = 'unemployment' AND ended_on IS NULL AND since <= $1",
            )
            .bind(on)
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(seeker.worker_id),
        )
        .await?;
        // The vacancy is filled when every place is taken.
        if hired_before + 1 >= vacancy.headcount {
            tx.exec(
                Sql::new(
                    "UPDATE vacancies SET status = $1, updated_at = $2, updated_by = $3, version = version + 1 \
                     WHERE id = $4",
                )
                .bind(VacancyStatus::Filled.code())
                .bind(call.now)
                .bind(call.actor.display_name.clone())
                .bind(vacancy.id),
            )
            .await?;
        }
    }
    let n = tx
        .exec(
            Sql::new(
                "UPDATE referrals SET outcome = $1, outcome_on = $2, note = $3, record_id = COALESCE($4, record_id), \
                 updated_at = $5, updated_by = $6, version = version + 1 WHERE id = $7 AND version = $8",
            )
            .bind(outcome.code())
            .bind(on)
            .bind(if note.is_empty() { r.note.clone() } else { note })
            .bind(record_id)
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(AppError::Conflict("该推荐记录已被他人修改，请刷新后再试。".into()));
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("referral.outcome", "referral", id).detail(format!(
            "{}→{}{}",
            r.outcome,
            outcome.code(),
            record_id.map(|r| format!("; record={r}")).unwrap_or_default()
        )),
    )
    .await?;
    tx.commit().await
}

/// The employment record of a hire through the service.
async fn hire(
    tx: &mut Tx,
    call: &Call<'_>,
    seeker: &seekers::SeekerRow,
    vacancy: &VacancyRow,
    start: NaiveDate,
    wage_fen: i64,
    contract: bool,
) -> AppResult<i64> {
    // Work in the seeker's own county is 就近就业; elsewhere in the city, 外出务工.
    let form = if county_of(vacancy.region_code) == county_of(seeker.region_code) {
        "就近就业"
    } else {
        "外出务工"
    };
    let wage = fields::form_text(&Value::Money(shiminhua_core::money::Fen(wage_fen)));
    let major = major_name(u8::try_from(vacancy.major).unwrap_or(0)).to_string();
    let get = |k: &str| -> String {
        match k {
            "credit_code" => vacancy.employer_credit_code.clone(),
            "employer" => vacancy.employer_name.clone(),
            "industry" => vacancy.industry.clone(),
            "form" => form.to_string(),
            "place" => vacancy.region_code.to_string(),
            "start" => start.to_string(),
            "wage" => wage.clone(),
            "occupation" => major.clone(),
            "contract" => if contract { "是" } else { "否" }.to_string(),
            "public_service" => "是".to_string(),
            _ => String::new(),
        }
    };
    records::create_in(
        tx,
        call,
        WorkerId(seeker.worker_id),
        RecordKind::Employment,
        &get,
        "referral",
    )
    .await
}

/// A seeker's referrals (the seeker page), newest first.
pub async fn of_seeker(db: &Db, actor: &Actor, seeker: &Seeker) -> AppResult<Vec<ReferralRow>> {
    own_ranges(actor)?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE f.seeker_id = ")
        .arg(seeker.row.id)
        .push(" ORDER BY f.referred_on DESC, f.id DESC");
    db.read().await?.all(q).await
}

/// A vacancy's referrals (the vacancy page), newest first.
pub async fn of_vacancy(db: &Db, actor: &Actor, vacancy_id: i64) -> AppResult<Vec<ReferralRow>> {
    own_ranges(actor)?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE f.vacancy_id = ")
        .arg(vacancy_id)
        .push(" ORDER BY f.referred_on DESC, f.id DESC");
    db.read().await?.all(q).await
}

/// One referral, for its outcome form.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<ReferralRow> {
    let ranges = own_ranges(actor)?;
    let r = row_in(&mut db.read().await?, id).await?;
    if within(&ranges, r.seeker_region) || within(&ranges, r.vacancy_region) {
        Ok(r)
    } else {
        Err(AppError::NotFound)
    }
}
