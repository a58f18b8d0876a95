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
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use shiminhua_app::plan::document;
use shiminhua_app::plan::indicators::{self, Standing, TargetBoard};
use shiminhua_core::field::FieldSpec;
use shiminhua_core::indicator;
use shiminhua_core::plan::{CountSource, MONEY_UNITS, Measurement, Plan, Query as PlanQuery, Test};
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

/// What is due by the day (应达) as shown: things counted one by one
/// (人, 人次, 家, 套（间）…) in whole ones, percentages and money as figures.
pub(crate) fn shown_due(v: Option<f64>, unit: &str) -> String {
    let whole = unit != "%" && !MONEY_UNITS.iter().any(|(u, _)| *u == unit);
    match v {
        Some(x) if whole => shown(Some(x.round()), unit),
        _ => shown(v, unit),
    }
}

/// One figure cell.
pub struct Cell {
    /// `target@region`, naming the figure on the page.
    pub key: String,
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
    /// There is a figure (a bar is drawn only then).
    pub has_data: bool,
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

/// The list behind a computed figure: the people or records it counts
/// (`/plan/board/figure`), or the case list for a figure over cases.
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
    if tally.is_cases() {
        return case_list(plan, source, region);
    }
    figure_link(id, 0, region, as_of)
}

/// The drill-down page of a target's part for a region on a day.
pub(crate) fn figure_link(id: &str, part: i64, region: i64, as_of: NaiveDate) -> String {
    let region = region.to_string();
    let day = as_of.to_string();
    let part = part.to_string();
    let mut pairs = vec![("target", id), ("region", region.as_str()), ("as_of", day.as_str())];
    if part != "0" {
        pairs.push(("part", part.as_str()));
    }
    format!("/plan/board/figure?{}", super::query_string(&pairs))
}

/// The list behind a counted figure: exactly the facilities the count takes
/// in the region as of the day (`/facilities` with the target), or the
/// entries of the employment service's register (`/jobs/figure`).
fn facility_list(kind: CountSource, id: &str, region: i64, as_of: NaiveDate) -> String {
    let region = shiminhua_core::division::DivisionCode::from_i64(region)
        .map(|c| c.to_string())
        .unwrap_or_default();
    let as_of = as_of.to_string();
    let pairs = [("target", id), ("region", region.as_str()), ("as_of", as_of.as_str())];
    match kind {
        CountSource::Facility(k) => format!("/facilities?kind={}&{}", k.code(), super::query_string(&pairs)),
        CountSource::Service(_) => format!("/jobs/figure?{}", super::query_string(&pairs)),
    }
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
        key: format!("{}@{}", t.id, s.region.as_i64()),
        cross_check,
        actual: shown(s.actual, &t.unit),
        goal: shown(s.goal, &t.unit),
        expected: shown_due(s.expected, &t.unit),
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
        has_data: s.actual.is_some(),
    }
}

/// A round step for an axis up to `max`: 1, 2 or 5 times a power of ten,
/// about four steps over the range.
fn step_for(max: f64) -> f64 {
    let raw = (max / 4.0).max(1e-9);
    let pow = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * pow)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * pow)
}

/// The ticks of an axis from 0 to at least `max`: (value, top of the axis).
fn ticks(max: f64) -> (Vec<f64>, f64) {
    let step = step_for(max);
    let top = (max / step).ceil().max(1.0) * step;
    let n = (top / step).round() as usize;
    ((0..=n).map(|i| i as f64 * step).collect(), top)
}

/// A legend entry: a swatch (`bar`, `line` or `due`) and its text.
fn legend(svg: &mut String, x: f64, y: f64, entries: &[(&str, &str)]) {
    let mut at = x;
    svg.push_str("<g class=\"legend\">");
    for (kind, text) in entries {
        match *kind {
            "bar" => svg.push_str(&format!(
                "<rect x=\"{at:.1}\" y=\"{:.1}\" width=\"14\" height=\"10\" class=\"bar green\"/>",
                y - 9.0
            )),
            "line" => svg.push_str(&format!(
                "<line x1=\"{at:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"progress-line\"/>",
                at + 14.0,
                y - 4.0,
                y - 4.0
            )),
            _ => svg.push_str(&format!(
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"due\"/>",
                at + 7.0,
                at + 7.0,
                y - 11.0,
                y + 1.0
            )),
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{y:.1}\" class=\"chart-label\">{}</text>",
            at + 18.0,
            askama_escape(text)
        ));
        at += 18.0 + 13.0 * text.chars().count() as f64 + 16.0;
    }
    svg.push_str("</g>");
}

