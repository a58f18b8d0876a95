//! A township's roster as it arrives, for the importer's tests: two title
//! rows (merged across the sheet), headers in the township's own words, an
//! unfamiliar column and a remark column, ID numbers as numbers, in
//! full-width digits and in the legacy 15-digit form, a township merged over
//! three people, dates as date cells and as "2023年3月5日", a minority name,
//! a name with a space, and rows with mistakes (a sex that contradicts the
//! ID number with a negative wage, a birth date in the future, an 18-digit
//! number that Excel stored as a number). ID numbers and credit codes come
//! from the project's own generators, so their check characters are valid.
//!
//! The file is written with the same xlsx writer as the rest of the
//! program; `write` regenerates it identically (apart from the workbook's
//! timestamps) every time.

use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::id_number::IdNumber;
use std::path::Path;

/// The headers, as the township writes them.
pub const HEADERS: [&str; 17] = [
    "序号",
    "姓名",
    "身份证号码",
    "性别",
    "联系电话",
    "户籍地址",
    "现居住乡镇",
    "技能特长",
    "就业单位",
    "统一社会信用代码",
    "所属行业",
    "用工形式",
    "月工资",
    "入职日期",
    "签订劳动合同",
    "经公共就业服务机构介绍",
    "备注",
];

/// The header no wording of the registry's knows (a worker's skills).
pub const UNKNOWN: &str = "技能特长";
/// The remark column, also unknown (left out).
pub const REMARKS: &str = "备注";
/// The township every row lives in.
pub const TOWNSHIP: &str = "徽城镇";

/// What the roster holds, for the tests' expectations.
pub struct Roster {
    /// Excel row numbers of the rows that import.
    pub good_lines: Vec<u64>,
    /// Excel row numbers of the rows refused, in order.
    pub bad_lines: Vec<u64>,
    /// Rows with employment columns filled among the good ones.
    pub jobs: u64,
    /// The row with a name typed with a space ("汪 建国").
    pub spaced_line: u64,
    pub spaced_name: &'static str,
    /// The minority name, typed with spaces around the dot.
    pub minority_name: &'static str,
    /// The legacy number (a numeric cell) and the 18-digit number it is.
    pub legacy_line: u64,
    pub legacy: String,
    pub legacy_full: String,
    /// The row whose sex contradicts its ID number; it also has a negative
    /// wage ("-500", typed as text) and a place of origin that looks like a
    /// formula.
    pub sex_line: u64,
    pub formula_text: &'static str,
    /// The row whose ID number's birth date is in the future.
    pub future_line: u64,
    /// The row whose 18-digit ID number was stored as a number.
    pub numeric_line: u64,
    /// The ID number of every row, by Excel row number (as it should be).
    pub ids: Vec<(u64, String)>,
    /// The skill in the unknown column of the first row.
    pub skill: &'static str,
}

fn id(birth: (i32, u32, u32), seq: u16) -> AppResult<String> {
    let birth = NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2)
        .ok_or_else(|| AppError::Internal("roster: bad date".into()))?;
    IdNumber::from_parts("341021", birth, seq)
        .map(|n| n.as_str().to_string())
        .map_err(|e| AppError::Internal(format!("roster: {e}")))
}

fn credit(n: u32) -> AppResult<String> {
    CreditCode::from_parts("91", "341021", &format!("MA{n:06}"))
        .map(|c| c.as_str().to_string())
        .map_err(|e| AppError::Internal(format!("roster: {e}")))
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Excel's serial day number of a date.
fn serial(y: i32, m: u32, d: u32) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    NaiveDate::from_ymd_opt(y, m, d).map_or(0.0, |d| (d - epoch).num_days() as f64)
}

