//! Demo data: a deterministic, realistic population of migrant workers and
//! their families over Huangshan's townships. Every ID number carries a valid
//! GB 11643 check character; the same seed always gives the same people.

use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::registry::workers::{self, Owner, ValidWorker};
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
    pub records: usize,
}

/// How much each generated worker carries beyond the base population.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Options {
    /// The average number of records per worker aimed at. The base population
    /// has about [`BASE_RECORDS_PER_WORKER`]; above that, workers get earlier
    /// jobs (ended before the next one started) and further trainings. `None`
    /// (or a figure at or below the base) gives the base population, the same
    /// for a seed as ever.
    pub records_per_worker: Option<f64>,
}

/// Records per worker of the base population (measured over 100,000 workers).
pub const BASE_RECORDS_PER_WORKER: f64 = 4.13;

impl Options {
    /// Expected further records per worker.
    fn extra(&self) -> f64 {
        self.records_per_worker
            .map_or(0.0, |r| (r - BASE_RECORDS_PER_WORKER).max(0.0))
    }
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

fn credit_code(rng: &mut Rng, county: DivisionCode) -> Option<String> {
    let org: String = (0..8).map(|_| ORG_CHARS[rng.below(ORG_CHARS.len())] as char).collect();
    let division = county.to_string();
    shiminhua_core::credit_code::CreditCode::from_parts("91", &division, &org)
        .ok()
        .map(|c| c.as_str().to_string())
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
async fn records_for(
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
async fn dependant_on_file(tx: &mut crate::store::Tx, cipher: &Cipher, id: &IdNumber) -> AppResult<bool> {
    let index = cipher.blind_index("id_number", id.as_str());
    let q = Sql::new("SELECT COUNT(*) FROM dependants WHERE id_index = $1").bind(index);
    Ok(tx.int(q).await? > 0)
}

pub async fn is_empty(db: &Db) -> AppResult<bool> {
    let q = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM workers LIMIT 1) AS any_worker");
    Ok(db.read().await?.int(q).await? == 0)
}

/// Generates `n` workers with families into the database, in batches of one
/// transaction each, recorded in the audit trail as one event per batch.
pub async fn generate(db: &Db, cipher: &Cipher, now: DateTime<Utc>, n: usize, seed: u64) -> AppResult<Generated> {
    generate_with(db, cipher, now, n, seed, Options::default()).await
}

/// [`generate`] with a denser population (see [`Options`]).
pub async fn generate_with(
    db: &Db,
    cipher: &Cipher,
    now: DateTime<Utc>,
    n: usize,
    seed: u64,
    options: Options,
) -> AppResult<Generated> {
    let extra = options.extra();
    let mut tx = db.read().await?;
    let towns: Vec<(i64,)> = tx
        .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
        .await?;
    drop(tx);
    if towns.is_empty() {
        return Err(AppError::Config("尚未初始化行政区划，请先运行 shiminhua init。".into()));
    }
    let ctx = crate::registry::records::Context::load(&mut db.read().await?).await?;
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
            let worker_id = workers::insert_worker(&mut tx, cipher, now, &w, &person, &index).await?;
            out.workers += 1;
            // Families: a spouse for most adults over 25, children for many of them.
            let age = today.year() - birth.year();
            let row = Owner {
                id: worker_id,
                county_code: county.as_i64(),
                id_index: &index,
            };
            let mut children_ids: Vec<(i64, NaiveDate)> = Vec::new();
            if age >= 25 && rng.chance(65) {
                let spouse_birth = birth + Duration::days(rng.below(2000) as i64 - 1000);
                let spouse = name(&mut rng, !male);
                let spouse_id = id_for(&mut rng, origin, spouse_birth, !male)?;
                // An ID number already on file (rare, at scale) is left out:
                // a failed insert would abort a PostgreSQL transaction.
                if !dependant_on_file(&mut tx, cipher, &spouse_id).await? {
                    workers::insert_dependant(
                        &mut tx,
                        cipher,
                        now,
                        &row,
                        "配偶",
                        &spouse,
                        Some(&spouse_id),
                        spouse_birth,
                    )
                    .await?;
                    out.dependants += 1;
                }
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
                    if dependant_on_file(&mut tx, cipher, &child_id).await? {
                        continue;
                    }
                    let dep = workers::insert_dependant(
                        &mut tx,
                        cipher,
                        now,
                        &row,
                        "子女",
                        &child,
                        Some(&child_id),
                        child_birth,
                    )
                    .await?;
                    out.dependants += 1;
                    children_ids.push((dep, child_birth));
                }
            }
            out.records += records_for(
                &mut tx,
                &ctx,
                &mut rng,
                now,
                worker_id,
                region,
                county,
                &children_ids,
                &towns,
                extra,
            )
            .await?;
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
    // Records were written without the figures: compute them once now.
    let plan = crate::plan::in_force::plan_in(&mut db.read().await?).await?;
    if let Some(plan) = plan {
        crate::plan::indicators::rebuild(db, &plan).await?;
    }
    Ok(out)
}

/// Writes `n` workers as an import file (the worker template's columns), for
/// trying and measuring the importer: CSV when `path` ends in `.csv`, else
/// xlsx. Deterministic for a seed; every ID number is valid and distinct.
pub fn write_import_file(path: &std::path::Path, n: usize, seed: u64) -> AppResult<u64> {
    use std::io::Write;
    let towns: Vec<(String, String)> = crate::regions::SEED_CSV
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.get(3) == Some(&"township")).then(|| (f[0].to_string(), f[2].to_string()))
        })
        .collect();
    let cols = crate::registry::import::columns(crate::registry::import::Target::Workers);
    let headers: Vec<&str> = cols.iter().map(|c| c.header).collect();
    let mut rng = Rng(seed);
    let mut seen = std::collections::HashSet::new();
    let mut next_row = |rng: &mut Rng| -> AppResult<[String; 8]> {
        loop {
            let male = rng.chance(62);
            let birth = date_between(
                rng,
                NaiveDate::from_ymd_opt(1966, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(2004, 12, 31).unwrap_or_default(),
            );
            let (origin, place) = rng.pick(ORIGINS);
            let id = id_for(rng, origin, birth, male)?;
            if !seen.insert(id.as_str().to_string()) {
                continue;
            }
            let (code, town) = &towns[rng.below(towns.len())];
            // Half the rows name the place, half give its code.
            let region = if rng.chance(50) { town.clone() } else { code.clone() };
            let phone = if rng.chance(90) {
                format!(
                    "1{}{:09}",
                    rng.pick(&["3", "5", "7", "8", "9"]),
                    rng.next() % 1_000_000_000
                )
            } else {
                String::new()
            };
            let tag = if rng.chance(20) {
                rng.pick(TAGS).to_string()
            } else {
                String::new()
            };
            return Ok([
                name(rng, male),
                id.as_str().to_string(),
                phone,
                region,
                place.to_string(),
                weighted(rng, EDUCATION_WEIGHTS).to_string(),
                SKILLS[rng.below(SKILLS.len())].to_string(),
                tag,
            ]);
        }
    };
    let io = |e: std::io::Error| AppError::Config(format!("无法写入 {}：{e}", path.display()));
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
        writeln!(out, "{}", headers.join(",")).map_err(io)?;
        for _ in 0..n {
            writeln!(out, "{}", next_row(&mut rng)?.join(",")).map_err(io)?;
        }
        out.flush().map_err(io)?;
    } else {
        let widths = vec![16.0; headers.len()];
        let mut out = crate::xlsx::XlsxStream::create(path, "农民工名单", &headers, &widths)?;
        for _ in 0..n {
            let row = next_row(&mut rng)?;
            let cells: Vec<crate::xlsx::XCell<'_>> = row.iter().map(|s| crate::xlsx::XCell::Text(s)).collect();
            out.row(&cells)?;
        }
        out.finish()?;
    }
    Ok(n as u64)
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

// ---------------------------------------------------------------------------
// Wage-arrears cases
// ---------------------------------------------------------------------------

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
    use crate::rights::cases::{self, Rules, Writer};
    use chrono::TimeZone;
    use shiminhua_core::auth::{Actor, Grant, KindSet, Role, RoleSet, Scope};
    use shiminhua_core::case::{Action, ActionInput, CaseInput, DEFAULT_CONCLUSIONS, Status};

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
        let rules = Rules::load(&mut tx, cal.clone()).await?;
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
            let mut status = Status::Registered;
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
    }
    made.overdue = db
        .read()
        .await?
        .int(Sql::new("SELECT COUNT(*) FROM cases WHERE due_on < $1").bind(today))
        .await? as usize;
    Ok(made)
}
