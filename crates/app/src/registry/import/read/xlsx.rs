//! Xlsx: the first worksheet read with calamine's streaming cell reader
//! on a worker thread, rows sent back in batches.

use super::ReadError;
use super::header::{Source, find_header, place, wanted};
use super::{BATCH, CHANNEL_BATCHES, CHUNK, Cell, EPOCH_1904_OFFSET, Format, Inner, RawRow, Reader};
use crate::registry::import::guard::{self, Depth};
use calamine::Reader as _;
use calamine::{DataRef, Dimensions, SheetType, SheetVisible, Xlsx, XlsxCellReader, XlsxError};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

// Xlsx

type Book = Xlsx<BufReader<File>>;

pub(super) fn open_book(path: &Path) -> Result<Book, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(None, &e))?;
    calamine::open_workbook_from_rs(BufReader::with_capacity(CHUNK, file)).map_err(open_error)
}

fn open_error(e: XlsxError) -> ReadError {
    match e {
        XlsxError::Password => ReadError::Encrypted,
        XlsxError::Io(e) => ReadError::io(None, &e),
        _ => ReadError::Unrecognized,
    }
}

/// The first visible worksheet, else the first worksheet.
pub(super) fn first_worksheet<RS: Read + Seek>(book: &Xlsx<RS>) -> Option<String> {
    let sheets = book.sheets_metadata();
    let is_worksheet = |s: &&calamine::Sheet| s.typ == SheetType::WorkSheet;
    sheets
        .iter()
        .filter(is_worksheet)
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| sheets.iter().find(is_worksheet))
        .map(|s| s.name.clone())
}

pub(super) fn xlsx_estimate(path: &Path) -> Result<Option<u64>, ReadError> {
    let mut book = open_book(path)?;
    let name = first_worksheet(&book).ok_or(ReadError::Empty)?;
    let cells = book.worksheet_cells_reader(&name).map_err(open_error)?;
    let d = cells.dimensions();
    // No element, or the "A1" some writers put there whatever the sheet holds.
    if d.start == d.end || d.end.0 < d.start.0 {
        return Ok(None);
    }
    Ok(Some(u64::from(d.end.0 - d.start.0)))
}

/// Serial day number (1900 date system) of an ISO 8601 date, date-time or time.
fn iso_serial(s: &str) -> Option<f64> {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let days = |d: NaiveDate| (d - epoch).num_days() as f64;
    let frac = |t: NaiveTime| (f64::from(t.num_seconds_from_midnight()) + f64::from(t.nanosecond()) / 1e9) / 86_400.0;
    let s = s.trim();
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(days(dt.date()) + frac(dt.time()));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(days(d));
    }
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f").ok().map(frac)
}

fn text_cell(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

fn convert(value: &DataRef<'_>, date_offset: f64) -> Cell {
    match value {
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) | DataRef::DurationIso(s) => text_cell(s),
        DataRef::SharedString(s) => text_cell(s),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) if d.is_datetime() => Cell::Date(d.as_f64() + date_offset),
        DataRef::DateTime(d) => Cell::Date(d.as_f64()),
        DataRef::DateTimeIso(s) => iso_serial(s).map_or_else(|| text_cell(s), Cell::Date),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

/// Rows of a worksheet from calamine's cell stream (cells come row by row; rows may be sparse).
struct XlsxSource<'a, RS: Read + Seek> {
    cells: XlsxCellReader<'a, RS>,
    /// The first cell of the next row, read while looking for the end of the current one
    /// (`None` as value: a column not wanted).
    pending: Option<(u32, u32, Option<Cell>)>,
    date_offset: f64,
    /// 1-based number of the last row a cell was read from.
    last_row: u64,
    finished: bool,
    /// Merged ranges over more than one row, with the value of their first
    /// cell once read: the rows below show that value in every cell of the
    /// range, as the sheet shows it (a township merged over its people).
    merged: Vec<(Dimensions, Option<Cell>)>,
}

