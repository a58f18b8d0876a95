//! Hostile xlsx files for tests: workbooks that unpack to far more than they
//! weigh. Built in memory from raw deflate segments, so that a gigabyte of
//! XML costs a few milliseconds and about a megabyte to make.

use flate2::{Compress, Compression, Crc, FlushCompress};

/// One entry of a hand-made zip archive.
pub struct Part {
    pub name: String,
    /// The stored bytes (raw deflate when `deflated`).
    pub data: Vec<u8>,
    pub deflated: bool,
    pub crc: u32,
    /// The uncompressed size written into the headers (which may lie).
    pub declared: u64,
}

impl Part {
    /// A part compressed honestly.
    pub fn deflate(name: &str, bytes: &[u8]) -> Part {
        let mut data = segment(bytes);
        data.extend_from_slice(&FINAL_BLOCK);
        let mut crc = Crc::new();
        crc.update(bytes);
        Part {
            name: name.to_string(),
            data,
            deflated: true,
            crc: crc.sum(),
            declared: bytes.len() as u64,
        }
    }
}

/// An empty final deflate block: ends a stream of [`segment`]s.
pub const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// `bytes` as raw deflate blocks that refer to nothing before them and end
/// on a byte boundary (a sync flush), so that segments can be concatenated
/// and repeated.
pub fn segment(bytes: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::new(6), false);
    let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
    let mut input = bytes;
    loop {
        out.reserve(64 * 1024);
        let before = c.total_in();
        c.compress_vec(input, &mut out, FlushCompress::Sync).expect("deflate");
        let used = usize::try_from(c.total_in() - before).unwrap_or(0);
        input = input.get(used..).unwrap_or_default();
        if input.is_empty() && out.capacity() > out.len() {
            break;
        }
    }
    out
}

/// A deflated part of `prefix`, `repeat` × `unit`, `suffix` (declared honestly;
/// the CRC is left out when the part is too big to matter: the check fails
/// only at its end).
pub fn repeated(name: &str, prefix: &[u8], unit: &[u8], repeat: u64, suffix: &[u8]) -> Part {
    let mut data = segment(prefix);
    let seg = segment(unit);
    for _ in 0..repeat {
        data.extend_from_slice(&seg);
    }
    data.extend_from_slice(&segment(suffix));
    data.extend_from_slice(&FINAL_BLOCK);
    Part {
        name: name.to_string(),
        data,
        deflated: true,
        crc: 0,
        declared: prefix.len() as u64 + unit.len() as u64 * repeat + suffix.len() as u64,
    }
}

