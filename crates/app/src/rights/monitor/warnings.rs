//! Warnings (预警): the rules evaluated over every watched project, each
//! finding opened as a warning with its authority and working-day
//! deadline, followed (签收, 升级督办, 解除 with a reason) and turned into a
//! wage-arrears case. A finding that no longer holds is cleared by the
//! next evaluation; one still holding is not opened twice.

use super::local_date;
use super::projects::{Viewer, get_in, viewer};
use super::rules::current_rules;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use crate::{Call, require};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::calendar::Calendar;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::money::Fen;
use shiminhua_core::monitor::deposit::ContractorRecord;
use shiminhua_core::monitor::{
    Authority, Check, Finding, Level, Month, ProjectFacts, ProjectStatus, Rules, WarningStatus, checked_month,
};
use std::collections::{HashMap, HashSet};

/// What an evaluation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evaluated {
    /// Watched projects evaluated.
    pub projects: usize,
    /// Warnings opened.
    pub opened: usize,
    /// Warnings cleared because the finding no longer holds.
    pub cleared: usize,
    /// Warnings open after it.
    pub open: usize,
    /// The month whose transfers, attendance and payroll were checked.
    pub month: Option<Month>,
}

/// One project's row of the evaluation's first read.
#[derive(sqlx::FromRow)]
struct ProjectFactsRow {
    id: i64,
    status: String,
    region_code: i64,
    county_code: i64,
    authority: String,
    contract_date: Option<NaiveDate>,
    start_date: Option<NaiveDate>,
    contract_sum_fen: i64,
    account_opened: Option<NaiveDate>,
    board_on: Option<NaiveDate>,
    clean_years: i64,
    recent_arrears: bool,
}

/// A warning as stored, with its project.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WarningRow {
    pub id: i64,
    pub project_id: i64,
    pub project_code: String,
    pub project_name: String,
    pub rule_code: String,
    pub check_code: String,
    pub rule_name: String,
    pub month: i64,
    pub level: String,
    pub authority: String,
    pub county_code: i64,
    pub region_code: i64,
    pub region_name: String,
    pub status: String,
    pub detail: String,
    pub workers: i64,
    pub opened_on: NaiveDate,
    pub due_on: NaiveDate,
    pub resolved_on: Option<NaiveDate>,
    pub reason: String,
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    pub version: i64,
}

impl WarningRow {
    pub fn level(&self) -> Level {
        Level::from_code(&self.level).unwrap_or(Level::Yellow)
    }

    pub fn status(&self) -> WarningStatus {
        WarningStatus::from_code(&self.status).unwrap_or(WarningStatus::Open)
    }

    pub fn check(&self) -> Option<Check> {
        Check::from_code(&self.check_code)
    }

    pub fn month(&self) -> Option<Month> {
        Month::from_code(self.month)
    }

    pub fn authority_label(&self) -> &'static str {
        Authority::from_code(&self.authority).map_or("", |a| a.label_zh())
    }

    /// Past its deadline and still open.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status().is_open() && self.due_on < today
    }
}

const COLUMNS: &str = "SELECT w.id, w.project_id, p.code AS project_code, p.name AS project_name, w.rule_code, \
     w.check_code, w.rule_name, w.month, w.level, w.authority, w.county_code, w.region_code, r.name AS region_name, \
     w.status, w.detail, w.workers, w.opened_on, w.due_on, w.resolved_on, w.reason, w.case_id, c.number AS case_number, \
     w.version FROM warnings w JOIN projects p ON p.id = w.project_id JOIN regions r ON r.code = w.region_code \
     LEFT JOIN cases c ON c.id = w.case_id";

/// Evaluates the rules over every watched project as the task-force
/// office asks (立即核验).
pub async fn evaluate(call: &Call<'_>) -> AppResult<Evaluated> {
    require(call.actor, Permission::SuperviseReports)?;
    evaluate_all(call.db, call.now, &Who::actor(call.actor, call.origin), None).await
}

