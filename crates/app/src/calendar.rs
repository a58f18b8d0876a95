//! The holiday calendar (节假日安排) in the database: the shipped 2023–2026
//! arrangements loaded at set-up, new years loaded by the administrator from
//! a CSV table (`Calendar::from_csv` format), and the working-day calendar
//! built from what is stored.

use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, NaiveDate, Utc};
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

pub(crate) async fn stored(tx: &mut Tx) -> AppResult<Calendar> {
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
pub(crate) async fn merge_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    by: &str,
    incoming: &Calendar,
) -> AppResult<Result<usize, String>> {
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
