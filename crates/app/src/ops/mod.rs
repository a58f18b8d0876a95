//! Operations over the whole system: set-up and opening a data directory,
//! demo data, backup and restore, re-keying, and system statistics.
//!
//! May use: everything below it. Used by: nothing in this crate (the CLI and
//! the web server call it).

pub mod backup;
pub mod demo;
pub mod rekey;
pub mod setup;
pub mod stats;
