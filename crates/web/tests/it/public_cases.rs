//! The public pages of wage-arrears cases (反映欠薪问题, 进度查询), without
//! signing in, through HTTP on SQLite and PostgreSQL: validation with the
//! input kept, the number and query code shown once, the lookup, the
//! challenge, throttling per client, CSRF, the switch, and what is stored.

use crate::common::{Agent, Resp, TestApp, field_value};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use shiminhua_app::both;
use shiminhua_app::config::Public;
use shiminhua_app::store::{Backend, Db, Sql};
use shiminhua_core::case::{Action, ActionInput};
use shiminhua_core::ids::CaseId;
use shiminhua_core::ids::UserId;
use shiminhua_web::AppState;
use std::net::SocketAddr;
use tower::ServiceExt;

both!(
    report_with_errors_keeps_the_input,
    report_then_lookup_and_reply,
    wrong_code_answers_like_an_unknown_number,
    challenge_is_required_and_single_use,
    throttled_per_client,
    forms_need_the_visitors_token,
    switched_off_answers_not_found,
    reporter_is_sealed_in_the_database,
);

const PHONE: &str = "13905591234";
const NAME: &str = "王建国";

/// `base` with the `[public]` settings changed by `f` (same database and
/// users, its own throttling and challenges).
pub(crate) fn app_with(base: &TestApp, f: impl FnOnce(&mut Public)) -> TestApp {
    let mut config = base.state.config.clone();
    f(&mut config.public);
    let state = AppState::new(
        base.db.clone(),
        config,
        base.clock.clone(),
        false,
        base.state.cipher.clone(),
    );
    TestApp {
        router: shiminhua_web::router(state.clone()),
        state,
        db: base.db.clone(),
        clock: base.clock.clone(),
        ids: base.ids.clone(),
        data: base.data.clone(),
    }
}

/// 0–99 in Chinese numerals, back to a number.
fn numeral(s: &str) -> u32 {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let digit = |c: &str| D.iter().position(|d| *d == c).unwrap() as u32;
    let chars: Vec<String> = s.chars().map(|c| c.to_string()).collect();
    match chars.iter().position(|c| c == "十") {
        None => digit(&chars[0]),
        Some(i) => {
            let tens = if i == 0 { 1 } else { digit(&chars[0]) };
            let ones = chars.get(i + 1).map(|c| digit(c)).unwrap_or(0);
            tens * 10 + ones
        }
    }
}

/// The challenge of a form page: (token, right answer).
pub(crate) fn solve(page: &str) -> (String, String) {
    let start = page.find("class=\"challenge-q\">").expect("a challenge") + "class=\"challenge-q\">".len();
    let q = &page[start..start + page[start..].find("</span>").unwrap()];
    let q = q.trim_end_matches("等于几？");
    let n = if let Some((a, b)) = q.split_once('加') {
        numeral(a) + numeral(b)
    } else {
        let (a, b) = q.split_once('减').unwrap();
        numeral(a) - numeral(b)
    };
    (field_value(page, "challenge_token"), n.to_string())
}

