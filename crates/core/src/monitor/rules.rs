//! The warning rules file (`data/monitor_rules.toml`): parsed and checked
//! with line-numbered errors in Chinese.

use super::{Authority, Check, Level, ProjectStatus};
use crate::coded::Labelled;
use crate::division::DivisionCode;
use crate::money::Fen;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Range, RangeInclusive};
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

/// The rules file shipped as the default.
pub const DEFAULT_RULES: &str = include_str!("../../../../data/monitor_rules.toml");

/// A mistake in a rules file, at a line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第{}行：{}", self.line, self.message)
    }
}

/// The monitoring's rules and figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    /// Days after the construction contract within which the special account is opened (30).
    pub account_days: u32,
    /// Month M's payroll is due by this day of month M+1 (1–28).
    pub payroll_due_day: u32,
    /// The statuses whose projects are watched (在建, 停工).
    pub watched: Vec<ProjectStatus>,
    /// Attendance days that make a full month, for the minimum-wage rule.
    pub full_month_days: u32,
    /// The minimum monthly wage by region, from a date.
    pub minimum_wage: Vec<MinimumWage>,
    pub deposit: DepositRules,
    /// The warning rules, in file order.
    pub rules: Vec<Rule>,
}

/// One minimum-wage figure: for the region's subtree, from a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinimumWage {
    pub region: DivisionCode,
    pub from: NaiveDate,
    pub monthly: Fen,
}

/// The wage deposit's amount rules (人社部发〔2021〕65号 and the province's figures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositRules {
    /// The rate of the contract sum, in per mille (‰), and its bounds.
    pub rate_permille: u32,
    pub min_rate_permille: u32,
    pub max_rate_permille: u32,
    /// An upper limit of the amount, if the province sets one.
    pub cap: Option<Fen>,
    /// Contracts below this sum, with no arrears in the previous year, need no deposit.
    pub exempt_below: Fen,
    /// After this many years in a row without arrears the rate is reduced…
    pub reduce_after_clean_years: u32,
    /// …to this rate (‰).
    pub reduced_rate_permille: u32,
    /// After this many years in a row without arrears no deposit is needed.
    pub exempt_after_clean_years: u32,
    /// After arrears within the last year the rate is raised to this (‰).
    pub raised_rate_permille: u32,
}

/// One warning rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Its code in the file (`R1`), unique.
    pub code: String,
    pub check: Check,
    /// The name shown (defaults to the check's label).
    pub name: String,
    pub level: Level,
    /// Who deals with it; `None`: the project's own authority.
    pub authority: Option<Authority>,
    /// Working days to deal with it.
    pub deadline_working_days: u32,
    /// The rule's basis (the article it enforces), shown with the warning.
    pub basis: String,
}

impl Rules {
    /// Parses and checks a rules file. The errors (every one found, in line
    /// order) are TOML syntax errors alone when the text is not TOML;
    /// otherwise unknown or missing keys, values of the wrong type, unknown
    /// codes, figures out of range or out of order, duplicate rule codes.
    pub fn parse(text: &str) -> Result<Rules, Vec<RuleError>> {
        let (doc, syntax) = DeTable::parse_recoverable(text);
        let mut c = Checker {
            text,
            errors: Vec::new(),
        };
        if syntax.is_empty() {
            if let Some(rules) = c.file(doc.get_ref())
                && c.errors.is_empty()
            {
                return Ok(rules);
            }
        } else {
            for e in &syntax {
                c.err(e.span().unwrap_or(0..0), syntax_message(e.message()));
            }
        }
        let mut errors = c.errors;
        errors.sort_by_key(|e| e.line);
        errors.dedup();
        Err(errors)
    }

    /// The shipped default rules.
    pub fn default_rules() -> Rules {
        Rules::parse(DEFAULT_RULES).expect("the shipped rules file is valid")
    }

    /// The minimum monthly wage in force in `region` on `date`: the entry of
    /// the nearest enclosing region with the latest `from` not after `date`.
    pub fn minimum_wage_for(&self, region: DivisionCode, date: NaiveDate) -> Option<Fen> {
        self.minimum_wage
            .iter()
            .filter(|m| m.region.contains(region) && m.from <= date)
            .max_by_key(|m| (m.region.level(), m.from))
            .map(|m| m.monthly)
    }
}

