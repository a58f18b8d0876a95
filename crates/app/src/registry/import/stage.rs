//! The first step of an import: a batch of checked rows staged, in one
//! transaction that also advances the import's batch record.
//!
//! Workers are staged sealed, as the registry holds them; records with
//! their worker found, validated and placed; facilities and the platform's
//! clues as their cells, once they passed the checks of the form. Whatever
//! needs the registry to judge (a worker registered elsewhere, a record's
//! worker, a file's duplicate record) is judged here, so that the preview
//! lists every row that will not be taken. In a preview, the rows are also
//! classified (new, changed, unchanged) against the registry as it is.

use super::check::{Batch, CheckedWorker, Pending, column_index, text};
use super::outcome::{Summary, reject, reject_one};
use super::templates::{Column, ImportKind};
use super::writers;
use crate::Call;
use crate::error::{AppError, AppResult};
use crate::registry::Outcome;
use crate::registry::records::{self, Context, Owner};
use crate::store::{Arg, Sql, Tx};
use crate::stored_values::to_json;
use shiminhua_core::auth::RecordKind;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::record::{self, KindSpec};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// What staging carries from batch to batch.
pub(super) struct Stager {
    pub(super) batch_id: i64,
    /// A preview: rows are also classified against the registry.
    pub(super) preview: bool,
    /// The file's records so far, by a hash of (worker, kind, natural key),
    /// with their line: one record, one row.
    seen_records: HashMap<u64, u64>,
    hasher: std::collections::hash_map::RandomState,
    /// Workers on file exactly as their rows have them: counted as
    /// unchanged, not staged.
    pub(super) skipped: u64,
    /// A payroll file's projects by code (`None`: not in the importer's view).
    projects: HashMap<String, Option<i64>>,
    /// The rosters of the projects the last batch of a payroll file named:
    /// by project, the workers' blind indexes with their id and name.
    rosters: HashMap<i64, HashMap<Vec<u8>, (i64, String)>>,
}

impl Stager {
    /// A stager for `batch_id`; a resumed batch's records staged before are
    /// known again (duplicates across the interruption are still found).
    pub(super) async fn new(tx: &mut Tx, batch_id: i64, preview: bool) -> AppResult<Stager> {
        let skipped = tx
            .int(Sql::new("SELECT unchanged FROM import_batches WHERE id = $1").bind(batch_id))
            .await?;
        let mut s = Stager {
            batch_id,
            preview,
            seen_records: HashMap::new(),
            hasher: std::collections::hash_map::RandomState::new(),
            skipped: skipped as u64,
            projects: HashMap::new(),
            rosters: HashMap::new(),
        };
        let rows: Vec<(Vec<u8>, String, String, i64)> = tx
            .all(
                Sql::new("SELECT worker_index, kind, natural_key, line FROM import_stage_records WHERE batch_id = $1")
                    .bind(batch_id),
            )
            .await?;
        for (index, kind, key, line) in rows {
            let h = s.record_key(&index, &kind, &key);
            s.seen_records.insert(h, line as u64);
        }
        Ok(s)
    }

    fn record_key(&self, worker_index: &[u8], kind: &str, natural_key: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write(worker_index);
        h.write_u8(0);
        h.write(kind.as_bytes());
        h.write_u8(0);
        h.write(natural_key.as_bytes());
        h.finish()
    }
}

