//! 农民工信息: the list, the profile, registration, editing, family, reveal.

use super::{Pager, html, query_string};
use crate::error::WebError;
use crate::extract::{Form, Need, ReadPii, RevealPii, WriteRecords};
use crate::layout::Layout;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::registry::{
    self, DependantInput, DependantRow, EDUCATION, RELATIONS, RevealField, WorkerFilter, WorkerInput, WorkerRow,
};
use shiminhua_app::xlsx::local_time;
use shiminhua_app::{AppError, FieldErrors, records, regions};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use std::collections::HashMap;

pub(super) fn parse_id(s: &str) -> Result<i64, WebError> {
    s.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or(WebError(AppError::NotFound))
}

/// Townships and villages the actor may choose, labelled with their county.
pub(super) async fn region_options(
    ctx: &crate::extract::Ctx,
    actor: &Actor,
    min_level: i16,
) -> Result<Vec<(String, String)>, WebError> {
    let rows = regions::tree(&ctx.state.db, actor, 5).await?;
    let names: HashMap<i64, String> = rows.iter().map(|r| (r.code, r.name.clone())).collect();
    Ok(rows
        .iter()
        .filter(|r| r.level >= min_level)
        .map(|r| {
            let county = r
                .division()
                .and_then(|d| d.county())
                .and_then(|c| names.get(&c.as_i64()).cloned())
                .unwrap_or_default();
            let label = if r.level <= 3 {
                r.name.clone()
            } else {
                format!("{county} {}", r.name)
            };
            (r.display_code(), label)
        })
        .collect())
}

pub(super) fn q_get(q: &HashMap<String, String>, k: &str) -> String {
    q.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// The list's filters from the query string, and that query string again
/// (for page links and the export button).
fn filter_of(q: &HashMap<String, String>, today: chrono::NaiveDate) -> Result<(WorkerFilter, String), WebError> {
    let (search, region, tag, sort) = (q_get(q, "q"), q_get(q, "region"), q_get(q, "tag"), q_get(q, "sort"));
    let condition = q_get(q, "condition");
    let base = query_string(&[
        ("q", &search),
        ("region", &region),
        ("tag", &tag),
        ("condition", &condition),
        ("sort", &sort),
    ]);
    let region = if region.is_empty() {
        None
    } else {
        Some(DivisionCode::parse(&region).map_err(|e| AppError::Config(format!("区划代码无效：{e}")))?)
    };
    Ok((
        WorkerFilter {
            q: search,
            region,
            tag,
            sort,
            condition,
            as_of: Some(today),
        },
        base,
    ))
}

/// The filtered list as an Excel workbook, streamed (masked; audited).
pub async fn export(n: Need<ReadPii>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let (filter, _) = filter_of(&q, n.ctx.state.clock.today())?;
    let call = n.ctx.call(&n.actor);
    let path = super::export_path();
    if let Err(e) = registry::export_workers(&call, &filter, &path).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e.into());
    }
    super::xlsx_file_download(
        &path,
        &format!(
            "农民工名册-{}.xlsx",
            (call.now + chrono::Duration::hours(8)).format("%Y%m%d%H%M")
        ),
    )
    .await
}

#[derive(Template)]
#[template(path = "workers.html")]
struct ListTpl {
    layout: Layout,
    rows: Vec<WorkerRow>,
    pager: Pager,
    q: String,
    region: String,
    tag: String,
    sort: String,
    sorts: [(&'static str, &'static str); 3],
    condition: String,
    conditions: [(&'static str, &'static str); 4],
    regions: Vec<(String, String)>,
    can_write: bool,
    query: String,
}

pub async fn list(n: Need<ReadPii>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let (filter, base) = filter_of(&q, st.clock.today())?;
    let (search, region, tag, sort) = (
        filter.q.clone(),
        q_get(&q, "region"),
        filter.tag.clone(),
        filter.sort.clone(),
    );
    let query = base.clone();
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, base);
    let (rows, total) = registry::list_workers(
        &st.db,
        &st.cipher,
        &n.actor,
        &filter,
        pager.per_page,
        pager.offset(),
        registry::COUNT_CAP,
    )
    .await?;
    pager.total = total;
    pager.cap = registry::COUNT_CAP;
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "农民工名册")
            .crumb("农民工信息", "")
            .crumb("农民工名册", ""),
        rows,
        pager,
        q: search,
        region,
        tag,
        sort,
        sorts: [("recent", "最近登记"), ("name", "姓名"), ("region", "区划")],
        condition: filter.condition.clone(),
        conditions: registry::CONDITIONS,
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        can_write: n.actor.can(Permission::WriteRecords),
        query,
    }))
}

