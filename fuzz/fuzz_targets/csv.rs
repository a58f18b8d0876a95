//! The import reader on text files (CSV/TSV in UTF-8, UTF-16 or GB18030),
//! through its public functions on a file: never panics, every row has one
//! cell per template column, row numbers grow, refusals are in Chinese.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shiminhua_app::registry::import::{ImportKind, columns, read};
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile();
    file.as_file_mut().write_all(data).unwrap();
    read_all(file.path());
});

fn tempfile() -> TempFile {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "shiminhua-fuzz-csv-{}-{}.csv",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    TempFile(std::fs::File::create(&path).unwrap(), path)
}

struct TempFile(std::fs::File, std::path::PathBuf);

impl TempFile {
    fn as_file_mut(&mut self) -> &mut std::fs::File {
        &mut self.0
    }
    fn path(&self) -> &std::path::Path {
        &self.1
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.1);
    }
}

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
