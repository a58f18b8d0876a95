//! The block of the workbench: what the user's unit owes.

use crate::error::WebError;
use crate::extract::Ctx;
use crate::views::date_zh;
use shiminhua_app::plan::reports;
use shiminhua_app::xlsx::local_time;
use shiminhua_core::auth::Actor;

/// One thing the user's unit owes, for the workbench.
pub struct OwedLine {
    pub period: String,
    pub period_code: String,
    pub due: String,
    pub overdue: bool,
    pub near_due: bool,
    pub status: &'static str,
    pub report_id: i64,
    pub comment: String,
    pub urges: Vec<String>,
}

/// What the actor's unit owes as of today (empty without a unit).
pub async fn owed_lines(n_ctx: &Ctx, actor: &Actor) -> Result<Vec<OwedLine>, WebError> {
    let st = &n_ctx.state;
    let owed = reports::owed(&st.db, actor, st.clock.today()).await?;
    Ok(owed
        .into_iter()
        .map(|o| OwedLine {
            period: o.period.label.clone(),
            period_code: o.period.code.clone(),
            due: match &o.due {
                Ok(d) => date_zh(*d),
                Err(m) => m.clone(),
            },
            overdue: o.overdue,
            near_due: o.near_due,
            status: o.report.as_ref().map_or("未报送", |r| r.state().label_zh()),
            report_id: o.report.as_ref().map_or(0, |r| r.id),
            comment: o.report.as_ref().map(|r| r.comment.clone()).unwrap_or_default(),
            urges: o
                .urges
                .iter()
                .map(|u| format!("{}（{} {}）", u.note, local_time(u.urged_at), u.urged_by))
                .collect(),
        })
        .collect())
}
