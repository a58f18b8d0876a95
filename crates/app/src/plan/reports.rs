//! 调度: the member units' progress reports on the plan's measures, period
//! by period, with the figures of the reported targets; the office's review
//! (采纳 / 退回), its 督办 marks on overdue reports, and closing a period.
//!
//! Periods follow the plan's `[reporting]` cycle over the plan period
//! (quarters: 2023Q1…2023Q4); a report is due `due_working_days` working days
//! after its period ends, counted on the stored holiday calendar. Every city
//! unit the plan names — as lead or cooperating unit of a measure, or as the
//! reporter of a reported target — owes one report per period. County units
//! owe nothing but may file for their county. See `docs/reports.md`.

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{Db, Sql, Tx};
use crate::units::UnitRow;
use crate::{Call, Origin, require};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::calendar::{Calendar, CalendarError};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::plan::{Cycle, Figure, Measurement, Plan, Target, numeral_zh};
use shiminhua_core::report::ReportStatus;
use std::collections::{BTreeMap, HashMap};

/// The largest attachment accepted.
pub const MAX_FILE: usize = 10 * 1024 * 1024;
/// Attachments one report may carry.
pub const MAX_FILES: usize = 10;
/// The longest 工作进展 text, in characters.
pub const MAX_BODY: usize = 20_000;
/// The longest note on one measure, in characters.
pub const MAX_NOTE: usize = 2_000;
/// The longest review comment or 督办 note, in characters.
pub const MAX_COMMENT: usize = 500;
/// A report still missing this many days or fewer before its due date is
/// shown as near due (amber).
pub const NEAR_DUE_DAYS: i64 = 3;

// ---------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------

/// A reporting period (调度期).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// 2023Q3, 2023H1, 2023-09 or 2023.
    pub code: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// 2023年第三季度.
    pub label: String,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    ymd(ny, nm, 1).pred_opt().unwrap_or(NaiveDate::MIN)
}

/// The period of `cycle` that contains `day`.
pub fn period_of(cycle: Cycle, day: NaiveDate) -> Period {
    let (y, m) = (day.year(), day.month());
    match cycle {
        Cycle::Month => Period {
            code: format!("{y}-{m:02}"),
            start: ymd(y, m, 1),
            end: month_end(y, m),
            label: format!("{y}年{m}月"),
        },
        Cycle::Quarter => {
            let q = (m - 1) / 3 + 1;
            Period {
                code: format!("{y}Q{q}"),
                start: ymd(y, q * 3 - 2, 1),
                end: month_end(y, q * 3),
                label: format!("{y}年第{}季度", numeral_zh(q)),
            }
        }
        Cycle::HalfYear => {
            let h = if m <= 6 { 1 } else { 2 };
            Period {
                code: format!("{y}H{h}"),
                start: ymd(y, h * 6 - 5, 1),
                end: month_end(y, h * 6),
                label: format!("{y}年{}", if h == 1 { "上半年" } else { "下半年" }),
            }
        }
        Cycle::Year => Period {
            code: y.to_string(),
            start: ymd(y, 1, 1),
            end: ymd(y, 12, 31),
            label: format!("{y}年"),
        },
    }
}

/// Whether `day` is the last day of a period of `cycle`.
pub fn ends_cycle(cycle: Cycle, day: NaiveDate) -> bool {
    period_of(cycle, day).end == day
}

/// The plan's reporting periods: every period of its cycle that overlaps
/// the plan period, in order.
pub fn periods(plan: &Plan) -> Vec<Period> {
    let mut out = Vec::new();
    let mut day = plan.meta.start;
    while day <= plan.meta.end {
        let p = period_of(plan.reporting.cycle, day);
        let Some(next) = p.end.succ_opt() else { break };
        out.push(p);
        day = next;
    }
    out
}

/// The plan's period with this code.
pub fn period(plan: &Plan, code: &str) -> Option<Period> {
    periods(plan).into_iter().find(|p| p.code == code.trim())
}

/// The period the office looks at by default on `today`: the last one that
/// has ended (its reports are the ones due), or the first.
pub fn default_period(plan: &Plan, today: NaiveDate) -> Option<Period> {
    let all = periods(plan);
    all.iter().rev().find(|p| p.end < today).or(all.first()).cloned()
}

/// The date a period's reports are due: `days` working days after its end
/// (day 1 is the first working day after it). A year whose holiday
/// arrangement is not loaded gives the reason in Chinese.
pub fn due_date(cal: &Calendar, period: &Period, days: u32) -> Result<NaiveDate, String> {
    cal.add_working_days(period.end, days).map_err(|e| match e {
        CalendarError::NotLoaded { year } => format!(
            "无法计算{}的报送期限：{year}年的节假日安排尚未载入。请系统管理员在“节假日安排”中载入{year}年的安排。",
            period.label
        ),
        other => format!("无法计算{}的报送期限：{other}", period.label),
    })
}

/// 2023年10月11日.
pub fn date_zh(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

// ---------------------------------------------------------------------------
// Who owes what
// ---------------------------------------------------------------------------

/// The department codes that owe a report each period, in the order of
/// `data/units.csv`: the lead and cooperating units of every measure and
/// the reporters of reported targets.
pub fn owing_depts(plan: &Plan) -> Vec<String> {
    let mut named: Vec<&str> = Vec::new();
    for (_, m) in plan.measures() {
        named.extend(m.lead.iter().chain(&m.cooperating).map(String::as_str));
    }
    for t in &plan.targets {
        if let Measurement::Reported { reporter, .. } = &t.measurement {
            named.push(reporter);
        }
    }
    let ctx = crate::plan::in_force::context();
    let mut out: Vec<String> = ctx
        .units
        .iter()
        .filter(|u| named.contains(&u.code.as_str()))
        .map(|u| u.code.clone())
        .collect();
    // Codes unknown to the shipped list (a plan checked against another) last.
    for n in named {
        if !out.iter().any(|c| c == n) {
            out.push(n.to_string());
        }
    }
    out
}

/// A measure a unit takes part in.
#[derive(Clone, Debug)]
pub struct MeasureRef {
    pub id: String,
    /// （六）保障农民工工资支付.
    pub heading: String,
    pub text: String,
    /// 牵头 or 配合.
    pub role: &'static str,
}

/// The measures whose lead or cooperating units include `dept`.
pub fn measures_of(plan: &Plan, dept: &str) -> Vec<MeasureRef> {
    plan.measures()
        .filter_map(|(item, m)| {
            let role = if m.lead.iter().any(|u| u == dept) {
                "牵头"
            } else if m.cooperating.iter().any(|u| u == dept) {
                "配合"
            } else {
                return None;
            };
            Some(MeasureRef {
                id: m.id.clone(),
                heading: item.heading(),
                text: m.text.clone(),
                role,
            })
        })
        .collect()
}

/// The reported targets `dept` gives a figure for in a report whose period
/// ends on `period_end`: those it reports whose own cycle (the plan's when
/// none) has a period ending that day.
pub fn targets_for<'a>(plan: &'a Plan, dept: &str, period_end: NaiveDate) -> Vec<&'a Target> {
    plan.targets
        .iter()
        .filter(|t| match &t.measurement {
            Measurement::Reported { reporter, cycle } => {
                reporter == dept && ends_cycle(cycle.unwrap_or(plan.reporting.cycle), period_end)
            }
            Measurement::Computed(_) => false,
        })
        .collect()
}

/// Whether the city's figure of a reported target must be given: it has a
/// number to reach.
fn figure_required(t: &Target) -> bool {
    t.value.is_some() || !t.allocation.is_empty()
}

// ---------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------

