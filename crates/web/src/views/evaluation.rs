//! 市民化情况评估: the year-end score sheet per county, as a printable A4
//! report (cover, ranking with a chart of county totals, each target's
//! completion, the city's and each county's sheet, the units' summaries)
//! and as a workbook.

use super::{html, xlsx_download};
use crate::error::WebError;
use crate::extract::{Need, ViewDashboard};
use crate::layout::Layout;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::NaiveDate;
use shiminhua_app::plan::evaluation::{self, Evaluation, Scored, TargetInfo, UnitSummary};
use shiminhua_app::{AppError, plan::document};
use shiminhua_core::evaluation::State;
use shiminhua_core::plan::Plan;
use shiminhua_core::record;
use std::collections::HashMap;

/// The day asked for (`as_of`), the plan's end by default; a date that does
/// not read is answered with the message and the text typed.
fn as_of_of(q: &HashMap<String, String>, p: &Plan) -> (NaiveDate, String, Option<String>) {
    let typed = q.get("as_of").map(|v| v.trim().to_string()).unwrap_or_default();
    if typed.is_empty() {
        return (p.meta.end, p.meta.end.to_string(), None);
    }
    match record::parse_date(&typed) {
        Some(d) => (d, d.to_string(), None),
        None => {
            let shown: String = typed.chars().take(20).collect();
            let msg = format!(
                "日期“{shown}”格式不正确，应为“年-月-日”，如 2023-12-31；已按计划期结束日（{}）评估。",
                p.meta.end
            );
            (p.meta.end, shown, Some(msg))
        }
    }
}

