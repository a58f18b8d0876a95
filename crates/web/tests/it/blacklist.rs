//! The pages of the arrears blacklist (失信名单) over HTTP, on SQLite and
//! PostgreSQL: the list with its filters, print view and export, the
//! listing form with its errors in Chinese and the input kept, a listing's
//! page with the cases of the same employer, early removal and revocation
//! with their refusals, and who may do what.

use crate::common::{Agent, TestApp, credit, field_value, t0};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use shiminhua_app::store::Db;
use shiminhua_app::{Origin, both, users};
use shiminhua_core::auth::{Permission, Role, RoleSet};
use shiminhua_core::case::CaseInput;
use shiminhua_core::ids::UserId;
use tower::ServiceExt;

both!(listing_pages_and_errors, removal_pages_and_roles);

async fn page_ok(app: &TestApp, agent: &mut Agent, path: &str) -> String {
    let r = app.get(agent, path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

fn listing<'a>(
    csrf: &'a str,
    name: &'a str,
    code: &'a str,
    listed_on: &'a str,
    doc: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("employer_name", name),
        ("credit_code", code),
        ("responsible_persons", "张某某"),
        ("reason", "refusal"),
        ("listed_on", listed_on),
        ("document_no", doc),
        ("authority", "歙县人力资源和社会保障局"),
        ("county", "341021"),
        ("amount_owed", "86400"),
        ("workers", "12"),
    ]
}

/// Adds a listing through the form; returns its id.
async fn add(app: &TestApp, agent: &mut Agent, fields: &[(&str, &str)]) -> i64 {
    let r = app.post(agent, "/blacklist/new", fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location().to_string();
    assert!(loc.ends_with("?done=added"), "{loc}");
    loc.trim_start_matches("/blacklist/")
        .trim_end_matches("?done=added")
        .parse()
        .unwrap()
}

/// Registers a case of the employer with this code (as the office).
async fn case_of(app: &TestApp, employer: &str, code: &str) -> (i64, String) {
    let mut tx = app.db.read().await.unwrap();
    let office = users::load_actor(&mut tx, UserId(app.ids["office"])).await.unwrap();
    drop(tx);
    let o = Origin::default();
    let call = shiminhua_app::Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &o,
        now: t0(),
    };
    let input = CaseInput {
        source: "12333".into(),
        received_on: "2023-09-27".into(),
        anonymous: true,
        employer_name: employer.into(),
        employer_credit_code: code.into(),
        sector: "餐饮".into(),
        workers: "12".into(),
        amount_claimed: "86,400元".into(),
        arrears_from: "2023-05-01".into(),
        arrears_to: "2023-08-31".into(),
        description: "五月至八月工资未发放".into(),
        region: "徽城镇".into(),
        ..CaseInput::default()
    };
    let reg = shiminhua_app::rights::cases::register(&call, &input).await.unwrap();
    (reg.id, reg.number)
}

