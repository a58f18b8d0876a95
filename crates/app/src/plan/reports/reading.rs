//! Reading reports: one report with its figures and files, the
//! period's overview of who owes what, and the summaries.

use super::NEAR_DUE_DAYS;
use super::filing::{period_or_error, plan_of};
use super::owing::{MeasureRef, measures_of, owing_depts};
use super::periods::{ReportPeriod, default_period, due_date, local_date, period, period_of, periods};
use super::rows::{
    Closed, FigureRow, REPORT_COLUMNS, ReportRow, UrgeRow, VersionRow, all_units, closed, figures_of, files_of,
    may_read, report, unit, urges_of,
};
use crate::attachments::FileRow;
use crate::error::{AppError, AppResult};
use crate::require;
use crate::store::{Db, Sql};
use crate::units::UnitRow;
use chrono::NaiveDate;
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::ReportId;
use shiminhua_core::report::ReportStatus;
use std::collections::HashMap;

/// A report with everything shown on its page.
#[derive(Clone, Debug)]
pub struct ReportView {
    pub report: ReportRow,
    pub period: ReportPeriod,
    pub due: Result<NaiveDate, String>,
    pub figures: Vec<FigureRow>,
    pub files: Vec<FileRow>,
    pub versions: Vec<VersionRow>,
    pub urges: Vec<UrgeRow>,
    pub closed: Option<Closed>,
    /// The measures of the unit, for the notes.
    pub measures: Vec<MeasureRef>,
}

/// A report the actor may read (NotFound otherwise).
pub async fn get(db: &Db, actor: &Actor, id: ReportId) -> AppResult<ReportView> {
    let id = id.0;
    require(actor, Permission::ViewDashboard)?;
    let mut tx = db.read().await?;
    let plan = plan_of(&mut tx).await?;
    let r = report(&mut tx, id).await?;
    if !may_read(actor, plan.meta.region, &r) {
        return Err(AppError::NotFound);
    }
    let period = period(&plan, &r.period).unwrap_or_else(|| period_of(plan.reporting.cycle, r.period_end));
    let cal = crate::calendar::calendar(db).await?;
    let due = due_date(&cal, &period, plan.reporting.due_working_days);
    let figures = figures_of(&mut tx, id).await?;
    let files = files_of(&mut tx, id).await?;
    let versions = tx
        .all(
            Sql::new(
                "SELECT version, action, status, body, comment, changed_at, changed_by FROM report_versions \
                 WHERE report_id = $1 ORDER BY version DESC",
            )
            .bind(id),
        )
        .await?;
    let urges = urges_of(&mut tx, Some(r.unit_id), Some(&r.period)).await?;
    let closed = closed(&mut tx, &r.period).await?;
    let measures = if r.unit_region == plan.meta.region.as_i64() {
        measures_of(&plan, &r.unit_dept)
    } else {
        Vec::new()
    };
    Ok(ReportView {
        report: r,
        period,
        due,
        figures,
        files,
        versions,
        urges,
        closed,
        measures,
    })
}

/// An attachment's name, type and content, for a reader of its report.
pub async fn attachment(db: &Db, actor: &Actor, id: ReportId, file_id: i64) -> AppResult<(String, String, Vec<u8>)> {
    let id = id.0;
    require(actor, Permission::ViewDashboard)?;
    let mut tx = db.read().await?;
    let plan = plan_of(&mut tx).await?;
    let r = report(&mut tx, id).await?;
    if !may_read(actor, plan.meta.region, &r) {
        return Err(AppError::NotFound);
    }
    tx.one(
        Sql::new("SELECT name, mime, data FROM report_files WHERE id = $1 AND report_id = $2")
            .bind(file_id)
            .bind(id),
    )
    .await
}

/// Where a unit stands for a period.
#[derive(Clone, Debug)]
pub struct Obligation {
    pub unit: UnitRow,
    /// Owes the report (a city unit the plan names); a county unit's
    /// report filed of its own accord is listed with `owes` false.
    pub owes: bool,
    pub report: Option<ReportRow>,
    pub urges: Vec<UrgeRow>,
    /// Missing or returned, past the due date.
    pub overdue: bool,
    /// Missing or returned, due within [`NEAR_DUE_DAYS`] days.
    pub near_due: bool,
    /// Filed after the due date.
    pub late: bool,
}

impl Obligation {
    /// Not filed: no report, or a returned one not filed again.
    pub fn outstanding(&self) -> bool {
        self.report.as_ref().is_none_or(|r| r.state() == ReportStatus::Returned)
    }

