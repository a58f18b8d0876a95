//! Staff pages of wage-arrears cases (欠薪线索/案件): the list in the
//! user's scope with the running time limit counted in working days, the
//! registration form, the case page (facts, deadlines, timeline,
//! attachments, one form per step the user may take now) and the office's
//! settings (conclusion categories, the platform clues' time limit).
//!
//! Every step goes through `cases::act` with the version the officer saw:
//! a stale version is refused with the app's conflict message (409) and
//! nothing is written.

use super::{Pager, date_zh, html, parse_id, q_get, query_string, with_status};
use crate::error::WebError;
use crate::extract::{ActOnCases, CaseSettings, Ctx, Form, Need, ReadCases, RegisterCases};
use crate::layout::Layout;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use shiminhua_app::plan::reports::FileRow;
use shiminhua_app::rights::blacklist::Listing;
use shiminhua_app::rights::cases::{self, CaseEvent, CaseFilter, CaseRow, Township};
use shiminhua_app::xlsx::local_time;
use shiminhua_app::{AppError, FieldErrors};
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::calendar::Calendar;
use shiminhua_core::case::{self as rules, Action, ActionInput, CaseInput, Sector, Source, Status, Timing};
use shiminhua_core::money::Fen;
use std::collections::HashMap;

/// Cases a page shows at once.
const PER_PAGE: i64 = 20;

fn yuan(fen: i64) -> String {
    format!("{} 元", Fen(fen))
}

fn layout(ctx: &Ctx, actor: &Actor, title: impl Into<String>) -> Layout {
    Layout::new(ctx, Some(actor), title)
        .crumb("欠薪治理", "")
        .crumb("案件办理", "/cases")
}

/// A township as typed into a picker: county and township names (resolved
/// by the place book like a code would be).
fn town_value(t: &Township) -> String {
    format!("{}{}", t.county_name, t.name)
}

// ---------------------------------------------------------------------------
// Deadlines

/// How a case stands against its running time limit, for the eye.
pub struct Deadline {
    /// e.g. "办理期限 剩余 12 个工作日", "受理期限 已逾期 3 个工作日".
    pub text: String,
    /// The due date (empty when no limit runs).
    pub due: String,
    /// `red` (overdue), `amber` (near due) or "".
    pub css: &'static str,
    /// 逾期 / 临期 / 正常 / "".
    pub label: &'static str,
}

/// The deadline of a case as of `today`, counted in working days on the
/// stored holiday calendar; `near_until` is the last day of the near-due
/// window (`None` when it could not be computed).
fn deadline(row: &CaseRow, cal: &Calendar, today: NaiveDate, near_until: Option<NaiveDate>) -> Deadline {
    let Some(due) = row.due_on.filter(|_| row.state().is_some_and(Status::is_open)) else {
        return Deadline {
            text: String::new(),
            due: String::new(),
            css: "",
            label: "",
        };
    };
    let what = if row.state() == Some(Status::Registered) {
        "受理期限"
    } else {
        "办理期限"
    };
    let timing = match near_until {
        Some(near) => row.timing(today, near),
        None if due < today => Timing::Overdue,
        None => Timing::OnTime,
    };
    let text = if due < today {
        match cal.working_days_between(due, today) {
            Ok(n) if n >= 1 => format!("{what} 已逾期 {n} 个工作日"),
            Ok(_) => format!("{what} 已逾期（不足1个工作日）"),
            Err(_) => format!("{what} 已逾期（节假日安排未载入，无法计算工作日数）"),
        }
    } else if due == today {
        format!("{what} 今日到期")
    } else {
        match cal.working_days_between(today, due) {
            Ok(n) => format!("{what} 剩余 {n} 个工作日"),
            Err(_) => format!("{what} 至{}（节假日安排未载入，无法计算工作日数）", date_zh(due)),
        }
    };
    // A due date in a year whose holiday arrangement is not loaded yet.
    let text = if row.due_provisional {
        format!("{text}（暂按常规工作日推算）")
    } else {
        text
    };
    Deadline {
        text,
        due: date_zh(due),
        css: match timing {
            Timing::Overdue => "red",
            Timing::NearDue => "amber",
            _ => "",
        },
        label: timing.label_zh(),
    }
}

