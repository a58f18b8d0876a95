//! Wage-payment monitoring on construction projects (智慧监管): the
//! projects' facts, the warning rules held as data and their evaluation.
//!
//! The rules are national (《保障农民工工资支付条例》 ch. 4, the special-account
//! and wage-deposit measures; see `docs/monitoring.md`); the figures in them
//! (deadlines, rates, the minimum wage) are data the task-force office edits
//! (`data/monitor_rules.toml`). Nothing here reads a clock or a database:
//! the application computes each project's facts as aggregates and hands
//! them in with the evaluation date.

pub mod deposit;
pub mod eval;
pub mod forms;
pub mod rules;

pub use eval::{Finding, ProjectFacts, checked_month, evaluate};
pub use rules::{RuleError, Rules};

use chrono::{Datelike, NaiveDate};
use std::fmt;

crate::coded! {
    /// 项目类型.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum ProjectKind {
        /// 房屋建筑
        Building = "building" / "房屋建筑",
        /// 市政
        Municipal = "municipal" / "市政",
        /// 交通运输
        Transport = "transport" / "交通运输",
        /// 水利
        Water = "water" / "水利",
        /// 其他
        Other = "other" / "其他",
    }
}

crate::coded! {
    /// 项目状态.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum ProjectStatus {
        NotStarted = "not_started" / "未开工",
        Building = "building" / "在建",
        Halted = "halted" / "停工",
        Completed = "completed" / "完工",
        Settled = "settled" / "工资结清",
    }
}

crate::coded! {
    /// The department that supervises a project's wage payment (行业主管部门):
    /// housing for buildings and municipal works, transport and water for
    /// theirs, human resources and social security for the rest. The codes
    /// are the units' department codes (`data/units.csv`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Authority {
        Housing = "zjj" / "住房城乡建设",
        Transport = "jtj" / "交通运输",
        Water = "slj" / "水利",
        Labour = "rsj" / "人力资源社会保障",
    }
}

impl Authority {
    /// The authority a project of this kind answers to by default.
    pub fn for_kind(kind: ProjectKind) -> Authority {
        match kind {
            ProjectKind::Building | ProjectKind::Municipal => Authority::Housing,
            ProjectKind::Transport => Authority::Transport,
            ProjectKind::Water => Authority::Water,
            ProjectKind::Other => Authority::Labour,
        }
    }
}

crate::coded! {
    /// 工资保证金 form.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum DepositForm {
        Cash = "cash" / "现金",
        Guarantee = "guarantee" / "银行保函",
        Insurance = "insurance" / "保险",
    }
}

crate::coded! {
    /// A warning's level; a higher one is more urgent.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Level {
        Yellow = "yellow" / "黄色",
        Orange = "orange" / "橙色",
        Red = "red" / "红色",
    }
}

impl Level {
    /// The next level up (red stays red).
    pub fn raised(self) -> Level {
        match self {
            Level::Yellow => Level::Orange,
            Level::Orange | Level::Red => Level::Red,
        }
    }
}

crate::coded! {
    /// A warning's state.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum WarningStatus {
        Open = "open" / "待处置",
        Acknowledged = "acknowledged" / "已签收",
        Escalated = "escalated" / "已升级督办",
        Resolved = "resolved" / "已解除",
    }
}

impl WarningStatus {
    /// Still to be dealt with.
    pub fn is_open(self) -> bool {
        !matches!(self, WarningStatus::Resolved)
    }
}

crate::coded! {
    /// What a warning rule checks. Each rule of the rules file names one.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Check {
        /// 合同签订后规定天数内未开设农民工工资专用账户
        NoAccount = "no_account" / "未开设农民工工资专用账户",
        /// 上月人工费用未拨付到专用账户
        NoTransfer = "no_transfer" / "人工费用未按月拨付",
        /// 未存储或未足额存储工资保证金
        Deposit = "deposit" / "工资保证金未存或不足",
        /// 上月工资发放数据逾期未报
        NoPayroll = "no_payroll" / "上月工资未按时发放",
        /// 有考勤无工资
        UnpaidWorkers = "unpaid_workers" / "有考勤未发工资",
        /// 满勤工资低于最低工资标准
        BelowMinimum = "below_minimum" / "工资低于最低工资标准",
        /// 实名制人员未签订劳动合同
        NoContract = "no_contract" / "未签订劳动合同",
        /// 未设置维权信息告示牌
        NoBoard = "no_board" / "未设置维权信息告示牌",
    }
}

impl Check {
    /// The checks that find wages not paid (counted with the open cases in
    /// 欠薪清零): 有考勤未发工资, 上月工资未按时发放, 低于最低工资标准.
    pub const UNPAID_WAGES: [Check; 3] = [Check::UnpaidWorkers, Check::NoPayroll, Check::BelowMinimum];
}

/// A calendar month (工资月份), `2026年3月`; parsed from `2026-03`,
/// `2026-3`, `202603` or `2026年3月`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year)).then_some(Month { year, month })
    }

    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// As stored: `yyyymm`.
    pub fn code(self) -> i64 {
        i64::from(self.year) * 100 + i64::from(self.month)
    }

    pub fn from_code(code: i64) -> Option<Month> {
        Month::new(i32::try_from(code / 100).ok()?, u32::try_from(code % 100).ok()?)
    }

    pub fn parse(text: &str) -> Option<Month> {
        let t = text.trim().trim_end_matches('月').replace(['年', '/', '.'], "-");
        if let Some((y, m)) = t.split_once('-') {
            return Month::new(y.trim().parse().ok()?, m.trim().parse().ok()?);
        }
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            return Month::from_code(t.parse().ok()?);
        }
        None
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a month's first day")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a month's last day")
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// `2026-03`, as in forms and files.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}年{}月", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_step_and_print() {
        let m = Month::parse("2026年3月").unwrap();
        assert_eq!(m, Month::parse("2026-03").unwrap());
        assert_eq!(m, Month::parse("202603").unwrap());
        assert_eq!(m, Month::parse(" 2026/3 ").unwrap());
        assert_eq!(m.code(), 202603);
        assert_eq!(Month::from_code(202603), Some(m));
        assert_eq!(m.to_string(), "2026年3月");
        assert_eq!(m.iso(), "2026-03");
        assert_eq!(Month::parse("2026-01").unwrap().prev().iso(), "2025-12");
        assert_eq!(Month::parse("2025-12").unwrap().next().iso(), "2026-01");
        assert_eq!(Month::parse("2024-02").unwrap().last_day().to_string(), "2024-02-29");
        for bad in ["2026-13", "2026-0", "三月", "", "20263"] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn each_kind_has_its_authority() {
        assert_eq!(Authority::for_kind(ProjectKind::Municipal), Authority::Housing);
        assert_eq!(Authority::for_kind(ProjectKind::Water), Authority::Water);
        assert_eq!(Authority::for_kind(ProjectKind::Other), Authority::Labour);
        assert_eq!(Level::Orange.raised(), Level::Red);
        assert_eq!(Level::Red.raised(), Level::Red);
    }
}
