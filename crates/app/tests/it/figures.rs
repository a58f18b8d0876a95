//! One figure per target, region and day, on SQLite and PostgreSQL: the
//! board, its monthly series and the evaluation agree on every target for
//! the city and every county on days in and after the plan period; every
//! computed figure's drill-down counts what the figure counts; the
//! settlement target counts the family members who settle with a worker.

use crate::common::*;
use chrono::NaiveDate;
use shiminhua_app::plan::{drill, evaluation, indicators};
use shiminhua_app::registry::facilities;
use shiminhua_app::registry::{records, workers};
use shiminhua_app::store::{Backend, Db, Sql};
use shiminhua_app::{both, ops::demo, plan::document};
use shiminhua_core::auth::{RecordKind, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::facility::FacilityKind;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::indicator::{Fact, Span};
use shiminhua_core::plan::{Measurement, Plan, Query};
use std::collections::HashMap;

both!(
    the_board_the_series_and_the_evaluation_agree,
    every_drill_down_counts_what_its_figure_counts,
    settlement_counts_the_family_that_settles,
    the_board_is_kept_until_what_it_reads_changes,
);

const DAYS: [&str; 5] = ["2023-03-31", "2023-09-30", "2023-12-31", "2024-06-30", "2026-09-30"];

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn counties(db: &Db, plan: &Plan) -> Vec<DivisionCode> {
    let (_, board) = indicators::board(db, plan, plan.meta.end).await.unwrap();
    board[0].counties.iter().map(|c| c.region).collect()
}

/// Every record as a fact with its worker's family, read back.
async fn all_facts(db: &Db) -> Vec<indicators::StoredFact> {
    let mut tx = db.read().await.unwrap();
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

async fn the_board_the_series_and_the_evaluation_agree(db: Db) {
    let w = World::new(db).await;
    demo::generate(&w.db, &w.cipher, t0(), 150, 5).await.unwrap();
    let plan = document::current(&w.db).await.unwrap().plan;
    let counties = counties(&w.db, &plan).await;
    assert_eq!(counties.len(), 7);
    let regions: Vec<DivisionCode> = std::iter::once(plan.meta.region)
        .chain(counties.iter().copied())
        .collect();

    // The demo has records after the plan's end that a figure taken on a
    // later day without the plan's bound would count (the reason of the test).
    let stored = all_facts(&w.db).await;
    let facts: Vec<Fact<'_>> = stored.iter().map(|f| f.fact()).collect();
    let Measurement::Computed(local) = &plan.target("local_jobs").unwrap().measurement else {
        panic!("local_jobs is computed");
    };
    let span = |as_of: NaiveDate| Span {
        plan_start: plan.meta.start,
        as_of,
    };
    let unbound = local.evaluate(&facts, plan.meta.region, span(day("2026-09-30"))).value;
    let at_end = local.evaluate(&facts, plan.meta.region, span(plan.meta.end)).value;
    assert!(unbound > at_end, "{unbound} > {at_end}: later records exist");

    let mut end_values: HashMap<(String, i64), Option<f64>> = HashMap::new();
    let mut compared = 0;
    for d in DAYS {
        let as_of = day(d);
        let (_, board) = indicators::board(&w.db, &plan, as_of).await.unwrap();
        let eval = evaluation::evaluate(&w.db, &plan, as_of).await.unwrap();
        // The board's lines are the city's monthly series of its cumulative
        // computed targets.
        let lines = indicators::board_lines(&w.db, &plan, as_of).await.unwrap();
        let cumulative: Vec<&str> = board
            .iter()
            .filter(|t| t.computed && t.progress == shiminhua_core::plan::Progress::Cumulative)
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(lines.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), cumulative);
        for (id, line) in lines.iter() {
            let series = indicators::monthly(&w.db, &plan, id, plan.meta.region, as_of)
                .await
                .unwrap();
            assert_eq!(*line, series, "{id} on {d}: the board's line");
        }
        for t in &board {
            let standings: Vec<&indicators::Standing> = std::iter::once(&t.city).chain(&t.counties).collect();
            assert_eq!(
                standings.iter().map(|s| s.region).collect::<Vec<_>>(),
                regions,
                "{}: the city and every county",
                t.id
            );
            for s in standings {
                let what = format!("{} in {} on {d}", t.id, s.region_name);
                // The monthly series ends with the board's figure.
                if t.computed {
                    let series = indicators::monthly(&w.db, &plan, &t.id, s.region, as_of).await.unwrap();
                    let last = series.last().map(|p| p.1);
                    if as_of >= plan.meta.start {
                        assert_eq!(last, Some(s.actual), "{what}: monthly series");
                        assert_eq!(series.last().unwrap().0, as_of.min(plan.meta.end), "{what}");
                    }
                    // The single figure reads the same.
                    let mut tx = w.db.read().await.unwrap();
                    let one = indicators::figure(&mut tx, &plan, &t.id, s.region, as_of)
                        .await
                        .unwrap();
                    assert_eq!(one, s.outcome, "{what}: figure");
                }
                // The evaluation scores the board's figure.
                let sheet = if s.region == plan.meta.region {
                    &eval.city.sheet
                } else {
                    &eval
                        .counties
                        .iter()
                        .find(|c| c.sheet.region == s.region)
                        .unwrap_or_else(|| panic!("{what}: a county sheet"))
                        .sheet
                };
                if let Some(line) = sheet.lines.iter().find(|l| l.target == t.id) {
                    assert_eq!(line.figure, s.actual, "{what}: evaluation");
                    compared += 1;
                }
                // After the plan period a figure stays as it was at its end.
                let key = (t.id.clone(), s.region.as_i64());
                if as_of == plan.meta.end {
                    end_values.insert(key, s.actual);
                } else if as_of > plan.meta.end {
                    assert_eq!(Some(&s.actual), end_values.get(&key), "{what}: as at the end");
                }
            }
        }
    }
    assert!(compared > 100, "the evaluation scores the targets ({compared})");
    let (_, board) = indicators::board(&w.db, &plan, day("2026-09-30")).await.unwrap();
    let local_now = board.iter().find(|t| t.id == "local_jobs").unwrap();
    assert_eq!(local_now.city.actual, Some(at_end as f64));
}

async fn every_drill_down_counts_what_its_figure_counts(db: Db) {
    let w = World::new(db).await;
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    let county_lead = w.scoped("lead2", Role::Lead, "341021").await;
    // A department that sees schooling records only.
    let school = w
        .user(
            "school1",
            Role::Department,
            vec![shiminhua_core::auth::Grant {
                region: code("341000"),
                kinds: [RecordKind::Schooling].into_iter().collect(),
            }],
        )
        .await;
    // An inspector sees its cases' parties only: nobody is listed to it.
    let inspector = w.scoped("inspector1", Role::Inspector, "341004").await;
    demo::generate(&w.db, &w.cipher, t0(), 150, 5).await.unwrap();
    let plan = document::current(&w.db).await.unwrap().plan;
    let counties = counties(&w.db, &plan).await;
    let regions: Vec<DivisionCode> = std::iter::once(plan.meta.region)
        .chain(counties.iter().copied())
        .collect();
    let mut checked = 0;
    let mut nonzero = 0;
    for t in &plan.targets {
        let Measurement::Computed(q) = &t.measurement else {
            continue;
        };
        let parts = match q {
            Query::Tally(_) => 1,
            Query::Ratio { .. } => 2,
        };
        for d in ["2023-09-30", "2023-12-31", "2026-09-30"] {
            let as_of = day(d);
            let mut tx = w.db.read().await.unwrap();
            let figures = indicators::figures(&mut tx, &plan, &t.id, &regions, as_of)
                .await
                .unwrap()
                .unwrap();
            drop(tx);
            for region in &regions {
                let outcome = figures[&region.as_i64()];
                for part in 0..parts {
                    let want = if part == 0 {
                        outcome.value
                    } else {
                        outcome.base.unwrap()
                    };
                    let dd = drill::drill(&w.db, &lead, &plan, &t.id, part, *region, as_of)
                        .await
                        .unwrap()
                        .unwrap_or_else(|| panic!("{} has a drill-down", t.id));
                    let what = format!("{} part {part} in {region} on {d}", t.id);
                    assert_eq!(dd.total, want, "{what}");
                    // The list itself adds up to the total: one per person
                    // for a distinct count, else what each record adds.
                    let listed: i64 = if dd.by_person {
                        dd.people.len() as i64
                    } else {
                        dd.people.iter().flat_map(|p| &p.records).map(|r| r.adds).sum()
                    };
                    assert_eq!(listed, want, "{what}: listed");
                    // Every listed record is in the region, of a source's kind.
                    for p in &dd.people {
                        assert!(!p.records.is_empty(), "{what}");
                        for r in &p.records {
                            assert!(region.contains(r.region), "{what}");
                            assert!(r.date.is_some_and(|x| x <= as_of.min(plan.meta.end)), "{what}");
                        }
                    }
                    // The city-wide lead sees everyone it counts; an inspector nobody.
                    assert!(dd.people.iter().all(|p| p.visible), "{what}");
                    let seen = drill::drill(&w.db, &inspector, &plan, &t.id, part, *region, as_of)
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(seen.total, want, "{what}: the inspector's total");
                    assert!(
                        seen.people.iter().all(|p| !p.visible),
                        "{what}: the inspector sees nobody"
                    );
                    // Read a page at a time (as a large figure is), the pages
                    // list the same people with the same records, for the
                    // city's lead and for a county's.
                    if d == "2023-12-31" && (*region == plan.meta.region || *region == counties[0]) {
                        for reader in [&lead, &county_lead, &school, &inspector] {
                            let whole = drill::drill(&w.db, reader, &plan, &t.id, part, *region, as_of)
                                .await
                                .unwrap()
                                .unwrap();
                            let want: Vec<(i64, Vec<i64>, i64)> = whole
                                .people
                                .iter()
                                .filter(|p| p.visible)
                                .map(|p| (p.worker, p.records.iter().map(|r| r.id).collect(), p.adds))
                                .collect();
                            assert_eq!(
                                paged(&w.db, reader, &plan, &t.id, part, *region, as_of, want.len()).await,
                                (want, dd.total),
                                "{what}: read a page at a time by {}",
                                reader.username
                            );
                        }
                    }
                    checked += 1;
                    if want > 0 {
                        nonzero += 1;
                    }
                }
            }
        }
    }
    assert!(checked >= 4 * 8 * 3, "{checked}");
    assert!(nonzero > 50, "the demo exercises the drill-downs ({nonzero})");

    // 就近就业创业 counts people from both sources: some have a venture.
    let dd = drill::drill(&w.db, &lead, &plan, "local_jobs", 0, plan.meta.region, plan.meta.end)
        .await
        .unwrap()
        .unwrap();
    assert!(dd.by_person);
    assert_eq!(dd.sources.len(), 2);
    assert!(dd.sources.iter().all(|s| s.people > 0), "{:?}", dd.sources);
    // A county lead is told the city's count but sees only its county's people.
    let scoped = drill::drill(
        &w.db,
        &county_lead,
        &plan,
        "local_jobs",
        0,
        plan.meta.region,
        plan.meta.end,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(scoped.total, dd.total);
    let shexian = code("341021");
    for p in &scoped.people {
        assert_eq!(p.visible, p.records.iter().any(|r| shexian.contains(r.region)));
    }
    assert!(scoped.people.iter().any(|p| !p.visible) && scoped.people.iter().any(|p| p.visible));
}

async fn settlement_counts_the_family_that_settles(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let call = w.call(&office);
    let plan = document::current(&w.db).await.unwrap().plan;
    let town = "341021100";
    let city = plan.meta.region;
    let as_of = day("2023-12-31");
    let settlement = |db: Db| {
        let plan = plan.clone();
        async move {
            let mut tx = db.read().await.unwrap();
            indicators::figure(&mut tx, &plan, "settlement", city, as_of)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let start = settlement(w.db.clone()).await;
    assert_eq!((start.value, start.base), (0, Some(0)));

    // A worker with a spouse and a child, settled as a 家庭户.
    let a = workers::create_worker(&call, &input("张家庭", &id_for(11), town))
        .await
        .unwrap();
    for (relation, name, n) in [("配偶", "李配偶", 12u16), ("子女", "张小孩", 13)] {
        workers::add_dependant(
            &call,
            WorkerId(a),
            &workers::DependantInput {
                relation: relation.into(),
                name: name.into(),
                id_number: id_for(n),
                birth_date: String::new(),
            },
        )
        .await
        .unwrap();
    }
    let settled = |household: &'static str| {
        move |k: &str| {
            match k {
                "intention" => "有",
                "intention_date" => "2023-02-01",
                "settled" => "2023-05-01",
                "household" => household,
                "place" => "341021100",
                _ => "",
            }
            .to_string()
        }
    };
    records::create_record(&call, WorkerId(a), RecordKind::Settlement, &settled("家庭户"))
        .await
        .unwrap();
    let one = settlement(w.db.clone()).await;
    assert_eq!((one.value, one.base), (3, Some(3)), "the worker and two family members");

    // A worker with a parent, settled alone in a 集体户: the parent wished
    // to settle with the worker and has not.
    let b = workers::create_worker(&call, &input("王集体", &id_for(21), town))
        .await
        .unwrap();
    workers::add_dependant(
        &call,
        WorkerId(b),
        &workers::DependantInput {
            relation: "父母".into(),
            name: "王父亲".into(),
            id_number: id_for(22),
            birth_date: String::new(),
        },
    )
    .await
    .unwrap();
    records::create_record(&call, WorkerId(b), RecordKind::Settlement, &settled("集体户"))
        .await
        .unwrap();
    let two = settlement(w.db.clone()).await;
    assert_eq!((two.value, two.base), (4, Some(5)));

    // A family member registered later counts at once.
    workers::add_dependant(
        &call,
        WorkerId(a),
        &workers::DependantInput {
            relation: "子女".into(),
            name: "张二孩".into(),
            id_number: id_for(14),
            birth_date: String::new(),
        },
    )
    .await
    .unwrap();
    let three = settlement(w.db.clone()).await;
    assert_eq!((three.value, three.base), (5, Some(6)));

    // The drill-down lists both workers with the family they bring.
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    let num = drill::drill(&w.db, &lead, &plan, "settlement", 0, city, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((num.total, num.family), (5, 3));
    assert_eq!(num.people.len(), 2);
    let den = drill::drill(&w.db, &lead, &plan, "settlement", 1, city, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((den.total, den.family), (6, 4));
    // The board shows the ratio of people.
    let (_, board) = indicators::board(&w.db, &plan, as_of).await.unwrap();
    let s = board.iter().find(|t| t.id == "settlement").unwrap();
    assert_eq!(s.city.actual, Some(500.0 / 6.0));
}

/// Every page of a drill-down read a page at a time (7 people a page, 5
/// records a read, so that workers' records straddle the reads): the
/// people listed with their records and what they add, and the total.
#[expect(clippy::too_many_arguments, reason = "the figure asked for")]
async fn paged(
    db: &Db,
    reader: &shiminhua_core::auth::Actor,
    plan: &Plan,
    target: &str,
    part: i64,
    region: DivisionCode,
    as_of: NaiveDate,
    people: usize,
) -> (Vec<(i64, Vec<i64>, i64)>, i64) {
    let reading = drill::Reading {
        whole_up_to: -1,
        batch: 5,
    };
    let mut listed = Vec::new();
    let mut total = None;
    for page in 1.. {
        let d = drill::drill_page_with(db, reader, plan, target, part, region, as_of, page, 7, reading)
            .await
            .unwrap()
            .unwrap();
        assert!(d.whole.is_none(), "read a page at a time");
        assert_eq!(d.first_no, (page - 1) * 7 + 1);
        assert!(d.people.len() <= 7);
        total = Some(d.total);
        listed.extend(
            d.people
                .iter()
                .map(|p| (p.worker, p.records.iter().map(|r| r.id).collect::<Vec<_>>(), p.adds)),
        );
        if !d.more {
            break;
        }
        assert!(page <= people.div_ceil(7) + 1, "the pages end");
    }
    (listed, total.unwrap())
}

/// The board is computed once per version of what it reads (`plan::memo`):
/// every write through the program shows at once — a record (its cells), a
/// family member (the cells it moves), a facility (a counted target). On
/// SQLite a second request is shown the kept board: a cell changed with its
/// trigger removed is not seen until another table the board reads
/// changes. On PostgreSQL the board is kept per snapshot, so the same
/// change is seen at once.
async fn the_board_is_kept_until_what_it_reads_changes(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let call = w.call(&office);
    let plan = document::current(&w.db).await.unwrap().plan;
    let as_of = day("2023-12-31");
    let town = "341021100";
    let board = |target: &'static str| {
        let (db, plan) = (w.db.clone(), plan.clone());
        async move {
            let (_, board) = indicators::board(&db, &plan, as_of).await.unwrap();
            let t = board.into_iter().find(|t| t.id == target).unwrap();
            (t.city.outcome.map(|o| (o.value, o.base)), t.city.actual)
        }
    };
    assert_eq!(board("settlement").await.0, Some((0, Some(0))));
    assert_eq!(board("settlement").await.0, Some((0, Some(0))), "asked again");

    let a = workers::create_worker(&call, &input("张家庭", &id_for(31), town))
        .await
        .unwrap();
    let settled = |k: &str| {
        match k {
            "intention" => "有",
            "intention_date" => "2023-02-01",
            "settled" => "2023-05-01",
            "household" => "家庭户",
            "place" => town,
            _ => "",
        }
        .to_string()
    };
    records::create_record(&call, WorkerId(a), RecordKind::Settlement, &settled)
        .await
        .unwrap();
    assert_eq!(board("settlement").await.0, Some((1, Some(1))), "a record");
    workers::add_dependant(
        &call,
        WorkerId(a),
        &workers::DependantInput {
            relation: "配偶".into(),
            name: "李配偶".into(),
            id_number: id_for(32),
            birth_date: String::new(),
        },
    )
    .await
    .unwrap();
    assert_eq!(board("settlement").await.0, Some((2, Some(2))), "a family member");

    // A cell written behind the program's back.
    let mut tx = w.db.write().await.unwrap();
    if tx.backend() == Backend::Sqlite {
        tx.exec(Sql::new("DROP TRIGGER indicator_cells_figures_insert"))
            .await
            .unwrap();
    }
    tx.exec(
        Sql::new(
            "INSERT INTO indicator_cells (target, part, source, region, day, value) VALUES ('settlement', 0, 0, $1, $2, 10)",
        )
        .bind(plan.meta.region.as_i64())
        .bind(day("2023-06-01")),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let stations = board("union_stations_new").await.1;
    match w.db.backend() {
        Backend::Sqlite => {
            assert_eq!(board("settlement").await.0, Some((2, Some(2))), "the kept board");
        }
        Backend::Postgres => {
            assert_eq!(board("settlement").await.0, Some((12, Some(2))), "a new snapshot");
        }
    }
    // A facility is written: the board is computed again, with both.
    facilities::create(&call, FacilityKind::Station, &|k: &str| {
        match k {
            "name" => "徽城驿站",
            "place" => town,
            "status" => "新建",
            "opened" => "2023-03-10",
            "standard" => "是",
            "host" => "县总工会",
            _ => "",
        }
        .to_string()
    })
    .await
    .unwrap();
    assert_eq!(board("settlement").await.0, Some((12, Some(2))));
    assert_eq!(
        board("union_stations_new").await.1,
        stations.map(|n| n + 1.0),
        "the new station is counted"
    );
}
