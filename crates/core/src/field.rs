//! The vocabulary of fields shared by every kind the registry describes as
//! data: the record kinds (`crate::record`), the facility kinds
//! (`crate::facility`) and the kinds to come. A kind lists its `Field`s
//! (key, label, `FieldType`, required, help) and implements [`FieldSpec`];
//! forms, lists, imports, exports and the JSON API are driven by that list,
//! so a field is defined once.
//!
//! Validation turns loosely typed input (a form, an Excel row, a JSON
//! object) into typed `Values` or one Chinese message per field; values as
//! people type them are accepted (full-width characters, "3,500元",
//! 2023年3月5日, Excel date serials, 是/否). Rules between fields are the
//! kind's own ([`FieldSpec::cross_check`]).

use crate::credit_code::CreditCode;
use crate::division::DivisionCode;
use crate::money::Fen;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// GB/T 4754-2017 sections (门类).
pub const INDUSTRIES: [(&str, &str); 20] = [
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
];

/// How a field's text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Free text of at most this many characters.
    Text(usize),
    /// A date on or before today.
    Date,
    /// A date that may lie ahead (a planned completion, a guarantee's end).
    LaterDate,
    /// An amount in yuan, stored in fen.
    Money,
    /// A whole number, zero or more.
    Count,
    /// 是 / 否.
    Flag,
    /// One of a fixed list.
    Choice(&'static [&'static str]),
    /// A unified social credit code (GB 32100).
    CreditCode,
    /// A GB/T 4754 section letter (or its name).
    Industry,
    /// A township or village of the city, by code or by name.
    Place,
    /// A school year such as 2023-2024.
    SchoolYear,
    /// A child of the worker, by ID number or by name (resolved against the family).
    Child,
}

impl FieldType {
    /// The values a dropdown offers, if any.
    pub fn choices(self) -> Vec<&'static str> {
        match self {
            FieldType::Choice(c) => c.to_vec(),
            FieldType::Flag => vec!["是", "否"],
            FieldType::Industry => INDUSTRIES.iter().map(|(_, n)| *n).collect(),
            _ => Vec::new(),
        }
    }
}

/// One field of a kind.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// A hint shown under the field and in template notes.
    pub help: &'static str,
}

pub(crate) const fn f(
    key: &'static str,
    label: &'static str,
    ty: FieldType,
    required: bool,
    help: &'static str,
) -> Field {
    Field {
        key,
        label,
        ty,
        required,
        help,
    }
}

/// A validated field value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
    Money(Fen),
    Count(i64),
    Flag(bool),
    Place(DivisionCode),
}

impl Value {
    /// The value as shown on screen and in exports.
    pub fn display(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::Money(f) => f.to_string(),
            Value::Count(n) => n.to_string(),
            Value::Flag(b) => if *b { "是" } else { "否" }.to_string(),
            Value::Place(c) => c.to_string(),
        }
    }

    /// The value as it takes part in a natural key.
    pub fn key_text(&self) -> String {
        match self {
            Value::Money(f) => f.0.to_string(),
            other => other.display(),
        }
    }
}

/// An item's validated values by field key (absent = not given).
pub type Values = BTreeMap<&'static str, Value>;

/// Looks places up: a township or village of the city, by code or by name.
pub trait Places {
    /// The code of a place typed as `s`, or a Chinese reason.
    fn place(&self, s: &str) -> Result<DivisionCode, String>;
}

/// Full-width ASCII to half-width, ideographic space to space, trimmed.
pub fn normalise(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' | '\u{00A0}' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Free text as typed: ideographic and no-break spaces become spaces, NUL
/// characters go (PostgreSQL can store them neither in text nor in JSON),
/// ends trimmed; Chinese punctuation is kept.
pub fn tidy(s: &str) -> String {
    s.replace(['\u{3000}', '\u{00A0}'], " ")
        .replace('\0', "")
        .trim()
        .to_string()
}

/// The first day of Excel's serial calendar (serial 1 = 1900-01-01, with
/// Excel's phantom 1900-02-29 accounted for by starting at 1899-12-30).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

/// A date as people type it: 2023-03-05, 2023/3/5, 2023.03.05, 2023年3月5日,
/// 20230305, or an Excel serial day number (e.g. 44990, possibly "44990.0").
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = normalise(s);
    if t.is_empty() {
        return None;
    }
    // An Excel serial: 1954..2119 covers every date the registry holds.
    if let Ok(serial) = t.parse::<f64>()
        && (20_000.0..80_000.0).contains(&serial)
        && !t.contains(['-', '/'])
    {
        return excel_epoch().checked_add_days(chrono::Days::new(serial.trunc() as u64));
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&t, "%Y%m%d").ok();
    }
    // A time part after the date ("2023-03-05 00:00:00") is ignored.
    let t = t.split([' ', 'T']).next().unwrap_or_default();
    let t = t.replace(['年', '月', '/', '.'], "-").replace('日', "");
    let mut parts = t.split('-').map(str::trim);
    let (y, m, d) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// 是/否 as people write it.