/// Sheets with more rows than this are read without filling merged cells
/// (finding the ranges takes a second pass over the sheet).
const FILL_MERGED_ROWS: u32 = 200_000;

impl<RS: Read + Seek> Source for XlsxSource<'_, RS> {
    fn next_row(
        &mut self,
        map: Option<&[Option<usize>]>,
        out: &mut Vec<(u32, Cell)>,
    ) -> Result<Option<u64>, ReadError> {
        let start = out.len();
        let line = self.next_sheet_row(map, out)?;
        if let Some(line) = line
            && !self.merged.is_empty()
        {
            let row = u32::try_from(line - 1).unwrap_or(u32::MAX);
            let mut added = false;
            for (range, value) in &mut self.merged {
                if row < range.start.0 || row > range.end.0 {
                    continue;
                }
                let own = out.get(start..).unwrap_or_default();
                if row == range.start.0 {
                    *value = own.iter().find(|(c, _)| *c == range.start.1).map(|(_, v)| v.clone());
                }
                let Some(v) = value.as_ref() else { continue };
                for col in range.start.1..=range.end.1 {
                    let own = out.get(start..).unwrap_or_default();
                    if wanted(map, col) && !own.iter().any(|(c, _)| *c == col) {
                        out.push((col, v.clone()));
                        added = true;
                    }
                }
            }
            if added && let Some(own) = out.get_mut(start..) {
                own.sort_by_key(|(c, _)| *c);
            }
        }
        Ok(line)
    }
}

impl<RS: Read + Seek> XlsxSource<'_, RS> {
    fn next_sheet_row(
        &mut self,
        map: Option<&[Option<usize>]>,
        out: &mut Vec<(u32, Cell)>,
    ) -> Result<Option<u64>, ReadError> {
        let mut current: Option<u32> = None;
        if let Some((row, col, value)) = self.pending.take() {
            current = Some(row);
            self.last_row = u64::from(row) + 1;
            if let Some(value) = value
                && wanted(map, col)
                && value != Cell::Empty
            {
                out.push((col, value));
            }
        }
        if self.finished {
            return Ok(current.map(|r| u64::from(r) + 1));
        }
        loop {
            let cell = match self.cells.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => {
                    self.finished = true;
                    return Ok(current.map(|r| u64::from(r) + 1));
                }
                Err(e) => {
                    self.finished = true;
                    return Err(ReadError::Corrupt {
                        line: current.map_or(self.last_row + 1, |r| u64::from(r) + 1),
                        detail: e.to_string(),
                    });
                }
            };
            let (row, col) = cell.get_position();
            // A cell placed in a row above the one being read (a damaged or hand-made sheet)
            // would hand the same row out twice, in pieces and out of order: refuse it.
            if u64::from(row) + 1 < self.last_row {
                self.finished = true;
                return Err(ReadError::Corrupt {
                    line: self.last_row,
                    detail: format!(
                        "单元格位于第 {} 行，却出现在第 {} 行之后",
                        u64::from(row) + 1,
                        self.last_row
                    ),
                });
            }
            let value = wanted(map, col).then(|| convert(cell.get_value(), self.date_offset));
            if let Some(Cell::Text(s) | Cell::Error(s)) = &value
                && s.len() > guard::MAX_CELL_CHARS
                && s.chars().count() > guard::MAX_CELL_CHARS
            {
                self.finished = true;
                let line = u64::from(row) + 1;
                return Err(ReadError::CellTooLarge {
                    line: Some(line),
                    at: format!("第 {line} 行 {} 列", guard::column_letters(col)),
                });
            }
            match current {
                Some(cur) if cur != row => {
                    self.pending = Some((row, col, value));
                    return Ok(Some(u64::from(cur) + 1));
                }
                Some(_) => {}
                None => current = Some(row),
            }
            self.last_row = u64::from(row) + 1;
            if let Some(value) = value
                && value != Cell::Empty
            {
                out.push((col, value));
            }
        }
    }
}

enum Msg {
    Header {
        line: u64,
        missing: Vec<String>,
        map: Vec<Option<usize>>,
        columns: Vec<super::HeaderColumn>,
    },
    Rows(Batch),
    Failed(ReadError),
    End,
}

