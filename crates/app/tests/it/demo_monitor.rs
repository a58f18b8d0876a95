//! The monitoring demo (智慧监管演示数据), on SQLite and PostgreSQL: over
//! the demo population it writes what it says it wrote, every rule of the
//! default rules fires on some project, a second evaluation opens nothing,
//! and the same seed gives the same data.

use crate::common::*;

use chrono::NaiveDate;
use shiminhua_app::audit::Who;
use shiminhua_app::ops::demo::{self, DemoMonitor};
use shiminhua_app::rights::monitor::evaluate_all;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{Origin, both};
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::monitor::{Authority, Check, ProjectKind, ProjectStatus};

both!(monitor_demo_fires_every_rule, monitor_demo_is_the_same_for_a_seed);

async fn int(db: &Db, sql: &str) -> i64 {
    db.read().await.unwrap().int(Sql::new(sql)).await.unwrap()
}

async fn texts(db: &Db, sql: &str) -> Vec<String> {
    let rows: Vec<(String,)> = db.read().await.unwrap().all(Sql::new(sql)).await.unwrap();
    rows.into_iter().map(|(s,)| s).collect()
}

async fn open_warnings(db: &Db) -> i64 {
    int(db, "SELECT COUNT(*) FROM warnings WHERE status <> 'resolved'").await
}

async fn monitor_demo_fires_every_rule(db: Db) {
    let w = World::new(db).await;
    demo::generate(&w.db, &w.cipher, t0(), 200, 7).await.unwrap();
    let made = demo::monitor(&w.db, &w.cipher, t0(), 7).await.unwrap();

    // What it says it wrote is on file.
    assert_eq!(made.projects, 60);
    assert_eq!(int(&w.db, "SELECT COUNT(*) FROM projects").await, 60);
    assert!(made.watched > 30 && made.watched < 60, "{made:?}");
    assert_eq!(
        int(
            &w.db,
            "SELECT COUNT(*) FROM projects WHERE status IN ('building', 'halted')"
        )
        .await,
        made.watched as i64
    );
    for (table, n) in [
        ("project_roster", made.roster),
        ("project_attendance", made.attendance),
        ("payroll_lines", made.payroll),
        ("project_transfers", made.transfers),
        ("project_deposits", made.deposits),
    ] {
        assert!(n > 0, "{table}: {made:?}");
        assert_eq!(
            int(&w.db, &format!("SELECT COUNT(*) FROM {table}")).await,
            n as i64,
            "{table}"
        );
    }
    assert_eq!(
        int(&w.db, "SELECT COUNT(DISTINCT worker_id) FROM project_roster").await,
        made.workers as i64
    );
    // Demo workers, some of them on two projects.
    assert_eq!(
        int(
            &w.db,
            "SELECT COUNT(*) FROM project_roster r WHERE NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = r.worker_id)"
        )
        .await,
        0
    );
    assert!(
        int(
            &w.db,
            "SELECT COUNT(*) FROM (SELECT worker_id FROM project_roster GROUP BY worker_id HAVING COUNT(*) > 1) AS twice"
        )
        .await
            > 0
    );
    // Every kind and the statuses, each with its authority; valid credit codes.
    let kinds = texts(&w.db, "SELECT DISTINCT kind FROM projects ORDER BY kind").await;
    assert_eq!(kinds.len(), ProjectKind::ALL.len(), "{kinds:?}");
    for status in [
        ProjectStatus::Building,
        ProjectStatus::Halted,
        ProjectStatus::Completed,
        ProjectStatus::NotStarted,
    ] {
        let n = int(
            &w.db,
            &format!("SELECT COUNT(*) FROM projects WHERE status = '{}'", status.code()),
        )
        .await;
        assert!(n > 0, "{status:?}");
    }
    let rows: Vec<(String, String, String, String)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new(
                "SELECT kind, authority, builder_credit_code, contractor_credit_code FROM projects",
            ))
            .await
            .unwrap();
    for (kind, authority, builder, contractor) in &rows {
        let kind = ProjectKind::from_code(kind).unwrap();
        assert_eq!(Authority::for_kind(kind).code(), authority);
        CreditCode::parse(builder).unwrap();
        CreditCode::parse(contractor).unwrap();
    }
    assert!(
        int(&w.db, "SELECT COUNT(DISTINCT contractor_credit_code) FROM projects").await < 60,
        "a contractor holds several projects"
    );
    // Sums of 100万 to 5亿 yuan; 人工费 20–30%.
    assert_eq!(
        int(
            &w.db,
            "SELECT COUNT(*) FROM projects WHERE contract_sum_fen < 100000000 OR contract_sum_fen > 50000000000 \
             OR labour_pct < 20 OR labour_pct > 30"
        )
        .await,
        0
    );
    // Nothing dated after today; no pay before its month.
    let today = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let after = |sql: &str| Sql::new(sql).bind(today);
    let mut tx = w.db.read().await.unwrap();
    for sql in [
        "SELECT COUNT(*) FROM payroll_lines WHERE paid_on > $1",
        "SELECT COUNT(*) FROM project_transfers WHERE paid_on > $1",
        "SELECT COUNT(*) FROM project_roster WHERE entered_on > $1",
        "SELECT COUNT(*) FROM projects WHERE contract_date > $1 OR account_opened > $1 OR board_on > $1",
    ] {
        assert_eq!(tx.int(after(sql)).await.unwrap(), 0, "{sql}");
    }
    drop(tx);
    assert_eq!(
        int(
            &w.db,
            "SELECT COUNT(*) FROM project_attendance WHERE days < 1 OR days > 31 OR month > 202608"
        )
        .await,
        0
    );

    // Every check of the default rules has an open warning.
    let open = texts(
        &w.db,
        "SELECT DISTINCT check_code FROM warnings WHERE status <> 'resolved' ORDER BY check_code",
    )
    .await;
    for c in Check::ALL {
        assert!(open.iter().any(|o| o == c.code()), "{c:?} fired nowhere: {open:?}");
    }
    let before = open_warnings(&w.db).await;
    assert_eq!(before, made.warnings as i64);
    // Not every project is in warning.
    assert!(
        int(&w.db, "SELECT COUNT(DISTINCT project_id) FROM warnings").await < made.watched as i64,
        "{made:?}"
    );

    // The next evaluation finds the same: nothing opened, nothing cleared.
    let again = evaluate_all(&w.db, t0(), &Who::system(&Origin::cli()), None)
        .await
        .unwrap();
    assert_eq!((again.opened, again.cleared), (0, 0), "{again:?}");
    assert_eq!(again.open as i64, before);
    assert_eq!(open_warnings(&w.db).await, before);

    // A second run adds nothing.
    let none = demo::monitor(&w.db, &w.cipher, t0(), 7).await.unwrap();
    assert_eq!(none, DemoMonitor::default());
    assert_eq!(int(&w.db, "SELECT COUNT(*) FROM projects").await, 60);
}

