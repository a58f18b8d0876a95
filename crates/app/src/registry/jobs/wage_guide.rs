//! The wage guide (工资价位): from the employment records of a year and
//! the year before, per occupation major group and industry section, the
//! count, P10–P90 and mean of the monthly wage. The office computes a year
//! (the figures are kept), and publishes it: cells with fewer records than
//! the minimum size are kept but never shown outside.

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::jobs::occupation::MAJOR_GROUP_NAMES;
use shiminhua_core::jobs::wage_guide::{Cell, cell, published};
use std::collections::HashMap;

/// One cell of a computed guide; `major` 0 and `industry` "" stand for all.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GuideRow {
    pub year: i64,
    pub major: i64,
    pub industry: String,
    pub n: i64,
    pub p10: i64,
    pub p25: i64,
    pub p50: i64,
    pub p75: i64,
    pub p90: i64,
    pub mean: i64,
    pub published: bool,
    pub computed_at: DateTime<Utc>,
    pub computed_by: String,
}

impl GuideRow {
    pub fn major_label(&self) -> &'static str {
        match self.major {
            0 => "全部职业",
            m => usize::try_from(m - 1)
                .ok()
                .and_then(|i| MAJOR_GROUP_NAMES.get(i))
                .copied()
                .unwrap_or(""),
        }
    }

    pub fn industry_label(&self) -> String {
        match self.industry.as_str() {
            "" => "全部行业".into(),
            c => format!("{c} {}", shiminhua_core::field::industry_name(c)),
        }
    }
}

/// Computes the guide of `year` from the employment records that started
/// in that year or the one before, replacing an earlier computation.
/// Returns the number of records used.
pub async fn compute(call: &Call<'_>, year: i32, min_cell: usize) -> AppResult<usize> {
    require(call.actor, Permission::ManagePlan)?;
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year - 1, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(AppError::BadRequest("年份不对".into()));
    };
    let major_of: HashMap<&str, i64> = MAJOR_GROUP_NAMES.iter().zip(1..).map(|(n, i)| (*n, i)).collect();
    let mut cells: HashMap<(i64, String), Vec<i64>> = HashMap::new();
    let mut used = 0usize;
    {
        let mut tx = call.db.read().await?;
        // The pay of each employment record with a wage, kept apart from
        // its data (migration 0037).
        let rows: Vec<(i64, String, String)> = tx
            .all(
                Sql::new(
                    "SELECT wage_fen, occupation, industry FROM employment_pay \
                     WHERE period_date >= $1 AND period_date <= $2",
                )
                .bind(from)
                .bind(to),
            )
            .await?;
        for (wage, occupation, industry) in rows {
            used += 1;
            let major = major_of.get(occupation.as_str()).copied().unwrap_or(0);
            let mut put = |m: i64, i: &str| cells.entry((m, i.to_string())).or_default().push(wage);
            put(0, "");
            put(0, &industry);
            if major > 0 {
                put(major, "");
                put(major, &industry);
            }
        }
    }
    let stats: Vec<((i64, String), Cell)> = cells
        .into_iter()
        .filter_map(|(k, mut w)| Some((k, cell(&mut w)?)))
        .collect();
    let mut tx = call.db.write().await?;
    tx.exec(Sql::new("DELETE FROM wage_guide WHERE year = $1").bind(i64::from(year)))
        .await?;
    for chunk in stats.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO wage_guide (year, major, industry, n, p10, p25, p50, p75, p90, mean, published, computed_at, \
             computed_by) VALUES ",
        );
        for (i, ((major, industry), c)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .arg(i64::from(year))
                .push(", ")
                .arg(*major)
                .push(", ")
                .arg(industry.clone());
            for v in [
                i64::try_from(c.count).unwrap_or(i64::MAX),
                c.p10,
                c.p25,
                c.p50,
                c.p75,
                c.p90,
                c.mean,
            ] {
                q.push(", ").arg(v);
            }
            q.push(", ")
                .arg(published(c, min_cell))
                .push(", ")
                .arg(call.now)
                .push(", ")
                .arg(call.actor.display_name.clone())
                .push(")");
        }
        tx.exec(q).await?;
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("wage_guide.compute", "wage_guide", year).detail(format!("records={used}; min_cell={min_cell}")),
    )
    .await?;
    tx.commit().await?;
    Ok(used)
}