/// Reads a figure as typed ("1,234.5", "６%"): up to four decimals.
pub fn parse_figure(s: &str) -> Result<Option<Figure>, String> {
    let t: String = s
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' | '。' => '.',
            '－' => '-',
            c => c,
        })
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{3000}' | '%' | '％'))
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty()
        && int.len() <= 14
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err(format!("“{}”不是数字", s.chars().take(20).collect::<String>()));
    }
    if frac.len() > 4 {
        return Err("最多保留四位小数".into());
    }
    let int: i64 = int.parse().map_err(|_| "数字过大".to_string())?;
    let frac: i64 = format!("{frac:0<4}").parse().unwrap_or(0);
    let v = int
        .checked_mul(Figure::SCALE)
        .and_then(|v| v.checked_add(frac))
        .ok_or("数字过大")?;
    Ok(Some(Figure(if neg { -v } else { v })))
}

/// The attachment types accepted: (extension, MIME type, family of content).
const FILE_TYPES: &[(&str, &str, Magic)] = &[
    ("pdf", "application/pdf", Magic::Pdf),
    ("doc", "application/msword", Magic::Ole),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Magic::Zip,
    ),
    ("xls", "application/vnd.ms-excel", Magic::Ole),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Magic::Zip,
    ),
    ("jpg", "image/jpeg", Magic::Jpeg),
    ("jpeg", "image/jpeg", Magic::Jpeg),
    ("png", "image/png", Magic::Png),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Magic {
    Pdf,
    Ole,
    Zip,
    Jpeg,
    Png,
}

fn magic_of(bytes: &[u8]) -> Option<Magic> {
    if bytes.starts_with(b"%PDF-") {
        Some(Magic::Pdf)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Magic::Ole)
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some(Magic::Zip)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Magic::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(Magic::Png)
    } else {
        None
    }
}

/// Checks an attachment: its name's extension is one accepted, its content
/// (by its first bytes) is of that type, and it is at most 10 MB. Returns
/// the MIME type, or the reason in Chinese.
pub fn check_file(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let shown: String = name.chars().take(60).collect();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, mime, want)) = FILE_TYPES.iter().find(|(e, _, _)| *e == ext) else {
        return Err(format!(
            "附件“{shown}”的类型不能上传：只接受 PDF、Word（doc、docx）、Excel（xls、xlsx）和图片（jpg、png）文件"
        ));
    };
    if bytes.is_empty() {
        return Err(format!("附件“{shown}”是空文件"));
    }
    if bytes.len() > MAX_FILE {
        return Err(format!(
            "附件“{shown}”有{:.1}MB，超过10MB的上限，请压缩或拆分后上传",
            bytes.len() as f64 / 1024.0 / 1024.0
        ));
    }
    // A zip is an Office file only with the part of its kind.
    let zip_part = |part: &[u8]| bytes.windows(part.len()).any(|w| w == part);
    let ok = magic_of(bytes) == Some(*want)
        && match ext.as_str() {
            "docx" => zip_part(b"word/"),
            "xlsx" => zip_part(b"xl/"),
            _ => true,
        };
    if !ok {
        return Err(format!(
            "附件“{shown}”的内容不是{}文件（与扩展名不符），请检查后重新上传",
            ext.to_uppercase()
        ));
    }
    Ok(mime)
}

/// A file as uploaded.
#[derive(Clone, Debug)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What a unit fills in.
#[derive(Clone, Debug, Default)]
pub struct ReportInput {
    /// 工作进展.
    pub body: String,
    /// Notes on measures, by measure id.
    pub notes: BTreeMap<String, String>,
    /// Figures as typed, by field name: `fig_<target>` for the unit's own
    /// region, `fig_<target>_<county code>` (six digits, `341021`) for a
    /// county (city units).
    pub figures: HashMap<String, String>,
    /// New attachments.
    pub files: Vec<Upload>,
    /// Attachments to remove, by id.
    pub remove: Vec<i64>,
}

/// One figure field of a report form.
#[derive(Clone, Debug)]
pub struct FigureField {
    /// The form field: `fig_<target>` or `fig_<target>_<county>`.
    pub key: String,
    pub target: String,
    pub target_name: String,
    pub unit: String,
    pub region: i64,
    pub region_name: String,
    pub required: bool,
    /// The plan's goal for the region, as shown.
    pub goal: String,
}

/// The form a unit fills in for a period: the measures it takes part in,
/// and the figure fields.
#[derive(Clone, Debug)]
pub struct FormSpec {
    pub unit: UnitRow,
    pub period: Period,
    pub measures: Vec<MeasureRef>,
    pub figures: Vec<FigureField>,
}

/// The figure fields of `unit` for a period ending `end`: the city's (or the
/// county unit's own county's) figure of each target it reports, and for a
/// city unit one per county.
fn figure_fields(plan: &Plan, unit: &UnitRow, counties: &[(i64, String)], end: NaiveDate) -> Vec<FigureField> {
    let city = unit.region_code == plan.meta.region.as_i64();
    let mut out = Vec::new();
    for t in targets_for(plan, &unit.dept, end) {
        let goal_of = |region: i64| -> String {
            let v = if region == plan.meta.region.as_i64() {
                t.value
            } else {
                t.share_of(DivisionCode::from_i64(region).ok())
            };
            v.map(|f| format!("{f}{}", t.unit)).unwrap_or_default()
        };
        out.push(FigureField {
            key: format!("fig_{}", t.id),
            target: t.id.clone(),
            target_name: t.name.clone(),
            unit: t.unit.clone(),
            region: unit.region_code,
            region_name: unit.region_name.clone(),
            required: city && figure_required(t),
            goal: goal_of(unit.region_code),
        });
        if city {
            for (code, name) in counties {
                let shown = DivisionCode::from_i64(*code).map_or_else(|_| code.to_string(), |c| c.to_string());
                out.push(FigureField {
                    key: format!("fig_{}_{shown}", t.id),
                    target: t.id.clone(),
                    target_name: t.name.clone(),
                    unit: t.unit.clone(),
                    region: *code,
                    region_name: name.clone(),
                    required: false,
                    goal: goal_of(*code),
                });
            }
        }
    }
    out
}

/// A checked report, ready to store.
struct Checked {
    body: String,
    notes: BTreeMap<String, String>,
    /// (target, region, value)
    figures: Vec<(String, i64, i64)>,
    files: Vec<(String, &'static str, Vec<u8>)>,
}

fn check_input(spec: &FormSpec, input: &ReportInput, kept_files: usize) -> AppResult<Checked> {
    let mut errs = FieldErrors::default();
    let body = input.body.trim().to_string();
    if body.is_empty() {
        errs.add("body", "请填写本期工作进展");
    } else if body.chars().count() > MAX_BODY {
        errs.add("body", format!("工作进展最多{MAX_BODY}字，请精简"));
    }
    let mut notes = BTreeMap::new();
    for m in &spec.measures {
        let n = input.notes.get(&m.id).map(|s| s.trim()).unwrap_or("");
        if n.chars().count() > MAX_NOTE {
            errs.add(&format!("note_{}", m.id), format!("每条举措的说明最多{MAX_NOTE}字"));
        } else if !n.is_empty() {
            notes.insert(m.id.clone(), n.to_string());
        }
    }
    let mut figures = Vec::new();
    for f in &spec.figures {
        let typed = input.figures.get(&f.key).map(String::as_str).unwrap_or("");
        match parse_figure(typed) {
            Ok(Some(v)) => figures.push((f.target.clone(), f.region, v.0)),
            Ok(None) if f.required => errs.add(
                &f.key,
                format!(
                    "请填写{}截至{}的数（{}）",
                    f.target_name,
                    date_zh(spec.period.end),
                    f.unit
                ),
            ),
            Ok(None) => {}
            Err(m) => errs.add(&f.key, format!("{}：{m}", f.target_name)),
        }
    }
    let mut files = Vec::new();
    let mut refused = Vec::new();
    for u in &input.files {
        match check_file(&u.name, &u.bytes) {
            Ok(mime) => files.push((clean_name(&u.name), mime, u.bytes.clone())),
            Err(m) => refused.push(m),
        }
    }
    if !refused.is_empty() {
        errs.add("files", refused.join("；"));
    } else if kept_files + files.len() > MAX_FILES {
        errs.add("files", format!("每份报告最多{MAX_FILES}个附件"));
    }
    errs.into_result()?;
    Ok(Checked {
        body,
        notes,
        figures,
        files,
    })
}

/// A file name without control characters or path, at most 100 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect()
}

