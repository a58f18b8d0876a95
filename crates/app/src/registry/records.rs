//! The registry, part 2: the seven record kinds (就业 … 落户) of each worker.
//!
//! A record belongs to a worker, has an owning unit, a region (its place, or
//! the worker's residence) and a date that places it in a period. Its fields
//! are validated by `shiminhua_core::record` and stored as a JSON object. The
//! natural key (worker, kind, key fields) makes the same record arrive twice
//! as an update, never a duplicate; every change keeps the earlier version in
//! `history`.

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::fields;
use crate::history::keep_history;
use crate::plan::feed::RecordChange;
use crate::regions::PlaceBook;
use crate::registry::Outcome;
use crate::store::{Backend, Db, Sql, Tx, dialect};
pub use crate::stored_values::{fields_from_json, fields_to_json, from_json, to_json};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::{RecordId, WorkerId};
use shiminhua_core::record::{self, FieldSpec, FieldType, KindSpec, Value, Values};

/// The spec of a record kind, or NotFound for workers and cases.
pub fn spec_of(kind: RecordKind) -> AppResult<&'static KindSpec> {
    record::spec(kind).ok_or(AppError::NotFound)
}

/// A stored record.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RecordRow {
    pub id: i64,
    pub kind: String,
    pub worker_id: i64,
    pub worker_name: String,
    pub worker_id_masked: String,
    pub dependant_id: Option<i64>,
    pub child_masked: Option<String>,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub period_date: NaiveDate,
    pub data: String,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl RecordRow {
    pub fn record_kind(&self) -> Option<RecordKind> {
        RecordKind::from_code(&self.kind)
    }

    pub fn values(&self) -> Values {
        self.record_kind()
            .and_then(record::spec)
            .map(|s| from_json(s, &self.data))
            .unwrap_or_default()
    }

    /// Label and text of each field given, as shown on screen and in exports.
    pub fn describe(&self, places: &PlaceBook) -> Vec<(&'static str, String)> {
        let Some(spec) = self.record_kind().and_then(record::spec) else {
            return Vec::new();
        };
        fields::describe(
            spec.fields,
            &from_json(spec, &self.data),
            places,
            self.child_masked.as_deref(),
        )
    }

    /// The raw field texts, for an edit form.
    pub fn form_values(&self) -> std::collections::HashMap<String, String> {
        let mut m = fields::form_values(self.values());
        if let Some(c) = &self.child_masked {
            m.insert("child".into(), c.clone());
        }
        m
    }
}

const RECORD_COLUMNS: &str = "SELECT r.id, r.kind, r.worker_id, w.name AS worker_name, w.id_masked AS worker_id_masked, \
     r.dependant_id, d.name_masked AS child_masked, r.county_code, r.region_code, g.name AS region_name, r.unit_id, \
     u.short_name AS unit_name, r.period_date, r.data, r.source, r.created_at, r.updated_at, r.version \
     FROM records r JOIN workers w ON w.id = r.worker_id JOIN regions g ON g.code = r.region_code \
     LEFT JOIN dependants d ON d.id = r.dependant_id LEFT JOIN units u ON u.id = r.unit_id";

/// The scope condition for records: each kind within its own region ranges.
fn scope_condition(actor: &Actor, kinds: &[RecordKind]) -> Sql {
    scope_condition_on(actor, kinds, "r.kind", "r.region_code")
}

/// [`scope_condition`] over the given kind and place columns.
fn scope_condition_on(actor: &Actor, kinds: &[RecordKind], kind_col: &str, region_col: &str) -> Sql {
    let mut q = Sql::new("(");
    let mut first = true;
    for kind in kinds {
        let ranges = actor.scope.ranges_for(*kind);
        if ranges.is_empty() {
            continue;
        }
        if !first {
            q.push(" OR ");
        }
        first = false;
        q.push("(").push(kind_col).push(" = ").arg(kind.code()).push(" AND ");
        q.in_ranges(region_col, &ranges);
        q.push(")");
    }
    if first {
        q.push("1 = 0");
    }
    q.push(")");
    q
}

/// A record inside the actor's scope (NotFound outside it).
async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<RecordRow> {
    let mut q = Sql::new(RECORD_COLUMNS);
    q.push(" WHERE r.id = ").arg(id).push(" AND ");
    q.append(&scope_condition(actor, &record::KINDS));
    q.append(&crate::reach::record_condition(actor));
    tx.one(q).await
}

