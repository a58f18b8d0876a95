//! 批量导入: templates, upload with a dry run (the preview), commit, and the
//! rejected rows as a workbook.
//!
//! The dry run and the import run as background jobs (see [`Jobs`]): the
//! upload, a new mapping and the commit start one and send the browser to
//! `/imports/{token}`, which shows a progress bar (refreshing itself every
//! second) while the job runs, then the preview or the result.
//!
//! An upload is kept in the data directory's staging folder
//! (`<data>/staging/`, mode 0700; see `shiminhua_app::staging`) as
//! `<token>.data`, with `<token>.meta` naming its owner, target and file name,
//! and (when rows were rejected) `<token>.rejected.xlsx`, every file mode
//! 0600. Tokens are 128 random bits; every use checks that the signed-in user
//! uploaded the file, and answers "not found" otherwise. The upload is
//! removed when it is committed (its rejected rows stay for downloading) or
//! cancelled, and anything older than an hour by the sweep (at each upload
//! and every few minutes, see `crate::serve`).

use super::{html, xlsx_download};
use crate::AppState;
use crate::error::{ErrorPage, WebError};
use crate::extract::{Form, Need, WriteRecords};
use crate::layout::Layout;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use rand::RngCore;
use shiminhua_app::registry::import::{self, ImportKind, Options, Summary};
use shiminhua_app::{AppError, AppResult, Call, Origin, staging};
use shiminhua_core::auth::Actor;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path as FsPath, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::io::AsyncWriteExt;

/// The largest file accepted.
const MAX_UPLOAD: u64 = 200 * 1024 * 1024;
/// Rejected rows listed on the preview page (all are in the workbook).
const PREVIEW_REJECTS: usize = 200;
/// The staging folder of the running server.
fn upload_dir(state: &AppState) -> PathBuf {
    staging::dir(&state.config.data_dir)
}

fn file_of(dir: &FsPath, token: &str, suffix: &str) -> PathBuf {
    dir.join(format!("{token}.{suffix}"))
}

fn new_token() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn is_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Targets the actor may import (the kind is in its data scope somewhere).
fn targets_for(actor: &Actor) -> Vec<ImportKind> {
    import::kinds()
        .into_iter()
        .filter(|t| t.permitted(actor) && t.in_scope(actor))
        .collect()
}

fn io_error(e: std::io::Error) -> WebError {
    WebError(AppError::Internal(format!("upload: {e}")))
}

/// An upload on file.
#[derive(Clone)]
struct Upload {
    dir: PathBuf,
    token: String,
    target: ImportKind,
    file_name: String,
    /// Columns mapped on the preview page: (file header, field key or "").
    mapping: Vec<(String, String)>,
    /// The batch of the last preview ([`Summary::batch_id`]), for the commit.
    batch_id: Option<i64>,
}

