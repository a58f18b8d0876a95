//! Signing in under pressure, the client address behind proxies, cookies
//! over HTTPS and who may read `/metrics`, through HTTP on SQLite and
//! PostgreSQL.

use crate::common::{Agent, PASSWORD, Resp, TestApp};
use axum::http::{StatusCode, header};
use shiminhua_app::both;
use shiminhua_app::config::{Config, Overrides, TrustedProxies};
use shiminhua_app::store::{Db, Sql};
use tower::ServiceExt;

both!(
    failed_sign_ins_are_throttled_per_address,
    failed_sign_ins_are_throttled_per_user_name,
    forwarded_for_is_believed_only_from_trusted_proxies,
    secure_cookies_bring_hsts,
    metrics_need_a_token_or_their_own_address,
);

/// A failed sign-in of `user` over a connection from `peer`.
async fn fail(app: &TestApp, peer: &str, headers: &[(&str, &str)], user: &str) -> Resp {
    let mut a = Agent::default();
    let csrf = app
        .request_from(&mut a, "GET", "/login", peer, headers, &[])
        .await
        .csrf();
    app.request_from(
        &mut a,
        "POST",
        "/login",
        peer,
        headers,
        &[("csrf", &csrf), ("username", user), ("password", "Wrong-Pass-1")],
    )
    .await
}

fn assert_throttled(r: &Resp) {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let wait: u64 = r.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(r.body.contains("登录尝试过于频繁"), "{}", r.body);
    assert!(r.body.contains("name=\"password\""), "the sign-in form again");
}

async fn last_login_addr(db: &Db) -> String {
    let mut tx = db.read().await.unwrap();
    let (addr,): (String,) = tx
        .one(Sql::new(
            "SELECT client_addr FROM audit_log WHERE action = 'login' ORDER BY id DESC LIMIT 1",
        ))
        .await
        .unwrap();
    addr
}

