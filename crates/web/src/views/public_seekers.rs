//! 求职登记 from a phone (`/public/jobs/register`) and its lookup
//! (`/public/jobs/register/query`): the public side of
//! `shiminhua_app::registry::jobs::applications`. The form carries the
//! processing notice and its consent box, the visitor's CSRF token, the
//! small sum and a one-time token (the same form sent twice files once);
//! every POST counts against the client's limit, as the public case pages
//! do. The number and query code are shown once; the lookup answers a
//! wrong code exactly like an unknown number.

use super::html;
use super::public_cases::{County, Fields, STALE_FORM, counties, csrf_token, finish, form_token, layout, throttled};
use crate::error::WebError;
use crate::extract::Ctx;
use crate::layout::Layout;
use crate::throttle::Challenge;
use askama::Template;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shiminhua_app::error::FieldErrors;
use shiminhua_app::registry::jobs::applications::{self, Application, NOTICE};
use shiminhua_app::{AppError, sessions};
use shiminhua_core::jobs::forms::SEEKER;
use shiminhua_core::jobs::occupation::MAJOR_GROUP_NAMES;

#[derive(Template)]
#[template(path = "public_seeker_form.html")]
struct FormTpl {
    layout: Layout,
    v: Application,
    /// The major groups ticked ("1".."8").
    ticked: Vec<String>,
    majors: Vec<(String, &'static str)>,
    errors: FieldErrors,
    general: Vec<String>,
    counties: &'static [County],
    challenge: Option<Challenge>,
    notice: &'static str,
    submit_token: String,
}

impl FormTpl {
    fn wish(&self, key: &str) -> String {
        self.v.wishes.get(key).cloned().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "public_seeker_done.html")]
struct DoneTpl {
    layout: Layout,
    number: String,
    /// Empty once no longer shown again.
    code: String,
    /// The same form was sent before: its first filing.
    again: bool,
}

#[derive(Template)]
#[template(path = "public_seeker_query.html")]
struct QueryTpl {
    layout: Layout,
    number: String,
    errors: FieldErrors,
    general: Vec<String>,
    not_found: bool,
    found: Option<applications::PublicView>,
    filed_on: String,
}

/// The form as typed: the person, the ticked groups as the occupations
/// list, the other wishes.
fn read(f: &Fields) -> (Application, Vec<String>) {
    let ticked: Vec<String> = f
        .all("major")
        .into_iter()
        .filter(|v| (1..=8).any(|m| *v == m.to_string()))
        .collect();
    let mut wishes: std::collections::HashMap<String, String> = SEEKER
        .fields
        .iter()
        .map(|x| (x.key.to_string(), f.get(x.key)))
        .collect();
    wishes.insert("occupations".into(), ticked.join("、"));
    (
        Application {
            name: f.get("name"),
            id_number: f.get("id_number"),
            phone: f.get("phone"),
            region: f.get("region"),
            wishes,
            consent: !f.get("consent").is_empty(),
        },
        ticked,
    )
}

fn form(
    ctx: &Ctx,
    v: Application,
    ticked: Vec<String>,
    errors: FieldErrors,
    general: Vec<String>,
    status: StatusCode,
    token: Option<String>,
) -> Response {
    let (csrf, cookie) = csrf_token(ctx);
    let st = &ctx.state;
    let t = FormTpl {
        layout: layout(ctx, "求职登记", csrf),
        v,
        ticked,
        majors: MAJOR_GROUP_NAMES
            .iter()
            .zip(1..)
            .map(|(n, i): (&&str, i32)| (i.to_string(), *n))
            .collect(),
        errors,
        general,
        counties: counties(),
        challenge: st
            .config
            .public
            .challenge
            .then(|| st.public_guard.challenges.issue(&st.cipher, st.clock.now())),
        notice: NOTICE,
        submit_token: token.unwrap_or_else(sessions::random_token),
    };
    finish(html(&t), status, cookie)
}

/// GET /public/jobs/register
pub async fn register_page(ctx: Ctx) -> Response {
    form(
        &ctx,
        Application::default(),
        Vec::new(),
        FieldErrors::default(),
        Vec::new(),
        StatusCode::OK,
        None,
    )
}

/// POST /public/jobs/register
pub async fn register_submit(ctx: Ctx, body: Body) -> Response {
    let st = &ctx.state;
    let Some(f) = Fields::read(body).await else {
        return WebError(AppError::BadRequest("提交的内容过大或格式不正确。".into())).into_response();
    };
    let (v, ticked) = read(&f);
    let token = form_token(&f.get("submit_token"));
    if let Some((msg, retry)) = throttled(&ctx, &st.public_guard.submissions) {
        let mut r = form(
            &ctx,
            v,
            ticked,
            FieldErrors::default(),
            vec![msg],
            StatusCode::TOO_MANY_REQUESTS,
            token,
        );
        r.headers_mut().insert(header::RETRY_AFTER, retry);
        return r;
    }
    if ctx.check_csrf(&f.get("csrf")).is_err() {
        return form(
            &ctx,
            v,
            ticked,
            FieldErrors::default(),
            vec![STALE_FORM.into()],
            StatusCode::FORBIDDEN,
            token,
        );
    }
    // A form without its one-time token (an old page): shown again with one.
    let Some(token) = token else {
        return form(
            &ctx,
            v,
            ticked,
            FieldErrors::default(),
            vec![STALE_FORM.into()],
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        );
    };
    let now = st.clock.now();
    if st.config.public.challenge
        && let Err(refusal) =
            st.public_guard
                .challenges
                .check(&st.cipher, &f.get("challenge_token"), &f.get("challenge_answer"), now)
    {
        let mut errors = match applications::check_only(&st.db, now, &v).await {
            Ok(()) => FieldErrors::default(),
            Err(AppError::Validation(e)) => e,
            Err(e) => return WebError(e).into_response(),
        };
        errors.add("challenge_answer", refusal.message());
        return form(
            &ctx,
            v,
            ticked,
            errors,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(token),
        );
    }
    match applications::file(&st.db, &st.cipher, &ctx.origin, now, &v, &token).await {
        Ok(filed) => {
            let (csrf, cookie) = csrf_token(&ctx);
            let status = if filed.again {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let t = DoneTpl {
                layout: layout(&ctx, "求职登记已提交", csrf),
                number: filed.number,
                code: filed.query_code,
                again: filed.again,
            };
            finish(html(&t), status, cookie)
        }
        Err(AppError::Validation(errors)) => form(
            &ctx,
            v,
            ticked,
            errors,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(token),
        ),
        Err(e) => WebError(e).into_response(),
    }
}

fn query_form(
    ctx: &Ctx,
    number: String,
    errors: FieldErrors,
    general: Vec<String>,
    found: Result<Option<applications::PublicView>, ()>,
    status: StatusCode,
) -> Response {
    let (csrf, cookie) = csrf_token(ctx);
    let filed_on = match &found {
        Ok(Some(f)) => super::date_zh(f.filed_on),
        _ => String::new(),
    };
    let t = QueryTpl {
        layout: layout(ctx, "求职登记查询", csrf),
        number,
        errors,
        general,
        not_found: matches!(found, Ok(None)),
        found: found.ok().flatten(),
        filed_on,
    };
    finish(html(&t), status, cookie)
}

/// GET /public/jobs/register/query
pub async fn query_page(ctx: Ctx) -> Response {
    query_form(
        &ctx,
        String::new(),
        FieldErrors::default(),
        Vec::new(),
        Err(()),
        StatusCode::OK,
    )
}

/// POST /public/jobs/register/query
pub async fn query_submit(ctx: Ctx, body: Body) -> Response {
    let st = &ctx.state;
    let Some(f) = Fields::read(body).await else {
        return WebError(AppError::BadRequest("提交的内容过大或格式不正确。".into())).into_response();
    };
    let clean = |k: &str| -> String {
        shiminhua_core::record::normalise(&f.get(k))
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(40)
            .collect()
    };
    let (number, code) = (clean("number"), clean("code"));
    if let Some((msg, retry)) = throttled(&ctx, &st.public_guard.lookups) {
        let mut r = query_form(
            &ctx,
            number,
            FieldErrors::default(),
            vec![msg],
            Err(()),
            StatusCode::TOO_MANY_REQUESTS,
        );
        r.headers_mut().insert(header::RETRY_AFTER, retry);
        return r;
    }
    if ctx.check_csrf(&f.get("csrf")).is_err() {
        return query_form(
            &ctx,
            number,
            FieldErrors::default(),
            vec![STALE_FORM.into()],
            Err(()),
            StatusCode::FORBIDDEN,
        );
    }
    let mut errors = FieldErrors::default();
    if number.is_empty() {
        errors.add("number", "请填写登记编号");
    }
    if code.is_empty() {
        errors.add("code", "请填写查询码");
    }
    if !errors.is_empty() {
        return query_form(
            &ctx,
            number,
            errors,
            Vec::new(),
            Err(()),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match applications::public_view(&st.db, &st.cipher, &number, &code).await {
        Ok(Some(view)) => query_form(
            &ctx,
            number,
            FieldErrors::default(),
            Vec::new(),
            Ok(Some(view)),
            StatusCode::OK,
        ),
        Ok(None) => query_form(
            &ctx,
            number,
            FieldErrors::default(),
            Vec::new(),
            Ok(None),
            StatusCode::NOT_FOUND,
        ),
        Err(e) => WebError(e).into_response(),
    }
}
