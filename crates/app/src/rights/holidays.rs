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

/// The first month in which the 工作台 reminds of next year's arrangement
/// (the State Council's notice usually comes out in November or December).
pub const REMIND_FROM_MONTH: u32 = 11;

/// An open case whose due date is provisional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionalDue {
    pub id: i64,
    pub number: String,
    /// 受理期限 or 办理期限.
    pub what: &'static str,
    pub due: chrono::NaiveDate,
}

/// What the 工作台 of the administrator and of the task-force office says
/// of the calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    /// The year whose arrangement is not loaded yet.
    pub year: i32,
    /// Open cases (in the user's scope) whose due date is counted on
    /// ordinary working days until that arrangement is loaded, earliest
    /// first (at most [`REMINDER_CASES`]).
    pub cases: Vec<ProvisionalDue>,
    /// How many such cases there are in all.
    pub cases_total: i64,
    /// Whether the user may see the cases themselves (else the count only).
    pub may_see_cases: bool,
}

/// The cases a reminder lists.
pub const REMINDER_CASES: i64 = 20;

/// The reminder of `today`, for the administrator (who loads the table)
/// and the task-force office (who chases deadlines): from 1 November while
/// next year's arrangement is not loaded, or earlier when a due date already
/// falls in a year not loaded. `None` for others, and when all is loaded.
pub async fn reminder(
    db: &crate::store::Db,
    actor: &shiminhua_core::auth::Actor,
    today: chrono::NaiveDate,
) -> AppResult<Option<Reminder>> {
    use crate::store::Sql;
    use chrono::Datelike;
    use shiminhua_core::auth::{RecordKind, Role};
    use shiminhua_core::case::CaseStatus;
    let admin = actor.can(Permission::ManageSystem);
    let office = actor.roles.contains(Role::Office);
    if !admin && !office {
        return Ok(None);
    }
    let loaded = calendar::calendar(db).await?;
    let mut years: Vec<i32> = loaded.years().collect();
    years.sort_unstable();
    let next = today.year() + 1;
    // The first year after today's that is not loaded.
    let year = (today.year()..=next).find(|y| !years.contains(y)).unwrap_or(next + 1);
    if years.contains(&next) && years.contains(&today.year()) {
        return Ok(None);
    }
    let open: Vec<&str> = CaseStatus::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.code())
        .collect();
    let may_see_cases = actor.can(Permission::ReadCases);
    let mut filter = Sql::new(" FROM cases WHERE due_provisional = ");
    filter.arg(true).push(" AND status IN (");
    for (i, s) in open.iter().enumerate() {
        if i > 0 {
            filter.push(", ");
        }
        filter.arg(*s);
    }
    filter.push(")");
    if !admin || may_see_cases {
        filter.push(" AND ");
        filter.in_ranges("region_code", &actor.scope.ranges_for(RecordKind::WageCase));
    }
    let mut tx = db.read().await?;
    let mut count = Sql::new("SELECT COUNT(*)");
    count.append(&filter);
    let cases_total = tx.int(count).await?;
    let cases = if may_see_cases && cases_total > 0 {
        let mut q = Sql::new("SELECT id, number, status, due_on");
        q.append(&filter);
        q.push(" ORDER BY due_on, id LIMIT ").arg(REMINDER_CASES);
        let rows: Vec<(i64, String, String, Option<chrono::NaiveDate>)> = tx.all(q).await?;
        rows.into_iter()
            .filter_map(|(id, number, status, due)| {
                Some(ProvisionalDue {
                    id,
                    number,
                    what: if status == CaseStatus::Registered.code() {
                        "受理期限"
                    } else {
                        "办理期限"
                    },
                    due: due?,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    if today.month() < REMIND_FROM_MONTH && cases_total == 0 && years.contains(&today.year()) {
        return Ok(None);
    }
    Ok(Some(Reminder {
        year,
        cases,
        cases_total,
        may_see_cases,
    }))
}
