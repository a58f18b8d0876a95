//! 调度: the member units' progress reports on the plan's measures, period
//! by period, with the figures of the reported targets; the office's review
//! (采纳 / 退回), its 督办 marks on overdue reports, and closing a period.
//!
//! Periods follow the plan's `[reporting]` cycle over the plan period
//! (quarters: 2023Q1…2023Q4); a report is due `due_working_days` working days
//! after its period ends, counted on the stored holiday calendar. Every city
//! unit the plan names — as lead or cooperating unit of a measure, or as the
//! reporter of a reported target — owes one report per period. County units
//! owe nothing but may file for their county. See `docs/reports.md`.

mod demo_data;
mod filing;
mod input;
mod owing;
mod periods;
mod reading;
mod review;
mod rows;

pub use demo_data::{DemoReports, demo};
pub use filing::{file, for_edit, form_spec, revise};
pub use input::{FigureField, FormSpec, ReportInput, Upload, parse_figure};
pub use owing::{MeasureRef, measures_of, owing_depts, targets_for};
pub use periods::{ReportPeriod, date_zh, default_period, due_date, ends_cycle, period, period_of, periods};
pub use reading::{
    Obligation, Overview, Owed, ReportSummary, ReportView, attachment, get, of_unit, overview, owed, summaries,
    unit_name,
};
pub use review::{close_period, review, urge};
pub use rows::{Closed, FigureRow, ReportRow, UrgeRow, VersionRow};

/// Attachments one report may carry.
pub const MAX_FILES: usize = 10;
/// The longest 工作进展 text, in characters.
pub const MAX_BODY: usize = 20_000;
/// The longest note on one measure, in characters.
pub const MAX_NOTE: usize = 2_000;
/// The longest review comment or 督办 note, in characters.
pub const MAX_COMMENT: usize = 500;
/// A report still missing this many days or fewer before its due date is
/// shown as near due (amber).
pub const NEAR_DUE_DAYS: i64 = 3;
