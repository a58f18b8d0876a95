//! Demo public employment services (就业服务): vacancies of local employers
//! over the city's townships, job seekers drawn from the demo workers
//! already on file, referrals with every result, hires that became
//! employment records through the use case (so the 就近就业 figure moves as
//! it does in use), unemployment registrations of some seekers and the
//! hires' employment registrations, recruitment events of every series with
//! the vacancies offered there, and the wage guide computed from the
//! employment records.
//!
//! Vacancies, seekers and referrals are written in bulk in one transaction;
//! the hires then go through `referrals::set_outcome`. Occupations are the
//! shipped major groups only: finer groups come from an official list an
//! administrator loads, never from here. For the benchmarks, `finer` adds
//! synthetic middle groups (`6-01` …), which no demo database holds.
//! The same seed over the same workers always gives the same data.

use super::people::{Rng, date_between, id_for, name};
use super::records::credit_code;
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::registry::jobs::{referrals, wage_guide};
use crate::store::{Arg, Db, Sql};
use crate::{Call, Origin};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Grant, KindSet, Role, RoleSet, Scope};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::jobs::ReferralOutcome;
use shiminhua_core::jobs::matching::reach;
use shiminhua_core::jobs::wage_guide::DEFAULT_MIN_CELL;
use std::collections::HashSet;

/// What the job-services demo made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoJobs {
    pub vacancies: usize,
    pub seekers: usize,
    pub referrals: usize,
    /// Of the referrals, hires (each an employment record).
    pub hires: usize,
    /// Employment records the wage guide was computed from.
    pub guide_records: usize,
    /// Recruitment events (招聘活动), past ones with their figures.
    pub events: usize,
    /// Unemployment registrations (失业登记), some ended by a job.
    pub unemployed: usize,
    /// Employment registrations (就业登记), one a hire.
    pub employment_registrations: usize,
    /// 求职登记 filed from a phone, waiting for the staff.
    pub applications: usize,
}

/// How much to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobsOptions {
    pub vacancies: usize,
    /// At most one a worker: fewer when the registry holds fewer workers.
    pub seekers: usize,
    pub referrals: usize,
    /// Hires among the referrals, through the use case.
    pub hires: usize,
    /// Synthetic middle groups (benchmarks only).
    pub finer: bool,
    /// The wage guide of this year is computed (None: not computed).
    pub guide_year: Option<i32>,
    /// Applications filed from a phone, pending.
    pub applications: usize,
}

impl Default for JobsOptions {
    fn default() -> JobsOptions {
        JobsOptions {
            vacancies: 240,
            seekers: 360,
            referrals: 150,
            hires: 36,
            finer: false,
            guide_year: Some(2024),
            applications: 12,
        }
    }
}

/// Kinds of job: title, major group, industry section, monthly wage range
/// in yuan (lowest bottom, highest top).
const JOBS: &[(&str, u8, &str, u32, u32)] = &[
    ("普工", 6, "C", 3800, 5200),
    ("焊工", 6, "C", 5000, 7500),
    ("茶叶加工工", 6, "C", 3500, 5000),
    ("缝纫工", 6, "C", 3600, 5200),
    ("食品包装工", 6, "C", 3500, 4800),
    ("钢筋工", 6, "E", 6000, 9000),
    ("砌筑工", 6, "E", 6500, 9500),
    ("木工", 6, "E", 6000, 9000),
    ("水电安装工", 6, "E", 5500, 8000),
    ("快递员", 4, "G", 4500, 7000),
    ("网约配送员", 4, "G", 4500, 8000),
    ("叉车司机", 4, "G", 4500, 6000),
    ("服务员", 4, "H", 3200, 4200),
    ("厨师", 4, "H", 4500, 7000),
    ("客房服务员", 4, "H", 3200, 4000),
    ("保洁员", 4, "O", 2800, 3600),
    ("家政服务员", 4, "O", 4000, 6500),
    ("养老护理员", 4, "Q", 3800, 5000),
    ("保安员", 4, "L", 3200, 4200),
    ("营业员", 4, "F", 3000, 4200),
    ("茶园管理员", 5, "A", 3200, 4500),
    ("养殖工", 5, "A", 3500, 5000),
    ("仓库管理员", 3, "G", 3600, 4800),
    ("文员", 3, "L", 3200, 4200),
];

