//! The holiday calendar (节假日安排) in the database: the shipped 2023–2026
//! arrangements loaded at set-up, new years loaded by the administrator from
//! a CSV table (`Calendar::from_csv` format), and the working-day calendar
//! built from what is stored.

use crate::Call;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::Permission;
use shiminhua_core::calendar::{Calendar, DayEntry, DayKind};

/// The largest table accepted (a year has a few dozen rows).
pub const MAX_CSV: usize = 1024 * 1024;

/// One stored date.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HolidayRow {
    pub date: NaiveDate,
    pub kind: String,
    pub festival: String,
    pub arrangement_year: i32,
    pub in_lieu: bool,
    pub loaded_at: DateTime<Utc>,
    pub loaded_by: String,
}

impl HolidayRow {
    fn entry(&self) -> AppResult<(NaiveDate, DayEntry)> {
        let kind = DayKind::from_code(&self.kind)
            .ok_or_else(|| AppError::Internal(format!("holiday {} has kind {:?}", self.date, self.kind)))?;
        Ok((
            self.date,
            DayEntry {
                kind,
                festival: self.festival.clone(),
                arrangement_year: self.arrangement_year,
                in_lieu: self.in_lieu,
            },
        ))
    }

    pub fn is_holiday(&self) -> bool {
        self.kind == DayKind::Holiday.code()
    }

    /// 放假 / 调休上班.
    pub fn kind_label(&self) -> String {
        DayKind::from_code(&self.kind)
            .map(|k| k.to_string())
            .unwrap_or_default()
    }

    /// 星期一…星期日.
    pub fn weekday(&self) -> &'static str {
        shiminhua_core::calendar::weekday_cn(chrono::Datelike::weekday(&self.date))
    }
}

async fn rows(tx: &mut Tx) -> AppResult<Vec<HolidayRow>> {
    tx.all(Sql::new(
        "SELECT date, kind, festival, arrangement_year, in_lieu, loaded_at, loaded_by FROM holidays ORDER BY date",
    ))
    .await
}

fn build(rows: &[HolidayRow]) -> AppResult<Calendar> {
    let entries = rows.iter().map(HolidayRow::entry).collect::<AppResult<Vec<_>>>()?;
    Ok(Calendar::from_entries(entries))
}

async fn stored(tx: &mut Tx) -> AppResult<Calendar> {
    build(&rows(tx).await?)
}

/// The working-day calendar as stored: every arrangement loaded so far.
pub async fn calendar(db: &Db) -> AppResult<Calendar> {
    let mut tx = db.read().await?;
    stored(&mut tx).await
}

/// Every stored date, in date order (for the administrator's page).
pub async fn list(db: &Db) -> AppResult<Vec<HolidayRow>> {
    let mut tx = db.read().await?;
    rows(&mut tx).await
}

/// Merges `incoming` into the stored calendar and inserts its new dates.
/// Returns how many dates were added.
async fn merge_in(tx: &mut Tx, now: DateTime<Utc>, by: &str, incoming: &Calendar) -> AppResult<Result<usize, String>> {
    let mut cal = stored(tx).await?;
    let before = cal.clone();
    if let Err(e) = cal.merge(incoming) {
        return Ok(Err(e.to_string()));
    }
    let mut added = 0;
    for (date, e) in incoming.entries() {
        if before.entry(date).is_some() {
            continue;
        }
        tx.exec(
            Sql::new(
                "INSERT INTO holidays (date, kind, festival, arrangement_year, in_lieu, loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(date)
            .bind(e.kind.code())
            .bind(e.festival.clone())
            .bind(e.arrangement_year)
            .bind(e.in_lieu)
            .bind(now)
            .bind(by),
        )
        .await?;
        added += 1;
    }
    Ok(Ok(added))
}

/// Loads the shipped arrangements (idempotent). Returns the dates added.
pub async fn load_seed(tx: &mut Tx, now: DateTime<Utc>) -> AppResult<usize> {
    match merge_in(tx, now, "系统", &Calendar::builtin()).await? {
        Ok(n) => Ok(n),
        Err(m) => Err(AppError::Internal(format!(
            "shipped holidays conflict with stored: {m}"
        ))),
    }
}

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
    let added = match merge_in(&mut tx, call.now, &call.actor.username, &incoming).await? {
        Ok(n) => n,
        Err(m) => {
            return Err(AppError::field(
                "csv",
                format!("与已载入的节假日安排冲突，未载入任何日期：{m}。如确需更正已载入的安排，请联系系统运维人员。"),
            ));
        }
    };
    let list: Vec<String> = years.iter().map(ToString::to_string).collect();
    let stored_now = stored(&mut tx).await?;
    let cases_redated = crate::cases::recompute_provisional(&mut tx, &stored_now).await?;
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
