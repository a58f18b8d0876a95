//! Public pages of wage-arrears cases: the report form and the lookup.
//!
//! No sign-in: 反映欠薪问题 (`/public/cases/new`) registers a case through
//! [`cases::register_public`] and shows its number and query code once;
//! 进度查询 (`/public/cases/query`) shows, for a number and its code, the
//! status as told to the public, the day received and the replies meant for
//! the reporter ([`cases::public_view`]). A wrong code answers exactly like
//! an unknown number. Nothing typed is ever shown back but on the form it
//! was typed into.
//!
//! Both forms carry the visitor's CSRF token (the session's, or the
//! pre-session double-submit cookie, `SameSite=Strict`), so another site
//! cannot post them from a visitor's browser; a missing or wrong token
//! shows the form again with everything typed kept. Every POST is first
//! counted against the client address's limit (`[public]
//! submissions_per_hour`, `lookups_per_minute`); over it, 429 with
//! `Retry-After`. The report form also asks a small sum (`[public]
//! challenge`), see [`crate::throttle`]. `[public] cases = false`: every
//! address here answers 404.

use super::html;
use crate::error::WebError;
use crate::extract::Ctx;
use crate::layout::Layout;
use crate::mw::{PRE_CSRF_COOKIE, set_cookie};
use crate::throttle::{Challenge, Limiter};
use askama::Template;
use axum::body::Body;
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::error::FieldErrors;
use shiminhua_app::rights::cases::{self, PublicView};
use shiminhua_app::{AppError, sessions};
use shiminhua_core::case::{CaseInput, Sector};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;
use std::time::Instant;

/// Largest form body accepted (the description is at most 2,000 characters).
const MAX_BODY: usize = 64 * 1024;

/// A county of the city and its townships (code, name), for the place picker.
pub struct County {
    pub name: String,
    pub towns: Vec<(String, String)>,
}

/// The city's counties and townships, from the shipped divisions.
pub(crate) fn counties() -> &'static [County] {
    static COUNTIES: OnceLock<Vec<County>> = OnceLock::new();
    COUNTIES.get_or_init(|| {
        let rows: Vec<Vec<&str>> = shiminhua_app::regions::SEED_CSV
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::trim).collect())
            .filter(|c: &Vec<&str>| c.len() >= 5)
            .collect();
        rows.iter()
            .filter(|c| c[3] == "county")
            .map(|county| County {
                name: county[2].to_string(),
                towns: rows
                    .iter()
                    .filter(|t| t[3] == "township" && t[4] == county[0])
                    .map(|t| (t[0].to_string(), t[2].to_string()))
                    .collect(),
            })
            .collect()
    })
}

/// A form body as pairs.
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    pub(crate) async fn read(body: Body) -> Option<Fields> {
        let bytes = axum::body::to_bytes(body, MAX_BODY).await.ok()?;
        Some(Fields(form_urlencoded::parse(&bytes).into_owned().collect()))
    }

    /// Every value of a field (ticked boxes of one name), trimmed.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// The first value of a field, trimmed ("" when absent).
    pub(crate) fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }
}

/// The report as typed (source, date and worker are the use case's).
fn report_of(f: &Fields) -> CaseInput {
    CaseInput {
        anonymous: !f.get("anonymous").is_empty(),
        ..CaseInput::read(|k| f.get(k))
    }
}

/// The fields of the report form that show their own errors.
const REPORT_FIELDS: &[&str] = &[
    "region",
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
    "anonymous",
    "reporter_name",
    "reporter_phone",
    "reporter_id_number",
    "challenge_answer",
];

#[derive(Template)]
#[template(path = "public_case_form.html")]
struct ReportTpl {
    layout: Layout,
    v: CaseInput,
    errors: FieldErrors,
    /// Messages not tied to one field (shown on top).
    general: Vec<String>,
    counties: &'static [County],
    /// (code, label)
    sectors: Vec<(&'static str, &'static str)>,
    challenge: Option<Challenge>,
    /// Today (YYYY-MM-DD), the latest date of the arrears period.
    today: String,
    /// The form's one-time token: the same form sent twice registers once.
    submit_token: String,
}

#[derive(Template)]
#[template(path = "public_case_done.html")]
struct DoneTpl {
    layout: Layout,
    /// Empty: nothing filed from this browser lately.
    number: String,
    /// Empty once no longer shown ([`cases::CODE_SHOWN_FOR`]).
    code: String,
    received: String,
    /// The same form was sent again: the case it registered the first time.
    again: bool,
}

