//! 工资支付监控 over HTTP, on SQLite and PostgreSQL: a project entered
//! through its forms and followed from a warning to a case, the scope of a
//! supervising department, the workers' own public check of their pay
//! (with its challenge and throttle), and the rules file refused with its
//! line numbers.

use crate::common::{Agent, PASSWORD, Resp, TestApp, approve_pending, field_value, t0};
use crate::public_cases::{app_with, from, solve};
use axum::http::{StatusCode, header};
use shiminhua_app::both;
use shiminhua_app::registry::workers::{self, WorkerInput};
use shiminhua_app::rights::monitor::{self, AttendanceInput, PayInput, RosterInput};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::users::{self, PasswordChange, UserForm};
use shiminhua_app::{Call, Origin};
use shiminhua_core::auth::{Grant, KindSet, RecordKind, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::UserId;
use shiminhua_core::monitor::Month;

both!(
    office_follows_a_warning_to_a_case,
    departments_see_their_authoritys_projects,
    workers_check_their_own_pay,
    rules_file_refused_with_its_lines,
);

/// The number after `prefix` in a redirect or a link.
fn id_after(text: &str, prefix: &str) -> i64 {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let digits: String = text[i + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .next()
        .unwrap_or_else(|| panic!("no {prefix}… in {text}"))
}

/// Posts a form with the agent's CSRF token.
async fn send(app: &TestApp, agent: &mut Agent, path: &str, fields: &[(&str, &str)]) -> Resp {
    let csrf = app.csrf(agent).await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    app.post(agent, path, &all).await
}

fn see_other(r: &Resp, to: &str) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().starts_with(to), "{} not {to}", r.location());
}

