//! 农民工信息: the list, the profile, registration, editing, family, reveal,
//! merging a duplicate registration.

use super::{Pager, html, parse_id, q_get, query_string, region_options, with_status};
use crate::error::WebError;
use crate::extract::{Form, Need, ReadPii, RevealPii, WriteRecords};
use crate::layout::Layout;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::registry::merge::{self, MergePreview};
use shiminhua_app::registry::workers::{
    self, DependantInput, DependantRow, EDUCATION, RELATIONS, RevealField, WorkerFilter, WorkerInput, WorkerRow,
};
use shiminhua_app::xlsx::local_time;
use shiminhua_app::{AppError, FieldErrors, registry::records};
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::WorkerId;
use std::collections::HashMap;

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
        Some(DivisionCode::parse(&region).map_err(|e| AppError::BadRequest(format!("区划代码无效：{e}")))?)
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
    let path = super::export_path(&n.ctx.state);
    if let Err(e) = workers::export_workers(&call, &filter, &path).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e.into());
    }
    super::xlsx_file_download(&path, &format!("农民工名册-{}.xlsx", super::file_stamp(call.now))).await
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
    let (mut rows, total) = workers::list_workers(
        &st.db,
        &st.cipher,
        &n.actor,
        &filter,
        pager.per_page,
        pager.offset(),
        workers::COUNT_CAP,
    )
    .await?;
    pager.total = total;
    pager.cap = workers::COUNT_CAP;
    let counties = shiminhua_app::regions::CountyNames::load(&st.db).await?;
    for r in &mut rows {
        r.region_name = counties.full(r.region_code, &r.region_name);
    }
    super::audit::saw_search(&st.reads, &n.ctx.call(&n.actor), &search, rows.iter().map(|r| r.id));
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
        conditions: workers::CONDITIONS,
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
    /// Age in years from the birth year alone (shown as "约N岁").
    age: i32,
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
    let (mut w, dependants) = workers::get_worker(&n.state.db, actor, WorkerId(id)).await?;
    w.region_name = shiminhua_app::regions::CountyNames::load(&n.state.db)
        .await?
        .full(w.region_code, &w.region_name);
    let can_write = actor.can(Permission::WriteRecords);
    let new_kinds = if can_write {
        super::records::writable_kinds(actor)
            .into_iter()
            .map(|k| (k.code(), k.label_zh()))
            .collect()
    } else {
        Vec::new()
    };
    let rows = records::worker_records(&n.state.db, actor, WorkerId(id)).await?;
    let timeline = super::records::entries(&n.state.db, &rows).await?;
    let history = records::history(&n.state.db, actor, WorkerId(id))
        .await?
        .into_iter()
        .map(|h| {
            let note = merge_note(&h.data);
            let noted = |key: &str| {
                note.as_ref()
                    .and_then(|n| n.get(key))
                    .and_then(serde_json::Value::as_i64)
            };
            let object = match h.object_kind.as_str() {
                "worker" if h.object_id != id => {
                    format!("重复登记（原编号 {}），已并入本条登记并删除", h.object_id)
                }
                "worker" => match noted("from_worker") {
                    Some(from) => format!("农民工基本信息（并入重复登记，原编号 {from}），第 {} 版", h.version),
                    None => format!("农民工基本信息，第 {} 版", h.version),
                },
                "dependant" => match (noted("merged_into_dependant"), noted("id_number_from_dependant")) {
                    (Some(into), _) => format!("随迁家属（编号 {}，与编号 {into} 为同一人，已合并）", h.object_id),
                    (None, Some(from)) => {
                        format!("随迁家属（编号 {}，补记编号 {from} 登记的身份证号）", h.object_id)
                    }
                    (None, None) => format!("随迁家属（编号 {}，原属重复登记）", h.object_id),
                },
                _ => {
                    let kind = rows
                        .iter()
                        .find(|r| r.id == h.object_id)
                        .and_then(|r| r.record_kind())
                        .or_else(|| {
                            note.as_ref()
                                .and_then(|n| n.get("kind"))
                                .and_then(serde_json::Value::as_str)
                                .and_then(RecordKind::from_code)
                        })
                        .or_else(|| super::records::kind_of_data(&h.data));
                    let label = match kind {
                        Some(k) => format!("{}记录（编号 {}", k.label_zh(), h.object_id),
                        None => format!("业务记录（编号 {}", h.object_id),
                    };
                    match noted("kept_record") {
                        Some(kept) => format!("{label}，与编号 {kept} 重复），第 {} 版", h.version),
                        None => format!("{label}），第 {} 版", h.version),
                    }
                }
            };
            HistoryEntry {
                time: local_time(h.changed_at),
                by: h.changed_by,
                action: match h.action.as_str() {
                    "delete" => "删除",
                    "merge" => "合并",
                    _ => "修改",
                },
                object,
            }
        })
        .collect();
    Ok(ProfileTpl {
        layout: Layout::new(n, Some(actor), w.name.clone())
            .crumb("农民工名册", "/workers")
            .crumb(w.name.clone(), ""),
        age: chrono::Datelike::year(&n.state.clock.today()) - w.birth_year,
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
        Some("merged") => Some(
            "已合并重复登记：重复登记的业务记录和随迁家属已并入本条登记，重复登记已删除（合并前的内容保留在变更历史中）。"
                .to_string(),
        ),
        _ => None,
    };
    let page = profile_page(&n.ctx, &n.actor, id, notice, None, None).await?;
    n.ctx.state.reads.saw(
        &n.ctx.call(&n.actor),
        shiminhua_app::audit::Event::ok("worker.view", "worker", id),
    );
    Ok(html(&page))
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
    match workers::reveal(&n.ctx.call(&n.actor), WorkerId(id), field, form.get("reason")).await {
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

pub async fn new_page(n: Need<WriteRecords>) -> Result<Response, WebError> {
    Ok(html(
        &form_page(&n, None, 0, WorkerInput::default(), FieldErrors::default(), None).await?,
    ))
}

pub async fn create(n: Need<WriteRecords>, form: Form) -> Result<Response, WebError> {
    let input = input_of(&form);
    match workers::create_worker(&n.ctx.call(&n.actor), &input).await {
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
    let (w, _) = workers::get_worker(&st.db, &n.actor, WorkerId(id)).await?;
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
    match workers::update_worker(&n.ctx.call(&n.actor), WorkerId(id), version, &input).await {
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
    let (w, _) = workers::get_worker(&n.ctx.state.db, &n.actor, WorkerId(id)).await?;
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
    match workers::add_dependant(&n.ctx.call(&n.actor), WorkerId(id), &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/workers/{id}?done=dependant")).into_response()),
        Err(AppError::Validation(e)) => {
            let t = dependant_page(&n, id, input, e).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// The `_merge` note a merge adds to the history rows it writes.
fn merge_note(data: &str) -> Option<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(data)
        .ok()?
        .get("_merge")
        .cloned()
}

/// One registration as the merge pages show it (masked).
struct Side {
    id: i64,
    name: String,
    id_masked: String,
    sex: String,
    birth_year: i32,
    phone: String,
    region: String,
    hukou_place: String,
    created: String,
    dependants: Vec<DependantRow>,
}

impl Side {
    fn of(w: &WorkerRow, dependants: Vec<DependantRow>) -> Side {
        Side {
            id: w.id,
            name: w.name.clone(),
            id_masked: w.id_masked.clone(),
            sex: w.sex.clone(),
            birth_year: w.birth_year,
            phone: if w.phone_masked.is_empty() {
                "未登记".into()
            } else {
                w.phone_masked.clone()
            },
            region: w.region_name.clone(),
            hukou_place: w.hukou_place.clone(),
            created: local_time(w.created_at),
            dependants,
        }
    }
}

/// What the confirmation step shows.
struct Confirm {
    source: Side,
    version: i64,
    reason: String,
    summary: merge::MergeSummary,
    kinds: Vec<(&'static str, u64, u64)>,
    /// Differences between the two registrations worth a second look.
    warnings: Vec<String>,
}

#[derive(Template)]
#[template(path = "worker_merge.html")]
struct MergeTpl {
    layout: Layout,
    target: Side,
    id_number: String,
    reason: String,
    errors: FieldErrors,
    conflict: Option<String>,
    confirm: Option<Confirm>,
}

async fn merge_page(
    n: &Need<WriteRecords>,
    id: i64,
    id_number: &str,
    reason: &str,
    errors: FieldErrors,
    conflict: Option<String>,
    preview: Option<MergePreview>,
) -> Result<MergeTpl, WebError> {
    let (target, confirm) = match preview {
        Some(p) => {
            let mut warnings = Vec::new();
            if p.target.name != p.source.name {
                warnings.push(format!(
                    "两条登记的姓名不一致（本条：{}，重复登记：{}），请确认为同一人后再合并。",
                    p.target.name, p.source.name
                ));
            }
            if p.target.sex != p.source.sex {
                warnings.push("两条登记的性别（由身份证号推算）不一致，请确认为同一人后再合并。".to_string());
            }
            let target = Side::of(&p.target, p.target_dependants);
            let confirm = Confirm {
                source: Side::of(&p.source, p.source_dependants),
                version: p.target.version,
                reason: p.reason,
                summary: p.summary,
                kinds: p.kinds,
                warnings,
            };
            (target, Some(confirm))
        }
        None => {
            let (w, deps) = workers::get_worker(&n.ctx.state.db, &n.actor, WorkerId(id)).await?;
            (Side::of(&w, deps), None)
        }
    };
    Ok(MergeTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "合并重复登记")
            .crumb("农民工名册", "/workers")
            .crumb(target.name.clone(), format!("/workers/{id}"))
            .crumb("合并重复登记", ""),
        target,
        id_number: id_number.to_string(),
        reason: reason.to_string(),
        errors,
        conflict,
        confirm,
    })
}

/// POST /workers/{id}/merge: finds the duplicate registration by its full ID
/// number and shows both and what the merge will do, for confirmation.
pub async fn merge_preview(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (id_number, reason) = (form.get("id_number"), form.get("reason"));
    match merge::preview_merge(&n.ctx.call(&n.actor), WorkerId(id), id_number, reason).await {
        Ok(p) => Ok(html(
            &merge_page(&n, id, "", reason, FieldErrors::default(), None, Some(p)).await?,
        )),
        Err(AppError::Validation(e)) => {
            let t = merge_page(&n, id, id_number, reason, e, None, None).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /workers/{id}/merge/confirm: merges the confirmed duplicate into this
/// registration and returns to its profile.
pub async fn merge_confirm(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let source = form.get("source").parse::<i64>().unwrap_or(0);
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let reason = form.get("reason");
    match merge::merge_workers(&n.ctx.call(&n.actor), WorkerId(id), version, WorkerId(source), reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/workers/{id}?done=merged")).into_response()),
        Err(AppError::Validation(e)) => {
            let t = merge_page(&n, id, "", reason, e, None, None).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let t = merge_page(&n, id, "", reason, FieldErrors::default(), Some(m), None).await?;
            Ok(with_status(html(&t), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}