/// A header or field key as one field of a line of the meta file.
fn meta_field(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

impl Upload {
    fn data(&self) -> PathBuf {
        file_of(&self.dir, &self.token, "data")
    }

    fn rejected(&self) -> PathBuf {
        file_of(&self.dir, &self.token, "rejected.xlsx")
    }

    /// Writes the meta file (a new one replaces the old at once, so that a
    /// request reading it meanwhile finds one or the other).
    async fn save_meta(&self, actor: &Actor) -> Result<(), WebError> {
        let mut text = format!("v1\n{}\n{}\n{}\n", actor.user_id, self.target.code(), self.file_name);
        for (header, field) in &self.mapping {
            text.push_str(&format!("m\t{}\t{}\n", meta_field(header), meta_field(field)));
        }
        if let Some(id) = self.batch_id {
            text.push_str(&format!("b\t{id}\n"));
        }
        let path = file_of(&self.dir, &self.token, "meta");
        let new = file_of(&self.dir, &self.token, "meta-new");
        let _ = tokio::fs::remove_file(&new).await;
        let mut f = new_private_file(&new).await?;
        f.write_all(text.as_bytes()).await.map_err(io_error)?;
        f.flush().await.map_err(io_error)?;
        drop(f);
        tokio::fs::rename(&new, &path).await.map_err(io_error)
    }

    /// The upload named by `token`, if it exists and `actor` made it.
    async fn load(dir: PathBuf, token: &str, actor: &Actor) -> Result<Upload, WebError> {
        let not_found = || WebError(AppError::NotFound);
        if !is_token(token) {
            return Err(not_found());
        }
        let text = tokio::fs::read_to_string(file_of(&dir, token, "meta"))
            .await
            .map_err(|_| not_found())?;
        let mut lines = text.lines();
        let (Some("v1"), Some(user), Some(target), file_name) =
            (lines.next(), lines.next(), lines.next(), lines.next())
        else {
            return Err(not_found());
        };
        if user.parse::<i64>().ok() != Some(actor.user_id) {
            return Err(not_found());
        }
        let mut mapping = Vec::new();
        let mut batch_id = None;
        for l in lines {
            let mut parts = l.splitn(3, '\t');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("m"), Some(h), Some(f)) => mapping.push((h.to_string(), f.to_string())),
                (Some("b"), Some(id), None) => batch_id = id.parse().ok(),
                _ => {}
            }
        }
        Ok(Upload {
            dir,
            token: token.to_string(),
            target: ImportKind::parse(target).ok_or_else(not_found)?,
            file_name: file_name.unwrap_or_default().to_string(),
            mapping,
            batch_id,
        })
    }

    async fn remove(&self) {
        remove_files(&self.dir, &self.token).await;
    }

    /// Writes (or removes) the rejected rows' workbook for this summary.
    async fn keep_rejects(&self, s: &Summary) -> Result<(), WebError> {
        let path = self.rejected();
        let _ = tokio::fs::remove_file(&path).await;
        if s.rejects.is_empty() {
            return Ok(());
        }
        let (target, rejects) = (self.target, s.rejects.clone());
        tokio::task::spawn_blocking(move || import::rejected_workbook(target, &rejects, &path))
            .await
            .map_err(|e| AppError::Internal(format!("rejected rows: {e}")))??;
        Ok(())
    }
}

async fn remove_files(dir: &FsPath, token: &str) {
    for suffix in ["data", "meta", "meta-new", "rejected.xlsx"] {
        let _ = tokio::fs::remove_file(file_of(dir, token, suffix)).await;
    }
}

/// A new file readable by the owner only.
async fn new_private_file(path: &FsPath) -> Result<tokio::fs::File, WebError> {
    let opts: tokio::fs::OpenOptions = staging::private_options().into();
    opts.open(path).await.map_err(io_error)
}

/// Removes staged files older than an hour (by the server's clock), and the
/// finished jobs of the uploads so removed, and the rows their previews
/// staged; returns how many files.
pub async fn sweep(state: &AppState) -> usize {
    let (dir, now, shared) = (upload_dir(state), state.clock.now(), state.clone());
    let n = tokio::task::spawn_blocking(move || {
        let n = staging::sweep(&dir, now);
        shared.imports.sweep(&dir, now);
        n
    })
    .await
    .unwrap_or(0);
    // And the rows those previews staged.
    if let Err(e) = import::sweep_staged(&state.db, now).await {
        tracing::warn!(error = %e, "sweeping staged imports");
    }
    n
}

// ---------------------------------------------------------------------------
// Jobs

/// What a job does with an upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// The dry run shown as the preview ([`check_upload`]).
    Check,
    /// The import itself ([`import_upload`]).
    Import,
}

/// Where a job is, or what it came to.
#[derive(Clone)]
enum Phase {
    /// 检查中 / 导入中.
    Running(Work),
    /// The preview (after [`Work::Check`]) or the result (after [`Work::Import`]).
    Done(Work, Arc<Summary>),
    /// The file could not be read: the reason, shown on the upload page.
    Refused(String),
    /// Any other failure, as its error page.
    Failed(ErrorPage),
}

/// The job of an upload: its latest run, and what the page shows of it.
#[derive(Clone)]
struct Job {
    /// Tells this run from a later one of the same upload.
    id: u64,
    /// The uploader, the only one who sees it.
    user_id: i64,
    target: ImportKind,
    file_name: String,
    phase: Phase,
    /// Rows read so far.
    rows: u64,
    /// The estimated number of rows, once known.
    estimate: Option<u64>,
    /// When it finished, by the server's clock.
    finished: Option<DateTime<Utc>>,
    /// Stops the task while it runs.
    abort: Option<tokio::task::AbortHandle>,
}

