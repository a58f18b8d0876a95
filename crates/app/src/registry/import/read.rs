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

use super::guard::{self, Depth};
use super::read_error::HEADER_SCAN_ROWS;
pub use super::read_error::ReadError;
use calamine::Reader as _;
use calamine::{DataRef, SheetType, SheetVisible, Xlsx, XlsxCellReader, XlsxError};
use encoding_rs::{CoderResult, Decoder, Encoding, GB18030, UTF_8};
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

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
    match sniff(path)? {
        Kind::Xlsx => open_xlsx(path, expected, required.to_vec()),
        Kind::Text => open_csv(path, &expected, required),
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

// ---------------------------------------------------------------------------
// Format detection

enum Kind {
    Xlsx,
    Text,
}

fn sniff(path: &Path) -> Result<Kind, ReadError> {
    let mut file = File::open(path).map_err(|e| ReadError::io(None, &e))?;
    let mut head = [0u8; 8];
    let n = read_full(&mut file, &mut head).map_err(|e| ReadError::io(None, &e))?;
    let head = head.get(..n).unwrap_or_default();
    if head.is_empty() {
        return Err(ReadError::Empty);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Kind::Xlsx);
    }
    if head == OLE_MAGIC {
        return Err(ole_error(path));
    }
    const BINARY: [&[u8]; 10] = [
        b"PK\x05\x06",
        b"PK\x07\x08",
        b"%PDF",
        b"\x89PNG",
        b"\xFF\xD8\xFF",
        b"GIF8",
        b"Rar!",
        b"7z\xBC\xAF",
        b"\x1F\x8B",
        b"{\\rtf",
    ];
    if BINARY.iter().any(|m| head.starts_with(m)) {
        return Err(ReadError::Unrecognized);
    }
    Ok(Kind::Text)
}

/// An OLE compound document: an encrypted xlsx, a Word/PowerPoint file, or (otherwise) an old .xls.
fn ole_error(path: &Path) -> ReadError {
    let p = path.to_path_buf();
    let encrypted =
        std::panic::catch_unwind(move || matches!(open_book(&p), Err(ReadError::Encrypted))).unwrap_or(false);
    if encrypted {
        return ReadError::Encrypted;
    }
    let names = ole_root_names(path).unwrap_or_default();
    if names.iter().any(|n| n == "WordDocument" || n == "PowerPoint Document") {
        return ReadError::Unrecognized;
    }
    if names.iter().any(|n| n == "EncryptedPackage" || n == "EncryptionInfo") {
        return ReadError::Encrypted;
    }
    ReadError::OldXls
}

