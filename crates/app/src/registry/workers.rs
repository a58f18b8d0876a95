//! The registry (农民工综合信息系统), part 1: workers and their families.
//!
//! ID numbers, phone numbers and dependants' names are sealed at rest; the
//! tables keep a blind index (exact search) and a masked form (display). Every
//! read, write and reveal runs in the caller's data scope for `Worker` records.

use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::regions::PlaceBook;
use crate::store::{Backend, Db, Sql, Tx, dialect};
use crate::{Call, require};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::{DependantId, WorkerId};
use shiminhua_core::phone::Phone;
use shiminhua_core::record::tidy;

/// Education levels and dependants' relations are the core's.
pub use shiminhua_core::person::{EDUCATION, RELATIONS};

const ALREADY_REGISTERED: &str = "该身份证号已登记，请在农民工信息中查找后修改";

use shiminhua_core::person::{self, mask_name};

/// The core's name rule for a worker's or dependant's name, as a field error.
fn check_name(field: &str, name: &str, errs: &mut FieldErrors) {
    if let Err(e) = person::check_name(name, &person::REGISTRY_NAME) {
        errs.add(field, e);
    }
}

/// What a form or an import row gives for a worker.
#[derive(Clone, Debug, Default)]
pub struct WorkerInput {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    /// Current residence: a township or village code of the city.
    pub region: String,
    pub hukou_place: String,
    pub education: String,
    pub skills: String,
    pub tags: String,
}

/// A validated worker, ready to store.
pub(crate) struct ValidWorker {
    pub(crate) name: String,
    /// None when updating: the ID number identifies the person and stays.
    pub(crate) id: Option<IdNumber>,
    pub(crate) phone: Option<Phone>,
    pub(crate) region: DivisionCode,
    pub(crate) county: DivisionCode,
    pub(crate) hukou_place: String,
    pub(crate) education: String,
    pub(crate) skills: String,
    pub(crate) tags: String,
}

/// Validates a worker's fields; places are resolved from `places` (a code or a name).
pub(crate) fn validate(
    actor: &Actor,
    places: &PlaceBook,
    input: &WorkerInput,
    with_id: bool,
) -> Result<ValidWorker, FieldErrors> {
    let mut errs = FieldErrors::default();
    let name = tidy(&input.name);
    check_name("name", &name, &mut errs);
    let id = if with_id {
        match IdNumber::parse(&input.id_number) {
            Ok(id) => Some(id),
            Err(e) => {
                errs.add("id_number", e.to_string());
                None
            }
        }
    } else {
        None
    };
    let phone = if input.phone.trim().is_empty() {
        None
    } else {
        match Phone::parse(&input.phone) {
            Ok(p) => Some(p),
            Err(e) => {
                errs.add("phone", e.to_string());
                None
            }
        }
    };
    let region = if input.region.trim().is_empty() {
        errs.add("region", "请选择现居住地");
        None
    } else {
        match places.resolve(&input.region) {
            Ok(c) if !actor.scope.allows(RecordKind::Worker, c) => {
                errs.add("region", "所选现居住地不在您的数据范围内");
                None
            }
            Ok(c) => Some(c),
            Err(e) => {
                errs.add("region", format!("现居住地：{e}"));
                None
            }
        }
    };
    let education = tidy(&input.education);
    if let Err(e) = person::check_education(&education) {
        errs.add("education", e);
    }
    let hukou_place = tidy(&input.hukou_place);
    if let Err(e) = person::check_hukou_place(&hukou_place) {
        errs.add("hukou_place", e);
    }
    let skills = tidy(&input.skills);
    if let Err(e) = person::check_skills(&skills) {
        errs.add("skills", e);
    }
    let (Some(region), true) = (region, errs.is_empty()) else {
        return Err(errs);
    };
    let Some(county) = region.county() else {
        errs.add("region", "现居住地不属于任何区县");
        return Err(errs);
    };
    Ok(ValidWorker {
        name,
        id,
        phone,
        region,
        county,
        hukou_place,
        education,
        skills,
        tags: person::normalise_tags(&input.tags),
    })
}

pub fn worker_context(field: &str, index: &[u8]) -> String {
    // Sealed values are bound to the person (blind index), not to a row id,
    // so that they can be written in the same statement that creates the row.
    let mut out = String::with_capacity(9 + field.len() + index.len() * 2);
    out.push_str("workers.");
    out.push_str(field);
    out.push(':');
    out.push_str(&crate::hex(index));
    out
}

/// Registers a worker. An ID number already registered is a field error.
pub async fn create_worker(call: &Call<'_>, input: &WorkerInput) -> AppResult<i64> {
    require(call.actor, Permission::WriteRecords)?;
    let mut tx = call.db.write().await?;
    let id = create_in(&mut tx, call, input).await?;
    tx.commit().await?;
    Ok(id)
}

