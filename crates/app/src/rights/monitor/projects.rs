//! Projects (工程建设项目): forms, lists, history, and what the general
//! contractor records on them — the special account, labour-cost
//! transfers, wage deposits and the notice board.

use crate::attachments::check_file;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::fields;
use crate::history::keep_history;
use crate::regions::PlaceBook;
use crate::store::{Db, Sql, Tx, contains_pattern, is_unique_violation};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission, RecordKind, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::field::{Value, Values};
use shiminhua_core::monitor::forms::{self, ACCOUNT, BOARD, DEPOSIT, PROJECT, TRANSFER};
use shiminhua_core::monitor::{Authority, DepositForm, ProjectKind, ProjectStatus};
use std::collections::HashMap;

/// A stored project.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProjectRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub authority: String,
    pub status: String,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub builder_name: String,
    pub builder_credit_code: String,
    pub contractor_name: String,
    pub contractor_credit_code: String,
    pub subcontractors: String,
    pub contract_sum_fen: i64,
    pub labour_pct: Option<i64>,
    pub labour_fen: Option<i64>,
    pub contract_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub account_bank: String,
    pub account_opened: Option<NaiveDate>,
    pub account_agreement: bool,
    pub board_on: Option<NaiveDate>,
    pub clean_years: i64,
    pub recent_arrears: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub version: i64,
}

pub(super) const COLUMNS: &str = "SELECT p.id, p.code, p.name, p.kind, p.authority, p.status, p.county_code, p.region_code, \
     r.name AS region_name, p.builder_name, p.builder_credit_code, p.contractor_name, p.contractor_credit_code, \
     p.subcontractors, p.contract_sum_fen, p.labour_pct, p.labour_fen, p.contract_date, p.start_date, p.planned_end, \
     p.account_bank, p.account_opened, p.account_agreement, p.board_on, p.clean_years, p.recent_arrears, \
     p.created_at, p.created_by, p.updated_at, p.updated_by, p.version \
     FROM projects p JOIN regions r ON r.code = p.region_code";

impl ProjectRow {
    pub fn kind_label(&self) -> &'static str {
        ProjectKind::from_code(&self.kind).map_or("", |k| k.label_zh())
    }

    pub fn status_label(&self) -> &'static str {
        ProjectStatus::from_code(&self.status).map_or("", |s| s.label_zh())
    }

    pub fn authority_label(&self) -> &'static str {
        Authority::from_code(&self.authority).map_or("", |a| a.label_zh())
    }

    /// The project as typed into its form (for editing, and kept in history).
    pub fn form_values(&self, places: &PlaceBook) -> HashMap<String, String> {
        let mut m = HashMap::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), v);
        };
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        put("code", self.code.clone());
        put("name", self.name.clone());
        put("kind", self.kind_label().into());
        put("place", places.full_name(self.region_code));
        put("builder", self.builder_name.clone());
        put("builder_code", self.builder_credit_code.clone());
        put("contractor", self.contractor_name.clone());
        put("contractor_code", self.contractor_credit_code.clone());
        put("subcontractors", self.subcontractors.clone());
        put(
            "contract_sum",
            fields::form_text(&Value::Money(shiminhua_core::money::Fen(self.contract_sum_fen))),
        );
        put("labour_pct", self.labour_pct.map(|p| p.to_string()).unwrap_or_default());
        put(
            "labour_amount",
            self.labour_fen
                .map(|f| fields::form_text(&Value::Money(shiminhua_core::money::Fen(f))))
                .unwrap_or_default(),
        );
        put("contract_date", date(self.contract_date));
        put("start_date", date(self.start_date));
        put("planned_end", date(self.planned_end));
        put("authority", self.authority_label().into());
        put("status", self.status_label().into());
        put("clean_years", self.clean_years.to_string());
        put("recent_arrears", if self.recent_arrears { "是" } else { "否" }.into());
        m
    }
}

/// What the actor may see of the projects: regions, and for the department
/// of a supervising authority its own projects only.
#[derive(Clone, Debug)]
pub(crate) struct Viewer {
    pub ranges: Vec<(i64, i64)>,
    pub authority: Option<Authority>,
}

