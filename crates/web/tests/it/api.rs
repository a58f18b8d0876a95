//! The department data-sharing API, on SQLite and PostgreSQL.

use crate::common::{TestApp, t0};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use shiminhua_app::audit::Who;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{Origin, apikeys, both};
use shiminhua_core::auth::{Grant, RecordKind};
use shiminhua_core::division::DivisionCode;
use std::collections::{BTreeMap, BTreeSet};
use tower::ServiceExt;

both!(
    openapi_describes_every_kind,
    keys_scope_validate_and_audit,
    list_parameters_follow_the_document,
    bodies_follow_the_document,
    document_declares_every_status,
    a_key_publishes_vacancies_in_its_scope,
);

async fn call(app: &TestApp, method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
    call_raw(app, method, path, key, body.map(|v| v.to_string())).await
}

/// A request with any body text (not necessarily JSON).
async fn call_raw(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<String>,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v))
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

/// A key for the county 341021 with the kinds given, and a worker there
/// (id, full ID number, name).
async fn key_and_worker(app: &TestApp, kinds: &[RecordKind]) -> (String, i64, String, String) {
    let workers = app.workers_in(&["341021100"]).await;
    let id = workers["341021100"];
    let (idn, name) = id_number(app, id).await;
    (key_for(app, kinds).await, id, idn, name)
}

async fn key_for(app: &TestApp, kinds: &[RecordKind]) -> String {
    let (unit,): (i64,) = app
        .db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT id FROM units WHERE code = '341021-zjj'"))
        .await
        .unwrap();
    let grants = [Grant {
        region: DivisionCode::parse("341021").unwrap(),
        kinds: kinds.iter().copied().collect(),
    }];
    let who = Who::system(&Origin::cli());
    apikeys::create(&app.db, &who, t0(), unit, "测试系统", &grants)
        .await
        .unwrap()
        .1
}

/// A valid unified social credit code in the county.
fn credit_code() -> String {
    shiminhua_core::credit_code::CreditCode::from_parts("91", "341021", "MA2TBC0X")
        .unwrap()
        .as_str()
        .to_string()
}

fn all_kinds() -> Vec<RecordKind> {
    let mut k: Vec<RecordKind> = shiminhua_core::record::KINDS.to_vec();
    k.push(RecordKind::Worker);
    k
}

