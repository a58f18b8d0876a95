//! The integration tests of `shiminhua-cli`, one binary: each module
//! was a test file of its own, and linking the application once instead of
//! once per file is most of a test build's time.

mod common;

mod browser;
mod browser_figures;
mod browser_imports;
mod browser_jobs;
mod browser_monitor;
mod browser_pages;
mod browser_rosters;
mod cli;
mod cli_rosters;
mod progress;
