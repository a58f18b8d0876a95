//! Targets counted from the facility registries, over HTTP on SQLite and
//! PostgreSQL: the board shows the count, the unit's report beside it when
//! the two differ, and each figure links to the facility list whose count
//! equals it.

use crate::common::{TestApp, t0};
use axum::http::StatusCode;
use shiminhua_app::plan::reports::{self, ReportInput};
use shiminhua_app::registry::facilities;
use shiminhua_app::store::Db;
use shiminhua_app::{Call, Origin, both, users};
use shiminhua_core::auth::{Actor, Role, RoleSet, Scope};
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::facility::FacilityKind;
use shiminhua_core::ids::{ReportId, UserId};
use std::collections::HashMap;

both!(board_counts_facilities_and_links_to_them);

async fn actor(app: &TestApp, name: &str) -> Actor {
    let mut tx = app.db.read().await.unwrap();
    users::load_actor(&mut tx, UserId(app.ids[name])).await.unwrap()
}

async fn add(app: &TestApp, who: &Actor, kind: FacilityKind, pairs: &[(&str, &str)]) {
    let origin = Origin::default();
    let call = Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: who,
        origin: &origin,
        now: t0(),
    };
    let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    facilities::create(&call, kind, &|k| m.get(k).cloned().unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"));
}

/// The link a board cell gives, unescaped.
fn link_after(body: &str, prefix: &str) -> String {
    let at = body.find(prefix).unwrap_or_else(|| panic!("no link {prefix}"));
    let end = body[at..].find('"').unwrap();
    body[at..at + end].replace("&#38;", "&").replace("&amp;", "&")
}

