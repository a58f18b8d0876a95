//! 调度: progress reports, deadlines, review, 督办 and the reported figures on
//! the board, on SQLite and PostgreSQL.

use crate::common::*;
use shiminhua_core::ids::ReportId;
use shiminhua_core::ids::UserId;

use chrono::NaiveDate;
use shiminhua_app::plan::reports::{self, ReportInput, Upload};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::users::{self, UserForm};
use shiminhua_app::{AppError, both, plan::document, plan::indicators, units};
use shiminhua_core::auth::{Actor, Grant, KindSet, Role};
use shiminhua_core::report::ReportStatus;
use std::collections::HashMap;

both!(
    due_dates_on_the_stored_calendar,
    who_owes_what_for_a_period,
    file_return_revise_accept,
    closed_period_refuses_filing,
    attachments_are_checked_and_kept,
    overdue_reports_are_urged_and_shown_to_the_unit,
    board_shows_accepted_reported_figures,
    demo_reports_tell_the_story,
);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A user of `unit` (e.g. `341000-rsj`) with one role, scoped to the unit's region.
async fn member(w: &World, name: &str, role: Role, unit: &str) -> Actor {
    let unit_id = units::id_by_code(&w.db, unit).await.unwrap().expect(unit);
    let region = unit.split('-').next().unwrap();
    let form = UserForm {
        username: name.into(),
        display_name: name.into(),
        unit_id: Some(unit_id),
        roles: vec![role],
        grants: vec![Grant {
            region: code(region),
            kinds: KindSet::all(),
        }],
    };
    let (id, _) = users::create(&w.db, &w.admin, &origin(), t0(), form).await.unwrap();
    shiminhua_app::testing::approve_pending(&w.db, t0(), id).await;
    let mut tx = w.db.read().await.unwrap();
    users::load_actor(&mut tx, UserId(id)).await.unwrap()
}

fn input(body: &str, figures: &[(&str, &str)]) -> ReportInput {
    ReportInput {
        body: body.into(),
        figures: figures.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..ReportInput::default()
    }
}

