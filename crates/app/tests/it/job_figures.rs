//! Plan targets counted from the registers of the public employment service
//! (`[target.count] service = …`), on SQLite and PostgreSQL, over the demo's
//! seekers, referrals, events and registrations: each figure is the same on
//! every path (the function, the engine, the drill-down, the board) and
//! equals the lists the staff work from.

use crate::common::*;
use chrono::NaiveDate;
use shiminhua_app::both;
use shiminhua_app::ops::demo;
use shiminhua_app::plan::{document, facility_tally, indicators};
use shiminhua_app::registry::jobs::vacancies::{self, VacancyFilter};
use shiminhua_app::registry::jobs::{events, registrations};
use shiminhua_app::store::{Db, Sql};
use shiminhua_core::auth::Role;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::jobs::{EventSeries, RegistrationKind};
use shiminhua_core::plan::Plan;
use std::collections::HashMap;

both!(service_targets_equal_their_lists);

/// Targets over every register. The plan is stretched to end in 2026 so
/// that the demo's entries (dated up to 2026) fall in it.
const TARGETS: &str = r#"
[[target]]
id = "seekers_registered"
name = "求职登记人数"
source = "二（三）"
text = "求职登记"
value = 300
unit = "人"

[target.count]
service = "job_seekers"
date = "registered"

[[target]]
id = "hired_across"
name = "跨区县推荐录用"
source = "二（三）"
text = "劳务协作"
value = 10
unit = "人"

[target.count]
service = "job_referrals"
date = "outcome_on"
filters = [{ field = "outcome", is = "录用" }, { field = "across", is = "是" }]

[[target]]
id = "spring_hires"
name = "春风行动现场录用"
source = "二（三）"
text = "春风行动"
value = 500
unit = "人"

[target.count]
service = "job_events"
aggregate = "sum"
field = "hires"
date = "held"
filters = [{ field = "series", is = "春风行动" }]

[[target]]
id = "unemployed_now"
name = "登记失业人员"
source = "二（三）"
text = "失业登记"
value = 50
unit = "人"
progress = "level"

[target.count]
service = "job_registrations"
date = "since"
window = "to_date"
filters = [{ field = "kind", is = "失业登记" }, { field = "ended", present = false }]

[[target]]
id = "event_counties"
name = "开展招聘活动的区县"
source = "二（三）"
text = "区县全覆盖"
value = 7
unit = "个区县"
progress = "level"

[target.count]
service = "job_events"
aggregate = "counties"
date = "held"
window = "to_date"
"#;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The figure of (target, region, day) from the function, the engine, the
/// drill-down and the board; all must agree.
async fn figure(db: &Db, p: &Plan, target: &str, region: &str, day: NaiveDate) -> i64 {
    let region = code(region);
    let one = facility_tally::figure(db, p, target, region, day)
        .await
        .unwrap()
        .expect("a counted target");
    let mut tx = db.read().await.unwrap();
    let engine = indicators::figure(&mut tx, p, target, region, day)
        .await
        .unwrap()
        .unwrap();
    drop(tx);
    assert_eq!(engine.value, one, "{target} {region}: engine");
    let behind = facility_tally::counted(db, p, target, region, day)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(behind.figure, one, "{target} {region}: drill-down");
    let (_, board) = indicators::board(db, p, day).await.unwrap();
    let t = board.iter().find(|t| t.id == target).unwrap();
    let s = std::iter::once(&t.city)
        .chain(&t.counties)
        .find(|s| s.region == region)
        .unwrap();
    assert_eq!(s.actual, Some(one as f64), "{target} {region}: board");
    one
}

