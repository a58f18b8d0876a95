//! The plan as data (目标、举措与督办): the plan file's model, parsed from TOML
//! text and checked against the registry's record kinds and the known units.
//!
//! A plan (`data/plans/huangshan-2023.toml`, format in `docs/plan-format.md`)
//! holds the document's particulars, the reporting cycle, the time-progress
//! thresholds, the targets (目标) and the numbered items (工作举措/保障措施),
//! each split into measures (具体举措) with their lead (责任单位) and
//! cooperating (配合单位) units. A target is either *computed* from registry
//! records (a [`Query`] over record kinds, fields and filters) or *reported*
//! by its responsible unit each period.
//!
//! [`parse`] returns a valid [`Plan`] or every problem found, each with its
//! line number and a Chinese message. A TOML syntax error, or a key of the
//! wrong type or unknown to the format, stops decoding and is reported alone;
//! every other problem (unknown kinds, fields, choice values, units, duplicate
//! ids, thresholds out of order, …) is collected.

use crate::auth::RecordKind;
use crate::division::{DivisionCode, Level};
use crate::record::{self, FieldSpec, FieldType, INDUSTRIES, KINDS, KindSpec};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::value::Datetime;

/// The plan-file format version this program reads.
pub const FORMAT: i64 = 1;

/// Units a money target may be given in, with their size in fen.
pub const MONEY_UNITS: [(&str, i64); 3] = [("元", 100), ("万元", 1_000_000), ("亿元", 10_000_000_000)];

// ---------------------------------------------------------------------------
// Wage-arrears cases as a source of computed targets
// ---------------------------------------------------------------------------

/// The statuses of a case as the plan file names them (`case::Status` labels).
pub const CASE_STATUSES: &[&str] = &[
    "登记",
    "受理",
    "不予受理",
    "调查处理",
    "办结",
    "已回访",
    "已移送仲裁",
    "已移送公安",
];
/// The sectors of a case (`case::Sector` labels).
pub const CASE_SECTORS: &[&str] = &["工程建设", "加工制造", "餐饮", "其他"];
/// The sources of a case (`case::Source` labels).
pub const CASE_SOURCES: &[&str] = &[
    "全国根治欠薪线索反映平台",
    "12333热线",
    "来访",
    "来信",
    "网上反映",
    "专项检查",
];

/// Wage-arrears cases (`kind = "wage_case"`) as a source of computed
/// targets. They are not registry records, but a plan names their fields
/// the same way. Each field is read as the case stood at the end of the day
/// a figure is taken on (see `indicator::CaseFact::values`), except
/// `status`, which is the status now. See `docs/plan-format.md`.
pub static CASE_SPEC: KindSpec = KindSpec {
    kind: RecordKind::WageCase,
    fields: &[
        record::f("received", "收到日期", FieldType::Date, true, ""),
        record::f(
            "closed",
            "结案日期",
            FieldType::Date,
            false,
            "办结、不予受理、移送仲裁或移送公安之日",
        ),
        record::f("status", "案件状态", FieldType::Choice(CASE_STATUSES), true, "当前状态"),
        record::f("sector", "行业", FieldType::Choice(CASE_SECTORS), true, ""),
        record::f("source", "线索来源", FieldType::Choice(CASE_SOURCES), true, ""),
        record::f("open", "未结案", FieldType::Flag, true, "当日尚未结案"),
        record::f(
            "on_time",
            "按期结案",
            FieldType::Flag,
            true,
            "当日已结案，且结案日不晚于当时的期限",
        ),
        record::f("amount_claimed", "反映欠薪金额", FieldType::Money, true, ""),
        record::f("amount_recovered", "追回金额", FieldType::Money, false, "办结的案件"),
        record::f("workers", "涉及人数", FieldType::Count, true, ""),
        record::f("workers_paid", "已支付人数", FieldType::Count, false, "办结的案件"),
    ],
    key: &[],
    date: &["received"],
    place: None,
    dept: "rsj",
};

/// The fields a source of a computed target may name: a registry kind's, or
/// the cases' ([`CASE_SPEC`]).
pub fn source_spec(kind: RecordKind) -> Option<&'static KindSpec> {
    match kind {
        RecordKind::WageCase => Some(&CASE_SPEC),
        other => record::spec(other),
    }
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

/// A checked plan (实施方案).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub meta: Meta,
    pub reporting: Reporting,
    /// The default time-progress thresholds.
    pub status: Thresholds,
    pub targets: Vec<Target>,
    pub items: Vec<Item>,
    /// The scoring rules of the year-end evaluation (市民化情况评估), if set.
    pub scoring: Option<Scoring>,
}

/// The scoring rules of the year-end evaluation (市民化情况评估): each
/// target's points (分值) out of a declared total. The plan itself fixes no
/// points; they are the office's setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Scoring {
    /// The full score; the weights add up to it.
    pub total: Figure,
    /// For a 左右 (`about`) target: full marks from this many percent below
    /// the figure on (5: 5000人左右 is reached at 4750).
    pub about_tolerance: u32,
    pub note: Option<String>,
    /// In the order written.
    pub weights: Vec<Weight>,
}

/// One target's points.
#[derive(Clone, Debug, PartialEq)]
pub struct Weight {
    pub target: String,
    pub weight: Figure,
    /// `false`: the target is scored for the city only, never per county.
    pub counties: bool,
}

impl Scoring {
    /// The default tolerance of 左右, in percent.
    pub const ABOUT_TOLERANCE: u32 = 5;

    pub fn weight(&self, target: &str) -> Option<&Weight> {
        self.weights.iter().find(|w| w.target == target)
    }
}

/// The document's particulars.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub id: String,
    pub title: String,
    /// The covering notice's title (印发通知).
    pub notice: Option<String>,
    pub recipients: Option<String>,
    pub notice_body: Option<String>,
    pub issuer: String,
    pub issued: NaiveDate,
    /// 公开方式, e.g. 主动公开.
    pub disclosure: Option<String>,
    /// The higher-level document the plan implements.
    pub basis: Option<String>,
    /// The area the targets are for (the city).
    pub region: DivisionCode,
    /// The plan period: records dated in it count towards cumulative targets.
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The task force's office (专班办公室), a unit code: it follows the
    /// measures that name no unit.
    pub office: String,
    pub preamble: Option<String>,
    /// 指导思想.
    pub guiding_thought: Option<String>,
    /// 主要目标's opening paragraph.
    pub goal: Option<String>,
}

/// How often measures and reported targets are reported (调度周期).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cycle {
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl Cycle {
    pub const ALL: [Cycle; 4] = [Cycle::Month, Cycle::Quarter, Cycle::HalfYear, Cycle::Year];

    pub fn code(self) -> &'static str {
        match self {
            Cycle::Month => "month",
            Cycle::Quarter => "quarter",
            Cycle::HalfYear => "half_year",
            Cycle::Year => "year",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Cycle::Month => "按月",
            Cycle::Quarter => "按季度",
            Cycle::HalfYear => "按半年",
            Cycle::Year => "按年",
        }
    }

    fn from_code(s: &str) -> Option<Cycle> {
        Cycle::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// The reporting cycle (调度).
#[derive(Clone, Debug, PartialEq)]
pub struct Reporting {
    pub cycle: Cycle,
    /// Reports are due this many working days after a period ends.
    pub due_working_days: u32,
    pub note: Option<String>,
}

/// Time-progress thresholds, in percent of the progress due by the day:
/// below `lagging_below` is 滞后 (amber), below `severe_below` 严重滞后 (red).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub lagging_below: u32,
    pub severe_below: u32,
}

/// How the figure reads (不低于 / 左右 / 不超过 / 1—2家).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    AtLeast,
    About,
    AtMost,
    /// From `value` to `upper`.
    Between,
}

impl Comparison {
    pub const ALL: [Comparison; 4] = [
        Comparison::AtLeast,
        Comparison::About,
        Comparison::AtMost,
        Comparison::Between,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Comparison::AtLeast => "at_least",
            Comparison::About => "about",
            Comparison::AtMost => "at_most",
            Comparison::Between => "between",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Comparison::AtLeast => "不低于",
            Comparison::About => "左右",
            Comparison::AtMost => "不超过",
            Comparison::Between => "区间",
        }
    }
}

/// How progress is judged against time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Accumulates over the plan period; due in proportion to time elapsed.
    Cumulative,
    /// A level (a ratio, a rate, a coverage): due in full at any time.
    Level,
}

impl Progress {
    pub fn code(self) -> &'static str {
        match self {
            Progress::Cumulative => "cumulative",
            Progress::Level => "level",
        }
    }
}

/// A target figure with up to four decimals, held exactly as ten-thousandths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Figure(pub i64);

impl Figure {
    pub const SCALE: i64 = 10_000;

    pub fn from_int(n: i64) -> Option<Figure> {
        n.checked_mul(Self::SCALE).map(Figure)
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / Self::SCALE as f64
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let scale = Self::SCALE.unsigned_abs();
        let (int, frac) = (abs / scale, abs % scale);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let digits = format!("{frac:04}");
            write!(f, "{sign}{int}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// A target (目标).
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Stable identifier (lower-case letters, digits, `_`).
    pub id: String,
    /// Short name for dashboards.
    pub name: String,
    /// Where in the plan it is set, e.g. 一（二）.
    pub source: String,
    /// The plan's own wording.
    pub text: String,
    /// `None`: a qualitative target (no number), or one whose city figure is
    /// the sum of its allocations.
    pub value: Option<Figure>,
    /// The upper end of a range (`Comparison::Between`).
    pub upper: Option<Figure>,
    /// The unit shown with the figure (人, 人次, %, 亿元, 套（间）…).
    pub unit: String,
    pub comparison: Comparison,
    pub progress: Progress,
    pub measurement: Measurement,
    /// Allocation to counties (任务分解), by county code.
    pub allocation: BTreeMap<DivisionCode, Figure>,
    /// Thresholds for this target, if not the plan's.
    pub status: Option<Thresholds>,
    pub note: Option<String>,
}

impl Target {
    /// The thresholds that apply to this target.
    pub fn thresholds<'a>(&'a self, plan: &'a Plan) -> &'a Thresholds {
        self.status.as_ref().unwrap_or(&plan.status)
    }
}

/// How a target is measured.
#[derive(Clone, Debug, PartialEq)]
pub enum Measurement {
    /// Computed from registry records.
    Computed(Query),
    /// Reported each period by the responsible unit (a unit code).
    Reported { reporter: String, cycle: Option<Cycle> },
}

/// A computation over registry records.
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    Tally(Tally),
    /// numerator ÷ denominator, in percent.
    Ratio {
        numerator: Tally,
        denominator: Tally,
    },
}

/// A count or sum over records of one or more kinds.
#[derive(Clone, Debug, PartialEq)]
pub struct Tally {
    pub aggregate: Aggregate,
    /// Counts and sums of several sources add up; distinct counts unite.
    pub from: Vec<Source>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Aggregate {
    /// Records (人次).
    Count,
    /// Distinct workers, or distinct values of a field.
    CountDistinct(Distinct),
    /// The sum of a money or count field.
    Sum(&'static str),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Distinct {
    Worker,
    Field(&'static str),
}

/// Records of one kind that take part in a tally.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub kind: RecordKind,
    /// The date field that places a record in time; `None`: the kind's own
    /// rule (`record::period_date`).
    pub date: Option<&'static str>,
    pub window: Window,
    pub filters: Vec<Filter>,
}

/// Which records count as of a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Dated from the plan's start to the day (新增).
    Plan,
    /// Dated on or before the day (累计、存量).
    ToDate,
    /// Dated in the twelve months up to the day (the current school year).
    RollingYear,
}

impl Window {
    pub const ALL: [Window; 3] = [Window::Plan, Window::ToDate, Window::RollingYear];

