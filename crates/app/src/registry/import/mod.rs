//! Importing spreadsheets (xlsx) and CSV files into the registry.
//!
//! A file is read as a stream of rows (`read`), each row is validated with
//! the same rules as the forms and sealed, and the valid rows are staged
//! (`stage`): one transaction per batch of rows, which also advances the
//! import's batch record (`import_batches`). The staged rows are then merged
//! into the registry as sets, in one transaction (`merge`). The import
//! page's preview stages and the commit merges what it staged, so that a
//! file is checked once; the command line does both in one run. A crash
//! while staging leaves whole batches, and running the same file again
//! resumes after the last one; a crash while merging leaves the staged rows
//! and nothing merged. Rows that fail are reported with their row, column
//! and reason, and can be downloaded as a workbook with an error column.

pub mod guard;
pub mod read;
mod read_error;

mod check;
pub mod mapping;
mod merge;
mod outcome;
mod run;
mod stage;
mod templates;
mod writers;

pub use outcome::{Counts, Note, Options, Rejected, Summary, rejected_workbook};
pub use run::{commit, discard_staged, run, sweep_staged};
pub use templates::{
    Column, ImportKind, PLATFORM_CASES, Part, SKIPPED_HEADERS, columns, field_named, kinds, read_columns, template,
};

/// The most data rows one file may hold.
pub const MAX_ROWS: u64 = 1_000_000;
/// Rows staged per transaction.
pub const BATCH_ROWS: usize = 5_000;
/// Rejected rows kept in full (for the preview and the rejected-rows workbook).
pub const KEEP_REJECTED: usize = 50_000;
/// The tables rows are staged in (migrations 0026, 0027).
const STAGE_TABLES: [&str; 4] = [
    "import_stage_workers",
    "import_stage_records",
    "import_stage_rows",
    "import_stage_payroll",
];