/// Writes the roster to `path` and says what it holds.
pub fn write(path: &Path) -> AppResult<Roster> {
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("roster: {e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("花名册").map_err(err)?;
    let title = Format::new().set_bold().set_align(rust_xlsxwriter::FormatAlign::Center);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let plain = Format::new();
    let last_col = (HEADERS.len() - 1) as u16;
    ws.merge_range(0, 0, 0, last_col, "歙县徽城镇农民工花名册（2026年9月）", &title)
        .map_err(err)?;
    ws.merge_range(
        1,
        0,
        1,
        last_col,
        "填报单位：徽城镇人民政府　　填报日期：2026年9月28日",
        &plain,
    )
    .map_err(err)?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string(2, c as u16, *h).map_err(err)?;
    }
    // Zero-based sheet rows 3.. are Excel rows 4..
    let ids = [
        id((1988, 4, 12), 131)?,  // 4: 汪建国, male
        id((1992, 7, 3), 242)?,   // 5: minority name, female
        id((1975, 11, 20), 351)?, // 6: legacy number, male
        id((1990, 2, 14), 413)?,  // 7: male, but the roster says 女
        id((2090, 1, 1), 521)?,   // 8: born in the future
        id((1985, 5, 6), 617)?,   // 9: stored as a number
        id((1995, 9, 9), 723)?,   // 10: plain
    ];
    let legacy_full = ids[2].clone();
    let legacy = format!("{}{}", &legacy_full[..6], &legacy_full[8..17]);
    let legacy_number: f64 = legacy
        .parse()
        .map_err(|_| AppError::Internal("roster: legacy number".into()))?;
    let numeric: f64 = ids[5]
        .parse()
        .map_err(|_| AppError::Internal("roster: numeric id".into()))?;

    // 序号, 姓名, 身份证号码 written below per row.
    let text_rows: [[&str; 17]; 7] = [
        [
            "1",
            "汪 建国",
            "",
            "男",
            "13905590001",
            "安徽省黄山市歙县",
            TOWNSHIP,
            "电工",
            "黄山市徽城建筑有限公司",
            "",
            "建筑业",
            "就近就业",
            "",
            "",
            "是",
            "否",
            "",
        ],
        [
            "2",
            "阿依古丽 · 买买提",
            "",
            "女",
            "",
            "新疆维吾尔自治区喀什地区",
            "",
            "",
            "黄山市新安纺织有限公司",
            "",
            "制造业",
            "外出务工",
            "3,800",
            "2023年3月5日",
            "是",
            "是",
            "随夫来徽",
        ],
        [
            "3",
            "方志强",
            "",
            "男",
            "13905590003",
            "安徽省黄山市歙县",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "老身份证",
        ],
        [
            "4",
            "程丽",
            "",
            "女",
            "13905590004",
            "=安徽省黄山市休宁县",
            TOWNSHIP,
            "",
            "黄山市徽城建筑有限公司",
            "",
            "建筑业",
            "就近就业",
            "-500",
            "",
            "是",
            "否",
            "",
        ],
        [
            "5",
            "汪未来",
            "",
            "男",
            "",
            "安徽省黄山市歙县",
            TOWNSHIP,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "6",
            "黄海",
            "",
            "男",
            "",
            "安徽省黄山市歙县",
            TOWNSHIP,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "7",
            "胡晓明",
            "",
            "男",
            "13905590007",
            "安徽省黄山市歙县",
            TOWNSHIP,
            "",
            "黄山市徽城建筑有限公司",
            "",
            "建筑业",
            "灵活就业",
            "",
            "2024-06-01",
            "否",
            "否",
            "",
        ],
    ];
    let credits = [
        credit(1)?,
        credit(2)?,
        String::new(),
        credit(1)?,
        String::new(),
        String::new(),
        credit(1)?,
    ];
    for (i, cells) in text_rows.iter().enumerate() {
        let r = 3 + i as u32;
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, c as u16, *v).map_err(err)?;
            }
        }
        ws.write_number(r, 0, (i + 1) as f64).map_err(err)?;
        if !credits[i].is_empty() {
            ws.write_string(r, 9, &credits[i]).map_err(err)?;
        }
    }
    // ID numbers: text, full-width, legacy as a number, text, text, an
    // 18-digit number, text.
    ws.write_string(3, 2, &ids[0]).map_err(err)?;
    ws.write_string(4, 2, full_width(&ids[1])).map_err(err)?;
    ws.write_number(5, 2, legacy_number).map_err(err)?;
    ws.write_string(6, 2, &ids[3]).map_err(err)?;
    ws.write_string(7, 2, &ids[4]).map_err(err)?;
    ws.write_number(8, 2, numeric).map_err(err)?;
    ws.write_string(9, 2, &ids[6]).map_err(err)?;
    // A full-width phone number.
    ws.write_string(4, 4, full_width("13905590002")).map_err(err)?;
    // Wages as numbers, start dates as date cells.
    ws.write_number(3, 12, 4500.0).map_err(err)?;
    ws.write_number(9, 12, 5200.0).map_err(err)?;
    ws.write_number_with_format(3, 13, serial(2022, 8, 15), &date)
        .map_err(err)?;
    ws.write_number_with_format(6, 13, serial(2021, 4, 1), &date)
        .map_err(err)?;
    // The township merged over the first three people.
    ws.merge_range(3, 6, 5, 6, TOWNSHIP, &plain).map_err(err)?;
    wb.save(path).map_err(err)?;
    Ok(Roster {
        good_lines: vec![4, 5, 6, 10],
        bad_lines: vec![7, 8, 9],
        jobs: 3,
        spaced_line: 4,
        spaced_name: "汪建国",
        minority_name: "阿依古丽·买买提",
        legacy_line: 6,
        legacy,
        legacy_full,
        sex_line: 7,
        formula_text: "=安徽省黄山市休宁县",
        future_line: 8,
        numeric_line: 9,
        ids: (4..=10).zip(ids.iter().cloned()).collect(),
        skill: "电工",
    })
}