/// Evaluates the rules over one project (after its facts changed), as a
/// user who may see it.
pub async fn evaluate_project(call: &Call<'_>, project_id: i64) -> AppResult<Evaluated> {
    super::projects::get(call.db, call.actor, project_id).await?;
    evaluate_all(
        call.db,
        call.now,
        &Who::actor(call.actor, call.origin),
        Some(project_id),
    )
    .await
}

/// The settings key of the day the daily evaluation last ran.
const EVALUATED_ON_KEY: &str = "monitor.evaluated_on";

/// The daily evaluation, as the system: runs once a (local) day, the first
/// time it is called that day; `None` when it ran already.
pub async fn evaluate_if_due(db: &Db, now: DateTime<Utc>) -> AppResult<Option<Evaluated>> {
    let today = local_date(now).to_string();
    let mut tx = db.write().await?;
    tx.lock_evaluation().await?;
    let last: Option<(String,)> = tx
        .opt(Sql::new("SELECT value FROM settings WHERE key = $1").bind(EVALUATED_ON_KEY))
        .await?;
    if last.as_ref().is_some_and(|(d,)| *d == today) {
        return Ok(None);
    }
    let n = tx
        .exec(
            Sql::new("UPDATE settings SET value = $1 WHERE key = $2")
                .bind(today.clone())
                .bind(EVALUATED_ON_KEY),
        )
        .await?;
    if n == 0 {
        tx.exec(
            Sql::new("INSERT INTO settings (key, value) VALUES ($1, $2)")
                .bind(EVALUATED_ON_KEY)
                .bind(today),
        )
        .await?;
    }
    tx.commit().await?;
    let who = Who::system(&crate::Origin {
        client_addr: "定时核验".into(),
    });
    evaluate_all(db, now, &who, None).await.map(Some)
}