async fn board_counts_facilities_and_links_to_them(db: Db) {
    let app = TestApp::new(db, false).await;
    let office = actor(&app, "office").await;
    let station =
        |name: &'static str, place: &'static str, status: &'static str, opened: &'static str, ok: &'static str| {
            [
                ("name", name),
                ("place", place),
                ("status", status),
                ("opened", opened),
                ("standard", ok),
                ("host", "县总工会"),
            ]
        };
    add(
        &app,
        &office,
        FacilityKind::Station,
        &station("徽城驿站", "341021100", "新建", "2023-03-10", "是"),
    )
    .await;
    add(
        &app,
        &office,
        FacilityKind::Station,
        &station("深渡驿站", "341021101", "新建", "2023-08-01", "否"),
    )
    .await;
    add(
        &app,
        &office,
        FacilityKind::Station,
        &station("海阳驿站", "341022100", "原有", "2019-05-01", "是"),
    )
    .await;
    // Opened after the day asked for: not counted then.
    add(
        &app,
        &office,
        FacilityKind::Station,
        &station("碧阳驿站", "341023100", "新建", "2023-11-01", "是"),
    )
    .await;
    for (i, (place, backbone)) in [("341021100", "是"), ("341024100", "是"), ("341022100", "否")]
        .iter()
        .enumerate()
    {
        let code = CreditCode::from_parts("91", "341021", &format!("WB{i:06}")).unwrap();
        let name = format!("家政公司{i}");
        add(
            &app,
            &office,
            FacilityKind::Housekeeping,
            &[
                ("name", name.as_str()),
                ("credit_code", code.as_str()),
                ("place", place),
                ("employee_based", "是"),
                ("backbone", backbone),
                ("employees", "20"),
            ],
        )
        .await;
    }

    // The union reports 5 new stations for Q3; the office accepts it.
    let unit_id = shiminhua_app::units::id_by_code(&app.db, "341000-zgh")
        .await
        .unwrap()
        .unwrap();
    let filer = Actor {
        user_id: app.ids["office"],
        username: "office".into(),
        display_name: "市总工会填报人".into(),
        roles: RoleSet::new(vec![Role::Local]),
        scope: Scope::default(),
        unit_id: Some(unit_id),
    };
    let origin = Origin::default();
    let input = ReportInput {
        body: "三季度驿站建设。".into(),
        figures: [
            ("fig_union_stations_new", "5"),
            ("fig_union_stations_upgraded", "0"),
            ("fig_union_stations_total", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        ..ReportInput::default()
    };
    let as_filer = Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: &filer,
        origin: &origin,
        now: t0(),
    };
    let id = reports::file(&as_filer, "2023Q3", &input).await.unwrap();
    let as_office = Call {
        actor: &office,
        ..as_filer
    };
    reports::review(&as_office, ReportId(id), 1, true, "").await.unwrap();

    let mut lead = app.login("lead").await;
    let page = app.get(&mut lead, "/plan/board?as_of=2023-09-30").await;
    assert_eq!(page.status, StatusCode::OK);
    // The count (2 new stations), with the report's 5 beside it; the stock
    // (2, as reported) shows no cross-check.
    let card = |name: &str| {
        let at = page
            .body
            .find(&format!("<h3>{name}</h3>"))
            .unwrap_or_else(|| panic!("card {name}"));
        let end = page.body[at..].find("</section>").unwrap();
        page.body[at..at + end].to_string()
    };
    let new = card("新建“工会驿站”");
    assert!(new.contains(">2家</a>"), "{new}");
    assert!(
        new.contains("单位填报 5家（截至2023年9月30日），与台账统计不一致"),
        "{new}"
    );
    assert!(new.contains("工会驿站台账统计，市总工会填报核对"), "{new}");
    let total = card("累计建成达标并有效运行的“工会驿站”");
    assert!(total.contains(">2家</a>"), "{total}");
    assert!(!total.contains("单位填报"), "the same figure: no cross-check shown");
    // The stock is due in full.
    assert!(total.contains("<dt>应达</dt><dd>118家</dd>"), "{total}");
    let coverage = card("员工制家政骨干企业覆盖区县");
    assert!(coverage.contains(">2个区县</a>"), "{coverage}");

    // Each figure's list holds exactly what it counts.
    let mut office_agent = app.login("office").await;
    let link = link_after(&new, "/facilities?kind=station&");
    assert_eq!(
        link,
        "/facilities?kind=station&target=union_stations_new&region=341000&as_of=2023-09-30"
    );
    let list = app.get(&mut office_agent, &link).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("计入 2 家"), "{}", list.body);
    assert!(list.body.contains("共 2 条"), "{}", list.body);
    assert!(list.body.contains("徽城驿站") && list.body.contains("深渡驿站"));
    assert!(!list.body.contains("海阳驿站") && !list.body.contains("碧阳驿站"));
    assert!(
        list.body
            .contains("<th scope=\"row\">歙县</th><td class=\"num\">2</td>"),
        "{}",
        list.body
    );
    let link = link_after(&total, "/facilities?kind=station&");
    let list = app.get(&mut office_agent, &link).await;
    assert!(
        list.body.contains("计入 2 家") && list.body.contains("共 2 条"),
        "{}",
        list.body
    );
    assert!(list.body.contains("徽城驿站") && list.body.contains("海阳驿站"));
    assert!(!list.body.contains("不在您的权限范围内"), "the office sees all");
    // A county reader sees the city's figure and its own county's stations,
    // and is told how many more the figure counts.
    let mut county = app.login("shexian").await;
    let list = app.get(&mut county, &link).await;
    assert!(
        list.body.contains("计入 2 家") && list.body.contains("共 1 条"),
        "{}",
        list.body
    );
    assert!(list.body.contains("徽城驿站") && !list.body.contains("海阳驿站"));
    assert!(
        list.body
            .contains("其中 1 个工会驿站不在您的权限范围内，已计入上述数字，但不在下表中列出。"),
        "{}",
        list.body
    );
    // Counties covered: the list is grouped by county, two of them.
    let link = link_after(&coverage, "/facilities?kind=housekeeping&");
    let list = app.get(&mut office_agent, &link).await;
    assert!(list.body.contains("覆盖 2 个区县（2 家企业）"), "{}", list.body);
    let rows = list.body.matches("<th scope=\"row\">").count();
    assert_eq!(rows, 2, "one row per county covered");
    assert!(list.body.contains("共 2 条"));
    // A county's figure and its list.
    let county_row = page
        .body
        .find("/facilities?kind=station&#38;target=union_stations_new&#38;region=341022")
        .is_some();
    assert!(county_row, "each county's figure links to its list");
    let list = app
        .get(
            &mut office_agent,
            "/facilities?kind=station&target=union_stations_new&region=341022&as_of=2023-09-30",
        )
        .await;
    assert!(list.body.contains("计入 0 家") && list.body.contains("没有符合条件的工会驿站"));
    // Paging and the export keep the restriction.
    assert!(list.body.contains("target=union_stations_new"));
    // A target of another registry, or not counted, is refused in Chinese.
    let bad = app
        .get(&mut office_agent, "/facilities?kind=park&target=union_stations_new")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("不是按返乡创业示范园台账统计的目标"), "{}", bad.body);
    let bad = app
        .get(
            &mut office_agent,
            "/facilities?kind=station&target=union_stations_new&as_of=2023-02-30",
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
