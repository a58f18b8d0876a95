//! Why an uploaded file cannot be read, in one sentence for the user.

use std::fmt;
use std::io;

/// Characters of one Excel cell.
pub const MAX_CELL_CHARS: usize = 32_767;
/// The header must be among this many non-empty rows at the top of the file.
pub(crate) const HEADER_SCAN_ROWS: usize = 20;
/// Template columns listed in full in an error message; more are summarised.
const LIST_LIMIT: usize = 12;

/// Why a file cannot be read. `Display` gives one sentence for the user;
/// `Debug` also shows the technical detail for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The file has no bytes, or no row with anything in it.
    Empty,
    /// Neither an xlsx workbook nor text (binary data, a Word file, a zip that is not xlsx, a corrupt xlsx).
    Unrecognized,
    /// A legacy Excel 97–2003 (.xls) workbook.
    OldXls,
    /// A workbook protected by an opening password.
    Encrypted,
    /// A web page or XML file, such as the "xls" many systems export.
    WebPage,
    /// No row among the first ones looks like the template's header.
    WrongTemplate { expected: Vec<String> },
    /// The header row lacks required columns.
    MissingColumns { line: u64, columns: Vec<String> },
    /// A quoted CSV field that starts in this record is never closed.
    UnclosedQuote { line: u64 },
    /// A CSV field in this record is longer than any spreadsheet cell can be.
    CellTooLong { line: u64 },
    /// The file could not be read beyond this row (truncated or damaged).
    Corrupt { line: u64, detail: String },
    /// The file could not be read from disk.
    Io { line: Option<u64>, detail: String },
    /// An xlsx archive with more parts than [`guard::MAX_PARTS`].
    TooManyParts { limit: u64 },
    /// A part of an xlsx archive unpacks to more than the limit.
    PartTooLarge { part: String, limit: u64 },
    /// The parts of an xlsx archive together unpack to more than the limit.
    TotalTooLarge { limit: u64 },
    /// A part of an xlsx archive is compressed more than the limit allows.
    RatioTooHigh { part: String, ratio: u64, limit: u64 },
    /// A part of an xlsx archive unpacks to more than its declared size.
    SizeMismatch { part: String },
    /// An XML tag longer than the limit.
    TagTooLarge { part: String, limit: u64 },
    /// A cell over Excel's 32,767 characters; `at` says where ("第 5 行 C 列").
    CellTooLarge { line: Option<u64>, at: String },
    /// More shared strings than the limit.
    TooManyStrings { limit: u64 },
    /// More bytes of shared-string text than the limit.
    SharedTextTooLarge { limit: u64 },
}

impl ReadError {
    /// The row the problem is in, where there is one.
    pub fn line(&self) -> Option<u64> {
        match self {
            ReadError::MissingColumns { line, .. }
            | ReadError::UnclosedQuote { line }
            | ReadError::CellTooLong { line }
            | ReadError::Corrupt { line, .. } => Some(*line),
            ReadError::Io { line, .. } | ReadError::CellTooLarge { line, .. } => *line,
            ReadError::TooManyParts { .. }
            | ReadError::PartTooLarge { .. }
            | ReadError::TotalTooLarge { .. }
            | ReadError::RatioTooHigh { .. }
            | ReadError::SizeMismatch { .. }
            | ReadError::TagTooLarge { .. }
            | ReadError::TooManyStrings { .. }
            | ReadError::SharedTextTooLarge { .. }
            | ReadError::Empty
            | ReadError::Unrecognized
            | ReadError::OldXls
            | ReadError::Encrypted
            | ReadError::WebPage
            | ReadError::WrongTemplate { .. } => None,
        }
    }

    pub(crate) fn io(line: Option<u64>, e: &io::Error) -> ReadError {
        ReadError::Io {
            line,
            detail: e.to_string(),
        }
    }
}

/// A size in bytes as shown to the user: "1024 MB", "320 KB".
fn size_label(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MB", n >> 20)
    } else {
        format!("{} KB", n >> 10)
    }
}

