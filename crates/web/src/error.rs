//! Errors as pages. A handler returns `WebError`; its response carries an
//! [`ErrorPage`] marker that the session middleware renders inside the layout
//! (so that error pages, too, show the user and the demo banner).

use crate::AppState;
use crate::extract::Ctx;
use crate::layout::Layout;
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shiminhua_app::AppError;

#[derive(Debug)]
pub struct WebError(pub AppError);

/// The page to render for an error response.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        WebError(e)
    }
}

impl WebError {
    pub fn page(&self) -> ErrorPage {
        let (status, title) = match &self.0 {
            AppError::NotFound => (StatusCode::NOT_FOUND, "页面不存在"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "没有访问权限"),
            AppError::Validation(_) => (StatusCode::BAD_REQUEST, "填写的内容有误"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "操作未完成"),
            AppError::Auth(_) => (StatusCode::FORBIDDEN, "请求未通过校验"),
            AppError::Config(_) | AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "操作未完成"),
            AppError::Db(_) | AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "系统暂时出现问题"),
        };
        ErrorPage {
            status,
            title,
            message: self.0.to_string(),
        }
    }

    /// Renders the page directly (when the middleware chain is not available).
    pub fn into_page(self, state: &AppState) -> Response {
        let page = self.page();
        render_error(state, None, &page)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self.0 {
            AppError::Db(e) => tracing::error!(error = %e, "database error"),
            AppError::Internal(e) => tracing::error!(error = %e, "internal error"),
            _ => {}
        }
        let page = self.page();
        let mut resp = page.status.into_response();
        resp.extensions_mut().insert(page);
        resp
    }
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
        Some(c) => Layout::new(c, c.actor(), page.title),
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