    pub fn code(self) -> &'static str {
        match self {
            Window::Plan => "plan",
            Window::ToDate => "to_date",
            Window::RollingYear => "rolling_year",
        }
    }
}

/// A condition on one field of a record.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub field: &'static str,
    pub test: Test,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// The value is one of these (canonical: 是/否 for flags, letters for industries).
    In(Vec<String>),
    /// The value is none of these (or absent).
    NotIn(Vec<String>),
    /// The field is filled (`true`) or empty (`false`).
    Present(bool),
}

/// A numbered item (（一）…（十二）) of 工作举措 or 保障措施.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub no: u32,
    /// The part of the plan it belongs to (工作举措 / 保障措施).
    pub section: String,
    pub title: String,
    pub measures: Vec<Measure>,
}

impl Item {
    /// （一）促进农民工稳定就业
    pub fn heading(&self) -> String {
        format!("（{}）{}", numeral_zh(self.no), self.title)
    }

    /// The item's paragraph as the plan prints it: heading, then each
    /// measure's text followed by its responsibility clause in brackets.
    pub fn text(&self) -> String {
        let mut s = format!("{}。", self.heading());
        for m in &self.measures {
            s.push_str(&m.text);
            if let Some(r) = &m.responsibility {
                s.push('（');
                s.push_str(r);
                s.push('）');
            }
        }
        s
    }
}

/// A measure (具体举措): a passage of an item with its units.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub id: String,
    pub text: String,
    /// The bracketed clause as the plan words it, without the brackets
    /// (责任单位：…，配合单位：…).
    pub responsibility: Option<String>,
    /// Lead units (责任单位), unit codes in the plan's order.
    pub lead: Vec<String>,
    /// Cooperating units (配合单位).
    pub cooperating: Vec<String>,
    /// The counties (各区县) are responsible too.
    pub counties: bool,
    /// Responsible bodies that are not units (e.g. the leading group).
    pub others: Vec<String>,
    pub due: Option<NaiveDate>,
    /// Targets the measure serves, by id.
    pub targets: Vec<String>,
}

/// Counts for a one-line summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub items: usize,
    pub measures: usize,
    pub targets: usize,
    pub computed: usize,
    pub reported: usize,
    /// Distinct units named anywhere (office, leads, cooperating, reporters).
    pub units: usize,
}

impl Plan {
    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }

    pub fn item(&self, no: u32) -> Option<&Item> {
        self.items.iter().find(|i| i.no == no)
    }

    pub fn measures(&self) -> impl Iterator<Item = (&Item, &Measure)> {
        self.items.iter().flat_map(|i| i.measures.iter().map(move |m| (i, m)))
    }

    pub fn summary(&self) -> Summary {
        let computed = self
            .targets
            .iter()
            .filter(|t| matches!(t.measurement, Measurement::Computed(_)))
            .count();
        let mut units: BTreeSet<&str> = BTreeSet::new();
        units.insert(&self.meta.office);
        for (_, m) in self.measures() {
            units.extend(m.lead.iter().chain(&m.cooperating).map(String::as_str));
        }
        for t in &self.targets {
            if let Measurement::Reported { reporter, .. } = &t.measurement {
                units.insert(reporter);
            }
        }
        Summary {
            items: self.items.len(),
            measures: self.measures().count(),
            targets: self.targets.len(),
            computed,
            reported: self.targets.len() - computed,
            units: units.len(),
        }
    }
}

/// 1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (1 to 99).
pub fn numeral_zh(n: u32) -> String {
    const D: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let digit = |d: u32| D[d as usize % 10];
    match n {
        0..=9 => digit(n).to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { digit(n - 10) }),
        20..=99 => format!(
            "{}十{}",
            digit(n / 10),
            if n.is_multiple_of(10) { "" } else { digit(n % 10) }
        ),
        _ => n.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Errors and context
// ---------------------------------------------------------------------------

/// A problem in a plan file: its line (1-based) and a Chinese message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第{}行：{}", self.line, self.message)
    }
}

/// A unit a plan may name: its department code and names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitName {
    /// Department code (`rsj`), as in `data/units.csv`.
    pub code: String,
    /// City-level full name (市人力资源社会保障局).
    pub name: String,
    /// City-level short name (市人社局).
    pub short: String,
}

/// What a plan is checked against: the known units and counties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub units: Vec<UnitName>,
    /// County-level divisions with their names.
    pub counties: Vec<(DivisionCode, String)>,
}

impl Context {
    /// From the texts of `data/units.csv` (dept,city_name,city_short,…) and
    /// of the division list (code,code12,name,level,…). Lines that do not
    /// read are skipped.
    pub fn from_csv(units_csv: &str, divisions_csv: &str) -> Context {
        let units = units_csv
            .lines()
            .skip(1)
            .filter_map(|l| {
                let c: Vec<&str> = l.split(',').map(str::trim).collect();
                (c.len() >= 3 && !c[0].is_empty()).then(|| UnitName {
                    code: c[0].to_string(),
                    name: c[1].to_string(),
                    short: c[2].to_string(),
                })
            })
            .collect();
        let counties = divisions_csv
            .lines()
            .skip(1)
            .filter_map(|l| {
                let c: Vec<&str> = l.split(',').map(str::trim).collect();
                if c.len() < 4 || c[3] != "county" {
                    return None;
                }
                let code = DivisionCode::parse(c[0]).ok()?;
                Some((code, c[2].to_string()))
            })
            .collect();
        Context { units, counties }
    }

    pub fn unit(&self, code: &str) -> Option<&UnitName> {
        self.units.iter().find(|u| u.code == code)
    }

    /// The unit a plan's text names, by full or short name.
    pub fn unit_named(&self, name: &str) -> Option<&UnitName> {
        self.units.iter().find(|u| u.name == name || u.short == name)
    }

    fn unit_list(&self) -> String {
        self.units
            .iter()
            .map(|u| format!("{}（{}）", u.code, u.name))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The lead and cooperating unit names a responsibility clause gives, as
/// written ("责任单位：A、B等，配合单位：C" or "A、B分别负责"; a trailing 等
/// is dropped).
pub fn named_units(clause: &str) -> (Vec<&str>, Vec<&str>) {
    let (lead, coop) = match clause.split_once("配合单位：") {
        Some((l, c)) => (l.trim_end_matches(['，', ',', '；', ';', ' ']), c),
        None => (clause, ""),
    };
    let lead = lead.strip_prefix("责任单位：").unwrap_or(lead);
    let lead = lead.strip_suffix("分别负责").unwrap_or(lead);
    (names_in(lead), names_in(coop))
}

fn names_in(s: &str) -> Vec<&str> {
    s.split('、')
        .map(|n| n.trim().trim_end_matches('等').trim())
        .filter(|n| !n.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------
// The file as written (serde, with spans for line numbers)
// ---------------------------------------------------------------------------

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: S<i64>,
    plan: S<RawMeta>,
    reporting: S<RawReporting>,
    status: S<RawThresholds>,
    #[serde(default)]
    target: Vec<S<RawTarget>>,
    #[serde(default)]
    item: Vec<S<RawItem>>,
    evaluation: Option<S<RawScoring>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoring {
    total: S<toml::Value>,
    about_tolerance: Option<S<i64>>,
    note: Option<String>,
    #[serde(default)]
    score: Vec<S<RawWeight>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeight {
    target: S<String>,
    weight: S<toml::Value>,
    counties: Option<S<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: S<String>,
    title: S<String>,
    notice: Option<String>,
    recipients: Option<String>,
    notice_body: Option<String>,
    issuer: S<String>,
    issued: S<Datetime>,
    disclosure: Option<String>,
    basis: Option<String>,
    region: S<String>,
    start: S<Datetime>,
    end: S<Datetime>,
    office: S<String>,
    preamble: Option<String>,
    guiding_thought: Option<String>,
    goal: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReporting {
    cycle: S<String>,
    due_working_days: S<i64>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    lagging_below: S<i64>,
    severe_below: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    id: S<String>,
    name: S<String>,
    source: S<String>,
    text: S<String>,
    value: Option<S<toml::Value>>,
    upper: Option<S<toml::Value>>,
    unit: S<String>,
    comparison: Option<S<String>>,
    progress: Option<S<String>>,
    compute: Option<S<RawQuery>>,
    reporter: Option<S<String>>,
    cycle: Option<S<String>>,
    allocation: Option<S<BTreeMap<String, S<toml::Value>>>>,
    status: Option<S<RawThresholds>>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    aggregate: S<String>,
    distinct: Option<S<String>>,
    field: Option<S<String>>,
    #[serde(default)]
    from: Vec<S<RawSource>>,
    numerator: Option<Box<S<RawQuery>>>,
    denominator: Option<Box<S<RawQuery>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    kind: S<String>,
    date: Option<S<String>>,
    window: Option<S<String>>,
    #[serde(default)]
    filters: Vec<S<RawFilter>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    field: S<String>,
    is: Option<S<toml::Value>>,
    not: Option<S<toml::Value>>,
    present: Option<S<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    no: S<i64>,
    section: S<String>,
    title: S<String>,
    #[serde(default)]
    measure: Vec<S<RawMeasure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    id: S<String>,
    text: S<String>,
    responsibility: Option<S<String>>,
    #[serde(default)]
    lead: Vec<S<String>>,
    #[serde(default)]
    cooperating: Vec<S<String>>,
    #[serde(default)]
    counties: bool,
    #[serde(default)]
    others: Vec<String>,
    due: Option<S<Datetime>>,
    #[serde(default)]
    targets: Vec<S<String>>,
}

// ---------------------------------------------------------------------------
// Parsing and checking
// ---------------------------------------------------------------------------

/// Parses and checks a plan file's text against `ctx`.
pub fn parse(text: &str, ctx: &Context) -> Result<Plan, Vec<PlanError>> {
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            return Err(vec![PlanError {
                line,
                message: decode_message(e.message()),
            }]);
        }
    };
    let mut c = Checker {
        text,
        ctx,
        errors: Vec::new(),
    };
    let plan = c.file(raw);
    if c.errors.is_empty()
        && let Some(plan) = plan
    {
        return Ok(plan);
    }
    let mut errors = c.errors;
    errors.sort_by_key(|e| e.line);
    Err(errors)
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
}

/// A decoder message in Chinese.
fn decode_message(msg: &str) -> String {
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or_default().to_string();
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let key = quoted(rest);
        let allowed: Vec<String> = rest
            .split_once("expected ")
            .map(|(_, e)| e.split('`').skip(1).step_by(2).map(str::to_string).collect())
            .unwrap_or_default();
        if allowed.is_empty() {
            format!("不认识的键“{key}”")
        } else {
            format!("不认识的键“{key}”，此处可用的键：{}", allowed.join("、"))
        }
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        format!("缺少必填的键“{}”", quoted(rest))
    } else if let Some(rest) = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))
    {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        format!(
            "值的类型不对：这里是{}，应为{}",
            type_zh(found, false),
            type_zh(expected, true)
        )
    } else if msg.contains("duplicate key") {
        "键重复定义（同一张表里同一个键只能写一次）".into()
    } else {
        format!("TOML 语法错误（{}），请检查这一行的引号、括号、逗号和等号", msg.trim())
    }
}

/// A decoder's type description in Chinese: the type found with its value
/// ("文本“rsj”"), or the type expected (`expected`).
fn type_zh(s: &str, expected: bool) -> String {
    let value = s.split(['`', '"']).nth(1).map(|v| format!("“{v}”")).unwrap_or_default();
    let s = s.to_ascii_lowercase();
    let (short, long) = if s.contains("datetime") || s.contains("date") {
        ("日期", "日期（如 2023-08-15，不加引号）")
    } else if s.contains("string") || s.contains("char") {
        ("文本", "文本（用双引号括起）")
    } else if s.contains("bool") {
        ("布尔值", "true 或 false（不加引号）")
    } else if s.contains("float") {
        ("小数", "数字")
    } else if s.contains("integer") || s.contains("i64") || s.contains("u32") {
        ("整数", "整数（不加引号）")
    } else if s.contains("sequence") || s.contains("array") {
        ("数组", "数组 [ … ]")
    } else if s.contains("map") || s.contains("struct") || s.contains("table") {
        ("表", "表")
    } else {
        return s.trim().to_string();
    };
    if expected {
        long.to_string()
    } else {
        format!("{short}{value}")
    }
}

struct Checker<'a> {
    text: &'a str,
    ctx: &'a Context,
    errors: Vec<PlanError>,
}

