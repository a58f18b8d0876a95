//! 市民化情况评估: the year-end evaluation. The board's figures as of a day
//! (`indicators::board`), scored for the city and every county by the
//! plan's scoring rules (`shiminhua_core::evaluation`), with the units' own
//! work summaries; written out as a workbook (总表, one sheet per county,
//! 单位工作总结, 评分说明).

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::plan::indicators::{self, Standing, TargetBoard};
use crate::store::Db;
use crate::xlsx::safe;
use crate::{Call, require};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};
use shiminhua_core::auth::Permission;
use shiminhua_core::evaluation::{self, Goal, Line, Points, Region, Sheet, State};
use shiminhua_core::plan::{Comparison, MONEY_UNITS, Measurement, Plan, Query};

/// A unit's own summary of its work (工作总结) for a period, as accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitSummary {
    /// The unit's name as shown (市人力资源社会保障局).
    pub unit: String,
    /// The period it covers (2023年第四季度, 2023年).
    pub period: String,
    pub text: String,
}

/// What the sheets' lines are about: the targets with points, in the
/// plan's order (the lines of every sheet follow it).
#[derive(Clone, Debug)]
pub struct TargetInfo {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub comparison: Comparison,
    /// 系统自动计算, or the reporting unit's code.
    pub reporter: Option<String>,
}

/// One region's sheet with its name.
#[derive(Clone, Debug)]
pub struct Scored {
    pub name: String,
    pub sheet: Sheet,
}

/// The evaluation as of a day.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub as_of: NaiveDate,
    pub plan_title: String,
    pub issuer: String,
    /// The rules' total (满分).
    pub total: Points,
    pub note: Option<String>,
    pub about_tolerance: u32,
    pub targets: Vec<TargetInfo>,
    pub city: Scored,
    /// In the order of their division codes, ranked.
    pub counties: Vec<Scored>,
    pub summaries: Vec<UnitSummary>,
}

/// Shown when the plan has no scoring rules.
pub const NO_RULES: &str =
    "目标计划中没有评分规则（[evaluation]），无法生成市民化情况评估。请专班办公室在“目标与举措”中补充各目标的分值。";

/// A target's figure in its own unit, from a standing: a money sum is kept
/// in fen and shown in the target's 元/万元/亿元.
fn figure_of(plan: &Plan, t: &TargetBoard, s: &Standing) -> Option<f64> {
    let target = plan.target(&t.id)?;
    if let Measurement::Computed(Query::Tally(tally)) = &target.measurement
        && tally.is_money()
    {
        let fen = MONEY_UNITS.iter().find(|(u, _)| *u == target.unit)?.1;
        return s.outcome.map(|o| o.value as f64 / fen as f64);
    }
    s.actual
}

/// Scores the plan's targets as of `as_of` for the city and each county,
/// with the units' work summaries: the texts of their accepted progress
/// reports (调度报告) for the periods of the plan ending by then.
pub async fn evaluate(db: &Db, plan: &Plan, as_of: NaiveDate) -> AppResult<Evaluation> {
    let summaries = crate::plan::reports::summaries(db, plan.meta.start, as_of.min(plan.meta.end))
        .await?
        .into_iter()
        .map(|r| UnitSummary {
            unit: r.unit_name,
            period: r.period_label,
            text: r.text,
        })
        .collect();
    score(db, plan, as_of, summaries).await
}