/// One record, for its page and edit form.
pub async fn get_record(db: &Db, actor: &Actor, id: RecordId) -> AppResult<RecordRow> {
    let id = id.0;
    require(actor, Permission::ReadPii)?;
    get_in(&mut db.read().await?, actor, id).await
}

/// A worker's records in the actor's scope, newest first (the profile's timeline).
pub async fn worker_records(db: &Db, actor: &Actor, worker_id: WorkerId) -> AppResult<Vec<RecordRow>> {
    let worker_id = worker_id.0;
    require(actor, Permission::ReadPii)?;
    let mut tx = db.read().await?;
    let backend = tx.backend();
    let mut q = Sql::new(RECORD_COLUMNS);
    q.push(" WHERE r.worker_id = ").arg(worker_id).push(" AND ");
    // Read by the worker's key, whatever the scope's kinds and places.
    q.append(&scope_condition_on(
        actor,
        &record::KINDS,
        &dialect::record_column_per_worker(backend, "r.kind"),
        &dialect::record_column_per_worker(backend, "r.region_code"),
    ));
    q.append(&crate::reach::record_condition(actor));
    q.push(" ORDER BY r.period_date DESC, r.id DESC");
    tx.all(q).await
}

/// Earlier versions of a worker and their records.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HistoryRow {
    pub object_kind: String,
    pub object_id: i64,
    pub version: i64,
    pub action: String,
    pub data: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
}

pub async fn history(db: &Db, actor: &Actor, worker_id: WorkerId) -> AppResult<Vec<HistoryRow>> {
    let worker_id = worker_id.0;
    require(actor, Permission::ReadPii)?;
    let mut tx = db.read().await?;
    // The worker must be visible to see its history.
    let mut q = Sql::new("SELECT COUNT(*) FROM workers w WHERE w.id = ");
    q.arg(worker_id).push(" AND ");
    q.in_ranges("w.region_code", &crate::reach::worker_ranges(actor));
    q.append(&crate::reach::worker_condition(tx.backend(), actor));
    if tx.int(q).await? == 0 {
        return Err(AppError::NotFound);
    }
    tx.all(
        Sql::new(
            "SELECT object_kind, object_id, version, action, data, changed_at, changed_by FROM history \
             WHERE worker_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(worker_id),
    )
    .await
}

/// The worker a record is written for.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct Owner {
    pub(crate) id: i64,
    pub(crate) region_code: i64,
    pub(crate) id_index: Vec<u8>,
}

/// Everything needed to validate records: places and the owning units.
pub(crate) struct Context {
    pub(crate) places: PlaceBook,
    /// (dept, county code) → unit id
    units: std::collections::HashMap<(String, i64), i64>,
}

impl Context {
    pub(crate) async fn load(tx: &mut Tx) -> AppResult<Context> {
        let places = PlaceBook::load(tx).await?;
        let rows: Vec<(i64, String, i64)> = tx.all(Sql::new("SELECT id, dept, region_code FROM units")).await?;
        let units = rows
            .into_iter()
            .map(|(id, dept, region)| ((dept, region), id))
            .collect();
        Ok(Context { places, units })
    }
}

/// A validated record ready to store.
pub(crate) struct Valid {
    pub(crate) spec: &'static KindSpec,
    pub(crate) values: Values,
    pub(crate) dependant_id: Option<i64>,
    pub(crate) region: DivisionCode,
    pub(crate) county: DivisionCode,
    pub(crate) period: NaiveDate,
    pub(crate) natural_key: String,
    pub(crate) unit_id: Option<i64>,
}