async fn list_parameters_follow_the_document(db: Db) {
    let app = TestApp::new(db, false).await;
    let (key, worker, _, _) = key_and_worker(&app, &all_kinds()).await;
    // A department's key reaches the workers its kinds' records concern.
    app.records_for(&[("341021100".to_string(), worker)].into()).await;
    let k = Some(key.as_str());
    for list in ["/api/v1/workers", "/api/v1/records/employment"] {
        // Not an integer of 1..=maximum, or given twice: refused, not read as page 1.
        for page in [
            "null",
            "-1",
            "0",
            "1.5",
            "",
            "9223372036854775807",
            "99999999999999999999",
            "1&page=2",
        ] {
            let (s, v) = call(&app, "GET", &format!("{list}?page={page}"), k, None).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{list} page={page}: {v}");
            assert!(v["error"].as_str().unwrap().contains("page"), "{v}");
        }
        let (s, v) = call(&app, "GET", &format!("{list}?page=2"), k, None).await;
        assert_eq!((s, v["page"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
        // A well-formed code that names no division: nothing there, not an error.
        let (s, v) = call(&app, "GET", &format!("{list}?region=110001"), k, None).await;
        assert_eq!((s, v["total"].as_i64()), (StatusCode::OK, Some(0)), "{v}");
        for region in ["abc", "3410", "null", ""] {
            let (s, _) = call(&app, "GET", &format!("{list}?region={region}"), k, None).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "region={region}");
        }
    }
    let (s, v) = call(&app, "GET", "/api/v1/workers?region=341021", k, None).await;
    assert_eq!((s, v["total"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    // Dates as the document says (format: date), nothing else.
    for date in ["20240506", "45000", "2024/05/06", "2024-02-30", "null"] {
        let (s, _) = call(&app, "GET", &format!("/api/v1/records/employment?from={date}"), k, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "from={date}");
    }
    let (s, _) = call(
        &app,
        "GET",
        "/api/v1/records/employment?from=2024-05-06&to=2024-06-30",
        k,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

async fn bodies_follow_the_document(db: Db) {
    let app = TestApp::new(db, false).await;
    let (key, _, idn, name) = key_and_worker(&app, &all_kinds()).await;
    let k = Some(key.as_str());
    let housing = json!({"id_number": idn, "name": name, "housing_type": "保障性租赁住房",
                         "project": "歙县徽城保租房一期", "place": "徽城镇", "units": 1, "date": "2024-05-06"});
    let refused = |field: &'static str, value: Value| {
        let mut b = housing.clone();
        b[field] = value;
        (field, b)
    };
    for (field, body) in [
        // A property the document does not name: refused by name, not dropped.
        refused("remark", json!("备注")),
        refused("remark", json!({"a": 1})),
        // Values of another type than the document's.
        refused("units", json!("1")),
        refused("units", json!(-1)),
        refused("units", json!(true)),
        refused("project", json!(12)),
        refused("date", json!("20240506")),
        refused("name", json!(null)),
        refused("name", json!("")),
    ] {
        let (s, v) = call(&app, "POST", "/api/v1/records/housing", k, Some(body.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(v["fields"][field].is_string(), "{body}: {v}");
    }
    let mut job = json!({"id_number": idn, "name": name, "form": "就近就业", "employer": "歙县某公司",
                         "start": "2024-03-05", "place": "341021100", "contract": "是",
                         "credit_code": credit_code(), "industry": "E", "public_service": false});
    let (s, v) = call(&app, "POST", "/api/v1/records/employment", k, Some(job.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["fields"]["contract"].is_string(), "{v}");
    job["wage"] = json!(3500);
    job["contract"] = json!(true);
    let (s, v) = call(&app, "POST", "/api/v1/records/employment", k, Some(job.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["fields"]["wage"].is_string(), "{v}");
    // Optional properties may be null (no value); the record is taken.
    job["wage"] = json!(null);
    let (s, v) = call(&app, "POST", "/api/v1/records/employment", k, Some(job)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(&app, "POST", "/api/v1/records/housing", k, Some(housing)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

/// Every answer the server gives to a battery of requests made from the
/// document itself is declared for that operation.
async fn document_declares_every_status(db: Db) {
    let app = TestApp::new(db, false).await;
    let (key, worker, idn, name) = key_and_worker(&app, &all_kinds()).await;
    let narrow = key_for(&app, &[RecordKind::Housing]).await;
    let wrong = format!("{}x", &key[..key.len() - 1]);
    let (_, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    let schemas = &doc["components"]["schemas"];
    let values = [
        "",
        "null",
        "-1",
        "0",
        "1",
        "2",
        "1.5",
        "9223372036854775807",
        "99999999999999999999",
        "341021",
        "341021100",
        "110001",
        "abc",
        "2024-05-06",
        "20240506",
        "2024-02-30",
        "%E4%B8%AD",
    ];
    let mut seen: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let label = format!("{} {path}", method.to_uppercase());
            let mut requests: Vec<(String, Option<&str>, Option<String>)> = Vec::new();
            let paths: Vec<String> = if path.contains("{id}") {
                [
                    worker.to_string(),
                    "0".into(),
                    "abc".into(),
                    "99999999999999999999".into(),
                ]
                .iter()
                .map(|id| path.replace("{id}", id))
                .collect()
            } else {
                vec![path.clone()]
            };
            let keys = [None, Some(wrong.as_str()), Some(narrow.as_str()), Some(key.as_str())];
            if method == "get" {
                for p in &paths {
                    for k in keys {
                        requests.push((p.clone(), k, None));
                    }
                    for param in op["parameters"].as_array().into_iter().flatten() {
                        if param["in"] != "query" {
                            continue;
                        }
                        let n = param["name"].as_str().unwrap();
                        for v in values {
                            requests.push((format!("{p}?{n}={v}"), Some(key.as_str()), None));
                        }
                        requests.push((format!("{p}?{n}=1&{n}=1"), Some(key.as_str()), None));
                    }
                }
            } else {
                let r = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .unwrap();
                let schema = &schemas[r.rsplit('/').next().unwrap()];
                let props = schema["properties"].as_object().unwrap();
                // A body valid by the document, with the worker registered.
                let mut valid = serde_json::Map::new();
                for (k, s) in props {
                    let v = if let Some(e) = s["example"].as_str() {
                        json!(e)
                    } else if let Some(e) = s["enum"].as_array() {
                        e[0].clone()
                    } else {
                        match s["type"].as_str().unwrap() {
                            "integer" => json!(1),
                            "boolean" => json!(true),
                            _ => json!("测试"),
                        }
                    };
                    valid.insert(k.clone(), v);
                }
                if props.contains_key("credit_code") {
                    valid.insert("credit_code".into(), json!(credit_code()));
                }
                valid.insert("id_number".into(), json!(idn));
                valid.insert("name".into(), json!(name));
                if props.contains_key("region") {
                    valid.insert("region".into(), json!("341021100"));
                }
                let valid = Value::Object(valid);
                let mut bodies = vec![
                    String::new(),
                    "not json".into(),
                    "[1,2]".into(),
                    "{}".into(),
                    valid.to_string(),
                    valid.to_string(),
                ];
                for k in props.keys() {
                    for v in [json!(null), json!(42), json!("x"), json!(true), json!(""), json!([1])] {
                        let mut b = valid.clone();
                        b[k] = v;
                        bodies.push(b.to_string());
                    }
                    let mut b = valid.clone();
                    b.as_object_mut().unwrap().remove(k);
                    bodies.push(b.to_string());
                }
                let mut b = valid.clone();
                b["x-unknown"] = json!(1);
                bodies.push(b.to_string());
                for k in keys {
                    requests.push((path.clone(), k, Some(valid.to_string())));
                }
                for b in bodies {
                    requests.push((path.clone(), Some(key.as_str()), Some(b)));
                }
            }
            let declared: BTreeSet<u16> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|s| s.parse().unwrap())
                .collect();
            for (p, k, body) in requests {
                let (s, v) = call_raw(&app, &method.to_uppercase(), &p, k, body.clone()).await;
                assert!(
                    declared.contains(&s.as_u16()),
                    "{label}: {s} is not declared ({declared:?}); {p} {body:?} → {v}"
                );
                seen.entry(label.clone()).or_default().insert(s.as_u16());
            }
        }
    }
    // Lists and details were answered, writes were taken (a schooling record
    // needs a child, so not every kind is), and refusals were made.
    for (label, statuses) in &seen {
        if label.starts_with("GET") {
            assert!(statuses.iter().any(|s| *s < 300), "{label}: {statuses:?}");
        }
        if !label.ends_with("openapi.json") {
            assert!(statuses.iter().any(|s| *s >= 400), "{label}: {statuses:?}");
        }
    }
    let taken = seen
        .iter()
        .filter(|(l, s)| l.starts_with("POST") && s.contains(&201))
        .count();
    assert!(
        taken * 2 > seen.keys().filter(|l| l.starts_with("POST")).count(),
        "{seen:?}"
    );
    assert_eq!(
        seen.len(),
        doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|o| o.as_object().unwrap().len())
            .sum::<usize>()
    );
}

async fn a_key_publishes_vacancies_in_its_scope(db: Db) {
    use serde_json::json;
    let app = TestApp::new(db, false).await;
    let key = key_for(&app, &[RecordKind::JobService]).await;
    let mut body = json!({
        "employer_code": credit_code(),
        "employer": "歙县某食品有限公司",
        "industry": "C",
        "title": "包装工",
        "occupation": "6",
        "headcount": 3,
        "wage_min": "4200",
        "wage_max": "5200",
        "place": "341021100",
        "contact": "歙县人社局就业服务窗口",
        "valid_until": "2026-12-31",
    });
    let (status, reply) = call(&app, "POST", "/api/v1/vacancies", Some(&key), Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let id = reply["id"].as_i64().unwrap();
    let (source, min): (String, i64) = app
        .db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT source, wage_min_fen FROM vacancies WHERE id = $1").bind(id))
        .await
        .unwrap();
    assert_eq!((source.as_str(), min), ("api", 420_000));
    // Checked as the form is; outside the key's scope refused.
    body["wage_max"] = json!("100");
    let (status, reply) = call(&app, "POST", "/api/v1/vacancies", Some(&key), Some(body.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert!(reply["fields"]["wage_max"].is_string(), "{reply}");
    body["wage_max"] = json!("5200");
    body["place"] = json!("341022100");
    let (status, reply) = call(&app, "POST", "/api/v1/vacancies", Some(&key), Some(body.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert!(reply["fields"]["place"].is_string(), "{reply}");
    // A key without job-service scope may not.
    let other = key_for(&app, &[RecordKind::Employment]).await;
    let (status, _) = call(&app, "POST", "/api/v1/vacancies", Some(&other), Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