// ---------------------------------------------------------------------------
// Stored rows
// ---------------------------------------------------------------------------

const UNIT_COLUMNS: &str = "SELECT u.id, u.code, u.name, u.short_name, u.dept, u.region_code, g.name AS region_name \
     FROM units u JOIN regions g ON g.code = u.region_code";

async fn unit(tx: &mut Tx, id: i64) -> AppResult<UnitRow> {
    let mut q = Sql::new(UNIT_COLUMNS);
    q.push(" WHERE u.id = ").arg(id);
    tx.one(q).await
}

async fn all_units(tx: &mut Tx) -> AppResult<Vec<UnitRow>> {
    let mut q = Sql::new(UNIT_COLUMNS);
    q.push(" ORDER BY u.region_code, u.sort");
    tx.all(q).await
}

async fn counties(tx: &mut Tx, plan: &Plan) -> AppResult<Vec<(i64, String)>> {
    let (lo, hi) = plan.meta.region.subtree_range();
    tx.all(
        Sql::new("SELECT code, name FROM regions WHERE level = 3 AND code BETWEEN $1 AND $2 ORDER BY code")
            .bind(lo)
            .bind(hi),
    )
    .await
}

/// A stored report.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_dept: String,
    pub unit_region: i64,
    pub period: String,
    pub period_end: NaiveDate,
    pub status: String,
    pub body: String,
    pub notes: String,
    pub filed_at: DateTime<Utc>,
    pub filed_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: String,
    pub comment: String,
    pub version: i64,
}

impl ReportRow {
    pub fn state(&self) -> ReportStatus {
        ReportStatus::from_code(&self.status).unwrap_or(ReportStatus::Filed)
    }

    /// Notes by measure id.
    pub fn note_map(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.notes).unwrap_or_default()
    }
}

const REPORT_COLUMNS: &str = "SELECT r.id, r.unit_id, u.code AS unit_code, u.name AS unit_name, u.dept AS unit_dept, \
     u.region_code AS unit_region, r.period, r.period_end, r.status, r.body, r.notes, r.filed_at, r.filed_by, \
     r.updated_at, r.updated_by, r.reviewed_at, r.reviewed_by, r.comment, r.version \
     FROM reports r JOIN units u ON u.id = r.unit_id";

async fn report(tx: &mut Tx, id: i64) -> AppResult<ReportRow> {
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.id = ").arg(id);
    tx.one(q).await
}

/// Whether the actor may read a report: a business role, and the report is
/// a city unit's, or its county is in the actor's scope, or it is the
/// actor's own unit's.
fn may_read(actor: &Actor, plan_region: DivisionCode, r: &ReportRow) -> bool {
    if !actor.can(Permission::ViewDashboard) {
        return false;
    }
    if actor.unit_id == Some(r.unit_id) || r.unit_region == plan_region.as_i64() {
        return true;
    }
    DivisionCode::from_i64(r.unit_region).is_ok_and(|c| actor.scope.covers_region(c))
}

/// A figure a report gives.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FigureRow {
    pub target: String,
    pub region: i64,
    pub as_of: NaiveDate,
    pub value: i64,
}

impl FigureRow {
    pub fn figure(&self) -> Figure {
        Figure(self.value)
    }
}

/// An attachment, without its content.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

impl FileRow {
    /// 1.2MB / 35KB.
    pub fn size_label(&self) -> String {
        if self.size >= 1024 * 1024 {
            format!("{:.1}MB", self.size as f64 / 1024.0 / 1024.0)
        } else {
            format!("{}KB", (self.size + 1023) / 1024)
        }
    }
}

/// One version of a report.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub action: String,
    pub status: String,
    pub body: String,
    pub comment: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
}

impl VersionRow {
    pub fn action_label(&self) -> &'static str {
        match self.action.as_str() {
            "file" => "报送",
            "revise" => "修改后报送",
            "accept" => "采纳",
            "return" => "退回",
            _ => "其他",
        }
    }
}

/// A 督办 mark.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UrgeRow {
    pub id: i64,
    pub unit_id: i64,
    pub period: String,
    pub note: String,
    pub urged_at: DateTime<Utc>,
    pub urged_by: String,
}

async fn urges_of(tx: &mut Tx, unit_id: Option<i64>, period: Option<&str>) -> AppResult<Vec<UrgeRow>> {
    let mut q = Sql::new("SELECT id, unit_id, period, note, urged_at, urged_by FROM report_urges WHERE 1 = 1");
    if let Some(u) = unit_id {
        q.push(" AND unit_id = ").arg(u);
    }
    if let Some(p) = period {
        q.push(" AND period = ").arg(p);
    }
    q.push(" ORDER BY urged_at, id");
    tx.all(q).await
}

/// When and by whom a period was closed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Closed {
    pub period: String,
    pub closed_at: DateTime<Utc>,
    pub closed_by: String,
}

async fn closed(tx: &mut Tx, period: &str) -> AppResult<Option<Closed>> {
    tx.opt(Sql::new("SELECT period, closed_at, closed_by FROM report_periods WHERE period = $1").bind(period))
        .await
}

fn closed_error(p: &Period, c: &Closed) -> AppError {
    AppError::Conflict(format!(
        "该调度期（{}）已于{}关闭，不能再报送或修改报告。如确需补报，请联系专班办公室。",
        p.label,
        date_zh(local_date(c.closed_at))
    ))
}

// ---------------------------------------------------------------------------
// Filing and revising
// ---------------------------------------------------------------------------

/// The plan in force, inside a transaction.
async fn plan_of(tx: &mut Tx) -> AppResult<std::sync::Arc<Plan>> {
    crate::plan::in_force::plan_in(tx)
        .await?
        .ok_or_else(|| AppError::Conflict("尚未载入目标计划，不能调度。".into()))
}

fn period_or_error(plan: &Plan, code: &str) -> AppResult<Period> {
    period(plan, code).ok_or_else(|| {
        AppError::field(
            "period",
            format!(
                "调度期“{}”不在计划期内，请从列表中选择",
                code.chars().take(20).collect::<String>()
            ),
        )
    })
}

/// The actor's own unit, for filing; a field error when the account has none.
async fn own_unit(tx: &mut Tx, actor: &Actor) -> AppResult<UnitRow> {
    let Some(id) = actor.unit_id else {
        return Err(AppError::field(
            "unit",
            "您的账户未关联责任单位，不能报送调度报告。请联系系统管理员在用户管理中设置所属单位。",
        ));
    };
    unit(tx, id).await
}

async fn form_spec_in(tx: &mut Tx, plan: &Plan, unit: UnitRow, period: Period) -> AppResult<FormSpec> {
    let counties = counties(tx, plan).await?;
    let city = unit.region_code == plan.meta.region.as_i64();
    Ok(FormSpec {
        measures: if city {
            measures_of(plan, &unit.dept)
        } else {
            Vec::new()
        },
        figures: figure_fields(plan, &unit, &counties, period.end),
        unit,
        period,
    })
}

