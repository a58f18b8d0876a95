//! 调度: the office's overview of a period (every owing unit, the overdue
//! first), the measures with their units' standing, a unit's report form
//! (text, notes on its measures, figures of the targets it reports,
//! attachments), the report page with its review, versions and 督办 marks.

use super::{date_zh, html, parse_id, q_get, with_status};
use crate::error::WebError;
use crate::extract::{Ctx, FileReports, Form, Need, SuperviseReports, ViewDashboard};
use crate::layout::Layout;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use shiminhua_app::plan::reports::{self, FigureRow, FileRow, FormSpec, Obligation, ReportInput, Upload};
use shiminhua_app::xlsx::local_time;
use shiminhua_app::{AppError, FieldErrors, plan::document};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::plan::Figure;
use shiminhua_core::report::ReportStatus;
use std::collections::HashMap;

fn due_text(due: &Result<NaiveDate, String>) -> String {
    match due {
        Ok(d) => date_zh(*d),
        Err(_) => "无法计算".into(),
    }
}

/// A unit's standing as a table row.
pub struct Row {
    pub unit_id: i64,
    pub unit: String,
    pub owes: bool,
    pub status: &'static str,
    pub css: &'static str,
    pub overdue: bool,
    pub near_due: bool,
    pub outstanding: bool,
    pub report_id: i64,
    pub filed: String,
    pub late: bool,
    pub comment: String,
    pub urges: Vec<String>,
}

fn row_of(o: &Obligation) -> Row {
    Row {
        unit_id: o.unit.id,
        unit: o.unit.name.clone(),
        owes: o.owes,
        status: o.status_label(),
        css: o.css(),
        overdue: o.overdue,
        near_due: o.near_due,
        outstanding: o.outstanding(),
        report_id: o.report.as_ref().map_or(0, |r| r.id),
        filed: o
            .report
            .as_ref()
            .map(|r| format!("{} {}", local_time(r.updated_at), r.updated_by))
            .unwrap_or_default(),
        late: o.late,
        comment: o.report.as_ref().map(|r| r.comment.clone()).unwrap_or_default(),
        urges: o
            .urges
            .iter()
            .map(|u| format!("{}（{} {}）", u.note, local_time(u.urged_at), u.urged_by))
            .collect(),
    }
}

fn notice_of(q: &HashMap<String, String>) -> Option<&'static str> {
    match q.get("done").map(String::as_str) {
        Some("filed") => Some("报告已报送，等待专班办公室审核。"),
        Some("saved") => Some("报告已修改并重新报送。"),
        Some("accepted") => Some("已采纳该报告。"),
        Some("returned") => Some("已退回该报告，单位修改后可重新报送。"),
        Some("urged") => Some("已督办，督办意见将显示在该单位的工作台上。"),
        Some("closed") => Some("本期调度已关闭，各单位不能再报送或修改本期报告。"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// The overview and the measures

#[derive(Template)]
#[template(path = "reports.html")]
struct OverviewTpl {
    layout: Layout,
    periods: Vec<(String, String)>,
    period: String,
    period_label: String,
    due: String,
    due_error: Option<String>,
    closed: Option<String>,
    can_close: bool,
    supervise: bool,
    /// The actor's unit may file for this period (no report yet).
    can_file: bool,
    rows: Vec<Row>,
    owing: usize,
    filed: usize,
    overdue: usize,
    notice: Option<&'static str>,
}

/// The overview of `period` (the default one when empty).
async fn overview_of(n: &Need<ViewDashboard>, period: &str) -> Result<reports::Overview, WebError> {
    let st = &n.ctx.state;
    match reports::overview(&st.db, &n.actor, period, st.clock.today()).await {
        Err(AppError::Validation(_)) => Ok(reports::overview(&st.db, &n.actor, "", st.clock.today()).await?),
        r => Ok(r?),
    }
}

/// GET /reports?period=2023Q3
pub async fn overview(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let ov = overview_of(&n, &q_get(&q, "period")).await?;
    let today = n.ctx.state.clock.today();
    let supervise = n.actor.can(Permission::SuperviseReports);
    let can_file = n.actor.can(Permission::FileReports)
        && n.actor.unit_id.is_some()
        && ov.closed.is_none()
        && ov.period.start <= today
        && n.actor
            .unit_id
            .is_none_or(|u| ov.row(u).is_none_or(|r| r.report.is_none()));
    let rows: Vec<Row> = ov.rows.iter().map(row_of).collect();
    Ok(html(&OverviewTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), format!("调度：{}", ov.period.label))
            .crumb("目标督办", "")
            .crumb("调度", ""),
        periods: ov.periods.iter().map(|p| (p.code.clone(), p.label.clone())).collect(),
        period: ov.period.code.clone(),
        period_label: ov.period.label.clone(),
        due: due_text(&ov.due),
        due_error: ov.due.as_ref().err().cloned(),
        closed: ov
            .closed
            .as_ref()
            .map(|c| format!("本期调度已于{}由{}关闭。", local_time(c.closed_at), c.closed_by)),
        can_close: supervise && ov.closed.is_none() && ov.period.end < today,
        supervise,
        can_file,
        owing: ov.rows.iter().filter(|r| r.owes).count(),
        filed: ov.rows.iter().filter(|r| r.owes && !r.outstanding()).count(),
        overdue: ov.rows.iter().filter(|r| r.overdue).count(),
        rows,
        notice: notice_of(&q),
    }))
}

