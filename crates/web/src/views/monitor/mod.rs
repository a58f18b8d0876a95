//! 工资支付监控 (wage-payment monitoring of construction projects, plan
//! 二(六) 智慧监管): the board, the warnings and what is done with them
//! (签收, 解除, 升级督办, 转为欠薪线索), the projects with their special
//! account, labour-cost transfers, wage deposits, notice board, real-name
//! roster, attendance and payroll, the rules file, and the workers' own
//! public check of their pay (`/public/pay`).
//!
//! Every page calls `shiminhua_app::rights::monitor`, which keeps the data
//! scope (a department of a supervising authority sees its own projects
//! only); a write is followed by an evaluation of the project, so that the
//! page shows its warnings as they now stand.

pub mod projects;
pub mod public;
pub mod warnings;

use super::case_stats::{Bar, bar_chart};
use super::{html, q_get, with_status};
use crate::AppState;
use crate::error::WebError;
use crate::extract::{Form, ManagePlan, Need, SuperviseReports, ViewDashboard};
use crate::layout::Layout;
use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::regions::PlaceBook;
use shiminhua_app::rights::monitor::{self, ProjectFilter};
use shiminhua_app::{AppError, AppResult, FieldErrors};
use shiminhua_core::auth::{Actor, Permission, RecordKind, Role};
use shiminhua_core::monitor::{Authority, Check, Level, ProjectStatus};
use std::collections::HashMap;
use std::sync::Mutex;

// ---------------------------------------------------------------------------
// Who sees the projects (for the navigation)

/// Whether the department accounts of a unit see the monitored projects
/// (those of 住房城乡建设, 交通运输, 水利 and 人力资源社会保障 do), as the use
/// cases last answered: the navigation is drawn without asking the
/// database, and a department account's view depends on its unit.
#[derive(Debug, Default)]
pub struct UnitViews(Mutex<HashMap<i64, bool>>);

impl UnitViews {
    /// Notes the answer for the actor's unit, when the unit alone decided
    /// it (a department account with projects in its data scope).
    fn note(&self, actor: &Actor, sees: bool) {
        let scoped = actor.can(Permission::ViewDashboard) && !actor.scope.ranges_for(RecordKind::Project).is_empty();
        if let (true, true, Some(unit)) = (scoped, department_only(actor), actor.unit_id) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(unit, sees);
        }
    }

    fn get(&self, unit: i64) -> Option<bool> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&unit).copied()
    }
}

/// An account whose view of the projects is its unit's authority's (as
/// the use cases decide it).
fn department_only(actor: &Actor) -> bool {
    actor
        .roles
        .iter()
        .all(|r| matches!(r, Role::Department | Role::Admin | Role::Auditor))
}

/// Whether the navigation offers 工资支付监控: a business role with projects
/// in its data scope, and for a department account a unit whose projects
/// it sees (known once a page asked; until then the entry is left out).
pub fn nav_sees_projects(state: &AppState, actor: &Actor) -> bool {
    if !actor.can(Permission::ViewDashboard) || actor.scope.ranges_for(RecordKind::Project).is_empty() {
        return false;
    }
    if !department_only(actor) {
        return true;
    }
    actor.unit_id.and_then(|u| state.monitor_units.get(u)).unwrap_or(false)
}

/// A use case's answer, noted for the navigation: a refusal for want of a
/// view of the projects hides the entry, an answer shows it.
pub(crate) fn seen<T>(state: &AppState, actor: &Actor, r: AppResult<T>) -> Result<T, WebError> {
    match r {
        Ok(v) => {
            state.monitor_units.note(actor, true);
            Ok(v)
        }
        Err(AppError::Forbidden) => {
            state.monitor_units.note(actor, false);
            Err(WebError(AppError::Forbidden))
        }
        Err(e) => Err(WebError(e)),
    }
}

// ---------------------------------------------------------------------------
// Shared pieces

/// Yuan with thousands separators, without a zero fraction: `4,200`, `4,200.50`.
pub(crate) fn yuan(fen: i64) -> String {
    let s = shiminhua_core::money::Fen(fen).to_string();
    match s.strip_suffix(".00") {
        Some(whole) => whole.to_string(),
        None => s,
    }
}

/// The CSS class of a level's mark.
pub(crate) fn level_class(l: Level) -> &'static str {
    match l {
        Level::Red => "red",
        Level::Orange => "orange",
        Level::Yellow => "yellow",
    }
}

/// (code, label) of every value of a coded enum, for dropdowns.
pub(crate) fn authorities() -> Vec<(&'static str, &'static str)> {
    Authority::ALL.iter().map(|a| (a.code(), a.label_zh())).collect()
}

pub(crate) fn checks() -> Vec<(&'static str, &'static str)> {
    Check::ALL.iter().map(|c| (c.code(), c.label_zh())).collect()
}

pub(crate) fn levels() -> Vec<(&'static str, &'static str)> {
    Level::ALL.iter().rev().map(|l| (l.code(), l.label_zh())).collect()
}

