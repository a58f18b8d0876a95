//! Extractors: the request context, the signed-in user, permissions as
//! types, and CSRF-checked forms.

use crate::AppState;
use crate::error::WebError;
use crate::mw::{PRE_CSRF_COOKIE, SessionState, cookie};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::audit::{self, Event, Who};
use shiminhua_app::sessions::{Gone, Stage};
use shiminhua_app::{AppError, Origin};
use shiminhua_core::auth::{Actor, Permission, Role};
use std::marker::PhantomData;

/// Everything a handler may need about the request.
#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
    pub origin: Origin,
    pub session: SessionState,
    /// The pre-session CSRF cookie (sign-in form).
    pub pre_csrf: Option<String>,
    pub path: String,
}

impl Ctx {
    /// The CSRF token forms on this page must carry.
    pub fn csrf(&self) -> String {
        match &self.session {
            SessionState::Live { session, .. } => session.csrf.clone(),
            _ => self.pre_csrf.clone().unwrap_or_default(),
        }
    }

    pub fn actor(&self) -> Option<&Actor> {
        match &self.session {
            SessionState::Live { actor: Some(a), .. } => Some(a),
            _ => None,
        }
    }

    /// The context of a use case run by `actor` now.
    pub fn call<'a>(&'a self, actor: &'a Actor) -> shiminhua_app::Call<'a> {
        shiminhua_app::Call {
            db: &self.state.db,
            cipher: &self.state.cipher,
            actor,
            origin: &self.origin,
            now: self.state.clock.now(),
        }
    }

    /// Checks a submitted CSRF token against the session's (or the pre-session cookie's).
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        let expected = self.csrf();
        if !expected.is_empty() && constant_eq(expected.as_bytes(), token.as_bytes()) {
            Ok(())
        } else {
            Err(WebError(AppError::Auth(
                "表单已过期或来源无法确认（缺少或错误的安全令牌），未做任何修改。请返回刷新页面后重新提交。".into(),
            )))
        }
    }
}

/// Equal, in time that does not depend on where they differ.
pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, Self::Rejection> {
        Ok(Ctx {
            state: state.clone(),
            origin: parts.extensions.get::<Origin>().cloned().unwrap_or_default(),
            session: parts
                .extensions
                .get::<SessionState>()
                .cloned()
                .unwrap_or(SessionState::None),
            pre_csrf: cookie(&parts.headers, PRE_CSRF_COOKIE),
            path: parts.uri.path().to_string(),
        })
    }
}

/// Where a request without a usable session goes.
pub fn to_login(session: &SessionState) -> Response {
    let target = match session {
        SessionState::Gone(Gone::Expired) => "/login?r=expired",
        SessionState::Gone(Gone::Disabled) => "/login?r=disabled",
        SessionState::Live { session, .. } => match session.stage {
            Stage::Totp => "/login/totp",
            Stage::Enrol => "/account/totp",
            Stage::Password => "/account/password",
            Stage::Active => "/login",
        },
        _ => "/login",
    };
    Redirect::to(target).into_response()
}

/// A fully signed-in user.
pub struct Signed {
    pub ctx: Ctx,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, Response> {
        let Ok(ctx) = Ctx::from_request_parts(parts, state).await;
        match ctx.actor().cloned() {
            Some(actor) => Ok(Signed { ctx, actor }),
            None => Err(to_login(&ctx.session)),
        }
    }
}

/// What a route needs, as a type: a permission and, for some routes, a
/// rule on the actor's roles on top of it.
pub trait Perm {
    /// The permission; a refusal for want of it is audited.
    const P: Permission;

    /// A further rule on the actor (held once the permission is held).
    fn rule(_actor: &Actor) -> bool {
        true
    }

    /// Whether a refusal by [`Perm::rule`] alone is audited too.
    const AUDIT_RULE: bool = true;
}

macro_rules! perms {
    ($($name:ident),*) => {
        $(
            pub struct $name;
            impl Perm for $name {
                const P: Permission = Permission::$name;
            }
        )*
    };
}
perms!(
    ManageUsers,
    ManageSystem,
    ManagePlan,
    ViewRegions,
    ViewUnits,
    ViewDashboard,
    ViewAudit,
    ReadPii,
    RevealPii,
    WriteRecords,
    FileReports,
    SuperviseReports,
    ReadCases,
    ApproveGrants
);

/// Listing on the blacklist and removing from it: the roles that register
/// wage-arrears cases (`shiminhua_app::rights::blacklist::may_write`).
pub struct WriteBlacklist;
impl Perm for WriteBlacklist {
    const P: Permission = Permission::ViewDashboard;
    fn rule(actor: &Actor) -> bool {
        shiminhua_app::rights::blacklist::may_write(actor)
    }
}

/// Registering a case and adding its attachments: the roles that register
/// (`shiminhua_core::case::may_register`). A refusal on the role alone is
/// not audited (as before these gates became extractors).
pub struct RegisterCases;
impl Perm for RegisterCases {
    const P: Permission = Permission::ReadCases;
    fn rule(actor: &Actor) -> bool {
        shiminhua_core::case::may_register(&actor.roles)
    }
    const AUDIT_RULE: bool = false;
}

