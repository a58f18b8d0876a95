//! 目标督办: every target of the plan as of a day — the city's figure against
//! the target and the progress due by then, each county side by side with
//! the lagging ones first, bars by county drawn on the server, and links
//! from each computed figure to the records behind it and from each
//! reported figure to the accepted report that gives it.

use super::html;
use crate::error::WebError;
use crate::extract::{Need, ViewDashboard};
use crate::layout::Layout;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::NaiveDate;
use shiminhua_app::plan::document;
use shiminhua_app::plan::indicators::{self, Standing, TargetBoard};
use shiminhua_core::indicator;
use shiminhua_core::plan::{Measurement, Plan, Progress, Query as PlanQuery, Test, Window};
use shiminhua_core::record;
use std::collections::HashMap;

/// A figure as shown: whole numbers with thousands separators, ratios with
/// one decimal and a percent sign, a reported figure with a fraction (2.85亿元)
/// with up to two decimals.
pub(crate) fn shown(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "—".into(),
        Some(x) if unit == "%" => format!("{x:.1}%"),
        Some(x) if (x - x.round()).abs() > 1e-9 => {
            let s = format!("{x:.2}");
            format!("{}{unit}", s.trim_end_matches('0').trim_end_matches('.'))
        }
        Some(x) => {
            let n = x.round() as i64;
            let digits = n.unsigned_abs().to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            format!("{}{out}{unit}", if n < 0 { "-" } else { "" })
        }
    }
}

/// One figure cell.
pub struct Cell {
    pub actual: String,
    pub goal: String,
    pub expected: String,
    pub css: &'static str,
    pub status: &'static str,
    /// Completion against the goal, 0–100, for the progress bar.
    pub percent: u32,
    /// The records behind a computed figure.
    pub link: String,
    pub detail: String,
    /// The region's goal is its own share (任务分解), shown with the figure.
    pub allocated: bool,
    /// A counted figure's cross-check: the unit's report, when it differs.
    pub cross_check: String,
}

pub struct Card {
    pub name: String,
    pub how: String,
    pub city: Cell,
}

pub struct CountyRow {
    pub name: String,
    pub cells: Vec<Cell>,
    pub behind: usize,
}

pub struct Chart {
    pub title: String,
    pub svg: String,
}

/// The records list behind a computed figure: the first source's kind, the
/// region, the window's dates and its one-valued filters.
fn drill(plan: &Plan, id: &str, region: i64, as_of: NaiveDate) -> String {
    if let Some(Measurement::Counted { count, .. }) = plan.target(id).map(|t| &t.measurement) {
        return facility_list(count.kind, id, region, as_of);
    }
    let Some(Measurement::Computed(q)) = plan.target(id).map(|t| &t.measurement) else {
        return String::new();
    };
    let tally = match q {
        PlanQuery::Tally(t) => t,
        PlanQuery::Ratio { numerator, .. } => numerator,
    };
    let Some(source) = tally.from.first() else {
        return String::new();
    };
    if source.kind == shiminhua_core::auth::RecordKind::WageCase {
        return case_list(plan, source, region);
    }
    let mut url = format!("/records?kind={}&region={region}&to={as_of}", source.kind.code());
    match source.window {
        Window::Plan => url.push_str(&format!("&from={}", plan.meta.start)),
        Window::RollingYear => {
            if let Some(d) = as_of.checked_sub_months(chrono::Months::new(12)) {
                url.push_str(&format!("&from={}", d.succ_opt().unwrap_or(d)));
            }
        }
        Window::ToDate => {}
    }
    for f in &source.filters {
        match &f.test {
            Test::In(values) if !values.is_empty() => {
                url.push_str(&format!("&f_{}={}", f.field, super::percent_encode(&values.join("|"))));
            }
            Test::Present(true) => url.push_str(&format!("&p_{}=1", f.field)),
            _ => {}
        }
    }
    url
}

/// The facility list behind a counted figure: exactly the facilities the
/// count takes in the region as of the day (`/facilities` with the target).
fn facility_list(kind: shiminhua_core::facility::FacilityKind, id: &str, region: i64, as_of: NaiveDate) -> String {
    let region = shiminhua_core::division::DivisionCode::from_i64(region)
        .map(|c| c.to_string())
        .unwrap_or_default();
    let as_of = as_of.to_string();
    format!(
        "/facilities?{}",
        super::query_string(&[
            ("kind", kind.code()),
            ("target", id),
            ("region", &region),
            ("as_of", &as_of),
        ])
    )
}

