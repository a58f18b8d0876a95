//! 任务分解 (allocation of the city's targets to the counties) and the
//! public progress page, through HTTP on SQLite and PostgreSQL.

use crate::common::{Agent, TestApp, field_value, multipart};
use axum::http::StatusCode;
use shiminhua_app::both;
use shiminhua_app::config::{Config, Overrides};
use shiminhua_app::store::Db;
use shiminhua_web::AppState;

both!(
    office_allocates_targets_to_counties,
    public_progress_page,
    facilities_are_imported_through_the_import_page,
    drill_down_lists_count_what_the_board_counts,
);

async fn office_allocates_targets_to_counties(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut office = app.login("office").await;
    let page = app.get(&mut office, "/plan/allocation").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in ["任务分解", "补贴性农民工职业技能培训", "黟县", "歙县"] {
        assert!(page.body.contains(text), "the page shows {text}");
    }
    // Cumulative targets only: the share in public schools is a level.
    assert!(page.body.contains("id=\"a_training_341023\""));
    assert!(!page.body.contains("id=\"a_schooling_public_341023\""));
    assert_eq!(field_value(&page.body, "v_training"), "8000");
    let csrf = page.csrf();
    let version = field_value(&page.body, "version");

    // A wrong figure: marked at its input, everything typed kept, nothing saved.
    let r = app
        .post(
            &mut office,
            "/plan/allocation",
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("v_training", "8000"),
                ("a_training_341023", "九百"),
                ("a_training_341021", "2000"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("“九百”不是非负数字"), "{}", r.body);
    assert!(
        r.body
            .contains("id=\"a_training_341023\" name=\"a_training_341023\" value=\"九百\"")
    );
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert_eq!(field_value(&r.body, "a_training_341021"), "2000");
    assert_eq!(
        shiminhua_app::plan::document::current(&app.db).await.unwrap().version,
        1
    );

    // Shares that fall short of the city figure are saved, with the gap shown.
    let r = app
        .post(
            &mut office,
            "/plan/allocation",
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("v_training", "8000"),
                ("a_training_341023", "900"),
                ("a_training_341021", "2,000"),
                ("note", "专班会议下达"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&mut office, r.location()).await;
    assert!(page.body.contains("任务分解已保存"));
    assert_eq!(field_value(&page.body, "a_training_341023"), "900");
    assert_eq!(field_value(&page.body, "a_training_341021"), "2000");
    assert!(page.body.contains("分解合计比市目标少5100人次"), "{}", page.body);
    let cur = shiminhua_app::plan::document::current(&app.db).await.unwrap();
    assert_eq!(cur.version, 2);
    assert_eq!(
        shiminhua_app::plan::document::history(&app.db).await.unwrap()[0].note,
        "专班会议下达"
    );
    // The board compares 黟县 with its share.
    let (_, board) = shiminhua_app::plan::indicators::board(&app.db, &cur.plan, cur.plan.meta.end)
        .await
        .unwrap();
    let training = board.iter().find(|t| t.id == "training").unwrap();
    assert_eq!(training.city.goal, Some(8000.0));
    let yixian = training
        .counties
        .iter()
        .find(|c| c.region.to_string() == "341023")
        .unwrap();
    assert_eq!(yixian.goal, Some(900.0));
    // … and shows the shares beside the counties' figures.
    let page = app.get(&mut office, "/plan/board?as_of=2023-12-31").await;
    assert!(page.body.contains("分解目标 900人次") && page.body.contains("分解目标 2,000人次"));
    assert_eq!(
        page.body.matches("分解目标 ").count(),
        2,
        "only the counties given a share"
    );

    // The same form again, from the old version: refused, the plan stays.
    let r = app
        .post(
            &mut office,
            "/plan/allocation",
            &[("csrf", &csrf), ("version", &version), ("v_training", "7000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已被他人修改"));
    assert_eq!(
        shiminhua_app::plan::document::current(&app.db).await.unwrap().version,
        2
    );

    // Without the permission: forbidden.
    let mut dept = app.login("dept").await;
    assert_eq!(
        app.get(&mut dept, "/plan/allocation").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn public_progress_page(db: Db) {
    let app = TestApp::new(db, false).await;
    shiminhua_app::ops::demo::generate(&app.db, &app.state.cipher, crate::common::t0(), 150, 5)
        .await
        .unwrap();
    let mut anon = Agent::default();
    // Off by default: the page does not exist.
    assert_eq!(app.get(&mut anon, "/progress").await.status, StatusCode::NOT_FOUND);
    // Switched on: everyone may read it, without signing in.
    let config = Config::load(
        &Overrides {
            database: Some("sqlite::memory:".into()),
            ..Default::default()
        },
        &|k| (k == "SHIMINHUA_PUBLIC_PROGRESS").then(|| "true".to_string()),
    )
    .unwrap();
    let state = AppState::new(
        app.db.clone(),
        config,
        app.clock.clone(),
        false,
        app.state.cipher.clone(),
    );
    let public = TestApp {
        router: shiminhua_web::router(state.clone()),
        state,
        db: app.db.clone(),
        clock: app.clock.clone(),
        ids: app.ids.clone(),
        data: std::sync::Arc::new(shiminhua_app::testing::TempDir::new("web-data")),
    };
    let page = public.get(&mut anon, "/progress").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers["cache-control"], "private, max-age=300",
        "not for shared caches"
    );
    let cur = shiminhua_app::plan::document::current(&app.db).await.unwrap();
    let (_, board) = shiminhua_app::plan::indicators::board(&app.db, &cur.plan, cur.plan.meta.end)
        .await
        .unwrap();
    let training = board.iter().find(|t| t.id == "training").unwrap();
    let figure = training.city.actual.unwrap();
    assert!(figure > 0.0, "the demo has subsidised training");
    for text in [
        "开展县域农民工市民化质量提升行动实施方案",
        "数据截至2023年12月31日",
        "补贴性农民工职业技能培训",
        "8,000人次",
    ] {
        assert!(page.body.contains(text), "the public page shows {text}");
    }
    assert!(
        page.body.contains(&format!("{}人次", thousands(figure as i64))),
        "the city's figure"
    );
    // The city only, and nothing personal or of the session.
    for absent in ["黟县", "歙县", "/records", "csrf", "退出"] {
        assert!(!page.body.contains(absent), "the public page does not show {absent}");
    }
}

fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

async fn facilities_are_imported_through_the_import_page(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    // From the facility list to the import page with the kind chosen.
    let list = app.get(&mut a, "/facilities?kind=station").await;
    assert!(list.body.contains("href=\"/imports?target=station\""));
    let page = app.get(&mut a, "/imports?target=station").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("<option value=\"station\" selected>工会驿站</option>"),
        "{}",
        page.body
    );
    let t = app.get(&mut a, "/imports/template/rental_housing").await;
    assert_eq!(t.status, StatusCode::OK);
    assert!(t.body.starts_with("PK"), "an xlsx template");
    let csv = "驿站名称,所在地（乡镇/街道、村/社区）,建设状态,开放日期,依托单位,备注\n\
               徽城驿站,徽城镇,新建,2023-05-01,县总工会,\n\
               郑村驿站,郑村镇,已建,2023-05-01,县总工会,\n";
    let (ct, body) = multipart(
        &[("csrf", &page.csrf()), ("target", "station")],
        Some(("file", "驿站.csv", csv)),
    );
    let r = app.request(&mut a, "POST", "/imports", Some((&ct, body))).await;
    let preview = app.import_done(&mut a, r).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body.contains("共2行，可新增1，更新0，无变化0，有误1"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("<td class=\"num\">3</td><td>建设状态</td>"),
        "{}",
        preview.body
    );
    let token: String = {
        let i = preview.body.find("/imports/").unwrap() + "/imports/".len();
        preview.body[i..].chars().take_while(char::is_ascii_hexdigit).collect()
    };
    let r = app
        .post(
            &mut a,
            &format!("/imports/{token}/commit"),
            &[("csrf", &page.csrf()), ("target", "station")],
        )
        .await;
    let done = app.import_done(&mut a, r).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("导入完成：共2行，已新增1"), "{}", done.body);
    let list = app.get(&mut a, "/facilities?kind=station").await;
    assert!(list.body.contains("徽城驿站") && !list.body.contains("郑村驿站"));
}

/// Each computed figure that counts records of one kind links to the list of
/// what it counts: the list's total is the figure (a ratio's numerator), and
/// its rows, page by page, add up to it, for the city and every county.
async fn drill_down_lists_count_what_the_board_counts(db: Db) {
    use shiminhua_core::plan::{Aggregate, Measurement, Query};
    let app = TestApp::new(db, false).await;
    shiminhua_app::ops::demo::generate(&app.db, &app.state.cipher, crate::common::t0(), 300, 7)
        .await
        .unwrap();
    let cur = shiminhua_app::plan::document::current(&app.db).await.unwrap();
    let as_of = cur.plan.meta.end;
    let (_, board) = shiminhua_app::plan::indicators::board(&app.db, &cur.plan, as_of)
        .await
        .unwrap();
    let mut office = app.login("office").await;
    let page = app.get(&mut office, &format!("/plan/board?as_of={as_of}")).await;
    let mut checked = Vec::new();
    for t in &cur.plan.targets {
        let Measurement::Computed(q) = &t.measurement else {
            continue;
        };
        let tally = match q {
            Query::Tally(t) => t,
            Query::Ratio { numerator, .. } => numerator,
        };
        if tally.aggregate != Aggregate::Count || tally.from.len() != 1 {
            continue;
        }
        let tb = board.iter().find(|b| b.id == t.id).unwrap();
        for s in std::iter::once(&tb.city).chain(&tb.counties) {
            let want = s.outcome.map(|o| o.value).unwrap_or(0);
            let prefix = format!(
                "/plan/board/figure?target={}&#38;region={}&#38;as_of={as_of}",
                t.id,
                s.region.as_i64()
            );
            assert!(
                page.body.contains(&format!("href=\"{prefix}\"")),
                "{} links {prefix}",
                t.id
            );
            let href = prefix.replace("&#38;", "&");
            // What each row adds (the 计入 column), over every page.
            let mut total = 0i64;
            let mut n = 1;
            loop {
                let list = app.get(&mut office, &format!("{href}&page={n}")).await;
                assert_eq!(list.status, StatusCode::OK);
                for row in list.body.split("<td class=\"nowrap\"><a href=\"/workers/").skip(1) {
                    let cell = &row[row.find("<td class=\"num\">").unwrap() + 16..];
                    total += cell[..cell.find('<').unwrap()].replace(',', "").parse::<i64>().unwrap();
                }
                if !list.body.contains(">下一页<") {
                    break;
                }
                n += 1;
            }
            assert_eq!(total, want, "{} in {}: {href}", t.id, s.region_name);
            checked.push((t.id.clone(), want));
        }
    }
    let ids: std::collections::BTreeSet<&str> = checked.iter().map(|(id, _)| id.as_str()).collect();
    assert!(ids.contains("training") && ids.contains("settlement"), "{ids:?}");
    assert!(
        checked.iter().filter(|(id, _)| id == "settlement").any(|(_, n)| *n > 0),
        "settled workers in the demo"
    );
}