/// Evaluates the rules over the watched projects (all, or one), opening
/// and clearing warnings; the server runs it daily as the system.
pub async fn evaluate_all(db: &Db, now: DateTime<Utc>, who: &Who, only: Option<i64>) -> AppResult<Evaluated> {
    let today = local_date(now);
    let cal = crate::calendar::calendar(db)
        .await?
        .assuming_ordinary_years(today.year() + 1);
    let mut tx = db.write().await?;
    tx.lock_evaluation().await?;
    let (rules, _) = current_rules(&mut tx).await?;
    let month = checked_month(&rules, today);
    let facts = facts(&mut tx, &rules, month, today, only).await?;
    let mut found: HashMap<(i64, String, i64), (Finding, &ProjectFactsRow)> = HashMap::new();
    for (row, f) in &facts {
        for finding in shiminhua_core::monitor::evaluate(&rules, f, today) {
            let rule = &rules.rules[finding.rule];
            let key = (row.id, rule.code.clone(), finding.month.map_or(0, Month::code));
            found.insert(key, (finding, row));
        }
    }
    let evaluated: HashSet<i64> = facts.iter().map(|(r, _)| r.id).collect();
    let mut q = Sql::new(
        "SELECT id, project_id, rule_code, month, status, detail, workers FROM warnings WHERE status <> 'resolved'",
    );
    if let Some(p) = only {
        q.push(" AND project_id = ").arg(p);
    }
    let open: Vec<(i64, i64, String, i64, String, String, i64)> = tx.all(q).await?;
    let mut out = Evaluated {
        projects: facts.len(),
        month: Some(month),
        ..Evaluated::default()
    };
    let mut clear = Vec::new();
    for (id, project, rule, m, status, detail, workers) in open {
        let finding = found.remove(&(project, rule.clone(), m));
        match finding {
            Some((f, _)) if f.detail != detail || i64::from(f.workers) != workers => {
                tx.exec(
                    Sql::new("UPDATE warnings SET detail = $1, workers = $2, updated_at = $3 WHERE id = $4")
                        .bind(f.detail)
                        .bind(i64::from(f.workers))
                        .bind(now)
                        .bind(id),
                )
                .await?;
            }
            Some(_) => {}
            // A finding of the month checked (or of no month) that no
            // longer holds, or of a project no longer watched, is cleared;
            // an earlier month's stays until someone resolves it.
            None if m == 0 || m == month.code() || !evaluated.contains(&project) => clear.push((id, status)),
            None => {}
        }
    }
    for (id, status) in &clear {
        tx.exec(
            Sql::new(
                "UPDATE warnings SET status = 'resolved', resolved_on = $1, reason = $2, updated_at = $3, \
                 version = version + 1 WHERE id = $4",
            )
            .bind(today)
            .bind(CLEARED)
            .bind(now)
            .bind(*id),
        )
        .await?;
        event(
            &mut tx,
            *id,
            "clear",
            status,
            WarningStatus::Resolved,
            "系统",
            now,
            CLEARED,
        )
        .await?;
    }
    out.cleared = clear.len();
    let mut new: Vec<_> = found.into_iter().collect();
    new.sort_by(|a, b| a.0.cmp(&b.0));
    for chunk in new.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO warnings (project_id, rule_code, check_code, rule_name, month, level, authority, county_code, \
             region_code, status, detail, workers, opened_on, due_on, created_at, updated_at) VALUES ",
        );
        for (i, ((project, rule_code, m), (f, row))) in chunk.iter().enumerate() {
            let rule = &rules.rules[f.rule];
            let authority = rule.authority.map_or(row.authority.clone(), |a| a.code().to_string());
            let due = cal
                .add_working_days(today, rule.deadline_working_days)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .arg(*project)
                .push(", ")
                .arg(rule_code.clone())
                .push(", ")
                .arg(f.check.code());
            q.push(", ")
                .arg(rule.name.clone())
                .push(", ")
                .arg(*m)
                .push(", ")
                .arg(f.level.code());
            q.push(", ")
                .arg(authority)
                .push(", ")
                .arg(row.county_code)
                .push(", ")
                .arg(row.region_code);
            q.push(", 'open', ")
                .arg(f.detail.clone())
                .push(", ")
                .arg(i64::from(f.workers));
            q.push(", ")
                .arg(today)
                .push(", ")
                .arg(due)
                .push(", ")
                .arg(now)
                .push(", ")
                .arg(now)
                .push(")");
        }
        q.push(" RETURNING id");
        let ids: Vec<(i64,)> = tx.all(q).await?;
        // Their first events, as one statement.
        let mut q = Sql::new(
            "INSERT INTO warning_events (warning_id, action, from_status, to_status, actor_name, at, note) \
             SELECT id, 'open', '', 'open', '系统', ",
        );
        q.arg(now).push(", '' FROM warnings WHERE ");
        q.in_list("id", ids.into_iter().map(|(id,)| id));
        tx.exec(q).await?;
    }
    out.opened = new.len();
    out.open = usize::try_from(
        tx.int(Sql::new("SELECT COUNT(*) FROM warnings WHERE status <> 'resolved'"))
            .await?,
    )
    .unwrap_or(0);
    audit::record(
        &mut tx,
        now,
        who,
        Event::ok(
            "monitor.evaluate",
            "project",
            only.map_or("all".to_string(), |p| p.to_string()),
        )
        .detail(format!(
            "month={}; projects={}; opened={}; cleared={}",
            month.iso(),
            out.projects,
            out.opened,
            out.cleared
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// The reason a cleared warning gives.
const CLEARED: &str = "系统核验：预警情形已消除";

#[expect(clippy::too_many_arguments, reason = "the columns of one event")]
async fn event(
    tx: &mut Tx,
    warning: i64,
    action: &str,
    from: &str,
    to: WarningStatus,
    actor: &str,
    at: DateTime<Utc>,
    note: &str,
) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "INSERT INTO warning_events (warning_id, action, from_status, to_status, actor_name, at, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(warning)
        .bind(action)
        .bind(from)
        .bind(to.code())
        .bind(actor)
        .bind(at)
        .bind(note),
    )
    .await?;
    Ok(())
}

/// The evaluation's reads of its facts (all watched projects, or one), in
/// the order [`facts`] makes them; the bench times and explains them.
#[doc(hidden)]
pub struct FactQueries {
    /// The watched projects: id, status, places, authority, dates, contract
    /// sum, account, board and the contractor's record.
    pub projects: Sql,
    /// Projects with a labour-cost transfer in the month: (project).
    pub transfers: Sql,
    /// Deposits in force, summed: (project, fen).
    pub deposits: Sql,
    /// Roster lines on the project during the month: (project, lines, unsigned).
    pub roster: Sql,
    /// Payroll lines of the month: (project, lines).
    pub payroll: Sql,
    /// Projects with attendance of a later month: (project). With the
    /// projects of [`FactQueries::people`], those that keep attendance
    /// from the month on.
    pub later_attendance: Sql,
}

impl FactQueries {
    #[doc(hidden)]
    pub fn new(rules: &Rules, month: Month, today: NaiveDate, only: Option<i64>) -> FactQueries {
        let (first, last) = (month.first_day(), month.last_day());
        let scope = |q: &mut Sql, col: &str| {
            if let Some(p) = only {
                q.push(" AND ").push(col).push(" = ").arg(p);
            }
        };
        let mut projects = Sql::new(
            "SELECT id, status, region_code, county_code, authority, contract_date, start_date, contract_sum_fen, \
             account_opened, board_on, clean_years, recent_arrears FROM projects WHERE ",
        );
        projects.in_list("status", rules.watched.iter().map(|s| s.code()));
        scope(&mut projects, "id");
        let mut transfers = Sql::new("SELECT DISTINCT project_id FROM project_transfers WHERE paid_on BETWEEN ");
        transfers.arg(first).push(" AND ").arg(last);
        scope(&mut transfers, "project_id");
        let mut deposits =
            Sql::new("SELECT project_id, CAST(SUM(amount_fen) AS BIGINT) FROM project_deposits WHERE from_date <= ");
        deposits
            .arg(today)
            .push(" AND (to_date IS NULL OR to_date >= ")
            .arg(today)
            .push(")");
        scope(&mut deposits, "project_id");
        deposits.push(" GROUP BY project_id");
        let mut roster = Sql::new(
            "SELECT project_id, COUNT(*), CAST(SUM(CASE WHEN contract_signed THEN 0 ELSE 1 END) AS BIGINT) \
             FROM project_roster WHERE entered_on <= ",
        );
        roster
            .arg(last)
            .push(" AND (left_on IS NULL OR left_on >= ")
            .arg(first)
            .push(")");
        scope(&mut roster, "project_id");
        roster.push(" GROUP BY project_id");
        let mut payroll = Sql::new("SELECT project_id, COUNT(*) FROM payroll_lines WHERE month = ");
        payroll.arg(month.code());
        scope(&mut payroll, "project_id");
        payroll.push(" GROUP BY project_id");
        let mut later_attendance = Sql::new(
            "SELECT DISTINCT r.project_id FROM project_attendance a JOIN project_roster r ON r.id = a.roster_id \
             WHERE a.month > ",
        );
        later_attendance.arg(month.code());
        scope(&mut later_attendance, "r.project_id");
        FactQueries {
            projects,
            transfers,
            deposits,
            roster,
            payroll,
            later_attendance,
        }
    }

    /// Per project with attendance kept for the month: (project, those who
    /// worked, of them unpaid, paid below the minimum wage of the project's
    /// county for a full month). `counties`: those of the projects read.
    #[doc(hidden)]
    pub fn people(rules: &Rules, month: Month, only: Option<i64>, counties: &[i64]) -> Sql {
        let mut minimum = Sql::new("CASE r.county_code");
        let mut any = false;
        for &c in counties {
            if let Some(m) = DivisionCode::from_i64(c)
                .ok()
                .and_then(|d| rules.minimum_wage_for(d, month.last_day()))
            {
                minimum.push(" WHEN ").arg(c).push(" THEN ").arg(m.0);
                any = true;
            }
        }
        minimum.push(" ELSE 0 END");
        let mut q = Sql::new(
            "SELECT r.project_id, CAST(SUM(CASE WHEN a.days > 0 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN a.days > 0 AND l.worker_id IS NULL THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN l.worker_id IS NOT NULL AND a.days >= ",
        );
        q.arg(i64::from(rules.full_month_days)).push(" AND l.amount_fen < ");
        if any {
            q.append(&minimum);
        } else {
            q.push("0");
        }
        q.push(
            " THEN 1 ELSE 0 END) AS BIGINT) FROM project_attendance a JOIN project_roster r ON r.id = a.roster_id \
             LEFT JOIN payroll_lines l ON l.project_id = r.project_id AND l.month = a.month AND l.worker_id = r.worker_id \
             WHERE a.month = ",
        );
        q.arg(month.code());
        if let Some(p) = only {
            q.push(" AND r.project_id = ").arg(p);
        }
        q.push(" GROUP BY r.project_id");
        q
    }
}

/// The watched projects' facts, as aggregates over the roster, attendance
/// and payroll of `month`.
async fn facts(
    tx: &mut Tx,
    rules: &Rules,
    month: Month,
    today: NaiveDate,
    only: Option<i64>,
) -> AppResult<Vec<(ProjectFactsRow, ProjectFacts)>> {
    let q = FactQueries::new(rules, month, today, only);
    let rows: Vec<ProjectFactsRow> = tx.all(q.projects).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let transferred: HashSet<i64> = tx.all::<(i64,)>(q.transfers).await?.into_iter().map(|(p,)| p).collect();
    let deposits: HashMap<i64, i64> = tx.all::<(i64, i64)>(q.deposits).await?.into_iter().collect();
    let roster: HashMap<i64, (i64, i64)> = tx
        .all::<(i64, i64, i64)>(q.roster)
        .await?
        .into_iter()
        .map(|(p, n, u)| (p, (n, u)))
        .collect();
    let payroll: HashMap<i64, i64> = tx.all::<(i64, i64)>(q.payroll).await?.into_iter().collect();
    let later: HashSet<i64> = tx
        .all::<(i64,)>(q.later_attendance)
        .await?
        .into_iter()
        .map(|(p,)| p)
        .collect();
    let mut counties: Vec<i64> = rows.iter().map(|r| r.county_code).collect();
    counties.sort_unstable();
    counties.dedup();
    let people: HashMap<i64, (i64, i64, i64)> = tx
        .all::<(i64, i64, i64, i64)>(FactQueries::people(rules, month, only, &counties))
        .await?
        .into_iter()
        .map(|(p, attended, unpaid, below)| (p, (attended, unpaid, below)))
        .collect();
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let (active, unsigned) = roster.get(&r.id).copied().unwrap_or((0, 0));
            let attendance = people.get(&r.id).copied();
            let (unpaid, below) = attendance.map_or((0, 0), |(_, u, b)| (u, b));
            let facts = ProjectFacts {
                status: ProjectStatus::from_code(&r.status)?,
                region: DivisionCode::from_i64(r.region_code).ok()?,
                contract_date: r.contract_date,
                start_date: r.start_date,
                contract_sum: Fen(r.contract_sum_fen),
                account_opened: r.account_opened,
                transferred: transferred.contains(&r.id),
                deposit_held: Fen(deposits.get(&r.id).copied().unwrap_or(0)),
                contractor: ContractorRecord {
                    clean_years: n(r.clean_years),
                    recent_arrears: r.recent_arrears,
                },
                board_set: r.board_on.is_some(),
                roster_active: n(active),
                // Attendance kept from the month on: those who worked it
                // (perhaps none); else unknown.
                attended: match attendance {
                    Some((a, _, _)) => Some(n(a)),
                    None if later.contains(&r.id) => Some(0),
                    None => None,
                },
                unsigned: n(unsigned),
                payroll_lines: n(payroll.get(&r.id).copied().unwrap_or(0)),
                unpaid: n(unpaid),
                below_minimum: n(below),
            };
            Some((r, facts))
        })
        .collect())
}