/// Registers a worker inside the caller's transaction (a project roster's
/// import registers the people it names); audited.
pub(crate) async fn create_in(tx: &mut Tx, call: &Call<'_>, input: &WorkerInput) -> AppResult<i64> {
    let Call {
        cipher,
        actor,
        origin,
        now,
        ..
    } = *call;
    require(actor, Permission::WriteRecords)?;
    let places = PlaceBook::load(tx).await?;
    let w = validate(actor, &places, input, true).map_err(AppError::Validation)?;
    let person =
        w.id.as_ref()
            .ok_or_else(|| AppError::Internal("validated worker without an ID number".into()))?;
    let id_index = cipher.blind_index("id_number", person.as_str());
    let exists: Option<(i64,)> = tx
        .opt(Sql::new("SELECT id FROM workers WHERE id_index = $1").bind(id_index.clone()))
        .await?;
    if exists.is_some() {
        return Err(AppError::field("id_number", ALREADY_REGISTERED));
    }
    let id = insert_worker(tx, cipher, now, &w, person, &id_index)
        .await
        .map_err(crate::store::unique_as("id_number", ALREADY_REGISTERED))?;
    audit::record(
        tx,
        now,
        &Who::actor(actor, origin),
        Event::ok("worker.create", "worker", id),
    )
    .await?;
    Ok(id)
}

/// Registers a worker, or updates the one with the same ID number (the
/// department API). Blank fields keep what is on file.
pub async fn put_worker(call: &Call<'_>, input: &WorkerInput) -> AppResult<crate::registry::Outcome> {
    use crate::registry::Outcome;
    match create_worker(call, input).await {
        Ok(id) => Ok(Outcome::Inserted(id)),
        Err(AppError::Validation(e)) if e.get("id_number") == Some(ALREADY_REGISTERED) => {
            let person = IdNumber::parse(&input.id_number).map_err(|e| AppError::field("id_number", e.to_string()))?;
            let index = call.cipher.blind_index("id_number", person.as_str());
            let (id,): (i64,) = call
                .db
                .read()
                .await?
                .one(Sql::new("SELECT id FROM workers WHERE id_index = $1").bind(index))
                .await?;
            let (current, _) = get_worker(call.db, call.actor, WorkerId(id)).await?;
            let keep = |new: &str, old: &str| {
                if new.trim().is_empty() {
                    old.to_string()
                } else {
                    new.to_string()
                }
            };
            let merged = WorkerInput {
                hukou_place: keep(&input.hukou_place, &current.hukou_place),
                education: keep(&input.education, &current.education),
                skills: keep(&input.skills, &current.skills),
                tags: keep(&input.tags, &current.tags),
                ..input.clone()
            };
            update_worker(call, WorkerId(id), current.version, &merged).await?;
            Ok(Outcome::Updated(id))
        }
        Err(e) => Err(e),
    }
}

/// Stores a worker whose fields are valid; returns the new id.
pub(crate) async fn insert_worker(
    tx: &mut Tx,
    cipher: &Cipher,
    now: DateTime<Utc>,
    w: &ValidWorker,
    person: &IdNumber,
    id_index: &[u8],
) -> AppResult<i64> {
    let (phone_sealed, phone_index, phone_masked) = seal_phone(cipher, w.phone.as_ref(), id_index)?;
    tx.int(
        Sql::new(
            "INSERT INTO workers (county_code, region_code, name, id_sealed, id_index, id_masked, birth_year, sex, origin_code, \
             phone_sealed, phone_index, phone_masked, hukou_place, education, skills, tags, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, 1) RETURNING id",
        )
        .bind(w.county.as_i64())
        .bind(w.region.as_i64())
        .bind(w.name.clone())
        .bind(cipher.seal(&worker_context("id", id_index), person.as_str().as_bytes())?)
        .bind(id_index)
        .bind(person.masked())
        .bind(person.birth_date().year())
        .bind(person.sex().label_zh())
        .bind(person.address_code())
        .bind(phone_sealed)
        .bind(phone_index)
        .bind(phone_masked)
        .bind(w.hukou_place.clone())
        .bind(w.education.clone())
        .bind(w.skills.clone())
        .bind(w.tags.clone())
        .bind(now),
    )
    .await
}

pub(crate) type SealedPhone = (Option<Vec<u8>>, Option<Vec<u8>>, String);

pub(crate) fn seal_phone(cipher: &Cipher, phone: Option<&Phone>, id_index: &[u8]) -> AppResult<SealedPhone> {
    Ok(match phone {
        Some(p) => (
            Some(cipher.seal(&worker_context("phone", id_index), p.as_str().as_bytes())?),
            Some(cipher.blind_index("phone", p.as_str())),
            p.masked(),
        ),
        None => (None, None, String::new()),
    })
}

