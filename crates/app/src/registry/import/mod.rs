//! Importing spreadsheets (xlsx) and CSV files into the registry.
//!
//! A file is read as a stream of rows (`read`), each row is validated with
//! the same rules as the forms, and valid rows are written in batches: one
//! transaction per batch, which also advances the batch record
//! (`import_batches`). A crash mid-import therefore leaves whole batches
//! only, and running the same file again resumes after the last one. Rows
//! that fail are reported with their row, column and reason, and can be
//! downloaded as a workbook with an error column.

pub mod guard;
pub mod read;
mod read_error;

use crate::Call;
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::registry::Outcome;
use crate::registry::records::{self, Context, Owner};
use crate::registry::workers::{self, EDUCATION, ValidWorker, WorkerInput};
use crate::store::{Arg, Sql, Tx};
use crate::xlsx::{TemplateColumn, XCell, XlsxStream};
use chrono::{DateTime, Utc};
use read::{Cell, RawRow};
use shiminhua_core::auth::Actor;
use shiminhua_core::auth::{Permission, RecordKind};
use shiminhua_core::facility::{FacilityKind, FacilitySpec};
use shiminhua_core::record::{self, FieldType, KindSpec};
use sm3::{Digest, Sm3};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The most data rows one file may hold.
pub const MAX_ROWS: u64 = 1_000_000;
/// Rows written per transaction.
pub const BATCH_ROWS: usize = 5_000;
/// Rejected rows kept in full (for the preview and the rejected-rows workbook).
pub const KEEP_REJECTED: usize = 50_000;

/// What a file imports: workers, one record kind, one facility kind, or the
/// national platform's list of transferred wage-arrears clues.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    Workers,
    Records(&'static KindSpec),
    Facilities(FacilityKind),
    /// 全国根治欠薪线索反映平台转办线索 (registered as cases, deduplicated
    /// on the platform's clue number).
    PlatformCases,
}

impl PartialEq for Target {
    fn eq(&self, other: &Target) -> bool {
        self.code() == other.code()
    }
}

impl Target {
    /// From a code as in the CLI and URLs: `worker`, `employment`, …,
    /// `station`, …
    pub fn parse(code: &str) -> Option<Target> {
        if code == PLATFORM_CASES {
            return Some(Target::PlatformCases);
        }
        if let Some(kind) = FacilityKind::from_code(code) {
            return Some(Target::Facilities(kind));
        }
        match RecordKind::from_code(code)? {
            RecordKind::Worker => Some(Target::Workers),
            kind => record::spec(kind).map(Target::Records),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Target::Workers => RecordKind::Worker.code(),
            Target::Records(s) => s.kind.code(),
            Target::Facilities(k) => k.code(),
            Target::PlatformCases => PLATFORM_CASES,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Target::Workers => "农民工名单",
            Target::Records(s) => s.kind.label_zh(),
            Target::Facilities(k) => k.label_zh(),
            Target::PlatformCases => "全国根治欠薪线索反映平台转办线索",
        }
    }

    /// The actor may import this somewhere: workers and records where the
    /// kind is in its data scope, facilities wherever it has a region.
    pub fn in_scope(self, actor: &Actor) -> bool {
        match self {
            Target::Workers => !actor.scope.ranges_for(RecordKind::Worker).is_empty(),
            Target::Records(s) => !actor.scope.ranges_for(s.kind).is_empty(),
            Target::Facilities(_) => !actor.scope.is_empty(),
            Target::PlatformCases => !actor.scope.ranges_for(RecordKind::WageCase).is_empty(),
        }
    }

    /// The actor's roles may import this at all: registry data with the
    /// permission to write records, cases where the roles register cases.
    pub fn permitted(self, actor: &Actor) -> bool {
        match self {
            Target::PlatformCases => actor.can(Permission::ReadPii) && shiminhua_core::case::may_register(&actor.roles),
            _ => actor.can(Permission::WriteRecords),
        }
    }
}

/// The code of [`Target::PlatformCases`] (CLI and URLs).
pub const PLATFORM_CASES: &str = "platform_case";

/// All import targets, in menu order.
pub fn targets() -> Vec<Target> {
    std::iter::once(Target::Workers)
        .chain(
            record::KINDS
                .iter()
                .filter_map(|k| record::spec(*k))
                .map(Target::Records),
        )
        .chain(FacilityKind::ALL.into_iter().map(Target::Facilities))
        .chain(std::iter::once(Target::PlatformCases))
        .collect()
}

/// One column of a template.
#[derive(Clone, Debug)]
pub struct Column {
    pub key: &'static str,
    pub header: &'static str,
    pub required: bool,
    /// Kept as text in the template (ID numbers, phones, codes).
    pub text: bool,
    pub help: String,
    pub choices: Vec<String>,
    pub example: &'static str,
}

fn col(
    key: &'static str,
    header: &'static str,
    required: bool,
    text: bool,
    help: &str,
    example: &'static str,
) -> Column {
    Column {
        key,
        header,
        required,
        text,
        help: help.to_string(),
        choices: Vec::new(),
        example,
    }
}

