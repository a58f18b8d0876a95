//! Demo wage-payment monitoring (智慧监管): construction projects over the
//! city's townships with their builders and general contractors, special
//! accounts, labour-cost transfers, wage deposits and notice boards; the
//! real-name rosters drawn from the demo workers already on file, monthly
//! attendance and the payroll as the banks paid it.
//!
//! The data carries the faults a year of real data shows — a month paid
//! late or not at all, workers skipped, a full month paid below the minimum
//! wage, no special account, no transfer, no deposit or too small or a
//! lapsed one, unsigned labour contracts, no notice board — placed so that
//! every rule of the rules in force fires on some project. Everything is
//! written in bulk inside one transaction (projects, then their rosters,
//! attendance and payroll a slice of projects at a time), then the rules are
//! evaluated as the server's daily run does. The same seed over the same
//! workers always gives the same data.

use super::people::{Rng, date_between};
use super::records::credit_code;
use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::rights::monitor::{current_rules, evaluate_all};
use crate::store::{Arg, Db, Sql, Tx};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::money::Fen;
use shiminhua_core::monitor::deposit::{self, ContractorRecord};
use shiminhua_core::monitor::forms::mask_account;
use shiminhua_core::monitor::{Authority, Check, DepositForm, Month, ProjectKind, ProjectStatus, Rules, checked_month};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What the monitoring demo made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoMonitor {
    pub projects: usize,
    /// Of them, watched by the rules (在建, 停工 by the default rules).
    pub watched: usize,
    /// Roster lines (实名制, a worker on a project).
    pub roster: usize,
    /// Distinct workers on the rosters.
    pub workers: usize,
    /// Worker-months of attendance.
    pub attendance: usize,
    /// Payroll lines (a worker's pay of a month on a project).
    pub payroll: usize,
    pub transfers: usize,
    pub deposits: usize,
    /// Warnings the evaluation opened (0 when not evaluated).
    pub warnings: usize,
}

/// How much monitoring data to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonitorOptions {
    pub projects: usize,
    /// Roster lines in all, spread over the projects that work in the
    /// months generated. `None`: 10–80 a project, fewer when the registry
    /// holds fewer workers (a worker is then on several projects).
    pub roster_lines: Option<usize>,
    /// Months of attendance and payroll, up to last month (at least 1).
    pub months: u32,
    /// Evaluate the rules at the end, as the server's daily run does.
    pub evaluate: bool,
}

impl Default for MonitorOptions {
    fn default() -> MonitorOptions {
        MonitorOptions {
            projects: 60,
            roster_lines: None,
            months: 12,
            evaluate: true,
        }
    }
}

const KINDS: &[(ProjectKind, u64)] = &[
    (ProjectKind::Building, 40),
    (ProjectKind::Municipal, 25),
    (ProjectKind::Transport, 15),
    (ProjectKind::Water, 12),
    (ProjectKind::Other, 8),
];
const STATUSES: &[(ProjectStatus, u64)] = &[
    (ProjectStatus::Building, 70),
    (ProjectStatus::Halted, 8),
    (ProjectStatus::Completed, 12),
    (ProjectStatus::NotStarted, 10),
];

/// Project names by kind; `{}` is a township's name without 镇/乡/街道,
/// `{2}` another's.
fn name_patterns(kind: ProjectKind) -> &'static [&'static str] {
    match kind {
        ProjectKind::Building => &[
            "{}安置房项目",
            "{}中学教学综合楼工程",
            "{}卫生院综合楼项目",
            "{}保障性租赁住房项目",
            "{}人才公寓项目",
            "{}小学改扩建工程",
            "{}标准化厂房项目",
            "{}养老服务中心项目",
        ],
        ProjectKind::Municipal => &[
            "{}路改造工程",
            "{}污水管网提质增效工程",
            "{}老旧小区改造工程",
            "{}供水管网改造工程",
            "{}农贸市场改造工程",
            "{}雨污分流改造工程",
        ],
        ProjectKind::Transport => &[
            "{}至{2}公路改建工程",
            "{}大桥新建工程",
            "{}旅游公路提升工程",
            "{}互通连接线工程",
        ],
        ProjectKind::Water => &[
            "{}水库除险加固工程",
            "{}河道综合治理工程",
            "{}灌区续建配套与节水改造工程",
            "{}山洪沟防洪治理工程",
            "{}农村供水保障工程",
        ],
        ProjectKind::Other => &[
            "{}光伏发电项目",
            "{}文旅综合体项目",
            "{}茶产业园建设项目",
            "{}物流园建设项目",
        ],
    }
}

/// Builders (建设单位) by kind; `{}` is the county's name.
fn builder_patterns(kind: ProjectKind) -> &'static [&'static str] {
    match kind {
        ProjectKind::Building => &["{}城市建设投资有限公司", "{}安居投资有限公司", "{}教育投资有限公司"],
        ProjectKind::Municipal => &["{}城市建设投资有限公司", "{}市政公用事业发展有限公司"],
        ProjectKind::Transport => &["{}交通投资发展有限公司", "{}公路建设发展有限公司"],
        ProjectKind::Water => &["{}水利投资有限公司", "{}水务集团有限公司"],
        ProjectKind::Other => &["{}文化旅游发展有限公司", "{}产业投资有限公司", "{}新能源开发有限公司"],
    }
}

