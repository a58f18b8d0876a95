//! The auditor's page and export.

use super::{Pager, html, query_string};
use crate::error::WebError;
use crate::extract::{Form, Need, ViewAudit};
use crate::layout::Layout;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use shiminhua_app::audit::{self, ACTIONS, Filter, Verdict};
use shiminhua_app::xlsx::{audit_workbook, local_time};
use std::collections::HashMap;

pub struct Row {
    pub id: i64,
    pub time: String,
    pub actor: String,
    pub role: String,
    pub action: &'static str,
    pub object: String,
    pub success: bool,
    pub client: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    layout: Layout,
    rows: Vec<Row>,
    pager: Pager,
    actions: &'static [(&'static str, &'static str)],
    f_from: String,
    f_to: String,
    f_user: String,
    f_action: String,
    f_object: String,
    f_object_id: String,
    people: Vec<(String, String)>,
    object_kinds: &'static [(&'static str, &'static str)],
    f_result: String,
    filter_error: Option<String>,
    query: String,
    verdict: Option<String>,
    verdict_class: &'static str,
}

/// A date typed by the user, as the start of that day in China Standard Time.
fn day_start(s: &str) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc() - Duration::hours(8))
}

fn parse_filter(q: &HashMap<String, String>) -> (Filter, Option<String>) {
    let mut err = None;
    let get = |k: &str| q.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut f = Filter {
        user: Some(get("user")),
        action: Some(get("action")),
        object_kind: Some(get("object")).filter(|k| audit::OBJECT_KINDS.iter().any(|(c, _)| c == k)),
        ..Filter::default()
    };
    for (key, to) in [("from", false), ("to", true)] {
        let v = get(key);
        if v.is_empty() {
            continue;
        }
        match day_start(&v) {
            Some(t) if to => f.to = Some(t + Duration::days(1)),
            Some(t) => f.from = Some(t),
            None => {
                err = Some(format!(
                    "日期“{}”格式不正确，应为“年-月-日”，如 2026-01-31",
                    v.chars().take(20).collect::<String>()
                ))
            }
        }
    }
    f.success = match get("result").as_str() {
        "ok" => Some(true),
        "fail" => Some(false),
        _ => None,
    };
    (f, err)
}

pub async fn list(n: Need<ViewAudit>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let (mut f, mut filter_error) = parse_filter(&q);
    let g = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    f.object_id = object_filter(&st.db, &f, &g("object_id"), &mut filter_error).await?;
    let query = query_string(&[
        ("from", &g("from")),
        ("to", &g("to")),
        ("user", &g("user")),
        ("action", &g("action")),
        ("result", &g("result")),
        ("object", &g("object")),
        ("object_id", &g("object_id")),
    ]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), 50, query.clone());
    let (rows, total) = audit::list(&st.db, &n.actor, &f, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let (verdict, verdict_class) = if q.contains_key("verify") {
        match audit::verify(&st.db).await? {
            Verdict::Intact { rows } => (
                Some(format!("校验通过：全部 {rows} 条记录的哈希链完整，未发现篡改或删除。")),
                "verify-ok",
            ),
            Verdict::Altered { id } => (
                Some(format!("校验未通过：第 {id} 条记录的内容已被修改。")),
                "verify-bad",
            ),
            Verdict::Missing { after, next } => (
                Some(format!(
                    "校验未通过：第 {after} 条记录之后的记录被删除或插入（下一条为第 {next} 条）。"
                )),
                "verify-bad",
            ),
            Verdict::Truncated { last, anchored } => (
                Some(format!(
                    "校验未通过：日志止于第 {last} 条，但锚点记载已写到第 {anchored} 条，末尾记录被删除。"
                )),
                "verify-bad",
            ),
            Verdict::Rewritten { id } => (
                Some(format!(
                    "校验未通过：第 {id} 条记录与锚点记载的链值不符，哈希链已被重新计算。"
                )),
                "verify-bad",
            ),
            Verdict::Unanchored => (
                Some("校验未通过：数据目录中缺少审计日志锚点文件。".into()),
                "verify-bad",
            ),
            Verdict::BadAnchor => (
                Some("校验未通过：审计日志锚点文件已损坏或被伪造。".into()),
                "verify-bad",
            ),
        }
    } else {
        (None, "")
    };
    let rows = rows_of(&st.db, rows).await?;
    Ok(html(&AuditTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "审计日志")
            .crumb("安全审计", "")
            .crumb("审计日志", ""),
        rows,
        pager,
        actions: ACTIONS,
        f_from: g("from"),
        f_to: g("to"),
        f_user: g("user"),
        f_action: g("action"),
        f_object: f.object_kind.clone().unwrap_or_default(),
        f_object_id: g("object_id"),
        people: audit::people(&st.db, &n.actor).await?,
        object_kinds: audit::OBJECT_KINDS,
        f_result: g("result"),
        filter_error,
        query,
        verdict,
        verdict_class,
    }))
}