/// The rules-file format version this program reads.
const FORMAT: &str = "1";

const TOP_KEYS: &[&str] = &[
    "format",
    "watched",
    "account",
    "payroll",
    "minimum_wage",
    "deposit",
    "rule",
];
const FIGURE_KEYS: &[&str] = &["region", "from", "monthly"];
const RULE_KEYS: &[&str] = &["code", "check", "name", "level", "authority", "deadline", "basis"];
/// The deposit's rates, in the order their values must keep.
const RATE_ORDER: [&str; 5] = [
    "min_rate_permille",
    "reduced_rate_permille",
    "rate_permille",
    "raised_rate_permille",
    "max_rate_permille",
];

type Value<'i> = Spanned<DeValue<'i>>;

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
}

fn syntax_message(msg: &str) -> String {
    if msg.contains("duplicate key") {
        "键重复定义（同一张表里同一个键只能写一次）".into()
    } else {
        format!("TOML 语法错误（{}），请检查这一行的引号、括号、逗号和等号", msg.trim())
    }
}

/// One table of the file.
struct Table<'a, 'i> {
    /// As the messages name it (`[deposit]`).
    name: String,
    span: Range<usize>,
    entries: &'a DeTable<'i>,
}

impl<'a, 'i> Table<'a, 'i> {
    fn entry(&self, key: &str) -> Option<(&'a Spanned<DeString<'i>>, &'a Value<'i>)> {
        self.entries.iter().find(|(k, _)| k.get_ref() == key)
    }

    fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.entry(key).map(|(_, v)| v)
    }
}

struct Checker<'t> {
    text: &'t str,
    errors: Vec<RuleError>,
}

