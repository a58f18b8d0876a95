//! The registry's workers and families, on SQLite and PostgreSQL.

use chrono::{Datelike, Duration, NaiveDate};
use shiminhua_app::audit::{self, Filter};
use shiminhua_app::crypto::Cipher;
use shiminhua_app::keys::MasterKey;
use shiminhua_app::registry::workers::{self, DependantInput, RevealField, WorkerFilter, WorkerInput};
use shiminhua_app::store::{Backend, Db, Sql};
use shiminhua_app::users;
use shiminhua_app::{AppError, Call, both};
use shiminhua_core::auth::{Grant, RecordKind, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::DependantId;
use shiminhua_core::ids::RecordId;
use shiminhua_core::ids::WorkerId;

use crate::common::*;

both!(
    register_search_and_mask,
    scope_applies_to_every_path,
    personal_information_is_sealed_at_rest,
    reveal_needs_a_reason_and_is_audited,
    edits_are_optimistic_and_keep_the_phone,
    families,
    no_user_sees_outside_their_scope,
    a_reach_past_its_cap_is_remembered_and_under_it_exact,
);

async fn register_search_and_mask(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let mut a = input("王小红", "34102219780615456x", "341021100");
    a.phone = "+86 138 0013 8000".into();
    let id = workers::create_worker(&w.call(&office), &a).await.unwrap();
    let (row, deps) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    assert_eq!(row.id_masked, "341022************");
    assert_eq!(row.phone_masked, "138****8000");
    assert_eq!(row.sex, "女");
    assert_eq!(row.birth_year, 1978);
    assert_eq!(row.county_code, 341021000000);
    assert!(deps.is_empty());
    // The same person again is refused, whatever the spelling of the number.
    let dup = input("王小红", "34102219780615456X", "341021101");
    match workers::create_worker(&w.call(&office), &dup).await {
        Err(AppError::Validation(e)) => assert!(e.get("id_number").unwrap().contains("已登记")),
        other => panic!("{other:?}"),
    }
    // Bad input: every field says what is wrong.
    let bad = WorkerInput {
        name: "A".into(),
        id_number: "341002198503120012".into(),
        phone: "12345".into(),
        region: "341021".into(),
        education: "博士后".into(),
        ..WorkerInput::default()
    };
    match workers::create_worker(&w.call(&office), &bad).await {
        Err(AppError::Validation(e)) => {
            for f in ["name", "id_number", "phone", "region", "education"] {
                assert!(e.get(f).is_some(), "{f}: {e:?}");
            }
            assert!(e.get("id_number").unwrap().contains("请对照身份证逐位核对整个号码"));
        }
        other => panic!("{other:?}"),
    }
    workers::create_worker(&w.call(&office), &input("王大明", &id_for(1), "341021101"))
        .await
        .unwrap();
    workers::create_worker(&w.call(&office), &input("李四", &id_for(2), "341022100"))
        .await
        .unwrap();
    let find = |q: &str| WorkerFilter {
        q: q.into(),
        ..WorkerFilter::default()
    };
    let names = |rows: Vec<workers::WorkerRow>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
    let (rows, total) = workers::list_workers(&w.db, &w.cipher, &office, &find("王"), 10, 0, workers::COUNT_CAP)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(rows.len(), 2);
    let (rows, _) = workers::list_workers(
        &w.db,
        &w.cipher,
        &office,
        &find("341022 1978 0615 456x"),
        10,
        0,
        workers::COUNT_CAP,
    )
    .await
    .unwrap();
    assert_eq!(names(rows), vec!["王小红"], "exact search by the full ID number");
    let (rows, _) = workers::list_workers(
        &w.db,
        &w.cipher,
        &office,
        &find("13800138000"),
        10,
        0,
        workers::COUNT_CAP,
    )
    .await
    .unwrap();
    assert_eq!(names(rows), vec!["王小红"], "exact search by phone");
    let (rows, _) = workers::list_workers(
        &w.db,
        &w.cipher,
        &office,
        &find("341022************"),
        10,
        0,
        workers::COUNT_CAP,
    )
    .await
    .unwrap();
    assert!(rows.is_empty(), "a mask is not a search key");
    let by_region = WorkerFilter {
        region: Some(code("341022")),
        ..WorkerFilter::default()
    };
    assert_eq!(
        names(
            workers::list_workers(&w.db, &w.cipher, &office, &by_region, 10, 0, workers::COUNT_CAP)
                .await
                .unwrap()
                .0
        ),
        vec!["李四"]
    );
    let by_tag = WorkerFilter {
        tag: "返乡".into(),
        sort: "name".into(),
        ..WorkerFilter::default()
    };
    assert_eq!(
        workers::list_workers(&w.db, &w.cipher, &office, &by_tag, 10, 0, workers::COUNT_CAP)
            .await
            .unwrap()
            .1,
        3
    );
    // Past the count cap the total says "more than"; the rows are still right.
    let (rows, total) = workers::list_workers(&w.db, &w.cipher, &office, &WorkerFilter::default(), 2, 0, 1)
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (2, 2), "total capped at cap + 1");
    let by_name_capped = WorkerFilter {
        q: "王".into(),
        ..WorkerFilter::default()
    };
    let (rows, total) = workers::list_workers(&w.db, &w.cipher, &office, &by_name_capped, 10, 0, 1)
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (2, 2));
    // Paging.
    let (page2, total) = workers::list_workers(
        &w.db,
        &w.cipher,
        &office,
        &WorkerFilter::default(),
        2,
        2,
        workers::COUNT_CAP,
    )
    .await
    .unwrap();
    assert_eq!((page2.len(), total), (1, 3));
}

