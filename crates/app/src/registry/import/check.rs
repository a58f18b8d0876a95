//! Checking rows before they are written: the checker (run on blocking
//! threads), the rows waiting for their batch and the cells they are read
//! from.

use super::read::{Cell, RawRow};
use super::templates::{Column, ImportKind, Part, employment};
use crate::Call;
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::registry::records::{self, Context, Valid};
use crate::registry::workers::{self, ValidWorker, WorkerInput};
use crate::store::Arg;
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::Actor;
use shiminhua_core::id_number::{IdNumber, Sex, is_legacy};
use shiminhua_core::monitor::Month;
use shiminhua_core::person::{mask_name, normalise_name};
use shiminhua_core::record::{self};
use sm3::{Digest, Sm3};
use std::path::Path;
use std::sync::Arc;

pub(super) fn file_error(msg: impl Into<String>) -> AppError {
    AppError::field("file", msg)
}

pub(super) fn file_hash(path: &Path) -> AppResult<Vec<u8>> {
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

/// The columns of text cells that Excel stored as numbers and so lost
/// digits, with the reason.
fn lossy_columns(cols: &[Column], row: &RawRow) -> Vec<(usize, String)> {
    cols.iter()
        .enumerate()
        .filter(|(i, c)| c.text && row.cells.get(*i).is_some_and(Cell::is_lossy_number))
        .map(|(i, c)| {
            (
                i,
                format!(
                    "{}被Excel存成了数字，超过15位的数字已丢失精度（后几位变成0），请将该列设为文本格式后重新填写",
                    c.header
                ),
            )
        })
        .collect()
}

/// The text of a row's cell in the column with `key` ("" when absent).
pub(super) fn text<'a>(cols: &[Column], cells: &'a [String], key: &str) -> &'a str {
    cols.iter()
        .position(|c| c.key == key)
        .and_then(|i| cells.get(i))
        .map_or("", String::as_str)
}

/// The template's example row, which is skipped when still present.
fn is_example(cols: &[Column], cells: &[String]) -> bool {
    cols.iter().enumerate().all(|(i, c)| {
        let cell = record::normalise(cells.get(i).map_or("", String::as_str));
        if c.part == Part::Template {
            cell == record::normalise(c.example)
        } else {
            cell.is_empty()
        }
    })
}

/// A row waiting for its batch.
pub(super) struct Pending {
    pub(super) line: u64,
    /// The row's cells as text, in the file layout's column order.
    pub(super) cells: Vec<String>,
    /// The cells as read (numbers and dates as such), for the rejected-rows workbook.
    pub(super) raw: Vec<Cell>,
    /// The person of the row, masked ("" when the row names nobody).
    pub(super) person: String,
    /// What was changed on the way in (a legacy ID number converted, …).
    pub(super) notes: Vec<String>,
    pub(super) worker: Option<CheckedWorker>,
    /// A worker roster's row with employment columns filled: the record.
    pub(super) employment: Option<Valid>,
    /// A payroll file's line, read.
    pub(super) payroll: Option<PayrollLine>,
}

/// A bank's payroll line as read: its project's code, the worker's blind
/// index and name as on the line, and the payment (the project, the worker
/// and the roster are judged by the writer, which holds the database).
pub(super) struct PayrollLine {
    pub(super) code: String,
    pub(super) index: Vec<u8>,
    pub(super) name: String,
    pub(super) month: Month,
    pub(super) amount: i64,
    pub(super) paid_on: NaiveDate,
    pub(super) account: String,
}

/// A valid worker row: the worker, the blind index of its ID number, and its
/// row for the workers table (sealed ahead, in case it is new).
pub(super) struct CheckedWorker {
    pub(super) valid: ValidWorker,
    pub(super) index: Vec<u8>,
    pub(super) insert: Vec<Arg>,
}

/// What checking one row gave.
pub(super) enum Checked {
    /// The template's example row, skipped.
    Example,
    /// Every error of the row: (column, reason).
    Rejected(Pending, Vec<(usize, String)>),
    Valid(Pending),
}