/// Validates raw field texts for `worker`; errors are per field, in Chinese.
pub(crate) async fn validate(
    tx: &mut Tx,
    call: &Call<'_>,
    ctx: &Context,
    spec: &'static KindSpec,
    worker: &Owner,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<Valid> {
    // Every problem at once: the fields, and the child named (when the
    // kind has one) even when other fields are wrong.
    let (values, mut errs) = match fields::read(spec, get, &ctx.places, call.now) {
        Ok(v) => (Some(v), FieldErrors::default()),
        Err(AppError::Validation(e)) => (None, e),
        Err(e) => return Err(e),
    };
    let child = shiminhua_core::field::tidy(&get("child"));
    let dependant_id = if spec.field("child").is_some() && !child.is_empty() && errs.get("child").is_none() {
        match find_child(tx, call, worker, &child).await {
            Ok(id) => Some(id),
            Err(AppError::Validation(e)) => {
                errs.0.extend(e.0);
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let values = match values {
        Some(v) if errs.is_empty() => v,
        _ => {
            // In the form's order.
            let order = |k: &str| spec.fields.iter().position(|f| f.key == k).unwrap_or(usize::MAX);
            errs.0.sort_by_key(|(k, _)| order(k));
            return Err(AppError::Validation(errs));
        }
    };
    let v = place(ctx, spec, values, dependant_id, worker.region_code, call.actor.unit_id)?;
    if !call.actor.scope.allows(spec.kind, v.region) {
        let field = spec.place.unwrap_or("kind");
        return Err(AppError::field(
            field,
            format!("该{}记录所在地不在您的数据范围内", spec.kind.label_zh()),
        ));
    }
    Ok(v)
}

/// Places valid values: the region (the place field, else the worker's
/// residence), the period date, the natural key and the owning unit (the
/// writer's unit, else the kind's department in the county).
pub(crate) fn place(
    ctx: &Context,
    spec: &'static KindSpec,
    values: Values,
    dependant_id: Option<i64>,
    worker_region: i64,
    writer_unit: Option<i64>,
) -> AppResult<Valid> {
    let region = match spec.place.and_then(|p| values.get(p)) {
        Some(Value::Place(c)) => *c,
        _ => DivisionCode::from_i64(worker_region).map_err(|e| AppError::Internal(e.to_string()))?,
    };
    let county = region
        .county()
        .ok_or_else(|| AppError::Internal("record region without a county".into()))?;
    let period = record::period_date(spec, &values)
        .ok_or_else(|| AppError::Internal("validated record without a period date".into()))?;
    let natural_key = record::natural_key(spec, &values, dependant_id);
    let unit_id = writer_unit.or_else(|| ctx.units.get(&(spec.dept.to_string(), county.as_i64())).copied());
    Ok(Valid {
        spec,
        values,
        dependant_id,
        region,
        county,
        period,
        natural_key,
        unit_id,
    })
}

/// A child of the worker named by ID number or by name.
async fn find_child(tx: &mut Tx, call: &Call<'_>, worker: &Owner, child: &str) -> AppResult<i64> {
    if let Ok(id) = IdNumber::parse(child) {
        let index = call.cipher.blind_index("id_number", id.as_str());
        let found: Option<(i64,)> = tx
            .opt(
                Sql::new("SELECT id FROM dependants WHERE worker_id = $1 AND id_index = $2 AND relation = '子女'")
                    .bind(worker.id)
                    .bind(index),
            )
            .await?;
        return found
            .map(|f| f.0)
            .ok_or_else(|| AppError::field("child", "该身份证号不是本人已登记的随迁子女，请先在随迁家属中登记"));
    }
    let rows: Vec<(i64, Vec<u8>)> = tx
        .all(
            Sql::new("SELECT id, name_sealed FROM dependants WHERE worker_id = $1 AND relation = '子女'")
                .bind(worker.id),
        )
        .await?;
    let context = crate::registry::workers::dependant_name_context(&worker.id_index, "子女");
    let mut found = Vec::new();
    for (id, sealed) in rows {
        if call.cipher.open(&context, &sealed)? == child.as_bytes() {
            found.push(id);
        }
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(AppError::field(
            "child",
            "本人名下没有登记这个随迁子女，请先在随迁家属中登记",
        )),
        _ => Err(AppError::field("child", "本人名下有同名子女，请填写子女的身份证号")),
    }
}

/// Writes a validated record: inserts it, or updates the one with the same
/// natural key (keeping the earlier version in history), or leaves it as is.
pub(crate) async fn upsert(
    tx: &mut Tx,
    call: &Call<'_>,
    worker: &Owner,
    v: &Valid,
    source: &str,
) -> AppResult<Outcome> {
    let data = to_json(v.spec, &v.values);
    let existing = same_record(tx, worker, v).await?;
    match existing {
        Some((id, old, _)) if old == data => Ok(Outcome::Unchanged(id)),
        Some((id, old, version)) => {
            keep_history(tx, call, "record", id, worker.id, version, "update", &old).await?;
            write_update(tx, call.now, id, version, v, &data, source).await?;
            Ok(Outcome::Updated(id))
        }
        None => {
            let id = insert_new(tx, call.now, worker.id, v, &data, source).await?;
            RecordChange::new_record().finish(tx, id).await?;
            Ok(Outcome::Inserted(id))
        }
    }
}

/// Inserts a new record; returns its id.
pub(crate) async fn insert_new(
    tx: &mut Tx,
    now: DateTime<Utc>,
    worker_id: i64,
    v: &Valid,
    data: &str,
    source: &str,
) -> AppResult<i64> {
    tx.int(
        Sql::new(
            "INSERT INTO records (kind, worker_id, dependant_id, county_code, region_code, unit_id, period_date, \
             natural_key, data, source, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1) RETURNING id",
        )
        .bind(v.spec.kind.code())
        .bind(worker_id)
        .bind(v.dependant_id)
        .bind(v.county.as_i64())
        .bind(v.region.as_i64())
        .bind(v.unit_id)
        .bind(v.period)
        .bind(v.natural_key.clone())
        .bind(data)
        .bind(source)
        .bind(now),
    )
    .await
}

/// The record on file with the same natural key: (id, data, version).
async fn same_record(tx: &mut Tx, worker: &Owner, v: &Valid) -> AppResult<Option<(i64, String, i64)>> {
    tx.opt(
        Sql::new("SELECT id, data, version FROM records WHERE worker_id = $1 AND kind = $2 AND natural_key = $3")
            .bind(worker.id)
            .bind(v.spec.kind.code())
            .bind(v.natural_key.clone()),
    )
    .await
}

/// What `upsert` would do, without writing (an import's preview).
pub(crate) async fn classify(tx: &mut Tx, worker: &Owner, v: &Valid) -> AppResult<Outcome> {
    Ok(match same_record(tx, worker, v).await? {
        None => Outcome::Inserted(0),
        Some((id, old, _)) if old == to_json(v.spec, &v.values) => Outcome::Unchanged(id),
        Some((id, _, _)) => Outcome::Updated(id),
    })
}

async fn write_update(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: i64,
    version: i64,
    v: &Valid,
    data: &str,
    source: &str,
) -> AppResult<()> {
    let change = RecordChange::begin(tx, id).await?;
    let n = tx
        .exec(
            Sql::new(
                "UPDATE records SET dependant_id = $1, county_code = $2, region_code = $3, unit_id = $4, period_date = $5, \
                 natural_key = $6, data = $7, source = $8, updated_at = $9, version = version + 1 \
                 WHERE id = $10 AND version = $11",
            )
            .bind(v.dependant_id)
            .bind(v.county.as_i64())
            .bind(v.region.as_i64())
            .bind(v.unit_id)
            .bind(v.period)
            .bind(v.natural_key.clone())
            .bind(data)
            .bind(source)
            .bind(now)
            .bind(id)
            .bind(version),
        )
        .await
        .map_err(crate::store::unique_as("kind", "已有一条相同的记录（关键字段相同），请修改已有记录"))?;
    if n == 0 {
        return Err(AppError::Conflict(
            "保存失败：该记录已被他人修改。请刷新页面查看最新内容后再修改，您填写的内容仍保留在表单中。".into(),
        ));
    }
    change.finish(tx, id).await
}

/// The worker with this id, for writing records (the worker itself need not
/// be in the actor's worker scope: the record's own kind and region decide).
pub(crate) async fn owner(tx: &mut Tx, worker_id: i64) -> AppResult<Owner> {
    tx.one(Sql::new("SELECT id, region_code, id_index FROM workers WHERE id = $1").bind(worker_id))
        .await
}

/// The worker with this ID number and name (both must match).
pub(crate) async fn owner_by_id_number(tx: &mut Tx, call: &Call<'_>, id_number: &str, name: &str) -> AppResult<Owner> {
    let id = IdNumber::parse(id_number).map_err(|e| AppError::field("id_number", e.to_string()))?;
    let index = call.cipher.blind_index("id_number", id.as_str());
    let found: Option<(i64, String, i64, Vec<u8>)> = tx
        .opt(Sql::new("SELECT id, name, region_code, id_index FROM workers WHERE id_index = $1").bind(index))
        .await?;
    match found {
        None => Err(AppError::field(
            "id_number",
            "该身份证号尚未登记农民工信息，请先登记或导入农民工名单",
        )),
        Some((_, n, _, _)) if n != record::tidy(name) => {
            Err(AppError::field("name", "姓名与身份证号登记的姓名不一致，请核对"))
        }
        Some((id, _, region_code, id_index)) => Ok(Owner {
            id,
            region_code,
            id_index,
        }),
    }
}

/// The spec of a kind the caller may write somewhere in their scope.
fn writable(call: &Call<'_>, kind: RecordKind) -> AppResult<&'static KindSpec> {
    require(call.actor, Permission::WriteRecords)?;
    let spec = spec_of(kind)?;
    if call.actor.scope.ranges_for(kind).is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(spec)
}

/// Adds a record of `kind` for a worker. The same record (same natural key)
/// already on file is a field error here; imports and the API update it.
pub async fn create_record(
    call: &Call<'_>,
    worker_id: WorkerId,
    kind: RecordKind,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<i64> {
    let mut tx = call.db.write().await?;
    let id = create_in(&mut tx, call, worker_id, kind, get, "form").await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a record inside a transaction (the form, and a hire through the
/// public employment service), audited; `source` is the record's source.
pub(crate) async fn create_in(
    tx: &mut Tx,
    call: &Call<'_>,
    worker_id: WorkerId,
    kind: RecordKind,
    get: &(dyn Fn(&str) -> String + Sync),
    source: &str,
) -> AppResult<i64> {
    let worker_id = worker_id.0;
    let spec = writable(call, kind)?;
    let worker = owner(tx, worker_id).await?;
    let ctx = Context::load(tx).await?;
    let v = validate(tx, call, &ctx, spec, &worker, get).await?;
    let taken: Option<(i64,)> = tx
        .opt(
            Sql::new("SELECT id FROM records WHERE worker_id = $1 AND kind = $2 AND natural_key = $3")
                .bind(worker.id)
                .bind(kind.code())
                .bind(v.natural_key.clone()),
        )
        .await?;
    if taken.is_some() {
        let labels = spec.key_labels();
        let msg = if labels.is_empty() {
            format!("该农民工已有{}记录，请修改已有记录", kind.label_zh())
        } else {
            format!("已有{}相同的{}记录，请修改已有记录", labels.join("、"), kind.label_zh())
        };
        return Err(AppError::field(spec.key.first().copied().unwrap_or("kind"), msg));
    }
    let id = upsert(tx, call, &worker, &v, source).await?.id();
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("record.create", kind.code(), id).detail(format!("worker={worker_id}")),
    )
    .await?;
    Ok(id)
}

/// Changes a record in scope; refused when `version` is stale.
pub async fn update_record(
    call: &Call<'_>,
    id: RecordId,
    version: i64,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<()> {
    let id = id.0;
    require(call.actor, Permission::WriteRecords)?;
    let mut tx = call.db.write().await?;
    let current = get_in(&mut tx, call.actor, id).await?;
    let kind = current.record_kind().ok_or(AppError::NotFound)?;
    let spec = spec_of(kind)?;
    let worker = owner(&mut tx, current.worker_id).await?;
    let ctx = Context::load(&mut tx).await?;
    let v = validate(&mut tx, call, &ctx, spec, &worker, get).await?;
    if current.version != version {
        return Err(AppError::Conflict(
            "保存失败：该记录已被他人修改。请刷新页面查看最新内容后再修改，您填写的内容仍保留在表单中。".into(),
        ));
    }
    let data = to_json(spec, &v.values);
    keep_history(&mut tx, call, "record", id, worker.id, version, "update", &current.data).await?;
    write_update(&mut tx, call.now, id, version, &v, &data, "form").await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("record.update", kind.code(), id),
    )
    .await?;
    tx.commit().await
}

/// Deletes a record in scope (its last version stays in history).
pub async fn delete_record(call: &Call<'_>, id: RecordId, version: i64) -> AppResult<i64> {
    let id = id.0;
    require(call.actor, Permission::WriteRecords)?;
    let mut tx = call.db.write().await?;
    let current = get_in(&mut tx, call.actor, id).await?;
    if current.version != version {
        return Err(AppError::Conflict(
            "删除失败：该记录已被他人修改，请刷新页面后再操作。".into(),
        ));
    }
    keep_history(
        &mut tx,
        call,
        "record",
        id,
        current.worker_id,
        version,
        "delete",
        &current.data,
    )
    .await?;
    let change = RecordChange::begin(&mut tx, id).await?;
    tx.exec(Sql::new("DELETE FROM records WHERE id = $1").bind(id)).await?;
    change.finish(&mut tx, id).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("record.delete", &current.kind, id),
    )
    .await?;
    tx.commit().await?;
    Ok(current.worker_id)
}

/// Filters of a record list.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    pub region: Option<DivisionCode>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Field key = value conditions (e.g. form = 就近就业), from the spec's choice fields.
    pub fields: Vec<(&'static str, String)>,
    /// Fields that must be filled (e.g. settled: the 落户时间 is given).
    pub present: Vec<&'static str>,
}

/// The fields of a kind with a partial index of their own (migration 0011):
/// those the board's drill-down lists filter on.
const FIELD_INDEXES: &[(RecordKind, &str)] = &[
    (RecordKind::Employment, "form"),
    (RecordKind::Training, "subsidised"),
    (RecordKind::Settlement, "intention"),
];

/// Whether a filter names a field with its own index.
fn on_field_index(kind: RecordKind, f: &RecordFilter) -> bool {
    f.fields.iter().any(|(key, _)| FIELD_INDEXES.contains(&(kind, *key)))
}

/// The condition of a record list or export: ` WHERE` the kind, the actor's
/// scope for it narrowed to the filter's region, the period and the field
/// values. Columns are those of `records r`.
///
/// A list read through its parties (an inspector:
/// [`crate::reach::by_parties`]) tests kind, place and period per record, so that
/// the few parties' records are read through the worker key rather than
/// every record of the kind, in date order or by place, tested against the
/// parties (the city's employment records at 1,000,000 workers: 1,083 ms).
fn filter_condition(backend: Backend, actor: &Actor, spec: &KindSpec, f: &RecordFilter) -> Sql {
    if crate::reach::by_parties(actor) {
        let [kind, region, period] =
            ["r.kind", "r.region_code", "r.period_date"].map(|c| dialect::record_column_per_worker(backend, c));
        return filter_condition_with(backend, actor, spec, f, [&kind, &region, &period]);
    }
    filter_condition_on(backend, actor, spec, f, "r.region_code")
}

/// [`filter_condition`] testing the place as `region` (an expression of
/// `r.region_code`).
fn filter_condition_on(backend: Backend, actor: &Actor, spec: &KindSpec, f: &RecordFilter, region: &str) -> Sql {
    filter_condition_with(backend, actor, spec, f, ["r.kind", region, "r.period_date"])
}

/// [`filter_condition_on`] testing the kind, the place and the period as
/// the given expressions of `r.kind`, `r.region_code` and `r.period_date`.
fn filter_condition_with(
    backend: Backend,
    actor: &Actor,
    spec: &KindSpec,
    f: &RecordFilter,
    [kind, region, period]: [&str; 3],
) -> Sql {
    let mut ranges = actor.scope.ranges_for(spec.kind);
    if let Some(r) = f.region {
        let (lo, hi) = r.subtree_range();
        ranges = ranges
            .into_iter()
            .map(|(a, b)| (a.max(lo), b.min(hi)))
            .filter(|(a, b)| a <= b)
            .collect();
    }
    // The kind is written as a literal (a fixed ASCII code, never user input)
    // so that both planners can use the partial indexes of one kind's field
    // (migration 0011: the drill-down lists behind the board's figures).
    let code = spec.kind.code();
    debug_assert!(code.bytes().all(|b| b.is_ascii_lowercase()));
    let mut cond = Sql::new(" WHERE ");
    cond.push(kind).push(" = '").push(code).push("' AND ");
    cond.in_ranges(region, &ranges);
    cond.append(&crate::reach::record_condition(actor));
    if let Some(from) = f.from {
        cond.push(" AND ").push(period).push(" >= ").arg(from);
    }
    if let Some(to) = f.to {
        cond.push(" AND ").push(period).push(" <= ").arg(to);
    }
    // Several values of one field: any of them.
    let mut keys: Vec<&str> = f.fields.iter().map(|(k, _)| *k).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let Some(field) = spec.field(key) else { continue };
        let values: Vec<&String> = f.fields.iter().filter(|(k, _)| *k == key).map(|(_, v)| v).collect();
        cond.push(" AND ").push(&dialect::json_field(backend, key));
        if let [first, rest @ ..] = values.as_slice()
            && !rest.is_empty()
            && field.ty != FieldType::Flag
        {
            cond.push(" IN (").arg((*first).clone());
            for v in rest {
                cond.push(", ").arg((*v).clone());
            }
            cond.push(")");
            continue;
        }
        let value = values[0];
        if field.ty == FieldType::Flag {
            let yes = record::parse_flag(value).unwrap_or(false);
            cond.push(" = ").push(dialect::flag_literal(backend, yes));
        } else {
            cond.push(" = ").arg(value.clone());
        }
    }
    for key in &f.present {
        if spec.field(key).is_some() {
            cond.push(" AND ")
                .push(&dialect::json_field(backend, key))
                .push(" IS NOT NULL");
        }
    }
    cond
}

/// A page of records of one kind in scope, newest first, with the total
/// (at most `count_cap + 1`).
pub async fn list_records(
    db: &Db,
    actor: &Actor,
    kind: RecordKind,
    f: &RecordFilter,
    limit: i64,
    offset: i64,
    count_cap: i64,
) -> AppResult<(Vec<RecordRow>, i64)> {
    require(actor, Permission::ReadPii)?;
    let spec = spec_of(kind)?;
    let mut tx = db.read().await?;
    let backend = tx.backend();
    // Each list planned with its values ([`dialect::plan_with_values`]).
    if let Some(plan) = dialect::plan_with_values(backend) {
        tx.exec(Sql::new(plan)).await?;
    }
    let parties = crate::reach::by_parties(actor);
    let cond = filter_condition(backend, actor, spec, f);
    // Where the field has its own index (which holds the place too), the
    // count is read from that index alone.
    let field_index = !parties && on_field_index(kind, f);
    let counted = if field_index {
        filter_condition_on(backend, actor, spec, f, dialect::record_region_on_field_index(backend))
    } else {
        cond.clone()
    };
    let mut count = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM records r");
    count
        .append(&counted)
        .push(" LIMIT ")
        .arg(count_cap + 1)
        .push(") AS capped");
    // A field's index walked in order stops at the cap or at the page.
    if field_index && let Some(walk) = dialect::walk_indexes_in_order(backend) {
        tx.exec(Sql::new(walk)).await?;
    }
    let total = tx.int(count).await?;
    // A broad list (more than the cap) is read newest first along the
    // (kind, date) index, which stops at the page; a narrow one is read by
    // place and sorted ([`dialect::record_region_by_date`]); a list read
    // through its parties is always the narrow kind.
    let paged = if !parties && !field_index && total > count_cap {
        filter_condition_on(backend, actor, spec, f, dialect::record_region_by_date(backend))
    } else {
        cond
    };
    let mut ids = Sql::new("SELECT r.id FROM records r");
    ids.append(&paged).push(" ORDER BY r.period_date DESC, r.id DESC");
    ids.page(limit, offset);
    let mut list = Sql::new(RECORD_COLUMNS);
    list.push(" WHERE r.id IN (SELECT id FROM (")
        .append(&ids)
        .push(") AS page) ORDER BY r.period_date DESC, r.id DESC");
    Ok((tx.all(list).await?, total))
}

/// Records read from the database at a time by an export.
pub const EXPORT_PAGE: i64 = 5_000;

/// Writes the records of one kind in scope that match the filter to `path`
/// as a workbook (the most recently entered first) and records the export in
/// the audit trail; returns the number of rows. Values are as shown on
/// screen, masked (the worker's ID number masked, the child by masked name).
/// Memory stays constant: records are read [`EXPORT_PAGE`] at a time and the
/// sheet is streamed; a sheet full to Excel's row limit is refused with a
/// Conflict.
pub async fn export_records(
    call: &Call<'_>,
    kind: RecordKind,
    f: &RecordFilter,
    path: &std::path::Path,
) -> AppResult<u64> {
    export_records_paged(call, kind, f, path, EXPORT_PAGE).await
}

/// [`export_records`] reading `page` records at a time (tests use small pages).
pub async fn export_records_paged(
    call: &Call<'_>,
    kind: RecordKind,
    f: &RecordFilter,
    path: &std::path::Path,
    page: i64,
) -> AppResult<u64> {
    use crate::xlsx::{XCell, XlsxStream};
    require(call.actor, Permission::ReadPii)?;
    let spec = spec_of(kind)?;
    let page = page.max(1);
    let book = PlaceBook::load(&mut call.db.read().await?).await?;
    let cond = filter_condition(call.db.backend(), call.actor, spec, f);
    let mut headers = vec!["姓名", "身份证号", "所在地", "责任单位", "日期"];
    headers.extend(spec.fields.iter().map(|f| f.label));
    let mut widths = vec![10.0, 22.0, 14.0, 16.0, 12.0];
    widths.extend(spec.fields.iter().map(|_| 16.0));
    let mut out = XlsxStream::create(path, &format!("{}记录", kind.label_zh()), &headers, &widths)?;
    let mut after: Option<i64> = None;
    loop {
        let mut q = Sql::new(RECORD_COLUMNS);
        q.append(&cond);
        if let Some(last) = after {
            q.push(" AND r.id < ").arg(last);
        }
        q.push(" ORDER BY r.id DESC LIMIT ").arg(page);
        let rows: Vec<RecordRow> = call.db.read().await?.all(q).await?;
        for r in &rows {
            let shown = r.describe(&book);
            let date = r.period_date.format("%Y-%m-%d").to_string();
            let unit = r.unit_name.clone().unwrap_or_default();
            let mut cells = vec![
                XCell::Text(&r.worker_name),
                XCell::Text(&r.worker_id_masked),
                XCell::Text(&r.region_name),
                XCell::Text(&unit),
                XCell::Text(&date),
            ];
            for field in spec.fields {
                cells.push(
                    shown
                        .iter()
                        .find(|(l, _)| *l == field.label)
                        .map_or(XCell::Empty, |(_, t)| XCell::Text(t)),
                );
            }
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
        "rows={n}; region={}; from={}; to={}; fields={}",
        f.region.map(|r| r.to_string()).unwrap_or_default(),
        f.from.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        f.to.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        f.fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    audit::record_alone(
        call.db,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("record.export", kind.code(), "").detail(detail),
    )
    .await?;
    Ok(n)
}

/// Counts of records per kind in the actor's scope (工作台).
pub async fn counts(db: &Db, actor: &Actor) -> AppResult<Vec<(RecordKind, i64)>> {
    require(actor, Permission::ReadPii)?;
    let mut tx = db.read().await?;
    let mut out = Vec::new();
    for kind in record::KINDS {
        let ranges = actor.scope.ranges_for(kind);
        if ranges.is_empty() {
            continue;
        }
        let mut q = Sql::new("SELECT COUNT(*) FROM records r WHERE r.kind = ");
        q.arg(kind.code()).push(" AND ");
        q.in_ranges("r.region_code", &ranges);
        q.append(&crate::reach::record_condition(actor));
        out.push((kind, tx.int(q).await?));
    }
    Ok(out)
}

/// Adds or updates a record of the worker with this ID number and name (the
/// department API): the same natural key updates the record on file.
pub async fn put_record(
    call: &Call<'_>,
    id_number: &str,
    name: &str,
    kind: RecordKind,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<Outcome> {
    let spec = writable(call, kind)?;
    let mut tx = call.db.write().await?;
    let worker = owner_by_id_number(&mut tx, call, id_number, name).await?;
    let outcome = put_for(&mut tx, call, spec, &worker, get, "api").await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Adds a record of a worker, or updates the one with the same natural key,
/// inside a transaction (an employment registration writes the employment
/// record so); audited.
pub(crate) async fn put_in(
    tx: &mut Tx,
    call: &Call<'_>,
    worker_id: WorkerId,
    kind: RecordKind,
    get: &(dyn Fn(&str) -> String + Sync),
    source: &str,
) -> AppResult<Outcome> {
    let spec = writable(call, kind)?;
    let worker = owner(tx, worker_id.0).await?;
    put_for(tx, call, spec, &worker, get, source).await
}

async fn put_for(
    tx: &mut Tx,
    call: &Call<'_>,
    spec: &'static KindSpec,
    worker: &Owner,
    get: &(dyn Fn(&str) -> String + Sync),
    source: &str,
) -> AppResult<Outcome> {
    let ctx = Context::load(tx).await?;
    let v = validate(tx, call, &ctx, spec, worker, get).await?;
    let outcome = upsert(tx, call, worker, &v, source).await?;
    let action = match outcome {
        Outcome::Inserted(_) => "record.create",
        Outcome::Updated(_) | Outcome::Unchanged(_) => "record.update",
    };
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(action, spec.kind.code(), outcome.id()).detail(format!("worker={}; via={source}", worker.id)),
    )
    .await?;
    Ok(outcome)
}
