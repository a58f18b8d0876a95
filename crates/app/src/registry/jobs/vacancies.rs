//! Vacancies (岗位): entered by staff, imported or sent through the
//! department API; open ones are published on the public job board until
//! they expire, are filled or are withdrawn.

use super::occupations::OccupationBook;
use super::{own_ranges, within, write_ranges};
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::fields;
use crate::history::keep_history;
use crate::plan::memo::{Counter, Memo, counted_version};
use crate::regions::PlaceBook;
use crate::registry::Outcome;
use crate::store::{Backend, Db, Sql, Tx, contains_pattern};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::field::{Value, Values, industry_name};
use shiminhua_core::jobs::VacancyStatus;
use shiminhua_core::jobs::forms::VACANCY;
use shiminhua_core::jobs::occupation::{OccupationCode, major_name};
use shiminhua_core::money::Fen;
use std::collections::HashMap;

/// A stored vacancy.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VacancyRow {
    pub id: i64,
    pub employer_credit_code: String,
    pub employer_name: String,
    pub industry: String,
    pub title: String,
    pub occupation: String,
    pub major: i64,
    pub headcount: i64,
    pub wage_min_fen: i64,
    pub wage_max_fen: i64,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub requirements: String,
    pub contact: String,
    pub posted_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: String,
    pub source: String,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub version: i64,
}

pub(super) const COLUMNS: &str = "SELECT v.id, v.employer_credit_code, v.employer_name, v.industry, v.title, v.occupation, \
     v.major, v.headcount, v.wage_min_fen, v.wage_max_fen, v.county_code, v.region_code, r.name AS region_name, \
     v.requirements, v.contact, v.posted_on, v.valid_until, v.status, v.source, v.created_by, v.updated_at, \
     v.updated_by, v.version FROM vacancies v JOIN regions r ON r.code = v.region_code";

impl VacancyRow {
    pub fn status_label(&self) -> &'static str {
        VacancyStatus::from_code(&self.status).map_or("", |s| s.label_zh())
    }

    /// Whether the public board shows it on `today`.
    pub fn is_public(&self, today: NaiveDate) -> bool {
        self.status == VacancyStatus::Open.code() && self.valid_until >= today
    }

    pub fn industry_label(&self) -> String {
        format!("{} {}", self.industry, industry_name(&self.industry))
    }

    pub fn major_label(&self) -> &'static str {
        major_name(u8::try_from(self.major).unwrap_or(0))
    }

    /// "4,500–6,000 元/月".
    pub fn wage_label(&self) -> String {
        wage_range(self.wage_min_fen, self.wage_max_fen)
    }

    /// The vacancy as typed into its form.
    pub fn form_values(&self, places: &PlaceBook, book: &OccupationBook) -> HashMap<String, String> {
        let money = |f: i64| fields::form_text(&Value::Money(Fen(f)));
        HashMap::from([
            ("employer_code".to_string(), self.employer_credit_code.clone()),
            ("employer".to_string(), self.employer_name.clone()),
            ("industry".to_string(), self.industry.clone()),
            ("title".to_string(), self.title.clone()),
            ("occupation".to_string(), book.label(&self.occupation)),
            ("headcount".to_string(), self.headcount.to_string()),
            ("wage_min".to_string(), money(self.wage_min_fen)),
            ("wage_max".to_string(), money(self.wage_max_fen)),
            ("place".to_string(), places.full_name(self.region_code)),
            ("requirements".to_string(), self.requirements.clone()),
            ("contact".to_string(), self.contact.clone()),
            ("valid_until".to_string(), self.valid_until.to_string()),
        ])
    }
}

/// A monthly wage range in yuan, "4,500–6,000 元/月" (one figure when equal).
pub fn wage_range(lo: i64, hi: i64) -> String {
    if lo == hi {
        format!("{} 元/月", yuan(lo))
    } else {
        format!("{}–{} 元/月", yuan(lo), yuan(hi))
    }
}

/// An amount in yuan with thousands separators, without ".00".
pub fn yuan(fen: i64) -> String {
    let s = Fen(fen).to_string();
    match s.strip_suffix(".00") {
        Some(whole) => whole.to_string(),
        None => s,
    }
}

/// A validated vacancy form.
pub(crate) struct Valid {
    values: Values,
    occupation: OccupationCode,
    region: DivisionCode,
    county: DivisionCode,
}

