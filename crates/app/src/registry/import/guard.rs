//! Limits checked on an xlsx workbook before calamine parses any of it.
//!
//! An xlsx file is a zip archive of XML parts, and a small upload can unpack
//! to gigabytes: one inline cell of a gigabyte, millions of tiny shared
//! strings, or a part whose size header lies. calamine holds a whole XML
//! text node, a whole tag and the whole shared-string table in memory, so
//! each of those has to be bounded before it sees the file:
//!
//! 1. the end-of-central-directory record: at most [`MAX_PARTS`] entries
//!    (the archive's index is held in memory);
//! 2. the central directory: every part's declared uncompressed size, the
//!    total, and the compression ratio of any part over [`RATIO_FLOOR`];
//! 3. every part decompressed as a stream (64 KiB at a time), counting the
//!    bytes actually produced against the declared size and the same caps
//!    (declared sizes can lie), and scanning the XML: no tag over
//!    [`MAX_TAG_BYTES`], no string (a shared string `<si>` or an inline
//!    string `<is>`, all its runs together) and no other text node over
//!    [`MAX_CELL_BYTES`], at most [`MAX_SHARED_STRINGS`] shared strings
//!    (counted, and as declared by `uniqueCount`, which calamine reserves
//!    room for) holding at most [`MAX_SHARED_TEXT`] bytes of text.
//!
//! The exact limit of a cell, Excel's 32,767 characters, is checked on each
//! cell as it is read (see `read.rs`); the byte bound here, ten bytes a
//! character (the longest XML character reference), only keeps a cell that
//! cannot be legitimate from ever being buffered.

use super::read_error::ReadError;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Parts (entries) an archive may have. Excel writes a dozen or two.
pub const MAX_PARTS: u64 = 10_000;
/// Uncompressed size of one part (a worksheet of a million rows is ~500 MB).
pub const MAX_PART_BYTES: u64 = 1 << 30;
/// Uncompressed size of all parts together.
pub const MAX_TOTAL_BYTES: u64 = 2 << 30;
/// Highest compression ratio of a part larger than [`RATIO_FLOOR`]. Excel's
/// worksheets compress 5–20:1; deflate tops out near 1032:1.
pub const MAX_RATIO: u64 = 100;
/// Parts up to this size may have any ratio.
pub const RATIO_FLOOR: u64 = 1 << 20;
pub use super::read_error::MAX_CELL_CHARS;
/// Bytes of XML text one cell may take (ten bytes a character: `&#x10FFFF;`).
pub const MAX_CELL_BYTES: u64 = 10 * MAX_CELL_CHARS as u64;
/// Bytes of one XML tag with its attributes.
pub const MAX_TAG_BYTES: u64 = 1 << 20;
/// Strings in the shared-string table (calamine keeps them all in memory).
pub const MAX_SHARED_STRINGS: u64 = 2_000_000;
/// Bytes of text in the shared-string table.
pub const MAX_SHARED_TEXT: u64 = 64 << 20;

/// How far to read the worksheets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Every part to its end.
    Full,
    /// Worksheets up to their `<sheetData>` (what is read to estimate the
    /// rows); every other part to its end.
    Head,
}

