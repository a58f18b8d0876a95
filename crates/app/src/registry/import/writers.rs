//! The row-by-row writers of the kinds that come in few rows (facilities,
//! the platform's clues): checked as the forms do, in a dry run when
//! staged and for real when merged. Each returns the rows it took.

use super::check::{Pending, column_index, text};
use super::outcome::{Summary, reject, reject_one};
use super::templates::Column;
use crate::Call;
use crate::error::{AppError, AppResult};
use crate::registry::Outcome;
use crate::store::Tx;
use shiminhua_core::facility::FacilitySpec;
use shiminhua_core::record;
use std::collections::HashMap;

/// Writes a batch of facility rows: each is validated, checked against the
/// rows before it (one facility, one row) and added or changed by its
/// natural key.
pub(super) async fn write_facilities(
    tx: &mut Tx,
    call: &Call<'_>,
    spec: &'static FacilitySpec,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<Vec<Pending>> {
    let mut taken = Vec::with_capacity(batch.len());
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
            Ok(o) => {
                match o {
                    Outcome::Inserted(_) => summary.inserted += 1,
                    Outcome::Updated(_) => summary.updated += 1,
                    Outcome::Unchanged(_) => summary.unchanged += 1,
                }
                taken.push(p);
            }
            Err(AppError::Validation(errs)) => {
                let errors = errs.0.into_iter().map(|(f, m)| (column_index(cols, &f), m)).collect();
                reject(summary, cols, p, errors);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(taken)
}

/// Registers the platform's clues of a batch: a clue number already
/// registered is skipped (unchanged), one repeated within the file is
/// refused, the rest are validated as the case form does and registered.
pub(super) async fn write_platform_cases(
    tx: &mut Tx,
    call: &Call<'_>,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<Vec<Pending>> {
    let mut taken = Vec::with_capacity(batch.len());
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
            Ok(new) => {
                if new {
                    summary.inserted += 1;
                } else {
                    summary.unchanged += 1;
                }
                taken.push(p);
            }
            Err(AppError::Validation(errs)) => {
                let errors = errs.0.into_iter().map(|(f, m)| (column_index(cols, &f), m)).collect();
                reject(summary, cols, p, errors);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(taken)
}
