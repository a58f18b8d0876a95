//! The facility registries (设施台账): 工会驿站, 返乡创业示范园, 家政企业,
//! 家政劳务输出示范基地 and 保障性租赁住房项目, described by
//! `shiminhua_core::facility` and stored in `facilities` with the kind's
//! fields as a JSON object (as records are).
//!
//! Scope: facilities hold no personal information, so they are not a record
//! kind of the data scope; a facility is visible to a user holding
//! `ViewDashboard` (every business role) whose scope covers its region for
//! any kind, and writable with `WriteRecords` on the same condition. The
//! natural key (kind + key fields) refuses a second entry of one facility;
//! every update or deletion first keeps the earlier version in `history`
//! (object_kind 'facility', worker_id 0).

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::fields::{self, shown};
use crate::history::keep_history;
use crate::regions::PlaceBook;
use crate::store::{Db, Sql, Tx, contains_pattern, is_unique_violation};
use crate::stored_values::{fields_from_json, fields_to_json};
use crate::{Call, require};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::facility::{self, FacilityKind, FacilitySpec};
use shiminhua_core::field::{FieldSpec, Value, Values};
use shiminhua_core::ids::FacilityId;
use std::collections::HashMap;

/// A stored facility.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FacilityRow {
    pub id: i64,
    pub kind: String,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub name: String,
    pub natural_key: String,
    pub data: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub version: i64,
}

impl FacilityRow {
    pub fn facility_kind(&self) -> Option<FacilityKind> {
        FacilityKind::from_code(&self.kind)
    }

    pub fn values(&self) -> Values {
        self.facility_kind()
            .map(|k| fields_from_json(k.spec().fields, &self.data))
            .unwrap_or_default()
    }

    /// Label and text of each field given, as shown on screen and in exports.
    pub fn describe(&self, places: &PlaceBook) -> Vec<(&'static str, String)> {
        let Some(kind) = self.facility_kind() else {
            return Vec::new();
        };
        fields::describe(kind.spec().fields, &self.values(), places, None)
    }

    /// The raw field texts, for an edit form.
    pub fn form_values(&self) -> HashMap<String, String> {
        fields::form_values(self.values())
    }
}

const COLUMNS: &str = "SELECT f.id, f.kind, f.county_code, f.region_code, g.name AS region_name, f.name, \
     f.natural_key, f.data, f.created_at, f.created_by, f.updated_at, f.updated_by, f.version \
     FROM facilities f JOIN regions g ON g.code = f.region_code";

/// A facility inside the actor's scope (NotFound outside it).
async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<FacilityRow> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE f.id = ").arg(id).push(" AND ");
    q.in_ranges("f.region_code", &actor.scope.region_ranges());
    tx.one(q).await
}

/// One facility, for its edit form.
pub async fn get(db: &Db, actor: &Actor, id: FacilityId) -> AppResult<FacilityRow> {
    let id = id.0;
    require(actor, Permission::ViewDashboard)?;
    get_in(&mut db.read().await?, actor, id).await
}

/// A validated facility ready to store.
pub(crate) struct Valid {
    values: Values,
    region: DivisionCode,
    county: DivisionCode,
    name: String,
    pub(crate) natural_key: String,
}

/// Validates raw field texts; errors are per field, in Chinese. The place
/// must lie in the writer's scope.
pub(crate) async fn validate(
    tx: &mut Tx,
    call: &Call<'_>,
    spec: &'static FacilitySpec,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<Valid> {
    let places = PlaceBook::load(tx).await?;
    let values = fields::read(spec, get, &places, call.now)?;
    let Some(Value::Place(region)) = values.get(spec.place).cloned() else {
        return Err(AppError::Internal("validated facility without a place".into()));
    };
    let county = region
        .county()
        .ok_or_else(|| AppError::Internal("facility region without a county".into()))?;
    if !call.actor.scope.covers_region(region) {
        return Err(AppError::field(
            spec.place,
            format!("该{}所在地不在您的数据范围内", spec.label),
        ));
    }
    Ok(Valid {
        name: facility::name(spec, &values),
        natural_key: facility::natural_key(spec, &values),
        values,
        region,
        county,
    })
}