/// The stored calendar and the last day of today's near-due window.
async fn clock_of(ctx: &Ctx) -> Result<(Calendar, NaiveDate, Option<NaiveDate>), WebError> {
    let db = &ctx.state.db;
    // Years not loaded yet taken as ordinary, as the due dates were.
    let cal = cases::deadline_calendar(db).await?;
    let today = ctx.state.clock.today();
    let near = cases::limits(db).await?.near_until(&cal, today).ok();
    Ok((cal, today, near))
}

// ---------------------------------------------------------------------------
// The list

/// One row of the list.
pub struct ListRow {
    pub id: i64,
    pub number: String,
    pub received: String,
    pub source: &'static str,
    pub employer: String,
    pub credit_code: String,
    pub sector: &'static str,
    pub place: String,
    pub workers: i64,
    pub amount: String,
    pub status: &'static str,
    pub deadline: Deadline,
    /// The employer is on the arrears blacklist today.
    pub blacklisted: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListTpl {
    layout: Layout,
    counties: Vec<(String, String)>,
    county: String,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    sectors: Vec<(&'static str, &'static str)>,
    sector: String,
    sources: Vec<(&'static str, &'static str)>,
    source: String,
    timings: Vec<(&'static str, &'static str)>,
    timing: String,
    q: String,
    /// The received-date filter: (from, to, as shown).
    received: Option<(String, String, String)>,
    rows: Vec<ListRow>,
    pager: Pager,
    /// Cases matching the filters, and of those the overdue and near-due
    /// ones (when the timing filter does not already say).
    overdue: Option<i64>,
    near: Option<i64>,
    can_register: bool,
    error: Option<String>,
}

const TIMINGS: [(&str, &str); 3] = [("overdue", "逾期"), ("near", "临期"), ("normal", "正常")];

fn timing_of(code: &str) -> Option<Timing> {
    match code {
        "overdue" => Some(Timing::Overdue),
        "near" => Some(Timing::NearDue),
        "normal" => Some(Timing::OnTime),
        _ => None,
    }
}

/// Counties with a township in the actor's case scope: (code, name).
fn counties_of(actor: &Actor, towns: &[Township]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in towns {
        if !actor.scope.allows(RecordKind::WageCase, t.code) {
            continue;
        }
        let Some(county) = t.code.county() else { continue };
        let code = county.to_string();
        if !out.iter().any(|(c, _)| *c == code) {
            out.push((code, t.county_name.clone()));
        }
    }
    out
}

/// GET /cases?county=&status=&sector=&source=&timing=&q=&page=
pub async fn list(n: Need<ReadCases>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let towns = cases::townships(&st.db).await?;
    let counties = counties_of(&n.actor, &towns);
    let (county, status, sector, source, timing) = (
        q_get(&q, "county"),
        q_get(&q, "status"),
        q_get(&q, "sector"),
        q_get(&q, "source"),
        q_get(&q, "timing"),
    );
    let search: String = q_get(&q, "q").chars().take(50).collect();
    // Received between (from the statistics' links); both days or neither.
    let day = |k: &str| NaiveDate::parse_from_str(q_get(&q, k).trim(), "%Y-%m-%d").ok();
    let received = day("from").zip(day("to")).filter(|(a, b)| a <= b);
    let mut filter = CaseFilter {
        received,
        county: None,
        status: Status::from_code(&status),
        sector: Sector::from_code(&sector),
        source: Source::from_code(&source),
        timing: timing_of(&timing),
        q: search.clone(),
    };
    if !county.is_empty() {
        filter.county = Some(
            counties
                .iter()
                .find(|(c, _)| *c == county)
                .and_then(|(c, _)| shiminhua_core::division::DivisionCode::parse(c).ok())
                .ok_or_else(|| AppError::BadRequest("所选区县不在您的数据范围内，请从列表中选择。".into()))?,
        );
    }
    let query = query_string(&[
        ("county", &county),
        ("status", filter.status.map_or("", Status::code)),
        ("sector", filter.sector.map_or("", Sector::code)),
        ("source", filter.source.map_or("", Source::code)),
        ("timing", if filter.timing.is_some() { timing.as_str() } else { "" }),
        ("q", &search),
        ("from", &received.map(|r| r.0.to_string()).unwrap_or_default()),
        ("to", &received.map(|r| r.1.to_string()).unwrap_or_default()),
    ]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), PER_PAGE, query);
    let (cal, today, near) = clock_of(&n.ctx).await?;
    let mut error = None;
    let (found, total) = match cases::list(&st.db, &n.actor, &filter, today, pager.per_page, pager.offset()).await {
        Ok(r) => r,
        Err(AppError::Conflict(m)) => {
            error = Some(m);
            (Vec::new(), 0)
        }
        Err(e) => return Err(e.into()),
    };
    pager.total = total;
    // How many of the filtered cases are overdue and near due.
    let (mut overdue, mut near_due) = (None, None);
    if error.is_none() && filter.timing.is_none() && total > 0 {
        let d = cases::due_counts(&st.db, &n.actor, &filter, today).await?;
        (overdue, near_due) = (Some(d.overdue), Some(d.near_due));
    }
    let codes: Vec<String> = found.iter().map(|r| r.employer_credit_code.clone()).collect();
    let listed = shiminhua_app::rights::blacklist::listed_among(&st.db, &codes, today).await?;
    let rows = found
        .iter()
        .map(|r| ListRow {
            blacklisted: listed.contains_key(&r.employer_credit_code),
            id: r.id,
            number: r.number.clone(),
            received: date_zh(r.received_on),
            source: r.source_label(),
            employer: r.employer_name.clone(),
            credit_code: r.employer_credit_code.clone(),
            sector: r.sector_label(),
            place: towns
                .iter()
                .find(|t| t.code.as_i64() == r.region_code)
                .map(|t| format!("{} {}", t.county_name, t.name))
                .unwrap_or_else(|| r.region_name.clone()),
            workers: r.workers,
            amount: yuan(r.amount_claimed_fen),
            status: r.status_label(),
            deadline: deadline(r, &cal, today, near),
        })
        .collect();
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "欠薪案件办理")
            .crumb("欠薪治理", "")
            .crumb("案件办理", ""),
        counties,
        county,
        statuses: Status::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        status: filter.status.map_or("", Status::code).to_string(),
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        sector: filter.sector.map_or("", Sector::code).to_string(),
        sources: Source::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        source: filter.source.map_or("", Source::code).to_string(),
        timings: TIMINGS.to_vec(),
        timing: if filter.timing.is_some() { timing } else { String::new() },
        q: search,
        received: received.map(|(a, b)| (a.to_string(), b.to_string(), format!("{}至{}", date_zh(a), date_zh(b)))),
        rows,
        pager,
        overdue,
        near: near_due,
        can_register: rules::may_register(&n.actor.roles),
        error,
    }))
}