pub(crate) fn statuses() -> Vec<(&'static str, &'static str)> {
    ProjectStatus::ALL.iter().map(|s| (s.code(), s.label_zh())).collect()
}

/// A coded value from the query string: absent, or one of the codes.
pub(crate) fn coded<T>(
    q: &HashMap<String, String>,
    key: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, WebError> {
    let v = q_get(q, key);
    if v.is_empty() {
        return Ok(None);
    }
    parse(&v).map(Some).ok_or_else(|| {
        WebError(AppError::BadRequest(
            "筛选条件的取值无效，请在页面上重新选择后查询。".into(),
        ))
    })
}

/// A region of the query string (a county or township code).
pub(crate) fn region_of(
    q: &HashMap<String, String>,
) -> Result<Option<shiminhua_core::division::DivisionCode>, WebError> {
    let r = q_get(q, "region");
    if r.is_empty() {
        return Ok(None);
    }
    shiminhua_core::division::DivisionCode::parse(&r)
        .map(Some)
        .map_err(|e| WebError(AppError::BadRequest(format!("区划代码无效：{e}"))))
}

/// A local time as shown: 2026-09-30 10:01.
pub(crate) fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    shiminhua_app::xlsx::local_time(t)
}

// ---------------------------------------------------------------------------
// The board

/// A figure of the board, linking to the list behind it.
pub struct Figure {
    pub label: &'static str,
    pub value: i64,
    pub unit: &'static str,
    pub note: String,
    pub href: String,
    /// A colour for the card's edge ("" none).
    pub class: &'static str,
}

/// A row of a board table: label, projects in warning, open warnings, the list.
pub struct CountRow {
    pub label: String,
    pub projects: i64,
    pub warnings: i64,
    pub href: String,
}

#[derive(Template)]
#[template(path = "monitor/board.html")]
struct BoardTpl {
    layout: Layout,
    figures: Vec<Figure>,
    by_county: Vec<CountRow>,
    by_authority: Vec<CountRow>,
    by_check: Vec<CountRow>,
    chart: String,
    may_evaluate: bool,
    may_edit_rules: bool,
    may_write: bool,
    notice: Option<String>,
}

/// GET /monitor — 监控看板.
pub async fn board(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let b = seen(st, &n.actor, monitor::board(&st.db, &n.actor, st.clock.now()).await)?;
    let building = ProjectFilter {
        status: Some(ProjectStatus::Building),
        ..ProjectFilter::default()
    };
    let (_, in_construction) = monitor::list(&st.db, &n.actor, &building, 1, 0).await?;
    let book = PlaceBook::load(&mut st.db.read().await?).await?;
    let figures = vec![
        Figure {
            label: "在建项目",
            value: in_construction,
            unit: "个",
            note: format!("数据范围内共 {} 个工程建设项目", b.projects),
            href: "/monitor/projects?status=building".into(),
            class: "",
        },
        Figure {
            label: "预警项目",
            value: b.projects_warned,
            unit: "个",
            note: "有待处置预警的项目".into(),
            href: "/monitor/projects?warned=1".into(),
            class: if b.projects_warned > 0 {
                "status-amber"
            } else {
                "status-green"
            },
        },
        Figure {
            label: "待处置预警",
            value: b.open,
            unit: "条",
            note: "未解除的预警".into(),
            href: "/monitor/warnings".into(),
            class: "",
        },
        Figure {
            label: "红色预警",
            value: b.red,
            unit: "条",
            note: String::new(),
            href: "/monitor/warnings?level=red".into(),
            class: "status-red",
        },
        Figure {
            label: "橙色预警",
            value: b.orange,
            unit: "条",
            note: String::new(),
            href: "/monitor/warnings?level=orange".into(),
            class: "status-orange",
        },
        Figure {
            label: "黄色预警",
            value: b.yellow,
            unit: "条",
            note: String::new(),
            href: "/monitor/warnings?level=yellow".into(),
            class: "status-yellow",
        },
        Figure {
            label: "逾期未处置",
            value: b.overdue,
            unit: "条",
            note: "超过处置期限仍未解除".into(),
            href: "/monitor/warnings?overdue=1".into(),
            class: if b.overdue > 0 { "status-red" } else { "" },
        },
    ];
    let row = |label: String, c: &monitor::BoardCount, key: &str, value: &str| CountRow {
        label,
        projects: c.projects,
        warnings: c.warnings,
        href: format!("/monitor/warnings?{}", super::query_string(&[(key, value)])),
    };
    let by_county = b
        .by_county
        .iter()
        .map(|c| {
            let code = c.key.parse::<i64>().ok();
            let name = code.map_or_else(|| c.key.clone(), |k| book.name(k).to_string());
            // As the region dropdown names it (341021, not 341021000000).
            let value = code
                .and_then(|k| shiminhua_core::division::DivisionCode::from_i64(k).ok())
                .map_or_else(|| c.key.clone(), |d| d.to_string());
            row(name, c, "region", &value)
        })
        .collect();
    let by_authority = b
        .by_authority
        .iter()
        .map(|c| {
            let label = Authority::from_code(&c.key).map_or(c.key.clone(), |a| a.label_zh().to_string());
            row(label, c, "authority", &c.key)
        })
        .collect();
    let by_check = b
        .by_check
        .iter()
        .map(|c| {
            let label = Check::from_code(&c.key).map_or(c.key.clone(), |k| k.label_zh().to_string());
            row(label, c, "check", &c.key)
        })
        .collect();
    let years = b.trend.first().map(|m| m.month.year()) != b.trend.last().map(|m| m.month.year());
    let bars: Vec<Bar> = b
        .trend
        .iter()
        .map(|m| Bar {
            label: if years {
                format!("{:02}/{}", m.month.year() % 100, m.month.month())
            } else {
                format!("{}月", m.month.month())
            },
            title: format!("{}：新增预警{}条", m.month, m.opened),
            value: m.opened,
            class: if m.opened == 0 { "green" } else { "amber" },
        })
        .collect();
    let notice = (q_get(&q, "done") == "evaluated").then(|| {
        let n = |k: &str| q_get(&q, k).parse::<i64>().unwrap_or(0);
        format!(
            "核验完成：核验 {} 个项目，新增预警 {} 条，自动解除 {} 条，现有待处置预警 {} 条。",
            n("projects"),
            n("opened"),
            n("cleared"),
            n("open")
        )
    });
    Ok(html(&BoardTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "工资支付监控")
            .crumb("欠薪治理", "")
            .crumb("工资支付监控", ""),
        figures,
        by_county,
        by_authority,
        by_check,
        chart: bar_chart("近12个月每月新增预警数", &bars),
        may_evaluate: n.actor.can(Permission::SuperviseReports),
        may_edit_rules: n.actor.can(Permission::ManagePlan),
        may_write: n.actor.can(Permission::WriteRecords),
        notice,
    }))
}