/// The error for a facility whose natural key is already on file.
fn duplicate(spec: &FacilitySpec) -> AppError {
    AppError::field(
        spec.key.first().copied().unwrap_or(spec.name),
        format!(
            "已有{}相同的{}，请修改已有的那一条",
            spec.key_labels().join("、"),
            spec.label
        ),
    )
}

/// Another facility of the kind with this natural key.
async fn taken(tx: &mut Tx, spec: &FacilitySpec, key: &str, except: i64) -> AppResult<bool> {
    let found: Option<(i64,)> = tx
        .opt(
            Sql::new("SELECT id FROM facilities WHERE kind = $1 AND natural_key = $2 AND id <> $3")
                .bind(spec.kind.code())
                .bind(key.to_string())
                .bind(except),
        )
        .await?;
    Ok(found.is_some())
}

/// The caller may write facilities somewhere.
fn writer(call: &Call<'_>) -> AppResult<()> {
    require(call.actor, Permission::WriteRecords)?;
    if call.actor.scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Adds a facility of `kind`; the same facility (natural key) already on
/// file is a field error.
pub async fn create(call: &Call<'_>, kind: FacilityKind, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<i64> {
    writer(call)?;
    let spec = kind.spec();
    let mut tx = call.db.write().await?;
    let v = validate(&mut tx, call, spec, get).await?;
    if taken(&mut tx, spec, &v.natural_key, 0).await? {
        return Err(duplicate(spec));
    }
    let id = insert(&mut tx, call, spec, &v).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a facility in scope; refused when `version` is stale. The
/// earlier version is kept in history.
pub async fn update(
    call: &Call<'_>,
    id: FacilityId,
    version: i64,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<()> {
    let id = id.0;
    require(call.actor, Permission::WriteRecords)?;
    let mut tx = call.db.write().await?;
    let current = get_in(&mut tx, call.actor, id).await?;
    let kind = current.facility_kind().ok_or(AppError::NotFound)?;
    let spec = kind.spec();
    let v = validate(&mut tx, call, spec, get).await?;
    if current.version != version {
        return Err(stale(spec));
    }
    if taken(&mut tx, spec, &v.natural_key, id).await? {
        return Err(duplicate(spec));
    }
    if fields_to_json(spec.fields, &v.values) == current.data {
        return Ok(());
    }
    change(&mut tx, call, &current, &v).await?;
    tx.commit().await
}

/// The error for an edit from a version that is no longer current.
fn stale(spec: &FacilitySpec) -> AppError {
    AppError::Conflict(format!(
        "保存失败：该{}信息已被他人修改。请刷新页面查看最新内容后再修改，您填写的内容仍保留在表单中。",
        spec.label
    ))
}

/// Stores a new facility; audited.
async fn insert(tx: &mut Tx, call: &Call<'_>, spec: &'static FacilitySpec, v: &Valid) -> AppResult<i64> {
    let by = call.actor.display_name.clone();
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO facilities (kind, county_code, region_code, name, natural_key, data, \
                 created_at, created_by, updated_at, updated_by, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) RETURNING id",
            )
            .bind(spec.kind.code())
            .bind(v.county.as_i64())
            .bind(v.region.as_i64())
            .bind(v.name.clone())
            .bind(v.natural_key.clone())
            .bind(fields_to_json(spec.fields, &v.values))
            .bind(call.now)
            .bind(by.clone())
            .bind(call.now)
            .bind(by),
        )
        .await
        .map_err(|e| if is_unique_violation(&e) { duplicate(spec) } else { e })?;
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("facility.create", "facility", id).detail(format!("kind={}", spec.kind.code())),
    )
    .await?;
    Ok(id)
}

/// Replaces a stored facility's values, keeping the earlier version in
/// history; refused when it changed meanwhile. Audited.
async fn change(tx: &mut Tx, call: &Call<'_>, current: &FacilityRow, v: &Valid) -> AppResult<()> {
    let kind = current.facility_kind().ok_or(AppError::NotFound)?;
    let spec = kind.spec();
    keep_history(
        tx,
        call,
        "facility",
        current.id,
        0,
        current.version,
        "update",
        &current.data,
    )
    .await?;
    let n = tx
        .exec(
            Sql::new(
                "UPDATE facilities SET county_code = $1, region_code = $2, name = $3, natural_key = $4, data = $5, \
                 updated_at = $6, updated_by = $7, version = version + 1 WHERE id = $8 AND version = $9",
            )
            .bind(v.county.as_i64())
            .bind(v.region.as_i64())
            .bind(v.name.clone())
            .bind(v.natural_key.clone())
            .bind(fields_to_json(spec.fields, &v.values))
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(current.id)
            .bind(current.version),
        )
        .await
        .map_err(|e| if is_unique_violation(&e) { duplicate(spec) } else { e })?;
    if n != 1 {
        return Err(stale(spec));
    }
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("facility.update", "facility", current.id).detail(format!("kind={}", kind.code())),
    )
    .await
}