fn text(values: &Values, key: &str) -> String {
    match values.get(key) {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

fn money(values: &Values, key: &str) -> i64 {
    match values.get(key) {
        Some(Value::Money(f)) => f.0,
        _ => 0,
    }
}

pub(crate) async fn validate(
    tx: &mut Tx,
    call: &Call<'_>,
    ranges: &[(i64, i64)],
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<Valid> {
    let places = PlaceBook::load(tx).await?;
    let book = OccupationBook::load(tx).await?;
    let values = fields::read(&VACANCY, get, &places, call.now)?;
    let occupation = book
        .resolve(&text(&values, "occupation"))
        .map_err(|m| AppError::field("occupation", m))?;
    let Some(Value::Place(region)) = values.get("place").cloned() else {
        return Err(AppError::Internal("validated vacancy without a place".into()));
    };
    let county = region
        .county()
        .ok_or_else(|| AppError::field("place", "工作地点应为本市的乡镇（街道）"))?;
    if !within(ranges, region.as_i64()) {
        return Err(AppError::field("place", "该工作地点不在您的数据范围内"));
    }
    if matches!(values.get("valid_until"), Some(Value::Date(d)) if *d < fields::today(call.now)) {
        return Err(AppError::field("valid_until", "有效期不能早于今天"));
    }
    Ok(Valid {
        values,
        occupation,
        region,
        county,
    })
}

fn bind_values(q: Sql, v: &Valid) -> Sql {
    let vals = &v.values;
    let count = match vals.get("headcount") {
        Some(Value::Count(n)) => *n,
        _ => 1,
    };
    let until = match vals.get("valid_until") {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    };
    q.bind(text(vals, "employer_code"))
        .bind(text(vals, "employer"))
        .bind(text(vals, "industry"))
        .bind(text(vals, "title"))
        .bind(v.occupation.as_str())
        .bind(i64::from(v.occupation.major()))
        .bind(v.occupation.middle().map(|m| m.to_string()).unwrap_or_default())
        .bind(count)
        .bind(money(vals, "wage_min"))
        .bind(money(vals, "wage_max"))
        .bind(v.county.as_i64())
        .bind(v.region.as_i64())
        .bind(text(vals, "requirements"))
        .bind(text(vals, "contact"))
        .bind(until)
}

fn stale() -> AppError {
    AppError::Conflict("保存失败：该岗位已被他人修改。请刷新页面查看最新内容后再修改。".into())
}

/// Publishes a vacancy (open from today); `source` is form, import or api.
pub async fn create(call: &Call<'_>, get: &(dyn Fn(&str) -> String + Sync), source: &str) -> AppResult<i64> {
    let ranges = write_ranges(call.actor)?;
    let mut tx = call.db.write().await?;
    let id = insert_in(&mut tx, call, &ranges, get, source).await?;
    tx.commit().await?;
    Ok(id)
}

pub(crate) async fn insert_in(
    tx: &mut Tx,
    call: &Call<'_>,
    ranges: &[(i64, i64)],
    get: &(dyn Fn(&str) -> String + Sync),
    source: &str,
) -> AppResult<i64> {
    let v = validate(tx, call, ranges, get).await?;
    insert_valid(tx, call, &v, source).await
}

async fn insert_valid(tx: &mut Tx, call: &Call<'_>, v: &Valid, source: &str) -> AppResult<i64> {
    let by = call.actor.display_name.clone();
    let q = Sql::new(
        "INSERT INTO vacancies (employer_credit_code, employer_name, industry, title, occupation, major, middle, \
         headcount, wage_min_fen, wage_max_fen, county_code, region_code, requirements, contact, valid_until, \
         posted_on, status, source, created_at, created_by, updated_at, updated_by, version) VALUES ($1, $2, $3, $4, \
         $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, 1) RETURNING id",
    );
    let (id,): (i64,) = tx
        .one(
            bind_values(q, v)
                .bind(fields::today(call.now))
                .bind(VacancyStatus::Open.code())
                .bind(source)
                .bind(call.now)
                .bind(by.clone())
                .bind(call.now)
                .bind(by),
        )
        .await?;
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("vacancy.create", "vacancy", id).detail(format!("employer={}", text(&v.values, "employer_code"))),
    )
    .await?;
    Ok(id)
}

/// A vacancy, for any staff account with job-service scope (劳务协作: every
/// county sees every county's vacancies).
pub async fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<VacancyRow> {
    own_ranges(actor)?;
    let mut tx = db.read().await?;
    get_in(&mut tx, id).await
}

pub(super) async fn get_in(tx: &mut Tx, id: i64) -> AppResult<VacancyRow> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE v.id = ").arg(id);
    tx.opt(q).await?.ok_or(AppError::NotFound)
}

/// A vacancy the actor may change (its place in the actor's scope).
async fn for_write(tx: &mut Tx, call: &Call<'_>, id: i64, version: i64) -> AppResult<(VacancyRow, Vec<(i64, i64)>)> {
    let ranges = write_ranges(call.actor)?;
    let row = get_in(tx, id).await?;
    if !within(&ranges, row.region_code) {
        return Err(AppError::Forbidden);
    }
    if row.version != version {
        return Err(stale());
    }
    Ok((row, ranges))
}

/// Changes a vacancy from the version the actor saw; the earlier version
/// is kept in history. A form posted back unchanged writes nothing.
pub async fn update(call: &Call<'_>, id: i64, version: i64, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<()> {
    let mut tx = call.db.write().await?;
    let (row, ranges) = for_write(&mut tx, call, id, version).await?;
    let v = validate(&mut tx, call, &ranges, get).await?;
    change_in(&mut tx, call, &row, &v).await?;
    tx.commit().await
}

/// Whether the validated form says what the vacancy on file says.
fn same(row: &VacancyRow, v: &Valid) -> bool {
    let vals = &v.values;
    let count = match vals.get("headcount") {
        Some(Value::Count(n)) => *n,
        _ => 1,
    };
    row.employer_credit_code == text(vals, "employer_code")
        && row.employer_name == text(vals, "employer")
        && row.industry == text(vals, "industry")
        && row.title == text(vals, "title")
        && row.occupation == v.occupation.as_str()
        && row.headcount == count
        && row.wage_min_fen == money(vals, "wage_min")
        && row.wage_max_fen == money(vals, "wage_max")
        && row.region_code == v.region.as_i64()
        && row.requirements == text(vals, "requirements")
        && row.contact == text(vals, "contact")
        && matches!(vals.get("valid_until"), Some(Value::Date(d)) if *d == row.valid_until)
}

/// Writes `v` over the vacancy `row` (its version kept in history, the
/// change audited); false, writing nothing, when nothing changed.
async fn change_in(tx: &mut Tx, call: &Call<'_>, row: &VacancyRow, v: &Valid) -> AppResult<bool> {
    if same(row, v) {
        return Ok(false);
    }
    let places = PlaceBook::load(tx).await?;
    let book = OccupationBook::load(tx).await?;
    let before =
        serde_json::to_string(&row.form_values(&places, &book)).map_err(|e| AppError::Internal(e.to_string()))?;
    keep_history(tx, call, "vacancy", row.id, 0, row.version, "update", &before).await?;
    let q = Sql::new(
        "UPDATE vacancies SET employer_credit_code = $1, employer_name = $2, industry = $3, title = $4, occupation = $5, \
         major = $6, middle = $7, headcount = $8, wage_min_fen = $9, wage_max_fen = $10, county_code = $11, \
         region_code = $12, requirements = $13, contact = $14, valid_until = $15, updated_at = $16, updated_by = $17, \
         version = version + 1 WHERE id = $18 AND version = $19",
    );
    let n = tx
        .exec(
            bind_values(q, v)
                .bind(call.now)
                .bind(call.actor.display_name.clone())
                .bind(row.id)
                .bind(row.version),
        )
        .await?;
    if n != 1 {
        return Err(stale());
    }
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("vacancy.update", "vacancy", row.id),
    )
    .await?;
    Ok(true)
}