pub fn parse_flag(s: &str) -> Option<bool> {
    match normalise(s).to_ascii_lowercase().as_str() {
        "是" | "有" | "已签" | "已签订" | "y" | "yes" | "true" | "1" | "√" => Some(true),
        "否" | "无" | "未签" | "未签订" | "n" | "no" | "false" | "0" | "×" => Some(false),
        _ => None,
    }
}

/// The first school day of a school year "2023-2024" (also 2023—2024, 2023至2024, 2023学年).
fn parse_school_year(s: &str) -> Option<(i32, String)> {
    let t = normalise(s)
        .replace(['—', '–', '至', '~', '/'], "-")
        .replace("学年", "");
    let first: i32 = t.split('-').next()?.trim().parse().ok()?;
    if let Some(second) = t.split('-').nth(1) {
        let second: i32 = second.trim().parse().ok()?;
        if second != first + 1 {
            return None;
        }
    }
    (1990..=2100)
        .contains(&first)
        .then(|| (first, format!("{}-{}", first, first + 1)))
}

/// When a school year starts (1 September of its first year).
pub fn school_year_start(s: &str) -> Option<NaiveDate> {
    parse_school_year(s).and_then(|(y, _)| NaiveDate::from_ymd_opt(y, 9, 1))
}

fn parse_count(s: &str) -> Option<i64> {
    let t = normalise(s);
    let t = t
        .trim_end_matches(['人', '套', '间', '个', '名'])
        .trim()
        .replace(',', "");
    // Spreadsheet numbers arrive as "12" or "12.0".
    let t = t.strip_suffix(".0").unwrap_or(&t);
    t.parse::<i64>().ok().filter(|n| *n >= 0)
}

pub(crate) fn parse_industry(s: &str) -> Option<&'static str> {
    let t = normalise(s);
    let letter = t.to_ascii_uppercase();
    INDUSTRIES
        .iter()
        .find(|(code, name)| *code == letter || *name == t || t.strip_prefix(code).is_some_and(|r| r.trim() == *name))
        .map(|(code, _)| *code)
}

/// The name of an industry section letter.
pub fn industry_name(code: &str) -> &'static str {
    INDUSTRIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or("")
}