async fn listing_pages_and_errors(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut office = app.login("office").await;
    // The nav entry and the empty list.
    let list = page_ok(&app, &mut office, "/blacklist").await;
    assert!(list.contains("href=\"/blacklist\"") && list.contains("失信名单") && list.contains("欠薪治理"));
    assert!(list.contains("没有符合条件的名单记录") && list.contains("href=\"/blacklist/new\""));
    let form = page_ok(&app, &mut office, "/blacklist/new").await;
    let csrf = field_value(&form, "csrf");
    assert!(form.contains("拒不支付劳动报酬（达到刑事立案标准）") && form.contains("引发群体性事件或极端事件"));
    assert!(form.contains("<option value=\"341021\">歙县</option>"));

    // Bad input: each reason next to its field, in Chinese, the input kept.
    let r = app
        .post(
            &mut office,
            "/blacklist/new",
            &[
                ("csrf", &csrf),
                ("employer_name", "黄山某建筑劳务有限公司"),
                ("credit_code", "91341021MA000001"),
                ("responsible_persons", "张三 341021199001011234"),
                ("reason", ""),
                ("listed_on", "2026-10-01"),
                ("document_no", "歙人社失信决〔2026〕1号"),
                ("authority", ""),
                ("county", "341021"),
                ("amount_owed", "八万"),
                ("case_number", "HS2023-999999"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in [
        "统一社会信用代码应为18位，实际为16位",
        "责任人只填写姓名，不填写身份证号码、电话等其他信息",
        "请选择列入事由",
        "列入日期不能晚于今天",
        "请填写作出决定的部门",
        "拖欠工资金额：",
        "未找到案件编号为“HS2023-999999”的欠薪案件",
        "value=\"黄山某建筑劳务有限公司\"",
        "value=\"歙人社失信决〔2026〕1号\"",
        "aria-invalid=\"true\"",
    ] {
        assert!(r.body.contains(text), "the refused form shows {text}");
    }
    assert!(
        r.body.contains("<option value=\"341021\" selected>歙县</option>"),
        "the county stays chosen"
    );

    // Listed, with the case it arose from.
    let code = credit(71);
    let (case_id, number) = case_of(&app, "黄山某建筑劳务有限公司", &code).await;
    // Before: the case offers to list its employer, filled from the case.
    let case_page = page_ok(&app, &mut office, &format!("/cases/{case_id}")).await;
    assert!(case_page.contains("/blacklist/new?employer_name=") && !case_page.contains("case-blacklisted"));
    let mut fields = listing(
        &csrf,
        "黄山某建筑劳务有限公司",
        &code,
        "2026-03-01",
        "歙人社失信决〔2026〕1号",
    );
    fields.push(("case_number", &number));
    let id = add(&app, &mut office, &fields).await;
    let page = page_ok(&app, &mut office, &format!("/blacklist/{id}?done=added")).await;
    for text in [
        "已列入失信联合惩戒名单。",
        "列入中",
        "2026年03月01日",
        "2029年03月01日",
        "歙人社失信决〔2026〕1号",
        "86,400.00元",
        "同一用人单位的欠薪案件",
        "提前移出",
        "撤销列入决定",
        "2026年09月01日起",
    ] {
        assert!(page.contains(text), "the listing's page shows {text}");
    }
    assert!(
        page.contains(&format!("href=\"/cases/{case_id}\">{number}</a>")),
        "the related case links to its page"
    );
    // After: the employer's cases say so, on the case and in the list.
    let case_page = page_ok(&app, &mut office, &format!("/cases/{case_id}")).await;
    assert!(case_page.contains("该用人单位已列入拖欠农民工工资失信联合惩戒对象名单（2026年3月1日列入"));
    assert!(case_page.contains(&format!("href=\"/blacklist/{id}\"")));
    let cases_list = page_ok(&app, &mut office, "/cases").await;
    assert!(cases_list.contains("title=\"已列入拖欠农民工工资失信联合惩戒对象名单\">失信名单</span>"));
    // The same decision number again is refused.
    let r = app
        .post(
            &mut office,
            "/blacklist/new",
            &listing(&csrf, "另一公司", &credit(72), "2026-03-01", "歙人社失信决〔2026〕1号"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("已列入名单，请勿重复登记"));

    // The list: search by name and by code, the state filter, print, export.
    let other = add(
        &app,
        &mut office,
        &listing(
            &csrf,
            "歙县某餐饮管理有限公司",
            &credit(73),
            "2023-06-01",
            "歙人社失信决〔2023〕9号",
        ),
    )
    .await;
    // Listed on 2023-06-01, its three years ran out on 2026-06-01: the default
    // list (列入中) leaves it out, the expired list has it.
    let list = page_ok(&app, &mut office, "/blacklist").await;
    assert!(list.contains("黄山某建筑劳务有限公司") && !list.contains("歙县某餐饮管理有限公司"));
    let expired = page_ok(&app, &mut office, "/blacklist?state=expired").await;
    assert!(expired.contains("歙县某餐饮管理有限公司") && expired.contains("已期满移出"));
    assert!(!expired.contains("黄山某建筑劳务有限公司"));
    let all = page_ok(&app, &mut office, "/blacklist?state=all").await;
    assert!(all.contains("黄山某建筑劳务有限公司") && all.contains("歙县某餐饮管理有限公司"));
    let found = page_ok(&app, &mut office, "/blacklist?q=%E5%BB%BA%E7%AD%91&state=all").await;
    assert!(found.contains(&format!("href=\"/blacklist/{id}\"")) && !found.contains(&format!("/blacklist/{other}\"")));
    let by_code = page_ok(
        &app,
        &mut office,
        &format!("/blacklist?q={}&state=all", code.to_lowercase()),
    )
    .await;
    assert!(by_code.contains(&format!("href=\"/blacklist/{id}\"")) && !by_code.contains("歙县某餐饮"));
    let page = page_ok(&app, &mut office, &format!("/blacklist/{other}")).await;
    assert!(page.contains("已期满移出") && !page.contains(&format!("action=\"/blacklist/{other}/remove\"")));
    let print = page_ok(&app, &mut office, "/blacklist?state=all&print=1").await;
    assert!(print.contains("拖欠农民工工资失信联合惩戒对象名单") && print.contains("请使用浏览器的打印功能"));
    assert!(!print.contains("class=\"filters\""));
    let bad = app.get(&mut office, "/blacklist?state=whatever").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("名单状态无效"));
    let cookies: Vec<String> = office.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let req = Request::builder()
        .uri("/blacklist/export?state=all")
        .header(header::COOKIE, cookies.join("; "))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(".xlsx")
    );
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
    let sheets = shiminhua_app::xlsx::sheets_as_text(&bytes).unwrap();
    assert_eq!(sheets[0].1.len(), 3, "header and two listings");

    // A listing that does not exist leads back to the list with a notice.
    let r = app.get(&mut office, "/blacklist/999999").await;
    assert_eq!(r.location(), "/blacklist?done=missing");
    let notice = page_ok(&app, &mut office, "/blacklist?done=missing").await;
    assert!(notice.contains("未找到该名单记录"));
}

async fn removal_pages_and_roles(db: Db) {
    // Listing and removing belong to the roles that register cases; on the
    // pages these are the holders of RevealPii (the authorisation matrix
    // relies on it).
    for role in Role::ALL {
        assert_eq!(
            role.permissions().contains(&Permission::RevealPii),
            shiminhua_core::case::may_register(&RoleSet::new(vec![role])),
            "{role:?}"
        );
    }
    let app = TestApp::new(db, false).await;
    let mut office = app.login("office").await;
    let csrf = app.csrf(&mut office).await;
    let id = add(
        &app,
        &mut office,
        &listing(
            &csrf,
            "黄山某建筑劳务有限公司",
            &credit(81),
            "2026-03-01",
            "文号〔2026〕1号",
        ),
    )
    .await;
    let young = add(
        &app,
        &mut office,
        &listing(&csrf, "新列入公司", &credit(82), "2026-09-01", "文号〔2026〕2号"),
    )
    .await;
    let remove = format!("/blacklist/{id}/remove");
    // Neither paid nor committed: both conditions named, the note kept.
    let r = app
        .post(
            &mut office,
            &remove,
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("on", "2026-09-30"),
                ("note", "补充说明甲"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in [
        "提前移出须已全额支付拖欠的农民工工资",
        "提前移出须由用人单位作出信用承诺（签署信用承诺书）",
        "补充说明甲",
        "value=\"2026-09-30\"",
    ] {
        assert!(r.body.contains(text), "the refused removal shows {text}");
    }
    // Less than six months since listing.
    let r = app
        .post(
            &mut office,
            &format!("/blacklist/{young}/remove"),
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("on", "2026-09-30"),
                ("paid_in_full", "1"),
                ("commitment", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("列入未满6个月，2027年03月01日起方可提前移出"));
    assert!(
        r.body.contains("name=\"paid_in_full\" value=\"1\" checked"),
        "the boxes stay ticked"
    );
    // A stale version.
    let ok = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("on", "2026-09-30"),
        ("paid_in_full", "1"),
        ("commitment", "1"),
    ];
    let mut stale = ok;
    stale[1].1 = "0";
    let r = app.post(&mut office, &remove, &stale).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已被他人修改"));
    // Granted.
    let r = app.post(&mut office, &remove, &ok).await;
    assert_eq!(r.location(), format!("/blacklist/{id}?done=removed"));
    let page = page_ok(&app, &mut office, r.location()).await;
    assert!(page.contains("已提前移出名单。") && page.contains("提前移出日期") && page.contains("2026年09月30日"));
    assert!(
        !page.contains(&format!("action=\"{remove}\"")),
        "no removal form any more"
    );
    assert!(!page.contains("登记撤销"), "a removed listing is not revoked");
    let removed = page_ok(&app, &mut office, "/blacklist?state=removed").await;
    assert!(removed.contains("黄山某建筑劳务有限公司") && !removed.contains("新列入公司"));

    // Revocation needs its basis.
    let revoke = format!("/blacklist/{young}/revoke");
    let r = app
        .post(
            &mut office,
            &revoke,
            &[("csrf", &csrf), ("version", "1"), ("on", "2026-09-29")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写撤销依据（行政复议决定书或判决书及其文号）"));
    let r = app
        .post(
            &mut office,
            &revoke,
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("on", "2026-09-29"),
                ("note", "黄政复决〔2026〕3号"),
            ],
        )
        .await;
    assert_eq!(r.location(), format!("/blacklist/{young}?done=revoked"));
    let page = page_ok(&app, &mut office, r.location()).await;
    assert!(page.contains("已撤销") && page.contains("黄政复决〔2026〕3号") && page.contains("撤销列入决定"));

    // The lead reads but does not list or remove; the forms are not offered.
    let mut lead = app.login("lead").await;
    let page = page_ok(&app, &mut lead, &format!("/blacklist/{young}")).await;
    assert!(!page.contains("action=\"/blacklist/"));
    assert!(
        !page_ok(&app, &mut lead, "/blacklist")
            .await
            .contains("href=\"/blacklist/new\"")
    );
    assert_eq!(app.get(&mut lead, "/blacklist/new").await.status, StatusCode::FORBIDDEN);
    let lcsrf = app.csrf(&mut lead).await;
    let r = app
        .post(
            &mut lead,
            &revoke,
            &[("csrf", &lcsrf), ("version", "2"), ("on", "2026-09-29")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A department reads the list but not the cases.
    let mut dept = app.login("dept").await;
    let page = page_ok(&app, &mut dept, &format!("/blacklist/{id}")).await;
    assert!(!page.contains("同一用人单位的欠薪案件"));
    // Another county's officer does not find 歙县's listing.
    let mut inspector = app.login("inspector").await;
    let r = app.get(&mut inspector, &format!("/blacklist/{id}")).await;
    assert_eq!(r.location(), "/blacklist?done=missing");
    assert!(
        page_ok(&app, &mut inspector, "/blacklist?state=all")
            .await
            .contains("没有符合条件的名单记录")
    );
}
