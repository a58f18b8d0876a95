//! 工作台: the figures of the signed-in user's world, and for a member of a
//! unit what the unit owes (调度 reports due, returned or marked 督办).

use super::html;
use super::reports::{OwedLine, owed_lines};
use crate::error::WebError;
use crate::extract::Signed;
use crate::layout::Layout;
use askama::Template;
use axum::response::Response;
use shiminhua_app::ops::stats;
use shiminhua_app::registry::workers::COUNT_CAP;
use shiminhua_core::auth::Permission;

pub struct Card {
    pub label: String,
    pub value: i64,
    /// The count went past the cap: `value` is the cap, shown as "… 以上".
    pub more: bool,
    pub unit: &'static str,
    pub note: String,
    pub href: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    layout: Layout,
    cards: Vec<Card>,
    /// The user files reports for a unit.
    has_unit: bool,
    unit_name: String,
    owed: Vec<OwedLine>,
    /// Next year's holiday arrangement not loaded (administrator, office).
    calendar: Option<CalendarReminder>,
}

/// The 工作台's reminder of the holiday arrangement.
pub struct CalendarReminder {
    pub year: i32,
    /// The user loads the table (a link to the page).
    pub may_load: bool,
    pub cases_total: i64,
    pub may_see_cases: bool,
    /// (case id, number, 受理期限/办理期限, due date)
    pub cases: Vec<(i64, String, &'static str, String)>,
}

pub async fn workbench(s: Signed) -> Result<Response, WebError> {
    let st = &s.ctx.state;
    let w = stats::workbench(&st.db, &s.actor, st.clock.now()).await?;
    let mut cards = Vec::new();
    // Counts of workers walked up to the cap (accounts reaching them through
    // their records or cases) show as "10000 以上" past it.
    let capped = w.workers.is_some_and(|c| c.capped);
    let mut card = |label: &str, value: Option<i64>, unit: &'static str, note: &str, href: &'static str| {
        if let Some(v) = value {
            let more = capped && href == "/workers" && v > COUNT_CAP;
            cards.push(Card {
                label: label.to_string(),
                value: if more { COUNT_CAP } else { v },
                more,
                unit,
                note: note.to_string(),
                href,
            });
        }
    };
    card(
        "登记农民工",
        w.workers.map(|c| c.workers),
        "人",
        "农民工综合信息",
        "/workers",
    );
    card(
        "随迁家属",
        w.workers.map(|c| c.dependants),
        "人",
        "配偶、子女、父母",
        "/workers",
    );
    for (label, n) in &w.regions {
        card(label, Some(*n), "个", "行政区划", "/regions");
    }
    card("责任单位", w.units, "个", "成员单位及区县对应单位", "/units");
    card(
        "工作专班成员",
        w.taskforce_members,
        "人",
        "组长、副组长、成员、联络员",
        "/taskforce",
    );
    card("启用的账户", w.users_active, "个", "", "/admin/users");
    card("停用的账户", w.users_disabled, "个", "", "/admin/users");
    card(
        "锁定中的账户",
        w.users_locked,
        "个",
        "连续5次密码错误，锁定15分钟",
        "/admin/users",
    );
    card("在线会话", w.sessions, "个", "30分钟无操作自动退出", "/admin/users");
    card("今日审计记录", w.audit_today, "条", "", "/audit");
    card(
        "今日失败操作",
        w.audit_failures_today,
        "条",
        "含登录失败、越权访问",
        "/audit?result=fail",
    );
    if s.actor.can(Permission::ReadCases) {
        let filter = shiminhua_app::rights::cases::CaseFilter::default();
        // A calendar not loaded far enough leaves the cards out (the list says why).
        if let Ok(d) = shiminhua_app::rights::cases::due_counts(&st.db, &s.actor, &filter, st.clock.today()).await {
            card(
                "办理中的欠薪案件",
                Some(d.open),
                "件",
                "登记、受理和调查处理中",
                "/cases",
            );
            card(
                "逾期未办结的欠薪案件",
                Some(d.overdue),
                "件",
                "超过受理或办理期限",
                "/cases?timing=overdue",
            );
        }
    }
    // Wage-payment monitoring, for those who see projects (a refusal hides
    // the cards and the navigation entry).
    if s.actor.can(Permission::ViewDashboard)
        && let Ok(b) = super::monitor::seen(
            st,
            &s.actor,
            shiminhua_app::rights::monitor::board(&st.db, &s.actor, st.clock.now()).await,
        )
    {
        card(
            "待处置的工资支付预警",
            Some(b.open),
            "条",
            "工资支付监控中未解除的预警",
            "/monitor/warnings",
        );
        card(
            "逾期未处置的预警",
            Some(b.overdue),
            "条",
            "超过处置期限仍未解除",
            "/monitor/warnings?overdue=1",
        );
        card(
            "红色预警",
            Some(b.red),
            "条",
            "工资支付监控",
            "/monitor/warnings?level=red",
        );
    }
    let has_unit = s.actor.unit_id.is_some() && s.actor.can(Permission::FileReports);
    let (owed, unit_name) = if has_unit {
        let owed = owed_lines(&s.ctx, &s.actor).await?;
        let name = shiminhua_app::plan::reports::unit_name(&st.db, s.actor.unit_id.unwrap_or_default()).await?;
        (owed, name)
    } else {
        (Vec::new(), String::new())
    };
    let calendar = shiminhua_app::rights::holidays::reminder(&st.db, &s.actor, st.clock.today())
        .await?
        .map(|r| CalendarReminder {
            year: r.year,
            may_load: s.actor.can(Permission::ManageSystem),
            cases_total: r.cases_total,
            may_see_cases: r.may_see_cases,
            cases: r
                .cases
                .into_iter()
                .map(|c| (c.id, c.number, c.what, super::date_zh(c.due)))
                .collect(),
        });
    Ok(html(&HomeTpl {
        layout: Layout::new(&s.ctx, Some(&s.actor), "工作台"),
        cards,
        has_unit,
        unit_name,
        owed,
        calendar,
    }))
}