impl Checker<'_> {
    fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors.push(RuleError {
            line: line_of(self.text, span.start),
            message: message.into(),
        });
    }

    /// The value as written, for messages.
    fn written(&self, v: &Value) -> &str {
        self.text.get(v.span()).unwrap_or_default().trim()
    }

    fn wrong_type(&mut self, v: &Value, key: &str, expected: &str) {
        let msg = format!("“{key}”应为{expected}，这里写的是 {}", self.written(v));
        self.err(v.span(), msg);
    }

    /// A table's keys, checked against those it may hold.
    fn table<'a, 'i>(&mut self, v: &'a Value<'i>, name: &str, allowed: &[&str]) -> Option<Table<'a, 'i>> {
        let DeValue::Table(entries) = v.get_ref() else {
            self.wrong_type(v, name, "表");
            return None;
        };
        for (k, _) in entries.iter() {
            if !allowed.contains(&k.get_ref().as_ref()) {
                let msg = format!("{name}中不认识的键“{}”，可用的键：{}", k.get_ref(), allowed.join("、"));
                self.err(k.span(), msg);
            }
        }
        Some(Table {
            name: name.to_string(),
            span: v.span(),
            entries,
        })
    }

    /// A required section of the top level.
    fn section<'a, 'i>(&mut self, top: &Table<'a, 'i>, key: &str, allowed: &[&str]) -> Option<Table<'a, 'i>> {
        let Some(v) = top.get(key) else {
            self.err(0..0, format!("缺少 [{key}] 部分"));
            return None;
        };
        self.table(v, &format!("[{key}]"), allowed)
    }

    /// The tables of an array of tables (`[[rule]]`); none if absent.
    fn tables<'a, 'i>(&mut self, v: Option<&'a Value<'i>>, name: &str, allowed: &[&str]) -> Vec<Table<'a, 'i>> {
        let Some(v) = v else { return Vec::new() };
        match v.get_ref() {
            DeValue::Array(items) => items.iter().filter_map(|it| self.table(it, name, allowed)).collect(),
            _ => {
                self.wrong_type(v, name, &format!("表数组（每项以 {name} 开头）"));
                Vec::new()
            }
        }
    }

    fn required<'a, 'i>(&mut self, t: &Table<'a, 'i>, key: &str) -> Option<&'a Value<'i>> {
        let v = t.get(key);
        if v.is_none() {
            self.err(t.span.clone(), format!("{}缺少必填的键“{key}”", t.name));
        }
        v
    }

    fn integer(&mut self, v: &Value, key: &str, range: RangeInclusive<u32>) -> Option<u32> {
        let DeValue::Integer(i) = v.get_ref() else {
            self.wrong_type(v, key, "整数（不加引号）");
            return None;
        };
        let n = u32::from_str_radix(i.as_str(), i.radix())
            .ok()
            .filter(|n| range.contains(n));
        if n.is_none() {
            let msg = format!("“{key}”应为{}至{}的整数，这里是{i}", range.start(), range.end());
            self.err(v.span(), msg);
        }
        n
    }

    /// A required integer of a table, in `range`.
    fn number(&mut self, t: &Table, key: &str, range: RangeInclusive<u32>) -> Option<u32> {
        let v = self.required(t, key)?;
        self.integer(v, key, range)
    }

    /// A text, trimmed, not empty.
    fn text<'v>(&mut self, v: &'v Value, key: &str) -> Option<&'v str> {
        match v.get_ref() {
            DeValue::String(s) if !s.trim().is_empty() => Some(s.trim()),
            DeValue::String(_) => {
                self.err(v.span(), format!("“{key}”不能为空"));
                None
            }
            _ => {
                self.wrong_type(v, key, "文本（用双引号括起）");
                None
            }
        }
    }

    fn date(&mut self, v: &Value, key: &str) -> Option<NaiveDate> {
        if let DeValue::Datetime(d) = v.get_ref()
            && let (Some(x), None, None) = (&d.date, &d.time, &d.offset)
            && let Some(date) = NaiveDate::from_ymd_opt(i32::from(x.year), u32::from(x.month), u32::from(x.day))
        {
            return Some(date);
        }
        self.wrong_type(v, key, "日期（如 2023-03-01，不加引号，不带时间）");
        None
    }

    /// An amount in yuan: a text (`"1930"`, `"300万元"`) or a whole number.
    fn money(&mut self, v: &Value, key: &str) -> Option<Fen> {
        let fen = match v.get_ref() {
            DeValue::String(s) => Fen::from_yuan_str(s).map_err(|e| e.to_string()),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .filter(|n| *n >= 0)
                .and_then(|n| n.checked_mul(100))
                .map(Fen)
                .ok_or_else(|| format!("金额不正确：{i}")),
            _ => {
                self.wrong_type(v, key, "金额（以元为单位的文本，如 \"1930\" 或 \"300万元\"）");
                return None;
            }
        };
        fen.map_err(|e| self.err(v.span(), format!("“{key}”：{e}"))).ok()
    }

    /// A coded value by its code or its label (a label's trailing 色 may be
    /// left out: 黄, 橙, 红).
    fn coded<T: Labelled>(&mut self, v: &Value, key: &str, what: &str) -> Option<T> {
        let s = self.text(v, key)?;
        let found = T::ALL
            .iter()
            .copied()
            .find(|x| s == x.code() || s == x.label_zh() || x.label_zh().strip_suffix('色') == Some(s));
        if found.is_none() {
            let choices: Vec<String> = T::ALL
                .iter()
                .map(|x| format!("{}（{}）", x.code(), x.label_zh()))
                .collect();
            let msg = format!("不认识的{what}“{s}”，可写：{}", choices.join("、"));
            self.err(v.span(), msg);
        }
        found
    }

    fn file(&mut self, doc: &DeTable) -> Option<Rules> {
        let top = Table {
            name: "文件开头".into(),
            span: 0..0,
            entries: doc,
        };
        for (k, _) in doc.iter() {
            if !TOP_KEYS.contains(&k.get_ref().as_ref()) {
                let msg = format!("不认识的键或部分“{}”，可用的：{}", k.get_ref(), TOP_KEYS.join("、"));
                self.err(k.span(), msg);
            }
        }
        if let Some(v) = self.required(&top, "format")
            && self.written(v) != FORMAT
        {
            let msg = format!("不支持的规则文件格式版本 {}，本程序读取版本 {FORMAT}", self.written(v));
            self.err(v.span(), msg);
        }
        let watched = self.required(&top, "watched").and_then(|v| self.watched(v));
        let account = self.section(&top, "account", &["days"]);
        let account_days = account.and_then(|t| self.number(&t, "days", 1..=365));
        let payroll = self.section(&top, "payroll", &["due_day"]);
        let payroll_due_day = payroll.and_then(|t| self.number(&t, "due_day", 1..=28));
        let (full_month_days, minimum_wage) = match self.section(&top, "minimum_wage", &["full_month_days", "figure"]) {
            Some(t) => (self.number(&t, "full_month_days", 1..=31), self.figures(&t)),
            None => (None, Vec::new()),
        };
        let deposit = self
            .section(&top, "deposit", &DEPOSIT_KEYS)
            .and_then(|t| self.deposit(&t));
        let rules = self.rules(&top);
        Some(Rules {
            account_days: account_days?,
            payroll_due_day: payroll_due_day?,
            watched: watched?,
            full_month_days: full_month_days?,
            minimum_wage,
            deposit: deposit?,
            rules,
        })
    }

    fn watched(&mut self, v: &Value) -> Option<Vec<ProjectStatus>> {
        let list = match v.get_ref() {
            DeValue::Array(items) if !items.is_empty() => items,
            DeValue::Array(_) => {
                self.err(v.span(), "“watched”至少写一个项目状态");
                return None;
            }
            _ => {
                self.wrong_type(v, "watched", "项目状态的数组，如 [\"在建\", \"停工\"]");
                return None;
            }
        };
        let statuses: Vec<Option<ProjectStatus>> = list.iter().map(|s| self.coded(s, "watched", "项目状态")).collect();
        statuses.into_iter().collect()
    }

    fn figures(&mut self, t: &Table) -> Vec<MinimumWage> {
        let mut out = Vec::new();
        let mut seen: BTreeMap<(DivisionCode, NaiveDate), usize> = BTreeMap::new();
        for f in self.tables(t.get("figure"), "[[minimum_wage.figure]]", FIGURE_KEYS) {
            let region = self.required(&f, "region").and_then(|v| {
                let s = self.text(v, "region")?;
                DivisionCode::parse(s)
                    .map_err(|e| self.err(v.span(), format!("“region”不是有效的区划代码：“{s}”（{e}）")))
                    .ok()
            });
            let from = self.required(&f, "from").and_then(|v| self.date(v, "from"));
            let monthly = self.required(&f, "monthly").and_then(|v| {
                let m = self.money(v, "monthly")?;
                if m.0 == 0 {
                    self.err(v.span(), "月最低工资标准“monthly”应大于0");
                    return None;
                }
                Some(m)
            });
            let (Some(region), Some(from), Some(monthly)) = (region, from, monthly) else {
                continue;
            };
            if let Some(first) = seen.get(&(region, from)) {
                let msg = format!("地区{region}自{from}起的最低工资标准重复，第{first}行已经写过");
                self.err(f.span.clone(), msg);
            } else {
                seen.insert((region, from), line_of(self.text, f.span.start));
            }
            out.push(MinimumWage { region, from, monthly });
        }
        out
    }

    fn deposit(&mut self, t: &Table) -> Option<DepositRules> {
        let [min, reduced, rate, raised, max] = RATE_ORDER.map(|key| self.number(t, key, 1..=1000));
        // min ≤ reduced ≤ rate ≤ raised ≤ max, among those given.
        let given: Vec<(&str, u32)> = RATE_ORDER
            .iter()
            .zip([min, reduced, rate, raised, max])
            .filter_map(|(k, v)| Some((*k, v?)))
            .collect();
        for w in given.windows(2) {
            let ((lower, a), (key, b)) = (w[0], w[1]);
            if a > b
                && let Some(v) = t.get(key)
            {
                let msg = format!(
                    "比例应满足 {}：“{key}”（{b}‰）小于“{lower}”（{a}‰）",
                    RATE_ORDER.join(" ≤ ")
                );
                self.err(v.span(), msg);
            }
        }
        let cap = t.get("cap").and_then(|v| {
            let cap = self.money(v, "cap")?;
            if cap.0 == 0 {
                self.err(v.span(), "存储上限“cap”应大于0（不设上限则不写 cap）");
            }
            Some(cap)
        });
        let exempt_below = self
            .required(t, "exempt_below")
            .and_then(|v| self.money(v, "exempt_below"));
        let reduce_after = self.number(t, "reduce_after_clean_years", 1..=99);
        let exempt_after = self.number(t, "exempt_after_clean_years", 1..=99);
        if let (Some(r), Some(e)) = (reduce_after, exempt_after)
            && r >= e
            && let Some(v) = t.get("exempt_after_clean_years")
        {
            let msg = format!(
                "免存所需的无拖欠年数“exempt_after_clean_years”（{e}）应大于降低比例所需的年数“reduce_after_clean_years”（{r}）"
            );
            self.err(v.span(), msg);
        }
        Some(DepositRules {
            rate_permille: rate?,
            min_rate_permille: min?,
            max_rate_permille: max?,
            cap,
            exempt_below: exempt_below?,
            reduce_after_clean_years: reduce_after?,
            reduced_rate_permille: reduced?,
            exempt_after_clean_years: exempt_after?,
            raised_rate_permille: raised?,
        })
    }

    fn rules(&mut self, top: &Table) -> Vec<Rule> {
        let tables = self.tables(top.get("rule"), "[[rule]]", RULE_KEYS);
        if tables.is_empty() {
            self.err(0..0, "规则文件没有预警规则 [[rule]]");
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = Vec::new();
        for t in &tables {
            let code = self.required(t, "code").and_then(|v| {
                let code = self.text(v, "code")?;
                if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                    self.err(v.span(), format!("规则编号“{code}”只能由英文字母、数字和“_”“-”组成"));
                }
                if let Some(first) = seen.get(code) {
                    let msg = format!("规则编号“{code}”重复，第{first}行已经用过");
                    self.err(v.span(), msg);
                } else {
                    seen.insert(code.to_string(), line_of(self.text, v.span().start));
                }
                Some(code.to_string())
            });
            let check = self
                .required(t, "check")
                .and_then(|v| self.coded::<Check>(v, "check", "核查内容"));
            let name = t.get("name").and_then(|v| self.text(v, "name")).map(str::to_string);
            let level = self
                .required(t, "level")
                .and_then(|v| self.coded::<Level>(v, "level", "预警等级"));
            let authority = t
                .get("authority")
                .map(|v| self.coded::<Authority>(v, "authority", "主管部门"));
            let deadline = self.number(t, "deadline", 1..=60);
            let basis = self
                .required(t, "basis")
                .and_then(|v| self.text(v, "basis"))
                .map(str::to_string);
            if let (Some(code), Some(check), Some(level), Some(deadline), Some(basis)) =
                (code, check, level, deadline, basis)
            {
                out.push(Rule {
                    code,
                    check,
                    name: name.unwrap_or_else(|| check.label_zh().to_string()),
                    level,
                    authority: authority.flatten(),
                    deadline_working_days: deadline,
                    basis,
                });
            }
        }
        out
    }
}

