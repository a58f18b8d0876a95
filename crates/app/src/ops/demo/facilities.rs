//! Demo facility registries (设施台账) for the plan period: 工会驿站 new,
//! upgraded and existing (most meeting the standard), 返乡创业示范园 new and
//! upgraded, 家政企业 (an employee-based backbone firm in six of the seven
//! counties: 黟县 lags on purpose), 家政劳务输出示范基地 and 保障性租赁住房
//! projects. Written through the registry's own use case, so each is
//! validated and audited as if typed in.

use super::people::{Rng, date_between};
use super::records::credit_code;
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::registry::facilities;
use crate::store::{Db, Sql};
use crate::{Call, Origin};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Grant, KindSet, Role, RoleSet, Scope};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::facility::FacilityKind;
use std::collections::HashMap;

const PLACE_WORDS: &[&str] = &[
    "新安", "徽港", "黄岳", "松谷", "齐云", "徽韵", "古城", "白岳", "练江", "丰乐", "横江", "率水",
];
const HOSTS: &[&str] = &["乡镇总工会", "园区工会", "社区工会", "企业工会", "县总工会"];

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Generates the facility registries over the divisions' townships, dated
/// in 2023 (none after `now`); returns how many facilities were written.
/// Nothing is generated when a facility is on file already.
pub async fn facilities(db: &Db, cipher: &Cipher, now: DateTime<Utc>, seed: u64) -> AppResult<usize> {
    let (towns, city) = {
        let mut tx = db.read().await?;
        if tx.int(Sql::new("SELECT COUNT(*) FROM facilities")).await? > 0 {
            return Ok(0);
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
        return Ok(0);
    };
    let city = DivisionCode::from_i64(city).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut by_county: Vec<(DivisionCode, Vec<DivisionCode>)> = Vec::new();
    for (t,) in towns {
        let Ok(town) = DivisionCode::from_i64(t) else { continue };
        let Some(county) = town.county() else { continue };
        match by_county.iter_mut().find(|(c, _)| *c == county) {
            Some((_, list)) => list.push(town),
            None => by_county.push((county, vec![town])),
        }
    }
    let actor = Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "台账录入（演示）".into(),
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
    let today = (now + chrono::Duration::hours(8)).date_naive();
    let last = day(2023, 12, 31).min(today);
    let mut rng = Rng(seed ^ 0xfac1_117e_5fac_1117);
    let mut made = 0usize;
    let mut add = async |kind: FacilityKind, pairs: Vec<(&str, String)>| -> AppResult<()> {
        let m: HashMap<&str, String> = pairs.into_iter().collect();
        let get = |k: &str| m.get(k).cloned().unwrap_or_default();
        match facilities::create(&call, kind, &get).await {
            Ok(_) => {
                made += 1;
                Ok(())
            }
            // The same name drawn twice in a town: skipped.
            Err(AppError::Validation(_)) => Ok(()),
            Err(e) => Err(e),
        }
    };
    let in_2023 = |rng: &mut Rng| date_between(rng, day(2023, 1, 5), last);
    let yet_to_come = |d: NaiveDate| d > today;
    for (county, towns) in &by_county {
        // 徽州区 lags in building stations; 黟县 has no backbone firm yet.
        let lagging = county.to_string() == "341004";
        let no_backbone = county.to_string() == "341023";
        let town = |rng: &mut Rng| rng.pick(towns);
        let (new, upgraded, existing) = if lagging { (3, 6, 3) } else { (7, 10, 3) };
        let stations = std::iter::repeat_n("新建", new)
            .chain(std::iter::repeat_n("提升", upgraded))
            .chain(std::iter::repeat_n("原有", existing));
        for (i, status) in stations.enumerate() {
            let place = town(&mut rng);
            let name = format!("{}{}号工会驿站", rng.pick(PLACE_WORDS), i + 1);
            let mut pairs = vec![
                ("name", name),
                ("place", place.to_string()),
                ("status", status.to_string()),
                ("host", rng.pick(HOSTS).to_string()),
            ];
            let (opened, standard) = match status {
                // A few new stations are still being built.
                "新建" if rng.chance(10) => (None, false),
                "新建" => (Some(in_2023(&mut rng)), rng.chance(85)),
                "提升" => {
                    let up = in_2023(&mut rng);
                    if !rng.chance(8) && !yet_to_come(up) {
                        pairs.push(("upgraded", ymd(up)));
                    }
                    (
                        Some(date_between(&mut rng, day(2015, 3, 1), day(2022, 10, 31))),
                        rng.chance(92),
                    )
                }
                _ => (
                    Some(date_between(&mut rng, day(2014, 3, 1), day(2022, 10, 31))),
                    rng.chance(75),
                ),
            };
            if let Some(d) = opened.filter(|d| !yet_to_come(*d)) {
                pairs.push(("opened", ymd(d)));
                pairs.push(("standard", if standard { "是" } else { "否" }.to_string()));
            }
            add(FacilityKind::Station, pairs).await?;
        }
        // A new park in most counties, an upgraded one in some.
        for (status, chance) in [("新建", 70), ("提升", 50)] {
            if !rng.chance(chance) {
                continue;
            }
            let place = town(&mut rng);
            let mut pairs = vec![
                ("name", format!("{}农民工返乡创业示范园", rng.pick(PLACE_WORDS))),
                ("status", status.to_string()),
                ("level", rng.pick(&["省级", "市级", "县级"]).to_string()),
                ("place", place.to_string()),
                ("firms", (8 + rng.below(30)).to_string()),
                ("jobs", (120 + rng.below(600)).to_string()),
            ];
            if status == "新建" {
                pairs.push(("approved", ymd(in_2023(&mut rng))));
            } else {
                pairs.push((
                    "approved",
                    ymd(date_between(&mut rng, day(2016, 1, 1), day(2021, 12, 31))),
                ));
                pairs.push(("upgraded", ymd(in_2023(&mut rng))));
            }
            add(FacilityKind::Park, pairs).await?;
        }
        // Housekeeping firms: one employee-based backbone firm where the
        // county has one, and two others.
        for i in 0..3 {
            let Some(code) = credit_code(&mut rng, *county) else {
                continue;
            };
            let backbone = i == 0 && !no_backbone;
            add(
                FacilityKind::Housekeeping,
                vec![
                    ("name", format!("黄山{}家政服务有限公司", rng.pick(PLACE_WORDS))),
                    ("credit_code", code),
                    ("place", town(&mut rng).to_string()),
                    (
                        "employee_based",
                        if backbone || rng.chance(40) { "是" } else { "否" }.to_string(),
                    ),
                    ("backbone", if backbone { "是" } else { "否" }.to_string()),
                    ("employees", (10 + rng.below(120)).to_string()),
                ],
            )
            .await?;
        }
        // Rental housing projects, mostly delivered in the period.
        if !lagging {
            let planned = 30 + rng.below(40);
            let on = in_2023(&mut rng);
            let delivered = if yet_to_come(on) { 0 } else { planned - rng.below(10) };
            let mut pairs = vec![
                ("name", format!("{}保障性租赁住房项目", rng.pick(PLACE_WORDS))),
                ("place", town(&mut rng).to_string()),
                ("planned", planned.to_string()),
                ("delivered", delivered.to_string()),
            ];
            if delivered > 0 {
                pairs.push(("delivered_on", ymd(on)));
            }
            add(FacilityKind::RentalHousing, pairs).await?;
        }
    }
    // One demonstration base recognised in the period, one earlier.
    for (i, recognised) in [date_between(&mut rng, day(2023, 6, 1), last), day(2021, 9, 1)]
        .into_iter()
        .enumerate()
    {
        let Some((county, towns)) = by_county.get(i * 3 % by_county.len().max(1)) else {
            continue;
        };
        let Some(code) = credit_code(&mut rng, *county) else {
            continue;
        };
        add(
            FacilityKind::HousekeepingBase,
            vec![
                ("name", format!("{}家政劳务输出示范基地", rng.pick(PLACE_WORDS))),
                ("credit_code", code),
                ("place", rng.pick(towns).to_string()),
                ("level", "市级".to_string()),
                ("recognised", ymd(recognised)),
            ],
        )
        .await?;
    }
    Ok(made)
}
