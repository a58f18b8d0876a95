//! Wage-arrears cases: registration, the workflow, deadlines on the stored
//! holiday calendar, scope and concurrent officers, on SQLite and PostgreSQL.

mod common;
use common::*;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shiminhua_app::cases::{self, CaseFilter};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{AppError, Call, both};
use shiminhua_core::auth::{Actor, Role};
use shiminhua_core::case::{Action, ActionInput, CaseInput, Source, Status, Timing};
use shiminhua_core::credit_code::CreditCode;

both!(
    register_accept_investigate_close_follow_up,
    refused_actions_change_nothing,
    due_dates_over_national_day_and_lists,
    extension_once_only,
    transfer_moves_county_and_scope,
    concurrent_officers_one_wins,
    registration_is_validated_and_scoped,
);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// 10:00 Beijing time on `day`.
fn at(day: &str) -> DateTime<Utc> {
    let d = d(day);
    Utc.from_utc_datetime(&d.and_hms_opt(2, 0, 0).unwrap())
}

fn on<'a>(w: &'a World, actor: &'a Actor, day: &str) -> Call<'a> {
    Call {
        now: at(day),
        ..w.call(actor)
    }
}

fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341021", &format!("MA{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

fn hotline(received: &str) -> CaseInput {
    CaseInput {
        source: "12333".into(),
        received_on: received.into(),
        reporter_name: "张小三".into(),
        reporter_phone: "13905591234".into(),
        reporter_id_number: id_for(3),
        employer_name: "黄山某建筑劳务有限公司".into(),
        employer_credit_code: credit(1),
        employer_address: "歙县徽城镇某路8号".into(),
        sector: "工程建设".into(),
        project_name: "徽城安置房二期".into(),
        contractor_credit_code: credit(2),
        workers: "12".into(),
        amount_claimed: "86,400元".into(),
        arrears_from: "2023-05-01".into(),
        arrears_to: "2023-08-31".into(),
        description: "五月至八月工资未发放".into(),
        region: "徽城镇".into(),
        ..CaseInput::default()
    }
}

fn platform(received: &str, clue: &str) -> CaseInput {
    CaseInput {
        source: "全国根治欠薪线索反映平台".into(),
        clue_no: clue.into(),
        anonymous: true,
        reporter_name: String::new(),
        reporter_phone: String::new(),
        reporter_id_number: String::new(),
        sector: "餐饮".into(),
        project_name: String::new(),
        contractor_credit_code: String::new(),
        ..hotline(received)
    }
}

fn reason(s: &str) -> ActionInput {
    ActionInput {
        reason: s.into(),
        note: s.into(),
        ..ActionInput::default()
    }
}

fn none() -> ActionInput {
    ActionInput::default()
}

fn conflict(e: AppError) -> String {
    match e {
        AppError::Conflict(m) => m,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    db.read().await.unwrap().int(Sql::new(sql)).await.unwrap()
}

async fn events(db: &Db, id: i64) -> i64 {
    db.read()
        .await
        .unwrap()
        .int(Sql::new("SELECT COUNT(*) FROM case_events WHERE case_id = $1").bind(id))
        .await
        .unwrap()
}

async fn audited(db: &Db, action: &str) -> i64 {
    db.read()
        .await
        .unwrap()
        .int(Sql::new("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action))
        .await
        .unwrap()
}

async fn register_accept_investigate_close_follow_up(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let reg = cases::register(&on(&w, &insp, "2023-09-28"), &hotline("2023-09-27"))
        .await
        .unwrap();
    assert_eq!(reg.number, "HS2023-000001");
    assert_eq!(reg.query_code.len(), 8);
    let second = cases::register(&on(&w, &insp, "2023-09-28"), &hotline("2023-09-27"))
        .await
        .unwrap();
    assert_eq!(second.number, "HS2023-000002");

    // The query code finds the case; a wrong one finds nothing. Only its HMAC is stored.
    assert_eq!(
        cases::find_by_query_code(&w.db, &w.cipher, "hs2023-000001", &reg.query_code.to_lowercase())
            .await
            .unwrap(),
        Some(reg.id)
    );
    assert_eq!(
        cases::find_by_query_code(&w.db, &w.cipher, &reg.number, &second.query_code)
            .await
            .unwrap(),
        None
    );

    // The reporter is sealed: masked copies, blind indexes, ciphertext bound to the case.
    let (row, evs) = cases::get(&w.db, &insp, reg.id).await.unwrap();
    assert_eq!(row.reporter_name_masked, "张**");
    assert_eq!(row.reporter_phone_masked, "139****1234");
    assert!(row.reporter_id_masked.contains('*'));
    assert_eq!(row.amount_claimed_fen, 8_640_000);
    assert_eq!(row.state(), Some(Status::Registered));
    assert_eq!(row.accept_due, d("2023-10-10"));
    assert_eq!(row.due_on, Some(d("2023-10-10")));
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].action_label(), "登记");
    let (sealed, index): (Vec<u8>, Vec<u8>) =
        w.db.read()
            .await
            .unwrap()
            .one(Sql::new("SELECT reporter_phone_sealed, reporter_phone_index FROM cases WHERE id = $1").bind(reg.id))
            .await
            .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("13905591234"));
    assert_eq!(index, w.cipher.blind_index("phone", "13905591234"));
    let plain = w
        .cipher
        .open(&format!("case:{}:reporter_phone", reg.number), &sealed)
        .unwrap();
    assert_eq!(plain, b"13905591234");
    assert!(
        w.cipher
            .open(&format!("case:{}:reporter_phone", second.number), &sealed)
            .is_err(),
        "a ciphertext moved to another case does not open"
    );

    let s = cases::act(&on(&w, &insp, "2023-10-09"), reg.id, 1, Action::Accept, &none())
        .await
        .unwrap();
    assert_eq!(s, Status::Accepted);
    let s = cases::act(&on(&w, &insp, "2023-10-10"), reg.id, 2, Action::Investigate, &none())
        .await
        .unwrap();
    assert_eq!(s, Status::Investigating);
    let close = ActionInput {
        conclusion: "已全额支付".into(),
        amount_recovered: "86400".into(),
        workers_paid: "12人".into(),
        note: "责令限期支付，已全额发放".into(),
        ..ActionInput::default()
    };
    let s = cases::act(&on(&w, &insp, "2023-11-20"), reg.id, 3, Action::Close, &close)
        .await
        .unwrap();
    assert_eq!(s, Status::Closed);
    let s = cases::act(
        &on(&w, &insp, "2023-11-27"),
        reg.id,
        4,
        Action::FollowUp,
        &reason("电话回访，工资已到账"),
    )
    .await
    .unwrap();
    assert_eq!(s, Status::FollowedUp);

    let (row, evs) = cases::get(&w.db, &insp, reg.id).await.unwrap();
    assert_eq!(row.state(), Some(Status::FollowedUp));
    assert_eq!(row.version, 5);
    assert_eq!(row.accepted_on, Some(d("2023-10-09")));
    assert_eq!(row.closed_on, Some(d("2023-11-20")));
    assert_eq!(row.amount_recovered_fen, Some(8_640_000));
    assert_eq!(row.workers_paid, Some(12));
    assert_eq!(row.conclusion, "已全额支付");
    assert_eq!(row.due_on, None, "no time limit runs once closed");
    let trail: Vec<(String, String, String, i64)> = evs
        .iter()
        .map(|e| (e.action.clone(), e.from_status.clone(), e.to_status.clone(), e.version))
        .collect();
    assert_eq!(
        trail,
        [
            ("register", "", "registered", 1),
            ("accept", "registered", "accepted", 2),
            ("investigate", "accepted", "investigating", 3),
            ("close", "investigating", "closed", 4),
            ("follow_up", "closed", "followed_up", 5),
        ]
        .map(|(a, f, t, v)| (a.to_string(), f.to_string(), t.to_string(), v))
    );
    assert!(
        evs[3].data.contains("\"amount_recovered_fen\":8640000"),
        "{}",
        evs[3].data
    );
    assert_eq!(evs[4].note, "电话回访，工资已到账");
    assert_eq!(evs[4].actor_name, "insp1");
    for a in [
        "case.register",
        "case.accept",
        "case.investigate",
        "case.close",
        "case.follow_up",
    ] {
        assert!(audited(&w.db, a).await >= 1, "{a}");
    }
    assert_eq!(audited(&w.db, "case.register").await, 2);
    // The audit trail holds no personal information of the reporter.
    let leaked =
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new(
                "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%13905591234%' OR detail LIKE '%张小三%'",
            ))
            .await
            .unwrap();
    assert_eq!(leaked, 0);
}

