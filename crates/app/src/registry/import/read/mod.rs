//! Reading uploaded spreadsheets: the first worksheet of an xlsx workbook, or a
//! CSV/TSV text file, streamed row by row in the column order of an import
//! template, with the row number the user sees in Excel.
//!
//! The format is detected by content, not by file name. Xlsx files are read with
//! calamine's streaming cell reader on a worker thread (the cell reader borrows
//! the workbook, so the pair lives on that thread and rows come back in batches
//! over a bounded channel). Text files are decoded chunk by chunk (UTF-8, with or
//! without BOM, UTF-16 with BOM, otherwise GB18030) and parsed by the RFC 4180
//! parser below. Memory stays constant in the number of rows, apart from the
//! shared-string table calamine keeps for a workbook that has one.
//!
//! The header is the first of the first 20 non-empty rows in which all the
//! required columns, or at least half of the template's columns, are found
//! (after normalising both sides); title
//! rows above it are skipped, columns the template does not know are ignored.
//! Values are not validated here.

mod csv;
mod detect;
mod header;
mod text;
mod xlsx;

use csv::{CsvSource, csv_estimate, open_csv};
use detect::{Kind, sniff};
use header::Rows;
pub use header::{HeaderColumn, Layout, MatchedBy};
use xlsx::{XlsxStream, open_xlsx, xlsx_estimate};

use super::guard::{self, Depth};
pub use super::read_error::ReadError;
use std::fmt;
use std::fs::File;
use std::path::Path;

/// Bytes read from a text file at a time.
const CHUNK: usize = 64 * 1024;
/// Columns beyond Excel's last column (XFD) are ignored.
const MAX_COLS: u32 = 16_384;
/// A CSV field longer than this is refused (an Excel cell holds at most 32,767 characters);
/// it nearly always means an opening quote that is never closed.
const MAX_FIELD_BYTES: usize = 1 << 20;
/// Rows per message from the xlsx worker thread.
const BATCH: usize = 1024;
/// Batches in flight between the xlsx worker and the consumer.
const CHANNEL_BATCHES: usize = 4;
/// From this magnitude on a spreadsheet number has lost digits (Excel keeps 15 significant digits).
const LOSSY: f64 = 1e15;
/// Days between the 1900 and the 1904 date systems.
const EPOCH_1904_OFFSET: f64 = 1462.0;
/// Magic number of an OLE compound document (.xls, .doc, encrypted .xlsx).
const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// One cell as read.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// a cell formatted as a date/time: the Excel serial day number
    Date(f64),
    /// an Excel error value such as #N/A
    Error(String),
}

impl Cell {
    /// The cell as text: numbers without a trailing ".0" and without exponent for integers up to 1e15
    /// (3500.0 -> "3500", 3500.5 -> "3500.5"), Date -> the serial as a number string, Bool -> "是"/"否",
    /// Empty -> "".
    ///
    /// Fractions are rounded to 15 significant digits, as Excel shows them (0.1 + 0.2 -> "0.3").
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) | Cell::Error(s) => s.clone(),
            Cell::Number(n) | Cell::Date(n) => format_number(*n),
            Cell::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        }
    }

    /// A number too large to be exact in a spreadsheet (>= 1e15 in magnitude, e.g. an 18-digit ID number
    /// typed into a number cell).
    pub fn is_lossy_number(&self) -> bool {
        matches!(self, Cell::Number(n) if n.is_finite() && n.abs() >= LOSSY)
    }

    /// Nothing in it: empty, or text of whitespace only.
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 {
        if v.abs() < LOSSY {
            // Exact: |v| < 1e15 fits an i64; also turns -0.0 into "0".
            return format!("{}", v as i64);
        }
        // f64's Display never uses an exponent.
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor();
    let decimals = (14.0 - magnitude).clamp(0.0, 30.0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s.as_str()
    };
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

/// One data row.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRow {
    /// 1-based row number as shown in Excel (for CSV: 1-based record number, header = its own row number)
    pub line: u64,
    /// one cell per expected column, in the caller's order (Empty where the file has no such column)
    pub cells: Vec<Cell>,
}

/// Which kind of file it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

