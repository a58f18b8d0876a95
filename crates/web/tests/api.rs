//! The department data-sharing API, on SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, t0};
use serde_json::{Value, json};
use shiminhua_app::audit::Who;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{Origin, apikeys, both};
use shiminhua_core::auth::{Grant, RecordKind};
use shiminhua_core::division::DivisionCode;
use tower::ServiceExt;

both!(openapi_describes_every_kind, keys_scope_validate_and_audit);

async fn call(app: &TestApp, method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap();
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v)
}

/// A worker's full ID number and name, read as the server would.
async fn id_number(app: &TestApp, id: i64) -> (String, String) {
    let (sealed, index, name): (Vec<u8>, Vec<u8>, String) = app
        .db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT id_sealed, id_index, name FROM workers WHERE id = $1").bind(id))
        .await
        .unwrap();
    let plain = app
        .state
        .cipher
        .open(&format!("workers.id:{}", shiminhua_app::hex(&index)), &sealed)
        .unwrap();
    (String::from_utf8(plain).unwrap(), name)
}

async fn openapi_describes_every_kind(db: Db) {
    let app = TestApp::new(db, false).await;
    let (status, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.0.3");
    for kind in shiminhua_core::record::KINDS {
        let spec = shiminhua_core::record::spec(kind).unwrap();
        let path = format!("/api/v1/records/{}", kind.code());
        assert!(doc["paths"][&path]["post"].is_object(), "{path}");
        let schema = doc["paths"][&path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let props = &doc["components"]["schemas"][&schema]["properties"];
        for f in spec.fields {
            assert!(props[f.key].is_object(), "{schema}.{}", f.key);
        }
    }
    let form = &doc["components"]["schemas"]["EmploymentRecord"]["properties"]["form"]["enum"];
    assert!(form.as_array().unwrap().contains(&json!("就近就业")));
    assert!(doc["paths"]["/api/v1/workers"]["post"].is_object());
}

async fn keys_scope_validate_and_audit(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let shexian = DivisionCode::parse("341021").unwrap();
    let workers = app.workers_in(&["341021100", "341022100"]).await;
    let (in_county, elsewhere) = (workers["341021100"], workers["341022100"]);
    let (idn, name) = id_number(&app, in_county).await;
    let (idn_else, name_else) = id_number(&app, elsewhere).await;
    let (unit,): (i64,) = db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT id FROM units WHERE code = '341021-zjj'"))
        .await
        .unwrap();
    let who = Who::system(&Origin::cli());
    let grants = [Grant {
        region: shexian,
        kinds: [RecordKind::Housing, RecordKind::Settlement].into_iter().collect(),
    }];
    let (_, key) = apikeys::create(&db, &who, t0(), unit, "住建局住房保障系统", &grants)
        .await
        .unwrap();
    let k = Some(key.as_str());

    // No key, a wrong key: 401, the same answer.
    let housing = json!({"id_number": idn, "name": name, "housing_type": "保障性租赁住房",
                         "project": "歙县徽城保租房一期", "place": "徽城镇", "units": 1, "date": "2024-05-06"});
    let (s, v) = call(&app, "POST", "/api/v1/records/housing", None, Some(housing.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["error"].as_str().unwrap().contains("密钥"));
    // The same key with its last character changed.
    let last = if key.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &key[..key.len() - 1]);
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/records/housing",
        Some(&wrong),
        Some(housing.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Added, then unchanged, then updated: never duplicated.
    let (s, v) = call(&app, "POST", "/api/v1/records/housing", k, Some(housing.clone())).await;
    assert_eq!(
        (s, v["result"].as_str()),
        (StatusCode::CREATED, Some("inserted")),
        "{v}"
    );
    let (s, v) = call(&app, "POST", "/api/v1/records/housing", k, Some(housing.clone())).await;
    assert_eq!((s, v["result"].as_str()), (StatusCode::OK, Some("unchanged")));
    let mut more = housing.clone();
    more["units"] = json!(2);
    let (s, v) = call(&app, "POST", "/api/v1/records/housing", k, Some(more)).await;
    assert_eq!((s, v["result"].as_str()), (StatusCode::OK, Some("updated")));

    // The same validation as the pages, per field, in Chinese.
    let mut bad = housing.clone();
    bad["units"] = json!("很多");
    bad["date"] = json!("2024-02-30");
    let (s, v) = call(&app, "POST", "/api/v1/records/housing", k, Some(bad)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["fields"]["units"].as_str().unwrap().contains("整数"), "{v}");
    assert!(v["fields"]["date"].as_str().unwrap().contains("日期"), "{v}");
    let (s, _) = call(&app, "POST", "/api/v1/records/housing", k, Some(json!([1, 2]))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // The key's scope: another county, another kind, workers it may not read.
    let mut outside = housing.clone();
    outside["id_number"] = json!(idn_else);
    outside["name"] = json!(name_else);
    outside["place"] = json!("341022100");
    let (s, v) = call(&app, "POST", "/api/v1/records/housing", k, Some(outside)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let job = json!({"id_number": idn, "name": name});
    let (s, _) = call(&app, "POST", "/api/v1/records/employment", k, Some(job)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A department's key reads the workers its own kinds' records concern,
    // and no others.
    let (s, _) = call(&app, "GET", &format!("/api/v1/workers/{in_county}"), k, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&app, "GET", &format!("/api/v1/workers/{elsewhere}"), k, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = call(&app, "GET", "/api/v1/records/housing", k, None).await;
    assert_eq!(s, StatusCode::OK);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["fields"]["units"], json!(2));
    assert!(
        items[0]["worker_id_number_masked"]
            .as_str()
            .unwrap()
            .ends_with("************")
    );
    assert!(!v.to_string().contains(&idn), "no full ID number in answers");

    // Audited under the key's name; revoked keys stop at once.
    let n = db
        .read()
        .await
        .unwrap()
        .int(Sql::new(
            "SELECT COUNT(*) FROM audit_log WHERE actor_name LIKE 'api:smh_%' AND action IN ('record.create', 'record.update')",
        ))
        .await
        .unwrap();
    assert_eq!(n, 3);
    apikeys::revoke(&db, &who, t0(), &key[..12]).await.unwrap();
    let (s, _) = call(&app, "GET", "/api/v1/records/housing", k, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
