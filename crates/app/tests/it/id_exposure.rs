//! A masked ID number must not be recoverable: from everything a copy of the
//! database holds in clear text, one person's ID number is not narrowed to
//! fewer than 1,000 candidates; migration 0017 takes an existing database
//! there without losing anything.

use chrono::{Datelike, NaiveDate};
use shiminhua_app::exposure::{self, Exposure};
use shiminhua_app::registry::workers::{self, RevealField};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::testing::TestDb;
use shiminhua_app::{both, ops::demo, registry::merge};
use shiminhua_core::auth::Role;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::DependantId;
use shiminhua_core::ids::WorkerId;

use crate::common::*;

const FLOOR: u64 = 1_000;

#[test]
fn the_count_follows_what_is_seen() {
    let p = IdNumber::parse("341002198503120011").unwrap();
    let mut e = Exposure::new(&p);
    e.see("341002************ 男 1985");
    assert_eq!(
        e.candidates(),
        365 * 500,
        "address code, year and sex leave every day and sequence"
    );
    let mut tail = e.clone();
    tail.see("341002********0011");
    let n = tail.candidates();
    assert!(
        (20..=60).contains(&n),
        "the last four beside the year leave a few dozen: {n}"
    );
    tail.see("出生日期 1985-03-12");
    assert_eq!(tail.candidates(), 1, "and beside the birth date, one");
    let mut month = e.clone();
    month.see("1985年3月");
    assert_eq!(month.candidates(), 31 * 500);
    month.see("19850312");
    assert_eq!(month.candidates(), 500);
    e.see("341002198503120011");
    assert_eq!(e.candidates(), 1);
    // Somebody else's mask tells nothing about this person.
    let mut other = Exposure::new(&p);
    other.see("341002********0027 1985");
    assert_eq!(other.candidates(), 365 * 500);
}

/// Every worker and child of the database, with the full ID number (opened
/// with the key, as only the test may).
async fn people(w: &World) -> Vec<(i64, IdNumber, &'static str)> {
    let mut tx = w.db.read().await.unwrap();
    let workers: Vec<(i64, Vec<u8>, Vec<u8>)> = tx
        .all(Sql::new("SELECT id, id_sealed, id_index FROM workers ORDER BY id"))
        .await
        .unwrap();
    let children: Vec<(i64, Vec<u8>, Vec<u8>)> = tx
        .all(Sql::new(
            "SELECT worker_id, id_sealed, id_index FROM dependants WHERE id_sealed IS NOT NULL AND relation = '子女' ORDER BY id",
        ))
        .await
        .unwrap();
    let open = |ctx: String, sealed: &[u8]| {
        IdNumber::parse(&String::from_utf8(w.cipher.open(&ctx, sealed).unwrap()).unwrap()).unwrap()
    };
    let mut out = Vec::new();
    for (id, sealed, index) in workers {
        out.push((id, open(workers::worker_context("id", &index), &sealed), "worker"));
    }
    for (worker, sealed, index) in children {
        out.push((worker, open(workers::dependant_context("id", &index), &sealed), "child"));
    }
    out
}

/// Asserts the floor for every person of the database copy; returns the
/// smallest count.
async fn assert_floor(w: &World, floor: u64) -> u64 {
    let copy = exposure::database_copy(&w.db).await.unwrap();
    let all = people(w).await;
    assert!(all.iter().any(|p| p.2 == "child"), "the sample has children");
    let mut least = u64::MAX;
    for (worker, id, who) in &all {
        let n = exposure::from_copy(&copy, id, *worker).candidates();
        assert!(
            n >= floor,
            "a {who} of worker {worker}: the database copy leaves {n} candidate ID numbers (< {floor})"
        );
        least = least.min(n);
    }
    least
}

/// Generated workers and families, cases, an update and a merge (history):
/// nothing a copy of the database holds in clear narrows anybody's ID
/// number below 1,000 candidates.
async fn database_copy_keeps_the_floor(db: Db) {
    let w = World::new(db).await;
    demo::generate(&w.db, &w.cipher, t0(), 40, 7).await.unwrap();
    demo::cases(&w.db, &w.cipher, t0(), 5, 7).await.unwrap();
    let office = w.scoped("office1", Role::Office, "341000").await;
    let mut tx = w.db.read().await.unwrap();
    let ids: Vec<(i64, i64)> = tx
        .all(Sql::new("SELECT id, version FROM workers ORDER BY id LIMIT 2"))
        .await
        .unwrap();
    drop(tx);
    let (target, version) = ids[0];
    let source = ids[1].0;
    merge::merge_workers(
        &w.call(&office),
        WorkerId(target),
        version,
        WorkerId(source),
        "乡镇录入身份证号错误导致重复登记",
    )
    .await
    .unwrap();
    let least = assert_floor(&w, FLOOR).await;
    assert!(least >= FLOOR, "{least}");
}