/// What checking rows needs, owned, so that a batch can be checked on
/// blocking threads while the writer stores the one before.
pub(super) struct RowChecker {
    pub(super) target: ImportKind,
    pub(super) cols: Vec<Column>,
    pub(super) cipher: Cipher,
    pub(super) actor: Actor,
    pub(super) ctx: Arc<Context>,
    pub(super) now: DateTime<Utc>,
}

impl RowChecker {
    /// Checks a batch of rows, split over the machine's cores; the results
    /// keep the rows' order.
    pub(super) fn check_all(&self, rows: Vec<RawRow>) -> AppResult<Vec<Checked>> {
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
    /// validated by the writer, which looks up its worker). Every error of
    /// the row is kept, not only the first.
    fn check(&self, row: RawRow) -> AppResult<Checked> {
        let cols = &self.cols;
        let cells: Vec<String> = row.cells.iter().map(Cell::to_text).collect();
        let mut errors = lossy_columns(cols, &row);
        if errors.is_empty() && is_example(cols, &cells) {
            return Ok(Checked::Example);
        }
        let name_key = match self.target {
            ImportKind::Workers => "name",
            ImportKind::Records(_) => "worker_name",
            ImportKind::PlatformCases => "reporter_name",
            ImportKind::ProjectRoster | ImportKind::Payroll => "name",
            ImportKind::Facilities(_) | ImportKind::Projects | ImportKind::Vacancies => "",
        };
        let person = mask_name(&normalise_name(text(cols, &cells, name_key)));
        let mut p = Pending {
            line: row.line,
            cells,
            raw: row.cells,
            person,
            notes: Vec::new(),
            worker: None,
            employment: None,
            payroll: None,
        };
        if self.target == ImportKind::Payroll && errors.is_empty() {
            p.payroll = self.read_payroll(&p.cells, &mut errors);
        }
        if self.target != ImportKind::Workers {
            if !errors.is_empty() {
                return Ok(Checked::Rejected(p, errors));
            }
            return Ok(Checked::Valid(p));
        }
        let mut input = worker_input(cols, &p.cells);
        let name = normalise_name(&input.name);
        if name != record::tidy(&input.name) {
            p.notes.push("姓名中的空格已去除".into());
        }
        input.name = name;
        let lossy_id = errors
            .iter()
            .any(|(i, _)| cols.get(*i).is_some_and(|c| c.key == "id_number"));
        let valid = match workers::validate(&self.actor, &self.ctx.places, &input, true) {
            Ok(w) => Some(w),
            Err(errs) => {
                for (field, reason) in errs.0 {
                    // The lossy-number message says it better.
                    if !(lossy_id && field == "id_number") {
                        errors.push((column_index(cols, &field), reason));
                    }
                }
                None
            }
        };
        let today = crate::fields::today(self.now);
        let id = IdNumber::parse(&input.id_number).ok();
        if let Some(id) = &id {
            if id.birth_date() > today {
                errors.push((
                    column_index(cols, "id_number"),
                    "身份证号中的出生日期晚于今天，请核对".into(),
                ));
            }
            if is_legacy(&input.id_number) {
                let check = id.as_str().chars().last().unwrap_or_default();
                p.notes.push(format!(
                    "15位旧身份证号已转换为18位：{}（出生年份前补“19”，末位补校验码“{check}”）",
                    id.masked()
                ));
            }
        }
        let sex = text(cols, &p.cells, "sex").trim();
        if !sex.is_empty() {
            match (Sex::parse_zh(sex), &id) {
                (None, _) => errors.push((column_index(cols, "sex"), "性别应填写“男”或“女”".into())),
                (Some(s), Some(id)) if s != id.sex() => errors.push((
                    column_index(cols, "sex"),
                    format!(
                        "性别“{}”与身份证号（{}性）不一致，请核对",
                        s.label_zh(),
                        id.sex().label_zh()
                    ),
                )),
                _ => {}
            }
        }
        let birth = text(cols, &p.cells, "birth_date").trim();
        if !birth.is_empty() {
            let at = column_index(cols, "birth_date");
            match shiminhua_core::field::parse_date(birth) {
                None => errors.push((at, "出生日期无法识别，请填写如 1990-03-05 的日期".into())),
                Some(d) if d > today => errors.push((at, "出生日期不能晚于今天".into())),
                Some(d) if id.as_ref().is_some_and(|id| id.birth_date() != d) => {
                    errors.push((at, "出生日期与身份证号不一致，请核对".into()));
                }
                Some(_) => {}
            }
        }
        let has_employment = cols
            .iter()
            .zip(&p.cells)
            .any(|(c, v)| c.part == Part::Employment && !v.trim().is_empty());
        if has_employment {
            let spec = employment();
            let cells = &p.cells;
            let get = |k: &str| text(cols, cells, k).to_string();
            match crate::fields::read(spec, &get, &self.ctx.places, self.now) {
                Ok(values) => {
                    if let Some(w) = &valid {
                        let v = records::place(&self.ctx, spec, values, None, w.region.as_i64(), self.actor.unit_id)?;
                        if self.actor.scope.allows(spec.kind, v.region) {
                            p.employment = Some(v);
                        } else {
                            errors.push((
                                column_index(cols, spec.place.unwrap_or("place")),
                                "该就业记录所在地不在您的数据范围内".into(),
                            ));
                        }
                    }
                }
                Err(AppError::Validation(errs)) => {
                    errors.extend(errs.0.into_iter().map(|(f, m)| (column_index(cols, &f), m)));
                }
                Err(e) => return Err(e),
            }
        }
        let (Some(w), true) = (valid, errors.is_empty()) else {
            return Ok(Checked::Rejected(p, errors));
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

    /// Reads a payroll line as the form reads it; every error of the line
    /// goes to `errors`.
    fn read_payroll(&self, cells: &[String], errors: &mut Vec<(usize, String)>) -> Option<PayrollLine> {
        use shiminhua_core::field::Value;
        use shiminhua_core::monitor::forms::{PAYROLL, mask_account};
        let cols = &self.cols;
        let get = |k: &str| text(cols, cells, k).to_string();
        let code = get("project_code").trim().to_string();
        if code.is_empty() {
            errors.push((column_index(cols, "project_code"), "请填写项目编号".to_string()));
        }
        let id = IdNumber::parse(get("id_number").trim())
            .map_err(|e| errors.push((column_index(cols, "id_number"), e.to_string())))
            .ok();
        let month = Month::parse(&get("month"));
        if month.is_none() && !get("month").trim().is_empty() {
            errors.push((column_index(cols, "month"), "工资月份应写成 2026-03".to_string()));
        }
        let today = crate::fields::today(self.now);
        let values = shiminhua_core::field::validate(&PAYROLL, &get, &self.ctx.places, today)
            .map_err(|errs| errors.extend(errs.into_iter().map(|(f, m)| (column_index(cols, f), m))))
            .ok();
        let (Some(id), Some(month), Some(values), true) = (id, month, values, errors.is_empty()) else {
            return None;
        };
        let (Some(Value::Money(amount)), Some(Value::Date(paid_on))) = (values.get("amount"), values.get("paid_on"))
        else {
            errors.push((column_index(cols, "amount"), "实发金额无法识别".to_string()));
            return None;
        };
        if amount.0 <= 0 {
            errors.push((column_index(cols, "amount"), "实发金额应大于0".to_string()));
            return None;
        }
        if *paid_on < month.first_day() {
            errors.push((column_index(cols, "paid_on"), "发放日期不能早于工资月份".to_string()));
            return None;
        }
        Some(PayrollLine {
            code,
            index: self.cipher.blind_index("id_number", id.as_str()),
            name: record::normalise(&get("name")),
            month,
            amount: amount.0,
            paid_on: *paid_on,
            account: mask_account(&get("account")),
        })
    }
}
/// One batch on its way from validation to the writer, with the validation
/// stage's counts so far (for the progress record).
pub(super) struct Batch {
    pub(super) rows: Vec<Pending>,
    pub(super) last_line: u64,
    pub(super) read_rows: u64,
    pub(super) stage_rows: u64,
    pub(super) stage_rejected: u64,
}

/// Whether the actor may write the target kind anywhere at all.
pub(super) fn target_in_scope(call: &Call<'_>, target: ImportKind) -> bool {
    target.in_scope(call.actor)
}

pub(super) fn column_index(cols: &[Column], key: &str) -> usize {
    cols.iter().position(|c| c.key == key).unwrap_or(usize::MAX)
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
