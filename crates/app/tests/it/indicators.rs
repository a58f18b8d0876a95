//! The plan's computed figures kept current with the records, on SQLite and
//! PostgreSQL: after any sequence of record creations, edits, deletions and
//! merges the maintained figures equal a rebuild from the records, and both
//! equal core's reference arithmetic over the records as they are.

use crate::common::*;
use shiminhua_core::ids::RecordId;
use shiminhua_core::ids::WorkerId;

use chrono::NaiveDate;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{
    both, ops::demo, plan::document, plan::indicators, registry::merge, registry::records, registry::workers,
};
use shiminhua_core::auth::{RecordKind, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::indicator::{Fact, Span};
use shiminhua_core::plan::{Measurement, Plan};

both!(
    maintained_figures_equal_a_rebuild_and_the_reference,
    a_plan_edit_recomputes_its_targets,
    imports_of_every_kind_keep_the_figures,
);

/// A small deterministic generator (the tests must not depend on luck).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

type Cells = Vec<(String, i64, i64, i64, NaiveDate, i64)>;
type Members = Vec<(String, i64, i64, i64, NaiveDate)>;

async fn tables(db: &Db) -> (Cells, Members) {
    let mut tx = db.read().await.unwrap();
    let cells = tx
        .all(Sql::new(
            "SELECT target, part, source, region, day, value FROM indicator_cells \
             ORDER BY target, part, source, region, day",
        ))
        .await
        .unwrap();
    let members = tx
        .all(Sql::new(
            "SELECT target, part, region, worker, day FROM indicator_members ORDER BY target, part, region, worker",
        ))
        .await
        .unwrap();
    (cells, members)
}

/// Every record as a fact, read back from the database.
async fn facts(db: &Db) -> Vec<indicators::StoredFact> {
    let mut tx = db.read().await.unwrap();
    // With each worker's registered family (the settlement target counts them).
    let rows: Vec<(String, i64, i64, String, i64)> = tx
        .all(Sql::new(
            "SELECT kind, worker_id, region_code, data, \
             (SELECT COUNT(*) FROM dependants d WHERE d.worker_id = records.worker_id) FROM records ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .filter_map(|(k, w, r, d, family)| {
            let mut f = indicators::StoredFact::from_row(k, *w, *r, d)?;
            f.family = *family;
            Some(f)
        })
        .collect()
}

/// Compares the maintained figures with the reference over the records.
async fn check_figures(db: &Db, plan: &Plan, regions: &[DivisionCode], when: &str) {
    let stored = facts(db).await;
    let all: Vec<Fact<'_>> = stored
        .iter()
        .map(|f| Fact {
            kind: f.kind,
            worker: f.worker,
            region: f.region,
            values: &f.values,
            family: f.family,
        })
        .collect();
    let mut tx = db.read().await.unwrap();
    let mut nonzero = 0;
    for t in &plan.targets {
        let Measurement::Computed(q) = &t.measurement else {
            continue;
        };
        for region in regions {
            for as_of in ["2022-12-31", "2023-06-30", "2023-12-31", "2024-09-30", "2026-09-30"] {
                let as_of: NaiveDate = as_of.parse().unwrap();
                // The figures stay as they were at the plan's end after it.
                let span = Span {
                    plan_start: plan.meta.start,
                    as_of: as_of.min(plan.meta.end),
                };
                let want = q.evaluate(&all, *region, span);
                let got = indicators::figure(&mut tx, plan, &t.id, *region, as_of)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(got, want, "{when}: {} in {region} as of {as_of}", t.id);
                if want.value != 0 {
                    nonzero += 1;
                }
            }
        }
    }
    assert!(
        nonzero > 20,
        "{when}: the data must exercise the targets ({nonzero} figures above zero)"
    );
    check_pay(db, when).await;
}

/// The pay kept apart for the wage guide (`employment_pay`, kept by
/// triggers) is each employment record's, read here from its data.
async fn check_pay(db: &Db, when: &str) {
    type Pay = (i64, NaiveDate, i64, String, String);
    let mut tx = db.read().await.unwrap();
    let records: Vec<(i64, NaiveDate, String)> = tx
        .all(Sql::new(
            "SELECT id, period_date, data FROM records WHERE kind = 'employment' ORDER BY id",
        ))
        .await
        .unwrap();
    // What the guide read from the data before the table: a whole wage,
    // the group and section as text or absent.
    #[derive(serde::Deserialize)]
    struct Fields {
        wage: Option<i64>,
        #[serde(default)]
        occupation: String,
        #[serde(default)]
        industry: String,
    }
    let want: Vec<Pay> = records
        .iter()
        .filter_map(|(id, on, data)| {
            let f: Fields = serde_json::from_str(data).ok()?;
            let wage = f.wage.filter(|w| *w > 0)?;
            Some((*id, *on, wage, f.occupation, f.industry))
        })
        .collect();
    let kept: Vec<Pay> = tx
        .all(Sql::new(
            "SELECT record_id, period_date, wage_fen, occupation, industry FROM employment_pay ORDER BY record_id",
        ))
        .await
        .unwrap();
    assert!(want.len() * 2 > records.len(), "{when}: most jobs have a wage");
    assert_eq!(kept, want, "{when}: the pay kept for the wage guide");
}

async fn maintained_figures_equal_a_rebuild_and_the_reference(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    demo::generate(&w.db, &w.cipher, t0(), 120, 11).await.unwrap();
    let plan = document::current(&w.db).await.unwrap().plan;
    let regions = [
        code("341000"),
        code("341021"),
        code("341022"),
        code("341004"),
        code("341021100"),
    ];
    check_figures(&w.db, &plan, &regions, "after the demo's rebuild").await;

    let call = w.call(&office);
    let mut rng = Rng(0x5eed_1234_abcd);
    let ids = |db: Db| async move {
        let mut tx = db.read().await.unwrap();
        let rows: Vec<(i64, String)> = tx
            .all(Sql::new("SELECT id, kind FROM records ORDER BY id"))
            .await
            .unwrap();
        rows
    };
    let workers: Vec<(i64,)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new("SELECT id FROM workers ORDER BY id"))
            .await
            .unwrap();
    let mut changed = 0;
    for step in 0..60 {
        let all = ids(w.db.clone()).await;
        let (id, kind) = all[rng.below(all.len())].clone();
        let row = records::get_record(&w.db, &office, RecordId(id)).await.unwrap();
        let mut values = row.form_values();
        match step % 3 {
            // Edit a field that a target filters or dates on.
            0 => {
                let kind = RecordKind::from_code(&kind).unwrap();
                let (key, choices): (&str, &[&str]) = match kind {
                    RecordKind::Employment => ("form", &["就近就业", "外出务工", "灵活就业"]),
                    RecordKind::Training => ("subsidised", &["是", "否"]),
                    RecordKind::Schooling => ("school_type", &["公办", "政府购买学位的民办", "其他民办"]),
                    RecordKind::Settlement => ("intention", &["有", "无", "未定"]),
                    RecordKind::Venture => ("start", &["2022-11-03", "2023-02-14", "2024-05-20"]),
                    _ => ("", &[]),
                };
                if key.is_empty() {
                    continue;
                }
                values.insert(key.to_string(), choices[rng.below(choices.len())].to_string());
                let get = |k: &str| values.get(k).cloned().unwrap_or_default();
                if records::update_record(&call, RecordId(id), row.version, &get)
                    .await
                    .is_ok()
                {
                    changed += 1;
                }
            }
            // Delete it.
            1 => {
                records::delete_record(&call, RecordId(id), row.version).await.unwrap();
                changed += 1;
            }
            // The same record for another worker (not for schooling, which
            // names a child of the family).
            _ => {
                let kind = RecordKind::from_code(&kind).unwrap();
                if kind == RecordKind::Schooling {
                    continue;
                }
                let (other,) = workers[rng.below(workers.len())];
                let get = |k: &str| values.get(k).cloned().unwrap_or_default();
                if records::create_record(&call, WorkerId(other), kind, &get).await.is_ok() {
                    changed += 1;
                }
            }
        }
    }
    assert!(changed > 30, "the sequence must change records ({changed})");
    // A merge moves one registration's records to another person.
    let (target, _) = workers::get_worker(&w.db, &office, WorkerId(workers[0].0))
        .await
        .unwrap();
    merge::merge_workers(
        &call,
        WorkerId(target.id),
        target.version,
        WorkerId(workers[1].0),
        "测试：合并重复登记",
    )
    .await
    .unwrap();
    check_figures(&w.db, &plan, &regions, "after the changes").await;

    // Family members registered for workers settled as a 家庭户: the
    // settlement figure counts them (`family = true`).
    let rows: Vec<(i64, String)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new(
                "SELECT worker_id, data FROM records WHERE kind = 'settlement' ORDER BY worker_id",
            ))
            .await
            .unwrap();
    let mut settled: Vec<(i64,)> = rows
        .iter()
        .filter(|(_, data)| data.contains("\"intention\":\"有\"") && data.contains("\"household\":\"家庭户\""))
        .map(|(worker, _)| (*worker,))
        .collect();
    settled.dedup();
    settled.truncate(3);
    assert_eq!(settled.len(), 3, "the demo has workers settled as a 家庭户");
    for ((worker,), name) in settled.iter().zip(["赵一", "赵二", "赵三"]) {
        workers::add_dependant(
            &call,
            WorkerId(*worker),
            &workers::DependantInput {
                relation: "子女".into(),
                name: name.into(),
                id_number: String::new(),
                birth_date: "2016-05-01".into(),
            },
        )
        .await
        .unwrap();
    }
    check_figures(&w.db, &plan, &regions, "after family members were registered").await;
    // A merge moves a worker's family and settlement records to another.
    let target = settled[0].0;
    let (source,): (i64,) =
        w.db.read()
            .await
            .unwrap()
            .one(
                Sql::new(
                    "SELECT MIN(d.worker_id) FROM dependants d JOIN records r ON r.worker_id = d.worker_id \
                     AND r.kind = 'settlement' WHERE d.worker_id <> $1",
                )
                .bind(target),
            )
            .await
            .unwrap();
    let (t, _) = workers::get_worker(&w.db, &office, WorkerId(target)).await.unwrap();
    merge::merge_workers(
        &call,
        WorkerId(target),
        t.version,
        WorkerId(source),
        "测试：合并重复登记",
    )
    .await
    .unwrap();
    check_figures(&w.db, &plan, &regions, "after a merge moved a family").await;

    let maintained = tables(&w.db).await;
    assert!(!maintained.0.is_empty() && !maintained.1.is_empty());
    let read = indicators::rebuild(&w.db, &plan).await.unwrap();
    assert!(read > 100, "{read}");
    assert_eq!(tables(&w.db).await, maintained, "rebuilt equals maintained");
}