/// Filters of the warning list.
#[derive(Clone, Debug, Default)]
pub struct WarningFilter {
    /// Resolved ones too.
    pub all: bool,
    pub region: Option<DivisionCode>,
    pub authority: Option<Authority>,
    pub check: Option<Check>,
    pub level: Option<Level>,
    pub project_id: Option<i64>,
    /// Past their deadline only.
    pub overdue: bool,
    /// Of wages not paid only ([`Check::UNPAID_WAGES`], as 欠薪清零 counts them).
    pub unpaid_wages: bool,
}

fn filter(q: &mut Sql, v: &Viewer, f: &WarningFilter, today: NaiveDate) {
    v.limit(q);
    if !f.all {
        q.push(" AND w.status <> 'resolved'");
    }
    if let Some(r) = f.region {
        q.push(" AND ");
        q.in_ranges("w.region_code", &[r.subtree_range()]);
    }
    if let Some(a) = f.authority {
        q.push(" AND w.authority = ").arg(a.code());
    }
    if let Some(c) = f.check {
        q.push(" AND w.check_code = ").arg(c.code());
    }
    if f.unpaid_wages {
        q.push(" AND ");
        q.in_list("w.check_code", Check::UNPAID_WAGES.iter().map(|c| c.code()));
    }
    if let Some(l) = f.level {
        q.push(" AND w.level = ").arg(l.code());
    }
    if let Some(p) = f.project_id {
        q.push(" AND w.project_id = ").arg(p);
    }
    if f.overdue {
        q.push(" AND w.status <> 'resolved' AND w.due_on < ").arg(today);
    }
}