/// A unit named in a measure, with its standing.
pub struct Chip {
    pub unit_id: i64,
    pub name: String,
    pub status: &'static str,
    pub css: &'static str,
    pub report_id: i64,
    pub outstanding: bool,
    pub urged: usize,
}

pub struct MeasureRow {
    pub id: String,
    pub text: String,
    pub lead: Vec<Chip>,
    pub cooperating: Vec<Chip>,
    /// Responsible bodies that are not units (各区县, the leading group).
    pub others: String,
}

pub struct ItemBlock {
    pub heading: String,
    pub measures: Vec<MeasureRow>,
}

#[derive(Template)]
#[template(path = "report_measures.html")]
struct MeasuresTpl {
    layout: Layout,
    periods: Vec<(String, String)>,
    period: String,
    period_label: String,
    due: String,
    supervise: bool,
    closed: bool,
    items: Vec<ItemBlock>,
    notice: Option<&'static str>,
}

/// GET /reports/measures?period=2023Q3
pub async fn measures(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let ov = overview_of(&n, &q_get(&q, "period")).await?;
    let cur = document::current(&n.ctx.state.db).await?;
    let chip = |dept: &String| -> Option<Chip> {
        let o = ov.by_dept(dept)?;
        Some(Chip {
            unit_id: o.unit.id,
            name: o.unit.short_name.clone(),
            status: o.status_label(),
            css: o.css(),
            report_id: o.report.as_ref().map_or(0, |r| r.id),
            outstanding: o.outstanding(),
            urged: o.urges.len(),
        })
    };
    let items = cur
        .plan
        .items
        .iter()
        .map(|item| ItemBlock {
            heading: item.heading(),
            measures: item
                .measures
                .iter()
                .map(|m| {
                    let mut others = m.others.clone();
                    if m.counties {
                        others.insert(0, "各区县".into());
                    }
                    if m.lead.is_empty() && m.cooperating.is_empty() && others.is_empty() {
                        others.push("专班办公室".into());
                    }
                    MeasureRow {
                        id: m.id.clone(),
                        text: m.text.clone(),
                        lead: m.lead.iter().filter_map(chip).collect(),
                        cooperating: m.cooperating.iter().filter_map(chip).collect(),
                        others: others.join("、"),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(html(&MeasuresTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), format!("调度：工作举措（{}）", ov.period.label))
            .crumb("目标督办", "")
            .crumb("调度", format!("/reports?period={}", ov.period.code))
            .crumb("工作举措", ""),
        periods: ov.periods.iter().map(|p| (p.code.clone(), p.label.clone())).collect(),
        period: ov.period.code.clone(),
        period_label: ov.period.label.clone(),
        due: due_text(&ov.due),
        supervise: n.actor.can(Permission::SuperviseReports),
        closed: ov.closed.is_some(),
        items,
        notice: notice_of(&q),
    }))
}

/// POST /reports/urge (unit, period, note, back)
pub async fn urge(n: Need<SuperviseReports>, form: Form) -> Result<Response, WebError> {
    let unit = form.get("unit").parse::<i64>().unwrap_or(0);
    let period = form.get("period").to_string();
    reports::urge(&n.ctx.call(&n.actor), unit, &period, form.get("note")).await?;
    let back = if form.get("back") == "measures" {
        "/reports/measures"
    } else {
        "/reports"
    };
    // The period was checked by the use case: a code of letters and digits.
    Ok(Redirect::to(&format!("{back}?period={}&done=urged", period.trim())).into_response())
}

/// POST /reports/close (period)
pub async fn close(n: Need<SuperviseReports>, form: Form) -> Result<Response, WebError> {
    let p = reports::close_period(&n.ctx.call(&n.actor), form.get("period")).await?;
    Ok(Redirect::to(&format!("/reports?period={}&done=closed", p.code)).into_response())
}

// ---------------------------------------------------------------------------
// The form

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

async fn due_of(n: &Need<FileReports>, period: &reports::Period) -> Result<String, WebError> {
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
        None => reports::revise(&n.ctx.call(&n.actor), id, typed.version, &typed.input).await,
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

// ---------------------------------------------------------------------------
// The report page

pub struct FigureLine {
    pub target: String,
    pub region: String,
    pub value: String,
}

pub struct NoteLine {
    pub heading: String,
    pub note: String,
}

pub struct VersionLine {
    pub version: i64,
    pub action: &'static str,
    pub at: String,
    pub by: String,
    pub comment: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ShowTpl {
    layout: Layout,
    id: i64,
    version: i64,
    unit: String,
    period: String,
    period_label: String,
    status: &'static str,
    css: &'static str,
    due: String,
    late: bool,
    filed: String,
    updated: String,
    reviewed: String,
    comment: String,
    body: String,
    notes: Vec<NoteLine>,
    figures: Vec<FigureLine>,
    files: Vec<FileRow>,
    versions: Vec<VersionLine>,
    urges: Vec<String>,
    closed: Option<String>,
    can_edit: bool,
    can_review: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn show_page(
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ShowTpl, WebError> {
    let st = &ctx.state;
    let v = reports::get(&st.db, actor, id).await?;
    let cur = document::current(&st.db).await?;
    let r = &v.report;
    let region_name = |code: i64| -> String {
        DivisionCode::from_i64(code)
            .ok()
            .map(|c| {
                if c == cur.plan.meta.region {
                    "全市".to_string()
                } else {
                    shiminhua_app::plan::in_force::context()
                        .counties
                        .iter()
                        .find(|(k, _)| *k == c)
                        .map(|(_, name)| name.clone())
                        .unwrap_or_else(|| c.to_string())
                }
            })
            .unwrap_or_default()
    };
    let figures = v
        .figures
        .iter()
        .map(|f| {
            let (name, unit) = cur
                .plan
                .target(&f.target)
                .map(|t| (t.name.clone(), t.unit.clone()))
                .unwrap_or_else(|| (f.target.clone(), String::new()));
            FigureLine {
                target: name,
                region: region_name(f.region),
                value: format!("{}{unit}", f.figure()),
            }
        })
        .collect();
    let note_map = r.note_map();
    let notes = v
        .measures
        .iter()
        .filter_map(|m| {
            note_map.get(&m.id).map(|note| NoteLine {
                heading: format!("{} 第{}条（{}）", m.heading, m.id, m.role),
                note: note.clone(),
            })
        })
        .collect();
    let due_day = v.due.as_ref().ok().copied();
    let late = due_day.is_some_and(|d| (r.filed_at + chrono::Duration::hours(8)).date_naive() > d);
    let state = r.state();
    let can_edit = actor.can(Permission::FileReports)
        && actor.unit_id == Some(r.unit_id)
        && state != ReportStatus::Accepted
        && v.closed.is_none();
    Ok(ShowTpl {
        layout: Layout::new(ctx, Some(actor), format!("{}：{}调度报告", r.unit_name, v.period.label))
            .crumb("目标督办", "")
            .crumb("调度", format!("/reports?period={}", r.period))
            .crumb(r.unit_name.clone(), ""),
        id: r.id,
        version: r.version,
        unit: r.unit_name.clone(),
        period: r.period.clone(),
        period_label: v.period.label.clone(),
        status: state.label_zh(),
        css: match state {
            ReportStatus::Accepted => "green",
            ReportStatus::Returned => "red",
            ReportStatus::Filed => "grey",
        },
        due: match &v.due {
            Ok(d) => date_zh(*d),
            Err(m) => m.clone(),
        },
        late,
        filed: format!("{} {}", local_time(r.filed_at), r.filed_by),
        updated: format!("{} {}", local_time(r.updated_at), r.updated_by),
        reviewed: r
            .reviewed_at
            .map(|t| format!("{} {}", local_time(t), r.reviewed_by))
            .unwrap_or_default(),
        comment: r.comment.clone(),
        body: r.body.clone(),
        notes,
        figures,
        files: v.files.clone(),
        versions: v
            .versions
            .iter()
            .map(|x| VersionLine {
                version: x.version,
                action: x.action_label(),
                at: local_time(x.changed_at),
                by: x.changed_by.clone(),
                comment: x.comment.clone(),
                body: x.body.clone(),
            })
            .collect(),
        urges: v
            .urges
            .iter()
            .map(|u| format!("{}（{} {}）", u.note, local_time(u.urged_at), u.urged_by))
            .collect(),
        closed: v
            .closed
            .as_ref()
            .map(|c| format!("本期调度已于{}关闭。", local_time(c.closed_at))),
        can_edit,
        can_review: actor.can(Permission::SuperviseReports) && state == ReportStatus::Filed,
        notice,
        error,
    })
}

/// GET /reports/{id}
pub async fn show(
    n: Need<ViewDashboard>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    Ok(html(&show_page(&n.ctx, &n.actor, id, notice_of(&q), None).await?))
}

/// POST /reports/{id}/review (decision = accept | return, comment, version)
pub async fn review(n: Need<SuperviseReports>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let accept = match form.get("decision") {
        "accept" => true,
        "return" => false,
        _ => return Err(AppError::field("decision", "请选择采纳或退回").into()),
    };
    match reports::review(&n.ctx.call(&n.actor), id, version, accept, form.get("comment")).await {
        Ok(()) => {
            let done = if accept { "accepted" } else { "returned" };
            Ok(Redirect::to(&format!("/reports/{id}?done={done}")).into_response())
        }
        Err(AppError::Validation(e)) => {
            let msg = e.0.first().map(|(_, m)| m.clone());
            let page = show_page(&n.ctx, &n.actor, id, None, msg).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let page = show_page(&n.ctx, &n.actor, id, None, Some(m)).await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /reports/{id}/files/{file}
pub async fn download(n: Need<ViewDashboard>, Path((id, file)): Path<(String, String)>) -> Result<Response, WebError> {
    let (id, file) = (parse_id(&id)?, parse_id(&file)?);
    let (name, mime, bytes) = reports::attachment(&n.ctx.state.db, &n.actor, id, file).await?;
    let encoded = super::percent_encode(&name);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"attachment.{ext}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------
// The workbench block

/// One thing the user's unit owes, for the workbench.
pub struct OwedLine {
    pub period: String,
    pub period_code: String,
    pub due: String,
    pub overdue: bool,
    pub near_due: bool,
    pub status: &'static str,
    pub report_id: i64,
    pub comment: String,
    pub urges: Vec<String>,
}

/// What the actor's unit owes as of today (empty without a unit).
pub async fn owed_lines(n_ctx: &Ctx, actor: &Actor) -> Result<Vec<OwedLine>, WebError> {
    let st = &n_ctx.state;
    let owed = reports::owed(&st.db, actor, st.clock.today()).await?;
    Ok(owed
        .into_iter()
        .map(|o| OwedLine {
            period: o.period.label.clone(),
            period_code: o.period.code.clone(),
            due: match &o.due {
                Ok(d) => date_zh(*d),
                Err(m) => m.clone(),
            },
            overdue: o.overdue,
            near_due: o.near_due,
            status: o.report.as_ref().map_or("未报送", |r| r.state().label_zh()),
            report_id: o.report.as_ref().map_or(0, |r| r.id),
            comment: o.report.as_ref().map(|r| r.comment.clone()).unwrap_or_default(),
            urges: o
                .urges
                .iter()
                .map(|u| format!("{}（{} {}）", u.note, local_time(u.urged_at), u.urged_by))
                .collect(),
        })
        .collect())
}
