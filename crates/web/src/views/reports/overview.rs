//! The office's overview of a period, the measures with their units'
//! standing, urging a unit and closing a period.

use super::notice_of;
use crate::error::WebError;
use crate::extract::{Form, Need, SuperviseReports, ViewDashboard};
use crate::layout::Layout;
use crate::views::{date_zh, html, q_get};
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use shiminhua_app::plan::reports::{self, Obligation};
use shiminhua_app::xlsx::local_time;
use shiminhua_app::{AppError, plan::document};
use shiminhua_core::auth::Permission;
use std::collections::HashMap;

fn due_text(due: &Result<NaiveDate, String>) -> String {
    match due {
        Ok(d) => date_zh(*d),
        Err(_) => "无法计算".into(),
    }
}

/// A unit's standing as a table row.
pub struct Row {
    pub unit_id: i64,
    pub unit: String,
    pub owes: bool,
    pub status: &'static str,
    pub css: &'static str,
    pub overdue: bool,
    pub near_due: bool,
    pub outstanding: bool,
    pub report_id: i64,
    pub filed: String,
    pub late: bool,
    pub comment: String,
    pub urges: Vec<String>,
}

fn row_of(o: &Obligation) -> Row {
    Row {
        unit_id: o.unit.id,
        unit: o.unit.name.clone(),
        owes: o.owes,
        status: o.status_label(),
        css: o.css(),
        overdue: o.overdue,
        near_due: o.near_due,
        outstanding: o.outstanding(),
        report_id: o.report.as_ref().map_or(0, |r| r.id),
        filed: o
            .report
            .as_ref()
            .map(|r| format!("{} {}", local_time(r.updated_at), r.updated_by))
            .unwrap_or_default(),
        late: o.late,
        comment: o.report.as_ref().map(|r| r.comment.clone()).unwrap_or_default(),
        urges: o
            .urges
            .iter()
            .map(|u| format!("{}（{} {}）", u.note, local_time(u.urged_at), u.urged_by))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct OverviewTpl {
    layout: Layout,
    periods: Vec<(String, String)>,
    period: String,
    period_label: String,
    due: String,
    due_error: Option<String>,
    closed: Option<String>,
    can_close: bool,
    supervise: bool,
    /// The actor's unit may file for this period (no report yet).
    can_file: bool,
    rows: Vec<Row>,
    owing: usize,
    filed: usize,
    overdue: usize,
    notice: Option<&'static str>,
}

/// The overview of `period` (the default one when empty).
async fn overview_of(n: &Need<ViewDashboard>, period: &str) -> Result<reports::Overview, WebError> {
    let st = &n.ctx.state;
    match reports::overview(&st.db, &n.actor, period, st.clock.today()).await {
        Err(AppError::Validation(_)) => Ok(reports::overview(&st.db, &n.actor, "", st.clock.today()).await?),
        r => Ok(r?),
    }
}

/// GET /reports?period=2023Q3
pub async fn overview(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let ov = overview_of(&n, &q_get(&q, "period")).await?;
    let today = n.ctx.state.clock.today();
    let supervise = n.actor.can(Permission::SuperviseReports);
    let can_file = n.actor.can(Permission::FileReports)
        && n.actor.unit_id.is_some()
        && ov.closed.is_none()
        && ov.period.start <= today
        && n.actor
            .unit_id
            .is_none_or(|u| ov.row(u).is_none_or(|r| r.report.is_none()));
    let rows: Vec<Row> = ov.rows.iter().map(row_of).collect();
    Ok(html(&OverviewTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), format!("调度：{}", ov.period.label))
            .crumb("目标督办", "")
            .crumb("调度", ""),
        periods: ov.periods.iter().map(|p| (p.code.clone(), p.label.clone())).collect(),
        period: ov.period.code.clone(),
        period_label: ov.period.label.clone(),
        due: due_text(&ov.due),
        due_error: ov.due.as_ref().err().cloned(),
        closed: ov
            .closed
            .as_ref()
            .map(|c| format!("本期调度已于{}由{}关闭。", local_time(c.closed_at), c.closed_by)),
        can_close: supervise && ov.closed.is_none() && ov.period.end < today,
        supervise,
        can_file,
        owing: ov.rows.iter().filter(|r| r.owes).count(),
        filed: ov.rows.iter().filter(|r| r.owes && !r.outstanding()).count(),
        overdue: ov.rows.iter().filter(|r| r.overdue).count(),
        rows,
        notice: notice_of(&q),
    }))
}

