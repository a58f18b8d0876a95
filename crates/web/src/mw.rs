//! Middleware: the session lookup, security headers, metrics and request logs.

use crate::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use shiminhua_app::Origin;
use shiminhua_app::config::TrustedProxies;
use shiminhua_app::sessions::{self, Gone, Session};
use shiminhua_core::auth::Actor;
use shiminhua_core::ids::UserId;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

pub const SESSION_COOKIE: &str = "shm_session";
pub const PRE_CSRF_COOKIE: &str = "shm_csrf";

/// What the session cookie led to, for extractors downstream.
#[derive(Clone, Debug)]
pub enum SessionState {
    None,
    Gone(Gone),
    Live {
        token: String,
        session: Session,
        /// Loaded when the session is fully signed in.
        actor: Option<Box<Actor>>,
    },
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The client's address: the socket peer, or, when the peer is one of
/// `[server] trusted_proxies`, the rightmost address of `X-Forwarded-For`
/// that is not itself a trusted proxy (all trusted: the leftmost), else
/// `X-Real-IP`. A header from any other peer is ignored, so that a client
/// cannot choose the address it is throttled and audited under.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    if hops.is_empty() {
        return headers
            .get("x-real-ip")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_hop)
            .unwrap_or(peer);
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !trusted.contains(ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// An address as proxies write it: `10.0.0.1`, `10.0.0.1:5000`, `2001:db8::1`, `[2001:db8::1]:5000`.
fn parse_hop(h: &str) -> Option<IpAddr> {
    let h = h.trim();
    h.parse::<IpAddr>()
        .ok()
        .or_else(|| h.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

pub async fn session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let client_addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_ip(c.0.ip(), req.headers(), &state.config.trusted_proxies).to_string())
        .unwrap_or_else(|| "unknown".into());
    req.extensions_mut().insert(Origin { client_addr });
    let mut clear_cookie = false;
    let st = match cookie(req.headers(), SESSION_COOKIE) {
        None => SessionState::None,
        Some(token) => {
            let now = state.clock.now();
            match sessions::load(&state.db, &token, now, state.config.security.session_idle_minutes).await {
                Ok(Ok(session)) => {
                    let actor = if session.stage == sessions::Stage::Active {
                        match state.db.read().await {
                            Ok(mut tx) => shiminhua_app::users::load_actor(&mut tx, UserId(session.user_id))
                                .await
                                .ok()
                                .map(Box::new),
                            Err(_) => None,
                        }
                    } else {
                        None
                    };
                    SessionState::Live { token, session, actor }
                }
                Ok(Err(g)) => {
                    clear_cookie = true;
                    SessionState::Gone(g)
                }
                Err(e) => {
                    tracing::error!(error = %e, "session lookup failed");
                    return crate::error::WebError(e).into_page(&state);
                }
            }
        }
    };
    req.extensions_mut().insert(st.clone());
    let ctx = crate::extract::Ctx {
        state: state.clone(),
        origin: req.extensions().get::<Origin>().cloned().unwrap_or_default(),
        session: st,
        pre_csrf: cookie(req.headers(), PRE_CSRF_COOKIE),
        path: req.uri().path().to_string(),
    };
    let mut resp = next.run(req).await;
    if let Some(page) = resp.extensions().get::<crate::error::ErrorPage>().cloned() {
        let cookies: Vec<HeaderValue> = resp.headers().get_all(header::SET_COOKIE).iter().cloned().collect();
        resp = crate::error::render_error(&state, Some(&ctx), &page);
        for c in cookies {
            resp.headers_mut().append(header::SET_COOKIE, c);
        }
    }
    if clear_cookie && !resp.headers().contains_key(header::SET_COOKIE) {
        resp.headers_mut()
            .append(header::SET_COOKIE, expire_cookie(&state, SESSION_COOKIE));
    }
    resp
}

pub fn set_cookie(state: &AppState, name: &str, value: &str) -> HeaderValue {
    let secure = if state.config.security.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn expire_cookie(state: &AppState, name: &str) -> HeaderValue {
    let secure = if state.config.security.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Security headers on every response (CSP without inline script), and
/// `Strict-Transport-Security` whenever cookies are `Secure` (the server is
/// reached over HTTPS).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if state.config.security.cookie_secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Counts and times every request; logs method, route template and status
/// (never the query string or body, which may carry personal data).
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(未匹配)".into());
    let resp = next.run(req).await;
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    state.metrics.observe(&method, &route, status, elapsed);
    tracing::info!(target: "shiminhua::http", method = %method, route = %route, status, ms = elapsed.as_secs_f64() * 1000.0, "request");
    resp
}
