//! Forms and lists over HTTP, on SQLite and PostgreSQL: wide lists marked
//! for landscape print, every error of a refused form or case step at once
//! on top of it with the input kept, field errors that name the problem
//! once, 转办 from a list, the public report for a worker who has left the
//! site (no credit code needed), registrations that a refresh never files
//! twice, places named with their county, the audit log in Chinese with its
//! filters, and the calendar's reminders and Chinese upload format.

use crate::common::{Agent, Resp, TestApp, credit, field_value, multipart};
use axum::http::{StatusCode, header};
use chrono::Duration;
use shiminhua_app::both;
use shiminhua_app::store::{Db, Sql};

both!(
    wide_lists_are_marked_for_landscape_print,
    field_errors_name_the_problem_once,
    record_form_reports_every_error_at_once,
    refused_close_lists_all_errors_on_top_of_its_form,
    transfer_chooses_a_township_from_a_list,
    public_report_without_credit_code_survives_a_refresh,
    wrong_challenge_is_shown_with_the_other_errors,
    staff_registration_survives_a_refresh,
    places_are_named_with_their_county,
    audit_log_reads_in_chinese_and_filters,
    calendar_reminds_from_november,
    calendar_loads_chinese_headers,
);

/// The text between `start` and the next `end`.
fn between(s: &str, start: &str, end: &str) -> String {
    let i = s.find(start).unwrap_or_else(|| panic!("{start} not in {s}")) + start.len();
    s[i..i + s[i..].find(end).unwrap()].to_string()
}

async fn count(db: &Db, table: &str) -> i64 {
    db.read()
        .await
        .unwrap()
        .int(Sql::new(&format!("SELECT COUNT(*) FROM {table}")))
        .await
        .unwrap()
}

