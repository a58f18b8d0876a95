//! Public employment services on SQLite and PostgreSQL: the occupation
//! list, vacancies and the public board, seekers seen across counties,
//! matching, referrals whose hires become employment records, and the wage
//! guide against the records it is computed from.

use crate::common::*;
use shiminhua_app::registry::jobs::{
    events, matching, occupations, referrals, registrations, seekers, vacancies, vacancies::VacancyFilter, wage_guide,
};
use shiminhua_app::registry::{merge, records, workers};
use shiminhua_app::store::{Backend, Db, Sql};
use shiminhua_app::{AppError, both};
use shiminhua_core::auth::{Actor, RecordKind, Role};
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::ids::{RecordId, WorkerId};
use shiminhua_core::jobs::matching::{Distance, OccupationFit, SeekerSide, VacancySide, fit};
use shiminhua_core::jobs::occupation::OccupationCode;
use shiminhua_core::jobs::wage_guide::percentile;
use shiminhua_core::jobs::{ReferralOutcome, SeekerStatus, VacancyStatus};
use std::collections::HashMap;

both!(
    occupations_load_whole_or_not_at_all,
    vacancies_are_checked_scoped_and_leave_the_board,
    a_seeker_is_matched_referred_and_hired,
    the_wage_guide_equals_its_records,
    a_merged_registration_keeps_its_job_search,
    the_jobs_demo_is_what_it_says,
    no_user_sees_a_seeker_outside_their_scope,
    events_add_up_by_county_and_series,
    registrations_write_the_job_and_end_unemployment,
    vacancy_lists_import_as_the_offices_send_them,
    a_phone_application_becomes_a_registration,
    matching_a_vacancy_reads_the_nearest_first_and_misses_nobody,
    the_board_finds_a_vacancy_by_any_part_of_its_text,
);

const FINER: &str = "代码,名称\n6-29,建筑施工人员\n6-29-01,房屋建筑施工人员\n6-29-01-01,砌筑工\n6-29-02,土木工程建筑施工人员\n4-03,住宿和餐饮服务人员\n4-03-02,餐饮服务人员\n";

fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341002", &format!("JB{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

/// A name of Chinese characters for person `n` (张三 style names only).
fn han(prefix: &str, n: u16) -> String {
    let digits = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let tail: String = n
        .to_string()
        .chars()
        .map(|c| digits[c.to_digit(10).unwrap() as usize])
        .collect();
    format!("{prefix}{tail}")
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn getter(m: &HashMap<String, String>) -> impl Fn(&str) -> String + Sync + '_ {
    move |k| m.get(k).cloned().unwrap_or_default()
}

fn vacancy(title: &str, occupation: &str, place: &str, wage: (&str, &str)) -> HashMap<String, String> {
    map(&[
        ("employer_code", &credit(1)),
        ("employer", "黄山市某建设有限公司"),
        ("industry", "E"),
        ("title", title),
        ("occupation", occupation),
        ("headcount", "1"),
        ("wage_min", wage.0),
        ("wage_max", wage.1),
        ("place", place),
        ("contact", "区人社局就业服务窗口 0559-1234567"),
        ("valid_until", "2026-12-31"),
    ])
}

async fn load_occupations(w: &World) {
    occupations::load_file(&w.call(&w.admin), FINER).await.unwrap();
}

async fn occupations_load_whole_or_not_at_all(db: Db) {
    let w = World::new(db).await;
    load_occupations(&w).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let all = occupations::list(&w.db, &office, "").await.unwrap();
    assert_eq!(all.len(), 8 + 6);
    assert!(
        all.iter()
            .any(|o| o.code == "6-29-01-01" && o.name == "砌筑工" && o.level == 4)
    );
    // A file with a mistake changes nothing, and says where.
    let bad = "代码,名称\n6-30-01,某职业\n";
    let Err(AppError::BadRequest(msg)) = occupations::load_file(&w.call(&w.admin), bad).await else {
        panic!("accepted")
    };
    assert!(msg.contains("第2行"), "{msg}");
    assert_eq!(occupations::list(&w.db, &office, "").await.unwrap().len(), 14);
    // Only the administrator loads the list.
    assert!(matches!(
        occupations::load_file(&w.call(&office), FINER).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(occupations::list(&w.db, &office, "砌筑").await.unwrap().len(), 1);
}

async fn vacancies_are_checked_scoped_and_leave_the_board(db: Db) {
    let w = World::new(db).await;
    load_occupations(&w).await;
    let tunxi = w.scoped("tunxi", Role::Local, "341002").await;
    let call = w.call(&tunxi);
    let id = vacancies::create(
        &call,
        &getter(&vacancy("砌筑工", "6-29-01-01", "昱中街道", ("5000", "7000"))),
        "form",
    )
    .await
    .unwrap();
    // Every mistake at once, in Chinese; a place outside the scope is refused.
    let mut bad = vacancy("砌筑工", "6-99-99", "昱中街道", ("7000", "5000"));
    bad.insert("employer_code".into(), "91341000MA2N0ABC1X".into());
    let Err(AppError::Validation(e)) = vacancies::create(&call, &getter(&bad), "form").await else {
        panic!("accepted")
    };
    assert!(e.get("wage_max").is_some() && e.get("employer_code").is_some(), "{e:?}");
    let Err(AppError::Validation(e)) =
        vacancies::create(&call, &getter(&vacancy("x", "6-99-99", "昱中街道", ("1", "2"))), "form").await
    else {
        panic!("accepted")
    };
    assert!(e.get("occupation").unwrap().contains("6-99-99"), "{e:?}");
    let far = vacancies::create(
        &call,
        &getter(&vacancy("砌筑工", "6", "甘棠镇", ("5000", "7000"))),
        "form",
    )
    .await;
    assert!(
        matches!(far, Err(AppError::Validation(ref e)) if e.get("place").is_some()),
        "{far:?}"
    );
    // Every county's staff see it (劳务协作); only its own place edits it.
    let huangshan = w.scoped("huangshan", Role::Local, "341003").await;
    let row = vacancies::get(&w.db, &huangshan, id).await.unwrap();
    assert_eq!((row.wage_min_fen, row.major, row.status.as_str()), (500_000, 6, "open"));
    assert!(matches!(
        vacancies::set_status(&w.call(&huangshan), id, row.version, VacancyStatus::Withdrawn).await,
        Err(AppError::Forbidden)
    ));
    // The board: by county, group and wage; gone once expired or withdrawn.
    let today = t0().date_naive();
    let on_board = async |f: VacancyFilter, day| vacancies::board(&w.db, &f, day, 20, 0).await.unwrap().1;
    assert_eq!(on_board(VacancyFilter::default(), today).await, 1);
    let tunxi_only = VacancyFilter {
        region: Some(code("341002")),
        major: Some(6),
        wage_at_least: Some(700_000),
        ..VacancyFilter::default()
    };
    assert_eq!(on_board(tunxi_only.clone(), today).await, 1);
    let other = VacancyFilter {
        region: Some(code("341003")),
        ..VacancyFilter::default()
    };
    assert_eq!(on_board(other, today).await, 0);
    let too_high = VacancyFilter {
        wage_at_least: Some(700_001),
        ..VacancyFilter::default()
    };
    assert_eq!(on_board(too_high, today).await, 0);
    let later = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    assert_eq!(on_board(VacancyFilter::default(), later).await, 0);
    // A page is kept, but never past a write from anywhere: another
    // process's, or a township renamed.
    let shown = async || {
        let (rows, _) = vacancies::board(&w.db, &VacancyFilter::default(), today, 20, 0)
            .await
            .unwrap();
        (rows[0].title.clone(), rows[0].region_name.clone())
    };
    assert_eq!(shown().await, ("砌筑工".to_string(), "昱中街道".to_string()));
    let write = async |sql: &str| {
        let mut tx = w.db.write().await.unwrap();
        tx.exec(Sql::new(sql).bind(id)).await.unwrap();
        tx.commit().await.unwrap();
    };
    write("UPDATE vacancies SET title = '砌筑工（外墙）' WHERE id = $1").await;
    assert_eq!(shown().await.0, "砌筑工（外墙）");
    let rename = "UPDATE regions SET name = $2 WHERE code = (SELECT region_code FROM vacancies WHERE id = $1)";
    for name in ["昱中街道（新）", "昱中街道"] {
        let mut tx = w.db.write().await.unwrap();
        tx.exec(Sql::new(rename).bind(id).bind(name)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(shown().await.1, name);
    }
    write("UPDATE vacancies SET title = '砌筑工' WHERE id = $1").await;
    // Staff still find it, among the expired ones.
    let expired = VacancyFilter {
        expired: true,
        ..VacancyFilter::default()
    };
    assert_eq!(
        vacancies::list(&w.db, &tunxi, &expired, later, 20, 0).await.unwrap().1,
        1
    );
    assert_eq!(
        vacancies::list(&w.db, &tunxi, &expired, today, 20, 0).await.unwrap().1,
        0
    );
    assert!(matches!(
        vacancies::public_get(&w.db, id, later).await,
        Err(AppError::NotFound)
    ));
    vacancies::set_status(&call, id, row.version, VacancyStatus::Withdrawn)
        .await
        .unwrap();
    assert_eq!(on_board(VacancyFilter::default(), today).await, 0);
    assert!(matches!(
        vacancies::public_get(&w.db, id, today).await,
        Err(AppError::NotFound)
    ));
    // A stale edit is refused.
    let stale = vacancies::update(
        &call,
        id,
        row.version,
        &getter(&vacancy("砌筑工", "6", "昱中街道", ("1", "2"))),
    )
    .await;
    assert!(matches!(stale, Err(AppError::Conflict(_))), "{stale:?}");
}

async fn seeker_in(w: &World, staff: &Actor, n: u16, region: &str, wishes: &[(&str, &str)]) -> (i64, i64) {
    let call = w.call(staff);
    let worker = workers::create_worker(&call, &input(&han("求职", n), &id_for(n), region))
        .await
        .unwrap();
    let id = seekers::register(&call, WorkerId(worker), &getter(&map(wishes)), "form")
        .await
        .unwrap();
    (worker, id)
}

async fn a_seeker_is_matched_referred_and_hired(db: Db) {
    let w = World::new(db).await;
    load_occupations(&w).await;
    let tunxi = w.scoped("tunxi", Role::Local, "341002").await;
    let huangshan = w.scoped("huangshan", Role::Local, "341003").await;
    let (worker, seeker) = seeker_in(
        &w,
        &tunxi,
        1,
        "昱中街道",
        &[("occupations", "6-29-01、餐饮服务人员"), ("min_wage", "5000")],
    )
    .await;
    // Wishes must be known occupations, at most five.
    let bad = seekers::register(
        &w.call(&tunxi),
        WorkerId(worker),
        &getter(&map(&[("occupations", "宇航员")])),
        "form",
    )
    .await;
    assert!(
        matches!(bad, Err(AppError::Validation(ref e)) if e.get("occupations").is_some()),
        "{bad:?}"
    );
    let tx_call = w.call(&tunxi);
    let hs_call = w.call(&huangshan);
    let exact_near = vacancies::create(
        &tx_call,
        &getter(&vacancy("砌筑工", "6-29-01-01", "老街街道", ("5500", "6000"))),
        "form",
    )
    .await
    .unwrap();
    let related_far = vacancies::create(
        &hs_call,
        &getter(&vacancy("土建工", "6-29-02", "甘棠镇", ("6000", "8000"))),
        "form",
    )
    .await
    .unwrap();
    let exact_far = vacancies::create(
        &hs_call,
        &getter(&vacancy("砌筑工", "6-29-01", "汤口镇", ("4000", "5500"))),
        "form",
    )
    .await
    .unwrap();
    let other_group = vacancies::create(
        &hs_call,
        &getter(&vacancy("教师", "2", "甘棠镇", ("9000", "9000"))),
        "form",
    )
    .await
    .unwrap();
    let today = t0().date_naive();
    let found = matching::for_seeker(&w.db, &tunxi, seeker, today).await.unwrap();
    let ids: Vec<i64> = found.iter().map(|(v, _)| v.id).collect();
    assert_eq!(
        ids,
        vec![exact_near, exact_far, related_far],
        "other groups never match"
    );
    assert!(!ids.contains(&other_group));
    assert_eq!(found[0].1.occupation, OccupationFit::Exact);
    assert_eq!(found[0].1.distance, Distance::SameCounty);
    assert!(
        found[0].1.explain_zh().contains("同区县"),
        "{}",
        found[0].1.explain_zh()
    );
    // From the vacancy's side, across counties: the person is masked for
    // the other county's staff until referred to one of its vacancies.
    let (seen, fit) = matching::for_vacancy(&w.db, &huangshan, exact_far, today)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((seen.row.id, fit.occupation), (seeker, OccupationFit::Exact));
    assert!(!seen.open);
    assert_eq!(seen.shown_name(), "求**");
    assert!(seekers::get(&w.db, &tunxi, seeker).await.unwrap().open);
    // Only the seeker's own place refers (the referral shows the person).
    let not_theirs = referrals::refer(&hs_call, seeker, exact_far, "").await;
    assert!(matches!(not_theirs, Err(AppError::Conflict(_))), "{not_theirs:?}");
    assert!(!seekers::get(&w.db, &huangshan, seeker).await.unwrap().open);
    let referral = referrals::refer(&tx_call, seeker, exact_far, "本人有意向")
        .await
        .unwrap();
    let again = referrals::refer(&tx_call, seeker, exact_far, "").await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    assert!(seekers::get(&w.db, &huangshan, seeker).await.unwrap().open);
    // Outcomes follow their order; the hire is the vacancy's place's to record.
    let r = referrals::get(&w.db, &tunxi, referral).await.unwrap();
    let on = |d: &str| map(&[("on", d), ("wage", "5200"), ("contract", "是")]);
    let by_home = referrals::set_outcome(
        &tx_call,
        referral,
        r.version,
        ReferralOutcome::Hired,
        &getter(&on("2026-09-30")),
    )
    .await;
    assert!(matches!(by_home, Err(AppError::Conflict(_))), "{by_home:?}");
    referrals::set_outcome(
        &hs_call,
        referral,
        r.version,
        ReferralOutcome::Interview,
        &getter(&on("2026-09-30")),
    )
    .await
    .unwrap();
    let r = referrals::get(&w.db, &huangshan, referral).await.unwrap();
    let early = referrals::set_outcome(
        &hs_call,
        referral,
        r.version,
        ReferralOutcome::Hired,
        &getter(&on("2020-01-01")),
    )
    .await;
    assert!(matches!(early, Err(AppError::Validation(_))), "{early:?}");
    referrals::set_outcome(
        &hs_call,
        referral,
        r.version,
        ReferralOutcome::Hired,
        &getter(&on("2026-09-30")),
    )
    .await
    .unwrap();
    let r = referrals::get(&w.db, &huangshan, referral).await.unwrap();
    assert_eq!(r.outcome_label(), "录用");
    let back = referrals::set_outcome(
        &hs_call,
        referral,
        r.version,
        ReferralOutcome::Rejected,
        &getter(&on("2026-09-30")),
    )
    .await;
    assert!(matches!(back, Err(AppError::Conflict(_))), "{back:?}");
    // The hire is an employment record "经公共就业服务机构介绍", in the vacancy's county.
    let record = records::get_record(&w.db, &huangshan, RecordId(r.record_id.unwrap()))
        .await
        .unwrap();
    let v = record.values();
    assert_eq!(record.worker_id, worker);
    assert_eq!(record.region_code, code("341003102").as_i64());
    for (k, want) in [
        ("public_service", "是"),
        ("form", "外出务工"),
        ("occupation", "生产制造及有关人员"),
        ("start", "2026-09-30"),
    ] {
        assert_eq!(v.get(k).map(|x| x.display()).as_deref(), Some(want), "{k}");
    }
    assert!(matches!(v.get("wage"), Some(shiminhua_core::field::Value::Money(f)) if f.0 == 520_000));
    // The grants of every kind there was before gain this kind (migration 0030).
    assert_eq!(
        [RecordKind::JobService]
            .into_iter()
            .collect::<shiminhua_core::auth::KindSet>()
            .bits(),
        1024
    );
    let s = seekers::get(&w.db, &tunxi, seeker).await.unwrap();
    assert_eq!(s.row.status, SeekerStatus::Employed.code());
    let filled = vacancies::get(&w.db, &tunxi, exact_far).await.unwrap();
    assert_eq!(filled.status, VacancyStatus::Filled.code());
    // An employed seeker is no longer matched nor referred.
    assert!(
        matching::for_vacancy(&w.db, &tunxi, exact_near, today)
            .await
            .unwrap()
            .is_empty()
    );
    let late = referrals::refer(&tx_call, seeker, exact_near, "").await;
    assert!(matches!(late, Err(AppError::Conflict(_))), "{late:?}");
    // Without job-service scope, nothing.
    let schools = w
        .user(
            "schools",
            Role::Local,
            vec![shiminhua_core::auth::Grant {
                region: code("341000"),
                kinds: [RecordKind::Schooling].into_iter().collect(),
            }],
        )
        .await;
    assert!(matches!(
        seekers::get(&w.db, &schools, seeker).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        matching::for_seeker(&w.db, &schools, seeker, today).await,
        Err(AppError::Forbidden)
    ));
}

async fn the_wage_guide_equals_its_records(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let mut wages: Vec<i64> = Vec::new();
    let mut builders: Vec<i64> = Vec::new();
    for n in 0..12u16 {
        let worker = workers::create_worker(&call, &input(&han("工", n), &id_for(100 + n), "昱中街道"))
            .await
            .unwrap();
        let yuan = 3000 + i64::from(n) * 350 + i64::from(n % 3) * 17;
        let (occupation, industry) = if n < 9 {
            ("生产制造及有关人员", "E")
        } else {
            ("社会生产服务和生活服务人员", "H")
        };
        if n < 9 {
            builders.push(yuan * 100);
        }
        wages.push(yuan * 100);
        let rec = map(&[
            ("credit_code", &credit(2)),
            ("employer", "某公司"),
            ("industry", industry),
            ("form", "就近就业"),
            ("start", if n % 2 == 0 { "2025-05-01" } else { "2026-03-01" }),
            ("wage", &yuan.to_string()),
            ("occupation", occupation),
            ("contract", "是"),
            ("public_service", "否"),
        ]);
        records::create_record(&call, WorkerId(worker), RecordKind::Employment, &getter(&rec))
            .await
            .unwrap();
    }
    // A record of 2024 and one without a wage are not counted.
    let worker = workers::create_worker(&call, &input("旧工", &id_for(200), "昱中街道"))
        .await
        .unwrap();
    let old = map(&[
        ("credit_code", &credit(2)),
        ("employer", "某公司"),
        ("industry", "E"),
        ("form", "就近就业"),
        ("start", "2024-05-01"),
        ("wage", "99999"),
        ("contract", "是"),
        ("public_service", "否"),
    ]);
    records::create_record(&call, WorkerId(worker), RecordKind::Employment, &getter(&old))
        .await
        .unwrap();
    let local = w.scoped("local", Role::Local, "341002").await;
    assert!(matches!(
        wage_guide::compute(&w.call(&local), 2026, 5).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(wage_guide::compute(&call, 2026, 5).await.unwrap(), 12);
    let cells = wage_guide::cells(&w.db, &office, 2026).await.unwrap();
    wages.sort_unstable();
    builders.sort_unstable();
    let all = cells.iter().find(|c| c.major == 0 && c.industry.is_empty()).unwrap();
    assert_eq!(all.n, 12);
    assert_eq!(
        [all.p10, all.p25, all.p50, all.p75, all.p90],
        [10, 25, 50, 75, 90].map(|p| percentile(&wages, p).unwrap())
    );
    assert_eq!(all.mean, (wages.iter().sum::<i64>() as f64 / 12.0).round() as i64);
    let group = cells.iter().find(|c| c.major == 6 && c.industry == "E").unwrap();
    assert_eq!((group.n, group.p50), (9, percentile(&builders, 50).unwrap()));
    // Cells under the minimum size are kept but not published.
    let small = cells.iter().find(|c| c.major == 4 && c.industry == "H").unwrap();
    assert_eq!((small.n, small.published), (3, false));
    let public = wage_guide::published_cells(&w.db, 2026).await.unwrap();
    assert!(public.iter().all(|c| c.n >= 5));
    assert!(!public.iter().any(|c| c.major == 4));
    assert_eq!(wage_guide::median_for(&public, 6, "E").unwrap().p50, group.p50);
    // A section without a cell of its own falls back to the group's.
    assert_eq!(wage_guide::median_for(&public, 6, "C").unwrap().p50, group.p50);
    assert!(wage_guide::median_for(&public, 4, "H").is_none());
    // Computing again replaces the year.
    assert_eq!(wage_guide::compute(&call, 2026, 5).await.unwrap(), 12);
    assert_eq!(
        wage_guide::cells(&w.db, &office, 2026).await.unwrap().len(),
        cells.len()
    );
    assert_eq!(wage_guide::latest_year(&w.db).await.unwrap(), Some(2026));
}

async fn a_merged_registration_keeps_its_job_search(db: Db) {
    let w = World::new(db).await;
    load_occupations(&w).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let kept = workers::create_worker(&call, &input("张三", &id_for(1), "昱中街道"))
        .await
        .unwrap();
    let (dup, seeker) = seeker_in(&w, &office, 2, "昱中街道", &[("occupations", "6-29")]).await;
    let (target, _) = workers::get_worker(&w.db, &office, WorkerId(kept)).await.unwrap();
    merge::merge_workers(
        &call,
        WorkerId(kept),
        target.version,
        WorkerId(dup),
        "测试：合并重复登记",
    )
    .await
    .unwrap();
    let s = seekers::get(&w.db, &office, seeker).await.unwrap();
    assert_eq!(s.row.worker_id, kept);
    assert_eq!(s.occupations, vec!["6-29".to_string()]);
    // A move of the person carries the registration along.
    let (k, _) = workers::get_worker(&w.db, &office, WorkerId(kept)).await.unwrap();
    workers::update_worker(&call, WorkerId(kept), k.version, &input("张三", &id_for(1), "甘棠镇"))
        .await
        .unwrap();
    let moved = seekers::get(&w.db, &office, seeker).await.unwrap();
    assert_eq!(
        (moved.row.region_code, moved.row.county_code),
        (code("341003100").as_i64(), code("341003").as_i64())
    );
    // Both registered, the duplicate already referred: the office decides.
    let (dup2, seeker2) = seeker_in(&w, &office, 3, "昱中街道", &[("occupations", "6-29")]).await;
    let v = vacancies::create(
        &call,
        &getter(&vacancy("砌筑工", "6-29-01", "昱中街道", ("5000", "6000"))),
        "form",
    )
    .await
    .unwrap();
    referrals::refer(&call, seeker2, v, "").await.unwrap();
    let (target, _) = workers::get_worker(&w.db, &office, WorkerId(kept)).await.unwrap();
    let refused = merge::merge_workers(
        &call,
        WorkerId(kept),
        target.version,
        WorkerId(dup2),
        "测试：合并重复登记",
    )
    .await;
    assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
    let n =
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new("SELECT COUNT(*) FROM job_seekers"))
            .await
            .unwrap();
    assert_eq!(n, 2);
}

async fn the_jobs_demo_is_what_it_says(db: Db) {
    use shiminhua_app::ops::demo;
    let w = World::new(db).await;
    demo::generate(&w.db, &w.cipher, t0(), 400, 7).await.unwrap();
    let made = demo::jobs(&w.db, &w.cipher, t0(), 7).await.unwrap();
    let int = async |sql: &str| w.db.read().await.unwrap().int(Sql::new(sql)).await.unwrap();
    assert_eq!(made.vacancies as i64, int("SELECT COUNT(*) FROM vacancies").await);
    assert_eq!(made.seekers as i64, int("SELECT COUNT(*) FROM job_seekers").await);
    assert_eq!(made.referrals as i64, int("SELECT COUNT(*) FROM referrals").await);
    assert!(made.applications > 5, "{made:?}");
    assert_eq!(
        made.applications as i64,
        int("SELECT COUNT(*) FROM job_applications WHERE status = 'pending'").await
    );
    assert!(made.seekers >= 300 && made.referrals >= 100, "{made:?}");
    // Every result occurs; each hire is an employment record through the service.
    for outcome in ReferralOutcome::ALL {
        let n =
            w.db.read()
                .await
                .unwrap()
                .int(Sql::new("SELECT COUNT(*) FROM referrals WHERE outcome = $1").bind(outcome.code()))
                .await
                .unwrap();
        assert!(n > 0, "no referral {}", outcome.code());
    }
    assert!(made.hires > 10, "{made:?}");
    assert_eq!(
        made.hires as i64,
        int("SELECT COUNT(*) FROM referrals f JOIN records r ON r.id = f.record_id \
             WHERE f.outcome = 'hired' AND r.kind = 'employment' AND r.source = 'referral'")
        .await
    );
    let office = w.scoped("office", Role::Office, "341000").await;
    let hired: Vec<(i64,)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new("SELECT record_id FROM referrals WHERE outcome = 'hired'"))
            .await
            .unwrap();
    for (id,) in hired {
        let r = records::get_record(&w.db, &office, RecordId(id)).await.unwrap();
        assert_eq!(
            r.values().get("public_service").map(|v| v.display()).as_deref(),
            Some("是")
        );
    }
    // The board shows the open, unexpired vacancies: its count is theirs.
    let today = t0().date_naive();
    let (_, on_board) = vacancies::board(&w.db, &VacancyFilter::default(), today, 20, 0)
        .await
        .unwrap();
    let open =
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new("SELECT COUNT(*) FROM vacancies WHERE status = 'open' AND valid_until >= $1").bind(today))
            .await
            .unwrap();
    assert_eq!(on_board, open);
    assert!(
        open > 0 && open < made.vacancies as i64,
        "some expired, filled or withdrawn"
    );
    // The wage guide of 2024: its total cell counts every record with a wage.
    let cells = wage_guide::cells(&w.db, &office, 2024).await.unwrap();
    let all = cells.iter().find(|c| c.major == 0 && c.industry.is_empty()).unwrap();
    assert_eq!(all.n as usize, made.guide_records);
    assert!(
        cells.iter().any(|c| c.major == 6 && c.published),
        "a group cell is published"
    );
    // Matching works on the demo data.
    let (seeker,): (i64,) =
        w.db.read()
            .await
            .unwrap()
            .one(Sql::new("SELECT MIN(id) FROM job_seekers WHERE status = 'active'"))
            .await
            .unwrap();
    assert!(
        !matching::for_seeker(&w.db, &office, seeker, today)
            .await
            .unwrap()
            .is_empty()
    );
    // Events of every series; the county-by-series view equals the list.
    assert_eq!(made.events as i64, int("SELECT COUNT(*) FROM job_events").await);
    assert!(int("SELECT COUNT(*) FROM job_event_vacancies").await > 0);
    let year = t0().date_naive().format("%Y").to_string().parse::<i32>().unwrap();
    let view = events::by_county_series(&w.db, &office, year).await.unwrap();
    let f = events::EventFilter {
        year: Some(year),
        ..Default::default()
    };
    let (rows, total) = events::list(&w.db, &office, &f, 1000, 0).await.unwrap();
    assert_eq!(total, view.iter().map(|l| l.events).sum::<i64>());
    assert_eq!(
        rows.iter().filter_map(|r| r.hires).sum::<i64>(),
        view.iter().map(|l| l.hires).sum::<i64>()
    );
    // 就业失业登记: the hires registered, their unemployment ended.
    assert_eq!(made.employment_registrations, made.hires);
    assert_eq!(
        int("SELECT COUNT(*) FROM job_registrations WHERE kind = 'employment'").await,
        made.hires as i64
    );
    assert!(made.unemployed > 50, "{made:?}");
    assert_eq!(
        int("SELECT COUNT(*) FROM job_registrations WHERE number IS NULL").await,
        0
    );
    assert_eq!(
        int(
            "SELECT COUNT(*) FROM job_registrations u JOIN job_registrations e ON e.worker_id = u.worker_id \
             AND e.kind = 'employment' WHERE u.kind = 'unemployment' AND u.ended_on IS NULL AND u.since <= e.since"
        )
        .await,
        0,
        "a hire ends the unemployment"
    );
    // A second run adds nothing.
    assert_eq!(demo::jobs(&w.db, &w.cipher, t0(), 7).await.unwrap().vacancies, 0);
}

/// Random grants: every account with job-service scope lists the whole
/// city's seekers and vacancies, sees a seeker's person exactly when the
/// seeker's place is in its job-service scope or the seeker was referred
/// to a vacancy of its scope, and writes only in its scope; without
/// job-service scope, nothing.
async fn no_user_sees_a_seeker_outside_their_scope(db: Db) {
    use shiminhua_app::registry::jobs::seekers::SeekerFilter;
    use shiminhua_core::auth::{Grant, KindSet};
    use shiminhua_core::division::DivisionCode;
    let w = World::new(db).await;
    let office = w.scoped("office", Role::Office, "341000").await;
    let call = w.call(&office);
    let towns: Vec<(i64,)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
            .await
            .unwrap();
    let mut state: u64 = 0x10b5;
    let mut next = |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    };
    let town = |i: usize| DivisionCode::from_i64(towns[i].0).unwrap();
    let mut seekers = Vec::new();
    let mut vacancies_at = Vec::new();
    for n in 0..16u16 {
        let t = town(next(towns.len()));
        let (_, id) = seeker_in(&w, &office, 300 + n, &t.to_string(), &[("occupations", "6")]).await;
        seekers.push((id, t));
        let v = vacancies::create(
            &call,
            &getter(&vacancy(
                "普工",
                "6",
                &town(next(towns.len())).to_string(),
                ("4000", "5000"),
            )),
            "form",
        )
        .await
        .unwrap();
        let place = vacancies::get(&w.db, &office, v).await.unwrap().region_code;
        vacancies_at.push((v, place));
    }
    // Some seekers referred to some vacancies.
    let mut referred: Vec<(i64, i64)> = Vec::new();
    for _ in 0..8 {
        let (s, _) = seekers[next(seekers.len())];
        let (v, place) = vacancies_at[next(vacancies_at.len())];
        if referrals::refer(&call, s, v, "").await.is_ok() {
            referred.push((s, place));
        }
    }
    for u in 0..10 {
        let (_, t) = seekers[next(seekers.len())];
        let region = if next(2) == 0 { t.county().unwrap() } else { t };
        let with_jobs = next(4) != 0;
        let kinds: KindSet = if with_jobs {
            [RecordKind::JobService, RecordKind::Worker].into_iter().collect()
        } else {
            [RecordKind::Worker, RecordKind::Employment].into_iter().collect()
        };
        let actor = w
            .user(&format!("jobs{u}"), Role::Local, vec![Grant { region, kinds }])
            .await;
        let (listed, total) = seekers::list(&w.db, &actor, &SeekerFilter::default(), 100, 0)
            .await
            .map_or((Vec::new(), -1), |x| x);
        if !with_jobs {
            assert_eq!(total, -1, "user {u}: no job-service scope, no list");
            assert!(matches!(
                vacancies::list(&w.db, &actor, &VacancyFilter::default(), t0().date_naive(), 10, 0).await,
                Err(AppError::Forbidden)
            ));
            continue;
        }
        assert_eq!(total, seekers.len() as i64, "user {u}: the whole city");
        let (_, vtotal) = vacancies::list(&w.db, &actor, &VacancyFilter::default(), t0().date_naive(), 10, 0)
            .await
            .unwrap();
        assert_eq!(vtotal, vacancies_at.len() as i64);
        for s in &listed {
            let place = seekers.iter().find(|(id, _)| *id == s.row.id).unwrap().1;
            let expected = actor.scope.allows(RecordKind::JobService, place)
                || referred.iter().any(|(id, vp)| {
                    *id == s.row.id
                        && actor
                            .scope
                            .allows(RecordKind::JobService, DivisionCode::from_i64(*vp).unwrap())
                });
            assert_eq!(s.open, expected, "user {u}, seeker {}", s.row.id);
            if !expected {
                assert_ne!(s.shown_name(), s.row.name);
            }
            // Writes: only in scope.
            let status = seekers::set_status(&w.call(&actor), s.row.id, s.row.version, SeekerStatus::Active).await;
            if actor.scope.allows(RecordKind::JobService, place) {
                assert!(
                    status.is_ok() || matches!(status, Err(AppError::Conflict(_))),
                    "user {u}: {status:?}"
                );
            } else {
                assert!(matches!(status, Err(AppError::Forbidden)), "user {u}: {status:?}");
            }
        }
    }
}

fn event(name: &str, series: &str, place: &str, on: &str, figures: (&str, &str, &str)) -> HashMap<String, String> {
    map(&[
        ("name", name),
        ("series", series),
        ("organiser", "区县人社局"),
        ("held_on", on),
        ("place", place),
        ("online", "否"),
        ("visitors", figures.0),
        ("intents", figures.1),
        ("hires", figures.2),
    ])
}

async fn events_add_up_by_county_and_series(db: Db) {
    let w = World::new(db).await;
    let tunxi = w.scoped("tunxi", Role::Local, "341002").await;
    let huangshan = w.scoped("huangshan", Role::Local, "341003").await;
    let tc = w.call(&tunxi);
    let hc = w.call(&huangshan);
    let a = events::create(
        &tc,
        &getter(&event(
            "春风行动专场",
            "春风行动",
            "昱中街道",
            "2026-02-20",
            ("300", "80", "25"),
        )),
    )
    .await
    .unwrap();
    events::create(
        &tc,
        &getter(&event(
            "春风行动二场",
            "春风行动",
            "老街街道",
            "2026-03-05",
            ("200", "40", "10"),
        )),
    )
    .await
    .unwrap();
    events::create(
        &hc,
        &getter(&event(
            "工会送岗位",
            "工会送岗位",
            "甘棠镇",
            "2026-05-01",
            ("120", "30", ""),
        )),
    )
    .await
    .unwrap();
    // Last year's does not count in this year's view.
    events::create(
        &tc,
        &getter(&event(
            "春风行动",
            "春风行动",
            "昱中街道",
            "2025-02-20",
            ("999", "1", "1"),
        )),
    )
    .await
    .unwrap();
    // Figures that do not hold together, a place outside the scope.
    let bad = events::create(
        &tc,
        &getter(&event("x", "春风行动", "昱中街道", "2026-02-20", ("10", "20", "30"))),
    )
    .await;
    assert!(
        matches!(bad, Err(AppError::Validation(ref e)) if e.get("intents").is_some() && e.get("hires").is_some()),
        "{bad:?}"
    );
    let far = events::create(
        &tc,
        &getter(&event("x", "春风行动", "甘棠镇", "2026-02-20", ("", "", ""))),
    )
    .await;
    assert!(
        matches!(far, Err(AppError::Validation(ref e)) if e.get("place").is_some()),
        "{far:?}"
    );
    let view = events::by_county_series(&w.db, &huangshan, 2026).await.unwrap();
    let line = |county: &str, series: &str| {
        view.iter()
            .find(|l| l.county_code == code(county).as_i64() && l.series == series)
            .map(|l| (l.events, l.visitors, l.intents, l.hires))
    };
    assert_eq!(line("341002", "spring"), Some((2, 500, 120, 35)));
    assert_eq!(line("341003", "union"), Some((1, 120, 30, 0)));
    assert_eq!(view.len(), 2);
    // The view equals its list: the year's events, their figures summed.
    let (rows, total) = events::list(
        &w.db,
        &tunxi,
        &events::EventFilter {
            year: Some(2026),
            ..Default::default()
        },
        100,
        0,
    )
    .await
    .unwrap();
    assert_eq!(total, view.iter().map(|l| l.events).sum::<i64>());
    assert_eq!(
        rows.iter().filter_map(|r| r.visitors).sum::<i64>(),
        view.iter().map(|l| l.visitors).sum::<i64>()
    );
    // Vacancies offered there: any county's; only the event's place edits it.
    let v = vacancies::create(&hc, &getter(&vacancy("厨师", "4", "甘棠镇", ("5000", "7000"))), "form")
        .await
        .unwrap();
    let e = events::get(&w.db, &huangshan, a).await.unwrap();
    assert!(matches!(
        events::set_vacancies(&hc, a, e.version, &[v]).await,
        Err(AppError::Forbidden)
    ));
    events::set_vacancies(&tc, a, e.version, &[v, v]).await.unwrap();
    let offered = events::vacancies_of(&w.db, &huangshan, a).await.unwrap();
    assert_eq!(offered.iter().map(|r| r.id).collect::<Vec<_>>(), vec![v]);
    let e = events::get(&w.db, &tunxi, a).await.unwrap();
    assert!(matches!(
        events::set_vacancies(&tc, a, e.version, &[v + 1000]).await,
        Err(AppError::BadRequest(_))
    ));
    // The public calendar: coming events only.
    let coming = events::coming(&w.db, chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(
        coming.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["春风行动二场", "工会送岗位"]
    );
    // The form posted back unchanged writes nothing; a change keeps the
    // earlier version in history.
    let e = events::get(&w.db, &tunxi, a).await.unwrap();
    let places = shiminhua_app::regions::PlaceBook::load(&mut w.db.read().await.unwrap())
        .await
        .unwrap();
    let mut form = e.form_values(&places);
    events::update(&tc, a, e.version, &getter(&form)).await.unwrap();
    let history = async || {
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new("SELECT COUNT(*) FROM history WHERE object_kind = 'job_event'"))
            .await
            .unwrap()
    };
    assert_eq!(events::get(&w.db, &tunxi, a).await.unwrap().version, e.version);
    assert_eq!(history().await, 0);
    form.insert("hires".into(), "30".into());
    events::update(&tc, a, e.version, &getter(&form)).await.unwrap();
    let changed = events::get(&w.db, &tunxi, a).await.unwrap();
    assert_eq!((changed.version, changed.hires), (e.version + 1, Some(30)));
    assert_eq!(history().await, 1);
}

async fn registrations_write_the_job_and_end_unemployment(db: Db) {
    use registrations::RegistrationFilter;
    use shiminhua_core::jobs::RegistrationKind;
    let w = World::new(db).await;
    let tunxi = w.scoped("tunxi", Role::Local, "341002").await;
    let call = w.call(&tunxi);
    let worker = workers::create_worker(&call, &input(&han("登记", 1), &id_for(501), "昱中街道"))
        .await
        .unwrap();
    let other = workers::create_worker(&call, &input(&han("登记", 2), &id_for(502), "老街街道"))
        .await
        .unwrap();
    // Unemployed since August, registered at home; a second one while open is refused.
    let unemployed = |since: &str| {
        map(&[
            ("since", since),
            ("reason", "劳动合同期满"),
            ("registered_on", "2026-08-10"),
        ])
    };
    let u = registrations::register_unemployment(&call, WorkerId(worker), &getter(&unemployed("2026-08-01")))
        .await
        .unwrap();
    let again = registrations::register_unemployment(&call, WorkerId(worker), &getter(&unemployed("2026-08-02"))).await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    registrations::register_unemployment(&call, WorkerId(other), &getter(&unemployed("2026-06-01")))
        .await
        .unwrap();
    let bad = registrations::register_unemployment(
        &call,
        WorkerId(other),
        &getter(&map(&[
            ("since", "2026-08-01"),
            ("reason", "失恋"),
            ("registered_on", "2026-07-01"),
        ])),
    )
    .await;
    assert!(
        matches!(bad, Err(AppError::Validation(ref e)) if e.get("reason").is_some()),
        "{bad:?}"
    );
    let today = t0().date_naive();
    let waiting = registrations::waiting_by_township(&w.db, &tunxi, today).await.unwrap();
    assert_eq!(waiting.len(), 2);
    let yz = waiting
        .iter()
        .find(|(r, _, _)| *r == code("341002002").as_i64())
        .unwrap();
    assert_eq!((yz.1, yz.2), (1, 60), "since 1 August, on 30 September");
    let open = RegistrationFilter {
        open: true,
        ..Default::default()
    };
    let (rows, total) = registrations::list(&w.db, &tunxi, &open, 20, 0).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(rows[0].row.worker_id, other, "the longest waiting first");
    assert!(
        rows.iter()
            .all(|r| r.row.number.as_deref().is_some_and(|n| n.starts_with("3410022026")))
    );
    // Hired on 10 August, registered 40 days later: late; the employment
    // record is written, and the unemployment ends on the start.
    let job = map(&[
        ("credit_code", &credit(9)),
        ("employer", "屯溪某物业公司"),
        ("industry", "L"),
        ("form", "就近就业"),
        ("place", "昱中街道"),
        ("start", "2026-08-10"),
        ("wage", "3800"),
        ("contract", "是"),
        ("public_service", "否"),
        ("registered_on", "2026-09-19"),
    ]);
    let e = registrations::register_employment(&call, WorkerId(worker), &getter(&job))
        .await
        .unwrap();
    let employment = RegistrationFilter {
        kind: Some(RegistrationKind::Employment),
        ..Default::default()
    };
    let (rows, _) = registrations::list(&w.db, &tunxi, &employment, 20, 0).await.unwrap();
    let reg = rows.iter().find(|r| r.row.id == e).unwrap();
    assert!(reg.row.late);
    let record = records::get_record(&w.db, &tunxi, RecordId(reg.row.record_id.unwrap()))
        .await
        .unwrap();
    assert_eq!(record.worker_id, worker);
    let (rows, total) = registrations::list(&w.db, &tunxi, &open, 20, 0).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].row.worker_id, other);
    let all = RegistrationFilter::default();
    let (rows, _) = registrations::list(&w.db, &tunxi, &all, 20, 0).await.unwrap();
    let ended = rows.iter().find(|r| r.row.id == u).unwrap();
    assert_eq!(ended.row.ended_on, chrono::NaiveDate::from_ymd_opt(2026, 8, 10));
    // The same job (employer and start) is registered once.
    let again = registrations::register_employment(&call, WorkerId(worker), &getter(&job)).await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    assert_eq!(
        registrations::list(&w.db, &tunxi, &employment, 20, 0).await.unwrap().1,
        1
    );
    // Ending by hand; outside the scope, nothing.
    let (rows, _) = registrations::list(&w.db, &tunxi, &open, 20, 0).await.unwrap();
    registrations::end_unemployment(&call, rows[0].row.id, rows[0].row.version, today)
        .await
        .unwrap();
    assert_eq!(registrations::list(&w.db, &tunxi, &open, 20, 0).await.unwrap().1, 0);
    let huangshan = w.scoped("huangshan", Role::Local, "341003").await;
    assert_eq!(registrations::list(&w.db, &huangshan, &all, 20, 0).await.unwrap().1, 0);
    let far = registrations::register_unemployment(
        &w.call(&huangshan),
        WorkerId(worker),
        &getter(&unemployed("2026-09-01")),
    )
    .await;
    assert!(matches!(far, Err(AppError::NotFound)), "{far:?}");
}

