//! 就业服务 over HTTP, on SQLite and PostgreSQL: a vacancy published through
//! its form, a worker registered as a job seeker from the registry, the two
//! matched, referred and hired (the employment record follows), seekers
//! masked for another county's staff, the wage guide computed and exported,
//! and the public job board.

use crate::common::{Agent, Resp, TestApp, credit, field_value};
use axum::http::StatusCode;
use shiminhua_app::both;
use shiminhua_app::store::{Db, Sql};

both!(
    a_vacancy_meets_a_seeker_and_the_board_shows_it,
    occupations_load_from_a_file,
    registrations_from_the_workers_page,
    a_seeker_registers_from_a_phone,
);

/// The number after `prefix` in a redirect or a link.
fn id_after(text: &str, prefix: &str) -> i64 {
    let i = text.find(prefix).unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[i + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

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

async fn a_vacancy_meets_a_seeker_and_the_board_shows_it(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut office = app.login("office").await;
    let mut shexian = app.login("shexian").await;
    let mut inspector = app.login("inspector").await;
    let workers = app.workers_in(&["341021100"]).await;
    let worker = workers["341021100"];

    // The navigation offers the job services; the form is there.
    let list = app.get(&mut shexian, "/jobs").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("href=\"/jobs/seekers\""), "navigation entry");
    // Lists of vacancies come in through the importer.
    assert!(list.body.contains("href=\"/imports?target=vacancy\""), "{}", list.body);
    let import = app.get(&mut shexian, "/imports?target=vacancy").await;
    assert_eq!(import.status, StatusCode::OK, "{}", import.body);
    assert!(import.body.contains("招聘岗位"), "{}", import.body);
    let template = app.get(&mut shexian, "/imports/template/vacancy").await;
    assert_eq!(template.status, StatusCode::OK);
    let employer = credit(41);
    let mut vacancy = vec![
        ("form_kind", "vacancy"),
        ("employer_code", employer.as_str()),
        ("employer", "歙县某食品有限公司"),
        ("industry", "C"),
        ("title", "包装工"),
        ("occupation", "6"),
        ("headcount", "2"),
        ("wage_min", "4,200"),
        ("wage_max", "3000"),
        ("place", "341021100"),
        ("contact", "歙县人社局就业服务窗口（徽城镇），电话0559-6500000"),
        ("valid_until", "2026-12-31"),
    ];
    // Every mistake at once, the input kept.
    let r = send(&app, &mut shexian, "/jobs/vacancies/new", &vacancy).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("月工资上限不能低于下限") && r.body.contains("包装工"));
    vacancy.retain(|(k, _)| *k != "wage_max");
    vacancy.push(("wage_max", "5200"));
    let r = send(&app, &mut shexian, "/jobs/vacancies/new", &vacancy).await;
    see_other(&r, "/jobs/vacancies/");
    let vid = id_after(r.location(), "/jobs/vacancies/");

    // The worker registers as a job seeker from the registry.
    let profile = app.get(&mut shexian, &format!("/workers/{worker}")).await;
    assert!(profile.body.contains(&format!("/jobs/seekers/new?worker={worker}")));
    let form = app
        .get(&mut shexian, &format!("/jobs/seekers/new?worker={worker}"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let path = format!("/jobs/seekers/new?worker={worker}");
    let r = send(&app, &mut shexian, &path, &[("occupations", "厨师长、宇航员")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("宇航员") || r.body.contains("厨师长"), "{}", r.body);
    let r = send(
        &app,
        &mut shexian,
        &path,
        &[
            ("occupations", "生产制造及有关人员"),
            ("min_wage", "4000"),
            ("places", "歙县"),
        ],
    )
    .await;
    see_other(&r, "/jobs/seekers/");
    let sid = id_after(r.location(), "/jobs/seekers/");

    // Matched both ways, with the rule shown.
    let page = app.get(&mut shexian, &format!("/jobs/seekers/{sid}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("/jobs/vacancies/{vid}")), "{}", page.body);
    assert!(
        page.body.contains("同乡镇") || page.body.contains("同区县"),
        "{}",
        page.body
    );
    let page = app.get(&mut shexian, &format!("/jobs/vacancies/{vid}")).await;
    assert!(page.body.contains(&format!("/jobs/seekers/{sid}")));

    // Another county's staff see the seeker, masked (劳务协作).
    let name: (String,) = app
        .db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT name FROM workers WHERE id = $1").bind(worker))
        .await
        .unwrap();
    let seen = app.get(&mut inspector, "/jobs/seekers").await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert!(seen.body.contains(&format!("/jobs/seekers/{sid}")));
    assert!(
        !seen.body.contains(&name.0),
        "the full name is not shown outside the county"
    );
    let own = app.get(&mut shexian, "/jobs/seekers").await;
    assert!(own.body.contains(&name.0));

    // Referred, then hired: the employment record follows.
    let r = send(
        &app,
        &mut shexian,
        "/jobs/referrals",
        &[
            ("seeker", &sid.to_string()),
            ("vacancy", &vid.to_string()),
            ("back", &format!("/jobs/vacancies/{vid}")),
        ],
    )
    .await;
    see_other(&r, &format!("/jobs/vacancies/{vid}?done=referred"));
    let page = app.get(&mut shexian, &format!("/jobs/vacancies/{vid}")).await;
    let rid = id_after(&page.body, "/jobs/referrals/");
    let version = field_value(&page.body[page.body.find("/jobs/referrals/").unwrap()..], "version");
    let r = send(
        &app,
        &mut shexian,
        &format!("/jobs/referrals/{rid}/outcome"),
        &[
            ("outcome", "hired"),
            ("version", &version),
            ("on", "2026-09-30"),
            ("wage", "4600"),
            ("contract", "是"),
            ("back", &format!("/jobs/seekers/{sid}")),
        ],
    )
    .await;
    see_other(&r, &format!("/jobs/seekers/{sid}?done=outcome"));
    let (n,): (i64,) = app
        .db
        .read()
        .await
        .unwrap()
        .one(
            Sql::new(
                "SELECT COUNT(*) FROM records WHERE worker_id = $1 AND kind = 'employment' AND source = 'referral'",
            )
            .bind(worker),
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let page = app.get(&mut shexian, &format!("/jobs/seekers/{sid}")).await;
    assert!(
        page.body.contains("录用") && page.body.contains("已就业"),
        "{}",
        page.body
    );

    // The wage guide: the office computes it; the export is a workbook.
    let r = send(
        &app,
        &mut office,
        "/jobs/wage-guide",
        &[("year", "2026"), ("min_cell", "1")],
    )
    .await;
    see_other(&r, "/jobs/wage-guide?year=2026");
    let guide = app.get(&mut office, "/jobs/wage-guide?year=2026").await;
    assert!(guide.body.contains("4,600"), "{}", guide.body);
    let (status, _, bytes) = crate::case_stats::download(&app, &office, "/jobs/wage-guide/export?year=2026").await;
    assert_eq!(status, StatusCode::OK);
    let sheets = shiminhua_app::xlsx::sheets_as_text(&bytes).expect("a workbook");
    let all = sheets[0]
        .1
        .iter()
        .find(|r| r[0] == "全部职业" && r[1] == "全部行业")
        .expect("the total line");
    assert_eq!((all[2].as_str(), all[5].as_str()), ("1", "4600"), "{all:?}");
    let r = send(&app, &mut shexian, "/jobs/wage-guide", &[("year", "2026")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The public board: no sign-in, the median next to the range, the
    // office's window to apply; a filled vacancy leaves it.
    let mut visitor = Agent::default();
    let board = app.get(&mut visitor, "/public/jobs?county=341021").await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(
        board.body.contains("包装工") && board.body.contains("4,200–5,200 元/月"),
        "{}",
        board.body
    );
    assert!(board.body.contains("同类岗位工资中位数 4,600 元/月"), "{}", board.body);
    let page = app.get(&mut visitor, &format!("/public/jobs/{vid}")).await;
    assert!(page.body.contains("歙县人社局就业服务窗口"));
    let none = app.get(&mut visitor, "/public/jobs?county=341022").await;
    assert!(!none.body.contains("包装工"));
    let bad = app.get(&mut visitor, "/public/jobs?wage=abc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let page = app.get(&mut shexian, &format!("/jobs/vacancies/{vid}")).await;
    let version = field_value(&page.body[page.body.find("/status").unwrap()..], "version");
    let r = send(
        &app,
        &mut shexian,
        &format!("/jobs/vacancies/{vid}/status"),
        &[("status", "withdrawn"), ("version", &version)],
    )
    .await;
    see_other(&r, &format!("/jobs/vacancies/{vid}"));
    let gone = app.get(&mut visitor, &format!("/public/jobs/{vid}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // A recruitment event: entered, its vacancies chosen, its figures
    // filled in afterwards; the county-by-series view and the public
    // calendar show it.
    let event = [
        ("form_kind", "event"),
        ("name", "歙县春风行动专场招聘会"),
        ("series", "春风行动"),
        ("organiser", "歙县人社局"),
        ("held_on", "2026-10-15"),
        ("place", "341021100"),
        ("venue", "县人力资源市场"),
        ("online", "否"),
    ];
    let r = send(&app, &mut shexian, "/jobs/events/new", &event).await;
    see_other(&r, "/jobs/events/");
    let eid = id_after(r.location(), "/jobs/events/");
    let board = app.get(&mut visitor, "/public/jobs").await;
    assert!(
        board.body.contains("近期招聘活动") && board.body.contains("歙县春风行动专场招聘会"),
        "{}",
        board.body
    );
    let page = app.get(&mut shexian, &format!("/jobs/events/{eid}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The county has no open vacancy now (the one above was withdrawn).
    assert!(page.body.contains("本区县暂无招聘中的岗位"), "{}", page.body);
    let edit = app.get(&mut shexian, &format!("/jobs/events/{eid}/edit")).await;
    let version = field_value(&edit.body, "version");
    let r = send(
        &app,
        &mut shexian,
        &format!("/jobs/events/{eid}/vacancies"),
        &[("version", &version), ("vacancy", &vid.to_string())],
    )
    .await;
    see_other(&r, &format!("/jobs/events/{eid}?done=vacancies"));
    let edit = app.get(&mut shexian, &format!("/jobs/events/{eid}/edit")).await;
    let version = field_value(&edit.body, "version");
    let mut figures: Vec<(&str, &str)> = event.to_vec();
    figures.extend([
        ("visitors", "260"),
        ("intents", "48"),
        ("hires", "12"),
        ("version", version.as_str()),
    ]);
    let r = send(&app, &mut shexian, &format!("/jobs/events/{eid}/edit"), &figures).await;
    see_other(&r, &format!("/jobs/events/{eid}?done=saved"));
    let view = app.get(&mut inspector, "/jobs/events?year=2026").await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert!(
        view.body.contains("歙县") && view.body.contains(">260<") && view.body.contains(">12<"),
        "{}",
        view.body
    );

    // A plan target over the events: the board's figure leads to exactly
    // the events counted.
    spring_target(&app).await;
    let board = app.get(&mut office, "/plan/board?as_of=2026-10-31").await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    let link = "/jobs/figure?target=spring_hires&#38;region=341000&#38;as_of=2026-10-31";
    assert!(board.body.contains(link), "{}", board.body);
    let drill = app.get(&mut office, &link.replace("&#38;", "&")).await;
    assert_eq!(drill.status, StatusCode::OK, "{}", drill.body);
    assert!(
        drill.body.contains("招聘活动 1 条，现场录用人数合计 12 人")
            && drill.body.contains(&format!("href=\"/jobs/events/{eid}\""))
            && drill.body.contains("春风行动"),
        "{}",
        drill.body
    );
    // Before the event, nothing is counted.
    let early = app
        .get(
            &mut office,
            "/jobs/figure?target=spring_hires&region=341021&as_of=2026-10-01",
        )
        .await;
    assert!(early.body.contains("合计 0 人") && early.body.contains("没有计入该数字的招聘活动记录"));
    // A person's entries are listed within the reader's scope only; the
    // figure is the same for everyone.
    let seekers = "/jobs/figure?target=seekers_registered&region=341000&as_of=2026-10-31";
    let own = app.get(&mut shexian, seekers).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(
        own.body.contains("计入 1 人") && own.body.contains("href=\"/jobs/seekers/"),
        "{}",
        own.body
    );
    let other = app.get(&mut inspector, seekers).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    assert!(other.body.contains("计入 1 人") && other.body.contains("另有 1 条在您的数据范围以外"));
    assert!(!other.body.contains("href=\"/jobs/seekers/"), "{}", other.body);
    // A target that is not counted from a register is refused in Chinese.
    let wrong = app.get(&mut office, "/jobs/figure?target=union_stations_new").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("不是按就业服务台账统计的目标"));
}

/// Adds a target over the 春风行动 hires to the plan, stretched to 2026.
async fn spring_target(app: &TestApp) {
    use shiminhua_app::plan::document;
    use shiminhua_app::{Call, users};
    use shiminhua_core::ids::UserId;
    let office = users::load_actor(&mut app.db.read().await.unwrap(), UserId(app.ids["office"]))
        .await
        .unwrap();
    let origin = shiminhua_app::Origin {
        client_addr: "127.0.0.1".into(),
    };
    let call = Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &origin,
        now: crate::common::t0(),
    };
    let cur = document::current(&app.db).await.unwrap();
    let text = format!(
        "{}{}",
        cur.text.replacen("end = 2023-12-31", "end = 2026-12-31", 1),
        r#"
[[target]]
id = "spring_hires"
name = "春风行动现场录用"
source = "二（三）"
text = "春风行动"
value = 500
unit = "人"

[target.count]
service = "job_events"
aggregate = "sum"
field = "hires"
date = "held"
filters = [{ field = "series", is = "春风行动" }]

[[target]]
id = "seekers_registered"
name = "求职登记人数"
source = "二（三）"
text = "求职登记"
value = 100
unit = "人"

[target.count]
service = "job_seekers"
date = "registered"
"#
    );
    document::save(&call, &text, cur.version, "测试：就业服务目标")
        .await
        .unwrap();
}

async fn occupations_load_from_a_file(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut admin = app.login("admin").await;
    let page = app.get(&mut admin, "/jobs/occupations").await;
    assert!(page.body.contains("生产制造及有关人员"));
    let csrf = app.csrf(&mut admin).await;
    let send_file = async |admin: &mut Agent, content: &[u8]| {
        let (ct, body) = crate::common::multipart_file(&[("csrf", &csrf)], "file", "职业.csv", content);
        app.request_bytes(admin, "POST", "/jobs/occupations", Some((&ct, body)))
            .await
    };
    let bad = "代码,名称\n6-29,建筑施工人员\n6-29-01-01,砌筑工\n".as_bytes();
    let r = send_file(&mut admin, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("第3行"), "{}", r.body);
    let good = "\u{feff}代码,名称\n6-29,建筑施工人员\n6-29-01,房屋建筑施工人员\n6-29-01-01,砌筑工\n".as_bytes();
    let r = send_file(&mut admin, good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&mut admin, "/jobs/occupations?q=砌筑").await;
    assert!(page.body.contains("6-29-01-01") && page.body.contains("砌筑工"));
}

async fn registrations_from_the_workers_page(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut shexian = app.login("shexian").await;
    let worker = app.workers_in(&["341021100"]).await["341021100"];
    let profile = app.get(&mut shexian, &format!("/workers/{worker}")).await;
    assert!(profile.body.contains(&format!(
        "/jobs/registrations/new?worker={worker}&amp;kind=unemployment"
    )));
    let path = format!("/jobs/registrations/new?worker={worker}&kind=unemployment");
    let form = app.get(&mut shexian, &path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let r = send(
        &app,
        &mut shexian,
        &path,
        &[
            ("since", "2026-08-01"),
            ("reason", "劳动合同期满"),
            ("registered_on", "2026-08-03"),
        ],
    )
    .await;
    see_other(&r, "/jobs/registrations?view=open");
    let list = app.get(&mut shexian, "/jobs/registrations").await;
    assert!(
        list.body.contains("登记失业人员（按乡镇）") && list.body.contains(">60<"),
        "{}",
        list.body
    );
    // The hire, registered late: the employment record is written, the
    // unemployment ends.
    let path = format!("/jobs/registrations/new?worker={worker}&kind=employment");
    let form = app.get(&mut shexian, &path).await;
    assert!(form.body.contains("用人单位统一社会信用代码") && form.body.contains("name=\"registered_on\""));
    let employer = credit(61);
    let mut job = vec![
        ("registered_on", "2026-09-30"),
        ("credit_code", employer.as_str()),
        ("employer", "歙县某茶业有限公司"),
        ("industry", "C"),
        ("form", "就近就业"),
        ("place", "341021100"),
        ("start", "2026-08-15"),
        ("contract", "是"),
    ];
    let r = send(&app, &mut shexian, &path, &job).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("是否经公共就业服务机构介绍") && r.body.contains("歙县某茶业有限公司"),
        "{}",
        r.body
    );
    job.push(("public_service", "否"));
    let r = send(&app, &mut shexian, &path, &job).await;
    see_other(&r, "/jobs/registrations?view=employment");
    let late = app.get(&mut shexian, "/jobs/registrations?view=late").await;
    assert!(late.body.contains("逾期登记"), "{}", late.body);
    let open = app.get(&mut shexian, "/jobs/registrations?view=open").await;
    assert!(open.body.contains("没有符合条件的登记"), "{}", open.body);
}

/// The text between `start` and the next `end`.
fn between(s: &str, start: &str, end: &str) -> String {
    let i = s.find(start).unwrap_or_else(|| panic!("{start} not in {s}")) + start.len();
    s[i..i + s[i..].find(end).unwrap()].to_string()
}

/// 求职登记 from a phone: the form with its notice, every mistake at once,
/// filed once, throttled, looked up by number and code, and accepted by the
/// county's staff from their list.
async fn a_seeker_registers_from_a_phone(db: Db) {
    let app = TestApp::new(db, false).await.with_config(|c| {
        c.public.challenge = false;
        c.public.submissions_per_hour = 3;
    });
    let mut phone = Agent::default();
    let board = app.get(&mut phone, "/public/jobs").await;
    assert!(board.body.contains("href=\"/public/jobs/register\""));
    let form = app.get(&mut phone, "/public/jobs/register").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("个人信息处理告知") && form.body.contains("不向用人单位提供您的身份证号码"));
    let token = field_value(&form.body, "submit_token");
    let person = shiminhua_core::id_number::IdNumber::from_parts(
        "341021",
        chrono::NaiveDate::from_ymd_opt(1991, 5, 6).unwrap(),
        37,
    )
    .unwrap();
    let mut fields = vec![
        ("submit_token", token.as_str()),
        ("name", "汪求职"),
        ("id_number", person.as_str()),
        ("phone", "13905591234"),
        ("region", "341021100"),
        ("major", "6"),
        ("major", "4"),
        ("min_wage", "4,500"),
    ];
    // Without consent and with a wrong phone: both said, the input kept.
    let mut wrong = fields.clone();
    wrong.retain(|(k, _)| *k != "phone");
    wrong.push(("phone", "1390559"));
    let r = send(&app, &mut phone, "/public/jobs/register", &wrong).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请阅读个人信息处理告知") && r.body.contains("手机号码应为11位数字"));
    assert!(r.body.contains("value=\"汪求职\"") && r.body.contains("value=\"6\" checked"));
    fields.push(("consent", "1"));
    let r = send(&app, &mut phone, "/public/jobs/register", &fields).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let number = between(&r.body, "id=\"application-number\">", "<");
    let code = between(&r.body, "id=\"query-code\">", "<");
    assert!(number.starts_with("QZ") && code.len() == 8);
    // Sent again (a retry on a weak connection): filed once, the same
    // number and code shown.
    let r = send(&app, &mut phone, "/public/jobs/register", &fields).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("已经提交过"));
    assert_eq!(between(&r.body, "id=\"query-code\">", "<"), code);
    // A fourth submission within the hour waits.
    let r = send(&app, &mut phone, "/public/jobs/register", &fields).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("提交过于频繁") && r.body.contains("value=\"汪求职\""));

    let (n, c) = (number.clone(), code.clone());
    let r = send(
        &app,
        &mut phone,
        "/public/jobs/register/query",
        &[("number", &n), ("code", &c.to_lowercase())],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("待工作人员确认"));
    let r = send(
        &app,
        &mut phone,
        "/public/jobs/register/query",
        &[("number", &n), ("code", "ABCDEFGH")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("没有查到"));

    // The county's staff: masked on the list, accepted into a seeker.
    let mut shexian = app.login("shexian").await;
    let list = app.get(&mut shexian, "/jobs/applications").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains(&number) && list.body.contains("汪**"),
        "{}",
        list.body
    );
    assert!(!list.body.contains(person.as_str()) && !list.body.contains("13905591234"));
    let mut inspector = app.login("inspector").await;
    let other = app.get(&mut inspector, "/jobs/applications").await;
    assert!(!other.body.contains(&number), "another county does not see it");
    let id = id_after(&list.body, "/jobs/applications/");
    // Not from another page: the form's token is required.
    let r = app
        .post(&mut shexian, &format!("/jobs/applications/{id}/accept"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&app, &mut shexian, &format!("/jobs/applications/{id}/accept"), &[]).await;
    see_other(&r, "/jobs/seekers/");
    let seeker = app.get(&mut shexian, r.location()).await;
    assert_eq!(seeker.status, StatusCode::OK, "{}", seeker.body);
    let r = send(
        &app,
        &mut phone,
        "/public/jobs/register/query",
        &[("number", &n), ("code", &c)],
    )
    .await;
    assert!(r.body.contains("已办理求职登记"), "{}", r.body);
}