/// The template's columns for a target.
pub fn columns(target: Target) -> Vec<Column> {
    match target {
        Target::Workers => {
            let mut education = col("education", "文化程度", false, false, "", "初中");
            education.choices = EDUCATION.iter().map(|s| s.to_string()).collect();
            vec![
                col("name", "姓名", true, false, "2至20个汉字", "张三"),
                col(
                    "id_number",
                    "身份证号",
                    true,
                    true,
                    "18位居民身份证号；15位旧号自动转换。请勿存为数字格式，否则后几位会丢失",
                    "341021199001011234",
                ),
                col("phone", "手机号码", false, true, "11位手机号码", "13800000000"),
                col(
                    "region",
                    "现居住地",
                    true,
                    false,
                    "本市乡镇（街道）或村（社区）的名称或区划代码，重名时在前面加区县名称",
                    "徽城镇",
                ),
                col(
                    "hukou_place",
                    "户籍地",
                    false,
                    false,
                    "可在本市以外",
                    "安徽省黄山市歙县",
                ),
                education,
                col("skills", "职业技能", false, false, "", "电工"),
                col("tags", "标签", false, false, "多个标签用逗号分隔", "返乡"),
            ]
        }
        Target::Records(spec) => {
            let mut cols = vec![
                col(
                    "worker_name",
                    "姓名",
                    true,
                    false,
                    "农民工本人姓名，须与登记的一致",
                    "张三",
                ),
                col(
                    "worker_id",
                    "身份证号",
                    true,
                    true,
                    "农民工本人身份证号，须已登记农民工信息。请勿存为数字格式",
                    "341021199001011234",
                ),
            ];
            for f in spec.fields {
                let text = matches!(f.ty, FieldType::CreditCode | FieldType::Child);
                let mut c = col(f.key, f.label, f.required, text, f.help, example(f.ty, f.key));
                c.choices = f.ty.choices().iter().map(|s| s.to_string()).collect();
                cols.push(c);
            }
            cols
        }
        Target::PlatformCases => platform_columns(),
        Target::Facilities(kind) => kind
            .spec()
            .fields
            .iter()
            .map(|f| {
                let text = matches!(f.ty, FieldType::CreditCode);
                let mut c = col(f.key, f.label, f.required, text, f.help, facility_example(f.ty, f.key));
                c.choices = f.ty.choices().iter().map(|s| s.to_string()).collect();
                c
            })
            .collect(),
    }
}

/// The columns of the platform's transfer list.
fn platform_columns() -> Vec<Column> {
    let mut sector = col("sector", "行业领域", true, false, "", "工程建设");
    sector.choices = shiminhua_core::case::Sector::ALL
        .iter()
        .map(|s| s.label_zh().to_string())
        .collect();
    vec![
        col(
            "clue_no",
            "平台线索编号",
            true,
            true,
            "全国根治欠薪线索反映平台的线索编号；已登记的编号不会重复登记",
            "XS2023091200123",
        ),
        col(
            "received_on",
            "转办日期",
            true,
            false,
            "平台转办到本地的日期",
            "2023-09-12",
        ),
        col(
            "reporter_name",
            "反映人",
            false,
            false,
            "反映人姓名与联系电话都不填的，按匿名反映登记",
            "李四",
        ),
        col("reporter_phone", "联系电话", false, true, "11位手机号码", "13900000000"),
        col("reporter_id_number", "反映人身份证号", false, true, "选填", ""),
        col(
            "employer_name",
            "被反映单位",
            true,
            false,
            "",
            "黄山市某某建筑工程有限公司",
        ),
        col(
            "employer_credit_code",
            "统一社会信用代码",
            false,
            true,
            "被反映单位的18位代码",
            "",
        ),
        col("employer_address", "单位地址", false, false, "", ""),
        sector,
        col(
            "project_name",
            "项目名称",
            false,
            false,
            "工程建设领域必填",
            "徽州区某某安置房项目",
        ),
        col(
            "contractor_credit_code",
            "总承包单位信用代码",
            false,
            true,
            "工程建设领域必填",
            "91341000MA2N0Q0M26",
        ),
        col("workers", "涉及人数", true, false, "", "12"),
        col("amount_claimed", "欠薪金额（元）", true, false, "", "186,000"),
        col("arrears_from", "欠薪起始日期", true, false, "", "2023-05-01"),
        col("arrears_to", "欠薪截止日期", true, false, "", "2023-07-31"),
        col(
            "region",
            "欠薪发生地（乡镇/街道）",
            true,
            false,
            "本市乡镇（街道）的名称或区划代码，重名时在前面加区县名称",
            "岩寺镇",
        ),
        col("description", "反映内容", true, false, "", "拖欠12名工人5至7月工资"),
    ]
}

/// The example row of a facility template.
fn facility_example(ty: FieldType, key: &str) -> &'static str {
    match (ty, key) {
        (FieldType::Text(_), "name") => "黄山市某某工会驿站",
        (FieldType::Text(_), _) => "",
        (FieldType::Count, _) => "10",
        _ => example(ty, key),
    }
}

fn example(ty: FieldType, key: &str) -> &'static str {
    match ty {
        FieldType::Text(_) => match key {
            "employer" | "business" => "黄山市某某有限公司",
            "school" => "歙县实验小学",
            "project" => "徽州区保障性租赁住房一期",
            "loan_bank" => "徽商银行",
            _ => "",
        },
        FieldType::Date => "2023-03-05",
        FieldType::Money => "3,500",
        FieldType::Count => "1",
        FieldType::Flag => "是",
        FieldType::Choice(c) => c.first().copied().unwrap_or(""),
        FieldType::CreditCode => "91341000MA2N0Q0M26",
        FieldType::Industry => "制造业",
        FieldType::Place => "徽城镇",
        FieldType::SchoolYear => "2023-2024",
        FieldType::Child => "张小明",
    }
}

