//! Units and the task force.

use super::html;
use crate::error::WebError;
use crate::extract::{Need, ViewUnits};
use crate::layout::Layout;
use askama::Template;
use axum::response::Response;
use shiminhua_app::units::{self, MemberRow, UnitRow};

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsTpl {
    layout: Layout,
    rows: Vec<UnitRow>,
}

pub async fn list(n: Need<ViewUnits>) -> Result<Response, WebError> {
    let mut rows = units::list(&n.ctx.state.db, &n.actor).await?;
    let counties = shiminhua_app::regions::CountyNames::load(&n.ctx.state.db).await?;
    for u in &mut rows {
        u.region_name = counties.full(u.region_code, &u.region_name);
    }
    Ok(html(&UnitsTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "责任单位")
            .crumb("基础信息", "")
            .crumb("责任单位", ""),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "taskforce.html")]
struct TaskforceTpl {
    layout: Layout,
    rows: Vec<MemberRow>,
}

pub async fn taskforce(n: Need<ViewUnits>) -> Result<Response, WebError> {
    let rows = units::taskforce(&n.ctx.state.db, &n.actor).await?;
    Ok(html(&TaskforceTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "工作专班")
            .crumb("基础信息", "")
            .crumb("工作专班", ""),
        rows,
    }))
}
