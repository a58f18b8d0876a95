//! The report page with its review, versions and 督办 marks, and its
//! attachments.

use super::notice_of;
use crate::error::WebError;
use crate::extract::{Ctx, Form, Need, SuperviseReports, ViewDashboard};
use crate::layout::Layout;
use crate::views::{date_zh, html, parse_id, with_status};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::attachments::FileRow;
use shiminhua_app::plan::reports;
use shiminhua_app::xlsx::local_time;
use shiminhua_app::{AppError, plan::document};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::ReportId;
use shiminhua_core::report::ReportStatus;
use std::collections::HashMap;

pub struct FigureLine {
    pub target: String,
    pub region: String,
    pub value: String,
}

pub struct NoteLine {
    pub heading: String,
    pub note: String,
}

pub struct VersionLine {
    pub version: i64,
    pub action: &'static str,
    pub at: String,
    pub by: String,
    pub comment: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ShowTpl {
    layout: Layout,
    id: i64,
    version: i64,
    unit: String,
    period: String,
    period_label: String,
    status: &'static str,
    css: &'static str,
    due: String,
    late: bool,
    filed: String,
    updated: String,
    reviewed: String,
    comment: String,
    body: String,
    notes: Vec<NoteLine>,
    figures: Vec<FigureLine>,
    files: Vec<FileRow>,
    versions: Vec<VersionLine>,
    urges: Vec<String>,
    closed: Option<String>,
    can_edit: bool,
    can_review: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn show_page(
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ShowTpl, WebError> {
    let st = &ctx.state;
    let v = reports::get(&st.db, actor, ReportId(id)).await?;
    let cur = document::current(&st.db).await?;
    let r = &v.report;
    let region_name = |code: i64| -> String {
        DivisionCode::from_i64(code)
            .ok()
            .map(|c| {
                if c == cur.plan.meta.region {
                    "全市".to_string()
                } else {
                    shiminhua_app::plan::in_force::context()
                        .counties
                        .iter()
                        .find(|(k, _)| *k == c)
                        .map(|(_, name)| name.clone())
                        .unwrap_or_else(|| c.to_string())
                }
            })
            .unwrap_or_default()
    };
    let figures = v
        .figures
        .iter()
        .map(|f| {
            let (name, unit) = cur
                .plan
                .target(&f.target)
                .map(|t| (t.name.clone(), t.unit.clone()))
                .unwrap_or_else(|| (f.target.clone(), String::new()));
            FigureLine {
                target: name,
                region: region_name(f.region),
                value: format!("{}{unit}", f.figure()),
            }
        })
        .collect();
    let note_map = r.note_map();
    let notes = v
        .measures
        .iter()
        .filter_map(|m| {
            note_map.get(&m.id).map(|note| NoteLine {
                heading: format!("{} 第{}条（{}）", m.heading, m.id, m.role),
                note: note.clone(),
            })
        })
        .collect();
    let due_day = v.due.as_ref().ok().copied();
    let late = due_day.is_some_and(|d| (r.filed_at + chrono::Duration::hours(8)).date_naive() > d);
    let state = r.state();
    let can_edit = actor.can(Permission::FileReports)
        && actor.unit_id == Some(r.unit_id)
        && state != ReportStatus::Accepted
        && v.closed.is_none();
    Ok(ShowTpl {
        layout: Layout::new(ctx, Some(actor), format!("{}：{}调度报告", r.unit_name, v.period.label))
            .crumb("目标督办", "")
            .crumb("调度", format!("/reports?period={}", r.period))
            .crumb(r.unit_name.clone(), ""),
        id: r.id,
        version: r.version,
        unit: r.unit_name.clone(),
        period: r.period.clone(),
        period_label: v.period.label.clone(),
        status: state.label_zh(),
        css: match state {
            ReportStatus::Accepted => "green",
            ReportStatus::Returned => "red",
            ReportStatus::Filed => "grey",
        },
        due: match &v.due {
            Ok(d) => date_zh(*d),
            Err(m) => m.clone(),
        },
        late,
        filed: format!("{} {}", local_time(r.filed_at), r.filed_by),
        updated: format!("{} {}", local_time(r.updated_at), r.updated_by),
        reviewed: r
            .reviewed_at
            .map(|t| format!("{} {}", local_time(t), r.reviewed_by))
            .unwrap_or_default(),
        comment: r.comment.clone(),
        body: r.body.clone(),
        notes,
        figures,
        files: v.files.clone(),
        versions: v
            .versions
            .iter()
            .map(|x| VersionLine {
                version: x.version,
                action: x.action_label(),
                at: local_time(x.changed_at),
                by: x.changed_by.clone(),
                comment: x.comment.clone(),
                body: x.body.clone(),
            })
            .collect(),
        urges: v
            .urges
            .iter()
            .map(|u| format!("{}（{} {}）", u.note, local_time(u.urged_at), u.urged_by))
            .collect(),
        closed: v
            .closed
            .as_ref()
            .map(|c| format!("本期调度已于{}关闭。", local_time(c.closed_at))),
        can_edit,
        can_review: actor.can(Permission::SuperviseReports) && state == ReportStatus::Filed,
        notice,
        error,
    })
}

/// GET /reports/{id}
pub async fn show(
    n: Need<ViewDashboard>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    Ok(html(&show_page(&n.ctx, &n.actor, id, notice_of(&q), None).await?))
}

/// POST /reports/{id}/review (decision = accept | return, comment, version)
pub async fn review(n: Need<SuperviseReports>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let accept = match form.get("decision") {
        "accept" => true,
        "return" => false,
        _ => return Err(AppError::field("decision", "请选择采纳或退回").into()),
    };
    match reports::review(
        &n.ctx.call(&n.actor),
        ReportId(id),
        version,
        accept,
        form.get("comment"),
    )
    .await
    {
        Ok(()) => {
            let done = if accept { "accepted" } else { "returned" };
            Ok(Redirect::to(&format!("/reports/{id}?done={done}")).into_response())
        }
        Err(AppError::Validation(e)) => {
            let msg = e.0.first().map(|(_, m)| m.clone());
            let page = show_page(&n.ctx, &n.actor, id, None, msg).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let page = show_page(&n.ctx, &n.actor, id, None, Some(m)).await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /reports/{id}/files/{file}
pub async fn download(n: Need<ViewDashboard>, Path((id, file)): Path<(String, String)>) -> Result<Response, WebError> {
    let (id, file) = (parse_id(&id)?, parse_id(&file)?);
    let (name, mime, bytes) = reports::attachment(&n.ctx.state.db, &n.actor, ReportId(id), file).await?;
    let encoded = crate::views::percent_encode(&name);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"attachment.{ext}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response())
}
