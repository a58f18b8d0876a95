//! Excel workbooks: exports, import templates, and streamed (constant-memory)
//! sheets for large exports and rejected import rows.

use crate::audit::AuditRow;
use crate::error::{AppError, AppResult};
use chrono::Duration;
use rust_xlsxwriter::{Color, DataValidation, Format, FormatAlign, FormatBorder, Formula, Note, Workbook};
use std::path::{Path, PathBuf};

fn err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// A text cell that a spreadsheet will not run as a formula: text starting
/// with = + - @ (or a tab/CR) gets a leading apostrophe.
pub fn safe(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Times are shown in China Standard Time.
pub fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    (t + Duration::hours(8)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The audit log as a workbook: one row per record, hashes included.
pub fn audit_workbook(rows: &[AuditRow]) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("审计日志").map_err(err)?;
    let bold = Format::new().set_bold();
    let headers = [
        "序号",
        "时间",
        "用户",
        "角色",
        "操作",
        "操作代码",
        "对象类型",
        "对象编号",
        "结果",
        "客户端地址",
        "详情",
        "哈希",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        ws.write_number(row, 0, r.id as f64).map_err(err)?;
        ws.write_string(row, 1, local_time(r.at)).map_err(err)?;
        // Names typed at the sign-in form, details and addresses come from
        // outside: none of them may reach a spreadsheet as a formula.
        ws.write_string(row, 2, safe(&r.actor_name)).map_err(err)?;
        ws.write_string(row, 3, safe(&r.role)).map_err(err)?;
        ws.write_string(row, 4, r.action_label()).map_err(err)?;
        ws.write_string(row, 5, safe(&r.action)).map_err(err)?;
        ws.write_string(row, 6, safe(&r.object_kind)).map_err(err)?;
        ws.write_string(row, 7, safe(&r.object_id)).map_err(err)?;
        ws.write_string(row, 8, if r.success { "成功" } else { "失败" })
            .map_err(err)?;
        ws.write_string(row, 9, safe(&r.client_addr)).map_err(err)?;
        ws.write_string(row, 10, safe(&r.detail)).map_err(err)?;
        ws.write_string(row, 11, crate::hex(&r.hash)).map_err(err)?;
    }
    ws.set_column_width(1, 20).map_err(err)?;
    ws.set_column_width(10, 40).map_err(err)?;
    ws.set_freeze_panes(1, 0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

/// Excel's last row, zero-based: a sheet holds rows 0..=1_048_575, that is one
/// header row and 1,048,575 data rows.
const LAST_ROW: u32 = 1_048_575;

/// Excel's limit on the characters (UTF-16 units) of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// Excel's limit on an inline validation list ("a,b,c"), commas included.
const MAX_INLINE_LIST: usize = 255;

/// The hidden sheet that holds long choice lists.
const CHOICES_SHEET: &str = "选项";

/// The visible sheet that explains the template.
const HELP_SHEET: &str = "填写说明";

fn col_num(c: usize) -> AppResult<u16> {
    u16::try_from(c)
        .ok()
        .filter(|c| *c < 16_384)
        .ok_or_else(|| AppError::Internal(format!("xlsx: column {c} beyond Excel's 16,384 columns")))
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Cuts text to Excel's 32,767-character cell limit.
fn clip(s: String) -> String {
    // UTF-8 never takes fewer bytes than UTF-16 takes units, so short strings pass at once.
    if s.len() <= MAX_CELL_CHARS {
        return s;
    }
    let mut units = 0;
    for (i, ch) in s.char_indices() {
        units += ch.len_utf16();
        if units > MAX_CELL_CHARS {
            return s[..i].to_string();
        }
    }
    s
}

/// One column of an import template.
pub struct TemplateColumn<'a> {
    /// The column title, e.g. "身份证号".
    pub header: &'a str,
    /// Shown as "*身份证号" (the importer strips the star), red and bold.
    pub required: bool,
    /// Chinese explanation shown as a note (comment) on the header cell; empty for none.
    pub note: String,
    /// Non-empty: a dropdown on the column's data cells (rows 2..=1,048,576 in Excel's numbering).
    pub choices: Vec<String>,
    /// The example row's value.
    pub example: String,
    /// Format the column's cells as text ("@"), so that Excel keeps ID numbers, phone numbers and codes intact.
    pub text: bool,
    /// Column width in Excel's character units.
    pub width: f64,
}

impl TemplateColumn<'_> {
    /// The header as shown in the template: required columns carry a leading star.
    fn shown_header(&self) -> String {
        if self.required {
            format!("*{}", self.header)
        } else {
            self.header.to_string()
        }
    }

    /// Whether the choices fit an inline list: at most 255 characters joined with
    /// commas (quotes doubled), and no choice itself holding a comma.
    fn inline_choices(&self) -> bool {
        let joined: usize = self
            .choices
            .iter()
            .map(|c| utf16_len(c) + c.matches('"').count())
            .sum::<usize>()
            + self.choices.len().saturating_sub(1);
        joined <= MAX_INLINE_LIST && !self.choices.iter().any(|c| c.contains(','))
    }
}

/// The note box for a header: wide enough for about 20 Chinese characters a
/// line, tall enough for the text.
fn header_note(text: &str) -> Note {
    let lines: u32 = text
        .split('\n')
        .map(|l| u32::try_from(utf16_len(l).div_ceil(20)).unwrap_or(u32::MAX).max(1))
        .fold(0, u32::saturating_add);
    Note::new(text)
        .add_author_prefix(false)
        .set_author("系统")
        .set_font_name("宋体")
        .set_font_size(10)
        .set_width(260)
        .set_height(lines.saturating_mul(17).saturating_add(14).clamp(60, 400))
}

/// The dropdown validation for a column, with a Chinese error alert.
fn dropdown(col: &TemplateColumn<'_>, list_range: Option<&str>) -> AppResult<DataValidation> {
    let dv = DataValidation::new();
    let dv = match list_range {
        Some(range) => dv.allow_list_formula(Formula::new(range)),
        None => dv.allow_list_strings(&col.choices).map_err(err)?,
    };
    let message = format!("请从下拉列表中选择“{}”的值，不要手工输入其他内容。", col.header);
    let message = if utf16_len(&message) <= 255 {
        message
    } else {
        "请从下拉列表中选择，不要手工输入其他内容。".to_string()
    };
    dv.set_error_title("输入的值不在可选范围内")
        .map_err(err)?
        .set_error_message(message)
        .map_err(err)
}

/// A template workbook: sheet 1 named `sheet` with the header row (row 1)
/// frozen, row 2 = the example row (grey italic), dropdowns, notes, text
/// columns; a second visible sheet "填写说明" listing each column with
/// 必填/选填, its note and its allowed values, plus the general `instructions`
/// (one line each). A choice list longer than Excel's 255-character limit for
/// inline lists (or holding a comma) goes to a hidden sheet "选项" and the
/// validation refers to that range.
pub fn template_workbook(sheet: &str, columns: &[TemplateColumn<'_>], instructions: &[&str]) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();

    // Which columns keep their choices on the hidden sheet, and where.
    let mut listed: Vec<(usize, String)> = Vec::new(); // (template column, range formula)
    for (i, col) in columns.iter().enumerate() {
        if !col.choices.is_empty() && !col.inline_choices() {
            let letter = rust_xlsxwriter::utility::column_number_to_name(col_num(listed.len())?);
            let last = u32::try_from(col.choices.len())
                .ok()
                .filter(|n| *n <= LAST_ROW)
                .ok_or_else(|| AppError::Internal(format!("xlsx: too many choices for {}", col.header)))?
                + 1;
            let sheet_ref = rust_xlsxwriter::utility::quote_sheet_name(CHOICES_SHEET);
            listed.push((i, format!("={sheet_ref}!${letter}$2:${letter}${last}")));
        }
    }

    let header = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xDD_EB_F7))
        .set_border(FormatBorder::Thin);
    let header_required = header.clone().set_font_color(Color::RGB(0xC0_00_00));
    // Excel's built-in "Text" format (id 49, "@"), as Excel itself stores it.
    let text = Format::new().set_num_format_index(49);
    let example = Format::new().set_italic().set_font_color(Color::RGB(0x80_80_80));
    let example_text = example.clone().set_num_format_index(49);

    // Sheet 1: the template itself.
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    for (i, col) in columns.iter().enumerate() {
        let c = col_num(i)?;
        ws.set_column_width(c, col.width).map_err(err)?;
        if col.text {
            ws.set_column_format(c, &text).map_err(err)?;
        }
        let fmt = if col.required { &header_required } else { &header };
        ws.write_string_with_format(0, c, col.shown_header(), fmt)
            .map_err(err)?;
        if !col.note.is_empty() {
            ws.insert_note(0, c, &header_note(&col.note)).map_err(err)?;
        }
        let fmt = if col.text { &example_text } else { &example };
        ws.write_string_with_format(1, c, clip(col.example.clone()), fmt)
            .map_err(err)?;
        if !col.choices.is_empty() {
            let range = listed.iter().find(|(j, _)| *j == i).map(|(_, r)| r.as_str());
            ws.add_data_validation(1, c, LAST_ROW, c, &dropdown(col, range)?)
                .map_err(err)?;
        }
    }
    ws.set_row_height(0, 22).map_err(err)?;
    ws.set_freeze_panes(1, 0).map_err(err)?;

    // Sheet 2: how to fill it in.
    let ws = wb.add_worksheet();
    ws.set_name(HELP_SHEET).map_err(err)?;
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let red_wrap = wrap.clone().set_font_color(Color::RGB(0xC0_00_00));
    let table_header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDD_EB_F7))
        .set_border(FormatBorder::Thin);
    for (c, w) in [6.0, 18.0, 10.0, 50.0, 50.0].into_iter().enumerate() {
        ws.set_column_width(col_num(c)?, w).map_err(err)?;
    }
    ws.write_string_with_format(0, 0, format!("《{sheet}》填写说明"), &title)
        .map_err(err)?;
    let mut row: u32 = 2;
    if !instructions.is_empty() {
        ws.write_string_with_format(row, 0, "填写要求", &bold).map_err(err)?;
        row += 1;
        for (n, line) in instructions.iter().enumerate() {
            ws.write_string(row, 0, clip(format!("{}. {line}", n + 1)))
                .map_err(err)?;
            row += 1;
        }
        row += 1;
    }
    ws.write_string_with_format(row, 0, "各列说明", &bold).map_err(err)?;
    row += 1;
    for (c, h) in ["序号", "列名", "是否必填", "填写说明", "可选值"].iter().enumerate() {
        ws.write_string_with_format(row, col_num(c)?, *h, &table_header)
            .map_err(err)?;
    }
    row += 1;
    for (n, col) in columns.iter().enumerate() {
        ws.write_number_with_format(row, 0, (n + 1) as f64, &wrap)
            .map_err(err)?;
        ws.write_string_with_format(row, 1, col.header, &wrap).map_err(err)?;
        if col.required {
            ws.write_string_with_format(row, 2, "必填", &red_wrap).map_err(err)?;
        } else {
            ws.write_string_with_format(row, 2, "选填", &wrap).map_err(err)?;
        }
        ws.write_string_with_format(row, 3, clip(col.note.clone()), &wrap)
            .map_err(err)?;
        let allowed = if col.choices.is_empty() {
            String::new()
        } else {
            format!("{}（请从下拉列表中选择）", col.choices.join("、"))
        };
        ws.write_string_with_format(row, 4, clip(allowed), &wrap).map_err(err)?;
        row += 1;
    }

    // Sheet 3 (hidden): the long choice lists, one column each, titled by the template column.
    if !listed.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(CHOICES_SHEET).map_err(err)?;
        ws.set_hidden(true);
        for (k, (i, _)) in listed.iter().enumerate() {
            let c = col_num(k)?;
            let col = &columns[*i];
            ws.set_column_width(c, 20).map_err(err)?;
            ws.write_string_with_format(0, c, col.header, &bold).map_err(err)?;
            for (r, choice) in col.choices.iter().enumerate() {
                // The count was checked against LAST_ROW above.
                let r = u32::try_from(r + 1).map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
                ws.write_string(r, c, clip(choice.clone())).map_err(err)?;
            }
        }
    }

    wb.save_to_buffer().map_err(err)
}

