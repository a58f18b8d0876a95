//! Job seekers (求职登记): a registered worker's wishes — occupations,
//! places, the lowest wage accepted, when they can start, skills.

use super::occupations::OccupationBook;
use super::{own_ranges, split_list, within, write_ranges};
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::fields;
use crate::history::keep_history;
use crate::regions::PlaceBook;
use crate::store::{Arg, Db, Sql, Tx};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::field::{Value, Values};
use shiminhua_core::ids::WorkerId;
use shiminhua_core::jobs::SeekerStatus;
use shiminhua_core::jobs::forms::SEEKER;
use shiminhua_core::jobs::matching::reach;
use shiminhua_core::jobs::occupation::OccupationCode;
use shiminhua_core::money::Fen;
use shiminhua_core::person::mask_name;
use std::collections::{HashMap, HashSet};

/// At most this many occupations a seeker.
pub const MAX_OCCUPATIONS: usize = 5;

/// A stored seeker with the worker's facts that may be shown.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SeekerRow {
    pub id: i64,
    pub worker_id: i64,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub name: String,
    pub sex: String,
    pub birth_year: i32,
    pub id_masked: String,
    pub places: String,
    pub min_wage_fen: Option<i64>,
    pub available_from: Option<NaiveDate>,
    pub skills: String,
    pub status: String,
    pub source: String,
    pub registered_on: NaiveDate,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub version: i64,
}

const COLUMNS: &str = "SELECT s.id, s.worker_id, s.county_code, s.region_code, r.name AS region_name, w.name, w.sex, \
     w.birth_year, w.id_masked, s.places, s.min_wage_fen, s.available_from, s.skills, s.status, s.source, \
     s.registered_on, s.updated_at, s.updated_by, s.version \
     FROM job_seekers s JOIN workers w ON w.id = s.worker_id JOIN regions r ON r.code = s.region_code";

/// A seeker as one account may see it.
#[derive(Clone, Debug)]
pub struct Seeker {
    pub row: SeekerRow,
    /// The wanted occupations' codes.
    pub occupations: Vec<String>,
    /// Whether the account sees the person (name, ID number, profile):
    /// the seeker's own place is in its scope, or a vacancy of its scope
    /// received the seeker by referral.
    pub open: bool,
    /// Whether the seeker's place is in the account's job-service scope
    /// (its staff register, change and refer the seeker).
    pub own: bool,
}

impl Seeker {
    /// The name, masked (张*) for an account that does not see the person.
    pub fn shown_name(&self) -> String {
        if self.open {
            self.row.name.clone()
        } else {
            mask_name(&self.row.name)
        }
    }

    pub fn status_label(&self) -> &'static str {
        SeekerStatus::from_code(&self.row.status).map_or("", |s| s.label_zh())
    }

    /// The wanted places as region codes.
    pub fn place_codes(&self) -> Vec<i64> {
        self.row
            .places
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect()
    }

    pub fn wage_label(&self) -> String {
        self.row.min_wage_fen.map_or_else(
            || "不限".to_string(),
            |f| format!("{} 元/月以上", super::vacancies::yuan(f)),
        )
    }

    /// The form's values (for editing).
    pub fn form_values(&self, places: &PlaceBook, book: &OccupationBook) -> HashMap<String, String> {
        HashMap::from([
            (
                "occupations".to_string(),
                self.occupations
                    .iter()
                    .map(|c| book.label(c))
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
            (
                "places".to_string(),
                self.place_codes()
                    .iter()
                    .map(|c| places.name(*c).to_string())
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
            (
                "min_wage".to_string(),
                self.row
                    .min_wage_fen
                    .map(|f| fields::form_text(&Value::Money(Fen(f))))
                    .unwrap_or_default(),
            ),
            (
                "available_from".to_string(),
                self.row.available_from.map(|d| d.to_string()).unwrap_or_default(),
            ),
            ("skills".to_string(), self.row.skills.clone()),
        ])
    }
}

/// The seekers' occupations, by seeker.
pub(super) async fn occupations_of(tx: &mut Tx, ids: &[i64]) -> AppResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new("SELECT seeker_id, code FROM job_seeker_occupations WHERE ");
    q.in_list("seeker_id", ids.iter().copied());
    q.push(" ORDER BY seeker_id, code");
    let rows: Vec<(i64, String)> = tx.all(q).await?;
    for (id, code) in rows {
        out.entry(id).or_default().push(code);
    }
    Ok(out)
}

