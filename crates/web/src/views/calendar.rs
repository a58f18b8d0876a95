//! The holiday calendar (系统管理 › 节假日安排): the years loaded, each
//! year's days off and make-up working days, and loading a new year's table.

use super::html;
use crate::error::WebError;
use crate::extract::{ManageSystem, Need};
use crate::layout::Layout;
use askama::Template;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use shiminhua_app::calendar::{self, HolidayRow, MAX_CSV};
use shiminhua_app::rights::holidays;
use shiminhua_app::{AppError, FieldErrors};

/// One arrangement year as shown.
pub struct YearView {
    pub year: i32,
    pub holidays: usize,
    pub workdays: usize,
    pub loaded: String,
    pub rows: Vec<HolidayRow>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct PageTpl {
    layout: Layout,
    years: Vec<YearView>,
    notice: Option<String>,
    errors: Vec<String>,
    csv: String,
    /// The header row of the upload format (Chinese).
    header: String,
}

async fn render(
    n: &Need<ManageSystem>,
    notice: Option<String>,
    errors: Vec<String>,
    csv: String,
) -> Result<Response, WebError> {
    let rows = calendar::list(&n.ctx.state.db).await?;
    let mut years: Vec<YearView> = Vec::new();
    for r in rows {
        let y = match years.iter_mut().find(|y| y.year == r.arrangement_year) {
            Some(y) => y,
            None => {
                years.push(YearView {
                    year: r.arrangement_year,
                    holidays: 0,
                    workdays: 0,
                    loaded: format!(
                        "{}（{}）",
                        (r.loaded_at + Duration::hours(8)).format("%Y-%m-%d %H:%M"),
                        r.loaded_by
                    ),
                    rows: Vec::new(),
                });
                years
                    .last_mut()
                    .ok_or_else(|| AppError::Internal("calendar years".into()))?
            }
        };
        if r.is_holiday() {
            y.holidays += 1;
        } else {
            y.workdays += 1;
        }
        y.rows.push(r);
    }
    years.sort_by_key(|y| y.year);
    Ok(html(&PageTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "节假日安排")
            .crumb("系统管理", "")
            .crumb("节假日安排", ""),
        years,
        notice,
        errors,
        csv,
        header: shiminhua_core::calendar::header_zh(),
    }))
}

pub async fn page(n: Need<ManageSystem>) -> Result<Response, WebError> {
    render(&n, None, Vec::new(), String::new()).await
}

pub async fn load(n: Need<ManageSystem>, mut mp: Multipart) -> Result<Response, WebError> {
    let mut csrf = String::new();
    let mut pasted = String::new();
    let mut file: Option<Vec<u8>> = None;
    let bad = |m: &str| WebError(AppError::BadRequest(m.to_string()));
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| bad("提交的内容格式不正确，请返回重新上传或粘贴。"))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("csv") => {
                pasted = field.text().await.map_err(|_| bad("粘贴的内容读取失败，请重试。"))?;
            }
            Some("file") => {
                let bytes = field.bytes().await.map_err(|_| bad("文件读取失败，请重新上传。"))?;
                if bytes.len() > MAX_CSV {
                    return Err(bad("文件超过1MB，请检查是否选错了文件。"));
                }
                file = Some(bytes.to_vec());
            }
            _ => {}
        }
    }
    n.ctx.check_csrf(&csrf)?;
    let text = match file.filter(|b| !b.is_empty()) {
        Some(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                let msg = "文件不是 UTF-8 编码。请在 Excel 中“另存为”选择“CSV UTF-8（逗号分隔）”后重新上传。";
                return refused(&n, vec![msg.into()], pasted).await;
            }
        },
        None => pasted.clone(),
    };
    match holidays::load_year(&n.ctx.call(&n.actor), &text).await {
        Ok(l) => render(&n, Some(l.notice()), Vec::new(), String::new()).await,
        Err(AppError::Validation(FieldErrors(errs))) => {
            refused(&n, errs.into_iter().map(|(_, m)| m).collect(), pasted).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused(n: &Need<ManageSystem>, errors: Vec<String>, csv: String) -> Result<Response, WebError> {
    let mut r = render(n, None, errors, csv).await?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}
