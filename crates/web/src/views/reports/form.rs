//! A unit's report form (text, notes on its measures, figures of the
//! targets it reports, attachments): new and edited.

use crate::error::WebError;
use crate::extract::{FileReports, Need};
use crate::layout::Layout;
use crate::views::{date_zh, html, parse_id, q_get, with_status};
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::attachments::FileRow;
use shiminhua_app::plan::reports::{self, FigureRow, FormSpec, ReportInput, Upload};
use shiminhua_app::{AppError, FieldErrors, plan::document};
use shiminhua_core::ids::ReportId;
use shiminhua_core::plan::Figure;
use shiminhua_core::report::ReportStatus;
use std::collections::HashMap;

pub struct NoteInput {
    pub key: String,
    pub heading: String,
    pub text: String,
    pub role: &'static str,
    pub value: String,
    pub error: Option<String>,
}

pub struct FigureInput {
    pub key: String,
    pub target_name: String,
    pub region_name: String,
    pub unit: String,
    pub goal: String,
    pub required: bool,
    pub value: String,
    pub error: Option<String>,
    /// The first field of its target (the target's name is shown once).
    pub first: bool,
}

#[derive(Template)]
#[template(path = "report_form.html")]
struct FormTpl {
    layout: Layout,
    action: String,
    unit: String,
    period: String,
    period_label: String,
    /// Periods to choose from (new reports only).
    periods: Vec<(String, String)>,
    due: String,
    id: i64,
    version: i64,
    body: String,
    body_error: Option<String>,
    notes: Vec<NoteInput>,
    figures: Vec<FigureInput>,
    /// Stored attachments, each with whether it is marked for removal.
    files: Vec<(FileRow, bool)>,
    files_error: Option<String>,
    general: Vec<String>,
    conflict: Option<String>,
    comment: String,
}

/// What was typed, to show again.
#[derive(Default)]
struct Typed {
    period: String,
    version: i64,
    input: ReportInput,
    csrf: String,
    /// A problem with the upload itself (too large, cut off).
    upload_error: Option<String>,
}

#[expect(clippy::too_many_arguments, reason = "the parts of one form page")]
fn form_page(
    n: &Need<FileReports>,
    spec: &FormSpec,
    id: i64,
    typed: &Typed,
    files: Vec<FileRow>,
    errors: &FieldErrors,
    conflict: Option<String>,
    comment: String,
    periods: Vec<(String, String)>,
    due: String,
) -> FormTpl {
    let title = if id > 0 {
        format!("修改调度报告：{}", spec.period.label)
    } else {
        format!("报送调度报告：{}", spec.period.label)
    };
    let notes = spec
        .measures
        .iter()
        .map(|m| {
            let key = format!("note_{}", m.id);
            NoteInput {
                value: typed.input.notes.get(&m.id).cloned().unwrap_or_default(),
                error: errors.get(&key).map(str::to_string),
                key,
                heading: format!("{} 第{}条", m.heading, m.id),
                text: m.text.clone(),
                role: m.role,
            }
        })
        .collect();
    let mut last = String::new();
    let figures = spec
        .figures
        .iter()
        .map(|f| {
            let first = f.target != last;
            last = f.target.clone();
            FigureInput {
                key: f.key.clone(),
                target_name: f.target_name.clone(),
                region_name: f.region_name.clone(),
                unit: f.unit.clone(),
                goal: f.goal.clone(),
                required: f.required,
                value: typed.input.figures.get(&f.key).cloned().unwrap_or_default(),
                error: errors.get(&f.key).map(str::to_string),
                first,
            }
        })
        .collect();
    let known = |k: &str| k == "body" || k == "files" || k.starts_with("note_") || k.starts_with("fig_");
    let mut files_error = errors.get("files").map(str::to_string).or(typed.upload_error.clone());
    if files_error.is_none() && !errors.is_empty() && !typed.input.files.is_empty() {
        files_error = Some("表单有误，所选附件未保存，请改正后重新选择附件。".into());
    }
    FormTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), title.clone())
            .crumb("目标督办", "")
            .crumb("调度", format!("/reports?period={}", spec.period.code))
            .crumb(title, ""),
        action: if id > 0 {
            format!("/reports/{id}/edit")
        } else {
            "/reports/new".into()
        },
        unit: spec.unit.name.clone(),
        period: spec.period.code.clone(),
        period_label: spec.period.label.clone(),
        periods,
        due,
        id,
        version: typed.version,
        body: typed.input.body.clone(),
        body_error: errors.get("body").map(str::to_string),
        notes,
        figures,
        files: files
            .into_iter()
            .map(|f| {
                let gone = typed.input.remove.contains(&f.id);
                (f, gone)
            })
            .collect(),
        files_error,
        general: errors
            .0
            .iter()
            .filter(|(k, _)| !known(k))
            .map(|(_, m)| m.clone())
            .collect(),
        conflict,
        comment,
    }
}