async fn a_plan_edit_recomputes_its_targets(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    demo::generate(&w.db, &w.cipher, t0(), 80, 2).await.unwrap();
    let cur = document::current(&w.db).await.unwrap();
    let as_of: NaiveDate = "2024-12-31".parse().unwrap();
    let city = code("341000");
    let figure = |plan: Plan| {
        let db = w.db.clone();
        async move {
            let mut tx = db.read().await.unwrap();
            indicators::figure(&mut tx, &plan, "training", city, as_of)
                .await
                .unwrap()
                .unwrap()
                .value
        }
    };
    let subsidised = figure(cur.plan.clone()).await;
    // Every training counts once the filter is gone.
    let text = cur
        .text
        .replacen("filters = [{ field = \"subsidised\", is = \"是\" }]\n", "", 1);
    assert_ne!(text, cur.text);
    document::save(&w.call(&office), &text, cur.version, "测试：培训不限补贴性")
        .await
        .unwrap();
    let edited = document::current(&w.db).await.unwrap().plan;
    let all = figure(edited.clone()).await;
    let trainings = w
        .db
        .read()
        .await
        .unwrap()
        .int(Sql::new(
            "SELECT COUNT(*) FROM records WHERE kind = 'training' AND period_date BETWEEN '2023-01-01' AND '2023-12-31'",
        ))
        .await
        .unwrap();
    assert!(all > subsidised, "{all} > {subsidised}");
    assert_eq!(all, trainings);
    check_figures(&w.db, &edited, &[city, code("341021")], "after the plan edit").await;
}

