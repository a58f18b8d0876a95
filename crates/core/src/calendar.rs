//! The working-day calendar: statutory days off and make-up working days
//! (调休上班) from the State Council's yearly holiday arrangement, and
//! working-day arithmetic for administrative deadlines.
//!
//! # What a working day is
//!
//! Monday to Friday, unless the arrangement makes it a day off (`holiday`);
//! Saturday and Sunday only when the arrangement makes it a make-up working
//! day (`workday`, 调休上班).
//!
//! # Counting convention
//!
//! [`Calendar::add_working_days`]`(d, n)` is the deadline of a time limit of
//! `n` working days that starts on `d`:
//!
//! * the day of the event (complaint received, case opened) is **not
//!   counted**; day 1 is the first working day after `d`, whatever kind of
//!   day `d` itself is. This is the general rule for periods counted in days,
//!   民法典 第201条: "按照年、月、日计算期间的，开始的当日不计入，自下一日开始
//!   计算" (text checked on several public pages; FACTS.md does not state a
//!   counting rule). So a complaint received on Wednesday 2023-09-27 must be
//!   accepted by Tuesday 2023-10-10: 9-28, 10-07 (Sat, 调休), 10-08 (Sun,
//!   调休), 10-09, 10-10;
//! * the result is always a working day, which also satisfies 民法典 第203条
//!   (a period whose last day is a holiday ends on the day after it);
//! * `n = 0` ("the same day") gives `d` itself if it is a working day, else
//!   the next working day: a same-day time limit for something that arrives
//!   on a rest day falls due on the next working day (again 第203条).
//!
//! The labour-inspection time limits (FACTS.md §6.3) then read:
//! * acceptance: `add_working_days(received, 5)` (劳动和社会保障部令第25号
//!   第18条; the case is opened on the day of acceptance);
//! * investigation: `add_working_days(opened, 60)` (劳动保障监察条例 第17条);
//! * one extension of 30: `add_working_days(first_deadline, 30)`, which is
//!   the same date as `add_working_days(opened, 90)` (for `a, b ≥ 1`,
//!   `add(add(d, a), b) == add(d, a + b)`).
//!
//! [`Calendar::working_days_between`]`(a, b)` counts the working days `x` with
//! `a < x ≤ b`, the same convention, so that
//! `working_days_between(d, add_working_days(d, n)) == n` for `n ≥ 1`.
//!
//! # Coverage
//!
//! A year's arrangement is only known once its notice is loaded, and an
//! unloaded year is never treated as an ordinary Monday–Friday year: every
//! query that needs a date outside the loaded arrangements returns
//! [`CalendarError::NotLoaded`] ("节假日安排未载入：2027年").
//!
//! A date is known when the table lists it, or when the arrangement of its
//! own year is loaded and, for 29–31 December, the next year's arrangement is
//! loaded too: the New Year break of year Y+1 can reach back into the end of
//! December of year Y, and it is the Y+1 notice that says so (2023's notice
//! made Saturday 2022-12-31 a day off; chinesecalendar's data has the 2019
//! notice making Saturday 2018-12-29 a make-up working day, and the 2008
//! notice giving Monday 2007-12-31 off). For the same reason a row of the
//! arrangement of year Y must be dated in Y or on 29–31 December of Y−1.
//!
//! # CSV format
//!
//! The format of `data/cn_holidays_2023_2026.csv`, header included:
//! `date,weekday,kind,festival_cn,festival_en,arrangement_year,in_lieu_weekday_off,source`
//! with `date` as `YYYY-MM-DD`, `weekday` as `Mon`…`Sun`, `kind` as
//! `holiday` (放假) or `workday` (调休上班), `arrangement_year` the year of
//! the notice, and `in_lieu_weekday_off` `Y` for a weekday off given in
//! exchange for a make-up working day (so not a statutory holiday: overtime
//! on it is paid as on a rest day), else empty. Fields may be quoted
//! (RFC 4180, on one line); a UTF-8 BOM and CRLF line ends are accepted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The project's holiday table, 2023–2026 arrangements.
const BUILTIN_CSV: &str = include_str!("../../../data/cn_holidays_2023_2026.csv");

/// The columns of the CSV format, in order.
const COLUMNS: [&str; 8] = [
    "date",
    "weekday",
    "kind",
    "festival_cn",
    "festival_en",
    "arrangement_year",
    "in_lieu_weekday_off",
    "source",
];

/// The same columns under Chinese headers (the format shown to
/// administrators); a table may have either header row.
pub const COLUMNS_ZH: [&str; 8] = [
    "日期",
    "星期",
    "类型",
    "节日",
    "节日英文名",
    "安排年份",
    "调休换休日",
    "依据",
];

/// The Chinese header row, as the upload format shows it.
pub fn header_zh() -> String {
    COLUMNS_ZH.join(",")
}

const COL_DATE: usize = 0;
const COL_WEEKDAY: usize = 1;
const COL_KIND: usize = 2;
const COL_FESTIVAL_CN: usize = 3;
const COL_YEAR: usize = 5;
const COL_IN_LIEU: usize = 6;

/// First day of December from which the next year's arrangement may apply
/// (see "Coverage" in the module documentation).
const YEAR_END_SPILL_DAY: u32 = 29;

/// Range accepted for `arrangement_year`: catches typos and keeps all date
/// arithmetic far from chrono's limits.
const MIN_YEAR: i32 = 2000;
const MAX_YEAR: i32 = 2999;

crate::coded! {
    /// What the arrangement makes of a date; the code is the CSV `kind`
    /// column's value, the label the Chinese shown.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum DayKind {
        /// A day off (放假), CSV `holiday`.
        #[serde(rename = "holiday")]
        Holiday = "holiday" / "放假",
        /// A Saturday or Sunday worked in exchange for a weekday off (调休上班),
        /// CSV `workday`.
        #[serde(rename = "workday")]
        MakeUpWorkday = "workday" / "调休上班",
    }
}

impl fmt::Display for DayKind {
    /// The Chinese label: 放假 or 调休上班.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// One listed date of an arrangement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayEntry {
    pub kind: DayKind,
    /// The festival the day belongs to, as written in the notice, e.g. "国庆节".
    pub festival: String,
    /// The year of the notice (a 29–31 December date may belong to the next
    /// year's arrangement).
    pub arrangement_year: i32,
    /// A weekday off in exchange for a make-up working day, not a statutory
    /// holiday itself (CSV `in_lieu_weekday_off` = `Y`).
    pub in_lieu: bool,
}

