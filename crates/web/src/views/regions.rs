//! Regions: the tree, one region, and the village import.

use super::html;
use crate::error::WebError;
use crate::extract::{ManageSystem, Need, ViewRegions};
use crate::layout::Layout;
use askama::Template;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::Response;
use shiminhua_app::AppError;
use shiminhua_app::regions::{self, ImportError, RegionRow};
use shiminhua_core::auth::Permission;
use shiminhua_core::division::DivisionCode;

#[derive(Template)]
#[template(path = "regions.html")]
struct TreeTpl {
    layout: Layout,
    rows: Vec<RegionRow>,
    scope_note: String,
}

pub async fn tree(n: Need<ViewRegions>) -> Result<Response, WebError> {
    let rows = regions::tree(&n.ctx.state.db, &n.actor, 5).await?;
    let scope_note = if n.actor.can(Permission::ManageSystem) {
        "全部区划".to_string()
    } else {
        let names: Vec<String> = n.actor.scope.grants().iter().map(|g| g.region.to_string()).collect();
        format!("您的数据范围：{}", names.join("、"))
    };
    Ok(html(&TreeTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "行政区划")
            .crumb("基础信息", "")
            .crumb("行政区划", ""),
        rows,
        scope_note,
    }))
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionTpl {
    layout: Layout,
    region: RegionRow,
    children: Vec<RegionRow>,
}

pub async fn detail(n: Need<ViewRegions>, Path(code): Path<String>) -> Result<Response, WebError> {
    let code = DivisionCode::parse(&code).map_err(|e| {
        AppError::BadRequest(format!(
            "区划代码“{}”无效：{e}",
            code.chars().take(20).collect::<String>()
        ))
    })?;
    let (region, children, ancestors) = regions::get(&n.ctx.state.db, &n.actor, code).await?;
    let mut layout = Layout::new(&n.ctx, Some(&n.actor), region.name.clone()).crumb("行政区划", "/regions");
    for a in &ancestors {
        layout = layout.crumb(a.name.clone(), format!("/regions/{}", a.display_code()));
    }
    layout = layout.crumb(region.name.clone(), "");
    Ok(html(&RegionTpl {
        layout,
        region,
        children,
    }))
}

#[derive(Template)]
#[template(path = "regions_import.html")]
struct ImportTpl {
    layout: Layout,
    notice: Option<String>,
    errors: Vec<ImportError>,
}

fn import_layout(n: &Need<ManageSystem>) -> Layout {
    Layout::new(&n.ctx, Some(&n.actor), "导入村（社区）")
        .crumb("系统管理", "")
        .crumb("区划导入", "")
}

pub async fn import_page(n: Need<ManageSystem>) -> Response {
    html(&ImportTpl {
        layout: import_layout(&n),
        notice: None,
        errors: Vec::new(),
    })
}

const MAX_IMPORT: usize = 5 * 1024 * 1024;

pub async fn import_submit(n: Need<ManageSystem>, mut mp: Multipart) -> Result<Response, WebError> {
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    let bad = |m: &str| WebError(AppError::BadRequest(m.to_string()));
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| bad("上传的内容格式不正确，请重新选择文件。"))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let bytes = field.bytes().await.map_err(|_| bad("文件读取失败，请重新上传。"))?;
                if bytes.len() > MAX_IMPORT {
                    return Err(bad("文件超过5MB，请拆分后分批导入。"));
                }
                file = Some(bytes.to_vec());
            }
            _ => {}
        }
    }
    n.ctx.check_csrf(&csrf)?;
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return Err(bad("请选择要导入的 CSV 文件。"));
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(bad(
            "文件不是 UTF-8 编码。请在 Excel 中“另存为”选择“CSV UTF-8（逗号分隔）”后重新上传。",
        ));
    };
    let st = &n.ctx.state;
    match regions::import_villages(&st.db, &n.actor, &n.ctx.origin, st.clock.now(), &text).await {
        Ok(count) => Ok(html(&ImportTpl {
            layout: import_layout(&n),
            notice: Some(format!("已导入 {count} 个村（社区）。")),
            errors: Vec::new(),
        })),
        Err((errors, None)) => {
            let mut resp = html(&ImportTpl {
                layout: import_layout(&n),
                notice: None,
                errors,
            });
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err((_, Some(e))) => Err(e.into()),
    }
}
