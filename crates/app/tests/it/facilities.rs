//! The facility registries (设施台账), on SQLite and PostgreSQL.

use crate::common::*;
use shiminhua_core::ids::FacilityId;

use shiminhua_app::registry::facilities::{self, FacilityFilter};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::testing::TempDir;
use shiminhua_app::{AppError, both};
use shiminhua_core::auth::Role;
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::facility::FacilityKind;
use std::collections::HashMap;
use std::path::Path;

both!(
    facilities_are_validated_and_keyed,
    updates_are_versioned_and_history_kept,
    facility_scope_is_the_region,
    export_reads_back_every_row_in_scope_once,
    facility_import_reports_rows_and_upserts_by_key,
);

fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341021", &format!("JK{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn getter(m: &HashMap<String, String>) -> impl Fn(&str) -> String + Sync + '_ {
    move |k| m.get(k).cloned().unwrap_or_default()
}

fn station(name: &str, place: &str) -> HashMap<String, String> {
    fields(&[
        ("name", name),
        ("place", place),
        ("status", "新建"),
        ("opened", "2023-06-01"),
        ("host", "县总工会"),
    ])
}

fn housing(name: &str, place: &str) -> HashMap<String, String> {
    fields(&[
        ("name", name),
        ("place", place),
        ("planned", "100"),
        ("delivered", "40套"),
        ("delivered_on", "2023年12月1日"),
    ])
}

