//! The second step of an import: the staged rows merged into the registry
//! as sets, in the caller's one transaction.
//!
//! Workers are matched to the registry by the blind index of their ID
//! numbers with a join: the changed ones keep their earlier version in
//! history and are updated with one statement, the new ones inserted with
//! one statement in key order. Records likewise, by worker and natural key,
//! with the plan's figures changed by the sum of what they took back and
//! brought ([`crate::plan::indicators::Changes`]). Facilities and the
//! platform's clues are few: they are written row by row, as the forms do,
//! in the same transaction.
//!
//! What staging judged is judged again only where the registry may have
//! changed in between (a worker registered elsewhere meanwhile, a record's
//! worker removed): such rows are reported as not taken.

use super::check::Pending;
use super::outcome::{Counts, Rejected, Summary};
use super::stage::{NAME_DIFFERS, NOT_REGISTERED, OUT_OF_SCOPE};
use super::templates::{Column, ImportKind};
use super::{KEEP_REJECTED, writers};
use crate::Call;
use crate::error::AppResult;
use crate::plan::indicators::{Changes, StoredFact};
use crate::store::{Backend, Sql, Tx, dialect};
use shiminhua_core::auth::RecordKind;

/// Staged lines merged per step (one set of statements each, all in the
/// caller's transaction): the progress shown moves with them. Each step
/// writes the indexes in key order once, so larger steps keep that order
/// over more of the file; a step's sort holds its rows in memory (about
/// 50 MB for 200,000 workers).
const STEP_LINES: i64 = 200_000;

/// Merges staged batch `batch_id` of `target`; counts what it did in
/// `summary` (its inserted, updated and unchanged are this merge's) and
/// reports the staged rows merged so far to `progress`.
pub(super) async fn merge(
    tx: &mut Tx,
    call: &Call<'_>,
    target: ImportKind,
    cols: &[Column],
    batch_id: i64,
    summary: &mut Summary,
    progress: Option<&(dyn Fn(u64, u64) + Sync)>,
) -> AppResult<()> {
    // The planner's statistics of the stage as filled (PostgreSQL; a no-op
    // on SQLite): without them it takes the stage for empty.
    tx.analyze("import_stage_workers").await?;
    tx.analyze("import_stage_records").await?;
    match target {
        ImportKind::Workers | ImportKind::Records(_) => {
            let (lo, hi, rows): (Option<i64>, Option<i64>, i64) = tx
                .one(
                    Sql::new(
                        "SELECT MIN(line), MAX(line), COUNT(*) FROM (\
                         SELECT line FROM import_stage_workers WHERE batch_id = $1 \
                         UNION SELECT line FROM import_stage_records WHERE batch_id = $1) AS staged",
                    )
                    .bind(batch_id),
                )
                .await?;
            if target == ImportKind::Workers {
                reject_out_of_scope(tx, call, batch_id, summary).await?;
            }
            let plan = crate::plan::in_force::plan_in(tx).await?;
            let mut changes = plan.as_ref().map(|p| Changes::new(p));
            let mut counts = Counts::default();
            let (lo, hi) = (lo.unwrap_or(1), hi.unwrap_or(0));
            let mut at = lo - 1;
            while at < hi {
                let lines = (at, at + STEP_LINES);
                if target == ImportKind::Workers {
                    let before = summary.inserted;
                    merge_workers(tx, call, batch_id, lines, summary).await?;
                    if summary.inserted - before >= 10_000 {
                        // The records' step finds their workers by index.
                        tx.analyze("workers").await?;
                    }
                }
                merge_records(tx, call, batch_id, lines, &mut counts, changes.as_mut(), summary).await?;
                at = lines.1;
                if let Some(progress) = progress {
                    let done = (at.min(hi) - lo + 1) as u64;
                    progress(done.min(rows as u64), rows as u64);
                }
            }
            if let Some(changes) = changes {
                changes.apply(tx).await?;
            }
            if target == ImportKind::Workers {
                if summary.employment.is_some() {
                    summary.employment = Some(counts);
                }
            } else {
                summary.inserted += counts.inserted;
                summary.updated += counts.updated;
                summary.unchanged += counts.unchanged;
            }
        }
        ImportKind::Payroll => merge_payroll(tx, batch_id, summary, progress).await?,
        ImportKind::Facilities(_)
        | ImportKind::PlatformCases
        | ImportKind::Projects
        | ImportKind::ProjectRoster
        | ImportKind::Vacancies => {
            merge_rows(tx, call, target, cols, batch_id, summary).await?;
        }
    }
    for table in super::STAGE_TABLES {
        tx.exec(Sql::new(&format!("DELETE FROM {table} WHERE batch_id = $1")).bind(batch_id))
            .await?;
    }
    Ok(())
}

