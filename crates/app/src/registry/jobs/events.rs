//! Recruitment events (招聘活动): 春风行动, "2+N", 接您回家, 工会送岗位,
//! 就业援助月, 民营企业招聘月 and others — who organised them, when and where,
//! the vacancies offered there and, once held, visitors, 达成意向 and hires;
//! a county-by-series view of a year for the office and the 调度 reports,
//! and the coming events on the public board.

use super::vacancies::{self, VacancyRow};
use super::{own_ranges, within, write_ranges};
use crate::Call;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::fields;
use crate::history::keep_history;
use crate::regions::PlaceBook;
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::Actor;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::field::{Value, Values};
use shiminhua_core::jobs::EventSeries;
use shiminhua_core::jobs::forms::EVENT;
use std::collections::HashMap;

/// A stored event.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub name: String,
    pub series: String,
    pub organiser: String,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub venue: String,
    pub online: bool,
    pub held_on: NaiveDate,
    pub visitors: Option<i64>,
    pub intents: Option<i64>,
    pub hires: Option<i64>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub version: i64,
}

const COLUMNS: &str = "SELECT e.id, e.name, e.series, e.organiser, e.county_code, e.region_code, r.name AS region_name, \
     e.venue, e.online, e.held_on, e.visitors, e.intents, e.hires, e.updated_at, e.updated_by, e.version \
     FROM job_events e JOIN regions r ON r.code = e.region_code";

impl EventRow {
    pub fn series_label(&self) -> &'static str {
        EventSeries::from_code(&self.series).map_or("", |s| s.label_zh())
    }

    /// The event as typed into its form.
    pub fn form_values(&self, places: &PlaceBook) -> HashMap<String, String> {
        let n = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        HashMap::from([
            ("name".to_string(), self.name.clone()),
            ("series".to_string(), self.series_label().to_string()),
            ("organiser".to_string(), self.organiser.clone()),
            ("held_on".to_string(), self.held_on.to_string()),
            ("place".to_string(), places.full_name(self.region_code)),
            ("venue".to_string(), self.venue.clone()),
            ("online".to_string(), if self.online { "是" } else { "否" }.to_string()),
            ("visitors".to_string(), n(self.visitors)),
            ("intents".to_string(), n(self.intents)),
            ("hires".to_string(), n(self.hires)),
        ])
    }
}

struct Valid {
    values: Values,
    series: EventSeries,
    region: DivisionCode,
    county: DivisionCode,
}