/// The case list behind a figure over wage-arrears cases: the county (none
/// for the city) and the filters the list has (one status, sector or
/// source); a figure as of a past day or over other fields is not one of
/// the list's filters, so the list shows the cases it is taken from.
fn case_list(plan: &Plan, source: &shiminhua_core::plan::Source, region: i64) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if region != plan.meta.region.as_i64()
        && let Ok(code) = shiminhua_core::division::DivisionCode::from_i64(region)
    {
        pairs.push(("county", code.to_string()));
    }
    for f in &source.filters {
        if let (Test::In(values), "status" | "sector" | "source") = (&f.test, f.field)
            && let [one] = values.as_slice()
        {
            pairs.push((f.field, one.clone()));
        }
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let q = super::query_string(&pairs);
    if q.is_empty() {
        "/cases".into()
    } else {
        format!("/cases?{q}")
    }
}

fn cell(plan: &Plan, t: &TargetBoard, s: &Standing, as_of: NaiveDate) -> Cell {
    let percent = indicator::percent_reached(s.actual, s.goal);
    let detail = match (s.outcome, s.reported_as_of) {
        (Some(o), _) if o.base.is_some() => format!("{} / {}", o.value, o.base.unwrap_or_default()),
        (_, Some(_)) if s.cross_check.is_some() => String::new(),
        (_, Some(d)) => format!("截至{}，已采纳的调度报告", d.format("%Y年%-m月%-d日")),
        _ => String::new(),
    };
    // A counted figure: the unit's accepted report beside it when they differ.
    let cross_check = match (s.cross_check, s.actual, s.reported_as_of) {
        (Some(r), Some(a), Some(d)) if (r - a).abs() > 1e-9 => format!(
            "单位填报 {}（截至{}），与台账统计不一致",
            shown(Some(r), &t.unit),
            d.format("%Y年%-m月%-d日")
        ),
        _ => String::new(),
    };
    Cell {
        cross_check,
        actual: shown(s.actual, &t.unit),
        goal: shown(s.goal, &t.unit),
        expected: shown(s.expected, &t.unit),
        css: s.status.css(),
        status: s.status.label_zh(),
        percent,
        link: if t.computed {
            drill(plan, &t.id, s.region.as_i64(), as_of)
        } else {
            // The report that gives the figure.
            s.reports.last().map(|id| format!("/reports/{id}")).unwrap_or_default()
        },
        detail,
        allocated: plan.target(&t.id).is_some_and(|x| x.allocation.contains_key(&s.region)),
    }
}

