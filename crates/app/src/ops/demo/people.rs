//! The seeded generator and the people it makes: names, origins, birth
//! dates and ID numbers with a valid check character.

use crate::error::{AppError, AppResult};
use chrono::{Duration, NaiveDate};
use shiminhua_core::id_number::IdNumber;

/// SplitMix64: small, fast and stable across versions, so a seed always
/// gives the same data.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// True with probability `percent`/100.
    pub(super) fn chance(&mut self, percent: u64) -> bool {
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
pub(super) const ORIGINS: &[(&str, &str)] = &[
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

pub(super) const EDUCATION_WEIGHTS: &[(&str, u64)] = &[
    ("小学及以下", 12),
    ("初中", 45),
    ("高中", 18),
    ("中专/技校", 12),
    ("大专", 9),
    ("本科", 4),
];
pub(super) const SKILLS: &[&str] = &[
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
pub(super) const TAGS: &[&str] = &["返乡", "新就业形态", "技能人才", "脱贫劳动力", "大龄", "灵活就业"];

pub(super) fn given(rng: &mut Rng, male: bool) -> &'static str {
    rng.pick(if male { GIVEN_MALE } else { GIVEN_FEMALE })
}

pub(super) fn name(rng: &mut Rng, male: bool) -> String {
    let mut s = rng.pick(SURNAMES).to_string();
    s.push_str(given(rng, male));
    if rng.chance(70) {
        s.push_str(given(rng, male));
    }
    s
}

pub(super) fn weighted<'a>(rng: &mut Rng, items: &'a [(&'a str, u64)]) -> &'a str {
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

pub(super) fn date_between(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(1) as usize;
    from + Duration::days(rng.below(days) as i64)
}

pub(super) fn id_for(rng: &mut Rng, address: &str, birth: NaiveDate, male: bool) -> AppResult<IdNumber> {
    // The sequence's last digit is odd for men and even for women.
    let base = (rng.below(500) * 2) as u16;
    let seq = if male { base + 1 } else { base };
    IdNumber::from_parts(address, birth, seq % 1000).map_err(|e| AppError::Internal(e.to_string()))
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
