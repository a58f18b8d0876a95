//! Name search by any part of a name, and the 工作台's counts kept by the
//! database as workers and families change, on SQLite and PostgreSQL.

use chrono::Datelike;
use shiminhua_app::ops::demo;
use shiminhua_app::registry::import::{self, ImportKind, Options};
use shiminhua_app::registry::merge;
use shiminhua_app::registry::workers::{self, DependantInput, WorkerFilter};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{both, ops::stats};
use shiminhua_core::auth::{Actor, Role};
use shiminhua_core::ids::WorkerId;

use crate::common::*;

both!(
    any_part_of_a_name_is_found_in_scope,
    search_follows_renames_and_moves,
    tallies_equal_the_counts_after_every_kind_of_write,
);

/// Names found for `q` (in list order) and the total, for `actor`.
async fn search(w: &World, actor: &Actor, f: WorkerFilter, limit: i64, offset: i64) -> (Vec<String>, i64) {
    let (rows, total) = workers::list_workers(&w.db, &w.cipher, actor, &f, limit, offset, workers::COUNT_CAP)
        .await
        .unwrap();
    (rows.into_iter().map(|r| r.name).collect(), total)
}

fn q(text: &str) -> WorkerFilter {
    WorkerFilter {
        q: text.into(),
        ..WorkerFilter::default()
    }
}

async fn names(w: &World, actor: &Actor, text: &str) -> Vec<String> {
    let (names, total) = search(w, actor, q(text), 100, 0).await;
    assert_eq!(total, names.len() as i64, "total of {text}");
    names
}

async fn any_part_of_a_name_is_found_in_scope(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let shexian = w.scoped("shexian1", Role::Local, "341021").await;
    // 歙县 (341021…) and 徽州区 (341004…).
    let people = [
        ("王小红", "341021100"),
        ("李红梅", "341021100"),
        ("张红", "341004100"),
        ("欧阳红星", "341004101"),
        ("赵梅", "341021101"),
        ("阿依古丽·买买提", "341021100"),
    ];
    for (n, (name, region)) in people.iter().enumerate() {
        let n = u16::try_from(n).unwrap() + 1;
        workers::create_worker(&w.call(&office), &input(name, &id_for(n), region))
            .await
            .unwrap();
    }
    // One character anywhere in the name, in name order (code points).
    assert_eq!(names(&w, &office, "红").await, ["张红", "李红梅", "欧阳红星", "王小红"]);
    assert_eq!(names(&w, &office, "梅").await, ["李红梅", "赵梅"]);
    // Two characters: at the end, in the middle, at the start.
    assert_eq!(names(&w, &office, "小红").await, ["王小红"]);
    assert_eq!(names(&w, &office, "阳红").await, ["欧阳红星"]);
    assert_eq!(names(&w, &office, "李红").await, ["李红梅"]);
    // Longer texts: the whole name, its middle, and a text whose first two
    // characters are in a name that does not hold the rest.
    assert_eq!(names(&w, &office, "王小红").await, ["王小红"]);
    assert_eq!(names(&w, &office, "阳红星").await, ["欧阳红星"]);
    assert_eq!(names(&w, &office, "古丽·买").await, ["阿依古丽·买买提"]);
    assert!(names(&w, &office, "小红梅").await.is_empty());
    assert!(names(&w, &office, "红红").await.is_empty());
    // Spaces around the text are not part of it.
    assert_eq!(names(&w, &office, " 红梅 ").await, ["李红梅"]);
    // LIKE's wildcards and escape are characters like any other.
    for text in [
        "%", "_", "\\", "红%", "_红", "小%红", "王_红", "欧阳%", "%红%", "王小\\",
    ] {
        assert!(names(&w, &office, text).await.is_empty(), "{text} is no wildcard");
    }
    // The scope: the county's user finds its own people only.
    assert_eq!(names(&w, &shexian, "红").await, ["李红梅", "王小红"]);
    assert!(names(&w, &shexian, "阳红").await.is_empty());
    assert!(names(&w, &shexian, "张红").await.is_empty());
    // The region filter narrows the scope further; a filter outside the
    // scope finds nothing.
    let mut f = q("红");
    f.region = Some(code("341004101"));
    assert_eq!(
        search(&w, &office, f.clone(), 100, 0).await,
        (vec!["欧阳红星".to_string()], 1)
    );
    assert_eq!(search(&w, &shexian, f, 100, 0).await, (vec![], 0));
    // With a condition on the worker row too (the tag).
    let mut f = q("梅");
    f.tag = "返乡".into();
    assert_eq!(search(&w, &office, f.clone(), 100, 0).await.1, 2);
    f.tag = "困难".into();
    assert_eq!(search(&w, &office, f, 100, 0).await, (vec![], 0));
    // Pages of the name order, and the other orders.
    assert_eq!(
        search(&w, &office, q("红"), 2, 0).await,
        (vec!["张红".into(), "李红梅".into()], 4)
    );
    assert_eq!(
        search(&w, &office, q("红"), 2, 2).await,
        (vec!["欧阳红星".into(), "王小红".into()], 4)
    );
    let mut f = q("红");
    f.sort = "recent".into();
    assert_eq!(
        search(&w, &office, f.clone(), 100, 0).await.0,
        ["欧阳红星", "张红", "李红梅", "王小红"]
    );
    f.sort = "region".into();
    assert_eq!(
        search(&w, &office, f, 100, 0).await.0,
        ["张红", "欧阳红星", "王小红", "李红梅"]
    );
    // The count stops at the cap: over it, the total says "more".
    let (rows, total) = workers::list_workers(&w.db, &w.cipher, &office, &q("红"), 1, 0, 2)
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (1, 3));
    // An ID number still finds its person exactly.
    assert_eq!(names(&w, &office, &id_for(2)).await, ["李红梅"]);
}

