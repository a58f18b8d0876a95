//! Filing and revising a report.

use super::input::{Checked, FormSpec, ReportInput, check_input, figure_fields};
use super::owing::measures_of;
use super::periods::{ReportPeriod, local_date, period};
use super::rows::{FigureRow, ReportRow, closed, closed_error, counties, figures_of, files_of, report, unit};
use crate::attachments::FileRow;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use crate::units::UnitRow;
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::ids::ReportId;
use shiminhua_core::plan::Plan;
use shiminhua_core::report::ReportStatus;

/// The plan in force, inside a transaction.
pub(super) async fn plan_of(tx: &mut Tx) -> AppResult<std::sync::Arc<Plan>> {
    crate::plan::in_force::plan_in(tx)
        .await?
        .ok_or_else(|| AppError::Conflict("尚未载入目标计划，不能调度。".into()))
}

pub(super) fn period_or_error(plan: &Plan, code: &str) -> AppResult<ReportPeriod> {
    period(plan, code).ok_or_else(|| {
        AppError::field(
            "period",
            format!(
                "调度期“{}”不在计划期内，请从列表中选择",
                code.chars().take(20).collect::<String>()
            ),
        )
    })
}

/// The actor's own unit, for filing; a field error when the account has none.
async fn own_unit(tx: &mut Tx, actor: &Actor) -> AppResult<UnitRow> {
    let Some(id) = actor.unit_id else {
        return Err(AppError::field(
            "unit",
            "您的账户未关联责任单位，不能报送调度报告。请联系系统管理员在用户管理中设置所属单位。",
        ));
    };
    unit(tx, id).await
}

async fn form_spec_in(tx: &mut Tx, plan: &Plan, unit: UnitRow, period: ReportPeriod) -> AppResult<FormSpec> {
    let counties = counties(tx, plan).await?;
    let city = unit.region_code == plan.meta.region.as_i64();
    Ok(FormSpec {
        measures: if city {
            measures_of(plan, &unit.dept)
        } else {
            Vec::new()
        },
        figures: figure_fields(plan, &unit, &counties, period.end),
        unit,
        period,
    })
}

/// The form the actor's unit fills in for a period (for the new-report page).
pub async fn form_spec(db: &Db, actor: &Actor, period_code: &str) -> AppResult<FormSpec> {
    require(actor, Permission::FileReports)?;
    let mut tx = db.read().await?;
    let plan = plan_of(&mut tx).await?;
    let unit = own_unit(&mut tx, actor).await?;
    let period = period_or_error(&plan, period_code)?;
    form_spec_in(&mut tx, &plan, unit, period).await
}

pub(super) fn figures_json(figures: &[(String, i64, i64)]) -> String {
    serde_json::to_string(figures).unwrap_or_else(|_| "[]".into())
}

#[expect(clippy::too_many_arguments, reason = "one row of the version table")]
pub(super) async fn keep_version(
    tx: &mut Tx,
    id: i64,
    version: i64,
    action: &str,
    status: ReportStatus,
    body: &str,
    notes: &str,
    figures: &str,
    comment: &str,
    at: DateTime<Utc>,
    by: &str,
) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "INSERT INTO report_versions (report_id, version, action, status, body, notes, figures, comment, changed_at, changed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(version)
        .bind(action)
        .bind(status.code())
        .bind(body)
        .bind(notes)
        .bind(figures)
        .bind(comment)
        .bind(at)
        .bind(by),
    )
    .await?;
    Ok(())
}