/// A county's list of vacancies as an HR office sends it: its own headers,
/// the wage as one range, a place by name; re-sent with a new wage; with
/// the mistakes real lists have, each reported on its line and column.
async fn vacancy_lists_import_as_the_offices_send_them(db: Db) {
    use shiminhua_app::registry::import::{self, ImportKind, Options};
    use shiminhua_app::testing::TempDir;
    let w = World::new(db).await;
    load_occupations(&w).await;
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let call = w.call(&shexian);
    let dir = TempDir::new("vacancy-import");
    let (a, b) = (credit(501), credit(502));
    let list = |wage: &str| {
        format!(
            "歙县2026年秋季岗位需求表\n\
             序号,单位名称,统一社会信用代码,所属行业,岗位名称,职业,招聘人数,工资待遇,工作地点,岗位要求,联系方式,有效期至\n\
             1,歙县徽城食品有限公司,{a},C,包装工,6,5,{wage},徽城镇,身体健康,歙县人社局就业服务窗口 0559-6500000,2026-12-31\n\
             2,歙县徽城食品有限公司,{a},C,砌筑工,6-29-01-01,2,\"6,000～8,000元\",徽城镇,,歙县人社局就业服务窗口 0559-6500000,2026-12-31\n\
             3,歙县某建筑公司,{b},E,钢筋工,6,3,面议,徽城镇,,歙县人社局就业服务窗口 0559-6500000,2026-12-31\n\
             4,歙县某建筑公司,{b},E,木工,6,3,5000-7000,徽城镇,,联系王经理13912345678,2026-12-31\n\
             5,歙县徽城食品有限公司,{a},C,包装工,6,1,4-5k,歙县徽城镇,,歙县人社局就业服务窗口 0559-6500000,2026-12-31\n\
             6,休宁某公司,{b},C,普工,6,1,4000-5000,海阳镇,,休宁县人社局 0559-7500000,2026-12-31\n"
        )
    };
    let path = dir.0.join("岗位需求表.csv");
    std::fs::write(&path, list("4000-6000")).unwrap();
    let target = ImportKind::parse("vacancy").unwrap();
    assert_eq!(target.label(), "招聘岗位");
    let s = import::run(&call, target, &path, "岗位需求表.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!(
        (s.inserted, s.updated, s.unchanged, s.rejected),
        (2, 0, 0, 4),
        "{:?}",
        s.rejects
    );
    let rejects: Vec<(u64, &str, &str)> = s
        .rejects
        .iter()
        .map(|r| (r.line, r.column.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!((rejects[0].0, rejects[0].1), (5, "工资待遇"), "{rejects:?}");
    assert!(
        rejects[0].2.contains("面议") && rejects[0].2.contains("4000-6000"),
        "{rejects:?}"
    );
    assert_eq!((rejects[1].0, rejects[1].1), (6, "报名方式"), "{rejects:?}");
    assert_eq!((rejects[2].0, rejects[2].1), (7, "岗位名称"), "{rejects:?}");
    assert!(rejects[2].2.contains("与第3行"), "{rejects:?}");
    assert_eq!(
        (rejects[3].0, rejects[3].1),
        (8, "工作地点（乡镇/街道）"),
        "{rejects:?}"
    );
    let f = VacancyFilter {
        q: "徽城食品".into(),
        ..VacancyFilter::default()
    };
    let (rows, total) = vacancies::list(&w.db, &shexian, &f, t0().date_naive(), 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 2);
    let packer = rows.iter().find(|v| v.title == "包装工").unwrap();
    assert_eq!(
        (packer.wage_min_fen, packer.wage_max_fen, packer.headcount),
        (400_000, 600_000, 5)
    );
    assert_eq!((packer.source.as_str(), packer.region_code), ("import", 341021100000));
    let mason = rows.iter().find(|v| v.title == "砌筑工").unwrap();
    assert_eq!((mason.wage_min_fen, mason.wage_max_fen), (600_000, 800_000));
    assert_eq!(mason.occupation, "6-29-01-01");

    // The same list again: nothing posted twice, nothing changed.
    let again = import::run(&call, target, &path, "岗位需求表.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2));
    let history = async || {
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new("SELECT COUNT(*) FROM history WHERE object_kind = 'vacancy'"))
            .await
            .unwrap()
    };
    assert_eq!(history().await, 0);
    // Re-sent with a higher wage: the open vacancy is changed, its old
    // version kept.
    std::fs::write(&path, list("4500-6500")).unwrap();
    let raised = import::run(&call, target, &path, "岗位需求表.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((raised.inserted, raised.updated, raised.unchanged), (0, 1, 1));
    let now = vacancies::get(&w.db, &shexian, packer.id).await.unwrap();
    assert_eq!((now.wage_min_fen, now.version), (450_000, 2));
    assert_eq!(history().await, 1);
    // A form posted back unchanged writes nothing either.
    let places = shiminhua_app::regions::PlaceBook::load(&mut w.db.read().await.unwrap())
        .await
        .unwrap();
    let book = occupations::OccupationBook::load(&mut w.db.read().await.unwrap())
        .await
        .unwrap();
    let same = now.form_values(&places, &book);
    vacancies::update(&call, now.id, now.version, &getter(&same))
        .await
        .unwrap();
    assert_eq!(vacancies::get(&w.db, &shexian, now.id).await.unwrap().version, 2);
    assert_eq!(history().await, 1);
}

/// A seeker's own application from a phone: checked at once, filed with a
/// number and a code, seen only by the county of residence, accepted (the
/// worker registered, then the seeker) or refused with a reason the
/// applicant reads.
async fn a_phone_application_becomes_a_registration(db: Db) {
    use shiminhua_app::Origin;
    use shiminhua_app::registry::jobs::applications::{self, Application};
    let w = World::new(db).await;
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let tunxi = w.scoped("tunxi", Role::Local, "341002").await;
    let origin = Origin::default();
    let now = t0();
    let person = id_for(321);
    let mut a = Application {
        name: "程求职".into(),
        // The check digit of another number.
        id_number: format!("{}{}", &person[..17], if person.ends_with('1') { '2' } else { '1' }),
        phone: "1391234".into(),
        region: "341021100".into(),
        wishes: [("occupations", "6、4"), ("min_wage", "4500"), ("places", "歙县")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        consent: false,
    };
    let token = |n: u8| format!("{n:064x}");
    // Every mistake at once, nothing stored.
    let Err(AppError::Validation(e)) = applications::file(&w.db, &w.cipher, &origin, now, &a, &token(1)).await else {
        panic!("refused");
    };
    for field in ["id_number", "phone", "consent"] {
        assert!(e.get(field).is_some(), "{field}: {e:?}");
    }
    assert!(e.get("name").is_none() && e.get("occupations").is_none(), "{e:?}");
    a.id_number = person.clone();
    a.phone = "13912345678".into();
    a.consent = true;
    let filed = applications::file(&w.db, &w.cipher, &origin, now, &a, &token(1))
        .await
        .unwrap();
    assert!(
        filed.number.starts_with("QZ2026") && filed.query_code.len() == 8,
        "{filed:?}"
    );
    assert!(!filed.again);
    // The same form again files nothing and gives the first filing back,
    // its code while it may be shown; later, the number only.
    let again = applications::file(&w.db, &w.cipher, &origin, now, &a, &token(1))
        .await
        .unwrap();
    assert!(again.again);
    assert_eq!(
        (again.number.as_str(), again.query_code.as_str()),
        (filed.number.as_str(), filed.query_code.as_str())
    );
    let later = now + applications::CODE_SHOWN_FOR + chrono::Duration::minutes(1);
    let late = applications::file(&w.db, &w.cipher, &origin, later, &a, &token(1))
        .await
        .unwrap();
    assert_eq!(
        (late.number.as_str(), late.query_code.as_str()),
        (filed.number.as_str(), "")
    );
    // Sealed: the ID number and phone are nowhere in the row as typed.
    let (id_sealed, phone_sealed, id_masked): (Vec<u8>, Vec<u8>, String) =
        w.db.read()
            .await
            .unwrap()
            .one(Sql::new(
                "SELECT id_sealed, phone_sealed, id_masked FROM job_applications",
            ))
            .await
            .unwrap();
    let contains = |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|x| x == needle.as_bytes());
    assert!(!contains(&id_sealed, &person) && !contains(&phone_sealed, "13912345678"));
    assert!(!id_masked.contains(&person[6..14]), "{id_masked}");
    // The applicant's lookup: a wrong code answers like an unknown number.
    let view = applications::public_view(&w.db, &w.cipher, &filed.number.to_lowercase(), &filed.query_code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.status, "待工作人员确认");
    assert!(
        applications::public_view(&w.db, &w.cipher, &filed.number, "WRONGCOD")
            .await
            .unwrap()
            .is_none()
    );
    // Only the county of residence sees and decides it.
    let (rows, total) = applications::list(&w.db, &tunxi, "pending", 20, 0).await.unwrap();
    assert_eq!((rows.len(), total), (0, 0));
    let (rows, _) = applications::list(&w.db, &shexian, "pending", 20, 0).await.unwrap();
    let id = rows[0].id;
    assert_eq!(rows[0].name_masked(), "程**");
    assert!(matches!(
        applications::accept(&w.call(&tunxi), id).await,
        Err(AppError::NotFound)
    ));
    let seeker = applications::accept(&w.call(&shexian), id).await.unwrap();
    let s = seekers::get(&w.db, &shexian, seeker).await.unwrap();
    assert_eq!(s.row.source, "public");
    assert_eq!(s.occupations.len(), 2);
    let (worker_name,): (String,) =
        w.db.read()
            .await
            .unwrap()
            .one(
                Sql::new("SELECT w.name FROM workers w JOIN job_seekers s ON s.worker_id = w.id WHERE s.id = $1")
                    .bind(seeker),
            )
            .await
            .unwrap();
    assert_eq!(worker_name, "程求职");
    assert!(matches!(
        applications::accept(&w.call(&shexian), id).await,
        Err(AppError::Conflict(_))
    ));
    let view = applications::public_view(&w.db, &w.cipher, &filed.number, &filed.query_code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.status, "已办理求职登记");

    // The same ID number under another name: not accepted, refused with a
    // reason the applicant reads.
    let other = Application {
        name: "程另名".into(),
        ..a.clone()
    };
    let filed = applications::file(&w.db, &w.cipher, &origin, now, &other, &token(2))
        .await
        .unwrap();
    let (rows, _) = applications::list(&w.db, &shexian, "pending", 20, 0).await.unwrap();
    let id = rows[0].id;
    match applications::accept(&w.call(&shexian), id).await {
        Err(AppError::Conflict(m)) => assert!(m.contains("姓名不一致"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        applications::refuse(&w.call(&shexian), id, " ").await,
        Err(AppError::Validation(_))
    ));
    applications::refuse(&w.call(&shexian), id, "姓名与身份证不一致，请持身份证到窗口办理")
        .await
        .unwrap();
    let view = applications::public_view(&w.db, &w.cipher, &filed.number, &filed.query_code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.status, view.reason.as_str()),
        ("未予登记", "姓名与身份证不一致，请持身份证到窗口办理")
    );
    // The person registered already: an application never overwrites the
    // registration on file.
    applications::file(&w.db, &w.cipher, &origin, now, &a, &token(3))
        .await
        .unwrap();
    let (rows, _) = applications::list(&w.db, &shexian, "pending", 20, 0).await.unwrap();
    assert!(matches!(
        applications::accept(&w.call(&shexian), rows[0].id).await,
        Err(AppError::Conflict(m)) if m == applications::SEEKER_EXISTS
    ));
    applications::refuse(&w.call(&shexian), rows[0].id, "已有求职登记")
        .await
        .unwrap();
    // Audited, without the ID number.
    let details: Vec<(String, String)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new(
                "SELECT action, detail FROM audit_log WHERE object_kind = 'job_application' ORDER BY id",
            ))
            .await
            .unwrap();
    let actions: Vec<&str> = details.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "job_application.file",
            "job_application.accept",
            "job_application.file",
            "job_application.refuse",
            "job_application.file",
            "job_application.refuse"
        ]
    );
    assert!(details.iter().all(|(_, d)| !d.contains(&person)));
    // Kept a year, as the notice says; then removed, sealed data and all.
    let count = async || {
        w.db.read()
            .await
            .unwrap()
            .int(Sql::new("SELECT COUNT(*) FROM job_applications"))
            .await
            .unwrap()
    };
    assert_eq!(count().await, 3);
    assert_eq!(
        applications::sweep(&w.db, now + chrono::Duration::days(364))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        applications::sweep(&w.db, now + applications::KEPT_FOR + chrono::Duration::days(1))
            .await
            .unwrap(),
        3
    );
    assert_eq!(count().await, 0);
    assert!(
        applications::public_view(&w.db, &w.cipher, &filed.number, &filed.query_code)
            .await
            .unwrap()
            .is_none()
    );
}