// ---------------------------------------------------------------------------
// Registration

/// The registration form as typed: the case's fields, and how the reporter
/// is given (the fields read as `v.employer_name` through `Deref`).
#[derive(Clone, Debug, Default)]
pub struct Typed {
    pub fields: CaseInput,
    /// `anonymous`, `worker` or `contact`.
    pub reporter: String,
    pub worker_id: String,
}

impl std::ops::Deref for Typed {
    type Target = CaseInput;
    fn deref(&self) -> &CaseInput {
        &self.fields
    }
}

impl Typed {
    fn from_form(f: &Form) -> Typed {
        let reporter = match f.get("reporter") {
            r @ ("anonymous" | "worker") => r.to_string(),
            _ => "contact".to_string(),
        };
        Typed {
            fields: CaseInput {
                // Its lines as typed.
                description: f.raw("description").trim().into(),
                ..CaseInput::read(|k| f.get(k).to_string())
            },
            reporter,
            worker_id: f.get("worker_id").into(),
        }
    }

    /// The use case's input, and the error of the worker number when it is
    /// not one (the rest is checked by the use case).
    fn input(&self) -> (CaseInput, Option<String>) {
        let mut worker_error = None;
        let worker_id = if self.reporter == "worker" {
            match self.worker_id.trim().parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    worker_error = Some(if self.worker_id.trim().is_empty() {
                        "请填写反映人的农民工编号".to_string()
                    } else {
                        "农民工编号应为农民工名册中的数字编号".to_string()
                    });
                    // No worker has it: registration cannot go through.
                    Some(0)
                }
            }
        } else {
            None
        };
        let input = CaseInput {
            anonymous: self.reporter == "anonymous",
            worker_id,
            ..self.fields.clone()
        };
        (input, worker_error)
    }
}

/// The fields of the form (errors of other keys are shown above it).
const FORM_KEYS: &[&str] = &[
    "source",
    "clue_no",
    "received_on",
    "anonymous",
    "worker_id",
    "reporter_name",
    "reporter_phone",
    "reporter_id_number",
    "employer_name",
    "employer_credit_code",
    "employer_address",
    "sector",
    "project_name",
    "contractor_credit_code",
    "workers",
    "amount_claimed",
    "arrears_from",
    "arrears_to",
    "description",
    "region",
];

