//! Health, metrics, the stylesheet, and the page of an unknown address.

use crate::AppState;
use crate::extract::constant_eq;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn healthz(State(state): State<AppState>) -> Response {
    if state.db.ping().await.is_ok() {
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

/// `/metrics` on the main address: only with `[metrics] token` (and no
/// listen address of its own), to a request that carries it.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let m = &state.config.metrics;
    match (&m.token, &m.listen) {
        (Some(token), None) => metrics_with_token(&state, token, &headers),
        _ => not_found().await,
    }
}

/// `/metrics` on its own listen address.
pub async fn metrics_own(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match &state.config.metrics.token {
        Some(token) => metrics_with_token(&state, token, &headers),
        None => render_metrics(&state),
    }
}

/// 404 without the layout (the metrics address has no pages).
pub async fn plain_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "页面不存在\n",
    )
        .into_response()
}

fn metrics_with_token(state: &AppState, token: &str, headers: &HeaderMap) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    if constant_eq(given.as_bytes(), token.as_bytes()) {
        render_metrics(state)
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::WWW_AUTHENTICATE, "Bearer"),
            ],
            "需要有效的访问令牌\n",
        )
            .into_response()
    }
}

fn render_metrics(state: &AppState) -> Response {
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
