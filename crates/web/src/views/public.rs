//! The public progress page (公开进度): the city's aggregate progress on the
//! plan's targets, no personal data and no county breakdown. Off unless
//! `[public] progress = true`; when off it answers 404 with the site's own
//! page saying so.

use super::indicators::shown;
use crate::error::{ErrorPage, WebError};
use crate::extract::Ctx;
use crate::layout::Layout;
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use shiminhua_app::plan::document;
use shiminhua_app::plan::indicators::{self, TargetBoard};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Row {
    /// `target@region`, naming the figure on the page.
    pub key: String,
    pub name: String,
    pub goal: String,
    pub actual: String,
    pub percent: String,
    pub expected: String,
    pub status: &'static str,
    pub css: &'static str,
    /// 0–100, for the bar.
    pub bar: u32,
    /// There is a figure (no bar is drawn without one).
    pub has_data: bool,
}

#[derive(Template)]
#[template(path = "public_progress.html")]
struct ProgressTpl {
    layout: Layout,
    title: String,
    issuer: String,
    as_of: String,
    elapsed: String,
    rows: Vec<Row>,
    period_over: Option<String>,
}

/// The page as rendered, for a few minutes: the public may reload it often
/// and it never changes by the second. (When rendered, the day, the plan's
/// version, the page.)
#[derive(Default)]
pub struct PageCache(Mutex<Option<(Instant, NaiveDate, i64, String)>>);
const CACHE_FOR: Duration = Duration::from_secs(300);

fn row(t: &TargetBoard) -> Row {
    let c = &t.city;
    let ratio = match (c.actual, c.goal) {
        (Some(a), Some(g)) if g > 0.0 => Some(a / g * 100.0),
        _ => None,
    };
    Row {
        key: format!("{}@{}", t.id, c.region.as_i64()),
        name: t.name.clone(),
        goal: shown(c.goal, &t.unit),
        actual: if c.actual.is_some() {
            shown(c.actual, &t.unit)
        } else {
            "暂无数据".into()
        },
        percent: ratio.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into()),
        expected: super::indicators::shown_due(c.expected, &t.unit),
        status: c.status.label_zh(),
        css: c.status.css(),
        bar: ratio.map(|r| r.clamp(0.0, 100.0) as u32).unwrap_or(0),
        has_data: c.actual.is_some(),
    }
}

pub async fn progress(ctx: Ctx) -> Result<Response, WebError> {
    let st = &ctx.state;
    if !st.config.public.progress {
        // The site's own page, saying why (rendered in the layout by the
        // session middleware).
        let mut resp = StatusCode::NOT_FOUND.into_response();
        resp.extensions_mut().insert(ErrorPage {
            status: StatusCode::NOT_FOUND,
            title: "目标进度未公开",
            message: "本系统未开放目标进度公开页面。如需了解目标进展，请联系工作专班办公室。".into(),
        });
        return Ok(resp);
    }
    let cur = document::current(&st.db).await?;
    let p = &cur.plan;
    let today = st.clock.today();
    let as_of = indicators::default_day(p, today);
    let cached = st.public_page.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let body = match cached {
        Some((at, day, version, body)) if at.elapsed() < CACHE_FOR && day == as_of && version == cur.version => body,
        _ => {
            let (share, targets) = indicators::board(&st.db, p, as_of).await?;
            // The page is shared by every visitor: nothing of the session.
            let mut layout = Layout::new(&ctx, None, "目标进度公开");
            layout.csrf = String::new();
            let t = ProgressTpl {
                layout,
                title: p.meta.title.clone(),
                issuer: p.meta.issuer.clone(),
                as_of: as_of.format("%Y年%-m月%-d日").to_string(),
                elapsed: format!("{:.1}%", share * 100.0),
                rows: targets.iter().map(row).collect(),
                period_over: (today > p.meta.end).then(|| {
                    format!(
                        "计划期已于{}结束，以下为计划期末的完成情况。",
                        p.meta.end.format("%Y年%-m月%-d日")
                    )
                }),
            };
            let body = t
                .render()
                .map_err(|e| shiminhua_app::AppError::Internal(format!("template: {e}")))?;
            *st.public_page.0.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((Instant::now(), as_of, cur.version, body.clone()));
            body
        }
    };
    // Not for shared caches: the session layer may add a cookie to this response.
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}
