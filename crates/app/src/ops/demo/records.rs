//! The records planned for a generated worker: jobs, trainings,
//! social insurance, schooling and the rest, with consistent dates.

use super::people::{Rng, date_between, weighted};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::store::Sql;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;

const BANKS: &[&str] = &[
    "徽商银行",
    "黄山农村商业银行",
    "中国农业银行",
    "中国邮政储蓄银行",
    "中国建设银行",
];
const PROGRAMMES: &[(&str, &str)] = &[
    ("电工技能提升培训", "电工"),
    ("家政服务员培训", "家政服务员"),
    ("养老护理员培训", "养老护理员"),
    ("徽菜烹饪培训", "中式烹调师"),
    ("茶叶加工技能培训", "茶叶加工工"),
    ("焊工培训", "焊工"),
    ("电子商务直播培训", "互联网营销师"),
    ("乡村旅游服务培训", "民宿管家"),
];
const PROVIDERS: &[&str] = &[
    "黄山技师学院",
    "黄山市职业技术学校",
    "歙县职业技术学校",
    "休宁县职业培训中心",
    "黄山区就业训练中心",
];
const EMPLOYERS: &[&str] = &[
    "建筑工程有限公司",
    "茶业有限公司",
    "旅游开发有限公司",
    "食品有限公司",
    "物流有限公司",
    "酒店管理有限公司",
    "电子科技有限公司",
    "家政服务有限公司",
];
const INDUSTRY_BY_EMPLOYER: &[&str] = &["E", "C", "N", "C", "G", "H", "C", "O"];
const PARKS: &[&str] = &[
    "歙县返乡创业示范园",
    "休宁县返乡创业园",
    "徽州区返乡创业示范园",
    "黄山区返乡创业孵化园",
];
/// Characters of an organisation code (no I, O, Z, S, V).
const ORG_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

pub(super) fn credit_code(rng: &mut Rng, county: DivisionCode) -> Option<String> {
    let org: String = (0..8).map(|_| ORG_CHARS[rng.below(ORG_CHARS.len())] as char).collect();
    let division = county.to_string();
    shiminhua_core::credit_code::CreditCode::from_parts("91", &division, &org)
        .ok()
        .map(|c| c.as_str().to_string())
}

