//! Health, metrics, the stylesheet, and error pages.

use crate::AppState;
use crate::error::ErrorPage;
use crate::extract::Ctx;
use crate::layout::Layout;
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shiminhua_core::auth::Actor;

pub async fn healthz(State(state): State<AppState>) -> Response {
    let ok = match state.db.read().await {
        Ok(mut tx) => tx
            .int(shiminhua_app::store::Sql::new("SELECT COUNT(*) FROM schema_migrations"))
            .await
            .is_ok(),
        Err(_) => false,
    };
    if ok {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ok\n",
        )
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "数据库不可用\n",
        )
            .into_response()
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let p = state.db.pool_stats();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(p.size, p.idle),
    )
        .into_response()
}

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

pub async fn not_found() -> Response {
    crate::error::WebError(shiminhua_app::AppError::NotFound).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl<'a> {
    layout: Layout,
    status: u16,
    page_title: &'a str,
    message: &'a str,
}

/// Renders an error page inside the layout.
pub fn render_error(state: &AppState, ctx: Option<&Ctx>, page: &ErrorPage) -> Response {
    let layout = match ctx {
        Some(c) => Layout::new(c, c.actor().map(|a: &Actor| a), page.title),
        None => Layout {
            title: page.title.to_string(),
            demo: state.demo,
            ..Layout::default()
        },
    };
    let t = ErrorTpl {
        layout,
        status: page.status.as_u16(),
        page_title: page.title,
        message: &page.message,
    };
    let body = t.render().unwrap_or_else(|_| page.message.clone());
    (page.status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}
