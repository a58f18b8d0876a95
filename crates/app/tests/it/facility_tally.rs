//! Targets counted from the facility registries (设施台账), on SQLite and
//! PostgreSQL: the figure of each (target, region, day), the same on the
//! board, its monthly series and the evaluation; the facilities behind it;
//! the unit's report as a cross-check; the migration of the stations'
//! status.

use crate::common::*;

use chrono::NaiveDate;
use shiminhua_app::plan::{document, evaluation, facility_tally, indicators, reports};
use shiminhua_app::registry::facilities;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::testing::TestDb;
use shiminhua_app::{both, units, users};
use shiminhua_core::auth::{Actor, Grant, KindSet, Role};
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::facility::FacilityKind;
use shiminhua_core::ids::{FacilityId, ReportId, UserId};
use shiminhua_core::plan::Plan;
use std::collections::HashMap;

both!(
    stations_are_counted_by_region_and_day,
    parks_bases_and_housing_are_counted,
    counties_covered_by_backbone_firms,
    the_unit_report_is_a_cross_check,
    demo_facilities_tell_the_story,
);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn getter(pairs: &[(&str, &str)]) -> impl Fn(&str) -> String + Sync + use<> {
    let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| m.get(k).cloned().unwrap_or_default()
}

async fn add(w: &World, actor: &Actor, kind: FacilityKind, pairs: &[(&str, &str)]) -> i64 {
    facilities::create(&w.call(actor), kind, &getter(pairs))
        .await
        .unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"))
}

/// A station: name, place, status, opened, upgraded, 达标并有效运行.
async fn station(w: &World, a: &Actor, s: (&str, &str, &str, &str, &str, bool)) -> i64 {
    let (name, place, status, opened, upgraded, ok) = s;
    add(
        w,
        a,
        FacilityKind::Station,
        &[
            ("name", name),
            ("place", place),
            ("status", status),
            ("opened", opened),
            ("upgraded", upgraded),
            ("standard", if ok { "是" } else { "否" }),
            ("host", "县总工会"),
        ],
    )
    .await
}

fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341021", &format!("FT{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

/// The figure of (target, region, day) from every path that shows it: the
/// one function, the figures the board reads, the board itself, the
/// monthly series (month ends) and the facilities behind it. All must agree.
async fn figure(db: &Db, p: &Plan, target: &str, region: &str, day: &str) -> i64 {
    let (region, day) = (code(region), d(day));
    let one = facility_tally::figure(db, p, target, region, day)
        .await
        .unwrap()
        .expect("a counted target");
    let mut tx = db.read().await.unwrap();
    let via_engine = indicators::figure(&mut tx, p, target, region, day)
        .await
        .unwrap()
        .expect("the engine reads counted targets");
    drop(tx);
    assert_eq!(via_engine.value, one, "{target} {region} {day}: engine");
    let behind = facility_tally::counted(db, p, target, region, day)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(behind.figure, one, "{target} {region} {day}: the drill-down");
    let (_, board) = indicators::board(db, p, day).await.unwrap();
    let t = board.iter().find(|t| t.id == target).unwrap();
    let s = std::iter::once(&t.city)
        .chain(&t.counties)
        .find(|s| s.region == region)
        .unwrap();
    assert_eq!(s.actual, Some(one as f64), "{target} {region} {day}: board");
    one
}

async fn plan(db: &Db) -> Plan {
    document::current(db).await.unwrap().plan
}

async fn stations_are_counted_by_region_and_day(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    // New in the plan period and meeting the standard: it counts as new and
    // in the stock.
    let both = station(&w, &office, ("徽城驿站", "341021100", "新建", "2023-03-10", "", true)).await;
    // New, not meeting it (yet).
    station(&w, &office, ("深渡驿站", "341021101", "新建", "2023-09-01", "", false)).await;
    // Upgraded in the period, open since 2019, meeting the standard.
    station(
        &w,
        &office,
        ("海阳驿站", "341022100", "提升", "2019-05-01", "2023-06-30", true),
    )
    .await;
    // Existing, meeting the standard.
    station(&w, &office, ("齐云山驿站", "341022101", "原有", "2020-01-01", "", true)).await;
    // New but not open yet: not counted anywhere.
    station(&w, &office, ("碧阳驿站", "341023100", "新建", "", "", false)).await;
    // New before the plan: in the stock, not new.
    station(&w, &office, ("老城驿站", "341021100", "新建", "2022-11-01", "", true)).await;
    let p = plan(&w.db).await;

    // (target, region, day, figure): before, within and after the period.
    let table = [
        ("union_stations_new", "341000", "2022-12-31", 0),
        ("union_stations_new", "341000", "2023-03-09", 0),
        ("union_stations_new", "341000", "2023-03-10", 1),
        ("union_stations_new", "341000", "2023-12-31", 2),
        ("union_stations_new", "341000", "2024-06-30", 2),
        ("union_stations_new", "341021", "2023-12-31", 2),
        ("union_stations_new", "341022", "2023-12-31", 0),
        ("union_stations_new", "341023", "2023-12-31", 0),
        ("union_stations_upgraded", "341000", "2023-06-29", 0),
        ("union_stations_upgraded", "341000", "2023-06-30", 1),
        ("union_stations_upgraded", "341022", "2023-12-31", 1),
        ("union_stations_upgraded", "341021", "2023-12-31", 0),
        ("union_stations_total", "341000", "2022-12-31", 3),
        ("union_stations_total", "341000", "2023-03-31", 4),
        ("union_stations_total", "341000", "2024-06-30", 4),
        ("union_stations_total", "341021", "2023-12-31", 2),
        ("union_stations_total", "341022", "2023-12-31", 2),
        ("union_stations_total", "341023", "2023-12-31", 0),
    ];
    for (target, region, day, want) in table {
        assert_eq!(
            figure(&w.db, &p, target, region, day).await,
            want,
            "{target} {region} {day}"
        );
    }
    // The station both new and 达标 is among those behind each figure.
    for target in ["union_stations_new", "union_stations_total"] {
        let behind = facility_tally::counted(&w.db, &p, target, code("341000"), d("2023-12-31"))
            .await
            .unwrap()
            .unwrap();
        assert!(behind.ids().contains(&both), "{target}");
    }

    // The monthly series is the figure at each month's end.
    let series = facility_tally::monthly(
        &mut w.db.read().await.unwrap(),
        &p,
        "union_stations_new",
        code("341000"),
        d("2023-12-31"),
    )
    .await
    .unwrap();
    assert_eq!(series.len(), 12);
    let values: Vec<i64> = series.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    let board_series = indicators::monthly(&w.db, &p, "union_stations_new", code("341000"), d("2023-12-31"))
        .await
        .unwrap();
    assert_eq!(
        board_series,
        series.iter().map(|(d, v)| (*d, Some(*v as f64))).collect::<Vec<_>>()
    );

    // A stock is a level: due in full on any day, never prorated; a count
    // of new stations is due in proportion to the time elapsed.
    let (_, board) = indicators::board(&w.db, &p, d("2023-03-31")).await.unwrap();
    let total = board.iter().find(|t| t.id == "union_stations_total").unwrap();
    assert_eq!(total.city.expected, Some(118.0));
    assert_eq!(total.city.goal, Some(118.0));
    assert!(total.counties.iter().all(|c| c.goal.is_none() && c.expected.is_none()));
    let new = board.iter().find(|t| t.id == "union_stations_new").unwrap();
    let due = new.city.expected.unwrap();
    assert!(due > 12.0 && due < 13.0, "50 × 90/365: {due}");
    assert!(total.computed && new.computed);

    // The evaluation scores the same figures.
    let e = evaluation::evaluate(&w.db, &p, d("2023-12-31")).await.unwrap();
    assert_eq!(e.city.sheet.line("union_stations_new").unwrap().figure, Some(2.0));
    assert_eq!(e.city.sheet.line("union_stations_total").unwrap().figure, Some(4.0));

    // An edit moves the figure: the new station no longer meets the standard.
    let row = facilities::get(&w.db, &office, FacilityId(both)).await.unwrap();
    let mut values = row.form_values();
    values.insert("standard".into(), "否".into());
    let get = move |k: &str| values.get(k).cloned().unwrap_or_default();
    facilities::update(&w.call(&office), FacilityId(both), row.version, &get)
        .await
        .unwrap();
    assert_eq!(
        figure(&w.db, &p, "union_stations_total", "341000", "2023-12-31").await,
        3
    );
    assert_eq!(figure(&w.db, &p, "union_stations_new", "341000", "2023-12-31").await, 2);
}

async fn parks_bases_and_housing_are_counted(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let park = |name: &'static str,
                place: &'static str,
                status: &'static str,
                approved: &'static str,
                upgraded: &'static str| {
        [
            ("name", name),
            ("status", status),
            ("level", "省级"),
            ("place", place),
            ("approved", approved),
            ("upgraded", upgraded),
            ("firms", "12"),
            ("jobs", "300"),
        ]
    };
    add(
        &w,
        &office,
        FacilityKind::Park,
        &park("歙县返乡创业园", "341021100", "新建", "2023-05-20", ""),
    )
    .await;
    add(
        &w,
        &office,
        FacilityKind::Park,
        &park("休宁创业园", "341022100", "新建", "2022-08-01", ""),
    )
    .await;
    add(
        &w,
        &office,
        FacilityKind::Park,
        &park("黟县创业园", "341023100", "提升", "2018-03-01", "2023-10-15"),
    )
    .await;
    let base = |name: &'static str, n: u32, day: &'static str| {
        let code = credit(n);
        let pairs = [
            ("name", name),
            ("place", "341024100"),
            ("level", "市级"),
            ("recognised", day),
        ];
        (code, pairs)
    };
    for (name, n, day) in [("祁门家政基地", 1, "2023-07-01"), ("旧基地", 2, "2021-07-01")] {
        let (c, pairs) = base(name, n, day);
        let mut all = pairs.to_vec();
        all.push(("credit_code", c.as_str()));
        add(&w, &office, FacilityKind::HousekeepingBase, &all).await;
    }
    let housing =
        |name: &'static str, place: &'static str, planned: &'static str, delivered: &'static str, on: &'static str| {
            [
                ("name", name),
                ("place", place),
                ("planned", planned),
                ("delivered", delivered),
                ("delivered_on", on),
            ]
        };
    add(
        &w,
        &office,
        FacilityKind::RentalHousing,
        &housing("徽城人才公寓", "341021100", "100", "80", "2023-04-01"),
    )
    .await;
    add(
        &w,
        &office,
        FacilityKind::RentalHousing,
        &housing("海阳公寓", "341022100", "150", "120", "2023-11-20"),
    )
    .await;
    add(
        &w,
        &office,
        FacilityKind::RentalHousing,
        &housing("旧公寓", "341022100", "50", "50", "2022-12-01"),
    )
    .await;
    add(
        &w,
        &office,
        FacilityKind::RentalHousing,
        &housing("在建公寓", "341023100", "60", "0", ""),
    )
    .await;
    let p = plan(&w.db).await;
    let table = [
        ("return_parks", "341000", "2023-05-19", 0),
        ("return_parks", "341000", "2023-12-31", 1),
        ("return_parks", "341021", "2023-12-31", 1),
        ("return_parks", "341022", "2023-12-31", 0),
        ("return_parks_upgraded", "341000", "2023-09-30", 0),
        ("return_parks_upgraded", "341000", "2023-12-31", 1),
        ("return_parks_upgraded", "341023", "2023-12-31", 1),
        ("jiazheng_bases", "341000", "2023-06-30", 0),
        ("jiazheng_bases", "341000", "2023-07-01", 1),
        ("jiazheng_bases", "341024", "2024-01-31", 1),
        ("rental_housing", "341000", "2022-12-31", 0),
        ("rental_housing", "341000", "2023-06-30", 80),
        ("rental_housing", "341000", "2023-12-31", 200),
        ("rental_housing", "341022", "2023-12-31", 120),
        ("rental_housing", "341023", "2023-12-31", 0),
    ];
    for (target, region, day, want) in table {
        assert_eq!(
            figure(&w.db, &p, target, region, day).await,
            want,
            "{target} {region} {day}"
        );
    }
    // The projects behind the units: two, with their units by county.
    let behind = facility_tally::counted(&w.db, &p, "rental_housing", code("341000"), d("2023-12-31"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(behind.entries.len(), 2);
    assert_eq!(
        behind.by_county.into_iter().collect::<Vec<_>>(),
        [(code("341021").as_i64(), (1, 80)), (code("341022").as_i64(), (1, 120))]
    );
}

async fn counties_covered_by_backbone_firms(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let firms = [
        ("341021100", "是", "是"),
        ("341021101", "是", "是"),
        ("341022100", "是", "否"),
        ("341023100", "否", "是"),
        ("341024100", "是", "是"),
        ("341002001", "是", ""),
    ];
    for (i, (place, employee, backbone)) in firms.iter().enumerate() {
        let name = format!("家政公司{i}");
        let c = credit(100 + i as u32);
        add(
            &w,
            &office,
            FacilityKind::Housekeeping,
            &[
                ("name", name.as_str()),
                ("credit_code", c.as_str()),
                ("place", place),
                ("employee_based", employee),
                ("backbone", backbone),
                ("employees", "20"),
            ],
        )
        .await;
    }
    let p = plan(&w.db).await;
    // 歙县 and 祁门县: two counties, whatever the day (the firms are on file).
    for day in ["2022-12-31", "2023-06-30", "2024-06-30"] {
        assert_eq!(figure(&w.db, &p, "jiazheng_coverage", "341000", day).await, 2, "{day}");
    }
    assert_eq!(figure(&w.db, &p, "jiazheng_coverage", "341021", "2023-06-30").await, 1);
    assert_eq!(figure(&w.db, &p, "jiazheng_coverage", "341022", "2023-06-30").await, 0);
    let behind = facility_tally::counted(&w.db, &p, "jiazheng_coverage", code("341000"), d("2023-06-30"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(behind.entries.len(), 3, "three firms");
    assert_eq!(
        behind.by_county.keys().copied().collect::<Vec<_>>(),
        [code("341021").as_i64(), code("341024").as_i64()]
    );
    // The level is the city's: 7 due on any day, no county goal.
    let (_, board) = indicators::board(&w.db, &p, d("2023-02-01")).await.unwrap();
    let t = board.iter().find(|t| t.id == "jiazheng_coverage").unwrap();
    assert_eq!((t.city.goal, t.city.expected), (Some(7.0), Some(7.0)));
    assert!(t.counties.iter().all(|c| c.goal.is_none()));
}

/// A user of `unit` (e.g. `341000-zgh`), scoped to the unit's region.
async fn member(w: &World, name: &str, role: Role, unit: &str) -> Actor {
    let unit_id = units::id_by_code(&w.db, unit).await.unwrap().expect(unit);
    let region = unit.split('-').next().unwrap();
    let form = users::UserForm {
        username: name.into(),
        display_name: name.into(),
        unit_id: Some(unit_id),
        roles: vec![role],
        grants: vec![Grant {
            region: code(region),
            kinds: KindSet::all(),
        }],
    };
    let (id, _) = users::create(&w.db, &w.admin, &origin(), t0(), form).await.unwrap();
    shiminhua_app::testing::approve_pending(&w.db, t0(), id).await;
    let mut tx = w.db.read().await.unwrap();
    users::load_actor(&mut tx, UserId(id)).await.unwrap()
}

async fn the_unit_report_is_a_cross_check(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    station(&w, &office, ("徽城驿站", "341021100", "新建", "2023-03-10", "", true)).await;
    station(&w, &office, ("深渡驿站", "341021101", "新建", "2023-05-10", "", true)).await;
    let zgh = member(&w, "zgh1", Role::Department, "341000-zgh").await;
    let figures = HashMap::from([
        ("fig_union_stations_new".to_string(), "3".to_string()),
        ("fig_union_stations_new_341021".to_string(), "2".to_string()),
        ("fig_union_stations_upgraded".to_string(), "0".to_string()),
        ("fig_union_stations_total".to_string(), "2".to_string()),
    ]);
    let input = reports::ReportInput {
        body: "驿站建设。".into(),
        figures,
        ..reports::ReportInput::default()
    };
    let id = reports::file(&w.call(&zgh), "2023Q2", &input).await.unwrap();
    let p = plan(&w.db).await;
    // Not yet accepted: no cross-check.
    let (_, board) = indicators::board(&w.db, &p, d("2023-06-30")).await.unwrap();
    let new = board.iter().find(|t| t.id == "union_stations_new").unwrap();
    assert_eq!((new.city.actual, new.city.cross_check), (Some(2.0), None));
    reports::review(&w.call(&office), ReportId(id), 1, true, "")
        .await
        .unwrap();
    let (_, board) = indicators::board(&w.db, &p, d("2023-06-30")).await.unwrap();
    let new = board.iter().find(|t| t.id == "union_stations_new").unwrap();
    // The figure is the count; the report stands beside it.
    assert_eq!(new.city.actual, Some(2.0));
    assert_eq!(new.city.cross_check, Some(3.0));
    assert_eq!(new.city.reports, [id]);
    let sx = new.counties.iter().find(|c| c.region == code("341021")).unwrap();
    assert_eq!((sx.actual, sx.cross_check), (Some(2.0), Some(2.0)));
    let total = board.iter().find(|t| t.id == "union_stations_total").unwrap();
    assert_eq!((total.city.actual, total.city.cross_check), (Some(2.0), Some(2.0)));
}

mod migration {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::migration_0020(shiminhua_app::testing::TestDb::sqlite_without(Some(20)).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(t) = shiminhua_app::testing::TestDb::postgres_without(Some(20)).await {
            super::migration_0020(t).await;
        }
    }
}

/// A station stored with the former status 达标 becomes an existing
/// station that meets the standard; the others keep their status.
async fn migration_0020(t: TestDb) {
    let mut w = World::new(t.db.clone()).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let new = station(&w, &office, ("新驿站", "341021100", "新建", "2023-05-01", "", false)).await;
    let old = station(&w, &office, ("老驿站", "341021101", "原有", "2020-01-01", "", false)).await;
    // What the program wrote before: the status 达标, no `standard`.
    let now = facilities::get(&w.db, &office, FacilityId(old)).await.unwrap().data;
    let written = now.replace("\"standard\":false,\"status\":\"原有\"", "\"status\":\"达标\"");
    assert_ne!(written, now);
    let mut tx = w.db.write().await.unwrap();
    tx.exec(
        Sql::new("UPDATE facilities SET data = $1 WHERE id = $2")
            .bind(written.clone())
            .bind(old),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let before = facilities::get(&w.db, &office, FacilityId(old)).await.unwrap();
    assert_eq!(before.form_values()["status"], "达标");

    let db = Db::connect(&t.url).await.unwrap();
    db.share_audit_key(&w.db);
    w.db = db;
    let after = facilities::get(&w.db, &office, FacilityId(old)).await.unwrap();
    assert_eq!(after.form_values()["status"], "原有");
    assert_eq!(after.form_values()["standard"], "是");
    assert_eq!(
        after.data,
        written.replace("\"status\":\"达标\"", "\"standard\":true,\"status\":\"原有\""),
    );
    let other = facilities::get(&w.db, &office, FacilityId(new)).await.unwrap();
    assert_eq!(other.form_values()["status"], "新建");
    assert_eq!(other.form_values()["standard"], "否");
    let p = plan(&w.db).await;
    assert_eq!(
        figure(&w.db, &p, "union_stations_total", "341000", "2023-12-31").await,
        1
    );
    // Saved unchanged through the form, the migrated row is as the program writes it.
    let values = after.form_values();
    let get = move |k: &str| values.get(k).cloned().unwrap_or_default();
    facilities::update(&w.call(&office), FacilityId(old), after.version, &get)
        .await
        .unwrap();
    let again = facilities::get(&w.db, &office, FacilityId(old)).await.unwrap();
    assert_eq!(again.version, after.version, "nothing to change");
    w.db.close().await;
    t.finish().await;
}

async fn demo_facilities_tell_the_story(db: Db) {
    let w = World::new(db).await;
    let made = shiminhua_app::ops::demo::facilities(&w.db, &w.cipher, t0(), 2023)
        .await
        .unwrap();
    assert!(made > 100, "{made}");
    assert_eq!(
        shiminhua_app::ops::demo::facilities(&w.db, &w.cipher, t0(), 2023)
            .await
            .unwrap(),
        0,
        "once only"
    );
    let p = plan(&w.db).await;
    // 黟县 has no backbone firm yet: six counties of seven.
    assert_eq!(figure(&w.db, &p, "jiazheng_coverage", "341000", "2023-12-31").await, 6);
    assert_eq!(figure(&w.db, &p, "jiazheng_coverage", "341023", "2023-12-31").await, 0);
    let new = figure(&w.db, &p, "union_stations_new", "341000", "2023-12-31").await;
    let total = figure(&w.db, &p, "union_stations_total", "341000", "2023-12-31").await;
    assert!(new > 20 && new < 50, "{new}");
    assert!(total > new, "{total}");
    // 徽州区 lags behind the others.
    let huizhou = figure(&w.db, &p, "union_stations_new", "341004", "2023-12-31").await;
    let shexian = figure(&w.db, &p, "union_stations_new", "341021", "2023-12-31").await;
    assert!(huizhou < shexian, "{huizhou} < {shexian}");
    assert!(figure(&w.db, &p, "rental_housing", "341000", "2023-12-31").await > 100);
    assert_eq!(figure(&w.db, &p, "jiazheng_bases", "341000", "2023-12-31").await, 1);
    assert_eq!(figure(&w.db, &p, "union_stations_new", "341000", "2022-12-31").await, 0);
}