both!(database_copy_keeps_the_floor);

/// The old masks: 6 + 8 stars + 4.
fn old_mask(id: &IdNumber) -> String {
    format!("{}********{}", &id.as_str()[..6], &id.as_str()[14..])
}

/// A family member's row after the migration: id, birth_sealed, id_sealed,
/// id_index, birth_year, id_masked.
type DependantColumns = (i64, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>, i32, String);

struct OldPerson {
    worker: i64,
    id: IdNumber,
    spouse_birth: NaiveDate,
    spouse: i64,
    child: IdNumber,
    child_row: i64,
}

/// Writes workers and families the way the code before migration 0017 did
/// (birth dates and 6+4 masks in clear), with a history row of each.
async fn old_population(w: &World, n: u16) -> Vec<OldPerson> {
    let mut out = Vec::new();
    let mut tx = w.db.write().await.unwrap();
    for i in 0..n {
        let birth =
            NaiveDate::from_ymd_opt(1970 + i32::from(i % 30), 1 + u32::from(i % 12), 1 + u32::from(i % 28)).unwrap();
        let id = IdNumber::from_parts("341021", birth, 100 + i).unwrap();
        let index = w.cipher.blind_index("id_number", id.as_str());
        let worker = tx
            .int(
                Sql::new(
                    "INSERT INTO workers (county_code, region_code, name, id_sealed, id_index, id_masked, birth_date, sex, origin_code, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                )
                .bind(341021000000i64)
                .bind(341021100000i64)
                .bind(format!("测试{}", ["甲", "乙", "丙", "丁"][usize::from(i % 4)]))
                .bind(w.cipher.seal(&workers::worker_context("id", &index), id.as_str().as_bytes()).unwrap())
                .bind(index.clone())
                .bind(old_mask(&id))
                .bind(birth)
                .bind(id.sex().label_zh())
                .bind(id.address_code())
                .bind(t0()),
            )
            .await
            .unwrap();
        // A child with an ID number, a spouse without one.
        let child_birth = NaiveDate::from_ymd_opt(
            2012 + i32::from(i % 8),
            1 + u32::from((i + 5) % 12),
            2 + u32::from(i % 26),
        )
        .unwrap();
        let child = IdNumber::from_parts("341022", child_birth, 200 + i).unwrap();
        let child_index = w.cipher.blind_index("id_number", child.as_str());
        let child_row = tx
            .int(
                Sql::new(
                    "INSERT INTO dependants (worker_id, county_code, relation, name_sealed, name_masked, id_sealed, id_index, id_masked, birth_date, created_at) \
                     VALUES ($1, 341021000000, '子女', $2, '测*', $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(worker)
                .bind(w.cipher.seal(&workers::dependant_name_context(&index, "子女"), "测小".as_bytes()).unwrap())
                .bind(w.cipher.seal(&workers::dependant_context("id", &child_index), child.as_str().as_bytes()).unwrap())
                .bind(child_index)
                .bind(old_mask(&child))
                .bind(child_birth)
                .bind(t0()),
            )
            .await
            .unwrap();
        let spouse_birth = birth + chrono::Duration::days(400);
        let spouse = tx
            .int(
                Sql::new(
                    "INSERT INTO dependants (worker_id, county_code, relation, name_sealed, name_masked, birth_date, created_at) \
                     VALUES ($1, 341021000000, '配偶', $2, '测*', $3, $4) RETURNING id",
                )
                .bind(worker)
                .bind(w.cipher.seal(&workers::dependant_name_context(&index, "配偶"), "测大".as_bytes()).unwrap())
                .bind(spouse_birth)
                .bind(t0()),
            )
            .await
            .unwrap();
        let snapshot = serde_json::json!({
            "name": "测试", "id_masked": old_mask(&id), "sex": id.sex().label_zh(),
            "birth_date": birth.format("%Y-%m-%d").to_string(), "origin_code": "341021",
        });
        let family = serde_json::json!({
            "relation": "子女", "name_masked": "测*", "id_masked": old_mask(&child),
            "birth_date": child_birth.format("%Y-%m-%d").to_string(), "worker_id": worker,
        });
        for (kind, object, data) in [("worker", worker, snapshot), ("dependant", child_row, family)] {
            tx.exec(
                Sql::new(
                    "INSERT INTO history (object_kind, object_id, worker_id, version, action, data, changed_at, changed_by) \
                     VALUES ($1, $2, $3, 1, 'merge', $4, $5, 'office1')",
                )
                .bind(kind)
                .bind(object)
                .bind(worker)
                .bind(data.to_string())
                .bind(t0()),
            )
            .await
            .unwrap();
        }
        out.push(OldPerson {
            worker,
            id,
            spouse_birth,
            spouse,
            child,
            child_row,
        });
    }
    tx.commit().await.unwrap();
    out
}

/// A database created with every migration but 0017 (which touches nothing
/// the later ones do), with workers,
/// families, history and cases: before, its clear text gives the full ID
/// numbers away (one candidate); after the migration and the sealing step,
/// every person opens with the same ID number, birth year, sex and family
/// birth dates, and nobody is narrowed below 1,000 candidates.
async fn migration_0017(t: TestDb) {
    let mut w = World::new(t.db.clone()).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    demo::cases(&w.db, &w.cipher, t0(), 3, 11).await.unwrap();
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new(
        "UPDATE cases SET reporter_id_masked = '341021********1234' WHERE id = (SELECT MIN(id) FROM cases)",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let old = old_population(&w, 12).await;

    // Before: the old masks beside the birth dates are the numbers.
    let copy = exposure::database_copy(&w.db).await.unwrap();
    for p in &old {
        assert_eq!(exposure::from_copy(&copy, &p.id, p.worker).candidates(), 1);
        assert_eq!(exposure::from_copy(&copy, &p.child, p.worker).candidates(), 1);
    }

    // Migrate (a new start of the program) and seal with the key.
    let db = Db::connect(&t.url).await.unwrap();
    db.share_audit_key(&w.db);
    w.db = db.clone();
    assert_eq!(
        workers::seal_pending_births(&w.db, &w.cipher).await.unwrap(),
        2 * old.len() as u64
    );
    assert_eq!(workers::seal_pending_births(&w.db, &w.cipher).await.unwrap(), 0, "once");

    for p in &old {
        let (row, deps) = workers::get_worker(&w.db, &office, WorkerId(p.worker)).await.unwrap();
        assert_eq!(row.birth_year, p.id.birth_date().year());
        assert_eq!(row.sex, p.id.sex().label_zh());
        assert_eq!(row.origin_code, "341021");
        assert_eq!(row.id_masked, "341021************");
        let full = workers::reveal(
            &w.call(&office),
            WorkerId(p.worker),
            RevealField::IdNumber,
            "核对迁移结果",
        )
        .await
        .unwrap();
        assert_eq!(full, p.id.as_str());
        assert_eq!(deps.len(), 2);
        let mut tx = w.db.read().await.unwrap();
        let rows: Vec<DependantColumns> = tx
            .all(
                Sql::new(
                    "SELECT id, birth_sealed, id_sealed, id_index, birth_year, id_masked FROM dependants WHERE worker_id = $1 ORDER BY id",
                )
                .bind(p.worker),
            )
            .await
            .unwrap();
        drop(tx);
        for (id, birth, id_sealed, id_index, year, masked) in rows {
            let opened = workers::open_birth(&w.cipher, DependantId(id), birth.as_deref())
                .unwrap()
                .unwrap();
            if id == p.child_row {
                assert_eq!(opened, p.child.birth_date());
                assert_eq!(year, p.child.birth_date().year());
                assert_eq!(masked, "341022************");
                let ctx = workers::dependant_context("id", &id_index.unwrap());
                let plain = w.cipher.open(&ctx, &id_sealed.unwrap()).unwrap();
                assert_eq!(String::from_utf8(plain).unwrap(), p.child.as_str());
            } else {
                assert_eq!(id, p.spouse);
                assert_eq!(opened, p.spouse_birth);
                assert_eq!(year, p.spouse_birth.year());
                assert_eq!(masked, "");
            }
        }
    }
    let mut tx = w.db.read().await.unwrap();
    let pending = tx
        .int(Sql::new("SELECT COUNT(*) FROM dependant_births_pending"))
        .await
        .unwrap();
    assert_eq!(pending, 0);
    let history: Vec<(String,)> = tx.all(Sql::new("SELECT data FROM history")).await.unwrap();
    assert!(!history.is_empty());
    for (data,) in &history {
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert!(v.get("birth_date").is_none(), "{data}");
        assert!(v["birth_year"].as_i64().is_some(), "{data}");
        assert!(v["id_masked"].as_str().unwrap().ends_with("************"), "{data}");
    }
    let masks: Vec<(String,)> = tx
        .all(Sql::new(
            "SELECT reporter_id_masked FROM cases WHERE reporter_id_masked <> ''",
        ))
        .await
        .unwrap();
    assert!(!masks.is_empty());
    assert!(
        masks.iter().all(|(m,)| m.len() == 18 && m.ends_with("************")),
        "{masks:?}"
    );
    drop(tx);

    // After: the floor holds for everybody.
    assert_floor(&w, FLOOR).await;
    db.close().await;
    t.finish().await;
}

mod migration {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::migration_0017(shiminhua_app::testing::TestDb::sqlite_without(Some(17)).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(t) = shiminhua_app::testing::TestDb::postgres_without(Some(17)).await {
            super::migration_0017(t).await;
        }
    }
}
