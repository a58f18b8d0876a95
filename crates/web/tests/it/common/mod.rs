//! `TestApp`: the real router on a fresh database, with one signed-up user per
//! role, spoken to over HTTP requests (no network needed).

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, TimeZone, Utc};
use shiminhua_app::clock::Clock;
use shiminhua_app::config::{Config, Overrides};
use shiminhua_app::crypto::Cipher;
use shiminhua_app::keys::MasterKey;
use shiminhua_app::registry::workers::{self, WorkerInput};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::users::{self, PasswordChange, UserForm};
use shiminhua_app::{Origin, ops::setup};
use shiminhua_core::auth::{Grant, KindSet, RecordKind, Role};
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::UserId;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::password::PasswordPolicy;
use shiminhua_core::totp::TotpSecret;
use shiminhua_web::AppState;
use std::collections::HashMap;
use tower::ServiceExt;

pub const PASSWORD: &str = "Test-Pass-2026";
pub const ADMIN_SECRET: &[u8] = b"shiminhua-test-totp!";

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 30, 2, 0, 0).unwrap()
}

/// The users every test app has: (user name, role, scope region).
pub const USERS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::Admin, None),
    ("lead", Role::Lead, Some("341000")),
    ("office", Role::Office, Some("341000")),
    ("dept", Role::Department, Some("341000")),
    ("shexian", Role::Local, Some("341021")),
    ("inspector", Role::Inspector, Some("341004")),
    ("auditor", Role::Auditor, None),
];

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: Db,
    pub clock: Clock,
    pub ids: HashMap<String, i64>,
    /// The data directory (staged uploads and exports), removed on drop.
    pub data: std::sync::Arc<shiminhua_app::testing::TempDir>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        field_value(&self.body, "csrf")
    }
}

