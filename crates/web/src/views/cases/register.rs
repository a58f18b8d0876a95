//! Registering a case: the form and its submission.

use super::{layout, town_value};
use crate::error::WebError;
use crate::extract::{Form, Need, RegisterCases};
use crate::layout::Layout;
use crate::views::{html, with_status};
use askama::Template;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::rights::cases;
use shiminhua_app::{AppError, FieldErrors};
use shiminhua_core::auth::RecordKind;
use shiminhua_core::case::{CaseInput, Sector, Source};
use shiminhua_core::ids::CaseId;
use std::collections::HashMap;

/// The registration form as typed: the case's fields, and how the reporter
/// is given (the fields read as `v.employer_name` through `Deref`).
#[derive(Clone, Debug, Default)]
pub struct Typed {
    pub fields: CaseInput,
    /// `anonymous`, `worker` or `contact`.
    pub reporter: String,
    pub worker_id: String,
}

impl std::ops::Deref for Typed {
    type Target = CaseInput;
    fn deref(&self) -> &CaseInput {
        &self.fields
    }
}

impl Typed {
    fn from_form(f: &Form) -> Typed {
        let reporter = match f.get("reporter") {
            r @ ("anonymous" | "worker") => r.to_string(),
            _ => "contact".to_string(),
        };
        Typed {
            fields: CaseInput {
                // Its lines as typed.
                description: f.raw("description").trim().into(),
                ..CaseInput::read(|k| f.get(k).to_string())
            },
            reporter,
            worker_id: f.get("worker_id").into(),
        }
    }

    /// The use case's input, and the error of the worker number when it is
    /// not one (the rest is checked by the use case).
    fn input(&self) -> (CaseInput, Option<String>) {
        let mut worker_error = None;
        let worker_id = if self.reporter == "worker" {
            match self.worker_id.trim().parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    worker_error = Some(if self.worker_id.trim().is_empty() {
                        "请填写反映人的农民工编号".to_string()
                    } else {
                        "农民工编号应为农民工名册中的数字编号".to_string()
                    });
                    // No worker has it: registration cannot go through.
                    Some(0)
                }
            }
        } else {
            None
        };
        let input = CaseInput {
            anonymous: self.reporter == "anonymous",
            worker_id,
            ..self.fields.clone()
        };
        (input, worker_error)
    }
}

/// The fields of the form (errors of other keys are shown above it).
const FORM_KEYS: &[&str] = &[
    "source",
    "clue_no",
    "received_on",
    "anonymous",
    "worker_id",
    "reporter_name",
    "reporter_phone",
    "reporter_id_number",
    "employer_name",
    "employer_credit_code",
    "employer_address",
    "sector",
    "project_name",
    "contractor_name",
    "contractor_credit_code",
    "workers",
    "amount_claimed",
    "arrears_from",
    "arrears_to",
    "description",
    "region",
];

#[derive(Template)]
#[template(path = "case_form.html")]
struct FormTpl {
    layout: Layout,
    v: Typed,
    errors: FieldErrors,
    sources: Vec<(&'static str, &'static str)>,
    sectors: Vec<(&'static str, &'static str)>,
    /// Townships in the actor's scope: (value to type, code).
    towns: Vec<(String, String)>,
    /// The form's one-time token: the same form sent twice registers once.
    submit_token: String,
}

async fn form_page(
    n: &Need<RegisterCases>,
    v: Typed,
    errors: FieldErrors,
    token: Option<String>,
) -> Result<FormTpl, WebError> {
    let towns = cases::townships(&n.ctx.state.db)
        .await?
        .iter()
        .filter(|t| n.actor.scope.allows(RecordKind::WageCase, t.code))
        .map(|t| (town_value(t), t.code.to_string()))
        .collect();
    // Errors of no field of the form first (they link to nothing).
    let mut errors = errors;
    errors
        .0
        .sort_by_key(|(k, _)| FORM_KEYS.iter().position(|f| f == k).map_or(0, |i| i + 1));
    Ok(FormTpl {
        layout: layout(&n.ctx, &n.actor, "登记欠薪线索").crumb("登记线索", ""),
        v,
        errors,
        submit_token: token.unwrap_or_else(shiminhua_app::sessions::random_token),
        sources: Source::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        towns,
    })
}

