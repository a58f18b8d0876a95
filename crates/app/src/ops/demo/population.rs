//! Generating the population: workers with their families and records
//! into the database, or into an import file.

use super::people::{EDUCATION_WEIGHTS, ORIGINS, Rng, SKILLS, TAGS, date_between, given, id_for, name, weighted};
use super::records::{dependant_on_file, records_for};
use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::registry::workers::{self, Owner, ValidWorker};
use crate::store::{Db, Sql};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::phone::Phone;

/// What a generation run made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generated {
    pub workers: usize,
    pub dependants: usize,
    pub records: usize,
}

/// How much each generated worker carries beyond the base population.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Options {
    /// The average number of records per worker aimed at. The base population
    /// has about [`BASE_RECORDS_PER_WORKER`]; above that, workers get earlier
    /// jobs (ended before the next one started) and further trainings. `None`
    /// (or a figure at or below the base) gives the base population, the same
    /// for a seed as ever.
    pub records_per_worker: Option<f64>,
}

/// Records per worker of the base population (measured over 100,000 workers).
pub const BASE_RECORDS_PER_WORKER: f64 = 4.13;

impl Options {
    /// Expected further records per worker.
    pub(super) fn extra(&self) -> f64 {
        self.records_per_worker
            .map_or(0.0, |r| (r - BASE_RECORDS_PER_WORKER).max(0.0))
    }
}

/// Whether the registry holds no worker yet (then `serve --demo` fills it).
pub async fn is_empty(db: &Db) -> AppResult<bool> {
    let q = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM workers LIMIT 1) AS any_worker");
    Ok(db.read().await?.int(q).await? == 0)
}

/// Generates `n` workers with families into the database, in batches of one
/// transaction each, recorded in the audit trail as one event per batch.
pub async fn generate(db: &Db, cipher: &Cipher, now: DateTime<Utc>, n: usize, seed: u64) -> AppResult<Generated> {
    generate_with(db, cipher, now, n, seed, Options::default()).await
}

/// Told after each committed batch how many of how many are done.
pub type Observer<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// [`generate`] with a denser population (see [`Options`]).
pub async fn generate_with(
    db: &Db,
    cipher: &Cipher,
    now: DateTime<Utc>,
    n: usize,
    seed: u64,
    options: Options,
) -> AppResult<Generated> {
    generate_observed(db, cipher, now, n, seed, options, &|_, _| {}).await
}