async fn scope_applies_to_every_path(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let shexian = w.scoped("shexian1", Role::Local, "341021").await;
    let other = workers::create_worker(&w.call(&office), &input("李四", &id_for(2), "341022100"))
        .await
        .unwrap();
    let mine = workers::create_worker(&w.call(&shexian), &input("王五", &id_for(3), "341021100"))
        .await
        .unwrap();
    assert!(workers::get_worker(&w.db, &shexian, WorkerId(mine)).await.is_ok());
    assert!(matches!(
        workers::get_worker(&w.db, &shexian, WorkerId(other)).await,
        Err(AppError::NotFound)
    ));
    let e = workers::reveal(
        &w.call(&shexian),
        WorkerId(other),
        RevealField::IdNumber,
        "核实身份信息",
    )
    .await;
    assert!(matches!(e, Err(AppError::NotFound)));
    let e = workers::update_worker(&w.call(&shexian), WorkerId(other), 1, &input("改名", "", "341021100")).await;
    assert!(matches!(e, Err(AppError::NotFound)));
    let dep = DependantInput {
        relation: "子女".into(),
        name: "李小四".into(),
        birth_date: "2016-01-01".into(),
        ..Default::default()
    };
    assert!(matches!(
        workers::add_dependant(&w.call(&shexian), WorkerId(other), &dep).await,
        Err(AppError::NotFound)
    ));
    match workers::create_worker(&w.call(&shexian), &input("赵六", &id_for(4), "341022100")).await {
        Err(AppError::Validation(e)) => assert!(e.get("region").unwrap().contains("数据范围")),
        other => panic!("{other:?}"),
    }
    // A region filter outside the scope finds nothing; inside, it narrows.
    let outside = WorkerFilter {
        region: Some(code("341022")),
        ..WorkerFilter::default()
    };
    assert_eq!(
        workers::list_workers(&w.db, &w.cipher, &shexian, &outside, 10, 0, workers::COUNT_CAP)
            .await
            .unwrap()
            .1,
        0
    );
    let inside = WorkerFilter {
        region: Some(code("341021100")),
        ..WorkerFilter::default()
    };
    assert_eq!(
        workers::list_workers(&w.db, &w.cipher, &shexian, &inside, 10, 0, workers::COUNT_CAP)
            .await
            .unwrap()
            .1,
        1
    );
    // Moving a worker out of one's own scope is refused too.
    let e = workers::update_worker(&w.call(&shexian), WorkerId(mine), 1, &input("王五", "", "341022100")).await;
    assert!(matches!(e, Err(AppError::Validation(_))));
    // A scope for schooling only does not open the worker registry.
    let school = w
        .user(
            "school1",
            Role::Department,
            vec![Grant {
                region: code("341000"),
                kinds: [RecordKind::Schooling].into_iter().collect(),
            }],
        )
        .await;
    assert_eq!(
        workers::list_workers(
            &w.db,
            &w.cipher,
            &school,
            &WorkerFilter::default(),
            10,
            0,
            workers::COUNT_CAP
        )
        .await
        .unwrap()
        .1,
        0
    );
    // Roles without the permission are refused outright.
    let auditor = w.user("auditor1", Role::Auditor, vec![]).await;
    assert!(matches!(
        workers::get_worker(&w.db, &auditor, WorkerId(mine)).await,
        Err(AppError::Forbidden)
    ));
    assert!(
        matches!(
            workers::get_worker(&w.db, &w.admin, WorkerId(mine)).await,
            Err(AppError::Forbidden)
        ),
        "the admin reads no personal data"
    );
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    assert!(workers::get_worker(&w.db, &lead, WorkerId(mine)).await.is_ok());
    assert!(matches!(
        workers::create_worker(&w.call(&lead), &input("钱七", &id_for(5), "341021100")).await,
        Err(AppError::Forbidden)
    ));
}

async fn personal_information_is_sealed_at_rest(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let mut a = input("孙八", "341023199202290873", "341023100");
    a.phone = "13912345678".into();
    let id = workers::create_worker(&w.call(&office), &a).await.unwrap();
    let dep = DependantInput {
        relation: "子女".into(),
        name: "孙小宝".into(),
        id_number: "34102420000101003X".into(),
        birth_date: String::new(),
    };
    workers::add_dependant(&w.call(&office), WorkerId(id), &dep)
        .await
        .unwrap();
    // Everything the database holds, as raw bytes.
    let raw: Vec<u8> = match w.db.backend() {
        Backend::Sqlite => {
            let mut tx = w.db.read().await.unwrap();
            let (file,): (String,) = tx
                .one(Sql::new("SELECT file FROM pragma_database_list WHERE name = 'main'"))
                .await
                .unwrap();
            drop(tx);
            let mut bytes = std::fs::read(&file).unwrap();
            bytes.extend(std::fs::read(format!("{file}-wal")).unwrap_or_default());
            bytes
        }
        Backend::Postgres => {
            let mut tx = w.db.read().await.unwrap();
            let rows: Vec<(String,)> = tx
                .all(Sql::new("SELECT t::text FROM workers t UNION ALL SELECT d::text FROM dependants d UNION ALL SELECT a::text FROM audit_log a"))
                .await
                .unwrap();
            rows.into_iter().flat_map(|(s,)| s.into_bytes()).collect()
        }
    };
    let text = String::from_utf8_lossy(&raw);
    for secret in ["341023199202290873", "13912345678", "34102420000101003X", "孙小宝"] {
        assert!(!text.contains(secret), "{secret} is readable in the raw database");
    }
    assert!(text.contains("孙八"), "the worker's name itself is searchable text");
    // With the key, the values come back.
    let v = workers::reveal(&w.call(&office), WorkerId(id), RevealField::Phone, "电话回访核实")
        .await
        .unwrap();
    assert_eq!(v, "13912345678");
    // Without it (another key), they do not.
    let other = Cipher::new(&MasterKey::generate());
    assert!(
        workers::reveal(
            &w.call_with(&other, &office),
            WorkerId(id),
            RevealField::IdNumber,
            "电话回访核实"
        )
        .await
        .is_err()
    );
}

async fn reveal_needs_a_reason_and_is_audited(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let id = workers::create_worker(&w.call(&office), &input("周九", &id_for(9), "341021100"))
        .await
        .unwrap();
    match workers::reveal(&w.call(&office), WorkerId(id), RevealField::IdNumber, " 看 ").await {
        Err(AppError::Validation(e)) => assert!(e.get("reason").is_some()),
        other => panic!("{other:?}"),
    }
    let full = workers::reveal(
        &w.call(&office),
        WorkerId(id),
        RevealField::IdNumber,
        "核实欠薪线索当事人",
    )
    .await
    .unwrap();
    assert_eq!(full, id_for(9));
    assert!(
        matches!(
            workers::reveal(&w.call(&office), WorkerId(id), RevealField::Phone, "核实欠薪线索当事人").await,
            Err(AppError::NotFound)
        ),
        "no phone on file"
    );
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    assert!(
        matches!(
            workers::reveal(
                &w.call(&lead),
                WorkerId(id),
                RevealField::IdNumber,
                "核实欠薪线索当事人"
            )
            .await,
            Err(AppError::Forbidden)
        ),
        "the task-force lead sees masks only"
    );
    let auditor = w.user("auditor1", Role::Auditor, vec![]).await;
    let f = Filter {
        action: Some("pii.reveal".into()),
        ..Filter::default()
    };
    let (rows, total) = audit::list(&w.db, &auditor, &f, 10, 0).await.unwrap();
    assert_eq!(total, 1);
    assert!(rows[0].detail.contains("核实欠薪线索当事人") && rows[0].detail.contains("id_number"));
    assert!(
        !rows[0].detail.contains(&id_for(9)),
        "the audit trail never holds the value"
    );
}

