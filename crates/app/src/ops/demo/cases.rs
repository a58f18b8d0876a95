//! Demo wage-arrears cases over the generated population's places.

use super::people::{Rng, name, weighted};
use super::records::credit_code;
use crate::Origin;
use crate::audit::Who;
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use shiminhua_core::division::DivisionCode;

const CASE_SOURCES: &[(&str, u64)] = &[
    ("platform", 30),
    ("hotline", 25),
    ("visit", 15),
    ("letter", 4),
    ("online", 16),
    ("inspection", 10),
];
const CASE_SECTORS: &[(&str, u64)] = &[
    ("construction", 50),
    ("manufacturing", 20),
    ("catering", 15),
    ("other", 15),
];
const EMPLOYER_WORDS: &[&str] = &[
    "徽港", "新安", "黄岳", "松谷", "屯溪", "齐云", "徽韵", "古城", "祁红", "白岳",
];
const EMPLOYER_KINDS: &[(&str, &str)] = &[
    ("construction", "建筑劳务有限公司"),
    ("construction", "建设工程有限公司"),
    ("manufacturing", "茶业有限公司"),
    ("manufacturing", "竹木制品有限公司"),
    ("catering", "餐饮管理有限公司"),
    ("catering", "酒店有限公司"),
    ("other", "物业服务有限公司"),
    ("other", "家政服务有限公司"),
];

/// What the case generator made.
#[derive(Clone, Debug, Default)]
pub struct DemoCases {
    pub cases: usize,
    pub open: usize,
    pub overdue: usize,
}

/// Generates `n` wage-arrears cases received over the year up to `now`,
/// through the same registration and steps as the pages (numbers, deadlines
/// on the stored calendar, events and audit records), in batches of 500. Most
/// older cases are closed, some late; recent ones are still open, a share of
/// them past their time limit (徽州区 lags on purpose). Nothing is generated
/// when cases exist already.
pub async fn cases(db: &Db, cipher: &Cipher, now: DateTime<Utc>, n: usize, seed: u64) -> AppResult<DemoCases> {
    cases_observed(db, cipher, now, n, seed, &|_, _| {}).await
}