/// What an imported list's row does: adds a vacancy, or changes the open
/// vacancy of the same employer, title and place (so that a list sent
/// again, or sent again with new wages or dates, does not post the jobs
/// twice); with `dry_run` only checks it. Rows are validated as the form
/// validates them.
pub(crate) async fn upsert_in(
    tx: &mut Tx,
    call: &Call<'_>,
    ranges: &[(i64, i64)],
    get: &(dyn Fn(&str) -> String + Sync),
    dry_run: bool,
) -> AppResult<Outcome> {
    let v = validate(tx, call, ranges, get).await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE v.employer_credit_code = ")
        .arg(text(&v.values, "employer_code"))
        .push(" AND v.title = ")
        .arg(text(&v.values, "title"))
        .push(" AND v.region_code = ")
        .arg(v.region.as_i64())
        .push(" AND v.status = ")
        .arg(VacancyStatus::Open.code())
        .push(" ORDER BY v.id LIMIT 1");
    Ok(match tx.opt::<VacancyRow>(q).await? {
        None if dry_run => Outcome::Inserted(0),
        None => Outcome::Inserted(insert_valid(tx, call, &v, "import").await?),
        Some(row) if same(&row, &v) => Outcome::Unchanged(row.id),
        Some(row) if dry_run => Outcome::Updated(row.id),
        Some(row) => {
            change_in(tx, call, &row, &v).await?;
            Outcome::Updated(row.id)
        }
    })
}