/// [`generate_with`], telling `observe` the workers generated so far (and
/// `n`) after each batch.
pub async fn generate_observed(
    db: &Db,
    cipher: &Cipher,
    now: DateTime<Utc>,
    n: usize,
    seed: u64,
    options: Options,
    observe: Observer<'_>,
) -> AppResult<Generated> {
    let extra = options.extra();
    let mut tx = db.read().await?;
    let towns: Vec<(i64,)> = tx
        .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
        .await?;
    drop(tx);
    if towns.is_empty() {
        return Err(AppError::Config("尚未初始化行政区划，请先运行 shiminhua init。".into()));
    }
    let ctx = crate::registry::records::Context::load(&mut db.read().await?).await?;
    let mut rng = Rng(seed);
    let mut out = Generated::default();
    let today = now.date_naive();
    let who = Who::system(&Origin::cli());
    let mut done = 0;
    while done < n {
        let batch = (n - done).min(500);
        let mut tx = db.write().await?;
        for _ in 0..batch {
            let male = rng.chance(62);
            let birth = date_between(
                &mut rng,
                NaiveDate::from_ymd_opt(1966, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(2004, 12, 31).unwrap_or_default(),
            );
            let (origin, place) = rng.pick(ORIGINS);
            let person = id_for(&mut rng, origin, birth, male)?;
            let index = cipher.blind_index("id_number", person.as_str());
            let taken = tx
                .int(Sql::new("SELECT COUNT(*) FROM workers WHERE id_index = $1").bind(index.clone()))
                .await?;
            if taken > 0 {
                continue;
            }
            let region = DivisionCode::from_i64(rng.pick(&towns).0).map_err(|e| AppError::Internal(e.to_string()))?;
            let county = region
                .county()
                .ok_or_else(|| AppError::Internal("township without county".into()))?;
            let phone_digits = format!(
                "1{}{:09}",
                rng.pick(&["3", "5", "7", "8", "9"]),
                rng.next() % 1_000_000_000
            );
            let mut tags: Vec<&str> = Vec::new();
            for t in TAGS {
                if rng.chance(12) {
                    tags.push(t);
                }
            }
            let w = ValidWorker {
                name: name(&mut rng, male),
                id: None,
                phone: if rng.chance(90) {
                    Phone::parse(&phone_digits).ok()
                } else {
                    None
                },
                region,
                county,
                hukou_place: place.to_string(),
                education: weighted(&mut rng, EDUCATION_WEIGHTS).to_string(),
                skills: SKILLS[rng.below(SKILLS.len())].to_string(),
                tags: tags.join(","),
            };
            let worker_id = workers::insert_worker(&mut tx, cipher, now, &w, &person, &index).await?;
            out.workers += 1;
            // Families: a spouse for most adults over 25, children for many of them.
            let age = today.year() - birth.year();
            let row = Owner {
                id: worker_id,
                county_code: county.as_i64(),
                id_index: &index,
            };
            let mut children_ids: Vec<(i64, NaiveDate)> = Vec::new();
            if age >= 25 && rng.chance(65) {
                let spouse_birth = birth + Duration::days(rng.below(2000) as i64 - 1000);
                let spouse = name(&mut rng, !male);
                let spouse_id = id_for(&mut rng, origin, spouse_birth, !male)?;
                // An ID number already on file (rare, at scale) is left out:
                // a failed insert would abort a PostgreSQL transaction.
                if !dependant_on_file(&mut tx, cipher, &spouse_id).await? {
                    workers::insert_dependant(
                        &mut tx,
                        cipher,
                        now,
                        &row,
                        "配偶",
                        &spouse,
                        Some(&spouse_id),
                        spouse_birth,
                    )
                    .await?;
                    out.dependants += 1;
                }
                let children = if rng.chance(55) { 1 + rng.below(2) } else { 0 };
                for _ in 0..children {
                    let from = (birth + Duration::days(365 * 20)).max(today - Duration::days(365 * 16));
                    let to = today - Duration::days(365 * 3);
                    if from >= to {
                        break;
                    }
                    let child_birth = date_between(&mut rng, from, to);
                    let surname: String = w.name.chars().take(1).collect();
                    let boy = rng.chance(52);
                    let child = format!("{surname}{}{}", given(&mut rng, boy), given(&mut rng, boy));
                    let child_id = id_for(&mut rng, origin, child_birth, boy)?;
                    if dependant_on_file(&mut tx, cipher, &child_id).await? {
                        continue;
                    }
                    let dep = workers::insert_dependant(
                        &mut tx,
                        cipher,
                        now,
                        &row,
                        "子女",
                        &child,
                        Some(&child_id),
                        child_birth,
                    )
                    .await?;
                    out.dependants += 1;
                    children_ids.push((dep, child_birth));
                }
            }
            out.records += records_for(
                &mut tx,
                &ctx,
                &mut rng,
                now,
                worker_id,
                region,
                county,
                &children_ids,
                &towns,
                extra,
            )
            .await?;
        }
        audit::record(
            &mut tx,
            now,
            &who,
            Event::ok("demo.generate", "worker", "").detail(format!("seed={seed}; batch={batch}")),
        )
        .await?;
        tx.commit().await?;
        done += batch;
        observe(done as u64, n as u64);
    }
    // The tallies of the 工作台 as one row per place again.
    crate::registry::workers::fold_tallies(db).await?;
    // Records were written without the figures: compute them once now.
    let plan = crate::plan::in_force::plan_in(&mut db.read().await?).await?;
    if let Some(plan) = plan {
        crate::plan::indicators::rebuild(db, &plan).await?;
    }
    Ok(out)
}

/// What a generated import file holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FileKind {
    /// The worker template's columns.
    #[default]
    Workers,
    /// The employment records template's columns: one job for each worker
    /// the workers file of the same seed and size holds.
    Employment,
}