async fn office_follows_a_warning_to_a_case(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut office = app.login("office").await;
    // Two workers of the registry (see `TestApp::workers_in` for their ID numbers).
    let registered = app.workers_in(&["341021100", "341021101"]).await;
    let (paid, unpaid) = (registered["341021100"], registered["341021101"]);
    let birth = chrono::NaiveDate::from_ymd_opt(1985, 3, 1).unwrap();
    let id_numbers = [
        IdNumber::from_parts("341021", birth, 11).unwrap(),
        IdNumber::from_parts("341021", birth.succ_opt().unwrap(), 12).unwrap(),
    ];

    // The board and the form are there; the navigation offers the monitoring.
    let board = app.get(&mut office, "/monitor").await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(board.body.contains("href=\"/monitor\""), "navigation entry");
    assert!(board.body.contains("立即核验"));
    assert!(board.body.contains("<svg class=\"chart\""), "the trend chart");
    let form = app.get(&mut office, "/monitor/projects/new").await;
    assert_eq!(form.status, StatusCode::OK);
    // A project form with a mistake is shown again with the input kept.
    let project = [
        ("code", "HS-2026-001"),
        ("name", "徽城安置房二期"),
        ("kind", "房屋建筑"),
        ("place", "341021100"),
        ("builder", "歙县城投公司"),
        ("contractor", "安徽某建工集团"),
        ("contract_sum", "12,000,000"),
        ("contract_date", "2026-01-10"),
        ("status", "在建"),
    ];
    let (builder, contractor) = (crate::common::credit(31), crate::common::credit(32));
    // As a browser sends the form page: its hidden `form_kind` (the form's
    // code) first, then the project's own 项目类型 (`kind`).
    assert!(
        form.body
            .contains("<input type=\"hidden\" name=\"form_kind\" value=\"project\">"),
        "{}",
        form.body
    );
    let mut fields: Vec<(&str, &str)> = vec![("form_kind", "project")];
    fields.extend_from_slice(&project);
    fields.push(("builder_code", &builder));
    let r = send(&app, &mut office, "/monitor/projects/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("徽城安置房二期"), "input kept");
    assert!(r.body.contains("<option value=\"房屋建筑\" selected>"), "the kind kept");
    assert!(
        !r.body.contains("项目类型应为"),
        "the kind is the project's: {}",
        r.body
    );
    fields.push(("contractor_code", &contractor));
    let r = send(&app, &mut office, "/monitor/projects/new", &fields).await;
    see_other(&r, "/monitor/projects/");
    let pid = id_after(r.location(), "/monitor/projects/");
    let page = app
        .get(&mut office, &format!("/monitor/projects/{pid}?done=created"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("已新增项目"));
    // 12,000,000 yuan at 1%: 120,000 yuan required, nothing held.
    assert!(page.body.contains("应存 <strong>120,000 元</strong>"), "{}", page.body);
    assert!(page.body.contains("不足"));

    // The form again, filled in: a change saved, a stale one refused with the input kept.
    let base = format!("/monitor/projects/{pid}");
    let edit = app.get(&mut office, &format!("{base}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(
        edit.body.contains("<option value=\"341021100\" selected>"),
        "the place chosen"
    );
    let version = field_value(&edit.body, "version");
    let mut changed: Vec<(&str, &str)> = fields.clone();
    changed.retain(|(k, _)| *k != "name");
    changed.push(("name", "徽城安置房二期工程"));
    changed.push(("version", &version));
    let r = send(&app, &mut office, &format!("{base}/edit"), &changed).await;
    see_other(&r, &format!("{base}?done=saved"));
    let r = send(&app, &mut office, &format!("{base}/edit"), &changed).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已被他人修改") && r.body.contains("徽城安置房二期工程"));
    // The special account within 30 days, a deposit, the board.
    let r = send(
        &app,
        &mut office,
        &format!("{base}/account"),
        &[
            ("bank", "歙县农商银行徽城支行"),
            ("opened", "2026-01-20"),
            ("agreement", "是"),
        ],
    )
    .await;
    see_other(&r, &base);
    let r = send(
        &app,
        &mut office,
        &format!("{base}/deposits"),
        &[("form", "现金"), ("amount", "120000"), ("from", "2026-01-20")],
    )
    .await;
    see_other(&r, &base);
    // A deposit without its amount is refused next to the field.
    let r = send(
        &app,
        &mut office,
        &format!("{base}/deposits"),
        &[("form", "现金"), ("from", "2026-01-20")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"deposit-amount-err\""), "{}", r.body);
    // The notice board with its photo, sent as the page's form sends it
    // (multipart); a file that is not a picture is refused next to its input.
    let csrf = app.csrf(&mut office).await;
    let board = |name: &str, content: &[u8]| {
        crate::common::multipart_file(&[("csrf", &csrf), ("set_on", "2026-02-01")], "photo", name, content)
    };
    let (ct, body) = board("告示牌.pdf", b"%PDF-1.4 x");
    let r = app
        .request_bytes(&mut office, "POST", &format!("{base}/board"), Some((&ct, body)))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("id=\"board-photo-err\"") && r.body.contains("只接受 jpg、png"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("<figure class=\"board-photo\">"), "nothing kept");
    let photo = b"\x89PNG\r\n\x1a\nphoto of the board".to_vec();
    let (ct, body) = board("现场.png", &photo);
    let r = app
        .request_bytes(&mut office, "POST", &format!("{base}/board"), Some((&ct, body)))
        .await;
    see_other(&r, &format!("{base}?done=board"));
    let page = app.get(&mut office, r.location()).await;
    assert!(page.body.contains("已设置（2026-02-01）"), "{}", page.body);
    let src = format!("{base}/board/");
    let at = page
        .body
        .find(&format!("<img src=\"{src}"))
        .expect("the photo is shown")
        + 10
        + src.len();
    let file: String = page.body[at..].chars().take_while(char::is_ascii_digit).collect();
    let shown = app.get(&mut office, &format!("{src}{file}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.headers["content-type"], "image/png");
    assert!(
        shown.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    assert_eq!(shown.body, String::from_utf8_lossy(&photo));
    // The date alone, as a plain form, keeps the photo.
    let r = send(&app, &mut office, &format!("{base}/board"), &[("set_on", "2026-02-03")]).await;
    see_other(&r, &base);
    let page = app.get(&mut office, &base).await;
    assert!(page.body.contains("已设置（2026-02-03）") && page.body.contains(&format!("<img src=\"{src}{file}\"")));

    // The roster: someone not in the registry is refused with a way to register them.
    let stranger = IdNumber::from_parts("341021", birth, 99).unwrap();
    let roster = |id: &str| {
        vec![
            ("id_number", id.to_string()),
            ("team", "钢筋班".to_string()),
            ("contract", "是".to_string()),
            ("entered", "2026-03-01".to_string()),
        ]
    };
    let pairs = roster(stranger.as_str());
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = send(&app, &mut office, &format!("{base}/roster"), &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请先登记该农民工"), "{}", r.body);
    assert!(r.body.contains("href=\"/workers/new\""));
    for id_number in &id_numbers {
        let pairs = roster(id_number.as_str());
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = send(&app, &mut office, &format!("{base}/roster"), &pairs).await;
        see_other(&r, &base);
    }
    // August's attendance of both; one of them paid.
    let pay = async |office: &mut Agent, worker: i64| {
        let w = worker.to_string();
        let r = send(
            &app,
            office,
            &format!("{base}/payroll"),
            &[
                ("worker", &w),
                ("month", "2026-08"),
                ("amount", "4800"),
                ("paid_on", "2026-09-05"),
                ("account", "6222 0212 3456 7890 123"),
            ],
        )
        .await;
        see_other(&r, &base);
    };
    for worker in [paid, unpaid] {
        let w = worker.to_string();
        let r = send(
            &app,
            &mut office,
            &format!("{base}/attendance"),
            &[("worker", &w), ("month", "2026-08"), ("days", "22")],
        )
        .await;
        see_other(&r, &base);
    }
    // A day count out of range is refused next to its field.
    let w = unpaid.to_string();
    let r = send(
        &app,
        &mut office,
        &format!("{base}/attendance"),
        &[("worker", &w), ("month", "2026-08"), ("days", "40")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"attendance-days-err\""), "{}", r.body);
    pay(&mut office, paid).await;
    let page = app.get(&mut office, &base).await;
    assert!(page.body.contains("22天 / 未发"), "{}", page.body);
    assert!(page.body.contains(" unpaid\""), "the unpaid cell is marked");

    // 立即核验: the warning list shows the worker unpaid on this project,
    // and no warning of the account opened in time.
    let r = send(&app, &mut office, "/monitor/evaluate", &[]).await;
    see_other(&r, "/monitor?done=evaluated");
    let board = app.get(&mut office, r.location()).await;
    assert!(board.body.contains("核验完成"), "{}", board.body);
    // The board's county row leads to the county's warnings.
    assert!(
        board
            .body
            .contains("<a href=\"/monitor/warnings?region=341021\">歙县</a>"),
        "{}",
        board.body
    );
    let county = app.get(&mut office, "/monitor/warnings?region=341021").await;
    assert!(county.body.contains("歙县徽城镇") && county.body.contains("徽城安置房二期"));
    let list = app
        .get(
            &mut office,
            &format!("/monitor/warnings?check=unpaid_workers&project={pid}"),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("徽城安置房二期"), "{}", list.body);
    assert!(list.body.contains(">有考勤未发工资</a>"), "{}", list.body);
    let wid = id_after(&list.body, "href=\"/monitor/warnings/");
    // 欠薪清零 counts the county's warnings of unpaid wages; its figure
    // leads to exactly that many warnings.
    let clear = app.get(&mut office, "/cases/clearance").await;
    let link = "/monitor/warnings?region=341021&#38;unpaid=1\">";
    let at = clear.body.find(link).unwrap_or_else(|| panic!("{}", clear.body)) + link.len();
    let figure: String = clear.body[at..].chars().take_while(char::is_ascii_digit).collect();
    let drill = app.get(&mut office, "/monitor/warnings?region=341021&unpaid=1").await;
    assert!(
        drill.body.contains(&format!("共 {figure} 条")),
        "{figure}: {}",
        drill.body
    );
    assert_ne!(figure, "0");
    let none = app
        .get(
            &mut office,
            &format!("/monitor/warnings?check=no_account&project={pid}"),
        )
        .await;
    assert!(none.body.contains("没有符合条件的预警"), "{}", none.body);
    // The export holds it.
    let x = app
        .get(&mut office, &format!("/monitor/warnings/export?project={pid}"))
        .await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(
        x.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );

    // 签收, then 解除 without a reason: refused in Chinese.
    let wpath = format!("/monitor/warnings/{wid}");
    let page = app.get(&mut office, &wpath).await;
    let version = field_value(&page.body, "version");
    let r = send(
        &app,
        &mut office,
        &format!("{wpath}/act"),
        &[("action", "acknowledge"), ("version", &version)],
    )
    .await;
    see_other(&r, &wpath);
    let page = app.get(&mut office, &wpath).await;
    assert!(page.body.contains("已签收"));
    let stale = version;
    let version = field_value(&page.body, "version");
    assert_ne!(version, stale);
    let r = send(
        &app,
        &mut office,
        &format!("{wpath}/act"),
        &[("action", "resolve"), ("version", &version), ("reason", "  ")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写解除理由"), "{}", r.body);
    // An action from the version seen before is refused too.
    let r = send(
        &app,
        &mut office,
        &format!("{wpath}/act"),
        &[("action", "resolve"), ("version", &stale), ("reason", "已处理")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // 转为欠薪线索: the case, source 监控预警, linked both ways.
    let r = send(
        &app,
        &mut office,
        &format!("{wpath}/case"),
        &[("version", &version), ("amount_claimed", "")],
    )
    .await;
    see_other(&r, "/cases/");
    let case_id = id_after(r.location(), "/cases/");
    let case = app.get(&mut office, &format!("/cases/{case_id}")).await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(case.body.contains("监控预警"), "{}", case.body);
    let page = app.get(&mut office, &wpath).await;
    assert!(page.body.contains("已解除"));
    assert!(page.body.contains(&format!("href=\"/cases/{case_id}\"")));
    let page = app.get(&mut office, &base).await;
    assert!(page.body.contains("转办的欠薪线索"));

    // The other's pay of August: the cell shows it.
    pay(&mut office, unpaid).await;
    let page = app.get(&mut office, &base).await;
    assert!(page.body.contains("22天 / 4,800元"), "{}", page.body);
    assert!(!page.body.contains("22天 / 未发"));

    // The 工作台 counts the open warnings and links to them.
    let home = app.get(&mut office, "/").await;
    assert!(home.body.contains("待处置的工资支付预警"));
    assert!(home.body.contains("href=\"/monitor/warnings?overdue=1\""));
}

/// Makes `user` a member of the unit with this code.
async fn set_unit(db: &Db, user: &str, unit: &str) {
    let mut tx = db.write().await.unwrap();
    tx.exec(
        Sql::new("UPDATE users SET unit_id = (SELECT id FROM units WHERE code = $1) WHERE username = $2")
            .bind(unit)
            .bind(user),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn departments_see_their_authoritys_projects(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let housing = app.project("341021100", "ZJ-001", "房屋建筑").await;
    let water = app.project("341021100", "SL-001", "水利").await;
    let mut dept = app.login("dept").await;
    // A department account of no supervising authority sees no projects.
    let r = app.get(&mut dept, "/monitor").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let home = app.get(&mut dept, "/").await;
    assert!(!home.body.contains("href=\"/monitor\""), "no navigation entry");
    // 住房城乡建设: its own projects only.
    set_unit(&db, "dept", "341000-zjj").await;
    let home = app.get(&mut dept, "/").await;
    assert!(home.body.contains("href=\"/monitor\""), "navigation entry");
    let r = app.get(&mut dept, &format!("/monitor/projects/{housing}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.get(&mut dept, &format!("/monitor/projects/{water}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get(&mut dept, &format!("/monitor/projects/{water}/edit")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = app.get(&mut dept, "/monitor/projects").await;
    assert!(
        list.body.contains("ZJ-001") && !list.body.contains("SL-001"),
        "{}",
        list.body
    );
    // The office sees both.
    let mut office = app.login("office").await;
    let list = app.get(&mut office, "/monitor/projects").await;
    assert!(list.body.contains("ZJ-001") && list.body.contains("SL-001"));

    // An account without projects in its data scope: refused, no entry.
    let mut tx = db.read().await.unwrap();
    let admin = users::load_actor(&mut tx, UserId(app.ids["admin"])).await.unwrap();
    drop(tx);
    let o = Origin::default();
    let policy = shiminhua_core::password::PasswordPolicy::default();
    let kinds: KindSet = RecordKind::ALL
        .into_iter()
        .filter(|k| *k != RecordKind::Project)
        .collect();
    let form = UserForm {
        username: "noproj".into(),
        display_name: "测试无项目范围".into(),
        unit_id: None,
        roles: vec![Role::Local],
        grants: vec![Grant {
            region: DivisionCode::parse("341021").unwrap(),
            kinds,
        }],
    };
    let (id, otp) = users::create(&db, &admin, &o, t0(), form).await.unwrap();
    let change = PasswordChange {
        current: &otp,
        new: PASSWORD,
        confirm: PASSWORD,
    };
    users::change_password(&db, id, &o, t0(), &policy, &change)
        .await
        .unwrap();
    approve_pending(&app, id).await;
    let mut noproj = app.login("noproj").await;
    let r = app.get(&mut noproj, "/monitor").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get(&mut noproj, &format!("/monitor/projects/{housing}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let home = app.get(&mut noproj, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.body.contains("href=\"/monitor\""));
}

const PHONE: &str = "13905597788";

async fn workers_check_their_own_pay(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    // A worker with a phone on file, on a project's roster, with August
    // attended and paid; September attended and not paid.
    let id_number = IdNumber::from_parts("341021", chrono::NaiveDate::from_ymd_opt(1990, 5, 5).unwrap(), 21).unwrap();
    let pid = app.project("341021100", "HS-PAY-1", "房屋建筑").await;
    let mut tx = db.read().await.unwrap();
    let office = users::load_actor(&mut tx, UserId(app.ids["office"])).await.unwrap();
    drop(tx);
    let o = Origin::default();
    let call = Call {
        db: &db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &o,
        now: app.clock.now(),
    };
    let input = WorkerInput {
        name: "王建国".into(),
        id_number: id_number.as_str().into(),
        phone: PHONE.into(),
        region: "341021100".into(),
        ..WorkerInput::default()
    };
    let worker = workers::create_worker(&call, &input).await.unwrap();
    let roster = RosterInput {
        worker_id: worker,
        contract_signed: true,
        entered_on: chrono::NaiveDate::from_ymd_opt(2026, 6, 1),
        ..RosterInput::default()
    };
    monitor::add_roster(&call, pid, &roster).await.unwrap();
    let (aug, sep) = (Month::new(2026, 8).unwrap(), Month::new(2026, 9).unwrap());
    let days = |month| AttendanceInput {
        worker_id: worker,
        month,
        days: 22,
    };
    monitor::record_attendance(&call, pid, &[days(aug), days(sep)])
        .await
        .unwrap();
    let pay = PayInput {
        worker_id: worker,
        month: aug,
        amount_fen: 480_000,
        paid_on: chrono::NaiveDate::from_ymd_opt(2026, 9, 5).unwrap(),
        account: "6222021234567890123".into(),
    };
    monitor::record_pay(&call, pid, &[pay]).await.unwrap();

    let mut anon = Agent::default();
    let check = |id: String, phone: String| (id, phone);
    let ask = async |anon: &mut Agent, (id, phone): (String, String)| {
        let page = app.get(anon, "/public/pay").await;
        assert_eq!(page.status, StatusCode::OK);
        let (token, answer) = solve(&page.body);
        app.post(
            anon,
            "/public/pay",
            &[
                ("csrf", &page.csrf()),
                ("id_number", &id),
                ("phone", &phone),
                ("challenge_token", &token),
                ("challenge_answer", &answer),
            ],
        )
        .await
    };
    let r = ask(&mut anon, check(id_number.as_str().into(), PHONE.into())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("2026年8月"), "{}", r.body);
    assert!(r.body.contains("已到账"));
    assert!(r.body.contains("4,800元"));
    assert!(r.body.contains("2026年9月5日"));
    assert!(r.body.contains("有考勤未到账"), "September");
    assert!(r.body.contains("测试工程HS-PAY-1"));
    assert!(!r.body.contains("王建国"), "nothing more about the person");
    assert!(!r.body.contains(PHONE), "what was typed is not shown again");
    // A wrong phone, and somebody on no roster: the same answer.
    let wrong = ask(&mut anon, check(id_number.as_str().into(), "13905590000".into())).await;
    let other = IdNumber::from_parts("341021", chrono::NaiveDate::from_ymd_opt(1991, 1, 1).unwrap(), 31).unwrap();
    let nobody = ask(&mut anon, check(other.as_str().into(), PHONE.into())).await;
    for r in [&wrong, &nobody] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert!(r.body.contains("未查到记录"));
        assert!(!r.body.contains("测试工程") && !r.body.contains("已到账"));
    }
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.contains("challenge") && !l.contains("csrf"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&wrong.body), strip(&nobody.body));
    // The challenge is required.
    let page = app.get(&mut anon, "/public/pay").await;
    let r = app
        .post(
            &mut anon,
            "/public/pay",
            &[
                ("csrf", &page.csrf()),
                ("id_number", id_number.as_str()),
                ("phone", PHONE),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请回答下面的验证问题后再提交"));
    assert!(!r.body.contains("已到账"));

    // Throttled per client, as the public case lookups.
    let app = app_with(&app, |p| p.lookups_per_minute = 2);
    let csrf = app.get(&mut anon, "/public/pay").await.csrf();
    let q = [
        ("csrf", csrf.as_str()),
        ("id_number", id_number.as_str()),
        ("phone", PHONE),
    ];
    for _ in 0..2 {
        let r = from(&app, &mut anon, "10.2.2.1", "/public/pay", &q).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let r = from(&app, &mut anon, "10.2.2.1", "/public/pay", &q).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(r.body.contains("提交过于频繁"));
    let r = from(&app, &mut anon, "10.2.2.2", "/public/pay", &q).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Switched off with the public case pages.
    let off = app_with(&app, |p| p.cases = false);
    assert_eq!(off.get(&mut anon, "/public/pay").await.status, StatusCode::NOT_FOUND);
}

async fn rules_file_refused_with_its_lines(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut office = app.login("office").await;
    let page = app.get(&mut office, "/monitor/rules").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("due_day = 10"));
    let text = shiminhua_core::monitor::rules::DEFAULT_RULES;
    let line = text.lines().position(|l| l.starts_with("due_day =")).unwrap() + 1;
    let broken = text.replace("due_day = 10", "due_day = 99");
    let r = send(&app, &mut office, "/monitor/rules", &[("rules", &broken)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(&format!("第{line}行：")), "{}", r.body);
    assert!(r.body.contains("due_day = 99"), "the text kept");
    // Nothing saved.
    let page = app.get(&mut office, "/monitor/rules").await;
    assert!(page.body.contains("due_day = 10"));
    // A sound file is saved.
    let changed = text.replace("due_day = 10", "due_day = 15");
    let r = send(&app, &mut office, "/monitor/rules", &[("rules", &changed)]).await;
    see_other(&r, "/monitor/rules?done=saved");
    let page = app.get(&mut office, "/monitor/rules").await;
    assert!(page.body.contains("due_day = 15"));
    // The office's alone.
    let mut lead = app.login("lead").await;
    assert_eq!(app.get(&mut lead, "/monitor/rules").await.status, StatusCode::FORBIDDEN);
}