/// GET /cases/new
pub async fn new_page(n: Need<RegisterCases>) -> Result<Response, WebError> {
    let v = Typed {
        fields: CaseInput {
            received_on: n.ctx.state.clock.today().to_string(),
            ..CaseInput::default()
        },
        reporter: "contact".into(),
        worker_id: String::new(),
    };
    Ok(html(&form_page(&n, v, FieldErrors::default(), None).await?))
}

#[derive(Template)]
#[template(path = "case_registered.html")]
struct RegisteredTpl {
    layout: Layout,
    id: i64,
    number: String,
    /// Empty once no longer shown ([`cases::CODE_SHOWN_FOR`]).
    code: String,
    /// The same form was sent again: the case it registered the first time.
    again: bool,
}

/// The cookie that lets the officer's browser show the number and query
/// code of the case it registered again (see the public form's).
const REGISTERED_COOKIE: &str = "shm_registered";

/// GET /cases/registered — the case this browser registered last, with its
/// query code for [`cases::CODE_SHOWN_FOR`]; a refresh shows the same.
pub async fn registered(
    n: Need<RegisterCases>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let token = crate::mw::cookie(&headers, REGISTERED_COOKIE).unwrap_or_default();
    let Some(f) = cases::submitted(&st.db, &st.cipher, &token, st.clock.now()).await? else {
        // Nothing registered from this browser lately.
        return Ok(html(&RegisteredTpl {
            layout: layout(&n.ctx, &n.actor, "没有可显示的登记结果").crumb("登记结果", ""),
            id: 0,
            number: String::new(),
            code: String::new(),
            again: false,
        }));
    };
    // Only a case the officer may see.
    cases::get(&st.db, &n.actor, CaseId(f.id)).await?;
    let mut page = html(&RegisteredTpl {
        layout: layout(&n.ctx, &n.actor, format!("已登记：{}", f.number)).crumb(f.number.clone(), ""),
        id: f.id,
        number: f.number,
        code: f.query_code.unwrap_or_default(),
        again: q.contains_key("again"),
    });
    page.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(page)
}

/// POST /cases/new
pub async fn create(n: Need<RegisterCases>, form: Form) -> Result<Response, WebError> {
    let v = Typed::from_form(&form);
    let (input, worker_error) = v.input();
    let token = crate::views::public_cases::form_token(form.get("submit_token"));
    let result = match &token {
        Some(t) => cases::register_once(&n.ctx.call(&n.actor), &input, t).await,
        None => cases::register(&n.ctx.call(&n.actor), &input)
            .await
            .map(cases::Once::New),
    };
    // A worker number that is not one never registers (no worker has id 0).
    let mut errors = match (result, &token) {
        (Ok(once), Some(t)) => {
            // Redirected, so that a refresh shows the same case, never a second.
            let again = matches!(once, cases::Once::Again(_));
            let mut r = Redirect::to(if again {
                "/cases/registered?again=1"
            } else {
                "/cases/registered"
            })
            .into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                crate::views::public_cases::filed_cookie(&n.ctx, REGISTERED_COOKIE, "/cases", t),
            );
            return Ok(r);
        }
        (Ok(cases::Once::New(reg)), None) => {
            // A form without a token (an old page): shown once, here.
            let mut page = html(&RegisteredTpl {
                layout: layout(&n.ctx, &n.actor, format!("已登记：{}", reg.number)).crumb(reg.number.clone(), ""),
                id: reg.id,
                number: reg.number,
                code: reg.query_code,
                again: false,
            });
            page.headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            return Ok(page);
        }
        (Ok(cases::Once::Again(_)), None) => {
            return Err(AppError::Internal("a case again without a token".into()).into());
        }
        (Err(AppError::Validation(e)), _) => e,
        (Err(e), _) => return Err(e.into()),
    };
    if let Some(m) = worker_error {
        errors.0.retain(|(k, _)| k != "worker_id");
        errors.add("worker_id", m);
    }
    let page = form_page(&n, v, errors, token).await?;
    Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
}
