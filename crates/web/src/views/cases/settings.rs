//! The office's settings: conclusion categories and the platform clues'
//! time limit.

use super::layout;
use crate::error::WebError;
use crate::extract::{CaseSettings, Form, Need};
use crate::layout::Layout;
use crate::views::{html, with_status};
use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::FieldErrors;
use shiminhua_app::rights::cases;
use shiminhua_core::case::{self as rules};
use std::collections::HashMap;

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
