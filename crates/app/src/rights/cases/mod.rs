//! Wage-arrears cases (欠薪线索/案件): registration, the workflow of
//! `shiminhua_core::case` over the database, lists with deadlines.
//!
//! Scope: a case is visible and workable to a user whose scope holds the
//! `WageCase` kind in the case's region (the township where the arrears
//! arose); who may take which step is the core's transition table.
//!
//! Every step is one transaction: the case row is updated only if it is
//! still at the version the officer saw (`UPDATE … WHERE version = $n`), an
//! event is appended to `case_events` and an audit record written. A stale
//! version is a conflict and writes nothing, so of two officers acting on
//! one case at once exactly one succeeds.
//!
//! The reporter's name, phone and ID number are sealed, bound to the case
//! number; the tables keep masked copies and blind indexes (of the same
//! kinds as the workers', so a person's cases can be found by ID number or
//! phone). The query code given to the reporter is kept as an HMAC only.

mod actions;
mod deadlines;
mod files;
mod lists;
mod registration;
mod rows;
mod settings;

pub use actions::act;
pub(crate) use actions::act_in;
pub use deadlines::deadline_calendar;
pub(crate) use deadlines::{StepRules, recompute_provisional};
pub use files::{MAX_FILES, add_file, file, files};
pub use lists::{CaseFilter, DueCounts, Township, due_counts, list, townships};
pub use registration::{
    CODE_SHOWN_FOR, Filed, Once, PUBLIC_WRITER, PublicView, Registered, check_public, find_by_query_code,
    form_token_ok, public_view, register, register_once, register_public, register_public_once, submitted,
};
pub(crate) use registration::{Writer, import_platform, query_code, register_in, store_new, wrap_code};
pub use rows::{CaseEvent, CaseRow, get};
pub use settings::{CONCLUSIONS_KEY, PLATFORM_DAYS_KEY, conclusions, limits, set_conclusions, set_platform_days};
