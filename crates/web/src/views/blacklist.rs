//! Pages of the arrears blacklist.
//!
//! 失信名单 (拖欠农民工工资失信联合惩戒对象名单): the list with its search,
//! state and county filters, pages, a print view and the export; the form
//! of a listing decision; a listing's page with its steps, the cases of the
//! same employer, and the forms to remove it early or record its
//! revocation. Listing and removing belong to the roles that register
//! wage-arrears cases (see `shiminhua_app::rights::blacklist`).
//!
//! A listing that does not exist or lies outside the user's scope sends the
//! user back to the list with a notice, on its page and on the step forms
//! alike.

use super::fields::Input;
use super::{Pager, TempFile, file_stamp, html, parse_id, q_get, query_string, with_status};
use crate::error::WebError;
use crate::extract::{Form, Need, Perm, ViewDashboard, WriteBlacklist};
use crate::layout::Layout;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use shiminhua_app::rights::blacklist::{self, Listing, ListingFilter, NewListing};
use shiminhua_app::{AppError, FieldErrors};
use shiminhua_core::blacklist::{ListingInput, Reason, RemovalInput, State};
use shiminhua_core::division::DivisionCode;
use std::collections::HashMap;

/// Rows a page of the list shows, and the print view at most.
const PER_PAGE: i64 = 20;
const PRINT_ROWS: i64 = 1_000;

/// Where a missing listing sends the user.
const MISSING: &str = "/blacklist?done=missing";

fn today<P: Perm>(n: &Need<P>) -> NaiveDate {
    blacklist::local_date(n.ctx.state.clock.now())
}

fn zh_date(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// The colour of a state's mark.
fn state_css(s: State) -> &'static str {
    match s {
        State::Listed => "red",
        State::RemovedEarly => "green",
        State::Revoked => "amber",
        State::Expired | State::Pending => "grey",
    }
}

// ---------------------------------------------------------------------------
// The list, the print view and the export

/// The list's filters from the query string, and that query string again
/// (for page links, the print view and the export).
struct Filters {
    filter: ListingFilter,
    /// The state as chosen ("all" for every state).
    state: String,
    county: String,
    query: String,
}

fn filters_of(q: &HashMap<String, String>) -> Result<Filters, WebError> {
    let search: String = q_get(q, "q").chars().take(50).collect();
    let county = q_get(q, "county");
    let state = match q_get(q, "state").as_str() {
        "" => State::Listed.code().to_string(),
        s => s.to_string(),
    };
    let mut filter = ListingFilter {
        q: search.clone(),
        state: None,
        county: None,
    };
    if state != "all" {
        filter.state =
            Some(State::from_code(&state).ok_or_else(|| AppError::BadRequest("名单状态无效，请重新选择。".into()))?);
    }
    if !county.is_empty() {
        filter.county =
            Some(DivisionCode::parse(&county).map_err(|e| AppError::BadRequest(format!("区划代码无效：{e}")))?);
    }
    let query = query_string(&[("q", &search), ("state", &state), ("county", &county)]);
    Ok(Filters {
        filter,
        state,
        county,
        query,
    })
}

/// One row of the list.
pub struct ListRow {
    pub id: i64,
    pub employer_name: String,
    pub credit_code: String,
    pub persons: String,
    pub reason: &'static str,
    pub document_no: String,
    pub county: String,
    pub listed_on: String,
    pub removal_due: String,
    pub state: &'static str,
    pub css: &'static str,
    /// The date of an early removal or revocation ("" when none).
    pub removed_on: String,
}

fn list_row(r: &Listing, day: NaiveDate) -> ListRow {
    let s = r.state_on(day);
    ListRow {
        id: r.id,
        employer_name: r.employer_name.clone(),
        credit_code: r.credit_code.clone(),
        persons: r.responsible_persons.clone(),
        reason: r.reason_label(),
        document_no: r.document_no.clone(),
        county: r.county_name.clone(),
        listed_on: r.listed_on.to_string(),
        removal_due: r.removal_due.to_string(),
        state: s.label_zh(),
        css: state_css(s),
        removed_on: r.removed_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "blacklist.html")]
struct ListTpl {
    layout: Layout,
    q: String,
    state: String,
    states: Vec<(&'static str, &'static str)>,
    county: String,
    counties: Vec<(String, String)>,
    notice: Option<&'static str>,
    rows: Vec<ListRow>,
    pager: Pager,
    query: String,
    print: bool,
    /// The print view holds fewer rows than match.
    truncated: bool,
    today: String,
    can_write: bool,
}