/// The jobs of the uploads, by token. In memory only: after a restart the
/// page of an upload still on file checks it again.
#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    table: Mutex<HashMap<String, Job>>,
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Job>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, token: &str) -> Option<Job> {
        self.lock().get(token).cloned()
    }

    /// Rows read so far by the run `id` (the progress callback of the import).
    fn progress(&self, token: &str, id: u64, rows: u64, estimate: Option<u64>) {
        if let Some(j) = self.lock().get_mut(token)
            && j.id == id
        {
            j.rows = rows;
            j.estimate = estimate.filter(|&n| n > 0).or(j.estimate);
        }
    }

    /// The end of the run `id` (unless a later run or a cancel replaced it).
    fn finish(&self, token: &str, id: u64, phase: Phase, now: DateTime<Utc>) {
        if let Some(j) = self.lock().get_mut(token)
            && j.id == id
        {
            j.phase = phase;
            j.finished = Some(now);
            j.abort = None;
        }
    }

    /// Drops the job of a cancelled upload, stopping its check; an import
    /// under way is neither stopped nor dropped.
    fn cancel(&self, token: &str) -> Result<(), AppError> {
        let mut jobs = self.lock();
        if let Some(Phase::Running(Work::Import)) = jobs.get(token).map(|j| &j.phase) {
            return Err(AppError::Conflict(
                "该文件正在导入，不能取消；请等导入完成后查看结果。".into(),
            ));
        }
        if let Some(a) = jobs.remove(token).and_then(|j| j.abort) {
            a.abort();
        }
        Ok(())
    }

    /// Drops the finished jobs whose upload is gone (swept or cancelled);
    /// a refused or failed one, whose files went at once, an hour after it
    /// finished.
    fn sweep(&self, dir: &FsPath, now: DateTime<Utc>) {
        self.lock().retain(|token, j| match (&j.phase, j.finished) {
            (Phase::Running(_), _) => true,
            (Phase::Done(..), _) => file_of(dir, token, "meta").exists(),
            (_, Some(at)) => now - at <= staging::MAX_AGE,
            (_, None) => false,
        });
    }
}

/// Why no run can start on an upload whose job is `job`, if none can.
fn busy(job: Option<&Job>) -> Option<AppError> {
    let msg = match job.map(|j| &j.phase) {
        Some(Phase::Running(Work::Check)) => "该文件正在检查，请等检查完成后再操作。",
        Some(Phase::Running(Work::Import)) => "该文件正在导入，请等导入完成后查看结果，不要重复提交。",
        Some(Phase::Done(Work::Import, _)) => ALREADY_IMPORTED,
        _ => return None,
    };
    Some(AppError::Conflict(msg.into()))
}

const ALREADY_IMPORTED: &str = "该文件已经导入过了。如需再次导入，请重新上传文件。";

/// Starts `work` on `up` in the background, unless `refuse` finds a reason
/// in the upload's current job; sends the browser to the upload's page.
fn start(
    n: &Need<WriteRecords>,
    up: Upload,
    work: Work,
    refuse: impl FnOnce(Option<&Job>) -> Option<AppError>,
) -> Result<Response, WebError> {
    let state = &n.ctx.state;
    let token = up.token.clone();
    let id = state.imports.next.fetch_add(1, Ordering::Relaxed);
    let job = Job {
        id,
        user_id: n.actor.user_id,
        target: up.target,
        file_name: up.file_name.clone(),
        phase: Phase::Running(work),
        rows: 0,
        estimate: None,
        finished: None,
        abort: None,
    };
    {
        // Held until the job is in the table: the task finds it there.
        let mut jobs = state.imports.lock();
        if let Some(e) = refuse(jobs.get(&token)) {
            return Err(e.into());
        }
        // The preview's rows not taken and notes go with the result.
        let preview = match jobs.get(&token).map(|j| &j.phase) {
            Some(Phase::Done(Work::Check, s)) if work == Work::Import => Some(Arc::clone(s)),
            _ => None,
        };
        let task = tokio::spawn(run_job(
            state.clone(),
            n.actor.clone(),
            n.ctx.origin.clone(),
            up,
            work,
            id,
            preview,
        ));
        let old = jobs.insert(
            token.clone(),
            Job {
                abort: Some(task.abort_handle()),
                ..job
            },
        );
        if let Some(a) = old.and_then(|j| j.abort) {
            a.abort();
        }
    }
    Ok(Redirect::to(&format!("/imports/{token}")).into_response())
}

