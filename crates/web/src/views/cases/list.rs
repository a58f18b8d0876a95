//! The list of cases in the user's scope, with its filters and pages.

use super::{Deadline, clock_of, deadline, yuan};
use crate::error::WebError;
use crate::extract::{Need, ReadCases};
use crate::layout::Layout;
use crate::views::{Pager, date_zh, html, q_get, query_string};
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::NaiveDate;
use shiminhua_app::AppError;
use shiminhua_app::rights::cases::{self, CaseFilter, Township};
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::case::{self as rules, CaseStatus, Sector, Source, Timing};
use std::collections::HashMap;

/// Cases a page shows at once.
const PER_PAGE: i64 = 20;

/// One row of the list.
pub struct ListRow {
    pub id: i64,
    pub number: String,
    pub received: String,
    pub source: &'static str,
    pub employer: String,
    pub credit_code: String,
    pub sector: &'static str,
    pub place: String,
    pub workers: i64,
    pub amount: String,
    pub status: &'static str,
    pub deadline: Deadline,
    /// The employer is on the arrears blacklist today.
    pub blacklisted: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListTpl {
    layout: Layout,
    counties: Vec<(String, String)>,
    county: String,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    sectors: Vec<(&'static str, &'static str)>,
    sector: String,
    sources: Vec<(&'static str, &'static str)>,
    source: String,
    timings: Vec<(&'static str, &'static str)>,
    timing: String,
    q: String,
    /// The received-date filter: (from, to, as shown).
    received: Option<(String, String, String)>,
    rows: Vec<ListRow>,
    pager: Pager,
    /// Cases matching the filters, and of those the overdue and near-due
    /// ones (when the timing filter does not already say).
    overdue: Option<i64>,
    near: Option<i64>,
    can_register: bool,
    error: Option<String>,
}

const TIMINGS: [(&str, &str); 3] = [("overdue", "逾期"), ("near", "临期"), ("normal", "正常")];

fn timing_of(code: &str) -> Option<Timing> {
    match code {
        "overdue" => Some(Timing::Overdue),
        "near" => Some(Timing::NearDue),
        "normal" => Some(Timing::OnTime),
        _ => None,
    }
}

/// Counties with a township in the actor's case scope: (code, name).
fn counties_of(actor: &Actor, towns: &[Township]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in towns {
        if !actor.scope.allows(RecordKind::WageCase, t.code) {
            continue;
        }
        let Some(county) = t.code.county() else { continue };
        let code = county.to_string();
        if !out.iter().any(|(c, _)| *c == code) {
            out.push((code, t.county_name.clone()));
        }
    }
    out
}

/// GET /cases?county=&status=&sector=&source=&timing=&q=&page=
pub async fn list(n: Need<ReadCases>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let towns = cases::townships(&st.db).await?;
    let counties = counties_of(&n.actor, &towns);
    let (county, status, sector, source, timing) = (
        q_get(&q, "county"),
        q_get(&q, "status"),
        q_get(&q, "sector"),
        q_get(&q, "source"),
        q_get(&q, "timing"),
    );
    let search: String = q_get(&q, "q").chars().take(50).collect();
    // Received between (from the statistics' links); both days or neither.
    let day = |k: &str| NaiveDate::parse_from_str(q_get(&q, k).trim(), "%Y-%m-%d").ok();
    let received = day("from").zip(day("to")).filter(|(a, b)| a <= b);
    let mut filter = CaseFilter {
        received,
        county: None,
        status: CaseStatus::from_code(&status),
        sector: Sector::from_code(&sector),
        source: Source::from_code(&source),
        timing: timing_of(&timing),
        q: search.clone(),
    };
    if !county.is_empty() {
        filter.county = Some(
            counties
                .iter()
                .find(|(c, _)| *c == county)
                .and_then(|(c, _)| shiminhua_core::division::DivisionCode::parse(c).ok())
                .ok_or_else(|| AppError::BadRequest("所选区县不在您的数据范围内，请从列表中选择。".into()))?,
        );
    }
    let query = query_string(&[
        ("county", &county),
        ("status", filter.status.map_or("", CaseStatus::code)),
        ("sector", filter.sector.map_or("", Sector::code)),
        ("source", filter.source.map_or("", Source::code)),
        ("timing", if filter.timing.is_some() { timing.as_str() } else { "" }),
        ("q", &search),
        ("from", &received.map(|r| r.0.to_string()).unwrap_or_default()),
        ("to", &received.map(|r| r.1.to_string()).unwrap_or_default()),
    ]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), PER_PAGE, query);
    let (cal, today, near) = clock_of(&n.ctx).await?;
    let mut error = None;
    let (found, total) = match cases::list(&st.db, &n.actor, &filter, today, pager.per_page, pager.offset()).await {
        Ok(r) => r,
        Err(AppError::Conflict(m)) => {
            error = Some(m);
            (Vec::new(), 0)
        }
        Err(e) => return Err(e.into()),
    };
    pager.total = total;
    // How many of the filtered cases are overdue and near due.
    let (mut overdue, mut near_due) = (None, None);
    if error.is_none() && filter.timing.is_none() && total > 0 {
        let d = cases::due_counts(&st.db, &n.actor, &filter, today).await?;
        (overdue, near_due) = (Some(d.overdue), Some(d.near_due));
    }
    let codes: Vec<String> = found.iter().map(|r| r.employer_credit_code.clone()).collect();
    let listed = shiminhua_app::rights::blacklist::listed_among(&st.db, &codes, today).await?;
    let rows = found
        .iter()
        .map(|r| ListRow {
            blacklisted: listed.contains_key(&r.employer_credit_code),
            id: r.id,
            number: r.number.clone(),
            received: date_zh(r.received_on),
            source: r.source_label(),
            employer: r.employer_name.clone(),
            credit_code: r.employer_credit_code.clone(),
            sector: r.sector_label(),
            place: towns
                .iter()
                .find(|t| t.code.as_i64() == r.region_code)
                .map(|t| format!("{}{}", t.county_name, t.name))
                .unwrap_or_else(|| r.region_name.clone()),
            workers: r.workers,
            amount: yuan(r.amount_claimed_fen),
            status: r.status_label(),
            deadline: deadline(r, &cal, today, near),
        })
        .collect();
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "欠薪案件办理")
            .crumb("欠薪治理", "")
            .crumb("案件办理", ""),
        counties,
        county,
        statuses: CaseStatus::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        status: filter.status.map_or("", CaseStatus::code).to_string(),
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        sector: filter.sector.map_or("", Sector::code).to_string(),
        sources: Source::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        source: filter.source.map_or("", Source::code).to_string(),
        timings: TIMINGS.to_vec(),
        timing: if filter.timing.is_some() { timing } else { String::new() },
        q: search,
        received: received.map(|(a, b)| (a.to_string(), b.to_string(), format!("{}至{}", date_zh(a), date_zh(b)))),
        rows,
        pager,
        overdue,
        near: near_due,
        can_register: rules::may_register(&n.actor.roles),
        error,
    }))
}
