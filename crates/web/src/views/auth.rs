//! Sign-in, the second factor, sign-out.

use super::html;
use crate::error::WebError;
use crate::extract::{Ctx, Form, to_login};
use crate::layout::Layout;
use crate::mw::{PRE_CSRF_COOKIE, SESSION_COOKIE, SessionState, expire_cookie, set_cookie};
use askama::Template;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::AppError;
use shiminhua_app::audit::{self, Event, Who};
use shiminhua_app::sessions::{self, Session, Stage};
use shiminhua_app::users::{self, NextStep};
use shiminhua_core::ids::UserId;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    layout: Layout,
    notice: Option<&'static str>,
    error: Option<String>,
    username: String,
}

fn login_response(
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    username: String,
) -> Response {
    // The sign-in form carries a pre-session CSRF token (double-submit cookie).
    let (token, fresh) = match &ctx.pre_csrf {
        Some(t) => (t.clone(), false),
        None => (sessions::random_token(), true),
    };
    let mut layout = Layout::new(ctx, None, "登录");
    layout.csrf = token.clone();
    let mut resp = html(&LoginTpl {
        layout,
        notice,
        error,
        username,
    });
    *resp.status_mut() = status;
    if fresh {
        resp.headers_mut()
            .append(header::SET_COOKIE, set_cookie(&ctx.state, PRE_CSRF_COOKIE, &token));
    }
    resp
}

pub async fn login_page(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> Response {
    if ctx.actor().is_some() {
        return Redirect::to("/").into_response();
    }
    let notice = match q.get("r").map(String::as_str) {
        Some("expired") => Some("会话已超时（30分钟无操作），请重新登录。"),
        Some("disabled") => Some("该账户已被停用，如有疑问请联系系统管理员。"),
        Some("out") => Some("您已安全退出。"),
        _ => None,
    };
    login_response(&ctx, StatusCode::OK, notice, None, String::new())
}

/// The session stage for a sign-in step.
pub(crate) fn stage_of(next: &NextStep) -> Stage {
    match next {
        NextStep::Done => Stage::Active,
        NextStep::Totp => Stage::Totp,
        NextStep::EnrolTotp => Stage::Enrol,
        NextStep::ChangePassword { .. } => Stage::Password,
    }
}

/// The page a session at `stage` continues to.
fn stage_target(stage: Stage) -> &'static str {
    match stage {
        Stage::Totp => "/login/totp",
        Stage::Enrol => "/account/totp",
        Stage::Password => "/account/password",
        Stage::Active => "/",
    }
}

/// Redirects to `stage`'s page with a new session cookie.
pub(crate) fn continue_to(ctx: &Ctx, token: &str, stage: Stage) -> Response {
    let mut resp = Redirect::to(stage_target(stage)).into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&ctx.state, SESSION_COOKIE, token));
    resp
}

/// The client address a sign-in attempt is throttled under.
fn client_ip(ctx: &Ctx) -> IpAddr {
    ctx.origin
        .client_addr
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// 429 and `Retry-After` for `page`, with the wait in its message.
fn too_many(mut page: Response, wait: Duration) -> Response {
    *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let secs = wait.as_secs().max(1);
    page.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&secs.to_string()).unwrap_or(HeaderValue::from_static("60")),
    );
    page
}

/// The message of a throttled attempt.
fn too_many_text(wait: Duration) -> String {
    let secs = wait.as_secs().max(1);
    let when = if secs < 60 {
        format!("{secs}秒")
    } else {
        format!("{}分钟", secs.div_ceil(60))
    };
    format!("登录尝试过于频繁，请{when}后再试。")
}

