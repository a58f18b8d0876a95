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
use shiminhua_core::monitor::{Authority, Check, DepositForm, Month, ProjectKind, ProjectStatus, checked_month};
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
pub async fn monitor_with(
    db: &Db,
    _cipher: &Cipher,
    now: DateTime<Utc>,
    seed: u64,
    options: MonitorOptions,
) -> AppResult<DemoMonitor> {
    let mut made = DemoMonitor::default();
    let today = crate::rights::monitor::local_date(now);
    let mut tx = db.write().await?;
    if tx.int(Sql::new("SELECT COUNT(*) FROM projects")).await? > 0 || options.projects == 0 {
        return Ok(made);
    }
    let (rules, _) = current_rules(&mut tx).await?;
    let towns: Vec<(i64, String)> = tx
        .all(Sql::new("SELECT code, name FROM regions WHERE level = 4 ORDER BY code"))
        .await?;
    let counties: Vec<(i64, String)> = tx
        .all(Sql::new("SELECT code, name FROM regions WHERE level = 3 ORDER BY code"))
        .await?;
    let mut towns: Vec<(DivisionCode, String)> = towns
        .into_iter()
        .filter_map(|(c, n)| Some((DivisionCode::from_i64(c).ok()?, n)))
        .filter(|(c, _)| c.county().is_some())
        .collect();
    // Projects are built in towns and townships (not in a development zone
    // or a scenic area's own unit), where there are any.
    let proper: Vec<(DivisionCode, String)> = towns
        .iter()
        .filter(|(_, n)| n.ends_with('镇') || n.ends_with('乡') || n.ends_with("街道"))
        .cloned()
        .collect();
    if !proper.is_empty() {
        towns = proper;
    }
    let counties: Vec<(DivisionCode, String)> = counties
        .into_iter()
        .filter_map(|(c, n)| Some((DivisionCode::from_i64(c).ok()?, n)))
        .collect();
    if towns.is_empty() || counties.is_empty() {
        return Err(AppError::Config("尚未初始化行政区划，请先运行 shiminhua init。".into()));
    }
    let county_name: HashMap<i64, String> = counties.iter().map(|(c, n)| (c.as_i64(), n.clone())).collect();
    let mut workers: Vec<i64> = tx
        .all::<(i64,)>(Sql::new("SELECT id FROM workers ORDER BY id"))
        .await?
        .into_iter()
        .map(|(w,)| w)
        .collect();

    let mut rng = Rng(seed ^ 0x6d0e_17a9_3c5b_2f81);
    let checked = checked_month(&rules, today);
    let last = Month::of(today).prev();
    let window: Vec<Month> = {
        let mut w = vec![last];
        for _ in 1..options.months.max(1) {
            let m = w[w.len() - 1].prev();
            w.push(m);
        }
        w.reverse();
        w
    };
    let ci = window.iter().position(|m| *m == checked);

    // The firms: general contractors (each may hold several projects) with
    // their record, builders by name, labour subcontractors.
    let mut taken = HashSet::new();
    let n = options.projects;
    let mut contractors: Vec<Firm> = Vec::new();
    let mut fits: HashMap<ProjectKind, Vec<usize>> = HashMap::new();
    for i in 0..(n / 3).max(12) {
        let (kind, kinds) = CONTRACTOR_KINDS[i % CONTRACTOR_KINDS.len()];
        let mut f = firm(&mut rng, &mut taken, &counties, kind, false);
        f.record = if rng.chance(8) {
            ContractorRecord {
                clean_years: 0,
                recent_arrears: true,
            }
        } else {
            ContractorRecord {
                clean_years: pick_weighted(&mut rng, &[(0, 30), (1, 20), (2, 22), (3, 14), (4, 8), (5, 6)]),
                recent_arrears: false,
            }
        };
        for k in kinds {
            fits.entry(*k).or_default().push(contractors.len());
        }
        contractors.push(f);
    }
    let mut labour: Vec<Firm> = Vec::new();
    for _ in 0..(n / 4).max(6) {
        let kind = rng.pick(LABOUR_KINDS);
        let local = rng.chance(70);
        labour.push(firm(&mut rng, &mut taken, &counties, kind, local));
    }
    let mut builders: Vec<Firm> = Vec::new();
    let mut builder_at: HashMap<String, usize> = HashMap::new();

    // The projects.
    let mut plans: Vec<Plan> = Vec::with_capacity(n);
    let mut names: HashMap<String, u32> = HashMap::new();
    for i in 0..n {
        let kind = pick_weighted(&mut rng, KINDS);
        let status = pick_weighted(&mut rng, STATUSES);
        let (town, town_name) = towns[rng.below(towns.len())].clone();
        let county = town.county().unwrap_or(town);
        let cname = county_name.get(&county.as_i64()).cloned().unwrap_or_default();
        let pattern = rng.pick(name_patterns(kind));
        let other = stem(&towns[rng.below(towns.len())].1).to_string();
        let mut pname = pattern.replace("{2}", &other).replace("{}", stem(&town_name));
        let seen = names.entry(pname.clone()).or_insert(0);
        *seen += 1;
        if *seen > 1 {
            const PHASES: &[&str] = &["二", "三", "四", "五", "六", "七", "八", "九"];
            let phase = PHASES.get(*seen as usize - 2).copied().unwrap_or("十");
            pname = format!("{pname}（{phase}期）");
        }
        let bname = rng.pick(builder_patterns(kind)).replace("{}", &cname);
        let builder = match builder_at.get(&bname) {
            Some(b) => *b,
            None => {
                builders.push(Firm {
                    name: bname.clone(),
                    code: credit_code(&mut rng, county).unwrap_or_default(),
                    record: ContractorRecord::default(),
                });
                builder_at.insert(bname, builders.len() - 1);
                builders.len() - 1
            }
        };
        let fit = fits.get(&kind).map(Vec::as_slice).unwrap_or_default();
        let contractor = if fit.is_empty() {
            rng.below(contractors.len())
        } else {
            fit[rng.below(fit.len())]
        };
        let mut subcontractors = Vec::new();
        for _ in 0..rng.below(if kind == ProjectKind::Building { 4 } else { 3 }) {
            let s = rng.below(labour.len());
            if !subcontractors.contains(&s) {
                subcontractors.push(s);
            }
        }
        // 100万 to 5亿 yuan, most of them small.
        let (lo, hi): (i64, i64) = match kind {
            ProjectKind::Building => (500, 30_000),
            ProjectKind::Municipal => (200, 20_000),
            ProjectKind::Transport => (1_000, 50_000),
            ProjectKind::Water => (100, 15_000),
            ProjectKind::Other => (100, 10_000),
        };
        let (a, b) = (rng.below(1000) as i64, rng.below(1000) as i64);
        let wan = lo + (hi - lo) * a * b / 1_000_000;
        let sum = wan * 1_000_000 + rng.below(10_000) as i64 * 100;
        let back = |rng: &mut Rng, from: i64, to: i64| today - days(between(rng, from, to));
        let contract = match status {
            ProjectStatus::NotStarted => back(&mut rng, 5, 120),
            ProjectStatus::Building => back(&mut rng, 60, 730),
            ProjectStatus::Halted => back(&mut rng, 240, 730),
            _ => back(&mut rng, 400, 730),
        };
        let start = (status != ProjectStatus::NotStarted).then(|| contract + days(between(&mut rng, 10, 45)));
        let planned_end = match start {
            Some(s) => s + days(between(&mut rng, 300, 1000)),
            None => contract + days(between(&mut rng, 360, 900)),
        };
        let end = match (status, start) {
            (ProjectStatus::Halted, Some(s)) => Some(date_between(&mut rng, s + days(120), today - days(15))),
            (ProjectStatus::Completed, Some(s)) => Some(date_between(&mut rng, s + days(240), today - days(30))),
            _ => None,
        };
        let opened = Some(contract + days(between(&mut rng, 3, 25))).filter(|d| *d <= today);
        let board = start
            .map(|s| s + days(between(&mut rng, 0, 15)))
            .filter(|d| *d <= today);
        let months = start.map_or(12, |s| ((planned_end - s).num_days() / 30).max(6));
        let labour_pct = between(&mut rng, 20, 30);
        let monthly = sum * labour_pct / 100 / months / 100 * 100;
        let code = match Authority::for_kind(kind) {
            Authority::Housing => format!("{county}{}{:04}", contract.format("%Y%m%d"), i + 1),
            Authority::Transport => format!("JT{county}-{}-{:04}", contract.year(), i + 1),
            Authority::Water => format!("SL{county}-{}-{:04}", contract.year(), i + 1),
            Authority::Labour => format!("{county}-{}-{:04}", contract.format("%Y%m"), i + 1),
        };
        plans.push(Plan {
            code,
            name: pname,
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
        });
    }

    // The project's own faults: one rule each for the first projects it
    // can fire on (so that each fires somewhere), then at random.
    let watched = |p: &Plan| rules.watched.contains(&p.status);
    let record_of = |p: &Plan| contractors[p.contractor].record;
    let required = |p: &Plan| deposit::required(&rules.deposit, Fen(p.sum), record_of(p)).amount.0;
    let may = |p: &Plan, c: Check| {
        watched(p)
            && match c {
                Check::NoAccount => today > p.contract + days(i64::from(rules.account_days)),
                Check::NoTransfer => p.start.is_some_and(|s| s <= checked.last_day()),
                Check::Deposit => required(p) > 0,
                Check::NoBoard => p.status == ProjectStatus::Building,
                _ => false,
            }
    };
    let mut needed: BTreeSet<Check> = [Check::NoAccount, Check::NoTransfer, Check::Deposit, Check::NoBoard].into();
    for p in &mut plans {
        let forced = needed.iter().copied().find(|c| may(p, *c));
        if let Some(c) = forced {
            needed.remove(&c);
        }
        let fault = |rng: &mut Rng, c: Check, percent: u64| may(p, c) && (forced == Some(c) || rng.chance(percent));
        let no_account = fault(&mut rng, Check::NoAccount, 6);
        let no_transfer = fault(&mut rng, Check::NoTransfer, 5);
        let deposit_fault = fault(&mut rng, Check::Deposit, 15).then(|| {
            pick_weighted(
                &mut rng,
                &[
                    (DepositFault::Missing, 50),
                    (DepositFault::Short, 35),
                    (DepositFault::Lapsed, 15),
                ],
            )
        });
        let no_board = fault(&mut rng, Check::NoBoard, 8);
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
        let from = (p.contract + days(between(&mut rng, 5, 25))).min(today);
        p.deposit = match deposit_fault {
            _ if need == 0 => None,
            Some(DepositFault::Missing) => None,
            Some(DepositFault::Short) => {
                let short = need * between(&mut rng, 40, 80) / 100 / 10_000 * 10_000;
                Some((DepositForm::Cash, short.max(10_000), from, None))
            }
            Some(DepositFault::Lapsed) => {
                let to = today - days(between(&mut rng, 5, 60));
                (to >= from).then_some((DepositForm::Guarantee, need, from, Some(to)))
            }
            None => {
                // Rounded up to a hundred yuan; at times to ten thousand.
                let unit = if rng.chance(30) { 1_000_000 } else { 10_000 };
                let amount = (need + unit - 1) / unit * unit;
                let form = pick_weighted(
                    &mut rng,
                    &[
                        (DepositForm::Cash, 30),
                        (DepositForm::Guarantee, 50),
                        (DepositForm::Insurance, 20),
                    ],
                );
                let to =
                    (form != DepositForm::Cash).then(|| p.planned_end.max(today) + days(between(&mut rng, 90, 365)));
                (from <= today).then_some((form, amount, from, to))
            }
        };
    }

    // Roster sizes, over the projects that work in the window.
    let first_day = window[0].first_day();
    let last_day = window[window.len() - 1].last_day();
    let working: Vec<usize> = (0..plans.len())
        .filter(|i| {
            plans[*i]
                .work(today)
                .is_some_and(|(s, e)| s <= last_day && e >= first_day)
        })
        .collect();
    if !working.is_empty() && !workers.is_empty() {
        let mut sizes: Vec<usize> = match options.roster_lines {
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
                    } else if s[j] > 1 {
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
                let room = workers.len() * 13 / 10;
                if total > room {
                    s.iter().map(|x| (x * room / total).max(3)).collect()
                } else {
                    s
                }
            }
        };
        for (i, size) in working.iter().zip(sizes.iter_mut()) {
            plans[*i].lines = (*size).min(workers.len());
        }
        // The workers in a seeded order: each roster takes the next ones.
        for i in (1..workers.len()).rev() {
            let j = rng.below(i + 1);
            workers.swap(i, j);
        }
    }

    // The projects.
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
            let c = &contractors[p.contractor];
            let subs: Vec<String> = p
                .subcontractors
                .iter()
                .map(|s| format!("{}（{}）", labour[*s].name, labour[*s].code))
                .collect();
            vec![
                p.code.clone().into(),
                p.name.clone().into(),
                p.kind.code().into(),
                Authority::for_kind(p.kind).code().into(),
                p.status.code().into(),
                p.county.into(),
                p.region.into(),
                builders[p.builder].name.clone().into(),
                builders[p.builder].code.clone().into(),
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
    made.projects = usize::try_from(tx.bulk_insert("projects", &cols, rows).await?).unwrap_or(0);
    made.watched = plans.iter().filter(|p| watched(p)).count();
    let ids: HashMap<String, i64> = tx
        .all::<(i64, String)>(Sql::new("SELECT id, code FROM projects"))
        .await?
        .into_iter()
        .map(|(id, code)| (code, id))
        .collect();
    let id_of = |p: &Plan| {
        ids.get(&p.code)
            .copied()
            .ok_or_else(|| AppError::Internal("demo project".into()))
    };

    // Transfers, monthly from the start; deposits.
    let mut transfers: Vec<Vec<Arg>> = Vec::new();
    let mut deposits: Vec<Vec<Arg>> = Vec::new();
    for p in &plans {
        let id = id_of(p)?;
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
            let on = (m.first_day() + days(between(&mut rng, 4, 24))).max(start + days(3));
            let skipped = (p.no_transfer && (m == checked || (m == checked.next() && rng.chance(50))))
                || (m < checked && rng.chance(4));
            if on <= today && Month::of(on) == m && on <= to + days(20) && !skipped {
                let amount = monthly * between(&mut rng, 80, 120) / 100 / 100 * 100;
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
    made.transfers = transfers.len();
    made.deposits = deposits.len();
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

    // Rosters, attendance and payroll, a slice of projects at a time.
    let mut needed: BTreeSet<Check> = [
        Check::NoPayroll,
        Check::UnpaidWorkers,
        Check::BelowMinimum,
        Check::NoContract,
    ]
    .into();
    let mut next_worker = 0usize;
    let mut placed: Vec<i64> = Vec::new();
    let mut on_roster: HashSet<i64> = HashSet::new();
    let with_lines: Vec<usize> = (0..plans.len()).filter(|i| plans[*i].lines > 0).collect();
    for slice in with_lines.chunks(200) {
        let mut lines: Vec<(usize, Vec<Line>)> = Vec::with_capacity(slice.len());
        for &pi in slice {
            let p = &plans[pi];
            let Some((work_from, work_to)) = p.work(today) else {
                continue;
            };
            let minimum = DivisionCode::from_i64(p.county)
                .ok()
                .and_then(|c| rules.minimum_wage_for(c, checked.last_day()))
                .map(|f| f.0);
            let mut mine: HashSet<i64> = HashSet::new();
            let mut ls: Vec<Line> = Vec::with_capacity(p.lines);
            let span = (work_to.min(last_day) - work_from).num_days().max(0);
            let mut tries = 0;
            while ls.len() < p.lines && tries < p.lines * 4 {
                tries += 1;
                // Mostly the next workers; some from a project before.
                let w = if !placed.is_empty() && rng.chance(5) {
                    placed[rng.below(placed.len())]
                } else {
                    let w = workers[next_worker % workers.len()];
                    next_worker += 1;
                    w
                };
                if !mine.insert(w) {
                    continue;
                }
                let entered = work_from + days(rng.below(usize::try_from(span * 6 / 10 + 1).unwrap_or(1)) as i64);
                let left = match p.end {
                    Some(e) if rng.chance(85) => Some(e),
                    Some(e) => Some(date_between(&mut rng, entered, e)),
                    None if rng.chance(15) => {
                        let from = entered.max(first_day);
                        let to = today - days(1);
                        (from < to).then(|| date_between(&mut rng, from, to))
                    }
                    None => None,
                };
                let subcontractor = if !p.subcontractors.is_empty() && rng.chance(85) {
                    labour[p.subcontractors[rng.below(p.subcontractors.len())]].name.clone()
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
                    daily: between(&mut rng, 16, 40) * 1_000,
                    days: Vec::with_capacity(window.len()),
                    full: Vec::with_capacity(window.len()),
                    pay: vec![None; window.len()],
                };
                for m in &window {
                    let from = entered.max(m.first_day()).max(work_from);
                    let to = left.unwrap_or(work_to).min(work_to).min(m.last_day());
                    let present = (to - from).num_days() + 1;
                    let whole = i64::from(m.last_day().day());
                    let d = if present <= 0 {
                        0
                    } else if present >= whole - 1 {
                        match rng.below(100) {
                            0..30 => between(&mut rng, 26, 28),
                            30..75 => between(&mut rng, 22, 25),
                            75..95 => between(&mut rng, 15, 21),
                            _ => between(&mut rng, 5, 14),
                        }
                    } else {
                        (present * between(&mut rng, 18, 24) / 30).clamp(1, present)
                    };
                    line.days.push(d);
                    line.full.push(present >= whole - 1);
                }
                ls.push(line);
            }
            for l in &ls {
                if on_roster.insert(l.worker) {
                    placed.push(l.worker);
                }
            }

            // The checked month's faults: one rule each for the first
            // projects it can fire on, then at random.
            let (mut no_payroll, mut unpaid, mut below, mut unsigned) = (false, 0usize, 0usize, 0usize);
            let active: Vec<usize> = (0..ls.len())
                .filter(|j| {
                    ls[*j].entered <= checked.last_day() && ls[*j].left.is_none_or(|l| l >= checked.first_day())
                })
                .collect();
            let attended: Vec<usize> = match ci {
                Some(c) => (0..ls.len()).filter(|j| ls[*j].days[c] > 0).collect(),
                None => Vec::new(),
            };
            if watched(p) {
                let may = |c: Check| match c {
                    Check::NoPayroll | Check::NoContract => !active.is_empty(),
                    Check::UnpaidWorkers => attended.len() >= 2,
                    Check::BelowMinimum => !attended.is_empty() && minimum.is_some(),
                    _ => false,
                };
                let forced = needed.iter().copied().find(|c| may(*c));
                match forced {
                    Some(Check::NoPayroll) => no_payroll = true,
                    Some(Check::UnpaidWorkers) => unpaid = 1,
                    Some(Check::BelowMinimum) => below = 1,
                    Some(Check::NoContract) => unsigned = 1,
                    _ => {}
                }
                if let Some(c) = forced {
                    needed.remove(&c);
                }
                if forced.is_none() && may(Check::NoPayroll) && rng.chance(4) {
                    no_payroll = true;
                }
                if !no_payroll {
                    if may(Check::UnpaidWorkers) && rng.chance(12) {
                        unpaid = unpaid.max(1 + rng.below(5.min(attended.len() - 1)));
                    }
                    if may(Check::BelowMinimum) && rng.chance(6) {
                        below = below.max(1 + rng.below(3));
                    }
                } else {
                    (unpaid, below) = (0, 0);
                }
                if may(Check::NoContract) && rng.chance(25) {
                    unsigned = unsigned.max((active.len() * between(&mut rng, 3, 15) as usize / 100).max(1));
                }
            }
            // Workers left unpaid (one at least paid), others paid below the
            // minimum for a full month, others without a contract.
            let mut chosen = HashSet::new();
            let skip = draw(
                &mut rng,
                &attended,
                unpaid.min(attended.len().saturating_sub(1)),
                &mut chosen,
                |_| true,
            );
            let low = match ci {
                Some(c) => draw(&mut rng, &attended, below, &mut chosen, |j| ls[j].full[c]),
                None => HashSet::new(),
            };
            let mut unsigned_lines = active.clone();
            for i in (1..unsigned_lines.len()).rev() {
                let j = rng.below(i + 1);
                unsigned_lines.swap(i, j);
            }
            for j in unsigned_lines.into_iter().take(unsigned) {
                ls[j].signed = false;
            }

            // Pay: by the due day of the next month; older months at times
            // late, a month at times not at all (arrears); the month after
            // the checked one, by early payers only.
            let early = rng.chance(40);
            let due = rules.payroll_due_day;
            for (k, m) in window.iter().enumerate() {
                let next = m.next().first_day();
                let missing = *m < checked && rng.chance(2);
                let late = *m < checked && rng.chance(6);
                for (j, line) in ls.iter_mut().enumerate() {
                    let d = line.days[k];
                    if d == 0 || missing {
                        continue;
                    }
                    let on = if *m > checked {
                        if !early || today.day() <= 1 {
                            continue;
                        }
                        next + days(rng.below(((today - next).num_days()).clamp(1, i64::from(due)) as usize) as i64)
                    } else if late {
                        next + days(between(&mut rng, 11, 27))
                    } else {
                        next + days(rng.below(due as usize) as i64)
                    };
                    if on > today {
                        continue;
                    }
                    let mut amount = d * line.daily;
                    if *m == checked {
                        if no_payroll || skip.contains(&j) {
                            continue;
                        }
                        if low.contains(&j) {
                            let full = between(&mut rng, i64::from(rules.full_month_days), 26);
                            line.days[k] = full.max(d);
                            amount = (minimum.unwrap_or(0) - between(&mut rng, 20_000, 70_000)).max(50_000);
                        }
                    } else if rng.below(200) == 0 {
                        // A worker left out of an older month.
                        continue;
                    }
                    line.pay[k] = Some((amount, on));
                }
            }
            lines.push((pi, ls));
        }

        // Written: the roster, then (with its ids) attendance and pay.
        let mut roster: Vec<Vec<Arg>> = Vec::new();
        for (pi, ls) in &lines {
            let p = &plans[*pi];
            let id = id_of(p)?;
            for l in ls {
                roster.push(vec![
                    id.into(),
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
        made.roster += roster.len();
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
        let pids = lines
            .iter()
            .map(|(pi, _)| id_of(&plans[*pi]))
            .collect::<AppResult<Vec<i64>>>()?;
        let (Some(lo), Some(hi)) = (pids.iter().min().copied(), pids.iter().max().copied()) else {
            continue;
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
        for (pi, ls) in &lines {
            let pid = id_of(&plans[*pi])?;
            for l in ls {
                let rid = roster_ids
                    .get(&(pid, l.worker))
                    .copied()
                    .ok_or_else(|| AppError::Internal("demo roster line".into()))?;
                let account = mask_account(&format!(
                    "6217{:015}",
                    (l.worker.unsigned_abs() * 7_919 + seed % 1_000_003) % 1_000_000_000_000_000
                ));
                for (k, m) in window.iter().enumerate() {
                    if l.days[k] > 0 {
                        attendance.push(vec![rid.into(), m.code().into(), l.days[k].into()]);
                    }
                    if let Some((amount, on)) = l.pay[k] {
                        payroll.push(vec![
                            pid.into(),
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
        made.attendance += attendance.len();
        made.payroll += payroll.len();
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
    }
    made.workers = on_roster.len();
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
    audit_demo(&mut tx, now, seed, &made).await?;
    tx.commit().await?;
    if options.evaluate {
        let e = evaluate_all(db, now, &Who::system(&Origin::cli()), None).await?;
        made.warnings = e.opened;
    }
    Ok(made)
}

async fn audit_demo(tx: &mut Tx, now: DateTime<Utc>, seed: u64, made: &DemoMonitor) -> AppResult<()> {
    audit::record(
        tx,
        now,
        &Who::system(&Origin::cli()),
        Event::ok("demo.monitor", "project", "").detail(format!(
            "seed={seed}; projects={}; roster={}; attendance={}; payroll={}",
            made.projects, made.roster, made.attendance, made.payroll
        )),
    )
    .await
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