/// Rows of an opened file, in file order. Rows with nothing in the template's columns (only empty
/// or whitespace-only cells there) are skipped.
///
/// The iterator ends after the first error.
pub struct Reader {
    format: Format,
    header_line: u64,
    missing: Vec<String>,
    columns: Vec<HeaderColumn>,
    inner: Inner,
}

enum Inner {
    Csv(Box<Rows<CsvSource<File>>>),
    Xlsx(XlsxStream),
    Done,
}

impl Reader {
    pub fn format(&self) -> Format {
        self.format
    }

    /// 1-based row number of the header row found.
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// Expected columns the file lacks (only optional ones can be missing; see open()).
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// The header row's columns, in file order, with what each is read as.
    pub fn columns(&self) -> &[HeaderColumn] {
        &self.columns
    }
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("format", &self.format)
            .field("header_line", &self.header_line)
            .field("missing", &self.missing)
            .finish_non_exhaustive()
    }
}

impl Iterator for Reader {
    type Item = Result<RawRow, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = match &mut self.inner {
            Inner::Csv(rows) => rows.next_row().transpose(),
            Inner::Xlsx(stream) => stream.next_row(),
            Inner::Done => None,
        };
        if !matches!(item, Some(Ok(_))) {
            // End or error: release the file (and the worker thread) now.
            self.inner = Inner::Done;
        }
        item
    }
}

impl std::iter::FusedIterator for Reader {}

/// Opens `path`. `expected` are the template's column headers; `required` says which must be present
/// (an entry missing from `required` counts as optional).
///
/// Fails when the file is not a readable xlsx or text file, when no header row is found, or when the
/// header row lacks a required column; optional columns it lacks are listed by [`Reader::missing`].
pub fn open(path: &Path, expected: &[&str], required: &[bool]) -> Result<Reader, ReadError> {
    let expected: Vec<String> = expected.iter().map(|s| (*s).to_string()).collect();
    open_layout(path, &Layout::plain(&expected, required))
}

/// A header as compared: without spaces and required marks, full-width
/// letters made half-width, ASCII in lower case.
pub fn normalize_header(s: &str) -> String {
    header::normalize(s, false)
}

/// Opens `path`, matching its header row against `layout` (other names of a column, the user's
/// mapping, columns left out). The rows' cells are in the layout's column order.
pub fn open_layout(path: &Path, layout: &Layout) -> Result<Reader, ReadError> {
    match sniff(path)? {
        Kind::Xlsx => open_xlsx(path, layout.clone()),
        Kind::Text => open_csv(path, layout),
    }
}