pub async fn login_submit(form: Form) -> Result<Response, WebError> {
    let ctx = &form.ctx;
    let st = &ctx.state;
    let now = st.clock.now();
    let username = form.get("username").to_string();
    let ip = client_ip(ctx);
    if let Err(wait) = st.login_guard.take(ip, &username, Instant::now()) {
        let page = login_response(ctx, StatusCode::OK, None, Some(too_many_text(wait)), username);
        return Ok(too_many(page, wait));
    }
    let result = users::authenticate(
        &st.db,
        &ctx.origin,
        now,
        &users::SignInRules {
            security: &st.config.security,
            policy: &st.config.password,
            demo: st.demo,
        },
        &username,
        form.raw("password"),
    )
    .await;
    let signin = match result {
        Ok(s) => {
            st.login_guard.succeeded(ip, &username, Instant::now());
            s
        }
        Err(AppError::Auth(msg)) => {
            return Ok(login_response(ctx, StatusCode::UNAUTHORIZED, None, Some(msg), username));
        }
        Err(e) => return Err(e.into()),
    };
    let stage = stage_of(&signin.next);
    // A new session id at every sign-in; any session the browser had ends.
    if let SessionState::Live { token, .. } = &ctx.session {
        sessions::destroy(&st.db, token).await?;
    }
    let token = sessions::create(&st.db, UserId(signin.user_id), stage, &ctx.origin, now).await?;
    let mut resp = continue_to(ctx, &token, stage);
    if matches!(signin.next, NextStep::ChangePassword { expired: true }) {
        resp = Redirect::to("/account/password?expired=1").into_response();
        resp.headers_mut()
            .append(header::SET_COOKIE, set_cookie(st, SESSION_COOKIE, &token));
    }
    resp.headers_mut()
        .append(header::SET_COOKIE, expire_cookie(st, PRE_CSRF_COOKIE));
    Ok(resp)
}

/// The live session if it is at one of `stages`, otherwise where to go.
#[expect(clippy::result_large_err, reason = "the error is the redirect to answer with")]
pub(crate) fn live<'a>(ctx: &'a Ctx, stages: &[Stage]) -> Result<(&'a str, &'a Session), Response> {
    match &ctx.session {
        SessionState::Live { token, session, .. } if stages.contains(&session.stage) => Ok((token, session)),
        other => Err(to_login(other)),
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpTpl {
    layout: Layout,
    error: Option<String>,
}

pub async fn totp_page(ctx: Ctx) -> Response {
    if let Err(r) = live(&ctx, &[Stage::Totp]) {
        return r;
    }
    html(&TotpTpl {
        layout: Layout::new(&ctx, None, "动态口令验证"),
        error: None,
    })
}

pub async fn totp_submit(form: Form) -> Result<Response, WebError> {
    let ctx = &form.ctx;
    let (token, session) = match live(ctx, &[Stage::Totp]) {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let st = &ctx.state;
    let now = st.clock.now();
    // The second factor counts under the address and the account.
    let ip = client_ip(ctx);
    let user = format!("#{}", session.user_id);
    if let Err(wait) = st.login_guard.take(ip, &user, Instant::now()) {
        let page = html(&TotpTpl {
            layout: Layout::new(ctx, None, "动态口令验证"),
            error: Some(too_many_text(wait)),
        });
        return Ok(too_many(page, wait));
    }
    match users::verify_totp(
        &st.db,
        &st.cipher,
        session.user_id,
        &ctx.origin,
        now,
        &st.config.security,
        form.get("code"),
    )
    .await
    {
        Ok(()) => {
            st.login_guard.succeeded(ip, &user, Instant::now());
            let token = sessions::advance(&st.db, token, session.user_id, Stage::Active, &ctx.origin, now).await?;
            Ok(continue_to(ctx, &token, Stage::Active))
        }
        Err(AppError::Validation(e)) => {
            let mut resp = html(&TotpTpl {
                layout: Layout::new(ctx, None, "动态口令验证"),
                error: e.get("code").map(str::to_string),
            });
            *resp.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

/// Signs out. Without a live session there is nothing to protect, so an
/// expired session's 退出登录 button simply leads to the sign-in page.
pub async fn logout(ctx: Ctx, body: axum::body::Bytes) -> Result<Response, WebError> {
    let st = &ctx.state;
    if let SessionState::Live { token, session, .. } = &ctx.session {
        let token_field = form_urlencoded::parse(&body)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        ctx.check_csrf(&token_field)?;
        let now = st.clock.now();
        sessions::destroy(&st.db, token).await?;
        let who = match ctx.actor() {
            Some(a) => Who::actor(a, &ctx.origin),
            None => {
                let me = users::me(&st.db, UserId(session.user_id)).await?;
                Who {
                    actor_id: Some(me.id),
                    ..Who::anonymous(&me.username, &ctx.origin)
                }
            }
        };
        audit::record_alone(&st.db, now, &who, Event::ok("logout", "user", session.user_id)).await?;
    }
    let mut resp = Redirect::to("/login?r=out").into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, expire_cookie(st, SESSION_COOKIE));
    Ok(resp)
}
