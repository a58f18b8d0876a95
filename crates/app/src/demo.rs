//! Demo data: a deterministic, realistic population of migrant workers and
//! their families over Huangshan's townships. Every ID number carries a valid
//! GB 11643 check character; the same seed always gives the same people.

use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::registry::{self, Owner, ValidWorker};
use crate::store::{Db, Sql};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::phone::Phone;

/// SplitMix64: small, fast and stable across versions, so a seed always
/// gives the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "汪", "程", "方", "叶", "洪", "江", "许", "曹", "鲍", "潘", "余", "姚", "詹", "舒", "查", "凌",
];
const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "平", "刚", "华", "建", "国", "文", "海", "志", "新",
    "飞", "亮", "林", "德", "斌", "鹏", "辉", "俊", "峰",
];
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "秀", "霞", "桂", "英", "春", "红", "云", "晓", "玉", "婷", "琴", "燕",
    "萍", "兰", "梅", "慧", "雪",
];

/// Address codes of household registration: mostly Huangshan's counties, then
/// the rest of Anhui and the neighbouring provinces.
const ORIGINS: &[(&str, &str)] = &[
    ("341021", "安徽省黄山市歙县"),
    ("341022", "安徽省黄山市休宁县"),
    ("341023", "安徽省黄山市黟县"),
    ("341024", "安徽省黄山市祁门县"),
    ("341003", "安徽省黄山市黄山区"),
    ("341004", "安徽省黄山市徽州区"),
    ("341002", "安徽省黄山市屯溪区"),
    ("341021", "安徽省黄山市歙县"),
    ("341022", "安徽省黄山市休宁县"),
    ("341181", "安徽省滁州市天长市"),
    ("340881", "安徽省安庆市桐城市"),
    ("341723", "安徽省池州市青阳县"),
    ("341824", "安徽省宣城市绩溪县"),
    ("330127", "浙江省杭州市淳安县"),
    ("361102", "江西省上饶市信州区"),
    ("362329", "江西省上饶市婺源县"),
];

const EDUCATION_WEIGHTS: &[(&str, u64)] = &[
    ("小学及以下", 12),
    ("初中", 45),
    ("高中", 18),
    ("中专/技校", 12),
    ("大专", 9),
    ("本科", 4),
];
const SKILLS: &[&str] = &[
    "",
    "",
    "",
    "电工（四级）",
    "焊工（五级）",
    "茶叶加工",
    "家政服务",
    "育婴员",
    "中式烹调师",
    "汽车维修",
    "砌筑工",
    "养老护理员",
    "电子商务",
    "木工",
];
const TAGS: &[&str] = &["返乡", "新就业形态", "技能人才", "脱贫劳动力", "大龄", "灵活就业"];

/// What a generation run made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generated {
    pub workers: usize,
    pub dependants: usize,
}

fn given(rng: &mut Rng, male: bool) -> &'static str {
    rng.pick(if male { GIVEN_MALE } else { GIVEN_FEMALE })
}

fn name(rng: &mut Rng, male: bool) -> String {
    let mut s = rng.pick(SURNAMES).to_string();
    s.push_str(given(rng, male));
    if rng.chance(70) {
        s.push_str(given(rng, male));
    }
    s
}