/// The best seekers for a vacancy by scoring every active seeker, in the
/// order matching promises: score, then newest registration first.
async fn every_seeker_scored(w: &World, v: &vacancies::VacancyRow, today: chrono::NaiveDate) -> Vec<(i64, i64)> {
    type Wish = (
        i64,
        String,
        i64,
        String,
        Option<i64>,
        Option<chrono::NaiveDate>,
        chrono::NaiveDate,
    );
    let wishes: Vec<Wish> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new(
                "SELECT s.id, o.code, s.region_code, s.places, s.min_wage_fen, s.available_from, s.registered_on \
             FROM job_seekers s JOIN job_seeker_occupations o ON o.seeker_id = s.id WHERE s.status = 'active'",
            ))
            .await
            .unwrap();
    let mut sides: HashMap<i64, (chrono::NaiveDate, SeekerSide)> = HashMap::new();
    for (id, code, home, places, wage, from, on) in wishes {
        let side = &mut sides
            .entry(id)
            .or_insert_with(|| {
                let side = SeekerSide {
                    occupations: Vec::new(),
                    home_region: home,
                    places: places.split(',').filter_map(|p| p.parse().ok()).collect(),
                    min_wage_fen: wage,
                    available_from: from,
                };
                (on, side)
            })
            .1;
        side.occupations.push(OccupationCode::parse(&code).unwrap());
    }
    let vacancy = VacancySide {
        occupation: OccupationCode::parse(&v.occupation).unwrap(),
        region: v.region_code,
        wage_min_fen: v.wage_min_fen,
        wage_max_fen: v.wage_max_fen,
        valid_until: v.valid_until,
    };
    let mut scored: Vec<(i64, i64, chrono::NaiveDate)> = sides
        .iter()
        .filter_map(|(id, (on, side))| Some((*id, fit(side, &vacancy, today)?.score, *on)))
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse((s.1, s.2, s.0)));
    scored
        .into_iter()
        .take(matching::MATCHES)
        .map(|(id, score, _)| (id, score))
        .collect()
}