/// A row not taken at the merge: its line and person, and the reason (its
/// cells are no longer at hand).
fn reject_line(summary: &mut Summary, line: i64, person: String, column: &str, reason: &str) {
    summary.rejected += 1;
    if summary.rejects.len() < KEEP_REJECTED {
        summary.rejects.push(Rejected {
            line: line as u64,
            column: column.to_string(),
            reason: reason.to_string(),
            errors: vec![(column.to_string(), reason.to_string())],
            person,
            cells: Vec::new(),
            raw: Vec::new(),
        });
    }
}

/// Removes staged lines of a batch (rows rejected at the merge) from the
/// given stage tables.
async fn unstage(tx: &mut Tx, tables: &[&str], batch_id: i64, lines: &[i64]) -> AppResult<()> {
    for chunk in lines.chunks(500) {
        for table in tables {
            let mut q = Sql::new(&format!("DELETE FROM {table} WHERE batch_id = "));
            q.arg(batch_id).push(" AND ").in_list("line", chunk.iter().copied());
            tx.exec(q).await?;
        }
    }
    Ok(())
}

/// A staged worker `s` differs from the registered `w` in what the import
/// writes (blank optional cells keep what is on file).
const WORKER_CHANGED: &str = "(w.name <> s.name OR w.region_code <> s.region_code \
     OR (s.phone_index IS NOT NULL AND (w.phone_index IS NULL OR w.phone_index <> s.phone_index)) \
     OR (s.hukou_place <> '' AND s.hukou_place <> w.hukou_place) \
     OR (s.education <> '' AND s.education <> w.education) \
     OR (s.skills <> '' AND s.skills <> w.skills) \
     OR (s.tags <> '' AND s.tags <> w.tags))";

/// New workers of a step from which SQLite's secondary indexes of `workers`
/// are built afresh, when they are at least as many as the registry holds.
const REBUILD_AT: i64 = 20_000;

/// The columns of a new worker, as written from the stage.
const WORKER_COLUMNS: &str = "county_code, region_code, name, id_sealed, id_index, id_masked, birth_year, sex, \
     origin_code, phone_sealed, phone_index, phone_masked, hukou_place, education, skills, tags";

/// Rejects the staged workers registered meanwhile by a district out of
/// the actor's scope.
async fn reject_out_of_scope(tx: &mut Tx, call: &Call<'_>, batch_id: i64, summary: &mut Summary) -> AppResult<()> {
    let mut q = Sql::new(
        "SELECT s.line, s.person FROM import_stage_workers s JOIN workers w ON w.id_index = s.id_index \
         WHERE s.batch_id = ",
    );
    q.arg(batch_id).push(" AND NOT ");
    q.in_ranges("w.region_code", &call.actor.scope.ranges_for(RecordKind::Worker));
    let out: Vec<(i64, String)> = tx.all(q).await?;
    let lines: Vec<i64> = out.iter().map(|(l, _)| *l).collect();
    for (line, person) in out {
        reject_line(summary, line, person, "身份证号", OUT_OF_SCOPE);
    }
    // A roster's row goes whole: its worker and its record.
    unstage(tx, &["import_stage_workers", "import_stage_records"], batch_id, &lines).await
}