#[derive(Template)]
#[template(path = "case_form.html")]
struct FormTpl {
    layout: Layout,
    v: Typed,
    errors: FieldErrors,
    general: Vec<String>,
    sources: Vec<(&'static str, &'static str)>,
    sectors: Vec<(&'static str, &'static str)>,
    /// Townships in the actor's scope: (value to type, code).
    towns: Vec<(String, String)>,
}

async fn form_page(n: &Need<RegisterCases>, v: Typed, errors: FieldErrors) -> Result<FormTpl, WebError> {
    let towns = cases::townships(&n.ctx.state.db)
        .await?
        .iter()
        .filter(|t| n.actor.scope.allows(RecordKind::WageCase, t.code))
        .map(|t| (town_value(t), t.code.to_string()))
        .collect();
    let general = errors
        .0
        .iter()
        .filter(|(k, _)| !FORM_KEYS.contains(&k.as_str()))
        .map(|(_, m)| m.clone())
        .collect();
    Ok(FormTpl {
        layout: layout(&n.ctx, &n.actor, "登记欠薪线索").crumb("登记线索", ""),
        v,
        errors,
        general,
        sources: Source::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        towns,
    })
}

/// GET /cases/new
pub async fn new_page(n: Need<RegisterCases>) -> Result<Response, WebError> {
    let v = Typed {
        fields: CaseInput {
            received_on: n.ctx.state.clock.today().to_string(),
            ..CaseInput::default()
        },
        reporter: "contact".into(),
        worker_id: String::new(),
    };
    Ok(html(&form_page(&n, v, FieldErrors::default()).await?))
}

#[derive(Template)]
#[template(path = "case_registered.html")]
struct RegisteredTpl {
    layout: Layout,
    id: i64,
    number: String,
    code: String,
}

/// POST /cases/new
pub async fn create(n: Need<RegisterCases>, form: Form) -> Result<Response, WebError> {
    let v = Typed::from_form(&form);
    let (input, worker_error) = v.input();
    let result = cases::register(&n.ctx.call(&n.actor), &input).await;
    // A worker number that is not one never registers (no worker has id 0).
    let mut errors = match result {
        Ok(reg) => {
            // The query code is shown here once and never again.
            let mut page = html(&RegisteredTpl {
                layout: layout(&n.ctx, &n.actor, format!("已登记：{}", reg.number)).crumb(reg.number.clone(), ""),
                id: reg.id,
                number: reg.number,
                code: reg.query_code,
            });
            page.headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            return Ok(page);
        }
        Err(AppError::Validation(e)) => e,
        Err(e) => return Err(e.into()),
    };
    if let Some(m) = worker_error {
        errors.0.retain(|(k, _)| k != "worker_id");
        errors.add("worker_id", m);
    }
    let page = form_page(&n, v, errors).await?;
    Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
}

// ---------------------------------------------------------------------------
// The case page

/// An action form as typed (only the action's fields are read).
#[derive(Clone, Debug, Default)]
pub struct ActionValues {
    pub reason: String,
    pub note: String,
    pub conclusion: String,
    pub amount_recovered: String,
    pub workers_paid: String,
    pub region: String,
    pub public_reply: String,
}

impl ActionValues {
    fn from_form(f: &Form) -> ActionValues {
        ActionValues {
            reason: f.raw("reason").trim().into(),
            note: f.raw("note").trim().into(),
            conclusion: f.get("conclusion").into(),
            amount_recovered: f.get("amount_recovered").into(),
            workers_paid: f.get("workers_paid").into(),
            region: f.get("region").into(),
            public_reply: f.raw("public_reply").trim().into(),
        }
    }

    fn input(&self) -> ActionInput {
        ActionInput {
            reason: self.reason.clone(),
            note: self.note.clone(),
            conclusion: self.conclusion.clone(),
            amount_recovered: self.amount_recovered.clone(),
            workers_paid: self.workers_paid.clone(),
            region: self.region.clone(),
            public_reply: self.public_reply.clone(),
        }
    }
}

/// The form of one step the user may take now.
pub struct ActionForm {
    pub code: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    /// The reason's label when the step requires one.
    pub reason_label: Option<&'static str>,
    pub note_label: &'static str,
    pub note_required: bool,
    pub close: bool,
    pub transfer: bool,
    pub danger: bool,
    pub v: ActionValues,
    pub errors: FieldErrors,
    /// Errors not tied to a field of the form.
    pub general: Vec<String>,
}