/// Names of the entries in the first sector of an OLE document's directory.
fn ole_root_names(path: &Path) -> io::Result<Vec<String>> {
    let mut file = File::open(path)?;
    let mut header = [0u8; 512];
    file.read_exact(&mut header)?;
    let le16 = |b: &[u8], at: usize| -> Option<u16> { Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?])) };
    let shift = le16(&header, 0x1E).unwrap_or(0);
    if shift != 9 && shift != 12 {
        return Ok(Vec::new());
    }
    let size = 1usize << shift;
    let sid = header
        .get(0x30..0x34)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(u32::MAX, u32::from_le_bytes);
    if sid >= 0xFFFF_FFFA {
        return Ok(Vec::new());
    }
    file.seek(SeekFrom::Start((u64::from(sid) + 1) * size as u64))?;
    let mut sector = vec![0u8; size];
    let n = read_full(&mut file, &mut sector)?;
    let mut names = Vec::new();
    for entry in sector.get(..n).unwrap_or_default().chunks_exact(128) {
        let len = usize::from(le16(entry, 0x40).unwrap_or(0));
        if !(2..=64).contains(&len) {
            continue;
        }
        let units: Vec<u16> = entry
            .get(..len - 2)
            .unwrap_or_default()
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0)]))
            .collect();
        names.push(String::from_utf16_lossy(&units));
    }
    Ok(names)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..) {
        if rest.is_empty() {
            break;
        }
        match src.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

// ---------------------------------------------------------------------------
// Header detection and column mapping (shared by both formats)

/// A producer of physical rows.
trait Source {
    /// Appends the next row to `out` as (0-based column, cell) pairs, leaving out empty cells and,
    /// when `map` is given, columns it does not map. Returns the row's 1-based number, or `None`
    /// at the end.
    fn next_row(&mut self, map: Option<&[Option<usize>]>, out: &mut Vec<(u32, Cell)>)
    -> Result<Option<u64>, ReadError>;
}

fn wanted(map: Option<&[Option<usize>]>, col: u32) -> bool {
    match map {
        None => col < MAX_COLS,
        Some(m) => matches!(m.get(col as usize), Some(Some(_))),
    }
}

/// A header name compared loosely: trimmed, full-width ASCII made half-width, whitespace removed,
/// ASCII lower-cased, required marks (`*`, `＊`) removed from both ends and, with `drop_note`, a
/// parenthesised note at the end removed ("月收入（元）" -> "月收入").
fn normalize(s: &str, drop_note: bool) -> String {
    let mut t: String = s
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    loop {
        let before = t.len();
        let trimmed = t.trim_matches('*');
        if trimmed.len() != t.len() {
            t = trimmed.to_string();
        }
        if drop_note
            && t.ends_with(')')
            && let Some(open) = t.rfind('(')
            && open > 0
        {
            t.truncate(open);
        }
        if t.len() == before {
            return t;
        }
    }
}

fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// For each template column, the file column whose header matches: exact (normalised) names first,
/// then names without their parenthesised notes; each file column is used once, leftmost first.
fn match_columns(row: &[(u32, Cell)], targets: &[(String, String)]) -> Vec<Option<u32>> {
    let cols: Vec<(u32, String, String)> = row
        .iter()
        .filter_map(|(c, cell)| {
            let text = cell.to_text();
            let strict = normalize(&text, false);
            (!strict.is_empty()).then(|| (*c, strict, normalize(&text, true)))
        })
        .collect();
    let mut taken = vec![false; cols.len()];
    let mut found = vec![None; targets.len()];
    for loose in [false, true] {
        for (slot, (strict_name, loose_name)) in found.iter_mut().zip(targets) {
            let name = if loose { loose_name } else { strict_name };
            if slot.is_some() || name.is_empty() {
                continue;
            }
            let hit = cols
                .iter()
                .zip(taken.iter_mut())
                .find(|((_, s, l), used)| !**used && if loose { l == name } else { s == name });
            if let Some(((col, _, _), used)) = hit {
                *used = true;
                *slot = Some(*col);
            }
        }
    }
    found
}

struct Header {
    line: u64,
    /// file column -> template column
    map: Vec<Option<usize>>,
    missing: Vec<String>,
}

fn find_header<S: Source>(src: &mut S, expected: &[String], required: &[bool]) -> Result<Header, ReadError> {
    let targets: Vec<(String, String)> = expected
        .iter()
        .map(|e| (normalize(e, false), normalize(e, true)))
        .collect();
    let mut row = Vec::new();
    let mut seen = 0;
    while seen < HEADER_SCAN_ROWS {
        row.clear();
        let Some(line) = src.next_row(None, &mut row)? else {
            break;
        };
        if row.iter().all(|(_, c)| c.is_blank()) {
            continue;
        }
        seen += 1;
        let cols = match_columns(&row, &targets);
        let found = cols.iter().flatten().count();
        // The header: at least half of the template's columns, or all of its
        // required ones (a file with only the required columns is fine).
        let has_required = required.iter().any(|r| *r)
            && required
                .iter()
                .enumerate()
                .filter(|(_, r)| **r)
                .all(|(i, _)| cols.get(i).is_some_and(Option::is_some));
        if found == 0 || (found * 2 < targets.len() && !has_required) {
            continue;
        }
        let absent = |want_required: bool| -> Vec<String> {
            cols.iter()
                .zip(expected)
                .enumerate()
                .filter(|(i, (c, _))| c.is_none() && required.get(*i).copied().unwrap_or(false) == want_required)
                .map(|(_, (_, name))| name.clone())
                .collect()
        };
        let missing_required = absent(true);
        if !missing_required.is_empty() {
            return Err(ReadError::MissingColumns {
                line,
                columns: missing_required,
            });
        }
        let width = cols.iter().flatten().max().map_or(0, |m| *m as usize + 1);
        let mut map = vec![None; width];
        for (i, c) in cols.iter().enumerate() {
            if let Some(slot) = c.and_then(|c| map.get_mut(c as usize)) {
                *slot = Some(i);
            }
        }
        return Ok(Header {
            line,
            map,
            missing: absent(false),
        });
    }
    if seen == 0 {
        Err(ReadError::Empty)
    } else {
        Err(ReadError::WrongTemplate {
            expected: expected.to_vec(),
        })
    }
}

/// Data rows after the header, mapped to the template's columns.
struct Rows<S> {
    src: S,
    map: Vec<Option<usize>>,
    width: usize,
    scratch: Vec<(u32, Cell)>,
}

impl<S: Source> Rows<S> {
    fn new(src: S, map: Vec<Option<usize>>, width: usize) -> Self {
        Rows {
            src,
            map,
            width,
            scratch: Vec::new(),
        }
    }

    /// The next row with anything in the template's columns.
    fn next_row(&mut self) -> Result<Option<RawRow>, ReadError> {
        loop {
            self.scratch.clear();
            let Some(line) = self.src.next_row(Some(&self.map), &mut self.scratch)? else {
                return Ok(None);
            };
            if self.scratch.iter().all(|(_, c)| c.is_blank()) {
                continue;
            }
            return Ok(Some(place(line, self.scratch.drain(..), &self.map, self.width)));
        }
    }
}

/// A row of `width` template columns from (file column, cell) pairs.
fn place(line: u64, found: impl Iterator<Item = (u32, Cell)>, map: &[Option<usize>], width: usize) -> RawRow {
    let mut cells = vec![Cell::Empty; width];
    for (col, cell) in found {
        if let Some(Some(i)) = map.get(col as usize)
            && let Some(slot) = cells.get_mut(*i)
        {
            *slot = cell;
        }
    }
    RawRow { line, cells }
}

// ---------------------------------------------------------------------------
// Text decoding

/// Decoded text of a file, one chunk at a time.
///
/// A BOM decides the encoding; otherwise ASCII passes through until the first non-ASCII bytes, which
/// decide between UTF-8 (if valid) and GB18030.
struct TextInput<R> {
    src: R,
    raw: Vec<u8>,
    /// Bytes kept while the encoding is still undecided (an incomplete sequence at a chunk's end).
    carry: Vec<u8>,
    text: String,
    pos: usize,
    decoder: Option<Decoder>,
    started: bool,
    done: bool,
}

impl<R: Read> TextInput<R> {
    fn new(src: R) -> Self {
        TextInput {
            src,
            raw: vec![0; CHUNK],
            carry: Vec::new(),
            text: String::with_capacity(CHUNK + CHUNK / 2),
            pos: 0,
            decoder: None,
            started: false,
            done: false,
        }
    }

    /// Makes unread text available; `false` at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        while self.pos >= self.text.len() {
            if self.done {
                return Ok(false);
            }
            self.text.clear();
            self.pos = 0;
            self.decode_next()?;
        }
        Ok(true)
    }

    /// The unread text of the current chunk.
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn decode_next(&mut self) -> io::Result<()> {
        let n = read_full(&mut self.src, &mut self.raw)?;
        let last = n < self.raw.len();
        if last {
            self.done = true;
        }
        let mut start = 0;
        if !self.started {
            self.started = true;
            if let Some((encoding, bom)) = Encoding::for_bom(self.raw.get(..n).unwrap_or_default()) {
                self.decoder = Some(encoding.new_decoder_without_bom_handling());
                start = bom;
            }
        }
        let chunk = self.raw.get(start..n).unwrap_or_default();
        if let Some(decoder) = self.decoder.as_mut() {
            decode_into(decoder, chunk, &mut self.text, last);
            return Ok(());
        }
        self.carry.extend_from_slice(chunk);
        let high = self.carry.iter().position(|b| !b.is_ascii());
        let ascii = self.carry.get(..high.unwrap_or(self.carry.len())).unwrap_or_default();
        self.text.push_str(std::str::from_utf8(ascii).unwrap_or_default());
        let Some(h) = high else {
            self.carry.clear();
            return Ok(());
        };
        let rest = self.carry.get(h..).unwrap_or_default();
        let encoding = match std::str::from_utf8(rest) {
            Ok(_) => Some(UTF_8),
            Err(e) if e.error_len().is_some() => Some(GB18030),
            // Valid so far, only an incomplete character at the end.
            Err(e) if e.valid_up_to() > 0 => Some(UTF_8),
            Err(_) if last => Some(GB18030),
            // Nothing but the start of one character: decide with the next chunk.
            Err(_) => None,
        };
        match encoding {
            Some(encoding) => {
                let mut decoder = encoding.new_decoder_without_bom_handling();
                decode_into(&mut decoder, rest, &mut self.text, last);
                self.decoder = Some(decoder);
                self.carry.clear();
            }
            None => {
                self.carry.drain(..h);
            }
        }
        Ok(())
    }
}