fn text(values: &Values, key: &str) -> String {
    match values.get(key) {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

fn count(values: &Values, key: &str) -> Option<i64> {
    match values.get(key) {
        Some(Value::Count(n)) => Some(*n),
        _ => None,
    }
}

async fn validate(
    tx: &mut Tx,
    call: &Call<'_>,
    ranges: &[(i64, i64)],
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<Valid> {
    let places = PlaceBook::load(tx).await?;
    let values = fields::read(&EVENT, get, &places, call.now)?;
    let series = EventSeries::ALL
        .iter()
        .copied()
        .find(|s| s.label_zh() == text(&values, "series"))
        .ok_or_else(|| AppError::field("series", "请选择活动系列"))?;
    let Some(Value::Place(region)) = values.get("place").cloned() else {
        return Err(AppError::Internal("validated event without a place".into()));
    };
    let county = region
        .county()
        .ok_or_else(|| AppError::field("place", "举办地应为本市的乡镇（街道）"))?;
    if !within(ranges, region.as_i64()) {
        return Err(AppError::field("place", "该举办地不在您的数据范围内"));
    }
    Ok(Valid {
        values,
        series,
        region,
        county,
    })
}

fn bind_values(q: Sql, v: &Valid) -> Sql {
    let vals = &v.values;
    let held = match vals.get("held_on") {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    };
    q.bind(text(vals, "name"))
        .bind(v.series.code())
        .bind(text(vals, "organiser"))
        .bind(v.county.as_i64())
        .bind(v.region.as_i64())
        .bind(text(vals, "venue"))
        .bind(matches!(vals.get("online"), Some(Value::Flag(true))))
        .bind(held)
        .bind(count(vals, "visitors"))
        .bind(count(vals, "intents"))
        .bind(count(vals, "hires"))
}

/// Whether the validated form says what the event on file says.
fn same(row: &EventRow, v: &Valid) -> bool {
    let vals = &v.values;
    row.name == text(vals, "name")
        && row.series == v.series.code()
        && row.organiser == text(vals, "organiser")
        && row.region_code == v.region.as_i64()
        && row.venue == text(vals, "venue")
        && row.online == matches!(vals.get("online"), Some(Value::Flag(true)))
        && matches!(vals.get("held_on"), Some(Value::Date(d)) if *d == row.held_on)
        && row.visitors == count(vals, "visitors")
        && row.intents == count(vals, "intents")
        && row.hires == count(vals, "hires")
}

fn stale() -> AppError {
    AppError::Conflict("保存失败：该招聘活动已被他人修改。请刷新页面查看最新内容后再修改。".into())
}

/// Adds an event; returns its id.
pub async fn create(call: &Call<'_>, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<i64> {
    let ranges = write_ranges(call.actor)?;
    let mut tx = call.db.write().await?;
    let v = validate(&mut tx, call, &ranges, get).await?;
    let by = call.actor.display_name.clone();
    let q = Sql::new(
        "INSERT INTO job_events (name, series, organiser, county_code, region_code, venue, online, held_on, visitors, \
         intents, hires, created_at, created_by, updated_at, updated_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12, $13, $12, $13, 1) RETURNING id",
    );
    let (id,): (i64,) = tx.one(bind_values(q, &v).bind(call.now).bind(by)).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("job_event.create", "job_event", id).detail(format!("series={}", v.series.code())),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn row_in(tx: &mut Tx, id: i64) -> AppResult<EventRow> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE e.id = ").arg(id);
    tx.opt(q).await?.ok_or(AppError::NotFound)
}

/// An event, for any staff account with job-service scope.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<EventRow> {
    own_ranges(actor)?;
    row_in(&mut db.read().await?, id).await
}

async fn for_write(tx: &mut Tx, call: &Call<'_>, id: i64, version: i64) -> AppResult<(EventRow, Vec<(i64, i64)>)> {
    let ranges = write_ranges(call.actor)?;
    let row = row_in(tx, id).await?;
    if !within(&ranges, row.region_code) {
        return Err(AppError::Forbidden);
    }
    if row.version != version {
        return Err(stale());
    }
    Ok((row, ranges))
}

/// Changes an event (its figures once held) from the version seen; the
/// earlier version is kept in history.
pub async fn update(call: &Call<'_>, id: i64, version: i64, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<()> {
    let mut tx = call.db.write().await?;
    let (row, ranges) = for_write(&mut tx, call, id, version).await?;
    let v = validate(&mut tx, call, &ranges, get).await?;
    if same(&row, &v) {
        // A form posted back unchanged writes nothing.
        return Ok(());
    }
    let places = PlaceBook::load(&mut tx).await?;
    let before = serde_json::to_string(&row.form_values(&places)).map_err(|e| AppError::Internal(e.to_string()))?;
    keep_history(&mut tx, call, "job_event", id, 0, row.version, "update", &before).await?;
    let q = Sql::new(
        "UPDATE job_events SET name = $1, series = $2, organiser = $3, county_code = $4, region_code = $5, venue = $6, \
         online = $7, held_on = $8, visitors = $9, intents = $10, hires = $11, updated_at = $12, updated_by = $13, \
         version = version + 1 WHERE id = $14 AND version = $15",
    );
    let n = tx
        .exec(
            bind_values(q, &v)
                .bind(call.now)
                .bind(call.actor.display_name.clone())
                .bind(id)
                .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(stale());
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("job_event.update", "job_event", id),
    )
    .await?;
    tx.commit().await
}

/// Sets the vacancies offered at an event (each must exist; any county's
/// may take part, as at a 接您回家 fair).
pub async fn set_vacancies(call: &Call<'_>, id: i64, version: i64, vacancy_ids: &[i64]) -> AppResult<()> {
    let mut tx = call.db.write().await?;
    for_write(&mut tx, call, id, version).await?;
    let mut ids = vacancy_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 500 {
        return Err(AppError::BadRequest("一次招聘活动最多关联500个岗位".into()));
    }
    if !ids.is_empty() {
        let mut q = Sql::new("SELECT COUNT(*) FROM vacancies WHERE ");
        q.in_list("id", ids.iter().copied());
        if tx.int(q).await? != ids.len() as i64 {
            return Err(AppError::BadRequest("所选岗位有的不存在".into()));
        }
    }
    tx.exec(Sql::new("DELETE FROM job_event_vacancies WHERE event_id = $1").bind(id))
        .await?;
    for v in &ids {
        tx.exec(
            Sql::new("INSERT INTO job_event_vacancies (event_id, vacancy_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*v),
        )
        .await?;
    }
    tx.exec(
        Sql::new("UPDATE job_events SET updated_at = $1, updated_by = $2, version = version + 1 WHERE id = $3")
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(id),
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("job_event.vacancies", "job_event", id).detail(format!("vacancies={}", ids.len())),
    )
    .await?;
    tx.commit().await
}

/// The vacancies offered at an event, by employer.
pub async fn vacancies_of(db: &Db, actor: &Actor, id: i64) -> AppResult<Vec<VacancyRow>> {
    own_ranges(actor)?;
    let mut q = Sql::new(vacancies::COLUMNS);
    q.push(" WHERE v.id IN (SELECT vacancy_id FROM job_event_vacancies WHERE event_id = ")
        .arg(id)
        .push(") ORDER BY v.employer_name, v.id");
    db.read().await?.all(q).await
}

/// Filters of the event list.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub year: Option<i32>,
    pub region: Option<DivisionCode>,
    pub series: Option<EventSeries>,
}

fn conditions(f: &EventFilter) -> Sql {
    let mut cond = Sql::new("");
    if let Some(y) = f.year
        && let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(y, 1, 1), NaiveDate::from_ymd_opt(y, 12, 31))
    {
        cond.push(" AND e.held_on >= ")
            .arg(from)
            .push(" AND e.held_on <= ")
            .arg(to);
    }
    if let Some(r) = f.region {
        cond.push(" AND ");
        cond.in_ranges("e.region_code", &[r.subtree_range()]);
    }
    if let Some(s) = f.series {
        cond.push(" AND e.series = ").arg(s.code());
    }
    cond
}

/// Events of the whole city, newest first, with the total.
pub async fn list(db: &Db, actor: &Actor, f: &EventFilter, limit: i64, offset: i64) -> AppResult<(Vec<EventRow>, i64)> {
    own_ranges(actor)?;
    let mut tx = db.read().await?;
    let cond = conditions(f);
    let mut count = Sql::new("SELECT COUNT(*) FROM job_events e WHERE 1 = 1");
    count.append(&cond);
    let total = tx.int(count).await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE 1 = 1")
        .append(&cond)
        .push(" ORDER BY e.held_on DESC, e.id DESC")
        .page(limit, offset);
    Ok((tx.all(q).await?, total))
}

/// One line of the county-by-series view.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SeriesLine {
    pub county_code: i64,
    pub series: String,
    pub events: i64,
    pub visitors: i64,
    pub intents: i64,
    pub hires: i64,
}