/// Bars by county on a labelled scale, with the due progress as a tick where
/// a county has a goal; a county without a figure has no bar and says so.
fn bars(t: &TargetBoard) -> String {
    const W: f64 = 640.0;
    const ROW: f64 = 26.0;
    const LEFT: f64 = 70.0;
    const TOP: f64 = 26.0;
    let span = W - LEFT - 90.0;
    let biggest = t
        .counties
        .iter()
        .flat_map(|c| [c.actual, c.expected])
        .flatten()
        .fold(0.0f64, f64::max)
        .max(if t.unit == "%" { 100.0 } else { 1.0 });
    let (marks, max) = ticks(biggest);
    let base = TOP + ROW * t.counties.len() as f64;
    let h = base + 34.0;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" role=\"img\" aria-label=\"{}：各区县情况\">",
        askama_escape(&t.name)
    );
    let due = t.counties.iter().any(|c| c.expected.is_some());
    let mut entries = vec![("bar", "完成值（颜色为进度状态）")];
    if due {
        entries.push(("due", "应达进度"));
    }
    legend(&mut svg, LEFT, 14.0, &entries);
    for (i, c) in t.counties.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\" class=\"chart-label\">{}</text>",
            y + ROW * 0.6,
            askama_escape(&c.region_name)
        ));
        match c.actual {
            Some(a) => {
                let width = (a / max * span).max(0.0);
                svg.push_str(&format!(
                    "<rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" class=\"bar {}\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value\">{}</text>",
                    ROW - 8.0,
                    c.status.css(),
                    LEFT + width + 6.0,
                    y + ROW * 0.6,
                    askama_escape(&shown(Some(a), &t.unit)),
                ));
            }
            None => svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value muted\">暂无数据</text>",
                LEFT + 6.0,
                y + ROW * 0.6
            )),
        }
        if let Some(e) = c.expected {
            let x = LEFT + e / max * span;
            svg.push_str(&format!(
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"due\"/>",
                y - 2.0,
                y + ROW - 6.0
            ));
        }
    }
    // The scale.
    svg.push_str(&format!(
        "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base:.1}\" y2=\"{base:.1}\" class=\"axis\"/>",
        LEFT + span
    ));
    for m in &marks {
        let x = LEFT + m / max * span;
        svg.push_str(&format!(
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{base:.1}\" y2=\"{:.1}\" class=\"axis\"/><text x=\"{x:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"middle\">{}</text>",
            base + 4.0,
            base + 17.0,
            askama_escape(&shown(Some(*m), ""))
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"end\">单位：{}</text>",
        LEFT + span,
        base + 31.0,
        askama_escape(&t.unit)
    ));
    svg.push_str("</svg>");
    svg
}