async fn refused_actions_change_nothing(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let other = w.scoped("insp2", Role::Inspector, "341022").await;
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let reg = cases::register(&on(&w, &insp, "2023-09-28"), &hotline("2023-09-27"))
        .await
        .unwrap();
    let snapshot = async |id| {
        let (r, e) = cases::get(&w.db, &insp, id).await.unwrap();
        (r.status, r.version, r.updated_at, r.due_on, r.county_code, e.len())
    };
    let before = snapshot(reg.id).await;
    let audit_before = count(&w.db, "SELECT COUNT(*) FROM audit_log").await;
    let everything = ActionInput {
        reason: "理由".into(),
        note: "说明".into(),
        conclusion: "已全额支付".into(),
        amount_recovered: "100".into(),
        workers_paid: "1".into(),
        region: "海阳镇".into(),
    };
    // From 登记 an inspector may only accept, refuse or transfer.
    for a in Action::ALL {
        if matches!(a, Action::Accept | Action::Reject | Action::Transfer) {
            continue;
        }
        let e = cases::act(&on(&w, &insp, "2023-09-29"), reg.id, 1, a, &everything)
            .await
            .unwrap_err();
        match (a, e) {
            (Action::Urge, AppError::Forbidden) => {}
            (_, AppError::Conflict(m)) => assert!(m.contains("当前为“登记”"), "{a:?}: {m}"),
            (a, e) => panic!("{a:?}: {e:?}"),
        }
        assert_eq!(snapshot(reg.id).await, before, "{a:?}");
    }
    // The lead reads but never acts; the office does not accept.
    for actor in [&lead, &office] {
        let e = cases::act(&on(&w, actor, "2023-09-29"), reg.id, 1, Action::Accept, &none())
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden), "{e:?}");
    }
    assert!(cases::get(&w.db, &lead, reg.id).await.is_ok());
    // Outside the scope the case does not exist.
    let e = cases::act(&on(&w, &other, "2023-09-29"), reg.id, 1, Action::Accept, &none())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    assert!(matches!(
        cases::get(&w.db, &other, reg.id).await,
        Err(AppError::NotFound)
    ));
    // 不予受理 needs its reason.
    let e = cases::act(&on(&w, &insp, "2023-09-29"), reg.id, 1, Action::Reject, &none())
        .await
        .unwrap_err();
    match e {
        AppError::Validation(fe) => assert_eq!(fe.get("reason"), Some("请填写不予受理理由")),
        other => panic!("{other:?}"),
    }
    // A stale version.
    let m = conflict(
        cases::act(&on(&w, &insp, "2023-09-29"), reg.id, 7, Action::Accept, &none())
            .await
            .unwrap_err(),
    );
    assert!(m.contains("已被他人办理"), "{m}");
    assert_eq!(snapshot(reg.id).await, before);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM audit_log").await, audit_before);

    // A refused case is final.
    cases::act(
        &on(&w, &insp, "2023-09-29"),
        reg.id,
        1,
        Action::Reject,
        &reason("不属于劳动保障监察管辖"),
    )
    .await
    .unwrap();
    let before = snapshot(reg.id).await;
    for a in Action::ALL {
        for actor in [&insp, &office] {
            let e = cases::act(&on(&w, actor, "2023-10-09"), reg.id, 2, a, &everything)
                .await
                .unwrap_err();
            assert!(conflict(e).contains("当前为“不予受理”"), "{a:?}");
        }
    }
    assert_eq!(snapshot(reg.id).await, before);
    let (row, _) = cases::get(&w.db, &insp, reg.id).await.unwrap();
    assert_eq!(row.closed_on, Some(d("2023-09-29")));
}

