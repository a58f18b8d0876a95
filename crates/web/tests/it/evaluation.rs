//! 市民化情况评估 over HTTP, on SQLite and PostgreSQL: the A4 report page
//! and the workbook, read back cell by cell, with the scores worked out here
//! from the records made.

use crate::common::{Agent, TestApp, t0};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{Origin, both, users, xlsx};
use shiminhua_core::auth::RecordKind;
use shiminhua_core::ids::UserId;
use shiminhua_core::ids::WorkerId;
use tower::ServiceExt;

both!(evaluation_report_and_workbook);

/// A GET answered with its raw bytes (a workbook is not text).
async fn download(app: &TestApp, agent: &Agent, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
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

/// Three people in 歙县 (徽城镇) wish to settle; one settled in 2023.
async fn settlements(app: &TestApp) {
    let mut tx = app.db.read().await.unwrap();
    let office = users::load_actor(&mut tx, UserId(app.ids["office"])).await.unwrap();
    drop(tx);
    let o = Origin {
        client_addr: "127.0.0.1".into(),
    };
    let call = shiminhua_app::Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &o,
        now: t0(),
    };
    let town = "341021100";
    for n in 0..3u16 {
        let birth = chrono::NaiveDate::from_ymd_opt(1986, 5, 1 + u32::from(n)).unwrap();
        let id = shiminhua_core::id_number::IdNumber::from_parts("341021", birth, 21 + n).unwrap();
        let input = shiminhua_app::registry::workers::WorkerInput {
            name: "测试落户".into(),
            id_number: id.as_str().into(),
            region: town.into(),
            ..Default::default()
        };
        let worker = shiminhua_app::registry::workers::create_worker(&call, &input)
            .await
            .unwrap();
        let settled = n == 0;
        let get = |k: &str| -> String {
            match k {
                "intention" => "有".into(),
                "intention_date" => "2023-02-01".into(),
                "settled" if settled => "2023-05-20".into(),
                "household" if settled => "家庭户".into(),
                "place" if settled => "徽城镇".into(),
                _ => String::new(),
            }
        };
        shiminhua_app::registry::records::create_record(&call, WorkerId(worker), RecordKind::Settlement, &get)
            .await
            .unwrap();
    }
}

async fn evaluation_report_and_workbook(db: Db) {
    let app = TestApp::new(db, false).await;
    settlements(&app).await;
    // Worked out from the records: 歙县 is scored on the three level
    // targets (the shipped plan allocates nothing and keeps 家政覆盖区县 for
    // the city), 100 ÷ 3 points each; one in three settled against 100 %.
    let settlement_points: f64 = 100.0 / 3.0;
    let shexian = (settlement_points / 3.0 * 100.0).round() / 100.0;
    assert_eq!(format!("{shexian:.2}"), "11.11");
    // The city: 10 points for settlement.
    let city = (10.0_f64 / 3.0 * 100.0).round() / 100.0;

    let mut lead = app.login("lead").await;
    let page = app.get(&mut lead, "/plan/evaluation").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    for shown in [
        "<h1>市民化情况评估</h1>",
        "截至2023年12月31日",
        "《开展县域农民工市民化质量提升行动实施方案》",
        "一、评估结果",
        "二、各目标完成情况",
        "歙县评分表",
        "黄山市评分表",
        "祁门县评分表",
        "各单位尚未报送工作总结",
        "aria-label=\"各区县评估得分\"",
        "aria-label=\"全市各目标完成率\"",
        "方案未规定评估分值",
        "href=\"/plan/evaluation/export?as_of=2023-12-31\"",
    ] {
        assert!(body.contains(shown), "«{shown}» on the page");
    }
    assert!(
        body.contains(&format!(
            "歙县：<strong>{shexian:.2}分</strong>（满分100分），全市各区县第1名"
        )),
        "歙县's total and rank"
    );
    assert!(
        body.contains(&format!("黄山市：<strong>{city:.2}分</strong>")),
        "the city's total"
    );
    assert!(
        body.contains("暂无数据：尚未填报，按0分计"),
        "reported targets without a report"
    );
    assert!(
        body.contains("未分解到区县，只评全市"),
        "unallocated targets are explained"
    );
    assert_eq!(
        body.matches("class=\"report-section sheet\"").count(),
        8,
        "the city and 7 counties"
    );
    // The other six counties have no data and share second place.
    assert!(body.contains("祁门县：<strong>0.00分</strong>（满分100分），全市各区县第2名"));

    // A date that does not read: the message, the text kept, the plan's end used.
    let bad = app.get(&mut lead, "/plan/evaluation?as_of=2023-13-45").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("日期“2023-13-45”格式不正确"), "{}", bad.body);
    assert!(bad.body.contains("value=\"2023-13-45\""));
    assert!(bad.body.contains("截至2023年12月31日"));
    // Mid-year nobody had settled yet.
    let early = app.get(&mut lead, "/plan/evaluation?as_of=2023-03-31").await;
    assert!(early.body.contains("截至2023年3月31日"));
    assert!(early.body.contains("歙县：<strong>0.00分</strong>"), "{}", early.body);

    // The workbook.
    let (status, headers, bytes) = download(&app, &lead, "/plan/evaluation/export?as_of=2023-12-31").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.contains("20231231.xlsx"), "{disposition}");
    let sheets = xlsx::sheets_as_text(&bytes).expect("a workbook");
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"总表"));
    assert_eq!(names.len(), 1 + 8 + 2, "{names:?}");
    assert!(names.contains(&"歙县") && names.contains(&"单位工作总结"));
    let sheet = |n: &str| &sheets.iter().find(|(name, _)| name == n).unwrap().1;

    let total = sheet("总表");
    assert_eq!(&total[0][..3], ["区县", "总分", "名次"]);
    let row = total.iter().find(|r| r[0] == "歙县").expect("歙县's row");
    assert_eq!(row[1].parse::<f64>().unwrap(), shexian);
    assert_eq!(row[2], "1");
    // settlement is the 8th target (the parks are two): figure, goal, score.
    let col = 3 + 3 * 7;
    assert_eq!(total[0][col], "有落户意愿的农业转移人口落户比例（%）");
    assert!(
        (row[col].parse::<f64>().unwrap() - 100.0 / 3.0).abs() < 1e-9,
        "{}",
        row[col]
    );
    assert_eq!(row[col + 1], "100");
    assert_eq!(row[col + 2].parse::<f64>().unwrap(), shexian);
    let city_row = total.last().unwrap();
    assert_eq!(city_row[0], "黄山市");
    assert_eq!(city_row[1].parse::<f64>().unwrap(), city);

    let s = sheet("歙县");
    let last = s.last().unwrap();
    assert_eq!(last[0], "合计");
    assert_eq!(last[7].parse::<f64>().unwrap(), shexian);
    assert_eq!(last[8], "全市各区县第1名");
    assert_eq!(sheet("单位工作总结")[1][0], "各单位尚未报送工作总结");

    // The export is audited; a date that does not read is refused.
    let audited = app
        .db
        .read()
        .await
        .unwrap()
        .int(Sql::new(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'evaluation.export' AND actor_name = 'lead'",
        ))
        .await
        .unwrap();
    assert_eq!(audited, 1);
    let (status, _, body) = download(&app, &lead, "/plan/evaluation/export?as_of=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("格式不正确"));

    // The auditor has no dashboard.
    let mut auditor = app.login("auditor").await;
    assert_eq!(
        app.get(&mut auditor, "/plan/evaluation").await.status,
        StatusCode::FORBIDDEN
    );
    let (status, _, _) = download(&app, &auditor, "/plan/evaluation/export").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