/// A job of an employment import file ([`super::write_import_file`]).
pub(super) struct DemoJob {
    pub wage: u32,
    fields: Vec<(&'static str, String)>,
}

impl DemoJob {
    /// The text of a field of the employment template ("" if blank).
    pub fn get(&self, key: &str) -> String {
        if key == "wage" {
            return self.wage.to_string();
        }
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// A job in or near `town` begun in 2022–2024, as the generated records'.
pub(super) fn demo_job(rng: &mut Rng, town: DivisionCode) -> DemoJob {
    let first = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
    let county = town.county().unwrap_or(town);
    let e = rng.below(EMPLOYERS.len());
    let form = weighted(
        rng,
        &[("就近就业", 45), ("外出务工", 20), ("灵活就业", 20), ("新就业形态", 15)],
    );
    let start = date_between(rng, first, last);
    let mut fields = vec![
        ("credit_code", credit_code(rng, county).unwrap_or_default()),
        (
            "employer",
            format!("黄山{}{}", rng.pick(&["徽州", "新安", "齐云"]), EMPLOYERS[e]),
        ),
        ("industry", INDUSTRY_BY_EMPLOYER[e].to_string()),
        ("occupation", occupation_of(INDUSTRY_BY_EMPLOYER[e]).to_string()),
        ("form", form.to_string()),
        ("start", ymd(start)),
        ("contract", if rng.chance(75) { "是" } else { "否" }.to_string()),
        ("public_service", if rng.chance(30) { "是" } else { "否" }.to_string()),
    ];
    if form == "就近就业" {
        fields.push(("place", town.to_string()));
    }
    if rng.chance(20) && start < last {
        fields.push(("end", ymd(date_between(rng, start, last))));
    }
    DemoJob {
        wage: 2800 + rng.below(52) as u32 * 100,
        fields,
    }
}

/// The major occupation group most of an industry's migrant workers are
/// in (the wage guide's groups).
fn occupation_of(industry: &str) -> &'static str {
    use shiminhua_core::jobs::occupation::major_name;
    match industry {
        "A" => major_name(5),
        "B" | "C" | "D" | "E" => major_name(6),
        _ => major_name(4),
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A record to write: kind, raw field texts, the child of a schooling record.
type Planned = (
    shiminhua_core::auth::RecordKind,
    Vec<(&'static str, String)>,
    Option<i64>,
);

/// Records of one worker in plausible proportions across 2022–2024, written
/// through the same validation as every other source.
#[expect(clippy::too_many_arguments, reason = "the person the records are about")]
pub(super) async fn records_for(
    tx: &mut crate::store::Tx,
    ctx: &crate::registry::records::Context,
    rng: &mut Rng,
    now: DateTime<Utc>,
    worker_id: i64,
    region: DivisionCode,
    county: DivisionCode,
    children: &[(i64, NaiveDate)],
    towns: &[(i64,)],
    extra: f64,
) -> AppResult<usize> {
    let today = now.date_naive();
    let out = plan_records(rng, today, region, county, children, towns, extra);
    let mut written = 0;
    for (kind, fields, child) in out {
        let Some(spec) = shiminhua_core::record::spec(kind) else {
            continue;
        };
        let get = |k: &str| {
            fields
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let values = shiminhua_core::record::validate(spec, &get, &ctx.places, today)
            .map_err(|e| AppError::Internal(format!("demo {kind:?} record invalid: {e:?}")))?;
        let v = crate::registry::records::place(ctx, spec, values, child, region.as_i64(), None)?;
        let data = crate::registry::records::to_json(spec, &v.values);
        crate::registry::records::insert_new(tx, now, worker_id, &v, &data, "demo").await?;
        written += 1;
    }
    Ok(written)
}

/// The records of one worker, before validation; `extra` further records on
/// average (earlier jobs and trainings).
fn plan_records(
    rng: &mut Rng,
    today: NaiveDate,
    region: DivisionCode,
    county: DivisionCode,
    children: &[(i64, NaiveDate)],
    towns: &[(i64,)],
    extra: f64,
) -> Vec<Planned> {
    use shiminhua_core::auth::RecordKind;
    let first = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default().min(today);
    let town = region.to_string();
    let mut out: Vec<Planned> = Vec::new();
    let mut employed = false;
    let mut job_start: Option<NaiveDate> = None;
    if rng.chance(85) {
        employed = true;
        let e = rng.below(EMPLOYERS.len());
        let form = weighted(
            rng,
            &[("就近就业", 45), ("外出务工", 20), ("灵活就业", 20), ("新就业形态", 15)],
        );
        let start = date_between(rng, first, last);
        job_start = Some(start);
        let mut f = vec![
            ("credit_code", credit_code(rng, county).unwrap_or_default()),
            (
                "employer",
                format!(
                    "黄山{}{}",
                    rng.pick(&["徽州", "新安", "齐云", "太平", "屯溪", "黟山"]),
                    EMPLOYERS[e]
                ),
            ),
            ("industry", INDUSTRY_BY_EMPLOYER[e].to_string()),
            ("occupation", occupation_of(INDUSTRY_BY_EMPLOYER[e]).to_string()),
            ("form", form.to_string()),
            ("start", ymd(start)),
            ("wage", format!("{}", 2800 + rng.below(52) * 100)),
            ("contract", if rng.chance(75) { "是" } else { "否" }.to_string()),
            ("public_service", if rng.chance(30) { "是" } else { "否" }.to_string()),
        ];
        if form != "外出务工" {
            let place = if form == "就近就业" {
                town.clone()
            } else {
                DivisionCode::from_i64(rng.pick(towns).0)
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            };
            f.push(("place", place));
        }
        if rng.chance(20) && start < last {
            f.push(("end", ymd(date_between(rng, start, last))));
        }
        out.push((RecordKind::Employment, f, None));
    }
    if rng.chance(4) {
        let start = date_between(rng, first, last);
        let mut f = vec![
            ("credit_code", credit_code(rng, county).unwrap_or_default()),
            (
                "business",
                format!(
                    "{}{}",
                    rng.pick(&["徽韵", "山里", "新安", "松萝", "祁红"]),
                    rng.pick(&["农家乐", "茶叶合作社", "民宿", "电商工作室", "竹木加工厂"])
                ),
            ),
            ("place", town.clone()),
            ("start", ymd(start)),
            ("jobs", (1 + rng.below(15)).to_string()),
        ];
        if rng.chance(30) {
            f.push(("park", rng.pick(PARKS).to_string()));
        }
        if rng.chance(40) {
            f.push(("loan", format!("{}万元", 5 + rng.below(16))));
            f.push(("loan_bank", rng.pick(BANKS).to_string()));
            f.push(("loan_date", ymd(date_between(rng, start, last))));
        }
        out.push((RecordKind::Venture, f, None));
    }
    let mut trained: Option<usize> = None;
    if rng.chance(30) {
        let p = rng.below(PROGRAMMES.len());
        trained = Some(p);
        let f = training(rng, PROGRAMMES[p], first, last, today);
        out.push((RecordKind::Training, f, None));
    }
    for (insurance, percent) in [("养老保险", 75), ("医疗保险", 85), ("工伤保险", 50), ("失业保险", 35)]
    {
        let percent = if employed { percent } else { percent / 3 };
        if !rng.chance(percent) {
            continue;
        }
        let scheme = if matches!(insurance, "养老保险" | "医疗保险") && rng.chance(35) {
            "城乡居民"
        } else {
            "职工"
        };
        if scheme == "城乡居民" && matches!(insurance, "工伤保险" | "失业保险") {
            continue;
        }
        let from = date_between(rng, first, last);
        let mut f = vec![
            ("insurance", insurance.to_string()),
            ("scheme", scheme.to_string()),
            ("from", ymd(from)),
        ];
        if rng.chance(10) && from < last {
            f.push(("status", "终止参保".to_string()));
            f.push(("to", ymd(date_between(rng, from, last))));
        } else {
            f.push(("status", "参保缴费".to_string()));
        }
        out.push((RecordKind::Insurance, f, None));
    }
    for (child, birth) in children {
        for year in [2023, 2024] {
            let Some(term) = NaiveDate::from_ymd_opt(year, 9, 1) else {
                continue;
            };
            if term > today {
                continue;
            }
            let age = year - birth.year() - i32::from((birth.month(), birth.day()) > (8, 31));
            if !(6..=14).contains(&age) {
                continue;
            }
            let grade = age - 5;
            let stage = if grade <= 6 { "小学" } else { "初中" };
            let school = format!(
                "{}{}",
                rng.pick(&["实验", "第一", "第二", "城关", "新安"]),
                if stage == "小学" { "小学" } else { "中学" }
            );
            out.push((
                RecordKind::Schooling,
                vec![
                    ("child", child.to_string()),
                    ("school", school),
                    (
                        "school_type",
                        weighted(rng, &[("公办", 88), ("政府购买学位的民办", 7), ("其他民办", 5)]).to_string(),
                    ),
                    ("place", town.clone()),
                    ("stage", stage.to_string()),
                    ("grade", grade.to_string()),
                    ("school_year", format!("{year}-{}", year + 1)),
                ],
                Some(*child),
            ));
        }
    }
    if rng.chance(3) {
        out.push((
            RecordKind::Housing,
            vec![
                (
                    "housing_type",
                    weighted(rng, &[("保障性租赁住房", 70), ("公租房", 30)]).to_string(),
                ),
                (
                    "project",
                    format!(
                        "{}保障性租赁住房项目",
                        rng.pick(&["屯溪区黎阳", "徽州区文峰", "歙县徽城", "休宁县海阳", "黄山区甘棠"])
                    ),
                ),
                ("place", town.clone()),
                ("units", "1".to_string()),
                ("date", ymd(date_between(rng, first, last))),
            ],
            None,
        ));
    }
    if rng.chance(25) {
        let intention = weighted(rng, &[("有", 40), ("无", 40), ("未定", 20)]);
        let date = date_between(rng, first, last);
        let mut f = vec![("intention", intention.to_string()), ("intention_date", ymd(date))];
        let settled = date + Duration::days(30 + rng.below(270) as i64);
        if intention == "有" && rng.chance(60) && settled <= last {
            f.push(("settled", ymd(settled)));
            f.push((
                "household",
                if rng.chance(80) { "家庭户" } else { "集体户" }.to_string(),
            ));
            f.push(("place", town.clone()));
        }
        out.push((RecordKind::Settlement, f, None));
    }
    // A denser population: earlier jobs, each ended before the next began,
    // and trainings in other programmes.
    if extra > 0.0 {
        let whole = extra.trunc() as usize;
        let n = whole + usize::from(rng.next() % 1000 < ((extra - whole as f64) * 1000.0) as u64);
        let mut before = job_start.unwrap_or(last);
        let mut programmes: Vec<usize> = trained.into_iter().collect();
        for _ in 0..n {
            if rng.chance(60) && (before - first).num_days() > 120 {
                let start = date_between(rng, first, before - Duration::days(90));
                let end = date_between(rng, start + Duration::days(30), before - Duration::days(1));
                before = start;
                out.push((
                    RecordKind::Employment,
                    earlier_job(rng, county, &town, towns, start, end),
                    None,
                ));
            } else if programmes.len() < PROGRAMMES.len() {
                let p = loop {
                    let p = rng.below(PROGRAMMES.len());
                    if !programmes.contains(&p) {
                        break p;
                    }
                };
                programmes.push(p);
                out.push((
                    RecordKind::Training,
                    training(rng, PROGRAMMES[p], first, last, today),
                    None,
                ));
            }
        }
    }
    out
}

/// The fields of a job that ended on `end`.
fn earlier_job(
    rng: &mut Rng,
    county: DivisionCode,
    town: &str,
    towns: &[(i64,)],
    start: NaiveDate,
    end: NaiveDate,
) -> Vec<(&'static str, String)> {
    let e = rng.below(EMPLOYERS.len());
    let form = weighted(
        rng,
        &[("就近就业", 40), ("外出务工", 30), ("灵活就业", 20), ("新就业形态", 10)],
    );
    let mut f = vec![
        ("credit_code", credit_code(rng, county).unwrap_or_default()),
        (
            "employer",
            format!(
                "黄山{}{}",
                rng.pick(&["徽州", "新安", "齐云", "太平", "屯溪", "黟山"]),
                EMPLOYERS[e]
            ),
        ),
        ("industry", INDUSTRY_BY_EMPLOYER[e].to_string()),
        ("occupation", occupation_of(INDUSTRY_BY_EMPLOYER[e]).to_string()),
        ("form", form.to_string()),
        ("start", ymd(start)),
        ("end", ymd(end)),
        ("wage", format!("{}", 2600 + rng.below(48) * 100)),
        ("contract", if rng.chance(65) { "是" } else { "否" }.to_string()),
        ("public_service", if rng.chance(25) { "是" } else { "否" }.to_string()),
    ];
    if form != "外出务工" {
        let place = if form == "就近就业" {
            town.to_string()
        } else {
            DivisionCode::from_i64(rng.pick(towns).0)
                .map(|c| c.to_string())
                .unwrap_or_default()
        };
        f.push(("place", place));
    }
    f
}

/// The fields of a training in `programme` between `first` and `last`.
fn training(
    rng: &mut Rng,
    (programme, occupation): (&str, &str),
    first: NaiveDate,
    last: NaiveDate,
    today: NaiveDate,
) -> Vec<(&'static str, String)> {
    let subsidised = rng.chance(70);
    let start = date_between(rng, first, last);
    let end = (start + Duration::days(5 + rng.below(25) as i64)).min(today);
    let mut f = vec![
        ("subsidised", if subsidised { "是" } else { "否" }.to_string()),
        ("programme", programme.to_string()),
        ("provider", rng.pick(PROVIDERS).to_string()),
        ("occupation", occupation.to_string()),
        ("start", ymd(start)),
        ("end", ymd(end)),
        (
            "certificate",
            weighted(
                rng,
                &[
                    ("培训合格证书", 40),
                    ("专项职业能力证书", 20),
                    ("五级/初级工", 20),
                    ("四级/中级工", 12),
                    ("未取得证书", 8),
                ],
            )
            .to_string(),
        ),
    ];
    if subsidised {
        f.push(("subsidy", format!("{}", 500 + rng.below(26) * 100)));
    }
    f
}

/// Whether a dependant with this ID number is on file already.
pub(super) async fn dependant_on_file(tx: &mut crate::store::Tx, cipher: &Cipher, id: &IdNumber) -> AppResult<bool> {
    let index = cipher.blind_index("id_number", id.as_str());
    let q = Sql::new("SELECT COUNT(*) FROM dependants WHERE id_index = $1").bind(index);
    Ok(tx.int(q).await? > 0)
}

#[cfg(test)]
mod tests {
    use super::super::population::Options;
    use super::*;

    /// Places typed as codes, for validating planned records without a database.
    struct Codes;

    impl shiminhua_core::record::Places for Codes {
        fn place(&self, s: &str) -> Result<DivisionCode, String> {
            DivisionCode::parse(s).map_err(|e| format!("{s}：{e:?}"))
        }
    }

    #[test]
    fn a_denser_population_adds_earlier_jobs_and_trainings_with_consistent_dates() {
        use shiminhua_core::auth::RecordKind;
        use shiminhua_core::record::{Value, spec, validate};
        let towns: Vec<(i64,)> = crate::regions::SEED_CSV
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f.get(3) == Some(&"township")).then(|| (f[1].parse().unwrap(),))
            })
            .collect();
        assert!(towns.len() > 50);
        let today = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        let first = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap();
        let extra = Options {
            records_per_worker: Some(5.0),
        }
        .extra();
        assert!((extra - 0.87).abs() < 1e-9);
        assert_eq!(Options::default().extra(), 0.0);
        let (people, mut base_total, mut dense_total, mut earlier_jobs) = (4000, 0, 0, 0);
        for i in 0..people {
            let region = DivisionCode::from_i64(towns[i % towns.len()].0).unwrap();
            let county = region.county().unwrap();
            let base = plan_records(&mut Rng(i as u64), today, region, county, &[], &towns, 0.0);
            let dense = plan_records(&mut Rng(i as u64), today, region, county, &[], &towns, extra);
            // The same person: the base records first, drawn alike.
            assert_eq!(dense[..base.len()], base[..], "worker {i}");
            base_total += base.len();
            dense_total += dense.len();
            let mut jobs: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::new();
            let mut trainings = std::collections::HashSet::new();
            for (kind, fields, _) in &dense {
                let s = spec(*kind).unwrap();
                let get = |k: &str| {
                    fields
                        .iter()
                        .find(|(key, _)| *key == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                let v = validate(s, &get, &Codes, today).unwrap_or_else(|e| panic!("worker {i} {kind:?}: {e:?}"));
                let date = |k: &str| match v.get(k) {
                    Some(Value::Date(d)) => Some(*d),
                    _ => None,
                };
                match kind {
                    RecordKind::Employment => jobs.push((date("start").unwrap(), date("end"))),
                    RecordKind::Training => {
                        assert!(date("start").unwrap() >= first && date("end").unwrap() <= today);
                        assert!(
                            trainings.insert((get("programme"), get("start"))),
                            "worker {i}: same training twice"
                        );
                    }
                    _ => {}
                }
            }
            // Jobs follow one another: each ended before the next began.
            jobs.sort();
            for pair in jobs.windows(2) {
                let ((start, end), (next, _)) = (pair[0], pair[1]);
                assert!(start >= first);
                assert!(end.is_some_and(|e| e >= start && e < next), "worker {i}: {jobs:?}");
            }
            earlier_jobs += jobs.len().saturating_sub(1);
        }
        let (base_avg, dense_avg) = (base_total as f64 / people as f64, dense_total as f64 / people as f64);
        // Without children (no schooling records) the base is a little under 4.13.
        assert!((3.5..4.2).contains(&base_avg), "{base_avg}");
        assert!((dense_avg - base_avg - extra).abs() < 0.05, "{base_avg} -> {dense_avg}");
        assert!(earlier_jobs > people / 3, "{earlier_jobs}");
    }
}