/// The staged workers of lines `(from, to]`: the changed ones updated
/// (their versions replaced to history first), the new ones inserted.
async fn merge_workers(
    tx: &mut Tx,
    call: &Call<'_>,
    batch_id: i64,
    (from, to): (i64, i64),
    summary: &mut Summary,
) -> AppResult<()> {
    let backend = tx.backend();
    let matched = tx
        .int(
            Sql::new(
                "SELECT COUNT(*) FROM import_stage_workers s JOIN workers w ON w.id_index = s.id_index \
                 WHERE s.batch_id = $1 AND s.line > $2 AND s.line <= $3",
            )
            .bind(batch_id)
            .bind(from)
            .bind(to),
        )
        .await? as u64;
    let data = dialect::json_object_text(
        backend,
        "'education', w.education, 'hukou_place', w.hukou_place, 'name', w.name, \
         'region_code', w.region_code, 'skills', w.skills, 'tags', w.tags",
    );
    tx.exec(
        Sql::new(&format!(
            "INSERT INTO history (object_kind, object_id, worker_id, version, action, data, changed_at, changed_by) \
             SELECT 'worker', w.id, w.id, w.version, 'update', {data}, $1, $2 \
             FROM import_stage_workers s JOIN workers w ON w.id_index = s.id_index \
             WHERE s.batch_id = $3 AND s.line > $4 AND s.line <= $5 AND {WORKER_CHANGED}"
        ))
        .bind(call.now)
        .bind(call.actor.display_name.clone())
        .bind(batch_id)
        .bind(from)
        .bind(to),
    )
    .await?;
    let updated = tx
        .exec(
            Sql::new(&format!(
                "UPDATE workers AS w SET county_code = s.county_code, region_code = s.region_code, name = s.name, \
                 phone_sealed = COALESCE(s.phone_sealed, w.phone_sealed), \
                 phone_index = COALESCE(s.phone_index, w.phone_index), \
                 phone_masked = CASE WHEN s.phone_index IS NULL THEN w.phone_masked ELSE s.phone_masked END, \
                 hukou_place = CASE WHEN s.hukou_place = '' THEN w.hukou_place ELSE s.hukou_place END, \
                 education = CASE WHEN s.education = '' THEN w.education ELSE s.education END, \
                 skills = CASE WHEN s.skills = '' THEN w.skills ELSE s.skills END, \
                 tags = CASE WHEN s.tags = '' THEN w.tags ELSE s.tags END, \
                 updated_at = $1, version = w.version + 1 \
                 FROM import_stage_workers s \
                 WHERE s.batch_id = $2 AND s.line > $3 AND s.line <= $4 AND s.id_index = w.id_index \
                 AND {WORKER_CHANGED}"
            ))
            .bind(call.now)
            .bind(batch_id)
            .bind(from)
            .bind(to),
        )
        .await?;
    summary.updated += updated;
    summary.unchanged += matched.saturating_sub(updated);

    // The new ones, in key order. On SQLite the row trigger that indexes
    // each name stands aside (migration 0026) and the names are indexed
    // below as one set; PostgreSQL's trigger works per statement already.
    let first_new = tx.int(Sql::new("SELECT COALESCE(MAX(id), 0) FROM workers")).await? + 1;
    // Into a registry smaller than what comes, SQLite builds the secondary
    // indexes faster afresh (one sort each) than row by row; readers keep
    // their snapshot, and the transaction makes it all or nothing.
    let mut rebuild: Vec<(String, String)> = Vec::new();
    if backend == Backend::Sqlite {
        let coming = tx
            .int(
                Sql::new("SELECT COUNT(*) FROM import_stage_workers WHERE batch_id = $1 AND line > $2 AND line <= $3")
                    .bind(batch_id)
                    .bind(from)
                    .bind(to),
            )
            .await?;
        if coming >= REBUILD_AT && coming - matched as i64 >= first_new - 1 {
            rebuild = tx
                .all(Sql::new(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'workers' \
                     AND sql IS NOT NULL",
                ))
                .await?;
            // The names and statements are the migrations' own.
            for (name, _) in &rebuild {
                tx.exec(Sql::new(&format!("DROP INDEX {name}"))).await?;
            }
        }
        tx.exec(Sql::new("INSERT INTO import_merging (flag) VALUES (1)"))
            .await?;
    }
    let inserted = tx
        .exec(
            Sql::new(&format!(
                "INSERT INTO workers ({WORKER_COLUMNS}, created_at, updated_at) \
                 SELECT {WORKER_COLUMNS}, $1, $1 FROM import_stage_workers s \
                 WHERE s.batch_id = $2 AND s.line > $3 AND s.line <= $4 \
                 AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id_index = s.id_index) \
                 ORDER BY s.id_index"
            ))
            .bind(call.now)
            .bind(batch_id)
            .bind(from)
            .bind(to),
        )
        .await?;
    if backend == Backend::Sqlite {
        tx.exec(Sql::new("DELETE FROM import_merging")).await?;
        for (_, sql) in &rebuild {
            tx.exec(Sql::new(sql)).await?;
        }
        if inserted > 0 {
            tx.exec(
                Sql::new(
                    "INSERT OR IGNORE INTO worker_name_grams (gram, name, worker_id, region_code) \
                     SELECT gram, name, worker_id, region_code FROM ( \
                     SELECT substr(w.name, p.n, 1) AS gram, w.name AS name, w.id AS worker_id, \
                     w.region_code AS region_code \
                     FROM workers w JOIN name_positions p ON p.n <= length(w.name) WHERE w.id >= $1 \
                     UNION ALL \
                     SELECT substr(w.name, p.n, 2), w.name, w.id, w.region_code \
                     FROM workers w JOIN name_positions p ON p.n < length(w.name) WHERE w.id >= $1 \
                     ) ORDER BY gram, name, worker_id",
                )
                .bind(first_new),
            )
            .await?;
            tx.exec(
                Sql::new(
                    "INSERT INTO worker_tallies (region_code, workers, dependants) \
                     SELECT region_code, COUNT(*), 0 FROM workers WHERE id >= $1 GROUP BY region_code",
                )
                .bind(first_new),
            )
            .await?;
        }
    }
    summary.inserted += inserted;
    Ok(())
}

