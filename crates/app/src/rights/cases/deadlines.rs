//! What checking and dating a step needs: the time limits that run,
//! counted on the stored calendar with ordinary years assumed after it.

use super::settings::{conclusions_in, limits_in};
use crate::error::AppResult;
use crate::regions::PlaceBook;
use crate::store::{Db, Sql, Tx};
use chrono::NaiveDate;
use shiminhua_core::calendar::Calendar;
use shiminhua_core::case::{CaseStatus, Deadlines, Limits, Running, Span};

/// What checking and dating a step needs besides the case, loaded once.
pub(crate) struct StepRules {
    /// The stored calendar with the years after it taken as ordinary.
    pub(crate) cal: Calendar,
    /// The stored calendar.
    real: Calendar,
    pub(crate) places: PlaceBook,
    pub(super) conclusions: Vec<String>,
    pub(super) limits: Limits,
}

impl StepRules {
    /// The rules with the stored calendar `real`.
    pub(crate) async fn load(tx: &mut Tx, real: Calendar) -> AppResult<StepRules> {
        Ok(StepRules {
            cal: assuming(&real),
            real,
            places: PlaceBook::load(tx).await?,
            conclusions: conclusions_in(tx).await?,
            limits: limits_in(tx).await?,
        })
    }

    /// The due date of `span`, provisional when it falls in a year whose
    /// arrangement is not loaded.
    pub(crate) fn running(&self, span: Span, what: &str) -> Result<Running, String> {
        self.deadlines().running(span, what)
    }

    /// The calendars and limits a step is dated on.
    pub(super) fn deadlines(&self) -> Deadlines<'_> {
        Deadlines {
            cal: &self.cal,
            real: &self.real,
            limits: &self.limits,
        }
    }
}

/// Years taken as ordinary after the last one loaded, for time limits that
/// run into them (the next year's arrangement is usually published late in
/// the year; a 60-working-day limit set in October already reaches it).
const ASSUMED_YEARS: i32 = 2;

fn assuming(real: &Calendar) -> Calendar {
    let last = real.years().max().unwrap_or(0);
    real.assuming_ordinary_years(last + ASSUMED_YEARS)
}

/// The calendar time limits are counted on: the stored one, and after its
/// last year two ordinary years (Monday to Friday) until their arrangements
/// are loaded. Due dates falling in those years are provisional.
pub async fn deadline_calendar(db: &Db) -> AppResult<Calendar> {
    Ok(assuming(&crate::calendar::calendar(db).await?))
}

/// Computes again the provisional due dates of open cases on the stored
/// calendar (after a year's arrangement was loaded). Returns how many
/// changed.
pub(crate) async fn recompute_provisional(tx: &mut Tx, real: &Calendar) -> AppResult<u64> {
    let cal = assuming(real);
    let rows: Vec<(i64, String, NaiveDate, i64, Option<NaiveDate>)> = tx
        .all(
            Sql::new(
                "SELECT id, status, due_from, due_days, due_on FROM cases \
             WHERE due_provisional = $1 AND due_from IS NOT NULL AND due_days IS NOT NULL",
            )
            .bind(true),
        )
        .await?;
    let mut changed = 0;
    for (id, status, from, days, old) in rows {
        let span = Span {
            from,
            days: u32::try_from(days).unwrap_or(0),
        };
        let Ok(due) = span.due(&cal, "期限") else { continue };
        let which = if status == CaseStatus::Registered.code() {
            "accept_due"
        } else {
            "handle_due"
        };
        let mut q = Sql::new("UPDATE cases SET due_on = ");
        q.arg(due).push(", due_provisional = ").arg(!real.covers_date(due));
        q.push(&format!(", {which} = ")).arg(due);
        q.push(" WHERE id = ").arg(id);
        tx.exec(q).await?;
        if old != Some(due) {
            changed += 1;
        }
    }
    Ok(changed)
}
