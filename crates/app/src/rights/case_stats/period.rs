//! Who sees the statistics, and the period they cover with its points.

use chrono::{Datelike, Months, NaiveDate};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::case::{self};
use shiminhua_core::record;

/// Whether the actor may see the statistics.
pub fn may_view(actor: &Actor) -> bool {
    actor.can(Permission::ViewDashboard)
}

/// Whether the actor may open the case lists behind the figures (the case
/// readers of `cases`).
pub fn may_list(actor: &Actor) -> bool {
    actor.can(Permission::ReadPii) && case::may_read(&actor.roles)
}

/// The local (UTC+8) date of an instant.
pub(super) fn local_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

// ---------------------------------------------------------------------------
// The period
// ---------------------------------------------------------------------------

/// The cases received from `from` to `to`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CasePeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl CasePeriod {
    /// This year up to today.
    pub fn this_year(today: NaiveDate) -> CasePeriod {
        CasePeriod {
            from: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
            to: today,
        }
    }

    /// The period typed (either end may be left empty: the start of this year,
    /// today), or why it does not read, in Chinese.
    pub fn parse(from: &str, to: &str, today: NaiveDate) -> Result<CasePeriod, String> {
        let default = CasePeriod::this_year(today);
        let read = |s: &str, label: &str, fallback: NaiveDate| -> Result<NaiveDate, String> {
            if s.trim().is_empty() {
                return Ok(fallback);
            }
            record::parse_date(s).ok_or_else(|| {
                let shown: String = s.trim().chars().take(20).collect();
                format!("{label}“{shown}”格式不正确，应为“年-月-日”，如 2023-01-01")
            })
        };
        let from = read(from, "起始日期", default.from)?;
        let to = read(to, "截止日期", default.to)?;
        if to < from {
            return Err(format!("截止日期（{to}）不能早于起始日期（{from}）"));
        }
        Ok(CasePeriod { from, to })
    }

    /// 2023年1月1日至2023年9月30日
    pub fn label(&self) -> String {
        format!("{}至{}", date_label(self.from), date_label(self.to))
    }

    /// The end of each month of the period, the last point being `to`
    /// itself; at most [`MAX_POINTS`] (the latest ones).
    pub fn month_ends(&self) -> (Vec<NaiveDate>, bool) {
        let mut out = Vec::new();
        let mut month = NaiveDate::from_ymd_opt(self.from.year(), self.from.month(), 1).unwrap_or(self.from);
        while month <= self.to {
            let end = month
                .checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(month)
                .min(self.to);
            out.push(end);
            match month.checked_add_months(Months::new(1)) {
                Some(next) => month = next,
                None => break,
            }
        }
        let cut = out.len() > MAX_POINTS;
        if cut {
            out.drain(..out.len() - MAX_POINTS);
        }
        (out, cut)
    }
}

/// A point of a month-end series: 2023-09末 for a month's last day, the
/// date itself otherwise (a period ending inside a month).
pub fn point_label(d: NaiveDate) -> String {
    if d.succ_opt().is_none_or(|n| n.day() == 1) {
        format!("{}末", d.format("%Y-%m"))
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// The most month ends a series shows (five years).
pub const MAX_POINTS: usize = 60;

/// 2023年9月30日
pub fn date_label(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}