const EMPLOYER_WORDS: &[&str] = &["徽州", "新安", "齐云", "黄山", "太平湖", "祁红", "歙砚", "屯溪"];
const EMPLOYER_KINDS: &[(&str, &str)] = &[
    ("C", "食品有限公司"),
    ("C", "制造有限公司"),
    ("E", "建设工程有限公司"),
    ("G", "物流有限公司"),
    ("H", "大酒店有限公司"),
    ("O", "家政服务有限公司"),
    ("Q", "康养中心"),
    ("L", "物业服务有限公司"),
    ("F", "商贸有限公司"),
    ("A", "生态农业有限公司"),
];

fn employer_kind(industry: &str) -> &'static str {
    EMPLOYER_KINDS
        .iter()
        .find(|(i, _)| *i == industry)
        .map_or("有限公司", |(_, k)| *k)
}

fn day_of(now: DateTime<Utc>) -> NaiveDate {
    (now + Duration::hours(8)).date_naive()
}

/// The occupation code of a demo job: its major group, or with `finer` a
/// synthetic middle group of it.
fn occupation(rng: &mut Rng, major: u8, finer: bool) -> (String, String) {
    if finer {
        let middle = format!("{major}-{:02}", 1 + rng.below(8));
        (middle.clone(), middle)
    } else {
        (major.to_string(), String::new())
    }
}

/// The demo data set (see the module documentation); nothing when the
/// registry already holds vacancies.
pub async fn jobs(db: &Db, cipher: &Cipher, now: DateTime<Utc>, seed: u64) -> AppResult<DemoJobs> {
    jobs_with(db, cipher, now, seed, JobsOptions::default()).await
}