/// A cell value for streamed rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum XCell<'a> {
    /// Text from outside, defused: see [`safe`].
    Text(&'a str),
    /// Text exactly as a user typed it ("-500", "=A1"), written as a string
    /// cell: a spreadsheet shows it as text and never runs it as a formula.
    /// For workbooks that are corrected and uploaded again.
    Typed(&'a str),
    Number(f64),
    /// An Excel serial day number, shown as a date (yyyy-mm-dd).
    Date(f64),
    Empty,
}

/// Writes one worksheet row by row in rust_xlsxwriter's constant-memory mode,
/// so that an export of 1,000,000 rows uses a few MB of memory. Cell data goes
/// to an anonymous temporary file in the target's directory (removed by the
/// system even if the stream is dropped unfinished); `finish` writes the
/// workbook to the target path, which the caller owns.
pub struct XlsxStream {
    wb: Workbook,
    date: Format,
    path: PathBuf,
    /// Data rows written so far (the header not counted).
    rows: u64,
    /// A generous estimate of the sheet XML's size, to switch on ZIP64 when needed.
    xml_bytes: u64,
}

/// Above this estimated sheet XML size the zip container uses ZIP64 (the
/// plain format ends at 4 GiB).
const ZIP64_FROM: u64 = 3_500_000_000;

impl XlsxStream {
    /// `title`: the sheet name; `headers` bold in row 1, frozen; `widths` per column.
    pub fn create(path: &Path, title: &str, headers: &[&str], widths: &[f64]) -> AppResult<XlsxStream> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut wb = Workbook::new();
        wb.set_tempdir(dir).map_err(err)?;
        let bold = Format::new().set_bold();
        let ws = wb.add_worksheet_with_constant_memory().map_err(err)?;
        ws.set_name(title).map_err(err)?;
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(col_num(c)?, *w).map_err(err)?;
        }
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, col_num(c)?, clip(safe(h)), &bold)
                .map_err(err)?;
        }
        ws.set_freeze_panes(1, 0).map_err(err)?;
        Ok(XlsxStream {
            wb,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            path: path.to_path_buf(),
            rows: 0,
            xml_bytes: 4096 + 128 * headers.len() as u64,
        })
    }

    /// Appends one row. Text goes through [`safe`] (formula neutralising),
    /// typed text is written as it is (as a string cell), and both are cut
    /// to Excel's 32,767 characters a cell. Errors with a Chinese
    /// message if the sheet would exceed 1,048,575 data rows.
    pub fn row(&mut self, cells: &[XCell<'_>]) -> AppResult<()> {
        if self.rows >= u64::from(LAST_ROW) {
            return Err(AppError::Conflict(format!(
                "导出的数据超过 Excel 单个工作表的上限（{} 行），请缩小查询范围后分批导出。",
                "1,048,575"
            )));
        }
        let row = u32::try_from(self.rows + 1).map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
        let ws = self.wb.worksheet_from_index(0).map_err(err)?;
        let mut bytes: u64 = 64;
        for (c, cell) in cells.iter().enumerate() {
            match cell {
                XCell::Text(s) if !s.is_empty() => {
                    let s = clip(safe(s));
                    let escaped = s.bytes().filter(|b| matches!(b, b'&' | b'<' | b'>' | b'"')).count();
                    bytes += 96 + s.len() as u64 + 5 * escaped as u64;
                    ws.write_string(row, col_num(c)?, s).map_err(err)?;
                }
                XCell::Typed(s) if !s.is_empty() => {
                    let s = clip((*s).to_string());
                    let escaped = s.bytes().filter(|b| matches!(b, b'&' | b'<' | b'>' | b'"')).count();
                    bytes += 96 + s.len() as u64 + 5 * escaped as u64;
                    ws.write_string(row, col_num(c)?, s).map_err(err)?;
                }
                XCell::Number(n) => {
                    bytes += 80;
                    ws.write_number(row, col_num(c)?, *n).map_err(err)?;
                }
                XCell::Date(n) => {
                    bytes += 96;
                    ws.write_number_with_format(row, col_num(c)?, *n, &self.date)
                        .map_err(err)?;
                }
                XCell::Text(_) | XCell::Typed(_) | XCell::Empty => {}
            }
        }
        self.rows += 1;
        self.xml_bytes += bytes;
        Ok(())
    }

    /// Data rows written so far (the header row not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the file; returns its size in bytes.
    pub fn finish(mut self) -> AppResult<u64> {
        if self.xml_bytes > ZIP64_FROM {
            self.wb.use_zip_large_file(true);
        }
        self.wb.save(&self.path).map_err(err)?;
        // Exports and rejected rows carry personal data: owner only.
        crate::staging::restrict(&self.path)
            .map_err(|e| AppError::Internal(format!("xlsx: {}: {e}", self.path.display())))?;
        std::fs::metadata(&self.path)
            .map(|m| m.len())
            .map_err(|e| AppError::Internal(format!("xlsx: {}: {e}", self.path.display())))
    }
}