/// Sets a vacancy's status (招聘中, 已招满, 已撤回).
pub async fn set_status(call: &Call<'_>, id: i64, version: i64, status: VacancyStatus) -> AppResult<()> {
    let mut tx = call.db.write().await?;
    let (row, _) = for_write(&mut tx, call, id, version).await?;
    if row.status == status.code() {
        return Ok(());
    }
    let n = tx
        .exec(
            Sql::new(
                "UPDATE vacancies SET status = $1, updated_at = $2, updated_by = $3, version = version + 1 \
                 WHERE id = $4 AND version = $5",
            )
            .bind(status.code())
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
        Event::ok("vacancy.status", "vacancy", id).detail(format!("{}→{}", row.status, status.code())),
    )
    .await?;
    tx.commit().await
}

/// Filters of the vacancy lists (staff and public board).
#[derive(Clone, Debug, Default)]
pub struct VacancyFilter {
    /// Part of the title or the employer's name.
    pub q: String,
    /// A county or township.
    pub region: Option<DivisionCode>,
    /// A major group, 1–8.
    pub major: Option<u8>,
    /// The monthly wage wanted at least (the range's top reaches it), fen.
    pub wage_at_least: Option<i64>,
    /// The staff list: a status (None = open ones); the board shows open,
    /// unexpired ones only.
    pub status: Option<VacancyStatus>,
    /// The staff list: open ones past their last day instead.
    pub expired: bool,
}

/// The grams a text search reads `vacancy_grams` by: its distinct pairs of
/// adjacent characters (the first [`SEARCH_GRAMS`]), or its one character,
/// ASCII letters in lower case as they are kept. Every vacancy whose title
/// or employer holds the text holds them all.
fn search_grams(q: &str) -> Vec<String> {
    let chars: Vec<char> = q.chars().map(|c| c.to_ascii_lowercase()).collect();
    if chars.len() < 2 {
        return vec![chars.iter().collect()];
    }
    let mut grams: Vec<String> = Vec::new();
    for pair in chars.windows(2) {
        let gram: String = pair.iter().collect();
        if !grams.contains(&gram) && grams.len() < SEARCH_GRAMS {
            grams.push(gram);
        }
    }
    grams
}

/// At most this many pairs narrow a text search; the text itself decides.
const SEARCH_GRAMS: usize = 4;