type ProjectDigest = (
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

async fn digest(
    db: &Db,
) -> (
    Vec<ProjectDigest>,
    Vec<(String, i64, bool, NaiveDate)>,
    Vec<(String, i64, i64, i64)>,
) {
    let mut tx = db.read().await.unwrap();
    let projects = tx
        .all(Sql::new(
            "SELECT code, name, kind, status, region_code, contractor_credit_code, contract_sum_fen, contract_date, \
             account_opened, board_on FROM projects ORDER BY code",
        ))
        .await
        .unwrap();
    let roster = tx
        .all(Sql::new(
            "SELECT p.code, r.worker_id, r.contract_signed, r.entered_on FROM project_roster r \
             JOIN projects p ON p.id = r.project_id ORDER BY p.code, r.worker_id",
        ))
        .await
        .unwrap();
    let pay = tx
        .all(Sql::new(
            "SELECT p.code, l.month, l.worker_id, l.amount_fen FROM payroll_lines l \
             JOIN projects p ON p.id = l.project_id ORDER BY p.code, l.month, l.worker_id",
        ))
        .await
        .unwrap();
    (projects, roster, pay)
}

async fn monitor_demo_is_the_same_for_a_seed(db: Db) {
    let w = World::new(db).await;
    demo::generate(&w.db, &w.cipher, t0(), 120, 3).await.unwrap();
    let first = demo::monitor(&w.db, &w.cipher, t0(), 3).await.unwrap();
    let before = digest(&w.db).await;
    let checks = texts(
        &w.db,
        "SELECT check_code FROM warnings ORDER BY project_id, rule_code, month",
    )
    .await;
    // Cleared away, then made again from the same seed over the same workers.
    let mut tx = w.db.write().await.unwrap();
    for table in [
        "warning_events",
        "warnings",
        "payroll_lines",
        "project_attendance",
        "project_roster",
        "project_deposits",
        "project_transfers",
        "projects",
    ] {
        tx.exec(Sql::new(&format!("DELETE FROM {table}"))).await.unwrap();
    }
    tx.commit().await.unwrap();
    let second = demo::monitor(&w.db, &w.cipher, t0(), 3).await.unwrap();
    assert_eq!(first, second);
    let after = digest(&w.db).await;
    assert_eq!(before.0, after.0);
    assert_eq!(before.1, after.1);
    assert_eq!(before.2, after.2);
    assert_eq!(
        texts(
            &w.db,
            "SELECT check_code FROM warnings ORDER BY project_id, rule_code, month"
        )
        .await,
        checks
    );
}
