//! What an import did: its summary, the rows it rejected and the
//! workbook of those rows, and the options it runs with.

use super::check::Pending;
use super::read::{Cell, HeaderColumn};
use super::templates::{Column, ImportKind, Part, read_columns};
use super::{BATCH_ROWS, KEEP_REJECTED};
use crate::error::AppResult;
use crate::xlsx::{XCell, XlsxStream};
use std::path::Path;

/// Notes kept in full (for the preview).
pub const KEEP_NOTES: usize = 1_000;

/// A row that was not imported.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub line: u64,
    /// The headers of the columns at fault, joined with “、” ("" for the
    /// whole row).
    pub column: String,
    /// Every reason, joined with “；”.
    pub reason: String,
    /// Every error of the row: (column header or "", reason).
    pub errors: Vec<(String, String)>,
    /// The person of the row, masked ("" when the row names nobody).
    pub person: String,
    /// The cells as text, in the order of [`read_columns`].
    pub cells: Vec<String>,
    /// The cells as read (numbers, dates and text as typed).
    pub raw: Vec<Cell>,
}

/// Something the import changed in a row it took (a legacy ID number
/// converted, spaces removed from a name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub line: u64,
    /// The person of the row, masked.
    pub person: String,
    pub text: String,
}

/// What the import did with the records of a second kind in the same rows
/// (a worker roster's employment records).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
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
    /// The header row's columns and what each was read as.
    pub columns: Vec<HeaderColumn>,
    /// The first `KEEP_NOTES` notes on rows taken.
    pub notes: Vec<Note>,
    /// A worker roster's employment records (`None` when the file has no
    /// employment columns).
    pub employment: Option<Counts>,
}

/// How to run an import.
pub struct Options<'a> {
    pub dry_run: bool,
    pub batch_rows: usize,
    /// Called after each batch staged with (rows read so far, estimated total).
    pub progress: Option<&'a (dyn Fn(u64, Option<u64>) + Sync)>,
    /// Called after each step of the merge with (staged rows merged so far,
    /// staged rows in all).
    pub merging: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// Stops after this many batches (to test resuming after a crash).
    pub stop_after_batches: Option<usize>,
    /// Measurement only: read the file and insert its cells as they are into
    /// a scratch table, with no validation, encryption or deduplication (the
    /// baseline the importer's rate is compared with).
    pub raw: bool,
    /// Columns the user mapped: (the file's header, a field key, or "" to
    /// leave the column out). Added to the mapping remembered for the
    /// actor's unit and kind, and remembered with it once the import is done.
    pub mapping: Vec<(String, String)>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            dry_run: false,
            batch_rows: BATCH_ROWS,
            progress: None,
            merging: None,
            stop_after_batches: None,
            raw: false,
            mapping: Vec::new(),
        }
    }
}

/// Counts a row as rejected, with all its errors (column index, reason).
pub(super) fn reject(summary: &mut Summary, cols: &[Column], p: Pending, errors: Vec<(usize, String)>) {
    summary.rejected += 1;
    if summary.rejects.len() >= KEEP_REJECTED {
        return;
    }
    let errors: Vec<(String, String)> = errors
        .into_iter()
        .map(|(i, reason)| (cols.get(i).map(|c| c.header.to_string()).unwrap_or_default(), reason))
        .collect();
    let mut columns: Vec<&str> = Vec::new();
    for (c, _) in &errors {
        if !c.is_empty() && !columns.contains(&c.as_str()) {
            columns.push(c);
        }
    }
    let column = columns.join("、");
    let reason = errors.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>().join("；");
    summary.rejects.push(Rejected {
        line: p.line,
        column,
        reason,
        errors,
        person: p.person,
        cells: p.cells,
        raw: p.raw,
    });
}

/// One reason for a row.
pub(super) fn reject_one(summary: &mut Summary, cols: &[Column], p: Pending, column: usize, reason: String) {
    reject(summary, cols, p, vec![(column, reason)]);
}

/// Keeps the notes of a row taken.
pub(super) fn keep_notes(summary: &mut Summary, p: &mut Pending) {
    for text in p.notes.drain(..) {
        if summary.notes.len() < KEEP_NOTES {
            summary.notes.push(Note {
                line: p.line,
                person: p.person.clone(),
                text,
            });
        }
    }
}

/// The rejected rows as a workbook: the template's columns (and any other
/// column read that a rejected row fills), then the row number, the person,
/// the columns at fault and the reasons. Values are written as they were
/// read, as typed cells (text as text, never a formula; numbers as numbers;
/// dates as dates), so the workbook can be corrected and uploaded again.
pub fn rejected_workbook(target: ImportKind, rejects: &[Rejected], path: &Path) -> AppResult<u64> {
    let cols = read_columns(target);
    let shown: Vec<usize> = (0..cols.len())
        .filter(|i| {
            cols[*i].part == Part::Template
                || rejects.iter().any(|r| {
                    r.raw.get(*i).is_some_and(|c| *c != Cell::Empty) || r.cells.get(*i).is_some_and(|c| !c.is_empty())
                })
        })
        .collect();
    let mut headers: Vec<&str> = shown.iter().map(|i| cols[*i].header).collect();
    headers.extend(["原行号", "出错人员", "出错列", "错误原因"]);
    let mut widths: Vec<f64> = shown.iter().map(|i| if cols[*i].text { 22.0 } else { 16.0 }).collect();
    widths.extend([8.0, 10.0, 14.0, 50.0]);
    let mut out = XlsxStream::create(path, "未导入的行", &headers, &widths)?;
    for r in rejects {
        let line = r.line.to_string();
        let mut cells: Vec<XCell<'_>> = shown
            .iter()
            .map(|i| match r.raw.get(*i) {
                Some(Cell::Text(s) | Cell::Error(s)) => XCell::Typed(s),
                Some(Cell::Number(n)) => XCell::Number(*n),
                Some(Cell::Date(d)) => XCell::Date(*d),
                Some(Cell::Bool(b)) => XCell::Typed(if *b { "是" } else { "否" }),
                Some(Cell::Empty) => XCell::Empty,
                // Rows kept without the cells as read.
                None => r.cells.get(*i).map_or(XCell::Empty, |s| XCell::Typed(s)),
            })
            .collect();
        cells.extend([
            XCell::Text(&line),
            XCell::Text(&r.person),
            XCell::Text(&r.column),
            XCell::Text(&r.reason),
        ]);
        out.row(&cells)?;
    }
    out.finish()
}