/// GET /blacklist?q=…&state=…&county=…[&print=1]
pub async fn list(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let day = today(&n);
    let f = filters_of(&q)?;
    let print = q_get(&q, "print") == "1";
    let per_page = if print { PRINT_ROWS } else { PER_PAGE };
    let mut pager = Pager::new(q.get("page").map(String::as_str), per_page, f.query.clone());
    if print {
        pager.page = 1;
    }
    let (rows, total) = blacklist::list(&st.db, &n.actor, &f.filter, day, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let counties = blacklist::counties(&st.db, &n.actor, false)
        .await?
        .into_iter()
        .map(|(c, name)| (c.to_string(), name))
        .collect();
    let mut states = vec![("all", "全部")];
    states.extend(State::FILTERS.iter().map(|s| (s.code(), s.label_zh())));
    let notice = match q.get("done").map(String::as_str) {
        Some("missing") => Some("未找到该名单记录：记录不存在，或不在您的数据范围内。"),
        _ => None,
    };
    let title = if print {
        "拖欠农民工工资失信联合惩戒对象名单"
    } else {
        "失信联合惩戒名单"
    };
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), title)
            .crumb("欠薪治理", "")
            .crumb("失信名单", ""),
        q: f.filter.q.clone(),
        state: f.state,
        states,
        county: f.county,
        counties,
        notice,
        rows: rows.iter().map(|r| list_row(r, day)).collect(),
        truncated: print && total > PRINT_ROWS,
        pager,
        query: f.query,
        print,
        today: zh_date(day),
        can_write: blacklist::may_write(&n.actor),
    }))
}

/// GET /blacklist/export?… — the filtered list as a workbook (audited).
pub async fn export(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let f = filters_of(&q)?;
    let day = today(&n);
    let call = n.ctx.call(&n.actor);
    // Removed on every path: an error, or once the download has opened it.
    let file = TempFile(super::export_path(&n.ctx.state));
    blacklist::export(&call, &f.filter, day, &file.0).await?;
    let name = format!("失信联合惩戒名单-{}.xlsx", file_stamp(call.now));
    let response = super::xlsx_file_download(&file.0, &name).await;
    drop(file);
    response
}

// ---------------------------------------------------------------------------
// The listing form

#[derive(Template)]
#[template(path = "blacklist_form.html")]
struct FormTpl {
    layout: Layout,
    inputs: Vec<Input>,
    /// Errors not tied to a field.
    general: Vec<String>,
}

/// The form's fields: (key, label, required, help, placeholder).
const FIELDS: &[(&str, &str, bool, &str, &str)] = &[
    ("employer_name", "用人单位名称", true, "", ""),
    ("credit_code", "统一社会信用代码", true, "18位，按营业执照填写。", ""),
    (
        "responsible_persons",
        "责任人（法定代表人、主要负责人、直接责任人员）",
        false,
        "只填写姓名，多人用顿号分隔；不填写身份证号码等其他信息。",
        "如 张某某、李某",
    ),
    ("reason", "列入事由", true, "", ""),
    (
        "listed_on",
        "列入日期",
        true,
        "列入决定作出之日。名单管理期限3年，期满自动移出。",
        "2023-03-05",
    ),
    ("document_no", "列入决定书文号", true, "", "如 歙人社失信决〔2023〕1号"),
    ("authority", "作出决定的部门", true, "", "如 歙县人力资源和社会保障局"),
    ("county", "所属区县", true, "只能选择您数据范围内的区县。", ""),
    ("amount_owed", "拖欠工资金额（元）", false, "", "如 86400"),
    ("workers", "涉及农民工人数", false, "", ""),
    (
        "case_number",
        "关联欠薪案件编号",
        false,
        "由欠薪案件列入的，填写案件编号，如 HS2023-000001。",
        "",
    ),
];

async fn form_page(
    n: &Need<WriteBlacklist>,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
) -> Result<FormTpl, WebError> {
    let counties: Vec<(String, String)> = blacklist::counties(&n.ctx.state.db, &n.actor, true)
        .await?
        .into_iter()
        .map(|(c, name)| (c.to_string(), name))
        .collect();
    let reasons: Vec<(String, String)> = Reason::ALL
        .iter()
        .map(|r| (r.code().to_string(), r.label_zh().to_string()))
        .collect();
    let inputs = FIELDS
        .iter()
        .map(|&(key, label, required, help, placeholder)| {
            let value = values.get(key).cloned().unwrap_or_default();
            let mut options = match key {
                "reason" => reasons.clone(),
                "county" => counties.clone(),
                _ => Vec::new(),
            };
            // A value typed elsewhere stays visible.
            if !options.is_empty() && !value.is_empty() && !options.iter().any(|o| o.0 == value) {
                options.push((value.clone(), value.clone()));
            }
            Input {
                key,
                label,
                required,
                help: help.to_string(),
                placeholder,
                inputmode: match key {
                    "amount_owed" => "decimal",
                    "workers" => "numeric",
                    _ => "",
                },
                options,
                value,
                error: errors.get(key).map(str::to_string),
            }
        })
        .collect();
    let general = errors
        .0
        .iter()
        .filter(|(k, _)| !FIELDS.iter().any(|f| f.0 == k))
        .map(|(_, m)| m.clone())
        .collect();
    Ok(FormTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "列入失信联合惩戒名单")
            .crumb("欠薪治理", "")
            .crumb("失信名单", "/blacklist")
            .crumb("列入名单", ""),
        inputs,
        general,
    })
}

