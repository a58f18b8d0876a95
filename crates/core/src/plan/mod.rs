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
//!
//! The module is split along the file's sections: `allocation` (任务分解's figures and totals), `cases` (wage-arrears
//! cases as a source of computed targets), `model` (the plan's types),
//! `context` (errors and the known units and regions), `facilities`
//! (the arithmetic of targets counted from the facility registries), `raw` (the file as
//! written), `check` (parsing and checking); the names are re-exported here.

use crate::auth::RecordKind;
use crate::division::{DivisionCode, Level};
use crate::facility::FacilityKind;
use crate::record::{self, FieldType, INDUSTRIES, KINDS, KindSpec};
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

mod allocation;
mod cases;
mod check;
mod context;
mod facilities;
#[cfg(test)]
pub(crate) mod fixtures;
mod model;
mod raw;
#[cfg(test)]
mod tests;

pub use allocation::*;
pub use cases::*;
pub use check::parse;
pub use context::*;
pub use facilities::*;
pub use model::*;
