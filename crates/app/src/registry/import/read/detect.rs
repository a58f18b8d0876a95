//! Format detection: xlsx, text, or a file we explain we cannot read
//! (old .xls, encrypted workbooks, web pages saved as .xls).

use super::OLE_MAGIC;
use super::ReadError;
use super::xlsx::open_book;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

// Format detection

pub(super) enum Kind {
    Xlsx,
    Text,
}

pub(super) fn sniff(path: &Path) -> Result<Kind, ReadError> {
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
pub(super) fn read_full(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;

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
}
