//! Wage-arrears cases: registration, the workflow, deadlines on the stored
//! holiday calendar, scope and concurrent officers, on SQLite and PostgreSQL.

use crate::common::*;
use shiminhua_core::ids::CaseId;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shiminhua_app::rights::cases::{self, CaseFilter};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::testing::TempDir;
use shiminhua_app::{AppError, Call, both};
use shiminhua_core::auth::{Actor, Role};
use shiminhua_core::case::{Action, ActionInput, CaseInput, CaseStatus, Source, Timing};
use shiminhua_core::credit_code::CreditCode;

both!(
    register_accept_investigate_close_follow_up,
    refused_actions_change_nothing,
    due_dates_over_national_day_and_lists,
    extension_once_only,
    transfer_moves_county_and_scope,
    concurrent_officers_one_wins,
    registration_is_validated_and_scoped,
    public_registration_and_lookup,
    attachments_are_checked,
    platform_list_import_deduplicates_on_clue_number,
    deadlines_into_a_year_not_loaded_are_provisional,
    list_pages_follow_one_order_across_parts,
    the_same_form_registers_once,
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
    let (row, evs) = cases::get(&w.db, &insp, CaseId(reg.id)).await.unwrap();
    assert_eq!(row.reporter_name_masked, "张**");
    assert_eq!(row.reporter_phone_masked, "139****1234");
    assert!(row.reporter_id_masked.contains('*'));
    assert_eq!(row.amount_claimed_fen, 8_640_000);
    assert_eq!(row.state(), Some(CaseStatus::Registered));
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

    let s = cases::act(&on(&w, &insp, "2023-10-09"), CaseId(reg.id), 1, Action::Accept, &none())
        .await
        .unwrap();
    assert_eq!(s, CaseStatus::Accepted);
    let s = cases::act(
        &on(&w, &insp, "2023-10-10"),
        CaseId(reg.id),
        2,
        Action::Investigate,
        &none(),
    )
    .await
    .unwrap();
    assert_eq!(s, CaseStatus::Investigating);
    let close = ActionInput {
        conclusion: "已全额支付".into(),
        amount_recovered: "86400".into(),
        workers_paid: "12人".into(),
        note: "责令限期支付，已全额发放".into(),
        ..ActionInput::default()
    };
    let s = cases::act(&on(&w, &insp, "2023-11-20"), CaseId(reg.id), 3, Action::Close, &close)
        .await
        .unwrap();
    assert_eq!(s, CaseStatus::Closed);
    let s = cases::act(
        &on(&w, &insp, "2023-11-27"),
        CaseId(reg.id),
        4,
        Action::FollowUp,
        &reason("电话回访，工资已到账"),
    )
    .await
    .unwrap();
    assert_eq!(s, CaseStatus::FollowedUp);

    let (row, evs) = cases::get(&w.db, &insp, CaseId(reg.id)).await.unwrap();
    assert_eq!(row.state(), Some(CaseStatus::FollowedUp));
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
    let before = snapshot(CaseId(reg.id)).await;
    let audit_before = count(&w.db, "SELECT COUNT(*) FROM audit_log").await;
    let everything = ActionInput {
        reason: "理由".into(),
        note: "说明".into(),
        conclusion: "已全额支付".into(),
        amount_recovered: "100".into(),
        workers_paid: "1".into(),
        region: "海阳镇".into(),
        public_reply: "答复".into(),
    };
    // From 登记 an inspector may only accept, refuse or transfer.
    for a in Action::ALL {
        if matches!(a, Action::Accept | Action::Reject | Action::Transfer) {
            continue;
        }
        let e = cases::act(&on(&w, &insp, "2023-09-29"), CaseId(reg.id), 1, a, &everything)
            .await
            .unwrap_err();
        match (a, e) {
            (Action::Urge, AppError::Forbidden) => {}
            (_, AppError::Conflict(m)) => assert!(m.contains("当前为“登记”"), "{a:?}: {m}"),
            (a, e) => panic!("{a:?}: {e:?}"),
        }
        assert_eq!(snapshot(CaseId(reg.id)).await, before, "{a:?}");
    }
    // The lead reads but never acts; the office does not accept.
    for actor in [&lead, &office] {
        let e = cases::act(&on(&w, actor, "2023-09-29"), CaseId(reg.id), 1, Action::Accept, &none())
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden), "{e:?}");
    }
    assert!(cases::get(&w.db, &lead, CaseId(reg.id)).await.is_ok());
    // Outside the scope the case does not exist.
    let e = cases::act(
        &on(&w, &other, "2023-09-29"),
        CaseId(reg.id),
        1,
        Action::Accept,
        &none(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    assert!(matches!(
        cases::get(&w.db, &other, CaseId(reg.id)).await,
        Err(AppError::NotFound)
    ));
    // 不予受理 needs its reason.
    let e = cases::act(&on(&w, &insp, "2023-09-29"), CaseId(reg.id), 1, Action::Reject, &none())
        .await
        .unwrap_err();
    match e {
        AppError::Validation(fe) => assert_eq!(fe.get("reason"), Some("请填写不予受理理由")),
        other => panic!("{other:?}"),
    }
    // A stale version.
    let m = conflict(
        cases::act(&on(&w, &insp, "2023-09-29"), CaseId(reg.id), 7, Action::Accept, &none())
            .await
            .unwrap_err(),
    );
    assert!(m.contains("已被他人办理"), "{m}");
    assert_eq!(snapshot(CaseId(reg.id)).await, before);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM audit_log").await, audit_before);

    // A refused case is final.
    cases::act(
        &on(&w, &insp, "2023-09-29"),
        CaseId(reg.id),
        1,
        Action::Reject,
        &reason("不属于劳动保障监察管辖"),
    )
    .await
    .unwrap();
    let before = snapshot(CaseId(reg.id)).await;
    for a in Action::ALL {
        for actor in [&insp, &office] {
            let e = cases::act(&on(&w, actor, "2023-10-09"), CaseId(reg.id), 2, a, &everything)
                .await
                .unwrap_err();
            assert!(conflict(e).contains("当前为“不予受理”"), "{a:?}");
        }
    }
    assert_eq!(snapshot(CaseId(reg.id)).await, before);
    let (row, _) = cases::get(&w.db, &insp, CaseId(reg.id)).await.unwrap();
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
        let (r, _) = cases::get(&w.db, &insp, CaseId(id)).await.unwrap();
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
    cases::act(&on(&w, &insp, "2023-10-09"), CaseId(a.id), 1, Action::Accept, &none())
        .await
        .unwrap();
    cases::act(&on(&w, &insp, "2023-10-09"), CaseId(p.id), 1, Action::Accept, &none())
        .await
        .unwrap();
    let (ra, _) = cases::get(&w.db, &insp, CaseId(a.id)).await.unwrap();
    assert_eq!(ra.handle_due, Some(d("2024-01-02")));
    assert_eq!(ra.due_on, Some(d("2024-01-02")));
    let (rp, _) = cases::get(&w.db, &insp, CaseId(p.id)).await.unwrap();
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
    cases::act(&on(&w, &insp, "2023-10-09"), CaseId(p2.id), 1, Action::Accept, &none())
        .await
        .unwrap();
    let (r2, _) = cases::get(&w.db, &insp, CaseId(p2.id)).await.unwrap();
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
        status: Some(CaseStatus::Accepted),
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
    // Beyond the two years taken as ordinary, a list is an error.
    let e = cases::list(&w.db, &insp, &CaseFilter::default(), d("2029-03-01"), 50, 0)
        .await
        .unwrap_err();
    assert!(conflict(e).contains("2029年的节假日安排尚未载入"));
}

async fn extension_once_only(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let reg = cases::register(&on(&w, &insp, "2023-09-28"), &hotline("2023-09-27"))
        .await
        .unwrap();
    cases::act(&on(&w, &insp, "2023-10-09"), CaseId(reg.id), 1, Action::Accept, &none())
        .await
        .unwrap();
    // Not before the investigation, and not by the inspector.
    let m = conflict(
        cases::act(
            &on(&w, &office, "2023-10-09"),
            CaseId(reg.id),
            2,
            Action::Extend,
            &reason("案情复杂"),
        )
        .await
        .unwrap_err(),
    );
    assert!(m.contains("当前为“受理”"), "{m}");
    cases::act(
        &on(&w, &insp, "2023-10-10"),
        CaseId(reg.id),
        2,
        Action::Investigate,
        &none(),
    )
    .await
    .unwrap();
    let e = cases::act(
        &on(&w, &insp, "2023-12-01"),
        CaseId(reg.id),
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
        CaseId(reg.id),
        3,
        Action::Extend,
        &reason("涉及人数多，需调取项目工资专户流水"),
    )
    .await
    .unwrap();
    let (row, _) = cases::get(&w.db, &insp, CaseId(reg.id)).await.unwrap();
    assert!(row.extended);
    assert_eq!(row.handle_due, Some(d("2024-02-18")));
    assert_eq!(row.due_on, Some(d("2024-02-18")));
    let m = conflict(
        cases::act(
            &on(&w, &office, "2024-01-05"),
            CaseId(reg.id),
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
            CaseId(reg.id),
            4,
            Action::Urge,
            &reason("请加快办理")
        )
        .await
        .unwrap(),
        CaseStatus::Investigating
    );
    let (row, _) = cases::get(&w.db, &insp, CaseId(reg.id)).await.unwrap();
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
    cases::act(
        &on(&w, &shexian, "2023-10-09"),
        CaseId(reg.id),
        1,
        Action::Accept,
        &none(),
    )
    .await
    .unwrap();
    // Within the same county is not a transfer.
    let same = ActionInput {
        region: "深渡镇".into(),
        reason: "发生地有误".into(),
        ..ActionInput::default()
    };
    let e = cases::act(
        &on(&w, &shexian, "2023-10-10"),
        CaseId(reg.id),
        2,
        Action::Transfer,
        &same,
    )
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
    let s = cases::act(
        &on(&w, &shexian, "2023-10-10"),
        CaseId(reg.id),
        2,
        Action::Transfer,
        &to,
    )
    .await
    .unwrap();
    assert_eq!(s, CaseStatus::Registered);
    assert!(matches!(
        cases::get(&w.db, &shexian, CaseId(reg.id)).await,
        Err(AppError::NotFound)
    ));
    let (row, evs) = cases::get(&w.db, &xiuning, CaseId(reg.id)).await.unwrap();
    assert_eq!(row.county_code, code("341022").as_i64());
    assert_eq!(row.region_code, code("341022100").as_i64());
    assert_eq!(row.region_name, "海阳镇");
    assert_eq!(row.accepted_on, None);
    assert_eq!(row.handle_due, None);
    assert_eq!(row.accept_due, d("2023-10-17"), "5 working days from the transfer");
    assert_eq!(evs.last().unwrap().note, "用工项目位于休宁县");
    assert!(evs.last().unwrap().data.contains("\"to_region\":341022100000"));
    cases::act(
        &on(&w, &xiuning, "2023-10-11"),
        CaseId(reg.id),
        3,
        Action::Accept,
        &none(),
    )
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
            cases::act(&ca, CaseId(reg.id), 1, Action::Accept, &accept),
            cases::act(&cb, CaseId(reg.id), 1, Action::Reject, &refuse),
        );
        let (won, lost) = match (ra, rb) {
            (Ok(s), Err(e)) | (Err(e), Ok(s)) => (s, e),
            other => panic!("round {round}: expected exactly one success, got {other:?}"),
        };
        let m = conflict(lost);
        assert!(m.contains("已被他人办理") && m.contains(&reg.number), "{m}");
        assert_eq!(events(&w.db, reg.id).await, 2, "round {round}: one new event");
        let (row, evs) = cases::get(&w.db, &a, CaseId(reg.id)).await.unwrap();
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
            assert_eq!(
                fe.get("project_name"),
                Some("工程建设领域的，请填写工程项目名称或施工总承包单位名称（填一项即可）")
            );
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
    // Two years past the last loaded arrangement (2026) are taken as
    // ordinary; a deadline further on cannot be given.
    let e = cases::register(&on(&w, &insp, "2029-01-05"), &hotline("2029-01-04"))
        .await
        .unwrap_err();
    match e {
        AppError::Validation(fe) => assert!(fe.get("received_on").unwrap().contains("2029年的节假日安排尚未载入")),
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM case_events").await, 1);
}

async fn public_registration_and_lookup(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let mut input = hotline("2023-01-01");
    // What the public cannot choose: the source, the date, a worker link.
    input.source = "全国根治欠薪线索反映平台".into();
    input.clue_no = "XS-FAKE-1".into();
    input.worker_id = Some(1);
    let reg = cases::register_public(&w.db, &w.cipher, at("2023-09-28"), &input)
        .await
        .unwrap();
    let (row, evs) = cases::get(&w.db, &insp, CaseId(reg.id)).await.unwrap();
    assert_eq!(row.source, Source::Online.code());
    assert_eq!(row.received_on, d("2023-09-28"));
    assert_eq!((row.clue_no.as_deref(), row.worker_id), (None, None));
    assert_eq!(row.created_by, cases::PUBLIC_WRITER);
    assert_eq!(evs[0].actor_name, cases::PUBLIC_WRITER);
    assert_eq!(row.reporter_phone_masked, "139****1234");
    // The phone is sealed: its digits are nowhere in the row.
    let raw: Vec<u8> =
        w.db.read()
            .await
            .unwrap()
            .one::<(Vec<u8>,)>(Sql::new("SELECT reporter_phone_sealed FROM cases WHERE id = $1").bind(reg.id))
            .await
            .unwrap()
            .0;
    assert!(!raw.windows(11).any(|x| x == b"13905591234"));
    // Recorded by its first event, not in the audit trail.
    assert_eq!(audited(&w.db, "case.register").await, 0);

    let view = cases::public_view(
        &w.db,
        &w.cipher,
        &reg.number.to_lowercase(),
        &reg.query_code.to_lowercase(),
    )
    .await
    .unwrap()
    .expect("number and code match");
    assert_eq!(view.status, "已登记，待受理");
    assert!(view.replies.is_empty());
    // A wrong code and an unknown number give the same answer.
    assert!(
        cases::public_view(&w.db, &w.cipher, &reg.number, "AAAAAAAA")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        cases::public_view(&w.db, &w.cipher, "HS2023-999999", &reg.query_code)
            .await
            .unwrap()
            .is_none()
    );

    let step = ActionInput {
        note: "内部意见：施工方负责人已约谈".into(),
        public_reply: "您反映的问题已受理，正在核查。".into(),
        ..ActionInput::default()
    };
    cases::act(&on(&w, &insp, "2023-09-28"), CaseId(reg.id), 1, Action::Accept, &step)
        .await
        .unwrap();
    cases::act(
        &on(&w, &insp, "2023-10-09"),
        CaseId(reg.id),
        2,
        Action::Investigate,
        &none(),
    )
    .await
    .unwrap();
    let view = cases::public_view(&w.db, &w.cipher, &reg.number, &reg.query_code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.status, "调查处理中");
    assert_eq!(
        view.replies,
        vec![(d("2023-09-28"), "您反映的问题已受理，正在核查。".to_string())]
    );
    // A township outside the city is refused like on the staff form.
    let mut far = hotline("2023-09-27");
    far.region = "不存在镇".into();
    assert!(matches!(
        cases::register_public(&w.db, &w.cipher, at("2023-09-28"), &far).await,
        Err(AppError::Validation(_))
    ));
}

async fn attachments_are_checked(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let other = w.scoped("insp2", Role::Inspector, "341022").await;
    let call = on(&w, &insp, "2023-09-28");
    let reg = cases::register(&call, &hotline("2023-09-27")).await.unwrap();
    let pdf = b"%PDF-1.4 wage list".to_vec();
    let id = cases::add_file(&call, CaseId(reg.id), "工资表.pdf", &pdf)
        .await
        .unwrap();
    let refused = |e: AppError| match e {
        AppError::Validation(fe) => fe.get("file").unwrap_or_default().to_string(),
        other => panic!("{other:?}"),
    };
    let m = refused(
        cases::add_file(&call, CaseId(reg.id), "run.exe", b"MZ...")
            .await
            .unwrap_err(),
    );
    assert!(m.contains("类型不能上传"), "{m}");
    let m = refused(
        cases::add_file(&call, CaseId(reg.id), "假的.pdf", b"not a pdf")
            .await
            .unwrap_err(),
    );
    assert!(m.contains("假的.pdf"), "{m}");
    let mut big = b"%PDF-".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'x');
    let m = refused(
        cases::add_file(&call, CaseId(reg.id), "大.pdf", &big)
            .await
            .unwrap_err(),
    );
    assert!(m.contains("超过10MB"), "{m}");
    let list = cases::files(&w.db, &insp, CaseId(reg.id)).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].name.as_str(), list[0].mime.as_str()),
        ("工资表.pdf", "application/pdf")
    );
    let (name, _, data) = cases::file(&w.db, &insp, CaseId(reg.id), id).await.unwrap();
    assert_eq!((name.as_str(), data), ("工资表.pdf", pdf));
    assert!(matches!(
        cases::file(&w.db, &other, CaseId(reg.id), id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        cases::add_file(&on(&w, &other, "2023-09-28"), CaseId(reg.id), "b.pdf", b"%PDF-1").await,
        Err(AppError::NotFound)
    ));
    assert_eq!(audited(&w.db, "case.attach").await, 1);
}