/// Rows from the worker, flat: the worker allocates nothing per row, the consumer builds the rows.
struct Batch {
    /// Each row's number and how many of `cells` are its.
    rows: Vec<(u64, usize)>,
    cells: Vec<(u32, Cell)>,
}

impl Batch {
    fn with_capacity(width: usize) -> Batch {
        Batch {
            rows: Vec::with_capacity(BATCH),
            cells: Vec::with_capacity(BATCH * width),
        }
    }
}

/// The consumer's end of the xlsx worker thread.
pub(super) struct XlsxStream {
    rx: Option<Receiver<Msg>>,
    handle: Option<JoinHandle<()>>,
    map: Vec<Option<usize>>,
    width: usize,
    rows: std::vec::IntoIter<(u64, usize)>,
    cells: std::vec::IntoIter<(u32, Cell)>,
    last_line: u64,
}

impl XlsxStream {
    pub(super) fn next_row(&mut self) -> Option<Result<RawRow, ReadError>> {
        loop {
            if let Some((line, n)) = self.rows.next() {
                self.last_line = line;
                return Some(Ok(place(line, self.cells.by_ref().take(n), &self.map, self.width)));
            }
            match self.rx.as_ref()?.recv() {
                Ok(Msg::Rows(batch)) => {
                    self.rows = batch.rows.into_iter();
                    self.cells = batch.cells.into_iter();
                }
                Ok(Msg::Header { .. }) => {}
                Ok(Msg::Failed(e)) => return Some(Err(e)),
                Ok(Msg::End) => return None,
                // The worker stopped without saying why (a panic in the xlsx library).
                Err(_) => {
                    return Some(Err(ReadError::Corrupt {
                        line: self.last_line + 1,
                        detail: "xlsx reader thread stopped".into(),
                    }));
                }
            }
        }
    }
}