/// A staged record joined to its worker: the columns of `records` it is
/// written with.
const RECORD_JOIN: &str = "import_stage_records s JOIN workers w ON w.id_index = s.worker_index";
const RECORD_MATCH: &str = "r.worker_id = w.id AND r.kind = s.kind AND r.natural_key = s.natural_key";

/// The staged records of lines `(from, to]`: those whose worker is gone or
/// renamed meanwhile rejected, what the figures lose and gain noted in
/// `changes` (read before the writes), then written.
async fn merge_records(
    tx: &mut Tx,
    call: &Call<'_>,
    batch_id: i64,
    (from, to): (i64, i64),
    counts: &mut Counts,
    changes: Option<&mut Changes<'_>>,
    summary: &mut Summary,
) -> AppResult<()> {
    let staged = tx
        .int(
            Sql::new("SELECT COUNT(*) FROM import_stage_records WHERE batch_id = $1 AND line > $2 AND line <= $3")
                .bind(batch_id)
                .bind(from)
                .bind(to),
        )
        .await?;
    if staged == 0 {
        return Ok(());
    }
    let gone: Vec<(i64, String, bool)> = tx
        .all(
            Sql::new(
                "SELECT s.line, s.person, w.id IS NULL FROM import_stage_records s \
                 LEFT JOIN workers w ON w.id_index = s.worker_index \
                 WHERE s.batch_id = $1 AND s.line > $2 AND s.line <= $3 \
                 AND (w.id IS NULL OR (s.worker_name <> '' AND s.worker_name <> w.name))",
            )
            .bind(batch_id)
            .bind(from)
            .bind(to),
        )
        .await?;
    let lines: Vec<i64> = gone.iter().map(|(l, _, _)| *l).collect();
    for (line, person, missing) in gone {
        if missing {
            reject_line(summary, line, person, "身份证号", NOT_REGISTERED);
        } else {
            reject_line(summary, line, person, "姓名", NAME_DIFFERS);
        }
    }
    unstage(tx, &["import_stage_records"], batch_id, &lines).await?;

    if let Some(changes) = changes {
        let mut q = Sql::new(&format!(
            "SELECT w.id, s.kind, s.region_code, s.data, r.region_code, r.data, {} \
             FROM {RECORD_JOIN} LEFT JOIN records r ON {RECORD_MATCH} \
             WHERE s.batch_id = ",
            crate::plan::indicators::family_of("w.id")
        ));
        q.arg(batch_id)
            .push(" AND s.line > ")
            .arg(from)
            .push(" AND s.line <= ")
            .arg(to);
        type Row = (i64, String, i64, String, Option<i64>, Option<String>, i64);
        let rows: Vec<Row> = tx.all(q).await?;
        for (worker, kind, region, data, old_region, old_data, family) in rows {
            if old_data.as_deref() == Some(data.as_str()) {
                continue;
            }
            let fact = |region: i64, data: &str| {
                StoredFact::from_row(&kind, worker, region, data).map(|mut f| {
                    f.family = family;
                    f
                })
            };
            let before = match (old_region, &old_data) {
                (Some(r), Some(d)) => fact(r, d),
                _ => None,
            };
            changes.record(before.as_ref(), fact(region, &data).as_ref());
        }
    }
    write_records(tx, call, batch_id, (from, to), counts, staged - lines.len() as i64).await
}