fn errors(e: AppError) -> Vec<(String, String)> {
    match e {
        AppError::Validation(fe) => fe.0,
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    db.read().await.unwrap().int(Sql::new(sql)).await.unwrap()
}

async fn facilities_are_validated_and_keyed(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let call = w.call(&office);
    // Every bad field answers in Chinese, next to its field; nothing is written.
    let bad = fields(&[
        ("credit_code", "91341000MA2N0Q0M8X"),
        ("place", "火星镇"),
        ("employee_based", "也许"),
        ("employees", "十个"),
    ]);
    let errs = errors(
        facilities::create(&call, FacilityKind::Housekeeping, &getter(&bad))
            .await
            .unwrap_err(),
    );
    let keys: Vec<&str> = errs.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(keys, ["name", "credit_code", "place", "employee_based", "employees"]);
    assert_eq!(errs[0].1, "请填写企业名称");
    assert!(errs[1].1.starts_with("统一社会信用代码："), "{errs:?}");
    assert!(errs[2].1.contains("火星镇"), "{errs:?}");
    assert_eq!(errs[3].1, "是否员工制应填“是”或“否”");
    assert_eq!(errs[4].1, "从业人员数应为0或正整数");
    let rules = fields(&[
        ("name", "徽城人才公寓"),
        ("place", "徽城镇"),
        ("planned", "10"),
        ("delivered", "12"),
        ("delivered_on", "2099-01-01"),
    ]);
    let errs = errors(
        facilities::create(&call, FacilityKind::RentalHousing, &getter(&rules))
            .await
            .unwrap_err(),
    );
    assert_eq!(errs, [("delivered_on".to_string(), "交付日期不能晚于今天".to_string())]);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM facilities").await, 0);

    // Valid input as people type it.
    let firm = fields(&[
        ("name", " 黄山徽姑娘家政服务有限公司 "),
        ("credit_code", &credit(1).to_lowercase()),
        ("place", "徽城镇"),
        ("employee_based", "是"),
        ("employees", "35人"),
    ]);
    let id = facilities::create(&call, FacilityKind::Housekeeping, &getter(&firm))
        .await
        .unwrap();
    let row = facilities::get(&w.db, &office, FacilityId(id)).await.unwrap();
    assert_eq!(row.name, "黄山徽姑娘家政服务有限公司");
    assert_eq!(row.region_code, code("341021100").as_i64());
    assert_eq!(row.county_code, code("341021").as_i64());
    assert_eq!(row.version, 1);
    assert_eq!(row.form_values()["employees"], "35");
    assert_eq!(row.form_values()["employee_based"], "是");

    // The credit code keys a firm: another name with the same code is refused.
    let mut again = firm.clone();
    again.insert("name".into(), "另一家家政公司".into());
    let errs = errors(
        facilities::create(&call, FacilityKind::Housekeeping, &getter(&again))
            .await
            .unwrap_err(),
    );
    assert_eq!(errs[0].0, "credit_code");
    assert!(errs[0].1.contains("已有统一社会信用代码相同的家政企业"), "{errs:?}");
    // Name + place key a station; spaces inside the name do not make another.
    facilities::create(
        &call,
        FacilityKind::Station,
        &getter(&station("徽城镇工会驿站", "徽城镇")),
    )
    .await
    .unwrap();
    let errs = errors(
        facilities::create(
            &call,
            FacilityKind::Station,
            &getter(&station("徽城镇 工会驿站", "341021100")),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(errs[0].0, "name");
    // The same name elsewhere is another station.
    facilities::create(
        &call,
        FacilityKind::Station,
        &getter(&station("徽城镇工会驿站", "341022100")),
    )
    .await
    .unwrap();
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM facilities").await, 3);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'facility.create'").await,
        3
    );
}

async fn updates_are_versioned_and_history_kept(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let other = w.scoped("office2", Role::Office, "341000").await;
    let id = facilities::create(
        &w.call(&office),
        FacilityKind::RentalHousing,
        &getter(&housing("新安公寓", "徽城镇")),
    )
    .await
    .unwrap();
    // Two people open the form at version 1; the first saves.
    let mut first = housing("新安公寓", "徽城镇");
    first.insert("delivered".into(), "100".into());
    facilities::update(&w.call(&office), FacilityId(id), 1, &getter(&first))
        .await
        .unwrap();
    let row = facilities::get(&w.db, &office, FacilityId(id)).await.unwrap();
    assert_eq!(row.version, 2);
    assert_eq!(row.form_values()["delivered"], "100");
    // The second is refused, in plain Chinese, and nothing changes.
    let mut second = housing("新安公寓", "徽城镇");
    second.insert("planned".into(), "150".into());
    match facilities::update(&w.call(&other), FacilityId(id), 1, &getter(&second)).await {
        Err(AppError::Conflict(m)) => assert!(m.contains("已被他人修改") && m.contains("保障性租赁住房项目"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let same = facilities::get(&w.db, &office, FacilityId(id)).await.unwrap();
    assert_eq!((same.version, same.data.clone()), (2, row.data.clone()));
    // Invalid input on update is field errors, not a conflict.
    let mut wrong = first.clone();
    wrong.insert("delivered".into(), "101".into());
    let errs = errors(
        facilities::update(&w.call(&office), FacilityId(id), 2, &getter(&wrong))
            .await
            .unwrap_err(),
    );
    assert_eq!(errs[0].0, "delivered");
    // Renaming onto another project's key is refused.
    let other_id = facilities::create(
        &w.call(&office),
        FacilityKind::RentalHousing,
        &getter(&housing("练江公寓", "徽城镇")),
    )
    .await
    .unwrap();
    let errs = errors(
        facilities::update(
            &w.call(&office),
            FacilityId(other_id),
            1,
            &getter(&housing("新安公寓", "徽城镇")),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(errs[0].0, "name");

    // Deleting: a stale version is refused; the right one keeps the last version in history.
    assert!(matches!(
        facilities::delete(&w.call(&office), FacilityId(id), 1).await,
        Err(AppError::Conflict(_))
    ));
    let kind = facilities::delete(&w.call(&office), FacilityId(id), 2).await.unwrap();
    assert_eq!(kind, FacilityKind::RentalHousing);
    assert!(matches!(
        facilities::get(&w.db, &office, FacilityId(id)).await,
        Err(AppError::NotFound)
    ));
    let history: Vec<(i64, String, String, i64)> = w
        .db
        .read()
        .await
        .unwrap()
        .all(
            Sql::new(
                "SELECT version, action, data, worker_id FROM history WHERE object_kind = 'facility' AND object_id = $1 \
                 ORDER BY id",
            )
            .bind(id),
        )
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!((history[0].0, history[0].1.as_str()), (1, "update"));
    assert!(history[0].2.contains("\"delivered\":40"), "{history:?}");
    assert_eq!((history[1].0, history[1].1.as_str()), (2, "delete"));
    assert_eq!(history[1].2, row.data, "the deleted version is kept whole");
    for action in ["facility.update", "facility.delete"] {
        assert_eq!(
            count(
                &w.db,
                &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")
            )
            .await,
            1,
            "{action}"
        );
    }
}

async fn facility_scope_is_the_region(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let inspector = w.scoped("inspector", Role::Inspector, "341000").await;
    let ours = facilities::create(
        &w.call(&office),
        FacilityKind::Station,
        &getter(&station("歙县驿站", "341021100")),
    )
    .await
    .unwrap();
    let theirs = facilities::create(
        &w.call(&office),
        FacilityKind::Station,
        &getter(&station("休宁驿站", "341022100")),
    )
    .await
    .unwrap();
    // Reading: only the county's own.
    assert!(facilities::get(&w.db, &shexian, FacilityId(ours)).await.is_ok());
    assert!(matches!(
        facilities::get(&w.db, &shexian, FacilityId(theirs)).await,
        Err(AppError::NotFound)
    ));
    let (rows, total) = facilities::list(
        &w.db,
        &shexian,
        FacilityKind::Station,
        &FacilityFilter::default(),
        20,
        0,
        100,
    )
    .await
    .unwrap();
    assert_eq!((rows.len(), total), (1, 1));
    assert_eq!(rows[0].id, ours);
    // A region filter outside the scope shows nothing rather than widening it.
    let outside = FacilityFilter {
        region: Some(code("341022")),
        ..FacilityFilter::default()
    };
    let (rows, total) = facilities::list(&w.db, &shexian, FacilityKind::Station, &outside, 20, 0, 100)
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (0, 0));
    // Writing: not into another county, and not another county's facility.
    let errs = errors(
        facilities::create(
            &w.call(&shexian),
            FacilityKind::Station,
            &getter(&station("越界驿站", "341022100")),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        errs,
        [("place".to_string(), "该工会驿站所在地不在您的数据范围内".to_string())]
    );
    let moved = station("歙县驿站", "341022100");
    let errs = errors(
        facilities::update(&w.call(&shexian), FacilityId(ours), 1, &getter(&moved))
            .await
            .unwrap_err(),
    );
    assert_eq!(errs[0].0, "place");
    assert!(matches!(
        facilities::update(
            &w.call(&shexian),
            FacilityId(theirs),
            1,
            &getter(&station("休宁驿站", "341022100"))
        )
        .await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        facilities::delete(&w.call(&shexian), FacilityId(theirs), 1).await,
        Err(AppError::NotFound)
    ));
    // Without the permission to write, or to see business data at all.
    assert!(matches!(
        facilities::create(
            &w.call(&inspector),
            FacilityKind::Station,
            &getter(&station("甲驿站", "341021100"))
        )
        .await,
        Err(AppError::Forbidden)
    ));
    assert!(facilities::get(&w.db, &inspector, FacilityId(theirs)).await.is_ok());
    assert!(matches!(
        facilities::list(
            &w.db,
            &w.admin,
            FacilityKind::Station,
            &FacilityFilter::default(),
            20,
            0,
            100
        )
        .await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM facilities").await, 2);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM history").await, 0);
}

/// Every cell of a workbook's sheet as text, the header row first.
fn sheet_text(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook(path).expect("the export opens");
    let range = book.worksheet_range(sheet).expect("the sheet is there");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => panic!("cells are text: {other:?}"),
                })
                .collect()
        })
        .collect()
}

async fn export_reads_back_every_row_in_scope_once(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let mut in_shexian = Vec::new();
    for n in 0..13 {
        let place = if n % 3 == 0 { "341022100" } else { "341021100" };
        let name = format!("保租房项目{n:02}");
        facilities::create(
            &w.call(&office),
            FacilityKind::RentalHousing,
            &getter(&housing(&name, place)),
        )
        .await
        .unwrap();
        if place.starts_with("341021") {
            in_shexian.push(name);
        }
    }
    // A facility of another kind in 歙县 is never in this export.
    facilities::create(
        &w.call(&office),
        FacilityKind::Station,
        &getter(&station("保租房项目99", "徽城镇")),
    )
    .await
    .unwrap();
    let dir = TempDir::new("facility-export");
    let path = dir.0.join("rental.xlsx");
    let n = facilities::export_paged(
        &w.call(&shexian),
        FacilityKind::RentalHousing,
        &FacilityFilter::default(),
        &path,
        4,
    )
    .await
    .unwrap();
    assert_eq!(n as usize, in_shexian.len());
    let sheet = sheet_text(&path, "保障性租赁住房项目");
    assert_eq!(
        sheet[0],
        [
            "所属区县",
            "项目名称",
            "项目所在地（乡镇/街道、村/社区）",
            "计划套（间）数",
            "已交付套（间）数",
            "交付日期",
            "最后修改时间",
            "最后修改人"
        ]
    );
    let mut names: Vec<String> = sheet[1..].iter().map(|r| r[1].clone()).collect();
    names.sort();
    assert_eq!(names, in_shexian, "every row in scope, once");
    assert!(
        sheet[1..]
            .iter()
            .all(|r| r[0] == "歙县" && r[3] == "100" && r[5] == "2023-12-01"),
        "{sheet:?}"
    );
    // The name search and the list agree with the export.
    let search = FacilityFilter {
        region: None,
        q: "项目0".into(),
        ..FacilityFilter::default()
    };
    let (rows, total) = facilities::list(&w.db, &shexian, FacilityKind::RentalHousing, &search, 3, 0, 100)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        total as usize,
        in_shexian.iter().filter(|n| n.contains("项目0")).count()
    );
    // A LIKE wildcard typed by a user matches itself only.
    let wildcard = FacilityFilter {
        region: None,
        q: "%".into(),
        ..FacilityFilter::default()
    };
    let (_, total) = facilities::list(&w.db, &shexian, FacilityKind::RentalHousing, &wildcard, 3, 0, 100)
        .await
        .unwrap();
    assert_eq!(total, 0);
    let detail: String =
        w.db.read()
            .await
            .unwrap()
            .one::<(String,)>(Sql::new(
                "SELECT detail FROM audit_log WHERE action = 'facility.export' ORDER BY id DESC LIMIT 1",
            ))
            .await
            .unwrap()
            .0;
    assert!(detail.contains(&format!("rows={n}")), "{detail}");
}

async fn facility_import_reports_rows_and_upserts_by_key(db: Db) {
    use shiminhua_app::registry::import::{self, ImportKind, Options};
    let w = World::new(db).await;
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let call = w.call(&shexian);
    let old = facilities::create(&call, FacilityKind::Station, &getter(&station("已有驿站", "341021100")))
        .await
        .unwrap();
    let dir = TempDir::new("facility-import");
    let csv = "工会驿站导入\n\
               驿站名称,所在地（乡镇/街道、村/社区）,建设状态,开放日期,达标并有效运行,依托单位,备注\n\
               徽城驿站,341021100,新建,2023-05-01,是,县总工会,\n\
               歙县乙驿站,341021100,在建,2023-05-01,否,县总工会,\n\
               徽城驿站,341021100,提升,2023-05-01,否,县总工会,\n\
               休宁驿站,341022100,新建,2023-05-01,否,县总工会,\n\
               已有驿站,341021100,原有,2023-01-10,是,县总工会,改造完成\n";
    let path = dir.0.join("stations.csv");
    std::fs::write(&path, csv).unwrap();
    let target = ImportKind::parse("station").unwrap();
    assert_eq!(target.label(), "工会驿站");
    let before = count(&w.db, "SELECT COUNT(*) FROM facilities").await;
    let dry = import::run(
        &call,
        target,
        &path,
        "stations.csv",
        &Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (dry.inserted, dry.updated, dry.rejected),
        (1, 1, 3),
        "{:?}",
        dry.rejects
    );
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM facilities").await,
        before,
        "a dry run writes nothing"
    );

    let s = import::run(&call, target, &path, "stations.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((s.inserted, s.updated, s.unchanged, s.rejected), (1, 1, 0, 3));
    let rejects: Vec<(u64, &str, &str)> = s
        .rejects
        .iter()
        .map(|r| (r.line, r.column.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(rejects[0].0, 4);
    assert_eq!(rejects[0].1, "建设状态");
    assert!(rejects[0].2.contains("新建"), "{rejects:?}");
    assert_eq!(rejects[1], (5, "", "与第3行是同一个工会驿站"));
    assert_eq!(rejects[2].0, 6);
    assert_eq!(rejects[2].1, "所在地（乡镇/街道、村/社区）");
    assert!(rejects[2].2.contains("不在您的数据范围内"), "{rejects:?}");
    // The new one is stored, the known one changed with its history kept.
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM facilities").await, before + 1);
    let changed = facilities::get(&w.db, &shexian, FacilityId(old)).await.unwrap();
    assert_eq!(changed.version, 2);
    assert_eq!(changed.form_values()["status"], "原有");
    assert_eq!(changed.form_values()["standard"], "是");
    assert_eq!(changed.form_values()["note"], "改造完成");
    assert_eq!(
        count(
            &w.db,
            &format!("SELECT COUNT(*) FROM history WHERE object_kind = 'facility' AND object_id = {old}")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &w.db,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('facility.create', 'facility.update')"
        )
        .await,
        3
    );
    // The same file again changes nothing.
    let again = import::run(&call, target, &path, "stations.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated), (0, 0));
    assert_eq!(
        facilities::get(&w.db, &shexian, FacilityId(old)).await.unwrap().version,
        2
    );
    // A user without a region may not import facilities at all.
    let auditor = w.scoped("auditor1", Role::Auditor, "341000").await;
    assert!(matches!(
        import::run(&w.call(&auditor), target, &path, "stations.csv", &Options::default()).await,
        Err(AppError::Forbidden)
    ));
}