async fn score(db: &Db, plan: &Plan, as_of: NaiveDate, summaries: Vec<UnitSummary>) -> AppResult<Evaluation> {
    let rules = plan.scoring.as_ref().ok_or_else(|| AppError::Config(NO_RULES.into()))?;
    let (_, board) = indicators::board(db, plan, as_of).await?;
    let city = evaluation::sheet(plan, Region::City, |id| {
        board
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| figure_of(plan, t, &t.city))
    })
    .ok_or_else(|| AppError::Config(NO_RULES.into()))?;
    let city_name = board.first().map(|t| t.city.region_name.clone()).unwrap_or_default();
    let county_list: Vec<(shiminhua_core::division::DivisionCode, String)> = board
        .first()
        .map(|t| t.counties.iter().map(|c| (c.region, c.region_name.clone())).collect())
        .unwrap_or_default();
    let mut sheets = Vec::with_capacity(county_list.len());
    for (i, (code, _)) in county_list.iter().enumerate() {
        let sheet = evaluation::sheet(plan, Region::County(*code), |id| {
            board
                .iter()
                .find(|t| t.id == id)
                .and_then(|t| t.counties.get(i).map(|s| (t, s)))
                .and_then(|(t, s)| figure_of(plan, t, s))
        })
        .ok_or_else(|| AppError::Config(NO_RULES.into()))?;
        sheets.push(sheet);
    }
    evaluation::rank(&mut sheets);
    let targets = plan
        .targets
        .iter()
        .filter(|t| rules.weight(&t.id).is_some())
        .map(|t| TargetInfo {
            id: t.id.clone(),
            name: t.name.clone(),
            unit: t.unit.clone(),
            comparison: t.comparison,
            reporter: match &t.measurement {
                Measurement::Computed(_) | Measurement::Counted { .. } => None,
                Measurement::Reported { reporter, .. } => Some(reporter.clone()),
            },
        })
        .collect();
    Ok(Evaluation {
        as_of,
        plan_title: plan.meta.title.clone(),
        issuer: plan.meta.issuer.clone(),
        total: city.full,
        note: rules.note.clone(),
        about_tolerance: rules.about_tolerance,
        targets,
        city: Scored {
            name: city_name,
            sheet: city,
        },
        counties: county_list
            .into_iter()
            .zip(sheets)
            .map(|((_, name), sheet)| Scored { name, sheet })
            .collect(),
        summaries,
    })
}

/// The evaluation as a workbook, its export recorded in the audit trail
/// (`evaluation.export`). Needs `ViewDashboard`.
pub async fn export(call: &Call<'_>, plan: &Plan, as_of: NaiveDate) -> AppResult<(Evaluation, Vec<u8>)> {
    require(call.actor, Permission::ViewDashboard)?;
    let e = evaluate(call.db, plan, as_of).await?;
    let bytes = workbook(&e)?;
    let mut tx = call.db.write().await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("evaluation.export", "evaluation", plan.meta.id.clone()).detail(format!(
            "as_of={as_of}; counties={}; city_total={}",
            e.counties.len(),
            e.city.sheet.total
        )),
    )
    .await?;
    tx.commit().await?;
    Ok((e, bytes))
}

// ---------------------------------------------------------------------------
// Text shared by the report and the workbook

/// A figure as shown: whole numbers with thousands separators, ratios and
/// small figures with their decimals, then the unit.
pub fn shown(v: f64, unit: &str) -> String {
    if unit == "%" {
        return format!("{v:.1}%");
    }
    let (int, frac) = if (v - v.round()).abs() < 1e-9 {
        (v.round(), String::new())
    } else {
        let s = format!("{:.2}", v.abs());
        let frac = s.split_once('.').map(|(_, f)| f.trim_end_matches('0').to_string());
        (v.trunc(), frac.map(|f| format!(".{f}")).unwrap_or_default())
    };
    let digits = (int.abs() as i64).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{out}{frac}{unit}", if v < 0.0 { "-" } else { "" })
}

/// The goal as shown: 5,000人（左右）, 1—2家, 不超过…, 有进展.
pub fn goal_text(goal: Option<Goal>, t: &TargetInfo) -> String {
    match goal {
        None => "—".into(),
        Some(Goal::Any) => "有进展即达到".into(),
        Some(Goal::Figure { value, upper }) => match (t.comparison, upper) {
            (Comparison::Between, Some(u)) => format!("{}—{}", shown(value, ""), shown(u, &t.unit)),
            (Comparison::About, _) => format!("{}左右", shown(value, &t.unit)),
            (Comparison::AtMost, _) => format!("不超过{}", shown(value, &t.unit)),
            _ => shown(value, &t.unit),
        },
    }
}