/// The events of a year by county and series: how many, and the sums of
/// their figures (the same events the list shows for that year).
pub async fn by_county_series(db: &Db, actor: &Actor, year: i32) -> AppResult<Vec<SeriesLine>> {
    own_ranges(actor)?;
    let f = EventFilter {
        year: Some(year),
        ..EventFilter::default()
    };
    let mut q = Sql::new(
        "SELECT e.county_code, e.series, COUNT(*) AS events, CAST(COALESCE(SUM(e.visitors), 0) AS BIGINT) AS visitors, \
         CAST(COALESCE(SUM(e.intents), 0) AS BIGINT) AS intents, CAST(COALESCE(SUM(e.hires), 0) AS BIGINT) AS hires \
         FROM job_events e WHERE 1 = 1",
    );
    q.append(&conditions(&f))
        .push(" GROUP BY e.county_code, e.series ORDER BY e.county_code, e.series");
    db.read().await?.all(q).await
}

/// The coming events (from `today`), soonest first, for the public board.
pub async fn coming(db: &Db, today: NaiveDate, limit: i64) -> AppResult<Vec<EventRow>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE e.held_on >= ")
        .arg(today)
        .push(" ORDER BY e.held_on, e.id")
        .page(limit, 0);
    db.read().await?.all(q).await
}