async fn matching_a_vacancy_reads_the_nearest_first_and_misses_nobody(db: Db) {
    use shiminhua_app::ops::demo;
    let w = World::new(db).await;
    load_occupations(&w).await;
    demo::generate(&w.db, &w.cipher, t0(), 500, 3).await.unwrap();
    let options = demo::JobsOptions {
        vacancies: 60,
        seekers: 450,
        finer: true,
        ..demo::JobsOptions::default()
    };
    demo::jobs_with(&w.db, &w.cipher, t0(), 3, options).await.unwrap();
    // Enough seekers in one township for matching to stop there: some
    // living in it, some living elsewhere and wanting it.
    let tunxi = w.scoped("tunxi", Role::Local, "341002").await;
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let far = seeker_in(&w, &shexian, 899, "徽城镇", &[("occupations", "6-29-01")]).await;
    for n in 0..24u16 {
        let (home, places) = if n % 3 == 0 {
            ("老街街道", "昱中街道")
        } else {
            ("昱中街道", "")
        };
        let wage = ["", "5000", "9000"][usize::from(n % 3)];
        seeker_in(
            &w,
            &tunxi,
            900 + n,
            home,
            &[("occupations", "6-29-01"), ("places", places), ("min_wage", wage)],
        )
        .await;
    }
    let near = vacancies::create(
        &w.call(&tunxi),
        &getter(&vacancy("砌筑工", "6-29-01-01", "昱中街道", ("5000", "7000"))),
        "form",
    )
    .await
    .unwrap();
    let major_only = vacancies::create(
        &w.call(&tunxi),
        &getter(&vacancy("建筑工", "6", "老街街道", ("4000", "6000"))),
        "form",
    )
    .await
    .unwrap();
    let office = w.scoped("office", Role::Office, "341000").await;
    let today = t0().date_naive();
    let open: Vec<(i64,)> = w
        .db
        .read()
        .await
        .unwrap()
        .all(Sql::new("SELECT id FROM vacancies WHERE status = 'open' AND valid_until >= $1 ORDER BY id").bind(today))
        .await
        .unwrap();
    assert!(open.len() > 40, "{}", open.len());
    for id in open.iter().map(|(id,)| *id) {
        let v = vacancies::get(&w.db, &office, id).await.unwrap();
        let found: Vec<(i64, i64)> = matching::for_vacancy(&w.db, &office, id, today)
            .await
            .unwrap()
            .into_iter()
            .map(|(s, f)| (s.row.id, f.score))
            .collect();
        assert_eq!(
            found,
            every_seeker_scored(&w, &v, today).await,
            "vacancy {id} ({})",
            v.occupation
        );
        if id == near {
            // The 20 best all live in or want the township.
            assert_eq!(found.len(), matching::MATCHES);
            assert!(found.iter().all(|(_, score)| *score > 3300 - 100), "{found:?}");
        }
        if id == major_only {
            assert_eq!(found.len(), matching::MATCHES);
        }
    }
    // A seeker far away who comes to want the township is read there.
    let (worker, moved) = far;
    seekers::register(
        &w.call(&shexian),
        WorkerId(worker),
        &getter(&map(&[("occupations", "6-29-01"), ("places", "昱中街道")])),
        "form",
    )
    .await
    .unwrap();
    let v = vacancies::get(&w.db, &office, near).await.unwrap();
    let found: Vec<(i64, i64)> = matching::for_vacancy(&w.db, &office, near, today)
        .await
        .unwrap()
        .into_iter()
        .map(|(s, f)| (s.row.id, f.score))
        .collect();
    assert!(found.iter().any(|(id, _)| *id == moved), "{found:?}");
    assert_eq!(found, every_seeker_scored(&w, &v, today).await);
    // The migration that brought the table computes the same rows for the
    // seekers already on file as the application writes.
    let reach = async || -> Vec<(i64, i64, String, i64)> {
        let q = "SELECT seeker_id, major, middle, region_code FROM job_seeker_reach \
                 ORDER BY seeker_id, major, middle, region_code";
        w.db.read().await.unwrap().all(Sql::new(q)).await.unwrap()
    };
    let written = reach().await;
    assert!(written.len() > 900, "{}", written.len());
    let migration = match w.db.backend() {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0036_seeker_reach.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0036_seeker_reach.sql"),
    };
    let backfill = &migration[migration.find("WITH wanted").unwrap()..];
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new("DELETE FROM job_seeker_reach")).await.unwrap();
    tx.exec(Sql::new(backfill)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(reach().await, written);
}

