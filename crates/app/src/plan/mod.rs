//! The plan (目标、举措与督办): the plan document and its versions, the
//! indicator engine that keeps the computed targets current, the progress
//! reports of the responsible units, and the year-end evaluation.
//!
//! May use: the floor only. The writers of other groups reach the indicator
//! engine through [`feed`], which imports none of them. Used by: `rights`,
//! `registry`, `ops`.

pub mod case_tally;
pub mod document;
pub mod drill;
pub mod evaluation;
pub mod facility_tally;
pub mod feed;
pub mod in_force;
pub mod indicators;
pub(crate) mod memo;
pub mod reports;
pub mod service_tally;