/// Warnings in the actor's view: the most urgent first (level, deadline),
/// a page at a time, with the total.
pub async fn warnings(
    db: &Db,
    actor: &Actor,
    f: &WarningFilter,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<WarningRow>, i64)> {
    let mut tx = db.read().await?;
    let v = viewer(&mut tx, actor).await?;
    let mut count = Sql::new("SELECT COUNT(*) FROM warnings w JOIN projects p ON p.id = w.project_id WHERE 1 = 1");
    filter(&mut count, &v, f, today);
    let total = tx.int(count).await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE 1 = 1");
    filter(&mut q, &v, f, today);
    q.push(
        " ORDER BY CASE w.status WHEN 'resolved' THEN 1 ELSE 0 END, \
         CASE w.level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 ELSE 2 END, w.due_on, w.id",
    )
    .page(limit, offset);
    Ok((tx.all(q).await?, total))
}

/// A warning in the actor's view.
pub async fn warning(db: &Db, actor: &Actor, id: i64) -> AppResult<WarningRow> {
    warning_in(&mut db.read().await?, actor, id).await
}

async fn warning_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<WarningRow> {
    let v = viewer(tx, actor).await?;
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE w.id = ").arg(id);
    v.limit(&mut q);
    tx.opt(q).await?.ok_or(AppError::NotFound)
}