/// The cumulative figure month by month against the time-progress line
/// (from nothing at the plan's start to the goal at its end), on labelled
/// axes with a legend of the lines drawn.
fn line(t: &TargetBoard, points: &[(NaiveDate, Option<f64>)], start: NaiveDate, end: NaiveDate) -> String {
    const W: f64 = 640.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 24.0;
    const TOP: f64 = 30.0;
    const BOTTOM: f64 = 40.0;
    let goal = t.city.goal.unwrap_or(0.0);
    let biggest = points.iter().filter_map(|p| p.1).fold(goal, f64::max).max(1.0);
    let (marks, max) = ticks(biggest);
    let days = (end - start).num_days().max(1) as f64;
    let x = |d: NaiveDate| LEFT + (d - start).num_days() as f64 / days * (W - LEFT - RIGHT);
    let y = |v: f64| H - BOTTOM - v / max * (H - TOP - BOTTOM);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}：逐月累计与时序进度\">",
        askama_escape(&t.name)
    );
    let drawn = points.iter().any(|p| p.1.is_some());
    let mut entries = Vec::new();
    if drawn {
        entries.push(("line", "全市累计完成"));
    }
    if goal > 0.0 {
        entries.push(("due", "时序进度（应达）"));
    }
    if entries.is_empty() {
        entries.push(("line", "暂无数据"));
    }
    legend(&mut svg, LEFT + 60.0, 14.0, &entries);
    // The axes: values on the left with the unit, months along the bottom.
    svg.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" class=\"axis\"/><line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.1}\" class=\"axis\"/>",
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM,
        H - BOTTOM
    ));
    for m in &marks {
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"end\">{}</text><line x1=\"{:.1}\" x2=\"{LEFT}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"axis\"/>",
            LEFT - 6.0,
            y(*m) + 4.0,
            askama_escape(&shown(Some(*m), "")),
            LEFT - 3.0,
            y(*m),
            y(*m)
        ));
    }
    svg.push_str(&format!(
        "<text x=\"4\" y=\"{:.1}\" class=\"chart-label\">单位：{}</text><text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"end\">月份</text>",
        TOP - 10.0,
        askama_escape(&t.unit),
        W - RIGHT,
        H - 4.0
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
    if drawn {
        svg.push_str(&format!(
            "<polyline points=\"{}\" class=\"progress-line\"/>",
            path.join(" ")
        ));
    }
    for (i, (d, v)) in points.iter().enumerate() {
        if let Some(v) = v {
            // The last point is the day's figure.
            let key = if i + 1 == points.len() {
                format!(" data-figure=\"{}@{}\"", askama_escape(&t.id), t.city.region.as_i64())
            } else {
                String::new()
            };
            svg.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" class=\"progress-dot\"{key}><title>{}：{}</title></circle>",
                x(*d),
                y(*v),
                d.format("%Y-%m-%d"),
                askama_escape(&shown(Some(*v), &t.unit))
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"middle\">{}月</text>",
            x(*d),
            H - BOTTOM + 16.0,
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
    /// Said when the day asked for (or today) is after the plan period.
    period_over: Option<String>,
}

/// GET /plan/board?as_of=YYYY-MM-DD
pub async fn board(s: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &s.ctx.state;
    let cur = document::current(&st.db).await?;
    let p = &cur.plan;
    let today = st.clock.today();
    let default = indicators::default_day(p, today);
    let typed = q.get("as_of").map(|v| v.trim().to_string()).unwrap_or_default();
    let (asked, error) = if typed.is_empty() {
        (today, None)
    } else {
        match record::parse_date(&typed) {
            Some(d) => (d, None),
            None => (
                today,
                Some(format!(
                    "日期“{}”格式不正确，应为“年-月-日”，如 2023-09-30；已按{}显示。",
                    typed.chars().take(20).collect::<String>(),
                    if default == today { "今天" } else { "计划期末" }
                )),
            ),
        }
    };
    // The figures are those of the plan period: a later day shows its end.
    let as_of = if typed.is_empty() || error.is_some() {
        default
    } else {
        p.figure_day(asked)
    };
    let period_over = (asked > p.meta.end).then(|| {
        format!(
            "计划期已于{}结束，以下为计划期末的完成情况（截至{}）。",
            p.meta.end.format("%Y年%-m月%-d日"),
            p.meta.end.format("%Y年%-m月%-d日")
        )
    });
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
    let lines = indicators::board_lines(&st.db, p, as_of)
        .await?
        .iter()
        .filter_map(|(id, points)| {
            let t = targets.iter().find(|t| t.id == *id)?;
            Some(Chart {
                title: format!("{}：全市逐月累计（{}）", t.name, t.unit),
                svg: line(t, points, p.meta.start, p.meta.end),
            })
        })
        .collect();
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
        period_over,
    }))
}

/// How a source of a target reads: its kind and conditions (就业：就业形式为就近就业).
fn source_text(source: &shiminhua_core::plan::Source) -> String {
    let kind = source.kind.label_zh().to_string();
    let spec = shiminhua_core::plan::source_spec(source.kind);
    let label = |key: &str| {
        spec.and_then(|s| s.field(key))
            .map(|f| f.label.to_string())
            .unwrap_or_else(|| key.to_string())
    };
    let mut conds: Vec<String> = source
        .filters
        .iter()
        .map(|f| match &f.test {
            Test::In(v) => format!("{}为{}", label(f.field), v.join("或")),
            Test::NotIn(v) => format!("{}不是{}", label(f.field), v.join("或")),
            Test::Present(true) => format!("已填写{}", label(f.field)),
            Test::Present(false) => format!("未填写{}", label(f.field)),
        })
        .collect();
    if let Some(when) = &source.family {
        let w: Vec<String> = when
            .iter()
            .map(|f| match &f.test {
                Test::In(v) => format!("{}为{}", label(f.field), v.join("或")),
                _ => label(f.field),
            })
            .collect();
        conds.push(if w.is_empty() {
            "本人及其随迁家属".to_string()
        } else {
            format!("{}的含随迁家属", w.join("、"))
        });
    }
    if conds.is_empty() {
        kind
    } else {
        format!("{kind}（{}）", conds.join("，"))
    }
}