fn conditions(f: &VacancyFilter, today: NaiveDate, public: bool, backend: Backend) -> Sql {
    let mut cond = Sql::new("");
    if f.expired && !public {
        cond.push(" AND v.status = 'open' AND v.valid_until < ").arg(today);
    } else if public || f.status.is_none() || f.status == Some(VacancyStatus::Open) {
        cond.push(" AND v.status = 'open' AND v.valid_until >= ").arg(today);
    } else if let Some(s) = f.status {
        cond.push(" AND v.status = ").arg(s.code());
    }
    let q = f.q.trim();
    if !q.is_empty() {
        // The vacancies holding every pair of the text's characters (or its
        // one character), then those holding the text (migration 0038).
        // PostgreSQL is given them as an array, or it scans every vacancy to
        // test the text and joins the grams' ids to them by hashing.
        cond.push(match backend {
            Backend::Sqlite => " AND v.id IN (",
            Backend::Postgres => " AND v.id = ANY(ARRAY(",
        });
        for (i, gram) in search_grams(q).into_iter().enumerate() {
            if i > 0 {
                cond.push(" INTERSECT ");
            }
            cond.push("SELECT vacancy_id FROM vacancy_grams WHERE gram = ")
                .arg(gram);
        }
        cond.push(match backend {
            Backend::Sqlite => ")",
            Backend::Postgres => "))",
        });
        let pat = contains_pattern(q);
        cond.push(" AND (v.title LIKE ")
            .arg(pat.clone())
            .push(" ESCAPE '\\' OR v.employer_name LIKE ")
            .arg(pat)
            .push(" ESCAPE '\\')");
    }
    if let Some(r) = f.region {
        if r.level() == shiminhua_core::division::Level::County {
            cond.push(" AND v.county_code = ").arg(r.as_i64());
        } else {
            cond.push(" AND ");
            cond.in_ranges("v.region_code", &[r.subtree_range()]);
        }
    }
    if let Some(m) = f.major {
        cond.push(" AND v.major = ").arg(i64::from(m));
    }
    if let Some(w) = f.wage_at_least {
        cond.push(" AND v.wage_max_fen >= ").arg(w);
    }
    cond
}

async fn search(
    tx: &mut Tx,
    f: &VacancyFilter,
    today: NaiveDate,
    public: bool,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<VacancyRow>, i64)> {
    let cond = conditions(f, today, public, tx.backend());
    let mut count = Sql::new("SELECT COUNT(*) FROM vacancies v WHERE 1 = 1");
    count.append(&cond);
    let total = tx.int(count).await?;
    let mut rows = Sql::new(COLUMNS);
    rows.push(" WHERE 1 = 1")
        .append(&cond)
        .push(" ORDER BY v.posted_on DESC, v.id DESC")
        .page(limit, offset);
    Ok((tx.all(rows).await?, total))
}

/// Vacancies of the whole city for staff, newest first, with the total.
pub async fn list(
    db: &Db,
    actor: &Actor,
    f: &VacancyFilter,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<VacancyRow>, i64)> {
    own_ranges(actor)?;
    search(&mut db.read().await?, f, today, false, limit, offset).await
}

/// What a page of the public board is computed from besides the data: the
/// filter's public parts, the day, the page.
#[derive(PartialEq)]
struct BoardKey {
    q: String,
    region: Option<DivisionCode>,
    major: Option<u8>,
    wage_at_least: Option<i64>,
    today: NaiveDate,
    limit: i64,
    offset: i64,
}

/// Pages of the public board computed lately. The board is the same for
/// every visitor and asked for far more often than vacancies change; a page
/// is kept until a vacancy is written (`board_version` on SQLite, the
/// snapshot on PostgreSQL).
static BOARD_PAGES: Memo<BoardKey, (Vec<VacancyRow>, i64)> = Memo::with_capacity(512);

/// The public job board: open, unexpired vacancies, newest first.
pub async fn board(
    db: &Db,
    f: &VacancyFilter,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<VacancyRow>, i64)> {
    let mut tx = db.read().await?;
    let version = counted_version(&mut tx, Counter::Board).await?;
    let key = BoardKey {
        q: f.q.trim().to_string(),
        region: f.region,
        major: f.major,
        wage_at_least: f.wage_at_least,
        today,
        limit,
        offset,
    };
    let page = BOARD_PAGES
        .get_or(db, version, key, search(&mut tx, f, today, true, limit, offset))
        .await?;
    Ok((*page).clone())
}

/// One vacancy of the public board (NotFound once it left the board).
pub async fn public_get(db: &Db, id: i64, today: NaiveDate) -> AppResult<VacancyRow> {
    let row = get_in(&mut db.read().await?, id).await?;
    if row.is_public(today) {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// Counts for the staff pages: open vacancies and their headcount, by county.
pub async fn open_by_county(db: &Db, actor: &Actor, today: NaiveDate) -> AppResult<Vec<(i64, i64, i64)>> {
    require(actor, Permission::ViewDashboard)?;
    own_ranges(actor)?;
    db.read()
        .await?
        .all(
            Sql::new(
                "SELECT county_code, COUNT(*), CAST(COALESCE(SUM(headcount), 0) AS BIGINT) FROM vacancies \
                 WHERE status = 'open' AND valid_until >= $1 GROUP BY county_code ORDER BY county_code",
            )
            .bind(today),
        )
        .await
}
