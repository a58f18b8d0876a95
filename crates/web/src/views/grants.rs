//! Grants of access to personal data waiting for a second person
//! (系统管理 › 授权审批).

use super::html;
use crate::error::WebError;
use crate::extract::{ApproveGrants, Form, Need};
use crate::layout::Layout;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::AppError;
use shiminhua_app::users;
use shiminhua_core::auth::Grant;
use std::collections::HashMap;

pub struct Row {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit: String,
    pub current: String,
    pub requested: String,
    pub requester: String,
    pub requested_at: String,
    /// The signed-in approver asked for it or is the account concerned.
    pub own: bool,
}

#[derive(Template)]
#[template(path = "grants.html")]
struct ListTpl {
    layout: Layout,
    rows: Vec<Row>,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// "角色；区划：类别" for display.
pub fn access_label(roles: &shiminhua_core::auth::RoleSet, grants: &[Grant]) -> String {
    let roles = if roles.is_empty() {
        "（无角色）".to_string()
    } else {
        roles.label_zh()
    };
    let scopes: Vec<String> = grants
        .iter()
        .map(|g| format!("{}：{}", g.region, g.kinds.label_zh()))
        .collect();
    if scopes.is_empty() {
        roles
    } else {
        format!("{roles}；{}", scopes.join("；"))
    }
}

async fn render(
    n: &Need<ApproveGrants>,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ListTpl, WebError> {
    let st = &n.ctx.state;
    let rows = users::pending_grants(&st.db, &n.actor)
        .await?
        .into_iter()
        .map(|p| Row {
            id: p.id,
            own: p.user_id == n.actor.user_id || p.requested_by == Some(n.actor.user_id),
            username: p.username,
            display_name: p.display_name,
            unit: p.unit_name.unwrap_or_default(),
            current: access_label(&p.current_roles, &p.current_grants),
            requested: access_label(&p.roles, &p.grants),
            requester: p.requester_name,
            requested_at: p
                .requested_at
                .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        })
        .collect();
    Ok(ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "授权审批")
            .crumb("系统管理", "")
            .crumb("授权审批", ""),
        rows,
        notice,
        error,
    })
}

pub async fn list(n: Need<ApproveGrants>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let notice = match q.get("done").map(String::as_str) {
        Some("approved") => Some("已批准，该账户的角色和数据范围已生效。"),
        Some("rejected") => Some("已驳回，该账户保持原有权限。"),
        Some("gone") => Some("该授权申请不存在或已处理。"),
        _ => None,
    };
    Ok(html(&render(&n, notice, None).await?))
}

async fn decide(n: Need<ApproveGrants>, id: String, approve: bool) -> Result<Response, WebError> {
    let Ok(id) = super::parse_id(&id) else {
        return Ok(Redirect::to("/grants?done=gone").into_response());
    };
    let st = &n.ctx.state;
    match users::decide_grant(&st.db, &n.actor, &n.ctx.origin, st.clock.now(), id, approve).await {
        Ok(()) => {
            let done = if approve { "approved" } else { "rejected" };
            Ok(Redirect::to(&format!("/grants?done={done}")).into_response())
        }
        // Decided meanwhile (or a stale page): back to the list, which says so.
        Err(AppError::NotFound) => Ok(Redirect::to("/grants?done=gone").into_response()),
        Err(AppError::Conflict(msg)) => {
            let t = render(&n, None, Some(msg)).await?;
            let mut r = html(&t);
            *r.status_mut() = StatusCode::CONFLICT;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn approve(n: Need<ApproveGrants>, Path(id): Path<String>, _form: Form) -> Result<Response, WebError> {
    decide(n, id, true).await
}

pub async fn reject(n: Need<ApproveGrants>, Path(id): Path<String>, _form: Form) -> Result<Response, WebError> {
    decide(n, id, false).await
}