const ACTION_KEYS: &[&str] = &[
    "reason",
    "note",
    "conclusion",
    "amount_recovered",
    "workers_paid",
    "region",
    "public_reply",
];

fn action_form(a: Action, v: ActionValues, errors: FieldErrors) -> ActionForm {
    let required = a.required();
    let reason_label = required.contains(&"reason").then_some(match a {
        Action::Reject => "不予受理理由",
        Action::Transfer => "转办理由",
        _ => "延期理由",
    });
    let note_label = match a {
        Action::FollowUp => "回访情况",
        Action::Arbitrate => "移送仲裁说明",
        Action::ReferPolice => "移送公安说明（涉嫌拒不支付劳动报酬罪的事实）",
        Action::Urge => "督办意见",
        _ => "办理意见",
    };
    let hint = match a {
        Action::Accept => "受理后开始计算办理期限（平台转办的线索自收到之日起按平台线索办理时限计算）。",
        Action::Reject => "不予受理的，案件终结，不能再办理。",
        Action::Investigate => "开始调查后可办结、移送仲裁或移送公安。",
        Action::Close => "办结后须回访反映人。",
        Action::FollowUp => "回访后案件终结。",
        Action::Transfer => "转至其他区县的乡镇（街道），由接收区县重新受理，受理期限自转办之日起重新计算。",
        Action::Arbitrate => "通过绿色通道移送劳动人事争议仲裁委员会，办理期限终止，之后须回访。",
        Action::ReferPolice => "涉嫌拒不支付劳动报酬罪的，移送公安机关，办理期限终止，之后须回访。",
        Action::Extend => "每个案件只能延期一次，办理期限延长30个工作日。",
        Action::Urge => "督办意见记入办理记录，案件状态不变。",
    };
    let general = errors
        .0
        .iter()
        .filter(|(k, _)| !ACTION_KEYS.contains(&k.as_str()))
        .map(|(_, m)| m.clone())
        .collect();
    ActionForm {
        code: a.code(),
        label: a.label_zh(),
        hint,
        reason_label,
        note_label,
        note_required: required.contains(&"note"),
        close: a == Action::Close,
        transfer: a == Action::Transfer,
        danger: matches!(a, Action::Reject | Action::ReferPolice),
        v,
        errors,
        general,
    }
}

/// One event of the timeline.
pub struct EventLine {
    pub action: &'static str,
    pub change: String,
    pub by: String,
    pub at: String,
    pub note: String,
    pub reply: String,
    pub details: Vec<String>,
}

fn status_label(code: &str) -> &'static str {
    Status::from_code(code).map_or("", Status::label_zh)
}

fn event_line(e: &CaseEvent, towns: &[Township]) -> EventLine {
    let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
    let str_of = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let int_of = |k: &str| data.get(k).and_then(|v| v.as_i64());
    let day = |s: String| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map(date_zh).unwrap_or(s);
    let mut details = Vec::new();
    if let Some(c) = str_of("conclusion") {
        details.push(format!("办结结论：{c}"));
    }
    if let Some(a) = int_of("amount_recovered_fen") {
        details.push(format!("追回金额：{}", yuan(a)));
    }
    if let Some(n) = int_of("workers_paid") {
        details.push(format!("已支付人数：{n} 人"));
    }
    if let Some(to) = int_of("to_region") {
        let name = towns
            .iter()
            .find(|t| t.code.as_i64() == to)
            .map(|t| format!("{} {}", t.county_name, t.name))
            .unwrap_or_else(|| to.to_string());
        details.push(format!("转至：{name}"));
    }
    if let Some(d) = str_of("accept_due") {
        details.push(format!("受理期限：{}", day(d)));
    }
    if let Some(d) = str_of("due_on") {
        let what = if e.to_status == Status::Registered.code() {
            "受理期限"
        } else {
            "办理期限"
        };
        details.push(format!("{what}：{}", day(d)));
    }
    let (from, to) = (status_label(&e.from_status), status_label(&e.to_status));
    EventLine {
        action: e.action_label(),
        change: if from.is_empty() || from == to {
            to.to_string()
        } else {
            format!("{from} → {to}")
        },
        by: e.actor_name.clone(),
        at: local_time(e.at),
        note: e.note.clone(),
        reply: e.public_reply.clone(),
        details,
    }
}