async fn search_follows_renames_and_moves(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let shexian = w.scoped("shexian1", Role::Local, "341021").await;
    let id = workers::create_worker(&w.call(&office), &input("王小红", &id_for(1), "341021100"))
        .await
        .unwrap();
    workers::create_worker(&w.call(&office), &input("李小红", &id_for(2), "341021100"))
        .await
        .unwrap();
    assert_eq!(names(&w, &shexian, "小红").await, ["李小红", "王小红"]);
    // Renamed: found by the new name only.
    let (row, _) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    workers::update_worker(
        &w.call(&office),
        WorkerId(id),
        row.version,
        &input("王晓虹", "", "341021100"),
    )
    .await
    .unwrap();
    assert_eq!(names(&w, &shexian, "小红").await, ["李小红"]);
    assert_eq!(names(&w, &shexian, "晓").await, ["王晓虹"]);
    // Moved to 徽州区: out of the county's sight, still in the city's.
    let (row, _) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    workers::update_worker(
        &w.call(&office),
        WorkerId(id),
        row.version,
        &input("王晓虹", "", "341004100"),
    )
    .await
    .unwrap();
    assert!(names(&w, &shexian, "晓").await.is_empty());
    assert_eq!(names(&w, &office, "晓").await, ["王晓虹"]);
    // Merged away: the duplicate is gone from the search.
    let other = workers::create_worker(&w.call(&office), &input("王晓虹", &id_for(3), "341004100"))
        .await
        .unwrap();
    assert_eq!(names(&w, &office, "晓虹").await, ["王晓虹", "王晓虹"]);
    let (row, _) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    merge::merge_workers(
        &w.call(&office),
        WorkerId(id),
        row.version,
        WorkerId(other),
        "乡镇录入身份证号错误导致重复登记",
    )
    .await
    .unwrap();
    assert_eq!(names(&w, &office, "晓虹").await, ["王晓虹"]);
    // The side table holds exactly the entries of the names on file.
    let entries = scalar(&w.db, "SELECT COUNT(*) FROM worker_name_grams").await;
    // 李小红: 李 小 红 李小 小红; 王晓虹: 王 晓 虹 王晓 晓虹.
    assert_eq!(entries, 10);
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    db.read().await.unwrap().int(Sql::new(sql)).await.unwrap()
}

/// The counts as the 工作台 counted them before the tallies: whole tables
/// in the scope's regions.
async fn counted(db: &Db, region_prefix: &str) -> (i64, i64) {
    let code = code(region_prefix);
    let (lo, hi) = code.subtree_range();
    let mut tx = db.read().await.unwrap();
    let workers = tx
        .int(
            Sql::new("SELECT COUNT(*) FROM workers WHERE region_code BETWEEN $1 AND $2")
                .bind(lo)
                .bind(hi),
        )
        .await
        .unwrap();
    let dependants = tx
        .int(
            Sql::new(
                "SELECT COUNT(*) FROM dependants d JOIN workers w ON w.id = d.worker_id \
                 WHERE w.region_code BETWEEN $1 AND $2",
            )
            .bind(lo)
            .bind(hi),
        )
        .await
        .unwrap();
    (workers, dependants)
}

