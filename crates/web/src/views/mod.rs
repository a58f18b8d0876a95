//! Page handlers. Each parses its input, calls one use case in `app` and
//! renders a template or redirects. No SQL here.

pub mod account;
pub mod api;
pub mod audit;
pub mod auth;
pub mod blacklist;
pub mod calendar;
pub mod case_stats;
pub mod cases;
pub mod evaluation;
pub mod facilities;
pub mod fields;
pub mod grants;
pub mod home;
pub mod imports;
pub mod indicators;
pub mod jobs;
pub mod monitor;
pub mod ops;
pub mod plan;
pub mod public;
pub mod public_cases;
pub mod public_jobs;
pub mod public_seekers;
pub mod records;
pub mod regions;
pub mod reports;
pub mod units;
pub mod users;
pub mod workers;

use crate::error::WebError;
use crate::extract::Ctx;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_app::AppError;
use shiminhua_core::auth::Actor;
use std::collections::HashMap;

/// Renders a template into an HTML response.
pub fn html<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => WebError(AppError::Internal(format!("template: {e}"))).into_response(),
    }
}

/// The same response with another status (a form shown again with its
/// errors, say).
pub fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}

/// A record id from the path: a positive integer, or the record is not found.
pub fn parse_id(s: &str) -> Result<i64, WebError> {
    s.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or(WebError(AppError::NotFound))
}

/// A query parameter, trimmed ("" when absent).
pub fn q_get(q: &HashMap<String, String>, k: &str) -> String {
    q.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// A date as shown on the pages: 2024年3月5日.
pub fn date_zh(d: NaiveDate) -> String {
    shiminhua_app::plan::reports::date_zh(d)
}

/// The local (UTC+8) minute of an instant, for the names of exported files:
/// 202403051430.
pub fn file_stamp(t: DateTime<Utc>) -> String {
    (t + chrono::Duration::hours(8)).format("%Y%m%d%H%M").to_string()
}

/// Townships and villages the actor may choose, labelled with their county.
pub async fn region_options(ctx: &Ctx, actor: &Actor, min_level: i16) -> Result<Vec<(String, String)>, WebError> {
    let rows = shiminhua_app::regions::tree(&ctx.state.db, actor, 5).await?;
    let names: HashMap<i64, String> = rows.iter().map(|r| (r.code, r.name.clone())).collect();
    Ok(rows
        .iter()
        .filter(|r| r.level >= min_level)
        .map(|r| {
            let county = r
                .division()
                .and_then(|d| d.county())
                .and_then(|c| names.get(&c.as_i64()).cloned())
                .unwrap_or_default();
            let label = if r.level <= 3 {
                r.name.clone()
            } else {
                format!("{county} {}", r.name)
            };
            (r.display_code(), label)
        })
        .collect())
}

/// Page numbers for lists.
#[derive(Clone, Debug)]
pub struct Pager {
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// The query string without `page`, for the links.
    pub base: String,
    /// Totals above this were not counted exactly (see `registry::COUNT_CAP`).
    pub cap: i64,
}

impl Pager {
    pub fn new(page: Option<&str>, per_page: i64, base: String) -> Pager {
        let page = page
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1 && *p < 1_000_000)
            .unwrap_or(1);
        Pager {
            page,
            per_page,
            total: 0,
            base,
            cap: i64::MAX,
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    /// The total as shown: exact, or "10000 以上" past the cap.
    pub fn total_label(&self) -> String {
        if self.total > self.cap {
            format!("{} 以上", self.cap)
        } else {
            self.total.to_string()
        }
    }

    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }

    /// (label, href, is current)
    pub fn links(&self) -> Vec<(String, String, bool)> {
        let last = self.pages();
        if last <= 1 {
            return Vec::new();
        }
        let href = |p: i64| {
            if self.base.is_empty() {
                format!("?page={p}")
            } else {
                format!("?{}&page={p}", self.base)
            }
        };
        let mut out = Vec::new();
        if self.page > 1 {
            out.push(("上一页".to_string(), href(self.page - 1), false));
        }
        let lo = (self.page - 3).max(1);
        let hi = (self.page + 3).min(last);
        for p in lo..=hi {
            out.push((p.to_string(), href(p), p == self.page));
        }
        if self.page < last {
            out.push(("下一页".to_string(), href(self.page + 1), false));
        }
        out
    }
}

/// Encodes query pairs (skipping empty values).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// An xlsx file to download, named in Chinese (RFC 5987) with an ASCII fallback.
pub fn xlsx_download(bytes: Vec<u8>, name: &str) -> Response {
    (xlsx_headers(name), bytes).into_response()
}

/// A workbook written to a temporary file, sent in chunks (constant memory)
/// and removed: the file is unlinked once open, so it goes away whatever
/// happens to the download.
pub async fn xlsx_file_download(path: &std::path::Path, name: &str) -> Result<Response, WebError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| AppError::Internal(format!("export file: {e}")))?;
    let _ = tokio::fs::remove_file(path).await;
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    Ok((xlsx_headers(name), axum::body::Body::from_stream(chunks)).into_response())
}

/// A unique path for a temporary export file, in the data directory's
/// staging folder (mode 0700), created empty and readable by the owner only
/// (a writer that recreates it keeps the mode). Removed once downloaded, or
/// by the staging sweep within an hour.
pub fn export_path(state: &crate::AppState) -> std::path::PathBuf {
    use shiminhua_app::staging;
    let dir = staging::dir(&state.config.data_dir);
    let path = staging::unique_path(&dir, "export", "xlsx");
    if let Err(e) = staging::ensure(&state.config.data_dir).and_then(|_| staging::create_file(&path)) {
        // The writer reports the failure to the user when it cannot create the file.
        tracing::warn!(error = %e, "staging folder");
    }
    path
}

/// Percent-encodes every byte but ASCII letters, digits and `-_.` (for
/// query values and RFC 5987 file names).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn xlsx_headers(name: &str) -> [(axum::http::HeaderName, String); 2] {
    let encoded = percent_encode(name);
    [
        (
            axum::http::header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
        ),
        (
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}"),
        ),
    ]
}

/// A file removed when dropped (an export's temporary workbook).
pub(super) struct TempFile(pub(super) std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
