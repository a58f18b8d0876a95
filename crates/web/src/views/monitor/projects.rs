//! 工程建设项目: the list, the form (new and edit), and a project's page —
//! its facts, 农民工工资专用账户, 人工费用拨付, 工资保证金 (with the amount
//! required), 维权信息告示牌, the real-name roster (实名制) with the months ×
//! workers grid of attendance and pay (工资发放), its warnings and the
//! cases they became — with the small forms that record each of these.
//! After each write the project is evaluated again.

use super::warnings::{Line as WarningLine, line as warning_line};
use super::{authorities, coded, region_of, seen, statuses, yuan};
use crate::error::WebError;
use crate::extract::{Ctx, Form, Need, ViewDashboard, WriteRecords};
use crate::layout::Layout;
use crate::views::fields::{FieldForm, Filled, Input, submitted};
use crate::views::{Pager, html, parse_id, q_get, query_string, region_options, with_status};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use shiminhua_app::regions::PlaceBook;
use shiminhua_app::registry::workers::{self, WorkerFilter};
use shiminhua_app::rights::monitor::{
    self, AttendanceInput, PayInput, ProjectFilter, ProjectRow, RosterInput, WarningFilter,
};
use shiminhua_app::{AppError, AppResult, FieldErrors};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::field::{FieldSpec, Value, Values};
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::money::Fen;
use shiminhua_core::monitor::deposit::{ContractorRecord, required};
use shiminhua_core::monitor::forms::{
    ACCOUNT, ATTENDANCE, BOARD, DEPOSIT, FormSpec, PAYROLL, PROJECT, ROSTER, TRANSFER,
};
use shiminhua_core::monitor::{Authority, Month, ProjectStatus};
use std::collections::HashMap;

// ---------------------------------------------------------------------------
// The list

/// A project as listed.
pub struct ListLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub authority: &'static str,
    pub region: String,
    pub status: &'static str,
    pub contractor: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "monitor/projects.html")]
struct ListTpl {
    layout: Layout,
    rows: Vec<ListLine>,
    pager: Pager,
    q: String,
    regions: Vec<(String, String)>,
    region: String,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    authorities: Vec<(&'static str, &'static str)>,
    authority: String,
    warned: bool,
    can_write: bool,
}

/// GET /monitor/projects?q=…&region=…&status=…&authority=…&warned=1
pub async fn list(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let search: String = q_get(&q, "q").chars().take(50).collect();
    let f = ProjectFilter {
        q: search.clone(),
        region: region_of(&q)?,
        status: coded(&q, "status", ProjectStatus::from_code)?,
        authority: coded(&q, "authority", Authority::from_code)?,
        warned: q_get(&q, "warned") == "1",
    };
    let base = query_string(&[
        ("q", &search),
        ("region", &q_get(&q, "region")),
        ("status", &q_get(&q, "status")),
        ("authority", &q_get(&q, "authority")),
        ("warned", if f.warned { "1" } else { "" }),
    ]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, base);
    let (rows, total) = seen(
        st,
        &n.actor,
        monitor::list(&st.db, &n.actor, &f, pager.per_page, pager.offset()).await,
    )?;
    pager.total = total;
    let rows = rows
        .iter()
        .map(|p| ListLine {
            id: p.id,
            code: p.code.clone(),
            name: p.name.clone(),
            kind: p.kind_label(),
            authority: p.authority_label(),
            region: p.region_name.clone(),
            status: p.status_label(),
            contractor: p.contractor_name.clone(),
            updated: format!("{} {}", super::local_time(p.updated_at), p.updated_by),
        })
        .collect();
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "工程建设项目")
            .crumb("欠薪治理", "")
            .crumb("工资支付监控", "/monitor")
            .crumb("工程建设项目", ""),
        rows,
        pager,
        q: search,
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        region: q_get(&q, "region"),
        statuses: statuses(),
        status: q_get(&q, "status"),
        authorities: authorities(),
        authority: q_get(&q, "authority"),
        warned: f.warned,
        can_write: n.actor.can(Permission::WriteRecords),
    }))
}

// ---------------------------------------------------------------------------
// The project form