/// The text search reads the vacancies by the pairs of characters of the
/// text (`vacancy_grams`, kept by triggers); it finds what a search of every
/// open vacancy finds, for any part of a title or an employer's name.
async fn the_board_finds_a_vacancy_by_any_part_of_its_text(db: Db) {
    use shiminhua_app::ops::demo;
    let w = World::new(db).await;
    demo::generate(&w.db, &w.cipher, t0(), 200, 5).await.unwrap();
    demo::jobs(&w.db, &w.cipher, t0(), 5).await.unwrap();
    let tunxi = w.scoped("tunxi", Role::Local, "341002").await;
    let mut latin = vacancy("Java开发", "6", "昱中街道", ("8000", "12000"));
    latin.insert("employer".into(), "黄山ABC科技有限公司".into());
    let latin = vacancies::create(&w.call(&tunxi), &getter(&latin), "form")
        .await
        .unwrap();
    let today = t0().date_naive();
    let open: Vec<(i64, String, String)> =
        w.db.read()
            .await
            .unwrap()
            .all(
                Sql::new("SELECT id, title, employer_name FROM vacancies WHERE status = 'open' AND valid_until >= $1")
                    .bind(today),
            )
            .await
            .unwrap();
    // SQLite's LIKE takes ASCII letters in either case; PostgreSQL's does not.
    let fold = w.db.backend() == Backend::Sqlite;
    let holds = |text: &str, q: &str| {
        if fold {
            text.to_ascii_lowercase().contains(&q.to_ascii_lowercase())
        } else {
            text.contains(q)
        }
    };
    let mut queries: Vec<String> = [
        "java",
        "Java",
        "abc科技",
        "BC",
        "开",
        "黄山",
        "有限公司",
        "%",
        "工 ",
        "焊工",
    ]
    .map(String::from)
    .to_vec();
    for (n, (_, title, employer)) in open.iter().enumerate().step_by(17) {
        let text: Vec<char> = if n % 2 == 0 { title } else { employer }.chars().collect();
        for len in 1..=3.min(text.len()) {
            let at = n % (text.len() + 1 - len);
            queries.push(text[at..at + len].iter().collect());
        }
    }
    assert!(queries.len() > 30, "{}", queries.len());
    for q in &queries {
        // The board searches the text as typed, without spaces around it.
        let q = q.trim();
        let mut want: Vec<i64> = open
            .iter()
            .filter(|(_, t, e)| holds(t, q) || holds(e, q))
            .map(|(id, ..)| *id)
            .collect();
        want.sort_unstable();
        let f = VacancyFilter {
            q: format!(" {q} "),
            ..VacancyFilter::default()
        };
        let (rows, total) = vacancies::board(&w.db, &f, today, 1000, 0).await.unwrap();
        let mut got: Vec<i64> = rows.iter().map(|r| r.id).collect();
        got.sort_unstable();
        assert_eq!((got, total), (want.clone(), want.len() as i64), "searching {q:?}");
    }
    let find = async |q: &str| {
        let f = VacancyFilter {
            q: q.into(),
            ..VacancyFilter::default()
        };
        vacancies::board(&w.db, &f, today, 1000, 0)
            .await
            .unwrap()
            .0
            .iter()
            .any(|r| r.id == latin)
    };
    assert!(find("Java开发").await && find("ABC科").await);
    assert_eq!(find("jAVA").await, fold);
    // A new title is found by its own text only.
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new("UPDATE vacancies SET title = '网约配送员' WHERE id = $1").bind(latin))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(find("约配").await && !find("Java").await && find("ABC科").await);
}