async fn service_targets_equal_their_lists(db: Db) {
    let w = World::new(db).await;
    demo::generate(&w.db, &w.cipher, t0(), 400, 7).await.unwrap();
    demo::jobs(&w.db, &w.cipher, t0(), 7).await.unwrap();
    let office = w.scoped("office", Role::Office, "341000").await;
    let cur = document::current(&w.db).await.unwrap();
    let text = format!(
        "{}{TARGETS}",
        cur.text.replacen("end = 2023-12-31", "end = 2026-12-31", 1)
    );
    document::save(&w.call(&office), &text, cur.version, "测试：就业服务目标")
        .await
        .unwrap();
    let p = document::current(&w.db).await.unwrap().plan;
    let day = t0().date_naive();
    let (start, city) = (p.meta.start, "341000");
    let int = async |q: Sql| w.db.read().await.unwrap().int(q).await.unwrap();
    let counties = ["341002", "341003", "341004", "341021", "341022", "341023", "341024"];

    let mut with_events = 0;
    for region in std::iter::once(city).chain(counties) {
        let range = code(region).subtree_range();
        // 求职登记 in the plan period: the register's own rows.
        let seekers = figure(&w.db, &p, "seekers_registered", region, day).await;
        let want = int(Sql::new(
            "SELECT COUNT(*) FROM job_seekers WHERE registered_on >= $1 AND registered_on <= $2 \
             AND region_code >= $3 AND region_code < $4",
        )
        .bind(start)
        .bind(day)
        .bind(range.0)
        .bind(range.1))
        .await;
        assert_eq!(seekers, want, "seekers {region}");

        // Hires of a seeker into another county's vacancy.
        let across = figure(&w.db, &p, "hired_across", region, day).await;
        let want = int(Sql::new(
            "SELECT COUNT(*) FROM referrals r JOIN job_seekers s ON s.id = r.seeker_id \
             JOIN vacancies v ON v.id = r.vacancy_id WHERE r.outcome = 'hired' AND v.county_code <> s.county_code \
             AND r.outcome_on >= $1 AND r.outcome_on <= $2 AND s.region_code >= $3 AND s.region_code < $4",
        )
        .bind(start)
        .bind(day)
        .bind(range.0)
        .bind(range.1))
        .await;
        assert_eq!(across, want, "across {region}");

        // 春风行动 hires: the event list of the series, held by the day.
        let spring = figure(&w.db, &p, "spring_hires", region, day).await;
        let f = events::EventFilter {
            year: None,
            region: (region != city).then(|| code(region)),
            series: Some(EventSeries::Spring),
        };
        let (rows, _) = events::list(&w.db, &office, &f, 10_000, 0).await.unwrap();
        let listed: i64 = rows
            .iter()
            .filter(|e| e.held_on >= start && e.held_on <= day)
            .filter_map(|e| e.hires)
            .sum();
        assert_eq!(spring, listed, "spring {region}");

        // The registered unemployed: the open-unemployment list.
        let open = figure(&w.db, &p, "unemployed_now", region, day).await;
        let f = registrations::RegistrationFilter {
            kind: Some(RegistrationKind::Unemployment),
            region: (region != city).then(|| code(region)),
            open: true,
            late: false,
        };
        let (_, total) = registrations::list(&w.db, &office, &f, 1, 0).await.unwrap();
        assert_eq!(open, total, "unemployed {region}");

        let covered = figure(&w.db, &p, "event_counties", region, day).await;
        if region == city {
            with_events = covered;
        } else {
            assert!(covered <= 1, "a county covers itself at most");
        }
    }
    assert!(with_events > 1, "events in several counties");
    // The demo's figures are not all zero: the test compares real counts.
    for id in ["seekers_registered", "hired_across", "spring_hires", "unemployed_now"] {
        assert!(figure(&w.db, &p, id, city, day).await > 0, "{id}");
    }
    // An event entered now moves the figure on the board at once (the
    // board's memo is kept by the figure version the registers raise).
    let before = figure(&w.db, &p, "spring_hires", city, day).await;
    let pairs: HashMap<&str, String> = [
        ("name", "春风行动补充场"),
        ("series", "春风行动"),
        ("organiser", "屯溪区人社局"),
        ("held_on", &day.to_string()),
        ("place", "昱中街道"),
        ("online", "否"),
        ("visitors", "40"),
        ("intents", "20"),
        ("hires", "12"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    events::create(&w.call(&office), &|k: &str| pairs.get(k).cloned().unwrap_or_default())
        .await
        .unwrap();
    assert_eq!(figure(&w.db, &p, "spring_hires", city, day).await, before + 12);
    // The tables of the service's pages equal the lists they summarise:
    // open vacancies by county (/jobs) and the waiting unemployed by
    // township (/jobs/registrations).
    let by_county = vacancies::open_by_county(&w.db, &office, day).await.unwrap();
    assert!(by_county.len() > 1, "{by_county:?}");
    for (county, n, places) in by_county {
        let f = VacancyFilter {
            region: Some(DivisionCode::from_i64(county).unwrap()),
            ..VacancyFilter::default()
        };
        let (rows, total) = vacancies::list(&w.db, &office, &f, day, 100_000, 0).await.unwrap();
        assert_eq!(total, n, "county {county}");
        assert_eq!(rows.iter().map(|v| v.headcount).sum::<i64>(), places, "county {county}");
    }
    let waiting = registrations::waiting_by_township(&w.db, &office, day).await.unwrap();
    assert!(waiting.len() > 1, "{waiting:?}");
    for (town, n, longest) in waiting {
        let f = registrations::RegistrationFilter {
            kind: Some(RegistrationKind::Unemployment),
            region: Some(DivisionCode::from_i64(town).unwrap()),
            open: true,
            late: false,
        };
        let (rows, total) = registrations::list(&w.db, &office, &f, 100_000, 0).await.unwrap();
        assert_eq!(total, n, "township {town}");
        let most = rows
            .iter()
            .map(|r| shiminhua_core::jobs::waited_days(r.row.since, day))
            .max()
            .unwrap();
        assert_eq!(most, longest, "township {town}");
    }
    // A past day counts what was there then.
    let early = d("2025-01-01");
    assert!(
        figure(&w.db, &p, "seekers_registered", city, early).await
            <= figure(&w.db, &p, "seekers_registered", city, day).await
    );
}
