//! Evaluating the warning rules over one project's facts.

use super::deposit::{self, ContractorRecord, amount_zh, yuan};
use super::rules::Rules;
use super::{Check, Level, Month, ProjectStatus};
use crate::division::DivisionCode;
use crate::money::Fen;
use chrono::{Datelike, Days, NaiveDate};

/// What the application knows of one project on the evaluation date, as
/// aggregates (the roster's and payroll's counts are of the checked month,
/// [`checked_month`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectFacts {
    pub status: ProjectStatus,
    /// The township (or county) where the project is.
    pub region: DivisionCode,
    pub contract_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub contract_sum: Fen,
    pub account_opened: Option<NaiveDate>,
    /// Whether any labour-cost transfer (人工费用拨付) is dated in the checked month.
    pub transferred: bool,
    /// The deposits in force on the evaluation date, summed.
    pub deposit_held: Fen,
    pub contractor: ContractorRecord,
    pub board_set: bool,
    /// Roster workers on the project during the checked month.
    pub roster_active: u32,
    /// Of them, those with attendance in the checked month; `None` where
    /// the project keeps no attendance from that month on.
    pub attended: Option<u32>,
    /// Of them, without a signed labour contract.
    pub unsigned: u32,
    /// Payroll lines for the checked month.
    pub payroll_lines: u32,
    /// Roster workers with attendance in the checked month and no pay for it.
    pub unpaid: u32,
    /// Roster workers with a full month's attendance paid below the minimum wage.
    pub below_minimum: u32,
}

/// One rule that fires for a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Index of the rule in [`Rules::rules`].
    pub rule: usize,
    pub check: Check,
    pub level: Level,
    /// The month it concerns, for the monthly checks.
    pub month: Option<Month>,
    /// How many workers it concerns (0 where it concerns none).
    pub workers: u32,
    /// What was found, in Chinese (`2026年3月有考勤的12人未发放工资`).
    pub detail: String,
}

/// The month whose transfers, payroll and attendance are checked on `today`:
/// last month once its payroll is due (after `payroll_due_day`), else the one before.
pub fn checked_month(rules: &Rules, today: NaiveDate) -> Month {
    let last = Month::of(today).prev();
    if today.day() > rules.payroll_due_day {
        last
    } else {
        last.prev()
    }
}

/// The rules that fire for a project on `today` (none for a project whose
/// status is not watched).
pub fn evaluate(rules: &Rules, facts: &ProjectFacts, today: NaiveDate) -> Vec<Finding> {
    if !rules.watched.contains(&facts.status) {
        return Vec::new();
    }
    let m = checked_month(rules, today);
    rules
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, rule)| {
            let (month, workers, detail) = found(rules, facts, m, today, rule.check)?;
            Some(Finding {
                rule: i,
                check: rule.check,
                level: rule.level,
                month,
                workers,
                detail,
            })
        })
        .collect()
}

/// What `check` finds in the project, if anything: the month, the workers
/// and the detail of the finding. `m` is the checked month.
fn found(
    rules: &Rules,
    f: &ProjectFacts,
    m: Month,
    today: NaiveDate,
    check: Check,
) -> Option<(Option<Month>, u32, String)> {
    let when = |holds: bool| holds.then_some(());
    Some(match check {
        Check::NoAccount => {
            let signed = f.contract_date.filter(|_| f.account_opened.is_none())?;
            let days = rules.account_days;
            when(today > signed.checked_add_days(Days::new(u64::from(days)))?)?;
            let signed = date_zh(signed);
            (
                None,
                0,
                format!("合同签订于{signed}，已超过{days}日未开设农民工工资专用账户"),
            )
        }
        Check::NoTransfer => {
            when(!f.transferred && f.start_date.is_some_and(|s| s <= m.last_day()))?;
            (Some(m), 0, format!("{m}人工费用未拨付至专用账户"))
        }
        Check::Deposit => {
            let req = deposit::required(&rules.deposit, f.contract_sum, f.contractor);
            when(req.amount > f.deposit_held)?;
            let (need, held) = (amount_zh(req.amount), amount_zh(f.deposit_held));
            (None, 0, format!("应存{need}（{}），已存{held}", req.reason))
        }
        Check::NoPayroll => {
            // Those who worked the month, where attendance is kept; else
            // everyone on the roster.
            let (n, who) = match f.attended {
                Some(n) => (n, "有考勤"),
                None => (f.roster_active, "实名制在册"),
            };
            when(n > 0 && f.payroll_lines == 0)?;
            let due = m
                .next()
                .first_day()
                .with_day(rules.payroll_due_day)
                .unwrap_or(m.next().last_day());
            let due = date_zh(due);
            (Some(m), n, format!("{m}工资未发放（{who}{n}人，截至{due}无发放记录）"))
        }
        Check::UnpaidWorkers => {
            let n = f.unpaid;
            when(n > 0 && f.payroll_lines > 0)?;
            (Some(m), n, format!("{m}有考勤的{n}人未发放工资"))
        }
        Check::BelowMinimum => {
            let n = f.below_minimum;
            when(n > 0)?;
            let minimum = yuan(rules.minimum_wage_for(f.region, m.last_day())?);
            (
                Some(m),
                n,
                format!("{m}满勤{n}人工资低于最低工资标准（{minimum}元/月）"),
            )
        }
        Check::NoContract => {
            let n = f.unsigned;
            when(n > 0)?;
            (None, n, format!("实名制在册人员中{n}人未签订劳动合同"))
        }
        Check::NoBoard => {
            when(!f.board_set && f.status == ProjectStatus::Building)?;
            (None, 0, "施工现场未设置维权信息告示牌".to_string())
        }
    })
}

