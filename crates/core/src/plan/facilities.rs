//! The arithmetic of targets counted from the facility registries
//! (`[target.count]`): which facilities a count takes, where in time a
//! facility falls, and the figure of a region as of a day. The database
//! reads (`app::plan::facility_tally`) apply exactly these rules.

use super::*;
use crate::field::{FieldSpec, Value};
use crate::indicator::Span;
use crate::jobs::counts::ServiceRegister;
use crate::record::Values;

/// What a `[target.count]` counts: a facility registry (`facility = …`) or
/// a register of the public employment service (`service = …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CountSource {
    Facility(FacilityKind),
    Service(ServiceRegister),
}

impl CountSource {
    /// The code a plan file names it by.
    pub fn code(self) -> &'static str {
        match self {
            CountSource::Facility(k) => k.code(),
            CountSource::Service(r) => r.code(),
        }
    }

    /// Its name as users read it (工会驿站, 招聘活动, …).
    pub fn label_zh(self) -> &'static str {
        match self {
            CountSource::Facility(k) => k.label_zh(),
            CountSource::Service(r) => r.label_zh(),
        }
    }

    /// The fields a count may filter, sum or date by.
    pub fn spec(self) -> &'static dyn FieldSpec {
        match self {
            CountSource::Facility(k) => k.spec(),
            CountSource::Service(r) => r.spec(),
        }
    }
}

/// A facility as a count sees it: where it is and what its record says.
#[derive(Clone, Copy, Debug)]
pub struct FacilityFact<'a> {
    /// Its township or village.
    pub region: DivisionCode,
    /// The county it belongs to (what 区县覆盖 counts).
    pub county: DivisionCode,
    pub values: &'a Values,
}

impl FacilityCount {
    /// Whether a facility passes the count's filters, whenever it is dated.
    pub fn admits(&self, values: &Values) -> bool {
        self.filters.iter().all(|f| f.passes(values))
    }

    /// Whether a facility counts as of `span`: it passes the filters and,
    /// for a dated count, its date is in the window (an empty date never
    /// is: a station not yet opened is not yet built).
    pub fn counts(&self, values: &Values, span: Span) -> bool {
        if !self.admits(values) {
            return false;
        }
        match self.date {
            None => true,
            Some(key) => match values.get(key) {
                Some(Value::Date(d)) => self.window.contains(*d, span),
                _ => false,
            },
        }
    }

    /// What a counted facility adds: one, or the summed field (absent: 0).
    /// Counties are counted once each by [`FacilityCount::evaluate`].
    pub fn amount(&self, values: &Values) -> i64 {
        match self.aggregate {
            FacilityAggregate::Count | FacilityAggregate::Counties => 1,
            FacilityAggregate::Sum(key) => match values.get(key) {
                Some(Value::Count(n)) => *n,
                _ => 0,
            },
        }
    }

    /// The figure of `region` as of `span` over a set of facilities: the
    /// facilities (or the sum) of the region's subtree, or the number of
    /// distinct counties in it having at least one.
    pub fn evaluate(&self, facts: &[FacilityFact<'_>], region: DivisionCode, span: Span) -> i64 {
        let counted = facts
            .iter()
            .filter(|f| region.contains(f.region) && self.counts(f.values, span));
        match self.aggregate {
            FacilityAggregate::Counties => counted.map(|f| f.county).collect::<BTreeSet<_>>().len() as i64,
            _ => counted.map(|f| self.amount(f.values)).sum(),
        }
    }
}
