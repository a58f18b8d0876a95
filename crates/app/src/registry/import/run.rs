//! The run loop: reads a file in batches, checks them while the writer
//! stages the one before, records the progress of the import, and merges
//! what it staged (or, for a preview, leaves it staged for [`commit`]).

use super::check::{Batch, Checked, RowChecker, column_index, file_error, file_hash, target_in_scope};
use super::mapping;
use super::merge::merge;
use super::outcome::{Counts, Options, Summary, keep_notes, reject, reject_one};
use super::read::{self, RawRow};
use super::stage::{Stager, stage};
use super::templates::{Column, ImportKind, Part, read_columns};
use super::{KEEP_REJECTED, MAX_ROWS, STAGE_TABLES};
use crate::Call;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::registry::records::Context;
use crate::store::{Arg, Sql};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Imports `path` as `target`: stages its valid rows batch by batch, then
/// merges them in one transaction. In a dry run (the preview) the rows are
/// only staged, under `Summary::batch_id`, and the counts say what the
/// merge would do. A rerun of a file whose import was interrupted resumes
/// staging after the last batch staged, or merges what was staged.
pub async fn run(
    call: &Call<'_>,
    target: ImportKind,
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
    let cols = read_columns(target);
    // The user's choices of this run over the ones remembered.
    let chosen = mapping::checked(&cols, &opts.mapping)?;
    let mut mapped = mapping::remembered(call, target).await?;
    mapped.retain(|(h, _)| !chosen.iter().any(|(c, _)| c == h));
    mapped.extend(chosen.iter().cloned());
    let layout = mapping::layout(&cols, &mapped);
    let path_owned = path.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || read::open_layout(&path_owned, &layout))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| file_error(e.to_string()))?;
    if opts.raw {
        return raw_insert(call, reader, cols.len(), opts.batch_rows).await;
    }
    let header_columns = reader.columns().to_vec();
    let with_employment = header_columns.iter().any(|h| {
        h.target
            .and_then(|i| cols.get(i))
            .is_some_and(|c| c.part == Part::Employment)
    });
    let path_owned = path.to_path_buf();
    let hash = tokio::task::spawn_blocking(move || file_hash(&path_owned))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;

    let mut summary = Summary {
        dry_run: opts.dry_run,
        columns: header_columns,
        employment: with_employment.then(Counts::default),
        ..Summary::default()
    };
    let ctx = {
        let mut tx = call.db.read().await?;
        Arc::new(Context::load(&mut tx).await?)
    };
    // A preview stages into a batch of its own; an import resumes an
    // unfinished one of the same file (staging, or staged and not merged).
    let preview = opts.dry_run;
    let mut resume_after = 0u64;
    let mut seen: HashMap<u64, u32> = HashMap::new();
    let mut stager = {
        let mut tx = call.db.write().await?;
        let running: Option<(i64, i64, i64, i64)> = if preview {
            None
        } else {
            tx.opt(
                Sql::new(
                    "SELECT id, last_line, rows_done, rejected FROM import_batches \
                     WHERE file_hash = $1 AND kind = $2 AND status IN ('running', 'staged') ORDER BY id DESC LIMIT 1",
                )
                .bind(hash.clone())
                .bind(target.code()),
            )
            .await?
        };
        let id = match running {
            Some((id, last, done, rej)) => {
                // Staging again (a batch staged whole has nothing left to
                // read, and is merged below).
                tx.exec(Sql::new("UPDATE import_batches SET status = 'running' WHERE id = $1").bind(id))
                    .await?;
                resume_after = last as u64;
                summary.resumed = done as u64;
                summary.rejected = rej as u64;
                // The file's ID numbers staged before, for duplicates.
                let staged: Vec<(Vec<u8>, i64)> = tx
                    .all(Sql::new("SELECT id_index, line FROM import_stage_workers WHERE batch_id = $1").bind(id))
                    .await?;
                for (index, line) in staged {
                    seen.insert(seen_key(&index)?, u32::try_from(line).unwrap_or(u32::MAX));
                }
                id
            }
            None => {
                tx.int(
                    Sql::new(
                        "INSERT INTO import_batches (kind, file_name, file_hash, actor_name, status, started_at, \
                         actor_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(target.code())
                    .bind(file_name.chars().take(200).collect::<String>())
                    .bind(hash.clone())
                    .bind(call.actor.display_name.clone())
                    .bind(if preview { "checking" } else { "running" })
                    .bind(call.now)
                    .bind(call.actor.user_id),
                )
                .await?
            }
        };
        let stager = Stager::new(&mut tx, id, preview).await?;
        tx.commit().await?;
        summary.batch_id = Some(id);
        stager
    };
    let batch_id = stager.batch_id;

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
    let checker = Arc::new(RowChecker {
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
        let mut seen = seen;
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
                    Checked::Rejected(p, errors) => {
                        stage.rows += 1;
                        reject(&mut stage, &cols, p, errors);
                    }
                    Checked::Valid(mut p) => {
                        stage.rows += 1;
                        if let Some(w) = &p.worker {
                            let key = seen_key(&w.index)?;
                            if let Some(first) = seen.get(&key) {
                                let i = column_index(&cols, "id_number");
                                reject_one(&mut stage, &cols, p, i, format!("与第{first}行的身份证号重复"));
                                continue;
                            }
                            seen.insert(key, u32::try_from(p.line).unwrap_or(u32::MAX));
                        }
                        keep_notes(&mut stage, &mut p);
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
            stage(call, target, &ctx, &cols, batch, &mut summary, &mut stager).await?;
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
    summary.notes.extend(stage.notes);
    if stopped {
        return Ok(summary);
    }
    if summary.rows == 0 && summary.rejected == 0 && summary.resumed == 0 {
        let mut tx = call.db.write().await?;
        tx.exec(Sql::new("DELETE FROM import_batches WHERE id = $1").bind(batch_id))
            .await?;
        tx.commit().await?;
        return Err(file_error("文件中没有数据行（表头以下是空的），未导入任何数据。"));
    }
    let mut tx = call.db.write().await?;
    tx.exec(
        Sql::new("UPDATE import_batches SET status = $1 WHERE id = $2")
            .bind(if preview { "checked" } else { "staged" })
            .bind(batch_id),
    )
    .await?;
    tx.commit().await?;
    if !preview {
        let skipped = stager.skipped;
        finish(
            call,
            target,
            &cols,
            batch_id,
            file_name,
            &chosen,
            skipped,
            opts.merging,
            &mut summary,
        )
        .await?;
    }
    Ok(summary)
}

/// The first 8 bytes of a blind index, as the key of the file's ID numbers.
fn seen_key(index: &[u8]) -> AppResult<u64> {
    index
        .first_chunk::<8>()
        .map(|b| u64::from_le_bytes(*b))
        .ok_or_else(|| AppError::Internal("blind index of an unexpected size".into()))
}

/// Imports the rows a preview staged (`run` with `dry_run`), as batch
/// `batch_id`: the commit of the import page. A batch already imported, or
/// removed because nobody committed it within an hour, is refused.
pub async fn commit(
    call: &Call<'_>,
    target: ImportKind,
    batch_id: i64,
    file_name: &str,
    opts: &Options<'_>,
) -> AppResult<Summary> {
    if !target.permitted(call.actor) || !target_in_scope(call, target) {
        return Err(AppError::Forbidden);
    }
    let cols = read_columns(target);
    let chosen = mapping::checked(&cols, &opts.mapping)?;
    // A preview is kept an hour, whether or not a server swept since.
    sweep_staged(call.db, call.now).await?;
    let batch: Option<(String, String, i64, i64, i64, Option<i64>)> = {
        let mut tx = call.db.read().await?;
        tx.opt(
            Sql::new("SELECT kind, status, rows_done, rejected, unchanged, actor_id FROM import_batches WHERE id = $1")
                .bind(batch_id),
        )
        .await?
    };
    let Some((kind, status, rows, rejected, skipped, owner)) = batch else {
        return Err(AppError::NotFound);
    };
    // Another user's preview does not exist for this one.
    if kind != target.code() || owner != Some(call.actor.user_id) {
        return Err(AppError::NotFound);
    }
    if status != "checked" {
        return Err(AppError::Conflict(
            "该文件已经导入过了，或预览已超过一小时失效。如需再次导入，请重新上传文件。".into(),
        ));
    }
    let mut summary = Summary {
        batch_id: Some(batch_id),
        rows: rows as u64,
        rejected: rejected as u64,
        ..Summary::default()
    };
    if target == ImportKind::Workers {
        let mut tx = call.db.read().await?;
        let jobs = tx
            .opt::<(i64,)>(Sql::new("SELECT line FROM import_stage_records WHERE batch_id = $1 LIMIT 1").bind(batch_id))
            .await?;
        if jobs.is_some() {
            summary.employment = Some(Counts::default());
        }
    }
    finish(
        call,
        target,
        &cols,
        batch_id,
        file_name,
        &chosen,
        skipped as u64,
        opts.merging,
        &mut summary,
    )
    .await?;
    Ok(summary)
}

/// Merges a staged batch in one transaction, with the batch marked done,
/// the audit entry and the mapping remembered. `skipped`: the rows staging
/// found on file as they are (unchanged, not staged).
#[expect(clippy::too_many_arguments, reason = "the state of one import run")]
async fn finish(
    call: &Call<'_>,
    target: ImportKind,
    cols: &[Column],
    batch_id: i64,
    file_name: &str,
    chosen: &[(String, String)],
    skipped: u64,
    progress: Option<&(dyn Fn(u64, u64) + Sync)>,
    summary: &mut Summary,
) -> AppResult<()> {
    // The merge's counts replace what staging saw.
    summary.inserted = 0;
    summary.updated = 0;
    summary.unchanged = skipped;
    let mut tx = call.db.write().await?;
    // Only one merge of a batch: a second one finds it taken.
    let taken = tx
        .exec(
            Sql::new("UPDATE import_batches SET status = 'merging' WHERE id = $1 AND status IN ('checked', 'staged')")
                .bind(batch_id),
        )
        .await?;
    if taken == 0 {
        return Err(AppError::Conflict(
            "该文件已经导入过了，或预览已超过一小时失效。如需再次导入，请重新上传文件。".into(),
        ));
    }
    merge(&mut tx, call, target, cols, batch_id, summary, progress).await?;
    tx.exec(
        Sql::new(
            "UPDATE import_batches SET status = 'done', finished_at = $1, inserted = $2, updated = $3, \
             unchanged = $4, rejected = $5 WHERE id = $6",
        )
        .bind(call.now)
        .bind(summary.inserted as i64)
        .bind(summary.updated as i64)
        .bind(summary.unchanged as i64)
        .bind(summary.rejected as i64)
        .bind(batch_id),
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("import.run", target.code(), batch_id).detail(format!(
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
    mapping::remember(&mut tx, call, target, chosen).await?;
    tx.commit().await?;
    // The 工作台's tallies as one row per place again.
    crate::registry::workers::fold_tallies(call.db).await?;
    Ok(())
}

/// Removes what previews nobody committed staged (batches checked more
/// than an hour before `now`); returns how many batches.
pub async fn sweep_staged(db: &crate::store::Db, now: chrono::DateTime<chrono::Utc>) -> AppResult<u64> {
    let before = now - chrono::Duration::hours(1);
    let ids: Vec<(i64,)> = db
        .read()
        .await?
        .all(
            Sql::new("SELECT id FROM import_batches WHERE status IN ('checking', 'checked') AND started_at < $1")
                .bind(before),
        )
        .await?;
    for (id,) in &ids {
        discard_staged(db, *id).await?;
    }
    Ok(ids.len() as u64)
}

/// Removes the rows a preview staged (its upload cancelled, checked again
/// with other columns, or left for an hour): the batch can no longer be
/// committed. A batch being imported or imported is left as it is.
pub async fn discard_staged(db: &crate::store::Db, batch_id: i64) -> AppResult<()> {
    let mut tx = db.write().await?;
    let n = tx
        .exec(
            Sql::new(
                "UPDATE import_batches SET status = 'expired' WHERE id = $1 AND status IN ('checking', 'checked')",
            )
            .bind(batch_id),
        )
        .await?;
    if n > 0 {
        for table in STAGE_TABLES {
            tx.exec(Sql::new(&format!("DELETE FROM {table} WHERE batch_id = $1")).bind(batch_id))
                .await?;
        }
    }
    tx.commit().await
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
