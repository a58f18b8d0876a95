//! The workflow's steps on a stored case.

use super::deadlines::StepRules;
use super::registration::{Writer, append_event};
use super::rows::{get_in, readable};
use super::settings::{field_errors, local_date};
use crate::Call;
use crate::audit::{self, Event};
use crate::error::{AppError, AppResult};
use crate::store::{Sql, Tx};
use shiminhua_core::auth::Actor;
use shiminhua_core::case::{self, Action, ActionInput, CaseDates, CaseState, CaseStatus, Refusal, Source};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::CaseId;

/// The audit action code of a step.
fn audit_code(a: Action) -> &'static str {
    match a {
        Action::Accept => "case.accept",
        Action::Reject => "case.reject",
        Action::Investigate => "case.investigate",
        Action::Close => "case.close",
        Action::FollowUp => "case.follow_up",
        Action::Transfer => "case.transfer",
        Action::Arbitrate => "case.arbitrate",
        Action::ReferPolice => "case.refer_police",
        Action::Extend => "case.extend",
        Action::Urge => "case.urge",
    }
}

fn stale(number: &str) -> AppError {
    AppError::Conflict(format!(
        "操作未保存：案件{number}已被他人办理（状态或内容已变化）。请刷新页面查看最新情况后再操作。"
    ))
}

/// Takes `action` on a case the actor saw at `version`; returns the new
/// status. Refused (nothing written) when the case changed meanwhile, when
/// the workflow has no such step from its status or not for the actor's
/// roles, or when the action's fields are missing.
pub async fn act(
    call: &Call<'_>,
    id: CaseId,
    version: i64,
    action: Action,
    input: &ActionInput,
) -> AppResult<CaseStatus> {
    let id = id.0;
    readable(call.actor)?;
    let cal = crate::calendar::calendar(call.db).await?;
    let mut tx = call.db.write().await?;
    let rules = StepRules::load(&mut tx, cal).await?;
    let to = act_in(
        &mut tx,
        &Writer::officer(call),
        call.actor,
        &rules,
        id,
        version,
        action,
        input,
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// [`act`] inside a transaction (the caller commits), on the day of `w.now`.
#[expect(clippy::too_many_arguments, reason = "one step, with its context")]
pub(crate) async fn act_in(
    tx: &mut Tx,
    w: &Writer<'_>,
    actor: &Actor,
    rules: &StepRules,
    id: i64,
    version: i64,
    action: Action,
    input: &ActionInput,
) -> AppResult<CaseStatus> {
    let today = local_date(w.now);
    let row = get_in(tx, actor, id).await?;
    if row.version != version {
        return Err(stale(&row.number));
    }
    let status = row
        .state()
        .ok_or_else(|| AppError::Internal(format!("case {id} has status {:?}", row.status)))?;
    let (places, conclusions) = (&rules.places, &rules.conclusions);
    let state = CaseState {
        status,
        county: DivisionCode::from_i64(row.county_code).map_err(|e| AppError::Internal(e.to_string()))?,
        workers: row.workers,
        extended: row.extended,
    };
    let step = case::check(&state, action, &actor.roles, input, conclusions, places).map_err(|r| match r {
        Refusal::State(m) | Refusal::Rule(m) => AppError::Conflict(m),
        Refusal::Role(_) => AppError::Forbidden,
        Refusal::Fields(errs) => field_errors(errs),
    })?;
    let dates = CaseDates {
        source: Source::from_code(&row.source).unwrap_or(Source::Visit),
        received_on: row.received_on,
        accepted_on: row.accepted_on,
        span: row.span(),
    };
    let ch = step
        .changes(&dates, &rules.deadlines(), today)
        .map_err(AppError::Conflict)?;

    let mut q = Sql::new("UPDATE cases SET status = ");
    q.arg(step.to.code())
        .push(", version = version + 1, updated_at = ")
        .arg(w.now)
        .push(", updated_by = ")
        .arg(w.name.clone());
    if let Some(d) = ch.accepted_on {
        q.push(", accepted_on = ").arg(d);
    }
    if let Some(d) = ch.accept_due {
        q.push(", accept_due = ").arg(d).push(", accepted_on = NULL");
    }
    if let Some(d) = ch.handle_due {
        q.push(", handle_due = ").arg(d);
    }
    match ch.running {
        Some(Some(r)) => {
            q.push(", due_on = ")
                .arg(r.due)
                .push(", due_from = ")
                .arg(r.span.from)
                .push(", due_days = ")
                .arg(i64::from(r.span.days))
                .push(", due_provisional = ")
                .arg(r.provisional);
        }
        Some(None) => {
            q.push(", due_on = NULL, due_from = NULL, due_days = NULL, due_provisional = ")
                .arg(false);
        }
        None => {}
    }
    if let Some(d) = ch.closed_on {
        q.push(", closed_on = ").arg(d);
    }
    if ch.extended {
        q.push(", extended = ").arg(true);
    }
    if ch.urged {
        q.push(", urged = urged + 1");
    }
    if let Some(r) = ch.region {
        let county = r
            .county()
            .ok_or_else(|| AppError::Internal("township without a county".into()))?;
        q.push(", region_code = ")
            .arg(r.as_i64())
            .push(", county_code = ")
            .arg(county.as_i64());
    }
    if let Some(c) = &step.conclusion {
        q.push(", conclusion = ").arg(c.clone());
    }
    if let Some(a) = step.amount_recovered {
        q.push(", amount_recovered_fen = ").arg(a.0);
    }
    if let Some(n) = step.workers_paid {
        q.push(", workers_paid = ").arg(n);
    }
    q.push(" WHERE id = ").arg(id).push(" AND version = ").arg(version);
    if tx.exec(q).await? != 1 {
        return Err(stale(&row.number));
    }

    let mut data = serde_json::Map::new();
    if let Some(c) = &step.conclusion {
        data.insert("conclusion".into(), c.clone().into());
    }
    if let Some(a) = step.amount_recovered {
        data.insert("amount_recovered_fen".into(), a.0.into());
    }
    if let Some(n) = step.workers_paid {
        data.insert("workers_paid".into(), n.into());
    }
    if let Some(r) = step.region {
        data.insert("from_region".into(), row.region_code.into());
        data.insert("to_region".into(), r.as_i64().into());
    }
    if let Some(Some(r)) = ch.running {
        data.insert("due_on".into(), r.due.to_string().into());
    }
    let data = serde_json::Value::Object(data).to_string();
    append_event(
        tx,
        w,
        id,
        version + 1,
        action.code(),
        status.code(),
        step.to,
        (&step.note, &step.public_reply),
        &data,
    )
    .await?;
    let mut detail = format!("number={}; {}→{}", row.number, status.code(), step.to.code());
    if let Some(r) = step.region {
        detail.push_str(&format!("; region {}→{}", row.region_code, r));
    }
    let who = w
        .who
        .as_ref()
        .ok_or_else(|| AppError::Internal("a case step without an officer".into()))?;
    audit::record(tx, w.now, who, Event::ok(audit_code(action), "case", id).detail(detail)).await?;
    Ok(step.to)
}