fn decode_into(decoder: &mut Decoder, mut src: &[u8], dst: &mut String, last: bool) {
    loop {
        let need = decoder
            .max_utf8_buffer_length(src.len())
            .unwrap_or_else(|| src.len().saturating_mul(3).saturating_add(16));
        dst.reserve(need);
        let (result, read, _) = decoder.decode_to_string(src, dst, last);
        src = src.get(read..).unwrap_or_default();
        if matches!(result, CoderResult::InputEmpty) {
            return;
        }
    }
}

/// Opens a text file and refuses binary data and web pages.
fn open_text(path: &Path) -> Result<TextInput<File>, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(None, &e))?;
    let mut input = TextInput::new(file);
    if !input.fill().map_err(|e| ReadError::io(None, &e))? {
        return Err(ReadError::Empty);
    }
    let head = input.rest();
    if looks_like_web_page(head) {
        return Err(ReadError::WebPage);
    }
    if looks_binary(head) {
        return Err(ReadError::Unrecognized);
    }
    Ok(input)
}

fn looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut bad = 0usize;
    for c in text.chars() {
        total += 1;
        if c == '\0' {
            return true;
        }
        let control =
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1a')) || ('\u{7f}'..'\u{a0}').contains(&c);
        if control || c == '\u{FFFD}' {
            bad += 1;
        }
    }
    bad >= 2 && bad * 100 > total
}