/// The figure of a line as shown (— without one).
pub fn figure_text(l: &Line, t: &TargetInfo) -> String {
    l.figure.map_or_else(|| "—".into(), |f| shown(f, &t.unit))
}

/// The completion rate as shown (— where it means nothing).
pub fn rate_text(l: &Line) -> String {
    l.rate.map_or_else(|| "—".into(), |r| format!("{r:.1}%"))
}

/// What to say about a line: reached, partly, or why not scored.
pub fn remark(l: &Line) -> String {
    match l.state {
        State::Reached => "达到目标，得满分".into(),
        State::Partial => "未达到目标，按完成比例得分".into(),
        State::NoData | State::NotScored(_) => l.reason.clone(),
    }
}

/// How the rules read, one sentence each (the report's 评分说明).
pub fn rules_text(e: &Evaluation) -> Vec<String> {
    let mut out = vec![
        format!(
            "评估满分{}分，各目标的分值见评分表；达到目标得满分，未达到的按完成比例得分，最多得该目标的分值。",
            e.total.trimmed()
        ),
        format!(
            "“左右”类目标完成目标值的{}%即为达到；区间类目标达到下限即为达到；“不超过”类目标不超过目标值即为达到，超过的按目标值与完成值之比得分；没有具体数字的目标有进展即为达到。",
            100 - e.about_tolerance.min(100)
        ),
        "区县的目标：已分解到区县的按分解任务评分；比例、增长率等水平类目标按全市目标值评分；未分解到区县的累计目标只评全市，区县评分时其分值按比例折算到其余目标，各区县满分相同。".into(),
        "暂无数据（部门尚未填报，或没有可统计的记录）的目标按0分计。".into(),
    ];
    if let Some(n) = &e.note {
        out.push(n.clone());
    }
    out
}

// ---------------------------------------------------------------------------
// The workbook

fn err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// A4 landscape, one page wide, the header rows repeated on every page.
fn print_setup(ws: &mut Worksheet, title: &str, header_rows: u32) -> AppResult<()> {
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_header(format!("&C&\"宋体,Bold\"{}", title.replace('&', "&&")));
    ws.set_footer("&C第 &P 页，共 &N 页");
    ws.set_repeat_rows(0, header_rows.saturating_sub(1)).map_err(err)?;
    ws.set_freeze_panes(header_rows, 0).map_err(err)?;
    Ok(())
}

/// Writes a figure: a number (with the unit's format) or a dash.
fn write_figure(ws: &mut Worksheet, row: u32, col: u16, v: Option<f64>, f: &Format, dash: &Format) -> AppResult<()> {
    match v {
        Some(x) => ws.write_number_with_format(row, col, x, f).map_err(err)?,
        None => ws.write_string_with_format(row, col, "—", dash).map_err(err)?,
    };
    Ok(())
}