async fn edits_are_optimistic_and_keep_the_phone(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let mut a = input("吴十", &id_for(10), "341021100");
    a.phone = "13700001111".into();
    let id = workers::create_worker(&w.call(&office), &a).await.unwrap();
    let (row, _) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    let mut edit = input("吴拾", "", "341021101");
    edit.skills = "电工（四级）".into();
    workers::update_worker(&w.call(&office), WorkerId(id), row.version, &edit)
        .await
        .unwrap();
    let (after, _) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    assert_eq!(
        (after.name.as_str(), after.region_code, after.skills.as_str()),
        ("吴拾", 341021101000, "电工（四级）")
    );
    assert_eq!(after.phone_masked, "137****1111", "a blank phone keeps the one on file");
    assert_eq!(after.id_masked, row.id_masked);
    let kept = shiminhua_app::registry::records::history(&w.db, &office, WorkerId(id))
        .await
        .unwrap();
    assert_eq!(kept.len(), 1, "the edited version is kept");
    assert_eq!(
        (kept[0].object_kind.as_str(), kept[0].action.as_str(), kept[0].version),
        ("worker", "update", row.version)
    );
    assert!(
        kept[0].data.contains("吴十") && !kept[0].data.contains("吴拾"),
        "{}",
        kept[0].data
    );
    match workers::update_worker(&w.call(&office), WorkerId(id), row.version, &edit).await {
        Err(AppError::Conflict(m)) => assert!(m.contains("已被他人修改")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        shiminhua_app::registry::records::history(&w.db, &office, WorkerId(id))
            .await
            .unwrap()
            .len(),
        1,
        "a refused edit keeps nothing"
    );
    let mut phone = edit.clone();
    phone.phone = "13700002222".into();
    workers::update_worker(&w.call(&office), WorkerId(id), after.version, &phone)
        .await
        .unwrap();
    let found = workers::list_workers(
        &w.db,
        &w.cipher,
        &office,
        &WorkerFilter {
            q: "13700002222".into(),
            ..Default::default()
        },
        5,
        0,
        workers::COUNT_CAP,
    )
    .await
    .unwrap();
    assert_eq!(found.1, 1, "the blind index follows the new phone");
}

async fn families(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let id = workers::create_worker(&w.call(&office), &input("郑一", &id_for(11), "341021100"))
        .await
        .unwrap();
    let child = DependantInput {
        relation: "子女".into(),
        name: "郑小一".into(),
        id_number: "34102420000101003X".into(),
        birth_date: "2000年1月2日".into(),
    };
    match workers::add_dependant(&w.call(&office), WorkerId(id), &child).await {
        Err(AppError::Validation(e)) => assert!(e.get("birth_date").unwrap().contains("不一致")),
        other => panic!("{other:?}"),
    }
    let child = DependantInput {
        birth_date: "2000/1/1".into(),
        ..child
    };
    workers::add_dependant(&w.call(&office), WorkerId(id), &child)
        .await
        .unwrap();
    let spouse = DependantInput {
        relation: "配偶".into(),
        name: "钱二".into(),
        birth_date: "1991-05-06".into(),
        ..Default::default()
    };
    workers::add_dependant(&w.call(&office), WorkerId(id), &spouse)
        .await
        .unwrap();
    let (_, deps) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    assert_eq!(deps.len(), 2);
    assert_eq!(deps[0].relation, "配偶");
    assert_eq!(deps[1].name_masked, "郑**");
    assert_eq!(deps[1].id_masked, "341024************");
    // The same child cannot be registered twice.
    assert!(
        workers::add_dependant(&w.call(&office), WorkerId(id), &child)
            .await
            .is_err()
    );
    let future = DependantInput {
        relation: "子女".into(),
        name: "郑未来".into(),
        birth_date: "2030-01-01".into(),
        ..Default::default()
    };
    assert!(
        workers::add_dependant(&w.call(&office), WorkerId(id), &future)
            .await
            .is_err()
    );
    let counts = workers::counts(&w.db, &office).await.unwrap();
    assert_eq!((counts.workers, counts.dependants, counts.capped), (1, 2, false));
}

/// A property over random scopes and populations: what a user lists is
/// exactly the workers in their scope, and nothing outside it opens.
async fn no_user_sees_outside_their_scope(db: Db) {
    use shiminhua_app::registry::records::{self, RecordFilter};
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let mut tx = w.db.read().await.unwrap();
    let towns: Vec<(i64,)> = tx
        .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
        .await
        .unwrap();
    drop(tx);
    let mut state: u64 = 0x5eed;
    let mut next = |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    };
    // Workers in random towns; each with a housing record (placed at the
    // residence) and an employment record in another random town.
    let mut placed = Vec::new();
    let mut jobs = Vec::new();
    let mut homes = Vec::new();
    for i in 0..40u16 {
        let town = DivisionCode::from_i64(towns[next(towns.len())].0).unwrap();
        let id = workers::create_worker(&w.call(&office), &input("测试人", &id_for(100 + i), &town.to_string()))
            .await
            .unwrap();
        placed.push((id, town));
        let work_town = DivisionCode::from_i64(towns[next(towns.len())].0).unwrap();
        let credit =
            shiminhua_core::credit_code::CreditCode::from_parts("91", "341000", &format!("MA{:06}", i)).unwrap();
        let job: std::collections::HashMap<&str, String> = [
            ("credit_code", credit.as_str().to_string()),
            ("employer", "某公司".into()),
            ("industry", "C".into()),
            ("form", "就近就业".into()),
            ("place", work_town.to_string()),
            ("start", "2024-01-02".into()),
            ("contract", "是".into()),
            ("public_service", "否".into()),
        ]
        .into_iter()
        .collect();
        let get = |k: &str| job.get(k).cloned().unwrap_or_default();
        let rid = records::create_record(&w.call(&office), WorkerId(id), RecordKind::Employment, &get)
            .await
            .unwrap();
        jobs.push((rid, work_town));
        let home: std::collections::HashMap<&str, String> = [
            ("housing_type", "公租房".to_string()),
            ("project", "某项目".into()),
            ("units", "1".into()),
            ("date", "2024-03-01".into()),
        ]
        .into_iter()
        .collect();
        let get = |k: &str| home.get(k).cloned().unwrap_or_default();
        let rid = records::create_record(&w.call(&office), WorkerId(id), RecordKind::Housing, &get)
            .await
            .unwrap();
        homes.push((rid, town));
    }
    let kinds = [RecordKind::Worker, RecordKind::Employment, RecordKind::Housing];
    for u in 0..8 {
        let n_grants = 1 + next(2);
        let mut grants = Vec::new();
        for _ in 0..n_grants {
            let (_, town) = placed[next(placed.len())];
            let region = if next(2) == 0 { town.county().unwrap() } else { town };
            let mask = 1 + next(7);
            grants.push(Grant {
                region,
                kinds: kinds
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, k)| *k)
                    .collect(),
            });
        }
        let actor = w.user(&format!("prop{u}"), Role::Local, grants).await;
        let (rows, total) = workers::list_workers(
            &w.db,
            &w.cipher,
            &actor,
            &WorkerFilter::default(),
            1000,
            0,
            workers::COUNT_CAP,
        )
        .await
        .unwrap();
        let expected: Vec<i64> = placed
            .iter()
            .filter(|(_, t)| actor.scope.allows(RecordKind::Worker, *t))
            .map(|(id, _)| *id)
            .collect();
        let mut got: Vec<i64> = rows.iter().map(|r| r.id).collect();
        got.sort();
        assert_eq!(got, expected, "user {u} lists exactly the workers in scope");
        assert_eq!(total as usize, expected.len());
        // The export holds exactly the same people, masked.
        let dir = shiminhua_app::testing::TempDir::new("export");
        let file = dir.0.join("w.xlsx");
        let exported = workers::export_workers(&w.call(&actor), &WorkerFilter::default(), &file)
            .await
            .unwrap();
        assert_eq!(
            exported as usize,
            expected.len(),
            "user {u} exports exactly the workers in scope"
        );
        let mut masked: Vec<String> =
            shiminhua_app::registry::import::read::open(&file, &["姓名", "身份证号"], &[true, true])
                .unwrap()
                .map(|r| r.unwrap().cells[1].to_text())
                .collect();
        let mut want: Vec<String> = rows.iter().map(|r| r.id_masked.clone()).collect();
        masked.sort();
        want.sort();
        assert_eq!(masked, want);
        assert!(masked.iter().all(|m| m.ends_with("************")));
        for (id, town) in &placed {
            let visible = workers::get_worker(&w.db, &actor, WorkerId(*id)).await.is_ok();
            assert_eq!(visible, actor.scope.allows(RecordKind::Worker, *town));
        }
        for (kind, placed_records) in [(RecordKind::Employment, &jobs), (RecordKind::Housing, &homes)] {
            let (rows, _) = records::list_records(&w.db, &actor, kind, &RecordFilter::default(), 1000, 0, 1000)
                .await
                .unwrap();
            let mut got: Vec<i64> = rows.iter().map(|r| r.id).collect();
            got.sort();
            let expected: Vec<i64> = placed_records
                .iter()
                .filter(|(_, t)| actor.scope.allows(kind, *t))
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(got, expected, "user {u} lists exactly the {kind:?} records in scope");
            for (id, town) in placed_records.iter() {
                let allowed = actor.scope.allows(kind, *town);
                assert_eq!(records::get_record(&w.db, &actor, RecordId(*id)).await.is_ok(), allowed);
                if !allowed {
                    assert!(matches!(
                        records::delete_record(&w.call(&actor), RecordId(*id), 1).await,
                        Err(AppError::NotFound)
                    ));
                }
            }
        }
    }
    assert_eq!(
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new("SELECT COUNT(*) FROM records"))
            .await
            .unwrap(),
        80,
        "nothing outside a scope was deleted"
    );
}

