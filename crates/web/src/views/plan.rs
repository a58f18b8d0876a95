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
use shiminhua_app::plan::document::{self, VersionRow};
use shiminhua_app::{AppError, FieldErrors};
use shiminhua_core::auth::Permission;
use shiminhua_core::plan::{
    AllocationFit, AllocationTotal, Comparison, Measurement, Plan, Progress, Target, numeral_zh,
};
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
    let Some(v) = t.city_figure() else {
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
    let ctx = shiminhua_app::plan::in_force::context();
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
                Measurement::Counted { count, reporter, cycle } => match reporter {
                    None => format!("按{}台账统计", count.kind.label_zh()),
                    Some(r) => format!(
                        "按{}台账统计，{}填报核对（{}）",
                        count.kind.label_zh(),
                        name(r),
                        cycle.unwrap_or(p.reporting.cycle).label_zh()
                    ),
                },
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
    let cur = document::current(&s.ctx.state.db).await?;
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
    let cur = document::current(&n.ctx.state.db).await?;
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
        Some(v) => document::save(&n.ctx.call(&n.actor), &text, v, &note).await,
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

pub async fn history(s: Need<crate::extract::ViewDashboard>) -> Result<Response, WebError> {
    let rows: Vec<VersionRow> = document::history(&s.ctx.state.db).await?;
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

/// One input of the allocation table.
pub struct AllocCell {
    pub name: String,
    pub value: String,
    pub error: Option<String>,
}

/// One target on 任务分解.
pub struct AllocRow {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub city: AllocCell,
    pub counties: Vec<AllocCell>,
    /// The sum of the counties' figures as entered.
    pub sum: String,
    /// How the city figure relates to the allocations.
    pub remark: String,
    pub remark_warn: bool,
}

#[derive(Template)]
#[template(path = "plan_allocation.html")]
struct AllocationTpl {
    layout: Layout,
    counties: Vec<(String, String)>,
    rows: Vec<AllocRow>,
    version: i64,
    note: String,
    errors: Vec<String>,
    conflict: Option<String>,
    notice: Option<&'static str>,
}

fn allocation_layout(n: &Need<ManagePlan>) -> Layout {
    Layout::new(&n.ctx, Some(&n.actor), "任务分解")
        .crumb("目标督办", "")
        .crumb("任务分解", "")
}

/// The counties of the plan's region, in code order.
fn plan_counties(p: &Plan) -> Vec<(shiminhua_core::division::DivisionCode, String)> {
    shiminhua_app::plan::in_force::context()
        .counties
        .iter()
        .filter(|(c, _)| p.meta.region.contains(*c))
        .cloned()
        .collect()
}

/// The entries of one target as typed: (city figure, county figures).
type Typed = (String, Vec<String>);

fn allocation_rows(
    p: &Plan,
    counties: &[(shiminhua_core::division::DivisionCode, String)],
    typed: &HashMap<String, Typed>,
    errors: &HashMap<String, String>,
) -> Vec<AllocRow> {
    p.targets
        .iter()
        .filter(|t| t.progress == Progress::Cumulative)
        .map(|t| {
            let (city, each) = typed.get(&t.id).cloned().unwrap_or_else(|| {
                (
                    t.value.map(|v| v.to_string()).unwrap_or_default(),
                    counties
                        .iter()
                        .map(|(c, _)| t.allocation.get(c).map(|f| f.to_string()).unwrap_or_default())
                        .collect(),
                )
            });
            let cell = |name: String, value: String| AllocCell {
                error: errors.get(&name).cloned(),
                name,
                value,
            };
            let total = AllocationTotal::of(&city, &each);
            let (remark, remark_warn) = match total.fit {
                AllocationFit::NotAllocated => ("未分解".to_string(), false),
                AllocationFit::CityIsSum => ("市目标取分解合计".to_string(), false),
                AllocationFit::Matches => ("分解合计与市目标一致".to_string(), false),
                AllocationFit::Off { more, by } => (
                    format!("分解合计比市目标{}{}{}", if more { "多" } else { "少" }, by, t.unit),
                    true,
                ),
            };
            AllocRow {
                id: t.id.clone(),
                name: t.name.clone(),
                unit: t.unit.clone(),
                city: cell(format!("v_{}", t.id), city),
                counties: counties
                    .iter()
                    .zip(each)
                    .map(|((c, _), v)| cell(format!("a_{}_{c}", t.id), v))
                    .collect(),
                sum: total.sum_figure().map(|f| f.to_string()).unwrap_or_default(),
                remark,
                remark_warn,
            }
        })
        .collect()
}

/// 任务分解: the office allocates each city target to the counties.
pub async fn allocation_page(
    n: Need<ManagePlan>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let cur = document::current(&n.ctx.state.db).await?;
    let counties = plan_counties(&cur.plan);
    let rows = allocation_rows(&cur.plan, &counties, &HashMap::new(), &HashMap::new());
    Ok(html(&AllocationTpl {
        layout: allocation_layout(&n),
        counties: counties.into_iter().map(|(c, name)| (c.to_string(), name)).collect(),
        rows,
        version: cur.version,
        note: String::new(),
        errors: Vec::new(),
        conflict: None,
        notice: (q.get("done").map(String::as_str) == Some("saved"))
            .then_some("任务分解已保存，各区县目标进度按新的分解计算。"),
    }))
}

pub async fn allocation_submit(n: Need<ManagePlan>, form: Form) -> Result<Response, WebError> {
    let cur = document::current(&n.ctx.state.db).await?;
    let counties = plan_counties(&cur.plan);
    let note = form.get("note").to_string();
    let version = form.get("version").parse::<i64>().ok();
    // Read every input; keep what was typed for the page.
    let mut typed: HashMap<String, Typed> = HashMap::new();
    let mut field_errors: HashMap<String, String> = HashMap::new();
    let mut changes = std::collections::BTreeMap::new();
    for t in cur.plan.targets.iter().filter(|t| t.progress == Progress::Cumulative) {
        let read = |name: &str, errs: &mut HashMap<String, String>| -> Option<String> {
            let v = form.get(name).trim();
            if v.is_empty() {
                return None;
            }
            match document::allocation_figure(v) {
                Ok(f) => Some(f),
                Err(e) => {
                    errs.insert(name.to_string(), e);
                    None
                }
            }
        };
        let city_name = format!("v_{}", t.id);
        // A target whose row was not sent stays as it is.
        if form.all(&city_name).is_empty() {
            continue;
        }
        let value = read(&city_name, &mut field_errors);
        let mut alloc = document::Allocation {
            value,
            ..Default::default()
        };
        let mut each = Vec::new();
        for (c, _) in &counties {
            let name = format!("a_{}_{c}", t.id);
            if let Some(f) = read(&name, &mut field_errors) {
                alloc.counties.insert(*c, f);
            }
            each.push(form.get(&name).to_string());
        }
        typed.insert(t.id.clone(), (form.get(&city_name).to_string(), each));
        let before: std::collections::BTreeMap<_, _> = t.allocation.iter().map(|(c, f)| (*c, f.to_string())).collect();
        if alloc.value != t.value.map(|v| v.to_string()) || alloc.counties != before {
            changes.insert(t.id.clone(), alloc);
        }
    }
    let result = match version {
        _ if !field_errors.is_empty() => Err(AppError::field("allocation", "有数字填写不正确，请按提示修改。")),
        None => Err(AppError::field("allocation", "缺少版本号，请刷新页面后重新修改。")),
        Some(_) if changes.is_empty() => Err(AppError::field("allocation", "分解没有改动，无需保存。")),
        Some(v) => document::save_allocations(&n.ctx.call(&n.actor), &changes, v, &note).await,
    };
    let (status, errors, conflict) = match result {
        Ok(_) => return Ok(Redirect::to("/plan/allocation?done=saved").into_response()),
        Err(AppError::Validation(FieldErrors(errs))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errs.into_iter().map(|(_, m)| m).collect(),
            None,
        ),
        Err(AppError::Conflict(m)) => (StatusCode::CONFLICT, Vec::new(), Some(m)),
        Err(e) => return Err(e.into()),
    };
    let rows = allocation_rows(&cur.plan, &counties, &typed, &field_errors);
    let mut r = html(&AllocationTpl {
        layout: allocation_layout(&n),
        counties: counties.into_iter().map(|(c, name)| (c.to_string(), name)).collect(),
        rows,
        version: version.unwrap_or(0),
        note,
        errors,
        conflict,
        notice: None,
    });
    *r.status_mut() = status;
    Ok(r)
}
