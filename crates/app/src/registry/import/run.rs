//! The run loop: reads a file in batches, checks them while the writer
//! stores the one before, and records the progress of the import.

use super::check::{Batch, Checked, RowChecker, column_index, file_error, file_hash, target_in_scope};
use super::mapping;
use super::outcome::{Counts, Options, Summary, keep_notes, reject, reject_one};
use super::read::{self, RawRow};
use super::templates::{ImportKind, Part, read_columns};
use super::writers::flush;
use super::{KEEP_REJECTED, MAX_ROWS};
use crate::Call;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::registry::records::Context;
use crate::store::{Arg, Sql};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Imports `path` as `target`. In a dry run nothing is written (the counts
/// say what would happen). Otherwise valid rows are written batch by batch
/// and a rerun of the same file resumes after the last committed batch.
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
                    Checked::Rejected(p, errors) => {
                        stage.rows += 1;
                        reject(&mut stage, &cols, p, errors);
                    }
                    Checked::Valid(mut p) => {
                        stage.rows += 1;
                        if let Some(w) = &p.worker {
                            let key = w
                                .index
                                .first_chunk::<8>()
                                .map(|b| u64::from_le_bytes(*b))
                                .ok_or_else(|| AppError::Internal("blind index of an unexpected size".into()))?;
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
    summary.notes.extend(stage.notes);
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
        mapping::remember(&mut tx, call, target, &chosen).await?;
        tx.commit().await?;
        // The 工作台's tallies as one row per place again (a large import of
        // workers or families on SQLite leaves a row for each).
        crate::registry::workers::fold_tallies(call.db).await?;
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
