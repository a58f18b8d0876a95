//! Attachments of reports and cases: which files are accepted (by extension
//! and by their first bytes, at most 10 MB) and how a stored one is listed.

use chrono::{DateTime, Utc};

/// The largest attachment accepted.
pub const MAX_FILE: usize = 10 * 1024 * 1024;

/// The attachment types accepted: (extension, MIME type, family of content).
const FILE_TYPES: &[(&str, &str, Magic)] = &[
    ("pdf", "application/pdf", Magic::Pdf),
    ("doc", "application/msword", Magic::Ole),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Magic::Zip,
    ),
    ("xls", "application/vnd.ms-excel", Magic::Ole),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Magic::Zip,
    ),
    ("jpg", "image/jpeg", Magic::Jpeg),
    ("jpeg", "image/jpeg", Magic::Jpeg),
    ("png", "image/png", Magic::Png),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Magic {
    Pdf,
    Ole,
    Zip,
    Jpeg,
    Png,
}

fn magic_of(bytes: &[u8]) -> Option<Magic> {
    if bytes.starts_with(b"%PDF-") {
        Some(Magic::Pdf)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Magic::Ole)
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some(Magic::Zip)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Magic::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(Magic::Png)
    } else {
        None
    }
}

/// Checks an attachment: its name's extension is one accepted, its content
/// (by its first bytes) is of that type, and it is at most 10 MB. Returns
/// the MIME type, or the reason in Chinese.
pub fn check_file(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let shown: String = name.chars().take(60).collect();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, mime, want)) = FILE_TYPES.iter().find(|(e, _, _)| *e == ext) else {
        return Err(format!(
            "附件“{shown}”的类型不能上传：只接受 PDF、Word（doc、docx）、Excel（xls、xlsx）和图片（jpg、png）文件"
        ));
    };
    if bytes.is_empty() {
        return Err(format!("附件“{shown}”是空文件"));
    }
    if bytes.len() > MAX_FILE {
        return Err(format!(
            "附件“{shown}”有{:.1}MB，超过10MB的上限，请压缩或拆分后上传",
            bytes.len() as f64 / 1024.0 / 1024.0
        ));
    }
    // A zip is an Office file only with the part of its kind.
    let zip_part = |part: &[u8]| bytes.windows(part.len()).any(|w| w == part);
    let ok = magic_of(bytes) == Some(*want)
        && match ext.as_str() {
            "docx" => zip_part(b"word/"),
            "xlsx" => zip_part(b"xl/"),
            _ => true,
        };
    if !ok {
        return Err(format!(
            "附件“{shown}”的内容不是{}文件（与扩展名不符），请检查后重新上传",
            ext.to_uppercase()
        ));
    }
    Ok(mime)
}

/// An attachment, without its content.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

impl FileRow {
    /// 1.2MB / 35KB.
    pub fn size_label(&self) -> String {
        if self.size >= 1024 * 1024 {
            format!("{:.1}MB", self.size as f64 / 1024.0 / 1024.0)
        } else {
            format!("{}KB", (self.size + 1023) / 1024)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_checked_by_content_and_size() {
        assert_eq!(check_file("情况.pdf", b"%PDF-1.7 ..."), Ok("application/pdf"));
        assert_eq!(check_file("图.PNG", b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(
            check_file("a.docx", b"PK\x03\x04....word/document.xml"),
            Ok(FILE_TYPES[2].1)
        );
        let e = check_file("a.xlsx", b"PK\x03\x04....word/document.xml").unwrap_err();
        assert!(e.contains("与扩展名不符"), "{e}");
        let e = check_file("病毒.exe", b"MZ....").unwrap_err();
        assert!(e.contains("类型不能上传"), "{e}");
        let e = check_file("假.pdf", b"MZ....").unwrap_err();
        assert!(e.contains("不是PDF文件"), "{e}");
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_FILE + 1, b' ');
        let e = check_file("大.pdf", &big).unwrap_err();
        assert!(e.contains("超过10MB"), "{e}");
    }
}