/// The 工作台's figures equal a count of the tables, for the city, a county
/// and a township, and the audit trail's figures of the day equal a count of
/// its entries.
async fn assert_tallies(w: &World, auditor: &Actor, actors: &[(&Actor, &str)], step: &str) {
    for (actor, region) in actors {
        let c = workers::counts(&w.db, actor).await.unwrap();
        assert!(!c.capped, "{step}");
        assert_eq!(
            (c.workers, c.dependants),
            counted(&w.db, region).await,
            "{step}, {region}"
        );
    }
    let bench = stats::workbench(&w.db, auditor, t0()).await.unwrap();
    let day = t0() + chrono::Duration::hours(8);
    let midnight = day.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc() - chrono::Duration::hours(8);
    let from = midnight.timestamp_micros();
    let to = from + 86_400_000_000;
    let mut tx = w.db.read().await.unwrap();
    let entries = tx
        .int(
            Sql::new("SELECT COUNT(*) FROM audit_log WHERE at_micros >= $1 AND at_micros < $2")
                .bind(from)
                .bind(to),
        )
        .await
        .unwrap();
    let failures = tx
        .int(
            Sql::new("SELECT COUNT(*) FROM audit_log WHERE at_micros >= $1 AND at_micros < $2 AND success = $3")
                .bind(from)
                .bind(to)
                .bind(false),
        )
        .await
        .unwrap();
    assert!(entries > 0, "{step}");
    assert_eq!(bench.audit_today, Some(entries), "{step}");
    assert_eq!(bench.audit_failures_today, Some(failures), "{step}");
}

async fn tallies_equal_the_counts_after_every_kind_of_write(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let shexian = w.scoped("shexian1", Role::Local, "341021").await;
    let town = w.scoped("town1", Role::Local, "341021100").await;
    let auditor = w.user("auditor1", Role::Auditor, vec![]).await;
    let actors = [(&office, "341000"), (&shexian, "341021"), (&town, "341021100")];
    assert_tallies(&w, &auditor, &actors, "empty").await;
    // Generated population with families.
    demo::generate(&w.db, &w.cipher, t0(), 60, 11).await.unwrap();
    assert_tallies(&w, &auditor, &actors, "generated").await;
    // An import of 300 workers (bulk statements).
    let dir = shiminhua_app::testing::TempDir::new("tally-import");
    let path = dir.0.join("workers.csv");
    demo::write_import_file(&path, 300, 5, demo::FileKind::Workers, 0).unwrap();
    let s = import::run(
        &w.call(&office),
        ImportKind::Workers,
        &path,
        "workers.csv",
        &Options::default(),
    )
    .await
    .unwrap();
    assert_eq!(s.inserted, 300);
    assert_tallies(&w, &auditor, &actors, "imported").await;
    // A worker by form, a family member, a move to another county.
    let id = workers::create_worker(&w.call(&office), &input("郑一", &id_for(7), "341021100"))
        .await
        .unwrap();
    let child = DependantInput {
        relation: "子女".into(),
        name: "郑小一".into(),
        birth_date: format!("{}-03-01", t0().year() - 6),
        ..Default::default()
    };
    workers::add_dependant(&w.call(&office), WorkerId(id), &child)
        .await
        .unwrap();
    assert_tallies(&w, &auditor, &actors, "created").await;
    let (row, _) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    workers::update_worker(
        &w.call(&office),
        WorkerId(id),
        row.version,
        &input("郑一", "", "341004100"),
    )
    .await
    .unwrap();
    assert_tallies(&w, &auditor, &actors, "moved").await;
    // A merge: the duplicate's family moves to the target, the duplicate goes.
    let dup = workers::create_worker(&w.call(&office), &input("郑一", &id_for(8), "341021100"))
        .await
        .unwrap();
    workers::add_dependant(
        &w.call(&office),
        WorkerId(dup),
        &DependantInput {
            relation: "配偶".into(),
            name: "吴二".into(),
            birth_date: "1991-05-05".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (row, _) = workers::get_worker(&w.db, &office, WorkerId(id)).await.unwrap();
    merge::merge_workers(
        &w.call(&office),
        WorkerId(id),
        row.version,
        WorkerId(dup),
        "乡镇录入身份证号错误导致重复登记",
    )
    .await
    .unwrap();
    assert_tallies(&w, &auditor, &actors, "merged").await;
    // A failed sign-in is a failure of the day.
    let security = shiminhua_app::config::Security::default();
    let policy = shiminhua_core::password::PasswordPolicy::default();
    let rules = shiminhua_app::users::SignInRules {
        security: &security,
        policy: &policy,
        demo: false,
    };
    let _ = shiminhua_app::users::authenticate(&w.db, &origin(), t0(), &rules, "office1", "Wrong-pass-1").await;
    assert_tallies(&w, &auditor, &actors, "failed sign-in").await;
    // Folding keeps the figures and leaves one row per place.
    let before = scalar(&w.db, "SELECT COUNT(*) FROM worker_tallies").await;
    let left = workers::fold_tallies(&w.db).await.unwrap();
    let places = scalar(
        &w.db,
        "SELECT COUNT(*) FROM (SELECT DISTINCT region_code FROM workers) AS p",
    )
    .await;
    assert!(before > places, "{before} rows before folding");
    assert_eq!(left as i64, places);
    assert_eq!(scalar(&w.db, "SELECT COUNT(*) FROM worker_tallies").await, places);
    assert_tallies(&w, &auditor, &actors, "folded").await;
    let bench = stats::workbench(&w.db, &auditor, t0()).await.unwrap();
    assert!(bench.audit_failures_today.unwrap() >= 1);
}