#[derive(Template)]
#[template(path = "worker.html")]
struct ProfileTpl {
    layout: Layout,
    w: WorkerRow,
    region_code: String,
    created: String,
    dependants: Vec<DependantRow>,
    can_write: bool,
    can_reveal: bool,
    notice: Option<String>,
    revealed: Option<String>,
    reason_error: Option<String>,
    /// Kinds the user may add a record of: (code, label).
    new_kinds: Vec<(&'static str, &'static str)>,
    timeline: Vec<super::records::Entry>,
    history: Vec<HistoryEntry>,
}

/// One line of 变更历史.
struct HistoryEntry {
    time: String,
    by: String,
    action: &'static str,
    object: String,
}

async fn profile_page(
    n: &crate::extract::Ctx,
    actor: &Actor,
    id: i64,
    notice: Option<String>,
    revealed: Option<String>,
    reason_error: Option<String>,
) -> Result<ProfileTpl, WebError> {
    let (w, dependants) = registry::get_worker(&n.state.db, actor, id).await?;
    let region_code = DivisionCode::from_i64(w.region_code)
        .map(|c| c.to_string())
        .unwrap_or_default();
    let can_write = actor.can(Permission::WriteRecords);
    let new_kinds = if can_write {
        super::records::writable_kinds(actor)
            .into_iter()
            .map(|k| (k.code(), k.label_zh()))
            .collect()
    } else {
        Vec::new()
    };
    let rows = records::worker_records(&n.state.db, actor, id).await?;
    let timeline = super::records::entries(&n.state.db, &rows).await?;
    let history = records::history(&n.state.db, actor, id)
        .await?
        .into_iter()
        .map(|h| {
            let object = if h.object_kind == "worker" {
                "农民工基本信息".to_string()
            } else {
                let kind = rows
                    .iter()
                    .find(|r| r.id == h.object_id)
                    .and_then(|r| r.record_kind())
                    .or_else(|| super::records::kind_of_data(&h.data));
                match kind {
                    Some(k) => format!("{}记录（编号 {}）", k.label_zh(), h.object_id),
                    None => format!("业务记录（编号 {}）", h.object_id),
                }
            };
            HistoryEntry {
                time: local_time(h.changed_at),
                by: h.changed_by,
                action: match h.action.as_str() {
                    "delete" => "删除",
                    _ => "修改",
                },
                object: format!("{object}，第 {} 版", h.version),
            }
        })
        .collect();
    Ok(ProfileTpl {
        layout: Layout::new(n, Some(actor), w.name.clone())
            .crumb("农民工名册", "/workers")
            .crumb(w.name.clone(), ""),
        region_code,
        created: local_time(w.created_at),
        w,
        dependants,
        can_write,
        can_reveal: actor.can(Permission::RevealPii),
        notice,
        revealed,
        reason_error,
        new_kinds,
        timeline,
        history,
    })
}

pub async fn profile(
    n: Need<ReadPii>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let notice = match q.get("done").map(String::as_str) {
        Some("created") => Some("已登记。".to_string()),
        Some("saved") => Some("已保存。".to_string()),
        Some("dependant") => Some("已添加随迁家属。".to_string()),
        Some("record_created") => Some("已新增记录。".to_string()),
        Some("record_saved") => Some("记录已保存。".to_string()),
        Some("record_deleted") => Some("记录已删除（删除前的内容保留在变更历史中）。".to_string()),
        _ => None,
    };
    Ok(html(&profile_page(&n.ctx, &n.actor, id, notice, None, None).await?))
}

pub async fn reveal(n: Need<RevealPii>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let field = match form.get("field") {
        "phone" => RevealField::Phone,
        _ => RevealField::IdNumber,
    };
    let label = if field == RevealField::Phone {
        "手机号"
    } else {
        "身份证号"
    };
    match registry::reveal(&n.ctx.call(&n.actor), id, field, form.get("reason")).await {
        Ok(v) => Ok(html(
            &profile_page(&n.ctx, &n.actor, id, None, Some(format!("{label}：{v}")), None).await?,
        )),
        Err(AppError::Validation(e)) => {
            let mut r =
                html(&profile_page(&n.ctx, &n.actor, id, None, None, e.get("reason").map(str::to_string)).await?);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "worker_form.html")]
struct FormTpl {
    layout: Layout,
    action: String,
    version: i64,
    editing: bool,
    v: WorkerInput,
    regions: Vec<(String, String)>,
    education: [&'static str; 7],
    errors: FieldErrors,
    conflict: Option<String>,
}

async fn form_page(
    n: &Need<WriteRecords>,
    id: Option<i64>,
    version: i64,
    v: WorkerInput,
    errors: FieldErrors,
    conflict: Option<String>,
) -> Result<FormTpl, WebError> {
    let title = if id.is_some() {
        "修改农民工信息"
    } else {
        "登记农民工"
    };
    Ok(FormTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), title)
            .crumb("农民工名册", "/workers")
            .crumb(title, ""),
        action: id.map_or("/workers/new".into(), |i| format!("/workers/{i}/edit")),
        version,
        editing: id.is_some(),
        v,
        regions: region_options(&n.ctx, &n.actor, 4).await?,
        education: EDUCATION,
        errors,
        conflict,
    })
}