async fn due_dates_over_national_day_and_lists(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let call = on(&w, &insp, "2023-09-28");
    // Received Wednesday 27 September: 9-28, 10-07 (Sat, 调休), 10-08 (Sun, 调休), 10-09, 10-10.
    let a = cases::register(&call, &hotline("2023-09-27")).await.unwrap();
    let p = cases::register(&call, &platform("2023-09-27", "XS2023-0001"))
        .await
        .unwrap();
    let late = cases::register(&call, &hotline("2023-09-28")).await.unwrap();
    for id in [a.id, p.id, late.id] {
        let (r, _) = cases::get(&w.db, &insp, id).await.unwrap();
        assert_eq!(
            r.accept_due,
            if id == late.id {
                d("2023-10-11")
            } else {
                d("2023-10-10")
            }
        );
    }
    // Accepted on Monday 9 October: 60 working days end on 2 January 2024
    // (30 December to 1 January off); a platform clue's limit counts 10
    // working days from receipt.
    cases::act(&on(&w, &insp, "2023-10-09"), a.id, 1, Action::Accept, &none())
        .await
        .unwrap();
    cases::act(&on(&w, &insp, "2023-10-09"), p.id, 1, Action::Accept, &none())
        .await
        .unwrap();
    let (ra, _) = cases::get(&w.db, &insp, a.id).await.unwrap();
    assert_eq!(ra.handle_due, Some(d("2024-01-02")));
    assert_eq!(ra.due_on, Some(d("2024-01-02")));
    let (rp, _) = cases::get(&w.db, &insp, p.id).await.unwrap();
    assert_eq!(rp.handle_due, Some(d("2023-10-17")));

    // The office's setting applies to clues accepted afterwards.
    let e = cases::set_platform_days(&on(&w, &insp, "2023-10-09"), "15")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden));
    assert_eq!(
        cases::set_platform_days(&on(&w, &office, "2023-10-09"), "15")
            .await
            .unwrap(),
        15
    );
    assert_eq!(cases::limits(&w.db).await.unwrap().platform_days, 15);
    let p2 = cases::register(&on(&w, &insp, "2023-10-09"), &platform("2023-09-27", "XS2023-0002"))
        .await
        .unwrap();
    cases::act(&on(&w, &insp, "2023-10-09"), p2.id, 1, Action::Accept, &none())
        .await
        .unwrap();
    let (r2, _) = cases::get(&w.db, &insp, p2.id).await.unwrap();
    assert_eq!(r2.handle_due, Some(d("2023-10-24")));

    // On 11 October: `late` (due today) is near due, nothing is overdue
    // yet; on 12 October `late` is overdue and listed first.
    let near = CaseFilter {
        timing: Some(Timing::NearDue),
        ..CaseFilter::default()
    };
    let (rows, n) = cases::list(&w.db, &insp, &near, d("2023-10-11"), 50, 0).await.unwrap();
    let numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(n, 1, "{numbers:?}");
    assert_eq!(numbers, [late.number.as_str()]);
    let overdue = CaseFilter {
        timing: Some(Timing::Overdue),
        ..CaseFilter::default()
    };
    assert_eq!(
        cases::list(&w.db, &insp, &overdue, d("2023-10-11"), 50, 0)
            .await
            .unwrap()
            .1,
        0
    );
    let (rows, n) = cases::list(&w.db, &insp, &overdue, d("2023-10-18"), 50, 0)
        .await
        .unwrap();
    let numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(n, 2);
    assert_eq!(numbers, [late.number.as_str(), p.number.as_str()], "earliest due first");
    let (all, n) = cases::list(&w.db, &insp, &CaseFilter::default(), d("2023-10-12"), 2, 0)
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(all[0].number, late.number, "overdue first");
    assert_eq!(all[0].timing(d("2023-10-12"), d("2023-10-17")), Timing::Overdue);
    let (page2, _) = cases::list(&w.db, &insp, &CaseFilter::default(), d("2023-10-12"), 2, 2)
        .await
        .unwrap();
    assert_eq!(page2.len(), 2);
    assert!(page2.iter().all(|r| all.iter().all(|x| x.id != r.id)));
    // Filters.
    let plat = CaseFilter {
        source: Some(Source::Platform),
        ..CaseFilter::default()
    };
    assert_eq!(
        cases::list(&w.db, &insp, &plat, d("2023-10-12"), 50, 0)
            .await
            .unwrap()
            .1,
        2
    );
    let accepted = CaseFilter {
        status: Some(Status::Accepted),
        county: Some(code("341021")),
        ..CaseFilter::default()
    };
    assert_eq!(
        cases::list(&w.db, &insp, &accepted, d("2023-10-12"), 50, 0)
            .await
            .unwrap()
            .1,
        3
    );
    let elsewhere = CaseFilter {
        county: Some(code("341022")),
        ..CaseFilter::default()
    };
    assert_eq!(
        cases::list(&w.db, &insp, &elsewhere, d("2023-10-12"), 50, 0)
            .await
            .unwrap()
            .1,
        0
    );
    // A year whose arrangement is not loaded is an error, not an ordinary week.
    let e = cases::list(&w.db, &insp, &CaseFilter::default(), d("2027-03-01"), 50, 0)
        .await
        .unwrap_err();
    assert!(conflict(e).contains("2027年的节假日安排尚未载入"));
}

