//! The model.

use super::*;

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

crate::coded! {
    /// How often measures and reported targets are reported (调度周期).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Cycle {
        Month = "month" / "按月",
        Quarter = "quarter" / "按季度",
        HalfYear = "half_year" / "按半年",
        Year = "year" / "按年",
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

crate::coded! {
    /// How the figure reads (不低于 / 左右 / 不超过 / 1—2家).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Comparison {
        AtLeast = "at_least" / "不低于",
        About = "about" / "左右",
        AtMost = "at_most" / "不超过",
        /// From `value` to `upper`.
        Between = "between" / "区间",
    }
}

crate::coded! {
    /// How progress is judged against time.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Progress {
        /// Accumulates over the plan period; due in proportion to time elapsed.
        Cumulative = "cumulative",
        /// A level (a ratio, a rate, a coverage): due in full at any time.
        Level = "level",
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
    /// The city figure: the target's value, or without one the sum of its
    /// allocations (`None`: neither, a target without a number).
    pub fn city_figure(&self) -> Option<Figure> {
        if self.value.is_none() && !self.allocation.is_empty() {
            Some(Figure(self.allocation.values().map(|f| f.0).sum()))
        } else {
            self.value
        }
    }

    /// A county's share: its allocation; 0 when the target is allocated to
    /// other counties only; `None` when it is not allocated (or no county).
    pub fn share_of(&self, county: Option<DivisionCode>) -> Option<Figure> {
        county
            .and_then(|c| self.allocation.get(&c).copied())
            .or(if self.allocation.is_empty() {
                None
            } else {
                Some(Figure(0))
            })
    }

    /// The goal in `region` as a number (the board's arithmetic): for the
    /// plan's `area` the value or the allocations' sum, for a county a
    /// level target's value or a cumulative target's allocation.
    pub fn goal_in(&self, region: DivisionCode, area: DivisionCode) -> Option<f64> {
        if region == area {
            let allocated: f64 = self.allocation.values().map(|f| f.as_f64()).sum();
            self.value
                .map(|v| v.as_f64())
                .or((!self.allocation.is_empty()).then_some(allocated))
        } else if self.level_per_county() {
            self.value.map(|v| v.as_f64())
        } else {
            self.allocation.get(&region).map(|f| f.as_f64())
        }
    }

    /// A level that each county is to reach as well (a rate or a ratio).
    /// A counted level (a stock of facilities, counties covered) is the
    /// city's: a county's goal is its allocation, if any.
    pub fn level_per_county(&self) -> bool {
        self.progress == Progress::Level && !matches!(self.measurement, Measurement::Counted { .. })
    }

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
    /// Counted from a facility registry (设施台账). The unit named, if any,
    /// still reports its own figure each period: a cross-check shown beside
    /// the count when the two differ.
    Counted {
        count: FacilityCount,
        reporter: Option<String>,
        cycle: Option<Cycle>,
    },
    /// Reported each period by the responsible unit (a unit code).
    Reported { reporter: String, cycle: Option<Cycle> },
}

impl Measurement {
    /// The unit that reports a figure for the target, and the target's own
    /// cycle: a reported target's reporter, or a counted target's
    /// cross-checking unit.
    pub fn reporter(&self) -> Option<(&str, Option<Cycle>)> {
        match self {
            Measurement::Reported { reporter, cycle } => Some((reporter, *cycle)),
            Measurement::Counted {
                reporter: Some(reporter),
                cycle,
                ..
            } => Some((reporter, *cycle)),
            _ => None,
        }
    }

    /// The figure comes from the system (records, cases or facilities), not
    /// from a unit's report.
    pub fn is_computed(&self) -> bool {
        !matches!(self, Measurement::Reported { .. })
    }
}

/// A count over one facility registry or one register of the public
/// employment service (`[target.count]`).
#[derive(Clone, Debug, PartialEq)]
pub struct FacilityCount {
    pub kind: CountSource,
    pub aggregate: FacilityAggregate,
    /// The date field that places a facility in time; `None`: a facility on
    /// file counts whatever the day.
    pub date: Option<&'static str>,
    pub window: Window,
    pub filters: Vec<Filter>,
}

/// What a counted target counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FacilityAggregate {
    /// Facilities (家、个).
    Count,
    /// The sum of a count field (套（间）).
    Sum(&'static str),
    /// Counties with at least one such facility (区县覆盖).
    Counties,
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
    /// Counting people (农业转移人口): `Some(conditions)` when a record that
    /// counts also counts the worker's registered family members
    /// (随迁家属, `dependants`) if the record meets the conditions (none:
    /// always); `None`: the record counts as the aggregate says.
    pub family: Option<Vec<Filter>>,
}

crate::coded! {
    /// Which records count as of a day.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Window {
        /// Dated from the plan's start to the day (新增).
        Plan = "plan",
        /// Dated on or before the day (累计、存量).
        ToDate = "to_date",
        /// Dated in the twelve months up to the day (the current school year).
        RollingYear = "rolling_year",
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
    /// The day a figure is taken on: the day asked for, up to the plan's end
    /// (after it the figures stay as they were on its last day).
    pub fn figure_day(&self, day: NaiveDate) -> NaiveDate {
        day.min(self.meta.end)
    }

    /// The last day of each month of the plan from its start up to `last`
    /// (the last one is `last` itself): the points of a monthly series.
    pub fn month_ends(&self, last: NaiveDate) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut month = self.meta.start;
        while month <= last {
            let end = month
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(month)
                .min(last);
            out.push(end);
            let Some(next) = end.succ_opt() else { break };
            month = next;
        }
        out
    }

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
        let computed = self.targets.iter().filter(|t| t.measurement.is_computed()).count();
        let mut units: BTreeSet<&str> = BTreeSet::new();
        units.insert(&self.meta.office);
        for (_, m) in self.measures() {
            units.extend(m.lead.iter().chain(&m.cooperating).map(String::as_str));
        }
        for t in &self.targets {
            if let Some((reporter, _)) = t.measurement.reporter() {
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