/// A unit named in a measure, with its standing.
pub struct Chip {
    pub unit_id: i64,
    pub name: String,
    pub status: &'static str,
    pub css: &'static str,
    pub report_id: i64,
    pub outstanding: bool,
    pub urged: usize,
}

pub struct MeasureRow {
    pub id: String,
    pub text: String,
    pub lead: Vec<Chip>,
    pub cooperating: Vec<Chip>,
    /// Responsible bodies that are not units (各区县, the leading group).
    pub others: String,
}

pub struct ItemBlock {
    pub heading: String,
    pub measures: Vec<MeasureRow>,
}

#[derive(Template)]
#[template(path = "report_measures.html")]
struct MeasuresTpl {
    layout: Layout,
    periods: Vec<(String, String)>,
    period: String,
    period_label: String,
    due: String,
    supervise: bool,
    closed: bool,
    items: Vec<ItemBlock>,
    notice: Option<&'static str>,
}

/// GET /reports/measures?period=2023Q3
pub async fn measures(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let ov = overview_of(&n, &q_get(&q, "period")).await?;
    let cur = document::current(&n.ctx.state.db).await?;
    let chip = |dept: &String| -> Option<Chip> {
        let o = ov.by_dept(dept)?;
        Some(Chip {
            unit_id: o.unit.id,
            name: o.unit.short_name.clone(),
            status: o.status_label(),
            css: o.css(),
            report_id: o.report.as_ref().map_or(0, |r| r.id),
            outstanding: o.outstanding(),
            urged: o.urges.len(),
        })
    };
    let items = cur
        .plan
        .items
        .iter()
        .map(|item| ItemBlock {
            heading: item.heading(),
            measures: item
                .measures
                .iter()
                .map(|m| {
                    let mut others = m.others.clone();
                    if m.counties {
                        others.insert(0, "各区县".into());
                    }
                    if m.lead.is_empty() && m.cooperating.is_empty() && others.is_empty() {
                        others.push("专班办公室".into());
                    }
                    MeasureRow {
                        id: m.id.clone(),
                        text: m.text.clone(),
                        lead: m.lead.iter().filter_map(chip).collect(),
                        cooperating: m.cooperating.iter().filter_map(chip).collect(),
                        others: others.join("、"),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(html(&MeasuresTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), format!("调度：工作举措（{}）", ov.period.label))
            .crumb("目标督办", "")
            .crumb("调度", format!("/reports?period={}", ov.period.code))
            .crumb("工作举措", ""),
        periods: ov.periods.iter().map(|p| (p.code.clone(), p.label.clone())).collect(),
        period: ov.period.code.clone(),
        period_label: ov.period.label.clone(),
        due: due_text(&ov.due),
        supervise: n.actor.can(Permission::SuperviseReports),
        closed: ov.closed.is_some(),
        items,
        notice: notice_of(&q),
    }))
}

/// POST /reports/urge (unit, period, note, back)
pub async fn urge(n: Need<SuperviseReports>, form: Form) -> Result<Response, WebError> {
    let unit = form.get("unit").parse::<i64>().unwrap_or(0);
    let period = form.get("period").to_string();
    reports::urge(&n.ctx.call(&n.actor), unit, &period, form.get("note")).await?;
    let back = if form.get("back") == "measures" {
        "/reports/measures"
    } else {
        "/reports"
    };
    // The period was checked by the use case: a code of letters and digits.
    Ok(Redirect::to(&format!("{back}?period={}&done=urged", period.trim())).into_response())
}

/// POST /reports/close (period)
pub async fn close(n: Need<SuperviseReports>, form: Form) -> Result<Response, WebError> {
    let p = reports::close_period(&n.ctx.call(&n.actor), form.get("period")).await?;
    Ok(Redirect::to(&format!("/reports?period={}&done=closed", p.code)).into_response())
}