fn looks_like_web_page(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with('<')
        && ["<html", "<table", "<?xml", "<!doctype", "<workbook"]
            .iter()
            .any(|tag| head.contains(tag))
}

// ---------------------------------------------------------------------------
// CSV

enum FieldEnd {
    Delimiter,
    Record,
    Eof,
}

/// RFC 4180 records: `delim`-separated fields, quoted fields with doubled quotes and line breaks,
/// CRLF, LF or CR line ends. Lenient where the RFC is silent: a quote inside an unquoted field and
/// text after a closing quote are kept as text.
struct CsvSource<R> {
    input: TextInput<R>,
    delim: u8,
    /// Records started so far (blank lines included: Excel shows them as rows).
    record: u64,
    field: String,
    /// The last record ended on CR: a LF right after it belongs to that line end.
    skip_lf: bool,
}

impl<R: Read> CsvSource<R> {
    fn new(input: TextInput<R>, delim: u8) -> Self {
        CsvSource {
            input,
            delim,
            record: 0,
            field: String::new(),
            skip_lf: false,
        }
    }

    /// Reads one field into `self.field` (when `keep`), leaving the input after its terminator.
    fn read_field(&mut self, keep: bool, line: u64) -> Result<FieldEnd, ReadError> {
        let io = |e: io::Error| ReadError::io(Some(line), &e);
        if !self.input.fill().map_err(io)? {
            return Ok(FieldEnd::Eof);
        }
        if self.input.peek() == Some(b'"') {
            self.input.pos += 1;
            loop {
                if !self.input.fill().map_err(io)? {
                    return Err(ReadError::UnclosedQuote { line });
                }
                let rest = self.input.rest();
                let (consumed, closed) = match rest.bytes().position(|b| b == b'"') {
                    None => {
                        if keep {
                            self.field.push_str(rest);
                        }
                        (rest.len(), false)
                    }
                    Some(i) => {
                        if keep {
                            self.field.push_str(rest.get(..i).unwrap_or_default());
                        }
                        (i + 1, true)
                    }
                };
                self.input.pos += consumed;
                if keep && self.field.len() > MAX_FIELD_BYTES {
                    return Err(ReadError::CellTooLong { line });
                }
                if closed {
                    if !self.input.fill().map_err(io)? {
                        return Ok(FieldEnd::Eof);
                    }
                    if self.input.peek() == Some(b'"') {
                        if keep {
                            self.field.push('"');
                        }
                        self.input.pos += 1;
                    } else {
                        break;
                    }
                }
            }
        }
        let delim = self.delim;
        loop {
            if !self.input.fill().map_err(io)? {
                return Ok(FieldEnd::Eof);
            }
            let rest = self.input.rest();
            match rest.bytes().position(|b| b == delim || b == b'\n' || b == b'\r') {
                None => {
                    if keep {
                        self.field.push_str(rest);
                    }
                    self.input.pos += rest.len();
                    if keep && self.field.len() > MAX_FIELD_BYTES {
                        return Err(ReadError::CellTooLong { line });
                    }
                }
                Some(i) => {
                    let end = rest.as_bytes().get(i).copied().unwrap_or(b'\n');
                    if keep {
                        self.field.push_str(rest.get(..i).unwrap_or_default());
                    }
                    self.input.pos += i + 1;
                    if keep && self.field.len() > MAX_FIELD_BYTES {
                        return Err(ReadError::CellTooLong { line });
                    }
                    if end == delim {
                        return Ok(FieldEnd::Delimiter);
                    }
                    self.skip_lf = end == b'\r';
                    return Ok(FieldEnd::Record);
                }
            }
        }
    }
}