async fn page_ok(app: &TestApp, agent: &mut Agent, path: &str) -> String {
    let r = app.get(agent, path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

/// Posts `fields` with the agent's CSRF token.
async fn post_form(app: &TestApp, agent: &mut Agent, path: &str, fields: &[(&str, String)]) -> Resp {
    let csrf = app.csrf(agent).await;
    let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
    app.post(agent, path, &all).await
}

/// A hotline case's registration fields in `region`.
fn case_fields(region: &str) -> Vec<(&'static str, String)> {
    vec![
        ("source", "hotline".into()),
        ("received_on", "2026-09-30".into()),
        ("reporter", "contact".into()),
        ("reporter_name", "张小三".into()),
        ("reporter_phone", "13905591234".into()),
        ("employer_name", "黄山某建筑劳务有限公司".into()),
        ("employer_credit_code", credit(1)),
        ("sector", "construction".into()),
        ("project_name", "徽城安置房二期".into()),
        ("workers", "12".into()),
        ("amount_claimed", "86,400".into()),
        ("arrears_from", "2026-05-01".into()),
        ("arrears_to", "2026-08-31".into()),
        ("description", "五月至八月工资未发放".into()),
        ("region", region.into()),
    ]
}

/// Registers a case through the staff form (without a form token: the
/// page answers directly); returns (id, number).
async fn register(app: &TestApp, agent: &mut Agent, region: &str) -> (i64, String) {
    let r = post_form(app, agent, "/cases/new", &case_fields(region)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let number = between(&r.body, "<strong class=\"case-number\">", "</strong>");
    let id = between(&r.body, "<a class=\"button primary\" href=\"/cases/", "\"")
        .parse()
        .unwrap();
    (id, number)
}

/// Takes `action` from the case page (with the version it shows).
async fn act(app: &TestApp, agent: &mut Agent, id: i64, action: &str, fields: &[(&str, &str)]) -> Resp {
    let page = page_ok(app, agent, &format!("/cases/{id}")).await;
    let version = field_value(&page, "version");
    let csrf = app.csrf(agent).await;
    let mut all = vec![
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("action", action),
    ];
    all.extend_from_slice(fields);
    app.post(agent, &format!("/cases/{id}/act"), &all).await
}

// ---------------------------------------------------------------------------

async fn wide_lists_are_marked_for_landscape_print(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut anon = Agent::default();
    let css = page_ok(&app, &mut anon, "/static/app.css").await;
    assert!(css.contains("@page wide { size: A4 landscape;"), "landscape page");
    assert!(css.contains("main:has(table.wide) { page: wide; }"));
    assert!(
        css.contains("table.wide thead { display: table-header-group; }"),
        "header on every page"
    );
    assert!(
        css.contains(".status, .mark, .badge { white-space: nowrap; }"),
        "badges on one line"
    );
    let workers = app.workers_in(&["徽城镇"]).await;
    app.records_for(&workers).await;
    let mut office = app.login("office").await;
    for path in ["/workers", "/records?kind=employment", "/cases", "/reports"] {
        let body = page_ok(&app, &mut office, path).await;
        assert!(body.contains("<table class=\"table wide"), "{path} prints landscape");
    }
    let mut auditor = app.login("auditor").await;
    let body = page_ok(&app, &mut auditor, "/audit").await;
    assert!(
        body.contains("<table class=\"table wide"),
        "the audit log prints landscape"
    );
    // A narrow page stays portrait.
    let body = page_ok(&app, &mut office, "/cases/new").await;
    assert!(!body.contains("table wide"));
}

async fn field_errors_name_the_problem_once(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut shexian = app.login("shexian").await;
    // A mistyped credit code: the check fails, the whole code is to be checked.
    let good = credit(3);
    let wrong = format!("{}{}", &good[..17], if good.ends_with('1') { '2' } else { '1' });
    let mut fields = case_fields("徽城镇");
    fields.push(("contractor_credit_code", wrong.clone()));
    fields.retain(|(k, _)| *k != "workers");
    fields.push(("workers", "0".into()));
    let r = post_form(&app, &mut shexian, "/cases/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = "统一社会信用代码校验不通过，可能有字符输错，请对照营业执照逐位核对整个代码";
    assert!(
        r.body.contains(&format!(
            "<p class=\"field-error\" id=\"contractor_credit_code-err\">{msg}</p>"
        )),
        "{}",
        r.body
    );
    assert!(!r.body.contains("统一社会信用代码：统一社会信用代码"), "named once");
    assert!(!r.body.contains("校验码应为"), "no character to change the code to");
    // Both errors at once on top, linked to their fields, the input kept.
    let summary = between(
        &r.body,
        "<div class=\"error-box error-summary\" role=\"alert\" id=\"errors\">",
        "</div>",
    );
    assert!(summary.contains("有2处需要修改"), "{summary}");
    assert!(summary.contains(&format!("<a href=\"#contractor_credit_code\">{msg}</a>")));
    assert!(summary.contains("<a href=\"#workers\">涉及人数应为1至100000人</a>"));
    assert!(
        r.body.find("error-summary").unwrap() < r.body.find("<form method=\"post\" action=\"/cases/new\"").unwrap(),
        "above the form"
    );
    assert!(r.body.contains(&format!("value=\"{wrong}\"")));
    assert_eq!(count(&app.db, "cases").await, 0);

    // A worker's ID number with a wrong check character.
    let id = shiminhua_core::id_number::IdNumber::from_parts(
        "341021",
        chrono::NaiveDate::from_ymd_opt(1990, 5, 6).unwrap(),
        21,
    )
    .unwrap();
    let s = id.as_str();
    let bad = format!("{}{}", &s[..17], if s.ends_with('0') { '1' } else { '0' });
    let r = post_form(
        &app,
        &mut shexian,
        "/workers/new",
        &[
            ("name", "王小红".into()),
            ("id_number", bad),
            ("phone", "139".into()),
            ("region", "341021100".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("身份证号校验不通过，可能有数字输错或顺序颠倒，请对照身份证逐位核对整个号码")
    );
    assert!(!r.body.contains("身份证号：身份证号") && !r.body.contains("第18位校验码"));
    let summary = between(&r.body, "id=\"errors\">", "</div>");
    assert!(
        summary.contains("有2处需要修改") && summary.contains("href=\"#phone\""),
        "{summary}"
    );
}

async fn record_form_reports_every_error_at_once(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let workers = app.workers_in(&["徽城镇"]).await;
    let worker = workers["徽城镇"];
    let mut office = app.login("office").await;
    let path = format!("/workers/{worker}/records/new");
    let form = page_ok(&app, &mut office, &format!("{path}?kind=employment")).await;
    assert!(form.contains("name=\"form_kind\" value=\"employment\""));
    let mut fields: Vec<(&str, String)> = vec![
        ("credit_code", credit(1)),
        ("employer", "黄山某某制造有限公司".into()),
        ("industry", "C".into()),
        ("form", "就近就业".into()),
        ("start", "2024-03-05".into()),
        ("contract", "是".into()),
        ("public_service", "否".into()),
    ];
    fields.retain(|(k, _)| !["end", "wage"].contains(k));
    // Two problems of their own and one between fields, in one submission.
    fields.push(("form_kind", "employment".into()));
    fields.push(("wage", "三千".into()));
    fields.push(("end", "2024-01-01".into()));
    let r = post_form(&app, &mut office, &path, &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let summary = between(&r.body, "id=\"errors\">", "</div>");
    assert!(summary.contains("href=\"#f-wage\""), "the wage: {summary}");
    assert!(
        summary.contains("<a href=\"#f-end\">就业结束日期不能早于开始日期</a>"),
        "the rule between fields, in the same answer: {summary}"
    );
    assert!(
        r.body.contains("value=\"三千\"") && r.body.contains("value=\"2024-01-01\""),
        "kept"
    );
    assert_eq!(count(&db, "records").await, 0);
}

async fn refused_close_lists_all_errors_on_top_of_its_form(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut shexian = app.login("shexian").await;
    let (id, _) = register(&app, &mut shexian, "徽城镇").await;
    for step in ["accept", "investigate"] {
        let r = act(&app, &mut shexian, id, step, &[("note", "按程序办理")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{step}: {}", r.body);
        assert!(
            r.location().ends_with("#top"),
            "the page opens at its top: {}",
            r.location()
        );
    }
    let page = page_ok(&app, &mut shexian, &format!("/cases/{id}")).await;
    assert!(
        page.contains(&format!(
            "action=\"/cases/{id}/act#act-close\" class=\"form\" novalidate>"
        )),
        "the answer opens at the form that was sent, and the server (not the browser, one field at a time) checks it"
    );
    // 办结 with wrong counts: no conclusion, more paid than concerned.
    let r = act(
        &app,
        &mut shexian,
        id,
        "close",
        &[
            ("amount_recovered", "86400"),
            ("workers_paid", "13"),
            ("note", "已全部追回"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let section = between(&r.body, "<section class=\"case-action\" id=\"act-close\"", "</section>");
    let summary = between(&section, "id=\"act-close-errors\">", "</div>");
    assert!(summary.contains("未能办理“办结”，有2处需要修改"), "{summary}");
    assert!(
        summary.contains("<a href=\"#close-conclusion\">请选择办结结论</a>"),
        "{summary}"
    );
    assert!(
        summary.contains("<a href=\"#close-paid\">已支付人数（13）不能多于涉及人数（12）</a>"),
        "{summary}"
    );
    assert!(
        section.find("error-summary").unwrap() < section.find("<form").unwrap(),
        "the errors on top of the form"
    );
    for kept in ["value=\"86400\"", "value=\"13\"", "已全部追回"] {
        assert!(section.contains(kept), "kept: {kept}");
    }
    let (status,): (String,) = db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT status FROM cases WHERE id = $1").bind(id))
        .await
        .unwrap();
    assert_eq!(status, "investigating", "nothing written");
}

async fn transfer_chooses_a_township_from_a_list(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut shexian = app.login("shexian").await;
    let (id, _) = register(&app, &mut shexian, "徽城镇").await;
    let r = act(&app, &mut shexian, id, "accept", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = page_ok(&app, &mut shexian, &format!("/cases/{id}")).await;
    let select = between(&page, "<select id=\"transfer-region\" name=\"region\"", "</select>");
    assert!(select.contains("<optgroup label=\"黟县\">"), "other counties: {select}");
    assert!(
        select.contains("<option value=\"341004100\">徽州区 岩寺镇</option>"),
        "{select}"
    );
    assert!(
        !select.contains("<optgroup label=\"歙县\">"),
        "not the case's own county"
    );
    assert!(!page.contains("<datalist"), "nothing to type");
    let r = act(
        &app,
        &mut shexian,
        id,
        "transfer",
        &[("region", "341004100"), ("reason", "用人单位注册地和工地均在徽州区")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (region,): (i64,) = db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT region_code FROM cases WHERE id = $1").bind(id))
        .await
        .unwrap();
    assert_eq!(region, 341004100000, "岩寺镇");
}

/// The public form's fields: a construction site known by its contractor's
/// name only (no project name, no credit code).
fn report_fields() -> Vec<(&'static str, String)> {
    [
        ("region", "341021100"),
        ("employer_name", "黄山某建筑劳务有限公司"),
        ("sector", "construction"),
        ("contractor_name", "安徽某建工集团有限公司"),
        ("workers", "3"),
        ("amount_claimed", "21000"),
        ("arrears_from", "2026-06-01"),
        ("arrears_to", "2026-08-31"),
        ("description", "离开工地后老板一直不结工资。"),
        ("reporter_name", "汪师傅"),
        ("reporter_phone", "13905591234"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

/// `[public] challenge` off: this module checks the forms, not the sums.
fn without_challenge(app: &TestApp) -> TestApp {
    app.with_config(|c| c.public.challenge = false)
}

async fn public_report_without_credit_code_survives_a_refresh(db: Db) {
    let app = without_challenge(&TestApp::new(db.clone(), false).await);
    let mut phone = Agent::default();
    let form = page_ok(&app, &mut phone, "/public/cases/new").await;
    let token = field_value(&form, "submit_token");
    assert_eq!(token.len(), 64, "a one-time token on the form");
    assert!(form.contains("施工总承包单位名称"));
    // Neither the project's name nor the contractor's: one of them is asked for.
    let mut none = report_fields();
    none.retain(|(k, _)| *k != "contractor_name");
    let mut fields = none.clone();
    fields.push(("submit_token", token.clone()));
    let r = post_form(&app, &mut phone, "/public/cases/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写工程项目名称或施工总承包单位名称（填一项即可）"));
    assert!(
        !r.body.contains("contractor_credit_code-err"),
        "the credit code is not asked for"
    );
    assert_eq!(field_value(&r.body, "submit_token"), token, "the form keeps its token");

    // With the contractor's name: filed, and redirected.
    let mut fields = report_fields();
    fields.push(("submit_token", token.clone()));
    let r = post_form(&app, &mut phone, "/public/cases/new", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/public/cases/done");
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=1800"),
        "{cookie}"
    );
    let done = page_ok(&app, &mut phone, "/public/cases/done").await;
    let number = between(&done, "id=\"case-number\">", "<");
    let code = between(&done, "id=\"query-code\">", "<");
    assert!(number.starts_with("HS2026-") && code.len() == 8, "{number} {code}");
    assert!(
        !r.location().contains(&code) && !cookie.contains(&code),
        "the code is never in an address or cookie"
    );
    // A refresh: the same case, the same code.
    let again = page_ok(&app, &mut phone, "/public/cases/done").await;
    assert_eq!(between(&again, "id=\"case-number\">", "<"), number);
    assert_eq!(between(&again, "id=\"query-code\">", "<"), code);
    // The form sent again (back and resubmit): no second case.
    let r = post_form(&app, &mut phone, "/public/cases/new", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/public/cases/done?again=1");
    let again = page_ok(&app, &mut phone, "/public/cases/done?again=1").await;
    assert!(again.contains("没有重复登记"));
    assert_eq!(between(&again, "id=\"case-number\">", "<"), number);
    assert_eq!(between(&again, "id=\"query-code\">", "<"), code);
    assert_eq!(count(&db, "cases").await, 1);
    // The code works, and is kept as an HMAC: nothing in the database reads as it.
    let (contractor, credit_code): (String, String) = db
        .read()
        .await
        .unwrap()
        .one(
            Sql::new("SELECT contractor_name, contractor_credit_code FROM cases WHERE number = $1")
                .bind(number.clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        (contractor.as_str(), credit_code.as_str()),
        ("安徽某建工集团有限公司", "")
    );
    let view = shiminhua_app::rights::cases::public_view(&db, &app.state.cipher, &number, &code)
        .await
        .unwrap();
    assert!(view.is_some());
    let wrapped: Vec<u8> = db
        .read()
        .await
        .unwrap()
        .one::<(Vec<u8>,)>(Sql::new("SELECT code_wrapped FROM case_submissions"))
        .await
        .unwrap()
        .0;
    assert_ne!(wrapped, code.as_bytes());
    // Another browser sees nothing of it.
    let mut other = Agent::default();
    let none = page_ok(&app, &mut other, "/public/cases/done").await;
    assert!(none.contains("没有找到提交结果") && !none.contains(&number) && !none.contains(&code));
    // Half an hour later the number still shows, the code no more.
    app.clock.advance(Duration::minutes(31));
    let late = page_ok(&app, &mut phone, "/public/cases/done").await;
    assert_eq!(between(&late, "id=\"case-number\">", "<"), number);
    assert!(!late.contains(&code) && late.contains("不再显示"));
}

async fn wrong_challenge_is_shown_with_the_other_errors(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut phone = Agent::default();
    let form = page_ok(&app, &mut phone, "/public/cases/new").await;
    let mut fields = report_fields();
    fields.retain(|(k, _)| *k != "employer_name");
    fields.push(("challenge_token", field_value(&form, "challenge_token")));
    fields.push(("challenge_answer", "999".into()));
    fields.push(("submit_token", field_value(&form, "submit_token")));
    let r = post_form(&app, &mut phone, "/public/cases/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let summary = between(&r.body, "id=\"errors\">", "</div>");
    assert!(summary.contains("有2处内容需要修改"), "{summary}");
    assert!(
        summary.contains("<a href=\"#employer_name\">请填写用人单位名称</a>"),
        "{summary}"
    );
    assert!(summary.contains("href=\"#challenge_answer\""), "{summary}");
    assert!(r.body.contains("id=\"employer_name-err\"") && r.body.contains("id=\"challenge_answer-err\""));
    assert!(r.body.contains("离开工地后老板一直不结工资。"), "kept");
    assert_eq!(count(&db, "cases").await, 0);
}

async fn staff_registration_survives_a_refresh(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut shexian = app.login("shexian").await;
    let form = page_ok(&app, &mut shexian, "/cases/new").await;
    let token = field_value(&form, "submit_token");
    assert_eq!(token.len(), 64);
    let mut fields = case_fields("徽城镇");
    fields.push(("submit_token", token));
    let r = post_form(&app, &mut shexian, "/cases/new", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/cases/registered");
    let shown = page_ok(&app, &mut shexian, "/cases/registered").await;
    let number = between(&shown, "<strong class=\"case-number\">", "</strong>");
    let code = between(&shown, "<code class=\"secret\">", "</code>");
    let again = page_ok(&app, &mut shexian, "/cases/registered").await;
    assert_eq!(between(&again, "<strong class=\"case-number\">", "</strong>"), number);
    assert_eq!(between(&again, "<code class=\"secret\">", "</code>"), code);
    let r = post_form(&app, &mut shexian, "/cases/new", &fields).await;
    assert_eq!(r.location(), "/cases/registered?again=1");
    let again = page_ok(&app, &mut shexian, "/cases/registered?again=1").await;
    assert!(again.contains("没有重复登记") && again.contains(&number));
    assert_eq!(count(&db, "cases").await, 1);
    // Another officer's browser has nothing to show.
    let mut office = app.login("office").await;
    let none = page_ok(&app, &mut office, "/cases/registered").await;
    assert!(none.contains("没有可显示的登记结果") && !none.contains(&number) && !none.contains(&code));
}

async fn places_are_named_with_their_county(db: Db) {
    let app = TestApp::new(db, false).await;
    let workers = app.workers_in(&["徽城镇"]).await;
    app.records_for(&workers).await;
    let id = workers["徽城镇"];
    let mut office = app.login("office").await;
    let profile = page_ok(&app, &mut office, &format!("/workers/{id}")).await;
    assert!(profile.contains("<dd>歙县徽城镇</dd>"), "{profile}");
    assert!(!profile.contains("（341021100）"), "no code");
    let list = page_ok(&app, &mut office, "/workers").await;
    assert!(list.contains("<td>歙县徽城镇</td>"), "{list}");
    let mut shexian = app.login("shexian").await;
    let (case, _) = register(&app, &mut shexian, "徽城镇").await;
    let cases = page_ok(&app, &mut shexian, "/cases").await;
    assert!(cases.contains("歙县徽城镇"));
    let page = page_ok(&app, &mut shexian, &format!("/cases/{case}")).await;
    assert!(page.contains("<dd>歙县徽城镇</dd>"));
    let units = page_ok(&app, &mut office, "/units").await;
    assert!(
        units.contains("<td>歙县</td>") || units.contains("<td>黄山市</td>"),
        "units' places by name"
    );
}

async fn audit_log_reads_in_chinese_and_filters(db: Db) {
    let app = TestApp::new(db, false).await;
    let workers = app.workers_in(&["徽城镇"]).await;
    let worker = workers["徽城镇"];
    let mut shexian = app.login("shexian").await;
    let (_, number) = register(&app, &mut shexian, "徽城镇").await;
    page_ok(&app, &mut shexian, &format!("/workers/{worker}")).await;
    let mut auditor = app.login("auditor").await;
    // Reads are written in the background.
    app.state.reads.flush().await;
    let page = page_ok(&app, &mut auditor, "/audit").await;
    for shown in [
        "<td>区县/乡镇工作人员</td>",
        &format!("<td>欠薪案件 {number}</td>"),
        &format!("案件编号：{number}；来源：12333热线；区县：歙县"),
        &format!("<td>农民工 测**（编号 {worker}）</td>"),
    ] {
        assert!(page.contains(shown), "«{shown}» in the log");
    }
    for raw in ["<td>local</td>", "number=", "source=hotline", "测试甲"] {
        assert!(!page.contains(raw), "no «{raw}»");
    }
    // By person: the township officer's rows only.
    let page = page_ok(&app, &mut auditor, "/audit?user=shexian").await;
    assert!(page.contains("<option value=\"shexian\" selected>"));
    let rows = page.matches("<tr>\n    <td class=\"num\">").count();
    assert!(rows >= 2, "{rows}");
    assert_eq!(page.matches("<td>shexian</td>").count(), rows);
    // By object: the case, by its number.
    let page = page_ok(
        &app,
        &mut auditor,
        &format!("/audit?object=case&object_id={}", number.to_lowercase()),
    )
    .await;
    let rows = page.matches("<tr>\n    <td class=\"num\">").count();
    assert!(rows >= 1);
    assert_eq!(page.matches(&format!("<td>欠薪案件 {number}</td>")).count(), rows);
    let page = page_ok(&app, &mut auditor, "/audit?object=case&object_id=HS1999-000001").await;
    assert!(page.contains("没有案件编号为“HS1999-000001”的对象") && page.contains("没有符合条件的记录"));
}

async fn calendar_reminds_from_november(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    // 30 September: no reminder yet.
    let mut office = app.login("office").await;
    let home = page_ok(&app, &mut office, "/").await;
    assert!(!home.contains("节假日安排尚未载入"), "{home}");
    // 2 November: the office and the administrator are reminded, others not.
    app.clock.advance(Duration::days(33));
    let mut shexian = app.login("shexian").await;
    let (id, number) = register(&app, &mut shexian, "徽城镇").await;
    let r = act(&app, &mut shexian, id, "accept", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = page_ok(&app, &mut shexian, "/").await;
    assert!(!home.contains("节假日安排尚未载入"));
    let mut office = app.login("office").await;
    let home = page_ok(&app, &mut office, "/").await;
    assert!(home.contains("2027年节假日安排尚未载入"), "{home}");
    assert!(home.contains("请联系系统管理员载入2027年的安排"));
    // 60 working days from 2 November reach into 2027: provisional.
    assert!(
        home.contains("目前有 <strong>1</strong> 件办理中的欠薪案件期限为暂定"),
        "{home}"
    );
    assert!(home.contains(&format!("<a href=\"/cases/{id}\">{number}</a></td><td>办理期限</td>")));
    let mut admin = app.login("admin").await;
    let home = page_ok(&app, &mut admin, "/").await;
    assert!(home.contains("2027年节假日安排尚未载入") && home.contains("href=\"/admin/calendar\""));
    assert!(
        !home.contains(&number),
        "the administrator sees the count, not the cases"
    );
    // Loaded, the reminder goes.
    let page = page_ok(&app, &mut admin, "/admin/calendar").await;
    let csv = "日期,星期,类型,节日,节日英文名,安排年份,调休换休日,依据\n2027-01-01,星期五,放假,元旦,,2027,,虚构数据（仅供测试）\n";
    let (ctype, body) = multipart(&[("csrf", &page_csrf(&page)), ("csv", csv)], None);
    let r = app
        .request(&mut admin, "POST", "/admin/calendar", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("1 件办理中的欠薪案件"), "re-dated: {}", r.body);
    let home = page_ok(&app, &mut office, "/").await;
    assert!(!home.contains("节假日安排尚未载入"));
}

fn page_csrf(page: &str) -> String {
    field_value(page, "csrf")
}

async fn calendar_loads_chinese_headers(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut admin = app.login("admin").await;
    let page = page_ok(&app, &mut admin, "/admin/calendar").await;
    assert!(page.contains("<code>日期,星期,类型,节日,节日英文名,安排年份,调休换休日,依据</code>"));
    assert!(
        page.contains("暂按常规工作日（周一至周五）推算"),
        "what the system does"
    );
    assert!(!page.contains("不会按普通周一至周五推算"), "not what it does not");
    // A wrong value is named by its Chinese column.
    let bad = "日期,星期,类型,节日,节日英文名,安排年份,调休换休日,依据\n2027-01-01,星期五,休息,元旦,,2027,,x\n";
    let (ctype, body) = multipart(&[("csrf", &page_csrf(&page)), ("csv", bad)], None);
    let r = app
        .request(&mut admin, "POST", "/admin/calendar", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("第2行第3列（类型）：未知的类型“休息”，应为“放假”或“调休上班”"),
        "{}",
        r.body
    );
    // The Chinese table loads; the old English one of the next year too.
    let zh = "日期,星期,类型,节日,节日英文名,安排年份,调休换休日,依据\n2027-01-01,星期五,放假,元旦,,2027,,虚构数据（仅供测试）\n2027-02-20,星期六,调休上班,春节,,2027,,虚构数据（仅供测试）\n";
    let (ctype, body) = multipart(&[("csrf", &page_csrf(&page))], Some(("file", "2027.csv", zh)));
    let r = app
        .request(&mut admin, "POST", "/admin/calendar", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已载入2027年节假日安排，新增 2 个日期"));
    let en = "date,weekday,kind,festival_cn,festival_en,arrangement_year,in_lieu_weekday_off,source\n2028-01-03,Mon,holiday,元旦,New Year's Day,2028,,虚构数据（仅供测试）\n";
    let (ctype, body) = multipart(&[("csrf", &page_csrf(&page)), ("csv", en)], None);
    let r = app
        .request(&mut admin, "POST", "/admin/calendar", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cal = shiminhua_app::calendar::calendar(&app.db).await.unwrap();
    assert!(cal.covers(2027) && cal.covers(2028));
}
