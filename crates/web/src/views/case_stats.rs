//! Statistics pages of wage-arrears cases.
//!
//! * `/cases/stats` (案件统计): the cases received in a period by county
//!   (with the total), sector, source and status; printable on A4; each
//!   count opens the case list filtered the same way (for those who read
//!   cases).
//! * `/cases/stats/export`: the same as a workbook (audited).
//! * `/cases/clearance` (欠薪清零): open and overdue cases by county today,
//!   the oldest, which counties have reached zero, and the open count at
//!   each month end of a period.

use super::{html, query_string, xlsx_download};
use crate::error::WebError;
use crate::extract::{Need, ViewDashboard};
use crate::layout::Layout;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use shiminhua_app::AppError;
use shiminhua_app::rights::case_stats::{self, CasePeriod, CaseStats, Clearance, Line, OpenLine, date_label};
use shiminhua_core::money::Fen;
use std::collections::HashMap;

/// A figure in a table, with the case list behind it (empty: no link).
pub struct Cell {
    pub text: String,
    pub href: String,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            href: String::new(),
        }
    }
}

pub struct Row {
    pub label: String,
    pub total: bool,
    pub cells: Vec<Cell>,
}

pub struct Table {
    pub id: &'static str,
    pub title: String,
    pub first: &'static str,
    pub heads: Vec<&'static str>,
    pub rows: Vec<Row>,
}

/// A whole number with thousands separators.
fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |x| format!("{x:.1}%"))
}

fn decimal(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |x| format!("{x:.1}"))
}

/// The period asked for (`from`, `to`; this year to today by default); one
/// that does not read is answered with the message and the default.
fn period_of(q: &HashMap<String, String>, today: NaiveDate) -> (CasePeriod, Option<String>) {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    match CasePeriod::parse(get("from"), get("to"), today) {
        Ok(p) => (p, None),
        Err(m) => {
            let p = CasePeriod::this_year(today);
            (p, Some(format!("{m}；已按{}统计。", p.label())))
        }
    }
}

/// The case list filtered by `pairs` (only for those who read cases).
fn list_link(links: bool, pairs: &[(&str, &str)]) -> String {
    if !links {
        return String::new();
    }
    let q = query_string(pairs);
    if q.is_empty() {
        "/cases".into()
    } else {
        format!("/cases?{q}")
    }
}

const HEADS: [&str; 11] = [
    "案件数",
    "未结案",
    "其中逾期",
    "已结案",
    "按期结案",
    "按期结案率",
    "反映欠薪金额（元）",
    "追回金额（元）",
    "追回率",
    "涉及人数",
    "已支付人数",
];

/// What a table is about: its anchor, title, first column, and the case
/// list's filter for its lines' keys.
struct Kind {
    id: &'static str,
    title: &'static str,
    first: &'static str,
    param: &'static str,
}

const BY_COUNTY: Kind = Kind {
    id: "by-county",
    title: "一、按区县",
    first: "区县",
    param: "county",
};
const BY_SECTOR: Kind = Kind {
    id: "by-sector",
    title: "二、按行业",
    first: "行业",
    param: "sector",
};
const BY_SOURCE: Kind = Kind {
    id: "by-source",
    title: "三、按线索来源",
    first: "线索来源",
    param: "source",
};
const BY_STATUS: Kind = Kind {
    id: "by-status",
    title: "四、按案件状态",
    first: "案件状态",
    param: "status",
};

/// A table of lines with the total; the working days for counties only.
fn table(kind: &Kind, lines: &[Line], total: &Line, links: bool, period: &[(&str, &str)]) -> Table {
    let (id, first, param) = (kind.id, kind.first, kind.param);
    let days = param == "county";
    let mut heads = HEADS.to_vec();
    if days {
        heads.extend(["平均办理工作日", "办理工作日中位数"]);
    }
    let rows = lines
        .iter()
        .map(|l| (l, false))
        .chain(std::iter::once((total, true)))
        .map(|(l, is_total)| {
            // The cases received in the period, of this line.
            let mut base: Vec<(&str, &str)> = period.to_vec();
            if !is_total {
                base.push((param, l.key.as_str()));
            }
            let mut overdue = base.clone();
            overdue.push(("timing", "overdue"));
            let mut cells = vec![
                Cell {
                    text: count(l.cases),
                    href: if l.cases > 0 {
                        list_link(links, &base)
                    } else {
                        String::new()
                    },
                },
                Cell::plain(count(l.open)),
                Cell {
                    text: count(l.overdue),
                    href: if l.overdue > 0 {
                        list_link(links, &overdue)
                    } else {
                        String::new()
                    },
                },
                Cell::plain(count(l.ended)),
                Cell::plain(count(l.in_time)),
                Cell::plain(percent(l.in_time_share())),
                Cell::plain(Fen(l.claimed_fen).to_string()),
                Cell::plain(Fen(l.recovered_fen).to_string()),
                Cell::plain(percent(l.recovery_share())),
                Cell::plain(count(l.workers)),
                Cell::plain(count(l.workers_paid)),
            ];
            if days {
                cells.push(Cell::plain(decimal(l.days.average())));
                cells.push(Cell::plain(decimal(l.days.median)));
            }
            Row {
                label: l.label.clone(),
                total: is_total,
                cells,
            }
        })
        .collect();
    Table {
        id,
        title: kind.title.to_string(),
        first,
        heads,
        rows,
    }
}