fn input_of(form: &Form) -> WorkerInput {
    WorkerInput {
        name: form.get("name").into(),
        id_number: form.get("id_number").into(),
        phone: form.get("phone").into(),
        region: form.get("region").into(),
        hukou_place: form.get("hukou_place").into(),
        education: form.get("education").into(),
        skills: form.get("skills").into(),
        tags: form.get("tags").into(),
    }
}

pub(super) fn with_status(r: Response, s: StatusCode) -> Response {
    let mut r = r;
    *r.status_mut() = s;
    r
}

pub async fn new_page(n: Need<WriteRecords>) -> Result<Response, WebError> {
    Ok(html(
        &form_page(&n, None, 0, WorkerInput::default(), FieldErrors::default(), None).await?,
    ))
}

pub async fn create(n: Need<WriteRecords>, form: Form) -> Result<Response, WebError> {
    let input = input_of(&form);
    match registry::create_worker(&n.ctx.call(&n.actor), &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/workers/{id}?done=created")).into_response()),
        Err(AppError::Validation(e)) => {
            let t = form_page(&n, None, 0, input, e, None).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_page(n: Need<WriteRecords>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    let (w, _) = registry::get_worker(&st.db, &n.actor, id).await?;
    // The ID number is shown masked and read-only: it identifies the person.
    // The phone number is entered again to change it (masked values are not sent back).
    let v = WorkerInput {
        name: w.name.clone(),
        id_number: w.id_masked.clone(),
        phone: String::new(),
        region: DivisionCode::from_i64(w.region_code)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        hukou_place: w.hukou_place.clone(),
        education: w.education.clone(),
        skills: w.skills.clone(),
        tags: w.tags.clone(),
    };
    Ok(html(
        &form_page(&n, Some(id), w.version, v, FieldErrors::default(), None).await?,
    ))
}

pub async fn update(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let input = input_of(&form);
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    match registry::update_worker(&n.ctx.call(&n.actor), id, version, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/workers/{id}?done=saved")).into_response()),
        Err(AppError::Validation(e)) => {
            let t = form_page(&n, Some(id), version, input, e, None).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let t = form_page(&n, Some(id), version, input, FieldErrors::default(), Some(m)).await?;
            Ok(with_status(html(&t), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "dependant_form.html")]
struct DependantTpl {
    layout: Layout,
    worker_id: i64,
    worker_name: String,
    relations: [&'static str; 3],
    v: DependantInput,
    errors: FieldErrors,
}

async fn dependant_page(
    n: &Need<WriteRecords>,
    id: i64,
    v: DependantInput,
    errors: FieldErrors,
) -> Result<DependantTpl, WebError> {
    let (w, _) = registry::get_worker(&n.ctx.state.db, &n.actor, id).await?;
    Ok(DependantTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "添加随迁家属")
            .crumb("农民工名册", "/workers")
            .crumb(w.name.clone(), format!("/workers/{id}"))
            .crumb("添加随迁家属", ""),
        worker_id: id,
        worker_name: w.name,
        relations: RELATIONS,
        v,
        errors,
    })
}

pub async fn dependant_new_page(n: Need<WriteRecords>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    Ok(html(
        &dependant_page(&n, id, DependantInput::default(), FieldErrors::default()).await?,
    ))
}

pub async fn dependant_create(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let input = DependantInput {
        relation: form.get("relation").into(),
        name: form.get("name").into(),
        id_number: form.get("id_number").into(),
        birth_date: form.get("birth_date").into(),
    };
    match registry::add_dependant(&n.ctx.call(&n.actor), id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/workers/{id}?done=dependant")).into_response()),
        Err(AppError::Validation(e)) => {
            let t = dependant_page(&n, id, input, e).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}
