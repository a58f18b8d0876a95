//! Reporting periods (调度期) of the plan's cycle, their due dates and
//! the dates shown with them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use shiminhua_core::calendar::{Calendar, CalendarError};
use shiminhua_core::plan::{Cycle, Plan, numeral_zh};

/// A reporting period (调度期).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportPeriod {
    /// 2023Q3, 2023H1, 2023-09 or 2023.
    pub code: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// 2023年第三季度.
    pub label: String,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    ymd(ny, nm, 1).pred_opt().unwrap_or(NaiveDate::MIN)
}

/// The period of `cycle` that contains `day`.
pub fn period_of(cycle: Cycle, day: NaiveDate) -> ReportPeriod {
    let (y, m) = (day.year(), day.month());
    match cycle {
        Cycle::Month => ReportPeriod {
            code: format!("{y}-{m:02}"),
            start: ymd(y, m, 1),
            end: month_end(y, m),
            label: format!("{y}年{m}月"),
        },
        Cycle::Quarter => {
            let q = (m - 1) / 3 + 1;
            ReportPeriod {
                code: format!("{y}Q{q}"),
                start: ymd(y, q * 3 - 2, 1),
                end: month_end(y, q * 3),
                label: format!("{y}年第{}季度", numeral_zh(q)),
            }
        }
        Cycle::HalfYear => {
            let h = if m <= 6 { 1 } else { 2 };
            ReportPeriod {
                code: format!("{y}H{h}"),
                start: ymd(y, h * 6 - 5, 1),
                end: month_end(y, h * 6),
                label: format!("{y}年{}", if h == 1 { "上半年" } else { "下半年" }),
            }
        }
        Cycle::Year => ReportPeriod {
            code: y.to_string(),
            start: ymd(y, 1, 1),
            end: ymd(y, 12, 31),
            label: format!("{y}年"),
        },
    }
}

/// Whether `day` is the last day of a period of `cycle`.
pub fn ends_cycle(cycle: Cycle, day: NaiveDate) -> bool {
    period_of(cycle, day).end == day
}

/// The plan's reporting periods: every period of its cycle that overlaps
/// the plan period, in order.
pub fn periods(plan: &Plan) -> Vec<ReportPeriod> {
    let mut out = Vec::new();
    let mut day = plan.meta.start;
    while day <= plan.meta.end {
        let p = period_of(plan.reporting.cycle, day);
        let Some(next) = p.end.succ_opt() else { break };
        out.push(p);
        day = next;
    }
    out
}

/// The plan's period with this code.
pub fn period(plan: &Plan, code: &str) -> Option<ReportPeriod> {
    periods(plan).into_iter().find(|p| p.code == code.trim())
}

/// The period the office looks at by default on `today`: the last one that
/// has ended (its reports are the ones due), or the first.
pub fn default_period(plan: &Plan, today: NaiveDate) -> Option<ReportPeriod> {
    let all = periods(plan);
    all.iter().rev().find(|p| p.end < today).or(all.first()).cloned()
}

/// The date a period's reports are due: `days` working days after its end
/// (day 1 is the first working day after it). A year whose holiday
/// arrangement is not loaded gives the reason in Chinese.
pub fn due_date(cal: &Calendar, period: &ReportPeriod, days: u32) -> Result<NaiveDate, String> {
    cal.add_working_days(period.end, days).map_err(|e| match e {
        CalendarError::NotLoaded { year } => format!(
            "无法计算{}的报送期限：{year}年的节假日安排尚未载入。请系统管理员在“节假日安排”中载入{year}年的安排。",
            period.label
        ),
        other => format!("无法计算{}的报送期限：{other}", period.label),
    })
}

/// 2023年10月11日.
pub fn date_zh(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

pub(super) fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_of_each_cycle() {
        let q = period_of(Cycle::Quarter, d("2023-08-15"));
        assert_eq!(
            (q.code.as_str(), q.start, q.end),
            ("2023Q3", d("2023-07-01"), d("2023-09-30"))
        );
        assert_eq!(q.label, "2023年第三季度");
        let m = period_of(Cycle::Month, d("2024-02-10"));
        assert_eq!(
            (m.code.as_str(), m.end, m.label.as_str()),
            ("2024-02", d("2024-02-29"), "2024年2月")
        );
        let h = period_of(Cycle::HalfYear, d("2023-07-01"));
        assert_eq!(
            (h.code.as_str(), h.start, h.label.as_str()),
            ("2023H2", d("2023-07-01"), "2023年下半年")
        );
        let y = period_of(Cycle::Year, d("2023-07-01"));
        assert_eq!((y.code.as_str(), y.end), ("2023", d("2023-12-31")));
        assert!(ends_cycle(Cycle::Year, d("2023-12-31")));
        assert!(!ends_cycle(Cycle::Year, d("2023-09-30")));
        assert!(ends_cycle(Cycle::Quarter, d("2023-09-30")));
    }

    #[test]
    fn due_dates_count_working_days_after_the_period() {
        let cal = Calendar::builtin();
        let q3 = period_of(Cycle::Quarter, d("2023-09-01"));
        // Sat 30 Sep; 1–6 Oct off (National Day and Mid-Autumn), Sat 7 and Sun 8 Oct worked.
        assert_eq!(due_date(&cal, &q3, 5), Ok(d("2023-10-11")));
        let q2 = period_of(Cycle::Quarter, d("2023-06-01"));
        assert_eq!(due_date(&cal, &q2, 5), Ok(d("2023-07-07")));
        let empty = Calendar::from_entries(Vec::new());
        let e = due_date(&empty, &q3, 5).unwrap_err();
        assert!(e.contains("2023年的节假日安排尚未载入"), "{e}");
    }
}