#[derive(Template)]
#[template(path = "case_stats.html")]
struct StatsTpl {
    layout: Layout,
    from: String,
    to: String,
    period: String,
    today: String,
    error: Option<String>,
    export: String,
    links: bool,
    /// (label, figure) of the summary.
    summary: Vec<(&'static str, String)>,
    tables: Vec<Table>,
    missing: Option<String>,
}

fn summary(s: &CaseStats) -> Vec<(&'static str, String)> {
    let t = &s.total;
    vec![
        ("案件数", format!("{}件", count(t.cases))),
        (
            "未结案",
            format!("{}件（其中逾期{}件）", count(t.open), count(t.overdue)),
        ),
        (
            "已结案",
            format!("{}件，按期结案率{}", count(t.ended), percent(t.in_time_share())),
        ),
        (
            "追回金额",
            format!(
                "{}元（办结案件反映{}元，追回率{}）",
                Fen(t.recovered_fen),
                Fen(t.concluded_claimed_fen),
                percent(t.recovery_share())
            ),
        ),
        ("反映欠薪金额", format!("{}元", Fen(t.claimed_fen))),
        (
            "涉及人数",
            format!(
                "{}人，已支付{}人（占办结案件涉及人数的{}）",
                count(t.workers),
                count(t.workers_paid),
                percent(t.paid_share())
            ),
        ),
        (
            "办理工作日",
            format!(
                "平均{}个，中位数{}个（{}件已结案）",
                decimal(t.days.average()),
                decimal(t.days.median),
                count(t.days.counted)
            ),
        ),
    ]
}

/// GET /cases/stats?from=YYYY-MM-DD&to=YYYY-MM-DD
pub async fn stats(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let today = n.ctx.state.clock.today();
    let (period, error) = period_of(&q, today);
    let call = n.ctx.call(&n.actor);
    let s = case_stats::stats(&call, period).await?;
    let links = case_stats::may_list(&n.actor);
    let label = period.label();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let received = [("from", from.as_str()), ("to", to.as_str())];
    let tables = vec![
        table(&BY_COUNTY, &s.counties, &s.total, links, &received),
        table(&BY_SECTOR, &s.sectors, &s.total, links, &received),
        table(&BY_SOURCE, &s.sources, &s.total, links, &received),
        table(&BY_STATUS, &s.statuses, &s.total, links, &received),
    ];
    let missing = (!s.missing_years.is_empty() || s.total.days.uncounted > 0).then(|| {
        let years: Vec<String> = s.missing_years.iter().map(|y| format!("{y}年")).collect();
        format!(
            "{}件已结案案件的办理期间涉及{}，其节假日安排尚未载入，未计入办理工作日的平均值和中位数。请系统管理员在“节假日安排”中载入。",
            count(s.total.days.uncounted),
            if years.is_empty() { "未载入的年份".to_string() } else { years.join("、") }
        )
    });
    Ok(html(&StatsTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "案件统计")
            .crumb("欠薪治理", "")
            .crumb("案件统计", ""),
        from: period.from.to_string(),
        to: period.to.to_string(),
        period: label,
        today: date_label(s.today),
        error,
        export: format!("/cases/stats/export?from={}&to={}", period.from, period.to),
        links,
        summary: summary(&s),
        tables,
        missing,
    }))
}

/// GET /cases/stats/export?from=…&to=… — the workbook (audited).
pub async fn export(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let today = n.ctx.state.clock.today();
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    let period = CasePeriod::parse(get("from"), get("to"), today).map_err(AppError::BadRequest)?;
    let bytes = case_stats::export(&n.ctx.call(&n.actor), period).await?;
    Ok(xlsx_download(
        bytes,
        &format!(
            "欠薪案件统计-{}-{}.xlsx",
            period.from.format("%Y%m%d"),
            period.to.format("%Y%m%d")
        ),
    ))
}

/// One county on the 清零 page.
pub struct ClearRow {
    pub label: String,
    pub total: bool,
    pub open: String,
    pub cells: Vec<Cell>,
    pub overdue: Cell,
    pub oldest: String,
    pub age: String,
    pub cleared: bool,
    /// Open warnings of unpaid wages (工资支付监控), linked to their list.
    pub warnings: Cell,
    pub series: Vec<String>,
}