/// The xlsx template of a target: notes, dropdowns, an example row, and a
/// sheet of instructions.
pub fn template(target: Target) -> AppResult<Vec<u8>> {
    let cols = columns(target);
    let tcols: Vec<TemplateColumn<'_>> = cols
        .iter()
        .map(|c| TemplateColumn {
            header: c.header,
            required: c.required,
            note: if c.help.is_empty() {
                if c.required { "必填" } else { "选填" }.to_string()
            } else {
                c.help.clone()
            },
            choices: c.choices.clone(),
            example: c.example.to_string(),
            text: c.text,
            width: if c.text { 22.0 } else { 16.0 },
        })
        .collect();
    xlsx_template(target, &tcols)
}

fn xlsx_template(target: Target, cols: &[TemplateColumn<'_>]) -> AppResult<Vec<u8>> {
    crate::xlsx::template_workbook(
        target.label(),
        cols,
        &[
            "第1行为表头，请勿修改表头文字；带*的列为必填。",
            "第2行为示例，导入时会自动跳过，也可删除。",
            "日期可写作 2023-03-05、2023/3/5、2023.03.05 或 2023年3月5日；金额以元为单位，可带千分位。",
            "身份证号、手机号码、信用代码请保持文本格式，切勿转为数字。",
            match target {
                Target::Facilities(k) if k.spec().key == ["credit_code"] => {
                    "同一统一社会信用代码重复导入时更新原有信息，不会重复登记。"
                }
                Target::Facilities(_) => "名称与所在地相同的重复导入时更新原有信息，不会重复登记。",
                Target::PlatformCases => {
                    "平台线索编号已登记的行跳过（计为“未变化”），不会重复登记，也不会修改已登记的案件。"
                }
                _ => "同一人同一记录重复导入时更新原记录，不会重复登记。",
            },
            "单个文件不超过100万行。",
        ],
    )
}

/// A row that was not imported.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub line: u64,
    /// The header of the column at fault ("" for the whole row).
    pub column: String,
    pub reason: String,
    pub cells: Vec<String>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub batch_id: Option<i64>,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The first `KEEP_REJECTED` rejected rows.
    pub rejects: Vec<Rejected>,
    /// Rows skipped because an earlier run already committed them.
    pub resumed: u64,
    pub dry_run: bool,
}

/// How to run an import.
pub struct Options<'a> {
    pub dry_run: bool,
    pub batch_rows: usize,
    /// Called after each batch with (rows read so far, estimated total).
    pub progress: Option<&'a (dyn Fn(u64, Option<u64>) + Sync)>,
    /// Stops after this many batches (to test resuming after a crash).
    pub stop_after_batches: Option<usize>,
    /// Measurement only: read the file and insert its cells as they are into
    /// a scratch table, with no validation, encryption or deduplication (the
    /// baseline the importer's rate is compared with).
    pub raw: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            dry_run: false,
            batch_rows: BATCH_ROWS,
            progress: None,
            stop_after_batches: None,
            raw: false,
        }
    }
}

fn file_error(msg: impl Into<String>) -> AppError {
    AppError::field("file", msg)
}

fn file_hash(path: &Path) -> AppResult<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| file_error(format!("无法读取文件：{e}")))?;
    let mut h = Sm3::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| file_error(format!("无法读取文件：{e}")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_vec())
}

/// The column of a text cell that Excel stored as a number and so lost
/// digits, with the reason.
fn lossy_column(cols: &[Column], row: &RawRow) -> Option<(usize, String)> {
    cols.iter().enumerate().find_map(|(i, c)| {
        (c.text && row.cells.get(i).is_some_and(Cell::is_lossy_number)).then(|| {
            (
                i,
                format!(
                    "{}被Excel存成了数字，超过15位的数字已丢失精度（后几位变成0），请将该列设为文本格式后重新填写",
                    c.header
                ),
            )
        })
    })
}

/// The text of a row's cell in the column with `key` ("" when absent).
fn text<'a>(cols: &[Column], cells: &'a [String], key: &str) -> &'a str {
    cols.iter()
        .position(|c| c.key == key)
        .and_then(|i| cells.get(i))
        .map_or("", String::as_str)
}

/// The template's example row, which is skipped when still present.
fn is_example(cols: &[Column], cells: &[String]) -> bool {
    cols.iter()
        .enumerate()
        .all(|(i, c)| record::normalise(cells.get(i).map_or("", String::as_str)) == record::normalise(c.example))
}

/// A row waiting for its batch.
struct Pending {
    line: u64,
    /// The row's cells as text, in the template's column order.
    cells: Vec<String>,
    worker: Option<CheckedWorker>,
}

/// A valid worker row: the worker, the blind index of its ID number, and its
/// row for the workers table (sealed ahead, in case it is new).
struct CheckedWorker {
    valid: ValidWorker,
    index: Vec<u8>,
    insert: Vec<Arg>,
}

/// What checking one row gave.
enum Checked {
    /// The template's example row, skipped.
    Example,
    Rejected {
        line: u64,
        column: usize,
        reason: String,
        cells: Vec<String>,
    },
    Valid(Pending),
}

/// What checking rows needs, owned, so that a batch can be checked on
/// blocking threads while the writer stores the one before.
struct Checker {
    target: Target,
    cols: Vec<Column>,
    cipher: Cipher,
    actor: Actor,
    ctx: Arc<Context>,
    now: DateTime<Utc>,
}