#[derive(Template)]
#[template(path = "monitor/project_form.html")]
struct FormTpl {
    layout: Layout,
    form: FieldForm,
    /// The project edited (0: a new one).
    id: i64,
}

async fn form_page(
    n: &Need<WriteRecords>,
    id: i64,
    version: i64,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
    conflict: Option<String>,
) -> Result<FormTpl, WebError> {
    let (title, action) = if id > 0 {
        ("修改项目信息", format!("/monitor/projects/{id}/edit"))
    } else {
        ("新增工程建设项目", "/monitor/projects/new".to_string())
    };
    let filled = Filled {
        values,
        errors,
        conflict,
        child_help: None,
    };
    Ok(FormTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), title)
            .crumb("欠薪治理", "")
            .crumb("工资支付监控", "/monitor")
            .crumb("工程建设项目", "/monitor/projects")
            .crumb(title, ""),
        form: FieldForm::new(&n.ctx, &n.actor, &PROJECT, action, version, filled).await?,
        id,
    })
}

/// GET /monitor/projects/new
pub async fn new_page(n: Need<WriteRecords>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    // Only for those who see projects at all.
    seen(
        st,
        &n.actor,
        monitor::list(&st.db, &n.actor, &ProjectFilter::default(), 1, 0).await,
    )?;
    let mut values = HashMap::new();
    values.insert("status".to_string(), ProjectStatus::Building.label_zh().to_string());
    Ok(html(
        &form_page(&n, 0, 0, &values, &FieldErrors::default(), None).await?,
    ))
}

/// POST /monitor/projects/new
pub async fn create(n: Need<WriteRecords>, form: Form) -> Result<Response, WebError> {
    let get = |k: &str| form.get(k).to_string();
    let call = n.ctx.call(&n.actor);
    match seen(&n.ctx.state, &n.actor, monitor::create(&call, &get).await) {
        Ok(id) => {
            monitor::evaluate_project(&call, id).await?;
            Ok(Redirect::to(&format!("/monitor/projects/{id}?done=created")).into_response())
        }
        Err(WebError(AppError::Validation(e))) => {
            let page = form_page(&n, 0, 0, &submitted(&PROJECT, &form), &e, None).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e),
    }
}

/// The project's form values for editing (the place as its code, as the
/// place dropdown offers it).
async fn edit_values(n: &Need<WriteRecords>, p: &ProjectRow) -> Result<HashMap<String, String>, WebError> {
    let book = PlaceBook::load(&mut n.ctx.state.db.read().await?).await?;
    let mut values = p.form_values(&book);
    if let Ok(code) = DivisionCode::from_i64(p.region_code) {
        values.insert("place".into(), code.to_string());
    }
    Ok(values)
}

/// GET /monitor/projects/{id}/edit
pub async fn edit_page(n: Need<WriteRecords>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let p = seen(
        &n.ctx.state,
        &n.actor,
        monitor::get(&n.ctx.state.db, &n.actor, id).await,
    )?;
    let values = edit_values(&n, &p).await?;
    Ok(html(
        &form_page(&n, id, p.version, &values, &FieldErrors::default(), None).await?,
    ))
}

