//! The plan texts the core's tests read, each once: the shipped plan, its
//! units and divisions, and three targets over wage-arrears cases to append
//! to a plan (shared with the app's tests as a file).

use super::{Context, Plan, parse};

/// The shipped plan file.
pub(crate) const SHIPPED: &str = include_str!("../../../../data/plans/huangshan-2023.toml");
/// The known units.
pub(crate) const UNITS: &str = include_str!("../../../../data/units.csv");
/// The city's divisions.
pub(crate) const DIVISIONS: &str = include_str!("../../../../data/huangshan_divisions.csv");
/// Three targets over wage-arrears cases, to append to a plan file.
pub(crate) const CASE_TARGETS: &str = include_str!("../../tests/fixtures/case-targets.toml");

/// The context of the shipped units and divisions.
pub(crate) fn context() -> Context {
    Context::from_csv(UNITS, DIVISIONS)
}

/// The shipped plan, parsed.
pub(crate) fn shipped() -> Plan {
    match parse(SHIPPED, &context()) {
        Ok(p) => p,
        Err(errs) => panic!("{}", errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")),
    }
}