/// Stages one batch in one transaction, with the batch record's progress.
pub(super) async fn stage(
    call: &Call<'_>,
    target: ImportKind,
    ctx: &Context,
    cols: &[Column],
    batch: Batch,
    summary: &mut Summary,
    stager: &mut Stager,
) -> AppResult<()> {
    let Batch {
        rows,
        last_line,
        stage_rows,
        stage_rejected,
        ..
    } = batch;
    let mut tx = call.db.write().await?;
    match target {
        ImportKind::Workers => stage_workers(&mut tx, call, cols, rows, summary, stager).await?,
        ImportKind::Records(spec) => stage_records(&mut tx, call, ctx, spec, cols, rows, summary, stager).await?,
        ImportKind::Facilities(kind) => {
            let passed = writers::write_facilities(&mut tx, call, kind.spec(), cols, rows, summary, true).await?;
            stage_rows_as_cells(&mut tx, stager.batch_id, passed).await?;
        }
        ImportKind::PlatformCases => {
            let passed = writers::write_platform_cases(&mut tx, call, cols, rows, summary, true).await?;
            stage_rows_as_cells(&mut tx, stager.batch_id, passed).await?;
        }
        ImportKind::Projects => {
            let passed = writers::write_projects(&mut tx, call, cols, rows, summary, true).await?;
            stage_rows_as_cells(&mut tx, stager.batch_id, passed).await?;
        }
        ImportKind::ProjectRoster => {
            let passed = writers::write_roster(&mut tx, call, cols, rows, summary, true).await?;
            stage_rows_as_cells(&mut tx, stager.batch_id, passed).await?;
        }
        ImportKind::Vacancies => {
            let passed = writers::write_vacancies(&mut tx, call, cols, rows, summary, true).await?;
            stage_rows_as_cells(&mut tx, stager.batch_id, passed).await?;
        }
        ImportKind::Payroll => stage_payroll(&mut tx, call, cols, rows, summary, stager).await?,
    }
    let n = tx
        .exec(
            Sql::new(
                "UPDATE import_batches SET rows_done = $1, last_line = $2, rejected = $3, unchanged = $4 \
                 WHERE id = $5 AND status IN ('checking', 'running')",
            )
            .bind((stage_rows + summary.resumed) as i64)
            .bind(last_line as i64)
            .bind((stage_rejected + summary.rejected) as i64)
            .bind(stager.skipped as i64)
            .bind(stager.batch_id),
        )
        .await?;
    if n == 0 {
        // Discarded meanwhile (the upload was cancelled).
        return Err(AppError::Conflict("该文件的检查已取消。".into()));
    }
    tx.commit().await
}

/// Existing workers of a batch, looked up by blind index.
#[derive(sqlx::FromRow)]
pub(super) struct Existing {
    pub(super) id: i64,
    pub(super) id_index: Vec<u8>,
    pub(super) name: String,
    pub(super) region_code: i64,
    phone_index: Option<Vec<u8>>,
    hukou_place: String,
    education: String,
    skills: String,
    tags: String,
}

