//! The workbook of the statistics and the clearance, and its export.

use super::clearance::{Clearance, clearance};
use super::period::{CasePeriod, date_label, point_label};
use super::stats::{CaseStats, Line, stats};
use crate::Call;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::xlsx::safe;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};

fn err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

fn print_setup(ws: &mut Worksheet, title: &str) -> AppResult<()> {
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_header(format!("&C&\"宋体,Bold\"{}", title.replace('&', "&&")));
    ws.set_footer("&C第 &P 页，共 &N 页");
    ws.set_repeat_rows(0, 0).map_err(err)?;
    ws.set_freeze_panes(1, 1).map_err(err)?;
    Ok(())
}

struct Formats {
    head: Format,
    text: Format,
    int: Format,
    money: Format,
    pct: Format,
    days: Format,
    dash: Format,
}

fn formats() -> Formats {
    let cell = Format::new().set_border(FormatBorder::Thin);
    Formats {
        head: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin)
            .set_background_color("DDE7F3"),
        text: cell.clone().set_text_wrap(),
        int: cell.clone().set_num_format("#,##0"),
        money: cell.clone().set_num_format("#,##0.00"),
        pct: cell.clone().set_num_format("0.0"),
        days: cell.clone().set_num_format("0.0"),
        dash: cell.set_align(FormatAlign::Center),
    }
}

fn opt_number(ws: &mut Worksheet, row: u32, col: u16, v: Option<f64>, f: &Format, dash: &Format) -> AppResult<()> {
    match v {
        Some(x) => ws.write_number_with_format(row, col, x, f).map_err(err)?,
        None => ws.write_string_with_format(row, col, "—", dash).map_err(err)?,
    };
    Ok(())
}

/// The columns of a table of lines (the days only for counties).
const LINE_HEADS: [&str; 14] = [
    "案件数",
    "未结案",
    "其中逾期",
    "已结案",
    "按期结案",
    "按期结案率（%）",
    "反映欠薪金额（元）",
    "办结案件反映金额（元）",
    "追回金额（元）",
    "追回率（%）",
    "涉及人数",
    "办结案件涉及人数",
    "已支付人数",
    "支付人数占比（%）",
];

fn line_sheet(
    wb: &mut Workbook,
    f: &Formats,
    name: &str,
    first: &str,
    lines: &[&Line],
    days: bool,
    title: &str,
) -> AppResult<()> {
    let ws = wb.add_worksheet();
    ws.set_name(name).map_err(err)?;
    let mut heads: Vec<&str> = vec![first];
    heads.extend(LINE_HEADS);
    if days {
        heads.extend(["平均办理工作日", "办理工作日中位数", "未计入工作日的件数"]);
    }
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.head).map_err(err)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string_with_format(r, 0, safe(&l.label), &f.text)
            .map_err(err)?;
        let ints = [l.cases, l.open, l.overdue, l.ended, l.in_time];
        for (k, n) in ints.iter().enumerate() {
            ws.write_number_with_format(r, 1 + k as u16, *n as f64, &f.int)
                .map_err(err)?;
        }
        opt_number(ws, r, 6, l.in_time_share(), &f.pct, &f.dash)?;
        ws.write_number_with_format(r, 7, yuan(l.claimed_fen), &f.money)
            .map_err(err)?;
        ws.write_number_with_format(r, 8, yuan(l.concluded_claimed_fen), &f.money)
            .map_err(err)?;
        ws.write_number_with_format(r, 9, yuan(l.recovered_fen), &f.money)
            .map_err(err)?;
        opt_number(ws, r, 10, l.recovery_share(), &f.pct, &f.dash)?;
        for (k, n) in [l.workers, l.concluded_workers, l.workers_paid].iter().enumerate() {
            ws.write_number_with_format(r, 11 + k as u16, *n as f64, &f.int)
                .map_err(err)?;
        }
        opt_number(ws, r, 14, l.paid_share(), &f.pct, &f.dash)?;
        if days {
            opt_number(ws, r, 15, l.days.average(), &f.days, &f.dash)?;
            opt_number(ws, r, 16, l.days.median, &f.days, &f.dash)?;
            ws.write_number_with_format(r, 17, l.days.uncounted as f64, &f.int)
                .map_err(err)?;
        }
    }
    ws.set_column_width(0, 16).map_err(err)?;
    for c in 1..heads.len() {
        ws.set_column_width(c as u16, 11).map_err(err)?;
    }
    ws.set_row_height(0, 45).map_err(err)?;
    print_setup(ws, title)
}