/// The records' writes: history of the changed, the changed, the new.
async fn write_records(
    tx: &mut Tx,
    call: &Call<'_>,
    batch_id: i64,
    (from, to): (i64, i64),
    counts: &mut Counts,
    staged: i64,
) -> AppResult<()> {
    let lines = "s.batch_id = $3 AND s.line > $4 AND s.line <= $5";
    tx.exec(
        Sql::new(&format!(
            "INSERT INTO history (object_kind, object_id, worker_id, version, action, data, changed_at, changed_by) \
             SELECT 'record', r.id, r.worker_id, r.version, 'update', r.data, $1, $2 \
             FROM {RECORD_JOIN} JOIN records r ON {RECORD_MATCH} WHERE {lines} AND r.data <> s.data"
        ))
        .bind(call.now)
        .bind(call.actor.display_name.clone())
        .bind(batch_id)
        .bind(from)
        .bind(to),
    )
    .await?;
    let updated = tx
        .exec(
            Sql::new(
                "UPDATE records AS r SET dependant_id = x.dependant_id, county_code = x.county_code, \
                 region_code = x.region_code, unit_id = x.unit_id, period_date = x.period_date, data = x.data, \
                 source = 'import', updated_at = $1, version = r.version + 1 \
                 FROM (SELECT w.id AS worker_id, s.kind, s.natural_key, s.dependant_id, s.county_code, \
                 s.region_code, s.unit_id, s.period_date, s.data \
                 FROM import_stage_records s JOIN workers w ON w.id_index = s.worker_index \
                 WHERE s.batch_id = $2 AND s.line > $3 AND s.line <= $4) AS x \
                 WHERE r.worker_id = x.worker_id AND r.kind = x.kind AND r.natural_key = x.natural_key \
                 AND r.data <> x.data",
            )
            .bind(call.now)
            .bind(batch_id)
            .bind(from)
            .bind(to),
        )
        .await?;
    let inserted = tx
        .exec(
            Sql::new(&format!(
                "INSERT INTO records (kind, worker_id, dependant_id, county_code, region_code, unit_id, period_date, \
                 natural_key, data, source, created_at, updated_at, version) \
                 SELECT s.kind, w.id, s.dependant_id, s.county_code, s.region_code, s.unit_id, s.period_date, \
                 s.natural_key, s.data, 'import', $1, $1, 1 FROM {RECORD_JOIN} \
                 WHERE s.batch_id = $2 AND s.line > $3 AND s.line <= $4 \
                 AND NOT EXISTS (SELECT 1 FROM records r WHERE {RECORD_MATCH}) \
                 ORDER BY w.id, s.kind, s.natural_key"
            ))
            .bind(call.now)
            .bind(batch_id)
            .bind(from)
            .bind(to),
        )
        .await?;
    counts.updated += updated;
    counts.inserted += inserted;
    counts.unchanged += (staged as u64).saturating_sub(updated + inserted);
    Ok(())
}

