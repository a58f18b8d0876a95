//! The office's review (采纳 / 退回), its 督办 marks on overdue reports,
//! and closing a period.

use super::MAX_COMMENT;
use super::filing::{figures_json, keep_version, period_or_error, plan_of, stale};
use super::owing::owing_depts;
use super::periods::{ReportPeriod, date_zh, local_date};
use super::rows::{closed, figures_of, report, unit};
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::Sql;
use crate::{Call, require};
use shiminhua_core::auth::Permission;
use shiminhua_core::ids::ReportId;
use shiminhua_core::report::ReportStatus;

/// Accepts (`accept`) or returns a filed report, with the office's comment
/// (required to return). Refused when `version` is stale or the report is
/// not waiting for review.
pub async fn review(call: &Call<'_>, id: ReportId, version: i64, accept: bool, comment: &str) -> AppResult<()> {
    let id = id.0;
    require(call.actor, Permission::SuperviseReports)?;
    let comment = comment.trim();
    if !accept && comment.is_empty() {
        return Err(AppError::field("comment", "退回报告须写明退回原因和修改要求"));
    }
    if comment.chars().count() > MAX_COMMENT {
        return Err(AppError::field("comment", format!("意见最多{MAX_COMMENT}字")));
    }
    let mut tx = call.db.write().await?;
    let r = report(&mut tx, id).await?;
    if r.version != version {
        return Err(stale());
    }
    if r.state() != ReportStatus::Filed {
        return Err(AppError::Conflict(format!(
            "该报告当前为“{}”，只有已报送待审核的报告才能采纳或退回。",
            r.state().label_zh()
        )));
    }
    let to = if accept {
        ReportStatus::Accepted
    } else {
        ReportStatus::Returned
    };
    let by = call.actor.display_name.clone();
    let n = tx
        .exec(
            Sql::new(
                "UPDATE reports SET status = $1, reviewed_at = $2, reviewed_by = $3, comment = $4, version = version + 1 \
                 WHERE id = $5 AND version = $6",
            )
            .bind(to.code())
            .bind(call.now)
            .bind(by.clone())
            .bind(comment)
            .bind(id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(stale());
    }
    let figures = figures_of(&mut tx, id).await?;
    let figs: Vec<(String, i64, i64)> = figures.iter().map(|f| (f.target.clone(), f.region, f.value)).collect();
    keep_version(
        &mut tx,
        id,
        version + 1,
        if accept { "accept" } else { "return" },
        to,
        &r.body,
        &r.notes,
        &figures_json(&figs),
        comment,
        call.now,
        &by,
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(if accept { "report.accept" } else { "report.return" }, "report", id)
            .detail(format!("unit={}; period={}", r.unit_code, r.period)),
    )
    .await?;
    tx.commit().await
}

/// Marks a unit's report for a period 督办 (with a note), shown to the unit
/// until it files. Only for a unit that owes the report and has not filed it
/// (none yet, or returned).
pub async fn urge(call: &Call<'_>, unit_id: i64, period_code: &str, note: &str) -> AppResult<i64> {
    require(call.actor, Permission::SuperviseReports)?;
    let note = note.trim();
    if note.chars().count() > MAX_COMMENT {
        return Err(AppError::field("note", format!("督办意见最多{MAX_COMMENT}字")));
    }
    let mut tx = call.db.write().await?;
    let plan = plan_of(&mut tx).await?;
    let p = period_or_error(&plan, period_code)?;
    let u = unit(&mut tx, unit_id).await.map_err(|e| match e {
        AppError::NotFound => AppError::field("unit", "请选择要督办的单位"),
        e => e,
    })?;
    let owes = u.region_code == plan.meta.region.as_i64() && owing_depts(&plan).contains(&u.dept);
    let status: Option<(String,)> = tx
        .opt(
            Sql::new("SELECT status FROM reports WHERE unit_id = $1 AND period = $2")
                .bind(unit_id)
                .bind(p.code.clone()),
        )
        .await?;
    match status.as_ref().and_then(|(s,)| ReportStatus::from_code(s)) {
        Some(ReportStatus::Filed) | Some(ReportStatus::Accepted) => {
            return Err(AppError::Conflict(format!(
                "{}已报送{}的报告，无须督办。",
                u.name, p.label
            )));
        }
        None if !owes => {
            return Err(AppError::Conflict(format!("{}不承担本期调度报送任务。", u.name)));
        }
        _ => {}
    }
    let note = if note.is_empty() {
        format!("请尽快报送{}调度报告。", p.label)
    } else {
        note.to_string()
    };
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO report_urges (unit_id, period, note, urged_at, urged_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(unit_id)
            .bind(p.code.clone())
            .bind(note)
            .bind(call.now)
            .bind(call.actor.display_name.clone()),
        )
        .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("report.urge", "report_urge", id).detail(format!("unit={}; period={}", u.code, p.code)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Closes a period (关闭本期调度): no report may be filed or revised for it
/// afterwards. Reports waiting for review may still be reviewed.
pub async fn close_period(call: &Call<'_>, period_code: &str) -> AppResult<ReportPeriod> {
    require(call.actor, Permission::SuperviseReports)?;
    let mut tx = call.db.write().await?;
    let plan = plan_of(&mut tx).await?;
    let p = period_or_error(&plan, period_code)?;
    if let Some(c) = closed(&mut tx, &p.code).await? {
        return Err(AppError::Conflict(format!(
            "{}的调度已于{}由{}关闭。",
            p.label,
            date_zh(local_date(c.closed_at)),
            c.closed_by
        )));
    }
    if p.end >= local_date(call.now) {
        return Err(AppError::Conflict(format!("{}尚未结束，不能关闭。", p.label)));
    }
    tx.exec(
        Sql::new("INSERT INTO report_periods (period, closed_at, closed_by) VALUES ($1, $2, $3)")
            .bind(p.code.clone())
            .bind(call.now)
            .bind(call.actor.display_name.clone()),
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("report.close", "report_period", p.code.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}