/// Adds the facility a row of an import describes (validated with
/// [`validate`]), or changes the one with its natural key (in the importer's
/// scope). With `dry_run` nothing is
/// written; the outcome says what would happen.
pub(crate) async fn upsert(
    tx: &mut Tx,
    call: &Call<'_>,
    spec: &'static FacilitySpec,
    v: &Valid,
    dry_run: bool,
) -> AppResult<crate::registry::Outcome> {
    use crate::registry::Outcome;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE f.kind = ")
        .arg(spec.kind.code())
        .push(" AND f.natural_key = ")
        .arg(v.natural_key.clone());
    let found: Option<FacilityRow> = tx.opt(q).await?;
    match found {
        None if dry_run => Ok(Outcome::Inserted(0)),
        None => Ok(Outcome::Inserted(insert(tx, call, spec, v).await?)),
        Some(cur) => {
            let in_scope = DivisionCode::from_i64(cur.region_code).is_ok_and(|r| call.actor.scope.covers_region(r));
            if !in_scope {
                // The answer a form gives for the same key: nothing more
                // about a facility in another region is told.
                return Err(duplicate(spec));
            }
            if fields_to_json(spec.fields, &v.values) == cur.data {
                Ok(Outcome::Unchanged(cur.id))
            } else {
                if !dry_run {
                    change(tx, call, &cur, v).await?;
                }
                Ok(Outcome::Updated(cur.id))
            }
        }
    }
}

/// Deletes a facility in scope (its last version stays in history); returns
/// its kind.
pub async fn delete(call: &Call<'_>, id: FacilityId, version: i64) -> AppResult<FacilityKind> {
    let id = id.0;
    require(call.actor, Permission::WriteRecords)?;
    let mut tx = call.db.write().await?;
    let current = get_in(&mut tx, call.actor, id).await?;
    let kind = current.facility_kind().ok_or(AppError::NotFound)?;
    if current.version != version {
        return Err(AppError::Conflict(format!(
            "删除失败：该{}信息已被他人修改，请刷新页面后再操作。",
            kind.label_zh()
        )));
    }
    keep_history(&mut tx, call, "facility", id, 0, version, "delete", &current.data).await?;
    tx.exec(Sql::new("DELETE FROM facilities WHERE id = $1").bind(id))
        .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("facility.delete", "facility", id).detail(format!("kind={}; name={}", kind.code(), current.name)),
    )
    .await?;
    tx.commit().await?;
    Ok(kind)
}

/// Filters of a facility list.
#[derive(Clone, Debug, Default)]
pub struct FacilityFilter {
    /// A region subtree (within the actor's scope).
    pub region: Option<DivisionCode>,
    /// Part of the name.
    pub q: String,
    /// Only these facilities (the ones a plan figure counts, from
    /// `plan::facility_tally::counted`); `None`: any.
    pub ids: Option<Vec<i64>>,
}

/// ` WHERE` the kind, the actor's scope narrowed to the filter's region,
/// the name, and the facilities listed. Columns are those of `facilities f`.
fn condition(actor: &Actor, kind: FacilityKind, f: &FacilityFilter) -> Sql {
    let mut ranges = actor.scope.region_ranges();
    if let Some(r) = f.region {
        let (lo, hi) = r.subtree_range();
        ranges = ranges
            .into_iter()
            .map(|(a, b)| (a.max(lo), b.min(hi)))
            .filter(|(a, b)| a <= b)
            .collect();
    }
    let mut cond = Sql::new(" WHERE f.kind = ");
    cond.arg(kind.code()).push(" AND ");
    cond.in_ranges("f.region_code", &ranges);
    let q = shiminhua_core::record::tidy(&f.q);
    if !q.is_empty() {
        cond.push(" AND f.name LIKE ")
            .arg(contains_pattern(&q))
            .push(" ESCAPE '\\'");
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            cond.push(" AND 1 = 0");
        } else {
            cond.push(" AND f.id IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    cond.push(", ");
                }
                cond.arg(*id);
            }
            cond.push(")");
        }
    }
    cond
}