/// The form the actor's unit fills in for a period (for the new-report page).
pub async fn form_spec(db: &Db, actor: &Actor, period_code: &str) -> AppResult<FormSpec> {
    require(actor, Permission::FileReports)?;
    let mut tx = db.read().await?;
    let plan = plan_of(&mut tx).await?;
    let unit = own_unit(&mut tx, actor).await?;
    let period = period_or_error(&plan, period_code)?;
    form_spec_in(&mut tx, &plan, unit, period).await
}

fn figures_json(figures: &[(String, i64, i64)]) -> String {
    serde_json::to_string(figures).unwrap_or_else(|_| "[]".into())
}

#[expect(clippy::too_many_arguments, reason = "one row of the version table")]
async fn keep_version(
    tx: &mut Tx,
    id: i64,
    version: i64,
    action: &str,
    status: ReportStatus,
    body: &str,
    notes: &str,
    figures: &str,
    comment: &str,
    at: DateTime<Utc>,
    by: &str,
) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "INSERT INTO report_versions (report_id, version, action, status, body, notes, figures, comment, changed_at, changed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(version)
        .bind(action)
        .bind(status.code())
        .bind(body)
        .bind(notes)
        .bind(figures)
        .bind(comment)
        .bind(at)
        .bind(by),
    )
    .await?;
    Ok(())
}

