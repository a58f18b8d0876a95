//! The plan and the holiday calendar in the database, on SQLite and PostgreSQL.

use crate::common::*;

use chrono::NaiveDate;
use shiminhua_app::rights::holidays;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{AppError, both, calendar, ops::setup, plan::document};
use shiminhua_core::auth::Role;
use shiminhua_core::calendar::CalendarError;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::password::PasswordPolicy;
use std::collections::BTreeMap;

both!(
    init_loads_the_shipped_plan_once,
    plan_edits_are_checked_versioned_and_audited,
    a_new_year_of_holidays_counts_across_new_year,
    a_conflicting_holiday_table_changes_nothing,
    allocations_are_saved_as_a_plan_version,
);

async fn count(db: &Db, sql: &str) -> i64 {
    db.read().await.unwrap().int(Sql::new(sql)).await.unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn init_loads_the_shipped_plan_once(db: Db) {
    let w = World::new(db).await;
    let cur = document::current(&w.db).await.unwrap();
    assert_eq!(cur.version, 1);
    assert_eq!(cur.plan.meta.id, "huangshan-2023");
    assert_eq!(cur.plan.items.len(), 12);
    assert_eq!(cur.text, document::SHIPPED_TOML);
    // The shipped holidays are stored and count as the built-in table does.
    let cal = calendar::calendar(&w.db).await.unwrap();
    assert_eq!(cal, shiminhua_core::calendar::Calendar::builtin());
    assert_eq!(cal.add_working_days(date("2023-09-27"), 5).unwrap(), date("2023-10-10"));
    // An edited plan survives a second init.
    let office = w.scoped("office1", Role::Office, "341000").await;
    let edited = document::SHIPPED_TOML.replacen("value = 8000", "value = 9000", 1);
    document::save(&w.call(&office), &edited, 1, "培训目标调整")
        .await
        .unwrap();
    setup::init(&w.db, t0(), &PasswordPolicy::default(), None)
        .await
        .unwrap();
    let cur = document::current(&w.db).await.unwrap();
    assert_eq!(cur.version, 2);
    assert_eq!(cur.text, edited);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM plans").await, 1);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM holidays").await,
        cal.entries().count() as i64
    );
}