impl Drop for XlsxStream {
    fn drop(&mut self) {
        // A worker blocked on sending notices the closed channel and returns.
        self.rx = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

pub(super) fn open_xlsx(path: &Path, layout: super::Layout) -> Result<Reader, ReadError> {
    let (tx, rx) = sync_channel(CHANNEL_BATCHES);
    let width = layout.names.len();
    let path = path.to_path_buf();
    let handle = std::thread::Builder::new()
        .name("import-xlsx".into())
        .spawn(move || {
            if let Err(e) = xlsx_worker(&path, &layout, &tx) {
                let _ = tx.send(Msg::Failed(e));
            }
        })
        .map_err(|e| ReadError::io(None, &e))?;
    let first = rx.recv();
    let mut stream = XlsxStream {
        rx: Some(rx),
        handle: Some(handle),
        map: Vec::new(),
        width,
        rows: Vec::new().into_iter(),
        cells: Vec::new().into_iter(),
        last_line: 0,
    };
    match first {
        Ok(Msg::Header {
            line,
            missing,
            map,
            columns,
        }) => {
            stream.last_line = line;
            stream.map = map;
            Ok(Reader {
                format: Format::Xlsx,
                header_line: line,
                missing,
                columns,
                inner: Inner::Xlsx(stream),
            })
        }
        Ok(Msg::Failed(e)) => Err(e),
        // A panic while opening: a workbook the library cannot make sense of.
        Ok(Msg::Rows(_) | Msg::End) | Err(_) => Err(ReadError::Unrecognized),
    }
}

fn xlsx_worker(path: &Path, layout: &super::Layout, tx: &SyncSender<Msg>) -> Result<(), ReadError> {
    guard::check(path, Depth::Full)?;
    let mut book = open_book(path)?;
    let name = first_worksheet(&book).ok_or(ReadError::Empty)?;
    let date_offset = if book.has_1904_epoch() { EPOCH_1904_OFFSET } else { 0.0 };
    let rows = book
        .worksheet_cells_reader(&name)
        .map_err(open_error)?
        .dimensions()
        .end
        .0;
    let merged = if rows <= FILL_MERGED_ROWS {
        book.merge_cells_by_sheet_name(&name)
            .map_err(open_error)?
            .into_iter()
            .filter(|d| d.end.0 > d.start.0 && d.end.1 >= d.start.1 && d.end.1 - d.start.1 < 64)
            .map(|d| (d, None))
            .collect()
    } else {
        Vec::new()
    };
    let cells = book.worksheet_cells_reader(&name).map_err(open_error)?;
    let mut src = XlsxSource {
        cells,
        pending: None,
        date_offset,
        last_row: 0,
        finished: false,
        merged,
    };
    let header = find_header(&mut src, layout)?;
    let map = header.map;
    if tx
        .send(Msg::Header {
            line: header.line,
            missing: header.missing,
            map: map.clone(),
            columns: header.columns,
        })
        .is_err()
    {
        return Ok(());
    }
    let width = layout.names.len();
    let mut batch = Batch::with_capacity(width);
    loop {
        let start = batch.cells.len();
        match src.next_row(Some(&map), &mut batch.cells) {
            Ok(Some(line)) => {
                if batch
                    .cells
                    .get(start..)
                    .unwrap_or_default()
                    .iter()
                    .all(|(_, c)| c.is_blank())
                {
                    batch.cells.truncate(start);
                    continue;
                }
                batch.rows.push((line, batch.cells.len() - start));
                if batch.rows.len() >= BATCH
                    && tx
                        .send(Msg::Rows(std::mem::replace(&mut batch, Batch::with_capacity(width))))
                        .is_err()
                {
                    return Ok(());
                }
            }
            Ok(None) => break,
            Err(e) => {
                batch.cells.truncate(start);
                if !batch.rows.is_empty() && tx.send(Msg::Rows(batch)).is_err() {
                    return Ok(());
                }
                return Err(e);
            }
        }
    }
    if !batch.rows.is_empty() && tx.send(Msg::Rows(batch)).is_err() {
        return Ok(());
    }
    let _ = tx.send(Msg::End);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;
    use super::*;

    #[test]
    fn calamine_values_convert() {
        use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};
        assert_eq!(convert(&DataRef::Int(7), 0.0), Cell::Number(7.0));
        assert_eq!(convert(&DataRef::SharedString("张三"), 0.0), t("张三"));
        assert_eq!(convert(&DataRef::String(String::new()), 0.0), Cell::Empty);
        assert_eq!(
            convert(&DataRef::Error(CellErrorType::NA), 0.0),
            Cell::Error("#N/A".into())
        );
        let dt = ExcelDateTime::new(100.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(convert(&DataRef::DateTime(dt), EPOCH_1904_OFFSET), Cell::Date(1562.0));
        assert_eq!(
            convert(&DataRef::DateTimeIso("2023-03-01".into()), 0.0),
            Cell::Date(44986.0)
        );
        assert_eq!(
            convert(&DataRef::DateTimeIso("2023-03-01T12:00:00".into()), 0.0),
            Cell::Date(44986.5)
        );
        assert_eq!(convert(&DataRef::DateTimeIso("later".into()), 0.0), t("later"));
    }

    #[test]
    fn merged_cells_read_as_the_sheet_shows_them() {
        let dir = TempDir::new("read");
        let plain = XFormat::new();
        let p = xlsx(&dir, "merged.xlsx", |ws| {
            ws.merge_range(0, 0, 0, 3, "某镇花名册", &plain)?;
            ws.write_string(1, 0, "姓名")?;
            ws.write_string(1, 1, "身份证号")?;
            ws.write_string(1, 2, "备注")?;
            for (r, name) in ["张三", "李四", "王五", "赵六"].iter().enumerate() {
                ws.write_string(2 + r as u32, 0, *name)?;
                ws.write_string(2 + r as u32, 1, format!("34{r}"))?;
            }
            // One remark over the first three people; the fourth has none.
            ws.merge_range(2, 2, 4, 2, "同一工地", &plain)?;
            Ok(())
        });
        let got = rows(open(&p, &TEMPLATE, &REQUIRED).expect("open"));
        let remarks: Vec<(u64, String)> = got.iter().map(|r| (r.line, r.cells[3].to_text())).collect();
        assert_eq!(
            remarks,
            [
                (3, "同一工地".to_string()),
                (4, "同一工地".to_string()),
                (5, "同一工地".to_string()),
                (6, String::new())
            ]
        );
    }

    #[test]
    fn xlsx_title_row_reordered_and_unknown_columns() {
        let dir = TempDir::new("read");
        let p = xlsx(&dir, "a.xlsx", |ws| {
            ws.write_string(0, 0, "2024年人员信息登记表")?;
            ws.write_string(2, 0, "＊身份证号")?;
            ws.write_string(2, 1, "内部编号")?;
            ws.write_string(2, 2, "姓 名")?;
            ws.write_string(2, 3, "月收入(元)")?;
            ws.write_string(3, 0, "110101199001011234")?;
            ws.write_string(3, 1, "X-1")?;
            ws.write_string(3, 2, "张三")?;
            ws.write_number(3, 3, 3500.0)?;
            ws.write_string(4, 0, "110101199001015678")?;
            ws.write_string(4, 2, " 李四 ")?;
            ws.write_number(4, 3, 3500.5)?;
            Ok(())
        });
        let r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        assert_eq!(r.format(), Format::Xlsx);
        assert_eq!(r.header_line(), 3);
        assert_eq!(r.missing(), ["备注".to_string()]);
        let got = rows(r);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].line, 4);
        assert_eq!(
            got[0].cells,
            vec![t("张三"), t("110101199001011234"), Cell::Number(3500.0), Cell::Empty]
        );
        assert_eq!(got[1].line, 5);
        assert_eq!(texts(&got[1]), [" 李四 ", "110101199001015678", "3500.5", ""]);
    }