/// Marks the run failed if it ends without finishing (a panic).
struct Unfinished<'a> {
    state: &'a AppState,
    token: &'a str,
    id: u64,
    armed: bool,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if self.armed {
            let page = WebError(AppError::Internal("import job".into())).page();
            self.state
                .imports
                .finish(self.token, self.id, Phase::Failed(page), self.state.clock.now());
        }
    }
}

/// The task of a job: runs `work` as `actor` and records what it came to.
async fn run_job(
    state: AppState,
    actor: Actor,
    origin: Origin,
    mut up: Upload,
    work: Work,
    id: u64,
    preview: Option<Arc<Summary>>,
) {
    let token = up.token.clone();
    let mut unfinished = Unfinished {
        state: &state,
        token: &token,
        id,
        armed: true,
    };
    let progress = |rows: u64, estimate: Option<u64>| state.imports.progress(&token, id, rows, estimate);
    let call = Call {
        db: &state.db,
        cipher: &state.cipher,
        actor: &actor,
        origin: &origin,
        now: state.clock.now(),
    };
    let result = match work {
        Work::Check => check_upload(&call, &up, &progress).await,
        Work::Import => import_upload(&call, &up, &progress, preview.as_deref()).await,
    };
    let phase = settle(&mut up, &actor, work, result).await;
    state.imports.finish(&token, id, phase, state.clock.now());
    unfinished.armed = false;
}

/// The preview: a dry run of the upload with its mapping.
async fn check_upload(
    call: &Call<'_>,
    up: &Upload,
    progress: &(dyn Fn(u64, Option<u64>) + Sync),
) -> AppResult<Summary> {
    let opts = Options {
        dry_run: true,
        mapping: up.mapping.clone(),
        progress: Some(progress),
        ..Options::default()
    };
    import::run(call, up.target, &up.data(), &up.file_name, &opts).await
}

/// The commit: the rows the preview staged, merged (the file is not read
/// again), with the preview's rows not taken and notes; an upload without a
/// staged preview is imported from its file.
async fn import_upload(
    call: &Call<'_>,
    up: &Upload,
    progress: &(dyn Fn(u64, Option<u64>) + Sync),
    preview: Option<&Summary>,
) -> AppResult<Summary> {
    let opts = Options {
        mapping: up.mapping.clone(),
        progress: Some(progress),
        ..Options::default()
    };
    let Some(batch) = up.batch_id else {
        return import::run(call, up.target, &up.data(), &up.file_name, &opts).await;
    };
    let merging = |done: u64, all: u64| progress(done, Some(all));
    let opts = Options {
        merging: Some(&merging),
        ..opts
    };
    let mut s = import::commit(call, up.target, batch, &up.file_name, &opts).await?;
    if let Some(p) = preview.filter(|p| p.batch_id == Some(batch)) {
        let mut rejects = p.rejects.clone();
        rejects.append(&mut s.rejects);
        rejects.sort_by_key(|r| r.line);
        s.rejects = rejects;
        s.notes = p.notes.clone();
        s.columns = p.columns.clone();
    }
    Ok(s)
}

/// What a finished run comes to, the upload's files brought in line: a
/// file that cannot be read is removed (its reason goes to the upload
/// page); an imported one leaves its rejected rows only; a preview keeps
/// its batch for the commit.
async fn settle(up: &mut Upload, actor: &Actor, work: Work, result: AppResult<Summary>) -> Phase {
    let s = match result {
        Ok(s) => s,
        Err(AppError::Validation(e)) => {
            up.remove().await;
            let msg = e
                .get("file")
                .map(str::to_string)
                .or_else(|| e.0.first().map(|(_, m)| m.clone()))
                .unwrap_or_default();
            return Phase::Refused(msg);
        }
        Err(e) => {
            if work == Work::Check {
                up.remove().await;
            }
            return failed(e);
        }
    };
    if work == Work::Import {
        // The rows are in; the file itself is no longer needed (the
        // rejected rows stay for downloading, at most an hour).
        let _ = tokio::fs::remove_file(up.data()).await;
    }
    if let Err(e) = up.keep_rejects(&s).await {
        return failed(e.0);
    }
    if work == Work::Check {
        up.batch_id = s.batch_id;
        if let Err(e) = up.save_meta(actor).await {
            return failed(e.0);
        }
    }
    Phase::Done(work, Arc::new(s))
}

