//! 案件统计 and 欠薪清零 over HTTP, on SQLite and PostgreSQL: the pages with
//! their figures and links, the scope of a county user, the workbook read
//! back cell by cell, and a plan target over cases on the board.

use crate::common::{Agent, TestApp, credit};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{Call, Origin, both, plan::document, rights::cases, users, xlsx};
use shiminhua_core::auth::Actor;
use shiminhua_core::case::{Action, ActionInput, CaseInput};
use shiminhua_core::ids::CaseId;
use shiminhua_core::ids::UserId;
use tower::ServiceExt;

both!(statistics_pages_and_workbook, a_case_target_on_the_board);

/// A GET answered with its raw bytes (a workbook is not text).
pub(crate) async fn download(app: &TestApp, agent: &Agent, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let cookies: Vec<String> = agent.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let req = Request::builder()
        .method("GET")
        .uri(path)
        .header(header::COOKIE, cookies.join("; "))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024).await.unwrap();
    (status, headers, bytes.to_vec())
}

/// 10:00 Beijing time on `day`.
fn at(day: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(2, 0, 0).unwrap())
}

async fn actor(app: &TestApp, name: &str) -> Actor {
    let mut tx = app.db.read().await.unwrap();
    users::load_actor(&mut tx, UserId(app.ids[name])).await.unwrap()
}

fn hotline(received: &str, region: &str) -> CaseInput {
    CaseInput {
        source: "12333".into(),
        received_on: received.into(),
        reporter_name: "张小三".into(),
        reporter_phone: "13905591234".into(),
        employer_name: "黄山某建筑劳务有限公司".into(),
        employer_credit_code: credit(1),
        sector: "工程建设".into(),
        project_name: "安置房二期".into(),
        contractor_credit_code: credit(2),
        workers: "12".into(),
        amount_claimed: "86,400元".into(),
        arrears_from: "2026-01-01".into(),
        arrears_to: "2026-02-28".into(),
        description: "工资未发放".into(),
        region: region.into(),
        ..CaseInput::default()
    }
}

/// 歙县: one case concluded 2026-04-01 (10,000元 of 86,400元, 12 paid; 22
/// working days), one registered 2026-09-01 (overdue on 9-30). 徽州区: one
/// registered 2026-09-28 (not yet due).
async fn make_cases(app: &TestApp) {
    let o = Origin {
        client_addr: "127.0.0.1".into(),
    };
    let shexian = actor(app, "shexian").await;
    let inspector = actor(app, "inspector").await;
    let call = |who: &'static str, day: &str| {
        let actor = if who == "shexian" { &shexian } else { &inspector };
        Call {
            db: &app.db,
            cipher: &app.state.cipher,
            actor,
            origin: &o,
            now: at(day),
        }
    };
    let s1 = cases::register(&call("shexian", "2026-03-02"), &hotline("2026-03-02", "341021100"))
        .await
        .unwrap()
        .id;
    cases::act(
        &call("shexian", "2026-03-03"),
        CaseId(s1),
        1,
        Action::Accept,
        &ActionInput::default(),
    )
    .await
    .unwrap();
    cases::act(
        &call("shexian", "2026-03-04"),
        CaseId(s1),
        2,
        Action::Investigate,
        &ActionInput::default(),
    )
    .await
    .unwrap();
    let close = ActionInput {
        conclusion: "部分支付".into(),
        amount_recovered: "10000".into(),
        workers_paid: "12".into(),
        note: "已责令支付".into(),
        ..ActionInput::default()
    };
    cases::act(&call("shexian", "2026-04-01"), CaseId(s1), 3, Action::Close, &close)
        .await
        .unwrap();
    cases::register(&call("shexian", "2026-09-01"), &hotline("2026-09-01", "341021100"))
        .await
        .unwrap();
    cases::register(&call("inspector", "2026-09-28"), &hotline("2026-09-28", "341004100"))
        .await
        .unwrap();
}

