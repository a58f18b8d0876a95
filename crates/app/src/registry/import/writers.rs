//! The writers of one batch, one per target, in one transaction.

use super::BATCH_ROWS;
use super::check::{Batch, CheckedWorker, Pending, column_index, text};
use super::outcome::{Summary, reject, reject_one};
use super::templates::{Column, ImportKind};
use crate::Call;
use crate::error::{AppError, AppResult};
use crate::registry::Outcome;
use crate::registry::records::{self, Context, Owner};
use crate::registry::workers::{self, ValidWorker};
use crate::store::{Arg, Sql, Tx};
use shiminhua_core::auth::RecordKind;
use shiminhua_core::facility::FacilitySpec;
use shiminhua_core::record::{self, KindSpec};
use std::collections::HashMap;

/// Writes (or, in a dry run, classifies) one batch in one transaction.
pub(super) async fn flush(
    call: &Call<'_>,
    target: ImportKind,
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
        ImportKind::Workers => write_workers(&mut tx, call, cols, batch, summary, dry_run).await?,
        ImportKind::Records(spec) => write_records(&mut tx, call, ctx, spec, cols, batch, summary, dry_run).await?,
        ImportKind::Facilities(kind) => {
            write_facilities(&mut tx, call, kind.spec(), cols, batch, summary, dry_run).await?
        }
        ImportKind::PlatformCases => write_platform_cases(&mut tx, call, cols, batch, summary, dry_run).await?,
    }
    if dry_run {
        return Ok(());
    }
    if summary.inserted > 0 && (stage_rows as usize / BATCH_ROWS) % 40 == 1 {
        // The table grows fast: fresh statistics keep the lookups on the index.
        tx.analyze(match target {
            ImportKind::Workers => "workers",
            ImportKind::Records(_) => "records",
            ImportKind::Facilities(_) => "facilities",
            ImportKind::PlatformCases => "cases",
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
    // Employment records of the rows taken, written once their workers are.
    let mut jobs: Vec<(Vec<u8>, i64, records::Valid)> = Vec::new();
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
        match existing.get(&index) {
            None => {
                summary.inserted += 1;
                if let Some(v) = job {
                    jobs.push((index, w.region.as_i64(), v));
                }
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
                    let reason = "该身份证号已由您数据范围以外的地区登记，无权修改，请联系现居住地所在区县";
                    reject_one(summary, cols, p, i, reason.into());
                    continue;
                }
                if let Some(v) = job {
                    jobs.push((index.clone(), w.region.as_i64(), v));
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
    write_jobs(tx, call, jobs, summary, dry_run).await
}

/// The employment records of a worker roster's rows, after their workers:
/// each added, changed or left as it is by its natural key. In a dry run a
/// worker not yet registered has no records, so its record counts as new.
async fn write_jobs(
    tx: &mut Tx,
    call: &Call<'_>,
    jobs: Vec<(Vec<u8>, i64, records::Valid)>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let keys: Vec<&[u8]> = jobs.iter().map(|(k, _, _)| k.as_slice()).collect();
    let owners = existing_workers(tx, &keys).await?;
    let mut counts = summary.employment.unwrap_or_default();
    for (index, region, v) in jobs {
        let owner = match owners.get(&index) {
            Some(w) => Owner {
                id: w.id,
                region_code: w.region_code,
                id_index: w.id_index.clone(),
            },
            None if dry_run => Owner {
                id: 0,
                region_code: region,
                id_index: index,
            },
            None => return Err(AppError::Internal("worker of an employment row not written".into())),
        };
        let outcome = if dry_run {
            records::classify(tx, &owner, &v).await?
        } else {
            records::upsert(tx, call, &owner, &v, "import").await?
        };
        match outcome {
            Outcome::Inserted(_) => counts.inserted += 1,
            Outcome::Updated(_) => counts.updated += 1,
            Outcome::Unchanged(_) => counts.unchanged += 1,
        }
    }
    summary.employment = Some(counts);
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
            reject_one(summary, cols, p, id_col, reason);
            continue;
        };
        let Some(w) = owners.get(&index) else {
            reject_one(
                summary,
                cols,
                p,
                id_col,
                "该身份证号尚未登记农民工信息，请先登记或导入农民工名单".into(),
            );
            continue;
        };
        let name = shiminhua_core::person::normalise_name(&record::tidy(text(cols, &p.cells, "worker_name")));
        if name != w.name {
            let i = column_index(cols, "worker_name");
            reject_one(summary, cols, p, i, "姓名与身份证号登记的姓名不一致，请核对".into());
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
        if let Some(first) = seen.insert((owner.id, v.natural_key.clone()), p.line) {
            reject_one(summary, cols, p, usize::MAX, format!("与第{first}行是同一条记录"));
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
                    reject_one(summary, cols, p, usize::MAX, reason);
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
                let errors = errs.0.into_iter().map(|(f, m)| (column_index(cols, &f), m)).collect();
                reject(summary, cols, p, errors);
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
    let rules = crate::rights::cases::StepRules::load(tx, crate::calendar::calendar(call.db).await?).await?;
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
            reject_one(summary, cols, p, column_index(cols, "clue_no"), reason);
            continue;
        }
        match crate::rights::cases::import_platform(tx, call, &rules, &input, dry_run).await {
            Ok(true) => summary.inserted += 1,
            Ok(false) => summary.unchanged += 1,
            Err(AppError::Validation(errs)) => {
                let errors = errs.0.into_iter().map(|(f, m)| (column_index(cols, &f), m)).collect();
                reject(summary, cols, p, errors);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