/// Facilities and the platform's clues, row by row as the forms write them.
async fn merge_rows(
    tx: &mut Tx,
    call: &Call<'_>,
    target: ImportKind,
    cols: &[Column],
    batch_id: i64,
    summary: &mut Summary,
) -> AppResult<()> {
    let rows: Vec<(i64, String, String)> = tx
        .all(
            Sql::new("SELECT line, cells, person FROM import_stage_rows WHERE batch_id = $1 ORDER BY line")
                .bind(batch_id),
        )
        .await?;
    let rows: Vec<Pending> = rows
        .into_iter()
        .map(|(line, cells, person)| Pending {
            line: line as u64,
            cells: serde_json::from_str(&cells).unwrap_or_default(),
            raw: Vec::new(),
            person,
            notes: Vec::new(),
            worker: None,
            employment: None,
            payroll: None,
        })
        .collect();
    match target {
        ImportKind::Facilities(kind) => {
            writers::write_facilities(tx, call, kind.spec(), cols, rows, summary, false).await?;
        }
        ImportKind::PlatformCases => {
            writers::write_platform_cases(tx, call, cols, rows, summary, false).await?;
        }
        ImportKind::Projects => {
            writers::write_projects(tx, call, cols, rows, summary, false).await?;
        }
        ImportKind::ProjectRoster => {
            writers::write_roster(tx, call, cols, rows, summary, false).await?;
        }
        ImportKind::Vacancies => {
            writers::write_vacancies(tx, call, cols, rows, summary, false).await?;
        }
        ImportKind::Workers | ImportKind::Records(_) | ImportKind::Payroll => {}
    }
    Ok(())
}

/// Merges a staged payroll file: one line per project, month and worker
/// (a file's several payments of a month summed, the latest date kept),
/// replacing the line on file, as one statement that reads the stage in
/// its key order, which is the table's (migration 0029). Projects and
/// roster lines are never removed, so staging's matches still hold; the
/// table's key to the roster line checks it once more.
async fn merge_payroll(
    tx: &mut Tx,
    batch_id: i64,
    summary: &mut Summary,
    progress: Option<&(dyn Fn(u64, u64) + Sync)>,
) -> AppResult<()> {
    tx.analyze("import_stage_payroll").await?;
    // The lines on file in the file's months, before and after: what the
    // merge added; the rest of what it wrote replaced lines.
    let months: Vec<(i64,)> = tx
        .all(Sql::new("SELECT DISTINCT month FROM import_stage_payroll WHERE batch_id = $1").bind(batch_id))
        .await?;
    let on_file = async |tx: &mut Tx| {
        let mut q = Sql::new("SELECT COUNT(*) FROM payroll_lines WHERE ");
        q.in_list("month", months.iter().map(|(m,)| *m));
        tx.int(q).await
    };
    let before = on_file(tx).await?;
    let rows = tx
        .exec(
            Sql::new(
                "INSERT INTO payroll_lines (project_id, month, worker_id, amount_fen, paid_on, account_masked, batch_id) \
                 SELECT project_id, month, worker_id, SUM(amount_fen), MAX(paid_on), MAX(account_masked), $1 \
                 FROM import_stage_payroll WHERE batch_id = $1 GROUP BY project_id, month, worker_id \
                 ORDER BY project_id, month, worker_id \
                 ON CONFLICT (project_id, month, worker_id) DO UPDATE SET amount_fen = excluded.amount_fen, \
                 paid_on = excluded.paid_on, account_masked = excluded.account_masked, batch_id = excluded.batch_id",
            )
            .bind(batch_id),
        )
        .await? as i64;
    let replaced = rows - (on_file(tx).await? - before);
    summary.inserted += (rows - replaced) as u64;
    summary.updated += replaced as u64;
    if let Some(progress) = progress {
        progress(rows as u64, rows as u64);
    }
    Ok(())
}