/// Writes `n` rows as an import file, for trying and measuring the
/// importer: CSV when `path` ends in `.csv`, else xlsx. Deterministic for a
/// seed; every ID number and credit code is valid, every ID number distinct.
/// The workers of an employment file are those of the workers file of the
/// same seed. `changed` percent of the rows differ from the file of the
/// same seed with none changed (a worker's skill, a job's wage), the people
/// being the same.
pub fn write_import_file(path: &std::path::Path, n: usize, seed: u64, kind: FileKind, changed: u8) -> AppResult<u64> {
    use std::io::Write;
    let towns: Vec<(String, String)> = crate::regions::SEED_CSV
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.get(3) == Some(&"township")).then(|| (f[0].to_string(), f[2].to_string()))
        })
        .collect();
    let target = match kind {
        FileKind::Workers => crate::registry::import::ImportKind::Workers,
        FileKind::Employment => crate::registry::import::ImportKind::Records(
            shiminhua_core::record::spec(shiminhua_core::auth::RecordKind::Employment)
                .ok_or_else(|| AppError::Internal("employment spec".into()))?,
        ),
    };
    let cols = crate::registry::import::columns(target);
    let headers: Vec<&str> = cols.iter().map(|c| c.header).collect();
    let mut rng = Rng(seed);
    // The jobs and the changes from a stream of their own, so that the
    // people are those of every file of the seed.
    let mut more = Rng(seed ^ 0x5eed_f11e);
    let mut seen = std::collections::HashSet::new();
    let mut next_worker = |rng: &mut Rng| -> AppResult<[String; 8]> {
        loop {
            let male = rng.chance(62);
            let birth = date_between(
                rng,
                NaiveDate::from_ymd_opt(1966, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(2004, 12, 31).unwrap_or_default(),
            );
            let (origin, place) = rng.pick(ORIGINS);
            let id = id_for(rng, origin, birth, male)?;
            if !seen.insert(id.as_str().to_string()) {
                continue;
            }
            let (code, town) = &towns[rng.below(towns.len())];
            // Half the rows name the place, half give its code.
            let region = if rng.chance(50) { town.clone() } else { code.clone() };
            let phone = if rng.chance(90) {
                format!(
                    "1{}{:09}",
                    rng.pick(&["3", "5", "7", "8", "9"]),
                    rng.next() % 1_000_000_000
                )
            } else {
                String::new()
            };
            let tag = if rng.chance(20) {
                rng.pick(TAGS).to_string()
            } else {
                String::new()
            };
            return Ok([
                name(rng, male),
                id.as_str().to_string(),
                phone,
                region,
                place.to_string(),
                weighted(rng, EDUCATION_WEIGHTS).to_string(),
                SKILLS[rng.below(SKILLS.len())].to_string(),
                tag,
            ]);
        }
    };
    let mut next_row = |rng: &mut Rng| -> AppResult<Vec<String>> {
        let mut w = next_worker(rng)?;
        // Drawn whatever the share, so that the jobs are the same.
        let change = more.below(100) < usize::from(changed);
        Ok(match kind {
            FileKind::Workers => {
                if change {
                    let i = SKILLS.iter().position(|s| *s == w[6]).unwrap_or_default();
                    let other = (1..SKILLS.len())
                        .map(|k| SKILLS[(i + k) % SKILLS.len()])
                        // A blank cell keeps what is on file: never blank.
                        .find(|s| *s != w[6] && !s.is_empty())
                        .unwrap_or_default();
                    w[6] = other.to_string();
                }
                w.to_vec()
            }
            FileKind::Employment => {
                let town = towns
                    .iter()
                    .find(|(c, t)| *c == w[3] || *t == w[3])
                    .and_then(|(c, _)| DivisionCode::parse(c).ok())
                    .ok_or_else(|| AppError::Internal("a generated place".into()))?;
                let mut job = super::records::demo_job(&mut more, town);
                if change {
                    job.wage += 100;
                }
                let mut row = vec![std::mem::take(&mut w[0]), std::mem::take(&mut w[1])];
                row.extend(cols[2..].iter().map(|c| job.get(c.key)));
                row
            }
        })
    };
    let io = |e: std::io::Error| AppError::Config(format!("无法写入 {}：{e}", path.display()));
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
        writeln!(out, "{}", headers.join(",")).map_err(io)?;
        for _ in 0..n {
            writeln!(out, "{}", next_row(&mut rng)?.join(",")).map_err(io)?;
        }
        out.flush().map_err(io)?;
    } else {
        let widths = vec![16.0; headers.len()];
        let sheet = match kind {
            FileKind::Workers => "农民工名单",
            FileKind::Employment => "就业登记",
        };
        let mut out = crate::xlsx::XlsxStream::create(path, sheet, &headers, &widths)?;
        for _ in 0..n {
            let row = next_row(&mut rng)?;
            let cells: Vec<crate::xlsx::XCell<'_>> = row.iter().map(|s| crate::xlsx::XCell::Text(s)).collect();
            out.row(&cells)?;
        }
        out.finish()?;
    }
    Ok(n as u64)
}