fn field_errors(e: AppError) -> HashMap<String, String> {
    match e {
        AppError::Validation(fe) => fe.0.into_iter().collect(),
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

async fn due_dates_on_the_stored_calendar(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    // Q3 2023 ends on Saturday 30 September; 1–6 October are off, 7 and 8
    // October are make-up working days: the fifth working day is 11 October.
    let q3 = reports::overview(&w.db, &office, "2023Q3", d("2023-10-09"))
        .await
        .unwrap();
    assert_eq!(q3.period.label, "2023年第三季度");
    assert_eq!(q3.due, Ok(d("2023-10-11")));
    // Near due two days before, overdue the day after.
    assert!(q3.rows.iter().all(|r| r.near_due && !r.overdue));
    let late = reports::overview(&w.db, &office, "2023Q3", d("2023-10-12"))
        .await
        .unwrap();
    assert!(late.rows.iter().all(|r| r.overdue && r.css() == "red"));
    // Q4's deadline falls in 2024: without that year's arrangement the page
    // says so instead of failing.
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new("DELETE FROM holidays WHERE arrangement_year = 2024"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let q4 = reports::overview(&w.db, &office, "2023Q4", d("2024-01-20"))
        .await
        .unwrap();
    let e = q4.due.unwrap_err();
    assert!(e.contains("2024年的节假日安排尚未载入"), "{e}");
    assert!(q4.rows.iter().all(|r| !r.overdue), "no deadline, nothing is overdue");
    // An unknown period is a field error.
    let e = reports::overview(&w.db, &office, "2031Q1", d("2024-01-20"))
        .await
        .unwrap_err();
    assert!(field_errors(e)["period"].contains("不在计划期内"));
}

async fn who_owes_what_for_a_period(db: Db) {
    let w = World::new(db).await;
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    let ov = reports::overview(&w.db, &lead, "2023Q3", d("2023-10-20"))
        .await
        .unwrap();
    let mut owing: Vec<&str> = ov
        .rows
        .iter()
        .filter(|r| r.owes)
        .map(|r| r.unit.code.as_str())
        .collect();
    owing.sort();
    assert_eq!(
        owing,
        [
            "341000-czj",
            "341000-fgw",
            "341000-gaj",
            "341000-jyj",
            "341000-nyncj",
            "341000-rsj",
            "341000-ybj",
            "341000-zgh",
            "341000-zjj",
        ],
        "every city unit the plan names, no county unit"
    );
    assert_eq!(ov.periods.len(), 4);
    // What the 人社局 fills in for Q3: the measures it leads or helps, and
    // the figures of the targets it reports each quarter (the income growth
    // is reported once a year, with Q4).
    let rsj = member(&w, "rsj1", Role::Department, "341000-rsj").await;
    let spec = reports::form_spec(&w.db, &rsj, "2023Q3").await.unwrap();
    let m61 = spec.measures.iter().find(|m| m.id == "6.1").unwrap();
    assert_eq!((m61.role, m61.heading.as_str()), ("牵头", "（六）保障农民工工资支付"));
    assert!(spec.measures.iter().any(|m| m.id == "9.4" && m.role == "配合"));
    let targets: Vec<&str> = spec
        .figures
        .iter()
        .filter(|f| f.key == format!("fig_{}", f.target))
        .map(|f| f.target.as_str())
        .collect();
    // The parks are counted from the registry; the unit's figures stay as
    // the cross-check.
    assert_eq!(targets, ["return_parks", "return_parks_upgraded", "startup_loans"]);
    assert_eq!(spec.figures.len(), 3 * 8, "the city and each of the seven counties");
    let q4 = reports::form_spec(&w.db, &rsj, "2023Q4").await.unwrap();
    assert!(q4.figures.iter().any(|f| f.key == "fig_income_growth"));
    // The measure view's scenario: measure (六) has the 人社局 as lead and
    // five cooperating units.
    let p = document::current(&w.db).await.unwrap().plan;
    let (_, m6) = p.measures().find(|(_, m)| m.id == "6.1").unwrap();
    assert_eq!(m6.lead, ["rsj"]);
    assert_eq!(m6.cooperating.len(), 5);
    // Without a unit an account cannot file, and says why.
    let plain = w.scoped("dept0", Role::Department, "341000").await;
    let e = reports::form_spec(&w.db, &plain, "2023Q3").await.unwrap_err();
    assert!(field_errors(e)["unit"].contains("未关联责任单位"));
    // Neither can a role without the permission.
    assert!(matches!(
        reports::form_spec(&w.db, &lead, "2023Q3").await,
        Err(AppError::Forbidden)
    ));
}

async fn file_return_revise_accept(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let rsj = member(&w, "rsj1", Role::Department, "341000-rsj").await;
    let rsj2 = member(&w, "rsj2", Role::Department, "341000-rsj").await;
    let fgw = member(&w, "fgw1", Role::Department, "341000-fgw").await;
    // A missing required figure and an unreadable one are field errors; nothing is stored.
    let e = reports::file(&w.call(&rsj), "2023Q3", &input("", &[("fig_startup_loans", "三亿")]))
        .await
        .unwrap_err();
    let errs = field_errors(e);
    assert!(errs["body"].contains("工作进展"));
    assert!(errs["fig_startup_loans"].contains("不是数字"));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM reports").await, 0);
    let mut good = input(
        "三季度新增返乡创业示范园2个。",
        &[("fig_startup_loans", "2.85"), ("fig_startup_loans_341021", "0.4")],
    );
    good.notes.insert("6.1".into(), "开展根治欠薪专项行动。".into());
    let id = reports::file(&w.call(&rsj), "2023Q3", &good).await.unwrap();
    // One report per unit and period.
    let again = reports::file(&w.call(&rsj2), "2023Q3", &good).await.unwrap_err();
    assert!(conflict(again).contains("已报送2023年第三季度"));
    // Another unit neither sees it to edit nor revises it.
    assert!(matches!(
        reports::for_edit(&w.db, &fgw, id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        reports::revise(&w.call(&fgw), ReportId(id), 1, &good).await,
        Err(AppError::NotFound)
    ));
    // The office returns it; a return needs its reason.
    let e = reports::review(&w.call(&office), ReportId(id), 1, false, " ")
        .await
        .unwrap_err();
    assert!(field_errors(e)["comment"].contains("退回原因"));
    // The unit cannot review its own report.
    assert!(matches!(
        reports::review(&w.call(&rsj), ReportId(id), 1, true, "").await,
        Err(AppError::Forbidden)
    ));
    reports::review(&w.call(&office), ReportId(id), 1, false, "请补充分区县贷款发放情况。")
        .await
        .unwrap();
    let v = reports::get(&w.db, &rsj, ReportId(id)).await.unwrap();
    assert_eq!(v.report.state(), ReportStatus::Returned);
    assert_eq!(v.report.comment, "请补充分区县贷款发放情况。");
    assert_eq!(v.report.note_map()["6.1"], "开展根治欠薪专项行动。");
    // A stale version is refused, and nothing changes.
    let mut revised = good.clone();
    revised.figures.insert("fig_startup_loans_341022".into(), "0.5".into());
    let e = reports::revise(&w.call(&rsj), ReportId(id), 1, &revised)
        .await
        .unwrap_err();
    assert!(conflict(e).contains("已被他人修改"));
    // Revised by a colleague of the same unit, it is filed again.
    reports::revise(&w.call(&rsj2), ReportId(id), 2, &revised)
        .await
        .unwrap();
    let v = reports::get(&w.db, &office, ReportId(id)).await.unwrap();
    assert_eq!((v.report.state(), v.report.version), (ReportStatus::Filed, 3));
    assert_eq!(v.figures.len(), 3);
    // Accepted, it is final.
    let e = reports::review(&w.call(&office), ReportId(id), 2, true, "")
        .await
        .unwrap_err();
    assert!(conflict(e).contains("已被他人修改"));
    reports::review(&w.call(&office), ReportId(id), 3, true, "同意。")
        .await
        .unwrap();
    let e = reports::review(&w.call(&office), ReportId(id), 4, false, "再改")
        .await
        .unwrap_err();
    assert!(conflict(e).contains("只有已报送待审核"));
    let e = reports::revise(&w.call(&rsj), ReportId(id), 4, &revised)
        .await
        .unwrap_err();
    assert!(conflict(e).contains("已被专班办公室采纳"));
    let v = reports::get(&w.db, &office, ReportId(id)).await.unwrap();
    let actions: Vec<&str> = v.versions.iter().map(|x| x.action.as_str()).collect();
    assert_eq!(
        actions,
        ["accept", "revise", "return", "file"],
        "every version kept, newest first"
    );
    for a in ["report.file", "report.return", "report.revise", "report.accept"] {
        assert_eq!(audited(&w.db, a).await, 1, "{a}");
    }
    // The year-end evaluation quotes accepted reports only.
    let s = reports::summaries(&w.db, d("2023-01-01"), d("2023-12-31"))
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].unit_code.as_str(), s[0].period_label.as_str()),
        ("341000-rsj", "2023年第三季度")
    );
    assert!(
        s[0].figures
            .iter()
            .any(|f| f.0 == "startup_loans" && f.2 == 341000000000 && f.3 == "2.85亿元")
    );
    assert!(
        reports::summaries(&w.db, d("2023-10-01"), d("2023-12-31"))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn closed_period_refuses_filing(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let zgh = member(&w, "zgh1", Role::Department, "341000-zgh").await;
    let body = input(
        "工会驿站建设推进中。",
        &[
            ("fig_union_stations_new", "20"),
            ("fig_union_stations_upgraded", "30"),
            ("fig_union_stations_total", "50"),
        ],
    );
    let q1 = reports::file(&w.call(&zgh), "2023Q1", &body).await.unwrap();
    reports::close_period(&w.call(&office), "2023Q2").await.unwrap();
    reports::close_period(&w.call(&office), "2023Q1").await.unwrap();
    let e = reports::file(&w.call(&zgh), "2023Q2", &body).await.unwrap_err();
    let m = conflict(e);
    assert!(
        m.contains("该调度期（2023年第二季度）已于2026年9月30日关闭，不能再报送"),
        "{m}"
    );
    let e = reports::revise(&w.call(&zgh), ReportId(q1), 1, &body)
        .await
        .unwrap_err();
    assert!(conflict(e).contains("已于"));
    // Closing twice, or by a unit, is refused.
    let e = reports::close_period(&w.call(&office), "2023Q2").await.unwrap_err();
    assert!(conflict(e).contains("已于"));
    assert!(matches!(
        reports::close_period(&w.call(&zgh), "2023Q3").await,
        Err(AppError::Forbidden)
    ));
    // The office may still review what was filed in time.
    reports::review(&w.call(&office), ReportId(q1), 1, true, "")
        .await
        .unwrap();
    assert_eq!(audited(&w.db, "report.close").await, 2);
    // The unit's workbench no longer lists the closed periods.
    let owed = reports::owed(&w.db, &zgh, d("2024-02-01")).await.unwrap();
    let codes: Vec<&str> = owed.iter().map(|o| o.period.code.as_str()).collect();
    assert_eq!(codes, ["2023Q3", "2023Q4"]);
}

async fn attachments_are_checked_and_kept(db: Db) {
    let w = World::new(db).await;
    let zjj = member(&w, "zjj1", Role::Department, "341000-zjj").await;
    let mut bad = input("保障性租赁住房筹集进展。", &[("fig_rental_housing", "120")]);
    bad.files = vec![
        Upload {
            name: "工作总结.exe".into(),
            bytes: b"MZ\x90\x00".to_vec(),
        },
        Upload {
            name: "照片.jpg".into(),
            bytes: b"%PDF-1.4".to_vec(),
        },
    ];
    let e = reports::file(&w.call(&zjj), "2023Q2", &bad).await.unwrap_err();
    let m = field_errors(e)["files"].clone();
    assert!(m.contains("工作总结.exe") && m.contains("类型不能上传"), "{m}");
    assert!(m.contains("照片.jpg") && m.contains("不是JPG文件"), "{m}");
    let mut big = bad.clone();
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(shiminhua_app::attachments::MAX_FILE + 1, b'0');
    big.files = vec![Upload {
        name: "大文件.pdf".into(),
        bytes: pdf,
    }];
    let e = reports::file(&w.call(&zjj), "2023Q2", &big).await.unwrap_err();
    assert!(field_errors(e)["files"].contains("超过10MB"));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM reports").await, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM report_files").await, 0);
    let mut good = bad.clone();
    good.files = vec![Upload {
        name: "C:\\总结\\二季度总结.pdf".into(),
        bytes: b"%PDF-1.7\nhello".to_vec(),
    }];
    let id = reports::file(&w.call(&zjj), "2023Q2", &good).await.unwrap();
    let v = reports::get(&w.db, &zjj, ReportId(id)).await.unwrap();
    assert_eq!(v.files.len(), 1);
    assert_eq!(v.files[0].name, "二季度总结.pdf");
    let (name, mime, bytes) = reports::attachment(&w.db, &zjj, ReportId(id), v.files[0].id)
        .await
        .unwrap();
    assert_eq!((name.as_str(), mime.as_str()), ("二季度总结.pdf", "application/pdf"));
    assert_eq!(bytes, b"%PDF-1.7\nhello");
    // Removing it with a revision; a county unit's report is not readable
    // from another county.
    let mut rm = good.clone();
    rm.files.clear();
    rm.remove = vec![v.files[0].id];
    reports::revise(&w.call(&zjj), ReportId(id), 1, &rm).await.unwrap();
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM report_files").await, 0);
    let shexian = member(&w, "sx1", Role::Local, "341021-zjj").await;
    let county = reports::file(
        &w.call(&shexian),
        "2023Q2",
        &input("歙县住房保障。", &[("fig_rental_housing", "15")]),
    )
    .await
    .unwrap();
    let xiuning = member(&w, "xn1", Role::Local, "341022-zjj").await;
    assert!(matches!(
        reports::get(&w.db, &xiuning, ReportId(county)).await,
        Err(AppError::NotFound)
    ));
    assert!(
        reports::get(&w.db, &zjj, ReportId(county)).await.is_ok(),
        "the city sees the counties"
    );
    assert!(
        reports::get(&w.db, &xiuning, ReportId(id)).await.is_ok(),
        "everyone sees the city units'"
    );
}

async fn overdue_reports_are_urged_and_shown_to_the_unit(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let rsj = member(&w, "rsj1", Role::Department, "341000-rsj").await;
    let gaj = member(&w, "gaj1", Role::Department, "341000-gaj").await;
    let gaj_id = gaj.unit_id.unwrap();
    let rsj_id = rsj.unit_id.unwrap();
    reports::file(
        &w.call(&rsj),
        "2023Q3",
        &input("三季度工作。", &[("fig_startup_loans", "3")]),
    )
    .await
    .unwrap();
    // Overdue first on the office's overview.
    let ov = reports::overview(&w.db, &office, "2023Q3", d("2023-10-20"))
        .await
        .unwrap();
    assert!(ov.rows[0].overdue && ov.rows[0].report.is_none());
    assert!(ov.rows.last().unwrap().report.is_some());
    assert_eq!(ov.row(rsj_id).unwrap().status_label(), "已报送");
    reports::urge(&w.call(&office), gaj_id, "2023Q3", "请于10月25日前报送。")
        .await
        .unwrap();
    let e = reports::urge(&w.call(&office), rsj_id, "2023Q3", "").await.unwrap_err();
    assert!(conflict(e).contains("无须督办"));
    assert!(matches!(
        reports::urge(&w.call(&rsj), gaj_id, "2023Q3", "").await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(audited(&w.db, "report.urge").await, 1);
    // The unit's workbench: what it owes and by when, overdue with the 督办 mark.
    let owed = reports::owed(&w.db, &gaj, d("2023-10-20")).await.unwrap();
    let q3 = owed.iter().find(|o| o.period.code == "2023Q3").unwrap();
    assert!(q3.overdue);
    assert_eq!(q3.due, Ok(d("2023-10-11")));
    assert_eq!(q3.urges.len(), 1);
    assert_eq!(q3.urges[0].note, "请于10月25日前报送。");
    assert_eq!(owed[0].period.code, "2023Q1", "the overdue first, oldest first");
    assert!(owed.iter().all(|o| o.period.start <= d("2023-10-20")));
    assert!(
        owed.iter().any(|o| o.period.code == "2023Q4" && !o.overdue),
        "the period in course"
    );
    // The 人社局 owes nothing for Q3 any more.
    let owed = reports::owed(&w.db, &rsj, d("2023-10-20")).await.unwrap();
    assert!(!owed.iter().any(|o| o.period.code == "2023Q3"));
}

async fn board_shows_accepted_reported_figures(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let zjj = member(&w, "zjj1", Role::Department, "341000-zjj").await;
    let shexian = member(&w, "sx1", Role::Local, "341021-zjj").await;
    let file = |p: &'static str, city: &'static str, sx: &'static str| {
        let zjj = zjj.clone();
        let w = &w;
        async move {
            reports::file(
                &w.call(&zjj),
                p,
                &input(
                    "住房保障。",
                    &[("fig_rental_housing", city), ("fig_rental_housing_341021", sx)],
                ),
            )
            .await
            .unwrap()
        }
    };
    let q2 = file("2023Q2", "120", "20").await;
    let q3 = file("2023Q3", "210", "35").await;
    let q4 = file("2023Q4", "281", "50").await;
    // The county unit's own report for Q3, filed after the city's.
    let sx = reports::file(
        &w.call(&shexian),
        "2023Q3",
        &input("歙县。", &[("fig_rental_housing", "36")]),
    )
    .await
    .unwrap();
    let p = document::current(&w.db).await.unwrap().plan;
    let rental = |board: &[indicators::TargetBoard]| board.iter().find(|t| t.id == "rental_housing").unwrap().clone();
    // The units delivered are counted from the registry (none on file); the
    // accepted report is the cross-check beside the count. Nothing accepted:
    // no cross-check.
    let (_, b) = indicators::board(&w.db, &p, d("2023-12-31")).await.unwrap();
    assert_eq!(rental(&b).city.actual, Some(0.0));
    assert_eq!(rental(&b).city.cross_check, None);
    reports::review(&w.call(&office), ReportId(q2), 1, true, "")
        .await
        .unwrap();
    reports::review(&w.call(&office), ReportId(q3), 1, true, "")
        .await
        .unwrap();
    reports::review(&w.call(&office), ReportId(sx), 1, true, "")
        .await
        .unwrap();
    reports::review(&w.call(&office), ReportId(q4), 1, false, "请核实。")
        .await
        .unwrap();
    let (_, b) = indicators::board(&w.db, &p, d("2023-12-31")).await.unwrap();
    let t = rental(&b);
    assert_eq!(t.city.cross_check, Some(210.0), "the returned Q4 figure does not count");
    assert_eq!(t.city.reports, [q3]);
    assert_eq!(t.city.reported_as_of, Some(d("2023-09-30")));
    let sxc = t.counties.iter().find(|c| c.region.to_string() == "341021").unwrap();
    assert_eq!(
        sxc.cross_check,
        Some(36.0),
        "the county's own report, filed last, gives the value"
    );
    assert_eq!(sxc.reports, [q3, sx]);
    // The evaluation quotes the city units' accepted reports only: the
    // county unit's is for its county's eyes.
    let quoted: Vec<i64> = reports::summaries(&w.db, d("2023-01-01"), d("2023-12-31"))
        .await
        .unwrap()
        .iter()
        .map(|r| r.report_id)
        .collect();
    assert_eq!(quoted, [q2, q3]);
    assert!(
        t.counties
            .iter()
            .filter(|c| c.region.to_string() != "341021")
            .all(|c| c.cross_check.is_none())
    );
    // As of a day within Q3, the Q2 figure.
    let (_, b) = indicators::board(&w.db, &p, d("2023-09-29")).await.unwrap();
    assert_eq!(rental(&b).city.cross_check, Some(120.0));
    assert_eq!(rental(&b).city.reports, [q2]);
    // An unreviewed revision of Q4 still does not count.
    reports::revise(
        &w.call(&zjj),
        ReportId(q4),
        2,
        &input("核实后。", &[("fig_rental_housing", "290")]),
    )
    .await
    .unwrap();
    let (_, b) = indicators::board(&w.db, &p, d("2024-01-31")).await.unwrap();
    assert_eq!(rental(&b).city.cross_check, Some(210.0));
    reports::review(&w.call(&office), ReportId(q4), 3, true, "")
        .await
        .unwrap();
    let (_, b) = indicators::board(&w.db, &p, d("2024-01-31")).await.unwrap();
    assert_eq!(rental(&b).city.cross_check, Some(290.0));
}

async fn demo_reports_tell_the_story(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let done = reports::demo(&w.db, t0()).await.unwrap();
    assert_eq!(done.returned, 1);
    assert_eq!(done.urged, 1);
    assert_eq!(done.filed, 4 * 9 - 4);
    assert_eq!(done.accepted, 3 * 9 - 2 - 1);
    // Run again: nothing more.
    assert_eq!(
        reports::demo(&w.db, t0()).await.unwrap(),
        reports::DemoReports::default()
    );
    let ov = reports::overview(&w.db, &office, "2023Q3", d("2026-09-30"))
        .await
        .unwrap();
    let missing: Vec<&str> = ov
        .rows
        .iter()
        .filter(|r| r.report.is_none())
        .map(|r| r.unit.dept.as_str())
        .collect();
    assert_eq!(missing.len(), 2);
    assert!(missing.contains(&"gaj") && missing.contains(&"zjj"));
    assert_eq!(ov.by_dept("fgw").unwrap().status_label(), "已退回");
    assert_eq!(ov.by_dept("gaj").unwrap().urges.len(), 1);
    let p = document::current(&w.db).await.unwrap().plan;
    let (_, b) = indicators::board(&w.db, &p, d("2023-12-31")).await.unwrap();
    let loans = b.iter().find(|t| t.id == "startup_loans").unwrap();
    assert!(loans.city.actual.is_some_and(|v| v > 0.0));
}