/// The reporter as shown (masked).
pub struct ReporterView {
    pub anonymous: bool,
    pub worker_id: Option<i64>,
    pub name: String,
    pub phone: String,
    pub id_number: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct ShowTpl {
    layout: Layout,
    id: i64,
    number: String,
    version: i64,
    status: &'static str,
    source: &'static str,
    clue_no: String,
    received: String,
    reporter: ReporterView,
    /// Employer, sector and the claim: (label, value).
    facts: Vec<(&'static str, String)>,
    description: String,
    deadline: Deadline,
    /// The time limits: (label, value).
    limits: Vec<(&'static str, String)>,
    /// The outcome once closed: (label, value).
    outcome: Vec<(&'static str, String)>,
    events: Vec<EventLine>,
    files: Vec<FileRow>,
    can_upload: bool,
    upload_error: Option<String>,
    forms: Vec<ActionForm>,
    conclusions: Vec<String>,
    /// Townships of other counties (for 转办): values to type.
    transfer_towns: Vec<String>,
    notice: Option<String>,
    error: Option<String>,
    /// The employer's listing on the arrears blacklist in effect today:
    /// (id, listed on, to be removed on).
    listing: Option<(i64, String, String)>,
    /// A link to list the employer (for those who may, when not listed).
    may_list: bool,
    /// The listing form's query, filled from this case.
    employer_query: String,
}

/// What a re-rendered case page carries besides the case.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    error: Option<String>,
    upload_error: Option<String>,
    /// The action form that was sent, with its values and errors.
    sent: Option<(Action, ActionValues, FieldErrors)>,
}

async fn show_page(ctx: &Ctx, actor: &Actor, id: i64, shown: Shown) -> Result<ShowTpl, WebError> {
    let db = &ctx.state.db;
    let (row, events) = cases::get(db, actor, id).await?;
    let files = cases::files(db, actor, id).await?;
    let towns = cases::townships(db).await?;
    let (cal, today, near) = clock_of(ctx).await?;
    let status = row.state();
    let place = towns
        .iter()
        .find(|t| t.code.as_i64() == row.region_code)
        .map(|t| format!("{} {}", t.county_name, t.name))
        .unwrap_or_else(|| row.region_name.clone());
    let mut facts = vec![
        ("用人单位", row.employer_name.clone()),
        (
            "统一社会信用代码",
            if row.employer_credit_code.is_empty() {
                "未填".into()
            } else {
                row.employer_credit_code.clone()
            },
        ),
    ];
    if !row.employer_address.is_empty() {
        facts.push(("用人单位地址", row.employer_address.clone()));
    }
    facts.push(("所属行业", row.sector_label().to_string()));
    if !row.project_name.is_empty() {
        facts.push(("工程项目名称", row.project_name.clone()));
    }
    if !row.contractor_credit_code.is_empty() {
        facts.push(("施工总承包单位信用代码", row.contractor_credit_code.clone()));
    }
    facts.push(("欠薪发生地", place));
    facts.push(("涉及人数", format!("{} 人", row.workers)));
    facts.push(("反映欠薪金额", yuan(row.amount_claimed_fen)));
    facts.push((
        "欠薪期间",
        format!("{} 至 {}", date_zh(row.arrears_from), date_zh(row.arrears_to)),
    ));
    let mut limits = vec![("受理期限", date_zh(row.accept_due))];
    if let Some(d) = row.accepted_on {
        limits.push(("受理日期", date_zh(d)));
    }
    if let Some(d) = row.handle_due {
        let extended = if row.extended { "（已延期）" } else { "" };
        limits.push(("办理期限", format!("{}{extended}", date_zh(d))));
    }
    if row.urged > 0 {
        limits.push(("督办", format!("已督办 {} 次", row.urged)));
    }
    let mut outcome = Vec::new();
    if !row.conclusion.is_empty() {
        outcome.push(("办结结论", row.conclusion.clone()));
    }
    if let Some(a) = row.amount_recovered_fen {
        outcome.push(("追回金额", yuan(a)));
    }
    if let Some(w) = row.workers_paid {
        outcome.push(("已支付人数", format!("{w} 人")));
    }
    if let Some(d) = row.closed_on {
        outcome.push(("办结（终止）日期", date_zh(d)));
    }
    let mut actions = status.map(|s| rules::actions_for(s, &actor.roles)).unwrap_or_default();
    // The one extension is taken.
    actions.retain(|a| !(*a == Action::Extend && row.extended));
    let mut sent = shown.sent;
    let forms: Vec<ActionForm> = actions
        .iter()
        .map(|a| match sent.take_if(|s| s.0 == *a) {
            Some((_, v, e)) => action_form(*a, v, e),
            None => action_form(*a, ActionValues::default(), FieldErrors::default()),
        })
        .collect();
    let conclusions = if actions.contains(&Action::Close) {
        cases::conclusions(db).await?
    } else {
        Vec::new()
    };
    let county = row.county_code;
    let transfer_towns = if actions.contains(&Action::Transfer) {
        towns
            .iter()
            .filter(|t| t.code.county().is_some_and(|c| c.as_i64() != county))
            .map(town_value)
            .collect()
    } else {
        Vec::new()
    };
    // An error of a form no longer shown (the case moved on) goes on top.
    let mut error = shown.error;
    if let Some((_, _, e)) = sent
        && error.is_none()
        && !e.is_empty()
    {
        error = Some(e.0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("；"));
    }
    Ok(ShowTpl {
        layout: layout(ctx, actor, format!("欠薪案件 {}", row.number)).crumb(row.number.clone(), ""),
        id: row.id,
        number: row.number.clone(),
        version: row.version,
        status: row.status_label(),
        source: row.source_label(),
        clue_no: row.clue_no.clone().unwrap_or_default(),
        received: date_zh(row.received_on),
        reporter: ReporterView {
            anonymous: row.anonymous,
            worker_id: row.worker_id,
            name: row.reporter_name_masked.clone(),
            phone: row.reporter_phone_masked.clone(),
            id_number: row.reporter_id_masked.clone(),
        },
        facts,
        description: row.description.clone(),
        deadline: deadline(&row, &cal, today, near),
        limits,
        outcome,
        events: events.iter().rev().map(|e| event_line(e, &towns)).collect(),
        files,
        can_upload: rules::may_register(&actor.roles),
        upload_error: shown.upload_error,
        forms,
        conclusions,
        transfer_towns,
        notice: shown.notice,
        error,
        listing: shiminhua_app::rights::blacklist::listed(db, &row.employer_credit_code, today)
            .await?
            .map(|l: Listing| (l.id, date_zh(l.listed_on), date_zh(l.removal_due))),
        may_list: rules::may_register(&actor.roles) && !row.employer_credit_code.is_empty(),
        employer_query: query_string(&[
            ("employer_name", &row.employer_name),
            ("credit_code", &row.employer_credit_code),
            ("case_number", &row.number),
        ]),
    })
}

fn notice_of(q: &HashMap<String, String>) -> Option<String> {
    match q.get("done").map(String::as_str) {
        Some("file") => Some("附件已上传。".into()),
        Some(code) => Action::from_code(code).map(|a| format!("已办理“{}”。", a.label_zh())),
        None => None,
    }
}

/// GET /cases/{id}
pub async fn show(
    n: Need<ReadCases>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let shown = Shown {
        notice: notice_of(&q),
        ..Shown::default()
    };
    let page = show_page(&n.ctx, &n.actor, id, shown).await?;
    n.ctx.state.reads.saw(
        &n.ctx.call(&n.actor),
        shiminhua_app::audit::Event::ok("case.view", "case", id),
    );
    Ok(html(&page))
}

/// POST /cases/{id}/act (action, version, the action's fields)
pub async fn act(n: Need<ActOnCases>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let values = ActionValues::from_form(&form);
    let Some(action) = Action::from_code(form.get("action")) else {
        let shown = Shown {
            error: Some("请选择要办理的事项后再提交。".into()),
            ..Shown::default()
        };
        let page = show_page(&n.ctx, &n.actor, id, shown).await?;
        return Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY));
    };
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let (shown, status) = match cases::act(&n.ctx.call(&n.actor), id, version, action, &values.input()).await {
        Ok(_) => return Ok(Redirect::to(&format!("/cases/{id}?done={}", action.code())).into_response()),
        Err(AppError::Validation(e)) => (
            Shown {
                sent: Some((action, values, e)),
                ..Shown::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(AppError::Conflict(m)) => (
            Shown {
                error: Some(m),
                sent: Some((action, values, FieldErrors::default())),
                ..Shown::default()
            },
            StatusCode::CONFLICT,
        ),
        Err(e) => return Err(e.into()),
    };
    let page = show_page(&n.ctx, &n.actor, id, shown).await?;
    Ok(with_status(html(&page), status))
}

/// POST /cases/{id}/files (multipart: csrf, file)
pub async fn upload(
    n: Need<RegisterCases>,
    Path(id): Path<String>,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    // Another county's case is not found, whatever was sent.
    cases::get(&n.ctx.state.db, &n.actor, id).await?;
    let mut mp = mp.map_err(|_| AppError::BadRequest("提交的内容格式不正确，请在案件页面选择附件后上传。".into()))?;
    let (mut csrf, mut file, mut problem) = (String::new(), None, None);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                problem = Some("上传中断或附件过大（超过10MB），请重新选择附件。".to_string());
                break;
            }
        };
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) if name.is_empty() && b.is_empty() => {}
                    Ok(b) => file = Some((name, b)),
                    Err(_) => {
                        problem = Some("上传中断或附件过大（超过10MB），请重新选择附件。".to_string());
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    n.ctx.check_csrf(&csrf)?;
    let result = match (problem, file) {
        (Some(m), _) => Err(AppError::field("file", m)),
        (None, None) => Err(AppError::field("file", "请选择要上传的附件")),
        (None, Some((name, bytes))) => cases::add_file(&n.ctx.call(&n.actor), id, &name, &bytes).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=file")).into_response()),
        Err(AppError::Validation(e)) => {
            let shown = Shown {
                upload_error: Some(e.0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("；")),
                ..Shown::default()
            };
            let page = show_page(&n.ctx, &n.actor, id, shown).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /cases/{id}/files/{file}
pub async fn download(n: Need<ReadCases>, Path((id, file)): Path<(String, String)>) -> Result<Response, WebError> {
    let (id, file) = (parse_id(&id)?, parse_id(&file)?);
    let (name, mime, bytes) = cases::file(&n.ctx.state.db, &n.actor, id, file).await?;
    n.ctx.state.reads.saw(
        &n.ctx.call(&n.actor),
        shiminhua_app::audit::Event::ok("case.download", "case", id).detail(format!("附件{file}")),
    );
    let encoded = super::percent_encode(&name);
    let ext: String = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"attachment.{ext}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------
// Settings

#[derive(Template)]
#[template(path = "case_settings.html")]
struct SettingsTpl {
    layout: Layout,
    conclusions: String,
    platform_days: String,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

fn settings_page(
    n: &Need<CaseSettings>,
    conclusions: String,
    platform_days: String,
    errors: FieldErrors,
) -> SettingsTpl {
    SettingsTpl {
        layout: layout(&n.ctx, &n.actor, "欠薪案件办理设置").crumb("办理设置", ""),
        conclusions,
        platform_days,
        errors,
        notice: None,
    }
}

/// GET /cases/settings
pub async fn settings(n: Need<CaseSettings>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let db = &n.ctx.state.db;
    let conclusions = cases::conclusions(db).await?.join("\n");
    let days = cases::limits(db).await?.platform_days.to_string();
    let mut page = settings_page(&n, conclusions, days, FieldErrors::default());
    if q.get("done").is_some_and(|d| d == "saved") {
        page.notice = Some("办理设置已保存，自保存之时起适用。");
    }
    Ok(html(&page))
}

/// POST /cases/settings (conclusions, platform_days)
pub async fn settings_submit(n: Need<CaseSettings>, form: Form) -> Result<Response, WebError> {
    let (text, days) = (
        form.raw("conclusions").to_string(),
        form.get("platform_days").to_string(),
    );
    // Both are checked before either is saved.
    let mut errors = FieldErrors::default();
    let list = rules::parse_conclusions(&text)
        .map_err(|m| errors.add("conclusions", m))
        .ok();
    let n_days = rules::parse_platform_days(&days)
        .map_err(|m| errors.add("platform_days", m))
        .ok();
    let (Some(list), Some(n_days)) = (list, n_days) else {
        let page = settings_page(&n, text, days, errors);
        return Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY));
    };
    let db = &n.ctx.state.db;
    let call = n.ctx.call(&n.actor);
    if cases::conclusions(db).await? != list {
        cases::set_conclusions(&call, &text).await?;
    }
    if cases::limits(db).await?.platform_days != n_days {
        cases::set_platform_days(&call, &days).await?;
    }
    Ok(Redirect::to("/cases/settings?done=saved").into_response())
}
