//! 批量导入: templates, upload with a dry run (the preview), commit, and the
//! rejected rows as a workbook.
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
use crate::error::WebError;
use crate::extract::{Form, Need, WriteRecords};
use crate::layout::Layout;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::Response;
use rand::RngCore;
use shiminhua_app::registry::import::{self, ImportKind, Options, Summary};
use shiminhua_app::{AppError, staging};
use shiminhua_core::auth::Actor;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path as FsPath, PathBuf};
use std::pin::Pin;
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
struct Upload {
    dir: PathBuf,
    token: String,
    target: ImportKind,
    file_name: String,
    /// Columns mapped on the preview page: (file header, field key or "").
    mapping: Vec<(String, String)>,
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

    async fn save_meta(&self, actor: &Actor) -> Result<(), WebError> {
        let mut text = format!("v1\n{}\n{}\n{}\n", actor.user_id, self.target.code(), self.file_name);
        for (header, field) in &self.mapping {
            text.push_str(&format!("m\t{}\t{}\n", meta_field(header), meta_field(field)));
        }
        let path = file_of(&self.dir, &self.token, "meta");
        let _ = tokio::fs::remove_file(&path).await;
        let mut f = new_private_file(&path).await?;
        f.write_all(text.as_bytes()).await.map_err(io_error)?;
        f.flush().await.map_err(io_error)
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
        let mapping = lines
            .filter_map(|l| {
                let mut parts = l.splitn(3, '\t');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some("m"), Some(h), Some(f)) => Some((h.to_string(), f.to_string())),
                    _ => None,
                }
            })
            .collect();
        Ok(Upload {
            dir,
            token: token.to_string(),
            target: ImportKind::parse(target).ok_or_else(not_found)?,
            file_name: file_name.unwrap_or_default().to_string(),
            mapping,
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
    for suffix in ["data", "meta", "rejected.xlsx"] {
        let _ = tokio::fs::remove_file(file_of(dir, token, suffix)).await;
    }
}

/// A new file readable by the owner only.
async fn new_private_file(path: &FsPath) -> Result<tokio::fs::File, WebError> {
    let opts: tokio::fs::OpenOptions = staging::private_options().into();
    opts.open(path).await.map_err(io_error)
}

/// Removes staged files older than an hour (by the server's clock); returns
/// how many.
pub async fn sweep(state: &AppState) -> usize {
    let (dir, now) = (upload_dir(state), state.clock.now());
    tokio::task::spawn_blocking(move || staging::sweep(&dir, now))
        .await
        .unwrap_or(0)
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

fn summary_page(n: &Need<WriteRecords>, up: &Upload, s: &Summary) -> Response {
    use import::read::MatchedBy;
    let committed = !s.dry_run;
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
    let cols = import::read_columns(up.target);
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
        token: up.token.clone(),
        target: up.target.code(),
        target_label: up.target.label(),
        file_name: up.file_name.clone(),
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

/// A dry run of an upload (with its mapping), shown as the preview; a file
/// that cannot be read goes back to the upload page with the reason.
async fn preview(n: &Need<WriteRecords>, up: &Upload) -> Result<Response, WebError> {
    let opts = Options {
        dry_run: true,
        mapping: up.mapping.clone(),
        ..Options::default()
    };
    match import::run(&n.ctx.call(&n.actor), up.target, &up.data(), &up.file_name, &opts).await {
        Ok(s) => {
            up.keep_rejects(&s).await?;
            Ok(summary_page(n, up, &s))
        }
        Err(AppError::Validation(e)) => {
            up.remove().await;
            let msg = e
                .get("file")
                .map(str::to_string)
                .or_else(|| e.0.first().map(|(_, m)| m.clone()))
                .unwrap_or_default();
            Ok(upload_page(n, up.target.code(), Some(msg)))
        }
        Err(e) => {
            up.remove().await;
            Err(e.into())
        }
    }
}

/// POST /imports/{token}/map: the columns chosen on the preview page
/// (`h`: a file header, `f`: the field key it is read as, "" for none, in
/// pairs); checks the file again with them.
pub async fn map(n: Need<WriteRecords>, Path(token): Path<String>, form: Form) -> Result<Response, WebError> {
    let mut up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
    if form.get("target") != up.target.code() {
        return Err(AppError::BadRequest("导入的数据类型与预览时不一致，请重新上传文件。".into()).into());
    }
    if !tokio::fs::try_exists(up.data()).await.unwrap_or(false) {
        return Err(AppError::Conflict("该文件已经导入过了。如需再次导入，请重新上传文件。".into()).into());
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
    up.save_meta(&n.actor).await?;
    preview(&n, &up).await
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

/// Saves the upload, runs a dry run and shows the preview.
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
    preview(&n, &up).await
}

/// POST /imports/{token}/commit
pub async fn commit(n: Need<WriteRecords>, Path(token): Path<String>, form: Form) -> Result<Response, WebError> {
    let up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
    if form.get("target") != up.target.code() {
        return Err(AppError::BadRequest("导入的数据类型与预览时不一致，请重新上传文件。".into()).into());
    }
    if !tokio::fs::try_exists(up.data()).await.unwrap_or(false) {
        return Err(AppError::Conflict("该文件已经导入过了。如需再次导入，请重新上传文件。".into()).into());
    }
    let opts = Options {
        mapping: up.mapping.clone(),
        ..Options::default()
    };
    match import::run(&n.ctx.call(&n.actor), up.target, &up.data(), &up.file_name, &opts).await {
        Ok(s) => {
            // The rows are in; the file itself is no longer needed (the
            // rejected rows stay for downloading, at most an hour).
            let _ = tokio::fs::remove_file(up.data()).await;
            up.keep_rejects(&s).await?;
            Ok(summary_page(&n, &up, &s))
        }
        Err(AppError::Validation(e)) => {
            up.remove().await;
            let msg = e
                .get("file")
                .map(str::to_string)
                .or_else(|| e.0.first().map(|(_, m)| m.clone()))
                .unwrap_or_default();
            Ok(upload_page(&n, up.target.code(), Some(msg)))
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /imports/{token}/rejected
pub async fn rejected(n: Need<WriteRecords>, Path(token): Path<String>) -> Result<Response, WebError> {
    let up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
    let bytes = tokio::fs::read(up.rejected())
        .await
        .map_err(|_| WebError(AppError::NotFound))?;
    Ok(xlsx_download(bytes, &format!("{}-未导入的行.xlsx", up.target.label())))
}

/// POST /imports/{token}/cancel: removes the upload and its rejected rows.
pub async fn cancel(n: Need<WriteRecords>, Path(token): Path<String>, _form: Form) -> Result<Response, WebError> {
    let up = Upload::load(upload_dir(&n.ctx.state), &token, &n.actor).await?;
    up.remove().await;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&format!("/imports?target={}", up.target.code())),
    ))
}