mod demo_data {
    use super::*;
    use shiminhua_app::ops::demo;

    async fn population(db: Db) -> (demo::Generated, Vec<(String, String, i64)>, World) {
        let w = World::new(db).await;
        let g = demo::generate(&w.db, &w.cipher, t0(), 300, 42).await.unwrap();
        let office = w.scoped("office1", Role::Office, "341000").await;
        let (rows, _) = workers::list_workers(
            &w.db,
            &w.cipher,
            &office,
            &WorkerFilter {
                sort: "name".into(),
                ..Default::default()
            },
            1000,
            0,
            workers::COUNT_CAP,
        )
        .await
        .unwrap();
        (
            g,
            rows.into_iter().map(|r| (r.name, r.id_masked, r.region_code)).collect(),
            w,
        )
    }

    async fn deterministic_valid_population(db: Db) {
        let (g, people, w) = population(db).await;
        assert!(g.workers >= 295 && g.workers <= 300, "{g:?}");
        assert!(g.dependants > g.workers / 3, "families: {g:?}");
        assert_eq!(people.len(), g.workers);
        // Every county has people.
        for county in ["341002", "341003", "341004", "341021", "341022", "341023", "341024"] {
            let c = code(county);
            assert!(
                people.iter().any(|p| c.contains(DivisionCode::from_i64(p.2).unwrap())),
                "{county}"
            );
        }
        // Sealed ID numbers open to valid numbers.
        let office = w.scoped("office2", Role::Office, "341000").await;
        let (rows, _) = workers::list_workers(
            &w.db,
            &w.cipher,
            &office,
            &WorkerFilter::default(),
            20,
            0,
            workers::COUNT_CAP,
        )
        .await
        .unwrap();
        for r in rows {
            let full = workers::reveal(&w.call(&office), WorkerId(r.id), RevealField::IdNumber, "核对演示数据")
                .await
                .unwrap();
            let id = IdNumber::parse(&full).unwrap();
            assert_eq!(id.masked(), r.id_masked);
            assert_eq!(id.birth_date().year(), r.birth_year);
        }
        derived_conditions_match_the_records(&w, g.workers).await;
        // The same seed gives the same people in another database.
        let again = TestDbPair::sqlite().await;
        let (_, people2, _) = population(again.db.clone()).await;
        assert_eq!(people, people2);
        again.finish().await;
    }

    /// Every record kind is generated, and each derived condition of the
    /// worker list selects exactly the workers its definition names,
    /// computed here from the records themselves.
    async fn derived_conditions_match_the_records(w: &World, workers: usize) {
        use shiminhua_app::registry::records::{self, RecordFilter};
        use std::collections::{BTreeSet, HashMap};
        let office = w.scoped("office3", Role::Office, "341000").await;
        let mut by_kind: HashMap<RecordKind, Vec<records::RecordRow>> = HashMap::new();
        for kind in shiminhua_core::record::KINDS {
            let (rows, total) =
                records::list_records(&w.db, &office, kind, &RecordFilter::default(), 100_000, 0, 100_000)
                    .await
                    .unwrap();
            assert!(total > 0, "{kind:?} records are generated");
            by_kind.insert(kind, rows);
        }
        let field = |r: &records::RecordRow, k: &str| -> Option<String> {
            let v: serde_json::Value = serde_json::from_str(&r.data).unwrap();
            v.get(k).and_then(|x| x.as_str()).map(str::to_string)
        };
        let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let all: BTreeSet<i64> = {
            let (rows, _) = workers::list_workers(&w.db, &w.cipher, &office, &WorkerFilter::default(), 1000, 0, 1000)
                .await
                .unwrap();
            rows.iter().map(|r| r.id).collect()
        };
        assert_eq!(all.len(), workers);
        let insured: BTreeSet<i64> = by_kind[&RecordKind::Insurance]
            .iter()
            .filter(|r| field(r, "status").as_deref() == Some("参保缴费"))
            .map(|r| r.worker_id)
            .collect();
        let expected: [(&str, BTreeSet<i64>); 4] = [
            ("no_insurance", all.difference(&insured).copied().collect()),
            (
                "child_not_public",
                by_kind[&RecordKind::Schooling]
                    .iter()
                    .filter(|r| {
                        field(r, "school_type").as_deref() == Some("其他民办")
                            && r.period_date >= NaiveDate::from_ymd_opt(2024, 9, 1).unwrap()
                    })
                    .map(|r| r.worker_id)
                    .collect(),
            ),
            (
                "wants_settlement",
                by_kind[&RecordKind::Settlement]
                    .iter()
                    .filter(|r| field(r, "intention").as_deref() == Some("有") && field(r, "settled").is_none())
                    .map(|r| r.worker_id)
                    .collect(),
            ),
            (
                "new_local_job",
                by_kind[&RecordKind::Employment]
                    .iter()
                    .filter(|r| {
                        field(r, "form").as_deref() == Some("就近就业")
                            && r.period_date >= NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
                    })
                    .map(|r| r.worker_id)
                    .collect(),
            ),
        ];
        for (condition, want) in expected {
            assert!(!want.is_empty(), "{condition}: the demo population has such workers");
            let (rows, total) = workers::list_workers(
                &w.db,
                &w.cipher,
                &office,
                &WorkerFilter {
                    condition: condition.into(),
                    as_of: Some(as_of),
                    ..Default::default()
                },
                1000,
                0,
                1000,
            )
            .await
            .unwrap();
            let got: BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
            assert_eq!(got, want, "{condition}");
            assert_eq!(total as usize, want.len());
        }
    }

    use shiminhua_app::testing::TestDb as TestDbPair;

    both!(deterministic_valid_population);
}

mod key_rotation {
    use super::*;
    use shiminhua_app::keys::KeyRing;
    use shiminhua_app::ops::rekey;
    use shiminhua_app::testing::TempDir;