/// Reads a report form (multipart: the texts, the figures and the files).
async fn read_form(mp: Result<Multipart, MultipartRejection>) -> Result<Typed, WebError> {
    let bad = |m: &str| WebError(AppError::BadRequest(m.to_string()));
    let mut mp = mp.map_err(|_| bad("提交的内容格式不正确，请在报告页面填写后提交。"))?;
    let mut t = Typed::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                t.upload_error = Some(
                    "上传中断或一次提交的附件合计超过15MB。请重新选择附件；附件较多时可分次上传（报送后在“修改”中继续添加）。"
                        .into(),
                );
                break;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "files" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let Ok(bytes) = field.bytes().await else {
                t.upload_error = Some("附件上传中断，请重新选择附件。".into());
                break;
            };
            if !file_name.is_empty() || !bytes.is_empty() {
                t.input.files.push(Upload {
                    name: file_name,
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "csrf" => t.csrf = value,
            "period" => t.period = value.trim().to_string(),
            "version" => t.version = value.trim().parse().unwrap_or(0),
            "body" => t.input.body = value,
            "remove" => {
                if let Ok(id) = value.trim().parse() {
                    t.input.remove.push(id);
                }
            }
            k if k.starts_with("note_") => {
                t.input.notes.insert(k["note_".len()..].to_string(), value);
            }
            k if k.starts_with("fig_") => {
                t.input.figures.insert(k.to_string(), value);
            }
            _ => {}
        }
    }
    Ok(t)
}

async fn period_choices(n: &Need<FileReports>) -> Result<Vec<(String, String)>, WebError> {
    let cur = document::current(&n.ctx.state.db).await?;
    let today = n.ctx.state.clock.today();
    Ok(reports::periods(&cur.plan)
        .into_iter()
        .filter(|p| p.start <= today)
        .map(|p| (p.code, p.label))
        .collect())
}

async fn due_of(n: &Need<FileReports>, period: &reports::ReportPeriod) -> Result<String, WebError> {
    let cur = document::current(&n.ctx.state.db).await?;
    let cal = shiminhua_app::calendar::calendar(&n.ctx.state.db).await?;
    Ok(
        match reports::due_date(&cal, period, cur.plan.reporting.due_working_days) {
            Ok(d) => date_zh(d),
            Err(m) => m,
        },
    )
}

#[derive(Template)]
#[template(path = "report_nounit.html")]
struct NoUnitTpl {
    layout: Layout,
    message: String,
}

/// GET /reports/new?period=2023Q3
pub async fn new_page(n: Need<FileReports>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let mut period = q_get(&q, "period");
    if period.is_empty() {
        let cur = document::current(&st.db).await?;
        period = reports::default_period(&cur.plan, st.clock.today())
            .map(|p| p.code)
            .unwrap_or_default();
    }
    let spec = match reports::form_spec(&st.db, &n.actor, &period).await {
        Ok(s) => s,
        Err(AppError::Validation(e)) => {
            let message = e.0.first().map(|(_, m)| m.clone()).unwrap_or_default();
            return Ok(html(&NoUnitTpl {
                layout: Layout::new(&n.ctx, Some(&n.actor), "报送调度报告")
                    .crumb("目标督办", "")
                    .crumb("调度", "/reports")
                    .crumb("报送调度报告", ""),
                message,
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let typed = Typed {
        period: spec.period.code.clone(),
        ..Typed::default()
    };
    let due = due_of(&n, &spec.period).await?;
    let periods = period_choices(&n).await?;
    Ok(html(&form_page(
        &n,
        &spec,
        0,
        &typed,
        Vec::new(),
        &FieldErrors::default(),
        None,
        String::new(),
        periods,
        due,
    )))
}

/// POST /reports/new (multipart)
pub async fn create(n: Need<FileReports>, mp: Result<Multipart, MultipartRejection>) -> Result<Response, WebError> {
    let typed = read_form(mp).await?;
    n.ctx.check_csrf(&typed.csrf)?;
    let st = &n.ctx.state;
    let spec = reports::form_spec(&st.db, &n.actor, &typed.period).await?;
    let result = match &typed.upload_error {
        Some(m) => Err(AppError::field("files", m.clone())),
        None => reports::file(&n.ctx.call(&n.actor), &typed.period, &typed.input).await,
    };
    let (errors, conflict, status) = match result {
        Ok(id) => return Ok(Redirect::to(&format!("/reports/{id}?done=filed")).into_response()),
        Err(AppError::Validation(e)) => (e, None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Conflict(m)) => (FieldErrors::default(), Some(m), StatusCode::CONFLICT),
        Err(e) => return Err(e.into()),
    };
    let due = due_of(&n, &spec.period).await?;
    let periods = period_choices(&n).await?;
    let page = form_page(
        &n,
        &spec,
        0,
        &typed,
        Vec::new(),
        &errors,
        conflict,
        String::new(),
        periods,
        due,
    );
    Ok(with_status(html(&page), status))
}

/// GET /reports/{id}/edit
pub async fn edit_page(n: Need<FileReports>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (r, spec, figures, files) = reports::for_edit(&n.ctx.state.db, &n.actor, id).await?;
    let typed = Typed {
        period: r.period.clone(),
        version: r.version,
        input: ReportInput {
            body: r.body.clone(),
            notes: r.note_map(),
            figures: figure_texts(&spec, &figures),
            ..ReportInput::default()
        },
        ..Typed::default()
    };
    let conflict = (r.state() == ReportStatus::Accepted).then(|| "该报告已被专班办公室采纳，不能再修改。".to_string());
    let due = due_of(&n, &spec.period).await?;
    let page = form_page(
        &n,
        &spec,
        id,
        &typed,
        files,
        &FieldErrors::default(),
        conflict,
        r.comment,
        Vec::new(),
        due,
    );
    Ok(html(&page))
}

/// The stored figures as form texts.
fn figure_texts(spec: &FormSpec, figures: &[FigureRow]) -> HashMap<String, String> {
    spec.figures
        .iter()
        .filter_map(|f| {
            figures
                .iter()
                .find(|x| x.target == f.target && x.region == f.region)
                .map(|x| (f.key.clone(), Figure(x.value).to_string()))
        })
        .collect()
}

/// POST /reports/{id}/edit (multipart)
pub async fn update(
    n: Need<FileReports>,
    Path(id): Path<String>,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    // Another unit's report is not found, whatever was sent.
    let (r, spec, _, files) = reports::for_edit(&n.ctx.state.db, &n.actor, id).await?;
    let typed = read_form(mp).await?;
    n.ctx.check_csrf(&typed.csrf)?;
    let result = match &typed.upload_error {
        Some(m) => Err(AppError::field("files", m.clone())),
        None => reports::revise(&n.ctx.call(&n.actor), ReportId(id), typed.version, &typed.input).await,
    };
    let (errors, conflict, status) = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/reports/{id}?done=saved")).into_response()),
        Err(AppError::Validation(e)) => (e, None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Conflict(m)) => (FieldErrors::default(), Some(m), StatusCode::CONFLICT),
        Err(e) => return Err(e.into()),
    };
    let due = due_of(&n, &spec.period).await?;
    let page = form_page(
        &n,
        &spec,
        id,
        &typed,
        files,
        &errors,
        conflict,
        r.comment,
        Vec::new(),
        due,
    );
    Ok(with_status(html(&page), status))
}