/// The statistics and the 清零 view as a workbook: 按区县, 按行业, 按来源,
/// 按状态, 欠薪清零, 说明 (A4 landscape, header rows frozen and repeated).
pub fn workbook(s: &CaseStats, c: &Clearance) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let f = formats();
    let period = s.period.label();
    let counties: Vec<&Line> = s.counties.iter().chain(std::iter::once(&s.total)).collect();
    line_sheet(
        &mut wb,
        &f,
        "按区县",
        "区县",
        &counties,
        true,
        &format!("欠薪案件统计（按区县，{period}收到）"),
    )?;
    let sectors: Vec<&Line> = s.sectors.iter().chain(std::iter::once(&s.total)).collect();
    line_sheet(
        &mut wb,
        &f,
        "按行业",
        "行业",
        &sectors,
        false,
        &format!("欠薪案件统计（按行业，{period}收到）"),
    )?;
    let sources: Vec<&Line> = s.sources.iter().chain(std::iter::once(&s.total)).collect();
    line_sheet(
        &mut wb,
        &f,
        "按来源",
        "线索来源",
        &sources,
        false,
        &format!("欠薪案件统计（按来源，{period}收到）"),
    )?;
    let statuses: Vec<&Line> = s.statuses.iter().chain(std::iter::once(&s.total)).collect();
    line_sheet(
        &mut wb,
        &f,
        "按状态",
        "案件状态",
        &statuses,
        false,
        &format!("欠薪案件统计（按状态，{period}收到）"),
    )?;

    // 欠薪清零
    {
        let ws = wb.add_worksheet();
        ws.set_name("欠薪清零").map_err(err)?;
        let mut heads: Vec<String> = [
            "区县",
            "未结案",
            "登记",
            "受理",
            "调查处理",
            "其中逾期",
            "最早收到日期",
            "是否清零",
            "未发工资预警",
        ]
        .map(String::from)
        .to_vec();
        heads.extend(c.months.iter().map(|m| format!("{}未结案", point_label(*m))));
        for (k, h) in heads.iter().enumerate() {
            ws.write_string_with_format(0, k as u16, h, &f.head).map_err(err)?;
        }
        for (i, l) in c.counties.iter().chain(std::iter::once(&c.total)).enumerate() {
            let r = 1 + i as u32;
            ws.write_string_with_format(r, 0, safe(&l.label), &f.text)
                .map_err(err)?;
            for (k, n) in [l.open, l.registered, l.accepted, l.investigating, l.overdue]
                .iter()
                .enumerate()
            {
                ws.write_number_with_format(r, 1 + k as u16, *n as f64, &f.int)
                    .map_err(err)?;
            }
            let oldest = l.oldest.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
            ws.write_string_with_format(r, 6, oldest, &f.dash).map_err(err)?;
            ws.write_string_with_format(r, 7, if l.cleared() { "已清零" } else { "未清零" }, &f.dash)
                .map_err(err)?;
            ws.write_number_with_format(r, 8, l.warnings as f64, &f.int)
                .map_err(err)?;
            for (k, n) in l.series.iter().enumerate() {
                ws.write_number_with_format(r, 9 + k as u16, *n as f64, &f.int)
                    .map_err(err)?;
            }
        }
        ws.set_column_width(0, 16).map_err(err)?;
        ws.set_column_width(6, 13).map_err(err)?;
        ws.set_row_height(0, 45).map_err(err)?;
        print_setup(ws, &format!("欠薪清零（截至{}）", date_label(c.today)))?;
    }

    // 说明
    {
        let ws = wb.add_worksheet();
        ws.set_name("说明").map_err(err)?;
        ws.set_column_width(0, 110).map_err(err)?;
        let mut notes = vec![
            format!("统计范围：{period}收到的欠薪线索/案件（本人数据范围内），逾期按{}判断。", date_label(s.today)),
            "未结案：处于登记、受理、调查处理状态；其中逾期：当前办理期限早于统计日。".to_string(),
            "已结案：办结、不予受理、移送仲裁、移送公安（含其后已回访）。".to_string(),
            "按期结案：不予受理的，结案日不晚于受理期限；其他结案方式，结案日不晚于当时的办理期限（延期的按延期后期限）。"
                .to_string(),
            "追回率：追回金额占办结案件反映金额的比例；支付人数占比：已支付人数占办结案件涉及人数的比例。".to_string(),
            "办理工作日：从收到之日的次日起至结案之日，按节假日安排计算的工作日数；所跨年份节假日安排未载入的案件不计入平均值和中位数。"
                .to_string(),
            "欠薪清零：全部未结案案件（不限收到日期）且无未解除的未发工资预警（工资支付监控中有考勤未发工资、工资未按时发放、低于最低工资标准的预警；已转为欠薪线索的按案件计）；月末未结案：该日已收到且尚未结案的案件数。".to_string(),
        ];
        if !s.missing_years.is_empty() {
            let years: Vec<String> = s.missing_years.iter().map(|y| format!("{y}年")).collect();
            notes.push(format!(
                "{}的节假日安排尚未载入，相关案件未计入办理工作日。",
                years.join("、")
            ));
        }
        for (i, n) in notes.iter().enumerate() {
            ws.write_string_with_format(i as u32, 0, n, &f.text).map_err(err)?;
        }
    }
    wb.save_to_buffer().map_err(err)
}

/// The statistics of `period` and the 清零 view as a workbook, the export
/// recorded in the audit trail (`case.stats_export`).
pub async fn export(call: &Call<'_>, period: CasePeriod) -> AppResult<Vec<u8>> {
    let s = stats(call, period).await?;
    let c = clearance(call, period).await?;
    let bytes = workbook(&s, &c)?;
    let mut tx = call.db.write().await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(
            "case.stats_export",
            "case_stats",
            format!("{}..{}", period.from, period.to),
        )
        .detail(format!(
            "from={}; to={}; cases={}; open={}",
            period.from, period.to, s.total.cases, c.total.open
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(bytes)
}