impl Viewer {
    /// Appends ` AND …` limiting projects aliased `p`.
    pub fn limit(&self, q: &mut Sql) {
        q.push(" AND ");
        q.in_ranges("p.region_code", &self.ranges);
        if let Some(a) = self.authority {
            q.push(" AND p.authority = ").arg(a.code());
        }
    }

    pub fn sees(&self, region: i64, authority: &str) -> bool {
        self.ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&region))
            && self.authority.is_none_or(|a| a.code() == authority)
    }
}

/// The actor's view of the projects; refused without a business role or
/// without projects in its data scope.
pub(crate) async fn viewer(tx: &mut Tx, actor: &Actor) -> AppResult<Viewer> {
    require(actor, Permission::ViewDashboard)?;
    let ranges = actor.scope.ranges_for(RecordKind::Project);
    if ranges.is_empty() {
        return Err(AppError::Forbidden);
    }
    let only_department = actor
        .roles
        .iter()
        .all(|r| matches!(r, Role::Department | Role::Admin | Role::Auditor));
    let authority = if only_department {
        let dept: Option<(String,)> = match actor.unit_id {
            Some(u) => tx.opt(Sql::new("SELECT dept FROM units WHERE id = $1").bind(u)).await?,
            None => None,
        };
        match dept.as_ref().and_then(|(d,)| Authority::from_code(d)) {
            // The labour bureau answers for every project's wages.
            Some(Authority::Labour) => None,
            Some(a) => Some(a),
            None => return Err(AppError::Forbidden),
        }
    } else {
        None
    };
    Ok(Viewer { ranges, authority })
}

/// A project in the actor's view.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<ProjectRow> {
    get_in(&mut db.read().await?, actor, id).await
}

pub(super) async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<ProjectRow> {
    let v = viewer(tx, actor).await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE p.id = ").arg(id);
    v.limit(&mut q);
    tx.opt(q).await?.ok_or(AppError::NotFound)
}

/// A validated project form.
struct Valid {
    values: Values,
    input: forms::ProjectInput,
    region: DivisionCode,
    county: DivisionCode,
}