const FIRM_WORDS: &[&str] = &[
    "徽建", "新安", "黄岳", "松谷", "齐云", "徽韵", "白岳", "练江", "丰乐", "横江", "率水", "徽港", "华厦", "盛达",
    "宏远", "振兴", "鸿基", "天都", "莲花", "翠微", "紫阳", "歙州", "云谷", "始信", "光明", "鼎盛", "恒泰", "广厦",
    "中汇", "华辰", "金鼎", "永安", "安泰", "徽祥", "皖南", "江南", "新城", "顺达", "联创", "中天",
];
/// Where a firm is registered: its name's prefix and its division (an
/// empty division: one of the city's counties).
const FIRM_PLACES: &[(&str, &str)] = &[
    ("安徽", "340100"),
    ("安徽省", "340100"),
    ("黄山", ""),
    ("黄山市", ""),
    ("浙江", "330100"),
    ("江西", "361100"),
];
/// General contractors' kinds of firm and the projects they build.
const CONTRACTOR_KINDS: &[(&str, &[ProjectKind])] = &[
    (
        "建设工程有限公司",
        &[ProjectKind::Building, ProjectKind::Municipal, ProjectKind::Other],
    ),
    ("建筑工程有限公司", &[ProjectKind::Building, ProjectKind::Other]),
    ("建工集团有限公司", &[ProjectKind::Building, ProjectKind::Municipal]),
    ("市政工程有限公司", &[ProjectKind::Municipal, ProjectKind::Transport]),
    ("路桥工程有限公司", &[ProjectKind::Transport, ProjectKind::Municipal]),
    ("水利水电工程有限公司", &[ProjectKind::Water]),
    ("水利建筑工程有限公司", &[ProjectKind::Water, ProjectKind::Other]),
];
const LABOUR_KINDS: &[&str] = &["建筑劳务有限公司", "劳务有限公司", "建筑劳务分包有限公司"];
const TEAMS: &[&str] = &[
    "钢筋班组",
    "木工班组",
    "泥工班组",
    "水电班组",
    "架子工班组",
    "混凝土班组",
    "油漆班组",
    "土石方班组",
    "机械班组",
    "杂工班组",
];
const BANKS: &[&str] = &[
    "徽商银行黄山分行",
    "黄山农村商业银行",
    "中国农业银行黄山分行",
    "中国建设银行黄山分行",
    "中国工商银行黄山分行",
    "中国邮政储蓄银行黄山市分行",
];
const BY: &str = "演示数据";

/// A firm: its name, credit code and (for a general contractor) record.
struct Firm {
    name: String,
    code: String,
    record: ContractorRecord,
}

/// A project as planned, before it is written.
struct Plan {
    code: String,
    name: String,
    kind: ProjectKind,
    status: ProjectStatus,
    county: i64,
    region: i64,
    builder: usize,
    contractor: usize,
    subcontractors: Vec<usize>,
    sum: i64,
    labour_pct: i64,
    labour_fen: Option<i64>,
    contract: NaiveDate,
    start: Option<NaiveDate>,
    planned_end: NaiveDate,
    /// Halted or completed on.
    end: Option<NaiveDate>,
    bank: String,
    opened: Option<NaiveDate>,
    agreement: bool,
    board: Option<NaiveDate>,
    deposit: Option<(DepositForm, i64, NaiveDate, Option<NaiveDate>)>,
    /// No transfer in the checked month (nor, at times, the next).
    no_transfer: bool,
    /// Roster lines to draw.
    lines: usize,
}

impl Plan {
    /// The days it worked: from its start to its end (or yesterday).
    fn work(&self, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let start = self.start?;
        let to = self.end.unwrap_or(today - Duration::days(1));
        (start <= to).then_some((start, to))
    }
}

/// A roster line as planned, with its window months' attendance and pay.
struct Line {
    worker: i64,
    subcontractor: String,
    team: &'static str,
    signed: bool,
    entered: NaiveDate,
    left: Option<NaiveDate>,
    /// Daily wage, fen.
    daily: i64,
    /// Days of each window month (0: none).
    days: Vec<i64>,
    /// Present the whole of each window month.
    full: Vec<bool>,
    /// Pay of each window month: amount (fen) and day paid.
    pay: Vec<Option<(i64, NaiveDate)>>,
}

/// The deposit fault drawn for a project.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DepositFault {
    Missing,
    Short,
    Lapsed,
}

fn between(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    lo + rng.below(usize::try_from(hi - lo + 1).unwrap_or(1)) as i64
}

