//! CSV and TSV: the RFC 4180 parser over decoded text.

use super::ReadError;
use super::header::{Rows, Source, find_header, wanted};
use super::text::{TextInput, open_text};
use super::{Cell, Format, Inner, MAX_FIELD_BYTES, Reader};
use std::io::{self, Read};
use std::path::Path;

// CSV

enum FieldEnd {
    Delimiter,
    Record,
    Eof,
}

/// RFC 4180 records: `delim`-separated fields, quoted fields with doubled quotes and line breaks,
/// CRLF, LF or CR line ends. Lenient where the RFC is silent: a quote inside an unquoted field and
/// text after a closing quote are kept as text.
pub(super) struct CsvSource<R> {
    input: TextInput<R>,
    delim: u8,
    /// Records started so far (blank lines included: Excel shows them as rows).
    record: u64,
    field: String,
    /// The last record ended on CR: a LF right after it belongs to that line end.
    skip_lf: bool,
}

impl<R: Read> CsvSource<R> {
    pub(super) fn new(input: TextInput<R>, delim: u8) -> Self {
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
pub(super) fn open_csv(path: &Path, layout: &super::Layout) -> Result<Reader, ReadError> {
    let mut comma_error = None;
    for delim in [b',', b'\t'] {
        let mut src = CsvSource::new(open_text(path)?, delim);
        match find_header(&mut src, layout) {
            Ok(header) => {
                return Ok(Reader {
                    format: Format::Csv,
                    header_line: header.line,
                    missing: header.missing,
                    columns: header.columns,
                    inner: Inner::Csv(Box::new(Rows::new(src, header.map, layout.names.len()))),
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

pub(super) fn csv_estimate(path: &Path) -> Result<Option<u64>, ReadError> {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;
    use encoding_rs::GB18030;

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
}