impl Checker {
    /// Checks a batch of rows, split over the machine's cores; the results
    /// keep the rows' order.
    fn check_all(&self, rows: Vec<RawRow>) -> AppResult<Vec<Checked>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if threads == 1 || rows.len() < 512 {
            return rows.into_iter().map(|r| self.check(r)).collect();
        }
        let per = rows.len().div_ceil(threads);
        let mut parts = Vec::with_capacity(threads);
        let mut rest = rows;
        while rest.len() > per {
            let tail = rest.split_off(per);
            parts.push(rest);
            rest = tail;
        }
        parts.push(rest);
        std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|part| s.spawn(move || part.into_iter().map(|r| self.check(r)).collect::<AppResult<Vec<_>>>()))
                .collect();
            let mut out = Vec::new();
            for h in handles {
                out.extend(
                    h.join()
                        .map_err(|_| AppError::Internal("import check thread panicked".into()))??,
                );
            }
            Ok(out)
        })
    }

    /// Checks one row (a worker is validated and sealed here; a record is
    /// validated by the writer, which looks up its worker).
    fn check(&self, row: RawRow) -> AppResult<Checked> {
        let cols = &self.cols;
        let cells: Vec<String> = row.cells.iter().map(Cell::to_text).collect();
        if let Some((column, reason)) = lossy_column(cols, &row) {
            return Ok(Checked::Rejected {
                line: row.line,
                column,
                reason,
                cells,
            });
        }
        if is_example(cols, &cells) {
            return Ok(Checked::Example);
        }
        let mut p = Pending {
            line: row.line,
            cells,
            worker: None,
        };
        if self.target != Target::Workers {
            return Ok(Checked::Valid(p));
        }
        let w = match workers::validate(&self.actor, &self.ctx.places, &worker_input(cols, &p.cells), true) {
            Ok(w) => w,
            Err(errs) => {
                let (field, reason) = errs.0.into_iter().next().unwrap_or_default();
                return Ok(Checked::Rejected {
                    line: p.line,
                    column: column_index(cols, &field),
                    reason,
                    cells: p.cells,
                });
            }
        };
        let Some(person) = w.id.as_ref() else {
            return Err(AppError::Internal("validated worker without an ID number".into()));
        };
        let index = self.cipher.blind_index("id_number", person.as_str());
        let (phone_sealed, phone_index, phone_masked) = workers::seal_phone(&self.cipher, w.phone.as_ref(), &index)?;
        let insert = vec![
            w.county.as_i64().into(),
            w.region.as_i64().into(),
            w.name.clone().into(),
            self.cipher
                .seal(&workers::worker_context("id", &index), person.as_str().as_bytes())?
                .into(),
            index.clone().into(),
            person.masked().into(),
            chrono::Datelike::year(&person.birth_date()).into(),
            person.sex().label_zh().into(),
            person.address_code().into(),
            phone_sealed.into(),
            phone_index.into(),
            phone_masked.into(),
            w.hukou_place.clone().into(),
            w.education.clone().into(),
            w.skills.clone().into(),
            w.tags.clone().into(),
            self.now.into(),
            self.now.into(),
        ];
        p.worker = Some(CheckedWorker {
            valid: w,
            index,
            insert,
        });
        Ok(Checked::Valid(p))
    }
}