    async fn every_sealed_value_moves_to_the_new_key(db: Db) {
        let dir = TempDir::new("rotate");
        let path = dir.0.join("shiminhua.key");
        let ring = KeyRing::single(MasterKey::generate());
        ring.write(&path).unwrap();
        let mut w = World::new(db).await;
        w.cipher = Cipher::from_ring(&ring);
        let office = w.scoped("office1", Role::Office, "341000").await;
        let mut a = input("冯一", &id_for(21), "341021100");
        a.phone = "13600001111".into();
        let id = workers::create_worker(&w.call(&office), &a).await.unwrap();
        let child = DependantInput {
            relation: "子女".into(),
            name: "冯小一".into(),
            id_number: id_for(22),
            birth_date: String::new(),
        };
        workers::add_dependant(&w.call(&office), WorkerId(id), &child)
            .await
            .unwrap();
        shiminhua_app::ops::demo::generate(&w.db, &w.cipher, t0(), 40, 3)
            .await
            .unwrap();
        // A seeker's own application from a phone: its ID number and phone.
        let application = shiminhua_app::registry::jobs::applications::Application {
            name: "冯求职".into(),
            id_number: id_for(23),
            phone: "13600002222".into(),
            region: "341021100".into(),
            wishes: [("occupations".to_string(), "6".to_string())].into_iter().collect(),
            consent: true,
        };
        shiminhua_app::registry::jobs::applications::file(
            &w.db,
            &w.cipher,
            &origin(),
            t0(),
            &application,
            &"ab".repeat(32),
        )
        .await
        .unwrap();
        let secret = shiminhua_core::totp::TotpSecret::from_bytes(b"abcdefghij0123456789".to_vec());
        users::enrol_totp(
            &w.db,
            &w.cipher,
            office.user_id,
            &origin(),
            t0(),
            &secret.to_base32(),
            &secret.code_at(t0().timestamp()),
        )
        .await
        .unwrap();

        let report = rekey::rotate(&w.db, &path, t0()).await.unwrap();
        assert!(
            report.worker_ids >= 41 && report.worker_phones >= 1 && report.dependant_names >= 1,
            "{report:?}"
        );
        assert_eq!(
            report.dependant_births, report.dependant_names,
            "every family member's birth date"
        );
        assert_eq!(report.totp_secrets, 1);
        assert_eq!(report.applications, 2, "the application's ID number and phone");
        let new = KeyRing::read(&path).unwrap().unwrap();
        assert_eq!(new.keys().len(), 2, "the old key stays in the file");
        let fresh = Cipher::from_ring(&new);
        // Every sealed value now names the new key.
        let mut tx = w.db.read().await.unwrap();
        let blobs: Vec<(Vec<u8>,)> = tx
            .all(Sql::new(
                "SELECT id_sealed FROM workers UNION ALL SELECT name_sealed FROM dependants UNION ALL SELECT birth_sealed FROM dependants \
                 UNION ALL SELECT totp_secret FROM users WHERE totp_secret IS NOT NULL \
                 UNION ALL SELECT id_sealed FROM job_applications UNION ALL SELECT phone_sealed FROM job_applications",
            ))
            .await
            .unwrap();
        drop(tx);
        assert!(blobs.iter().all(|(b,)| Cipher::key_id_of(b) == Some(fresh.key_id())));
        // The values open with the new key alone; searches by blind index still find people.
        let only_new = Cipher::from_ring(&new.current_only());
        let call = Call {
            db: &w.db,
            cipher: &only_new,
            actor: &office,
            origin: &w.origin,
            now: t0(),
        };
        assert_eq!(
            workers::reveal(&call, WorkerId(id), RevealField::Phone, "轮换后核对")
                .await
                .unwrap(),
            "13600001111"
        );
        let found = workers::list_workers(
            &w.db,
            &only_new,
            &office,
            &WorkerFilter {
                q: id_for(21),
                ..Default::default()
            },
            5,
            0,
            workers::COUNT_CAP,
        )
        .await
        .unwrap();
        assert_eq!(found.1, 1);
        let (child_row, sealed): (i64, Option<Vec<u8>>) =
            w.db.read()
                .await
                .unwrap()
                .one(Sql::new("SELECT id, birth_sealed FROM dependants WHERE worker_id = $1").bind(id))
                .await
                .unwrap();
        assert_eq!(
            workers::open_birth(&only_new, DependantId(child_row), sealed.as_deref()).unwrap(),
            Some(IdNumber::parse(&id_for(22)).unwrap().birth_date())
        );
        users::verify_totp(
            &w.db,
            &only_new,
            office.user_id,
            &origin(),
            t0() + Duration::seconds(30),
            &Default::default(),
            &secret.code_at(t0().timestamp() + 30),
        )
        .await
        .unwrap();
        // The old key alone no longer opens anything.
        let old_call = Call {
            db: &w.db,
            cipher: &Cipher::from_ring(&ring),
            actor: &office,
            origin: &w.origin,
            now: t0(),
        };
        assert!(
            workers::reveal(&old_call, WorkerId(id), RevealField::Phone, "轮换后核对")
                .await
                .is_err()
        );
        // A second rotation works the same way; nothing is sealed twice needlessly.
        let again = rekey::rotate(&w.db, &path, t0()).await.unwrap();
        assert_eq!(again.total(), report.total());
        assert_eq!(KeyRing::read(&path).unwrap().unwrap().keys().len(), 3);
    }

    both!(every_sealed_value_moves_to_the_new_key);
}

/// Merging two registrations of one person (合并重复登记).
mod merging {
    use super::*;
    use shiminhua_app::registry::merge::{self, MergeSummary};
    use shiminhua_app::registry::records;
    use std::collections::HashMap;

    both!(
        merge_moves_records_family_and_history,
        merge_refusals_change_nothing,
        merge_preview_finds_the_duplicate_in_scope,
    );

    fn credit(n: u32) -> String {
        shiminhua_core::credit_code::CreditCode::from_parts("91", "341021", &format!("MA{n:06}"))
            .unwrap()
            .as_str()
            .to_string()
    }

