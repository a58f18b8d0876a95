//! The registers of the public employment service as a count reads them
//! (`[target.count] service = …`): each row of 求职登记, 推荐, 招聘活动 or
//! 就业失业登记 under the regions asked for, with the fields
//! `shiminhua_core::jobs::counts` names. The plan group reads these tables
//! itself, as it reads the facilities and the cases; the registers are
//! written by `registry::jobs`.
//!
//! Places: a seeker at the worker's current township and a referral at the
//! seeker's (the place that refers; both follow the worker's moves, as
//! `job_seekers` does), a registration at the township it was made in, an
//! event at its own.

use crate::error::AppResult;
use crate::store::{Sql, Tx};
use chrono::NaiveDate;
use shiminhua_core::coded::Labelled;
use shiminhua_core::field::{Value, Values};
use shiminhua_core::jobs::counts::{ServiceRegister, seeker_source_label};
use shiminhua_core::jobs::{EventSeries, ReferralOutcome, RegistrationKind, SeekerStatus, UnemploymentReason};

/// The label of a stored code, if it is one.
fn label<T: Labelled>(code: &str) -> Option<Value> {
    T::from_code(code).map(|x| Value::Text(x.label_zh().to_string()))
}

fn put(v: &mut Values, key: &'static str, value: Option<Value>) {
    if let Some(value) = value {
        v.insert(key, value);
    }
}

#[derive(sqlx::FromRow)]
struct SeekerRow {
    id: i64,
    region_code: i64,
    county_code: i64,
    registered_on: NaiveDate,
    status: String,
    source: String,
}

#[derive(sqlx::FromRow)]
struct ReferralRow {
    id: i64,
    region_code: i64,
    county_code: i64,
    referred_on: NaiveDate,
    outcome: String,
    outcome_on: Option<NaiveDate>,
    vacancy_county: i64,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    region_code: i64,
    county_code: i64,
    held_on: NaiveDate,
    series: String,
    online: bool,
    visitors: Option<i64>,
    intents: Option<i64>,
    hires: Option<i64>,
    vacancies: i64,
    positions: i64,
}

#[derive(sqlx::FromRow)]
struct RegistrationRow {
    id: i64,
    region_code: i64,
    county_code: i64,
    kind: String,
    since: NaiveDate,
    registered_on: NaiveDate,
    late: bool,
    reason: String,
    ended_on: Option<NaiveDate>,
}

/// An entry of a register: id, region and county codes, its fields.
pub(crate) type Entry = (i64, i64, i64, Values);

/// The rows of `register` whose place is under one of `ranges`, by place
/// then id.
pub(crate) async fn load(tx: &mut Tx, register: ServiceRegister, ranges: &[(i64, i64)]) -> AppResult<Vec<Entry>> {
    let (select, place) = match register {
        ServiceRegister::Seekers => (
            "SELECT id, region_code, county_code, registered_on, status, source FROM job_seekers WHERE ",
            "region_code",
        ),
        ServiceRegister::Referrals => (
            "SELECT r.id, s.region_code, s.county_code, r.referred_on, r.outcome, r.outcome_on, \
             v.county_code AS vacancy_county FROM referrals r JOIN job_seekers s ON s.id = r.seeker_id \
             JOIN vacancies v ON v.id = r.vacancy_id WHERE ",
            "s.region_code",
        ),
        ServiceRegister::Events => (
            "SELECT e.id, e.region_code, e.county_code, e.held_on, e.series, e.online, e.visitors, e.intents, \
             e.hires, (SELECT COUNT(*) FROM job_event_vacancies ev WHERE ev.event_id = e.id) AS vacancies, \
             (SELECT CAST(COALESCE(SUM(v.headcount), 0) AS BIGINT) FROM job_event_vacancies ev \
             JOIN vacancies v ON v.id = ev.vacancy_id WHERE ev.event_id = e.id) AS positions \
             FROM job_events e WHERE ",
            "e.region_code",
        ),
        ServiceRegister::Registrations => (
            "SELECT id, region_code, county_code, kind, since, registered_on, late, reason, ended_on \
             FROM job_registrations WHERE ",
            "region_code",
        ),
    };
    let mut q = Sql::new(select);
    q.in_ranges(place, ranges);
    q.push(" ORDER BY ").push(place).push(", 1");
    Ok(match register {
        ServiceRegister::Seekers => {
            let rows: Vec<SeekerRow> = tx.all(q).await?;
            rows.into_iter()
                .map(|r| {
                    let mut v = Values::new();
                    v.insert("registered", Value::Date(r.registered_on));
                    put(&mut v, "status", label::<SeekerStatus>(&r.status));
                    put(
                        &mut v,
                        "source",
                        seeker_source_label(&r.source).map(|s| Value::Text(s.into())),
                    );
                    (r.id, r.region_code, r.county_code, v)
                })
                .collect()
        }
        ServiceRegister::Referrals => {
            let rows: Vec<ReferralRow> = tx.all(q).await?;
            rows.into_iter()
                .map(|r| {
                    let mut v = Values::new();
                    v.insert("referred", Value::Date(r.referred_on));
                    put(&mut v, "outcome", label::<ReferralOutcome>(&r.outcome));
                    put(&mut v, "outcome_on", r.outcome_on.map(Value::Date));
                    v.insert("across", Value::Flag(r.vacancy_county != r.county_code));
                    (r.id, r.region_code, r.county_code, v)
                })
                .collect()
        }
        ServiceRegister::Events => {
            let rows: Vec<EventRow> = tx.all(q).await?;
            rows.into_iter()
                .map(|r| {
                    let mut v = Values::new();
                    v.insert("held", Value::Date(r.held_on));
                    put(&mut v, "series", label::<EventSeries>(&r.series));
                    v.insert("online", Value::Flag(r.online));
                    put(&mut v, "visitors", r.visitors.map(Value::Count));
                    put(&mut v, "intents", r.intents.map(Value::Count));
                    put(&mut v, "hires", r.hires.map(Value::Count));
                    v.insert("vacancies", Value::Count(r.vacancies));
                    v.insert("positions", Value::Count(r.positions));
                    (r.id, r.region_code, r.county_code, v)
                })
                .collect()
        }
        ServiceRegister::Registrations => {
            let rows: Vec<RegistrationRow> = tx.all(q).await?;
            rows.into_iter()
                .map(|r| {
                    let mut v = Values::new();
                    put(&mut v, "kind", label::<RegistrationKind>(&r.kind));
                    v.insert("since", Value::Date(r.since));
                    v.insert("registered", Value::Date(r.registered_on));
                    v.insert("late", Value::Flag(r.late));
                    put(&mut v, "reason", label::<UnemploymentReason>(&r.reason));
                    put(&mut v, "ended", r.ended_on.map(Value::Date));
                    (r.id, r.region_code, r.county_code, v)
                })
                .collect()
        }
    })
}