/// Per-field errors: (field key, Chinese message).
pub type Errors = Vec<(&'static str, String)>;

/// Reads each of `fields` from `get` ("" when absent): the values that are
/// valid, and one Chinese message per field that is missing or invalid.
/// Rules between fields are the kind's (see [`validate`]).
pub fn validate_fields(
    fields: &[Field],
    get: &dyn Fn(&str) -> String,
    places: &dyn Places,
    today: NaiveDate,
) -> (Values, Errors) {
    let mut values = Values::new();
    let mut errs = Errors::new();
    for field in fields {
        let raw = match field.ty {
            FieldType::Text(_) => tidy(&get(field.key)),
            _ => normalise(&get(field.key)),
        };
        if raw.is_empty() {
            if field.required {
                let verb = if field.ty.choices().is_empty() {
                    "填写"
                } else {
                    "选择"
                };
                errs.push((field.key, format!("请{verb}{}", field.label)));
            }
            continue;
        }
        match parse_value(field, &raw, places, today) {
            Ok(v) => {
                values.insert(field.key, v);
            }
            Err(msg) => errs.push((field.key, msg)),
        }
    }
    (values, errs)
}

fn parse_value(field: &Field, raw: &str, places: &dyn Places, today: NaiveDate) -> Result<Value, String> {
    let label = field.label;
    match field.ty {
        FieldType::Text(max) => {
            if raw.chars().count() > max {
                Err(format!("{label}不超过{max}个字"))
            } else {
                Ok(Value::Text(raw.to_string()))
            }
        }
        FieldType::Date => match parse_date(raw) {
            Some(d) if d > today => Err(format!("{label}不能晚于今天")),
            Some(d) if d.year() < 1950 => Err(format!("{label}早于1950年，请核对")),
            Some(d) => Ok(Value::Date(d)),
            None => Err(format!("{label}“{raw}”不是有效日期，请按 2023-03-05 的格式填写")),
        },
        FieldType::LaterDate => match parse_date(raw) {
            Some(d) if d.year() < 1950 || d.year() > 2100 => Err(format!("{label}“{raw}”超出1950至2100年，请核对")),
            Some(d) => Ok(Value::Date(d)),
            None => Err(format!("{label}“{raw}”不是有效日期，请按 2023-03-05 的格式填写")),
        },
        FieldType::Money => match Fen::from_yuan_str(raw) {
            Ok(v) if v.0 > 100_000_000_000 => Err(format!("{label}超过10亿元，请核对")),
            Ok(v) => Ok(Value::Money(v)),
            Err(e) => Err(format!("{label}：{e}")),
        },
        FieldType::Count => match parse_count(raw) {
            Some(n) if n <= 1_000_000 => Ok(Value::Count(n)),
            _ => Err(format!("{label}应为0或正整数")),
        },
        FieldType::Flag => parse_flag(raw)
            .map(Value::Flag)
            .ok_or_else(|| format!("{label}应填“是”或“否”")),
        FieldType::Choice(list) => list
            .iter()
            .find(|c| **c == raw)
            .map(|c| Value::Text((*c).to_string()))
            .ok_or_else(|| format!("{label}应为：{}", list.join("、"))),
        // The code's errors name it already ("统一社会信用代码应为18位…").
        FieldType::CreditCode => CreditCode::parse(raw)
            .map(|c| Value::Text(c.as_str().to_string()))
            .map_err(|e| e.to_string()),
        FieldType::Industry => parse_industry(raw)
            .map(|c| Value::Text(c.to_string()))
            .ok_or_else(|| format!("{label}应为 A 至 T 的门类字母或门类名称")),
        FieldType::Place => places.place(raw).map(Value::Place).map_err(|e| format!("{label}：{e}")),
        FieldType::SchoolYear => parse_school_year(raw)
            .map(|(_, s)| Value::Text(s))
            .ok_or_else(|| format!("{label}应写成 2023-2024 的形式")),
        FieldType::Child => Ok(Value::Text(raw.to_string())),
    }
}

/// A kind described by its fields (a record kind, a facility kind, …):
/// what forms, lists, exports and validation need to know of it.
pub trait FieldSpec: Sync {
    /// The kind's code, as in URLs and stored rows.
    fn code(&self) -> &'static str;
    /// The kind's name as users read it.
    fn label(&self) -> &'static str;
    /// The kind's fields, in the order forms and exports show them.
    fn fields(&self) -> &'static [Field];
    /// Fields whose values identify one item of the kind (the natural key).
    fn key(&self) -> &'static [&'static str];
    /// Rules between fields, checked once every field is valid.
    fn cross_check(&self, values: &Values, errs: &mut Errors);

    /// The field with this key.
    fn field(&self, key: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.key == key)
    }

    /// Whether some field is of this type.
    fn has(&self, ty: FieldType) -> bool {
        self.fields().iter().any(|f| f.ty == ty)
    }

    /// The labels of the natural key's fields, for messages.
    fn key_labels(&self) -> Vec<&'static str> {
        self.key()
            .iter()
            .filter_map(|k| self.field(k))
            .map(|f| f.label)
            .collect()
    }
}

/// Validates an item of `spec` whose raw field text `get` returns ("" when
/// absent): typed values, or one Chinese message per field. `today` bounds
/// dates; `places` resolves places.
pub fn validate<S: FieldSpec + ?Sized>(
    spec: &S,
    get: &dyn Fn(&str) -> String,
    places: &dyn Places,
    today: NaiveDate,
) -> Result<Values, Errors> {
    let (values, mut errs) = validate_fields(spec.fields(), get, places, today);
    // The rules between fields are checked on the fields that are valid, so
    // that one submission reports every problem; a field that has an error
    // of its own is not named twice.
    let mut between = Errors::new();
    spec.cross_check(&values, &mut between);
    for (key, msg) in between {
        if !errs.iter().any(|(k, _)| *k == key) {
            errs.push((key, msg));
        }
    }
    // In the form's order.
    let order = |key: &str| spec.fields().iter().position(|f| f.key == key).unwrap_or(usize::MAX);
    errs.sort_by_key(|(k, _)| order(k));
    if errs.is_empty() { Ok(values) } else { Err(errs) }
}

/// A city of one township (徽城镇, 341021100), for the kinds' tests.
#[cfg(test)]
pub(crate) struct Town;

#[cfg(test)]
impl Places for Town {
    fn place(&self, s: &str) -> Result<DivisionCode, String> {
        match s {
            "徽城镇" | "341021100" => DivisionCode::parse("341021100").map_err(|e| e.to_string()),
            _ => Err(format!("本市没有“{s}”")),
        }
    }
}

#[cfg(test)]
mod tidy_tests {
    #[test]
    fn tidy_keeps_the_text_and_drops_what_cannot_be_stored() {
        assert_eq!(super::tidy("\u{3000}焊\0工\u{00A0}（熟练） "), "焊工 （熟练）");
    }
}