    fn job(n: u32, employer: &str) -> HashMap<String, String> {
        [
            ("credit_code", credit(n)),
            ("employer", employer.to_string()),
            ("industry", "C".into()),
            ("form", "就近就业".into()),
            ("start", "2024-03-05".into()),
            ("wage", "4200".into()),
            ("contract", "是".into()),
            ("public_service", "否".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn school(child: &str, year: &str, school: &str) -> HashMap<String, String> {
        [
            ("child", child),
            ("school", school),
            ("school_type", "公办"),
            ("stage", "小学"),
            ("grade", "2"),
            ("school_year", year),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn settlement(date: &str) -> HashMap<String, String> {
        [("intention", "有"), ("intention_date", date)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn housing() -> HashMap<String, String> {
        [
            ("housing_type", "公租房"),
            ("project", "徽城镇公租房小区"),
            ("units", "1"),
            ("date", "2024-03-01"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    async fn add(
        w: &World,
        actor: &shiminhua_core::auth::Actor,
        worker: i64,
        kind: RecordKind,
        f: &HashMap<String, String>,
    ) -> i64 {
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        records::create_record(&w.call(actor), WorkerId(worker), kind, &get)
            .await
            .unwrap()
    }

    fn child(name: &str, id_number: &str, birth: &str) -> DependantInput {
        DependantInput {
            relation: "子女".into(),
            name: name.into(),
            id_number: id_number.into(),
            birth_date: birth.into(),
        }
    }

    fn child_id(n: u16, birth: &str) -> String {
        let b = NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap();
        IdNumber::from_parts("341021", b, n).unwrap().as_str().to_string()
    }

    /// Everything a merge may change, as text.
    async fn state(db: &Db) -> Vec<String> {
        let mut tx = db.read().await.unwrap();
        let mut out = Vec::new();
        let workers: Vec<(i64, i64, i64)> = tx
            .all(Sql::new("SELECT id, version, region_code FROM workers ORDER BY id"))
            .await
            .unwrap();
        out.extend(workers.iter().map(|w| format!("worker {w:?}")));
        let records: Vec<(i64, i64, Option<i64>, String, i64)> = tx
            .all(Sql::new(
                "SELECT id, worker_id, dependant_id, natural_key, version FROM records ORDER BY id",
            ))
            .await
            .unwrap();
        out.extend(records.iter().map(|r| format!("record {r:?}")));
        let deps: Vec<(i64, i64, String, Vec<u8>)> = tx
            .all(Sql::new(
                "SELECT id, worker_id, id_masked, name_sealed FROM dependants ORDER BY id",
            ))
            .await
            .unwrap();
        out.extend(deps.iter().map(|d| format!("dependant {d:?}")));
        let history: Vec<(i64, i64, String)> = tx
            .all(Sql::new("SELECT id, worker_id, action FROM history ORDER BY id"))
            .await
            .unwrap();
        out.extend(history.iter().map(|h| format!("history {h:?}")));
        out.push(format!(
            "audit {}",
            tx.int(Sql::new("SELECT COUNT(*) FROM audit_log")).await.unwrap()
        ));
        out
    }

    async fn merge_moves_records_family_and_history(db: Db) {
        let w = World::new(db).await;
        let office = w.scoped("office1", Role::Office, "341000").await;
        // The right registration, and the same person again under a mistyped number.
        let target = workers::create_worker(&w.call(&office), &input("郑一", &id_for(31), "341021100"))
            .await
            .unwrap();
        let source = workers::create_worker(&w.call(&office), &input("郑一", &id_for(32), "341021101"))
            .await
            .unwrap();
        // Family: the child registered on both (with its ID number on the
        // target, by name on the source), a second child on both (the other
        // way round), a third child and the spouse on the source only.
        let t_child = workers::add_dependant(
            &w.call(&office),
            WorkerId(target),
            &child("郑小一", &child_id(501, "2016-03-01"), ""),
        )
        .await
        .unwrap();
        let t_child2 = workers::add_dependant(&w.call(&office), WorkerId(target), &child("郑小二", "", "2017-05-01"))
            .await
            .unwrap();
        workers::add_dependant(&w.call(&office), WorkerId(source), &child("郑小一", "", "2016-03-01"))
            .await
            .unwrap();
        workers::add_dependant(
            &w.call(&office),
            WorkerId(source),
            &child("郑小二", &child_id(502, "2017-05-01"), ""),
        )
        .await
        .unwrap();
        workers::add_dependant(&w.call(&office), WorkerId(source), &child("郑小三", "", "2018-07-01"))
            .await
            .unwrap();
        let spouse = DependantInput {
            relation: "配偶".into(),
            name: "钱二".into(),
            birth_date: "1991-05-06".into(),
            ..Default::default()
        };
        workers::add_dependant(&w.call(&office), WorkerId(source), &spouse)
            .await
            .unwrap();
        // Records of the target.
        let t_job = add(&w, &office, target, RecordKind::Employment, &job(1, "本人登记的单位")).await;
        let t_settle = add(&w, &office, target, RecordKind::Settlement, &settlement("2024-01-02")).await;
        let t_school = add(
            &w,
            &office,
            target,
            RecordKind::Schooling,
            &school("郑小一", "2023-2024", "歙县实验小学"),
        )
        .await;
        // Records of the source: a copy of the target's job (same employer
        // and start), a job of its own, a settlement record (one per worker),
        // a housing record, and schooling of the shared child in a year the
        // target has and in one it has not.
        let s_job_dup = add(&w, &office, source, RecordKind::Employment, &job(1, "重复登记的单位")).await;
        let s_job = add(&w, &office, source, RecordKind::Employment, &job(2, "另一家单位")).await;
        let s_settle = add(&w, &office, source, RecordKind::Settlement, &settlement("2024-02-03")).await;
        let s_home = add(&w, &office, source, RecordKind::Housing, &housing()).await;
        let s_school_dup = add(
            &w,
            &office,
            source,
            RecordKind::Schooling,
            &school("郑小一", "2023-2024", "重复登记的学校"),
        )
        .await;
        let s_school = add(
            &w,
            &office,
            source,
            RecordKind::Schooling,
            &school("郑小一", "2024-2025", "歙县实验小学"),
        )
        .await;
        // An earlier change of a source record is in the source's history.
        let get = |k: &str| job(2, "另一家单位（更名）").get(k).cloned().unwrap_or_default();
        records::update_record(&w.call(&office), RecordId(s_job), 1, &get)
            .await
            .unwrap();
        let (t_row, _) = workers::get_worker(&w.db, &office, WorkerId(target)).await.unwrap();
        let history_before = records::history(&w.db, &office, WorkerId(target)).await.unwrap().len();
        assert_eq!(history_before, 0);

        let reason = format!("乡镇录入身份证号错误导致重复登记，正确号码为{}", id_for(31));
        let summary = merge::merge_workers(
            &w.call(&office),
            WorkerId(target),
            t_row.version,
            WorkerId(source),
            &reason,
        )
        .await
        .unwrap();
        assert_eq!(
            summary,
            MergeSummary {
                records_moved: 3,
                records_dropped: 3,
                dependants_moved: 2,
                dependants_dropped: 2,
            }
        );

        // The source is gone, and its number finds nobody.
        assert!(matches!(
            workers::get_worker(&w.db, &office, WorkerId(source)).await,
            Err(AppError::NotFound)
        ));
        let found = workers::list_workers(
            &w.db,
            &w.cipher,
            &office,
            &WorkerFilter {
                q: id_for(32),
                ..Default::default()
            },
            10,
            0,
            workers::COUNT_CAP,
        )
        .await
        .unwrap();
        assert_eq!(found.1, 0, "the source's blind index finds no one");
        let mut tx = w.db.read().await.unwrap();
        assert_eq!(
            tx.int(Sql::new("SELECT COUNT(*) FROM workers WHERE id = $1").bind(source))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            tx.int(Sql::new("SELECT COUNT(*) FROM records WHERE worker_id = $1").bind(source))
                .await
                .unwrap()
                + tx.int(Sql::new("SELECT COUNT(*) FROM dependants WHERE worker_id = $1").bind(source))
                    .await
                    .unwrap()
                + tx.int(Sql::new("SELECT COUNT(*) FROM history WHERE worker_id = $1").bind(source))
                    .await
                    .unwrap(),
            0,
            "nothing hangs off the source any more"
        );
        drop(tx);

        // Records: the target's win the clashes; the others moved.
        let rows = records::worker_records(&w.db, &office, WorkerId(target)).await.unwrap();
        let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        ids.sort();
        let mut want = vec![t_job, t_settle, t_school, s_job, s_home, s_school];
        want.sort();
        assert_eq!(ids, want);
        for gone in [s_job_dup, s_settle, s_school_dup] {
            assert!(matches!(
                records::get_record(&w.db, &office, RecordId(gone)).await,
                Err(AppError::NotFound)
            ));
        }
        let kept_job = records::get_record(&w.db, &office, RecordId(t_job)).await.unwrap();
        assert!(kept_job.data.contains("本人登记的单位") && kept_job.version == 1);
        let moved_job = records::get_record(&w.db, &office, RecordId(s_job)).await.unwrap();
        assert_eq!((moved_job.worker_id, moved_job.version), (target, 3));
        assert!(moved_job.data.contains("另一家单位（更名）"));
        // The shared child's schooling now names the target's child.
        let moved_school = records::get_record(&w.db, &office, RecordId(s_school)).await.unwrap();
        assert_eq!(moved_school.dependant_id, Some(t_child));
        let mut tx = w.db.read().await.unwrap();
        let (key,): (String,) = tx
            .one(Sql::new("SELECT natural_key FROM records WHERE id = $1").bind(s_school))
            .await
            .unwrap();
        drop(tx);
        assert_eq!(key, format!("{t_child}|2024-2025"));

        // Family: two moved, two merged into the target's; the target's
        // second child took the ID number the source had for it.
        let (after, deps) = workers::get_worker(&w.db, &office, WorkerId(target)).await.unwrap();
        assert_eq!(after.version, t_row.version + 1);
        assert_eq!(deps.len(), 4, "{deps:?}");
        let second = deps.iter().find(|d| d.id == t_child2).unwrap();
        assert_eq!(
            second.id_masked,
            IdNumber::parse(&child_id(502, "2017-05-01")).unwrap().masked()
        );
        assert!(
            workers::add_dependant(
                &w.call(&office),
                WorkerId(target),
                &child("郑小二", &child_id(502, "2017-05-01"), "")
            )
            .await
            .is_err(),
            "the child's ID number is still registered once"
        );
        // A moved child's name was sealed again for the target: a schooling
        // record can name it.
        add(
            &w,
            &office,
            target,
            RecordKind::Schooling,
            &school("郑小三", "2024-2025", "歙县实验小学"),
        )
        .await;

        // History: every change kept, all under the target.
        let history = records::history(&w.db, &office, WorkerId(target)).await.unwrap();
        let has = |kind: &str, id: i64, action: &str| {
            history
                .iter()
                .any(|h| h.object_kind == kind && h.object_id == id && h.action == action)
        };
        assert!(
            has("record", s_job, "update"),
            "the source's earlier history followed it"
        );
        for moved in [s_job, s_home, s_school] {
            assert!(has("record", moved, "merge"), "moved record {moved}");
        }
        for dropped in [s_job_dup, s_settle, s_school_dup] {
            assert!(has("record", dropped, "delete"), "dropped record {dropped}");
        }
        let dropped_job = history
            .iter()
            .find(|h| h.object_id == s_job_dup && h.action == "delete")
            .unwrap();
        assert!(dropped_job.data.contains("重复登记的单位") && dropped_job.data.contains("_merge"));
        assert!(has("worker", source, "merge") && has("worker", target, "merge"));
        let snapshot = history
            .iter()
            .find(|h| h.object_kind == "worker" && h.object_id == source)
            .unwrap();
        assert!(snapshot.data.contains(&IdNumber::parse(&id_for(32)).unwrap().masked()));
        assert!(snapshot.data.contains(&format!("\"into_worker\":{target}")));
        let family: Vec<i64> = history
            .iter()
            .filter(|h| h.object_kind == "dependant")
            .map(|h| h.object_id)
            .collect();
        assert_eq!(
            family.len(),
            5,
            "each family member of the source, and the one given an ID number"
        );
        assert!(has("dependant", t_child2, "merge"));
        assert!(
            !family.contains(&t_child),
            "the target's child with its own number is unchanged"
        );
        for h in &history {
            assert!(
                !h.data.contains(&id_for(31)) && !h.data.contains(&id_for(32)),
                "no full ID number in history: {}",
                h.data
            );
        }

        // Audited, with both ids and the reason, never the number.
        let auditor = w.user("auditor1", Role::Auditor, vec![]).await;
        let f = Filter {
            action: Some("worker.merge".into()),
            ..Filter::default()
        };
        let (rows, total) = audit::list(&w.db, &auditor, &f, 10, 0).await.unwrap();
        assert_eq!(total, 1);
        let d = &rows[0].detail;
        assert_eq!(rows[0].object_id, target.to_string());
        assert!(
            d.contains(&format!("target={target}")) && d.contains(&format!("source={source}")),
            "{d}"
        );
        assert!(d.contains("乡镇录入身份证号错误导致重复登记"), "{d}");
        assert!(!d.contains(&id_for(31)), "no full ID number in the audit trail: {d}");
        assert_eq!(audit::action_label("worker.merge"), "合并重复登记");
    }

    async fn merge_refusals_change_nothing(db: Db) {
        let w = World::new(db).await;
        let office = w.scoped("office1", Role::Office, "341000").await;
        let shexian = w.scoped("shexian1", Role::Local, "341021").await;
        let lead = w.scoped("lead1", Role::Lead, "341000").await;
        let target = workers::create_worker(&w.call(&office), &input("王五", &id_for(41), "341021100"))
            .await
            .unwrap();
        let source = workers::create_worker(&w.call(&office), &input("王五", &id_for(42), "341021101"))
            .await
            .unwrap();
        let elsewhere = workers::create_worker(&w.call(&office), &input("王五", &id_for(43), "341022100"))
            .await
            .unwrap();
        add(&w, &office, target, RecordKind::Employment, &job(1, "本人登记的单位")).await;
        add(&w, &office, source, RecordKind::Employment, &job(1, "重复登记的单位")).await;
        add(&w, &office, source, RecordKind::Housing, &housing()).await;
        workers::add_dependant(&w.call(&office), WorkerId(source), &child("王小五", "", "2016-03-01"))
            .await
            .unwrap();
        let (t, _) = workers::get_worker(&w.db, &office, WorkerId(target)).await.unwrap();
        let reason = "乡镇录入身份证号错误";
        let before = state(&w.db).await;

        match merge::merge_workers(&w.call(&office), WorkerId(target), t.version, WorkerId(target), reason).await {
            Err(AppError::Validation(e)) => assert!(e.get("id_number").unwrap().contains("自身"), "{e:?}"),
            other => panic!("same worker: {other:?}"),
        }
        for empty in ["", "   ", "错"] {
            match merge::merge_workers(&w.call(&office), WorkerId(target), t.version, WorkerId(source), empty).await {
                Err(AppError::Validation(e)) => assert!(e.get("reason").unwrap().contains("合并事由"), "{e:?}"),
                other => panic!("reason {empty:?}: {other:?}"),
            }
        }
        match merge::merge_workers(
            &w.call(&office),
            WorkerId(target),
            t.version - 1,
            WorkerId(source),
            reason,
        )
        .await
        {
            Err(AppError::Conflict(m)) => assert!(m.contains("已被他人修改"), "{m}"),
            other => panic!("stale version: {other:?}"),
        }
        match merge::merge_workers(
            &w.call(&office),
            WorkerId(target),
            t.version + 1,
            WorkerId(source),
            reason,
        )
        .await
        {
            Err(AppError::Conflict(_)) => {}
            other => panic!("future version: {other:?}"),
        }
        // Outside the scope, either way round: not found, as everywhere.
        assert!(matches!(
            merge::merge_workers(
                &w.call(&shexian),
                WorkerId(target),
                t.version,
                WorkerId(elsewhere),
                reason
            )
            .await,
            Err(AppError::NotFound)
        ));
        let (e, _) = workers::get_worker(&w.db, &office, WorkerId(elsewhere)).await.unwrap();
        assert!(matches!(
            merge::merge_workers(
                &w.call(&shexian),
                WorkerId(elsewhere),
                e.version,
                WorkerId(target),
                reason
            )
            .await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            merge::merge_workers(&w.call(&office), WorkerId(target), t.version, WorkerId(999_999), reason).await,
            Err(AppError::NotFound)
        ));
        // Without the permission to write: forbidden.
        assert!(matches!(
            merge::merge_workers(&w.call(&lead), WorkerId(target), t.version, WorkerId(source), reason).await,
            Err(AppError::Forbidden)
        ));
        assert_eq!(state(&w.db).await, before, "a refused merge changes nothing");

        // The same merge, done right, changes things (the check above can fail).
        merge::merge_workers(&w.call(&shexian), WorkerId(target), t.version, WorkerId(source), reason)
            .await
            .unwrap();
        assert_ne!(state(&w.db).await, before);
        // Done once; the second attempt finds no source.
        assert!(matches!(
            merge::merge_workers(
                &w.call(&shexian),
                WorkerId(target),
                t.version + 1,
                WorkerId(source),
                reason
            )
            .await,
            Err(AppError::NotFound)
        ));
    }

    async fn merge_preview_finds_the_duplicate_in_scope(db: Db) {
        let w = World::new(db).await;
        let office = w.scoped("office1", Role::Office, "341000").await;
        let shexian = w.scoped("shexian1", Role::Local, "341021").await;
        let target = workers::create_worker(&w.call(&office), &input("李四", &id_for(51), "341021100"))
            .await
            .unwrap();
        let source = workers::create_worker(&w.call(&office), &input("李肆", &id_for(52), "341021101"))
            .await
            .unwrap();
        workers::create_worker(&w.call(&office), &input("李四", &id_for(53), "341022100"))
            .await
            .unwrap();
        add(&w, &office, target, RecordKind::Settlement, &settlement("2024-01-02")).await;
        add(&w, &office, source, RecordKind::Settlement, &settlement("2024-02-03")).await;
        add(&w, &office, source, RecordKind::Housing, &housing()).await;
        workers::add_dependant(&w.call(&office), WorkerId(source), &child("李小四", "", "2016-03-01"))
            .await
            .unwrap();
        let before = state(&w.db).await;
        // The number as people type it.
        let typed = format!("{} {} {}", &id_for(52)[..6], &id_for(52)[6..14], &id_for(52)[14..]);
        let p = merge::preview_merge(&w.call(&shexian), WorkerId(target), &typed, " 录入错误导致重复 ")
            .await
            .unwrap();
        assert_eq!((p.target.id, p.source.id), (target, source));
        assert_eq!(p.source.name, "李肆");
        assert_eq!(p.reason, "录入错误导致重复");
        assert_eq!(
            p.summary,
            MergeSummary {
                records_moved: 1,
                records_dropped: 1,
                dependants_moved: 1,
                dependants_dropped: 0,
            }
        );
        assert_eq!(p.kinds, vec![("住房保障", 1, 0), ("落户", 0, 1)]);
        assert_eq!(p.source_dependants.len(), 1);
        // Refusals name the field; a number outside the scope reads like an
        // unknown one.
        let refused = |r: Result<merge::MergePreview, AppError>, field: &str, text: &str| match r {
            Err(AppError::Validation(e)) => assert!(e.get(field).unwrap().contains(text), "{e:?}"),
            other => panic!("{field}: {other:?}"),
        };
        refused(
            merge::preview_merge(&w.call(&shexian), WorkerId(target), &id_for(53), "录入错误导致重复").await,
            "id_number",
            "没有找到",
        );
        refused(
            merge::preview_merge(&w.call(&shexian), WorkerId(target), &id_for(54), "录入错误导致重复").await,
            "id_number",
            "没有找到",
        );
        refused(
            merge::preview_merge(&w.call(&shexian), WorkerId(target), &id_for(51), "录入错误导致重复").await,
            "id_number",
            "就是本条登记",
        );
        refused(
            merge::preview_merge(&w.call(&shexian), WorkerId(target), "341021", "录入错误导致重复").await,
            "id_number",
            "",
        );
        refused(
            merge::preview_merge(&w.call(&shexian), WorkerId(target), &id_for(52), "").await,
            "reason",
            "合并事由",
        );
        assert!(matches!(
            merge::preview_merge(&w.call(&shexian), WorkerId(999_999), &id_for(52), "录入错误导致重复").await,
            Err(AppError::NotFound)
        ));
        assert_eq!(state(&w.db).await, before, "a preview writes nothing");
    }
}

/// A department's reach ("workers with a record of my kinds in my places")
/// is counted by walking it: past the cap the answer "more than the cap" is
/// remembered for a minute, per database and query; under the cap the count
/// is taken afresh and exact.
async fn a_reach_past_its_cap_is_remembered_and_under_it_exact(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    shiminhua_app::ops::demo::generate(&w.db, &w.cipher, t0(), 80, 5)
        .await
        .unwrap();
    let grant = || {
        vec![Grant {
            region: code("341000"),
            kinds: [RecordKind::Schooling].into_iter().collect(),
        }]
    };
    let school = w.user("school1", Role::Department, grant()).await;
    let reached = |db: Db| async move {
        db.read()
            .await
            .unwrap()
            .int(Sql::new(
                "SELECT COUNT(DISTINCT worker_id) FROM records WHERE kind = 'schooling'",
            ))
            .await
            .unwrap()
    };
    let total = |db: Db, actor: shiminhua_core::auth::Actor, cap: i64| {
        let cipher = w.cipher.clone();
        async move {
            workers::list_workers(&db, &cipher, &actor, &WorkerFilter::default(), 10, 0, cap)
                .await
                .unwrap()
                .1
        }
    };
    let n = reached(w.db.clone()).await;
    assert!(n > 3, "the demo has children at school ({n})");
    assert_eq!(total(w.db.clone(), school.clone(), n + 5).await, n);
    assert_eq!(total(w.db.clone(), school.clone(), 2).await, 3, "past the cap: cap + 1");

    // Another database with the same account and no schooling records: the
    // remembered answer is the first database's alone.
    let other_db = match w.db.backend() {
        Backend::Sqlite => shiminhua_app::testing::TestDb::sqlite().await,
        Backend::Postgres => shiminhua_app::testing::TestDb::postgres().await.unwrap(),
    };
    let other = World::new(other_db.db.clone()).await;
    let school2 = other.user("school1", Role::Department, grant()).await;
    assert_eq!(reached(other.db.clone()).await, 0);
    assert_eq!(total(other.db.clone(), school2.clone(), 2).await, 0);
    other_db.finish().await;

    // Every schooling record removed: under the cap the count follows at
    // once; past it the remembered "more than 2" stands for its minute.
    let ids: Vec<(i64, i64)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new("SELECT id, version FROM records WHERE kind = 'schooling'"))
            .await
            .unwrap();
    for (id, version) in ids {
        shiminhua_app::registry::records::delete_record(&w.call(&office), RecordId(id), version)
            .await
            .unwrap();
    }
    assert_eq!(reached(w.db.clone()).await, 0);
    assert_eq!(total(w.db.clone(), school.clone(), n + 5).await, 0);
    assert_eq!(total(w.db.clone(), school.clone(), 2).await, 3);
    let c = workers::counts(&w.db, &school).await.unwrap();
    assert_eq!((c.workers, c.dependants), (0, 0));
}
