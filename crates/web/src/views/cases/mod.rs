//! Staff pages of wage-arrears cases (欠薪线索/案件): the list in the
//! user's scope with the running time limit counted in working days, the
//! registration form, the case page (facts, deadlines, timeline,
//! attachments, one form per step the user may take now) and the office's
//! settings (conclusion categories, the platform clues' time limit).
//!
//! Every step goes through `cases::act` with the version the officer saw:
//! a stale version is refused with the app's conflict message (409) and
//! nothing is written.

mod actions;
mod detail;
mod list;
mod register;
mod settings;

pub use actions::{act, download, upload};
pub use detail::show;
pub use list::list;
pub use register::{create, new_page, registered};
pub use settings::{settings, settings_submit};

use super::date_zh;
use crate::error::WebError;
use crate::extract::Ctx;
use crate::layout::Layout;
use chrono::NaiveDate;
use shiminhua_app::rights::cases::{self, CaseRow, Township};
use shiminhua_core::auth::Actor;
use shiminhua_core::calendar::Calendar;
use shiminhua_core::case::{CaseStatus, Timing};
use shiminhua_core::money::Fen;

fn yuan(fen: i64) -> String {
    format!("{} 元", Fen(fen))
}

fn layout(ctx: &Ctx, actor: &Actor, title: impl Into<String>) -> Layout {
    Layout::new(ctx, Some(actor), title)
        .crumb("欠薪治理", "")
        .crumb("案件办理", "/cases")
}

/// A township as typed into a picker: county and township names (resolved
/// by the place book like a code would be).
fn town_value(t: &Township) -> String {
    format!("{}{}", t.county_name, t.name)
}

// ---------------------------------------------------------------------------
// Deadlines

/// How a case stands against its running time limit, for the eye.
pub struct Deadline {
    /// e.g. "办理期限 剩余 12 个工作日", "受理期限 已逾期 3 个工作日".
    pub text: String,
    /// The due date (empty when no limit runs).
    pub due: String,
    /// `red` (overdue), `amber` (near due) or "".
    pub css: &'static str,
    /// 逾期 / 临期 / 正常 / "".
    pub label: &'static str,
}

/// The deadline of a case as of `today`, counted in working days on the
/// stored holiday calendar; `near_until` is the last day of the near-due
/// window (`None` when it could not be computed).
fn deadline(row: &CaseRow, cal: &Calendar, today: NaiveDate, near_until: Option<NaiveDate>) -> Deadline {
    let Some(due) = row.due_on.filter(|_| row.state().is_some_and(CaseStatus::is_open)) else {
        return Deadline {
            text: String::new(),
            due: String::new(),
            css: "",
            label: "",
        };
    };
    let what = if row.state() == Some(CaseStatus::Registered) {
        "受理期限"
    } else {
        "办理期限"
    };
    let timing = match near_until {
        Some(near) => row.timing(today, near),
        None if due < today => Timing::Overdue,
        None => Timing::OnTime,
    };
    let text = if due < today {
        match cal.working_days_between(due, today) {
            Ok(n) if n >= 1 => format!("{what} 已逾期 {n} 个工作日"),
            Ok(_) => format!("{what} 已逾期（不足1个工作日）"),
            Err(_) => format!("{what} 已逾期（节假日安排未载入，无法计算工作日数）"),
        }
    } else if due == today {
        format!("{what} 今日到期")
    } else {
        match cal.working_days_between(today, due) {
            Ok(n) => format!("{what} 剩余 {n} 个工作日"),
            Err(_) => format!("{what} 至{}（节假日安排未载入，无法计算工作日数）", date_zh(due)),
        }
    };
    // A due date in a year whose holiday arrangement is not loaded yet.
    let text = if row.due_provisional {
        format!("{text}（暂按常规工作日推算）")
    } else {
        text
    };
    Deadline {
        text,
        due: date_zh(due),
        css: match timing {
            Timing::Overdue => "red",
            Timing::NearDue => "amber",
            _ => "",
        },
        label: timing.label_zh(),
    }
}

/// The stored calendar and the last day of today's near-due window.
async fn clock_of(ctx: &Ctx) -> Result<(Calendar, NaiveDate, Option<NaiveDate>), WebError> {
    let db = &ctx.state.db;
    // Years not loaded yet taken as ordinary, as the due dates were.
    let cal = cases::deadline_calendar(db).await?;
    let today = ctx.state.clock.today();
    let near = cases::limits(db).await?.near_until(&cal, today).ok();
    Ok((cal, today, near))
}
