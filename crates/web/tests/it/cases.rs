//! The staff pages of wage-arrears cases over HTTP, on SQLite and
//! PostgreSQL: registration, the list with its deadlines, every step from
//! 登记 to 回访, refusals that write nothing, attachments, the office's
//! settings and two officers acting on one case at once.

use crate::common::{Agent, PASSWORD, Resp, TestApp, credit, field_value, multipart};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use shiminhua_app::both;
use shiminhua_app::store::{Db, Sql};
use shiminhua_core::auth::{Grant, KindSet, Role};
use shiminhua_core::calendar::Calendar;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::UserId;

both!(
    registration_through_the_form,
    list_order_highlight_and_filters,
    every_step_through_the_pages,
    refused_actions_write_nothing,
    attachments_are_checked,
    office_settings,
    two_officers_at_once,
);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The registration form's fields for a hotline case in `region`.
fn case_fields(received: &str, region: &str) -> Vec<(&'static str, String)> {
    vec![
        ("source", "hotline".into()),
        ("received_on", received.into()),
        ("reporter", "contact".into()),
        ("reporter_name", "张小三".into()),
        ("reporter_phone", "13905591234".into()),
        ("employer_name", "黄山某建筑劳务有限公司".into()),
        ("employer_credit_code", credit(1)),
        ("employer_address", "歙县徽城镇某路8号".into()),
        ("sector", "construction".into()),
        ("project_name", "徽城安置房二期".into()),
        ("contractor_credit_code", credit(2)),
        ("workers", "12".into()),
        ("amount_claimed", "86,400".into()),
        ("arrears_from", "2026-05-01".into()),
        ("arrears_to", "2026-08-31".into()),
        ("description", "五月至八月工资未发放".into()),
        ("region", region.into()),
    ]
}