/// A fast estimate of the number of data rows (for refusing files over a limit before anything is
/// imported): the rows of the file minus one header row.
///
/// For xlsx this is the worksheet's `<dimension>` element, read through calamine (which loads the
/// workbook's shared strings first, but not the sheet); `None` when the sheet declares no useful
/// dimension. For text files, line breaks outside quotes are counted.
pub fn estimate_rows(path: &Path) -> Result<Option<u64>, ReadError> {
    match sniff(path)? {
        Kind::Xlsx => {
            guard::check(path, Depth::Head)?;
            let path = path.to_path_buf();
            std::panic::catch_unwind(move || xlsx_estimate(&path)).unwrap_or(Err(ReadError::Unrecognized))
        }
        Kind::Text => csv_estimate(path),
    }
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::xlsx::{first_worksheet, open_book};
    use super::*;
    use calamine::DataRef;

    #[test]
    fn reader_and_errors_can_move_between_threads() {
        fn assert_send<T: Send + 'static>() {}
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send::<Reader>();
        assert_send_sync::<ReadError>();
        assert_send_sync::<RawRow>();
    }

    #[test]
    fn cell_text_and_lossy_numbers() {
        assert_eq!(Cell::Number(3500.0).to_text(), "3500");
        assert_eq!(Cell::Number(3500.5).to_text(), "3500.5");
        assert_eq!(Cell::Number(-12.25).to_text(), "-12.25");
        assert_eq!(Cell::Number(0.1 + 0.2).to_text(), "0.3");
        assert_eq!(Cell::Number(-0.0).to_text(), "0");
        assert_eq!(Cell::Number(1e15).to_text(), "1000000000000000");
        assert_eq!(Cell::Number(341022197806154560.0).to_text(), "341022197806154560");
        assert_eq!(Cell::Date(45000.0).to_text(), "45000");
        assert_eq!(Cell::Date(45000.25).to_text(), "45000.25");
        assert_eq!(Cell::Bool(true).to_text(), "是");
        assert_eq!(Cell::Bool(false).to_text(), "否");
        assert_eq!(Cell::Empty.to_text(), "");
        assert_eq!(t(" a ").to_text(), " a ");
        assert!(Cell::Number(341022197806154560.0).is_lossy_number());
        assert!(Cell::Number(-1e15).is_lossy_number());
        assert!(!Cell::Number(3500.0).is_lossy_number());
        assert!(!Cell::Number(999_999_999_999_999.0).is_lossy_number());
        assert!(!t("341022197806154560").is_lossy_number());
        assert!(!Cell::Date(1e16).is_lossy_number());
    }

    #[test]
    fn estimates() {
        let dir = TempDir::new("read");
        let p = file(
            &dir,
            "e.csv",
            "姓名,备注\r\n张三,\"两\r\n行\"\r\n李四,\"a\"\"b\"\r\n王五,\n赵六,x".as_bytes(),
        );
        assert_eq!(estimate_rows(&p), Ok(Some(4)));
        let p = file(&dir, "one.csv", "姓名\n".as_bytes());
        assert_eq!(estimate_rows(&p), Ok(Some(0)));
        assert_eq!(estimate_rows(&file(&dir, "0.csv", b"")), Err(ReadError::Empty));

        let p = xlsx(&dir, "e.xlsx", |ws| {
            ws.write_string(0, 0, "姓名")?;
            for r in 1..=100u32 {
                ws.write_string(r, 0, "某")?;
                ws.write_number(r, 3, 1.0)?;
            }
            Ok(())
        });
        assert_eq!(estimate_rows(&p), Ok(Some(100)));
        let p = xlsx(&dir, "a1.xlsx", |ws| {
            ws.write_string(0, 0, "姓名")?;
            Ok(())
        });
        assert_eq!(estimate_rows(&p), Ok(None));
    }

    #[test]
    fn messages_are_chinese_sentences() {
        let all = [
            ReadError::Empty,
            ReadError::Unrecognized,
            ReadError::OldXls,
            ReadError::Encrypted,
            ReadError::WebPage,
            ReadError::WrongTemplate {
                expected: vec!["姓名".into()],
            },
            ReadError::MissingColumns {
                line: 3,
                columns: (0..20).map(|i| format!("列{i}")).collect(),
            },
            ReadError::UnclosedQuote { line: 9 },
            ReadError::CellTooLong { line: 9 },
            ReadError::Corrupt {
                line: 9,
                detail: "xml".into(),
            },
            ReadError::Io {
                line: Some(9),
                detail: "disk".into(),
            },
            ReadError::Io {
                line: None,
                detail: "disk".into(),
            },
            ReadError::TooManyParts { limit: 10 },
            ReadError::PartTooLarge {
                part: "工作表".into(),
                limit: 1 << 30,
            },
            ReadError::TotalTooLarge { limit: 2 << 30 },
            ReadError::RatioTooHigh {
                part: "工作表".into(),
                ratio: 1000,
                limit: 100,
            },
            ReadError::SizeMismatch {
                part: "工作表".into()
            },
            ReadError::TagTooLarge {
                part: "工作表".into(),
                limit: 1 << 20,
            },
            ReadError::CellTooLarge {
                line: Some(9),
                at: "第 9 行 C 列".into(),
            },
            ReadError::TooManyStrings { limit: 10 },
            ReadError::SharedTextTooLarge { limit: 1 << 20 },
        ];
        for e in all {
            let msg = e.to_string();
            assert!(msg.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)), "{msg}");
            assert!(
                !msg.contains('\n') && !msg.contains("xml") && !msg.contains("disk"),
                "{msg}"
            );
            if let Some(line) = e.line() {
                assert!(msg.contains(&format!("第 {line} 行")), "{msg}");
            }
        }
        let many = ReadError::MissingColumns {
            line: 1,
            columns: (0..20).map(|i| format!("列{i}")).collect(),
        };
        assert!(many.to_string().contains("等 20 列"));
    }

    fn peak_rss() -> String {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM")).map(str::to_string))
            .unwrap_or_else(|| "VmHWM: unknown".into())
    }

    #[test]
    #[ignore = "slow: writes and reads a million rows; run in release"]
    fn stream_million_rows() {
        const N: u32 = 1_000_000;
        let heads = [
            "姓名",
            "身份证号",
            "性别",
            "民族",
            "出生日期",
            "月收入",
            "工龄",
            "人数",
            "住址",
            "备注",
        ];
        let dir = TempDir::new("read-million");

        let started = std::time::Instant::now();
        let xlsx_path = dir.0.join("m.xlsx");
        let mut wb = Workbook::new();
        let ws = wb
            .add_worksheet_with_constant_memory()
            .expect("constant-memory worksheet");
        for (c, h) in heads.iter().enumerate() {
            ws.write_string(0, c as u16, *h).expect("write");
        }
        for r in 1..=N {
            ws.write_string(r, 0, format!("张{r}")).expect("write");
            ws.write_string(r, 1, format!("1101011990{r:08}")).expect("write");
            ws.write_string(r, 2, if r % 2 == 0 { "男" } else { "女" })
                .expect("write");
            ws.write_string(r, 3, "汉族").expect("write");
            ws.write_number(r, 4, 30000.0 + f64::from(r % 10_000)).expect("write");
            ws.write_number(r, 5, 3500.5).expect("write");
            ws.write_number(r, 6, f64::from(r % 40)).expect("write");
            ws.write_number(r, 7, 3.0).expect("write");
            ws.write_string(r, 8, "北京市朝阳区某某街道某某社区").expect("write");
            ws.write_string(r, 9, "无").expect("write");
        }
        wb.save(&xlsx_path).expect("save");
        let csv_path = dir.0.join("m.csv");
        {
            use std::io::Write;
            let mut w = std::io::BufWriter::new(File::create(&csv_path).expect("create"));
            writeln!(w, "{}", heads.join(",")).expect("write");
            for r in 1..=N {
                writeln!(
                    w,
                    "张{r},1101011990{r:08},{},汉族,{},3500.5,{},3,\"北京市朝阳区某某街道,某某社区\",无",
                    if r % 2 == 0 { "男" } else { "女" },
                    30000 + r % 10_000,
                    r % 40
                )
                .expect("write");
            }
            w.flush().expect("flush");
        }
        println!(
            "fixtures written in {:.1}s (xlsx {} MB, csv {} MB)",
            started.elapsed().as_secs_f64(),
            std::fs::metadata(&xlsx_path).map(|m| m.len() >> 20).unwrap_or(0),
            std::fs::metadata(&csv_path).map(|m| m.len() >> 20).unwrap_or(0)
        );
        println!("after writing: {}", peak_rss());

        // Baseline: calamine's own streaming cell loop over the same sheet, nothing else.
        let started = std::time::Instant::now();
        let mut book = open_book(&xlsx_path).expect("open book");
        let sheet = first_worksheet(&book).expect("worksheet");
        let mut cells = book.worksheet_cells_reader(&sheet).expect("cells");
        let mut raw = 0u64;
        while let Some(cell) = cells.next_cell().expect("cell") {
            raw += u64::from(!matches!(cell.get_value(), DataRef::Empty));
        }
        drop(cells);
        let secs = started.elapsed().as_secs_f64();
        println!(
            "calamine next_cell alone: {raw} cells in {secs:.2}s = {:.0} rows/s",
            f64::from(N) / secs
        );

        // Template order differs from the file's.
        let mut expected: Vec<&str> = heads.to_vec();
        expected.reverse();
        let required = vec![true; expected.len()];
        for path in [&xlsx_path, &csv_path] {
            assert_eq!(estimate_rows(path), Ok(Some(u64::from(N))), "{path:?}");
            let started = std::time::Instant::now();
            let reader = open(path, &expected, &required).expect("open");
            let format = reader.format();
            let mut count = 0u64;
            let mut chars = 0usize;
            for row in reader {
                let row = row.expect("row");
                count += 1;
                if let Some(Cell::Text(s)) = row.cells.last() {
                    chars += s.len();
                }
            }
            let secs = started.elapsed().as_secs_f64();
            assert_eq!(count, u64::from(N));
            assert!(chars > 0);
            println!(
                "{format:?}: {count} rows x 10 cols in {secs:.2}s = {:.0} rows/s; {}",
                count as f64 / secs,
                peak_rss()
            );
        }
    }
}
