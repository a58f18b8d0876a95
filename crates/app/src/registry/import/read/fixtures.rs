//! Files and helpers shared by the tests of the readers.

pub(super) use super::{Cell, RawRow, ReadError, Reader, open};
pub(super) use crate::testing::TempDir;
pub(super) use rust_xlsxwriter::{Format as XFormat, Workbook, Worksheet, XlsxError as WError};
pub(super) use std::path::{Path, PathBuf};

pub(super) const TEMPLATE: [&str; 4] = ["姓名", "身份证号", "月收入（元）", "备注"];
pub(super) const REQUIRED: [bool; 4] = [true, true, false, false];

pub(super) fn file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.0.join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

pub(super) fn xlsx(dir: &TempDir, name: &str, fill: impl FnOnce(&mut Worksheet) -> Result<(), WError>) -> PathBuf {
    let p = dir.0.join(name);
    let mut wb = Workbook::new();
    fill(wb.add_worksheet()).expect("fill worksheet");
    wb.save(&p).expect("save xlsx");
    p
}

pub(super) fn rows(reader: Reader) -> Vec<RawRow> {
    reader.map(|r| r.expect("row")).collect()
}

pub(super) fn texts(row: &RawRow) -> Vec<String> {
    row.cells.iter().map(Cell::to_text).collect()
}

pub(super) fn open_err(path: &Path) -> ReadError {
    open(path, &TEMPLATE, &REQUIRED).expect_err("should fail")
}

pub(super) fn t(s: &str) -> Cell {
    Cell::Text(s.into())
}