/// `2026年3月1日`.
fn date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    /// The day of evaluation: 2026年3月 is checked.
    fn today() -> NaiveDate {
        date("2026-04-15")
    }

    /// A building project in 屯溪区 where all is well on [`today`].
    fn good() -> ProjectFacts {
        ProjectFacts {
            status: ProjectStatus::Building,
            region: DivisionCode::parse("341002001").unwrap(),
            contract_date: Some(date("2025-01-10")),
            start_date: Some(date("2025-02-01")),
            contract_sum: Fen(1_000_000_000),
            account_opened: Some(date("2025-01-20")),
            transferred: true,
            deposit_held: Fen(10_000_000),
            contractor: ContractorRecord::default(),
            board_set: true,
            roster_active: 20,
            attended: Some(20),
            unsigned: 0,
            payroll_lines: 20,
            unpaid: 0,
            below_minimum: 0,
        }
    }

    #[test]
    fn the_checked_month_turns_after_the_due_day() {
        let rules = Rules::default_rules();
        for (today, checked) in [
            ("2026-04-01", "2026-02"),
            ("2026-04-10", "2026-02"),
            ("2026-04-11", "2026-03"),
            ("2026-04-30", "2026-03"),
            ("2026-01-10", "2025-11"),
            ("2026-01-11", "2025-12"),
            ("2026-02-05", "2025-12"),
            ("2026-02-28", "2026-01"),
        ] {
            assert_eq!(checked_month(&rules, date(today)), month(checked), "{today}");
        }
        let late = Rules {
            payroll_due_day: 28,
            ..rules
        };
        assert_eq!(checked_month(&late, date("2026-03-28")), month("2026-01"));
        assert_eq!(checked_month(&late, date("2026-03-29")), month("2026-02"));
    }

    /// (case, change to the good facts, the checks that fire with their
    /// month and workers)
    type Case = (&'static str, fn(&mut ProjectFacts), &'static [(Check, bool, u32)]);

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        ("all good", |_| {}, &[]),
        ("halted, all good", |f| f.status = ProjectStatus::Halted, &[]),
        ("no account, 91 days", |f| f.account_opened = None, &[(Check::NoAccount, false, 0)]),
        ("no account, 31 days", |f| { f.account_opened = None; f.contract_date = Some(date("2026-03-15")) }, &[(Check::NoAccount, false, 0)]),
        ("no account, 30 days", |f| { f.account_opened = None; f.contract_date = Some(date("2026-03-16")) }, &[]),
        ("no account, no contract date", |f| { f.account_opened = None; f.contract_date = None }, &[]),
        ("no transfer", |f| f.transferred = false, &[(Check::NoTransfer, true, 0)]),
        ("no transfer, started on the month's last day", |f| { f.transferred = false; f.start_date = Some(date("2026-03-31")) }, &[(Check::NoTransfer, true, 0)]),
        ("no transfer, started after the month", |f| { f.transferred = false; f.start_date = Some(date("2026-04-01")) }, &[]),
        ("no transfer, not started", |f| { f.transferred = false; f.start_date = None }, &[]),
        ("no deposit", |f| f.deposit_held = Fen(0), &[(Check::Deposit, false, 0)]),
        ("a fen short", |f| f.deposit_held = Fen(9_999_999), &[(Check::Deposit, false, 0)]),
        ("no deposit, 3 clean years", |f| { f.deposit_held = Fen(0); f.contractor.clean_years = 3 }, &[]),
        ("no deposit, small contract", |f| { f.deposit_held = Fen(0); f.contract_sum = Fen(200_000_000) }, &[]),
        ("half, 2 clean years", |f| { f.deposit_held = Fen(5_000_000); f.contractor.clean_years = 2 }, &[]),
        ("arrears raise the rate", |f| f.contractor.recent_arrears = true, &[(Check::Deposit, false, 0)]),
        ("no payroll", |f| { f.payroll_lines = 0; f.unpaid = 20 }, &[(Check::NoPayroll, true, 20)]),
        ("no payroll, nobody on the roster", |f| { f.payroll_lines = 0; f.roster_active = 0; f.attended = None }, &[]),
        ("no payroll, 5 of 20 attended", |f| { f.payroll_lines = 0; f.attended = Some(5) }, &[(Check::NoPayroll, true, 5)]),
        ("no payroll, nobody attended", |f| { f.payroll_lines = 0; f.attended = Some(0) }, &[]),
        ("no payroll, no attendance kept", |f| { f.payroll_lines = 0; f.attended = None }, &[(Check::NoPayroll, true, 20)]),
        ("unpaid workers", |f| f.unpaid = 3, &[(Check::UnpaidWorkers, true, 3)]),
        ("below the minimum", |f| f.below_minimum = 2, &[(Check::BelowMinimum, true, 2)]),
        ("below the minimum where none is set", |f| { f.below_minimum = 2; f.region = DivisionCode::parse("340102").unwrap() }, &[]),
        ("no contracts", |f| f.unsigned = 4, &[(Check::NoContract, false, 4)]),
        ("no board", |f| f.board_set = false, &[(Check::NoBoard, false, 0)]),
        ("no board, halted", |f| { f.board_set = false; f.status = ProjectStatus::Halted }, &[]),
        ("all wrong", all_wrong, &[
            (Check::NoAccount, false, 0), (Check::NoTransfer, true, 0), (Check::Deposit, false, 0),
            (Check::NoPayroll, true, 20), (Check::BelowMinimum, true, 1), (Check::NoContract, false, 20),
            (Check::NoBoard, false, 0),
        ]),
        ("all wrong, completed", |f| { all_wrong(f); f.status = ProjectStatus::Completed }, &[]),
        ("all wrong, not started", |f| { all_wrong(f); f.status = ProjectStatus::NotStarted }, &[]),
    ];

    fn all_wrong(f: &mut ProjectFacts) {
        *f = ProjectFacts {
            account_opened: None,
            transferred: false,
            deposit_held: Fen(0),
            board_set: false,
            unsigned: 20,
            payroll_lines: 0,
            unpaid: 20,
            below_minimum: 1,
            ..good()
        };
    }

    #[test]
    fn each_check_fires_exactly_when_its_condition_holds() {
        let rules = Rules::default_rules();
        let m = checked_month(&rules, today());
        for (case, change, expected) in CASES {
            let mut facts = good();
            change(&mut facts);
            let found: Vec<(Check, bool, u32)> = evaluate(&rules, &facts, today())
                .iter()
                .map(|f| {
                    assert_eq!(rules.rules[f.rule].check, f.check, "{case}");
                    assert_eq!(rules.rules[f.rule].level, f.level, "{case}");
                    assert!(f.month.is_none() || f.month == Some(m), "{case}");
                    (f.check, f.month.is_some(), f.workers)
                })
                .collect();
            assert_eq!(found, *expected, "{case}");
        }
    }

    #[test]
    fn findings_say_what_was_found() {
        let rules = Rules::default_rules();
        let mut facts = good();
        all_wrong(&mut facts);
        facts.payroll_lines = 5;
        facts.unpaid = 3;
        facts.contractor.recent_arrears = true;
        facts.deposit_held = Fen(5_000_000);
        let details: Vec<(Level, String)> = evaluate(&rules, &facts, today())
            .into_iter()
            .map(|f| (f.level, f.detail))
            .collect();
        assert_eq!(
            details,
            [
                (
                    Level::Orange,
                    "合同签订于2025年1月10日，已超过30日未开设农民工工资专用账户".into()
                ),
                (Level::Orange, "2026年3月人工费用未拨付至专用账户".into()),
                (
                    Level::Yellow,
                    "应存20万元（合同额的2%（上一年度有拖欠）），已存5万元".into()
                ),
                (Level::Red, "2026年3月有考勤的3人未发放工资".into()),
                (
                    Level::Orange,
                    "2026年3月满勤1人工资低于最低工资标准（1,930元/月）".into()
                ),
                (Level::Yellow, "实名制在册人员中20人未签订劳动合同".into()),
                (Level::Yellow, "施工现场未设置维权信息告示牌".into()),
            ]
        );
        facts.payroll_lines = 0;
        let no_payroll = |facts: &ProjectFacts| {
            evaluate(&rules, facts, today())
                .into_iter()
                .find(|f| f.check == Check::NoPayroll)
                .unwrap()
        };
        assert_eq!(
            no_payroll(&facts).detail,
            "2026年3月工资未发放（有考勤20人，截至2026年4月10日无发放记录）"
        );
        facts.attended = None;
        let payroll = no_payroll(&facts);
        assert_eq!(
            payroll.detail,
            "2026年3月工资未发放（实名制在册20人，截至2026年4月10日无发放记录）"
        );
        assert_eq!((payroll.month, payroll.rule), (Some(month("2026-03")), 3));
    }
}