async fn store_figures(tx: &mut Tx, id: i64, as_of: NaiveDate, figures: &[(String, i64, i64)]) -> AppResult<()> {
    tx.exec(Sql::new("DELETE FROM report_figures WHERE report_id = $1").bind(id))
        .await?;
    for (target, region, value) in figures {
        tx.exec(
            Sql::new(
                "INSERT INTO report_figures (report_id, target, region, as_of, value) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(target.clone())
            .bind(*region)
            .bind(as_of)
            .bind(*value),
        )
        .await?;
    }
    Ok(())
}

async fn store_files(
    tx: &mut Tx,
    id: i64,
    files: Vec<(String, &'static str, Vec<u8>)>,
    at: DateTime<Utc>,
    by: &str,
) -> AppResult<()> {
    for (name, mime, bytes) in files {
        let size = bytes.len() as i64;
        tx.exec(
            Sql::new(
                "INSERT INTO report_files (report_id, name, mime, size, data, added_at, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(name)
            .bind(mime)
            .bind(size)
            .bind(bytes)
            .bind(at)
            .bind(by),
        )
        .await?;
    }
    Ok(())
}

/// The checks of a period a unit files for: it has begun and is not closed.
async fn open_period(tx: &mut Tx, p: &ReportPeriod, today: NaiveDate) -> AppResult<()> {
    if let Some(c) = closed(tx, &p.code).await? {
        return Err(closed_error(p, &c));
    }
    if p.start > today {
        return Err(AppError::field("period", format!("{}尚未开始，不能报送", p.label)));
    }
    Ok(())
}

/// Files the actor's unit's report for a period. Refused with the reason
/// when the period is closed or not begun, when the unit has filed for it
/// already, or when the input does not hold (field errors, nothing stored).
pub async fn file(call: &Call<'_>, period_code: &str, input: &ReportInput) -> AppResult<i64> {
    require(call.actor, Permission::FileReports)?;
    let mut tx = call.db.write().await?;
    let plan = plan_of(&mut tx).await?;
    let unit = own_unit(&mut tx, call.actor).await?;
    let p = period_or_error(&plan, period_code)?;
    open_period(&mut tx, &p, local_date(call.now)).await?;
    let existing: Option<(i64,)> = tx
        .opt(
            Sql::new("SELECT id FROM reports WHERE unit_id = $1 AND period = $2")
                .bind(unit.id)
                .bind(p.code.clone()),
        )
        .await?;
    if existing.is_some() {
        return Err(AppError::Conflict(format!(
            "{}已报送{}的调度报告，请在已报送的报告上修改。",
            unit.name, p.label
        )));
    }
    let spec = form_spec_in(&mut tx, &plan, unit.clone(), p.clone()).await?;
    let c = check_input(&spec, input, 0)?;
    let id = insert_report(&mut tx, &unit, &p, c, call.now, &call.actor.display_name).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("report.file", "report", id).detail(format!("unit={}; period={}", unit.code, p.code)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub(super) async fn insert_report(
    tx: &mut Tx,
    unit: &UnitRow,
    p: &ReportPeriod,
    c: Checked,
    now: DateTime<Utc>,
    by: &str,
) -> AppResult<i64> {
    let notes = serde_json::to_string(&c.notes).unwrap_or_else(|_| "{}".into());
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO reports (unit_id, period, period_end, status, body, notes, filed_at, filed_by, updated_at, updated_by, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) RETURNING id",
            )
            .bind(unit.id)
            .bind(p.code.clone())
            .bind(p.end)
            .bind(ReportStatus::Filed.code())
            .bind(c.body.clone())
            .bind(notes.clone())
            .bind(now)
            .bind(by)
            .bind(now)
            .bind(by),
        )
        .await
        .map_err(|e| {
            if crate::store::is_unique_violation(&e) {
                AppError::Conflict(format!("{}已报送{}的调度报告，请在已报送的报告上修改。", unit.name, p.label))
            } else {
                e
            }
        })?;
    store_figures(tx, id, p.end, &c.figures).await?;
    store_files(tx, id, c.files, now, by).await?;
    keep_version(
        tx,
        id,
        1,
        "file",
        ReportStatus::Filed,
        &c.body,
        &notes,
        &figures_json(&c.figures),
        "",
        now,
        by,
    )
    .await?;
    Ok(id)
}

/// A report of the actor's own unit (NotFound for another unit's).
async fn own_report(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<ReportRow> {
    let r = report(tx, id).await?;
    if actor.unit_id != Some(r.unit_id) {
        return Err(AppError::NotFound);
    }
    Ok(r)
}

/// A report of the actor's unit with the form to revise it, for the edit
/// page (NotFound for another unit's report).
pub async fn for_edit(
    db: &Db,
    actor: &Actor,
    id: i64,
) -> AppResult<(ReportRow, FormSpec, Vec<FigureRow>, Vec<FileRow>)> {
    require(actor, Permission::FileReports)?;
    let mut tx = db.read().await?;
    let r = own_report(&mut tx, actor, id).await?;
    let plan = plan_of(&mut tx).await?;
    let p = period_or_error(&plan, &r.period)?;
    let u = unit(&mut tx, r.unit_id).await?;
    let spec = form_spec_in(&mut tx, &plan, u, p).await?;
    let figures = figures_of(&mut tx, id).await?;
    let files = files_of(&mut tx, id).await?;
    Ok((r, spec, figures, files))
}

/// Revises and files again a report of the actor's unit that has not been
/// accepted (one returned goes back to 已报送). Refused when `version` is
/// stale or the period is closed.
pub async fn revise(call: &Call<'_>, id: ReportId, version: i64, input: &ReportInput) -> AppResult<()> {
    let id = id.0;
    require(call.actor, Permission::FileReports)?;
    let mut tx = call.db.write().await?;
    let r = own_report(&mut tx, call.actor, id).await?;
    let plan = plan_of(&mut tx).await?;
    let p = period_or_error(&plan, &r.period)?;
    if let Some(c) = closed(&mut tx, &p.code).await? {
        return Err(closed_error(&p, &c));
    }
    if r.version != version {
        return Err(stale());
    }
    if r.state() == ReportStatus::Accepted {
        return Err(AppError::Conflict(
            "该报告已被专班办公室采纳，不能再修改。如有更正，请联系专班办公室。".into(),
        ));
    }
    let u = unit(&mut tx, r.unit_id).await?;
    let spec = form_spec_in(&mut tx, &plan, u, p.clone()).await?;
    let kept = files_of(&mut tx, id)
        .await?
        .iter()
        .filter(|f| !input.remove.contains(&f.id))
        .count();
    let c = check_input(&spec, input, kept)?;
    let notes = serde_json::to_string(&c.notes).unwrap_or_else(|_| "{}".into());
    let by = call.actor.display_name.clone();
    let n = tx
        .exec(
            Sql::new(
                "UPDATE reports SET status = $1, body = $2, notes = $3, updated_at = $4, updated_by = $5, version = version + 1 \
                 WHERE id = $6 AND version = $7",
            )
            .bind(ReportStatus::Filed.code())
            .bind(c.body.clone())
            .bind(notes.clone())
            .bind(call.now)
            .bind(by.clone())
            .bind(id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(stale());
    }
    store_figures(&mut tx, id, p.end, &c.figures).await?;
    for f in &input.remove {
        tx.exec(
            Sql::new("DELETE FROM report_files WHERE id = $1 AND report_id = $2")
                .bind(*f)
                .bind(id),
        )
        .await?;
    }
    let added = c.files.len();
    store_files(&mut tx, id, c.files, call.now, &by).await?;
    keep_version(
        &mut tx,
        id,
        version + 1,
        "revise",
        ReportStatus::Filed,
        &c.body,
        &notes,
        &figures_json(&c.figures),
        "",
        call.now,
        &by,
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("report.revise", "report", id).detail(format!(
            "unit={}; period={}; was={}; files_added={added}; files_removed={}",
            r.unit_code,
            r.period,
            r.status,
            input.remove.len()
        )),
    )
    .await?;
    tx.commit().await
}

pub(super) fn stale() -> AppError {
    AppError::Conflict(
        "保存失败：该报告已被他人修改或审核。请刷新页面查看最新内容后再操作，您填写的内容仍保留在表单中。".into(),
    )
}
