//! 预警: the list with its filters and export, one warning with its
//! history, and what is done with it — 签收, 解除 (with the reason),
//! 升级督办 (the task-force office) and 转为欠薪线索 (the roles that register
//! cases), each from the version the user saw.

use super::{authorities, checks, coded, level_class, levels, local_time, messages, region_of, seen};
use crate::error::WebError;
use crate::extract::{Form, Need, RegisterCases, ViewDashboard};
use crate::layout::Layout;
use crate::views::{Pager, TempFile, file_stamp, html, parse_id, q_get, query_string, region_options, with_status};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use shiminhua_app::AppError;
use shiminhua_app::audit::{self, Event, Who};
use shiminhua_app::regions::PlaceBook;
use shiminhua_app::rights::monitor::{self, WarningAction, WarningFilter, WarningRow};
use shiminhua_app::xlsx::{XCell, XlsxStream};
use shiminhua_core::auth::Permission;
use shiminhua_core::monitor::{Authority, Check, Level, WarningStatus};
use std::collections::HashMap;

/// A warning as listed.
pub struct Line {
    pub id: i64,
    pub project_id: i64,
    pub project: String,
    pub project_code: String,
    pub rule: String,
    pub month: String,
    pub level: &'static str,
    pub level_class: &'static str,
    pub region: String,
    pub authority: &'static str,
    pub status: &'static str,
    pub opened: String,
    pub due: String,
    pub overdue: bool,
    pub case: Option<(i64, String)>,
}

pub(crate) fn line(w: &WarningRow, today: NaiveDate, book: &PlaceBook) -> Line {
    let region = match book.full_name(w.region_code) {
        n if n.is_empty() => w.region_name.clone(),
        n => n,
    };
    Line {
        id: w.id,
        project_id: w.project_id,
        project: w.project_name.clone(),
        project_code: w.project_code.clone(),
        rule: w.rule_name.clone(),
        month: w.month().map(|m| m.to_string()).unwrap_or_default(),
        level: w.level().label_zh(),
        level_class: level_class(w.level()),
        region,
        authority: w.authority_label(),
        status: w.status().label_zh(),
        opened: w.opened_on.to_string(),
        due: w.due_on.to_string(),
        overdue: w.overdue(today),
        case: w.case_id.zip(w.case_number.clone()),
    }
}

/// The list's filters from the query string, and that query string again.
fn filter_of(q: &HashMap<String, String>) -> Result<(WarningFilter, String), WebError> {
    let project = q_get(q, "project");
    let f = WarningFilter {
        all: q_get(q, "all") == "1",
        region: region_of(q)?,
        authority: coded(q, "authority", Authority::from_code)?,
        check: coded(q, "check", Check::from_code)?,
        level: coded(q, "level", Level::from_code)?,
        project_id: if project.is_empty() {
            None
        } else {
            Some(crate::views::parse_id(&project)?)
        },
        overdue: q_get(q, "overdue") == "1",
        unpaid_wages: q_get(q, "unpaid") == "1",
    };
    let base = query_string(&[
        ("region", &q_get(q, "region")),
        ("authority", &q_get(q, "authority")),
        ("check", &q_get(q, "check")),
        ("level", &q_get(q, "level")),
        ("project", &project),
        ("overdue", if f.overdue { "1" } else { "" }),
        ("unpaid", if f.unpaid_wages { "1" } else { "" }),
        ("all", if f.all { "1" } else { "" }),
    ]);
    Ok((f, base))
}

#[derive(Template)]
#[template(path = "monitor/warnings.html")]
struct ListTpl {
    layout: Layout,
    rows: Vec<Line>,
    pager: Pager,
    query: String,
    regions: Vec<(String, String)>,
    region: String,
    authorities: Vec<(&'static str, &'static str)>,
    authority: String,
    checks: Vec<(&'static str, &'static str)>,
    check: String,
    levels: Vec<(&'static str, &'static str)>,
    level: String,
    project: String,
    overdue: bool,
    all: bool,
}

/// GET /monitor/warnings?region=…&authority=…&check=…&level=…&overdue=1&all=1
pub async fn list(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let (f, base) = filter_of(&q)?;
    let today = st.clock.today();
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, base.clone());
    let (rows, total) = seen(
        st,
        &n.actor,
        monitor::warnings(&st.db, &n.actor, &f, today, pager.per_page, pager.offset()).await,
    )?;
    pager.total = total;
    let book = PlaceBook::load(&mut st.db.read().await?).await?;
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "预警")
            .crumb("欠薪治理", "")
            .crumb("工资支付监控", "/monitor")
            .crumb("预警", ""),
        rows: rows.iter().map(|w| line(w, today, &book)).collect(),
        pager,
        query: base,
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        region: q_get(&q, "region"),
        authorities: authorities(),
        authority: q_get(&q, "authority"),
        checks: checks(),
        check: q_get(&q, "check"),
        levels: levels(),
        level: q_get(&q, "level"),
        project: q_get(&q, "project"),
        overdue: f.overdue,
        all: f.all,
    }))
}