/// [`cases`], telling `observe` the cases registered so far (and `n`)
/// after each batch.
pub async fn cases_observed(
    db: &Db,
    cipher: &Cipher,
    now: DateTime<Utc>,
    n: usize,
    seed: u64,
    observe: super::Observer<'_>,
) -> AppResult<DemoCases> {
    use crate::rights::cases::{self, StepRules, Writer};
    use chrono::TimeZone;
    use shiminhua_core::auth::{Actor, Grant, KindSet, Role, RoleSet, Scope};
    use shiminhua_core::case::{Action, ActionInput, CaseInput, CaseStatus, DEFAULT_CONCLUSIONS};

    let mut made = DemoCases::default();
    let today = (now + Duration::hours(8)).date_naive();
    let cal = crate::calendar::calendar(db).await?;
    let (towns, city) = {
        let mut tx = db.read().await?;
        if tx.int(Sql::new("SELECT COUNT(*) FROM cases")).await? > 0 {
            return Ok(made);
        }
        let towns: Vec<(i64,)> = tx
            .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
            .await?;
        let city: Option<(i64,)> = tx
            .opt(Sql::new(
                "SELECT code FROM regions WHERE level = 2 ORDER BY code LIMIT 1",
            ))
            .await?;
        (towns, city)
    };
    let (Some((city,)), false) = (city, towns.is_empty()) else {
        return Ok(made);
    };
    let city = DivisionCode::from_i64(city).map_err(|e| AppError::Internal(e.to_string()))?;
    let actor = Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "监察员（演示）".into(),
        roles: RoleSet::new(vec![Role::Inspector, Role::Office]),
        scope: Scope::new(vec![Grant {
            region: city,
            kinds: KindSet::all(),
        }]),
        unit_id: None,
    };
    let origin = Origin::cli();
    let writer = |day: NaiveDate| Writer {
        db,
        cipher,
        now: Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap_or_default()),
        actor_id: None,
        name: actor.display_name.clone(),
        who: Some(Who::system(&origin)),
    };
    let first = cal
        .years()
        .min()
        .and_then(|y| NaiveDate::from_ymd_opt(y, 1, 10))
        .unwrap_or(today)
        .max(today - Duration::days(365));
    let mut rng = Rng(seed ^ 0x5ca5_e5ca_5e5c_a5e5);
    // Attempts (a date on a rest day is mostly skipped), bounded.
    let mut tries = 0usize;
    while made.cases < n && tries < n.saturating_mul(4) {
        let mut tx = db.write().await?;
        let rules = StepRules::load(&mut tx, cal.clone()).await?;
        let batch_end = (made.cases + 500).min(n);
        while made.cases < batch_end && tries < n.saturating_mul(4) {
            tries += 1;
            // Recent cases are more frequent than old ones.
            let back = {
                let a = rng.below(365) as i64;
                let b = rng.below(365) as i64;
                a.min(b).min((today - first).num_days())
            };
            let received = today - Duration::days(back);
            if !cal.is_working_day(received).unwrap_or(false) && rng.chance(70) {
                continue;
            }
            let (town,) = rng.pick(&towns);
            let town = DivisionCode::from_i64(town).map_err(|e| AppError::Internal(e.to_string()))?;
            let county = town.county().unwrap_or(town);
            let lagging = county.as_i64() == 341004000000;
            let source = weighted(&mut rng, CASE_SOURCES);
            let sector = weighted(&mut rng, CASE_SECTORS);
            let kinds: Vec<&str> = EMPLOYER_KINDS
                .iter()
                .filter(|(s, _)| *s == sector)
                .map(|(_, k)| *k)
                .collect();
            let employer = format!(
                "黄山市{}{}",
                rng.pick(EMPLOYER_WORDS),
                rng.pick(if kinds.is_empty() {
                    &["有限公司"][..]
                } else {
                    &kinds
                })
            );
            let workers = if sector == "construction" {
                3 + rng.below(28)
            } else {
                1 + rng.below(8)
            };
            let months = 1 + rng.below(5) as i64;
            let monthly = 3000 + rng.below(31) as i64 * 100;
            let to = received - Duration::days(rng.below(60) as i64);
            let from = to - Duration::days(30 * months - 1);
            let anonymous = rng.chance(15);
            let male = rng.chance(80);
            let input = CaseInput {
                source: source.into(),
                clue_no: if source == "platform" {
                    format!("XS{}{:07}", received.format("%Y%m%d"), rng.below(10_000_000))
                } else {
                    String::new()
                },
                received_on: received.to_string(),
                anonymous,
                reporter_name: if anonymous { String::new() } else { name(&mut rng, male) },
                reporter_phone: if anonymous {
                    String::new()
                } else {
                    format!(
                        "1{}{:09}",
                        rng.pick(&["3", "5", "7", "8", "9"]),
                        rng.next() % 1_000_000_000
                    )
                },
                employer_name: employer,
                employer_credit_code: credit_code(&mut rng, county).unwrap_or_default(),
                sector: sector.into(),
                project_name: if sector == "construction" {
                    format!("{}安置房项目", rng.pick(EMPLOYER_WORDS))
                } else {
                    String::new()
                },
                contractor_credit_code: if sector == "construction" {
                    credit_code(&mut rng, county).unwrap_or_default()
                } else {
                    String::new()
                },
                workers: workers.to_string(),
                amount_claimed: (workers as i64 * months * monthly).to_string(),
                arrears_from: from.to_string(),
                arrears_to: to.to_string(),
                description: format!("{}名工人{}个月工资未发放", workers, months),
                region: town.to_string(),
                ..CaseInput::default()
            };
            let Ok(data) = shiminhua_core::case::validate(&input, &rules.places, today) else {
                continue;
            };
            let reg = match cases::store_new(&mut tx, &writer(received), &rules, &data, None).await {
                Ok(r) => r,
                // A generated clue number taken already: skip the case.
                Err(AppError::Validation(_)) => continue,
                Err(e) => return Err(e),
            };
            made.cases += 1;
            // The steps, each on its working day, as long as that day has come.
            let late_accept = rng.chance(if lagging { 25 } else { 5 });
            let accept_after = if late_accept { 6 + rng.below(4) } else { rng.below(5) } as u32;
            let late_close = rng.chance(if lagging { 30 } else { 8 });
            let close_after = if late_close {
                61 + rng.below(25)
            } else {
                5 + rng.below(50)
            } as u32;
            let ending = rng.below(100);
            let mut plan: Vec<(u32, Action, ActionInput)> = Vec::new();
            if ending < 4 {
                plan.push((
                    accept_after,
                    Action::Reject,
                    ActionInput {
                        reason: "反映事项超过两年，不属于劳动保障监察受理范围".into(),
                        public_reply: "经审查，您反映的事项不予受理，可向劳动人事争议仲裁委员会申请仲裁。".into(),
                        ..ActionInput::default()
                    },
                ));
            } else {
                plan.push((
                    accept_after,
                    Action::Accept,
                    ActionInput {
                        public_reply: "您反映的问题已受理，我们将尽快调查处理。".into(),
                        ..ActionInput::default()
                    },
                ));
                plan.push((accept_after, Action::Investigate, ActionInput::default()));
                let paid = if rng.chance(85) { workers } else { workers / 2 };
                let (action, input) = if ending < 8 {
                    (
                        Action::Arbitrate,
                        ActionInput {
                            note: "劳动关系存在争议，经绿色通道移送仲裁".into(),
                            ..ActionInput::default()
                        },
                    )
                } else if ending < 10 {
                    (
                        Action::ReferPolice,
                        ActionInput {
                            note: "责令限期支付后仍拒不支付，涉嫌拒不支付劳动报酬罪".into(),
                            ..ActionInput::default()
                        },
                    )
                } else {
                    let conclusion = if paid == workers {
                        DEFAULT_CONCLUSIONS[0]
                    } else {
                        DEFAULT_CONCLUSIONS[1]
                    };
                    let recovered = (workers as i64 * months * monthly) * paid as i64 / workers as i64;
                    (
                        Action::Close,
                        ActionInput {
                            conclusion: conclusion.into(),
                            amount_recovered: recovered.to_string(),
                            workers_paid: paid.to_string(),
                            public_reply: format!("经调查处理，已为{paid}名工人追回工资，案件办结。"),
                            ..ActionInput::default()
                        },
                    )
                };
                plan.push((accept_after + close_after, action, input));
                if rng.chance(60) {
                    plan.push((
                        accept_after + close_after + 3 + rng.below(10) as u32,
                        Action::FollowUp,
                        ActionInput {
                            note: "电话回访，反映人表示满意".into(),
                            ..ActionInput::default()
                        },
                    ));
                }
            }
            let mut status = CaseStatus::Registered;
            for (version, (after, action, input)) in (1..).zip(plan) {
                let Ok(day) = cal.add_working_days(received, after) else {
                    break;
                };
                if day > today {
                    break;
                }
                status = cases::act_in(&mut tx, &writer(day), &actor, &rules, reg.id, version, action, &input).await?;
            }
            if status.is_open() {
                made.open += 1;
            }
        }
        tx.commit().await?;
        observe(made.cases as u64, n as u64);
    }
    made.overdue = db
        .read()
        .await?
        .int(Sql::new("SELECT COUNT(*) FROM cases WHERE due_on < $1").bind(today))
        .await? as usize;
    Ok(made)
}
