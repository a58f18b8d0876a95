//! The real-name roster (实名制), monthly attendance and the payroll
//! (工资发放) of a project, the months × workers grid, and a worker's own
//! check of the pay that reached the bank.

use super::local_date;
use super::projects::get_in;
use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use crate::{Call, Origin, require};
use chrono::{DateTime, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::monitor::Month;
use shiminhua_core::monitor::forms::mask_account;
use shiminhua_core::phone::Phone;
use std::collections::BTreeMap;

/// A roster line as given (the worker found or registered by the caller).
#[derive(Clone, Debug, Default)]
pub struct RosterInput {
    pub worker_id: i64,
    pub subcontractor: String,
    pub team: String,
    pub contract_signed: bool,
    pub entered_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

/// A roster line with its worker's masked identity.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RosterRow {
    pub id: i64,
    pub worker_id: i64,
    pub name: String,
    pub id_masked: String,
    pub subcontractor: String,
    pub team: String,
    pub contract_signed: bool,
    pub entered_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

/// Checks a roster line's dates; returns the entry date.
pub(crate) fn check_roster(input: &RosterInput, today: NaiveDate) -> AppResult<NaiveDate> {
    let (entered, left) = (input.entered_on, input.left_on);
    let Some(entered) = entered else {
        return Err(AppError::field("entered", "请填写进场日期"));
    };
    if entered > today {
        return Err(AppError::field("entered", "进场日期不能晚于今天"));
    }
    if let Some(l) = left
        && l < entered
    {
        return Err(AppError::field("left", "退场日期不能早于进场日期"));
    }
    Ok(entered)
}

/// Puts a worker on a project's roster, or changes their line; returns the
/// line's id.
pub async fn add_roster(call: &Call<'_>, project_id: i64, input: &RosterInput) -> AppResult<i64> {
    require(call.actor, Permission::WriteRecords)?;
    let mut tx = call.db.write().await?;
    let p = get_in(&mut tx, call.actor, project_id).await?;
    let id = roster_in(&mut tx, call, p.id, p.county_code, input).await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("project.roster", "project", p.id).detail(format!("worker={}", input.worker_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Writes a roster line inside a transaction (the form and the import).
pub(crate) async fn roster_in(
    tx: &mut Tx,
    call: &Call<'_>,
    project_id: i64,
    county: i64,
    input: &RosterInput,
) -> AppResult<i64> {
    let entered = check_roster(input, local_date(call.now))?;
    let exists = tx
        .int(Sql::new("SELECT COUNT(*) FROM workers WHERE id = $1").bind(input.worker_id))
        .await?;
    if exists == 0 {
        return Err(AppError::field("id_number", "该农民工不在农民工信息库中"));
    }
    let found: Option<(i64,)> = tx
        .opt(
            Sql::new("SELECT id FROM project_roster WHERE project_id = $1 AND worker_id = $2")
                .bind(project_id)
                .bind(input.worker_id),
        )
        .await?;
    match found {
        Some((id,)) => {
            tx.exec(
                Sql::new(
                    "UPDATE project_roster SET subcontractor = $1, team = $2, contract_signed = $3, entered_on = $4, \
                     left_on = $5, updated_at = $6 WHERE id = $7",
                )
                .bind(input.subcontractor.trim())
                .bind(input.team.trim())
                .bind(input.contract_signed)
                .bind(entered)
                .bind(input.left_on)
                .bind(call.now)
                .bind(id),
            )
            .await?;
            Ok(id)
        }
        None => {
            let (id,): (i64,) = tx
                .one(
                    Sql::new(
                        "INSERT INTO project_roster (project_id, worker_id, county_code, subcontractor, team, \
                         contract_signed, entered_on, left_on, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    )
                    .bind(project_id)
                    .bind(input.worker_id)
                    .bind(county)
                    .bind(input.subcontractor.trim())
                    .bind(input.team.trim())
                    .bind(input.contract_signed)
                    .bind(entered)
                    .bind(input.left_on)
                    .bind(call.now)
                    .bind(call.now),
                )
                .await?;
            Ok(id)
        }
    }
}

/// The roster of a project in view, by name, a page at a time, with the total.
pub async fn roster(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<RosterRow>, i64)> {
    let mut tx = db.read().await?;
    let p = get_in(&mut tx, actor, project_id).await?;
    let total = tx
        .int(Sql::new("SELECT COUNT(*) FROM project_roster WHERE project_id = $1").bind(p.id))
        .await?;
    let mut q = Sql::new(
        "SELECT r.id, r.worker_id, w.name, w.id_masked, r.subcontractor, r.team, r.contract_signed, r.entered_on, \
         r.left_on FROM project_roster r JOIN workers w ON w.id = r.worker_id WHERE r.project_id = ",
    );
    q.arg(p.id).push(" ORDER BY r.id").page(limit, offset);
    Ok((tx.all(q).await?, total))
}

/// A month's attendance of a roster worker.
#[derive(Clone, Copy, Debug)]
pub struct AttendanceInput {
    pub worker_id: i64,
    pub month: Month,
    pub days: i64,
}

async fn roster_id(tx: &mut Tx, project_id: i64, worker_id: i64) -> AppResult<Option<i64>> {
    let r: Option<(i64,)> = tx
        .opt(
            Sql::new("SELECT id FROM project_roster WHERE project_id = $1 AND worker_id = $2")
                .bind(project_id)
                .bind(worker_id),
        )
        .await?;
    Ok(r.map(|(id,)| id))
}

/// Records attendance days for roster workers of a project (replacing the
/// month's figure); a worker not on the roster is refused.
pub async fn record_attendance(call: &Call<'_>, project_id: i64, lines: &[AttendanceInput]) -> AppResult<usize> {
    require(call.actor, Permission::WriteRecords)?;
    let mut tx = call.db.write().await?;
    let p = get_in(&mut tx, call.actor, project_id).await?;
    for a in lines {
        attendance_in(&mut tx, p.id, a, local_date(call.now)).await?;
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("project.attendance", "project", p.id).detail(format!("lines={}", lines.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(lines.len())
}

/// Checks a month's attendance (days and month).
pub(crate) fn check_attendance(a: &AttendanceInput, today: NaiveDate) -> AppResult<()> {
    if !(0..=31).contains(&a.days) {
        return Err(AppError::field("days", "出勤天数应为0至31天"));
    }
    if a.month.first_day() > today {
        return Err(AppError::field("month", "考勤月份不能晚于本月"));
    }
    Ok(())
}

pub(crate) async fn attendance_in(
    tx: &mut Tx,
    project_id: i64,
    a: &AttendanceInput,
    today: NaiveDate,
) -> AppResult<()> {
    check_attendance(a, today)?;
    let Some(rid) = roster_id(tx, project_id, a.worker_id).await? else {
        return Err(AppError::field("id_number", "该人员不在本项目的实名制名单中"));
    };
    let n = tx
        .exec(
            Sql::new("UPDATE project_attendance SET days = $1 WHERE roster_id = $2 AND month = $3")
                .bind(a.days)
                .bind(rid)
                .bind(a.month.code()),
        )
        .await?;
    if n == 0 {
        tx.exec(
            Sql::new("INSERT INTO project_attendance (roster_id, month, days) VALUES ($1, $2, $3)")
                .bind(rid)
                .bind(a.month.code())
                .bind(a.days),
        )
        .await?;
    }
    Ok(())
}

/// A payroll line as the bank paid it.
#[derive(Clone, Debug)]
pub struct PayInput {
    pub worker_id: i64,
    pub month: Month,
    pub amount_fen: i64,
    pub paid_on: NaiveDate,
    /// The account as in the file; only its mask is kept.
    pub account: String,
}

/// Records payroll lines for roster workers of a project (a line replaces
/// the worker's line of that month); a worker not on the roster is refused.
pub async fn record_pay(call: &Call<'_>, project_id: i64, lines: &[PayInput]) -> AppResult<usize> {
    require(call.actor, Permission::WriteRecords)?;
    let mut tx = call.db.write().await?;
    let p = get_in(&mut tx, call.actor, project_id).await?;
    for line in lines {
        pay_in(&mut tx, p.id, line, local_date(call.now), None).await?;
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("project.payroll", "project", p.id).detail(format!("lines={}", lines.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(lines.len())
}

pub(crate) async fn pay_in(
    tx: &mut Tx,
    project_id: i64,
    line: &PayInput,
    today: NaiveDate,
    batch: Option<i64>,
) -> AppResult<()> {
    check_pay(tx, project_id, line, today).await?;
    write_pay(tx, project_id, line, batch).await
}

/// Checks a payroll line: amount, dates, and its worker on the roster.
pub(crate) async fn check_pay(tx: &mut Tx, project_id: i64, line: &PayInput, today: NaiveDate) -> AppResult<()> {
    if line.amount_fen <= 0 {
        return Err(AppError::field("amount", "实发金额应大于0"));
    }
    if line.paid_on > today {
        return Err(AppError::field("paid_on", "发放日期不能晚于今天"));
    }
    if line.paid_on < line.month.first_day() {
        return Err(AppError::field("paid_on", "发放日期不能早于工资月份"));
    }
    if roster_id(tx, project_id, line.worker_id).await?.is_none() {
        return Err(AppError::field("id_number", "该人员不在本项目的实名制名单中"));
    }
    Ok(())
}

/// Writes a checked payroll line (replacing the worker's line of the month).
pub(crate) async fn write_pay(tx: &mut Tx, project_id: i64, line: &PayInput, batch: Option<i64>) -> AppResult<()> {
    tx.exec(
        Sql::new("DELETE FROM payroll_lines WHERE project_id = $1 AND month = $2 AND worker_id = $3")
            .bind(project_id)
            .bind(line.month.code())
            .bind(line.worker_id),
    )
    .await?;
    tx.exec(
        Sql::new(
            "INSERT INTO payroll_lines (project_id, month, worker_id, amount_fen, paid_on, account_masked, batch_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(project_id)
        .bind(line.month.code())
        .bind(line.worker_id)
        .bind(line.amount_fen)
        .bind(line.paid_on)
        .bind(mask_account(&line.account))
        .bind(batch),
    )
    .await?;
    Ok(())
}

/// One worker-month of the grid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonthCell {
    pub days: Option<i64>,
    pub paid_fen: Option<i64>,
    pub paid_on: Option<NaiveDate>,
}

impl MonthCell {
    /// Attendance without pay.
    pub fn unpaid(&self) -> bool {
        self.days.is_some_and(|d| d > 0) && self.paid_fen.is_none()
    }
}

/// The months × workers grid of a page of the roster: for each roster line,
/// its cells for `months` (oldest first).
pub async fn grid(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    months: &[Month],
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<(RosterRow, Vec<MonthCell>)>, i64)> {
    let (rows, total) = roster(db, actor, project_id, limit, offset).await?;
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok((rows.into_iter().map(|r| (r, Vec::new())).collect(), total));
    };
    let mut tx = db.read().await?;
    let mut cells: BTreeMap<(i64, i64), MonthCell> = BTreeMap::new();
    if !rows.is_empty() {
        let mut q = Sql::new(
            "SELECT r.worker_id, a.month, a.days FROM project_attendance a JOIN project_roster r ON r.id = a.roster_id \
             WHERE a.month BETWEEN ",
        );
        q.arg(first.code()).push(" AND ").arg(last.code()).push(" AND ");
        q.in_list("r.id", rows.iter().map(|r| r.id));
        let att: Vec<(i64, i64, i64)> = tx.all(q).await?;
        for (w, m, d) in att {
            cells.entry((w, m)).or_default().days = Some(d);
        }
        let mut q = Sql::new("SELECT worker_id, month, amount_fen, paid_on FROM payroll_lines WHERE project_id = ");
        q.arg(project_id)
            .push(" AND month BETWEEN ")
            .arg(first.code())
            .push(" AND ")
            .arg(last.code())
            .push(" AND ");
        q.in_list("worker_id", rows.iter().map(|r| r.worker_id));
        let pay: Vec<(i64, i64, i64, NaiveDate)> = tx.all(q).await?;
        for (w, m, a, on) in pay {
            let c = cells.entry((w, m)).or_default();
            c.paid_fen = Some(a);
            c.paid_on = Some(on);
        }
    }
    let out = rows
        .into_iter()
        .map(|r| {
            let line = months
                .iter()
                .map(|m| cells.get(&(r.worker_id, m.code())).copied().unwrap_or_default())
                .collect();
            (r, line)
        })
        .collect();
    Ok((out, total))
}

/// One month of a worker's own pay check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayCheck {
    pub project_name: String,
    pub month: Month,
    pub attended_days: Option<i64>,
    pub paid_fen: Option<i64>,
    pub paid_on: Option<NaiveDate>,
}

/// A worker's own check (public): with their ID number and the phone the
/// registry holds, the last `months` months of each project they are on —
/// whether pay reached the bank, when and how much. Anything that does not
/// match gives nothing (the same answer as a person on no roster). Audited.
pub async fn payroll_check(
    db: &Db,
    cipher: &Cipher,
    origin: &Origin,
    now: DateTime<Utc>,
    id_number: &str,
    phone: &str,
    months: u32,
) -> AppResult<Vec<PayCheck>> {
    let (Ok(id), Ok(phone)) = (IdNumber::parse(id_number.trim()), Phone::parse(phone.trim())) else {
        return Err(AppError::BadRequest("请填写正确的身份证号码和手机号码。".into()));
    };
    let mut tx = db.read().await?;
    let worker: Option<(i64,)> = tx
        .opt(
            Sql::new("SELECT id FROM workers WHERE id_index = $1 AND phone_index = $2")
                .bind(cipher.blind_index("id_number", id.as_str()))
                .bind(cipher.blind_index("phone", phone.as_str())),
        )
        .await?;
    drop(tx);
    let last = Month::of(local_date(now));
    let first = (1..months.max(1)).fold(last, |m, _| m.prev());
    let mut out = Vec::new();
    if let Some((worker_id,)) = worker {
        let mut tx = db.read().await?;
        let att: Vec<(String, i64, i64, i64)> = tx
            .all(
                Sql::new(
                    "SELECT p.name, p.id, a.month, a.days FROM project_roster r JOIN projects p ON p.id = r.project_id \
                     JOIN project_attendance a ON a.roster_id = r.id WHERE r.worker_id = $1 AND a.month BETWEEN $2 AND $3",
                )
                .bind(worker_id)
                .bind(first.code())
                .bind(last.code()),
            )
            .await?;
        // Through the roster (a payroll line's worker is on its project's
        // roster), month by month along the lines' primary key.
        let mut q = Sql::new(
            "SELECT p.name, p.id, l.month, l.amount_fen, l.paid_on FROM project_roster r \
             JOIN projects p ON p.id = r.project_id \
             JOIN payroll_lines l ON l.project_id = r.project_id AND l.worker_id = r.worker_id \
             WHERE r.worker_id = ",
        );
        q.arg(worker_id).push(" AND ");
        q.in_list(
            "l.month",
            std::iter::successors(Some(first), |m| (*m < last).then(|| m.next())).map(Month::code),
        );
        let pay: Vec<(String, i64, i64, i64, NaiveDate)> = tx.all(q).await?;
        let mut cells: BTreeMap<(i64, i64), PayCheck> = BTreeMap::new();
        let blank = |name: String, pid: i64, m: i64| -> Option<(i64, i64, PayCheck)> {
            Some((
                pid,
                m,
                PayCheck {
                    project_name: name,
                    month: Month::from_code(m)?,
                    attended_days: None,
                    paid_fen: None,
                    paid_on: None,
                },
            ))
        };
        for (name, pid, m, d) in att {
            if let Some((pid, m, c)) = blank(name, pid, m) {
                cells.entry((-m, pid)).or_insert(c).attended_days = Some(d);
            }
        }
        for (name, pid, m, a, on) in pay {
            if let Some((pid, m, c)) = blank(name, pid, m) {
                let e = cells.entry((-m, pid)).or_insert(c);
                e.paid_fen = Some(a);
                e.paid_on = Some(on);
            }
        }
        out = cells.into_values().collect();
    }
    audit::record_alone(
        db,
        now,
        &Who::anonymous("农民工本人", origin),
        Event::ok("payroll.self_check", "worker", worker.map_or(0, |(w,)| w)).detail(format!("found={}", out.len())),
    )
    .await?;
    Ok(out)
}