/// What is wrong with one CSV field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// The field is empty.
    Missing,
    /// Not a `YYYY-MM-DD` date.
    BadDate(String),
    /// Not one of `Mon`…`Sun`.
    BadWeekday(String),
    /// The weekday column disagrees with the date.
    WeekdayMismatch { date: NaiveDate, stated: Weekday },
    /// Neither `holiday` nor `workday`.
    UnknownKind(String),
    /// A make-up working day on Monday–Friday.
    MakeUpNotWeekend { date: NaiveDate },
    /// `arrangement_year` is not a year in the accepted range.
    BadYear(String),
    /// The date cannot belong to that year's arrangement.
    OutsideArrangement { date: NaiveDate, year: i32 },
    /// `in_lieu_weekday_off` is neither empty nor `Y`.
    BadInLieu(String),
    /// `Y` on a make-up working day or on a weekend day off.
    InLieuNotWeekdayOff,
}

/// Why a holiday table could not be loaded or a date computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// The first line is not the expected header.
    Header { found: String },
    /// The table has a header but no data line.
    Empty,
    /// A line has a quoted field whose closing quote is missing.
    UnclosedQuote { line: usize },
    /// A line does not have the 8 columns of the format.
    FieldCount { line: usize, found: usize },
    /// A field is invalid; `column` counts from 1.
    Field {
        line: usize,
        column: usize,
        problem: FieldProblem,
    },
    /// The same date appears twice in one table.
    Duplicate {
        line: usize,
        date: NaiveDate,
        first_line: usize,
    },
    /// Merging: a date is already loaded with another kind or another
    /// arrangement year.
    Conflict {
        date: NaiveDate,
        loaded: (DayKind, i32),
        incoming: (DayKind, i32),
    },
    /// Merging: a year's arrangement is already loaded and the new table has
    /// different dates for it (`date` is the first difference).
    ArrangementDiffers { year: i32, date: NaiveDate },
    /// The computation needs the arrangement of a year that is not loaded.
    NotLoaded { year: i32 },
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldProblem::Missing => f.write_str("不能为空"),
            FieldProblem::BadDate(s) => write!(f, "“{s}”不是有效日期，应为 YYYY-MM-DD 格式"),
            FieldProblem::BadWeekday(s) => write!(f, "“{s}”不是有效星期，应为星期一至星期日之一"),
            FieldProblem::WeekdayMismatch { date, stated } => write!(
                f,
                "写的是{}，但{date}是{}",
                weekday_cn(*stated),
                weekday_cn(date.weekday())
            ),
            FieldProblem::UnknownKind(s) => {
                write!(f, "未知的类型“{s}”，应为“放假”或“调休上班”")
            }
            FieldProblem::MakeUpNotWeekend { date } => {
                write!(f, "调休上班日{date}是{}，不是周末", weekday_cn(date.weekday()))
            }
            FieldProblem::BadYear(s) => {
                write!(f, "“{s}”不是有效年份，应为{MIN_YEAR}至{MAX_YEAR}之间的四位数")
            }
            FieldProblem::OutsideArrangement { date, year } => write!(
                f,
                "{date}不属于{year}年的安排，应在{year}年内或{}年12月{YEAR_END_SPILL_DAY}日至31日",
                year - 1
            ),
            FieldProblem::BadInLieu(s) => write!(f, "“{s}”无效，调休换休日填“是”，其他留空"),
            FieldProblem::InLieuNotWeekdayOff => f.write_str("只有周一至周五的放假日才能标为调休换休日"),
        }
    }
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::Header { found } => {
                write!(
                    f,
                    "节假日表第1行表头应为“{}”（或原英文表头“{}”），实际为“{found}”",
                    COLUMNS_ZH.join(","),
                    COLUMNS.join(",")
                )
            }
            CalendarError::Empty => f.write_str("节假日表没有数据行"),
            CalendarError::UnclosedQuote { line } => write!(f, "节假日表第{line}行：引号未闭合"),
            CalendarError::FieldCount { line, found } => {
                write!(f, "节假日表第{line}行：应有{}列，实际为{found}列", COLUMNS.len())
            }
            CalendarError::Field { line, column, problem } => {
                let name = COLUMNS_ZH.get(column.wrapping_sub(1)).copied().unwrap_or("?");
                write!(f, "节假日表第{line}行第{column}列（{name}）：{problem}")
            }
            CalendarError::Duplicate { line, date, first_line } => {
                write!(
                    f,
                    "节假日表第{line}行第1列（日期）：日期{date}重复，第{first_line}行已有"
                )
            }
            CalendarError::Conflict { date, loaded, incoming } => write!(
                f,
                "{date}与已载入的安排冲突：已载入为{}年安排的{}，新表为{}年安排的{}",
                loaded.1, loaded.0, incoming.1, incoming.0
            ),
            CalendarError::ArrangementDiffers { year, date } => {
                write!(f, "{year}年的节假日安排已载入，新表与之不一致（{date}）")
            }
            CalendarError::NotLoaded { year } => write!(f, "节假日安排未载入：{year}年"),
        }
    }
}

impl std::error::Error for CalendarError {}