/// Imports `path` as `target`. In a dry run nothing is written (the counts
/// say what would happen). Otherwise valid rows are written batch by batch
/// and a rerun of the same file resumes after the last committed batch.
pub async fn run(
    call: &Call<'_>,
    target: Target,
    path: &Path,
    file_name: &str,
    opts: &Options<'_>,
) -> AppResult<Summary> {
    if !target.permitted(call.actor) {
        return Err(AppError::Forbidden);
    }
    if !target_in_scope(call, target) {
        return Err(AppError::Forbidden);
    }
    // Reading a workbook's directory and shared strings takes a while: not
    // on the threads that answer requests.
    let path_owned = path.to_path_buf();
    let estimate = tokio::task::spawn_blocking(move || read::estimate_rows(&path_owned))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| file_error(e.to_string()))?;
    if let Some(n) = estimate
        && n > MAX_ROWS
    {
        return Err(file_error(format!(
            "文件约有 {n} 行数据，超过单次导入上限 {MAX_ROWS} 行，请拆分成多个文件后分批导入。未导入任何数据。"
        )));
    }
    let cols = columns(target);
    let headers: Vec<&str> = cols.iter().map(|c| c.header).collect();
    let required: Vec<bool> = cols.iter().map(|c| c.required).collect();
    let path_owned = path.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || read::open(&path_owned, &headers, &required))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| file_error(e.to_string()))?;
    if opts.raw {
        return raw_insert(call, reader, cols.len(), opts.batch_rows).await;
    }
    let path_owned = path.to_path_buf();
    let hash = tokio::task::spawn_blocking(move || file_hash(&path_owned))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;

    let mut summary = Summary {
        dry_run: opts.dry_run,
        ..Summary::default()
    };
    let ctx = {
        let mut tx = call.db.read().await?;
        Arc::new(Context::load(&mut tx).await?)
    };
    // Resume an unfinished run of the same file.
    let mut resume_after = 0u64;
    if !opts.dry_run {
        let mut tx = call.db.write().await?;
        let running: Option<(i64, i64, i64, i64, i64, i64, i64)> = tx
            .opt(
                Sql::new(
                    "SELECT id, last_line, rows_done, inserted, updated, unchanged, rejected FROM import_batches \
                     WHERE file_hash = $1 AND kind = $2 AND status = 'running' ORDER BY id DESC LIMIT 1",
                )
                .bind(hash.clone())
                .bind(target.code()),
            )
            .await?;
        let id = match running {
            Some((id, last, done, ins, upd, unch, rej)) => {
                resume_after = last as u64;
                summary.resumed = done as u64;
                summary.inserted = ins as u64;
                summary.updated = upd as u64;
                summary.unchanged = unch as u64;
                summary.rejected = rej as u64;
                id
            }
            None => {
                tx.int(
                    Sql::new(
                        "INSERT INTO import_batches (kind, file_name, file_hash, actor_name, status, started_at) \
                         VALUES ($1, $2, $3, $4, 'running', $5) RETURNING id",
                    )
                    .bind(target.code())
                    .bind(file_name.chars().take(200).collect::<String>())
                    .bind(hash.clone())
                    .bind(call.actor.display_name.clone())
                    .bind(call.now),
                )
                .await?
            }
        };
        tx.commit().await?;
        summary.batch_id = Some(id);
    }

    // Rows arrive from a reading thread; validation and writing happen here.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<RawRow, read::ReadError>>(8_192);
    tokio::task::spawn_blocking(move || {
        for row in reader {
            if sender.blocking_send(row).is_err() {
                break;
            }
        }
    });

    // Validation (here) and writing (the consumer below) run concurrently:
    // while the database stores one batch, the next one is being prepared.
    let (batches_tx, batches_rx) = tokio::sync::mpsc::channel::<Batch>(1);
    let checker = Arc::new(Checker {
        target,
        cols: cols.clone(),
        cipher: call.cipher.clone(),
        actor: call.actor.clone(),
        ctx: ctx.clone(),
        now: call.now,
    });
    let producer = async {
        // Owned here, so that the writer sees the end when this is done.
        let batches_tx = batches_tx;
        let mut stage = Summary::default();
        // The file's ID numbers so far, for duplicates within the file: the
        // first 8 bytes of each blind index and the line it was on (12 bytes a
        // row; that two different numbers of a million-row file share those
        // 8 bytes has a chance below 1 in 10^7).
        let mut seen: HashMap<u64, u32> = HashMap::new();
        let mut read_rows = 0u64;
        let mut last_line = resume_after;
        let mut more = true;
        while more {
            let mut rows: Vec<RawRow> = Vec::with_capacity(opts.batch_rows);
            while rows.len() < opts.batch_rows {
                let Some(row) = receiver.recv().await else {
                    more = false;
                    break;
                };
                let row = row.map_err(|e| file_error(e.to_string()))?;
                read_rows += 1;
                if read_rows > MAX_ROWS {
                    return Err(file_error(format!(
                        "文件超过单次导入上限 {MAX_ROWS} 行，请拆分成多个文件后分批导入。"
                    )));
                }
                if row.line > resume_after {
                    last_line = row.line;
                    rows.push(row);
                }
            }
            // Checked on blocking threads, so that the writer goes on meanwhile.
            let c = Arc::clone(&checker);
            let checked = tokio::task::spawn_blocking(move || c.check_all(rows))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))??;
            let mut pending = Vec::with_capacity(checked.len());
            for c in checked {
                match c {
                    Checked::Example => {}
                    Checked::Rejected {
                        line,
                        column,
                        reason,
                        cells,
                    } => {
                        stage.rows += 1;
                        reject(&mut stage, &cols, line, column, reason, cells);
                    }
                    Checked::Valid(p) => {
                        stage.rows += 1;
                        if let Some(w) = &p.worker {
                            let key = w
                                .index
                                .first_chunk::<8>()
                                .map(|b| u64::from_le_bytes(*b))
                                .ok_or_else(|| AppError::Internal("blind index of an unexpected size".into()))?;
                            if let Some(first) = seen.get(&key) {
                                let i = column_index(&cols, "id_number");
                                reject(
                                    &mut stage,
                                    &cols,
                                    p.line,
                                    i,
                                    format!("与第{first}行的身份证号重复"),
                                    p.cells,
                                );
                                continue;
                            }
                            seen.insert(key, u32::try_from(p.line).unwrap_or(u32::MAX));
                        }
                        pending.push(p);
                    }
                }
            }
            let batch = Batch {
                rows: pending,
                last_line,
                read_rows,
                stage_rows: stage.rows,
                stage_rejected: stage.rejected,
            };
            if batches_tx.send(batch).await.is_err() {
                // The writer stopped (an error, or a planned stop).
                break;
            }
        }
        Ok(stage)
    };
    let consumer = async {
        // Owned here, so that validation stops when the writer does.
        let mut batches_rx = batches_rx;
        let mut batches = 0usize;
        while let Some(batch) = batches_rx.recv().await {
            let read_rows = batch.read_rows;
            flush(call, target, &ctx, &cols, batch, &mut summary, opts.dry_run).await?;
            batches += 1;
            if let Some(progress) = opts.progress {
                progress(read_rows, estimate);
            }
            if opts.stop_after_batches == Some(batches) {
                return Ok(true);
            }
        }
        Ok::<bool, AppError>(false)
    };
    let (stage, stopped) = tokio::join!(producer, consumer);
    let stopped = stopped?;
    let stage = stage?;
    summary.rows += stage.rows;
    summary.rejected += stage.rejected;
    summary.rejects.extend(stage.rejects);
    summary.rejects.sort_by_key(|r| r.line);
    summary.rejects.truncate(KEEP_REJECTED);
    if stopped {
        return Ok(summary);
    }
    if summary.rows == 0 && summary.rejected == 0 && summary.resumed == 0 {
        if let Some(id) = summary.batch_id {
            let mut tx = call.db.write().await?;
            tx.exec(Sql::new("DELETE FROM import_batches WHERE id = $1").bind(id))
                .await?;
            tx.commit().await?;
        }
        return Err(file_error("文件中没有数据行（表头以下是空的），未导入任何数据。"));
    }
    if !opts.dry_run {
        let mut tx = call.db.write().await?;
        tx.exec(
            Sql::new("UPDATE import_batches SET status = 'done', finished_at = $1 WHERE id = $2")
                .bind(call.now)
                .bind(summary.batch_id),
        )
        .await?;
        audit::record(
            &mut tx,
            call.now,
            &Who::actor(call.actor, call.origin),
            Event::ok("import.run", target.code(), summary.batch_id.unwrap_or_default()).detail(format!(
                "file={}; rows={}; inserted={}; updated={}; unchanged={}; rejected={}",
                file_name.chars().take(100).collect::<String>(),
                summary.rows + summary.resumed,
                summary.inserted,
                summary.updated,
                summary.unchanged,
                summary.rejected
            )),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(summary)
}

/// The baseline of `Options::raw`: cells inserted as read, in the same
/// batches, into a scratch table that is dropped afterwards.
async fn raw_insert(call: &Call<'_>, reader: read::Reader, width: usize, batch_rows: usize) -> AppResult<Summary> {
    let names: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
    let columns: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut tx = call.db.write().await?;
    tx.exec(Sql::new(&format!(
        "CREATE TABLE IF NOT EXISTS import_raw_baseline ({})",
        names.iter().map(|n| format!("{n} TEXT")).collect::<Vec<_>>().join(", ")
    )))
    .await?;
    tx.commit().await?;
    let mut summary = Summary::default();
    let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(batch_rows);
    let mut reader = reader;
    loop {
        let row = tokio::task::block_in_place(|| reader.next());
        let done = row.is_none();
        if let Some(row) = row {
            let row = row.map_err(|e| file_error(e.to_string()))?;
            rows.push(row.cells.iter().map(|c| Arg::from(c.to_text())).collect());
            summary.rows += 1;
        }
        if rows.len() >= batch_rows || (done && !rows.is_empty()) {
            let mut tx = call.db.write().await?;
            summary.inserted += tx
                .bulk_insert("import_raw_baseline", &columns, std::mem::take(&mut rows))
                .await?;
            tx.commit().await?;
        }
        if done {
            break;
        }
    }
    let mut tx = call.db.write().await?;
    tx.exec(Sql::new("DROP TABLE import_raw_baseline")).await?;
    tx.commit().await?;
    Ok(summary)
}

/// One batch on its way from validation to the writer, with the validation
/// stage's counts so far (for the progress record).
struct Batch {
    rows: Vec<Pending>,
    last_line: u64,
    read_rows: u64,
    stage_rows: u64,
    stage_rejected: u64,
}

/// Whether the actor may write the target kind anywhere at all.
fn target_in_scope(call: &Call<'_>, target: Target) -> bool {
    target.in_scope(call.actor)
}

fn column_index(cols: &[Column], key: &str) -> usize {
    cols.iter().position(|c| c.key == key).unwrap_or(usize::MAX)
}

fn reject(summary: &mut Summary, cols: &[Column], line: u64, column: usize, reason: String, cells: Vec<String>) {
    summary.rejected += 1;
    if summary.rejects.len() < KEEP_REJECTED {
        summary.rejects.push(Rejected {
            line,
            column: cols.get(column).map(|c| c.header.to_string()).unwrap_or_default(),
            reason,
            cells,
        });
    }
}

fn worker_input(cols: &[Column], cells: &[String]) -> WorkerInput {
    let get = |k: &str| text(cols, cells, k).to_string();
    WorkerInput {
        name: get("name"),
        id_number: get("id_number"),
        phone: get("phone"),
        region: get("region"),
        hukou_place: get("hukou_place"),
        education: get("education"),
        skills: get("skills"),
        tags: get("tags"),
    }
}

/// Writes (or, in a dry run, classifies) one batch in one transaction.
async fn flush(
    call: &Call<'_>,
    target: Target,
    ctx: &Context,
    cols: &[Column],
    batch: Batch,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<()> {
    let Batch {
        rows: batch,
        last_line,
        stage_rows,
        stage_rejected,
        ..
    } = batch;
    if batch.is_empty() && dry_run {
        return Ok(());
    }
    let mut tx = if dry_run {
        call.db.read().await?
    } else {
        call.db.write().await?
    };
    match target {
        Target::Workers => write_workers(&mut tx, call, cols, batch, summary, dry_run).await?,
        Target::Records(spec) => write_records(&mut tx, call, ctx, spec, cols, batch, summary, dry_run).await?,
        Target::Facilities(kind) => write_facilities(&mut tx, call, kind.spec(), cols, batch, summary, dry_run).await?,
        Target::PlatformCases => write_platform_cases(&mut tx, call, cols, batch, summary, dry_run).await?,
    }
    if dry_run {
        return Ok(());
    }
    if summary.inserted > 0 && (stage_rows as usize / BATCH_ROWS) % 40 == 1 {
        // The table grows fast: fresh statistics keep the lookups on the index.
        tx.analyze(match target {
            Target::Workers => "workers",
            Target::Records(_) => "records",
            Target::Facilities(_) => "facilities",
            Target::PlatformCases => "cases",
        })
        .await?;
    }
    tx.exec(
        Sql::new(
            "UPDATE import_batches SET rows_done = $1, last_line = $2, inserted = $3, updated = $4, unchanged = $5, \
             rejected = $6 WHERE id = $7",
        )
        .bind((stage_rows + summary.resumed) as i64)
        .bind(last_line as i64)
        .bind(summary.inserted as i64)
        .bind(summary.updated as i64)
        .bind(summary.unchanged as i64)
        .bind((stage_rejected + summary.rejected) as i64)
        .bind(summary.batch_id),
    )
    .await?;
    tx.commit().await
}

/// Existing workers of a batch, looked up by blind index.
#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    id_index: Vec<u8>,
    name: String,
    region_code: i64,
    phone_index: Option<Vec<u8>>,
    hukou_place: String,
    education: String,
    skills: String,
    tags: String,
}

async fn existing_workers(tx: &mut Tx, indexes: &[&[u8]]) -> AppResult<HashMap<Vec<u8>, Existing>> {
    let keys: Vec<Vec<u8>> = indexes.iter().map(|k| k.to_vec()).collect();
    let rows: Vec<Existing> = tx
        .select_in(
            "SELECT id, id_index, name, region_code, phone_index, hukou_place, education, skills, tags FROM workers",
            "id_index",
            &keys,
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.id_index.clone(), r)).collect())
}