pub async fn jobs_with(db: &Db, cipher: &Cipher, now: DateTime<Utc>, seed: u64, o: JobsOptions) -> AppResult<DemoJobs> {
    let today = day_of(now);
    let mut rng = Rng(seed ^ 0x10b5_5e7e_c7ed_0017);
    let mut made = DemoJobs::default();
    let mut tx = db.write().await?;
    if tx.int(Sql::new("SELECT COUNT(*) FROM vacancies")).await? > 0 {
        return Ok(made);
    }
    let towns: Vec<(i64,)> = tx
        .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
        .await?;
    let towns: Vec<DivisionCode> = towns
        .into_iter()
        .filter_map(|(c,)| DivisionCode::from_i64(c).ok())
        .collect();
    if towns.is_empty() {
        return Ok(made);
    }
    let city: Option<(i64,)> = tx
        .opt(Sql::new(
            "SELECT code FROM regions WHERE level = 2 ORDER BY code LIMIT 1",
        ))
        .await?;
    let city = city
        .and_then(|(c,)| DivisionCode::from_i64(c).ok())
        .ok_or_else(|| AppError::Internal("no city".into()))?;
    let county_names: std::collections::HashMap<i64, String> = tx
        .all::<(i64, String)>(Sql::new("SELECT code, name FROM regions WHERE level = 3"))
        .await?
        .into_iter()
        .collect();

    // Vacancies.
    let mut vacancies = Vec::with_capacity(o.vacancies);
    let mut majors_of = Vec::with_capacity(o.vacancies);
    for _ in 0..o.vacancies {
        let (title, major, industry, lo, hi) = rng.pick(JOBS);
        let town = rng.pick(&towns);
        let county = town.county().unwrap_or(town);
        let (code, middle) = occupation(&mut rng, major, o.finer);
        let bottom = lo + 100 * rng.below(((hi - lo) / 200) as usize + 1) as u32;
        let top = (bottom + 500 + 100 * rng.below(20) as u32).min(hi.max(bottom));
        let posted = date_between(&mut rng, today - Duration::days(60), today);
        let until = posted + Duration::days(30 + rng.below(90) as i64);
        let status = match rng.below(100) {
            0..=7 => "filled",
            8..=11 => "withdrawn",
            _ => "open",
        };
        let employer = format!("黄山{}{}", rng.pick(EMPLOYER_WORDS), employer_kind(industry));
        let headcount = 1 + rng.below(if industry == "C" { 20 } else { 5 }) as i64;
        majors_of.push((i64::from(major), middle.clone(), town.as_i64(), status, until));
        vacancies.push(vec![
            Arg::from(credit_code(&mut rng, county).unwrap_or_default()),
            Arg::from(employer),
            Arg::from(industry),
            Arg::from(title),
            Arg::from(code),
            Arg::from(i64::from(major)),
            Arg::from(middle),
            Arg::from(headcount),
            Arg::from(i64::from(bottom) * 100),
            Arg::from(i64::from(top) * 100),
            Arg::from(county.as_i64()),
            Arg::from(town.as_i64()),
            Arg::from(if rng.chance(50) {
                "身体健康，吃苦耐劳；有相关经验者优先"
            } else {
                ""
            }),
            Arg::from(format!(
                "{}人社局就业服务窗口，电话12333转就业服务",
                county_names.get(&county.as_i64()).map_or("", String::as_str)
            )),
            Arg::from(posted),
            Arg::from(until),
            Arg::from(status),
            Arg::from("form"),
            Arg::from(now),
            Arg::from("岗位发布（演示）"),
            Arg::from(now),
            Arg::from("岗位发布（演示）"),
            Arg::from(1i64),
        ]);
    }
    made.vacancies = tx
        .bulk_insert(
            "vacancies",
            &[
                "employer_credit_code",
                "employer_name",
                "industry",
                "title",
                "occupation",
                "major",
                "middle",
                "headcount",
                "wage_min_fen",
                "wage_max_fen",
                "county_code",
                "region_code",
                "requirements",
                "contact",
                "posted_on",
                "valid_until",
                "status",
                "source",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
                "version",
            ],
            vacancies,
        )
        .await? as usize;
    let vacancy_ids: Vec<(i64,)> = tx.all(Sql::new("SELECT id FROM vacancies ORDER BY id")).await?;

    // Seekers: spread over the workers on file.
    let workers: Vec<(i64, i64, i64)> = tx
        .all(Sql::new(
            "SELECT w.id, w.region_code, w.county_code FROM workers w \
             WHERE NOT EXISTS (SELECT 1 FROM job_seekers s WHERE s.worker_id = w.id) ORDER BY w.id",
        ))
        .await?;
    let step = (workers.len() / o.seekers.max(1)).max(1);
    let mut seekers = Vec::new();
    let mut wishes = Vec::new();
    let mut chosen = Vec::new();
    let mut nears = Vec::new();
    let counties: Vec<i64> = {
        let mut c: Vec<i64> = towns
            .iter()
            .filter_map(|t| t.county())
            .map(DivisionCode::as_i64)
            .collect();
        c.dedup();
        c
    };
    for (worker, region, county) in workers.iter().step_by(step).take(o.seekers) {
        let major: u8 = match rng.below(100) {
            0..=44 => 6,
            45..=84 => 4,
            85..=92 => 5,
            _ => 3,
        };
        let mut places = Vec::new();
        match rng.below(10) {
            0..=5 => {}
            6..=8 => places.push(*county),
            _ => {
                places.push(*county);
                places.push(rng.pick(&counties));
            }
        }
        places.dedup();
        nears.push(reach(&places, *region));
        let min_wage = (!rng.chance(20)).then(|| (3000 + 100 * rng.below(31) as i64) * 100);
        let available = rng.chance(30).then(|| today + Duration::days(rng.below(30) as i64));
        let registered = date_between(&mut rng, today - Duration::days(180), today);
        seekers.push(vec![
            Arg::from(*worker),
            Arg::from(*county),
            Arg::from(*region),
            Arg::from(places.iter().map(i64::to_string).collect::<Vec<_>>().join(",")),
            Arg::from(min_wage),
            Arg::from(available),
            Arg::from(if rng.chance(30) {
                "持有职业技能等级证书"
            } else {
                ""
            }),
            Arg::from("active"),
            Arg::from("form"),
            Arg::from(registered),
            Arg::from(now),
            Arg::from("就业服务窗口（演示）"),
            Arg::from(now),
            Arg::from("就业服务窗口（演示）"),
            Arg::from(1i64),
        ]);
        let mut wanted = vec![major];
        if rng.chance(25) {
            wanted.push(if major == 6 { 4 } else { 6 });
        }
        chosen.push(wanted);
    }
    made.seekers = tx
        .bulk_insert(
            "job_seekers",
            &[
                "worker_id",
                "county_code",
                "region_code",
                "places",
                "min_wage_fen",
                "available_from",
                "skills",
                "status",
                "source",
                "registered_on",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
                "version",
            ],
            seekers,
        )
        .await? as usize;
    // The seekers just written (others may be on file: accepted phone
    // applications), in the order written.
    let mut seeker_ids: Vec<(i64,)> = tx
        .all(Sql::new("SELECT id FROM job_seekers ORDER BY id DESC LIMIT $1").bind(made.seekers as i64))
        .await?;
    seeker_ids.reverse();
    let mut seeker_majors: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut near_rows = Vec::new();
    for (((id,), wanted), near) in seeker_ids.iter().zip(&chosen).zip(&nears) {
        let mut groups = Vec::new();
        for m in wanted {
            let (code, middle) = occupation(&mut rng, *m, o.finer);
            // A wish drawn twice (the same synthetic middle group) is kept once.
            if groups.contains(&(*m, middle.clone())) {
                continue;
            }
            groups.push((*m, middle.clone()));
            wishes.push(vec![
                Arg::from(*id),
                Arg::from(code),
                Arg::from(i64::from(*m)),
                Arg::from(middle.clone()),
            ]);
            for r in near {
                near_rows.push(vec![
                    Arg::from(*id),
                    Arg::from(i64::from(*m)),
                    Arg::from(middle.clone()),
                    Arg::from(*r),
                ]);
            }
        }
        seeker_majors.push((*id, wanted.clone()));
    }
    tx.bulk_insert(
        "job_seeker_occupations",
        &["seeker_id", "code", "major", "middle"],
        wishes,
    )
    .await?;
    tx.bulk_insert(
        "job_seeker_reach",
        &["seeker_id", "major", "middle", "region_code"],
        near_rows,
    )
    .await?;

    // Referrals: a seeker to an open vacancy of a wanted group.
    let open: Vec<(i64, i64)> = vacancy_ids
        .iter()
        .zip(&majors_of)
        .filter(|(_, (_, _, _, status, until))| *status == "open" && *until >= today)
        .map(|((id,), (major, ..))| (*id, *major))
        .collect();
    let mut pairs = HashSet::new();
    let mut rows = Vec::new();
    let mut to_hire = Vec::new();
    let mut tries = 0;
    while rows.len() < o.referrals && !open.is_empty() && !seeker_majors.is_empty() && tries < o.referrals * 20 {
        tries += 1;
        let (seeker, wanted) = &seeker_majors[rng.below(seeker_majors.len())];
        let candidates: Vec<i64> = open
            .iter()
            .filter(|(_, m)| wanted.iter().any(|w| i64::from(*w) == *m))
            .map(|(id, _)| *id)
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let vacancy = rng.pick(&candidates);
        if !pairs.insert((*seeker, vacancy)) || to_hire.iter().any(|(s, _)| s == seeker) {
            continue;
        }
        let referred = date_between(&mut rng, today - Duration::days(45), today);
        let hire = to_hire.len() < o.hires;
        let outcome = if hire {
            ReferralOutcome::Interview
        } else {
            rng.pick(&[
                ReferralOutcome::Referred,
                ReferralOutcome::Referred,
                ReferralOutcome::Interview,
                ReferralOutcome::Rejected,
                ReferralOutcome::NoShow,
            ])
        };
        let outcome_on = (outcome != ReferralOutcome::Referred)
            .then(|| referred + Duration::days(rng.below(7) as i64))
            .map(|d| d.min(today));
        if hire {
            to_hire.push((*seeker, vacancy));
        }
        rows.push(vec![
            Arg::from(*seeker),
            Arg::from(vacancy),
            Arg::from(referred),
            Arg::from(outcome.code()),
            Arg::from(outcome_on),
            Arg::from(""),
            Arg::from(now),
            Arg::from("就业服务窗口（演示）"),
            Arg::from(now),
            Arg::from("就业服务窗口（演示）"),
            Arg::from(1i64),
        ]);
    }
    made.referrals = tx
        .bulk_insert(
            "referrals",
            &[
                "seeker_id",
                "vacancy_id",
                "referred_on",
                "outcome",
                "outcome_on",
                "note",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
                "version",
            ],
            rows,
        )
        .await? as usize;
    // Recruitment events: each series somewhere, past ones with figures,
    // some to come; each offers vacancies of its county.
    let series: &[(&str, &str)] = &[
        ("spring", "春风行动专场招聘会"),
        ("two_plus_n", "“2+N”特色招聘会"),
        ("home", "“接您回家”返乡人员招聘会"),
        ("union", "“工会送岗位”招聘会"),
        ("aid", "就业援助月专场招聘会"),
        ("private", "民营企业招聘月专场"),
    ];
    let mut by_county: Vec<(i64, Vec<i64>)> = Vec::new();
    for t in &towns {
        let c = t.county().unwrap_or(*t).as_i64();
        match by_county.iter_mut().find(|(k, _)| *k == c) {
            Some((_, list)) => list.push(t.as_i64()),
            None => by_county.push((c, vec![t.as_i64()])),
        }
    }
    let mut event_rows = Vec::new();
    for (county, county_towns) in &by_county {
        for _ in 0..3 {
            let (code, name) = rng.pick(series);
            let held = date_between(&mut rng, today - Duration::days(300), today + Duration::days(40));
            let past = held < today;
            let visitors = past.then(|| 80 + rng.below(500) as i64);
            let intents = visitors.map(|v| v * (10 + rng.below(25) as i64) / 100);
            let hires = intents.map(|i| i * (20 + rng.below(40) as i64) / 100);
            let town = rng.pick(county_towns);
            let place = county_names.get(county).cloned().unwrap_or_default();
            event_rows.push(vec![
                Arg::from(format!("{place}{name}")),
                Arg::from(code),
                Arg::from(if code == "union" {
                    format!("{place}总工会")
                } else {
                    format!("{place}人社局")
                }),
                Arg::from(*county),
                Arg::from(town),
                Arg::from("人力资源市场"),
                Arg::from(rng.chance(15)),
                Arg::from(held),
                Arg::from(visitors),
                Arg::from(intents),
                Arg::from(hires),
                Arg::from(now),
                Arg::from("就业服务窗口（演示）"),
                Arg::from(now),
                Arg::from("就业服务窗口（演示）"),
                Arg::from(1i64),
            ]);
        }
    }
    made.events = tx
        .bulk_insert(
            "job_events",
            &[
                "name",
                "series",
                "organiser",
                "county_code",
                "region_code",
                "venue",
                "online",
                "held_on",
                "visitors",
                "intents",
                "hires",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
                "version",
            ],
            event_rows,
        )
        .await? as usize;
    let events: Vec<(i64, i64)> = tx
        .all(Sql::new("SELECT id, county_code FROM job_events ORDER BY id"))
        .await?;
    let mut offered = Vec::new();
    for (event, county) in &events {
        let of_county: Vec<i64> = vacancy_ids
            .iter()
            .zip(&majors_of)
            .filter(|(_, (_, _, town, _, _))| shiminhua_core::jobs::matching::county_of(*town) == *county)
            .map(|((id,), _)| *id)
            .collect();
        let mut taken = HashSet::new();
        for _ in 0..of_county.len().min(6) {
            let v = rng.pick(&of_county);
            if taken.insert(v) {
                offered.push(vec![Arg::from(*event), Arg::from(v)]);
            }
        }
    }
    tx.bulk_insert("job_event_vacancies", &["event_id", "vacancy_id"], offered)
        .await?;
    audit::record(
        &mut tx,
        now,
        &Who::anonymous("演示数据", &Origin::cli()),
        Event::ok("demo.jobs", "system", 0).detail(format!(
            "vacancies={}; seekers={}; referrals={}",
            made.vacancies, made.seekers, made.referrals
        )),
    )
    .await?;
    tx.commit().await?;

    // Hires, as the HR office records them: each an employment record.
    let actor = Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "就业服务窗口（演示）".into(),
        roles: RoleSet::new(vec![Role::Office]),
        scope: Scope::new(vec![Grant {
            region: city,
            kinds: KindSet::all(),
        }]),
        unit_id: None,
    };
    let origin = Origin::cli();
    let call = Call {
        db,
        cipher,
        actor: &actor,
        origin: &origin,
        now,
    };
    for (seeker, vacancy) in to_hire {
        let r: Option<(i64, i64)> = db
            .read()
            .await?
            .opt(
                Sql::new("SELECT id, version FROM referrals WHERE seeker_id = $1 AND vacancy_id = $2")
                    .bind(seeker)
                    .bind(vacancy),
            )
            .await?;
        let Some((id, version)) = r else { continue };
        let wage = format!("{}", 3500 + 100 * rng.below(40));
        let on = today.to_string();
        let get = |k: &str| match k {
            "on" => on.clone(),
            "wage" => wage.clone(),
            "contract" => "是".to_string(),
            _ => String::new(),
        };
        match referrals::set_outcome(&call, id, version, ReferralOutcome::Hired, &get).await {
            Ok(()) => made.hires += 1,
            // The worker already holds a job record of that employer and day.
            Err(AppError::Validation(_) | AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    // 就业失业登记: the seekers who are out of work registered so at home,
    // and each hire's employment registration, filed the day of the hire,
    // which ends the unemployment of the person hired.
    made.unemployed = o.seekers.min(seeker_ids.len()) / 4;
    let mut tx = db.write().await?;
    let reasons = [
        "contract_end",
        "dismissed",
        "quit",
        "returned",
        "business_closed",
        "other",
    ];
    let mut rows = Vec::new();
    for (id,) in seeker_ids.iter().take(made.unemployed) {
        let since = date_between(&mut rng, today - Duration::days(240), today - Duration::days(5));
        let registered = (since + Duration::days(rng.below(20) as i64)).min(today);
        rows.push((*id, since, registered, rng.pick(&reasons)));
    }
    for (seeker, since, registered, reason) in rows {
        tx.exec(
            Sql::new(
                "INSERT INTO job_registrations (kind, worker_id, county_code, region_code, since, registered_on, reason, \
                 created_at, created_by, updated_at, updated_by, version) \
                 SELECT 'unemployment', worker_id, county_code, region_code, $1, $2, $3, $4, $5, $4, $5, 1 \
                 FROM job_seekers WHERE id = $6",
            )
            .bind(since)
            .bind(registered)
            .bind(reason)
            .bind(now)
            .bind("就业服务窗口（演示）")
            .bind(seeker),
        )
        .await?;
    }
    let hired: Vec<(i64, i64, i64, i64, NaiveDate)> = tx
        .all(Sql::new(
            "SELECT s.worker_id, s.county_code, s.region_code, f.record_id, r.period_date FROM referrals f \
             JOIN job_seekers s ON s.id = f.seeker_id JOIN records r ON r.id = f.record_id \
             WHERE f.outcome = 'hired' ORDER BY f.id",
        ))
        .await?;
    for (worker, county, region, record, start) in &hired {
        tx.exec(
            Sql::new(
                "INSERT INTO job_registrations (kind, worker_id, county_code, region_code, since, registered_on, \
                 record_id, created_at, created_by, updated_at, updated_by, version) \
                 VALUES ('employment', $1, $2, $3, $4, $4, $5, $6, $7, $6, $7, 1)",
            )
            .bind(*worker)
            .bind(*county)
            .bind(*region)
            .bind(*start)
            .bind(*record)
            .bind(now)
            .bind("就业服务窗口（演示）"),
        )
        .await?;
        tx.exec(
            Sql::new(
                "UPDATE job_registrations SET ended_on = $1 WHERE worker_id = $2 AND kind = 'unemployment' \
                 AND ended_on IS NULL AND since <= $1",
            )
            .bind(*start)
            .bind(*worker),
        )
        .await?;
    }
    made.employment_registrations = hired.len();
    let numbered: Vec<(i64, i64, NaiveDate)> = tx
        .all(Sql::new(
            "SELECT id, county_code, registered_on FROM job_registrations WHERE number IS NULL ORDER BY id",
        ))
        .await?;
    for (id, county, on) in numbered {
        let county = DivisionCode::from_i64(county).map_or_else(|_| county.to_string(), |c| c.to_string());
        tx.exec(
            Sql::new("UPDATE job_registrations SET number = $1 WHERE id = $2")
                .bind(format!("{county}{}{id:07}", on.format("%Y")))
                .bind(id),
        )
        .await?;
    }
    tx.commit().await?;
    made.applications = demo_applications(db, cipher, now, &mut rng, &towns, o.applications).await?;
    if let Some(year) = o.guide_year {
        made.guide_records = wage_guide::compute(&call, year, DEFAULT_MIN_CELL).await?;
    }
    Ok(made)
}

/// Seekers' own applications from a phone (求职登记 filed by the public),
/// of people not yet registered, left for the staff to accept or refuse.
async fn demo_applications(
    db: &Db,
    cipher: &Cipher,
    now: DateTime<Utc>,
    rng: &mut Rng,
    towns: &[DivisionCode],
    n: usize,
) -> AppResult<usize> {
    use crate::registry::jobs::applications::{self, Application};
    let mut filed = 0;
    for i in 0..n {
        let male = rng.chance(60);
        let town = rng.pick(towns);
        let birth = date_between(
            rng,
            NaiveDate::from_ymd_opt(1975, 1, 1).unwrap_or_default(),
            NaiveDate::from_ymd_opt(2004, 12, 31).unwrap_or_default(),
        );
        let address = town.county().unwrap_or(town).to_string();
        let person = id_for(rng, &address[..6], birth, male)?;
        let a = Application {
            name: name(rng, male),
            id_number: person.as_str().to_string(),
            phone: format!("139{:08}", rng.below(100_000_000)),
            region: town.to_string(),
            wishes: [
                ("occupations", if male { "6" } else { "4" }.to_string()),
                ("min_wage", format!("{}", 3500 + 500 * rng.below(5))),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            consent: true,
        };
        let token = format!("{:016x}{:016x}{:016x}{:016x}", rng.next(), rng.next(), rng.next(), i);
        // A person drawn twice, or already registered, is simply another application.
        if !applications::file(db, cipher, &Origin::default(), now, &a, &token)
            .await?
            .again
        {
            filed += 1;
        }
    }
    Ok(filed)
}