/// POST /monitor/evaluate — 立即核验 (the task-force office): every watched
/// project evaluated now, back to the board with what it did.
pub async fn evaluate(n: Need<SuperviseReports>, _form: Form) -> Result<Response, WebError> {
    let call = n.ctx.call(&n.actor);
    let e = seen(&n.ctx.state, &n.actor, monitor::evaluate(&call).await)?;
    let to = format!(
        "/monitor?done=evaluated&projects={}&opened={}&cleared={}&open={}",
        e.projects, e.opened, e.cleared, e.open
    );
    Ok(Redirect::to(&to).into_response())
}

// ---------------------------------------------------------------------------
// The rules file

#[derive(Template)]
#[template(path = "monitor/rules.html")]
struct RulesTpl {
    layout: Layout,
    text: String,
    errors: Vec<String>,
    saved: bool,
    /// (code, name, level label, level class, authority, working days, basis)
    rules: Vec<RuleLine>,
}

pub struct RuleLine {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub level_class: &'static str,
    pub authority: &'static str,
    pub days: u32,
    pub basis: String,
}

fn rule_lines(rules: &shiminhua_core::monitor::Rules) -> Vec<RuleLine> {
    rules
        .rules
        .iter()
        .map(|r| RuleLine {
            code: r.code.clone(),
            name: r.name.clone(),
            level: r.level.label_zh(),
            level_class: level_class(r.level),
            authority: r.authority.map_or("项目的行业主管部门", |a| a.label_zh()),
            days: r.deadline_working_days,
            basis: r.basis.clone(),
        })
        .collect()
}

fn rules_layout(n: &Need<ManagePlan>) -> Layout {
    Layout::new(&n.ctx, Some(&n.actor), "预警规则")
        .crumb("欠薪治理", "")
        .crumb("工资支付监控", "/monitor")
        .crumb("预警规则", "")
}

/// GET /monitor/rules — the rules file (the task-force office).
pub async fn rules_page(n: Need<ManagePlan>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let (rules, text) = monitor::current_rules(&mut n.ctx.state.db.read().await?).await?;
    Ok(html(&RulesTpl {
        layout: rules_layout(&n),
        text,
        errors: Vec::new(),
        saved: q_get(&q, "done") == "saved",
        rules: rule_lines(&rules),
    }))
}

/// POST /monitor/rules — saves the file; refused with each mistake and its line.
pub async fn rules_submit(n: Need<ManagePlan>, form: Form) -> Result<Response, WebError> {
    let text = form.raw("rules").replace("\r\n", "\n");
    match monitor::set_rules(&n.ctx.call(&n.actor), &text).await {
        Ok(_) => Ok(Redirect::to("/monitor/rules?done=saved").into_response()),
        Err(AppError::Validation(e)) => {
            let (rules, _) = monitor::current_rules(&mut n.ctx.state.db.read().await?).await?;
            let page = RulesTpl {
                layout: rules_layout(&n),
                text,
                errors: messages(&e),
                saved: false,
                rules: rule_lines(&rules),
            };
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every message of a validation error, in order.
pub(crate) fn messages(e: &FieldErrors) -> Vec<String> {
    e.0.iter().map(|(_, m)| m.clone()).collect()
}
