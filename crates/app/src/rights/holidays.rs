//! Loading a year's holiday arrangement (节假日安排): the calendar's table,
//! and the provisional deadlines of open cases that it settles, in one
//! transaction. The calendar itself is the floor's and knows no case.

use crate::Call;
use crate::audit::{self, Event, Who};
use crate::calendar::{self, MAX_CSV};
use crate::error::{AppError, AppResult};
use shiminhua_core::auth::Permission;
use shiminhua_core::calendar::Calendar;

/// What a load did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The arrangement years in the table.
    pub years: Vec<i32>,
    /// Dates added (0 when the same table was loaded before).
    pub added: usize,
    /// Open wage-arrears cases whose provisional due date moved.
    pub cases_redated: u64,
}

impl Loaded {
    /// What loading did, for the administrator.
    pub fn notice(&self) -> String {
        let years: Vec<String> = self.years.iter().map(|y| format!("{y}年")).collect();
        let mut s = if self.added == 0 {
            format!("{}节假日安排此前已载入，内容一致，未作改动。", years.join("、"))
        } else {
            format!("已载入{}节假日安排，新增 {} 个日期。", years.join("、"), self.added)
        };
        if self.cases_redated > 0 {
            s.push_str(&format!(
                "{} 件办理中的欠薪案件原按常规工作日暂定的期限已按新安排重新计算。",
                self.cases_redated
            ));
        }
        s
    }
}

/// Loads a holiday table (CSV, the format of `data/cn_holidays_2023_2026.csv`)
/// in one transaction. A table that does not read, or that conflicts with
/// what is loaded, is refused with the reason (line and column where there
/// is one) under the field `csv`, and nothing is written.
pub async fn load_year(call: &Call<'_>, csv_text: &str) -> AppResult<Loaded> {
    crate::require(call.actor, Permission::ManageSystem)?;
    if csv_text.trim().is_empty() {
        return Err(AppError::field("csv", "请上传或粘贴节假日表。"));
    }
    if csv_text.len() > MAX_CSV {
        return Err(AppError::field("csv", "节假日表超过1MB，请检查文件是否正确。"));
    }
    let incoming = Calendar::from_csv(csv_text).map_err(|e| AppError::field("csv", e.to_string()))?;
    let years: Vec<i32> = incoming.years().collect();
    let mut tx = call.db.write().await?;
    let added = match calendar::merge_in(&mut tx, call.now, &call.actor.username, &incoming).await? {
        Ok(n) => n,
        Err(m) => {
            return Err(AppError::field(
                "csv",
                format!("与已载入的节假日安排冲突，未载入任何日期：{m}。如确需更正已载入的安排，请联系系统运维人员。"),
            ));
        }
    };
    let list: Vec<String> = years.iter().map(ToString::to_string).collect();
    let stored_now = calendar::stored(&mut tx).await?;
    let cases_redated = crate::rights::cases::recompute_provisional(&mut tx, &stored_now).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("calendar.load", "calendar", list.join(","))
            .detail(format!("added={added}; cases_redated={cases_redated}")),
    )
    .await?;
    tx.commit().await?;
    Ok(Loaded {
        years,
        added,
        cases_redated,
    })
}