/// Of these seekers, those referred to a vacancy in `ranges`.
async fn referred_into(tx: &mut Tx, ids: &[i64], ranges: &[(i64, i64)]) -> AppResult<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut q = Sql::new("SELECT DISTINCT f.seeker_id FROM referrals f JOIN vacancies v ON v.id = f.vacancy_id WHERE ");
    q.in_list("f.seeker_id", ids.iter().copied());
    q.push(" AND ");
    q.in_ranges("v.region_code", ranges);
    let rows: Vec<(i64,)> = tx.all(q).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Rows as the actor may see them.
pub(super) async fn shown(tx: &mut Tx, actor: &Actor, rows: Vec<SeekerRow>) -> AppResult<Vec<Seeker>> {
    let ranges = own_ranges(actor)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut occ = occupations_of(tx, &ids).await?;
    let pii = actor.can(Permission::ReadPii);
    let far: Vec<i64> = rows
        .iter()
        .filter(|r| !within(&ranges, r.region_code))
        .map(|r| r.id)
        .collect();
    let referred = if pii {
        referred_into(tx, &far, &ranges).await?
    } else {
        HashSet::new()
    };
    Ok(rows
        .into_iter()
        .map(|row| Seeker {
            occupations: occ.remove(&row.id).unwrap_or_default(),
            open: pii && (within(&ranges, row.region_code) || referred.contains(&row.id)),
            own: within(&ranges, row.region_code),
            row,
        })
        .collect())
}

pub(super) async fn row_in(tx: &mut Tx, id: i64) -> AppResult<SeekerRow> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE s.id = ").arg(id);
    tx.opt(q).await?.ok_or(AppError::NotFound)
}

/// A seeker, for any staff account with job-service scope.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<Seeker> {
    get_in(&mut db.read().await?, actor, id).await
}

/// The worker's seeker registration, if any (the worker's profile).
pub async fn of_worker(db: &Db, actor: &Actor, worker_id: WorkerId) -> AppResult<Option<Seeker>> {
    let mut tx = db.read().await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE s.worker_id = ").arg(worker_id);
    match tx.opt::<SeekerRow>(q).await? {
        Some(row) => Ok(Some(shown(&mut tx, actor, vec![row]).await?.remove(0))),
        None => Ok(None),
    }
}

/// A validated seeker form.
pub(crate) struct Valid {
    occupations: Vec<OccupationCode>,
    places: Vec<DivisionCode>,
    min_wage: Option<i64>,
    available_from: Option<NaiveDate>,
    skills: String,
}

async fn validate(tx: &mut Tx, call: &Call<'_>, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<Valid> {
    validate_at(tx, call.now, get).await
}

