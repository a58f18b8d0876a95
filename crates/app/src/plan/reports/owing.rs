//! Who owes what: the units that owe a report each period, their
//! measures and the targets whose figures they report.

use super::periods::ends_cycle;
use chrono::NaiveDate;
use shiminhua_core::plan::{Plan, Target};

/// The department codes that owe a report each period, in the order of
/// `data/units.csv`: the lead and cooperating units of every measure and
/// the reporters of reported targets.
pub fn owing_depts(plan: &Plan) -> Vec<String> {
    let mut named: Vec<&str> = Vec::new();
    for (_, m) in plan.measures() {
        named.extend(m.lead.iter().chain(&m.cooperating).map(String::as_str));
    }
    for t in &plan.targets {
        if let Some((reporter, _)) = t.measurement.reporter() {
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
        .filter(|t| match t.measurement.reporter() {
            // A counted target's unit reports too: its figure is the
            // cross-check shown beside the count.
            Some((reporter, cycle)) => {
                reporter == dept && ends_cycle(cycle.unwrap_or(plan.reporting.cycle), period_end)
            }
            None => false,
        })
        .collect()
}

/// Whether the city's figure of a reported target must be given: it has a
/// number to reach.
pub(super) fn figure_required(t: &Target) -> bool {
    t.value.is_some() || !t.allocation.is_empty()
}