    #[test]
    fn xlsx_numbers_dates_and_bools() {
        let dir = TempDir::new("read");
        let date = XFormat::new().set_num_format("yyyy-mm-dd");
        let p = xlsx(&dir, "n.xlsx", |ws| {
            for (c, h) in ["姓名", "身份证号", "出生日期", "在职"].iter().enumerate() {
                ws.write_string(0, c as u16, *h)?;
            }
            ws.write_string(1, 0, "张三")?;
            ws.write_number(1, 1, 341022197806154560.0)?;
            ws.write_number_with_format(1, 2, 28657.0, &date)?;
            ws.write_boolean(1, 3, true)?;
            ws.write_string(2, 0, "李四")?;
            ws.write_number(2, 1, 3500.0)?;
            Ok(())
        });
        let r = open(
            &p,
            &["姓名", "身份证号", "出生日期", "在职"],
            &[true, true, false, false],
        )
        .expect("open");
        let got = rows(r);
        assert_eq!(got.len(), 2);
        let id = &got[0].cells[1];
        assert!(id.is_lossy_number(), "{id:?}");
        assert_eq!(got[0].cells[2], Cell::Date(28657.0));
        assert_eq!(got[0].cells[3], Cell::Bool(true));
        assert_eq!(got[1].cells[1], Cell::Number(3500.0));
        assert!(!got[1].cells[1].is_lossy_number());
        assert_eq!(got[1].cells[2], Cell::Empty);
    }