pub(super) async fn existing_workers(tx: &mut Tx, indexes: &[&[u8]]) -> AppResult<HashMap<Vec<u8>, Existing>> {
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

/// The columns of `import_stage_workers` after (batch_id, line): those of
/// a worker's insert row up to `tags`, then the masked name.
const STAGE_WORKER_COLUMNS: [&str; 19] = [
    "batch_id",
    "line",
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
    "person",
];

const STAGE_RECORD_COLUMNS: [&str; 13] = [
    "batch_id",
    "line",
    "worker_index",
    "worker_name",
    "kind",
    "dependant_id",
    "county_code",
    "region_code",
    "unit_id",
    "period_date",
    "natural_key",
    "data",
    "person",
];

/// A staged record row.
fn record_row(
    batch_id: i64,
    line: u64,
    worker_index: Vec<u8>,
    worker_name: &str,
    v: &records::Valid,
    person: &str,
) -> Vec<Arg> {
    vec![
        batch_id.into(),
        (line as i64).into(),
        worker_index.into(),
        worker_name.to_string().into(),
        v.spec.kind.code().into(),
        v.dependant_id.into(),
        v.county.as_i64().into(),
        v.region.as_i64().into(),
        v.unit_id.into(),
        v.period.into(),
        v.natural_key.clone().into(),
        to_json(v.spec, &v.values).into(),
        person.to_string().into(),
    ]
}

async fn stage_workers(
    tx: &mut Tx,
    call: &Call<'_>,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    stager: &mut Stager,
) -> AppResult<()> {
    let indexes: Vec<&[u8]> = batch
        .iter()
        .filter_map(|p| p.worker.as_ref().map(|w| w.index.as_slice()))
        .collect();
    let existing = existing_workers(tx, &indexes).await?;
    let mut staged: Vec<Vec<Arg>> = Vec::with_capacity(batch.len());
    let mut jobs: Vec<Vec<Arg>> = Vec::new();
    let mut counts = summary.employment.unwrap_or_default();
    for mut p in batch {
        let Some(CheckedWorker {
            valid: w,
            index,
            insert,
        }) = p.worker.take()
        else {
            continue;
        };
        let job = p.employment.take();
        let old = existing.get(&index);
        if let Some(old) = old {
            let region = DivisionCode::from_i64(old.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
            if !call.actor.scope.allows(RecordKind::Worker, region) {
                let i = column_index(cols, "id_number");
                reject_one(summary, cols, p, i, OUT_OF_SCOPE.into());
                continue;
            }
        }
        // A worker on file as the row has it is not staged: the merge
        // would leave it as it is (its record, if any, is).
        let changed = old.is_none_or(|old| {
            let phone_index = w.phone.as_ref().map(|p| call.cipher.blind_index("phone", p.as_str()));
            let differs = |new: &str, old: &str| !new.is_empty() && new != old;
            w.name != old.name
                || w.region.as_i64() != old.region_code
                || (phone_index.is_some() && phone_index != old.phone_index)
                || differs(&w.hukou_place, &old.hukou_place)
                || differs(&w.education, &old.education)
                || differs(&w.skills, &old.skills)
                || differs(&w.tags, &old.tags)
        });
        if !changed {
            stager.skipped += 1;
        }
        if stager.preview {
            match (old, changed) {
                (None, _) => summary.inserted += 1,
                (Some(_), true) => summary.updated += 1,
                (Some(_), false) => summary.unchanged += 1,
            }
            if let Some(v) = &job {
                // A worker not yet registered has no records: its record is new.
                let outcome = match old {
                    Some(old) => {
                        let owner = Owner {
                            id: old.id,
                            region_code: old.region_code,
                            id_index: old.id_index.clone(),
                        };
                        records::classify(tx, &owner, v).await?
                    }
                    None => Outcome::Inserted(0),
                };
                match outcome {
                    Outcome::Inserted(_) => counts.inserted += 1,
                    Outcome::Updated(_) => counts.updated += 1,
                    Outcome::Unchanged(_) => counts.unchanged += 1,
                }
            }
        }
        if let Some(v) = &job {
            jobs.push(record_row(stager.batch_id, p.line, index.clone(), "", v, &p.person));
        }
        if !changed {
            continue;
        }
        let mut row: Vec<Arg> = Vec::with_capacity(STAGE_WORKER_COLUMNS.len());
        row.push(stager.batch_id.into());
        row.push((p.line as i64).into());
        // The insert row without created_at and updated_at (set by the merge).
        row.extend(insert.into_iter().take(STAGE_WORKER_COLUMNS.len() - 3));
        row.push(p.person.clone().into());
        staged.push(row);
    }
    if stager.preview && summary.employment.is_some() {
        summary.employment = Some(counts);
    }
    tx.bulk_insert("import_stage_workers", &STAGE_WORKER_COLUMNS, staged)
        .await?;
    tx.bulk_insert("import_stage_records", &STAGE_RECORD_COLUMNS, jobs)
        .await?;
    Ok(())
}

/// Why a worker registered by another district is not taken.
pub(super) const OUT_OF_SCOPE: &str = "该身份证号已由您数据范围以外的地区登记，无权修改，请联系现居住地所在区县";

#[expect(clippy::too_many_arguments, reason = "the state of one import run")]
async fn stage_records(
    tx: &mut Tx,
    call: &Call<'_>,
    ctx: &Context,
    spec: &'static KindSpec,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    stager: &mut Stager,
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
    let mut staged: Vec<Vec<Arg>> = Vec::with_capacity(batch.len());
    for (p, index) in batch.into_iter().zip(indexes) {
        let id_col = column_index(cols, "worker_id");
        let Some(index) = index else {
            let id = text(cols, &p.cells, "worker_id");
            let reason = match shiminhua_core::id_number::IdNumber::parse(id) {
                Err(e) if !id.trim().is_empty() => e.to_string(),
                _ => "请填写身份证号".to_string(),
            };
            reject_one(summary, cols, p, id_col, reason);
            continue;
        };
        let Some(w) = owners.get(&index) else {
            reject_one(summary, cols, p, id_col, NOT_REGISTERED.into());
            continue;
        };
        let name = shiminhua_core::person::normalise_name(&record::tidy(text(cols, &p.cells, "worker_name")));
        if name != w.name {
            let i = column_index(cols, "worker_name");
            reject_one(summary, cols, p, i, NAME_DIFFERS.into());
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
                let errors = errs.0.into_iter().map(|(f, m)| (column_index(cols, &f), m)).collect();
                reject(summary, cols, p, errors);
                continue;
            }
            Err(e) => return Err(e),
        };
        let key = stager.record_key(&index, v.spec.kind.code(), &v.natural_key);
        if let Some(first) = stager.seen_records.get(&key) {
            reject_one(summary, cols, p, usize::MAX, format!("与第{first}行是同一条记录"));
            continue;
        }
        stager.seen_records.insert(key, p.line);
        if stager.preview {
            match records::classify(tx, &owner, &v).await? {
                Outcome::Inserted(_) => summary.inserted += 1,
                Outcome::Updated(_) => summary.updated += 1,
                Outcome::Unchanged(_) => summary.unchanged += 1,
            }
        }
        staged.push(record_row(stager.batch_id, p.line, index, &w.name, &v, &p.person));
    }
    tx.bulk_insert("import_stage_records", &STAGE_RECORD_COLUMNS, staged)
        .await?;
    Ok(())
}

/// Why a record's worker is not found.
pub(super) const NOT_REGISTERED: &str = "该身份证号尚未登记农民工信息，请先登记或导入农民工名单";
/// Why a record's name does not fit its ID number.
pub(super) const NAME_DIFFERS: &str = "姓名与身份证号登记的姓名不一致，请核对";

/// Stages rows as their cells (JSON array of text).
async fn stage_rows_as_cells(tx: &mut Tx, batch_id: i64, rows: Vec<Pending>) -> AppResult<()> {
    let rows: Vec<Vec<Arg>> = rows
        .into_iter()
        .map(|p| {
            vec![
                batch_id.into(),
                (p.line as i64).into(),
                serde_json::Value::from(p.cells).to_string().into(),
                p.person.into(),
            ]
        })
        .collect();
    tx.bulk_insert("import_stage_rows", &["batch_id", "line", "cells", "person"], rows)
        .await?;
    Ok(())
}

/// Stages a batch of a payroll file (the bank's 代发 lines, read by the
/// checker): each line's project found by code in the importer's view, its
/// worker on that project's roster by ID number (with the name on file);
/// the lines that pass are staged with their project and worker, the others
/// reported with the reason. The rosters of the batch's projects are read
/// whole, once, and kept while the following batches name those projects.
async fn stage_payroll(
    tx: &mut Tx,
    call: &Call<'_>,
    cols: &[Column],
    rows: Vec<Pending>,
    summary: &mut Summary,
    stager: &mut Stager,
) -> AppResult<()> {
    let mut codes: Vec<String> = rows
        .iter()
        .filter_map(|p| p.payroll.as_ref())
        .filter(|l| !stager.projects.contains_key(&l.code))
        .map(|l| l.code.clone())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if !codes.is_empty() {
        let found = crate::rights::monitor::ids_by_code(tx, call.actor, &codes).await?;
        for code in codes {
            let id = found.get(&code).copied();
            stager.projects.insert(code, id);
        }
    }
    let mut projects: Vec<i64> = rows
        .iter()
        .filter_map(|p| stager.projects.get(&p.payroll.as_ref()?.code).copied().flatten())
        .collect();
    projects.sort_unstable();
    projects.dedup();
    // Rosters of projects the batch does not name are let go.
    stager.rosters.retain(|id, _| projects.binary_search(id).is_ok());
    let missing: Vec<i64> = projects
        .into_iter()
        .filter(|id| !stager.rosters.contains_key(id))
        .collect();
    for chunk in missing.chunks(500) {
        let mut q = Sql::new(crate::store::dialect::packed_rosters(tx.backend()));
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.arg(*id);
        }
        q.push(crate::store::dialect::PACKED_ROSTERS_END);
        for id in chunk {
            stager.rosters.insert(*id, HashMap::new());
        }
        for (project, packed) in tx.all::<(i64, String)>(q).await? {
            let workers: Vec<(String, i64, String)> =
                serde_json::from_str(&packed).map_err(|e| AppError::Internal(format!("packed roster: {e}")))?;
            let Some(roster) = stager.rosters.get_mut(&project) else {
                continue;
            };
            for (index, worker, name) in workers {
                let index = crate::unhex(&index).ok_or_else(|| AppError::Internal("packed roster index".into()))?;
                roster.insert(index, (worker, record::normalise(&name)));
            }
        }
    }
    // Workers on no roster of theirs: registered, or not at all.
    let strays: Vec<Vec<u8>> = rows
        .iter()
        .filter_map(|p| {
            let l = p.payroll.as_ref()?;
            let project = stager.projects.get(&l.code).copied().flatten()?;
            let on = stager.rosters.get(&project).is_some_and(|r| r.contains_key(&l.index));
            (!on).then(|| l.index.clone())
        })
        .collect();
    let registered: HashMap<Vec<u8>, String> = tx
        .select_in::<(Vec<u8>, String)>("SELECT w.id_index, w.name FROM workers w", "w.id_index", &strays)
        .await?
        .into_iter()
        .map(|(index, name)| (index, record::normalise(&name)))
        .collect();
    let mut staged = Vec::with_capacity(rows.len());
    for p in rows {
        let Some(l) = &p.payroll else {
            return Err(AppError::Internal("payroll line not read".into()));
        };
        let project = stager.projects.get(&l.code).copied().flatten();
        let on_roster = project.and_then(|id| stager.rosters.get(&id)?.get(&l.index));
        let name_on_file = on_roster.map(|(_, n)| n).or_else(|| registered.get(&l.index));
        let (col, reason) = match (project, on_roster, name_on_file) {
            (None, ..) => (
                "project_code",
                format!("项目编号“{}”不存在或不在您的数据范围内", l.code),
            ),
            (_, _, None) => ("id_number", "该身份证号码的人员不在农民工信息库中".to_string()),
            (_, _, Some(name)) if !l.name.is_empty() && l.name != *name => {
                ("name", "姓名与身份证号码登记的姓名不一致".to_string())
            }
            (Some(project), Some((worker, _)), _) => {
                summary.inserted += 1;
                staged.push((
                    project,
                    l.month.code(),
                    *worker,
                    p.line as i64,
                    l.amount,
                    l.paid_on,
                    l.account.clone(),
                ));
                continue;
            }
            _ => ("id_number", "该人员不在本项目的实名制名单中".to_string()),
        };
        reject_one(summary, cols, p, column_index(cols, col), reason);
    }
    // In the stage's key order (project, month, worker, line): a file sent
    // project by project adds its lines at the end.
    staged.sort_unstable_by_key(|s| (s.0, s.1, s.2, s.3));
    let batch = stager.batch_id;
    let staged = staged
        .into_iter()
        .map(|(project, month, worker, line, amount, paid_on, account)| {
            vec![
                batch.into(),
                line.into(),
                project.into(),
                worker.into(),
                month.into(),
                amount.into(),
                paid_on.into(),
                account.into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "import_stage_payroll",
        &[
            "batch_id",
            "line",
            "project_id",
            "worker_id",
            "month",
            "amount_fen",
            "paid_on",
            "account_masked",
        ],
        staged,
    )
    .await?;
    Ok(())
}
