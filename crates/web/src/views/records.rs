//! 业务记录: entering, editing and deleting the seven record kinds of a
//! worker (forms generated from the kind's spec), the list of one kind with
//! filters, and its export.

use super::fields::{Cell, FieldForm, Filled, Table, options_of, submitted, summary};
use super::{Pager, TempFile, file_stamp, html, parse_id, q_get, query_string, region_options, with_status};
use crate::error::WebError;
use crate::extract::{Form, Need, ReadPii, WriteRecords};
use crate::layout::Layout;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::regions::PlaceBook;
use shiminhua_app::registry::records::{self, RecordFilter, RecordRow};
use shiminhua_app::store::Db;
use shiminhua_app::{AppError, FieldErrors, registry::workers};
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::RecordId;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::record::{self, FieldType, KINDS, KindSpec};
use std::collections::HashMap;

/// Kinds whose records the actor may see (any region).
fn visible_kinds(actor: &Actor) -> Vec<RecordKind> {
    KINDS
        .iter()
        .copied()
        .filter(|k| !actor.scope.ranges_for(*k).is_empty())
        .collect()
}

/// Kinds the actor may add records of (the permission and a scope for the kind).
pub(super) fn writable_kinds(actor: &Actor) -> Vec<RecordKind> {
    if actor.can(shiminhua_core::auth::Permission::WriteRecords) {
        visible_kinds(actor)
    } else {
        Vec::new()
    }
}

/// The spec of a kind code (`None` for workers, cases and unknown codes).
fn spec_of(code: &str) -> Option<&'static KindSpec> {
    RecordKind::from_code(code).and_then(record::spec)
}

/// Region names for describing records.
async fn place_book(db: &Db) -> Result<PlaceBook, WebError> {
    let mut tx = db.read().await?;
    Ok(PlaceBook::load(&mut tx).await?)
}

/// The kind of a record known only by its stored fields (a deleted record in
/// the history): the first kind whose required fields are all there.
pub(super) fn kind_of_data(data: &str) -> Option<RecordKind> {
    KINDS.iter().copied().find(|k| {
        record::spec(*k).is_some_and(|spec| {
            let values = records::from_json(spec, data);
            spec.fields
                .iter()
                .filter(|f| f.required)
                .all(|f| values.contains_key(f.key))
        })
    })
}

/// One record on a worker's timeline.
pub struct Entry {
    pub id: i64,
    pub version: i64,
    pub date: String,
    pub kind: &'static str,
    pub unit: String,
    pub region: String,
    pub fields: Vec<(&'static str, String)>,
}

/// The timeline entries of records (newest first, as given).
pub(super) async fn entries(db: &Db, rows: &[RecordRow]) -> Result<Vec<Entry>, WebError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let book = place_book(db).await?;
    Ok(rows
        .iter()
        .map(|r| Entry {
            id: r.id,
            version: r.version,
            date: r.period_date.format("%Y-%m-%d").to_string(),
            kind: r.record_kind().map_or("记录", RecordKind::label_zh),
            unit: r.unit_name.clone().unwrap_or_default(),
            region: match book.full_name(r.region_code) {
                n if n.is_empty() => r.region_name.clone(),
                n => n,
            },
            fields: r.describe(&book),
        })
        .collect())
}

// ---------------------------------------------------------------------------
// The form

/// What the form is about: the worker, and how the record is saved.
struct Subject {
    action: String,
    version: i64,
    editing: bool,
    worker_id: i64,
    worker_name: String,
    worker_id_masked: String,
    /// Masked names of the worker's children (for the 随迁子女 hint).
    children: Vec<String>,
    /// The masked child of the record being edited.
    child_before: Option<String>,
}

#[derive(Template)]
#[template(path = "record_form.html")]
struct FormTpl {
    layout: Layout,
    form: FieldForm,
    worker_id: i64,
    worker_name: String,
    worker_id_masked: String,
}

/// The hint of the 随迁子女 field: the worker's children, and the child of
/// the record being edited (named again to save).
fn child_help(s: &Subject) -> String {
    let help = if s.children.is_empty() {
        "该农民工尚未登记随迁子女，请先在随迁家属中添加。".to_string()
    } else {
        format!("填写子女的姓名或身份证号。已登记的随迁子女：{}", s.children.join("、"))
    };
    match &s.child_before {
        Some(before) => format!("原记录为 {before}，保存时请重新填写子女的姓名或身份证号。{help}"),
        None => help,
    }
}