/// Most warnings an export holds.
const EXPORT_MAX: i64 = 100_000;

/// GET /monitor/warnings/export?… — the filtered list as a workbook (audited).
pub async fn export(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let (f, _) = filter_of(&q)?;
    let today = st.clock.today();
    let mut rows = Vec::new();
    loop {
        let offset = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let (page, total) = seen(
            st,
            &n.actor,
            monitor::warnings(&st.db, &n.actor, &f, today, 1000, offset).await,
        )?;
        let done = page.is_empty();
        rows.extend(page);
        if done || rows.len() as i64 >= total.min(EXPORT_MAX) {
            break;
        }
    }
    let call = n.ctx.call(&n.actor);
    // Removed on every path: an error, or once the download has opened it.
    let file = TempFile(crate::views::export_path(st));
    let path = file.0.clone();
    let count = rows.len();
    tokio::task::spawn_blocking(move || write_workbook(&path, &rows, today))
        .await
        .map_err(|e| AppError::Internal(format!("export: {e}")))??;
    audit::record_alone(
        call.db,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("monitor.warnings.export", "warning", "list").detail(format!("rows={count}")),
    )
    .await?;
    let name = format!("工资支付监控预警-{}.xlsx", file_stamp(call.now));
    let response = crate::views::xlsx_file_download(&file.0, &name).await;
    drop(file);
    response
}

fn write_workbook(path: &std::path::Path, rows: &[WarningRow], today: NaiveDate) -> Result<(), AppError> {
    let headers = [
        "项目编号",
        "项目名称",
        "所在地",
        "行业主管部门",
        "预警规则",
        "预警内容",
        "涉及人数",
        "工资月份",
        "等级",
        "状态",
        "预警日期",
        "处置期限",
        "是否逾期",
        "解除日期",
        "解除理由",
        "欠薪线索编号",
    ];
    let widths = [
        16.0, 28.0, 18.0, 16.0, 24.0, 40.0, 10.0, 12.0, 8.0, 12.0, 12.0, 12.0, 10.0, 12.0, 30.0, 18.0,
    ];
    let mut x = XlsxStream::create(path, "预警", &headers, &widths)?;
    for w in rows {
        let month = w.month().map(|m| m.to_string()).unwrap_or_default();
        let (opened, due) = (w.opened_on.to_string(), w.due_on.to_string());
        let resolved = w.resolved_on.map(|d| d.to_string()).unwrap_or_default();
        x.row(&[
            XCell::Text(&w.project_code),
            XCell::Text(&w.project_name),
            XCell::Text(&w.region_name),
            XCell::Text(w.authority_label()),
            XCell::Text(&w.rule_name),
            XCell::Text(&w.detail),
            XCell::Number(w.workers as f64),
            XCell::Text(&month),
            XCell::Text(w.level().label_zh()),
            XCell::Text(w.status().label_zh()),
            XCell::Text(&opened),
            XCell::Text(&due),
            XCell::Text(if w.overdue(today) { "是" } else { "否" }),
            XCell::Text(&resolved),
            XCell::Text(&w.reason),
            XCell::Text(w.case_number.as_deref().unwrap_or("")),
        ])?;
    }
    x.finish()?;
    Ok(())
}

// ---------------------------------------------------------------------------
// One warning

/// A step of the warning's history as shown.
pub struct Step {
    pub at: String,
    pub action: &'static str,
    pub actor: String,
    pub to: &'static str,
    pub note: String,
}

/// What went wrong with an action, shown next to its form.
#[derive(Default)]
struct Trouble {
    /// The action whose form shows the errors: acknowledge, resolve, escalate, case.
    action: &'static str,
    errors: Vec<String>,
    /// What was typed (the reason, the note or the amount).
    typed: String,
}

#[derive(Template)]
#[template(path = "monitor/warning.html")]
struct ShowTpl {
    layout: Layout,
    w: Line,
    detail: String,
    workers: i64,
    check: &'static str,
    basis: String,
    resolved: String,
    reason: String,
    version: i64,
    steps: Vec<Step>,
    may_act: bool,
    may_acknowledge: bool,
    may_escalate: bool,
    may_case: bool,
    notice: Option<&'static str>,
    trouble_action: &'static str,
    errors: Vec<String>,
    typed: String,
}