const WORKER_COLUMNS: [&str; 18] = [
    "county_code",
    "region_code",
    "name",
    "id_sealed",
    "id_index",
    "id_masked",
    "birth_year",
    "sex",
    "origin_code",
    "phone_sealed",
    "phone_index",
    "phone_masked",
    "hukou_place",
    "education",
    "skills",
    "tags",
    "created_at",
    "updated_at",
];

async fn write_workers(
    tx: &mut Tx,
    call: &Call<'_>,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<()> {
    let indexes: Vec<&[u8]> = batch
        .iter()
        .filter_map(|p| p.worker.as_ref().map(|w| w.index.as_slice()))
        .collect();
    let existing = existing_workers(tx, &indexes).await?;
    let mut new_rows: Vec<Vec<Arg>> = Vec::new();
    for p in batch {
        let Some(CheckedWorker {
            valid: w,
            index,
            insert,
        }) = p.worker
        else {
            continue;
        };
        match existing.get(&index) {
            None => {
                summary.inserted += 1;
                if dry_run {
                    continue;
                }
                new_rows.push(insert);
            }
            Some(old) => {
                if !call.actor.scope.allows(
                    RecordKind::Worker,
                    shiminhua_core::division::DivisionCode::from_i64(old.region_code)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                ) {
                    let i = column_index(cols, "id_number");
                    reject(
                        summary,
                        cols,
                        p.line,
                        i,
                        "该身份证号已由您数据范围以外的地区登记，无权修改，请联系现居住地所在区县".into(),
                        p.cells,
                    );
                    continue;
                }
                // Blank optional cells keep what is on file.
                let keep = |new: &str, old: &str| {
                    if new.is_empty() {
                        old.to_string()
                    } else {
                        new.to_string()
                    }
                };
                let phone_index = w.phone.as_ref().map(|p| call.cipher.blind_index("phone", p.as_str()));
                let changed = w.name != old.name
                    || w.region.as_i64() != old.region_code
                    || (phone_index.is_some() && phone_index != old.phone_index)
                    || keep(&w.hukou_place, &old.hukou_place) != old.hukou_place
                    || keep(&w.education, &old.education) != old.education
                    || keep(&w.skills, &old.skills) != old.skills
                    || keep(&w.tags, &old.tags) != old.tags;
                if !changed {
                    summary.unchanged += 1;
                    continue;
                }
                summary.updated += 1;
                if dry_run {
                    continue;
                }
                let merged = ValidWorker {
                    hukou_place: keep(&w.hukou_place, &old.hukou_place),
                    education: keep(&w.education, &old.education),
                    skills: keep(&w.skills, &old.skills),
                    tags: keep(&w.tags, &old.tags),
                    ..w
                };
                workers::write_update(tx, call, old.id, None, &merged, &old.id_index).await?;
            }
        }
    }
    if !new_rows.is_empty() {
        tx.bulk_insert("workers", &WORKER_COLUMNS, new_rows).await?;
    }
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "the state of one import run")]
async fn write_records(
    tx: &mut Tx,
    call: &Call<'_>,
    ctx: &Context,
    spec: &'static KindSpec,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<()> {
    // The workers of the batch, by blind index of their ID numbers.
    let mut indexes: Vec<Option<Vec<u8>>> = Vec::with_capacity(batch.len());
    for p in &batch {
        let id = text(cols, &p.cells, "worker_id");
        indexes.push(
            shiminhua_core::id_number::IdNumber::parse(id)
                .ok()
                .map(|id| call.cipher.blind_index("id_number", id.as_str())),
        );
    }
    let known: Vec<&[u8]> = indexes.iter().flatten().map(Vec::as_slice).collect();
    let owners = existing_workers(tx, &known).await?;
    let mut seen: HashMap<(i64, String), u64> = HashMap::new();
    for (p, index) in batch.into_iter().zip(indexes) {
        let id_col = column_index(cols, "worker_id");
        let Some(index) = index else {
            let id = text(cols, &p.cells, "worker_id");
            let reason = match shiminhua_core::id_number::IdNumber::parse(id) {
                Err(e) if !id.trim().is_empty() => e.to_string(),
                _ => "请填写身份证号".to_string(),
            };
            reject(summary, cols, p.line, id_col, reason, p.cells);
            continue;
        };
        let Some(w) = owners.get(&index) else {
            reject(
                summary,
                cols,
                p.line,
                id_col,
                "该身份证号尚未登记农民工信息，请先登记或导入农民工名单".into(),
                p.cells,
            );
            continue;
        };
        let name = record::tidy(text(cols, &p.cells, "worker_name"));
        if name != w.name {
            let i = column_index(cols, "worker_name");
            reject(
                summary,
                cols,
                p.line,
                i,
                "姓名与身份证号登记的姓名不一致，请核对".into(),
                p.cells,
            );
            continue;
        }
        let owner = Owner {
            id: w.id,
            region_code: w.region_code,
            id_index: w.id_index.clone(),
        };
        let cells = &p.cells;
        let get = |k: &str| text(cols, cells, k).to_string();
        let v = match records::validate(tx, call, ctx, spec, &owner, &get).await {
            Ok(v) => v,
            Err(AppError::Validation(errs)) => {
                let (field, msg) = errs.0.into_iter().next().unwrap_or_default();
                let i = column_index(cols, &field);
                reject(summary, cols, p.line, i, msg, p.cells);
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(first) = seen.insert((owner.id, v.natural_key.clone()), p.line) {
            reject(
                summary,
                cols,
                p.line,
                usize::MAX,
                format!("与第{first}行是同一条记录"),
                p.cells,
            );
            continue;
        }
        let outcome = if dry_run {
            records::classify(tx, &owner, &v).await?
        } else {
            records::upsert(tx, call, &owner, &v, "import").await?
        };
        match outcome {
            Outcome::Inserted(_) => summary.inserted += 1,
            Outcome::Updated(_) => summary.updated += 1,
            Outcome::Unchanged(_) => summary.unchanged += 1,
        }
    }
    Ok(())
}

/// Writes a batch of facility rows: each is validated, checked against the
/// rows before it (one facility, one row) and added or changed by its
/// natural key.
async fn write_facilities(
    tx: &mut Tx,
    call: &Call<'_>,
    spec: &'static FacilitySpec,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<()> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    for p in batch {
        let cells = &p.cells;
        let get = |k: &str| text(cols, cells, k).to_string();
        let outcome = match crate::registry::facilities::validate(tx, call, spec, &get).await {
            Ok(v) => {
                if let Some(first) = seen.insert(v.natural_key.clone(), p.line) {
                    let reason = format!("与第{first}行是同一个{}", spec.label);
                    reject(summary, cols, p.line, usize::MAX, reason, p.cells);
                    continue;
                }
                crate::registry::facilities::upsert(tx, call, spec, &v, dry_run).await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Outcome::Inserted(_)) => summary.inserted += 1,
            Ok(Outcome::Updated(_)) => summary.updated += 1,
            Ok(Outcome::Unchanged(_)) => summary.unchanged += 1,
            Err(AppError::Validation(errs)) => {
                let (field, msg) = errs.0.into_iter().next().unwrap_or_default();
                let i = column_index(cols, &field);
                reject(summary, cols, p.line, i, msg, p.cells);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Registers the platform's clues of a batch: a clue number already
/// registered is skipped (unchanged), one repeated within the file is
/// refused, the rest are validated as the case form does and registered.
async fn write_platform_cases(
    tx: &mut Tx,
    call: &Call<'_>,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<()> {
    let rules = crate::rights::cases::Rules::load(tx, crate::calendar::calendar(call.db).await?).await?;
    let mut seen: HashMap<String, u64> = HashMap::new();
    for p in batch {
        let cells = &p.cells;
        let get = |k: &str| text(cols, cells, k).to_string();
        let input = shiminhua_core::case::CaseInput {
            source: shiminhua_core::case::Source::Platform.code().into(),
            anonymous: get("reporter_name").trim().is_empty() && get("reporter_phone").trim().is_empty(),
            ..shiminhua_core::case::CaseInput::read(get)
        };
        let clue = record::normalise(&input.clue_no).to_ascii_uppercase();
        if !clue.is_empty()
            && let Some(first) = seen.insert(clue, p.line)
        {
            let reason = format!("与第{first}行的平台线索编号重复");
            reject(summary, cols, p.line, column_index(cols, "clue_no"), reason, p.cells);
            continue;
        }
        match crate::rights::cases::import_platform(tx, call, &rules, &input, dry_run).await {
            Ok(true) => summary.inserted += 1,
            Ok(false) => summary.unchanged += 1,
            Err(AppError::Validation(errs)) => {
                let (field, msg) = errs.0.into_iter().next().unwrap_or_default();
                let i = column_index(cols, &field);
                reject(summary, cols, p.line, i, msg, p.cells);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The rejected rows as a workbook: the template's columns, then the row
/// number, the column at fault and the reason.
pub fn rejected_workbook(target: Target, rejects: &[Rejected], path: &Path) -> AppResult<u64> {
    let cols = columns(target);
    let mut headers: Vec<&str> = cols.iter().map(|c| c.header).collect();
    headers.extend(["原行号", "出错列", "错误原因"]);
    let mut widths: Vec<f64> = cols.iter().map(|c| if c.text { 22.0 } else { 16.0 }).collect();
    widths.extend([8.0, 14.0, 50.0]);
    let mut out = XlsxStream::create(path, "未导入的行", &headers, &widths)?;
    for r in rejects {
        let line = r.line.to_string();
        let mut cells: Vec<XCell<'_>> = r.cells.iter().map(|c| XCell::Text(c)).collect();
        cells.resize(cols.len(), XCell::Empty);
        cells.extend([XCell::Text(&line), XCell::Text(&r.column), XCell::Text(&r.reason)]);
        out.row(&cells)?;
    }
    out.finish()
}
