//! The user's own account: profile, password change, TOTP enrolment.

use super::auth::{continue_to, live};
use super::html;
use crate::error::WebError;
use crate::extract::{Ctx, Form, Signed};
use crate::layout::Layout;
use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use shiminhua_app::sessions::{self, Stage};
use shiminhua_app::users;
use shiminhua_app::xlsx::local_time;
use shiminhua_app::{AppError, FieldErrors};
use shiminhua_core::ids::UserId;
use shiminhua_core::totp::TotpSecret;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTpl {
    layout: Layout,
    notice: Option<&'static str>,
    username: String,
    scopes: Vec<String>,
    password_changed: String,
    password_expires: String,
    has_totp: bool,
}

pub async fn profile(s: Signed, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &s.ctx.state;
    let me = users::me(&st.db, UserId(s.actor.user_id)).await?;
    let scopes = s
        .actor
        .scope
        .grants()
        .iter()
        .map(|g| {
            format!(
                "{}（{}）：{}",
                g.region,
                g.region.level().label_zh(),
                g.kinds.label_zh()
            )
        })
        .collect();
    let expires = me.password_changed_at + chrono::Duration::days(st.config.password.max_age_days);
    let notice = match q.get("done").map(String::as_str) {
        Some("password") => Some("密码已修改。"),
        Some("totp") => Some("动态口令已绑定，今后登录时需输入认证器上的6位数字。"),
        _ => None,
    };
    Ok(html(&AccountTpl {
        layout: Layout::new(&s.ctx, Some(&s.actor), "账户与安全").crumb("我的账户", ""),
        notice,
        username: me.username,
        scopes,
        password_changed: local_time(me.password_changed_at),
        password_expires: local_time(expires)[..10].to_string(),
        has_totp: me.totp_secret.is_some(),
    }))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordTpl {
    layout: Layout,
    notice: Option<&'static str>,
    errors: FieldErrors,
}

fn password_layout(ctx: &Ctx) -> Layout {
    Layout::new(ctx, ctx.actor(), "修改密码")
}

pub async fn password_page(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> Response {
    let (_, session) = match live(&ctx, &[Stage::Password, Stage::Active]) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let notice = if q.contains_key("expired") {
        Some("您的密码已超过90天未修改，请先修改密码。")
    } else if session.stage == Stage::Password {
        Some("首次登录或密码被重置后，须先修改初始密码。")
    } else {
        None
    };
    html(&PasswordTpl {
        layout: password_layout(&ctx),
        notice,
        errors: FieldErrors::default(),
    })
}

pub async fn password_submit(form: Form) -> Result<Response, WebError> {
    let ctx = &form.ctx;
    let (_, session) = match live(ctx, &[Stage::Password, Stage::Active]) {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let st = &ctx.state;
    let now = st.clock.now();
    let r = users::change_password(
        &st.db,
        session.user_id,
        &ctx.origin,
        now,
        &st.config.password,
        &users::PasswordChange {
            current: form.raw("current"),
            new: form.raw("new"),
            confirm: form.raw("confirm"),
        },
    )
    .await;
    match r {
        Ok(()) => {
            // The change ended every session of the user; continue in a new one.
            let next = if session.stage == Stage::Active {
                Stage::Active
            } else {
                let step = users::next_step_for(&st.db, session.user_id, &st.config.password, now, st.demo).await?;
                super::auth::stage_of(&step)
            };
            let new_token = sessions::create(&st.db, UserId(session.user_id), next, &ctx.origin, now).await?;
            if next == Stage::Active && session.stage == Stage::Active {
                let mut resp = Redirect::to("/account?done=password").into_response();
                resp.headers_mut().append(
                    axum::http::header::SET_COOKIE,
                    crate::mw::set_cookie(st, crate::mw::SESSION_COOKIE, &new_token),
                );
                return Ok(resp);
            }
            Ok(continue_to(ctx, &new_token, next))
        }
        Err(AppError::Validation(errors)) => {
            let mut resp = html(&PasswordTpl {
                layout: password_layout(ctx),
                notice: None,
                errors,
            });
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
struct EnrolTpl {
    layout: Layout,
    required: bool,
    enrolled: bool,
    account: String,
    secret: String,
    secret_display: String,
    uri: String,
    /// The URI as a QR code, inline SVG drawn here from numbers only.
    qr: String,
    error: Option<String>,
}

/// `text` as a QR code in inline SVG: one path of the dark modules, each
/// row's runs as rectangles, inside a quiet zone of 4 modules. Error
/// correction level M, as authenticator apps scan it from a screen.
pub fn qr_svg(text: &str) -> Option<String> {
    use std::fmt::Write;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 8;
    let mut d = String::new();
    for y in 0..width {
        let row = &colors[y * width..(y + 1) * width];
        let mut x = 0;
        while x < width {
            if row[x] == qrcode::Color::Dark {
                let start = x;
                while x < width && row[x] == qrcode::Color::Dark {
                    x += 1;
                }
                let run = x - start;
                let _ = write!(d, "M{},{}h{run}v1h-{run}z", start + 4, y + 4);
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" width=\"{px}\" height=\"{px}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"动态口令绑定二维码\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{d}\"/></svg>",
        px = side * 4
    ))
}

async fn enrol_page(
    ctx: &Ctx,
    user_id: i64,
    stage: Stage,
    secret: Option<TotpSecret>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let me = users::me(&ctx.state.db, UserId(user_id)).await?;
    let secret = secret.unwrap_or_else(|| {
        let mut b = [0u8; 20];
        rand::rng().fill_bytes(&mut b);
        TotpSecret::from_bytes(b.to_vec())
    });
    let b32 = secret.to_base32();
    let display = b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let uri = secret.otpauth_uri("市民化平台", &me.username);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut resp = html(&EnrolTpl {
        layout: Layout::new(ctx, ctx.actor(), "绑定动态口令"),
        required: stage == Stage::Enrol,
        enrolled: me.totp_secret.is_some(),
        qr: qr_svg(&uri).unwrap_or_default(),
        uri,
        account: me.username,
        secret: b32,
        secret_display: display,
        error,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn totp_enrol_page(ctx: Ctx) -> Result<Response, WebError> {
    let (_, session) = match live(&ctx, &[Stage::Enrol, Stage::Active]) {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    enrol_page(&ctx, session.user_id, session.stage, None, None).await
}

pub async fn totp_enrol_submit(form: Form) -> Result<Response, WebError> {
    let ctx = &form.ctx;
    let (token, session) = match live(ctx, &[Stage::Enrol, Stage::Active]) {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let st = &ctx.state;
    let now = st.clock.now();
    match users::enrol_totp(
        &st.db,
        &st.cipher,
        session.user_id,
        &ctx.origin,
        now,
        form.get("secret"),
        form.get("code"),
    )
    .await
    {
        Ok(()) => {
            if session.stage == Stage::Enrol {
                let token = sessions::advance(&st.db, token, session.user_id, Stage::Active, &ctx.origin, now).await?;
                Ok(continue_to(ctx, &token, Stage::Active))
            } else {
                Ok(Redirect::to("/account?done=totp").into_response())
            }
        }
        Err(AppError::Validation(e)) => {
            let secret = TotpSecret::from_base32(form.get("secret"));
            enrol_page(
                ctx,
                session.user_id,
                session.stage,
                secret,
                e.get("code").map(str::to_string),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
