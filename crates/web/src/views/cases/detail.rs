//! The case page: facts, deadlines, timeline, attachments and one form
//! per step the user may take now.

use super::{Deadline, clock_of, deadline, layout, yuan};
use crate::error::WebError;
use crate::extract::{Ctx, Form, Need, ReadCases};
use crate::layout::Layout;
use crate::views::{date_zh, html, parse_id, query_string};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::Response;
use chrono::NaiveDate;
use shiminhua_app::FieldErrors;
use shiminhua_app::attachments::FileRow;
use shiminhua_app::rights::blacklist::Listing;
use shiminhua_app::rights::cases::{self, CaseEvent, Township};
use shiminhua_app::xlsx::local_time;
use shiminhua_core::auth::Actor;
use shiminhua_core::case::{self as rules, Action, ActionInput, CaseStatus};
use shiminhua_core::ids::CaseId;
use std::collections::HashMap;

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
    pub(super) fn from_form(f: &Form) -> ActionValues {
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

    pub(super) fn input(&self) -> ActionInput {
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
    /// Every error of the form at once, shown on its top: (the input's id,
    /// or "" for one not tied to a field of the form, message), in the
    /// form's order.
    pub summary: Vec<(String, String)>,
}

/// The id suffix of each field's input in an action form.
const INPUT_IDS: &[(&str, &str)] = &[
    ("conclusion", "conclusion"),
    ("amount_recovered", "amount"),
    ("workers_paid", "paid"),
    ("region", "region"),
    ("reason", "reason"),
    ("note", "note"),
    ("public_reply", "reply"),
];

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
    let general: Vec<String> = errors
        .0
        .iter()
        .filter(|(k, _)| !ACTION_KEYS.contains(&k.as_str()))
        .map(|(_, m)| m.clone())
        .collect();
    let summary = general
        .iter()
        .map(|m| (String::new(), m.clone()))
        .chain(INPUT_IDS.iter().flat_map(|(key, id)| {
            errors
                .0
                .iter()
                .filter(move |(k, _)| k == key)
                .map(move |(_, m)| (format!("{}-{id}", a.code()), m.clone()))
        }))
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
        summary,
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
    CaseStatus::from_code(code).map_or("", CaseStatus::label_zh)
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
            .map(|t| format!("{}{}", t.county_name, t.name))
            .unwrap_or_else(|| to.to_string());
        details.push(format!("转至：{name}"));
    }
    if let Some(d) = str_of("accept_due") {
        details.push(format!("受理期限：{}", day(d)));
    }
    if let Some(d) = str_of("due_on") {
        let what = if e.to_status == CaseStatus::Registered.code() {
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
pub(super) struct ShowTpl {
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
    /// Townships of other counties (for 转办), by county: (county, [(code, township)]).
    transfer_towns: Vec<(String, Vec<(String, String)>)>,
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
pub(super) struct Shown {
    pub(super) notice: Option<String>,
    pub(super) error: Option<String>,
    pub(super) upload_error: Option<String>,
    /// The action form that was sent, with its values and errors.
    pub(super) sent: Option<(Action, ActionValues, FieldErrors)>,
}

pub(super) async fn show_page(ctx: &Ctx, actor: &Actor, id: i64, shown: Shown) -> Result<ShowTpl, WebError> {
    let db = &ctx.state.db;
    let (row, events) = cases::get(db, actor, CaseId(id)).await?;
    let files = cases::files(db, actor, CaseId(id)).await?;
    let towns = cases::townships(db).await?;
    let (cal, today, near) = clock_of(ctx).await?;
    let status = row.state();
    let place = towns
        .iter()
        .find(|t| t.code.as_i64() == row.region_code)
        .map(|t| format!("{}{}", t.county_name, t.name))
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
    if !row.contractor_name.is_empty() {
        facts.push(("施工总承包单位", row.contractor_name.clone()));
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
    let mut error = shown.error;
    let forms: Vec<ActionForm> = actions
        .iter()
        .map(|a| match sent.take_if(|s| s.0 == *a) {
            Some((_, v, mut e)) => {
                // A conflict is told where the officer looks: on the form sent.
                if let Some(m) = error.take() {
                    e.0.insert(0, (String::new(), m));
                }
                action_form(*a, v, e)
            }
            None => action_form(*a, ActionValues::default(), FieldErrors::default()),
        })
        .collect();
    let conclusions = if actions.contains(&Action::Close) {
        cases::conclusions(db).await?
    } else {
        Vec::new()
    };
    let county = row.county_code;
    let mut transfer_towns: Vec<(String, Vec<(String, String)>)> = Vec::new();
    if actions.contains(&Action::Transfer) {
        for t in towns
            .iter()
            .filter(|t| t.code.county().is_some_and(|c| c.as_i64() != county))
        {
            let entry = (t.code.to_string(), t.name.clone());
            match transfer_towns.last_mut() {
                Some((c, list)) if *c == t.county_name => list.push(entry),
                _ => transfer_towns.push((t.county_name.clone(), vec![entry])),
            }
        }
    }
    // An error of a form no longer shown (the case moved on) goes on top.
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