async fn failed_sign_ins_are_throttled_per_address(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    // Successes do not count: many in a row from one address.
    for _ in 0..15 {
        let mut a = Agent::default();
        let csrf = app
            .request_from(&mut a, "GET", "/login", "10.2.0.9", &[], &[])
            .await
            .csrf();
        let r = app
            .request_from(
                &mut a,
                "POST",
                "/login",
                "10.2.0.9",
                &[],
                &[("csrf", &csrf), ("username", "shexian"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(
        fail(&app, "10.2.0.9", &[], "nobody").await.status,
        StatusCode::UNAUTHORIZED
    );

    // 60 rapid failures from one address (each under another name): the
    // first ten are answered, the rest wait.
    let mut throttled = 0;
    for i in 0..60 {
        let r = fail(&app, "10.2.0.1", &[], &format!("nobody{i}")).await;
        if i < 10 {
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        } else if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_throttled(&r);
            throttled += 1;
        }
    }
    assert!(throttled >= 45, "{throttled} of 50 throttled");
    // Even the right password waits; another address is answered.
    let mut a = Agent::default();
    let csrf = app
        .request_from(&mut a, "GET", "/login", "10.2.0.1", &[], &[])
        .await
        .csrf();
    let r = app
        .request_from(
            &mut a,
            "POST",
            "/login",
            "10.2.0.1",
            &[],
            &[("csrf", &csrf), ("username", "lead"), ("password", PASSWORD)],
        )
        .await;
    assert_throttled(&r);
    assert_eq!(
        fail(&app, "10.2.0.2", &[], "nobody").await.status,
        StatusCode::UNAUTHORIZED
    );

    // Configurable; 0 is no limit.
    let open = app.with_config(|c| c.security.login_per_minute_per_addr = 0);
    for i in 0..15 {
        let r = fail(&open, "10.2.0.3", &[], &format!("nobody{i}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
}

async fn failed_sign_ins_are_throttled_per_user_name(db: Db) {
    let app = TestApp::new(db.clone(), false)
        .await
        .with_config(|c| c.security.login_per_minute_per_user = 4);
    // One name from many addresses.
    for i in 0..4 {
        let r = fail(&app, &format!("10.4.0.{i}"), &[], "ghost").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_throttled(&fail(&app, "10.4.1.1", &[], "ghost").await);
    assert_throttled(&fail(&app, "10.4.1.2", &[], "Ghost ").await);
    // Another name is answered, and the address was not charged.
    for _ in 0..4 {
        assert_eq!(
            fail(&app, "10.4.1.1", &[], "casper").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // The second factor counts as well (per account).
    let app = app.with_config(|c| c.security.login_per_minute_per_addr = 3);
    let mut a = Agent::default();
    let csrf = app
        .request_from(&mut a, "GET", "/login", "10.4.2.1", &[], &[])
        .await
        .csrf();
    let r = app
        .request_from(
            &mut a,
            "POST",
            "/login",
            "10.4.2.1",
            &[],
            &[("csrf", &csrf), ("username", "admin"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.location(), "/login/totp");
    let mut last = None;
    for _ in 0..4 {
        let csrf = app
            .request_from(&mut a, "GET", "/login/totp", "10.4.2.1", &[], &[])
            .await
            .csrf();
        last = Some(
            app.request_from(
                &mut a,
                "POST",
                "/login/totp",
                "10.4.2.1",
                &[],
                &[("csrf", &csrf), ("code", "000000")],
            )
            .await,
        );
    }
    let r = last.unwrap();
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(r.body.contains("登录尝试过于频繁"));
}

async fn forwarded_for_is_believed_only_from_trusted_proxies(db: Db) {
    let base = TestApp::new(db.clone(), false).await;
    let app = base.with_config(|c| c.security.login_per_minute_per_addr = 2);
    // From a peer that is no proxy of ours, the header is ignored: a new
    // address in every request does not escape the limit, and the audit
    // trail names the peer.
    for i in 0..2 {
        let spoof = format!("198.51.100.{i}");
        let r = fail(
            &app,
            "10.3.0.1",
            &[("x-forwarded-for", &spoof), ("x-real-ip", &spoof)],
            "x",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(last_login_addr(&db).await, "10.3.0.1");
    }
    assert_throttled(&fail(&app, "10.3.0.1", &[("x-forwarded-for", "198.51.100.77")], "x").await);

    // Behind a trusted proxy, the client it names.
    let proxied = base.with_config(|c| {
        c.security.login_per_minute_per_addr = 2;
        c.trusted_proxies = TrustedProxies::parse(&["10.9.0.1".into(), "10.8.0.0/16".into()]).unwrap();
    });
    for i in 0..5 {
        let client = format!("203.0.113.{i}");
        let r = fail(&proxied, "10.9.0.1", &[("x-forwarded-for", &client)], "x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "each client has its own limit");
        assert_eq!(last_login_addr(&db).await, client);
    }
    // The rightmost address that is not a proxy of ours: what the client
    // wrote itself on the left is not believed.
    for spoof in ["192.0.2.1", "192.0.2.2"] {
        let chain = format!("{spoof}, 203.0.113.50, 10.8.3.4");
        let r = fail(&proxied, "10.9.0.1", &[("x-forwarded-for", &chain)], "x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(last_login_addr(&db).await, "203.0.113.50");
    }
    assert_throttled(&fail(&proxied, "10.9.0.1", &[("x-forwarded-for", "203.0.113.50")], "x").await);
    // X-Real-IP when there is no X-Forwarded-For.
    fail(&proxied, "10.9.0.1", &[("x-real-ip", "203.0.113.99")], "x").await;
    assert_eq!(last_login_addr(&db).await, "203.0.113.99");
    // The public pages throttle under the same address.
    let public = base.with_config(|c| {
        c.public.lookups_per_minute = 1;
        c.trusted_proxies = TrustedProxies::parse(&["10.9.0.1".into()]).unwrap();
    });
    let lookup = |client: &'static str| {
        let public = &public;
        async move {
            let mut a = Agent::default();
            let h = [("x-forwarded-for", client)];
            let csrf = public
                .request_from(&mut a, "GET", "/public/cases/query", "10.9.0.1", &h, &[])
                .await
                .csrf();
            public
                .request_from(
                    &mut a,
                    "POST",
                    "/public/cases/query",
                    "10.9.0.1",
                    &h,
                    &[("csrf", &csrf), ("number", "HS2026-000001"), ("code", "ABCDEFGH")],
                )
                .await
                .status
        }
    };
    assert_eq!(lookup("203.0.113.1").await, StatusCode::NOT_FOUND);
    assert_eq!(lookup("203.0.113.2").await, StatusCode::NOT_FOUND);
    assert_eq!(lookup("203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
}

fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

async fn secure_cookies_bring_hsts(db: Db) {
    // On loopback (the tests' default): plain cookies, no HSTS.
    let app = TestApp::new(db.clone(), false).await;
    let r = app.get(&mut Agent::default(), "/login").await;
    let cookies = set_cookies(&r);
    assert!(
        !cookies.is_empty() && cookies.iter().all(|c| !c.contains("Secure")),
        "{cookies:?}"
    );
    assert!(!r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));

    // Listening on every interface: Secure by default, and HSTS on every answer.
    let load = |listen: &str, env: &[(&str, &str)]| {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load(
            &Overrides {
                database: Some("sqlite::memory:".into()),
                listen: Some(listen.into()),
                ..Default::default()
            },
            &move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
        )
        .unwrap()
    };
    let public = load("0.0.0.0:8080", &[]);
    let app = app.with_config(|c| c.security = public.security.clone());
    let mut a = Agent::default();
    let r = app.get(&mut a, "/login").await;
    let cookies = set_cookies(&r);
    assert!(
        !cookies.is_empty() && cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
    assert_eq!(r.headers[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    let r = app
        .post(
            &mut a,
            "/login",
            &[("csrf", &r.csrf()), ("username", "shexian"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.location(), "/");
    assert!(set_cookies(&r).iter().all(|c| c.contains("; Secure")));
    assert!(r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    assert!(
        app.get(&mut Agent::default(), "/healthz")
            .await
            .headers
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );

    // Forced off (plain HTTP on a trusted network): neither.
    let plain = load("0.0.0.0:8080", &[("SHIMINHUA_COOKIE_SECURE", "false")]);
    let app = app.with_config(|c| c.security = plain.security.clone());
    let r = app.get(&mut Agent::default(), "/login").await;
    assert!(set_cookies(&r).iter().all(|c| !c.contains("Secure")));
    assert!(!r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
}

async fn metrics_need_a_token_or_their_own_address(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    // Neither configured: not served.
    assert_eq!(
        app.get(&mut Agent::default(), "/metrics").await.status,
        StatusCode::NOT_FOUND
    );

    let token = "metrics-token-0123456789";
    let app = app.with_config(|c| c.metrics.token = Some(token.into()));
    let get = |app: &TestApp, auth: Option<String>| {
        let router = app.router.clone();
        async move {
            let mut b = axum::http::Request::builder().uri("/metrics");
            if let Some(a) = auth {
                b = b.header(header::AUTHORIZATION, a);
            }
            let resp = router
                .oneshot(b.body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap();
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    assert_eq!(get(&app, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, Some("Bearer wrong".into())).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&app, Some(format!("Basic {token}"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = get(&app, Some(format!("Bearer {token}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("shiminhua_db_pool_connections"), "{body}");

    // Its own address: not on the main one, even with the token.
    let own = app.with_config(|c| {
        c.metrics.token = None;
        c.metrics.listen = Some("127.0.0.1:9100".into());
    });
    assert_eq!(
        get(&own, Some(format!("Bearer {token}"))).await.0,
        StatusCode::NOT_FOUND
    );
    let metrics_only = shiminhua_web::metrics_router(own.state.clone());
    let resp = metrics_only
        .clone()
        .oneshot(
            axum::http::Request::builder()
                .uri("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = metrics_only
        .oneshot(
            axum::http::Request::builder()
                .uri("/login")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "nothing else there");
    // Both: the token is required on its own address too.
    let both_set = own.with_config(|c| c.metrics.token = Some(token.into()));
    let resp = shiminhua_web::metrics_router(both_set.state.clone())
        .oneshot(
            axum::http::Request::builder()
                .uri("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
