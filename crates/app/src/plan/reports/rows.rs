//! The stored rows of reports, their figures, files, versions, 督办 marks
//! and closed periods, and the queries that read them.

use super::periods::{ReportPeriod, date_zh, local_date};
use crate::attachments::FileRow;
use crate::error::{AppError, AppResult};
use crate::store::{Sql, Tx};
use crate::units::UnitRow;
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::plan::{Figure, Plan};
use shiminhua_core::report::ReportStatus;
use std::collections::BTreeMap;

const UNIT_COLUMNS: &str = "SELECT u.id, u.code, u.name, u.short_name, u.dept, u.region_code, g.name AS region_name \
     FROM units u JOIN regions g ON g.code = u.region_code";

pub(super) async fn unit(tx: &mut Tx, id: i64) -> AppResult<UnitRow> {
    let mut q = Sql::new(UNIT_COLUMNS);
    q.push(" WHERE u.id = ").arg(id);
    tx.one(q).await
}

pub(super) async fn all_units(tx: &mut Tx) -> AppResult<Vec<UnitRow>> {
    let mut q = Sql::new(UNIT_COLUMNS);
    q.push(" ORDER BY u.region_code, u.sort");
    tx.all(q).await
}

pub(super) async fn counties(tx: &mut Tx, plan: &Plan) -> AppResult<Vec<(i64, String)>> {
    let (lo, hi) = plan.meta.region.subtree_range();
    tx.all(
        Sql::new("SELECT code, name FROM regions WHERE level = 3 AND code BETWEEN $1 AND $2 ORDER BY code")
            .bind(lo)
            .bind(hi),
    )
    .await
}

/// A stored report.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_dept: String,
    pub unit_region: i64,
    pub period: String,
    pub period_end: NaiveDate,
    pub status: String,
    pub body: String,
    pub notes: String,
    pub filed_at: DateTime<Utc>,
    pub filed_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: String,
    pub comment: String,
    pub version: i64,
}

impl ReportRow {
    pub fn state(&self) -> ReportStatus {
        ReportStatus::from_code(&self.status).unwrap_or(ReportStatus::Filed)
    }

    /// Notes by measure id.
    pub fn note_map(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.notes).unwrap_or_default()
    }
}

pub(super) const REPORT_COLUMNS: &str = "SELECT r.id, r.unit_id, u.code AS unit_code, u.name AS unit_name, u.dept AS unit_dept, \
     u.region_code AS unit_region, r.period, r.period_end, r.status, r.body, r.notes, r.filed_at, r.filed_by, \
     r.updated_at, r.updated_by, r.reviewed_at, r.reviewed_by, r.comment, r.version \
     FROM reports r JOIN units u ON u.id = r.unit_id";

pub(super) async fn report(tx: &mut Tx, id: i64) -> AppResult<ReportRow> {
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.id = ").arg(id);
    tx.one(q).await
}

/// Whether the actor may read a report: a business role, and the report is
/// a city unit's, or its county is in the actor's scope, or it is the
/// actor's own unit's.
pub(super) fn may_read(actor: &Actor, plan_region: DivisionCode, r: &ReportRow) -> bool {
    if !actor.can(Permission::ViewDashboard) {
        return false;
    }
    if actor.unit_id == Some(r.unit_id) || r.unit_region == plan_region.as_i64() {
        return true;
    }
    DivisionCode::from_i64(r.unit_region).is_ok_and(|c| actor.scope.covers_region(c))
}

/// A figure a report gives.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FigureRow {
    pub target: String,
    pub region: i64,
    pub as_of: NaiveDate,
    pub value: i64,
}

impl FigureRow {
    pub fn figure(&self) -> Figure {
        Figure(self.value)
    }
}

/// One version of a report.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub action: String,
    pub status: String,
    pub body: String,
    pub comment: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
}

impl VersionRow {
    pub fn action_label(&self) -> &'static str {
        match self.action.as_str() {
            "file" => "报送",
            "revise" => "修改后报送",
            "accept" => "采纳",
            "return" => "退回",
            _ => "其他",
        }
    }
}

/// A 督办 mark.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UrgeRow {
    pub id: i64,
    pub unit_id: i64,
    pub period: String,
    pub note: String,
    pub urged_at: DateTime<Utc>,
    pub urged_by: String,
}

pub(super) async fn urges_of(tx: &mut Tx, unit_id: Option<i64>, period: Option<&str>) -> AppResult<Vec<UrgeRow>> {
    let mut q = Sql::new("SELECT id, unit_id, period, note, urged_at, urged_by FROM report_urges WHERE 1 = 1");
    if let Some(u) = unit_id {
        q.push(" AND unit_id = ").arg(u);
    }
    if let Some(p) = period {
        q.push(" AND period = ").arg(p);
    }
    q.push(" ORDER BY urged_at, id");
    tx.all(q).await
}

/// When and by whom a period was closed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Closed {
    pub period: String,
    pub closed_at: DateTime<Utc>,
    pub closed_by: String,
}

pub(super) async fn closed(tx: &mut Tx, period: &str) -> AppResult<Option<Closed>> {
    tx.opt(Sql::new("SELECT period, closed_at, closed_by FROM report_periods WHERE period = $1").bind(period))
        .await
}

pub(super) fn closed_error(p: &ReportPeriod, c: &Closed) -> AppError {
    AppError::Conflict(format!(
        "该调度期（{}）已于{}关闭，不能再报送或修改报告。如确需补报，请联系专班办公室。",
        p.label,
        date_zh(local_date(c.closed_at))
    ))
}

pub(super) async fn figures_of(tx: &mut Tx, id: i64) -> AppResult<Vec<FigureRow>> {
    tx.all(
        Sql::new(
            "SELECT target, region, as_of, value FROM report_figures WHERE report_id = $1 ORDER BY target, region",
        )
        .bind(id),
    )
    .await
}

pub(super) async fn files_of(tx: &mut Tx, id: i64) -> AppResult<Vec<FileRow>> {
    tx.all(
        Sql::new("SELECT id, name, mime, size, added_at, added_by FROM report_files WHERE report_id = $1 ORDER BY id")
            .bind(id),
    )
    .await
}
