//! The report form and the checks of what a unit files: figures,
//! attachments (by content and size) and texts.

use super::owing::{MeasureRef, figure_required, targets_for};
use super::periods::{ReportPeriod, date_zh};
use super::{MAX_BODY, MAX_FILES, MAX_NOTE};
use crate::attachments::check_file;
use crate::error::{AppResult, FieldErrors};
use crate::units::UnitRow;
use chrono::NaiveDate;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::plan::{Figure, Plan};
use std::collections::{BTreeMap, HashMap};

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
    pub period: ReportPeriod,
    pub measures: Vec<MeasureRef>,
    pub figures: Vec<FigureField>,
}

/// The figure fields of `unit` for a period ending `end`: the city's (or the
/// county unit's own county's) figure of each target it reports, and for a
/// city unit one per county.
pub(super) fn figure_fields(
    plan: &Plan,
    unit: &UnitRow,
    counties: &[(i64, String)],
    end: NaiveDate,
) -> Vec<FigureField> {
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
pub(super) struct Checked {
    pub(super) body: String,
    pub(super) notes: BTreeMap<String, String>,
    /// (target, region, value)
    pub(super) figures: Vec<(String, i64, i64)>,
    pub(super) files: Vec<(String, &'static str, Vec<u8>)>,
}

pub(super) fn check_input(spec: &FormSpec, input: &ReportInput, kept_files: usize) -> AppResult<Checked> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("C:\\docs\\情况\u{7}.pdf"), "情况.pdf");
    }
}