/// Checks the workbook at `path` against the limits above.
pub fn check(path: &Path, depth: Depth) -> Result<(), ReadError> {
    let mut file = File::open(path).map_err(|e| ReadError::io(None, &e))?;
    check_directory_size(&mut file)?;
    file.seek(SeekFrom::Start(0)).map_err(|e| ReadError::io(None, &e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|_| ReadError::Unrecognized)?;

    // Declared sizes first: nothing is decompressed if they are out of bounds.
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|_| ReadError::Unrecognized)?;
        let part = part_name(&entry.name().unwrap_or_default());
        let (size, packed) = (entry.size(), entry.compressed_size());
        check_part_size(&part, size, packed)?;
        total = total.saturating_add(size);
        if total > MAX_TOTAL_BYTES {
            return Err(ReadError::TotalTooLarge { limit: MAX_TOTAL_BYTES });
        }
    }

    // Then what the parts really hold.
    let mut scan = Scan::new(depth);
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|_| ReadError::Unrecognized)?;
        if entry.is_dir() {
            continue;
        }
        let part = part_name(&entry.name().unwrap_or_default());
        let (declared, packed) = (entry.size(), entry.compressed_size());
        scan.start_part(&part);
        let mut produced = 0u64;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The zip reader stops a part at its declared size.
                Err(e) if e.kind() == io::ErrorKind::InvalidData && e.to_string().contains("declared") => {
                    return Err(ReadError::SizeMismatch { part });
                }
                Err(_) => return Err(ReadError::Unrecognized),
            };
            produced += n as u64;
            total += n as u64;
            if produced > declared {
                return Err(ReadError::SizeMismatch { part });
            }
            check_part_size(&part, produced, packed)?;
            if total > MAX_TOTAL_BYTES {
                return Err(ReadError::TotalTooLarge { limit: MAX_TOTAL_BYTES });
            }
            if !scan.feed(buf.get(..n).unwrap_or_default())? {
                break;
            }
        }
    }
    Ok(())
}

fn check_part_size(part: &str, size: u64, packed: u64) -> Result<(), ReadError> {
    if size > MAX_PART_BYTES {
        return Err(ReadError::PartTooLarge {
            part: part.to_string(),
            limit: MAX_PART_BYTES,
        });
    }
    if size > RATIO_FLOOR && size / packed.max(1) > MAX_RATIO {
        return Err(ReadError::RatioTooHigh {
            part: part.to_string(),
            ratio: size / packed.max(1),
            limit: MAX_RATIO,
        });
    }
    Ok(())
}

/// A part as named to the user (who knows worksheets, not zip entries).
fn part_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.contains("worksheets/") {
        "工作表"
    } else if lower.contains("sharedstrings") {
        "共享字符串表"
    } else if lower.contains("styles") {
        "样式表"
    } else if lower.contains("workbook") {
        "工作簿目录"
    } else {
        "内部组成部分"
    }
    .to_string()
}