/// Bars by county, with the due progress as a tick where a county has a goal.
fn bars(t: &TargetBoard) -> String {
    const W: f64 = 640.0;
    const ROW: f64 = 26.0;
    const LEFT: f64 = 70.0;
    let max = t
        .counties
        .iter()
        .flat_map(|c| [c.actual, c.expected])
        .flatten()
        .fold(0.0f64, f64::max)
        .max(if t.unit == "%" { 100.0 } else { 1.0 });
    let h = ROW * t.counties.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" role=\"img\" aria-label=\"{}：各区县情况\">",
        askama_escape(&t.name)
    );
    for (i, c) in t.counties.iter().enumerate() {
        let y = 5.0 + ROW * i as f64;
        let width = c.actual.map_or(0.0, |a| (a / max * (W - LEFT - 90.0)).max(0.0));
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\" class=\"chart-label\">{}</text><rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" class=\"bar {}\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value\">{}</text>",
            y + ROW * 0.6,
            askama_escape(&c.region_name),
            ROW - 8.0,
            c.status.css(),
            LEFT + width + 6.0,
            y + ROW * 0.6,
            askama_escape(&shown(c.actual, &t.unit)),
        ));
        if let Some(e) = c.expected {
            let x = LEFT + e / max * (W - LEFT - 90.0);
            svg.push_str(&format!(
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"due\"/>",
                y - 2.0,
                y + ROW - 6.0
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The cumulative figure month by month against the time-progress line
/// (from nothing at the plan's start to the goal at its end).
fn line(t: &TargetBoard, points: &[(NaiveDate, Option<f64>)], start: NaiveDate, end: NaiveDate) -> String {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const PAD: f64 = 40.0;
    let goal = t.city.goal.unwrap_or(0.0);
    let max = points.iter().filter_map(|p| p.1).fold(goal, f64::max).max(1.0);
    let days = (end - start).num_days().max(1) as f64;
    let x = |d: NaiveDate| PAD + (d - start).num_days() as f64 / days * (W - 2.0 * PAD);
    let y = |v: f64| H - PAD - v / max * (H - 2.0 * PAD);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}：逐月累计与时序进度\">",
        askama_escape(&t.name)
    );
    svg.push_str(&format!(
        "<line x1=\"{PAD}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" class=\"axis\"/>",
        H - PAD,
        W - PAD,
        H - PAD
    ));
    if goal > 0.0 {
        svg.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" class=\"due\"><title>时序进度</title></line>",
            x(start),
            y(0.0),
            x(end),
            y(goal)
        ));
    }
    let path: Vec<String> = points
        .iter()
        .filter_map(|(d, v)| v.map(|v| format!("{:.1},{:.1}", x(*d), y(v))))
        .collect();
    svg.push_str(&format!(
        "<polyline points=\"{}\" class=\"progress-line\"/>",
        path.join(" ")
    ));
    for (d, v) in points {
        if let Some(v) = v {
            svg.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" class=\"progress-dot\"><title>{}：{}</title></circle>",
                x(*d),
                y(*v),
                d.format("%Y-%m-%d"),
                askama_escape(&shown(Some(*v), &t.unit))
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"middle\">{}月</text>",
            x(*d),
            H - PAD + 16.0,
            d.format("%-m")
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardTpl {
    layout: Layout,
    as_of: String,
    as_of_label: String,
    share: String,
    cards: Vec<Card>,
    heads: Vec<String>,
    rows: Vec<CountyRow>,
    charts: Vec<Chart>,
    lines: Vec<Chart>,
    error: Option<String>,
}

/// GET /plan/board?as_of=YYYY-MM-DD
pub async fn board(s: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &s.ctx.state;
    let today = st.clock.today();
    let typed = q.get("as_of").map(|v| v.trim().to_string()).unwrap_or_default();
    let (as_of, error) = if typed.is_empty() {
        (today, None)
    } else {
        match record::parse_date(&typed) {
            Some(d) => (d, None),
            None => (
                today,
                Some(format!(
                    "日期“{}”格式不正确，应为“年-月-日”，如 2023-09-30；已按今天显示。",
                    typed.chars().take(20).collect::<String>()
                )),
            ),
        }
    };
    let cur = document::current(&st.db).await?;
    let p = &cur.plan;
    let (share, targets) = indicators::board(&st.db, p, as_of).await?;
    let names = shiminhua_app::plan::in_force::context();
    let unit_name = |code: &str| {
        names
            .units
            .iter()
            .find(|u| u.code == code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let cards = targets
        .iter()
        .map(|t| Card {
            name: t.name.clone(),
            how: match (&t.reporter, p.target(&t.id).map(|x| &x.measurement)) {
                (_, Some(Measurement::Counted { count, reporter, .. })) => match reporter {
                    Some(r) => format!("{}台账统计，{}填报核对", count.kind.label_zh(), unit_name(r)),
                    None => format!("{}台账统计", count.kind.label_zh()),
                },
                (None, _) => "系统自动计算".into(),
                (Some(r), _) => format!("{}填报", unit_name(r)),
            },
            city: cell(p, t, &t.city, as_of),
        })
        .collect();
    let heads = targets.iter().map(|t| t.name.clone()).collect();
    let mut rows: Vec<CountyRow> = targets
        .first()
        .map(|t| t.counties.iter().map(|c| c.region_name.clone()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let standings: Vec<&Standing> = targets.iter().filter_map(|t| t.counties.get(i)).collect();
            let behind = indicator::lag_score(standings.iter().map(|s| s.status));
            CountyRow {
                name,
                cells: targets
                    .iter()
                    .zip(&standings)
                    .map(|(t, s)| cell(p, t, s, as_of))
                    .collect(),
                behind,
            }
        })
        .collect();
    // The lagging counties first.
    rows.sort_by(|a, b| b.behind.cmp(&a.behind).then(a.name.cmp(&b.name)));
    let charts = targets
        .iter()
        .filter(|t| t.computed)
        .map(|t| Chart {
            title: format!("{}（{}）", t.name, t.unit),
            svg: bars(t),
        })
        .collect();
    let mut lines = Vec::new();
    for t in targets
        .iter()
        .filter(|t| t.computed && t.progress == Progress::Cumulative)
    {
        let points = indicators::monthly(&st.db, p, &t.id, p.meta.region, as_of).await?;
        lines.push(Chart {
            title: format!("{}：全市逐月累计（{}）", t.name, t.unit),
            svg: line(t, &points, p.meta.start, p.meta.end),
        });
    }
    Ok(html(&BoardTpl {
        layout: Layout::new(&s.ctx, Some(&s.actor), "目标督办")
            .crumb("目标督办", "")
            .crumb("目标进度", ""),
        as_of: as_of.to_string(),
        as_of_label: as_of.format("%Y年%-m月%-d日").to_string(),
        share: format!("{:.1}%", share * 100.0),
        cards,
        heads,
        rows,
        charts,
        lines,
        error,
    }))
}