    #[test]
    fn xlsx_sparse_and_empty_rows_keep_excel_line_numbers() {
        let dir = TempDir::new("read");
        let p = xlsx(&dir, "s.xlsx", |ws| {
            ws.write_string(0, 0, "姓名")?;
            ws.write_string(0, 1, "身份证号")?;
            ws.write_string(0, 2, "月收入（元）")?;
            ws.write_string(0, 3, "备注")?;
            ws.write_string(0, 4, "其他")?;
            ws.write_string(1, 0, "张三")?;
            // row 3 (index 2) left empty
            ws.write_string(3, 3, "只有备注")?;
            ws.write_string(4, 1, "   ")?; // whitespace only: empty
            ws.write_string(5, 4, "只有未知列")?; // nothing in the template's columns: empty
            ws.write_blank(6, 0, &XFormat::new().set_bold())?;
            ws.write_number(9, 2, 12.5)?;
            Ok(())
        });
        let got = rows(open(&p, &TEMPLATE, &REQUIRED).expect("open"));
        let lines: Vec<u64> = got.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 10]);
        assert_eq!(got[0].cells, vec![t("张三"), Cell::Empty, Cell::Empty, Cell::Empty]);
        assert_eq!(got[1].cells, vec![Cell::Empty, Cell::Empty, Cell::Empty, t("只有备注")]);
        assert_eq!(
            got[2].cells,
            vec![Cell::Empty, Cell::Empty, Cell::Number(12.5), Cell::Empty]
        );
    }

    #[test]
    fn xlsx_dropping_reader_early_does_not_hang() {
        let dir = TempDir::new("read");
        let p = xlsx(&dir, "big.xlsx", |ws| {
            ws.write_string(0, 0, "姓名")?;
            ws.write_string(0, 1, "身份证号")?;
            for r in 1..20_000u32 {
                ws.write_string(r, 0, "某某")?;
                ws.write_number(r, 1, f64::from(r))?;
            }
            Ok(())
        });
        let mut r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        assert_eq!(r.next().expect("row").expect("ok").line, 2);
        drop(r);
        let n = open(&p, &TEMPLATE, &REQUIRED).expect("open").count();
        assert_eq!(n, 19_999);
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A zip archive of stored (uncompressed) files.
    fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = Vec::new();
        let mut central = Vec::new();
        for (name, data) in files {
            let (crc, size, name_len) = (crc32(data), data.len() as u32, name.len() as u16);
            let offset = z.len() as u32;
            z.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            z.extend_from_slice(&crc.to_le_bytes());
            z.extend_from_slice(&size.to_le_bytes());
            z.extend_from_slice(&size.to_le_bytes());
            z.extend_from_slice(&name_len.to_le_bytes());
            z.extend_from_slice(&0u16.to_le_bytes());
            z.extend_from_slice(name.as_bytes());
            z.extend_from_slice(data);
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&name_len.to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let (cd_offset, cd_size, count) = (z.len() as u32, central.len() as u32, files.len() as u16);
        z.extend_from_slice(&central);
        z.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        z.extend_from_slice(&[0, 0, 0, 0]);
        z.extend_from_slice(&count.to_le_bytes());
        z.extend_from_slice(&count.to_le_bytes());
        z.extend_from_slice(&cd_size.to_le_bytes());
        z.extend_from_slice(&cd_offset.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z
    }

    /// A hand-made workbook whose only worksheet has this `sheetData` content.
    fn handmade_xlsx(sheet_data: &str) -> Vec<u8> {
        const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
        const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
        const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
        let sheet = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#
        );
        stored_zip(&[
            ("_rels/.rels", RELS.as_bytes()),
            ("xl/workbook.xml", WORKBOOK.as_bytes()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ])
    }

    #[test]
    fn xlsx_cell_over_excel_limit_names_row_and_column() {
        let dir = TempDir::new("read-long-cell");
        let row = |n: usize| {
            format!(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>张三</t></is></c><c r="B3" t="inlineStr"><is><t>{}</t></is></c></row>"#,
                "中".repeat(n)
            )
        };
        // Exactly Excel's limit is read.
        let ok = file(&dir, "ok.xlsx", &handmade_xlsx(&row(guard::MAX_CELL_CHARS)));
        let r = rows(open(&ok, &["姓名", "身份证号"], &[true, true]).expect("open"));
        assert_eq!(r.len(), 1);
        // One more character is refused with the cell named.
        let long = file(&dir, "long.xlsx", &handmade_xlsx(&row(guard::MAX_CELL_CHARS + 1)));
        let mut reader = open(&long, &["姓名", "身份证号"], &[true, true]).expect("open");
        let e = reader.next().expect("an item").expect_err("refused");
        assert_eq!(e.line(), Some(3));
        assert!(e.to_string().contains("第 3 行 B 列"), "{e}");
        assert!(e.to_string().contains("32767"), "{e}");
        assert!(reader.next().is_none());
    }

    #[test]
    fn xlsx_cell_in_an_earlier_row_is_refused() {
        // Found by fuzzing: a cell of row 2 placed inside row 3 split row 3 into pieces handed out
        // with row numbers 3, 2, 3.
        let dir = TempDir::new("read");
        let header = r#"<row r="2"><c r="A2" t="inlineStr"><is><t>姓名</t></is></c><c r="C2" t="inlineStr"><is><t>身份证号</t></is></c></row>"#;
        let row = r#"<row r="3"><c r="A3" t="inlineStr"><is><t>张三</t></is></c><c r="B2" t="inlineStr"><is><t>x</t></is></c><c r="C3" t="inlineStr"><is><t>y</t></is></c></row>"#;
        let p = file(&dir, "order.xlsx", &handmade_xlsx(&format!("{header}{row}")));
        let mut r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        let e = r.next().expect("item").expect_err("a cell out of order");
        assert!(
            matches!(&e, ReadError::Corrupt { line: 3, detail } if detail.contains("第 2 行")),
            "{e:?}"
        );
        assert!(e.to_string().contains("第 3 行附近"), "{e}");
        assert!(r.next().is_none());
    }

    #[test]
    fn xlsx_error_values_and_a_damaged_row() {
        let dir = TempDir::new("read");
        let header = r#"<row r="2"><c r="A2" t="inlineStr"><is><t>姓名</t></is></c><c r="C2" t="inlineStr"><is><t>身份证号</t></is></c></row>"#;
        let good =
            r#"<row r="3"><c r="A3" t="inlineStr"><is><t>张三</t></is></c><c r="C3" t="e"><v>#N/A</v></c></row>"#;
        let bad = r#"<row r="5"><c r="A5" t="n"><v>not a number</v></c></row>"#;
        let p = file(&dir, "ok.xlsx", &handmade_xlsx(&format!("{header}{good}")));
        let r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        assert_eq!(r.header_line(), 2);
        let got = rows(r);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].line, 3);
        assert_eq!(got[0].cells[..2], [t("张三"), Cell::Error("#N/A".into())]);
        // No <dimension> element: no estimate.
        assert_eq!(estimate_rows(&p), Ok(None));

        // The damaged cell is found while row 3 may still be incomplete: row 3 is not handed out,
        // the error names the row reading stopped at.
        let p = file(&dir, "bad.xlsx", &handmade_xlsx(&format!("{header}{good}{bad}")));
        let mut r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        let e = r.next().expect("item").expect_err("damaged row");
        assert!(matches!(e, ReadError::Corrupt { line: 3, .. }), "{e:?}");
        assert!(e.to_string().contains("第 3 行附近"), "{e}");
        assert!(r.next().is_none());

        // A damaged header area: the file cannot be opened.
        let p = file(&dir, "bad-head.xlsx", &handmade_xlsx(bad));
        assert!(matches!(open_err(&p), ReadError::Corrupt { line: 1, .. }));
    }

    #[test]
    fn zip_that_is_not_xlsx_and_corrupt_xlsx() {
        let dir = TempDir::new("read");
        let p = file(
            &dir,
            "z.xlsx",
            &stored_zip(&[("hello.txt", "姓名,身份证号\n".as_bytes())]),
        );
        assert_eq!(open_err(&p), ReadError::Unrecognized);
        assert_eq!(estimate_rows(&p), Err(ReadError::Unrecognized));

        let good = xlsx(&dir, "good.xlsx", |ws| {
            ws.write_string(0, 0, "姓名")?;
            ws.write_string(0, 1, "身份证号")?;
            Ok(())
        });
        let bytes = std::fs::read(&good).expect("read");
        let p = file(&dir, "cut.xlsx", &bytes[..bytes.len() / 2]);
        assert_eq!(open_err(&p), ReadError::Unrecognized);
    }
}
