//! The arrears blacklist (拖欠农民工工资失信联合惩戒对象名单): listing,
//! search, the three-year period, early removal, revocation, the lookups
//! for other modules, scope, concurrent officers and the audit trail, on
//! SQLite and PostgreSQL.

use crate::common::*;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shiminhua_app::rights::blacklist::{self, ListingFilter, NewListing};
use shiminhua_app::rights::cases;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::testing::TempDir;
use shiminhua_app::{AppError, Call, both};
use shiminhua_core::auth::{Actor, Grant, KindSet, RecordKind, Role};
use shiminhua_core::blacklist::{ListingInput, RemovalInput, State};
use shiminhua_core::case::CaseInput;
use shiminhua_core::credit_code::CreditCode;

both!(
    listing_is_validated_listed_and_searched,
    period_of_three_years_and_29_february,
    early_removal_needs_payment_six_months_and_commitment,
    revocation_and_the_lookups_for_other_modules,
    scope_and_roles,
    stale_version_is_a_conflict,
    related_cases_and_export,
);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// 10:00 Beijing time on `day`.
fn at(day: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d(day).and_hms_opt(2, 0, 0).unwrap())
}

fn on<'a>(w: &'a World, actor: &'a Actor, day: &str) -> Call<'a> {
    Call {
        now: at(day),
        ..w.call(actor)
    }
}

fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341021", &format!("BL{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

fn listing(name: &str, code: &str, listed_on: &str, doc: &str) -> NewListing {
    NewListing {
        input: ListingInput {
            employer_name: name.into(),
            credit_code: code.into(),
            responsible_persons: "张某某、李某".into(),
            reason: "拒不支付劳动报酬（达到刑事立案标准）".into(),
            listed_on: listed_on.into(),
            document_no: doc.into(),
            authority: "歙县人力资源和社会保障局".into(),
            amount_owed: "86400".into(),
            workers: "12".into(),
        },
        county: "歙县".into(),
        case_number: String::new(),
    }
}

fn removal(day: &str, paid: bool, commitment: bool) -> RemovalInput {
    RemovalInput {
        on: day.into(),
        paid_in_full: paid,
        commitment,
        note: "已全额支付，签署信用承诺书".into(),
    }
}

fn errors(e: AppError) -> Vec<(String, String)> {
    match e {
        AppError::Validation(fe) => fe.0,
        other => panic!("expected field errors, got {other:?}"),
    }
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

async fn audited(db: &Db, action: &str) -> i64 {
    db.read()
        .await
        .unwrap()
        .int(Sql::new("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action))
        .await
        .unwrap()
}

fn filter(q: &str, state: Option<State>) -> ListingFilter {
    ListingFilter {
        q: q.into(),
        state,
        county: None,
    }
}

async fn names(db: &Db, actor: &Actor, f: &ListingFilter, day: &str) -> Vec<String> {
    let (rows, total) = blacklist::list(db, actor, f, d(day), 50, 0).await.unwrap();
    assert_eq!(rows.len() as i64, total);
    rows.into_iter().map(|r| r.employer_name).collect()
}

async fn listing_is_validated_listed_and_searched(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    // Bad input: each field named in Chinese, nothing written.
    let mut bad = listing("", "91341021SX0000019X", "2023-10-10", "");
    bad.county = "黄山区".into();
    bad.input.reason = String::new();
    bad.case_number = "HS2023-999999".into();
    let e = errors(blacklist::add(&on(&w, &insp, "2023-10-09"), &bad).await.unwrap_err());
    let keys: Vec<&str> = e.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(
        keys,
        [
            "employer_name",
            "credit_code",
            "reason",
            "listed_on",
            "document_no",
            "county",
            "case_number"
        ],
        "{e:?}"
    );
    assert_eq!(e[0].1, "请填写用人单位名称");
    assert_eq!(e[3].1, "列入日期不能晚于今天");
    assert_eq!(e[5].1, "该区县不在您的数据范围内");
    assert!(e[6].1.starts_with("未找到案件编号为“HS2023-999999”的欠薪案件"));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM blacklist").await, 0);

    let a = blacklist::add(
        &on(&w, &insp, "2023-10-09"),
        &listing(
            "黄山某建筑劳务有限公司",
            &credit(1).to_lowercase(),
            "2023-10-08",
            "歙人社失信决〔2023〕1号",
        ),
    )
    .await
    .unwrap();
    let b = blacklist::add(
        &on(&w, &insp, "2023-11-02"),
        &listing(
            "歙县某餐饮管理有限公司",
            &credit(2),
            "2023-11-01",
            "歙人社失信决〔2023〕2号",
        ),
    )
    .await
    .unwrap();
    // A decision number is entered once.
    let e = errors(
        blacklist::add(
            &on(&w, &insp, "2023-11-02"),
            &listing("另一公司", &credit(3), "2023-11-01", "歙人社失信决〔2023〕 2号"),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        e,
        [(
            "document_no".to_string(),
            "决定书文号“歙人社失信决〔2023〕2号”已列入名单，请勿重复登记".to_string()
        )]
    );

    let (row, events) = blacklist::get(&w.db, &insp, a).await.unwrap();
    assert_eq!(row.credit_code, credit(1), "stored canonical");
    assert_eq!(row.county_name, "歙县");
    assert_eq!(row.responsible_persons, "张某某、李某");
    assert_eq!(row.amount_owed_fen, Some(8_640_000));
    assert_eq!(row.removal_due, d("2026-10-08"));
    assert_eq!(row.version, 1);
    assert_eq!(row.state_on(d("2023-10-09")), State::Listed);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action_label(), "列入名单");
    assert_eq!(events[0].on_date, d("2023-10-08"));
    assert_eq!(audited(&w.db, "blacklist.add").await, 2);

    // Search by part of the name, by the whole code, by part of the code.
    let day = "2023-12-01";
    assert_eq!(
        names(&w.db, &insp, &filter("建筑", None), day).await,
        ["黄山某建筑劳务有限公司"]
    );
    assert_eq!(
        names(&w.db, &insp, &filter(&credit(2), None), day).await,
        ["歙县某餐饮管理有限公司"]
    );
    let part = credit(1)[8..16].to_lowercase();
    assert_eq!(
        names(&w.db, &insp, &filter(&part, None), day).await,
        ["黄山某建筑劳务有限公司"]
    );
    assert_eq!(
        names(&w.db, &insp, &filter("", Some(State::Listed)), day).await,
        ["歙县某餐饮管理有限公司", "黄山某建筑劳务有限公司"],
        "newest listing first"
    );
    assert!(
        names(&w.db, &insp, &filter("100%", None), day).await.is_empty(),
        "LIKE characters are literal"
    );
    let other_county = ListingFilter {
        county: Some(code("341022")),
        ..ListingFilter::default()
    };
    assert!(names(&w.db, &insp, &other_county, day).await.is_empty());
    // On 2023-10-20 the second one is not listed yet.
    assert_eq!(
        names(&w.db, &insp, &filter("", Some(State::Listed)), "2023-10-20").await,
        ["黄山某建筑劳务有限公司"]
    );
    let _ = b;
}

async fn period_of_three_years_and_29_february(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let a = blacklist::add(
        &on(&w, &office, "2023-10-09"),
        &listing("甲公司", &credit(11), "2023-10-08", "文号1"),
    )
    .await
    .unwrap();
    let leap = blacklist::add(
        &on(&w, &office, "2024-03-01"),
        &listing("乙公司", &credit(12), "2024-02-29", "文号2"),
    )
    .await
    .unwrap();
    let (ra, _) = blacklist::get(&w.db, &office, a).await.unwrap();
    let (rl, _) = blacklist::get(&w.db, &office, leap).await.unwrap();
    assert_eq!(ra.removal_due, d("2026-10-08"), "exactly three years on");
    assert_eq!(
        rl.removal_due,
        d("2027-03-01"),
        "29 February: the period's last day is 28 February"
    );
    // Removal happens by itself: the state follows the day.
    assert_eq!(ra.state_on(d("2026-10-07")), State::Listed);
    assert_eq!(ra.state_on(d("2026-10-08")), State::Expired);
    assert_eq!(rl.state_on(d("2027-02-28")), State::Listed);
    assert_eq!(rl.state_on(d("2027-03-01")), State::Expired);
    // And the lists and lookups agree with it.
    assert_eq!(
        names(&w.db, &office, &filter("", Some(State::Listed)), "2026-10-07").await,
        ["乙公司", "甲公司"]
    );
    assert_eq!(
        names(&w.db, &office, &filter("", Some(State::Listed)), "2026-10-08").await,
        ["乙公司"]
    );
    assert_eq!(
        names(&w.db, &office, &filter("", Some(State::Expired)), "2026-10-08").await,
        ["甲公司"]
    );
    assert_eq!(
        names(&w.db, &office, &filter("", Some(State::Expired)), "2027-03-01").await,
        ["乙公司", "甲公司"]
    );
    assert!(
        blacklist::listed(&w.db, &credit(11), d("2026-10-07"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        blacklist::listed(&w.db, &credit(11), d("2026-10-08"))
            .await
            .unwrap()
            .is_none()
    );
    // Nothing was written when the period ran out.
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM blacklist WHERE removed_on IS NOT NULL").await,
        0
    );
    // An expired listing is not removed early.
    let m = conflict(
        blacklist::remove_early(&on(&w, &office, "2026-10-09"), a, 1, &removal("2026-10-09", true, true))
            .await
            .unwrap_err(),
    );
    assert_eq!(m, "该名单已于2026年10月08日期满移出，无需提前移出。");
}

async fn early_removal_needs_payment_six_months_and_commitment(db: Db) {
    let w = World::new(db).await;
    let local = w.scoped("local1", Role::Local, "341021").await;
    let id = blacklist::add(
        &on(&w, &local, "2023-10-09"),
        &listing("丙公司", &credit(21), "2023-10-08", "文号3"),
    )
    .await
    .unwrap();
    // Before six months: refused with the first day it is possible.
    let e = errors(
        blacklist::remove_early(&on(&w, &local, "2024-04-07"), id, 1, &removal("2024-04-07", true, true))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        [(
            "on".to_string(),
            "列入未满6个月，2024年04月08日起方可提前移出".to_string()
        )]
    );
    // Without payment, without commitment.
    let e = errors(
        blacklist::remove_early(
            &on(&w, &local, "2024-05-01"),
            id,
            1,
            &removal("2024-05-01", false, false),
        )
        .await
        .unwrap_err(),
    );
    let keys: Vec<&str> = e.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(keys, ["paid_in_full", "commitment"]);
    assert_eq!(e[0].1, "提前移出须已全额支付拖欠的农民工工资");
    let e = errors(
        blacklist::remove_early(
            &on(&w, &local, "2024-05-01"),
            id,
            1,
            &removal("2024-05-01", true, false),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(e[0].0, "commitment");
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM blacklist_events").await,
        1,
        "refusals write nothing"
    );
    assert_eq!(audited(&w.db, "blacklist.remove").await, 0);
    assert!(
        blacklist::listed(&w.db, &credit(21), d("2024-05-01"))
            .await
            .unwrap()
            .is_some()
    );

    // Six months to the day, paid and committed: removed.
    blacklist::remove_early(&on(&w, &local, "2024-04-08"), id, 1, &removal("2024-04-08", true, true))
        .await
        .unwrap();
    let (row, events) = blacklist::get(&w.db, &local, id).await.unwrap();
    assert_eq!(row.version, 2);
    assert_eq!(row.removed_on, Some(d("2024-04-08")));
    assert_eq!(row.removal_kind.as_deref(), Some("early"));
    assert_eq!(row.state_on(d("2024-04-07")), State::Listed);
    assert_eq!(row.state_on(d("2024-04-08")), State::RemovedEarly);
    assert_eq!(
        row.state_on(d("2027-01-01")),
        State::RemovedEarly,
        "not expired after removal"
    );
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].action_label(), "提前移出");
    assert!(events[1].data.contains("\"commitment\":true"));
    assert_eq!(audited(&w.db, "blacklist.remove").await, 1);
    assert!(
        blacklist::listed(&w.db, &credit(21), d("2024-04-08"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        blacklist::listed(&w.db, &credit(21), d("2024-04-07"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        names(&w.db, &local, &filter("", Some(State::RemovedEarly)), "2024-04-08").await,
        ["丙公司"]
    );
    // Removed once only.
    let m = conflict(
        blacklist::remove_early(&on(&w, &local, "2024-05-01"), id, 2, &removal("2024-05-01", true, true))
            .await
            .unwrap_err(),
    );
    assert_eq!(m, "该名单已于2024年04月08日提前移出。");
}

async fn revocation_and_the_lookups_for_other_modules(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let call = on(&w, &insp, "2023-10-09");
    let a = blacklist::add(&call, &listing("丁公司", &credit(31), "2023-10-08", "文号4"))
        .await
        .unwrap();
    let b = blacklist::add(&call, &listing("戊公司", &credit(32), "2023-10-08", "文号5"))
        .await
        .unwrap();
    blacklist::add(&call, &listing("己公司", &credit(33), "2023-10-08", "文号6"))
        .await
        .unwrap();
    // A revocation needs its basis.
    let mut r = RemovalInput {
        on: "2024-01-15".into(),
        ..RemovalInput::default()
    };
    let e = errors(
        blacklist::revoke(&on(&w, &insp, "2024-01-20"), b, 1, &r)
            .await
            .unwrap_err(),
    );
    assert_eq!(e[0].0, "note");
    r.note = "黄山市人民政府行政复议决定书（黄政复决〔2024〕3号）".into();
    blacklist::revoke(&on(&w, &insp, "2024-01-20"), b, 1, &r).await.unwrap();
    assert_eq!(audited(&w.db, "blacklist.revoke").await, 1);
    let (row, _) = blacklist::get(&w.db, &insp, b).await.unwrap();
    assert_eq!(row.state_on(d("2024-01-20")), State::Revoked);
    assert_eq!(row.removal_note, r.note);
    assert_eq!(
        names(&w.db, &insp, &filter("", Some(State::Revoked)), "2024-01-20").await,
        ["戊公司"]
    );

    // listed(): an active listing is found (any accepted spelling of the code),
    // a revoked one, an expired one and an unknown code are not.
    let day = d("2024-02-01");
    let found = blacklist::listed(&w.db, &format!(" {} ", credit(31).to_lowercase()), day)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, a);
    assert!(blacklist::listed(&w.db, &credit(32), day).await.unwrap().is_none());
    assert!(
        blacklist::listed(&w.db, &credit(31), d("2026-10-08"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(blacklist::listed(&w.db, &credit(39), day).await.unwrap().is_none());
    assert!(blacklist::listed(&w.db, "not a code", day).await.unwrap().is_none());

    // listed_among(): one query for a page of cases.
    let codes = vec![
        credit(31),
        credit(32),
        credit(33),
        credit(33),
        String::new(),
        credit(39),
        "x".into(),
    ];
    let m = blacklist::listed_among(&w.db, &codes, day).await.unwrap();
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    assert_eq!(keys, [&credit(31), &credit(33)]);
    assert_eq!(m[&credit(31)].employer_name, "丁公司");
    assert!(
        blacklist::listed_among(&w.db, &codes, d("2026-10-08"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(blacklist::listed_among(&w.db, &[], day).await.unwrap().is_empty());
}

async fn scope_and_roles(db: Db) {
    let w = World::new(db).await;
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let xiuning = w.scoped("xiuning", Role::Local, "341022").await;
    let lead = w.scoped("lead", Role::Lead, "341000").await;
    let dept = w.scoped("dept", Role::Department, "341000").await;
    let town = w.scoped("town", Role::Local, "341021100").await;
    // Wage cases of 歙县 are not in this grant: may read listings, not enter them.
    let no_cases = w
        .user(
            "nocases",
            Role::Local,
            vec![Grant {
                region: code("341021"),
                kinds: [RecordKind::Worker].into_iter().collect::<KindSet>(),
            }],
        )
        .await;
    let id = blacklist::add(
        &on(&w, &shexian, "2023-10-09"),
        &listing("庚公司", &credit(41), "2023-10-08", "文号7"),
    )
    .await
    .unwrap();
    let day = "2023-10-09";
    // Another county sees nothing of it and cannot enter for 歙县.
    assert!(names(&w.db, &xiuning, &filter("", None), day).await.is_empty());
    assert!(matches!(
        blacklist::get(&w.db, &xiuning, id).await,
        Err(AppError::NotFound)
    ));
    let e = errors(
        blacklist::add(
            &on(&w, &xiuning, day),
            &listing("辛公司", &credit(42), "2023-10-08", "文号8"),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(e, [("county".to_string(), "该区县不在您的数据范围内".to_string())]);
    let mut by_code = listing("辛公司", &credit(42), "2023-10-08", "文号8");
    by_code.county = "341022".into();
    blacklist::add(&on(&w, &xiuning, day), &by_code).await.unwrap();
    assert!(matches!(
        blacklist::remove_early(
            &on(&w, &xiuning, "2024-05-01"),
            id,
            1,
            &removal("2024-05-01", true, true)
        )
        .await,
        Err(AppError::NotFound)
    ));
    // The lead and the departments read the whole city but do not write.
    assert_eq!(names(&w.db, &lead, &filter("", None), day).await.len(), 2);
    assert_eq!(names(&w.db, &dept, &filter("", None), day).await.len(), 2);
    assert!(matches!(
        blacklist::add(
            &on(&w, &lead, day),
            &listing("壬公司", &credit(43), "2023-10-08", "文号9")
        )
        .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        blacklist::revoke(&on(&w, &dept, day), id, 1, &RemovalInput::default()).await,
        Err(AppError::Forbidden)
    ));
    assert!(!blacklist::may_write(&lead) && !blacklist::may_write(&dept) && blacklist::may_write(&shexian));
    // A township's staff read their county's listings; removing is the county's.
    assert_eq!(names(&w.db, &town, &filter("", None), day).await, ["庚公司"]);
    assert!(matches!(
        blacklist::remove_early(&on(&w, &town, "2024-05-01"), id, 1, &removal("2024-05-01", true, true)).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        blacklist::remove_early(
            &on(&w, &no_cases, "2024-05-01"),
            id,
            1,
            &removal("2024-05-01", true, true)
        )
        .await,
        Err(AppError::Forbidden)
    ));
    let counties = blacklist::counties(&w.db, &no_cases, true).await.unwrap();
    assert!(counties.is_empty());
    let counties = blacklist::counties(&w.db, &shexian, true).await.unwrap();
    assert_eq!(counties.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(), ["歙县"]);
    // The admin and the auditor see nothing.
    assert!(matches!(
        blacklist::list(&w.db, &w.admin, &ListingFilter::default(), d(day), 10, 0).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM blacklist").await, 2);
}

async fn stale_version_is_a_conflict(db: Db) {
    let w = World::new(db).await;
    let a1 = w.scoped("officer1", Role::Inspector, "341021").await;
    let a2 = w.scoped("officer2", Role::Local, "341021").await;
    let id = blacklist::add(
        &on(&w, &a1, "2023-10-09"),
        &listing("癸公司", &credit(51), "2023-10-08", "文号10"),
    )
    .await
    .unwrap();
    // Both saw version 1; the revocation is saved first.
    let r = RemovalInput {
        on: "2024-05-01".into(),
        note: "行政诉讼判决撤销".into(),
        ..RemovalInput::default()
    };
    blacklist::revoke(&on(&w, &a2, "2024-05-02"), id, 1, &r).await.unwrap();
    let m = conflict(
        blacklist::remove_early(&on(&w, &a1, "2024-05-02"), id, 1, &removal("2024-05-01", true, true))
            .await
            .unwrap_err(),
    );
    assert!(m.contains("已被他人修改"), "{m}");
    let (row, events) = blacklist::get(&w.db, &a1, id).await.unwrap();
    assert_eq!((row.version, row.removal_kind.as_deref()), (2, Some("revoked")));
    assert_eq!(events.len(), 2);
    assert_eq!(audited(&w.db, "blacklist.remove").await, 0, "the loser wrote nothing");
    // At the current version, the state is what refuses it.
    let m = conflict(
        blacklist::remove_early(&on(&w, &a1, "2024-05-02"), id, 2, &removal("2024-05-01", true, true))
            .await
            .unwrap_err(),
    );
    assert_eq!(m, "该列入决定已于2024年05月01日撤销。");
}

fn hotline(received: &str, employer: &str, code: &str) -> CaseInput {
    CaseInput {
        source: "12333".into(),
        received_on: received.into(),
        anonymous: true,
        employer_name: employer.into(),
        employer_credit_code: code.into(),
        sector: "餐饮".into(),
        workers: "12".into(),
        amount_claimed: "86,400元".into(),
        arrears_from: "2023-05-01".into(),
        arrears_to: "2023-08-31".into(),
        description: "五月至八月工资未发放".into(),
        region: "徽城镇".into(),
        ..CaseInput::default()
    }
}

async fn related_cases_and_export(db: Db) {
    let w = World::new(db).await;
    let insp = w.scoped("insp1", Role::Inspector, "341021").await;
    let dept = w.scoped("dept", Role::Department, "341000").await;
    let call = on(&w, &insp, "2023-09-28");
    let c1 = cases::register(&call, &hotline("2023-09-27", "子公司", &credit(61)))
        .await
        .unwrap();
    let c2 = cases::register(&call, &hotline("2023-09-28", "子公司（曾用名）", &credit(61)))
        .await
        .unwrap();
    cases::register(&call, &hotline("2023-09-28", "丑公司", &credit(62)))
        .await
        .unwrap();
    // The case named must have the same employer.
    let mut wrong = listing("丑公司", &credit(62), "2023-10-08", "文号11");
    wrong.case_number = c1.number.to_lowercase();
    let e = errors(blacklist::add(&on(&w, &insp, "2023-10-09"), &wrong).await.unwrap_err());
    assert_eq!(e[0].0, "case_number");
    assert!(e[0].1.contains("与所填代码不一致"), "{e:?}");
    let mut good = listing("子公司", &credit(61), "2023-10-08", "文号11");
    good.case_number = c1.number.clone();
    let id = blacklist::add(&on(&w, &insp, "2023-10-09"), &good).await.unwrap();
    let (row, _) = blacklist::get(&w.db, &insp, id).await.unwrap();
    assert_eq!(
        (row.case_id, row.case_number.as_deref()),
        (Some(c1.id), Some(c1.number.as_str()))
    );
    // The cases of the same credit code, newest first; none for departments.
    let related = blacklist::related_cases(&w.db, &insp, &row.credit_code).await.unwrap();
    assert_eq!(related.iter().map(|c| c.id).collect::<Vec<_>>(), [c2.id, c1.id]);
    assert_eq!(related[0].status_label(), "登记");
    assert!(
        blacklist::related_cases(&w.db, &dept, &row.credit_code)
            .await
            .unwrap()
            .is_empty()
    );
    let other = w.scoped("insp2", Role::Inspector, "341022").await;
    assert!(
        blacklist::related_cases(&w.db, &other, &row.credit_code)
            .await
            .unwrap()
            .is_empty()
    );

    // The export: the filtered rows with their state on the day, audited.
    blacklist::add(
        &on(&w, &insp, "2023-10-09"),
        &listing("寅公司", &credit(63), "2023-10-08", "文号12"),
    )
    .await
    .unwrap();
    let dir = TempDir::new("blacklist-export");
    let path = dir.0.join("名单.xlsx");
    let n = blacklist::export(
        &on(&w, &dept, "2026-10-08"),
        &filter("子公司", None),
        d("2026-10-08"),
        &path,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let sheets = shiminhua_app::xlsx::sheets_as_text(&std::fs::read(&path).unwrap()).unwrap();
    let rows = &sheets[0].1;
    assert_eq!(rows[0][0], "用人单位名称");
    assert_eq!(rows[1][0], "子公司");
    assert_eq!(rows[1][1], credit(61));
    assert_eq!(rows[1][7], "2023-10-08");
    assert_eq!(rows[1][8], "2026-10-08");
    assert_eq!(rows[1][9], "已期满移出");
    assert_eq!(rows[1][12], "86400");
    assert_eq!(rows[1][14], c1.number);
    assert_eq!(audited(&w.db, "blacklist.export").await, 1);
}