/// One step of a warning's history.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WarningEvent {
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor_name: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

impl WarningEvent {
    pub fn action_label(&self) -> &'static str {
        match self.action.as_str() {
            "open" => "系统预警",
            "acknowledge" => "签收",
            "escalate" => "升级督办",
            "resolve" => "解除",
            "to_case" => "转为欠薪线索",
            "clear" => "系统核验解除",
            _ => "其他",
        }
    }
}

/// A warning's history, oldest first.
pub async fn events(db: &Db, actor: &Actor, id: i64) -> AppResult<Vec<WarningEvent>> {
    let mut tx = db.read().await?;
    let w = warning_in(&mut tx, actor, id).await?;
    tx.all(
        Sql::new(
            "SELECT action, from_status, to_status, actor_name, at, note FROM warning_events \
             WHERE warning_id = $1 ORDER BY id",
        )
        .bind(w.id),
    )
    .await
}

/// What a user does with a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WarningAction {
    /// 签收: the responsible authority has taken it up.
    Acknowledge,
    /// 升级督办: the office raises its level and sets a new deadline.
    Escalate { note: String },
    /// 解除: dealt with, and how.
    Resolve { reason: String },
}

/// Takes a step on a warning, from the version the user saw.
pub async fn act(call: &Call<'_>, id: i64, version: i64, action: &WarningAction) -> AppResult<()> {
    let mut tx = call.db.write().await?;
    let w = warning_in(&mut tx, call.actor, id).await?;
    let from = w.status();
    if !from.is_open() {
        return Err(AppError::Conflict("该预警已解除。".into()));
    }
    if w.version != version {
        return Err(AppError::Conflict("该预警已被他人处理，请刷新页面后再操作。".into()));
    }
    let today = local_date(call.now);
    let (code, to, note) = match action {
        WarningAction::Acknowledge => {
            worker_of_warning(call.actor)?;
            if from != WarningStatus::Open {
                return Err(AppError::Conflict("该预警已签收。".into()));
            }
            ("acknowledge", WarningStatus::Acknowledged, String::new())
        }
        WarningAction::Escalate { note } => {
            require(call.actor, Permission::SuperviseReports)?;
            let (rules, _) = current_rules(&mut tx).await?;
            let days = rules
                .rules
                .iter()
                .find(|r| r.code == w.rule_code)
                .map_or(5, |r| r.deadline_working_days);
            let cal: Calendar = crate::calendar::calendar(call.db)
                .await?
                .assuming_ordinary_years(today.year() + 1);
            let due = cal
                .add_working_days(today, days)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            tx.exec(
                Sql::new("UPDATE warnings SET level = $1, due_on = $2 WHERE id = $3")
                    .bind(w.level().raised().code())
                    .bind(due)
                    .bind(w.id),
            )
            .await?;
            ("escalate", WarningStatus::Escalated, note.trim().to_string())
        }
        WarningAction::Resolve { reason } => {
            worker_of_warning(call.actor)?;
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(AppError::field("reason", "请填写解除理由（如何处置、结果如何）"));
            }
            if reason.chars().count() > 500 {
                return Err(AppError::field("reason", "解除理由不超过500个字"));
            }
            tx.exec(
                Sql::new("UPDATE warnings SET resolved_on = $1, reason = $2 WHERE id = $3")
                    .bind(today)
                    .bind(reason)
                    .bind(w.id),
            )
            .await?;
            ("resolve", WarningStatus::Resolved, reason.to_string())
        }
    };
    step(&mut tx, call, &w, code, to, &note).await?;
    tx.commit().await
}