/// The workbook: 总表 (counties × targets), 全市 and one sheet per county,
/// 单位工作总结, 评分说明.
pub fn workbook(e: &Evaluation) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("DDE7F3");
    let text = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let dash = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let int = Format::new().set_border(FormatBorder::Thin).set_num_format("#,##0.##");
    let pct = Format::new().set_border(FormatBorder::Thin).set_num_format("0.0");
    let pts = Format::new().set_border(FormatBorder::Thin).set_num_format("0.00");
    let bold_pts = pts.clone().set_bold();
    let num_fmt = |unit: &str| if unit == "%" { &pct } else { &int };
    let date = e.as_of.format("%Y年%-m月%-d日").to_string();

    // 总表
    {
        let ws = wb.add_worksheet();
        ws.set_name("总表").map_err(err)?;
        for (c, h) in ["区县", "总分", "名次"].iter().enumerate() {
            ws.merge_range(0, c as u16, 1, c as u16, h, &head).map_err(err)?;
        }
        for (i, t) in e.targets.iter().enumerate() {
            let c = 3 + 3 * i as u16;
            ws.merge_range(0, c, 0, c + 2, &format!("{}（{}）", t.name, t.unit), &head)
                .map_err(err)?;
            for (k, h) in ["完成值", "目标值", "得分"].iter().enumerate() {
                ws.write_string_with_format(1, c + k as u16, *h, &head).map_err(err)?;
            }
        }
        let rows = e.counties.iter().chain(std::iter::once(&e.city));
        for (r, s) in rows.enumerate() {
            let row = 2 + r as u32;
            ws.write_string_with_format(row, 0, safe(&s.name), &text).map_err(err)?;
            ws.write_number_with_format(row, 1, s.sheet.total.as_f64(), &bold_pts)
                .map_err(err)?;
            match s.sheet.rank {
                Some(k) => ws.write_number_with_format(row, 2, f64::from(k), &dash).map_err(err)?,
                None => ws.write_string_with_format(row, 2, "—", &dash).map_err(err)?,
            };
            for (i, (t, l)) in e.targets.iter().zip(&s.sheet.lines).enumerate() {
                let c = 3 + 3 * i as u16;
                write_figure(ws, row, c, l.figure, num_fmt(&t.unit), &dash)?;
                match l.goal {
                    Some(Goal::Figure { value, .. }) => {
                        ws.write_number_with_format(row, c + 1, value, num_fmt(&t.unit))
                            .map_err(err)?;
                    }
                    other => {
                        ws.write_string_with_format(row, c + 1, goal_text(other, t), &dash)
                            .map_err(err)?;
                    }
                }
                match l.state {
                    State::NotScored(_) => ws.write_string_with_format(row, c + 2, "不评分", &dash).map_err(err)?,
                    _ => ws
                        .write_number_with_format(row, c + 2, l.score.as_f64(), &pts)
                        .map_err(err)?,
                };
            }
        }
        ws.set_column_width(0, 10).map_err(err)?;
        ws.set_row_height(0, 48).map_err(err)?;
        for i in 0..e.targets.len() {
            let c = 3 + 3 * i as u16;
            ws.set_column_width(c, 10).map_err(err)?;
            ws.set_column_width(c + 1, 10).map_err(err)?;
            ws.set_column_width(c + 2, 8).map_err(err)?;
        }
        print_setup(ws, &format!("市民化情况评估总表（截至{date}）"), 2)?;
        ws.set_freeze_panes(2, 1).map_err(err)?;
    }

    // 全市 and each county.
    for s in std::iter::once(&e.city).chain(&e.counties) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&s.name)).map_err(err)?;
        let heads = [
            "序号",
            "目标",
            "单位",
            "目标值",
            "完成值",
            "完成率（%）",
            "分值",
            "得分",
            "说明",
        ];
        for (c, h) in heads.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &head).map_err(err)?;
        }
        for (i, (t, l)) in e.targets.iter().zip(&s.sheet.lines).enumerate() {
            let row = 1 + i as u32;
            ws.write_number_with_format(row, 0, (i + 1) as f64, &dash)
                .map_err(err)?;
            ws.write_string_with_format(row, 1, safe(&t.name), &text).map_err(err)?;
            ws.write_string_with_format(row, 2, safe(&t.unit), &dash).map_err(err)?;
            ws.write_string_with_format(row, 3, goal_text(l.goal, t), &text)
                .map_err(err)?;
            write_figure(ws, row, 4, l.figure, num_fmt(&t.unit), &dash)?;
            write_figure(ws, row, 5, l.rate, &pct, &dash)?;
            match l.state {
                State::NotScored(_) => {
                    ws.write_string_with_format(row, 6, "—", &dash).map_err(err)?;
                    ws.write_string_with_format(row, 7, "不评分", &dash).map_err(err)?;
                }
                _ => {
                    ws.write_number_with_format(row, 6, l.weight.as_f64(), &pts)
                        .map_err(err)?;
                    ws.write_number_with_format(row, 7, l.score.as_f64(), &pts)
                        .map_err(err)?;
                }
            }
            ws.write_string_with_format(row, 8, remark(l), &text).map_err(err)?;
        }
        let row = 1 + e.targets.len() as u32;
        ws.merge_range(row, 0, row, 5, "合计", &head).map_err(err)?;
        ws.write_number_with_format(row, 6, s.sheet.full.as_f64(), &bold_pts)
            .map_err(err)?;
        ws.write_number_with_format(row, 7, s.sheet.total.as_f64(), &bold_pts)
            .map_err(err)?;
        let rank = s.sheet.rank.map(|k| format!("全市各区县第{k}名")).unwrap_or_default();
        ws.write_string_with_format(row, 8, rank, &text).map_err(err)?;
        for (c, w) in [6.0, 30.0, 8.0, 16.0, 12.0, 10.0, 8.0, 8.0, 40.0].iter().enumerate() {
            ws.set_column_width(c as u16, *w).map_err(err)?;
        }
        print_setup(ws, &format!("{}市民化情况评分表（截至{date}）", s.name), 1)?;
    }

    // 单位工作总结
    {
        let ws = wb.add_worksheet();
        ws.set_name("单位工作总结").map_err(err)?;
        for (c, h) in ["单位", "报送期", "工作总结"].iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &head).map_err(err)?;
        }
        if e.summaries.is_empty() {
            ws.merge_range(1, 0, 1, 2, "各单位尚未报送工作总结", &text)
                .map_err(err)?;
        }
        for (i, u) in e.summaries.iter().enumerate() {
            let row = 1 + i as u32;
            ws.write_string_with_format(row, 0, safe(&u.unit), &text).map_err(err)?;
            ws.write_string_with_format(row, 1, safe(&u.period), &text)
                .map_err(err)?;
            ws.write_string_with_format(row, 2, clip(safe(&u.text)), &text)
                .map_err(err)?;
        }
        ws.set_column_width(0, 24).map_err(err)?;
        ws.set_column_width(1, 16).map_err(err)?;
        ws.set_column_width(2, 100).map_err(err)?;
        print_setup(ws, &format!("各单位工作总结（截至{date}）"), 1)?;
    }

    // 评分说明
    {
        let ws = wb.add_worksheet();
        ws.set_name("评分说明").map_err(err)?;
        ws.write_string_with_format(0, 0, "评分说明", &head).map_err(err)?;
        let mut lines = vec![format!("《{}》市民化情况评估", e.plan_title), format!("截至{date}")];
        lines.extend(rules_text(e));
        for (i, l) in lines.iter().enumerate() {
            ws.write_string_with_format(1 + i as u32, 0, safe(l), &text)
                .map_err(err)?;
        }
        ws.set_column_width(0, 110).map_err(err)?;
        print_setup(ws, "市民化情况评估评分说明", 1)?;
    }
    wb.save_to_buffer().map_err(err)
}

/// A worksheet name: at most 31 characters, none of []:*?/\.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if clean.is_empty() { "区县".into() } else { clean }
}

/// Cuts text to Excel's 32,767-character cell limit.
fn clip(s: String) -> String {
    const MAX: usize = 32_767;
    let mut units = 0;
    for (i, ch) in s.char_indices() {
        units += ch.len_utf16();
        if units > MAX {
            return s[..i].to_string();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_figures_as_shown() {
        assert_eq!(shown(5200.0, "人"), "5,200人");
        assert_eq!(shown(95.456, "%"), "95.5%");
        assert_eq!(shown(1.5, "亿元"), "1.5亿元");
        assert_eq!(shown(-1234.0, ""), "-1,234");
        assert_eq!(sheet_name("黄山区"), "黄山区");
        assert_eq!(sheet_name("a/b"), "ab");
        assert_eq!(clip("字".repeat(40_000)).chars().count(), 32_767);
    }
}
