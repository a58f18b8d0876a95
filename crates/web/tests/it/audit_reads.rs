//! Reads of personal data through the pages and the API are audited, the
//! auditor can ask who looked at a person, and the queue of reads is written
//! out when the server shuts down.

use crate::common::{TestApp, t0};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use shiminhua_app::audit::{Event, Who};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{Origin, apikeys, both};
use shiminhua_core::auth::{Grant, KindSet};
use shiminhua_core::division::DivisionCode;
use tower::ServiceExt;

both!(
    profile_views_and_exact_searches_are_audited,
    api_reads_are_audited,
    the_auditor_finds_who_looked,
    reads_queued_at_shutdown_are_written,
);

/// (actor, action, object id) of the audit rows of `action`, oldest first.
async fn rows(db: &Db, action: &str) -> Vec<(String, String, String)> {
    let mut tx = db.read().await.unwrap();
    tx.all(Sql::new("SELECT actor_name, object_id, detail FROM audit_log WHERE action = $1 ORDER BY id").bind(action))
        .await
        .unwrap()
}

async fn id_number_of(app: &TestApp, id: i64) -> String {
    let (sealed, index): (Vec<u8>, Vec<u8>) = app
        .db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT id_sealed, id_index FROM workers WHERE id = $1").bind(id))
        .await
        .unwrap();
    let plain = app
        .state
        .cipher
        .open(&format!("workers.id:{}", shiminhua_app::hex(&index)), &sealed)
        .unwrap();
    String::from_utf8(plain).unwrap()
}

async fn profile_views_and_exact_searches_are_audited(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let ids = app.workers_in(&["341021100", "341021101"]).await;
    let (a, b) = (ids["341021100"], ids["341021101"]);
    let mut office = app.login("office").await;
    // A plain list and a search by name show masks only: not a read of one person.
    assert_eq!(app.get(&mut office, "/workers").await.status, StatusCode::OK);
    assert_eq!(
        app.get(&mut office, "/workers?q=%E6%B5%8B%E8%AF%95").await.status,
        StatusCode::OK
    );
    let page = app.get(&mut office, &format!("/workers/{a}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let number = id_number_of(&app, b).await;
    let found = app.get(&mut office, &format!("/workers?q={number}")).await;
    assert_eq!(found.status, StatusCode::OK);
    app.state.reads.flush().await;
    assert_eq!(
        rows(&db, "worker.view").await,
        vec![("office".into(), a.to_string(), String::new())]
    );
    let searched = rows(&db, "worker.search").await;
    assert_eq!(
        searched,
        vec![("office".into(), b.to_string(), "按身份证号查找".into())]
    );
    // The number searched for is not in the log.
    let mut tx = db.read().await.unwrap();
    let leaked = tx
        .int(Sql::new("SELECT COUNT(*) FROM audit_log WHERE detail LIKE $1").bind(format!("%{number}%")))
        .await
        .unwrap();
    assert_eq!(leaked, 0);
}

async fn api_reads_are_audited(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let ids = app.workers_in(&["341021100"]).await;
    // A department's key reaches the workers its kinds' records concern.
    app.records_for(&ids).await;
    let a = ids["341021100"];
    let who = Who::system(&Origin::cli());
    let (unit,): (i64,) = db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT id FROM units WHERE code = '341021-zjj'"))
        .await
        .unwrap();
    let grants = vec![Grant {
        region: DivisionCode::parse("341021").unwrap(),
        kinds: KindSet::all(),
    }];
    let (_, key) = apikeys::create(&db, &who, t0(), unit, "住建局住房保障系统", &grants)
        .await
        .unwrap();
    let get = |path: String| {
        let app = &app;
        let key = key.clone();
        async move {
            let req = Request::builder()
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(Body::empty())
                .unwrap();
            app.router.clone().oneshot(req).await.unwrap().status()
        }
    };
    assert_eq!(get(format!("/api/v1/workers/{a}")).await, StatusCode::OK);
    let number = id_number_of(&app, a).await;
    assert_eq!(get(format!("/api/v1/workers?q={number}")).await, StatusCode::OK);
    app.state.reads.flush().await;
    let viewed = rows(&db, "worker.view").await;
    assert_eq!(viewed.len(), 1);
    assert!(
        viewed[0].0.starts_with("api:") && viewed[0].1 == a.to_string(),
        "{viewed:?}"
    );
    let searched = rows(&db, "worker.search").await;
    assert_eq!(searched.len(), 1);
    assert_eq!(searched[0].1, a.to_string());
}

async fn the_auditor_finds_who_looked(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let ids = app.workers_in(&["341021100", "341021101"]).await;
    let (a, b) = (ids["341021100"], ids["341021101"]);
    let mut office = app.login("office").await;
    let mut shexian = app.login("shexian").await;
    app.get(&mut office, &format!("/workers/{a}")).await;
    app.get(&mut shexian, &format!("/workers/{a}")).await;
    app.get(&mut shexian, &format!("/workers/{b}")).await;
    app.state.reads.flush().await;

    let mut aud = app.login("auditor").await;
    let form = app.get(&mut aud, "/audit/person").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("个人信息查看记录"));
    let csrf = form.csrf();
    let bad = app
        .post(
            &mut aud,
            "/audit/person",
            &[("csrf", &csrf), ("id_number", "34102119850301001")],
        )
        .await;
    assert!(
        bad.body.contains("身份证号应为18位（旧版为15位），实际为17位"),
        "{}",
        bad.body
    );
    let number = id_number_of(&app, a).await;
    let r = app
        .post(&mut aud, "/audit/person", &[("csrf", &csrf), ("id_number", &number)])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let table = r.body.split("<tbody>").nth(1).unwrap_or_default();
    assert!(table.contains("查看农民工信息"), "{}", r.body);
    assert!(
        table.contains("<td>office</td>") && table.contains("<td>shexian</td>"),
        "{table}"
    );
    // The worker named masked, with the number of the registration.
    assert!(
        table.contains(&format!("<td>农民工 测**（编号 {a}）</td>")) && !table.contains(&format!("（编号 {b}）")),
        "{table}"
    );
    // Not for anyone else (the matrix test covers every role).
    assert_eq!(
        app.get(&mut office, "/audit/person").await.status,
        StatusCode::FORBIDDEN
    );
}

/// A server stopped gracefully writes the reads still queued before it returns.
async fn reads_queued_at_shutdown_are_written(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(shiminhua_web::serve_until(app.state.clone(), listener, async move {
        let _ = stopped.await;
    }));
    let who = Who::system(&Origin::cli());
    for i in 0..50 {
        app.state
            .reads
            .push(t0(), who.clone(), Event::ok("worker.view", "worker", i));
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(rows(&db, "worker.view").await.len(), 50);
}