fn text(values: &Values, key: &str) -> String {
    match values.get(key) {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

fn money(values: &Values, key: &str) -> Option<i64> {
    match values.get(key) {
        Some(Value::Money(f)) => Some(f.0),
        _ => None,
    }
}

fn count(values: &Values, key: &str) -> Option<i64> {
    match values.get(key) {
        Some(Value::Count(n)) => Some(*n),
        _ => None,
    }
}

fn date(values: &Values, key: &str) -> Option<NaiveDate> {
    match values.get(key) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

async fn validate(tx: &mut Tx, call: &Call<'_>, v: &Viewer, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<Valid> {
    let places = PlaceBook::load(tx).await?;
    let values = fields::read(&PROJECT, get, &places, call.now)?;
    let input = forms::project_codes(&values).ok_or_else(|| AppError::Internal("project codes".into()))?;
    let Some(Value::Place(region)) = values.get("place").cloned() else {
        return Err(AppError::Internal("validated project without a place".into()));
    };
    let county = region
        .county()
        .ok_or_else(|| AppError::field("place", "项目所在地应为本市的乡镇（街道）"))?;
    if !v.sees(region.as_i64(), input.authority.code()) {
        return Err(AppError::field(
            "place",
            "该项目的所在地或行业主管部门不在您的数据范围内",
        ));
    }
    Ok(Valid {
        values,
        input,
        region,
        county,
    })
}

fn writer(actor: &Actor) -> AppResult<()> {
    require(actor, Permission::WriteRecords)
}

fn duplicate() -> AppError {
    AppError::field("code", "已有相同项目编号的项目，请修改已有的那一条")
}

fn stale() -> AppError {
    AppError::Conflict(
        "保存失败：该项目信息已被他人修改。请刷新页面查看最新内容后再修改，您填写的内容仍保留在表单中。".into(),
    )
}

fn bind_values(q: Sql, v: &Valid) -> Sql {
    let vals = &v.values;
    q.bind(v.input.code.clone())
        .bind(v.input.name.clone())
        .bind(v.input.kind.code())
        .bind(v.input.authority.code())
        .bind(v.input.status.code())
        .bind(v.county.as_i64())
        .bind(v.region.as_i64())
        .bind(text(vals, "builder"))
        .bind(text(vals, "builder_code"))
        .bind(text(vals, "contractor"))
        .bind(text(vals, "contractor_code"))
        .bind(text(vals, "subcontractors"))
        .bind(money(vals, "contract_sum").unwrap_or(0))
        .bind(count(vals, "labour_pct"))
        .bind(money(vals, "labour_amount"))
        .bind(date(vals, "contract_date"))
        .bind(date(vals, "start_date"))
        .bind(date(vals, "planned_end"))
        .bind(count(vals, "clean_years").unwrap_or(0))
        .bind(matches!(vals.get("recent_arrears"), Some(Value::Flag(true))))
}

/// Adds a project; the same project code already on file is a field error.
pub async fn create(call: &Call<'_>, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<i64> {
    writer(call.actor)?;
    let mut tx = call.db.write().await?;
    let id = insert_in(&mut tx, call, get).await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a project inside a transaction (the form and the import).
pub(crate) async fn insert_in(tx: &mut Tx, call: &Call<'_>, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<i64> {
    let view = viewer(tx, call.actor).await?;
    let v = validate(tx, call, &view, get).await?;
    let by = call.actor.display_name.clone();
    let q = Sql::new(
        "INSERT INTO projects (code, name, kind, authority, status, county_code, region_code, builder_name, \
         builder_credit_code, contractor_name, contractor_credit_code, subcontractors, contract_sum_fen, labour_pct, \
         labour_fen, contract_date, start_date, planned_end, clean_years, recent_arrears, created_at, created_by, \
         updated_at, updated_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, $19, $20, $21, $22, $23, $24, 1) RETURNING id",
    );
    let (id,): (i64,) = tx
        .one(
            bind_values(q, &v)
                .bind(call.now)
                .bind(by.clone())
                .bind(call.now)
                .bind(by),
        )
        .await
        .map_err(|e| if is_unique_violation(&e) { duplicate() } else { e })?;
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("project.create", "project", id).detail(format!("code={}", v.input.code)),
    )
    .await?;
    Ok(id)
}

/// Changes a project in the actor's view, from the version it saw; the
/// earlier version is kept in history.
pub async fn update(call: &Call<'_>, id: i64, version: i64, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<()> {
    writer(call.actor)?;
    let mut tx = call.db.write().await?;
    let current = get_in(&mut tx, call.actor, id).await?;
    if current.version != version {
        return Err(stale());
    }
    change_in(&mut tx, call, &current, get).await?;
    tx.commit().await
}

/// Replaces a project's facts (the form and the import); returns whether
/// anything changed.
pub(crate) async fn change_in(
    tx: &mut Tx,
    call: &Call<'_>,
    current: &ProjectRow,
    get: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<bool> {
    let view = viewer(tx, call.actor).await?;
    let v = validate(tx, call, &view, get).await?;
    let places = PlaceBook::load(tx).await?;
    let before = current.form_values(&places);
    let after = fields::form_values(v.values.clone());
    let same = PROJECT_KEYS
        .iter()
        .all(|k| before.get(*k).map_or("", String::as_str) == after.get(*k).map_or("", String::as_str));
    if same {
        return Ok(false);
    }
    let data = serde_json::to_string(&before).map_err(|e| AppError::Internal(e.to_string()))?;
    keep_history(tx, call, "project", current.id, 0, current.version, "update", &data).await?;
    let q = Sql::new(
        "UPDATE projects SET code = $1, name = $2, kind = $3, authority = $4, status = $5, county_code = $6, \
         region_code = $7, builder_name = $8, builder_credit_code = $9, contractor_name = $10, \
         contractor_credit_code = $11, subcontractors = $12, contract_sum_fen = $13, labour_pct = $14, labour_fen = $15, \
         contract_date = $16, start_date = $17, planned_end = $18, clean_years = $19, recent_arrears = $20, \
         updated_at = $21, updated_by = $22, version = version + 1 WHERE id = $23 AND version = $24",
    );
    let n = tx
        .exec(
            bind_values(q, &v)
                .bind(call.now)
                .bind(call.actor.display_name.clone())
                .bind(current.id)
                .bind(current.version),
        )
        .await
        .map_err(|e| if is_unique_violation(&e) { duplicate() } else { e })?;
    if n != 1 {
        return Err(stale());
    }
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("project.update", "project", current.id).detail(format!("code={}", v.input.code)),
    )
    .await?;
    Ok(true)
}

/// The form's field keys, in order.
pub(crate) const PROJECT_KEYS: [&str; 19] = [
    "code",
    "name",
    "kind",
    "place",
    "builder",
    "builder_code",
    "contractor",
    "contractor_code",
    "subcontractors",
    "contract_sum",
    "labour_pct",
    "labour_amount",
    "contract_date",
    "start_date",
    "planned_end",
    "authority",
    "status",
    "clean_years",
    "recent_arrears",
];

/// Filters of the project list.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    /// Part of the name, the code or the general contractor's name or code.
    pub q: String,
    /// A county or township.
    pub region: Option<DivisionCode>,
    pub status: Option<ProjectStatus>,
    pub authority: Option<Authority>,
    /// Only projects with an open warning.
    pub warned: bool,
}

/// Projects in the actor's view, by code, a page at a time, with the total.
pub async fn list(
    db: &Db,
    actor: &Actor,
    f: &ProjectFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<ProjectRow>, i64)> {
    let mut tx = db.read().await?;
    let v = viewer(&mut tx, actor).await?;
    let mut cond = Sql::new("");
    v.limit(&mut cond);
    let q = f.q.trim();
    if !q.is_empty() {
        let pat = contains_pattern(q);
        cond.push(" AND (p.name LIKE ")
            .arg(pat.clone())
            .push(" ESCAPE '\\' OR p.code LIKE ")
            .arg(pat.clone())
            .push(" ESCAPE '\\' OR p.contractor_name LIKE ")
            .arg(pat)
            .push(" ESCAPE '\\' OR p.contractor_credit_code = ")
            .arg(q.to_ascii_uppercase())
            .push(")");
    }
    if let Some(r) = f.region {
        cond.push(" AND ");
        cond.in_ranges("p.region_code", &[r.subtree_range()]);
    }
    if let Some(s) = f.status {
        cond.push(" AND p.status = ").arg(s.code());
    }
    if let Some(a) = f.authority {
        cond.push(" AND p.authority = ").arg(a.code());
    }
    if f.warned {
        cond.push(" AND EXISTS (SELECT 1 FROM warnings w WHERE w.project_id = p.id AND w.status <> 'resolved')");
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM projects p WHERE 1 = 1");
    count.append(&cond);
    let total = tx.int(count).await?;
    let mut rows = Sql::new(COLUMNS);
    rows.push(" WHERE 1 = 1")
        .append(&cond)
        .push(" ORDER BY p.code")
        .page(limit, offset);
    Ok((tx.all(rows).await?, total))
}

/// The project for a write of its contractor's facts: in view, writable.
async fn for_write(tx: &mut Tx, call: &Call<'_>, id: i64) -> AppResult<ProjectRow> {
    writer(call.actor)?;
    get_in(tx, call.actor, id).await
}

async fn touched(tx: &mut Tx, call: &Call<'_>, p: &ProjectRow, action: &str, detail: String) -> AppResult<()> {
    tx.exec(
        Sql::new("UPDATE projects SET updated_at = $1, updated_by = $2 WHERE id = $3")
            .bind(call.now)
            .bind(call.actor.display_name.clone())
            .bind(p.id),
    )
    .await?;
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(action, "project", p.id).detail(detail),
    )
    .await
}

/// Records the special account (农民工工资专用账户): bank, opening date, three-party agreement.
pub async fn set_account(call: &Call<'_>, id: i64, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<()> {
    let mut tx = call.db.write().await?;
    let p = for_write(&mut tx, call, id).await?;
    let places = PlaceBook::load(&mut tx).await?;
    let v = fields::read(&ACCOUNT, get, &places, call.now)?;
    let opened = date(&v, "opened");
    if let (Some(o), Some(c)) = (opened, p.contract_date)
        && o < c - chrono::Duration::days(365)
    {
        return Err(AppError::field("opened", "开户日期早于合同签订日期一年以上，请核对"));
    }
    let data =
        serde_json::json!({"bank": p.account_bank, "opened": p.account_opened, "agreement": p.account_agreement})
            .to_string();
    keep_history(&mut tx, call, "project_account", p.id, 0, p.version, "update", &data).await?;
    tx.exec(
        Sql::new("UPDATE projects SET account_bank = $1, account_opened = $2, account_agreement = $3 WHERE id = $4")
            .bind(text(&v, "bank"))
            .bind(opened)
            .bind(matches!(v.get("agreement"), Some(Value::Flag(true))))
            .bind(p.id),
    )
    .await?;
    touched(&mut tx, call, &p, "project.account", format!("code={}", p.code)).await?;
    tx.commit().await
}

/// Most photos of the notice board a project keeps.
pub const MAX_BOARD_PHOTOS: i64 = 20;

/// A photo of the notice board, without its content.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BoardPhoto {
    pub id: i64,
    pub name: String,
    pub size: i64,
    /// The board's date when the photo was sent.
    pub dated: Option<NaiveDate>,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

/// Records the notice board (维权信息告示牌): its date and, if sent, a photo
/// (jpg or png, at most 10 MB; every photo is kept, the newest shown). An
/// earlier date is kept in the project's history.
pub async fn set_board(
    call: &Call<'_>,
    id: i64,
    get: &(dyn Fn(&str) -> String + Sync),
    photo: Option<(&str, &[u8])>,
) -> AppResult<()> {
    let photo = match photo {
        Some((name, bytes)) => {
            let name: String = name.trim().chars().take(120).collect();
            let mime = check_file(&name, bytes).map_err(|m| AppError::field("photo", m))?;
            if !mime.starts_with("image/") {
                return Err(AppError::field("photo", "告示牌照片只接受 jpg、png 格式的图片"));
            }
            Some((name, mime, bytes))
        }
        None => None,
    };
    let mut tx = call.db.write().await?;
    let p = for_write(&mut tx, call, id).await?;
    let places = PlaceBook::load(&mut tx).await?;
    let v = fields::read(&BOARD, get, &places, call.now)?;
    let set_on = date(&v, "set_on");
    if let Some(before) = p.board_on
        && Some(before) != set_on
    {
        let data = serde_json::json!({ "set_on": before }).to_string();
        keep_history(&mut tx, call, "project_board", p.id, 0, p.version, "update", &data).await?;
    }
    tx.exec(
        Sql::new("UPDATE projects SET board_on = $1 WHERE id = $2")
            .bind(set_on)
            .bind(p.id),
    )
    .await?;
    let mut detail = format!("code={}", p.code);
    if let Some((name, mime, bytes)) = photo {
        let n = tx
            .int(Sql::new("SELECT COUNT(*) FROM project_files WHERE project_id = $1 AND kind = 'board'").bind(p.id))
            .await?;
        if n >= MAX_BOARD_PHOTOS {
            return Err(AppError::field(
                "photo",
                format!("每个项目最多保存{MAX_BOARD_PHOTOS}张告示牌照片"),
            ));
        }
        let (file,): (i64,) = tx
            .one(
                Sql::new(
                    "INSERT INTO project_files (project_id, kind, name, mime, size, data, dated, added_at, added_by) \
                     VALUES ($1, 'board', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(p.id)
                .bind(name)
                .bind(mime)
                .bind(bytes.len() as i64)
                .bind(bytes.to_vec())
                .bind(set_on)
                .bind(call.now)
                .bind(call.actor.display_name.clone()),
            )
            .await?;
        detail.push_str(&format!("; photo={file}"));
    }
    touched(&mut tx, call, &p, "project.board", detail).await?;
    tx.commit().await
}

/// The photos of a project's notice board in view, newest first.
pub async fn board_photos(db: &Db, actor: &Actor, id: i64) -> AppResult<Vec<BoardPhoto>> {
    let mut tx = db.read().await?;
    let p = get_in(&mut tx, actor, id).await?;
    tx.all(
        Sql::new(
            "SELECT id, name, size, dated, added_at, added_by FROM project_files \
             WHERE project_id = $1 AND kind = 'board' ORDER BY id DESC",
        )
        .bind(p.id),
    )
    .await
}

/// A photo of a project in view: (name, MIME type, content).
pub async fn board_photo(db: &Db, actor: &Actor, id: i64, file_id: i64) -> AppResult<(String, String, Vec<u8>)> {
    let mut tx = db.read().await?;
    let p = get_in(&mut tx, actor, id).await?;
    tx.one(
        Sql::new("SELECT name, mime, data FROM project_files WHERE id = $1 AND project_id = $2 AND kind = 'board'")
            .bind(file_id)
            .bind(p.id),
    )
    .await
}

/// One labour-cost transfer or deposit as listed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MoneyRow {
    pub id: i64,
    pub form: String,
    pub amount_fen: i64,
    pub from_date: NaiveDate,
    pub to_date: Option<NaiveDate>,
    pub created_by: String,
}

impl MoneyRow {
    pub fn form_label(&self) -> &'static str {
        DepositForm::from_code(&self.form).map_or("", |f| f.label_zh())
    }
}

/// Records a labour-cost transfer (人工费用拨付) to the special account.
pub async fn add_transfer(call: &Call<'_>, id: i64, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<i64> {
    let mut tx = call.db.write().await?;
    let p = for_write(&mut tx, call, id).await?;
    let places = PlaceBook::load(&mut tx).await?;
    let v = fields::read(&TRANSFER, get, &places, call.now)?;
    let amount = money(&v, "amount").unwrap_or(0);
    if amount <= 0 {
        return Err(AppError::field("amount", "拨付金额应大于0"));
    }
    let (tid,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO project_transfers (project_id, paid_on, amount_fen, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(p.id)
            .bind(date(&v, "paid_on"))
            .bind(amount)
            .bind(call.now)
            .bind(call.actor.display_name.clone()),
        )
        .await?;
    touched(
        &mut tx,
        call,
        &p,
        "project.transfer",
        format!("code={}; transfer={tid}", p.code),
    )
    .await?;
    tx.commit().await?;
    Ok(tid)
}

/// Records a wage deposit (工资保证金): form, amount, dates.
pub async fn add_deposit(call: &Call<'_>, id: i64, get: &(dyn Fn(&str) -> String + Sync)) -> AppResult<i64> {
    let mut tx = call.db.write().await?;
    let p = for_write(&mut tx, call, id).await?;
    let places = PlaceBook::load(&mut tx).await?;
    let v = fields::read(&DEPOSIT, get, &places, call.now)?;
    let form = forms::deposit_form(&v).ok_or_else(|| AppError::Internal("deposit form".into()))?;
    let amount = money(&v, "amount").unwrap_or(0);
    if amount <= 0 {
        return Err(AppError::field("amount", "保证金金额应大于0"));
    }
    let (did,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO project_deposits (project_id, form, amount_fen, from_date, to_date, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(p.id)
            .bind(form.code())
            .bind(amount)
            .bind(date(&v, "from"))
            .bind(date(&v, "to"))
            .bind(call.now)
            .bind(call.actor.display_name.clone()),
        )
        .await?;
    touched(
        &mut tx,
        call,
        &p,
        "project.deposit",
        format!("code={}; deposit={did}", p.code),
    )
    .await?;
    tx.commit().await?;
    Ok(did)
}

/// The project's labour-cost transfers, newest first (`form` empty).
pub async fn transfers(db: &Db, actor: &Actor, id: i64) -> AppResult<Vec<MoneyRow>> {
    let mut tx = db.read().await?;
    let p = get_in(&mut tx, actor, id).await?;
    tx.all(
        Sql::new(
            "SELECT id, '' AS form, amount_fen, paid_on AS from_date, CAST(NULL AS DATE) AS to_date, created_by \
             FROM project_transfers WHERE project_id = $1 ORDER BY paid_on DESC, id DESC",
        )
        .bind(p.id),
    )
    .await
}

/// The project's deposits, newest first.
pub async fn deposits(db: &Db, actor: &Actor, id: i64) -> AppResult<Vec<MoneyRow>> {
    let mut tx = db.read().await?;
    let p = get_in(&mut tx, actor, id).await?;
    tx.all(
        Sql::new(
            "SELECT id, form, amount_fen, from_date, to_date, created_by \
             FROM project_deposits WHERE project_id = $1 ORDER BY from_date DESC, id DESC",
        )
        .bind(p.id),
    )
    .await
}

/// What an import's row did to a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Inserted,
    Updated,
    Unchanged,
}

/// The project with `code` in the actor's view, if any.
pub(crate) async fn by_code(tx: &mut Tx, actor: &Actor, code: &str) -> AppResult<Option<ProjectRow>> {
    let v = viewer(tx, actor).await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE p.code = ").arg(code.trim().to_string());
    v.limit(&mut q);
    tx.opt(q).await
}

/// The ids of the projects with these codes in the actor's view, by code
/// (codes as trimmed): one statement for a batch of an import's lines.
pub(crate) async fn ids_by_code(
    tx: &mut Tx,
    actor: &Actor,
    codes: &[String],
) -> AppResult<std::collections::HashMap<String, i64>> {
    let v = viewer(tx, actor).await?;
    let mut out = std::collections::HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(500) {
        let mut q = Sql::new("SELECT p.code, p.id FROM projects p WHERE p.code IN (");
        for (i, code) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.arg(code.clone());
        }
        q.push(")");
        v.limit(&mut q);
        out.extend(tx.all::<(String, i64)>(q).await?);
    }
    Ok(out)
}

/// Adds the project an import's row describes, or changes the one with its
/// code (in the importer's view); with `dry_run` only checks it.
pub(crate) async fn upsert_in(
    tx: &mut Tx,
    call: &Call<'_>,
    get: &(dyn Fn(&str) -> String + Sync),
    dry_run: bool,
) -> AppResult<Written> {
    writer(call.actor)?;
    let view = viewer(tx, call.actor).await?;
    let v = validate(tx, call, &view, get).await?;
    match by_code(tx, call.actor, &v.input.code).await? {
        None => {
            let taken = tx
                .int(Sql::new("SELECT COUNT(*) FROM projects WHERE code = $1").bind(v.input.code.clone()))
                .await?;
            if taken > 0 {
                return Err(duplicate());
            }
            if !dry_run {
                insert_in(tx, call, get).await?;
            }
            Ok(Written::Inserted)
        }
        Some(current) if dry_run => {
            let places = PlaceBook::load(tx).await?;
            let before = current.form_values(&places);
            let after = fields::form_values(v.values);
            let same = PROJECT_KEYS
                .iter()
                .all(|k| before.get(*k).map_or("", String::as_str) == after.get(*k).map_or("", String::as_str));
            Ok(if same { Written::Unchanged } else { Written::Updated })
        }
        Some(current) => Ok(if change_in(tx, call, &current, get).await? {
            Written::Updated
        } else {
            Written::Unchanged
        }),
    }
}

/// An earlier version of a project's facts, its special account or its notice board.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProjectVersion {
    /// `project` (the form's facts), `project_account` or `project_board`.
    pub object_kind: String,
    pub version: i64,
    /// The version as it was: a JSON object of field key → text.
    pub data: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
}