/// Who deals with warnings: those who write the projects' data or handle cases.
fn worker_of_warning(actor: &Actor) -> AppResult<()> {
    if actor.can(Permission::WriteRecords) || actor.can(Permission::ReadCases) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn step(
    tx: &mut Tx,
    call: &Call<'_>,
    w: &WarningRow,
    action: &str,
    to: WarningStatus,
    note: &str,
) -> AppResult<()> {
    let n = tx
        .exec(
            Sql::new(
                "UPDATE warnings SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4",
            )
            .bind(to.code())
            .bind(call.now)
            .bind(w.id)
            .bind(w.version),
        )
        .await?;
    if n != 1 {
        return Err(AppError::Conflict("该预警已被他人处理，请刷新页面后再操作。".into()));
    }
    event(
        tx,
        w.id,
        action,
        &w.status,
        to,
        &call.actor.display_name,
        call.now,
        note,
    )
    .await?;
    audit::record(
        tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok(&format!("warning.{action}"), "warning", w.id).detail(format!("project={}", w.project_id)),
    )
    .await
}

/// Turns a warning into a wage-arrears case (source 监控预警) with the
/// project, its general contractor, the workers concerned and the months
/// filled in; the case and the warning link to each other and the warning
/// is resolved. `amount_claimed` is the officer's figure in yuan, or empty
/// for the estimate (the workers' last pay on the project, or the minimum
/// wage). Returns the case's id and number.
pub async fn to_case(call: &Call<'_>, id: i64, version: i64, amount_claimed: &str) -> AppResult<(i64, String)> {
    let mut tx = call.db.write().await?;
    let w = warning_in(&mut tx, call.actor, id).await?;
    if !w.status().is_open() {
        return Err(AppError::Conflict("该预警已解除。".into()));
    }
    if w.version != version {
        return Err(AppError::Conflict("该预警已被他人处理，请刷新页面后再操作。".into()));
    }
    let p = get_in(&mut tx, call.actor, w.project_id).await?;
    let month = w.month().unwrap_or_else(|| Month::of(local_date(call.now)).prev());
    let workers = w.workers.max(1);
    let amount = if amount_claimed.trim().is_empty() {
        let (rules, _) = current_rules(&mut tx).await?;
        estimate(&mut tx, &rules, &p, month, workers)
            .await?
            .to_string()
            .replace(',', "")
    } else {
        amount_claimed.trim().to_string()
    };
    let places = crate::regions::PlaceBook::load(&mut tx).await?;
    let today = local_date(call.now);
    let input = shiminhua_core::case::CaseInput {
        source: shiminhua_core::case::Source::Monitoring.code().into(),
        received_on: today.to_string(),
        anonymous: true,
        employer_name: p.contractor_name.clone(),
        employer_credit_code: p.contractor_credit_code.clone(),
        sector: shiminhua_core::case::Sector::Construction.code().into(),
        project_name: p.name.clone(),
        contractor_name: p.contractor_name.clone(),
        contractor_credit_code: p.contractor_credit_code.clone(),
        workers: workers.to_string(),
        amount_claimed: amount,
        arrears_from: month.first_day().to_string(),
        arrears_to: month.last_day().min(today).to_string(),
        description: format!(
            "工资支付监控预警转办（{}）：项目“{}”（{}），{}。预警依据：{}。",
            w.rule_name, p.name, p.code, w.detail, w.rule_code
        ),
        region: places.full_name(p.region_code),
        ..shiminhua_core::case::CaseInput::default()
    };
    let case = crate::rights::cases::register_in(&mut tx, call, &input).await?;
    tx.exec(
        Sql::new("UPDATE cases SET project_id = $1 WHERE id = $2")
            .bind(p.id)
            .bind(case.id),
    )
    .await?;
    let reason = format!("已转为欠薪线索{}", case.number);
    tx.exec(
        Sql::new("UPDATE warnings SET case_id = $1, resolved_on = $2, reason = $3 WHERE id = $4")
            .bind(case.id)
            .bind(today)
            .bind(reason.clone())
            .bind(w.id),
    )
    .await?;
    step(&mut tx, call, &w, "to_case", WarningStatus::Resolved, &reason).await?;
    tx.commit().await?;
    Ok((case.id, case.number))
}

/// The arrears a warning's workers are likely owed for a month: each
/// unpaid roster worker's latest pay on the project, or the minimum wage.
async fn estimate(tx: &mut Tx, rules: &Rules, p: &super::ProjectRow, month: Month, workers: i64) -> AppResult<Fen> {
    let minimum = DivisionCode::from_i64(p.region_code)
        .ok()
        .and_then(|r| rules.minimum_wage_for(r, month.last_day()))
        .unwrap_or(Fen(0));
    let last: Vec<(i64,)> = tx
        .all(
            Sql::new(
                "SELECT COALESCE((SELECT l2.amount_fen FROM payroll_lines l2 WHERE l2.project_id = r.project_id \
                 AND l2.worker_id = r.worker_id AND l2.month < a.month ORDER BY l2.month DESC LIMIT 1), 0) \
                 FROM project_attendance a JOIN project_roster r ON r.id = a.roster_id \
                 LEFT JOIN payroll_lines l ON l.project_id = r.project_id AND l.month = a.month AND l.worker_id = r.worker_id \
                 WHERE r.project_id = $1 AND a.month = $2 AND a.days > 0 AND l.worker_id IS NULL",
            )
            .bind(p.id)
            .bind(month.code()),
        )
        .await?;
    let mut total: i64 = last.iter().map(|(a,)| if *a > 0 { *a } else { minimum.0 }).sum();
    if total <= 0 {
        total = minimum.0.max(1) * workers;
    }
    Ok(Fen(total))
}