fn with(mut fields: Vec<(&'static str, String)>, key: &'static str, value: &str) -> Vec<(&'static str, String)> {
    match fields.iter_mut().find(|(k, _)| *k == key) {
        Some(f) => f.1 = value.to_string(),
        None => fields.push((key, value.to_string())),
    }
    fields
}

/// The text between `start` and the next `end`.
fn between(s: &str, start: &str, end: &str) -> String {
    let i = s.find(start).unwrap_or_else(|| panic!("{start} not in page")) + start.len();
    s[i..i + s[i..].find(end).unwrap()].to_string()
}

async fn post_form(app: &TestApp, agent: &mut Agent, path: &str, fields: &[(&str, String)]) -> Resp {
    let csrf = app.csrf(agent).await;
    let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
    app.post(agent, path, &all).await
}

/// Registers through the form; returns (id, number, query code).
async fn register(app: &TestApp, agent: &mut Agent, fields: &[(&str, String)]) -> (i64, String, String) {
    let r = post_form(app, agent, "/cases/new", fields).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let number = between(&r.body, "<strong class=\"case-number\">", "</strong>");
    let code = between(&r.body, "<code class=\"secret\">", "</code>");
    let id = between(&r.body, "<a class=\"button primary\" href=\"/cases/", "\"")
        .parse()
        .unwrap();
    (id, number, code)
}

/// Takes `action` through the case page's form (with the version it shows).
async fn act(app: &TestApp, agent: &mut Agent, id: i64, action: &str, fields: &[(&str, &str)]) -> Resp {
    let page = page_ok(app, agent, &format!("/cases/{id}")).await;
    let version = field_value(&page, "version");
    act_at(app, agent, id, &version, action, fields).await
}

async fn act_at(
    app: &TestApp,
    agent: &mut Agent,
    id: i64,
    version: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Resp {
    let csrf = app.csrf(agent).await;
    let mut all = vec![("csrf", csrf.as_str()), ("version", version), ("action", action)];
    all.extend_from_slice(fields);
    app.post(agent, &format!("/cases/{id}/act"), &all).await
}

async fn page_ok(app: &TestApp, agent: &mut Agent, path: &str) -> String {
    let r = app.get(agent, path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

async fn count(db: &Db, sql: &str, id: i64) -> i64 {
    db.read().await.unwrap().int(Sql::new(sql).bind(id)).await.unwrap()
}

async fn events(db: &Db, id: i64) -> i64 {
    count(db, "SELECT COUNT(*) FROM case_events WHERE case_id = $1", id).await
}

async fn status_of(db: &Db, id: i64) -> (String, i64) {
    db.read()
        .await
        .unwrap()
        .one(Sql::new("SELECT status, version FROM cases WHERE id = $1").bind(id))
        .await
        .unwrap()
}

async fn audited(db: &Db, action: &str) -> i64 {
    db.read()
        .await
        .unwrap()
        .int(Sql::new("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action))
        .await
        .unwrap()
}

/// Adds a signed-up user with one role and a scope (as the admin).
async fn add_user(app: &TestApp, name: &str, role: Role, region: &str) {
    use shiminhua_app::users::{self, PasswordChange, UserForm};
    let mut tx = app.db.read().await.unwrap();
    let admin = users::load_actor(&mut tx, UserId(app.ids["admin"])).await.unwrap();
    drop(tx);
    let o = shiminhua_app::Origin::default();
    let form = UserForm {
        username: name.into(),
        display_name: format!("测试{name}"),
        unit_id: None,
        roles: vec![role],
        grants: vec![Grant {
            region: DivisionCode::parse(region).unwrap(),
            kinds: KindSet::all(),
        }],
    };
    let (id, otp) = users::create(&app.db, &admin, &o, crate::common::t0(), form)
        .await
        .unwrap();
    crate::common::approve_pending(app, id).await;
    let change = PasswordChange {
        current: &otp,
        new: PASSWORD,
        confirm: PASSWORD,
    };
    let policy = shiminhua_core::password::PasswordPolicy::default();
    users::change_password(&app.db, id, &o, crate::common::t0(), &policy, &change)
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------

async fn registration_through_the_form(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut shexian = app.login("shexian").await;
    let form = page_ok(&app, &mut shexian, "/cases/new").await;
    for text in [
        "登记欠薪线索",
        "name=\"clue_no\"",
        "name=\"reporter\" value=\"anonymous\"",
        "name=\"project_name\"",
        "<option value=\"歙县徽城镇\">341021100</option>",
        "value=\"2026-09-30\"",
    ] {
        assert!(form.contains(text), "the form has {text}");
    }
    assert!(!form.contains("休宁县海阳镇"), "only townships in scope are offered");
    // Errors: each next to its field, everything typed kept, nothing stored.
    let bad = with(
        with(
            with(
                with(case_fields("2026-09-30", "某村"), "project_name", ""),
                "workers",
                "0",
            ),
            "reporter_phone",
            "1390559123",
        ),
        "arrears_from",
        "2026-09-01",
    );
    let r = post_form(&app, &mut shexian, "/cases/new", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (key, msg) in [
        (
            "project_name",
            "工程建设领域的，请填写工程项目名称或施工总承包单位名称（填一项即可）",
        ),
        ("workers", "涉及人数应为1至100000人"),
        ("arrears_to", "欠薪截止日期不能早于起始日期"),
        ("region", "欠薪发生地（乡镇/街道）"),
    ] {
        let err = format!("<p class=\"field-error\" id=\"{key}-err\">{msg}");
        assert!(r.body.contains(&err), "{key}: {msg} next to the field: {}", r.body);
    }
    assert!(
        r.body.contains("id=\"reporter_phone-err\">手机号码应为11位数字"),
        "the phone's error, named once"
    );
    for kept in [
        "value=\"1390559123\"",
        "value=\"张小三\"",
        "value=\"黄山某建筑劳务有限公司\"",
        "value=\"某村\"",
        "value=\"0\"",
        "五月至八月工资未发放</textarea>",
        "<option value=\"hotline\" selected>",
        "<option value=\"construction\" selected>",
    ] {
        assert!(r.body.contains(kept), "kept: {kept}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM cases WHERE id > $1", 0).await, 0);
    // A worker reporter needs a number.
    let w = with(case_fields("2026-09-30", "徽城镇"), "reporter", "worker");
    let r = post_form(&app, &mut shexian, "/cases/new", &w).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"worker_id-err\">请填写反映人的农民工编号"));
    // Outside the scope.
    let r = post_form(&app, &mut shexian, "/cases/new", &case_fields("2026-09-30", "海阳镇")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("该欠薪发生地不在您的数据范围内"));

    // Success: the number and the query code, once.
    let r = post_form(&app, &mut shexian, "/cases/new", &case_fields("2026-09-29", "徽城镇")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert!(r.body.contains("<strong class=\"case-number\">HS2026-000001</strong>"));
    assert!(r.body.contains("请立即将案件编号和查询码告知反映人"));
    let code = between(&r.body, "<code class=\"secret\">", "</code>");
    assert_eq!(code.len(), 8);
    let id: i64 = between(&r.body, "<a class=\"button primary\" href=\"/cases/", "\"")
        .parse()
        .unwrap();
    let detail = page_ok(&app, &mut shexian, &format!("/cases/{id}")).await;
    assert!(!detail.contains(&code), "the code is not on the case page");
    for text in [
        "HS2026-000001",
        "12333热线",
        "2026年9月29日",
        "张**",
        "139****1234",
        "黄山某建筑劳务有限公司",
        &credit(1),
        "徽城安置房二期",
        "歙县徽城镇",
        "12 人",
        "86,400.00 元",
        "2026年5月1日 至 2026年8月31日",
        "五月至八月工资未发放",
        "受理期限 剩余 4 个工作日",
    ] {
        assert!(detail.contains(text), "the case page shows {text}");
    }
    for pii in ["张小三", "13905591234"] {
        assert!(!detail.contains(pii), "{pii} stays masked");
    }
    let list = page_ok(&app, &mut shexian, "/cases").await;
    assert!(list.contains("HS2026-000001") && !list.contains(&code));
    // The lead reads, but does not register.
    let mut lead = app.login("lead").await;
    assert_eq!(app.get(&mut lead, "/cases/new").await.status, StatusCode::FORBIDDEN);
    let list = page_ok(&app, &mut lead, "/cases").await;
    assert!(list.contains("HS2026-000001") && !list.contains("href=\"/cases/new\""));
    assert!(
        page_ok(&app, &mut lead, &format!("/cases/{id}"))
            .await
            .contains("HS2026-000001")
    );
    // The department neither.
    let mut dept = app.login("dept").await;
    assert_eq!(app.get(&mut dept, "/cases").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&mut dept, &format!("/cases/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn list_order_highlight_and_filters(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut shexian = app.login("shexian").await;
    let cal = Calendar::builtin();
    let today = d("2026-09-30");
    // Received today: due 2026-10-13 (National Day in between), on time.
    let (on_time, n_on_time, _) = register(&app, &mut shexian, &case_fields("2026-09-30", "徽城镇")).await;
    // Received 2026-09-24: due 2026-10-09, within 3 working days: near due.
    let (near, n_near, _) = register(
        &app,
        &mut shexian,
        &with(case_fields("2026-09-24", "徽城镇"), "employer_name", "歙县某食品加工厂"),
    )
    .await;
    // Received 2026-09-01: due 2026-09-08, overdue.
    let (overdue, n_overdue, _) = register(
        &app,
        &mut shexian,
        &with(
            with(case_fields("2026-09-01", "徽城镇"), "employer_credit_code", &credit(7)),
            "sector",
            "catering",
        ),
    )
    .await;
    let page = page_ok(&app, &mut shexian, "/cases").await;
    let pos = |n: &str| page.find(n).unwrap_or_else(|| panic!("{n} listed"));
    assert!(
        pos(&n_overdue) < pos(&n_near) && pos(&n_near) < pos(&n_on_time),
        "overdue first, then by due date"
    );
    let row = |id: i64| {
        let link = format!("<a href=\"/cases/{id}\">");
        let i = page.find(&link).unwrap();
        let start = page[..i].rfind("<tr").unwrap();
        let end = i + page[i..].find("</tr>").unwrap();
        page[start..end].to_string()
    };
    let late = cal.working_days_between(d("2026-09-08"), today).unwrap();
    assert!(
        row(overdue).starts_with("<tr class=\"case-row red\">"),
        "{}",
        row(overdue)
    );
    assert!(row(overdue).contains(&format!("受理期限 已逾期 {late} 个工作日")));
    assert!(row(overdue).contains("<span class=\"mark red\">逾期</span>"));
    assert!(row(near).starts_with("<tr class=\"case-row amber\">"), "{}", row(near));
    assert!(row(near).contains("受理期限 剩余 2 个工作日"));
    assert!(row(near).contains("至2026年10月9日"));
    assert!(row(on_time).starts_with("<tr class=\"case-row\">"));
    assert!(row(on_time).contains("受理期限 剩余 5 个工作日"));
    assert!(page.contains("共 <strong>3</strong> 件"));
    assert!(page.contains("其中已逾期 <strong class=\"case-overdue-count\">1</strong> 件"));
    // The workbench counts them too, and leads to the overdue ones.
    let home = page_ok(&app, &mut shexian, "/").await;
    let card = |label: &str| {
        let i = home.find(label).unwrap_or_else(|| panic!("{label} on the workbench"));
        between(&home[i..], "<span class=\"num\">", "</span>")
    };
    assert_eq!(card("办理中的欠薪案件"), "3");
    assert_eq!(card("逾期未办结的欠薪案件"), "1");
    assert!(home.contains("href=\"/cases?timing=overdue\""));
    assert!(page.contains("临期 <strong class=\"case-near-count\">1</strong> 件"));
    assert!(page.contains("href=\"/cases/new\">登记线索</a>"));

    // Filters.
    let only = |page: &str, shown: &[&String]| {
        for n in [&n_overdue, &n_near, &n_on_time] {
            assert_eq!(page.contains(n.as_str()), shown.contains(&n), "{n}");
        }
    };
    only(
        &page_ok(&app, &mut shexian, "/cases?timing=overdue").await,
        &[&n_overdue],
    );
    only(&page_ok(&app, &mut shexian, "/cases?timing=near").await, &[&n_near]);
    only(
        &page_ok(&app, &mut shexian, "/cases?timing=normal").await,
        &[&n_on_time],
    );
    only(
        &page_ok(&app, &mut shexian, "/cases?sector=catering").await,
        &[&n_overdue],
    );
    only(
        &page_ok(&app, &mut shexian, &format!("/cases?q={}", n_near.to_lowercase())).await,
        &[&n_near],
    );
    only(
        &page_ok(&app, &mut shexian, "/cases?q=%E9%A3%9F%E5%93%81").await,
        &[&n_near],
    );
    only(
        &page_ok(&app, &mut shexian, &format!("/cases?q={}", &credit(7)[4..])).await,
        &[&n_overdue],
    );
    only(
        &page_ok(
            &app,
            &mut shexian,
            "/cases?status=registered&source=hotline&county=341021",
        )
        .await,
        &[&n_overdue, &n_near, &n_on_time],
    );
    only(&page_ok(&app, &mut shexian, "/cases?status=accepted").await, &[]);
    only(&page_ok(&app, &mut shexian, "/cases?q=100%25").await, &[]);
    // Another county's officer sees none of them.
    let mut inspector = app.login("inspector").await;
    only(&page_ok(&app, &mut inspector, "/cases").await, &[]);

    // Nine days later (2026-10-09): the case due that day is near due, the
    // one due on 2026-10-13 too; the overdue one has run on.
    app.clock.advance(Duration::days(9));
    let mut shexian = app.login("shexian").await;
    let page = page_ok(&app, &mut shexian, "/cases").await;
    let row = |id: i64| {
        let link = format!("<a href=\"/cases/{id}\">");
        let i = page.find(&link).unwrap();
        page[page[..i].rfind("<tr").unwrap()..i + page[i..].find("</tr>").unwrap()].to_string()
    };
    let later = cal.working_days_between(d("2026-09-08"), d("2026-10-09")).unwrap();
    assert!(later > late);
    assert!(row(overdue).contains(&format!("已逾期 {later} 个工作日")));
    assert!(row(near).starts_with("<tr class=\"case-row amber\">") && row(near).contains("受理期限 今日到期"));
    assert!(row(on_time).starts_with("<tr class=\"case-row amber\">"));
    assert!(row(on_time).contains("受理期限 剩余 3 个工作日"));
    // 2026-10-10 is a Saturday worked (调休上班): counted as a working day.
    assert_eq!(cal.working_days_between(d("2026-10-09"), d("2026-10-13")).unwrap(), 3);
}

async fn every_step_through_the_pages(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut shexian = app.login("shexian").await;
    let mut office = app.login("office").await;
    let (id, _, _) = register(&app, &mut shexian, &case_fields("2026-09-30", "徽城镇")).await;
    // In 登记: the county may accept, refuse or transfer; the office may urge.
    let page = page_ok(&app, &mut shexian, &format!("/cases/{id}")).await;
    for a in ["accept", "reject", "transfer"] {
        assert!(page.contains(&format!("name=\"action\" value=\"{a}\"")), "{a}");
    }
    assert!(!page.contains("name=\"action\" value=\"urge\""));
    assert!(
        page.contains(">休宁县 海阳镇</option>") && !page.contains(">歙县 徽城镇</option>"),
        "transfer targets elsewhere"
    );
    assert!(!page.contains("<option value=\"歙县徽城镇\">"));
    let page = page_ok(&app, &mut office, &format!("/cases/{id}")).await;
    assert!(page.contains("name=\"action\" value=\"urge\"") && !page.contains("name=\"action\" value=\"accept\""));

    // 受理
    let r = act(&app, &mut shexian, id, "accept", &[("note", "材料齐全")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/cases/{id}?done=accept#top"));
    let page = page_ok(&app, &mut shexian, r.location()).await;
    assert!(page.contains("已办理“受理”。"));
    assert!(page.contains("状态：<strong>受理</strong>"));
    assert!(
        page.contains("办理期限 剩余 60 个工作日"),
        "60 working days from acceptance"
    );
    // 开始调查, with a reply to the reporter.
    let r = act(
        &app,
        &mut shexian,
        id,
        "investigate",
        &[("public_reply", "已开始调查，请保持电话畅通。")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // 延期 and 督办 by the office.
    let r = act(&app, &mut office, id, "extend", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写延期理由"));
    let r = act(
        &app,
        &mut office,
        id,
        "extend",
        &[("reason", "涉及人数多，需调取工程款拨付记录")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = act(&app, &mut office, id, "urge", &[("note", "请加快办理")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = page_ok(&app, &mut office, &format!("/cases/{id}")).await;
    assert!(page.contains("（已延期）") && page.contains("已督办 1 次"));
    assert!(page.contains("办理期限 剩余 90 个工作日"));
    assert!(!page.contains("name=\"action\" value=\"extend\""), "extended once only");
    // 办结: errors kept next to the fields.
    let r = act(
        &app,
        &mut shexian,
        id,
        "close",
        &[
            ("amount_recovered", "五万"),
            ("workers_paid", "20"),
            ("note", "已约谈用人单位"),
            ("public_reply", "已督促支付。"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in [
        "请选择办结结论",
        "追回金额：",
        "已支付人数（20）不能多于涉及人数（12）",
        "value=\"五万\"",
        "value=\"20\"",
        "已约谈用人单位</textarea>",
        "已督促支付。</textarea>",
    ] {
        assert!(r.body.contains(text), "the refused form shows {text}");
    }
    let r = act(
        &app,
        &mut shexian,
        id,
        "close",
        &[
            ("conclusion", "部分支付"),
            ("amount_recovered", "50,000"),
            ("workers_paid", "8"),
            ("public_reply", "已追回部分工资。"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = page_ok(&app, &mut shexian, &format!("/cases/{id}")).await;
    assert!(page.contains("状态：<strong>办结</strong>"));
    assert!(page.contains("50,000.00 元") && page.contains("8 人") && page.contains("部分支付"));
    assert!(page.contains("无（案件已办结或终止）"));
    // 回访: the note is required.
    let r = act(&app, &mut shexian, id, "follow_up", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写回访情况"));
    let r = act(
        &app,
        &mut shexian,
        id,
        "follow_up",
        &[("note", "反映人确认已收到部分工资")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = page_ok(&app, &mut shexian, &format!("/cases/{id}")).await;
    assert!(page.contains("状态：<strong>已回访</strong>"));
    assert!(!page.contains("name=\"action\""), "no step is left");
    // The timeline: every step, newest first, with who and the replies.
    let timeline = &page[page.find("办理记录").unwrap()..];
    let order: Vec<usize> = ["回访", "办结", "督办", "延期", "开始调查", "受理", "登记"]
        .iter()
        .map(|a| {
            timeline
                .find(&format!("<strong>{a}</strong>"))
                .unwrap_or_else(|| panic!("{a}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    for text in [
        "测试shexian",
        "测试office",
        "<span class=\"mark green\">答复反映人</span> 已开始调查，请保持电话畅通。",
        "<span class=\"mark green\">答复反映人</span> 已追回部分工资。",
        "涉及人数多，需调取工程款拨付记录",
        "请加快办理",
        "材料齐全",
        "办结结论：部分支付",
        "追回金额：50,000.00 元",
        "受理 → 调查处理",
    ] {
        assert!(timeline.contains(text), "the timeline shows {text}");
    }
    assert_eq!(events(&db, id).await, 7);
    assert_eq!(status_of(&db, id).await, ("followed_up".to_string(), 7));

    // 不予受理 needs a reason; 转办 moves the case out of the county.
    let (other, _, _) = register(&app, &mut shexian, &case_fields("2026-09-30", "徽城镇")).await;
    let r = act(&app, &mut shexian, other, "transfer", &[("reason", "用工地在休宁")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写转办至（乡镇/街道）"), "{}", r.body);
    assert!(r.body.contains("用工地在休宁</textarea>"));
    let r = act(
        &app,
        &mut shexian,
        other,
        "transfer",
        &[("region", "休宁县海阳镇"), ("reason", "用工地在休宁")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        app.get(&mut shexian, &format!("/cases/{other}")).await.status,
        StatusCode::NOT_FOUND
    );
    let page = page_ok(&app, &mut office, &format!("/cases/{other}")).await;
    assert!(page.contains("休宁县海阳镇") && page.contains("转至：休宁县海阳镇"));
    assert!(page.contains("状态：<strong>登记</strong>"));
    let (third, _, _) = register(&app, &mut shexian, &case_fields("2026-09-30", "徽城镇")).await;
    let r = act(&app, &mut shexian, third, "reject", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写不予受理理由"));
    let r = act(
        &app,
        &mut shexian,
        third,
        "reject",
        &[("reason", "不属于劳动保障监察管辖")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // 移送仲裁 and 移送公安 end the limit and are followed up.
    let (fourth, _, _) = register(&app, &mut shexian, &case_fields("2026-09-30", "徽城镇")).await;
    act(&app, &mut shexian, fourth, "accept", &[]).await;
    act(&app, &mut shexian, fourth, "investigate", &[]).await;
    let r = act(
        &app,
        &mut shexian,
        fourth,
        "refer_police",
        &[("note", "经责令仍拒不支付")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = page_ok(&app, &mut shexian, &format!("/cases/{fourth}")).await;
    assert!(page.contains("状态：<strong>已移送公安</strong>") && page.contains("name=\"action\" value=\"follow_up\""));
}

async fn refused_actions_write_nothing(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut shexian = app.login("shexian").await;
    let (id, _, _) = register(&app, &mut shexian, &case_fields("2026-09-30", "徽城镇")).await;
    let before = (events(&db, id).await, status_of(&db, id).await);
    let unchanged = |label: &'static str| {
        let db = db.clone();
        let before = before.clone();
        async move {
            assert_eq!((events(&db, id).await, status_of(&db, id).await), before, "{label}");
        }
    };
    // 办结 on a 登记 case, posted directly.
    let close = [
        ("conclusion", "已全额支付"),
        ("amount_recovered", "86400"),
        ("workers_paid", "12"),
    ];
    let r = act_at(&app, &mut shexian, id, "1", "close", &close).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("该案件当前为“登记”，不能办结。"), "{}", r.body);
    unchanged("办结 on 登记").await;
    // An action of the office's.
    let r = act_at(&app, &mut shexian, id, "1", "urge", &[("note", "督办")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    unchanged("督办 by a county officer").await;
    // The lead takes no step at all.
    let mut lead = app.login("lead").await;
    let r = act_at(&app, &mut lead, id, "1", "accept", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    unchanged("受理 by the lead").await;
    // Another county's officer does not find the case.
    let mut inspector = app.login("inspector").await;
    let r = act_at(&app, &mut inspector, id, "1", "accept", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    unchanged("受理 from another county").await;
    // An unknown action, a stale version.
    let r = act_at(&app, &mut shexian, id, "1", "delete", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请选择要办理的事项后再提交。"));
    let r = act_at(&app, &mut shexian, id, "7", "accept", &[("note", "迟到的受理意见")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已被他人办理") && r.body.contains("请刷新页面"));
    assert!(r.body.contains("迟到的受理意见</textarea>"), "the typed note is kept");
    // Without the form's token.
    let r = app
        .post(
            &mut shexian,
            &format!("/cases/{id}/act"),
            &[("version", "1"), ("action", "accept")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    unchanged("refused posts").await;
    for a in ["case.accept", "case.close", "case.urge"] {
        assert_eq!(audited(&db, a).await, 0, "{a}");
    }
}

async fn attachments_are_checked(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut shexian = app.login("shexian").await;
    let (id, _, _) = register(&app, &mut shexian, &case_fields("2026-09-30", "徽城镇")).await;
    let path = format!("/cases/{id}/files");
    let upload = |name: &'static str, content: String| {
        let app = &app;
        async move {
            let mut agent = app.login("shexian").await;
            let csrf = app.csrf(&mut agent).await;
            let (ctype, body) = multipart(&[("csrf", &csrf)], Some(("file", name, &content)));
            app.request(&mut agent, "POST", &format!("/cases/{id}/files"), Some((&ctype, body)))
                .await
        }
    };
    let r = upload("程序.exe", "MZ".into()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("附件“程序.exe”的类型不能上传"), "{}", r.body);
    let big = format!("%PDF-1.4 {}", "x".repeat(10 * 1024 * 1024));
    let r = upload("判决书.pdf", big).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("超过10MB的上限"), "{}", r.body);
    let r = upload("假的.pdf", "not a pdf".into()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("的内容不是PDF文件"));
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM case_files WHERE case_id = $1", id).await,
        0
    );
    // A PDF: listed and downloaded as sent.
    let r = upload("工资表.pdf", "%PDF-1.4 wages".into()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/cases/{id}?done=file"));
    let page = page_ok(&app, &mut shexian, r.location()).await;
    assert!(page.contains("附件已上传。") && page.contains("工资表.pdf"));
    let link = between(&page, &format!("<a href=\"{path}/"), "\"");
    let mut lead = app.login("lead").await;
    let dl = app.get(&mut lead, &format!("{path}/{link}")).await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.headers["content-type"], "application/pdf");
    let disposition = dl.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;") && disposition.contains("UTF-8''%E5%B7%A5%E8%B5%84%E8%A1%A8.pdf"));
    assert_eq!(dl.body, "%PDF-1.4 wages");
    // The lead reads but does not upload; another county does not find it.
    let csrf = app.csrf(&mut lead).await;
    let (ctype, body) = multipart(&[("csrf", &csrf)], Some(("file", "a.pdf", "%PDF-1.4 a")));
    let r = app.request(&mut lead, "POST", &path, Some((&ctype, body))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut inspector = app.login("inspector").await;
    assert_eq!(
        app.get(&mut inspector, &format!("{path}/{link}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM case_files WHERE case_id = $1", id).await,
        1
    );
    assert_eq!(audited(&db, "case.attach").await, 1);
    // The case page (with the reporter's details) and the download are reads, audited.
    app.state.reads.flush().await;
    assert_eq!(audited(&db, "case.download").await, 1);
    assert!(audited(&db, "case.view").await >= 1);
}

async fn office_settings(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut office = app.login("office").await;
    let home = page_ok(&app, &mut office, "/").await;
    assert!(home.contains("href=\"/cases\">案件办理</a>") && home.contains("href=\"/cases/settings\">办理设置</a>"));
    let page = page_ok(&app, &mut office, "/cases/settings").await;
    assert!(page.contains("已全额支付\n部分支付") && page.contains("value=\"10\""));
    // Both checked; neither saved when one is wrong.
    let nine = shiminhua_core::case::DEFAULT_CONCLUSIONS[..9].join("\n");
    let r = post_form(
        &app,
        &mut office,
        "/cases/settings",
        &[("conclusions", nine.clone()), ("platform_days", "0".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("办结结论分类应为10项（每行一项），现有9项"));
    assert!(r.body.contains("平台线索办理时限应为1至60个工作日"));
    assert!(r.body.contains("value=\"0\""));
    let mut ten = shiminhua_core::case::DEFAULT_CONCLUSIONS.map(String::from).to_vec();
    ten[9] = "其他情形".into();
    let r = post_form(
        &app,
        &mut office,
        "/cases/settings",
        &[("conclusions", ten.join("\n")), ("platform_days", "15".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/cases/settings?done=saved");
    let page = page_ok(&app, &mut office, r.location()).await;
    assert!(page.contains("办理设置已保存") && page.contains("其他情形") && page.contains("value=\"15\""));
    assert_eq!(shiminhua_app::rights::cases::conclusions(&db).await.unwrap(), ten);
    assert_eq!(
        shiminhua_app::rights::cases::limits(&db).await.unwrap().platform_days,
        15
    );
    assert_eq!(audited(&db, "case.settings").await, 2);
    // The new list is offered when closing.
    let mut shexian = app.login("shexian").await;
    let home = page_ok(&app, &mut shexian, "/").await;
    assert!(home.contains("href=\"/cases\"") && !home.contains("href=\"/cases/settings\""));
    assert_eq!(
        app.get(&mut shexian, "/cases/settings").await.status,
        StatusCode::FORBIDDEN
    );
    let r = post_form(&app, &mut shexian, "/cases/settings", &[("platform_days", "20".into())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (id, _, _) = register(&app, &mut shexian, &case_fields("2026-09-30", "徽城镇")).await;
    act(&app, &mut shexian, id, "accept", &[]).await;
    act(&app, &mut shexian, id, "investigate", &[]).await;
    let page = page_ok(&app, &mut shexian, &format!("/cases/{id}")).await;
    assert!(page.contains("<option>其他情形</option>"));
}

/// Two officers post at once on one case at the same version: exactly one
/// step is taken, the other is refused with the conflict message, and one
/// event is written.
async fn two_officers_at_once(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    add_user(&app, "inspector2", Role::Inspector, "341004").await;
    let mut a = app.login("inspector").await;
    let mut b = app.login("inspector2").await;
    let mut office = app.login("office").await;
    let fields = with(
        with(case_fields("2026-09-30", "岩寺镇"), "employer_credit_code", ""),
        "employer_address",
        "",
    );
    async fn race(
        app: &TestApp,
        db: &Db,
        id: i64,
        (a, a_action, a_fields): (&mut Agent, &str, &[(&str, &str)]),
        (b, b_action, b_fields): (&mut Agent, &str, &[(&str, &str)]),
    ) {
        let (before, (_, version)) = (events(db, id).await, status_of(db, id).await);
        let version = version.to_string();
        // Both have the case page open at the same version.
        let (ca, cb) = (app.csrf(a).await, app.csrf(b).await);
        let path = format!("/cases/{id}/act");
        let mut fa = vec![
            ("csrf", ca.as_str()),
            ("version", version.as_str()),
            ("action", a_action),
        ];
        fa.extend_from_slice(a_fields);
        let mut fb = vec![
            ("csrf", cb.as_str()),
            ("version", version.as_str()),
            ("action", b_action),
        ];
        fb.extend_from_slice(b_fields);
        let (ra, rb) = tokio::join!(app.post(a, &path, &fa), app.post(b, &path, &fb));
        let (won, lost) = match (ra.status, rb.status) {
            (StatusCode::SEE_OTHER, StatusCode::CONFLICT) => (ra, rb),
            (StatusCode::CONFLICT, StatusCode::SEE_OTHER) => (rb, ra),
            other => panic!(
                "{a_action}/{b_action}: expected one 303 and one 409, got {other:?}: {} {}",
                ra.body, rb.body
            ),
        };
        assert!(won.location().starts_with(&format!("/cases/{id}?done=")));
        assert!(
            lost.body.contains("操作未保存：案件HS2026-")
                && lost
                    .body
                    .contains("已被他人办理（状态或内容已变化）。请刷新页面查看最新情况后再操作。"),
            "{}",
            lost.body
        );
        assert_eq!(events(db, id).await, before + 1, "exactly one new event");
        assert_eq!(status_of(db, id).await.1, version.parse::<i64>().unwrap() + 1);
    }
    // Two different steps on a 登记 case.
    let (id, _, _) = register(&app, &mut a, &fields).await;
    race(
        &app,
        &db,
        id,
        (&mut a, "accept", &[]),
        (&mut b, "reject", &[("reason", "不属于管辖范围")]),
    )
    .await;
    // The same step twice.
    let (id, _, _) = register(&app, &mut a, &fields).await;
    race(&app, &db, id, (&mut a, "accept", &[]), (&mut b, "accept", &[])).await;
    // Two steps each allowed whatever the other did (督办 leaves 受理 as
    // it is, and is allowed in 调查处理 too): only the version tells them
    // apart.
    let (id, _, _) = register(&app, &mut a, &fields).await;
    act(&app, &mut a, id, "accept", &[]).await;
    race(
        &app,
        &db,
        id,
        (&mut office, "urge", &[("note", "请尽快调查")]),
        (&mut b, "investigate", &[]),
    )
    .await;
}