/// The seeker form checked as of `now` (also for a seeker's own
/// application, which has no actor).
pub(crate) async fn validate_at(
    tx: &mut Tx,
    now: DateTime<Utc>,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<Valid> {
    let places = PlaceBook::load(tx).await?;
    let book = OccupationBook::load(tx).await?;
    let values: Values = fields::read(&SEEKER, get, &places, now)?;
    let text = |k: &str| match values.get(k) {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    };
    let mut occupations = Vec::new();
    for item in split_list(&text("occupations")) {
        let code = book.resolve(&item).map_err(|m| AppError::field("occupations", m))?;
        if !occupations.contains(&code) {
            occupations.push(code);
        }
    }
    if occupations.len() > MAX_OCCUPATIONS {
        return Err(AppError::field(
            "occupations",
            format!("求职意向最多填{MAX_OCCUPATIONS}个职业"),
        ));
    }
    let mut wanted = Vec::new();
    for item in split_list(&text("places")) {
        let code = places
            .resolve_area(&item)
            .map_err(|m| AppError::field("places", format!("意向工作地“{item}”：{m}")))?;
        if !wanted.contains(&code) {
            wanted.push(code);
        }
    }
    Ok(Valid {
        occupations,
        places: wanted,
        min_wage: match values.get("min_wage") {
            Some(Value::Money(f)) => Some(f.0),
            _ => None,
        },
        available_from: match values.get("available_from") {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        },
        skills: text("skills"),
    })
}

/// The seeker's wishes, and where the seeker is near a workplace for each
/// wanted group (`job_seeker_reach`, read by matching).
async fn write_occupations(
    tx: &mut Tx,
    id: i64,
    codes: &[OccupationCode],
    places: &[DivisionCode],
    home_region: i64,
) -> AppResult<()> {
    for table in ["job_seeker_occupations", "job_seeker_reach"] {
        tx.exec(Sql::new(&format!("DELETE FROM {table} WHERE seeker_id = $1")).bind(id))
            .await?;
    }
    let places: Vec<i64> = places.iter().map(|p| p.as_i64()).collect();
    let near = reach(&places, home_region);
    let mut groups = Vec::new();
    for code in codes {
        let middle = code.middle().map(|m| m.to_string()).unwrap_or_default();
        tx.exec(
            Sql::new("INSERT INTO job_seeker_occupations (seeker_id, code, major, middle) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(code.as_str())
                .bind(i64::from(code.major()))
                .bind(middle.clone()),
        )
        .await?;
        let group = (i64::from(code.major()), middle);
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    let rows: Vec<Vec<Arg>> = groups
        .iter()
        .flat_map(|(major, middle)| {
            near.iter().map(move |r| {
                vec![
                    Arg::from(id),
                    Arg::from(*major),
                    Arg::from(middle.clone()),
                    Arg::from(*r),
                ]
            })
        })
        .collect();
    tx.bulk_insert(
        "job_seeker_reach",
        &["seeker_id", "major", "middle", "region_code"],
        rows,
    )
    .await?;
    Ok(())
}

fn places_text(places: &[DivisionCode]) -> String {
    places
        .iter()
        .map(|p| p.as_i64().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Registers a worker as a job seeker (or renews the registration, which
/// reopens a closed one); `source` is form or public. Returns the seeker id.
pub async fn register(
    call: &Call<'_>,
    worker_id: WorkerId,
    get: &(dyn Fn(&str) -> String + Sync),
    source: &str,
) -> AppResult<i64> {
    let ranges = write_ranges(call.actor)?;
    let mut tx = call.db.write().await?;
    let id = register_in(&mut tx, call, &ranges, worker_id, get, source).await?;
    tx.commit().await?;
    Ok(id)
}

pub(crate) async fn register_in(
    tx: &mut Tx,
    call: &Call<'_>,
    ranges: &[(i64, i64)],
    worker_id: WorkerId,
    get: &(dyn Fn(&str) -> String + Sync),
    source: &str,
) -> AppResult<i64> {
    let worker: Option<(i64, i64)> = tx
        .opt(Sql::new("SELECT region_code, county_code FROM workers WHERE id = $1").bind(worker_id))
        .await?;
    let Some((region, county)) = worker else {
        return Err(AppError::NotFound);
    };
    if !within(ranges, region) {
        return Err(AppError::NotFound);
    }
    let v = validate(tx, call, get).await?;
    let today = fields::today(call.now);
    let by = call.actor.display_name.clone();
    let existing: Option<(i64, i64)> = tx
        .opt(Sql::new("SELECT id, version FROM job_seekers WHERE worker_id = $1").bind(worker_id))
        .await?;
    let (id, action) = match existing {
        Some((id, version)) => {
            let before = get_in(tx, call.actor, id).await?;
            let places = PlaceBook::load(tx).await?;
            let book = OccupationBook::load(tx).await?;
            let data = serde_json::to_string(&before.form_values(&places, &book))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            keep_history(tx, call, "seeker", id, worker_id.0, version, "update", &data).await?;
            tx.exec(
                Sql::new(
                    "UPDATE job_seekers SET county_code = $1, region_code = $2, places = $3, min_wage_fen = $4, \
                     available_from = $5, skills = $6, status = 'active', updated_at = $7, updated_by = $8, \
                     version = version + 1 WHERE id = $9",
                )
                .bind(county)
                .bind(region)
                .bind(places_text(&v.places))
                .bind(v.min_wage)
                .bind(v.available_from)
                .bind(v.skills.clone())
                .bind(call.now)
                .bind(by)
                .bind(id),
            )
            .await?;
            (id, "seeker.update")
        }
        None => {
            let (id,): (i64,) = tx
                .one(
                    Sql::new(
                        "INSERT INTO job_seekers (worker_id, county_code, region_code, places, min_wage_fen, \
                         available_from, skills, status, source, registered_on, created_at, created_by, updated_at, \
                         updated_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $10, $11, 1) \
                         RETURNING id",
                    )
                    .bind(worker_id)
                    .bind(county)
                    .bind(region)
                    .bind(places_text(&v.places))
                    .bind(v.min_wage)
                    .bind(v.available_from)
                    .bind(v.skills.clone())
                    .bind(source)
                    .bind(today)
                    .bind(call.now)
                    .bind(by),
                )
                .await?;
            (id, "seeker.register")
        }
    };
    write_occupations(tx, id, &v.occupations, &v.places, region).await?;
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(action, "seeker", id).detail(format!("worker={}; source={source}", worker_id.0)),
    )
    .await?;
    Ok(id)
}

pub(super) async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<Seeker> {
    let row = row_in(tx, id).await?;
    Ok(shown(tx, actor, vec![row]).await?.remove(0))
}

/// The rows of these seekers (any order).
pub(super) async fn rows_in(tx: &mut Tx, ids: &[i64]) -> AppResult<Vec<SeekerRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE ");
    q.in_list("s.id", ids.iter().copied());
    tx.all(q).await
}

/// Sets a seeker's status (求职中, 已就业, 已注销) from the version seen.
pub async fn set_status(call: &Call<'_>, id: i64, version: i64, status: SeekerStatus) -> AppResult<()> {
    let ranges = write_ranges(call.actor)?;
    let mut tx = call.db.write().await?;
    let row = row_in(&mut tx, id).await?;
    if !within(&ranges, row.region_code) {
        return Err(AppError::Forbidden);
    }
    set_status_in(&mut tx, call, &row, version, status).await?;
    tx.commit().await
}

pub(super) async fn set_status_in(
    tx: &mut Tx,
    call: &Call<'_>,
    row: &SeekerRow,
    version: i64,
    status: SeekerStatus,
) -> AppResult<()> {
    let n = tx
        .exec(
            Sql::new(
                "UPDATE job_seekers SET status = $1, updated_at = $2, updated_by = $3, version = version + 1 \
                 WHERE id = $4 AND version = $5",
            )
            .bind(status.code())
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(row.id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(AppError::Conflict("该求职登记已被他人修改，请刷新后再试。".into()));
    }
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("seeker.status", "seeker", row.id).detail(format!("{}→{}", row.status, status.code())),
    )
    .await
}

/// Filters of the seeker list.
#[derive(Clone, Debug, Default)]
pub struct SeekerFilter {
    /// A county or township of residence.
    pub region: Option<DivisionCode>,
    /// A wanted major group.
    pub major: Option<u8>,
    /// None = those looking for work.
    pub status: Option<SeekerStatus>,
}

/// Seekers of the whole city (劳务协作), newest registration first, with
/// the total; persons outside the actor's places are masked.
pub async fn list(db: &Db, actor: &Actor, f: &SeekerFilter, limit: i64, offset: i64) -> AppResult<(Vec<Seeker>, i64)> {
    require(actor, Permission::ViewDashboard)?;
    own_ranges(actor)?;
    let mut tx = db.read().await?;
    let mut cond = Sql::new("");
    cond.push(" AND s.status = ")
        .arg(f.status.unwrap_or(SeekerStatus::Active).code());
    if let Some(r) = f.region {
        cond.push(" AND ");
        cond.in_ranges("s.region_code", &[r.subtree_range()]);
    }
    if let Some(m) = f.major {
        cond.push(" AND EXISTS (SELECT 1 FROM job_seeker_occupations o WHERE o.seeker_id = s.id AND o.major = ")
            .arg(i64::from(m))
            .push(")");
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM job_seekers s WHERE 1 = 1");
    count.append(&cond);
    let total = tx.int(count).await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE 1 = 1")
        .append(&cond)
        .push(" ORDER BY s.registered_on DESC, s.id DESC")
        .page(limit, offset);
    let rows = tx.all(q).await?;
    Ok((shown(&mut tx, actor, rows).await?, total))
}
