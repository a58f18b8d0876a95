//! The row-by-row writers of the kinds that come in few rows (facilities,
//! the platform's clues, the monitoring's projects and rosters): checked as the forms do, in a dry run when
//! staged and for real when merged. Each returns the rows it took.

use super::check::{Pending, column_index, text};
use super::outcome::{Summary, reject, reject_one};
use super::templates::Column;
use crate::Call;
use crate::error::{AppError, AppResult};
use crate::registry::Outcome;
use crate::rights::monitor;
use crate::store::Sql;
use crate::store::Tx;
use shiminhua_core::facility::FacilitySpec;
use shiminhua_core::field::Value;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::monitor::Month;
use shiminhua_core::monitor::forms::ROSTER;
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

/// Adds or changes the projects of a batch by their code.
pub(super) async fn write_projects(
    tx: &mut Tx,
    call: &Call<'_>,
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
        let code = record::normalise(&get("code"));
        if !code.is_empty()
            && let Some(first) = seen.insert(code, p.line)
        {
            let reason = format!("与第{first}行的项目编号重复");
            reject_one(summary, cols, p, column_index(cols, "code"), reason);
            continue;
        }
        match monitor::upsert_in(tx, call, &get, dry_run).await {
            Ok(w) => {
                match w {
                    monitor::Written::Inserted => summary.inserted += 1,
                    monitor::Written::Updated => summary.updated += 1,
                    monitor::Written::Unchanged => summary.unchanged += 1,
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

/// Adds or changes the vacancies of a batch (`vacancies::upsert_in`): one
/// vacancy per employer, title and place in a file; a wage written as a
/// range in one column ("4000-6000") fills the two wage columns when they
/// are empty.
pub(super) async fn write_vacancies(
    tx: &mut Tx,
    call: &Call<'_>,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<Vec<Pending>> {
    use crate::registry::jobs::vacancies;
    let ranges = crate::registry::jobs::write_ranges(call.actor)?;
    let places = crate::regions::PlaceBook::load(tx).await?;
    let mut taken = Vec::with_capacity(batch.len());
    let mut seen: HashMap<(String, String, String), u64> = HashMap::new();
    for p in batch {
        let cells = &p.cells;
        let written = text(cols, cells, "wage").trim();
        let range = shiminhua_core::jobs::forms::wage_range(written);
        let split = |k: &str| !text(cols, cells, k).trim().is_empty();
        if !written.is_empty() && range.is_none() && !split("wage_min") && !split("wage_max") {
            let reason = format!("工资待遇“{written}”无法识别：岗位须写明月工资范围（元），如 4000-6000");
            reject_one(summary, cols, p, column_index(cols, "wage"), reason);
            continue;
        }
        let get = |k: &str| match (k, &range) {
            ("wage_min", Some((lo, _))) if text(cols, cells, k).trim().is_empty() => lo.clone(),
            ("wage_max", Some((_, hi))) if text(cols, cells, k).trim().is_empty() => hi.clone(),
            _ => text(cols, cells, k).to_string(),
        };
        // The vacancy's identity as the merge finds it: the place resolved,
        // so that "昱中街道" and "屯溪区昱中街道" are one place.
        let place = get("place");
        let key = (
            record::normalise(&get("employer_code")).to_ascii_uppercase(),
            record::normalise(&get("title")),
            places
                .resolve(&place)
                .map_or_else(|_| record::normalise(&place), |c| c.to_string()),
        );
        if let Some(first) = seen.get(&key) {
            let reason = format!("与第{first}行是同一单位、同一地点的同一岗位");
            reject_one(summary, cols, p, column_index(cols, "title"), reason);
            continue;
        }
        match vacancies::upsert_in(tx, call, &ranges, &get, dry_run).await {
            Ok(o) => {
                // Only a row taken stands for its vacancy.
                seen.insert(key, p.line);
                match o {
                    Outcome::Inserted(_) => summary.inserted += 1,
                    Outcome::Updated(_) => summary.updated += 1,
                    Outcome::Unchanged(_) => summary.unchanged += 1,
                }
                taken.push(p);
            }
            Err(AppError::Validation(errs)) => {
                let errors = errs
                    .0
                    .into_iter()
                    .map(|(f, m)| {
                        // A wage taken from the range column is that column's mistake.
                        let from_range = matches!(f.as_str(), "wage_min" | "wage_max")
                            && text(cols, cells, &f).trim().is_empty()
                            && range.is_some();
                        (column_index(cols, if from_range { "wage" } else { &f }), m)
                    })
                    .collect();
                reject(summary, cols, p, errors);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(taken)
}

/// A project as a roster line needs it: id, county, township.
type Site = (i64, i64, i64);

/// What a line of a roster to be merged does to its worker.
enum Person {
    OnFile(i64),
    /// Not registered: registered by the merge (the preview only checks).
    New,
}

/// A roster line's project (by code, in the importer's view) and worker (by
/// ID number, whose name must agree), or the column and reason it fails on.
/// A person not yet registered is registered (living at the project's
/// township) where the importer may register workers there — in a dry run
/// only checked.
async fn project_and_worker(
    tx: &mut Tx,
    call: &Call<'_>,
    projects: &mut HashMap<String, Option<Site>>,
    get: &(dyn Fn(&str) -> String + Sync),
    dry_run: bool,
) -> AppResult<Result<(Site, Person), (&'static str, String)>> {
    let code = get("project_code").trim().to_string();
    if code.is_empty() {
        return Ok(Err(("project_code", "请填写项目编号".into())));
    }
    let project = match projects.get(&code) {
        Some(p) => *p,
        None => {
            let p = monitor::by_code(tx, call.actor, &code)
                .await?
                .map(|p| (p.id, p.county_code, p.region_code));
            projects.insert(code.clone(), p);
            p
        }
    };
    let Some(project) = project else {
        return Ok(Err((
            "project_code",
            format!("项目编号“{code}”不存在或不在您的数据范围内"),
        )));
    };
    let id = match IdNumber::parse(get("id_number").trim()) {
        Ok(id) => id,
        Err(e) => return Ok(Err(("id_number", e.to_string()))),
    };
    let worker: Option<(i64, String)> = tx
        .opt(
            Sql::new("SELECT id, name FROM workers WHERE id_index = $1")
                .bind(call.cipher.blind_index("id_number", id.as_str())),
        )
        .await?;
    let Some((worker_id, name)) = worker else {
        let region = shiminhua_core::division::DivisionCode::from_i64(project.2).ok();
        let may = region.is_some_and(|r| call.actor.scope.allows(shiminhua_core::auth::RecordKind::Worker, r));
        if !may {
            return Ok(Err((
                "id_number",
                "该身份证号码的人员尚未在农民工信息库登记，请先导入农民工名单".into(),
            )));
        }
        let input = crate::registry::workers::WorkerInput {
            name: get("name"),
            id_number: id.as_str().to_string(),
            phone: get("phone"),
            region: project.2.to_string(),
            ..Default::default()
        };
        let made = if dry_run {
            let places = crate::regions::PlaceBook::load(tx).await?;
            crate::registry::workers::validate(call.actor, &places, &input, true)
                .map(|_| Person::New)
                .map_err(AppError::Validation)
        } else {
            crate::registry::workers::create_in(tx, call, &input)
                .await
                .map(Person::OnFile)
        };
        return match made {
            Ok(p) => Ok(Ok((project, p))),
            Err(AppError::Validation(e)) => {
                let (field, msg) = e.0.into_iter().next().unwrap_or_default();
                let col = match field.as_str() {
                    "phone" => "phone",
                    "id_number" => "id_number",
                    _ => "name",
                };
                Ok(Err((col, msg)))
            }
            Err(e) => Err(e),
        };
    };
    let given = record::normalise(&get("name"));
    if !given.is_empty() && given != record::normalise(&name) {
        return Ok(Err(("name", "姓名与身份证号码登记的姓名不一致".into())));
    }
    Ok(Ok((project, Person::OnFile(worker_id))))
}

fn date_of(s: &str) -> Option<chrono::NaiveDate> {
    shiminhua_core::field::parse_date(&record::normalise(s))
}

/// Puts the workers of a batch on their projects' rosters, with the
/// month's attendance where given; a person not yet registered is
/// registered first (where the importer may), once the line is valid.
pub(super) async fn write_roster(
    tx: &mut Tx,
    call: &Call<'_>,
    cols: &[Column],
    batch: Vec<Pending>,
    summary: &mut Summary,
    dry_run: bool,
) -> AppResult<Vec<Pending>> {
    let mut taken = Vec::with_capacity(batch.len());
    let mut projects = HashMap::new();
    let today = crate::fields::today(call.now);
    let places = crate::regions::PlaceBook::load(tx).await?;
    for p in batch {
        let cells = &p.cells;
        let get = |k: &str| text(cols, cells, k).to_string();
        let values = match shiminhua_core::field::validate(&ROSTER, &get, &places, today) {
            Ok(v) => v,
            Err(errs) => {
                let errors = errs.into_iter().map(|(f, m)| (column_index(cols, f), m)).collect();
                reject(summary, cols, p, errors);
                continue;
            }
        };
        let mut input = monitor::RosterInput {
            worker_id: 0,
            subcontractor: get("subcontractor"),
            team: get("team"),
            contract_signed: matches!(values.get("contract"), Some(Value::Flag(true))),
            entered_on: date_of(&get("entered")),
            left_on: date_of(&get("left")),
        };
        let attendance = match attendance_of(&get("month"), &get("days")) {
            Ok(a) => a,
            Err((col, reason)) => {
                reject_one(summary, cols, p, column_index(cols, col), reason.into());
                continue;
            }
        };
        let checked = monitor::check_roster(&input, today).and_then(|_| {
            attendance.map_or(Ok(()), |(month, days)| {
                monitor::check_attendance(
                    &monitor::AttendanceInput {
                        worker_id: 0,
                        month,
                        days,
                    },
                    today,
                )
            })
        });
        if let Err(e) = checked {
            match e {
                AppError::Validation(errs) => {
                    let errors = errs.0.into_iter().map(|(f, m)| (column_index(cols, &f), m)).collect();
                    reject(summary, cols, p, errors);
                    continue;
                }
                e => return Err(e),
            }
        }
        let ((project, county, _), person) = match project_and_worker(tx, call, &mut projects, &get, dry_run).await? {
            Ok(found) => found,
            Err((col, reason)) => {
                reject_one(summary, cols, p, column_index(cols, col), reason);
                continue;
            }
        };
        if let (false, Person::OnFile(worker_id)) = (dry_run, person) {
            input.worker_id = worker_id;
            monitor::roster_in(tx, call, project, county, &input).await?;
            if let Some((month, days)) = attendance {
                let a = monitor::AttendanceInput { worker_id, month, days };
                monitor::attendance_in(tx, project, &a, today).await?;
            }
        }
        summary.inserted += 1;
        taken.push(p);
    }
    Ok(taken)
}

/// A roster line's month and attendance days: both or neither.
fn attendance_of(month: &str, days: &str) -> Result<Option<(Month, i64)>, (&'static str, &'static str)> {
    let (month, days) = (month.trim(), record::normalise(days));
    match (month.is_empty(), days.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => match (Month::parse(month), days.parse::<i64>()) {
            (Some(m), Ok(d)) => Ok(Some((m, d))),
            (None, _) => Err(("month", "考勤月份应写成 2026-03")),
            (_, Err(_)) => Err(("days", "出勤天数应为0至31的整数")),
        },
        _ => Err(("days", "考勤月份与出勤天数应同时填写")),
    }
}
