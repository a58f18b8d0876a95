//! The integration tests of `shiminhua-app`, one binary: each module
//! was a test file of its own, and linking the application once instead of
//! once per file is most of a test build's time.

mod common;

mod audit_chain;
mod audit_reads;
mod blacklist;
mod case_stats;
mod cases;
mod demo_monitor;
mod evaluation;
mod facilities;
mod facility_tally;
mod figures;
#[cfg(unix)]
mod file_modes;
mod id_exposure;
mod indicators;
mod job_figures;
mod jobs;
mod layering;
mod like_escaping;
mod monitor;
mod name_search;
mod plan_calendar;
mod records;
mod registry;
mod reports;
mod rosters;
mod store;
mod xlsx_bombs;
