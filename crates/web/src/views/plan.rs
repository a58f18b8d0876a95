//! The plan (目标督办 › 目标与举措): the targets and measures, the TOML
//! editor of the task-force office, and the versions.

use super::html;
use crate::error::WebError;
use crate::extract::{Form, ManagePlan, Need, Signed};
use crate::layout::Layout;
use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use shiminhua_app::plan::{self, VersionRow};
use shiminhua_app::{AppError, FieldErrors};
use shiminhua_core::auth::Permission;
use shiminhua_core::plan::{Comparison, Figure, Measurement, Plan, Progress, Target, numeral_zh};
use std::collections::HashMap;

fn local(t: DateTime<Utc>) -> String {
    (t + Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string()
}

/// One row of the targets table.
pub struct TargetRow {
    pub name: String,
    pub source: String,
    pub text: String,
    pub figure: String,
    pub progress: &'static str,
    pub measured: String,
}

pub struct MeasureRow {
    pub id: String,
    pub text: String,
    pub lead: String,
    pub cooperating: String,
    pub others: String,
    pub due: String,
}

pub struct ItemRow {
    pub heading: String,
    pub section: String,
    pub measures: Vec<MeasureRow>,
}

fn figure(t: &Target) -> String {
    let total: Option<Figure> = if t.value.is_none() && !t.allocation.is_empty() {
        Some(Figure(t.allocation.values().map(|f| f.0).sum()))
    } else {
        t.value
    };
    let Some(v) = total else {
        return "定性目标（无量化数值）".into();
    };
    let u = &t.unit;
    let s = match (t.comparison, t.upper) {
        (Comparison::Between, Some(up)) => format!("{v}—{up}{u}"),
        (Comparison::About, _) => format!("{v}{u}左右"),
        (Comparison::AtMost, _) => format!("不超过{v}{u}"),
        _ => format!("不低于{v}{u}"),
    };
    if t.value.is_none() {
        format!("{s}（区县分解合计）")
    } else {
        s
    }
}

fn view(p: &Plan) -> (Vec<TargetRow>, Vec<ItemRow>) {
    let ctx = plan::context();
    let names: HashMap<&str, &str> = ctx.units.iter().map(|u| (u.code.as_str(), u.name.as_str())).collect();
    let name = |c: &String| {
        names
            .get(c.as_str())
            .map(|n| n.to_string())
            .unwrap_or_else(|| c.clone())
    };
    let join = |v: &[String]| v.iter().map(name).collect::<Vec<_>>().join("、");
    let targets = p
        .targets
        .iter()
        .map(|t| TargetRow {
            name: t.name.clone(),
            source: t.source.clone(),
            text: t.text.clone(),
            figure: figure(t),
            progress: match t.progress {
                Progress::Cumulative => "累计",
                Progress::Level => "水平值",
            },
            measured: match &t.measurement {
                Measurement::Computed(_) => "系统自动计算".into(),
                Measurement::Reported { reporter, cycle } => format!(
                    "{}填报（{}）",
                    name(reporter),
                    cycle.unwrap_or(p.reporting.cycle).label_zh()
                ),
            },
        })
        .collect();
    let items = p
        .items
        .iter()
        .map(|i| ItemRow {
            heading: format!("（{}）{}", numeral_zh(i.no), i.title),
            section: i.section.clone(),
            measures: i
                .measures
                .iter()
                .map(|m| {
                    let mut lead = join(&m.lead);
                    if m.counties {
                        lead = if lead.is_empty() {
                            "各区县".into()
                        } else {
                            format!("{lead}、各区县")
                        };
                    }
                    if lead.is_empty() && m.others.is_empty() {
                        lead = format!("{}（专班办公室）", name(&p.meta.office));
                    }
                    MeasureRow {
                        id: m.id.clone(),
                        text: m.text.clone(),
                        lead,
                        cooperating: join(&m.cooperating),
                        others: m.others.join("、"),
                        due: m
                            .due
                            .map(|d| d.format("%Y年%-m月%-d日前").to_string())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        })
        .collect();
    (targets, items)
}

#[derive(Template)]
#[template(path = "plan.html")]
struct ShowTpl {
    layout: Layout,
    title: String,
    issuer: String,
    issued: String,
    period: String,
    reporting: String,
    version: i64,
    updated: String,
    targets: Vec<TargetRow>,
    items: Vec<ItemRow>,
    can_edit: bool,
    notice: Option<String>,
}

pub async fn show(s: Signed, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let cur = plan::current(&s.ctx.state.db).await?;
    let p = &cur.plan;
    let (targets, items) = view(p);
    let notice = match q.get("done").map(String::as_str) {
        Some("saved") => Some(format!("已保存，现为第{}版。", cur.version)),
        _ => None,
    };
    Ok(html(&ShowTpl {
        layout: Layout::new(&s.ctx, Some(&s.actor), "目标与举措")
            .crumb("目标督办", "")
            .crumb("目标与举措", ""),
        title: p.meta.title.clone(),
        issuer: p.meta.issuer.clone(),
        issued: p.meta.issued.format("%Y年%-m月%-d日").to_string(),
        period: format!(
            "{}至{}",
            p.meta.start.format("%Y年%-m月%-d日"),
            p.meta.end.format("%Y年%-m月%-d日")
        ),
        reporting: format!(
            "{}调度，期末后{}个工作日内报送",
            p.reporting.cycle.label_zh(),
            p.reporting.due_working_days
        ),
        version: cur.version,
        updated: format!("{}（{}）", local(cur.updated_at), cur.updated_by),
        targets,
        items,
        can_edit: s.actor.can(Permission::ManagePlan),
        notice,
    }))
}

#[derive(Template)]
#[template(path = "plan_edit.html")]
struct EditTpl {
    layout: Layout,
    text: String,
    note: String,
    version: i64,
    errors: Vec<String>,
    note_error: Option<String>,
    conflict: Option<String>,
}

fn edit_layout(n: &Need<ManagePlan>) -> Layout {
    Layout::new(&n.ctx, Some(&n.actor), "修改目标计划")
        .crumb("目标督办", "")
        .crumb("目标与举措", "/plan")
        .crumb("修改", "")
}

pub async fn edit_page(n: Need<ManagePlan>) -> Result<Response, WebError> {
    let cur = plan::current(&n.ctx.state.db).await?;
    Ok(html(&EditTpl {
        layout: edit_layout(&n),
        text: cur.text,
        note: String::new(),
        version: cur.version,
        errors: Vec::new(),
        note_error: None,
        conflict: None,
    }))
}

pub async fn edit_submit(n: Need<ManagePlan>, form: Form) -> Result<Response, WebError> {
    // The text as typed: browsers send CRLF line ends from a textarea.
    let text = form.raw("toml").replace("\r\n", "\n");
    let note = form.get("note").to_string();
    let version = form.get("version").parse::<i64>().ok();
    let result = match version {
        Some(v) => plan::save(&n.ctx.call(&n.actor), &text, v, &note).await,
        None => Err(AppError::field("toml", "缺少版本号，请刷新页面后重新修改。")),
    };
    let mut t = EditTpl {
        layout: edit_layout(&n),
        text,
        note,
        version: version.unwrap_or(0),
        errors: Vec::new(),
        note_error: None,
        conflict: None,
    };
    let status = match result {
        Ok(_) => return Ok(Redirect::to("/plan?done=saved").into_response()),
        Err(AppError::Validation(FieldErrors(errs))) => {
            for (field, msg) in errs {
                if field == "note" {
                    t.note_error = Some(msg);
                } else {
                    t.errors.push(msg);
                }
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(AppError::Conflict(msg)) => {
            // The version stays the one the user started from, so that a
            // second save is refused too until the page is reloaded.
            t.conflict = Some(msg);
            StatusCode::CONFLICT
        }
        Err(e) => return Err(e.into()),
    };
    let mut r = html(&t);
    *r.status_mut() = status;
    Ok(r)
}

pub struct HistoryRow {
    pub version: i64,
    pub changed_at: String,
    pub changed_by: String,
    pub note: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "plan_history.html")]
struct HistoryTpl {
    layout: Layout,
    rows: Vec<HistoryRow>,
}

pub async fn history(s: Signed) -> Result<Response, WebError> {
    let rows: Vec<VersionRow> = plan::history(&s.ctx.state.db).await?;
    let top = rows.first().map(|r| r.version);
    Ok(html(&HistoryTpl {
        layout: Layout::new(&s.ctx, Some(&s.actor), "目标计划修改记录")
            .crumb("目标督办", "")
            .crumb("目标与举措", "/plan")
            .crumb("修改记录", ""),
        rows: rows
            .into_iter()
            .map(|r| HistoryRow {
                current: Some(r.version) == top,
                version: r.version,
                changed_at: local(r.changed_at),
                changed_by: r.changed_by,
                note: r.note,
            })
            .collect(),
    }))
}