impl<R: Read> Source for CsvSource<R> {
    fn next_row(
        &mut self,
        map: Option<&[Option<usize>]>,
        out: &mut Vec<(u32, Cell)>,
    ) -> Result<Option<u64>, ReadError> {
        let line = self.record + 1;
        let io = |e: io::Error| ReadError::io(Some(line), &e);
        if self.skip_lf {
            self.skip_lf = false;
            if self.input.fill().map_err(io)? && self.input.peek() == Some(b'\n') {
                self.input.pos += 1;
            }
        }
        if !self.input.fill().map_err(io)? {
            return Ok(None);
        }
        self.record = line;
        let mut col: u32 = 0;
        loop {
            let keep = wanted(map, col);
            self.field.clear();
            let end = self.read_field(keep, line)?;
            if keep && !self.field.is_empty() {
                out.push((col, Cell::Text(std::mem::take(&mut self.field))));
            }
            match end {
                FieldEnd::Delimiter => col = col.saturating_add(1),
                FieldEnd::Record | FieldEnd::Eof => return Ok(Some(line)),
            }
        }
    }
}

/// Comma-separated first; a file whose header is only found when split at tabs is TSV.
fn open_csv(path: &Path, expected: &[String], required: &[bool]) -> Result<Reader, ReadError> {
    let mut comma_error = None;
    for delim in [b',', b'\t'] {
        let mut src = CsvSource::new(open_text(path)?, delim);
        match find_header(&mut src, expected, required) {
            Ok(header) => {
                return Ok(Reader {
                    format: Format::Csv,
                    header_line: header.line,
                    missing: header.missing,
                    inner: Inner::Csv(Box::new(Rows::new(src, header.map, expected.len()))),
                });
            }
            Err(e @ (ReadError::Empty | ReadError::Io { .. })) => return Err(e),
            Err(e) => match comma_error.take() {
                None => comma_error = Some(e),
                Some(first) => {
                    return Err(if matches!(e, ReadError::MissingColumns { .. }) {
                        e
                    } else {
                        first
                    });
                }
            },
        }
    }
    Err(comma_error.unwrap_or(ReadError::Unrecognized))
}

fn csv_estimate(path: &Path) -> Result<Option<u64>, ReadError> {
    let mut input = open_text(path)?;
    let mut records = 0u64;
    let mut in_quotes = false;
    let mut after_cr = false;
    let mut open_line = false;
    while input.fill().map_err(|e| ReadError::io(None, &e))? {
        for b in input.rest().bytes() {
            if after_cr {
                after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'"' => {
                    in_quotes = !in_quotes;
                    open_line = true;
                }
                b'\n' | b'\r' if !in_quotes => {
                    records += 1;
                    open_line = false;
                    after_cr = b == b'\r';
                }
                _ => open_line = true,
            }
        }
        input.pos = input.text.len();
    }
    if open_line {
        records += 1;
    }
    Ok(Some(records.saturating_sub(1)))
}

// ---------------------------------------------------------------------------
// Xlsx

type Book = Xlsx<BufReader<File>>;

fn open_book(path: &Path) -> Result<Book, ReadError> {
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
fn first_worksheet<RS: Read + Seek>(book: &Xlsx<RS>) -> Option<String> {
    let sheets = book.sheets_metadata();
    let is_worksheet = |s: &&calamine::Sheet| s.typ == SheetType::WorkSheet;
    sheets
        .iter()
        .filter(is_worksheet)
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| sheets.iter().find(is_worksheet))
        .map(|s| s.name.clone())
}

fn xlsx_estimate(path: &Path) -> Result<Option<u64>, ReadError> {
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
}