async fn platform_list_import_deduplicates_on_clue_number(db: Db) {
    use shiminhua_app::registry::import::{self, ImportKind, Options};
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let call = on(&w, &insp, "2023-09-28");
    let known = cases::register(&call, &platform("2023-09-20", "XS2023-0001"))
        .await
        .unwrap();
    let dir = TempDir::new("platform-import");
    let header = "平台线索编号,转办日期,反映人,联系电话,反映人身份证号,被反映单位,统一社会信用代码,单位地址,行业领域,\
                  项目名称,总承包单位信用代码,涉及人数,欠薪金额（元）,欠薪起始日期,欠薪截止日期,欠薪发生地（乡镇/街道）,反映内容";
    let row = |clue: &str, amount: &str, region: &str| {
        format!(
            "{clue},2023-09-26,李四,13900000001,,黄山某餐饮有限公司,,,餐饮,,,3,{amount},2023-06-01,2023-08-31,{region},拖欠三个月工资\n"
        )
    };
    let csv = format!(
        "{header}\n{}{}{}{}{}{}",
        row("XS2023-0001", "9000", "徽城镇"),
        row("XS2023-0002", "\"9,000\"", "徽城镇"),
        row("xs2023-0002", "9000", "徽城镇"),
        row("XS2023-0003", "九千", "徽城镇"),
        row("XS2023-0004", "9000", "海阳镇"),
        row("XS2023-0005", "12000.50", "341021100"),
    );
    let path = dir.0.join("平台转办.csv");
    std::fs::write(&path, csv).unwrap();
    let target = ImportKind::parse("platform_case").unwrap();
    let dry = import::run(
        &call,
        target,
        &path,
        "平台转办.csv",
        &Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((dry.inserted, dry.unchanged, dry.rejected), (2, 1, 3));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM cases").await, 1);
    let s = import::run(&call, target, &path, "平台转办.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((s.inserted, s.unchanged, s.rejected), (2, 1, 3));
    let rejects: Vec<(u64, &str, &str)> = s
        .rejects
        .iter()
        .map(|r| (r.line, r.column.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(rejects[0].0, 4);
    assert_eq!(rejects[0].1, "平台线索编号");
    assert_eq!(rejects[0].2, "与第3行的平台线索编号重复");
    assert_eq!((rejects[1].0, rejects[1].1), (5, "欠薪金额（元）"));
    assert_eq!(
        (rejects[2].0, rejects[2].1, rejects[2].2),
        (6, "欠薪发生地（乡镇/街道）", "该欠薪发生地不在您的数据范围内")
    );
    let (list, total) = cases::list(&w.db, &insp, &CaseFilter::default(), d("2023-09-28"), 50, 0)
        .await
        .unwrap();
    assert_eq!(total, 3);
    let new: Vec<_> = list.iter().filter(|c| c.id != known.id).collect();
    assert!(
        new.iter()
            .all(|c| c.source == Source::Platform.code() && c.status == CaseStatus::Registered.code())
    );
    let mut clues: Vec<_> = new.iter().filter_map(|c| c.clue_no.clone()).collect();
    clues.sort();
    assert_eq!(clues, ["XS2023-0002", "XS2023-0005"]);
    assert!(new.iter().any(|c| c.amount_claimed_fen == 1_200_050));
    // The platform's deadline runs for them once accepted; acceptance is due in 5 working days.
    assert!(new.iter().all(|c| c.accept_due == d("2023-10-09")));
    // Importing the list again registers nothing twice.
    let again = import::run(&call, target, &path, "平台转办.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((again.inserted, again.unchanged), (0, 3));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM cases").await, 3);
    // Who takes no step on cases may not import them.
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    assert!(matches!(
        import::run(&w.call(&lead), target, &path, "平台转办.csv", &Options::default()).await,
        Err(AppError::Forbidden)
    ));
}

const MADE_UP_2027: &str = "date,weekday,kind,festival_cn,festival_en,arrangement_year,in_lieu_weekday_off,source
2027-01-01,Fri,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试，非国务院办公厅通知）
2027-01-02,Sat,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试，非国务院办公厅通知）
2027-01-03,Sun,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试，非国务院办公厅通知）
";

async fn deadlines_into_a_year_not_loaded_are_provisional(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    // Monday 2026-12-28: 29, 30, 31, then 2027-01-01 (taken as an ordinary
    // Friday while 2027 is not loaded) and 01-04.
    let reg = cases::register(&on(&w, &insp, "2026-12-28"), &hotline("2026-12-28"))
        .await
        .unwrap();
    let other = cases::register(&on(&w, &insp, "2026-12-28"), &hotline("2026-12-21"))
        .await
        .unwrap();
    let (row, _) = cases::get(&w.db, &insp, CaseId(reg.id)).await.unwrap();
    assert_eq!((row.due_on, row.due_provisional), (Some(d("2027-01-04")), true));
    let (firm, _) = cases::get(&w.db, &insp, CaseId(other.id)).await.unwrap();
    assert_eq!((firm.due_on, firm.due_provisional), (Some(d("2026-12-28")), false));
    // The list works in the last days of the year (its near-due window runs into 2027).
    let (list, _) = cases::list(&w.db, &insp, &CaseFilter::default(), d("2026-12-29"), 10, 0)
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    // Acceptance on 12-29 sets a 60-working-day limit that lies in 2027.
    cases::act(
        &on(&w, &insp, "2026-12-29"),
        CaseId(other.id),
        1,
        Action::Accept,
        &none(),
    )
    .await
    .unwrap();
    let (acc, _) = cases::get(&w.db, &insp, CaseId(other.id)).await.unwrap();
    assert!(acc.due_provisional);
    let ordinary = acc.due_on.unwrap();
    // Loading 2027 dates both again: the acceptance limit passes New Year's
    // holidays (01-05), the investigation limit moves one working day later.
    let loaded = shiminhua_app::rights::holidays::load_year(&w.call(&w.admin), MADE_UP_2027)
        .await
        .unwrap();
    assert_eq!(loaded.cases_redated, 2);
    assert!(loaded.notice().contains("2 件办理中的欠薪案件"), "{}", loaded.notice());
    let (row, _) = cases::get(&w.db, &insp, CaseId(reg.id)).await.unwrap();
    assert_eq!(
        (row.due_on, row.accept_due, row.due_provisional),
        (Some(d("2027-01-05")), d("2027-01-05"), false)
    );
    let (acc, _) = cases::get(&w.db, &insp, CaseId(other.id)).await.unwrap();
    let cal = shiminhua_app::calendar::calendar(&w.db).await.unwrap();
    assert_eq!(acc.due_on, Some(cal.add_working_days(d("2026-12-29"), 60).unwrap()));
    assert_eq!(acc.due_on, Some(ordinary + chrono::Duration::days(1)));
    assert_eq!(acc.handle_due, acc.due_on);
    assert!(!acc.due_provisional);
}

async fn list_pages_follow_one_order_across_parts(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let call = on(&w, &insp, "2023-09-28");
    let mut ids = Vec::new();
    for received in [
        "2023-09-01",
        "2023-09-04",
        "2023-09-27",
        "2023-09-20",
        "2023-09-05",
        "2023-09-26",
        "2023-09-28",
    ] {
        ids.push(cases::register(&call, &hotline(received)).await.unwrap().id);
    }
    // Two closed, one accepted (its limit runs 60 working days).
    for id in [ids[1], ids[4]] {
        cases::act(&call, CaseId(id), 1, Action::Reject, &reason("超过两年"))
            .await
            .unwrap();
    }
    cases::act(&call, CaseId(ids[6]), 1, Action::Accept, &none())
        .await
        .unwrap();
    let today = d("2023-09-28");
    let (all, total) = cases::list(&w.db, &insp, &CaseFilter::default(), today, 100, 0)
        .await
        .unwrap();
    assert_eq!((all.len(), total), (7, 7));
    // Overdue by due date, then running by due date, then closed newest first.
    let key = |c: &cases::CaseRow| match c.due_on {
        Some(d) if d < today => (0, Some(d), -c.id),
        Some(d) => (1, Some(d), -c.id),
        None => (2, None, -c.id),
    };
    let mut expected = all.clone();
    expected.sort_by_key(key);
    let order: Vec<i64> = all.iter().map(|c| c.id).collect();
    assert_eq!(order, expected.iter().map(|c| c.id).collect::<Vec<_>>());
    assert_eq!(all[0].id, ids[0]);
    assert_eq!(all[5..].iter().map(|c| c.id).collect::<Vec<_>>(), [ids[4], ids[1]]);
    // Every page size and start gives the same order, across the parts.
    for limit in 1..=4 {
        for offset in 0..8 {
            let (page, n) = cases::list(&w.db, &insp, &CaseFilter::default(), today, limit, offset)
                .await
                .unwrap();
            assert_eq!(n, 7);
            let want: Vec<i64> = order
                .iter()
                .skip(offset as usize)
                .take(limit as usize)
                .copied()
                .collect();
            assert_eq!(
                page.iter().map(|c| c.id).collect::<Vec<_>>(),
                want,
                "limit {limit} offset {offset}"
            );
        }
    }
    let due = cases::due_counts(&w.db, &insp, &CaseFilter::default(), today)
        .await
        .unwrap();
    let (overdue, near) = (due.overdue, due.near_due);
    assert_eq!(due.open, all.iter().filter(|c| c.due_on.is_some()).count() as i64);
    assert_eq!(due.open, 5);
    let timing = |c: &cases::CaseRow, t| c.timing(today, d("2023-10-09")) == t;
    assert_eq!(
        overdue,
        all.iter().filter(|c| timing(c, Timing::Overdue)).count() as i64
    );
    assert_eq!(near, all.iter().filter(|c| timing(c, Timing::NearDue)).count() as i64);
    assert!(overdue >= 2 && near >= 1, "{overdue} {near}");
}

async fn the_same_form_registers_once(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let count = || async {
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new("SELECT COUNT(*) FROM cases"))
            .await
            .unwrap()
    };
    let token = "ab".repeat(32);
    let now = at("2023-09-28");
    // The same public form sent twice at the same moment: one case.
    let input = hotline("2023-09-28");
    let (a, b) = tokio::join!(
        cases::register_public_once(&w.db, &w.cipher, now, &input, &token),
        cases::register_public_once(&w.db, &w.cipher, now, &input, &token),
    );
    let number = |o: &cases::Once| match o {
        cases::Once::New(r) => r.number.clone(),
        cases::Once::Again(f) => f.number.clone(),
    };
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(number(&a), number(&b));
    assert!(
        matches!(
            (&a, &b),
            (cases::Once::New(_), cases::Once::Again(_)) | (cases::Once::Again(_), cases::Once::New(_))
        ),
        "one registers, the other is given its case"
    );
    assert_eq!(count().await, 1);
    let code = match (&a, &b) {
        (cases::Once::New(r), _) | (_, cases::Once::New(r)) => r.query_code.clone(),
        _ => unreachable!(),
    };
    // The token gives the code back for half an hour, then the number only.
    let f = cases::submitted(&w.db, &w.cipher, &token, now).await.unwrap().unwrap();
    assert_eq!(f.query_code.as_deref(), Some(code.as_str()));
    assert_eq!(f.source, Source::Online.code());
    let later = now + chrono::Duration::minutes(31);
    let f = cases::submitted(&w.db, &w.cipher, &token, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((f.number, f.query_code), (number(&a), None));
    // Another token is another form; a token that is not one is not kept.
    assert!(
        cases::submitted(&w.db, &w.cipher, &"cd".repeat(32), now)
            .await
            .unwrap()
            .is_none()
    );
    let r = cases::register_public_once(&w.db, &w.cipher, now, &input, "1")
        .await
        .unwrap();
    assert!(matches!(r, cases::Once::New(_)));
    assert!(cases::submitted(&w.db, &w.cipher, "1", now).await.unwrap().is_none());
    assert_eq!(count().await, 2);
    // An officer's form, sent again: the same case, nothing more stored.
    let call = on(&w, &insp, "2023-09-28");
    let staff = "ef".repeat(32);
    let first = cases::register_once(&call, &hotline("2023-09-27"), &staff)
        .await
        .unwrap();
    let again = cases::register_once(&call, &hotline("2023-09-27"), &staff)
        .await
        .unwrap();
    assert!(matches!(first, cases::Once::New(_)) && matches!(again, cases::Once::Again(_)));
    assert_eq!(number(&first), number(&again));
    assert_eq!(count().await, 3);
    // A refused form registers nothing and keeps no token.
    let mut bad = hotline("2023-09-27");
    bad.workers = "0".into();
    let refused = "0f".repeat(32);
    assert!(matches!(
        cases::register_once(&call, &bad, &refused).await,
        Err(AppError::Validation(_))
    ));
    assert!(
        cases::submitted(&w.db, &w.cipher, &refused, now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(count().await, 3);
}