/// A complete report (construction, with a contact).
fn good() -> Vec<(&'static str, String)> {
    [
        ("region", "341021100"),
        ("employer_name", "黄山某建筑劳务有限公司"),
        ("employer_address", "歙县徽城镇某路1号"),
        ("sector", "construction"),
        ("project_name", "徽城安置房项目"),
        ("workers", "12"),
        ("amount_claimed", "86400"),
        ("arrears_from", "2026-05-01"),
        ("arrears_to", "2026-08-31"),
        ("description", "五月至八月工资未发放，多次找项目经理未果。"),
        ("reporter_name", NAME),
        ("reporter_phone", PHONE),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .chain([("contractor_credit_code", crate::common::credit(2))])
    .collect()
}

/// Posts `fields` to the report form as `agent`, with the token of the
/// form page and, when `answer` says so, the right answer to its challenge.
async fn submit(app: &TestApp, agent: &mut Agent, fields: &[(&str, String)], answer: bool) -> Resp {
    let page = app.get(agent, "/public/cases/new").await;
    assert_eq!(page.status, StatusCode::OK);
    let mut all: Vec<(&str, String)> = fields.to_vec();
    all.push(("csrf", page.csrf()));
    if answer {
        let (token, a) = solve(&page.body);
        all.push(("challenge_token", token));
        all.push(("challenge_answer", a));
    }
    let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post(agent, "/public/cases/new", &pairs).await
}

/// Posts `fields` to the report form as they are.
async fn send(app: &TestApp, agent: &mut Agent, fields: &[(&str, String)]) -> Resp {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post(agent, "/public/cases/new", &pairs).await
}

/// The case number and query code shown after a report.
fn number_and_code(r: &Resp) -> (String, String) {
    let grab = |id: &str| {
        let key = format!("id=\"{id}\">");
        let i = r.body.find(&key).unwrap_or_else(|| panic!("{id} in {}", r.body)) + key.len();
        r.body[i..i + r.body[i..].find('<').unwrap()].to_string()
    };
    (grab("case-number"), grab("query-code"))
}

async fn lookup(app: &TestApp, agent: &mut Agent, number: &str, code: &str) -> Resp {
    let page = app.get(agent, "/public/cases/query").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    app.post(
        agent,
        "/public/cases/query",
        &[("csrf", csrf.as_str()), ("number", number), ("code", code)],
    )
    .await
}

async fn count(db: &Db, table: &str) -> i64 {
    db.read()
        .await
        .unwrap()
        .int(Sql::new(&format!("SELECT COUNT(*) FROM {table}")))
        .await
        .unwrap()
}

async fn report_with_errors_keeps_the_input(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut anon = Agent::default();
    let page = app.get(&mut anon, "/public/cases/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(anon.cookies.contains_key("shm_csrf"), "a pre-session token");
    for text in [
        "反映欠薪问题",
        "歙县 徽城镇",
        "<optgroup label=\"黟县\">",
        "工程建设",
        "匿名反映",
        "验证问题",
    ] {
        assert!(page.body.contains(text), "the form shows {text}");
    }
    assert!(!page.body.contains("<script"), "no script");
    assert!(
        !page.body.contains("http://") && !page.body.contains("https://"),
        "no external assets"
    );

    let mut bad = good();
    bad.retain(|(k, _)| !["project_name", "workers", "reporter_phone"].contains(k));
    bad.push(("workers", "0".into()));
    bad.push(("reporter_phone", "123".into()));
    bad.push(("employer_credit_code", "91341021MA2N00001X".into()));
    let r = submit(&app, &mut anon, &bad, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Each error next to its field, marked.
    for (field, text) in [
        (
            "project_name",
            "工程建设领域的，请填写工程项目名称或施工总承包单位名称（填一项即可）",
        ),
        ("workers", "涉及人数应为1至100000人"),
        ("reporter_phone", "手机号码应为11位数字"),
        ("employer_credit_code", "统一社会信用代码校验不通过"),
    ] {
        let key = format!("<p class=\"field-error\" id=\"{field}-err\">");
        let i = r
            .body
            .find(&key)
            .unwrap_or_else(|| panic!("error of {field}: {}", r.body));
        assert!(r.body[i..].starts_with(&format!("{key}{text}")), "{field}");
        assert!(r.body.contains(&format!("aria-describedby=\"{field}-err\"")));
    }
    // Everything typed is kept.
    for v in [
        "黄山某建筑劳务有限公司",
        "歙县徽城镇某路1号",
        "五月至八月工资未发放，多次找项目经理未果。",
        NAME,
        "value=\"123\"",
        "value=\"86400\"",
        "value=\"2026-05-01\"",
        "value=\"0\"",
        "<option value=\"341021100\" selected>",
        "<option value=\"construction\" selected>",
    ] {
        assert!(r.body.contains(v), "kept: {v}");
    }
    assert_eq!(count(&db, "cases").await, 0);

    // Anonymous with a name: refused at the check box.
    let mut anonymous = good();
    anonymous.push(("anonymous", "1".into()));
    let r = submit(&app, &mut anon, &anonymous, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"anonymous-err\">匿名反映的，不填写反映人信息"));
    assert!(r.body.contains("name=\"anonymous\" value=\"1\" checked"));
    // Anonymous without: accepted.
    anonymous.retain(|(k, _)| !["reporter_name", "reporter_phone"].contains(k));
    let r = submit(&app, &mut anon, &anonymous, true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(count(&db, "cases").await, 1);
}

async fn report_then_lookup_and_reply(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut anon = Agent::default();
    let r = submit(&app, &mut anon, &good(), true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    assert!(r.headers.get(header::LOCATION).is_none(), "answered directly");
    let (number, code) = number_and_code(&r);
    assert!(number.starts_with("HS2026-"), "{number}");
    assert_eq!(code.len(), 8);
    assert!(r.body.contains("请<strong>立即抄写或截图保存</strong>"));
    // Nothing of the reporter is shown back.
    for absent in [NAME, PHONE, "黄山某建筑劳务有限公司"] {
        assert!(!r.body.contains(absent), "{absent}");
    }

    // The lookup: status, day received, no reply yet.
    let l = lookup(&app, &mut anon, &number, &code).await;
    assert_eq!(l.status, StatusCode::OK, "{}", l.body);
    for text in ["已登记，待受理", "2026年9月30日", &number, "暂无答复"] {
        assert!(l.body.contains(text), "lookup shows {text}");
    }
    for absent in [code.as_str(), NAME, PHONE, "黄山某建筑劳务有限公司", "五月至八月"] {
        assert!(!l.body.contains(absent), "lookup does not show {absent}");
    }
    // Lower case and full-width letters are the same code and number.
    let full_width: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from_u32(c as u32 + 0xFEE0).unwrap()
            } else {
                c
            }
        })
        .collect();
    let l = lookup(&app, &mut anon, &full_width, &code.to_lowercase()).await;
    assert_eq!(l.status, StatusCode::OK);

    // The county's officer accepts it with a reply to the reporter and a note.
    let mut tx = db.read().await.unwrap();
    let officer = shiminhua_app::users::load_actor(&mut tx, UserId(app.ids["shexian"]))
        .await
        .unwrap();
    let (id, version): (i64, i64) = tx
        .one(Sql::new("SELECT id, version FROM cases WHERE number = $1").bind(number.clone()))
        .await
        .unwrap();
    drop(tx);
    let origin = shiminhua_app::Origin::default();
    let call = shiminhua_app::Call {
        db: &db,
        cipher: &app.state.cipher,
        actor: &officer,
        origin: &origin,
        now: app.clock.now(),
    };
    let input = ActionInput {
        note: "内部意见：先约谈项目经理".into(),
        public_reply: "您反映的问题已受理，我们将尽快调查。".into(),
        ..ActionInput::default()
    };
    shiminhua_app::rights::cases::act(&call, CaseId(id), version, Action::Accept, &input)
        .await
        .unwrap();
    let l = lookup(&app, &mut anon, &number, &code).await;
    assert_eq!(l.status, StatusCode::OK);
    assert!(l.body.contains("已受理"));
    assert!(l.body.contains("您反映的问题已受理，我们将尽快调查。"));
    assert!(!l.body.contains("内部意见"), "the note stays internal");
    assert!(!l.body.contains("暂无答复"));
}

async fn wrong_code_answers_like_an_unknown_number(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut anon = Agent::default();
    let r = submit(&app, &mut anon, &good(), true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (number, code) = number_and_code(&r);
    let wrong = if code.starts_with('A') { "B" } else { "A" }.to_string() + &code[1..];
    let a = lookup(&app, &mut anon, &number, &wrong).await;
    let unknown = "HS2026-999999";
    let b = lookup(&app, &mut anon, unknown, &code).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.status, b.status);
    assert!(a.body.contains("没有查到"));
    assert!(
        !a.body.contains(&wrong) && !b.body.contains(&code),
        "the code is not echoed"
    );
    assert_eq!(
        a.body.replace(&format!("value=\"{number}\""), ""),
        b.body.replace(&format!("value=\"{unknown}\""), ""),
        "the same answer apart from the number typed"
    );
    // Missing fields are marked.
    let l = lookup(&app, &mut anon, "", "").await;
    assert_eq!(l.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(l.body.contains("id=\"number-err\">请填写案件编号"));
    assert!(l.body.contains("id=\"code-err\">请填写查询码"));
}

async fn challenge_is_required_and_single_use(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut anon = Agent::default();
    // No answer at all.
    let r = submit(&app, &mut anon, &good(), false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("id=\"challenge_answer-err\">请回答下面的验证问题后再提交。")
    );
    assert!(r.body.contains("黄山某建筑劳务有限公司"), "input kept");

    // A wrong answer: the form again, input kept, a new question.
    let page = app.get(&mut anon, "/public/cases/new").await;
    let (token, right) = solve(&page.body);
    let wrong = (right.parse::<u32>().unwrap() + 1).to_string();
    let csrf = page.csrf();
    let mut fields: Vec<(&str, String)> = good();
    fields.push(("csrf", csrf.clone()));
    fields.push(("challenge_token", token.clone()));
    let post = |answer: String| {
        let mut f = fields.clone();
        f.push(("challenge_answer", answer));
        f
    };
    let r = send(&app, &mut anon, &post(wrong)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("验证问题回答不正确"), "{}", r.body);
    assert!(r.body.contains("徽城安置房项目"), "input kept");
    assert_ne!(field_value(&r.body, "challenge_token"), token, "a new question");
    // The token is spent: the right answer with it is refused now.
    let r = send(&app, &mut anon, &post(right.clone())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("该验证问题已经回答过"));
    assert_eq!(count(&db, "cases").await, 0);

    // Right once; the same token again (e.g. the form sent twice) is refused.
    let page = app.get(&mut anon, "/public/cases/new").await;
    let (token, right) = solve(&page.body);
    let mut fields = good();
    fields.push(("csrf", page.csrf()));
    fields.push(("challenge_token", token));
    fields.push(("challenge_answer", right));
    let r = send(&app, &mut anon, &fields).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = send(&app, &mut anon, &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("该验证问题已经回答过"));
    assert_eq!(count(&db, "cases").await, 1);

    // Expired after 30 minutes.
    let page = app.get(&mut anon, "/public/cases/new").await;
    let (token, right) = solve(&page.body);
    app.clock.advance(Duration::minutes(31));
    let mut fields = good();
    fields.push(("csrf", page.csrf()));
    fields.push(("challenge_token", token));
    fields.push(("challenge_answer", right));
    let r = send(&app, &mut anon, &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("有效期"));
    assert_eq!(count(&db, "cases").await, 1);

    // Switched off: no question, and none needed.
    let off = app_with(&app, |p| p.challenge = false);
    let mut a = Agent::default();
    let page = off.get(&mut a, "/public/cases/new").await;
    assert!(!page.body.contains("challenge_token"));
    let r = submit(&off, &mut a, &good(), false).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// A request from the client address `from`.
pub(crate) async fn from(app: &TestApp, agent: &mut Agent, from: &str, path: &str, fields: &[(&str, &str)]) -> Resp {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    let cookies = agent
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookies)
        .body(Body::from(s.finish()))
        .unwrap();
    let addr: SocketAddr = format!("{from}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn throttled_per_client(db: Db) {
    let app = app_with(&TestApp::new(db, false).await, |p| {
        p.submissions_per_hour = 2;
        p.lookups_per_minute = 3;
    });
    let mut anon = Agent::default();
    let csrf = app.get(&mut anon, "/public/cases/new").await.csrf();
    let report = [("csrf", csrf.as_str()), ("employer_name", "某某公司")];
    for _ in 0..2 {
        let r = from(&app, &mut anon, "10.1.1.1", "/public/cases/new", &report).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = from(&app, &mut anon, "10.1.1.1", "/public/cases/new", &report).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=1800).contains(&wait), "{wait}");
    assert!(r.body.contains("提交过于频繁"), "{}", r.body);
    assert!(r.body.contains("某某公司"), "input kept");
    // Another client is served.
    let r = from(&app, &mut anon, "10.1.1.2", "/public/cases/new", &report).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Lookups have their own limit.
    let q = [
        ("csrf", csrf.as_str()),
        ("number", "HS2026-000001"),
        ("code", "ABCDEFGH"),
    ];
    for _ in 0..3 {
        let r = from(&app, &mut anon, "10.1.1.1", "/public/cases/query", &q).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = from(&app, &mut anon, "10.1.1.1", "/public/cases/query", &q).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(r.body.contains("提交过于频繁"));
    let r = from(&app, &mut anon, "10.1.1.3", "/public/cases/query", &q).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // 0: no limit.
    let open = app_with(&app, |p| {
        p.submissions_per_hour = 0;
        p.lookups_per_minute = 0;
    });
    for _ in 0..30 {
        let r = from(&open, &mut anon, "10.1.1.1", "/public/cases/query", &q).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

async fn forms_need_the_visitors_token(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut anon = Agent::default();
    let page = app.get(&mut anon, "/public/cases/new").await;
    let (token, answer) = solve(&page.body);
    let mut fields = good();
    fields.push(("challenge_token", token));
    fields.push(("challenge_answer", answer));
    // Posted from elsewhere: no cookie, or a token not the visitor's.
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post(&mut Agent::default(), "/public/cases/new", &pairs).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("页面已过期或来源无法确认"));
    assert!(r.body.contains("徽城安置房项目"), "input kept");
    let mut other = Agent::default();
    let theirs = app.get(&mut other, "/public/cases/new").await.csrf();
    let mut with_theirs = pairs.clone();
    with_theirs.push(("csrf", theirs.as_str()));
    let r = app.post(&mut anon, "/public/cases/new", &with_theirs).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            &mut anon,
            "/public/cases/query",
            &[("number", "HS2026-000001"), ("code", "ABCDEFGH")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&db, "cases").await, 0);
    // The cookie is SameSite=Strict.
    let set = page.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("shm_csrf=") && set.contains("SameSite=Strict"), "{set}");
    // A signed-in officer may use the form too (with the session's token),
    // and the page shows nothing of the session.
    let mut officer = app.login("shexian").await;
    let r = submit(&app, &mut officer, &good(), true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(!r.body.contains("退出登录"));
}

async fn switched_off_answers_not_found(db: Db) {
    let on = TestApp::new(db, false).await;
    let app = app_with(&on, |p| p.cases = false);
    let mut anon = Agent::default();
    let csrf = app.get(&mut anon, "/login").await.csrf();
    let unknown = app.get(&mut anon, "/no/such/page").await;
    for path in ["/public/cases/new", "/public/cases/query"] {
        let r = app.get(&mut anon, path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body, unknown.body, "like any unknown address");
        let r = app.post(&mut anon, path, &[("csrf", csrf.as_str())]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    // On by default.
    assert_eq!(on.get(&mut anon, "/public/cases/query").await.status, StatusCode::OK);
}

/// Every column of every row of `table` as text (blobs in hex).
async fn dump(db: &Db, table: &str) -> String {
    let mut tx = db.read().await.unwrap();
    let cols: Vec<(String,)> = match db.backend() {
        Backend::Sqlite => {
            tx.all(Sql::new(&format!("SELECT name FROM pragma_table_info('{table}')")))
                .await
        }
        Backend::Postgres => {
            tx.all(
                Sql::new("SELECT column_name::text FROM information_schema.columns WHERE table_name = $1")
                    .bind(table.to_string()),
            )
            .await
        }
    }
    .unwrap();
    assert!(cols.len() > 3, "{table}: {cols:?}");
    let mut out = String::new();
    for (c,) in cols {
        let q = match db.backend() {
            Backend::Sqlite => format!("SELECT COALESCE(quote(\"{c}\"), '') FROM {table}"),
            Backend::Postgres => format!("SELECT COALESCE((\"{c}\")::text, '') FROM {table}"),
        };
        let vals: Vec<(String,)> = tx.all(Sql::new(&q)).await.unwrap();
        for (v,) in vals {
            out.push_str(&v.to_lowercase());
            out.push('\n');
        }
    }
    out
}

async fn reporter_is_sealed_in_the_database(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut anon = Agent::default();
    let id_number = shiminhua_core::id_number::IdNumber::from_parts(
        "341021",
        chrono::NaiveDate::from_ymd_opt(1980, 1, 2).unwrap(),
        31,
    )
    .unwrap();
    let mut fields = good();
    fields.push(("reporter_id_number", id_number.as_str().to_string()));
    let r = submit(&app, &mut anon, &fields, true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (_, code) = number_and_code(&r);
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let cases = dump(&db, "cases").await;
    assert!(cases.contains("黄山某建筑劳务有限公司"), "the dump reads the row");
    assert!(cases.contains("139****1234"), "a masked copy");
    for table in ["cases", "case_events", "audit_log"] {
        let all = dump(&db, table).await;
        for secret in [PHONE, NAME, id_number.as_str(), code.as_str()] {
            let s = secret.to_lowercase();
            assert!(!all.contains(&s), "{table} holds {secret} in clear");
            assert!(!all.contains(&hex(&s)), "{table} holds {secret} as bytes");
        }
    }
}