fn clear_row(l: &OpenLine, total: bool, links: bool, today: NaiveDate) -> ClearRow {
    let mut base: Vec<(&str, &str)> = Vec::new();
    if !total {
        base.push(("county", l.key.as_str()));
    }
    let status_cell = |n: i64, code: &'static str| {
        let mut pairs = base.clone();
        pairs.push(("status", code));
        Cell {
            text: count(n),
            href: if n > 0 { list_link(links, &pairs) } else { String::new() },
        }
    };
    let mut overdue = base.clone();
    overdue.push(("timing", "overdue"));
    ClearRow {
        label: l.label.clone(),
        total,
        open: count(l.open),
        cells: vec![
            status_cell(l.registered, "registered"),
            status_cell(l.accepted, "accepted"),
            status_cell(l.investigating, "investigating"),
        ],
        overdue: Cell {
            text: count(l.overdue),
            href: if l.overdue > 0 {
                list_link(links, &overdue)
            } else {
                String::new()
            },
        },
        oldest: l.oldest.map_or_else(|| "—".into(), |d| d.to_string()),
        age: l.oldest.map_or_else(|| "—".into(), |d| count((today - d).num_days())),
        cleared: l.cleared(),
        warnings: Cell {
            text: count(l.warnings),
            href: if l.warnings > 0 {
                let region = if total { "" } else { l.key.as_str() };
                format!(
                    "/monitor/warnings?{}",
                    crate::views::query_string(&[("region", region), ("unpaid", "1")])
                )
            } else {
                String::new()
            },
        },
        series: l.series.iter().map(|n| count(*n)).collect(),
    }
}

/// Open cases at each month end, as bars with their figures.
fn series_chart(c: &Clearance) -> String {
    let years = c.months.first().map(Datelike::year) != c.months.last().map(Datelike::year);
    let bars: Vec<Bar> = c
        .months
        .iter()
        .zip(&c.total.series)
        .map(|(m, v)| Bar {
            label: if years {
                m.format("%y/%-m").to_string()
            } else {
                m.format("%-m月").to_string()
            },
            title: format!("{m}：{v}件"),
            value: *v,
            class: if *v == 0 { "green" } else { "amber" },
        })
        .collect();
    bar_chart("各月末未结案件数", &bars)
}

/// One bar of [`bar_chart`]: the label under it, its tooltip, its figure
/// (shown above it) and its colour (`green`, `amber`, `red`, `grey`).
pub(crate) struct Bar {
    pub label: String,
    pub title: String,
    pub value: i64,
    pub class: &'static str,
}

/// Bars side by side (months, say) on a base line, each with its figure
/// above and its label below, scaled to the largest; inline SVG.
pub(crate) fn bar_chart(aria_label: &str, bars: &[Bar]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const PAD: f64 = 36.0;
    let n = bars.len().max(1) as f64;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let slot = (W - 2.0 * PAD) / n;
    let bar = (slot * 0.6).min(40.0);
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}\">",
        esc(aria_label)
    );
    svg.push_str(&format!(
        "<line x1=\"{PAD}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" class=\"axis\"/>",
        H - PAD,
        W - PAD,
        H - PAD
    ));
    for (i, b) in bars.iter().enumerate() {
        let x = PAD + slot * i as f64 + (slot - bar) / 2.0;
        let h = b.value as f64 / max * (H - 2.0 * PAD - 14.0);
        let y = H - PAD - h;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" class=\"bar {}\"><title>{}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"middle\">{}</text>",
            b.class,
            esc(&b.title),
            x + bar / 2.0,
            y - 4.0,
            b.value,
            x + bar / 2.0,
            H - PAD + 16.0,
            esc(&b.label),
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[derive(Template)]
#[template(path = "case_clearance.html")]
struct ClearanceTpl {
    layout: Layout,
    from: String,
    to: String,
    period: String,
    today: String,
    error: Option<String>,
    links: bool,
    open: String,
    overdue: String,
    cleared: usize,
    counties: usize,
    rows: Vec<ClearRow>,
    months: Vec<String>,
    cut: bool,
    chart: String,
}

/// GET /cases/clearance?from=…&to=…
pub async fn clearance(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let today = n.ctx.state.clock.today();
    let (period, error) = period_of(&q, today);
    let c = case_stats::clearance(&n.ctx.call(&n.actor), period).await?;
    let links = case_stats::may_list(&n.actor);
    let rows = c
        .counties
        .iter()
        .map(|l| clear_row(l, false, links, c.today))
        .chain(std::iter::once(clear_row(&c.total, true, links, c.today)))
        .collect();
    let months = c.months.iter().map(|m| case_stats::point_label(*m)).collect();
    Ok(html(&ClearanceTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "欠薪清零")
            .crumb("欠薪治理", "")
            .crumb("欠薪清零", ""),
        from: period.from.to_string(),
        to: period.to.to_string(),
        period: period.label(),
        today: date_label(c.today),
        error,
        links,
        open: count(c.total.open),
        overdue: count(c.total.overdue),
        cleared: c.cleared(),
        counties: c.counties.len(),
        rows,
        months,
        cut: c.cut,
        chart: series_chart(&c),
    }))
}