fn date_label(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Colours of the marks, as SVG fills (the page's stylesheet may not style
/// inline SVG in print).
fn fill(state: State) -> &'static str {
    match state {
        State::Reached => "#1e7b3a",
        State::Partial => "#9a6200",
        State::NoData | State::NotScored(_) => "#c5ccd3",
    }
}

/// Bars of the counties' totals against the full score.
fn totals_chart(e: &Evaluation) -> String {
    const W: f64 = 640.0;
    const ROW: f64 = 30.0;
    const LEFT: f64 = 72.0;
    const RIGHT: f64 = 110.0;
    let full = e.total.as_f64().max(1.0);
    let h = ROW * e.counties.len() as f64 + 30.0;
    let span = W - LEFT - RIGHT;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" role=\"img\" aria-label=\"各区县评估得分\">"
    );
    for (i, c) in e.counties.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let width = (c.sheet.total.as_f64() / full * span).clamp(0.0, span);
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\" font-size=\"13\" fill=\"#1d2329\">{}</text>\
             <rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{span:.1}\" height=\"{:.1}\" fill=\"#f4f6f8\" stroke=\"#c5ccd3\"/>\
             <rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"#1f4e8c\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" fill=\"#1d2329\">{}分（第{}名）</text>",
            y + ROW * 0.6,
            escape(&c.name),
            ROW - 10.0,
            ROW - 10.0,
            LEFT + span + 6.0,
            y + ROW * 0.6,
            c.sheet.total,
            c.sheet.rank.unwrap_or_default(),
        ));
    }
    // The scale: 0, half and full marks.
    let base = 4.0 + ROW * e.counties.len() as f64;
    for (k, label) in [
        (0.0, "0".to_string()),
        (0.5, format!("{:.0}", full / 2.0)),
        (1.0, format!("{:.0}", full)),
    ] {
        let x = LEFT + span * k;
        svg.push_str(&format!(
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{base:.1}\" y2=\"{:.1}\" stroke=\"#5b6670\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6670\">{label}</text>",
            base + 4.0,
            base + 16.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The city's completion of each target (0–100 %, longer bars capped),
/// coloured by how it scored.
fn completion_chart(e: &Evaluation) -> String {
    const W: f64 = 640.0;
    const ROW: f64 = 24.0;
    const LEFT: f64 = 250.0;
    const RIGHT: f64 = 120.0;
    let span = W - LEFT - RIGHT;
    let h = ROW * e.targets.len() as f64 + 8.0;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" role=\"img\" aria-label=\"全市各目标完成率\">"
    );
    for (i, (t, l)) in e.targets.iter().zip(&e.city.sheet.lines).enumerate() {
        let y = 4.0 + ROW * i as f64;
        let share = match l.state {
            State::Reached => 1.0,
            _ => l.rate.map_or(0.0, |r| (r / 100.0).clamp(0.0, 1.0)),
        };
        let label = match l.state {
            State::NoData => "暂无数据".to_string(),
            State::Reached if l.rate.is_none() => "达到".to_string(),
            _ => l.rate.map_or_else(|| "—".into(), |r| format!("{r:.1}%")),
        };
        // Without a figure: no bar, not even its track; the label says so.
        if l.state == State::NoData {
            svg.push_str(&format!(
                "<text x=\"0\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2329\">{}</text>\
                 <text x=\"{LEFT}\" y=\"{:.1}\" font-size=\"12\" fill=\"#5b6670\">{}</text>",
                y + ROW * 0.6,
                escape(&t.name.chars().take(18).collect::<String>()),
                y + ROW * 0.6,
                escape(&label),
            ));
            continue;
        }
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2329\">{}</text>\
             <rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{span:.1}\" height=\"{:.1}\" fill=\"#f4f6f8\" stroke=\"#c5ccd3\"/>\
             <rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2329\">{}</text>",
            y + ROW * 0.6,
            escape(&t.name.chars().take(18).collect::<String>()),
            ROW - 8.0,
            share * span,
            ROW - 8.0,
            fill(l.state),
            LEFT + span + 6.0,
            y + ROW * 0.6,
            escape(&label),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A line of a sheet as shown.
pub struct LineRow {
    pub no: usize,
    /// `target@region`, naming the figure on the page.
    pub key: String,
    pub name: String,
    pub goal: String,
    pub figure: String,
    pub rate: String,
    pub weight: String,
    pub score: String,
    pub remark: String,
    pub css: &'static str,
}

/// A region's sheet as shown.
pub struct SheetView {
    pub name: String,
    pub total: String,
    pub full: String,
    pub rank: String,
    pub lines: Vec<LineRow>,
}

fn sheet_view(s: &Scored, targets: &[TargetInfo]) -> SheetView {
    let lines = targets
        .iter()
        .zip(&s.sheet.lines)
        .enumerate()
        .map(|(i, (t, l))| {
            let scored = !matches!(l.state, State::NotScored(_));
            LineRow {
                no: i + 1,
                key: format!("{}@{}", t.id, s.sheet.region.as_i64()),
                name: t.name.clone(),
                goal: evaluation::goal_text(l.goal, t),
                figure: evaluation::figure_text(l, t),
                rate: evaluation::rate_text(l),
                weight: if scored { l.weight.to_string() } else { "—".into() },
                score: if scored {
                    l.score.to_string()
                } else {
                    "不评分".into()
                },
                remark: evaluation::remark(l),
                css: l.state.css(),
            }
        })
        .collect();
    SheetView {
        name: s.name.clone(),
        total: s.sheet.total.to_string(),
        full: s.sheet.full.trimmed(),
        rank: s.sheet.rank.map(|k| format!("全市各区县第{k}名")).unwrap_or_default(),
        lines,
    }
}

/// A county's place in the ranking.
pub struct RankRow {
    pub rank: String,
    pub name: String,
    pub total: String,
    pub reached: usize,
    pub scored: usize,
}

/// A target's row of the county-by-county score table.
pub struct MatrixRow {
    pub name: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "evaluation.html")]
struct EvaluationTpl {
    layout: Layout,
    as_of: String,
    as_of_label: String,
    made_label: String,
    plan_title: String,
    issuer: String,
    error: Option<String>,
    no_rules: Option<&'static str>,
    rules: Vec<String>,
    full: String,
    ranking: Vec<RankRow>,
    heads: Vec<String>,
    matrix: Vec<MatrixRow>,
    totals_svg: String,
    completion_svg: String,
    sheets: Vec<SheetView>,
    summaries: Vec<UnitSummary>,
    export: String,
}

/// GET /plan/evaluation?as_of=YYYY-MM-DD
pub async fn page(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let cur = document::current(&st.db).await?;
    let p = &cur.plan;
    let (asked, typed, error) = as_of_of(&q, p);
    // The figures of a later day are those of the plan's end: so is the label.
    let as_of = p.figure_day(asked);
    let layout = Layout::new(&n.ctx, Some(&n.actor), "市民化情况评估")
        .crumb("目标督办", "")
        .crumb("市民化情况评估", "");
    let mut tpl = EvaluationTpl {
        layout,
        as_of: typed,
        as_of_label: date_label(as_of),
        made_label: date_label(st.clock.today()),
        plan_title: p.meta.title.clone(),
        issuer: p.meta.issuer.clone(),
        error,
        no_rules: None,
        rules: Vec::new(),
        full: String::new(),
        ranking: Vec::new(),
        heads: Vec::new(),
        matrix: Vec::new(),
        totals_svg: String::new(),
        completion_svg: String::new(),
        sheets: Vec::new(),
        summaries: Vec::new(),
        export: format!("/plan/evaluation/export?as_of={as_of}"),
    };
    if p.scoring.is_none() {
        tpl.no_rules = Some(evaluation::NO_RULES);
        return Ok(html(&tpl));
    }
    let e = evaluation::evaluate(&st.db, p, as_of).await?;
    let mut ranking: Vec<RankRow> = e
        .counties
        .iter()
        .map(|c| RankRow {
            rank: c.sheet.rank.map(|k| k.to_string()).unwrap_or_default(),
            name: c.name.clone(),
            total: c.sheet.total.to_string(),
            reached: c.sheet.reached(),
            scored: c.sheet.scored(),
        })
        .collect();
    ranking.sort_by_key(|r| r.rank.parse::<u32>().unwrap_or(u32::MAX));
    let regions: Vec<&Scored> = std::iter::once(&e.city).chain(&e.counties).collect();
    tpl.heads = regions.iter().map(|r| r.name.clone()).collect();
    tpl.matrix = e
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| MatrixRow {
            name: t.name.clone(),
            cells: regions
                .iter()
                .map(|r| match r.sheet.lines.get(i) {
                    Some(l) if matches!(l.state, State::NotScored(_)) => "—".to_string(),
                    Some(l) => l.score.to_string(),
                    None => String::new(),
                })
                .collect(),
        })
        .collect();
    tpl.matrix.push(MatrixRow {
        name: "合计".into(),
        cells: regions.iter().map(|r| r.sheet.total.to_string()).collect(),
    });
    tpl.rules = evaluation::rules_text(&e);
    tpl.full = e.total.trimmed();
    tpl.ranking = ranking;
    tpl.totals_svg = totals_chart(&e);
    tpl.completion_svg = completion_chart(&e);
    tpl.sheets = regions.iter().map(|r| sheet_view(r, &e.targets)).collect();
    tpl.summaries = e.summaries.clone();
    Ok(html(&tpl))
}

/// GET /plan/evaluation/export?as_of=YYYY-MM-DD — the workbook (audited).
pub async fn export(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let cur = document::current(&n.ctx.state.db).await?;
    let p = &cur.plan;
    let (as_of, _, error) = as_of_of(&q, p);
    if let Some(msg) = error {
        return Err(AppError::BadRequest(msg).into());
    }
    let call = n.ctx.call(&n.actor);
    let (_, bytes) = evaluation::export(&call, p, as_of).await?;
    Ok(xlsx_download(
        bytes,
        &format!("市民化情况评估-{}.xlsx", as_of.format("%Y%m%d")),
    ))
}