impl<RS: Read + Seek> Source for XlsxSource<'_, RS> {
    fn next_row(
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
struct XlsxStream {
    rx: Option<Receiver<Msg>>,
    handle: Option<JoinHandle<()>>,
    map: Vec<Option<usize>>,
    width: usize,
    rows: std::vec::IntoIter<(u64, usize)>,
    cells: std::vec::IntoIter<(u32, Cell)>,
    last_line: u64,
}

impl XlsxStream {
    fn next_row(&mut self) -> Option<Result<RawRow, ReadError>> {
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

fn open_xlsx(path: &Path, expected: Vec<String>, required: Vec<bool>) -> Result<Reader, ReadError> {
    let (tx, rx) = sync_channel(CHANNEL_BATCHES);
    let width = expected.len();
    let path = path.to_path_buf();
    let handle = std::thread::Builder::new()
        .name("import-xlsx".into())
        .spawn(move || {
            if let Err(e) = xlsx_worker(&path, &expected, &required, &tx) {
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
        Ok(Msg::Header { line, missing, map }) => {
            stream.last_line = line;
            stream.map = map;
            Ok(Reader {
                format: Format::Xlsx,
                header_line: line,
                missing,
                inner: Inner::Xlsx(stream),
            })
        }
        Ok(Msg::Failed(e)) => Err(e),
        // A panic while opening: a workbook the library cannot make sense of.
        Ok(Msg::Rows(_) | Msg::End) | Err(_) => Err(ReadError::Unrecognized),
    }
}

fn xlsx_worker(path: &Path, expected: &[String], required: &[bool], tx: &SyncSender<Msg>) -> Result<(), ReadError> {
    guard::check(path, Depth::Full)?;
    let mut book = open_book(path)?;
    let name = first_worksheet(&book).ok_or(ReadError::Empty)?;
    let date_offset = if book.has_1904_epoch() { EPOCH_1904_OFFSET } else { 0.0 };
    let cells = book.worksheet_cells_reader(&name).map_err(open_error)?;
    let mut src = XlsxSource {
        cells,
        pending: None,
        date_offset,
        last_row: 0,
        finished: false,
    };
    let header = find_header(&mut src, expected, required)?;
    let map = header.map;
    if tx
        .send(Msg::Header {
            line: header.line,
            missing: header.missing,
            map: map.clone(),
        })
        .is_err()
    {
        return Ok(());
    }
    let width = expected.len();
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
    use super::*;
    use crate::testing::TempDir;
    use rust_xlsxwriter::{Format as XFormat, Workbook, Worksheet, XlsxError as WError};
    use std::path::PathBuf;

    const TEMPLATE: [&str; 4] = ["姓名", "身份证号", "月收入（元）", "备注"];
    const REQUIRED: [bool; 4] = [true, true, false, false];

    fn file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.0.join(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    fn xlsx(dir: &TempDir, name: &str, fill: impl FnOnce(&mut Worksheet) -> Result<(), WError>) -> PathBuf {
        let p = dir.0.join(name);
        let mut wb = Workbook::new();
        fill(wb.add_worksheet()).expect("fill worksheet");
        wb.save(&p).expect("save xlsx");
        p
    }

    fn rows(reader: Reader) -> Vec<RawRow> {
        reader.map(|r| r.expect("row")).collect()
    }

    fn texts(row: &RawRow) -> Vec<String> {
        row.cells.iter().map(Cell::to_text).collect()
    }

    fn open_err(path: &Path) -> ReadError {
        open(path, &TEMPLATE, &REQUIRED).expect_err("should fail")
    }

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

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
    fn header_normalisation() {
        assert_eq!(normalize(" ＊身份证号 ", false), "身份证号");
        assert_eq!(normalize("*姓 名*", false), "姓名");
        assert_eq!(normalize("月收入（元）", true), "月收入");
        assert_eq!(normalize("月收入(元)", false), "月收入(元)");
        assert_eq!(normalize("姓名（必填）*", true), "姓名");
        assert_eq!(normalize("ＩＤ　Ｎｏ", false), "idno");
        assert_eq!(normalize("(备注)", true), "(备注)");
        assert_eq!(normalize("\u{FEFF}姓名", false), "姓名");
    }

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

    #[test]
    fn csv_utf8_bom_and_crlf() {
        let dir = TempDir::new("read");
        let p = file(
            &dir,
            "a.csv",
            "\u{FEFF}姓名,身份证号,月收入(元)\r\n张三,110101199001011234,3500\r\n\r\n李四,110101199001015678,\r\n"
                .as_bytes(),
        );
        let r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        assert_eq!(r.format(), Format::Csv);
        assert_eq!(r.header_line(), 1);
        assert_eq!(r.missing(), ["备注".to_string()]);
        let got = rows(r);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].line, 2);
        assert_eq!(
            got[0].cells,
            vec![t("张三"), t("110101199001011234"), t("3500"), Cell::Empty]
        );
        assert_eq!(got[1].line, 4);
        assert_eq!(
            got[1].cells,
            vec![t("李四"), t("110101199001015678"), Cell::Empty, Cell::Empty]
        );
    }

    #[test]
    fn csv_gb18030() {
        let dir = TempDir::new("read");
        let text = "人员信息表,,\n身份证号,姓名,备注\n110101199001011234,张三,𠀀字\n";
        let (bytes, _, errors) = GB18030.encode(text);
        assert!(!errors);
        assert!(std::str::from_utf8(&bytes).is_err(), "fixture must not be UTF-8");
        let p = file(&dir, "g.csv", &bytes);
        let r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        assert_eq!(r.header_line(), 2);
        let got = rows(r);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].line, 3);
        assert_eq!(
            got[0].cells,
            vec![t("张三"), t("110101199001011234"), Cell::Empty, t("𠀀字")]
        );
    }

    #[test]
    fn csv_gb18030_after_long_ascii_start() {
        // The first chunks are pure ASCII; the encoding is decided at the first Chinese character.
        let dir = TempDir::new("read");
        let mut text = String::from("name,id\n");
        for i in 0..10_000 {
            text.push_str(&format!("abcdefgh,{i:018}\n"));
        }
        text.push_str("张三,110101199001011234\n");
        let (bytes, _, _) = GB18030.encode(&text);
        assert!(bytes.len() > 2 * CHUNK);
        let p = file(&dir, "g2.csv", &bytes);
        let got = rows(open(&p, &["name", "id"], &[true, true]).expect("open"));
        assert_eq!(got.len(), 10_001);
        let last = got.last().expect("last");
        assert_eq!(last.line, 10_002);
        assert_eq!(last.cells, vec![t("张三"), t("110101199001011234")]);
    }

    #[test]
    fn csv_quotes_commas_newlines_and_doubled_quotes() {
        let dir = TempDir::new("read");
        let p = file(
            &dir,
            "q.csv",
            "姓名,身份证号,备注\n\"张,三\",\"1101\",\"北京市\r\n朝阳区，他说\"\"你好\"\"\"\n李四,\"\",\"\"\"\"\n王五,x\"y,\"a\"b".as_bytes(),
        );
        let got = rows(open(&p, &TEMPLATE, &REQUIRED).expect("open"));
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].line, 2);
        assert_eq!(
            got[0].cells,
            vec![t("张,三"), t("1101"), Cell::Empty, t("北京市\r\n朝阳区，他说\"你好\"")]
        );
        // Record numbers, as Excel shows the file.
        assert_eq!(got[1].line, 3);
        assert_eq!(got[1].cells, vec![t("李四"), Cell::Empty, Cell::Empty, t("\"")]);
        assert_eq!(got[2].line, 4);
        assert_eq!(got[2].cells, vec![t("王五"), t("x\"y"), Cell::Empty, t("ab")]);
    }

    #[test]
    fn csv_old_mac_line_ends() {
        let dir = TempDir::new("read");
        let p = file(&dir, "cr.csv", "姓名,身份证号\r张三,1\r\r李四,2\r".as_bytes());
        let got = rows(open(&p, &TEMPLATE, &REQUIRED).expect("open"));
        let lines: Vec<u64> = got.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn csv_unclosed_quote_reports_its_row() {
        let dir = TempDir::new("read");
        let p = file(&dir, "u.csv", "姓名,身份证号\n张三,1\n李四,\"2\n王五,3\n".as_bytes());
        let mut r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        assert_eq!(r.next().expect("row").expect("ok").line, 2);
        let e = r.next().expect("item").expect_err("error");
        assert_eq!(e, ReadError::UnclosedQuote { line: 3 });
        assert_eq!(e.line(), Some(3));
        assert!(e.to_string().contains("第 3 行"));
        assert!(r.next().is_none());
    }

    #[test]
    fn tsv_and_utf16_tsv() {
        let dir = TempDir::new("read");
        let text = "姓名\t身份证号\t备注\n张三\t1101\t有,逗号\n";
        let p = file(&dir, "t.txt", text.as_bytes());
        let r = open(&p, &TEMPLATE, &REQUIRED).expect("open");
        assert_eq!(r.format(), Format::Csv);
        let got = rows(r);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].cells, vec![t("张三"), t("1101"), Cell::Empty, t("有,逗号")]);

        // Excel's "Unicode text": UTF-16LE with BOM, tab-separated.
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let p = file(&dir, "u16.txt", &utf16);
        let got = rows(open(&p, &TEMPLATE, &REQUIRED).expect("open"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].cells[0], t("张三"));
    }

    #[test]
    fn empty_files() {
        let dir = TempDir::new("read");
        assert_eq!(open_err(&file(&dir, "0.csv", b"")), ReadError::Empty);
        assert_eq!(open_err(&file(&dir, "bom.csv", b"\xEF\xBB\xBF")), ReadError::Empty);
        assert_eq!(open_err(&file(&dir, "blank.csv", b"\r\n , \n\n")), ReadError::Empty);
        let p = xlsx(&dir, "e.xlsx", |_| Ok(()));
        assert_eq!(open_err(&p), ReadError::Empty);
        assert!(ReadError::Empty.to_string().starts_with("文件是空的"));
    }

    #[test]
    fn garbage_is_unrecognized() {
        let dir = TempDir::new("read");
        let mut x: u32 = 0x1234_5678;
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        let p = file(&dir, "g.csv", &bytes);
        let e = open_err(&p);
        assert_eq!(e, ReadError::Unrecognized);
        assert_eq!(e.to_string(), "无法识别的文件：请上传 Excel（.xlsx）或 CSV 文件");
        assert_eq!(estimate_rows(&p), Err(ReadError::Unrecognized));
        let p = file(&dir, "p.xlsx", b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        assert_eq!(open_err(&p), ReadError::Unrecognized);
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

    /// An OLE compound document header whose first directory sector holds these names.
    fn ole(names: &[&str]) -> Vec<u8> {
        let mut b = vec![0u8; 512 * 3];
        b[..8].copy_from_slice(&OLE_MAGIC);
        b[0x1A] = 0x3E; // minor/major version 3
        b[0x1C] = 0xFE;
        b[0x1D] = 0xFF;
        b[0x1E] = 9; // 512-byte sectors
        b[0x20] = 6;
        b[0x30..0x34].copy_from_slice(&0u32.to_le_bytes()); // directory in sector 0
        for (i, name) in names.iter().enumerate() {
            let at = 512 + i * 128;
            let units: Vec<u16> = name.encode_utf16().collect();
            for (k, u) in units.iter().enumerate() {
                b[at + 2 * k..at + 2 * k + 2].copy_from_slice(&u.to_le_bytes());
            }
            b[at + 0x40..at + 0x42].copy_from_slice(&((units.len() as u16 + 1) * 2).to_le_bytes());
        }
        b
    }

    #[test]
    fn ole_files() {
        let dir = TempDir::new("read");
        let p = file(&dir, "old.xls", &ole(&["Root Entry", "Workbook"]));
        let e = open_err(&p);
        assert_eq!(e, ReadError::OldXls);
        assert!(e.to_string().contains("另存为"));
        assert_eq!(estimate_rows(&p), Err(ReadError::OldXls));
        // Just the magic number: still an old Office file.
        assert_eq!(open_err(&file(&dir, "magic.xls", &OLE_MAGIC)), ReadError::OldXls);
        let p = file(&dir, "w.doc", &ole(&["Root Entry", "WordDocument"]));
        assert_eq!(open_err(&p), ReadError::Unrecognized);
        let p = file(
            &dir,
            "enc.xlsx",
            &ole(&["Root Entry", "EncryptionInfo", "EncryptedPackage"]),
        );
        assert_eq!(open_err(&p), ReadError::Encrypted);
    }

    #[test]
    fn web_page_saved_as_xls() {
        let dir = TempDir::new("read");
        let p = file(
            &dir,
            "export.xls",
            "\u{FEFF}<html><body><table><tr><td>姓名</td><td>身份证号</td></tr></table></body></html>".as_bytes(),
        );
        let e = open_err(&p);
        assert_eq!(e, ReadError::WebPage);
        assert!(e.to_string().contains(".xlsx"));
    }

    #[test]
    fn wrong_template() {
        let dir = TempDir::new("read");
        let p = file(
            &dir,
            "w.csv",
            "单位名称,统一社会信用代码,地址\n某局,123,某路\n".as_bytes(),
        );
        let e = open_err(&p);
        assert_eq!(
            e,
            ReadError::WrongTemplate {
                expected: TEMPLATE.iter().map(|s| s.to_string()).collect()
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("姓名、身份证号、月收入（元）、备注"), "{msg}");
        assert!(msg.contains("不是本模板"), "{msg}");
        assert_eq!(e.line(), None);

        let p = xlsx(&dir, "w.xlsx", |ws| {
            ws.write_string(0, 0, "单位名称")?;
            ws.write_string(1, 0, "某局")?;
            Ok(())
        });
        assert!(matches!(open_err(&p), ReadError::WrongTemplate { .. }));

        // The header must be among the first 20 non-empty rows.
        let mut text = String::new();
        for i in 0..20 {
            text.push_str(&format!("说明第{i}行\n"));
        }
        text.push_str("姓名,身份证号\n张三,1\n");
        let p = file(&dir, "late.csv", text.as_bytes());
        assert!(matches!(open_err(&p), ReadError::WrongTemplate { .. }));
    }

    #[test]
    fn required_column_missing() {
        let dir = TempDir::new("read");
        let p = file(&dir, "m.csv", "说明\n姓名,月收入,备注\n张三,1,\n".as_bytes());
        let e = open_err(&p);
        assert_eq!(
            e,
            ReadError::MissingColumns {
                line: 2,
                columns: vec!["身份证号".into()]
            }
        );
        assert_eq!(e.line(), Some(2));
        assert!(e.to_string().contains("身份证号"));

        let p = xlsx(&dir, "m.xlsx", |ws| {
            ws.write_string(0, 0, "身份证号")?;
            ws.write_string(0, 1, "备注")?;
            ws.write_string(0, 2, "月收入")?;
            Ok(())
        });
        assert_eq!(
            open_err(&p),
            ReadError::MissingColumns {
                line: 1,
                columns: vec!["姓名".into()]
            }
        );
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