const COLUMNS: &str = "SELECT year, major, industry, n, p10, p25, p50, p75, p90, mean, published, computed_at, computed_by \
     FROM wage_guide";

/// The computed cells of a year for staff, the totals first; the cells
/// under the minimum size (a few people's wages) only for the office,
/// which computes and publishes the guide.
pub async fn cells(db: &Db, actor: &Actor, year: i32) -> AppResult<Vec<GuideRow>> {
    require(actor, Permission::ViewDashboard)?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE year = ").arg(i64::from(year));
    if !actor.can(Permission::ManagePlan) {
        q.push(" AND published = ").arg(true);
    }
    q.push(" ORDER BY major, industry");
    db.read().await?.all(q).await
}

/// The published cells of a year (the public page and the board).
pub async fn published_cells(db: &Db, year: i32) -> AppResult<Vec<GuideRow>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE published = ")
        .arg(true)
        .push(" AND year = ")
        .arg(i64::from(year))
        .push(" ORDER BY major, industry");
    db.read().await?.all(q).await
}

/// The newest year with a computed guide.
pub async fn latest_year(db: &Db) -> AppResult<Option<i32>> {
    year_of(db, Sql::new("SELECT MAX(year) FROM wage_guide")).await
}

/// The newest year with a published cell (the public board's).
pub async fn latest_published_year(db: &Db) -> AppResult<Option<i32>> {
    let mut q = Sql::new("SELECT MAX(year) FROM wage_guide WHERE published = ");
    q.arg(true);
    year_of(db, q).await
}

async fn year_of(db: &Db, q: Sql) -> AppResult<Option<i32>> {
    let y: Option<(Option<i64>,)> = db.read().await?.opt(q).await?;
    Ok(y.and_then(|(y,)| y).and_then(|y| i32::try_from(y).ok()))
}

/// The median to show next to a vacancy: its group and section's, else
/// its group's, else the section's (published cells only).
pub fn median_for<'a>(cells: &'a [GuideRow], major: i64, industry: &str) -> Option<&'a GuideRow> {
    let find = |m: i64, i: &str| cells.iter().find(|c| c.published && c.major == m && c.industry == i);
    find(major, industry)
        .or_else(|| find(major, ""))
        .or_else(|| find(0, industry))
}

fn err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// The published cells of a year as the workbook the HR bureau publishes
/// (A4 landscape, the heading row repeated on every page): 职业大类, 行业门类,
/// 样本数, the five percentiles and the mean in yuan a month.
pub fn workbook(year: i32, rows: &[GuideRow]) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let title = format!("{year}年农民工工资价位（月工资，元）");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("工资价位").map_err(err)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_header(format!("&C&\"宋体,Bold\"{}", title.replace('&', "&&")));
    ws.set_footer("&C第 &P 页，共 &N 页");
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("DDE7F3");
    let text = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let num = Format::new().set_border(FormatBorder::Thin).set_num_format("#,##0");
    let heads = [
        "职业大类",
        "行业门类",
        "样本数",
        "P10",
        "P25",
        "中位数",
        "P75",
        "P90",
        "平均数",
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head).map_err(err)?;
    }
    ws.set_column_width(0, 34).map_err(err)?;
    ws.set_column_width(1, 30).map_err(err)?;
    for (i, r) in rows.iter().filter(|r| r.published).enumerate() {
        let row = (i + 1) as u32;
        ws.write_string_with_format(row, 0, crate::xlsx::safe(r.major_label()), &text)
            .map_err(err)?;
        ws.write_string_with_format(row, 1, crate::xlsx::safe(&r.industry_label()), &text)
            .map_err(err)?;
        ws.write_number_with_format(row, 2, r.n as f64, &num).map_err(err)?;
        for (c, v) in [r.p10, r.p25, r.p50, r.p75, r.p90, r.mean].into_iter().enumerate() {
            ws.write_number_with_format(row, 3 + c as u16, (v as f64 / 100.0).round(), &num)
                .map_err(err)?;
        }
    }
    ws.set_repeat_rows(0, 0).map_err(err)?;
    ws.set_freeze_panes(1, 0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}