/// Changes a worker; refused when `version` is stale. The ID number identifies
/// the person and is not changed here (`input.id_number` is ignored); a blank
/// phone keeps the phone number on file.
pub async fn update_worker(call: &Call<'_>, id: WorkerId, version: i64, input: &WorkerInput) -> AppResult<()> {
    let id = id.0;
    let Call {
        db,
        cipher: _,
        actor,
        origin,
        now,
    } = *call;
    require(actor, Permission::WriteRecords)?;
    let mut tx = db.write().await?;
    let current = get_in(&mut tx, actor, id).await?;
    let places = PlaceBook::load(&mut tx).await?;
    let w = validate(actor, &places, input, false).map_err(AppError::Validation)?;
    let n = write_update(&mut tx, call, id, Some(version), &w, &current.id_index).await?;
    if n == 0 {
        return Err(AppError::Conflict(
            "保存失败：该农民工信息已被他人修改。请刷新页面查看最新内容后再修改，您填写的内容仍保留在表单中。".into(),
        ));
    }
    audit::record(
        &mut tx,
        now,
        &Who::actor(actor, origin),
        Event::ok("worker.update", "worker", id),
    )
    .await?;
    tx.commit().await
}

/// Writes a worker's fields; a blank phone keeps the one on file (forms never
/// send masked values back). With `version`, only a row still at that version
/// is changed. Returns the number of rows changed.
pub(crate) async fn write_update(
    tx: &mut Tx,
    call: &Call<'_>,
    id: i64,
    version: Option<i64>,
    w: &ValidWorker,
    id_index: &[u8],
) -> AppResult<u64> {
    // The version replaced goes to history first, whatever the change came
    // through (form, API or import).
    type Before = (String, i64, String, String, String, String, i64);
    let before: Option<Before> = tx
        .opt(
            Sql::new(
                "SELECT name, region_code, hukou_place, education, skills, tags, version FROM workers WHERE id = $1",
            )
            .bind(id),
        )
        .await?;
    let Some((name, region_code, hukou_place, education, skills, tags, current)) = before else {
        return Ok(0);
    };
    if version.is_some_and(|v| v != current) {
        return Ok(0);
    }
    let data = serde_json::json!({
        "name": name, "region_code": region_code, "hukou_place": hukou_place,
        "education": education, "skills": skills, "tags": tags,
    });
    crate::history::keep_history(tx, call, "worker", id, id, current, "update", &data.to_string()).await?;
    let mut q = Sql::new("UPDATE workers SET county_code = ");
    q.arg(w.county.as_i64())
        .push(", region_code = ")
        .arg(w.region.as_i64())
        .push(", name = ")
        .arg(w.name.clone());
    if w.phone.is_some() {
        let (sealed, index, masked) = seal_phone(call.cipher, w.phone.as_ref(), id_index)?;
        q.push(", phone_sealed = ")
            .arg(sealed)
            .push(", phone_index = ")
            .arg(index)
            .push(", phone_masked = ")
            .arg(masked);
    }
    q.push(", hukou_place = ")
        .arg(w.hukou_place.clone())
        .push(", education = ")
        .arg(w.education.clone())
        .push(", skills = ")
        .arg(w.skills.clone())
        .push(", tags = ")
        .arg(w.tags.clone())
        .push(", updated_at = ")
        .arg(call.now)
        .push(", version = version + 1 WHERE id = ")
        .arg(id)
        .push(" AND version = ")
        .arg(current);
    tx.exec(q).await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WorkerRow {
    pub id: i64,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub name: String,
    pub id_index: Vec<u8>,
    /// Region-only mask (`IdNumber::masked`).
    pub id_masked: String,
    /// The birth year: the full birth date stays in the sealed ID number.
    pub birth_year: i32,
    pub sex: String,
    pub origin_code: String,
    pub phone_masked: String,
    pub hukou_place: String,
    pub education: String,
    pub skills: String,
    pub tags: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const WORKER_COLUMNS: &str = "SELECT w.id, w.county_code, w.region_code, r.name AS region_name, w.name, w.id_index, w.id_masked, \
     w.birth_year, w.sex, w.origin_code, w.phone_masked, w.hukou_place, w.education, w.skills, w.tags, w.created_at, w.updated_at, w.version \
     FROM workers w JOIN regions r ON r.code = w.region_code";

/// One worker inside the actor's scope (NotFound outside it).
async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<WorkerRow> {
    let mut q = Sql::new(WORKER_COLUMNS);
    q.push(" WHERE w.id = ").arg(id).push(" AND ");
    q.in_ranges("w.region_code", &crate::reach::worker_ranges(actor));
    q.append(&crate::reach::worker_condition(tx.backend(), actor));
    tx.one(q).await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DependantRow {
    pub id: i64,
    pub relation: String,
    pub name_masked: String,
    pub id_masked: String,
    /// The birth year: the full birth date is sealed.
    pub birth_year: i32,
}

/// A worker with the family, for the profile page.
pub async fn get_worker(db: &Db, actor: &Actor, id: WorkerId) -> AppResult<(WorkerRow, Vec<DependantRow>)> {
    let id = id.0;
    require(actor, Permission::ReadPii)?;
    let mut tx = db.read().await?;
    let w = get_in(&mut tx, actor, id).await?;
    let deps = tx
        .all(
            Sql::new(
                "SELECT id, relation, name_masked, id_masked, birth_year FROM dependants WHERE worker_id = $1 ORDER BY birth_year, id",
            )
            .bind(id),
        )
        .await?;
    Ok((w, deps))
}

/// The list's filters.
#[derive(Clone, Debug, Default)]
pub struct WorkerFilter {
    /// Any part of a name, a full ID number or a phone number.
    pub q: String,
    /// A region subtree inside the scope.
    pub region: Option<DivisionCode>,
    pub tag: String,
    /// `name`, `region` or `recent` (default).
    pub sort: String,
    /// A derived condition, one of `CONDITIONS` by code ("" for none).
    pub condition: String,
    /// The day the derived conditions are evaluated on (本年, 本学年).
    pub as_of: Option<NaiveDate>,
}

/// Derived conditions a list can be filtered on: (code, label).
pub const CONDITIONS: [(&str, &str); 4] = [
    ("no_insurance", "无社保（无参保缴费记录）"),
    ("child_not_public", "随迁子女未在公办就读（本学年）"),
    ("wants_settlement", "有落户意愿未落户"),
    ("new_local_job", "本年新增就近就业"),
];

/// The SQL condition of a derived filter on worker `w`.
fn condition(backend: Backend, code: &str, as_of: NaiveDate) -> Option<Sql> {
    use chrono::Datelike;
    let field = |k: &str| dialect::json_field(backend, k);
    let mut q = Sql::new("");
    match code {
        "no_insurance" => {
            q.push(" AND NOT EXISTS (SELECT 1 FROM records r WHERE r.worker_id = w.id AND r.kind = 'insurance' AND ")
                .push(&field("status"))
                .push(" = '参保缴费')");
        }
        "child_not_public" => {
            let year = if as_of.month() >= 9 {
                as_of.year()
            } else {
                as_of.year() - 1
            };
            let start = NaiveDate::from_ymd_opt(year, 9, 1)?;
            q.push(" AND EXISTS (SELECT 1 FROM records r WHERE r.worker_id = w.id AND r.kind = 'schooling' AND ")
                .push(&field("school_type"))
                .push(" = '其他民办' AND r.period_date >= ")
                .arg(start)
                .push(")");
        }
        "wants_settlement" => {
            q.push(" AND EXISTS (SELECT 1 FROM records r WHERE r.worker_id = w.id AND r.kind = 'settlement' AND ")
                .push(&field("intention"))
                .push(" = '有' AND ")
                .push(&field("settled"))
                .push(" IS NULL)");
        }
        "new_local_job" => {
            let start = NaiveDate::from_ymd_opt(as_of.year(), 1, 1)?;
            q.push(" AND EXISTS (SELECT 1 FROM records r WHERE r.worker_id = w.id AND r.kind = 'employment' AND ")
                .push(&field("form"))
                .push(" = '就近就业' AND r.period_date >= ")
                .arg(start)
                .push(" AND r.period_date <= ")
                .arg(as_of)
                .push(")");
        }
        _ => return None,
    }
    Some(q)
}

/// Lists count exactly up to this many rows; beyond it the total is reported
/// as `COUNT_CAP + 1` ("more than"), which keeps every page fast at any size.
pub const COUNT_CAP: i64 = 10_000;

/// The conditions of a worker list: the scope's region ranges narrowed to
/// the region filter, the other conditions, and the text searched in names
/// (if the query is neither an ID number nor a phone number).
struct Conditions {
    ranges: Vec<(i64, i64)>,
    rest: Sql,
    name: Option<String>,
}

fn conditions(backend: Backend, cipher: &Cipher, actor: &Actor, f: &WorkerFilter) -> AppResult<Conditions> {
    // The scope, narrowed to the region filter here, so the database sees one
    // tight range rather than two overlapping ones.
    let mut ranges = crate::reach::worker_ranges(actor);
    if let Some(r) = f.region {
        let (lo, hi) = r.subtree_range();
        ranges = ranges
            .into_iter()
            .map(|(a, b)| (a.max(lo), b.min(hi)))
            .filter(|(a, b)| a <= b)
            .collect();
    }
    let mut rest = crate::reach::worker_condition(backend, actor);
    let mut name = None;
    let q = f.q.trim();
    if !q.is_empty() {
        if let Ok(id) = IdNumber::parse(q) {
            rest.push(" AND w.id_index = ")
                .arg(cipher.blind_index("id_number", id.as_str()));
        } else if let Ok(p) = Phone::parse(q) {
            rest.push(" AND w.phone_index = ")
                .arg(cipher.blind_index("phone", p.as_str()));
        } else {
            name = Some(tidy(q));
        }
    }
    let tag = f.tag.trim();
    if !tag.is_empty() {
        rest.push(" AND (',' || w.tags || ',') LIKE ")
            .arg(format!("%,{},%", tag.replace(['%', '_', ','], "")));
    }
    if !f.condition.is_empty() {
        let as_of = f
            .as_of
            .ok_or_else(|| AppError::Internal("a derived condition without its day".into()))?;
        let cond =
            condition(backend, &f.condition, as_of).ok_or_else(|| AppError::field("condition", "未知的筛选条件"))?;
        rest.append(&cond);
    }
    Ok(Conditions { ranges, rest, name })
}

/// The name-search side table's entries for `text` in the scope's `ranges`
/// (alias `g`), joined to the workers (alias `w`) when `rest` has conditions
/// on them: ` FROM … WHERE …`. One or two characters are an entry of their
/// own; a longer text reads the entries of its first two characters and
/// keeps the names holding the whole of it (`%` and `_` in it match only
/// themselves).
fn name_search(text: &str, ranges: &[(i64, i64)], rest: &Sql) -> Sql {
    let gram: String = text.chars().take(2).collect();
    let mut q = Sql::new(" FROM worker_name_grams g");
    if !rest.text().is_empty() {
        q.push(" JOIN workers w ON w.id = g.worker_id");
    }
    q.push(" WHERE g.gram = ").arg(gram).push(" AND ");
    q.in_ranges("g.region_code", ranges);
    if text.chars().count() > 2 {
        q.push(" AND ").like_contains("g.name", text);
    }
    q.append(rest);
    q
}

/// A page of workers in the actor's scope, with the total (at most
/// `count_cap + 1`, meaning "more than `count_cap`"). A name search matches
/// any part of a name.
pub async fn list_workers(
    db: &Db,
    cipher: &Cipher,
    actor: &Actor,
    f: &WorkerFilter,
    limit: i64,
    offset: i64,
    count_cap: i64,
) -> AppResult<(Vec<WorkerRow>, i64)> {
    require(actor, Permission::ReadPii)?;
    let mut tx = db.read().await?;
    let backend = tx.backend();
    let Conditions { ranges, rest, name } = conditions(backend, cipher, actor, f)?;
    // A name search lists by name unless asked otherwise (the order of the
    // side table's entries).
    let sort = if f.sort.is_empty() && name.is_some() {
        "name"
    } else {
        f.sort.as_str()
    };
    let by_name_order = format!(" ORDER BY {}, w.id", dialect::worker_name_order(backend));
    let order = match sort {
        "name" => by_name_order.as_str(),
        "region" => " ORDER BY w.region_code, w.id",
        _ => " ORDER BY w.id DESC",
    };
    let (total, ids) = if let Some(text) = &name {
        // Read from the side table: its entries for the text, in name order.
        let from = name_search(text, &ranges, &rest);
        let mut count = Sql::new("SELECT COUNT(*) FROM (SELECT 1");
        count
            .append(&from)
            .push(" LIMIT ")
            .arg(count_cap + 1)
            .push(") AS capped");
        let total = tx.int(count).await?;
        let mut ids = Sql::new("SELECT g.worker_id AS id");
        ids.append(&from).push(match sort {
            "name" => " ORDER BY g.name, g.worker_id",
            "region" => " ORDER BY g.region_code, g.worker_id",
            _ => " ORDER BY g.worker_id DESC",
        });
        ids.page(limit, offset);
        (total, ids)
    } else {
        // Scope and region conditions; on SQLite they can be kept away from
        // the region index so that a broad scope walks the primary key
        // (newest first) instead of sorting the whole scope.
        let scope = |no_index: bool| {
            let mut w = Sql::new(" WHERE ");
            w.in_ranges(crate::reach::worker_region(backend, actor, no_index), &ranges);
            w
        };
        let mut count = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM workers w");
        count.append(&scope(false)).append(&rest);
        count.push(" LIMIT ").arg(count_cap + 1).push(") AS capped");
        let total = if actor.worker_reach().direct {
            tx.int(count).await?
        } else {
            reach_count(db, &mut tx, count, count_cap).await?
        };
        // The page's ids first, from the indexes alone; then only those rows.
        let mut ids = Sql::new("SELECT w.id FROM workers w");
        ids.append(&scope(total > count_cap)).append(&rest);
        ids.push(order);
        ids.page(limit, offset);
        (total, ids)
    };
    let mut list = Sql::new(WORKER_COLUMNS);
    list.push(" WHERE w.id IN (SELECT id FROM (")
        .append(&ids)
        .push(") AS page)");
    list.push(order);
    Ok((tx.all(list).await?, total))
}

/// Columns of the worker export.
const EXPORT_HEADERS: [&str; 10] = [
    "姓名",
    "身份证号",
    "性别",
    "出生年份",
    "手机号",
    "现居住地",
    "户籍地",
    "文化程度",
    "职业技能",
    "标签",
];

/// Writes every worker matching the filter to an xlsx file at `path`, a page
/// at a time in constant memory; the values stay masked, and the export is
/// audited. Returns the number of rows written.
pub async fn export_workers(call: &Call<'_>, f: &WorkerFilter, path: &std::path::Path) -> AppResult<u64> {
    use crate::xlsx::{XCell, XlsxStream};
    require(call.actor, Permission::ReadPii)?;
    const PAGE: i64 = 5_000;
    let widths = [10.0, 22.0, 6.0, 12.0, 14.0, 16.0, 24.0, 12.0, 16.0, 16.0];
    let mut out = XlsxStream::create(path, "农民工名册", &EXPORT_HEADERS, &widths)?;
    let mut after: Option<i64> = None;
    loop {
        let mut tx = call.db.read().await?;
        let c = conditions(tx.backend(), call.cipher, call.actor, f)?;
        let mut q = Sql::new(WORKER_COLUMNS);
        q.push(" WHERE ");
        q.in_ranges("w.region_code", &c.ranges);
        q.append(&c.rest);
        if let Some(text) = &c.name {
            q.push(" AND ").like_contains("w.name", text);
        }
        if let Some(last) = after {
            q.push(" AND w.id < ").arg(last);
        }
        q.push(" ORDER BY w.id DESC LIMIT ").arg(PAGE);
        let rows: Vec<WorkerRow> = tx.all(q).await?;
        drop(tx);
        for r in &rows {
            let birth = r.birth_year.to_string();
            out.row(&[
                XCell::Text(&r.name),
                XCell::Text(&r.id_masked),
                XCell::Text(&r.sex),
                XCell::Text(&birth),
                XCell::Text(&r.phone_masked),
                XCell::Text(&r.region_name),
                XCell::Text(&r.hukou_place),
                XCell::Text(&r.education),
                XCell::Text(&r.skills),
                XCell::Text(&r.tags),
            ])?;
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE => after = Some(last.id),
            _ => break,
        }
    }
    let n = out.rows();
    out.finish()?;
    let detail = format!(
        "rows={n}; region={}; tag={}; condition={}; q={}",
        f.region.map(|r| r.to_string()).unwrap_or_default(),
        f.tag,
        f.condition,
        if f.q.is_empty() { "" } else { "(有)" }
    );
    audit::record_alone(
        call.db,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("worker.export", "worker", "").detail(detail),
    )
    .await?;
    Ok(n)
}

/// Which value to reveal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevealField {
    IdNumber,
    Phone,
}

/// Shows one sealed value in full, with a reason, and records it.
pub async fn reveal(call: &Call<'_>, id: WorkerId, field: RevealField, reason: &str) -> AppResult<String> {
    let id = id.0;
    let Call {
        db,
        cipher,
        actor,
        origin,
        now,
    } = *call;
    require(actor, Permission::RevealPii)?;
    let mut tx = db.write().await?;
    let w = get_in(&mut tx, actor, id).await?;
    let reason = reason.trim();
    if reason.chars().count() < 4 {
        return Err(AppError::field("reason", "请填写查看完整信息的事由（至少4个字）"));
    }
    let (column, ctx_field, code) = match field {
        RevealField::IdNumber => ("id_sealed", "id", "id_number"),
        RevealField::Phone => ("phone_sealed", "phone", "phone"),
    };
    let sealed: (Option<Vec<u8>>,) = tx
        .one(Sql::new(&format!("SELECT {column} FROM workers WHERE id = $1")).bind(id))
        .await?;
    let Some(sealed) = sealed.0 else {
        return Err(AppError::NotFound);
    };
    let plain = cipher.open(&worker_context(ctx_field, &w.id_index), &sealed)?;
    audit::record(
        &mut tx,
        now,
        &Who::actor(actor, origin),
        Event::ok("pii.reveal", "worker", id).detail(format!("field={code}; reason={reason}")),
    )
    .await?;
    tx.commit().await?;
    String::from_utf8(plain).map_err(|_| AppError::Internal("sealed value is not text".into()))
}

/// What a form gives for a family member.
#[derive(Clone, Debug, Default)]
pub struct DependantInput {
    pub relation: String,
    pub name: String,
    pub id_number: String,
    pub birth_date: String,
}

/// Adds a family member to a worker in scope.
pub async fn add_dependant(call: &Call<'_>, worker_id: WorkerId, input: &DependantInput) -> AppResult<i64> {
    let worker_id = worker_id.0;
    let Call {
        db,
        cipher,
        actor,
        origin,
        now,
    } = *call;
    require(actor, Permission::WriteRecords)?;
    let mut tx = db.write().await?;
    let w = get_in(&mut tx, actor, worker_id).await?;
    let mut errs = FieldErrors::default();
    let relation = input.relation.trim();
    if let Err(e) = person::check_relation(relation) {
        errs.add("relation", e);
    }
    let name = input.name.trim();
    check_name("name", name, &mut errs);
    let id = if input.id_number.trim().is_empty() {
        None
    } else {
        match IdNumber::parse(&input.id_number) {
            Ok(id) => Some(id),
            Err(e) => {
                errs.add("id_number", e.to_string());
                None
            }
        }
    };
    let birth = match person::dependant_birth(id.as_ref(), parse_date(&input.birth_date), now.date_naive()) {
        Ok(b) => Some(b),
        Err(e) => {
            errs.add("birth_date", e);
            None
        }
    };
    errs.into_result()?;
    let birth = birth.ok_or_else(|| AppError::Internal("validated dependant without birth date".into()))?;
    let owner = Owner {
        id: w.id,
        county_code: w.county_code,
        id_index: &w.id_index,
    };
    let new_id = insert_dependant(&mut tx, cipher, now, &owner, relation, name, id.as_ref(), birth)
        .await
        .map_err(crate::store::unique_as("id_number", "该身份证号已作为随迁家属登记"))?;
    crate::plan::feed::family_moved(&mut tx, w.id, 1).await?;
    audit::record(
        &mut tx,
        now,
        &Who::actor(actor, origin),
        Event::ok("dependant.create", "worker", worker_id).detail(format!("dependant={new_id}; relation={relation}")),
    )
    .await?;
    tx.commit().await?;
    Ok(new_id)
}

/// The worker a family member belongs to.
pub(crate) struct Owner<'a> {
    pub(crate) id: i64,
    pub(crate) county_code: i64,
    pub(crate) id_index: &'a [u8],
}

/// What a family member's name is bound to: the worker and the relation.
pub fn dependant_name_context(worker_index: &[u8], relation: &str) -> String {
    format!("dependants.name:{}:{relation}", crate::hex(worker_index))
}

/// Stores a family member of worker `w` whose fields are valid. The
/// figures that count family members are the caller's to keep current
/// (`feed::family_moved`; the demo rebuilds them once at its end).
#[expect(clippy::too_many_arguments, reason = "the fields of one row")]
pub(crate) async fn insert_dependant(
    tx: &mut Tx,
    cipher: &Cipher,
    now: DateTime<Utc>,
    w: &Owner<'_>,
    relation: &str,
    name: &str,
    id: Option<&IdNumber>,
    birth: NaiveDate,
) -> AppResult<i64> {
    let (id_sealed, id_index, id_masked) = match id {
        Some(d) => {
            let index = cipher.blind_index("id_number", d.as_str());
            (
                Some(cipher.seal(&dependant_context("id", &index), d.as_str().as_bytes())?),
                Some(index),
                d.masked(),
            )
        }
        None => (None, None, String::new()),
    };
    let name_context = dependant_name_context(w.id_index, relation);
    let row = tx
        .int(
        Sql::new(
            "INSERT INTO dependants (worker_id, county_code, relation, name_sealed, name_masked, id_sealed, id_index, id_masked, birth_year, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(w.id)
        .bind(w.county_code)
        .bind(relation)
        .bind(cipher.seal(&name_context, name.as_bytes())?)
        .bind(mask_name(name))
        .bind(id_sealed)
        .bind(id_index)
        .bind(id_masked)
        .bind(birth.year())
        .bind(now),
    )
    .await?;
    seal_birth(tx, cipher, DependantId(row), birth).await?;
    Ok(row)
}

/// What a family member's birth date is bound to: the family member's row
/// (which a merge keeps when it moves the family member).
pub fn dependant_birth_context(dependant_id: DependantId) -> String {
    format!("dependants.birth:{dependant_id}")
}

/// Seals the full birth date of family member `id`.
async fn seal_birth(tx: &mut Tx, cipher: &Cipher, id: DependantId, birth: NaiveDate) -> AppResult<()> {
    let sealed = cipher.seal(
        &dependant_birth_context(id),
        birth.format("%Y-%m-%d").to_string().as_bytes(),
    )?;
    tx.exec(
        Sql::new("UPDATE dependants SET birth_sealed = $1 WHERE id = $2")
            .bind(sealed)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// The full birth date of a family member, opened from `sealed`.
pub fn open_birth(cipher: &Cipher, dependant_id: DependantId, sealed: Option<&[u8]>) -> AppResult<Option<NaiveDate>> {
    let Some(sealed) = sealed else { return Ok(None) };
    let plain = cipher.open(&dependant_birth_context(dependant_id), sealed)?;
    let text = String::from_utf8(plain).map_err(|_| AppError::Internal("sealed birth date is not text".into()))?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::Internal("sealed birth date is not a date".into()))
}

/// Seals the family members' birth dates that migration 0017 left in its
/// holding table (the database holds no key, so the migration could not seal
/// them) and empties it. Runs wherever the program opens the database with
/// the key; returns how many were sealed (0 once done).
pub async fn seal_pending_births(db: &Db, cipher: &Cipher) -> AppResult<u64> {
    const BATCH: i64 = 500;
    let mut sealed = 0;
    loop {
        let mut tx = db.write().await?;
        let rows: Vec<(i64, NaiveDate)> = tx
            .all(
                Sql::new(
                    "SELECT dependant_id, birth_date FROM dependant_births_pending ORDER BY dependant_id LIMIT $1",
                )
                .bind(BATCH),
            )
            .await?;
        if rows.is_empty() {
            return Ok(sealed);
        }
        for (id, birth) in &rows {
            seal_birth(&mut tx, cipher, DependantId(*id), *birth).await?;
            tx.exec(Sql::new("DELETE FROM dependant_births_pending WHERE dependant_id = $1").bind(*id))
                .await?;
            sealed += 1;
        }
        tx.commit().await?;
    }
}

pub fn dependant_context(field: &str, index: &[u8]) -> String {
    format!("dependants.{field}:{}", crate::hex(index))
}

pub use shiminhua_core::record::parse_date;

/// Counts of workers and family members in an actor's scope (工作台).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerCounts {
    pub workers: i64,
    pub dependants: i64,
    /// The counts stop at [`COUNT_CAP`] + 1 ("more than [`COUNT_CAP`]"):
    /// an account that reaches workers only through its records or cases
    /// (a department, an inspector) is counted by walking them, which is
    /// bounded like a list's count.
    pub capped: bool,
}

/// Tally rows in a scope above which a read sums them up
/// ([`fold_tallies`]) before it answers again.
const FOLD_ABOVE: i64 = 2_000;

/// Counts of workers and family members in the actor's scope (工作台).
/// Accounts reaching workers by region read the tallies that the database
/// keeps per place as workers and family members are written (migration
/// 0022), so the answer costs the same at any size; the others are counted
/// up to [`COUNT_CAP`] + 1.
pub async fn counts(db: &Db, actor: &Actor) -> AppResult<WorkerCounts> {
    require(actor, Permission::ReadPii)?;
    let ranges = crate::reach::worker_ranges(actor);
    let mut tx = db.read().await?;
    if actor.worker_reach().direct {
        let mut q = Sql::new(
            "SELECT CAST(COALESCE(SUM(t.workers), 0) AS BIGINT), CAST(COALESCE(SUM(t.dependants), 0) AS BIGINT), \
             COUNT(*) FROM worker_tallies t WHERE ",
        );
        q.in_ranges("t.region_code", &ranges);
        let (workers, dependants, rows): (i64, i64, i64) = tx.one(q).await?;
        drop(tx);
        if rows > FOLD_ABOVE {
            fold_tallies(db).await?;
        }
        return Ok(WorkerCounts {
            workers,
            dependants,
            capped: false,
        });
    }
    let backend = tx.backend();
    let capped_count = |from: &str| {
        let mut q = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM ");
        q.push(from).push(" WHERE ");
        q.in_ranges(crate::reach::worker_region(backend, actor, false), &ranges);
        q.append(&crate::reach::worker_condition(backend, actor));
        q.push(" LIMIT ").arg(COUNT_CAP + 1).push(") AS capped");
        q
    };
    let workers = reach_count(db, &mut tx, capped_count("workers w"), COUNT_CAP).await?;
    let dependants = reach_count(
        db,
        &mut tx,
        capped_count("dependants d JOIN workers w ON w.id = d.worker_id"),
        COUNT_CAP,
    )
    .await?;
    Ok(WorkerCounts {
        workers,
        dependants,
        capped: true,
    })
}

/// How long a reach counted past its cap is remembered ([`reach_count`]).
const PAST_CAP_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// A capped count (`SELECT COUNT(*) FROM (… LIMIT cap + 1)`) for an account
/// that reaches workers through its records or cases. Such a reach has no
/// tally (whether a worker has a record of these kinds in these places is a
/// question about each worker), so it is counted by walking it, at a cost
/// that grows with the cap: a city department at 1,000,000 workers probes
/// about 50,000 workers to find 10,000 (0.3 s). Past the cap the answer is
/// "more than the cap", which a minute hardly changes, so that answer is
/// remembered for [`PAST_CAP_FOR`], per database and query (the query holds
/// the account's kinds and places). A count under the cap is taken afresh
/// on every request, so it is always exact.
async fn reach_count(db: &Db, tx: &mut Tx, q: Sql, cap: i64) -> AppResult<i64> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Instant;
    static PAST_CAP: Mutex<Option<HashMap<(crate::store::DbId, String), Instant>>> = Mutex::new(None);
    let key = (db.identity(), format!("{q:?}"));
    let now = Instant::now();
    {
        let mut memo = PAST_CAP.lock().unwrap_or_else(|e| e.into_inner());
        let memo = memo.get_or_insert_with(HashMap::new);
        memo.retain(|_, at| now.duration_since(*at) < PAST_CAP_FOR);
        if memo.contains_key(&key) {
            return Ok(cap + 1);
        }
    }
    let n = tx.int(q).await?;
    if n > cap {
        PAST_CAP
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashMap::new)
            .insert(key, now);
    }
    Ok(n)
}

/// Sums the tally rows up to one per place (dropping places left at zero).
/// Runs in a write transaction of its own: the rows it takes are deleted and
/// their sums written back in one go, while writers on PostgreSQL keep adding
/// rows, which the next fold takes. Returns the rows written back.
pub async fn fold_tallies(db: &Db) -> AppResult<u64> {
    let mut tx = db.write().await?;
    let taken: Vec<(i64, i64, i64)> = tx
        .all(Sql::new(
            "DELETE FROM worker_tallies RETURNING region_code, workers, dependants",
        ))
        .await?;
    let mut sums: std::collections::BTreeMap<i64, (i64, i64)> = std::collections::BTreeMap::new();
    for (region, workers, dependants) in taken {
        let s = sums.entry(region).or_default();
        s.0 += workers;
        s.1 += dependants;
    }
    let rows: Vec<Vec<crate::store::Arg>> = sums
        .into_iter()
        .filter(|(_, (w, d))| *w != 0 || *d != 0)
        .map(|(region, (w, d))| vec![region.into(), w.into(), d.into()])
        .collect();
    let written = tx
        .bulk_insert("worker_tallies", &["region_code", "workers", "dependants"], rows)
        .await?;
    tx.commit().await?;
    Ok(written)
}