    /// 未报送 / 已报送 / 已采纳 / 已退回.
    pub fn status_label(&self) -> &'static str {
        self.report.as_ref().map_or("未报送", |r| r.state().label_zh())
    }

    /// red (overdue), amber (near due), green (accepted) or grey.
    pub fn css(&self) -> &'static str {
        if self.overdue {
            "red"
        } else if self.near_due {
            "amber"
        } else {
            match self.report.as_ref().map(ReportRow::state) {
                Some(ReportStatus::Accepted) => "green",
                _ => "grey",
            }
        }
    }

    fn rank(&self) -> u8 {
        match (self.overdue, self.near_due, self.report.as_ref().map(ReportRow::state)) {
            (true, _, _) => 0,
            (_, true, _) => 1,
            (_, _, None | Some(ReportStatus::Returned)) => 2,
            (_, _, Some(ReportStatus::Filed)) => 3,
            (_, _, Some(ReportStatus::Accepted)) => 4,
        }
    }
}

/// The state of one period: its dates and every unit's standing, the
/// overdue first.
#[derive(Clone, Debug)]
pub struct Overview {
    pub periods: Vec<ReportPeriod>,
    pub period: ReportPeriod,
    pub due: Result<NaiveDate, String>,
    pub closed: Option<Closed>,
    pub rows: Vec<Obligation>,
}

impl Overview {
    pub fn row(&self, unit_id: i64) -> Option<&Obligation> {
        self.rows.iter().find(|r| r.unit.id == unit_id)
    }

    /// The city unit of a department.
    pub fn by_dept(&self, dept: &str) -> Option<&Obligation> {
        self.rows.iter().find(|r| r.owes && r.unit.dept == dept)
    }
}

fn standing(
    unit: UnitRow,
    owes: bool,
    report: Option<ReportRow>,
    urges: Vec<UrgeRow>,
    due: Option<NaiveDate>,
    today: NaiveDate,
) -> Obligation {
    let outstanding = report.as_ref().is_none_or(|r| r.state() == ReportStatus::Returned);
    let (overdue, near_due) = match due {
        Some(d) if owes && outstanding => (today > d, today <= d && (d - today).num_days() <= NEAR_DUE_DAYS),
        _ => (false, false),
    };
    let late = match (&report, due) {
        (Some(r), Some(d)) => local_date(r.filed_at) > d,
        _ => false,
    };
    Obligation {
        unit,
        owes,
        report,
        urges,
        overdue,
        near_due,
        late,
    }
}

/// Every owing unit's standing for a period as of `today` (the period code,
/// or the default period when empty), and the county units' reports filed.
pub async fn overview(db: &Db, actor: &Actor, period_code: &str, today: NaiveDate) -> AppResult<Overview> {
    require(actor, Permission::ViewDashboard)?;
    let cal = crate::calendar::calendar(db).await?;
    let mut tx = db.read().await?;
    let plan = plan_of(&mut tx).await?;
    let p = if period_code.trim().is_empty() {
        default_period(&plan, today).ok_or(AppError::NotFound)?
    } else {
        period_or_error(&plan, period_code)?
    };
    let due = due_date(&cal, &p, plan.reporting.due_working_days);
    let units = all_units(&mut tx).await?;
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.period = ").arg(p.code.clone());
    let reports: Vec<ReportRow> = tx.all(q).await?;
    let mut by_unit: HashMap<i64, ReportRow> = reports.into_iter().map(|r| (r.unit_id, r)).collect();
    let urges = urges_of(&mut tx, None, Some(&p.code)).await?;
    let depts = owing_depts(&plan);
    let city = plan.meta.region.as_i64();
    let mut rows = Vec::new();
    for u in units {
        let owes = u.region_code == city && depts.contains(&u.dept);
        let report = by_unit.remove(&u.id);
        if !owes && report.is_none() {
            continue;
        }
        // A county unit's report is listed for those who may read it.
        if !owes
            && actor.unit_id != Some(u.id)
            && !DivisionCode::from_i64(u.region_code).is_ok_and(|c| actor.scope.covers_region(c))
        {
            continue;
        }
        let mine: Vec<UrgeRow> = urges.iter().filter(|x| x.unit_id == u.id).cloned().collect();
        rows.push(standing(u, owes, report, mine, due.as_ref().ok().copied(), today));
    }
    rows.sort_by_key(|r| (r.rank(), !r.owes));
    let closed = closed(&mut tx, &p.code).await?;
    Ok(Overview {
        periods: periods(&plan),
        period: p,
        due,
        closed,
        rows,
    })
}

/// One thing a unit owes, for its workbench.
#[derive(Clone, Debug)]
pub struct Owed {
    pub period: ReportPeriod,
    pub due: Result<NaiveDate, String>,
    pub report: Option<ReportRow>,
    pub urges: Vec<UrgeRow>,
    pub overdue: bool,
    pub near_due: bool,
    pub closed: bool,
}