/// POST /monitor/projects/{id}/edit
pub async fn update(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let get = |k: &str| form.get(k).to_string();
    let call = n.ctx.call(&n.actor);
    match seen(&n.ctx.state, &n.actor, monitor::update(&call, id, version, &get).await) {
        Ok(()) => {
            monitor::evaluate_project(&call, id).await?;
            Ok(Redirect::to(&format!("/monitor/projects/{id}?done=saved")).into_response())
        }
        Err(WebError(AppError::Validation(e))) => {
            let page = form_page(&n, id, version, &submitted(&PROJECT, &form), &e, None).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(WebError(AppError::Conflict(m))) => {
            let errors = FieldErrors::default();
            let page = form_page(&n, id, version, &submitted(&PROJECT, &form), &errors, Some(m)).await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------
// The project's page

/// One of the page's small forms.
pub struct Inline {
    pub action: String,
    pub inputs: Vec<Input>,
    /// Errors of no input of the form.
    pub general: Vec<String>,
    /// The form was sent back with errors: shown unfolded.
    pub open: bool,
}

/// A form sent back with its errors.
struct Failed {
    /// Which form: account, transfer, deposit, board, roster, attendance, payroll.
    form: &'static str,
    values: HashMap<String, String>,
    errors: FieldErrors,
    /// The worker was not found in the registry: offer to register them.
    register: bool,
}

/// A labour-cost transfer or a deposit as listed.
pub struct MoneyLine {
    pub form: &'static str,
    pub amount: String,
    pub from: String,
    pub to: String,
    pub by: String,
    /// A deposit in force today.
    pub held: bool,
}

/// A photo of the notice board as listed.
pub struct PhotoLine {
    pub url: String,
    pub name: String,
    /// The board's date when it was sent.
    pub dated: String,
    pub added: String,
}

/// A worker-month of the grid.
pub struct GridCell {
    pub text: String,
    pub title: String,
    /// Attendance without pay.
    pub unpaid: bool,
}

/// A roster line with its months.
pub struct GridRow {
    pub name: String,
    pub id_masked: String,
    pub team: String,
    pub contract: bool,
    pub entered: String,
    pub left: String,
    pub cells: Vec<GridCell>,
}

#[derive(Template)]
#[template(path = "monitor/project.html")]
struct ShowTpl {
    layout: Layout,
    p: ProjectRow,
    /// (label, text)
    facts: Vec<(&'static str, String)>,
    notice: Option<&'static str>,
    can_write: bool,
    account_state: String,
    transfers: Vec<MoneyLine>,
    deposits: Vec<MoneyLine>,
    required: String,
    required_reason: String,
    held: String,
    short: bool,
    board_state: String,
    /// The notice board's photos, newest first.
    photos: Vec<PhotoLine>,
    months: Vec<String>,
    grid: Vec<GridRow>,
    pager: Pager,
    roster_total: i64,
    warnings: Vec<WarningLine>,
    open_warnings: usize,
    cases: Vec<(i64, String)>,
    forms: Option<Forms>,
}

/// The small forms of the page (for those who write).
pub struct Forms {
    pub account: Inline,
    pub transfer: Inline,
    pub deposit: Inline,
    pub board: Inline,
    pub board_photo_error: Option<String>,
    pub roster: Inline,
    pub roster_id: String,
    pub roster_id_error: Option<String>,
    pub register: bool,
    pub attendance: Inline,
    pub payroll: Inline,
    /// Roster workers to choose from: (worker id, label).
    pub workers: Vec<(String, String)>,
    pub attendance_worker: String,
    pub attendance_worker_error: Option<String>,
    pub payroll_worker: String,
    pub payroll_worker_error: Option<String>,
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// A small form of `spec`: its inputs filled with `values`, with `errors`
/// (those of no input and not in `own` listed on top).
async fn inline(
    ctx: &Ctx,
    actor: &Actor,
    spec: &'static FormSpec,
    action: String,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
    own: &[&str],
) -> Result<Inline, WebError> {
    let filled = Filled {
        values,
        errors,
        conflict: None,
        child_help: None,
    };
    let ff = FieldForm::new(ctx, actor, spec, action.clone(), 0, filled).await?;
    let general = errors
        .0
        .iter()
        .filter(|(k, _)| spec.field(k).is_none() && !own.contains(&k.as_str()))
        .map(|(_, m)| m.clone())
        .collect();
    Ok(Inline {
        action,
        inputs: ff.inputs,
        general,
        open: !errors.is_empty(),
    })
}

/// The last six months, oldest first.
fn grid_months(today: NaiveDate) -> Vec<Month> {
    let last = Month::of(today);
    (0..6).rev().map(|i| (0..i).fold(last, |m, _| m.prev())).collect()
}

fn cell(c: &monitor::MonthCell) -> GridCell {
    let days = c.days.map(|d| format!("{d}天"));
    let paid = c.paid_fen.map(|f| format!("{}元", yuan(f)));
    let (text, title) = match (days, paid) {
        (None, None) => ("—".to_string(), "无考勤、无发放".to_string()),
        (Some(d), None) if c.unpaid() => (format!("{d} / 未发"), format!("出勤{d}，未见工资发放")),
        (Some(d), None) => (d.clone(), format!("出勤{d}")),
        (d, Some(p)) => {
            let on = c.paid_on.map(|d| format!("，{d}发放")).unwrap_or_default();
            match d {
                Some(d) => (format!("{d} / {p}"), format!("出勤{d}，实发{p}{on}")),
                None => (p.clone(), format!("实发{p}{on}")),
            }
        }
    };
    GridCell {
        text,
        title,
        unpaid: c.unpaid(),
    }
}

async fn show_page(
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    page: Option<&str>,
    notice: Option<&'static str>,
    failed: Option<Failed>,
) -> Result<ShowTpl, WebError> {
    let st = &ctx.state;
    let db = &st.db;
    let p = seen(st, actor, monitor::get(db, actor, id).await)?;
    let today = st.clock.today();
    let transfers = monitor::transfers(db, actor, id).await?;
    let deposits = monitor::deposits(db, actor, id).await?;
    let (rules, _) = monitor::current_rules(&mut db.read().await?).await?;
    let req = required(
        &rules.deposit,
        Fen(p.contract_sum_fen),
        ContractorRecord {
            clean_years: u32::try_from(p.clean_years).unwrap_or(0),
            recent_arrears: p.recent_arrears,
        },
    );
    let in_force = |d: &monitor::MoneyRow| d.from_date <= today && d.to_date.is_none_or(|t| t >= today);
    let held: i64 = deposits.iter().filter(|d| in_force(d)).map(|d| d.amount_fen).sum();
    let months = grid_months(today);
    let mut pager = Pager::new(page, 50, String::new());
    let (grid, roster_total) = monitor::grid(db, actor, id, &months, pager.per_page, pager.offset()).await?;
    pager.total = roster_total;
    let warning_filter = WarningFilter {
        project_id: Some(id),
        all: true,
        ..WarningFilter::default()
    };
    let (warnings, _) = monitor::warnings(db, actor, &warning_filter, today, 100, 0).await?;
    let mut cases: Vec<(i64, String)> = Vec::new();
    for w in &warnings {
        if let (Some(c), Some(n)) = (w.case_id, &w.case_number)
            && !cases.iter().any(|(id, _)| *id == c)
        {
            cases.push((c, n.clone()));
        }
    }
    let book = PlaceBook::load(&mut db.read().await?).await?;
    let money = |f: Option<i64>| f.map(|f| format!("{} 元", yuan(f))).unwrap_or_default();
    let subcontractors = p.subcontractors.replace('\n', "；");
    let facts: Vec<(&'static str, String)> = vec![
        ("项目编号", p.code.clone()),
        ("项目类型", p.kind_label().to_string()),
        ("项目状态", p.status_label().to_string()),
        ("行业主管部门", p.authority_label().to_string()),
        ("项目所在地", book.full_name(p.region_code)),
        ("建设单位", format!("{}（{}）", p.builder_name, p.builder_credit_code)),
        (
            "施工总承包单位",
            format!("{}（{}）", p.contractor_name, p.contractor_credit_code),
        ),
        ("分包单位", subcontractors),
        ("合同金额", money(Some(p.contract_sum_fen))),
        (
            "人工费用占比",
            p.labour_pct.map(|v| format!("{v}%")).unwrap_or_default(),
        ),
        ("人工费用月拨付额", money(p.labour_fen)),
        ("施工合同签订日期", date_text(p.contract_date)),
        ("开工日期", date_text(p.start_date)),
        ("计划竣工日期", date_text(p.planned_end)),
        ("总包单位连续无拖欠年数", p.clean_years.to_string()),
        (
            "总包单位近一年有拖欠",
            if p.recent_arrears { "是" } else { "否" }.to_string(),
        ),
        (
            "最后修改",
            format!("{} {}", super::local_time(p.updated_at), p.updated_by),
        ),
    ];
    let account_state = match p.account_opened {
        Some(d) => format!(
            "已开设：{}，{}开户，{}",
            p.account_bank,
            d,
            if p.account_agreement {
                "已签订三方协议"
            } else {
                "未签订三方协议"
            }
        ),
        None => "未开设".into(),
    };
    let board_state = match p.board_on {
        Some(d) => format!("已设置（{d}）"),
        None => "未设置".into(),
    };
    let photos = monitor::board_photos(db, actor, id)
        .await?
        .into_iter()
        .map(|f| PhotoLine {
            url: format!("/monitor/projects/{id}/board/{}", f.id),
            dated: date_text(f.dated),
            added: format!("{} {}", super::local_time(f.added_at), f.added_by),
            name: f.name,
        })
        .collect();
    let forms = if actor.can(Permission::WriteRecords) {
        Some(forms(ctx, actor, &p, today, failed).await?)
    } else {
        None
    };
    Ok(ShowTpl {
        layout: Layout::new(ctx, Some(actor), p.name.clone())
            .crumb("欠薪治理", "")
            .crumb("工资支付监控", "/monitor")
            .crumb("工程建设项目", "/monitor/projects")
            .crumb(p.name.clone(), ""),
        facts,
        notice,
        can_write: actor.can(Permission::WriteRecords),
        account_state,
        transfers: transfers
            .iter()
            .map(|t| MoneyLine {
                form: "",
                amount: yuan(t.amount_fen),
                from: t.from_date.to_string(),
                to: String::new(),
                by: t.created_by.clone(),
                held: false,
            })
            .collect(),
        deposits: deposits
            .iter()
            .map(|d| MoneyLine {
                form: d.form_label(),
                amount: yuan(d.amount_fen),
                from: d.from_date.to_string(),
                to: date_text(d.to_date),
                by: d.created_by.clone(),
                held: in_force(d),
            })
            .collect(),
        required: yuan(req.amount.0),
        required_reason: req.reason,
        held: yuan(held),
        short: held < req.amount.0,
        board_state,
        photos,
        months: months.iter().map(|m| m.to_string()).collect(),
        grid: grid
            .iter()
            .map(|(r, cells)| GridRow {
                name: r.name.clone(),
                id_masked: r.id_masked.clone(),
                team: [r.subcontractor.as_str(), r.team.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" "),
                contract: r.contract_signed,
                entered: r.entered_on.to_string(),
                left: date_text(r.left_on),
                cells: cells.iter().map(cell).collect(),
            })
            .collect(),
        pager,
        roster_total,
        open_warnings: warnings.iter().filter(|w| w.status().is_open()).count(),
        warnings: warnings.iter().map(|w| warning_line(w, today, &book)).collect(),
        cases,
        forms,
        p,
    })
}

async fn forms(
    ctx: &Ctx,
    actor: &Actor,
    p: &ProjectRow,
    today: NaiveDate,
    failed: Option<Failed>,
) -> Result<Forms, WebError> {
    let none = FieldErrors::default();
    let prev = Month::of(today).prev().iso();
    let mut defaults: HashMap<&'static str, HashMap<String, String>> = HashMap::new();
    let put = |m: &mut HashMap<String, String>, k: &str, v: String| {
        m.insert(k.to_string(), v);
    };
    let mut account = HashMap::new();
    put(&mut account, "bank", p.account_bank.clone());
    put(&mut account, "opened", date_text(p.account_opened));
    if p.account_opened.is_some() {
        put(
            &mut account,
            "agreement",
            if p.account_agreement { "是" } else { "否" }.into(),
        );
    }
    defaults.insert("account", account);
    let mut board = HashMap::new();
    put(&mut board, "set_on", date_text(p.board_on));
    defaults.insert("board", board);
    let mut month = HashMap::new();
    put(&mut month, "month", prev);
    defaults.insert("attendance", month.clone());
    defaults.insert("payroll", month);
    let (fname, fvalues, ferrors, register) = match failed {
        Some(f) => (f.form, f.values, f.errors, f.register),
        None => ("", HashMap::new(), FieldErrors::default(), false),
    };
    let blank = HashMap::new();
    let pick = |key: &str| -> (&HashMap<String, String>, &FieldErrors) {
        if key == fname {
            (&fvalues, &ferrors)
        } else {
            (defaults.get(key).unwrap_or(&blank), &none)
        }
    };
    let action = |what: &str| format!("/monitor/projects/{}/{what}", p.id);
    let (v, e) = pick("account");
    let account = inline(ctx, actor, &ACCOUNT, action("account"), v, e, &[]).await?;
    let (v, e) = pick("transfer");
    let transfer = inline(ctx, actor, &TRANSFER, action("transfers"), v, e, &[]).await?;
    let (v, e) = pick("deposit");
    let deposit = inline(ctx, actor, &DEPOSIT, action("deposits"), v, e, &[]).await?;
    let (v, e) = pick("board");
    let board = inline(ctx, actor, &BOARD, action("board"), v, e, &["photo"]).await?;
    let board_photo_error = e.get("photo").map(str::to_string);
    let (v, e) = pick("roster");
    let roster = inline(ctx, actor, &ROSTER, action("roster"), v, e, &["id_number"]).await?;
    let roster_id = v.get("id_number").cloned().unwrap_or_default();
    let roster_id_error = e.get("id_number").map(str::to_string);
    let worker_of = |key: &str| {
        let (v, e) = pick(key);
        (
            v.get("worker").cloned().unwrap_or_default(),
            e.get("worker").or_else(|| e.get("id_number")).map(str::to_string),
        )
    };
    let (attendance_worker, attendance_worker_error) = worker_of("attendance");
    let (payroll_worker, payroll_worker_error) = worker_of("payroll");
    let (v, e) = pick("attendance");
    let attendance = inline(
        ctx,
        actor,
        &ATTENDANCE,
        action("attendance"),
        v,
        e,
        &["worker", "id_number"],
    )
    .await?;
    let (v, e) = pick("payroll");
    let payroll = inline(ctx, actor, &PAYROLL, action("payroll"), v, e, &["worker", "id_number"]).await?;
    let (people, _) = monitor::roster(&ctx.state.db, actor, p.id, ROSTER_CHOICES, 0).await?;
    let workers = people
        .iter()
        .map(|r| (r.worker_id.to_string(), format!("{}（{}）", r.name, r.id_masked)))
        .collect();
    Ok(Forms {
        account,
        transfer,
        deposit,
        board,
        board_photo_error,
        roster,
        roster_id,
        roster_id_error,
        register,
        attendance,
        payroll,
        workers,
        attendance_worker,
        attendance_worker_error,
        payroll_worker,
        payroll_worker_error,
    })
}

/// Most roster workers offered in the attendance and payroll forms.
const ROSTER_CHOICES: i64 = 1000;

/// GET /monitor/projects/{id}
pub async fn show(
    n: Need<ViewDashboard>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let notice = match q_get(&q, "done").as_str() {
        "created" => Some("已新增项目，并已按预警规则核验。"),
        "saved" => Some("已保存项目信息，并已重新核验。"),
        "account" => Some("已保存专用账户信息，并已重新核验。"),
        "transfer" => Some("已登记人工费用拨付，并已重新核验。"),
        "deposit" => Some("已登记工资保证金，并已重新核验。"),
        "board" => Some("已登记维权信息告示牌，并已重新核验。"),
        "roster" => Some("已保存实名制人员，并已重新核验。"),
        "attendance" => Some("已登记考勤，并已重新核验。"),
        "payroll" => Some("已登记工资发放，并已重新核验。"),
        _ => None,
    };
    let page = show_page(&n.ctx, &n.actor, id, q.get("page").map(String::as_str), notice, None).await?;
    Ok(html(&page))
}

// ---------------------------------------------------------------------------
// The small forms

/// After a write: the project evaluated again, and back to its page.
async fn written<T>(
    n: &Need<WriteRecords>,
    id: i64,
    what: &'static str,
    r: AppResult<T>,
) -> Result<Response, WebError> {
    seen(&n.ctx.state, &n.actor, r)?;
    monitor::evaluate_project(&n.ctx.call(&n.actor), id).await?;
    Ok(Redirect::to(&format!("/monitor/projects/{id}?done={what}#{what}")).into_response())
}

/// The project's page again, with the form sent and its errors.
async fn refused(n: &Need<WriteRecords>, id: i64, failed: Failed) -> Result<Response, WebError> {
    let page = show_page(&n.ctx, &n.actor, id, None, None, Some(failed)).await?;
    Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
}

/// A write of one of the forms: done, or the page with the form's errors.
async fn outcome<T>(
    n: &Need<WriteRecords>,
    id: i64,
    what: &'static str,
    values: HashMap<String, String>,
    r: AppResult<T>,
) -> Result<Response, WebError> {
    match r {
        Err(AppError::Validation(errors)) => {
            refused(
                n,
                id,
                Failed {
                    form: what,
                    values,
                    errors,
                    register: false,
                },
            )
            .await
        }
        r => written(n, id, what, r).await,
    }
}

/// POST /monitor/projects/{id}/account — 农民工工资专用账户.
pub async fn account(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let get = |k: &str| form.get(k).to_string();
    let r = monitor::set_account(&n.ctx.call(&n.actor), id, &get).await;
    outcome(&n, id, "account", submitted(&ACCOUNT, &form), r).await
}

/// POST /monitor/projects/{id}/transfers — 人工费用拨付.
pub async fn transfer(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let get = |k: &str| form.get(k).to_string();
    let r = monitor::add_transfer(&n.ctx.call(&n.actor), id, &get).await;
    outcome(&n, id, "transfer", submitted(&TRANSFER, &form), r).await
}

/// POST /monitor/projects/{id}/deposits — 工资保证金.
pub async fn deposit(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let get = |k: &str| form.get(k).to_string();
    let r = monitor::add_deposit(&n.ctx.call(&n.actor), id, &get).await;
    outcome(&n, id, "deposit", submitted(&DEPOSIT, &form), r).await
}

/// POST /monitor/projects/{id}/board — 维权信息告示牌 (multipart: the date
/// and, if chosen, a photo).
pub async fn notice_board(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let get = |k: &str| form.get(k).to_string();
    let r = match &form.upload_problem {
        Some(m) => Err(AppError::field("photo", m.clone())),
        None => monitor::set_board(&n.ctx.call(&n.actor), id, &get, form.file("photo")).await,
    };
    outcome(&n, id, "board", submitted(&BOARD, &form), r).await
}

/// GET /monitor/projects/{id}/board/{file} — a photo of the notice board,
/// shown in the page.
pub async fn board_photo(
    n: Need<ViewDashboard>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (id, file) = (parse_id(&id)?, parse_id(&file)?);
    let (name, mime, bytes) = monitor::board_photo(&n.ctx.state.db, &n.actor, id, file).await?;
    let encoded = crate::views::percent_encode(&name);
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        bytes,
    )
        .into_response())
}

fn text(v: &Values, key: &str) -> String {
    match v.get(key) {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

fn date(v: &Values, key: &str) -> Option<NaiveDate> {
    match v.get(key) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

/// Reads a form of `spec`, adding its errors to `errors`.
fn read(
    spec: &'static FormSpec,
    form: &Form,
    now: chrono::DateTime<chrono::Utc>,
    errors: &mut FieldErrors,
) -> Result<Option<Values>, WebError> {
    let get = |k: &str| form.get(k).to_string();
    match shiminhua_app::fields::read(spec, &get, &PlaceBook::default(), now) {
        Ok(v) => Ok(Some(v)),
        Err(AppError::Validation(e)) => {
            errors.0.extend(e.0);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The month of a form (`2026-03`, `2026年3月`).
fn month_of(v: &Values, errors: &mut FieldErrors) -> Option<Month> {
    let t = text(v, "month");
    let m = Month::parse(&t);
    if m.is_none() {
        errors.add("month", "月份应写成“2026-03”这样的年-月");
    }
    m
}

/// The roster worker chosen in a form.
fn worker_of(form: &Form, errors: &mut FieldErrors) -> Option<i64> {
    let w = form.get("worker").parse::<i64>().ok().filter(|w| *w > 0);
    if w.is_none() {
        errors.add("worker", "请选择实名制名单中的人员");
    }
    w
}

/// POST /monitor/projects/{id}/roster — a worker found by ID number in the
/// registry (in the user's scope) put on the roster, or their line changed.
pub async fn roster(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    seen(st, &n.actor, monitor::get(&st.db, &n.actor, id).await)?;
    let mut values = submitted(&ROSTER, &form);
    values.insert("id_number".into(), form.get("id_number").to_string());
    let mut errors = FieldErrors::default();
    let mut register = false;
    let worker = match IdNumber::parse(form.get("id_number")) {
        Err(e) => {
            errors.add("id_number", e.to_string());
            None
        }
        Ok(number) => {
            let filter = WorkerFilter {
                q: number.as_str().to_string(),
                ..WorkerFilter::default()
            };
            let (found, _) =
                workers::list_workers(&st.db, &st.cipher, &n.actor, &filter, 1, 0, workers::COUNT_CAP).await?;
            match found.first() {
                Some(w) => Some(w.id),
                None => {
                    register = true;
                    errors.add(
                        "id_number",
                        "农民工信息库中没有这个身份证号码的人员（或不在您的数据范围内），请先登记该农民工，再加入实名制名单。",
                    );
                    None
                }
            }
        }
    };
    let now = st.clock.now();
    let read_values = read(&ROSTER, &form, now, &mut errors)?;
    let (Some(worker_id), Some(v), true) = (worker, read_values, errors.is_empty()) else {
        return refused(
            &n,
            id,
            Failed {
                form: "roster",
                values,
                errors,
                register,
            },
        )
        .await;
    };
    let input = RosterInput {
        worker_id,
        subcontractor: text(&v, "subcontractor"),
        team: text(&v, "team"),
        contract_signed: matches!(v.get("contract"), Some(Value::Flag(true))),
        entered_on: date(&v, "entered"),
        left_on: date(&v, "left"),
    };
    let r = monitor::add_roster(&n.ctx.call(&n.actor), id, &input).await;
    outcome(&n, id, "roster", values, r).await
}

/// POST /monitor/projects/{id}/attendance — a roster worker's days of a month.
pub async fn attendance(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    seen(st, &n.actor, monitor::get(&st.db, &n.actor, id).await)?;
    let mut values = submitted(&ATTENDANCE, &form);
    values.insert("worker".into(), form.get("worker").to_string());
    let mut errors = FieldErrors::default();
    let worker = worker_of(&form, &mut errors);
    let read_values = read(&ATTENDANCE, &form, st.clock.now(), &mut errors)?;
    let month = read_values.as_ref().and_then(|v| month_of(v, &mut errors));
    let days = match read_values.as_ref().and_then(|v| v.get("days")) {
        Some(Value::Count(d)) => Some(*d),
        _ => None,
    };
    let (Some(worker_id), Some(month), Some(days), true) = (worker, month, days, errors.is_empty()) else {
        return refused(
            &n,
            id,
            Failed {
                form: "attendance",
                values,
                errors,
                register: false,
            },
        )
        .await;
    };
    let line = AttendanceInput { worker_id, month, days };
    let r = monitor::record_attendance(&n.ctx.call(&n.actor), id, &[line]).await;
    outcome(&n, id, "attendance", values, r).await
}

/// POST /monitor/projects/{id}/payroll — a roster worker's pay of a month as the bank paid it.
pub async fn payroll(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    seen(st, &n.actor, monitor::get(&st.db, &n.actor, id).await)?;
    let mut values = submitted(&PAYROLL, &form);
    values.insert("worker".into(), form.get("worker").to_string());
    let mut errors = FieldErrors::default();
    let worker = worker_of(&form, &mut errors);
    let read_values = read(&PAYROLL, &form, st.clock.now(), &mut errors)?;
    let month = read_values.as_ref().and_then(|v| month_of(v, &mut errors));
    let amount = match read_values.as_ref().and_then(|v| v.get("amount")) {
        Some(Value::Money(f)) => Some(f.0),
        _ => None,
    };
    let paid_on = read_values.as_ref().and_then(|v| date(v, "paid_on"));
    let (Some(worker_id), Some(month), Some(amount_fen), Some(paid_on), Some(v), true) =
        (worker, month, amount, paid_on, read_values.as_ref(), errors.is_empty())
    else {
        return refused(
            &n,
            id,
            Failed {
                form: "payroll",
                values,
                errors,
                register: false,
            },
        )
        .await;
    };
    let line = PayInput {
        worker_id,
        month,
        amount_fen,
        paid_on,
        account: text(v, "account"),
    };
    let r = monitor::record_pay(&n.ctx.call(&n.actor), id, &[line]).await;
    outcome(&n, id, "payroll", values, r).await
}