/// Refuses an archive whose central directory declares more than
/// [`MAX_PARTS`] entries or takes more than [`MAX_PARTS`] × 1 KiB, before
/// the zip reader builds its in-memory index of it.
fn check_directory_size(file: &mut File) -> Result<(), ReadError> {
    let io = |e: io::Error| ReadError::io(None, &e);
    let len = file.seek(SeekFrom::End(0)).map_err(io)?;
    // The end record is 22 bytes plus a comment of up to 65,535.
    let tail_len = len.min(22 + 65_535 + 20);
    file.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail).map_err(io)?;
    let Some(at) = memchr::memmem::rfind(&tail, b"PK\x05\x06") else {
        return Err(ReadError::Unrecognized);
    };
    let u16_at = |b: &[u8], i: usize| {
        b.get(i..i + 2)
            .map_or(0, |s| u64::from(u16::from_le_bytes([s[0], s[1]])))
    };
    let u32_at = |b: &[u8], i: usize| {
        b.get(i..i + 4)
            .map_or(0, |s| u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
    };
    let u64_at = |b: &[u8], i: usize| {
        b.get(i..i + 8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let eocd = tail.get(at..).unwrap_or_default();
    let mut entries = u16_at(eocd, 10);
    let mut dir_bytes = u32_at(eocd, 12);
    // Zip64: the locator sits just before the end record and points at the
    // zip64 end record, which has the real counts.
    if (entries == 0xFFFF || dir_bytes == 0xFFFF_FFFF)
        && let Some(loc) = at.checked_sub(20).and_then(|l| tail.get(l..at))
        && loc.starts_with(b"PK\x06\x07")
    {
        let offset = u64_at(loc, 8);
        if offset < len {
            let mut rec = [0u8; 56];
            file.seek(SeekFrom::Start(offset)).map_err(io)?;
            let n = file.read(&mut rec).map_err(io)?;
            let rec = rec.get(..n).unwrap_or_default();
            if rec.starts_with(b"PK\x06\x06") {
                entries = entries.max(u64_at(rec, 32));
                dir_bytes = dir_bytes.max(u64_at(rec, 40));
            }
        }
    }
    if entries > MAX_PARTS || dir_bytes > MAX_PARTS * 1024 {
        return Err(ReadError::TooManyParts { limit: MAX_PARTS });
    }
    Ok(())
}

/// Which string the scanner is inside.
#[derive(Clone, Copy, Debug)]
enum InString {
    No,
    /// The n-th (1-based) shared string.
    Shared(u64),
    /// An inline string.
    Inline,
}

/// A streaming scan of XML bytes: tags, text nodes and strings, each
/// measured without keeping more than the start of the current tag.
struct Scan {
    depth: Depth,
    part: String,
    /// Inside `<` … `>`.
    in_tag: bool,
    tag_len: u64,
    /// The first bytes of the current tag (enough for its name and the
    /// attributes read here).
    tag: Vec<u8>,
    last_tag_byte: u8,
    text_len: u64,
    string: InString,
    string_len: u64,
    shared: u64,
    shared_text: u64,
    /// The `r` of the last `<c>` start tag: "C7".
    cell: String,
    /// This part is done (its `<sheetData>` was reached in a [`Depth::Head`] scan).
    done: bool,
}

const TAG_KEEP: usize = 512;

impl Scan {
    fn new(depth: Depth) -> Scan {
        Scan {
            depth,
            part: String::new(),
            in_tag: false,
            tag_len: 0,
            tag: Vec::with_capacity(TAG_KEEP),
            last_tag_byte: 0,
            text_len: 0,
            string: InString::No,
            string_len: 0,
            shared: 0,
            shared_text: 0,
            cell: String::new(),
            done: false,
        }
    }

    fn start_part(&mut self, part: &str) {
        self.part = part.to_string();
        self.in_tag = false;
        self.tag_len = 0;
        self.tag.clear();
        self.text_len = 0;
        self.string = InString::No;
        self.string_len = 0;
        self.cell.clear();
        self.done = false;
    }

    /// Scans the next bytes of the part; false when the rest of the part
    /// need not be read.
    fn feed(&mut self, mut bytes: &[u8]) -> Result<bool, ReadError> {
        while !bytes.is_empty() && !self.done {
            if self.in_tag {
                let end = memchr::memchr(b'>', bytes);
                let body = bytes.get(..end.unwrap_or(bytes.len())).unwrap_or_default();
                self.tag_len += body.len() as u64;
                if self.tag_len > MAX_TAG_BYTES {
                    return Err(ReadError::TagTooLarge {
                        part: self.part.clone(),
                        limit: MAX_TAG_BYTES,
                    });
                }
                let room = TAG_KEEP.saturating_sub(self.tag.len());
                self.tag
                    .extend_from_slice(body.get(..room.min(body.len())).unwrap_or_default());
                if let Some(&last) = body.last() {
                    self.last_tag_byte = last;
                }
                match end {
                    Some(i) => {
                        self.in_tag = false;
                        self.end_tag()?;
                        bytes = bytes.get(i + 1..).unwrap_or_default();
                    }
                    None => bytes = &[],
                }
            } else {
                let end = memchr::memchr(b'<', bytes);
                let text = end.unwrap_or(bytes.len()) as u64;
                self.text(text)?;
                match end {
                    Some(i) => {
                        self.in_tag = true;
                        self.tag_len = 0;
                        self.tag.clear();
                        self.last_tag_byte = 0;
                        self.text_len = 0;
                        bytes = bytes.get(i + 1..).unwrap_or_default();
                    }
                    None => bytes = &[],
                }
            }
        }
        Ok(!self.done)
    }

    fn text(&mut self, n: u64) -> Result<(), ReadError> {
        if n == 0 {
            return Ok(());
        }
        self.text_len += n;
        match self.string {
            InString::No => {}
            InString::Shared(_) => {
                self.string_len += n;
                self.shared_text += n;
            }
            InString::Inline => self.string_len += n,
        }
        if self.text_len > MAX_CELL_BYTES || self.string_len > MAX_CELL_BYTES {
            return Err(ReadError::CellTooLarge {
                line: None,
                at: self.location(),
            });
        }
        if self.shared_text > MAX_SHARED_TEXT {
            return Err(ReadError::SharedTextTooLarge { limit: MAX_SHARED_TEXT });
        }
        Ok(())
    }

    /// Where the current text is, for the user: a cell, a shared string or a part.
    fn location(&self) -> String {
        match self.string {
            InString::Shared(n) => format!("共享字符串表第 {n} 项"),
            _ => match split_ref(&self.cell) {
                Some((col, row)) => format!("第 {row} 行 {col} 列"),
                None => format!("{}中", self.part),
            },
        }
    }

    fn end_tag(&mut self) -> Result<(), ReadError> {
        let tag = std::mem::take(&mut self.tag);
        let result = self.on_tag(&tag);
        self.tag = tag;
        result
    }

    fn on_tag(&mut self, tag: &[u8]) -> Result<(), ReadError> {
        let (closing, rest) = match tag.first() {
            Some(b'/') => (true, tag.get(1..).unwrap_or_default()),
            // Declarations, comments, CDATA, processing instructions.
            Some(b'?' | b'!') | None => return Ok(()),
            Some(_) => (false, tag),
        };
        let name_end = rest
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .unwrap_or(rest.len());
        let name = rest.get(..name_end).unwrap_or_default();
        // The local name, without a namespace prefix.
        let local = match memchr::memrchr(b':', name) {
            Some(i) => name.get(i + 1..).unwrap_or_default(),
            None => name,
        };
        let empty = self.last_tag_byte == b'/';
        if closing {
            if matches!(local, b"si" | b"is") {
                self.string = InString::No;
                self.string_len = 0;
            }
            return Ok(());
        }
        match local {
            b"si" => {
                self.shared += 1;
                if self.shared > MAX_SHARED_STRINGS {
                    return Err(ReadError::TooManyStrings {
                        limit: MAX_SHARED_STRINGS,
                    });
                }
                if !empty {
                    self.string = InString::Shared(self.shared);
                    self.string_len = 0;
                }
            }
            b"is" if !empty => {
                self.string = InString::Inline;
                self.string_len = 0;
            }
            b"c" => {
                self.cell = attribute(rest, b"r")
                    .map(|v| String::from_utf8_lossy(v).chars().take(16).collect())
                    .unwrap_or_default();
            }
            b"sst" => {
                // calamine reserves room for this many strings up front.
                let declared = attribute(rest, b"uniqueCount")
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .map(|v| v.trim().parse::<u64>().unwrap_or(u64::MAX));
                if declared.is_some_and(|n| n > MAX_SHARED_STRINGS) {
                    return Err(ReadError::TooManyStrings {
                        limit: MAX_SHARED_STRINGS,
                    });
                }
            }
            b"sheetData" if self.depth == Depth::Head => self.done = true,
            _ => {}
        }
        Ok(())
    }
}

/// The value of attribute `name` in the start of a tag (`c r="C7" t="s"`).
fn attribute<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut rest = tag;
    while let Some(i) = memchr::memmem::find(rest, name) {
        let before_ok = i > 0 && rest.get(i - 1).is_some_and(u8::is_ascii_whitespace);
        let after = rest.get(i + name.len()..).unwrap_or_default();
        let after_trim = after.trim_ascii_start();
        if before_ok && let Some(value) = after_trim.strip_prefix(b"=") {
            let value = value.trim_ascii_start();
            let quote = *value.first()?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let inner = value.get(1..)?;
            let end = memchr::memchr(quote, inner)?;
            return inner.get(..end);
        }
        rest = after;
    }
    None
}

/// "C7" → ("C", 7).
fn split_ref(r: &str) -> Option<(&str, u64)> {
    let digits = r.find(|c: char| c.is_ascii_digit())?;
    let (col, row) = r.split_at(digits);
    if col.is_empty() || !col.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some((col, row.parse().ok()?))
}

/// "A", "B", …, "Z", "AA" for a 0-based column.
pub fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(xml: &[u8], chunk: usize) -> Result<Scan, ReadError> {
        let mut s = Scan::new(Depth::Full);
        s.start_part("xl/worksheets/sheet1.xml");
        for piece in xml.chunks(chunk) {
            s.feed(piece)?;
        }
        Ok(s)
    }

    #[test]
    fn scanner_counts_strings_and_cells_across_chunk_boundaries() {
        let xml = br#"<?xml version="1.0"?><x:sst uniqueCount="2"><x:si><x:t>ab</x:t></x:si><si><r><t>c</t></r><r><t>d</t></r></si><si/></x:sst>"#;
        for chunk in [1, 3, 7, 4096] {
            let s = scan(xml, chunk).expect("scan");
            assert_eq!(s.shared, 3, "chunk {chunk}");
            assert_eq!(s.shared_text, 4, "chunk {chunk}");
        }
    }

    #[test]
    fn scanner_names_the_cell_of_an_oversized_inline_string() {
        let mut xml = br#"<sheetData><row r="5"><c r="C5" t="inlineStr"><is><r><t>"#.to_vec();
        // Runs of a single string add up.
        let run = vec![b'a'; 200_000];
        xml.extend_from_slice(&run);
        xml.extend_from_slice(b"</t></r><r><t>");
        xml.extend_from_slice(&run);
        let e = scan(&xml, 65_536).err().expect("refused");
        assert_eq!(
            e,
            ReadError::CellTooLarge {
                line: None,
                at: "第 5 行 C 列".into()
            }
        );
        assert!(e.to_string().contains("32767"), "{e}");
    }

    #[test]
    fn scanner_limits_tags_and_declared_counts() {
        let mut xml = b"<c r=\"A1\" x=\"".to_vec();
        xml.extend(std::iter::repeat_n(b'a', (MAX_TAG_BYTES + 1) as usize));
        assert!(matches!(scan(&xml, 65_536), Err(ReadError::TagTooLarge { .. })));
        let sst = format!("<sst count=\"1\" uniqueCount=\"{}\">", MAX_SHARED_STRINGS + 1);
        assert!(matches!(scan(sst.as_bytes(), 7), Err(ReadError::TooManyStrings { .. })));
        assert!(scan(b"<sst uniqueCount=\"12\"><si><t>a</t></si></sst>", 5).is_ok());
    }

    #[test]
    fn head_depth_stops_at_sheet_data() {
        let mut s = Scan::new(Depth::Head);
        s.start_part("xl/worksheets/sheet1.xml");
        assert!(s.feed(b"<worksheet><dimension ref=\"A1:B2\"/>").expect("scan"));
        assert!(!s.feed(b"<sheetData><row>").expect("scan"));
    }

    #[test]
    fn refs_and_letters() {
        assert_eq!(split_ref("AB12"), Some(("AB", 12)));
        assert_eq!(split_ref("12"), None);
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
        assert_eq!(attribute(b"c r=\"C7\" t=\"s\"", b"r"), Some(&b"C7"[..]));
        assert_eq!(attribute(b"c t=\"s\" r='D9'", b"r"), Some(&b"D9"[..]));
        assert_eq!(attribute(b"c xr=\"1\"", b"r"), None);
    }
}