async fn statistics_pages_and_workbook(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    make_cases(&app).await;
    let mut lead = app.login("lead").await;

    // 案件统计: this year to today by default.
    let page = app.get(&mut lead, "/cases/stats").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    assert!(b.contains("<h1>欠薪案件统计</h1>"));
    assert!(b.contains("2026年1月1日至2026年9月30日收到"), "{b}");
    assert!(b.contains("value=\"2026-01-01\"") && b.contains("value=\"2026-09-30\""));
    // The navigation has both pages under 欠薪治理.
    assert!(b.contains("欠薪治理") && b.contains("href=\"/cases/clearance\""));
    // 歙县: 2 cases (links to the list), 1 overdue, 1 ended in time.
    assert!(
        b.contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30&#38;county=341021\">2</a>"),
        "{b}"
    );
    // The link lists exactly the cases it counts.
    let listed = app
        .get(&mut lead, "/cases?from=2026-01-01&to=2026-09-30&county=341021")
        .await;
    assert!(listed.body.contains("共 <strong>2</strong> 件"), "{}", listed.body);
    assert!(
        b.contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30&#38;county=341021&#38;timing=overdue\">1</a>"),
        "{b}"
    );
    assert!(
        b.contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30&#38;county=341004\">1</a>"),
        "{b}"
    );
    // The city's row: 3 cases, 259,200.00元 claimed, 10,000.00元 recovered.
    assert!(b.contains("全市合计"));
    assert!(
        b.contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30\">3</a>"),
        "{b}"
    );
    assert!(b.contains("259,200.00") && b.contains("10,000.00") && b.contains("86,400.00"));
    // Shares and days: 100.0% in time, 11.6% recovered, 22 working days.
    assert!(b.contains("100.0%"));
    assert!(b.contains("11.6%"), "10,000 of 86,400");
    assert!(b.contains("<td class=\"num\">22.0</td>"), "{b}");
    // By sector, source and status, each with its list.
    assert!(b.contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30&#38;sector=construction\">3</a>"));
    assert!(b.contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30&#38;source=hotline\">3</a>"));
    assert!(b.contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30&#38;status=registered\">2</a>"));
    assert!(b.contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30&#38;status=closed\">1</a>"));
    assert!(b.contains("href=\"/cases/stats/export?from=2026-01-01&#38;to=2026-09-30\""));

    // Another period; a date that does not read falls back with the message.
    let p = app.get(&mut lead, "/cases/stats?from=2026-04-01&to=2026-09-30").await;
    assert!(
        p.body
            .contains("<a href=\"/cases?from=2026-04-01&#38;to=2026-09-30\">2</a>"),
        "{}",
        p.body
    );
    let bad = app.get(&mut lead, "/cases/stats?from=2026-13-01").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("起始日期“2026-13-01”格式不正确"), "{}", bad.body);
    assert!(bad.body.contains("已按2026年1月1日至2026年9月30日统计"));

    // A department sees the figures but no case lists.
    let mut dept = app.login("dept").await;
    let d = app.get(&mut dept, "/cases/stats").await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.body.contains("全市合计") && d.body.contains("259,200.00"));
    assert!(!d.body.contains("href=\"/cases?"), "no links for a department");
    // A county's officer sees the county only.
    let mut shexian = app.login("shexian").await;
    let s = app.get(&mut shexian, "/cases/stats").await;
    assert!(s.body.contains("歙县"));
    assert!(!s.body.contains("徽州区") && !s.body.contains("全市合计"));
    assert!(
        s.body
            .contains("<a href=\"/cases?from=2026-01-01&#38;to=2026-09-30\">2</a>"),
        "{}",
        s.body
    );
    // The auditor holds no ViewDashboard.
    let mut auditor = app.login("auditor").await;
    assert_eq!(
        app.get(&mut auditor, "/cases/stats").await.status,
        StatusCode::FORBIDDEN
    );

    // 欠薪清零: 歙县 and 徽州区 one open case each, 5 of 7 counties at zero.
    let c = app.get(&mut lead, "/cases/clearance").await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let b = &c.body;
    assert!(b.contains("<h1>欠薪清零</h1>"));
    assert!(
        b.contains(
            "未结案欠薪案件<strong>2</strong>件，其中逾期<strong>1</strong>件；7个区县中已清零<strong>5</strong>个"
        ),
        "{b}"
    );
    assert!(b.contains("已清零") && b.contains("未清零"));
    assert!(
        b.contains("<a href=\"/cases?county=341021&#38;status=registered\">1</a>"),
        "{b}"
    );
    assert!(
        b.contains("<a href=\"/cases?county=341021&#38;timing=overdue\">1</a>"),
        "{b}"
    );
    assert!(b.contains("2026-09-01"), "the oldest open case");
    assert!(b.contains("2026-09末"), "the month ends");
    assert!(b.contains("<svg class=\"chart\""));

    // The workbook.
    let (status, headers, bytes) = download(&app, &lead, "/cases/stats/export?from=2026-01-01&to=2026-09-30").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.contains("20260101-20260930.xlsx"), "{disposition}");
    let sheets = xlsx::sheets_as_text(&bytes).expect("a workbook");
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["按区县", "按行业", "按来源", "按状态", "欠薪清零", "说明"]);
    let sheet = |n: &str| &sheets.iter().find(|(name, _)| name == n).unwrap().1;
    let counties = sheet("按区县");
    let sx = counties.iter().find(|r| r[0] == "歙县").unwrap();
    assert_eq!(&sx[1..6], ["2", "1", "1", "1", "1"]);
    assert_eq!(sx[6], "100");
    assert_eq!(sx[7].parse::<f64>().unwrap(), 172_800.0);
    assert_eq!(sx[9].parse::<f64>().unwrap(), 10_000.0);
    assert_eq!(sx[15], "22");
    let total = counties.last().unwrap();
    assert_eq!((total[0].as_str(), total[1].as_str()), ("全市合计", "3"));
    let clear = sheet("欠薪清零");
    let hz = clear.iter().find(|r| r[0] == "徽州区").unwrap();
    assert_eq!(&hz[1..8], ["1", "1", "0", "0", "0", "2026-09-28", "未清零"]);
    let qimen = clear.iter().find(|r| r[0] == "祁门县").unwrap();
    assert_eq!(qimen[7], "已清零");
    let statuses = sheet("按状态");
    assert_eq!(statuses[1][0], "登记");
    assert_eq!(statuses[1][1], "2");
    // Audited; a period that does not read is refused.
    let audited = app
        .db
        .read()
        .await
        .unwrap()
        .int(Sql::new(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'case.stats_export' AND actor_name = 'lead'",
        ))
        .await
        .unwrap();
    assert_eq!(audited, 1);
    let (status, _, _) = download(&app, &lead, "/cases/stats/export?from=2026-09-30&to=2026-01-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn a_case_target_on_the_board(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    make_cases(&app).await;
    let office = actor(&app, "office").await;
    let o = Origin {
        client_addr: "127.0.0.1".into(),
    };
    let call = Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &o,
        now: at("2026-09-30"),
    };
    let cur = document::current(&app.db).await.unwrap();
    // The cases are of 2026, and a plan's figures stop at its end: a plan
    // period that holds them.
    let text = format!(
        "{}{}",
        cur.text.replacen("end = 2023-12-31", "end = 2026-12-31", 1),
        r#"
[[target]]
id = "case_clearance"
name = "欠薪案件动态清零"
source = "二（六）"
text = "快捷办理全国根治欠薪线索平台等交办、转办案件"
value = 0
unit = "件"
comparison = "at_most"
progress = "level"

[target.compute]
aggregate = "count"

[[target.compute.from]]
kind = "wage_case"
window = "to_date"
filters = [{ field = "open", is = "是" }]

[[target]]
id = "case_recovered"
name = "追回欠薪金额"
source = "二（六）"
text = "快捷办理全国根治欠薪线索平台等交办、转办案件"
value = 10
unit = "万元"

[target.compute]
aggregate = "sum"
field = "amount_recovered"

[[target.compute.from]]
kind = "wage_case"
date = "closed"
window = "to_date"
"#
    );
    document::save(&call, &text, cur.version, "测试：欠薪案件目标")
        .await
        .unwrap();
    let mut lead = app.login("lead").await;
    let page = app.get(&mut lead, "/plan/board?as_of=2026-09-30").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    assert!(b.contains("欠薪案件动态清零") && b.contains("追回欠薪金额"));
    // Two open cases against zero; 10,000元 recovered shown as 1万元 of 10万元.
    assert!(b.contains(">2件<"), "{b}");
    assert!(b.contains(">1万元<"), "{b}");
    assert!(b.contains("10万元"), "{b}");
    // Their figures lead to the case list (the city's, and each county's).
    assert!(b.contains("href=\"/cases\""), "{b}");
    assert!(b.contains("href=\"/cases?county=341021\""), "{b}");
    assert!(!b.contains("/records?kind=wage_case"), "{b}");
}