mod migration {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::migration_0024(shiminhua_app::testing::TestDb::sqlite_without(Some(24)).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(t) = shiminhua_app::testing::TestDb::postgres_without(Some(24)).await {
            super::migration_0024(t).await;
        }
    }
}

/// Before migration 0024 the settlement target (which counts family
/// members) had no cells; after it the program computes them once.
async fn migration_0024(t: shiminhua_app::testing::TestDb) {
    let mut w = World::new(t.db.clone()).await;
    demo::generate(&w.db, &w.cipher, t0(), 60, 7).await.unwrap();
    let plan = document::current(&w.db).await.unwrap().plan;
    let regions = [code("341000"), code("341021"), code("341004")];
    // What the program kept before: no cells for the settlement target.
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new("DELETE FROM indicator_cells WHERE target = 'settlement'"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let old = indicators::figure(
        &mut w.db.read().await.unwrap(),
        &plan,
        "settlement",
        code("341000"),
        "2023-12-31".parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(old.base, Some(0));

    let db = Db::connect(&t.url).await.unwrap();
    db.share_audit_key(&w.db);
    w.db = db;
    let read = indicators::rebuild_when_asked(&w.db).await.unwrap();
    assert!(read.is_some_and(|n| n > 100), "{read:?}");
    check_figures(&w.db, &plan, &regions, "after migration 0024").await;
    assert_eq!(indicators::rebuild_when_asked(&w.db).await.unwrap(), None, "once");
    w.db.close().await;
    t.finish().await;
}

/// A cell of a CSV file, quoted.
fn csv_cell(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Imports of every kind of record, and worker rosters with their
/// employment columns, as sets: after each, the maintained figures equal
/// core's reference and, at the end, a rebuild from the records.
async fn imports_of_every_kind_keep_the_figures(db: Db) {
    use shiminhua_app::ops::demo::FileKind;
    use shiminhua_app::registry::import::{self, ImportKind, Options};
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    demo::generate(&w.db, &w.cipher, t0(), 90, 5).await.unwrap();
    let plan = document::current(&w.db).await.unwrap().plan;
    let regions = [code("341000"), code("341021"), code("341004"), code("341021100")];
    let call = w.call(&office);
    let dir = shiminhua_app::testing::TempDir::new("import-figures");
    let import = |path: std::path::PathBuf, target: ImportKind| {
        let call = w.call(&office);
        async move {
            import::run(&call, target, &path, "f.csv", &Options::default())
                .await
                .unwrap()
        }
    };

    // A roster of new workers with their jobs, its jobs again with a tenth
    // of the wages changed, and the roster again with a tenth of it changed.
    let roster = dir.0.join("roster.csv");
    demo::write_import_file(&roster, 60, 21, FileKind::Workers, 0).unwrap();
    let s = import(roster.clone(), ImportKind::Workers).await;
    assert_eq!(s.inserted, 60, "{s:?}");
    let jobs = dir.0.join("jobs.csv");
    let spec = |k| records::spec_of(k).unwrap();
    demo::write_import_file(&jobs, 60, 21, FileKind::Employment, 0).unwrap();
    let s = import(jobs.clone(), ImportKind::Records(spec(RecordKind::Employment))).await;
    assert_eq!((s.inserted, s.rejected), (60, 0), "{s:?}");
    check_figures(&w.db, &plan, &regions, "after a roster and its jobs").await;
    demo::write_import_file(&jobs, 60, 21, FileKind::Employment, 10).unwrap();
    let s = import(jobs, ImportKind::Records(spec(RecordKind::Employment))).await;
    assert!(s.updated > 0 && s.unchanged > 0 && s.inserted == 0, "{s:?}");
    demo::write_import_file(&roster, 60, 21, FileKind::Workers, 10).unwrap();
    let s = import(roster, ImportKind::Workers).await;
    assert!(s.updated > 0 && s.inserted == 0, "{s:?}");
    check_figures(&w.db, &plan, &regions, "after changed jobs and roster").await;

    // Every other kind: a file of records on file, a third of them with a
    // field a target filters or dates on changed, and the same records for
    // other workers (new ones).
    let mut rng = Rng(0x1a2b_3c4d);
    let mut written = (0, 0);
    let people: Vec<(i64, String, Vec<u8>, Vec<u8>)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new(
                "SELECT id, name, id_index, id_sealed FROM workers ORDER BY id",
            ))
            .await
            .unwrap();
    let id_number = |i: usize| {
        let (_, _, index, sealed) = &people[i];
        let ctx = workers::worker_context("id", index);
        String::from_utf8(w.cipher.open(&ctx, sealed).unwrap()).unwrap()
    };
    for kind in shiminhua_core::record::KINDS {
        let spec = spec(kind);
        let target = ImportKind::Records(spec);
        let cols = import::columns(target);
        let mut csv = cols.iter().map(|c| csv_cell(c.header)).collect::<Vec<_>>().join(",");
        csv.push('\n');
        let on_file: Vec<(i64, i64)> = w
            .db
            .read()
            .await
            .unwrap()
            .all(Sql::new("SELECT id, worker_id FROM records WHERE kind = $1 ORDER BY id LIMIT 30").bind(kind.code()))
            .await
            .unwrap();
        let mut rows = 0;
        for (i, (id, worker)) in on_file.iter().enumerate() {
            let row = records::get_record(&w.db, &office, RecordId(*id)).await.unwrap();
            let mut values = row.form_values();
            if kind == RecordKind::Schooling {
                // The child is shown masked: named again by the family's
                // child registered under a known name.
                let name = format!("孙{}", ["一", "二", "三", "四", "五", "六", "七", "八"][i % 8]);
                let dependants = workers::get_worker(&w.db, &office, WorkerId(*worker)).await.unwrap().1;
                if !dependants.iter().any(|d| d.relation == "子女") {
                    continue;
                }
                workers::add_dependant(
                    &call,
                    WorkerId(*worker),
                    &workers::DependantInput {
                        relation: "子女".into(),
                        name: name.clone(),
                        id_number: String::new(),
                        birth_date: "2015-03-01".into(),
                    },
                )
                .await
                .unwrap();
                values.insert("child".into(), name);
            }
            let (key, choices): (&str, &[&str]) = match kind {
                RecordKind::Employment => ("form", &["就近就业", "外出务工", "灵活就业"]),
                RecordKind::Training => ("subsidised", &["是", "否"]),
                RecordKind::Schooling => ("school_type", &["公办", "政府购买学位的民办", "其他民办"]),
                RecordKind::Settlement => ("intention", &["有", "无", "未定"]),
                RecordKind::Venture => ("start", &["2022-11-03", "2023-02-14", "2024-05-20"]),
                _ => ("", &[]),
            };
            if !key.is_empty() && i % 3 == 0 {
                values.insert(key.to_string(), choices[rng.below(choices.len())].to_string());
            }
            // The same record for another worker, except where it names a child.
            let mut owners = vec![*worker];
            if kind != RecordKind::Schooling && i % 2 == 0 {
                owners.push(people[rng.below(people.len())].0);
            }
            for owner in owners {
                let at = people.iter().position(|p| p.0 == owner).unwrap();
                let line: Vec<String> = cols
                    .iter()
                    .map(|c| match c.key {
                        "worker_name" => csv_cell(&people[at].1),
                        "worker_id" => csv_cell(&id_number(at)),
                        k => csv_cell(values.get(k).map_or("", String::as_str)),
                    })
                    .collect();
                csv.push_str(&line.join(","));
                csv.push('\n');
                rows += 1;
            }
        }
        if rows == 0 {
            continue;
        }
        let path = dir.0.join(format!("{}.csv", kind.code()));
        std::fs::write(&path, csv).unwrap();
        let s = import(path, target).await;
        assert!(s.inserted + s.updated + s.unchanged > 0, "{}: {s:?}", kind.code());
        assert_eq!(s.rejected, 0, "{}: {:?}", kind.code(), s.rejects);
        written.0 += s.inserted;
        written.1 += s.updated;
        check_figures(&w.db, &plan, &regions, &format!("after importing {}", kind.code())).await;
    }

    assert!(written.0 > 50 && written.1 > 10, "new and changed records: {written:?}");

    let maintained = tables(&w.db).await;
    indicators::rebuild(&w.db, &plan).await.unwrap();
    assert_eq!(tables(&w.db).await, maintained, "rebuilt equals maintained");
}