/// What the actor's unit owes as of `today`: each begun period whose report
/// is missing or was returned (closed periods left out), and the period in
/// course. Empty for an account without a unit or a unit that owes nothing.
pub async fn owed(db: &Db, actor: &Actor, today: NaiveDate) -> AppResult<Vec<Owed>> {
    let Some(unit_id) = actor.unit_id else {
        return Ok(Vec::new());
    };
    if !actor.can(Permission::FileReports) {
        return Ok(Vec::new());
    }
    let cal = crate::calendar::calendar(db).await?;
    let mut tx = db.read().await?;
    let Some(plan) = crate::plan::in_force::plan_in(&mut tx).await? else {
        return Ok(Vec::new());
    };
    let u = unit(&mut tx, unit_id).await?;
    let owes = u.region_code == plan.meta.region.as_i64() && owing_depts(&plan).contains(&u.dept);
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.unit_id = ").arg(unit_id);
    let reports: Vec<ReportRow> = tx.all(q).await?;
    let urges = urges_of(&mut tx, Some(unit_id), None).await?;
    let closed_periods: Vec<(String,)> = tx.all(Sql::new("SELECT period FROM report_periods")).await?;
    let mut out = Vec::new();
    for p in periods(&plan).into_iter().filter(|p| p.start <= today) {
        let report = reports.iter().find(|r| r.period == p.code).cloned();
        let returned = report.as_ref().is_some_and(|r| r.state() == ReportStatus::Returned);
        let is_closed = closed_periods.iter().any(|(c,)| *c == p.code);
        if is_closed || !(returned || (owes && report.is_none())) {
            continue;
        }
        let due = due_date(&cal, &p, plan.reporting.due_working_days);
        let mine = urges.iter().filter(|x| x.period == p.code).cloned().collect();
        let s = standing(u.clone(), true, report, mine, due.as_ref().ok().copied(), today);
        out.push(Owed {
            period: p,
            due,
            report: s.report,
            urges: s.urges,
            overdue: s.overdue,
            near_due: s.near_due,
            closed: is_closed,
        });
    }
    // The overdue first, then by period.
    out.sort_by_key(|o| (!o.overdue, o.period.start));
    Ok(out)
}

/// A unit's name (empty when there is no such unit).
pub async fn unit_name(db: &Db, unit_id: i64) -> AppResult<String> {
    let row: Option<(String,)> = db
        .read()
        .await?
        .opt(Sql::new("SELECT name FROM units WHERE id = $1").bind(unit_id))
        .await?;
    Ok(row.map(|(n,)| n).unwrap_or_default())
}

/// A unit's reports, newest period first (the actor's own unit, for its list).
pub async fn of_unit(db: &Db, actor: &Actor) -> AppResult<Vec<ReportRow>> {
    let Some(unit_id) = actor.unit_id else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.unit_id = ")
        .arg(unit_id)
        .push(" ORDER BY r.period_end DESC");
    db.read().await?.all(q).await
}

/// An accepted report, for the year-end evaluation to quote.
#[derive(Clone, Debug)]
pub struct ReportSummary {
    pub report_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub period: String,
    /// 2023年第三季度.
    pub period_label: String,
    pub period_end: NaiveDate,
    pub text: String,
    /// (target id, target name, region code, figure as shown with its unit)
    pub figures: Vec<(String, String, i64, String)>,
}

/// The city units' accepted reports whose period ends between `from` and
/// `to` (inclusive), by period then unit.
pub async fn summaries(db: &Db, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<ReportSummary>> {
    let mut tx = db.read().await?;
    let Some(plan) = crate::plan::in_force::plan_in(&mut tx).await? else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(REPORT_COLUMNS);
    q.push(" WHERE r.status = ")
        .arg(ReportStatus::Accepted.code())
        .push(" AND r.period_end >= ")
        .arg(from)
        .push(" AND r.period_end <= ")
        .arg(to)
        // The city units' reports: everyone who sees the evaluation may read
        // them (a county unit's own report is for its county's eyes).
        .push(" AND u.region_code = ")
        .arg(plan.meta.region.as_i64())
        .push(" ORDER BY r.period_end, u.region_code, u.sort");
    let rows: Vec<ReportRow> = tx.all(q).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let figures = figures_of(&mut tx, r.id)
            .await?
            .into_iter()
            .map(|f| {
                let (name, unit) = plan
                    .target(&f.target)
                    .map(|t| (t.name.clone(), t.unit.clone()))
                    .unwrap_or_else(|| (f.target.clone(), String::new()));
                (f.target.clone(), name, f.region, format!("{}{unit}", f.figure()))
            })
            .collect();
        let label = period(&plan, &r.period).map_or_else(|| r.period.clone(), |p| p.label);
        out.push(ReportSummary {
            report_id: r.id,
            unit_code: r.unit_code,
            unit_name: r.unit_name,
            period: r.period,
            period_label: label,
            period_end: r.period_end,
            text: r.body,
            figures,
        });
    }
    Ok(out)
}
