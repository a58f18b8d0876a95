//! What an import did: its summary, the rows it rejected and the
//! workbook of those rows, and the options it runs with.

use super::templates::{Column, ImportKind, columns};
use super::{BATCH_ROWS, KEEP_REJECTED};
use crate::error::AppResult;
use crate::xlsx::{XCell, XlsxStream};
use std::path::Path;

/// A row that was not imported.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub line: u64,
    /// The header of the column at fault ("" for the whole row).
    pub column: String,
    pub reason: String,
    pub cells: Vec<String>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub batch_id: Option<i64>,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The first `KEEP_REJECTED` rejected rows.
    pub rejects: Vec<Rejected>,
    /// Rows skipped because an earlier run already committed them.
    pub resumed: u64,
    pub dry_run: bool,
}

/// How to run an import.
pub struct Options<'a> {
    pub dry_run: bool,
    pub batch_rows: usize,
    /// Called after each batch with (rows read so far, estimated total).
    pub progress: Option<&'a (dyn Fn(u64, Option<u64>) + Sync)>,
    /// Stops after this many batches (to test resuming after a crash).
    pub stop_after_batches: Option<usize>,
    /// Measurement only: read the file and insert its cells as they are into
    /// a scratch table, with no validation, encryption or deduplication (the
    /// baseline the importer's rate is compared with).
    pub raw: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            dry_run: false,
            batch_rows: BATCH_ROWS,
            progress: None,
            stop_after_batches: None,
            raw: false,
        }
    }
}

pub(super) fn reject(
    summary: &mut Summary,
    cols: &[Column],
    line: u64,
    column: usize,
    reason: String,
    cells: Vec<String>,
) {
    summary.rejected += 1;
    if summary.rejects.len() < KEEP_REJECTED {
        summary.rejects.push(Rejected {
            line,
            column: cols.get(column).map(|c| c.header.to_string()).unwrap_or_default(),
            reason,
            cells,
        });
    }
}

/// The rejected rows as a workbook: the template's columns, then the row
/// number, the column at fault and the reason.
pub fn rejected_workbook(target: ImportKind, rejects: &[Rejected], path: &Path) -> AppResult<u64> {
    let cols = columns(target);
    let mut headers: Vec<&str> = cols.iter().map(|c| c.header).collect();
    headers.extend(["原行号", "出错列", "错误原因"]);
    let mut widths: Vec<f64> = cols.iter().map(|c| if c.text { 22.0 } else { 16.0 }).collect();
    widths.extend([8.0, 14.0, 50.0]);
    let mut out = XlsxStream::create(path, "未导入的行", &headers, &widths)?;
    for r in rejects {
        let line = r.line.to_string();
        let mut cells: Vec<XCell<'_>> = r.cells.iter().map(|c| XCell::Text(c)).collect();
        cells.resize(cols.len(), XCell::Empty);
        cells.extend([XCell::Text(&line), XCell::Text(&r.column), XCell::Text(&r.reason)]);
        out.row(&cells)?;
    }
    out.finish()
}