/// The cookie that lets the browser that filed a report see its number and
/// query code again (the form's token; the code is kept wrapped under it).
const FILED_COOKIE: &str = "shm_filed";

/// `Set-Cookie` of [`FILED_COOKIE`] (or of the staff form's) for `path`,
/// for as long as the code is shown again.
pub(crate) fn filed_cookie(ctx: &Ctx, name: &str, path: &str, token: &str) -> HeaderValue {
    let secure = if ctx.state.config.security.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={token}; Path={path}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        cases::CODE_SHOWN_FOR.num_seconds()
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The token of a form as sent, when it is one of ours.
pub(crate) fn form_token(sent: &str) -> Option<String> {
    let t = sent.trim().to_ascii_lowercase();
    cases::form_token_ok(&t).then_some(t)
}

#[derive(Template)]
#[template(path = "public_case_query.html")]
struct QueryTpl {
    layout: Layout,
    number: String,
    errors: FieldErrors,
    general: Vec<String>,
    /// Whether a lookup was answered with "no such case" (wrong number or code).
    not_found: bool,
    found: Option<Found>,
}

/// The answer of a lookup.
pub struct Found {
    pub number: String,
    pub status: &'static str,
    pub received: String,
    /// (date, reply)
    pub replies: Vec<(String, String)>,
}

impl From<PublicView> for Found {
    fn from(p: PublicView) -> Found {
        Found {
            number: p.number,
            status: p.status,
            received: super::date_zh(p.received_on),
            replies: p.replies.into_iter().map(|(d, r)| (super::date_zh(d), r)).collect(),
        }
    }
}

pub(crate) fn off() -> Response {
    WebError(AppError::NotFound).into_response()
}

/// The token the visitor's forms carry, and the cookie to set when the
/// visitor has none yet (pre-session double-submit cookie).
pub(crate) fn csrf_token(ctx: &Ctx) -> (String, Option<HeaderValue>) {
    let t = ctx.csrf();
    if t.is_empty() {
        let t = sessions::random_token();
        let cookie = set_cookie(&ctx.state, PRE_CSRF_COOKIE, &t);
        (t, Some(cookie))
    } else {
        (t, None)
    }
}

pub(crate) fn layout(ctx: &Ctx, title: &str, csrf: String) -> Layout {
    // Nothing of a signed-in visitor's session on the public pages.
    let mut l = Layout::new(ctx, None, title);
    l.csrf = csrf;
    l
}

pub(crate) fn finish(mut r: Response, status: StatusCode, cookie: Option<HeaderValue>) -> Response {
    if r.status().is_success() {
        *r.status_mut() = status;
    }
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub(crate) const STALE_FORM: &str = "页面已过期或来源无法确认，尚未提交。请核对下面的内容后重新提交。";

fn busy(wait: std::time::Duration) -> (String, HeaderValue) {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let when = if secs < 60 {
        format!("{secs}秒")
    } else {
        format!("{}分钟", secs.div_ceil(60))
    };
    (
        format!("提交过于频繁，请{when}后再试。已填写的内容保留在下面，无需重新填写。"),
        HeaderValue::from_str(&secs.to_string()).unwrap_or(HeaderValue::from_static("60")),
    )
}

/// Counts a POST against the client's limit.
pub(crate) fn throttled(ctx: &Ctx, limiter: &Limiter) -> Option<(String, HeaderValue)> {
    let ip = ctx
        .origin
        .client_addr
        .parse::<IpAddr>()
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    limiter.take(ip, Instant::now()).err().map(busy)
}

fn report_form(
    ctx: &Ctx,
    v: CaseInput,
    errors: FieldErrors,
    general: Vec<String>,
    status: StatusCode,
    token: Option<String>,
) -> Response {
    let (csrf, cookie) = csrf_token(ctx);
    let st = &ctx.state;
    let now = st.clock.now();
    let t = ReportTpl {
        layout: layout(ctx, "反映欠薪问题", csrf),
        v,
        errors,
        general,
        counties: counties(),
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        challenge: st
            .config
            .public
            .challenge
            .then(|| st.public_guard.challenges.issue(&st.cipher, now)),
        today: (now + chrono::Duration::hours(8)).date_naive().to_string(),
        // A form shown again keeps its token: nothing was registered with it.
        submit_token: token.unwrap_or_else(sessions::random_token),
    };
    finish(html(&t), status, cookie)
}

/// GET /public/cases/new
pub async fn report_page(ctx: Ctx) -> Response {
    if !ctx.state.config.public.cases {
        return off();
    }
    report_form(
        &ctx,
        CaseInput::default(),
        FieldErrors::default(),
        Vec::new(),
        StatusCode::OK,
        None,
    )
}

/// To the page that shows what this browser filed (POST-redirect-GET: a
/// refresh of that page shows the same case, never files again).
fn to_done(ctx: &Ctx, token: &str, again: bool) -> Response {
    let mut r = Redirect::to(if again {
        "/public/cases/done?again=1"
    } else {
        "/public/cases/done"
    })
    .into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        filed_cookie(ctx, FILED_COOKIE, "/public/cases", token),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// GET /public/cases/done — the number and query code of the report this
/// browser filed (for [`cases::CODE_SHOWN_FOR`]), as often as it is loaded.
pub async fn done_page(ctx: Ctx, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let st = &ctx.state;
    if !st.config.public.cases {
        return off();
    }
    let now = st.clock.now();
    let filed = match crate::mw::cookie(&headers, FILED_COOKIE) {
        Some(token) => match cases::submitted(&st.db, &st.cipher, &token, now).await {
            Ok(f) => f.filter(|f| f.source == shiminhua_core::case::Source::Online.code()),
            Err(e) => return WebError(e).into_response(),
        },
        None => None,
    };
    let (csrf, cookie) = csrf_token(&ctx);
    let t = match filed {
        Some(f) => DoneTpl {
            layout: layout(&ctx, "反映已提交", csrf),
            number: f.number,
            code: f.query_code.unwrap_or_default(),
            received: super::date_zh((f.at + chrono::Duration::hours(8)).date_naive()),
            again: q.contains_key("again"),
        },
        None => DoneTpl {
            layout: layout(&ctx, "没有找到提交结果", csrf),
            number: String::new(),
            code: String::new(),
            received: String::new(),
            again: false,
        },
    };
    finish(html(&t), StatusCode::OK, cookie)
}

/// POST /public/cases/new
pub async fn report_submit(ctx: Ctx, body: Body) -> Response {
    // The form's one-time token; a form sent without one (an old page) is
    // answered directly, as before.
    let st = &ctx.state;
    if !st.config.public.cases {
        return off();
    }
    let Some(f) = Fields::read(body).await else {
        return WebError(AppError::BadRequest("提交的内容过大或格式不正确。".into())).into_response();
    };
    let v = report_of(&f);
    let token = form_token(&f.get("submit_token"));
    if let Some((msg, retry)) = throttled(&ctx, &st.public_guard.submissions) {
        let mut r = report_form(
            &ctx,
            v,
            FieldErrors::default(),
            vec![msg],
            StatusCode::TOO_MANY_REQUESTS,
            token,
        );
        r.headers_mut().insert(header::RETRY_AFTER, retry);
        return r;
    }
    if ctx.check_csrf(&f.get("csrf")).is_err() {
        return report_form(
            &ctx,
            v,
            FieldErrors::default(),
            vec![STALE_FORM.into()],
            StatusCode::FORBIDDEN,
            token,
        );
    }
    let now = st.clock.now();
    // The same form sent again (refresh, back and resubmit): the case it
    // registered, before its used challenge would refuse it.
    if let Some(t) = &token {
        match cases::submitted(&st.db, &st.cipher, t, now).await {
            Ok(Some(_)) => return to_done(&ctx, t, true),
            Ok(None) => {}
            Err(e) => return WebError(e).into_response(),
        }
    }
    if st.config.public.challenge
        && let Err(refusal) =
            st.public_guard
                .challenges
                .check(&st.cipher, &f.get("challenge_token"), &f.get("challenge_answer"), now)
    {
        // Shown with every other problem of the form, so that one more
        // submission can go through.
        let mut errors = match cases::check_public(&st.db, now, &v).await {
            Ok(()) => FieldErrors::default(),
            Err(AppError::Validation(e)) => e,
            Err(e) => return WebError(e).into_response(),
        };
        errors.add("challenge_answer", refusal.message());
        let (fields, general) = split_errors(errors);
        return report_form(&ctx, v, fields, general, StatusCode::UNPROCESSABLE_ENTITY, token);
    }
    let result = match &token {
        Some(t) => cases::register_public_once(&st.db, &st.cipher, now, &v, t).await,
        None => cases::register_public(&st.db, &st.cipher, now, &v)
            .await
            .map(cases::Once::New),
    };
    match (result, token) {
        (Ok(cases::Once::New(_)), Some(t)) => to_done(&ctx, &t, false),
        (Ok(cases::Once::Again(_)), Some(t)) => to_done(&ctx, &t, true),
        (Ok(cases::Once::New(reg)), None) => {
            let (csrf, cookie) = csrf_token(&ctx);
            let t = DoneTpl {
                layout: layout(&ctx, "反映已提交", csrf),
                number: reg.number,
                code: reg.query_code,
                received: super::date_zh((now + chrono::Duration::hours(8)).date_naive()),
                again: false,
            };
            finish(html(&t), StatusCode::CREATED, cookie)
        }
        (Ok(cases::Once::Again(_)), None) => {
            WebError(AppError::Internal("a case again without a token".into())).into_response()
        }
        (Err(AppError::Validation(errs)), token) => {
            let (fields, general) = split_errors(errs);
            report_form(&ctx, v, fields, general, StatusCode::UNPROCESSABLE_ENTITY, token)
        }
        (Err(e), _) => WebError(e).into_response(),
    }
}

/// The errors next to the report form's fields (the first of each), and
/// those of no field of the form (shown on top).
fn split_errors(errs: FieldErrors) -> (FieldErrors, Vec<String>) {
    let mut fields = FieldErrors::default();
    let mut general = Vec::new();
    for (k, m) in errs.0 {
        if REPORT_FIELDS.contains(&k.as_str()) {
            if fields.get(&k).is_none() {
                fields.add(&k, m);
            }
        } else {
            general.push(m);
        }
    }
    (fields, general)
}

fn query_form(
    ctx: &Ctx,
    number: String,
    errors: FieldErrors,
    general: Vec<String>,
    not_found: bool,
    found: Option<Found>,
    status: StatusCode,
) -> Response {
    let (csrf, cookie) = csrf_token(ctx);
    let t = QueryTpl {
        layout: layout(ctx, "欠薪反映进度查询", csrf),
        number,
        errors,
        general,
        not_found,
        found,
    };
    finish(html(&t), status, cookie)
}

/// GET /public/cases/query
pub async fn query_page(ctx: Ctx) -> Response {
    if !ctx.state.config.public.cases {
        return off();
    }
    query_form(
        &ctx,
        String::new(),
        FieldErrors::default(),
        Vec::new(),
        false,
        None,
        StatusCode::OK,
    )
}

/// POST /public/cases/query
pub async fn query_submit(ctx: Ctx, body: Body) -> Response {
    let st = &ctx.state;
    if !st.config.public.cases {
        return off();
    }
    let Some(f) = Fields::read(body).await else {
        return WebError(AppError::BadRequest("提交的内容过大或格式不正确。".into())).into_response();
    };
    // Full-width letters and digits (typed with a Chinese input method) count as half-width.
    let number: String = shiminhua_core::record::normalise(&f.get("number"))
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(40)
        .collect();
    let code: String = shiminhua_core::record::normalise(&f.get("code"))
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(40)
        .collect();
    if let Some((msg, retry)) = throttled(&ctx, &st.public_guard.lookups) {
        let mut r = query_form(
            &ctx,
            number,
            FieldErrors::default(),
            vec![msg],
            false,
            None,
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
            false,
            None,
            StatusCode::FORBIDDEN,
        );
    }
    let mut errors = FieldErrors::default();
    if number.is_empty() {
        errors.add("number", "请填写案件编号");
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
            false,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match cases::public_view(&st.db, &st.cipher, &number, &code).await {
        Ok(Some(view)) => query_form(
            &ctx,
            number,
            FieldErrors::default(),
            Vec::new(),
            false,
            Some(view.into()),
            StatusCode::OK,
        ),
        Ok(None) => query_form(
            &ctx,
            number,
            FieldErrors::default(),
            Vec::new(),
            true,
            None,
            StatusCode::NOT_FOUND,
        ),
        Err(e) => WebError(e).into_response(),
    }
}