async fn extension_once_only(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let reg = cases::register(&on(&w, &insp, "2023-09-28"), &hotline("2023-09-27"))
        .await
        .unwrap();
    cases::act(&on(&w, &insp, "2023-10-09"), reg.id, 1, Action::Accept, &none())
        .await
        .unwrap();
    // Not before the investigation, and not by the inspector.
    let m = conflict(
        cases::act(
            &on(&w, &office, "2023-10-09"),
            reg.id,
            2,
            Action::Extend,
            &reason("案情复杂"),
        )
        .await
        .unwrap_err(),
    );
    assert!(m.contains("当前为“受理”"), "{m}");
    cases::act(&on(&w, &insp, "2023-10-10"), reg.id, 2, Action::Investigate, &none())
        .await
        .unwrap();
    let e = cases::act(
        &on(&w, &insp, "2023-12-01"),
        reg.id,
        3,
        Action::Extend,
        &reason("案情复杂"),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::Forbidden), "{e:?}");
    // 2 January 2024 + 30 working days: Sunday 4 and Sunday 18 February are
    // make-up working days around the Spring Festival (10–17 February off).
    cases::act(
        &on(&w, &office, "2023-12-01"),
        reg.id,
        3,
        Action::Extend,
        &reason("涉及人数多，需调取项目工资专户流水"),
    )
    .await
    .unwrap();
    let (row, _) = cases::get(&w.db, &insp, reg.id).await.unwrap();
    assert!(row.extended);
    assert_eq!(row.handle_due, Some(d("2024-02-18")));
    assert_eq!(row.due_on, Some(d("2024-02-18")));
    let m = conflict(
        cases::act(
            &on(&w, &office, "2024-01-05"),
            reg.id,
            4,
            Action::Extend,
            &reason("再次延期"),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(m, "该案件已延期一次，不能再次延期。");
    assert_eq!(events(&w.db, reg.id).await, 4);
    // 督办 by the office counts and leaves the status.
    assert_eq!(
        cases::act(
            &on(&w, &office, "2024-01-05"),
            reg.id,
            4,
            Action::Urge,
            &reason("请加快办理")
        )
        .await
        .unwrap(),
        Status::Investigating
    );
    let (row, _) = cases::get(&w.db, &insp, reg.id).await.unwrap();
    assert_eq!((row.urged, row.version), (1, 5));
    assert_eq!(audited(&w.db, "case.extend").await, 1);
    assert_eq!(audited(&w.db, "case.urge").await, 1);
}

async fn transfer_moves_county_and_scope(db: Db) {
    let w = World::new(db).await;
    let shexian = w.scoped("insp1", Role::Inspector, "341021").await;
    let xiuning = w.scoped("insp2", Role::Inspector, "341022").await;
    let reg = cases::register(&on(&w, &shexian, "2023-09-28"), &hotline("2023-09-27"))
        .await
        .unwrap();
    cases::act(&on(&w, &shexian, "2023-10-09"), reg.id, 1, Action::Accept, &none())
        .await
        .unwrap();
    // Within the same county is not a transfer.
    let same = ActionInput {
        region: "深渡镇".into(),
        reason: "发生地有误".into(),
        ..ActionInput::default()
    };
    let e = cases::act(&on(&w, &shexian, "2023-10-10"), reg.id, 2, Action::Transfer, &same)
        .await
        .unwrap_err();
    match e {
        AppError::Validation(fe) => assert!(fe.get("region").unwrap().starts_with("转办应转至其他区县")),
        other => panic!("{other:?}"),
    }
    let to = ActionInput {
        region: "海阳镇".into(),
        reason: "用工项目位于休宁县".into(),
        ..ActionInput::default()
    };
    let s = cases::act(&on(&w, &shexian, "2023-10-10"), reg.id, 2, Action::Transfer, &to)
        .await
        .unwrap();
    assert_eq!(s, Status::Registered);
    assert!(matches!(
        cases::get(&w.db, &shexian, reg.id).await,
        Err(AppError::NotFound)
    ));
    let (row, evs) = cases::get(&w.db, &xiuning, reg.id).await.unwrap();
    assert_eq!(row.county_code, code("341022").as_i64());
    assert_eq!(row.region_code, code("341022100").as_i64());
    assert_eq!(row.region_name, "海阳镇");
    assert_eq!(row.accepted_on, None);
    assert_eq!(row.handle_due, None);
    assert_eq!(row.accept_due, d("2023-10-17"), "5 working days from the transfer");
    assert_eq!(evs.last().unwrap().note, "用工项目位于休宁县");
    assert!(evs.last().unwrap().data.contains("\"to_region\":341022100000"));
    cases::act(&on(&w, &xiuning, "2023-10-11"), reg.id, 3, Action::Accept, &none())
        .await
        .unwrap();
    let xiuning_only = CaseFilter {
        county: Some(code("341022")),
        ..CaseFilter::default()
    };
    assert_eq!(
        cases::list(&w.db, &xiuning, &xiuning_only, d("2023-10-11"), 10, 0)
            .await
            .unwrap()
            .1,
        1
    );
    assert_eq!(
        cases::list(&w.db, &shexian, &CaseFilter::default(), d("2023-10-11"), 10, 0)
            .await
            .unwrap()
            .1,
        0
    );
}

async fn concurrent_officers_one_wins(db: Db) {
    let w = World::new(db).await;
    let a = w.scoped("insp1", Role::Inspector, "341021").await;
    let b = w.scoped("insp2", Role::Local, "341021").await;
    for round in 0..4 {
        let reg = cases::register(&on(&w, &a, "2023-09-28"), &hotline("2023-09-27"))
            .await
            .unwrap();
        let ca = on(&w, &a, "2023-09-29");
        let cb = on(&w, &b, "2023-09-29");
        let refuse = reason("不属于欠薪");
        let accept = none();
        let (ra, rb) = tokio::join!(
            cases::act(&ca, reg.id, 1, Action::Accept, &accept),
            cases::act(&cb, reg.id, 1, Action::Reject, &refuse),
        );
        let (won, lost) = match (ra, rb) {
            (Ok(s), Err(e)) | (Err(e), Ok(s)) => (s, e),
            other => panic!("round {round}: expected exactly one success, got {other:?}"),
        };
        let m = conflict(lost);
        assert!(m.contains("已被他人办理") && m.contains(&reg.number), "{m}");
        assert_eq!(events(&w.db, reg.id).await, 2, "round {round}: one new event");
        let (row, evs) = cases::get(&w.db, &a, reg.id).await.unwrap();
        assert_eq!(row.version, 2);
        assert_eq!(row.state(), Some(won));
        assert_eq!(evs[1].to_status, won.code());
    }
    assert_eq!(
        audited(&w.db, "case.accept").await + audited(&w.db, "case.reject").await,
        4
    );
}

async fn registration_is_validated_and_scoped(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    let call = on(&w, &insp, "2023-09-28");
    let mut bad = hotline("2023-09-27");
    bad.amount_claimed = "0".into();
    bad.workers = "0".into();
    bad.project_name = String::new();
    match cases::register(&call, &bad).await.unwrap_err() {
        AppError::Validation(fe) => {
            assert_eq!(fe.get("amount_claimed"), Some("反映欠薪金额应大于0"));
            assert_eq!(fe.get("workers"), Some("涉及人数应为1至100000人"));
            assert_eq!(fe.get("project_name"), Some("请填写工程项目名称"));
        }
        other => panic!("{other:?}"),
    }
    // A township outside the registrar's scope.
    let mut far = hotline("2023-09-27");
    far.region = "海阳镇".into();
    match cases::register(&call, &far).await.unwrap_err() {
        AppError::Validation(fe) => assert_eq!(fe.get("region"), Some("该欠薪发生地不在您的数据范围内")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        cases::register(&on(&w, &lead, "2023-09-28"), &hotline("2023-09-27")).await,
        Err(AppError::Forbidden)
    ));
    // A platform clue number is registered once.
    cases::register(&call, &platform("2023-09-27", "XS2023-0009"))
        .await
        .unwrap();
    match cases::register(&call, &platform("2023-09-27", "xs2023-0009"))
        .await
        .unwrap_err()
    {
        AppError::Validation(fe) => {
            assert_eq!(
                fe.get("clue_no"),
                Some("该平台线索编号已登记（案件编号HS2023-000001），请勿重复登记")
            )
        }
        other => panic!("{other:?}"),
    }
    // A linked worker must be in the registrar's worker scope.
    let mut linked = hotline("2023-09-27");
    linked.worker_id = Some(999_999);
    linked.reporter_name = String::new();
    match cases::register(&call, &linked).await.unwrap_err() {
        AppError::Validation(fe) => assert!(fe.get("worker_id").is_some()),
        other => panic!("{other:?}"),
    }
    // A year without a loaded holiday arrangement cannot get a deadline.
    let e = cases::register(&on(&w, &insp, "2027-01-05"), &hotline("2027-01-04"))
        .await
        .unwrap_err();
    match e {
        AppError::Validation(fe) => assert!(fe.get("received_on").unwrap().contains("2027年的节假日安排尚未载入")),
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM case_events").await, 1);
}