/// Taking a step of the case workflow: roles that take any step of it
/// (`shiminhua_core::case::TRANSITIONS`); which step, on which case, is the
/// use case's to decide. A refusal on the role alone is not audited.
pub struct ActOnCases;
impl Perm for ActOnCases {
    const P: Permission = Permission::ReadCases;
    fn rule(actor: &Actor) -> bool {
        shiminhua_core::case::TRANSITIONS
            .iter()
            .any(|t| actor.roles.iter().any(|r| t.roles.contains(&r)))
    }
    const AUDIT_RULE: bool = false;
}

/// The case office's settings: the office (专班办公室) alone. A refusal on
/// the role alone is not audited.
pub struct CaseSettings;
impl Perm for CaseSettings {
    const P: Permission = Permission::ReadCases;
    fn rule(actor: &Actor) -> bool {
        actor.roles.contains(Role::Office)
    }
    const AUDIT_RULE: bool = false;
}

/// A signed-in user who holds permission `P` (and passes its rule); without
/// it the handler is not reached and the attempt is audited.
pub struct Need<P: Perm> {
    pub ctx: Ctx,
    pub actor: Actor,
    _p: PhantomData<P>,
}

impl<P: Perm> FromRequestParts<AppState> for Need<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Need<P>, Response> {
        let Signed { ctx, actor } = Signed::from_request_parts(parts, state).await?;
        let audited = if !actor.can(P::P) {
            true
        } else if !P::rule(&actor) {
            P::AUDIT_RULE
        } else {
            return Ok(Need {
                ctx,
                actor,
                _p: PhantomData,
            });
        };
        if !audited {
            return Err(WebError(AppError::Forbidden).into_response());
        }
        let _ = audit::record_alone(
            &state.db,
            state.clock.now(),
            &Who::actor(&actor, &ctx.origin),
            Event::failed(
                "access.denied",
                "route",
                format!("{} {}", parts.method, parts.uri.path()),
            ),
        )
        .await;
        Err(WebError(AppError::Forbidden).into_response())
    }
}

/// Why a multipart body stopped before its end.
const UPLOAD_CUT: &str = "上传中断或文件过大（超过10MB），请重新选择文件。";

/// A form's body whose CSRF token was checked: `application/x-www-form-urlencoded`,
/// or `multipart/form-data` when it carries files.
pub struct Form {
    pub ctx: Ctx,
    pairs: Vec<(String, String)>,
    /// The files sent: (field, file name, content); a file input left
    /// empty sends none.
    files: Vec<(String, String, Bytes)>,
    /// Why the multipart body could not be read whole (too large, cut
    /// off), in Chinese.
    pub upload_problem: Option<String>,
}

impl Form {
    /// The first value of a field, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The raw first value (passwords keep their spaces).
    pub fn raw(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The file sent in `field`, if any: (file name, content).
    pub fn file(&self, field: &str) -> Option<(&str, &[u8])> {
        self.files
            .iter()
            .find(|(k, _, _)| k == field)
            .map(|(_, name, bytes)| (name.as_str(), bytes.as_ref()))
    }

    /// Every value of a repeated field (check boxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl FromRequest<AppState> for Form {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Form, Response> {
        let (mut parts, body) = req.into_parts();
        let Ok(ctx) = Ctx::from_request_parts(&mut parts, state).await;
        let multipart = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let req = Request::from_parts(parts, body);
        let bad = || WebError(AppError::BadRequest("提交的内容过大或格式不正确。".into())).into_response();
        let (mut pairs, mut files, mut upload_problem) = (Vec::new(), Vec::new(), None);
        if multipart {
            let mut mp = axum::extract::Multipart::from_request(req, state)
                .await
                .map_err(|_| bad())?;
            loop {
                let field = match mp.next_field().await {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(_) => {
                        upload_problem = Some(UPLOAD_CUT.to_string());
                        break;
                    }
                };
                let name = field.name().unwrap_or("").to_string();
                match field.file_name().map(str::to_string) {
                    Some(file_name) => match field.bytes().await {
                        Ok(b) if file_name.is_empty() && b.is_empty() => {}
                        Ok(b) => files.push((name, file_name, b)),
                        Err(_) => {
                            upload_problem = Some(UPLOAD_CUT.to_string());
                            break;
                        }
                    },
                    None => pairs.push((name, field.text().await.unwrap_or_default())),
                }
            }
        } else {
            let bytes = Bytes::from_request(req, state).await.map_err(|_| bad())?;
            pairs = form_urlencoded::parse(&bytes).into_owned().collect();
        }
        let token = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        ctx.check_csrf(token).map_err(IntoResponse::into_response)?;
        Ok(Form {
            ctx,
            pairs,
            files,
            upload_problem,
        })
    }
}