impl ProjectVersion {
    /// What was changed, in Chinese.
    pub fn what(&self) -> &'static str {
        match self.object_kind.as_str() {
            "project_account" => "农民工工资专用账户",
            "project_board" => "维权信息告示牌",
            _ => "项目信息",
        }
    }

    /// The earlier version's values with their labels, in form order.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let data: HashMap<String, serde_json::Value> = serde_json::from_str(&self.data).unwrap_or_default();
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(b) => if *b { "是" } else { "否" }.to_string(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        let spec: &[shiminhua_core::field::Field] = match self.object_kind.as_str() {
            "project_account" => ACCOUNT.fields,
            "project_board" => BOARD.fields,
            _ => PROJECT.fields,
        };
        spec.iter()
            .filter_map(|f| data.get(f.key).map(|v| (f.label, text(v))))
            .collect()
    }
}

/// The earlier versions of a project in view, newest first.
pub async fn history(db: &Db, actor: &Actor, id: i64) -> AppResult<Vec<ProjectVersion>> {
    let mut tx = db.read().await?;
    let p = get_in(&mut tx, actor, id).await?;
    tx.all(
        Sql::new(
            "SELECT object_kind, version, data, changed_at, changed_by FROM history \
             WHERE object_kind IN ('project', 'project_account', 'project_board') AND object_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(p.id),
    )
    .await
}
