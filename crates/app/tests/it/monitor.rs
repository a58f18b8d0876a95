//! Wage-payment monitoring (智慧监管) on SQLite and PostgreSQL: projects and
//! their scope, every rule raised and cleared by the evaluation, warnings
//! followed and turned into cases, the board against its lists, and the
//! worker's own check.

use crate::common::*;
use shiminhua_app::rights::monitor::{
    self, AttendanceInput, PayInput, ProjectFilter, RosterInput, WarningAction, WarningFilter,
};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::units;
use shiminhua_app::users::{self, UserForm};
use shiminhua_app::{AppError, both};
use shiminhua_core::auth::{Actor, Grant, KindSet, RecordKind, Role};
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::ids::UserId;
use shiminhua_core::monitor::{Check, Level, Month, WarningStatus};
use std::collections::{BTreeSet, HashMap};

both!(
    projects_are_validated_versioned_and_scoped,
    every_rule_is_raised_and_cleared,
    a_warning_is_followed_and_becomes_a_case,
    the_board_equals_its_lists,
    a_worker_checks_their_own_pay,
    projects_rosters_and_payroll_import_as_sent,
    no_user_sees_projects_outside_their_scope,
    evaluations_at_once_open_each_warning_once,
    the_notice_board_keeps_its_photos,
    payroll_is_missed_for_those_who_worked,
    a_merged_registration_brings_its_projects,
);

fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341002", &format!("JK{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

fn project(code: &str, kind: &str, place: &str) -> HashMap<String, String> {
    [
        ("code", code.to_string()),
        ("name", format!("{code}工程")),
        ("kind", kind.to_string()),
        ("place", place.to_string()),
        ("builder", "黄山市城市建设投资集团".to_string()),
        ("builder_code", credit(1)),
        ("contractor", "安徽某建工集团".to_string()),
        ("contractor_code", credit(2)),
        ("contract_sum", "5000000".to_string()),
        ("contract_date", "2026-06-01".to_string()),
        ("start_date", "2026-06-15".to_string()),
        ("planned_end", "2027-12-31".to_string()),
        ("status", "在建".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn getter(m: &HashMap<String, String>) -> impl Fn(&str) -> String + Sync + '_ {
    move |k| m.get(k).cloned().unwrap_or_default()
}

async fn department(w: &World, name: &str, unit: &str) -> Actor {
    let unit_id = units::id_by_code(&w.db, unit).await.unwrap();
    let form = UserForm {
        username: name.into(),
        display_name: name.into(),
        unit_id,
        roles: vec![Role::Department],
        grants: vec![Grant {
            region: code("341000"),
            kinds: [RecordKind::Project].into_iter().collect::<KindSet>(),
        }],
    };
    let (id, _) = users::create(&w.db, &w.admin, &origin(), t0(), form).await.unwrap();
    shiminhua_app::testing::approve_pending(&w.db, t0(), id).await;
    let mut tx = w.db.read().await.unwrap();
    users::load_actor(&mut tx, UserId(id)).await.unwrap()
}

async fn projects_are_validated_versioned_and_scoped(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let housing = monitor::create(&call, &getter(&project("FJ-001", "房屋建筑", "昱中街道")))
        .await
        .unwrap();
    let water = monitor::create(&call, &getter(&project("SL-001", "水利", "341003100")))
        .await
        .unwrap();
    // One project code, one project.
    let again = monitor::create(&call, &getter(&project("FJ-001", "市政", "昱中街道"))).await;
    assert!(
        matches!(again, Err(AppError::Validation(ref e)) if e.get("code").is_some()),
        "{again:?}"
    );
    // Every mistake of a form at once, in Chinese.
    let mut bad = project("FJ-002", "桥梁", "昱中街道");
    bad.insert("builder_code".into(), "91341000MA2N0ABC1X".into());
    bad.insert("planned_end".into(), "2026-01-01".into());
    let Err(AppError::Validation(e)) = monitor::create(&call, &getter(&bad)).await else {
        panic!("accepted")
    };
    for k in ["kind", "builder_code"] {
        assert!(e.get(k).is_some(), "{k}: {e:?}");
    }
    let p = monitor::get(&w.db, &office, housing).await.unwrap();
    assert_eq!(
        (p.authority.as_str(), p.status.as_str(), p.contract_sum_fen),
        ("zjj", "building", 500_000_000)
    );
    // A stale edit is refused; a fresh one keeps the earlier version.
    let mut changed = project("FJ-001", "房屋建筑", "昱中街道");
    changed.insert("status".into(), "停工".into());
    monitor::update(&call, housing, p.version, &getter(&changed))
        .await
        .unwrap();
    let stale = monitor::update(&call, housing, p.version, &getter(&changed)).await;
    assert!(matches!(stale, Err(AppError::Conflict(_))), "{stale:?}");
    let mut tx = w.db.read().await.unwrap();
    let kept = tx
        .int(Sql::new("SELECT COUNT(*) FROM history WHERE object_kind = 'project' AND object_id = $1").bind(housing))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(kept, 1);
    let versions = monitor::history(&w.db, &office, housing).await.unwrap();
    assert_eq!(
        (versions.len(), versions[0].what(), versions[0].version),
        (1, "项目信息", 1)
    );
    assert!(
        versions[0].fields().contains(&("项目状态", "在建".to_string())),
        "{:?}",
        versions[0].fields()
    );
    assert_eq!(monitor::get(&w.db, &office, housing).await.unwrap().status, "halted");
    // The housing department sees its projects only; the water bureau its own.
    let zjj = department(&w, "zjj", "341000-zjj").await;
    let slj = department(&w, "slj", "341000-slj").await;
    assert!(monitor::get(&w.db, &zjj, housing).await.is_ok());
    assert!(matches!(
        monitor::get(&w.db, &zjj, water).await,
        Err(AppError::NotFound)
    ));
    let (mine, total) = monitor::list(&w.db, &slj, &ProjectFilter::default(), 50, 0)
        .await
        .unwrap();
    assert_eq!((total, mine.iter().map(|p| p.id).collect::<Vec<_>>()), (1, vec![water]));
    // Nor may a department record a project of another authority.
    let other = monitor::create(&w.call(&zjj), &getter(&project("SL-002", "水利", "昱中街道"))).await;
    assert!(
        matches!(other, Err(AppError::Validation(ref e)) if e.get("place").is_some()),
        "{other:?}"
    );
    // A county's staff see their county's; a user without the kind nothing.
    let county = w.scoped("huizhou", Role::Local, "341004").await;
    assert_eq!(
        monitor::list(&w.db, &county, &ProjectFilter::default(), 50, 0)
            .await
            .unwrap()
            .1,
        0
    );
    let workers_only = w
        .user(
            "workers_only",
            Role::Local,
            vec![Grant {
                region: code("341000"),
                kinds: [RecordKind::Worker].into_iter().collect(),
            }],
        )
        .await;
    assert!(matches!(
        monitor::get(&w.db, &workers_only, housing).await,
        Err(AppError::Forbidden)
    ));
}

/// A project in 昱中街道 with its contractor's facts missing, two workers on
/// the roster (one without a contract) who both worked in August 2026: one
/// is paid below the minimum wage, the other not at all.
struct Site {
    id: i64,
    workers: Vec<i64>,
}

async fn site(w: &World, office: &Actor, n: u16) -> Site {
    let call = w.call(office);
    let id = monitor::create(&call, &getter(&project(&format!("FJ-{n:03}"), "房屋建筑", "昱中街道")))
        .await
        .unwrap();
    let mut workers = Vec::new();
    for k in 0..2u16 {
        let names = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"];
        let name = format!("{}{}", names[usize::from(n % 10)], ["建国", "建军"][usize::from(k)]);
        let mut i = input(&name, &id_for(n * 10 + k), "昱中街道");
        i.phone = format!("1380013{:04}", n * 10 + k);
        let wid = shiminhua_app::registry::workers::create_worker(&call, &i)
            .await
            .unwrap();
        monitor::add_roster(
            &call,
            id,
            &RosterInput {
                worker_id: wid,
                team: "钢筋班".into(),
                contract_signed: k == 0,
                entered_on: chrono::NaiveDate::from_ymd_opt(2026, 7, 1),
                ..RosterInput::default()
            },
        )
        .await
        .unwrap();
        workers.push(wid);
    }
    let august = Month::new(2026, 8).unwrap();
    let lines: Vec<_> = workers
        .iter()
        .map(|&worker_id| AttendanceInput {
            worker_id,
            month: august,
            days: 26,
        })
        .collect();
    monitor::record_attendance(&call, id, &lines).await.unwrap();
    let low = PayInput {
        worker_id: workers[0],
        month: august,
        amount_fen: 150_000,
        paid_on: chrono::NaiveDate::from_ymd_opt(2026, 9, 8).unwrap(),
        account: "6222021234567890123".into(),
    };
    monitor::record_pay(&call, id, &[low]).await.unwrap();
    Site { id, workers }
}

async fn open_checks(w: &World, actor: &Actor, project: i64) -> BTreeSet<Check> {
    let f = WarningFilter {
        project_id: Some(project),
        ..WarningFilter::default()
    };
    let (rows, _) = monitor::warnings(
        &w.db,
        actor,
        &f,
        chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
        100,
        0,
    )
    .await
    .unwrap();
    rows.iter().filter_map(|r| r.check()).collect()
}

async fn every_rule_is_raised_and_cleared(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let s = site(&w, &office, 1).await;
    let first = monitor::evaluate(&call).await.unwrap();
    assert_eq!(first.month, Month::new(2026, 8));
    let all: BTreeSet<Check> = Check::ALL.into_iter().filter(|c| *c != Check::NoPayroll).collect();
    assert_eq!(open_checks(&w, &office, s.id).await, all);
    // Evaluating again opens nothing twice.
    let again = monitor::evaluate(&call).await.unwrap();
    assert_eq!((again.opened, again.cleared, again.open), (0, 0, first.open));
    // The contractor puts everything right.
    let form = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    monitor::set_account(
        &call,
        s.id,
        &getter(&form(&[
            ("bank", "徽商银行屯溪支行"),
            ("opened", "2026-06-20"),
            ("agreement", "是"),
        ])),
    )
    .await
    .unwrap();
    monitor::add_transfer(
        &call,
        s.id,
        &getter(&form(&[("paid_on", "2026-08-05"), ("amount", "300000")])),
    )
    .await
    .unwrap();
    monitor::add_deposit(
        &call,
        s.id,
        &getter(&form(&[
            ("form", "银行保函"),
            ("amount", "50000"),
            ("from", "2026-06-20"),
            ("to", "2027-12-31"),
        ])),
    )
    .await
    .unwrap();
    monitor::set_board(&call, s.id, &getter(&form(&[("set_on", "2026-06-25")])), None)
        .await
        .unwrap();
    let august = Month::new(2026, 8).unwrap();
    let paid_on = chrono::NaiveDate::from_ymd_opt(2026, 9, 8).unwrap();
    let pay = |worker_id| PayInput {
        worker_id,
        month: august,
        amount_fen: 650_000,
        paid_on,
        account: String::new(),
    };
    monitor::record_pay(&call, s.id, &[pay(s.workers[0]), pay(s.workers[1])])
        .await
        .unwrap();
    monitor::add_roster(
        &call,
        s.id,
        &RosterInput {
            worker_id: s.workers[1],
            contract_signed: true,
            entered_on: chrono::NaiveDate::from_ymd_opt(2026, 7, 1),
            ..RosterInput::default()
        },
    )
    .await
    .unwrap();
    let fixed = monitor::evaluate_project(&call, s.id).await.unwrap();
    assert_eq!((fixed.opened, fixed.cleared), (0, 7), "{fixed:?}");
    assert!(open_checks(&w, &office, s.id).await.is_empty());
    // A roster with attendance and no payroll at all is one warning, not two.
    let bare = site(&w, &office, 2).await;
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new("DELETE FROM payroll_lines WHERE project_id = $1").bind(bare.id))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    monitor::evaluate_project(&call, bare.id).await.unwrap();
    let checks = open_checks(&w, &office, bare.id).await;
    assert!(
        checks.contains(&Check::NoPayroll) && !checks.contains(&Check::UnpaidWorkers),
        "{checks:?}"
    );
    // A worker not on the roster is refused, with the reason.
    let stranger = PayInput {
        worker_id: bare.workers[0] + 1000,
        month: august,
        amount_fen: 1,
        paid_on,
        account: String::new(),
    };
    let e = monitor::record_pay(&call, bare.id, &[stranger]).await.unwrap_err();
    assert!(
        e.to_string().contains("实名制") || matches!(e, AppError::Validation(_)),
        "{e}"
    );
}

async fn a_warning_is_followed_and_becomes_a_case(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let local = w.scoped("tunxi", Role::Local, "341002").await;
    let call = w.call(&office);
    let s = site(&w, &office, 3).await;
    monitor::evaluate(&call).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let f = WarningFilter {
        project_id: Some(s.id),
        check: Some(Check::UnpaidWorkers),
        ..WarningFilter::default()
    };
    let (rows, _) = monitor::warnings(&w.db, &local, &f, today, 10, 0).await.unwrap();
    let unpaid = rows.into_iter().next().expect("the unpaid workers' warning");
    assert_eq!(
        (unpaid.workers, unpaid.level(), unpaid.authority.as_str()),
        (1, Level::Red, "zjj")
    );
    assert!(unpaid.due_on > today);
    // Signed for by the county; resolving needs a reason; escalation is the office's.
    monitor::act(&w.call(&local), unpaid.id, unpaid.version, &WarningAction::Acknowledge)
        .await
        .unwrap();
    let w1 = monitor::warning(&w.db, &local, unpaid.id).await.unwrap();
    assert_eq!(w1.status(), WarningStatus::Acknowledged);
    let stale = monitor::act(&w.call(&local), unpaid.id, unpaid.version, &WarningAction::Acknowledge).await;
    assert!(matches!(stale, Err(AppError::Conflict(_))));
    let empty = monitor::act(
        &w.call(&local),
        w1.id,
        w1.version,
        &WarningAction::Resolve { reason: " ".into() },
    )
    .await;
    assert!(matches!(empty, Err(AppError::Validation(ref e)) if e.get("reason").is_some()));
    let esc = monitor::act(
        &w.call(&local),
        w1.id,
        w1.version,
        &WarningAction::Escalate { note: "督办".into() },
    )
    .await;
    assert!(matches!(esc, Err(AppError::Forbidden)));
    // The board figure is the list's.
    let board = monitor::board(&w.db, &office, t0()).await.unwrap();
    assert_eq!(
        board.open,
        monitor::warnings(&w.db, &office, &WarningFilter::default(), today, 1, 0)
            .await
            .unwrap()
            .1
    );
    monitor::act(
        &call,
        w1.id,
        w1.version,
        &WarningAction::Escalate {
            note: "请三日内处置".into(),
        },
    )
    .await
    .unwrap();
    let w2 = monitor::warning(&w.db, &office, unpaid.id).await.unwrap();
    assert_eq!((w2.status(), w2.level()), (WarningStatus::Escalated, Level::Red));
    // 欠薪清零 counts the unpaid wages' warnings, then the case instead.
    use shiminhua_app::rights::case_stats::{CasePeriod, clearance};
    let tunxi = |c: &shiminhua_app::rights::case_stats::Clearance| {
        let l = c.counties.iter().find(|l| l.key == "341002").unwrap();
        (l.open, l.warnings, l.cleared())
    };
    let before = tunxi(&clearance(&call, CasePeriod::this_year(today)).await.unwrap());
    assert_eq!(before, (0, 2, false), "unpaid and below the minimum");
    // One click: a case of source 监控预警 with the project and the months.
    let (case_id, number) = monitor::to_case(&call, w2.id, w2.version, "").await.unwrap();
    assert_eq!(
        tunxi(&clearance(&call, CasePeriod::this_year(today)).await.unwrap()),
        (1, 1, false)
    );
    let (case, _) = shiminhua_app::rights::cases::get(&w.db, &office, shiminhua_core::ids::CaseId(case_id))
        .await
        .unwrap();
    assert_eq!(
        (case.source.as_str(), case.number.as_str()),
        ("monitoring", number.as_str())
    );
    assert_eq!(case.project_name, "FJ-003工程");
    assert_eq!(
        (case.workers, case.arrears_from.to_string()),
        (1, "2026-08-01".to_string())
    );
    assert!(case.amount_claimed_fen > 0);
    let w3 = monitor::warning(&w.db, &office, unpaid.id).await.unwrap();
    assert_eq!(
        (w3.status(), w3.case_number.as_deref()),
        (WarningStatus::Resolved, Some(number.as_str()))
    );
    let mut tx = w.db.read().await.unwrap();
    let linked = tx
        .int(Sql::new("SELECT project_id FROM cases WHERE id = $1").bind(case_id))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(linked, s.id);
    let steps: Vec<String> = monitor::events(&w.db, &office, unpaid.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(steps, ["open", "acknowledge", "escalate", "to_case"]);
    // A resolved warning takes no more steps.
    let done = monitor::to_case(&call, w3.id, w3.version, "").await;
    assert!(matches!(done, Err(AppError::Conflict(_))));
}

async fn the_board_equals_its_lists(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    for n in 4..7 {
        site(&w, &office, n).await;
    }
    monitor::create(&call, &getter(&project("SL-009", "水利", "341003100")))
        .await
        .unwrap();
    monitor::evaluate(&call).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    for viewer in [
        office.clone(),
        department(&w, "zjj", "341000-zjj").await,
        department(&w, "slj", "341000-slj").await,
    ] {
        let b = monitor::board(&w.db, &viewer, t0()).await.unwrap();
        let list = |f: WarningFilter| {
            let (db, viewer) = (&w.db, &viewer);
            async move { monitor::warnings(db, viewer, &f, today, 1, 0).await.unwrap().1 }
        };
        assert_eq!(b.open, list(WarningFilter::default()).await);
        assert_eq!(
            b.red,
            list(WarningFilter {
                level: Some(Level::Red),
                ..WarningFilter::default()
            })
            .await
        );
        assert_eq!(b.by_check.iter().map(|c| c.warnings).sum::<i64>(), b.open);
        for c in &b.by_check {
            let check = Check::from_code(&c.key).unwrap();
            assert_eq!(
                c.warnings,
                list(WarningFilter {
                    check: Some(check),
                    ..WarningFilter::default()
                })
                .await
            );
        }
        for c in &b.by_county {
            let region = shiminhua_core::division::DivisionCode::parse(&c.key).unwrap();
            assert_eq!(
                c.warnings,
                list(WarningFilter {
                    region: Some(region),
                    ..WarningFilter::default()
                })
                .await
            );
        }
        let warned = monitor::list(
            &w.db,
            &viewer,
            &ProjectFilter {
                warned: true,
                ..ProjectFilter::default()
            },
            1,
            0,
        )
        .await
        .unwrap()
        .1;
        assert_eq!(b.projects_warned, warned);
        assert_eq!(
            b.trend.iter().map(|m| m.opened).sum::<i64>(),
            list(WarningFilter {
                all: true,
                ..WarningFilter::default()
            })
            .await
        );
    }
    let zjj = monitor::board(&w.db, &department(&w, "zjj2", "341000-zjj").await, t0())
        .await
        .unwrap();
    let slj = monitor::board(&w.db, &department(&w, "slj2", "341000-slj").await, t0())
        .await
        .unwrap();
    let all = monitor::board(&w.db, &office, t0()).await.unwrap();
    assert_eq!((zjj.projects, slj.projects, all.projects), (3, 1, 4));
    assert_eq!(zjj.open + slj.open, all.open);
}

async fn a_worker_checks_their_own_pay(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let s = site(&w, &office, 8).await;
    let check = |phone: &str, id: String| {
        let (w, phone) = (&w, phone.to_string());
        async move { monitor::payroll_check(&w.db, &w.cipher, &origin(), t0(), &id, &phone, 12).await }
    };
    let mine = check("13800130080", id_for(80)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].month, mine[0].paid_fen, mine[0].attended_days),
        (Month::new(2026, 8).unwrap(), Some(150_000), Some(26))
    );
    assert_eq!(mine[0].project_name, "FJ-008工程");
    let unpaid = check("13800130081", id_for(81)).await.unwrap();
    assert_eq!((unpaid.len(), unpaid[0].paid_fen), (1, None));
    // Another phone, or another person's: nothing, as for a person on no roster.
    assert!(check("13800130081", id_for(80)).await.unwrap().is_empty());
    assert!(check("13900000000", id_for(999)).await.unwrap().is_empty());
    assert!(matches!(check("123", id_for(80)).await, Err(AppError::BadRequest(_))));
    let mut tx = w.db.read().await.unwrap();
    let audited = tx
        .int(Sql::new(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'payroll.self_check'",
        ))
        .await
        .unwrap();
    assert_eq!(audited, 4);
    let _ = s;
}

async fn projects_rosters_and_payroll_import_as_sent(db: Db) {
    use shiminhua_app::registry::import::{self, ImportKind, Options};
    use shiminhua_app::testing::TempDir;
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let mut i = input("孙建华", &id_for(501), "昱中街道");
    i.phone = "13800135010".into();
    let worker = shiminhua_app::registry::workers::create_worker(&call, &i)
        .await
        .unwrap();
    let dir = TempDir::new("monitor-import");
    let run = |kind: &str, name: &str, text: String, dry_run: bool| {
        let (call, path) = (&call, dir.0.join(name));
        std::fs::write(&path, text).unwrap();
        let target = ImportKind::parse(kind).unwrap();
        async move {
            import::run(
                call,
                target,
                &path,
                "f.csv",
                &Options {
                    dry_run,
                    ..Options::default()
                },
            )
            .await
            .unwrap()
        }
    };
    let (b, c) = (credit(1), credit(2));
    let projects = format!(
        "项目编号,项目名称,项目类型,项目所在地,建设单位,建设单位统一社会信用代码,施工总承包单位,施工总承包单位统一社会信用代码,合同金额（元）,施工合同签订日期,项目状态\n\
         HS-101,昱中安置房,房屋建筑,昱中街道,城投,{b},建工,{c},\"12,000,000\",2026-05-01,在建\n\
         HS-102,新安江护岸,水利,昱中街道,城投,{b},建工,{c},800万,2026-05-01,在建\n\
         HS-101,重复,房屋建筑,昱中街道,城投,{b},建工,{c},1,2026-05-01,在建\n\
         HS-103,坏的,桥梁,昱中街道,城投,{b},建工,{c},1,2026-05-01,在建\n"
    );
    let dry = run("project", "p.csv", projects.clone(), true).await;
    assert_eq!((dry.inserted, dry.rejected), (2, 2), "{:?}", dry.rejects);
    assert_eq!(
        monitor::list(&w.db, &office, &ProjectFilter::default(), 10, 0)
            .await
            .unwrap()
            .1,
        0
    );
    let done = run("project", "p.csv", projects, false).await;
    assert_eq!((done.inserted, done.rejected), (2, 2));
    assert_eq!(
        (done.rejects[0].line, done.rejects[0].reason.as_str()),
        (4, "与第2行的项目编号重复")
    );
    assert_eq!(done.rejects[1].column, "项目类型");
    let (rows, _) = monitor::list(&w.db, &office, &ProjectFilter::default(), 10, 0)
        .await
        .unwrap();
    let p101 = rows.iter().find(|p| p.code == "HS-101").unwrap();
    assert_eq!((p101.contract_sum_fen, p101.authority.as_str()), (1_200_000_000, "zjj"));
    // The roster as a contractor sends it: other headers, the month's
    // attendance, a person not yet registered (registered at the project's
    // township), a day count that is no number.
    let roster = format!(
        "工程编号,姓名,身份证号,联系电话,班组,已签订劳动合同,进场日期,月份,考勤天数\n\
         HS-101,孙建华,{},,木工班,是,2026-06-01,2026-08,24\n\
         HS-101,钱立新,{},13800135020,木工班,是,2026-06-01,2026-08,20\n\
         HS-999,孙建华,{},,木工班,是,2026-06-01,2026-08,24\n\
         HS-101,周卫东,{},,木工班,是,2026-06-01,2026-08,廿\n",
        id_for(501),
        id_for(502),
        id_for(501),
        id_for(503)
    );
    let preview = run("project_roster", "r.csv", roster.clone(), true).await;
    assert_eq!((preview.inserted, preview.rejected), (2, 2), "{:?}", preview.rejects);
    let r = run("project_roster", "r.csv", roster, false).await;
    assert_eq!((r.inserted, r.rejected), (2, 2), "{:?}", r.rejects);
    assert_eq!((r.rejects[0].line, r.rejects[0].column.as_str()), (4, "项目编号"));
    assert_eq!((r.rejects[1].line, r.rejects[1].column.as_str()), (5, "出勤天数"));
    let mut tx = w.db.read().await.unwrap();
    let (region, phone): (i64, String) = tx
        .one(Sql::new(
            "SELECT region_code, phone_masked FROM workers WHERE name = '钱立新'",
        ))
        .await
        .unwrap();
    // The line refused for its day count registered nobody.
    let nobody = tx
        .int(Sql::new("SELECT COUNT(*) FROM workers WHERE name = '周卫东'"))
        .await
        .unwrap();
    drop(tx);
    assert_eq!((region, phone.is_empty(), nobody), (p101.region_code, false, 0));
    // A department that keeps no worker records registers nobody.
    let zjj = department(&w, "zjj", "341000-zjj").await;
    let path = dir.0.join("r2.csv");
    std::fs::write(
        &path,
        format!(
            "项目编号,姓名,身份证号码,已签订劳动合同,进场日期\nHS-101,吴国强,{},是,2026-06-01\n",
            id_for(504)
        ),
    )
    .unwrap();
    let target = ImportKind::parse("project_roster").unwrap();
    let by_dept = import::run(&w.call(&zjj), target, &path, "r2.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!(by_dept.rejected, 1);
    assert!(
        by_dept.rejects[0].reason.contains("尚未在农民工信息库登记"),
        "{:?}",
        by_dept.rejects
    );
    // The bank's payroll file: its own headers, the account kept masked.
    let payroll = format!(
        "项目编号,户名,证件号码,工资所属期,实发工资,交易日期,卡号\n\
         HS-101,孙建华,{},2026-08,\"6,200.00\",2026-09-05,6222021234567890123\n\
         HS-102,孙建华,{},2026-08,6200,2026-09-05,6222021234567890123\n\
         HS-101,孙建国,{},2026-08,6200,2026-09-05,6222021234567890123\n",
        id_for(501),
        id_for(501),
        id_for(501)
    );
    let pay = run("payroll", "pay.csv", payroll, false).await;
    assert_eq!((pay.inserted, pay.rejected), (1, 2), "{:?}", pay.rejects);
    assert!(pay.rejects[0].reason.contains("实名制"), "{:?}", pay.rejects);
    assert_eq!(pay.rejects[1].column, "姓名");
    let mut tx = w.db.read().await.unwrap();
    let (amount, account): (i64, String) = tx
        .one(Sql::new("SELECT amount_fen, account_masked FROM payroll_lines WHERE worker_id = $1").bind(worker))
        .await
        .unwrap();
    drop(tx);
    assert_eq!((amount, account.as_str()), (620_000, "6222***********0123"));
    let grid = monitor::grid(&w.db, &office, p101.id, &[Month::new(2026, 8).unwrap()], 10, 0)
        .await
        .unwrap()
        .0;
    assert_eq!((grid[0].1[0].days, grid[0].1[0].paid_fen), (Some(24), Some(620_000)));
    // A corrected file replaces the month's line; two payments in one file add up.
    let again = format!(
        "项目编号,姓名,身份证号码,工资月份,实发金额（元）,发放日期\n\
         HS-101,孙建华,{0},2026-08,3000,2026-09-05\n\
         HS-101,孙建华,{0},2026-08,3500,2026-09-20\n",
        id_for(501)
    );
    let second = run("payroll", "pay2.csv", again, false).await;
    assert_eq!(
        (second.inserted, second.updated, second.rejected),
        (0, 1, 0),
        "{:?}",
        second.rejects
    );
    let grid = monitor::grid(&w.db, &office, p101.id, &[Month::new(2026, 8).unwrap()], 10, 0)
        .await
        .unwrap()
        .0;
    let cell = grid[0].1[0];
    assert_eq!(
        (cell.paid_fen, cell.paid_on.map(|d| d.to_string())),
        (Some(650_000), Some("2026-09-20".into()))
    );
    // Every reason a line is refused for, in batches of two lines, so that
    // a project's roster is read in one batch, kept for the next one that
    // names the project, let go by one that does not, and read again.
    let refused = format!(
        "项目编号,户名,证件号码,工资所属期,实发工资,交易日期\n\
         HS-101,孙建华,{0},2026-07,5000,2026-08-05\n\
         HS-999,孙建华,{0},2026-07,5000,2026-08-05\n\
         HS-101,周卫东,{2},2026-07,5000,2026-08-05\n\
         HS-102,钱立新,{1},2026-07,5000,2026-08-05\n\
         HS-101,钱立新,{1},2026-07,0,2026-08-05\n\
         HS-101,钱立新,{1},2026-07,100,2026-06-30\n\
         HS-101,钱立新,{1},九月,100,2026-08-05\n\
         HS-101,钱立新,{1},2026-07,4800,2026-08-05\n",
        id_for(501),
        id_for(502),
        id_for(503)
    );
    let path = dir.0.join("pay3.csv");
    std::fs::write(&path, refused).unwrap();
    let target = ImportKind::parse("payroll").unwrap();
    let mut outcomes = Vec::new();
    for dry_run in [true, false] {
        let opts = Options {
            dry_run,
            batch_rows: 2,
            ..Options::default()
        };
        let s = import::run(&call, target, &path, "pay3.csv", &opts).await.unwrap();
        let reasons: Vec<(u64, String)> = s.rejects.iter().map(|r| (r.line, r.reason.clone())).collect();
        outcomes.push((s.inserted, s.rejected, reasons));
    }
    assert_eq!(outcomes[0], outcomes[1], "the preview says what the import does");
    let (inserted, rejected, reasons) = &outcomes[1];
    assert_eq!((*inserted, *rejected), (2, 6), "{reasons:?}");
    let expected = [
        (3, "项目编号“HS-999”不存在或不在您的数据范围内"),
        (4, "该身份证号码的人员不在农民工信息库中"),
        (5, "该人员不在本项目的实名制名单中"),
        (6, "实发金额应大于0"),
        (7, "发放日期不能早于工资月份"),
        (8, "工资月份应写成 2026-03"),
    ];
    for ((line, reason), (want_line, want)) in reasons.iter().zip(expected) {
        assert_eq!(*line, want_line);
        assert!(reason.contains(want), "line {line}: {reason}");
    }
    let mut tx = w.db.read().await.unwrap();
    let paid: Vec<(String, i64)> = tx
        .all(
            Sql::new(
                "SELECT w.name, l.amount_fen FROM payroll_lines l JOIN workers w ON w.id = l.worker_id \
             WHERE l.month = $1 ORDER BY l.amount_fen DESC",
            )
            .bind(Month::new(2026, 7).unwrap().code()),
        )
        .await
        .unwrap();
    drop(tx);
    assert_eq!(paid, [("孙建华".to_string(), 500_000), ("钱立新".to_string(), 480_000)]);
}

/// A property over random scopes, units and projects: what a user lists,
/// opens, and counts on the board is exactly the projects in their view —
/// the region and kind of their grants and, for the department of a
/// supervising authority, that authority's projects.
async fn no_user_sees_projects_outside_their_scope(db: Db) {
    use shiminhua_core::division::DivisionCode;
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let mut tx = w.db.read().await.unwrap();
    let towns: Vec<(i64,)> = tx
        .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
        .await
        .unwrap();
    drop(tx);
    let mut state: u64 = 0x1ee7;
    let mut next = |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    };
    let kinds = ["房屋建筑", "市政", "交通运输", "水利", "其他"];
    let mut placed = Vec::new();
    for i in 0..30 {
        let town = DivisionCode::from_i64(towns[next(towns.len())].0).unwrap();
        let kind = kinds[next(kinds.len())];
        let id = monitor::create(&call, &getter(&project(&format!("P-{i:03}"), kind, &town.to_string())))
            .await
            .unwrap();
        let authority = monitor::get(&w.db, &office, id).await.unwrap().authority;
        placed.push((id, town, authority));
    }
    monitor::evaluate(&call).await.unwrap();
    let units = ["rsj", "zjj", "jtj", "slj"];
    for u in 0..10 {
        let (_, town, _) = placed[next(placed.len())];
        let region = if next(2) == 0 { town.county().unwrap() } else { town };
        let with_projects = next(4) != 0;
        let kinds: KindSet = if with_projects {
            [RecordKind::Project, RecordKind::Worker].into_iter().collect()
        } else {
            [RecordKind::Worker, RecordKind::WageCase].into_iter().collect()
        };
        let dept = (u % 2 == 0).then(|| units[next(units.len())]);
        let unit_id = match dept {
            Some(d) => units::id_by_code(&w.db, &format!("341000-{d}")).await.unwrap(),
            None => None,
        };
        let form = UserForm {
            username: format!("prop{u}"),
            display_name: format!("prop{u}"),
            unit_id,
            roles: vec![if dept.is_some() { Role::Department } else { Role::Local }],
            grants: vec![Grant { region, kinds }],
        };
        let (id, _) = users::create(&w.db, &w.admin, &origin(), t0(), form).await.unwrap();
        shiminhua_app::testing::approve_pending(&w.db, t0(), id).await;
        let mut tx = w.db.read().await.unwrap();
        let actor = users::load_actor(&mut tx, UserId(id)).await.unwrap();
        drop(tx);
        let expected: Vec<i64> = placed
            .iter()
            .filter(|(_, t, a)| {
                actor.scope.allows(RecordKind::Project, *t) && dept.is_none_or(|d| d == "rsj" || d == a.as_str())
            })
            .map(|(id, _, _)| *id)
            .collect();
        let listed = monitor::list(&w.db, &actor, &ProjectFilter::default(), 100, 0).await;
        if !with_projects {
            assert!(matches!(listed, Err(AppError::Forbidden)), "user {u}");
            assert!(matches!(
                monitor::board(&w.db, &actor, t0()).await,
                Err(AppError::Forbidden)
            ));
            continue;
        }
        let (rows, total) = listed.unwrap();
        let mut got: Vec<i64> = rows.iter().map(|p| p.id).collect();
        got.sort();
        assert_eq!(
            (got.clone(), total as usize),
            (expected.clone(), expected.len()),
            "user {u}"
        );
        for (id, _, _) in &placed {
            let opened = monitor::get(&w.db, &actor, *id).await;
            assert_eq!(opened.is_ok(), expected.contains(id), "user {u} project {id}");
            if !expected.contains(id) {
                assert!(matches!(opened, Err(AppError::NotFound)));
            }
        }
        let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let (warned, n) = monitor::warnings(&w.db, &actor, &WarningFilter::default(), today, 1000, 0)
            .await
            .unwrap();
        assert!(warned.iter().all(|w| expected.contains(&w.project_id)), "user {u}");
        let b = monitor::board(&w.db, &actor, t0()).await.unwrap();
        assert_eq!((b.projects, b.open), (expected.len() as i64, n), "user {u}");
    }
}

/// The daily evaluation and the office's 立即核验 at the same moment: both
/// finish, and each warning is opened once.
async fn evaluations_at_once_open_each_warning_once(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    for n in 10..13 {
        site(&w, &office, n).await;
    }
    let call = w.call(&office);
    // The server's daily run takes the first call of a day only.
    let daily = monitor::evaluate_if_due(&w.db, t0()).await.unwrap().expect("due");
    assert!(daily.opened > 0);
    assert_eq!(
        monitor::evaluate_if_due(&w.db, t0() + chrono::Duration::hours(3))
            .await
            .unwrap(),
        None
    );
    let tomorrow = monitor::evaluate_if_due(&w.db, t0() + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(tomorrow.map(|e| e.opened), Some(0));
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new("DELETE FROM warning_events")).await.unwrap();
    tx.exec(Sql::new("DELETE FROM warnings")).await.unwrap();
    tx.commit().await.unwrap();
    let (a, b, c) = tokio::join!(
        monitor::evaluate(&call),
        monitor::evaluate(&call),
        monitor::evaluate(&call)
    );
    let opened: Vec<usize> = [a, b, c].into_iter().map(|r| r.unwrap().opened).collect();
    assert_eq!(opened.iter().filter(|n| **n > 0).count(), 1, "{opened:?}");
    let mut tx = w.db.read().await.unwrap();
    let dup = tx
        .int(Sql::new(
            "SELECT COUNT(*) FROM (SELECT project_id, rule_code, month FROM warnings \
             GROUP BY project_id, rule_code, month HAVING COUNT(*) > 1) d",
        ))
        .await
        .unwrap();
    let events = tx
        .int(Sql::new("SELECT COUNT(*) FROM warning_events WHERE action = 'open'"))
        .await
        .unwrap();
    let total = tx.int(Sql::new("SELECT COUNT(*) FROM warnings")).await.unwrap();
    drop(tx);
    assert_eq!((dup, events), (0, total));
    assert_eq!(opened.iter().sum::<usize>() as i64, total);
}

/// A PNG of `n` bytes after its signature (the content is not decoded).
fn png(n: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.resize(8 + n, 7);
    b
}

async fn the_notice_board_keeps_its_photos(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let s = site(&w, &office, 3).await;
    let on = |d: &str| HashMap::from([("set_on".to_string(), d.to_string())]);
    let first = png(100);
    monitor::set_board(&call, s.id, &getter(&on("2026-06-25")), Some(("告示牌.png", &first)))
        .await
        .unwrap();
    // Refused: not a picture, a picture whose content is not one, no date.
    let before = monitor::get(&w.db, &office, s.id).await.unwrap();
    for (date, name, bytes, field) in [
        ("2026-07-01", "告示牌.pdf", b"%PDF-1.7".to_vec(), "photo"),
        ("2026-07-01", "告示牌.jpg", png(10), "photo"),
        ("", "告示牌.png", png(10), "set_on"),
    ] {
        let r = monitor::set_board(&call, s.id, &getter(&on(date)), Some((name, &bytes))).await;
        match r {
            Err(AppError::Validation(e)) => assert!(e.get(field).is_some(), "{name}: {e:?}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    let after = monitor::get(&w.db, &office, s.id).await.unwrap();
    assert_eq!((after.board_on, after.version), (before.board_on, before.version));
    assert_eq!(monitor::board_photos(&w.db, &office, s.id).await.unwrap().len(), 1);
    // A new board date with a new photo: both photos kept, the newest first,
    // the earlier date in the history.
    let second = png(200);
    monitor::set_board(&call, s.id, &getter(&on("2026-07-10")), Some(("新告示牌.png", &second)))
        .await
        .unwrap();
    let photos = monitor::board_photos(&w.db, &office, s.id).await.unwrap();
    let listed: Vec<_> = photos.iter().map(|p| (p.name.as_str(), p.size, p.dated)).collect();
    let date = |d: &str| d.parse::<chrono::NaiveDate>().ok();
    assert_eq!(
        listed,
        [
            ("新告示牌.png", 208, date("2026-07-10")),
            ("告示牌.png", 108, date("2026-06-25"))
        ]
    );
    let (name, mime, bytes) = monitor::board_photo(&w.db, &office, s.id, photos[1].id).await.unwrap();
    assert_eq!(
        (name.as_str(), mime.as_str(), bytes),
        ("告示牌.png", "image/png", first)
    );
    let history = monitor::history(&w.db, &office, s.id).await.unwrap();
    let board: Vec<_> = history.iter().filter(|v| v.object_kind == "project_board").collect();
    assert_eq!(board.len(), 1);
    assert_eq!(board[0].what(), "维权信息告示牌");
    assert_eq!(board[0].fields(), [("设置日期", "2026-06-25".to_string())]);
    // Another county sees neither the project nor its photos.
    let other = w.scoped("shexian", Role::Local, "341021").await;
    for r in [
        monitor::board_photo(&w.db, &other, s.id, photos[0].id)
            .await
            .map(|_| ()),
        monitor::board_photos(&w.db, &other, s.id).await.map(|_| ()),
    ] {
        assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    }
    // A photo of one project is not found under another.
    let t = site(&w, &office, 4).await;
    assert!(matches!(
        monitor::board_photo(&w.db, &office, t.id, photos[0].id).await,
        Err(AppError::NotFound)
    ));
    let audited =
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'project.board' AND detail LIKE '%photo=%'",
            ))
            .await
            .unwrap();
    assert_eq!(audited, 2);
}

async fn payroll_is_missed_for_those_who_worked(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let id = monitor::create(&call, &getter(&project("FJ-LATE", "房屋建筑", "昱中街道")))
        .await
        .unwrap();
    let mut i = input("孙建华", &id_for(901), "昱中街道");
    i.phone = "13800139010".into();
    let worker_id = shiminhua_app::registry::workers::create_worker(&call, &i)
        .await
        .unwrap();
    // On the roster from the last days of August, the month checked.
    monitor::add_roster(
        &call,
        id,
        &RosterInput {
            worker_id,
            contract_signed: true,
            entered_on: chrono::NaiveDate::from_ymd_opt(2026, 8, 28),
            ..RosterInput::default()
        },
    )
    .await
    .unwrap();
    let no_payroll = async || {
        monitor::evaluate_project(&call, id).await.unwrap();
        let f = WarningFilter {
            project_id: Some(id),
            check: Some(Check::NoPayroll),
            ..WarningFilter::default()
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let (rows, _) = monitor::warnings(&w.db, &office, &f, today, 10, 0).await.unwrap();
        rows.into_iter().map(|r| r.detail).collect::<Vec<_>>()
    };
    // No attendance kept: everyone on the roster is taken to have worked.
    assert_eq!(
        no_payroll().await,
        ["2026年8月工资未发放（实名制在册1人，截至2026年9月10日无发放记录）"]
    );
    // Attendance kept from September: nobody worked August, nothing is missed.
    let month = |m| Month::new(2026, m).unwrap();
    let days = |m, days| AttendanceInput {
        worker_id,
        month: month(m),
        days,
    };
    monitor::record_attendance(&call, id, &[days(9, 20)]).await.unwrap();
    assert!(no_payroll().await.is_empty());
    // Two days in August, unpaid: missed by the one who worked.
    monitor::record_attendance(&call, id, &[days(8, 2)]).await.unwrap();
    assert_eq!(
        no_payroll().await,
        ["2026年8月工资未发放（有考勤1人，截至2026年9月10日无发放记录）"]
    );
}

/// Merging a duplicate registration moves its roster lines, attendance and
/// payroll to the person kept, who then sees that pay in their own check;
/// when both registrations are on one project's roster the merge is
/// refused, naming the project, and nothing changes.
async fn a_merged_registration_brings_its_projects(db: Db) {
    use shiminhua_app::registry::{merge, workers};
    use shiminhua_core::ids::WorkerId;
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let s = site(&w, &office, 3).await;
    let kept = s.workers[0];
    let other = monitor::create(&call, &getter(&project("FJ-900", "市政", "昱中街道")))
        .await
        .unwrap();
    let august = Month::new(2026, 8).unwrap();
    let mut duplicates = Vec::new();
    for (n, project) in [(900, other), (901, s.id)] {
        let mut i = input("赵建国", &id_for(n), "昱中街道");
        i.phone = format!("1390013{n:04}");
        let dup = workers::create_worker(&call, &i).await.unwrap();
        monitor::add_roster(
            &call,
            project,
            &RosterInput {
                worker_id: dup,
                team: "钢筋班".into(),
                contract_signed: true,
                entered_on: chrono::NaiveDate::from_ymd_opt(2026, 7, 1),
                ..RosterInput::default()
            },
        )
        .await
        .unwrap();
        let days = [AttendanceInput {
            worker_id: dup,
            month: august,
            days: 20,
        }];
        monitor::record_attendance(&call, project, &days).await.unwrap();
        duplicates.push(dup);
    }
    let pay = PayInput {
        worker_id: duplicates[0],
        month: august,
        amount_fen: 300_000,
        paid_on: chrono::NaiveDate::from_ymd_opt(2026, 9, 8).unwrap(),
        account: String::new(),
    };
    monitor::record_pay(&call, other, &[pay]).await.unwrap();
    // The duplicate also reported unpaid wages, as a worker of the registry.
    let insp = w.scoped("insp", Role::Inspector, "341000").await;
    let case = shiminhua_app::rights::cases::register(
        &w.call(&insp),
        &shiminhua_core::case::CaseInput {
            source: "12333".into(),
            received_on: "2026-09-10".into(),
            worker_id: Some(duplicates[0]),
            employer_name: "黄山某建筑劳务有限公司".into(),
            employer_credit_code: credit(1),
            sector: "工程建设".into(),
            project_name: "FJ-900工程".into(),
            workers: "1".into(),
            amount_claimed: "3000元".into(),
            arrears_from: "2026-08-01".into(),
            arrears_to: "2026-08-31".into(),
            description: "八月工资未发放".into(),
            region: "昱中街道".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let merge = async |source: i64| {
        let (target, _) = workers::get_worker(&w.db, &office, WorkerId(kept)).await.unwrap();
        merge::merge_workers(
            &call,
            WorkerId(kept),
            target.version,
            WorkerId(source),
            "测试：合并重复登记",
        )
        .await
    };
    let lines_of = async |worker: i64| {
        w.db.read()
            .await
            .unwrap()
            .int(
                Sql::new(
                    "SELECT (SELECT COUNT(*) FROM project_roster WHERE worker_id = $1) \
                     + (SELECT COUNT(*) FROM payroll_lines WHERE worker_id = $1)",
                )
                .bind(worker),
            )
            .await
            .unwrap()
    };
    // Both on FJ-003's roster: refused, and both registrations stay as they were.
    match merge(duplicates[1]).await {
        Err(AppError::Conflict(m)) => assert!(m.contains("FJ-003"), "{m}"),
        got => panic!("expected a refusal, got {got:?}"),
    }
    assert!(
        workers::get_worker(&w.db, &office, WorkerId(duplicates[1]))
            .await
            .is_ok()
    );
    assert_eq!((lines_of(kept).await, lines_of(duplicates[1]).await), (2, 1));
    // On another project: the roster line, its attendance and the pay move.
    merge(duplicates[0]).await.unwrap();
    assert_eq!((lines_of(kept).await, lines_of(duplicates[0]).await), (4, 0));
    let mut tx = w.db.read().await.unwrap();
    let reporter = tx
        .int(Sql::new("SELECT worker_id FROM cases WHERE id = $1").bind(case.id))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(reporter, kept, "the case follows its reporter");
    let mine = monitor::payroll_check(&w.db, &w.cipher, &origin(), t0(), &id_for(30), "13800130030", 12)
        .await
        .unwrap();
    let on_other: Vec<_> = mine.iter().filter(|c| c.project_name == "FJ-900工程").collect();
    assert_eq!(on_other.len(), 1, "{mine:?}");
    assert_eq!(
        (on_other[0].month, on_other[0].attended_days, on_other[0].paid_fen),
        (august, Some(20), Some(300_000))
    );
    // The database itself holds a payroll line only for a roster line: its
    // key is the roster's (project, worker). A worker of the site is not on
    // FJ-900's roster; the person kept now is.
    let write = async |worker: i64| {
        let mut tx = w.db.write().await.unwrap();
        tx.exec(
            Sql::new(
                "INSERT INTO payroll_lines (project_id, month, worker_id, amount_fen, paid_on) \
                 VALUES ($1, 202607, $2, 100, '2026-08-08')",
            )
            .bind(other)
            .bind(worker),
        )
        .await?;
        tx.commit().await
    };
    assert!(write(s.workers[1]).await.is_err(), "a line off the roster is refused");
    write(kept).await.unwrap();
}