/// Chinese name of a weekday (星期一…星期日).
pub fn weekday_cn(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

/// Parses the `weekday` column: 星期一…星期日 (or 周一…周日), or the
/// English three-letter abbreviation of the earlier format.
fn parse_weekday(s: &str) -> Option<Weekday> {
    let zh = s.strip_prefix("星期").or_else(|| s.strip_prefix("周"));
    if let Some(d) = zh {
        return Some(match d {
            "一" => Weekday::Mon,
            "二" => Weekday::Tue,
            "三" => Weekday::Wed,
            "四" => Weekday::Thu,
            "五" => Weekday::Fri,
            "六" => Weekday::Sat,
            "日" | "天" => Weekday::Sun,
            _ => return None,
        });
    }
    Some(match s {
        "Mon" => Weekday::Mon,
        "Tue" => Weekday::Tue,
        "Wed" => Weekday::Wed,
        "Thu" => Weekday::Thu,
        "Fri" => Weekday::Fri,
        "Sat" => Weekday::Sat,
        "Sun" => Weekday::Sun,
        _ => return None,
    })
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Whether `d` is on 29–31 December, where the next year's arrangement may
/// apply.
fn in_year_end_spill(d: NaiveDate) -> bool {
    d.month() == 12 && d.day() >= YEAR_END_SPILL_DAY
}

/// Splits one CSV line into trimmed fields; quoted fields may contain commas
/// and doubled quotes. `None` if a quote is left open.
fn split_csv_line(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.trim().is_empty() {
            field.clear();
            in_quotes = true;
        } else if c == ',' {
            fields.push(field.trim().to_owned());
            field.clear();
        } else {
            field.push(c);
        }
    }
    if in_quotes {
        return None;
    }
    fields.push(field.trim().to_owned());
    Some(fields)
}

/// Parses one data line (already split) into its date and entry.
fn parse_row(line: usize, fields: &[String]) -> Result<(NaiveDate, DayEntry), CalendarError> {
    let err = |column: usize, problem: FieldProblem| CalendarError::Field {
        line,
        column: column + 1,
        problem,
    };
    let required = |column: usize| -> Result<&str, CalendarError> {
        let v = fields[column].as_str();
        if v.is_empty() {
            Err(err(column, FieldProblem::Missing))
        } else {
            Ok(v)
        }
    };

    let date_s = required(COL_DATE)?;
    // `%Y-%m-%d` alone would accept "2023-1-2" or a sign; insist on the
    // canonical 10-character form.
    let date = NaiveDate::parse_from_str(date_s, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == date_s)
        .ok_or_else(|| err(COL_DATE, FieldProblem::BadDate(date_s.to_owned())))?;

    let weekday_s = required(COL_WEEKDAY)?;
    let stated =
        parse_weekday(weekday_s).ok_or_else(|| err(COL_WEEKDAY, FieldProblem::BadWeekday(weekday_s.to_owned())))?;
    if stated != date.weekday() {
        return Err(err(COL_WEEKDAY, FieldProblem::WeekdayMismatch { date, stated }));
    }

    let kind_s = required(COL_KIND)?;
    let kind = DayKind::from_code(kind_s)
        .or_else(|| DayKind::ALL.iter().copied().find(|k| k.label_zh() == kind_s))
        .ok_or_else(|| err(COL_KIND, FieldProblem::UnknownKind(kind_s.to_owned())))?;
    if kind == DayKind::MakeUpWorkday && !is_weekend(date) {
        return Err(err(COL_KIND, FieldProblem::MakeUpNotWeekend { date }));
    }

    let festival = required(COL_FESTIVAL_CN)?.to_owned();

    let year_s = required(COL_YEAR)?;
    let year = year_s
        .parse::<i32>()
        .ok()
        .filter(|y| year_s.len() == 4 && (MIN_YEAR..=MAX_YEAR).contains(y))
        .ok_or_else(|| err(COL_YEAR, FieldProblem::BadYear(year_s.to_owned())))?;
    let in_arrangement = date.year() == year || (date.year() == year - 1 && in_year_end_spill(date));
    if !in_arrangement {
        return Err(err(COL_YEAR, FieldProblem::OutsideArrangement { date, year }));
    }

    let in_lieu = match fields[COL_IN_LIEU].as_str() {
        "" => false,
        "Y" | "y" | "是" => true,
        "否" => false,
        other => return Err(err(COL_IN_LIEU, FieldProblem::BadInLieu(other.to_owned()))),
    };
    if in_lieu && (kind != DayKind::Holiday || is_weekend(date)) {
        return Err(err(COL_IN_LIEU, FieldProblem::InLieuNotWeekdayOff));
    }

    Ok((
        date,
        DayEntry {
            kind,
            festival,
            arrangement_year: year,
            in_lieu,
        },
    ))
}

/// The holiday arrangements of one or more years. See the module
/// documentation for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayEntry>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// The project's table, `data/cn_holidays_2023_2026.csv` (arrangements
    /// 2023–2026), embedded at build time.
    pub fn builtin() -> Calendar {
        match Calendar::from_csv(BUILTIN_CSV) {
            Ok(c) => c,
            // The embedded file is checked by the unit tests.
            Err(e) => panic!("内置节假日表无效：{e}"),
        }
    }

    /// Parses a table in the CSV format described in the module
    /// documentation. Errors name the line (the header is line 1) and the
    /// column.
    pub fn from_csv(text: &str) -> Result<Calendar, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));

        let header = lines.next().map(|(_, l)| l).unwrap_or("");
        let header_ok = split_csv_line(header)
            .is_some_and(|f| f.iter().map(String::as_str).eq(COLUMNS) || f.iter().map(String::as_str).eq(COLUMNS_ZH));
        if !header_ok {
            return Err(CalendarError::Header {
                found: header.to_owned(),
            });
        }

        let mut days = BTreeMap::new();
        let mut first_line: HashMap<NaiveDate, usize> = HashMap::new();
        for (line, text) in lines {
            if text.trim().is_empty() {
                continue;
            }
            let fields = split_csv_line(text).ok_or(CalendarError::UnclosedQuote { line })?;
            if fields.len() != COLUMNS.len() {
                return Err(CalendarError::FieldCount {
                    line,
                    found: fields.len(),
                });
            }
            let (date, entry) = parse_row(line, &fields)?;
            if let Some(&first) = first_line.get(&date) {
                return Err(CalendarError::Duplicate {
                    line,
                    date,
                    first_line: first,
                });
            }
            first_line.insert(date, line);
            days.insert(date, entry);
        }
        if days.is_empty() {
            return Err(CalendarError::Empty);
        }
        let years = days.values().map(|e| e.arrangement_year).collect();
        Ok(Calendar { days, years })
    }

    /// A calendar from listed dates already checked once (e.g. rows stored
    /// after [`Calendar::from_csv`] accepted them). The loaded years are the
    /// entries' arrangement years; no entries give an empty calendar.
    pub fn from_entries(entries: impl IntoIterator<Item = (NaiveDate, DayEntry)>) -> Calendar {
        let days: BTreeMap<NaiveDate, DayEntry> = entries.into_iter().collect();
        let years = days.values().map(|e| e.arrangement_year).collect();
        Calendar { days, years }
    }

    /// This calendar with every year after the last one loaded, up to
    /// `last`, taken as an ordinary year: Monday to Friday working, no
    /// holidays and no make-up days. For time limits that run into a year
    /// whose arrangement is not published yet; a date computed on it is
    /// provisional unless [`Calendar::covers_date`] of the real calendar
    /// holds for it. An empty calendar stays empty.
    pub fn assuming_ordinary_years(&self, last: i32) -> Calendar {
        let mut out = self.clone();
        if let Some(&max) = self.years.iter().next_back() {
            out.years.extend(max + 1..=last);
        }
        out
    }

    /// Every listed date with its entry, in date order.    /// Every listed date with its entry, in date order.
    pub fn entries(&self) -> impl Iterator<Item = (NaiveDate, &DayEntry)> + '_ {
        self.days.iter().map(|(d, e)| (*d, e))
    }

    /// Adds the arrangements of `other` (e.g. a new year's table loaded by
    /// an administrator). Fails, leaving `self` unchanged, if a date is
    /// loaded with another kind or arrangement year, or if a year loaded in
    /// both has different dates. Loading the same table twice is a no-op.
    pub fn merge(&mut self, other: &Calendar) -> Result<(), CalendarError> {
        for (date, inc) in &other.days {
            if let Some(cur) = self.days.get(date)
                && (cur.kind != inc.kind || cur.arrangement_year != inc.arrangement_year)
            {
                return Err(CalendarError::Conflict {
                    date: *date,
                    loaded: (cur.kind, cur.arrangement_year),
                    incoming: (inc.kind, inc.arrangement_year),
                });
            }
        }
        for &year in self.years.intersection(&other.years) {
            // Kinds of common dates agree (checked above): look for a date
            // listed by one side only.
            let mine = self.arrangement(year);
            let theirs = other.arrangement(year);
            if let Some(&date) = mine.symmetric_difference(&theirs).next() {
                return Err(CalendarError::ArrangementDiffers { year, date });
            }
        }
        for (date, inc) in &other.days {
            self.days.entry(*date).or_insert_with(|| inc.clone());
        }
        self.years.extend(other.years.iter().copied());
        Ok(())
    }

    /// The dates listed by one year's arrangement.
    fn arrangement(&self, year: i32) -> BTreeSet<NaiveDate> {
        self.days
            .iter()
            .filter(|(_, e)| e.arrangement_year == year)
            .map(|(d, _)| *d)
            .collect()
    }

    /// The years whose arrangement is loaded, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether the arrangement of `year` is loaded.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether the kind of `date` is known (see "Coverage" in the module
    /// documentation).
    pub fn covers_date(&self, date: NaiveDate) -> bool {
        self.check_covered(date).is_ok()
    }

    fn check_covered(&self, date: NaiveDate) -> Result<(), CalendarError> {
        if self.days.contains_key(&date) {
            return Ok(());
        }
        let year = date.year();
        if !self.covers(year) {
            return Err(CalendarError::NotLoaded { year });
        }
        if in_year_end_spill(date) && !self.covers(year + 1) {
            return Err(CalendarError::NotLoaded { year: year + 1 });
        }
        Ok(())
    }

    /// The listed entry of `date`, if the arrangement lists it.
    pub fn entry(&self, date: NaiveDate) -> Option<&DayEntry> {
        self.days.get(&date)
    }

    /// Whether `date` is a working day: Monday–Friday unless a day off,
    /// Saturday/Sunday only if a make-up working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if let Some(e) = self.days.get(&date) {
            return Ok(e.kind == DayKind::MakeUpWorkday);
        }
        self.check_covered(date)?;
        Ok(!is_weekend(date))
    }

    /// The date `n` working days after `date`: the deadline of an `n`
    /// working-day time limit starting on `date`. The day of `date` is not
    /// counted, day 1 is the next working day; `n = 0` gives `date` if it is
    /// a working day, else the next working day. The result is always a
    /// working day. See "Counting convention" in the module documentation.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut d = date;
        if n == 0 {
            while !self.is_working_day(d)? {
                d = next_day(d)?;
            }
            return Ok(d);
        }
        let mut left = n;
        while left > 0 {
            d = next_day(d)?;
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// The first working day on or after `date`; same as
    /// `add_working_days(date, 0)`.
    pub fn working_day_on_or_after(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.add_working_days(date, 0)
    }

    /// The last working day on or before `date`, e.g. the day wages are due
    /// when the agreed pay date is a rest day or holiday (保障农民工工资支付
    /// 条例 第14条: pay before it).
    pub fn working_day_on_or_before(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut d = date;
        while !self.is_working_day(d)? {
            d = d.pred_opt().ok_or(CalendarError::NotLoaded { year: d.year() - 1 })?;
        }
        Ok(d)
    }

    /// The number of working days `x` with `a < x ≤ b` (the day `a` is not
    /// counted, as in [`Calendar::add_working_days`]); negative, the same
    /// count with the sign changed, if `b < a`; 0 if `a == b`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, CalendarError> {
        let (from, to, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let mut count = 0i64;
        let mut d = from;
        while d < to {
            d = next_day(d)?;
            if self.is_working_day(d)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }
}

/// The day after `d`. Unreachable failure in practice: coverage stops any
/// walk long before chrono's last date.
fn next_day(d: NaiveDate) -> Result<NaiveDate, CalendarError> {
    d.succ_opt().ok_or(CalendarError::NotLoaded { year: d.year() + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad test date {s}: {e}"))
    }

    fn cal() -> Calendar {
        Calendar::builtin()
    }

    fn working(c: &Calendar, s: &str) -> bool {
        c.is_working_day(d(s)).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn add(c: &Calendar, s: &str, n: u32) -> NaiveDate {
        c.add_working_days(d(s), n).unwrap_or_else(|e| panic!("{s} + {n}: {e}"))
    }

    fn between(c: &Calendar, a: &str, b: &str) -> i64 {
        c.working_days_between(d(a), d(b))
            .unwrap_or_else(|e| panic!("{a}..{b}: {e}"))
    }

    const HEADER: &str = "date,weekday,kind,festival_cn,festival_en,arrangement_year,in_lieu_weekday_off,source";

    /// A table with the header and the given data lines (LF line ends).
    fn table(rows: &[&str]) -> String {
        let mut s = String::from(HEADER);
        for r in rows {
            s.push('\n');
            s.push_str(r);
        }
        s.push('\n');
        s
    }

    fn parse_err(rows: &[&str]) -> CalendarError {
        match Calendar::from_csv(&table(rows)) {
            Ok(_) => panic!("accepted: {rows:?}"),
            Err(e) => e,
        }
    }

    /// A made-up 2027 arrangement: NOT the real one (not published when
    /// this was written), only to exercise loading a new year.
    fn fake_2027() -> Calendar {
        let csv = table(&[
            "2026-12-31,Thu,holiday,元旦,New Year's Day,2027,Y,虚构测试数据",
            "2027-01-01,Fri,holiday,元旦,New Year's Day,2027,,虚构测试数据",
            "2027-01-09,Sat,workday,元旦,New Year's Day,2027,,虚构测试数据",
        ]);
        Calendar::from_csv(&csv).unwrap_or_else(|e| panic!("{e}"))
    }

    // ---- the embedded table ----

    #[test]
    fn calendar_builtin_loads_2023_to_2026() {
        let c = cal();
        assert_eq!(c.years().collect::<Vec<_>>(), vec![2023, 2024, 2025, 2026]);
        assert!(c.covers(2023) && c.covers(2026));
        assert!(!c.covers(2022) && !c.covers(2027));
        // 145 lines = header + 144 dates: 118 days off, 26 make-up days.
        assert_eq!(c.days.len(), 144);
        let makeup = c.days.values().filter(|e| e.kind == DayKind::MakeUpWorkday).count();
        assert_eq!(makeup, 26);
        let e = c.entry(d("2023-10-07")).unwrap_or_else(|| panic!("listed"));
        assert_eq!(e.kind, DayKind::MakeUpWorkday);
        assert_eq!(e.festival, "国庆节");
        assert_eq!(e.arrangement_year, 2023);
    }

    #[test]
    fn calendar_working_days_per_year() {
        // 2023: 249 and 2024: 251 are the widely published totals. 2025 by
        // hand: 261 weekdays − 18 weekdays off + 5 make-up days = 248;
        // 2026: 261 − 19 + 6 = 248, of which 245 up to 12-28 (12-29..31
        // wait for the 2027 notice).
        let c = cal();
        for (a, b, expected) in [
            ("2022-12-31", "2023-12-31", 249),
            ("2023-12-31", "2024-12-31", 251),
            ("2024-12-31", "2025-12-31", 248),
            ("2025-12-31", "2026-12-28", 245),
        ] {
            // 2022-12-31 is listed, so the 2023 count needs no 2022 data.
            assert_eq!(between(&c, a, b), expected, "{a}..{b}");
        }
        assert!(c.working_days_between(d("2025-12-31"), d("2026-12-31")).is_err());
    }

    // ---- real cases, checked by hand against the CSV ----

    #[test]
    fn calendar_national_day_2023_with_make_up_weekend() {
        let c = cal();
        // 9-29 (Fri, 中秋) to 10-06 off; Sat 10-07 and Sun 10-08 worked.
        assert!(working(&c, "2023-09-28"));
        for s in ["2023-09-29", "2023-10-01", "2023-10-02", "2023-10-06"] {
            assert!(!working(&c, s), "{s}");
        }
        assert!(working(&c, "2023-10-07"));
        assert!(working(&c, "2023-10-08"));
        assert!(!working(&c, "2023-10-14"), "ordinary Saturday");
        assert_eq!(add(&c, "2023-09-28", 1), d("2023-10-07"));
        assert_eq!(add(&c, "2023-09-28", 2), d("2023-10-08"));
        assert_eq!(add(&c, "2023-09-28", 3), d("2023-10-09"));
        assert_eq!(between(&c, "2023-09-28", "2023-10-09"), 3);
        assert_eq!(between(&c, "2023-10-09", "2023-09-28"), -3);
    }

    #[test]
    fn calendar_acceptance_deadline_over_national_day_2023() {
        // Complaint received Wed 9-27: 9-28, 10-07, 10-08, 10-09, 10-10.
        assert_eq!(add(&cal(), "2023-09-27", 5), d("2023-10-10"));
    }

    #[test]
    fn calendar_spring_festival_2024_make_up_sundays() {
        let c = cal();
        // Off 2-10 (Sat) to 2-17 (Sat); Sun 2-04 and Sun 2-18 worked.
        assert!(working(&c, "2024-02-04"));
        assert!(working(&c, "2024-02-18"));
        assert!(!working(&c, "2024-02-11"));
        assert!(!working(&c, "2024-02-12"));
        assert!(!working(&c, "2024-02-25"), "ordinary Sunday");
        // 2024's 除夕 (Fri 2-09) was still a working day.
        assert!(working(&c, "2024-02-09"));
        assert_eq!(add(&c, "2024-02-02", 1), d("2024-02-04"));
        assert_eq!(add(&c, "2024-02-09", 1), d("2024-02-18"));
        assert_eq!(add(&c, "2024-02-09", 2), d("2024-02-19"));
        assert_eq!(between(&c, "2024-02-08", "2024-02-19"), 3);
        // in_lieu: Thu 2-15 and Fri 2-16 are swapped days, Mon 2-12 statutory.
        assert_eq!(c.entry(d("2024-02-15")).map(|e| e.in_lieu), Some(true));
        assert_eq!(c.entry(d("2024-02-12")).map(|e| e.in_lieu), Some(false));
    }

    #[test]
    fn calendar_2025_new_rules() {
        let c = cal();
        // From 2025 除夕 is a statutory day off: Tue 2025-01-28.
        assert!(!working(&c, "2025-01-28"));
        assert_eq!(c.entry(d("2025-01-28")).map(|e| e.in_lieu), Some(false));
        assert!(working(&c, "2025-01-26"), "Sunday make-up day");
        assert!(working(&c, "2025-02-08"), "Saturday make-up day");
        // Fri 1-24 + 3: Sun 1-26, Mon 1-27, then Wed 2-05 after the break.
        assert_eq!(add(&c, "2025-01-24", 3), d("2025-02-05"));
        // 劳动节 5-01 and 5-02 are both statutory now; Mon 5-05 is swapped.
        assert_eq!(c.entry(d("2025-05-02")).map(|e| e.in_lieu), Some(false));
        assert_eq!(c.entry(d("2025-05-05")).map(|e| e.in_lieu), Some(true));
        assert!(working(&c, "2025-04-27"));
        assert_eq!(add(&c, "2025-04-30", 1), d("2025-05-06"));
        // National Day 10-01..10-08 (with 中秋): Tue 9-30 + 1 = Thu 10-09.
        assert_eq!(add(&c, "2025-09-30", 1), d("2025-10-09"));
        assert!(working(&c, "2025-10-11"));
    }

    #[test]
    fn calendar_2026_new_year_and_nine_day_spring_festival() {
        let c = cal();
        // Off 1-01..1-03, Sun 1-04 worked: the next working day after
        // Wed 2025-12-31 is that Sunday.
        assert_eq!(add(&c, "2025-12-31", 1), d("2026-01-04"));
        // Off 2-15 (Sun) .. 2-23 (Mon), Sat 2-14 and Sat 2-28 worked.
        assert!(working(&c, "2026-02-14"));
        assert!(!working(&c, "2026-02-23"));
        assert!(working(&c, "2026-02-28"));
        assert_eq!(add(&c, "2026-02-13", 1), d("2026-02-14"));
        assert_eq!(add(&c, "2026-02-13", 2), d("2026-02-24"));
        assert_eq!(between(&c, "2026-02-13", "2026-03-02"), 7);
    }

    #[test]
    fn calendar_investigation_60_plus_30_across_years() {
        let c = cal();
        // Case opened Mon 2025-12-01. By hand: December 22 working days
        // (12-29..31 need the 2026 notice, loaded), January 21 (with Sun
        // 1-04), February 16 (with Sat 2-14 and 2-28), then Mon 3-02 = 60.
        let first = add(&c, "2025-12-01", 60);
        assert_eq!(first, d("2026-03-02"));
        // Extension of 30 from that deadline: March 21 working days to 3-31,
        // 4-01..4-03, 4-07..4-10, 4-13, 4-14 (清明 4-04..4-06 off).
        let extended = c.add_working_days(first, 30);
        assert_eq!(extended, Ok(d("2026-04-14")));
        assert_eq!(extended, c.add_working_days(d("2025-12-01"), 90));
        // Another hand-checked 60: opened Fri 2023-09-01, due Thu 2023-11-30.
        assert_eq!(add(&c, "2023-09-01", 60), d("2023-11-30"));
    }

    #[test]
    fn calendar_zero_days_is_same_or_next_working_day() {
        let c = cal();
        assert_eq!(add(&c, "2023-10-09", 0), d("2023-10-09"));
        assert_eq!(add(&c, "2023-10-07", 0), d("2023-10-07"), "make-up Saturday");
        assert_eq!(add(&c, "2023-10-01", 0), d("2023-10-07"));
        assert_eq!(add(&c, "2023-10-14", 0), d("2023-10-16"));
        assert_eq!(c.working_day_on_or_after(d("2023-10-01")), Ok(d("2023-10-07")));
    }

    #[test]
    fn calendar_working_day_on_or_before() {
        let c = cal();
        // A pay date on 2023-10-01 (国庆) must be paid by Thu 9-28.
        assert_eq!(c.working_day_on_or_before(d("2023-10-01")), Ok(d("2023-09-28")));
        assert_eq!(c.working_day_on_or_before(d("2024-02-18")), Ok(d("2024-02-18")));
        assert_eq!(c.working_day_on_or_before(d("2024-02-17")), Ok(d("2024-02-09")));
    }

    // ---- coverage ----

    #[test]
    fn calendar_unloaded_year_is_an_error() {
        let c = cal();
        let err = c.add_working_days(d("2026-11-20"), 60);
        assert_eq!(err, Err(CalendarError::NotLoaded { year: 2027 }));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("节假日安排未载入：2027年".to_owned())
        );
        assert_eq!(
            c.is_working_day(d("2027-03-01")),
            Err(CalendarError::NotLoaded { year: 2027 })
        );
        assert_eq!(
            c.is_working_day(d("2022-06-01")),
            Err(CalendarError::NotLoaded { year: 2022 })
        );
        assert_eq!(
            c.working_days_between(d("2022-12-01"), d("2023-01-10")),
            Err(CalendarError::NotLoaded { year: 2022 })
        );
        assert_eq!(c.working_days_between(d("2030-01-01"), d("2030-01-01")), Ok(0));
    }

    #[test]
    fn calendar_year_end_needs_next_arrangement() {
        let c = cal();
        assert!(c.covers_date(d("2026-12-28")));
        assert_eq!(add(&c, "2026-12-25", 1), d("2026-12-28"));
        // 29–31 December can be changed by the next year's notice.
        assert!(!c.covers_date(d("2026-12-29")));
        assert_eq!(
            c.add_working_days(d("2026-12-28"), 1),
            Err(CalendarError::NotLoaded { year: 2027 })
        );
        // 2022-12-31 is listed by the 2023 notice; 12-30 is not known.
        assert_eq!(c.is_working_day(d("2022-12-31")), Ok(false));
        assert_eq!(
            c.is_working_day(d("2022-12-30")),
            Err(CalendarError::NotLoaded { year: 2022 })
        );
        assert_eq!(add(&c, "2022-12-30", 1), d("2023-01-03"));
        // 12-29..31 of a year followed by a loaded one are fine.
        assert!(c.covers_date(d("2025-12-29")));
    }

    // ---- merging ----

    #[test]
    fn calendar_merge_new_year() {
        let mut c = cal();
        c.merge(&fake_2027()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.years().collect::<Vec<_>>(), vec![2023, 2024, 2025, 2026, 2027]);
        assert_eq!(c.is_working_day(d("2026-12-31")), Ok(false));
        assert_eq!(c.is_working_day(d("2026-12-30")), Ok(true));
        assert_eq!(add(&c, "2026-12-30", 1), d("2027-01-04"));
        assert_eq!(add(&c, "2027-01-08", 1), d("2027-01-09"));
        assert_eq!(
            c.is_working_day(d("2028-01-03")),
            Err(CalendarError::NotLoaded { year: 2028 })
        );
        // Loading the same tables again changes nothing.
        let before = c.clone();
        c.merge(&fake_2027()).unwrap_or_else(|e| panic!("{e}"));
        c.merge(&cal()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c, before);
    }

    #[test]
    fn calendar_merge_conflicting_kind_is_rejected_atomically() {
        let mut c = cal();
        let other = Calendar::from_csv(&table(&[
            "2027-01-01,Fri,holiday,元旦,New Year's Day,2027,,虚构",
            "2024-10-06,Sun,workday,国庆节,National Day,2024,,虚构",
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let err = c.merge(&other);
        assert_eq!(
            err,
            Err(CalendarError::Conflict {
                date: d("2024-10-06"),
                loaded: (DayKind::Holiday, 2024),
                incoming: (DayKind::MakeUpWorkday, 2024),
            })
        );
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("2024-10-06与已载入的安排冲突：已载入为2024年安排的放假，新表为2024年安排的调休上班".to_owned())
        );
        assert_eq!(c, cal(), "unchanged after a failed merge");
        assert!(!c.covers(2027));
    }

    #[test]
    fn calendar_merge_different_arrangement_for_loaded_year() {
        let mut c = cal();
        // A "2025" table that lists only one of 2025's dates.
        let other = Calendar::from_csv(&table(&["2025-01-01,Wed,holiday,元旦,New Year's Day,2025,,x"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.merge(&other),
            Err(CalendarError::ArrangementDiffers {
                year: 2025,
                date: d("2025-01-26")
            })
        );
        // The same date claimed by another year's notice.
        let other = Calendar::from_csv(&table(&["2025-12-31,Wed,holiday,元旦,New Year's Day,2026,,x"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            c.merge(&other),
            Err(CalendarError::ArrangementDiffers { year: 2026, .. })
        ));
        let other = Calendar::from_csv(&table(&["2026-01-01,Thu,holiday,元旦,New Year's Day,2026,,x"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            c.merge(&other),
            Err(CalendarError::ArrangementDiffers { year: 2026, .. })
        ));
        assert_eq!(c, cal());
    }

    // ---- CSV parsing ----

    #[test]
    fn calendar_csv_accepts_bom_crlf_quotes_and_blank_lines() {
        let text = format!(
            "\u{feff}{HEADER}\r\n2027-01-01,Fri,holiday,元旦,New Year's Day,2027,,\"通知, 见 \"\"附件\"\"\"\r\n\r\n"
        );
        let c = Calendar::from_csv(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.years().collect::<Vec<_>>(), vec![2027]);
        assert_eq!(c.is_working_day(d("2027-01-01")), Ok(false));
    }

    #[test]
    fn calendar_csv_rejects_duplicate_date() {
        let e = parse_err(&[
            "2023-10-02,Mon,holiday,国庆节,National Day,2023,,x",
            "2023-10-03,Tue,holiday,国庆节,National Day,2023,,x",
            "2023-10-02,Mon,holiday,国庆节,National Day,2023,,x",
        ]);
        assert_eq!(
            e,
            CalendarError::Duplicate {
                line: 4,
                date: d("2023-10-02"),
                first_line: 2
            }
        );
        assert_eq!(
            e.to_string(),
            "节假日表第4行第1列（日期）：日期2023-10-02重复，第2行已有"
        );
    }

    #[test]
    fn calendar_csv_rejects_unknown_kind() {
        let e = parse_err(&["2023-10-02,Mon,off,国庆节,National Day,2023,,x"]);
        assert_eq!(
            e,
            CalendarError::Field {
                line: 2,
                column: 3,
                problem: FieldProblem::UnknownKind("off".to_owned())
            }
        );
        assert_eq!(
            e.to_string(),
            "节假日表第2行第3列（类型）：未知的类型“off”，应为“放假”或“调休上班”"
        );
    }

    #[test]
    fn calendar_csv_rejects_make_up_day_on_weekday() {
        let e = parse_err(&[
            "2023-10-07,Sat,workday,国庆节,National Day,2023,,x",
            "2023-10-09,Mon,workday,国庆节,National Day,2023,,x",
        ]);
        assert_eq!(
            e,
            CalendarError::Field {
                line: 3,
                column: 3,
                problem: FieldProblem::MakeUpNotWeekend { date: d("2023-10-09") }
            }
        );
        assert_eq!(
            e.to_string(),
            "节假日表第3行第3列（类型）：调休上班日2023-10-09是星期一，不是周末"
        );
    }

    #[test]
    fn calendar_csv_rejects_weekday_mismatch() {
        let e = parse_err(&["2023-10-02,Tue,holiday,国庆节,National Day,2023,,x"]);
        assert_eq!(
            e,
            CalendarError::Field {
                line: 2,
                column: 2,
                problem: FieldProblem::WeekdayMismatch {
                    date: d("2023-10-02"),
                    stated: Weekday::Tue
                }
            }
        );
        assert_eq!(
            e.to_string(),
            "节假日表第2行第2列（星期）：写的是星期二，但2023-10-02是星期一"
        );
        let e = parse_err(&["2023-10-02,周八,holiday,国庆节,National Day,2023,,x"]);
        assert!(matches!(
            e,
            CalendarError::Field {
                line: 2,
                column: 2,
                problem: FieldProblem::BadWeekday(_)
            }
        ));
    }

    #[test]
    fn calendar_csv_reads_chinese_headers_and_values() {
        // The same days as an English table gives, under the Chinese header.
        let zh = format!(
            "{}\n2027-02-06,星期六,放假,春节,Spring Festival,2027,,国办发明电\n2027-02-08,周一,放假,春节,Spring Festival,2027,是,国办发明电\n2027-02-20,星期六,调休上班,春节,Spring Festival,2027,,国办发明电\n",
            header_zh()
        );
        let en = format!(
            "{HEADER}\n2027-02-06,Sat,holiday,春节,Spring Festival,2027,,国办发明电\n2027-02-08,Mon,holiday,春节,Spring Festival,2027,Y,国办发明电\n2027-02-20,Sat,workday,春节,Spring Festival,2027,,国办发明电\n"
        );
        let a = Calendar::from_csv(&zh).expect("the Chinese header");
        let b = Calendar::from_csv(&en).expect("the English header");
        assert_eq!(a, b);
        assert!(a.entry(d("2027-02-08")).is_some_and(|e| e.in_lieu));
        assert_eq!(header_zh(), "日期,星期,类型,节日,节日英文名,安排年份,调休换休日,依据");
        // Neither header: the message shows the Chinese one.
        let e = Calendar::from_csv("date,kind\n").unwrap_err();
        assert!(e.to_string().contains("日期,星期,类型"), "{e}");
    }

    #[test]
    fn calendar_csv_rejects_bad_fields() {
        let cases: [(&str, usize, FieldProblem); 9] = [
            (
                "2023-1-2,Mon,holiday,元旦,x,2023,,x",
                1,
                FieldProblem::BadDate("2023-1-2".to_owned()),
            ),
            (
                "2023-02-30,Mon,holiday,元旦,x,2023,,x",
                1,
                FieldProblem::BadDate("2023-02-30".to_owned()),
            ),
            (",Mon,holiday,元旦,x,2023,,x", 1, FieldProblem::Missing),
            ("2023-01-02,Mon,holiday,,x,2023,,x", 4, FieldProblem::Missing),
            (
                "2023-01-02,Mon,holiday,元旦,x,23,,x",
                6,
                FieldProblem::BadYear("23".to_owned()),
            ),
            (
                "2023-01-02,Mon,holiday,元旦,x,2024,,x",
                6,
                FieldProblem::OutsideArrangement {
                    date: d("2023-01-02"),
                    year: 2024,
                },
            ),
            (
                "2023-01-02,Mon,holiday,元旦,x,2023,yes,x",
                7,
                FieldProblem::BadInLieu("yes".to_owned()),
            ),
            (
                "2023-01-01,Sun,holiday,元旦,x,2023,Y,x",
                7,
                FieldProblem::InLieuNotWeekdayOff,
            ),
            (
                "2023-01-28,Sat,workday,春节,x,2023,Y,x",
                7,
                FieldProblem::InLieuNotWeekdayOff,
            ),
        ];
        for (row, column, problem) in cases {
            assert_eq!(
                parse_err(&[row]),
                CalendarError::Field {
                    line: 2,
                    column,
                    problem
                },
                "{row}"
            );
        }
        // A row dated 12-28 cannot belong to the next year's notice; 12-31 can.
        assert!(matches!(
            parse_err(&["2022-12-28,Wed,holiday,元旦,x,2023,,x"]),
            CalendarError::Field {
                column: 6,
                problem: FieldProblem::OutsideArrangement { .. },
                ..
            }
        ));
        assert!(Calendar::from_csv(&table(&["2022-12-31,Sat,holiday,元旦,x,2023,,x"])).is_ok());
    }

    #[test]
    fn calendar_csv_rejects_bad_structure() {
        assert!(matches!(Calendar::from_csv(""), Err(CalendarError::Header { .. })));
        assert!(matches!(
            Calendar::from_csv("date,kind\n2023-01-02,holiday\n"),
            Err(CalendarError::Header { .. })
        ));
        assert_eq!(Calendar::from_csv(&table(&[])), Err(CalendarError::Empty));
        assert_eq!(
            parse_err(&["2023-01-02,Mon,holiday,元旦,x,2023,"]),
            CalendarError::FieldCount { line: 2, found: 7 }
        );
        assert_eq!(
            parse_err(&["2023-01-02,Mon,holiday,元旦,x,2023,,\"open"]),
            CalendarError::UnclosedQuote { line: 2 }
        );
        assert_eq!(
            CalendarError::FieldCount { line: 2, found: 7 }.to_string(),
            "节假日表第2行：应有8列，实际为7列"
        );
    }

    // ---- properties over the whole loaded range ----

    /// Every date from 2023-01-01 on, while `add_working_days(date, 130)`
    /// stays inside the loaded arrangements.
    fn sample_dates(c: &Calendar) -> Vec<NaiveDate> {
        d("2023-01-01")
            .iter_days()
            .take_while(|x| c.add_working_days(*x, 130).is_ok())
            .collect()
    }

    #[test]
    fn calendar_property_result_is_working_and_count_round_trips() {
        let c = cal();
        let dates = sample_dates(&c);
        assert!(dates.len() > 1200, "only {} dates", dates.len());
        for &x in &dates {
            for n in [1, 2, 3, 5, 10, 30, 60, 90] {
                let r = c.add_working_days(x, n).unwrap_or_else(|e| panic!("{x} + {n}: {e}"));
                assert!(r > x, "{x} + {n}");
                assert_eq!(c.is_working_day(r), Ok(true), "{x} + {n} = {r}");
                assert_eq!(c.working_days_between(x, r), Ok(i64::from(n)), "{x} + {n}");
                assert_eq!(c.working_days_between(r, x), Ok(-i64::from(n)), "{x} + {n}");
            }
            let z = c.add_working_days(x, 0).unwrap_or_else(|e| panic!("{x}: {e}"));
            assert_eq!(c.is_working_day(z), Ok(true));
            assert_eq!(z == x, c.is_working_day(x) == Ok(true), "{x}");
        }
    }

    #[test]
    fn calendar_property_monotone_and_compositional() {
        let c = cal();
        for x in sample_dates(&c).into_iter().step_by(3) {
            // n = 0 and n = 1 coincide exactly when x is not a working day.
            let zero = c.add_working_days(x, 0).unwrap_or_else(|e| panic!("{x}: {e}"));
            let one = c.add_working_days(x, 1).unwrap_or_else(|e| panic!("{x}: {e}"));
            assert!(zero <= one, "{x}");
            assert_eq!(zero == one, c.is_working_day(x) == Ok(false), "{x}");
            // Strictly increasing from n = 1 on.
            let mut prev = one;
            for n in 2..=40u32 {
                let r = c.add_working_days(x, n).unwrap_or_else(|e| panic!("{x} + {n}: {e}"));
                assert!(r > prev, "{x}: + {n} = {r} not after {prev}");
                // Consecutive results have only non-working days between them.
                assert_eq!(c.working_days_between(prev, r), Ok(1), "{x} + {n}");
                prev = r;
            }
            for (a, b) in [(1, 1), (5, 60), (60, 30), (7, 13)] {
                let ab = c.add_working_days(x, a).and_then(|y| c.add_working_days(y, b));
                assert_eq!(ab, c.add_working_days(x, a + b), "{x} + {a} + {b}");
            }
        }
    }

    #[test]
    fn calendar_property_matches_weekday_rule_outside_listed_dates() {
        // Unlisted covered dates follow the plain Monday–Friday rule; listed
        // ones follow their kind. Checked over every covered 2023–2026 date.
        let c = cal();
        let mut checked = 0;
        for x in d("2023-01-01").iter_days().take_while(|x| x.year() <= 2026) {
            let Ok(w) = c.is_working_day(x) else {
                assert!(x >= d("2026-12-29"), "{x} not covered");
                continue;
            };
            let expected = match c.entry(x) {
                Some(e) => e.kind == DayKind::MakeUpWorkday,
                None => !matches!(x.weekday(), Weekday::Sat | Weekday::Sun),
            };
            assert_eq!(w, expected, "{x}");
            checked += 1;
        }
        assert_eq!(checked, 365 * 4 + 1 - 3);
    }
}
