//! The integration tests of `shiminhua-web`, one binary: each module
//! was a test file of its own, and linking the application once instead of
//! once per file is most of a test build's time.

mod common;

mod api;
mod audit_reads;
mod blacklist;
mod case_stats;
mod cases;
mod evaluation;
mod facility_figures;
mod figures;
mod grants;
mod http;
mod id_exposure;
mod jobs;
mod monitor;
mod pages;
mod plan_admin;
mod public_cases;
mod rosters;
mod signin;
mod totp_qr;
mod uploads;