/// A zip archive of `parts` (sizes below 4 GiB).
pub fn zip(parts: &[Part]) -> Vec<u8> {
    let mut z = Vec::new();
    let mut central = Vec::new();
    for p in parts {
        let method: u16 = if p.deflated { 8 } else { 0 };
        let packed = u32::try_from(p.data.len()).expect("part under 4 GiB");
        let size = u32::try_from(p.declared).expect("part under 4 GiB");
        let name_len = u16::try_from(p.name.len()).expect("short name");
        let offset = u32::try_from(z.len()).expect("archive under 4 GiB");
        z.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        z.extend_from_slice(&20u16.to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(&method.to_le_bytes());
        z.extend_from_slice(&[0, 0, 0, 0]);
        z.extend_from_slice(&p.crc.to_le_bytes());
        z.extend_from_slice(&packed.to_le_bytes());
        z.extend_from_slice(&size.to_le_bytes());
        z.extend_from_slice(&name_len.to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(p.name.as_bytes());
        z.extend_from_slice(&p.data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0, 0]);
        central.extend_from_slice(&p.crc.to_le_bytes());
        central.extend_from_slice(&packed.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(p.name.as_bytes());
    }
    let cd_offset = u32::try_from(z.len()).expect("archive under 4 GiB");
    let cd_size = u32::try_from(central.len()).expect("directory under 4 GiB");
    let count = u16::try_from(parts.len()).expect("few parts");
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

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// The start of a worksheet up to the first data row's first cell.
pub const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row>"#;
/// The end of a worksheet.
pub const SHEET_TAIL: &str = "</sheetData></worksheet>";

/// A workbook of the given worksheet (and shared-string table).
pub fn workbook(sheet: Part, shared: Option<Part>) -> Vec<u8> {
    let mut parts = vec![
        Part::deflate("_rels/.rels", RELS.as_bytes()),
        Part::deflate("xl/workbook.xml", WORKBOOK.as_bytes()),
        Part::deflate("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
    ];
    parts.extend(shared);
    parts.push(sheet);
    zip(&parts)
}

/// A worksheet whose cell A2 is an inline string of `bytes` × 'a', followed
/// in B2 by `noise` bytes of pseudo-random letters (which do not compress,
/// and so bring the part's compression ratio down to what a real worksheet has).
pub fn inline_cell_bomb(bytes: u64, noise: usize) -> Vec<u8> {
    const MIB: u64 = 1 << 20;
    let head = format!(r#"{SHEET_HEAD}<row r="2"><c r="A2" t="inlineStr"><is><t>"#);
    let mut tail = String::from(r#"</t></is></c><c r="B2" t="inlineStr"><is><t>"#);
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..noise {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        tail.push(char::from(b'a' + (x % 26) as u8));
    }
    tail.push_str("</t></is></c></row>");
    tail.push_str(SHEET_TAIL);
    let unit = vec![b'a'; MIB as usize];
    let mut sheet = repeated(
        "xl/worksheets/sheet1.xml",
        head.as_bytes(),
        &unit,
        bytes / MIB,
        tail.as_bytes(),
    );
    // The rest below a mebibyte.
    let rest = usize::try_from(bytes % MIB).unwrap_or(0);
    if rest > 0 {
        let mut data = segment(head.as_bytes());
        let seg = segment(&unit);
        for _ in 0..bytes / MIB {
            data.extend_from_slice(&seg);
        }
        data.extend_from_slice(&segment(&vec![b'a'; rest]));
        data.extend_from_slice(&segment(tail.as_bytes()));
        data.extend_from_slice(&FINAL_BLOCK);
        sheet.data = data;
        sheet.declared += rest as u64;
    }
    workbook(sheet, None)
}

/// A shared-string table of `count` distinct short strings (`uniqueCount`
/// as `declared`, or the true count), used by a one-row sheet.
pub fn shared_strings_bomb(count: u64, declared: Option<u64>) -> Vec<u8> {
    let head = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{}">"#,
        declared.unwrap_or(count)
    );
    let mut c = Compress::new(Compression::fast(), false);
    let mut data = Vec::new();
    let mut crc = Crc::new();
    let mut size = 0u64;
    let mut feed = |bytes: &[u8], flush: FlushCompress, data: &mut Vec<u8>| {
        crc.update(bytes);
        size += bytes.len() as u64;
        let mut input = bytes;
        loop {
            data.reserve(256 * 1024);
            let before = c.total_in();
            let status = c.compress_vec(input, data, flush).expect("deflate");
            let used = usize::try_from(c.total_in() - before).unwrap_or(0);
            input = input.get(used..).unwrap_or_default();
            let done = match flush {
                FlushCompress::Finish => status == flate2::Status::StreamEnd,
                _ => input.is_empty() && data.capacity() > data.len(),
            };
            if done {
                break;
            }
        }
    };
    feed(head.as_bytes(), FlushCompress::None, &mut data);
    let mut chunk = String::with_capacity(1 << 20);
    for i in 0..count {
        chunk.push_str("<si><t>");
        chunk.push_str(&i.to_string());
        chunk.push_str("</t></si>");
        if chunk.len() > (1 << 20) - 64 {
            feed(chunk.as_bytes(), FlushCompress::None, &mut data);
            chunk.clear();
        }
    }
    chunk.push_str("</sst>");
    feed(chunk.as_bytes(), FlushCompress::Finish, &mut data);
    let shared = Part {
        name: "xl/sharedStrings.xml".into(),
        data,
        deflated: true,
        crc: crc.sum(),
        declared: size,
    };
    let sheet = format!(r#"{SHEET_HEAD}<row r="2"><c r="A2" t="s"><v>0</v></c></row>{SHEET_TAIL}"#);
    workbook(
        Part::deflate("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        Some(shared),
    )
}

/// A worksheet of `actual` bytes whose headers declare `declared`.
pub fn lying_size_bomb(actual: u64, declared: u64) -> Vec<u8> {
    let head = format!(r#"{SHEET_HEAD}<row r="2"><c r="A2" t="inlineStr"><is><t>"#);
    let tail = format!("</t></is></c></row>{SHEET_TAIL}");
    let unit = vec![b'a'; 1 << 10];
    let mut sheet = repeated(
        "xl/worksheets/sheet1.xml",
        head.as_bytes(),
        &unit,
        actual >> 10,
        tail.as_bytes(),
    );
    sheet.declared = declared;
    workbook(sheet, None)
}