fn pick_weighted<T: Copy>(rng: &mut Rng, items: &[(T, u64)]) -> T {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.next() % total.max(1);
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[0].0
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// A township's name without its kind (屯光镇 → 屯光).
fn stem(name: &str) -> &str {
    for suffix in ["街道", "镇", "乡"] {
        if let Some(s) = name.strip_suffix(suffix)
            && s.chars().count() >= 2
        {
            return s;
        }
    }
    name
}

/// A firm's name not yet taken: prefix, one word (or two) and kind.
fn firm_name(rng: &mut Rng, taken: &mut HashSet<String>, prefix: &str, kind: &str) -> String {
    let mut attempt = 0u32;
    loop {
        let word = rng.pick(FIRM_WORDS);
        let n = match attempt {
            0..3 => format!("{prefix}{word}{kind}"),
            3..50 => format!("{prefix}{word}{}{kind}", rng.pick(FIRM_WORDS)),
            _ => format!("{prefix}{word}{attempt}{kind}"),
        };
        if taken.insert(n.clone()) {
            return n;
        }
        attempt += 1;
    }
}

/// Picks up to `k` of `from` not `chosen` yet (those `prefer` holds for
/// first), and marks them chosen.
fn draw(
    rng: &mut Rng,
    from: &[usize],
    k: usize,
    chosen: &mut HashSet<usize>,
    prefer: impl Fn(usize) -> bool,
) -> HashSet<usize> {
    let (mut good, mut rest): (Vec<usize>, Vec<usize>) = from
        .iter()
        .copied()
        .filter(|j| !chosen.contains(j))
        .partition(|j| prefer(*j));
    let mut out = HashSet::new();
    while out.len() < k {
        let pool = if !good.is_empty() {
            &mut good
        } else if !rest.is_empty() {
            &mut rest
        } else {
            break;
        };
        let j = pool.swap_remove(rng.below(pool.len()));
        chosen.insert(j);
        out.insert(j);
    }
    out
}

/// A firm registered at a place of `FIRM_PLACES` (or in a county of the city).
fn firm(
    rng: &mut Rng,
    taken: &mut HashSet<String>,
    counties: &[(DivisionCode, String)],
    kind: &str,
    local: bool,
) -> Firm {
    let (prefix, division) = if local { ("黄山", "") } else { rng.pick(FIRM_PLACES) };
    let county = DivisionCode::parse(division)
        .ok()
        .unwrap_or_else(|| counties[rng.below(counties.len())].0);
    let name = firm_name(rng, taken, prefix, kind);
    Firm {
        name,
        code: credit_code(rng, county).unwrap_or_default(),
        record: ContractorRecord::default(),
    }
}

/// Generates the monitoring demo over the workers on file and evaluates the
/// rules ([`MonitorOptions::default`]: about 60 projects, a year of
/// attendance and payroll). Nothing is generated when a project is on file.
pub async fn monitor(db: &Db, cipher: &Cipher, now: DateTime<Utc>, seed: u64) -> AppResult<DemoMonitor> {
    monitor_with(db, cipher, now, seed, MonitorOptions::default()).await
}

/// [`monitor`] of a given size (the measurements: a province's month).
/// The cipher is not needed (nothing personal is written), only taken as
/// every demo writer takes it.
pub async fn monitor_with(
    db: &Db,
    _cipher: &Cipher,
    now: DateTime<Utc>,
    seed: u64,
    options: MonitorOptions,
) -> AppResult<DemoMonitor> {
    let mut made = DemoMonitor::default();
    let mut tx = db.write().await?;
    if tx.int(Sql::new("SELECT COUNT(*) FROM projects")).await? > 0 || options.projects == 0 {
        return Ok(made);
    }
    let (rules, _) = current_rules(&mut tx).await?;
    let when = When::new(&rules, now, options.months);
    let places = Places::load(&mut tx).await?;
    let mut workers: Vec<i64> = tx
        .all::<(i64,)>(Sql::new("SELECT id FROM workers ORDER BY id"))
        .await?
        .into_iter()
        .map(|(w,)| w)
        .collect();

    let mut rng = Rng(seed ^ 0x6d0e_17a9_3c5b_2f81);
    let mut firms = Firms::new(&mut rng, options.projects, &places.counties);
    let mut names = HashMap::new();
    let mut plans: Vec<Plan> = (0..options.projects)
        .map(|i| plan(&mut rng, i, &when, &places, &mut firms, &mut names))
        .collect();
    own_faults(&mut rng, &mut plans, &firms, &rules, &when);
    roster_sizes(&mut rng, &mut plans, &options, workers.len(), &when);
    // The workers in a seeded order: each roster takes the next ones.
    for i in (1..workers.len()).rev() {
        let j = rng.below(i + 1);
        workers.swap(i, j);
    }

    let ids = write_projects(&mut tx, &plans, &firms, now).await?;
    made.projects = plans.len();
    made.watched = plans.iter().filter(|p| rules.watched.contains(&p.status)).count();
    (made.transfers, made.deposits) = write_money(&mut tx, &mut rng, &plans, &ids, &when).await?;

    // Rosters, attendance and payroll, a slice of projects at a time.
    let mut people = People {
        workers,
        next: 0,
        placed: Vec::new(),
        on_roster: HashSet::new(),
        needed: [
            Check::NoPayroll,
            Check::UnpaidWorkers,
            Check::BelowMinimum,
            Check::NoContract,
        ]
        .into(),
    };
    let with_lines: Vec<&Plan> = plans.iter().filter(|p| p.lines > 0).collect();
    for slice in with_lines.chunks(200) {
        let mut lines: Vec<(i64, &Plan, Vec<Line>)> = Vec::with_capacity(slice.len());
        for p in slice {
            let mut ls = people.lines(&mut rng, p, &firms, &when);
            let watched = rules.watched.contains(&p.status);
            let faults = people.faults(&mut rng, p, &mut ls, &rules, &when, watched);
            pay(&mut rng, &mut ls, &faults, &rules, &when);
            lines.push((id_of(&ids, p)?, p, ls));
        }
        let (roster, attendance, payroll) = write_people(&mut tx, &lines, &when, seed).await?;
        made.roster += roster;
        made.attendance += attendance;
        made.payroll += payroll;
    }
    made.workers = people.on_roster.len();
    for table in [
        "projects",
        "project_transfers",
        "project_deposits",
        "project_roster",
        "project_attendance",
        "payroll_lines",
    ] {
        tx.analyze(table).await?;
    }
    audit::record(
        &mut tx,
        now,
        &Who::system(&Origin::cli()),
        Event::ok("demo.monitor", "project", "").detail(format!(
            "seed={seed}; projects={}; roster={}; attendance={}; payroll={}",
            made.projects, made.roster, made.attendance, made.payroll
        )),
    )
    .await?;
    tx.commit().await?;
    if options.evaluate {
        let e = evaluate_all(db, now, &Who::system(&Origin::cli()), None).await?;
        made.warnings = e.opened;
    }
    Ok(made)
}

/// The dates the demo is made for.
struct When {
    now: DateTime<Utc>,
    /// The local date of `now`.
    today: NaiveDate,
    /// The month the rules check on `today`.
    checked: Month,
    /// The months of attendance and payroll, oldest first, up to last month.
    window: Vec<Month>,
    /// The checked month's place in `window`.
    ci: Option<usize>,
}

impl When {
    fn new(rules: &Rules, now: DateTime<Utc>, months: u32) -> When {
        let today = crate::rights::monitor::local_date(now);
        let checked = checked_month(rules, today);
        let mut window = vec![Month::of(today).prev()];
        for _ in 1..months.max(1) {
            let m = window[window.len() - 1].prev();
            window.push(m);
        }
        window.reverse();
        let ci = window.iter().position(|m| *m == checked);
        When {
            now,
            today,
            checked,
            window,
            ci,
        }
    }

    fn first_day(&self) -> NaiveDate {
        self.window[0].first_day()
    }

    fn last_day(&self) -> NaiveDate {
        self.window[self.window.len() - 1].last_day()
    }
}

/// The townships projects are built in, and the counties.
struct Places {
    towns: Vec<(DivisionCode, String)>,
    counties: Vec<(DivisionCode, String)>,
    county_names: HashMap<i64, String>,
}

impl Places {
    async fn load(tx: &mut Tx) -> AppResult<Places> {
        let mut towns: Vec<(DivisionCode, String)> = tx
            .all::<(i64, String)>(Sql::new("SELECT code, name FROM regions WHERE level = 4 ORDER BY code"))
            .await?
            .into_iter()
            .filter_map(|(c, n)| Some((DivisionCode::from_i64(c).ok()?, n)))
            .filter(|(c, _)| c.county().is_some())
            .collect();
        // Towns and townships (not a development zone or a scenic area's
        // own unit), where there are any.
        let proper: Vec<(DivisionCode, String)> = towns
            .iter()
            .filter(|(_, n)| n.ends_with('镇') || n.ends_with('乡') || n.ends_with("街道"))
            .cloned()
            .collect();
        if !proper.is_empty() {
            towns = proper;
        }
        let counties: Vec<(DivisionCode, String)> = tx
            .all::<(i64, String)>(Sql::new("SELECT code, name FROM regions WHERE level = 3 ORDER BY code"))
            .await?
            .into_iter()
            .filter_map(|(c, n)| Some((DivisionCode::from_i64(c).ok()?, n)))
            .collect();
        if towns.is_empty() || counties.is_empty() {
            return Err(AppError::Config("尚未初始化行政区划，请先运行 shiminhua init。".into()));
        }
        let county_names = counties.iter().map(|(c, n)| (c.as_i64(), n.clone())).collect();
        Ok(Places {
            towns,
            counties,
            county_names,
        })
    }
}

/// The firms: general contractors with their record (each may hold several
/// projects), labour subcontractors, builders by name.
struct Firms {
    contractors: Vec<Firm>,
    /// The contractors that build each kind of project.
    fits: HashMap<ProjectKind, Vec<usize>>,
    labour: Vec<Firm>,
    builders: Vec<Firm>,
    builder_at: HashMap<String, usize>,
}

impl Firms {
    fn new(rng: &mut Rng, projects: usize, counties: &[(DivisionCode, String)]) -> Firms {
        let mut taken = HashSet::new();
        let mut contractors = Vec::new();
        let mut fits: HashMap<ProjectKind, Vec<usize>> = HashMap::new();
        for i in 0..(projects / 3).max(12) {
            let (kind, kinds) = CONTRACTOR_KINDS[i % CONTRACTOR_KINDS.len()];
            let mut f = firm(rng, &mut taken, counties, kind, false);
            f.record = if rng.chance(8) {
                ContractorRecord {
                    clean_years: 0,
                    recent_arrears: true,
                }
            } else {
                ContractorRecord {
                    clean_years: pick_weighted(rng, &[(0, 30), (1, 20), (2, 22), (3, 14), (4, 8), (5, 6)]),
                    recent_arrears: false,
                }
            };
            for k in kinds {
                fits.entry(*k).or_default().push(contractors.len());
            }
            contractors.push(f);
        }
        let labour = (0..(projects / 4).max(6))
            .map(|_| {
                let kind = rng.pick(LABOUR_KINDS);
                let local = rng.chance(70);
                firm(rng, &mut taken, counties, kind, local)
            })
            .collect();
        Firms {
            contractors,
            fits,
            labour,
            builders: Vec::new(),
            builder_at: HashMap::new(),
        }
    }

    /// The builder of that name, registered in `county` when new.
    fn builder(&mut self, rng: &mut Rng, name: String, county: DivisionCode) -> usize {
        if let Some(b) = self.builder_at.get(&name) {
            return *b;
        }
        self.builders.push(Firm {
            name: name.clone(),
            code: credit_code(rng, county).unwrap_or_default(),
            record: ContractorRecord::default(),
        });
        self.builder_at.insert(name, self.builders.len() - 1);
        self.builders.len() - 1
    }

    /// A general contractor that builds projects of `kind`.
    fn contractor(&self, rng: &mut Rng, kind: ProjectKind) -> usize {
        match self.fits.get(&kind) {
            Some(fit) if !fit.is_empty() => fit[rng.below(fit.len())],
            _ => rng.below(self.contractors.len()),
        }
    }
}

/// Project `i`: its kind, status, place, firms, sum and dates, all well kept
/// (the faults come after).
fn plan(
    rng: &mut Rng,
    i: usize,
    when: &When,
    places: &Places,
    firms: &mut Firms,
    names: &mut HashMap<String, u32>,
) -> Plan {
    let today = when.today;
    let kind = pick_weighted(rng, KINDS);
    let status = pick_weighted(rng, STATUSES);
    let (town, town_name) = places.towns[rng.below(places.towns.len())].clone();
    let county = town.county().unwrap_or(town);
    let pattern = rng.pick(name_patterns(kind));
    let other = stem(&places.towns[rng.below(places.towns.len())].1).to_string();
    let mut name = pattern.replace("{2}", &other).replace("{}", stem(&town_name));
    let seen = names.entry(name.clone()).or_insert(0);
    *seen += 1;
    if *seen > 1 {
        const PHASES: &[&str] = &["二", "三", "四", "五", "六", "七", "八", "九"];
        name = match PHASES.get(*seen as usize - 2) {
            Some(phase) => format!("{name}（{phase}期）"),
            None => format!("{name}（{}标段）", *seen),
        };
    }
    let county_name = places.county_names.get(&county.as_i64()).cloned().unwrap_or_default();
    let builder_name = rng.pick(builder_patterns(kind)).replace("{}", &county_name);
    let builder = firms.builder(rng, builder_name, county);
    let contractor = firms.contractor(rng, kind);
    let mut subcontractors = Vec::new();
    for _ in 0..rng.below(if kind == ProjectKind::Building { 4 } else { 3 }) {
        let s = rng.below(firms.labour.len());
        if !subcontractors.contains(&s) {
            subcontractors.push(s);
        }
    }
    // 100万 to 5亿 yuan by kind, most of them small.
    let (lo, hi): (i64, i64) = match kind {
        ProjectKind::Building => (500, 30_000),
        ProjectKind::Municipal => (200, 20_000),
        ProjectKind::Transport => (1_000, 50_000),
        ProjectKind::Water => (100, 15_000),
        ProjectKind::Other => (100, 10_000),
    };
    let (a, b) = (rng.below(1000) as i64, rng.below(1000) as i64);
    let sum = (lo + (hi - lo) * a * b / 1_000_000) * 1_000_000 + rng.below(10_000) as i64 * 100;
    let back = |rng: &mut Rng, from: i64, to: i64| today - days(between(rng, from, to));
    let contract = match status {
        ProjectStatus::NotStarted => back(rng, 5, 120),
        ProjectStatus::Building => back(rng, 60, 730),
        ProjectStatus::Halted => back(rng, 240, 730),
        _ => back(rng, 400, 730),
    };
    let start = (status != ProjectStatus::NotStarted).then(|| contract + days(between(rng, 10, 45)));
    let planned_end = match start {
        Some(s) => s + days(between(rng, 300, 1000)),
        None => contract + days(between(rng, 360, 900)),
    };
    let end = match (status, start) {
        (ProjectStatus::Halted, Some(s)) => Some(date_between(rng, s + days(120), today - days(15))),
        (ProjectStatus::Completed, Some(s)) => Some(date_between(rng, s + days(240), today - days(30))),
        _ => None,
    };
    let opened = Some(contract + days(between(rng, 3, 25))).filter(|d| *d <= today);
    let board = start.map(|s| s + days(between(rng, 0, 15))).filter(|d| *d <= today);
    let labour_pct = between(rng, 20, 30);
    let months = start.map_or(12, |s| ((planned_end - s).num_days() / 30).max(6));
    let monthly = sum * labour_pct / 100 / months / 100 * 100;
    let code = match Authority::for_kind(kind) {
        Authority::Housing => format!("{county}{}{:04}", contract.format("%Y%m%d"), i + 1),
        Authority::Transport => format!("JT{county}-{}-{:04}", contract.year(), i + 1),
        Authority::Water => format!("SL{county}-{}-{:04}", contract.year(), i + 1),
        Authority::Labour => format!("{county}-{}-{:04}", contract.format("%Y%m"), i + 1),
    };
    Plan {
        code,
        name,
        kind,
        status,
        county: county.as_i64(),
        region: town.as_i64(),
        builder,
        contractor,
        subcontractors,
        sum,
        labour_pct,
        labour_fen: rng.chance(20).then_some(monthly),
        contract,
        start,
        planned_end,
        end,
        bank: if opened.is_some() {
            rng.pick(BANKS).to_string()
        } else {
            String::new()
        },
        opened,
        agreement: opened.is_some() && rng.chance(95),
        board,
        deposit: None,
        no_transfer: false,
        lines: 0,
    }
}

/// The projects' own faults (no account, no transfer, the deposit, no
/// board) and their deposits: each fault on the first watched project it
/// can fire on (so that each rule fires somewhere), then at random.
fn own_faults(rng: &mut Rng, plans: &mut [Plan], firms: &Firms, rules: &Rules, when: &When) {
    let today = when.today;
    let required = |p: &Plan| {
        deposit::required(&rules.deposit, Fen(p.sum), firms.contractors[p.contractor].record)
            .amount
            .0
    };
    let may = |p: &Plan, c: Check| {
        rules.watched.contains(&p.status)
            && match c {
                Check::NoAccount => today > p.contract + days(i64::from(rules.account_days)),
                Check::NoTransfer => p.start.is_some_and(|s| s <= when.checked.last_day()),
                Check::Deposit => required(p) > 0,
                Check::NoBoard => p.status == ProjectStatus::Building,
                _ => false,
            }
    };
    let mut needed: BTreeSet<Check> = [Check::NoAccount, Check::NoTransfer, Check::Deposit, Check::NoBoard].into();
    for p in plans {
        let forced = needed.iter().copied().find(|c| may(p, *c));
        if let Some(c) = forced {
            needed.remove(&c);
        }
        let fault = |rng: &mut Rng, c: Check, percent: u64| may(p, c) && (forced == Some(c) || rng.chance(percent));
        let no_account = fault(rng, Check::NoAccount, 6);
        let no_transfer = fault(rng, Check::NoTransfer, 5);
        let deposit_fault = fault(rng, Check::Deposit, 15).then(|| {
            pick_weighted(
                rng,
                &[
                    (DepositFault::Missing, 50),
                    (DepositFault::Short, 35),
                    (DepositFault::Lapsed, 15),
                ],
            )
        });
        let no_board = fault(rng, Check::NoBoard, 8);
        let need = required(p);
        if no_account {
            p.opened = None;
            p.bank.clear();
            p.agreement = false;
        }
        p.no_transfer = no_transfer;
        if no_board {
            p.board = None;
        }
        let from = (p.contract + days(between(rng, 5, 25))).min(today);
        p.deposit = match deposit_fault {
            _ if need == 0 => None,
            Some(DepositFault::Missing) => None,
            Some(DepositFault::Short) => {
                let short = need * between(rng, 40, 80) / 100 / 10_000 * 10_000;
                Some((DepositForm::Cash, short.max(10_000), from, None))
            }
            Some(DepositFault::Lapsed) => {
                let to = today - days(between(rng, 5, 60));
                (to >= from).then_some((DepositForm::Guarantee, need, from, Some(to)))
            }
            None => {
                // Rounded up to a hundred yuan; at times to ten thousand.
                let unit = if rng.chance(30) { 1_000_000 } else { 10_000 };
                let amount = (need + unit - 1) / unit * unit;
                let form = pick_weighted(
                    rng,
                    &[
                        (DepositForm::Cash, 30),
                        (DepositForm::Guarantee, 50),
                        (DepositForm::Insurance, 20),
                    ],
                );
                let to = (form != DepositForm::Cash).then(|| p.planned_end.max(today) + days(between(rng, 90, 365)));
                (from <= today).then_some((form, amount, from, to))
            }
        };
    }
}

/// The roster lines of each project that works in the window: `roster_lines`
/// in all, or 10–80 each (fewer when few workers are on file).
fn roster_sizes(rng: &mut Rng, plans: &mut [Plan], options: &MonitorOptions, workers: usize, when: &When) {
    let working: Vec<usize> = (0..plans.len())
        .filter(|i| {
            plans[*i]
                .work(when.today)
                .is_some_and(|(s, e)| s <= when.last_day() && e >= when.first_day())
        })
        .collect();
    if working.is_empty() || workers == 0 {
        return;
    }
    let sizes: Vec<usize> = match options.roster_lines {
        Some(total) => {
            let avg = (total / working.len()).max(1);
            let mut s: Vec<usize> = working.iter().map(|_| avg / 2 + rng.below(avg + 1)).collect();
            // To the exact total.
            let mut sum: usize = s.iter().sum();
            let mut k = 0;
            while sum != total {
                let j = k % s.len();
                if sum < total {
                    s[j] += 1;
                    sum += 1;
                } else if s[j] > 0 {
                    s[j] -= 1;
                    sum -= 1;
                }
                k += 1;
            }
            s
        }
        None => {
            let s: Vec<usize> = working.iter().map(|_| 10 + rng.below(71)).collect();
            // Few workers on file: smaller rosters, a worker on a project or two.
            let total: usize = s.iter().sum();
            let room = workers * 13 / 10;
            if total > room {
                s.iter().map(|x| (x * room / total).max(3)).collect()
            } else {
                s
            }
        }
    };
    for (i, size) in working.into_iter().zip(sizes) {
        plans[i].lines = size.min(workers);
    }
}

fn id_of(ids: &HashMap<String, i64>, p: &Plan) -> AppResult<i64> {
    ids.get(&p.code)
        .copied()
        .ok_or_else(|| AppError::Internal("demo project not written".into()))
}

/// Writes the projects; their ids by code.
async fn write_projects(
    tx: &mut Tx,
    plans: &[Plan],
    firms: &Firms,
    now: DateTime<Utc>,
) -> AppResult<HashMap<String, i64>> {
    let cols = [
        "code",
        "name",
        "kind",
        "authority",
        "status",
        "county_code",
        "region_code",
        "builder_name",
        "builder_credit_code",
        "contractor_name",
        "contractor_credit_code",
        "subcontractors",
        "contract_sum_fen",
        "labour_pct",
        "labour_fen",
        "contract_date",
        "start_date",
        "planned_end",
        "account_bank",
        "account_opened",
        "account_agreement",
        "board_on",
        "clean_years",
        "recent_arrears",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
    ];
    let rows: Vec<Vec<Arg>> = plans
        .iter()
        .map(|p| {
            let c = &firms.contractors[p.contractor];
            let b = &firms.builders[p.builder];
            let subs: Vec<String> = p
                .subcontractors
                .iter()
                .map(|s| format!("{}（{}）", firms.labour[*s].name, firms.labour[*s].code))
                .collect();
            vec![
                p.code.clone().into(),
                p.name.clone().into(),
                p.kind.code().into(),
                Authority::for_kind(p.kind).code().into(),
                p.status.code().into(),
                p.county.into(),
                p.region.into(),
                b.name.clone().into(),
                b.code.clone().into(),
                c.name.clone().into(),
                c.code.clone().into(),
                subs.join("\n").into(),
                p.sum.into(),
                p.labour_pct.into(),
                p.labour_fen.into(),
                Some(p.contract).into(),
                p.start.into(),
                Some(p.planned_end).into(),
                p.bank.clone().into(),
                p.opened.into(),
                p.agreement.into(),
                p.board.into(),
                i64::from(c.record.clean_years).into(),
                c.record.recent_arrears.into(),
                now.into(),
                BY.into(),
                now.into(),
                BY.into(),
            ]
        })
        .collect();
    tx.bulk_insert("projects", &cols, rows).await?;
    Ok(tx
        .all::<(i64, String)>(Sql::new("SELECT id, code FROM projects"))
        .await?
        .into_iter()
        .map(|(id, code)| (code, id))
        .collect())
}

/// Writes the deposits and the labour-cost transfers (monthly from the
/// start, into the special account: none without one); their numbers.
async fn write_money(
    tx: &mut Tx,
    rng: &mut Rng,
    plans: &[Plan],
    ids: &HashMap<String, i64>,
    when: &When,
) -> AppResult<(usize, usize)> {
    let (today, checked, now) = (when.today, when.checked, when.now);
    let mut transfers: Vec<Vec<Arg>> = Vec::new();
    let mut deposits: Vec<Vec<Arg>> = Vec::new();
    for p in plans {
        let id = id_of(ids, p)?;
        if let Some((form, amount, from, to)) = p.deposit {
            deposits.push(vec![
                id.into(),
                form.code().into(),
                amount.into(),
                from.into(),
                to.into(),
                now.into(),
                BY.into(),
            ]);
        }
        let (Some((start, to)), Some(_)) = (p.work(today), p.opened) else {
            continue;
        };
        let months = ((p.planned_end - start).num_days() / 30).max(6);
        let monthly = p.sum * p.labour_pct / 100 / months;
        let mut m = Month::of(start);
        while m <= Month::of(today) {
            // (In the month it started, a few days after the start.)
            let on = (m.first_day() + days(between(rng, 4, 24))).max(start + days(3));
            let skipped = (p.no_transfer && (m == checked || (m == checked.next() && rng.chance(50))))
                || (m < checked && rng.chance(4));
            if on <= today && Month::of(on) == m && on <= to + days(20) && !skipped {
                let amount = monthly * between(rng, 80, 120) / 100 / 100 * 100;
                transfers.push(vec![
                    id.into(),
                    on.into(),
                    amount.max(100).into(),
                    now.into(),
                    BY.into(),
                ]);
            }
            m = m.next();
        }
    }
    let counts = (transfers.len(), deposits.len());
    tx.bulk_insert(
        "project_transfers",
        &["project_id", "paid_on", "amount_fen", "created_at", "created_by"],
        transfers,
    )
    .await?;
    tx.bulk_insert(
        "project_deposits",
        &[
            "project_id",
            "form",
            "amount_fen",
            "from_date",
            "to_date",
            "created_at",
            "created_by",
        ],
        deposits,
    )
    .await?;
    Ok(counts)
}

/// The checked month's faults of a project's people.
#[derive(Default)]
struct PeopleFaults {
    /// No pay at all for the month.
    no_payroll: bool,
    /// Lines with attendance left unpaid.
    skip: HashSet<usize>,
    /// Lines paid below the minimum wage for a full month.
    low: HashSet<usize>,
    /// The minimum wage where the project is.
    minimum: Option<i64>,
}

/// The workers as they are drawn onto rosters.
struct People {
    /// The workers on file in a seeded order.
    workers: Vec<i64>,
    next: usize,
    /// Workers on a roster already, in the order they came.
    placed: Vec<i64>,
    on_roster: HashSet<i64>,
    /// The people's rules not fired yet.
    needed: BTreeSet<Check>,
}

impl People {
    /// A project's roster lines with their attendance in the window.
    fn lines(&mut self, rng: &mut Rng, p: &Plan, firms: &Firms, when: &When) -> Vec<Line> {
        let Some((work_from, work_to)) = p.work(when.today) else {
            return Vec::new();
        };
        let mut mine: HashSet<i64> = HashSet::new();
        let mut ls: Vec<Line> = Vec::with_capacity(p.lines);
        let span = (work_to.min(when.last_day()) - work_from).num_days().max(0);
        let mut tries = 0;
        while ls.len() < p.lines && tries < p.lines * 4 {
            tries += 1;
            // Mostly the next workers; some from a project before.
            let w = if !self.placed.is_empty() && rng.chance(5) {
                self.placed[rng.below(self.placed.len())]
            } else {
                self.next += 1;
                self.workers[(self.next - 1) % self.workers.len()]
            };
            if !mine.insert(w) {
                continue;
            }
            let entered = work_from + days(rng.below(usize::try_from(span * 6 / 10 + 1).unwrap_or(1)) as i64);
            let left = match p.end {
                Some(e) if rng.chance(85) => Some(e),
                Some(e) => Some(date_between(rng, entered, e)),
                None if rng.chance(15) => {
                    let (from, to) = (entered.max(when.first_day()), when.today - days(1));
                    (from < to).then(|| date_between(rng, from, to))
                }
                None => None,
            };
            let subcontractor = if !p.subcontractors.is_empty() && rng.chance(85) {
                firms.labour[p.subcontractors[rng.below(p.subcontractors.len())]]
                    .name
                    .clone()
            } else {
                String::new()
            };
            let mut line = Line {
                worker: w,
                subcontractor,
                team: rng.pick(TEAMS),
                signed: true,
                entered,
                left,
                daily: between(rng, 16, 40) * 1_000,
                days: Vec::with_capacity(when.window.len()),
                full: Vec::with_capacity(when.window.len()),
                pay: vec![None; when.window.len()],
            };
            for m in &when.window {
                let from = entered.max(m.first_day()).max(work_from);
                let to = left.unwrap_or(work_to).min(work_to).min(m.last_day());
                let present = (to - from).num_days() + 1;
                let whole = i64::from(m.last_day().day()) - 1;
                let d = if present <= 0 {
                    0
                } else if present >= whole {
                    match rng.below(100) {
                        0..30 => between(rng, 26, 28),
                        30..75 => between(rng, 22, 25),
                        75..95 => between(rng, 15, 21),
                        _ => between(rng, 5, 14),
                    }
                } else {
                    (present * between(rng, 18, 24) / 30).clamp(1, present)
                };
                line.days.push(d);
                line.full.push(present >= whole);
            }
            ls.push(line);
        }
        for l in &ls {
            if self.on_roster.insert(l.worker) {
                self.placed.push(l.worker);
            }
        }
        ls
    }

    /// The checked month's faults of a project's people: each on the first
    /// watched project it can fire on, then at random; unsigned contracts
    /// are marked on the lines.
    fn faults(
        &mut self,
        rng: &mut Rng,
        p: &Plan,
        ls: &mut [Line],
        rules: &Rules,
        when: &When,
        watched: bool,
    ) -> PeopleFaults {
        let mut f = PeopleFaults {
            minimum: DivisionCode::from_i64(p.county)
                .ok()
                .and_then(|c| rules.minimum_wage_for(c, when.checked.last_day()))
                .map(|m| m.0),
            ..PeopleFaults::default()
        };
        let (Some(ci), true) = (when.ci, watched) else {
            return f;
        };
        let (first, last) = (when.checked.first_day(), when.checked.last_day());
        let active: Vec<usize> = (0..ls.len())
            .filter(|j| ls[*j].entered <= last && ls[*j].left.is_none_or(|l| l >= first))
            .collect();
        let attended: Vec<usize> = (0..ls.len()).filter(|j| ls[*j].days[ci] > 0).collect();
        let may = |c: Check| match c {
            Check::NoPayroll | Check::NoContract => !active.is_empty(),
            Check::UnpaidWorkers => attended.len() >= 2,
            Check::BelowMinimum => !attended.is_empty() && f.minimum.is_some(),
            _ => false,
        };
        let (mut unpaid, mut below, mut unsigned) = (0usize, 0usize, 0usize);
        let forced = self.needed.iter().copied().find(|c| may(*c));
        match forced {
            Some(Check::NoPayroll) => f.no_payroll = true,
            Some(Check::UnpaidWorkers) => unpaid = 1,
            Some(Check::BelowMinimum) => below = 1,
            Some(Check::NoContract) => unsigned = 1,
            _ => {}
        }
        if let Some(c) = forced {
            self.needed.remove(&c);
        }
        if forced.is_none() && may(Check::NoPayroll) && rng.chance(4) {
            f.no_payroll = true;
        }
        if f.no_payroll {
            (unpaid, below) = (0, 0);
        } else {
            if may(Check::UnpaidWorkers) && rng.chance(12) {
                unpaid = unpaid.max(1 + rng.below(5.min(attended.len() - 1)));
            }
            if may(Check::BelowMinimum) && rng.chance(6) {
                below = below.max(1 + rng.below(3));
            }
        }
        if may(Check::NoContract) && rng.chance(25) {
            unsigned = unsigned.max((active.len() * between(rng, 3, 15) as usize / 100).max(1));
        }
        // Workers left unpaid (one at least paid), others paid below the
        // minimum for a full month (those present all of it first).
        let mut chosen = HashSet::new();
        let unpaid = unpaid.min(attended.len().saturating_sub(1));
        f.skip = draw(rng, &attended, unpaid, &mut chosen, |_| true);
        f.low = draw(rng, &attended, below, &mut chosen, |j| ls[j].full[ci]);
        let unsigned = draw(rng, &active, unsigned, &mut HashSet::new(), |_| true);
        for j in unsigned {
            ls[j].signed = false;
        }
        f
    }
}

/// Pay for the window's months, by the due day of the next month: older
/// months at times late or, for a whole project, not at all (arrears), a
/// worker at times left out; the checked month with the project's faults;
/// the month after it (when not yet due) by early payers only.
fn pay(rng: &mut Rng, ls: &mut [Line], f: &PeopleFaults, rules: &Rules, when: &When) {
    let (today, checked) = (when.today, when.checked);
    let early = rng.chance(40);
    let due = i64::from(rules.payroll_due_day);
    for (k, m) in when.window.iter().enumerate() {
        let next = m.next().first_day();
        let missing = *m < checked && rng.chance(2);
        let late = *m < checked && rng.chance(6);
        for (j, line) in ls.iter_mut().enumerate() {
            let d = line.days[k];
            if d == 0 || missing {
                continue;
            }
            let on = if *m > checked {
                if !early || next >= today {
                    continue;
                }
                next + days(between(rng, 0, ((today - next).num_days() - 1).min(due - 1)))
            } else if late {
                next + days(between(rng, 11, 27))
            } else {
                next + days(between(rng, 0, due - 1))
            };
            if on > today {
                continue;
            }
            let mut amount = d * line.daily;
            if *m == checked {
                if f.no_payroll || f.skip.contains(&j) {
                    continue;
                }
                if f.low.contains(&j) {
                    line.days[k] = between(rng, i64::from(rules.full_month_days), 26).max(d);
                    amount = (f.minimum.unwrap_or(0) - between(rng, 20_000, 70_000)).max(50_000);
                }
            } else if rng.below(200) == 0 {
                continue;
            }
            line.pay[k] = Some((amount, on));
        }
    }
}

/// Writes the roster lines of some projects, then (with the lines' ids)
/// their attendance and pay; the numbers of each.
async fn write_people(
    tx: &mut Tx,
    lines: &[(i64, &Plan, Vec<Line>)],
    when: &When,
    seed: u64,
) -> AppResult<(usize, usize, usize)> {
    let now = when.now;
    let mut roster: Vec<Vec<Arg>> = Vec::new();
    for (id, p, ls) in lines {
        for l in ls {
            roster.push(vec![
                (*id).into(),
                l.worker.into(),
                p.county.into(),
                l.subcontractor.clone().into(),
                l.team.into(),
                l.signed.into(),
                l.entered.into(),
                l.left.into(),
                now.into(),
                now.into(),
            ]);
        }
    }
    let written = roster.len();
    tx.bulk_insert(
        "project_roster",
        &[
            "project_id",
            "worker_id",
            "county_code",
            "subcontractor",
            "team",
            "contract_signed",
            "entered_on",
            "left_on",
            "created_at",
            "updated_at",
        ],
        roster,
    )
    .await?;
    let (Some(lo), Some(hi)) = (lines.iter().map(|l| l.0).min(), lines.iter().map(|l| l.0).max()) else {
        return Ok((0, 0, 0));
    };
    let roster_ids: HashMap<(i64, i64), i64> = tx
        .all::<(i64, i64, i64)>(
            Sql::new("SELECT id, project_id, worker_id FROM project_roster WHERE project_id BETWEEN $1 AND $2")
                .bind(lo)
                .bind(hi),
        )
        .await?
        .into_iter()
        .map(|(id, p, w)| ((p, w), id))
        .collect();
    let mut attendance: Vec<Vec<Arg>> = Vec::new();
    let mut payroll: Vec<Vec<Arg>> = Vec::new();
    for (pid, _, ls) in lines {
        for l in ls {
            let rid = roster_ids
                .get(&(*pid, l.worker))
                .copied()
                .ok_or_else(|| AppError::Internal("demo roster line not written".into()))?;
            // The worker's bank card, as the bank's file masks it.
            let account = mask_account(&format!(
                "6217{:015}",
                (l.worker.unsigned_abs() * 7_919 + seed % 1_000_003) % 1_000_000_000_000_000
            ));
            for (k, m) in when.window.iter().enumerate() {
                if l.days[k] > 0 {
                    attendance.push(vec![rid.into(), m.code().into(), l.days[k].into()]);
                }
                if let Some((amount, on)) = l.pay[k] {
                    payroll.push(vec![
                        (*pid).into(),
                        m.code().into(),
                        l.worker.into(),
                        amount.into(),
                        on.into(),
                        account.clone().into(),
                    ]);
                }
            }
        }
    }
    let counts = (written, attendance.len(), payroll.len());
    tx.bulk_insert("project_attendance", &["roster_id", "month", "days"], attendance)
        .await?;
    tx.bulk_insert(
        "payroll_lines",
        &[
            "project_id",
            "month",
            "worker_id",
            "amount_fen",
            "paid_on",
            "account_masked",
        ],
        payroll,
    )
    .await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn township_names_lose_their_kind() {
        assert_eq!(stem("屯光镇"), "屯光");
        assert_eq!(stem("昱东街道"), "昱东");
        assert_eq!(stem("新明乡"), "新明");
        // Too short once stripped: kept whole.
        assert_eq!(stem("东乡"), "东乡");
        assert_eq!(stem("黄山风景区"), "黄山风景区");
    }

    #[test]
    fn firm_names_are_not_repeated() {
        let mut rng = Rng(9);
        let mut taken = HashSet::new();
        let names: Vec<String> = (0..3000)
            .map(|_| firm_name(&mut rng, &mut taken, "安徽", "建设工程有限公司"))
            .collect();
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
    }
}