/// A page of facilities of one kind in scope, by region then entry order,
/// with the total (at most `count_cap + 1`).
pub async fn list(
    db: &Db,
    actor: &Actor,
    kind: FacilityKind,
    f: &FacilityFilter,
    limit: i64,
    offset: i64,
    count_cap: i64,
) -> AppResult<(Vec<FacilityRow>, i64)> {
    require(actor, Permission::ViewDashboard)?;
    let mut tx = db.read().await?;
    let cond = condition(actor, kind, f);
    let mut count = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM facilities f");
    count
        .append(&cond)
        .push(" LIMIT ")
        .arg(count_cap + 1)
        .push(") AS capped");
    let total = tx.int(count).await?;
    let mut q = Sql::new(COLUMNS);
    q.append(&cond).push(" ORDER BY f.region_code, f.id");
    q.page(limit, offset);
    Ok((tx.all(q).await?, total))
}

/// Facilities read from the database at a time by an export.
pub const EXPORT_PAGE: i64 = 5_000;

/// Writes the facilities of one kind in scope that match the filter to
/// `path` as a workbook and records the export in the audit trail; returns
/// the number of rows. Memory stays constant (pages of [`EXPORT_PAGE`], a
/// streamed sheet).
pub async fn export(call: &Call<'_>, kind: FacilityKind, f: &FacilityFilter, path: &std::path::Path) -> AppResult<u64> {
    export_paged(call, kind, f, path, EXPORT_PAGE).await
}

/// [`export`] reading `page` facilities at a time (tests use small pages).
pub async fn export_paged(
    call: &Call<'_>,
    kind: FacilityKind,
    f: &FacilityFilter,
    path: &std::path::Path,
    page: i64,
) -> AppResult<u64> {
    use crate::xlsx::{XCell, XlsxStream, local_time};
    require(call.actor, Permission::ViewDashboard)?;
    let spec = kind.spec();
    let page = page.max(1);
    let book = PlaceBook::load(&mut call.db.read().await?).await?;
    let cond = condition(call.actor, kind, f);
    let mut headers = vec!["所属区县"];
    headers.extend(spec.fields.iter().map(|f| f.label));
    headers.extend(["最后修改时间", "最后修改人"]);
    let mut widths = vec![12.0];
    widths.extend(spec.fields.iter().map(|f| if f.key == spec.name { 30.0 } else { 16.0 }));
    widths.extend([18.0, 12.0]);
    let mut out = XlsxStream::create(path, spec.label, &headers, &widths)?;
    let mut after: Option<i64> = None;
    loop {
        let mut q = Sql::new(COLUMNS);
        q.append(&cond);
        if let Some(last) = after {
            q.push(" AND f.id > ").arg(last);
        }
        q.push(" ORDER BY f.id LIMIT ").arg(page);
        let rows: Vec<FacilityRow> = call.db.read().await?.all(q).await?;
        for r in &rows {
            let values = r.values();
            let texts: Vec<Option<String>> = spec
                .fields
                .iter()
                .map(|f| values.get(f.key).map(|v| shown(f, v, &book)))
                .collect();
            let county = book.name(r.county_code).to_string();
            let updated = local_time(r.updated_at);
            let mut cells = vec![XCell::Text(&county)];
            cells.extend(texts.iter().map(|t| t.as_deref().map_or(XCell::Empty, XCell::Text)));
            cells.push(XCell::Text(&updated));
            cells.push(XCell::Text(&r.updated_by));
            out.row(&cells)?;
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == page => after = Some(last.id),
            _ => break,
        }
    }
    let n = out.rows();
    out.finish()?;
    let detail = format!(
        "kind={}; rows={n}; region={}; q={}",
        kind.code(),
        f.region.map(|r| r.to_string()).unwrap_or_default(),
        f.q.chars().take(50).collect::<String>()
    );
    audit::record_alone(
        call.db,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("facility.export", "facility", "").detail(detail),
    )
    .await?;
    Ok(n)
}