async fn store_figures(tx: &mut Tx, id: i64, as_of: NaiveDate, figures: &[(String, i64, i64)]) -> AppResult<()> {
    tx.exec(Sql::new("DELETE FROM report_figures WHERE report_id = $1").bind(id))
        .await?;
    for (target, region, value) in figures {
        tx.exec(
            Sql::new(
                "INSERT INTO report_figures (report_id, target, region, as_of, value) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(target.clone())
            .bind(*region)
            .bind(as_of)
            .bind(*value),
        )
        .await?;
    }
    Ok(())
}

async fn store_files(
    tx: &mut Tx,
    id: i64,
    files: Vec<(String, &'static str, Vec<u8>)>,
    at: DateTime<Utc>,
    by: &str,
) -> AppResult<()> {
    for (name, mime, bytes) in files {
        let size = bytes.len() as i64;
        tx.exec(
            Sql::new(
                "INSERT INTO report_files (report_id, name, mime, size, data, added_at, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(name)
            .bind(mime)
            .bind(size)
            .bind(bytes)
            .bind(at)
            .bind(by),
        )
        .await?;
    }
    Ok(())
}

/// The checks of a period a unit files for: it has begun and is not closed.
async fn open_period(tx: &mut Tx, p: &Period, today: NaiveDate) -> AppResult<()> {
    if let Some(c) = closed(tx, &p.code).await? {
        return Err(closed_error(p, &c));
    }
    if p.start > today {
        return Err(AppError::field("period", format!("{}尚未开始，不能报送", p.label)));
    }
    Ok(())
}

/// Files the actor's unit's report for a period. Refused with the reason
/// when the period is closed or not begun, when the unit has filed for it
/// already, or when the input does not hold (field errors, nothing stored).
pub async fn file(call: &Call<'_>, period_code: &str, input: &ReportInput) -> AppResult<i64> {
    require(call.actor, Permission::FileReports)?;
    let mut tx = call.db.write().await?;
    let plan = plan_of(&mut tx).await?;
    let unit = own_unit(&mut tx, call.actor).await?;
    let p = period_or_error(&plan, period_code)?;
    open_period(&mut tx, &p, local_date(call.now)).await?;
    let existing: Option<(i64,)> = tx
        .opt(
            Sql::new("SELECT id FROM reports WHERE unit_id = $1 AND period = $2")
                .bind(unit.id)
                .bind(p.code.clone()),
        )
        .await?;
    if existing.is_some() {
        return Err(AppError::Conflict(format!(
            "{}已报送{}的调度报告，请在已报送的报告上修改。",
            unit.name, p.label
        )));
    }
    let spec = form_spec_in(&mut tx, &plan, unit.clone(), p.clone()).await?;
    let c = check_input(&spec, input, 0)?;
    let id = insert_report(&mut tx, &unit, &p, c, call.now, &call.actor.display_name).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("report.file", "report", id).detail(format!("unit={}; period={}", unit.code, p.code)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_report(
    tx: &mut Tx,
    unit: &UnitRow,
    p: &Period,
    c: Checked,
    now: DateTime<Utc>,
    by: &str,
) -> AppResult<i64> {
    let notes = serde_json::to_string(&c.notes).unwrap_or_else(|_| "{}".into());
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO reports (unit_id, period, period_end, status, body, notes, filed_at, filed_by, updated_at, updated_by, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) RETURNING id",
            )
            .bind(unit.id)
            .bind(p.code.clone())
            .bind(p.end)
            .bind(ReportStatus::Filed.code())
            .bind(c.body.clone())
            .bind(notes.clone())
            .bind(now)
            .bind(by)
            .bind(now)
            .bind(by),
        )
        .await
        .map_err(|e| {
            if crate::store::is_unique_violation(&e) {
                AppError::Conflict(format!("{}已报送{}的调度报告，请在已报送的报告上修改。", unit.name, p.label))
            } else {
                e
            }
        })?;
    store_figures(tx, id, p.end, &c.figures).await?;
    store_files(tx, id, c.files, now, by).await?;
    keep_version(
        tx,
        id,
        1,
        "file",
        ReportStatus::Filed,
        &c.body,
        &notes,
        &figures_json(&c.figures),
        "",
        now,
        by,
    )
    .await?;
    Ok(id)
}

/// A report of the actor's own unit (NotFound for another unit's).
async fn own_report(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<ReportRow> {
    let r = report(tx, id).await?;
    if actor.unit_id != Some(r.unit_id) {
        return Err(AppError::NotFound);
    }
    Ok(r)
}

/// A report of the actor's unit with the form to revise it, for the edit
/// page (NotFound for another unit's report).
pub async fn for_edit(
    db: &Db,
    actor: &Actor,
    id: i64,
) -> AppResult<(ReportRow, FormSpec, Vec<FigureRow>, Vec<FileRow>)> {
    require(actor, Permission::FileReports)?;
    let mut tx = db.read().await?;
    let r = own_report(&mut tx, actor, id).await?;
    let plan = plan_of(&mut tx).await?;
    let p = period_or_error(&plan, &r.period)?;
    let u = unit(&mut tx, r.unit_id).await?;
    let spec = form_spec_in(&mut tx, &plan, u, p).await?;
    let figures = figures_of(&mut tx, id).await?;
    let files = files_of(&mut tx, id).await?;
    Ok((r, spec, figures, files))
}

/// Revises and files again a report of the actor's unit that has not been
/// accepted (one returned goes back to 已报送). Refused when `version` is
/// stale or the period is closed.
pub async fn revise(call: &Call<'_>, id: i64, version: i64, input: &ReportInput) -> AppResult<()> {
    require(call.actor, Permission::FileReports)?;
    let mut tx = call.db.write().await?;
    let r = own_report(&mut tx, call.actor, id).await?;
    let plan = plan_of(&mut tx).await?;
    let p = period_or_error(&plan, &r.period)?;
    if let Some(c) = closed(&mut tx, &p.code).await? {
        return Err(closed_error(&p, &c));
    }
    if r.version != version {
        return Err(stale());
    }
    if r.state() == ReportStatus::Accepted {
        return Err(AppError::Conflict(
            "该报告已被专班办公室采纳，不能再修改。如有更正，请联系专班办公室。".into(),
        ));
    }
    let u = unit(&mut tx, r.unit_id).await?;
    let spec = form_spec_in(&mut tx, &plan, u, p.clone()).await?;
    let kept = files_of(&mut tx, id)
        .await?
        .iter()
        .filter(|f| !input.remove.contains(&f.id))
        .count();
    let c = check_input(&spec, input, kept)?;
    let notes = serde_json::to_string(&c.notes).unwrap_or_else(|_| "{}".into());
    let by = call.actor.display_name.clone();
    let n = tx
        .exec(
            Sql::new(
                "UPDATE reports SET status = $1, body = $2, notes = $3, updated_at = $4, updated_by = $5, version = version + 1 \
                 WHERE id = $6 AND version = $7",
            )
            .bind(ReportStatus::Filed.code())
            .bind(c.body.clone())
            .bind(notes.clone())
            .bind(call.now)
            .bind(by.clone())
            .bind(id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(stale());
    }
    store_figures(&mut tx, id, p.end, &c.figures).await?;
    for f in &input.remove {
        tx.exec(
            Sql::new("DELETE FROM report_files WHERE id = $1 AND report_id = $2")
                .bind(*f)
                .bind(id),
        )
        .await?;
    }
    let added = c.files.len();
    store_files(&mut tx, id, c.files, call.now, &by).await?;
    keep_version(
        &mut tx,
        id,
        version + 1,
        "revise",
        ReportStatus::Filed,
        &c.body,
        &notes,
        &figures_json(&c.figures),
        "",
        call.now,
        &by,
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("report.revise", "report", id).detail(format!(
            "unit={}; period={}; was={}; files_added={added}; files_removed={}",
            r.unit_code,
            r.period,
            r.status,
            input.remove.len()
        )),
    )
    .await?;
    tx.commit().await
}

fn stale() -> AppError {
    AppError::Conflict(
        "保存失败：该报告已被他人修改或审核。请刷新页面查看最新内容后再操作，您填写的内容仍保留在表单中。".into(),
    )
}

// ---------------------------------------------------------------------------
// Review, 督办 and closing
// ---------------------------------------------------------------------------

/// Accepts (`accept`) or returns a filed report, with the office's comment
/// (required to return). Refused when `version` is stale or the report is
/// not waiting for review.
pub async fn review(call: &Call<'_>, id: i64, version: i64, accept: bool, comment: &str) -> AppResult<()> {
    require(call.actor, Permission::SuperviseReports)?;
    let comment = comment.trim();
    if !accept && comment.is_empty() {
        return Err(AppError::field("comment", "退回报告须写明退回原因和修改要求"));
    }
    if comment.chars().count() > MAX_COMMENT {
        return Err(AppError::field("comment", format!("意见最多{MAX_COMMENT}字")));
    }
    let mut tx = call.db.write().await?;
    let r = report(&mut tx, id).await?;
    if r.version != version {
        return Err(stale());
    }
    if r.state() != ReportStatus::Filed {
        return Err(AppError::Conflict(format!(
            "该报告当前为“{}”，只有已报送待审核的报告才能采纳或退回。",
            r.state().label_zh()
        )));
    }
    let to = if accept {
        ReportStatus::Accepted
    } else {
        ReportStatus::Returned
    };
    let by = call.actor.display_name.clone();
    let n = tx
        .exec(
            Sql::new(
                "UPDATE reports SET status = $1, reviewed_at = $2, reviewed_by = $3, comment = $4, version = version + 1 \
                 WHERE id = $5 AND version = $6",
            )
            .bind(to.code())
            .bind(call.now)
            .bind(by.clone())
            .bind(comment)
            .bind(id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(stale());
    }
    let figures = figures_of(&mut tx, id).await?;
    let figs: Vec<(String, i64, i64)> = figures.iter().map(|f| (f.target.clone(), f.region, f.value)).collect();
    keep_version(
        &mut tx,
        id,
        version + 1,
        if accept { "accept" } else { "return" },
        to,
        &r.body,
        &r.notes,
        &figures_json(&figs),
        comment,
        call.now,
        &by,
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(if accept { "report.accept" } else { "report.return" }, "report", id)
            .detail(format!("unit={}; period={}", r.unit_code, r.period)),
    )
    .await?;
    tx.commit().await
}

/// Marks a unit's report for a period 督办 (with a note), shown to the unit
/// until it files. Only for a unit that owes the report and has not filed it
/// (none yet, or returned).
pub async fn urge(call: &Call<'_>, unit_id: i64, period_code: &str, note: &str) -> AppResult<i64> {
    require(call.actor, Permission::SuperviseReports)?;
    let note = note.trim();
    if note.chars().count() > MAX_COMMENT {
        return Err(AppError::field("note", format!("督办意见最多{MAX_COMMENT}字")));
    }
    let mut tx = call.db.write().await?;
    let plan = plan_of(&mut tx).await?;
    let p = period_or_error(&plan, period_code)?;
    let u = unit(&mut tx, unit_id).await.map_err(|e| match e {
        AppError::NotFound => AppError::field("unit", "请选择要督办的单位"),
        e => e,
    })?;
    let owes = u.region_code == plan.meta.region.as_i64() && owing_depts(&plan).contains(&u.dept);
    let status: Option<(String,)> = tx
        .opt(
            Sql::new("SELECT status FROM reports WHERE unit_id = $1 AND period = $2")
                .bind(unit_id)
                .bind(p.code.clone()),
        )
        .await?;
    match status.as_ref().and_then(|(s,)| ReportStatus::from_code(s)) {
        Some(ReportStatus::Filed) | Some(ReportStatus::Accepted) => {
            return Err(AppError::Conflict(format!(
                "{}已报送{}的报告，无须督办。",
                u.name, p.label
            )));
        }
        None if !owes => {
            return Err(AppError::Conflict(format!("{}不承担本期调度报送任务。", u.name)));
        }
        _ => {}
    }
    let note = if note.is_empty() {
        format!("请尽快报送{}调度报告。", p.label)
    } else {
        note.to_string()
    };
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO report_urges (unit_id, period, note, urged_at, urged_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(unit_id)
            .bind(p.code.clone())
            .bind(note)
            .bind(call.now)
            .bind(call.actor.display_name.clone()),
        )
        .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("report.urge", "report_urge", id).detail(format!("unit={}; period={}", u.code, p.code)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Closes a period (关闭本期调度): no report may be filed or revised for it
/// afterwards. Reports waiting for review may still be reviewed.
pub async fn close_period(call: &Call<'_>, period_code: &str) -> AppResult<Period> {
    require(call.actor, Permission::SuperviseReports)?;
    let mut tx = call.db.write().await?;
    let plan = plan_of(&mut tx).await?;
    let p = period_or_error(&plan, period_code)?;
    if let Some(c) = closed(&mut tx, &p.code).await? {
        return Err(AppError::Conflict(format!(
            "{}的调度已于{}由{}关闭。",
            p.label,
            date_zh(local_date(c.closed_at)),
            c.closed_by
        )));
    }
    if p.end >= local_date(call.now) {
        return Err(AppError::Conflict(format!("{}尚未结束，不能关闭。", p.label)));
    }
    tx.exec(
        Sql::new("INSERT INTO report_periods (period, closed_at, closed_by) VALUES ($1, $2, $3)")
            .bind(p.code.clone())
            .bind(call.now)
            .bind(call.actor.display_name.clone()),
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("report.close", "report_period", p.code.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

async fn figures_of(tx: &mut Tx, id: i64) -> AppResult<Vec<FigureRow>> {
    tx.all(
        Sql::new(
            "SELECT target, region, as_of, value FROM report_figures WHERE report_id = $1 ORDER BY target, region",
        )
        .bind(id),
    )
    .await
}

async fn files_of(tx: &mut Tx, id: i64) -> AppResult<Vec<FileRow>> {
    tx.all(
        Sql::new("SELECT id, name, mime, size, added_at, added_by FROM report_files WHERE report_id = $1 ORDER BY id")
            .bind(id),
    )
    .await
}

/// A report with everything shown on its page.
#[derive(Clone, Debug)]
pub struct ReportView {
    pub report: ReportRow,
    pub period: Period,
    pub due: Result<NaiveDate, String>,
    pub figures: Vec<FigureRow>,
    pub files: Vec<FileRow>,
    pub versions: Vec<VersionRow>,
    pub urges: Vec<UrgeRow>,
    pub closed: Option<Closed>,
    /// The measures of the unit, for the notes.
    pub measures: Vec<MeasureRef>,
}

/// A report the actor may read (NotFound otherwise).
pub async fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<ReportView> {
    require(actor, Permission::ViewDashboard)?;
    let mut tx = db.read().await?;
    let plan = plan_of(&mut tx).await?;
    let r = report(&mut tx, id).await?;
    if !may_read(actor, plan.meta.region, &r) {
        return Err(AppError::NotFound);
    }
    let period = period(&plan, &r.period).unwrap_or_else(|| period_of(plan.reporting.cycle, r.period_end));
    let cal = crate::calendar::calendar(db).await?;
    let due = due_date(&cal, &period, plan.reporting.due_working_days);
    let figures = figures_of(&mut tx, id).await?;
    let files = files_of(&mut tx, id).await?;
    let versions = tx
        .all(
            Sql::new(
                "SELECT version, action, status, body, comment, changed_at, changed_by FROM report_versions \
                 WHERE report_id = $1 ORDER BY version DESC",
            )
            .bind(id),
        )
        .await?;
    let urges = urges_of(&mut tx, Some(r.unit_id), Some(&r.period)).await?;
    let closed = closed(&mut tx, &r.period).await?;
    let measures = if r.unit_region == plan.meta.region.as_i64() {
        measures_of(&plan, &r.unit_dept)
    } else {
        Vec::new()
    };
    Ok(ReportView {
        report: r,
        period,
        due,
        figures,
        files,
        versions,
        urges,
        closed,
        measures,
    })
}

/// An attachment's name, type and content, for a reader of its report.
pub async fn attachment(db: &Db, actor: &Actor, id: i64, file_id: i64) -> AppResult<(String, String, Vec<u8>)> {
    require(actor, Permission::ViewDashboard)?;
    let mut tx = db.read().await?;
    let plan = plan_of(&mut tx).await?;
    let r = report(&mut tx, id).await?;
    if !may_read(actor, plan.meta.region, &r) {
        return Err(AppError::NotFound);
    }
    tx.one(
        Sql::new("SELECT name, mime, data FROM report_files WHERE id = $1 AND report_id = $2")
            .bind(file_id)
            .bind(id),
    )
    .await
}

/// Where a unit stands for a period.
#[derive(Clone, Debug)]
pub struct Obligation {
    pub unit: UnitRow,
    /// Owes the report (a city unit the plan names); a county unit's
    /// report filed of its own accord is listed with `owes` false.
    pub owes: bool,
    pub report: Option<ReportRow>,
    pub urges: Vec<UrgeRow>,
    /// Missing or returned, past the due date.
    pub overdue: bool,
    /// Missing or returned, due within [`NEAR_DUE_DAYS`] days.
    pub near_due: bool,
    /// Filed after the due date.
    pub late: bool,
}

impl Obligation {
    /// Not filed: no report, or a returned one not filed again.
    pub fn outstanding(&self) -> bool {
        self.report.as_ref().is_none_or(|r| r.state() == ReportStatus::Returned)
    }

    /// 未报送 / 已报送 / 已采纳 / 已退回.
    pub fn status_label(&self) -> &'static str {
        self.report.as_ref().map_or("未报送", |r| r.state().label_zh())
    }

    /// red (overdue), amber (near due), green (accepted) or grey.
    pub fn css(&self) -> &'static str {
        if self.overdue {
            "red"
        } else if self.near_due {
            "amber"
        } else {
            match self.report.as_ref().map(ReportRow::state) {
                Some(ReportStatus::Accepted) => "green",
                _ => "grey",
            }
        }
    }

    fn rank(&self) -> u8 {
        match (self.overdue, self.near_due, self.report.as_ref().map(ReportRow::state)) {
            (true, _, _) => 0,
            (_, true, _) => 1,
            (_, _, None | Some(ReportStatus::Returned)) => 2,
            (_, _, Some(ReportStatus::Filed)) => 3,
            (_, _, Some(ReportStatus::Accepted)) => 4,
        }
    }
}

/// The state of one period: its dates and every unit's standing, the
/// overdue first.
#[derive(Clone, Debug)]
pub struct Overview {
    pub periods: Vec<Period>,
    pub period: Period,
    pub due: Result<NaiveDate, String>,
    pub closed: Option<Closed>,
    pub rows: Vec<Obligation>,
}

impl Overview {
    pub fn row(&self, unit_id: i64) -> Option<&Obligation> {
        self.rows.iter().find(|r| r.unit.id == unit_id)
    }

    /// The city unit of a department.
    pub fn by_dept(&self, dept: &str) -> Option<&Obligation> {
        self.rows.iter().find(|r| r.owes && r.unit.dept == dept)
    }
}

fn standing(
    unit: UnitRow,
    owes: bool,
    report: Option<ReportRow>,
    urges: Vec<UrgeRow>,
    due: Option<NaiveDate>,
    today: NaiveDate,
) -> Obligation {
    let outstanding = report.as_ref().is_none_or(|r| r.state() == ReportStatus::Returned);
    let (overdue, near_due) = match due {
        Some(d) if owes && outstanding => (today > d, today <= d && (d - today).num_days() <= NEAR_DUE_DAYS),
        _ => (false, false),
    };
    let late = match (&report, due) {
        (Some(r), Some(d)) => local_date(r.filed_at) > d,
        _ => false,
    };
    Obligation {
        unit,
        owes,
        report,
        urges,
        overdue,
        near_due,
        late,
    }
}

/// Every owing unit's standing for a period as of `today` (the period code,
/// or the default period when empty), and the county units' reports filed.
pub async fn overview(db: &Db, actor: &Actor, period_code: &str, today: NaiveDate) -> AppResult<Overview> {
    require(actor, Permission::ViewDashboard)?;
    let cal = crate::calendar::calendar(db).await?;
    let mut tx = db.read().await?;
    let plan = plan_of(&mut tx).await?;
    let p = if period_code.trim().is_empty() {
        default_period(&plan, today).ok_or(AppError::NotFound)?
    } else {
        period_or_error(&plan, period_code)?
    };
    let due = due_date(&cal, &p, plan.reporting.due_working_days);
    let units = all_units(&mut tx).await?;
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.period = ").arg(p.code.clone());
    let reports: Vec<ReportRow> = tx.all(q).await?;
    let mut by_unit: HashMap<i64, ReportRow> = reports.into_iter().map(|r| (r.unit_id, r)).collect();
    let urges = urges_of(&mut tx, None, Some(&p.code)).await?;
    let depts = owing_depts(&plan);
    let city = plan.meta.region.as_i64();
    let mut rows = Vec::new();
    for u in units {
        let owes = u.region_code == city && depts.contains(&u.dept);
        let report = by_unit.remove(&u.id);
        if !owes && report.is_none() {
            continue;
        }
        // A county unit's report is listed for those who may read it.
        if !owes
            && actor.unit_id != Some(u.id)
            && !DivisionCode::from_i64(u.region_code).is_ok_and(|c| actor.scope.covers_region(c))
        {
            continue;
        }
        let mine: Vec<UrgeRow> = urges.iter().filter(|x| x.unit_id == u.id).cloned().collect();
        rows.push(standing(u, owes, report, mine, due.as_ref().ok().copied(), today));
    }
    rows.sort_by_key(|r| (r.rank(), !r.owes));
    let closed = closed(&mut tx, &p.code).await?;
    Ok(Overview {
        periods: periods(&plan),
        period: p,
        due,
        closed,
        rows,
    })
}

/// One thing a unit owes, for its workbench.
#[derive(Clone, Debug)]
pub struct Owed {
    pub period: Period,
    pub due: Result<NaiveDate, String>,
    pub report: Option<ReportRow>,
    pub urges: Vec<UrgeRow>,
    pub overdue: bool,
    pub near_due: bool,
    pub closed: bool,
}

/// What the actor's unit owes as of `today`: each begun period whose report
/// is missing or was returned (closed periods left out), and the period in
/// course. Empty for an account without a unit or a unit that owes nothing.
pub async fn owed(db: &Db, actor: &Actor, today: NaiveDate) -> AppResult<Vec<Owed>> {
    let Some(unit_id) = actor.unit_id else {
        return Ok(Vec::new());
    };
    if !actor.can(Permission::FileReports) {
        return Ok(Vec::new());
    }
    let cal = crate::calendar::calendar(db).await?;
    let mut tx = db.read().await?;
    let Some(plan) = crate::plan::in_force::plan_in(&mut tx).await? else {
        return Ok(Vec::new());
    };
    let u = unit(&mut tx, unit_id).await?;
    let owes = u.region_code == plan.meta.region.as_i64() && owing_depts(&plan).contains(&u.dept);
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.unit_id = ").arg(unit_id);
    let reports: Vec<ReportRow> = tx.all(q).await?;
    let urges = urges_of(&mut tx, Some(unit_id), None).await?;
    let closed_periods: Vec<(String,)> = tx.all(Sql::new("SELECT period FROM report_periods")).await?;
    let mut out = Vec::new();
    for p in periods(&plan).into_iter().filter(|p| p.start <= today) {
        let report = reports.iter().find(|r| r.period == p.code).cloned();
        let returned = report.as_ref().is_some_and(|r| r.state() == ReportStatus::Returned);
        let is_closed = closed_periods.iter().any(|(c,)| *c == p.code);
        if is_closed || !(returned || (owes && report.is_none())) {
            continue;
        }
        let due = due_date(&cal, &p, plan.reporting.due_working_days);
        let mine = urges.iter().filter(|x| x.period == p.code).cloned().collect();
        let s = standing(u.clone(), true, report, mine, due.as_ref().ok().copied(), today);
        out.push(Owed {
            period: p,
            due,
            report: s.report,
            urges: s.urges,
            overdue: s.overdue,
            near_due: s.near_due,
            closed: is_closed,
        });
    }
    // The overdue first, then by period.
    out.sort_by_key(|o| (!o.overdue, o.period.start));
    Ok(out)
}

/// A unit's name (empty when there is no such unit).
pub async fn unit_name(db: &Db, unit_id: i64) -> AppResult<String> {
    let row: Option<(String,)> = db
        .read()
        .await?
        .opt(Sql::new("SELECT name FROM units WHERE id = $1").bind(unit_id))
        .await?;
    Ok(row.map(|(n,)| n).unwrap_or_default())
}

/// A unit's reports, newest period first (the actor's own unit, for its list).
pub async fn of_unit(db: &Db, actor: &Actor) -> AppResult<Vec<ReportRow>> {
    let Some(unit_id) = actor.unit_id else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.unit_id = ")
        .arg(unit_id)
        .push(" ORDER BY r.period_end DESC");
    db.read().await?.all(q).await
}

/// An accepted report, for the year-end evaluation to quote.
#[derive(Clone, Debug)]
pub struct ReportSummary {
    pub report_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub period: String,
    /// 2023年第三季度.
    pub period_label: String,
    pub period_end: NaiveDate,
    pub text: String,
    /// (target id, target name, region code, figure as shown with its unit)
    pub figures: Vec<(String, String, i64, String)>,
}

/// The city units' accepted reports whose period ends between `from` and
/// `to` (inclusive), by period then unit.
pub async fn summaries(db: &Db, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<ReportSummary>> {
    let mut tx = db.read().await?;
    let Some(plan) = crate::plan::in_force::plan_in(&mut tx).await? else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.status = ")
        .arg(ReportStatus::Accepted.code())
        .push(" AND r.period_end >= ")
        .arg(from)
        .push(" AND r.period_end <= ")
        .arg(to)
        // The city units' reports: everyone who sees the evaluation may read
        // them (a county unit's own report is for its county's eyes).
        .push(" AND u.region_code = ")
        .arg(plan.meta.region.as_i64())
        .push(" ORDER BY r.period_end, u.region_code, u.sort");
    let rows: Vec<ReportRow> = tx.all(q).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let figures = figures_of(&mut tx, r.id)
            .await?
            .into_iter()
            .map(|f| {
                let (name, unit) = plan
                    .target(&f.target)
                    .map(|t| (t.name.clone(), t.unit.clone()))
                    .unwrap_or_else(|| (f.target.clone(), String::new()));
                (f.target.clone(), name, f.region, format!("{}{unit}", f.figure()))
            })
            .collect();
        let label = period(&plan, &r.period).map_or_else(|| r.period.clone(), |p| p.label);
        out.push(ReportSummary {
            report_id: r.id,
            unit_code: r.unit_code,
            unit_name: r.unit_name,
            period: r.period,
            period_label: label,
            period_end: r.period_end,
            text: r.body,
            figures,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Demo data
// ---------------------------------------------------------------------------

/// What [`demo`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoReports {
    pub filed: usize,
    pub accepted: usize,
    pub returned: usize,
    pub urged: usize,
}

/// Files and reviews a plausible set of reports for the demo data, for the
/// periods begun by `now`: the earlier periods filed and accepted; in the
/// last period but one, 市公安局 and 市住房城乡建设局 (cooperating units of
/// measure (六)) have not filed, 市发展改革委's report is returned and
/// 市公安局 is marked 督办; in the last period some reports wait for review
/// and some are missing. Does nothing when reports exist already.
pub async fn demo(db: &Db, now: DateTime<Utc>) -> AppResult<DemoReports> {
    let mut done = DemoReports::default();
    let mut tx = db.write().await?;
    if tx.int(Sql::new("SELECT COUNT(*) FROM reports")).await? > 0 {
        return Ok(done);
    }
    let Some(plan) = crate::plan::in_force::plan_in(&mut tx).await? else {
        return Ok(done);
    };
    let today = local_date(now);
    let all: Vec<Period> = periods(&plan).into_iter().filter(|p| p.end < today).collect();
    let n = all.len();
    let units = all_units(&mut tx).await?;
    let counties = counties(&mut tx, &plan).await?;
    let city = plan.meta.region.as_i64();
    let depts = owing_depts(&plan);
    let office = "专班办公室（演示）";
    let who = Who::system(&Origin::cli());
    for (i, p) in all.iter().enumerate() {
        let share = (i + 1) as f64 / periods(&plan).len().max(1) as f64;
        for dept in &depts {
            let Some(u) = units.iter().find(|u| u.region_code == city && &u.dept == dept) else {
                continue;
            };
            let second_last = n >= 2 && i == n - 2;
            let last = i + 1 == n;
            if (second_last && (dept == "gaj" || dept == "zjj")) || (last && (dept == "ybj" || dept == "jyj")) {
                continue;
            }
            let measures = measures_of(&plan, dept);
            let body = format!(
                "{}本单位按照《{}》分工推进各项工作：{}。下一步将继续抓好落实，按时报送调度情况。",
                p.label,
                plan.meta.title,
                measures
                    .iter()
                    .map(|m| format!("{}（{}）", m.heading, m.role))
                    .collect::<Vec<_>>()
                    .join("；")
            );
            let notes: BTreeMap<String, String> = measures
                .iter()
                .take(2)
                .map(|m| (m.id.clone(), format!("{}已按计划推进。", m.heading)))
                .collect();
            let mut figures = Vec::new();
            for t in targets_for(&plan, dept, p.end) {
                let goal = t.value.map_or(10.0 * Figure::SCALE as f64, |v| v.0 as f64);
                let level = t.progress == shiminhua_core::plan::Progress::Level;
                let v = if level { goal * 1.02 } else { goal * share * 0.97 };
                let v = (v / Figure::SCALE as f64).round() as i64 * Figure::SCALE;
                figures.push((t.id.clone(), city, v));
                if !t.allocation.is_empty() {
                    for (code, _) in &counties {
                        let a = DivisionCode::from_i64(*code)
                            .ok()
                            .and_then(|c| t.allocation.get(&c))
                            .map_or(0.0, |f| f.0 as f64);
                        let cv = (a * share * 0.95 / Figure::SCALE as f64).round() as i64 * Figure::SCALE;
                        figures.push((t.id.clone(), *code, cv));
                    }
                }
            }
            let by = format!("{}（演示）", u.short_name);
            let filed_at = now.min(
                p.end
                    .and_hms_opt(2, 0, 0)
                    .map(|d| d.and_utc() + chrono::Duration::days(3))
                    .unwrap_or(now),
            );
            let c = Checked {
                body,
                notes,
                figures,
                files: Vec::new(),
            };
            let id = insert_report(&mut tx, u, p, c, filed_at, &by).await?;
            done.filed += 1;
            audit::record(
                &mut tx,
                now,
                &who,
                Event::ok("report.file", "report", id).detail(format!("unit={}; period={}; demo", u.code, p.code)),
            )
            .await?;
            let verdict = if last {
                None
            } else if second_last && dept == "fgw" {
                Some((false, "员工制家政骨干企业覆盖区县情况未分区县说明，请补充后重新报送。"))
            } else {
                Some((true, "同意采纳。"))
            };
            if let Some((accept, comment)) = verdict {
                let to = if accept {
                    ReportStatus::Accepted
                } else {
                    ReportStatus::Returned
                };
                let r = report(&mut tx, id).await?;
                tx.exec(
                    Sql::new(
                        "UPDATE reports SET status = $1, reviewed_at = $2, reviewed_by = $3, comment = $4, version = 2 WHERE id = $5",
                    )
                    .bind(to.code())
                    .bind(filed_at + chrono::Duration::days(2))
                    .bind(office)
                    .bind(comment)
                    .bind(id),
                )
                .await?;
                let figs: Vec<(String, i64, i64)> = figures_of(&mut tx, id)
                    .await?
                    .iter()
                    .map(|f| (f.target.clone(), f.region, f.value))
                    .collect();
                keep_version(
                    &mut tx,
                    id,
                    2,
                    if accept { "accept" } else { "return" },
                    to,
                    &r.body,
                    &r.notes,
                    &figures_json(&figs),
                    comment,
                    filed_at + chrono::Duration::days(2),
                    office,
                )
                .await?;
                if accept {
                    done.accepted += 1;
                } else {
                    done.returned += 1;
                }
            }
        }
        if n >= 2
            && i == n - 2
            && let Some(u) = units.iter().find(|u| u.region_code == city && u.dept == "gaj")
        {
            tx.exec(
                Sql::new(
                    "INSERT INTO report_urges (unit_id, period, note, urged_at, urged_by) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(u.id)
                .bind(p.code.clone())
                .bind(format!("{}调度报告已逾期，请于3个工作日内报送。", p.label))
                .bind(now)
                .bind(office),
            )
            .await?;
            done.urged += 1;
        }
    }
    tx.commit().await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_of_each_cycle() {
        let q = period_of(Cycle::Quarter, d("2023-08-15"));
        assert_eq!(
            (q.code.as_str(), q.start, q.end),
            ("2023Q3", d("2023-07-01"), d("2023-09-30"))
        );
        assert_eq!(q.label, "2023年第三季度");
        let m = period_of(Cycle::Month, d("2024-02-10"));
        assert_eq!(
            (m.code.as_str(), m.end, m.label.as_str()),
            ("2024-02", d("2024-02-29"), "2024年2月")
        );
        let h = period_of(Cycle::HalfYear, d("2023-07-01"));
        assert_eq!(
            (h.code.as_str(), h.start, h.label.as_str()),
            ("2023H2", d("2023-07-01"), "2023年下半年")
        );
        let y = period_of(Cycle::Year, d("2023-07-01"));
        assert_eq!((y.code.as_str(), y.end), ("2023", d("2023-12-31")));
        assert!(ends_cycle(Cycle::Year, d("2023-12-31")));
        assert!(!ends_cycle(Cycle::Year, d("2023-09-30")));
        assert!(ends_cycle(Cycle::Quarter, d("2023-09-30")));
    }

    #[test]
    fn due_dates_count_working_days_after_the_period() {
        let cal = Calendar::builtin();
        let q3 = period_of(Cycle::Quarter, d("2023-09-01"));
        // Sat 30 Sep; 1–6 Oct off (National Day and Mid-Autumn), Sat 7 and Sun 8 Oct worked.
        assert_eq!(due_date(&cal, &q3, 5), Ok(d("2023-10-11")));
        let q2 = period_of(Cycle::Quarter, d("2023-06-01"));
        assert_eq!(due_date(&cal, &q2, 5), Ok(d("2023-07-07")));
        let empty = Calendar::from_entries(Vec::new());
        let e = due_date(&empty, &q3, 5).unwrap_err();
        assert!(e.contains("2023年的节假日安排尚未载入"), "{e}");
    }

    #[test]
    fn figures_read_as_typed() {
        assert_eq!(parse_figure(""), Ok(None));
        assert_eq!(parse_figure("1,234"), Ok(Some(Figure(12_340_000))));
        assert_eq!(parse_figure("２.５"), Ok(Some(Figure(25_000))));
        assert_eq!(parse_figure("6.2%"), Ok(Some(Figure(62_000))));
        assert_eq!(parse_figure("-1.5"), Ok(Some(Figure(-15_000))));
        assert!(parse_figure("十个").unwrap_err().contains("不是数字"));
        assert!(parse_figure("1.23456").unwrap_err().contains("四位小数"));
    }

    #[test]
    fn attachments_are_checked_by_content_and_size() {
        assert_eq!(check_file("情况.pdf", b"%PDF-1.7 ..."), Ok("application/pdf"));
        assert_eq!(check_file("图.PNG", b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(
            check_file("a.docx", b"PK\x03\x04....word/document.xml"),
            Ok(FILE_TYPES[2].1)
        );
        let e = check_file("a.xlsx", b"PK\x03\x04....word/document.xml").unwrap_err();
        assert!(e.contains("与扩展名不符"), "{e}");
        let e = check_file("病毒.exe", b"MZ....").unwrap_err();
        assert!(e.contains("类型不能上传"), "{e}");
        let e = check_file("假.pdf", b"MZ....").unwrap_err();
        assert!(e.contains("不是PDF文件"), "{e}");
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_FILE + 1, b' ');
        let e = check_file("大.pdf", &big).unwrap_err();
        assert!(e.contains("超过10MB"), "{e}");
        assert_eq!(clean_name("C:\\docs\\情况\u{7}.pdf"), "情况.pdf");
    }
}