/// A failure as its page, logged once here (the page may be shown again).
fn failed(e: AppError) -> Phase {
    match &e {
        AppError::Db(x) => tracing::error!(error = %x, "import job: database error"),
        AppError::Internal(x) => tracing::error!(error = %x, "import job: internal error"),
        _ => {}
    }
    Phase::Failed(WebError(e).page())
}

/// An error page as [`WebError`] answers it (rendered by the middleware).
fn error_response(page: ErrorPage) -> Response {
    let mut r = page.status.into_response();
    r.extensions_mut().insert(page);
    r
}

/// A whole number with thousands separators.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsTpl {
    layout: Layout,
    targets: Vec<(&'static str, &'static str)>,
    target: String,
    error: Option<String>,
    max_rows: u64,
}

fn import_layout(n: &Need<WriteRecords>, title: &str) -> Layout {
    let l = Layout::new(&n.ctx, Some(&n.actor), title).crumb("农民工信息", "");
    if title == "批量导入" {
        l.crumb("批量导入", "")
    } else {
        l.crumb("批量导入", "/imports").crumb(title, "")
    }
}

fn upload_page(n: &Need<WriteRecords>, target: &str, error: Option<String>) -> Response {
    let r = html(&ImportsTpl {
        layout: import_layout(n, "批量导入"),
        targets: targets_for(&n.actor)
            .into_iter()
            .map(|t| (t.code(), t.label()))
            .collect(),
        target: target.to_string(),
        error: error.clone(),
        max_rows: import::MAX_ROWS,
    });
    if error.is_some() {
        super::with_status(r, StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        r
    }
}

/// GET /imports
/// GET /imports (`?target=` chooses the kind in advance).
pub async fn page(n: Need<WriteRecords>, Query(q): Query<HashMap<String, String>>) -> Response {
    upload_page(&n, q.get("target").map(String::as_str).unwrap_or(""), None)
}

/// GET /imports/template/{kind}
pub async fn template(_: Need<WriteRecords>, Path(kind): Path<String>) -> Result<Response, WebError> {
    let target = ImportKind::parse(&kind).ok_or(WebError(AppError::NotFound))?;
    let bytes = import::template(target)?;
    Ok(xlsx_download(bytes, &format!("{}-导入模板.xlsx", target.label())))
}

/// A row of the preview's table of rejected rows.
pub struct RejectRow {
    pub line: u64,
    /// The person of the row, masked.
    pub person: String,
    pub column: String,
    /// Every reason of the row.
    pub reasons: Vec<String>,
}

/// A row of the preview's table of the file's columns.
pub struct ColumnRow {
    /// The header as in the file.
    pub name: String,
    /// What it is read as (the field's header), or how it was left out.
    pub shown: String,
    /// The user may choose (a column nobody knew, or one the user mapped).
    pub choose: bool,
    /// The field key chosen ("" for none).
    pub field: String,
}

/// Counts of the second kind of a worker roster.
pub struct AlsoCounts {
    pub label: &'static str,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Template)]
#[template(path = "import_summary.html")]
struct SummaryTpl {
    layout: Layout,
    token: String,
    target: &'static str,
    target_label: &'static str,
    file_name: String,
    committed: bool,
    total: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    rejected: u64,
    rejects: Vec<RejectRow>,
    /// Rejected rows not listed on the page.
    more: u64,
    also: Option<AlsoCounts>,
    /// The file's columns and what each is read as.
    columns: Vec<ColumnRow>,
    /// Whether any column can be chosen.
    choosable: bool,
    /// (key, header) of every field a column can be read as.
    fields: Vec<(&'static str, &'static str)>,
    /// What was changed in rows taken: (line, person, text).
    notes: Vec<(u64, String, String)>,
}

/// The preview (`committed` false) or the result of the upload `token`.
fn summary_page(n: &Need<WriteRecords>, token: &str, job: &Job, committed: bool, s: &Summary) -> Response {
    use import::read::MatchedBy;
    let title = if committed { "导入结果" } else { "导入预览" };
    let rejects: Vec<RejectRow> = s
        .rejects
        .iter()
        .take(PREVIEW_REJECTS)
        .map(|r| RejectRow {
            line: r.line,
            person: r.person.clone(),
            column: if r.column.is_empty() {
                "整行".to_string()
            } else {
                r.column.clone()
            },
            reasons: if r.errors.is_empty() {
                vec![r.reason.clone()]
            } else {
                r.errors.iter().map(|(_, m)| m.clone()).collect()
            },
        })
        .collect();
    let cols = import::read_columns(job.target);
    let columns: Vec<ColumnRow> = s
        .columns
        .iter()
        .map(|c| {
            let target = c.target.and_then(|i| cols.get(i));
            let choose = matches!(c.by, MatchedBy::Unknown | MatchedBy::User);
            let shown = match (c.by, target) {
                (MatchedBy::Skipped, _) => "不导入（序号、原行号等）".to_string(),
                (_, Some(t)) => t.header.to_string(),
                (MatchedBy::Unknown, None) => "未识别，不导入".to_string(),
                _ => "不导入".to_string(),
            };
            ColumnRow {
                name: c.name.clone(),
                shown,
                choose,
                field: target.map(|t| t.key.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    let also = s.employment.map(|c| AlsoCounts {
        label: "就业登记",
        inserted: c.inserted,
        updated: c.updated,
        unchanged: c.unchanged,
    });
    html(&SummaryTpl {
        layout: import_layout(n, title),
        token: token.to_string(),
        target: job.target.code(),
        target_label: job.target.label(),
        file_name: job.file_name.clone(),
        committed,
        total: s.inserted + s.updated + s.unchanged + s.rejected,
        inserted: s.inserted,
        updated: s.updated,
        unchanged: s.unchanged,
        rejected: s.rejected,
        more: s.rejected.saturating_sub(rejects.len() as u64),
        rejects,
        also,
        choosable: columns.iter().any(|c| c.choose),
        columns,
        fields: cols.iter().map(|c| (c.key, c.header)).collect(),
        notes: s
            .notes
            .iter()
            .take(PREVIEW_REJECTS)
            .map(|n| (n.line, n.person.clone(), n.text.clone()))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "import_progress.html")]
struct ProgressTpl {
    layout: Layout,
    token: String,
    target_label: &'static str,
    file_name: String,
    importing: bool,
    /// Rows done (of about how many, and the share), as a sentence.
    status: String,
    /// (value, max) of the bar; `None` while the total is unknown.
    bar: Option<(u64, u64)>,
    percent: u64,
}

/// The page of a running job: a progress bar, the page refreshing itself.
fn progress_page(n: &Need<WriteRecords>, token: &str, job: &Job, work: Work) -> Response {
    let importing = work == Work::Import;
    let verb = if importing { "已处理" } else { "已检查" };
    let (status, bar, percent) = match job.estimate {
        Some(total) => {
            let value = job.rows.min(total);
            // Not 100% until it is done (the total is an estimate).
            let percent = (value * 100 / total).min(99);
            let status = format!("{verb} {} / 约 {} 行（{percent}%）", grouped(job.rows), grouped(total));
            (status, Some((value, total)), percent)
        }
        None if job.rows > 0 => (format!("{verb} {} 行", grouped(job.rows)), None, 0),
        None => ("正在读取文件…".to_string(), None, 0),
    };
    html(&ProgressTpl {
        layout: import_layout(n, if importing { "正在导入" } else { "正在检查" }),
        token: token.to_string(),
        target_label: job.target.label(),
        file_name: job.file_name.clone(),
        importing,
        status: if importing {
            format!("正在导入…{status}")
        } else {
            status
        },
        bar,
        percent,
    })
}

/// GET /imports/{token}: the upload's job, to its uploader only: its
/// progress while it runs, then the preview or the result (or the upload
/// page with the reason the file could not be read).
pub async fn show(n: Need<WriteRecords>, Path(token): Path<String>) -> Result<Response, WebError> {
    if !is_token(&token) {
        return Err(AppError::NotFound.into());
    }
    let Some(job) = n.ctx.state.imports.get(&token) else {
        // No job (the server was restarted since): an upload still on file
        // is checked again.
        let up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
        if !tokio::fs::try_exists(up.data()).await.unwrap_or(false) {
            return Err(AppError::Conflict(ALREADY_IMPORTED.into()).into());
        }
        return start(&n, up, Work::Check, |_| None);
    };
    if job.user_id != n.actor.user_id {
        return Err(AppError::NotFound.into());
    }
    Ok(match &job.phase {
        Phase::Running(work) => progress_page(&n, &token, &job, *work),
        Phase::Done(work, s) => summary_page(&n, &token, &job, *work == Work::Import, s),
        Phase::Refused(msg) => upload_page(&n, job.target.code(), Some(msg.clone())),
        Phase::Failed(page) => error_response(page.clone()),
    })
}

/// POST /imports/{token}/map: the columns chosen on the preview page
/// (`h`: a file header, `f`: the field key it is read as, "" for none, in
/// pairs); checks the file again with them.
pub async fn map(n: Need<WriteRecords>, Path(token): Path<String>, form: Form) -> Result<Response, WebError> {
    let mut up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
    if form.get("target") != up.target.code() {
        return Err(AppError::BadRequest("导入的数据类型与预览时不一致，请重新上传文件。".into()).into());
    }
    if let Some(e) = busy(n.ctx.state.imports.get(&token).as_ref()) {
        return Err(e.into());
    }
    if !tokio::fs::try_exists(up.data()).await.unwrap_or(false) {
        return Err(AppError::Conflict(ALREADY_IMPORTED.into()).into());
    }
    let headers = form.all("h");
    let fields = form.all("f");
    if headers.len() != fields.len() {
        return Err(AppError::BadRequest("列的对应关系不完整，请在预览页面重新选择。".into()).into());
    }
    up.mapping = headers
        .into_iter()
        .zip(fields)
        .map(|(h, f)| (h.trim().to_string(), f.trim().to_string()))
        .filter(|(h, _)| !h.is_empty())
        .collect();
    // The rows the earlier preview staged are checked again with these columns.
    if let Some(batch) = up.batch_id.take() {
        import::discard_staged(&n.ctx.state.db, batch).await?;
    }
    up.save_meta(&n.actor).await?;
    start(&n, up, Work::Check, busy)
}

/// POST /imports: [`upload`] with a body limit of its own (200 MB and the
/// multipart framing) instead of the router's 16 MB. A handler value rather
/// than a function, so that the `routes!` list can name it like any other.
#[derive(Clone, Copy)]
pub struct LargeUpload;

/// The handler marker of [`LargeUpload`].
pub struct UploadMarker;

impl Handler<UploadMarker, AppState> for LargeUpload {
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, req: Request, state: AppState) -> Self::Future {
        // Room for the multipart framing around a file of MAX_UPLOAD bytes.
        let limited = Handler::layer(upload, DefaultBodyLimit::max((MAX_UPLOAD + 1024 * 1024) as usize));
        Box::pin(Handler::call(limited, req, state))
    }
}

/// Saves the upload and starts its check (the preview).
async fn upload(n: Need<WriteRecords>, mp: Result<Multipart, MultipartRejection>) -> Result<Response, WebError> {
    let bad = |m: &str| WebError(AppError::BadRequest(m.to_string()));
    let mut mp = mp.map_err(|_| bad("上传的内容格式不正确，请在导入页面选择文件后提交。"))?;
    sweep(&n.ctx.state).await;
    let dir = upload_dir(&n.ctx.state);
    let mut csrf = String::new();
    let mut target_code = String::new();
    let mut saved: Option<(String, String, u64)> = None;
    let result = async {
        while let Some(mut field) = mp
            .next_field()
            .await
            .map_err(|_| bad("上传中断或内容格式不正确，请重新上传。"))?
        {
            match field.name() {
                Some("csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("target") => target_code = field.text().await.unwrap_or_default(),
                Some("file") if saved.is_none() => {
                    // The token comes first in the form; nothing is stored without it.
                    n.ctx.check_csrf(&csrf)?;
                    let name: String = field
                        .file_name()
                        .unwrap_or("")
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(200)
                        .collect();
                    let data_dir = n.ctx.state.config.data_dir.clone();
                    tokio::task::spawn_blocking(move || staging::ensure(&data_dir))
                        .await
                        .map_err(|e| AppError::Internal(format!("upload: {e}")))?
                        .map_err(io_error)?;
                    let token = new_token();
                    let path = file_of(&dir, &token, "data");
                    saved = Some((token, name, 0));
                    let mut out = new_private_file(&path).await?;
                    let mut size = 0u64;
                    while let Some(chunk) = field
                        .chunk()
                        .await
                        .map_err(|_| bad("文件上传中断或超过200MB，请重新上传；大文件请拆分后分批导入。"))?
                    {
                        size += chunk.len() as u64;
                        if size > MAX_UPLOAD {
                            return Err(bad("文件超过200MB，请拆分后分批导入。"));
                        }
                        out.write_all(&chunk).await.map_err(io_error)?;
                    }
                    out.flush().await.map_err(io_error)?;
                    if let Some(s) = saved.as_mut() {
                        s.2 = size;
                    }
                }
                _ => {}
            }
        }
        n.ctx.check_csrf(&csrf)
    }
    .await;
    if let Err(e) = result {
        if let Some((token, _, _)) = &saved {
            remove_files(&dir, token).await;
        }
        return Err(e);
    }
    let target = ImportKind::parse(&target_code).filter(|t| targets_for(&n.actor).contains(t));
    let (Some(target), Some((token, file_name, size))) = (target, saved.clone()) else {
        if let Some((token, _, _)) = &saved {
            remove_files(&dir, token).await;
        }
        let msg = if saved.is_none() {
            "请选择要导入的文件。"
        } else {
            "请选择导入的数据类型。"
        };
        return Ok(upload_page(&n, &target_code, Some(msg.to_string())));
    };
    let up = Upload {
        dir,
        token,
        target,
        file_name,
        mapping: Vec::new(),
        batch_id: None,
    };
    if size == 0 {
        up.remove().await;
        return Ok(upload_page(
            &n,
            &target_code,
            Some("上传的文件是空的，请检查后重新上传。".into()),
        ));
    }
    up.save_meta(&n.actor).await?;
    start(&n, up, Work::Check, |_| None)
}

/// POST /imports/{token}/commit: starts the import.
pub async fn commit(n: Need<WriteRecords>, Path(token): Path<String>, form: Form) -> Result<Response, WebError> {
    let up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
    if form.get("target") != up.target.code() {
        return Err(AppError::BadRequest("导入的数据类型与预览时不一致，请重新上传文件。".into()).into());
    }
    if let Some(e) = busy(n.ctx.state.imports.get(&token).as_ref()) {
        return Err(e.into());
    }
    if !tokio::fs::try_exists(up.data()).await.unwrap_or(false) {
        return Err(AppError::Conflict(ALREADY_IMPORTED.into()).into());
    }
    start(&n, up, Work::Import, busy)
}

/// GET /imports/{token}/rejected
pub async fn rejected(n: Need<WriteRecords>, Path(token): Path<String>) -> Result<Response, WebError> {
    let up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
    let bytes = tokio::fs::read(up.rejected())
        .await
        .map_err(|_| WebError(AppError::NotFound))?;
    Ok(xlsx_download(bytes, &format!("{}-未导入的行.xlsx", up.target.label())))
}

/// POST /imports/{token}/cancel: removes the upload and its rejected rows,
/// and stops its check (an import under way is not stopped).
pub async fn cancel(n: Need<WriteRecords>, Path(token): Path<String>, _form: Form) -> Result<Response, WebError> {
    let up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
    n.ctx.state.imports.cancel(&token)?;
    if let Some(batch) = up.batch_id {
        import::discard_staged(&n.ctx.state.db, batch).await?;
    }
    up.remove().await;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&format!("/imports?target={}", up.target.code())),
    ))
}