const DEPOSIT_KEYS: [&str; 9] = [
    "rate_permille",
    "min_rate_permille",
    "max_rate_permille",
    "cap",
    "exempt_below",
    "reduce_after_clean_years",
    "reduced_rate_permille",
    "exempt_after_clean_years",
    "raised_rate_permille",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    fn errors(text: &str) -> Vec<RuleError> {
        Rules::parse(text).expect_err("the text has mistakes")
    }

    /// The default file with `from` replaced by `to` (which must occur once).
    fn edited(from: &str, to: &str) -> String {
        assert_eq!(DEFAULT_RULES.matches(from).count(), 1, "{from}");
        DEFAULT_RULES.replace(from, to)
    }

    /// The line of the one occurrence of `needle`.
    fn line(text: &str, needle: &str) -> usize {
        assert_eq!(text.matches(needle).count(), 1, "{needle}");
        line_of(text, text.find(needle).unwrap())
    }

    #[test]
    fn default_rules_parse_with_one_rule_per_check() {
        let r = Rules::default_rules();
        assert_eq!(r.account_days, 30);
        assert_eq!(r.payroll_due_day, 10);
        assert_eq!(r.watched, [ProjectStatus::Building, ProjectStatus::Halted]);
        assert_eq!(r.full_month_days, 22);
        assert_eq!(
            r.minimum_wage,
            [MinimumWage {
                region: code("341000"),
                from: date("2023-03-01"),
                monthly: Fen(193_000),
            }]
        );
        assert_eq!(
            r.deposit,
            DepositRules {
                rate_permille: 10,
                min_rate_permille: 5,
                max_rate_permille: 30,
                cap: None,
                exempt_below: Fen(300_000_000),
                reduce_after_clean_years: 2,
                reduced_rate_permille: 5,
                exempt_after_clean_years: 3,
                raised_rate_permille: 20,
            }
        );
        let mut checks: Vec<Check> = r.rules.iter().map(|x| x.check).collect();
        checks.sort();
        assert_eq!(checks, Check::ALL);
        for rule in &r.rules {
            assert_eq!(rule.name, rule.check.label_zh());
            assert!(rule.basis.starts_with('《'), "{}", rule.basis);
            assert!((1..=10).contains(&rule.deadline_working_days));
            let expected = (rule.check == Check::BelowMinimum).then_some(Authority::Labour);
            assert_eq!(rule.authority, expected, "{}", rule.code);
        }
        let level = |c: Check| r.rules.iter().find(|x| x.check == c).unwrap().level;
        assert_eq!(level(Check::UnpaidWorkers), Level::Red);
        assert_eq!(level(Check::NoPayroll), Level::Red);
        assert_eq!(level(Check::BelowMinimum), Level::Orange);
        assert_eq!(level(Check::NoBoard), Level::Yellow);
        assert_eq!(
            r.rules.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(),
            ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"]
        );
    }

    #[test]
    fn codes_labels_and_short_levels_are_accepted() {
        let text = edited(
            r#"watched = ["在建", "停工"]"#,
            r#"watched = ["building", "停工", "halted"]"#,
        )
        .replace(r#"level = "红色""#, r#"level = "红""#)
        .replace(r#"level = "黄色""#, r#"level = "yellow""#)
        .replace(r#"authority = "rsj""#, r#"authority = "人力资源社会保障""#)
        .replace(
            r#"check = "no_board""#,
            "check = \"未设置维权信息告示牌\"\nname = \"告示牌\"",
        )
        .replace(r#"monthly = "1930""#, "monthly = 1930")
        .replace("#   cap = \"500万元\"", "cap = \"500万元\"");
        let r = Rules::parse(&text).unwrap();
        assert_eq!(
            r.watched,
            [ProjectStatus::Building, ProjectStatus::Halted, ProjectStatus::Halted]
        );
        assert_eq!(r.minimum_wage[0].monthly, Fen(193_000));
        assert_eq!(r.deposit.cap, Some(Fen(500_000_000)));
        let rule = |c: &str| r.rules.iter().find(|x| x.code == c).unwrap();
        assert_eq!(rule("R4").level, Level::Red);
        assert_eq!(rule("R3").level, Level::Yellow);
        assert_eq!(rule("R6").authority, Some(Authority::Labour));
        assert_eq!((rule("R8").check, rule("R8").name.as_str()), (Check::NoBoard, "告示牌"));
    }

    const BROKEN: &str = r#"format = 1
watched = ["在建", "施工中"]
colour = "red"

[account]
days = 400

[payroll]
due_day = "10"

[minimum_wage]

[[minimum_wage.figure]]
region = "34100"
from = 2023-03-01
monthly = "1,93"

[deposit]
rate_permille = 40
min_rate_permille = 5
max_rate_permille = 30
exempt_below = "300万元"
reduce_after_clean_years = 2
reduced_rate_permille = 5
exempt_after_clean_years = 3
raised_rate_permille = 20

[[rule]]
code = "R1"
check = "no_account"
level = "紫"
deadline = 5
basis = "条例第二十六条"

[[rule]]
code = "R1"
check = "no_money"
level = "红"
authority = "gaj"
deadline = 90
basis = "条例"
note = "x"

[[rule]]
code = "R3"
check = "no_board"
level = "yellow"
deadline = 5
"#;

    #[test]
    fn every_mistake_is_reported_at_its_line() {
        let errs = errors(BROKEN);
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(
            lines,
            [2, 3, 6, 9, 11, 14, 16, 26, 31, 36, 37, 39, 40, 42, 44],
            "{errs:#?}"
        );
        let message = |l: usize| errs.iter().find(|e| e.line == l).unwrap().to_string();
        assert!(message(2).starts_with("第2行：不认识的项目状态“施工中”，可写：not_started（未开工）"));
        assert!(message(3).starts_with("第3行：不认识的键或部分“colour”"));
        assert_eq!(message(6), "第6行：“days”应为1至365的整数，这里是400");
        assert_eq!(message(9), "第9行：“due_day”应为整数（不加引号），这里写的是 \"10\"");
        assert_eq!(message(11), "第11行：[minimum_wage]缺少必填的键“full_month_days”");
        assert!(message(14).starts_with("第14行：“region”不是有效的区划代码：“34100”"));
        assert!(message(16).starts_with("第16行：“monthly”：金额格式不正确"));
        assert!(message(26).contains("“raised_rate_permille”（20‰）小于“rate_permille”（40‰）"));
        assert!(message(31).starts_with("第31行：不认识的预警等级“紫”，可写：yellow（黄色）"));
        assert_eq!(message(36), "第36行：规则编号“R1”重复，第29行已经用过");
        assert!(message(37).starts_with("第37行：不认识的核查内容“no_money”"));
        assert!(message(39).starts_with("第39行：不认识的主管部门“gaj”"));
        assert_eq!(message(40), "第40行：“deadline”应为1至60的整数，这里是90");
        assert!(message(42).starts_with("第42行：[[rule]]中不认识的键“note”"));
        assert_eq!(message(44), "第44行：[[rule]]缺少必填的键“basis”");
    }

    #[test]
    fn figures_out_of_range_or_order_are_refused() {
        // (from, to, the text on the line of the error, a part of its message)
        #[rustfmt::skip]
        let cases = [
            ("format = 1", "format = 2", "format = 2", "不支持的规则文件格式版本 2"),
            ("due_day = 10", "due_day = 29", "due_day = 29", "“due_day”应为1至28"),
            ("due_day = 10", "due_day = 0", "due_day = 0", "“due_day”应为1至28"),
            ("full_month_days = 22", "full_month_days = 32", "full_month_days = 32", "应为1至31"),
            ("days = 30", "days = -1", "days = -1", "“days”应为1至365的整数，这里是-1"),
            ("from = 2023-03-01", "from = \"2023-03-01\"", "from = ", "“from”应为日期"),
            ("from = 2023-03-01", "from = 2023-03-01T08:00:00", "from = ", "“from”应为日期"),
            ("max_rate_permille = 30", "max_rate_permille = 15", "max_rate_permille = 15", "小于“raised_rate_permille”"),
            ("min_rate_permille = 5", "min_rate_permille = 6", "reduced_rate_permille = 5", "（5‰）小于“min_rate_permille”（6‰）"),
            ("reduced_rate_permille = 5", "reduced_rate_permille = 12", "rate_permille = 10", "小于“reduced_rate_permille”"),
            ("exempt_after_clean_years = 3", "exempt_after_clean_years = 2", "exempt_after_clean_years = 2", "应大于"),
            ("exempt_below = \"300万元\"", "exempt_below = \"-3\"", "exempt_below = ", "金额不能为负数"),
            ("exempt_below = \"300万元\"", "exempt_below = 3.5", "exempt_below = ", "应为金额"),
            ("#   cap = \"500万元\"", "cap = \"0\"", "cap = ", "应大于0"),
            ("code = \"R8\"", "code = \"R 8\"", "code = \"R 8\"", "只能由英文字母"),
            ("code = \"R8\"", "code = \"  \"", "code = \"  \"", "“code”不能为空"),
            ("[account]\n", "[acount]\n", "[acount]", "不认识的键或部分“acount”"),
            ("monthly = \"1930\"", "monthly = \"0\"", "monthly = ", "应大于0"),
            ("watched = [\"在建\", \"停工\"]", "watched = []", "watched = ", "至少写一个"),
            ("watched = [\"在建\", \"停工\"]", "watched = \"在建\"", "watched = ", "项目状态的数组"),
        ];
        for (from, to, needle, fragment) in cases {
            let text = edited(from, to);
            let errs = errors(&text);
            let at = line(&text, needle);
            assert!(
                errs.iter().any(|e| e.line == at && e.message.contains(fragment)),
                "{to}: expected line {at} “{fragment}”, got {errs:#?}"
            );
        }
    }

    #[test]
    fn missing_sections_and_rules_are_reported() {
        let text = "format = 1\nwatched = [\"在建\"]\n";
        let msgs: Vec<String> = errors(text).iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "第1行：缺少 [account] 部分",
                "第1行：缺少 [payroll] 部分",
                "第1行：缺少 [minimum_wage] 部分",
                "第1行：缺少 [deposit] 部分",
                "第1行：规则文件没有预警规则 [[rule]]",
            ]
        );
        let dup = edited(
            "[[minimum_wage.figure]]\nregion",
            "[[minimum_wage.figure]]\nregion = \"341000\"\nfrom = 2023-03-01\nmonthly = \"1800\"\n\n[[minimum_wage.figure]]\nregion",
        );
        let errs = errors(&dup);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        let first = line(&dup, "monthly = \"1800\"") - 3;
        assert_eq!(errs[0].line, line(&dup, "monthly = \"1930\"") - 3);
        assert_eq!(
            errs[0].message,
            format!("地区341000自2023-03-01起的最低工资标准重复，第{first}行已经写过")
        );
    }

    #[test]
    fn syntax_errors_have_their_line() {
        let text = edited("due_day = 10", "due_day = \"10");
        let errs = errors(&text);
        assert_eq!(errs[0].line, line(&text, "due_day = \"10"), "{errs:#?}");
        assert!(errs[0].message.starts_with("TOML 语法错误"), "{errs:#?}");
        let text = edited("days = 30", "days = 30\ndays = 31");
        let errs = errors(&text);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert_eq!(errs[0].line, line(&text, "days = 31"));
        assert_eq!(errs[0].message, "键重复定义（同一张表里同一个键只能写一次）");
    }

    #[test]
    fn minimum_wage_is_the_nearest_regions_latest() {
        let figures = [
            ("340000", "2024-01-01", 2_100),
            ("341000", "2021-12-01", 1_650),
            ("341000", "2023-03-01", 1_930),
            ("341021", "2023-06-01", 1_780),
        ];
        let rules = Rules {
            minimum_wage: figures
                .iter()
                .map(|&(r, f, yuan)| MinimumWage {
                    region: code(r),
                    from: date(f),
                    monthly: Fen(yuan * 100),
                })
                .collect(),
            ..Rules::default_rules()
        };
        let at = |r: &str, d: &str| rules.minimum_wage_for(code(r), date(d)).map(|f| f.0 / 100);
        // A township of 歙县 (341021): the county's own figure once in force.
        assert_eq!(at("341021100", "2023-06-01"), Some(1_780));
        assert_eq!(at("341021100", "2025-01-01"), Some(1_780));
        // Before it, the city's latest, not the province's newer one.
        assert_eq!(at("341021100", "2023-05-31"), Some(1_930));
        assert_eq!(at("341002", "2024-06-01"), Some(1_930));
        assert_eq!(at("341002", "2023-02-28"), Some(1_650));
        assert_eq!(at("341002", "2021-11-30"), None);
        // Elsewhere in the province only the province's figure applies.
        assert_eq!(at("340100", "2024-06-01"), Some(2_100));
        assert_eq!(at("340100", "2023-12-31"), None);
        assert_eq!(at("320100", "2024-06-01"), None);
    }
}