/// "甲、乙、丙", summarised after `LIST_LIMIT` names.
fn list_names(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(LIST_LIMIT).map(String::as_str).collect();
    let mut s = shown.join("、");
    if names.len() > LIST_LIMIT {
        s.push_str(&format!(" 等 {} 列", names.len()));
    }
    s
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Empty => write!(f, "文件是空的，没有找到任何数据，请检查后重新上传"),
            ReadError::Unrecognized => write!(f, "无法识别的文件：请上传 Excel（.xlsx）或 CSV 文件"),
            ReadError::OldXls => write!(
                f,
                "这是旧版 Excel（.xls）文件，无法直接导入：请在 Excel 中把它“另存为”Excel 工作簿（.xlsx）后再上传"
            ),
            ReadError::Encrypted => write!(
                f,
                "文件设置了打开密码，无法读取：请在 Excel 中取消密码并另存为 .xlsx 后再上传"
            ),
            ReadError::WebPage => write!(
                f,
                "这个文件实际上是网页（HTML/XML）格式，不是真正的 Excel 文件：请用 Excel 打开后“另存为”Excel 工作簿（.xlsx）再上传"
            ),
            ReadError::WrongTemplate { expected } => write!(
                f,
                "文件的前 {HEADER_SCAN_ROWS} 行中找不到模板的表头（应包含：{}），这个文件看起来不是本模板：请下载本模板填写后再上传",
                list_names(expected)
            ),
            ReadError::MissingColumns { line, columns } => write!(
                f,
                "表头（第 {line} 行）缺少必填列：{}，请按模板补齐这些列后再上传",
                list_names(columns)
            ),
            ReadError::UnclosedQuote { line } => write!(
                f,
                "第 {line} 行有英文双引号没有成对出现，之后的内容无法正确分列：请检查该行后重新上传"
            ),
            ReadError::CellTooLong { line } => write!(
                f,
                "第 {line} 行有单元格内容过长（可能是英文双引号没有成对出现）：请检查该行后重新上传"
            ),
            ReadError::Corrupt { line, .. } => write!(
                f,
                "读取到第 {line} 行附近时出错，文件可能已损坏或不完整：请用 Excel 打开检查并重新保存后再上传"
            ),
            ReadError::Io { line: Some(line), .. } => {
                write!(f, "读取文件第 {line} 行附近时出错，请重新上传")
            }
            ReadError::Io { line: None, .. } => write!(f, "读取文件时出错，请重新上传"),
            ReadError::TooManyParts { limit } => write!(
                f,
                "文件内部的部件超过 {limit} 个，不是正常的 Excel 文件，无法导入：请用 Excel 打开检查并另存为 .xlsx 后再上传"
            ),
            ReadError::PartTooLarge { part, limit } => write!(
                f,
                "文件中的{part}解压后超过单个部件的上限 {}，无法导入：请拆分成多个文件后分批导入",
                size_label(*limit)
            ),
            ReadError::TotalTooLarge { limit } => write!(
                f,
                "文件解压后的总大小超过上限 {}，无法导入：请拆分成多个文件后分批导入",
                size_label(*limit)
            ),
            ReadError::RatioTooHigh { part, ratio, limit } => write!(
                f,
                "文件中的{part}压缩比为 {ratio}:1，超过上限 {limit}:1，文件可能是被恶意构造的，无法导入：请用 Excel 打开检查并另存后再上传"
            ),
            ReadError::SizeMismatch { part } => write!(
                f,
                "文件中的{part}解压后的实际大小超过了文件中声明的大小，文件已损坏或被恶意构造，无法导入"
            ),
            ReadError::TagTooLarge { part, limit } => write!(
                f,
                "文件中的{part}含有超过 {} 的超长标记，不是正常的 Excel 文件，无法导入",
                size_label(*limit)
            ),
            ReadError::CellTooLarge { at, .. } => write!(
                f,
                "{at}的单元格内容超过 Excel 单元格的上限 {} 个字符，文件可能已损坏或被恶意构造：请检查该单元格后重新上传",
                MAX_CELL_CHARS
            ),
            ReadError::TooManyStrings { limit } => write!(
                f,
                "文件的共享字符串表超过 {limit} 项的上限，无法导入：请拆分成多个文件后分批导入"
            ),
            ReadError::SharedTextTooLarge { limit } => write!(
                f,
                "文件的共享字符串表的文字总量超过上限 {}，无法导入：请拆分成多个文件后分批导入",
                size_label(*limit)
            ),
        }
    }
}

impl std::error::Error for ReadError {}