/// GET /blacklist/new
pub async fn new_page(n: Need<WriteBlacklist>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    // A case page may link here with the employer filled in.
    let values: HashMap<String, String> = ["employer_name", "credit_code", "case_number"]
        .iter()
        .map(|k| (k.to_string(), q_get(&q, k)))
        .collect();
    Ok(html(&form_page(&n, &values, &FieldErrors::default()).await?))
}

/// POST /blacklist/new
pub async fn create(n: Need<WriteBlacklist>, form: Form) -> Result<Response, WebError> {
    let get = |k: &str| form.get(k).to_string();
    let new = NewListing {
        input: ListingInput {
            employer_name: get("employer_name"),
            credit_code: get("credit_code"),
            responsible_persons: get("responsible_persons"),
            reason: get("reason"),
            listed_on: get("listed_on"),
            document_no: get("document_no"),
            authority: get("authority"),
            amount_owed: get("amount_owed"),
            workers: get("workers"),
        },
        county: get("county"),
        case_number: get("case_number"),
    };
    match blacklist::add(&n.ctx.call(&n.actor), &new).await {
        Ok(id) => Ok(Redirect::to(&format!("/blacklist/{id}?done=added")).into_response()),
        Err(AppError::Validation(e)) => {
            let values: HashMap<String, String> = FIELDS.iter().map(|f| (f.0.to_string(), get(f.0))).collect();
            let page = form_page(&n, &values, &e).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// A listing's page and its steps

/// A step form as typed (to show it again) with its errors.
#[derive(Default)]
struct StepForm {
    on: String,
    paid_in_full: bool,
    commitment: bool,
    note: String,
    errors: HashMap<String, String>,
    /// A refusal not tied to a field (state, stale version).
    message: Option<String>,
}

impl StepForm {
    fn error(&self, key: &str) -> String {
        self.errors.get(key).cloned().unwrap_or_default()
    }
}

/// One step of the listing's history, as shown.
pub struct EventRow {
    pub action: &'static str,
    pub on: String,
    pub by: String,
    pub at: String,
    pub note: String,
}

/// One case of the same employer, as shown.
pub struct CaseRow {
    pub id: i64,
    pub number: String,
    pub status: &'static str,
    pub received_on: String,
    pub employer_name: String,
    pub region: String,
    pub workers: i64,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "blacklist_show.html")]
struct ShowTpl {
    layout: Layout,
    notice: Option<&'static str>,
    r: Listing,
    state: &'static str,
    css: &'static str,
    listed_on: String,
    removal_due: String,
    early_from: String,
    removed_on: String,
    amount: String,
    events: Vec<EventRow>,
    /// Whether the user reads cases at all (the section is left out otherwise).
    show_cases: bool,
    cases: Vec<CaseRow>,
    /// Whether a case's page exists to link to.
    case_links: bool,
    can_remove: bool,
    can_revoke: bool,
    remove: StepForm,
    revoke: StepForm,
    today: String,
}

/// Which step form was submitted, if any, with what it holds.
enum Submitted {
    None,
    Remove(StepForm),
    Revoke(StepForm),
}

async fn show_page<P: Perm>(
    n: &Need<P>,
    id: i64,
    notice: Option<&'static str>,
    submitted: Submitted,
) -> Result<Result<ShowTpl, Response>, WebError> {
    let st = &n.ctx.state;
    let day = today(n);
    let (r, events) = match blacklist::get(&st.db, &n.actor, id).await {
        Ok(v) => v,
        Err(AppError::NotFound) => return Ok(Err(Redirect::to(MISSING).into_response())),
        Err(e) => return Err(e.into()),
    };
    let cases = blacklist::related_cases(&st.db, &n.actor, &r.credit_code).await?;
    let s = r.state_on(day);
    let writable = blacklist::may_write(&n.actor)
        && DivisionCode::from_i64(r.county_code)
            .is_ok_and(|c| n.actor.scope.allows(shiminhua_core::auth::RecordKind::WageCase, c));
    let fresh = || StepForm {
        on: day.to_string(),
        ..StepForm::default()
    };
    let (remove, revoke) = match submitted {
        Submitted::None => (fresh(), fresh()),
        Submitted::Remove(f) => (f, fresh()),
        Submitted::Revoke(f) => (fresh(), f),
    };
    let show_cases =
        n.actor.can(shiminhua_core::auth::Permission::ReadPii) && shiminhua_core::case::may_read(&n.actor.roles);
    let case_links = crate::ROUTES.iter().any(|(m, p)| *m == "get" && *p == "/cases/{id}");
    Ok(Ok(ShowTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), r.employer_name.clone())
            .crumb("欠薪治理", "")
            .crumb("失信名单", "/blacklist")
            .crumb(r.employer_name.clone(), ""),
        notice,
        state: s.label_zh(),
        css: state_css(s),
        listed_on: zh_date(r.listed_on),
        removal_due: zh_date(r.removal_due),
        early_from: zh_date(r.early_from()),
        removed_on: r.removed_on.map(zh_date).unwrap_or_default(),
        amount: r.amount_owed().map(|a| format!("{a}元")).unwrap_or_default(),
        events: events
            .iter()
            .map(|e| EventRow {
                action: e.action_label(),
                on: zh_date(e.on_date),
                by: e.actor_name.clone(),
                at: shiminhua_app::xlsx::local_time(e.at),
                note: e.note.clone(),
            })
            .collect(),
        show_cases,
        cases: cases
            .iter()
            .map(|c| CaseRow {
                id: c.id,
                number: c.number.clone(),
                status: c.status_label(),
                received_on: c.received_on.to_string(),
                employer_name: c.employer_name.clone(),
                region: c.region_name.clone(),
                workers: c.workers,
                amount: c.amount_claimed().to_string(),
            })
            .collect(),
        case_links,
        can_remove: writable && s == State::Listed,
        can_revoke: writable && r.removal_kind.is_none(),
        remove,
        revoke,
        today: day.to_string(),
        r,
    }))
}