async fn plan_edits_are_checked_versioned_and_audited(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dept = w.scoped("dept1", Role::Department, "341000").await;
    let edited = document::SHIPPED_TOML.replacen("value = 8000", "value = 9000", 1);

    // Only the office may edit.
    assert!(matches!(
        document::save(&w.call(&dept), &edited, 1, "").await,
        Err(AppError::Forbidden)
    ));

    // A syntax error is named with its line; nothing changes.
    let broken = format!("{}\n[broken\n", document::SHIPPED_TOML.trim_end());
    let line = document::SHIPPED_TOML.trim_end().lines().count() + 1;
    match document::save(&w.call(&office), &broken, 1, "").await {
        Err(AppError::Validation(e)) => {
            let msgs: Vec<&str> = e.0.iter().map(|(_, m)| m.as_str()).collect();
            assert!(msgs.iter().any(|m| m.starts_with(&format!("第{line}行："))), "{msgs:?}");
        }
        other => panic!("{other:?}"),
    }
    // A rule error (an unknown unit code) too.
    let bad_unit = document::SHIPPED_TOML.replacen("office = \"rsj\"", "office = \"xxj\"", 1);
    assert_ne!(
        bad_unit,
        document::SHIPPED_TOML,
        "the shipped plan names the office as rsj"
    );
    match document::save(&w.call(&office), &bad_unit, 1, "").await {
        Err(AppError::Validation(e)) => assert!(e.0.iter().any(|(_, m)| m.starts_with("第")), "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(document::current(&w.db).await.unwrap().version, 1);

    // A good edit bumps the version and keeps the earlier text.
    let v = document::save(&w.call(&office), &edited, 1, "培训目标调整")
        .await
        .unwrap();
    assert_eq!(v, 2);
    let cur = document::current(&w.db).await.unwrap();
    assert_eq!(cur.version, 2);
    assert_eq!(cur.updated_by, "office1");
    assert_eq!(cur.plan.target("training").unwrap().value.unwrap().to_string(), "9000");
    let h = document::history(&w.db).await.unwrap();
    assert_eq!(h.iter().map(|r| r.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(h[0].note, "培训目标调整");
    let old: (String,) =
        w.db.read()
            .await
            .unwrap()
            .one(Sql::new("SELECT toml FROM plan_versions WHERE version = 1"))
            .await
            .unwrap();
    assert_eq!(old.0, document::SHIPPED_TOML);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'plan.update'").await,
        1
    );

    // A save from the old version is refused and changes nothing.
    let again = edited.replacen("value = 9000", "value = 9500", 1);
    match document::save(&w.call(&office), &again, 1, "").await {
        Err(AppError::Conflict(m)) => assert!(m.contains("已被他人修改"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(document::current(&w.db).await.unwrap().text, edited);
    // The plan is the office's: the administrator may not edit it.
    assert!(matches!(
        document::save(&w.call(&w.admin), &again, 2, "").await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(document::save(&w.call(&office), &again, 2, "").await.unwrap(), 3);
}

fn counties(pairs: &[(&str, &str)]) -> BTreeMap<DivisionCode, String> {
    pairs
        .iter()
        .map(|(c, v)| (DivisionCode::parse(c).unwrap(), v.to_string()))
        .collect()
}

async fn allocations_are_saved_as_a_plan_version(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dept = w.scoped("dept1", Role::Department, "341000").await;
    let shares = counties(&[
        ("341002", "1000"),
        ("341003", "800"),
        ("341004", "1200"),
        ("341021", "2000"),
        ("341022", "1200"),
        ("341023", "900"),
        ("341024", "1300"),
    ]);
    // The city figure left empty: it becomes the sum of the shares.
    let change = BTreeMap::from([(
        "training".to_string(),
        document::Allocation {
            value: None,
            counties: shares.clone(),
        },
    )]);
    assert!(matches!(
        document::save_allocations(&w.call(&dept), &change, 1, "").await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(
        document::save_allocations(&w.call(&office), &change, 1, "")
            .await
            .unwrap(),
        2
    );
    let cur = document::current(&w.db).await.unwrap();
    let t = cur.plan.target("training").unwrap();
    assert_eq!(t.value, None);
    let read: BTreeMap<DivisionCode, String> = t.allocation.iter().map(|(c, f)| (*c, f.to_string())).collect();
    assert_eq!(read, shares);
    // Only the training target's lines changed: its value line went, one
    // allocation line came; every other line (comments included) is as shipped.
    let alloc_line = "allocation = { \"341002\" = 1000, \"341003\" = 800, \"341004\" = 1200, \"341021\" = 2000, \"341022\" = 1200, \"341023\" = 900, \"341024\" = 1300 }";
    assert_eq!(cur.text.matches(alloc_line).count(), 1, "{}", cur.text);
    let without: Vec<&str> = cur.text.lines().filter(|l| *l != alloc_line).collect();
    let shipped: Vec<&str> = document::SHIPPED_TOML.lines().collect();
    let gone = shipped.iter().position(|l| *l == "value = 8000").unwrap();
    let mut expected = shipped.clone();
    expected.remove(gone);
    assert_eq!(without, expected);
    assert_eq!(document::history(&w.db).await.unwrap()[0].note, "任务分解");
    // The board compares each county with its share, the city with the sum.
    let (_, board) = shiminhua_app::plan::indicators::board(&w.db, &cur.plan, date("2023-12-31"))
        .await
        .unwrap();
    let tb = board.iter().find(|b| b.id == "training").unwrap();
    assert_eq!(tb.city.goal, Some(8400.0));
    let yixian = tb.counties.iter().find(|c| c.region.to_string() == "341023").unwrap();
    assert_eq!(yixian.goal, Some(900.0));

    // An explicit city figure is kept as set; a share can be changed.
    let change = BTreeMap::from([(
        "training".to_string(),
        document::Allocation {
            value: Some("8000".into()),
            counties: counties(&[("341023", "850.5"), ("341002", "1000")]),
        },
    )]);
    assert_eq!(
        document::save_allocations(&w.call(&office), &change, 2, "调整")
            .await
            .unwrap(),
        3
    );
    let cur = document::current(&w.db).await.unwrap();
    let t = cur.plan.target("training").unwrap();
    assert_eq!(t.value.unwrap().to_string(), "8000");
    assert_eq!(t.allocation.len(), 2);
    assert_eq!(
        t.allocation[&DivisionCode::parse("341023").unwrap()].to_string(),
        "850.5"
    );

    // From a stale version: refused, nothing changes.
    assert!(matches!(
        document::save_allocations(&w.call(&office), &change, 2, "").await,
        Err(AppError::Conflict(_))
    ));
    // A computed target with neither figure nor shares does not read: refused
    // with the plan check's message, nothing changes.
    let empty = BTreeMap::from([("training".to_string(), document::Allocation::default())]);
    match document::save_allocations(&w.call(&office), &empty, 3, "").await {
        Err(AppError::Validation(e)) => assert!(e.0.iter().any(|(_, m)| m.contains("目标值")), "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(document::current(&w.db).await.unwrap().text, cur.text);
}

#[test]
fn allocation_figures_and_rewrites() {
    assert_eq!(document::allocation_figure(" 1,200 ").unwrap(), "1200");
    assert_eq!(document::allocation_figure("007.50").unwrap(), "7.5");
    assert_eq!(document::allocation_figure("0").unwrap(), "0");
    assert!(document::allocation_figure("-5").is_err());
    assert!(document::allocation_figure("1.23456").is_err());
    assert!(document::allocation_figure("五百").is_err());
    assert!(document::allocation_figure("").is_err());
    // A share table written as a sub-table is replaced by one inline table;
    // the other target and the sub-tables stay.
    let text = "[[target]]\nid = \"a\"\nvalue = 10 # ten\nunit = \"人\"\n\n[target.allocation]\n\"341002\" = 4\n\n[target.compute]\naggregate = \"count\"\n\n[[target]]\nid = \"b\"\nvalue = 5\n";
    let change = BTreeMap::from([(
        "a".to_string(),
        document::Allocation {
            value: Some("12".into()),
            counties: counties(&[("341003", "6"), ("341002", "6")]),
        },
    )]);
    let out = document::with_allocations(text, &change).unwrap();
    assert_eq!(
        out,
        "[[target]]\nid = \"a\"\nvalue = 12\nunit = \"人\"\nallocation = { \"341002\" = 6, \"341003\" = 6 }\n\n[target.compute]\naggregate = \"count\"\n\n[[target]]\nid = \"b\"\nvalue = 5\n"
    );
}

/// A MADE-UP 2027 arrangement, for tests only: it is not the State
/// Council's notice (which did not exist when this was written).
const MADE_UP_2027: &str = "date,weekday,kind,festival_cn,festival_en,arrangement_year,in_lieu_weekday_off,source
2027-01-01,Fri,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试，非国务院办公厅通知）
2027-01-02,Sat,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试，非国务院办公厅通知）
2027-01-03,Sun,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试，非国务院办公厅通知）
2027-02-20,Sat,workday,春节,Spring Festival,2027,,虚构数据（仅供测试，非国务院办公厅通知）
";

async fn a_new_year_of_holidays_counts_across_new_year(db: Db) {
    let w = World::new(db).await;
    let before = calendar::calendar(&w.db).await.unwrap();
    // 2026-12-31 needs the 2027 notice: not loaded yet.
    assert_eq!(
        before.add_working_days(date("2026-12-30"), 2),
        Err(CalendarError::NotLoaded { year: 2027 })
    );
    // Only the administrator loads holidays.
    let office = w.scoped("office1", Role::Office, "341000").await;
    assert!(matches!(
        holidays::load_year(&w.call(&office), MADE_UP_2027).await,
        Err(AppError::Forbidden)
    ));
    let l = holidays::load_year(&w.call(&w.admin), MADE_UP_2027).await.unwrap();
    assert_eq!(l.years, vec![2027]);
    assert_eq!(l.added, 4);
    let cal = calendar::calendar(&w.db).await.unwrap();
    assert!(cal.covers(2027));
    // 12-31 (Thu) is day 1; 1-1 to 1-3 are off; 1-4 (Mon) is day 2.
    assert_eq!(cal.add_working_days(date("2026-12-30"), 2).unwrap(), date("2027-01-04"));
    // The make-up Saturday counts.
    assert_eq!(cal.add_working_days(date("2027-02-19"), 1).unwrap(), date("2027-02-20"));
    // Loading the same table again adds nothing.
    let again = holidays::load_year(&w.call(&w.admin), MADE_UP_2027).await.unwrap();
    assert_eq!(again.added, 0);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'calendar.load'").await,
        2
    );
}

async fn a_conflicting_holiday_table_changes_nothing(db: Db) {
    let w = World::new(db).await;
    let rows = count(&w.db, "SELECT COUNT(*) FROM holidays").await;
    // 2026-01-03 is loaded as a day off; this table makes it a working day.
    let conflicting = format!("{MADE_UP_2027}2026-01-03,Sat,workday,元旦,New Year's Day,2026,,虚构数据（仅供测试）\n");
    match holidays::load_year(&w.call(&w.admin), &conflicting).await {
        Err(AppError::Validation(e)) => {
            let m = e.get("csv").unwrap();
            assert!(m.contains("冲突") && m.contains("2026-01-03"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    // A table that does not read names the line and column.
    let bad = MADE_UP_2027.replace("2027-01-02,Sat", "2027-01-02,Mon");
    match holidays::load_year(&w.call(&w.admin), &bad).await {
        Err(AppError::Validation(e)) => {
            let m = e.get("csv").unwrap();
            assert!(m.contains("第3行第2列"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM holidays").await, rows);
    assert!(!calendar::calendar(&w.db).await.unwrap().covers(2027));
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'calendar.load'").await,
        0
    );
}