/// Every sheet of a workbook as text, by name in the workbook's order: each
/// row's cells as shown in plain form (numbers without formatting, empty
/// cells as ""). For checking a workbook this program wrote.
pub fn sheets_as_text(bytes: &[u8]) -> AppResult<Vec<(String, Vec<Vec<String>>)>> {
    use calamine::{Data, Reader, Xlsx};
    let mut book =
        Xlsx::new(std::io::Cursor::new(bytes.to_vec())).map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
        let (rows, cols) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
        let mut table = Vec::with_capacity(rows as usize);
        for r in 0..rows {
            let row = (0..cols)
                .map(|c| match range.get_value((r, c)) {
                    None | Some(Data::Empty) => String::new(),
                    Some(Data::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect();
            table.push(row);
        }
        out.push((name, table));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for bad in ["=1+1", "+86", "-2", "@SUM(A1)", "\t=x"] {
            assert!(safe(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(safe("王小红"), "王小红");
        assert_eq!(safe(""), "");
    }

    /// A failed sign-in records the user name as typed; in the export it
    /// must not look like a formula to a spreadsheet.
    #[test]
    fn the_audit_export_neutralises_formulas() {
        let row = AuditRow {
            id: 1,
            at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            at_micros: 1_700_000_000_000_000,
            actor_id: None,
            actor_name: "=HYPERLINK(\"http://x\",\"点击\")".into(),
            role: "+role".into(),
            action: "login".into(),
            object_kind: "-kind".into(),
            object_id: "@id".into(),
            success: false,
            client_addr: "=1+1".into(),
            detail: "=cmd|' /C calc'!A0".into(),
            prev_hash: vec![0; 32],
            hash: vec![1; 32],
            key_id: None,
        };
        let bytes = audit_workbook(&[row]).unwrap();
        let mut book = open(&bytes);
        let range = book.worksheet_range("审计日志").unwrap();
        for col in [2, 3, 6, 7, 9, 10] {
            let v = text(&range, 1, col);
            assert!(v.starts_with('\''), "column {col}: {v}");
        }
        assert_eq!(text(&range, 1, 2), "'=HYPERLINK(\"http://x\",\"点击\")");
    }

    use crate::testing::TempDir;
    use calamine::{Data, Reader, SheetVisible, Xlsx};
    use std::io::Cursor;

    fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
        Xlsx::new(Cursor::new(bytes.to_vec())).expect("a readable xlsx")
    }

    fn text(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
        match range.get_value((row, col)) {
            Some(Data::String(s)) => s.clone(),
            Some(Data::Empty) | None => String::new(),
            Some(other) => panic!("({row},{col}) is not text: {other:?}"),
        }
    }

    /// One part of the zip container as text, read with the `unzip` tool
    /// (the crate has no zip reader of its own). `None` when the tool is
    /// missing — except under `CI=true`, where that fails the test.
    fn zip_part(bytes: &[u8], part: &str) -> Option<String> {
        let dir = TempDir::new("xlsx-part");
        let file = dir.0.join("book.xlsx");
        std::fs::write(&file, bytes).expect("write");
        match std::process::Command::new("unzip")
            .arg("-p")
            .arg(&file)
            .arg(part)
            .output()
        {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "unzip {part}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                Some(String::from_utf8(out.stdout).expect("utf-8 XML"))
            }
            Err(e) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "unzip is required under CI: {e}"
                );
                eprintln!("unzip 不可用，跳过 XML 检查：{e}");
                None
            }
        }
    }

    fn townships() -> Vec<String> {
        (1..=120).map(|n| format!("第{n}号乡镇")).collect()
    }

    fn sample_template() -> Vec<u8> {
        let columns = [
            TemplateColumn {
                header: "姓名",
                required: true,
                note: "填写身份证上的姓名。".into(),
                choices: vec![],
                example: "王小红".into(),
                text: false,
                width: 12.0,
            },
            TemplateColumn {
                header: "身份证号",
                required: true,
                note: "18 位居民身份证号码，末位可为 X。".into(),
                choices: vec![],
                example: "110101199003070012".into(),
                text: true,
                width: 22.0,
            },
            TemplateColumn {
                header: "性别",
                required: false,
                note: String::new(),
                choices: vec!["男".into(), "女".into()],
                example: "女".into(),
                text: false,
                width: 8.0,
            },
            TemplateColumn {
                header: "所属乡镇",
                required: true,
                note: "现居住地所在乡镇（街道）。".into(),
                choices: townships(),
                example: "第3号乡镇".into(),
                text: false,
                width: 16.0,
            },
        ];
        template_workbook("农民工信息", &columns, &["第 2 行为示例，导入前请删除。", "每人一行。"]).expect("template")
    }

    #[test]
    fn template_sheets_headers_and_example_row() {
        let bytes = sample_template();
        let mut book = open(&bytes);
        let sheets: Vec<(String, SheetVisible)> = book
            .sheets_metadata()
            .iter()
            .map(|s| (s.name.clone(), s.visible))
            .collect();
        assert_eq!(
            sheets,
            [
                ("农民工信息".to_string(), SheetVisible::Visible),
                (HELP_SHEET.to_string(), SheetVisible::Visible),
                (CHOICES_SHEET.to_string(), SheetVisible::Hidden),
            ]
        );

        let main = book.worksheet_range("农民工信息").expect("main sheet");
        let headers: Vec<String> = (0..4).map(|c| text(&main, 0, c)).collect();
        assert_eq!(headers, ["*姓名", "*身份证号", "性别", "*所属乡镇"]);
        let example: Vec<String> = (0..4).map(|c| text(&main, 1, c)).collect();
        assert_eq!(example, ["王小红", "110101199003070012", "女", "第3号乡镇"]);
        assert_eq!(main.height(), 2, "header and example row only");

        // Styles: required headers red and bold, the example grey italic, ID numbers as text.
        let styles = book.worksheet_style("农民工信息").expect("styles");
        let font = |r, c| styles.get((r, c)).and_then(|s| s.font.clone()).expect("font");
        assert!(font(0, 0).is_bold() && font(0, 2).is_bold());
        assert_eq!(font(0, 0).color.map(|c| c.to_argb() & 0xFF_FFFF), Some(0xC0_0000));
        assert_ne!(font(0, 2).color.map(|c| c.to_argb() & 0xFF_FFFF), Some(0xC0_0000));
        assert!(font(1, 0).is_italic());
        let num_fmt = |r, c| {
            styles
                .get((r, c))
                .and_then(|s| s.number_format.clone())
                .map(|f| f.format_code)
                .unwrap_or_default()
        };
        assert_eq!(num_fmt(1, 1), "@", "the ID column's example is text");
        assert_ne!(num_fmt(1, 0), "@");
    }

    #[test]
    fn template_help_sheet_lists_columns_and_instructions() {
        let bytes = sample_template();
        let mut book = open(&bytes);
        let help = book.worksheet_range(HELP_SHEET).expect("help sheet");
        let all: Vec<String> = help.rows().map(|r| r[0].to_string()).collect();
        assert!(all.contains(&"1. 第 2 行为示例，导入前请删除。".to_string()), "{all:?}");
        assert!(all.contains(&"2. 每人一行。".to_string()), "{all:?}");
        let row_of = |name: &str| {
            (0..help.height() as u32)
                .find(|r| text(&help, *r, 1) == name)
                .unwrap_or_else(|| panic!("no row for {name}"))
        };
        let r = row_of("身份证号");
        assert_eq!(text(&help, r, 2), "必填");
        assert_eq!(text(&help, r, 3), "18 位居民身份证号码，末位可为 X。");
        let r = row_of("性别");
        assert_eq!(text(&help, r, 2), "选填");
        assert!(text(&help, r, 4).starts_with("男、女"), "{}", text(&help, r, 4));
        let r = row_of("所属乡镇");
        assert!(text(&help, r, 4).contains("第120号乡镇"));
    }

    #[test]
    fn template_long_choices_go_to_the_hidden_sheet() {
        let bytes = sample_template();
        let mut book = open(&bytes);
        let choices = book.worksheet_range(CHOICES_SHEET).expect("choices sheet");
        assert_eq!(text(&choices, 0, 0), "所属乡镇");
        let listed: Vec<String> = (1..=120).map(|r| text(&choices, r, 0)).collect();
        assert_eq!(listed, townships());
        assert_eq!(choices.height(), 121, "only the long list is on the hidden sheet");

        let Some(sheet) = zip_part(&bytes, "xl/worksheets/sheet1.xml") else {
            return;
        };
        // The long list refers to the hidden sheet; the short one is inline.
        assert!(
            sheet.contains("sqref=\"D2:D1048576\"><formula1>选项!$A$2:$A$121</formula1>"),
            "{sheet}"
        );
        assert!(
            sheet.contains("sqref=\"C2:C1048576\"><formula1>\"男,女\"</formula1>"),
            "{sheet}"
        );
        assert_eq!(sheet.matches("<dataValidation ").count(), 2);
        assert!(sheet.contains("请从下拉列表中选择“性别”的值"));
        // Text columns carry the "@" style on the column itself, so typed-in IDs stay text.
        assert!(sheet.contains("<col min=\"2\" max=\"2\""), "{sheet}");
        let styles = zip_part(&bytes, "xl/styles.xml").expect("styles part");
        assert!(
            styles.contains("<xf numFmtId=\"49\""),
            "built-in text format present: {styles}"
        );
        assert!(sheet.contains("<pane ySplit=\"1\""), "header frozen");

        let notes = zip_part(&bytes, "xl/comments1.xml").expect("notes part");
        assert!(notes.contains("18 位居民身份证号码，末位可为 X。"));
        assert!(notes.contains("<comment ref=\"B1\""));
        assert!(!notes.contains("<comment ref=\"C1\""), "empty notes are left out");
    }

    #[test]
    fn template_short_lists_stay_inline() {
        let columns = [TemplateColumn {
            header: "文化程度",
            required: false,
            note: String::new(),
            choices: vec!["小学".into(), "初中".into(), "高中".into()],
            example: "初中".into(),
            text: false,
            width: 10.0,
        }];
        let bytes = template_workbook("名册", &columns, &[]).expect("template");
        let book = open(&bytes);
        assert_eq!(book.sheet_names(), ["名册", HELP_SHEET]);
    }

    #[test]
    fn template_comma_in_a_choice_uses_the_hidden_sheet() {
        let col = TemplateColumn {
            header: "单位",
            required: false,
            note: String::new(),
            choices: vec!["甲,乙".into()],
            example: String::new(),
            text: false,
            width: 10.0,
        };
        assert!(!col.inline_choices());
        let just_fits = TemplateColumn {
            choices: vec!["一".repeat(255)],
            ..col
        };
        assert!(just_fits.inline_choices());
        let too_long = TemplateColumn {
            choices: vec!["一".repeat(128), "二".repeat(127)],
            ..just_fits
        };
        assert!(!too_long.inline_choices(), "256 with the comma");
    }

    fn read_file(path: &Path, sheet: &str) -> calamine::Range<Data> {
        let mut book: Xlsx<_> = calamine::open_workbook(path).expect("open");
        book.worksheet_range(sheet).expect("sheet")
    }

    #[test]
    fn stream_round_trip() {
        let dir = TempDir::new("xlsx-stream");
        let path = dir.0.join("out.xlsx");
        let mut s = XlsxStream::create(&path, "导出", &["姓名", "数量", "备注"], &[12.0, 8.0, 30.0]).expect("create");
        s.row(&[XCell::Text("王小红"), XCell::Number(2.5), XCell::Text("=1+1")])
            .expect("row");
        s.row(&[XCell::Text("李四"), XCell::Empty, XCell::Text("")])
            .expect("row");
        s.row(&[XCell::Text("+86 138"), XCell::Number(-3.0), XCell::Text("a<b&\"c\"")])
            .expect("row");
        assert_eq!(s.rows(), 3);
        let size = s.finish().expect("finish");
        assert_eq!(size, std::fs::metadata(&path).expect("file").len());
        assert!(size > 0);
        // Only the workbook is left in the directory: the cell data went to an anonymous temp file.
        let names: Vec<_> = std::fs::read_dir(&dir.0)
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["out.xlsx"]);

        let range = read_file(&path, "导出");
        assert_eq!(range.get_size(), (4, 3));
        let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        let t = |s: &str| Data::String(s.to_string());
        assert_eq!(
            rows,
            [
                vec![t("姓名"), t("数量"), t("备注")],
                vec![t("王小红"), Data::Float(2.5), t("'=1+1")],
                vec![t("李四"), Data::Empty, Data::Empty],
                vec![t("'+86 138"), Data::Float(-3.0), t("a<b&\"c\"")],
            ]
        );
    }

    #[test]
    fn typed_cells_keep_what_was_typed_and_are_never_formulas() {
        let dir = TempDir::new("xlsx-typed");
        let path = dir.0.join("typed.xlsx");
        let mut s =
            XlsxStream::create(&path, "未导入的行", &["月工资", "备注", "入职日期"], &[8.0; 3]).expect("create");
        s.row(&[XCell::Typed("-500"), XCell::Typed("=SUM(A1:A9)"), XCell::Date(44990.0)])
            .expect("row");
        s.row(&[XCell::Number(-500.0), XCell::Typed("+86 138"), XCell::Typed("")])
            .expect("row");
        s.finish().expect("finish");
        let range = read_file(&path, "未导入的行");
        let rows: Vec<Vec<Data>> = range.rows().skip(1).map(<[Data]>::to_vec).collect();
        let t = |s: &str| Data::String(s.to_string());
        assert_eq!(rows[0][0], t("-500"));
        assert_eq!(rows[0][1], t("=SUM(A1:A9)"));
        match &rows[0][2] {
            Data::DateTime(d) => assert_eq!(d.as_f64(), 44990.0),
            other => panic!("not a date cell: {other:?}"),
        }
        assert_eq!(rows[1][..2], [Data::Float(-500.0), t("+86 138")]);
        // Written as string cells: the sheet holds no formula at all.
        let bytes = std::fs::read(&path).expect("read");
        if let Some(sheet) = zip_part(&bytes, "xl/worksheets/sheet1.xml") {
            assert!(
                sheet.contains("-500") && !sheet.contains("<f>") && !sheet.contains("<f "),
                "{sheet}"
            );
        }
    }

    #[test]
    fn stream_refuses_more_rows_than_excel_holds() {
        let dir = TempDir::new("xlsx-limit");
        let path = dir.0.join("out.xlsx");
        let mut s = XlsxStream::create(&path, "导出", &["编号"], &[10.0]).expect("create");
        s.row(&[XCell::Number(1.0)]).expect("first row");
        // Skip ahead: constant-memory rows only need to be in order.
        s.rows = u64::from(LAST_ROW) - 1;
        s.row(&[XCell::Text("最后一行")]).expect("Excel's last row is allowed");
        assert_eq!(s.rows(), 1_048_575);
        match s.row(&[XCell::Text("多出的一行")]) {
            Err(AppError::Conflict(m)) => assert!(m.contains("1,048,575"), "{m}"),
            other => panic!("expected a row-limit error, got {other:?}"),
        }
        assert_eq!(s.rows(), 1_048_575);
        s.finish().expect("finish");
        let range = read_file(&path, "导出");
        assert_eq!(range.get_value((1, 0)), Some(&Data::Float(1.0)));
        assert_eq!(range.get_value((1_048_575, 0)), Some(&Data::String("最后一行".into())));
    }

    #[test]
    fn stream_is_send_and_clips_long_text() {
        fn assert_send<T: Send>() {}
        assert_send::<XlsxStream>();
        let long = "长".repeat(40_000);
        assert_eq!(utf16_len(&clip(long)), MAX_CELL_CHARS);
        let emoji = "😀".repeat(20_000); // two UTF-16 units each
        assert_eq!(utf16_len(&clip(emoji)), MAX_CELL_CHARS - 1);
    }

    fn peak_rss_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    #[test]
    #[ignore = "slow: writes 1,000,000 rows; run in release with --ignored --nocapture"]
    fn stream_million_rows() {
        let dir = TempDir::new("xlsx-million");
        let path = dir.0.join("million.xlsx");
        let headers = [
            "序号",
            "姓名",
            "身份证号",
            "性别",
            "出生日期",
            "手机号",
            "现居住地",
            "户籍地",
            "工资",
            "备注",
        ];
        let before = peak_rss_kib();
        let start = std::time::Instant::now();
        let mut s = XlsxStream::create(&path, "导出", &headers, &[12.0; 10]).expect("create");
        for i in 0..1_000_000u32 {
            let name = format!("测试人员{i}");
            let id = format!("1101011990{:08}", i);
            let phone = format!("138{:08}", i);
            let place = format!("某某县第{}号乡镇第{}村", i % 120, i % 37);
            s.row(&[
                XCell::Number(f64::from(i)),
                XCell::Text(&name),
                XCell::Text(&id),
                XCell::Text(if i % 2 == 0 { "男" } else { "女" }),
                XCell::Text("1990-03-07"),
                XCell::Text(&phone),
                XCell::Text(&place),
                XCell::Text("河南省周口市"),
                XCell::Number(3500.0 + f64::from(i % 1000)),
                XCell::Text(if i % 10 == 0 { "=备注" } else { "" }),
            ])
            .expect("row");
        }
        let size = s.finish().expect("finish");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "1,000,000 rows x 10 columns: {secs:.1} s, file {:.1} MB, peak RSS {} KiB (before: {} KiB)",
            size as f64 / 1e6,
            peak_rss_kib().map_or("?".into(), |k| k.to_string()),
            before.map_or("?".into(), |k| k.to_string()),
        );
        assert!(size > 10_000_000);
    }
}