/// GET /blacklist/{id}
pub async fn show(
    n: Need<ViewDashboard>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let Ok(id) = parse_id(&id) else {
        return Ok(Redirect::to(MISSING).into_response());
    };
    let notice = match q.get("done").map(String::as_str) {
        Some("added") => Some("已列入失信联合惩戒名单。"),
        Some("removed") => Some("已提前移出名单。"),
        Some("revoked") => Some("已登记撤销列入决定。"),
        _ => None,
    };
    Ok(match show_page(&n, id, notice, Submitted::None).await? {
        Ok(page) => html(&page),
        Err(redirect) => redirect,
    })
}

/// The step form as submitted.
fn step_form(form: &Form) -> (i64, RemovalInput, StepForm) {
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let checked = |k: &str| !form.get(k).is_empty();
    let input = RemovalInput {
        on: form.get("on").to_string(),
        paid_in_full: checked("paid_in_full"),
        commitment: checked("commitment"),
        note: form.get("note").to_string(),
    };
    let shown = StepForm {
        on: input.on.clone(),
        paid_in_full: input.paid_in_full,
        commitment: input.commitment,
        note: input.note.clone(),
        ..StepForm::default()
    };
    (version, input, shown)
}

async fn step(n: Need<WriteBlacklist>, id: String, form: Form, revoke: bool) -> Result<Response, WebError> {
    let Ok(id) = parse_id(&id) else {
        return Ok(Redirect::to(MISSING).into_response());
    };
    let (version, input, mut shown) = step_form(&form);
    let call = n.ctx.call(&n.actor);
    let done = if revoke {
        blacklist::revoke(&call, id, version, &input).await
    } else {
        blacklist::remove_early(&call, id, version, &input).await
    };
    let status = match done {
        Ok(()) => {
            let done = if revoke { "revoked" } else { "removed" };
            return Ok(Redirect::to(&format!("/blacklist/{id}?done={done}")).into_response());
        }
        Err(AppError::NotFound) => return Ok(Redirect::to(MISSING).into_response()),
        Err(AppError::Validation(e)) => {
            shown.errors = e.0.into_iter().collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(AppError::Conflict(m)) => {
            shown.message = Some(m);
            StatusCode::CONFLICT
        }
        Err(e) => return Err(e.into()),
    };
    let submitted = if revoke {
        Submitted::Revoke(shown)
    } else {
        Submitted::Remove(shown)
    };
    Ok(match show_page(&n, id, None, submitted).await? {
        Ok(page) => with_status(html(&page), status),
        Err(redirect) => redirect,
    })
}

/// POST /blacklist/{id}/remove — early removal.
pub async fn remove(n: Need<WriteBlacklist>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    step(n, id, form, false).await
}

/// POST /blacklist/{id}/revoke — the listing decision was revoked.
pub async fn revoke(n: Need<WriteBlacklist>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    step(n, id, form, true).await
}