/// A counted record as listed.
pub struct FigureRecord {
    pub href: String,
    pub text: String,
}

/// A person (or a worker's records) as listed.
pub struct FigureRow {
    pub no: usize,
    pub worker_href: String,
    pub name: String,
    pub adds: String,
    pub family: String,
    pub records: Vec<FigureRecord>,
}

/// A part of a figure (a ratio has two) with its drill-down link.
pub struct FigurePart {
    pub label: String,
    pub total: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "board_figure.html")]
struct FigureTpl {
    layout: Layout,
    title: String,
    as_of_label: String,
    period_over: Option<String>,
    parts: Vec<FigurePart>,
    /// The part listed: what it counts and its total.
    counts: String,
    total: String,
    total_unit: String,
    sources: Vec<String>,
    /// Read whole: the sources show what each adds; else their conditions.
    whole: bool,
    family: Option<String>,
    rows: Vec<FigureRow>,
    hidden: usize,
    /// Read a page at a time for a reader whose scope may leave people out.
    partial: bool,
    per_page: usize,
    prev: String,
    next: String,
    page_label: String,
    board: String,
}

/// People listed on a page of a drill-down.
const FIGURE_PAGE: usize = 50;

/// GET /plan/board/figure?target=ID&region=CODE&as_of=YYYY-MM-DD[&part=1][&page=N]
/// — the people (or records) a computed figure counts; the count is the
/// figure.
pub async fn figure(s: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    use shiminhua_app::AppError;
    use shiminhua_app::plan::drill;
    use shiminhua_core::division::DivisionCode;
    let st = &s.ctx.state;
    let cur = document::current(&st.db).await?;
    let p = &cur.plan;
    let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let id = get("target");
    if id.is_empty() {
        return Ok(axum::response::Redirect::to("/plan/board").into_response());
    }
    let Some(target) = p.target(&id) else {
        return Err(AppError::BadRequest(format!(
            "目标“{}”不在目标计划中。",
            id.chars().take(40).collect::<String>()
        ))
        .into());
    };
    let region_text = get("region");
    let region = if region_text.is_empty() {
        p.meta.region
    } else {
        match DivisionCode::parse(&region_text) {
            Ok(r) if p.meta.region.contains(r) => r,
            _ => {
                return Err(AppError::BadRequest(format!(
                    "区划“{}”无效或不在{}范围内。",
                    region_text.chars().take(20).collect::<String>(),
                    "本计划"
                ))
                .into());
            }
        }
    };
    let day_text = get("as_of");
    let asked = if day_text.is_empty() {
        indicators::default_day(p, st.clock.today())
    } else {
        record::parse_date(&day_text).ok_or_else(|| {
            AppError::BadRequest(format!(
                "日期“{}”格式不正确，应为“年-月-日”，如 2023-09-30。",
                day_text.chars().take(20).collect::<String>()
            ))
        })?
    };
    let part: i64 = match get("part").as_str() {
        "" | "0" => 0,
        "1" => 1,
        _ => return Err(AppError::BadRequest("part 只能是 0（分子）或 1（分母）。".into()).into()),
    };
    let page: usize = get("page").parse().unwrap_or(1).max(1);
    let ratio = matches!(target.measurement, Measurement::Computed(PlanQuery::Ratio { .. }));
    let Some(d) = drill::drill_page(&st.db, &s.actor, p, &id, part, region, asked, page, FIGURE_PAGE).await? else {
        return Err(AppError::BadRequest(format!(
            "“{}”不是由业务记录自动计算的目标，没有可列出的记录。",
            target.name
        ))
        .into());
    };
    // The page shown (a page past the end of a figure read whole shows its last).
    let page = (d.first_no - 1) / FIGURE_PAGE + 1;
    let tally = drill::tally_of(p, &id, part).ok_or(AppError::NotFound)?;
    let mut tx = st.db.read().await?;
    let book = shiminhua_app::regions::PlaceBook::load(&mut tx).await?;
    drop(tx);
    let region_name = book.name(region.as_i64()).to_string();
    let unit_of = |t: &shiminhua_core::plan::Tally, family: bool| -> String {
        if family || matches!(t.aggregate, shiminhua_core::plan::Aggregate::CountDistinct(_)) {
            "人".into()
        } else if let shiminhua_core::plan::Aggregate::Sum(_) = t.aggregate {
            if ratio { String::new() } else { target.unit.clone() }
        } else if ratio {
            "条记录".into()
        } else {
            target.unit.clone()
        }
    };
    let total_unit = unit_of(tally, tally.counts_family());
    let figure_total = |n: i64, unit: &str| shown(Some(n as f64), unit);
    let mut parts = Vec::new();
    if ratio {
        for (k, label) in [(0i64, "分子"), (1, "分母")] {
            let Some(t) = drill::tally_of(p, &id, k) else { continue };
            // The other part's total is its figure (the page lists one part).
            let total = if k == part {
                d.total
            } else {
                let outcome = indicators::figure(&mut st.db.read().await?, p, &id, region, asked).await?;
                outcome
                    .and_then(|o| if k == 0 { Some(o.value) } else { o.base })
                    .unwrap_or_default()
            };
            parts.push(FigurePart {
                label: format!(
                    "{label}：{}",
                    t.from.iter().map(source_text).collect::<Vec<_>>().join("；")
                ),
                total: figure_total(total, &unit_of(t, t.counts_family())),
                href: figure_link(&id, k, region.as_i64(), d.as_of),
                current: k == part,
            });
        }
    }
    let sources: Vec<String> = match &d.whole {
        Some(whole) => tally
            .from
            .iter()
            .zip(&whole.sources)
            .map(|(src, share)| {
                format!(
                    "{}：{} 条记录，{} 人",
                    source_text(src),
                    shown(Some(share.records as f64), ""),
                    shown(Some(share.people as f64), "")
                )
            })
            .collect(),
        None => tally.from.iter().map(source_text).collect(),
    };
    let rows = d
        .people
        .iter()
        .enumerate()
        .map(|(i, person)| FigureRow {
            no: d.first_no + i,
            worker_href: format!("/workers/{}", person.worker),
            name: person.name_masked.clone(),
            adds: shown(Some(person.adds as f64), ""),
            family: {
                let f: i64 = person.records.iter().map(|r| r.family).sum();
                if f > 0 { format!("{f}") } else { String::new() }
            },
            records: person
                .records
                .iter()
                .map(|r| FigureRecord {
                    href: format!("/records/{}", r.id),
                    text: format!(
                        "{}{}（{}）",
                        r.kind.label_zh(),
                        r.date.map(|d| format!(" {d}")).unwrap_or_default(),
                        book.name(r.region.as_i64())
                    ),
                })
                .collect(),
        })
        .collect();
    // Read a page at a time, the people the reader does not see are not
    // counted apart: the page says so where there may be some.
    let (hidden, partial) = (d.whole.as_ref().map_or(0, |w| w.hidden), d.partial);
    let page_label = match &d.whole {
        Some(whole) => format!("第 {page}/{} 页", whole.pages),
        None => format!("第 {page} 页"),
    };
    let link_page = |n: usize| {
        let mut href = figure_link(&id, part, region.as_i64(), d.as_of);
        href.push_str(&format!("&page={n}"));
        href
    };
    let counts = if d.by_person {
        "按人计，一人只计一次；列出其计入的每条记录".to_string()
    } else if tally.counts_family() {
        "按人计：本人及随其计入的随迁家属".to_string()
    } else if d.sum_of.is_some() {
        "各条记录的数额之和".to_string()
    } else {
        "每条记录计一次（人次）".to_string()
    };
    Ok(html(&FigureTpl {
        layout: Layout::new(&s.ctx, Some(&s.actor), format!("{}：{region_name}", target.name))
            .crumb("目标督办", "")
            .crumb("目标进度", "/plan/board")
            .crumb(target.name.clone(), ""),
        title: format!("{}：{region_name}", target.name),
        as_of_label: d.as_of.format("%Y年%-m月%-d日").to_string(),
        period_over: (asked > p.meta.end).then(|| {
            format!(
                "计划期已于{}结束，以下为计划期末的完成情况。",
                p.meta.end.format("%Y年%-m月%-d日")
            )
        }),
        parts,
        counts,
        total: figure_total(d.total, ""),
        total_unit,
        sources,
        whole: d.whole.is_some(),
        family: d
            .whole
            .as_ref()
            .filter(|w| w.family > 0)
            .map(|w| format!("其中随迁家属 {} 人", shown(Some(w.family as f64), ""))),
        rows,
        hidden,
        partial,
        per_page: FIGURE_PAGE,
        prev: if page > 1 { link_page(page - 1) } else { String::new() },
        next: if d.more { link_page(page + 1) } else { String::new() },
        page_label,
        board: format!("/plan/board?as_of={}", d.as_of),
    }))
}