fn weighted<'a>(rng: &mut Rng, items: &'a [(&'a str, u64)]) -> &'a str {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.next() % total.max(1);
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    items.first().map(|(i, _)| *i).unwrap_or_default()
}

fn date_between(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(1) as usize;
    from + Duration::days(rng.below(days) as i64)
}

fn id_for(rng: &mut Rng, address: &str, birth: NaiveDate, male: bool) -> AppResult<IdNumber> {
    // The sequence's last digit is odd for men and even for women.
    let base = (rng.below(500) * 2) as u16;
    let seq = if male { base + 1 } else { base };
    IdNumber::from_parts(address, birth, seq % 1000).map_err(|e| AppError::Internal(e.to_string()))
}

/// Whether the registry holds no worker yet (then `serve --demo` fills it).
pub async fn is_empty(db: &Db) -> AppResult<bool> {
    Ok(db.read().await?.int(Sql::new("SELECT COUNT(*) FROM workers")).await? == 0)
}

/// Generates `n` workers with families into the database, in batches of one
/// transaction each, recorded in the audit trail as one event per batch.
pub async fn generate(db: &Db, cipher: &Cipher, now: DateTime<Utc>, n: usize, seed: u64) -> AppResult<Generated> {
    let mut tx = db.read().await?;
    let towns: Vec<(i64,)> = tx
        .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
        .await?;
    drop(tx);
    if towns.is_empty() {
        return Err(AppError::Config("尚未初始化行政区划，请先运行 shiminhua init。".into()));
    }
    let mut rng = Rng(seed);
    let mut out = Generated::default();
    let today = now.date_naive();
    let who = Who::system(&Origin::cli());
    let mut done = 0;
    while done < n {
        let batch = (n - done).min(500);
        let mut tx = db.write().await?;
        for _ in 0..batch {
            let male = rng.chance(62);
            let birth = date_between(
                &mut rng,
                NaiveDate::from_ymd_opt(1966, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(2004, 12, 31).unwrap_or_default(),
            );
            let (origin, place) = rng.pick(ORIGINS);
            let person = id_for(&mut rng, origin, birth, male)?;
            let index = cipher.blind_index("id_number", person.as_str());
            let taken = tx
                .int(Sql::new("SELECT COUNT(*) FROM workers WHERE id_index = $1").bind(index.clone()))
                .await?;
            if taken > 0 {
                continue;
            }
            let region = DivisionCode::from_i64(rng.pick(&towns).0).map_err(|e| AppError::Internal(e.to_string()))?;
            let county = region
                .county()
                .ok_or_else(|| AppError::Internal("township without county".into()))?;
            let phone_digits = format!(
                "1{}{:09}",
                rng.pick(&["3", "5", "7", "8", "9"]),
                rng.next() % 1_000_000_000
            );
            let mut tags: Vec<&str> = Vec::new();
            for t in TAGS {
                if rng.chance(12) {
                    tags.push(t);
                }
            }
            let w = ValidWorker {
                name: name(&mut rng, male),
                id: None,
                phone: if rng.chance(90) {
                    Phone::parse(&phone_digits).ok()
                } else {
                    None
                },
                region,
                county,
                hukou_place: place.to_string(),
                education: weighted(&mut rng, EDUCATION_WEIGHTS).to_string(),
                skills: SKILLS[rng.below(SKILLS.len())].to_string(),
                tags: tags.join(","),
            };
            let worker_id = registry::insert_worker(&mut tx, cipher, now, &w, &person, &index).await?;
            out.workers += 1;
            // Families: a spouse for most adults over 25, children for many of them.
            let age = today.year() - birth.year();
            let row = Owner {
                id: worker_id,
                county_code: county.as_i64(),
                id_index: &index,
            };
            if age >= 25 && rng.chance(65) {
                let spouse_birth = birth + Duration::days(rng.below(2000) as i64 - 1000);
                let spouse = name(&mut rng, !male);
                let spouse_id = id_for(&mut rng, origin, spouse_birth, !male)?;
                registry::insert_dependant(
                    &mut tx,
                    cipher,
                    now,
                    &row,
                    "配偶",
                    &spouse,
                    Some(&spouse_id),
                    spouse_birth,
                )
                .await
                .ok();
                out.dependants += 1;
                let children = if rng.chance(55) { 1 + rng.below(2) } else { 0 };
                for _ in 0..children {
                    let from = (birth + Duration::days(365 * 20)).max(today - Duration::days(365 * 16));
                    let to = today - Duration::days(365 * 3);
                    if from >= to {
                        break;
                    }
                    let child_birth = date_between(&mut rng, from, to);
                    let surname: String = w.name.chars().take(1).collect();
                    let boy = rng.chance(52);
                    let child = format!("{surname}{}{}", given(&mut rng, boy), given(&mut rng, boy));
                    let child_id = id_for(&mut rng, origin, child_birth, boy)?;
                    if registry::insert_dependant(
                        &mut tx,
                        cipher,
                        now,
                        &row,
                        "子女",
                        &child,
                        Some(&child_id),
                        child_birth,
                    )
                    .await
                    .is_ok()
                    {
                        out.dependants += 1;
                    }
                }
            }
        }
        audit::record(
            &mut tx,
            now,
            &who,
            Event::ok("demo.generate", "worker", "").detail(format!("seed={seed}; batch={batch}")),
        )
        .await?;
        tx.commit().await?;
        done += batch;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_ids_are_valid() {
        let mut a = Rng(7);
        let mut b = Rng(7);
        for _ in 0..100 {
            assert_eq!(a.next(), b.next());
        }
        let mut r = Rng(2023);
        for _ in 0..2000 {
            let male = r.chance(50);
            let birth = date_between(
                &mut r,
                NaiveDate::from_ymd_opt(1966, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2004, 12, 31).unwrap(),
            );
            let (origin, _) = r.pick(ORIGINS);
            let id = id_for(&mut r, origin, birth, male).unwrap();
            let again = IdNumber::parse(id.as_str()).unwrap();
            assert_eq!(again.birth_date(), birth);
            assert_eq!(again.sex() == shiminhua_core::id_number::Sex::Male, male);
        }
    }
}