async fn form_page(
    n: &Need<WriteRecords>,
    spec: &'static KindSpec,
    s: Subject,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
    conflict: Option<String>,
) -> Result<FormTpl, WebError> {
    let label = spec.kind.label_zh();
    let title = if s.editing {
        format!("修改{label}记录")
    } else {
        format!("新增{label}记录")
    };
    let filled = Filled {
        values,
        errors,
        conflict,
        child_help: Some(child_help(&s)),
    };
    Ok(FormTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), title.clone())
            .crumb("农民工名册", "/workers")
            .crumb(s.worker_name.clone(), format!("/workers/{}", s.worker_id))
            .crumb(title, ""),
        form: FieldForm::new(&n.ctx, &n.actor, spec, s.action, s.version, filled).await?,
        worker_id: s.worker_id,
        worker_name: s.worker_name,
        worker_id_masked: s.worker_id_masked,
    })
}

fn children_of(deps: &[workers::DependantRow]) -> Vec<String> {
    deps.iter()
        .filter(|d| d.relation == "子女")
        .map(|d| d.name_masked.clone())
        .collect()
}

#[derive(Template)]
#[template(path = "record_kinds.html")]
struct KindsTpl {
    layout: Layout,
    worker_id: i64,
    kinds: Vec<(&'static str, &'static str)>,
}

async fn new_subject(n: &Need<WriteRecords>, worker_id: i64) -> Result<Subject, WebError> {
    let (w, deps) = workers::get_worker(&n.ctx.state.db, &n.actor, WorkerId(worker_id)).await?;
    Ok(Subject {
        action: format!("/workers/{worker_id}/records/new"),
        version: 0,
        editing: false,
        worker_id,
        worker_name: w.name,
        worker_id_masked: w.id_masked,
        children: children_of(&deps),
        child_before: None,
    })
}

/// GET /workers/{id}/records/new?kind=CODE (without a kind: a choice of kinds).
pub async fn new_page(
    n: Need<WriteRecords>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let s = new_subject(&n, id).await?;
    match spec_of(&q_get(&q, "kind")) {
        Some(spec) => Ok(html(
            &form_page(&n, spec, s, &HashMap::new(), &FieldErrors::default(), None).await?,
        )),
        None => Ok(html(&KindsTpl {
            layout: Layout::new(&n.ctx, Some(&n.actor), "新增记录")
                .crumb("农民工名册", "/workers")
                .crumb(s.worker_name.clone(), format!("/workers/{id}"))
                .crumb("新增记录", ""),
            worker_id: id,
            kinds: writable_kinds(&n.actor)
                .into_iter()
                .map(|k| (k.code(), k.label_zh()))
                .collect(),
        })),
    }
}

