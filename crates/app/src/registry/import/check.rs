//! Checking rows before they are written: the checker (run on blocking
//! threads), the rows waiting for their batch and the cells they are read
//! from.

use super::read::{Cell, RawRow};
use super::templates::{Column, ImportKind};
use crate::Call;
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::registry::records::Context;
use crate::registry::workers::{self, ValidWorker, WorkerInput};
use crate::store::Arg;
use chrono::{DateTime, Utc};
use shiminhua_core::auth::Actor;
use shiminhua_core::record::{self};
use sm3::{Digest, Sm3};
use std::path::Path;
use std::sync::Arc;

pub(super) fn file_error(msg: impl Into<String>) -> AppError {
    AppError::field("file", msg)
}

pub(super) fn file_hash(path: &Path) -> AppResult<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| file_error(format!("无法读取文件：{e}")))?;
    let mut h = Sm3::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| file_error(format!("无法读取文件：{e}")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_vec())
}

/// The column of a text cell that Excel stored as a number and so lost
/// digits, with the reason.
fn lossy_column(cols: &[Column], row: &RawRow) -> Option<(usize, String)> {
    cols.iter().enumerate().find_map(|(i, c)| {
        (c.text && row.cells.get(i).is_some_and(Cell::is_lossy_number)).then(|| {
            (
                i,
                format!(
                    "{}被Excel存成了数字，超过15位的数字已丢失精度（后几位变成0），请将该列设为文本格式后重新填写",
                    c.header
                ),
            )
        })
    })
}

/// The text of a row's cell in the column with `key` ("" when absent).
pub(super) fn text<'a>(cols: &[Column], cells: &'a [String], key: &str) -> &'a str {
    cols.iter()
        .position(|c| c.key == key)
        .and_then(|i| cells.get(i))
        .map_or("", String::as_str)
}

/// The template's example row, which is skipped when still present.
fn is_example(cols: &[Column], cells: &[String]) -> bool {
    cols.iter()
        .enumerate()
        .all(|(i, c)| record::normalise(cells.get(i).map_or("", String::as_str)) == record::normalise(c.example))
}

/// A row waiting for its batch.
pub(super) struct Pending {
    pub(super) line: u64,
    /// The row's cells as text, in the template's column order.
    pub(super) cells: Vec<String>,
    pub(super) worker: Option<CheckedWorker>,
}

/// A valid worker row: the worker, the blind index of its ID number, and its
/// row for the workers table (sealed ahead, in case it is new).
pub(super) struct CheckedWorker {
    pub(super) valid: ValidWorker,
    pub(super) index: Vec<u8>,
    pub(super) insert: Vec<Arg>,
}

/// What checking one row gave.
pub(super) enum Checked {
    /// The template's example row, skipped.
    Example,
    Rejected {
        line: u64,
        column: usize,
        reason: String,
        cells: Vec<String>,
    },
    Valid(Pending),
}

/// What checking rows needs, owned, so that a batch can be checked on
/// blocking threads while the writer stores the one before.
pub(super) struct RowChecker {
    pub(super) target: ImportKind,
    pub(super) cols: Vec<Column>,
    pub(super) cipher: Cipher,
    pub(super) actor: Actor,
    pub(super) ctx: Arc<Context>,
    pub(super) now: DateTime<Utc>,
}

impl RowChecker {
    /// Checks a batch of rows, split over the machine's cores; the results
    /// keep the rows' order.
    pub(super) fn check_all(&self, rows: Vec<RawRow>) -> AppResult<Vec<Checked>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if threads == 1 || rows.len() < 512 {
            return rows.into_iter().map(|r| self.check(r)).collect();
        }
        let per = rows.len().div_ceil(threads);
        let mut parts = Vec::with_capacity(threads);
        let mut rest = rows;
        while rest.len() > per {
            let tail = rest.split_off(per);
            parts.push(rest);
            rest = tail;
        }
        parts.push(rest);
        std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|part| s.spawn(move || part.into_iter().map(|r| self.check(r)).collect::<AppResult<Vec<_>>>()))
                .collect();
            let mut out = Vec::new();
            for h in handles {
                out.extend(
                    h.join()
                        .map_err(|_| AppError::Internal("import check thread panicked".into()))??,
                );
            }
            Ok(out)
        })
    }

    /// Checks one row (a worker is validated and sealed here; a record is
    /// validated by the writer, which looks up its worker).
    fn check(&self, row: RawRow) -> AppResult<Checked> {
        let cols = &self.cols;
        let cells: Vec<String> = row.cells.iter().map(Cell::to_text).collect();
        if let Some((column, reason)) = lossy_column(cols, &row) {
            return Ok(Checked::Rejected {
                line: row.line,
                column,
                reason,
                cells,
            });
        }
        if is_example(cols, &cells) {
            return Ok(Checked::Example);
        }
        let mut p = Pending {
            line: row.line,
            cells,
            worker: None,
        };
        if self.target != ImportKind::Workers {
            return Ok(Checked::Valid(p));
        }
        let w = match workers::validate(&self.actor, &self.ctx.places, &worker_input(cols, &p.cells), true) {
            Ok(w) => w,
            Err(errs) => {
                let (field, reason) = errs.0.into_iter().next().unwrap_or_default();
                return Ok(Checked::Rejected {
                    line: p.line,
                    column: column_index(cols, &field),
                    reason,
                    cells: p.cells,
                });
            }
        };
        let Some(person) = w.id.as_ref() else {
            return Err(AppError::Internal("validated worker without an ID number".into()));
        };
        let index = self.cipher.blind_index("id_number", person.as_str());
        let (phone_sealed, phone_index, phone_masked) = workers::seal_phone(&self.cipher, w.phone.as_ref(), &index)?;
        let insert = vec![
            w.county.as_i64().into(),
            w.region.as_i64().into(),
            w.name.clone().into(),
            self.cipher
                .seal(&workers::worker_context("id", &index), person.as_str().as_bytes())?
                .into(),
            index.clone().into(),
            person.masked().into(),
            chrono::Datelike::year(&person.birth_date()).into(),
            person.sex().label_zh().into(),
            person.address_code().into(),
            phone_sealed.into(),
            phone_index.into(),
            phone_masked.into(),
            w.hukou_place.clone().into(),
            w.education.clone().into(),
            w.skills.clone().into(),
            w.tags.clone().into(),
            self.now.into(),
            self.now.into(),
        ];
        p.worker = Some(CheckedWorker {
            valid: w,
            index,
            insert,
        });
        Ok(Checked::Valid(p))
    }
}
/// One batch on its way from validation to the writer, with the validation
/// stage's counts so far (for the progress record).
pub(super) struct Batch {
    pub(super) rows: Vec<Pending>,
    pub(super) last_line: u64,
    pub(super) read_rows: u64,
    pub(super) stage_rows: u64,
    pub(super) stage_rejected: u64,
}

/// Whether the actor may write the target kind anywhere at all.
pub(super) fn target_in_scope(call: &Call<'_>, target: ImportKind) -> bool {
    target.in_scope(call.actor)
}

pub(super) fn column_index(cols: &[Column], key: &str) -> usize {
    cols.iter().position(|c| c.key == key).unwrap_or(usize::MAX)
}
fn worker_input(cols: &[Column], cells: &[String]) -> WorkerInput {
    let get = |k: &str| text(cols, cells, k).to_string();
    WorkerInput {
        name: get("name"),
        id_number: get("id_number"),
        phone: get("phone"),
        region: get("region"),
        hukou_place: get("hukou_place"),
        education: get("education"),
        skills: get("skills"),
        tags: get("tags"),
    }
}