async fn show_page(
    n_ctx: &crate::extract::Ctx,
    actor: &shiminhua_core::auth::Actor,
    id: i64,
    notice: Option<&'static str>,
    trouble: Trouble,
) -> Result<ShowTpl, WebError> {
    let st = &n_ctx.state;
    let w = seen(st, actor, monitor::warning(&st.db, actor, id).await)?;
    let events = monitor::events(&st.db, actor, id).await?;
    let (rules, _) = monitor::current_rules(&mut st.db.read().await?).await?;
    let basis = rules
        .rules
        .iter()
        .find(|r| r.code == w.rule_code)
        .map(|r| r.basis.clone())
        .unwrap_or_default();
    let today = st.clock.today();
    let book = PlaceBook::load(&mut st.db.read().await?).await?;
    let open = w.status().is_open();
    let handles = actor.can(Permission::WriteRecords) || actor.can(Permission::ReadCases);
    let steps = events
        .iter()
        .map(|e| Step {
            at: local_time(e.at),
            action: e.action_label(),
            actor: e.actor_name.clone(),
            to: WarningStatus::from_code(&e.to_status).map_or("", |s| s.label_zh()),
            note: e.note.clone(),
        })
        .collect();
    Ok(ShowTpl {
        layout: Layout::new(n_ctx, Some(actor), format!("预警：{}", w.rule_name))
            .crumb("欠薪治理", "")
            .crumb("工资支付监控", "/monitor")
            .crumb("预警", "/monitor/warnings")
            .crumb(w.project_name.clone(), ""),
        detail: w.detail.clone(),
        workers: w.workers,
        check: w.check().map_or("", |c| c.label_zh()),
        basis,
        resolved: w.resolved_on.map(|d| d.to_string()).unwrap_or_default(),
        reason: w.reason.clone(),
        version: w.version,
        steps,
        may_act: open && handles,
        may_acknowledge: open && handles && w.status() == WarningStatus::Open,
        may_escalate: open && actor.can(Permission::SuperviseReports),
        may_case: open && shiminhua_core::case::may_register(&actor.roles) && actor.can(Permission::ReadCases),
        notice,
        trouble_action: trouble.action,
        errors: trouble.errors,
        typed: trouble.typed,
        w: line(&w, today, &book),
    })
}

/// GET /monitor/warnings/{id}
pub async fn show(
    n: Need<ViewDashboard>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let notice = match q_get(&q, "done").as_str() {
        "acknowledge" => Some("已签收。请按期处置，处置完毕后填写理由解除预警。"),
        "escalate" => Some("已升级督办：预警等级已提高，处置期限已重新计算。"),
        "resolve" => Some("已解除预警。"),
        _ => None,
    };
    Ok(html(
        &show_page(&n.ctx, &n.actor, id, notice, Trouble::default()).await?,
    ))
}

/// POST /monitor/warnings/{id}/act — 签收 (`action=acknowledge`), 解除
/// (`resolve`, with `reason`) or 升级督办 (`escalate`, with `note`).
pub async fn act(n: Need<ViewDashboard>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    // In view first: a warning out of scope is not found, whatever was sent.
    seen(
        &n.ctx.state,
        &n.actor,
        monitor::warning(&n.ctx.state.db, &n.actor, id).await,
    )?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let (code, action, typed) = match form.get("action") {
        "acknowledge" => ("acknowledge", WarningAction::Acknowledge, String::new()),
        "resolve" => {
            let reason = form.get("reason").to_string();
            ("resolve", WarningAction::Resolve { reason: reason.clone() }, reason)
        }
        "escalate" => {
            let note = form.get("note").to_string();
            ("escalate", WarningAction::Escalate { note: note.clone() }, note)
        }
        _ => return Err(AppError::BadRequest("未知的操作，请返回预警页面重新选择。".into()).into()),
    };
    let trouble = |errors: Vec<String>| Trouble {
        action: code,
        errors,
        typed: typed.clone(),
    };
    match monitor::act(&n.ctx.call(&n.actor), id, version, &action).await {
        Ok(()) => Ok(Redirect::to(&format!("/monitor/warnings/{id}?done={code}")).into_response()),
        Err(AppError::Validation(e)) => {
            let page = show_page(&n.ctx, &n.actor, id, None, trouble(messages(&e))).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let page = show_page(&n.ctx, &n.actor, id, None, trouble(vec![m])).await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /monitor/warnings/{id}/case — 转为欠薪线索 (with the amount claimed,
/// or empty for the estimate); on to the case registered.
pub async fn to_case(n: Need<RegisterCases>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let amount = form.get("amount_claimed").to_string();
    let trouble = |errors: Vec<String>| Trouble {
        action: "case",
        errors,
        typed: amount.clone(),
    };
    match seen(
        &n.ctx.state,
        &n.actor,
        monitor::to_case(&n.ctx.call(&n.actor), id, version, &amount).await,
    ) {
        Ok((case_id, _)) => Ok(Redirect::to(&format!("/cases/{case_id}")).into_response()),
        Err(WebError(AppError::Validation(e))) => {
            let page = show_page(&n.ctx, &n.actor, id, None, trouble(messages(&e))).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(WebError(AppError::Conflict(m))) => {
            let page = show_page(&n.ctx, &n.actor, id, None, trouble(vec![m])).await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(e) => Err(e),
    }
}
