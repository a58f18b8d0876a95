//! 工资到账查询 (`/public/pay`): a worker, without signing in, checks with
//! their ID number and the phone number the registry holds whether the pay
//! of the last months reached the bank, project by project — 已到账 (the
//! day and their own amount), 有考勤未到账, or nothing. Nothing else about
//! anybody is shown; an ID number and phone that do not match answer
//! exactly like a person on no roster (未查到记录).
//!
//! Guarded as the public case pages are ([`crate::views::public_cases`]):
//! the visitor's CSRF token, the lookups' limit per client address
//! (`[public] lookups_per_minute`, 429 with `Retry-After` over it), the
//! arithmetic challenge (`[public] challenge`), and `[public] cases =
//! false` answers 404 here too. The use case audits every check.

use crate::error::WebError;
use crate::extract::Ctx;
use crate::layout::Layout;
use crate::throttle::Challenge;
use crate::views::html;
use crate::views::monitor::yuan;
use crate::views::public_cases::{Fields, STALE_FORM, csrf_token, finish, layout, off, throttled};
use askama::Template;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shiminhua_app::rights::monitor::{self, PayCheck};
use shiminhua_app::{AppError, FieldErrors};

/// Months a check covers (this month and the five before).
const MONTHS: u32 = 6;

/// One line of the answer: a month on a project.
pub struct PayLine {
    pub month: String,
    pub project: String,
    /// 已到账, 有考勤未到账 or —.
    pub state: &'static str,
    pub paid_on: String,
    pub amount: String,
    pub unpaid: bool,
}

fn pay_line(c: &PayCheck) -> PayLine {
    let (state, unpaid) = match (c.paid_fen, c.attended_days) {
        (Some(_), _) => ("已到账", false),
        (None, Some(d)) if d > 0 => ("有考勤未到账", true),
        _ => ("—", false),
    };
    PayLine {
        month: c.month.to_string(),
        project: c.project_name.clone(),
        state,
        paid_on: c.paid_on.map(crate::views::date_zh).unwrap_or_default(),
        amount: c.paid_fen.map(|f| format!("{}元", yuan(f))).unwrap_or_default(),
        unpaid,
    }
}

#[derive(Template)]
#[template(path = "monitor/pay.html")]
struct PayTpl {
    layout: Layout,
    /// What was typed, shown again only on the form it was typed into
    /// while the check is not made yet.
    id_number: String,
    phone: String,
    errors: FieldErrors,
    general: Vec<String>,
    challenge: Option<Challenge>,
    /// A check was made and found nothing (or nothing matched).
    not_found: bool,
    lines: Vec<PayLine>,
    months: u32,
}

struct Shown {
    id_number: String,
    phone: String,
    errors: FieldErrors,
    general: Vec<String>,
    not_found: bool,
    lines: Vec<PayLine>,
}

impl Shown {
    fn empty() -> Shown {
        Shown {
            id_number: String::new(),
            phone: String::new(),
            errors: FieldErrors::default(),
            general: Vec::new(),
            not_found: false,
            lines: Vec::new(),
        }
    }
}

fn page_of(ctx: &Ctx, s: Shown, status: StatusCode) -> Response {
    let (csrf, cookie) = csrf_token(ctx);
    let st = &ctx.state;
    let t = PayTpl {
        layout: layout(ctx, "工资到账查询", csrf),
        id_number: s.id_number,
        phone: s.phone,
        errors: s.errors,
        general: s.general,
        challenge: st
            .config
            .public
            .challenge
            .then(|| st.public_guard.challenges.issue(&st.cipher, st.clock.now())),
        not_found: s.not_found,
        lines: s.lines,
        months: MONTHS,
    };
    finish(html(&t), status, cookie)
}

/// GET /public/pay
pub async fn page(ctx: Ctx) -> Response {
    if !ctx.state.config.public.cases {
        return off();
    }
    page_of(&ctx, Shown::empty(), StatusCode::OK)
}

/// POST /public/pay
pub async fn submit(ctx: Ctx, body: Body) -> Response {
    let st = &ctx.state;
    if !st.config.public.cases {
        return off();
    }
    let Some(f) = Fields::read(body).await else {
        return WebError(AppError::BadRequest("提交的内容过大或格式不正确。".into())).into_response();
    };
    // Full-width digits (typed with a Chinese input method) count as half-width.
    let clean = |k: &str| -> String {
        shiminhua_core::record::normalise(&f.get(k))
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(40)
            .collect()
    };
    let (id_number, phone) = (clean("id_number"), clean("phone"));
    let typed = |errors: FieldErrors, general: Vec<String>| Shown {
        id_number: id_number.clone(),
        phone: phone.clone(),
        errors,
        general,
        ..Shown::empty()
    };
    if let Some((msg, retry)) = throttled(&ctx, &st.public_guard.lookups) {
        let mut r = page_of(
            &ctx,
            typed(FieldErrors::default(), vec![msg]),
            StatusCode::TOO_MANY_REQUESTS,
        );
        r.headers_mut().insert(header::RETRY_AFTER, retry);
        return r;
    }
    if ctx.check_csrf(&f.get("csrf")).is_err() {
        return page_of(
            &ctx,
            typed(FieldErrors::default(), vec![STALE_FORM.into()]),
            StatusCode::FORBIDDEN,
        );
    }
    let mut errors = FieldErrors::default();
    if id_number.is_empty() {
        errors.add("id_number", "请填写身份证号码");
    }
    if phone.is_empty() {
        errors.add("phone", "请填写手机号码");
    }
    let now = st.clock.now();
    if st.config.public.challenge
        && let Err(refusal) =
            st.public_guard
                .challenges
                .check(&st.cipher, &f.get("challenge_token"), &f.get("challenge_answer"), now)
    {
        errors.add("challenge_answer", refusal.message());
    }
    if !errors.is_empty() {
        return page_of(&ctx, typed(errors, Vec::new()), StatusCode::UNPROCESSABLE_ENTITY);
    }
    match monitor::payroll_check(&st.db, &st.cipher, &ctx.origin, now, &id_number, &phone, MONTHS).await {
        Ok(checks) if checks.is_empty() => page_of(
            &ctx,
            Shown {
                not_found: true,
                ..Shown::empty()
            },
            StatusCode::NOT_FOUND,
        ),
        Ok(checks) => page_of(
            &ctx,
            Shown {
                lines: checks.iter().map(pay_line).collect(),
                ..Shown::empty()
            },
            StatusCode::OK,
        ),
        Err(AppError::BadRequest(m)) => page_of(
            &ctx,
            typed(FieldErrors::default(), vec![m]),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => WebError(e).into_response(),
    }
}
