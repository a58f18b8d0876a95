//! A masked ID number must not be recoverable from what a user without the
//! reveal permission sees: the worker list, the profiles, the records list,
//! the department API (list and detail) and the worker export. For each
//! generated worker and child, everything shown is gathered and the ID
//! numbers consistent with it are counted: at least 1,000.

use crate::common::{TestApp, t0};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use shiminhua_app::audit::Who;
use shiminhua_app::exposure::Exposure;
use shiminhua_app::registry::workers::{self, WorkerFilter};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{Call, Origin, apikeys, both, ops::demo, users};
use shiminhua_core::auth::{Grant, KindSet, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::UserId;
use tower::ServiceExt;

both!(nothing_shown_narrows_an_id_number);

/// The API's answer, or nothing when the key does not reach it (a unit's key
/// reaches the workers its kinds' records concern).
async fn api(app: &TestApp, path: &str, key: &str) -> Option<String> {
    let req = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    if resp.status() == StatusCode::NOT_FOUND {
        return None;
    }
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap();
    Some(String::from_utf8(bytes.to_vec()).unwrap())
}

async fn nothing_shown_narrows_an_id_number(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    demo::generate(&db, &app.state.cipher, t0(), 25, 19).await.unwrap();
    let cipher = &app.state.cipher;

    // The people, with their full numbers (opened with the key, as only the test may).
    let mut tx = db.read().await.unwrap();
    let workers: Vec<(i64, Vec<u8>, Vec<u8>)> = tx
        .all(Sql::new("SELECT id, id_sealed, id_index FROM workers ORDER BY id"))
        .await
        .unwrap();
    let children: Vec<(i64, Vec<u8>, Vec<u8>)> = tx
        .all(Sql::new(
            "SELECT worker_id, id_sealed, id_index FROM dependants WHERE id_sealed IS NOT NULL AND relation = '子女' ORDER BY id",
        ))
        .await
        .unwrap();
    let (unit,): (i64,) = tx
        .one(Sql::new("SELECT id FROM units ORDER BY id LIMIT 1"))
        .await
        .unwrap();
    let lead = users::load_actor(&mut tx, UserId(app.ids["lead"])).await.unwrap();
    drop(tx);
    assert!(
        !lead.can(Permission::RevealPii),
        "the user sees without the reveal permission"
    );
    let open = |ctx: String, sealed: &[u8]| {
        IdNumber::parse(&String::from_utf8(cipher.open(&ctx, sealed).unwrap()).unwrap()).unwrap()
    };
    let mut people: Vec<(i64, IdNumber)> = Vec::new();
    for (id, sealed, index) in &workers {
        people.push((*id, open(workers::worker_context("id", index), sealed)));
    }
    for (worker, sealed, index) in &children {
        people.push((*worker, open(workers::dependant_context("id", index), sealed)));
    }
    assert!(people.len() > workers.len(), "the sample has children");

    // What is shown to everyone of the city: the lists, the API lists, the
    // export. Each row goes with the worker it names.
    let mut agent = app.login("lead").await;
    let mut rows: Vec<String> = Vec::new();
    for path in [
        "/workers",
        "/workers?sort=name",
        "/records?kind=schooling",
        "/records?kind=employment",
    ] {
        let page = app.get(&mut agent, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        rows.extend(page.body.split("<tr").map(str::to_string));
    }
    let grants = [Grant {
        region: DivisionCode::parse("341000").unwrap(),
        kinds: KindSet::all(),
    }];
    let (_, key) = apikeys::create(&db, &Who::system(&Origin::cli()), t0(), unit, "测试系统", &grants)
        .await
        .unwrap();
    let mut items: Vec<serde_json::Value> = Vec::new();
    for path in ["/api/v1/workers", "/api/v1/records/schooling"] {
        let v: serde_json::Value = serde_json::from_str(&api(&app, path, &key).await.expect(path)).unwrap();
        items.extend(v["items"].as_array().unwrap().iter().cloned());
    }
    assert!(!items.is_empty());
    let dir = shiminhua_app::testing::TempDir::new("exposure");
    let file = dir.0.join("w.xlsx");
    let origin = Origin::cli();
    let call = Call {
        db: &db,
        cipher,
        actor: &lead,
        origin: &origin,
        now: t0(),
    };
    workers::export_workers(&call, &WorkerFilter::default(), &file)
        .await
        .unwrap();
    let headers = [
        "姓名",
        "身份证号",
        "性别",
        "出生年份",
        "出生日期",
        "手机号",
        "现居住地",
        "户籍地",
        "文化程度",
        "职业技能",
        "标签",
    ];
    let export: Vec<(String, String)> = shiminhua_app::registry::import::read::open(&file, &headers, &[false; 11])
        .unwrap()
        .map(|row| {
            let cells: Vec<String> = row.unwrap().cells.iter().map(|c| c.to_text()).collect();
            (cells[0].clone(), cells.join(" "))
        })
        .collect();
    assert_eq!(export.len(), workers.len());

    // And for each person, their household's profile page and API detail.
    let mut least = u64::MAX;
    let mut details = 0;
    for (worker, id) in &people {
        let profile = app.get(&mut agent, &format!("/workers/{worker}")).await;
        assert_eq!(profile.status, StatusCode::OK);
        let detail = api(&app, &format!("/api/v1/workers/{worker}"), &key)
            .await
            .unwrap_or_default();
        details += usize::from(!detail.is_empty());
        let (name,): (String,) = db
            .read()
            .await
            .unwrap()
            .one(Sql::new("SELECT name FROM workers WHERE id = $1").bind(*worker))
            .await
            .unwrap();
        let mut e = Exposure::new(id);
        e.see(&profile.body);
        e.see(&detail);
        let link = format!("/workers/{worker}\"");
        for row in &rows {
            if row.contains(&link) {
                e.see(row);
            } else {
                e.see_fragments(row);
            }
        }
        for item in &items {
            let text = item.to_string();
            if item["id"].as_i64() == Some(*worker) || item["worker_id"].as_i64() == Some(*worker) {
                e.see(&text);
            } else {
                e.see_fragments(&text);
            }
        }
        for (who, text) in &export {
            if *who == name {
                e.see(text);
            } else {
                e.see_fragments(text);
            }
        }
        let n = e.candidates();
        assert!(
            n >= 1_000,
            "worker {worker}'s household: what is shown leaves {n} candidate ID numbers"
        );
        least = least.min(n);
    }
    assert!(least >= 1_000);
    assert!(details > 0, "the API detail of some people was seen");
}
