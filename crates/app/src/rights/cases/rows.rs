//! The stored case row and its events, and reading one case.

use crate::error::{AppError, AppResult};
use crate::require;
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::case::{self, Action, CaseStatus, Sector, Source, Span, Timing};
use shiminhua_core::ids::CaseId;
use shiminhua_core::money::Fen;

/// A stored case (sealed values left out; masked copies in).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub version: i64,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub source: String,
    pub clue_no: Option<String>,
    pub anonymous: bool,
    pub worker_id: Option<i64>,
    pub reporter_name_masked: String,
    pub reporter_phone_masked: String,
    pub reporter_id_masked: String,
    pub employer_name: String,
    pub employer_credit_code: String,
    pub employer_address: String,
    pub sector: String,
    pub project_name: String,
    pub contractor_credit_code: String,
    pub contractor_name: String,
    pub workers: i64,
    pub amount_claimed_fen: i64,
    pub amount_recovered_fen: Option<i64>,
    pub workers_paid: Option<i64>,
    pub conclusion: String,
    pub arrears_from: NaiveDate,
    pub arrears_to: NaiveDate,
    pub description: String,
    pub received_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub accept_due: NaiveDate,
    pub handle_due: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub due_from: Option<NaiveDate>,
    pub due_days: Option<i64>,
    /// The due date falls in a year whose holiday arrangement is not loaded
    /// yet (counted Monday to Friday; computed again when it is loaded).
    pub due_provisional: bool,
    pub extended: bool,
    pub urged: i64,
    pub closed_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl CaseRow {
    /// The running time limit as stored.
    pub(super) fn span(&self) -> Option<Span> {
        Some(Span {
            from: self.due_from?,
            days: u32::try_from(self.due_days?).ok()?,
        })
    }

    pub fn state(&self) -> Option<CaseStatus> {
        CaseStatus::from_code(&self.status)
    }

    pub fn status_label(&self) -> &'static str {
        self.state().map(CaseStatus::label_zh).unwrap_or("")
    }

    pub fn source_label(&self) -> &'static str {
        Source::from_code(&self.source).map(Source::label_zh).unwrap_or("")
    }

    pub fn sector_label(&self) -> &'static str {
        Sector::from_code(&self.sector).map(Sector::label_zh).unwrap_or("")
    }

    pub fn amount_claimed(&self) -> Fen {
        Fen(self.amount_claimed_fen)
    }

    /// How the case stands against its running time limit.
    pub fn timing(&self, today: NaiveDate, near_until: NaiveDate) -> Timing {
        Timing::of(self.due_on, today, near_until)
    }
}

pub(super) const COLUMNS: &str = "SELECT c.id, c.number, c.status, c.version, c.county_code, c.region_code, g.name AS region_name, \
     c.source, c.clue_no, c.anonymous, c.worker_id, c.reporter_name_masked, c.reporter_phone_masked, \
     c.reporter_id_masked, c.employer_name, c.employer_credit_code, c.employer_address, c.sector, c.project_name, \
     c.contractor_credit_code, c.contractor_name, c.workers, c.amount_claimed_fen, c.amount_recovered_fen, c.workers_paid, c.conclusion, \
     c.arrears_from, c.arrears_to, c.description, c.received_on, c.accepted_on, c.accept_due, c.handle_due, c.due_on, \
     c.due_from, c.due_days, c.due_provisional, c.extended, c.urged, c.closed_on, c.created_at, c.created_by, c.updated_at, c.updated_by \
     FROM cases c JOIN regions g ON g.code = c.region_code";

/// One event of a case's history.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CaseEvent {
    pub id: i64,
    pub version: i64,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor_name: String,
    pub at: DateTime<Utc>,
    pub note: String,
    pub public_reply: String,
    pub data: String,
}

impl CaseEvent {
    pub fn action_label(&self) -> &'static str {
        if self.action == "register" {
            "登记"
        } else {
            Action::from_code(&self.action).map(Action::label_zh).unwrap_or("")
        }
    }
}

pub(super) fn readable(actor: &Actor) -> AppResult<()> {
    require(actor, Permission::ReadPii)?;
    if case::may_read(&actor.roles) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A case inside the actor's scope (NotFound outside it).
pub(super) async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<CaseRow> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE c.id = ").arg(id).push(" AND ");
    q.in_ranges("c.region_code", &actor.scope.ranges_for(RecordKind::WageCase));
    tx.one(q).await
}

async fn events_of(tx: &mut Tx, id: i64) -> AppResult<Vec<CaseEvent>> {
    tx.all(
        Sql::new(
            "SELECT id, version, action, from_status, to_status, actor_name, at, note, public_reply, data \
             FROM case_events WHERE case_id = $1 ORDER BY version",
        )
        .bind(id),
    )
    .await
}

/// One case with its events, oldest first.
pub async fn get(db: &Db, actor: &Actor, id: CaseId) -> AppResult<(CaseRow, Vec<CaseEvent>)> {
    let id = id.0;
    readable(actor)?;
    let mut tx = db.read().await?;
    let row = get_in(&mut tx, actor, id).await?;
    let events = events_of(&mut tx, id).await?;
    Ok((row, events))
}
