//! Importing spreadsheets (xlsx) and CSV files into the registry.
//!
//! A file is read as a stream of rows (`read`), each row is validated with
//! the same rules as the forms, and valid rows are written in batches: one
//! transaction per batch, which also advances the batch record
//! (`import_batches`). A crash mid-import therefore leaves whole batches
//! only, and running the same file again resumes after the last one. Rows
//! that fail are reported with their row, column and reason, and can be
//! downloaded as a workbook with an error column.

pub mod guard;
pub mod read;
mod read_error;

mod check;
pub mod mapping;
mod outcome;
mod run;
mod templates;
mod writers;

pub use outcome::{Counts, Note, Options, Rejected, Summary, rejected_workbook};
pub use run::run;
pub use templates::{
    Column, ImportKind, PLATFORM_CASES, Part, SKIPPED_HEADERS, columns, field_named, kinds, read_columns, template,
};

/// The most data rows one file may hold.
pub const MAX_ROWS: u64 = 1_000_000;
/// Rows written per transaction.
pub const BATCH_ROWS: usize = 5_000;
/// Rejected rows kept in full (for the preview and the rejected-rows workbook).
pub const KEEP_REJECTED: usize = 50_000;
