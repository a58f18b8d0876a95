//! The file as written (serde, with spans for line numbers).

use super::*;

pub(super) type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) format: S<i64>,
    pub(super) plan: S<RawMeta>,
    pub(super) reporting: S<RawReporting>,
    pub(super) status: S<RawThresholds>,
    #[serde(default)]
    pub(super) target: Vec<S<RawTarget>>,
    #[serde(default)]
    pub(super) item: Vec<S<RawItem>>,
    pub(super) evaluation: Option<S<RawScoring>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScoring {
    pub(super) total: S<toml::Value>,
    pub(super) about_tolerance: Option<S<i64>>,
    pub(super) note: Option<String>,
    #[serde(default)]
    pub(super) score: Vec<S<RawWeight>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeight {
    pub(super) target: S<String>,
    pub(super) weight: S<toml::Value>,
    pub(super) counties: Option<S<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub(super) id: S<String>,
    pub(super) title: S<String>,
    pub(super) notice: Option<String>,
    pub(super) recipients: Option<String>,
    pub(super) notice_body: Option<String>,
    pub(super) issuer: S<String>,
    pub(super) issued: S<Datetime>,
    pub(super) disclosure: Option<String>,
    pub(super) basis: Option<String>,
    pub(super) region: S<String>,
    pub(super) start: S<Datetime>,
    pub(super) end: S<Datetime>,
    pub(super) office: S<String>,
    pub(super) preamble: Option<String>,
    pub(super) guiding_thought: Option<String>,
    pub(super) goal: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReporting {
    pub(super) cycle: S<String>,
    pub(super) due_working_days: S<i64>,
    pub(super) note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawThresholds {
    pub(super) lagging_below: S<i64>,
    pub(super) severe_below: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    pub(super) id: S<String>,
    pub(super) name: S<String>,
    pub(super) source: S<String>,
    pub(super) text: S<String>,
    pub(super) value: Option<S<toml::Value>>,
    pub(super) upper: Option<S<toml::Value>>,
    pub(super) unit: S<String>,
    pub(super) comparison: Option<S<String>>,
    pub(super) progress: Option<S<String>>,
    pub(super) compute: Option<S<RawQuery>>,
    pub(super) count: Option<S<RawCount>>,
    pub(super) reporter: Option<S<String>>,
    pub(super) cycle: Option<S<String>>,
    pub(super) allocation: Option<S<BTreeMap<String, S<toml::Value>>>>,
    pub(super) status: Option<S<RawThresholds>>,
    pub(super) note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuery {
    pub(super) aggregate: S<String>,
    pub(super) distinct: Option<S<String>>,
    pub(super) field: Option<S<String>>,
    #[serde(default)]
    pub(super) from: Vec<S<RawSource>>,
    pub(super) numerator: Option<Box<S<RawQuery>>>,
    pub(super) denominator: Option<Box<S<RawQuery>>>,
}

/// `[target.count]`: a count over a facility registry or a register of the
/// public employment service (one of `facility`, `service`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCount {
    pub(super) facility: Option<S<String>>,
    pub(super) service: Option<S<String>>,
    pub(super) aggregate: Option<S<String>>,
    pub(super) field: Option<S<String>>,
    pub(super) date: Option<S<String>>,
    pub(super) window: Option<S<String>>,
    #[serde(default)]
    pub(super) filters: Vec<S<RawFilter>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) kind: S<String>,
    pub(super) date: Option<S<String>>,
    pub(super) window: Option<S<String>>,
    #[serde(default)]
    pub(super) filters: Vec<S<RawFilter>>,
    pub(super) family: Option<S<bool>>,
    #[serde(default)]
    pub(super) family_when: Vec<S<RawFilter>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilter {
    pub(super) field: S<String>,
    pub(super) is: Option<S<toml::Value>>,
    pub(super) not: Option<S<toml::Value>>,
    pub(super) present: Option<S<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawItem {
    pub(super) no: S<i64>,
    pub(super) section: S<String>,
    pub(super) title: S<String>,
    #[serde(default)]
    pub(super) measure: Vec<S<RawMeasure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeasure {
    pub(super) id: S<String>,
    pub(super) text: S<String>,
    pub(super) responsibility: Option<S<String>>,
    #[serde(default)]
    pub(super) lead: Vec<S<String>>,
    #[serde(default)]
    pub(super) cooperating: Vec<S<String>>,
    #[serde(default)]
    pub(super) counties: bool,
    #[serde(default)]
    pub(super) others: Vec<String>,
    pub(super) due: Option<S<Datetime>>,
    #[serde(default)]
    pub(super) targets: Vec<S<String>>,
}
