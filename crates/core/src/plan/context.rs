//! Errors and context.

use super::*;

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

    pub(super) fn unit_list(&self) -> String {
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
