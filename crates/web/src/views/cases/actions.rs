//! What is done from the case page: a step of the workflow, an
//! attachment uploaded, an attachment downloaded.

use super::detail::{ActionValues, Shown, show_page};
use crate::error::WebError;
use crate::extract::{ActOnCases, Form, Need, ReadCases, RegisterCases};
use crate::views::{html, parse_id, with_status};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::rights::cases;
use shiminhua_app::{AppError, FieldErrors};
use shiminhua_core::case::Action;
use shiminhua_core::ids::CaseId;

/// POST /cases/{id}/act (action, version, the action's fields)
pub async fn act(n: Need<ActOnCases>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let values = ActionValues::from_form(&form);
    let Some(action) = Action::from_code(form.get("action")) else {
        let shown = Shown {
            error: Some("请选择要办理的事项后再提交。".into()),
            ..Shown::default()
        };
        let page = show_page(&n.ctx, &n.actor, id, shown).await?;
        return Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY));
    };
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let (shown, status) = match cases::act(&n.ctx.call(&n.actor), CaseId(id), version, action, &values.input()).await {
        // `#top`: the page opens at its top with the notice (the form was
        // posted to the form's own anchor, which the answer would keep).
        Ok(_) => return Ok(Redirect::to(&format!("/cases/{id}?done={}#top", action.code())).into_response()),
        Err(AppError::Validation(e)) => (
            Shown {
                sent: Some((action, values, e)),
                ..Shown::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(AppError::Conflict(m)) => (
            Shown {
                error: Some(m),
                sent: Some((action, values, FieldErrors::default())),
                ..Shown::default()
            },
            StatusCode::CONFLICT,
        ),
        Err(e) => return Err(e.into()),
    };
    let page = show_page(&n.ctx, &n.actor, id, shown).await?;
    Ok(with_status(html(&page), status))
}

/// POST /cases/{id}/files (multipart: csrf, file)
pub async fn upload(
    n: Need<RegisterCases>,
    Path(id): Path<String>,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    // Another county's case is not found, whatever was sent.
    cases::get(&n.ctx.state.db, &n.actor, CaseId(id)).await?;
    let mut mp = mp.map_err(|_| AppError::BadRequest("提交的内容格式不正确，请在案件页面选择附件后上传。".into()))?;
    let (mut csrf, mut file, mut problem) = (String::new(), None, None);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                problem = Some("上传中断或附件过大（超过10MB），请重新选择附件。".to_string());
                break;
            }
        };
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) if name.is_empty() && b.is_empty() => {}
                    Ok(b) => file = Some((name, b)),
                    Err(_) => {
                        problem = Some("上传中断或附件过大（超过10MB），请重新选择附件。".to_string());
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    n.ctx.check_csrf(&csrf)?;
    let result = match (problem, file) {
        (Some(m), _) => Err(AppError::field("file", m)),
        (None, None) => Err(AppError::field("file", "请选择要上传的附件")),
        (None, Some((name, bytes))) => cases::add_file(&n.ctx.call(&n.actor), CaseId(id), &name, &bytes).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=file")).into_response()),
        Err(AppError::Validation(e)) => {
            let shown = Shown {
                upload_error: Some(e.0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("；")),
                ..Shown::default()
            };
            let page = show_page(&n.ctx, &n.actor, id, shown).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /cases/{id}/files/{file}
pub async fn download(n: Need<ReadCases>, Path((id, file)): Path<(String, String)>) -> Result<Response, WebError> {
    let (id, file) = (parse_id(&id)?, parse_id(&file)?);
    let (name, mime, bytes) = cases::file(&n.ctx.state.db, &n.actor, CaseId(id), file).await?;
    n.ctx.state.reads.saw(
        &n.ctx.call(&n.actor),
        shiminhua_app::audit::Event::ok("case.download", "case", id).detail(format!("附件{file}")),
    );
    let encoded = crate::views::percent_encode(&name);
    let ext: String = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"attachment.{ext}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