pub fn field_value(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    html.find(&key)
        .map(|i| {
            let rest = &html[i + key.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .unwrap_or_default()
}

/// A browser: a cookie jar.
#[derive(Clone, Debug, Default)]
pub struct Agent {
    pub cookies: HashMap<String, String>,
}

impl Agent {
    fn absorb(&mut self, headers: &axum::http::HeaderMap) {
        for v in headers.get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap_or("");
            let first = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = first.split_once('=') {
                if val.is_empty() || s.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), val.to_string());
                }
            }
        }
    }

    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl TestApp {
    pub async fn new(db: Db, demo: bool) -> TestApp {
        let policy = PasswordPolicy::default();
        setup::init(&db, t0(), &policy, Some(PASSWORD.into())).await.unwrap();
        let mut tx = db.read().await.unwrap();
        let (admin_id,): (i64,) = tx
            .one(Sql::new("SELECT id FROM users WHERE username = 'admin'"))
            .await
            .unwrap();
        let admin = users::load_actor(&mut tx, UserId(admin_id)).await.unwrap();
        drop(tx);
        let o = Origin {
            client_addr: "127.0.0.1".into(),
        };
        let mut ids = HashMap::new();
        ids.insert("admin".to_string(), admin_id);
        for &(name, role, region) in &USERS[1..] {
            let grants = region
                .map(|r| {
                    vec![Grant {
                        region: DivisionCode::parse(r).unwrap(),
                        kinds: KindSet::all(),
                    }]
                })
                .unwrap_or_default();
            let form = UserForm {
                username: name.into(),
                display_name: format!("测试{name}"),
                unit_id: None,
                roles: vec![role],
                grants,
            };
            // The office is the installation's first approver (set up from
            // the command line); the others' grants wait for its approval.
            let (id, otp) = if role == Role::Office {
                users::add_cli(&db, t0(), &policy, form, None).await.unwrap()
            } else {
                users::create(&db, &admin, &o, t0(), form).await.unwrap()
            };
            let change = PasswordChange {
                current: &otp,
                new: PASSWORD,
                confirm: PASSWORD,
            };
            users::change_password(&db, id, &o, t0(), &policy, &change)
                .await
                .unwrap();
            ids.insert(name.to_string(), id);
        }
        for &(name, _, _) in &USERS[1..] {
            shiminhua_app::testing::approve_pending(&db, t0(), ids[name]).await;
        }
        let cipher = Cipher::new(&MasterKey::generate());
        let secret = TotpSecret::from_bytes(ADMIN_SECRET.to_vec());
        users::enrol_totp(
            &db,
            &cipher,
            admin_id,
            &o,
            t0(),
            &secret.to_base32(),
            &secret.code_at(t0().timestamp()),
        )
        .await
        .unwrap();
        let data = shiminhua_app::testing::TempDir::new("web-data");
        let config = Config::load(
            &Overrides {
                database: Some("sqlite::memory:".into()),
                data_dir: Some(data.0.clone()),
                ..Default::default()
            },
            &|_| None,
        )
        .unwrap();
        let clock = Clock::fixed(t0() + Duration::minutes(1));
        let state = AppState::new(db.clone(), config, clock.clone(), demo, cipher);
        TestApp {
            router: shiminhua_web::router(state.clone()),
            state,
            db,
            clock,
            ids,
            data: std::sync::Arc::new(data),
        }
    }

    /// Registers one worker in each township given; returns township → worker id.
    pub async fn workers_in(&self, towns: &[&str]) -> HashMap<String, i64> {
        let mut tx = self.db.read().await.unwrap();
        let office = users::load_actor(&mut tx, UserId(self.ids["office"])).await.unwrap();
        drop(tx);
        let o = Origin {
            client_addr: "127.0.0.1".into(),
        };
        let mut out = HashMap::new();
        for (i, town) in towns.iter().enumerate() {
            let birth = chrono::NaiveDate::from_ymd_opt(1985, 3, 1 + i as u32).unwrap();
            let id = IdNumber::from_parts("341021", birth, 11 + i as u16).unwrap();
            let input = WorkerInput {
                name: format!("测试{}", ["甲", "乙", "丙", "丁", "戊"][i % 5]),
                id_number: id.as_str().into(),
                region: town.to_string(),
                ..WorkerInput::default()
            };
            let call = shiminhua_app::Call {
                db: &self.db,
                cipher: &self.state.cipher,
                actor: &office,
                origin: &o,
                now: t0(),
            };
            let wid = workers::create_worker(&call, &input).await.unwrap();
            out.insert(town.to_string(), wid);
        }
        out
    }

    /// Adds one 工会驿站 (as the office user) in each township given; returns
    /// township → facility id.
    pub async fn facilities_in(&self, towns: &[&str]) -> HashMap<String, i64> {
        let mut tx = self.db.read().await.unwrap();
        let office = users::load_actor(&mut tx, UserId(self.ids["office"])).await.unwrap();
        drop(tx);
        let o = Origin {
            client_addr: "127.0.0.1".into(),
        };
        let call = shiminhua_app::Call {
            db: &self.db,
            cipher: &self.state.cipher,
            actor: &office,
            origin: &o,
            now: t0(),
        };
        let mut out = HashMap::new();
        for town in towns {
            let name = format!("测试驿站{town}");
            let get = |k: &str| match k {
                "name" => name.clone(),
                "place" => town.to_string(),
                "status" => "新建".into(),
                "host" => "县总工会".into(),
                _ => String::new(),
            };
            let id = shiminhua_app::registry::facilities::create(
                &call,
                shiminhua_core::facility::FacilityKind::Station,
                &get,
            )
            .await
            .unwrap();
            out.insert(town.to_string(), id);
        }
        out
    }

    /// Adds a construction project (工资支付监控) as the office user: 在建,
    /// its contract signed on 2026-01-10 and no special account yet (so the
    /// rules find it in warning once evaluated); `kind` is the form's label
    /// (房屋建筑, 水利, …). Returns its id.
    pub async fn project(&self, town: &str, code: &str, kind: &str) -> i64 {
        let mut tx = self.db.read().await.unwrap();
        let office = users::load_actor(&mut tx, UserId(self.ids["office"])).await.unwrap();
        drop(tx);
        let o = Origin {
            client_addr: "127.0.0.1".into(),
        };
        let call = shiminhua_app::Call {
            db: &self.db,
            cipher: &self.state.cipher,
            actor: &office,
            origin: &o,
            now: t0(),
        };
        let (builder, contractor) = (credit(901), credit(902));
        let get = |k: &str| -> String {
            match k {
                "code" => code,
                "name" => return format!("测试工程{code}"),
                "kind" => kind,
                "place" => town,
                "builder" => "黄山市测试城投公司",
                "builder_code" => return builder.clone(),
                "contractor" => "安徽测试建工集团",
                "contractor_code" => return contractor.clone(),
                "contract_sum" => "5000000",
                "contract_date" => "2026-01-10",
                "status" => "在建",
                _ => "",
            }
            .to_string()
        };
        shiminhua_app::rights::monitor::create(&call, &get).await.unwrap()
    }

    /// Adds one building project (see [`TestApp::project`]) in each township
    /// given; returns township → project id.
    pub async fn projects_in(&self, towns: &[&str]) -> HashMap<String, i64> {
        let mut out = HashMap::new();
        for (i, town) in towns.iter().enumerate() {
            let id = self.project(town, &format!("TEST-{i:03}"), "房屋建筑").await;
            out.insert(town.to_string(), id);
        }
        out
    }

    /// Adds one employment record (as the office user) for each worker given;
    /// returns the same keys → record id.
    pub async fn records_for(&self, workers: &HashMap<String, i64>) -> HashMap<String, i64> {
        let mut tx = self.db.read().await.unwrap();
        let office = users::load_actor(&mut tx, UserId(self.ids["office"])).await.unwrap();
        drop(tx);
        let o = Origin {
            client_addr: "127.0.0.1".into(),
        };
        let call = shiminhua_app::Call {
            db: &self.db,
            cipher: &self.state.cipher,
            actor: &office,
            origin: &o,
            now: t0(),
        };
        let mut out = HashMap::new();
        for (n, (key, worker)) in workers.iter().enumerate() {
            let fields = employment(n as u32 + 1, "2024-03-05");
            let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
            let id =
                shiminhua_app::registry::records::create_record(&call, WorkerId(*worker), RecordKind::Employment, &get)
                    .await
                    .unwrap();
            out.insert(key.clone(), id);
        }
        out
    }

    pub async fn request(&self, agent: &mut Agent, method: &str, path: &str, body: Option<(&str, String)>) -> Resp {
        self.request_bytes(agent, method, path, body.map(|(c, b)| (c, b.into_bytes())))
            .await
    }

    /// [`TestApp::request`] with a body of bytes (an uploaded workbook).
    pub async fn request_bytes(
        &self,
        agent: &mut Agent,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if !agent.cookies.is_empty() {
            b = b.header(header::COOKIE, agent.header());
        }
        let req = match body {
            Some((ctype, body)) => b.header(header::CONTENT_TYPE, ctype).body(Body::from(body)).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        agent.absorb(&headers);
        let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024).await.unwrap();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// The same database and users with the configuration changed by `f`
    /// (its own state: throttles, metrics).
    pub fn with_config(&self, f: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.state.config.clone();
        f(&mut config);
        let state = AppState::new(
            self.db.clone(),
            config,
            self.clock.clone(),
            self.state.demo,
            self.state.cipher.clone(),
        );
        TestApp {
            router: shiminhua_web::router(state.clone()),
            state,
            db: self.db.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            data: self.data.clone(),
        }
    }

    /// A request over a connection from `peer` (an IP address) with extra
    /// `headers`; a form body when `fields` is not empty.
    pub async fn request_from(
        &self,
        agent: &mut Agent,
        method: &str,
        path: &str,
        peer: &str,
        headers: &[(&str, &str)],
        fields: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if !agent.cookies.is_empty() {
            b = b.header(header::COOKIE, agent.header());
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = if fields.is_empty() {
            b.body(Body::empty()).unwrap()
        } else {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                s.append_pair(k, v);
            }
            b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(s.finish()))
                .unwrap()
        };
        let addr = std::net::SocketAddr::new(peer.parse().unwrap(), 40000);
        req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        agent.absorb(&headers);
        let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024).await.unwrap();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, agent: &mut Agent, path: &str) -> Resp {
        self.request(agent, "GET", path, None).await
    }

    /// Posts a form; `csrf` is added from the agent's session page unless given.
    pub async fn post(&self, agent: &mut Agent, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            s.append_pair(k, v);
        }
        self.request(
            agent,
            "POST",
            path,
            Some(("application/x-www-form-urlencoded", s.finish())),
        )
        .await
    }

    /// Follows the answer to an upload, a new mapping or a commit (303 to
    /// the upload's page) until its job is done; returns the page then
    /// shown (the preview, the result, or the upload page with a reason).
    pub async fn import_done(&self, agent: &mut Agent, r: Resp) -> Resp {
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let to = r.location().to_string();
        assert!(to.starts_with("/imports/"), "{to}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        loop {
            let page = self.get(agent, &to).await;
            if !page.body.contains("http-equiv=\"refresh\"") {
                return page;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the job of {to} did not finish: {}",
                page.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The CSRF token of the agent's current page state.
    pub async fn csrf(&self, agent: &mut Agent) -> String {
        let r = self.get(agent, "/account").await;
        let t = r.csrf();
        if !t.is_empty() {
            return t;
        }
        self.get(agent, "/login").await.csrf()
    }

    /// Signs in through the pages, answering the second factor for the admin.
    pub async fn login(&self, user: &str) -> Agent {
        let mut a = Agent::default();
        let page = self.get(&mut a, "/login").await;
        let r = self
            .post(
                &mut a,
                "/login",
                &[("csrf", &page.csrf()), ("username", user), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "sign-in of {user}: {}", r.body);
        if r.location() == "/login/totp" {
            // A fresh time step for every sign-in (codes cannot be replayed).
            self.clock.advance(Duration::seconds(30));
            let page = self.get(&mut a, "/login/totp").await;
            let code = TotpSecret::from_bytes(ADMIN_SECRET.to_vec()).code_at(self.clock.now().timestamp());
            let r = self
                .post(&mut a, "/login/totp", &[("csrf", &page.csrf()), ("code", &code)])
                .await;
            assert_eq!(r.location(), "/", "second factor of {user}: {}", r.body);
        } else {
            assert_eq!(r.location(), "/", "sign-in of {user}");
        }
        a
    }
}

/// A valid unified social credit code, different for each `n`.
pub fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341021", &format!("MA{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

/// The fields of an employment record (as a form would send them).
pub fn employment(n: u32, start: &str) -> HashMap<String, String> {
    [
        ("credit_code", credit(n)),
        ("employer", "黄山某某制造有限公司".to_string()),
        ("industry", "C".to_string()),
        ("form", "就近就业".to_string()),
        ("start", start.to_string()),
        ("wage", "4200".to_string()),
        ("contract", "是".to_string()),
        ("public_service", "否".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A multipart/form-data body: (content type, body).
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &str)>) -> (String, String) {
    let b = "----shiminhua-test-boundary";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    if let Some((name, file_name, content)) = file {
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
             Content-Type: text/csv\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{b}--\r\n"));
    (format!("multipart/form-data; boundary={b}"), body)
}

/// A multipart/form-data body with a file of bytes: (content type, body).
pub fn multipart_file(fields: &[(&str, &str)], name: &str, file_name: &str, content: &[u8]) -> (String, Vec<u8>) {
    let b = "----shiminhua-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

/// Approves, as the office, any grant of `user_id` still waiting for a second person.
pub async fn approve_pending(app: &TestApp, user_id: i64) {
    shiminhua_app::testing::approve_pending(&app.db, t0(), user_id).await;
}
