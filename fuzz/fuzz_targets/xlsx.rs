//! The import reader on xlsx workbooks, through its public functions on a
//! file. The input is the worksheet XML, then (after a NUL byte) the shared
//! strings, then (after another) the styles; the target packs them into a
//! workbook with fixed package parts, stored uncompressed, so that the
//! mutations reach the XML reading rather than the zip checksums. Never
//! panics, every row has one cell per template column, row numbers grow,
//! refusals are in Chinese.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shiminhua_app::registry::import::{ImportKind, columns, read};
use std::io::Write;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="农民工名单" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let sheet = parts.next().unwrap_or_default();
    let strings = parts.next().unwrap_or_default();
    let styles = parts.next().unwrap_or_default();

    let path = std::env::temp_dir().join(format!("shiminhua-fuzz-xlsx-{}.xlsx", std::process::id()));
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in [
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("_rels/.rels", RELS.as_bytes()),
            ("xl/workbook.xml", WORKBOOK.as_bytes()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet),
            ("xl/sharedStrings.xml", strings),
            ("xl/styles.xml", styles),
        ] {
            zip.start_file(name, stored).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }
    read_all(&path);
    let _ = std::fs::remove_file(&path);
});

fn read_all(path: &std::path::Path) {
    let cols = columns(ImportKind::Workers);
    let headers: Vec<&str> = cols.iter().map(|c| c.header).collect();
    let required: Vec<bool> = cols.iter().map(|c| c.required).collect();
    let _ = read::estimate_rows(path);
    match read::open(path, &headers, &required) {
        Ok(reader) => {
            let mut last = 0;
            for row in reader.take(100_000) {
                match row {
                    Ok(r) => {
                        assert_eq!(r.cells.len(), headers.len());
                        assert!(r.line > last, "row numbers grow: {} after {last}", r.line);
                        last = r.line;
                    }
                    Err(e) => {
                        assert!(chinese(&e.to_string()), "{e}");
                        break;
                    }
                }
            }
        }
        Err(e) => assert!(chinese(&e.to_string()), "{e}"),
    }
}

fn chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}