impl Checker<'_> {
    fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors.push(PlanError {
            line: line_of(self.text, span.start),
            message: message.into(),
        });
    }

    /// A required text: trimmed, not empty.
    fn text(&mut self, s: &S<String>, key: &str) -> String {
        let t = s.get_ref().trim();
        if t.is_empty() {
            self.err(s.span(), format!("“{key}”不能为空"));
        }
        t.to_string()
    }

    fn date(&mut self, d: &S<Datetime>, key: &str) -> Option<NaiveDate> {
        let v = d.get_ref();
        let date = match (&v.date, &v.time, &v.offset) {
            (Some(x), None, None) => NaiveDate::from_ymd_opt(i32::from(x.year), u32::from(x.month), u32::from(x.day)),
            _ => None,
        };
        if date.is_none() {
            self.err(d.span(), format!("“{key}”应为日期（如 2023-08-15），不带时间"));
        }
        date
    }

    fn unit(&mut self, code: &S<String>, role: &str) -> Option<String> {
        let c = code.get_ref().trim();
        if self.ctx.unit(c).is_some() {
            Some(c.to_string())
        } else {
            let list = self.ctx.unit_list();
            self.err(code.span(), format!("{role}“{c}”不是已知的单位代码，可选：{list}"));
            None
        }
    }

    fn id(&mut self, s: &S<String>, what: &str, extra: &[char]) -> String {
        let id = s.get_ref().trim();
        let ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c));
        if !ok {
            let allowed: String = extra.iter().map(|c| format!("“{c}”")).collect::<Vec<_>>().join("");
            self.err(s.span(), format!("{what}“{id}”只能由小写英文字母、数字和{allowed}组成"));
        }
        id.to_string()
    }

    fn file(&mut self, raw: RawFile) -> Option<Plan> {
        if *raw.format.get_ref() != FORMAT {
            self.err(
                raw.format.span(),
                format!(
                    "不支持的计划文件格式版本 {}，本程序读取版本 {FORMAT}",
                    raw.format.get_ref()
                ),
            );
        }
        let meta = self.meta(raw.plan.into_inner());
        let reporting = self.reporting(raw.reporting.into_inner());
        let status = self.thresholds(raw.status.get_ref());
        let region = meta.as_ref().map(|m| m.region);
        let mut targets = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for t in &raw.target {
            let id = t.get_ref().id.get_ref().trim().to_string();
            let line = line_of(self.text, t.get_ref().id.span().start);
            if let Some(first) = seen.get(&id) {
                self.err(
                    t.get_ref().id.span(),
                    format!("目标编号“{id}”重复，第{first}行已经用过"),
                );
            } else {
                seen.insert(id, line);
            }
            if let Some(t) = self.target(t, region) {
                targets.push(t);
            }
        }
        if raw.item.is_empty() {
            self.err(0..0, "计划文件没有工作举措 [[item]]");
        }
        let mut items = Vec::new();
        let mut measure_ids: BTreeMap<String, usize> = BTreeMap::new();
        for (i, it) in raw.item.iter().enumerate() {
            if let Some(item) = self.item(it, i + 1, &seen, &mut measure_ids) {
                items.push(item);
            }
        }
        let scoring = match &raw.evaluation {
            None => None,
            Some(e) => Some(self.scoring(e, &targets, &seen)?),
        };
        Some(Plan {
            meta: meta?,
            reporting: reporting?,
            status: status?,
            targets,
            items,
            scoring,
        })
    }

    /// The scoring rules: known targets, each once, weights that are
    /// positive numbers adding up to the total.
    fn scoring(&mut self, se: &S<RawScoring>, targets: &[Target], seen: &BTreeMap<String, usize>) -> Option<Scoring> {
        let e = se.get_ref();
        let mut ok = true;
        let total = self.figure(&e.total, "total");
        if let Some(t) = total
            && t.0 <= 0
        {
            self.err(e.total.span(), format!("评估总分 total 应大于0，这里是{t}"));
            ok = false;
        }
        let about_tolerance = match &e.about_tolerance {
            None => Scoring::ABOUT_TOLERANCE,
            Some(a) => {
                let v = *a.get_ref();
                if !(0..=50).contains(&v) {
                    self.err(
                        a.span(),
                        format!("“左右”的容差 about_tolerance 应为0至50（百分比），这里是{v}"),
                    );
                    ok = false;
                }
                u32::try_from(v).unwrap_or(0)
            }
        };
        if e.score.is_empty() {
            self.err(
                se.span(),
                "评分规则 [evaluation] 须至少为一个目标写分值 [[evaluation.score]]",
            );
            ok = false;
        }
        let mut weights = Vec::new();
        let mut lines: BTreeMap<String, usize> = BTreeMap::new();
        let mut sum = Some(Figure(0));
        for sw in &e.score {
            let w = sw.get_ref();
            let id = w.target.get_ref().trim().to_string();
            let line = line_of(self.text, w.target.span().start);
            let target = targets.iter().find(|t| t.id == id);
            if !seen.contains_key(&id) {
                self.err(
                    w.target.span(),
                    format!("评分目标“{id}”不存在（须在 [[target]] 中定义）"),
                );
                ok = false;
            } else if let Some(first) = lines.get(&id) {
                self.err(w.target.span(), format!("目标“{id}”的分值重复，第{first}行已经写过"));
                ok = false;
            } else {
                lines.insert(id.clone(), line);
            }
            let weight = match self.figure(&w.weight, "weight") {
                Some(f) if f.0 < 0 => {
                    self.err(
                        w.weight.span(),
                        format!("目标“{id}”的分值 weight 不能为负数，这里是{f}"),
                    );
                    None
                }
                Some(f) if f.0 == 0 => {
                    self.err(
                        w.weight.span(),
                        format!("目标“{id}”的分值 weight 应大于0（不计分的目标不写即可）"),
                    );
                    None
                }
                f => f,
            };
            sum = match (sum, weight) {
                (Some(s), Some(w)) => s.0.checked_add(w.0).map(Figure),
                _ => None,
            };
            // Asked to score counties: there must be a county goal.
            if let (Some(c), Some(t)) = (&w.counties, target)
                && *c.get_ref()
                && t.progress == Progress::Cumulative
                && t.allocation.is_empty()
            {
                self.err(
                    c.span(),
                    format!(
                        "目标“{id}”是累计目标且没有分解到区县（allocation），不能按区县评分：请先分解到区县，或去掉 counties"
                    ),
                );
                ok = false;
            }
            match weight {
                Some(weight) => weights.push(Weight {
                    target: id,
                    weight,
                    counties: w.counties.as_ref().is_none_or(|c| *c.get_ref()),
                }),
                None => ok = false,
            }
        }
        if let (Some(t), Some(s)) = (total, sum)
            && !e.score.is_empty()
            && s != t
        {
            self.err(
                e.total.span(),
                format!("各目标分值合计为{s}，与评估总分 total（{t}）不一致"),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(Scoring {
            total: total?,
            about_tolerance,
            note: e.note.clone(),
            weights,
        })
    }

    fn meta(&mut self, m: RawMeta) -> Option<Meta> {
        let id = self.id(&m.id, "计划编号", &['-']);
        let title = self.text(&m.title, "title");
        let issuer = self.text(&m.issuer, "issuer");
        let issued = self.date(&m.issued, "issued");
        let start = self.date(&m.start, "start");
        let end = self.date(&m.end, "end");
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            self.err(m.end.span(), format!("计划期结束日期 {e} 早于开始日期 {s}"));
        }
        let region = match DivisionCode::parse(m.region.get_ref()) {
            Ok(c) if matches!(c.level(), Level::City | Level::County) => Some(c),
            Ok(_) => {
                self.err(m.region.span(), "目标区域 region 应为市或区县的区划代码，如 341000");
                None
            }
            Err(e) => {
                self.err(m.region.span(), format!("目标区域 region“{}”：{e}", m.region.get_ref()));
                None
            }
        };
        let office = self.unit(&m.office, "专班办公室 office");
        Some(Meta {
            id,
            title,
            notice: m.notice,
            recipients: m.recipients,
            notice_body: m.notice_body,
            issuer,
            issued: issued?,
            disclosure: m.disclosure,
            basis: m.basis,
            region: region?,
            start: start?,
            end: end?,
            office: office?,
            preamble: m.preamble,
            guiding_thought: m.guiding_thought,
            goal: m.goal,
        })
    }

    fn cycle(&mut self, s: &S<String>) -> Option<Cycle> {
        let c = Cycle::from_code(s.get_ref().trim());
        if c.is_none() {
            let list: Vec<String> = Cycle::ALL
                .iter()
                .map(|c| format!("{}（{}）", c.code(), c.label_zh()))
                .collect();
            self.err(
                s.span(),
                format!("调度周期“{}”无效，可选：{}", s.get_ref(), list.join("、")),
            );
        }
        c
    }

    fn reporting(&mut self, r: RawReporting) -> Option<Reporting> {
        let cycle = self.cycle(&r.cycle);
        let days = *r.due_working_days.get_ref();
        if !(0..=60).contains(&days) {
            self.err(
                r.due_working_days.span(),
                format!("报送期限 due_working_days 应为0至60个工作日，这里是{days}"),
            );
        }
        Some(Reporting {
            cycle: cycle?,
            due_working_days: u32::try_from(days).ok().filter(|d| *d <= 60)?,
            note: r.note,
        })
    }

    fn thresholds(&mut self, t: &RawThresholds) -> Option<Thresholds> {
        let lag = *t.lagging_below.get_ref();
        let sev = *t.severe_below.get_ref();
        let mut ok = true;
        if !(1..=100).contains(&lag) {
            self.err(
                t.lagging_below.span(),
                format!("滞后阈值 lagging_below 应为1至100（百分比），这里是{lag}"),
            );
            ok = false;
        }
        if !(0..=100).contains(&sev) {
            self.err(
                t.severe_below.span(),
                format!("严重滞后阈值 severe_below 应为0至100（百分比），这里是{sev}"),
            );
            ok = false;
        }
        if ok && sev >= lag {
            self.err(
                t.severe_below.span(),
                format!("阈值顺序不对：严重滞后阈值 severe_below（{sev}）应小于滞后阈值 lagging_below（{lag}）"),
            );
            ok = false;
        }
        ok.then(|| Thresholds {
            lagging_below: u32::try_from(lag).unwrap_or(0),
            severe_below: u32::try_from(sev).unwrap_or(0),
        })
    }

    fn figure(&mut self, v: &S<toml::Value>, key: &str) -> Option<Figure> {
        let f = match v.get_ref() {
            toml::Value::Integer(n) => Figure::from_int(*n),
            toml::Value::Float(x) if x.is_finite() && x.abs() < 1e14 => {
                let scaled = x * Figure::SCALE as f64;
                let rounded = scaled.round();
                ((scaled - rounded).abs() < 1e-6).then_some(Figure(rounded as i64))
            }
            _ => None,
        };
        if f.is_none() {
            self.err(v.span(), format!("“{key}”应为数字（最多四位小数）"));
        }
        f
    }

    fn target(&mut self, st: &S<RawTarget>, region: Option<DivisionCode>) -> Option<Target> {
        let t = st.get_ref();
        let id = self.id(&t.id, "目标编号", &['_']);
        let name = self.text(&t.name, "name");
        let source = self.text(&t.source, "source");
        let text = self.text(&t.text, "text");
        let unit = self.text(&t.unit, "unit");
        let value = t.value.as_ref().and_then(|v| self.figure(v, "value"));
        let upper = t.upper.as_ref().and_then(|v| self.figure(v, "upper"));
        let comparison = match &t.comparison {
            None => Some(Comparison::AtLeast),
            Some(c) => {
                let found = Comparison::ALL.into_iter().find(|x| x.code() == c.get_ref().trim());
                if found.is_none() {
                    let list: Vec<String> = Comparison::ALL
                        .iter()
                        .map(|x| format!("{}（{}）", x.code(), x.label_zh()))
                        .collect();
                    self.err(
                        c.span(),
                        format!("比较方式“{}”无效，可选：{}", c.get_ref(), list.join("、")),
                    );
                }
                found
            }
        };
        match (comparison, &t.upper) {
            (Some(Comparison::Between), None) => self.err(
                t.comparison.as_ref().map_or(st.span(), Spanned::span),
                "区间目标（between）须写上限 upper",
            ),
            (Some(c), Some(u)) if c != Comparison::Between => {
                self.err(u.span(), "只有区间目标（comparison = \"between\"）才写上限 upper")
            }
            _ => {}
        }
        if let (Some(v), Some(u), Some(up)) = (value, upper, &t.upper)
            && u <= v
        {
            self.err(up.span(), format!("上限 upper（{u}）应大于目标值 value（{v}）"));
        }

        // How it is measured.
        let measurement = match (&t.compute, &t.reporter) {
            (Some(_), Some(r)) => {
                self.err(
                    r.span(),
                    "目标只能是自动计算（[target.compute]）或部门填报（reporter）之一，不能两者都写",
                );
                None
            }
            (None, None) => {
                self.err(
                    t.id.span(),
                    format!("目标“{id}”缺少计算口径 [target.compute] 或填报单位 reporter"),
                );
                None
            }
            (Some(q), None) => {
                if let Some(c) = &t.cycle {
                    self.err(c.span(), "cycle 只用于部门填报（reporter）的目标");
                }
                self.query(q, true).map(Measurement::Computed)
            }
            (None, Some(r)) => {
                let reporter = self.unit(r, "填报单位 reporter");
                match t.cycle.as_ref().map(|c| self.cycle(c)) {
                    Some(None) => None,
                    cycle => reporter.map(|reporter| Measurement::Reported {
                        reporter,
                        cycle: cycle.flatten(),
                    }),
                }
            }
        };

        // Unit and progress against the computation.
        let is_ratio = matches!(measurement, Some(Measurement::Computed(Query::Ratio { .. })));
        let progress = match &t.progress {
            None if is_ratio => Some(Progress::Level),
            None => Some(Progress::Cumulative),
            Some(p) => {
                match p.get_ref().trim() {
                    "cumulative" if is_ratio => {
                        self.err(
                            p.span(),
                            "比值（ratio）目标不能按累计进度（cumulative）比较，应为 level",
                        );
                        None
                    }
                    "cumulative" => Some(Progress::Cumulative),
                    "level" => Some(Progress::Level),
                    other => {
                        self.err(
                        p.span(),
                        format!("进度方式“{other}”无效，可选：cumulative（累计，按时间进度）、level（水平，如比例、增长率）"),
                    );
                        None
                    }
                }
            }
        };
        let money_unit = MONEY_UNITS.iter().any(|(u, _)| *u == unit);
        if let Some(Measurement::Computed(q)) = &measurement {
            match q {
                Query::Ratio { .. } if unit != "%" => {
                    self.err(t.unit.span(), format!("比值目标的单位应为“%”，这里是“{unit}”"))
                }
                Query::Tally(tally) if tally.is_money() && !money_unit => self.err(
                    t.unit.span(),
                    format!("金额合计的单位应为元、万元或亿元，这里是“{unit}”"),
                ),
                Query::Tally(tally) if !tally.is_money() && (money_unit || unit == "%") => self.err(
                    t.unit.span(),
                    format!("计数目标的单位不能是“{unit}”（金额单位只用于金额合计，“%”只用于比值）"),
                ),
                _ => {}
            }
            if value.is_none() && t.value.is_none() && t.allocation.is_none() {
                self.err(
                    t.id.span(),
                    format!("自动计算的目标“{id}”须有目标值 value（或分解到区县的 allocation）"),
                );
            }
        }

        // Allocation to counties.
        let mut allocation = BTreeMap::new();
        if let Some(a) = &t.allocation {
            for (key, v) in a.get_ref() {
                let code = DivisionCode::parse(key).ok().filter(|c| {
                    c.level() == Level::County
                        && region.is_none_or(|r| r.contains(*c))
                        && (self.ctx.counties.is_empty() || self.ctx.counties.iter().any(|(k, _)| k == c))
                });
                let fig = self.figure(v, "allocation");
                match code {
                    Some(c) => {
                        if let Some(f) = fig {
                            allocation.insert(c, f);
                        }
                    }
                    None => {
                        let list: Vec<String> = self
                            .ctx
                            .counties
                            .iter()
                            .filter(|(c, _)| region.is_none_or(|r| r.contains(*c)))
                            .map(|(c, n)| format!("{c}（{n}）"))
                            .collect();
                        self.err(
                            v.span(),
                            format!("分解对象“{key}”不是本市的区县代码，可选：{}", list.join("、")),
                        );
                    }
                }
            }
        }
        let status = t.status.as_ref().map(|s| self.thresholds(s.get_ref()));
        Some(Target {
            id,
            name,
            source,
            text,
            value,
            upper,
            unit,
            comparison: comparison?,
            progress: progress?,
            measurement: measurement?,
            allocation,
            status: match status {
                Some(None) => return None,
                s => s.flatten(),
            },
            note: t.note.clone(),
        })
    }

    fn query(&mut self, sq: &S<RawQuery>, top: bool) -> Option<Query> {
        let q = sq.get_ref();
        let agg = q.aggregate.get_ref().trim();
        if agg == "ratio" {
            if !top {
                self.err(q.aggregate.span(), "比值的分子、分母不能再是比值");
                return None;
            }
            if !q.from.is_empty() || q.distinct.is_some() || q.field.is_some() {
                self.err(
                    q.aggregate.span(),
                    "比值（ratio）的数据来源、distinct 和 field 写在分子 numerator 和分母 denominator 里",
                );
            }
            let (numerator, denominator) = match (&q.numerator, &q.denominator) {
                (Some(n), Some(d)) => (self.tally(n), self.tally(d)),
                (n, d) => {
                    let missing = match (n, d) {
                        (None, None) => "分子 numerator 和分母 denominator",
                        (None, _) => "分子 numerator",
                        _ => "分母 denominator",
                    };
                    self.err(q.aggregate.span(), format!("比值（ratio）缺少{missing}"));
                    return None;
                }
            };
            return Some(Query::Ratio {
                numerator: numerator?,
                denominator: denominator?,
            });
        }
        self.tally(sq).map(Query::Tally)
    }

    fn tally(&mut self, sq: &S<RawQuery>) -> Option<Tally> {
        let q = sq.get_ref();
        let agg = q.aggregate.get_ref().trim();
        if let Some(n) = q.numerator.as_ref().or(q.denominator.as_ref()) {
            self.err(n.span(), "只有比值（aggregate = \"ratio\"）才有分子、分母");
        }
        if agg == "ratio" {
            self.err(q.aggregate.span(), "比值的分子、分母不能再是比值");
            return None;
        }
        if q.from.is_empty() {
            self.err(
                q.aggregate.span(),
                "缺少数据来源：至少写一个 from（业务类别及筛选条件）",
            );
        }
        let sources: Vec<Option<(Source, &'static KindSpec)>> = q.from.iter().map(|s| self.source(s)).collect();
        let specs: Vec<&'static KindSpec> = sources.iter().flatten().map(|(_, k)| *k).collect();
        // Cases are counted from their own table at read time: a tally takes
        // cases or registry records, never both.
        let cases = specs.iter().filter(|k| k.kind == RecordKind::WageCase).count();
        if cases > 0 && cases < specs.len() {
            self.err(
                q.aggregate.span(),
                "同一项统计的数据来源不能既有欠薪案件（wage_case）又有业务记录，请分开统计",
            );
            return None;
        }
        if cases > 0 && agg == "count_distinct" {
            self.err(
                q.aggregate.span(),
                "欠薪案件（wage_case）不能去重计数，请用 count（件数）或 sum（金额、人数）",
            );
            return None;
        }
        let aggregate = match agg {
            "count" | "count_distinct" | "sum" => {
                if agg != "sum"
                    && let Some(f) = &q.field
                {
                    self.err(f.span(), "field 只用于求和（sum）");
                }
                if agg != "count_distinct"
                    && let Some(d) = &q.distinct
                {
                    self.err(d.span(), "distinct 只用于去重计数（count_distinct）");
                }
                match agg {
                    "count" => Some(Aggregate::Count),
                    "count_distinct" => match &q.distinct {
                        None => {
                            self.err(
                                q.aggregate.span(),
                                "去重计数（count_distinct）须写 distinct：worker（按人）或字段名",
                            );
                            None
                        }
                        Some(d) if d.get_ref().trim() == "worker" => Some(Aggregate::CountDistinct(Distinct::Worker)),
                        Some(d) => self
                            .field_in_all(d, &specs, None)
                            .map(|k| Aggregate::CountDistinct(Distinct::Field(k))),
                    },
                    _ => match &q.field {
                        None => {
                            self.err(q.aggregate.span(), "求和（sum）须写 field：金额或人数、套数字段");
                            None
                        }
                        Some(f) => self.field_in_all(f, &specs, Some(true)).map(Aggregate::Sum),
                    },
                }
            }
            other => {
                self.err(
                    q.aggregate.span(),
                    format!("统计方式“{other}”无效，可选：count（计数）、count_distinct（去重计数）、sum（求和）、ratio（比值）"),
                );
                None
            }
        };
        let from: Option<Vec<Source>> = sources.into_iter().map(|s| s.map(|(s, _)| s)).collect();
        let from = from?;
        if from.is_empty() {
            return None;
        }
        // Distinct counts are kept current by the first day each worker
        // counts, which needs one window that does not slide.
        if let Some(Aggregate::CountDistinct(d)) = &aggregate {
            if matches!(d, Distinct::Field(_)) {
                self.err(q.aggregate.span(), "去重计数目前只支持按人（distinct = \"worker\"）");
                return None;
            }
            let first = from[0].window;
            if first == Window::RollingYear || from.iter().any(|s| s.window != first) {
                self.err(
                    q.aggregate.span(),
                    "按人去重计数的各数据来源须使用同一统计区间（window），且不能是 rolling_year",
                );
                return None;
            }
        }
        Some(Tally {
            aggregate: aggregate?,
            from,
        })
    }

    /// A field key that every source kind has (`summable`: money or count).
    fn field_in_all(
        &mut self,
        key: &S<String>,
        specs: &[&'static KindSpec],
        summable: Option<bool>,
    ) -> Option<&'static str> {
        let k = key.get_ref().trim();
        let mut found = None;
        for spec in specs {
            match spec.field(k) {
                None => {
                    self.err(key.span(), unknown_field(spec, k));
                    return None;
                }
                Some(f) => {
                    if summable.is_some() && !matches!(f.ty, FieldType::Money | FieldType::Count) {
                        self.err(key.span(), format!("字段“{}”（{k}）不是金额或数量，不能求和", f.label));
                        return None;
                    }
                    found = Some(f.key);
                }
            }
        }
        found
    }

    fn source(&mut self, ss: &S<RawSource>) -> Option<(Source, &'static KindSpec)> {
        let s = ss.get_ref();
        let code = s.kind.get_ref().trim();
        let spec = RecordKind::from_code(code).and_then(source_spec);
        let Some(spec) = spec else {
            let list: Vec<String> = KINDS
                .iter()
                .map(|k| format!("{}（{}）", k.code(), k.label_zh()))
                .chain(std::iter::once(format!(
                    "{}（欠薪线索/案件）",
                    RecordKind::WageCase.code()
                )))
                .collect();
            self.err(
                s.kind.span(),
                format!("未知的业务类别“{code}”，可选：{}", list.join("、")),
            );
            return None;
        };
        let mut ok = true;
        let date = match &s.date {
            None => None,
            Some(d) => {
                let k = d.get_ref().trim();
                match spec.field(k) {
                    Some(f) if matches!(f.ty, FieldType::Date | FieldType::SchoolYear) => Some(f.key),
                    Some(f) => {
                        self.err(
                            d.span(),
                            format!("字段“{}”（{k}）不是日期，不能用来确定记录所属时段", f.label),
                        );
                        ok = false;
                        None
                    }
                    None => {
                        self.err(d.span(), unknown_field(spec, k));
                        ok = false;
                        None
                    }
                }
            }
        };
        let window = match &s.window {
            None => Window::Plan,
            Some(w) => match Window::ALL.into_iter().find(|x| x.code() == w.get_ref().trim()) {
                Some(x) => x,
                None => {
                    self.err(
                        w.span(),
                        format!(
                            "时间范围“{}”无效，可选：plan（计划期内至当日）、to_date（截至当日累计）、rolling_year（截至当日的12个月）",
                            w.get_ref()
                        ),
                    );
                    ok = false;
                    Window::Plan
                }
            },
        };
        let mut filters = Vec::new();
        for f in &s.filters {
            match self.filter(spec, f) {
                Some(f) => filters.push(f),
                None => ok = false,
            }
        }
        ok.then_some((
            Source {
                kind: spec.kind,
                date,
                window,
                filters,
            },
            spec,
        ))
    }

    fn filter(&mut self, spec: &'static KindSpec, sf: &S<RawFilter>) -> Option<Filter> {
        let f = sf.get_ref();
        let k = f.field.get_ref().trim();
        let Some(field) = spec.field(k) else {
            self.err(f.field.span(), unknown_field(spec, k));
            return None;
        };
        let ops = usize::from(f.is.is_some()) + usize::from(f.not.is_some()) + usize::from(f.present.is_some());
        if ops != 1 {
            self.err(
                sf.span(),
                format!("筛选条件（字段 {k}）须有且只有 is、not、present 之一"),
            );
            return None;
        }
        if let Some(p) = &f.present {
            return Some(Filter {
                field: field.key,
                test: Test::Present(*p.get_ref()),
            });
        }
        let (vals, negate) = match (&f.is, &f.not) {
            (Some(v), _) => (v, false),
            (_, Some(v)) => (v, true),
            _ => return None,
        };
        let raw: Option<Vec<&str>> = match vals.get_ref() {
            toml::Value::String(s) => Some(vec![s.as_str()]),
            toml::Value::Array(a) if !a.is_empty() => a.iter().map(toml::Value::as_str).collect(),
            _ => None,
        };
        let Some(raw) = raw else {
            self.err(vals.span(), format!("筛选值（字段 {k}）应为文本或非空的文本数组"));
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for v in raw {
            let v = v.trim();
            let canon: Option<String> = match field.ty {
                FieldType::Choice(list) => list.iter().find(|c| **c == v).map(|c| (*c).to_string()),
                FieldType::Flag => record::parse_flag(v).map(|b| if b { "是" } else { "否" }.to_string()),
                FieldType::Industry => INDUSTRIES
                    .iter()
                    .find(|(code, name)| code.eq_ignore_ascii_case(v) || *name == v)
                    .map(|(code, _)| (*code).to_string()),
                FieldType::Text(_) if !v.is_empty() => Some(v.to_string()),
                FieldType::Text(_) => None,
                _ => {
                    self.err(
                        vals.span(),
                        format!("字段“{}”（{k}）不能按取值筛选，只能用 present（是否填写）", field.label),
                    );
                    return None;
                }
            };
            match canon {
                Some(c) => out.push(c),
                None => {
                    let choices = field.ty.choices();
                    let hint = if choices.is_empty() {
                        String::new()
                    } else {
                        format!("，可选：{}", choices.join("、"))
                    };
                    self.err(
                        vals.span(),
                        format!("字段“{}”（{k}）没有“{v}”这个取值{hint}", field.label),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(Filter {
            field: field.key,
            test: if negate { Test::NotIn(out) } else { Test::In(out) },
        })
    }

    fn item(
        &mut self,
        si: &S<RawItem>,
        expected: usize,
        targets: &BTreeMap<String, usize>,
        measure_ids: &mut BTreeMap<String, usize>,
    ) -> Option<Item> {
        let it = si.get_ref();
        let no = *it.no.get_ref();
        if no != expected as i64 {
            self.err(
                it.no.span(),
                format!("工作举措应依次编号，这里应为 {expected}，写的是 {no}"),
            );
        }
        let section = self.text(&it.section, "section");
        let title = self.text(&it.title, "title");
        if it.measure.is_empty() {
            self.err(
                si.span(),
                format!(
                    "（{}）须至少有一条具体举措 [[item.measure]]",
                    numeral_zh(expected as u32)
                ),
            );
        }
        let mut measures = Vec::new();
        for sm in &it.measure {
            let m = sm.get_ref();
            let id = self.id(&m.id, "举措编号", &['.', '-', '_']);
            let line = line_of(self.text, m.id.span().start);
            if let Some(first) = measure_ids.get(&id) {
                self.err(m.id.span(), format!("举措编号“{id}”重复，第{first}行已经用过"));
            } else {
                measure_ids.insert(id.clone(), line);
            }
            if let Some(m) = self.measure(id, m, targets) {
                measures.push(m);
            }
        }
        Some(Item {
            no: u32::try_from(no).ok()?,
            section,
            title,
            measures,
        })
    }

    fn units(&mut self, list: &[S<String>], role: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let mut ok = true;
        for u in list {
            match self.unit(u, role) {
                Some(c) if out.contains(&c) => {
                    self.err(u.span(), format!("{role}“{c}”重复列出"));
                    ok = false;
                }
                Some(c) => out.push(c),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn measure(&mut self, id: String, m: &RawMeasure, targets: &BTreeMap<String, usize>) -> Option<Measure> {
        let text = self.text(&m.text, "text");
        let lead = self.units(&m.lead, "责任单位");
        let cooperating = self.units(&m.cooperating, "配合单位");
        if let (Some(l), Some(c)) = (&lead, &cooperating) {
            for (u, s) in m.cooperating.iter().map(|s| (s.get_ref().trim(), s)) {
                if l.iter().any(|x| x == u) {
                    self.err(s.span(), format!("单位“{u}”不能既是责任单位又是配合单位"));
                }
            }
            if l.is_empty() && !c.is_empty() {
                self.err(m.cooperating[0].span(), "有配合单位的举措须写责任单位 lead");
            }
        }
        let responsibility = match &m.responsibility {
            None => None,
            Some(r) => {
                let clause = self.text(r, "responsibility");
                if let (Some(l), Some(c)) = (&lead, &cooperating) {
                    let spans = [
                        m.lead.first().map_or(r.span(), Spanned::span),
                        m.cooperating.first().map_or(r.span(), Spanned::span),
                    ];
                    self.clause_matches(r, &clause, [l, c], spans);
                }
                Some(clause)
            }
        };
        let due = m.due.as_ref().map(|d| self.date(d, "due"));
        let mut ts = Vec::new();
        for t in &m.targets {
            let tid = t.get_ref().trim();
            if targets.contains_key(tid) {
                ts.push(tid.to_string());
            } else {
                self.err(t.span(), format!("目标编号“{tid}”不存在（须在 [[target]] 中定义）"));
            }
        }
        Some(Measure {
            id,
            text,
            responsibility,
            lead: lead?,
            cooperating: cooperating?,
            counties: m.counties,
            others: m.others.iter().map(|s| s.trim().to_string()).collect(),
            due: match due {
                Some(None) => return None,
                d => d.flatten(),
            },
            targets: ts,
        })
    }

    /// The units the clause names must be the lead and cooperating units, in order.
    fn clause_matches(&mut self, r: &S<String>, clause: &str, [lead, coop]: [&[String]; 2], spans: [Range<usize>; 2]) {
        let (named_lead, named_coop) = named_units(clause);
        let [lead_span, coop_span] = spans;
        for (names, codes, role, key, span) in [
            (named_lead, lead, "责任单位", "lead", lead_span),
            (named_coop, coop, "配合单位", "cooperating", coop_span),
        ] {
            let mut resolved = Vec::new();
            for n in names {
                match self.ctx.unit_named(n) {
                    Some(u) => resolved.push(u.code.clone()),
                    None => {
                        self.err(
                            r.span(),
                            format!("responsibility 中的{role}“{n}”不在单位名单中（应为单位全称或简称）"),
                        );
                        return;
                    }
                }
            }
            if resolved != codes {
                self.err(
                    span,
                    format!(
                        "{key} 与原文不一致：原文的{role}为 [{}]，{key} 写的是 [{}]",
                        resolved.join(", "),
                        codes.join(", ")
                    ),
                );
            }
        }
    }
}

impl Tally {
    /// Whether the tally sums a money field.
    pub fn is_money(&self) -> bool {
        match self.aggregate {
            Aggregate::Sum(key) => self
                .from
                .iter()
                .filter_map(|s| source_spec(s.kind))
                .any(|spec| spec.field(key).is_some_and(|f| f.ty == FieldType::Money)),
            _ => false,
        }
    }

    /// Whether the tally counts wage-arrears cases (the plan check keeps
    /// cases and registry records apart).
    pub fn is_cases(&self) -> bool {
        !self.from.is_empty() && self.from.iter().all(|s| s.kind == RecordKind::WageCase)
    }
}

fn unknown_field(spec: &KindSpec, key: &str) -> String {
    let list: Vec<String> = spec
        .fields
        .iter()
        .map(|f| format!("{}（{}）", f.key, f.label))
        .collect();
    format!(
        "业务类别“{}”（{}）没有字段“{key}”，可用字段：{}",
        spec.kind.label_zh(),
        spec.kind.code(),
        list.join("、")
    )
}

/// Three targets over wage-arrears cases, to append to a plan file (tests).
#[cfg(test)]
pub(crate) const CASE_TARGETS: &str = r#"
[[target]]
id = "case_clearance"
name = "欠薪案件动态清零"
source = "二（六）"
text = "快捷办理全国根治欠薪线索平台等交办、转办案件"
value = 0
unit = "件"
comparison = "at_most"
progress = "level"

[target.compute]
aggregate = "count"

[[target.compute.from]]
kind = "wage_case"
window = "to_date"
filters = [{ field = "open", is = "是" }]

[[target]]
id = "case_recovered"
name = "追回欠薪金额"
source = "二（六）"
text = "快捷办理全国根治欠薪线索平台等交办、转办案件"
value = 100
unit = "万元"

[target.compute]
aggregate = "sum"
field = "amount_recovered"

[[target.compute.from]]
kind = "wage_case"
date = "closed"

[[target]]
id = "case_in_time"
name = "欠薪案件按期结案率"
source = "二（六）"
text = "快捷办理全国根治欠薪线索平台等交办、转办案件"
value = 95
unit = "%"

[target.compute]
aggregate = "ratio"

[target.compute.numerator]
aggregate = "count"

[[target.compute.numerator.from]]
kind = "wage_case"
date = "closed"
filters = [{ field = "on_time", is = "是" }, { field = "status", not = "不予受理" }]

[target.compute.denominator]
aggregate = "count"

[[target.compute.denominator.from]]
kind = "wage_case"
date = "closed"
filters = [{ field = "status", not = "不予受理" }]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../data/plans/huangshan-2023.toml");
    const SOURCE: &str = include_str!("../../../data/plans/huangshan-2023.source.txt");
    const UNITS: &str = include_str!("../../../data/units.csv");
    const DIVISIONS: &str = include_str!("../../../data/huangshan_divisions.csv");

    fn ctx() -> Context {
        Context::from_csv(UNITS, DIVISIONS)
    }

    fn shipped() -> Plan {
        match parse(SHIPPED, &ctx()) {
            Ok(p) => p,
            Err(errs) => panic!("{}", errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")),
        }
    }

    #[test]
    fn plan_context_reads_the_shipped_lists() {
        let c = ctx();
        assert_eq!(c.units.len(), 9);
        assert_eq!(c.unit_named("市医保局").map(|u| u.code.as_str()), Some("ybj"));
        assert_eq!(c.unit_named("市医疗保障局").map(|u| u.code.as_str()), Some("ybj"));
        let counties: Vec<String> = c.counties.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(
            counties,
            ["341002", "341003", "341004", "341021", "341022", "341023", "341024"]
        );
    }

    #[test]
    fn plan_shipped_file_parses_and_passes() {
        let p = shipped();
        assert_eq!(p.meta.id, "huangshan-2023");
        assert_eq!(p.meta.title, "开展县域农民工市民化质量提升行动实施方案");
        assert_eq!(p.meta.issuer, "黄山市农民工和发展家庭服务业工作领导小组办公室");
        assert_eq!(p.meta.issued, NaiveDate::from_ymd_opt(2023, 8, 15).unwrap());
        assert_eq!(p.meta.region.to_string(), "341000");
        assert_eq!(p.meta.end, NaiveDate::from_ymd_opt(2023, 12, 31).unwrap());
        assert_eq!(p.meta.office, "rsj");
        assert_eq!(p.reporting.cycle, Cycle::Quarter);
        assert_eq!(p.reporting.due_working_days, 5);
        assert_eq!(
            p.status,
            Thresholds {
                lagging_below: 90,
                severe_below: 70
            }
        );
        let s = p.summary();
        assert_eq!((s.items, s.targets, s.computed, s.reported), (12, 13, 4, 9));
        assert_eq!(s.units, 9, "all nine member units take part");
        // The plan's opening texts are the source's own.
        for t in [&p.meta.preamble, &p.meta.guiding_thought, &p.meta.goal] {
            let t = t.as_deref().unwrap();
            assert!(SOURCE.contains(t), "{t}");
        }
        assert!(SOURCE.contains(&format!(
            "（一）指导思想。{}",
            p.meta.guiding_thought.as_deref().unwrap()
        )));
        assert!(SOURCE.contains(&format!("（二）主要目标。{}", p.meta.goal.as_deref().unwrap())));
        assert!(SOURCE.contains(p.meta.basis.as_deref().unwrap()));
    }

    /// (id, value, upper, unit, comparison, text fragment)
    #[expect(clippy::type_complexity, reason = "a table of the plan's own figures")]
    #[rustfmt::skip]
    const QUANTIFIED: [(&str, &str, Option<&str>, &str, Comparison, &str); 12] = [
        ("local_jobs", "5000", None, "人", Comparison::About, "新增就近就业创业农民工5000人左右"),
        ("training", "8000", None, "人次", Comparison::AtLeast, "补贴性农民工职业技能培训8000人次以上"),
        ("income_growth", "6", None, "%", Comparison::AtLeast, "可支配收入增长6%以上"),
        ("schooling_public", "95", None, "%", Comparison::AtLeast, "不低于95%"),
        ("rental_housing", "281", None, "套（间）", Comparison::AtLeast, "保障性租赁住房281套（间）"),
        ("settlement", "100", None, "%", Comparison::AtLeast, "全部实现在城镇落户"),
        ("startup_loans", "4", None, "亿元", Comparison::AtLeast, "创业担保贷款总量不低于4亿元"),
        ("union_stations_new", "50", None, "家", Comparison::AtLeast, "新建50家"),
        ("union_stations_upgraded", "68", None, "家", Comparison::AtLeast, "提升68家"),
        ("union_stations_total", "118", None, "家", Comparison::AtLeast, "累计建成达标118家"),
        ("jiazheng_coverage", "7", None, "个区县", Comparison::AtLeast, "员工制家政骨干企业区县全覆盖"),
        ("jiazheng_bases", "1", Some("2"), "家", Comparison::Between, "家政劳务输出示范基地1—2家"),
    ];

    #[test]
    fn plan_shipped_file_holds_every_quantified_target() {
        let p = shipped();
        for (id, value, upper, unit, cmp, words) in QUANTIFIED {
            let t = p.target(id).unwrap_or_else(|| panic!("missing target {id}"));
            assert_eq!(t.value.map(|v| v.to_string()).as_deref(), Some(value), "{id}");
            assert_eq!(t.upper.map(|v| v.to_string()).as_deref(), upper, "{id}");
            assert_eq!(t.unit, unit, "{id}");
            assert_eq!(t.comparison, cmp, "{id}");
            assert!(t.text.contains(words), "{id}: {}", t.text);
            assert!(SOURCE.contains(&t.text), "{id}: wording not in the plan: {}", t.text);
        }
        // The parks target has no number in the plan ("一批").
        let parks = p.target("return_parks").unwrap();
        assert_eq!(parks.value, None);
        assert!(parks.text.contains("返乡创业示范园"));
        // Every target of 一（二） is there, in the plan's order, word for word.
        let goals: Vec<&str> = SOURCE.lines().filter_map(|l| l.trim().strip_prefix("——")).collect();
        let ours: Vec<&str> = p
            .targets
            .iter()
            .filter(|t| t.source == "一（二）")
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(ours, goals);
        // 50 new + 68 upgraded make the 118.
        let fig = |id: &str| p.target(id).unwrap().value.unwrap();
        assert_eq!(
            Figure(fig("union_stations_new").0 + fig("union_stations_upgraded").0),
            fig("union_stations_total")
        );
    }

    #[test]
    fn plan_shipped_computed_targets_use_registry_fields() {
        let p = shipped();
        let Measurement::Computed(Query::Tally(t)) = &p.target("local_jobs").unwrap().measurement else {
            panic!("local_jobs is computed")
        };
        assert_eq!(t.aggregate, Aggregate::CountDistinct(Distinct::Worker));
        assert_eq!(
            t.from.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [RecordKind::Employment, RecordKind::Venture]
        );
        assert_eq!(
            t.from[0].filters,
            [Filter {
                field: "form",
                test: Test::In(vec!["就近就业".into()])
            }]
        );
        let Measurement::Computed(Query::Ratio { numerator, denominator }) =
            &p.target("schooling_public").unwrap().measurement
        else {
            panic!("schooling_public is a ratio")
        };
        assert_eq!(
            numerator.from[0].filters[0].test,
            Test::In(vec!["公办".into(), "政府购买学位的民办".into()])
        );
        assert!(denominator.from[0].filters.is_empty());
        assert_eq!(numerator.from[0].window, Window::RollingYear);
        let settle = p.target("settlement").unwrap();
        assert_eq!(settle.progress, Progress::Level);
        assert!(matches!(
            &p.target("startup_loans").unwrap().measurement,
            Measurement::Reported { reporter, .. } if reporter == "rsj"
        ));
        assert!(matches!(
            &p.target("income_growth").unwrap().measurement,
            Measurement::Reported {
                cycle: Some(Cycle::Year),
                ..
            }
        ));
    }

    /// Each item's measures: (lead units, cooperating units) as the plan names them.
    #[expect(clippy::type_complexity, reason = "a table of the plan's own words")]
    #[rustfmt::skip]
    const UNITS_AS_NAMED: [(u32, &str, &[(&[&str], &[&str])]); 12] = {
        const RSJ: &str = "市人力资源社会保障局";
        const FGW: &str = "市发展改革委";
        const CZJ: &str = "市财政局";
        const NY: &str = "市农业农村局";
        const ZGH: &str = "市总工会";
        const ZJJ: &str = "市住房城乡建设局";
        const GAJ: &str = "市公安局";
        const JYJ: &str = "市教育局";
        const YB: &str = "市医保局";
        [
            (1, "促进农民工稳定就业", &[
                (&[RSJ], &[]),
                (&[FGW], &[CZJ, RSJ, NY]),
                (&[FGW, RSJ], &[]),
                (&[NY], &[]),
                (&[FGW, RSJ], &[]),
            ]),
            (2, "鼓励农民工返乡创业", &[
                (&[RSJ], &[]),
                (&[RSJ], &[FGW, CZJ]),
                (&[RSJ], &[]),
                (&[FGW, CZJ, RSJ, NY], &[]),
            ]),
            (3, "提高就业服务质量", &[(&[RSJ], &[]), (&[RSJ, ZGH], &[]), (&[RSJ], &[])]),
            (4, "提升农民工技能水平", &[
                (&[RSJ], &[]),
                (&[RSJ], &[FGW, NY]),
                (&[RSJ], &[FGW, CZJ]),
                (&[RSJ], &[NY, FGW, ZGH]),
            ]),
            (5, "规范企业劳动用工", &[(&[RSJ], &[ZGH])]),
            (6, "保障农民工工资支付", &[(&[RSJ], &[FGW, CZJ, GAJ, ZJJ, ZGH])]),
            (7, "强化社会保障", &[(&[RSJ, YB], &[])]),
            (8, "加强县域公共服务供给", &[(&[FGW], &[]), (&[ZJJ], &[]), (&[JYJ], &[]), (&[GAJ], &[])]),
            (9, "提升基层服务农民工能力", &[
                (&[RSJ], &[CZJ]),
                (&[RSJ], &[]),
                (&[RSJ], &[ZJJ, ZGH]),
                (&[ZGH], &[FGW, CZJ, RSJ]),
                (&[RSJ], &[NY, YB, ZGH]),
            ]),
            // 保障措施 name no units: the office follows them, the counties take part.
            (10, "加强组织领导", &[(&[], &[]), (&[], &[]), (&[], &[])]),
            (11, "加强调度检查", &[(&[], &[])]),
            (12, "加强宣传引导", &[(&[], &[])]),
        ]
    };

    #[test]
    fn plan_shipped_file_has_all_twelve_items_with_units_as_named() {
        let p = shipped();
        let c = ctx();
        assert_eq!(p.items.len(), 12);
        for (item, (no, title, measures)) in p.items.iter().zip(UNITS_AS_NAMED) {
            assert_eq!((item.no, item.title.as_str()), (no, title));
            assert_eq!(item.section, if no <= 9 { "工作举措" } else { "保障措施" });
            // The item's paragraph, rebuilt from the file, is the plan's own.
            let para = item.text();
            assert!(SOURCE.contains(&para), "item {no} differs from the plan:\n{para}");
            assert_eq!(item.measures.len(), measures.len(), "item {no}");
            for (m, (lead, coop)) in item.measures.iter().zip(measures) {
                let name = |code: &String| {
                    let u = c.unit(code).unwrap();
                    // The plan writes 医保局 by its short name.
                    if u.code == "ybj" {
                        u.short.clone()
                    } else {
                        u.name.clone()
                    }
                };
                let got_lead: Vec<String> = m.lead.iter().map(name).collect();
                let got_coop: Vec<String> = m.cooperating.iter().map(name).collect();
                assert_eq!(got_lead, *lead, "measure {}", m.id);
                assert_eq!(got_coop, *coop, "measure {}", m.id);
                if let Some(r) = &m.responsibility {
                    for n in lead.iter().chain(coop.iter()) {
                        assert!(r.contains(n), "{}: {r}", m.id);
                    }
                    assert!(SOURCE.contains(&format!("（{r}）")), "{r}");
                } else {
                    assert!(lead.is_empty(), "{}", m.id);
                }
            }
        }
        // The whole of the plan's last item and the counties' part.
        assert!(p.item(11).unwrap().measures[0].counties);
        assert!(p.item(10).unwrap().measures[1].counties);
        assert_eq!(
            p.item(10).unwrap().measures[2].others,
            ["市农民工和发展家庭服务业工作领导小组"]
        );
        // The measure-level targets hang off their measures.
        let serves = |id: &str| {
            p.measures()
                .find(|(_, m)| m.targets.iter().any(|t| t == id))
                .map(|(_, m)| m.id.clone())
        };
        assert_eq!(serves("startup_loans").as_deref(), Some("2.4"));
        assert_eq!(serves("union_stations_total").as_deref(), Some("9.4"));
        assert_eq!(serves("jiazheng_bases").as_deref(), Some("1.5"));
    }

    #[test]
    fn plan_numerals() {
        let got: Vec<String> = [1, 9, 10, 11, 12, 20, 21].into_iter().map(numeral_zh).collect();
        assert_eq!(got, ["一", "九", "十", "十一", "十二", "二十", "二十一"]);
        assert_eq!(Figure(15_000).to_string(), "1.5");
        assert_eq!(Figure(-20_000).to_string(), "-2");
        assert_eq!(
            named_units("责任单位：市人力资源社会保障局，配合单位：市农业农村局、市医保局、市总工会等"),
            (
                vec!["市人力资源社会保障局"],
                vec!["市农业农村局", "市医保局", "市总工会"]
            )
        );
        assert_eq!(
            named_units("市发展改革委、市财政局分别负责"),
            (vec!["市发展改革委", "市财政局"], vec![])
        );
    }

    // ---- errors and their lines ----

    const MINIMAL: &str = r#"format = 1

[plan]
id = "test"
title = "测试方案"
issuer = "测试办公室"
issued = 2023-08-15
region = "341000"
start = 2023-01-01
end = 2023-12-31
office = "rsj"

[reporting]
cycle = "quarter"
due_working_days = 5

[status]
lagging_below = 90
severe_below = 70

[[target]]
id = "jobs"
name = "新增就近就业"
source = "一（二）"
text = "新增就近就业5000人"
value = 5000
unit = "人"

[target.compute]
aggregate = "count_distinct"
distinct = "worker"

[[target.compute.from]]
kind = "employment"
date = "start"
filters = [{ field = "form", is = "就近就业" }]

[[target]]
id = "schooling"
name = "公办学校就读比例"
source = "一（二）"
text = "不低于95%"
value = 95
unit = "%"

[target.compute]
aggregate = "ratio"

[target.compute.numerator]
aggregate = "count"

[[target.compute.numerator.from]]
kind = "schooling"
filters = [{ field = "school_type", is = ["公办", "政府购买学位的民办"] }]

[target.compute.denominator]
aggregate = "count"

[[target.compute.denominator.from]]
kind = "schooling"

[[target]]
id = "loans"
name = "创业担保贷款"
source = "二（二）"
text = "不低于4亿元"
value = 4
unit = "亿元"
reporter = "rsj"

[[item]]
no = 1
section = "工作举措"
title = "促进农民工稳定就业"

[[item.measure]]
id = "1.1"
text = "落实好就业优先政策。"
responsibility = "责任单位：市人力资源社会保障局，配合单位：市总工会"
lead = ["rsj"]
cooperating = ["zgh"]
targets = ["jobs"]
"#;

    /// The line of the first occurrence of `needle` in `text`.
    fn line(text: &str, needle: &str) -> usize {
        let at = text.find(needle).unwrap_or_else(|| panic!("«{needle}» not in text"));
        line_of(text, at)
    }

    fn errors(text: &str) -> Vec<PlanError> {
        parse(text, &ctx()).expect_err("should fail")
    }

    /// Replaces `from` (once, must exist) and returns the errors.
    fn broken(from: &str, to: &str) -> (String, Vec<PlanError>) {
        assert!(MINIMAL.contains(from), "{from}");
        let text = MINIMAL.replacen(from, to, 1);
        let e = errors(&text);
        (text, e)
    }

    #[test]
    fn plan_minimal_file_passes() {
        let p = parse(MINIMAL, &ctx()).unwrap();
        assert_eq!(p.summary().targets, 3);
        assert_eq!(p.items[0].measures[0].cooperating, ["zgh"]);
        let loans = p.target("loans").unwrap();
        assert_eq!(loans.progress, Progress::Cumulative);
        assert_eq!(p.target("schooling").unwrap().progress, Progress::Level);
    }

    #[test]
    fn plan_syntax_error_has_its_line() {
        let (text, e) = broken("title = \"测试方案\"", "title = \"测试方案");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "title = "));
        assert!(e[0].message.contains("TOML 语法错误"), "{}", e[0].message);
        assert!(e[0].to_string().starts_with(&format!("第{}行：", e[0].line)));
    }

    #[test]
    fn plan_unknown_key_and_wrong_type_have_their_lines() {
        let (text, e) = broken("unit = \"人\"", "unit = \"人\"\nunits = \"人\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "units = "));
        assert!(e[0].message.contains("不认识的键“units”"), "{}", e[0].message);
        let (text, e) = broken("due_working_days = 5", "due_working_days = \"五\"");
        assert_eq!(e[0].line, line(&text, "due_working_days"));
        assert!(e[0].message.contains("整数"), "{}", e[0].message);
    }

    #[test]
    fn plan_unknown_record_kind_has_its_line() {
        let (text, e) = broken("kind = \"employment\"", "kind = \"jobs\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "kind = \"jobs\""));
        assert!(e[0].message.contains("未知的业务类别“jobs”"), "{}", e[0].message);
        assert!(e[0].message.contains("employment（就业）"), "{}", e[0].message);
    }

    #[test]
    fn plan_unknown_field_and_choice_have_their_lines() {
        let (text, e) = broken("field = \"school_type\"", "field = \"school_kind\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "school_kind"));
        assert!(e[0].message.contains("没有字段“school_kind”"), "{}", e[0].message);
        let (text, e) = broken("date = \"start\"", "date = \"begin\"");
        assert_eq!(e[0].line, line(&text, "\"begin\""));
        let (text, e) = broken("is = \"就近就业\"", "is = \"打零工\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "打零工"));
        assert!(e[0].message.contains("没有“打零工”这个取值"), "{}", e[0].message);
        assert!(e[0].message.contains("就近就业、外出务工"), "{}", e[0].message);
    }

    #[test]
    fn plan_unknown_unit_has_its_line() {
        let (text, e) = broken("cooperating = [\"zgh\"]", "cooperating = [\"tjj\"]");
        assert_eq!(e[0].line, line(&text, "\"tjj\""));
        assert!(e[0].message.contains("“tjj”不是已知的单位代码"), "{}", e[0].message);
        let (text, e) = broken("reporter = \"rsj\"", "reporter = \"rsb\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "\"rsb\""));
    }

    #[test]
    fn plan_units_must_match_the_clause() {
        let (text, e) = broken("cooperating = [\"zgh\"]", "cooperating = [\"czj\"]");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "cooperating = "));
        assert!(e[0].message.contains("cooperating 与原文不一致"), "{}", e[0].message);
        let (text, e) = broken("lead = [\"rsj\"]", "lead = []");
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].line, line(&text, "responsibility = "));
        assert!(e[0].message.contains("lead 与原文不一致"), "{}", e[0].message);
        assert!(e[1].message.contains("须写责任单位"), "{}", e[1].message);
        let (_, e) = broken("配合单位：市总工会", "配合单位：市统计局");
        assert!(e[0].message.contains("“市统计局”不在单位名单中"), "{}", e[0].message);
    }

    #[test]
    fn plan_duplicate_target_id_has_its_line() {
        let (text, e) = broken("id = \"loans\"", "id = \"jobs\"");
        assert_eq!(e.len(), 1, "{e:?}");
        let second = text.match_indices("id = \"jobs\"").nth(1).unwrap().0;
        assert_eq!(e[0].line, line_of(&text, second));
        assert!(
            e[0].message
                .contains(&format!("第{}行已经用过", line(&text, "id = \"jobs\""))),
            "{}",
            e[0].message
        );
        let (text, e) = broken("targets = [\"jobs\"]", "targets = [\"job\"]");
        assert_eq!(e[0].line, line(&text, "targets = "));
    }

    #[test]
    fn plan_ratio_without_denominator_has_its_line() {
        let (text, e) = broken(
            "[target.compute.denominator]\naggregate = \"count\"\n\n[[target.compute.denominator.from]]\nkind = \"schooling\"\n",
            "",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "aggregate = \"ratio\""));
        assert!(e[0].message.contains("缺少分母 denominator"), "{}", e[0].message);
        let (_, e) = broken("unit = \"%\"", "unit = \"人\"");
        assert!(e[0].message.contains("比值目标的单位应为“%”"), "{}", e[0].message);
    }

    #[test]
    fn plan_distinct_counts_are_by_worker_over_one_fixed_window() {
        let (text, e) = broken("distinct = \"worker\"", "distinct = \"employer\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "aggregate = \"count_distinct\""));
        assert!(e[0].message.contains("只支持按人"), "{}", e[0].message);
        let (_, e) = broken("date = \"start\"", "date = \"start\"\nwindow = \"rolling_year\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("同一统计区间"), "{}", e[0].message);
    }

    #[test]
    fn plan_thresholds_out_of_order_have_their_line() {
        let (text, e) = broken("severe_below = 70", "severe_below = 95");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "severe_below"));
        assert!(e[0].message.contains("阈值顺序不对"), "{}", e[0].message);
        let (text, e) = broken(
            "unit = \"%\"",
            "unit = \"%\"\nstatus = { lagging_below = 100, severe_below = 100 }",
        );
        assert_eq!(e[0].line, line(&text, "status = "));
    }

    #[test]
    fn plan_every_problem_is_reported_in_line_order() {
        let text = MINIMAL
            .replacen("severe_below = 70", "severe_below = 95", 1)
            .replacen("kind = \"employment\"", "kind = \"jobs\"", 1)
            .replacen("lead = [\"rsj\"]", "lead = [\"xyz\"]", 1)
            .replacen("id = \"loans\"", "id = \"jobs\"", 1);
        let e = errors(&text);
        let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
        assert_eq!(
            lines,
            [
                line(&text, "severe_below"),
                line(&text, "kind = \"jobs\""),
                text.match_indices("id = \"jobs\"")
                    .nth(1)
                    .map(|(i, _)| line_of(&text, i))
                    .unwrap(),
                line(&text, "\"xyz\""),
            ],
            "{e:?}"
        );
    }

    const SCORING: &str = r#"
[evaluation]
total = 100
note = "测试分值"

[[evaluation.score]]
target = "jobs"
weight = 60

[[evaluation.score]]
target = "schooling"
weight = 40
"#;

    /// MINIMAL with SCORING, `from` replaced in the scoring part.
    fn scoring_broken(from: &str, to: &str) -> (String, Vec<PlanError>) {
        assert!(SCORING.contains(from), "{from}");
        let text = format!("{MINIMAL}{}", SCORING.replacen(from, to, 1));
        let e = errors(&text);
        (text, e)
    }

    #[test]
    fn plan_scoring_rules_pass() {
        let p = parse(&format!("{MINIMAL}{SCORING}"), &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
        let s = p.scoring.expect("scoring");
        assert_eq!(s.total, Figure(1_000_000));
        assert_eq!(s.about_tolerance, Scoring::ABOUT_TOLERANCE);
        assert_eq!(s.note.as_deref(), Some("测试分值"));
        let w: Vec<(&str, String, bool)> = s
            .weights
            .iter()
            .map(|w| (w.target.as_str(), w.weight.to_string(), w.counties))
            .collect();
        assert_eq!(
            w,
            [("jobs", "60".to_string(), true), ("schooling", "40".to_string(), true)]
        );
        assert!(
            parse(MINIMAL, &ctx()).unwrap().scoring.is_none(),
            "the rules are optional"
        );
        // Decimals, a tolerance and a city-only target.
        let text = format!(
            "{MINIMAL}{}",
            SCORING
                .replacen("weight = 60", "weight = 59.5\ncounties = false", 1)
                .replacen("weight = 40", "weight = 40.5", 1)
                .replacen("total = 100", "total = 100\nabout_tolerance = 10", 1)
        );
        let s = parse(&text, &ctx())
            .unwrap_or_else(|e| panic!("{e:?}"))
            .scoring
            .unwrap();
        assert_eq!(s.about_tolerance, 10);
        assert!(!s.weights[0].counties);
        assert_eq!(s.weights[1].weight, Figure(405_000));
        // The shipped plan: every target has points, 100 in all.
        let p = shipped();
        let s = p.scoring.as_ref().expect("the shipped plan has scoring rules");
        assert_eq!(s.total, Figure::from_int(100).unwrap());
        let ids: Vec<&str> = s.weights.iter().map(|w| w.target.as_str()).collect();
        let targets: Vec<&str> = p.targets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, targets);
        assert_eq!(s.weights.iter().map(|w| w.weight.0).sum::<i64>(), s.total.0);
        assert!(s.note.as_deref().is_some_and(|n| n.contains("方案未规定")));
    }

    #[test]
    fn plan_scoring_errors_have_their_lines() {
        let (text, e) = scoring_broken("weight = 40", "weight = -40");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "weight = -40"));
        assert!(e[0].message.contains("不能为负数"), "{}", e[0].message);

        let (text, e) = scoring_broken("weight = 40", "weight = \"四十\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "四十"));
        assert!(e[0].message.contains("“weight”应为数字"), "{}", e[0].message);

        let (text, e) = scoring_broken("weight = 40", "weight = 0");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "weight = 0"));
        assert!(e[0].message.contains("应大于0"), "{}", e[0].message);

        let (text, e) = scoring_broken("target = \"schooling\"", "target = \"school\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "target = \"school\""));
        assert!(e[0].message.contains("评分目标“school”不存在"), "{}", e[0].message);

        let (text, e) = scoring_broken("target = \"schooling\"", "target = \"jobs\"");
        assert_eq!(e.len(), 1, "{e:?}");
        let second = text.match_indices("target = \"jobs\"").nth(1).unwrap().0;
        assert_eq!(e[0].line, line_of(&text, second));
        let first = line(&text, "target = \"jobs\"");
        assert!(
            e[0].message.contains(&format!("第{first}行已经写过")),
            "{}",
            e[0].message
        );

        let (text, e) = scoring_broken("weight = 40", "weight = 30");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "total = 100"));
        assert!(
            e[0].message.contains("合计为90，与评估总分 total（100）不一致"),
            "{}",
            e[0].message
        );

        // jobs is cumulative and not allocated: it cannot be scored per county.
        let (text, e) = scoring_broken("weight = 60", "weight = 60\ncounties = true");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "counties = true"));
        assert!(e[0].message.contains("没有分解到区县"), "{}", e[0].message);

        let (text, e) = scoring_broken("total = 100", "total = 100\nabout_tolerance = 80");
        assert_eq!(e[0].line, line(&text, "about_tolerance"));
        assert!(e[0].message.contains("0至50"), "{}", e[0].message);

        let (_, e) = scoring_broken("total = 100", "total = 0");
        assert!(e[0].message.contains("应大于0"), "{}", e[0].message);

        // A key the format does not know stops reading, with its line.
        let (text, e) = scoring_broken("weight = 60", "points = 60");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "points = 60"));
        assert!(e[0].message.contains("不认识的键“points”"), "{}", e[0].message);

        // Rules without any target's points.
        let text = format!("{MINIMAL}\n[evaluation]\ntotal = 100\n");
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("至少为一个目标写分值"), "{}", e[0].message);
    }

    #[test]
    fn plan_other_rules() {
        let (_, e) = broken("reporter = \"rsj\"", "");
        assert!(e[0].message.contains("缺少计算口径"), "{}", e[0].message);
        let (_, e) = broken("distinct = \"worker\"\n", "");
        assert!(e[0].message.contains("须写 distinct"), "{}", e[0].message);
        let (_, e) = broken("value = 4\n", "value = 4\nupper = 3\n");
        assert!(e[0].message.contains("between"), "{}", e[0].message);
        let (_, e) = broken("end = 2023-12-31", "end = 2022-12-31");
        assert!(e[0].message.contains("早于开始日期"), "{}", e[0].message);
        let (_, e) = broken("no = 1", "no = 2");
        assert!(e[0].message.contains("应依次编号"), "{}", e[0].message);
        let (_, e) = broken(
            "value = 4\n",
            "value = 4\nallocation = { \"341002\" = 1, \"341100\" = 2 }\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("“341100”不是本市的区县代码"), "{}", e[0].message);
        let (_, e) = broken(
            "unit = \"亿元\"\nreporter = \"rsj\"",
            "unit = \"亿元\"\n[target.compute]\naggregate = \"sum\"\nfield = \"loan\"\n[[target.compute.from]]\nkind = \"venture\"\ndate = \"loan_date\"\nfilters = [{ field = \"loan\", is = \"1\" }]",
        );
        assert!(e[0].message.contains("不能按取值筛选"), "{}", e[0].message);
        // A money sum in 亿元 with an allocation passes.
        let text = MINIMAL.replacen(
            "unit = \"亿元\"\nreporter = \"rsj\"",
            "unit = \"亿元\"\nallocation = { \"341002\" = 1.5, \"341021\" = 2.5 }\n[target.compute]\naggregate = \"sum\"\nfield = \"loan\"\n[[target.compute.from]]\nkind = \"venture\"\ndate = \"loan_date\"\nfilters = [{ field = \"loan\", present = true }]",
            1,
        );
        let p = parse(&text, &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
        let loans = p.target("loans").unwrap();
        assert_eq!(loans.allocation.len(), 2);
        assert!(matches!(&loans.measurement, Measurement::Computed(Query::Tally(t)) if t.is_money()));
        let (_, e) = broken("unit = \"人\"", "unit = \"万元\"");
        assert!(e[0].message.contains("计数目标的单位不能是“万元”"), "{}", e[0].message);
    }

    #[test]
    fn plan_case_targets_parse() {
        use crate::case::{Sector, Source as CaseSource, Status};
        // The plan's words for cases are the case module's labels.
        assert_eq!(CASE_STATUSES, Status::ALL.map(Status::label_zh));
        assert_eq!(CASE_SECTORS, Sector::ALL.map(Sector::label_zh));
        assert_eq!(CASE_SOURCES, CaseSource::ALL.map(CaseSource::label_zh));

        let text = format!("{MINIMAL}{CASE_TARGETS}");
        let p = parse(&text, &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
        let tally = |id: &str| match &p.target(id).unwrap().measurement {
            Measurement::Computed(Query::Tally(t)) => t.clone(),
            other => panic!("{id}: {other:?}"),
        };
        let open = tally("case_clearance");
        assert!(open.is_cases() && !open.is_money());
        assert_eq!(open.from[0].kind, RecordKind::WageCase);
        assert_eq!(open.from[0].date, None);
        assert_eq!(open.from[0].window, Window::ToDate);
        assert_eq!(
            open.from[0].filters,
            [Filter {
                field: "open",
                test: Test::In(vec!["是".into()])
            }]
        );
        let recovered = tally("case_recovered");
        assert!(recovered.is_cases() && recovered.is_money());
        assert_eq!(recovered.aggregate, Aggregate::Sum("amount_recovered"));
        assert_eq!(recovered.from[0].date, Some("closed"));
        let clearance = p.target("case_clearance").unwrap();
        assert_eq!(clearance.comparison, Comparison::AtMost);
        assert_eq!(clearance.value, Some(Figure(0)));
        let in_time = p.target("case_in_time").unwrap();
        assert_eq!(in_time.progress, Progress::Level);
        assert!(
            matches!(&in_time.measurement, Measurement::Computed(Query::Ratio { numerator, .. }) if numerator.is_cases())
        );
        // Registry tallies are not case tallies.
        match &p.target("jobs").unwrap().measurement {
            Measurement::Computed(Query::Tally(t)) => assert!(!t.is_cases()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plan_case_target_errors_have_their_lines() {
        let base = format!("{MINIMAL}{CASE_TARGETS}");
        let bad = |from: &str, to: &str| {
            assert!(base.contains(from), "{from}");
            let text = base.replacen(from, to, 1);
            let e = errors(&text);
            (text, e)
        };
        // A field cases do not have.
        let (text, e) = bad("field = \"amount_recovered\"", "field = \"amount\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "field = \"amount\""));
        assert!(e[0].message.contains("没有字段“amount”"), "{}", e[0].message);
        assert!(
            e[0].message.contains("amount_recovered（追回金额）"),
            "{}",
            e[0].message
        );
        // A status that does not exist, listed with the ones that do.
        let (text, e) = bad(
            "not = \"不予受理\" }]\n\n[target.compute.denominator]",
            "not = \"已结案\" }]\n\n[target.compute.denominator]",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, line(&text, "not = \"已结案\""));
        assert!(
            e[0].message
                .contains("没有“已结案”这个取值，可选：登记、受理、不予受理"),
            "{}",
            e[0].message
        );
        // Dates only by `present`; `date` must be a date field.
        let (text, e) = bad("date = \"closed\"\n\n[[target]]", "date = \"status\"\n\n[[target]]");
        assert_eq!(e[0].line, line(&text, "date = \"status\""));
        assert!(e[0].message.contains("不是日期"), "{}", e[0].message);
        // Cases and registry records never in one tally; no distinct counts.
        let (text, e) = bad(
            "filters = [{ field = \"open\", is = \"是\" }]",
            "filters = [{ field = \"open\", is = \"是\" }]\n\n[[target.compute.from]]\nkind = \"employment\"",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            e[0].line,
            line(
                &text,
                "aggregate = \"count\"\n\n[[target.compute.from]]\nkind = \"wage_case\""
            )
        );
        assert!(e[0].message.contains("既有欠薪案件"), "{}", e[0].message);
        let (text, e) = bad(
            "aggregate = \"count\"\n\n[[target.compute.from]]\nkind = \"wage_case\"",
            "aggregate = \"count_distinct\"\ndistinct = \"worker\"\n\n[[target.compute.from]]\nkind = \"wage_case\"",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            e[0].line,
            line(
                &text,
                "aggregate = \"count_distinct\"\ndistinct = \"worker\"\n\n[[target.compute.from]]\nkind = \"wage_case\""
            )
        );
        assert!(e[0].message.contains("不能去重计数"), "{}", e[0].message);
        // A money sum in 件, a count in 万元.
        let (text, e) = bad("value = 100\nunit = \"万元\"", "value = 100\nunit = \"件\"");
        assert_eq!(
            e[0].line,
            line(&text, "unit = \"件\"\n\n[target.compute]\naggregate = \"sum\"")
        );
        assert!(e[0].message.contains("金额合计的单位"), "{}", e[0].message);
        // An unknown kind lists the cases among the choices.
        let (_, e) = bad("kind = \"wage_case\"\nwindow", "kind = \"cases\"\nwindow");
        assert!(e[0].message.contains("wage_case（欠薪线索/案件）"), "{}", e[0].message);
    }
}