/// POST /workers/{id}/records/new
pub async fn create(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let s = new_subject(&n, id).await?;
    let Some(spec) = spec_of(form.get("form_kind")) else {
        return Err(AppError::BadRequest("请先选择要新增的记录类型。".into()).into());
    };
    let get = |k: &str| form.get(k).to_string();
    match records::create_record(&n.ctx.call(&n.actor), WorkerId(id), spec.kind, &get).await {
        Ok(_) => Ok(Redirect::to(&format!("/workers/{id}?done=record_created")).into_response()),
        Err(AppError::Validation(e)) => {
            let t = form_page(&n, spec, s, &submitted(spec, &form), &e, None).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// The record in scope, its spec and the subject of its edit form.
async fn edit_subject(
    n: &Need<WriteRecords>,
    id: i64,
    version: Option<i64>,
) -> Result<(RecordRow, &'static KindSpec, Subject), WebError> {
    let r = records::get_record(&n.ctx.state.db, &n.actor, RecordId(id)).await?;
    let spec = r
        .record_kind()
        .and_then(record::spec)
        .ok_or(WebError(AppError::NotFound))?;
    // The family is shown when the worker, too, is in the user's scope.
    let children = match workers::get_worker(&n.ctx.state.db, &n.actor, WorkerId(r.worker_id)).await {
        Ok((_, deps)) => children_of(&deps),
        Err(AppError::NotFound) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let s = Subject {
        action: format!("/records/{id}/edit"),
        version: version.unwrap_or(r.version),
        editing: true,
        worker_id: r.worker_id,
        worker_name: r.worker_name.clone(),
        worker_id_masked: r.worker_id_masked.clone(),
        children,
        child_before: r.child_masked.clone(),
    };
    Ok((r, spec, s))
}

/// GET /records/{id}/edit
pub async fn edit_page(n: Need<WriteRecords>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (r, spec, s) = edit_subject(&n, id, None).await?;
    let mut values = r.form_values();
    // The child is known by its masked name only: it is named again to save.
    values.remove("child");
    Ok(html(
        &form_page(&n, spec, s, &values, &FieldErrors::default(), None).await?,
    ))
}

/// POST /records/{id}/edit
pub async fn update(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let (r, spec, s) = edit_subject(&n, id, Some(version)).await?;
    let get = |k: &str| form.get(k).to_string();
    match records::update_record(&n.ctx.call(&n.actor), RecordId(id), version, &get).await {
        Ok(()) => Ok(Redirect::to(&format!("/workers/{}?done=record_saved", r.worker_id)).into_response()),
        Err(AppError::Validation(e)) => {
            let t = form_page(&n, spec, s, &submitted(spec, &form), &e, None).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let t = form_page(&n, spec, s, &submitted(spec, &form), &FieldErrors::default(), Some(m)).await?;
            Ok(with_status(html(&t), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /records/{id}/delete
pub async fn delete(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let worker_id = records::delete_record(&n.ctx.call(&n.actor), RecordId(id), version).await?;
    Ok(Redirect::to(&format!("/workers/{worker_id}?done=record_deleted")).into_response())
}

// ---------------------------------------------------------------------------
// The list and the export

/// A dropdown filter on one field of the kind.
pub struct Select {
    pub param: String,
    pub label: &'static str,
    pub options: Vec<(String, String)>,
    pub value: String,
}

/// The list's filters as read from the query string.
struct Filters {
    spec: &'static KindSpec,
    filter: RecordFilter,
    /// The query string again (for page links and the export).
    query: String,
    region: String,
    from: String,
    to: String,
    selects: Vec<Select>,
    /// (parameter, field label) of the fields that must be filled.
    filled: Vec<(String, &'static str)>,
    error: Option<String>,
}

/// Fields offered as filters: those with a fixed list of values.
fn filterable(ty: FieldType) -> bool {
    matches!(ty, FieldType::Choice(_) | FieldType::Industry | FieldType::Flag)
}

fn filters_of(q: &HashMap<String, String>) -> Result<Filters, WebError> {
    let code = q_get(q, "kind");
    let spec = if code.is_empty() {
        spec_of("employment")
    } else {
        spec_of(&code)
    }
    .ok_or_else(|| AppError::BadRequest("记录类型无效，请从菜单进入业务记录。".into()))?;
    let (region, from, to) = (q_get(q, "region"), q_get(q, "from"), q_get(q, "to"));
    let mut filter = RecordFilter::default();
    let mut error = None;
    if !region.is_empty() {
        filter.region =
            Some(DivisionCode::parse(&region).map_err(|e| AppError::BadRequest(format!("区划代码无效：{e}")))?);
    }
    for (text, slot) in [(&from, &mut filter.from), (&to, &mut filter.to)] {
        if text.is_empty() {
            continue;
        }
        match record::parse_date(text) {
            Some(d) => *slot = Some(d),
            None => {
                error = Some(format!(
                    "日期“{}”格式不正确，应为“年-月-日”，如 2023-03-05",
                    text.chars().take(20).collect::<String>()
                ));
            }
        }
    }
    let mut pairs: Vec<(String, String)> = vec![
        ("kind".into(), spec.kind.code().into()),
        ("region".into(), region.clone()),
        ("from".into(), from.clone()),
        ("to".into(), to.clone()),
    ];
    let mut selects = Vec::new();
    for f in spec.fields.iter().filter(|f| filterable(f.ty)) {
        let param = format!("f_{}", f.key);
        let mut options = options_of(f.ty);
        let mut value = q_get(q, &param);
        // Several values joined by "|" (from the board's drill-down links)
        // match any of them.
        let values: Vec<String> = value.split('|').map(str::to_string).collect();
        if !values.iter().all(|v| options.iter().any(|o| &o.0 == v)) {
            value.clear();
        }
        if !value.is_empty() {
            for v in &values {
                filter.fields.push((f.key, v.clone()));
            }
            pairs.push((param.clone(), value.clone()));
            if values.len() > 1 {
                options.push((value.clone(), values.join("或")));
            }
        }
        selects.push(Select {
            param,
            label: f.label,
            options,
            value,
        });
    }
    // "Filled" conditions come from the board's drill-down links.
    let mut filled = Vec::new();
    for f in spec.fields {
        let param = format!("p_{}", f.key);
        if q_get(q, &param) == "1" {
            filter.present.push(f.key);
            pairs.push((param.clone(), "1".into()));
            filled.push((param, f.label));
        }
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(Filters {
        spec,
        filter,
        query: query_string(&refs),
        region,
        from,
        to,
        selects,
        filled,
        error,
    })
}

#[derive(Template)]
#[template(path = "records.html")]
struct ListTpl {
    layout: Layout,
    kind: &'static str,
    kind_label: &'static str,
    kinds: Vec<(&'static str, &'static str)>,
    regions: Vec<(String, String)>,
    region: String,
    from: String,
    to: String,
    selects: Vec<Select>,
    filled: Vec<(String, &'static str)>,
    filter_error: Option<String>,
    table: Table,
    pager: Pager,
    query: String,
}

/// GET /records?kind=CODE&…
pub async fn list(n: Need<ReadPii>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let f = filters_of(&q)?;
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, f.query.clone());
    let (rows, total) = records::list_records(
        &st.db,
        &n.actor,
        f.spec.kind,
        &f.filter,
        pager.per_page,
        pager.offset(),
        workers::COUNT_CAP,
    )
    .await?;
    pager.total = total;
    pager.cap = workers::COUNT_CAP;
    let book = if rows.is_empty() {
        PlaceBook::default()
    } else {
        place_book(&st.db).await?
    };
    let can_write = n.actor.can(shiminhua_core::auth::Permission::WriteRecords);
    let mut table = Table::new(
        vec!["日期", "姓名", "身份证号", "所在地", "责任单位", "内容"],
        can_write,
    );
    for r in &rows {
        table.row(
            vec![
                Cell::text(r.period_date.format("%Y-%m-%d").to_string()).class("nowrap"),
                Cell::text(r.worker_name.clone()).link(format!("/workers/{}", r.worker_id)),
                Cell::text(r.worker_id_masked.clone()).class("code"),
                Cell::text(r.region_name.clone()),
                Cell::text(r.unit_name.clone().unwrap_or_default()),
                Cell::text(summary(&r.describe(&book), &[])).class("detail"),
            ],
            format!("/records/{}/edit", r.id),
        );
    }
    let kind_label = f.spec.kind.label_zh();
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), format!("业务记录：{kind_label}"))
            .crumb("农民工信息", "")
            .crumb("业务记录", "/records")
            .crumb(kind_label, ""),
        kind: f.spec.kind.code(),
        kind_label,
        kinds: visible_kinds(&n.actor)
            .into_iter()
            .map(|k| (k.code(), k.label_zh()))
            .collect(),
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        region: f.region,
        from: f.from,
        to: f.to,
        selects: f.selects,
        filled: f.filled,
        filter_error: f.error,
        table,
        pager,
        query: f.query,
    }))
}

/// GET /records/export?… — the filtered list as a workbook, streamed
/// (masked; audited).
pub async fn export(n: Need<ReadPii>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let f = filters_of(&q)?;
    let call = n.ctx.call(&n.actor);
    // Removed on every path: an error, or once the download has opened it.
    let file = TempFile(super::export_path(&n.ctx.state));
    records::export_records(&call, f.spec.kind, &f.filter, &file.0).await?;
    let name = format!("{}记录-{}.xlsx", f.spec.kind.label_zh(), file_stamp(call.now));
    // The download holds the open file; the path goes now.
    let response = super::xlsx_file_download(&file.0, &name).await;
    drop(file);
    response
}