pub async fn export(n: Need<ViewAudit>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let (mut f, _) = parse_filter(&q);
    let typed = q.get("object_id").map(|v| v.trim().to_string()).unwrap_or_default();
    f.object_id = object_filter(&st.db, &f, &typed, &mut None).await?;
    let now = st.clock.now();
    let rows = audit::export(&st.db, &n.actor, &n.ctx.origin, now, &f).await?;
    let bytes = audit_workbook(&rows)?;
    Ok(super::xlsx_download(
        bytes,
        &format!("审计日志-{}.xlsx", super::file_stamp(now)),
    ))
}

/// Records the workers an exact search by ID number or phone number found
/// (a search by name or a plain list shows masks only and is not a read of
/// one person's data). The number searched for is never recorded.
pub(crate) fn saw_search(
    reads: &audit::ReadQueue,
    call: &shiminhua_app::Call<'_>,
    q: &str,
    found: impl Iterator<Item = i64>,
) {
    let q = q.trim();
    let by = if shiminhua_core::id_number::IdNumber::parse(q).is_ok() {
        "按身份证号查找"
    } else if shiminhua_core::phone::Phone::parse(q).is_ok() {
        "按手机号查找"
    } else {
        return;
    };
    for id in found {
        reads.saw(call, audit::Event::ok("worker.search", "worker", id).detail(by));
    }
}

#[derive(Template)]
#[template(path = "audit_person.html")]
struct PersonTpl {
    layout: Layout,
    id_number: String,
    error: Option<String>,
    searched: bool,
    rows: Vec<Row>,
}

/// The id to filter by for what the auditor typed as the object (a case's
/// number, a user's name, an id). An object that does not exist filters
/// everything out, and says so.
async fn object_filter(
    db: &shiminhua_app::store::Db,
    f: &Filter,
    typed: &str,
    error: &mut Option<String>,
) -> Result<Option<String>, WebError> {
    if typed.is_empty() {
        return Ok(None);
    }
    let kind = f.object_kind.as_deref().unwrap_or("");
    match audit::object_id(db, kind, typed).await? {
        Some(id) => Ok(Some(id)),
        None => {
            let what = if kind == "case" { "案件编号" } else { "用户名" };
            *error = Some(format!(
                "没有{what}为“{}”的对象",
                typed.chars().take(40).collect::<String>()
            ));
            Ok(Some("-".into()))
        }
    }
}

/// The rows as shown: roles, objects and details in Chinese.
async fn rows_of(db: &shiminhua_app::store::Db, rows: Vec<audit::AuditRow>) -> Result<Vec<Row>, WebError> {
    let shown = audit::shown(db, &rows).await?;
    Ok(rows
        .into_iter()
        .zip(shown)
        .map(|(r, s)| Row {
            id: r.id,
            time: local_time(r.at),
            action: r.action_label(),
            object: s.object,
            success: r.success,
            actor: r.actor_name,
            role: s.role,
            client: r.client_addr,
            detail: s.detail,
        })
        .collect())
}

fn person_page(n: &Need<ViewAudit>) -> PersonTpl {
    PersonTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "个人信息查看记录")
            .crumb("安全审计", "")
            .crumb("审计日志", "/audit")
            .crumb("个人信息查看记录", ""),
        id_number: String::new(),
        error: None,
        searched: false,
        rows: Vec::new(),
    }
}

/// GET /audit/person — "who looked at this person": the form.
pub async fn person(n: Need<ViewAudit>) -> Result<Response, WebError> {
    Ok(html(&person_page(&n)))
}

/// POST /audit/person (id_number) — every audited read of the person with
/// this ID number (posted, so that the number stays out of addresses and
/// browser history).
pub async fn person_search(n: Need<ViewAudit>, form: Form) -> Result<Response, WebError> {
    let mut page = person_page(&n);
    let typed = form.get("id_number").trim().to_string();
    match shiminhua_core::id_number::IdNumber::parse(&typed) {
        Err(e) => {
            page.error = Some(e.to_string());
            page.id_number = typed.chars().take(18).collect();
        }
        Ok(id) => {
            let rows = audit::who_looked(&n.ctx.call(&n.actor), &id, 1000).await?;
            page.rows = rows_of(&n.ctx.state.db, rows).await?;
            page.searched = true;
            page.id_number = id.as_str().to_string();
        }
    }
    Ok(html(&page))
}
