//! Four-eyes approval of grants that reach personal data.

use super::form::*;
use super::*;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use crate::{Origin, require};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::{Actor, Grant, KindSet, Permission, Role, RoleSet};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::UserId;

/// Whether an enabled account holds (approved) the right to approve grants.
pub(super) async fn has_approver(tx: &mut Tx) -> AppResult<bool> {
    let approvers: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| r.permissions().contains(&Permission::ApproveGrants))
        .map(Role::code)
        .collect();
    let mut q = Sql::new("SELECT COUNT(*) FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.disabled = ");
    q.arg(false).push(" AND ur.role IN (");
    for (i, code) in approvers.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.arg(code.to_string());
    }
    q.push(")");
    Ok(tx.int(q).await? > 0)
}

/// Stores the roles and scope asked for in `f` as a pending grant of user
/// `id` (superseding any earlier one), and audits the request.
pub(super) async fn request_grant(tx: &mut Tx, now: DateTime<Utc>, who: &Who, id: i64, f: &UserForm) -> AppResult<()> {
    supersede(tx, now, id).await?;
    let roles = RoleSet::new(f.roles.clone()).codes();
    let scopes = scopes_text(&f.grants);
    let req = tx
        .int(
            Sql::new(
                "INSERT INTO grant_requests (user_id, roles, scopes, requested_by, requested_at, status) \
                 VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING id",
            )
            .bind(id)
            .bind(roles.clone())
            .bind(scopes.clone())
            .bind(who.actor_id)
            .bind(now),
        )
        .await?;
    audit::record(
        tx,
        now,
        who,
        Event::ok("grant.request", "user", id).detail(format!("request={req}; roles={roles}; scopes={scopes}")),
    )
    .await
}

/// Marks the user's pending grant, if any, as replaced by a later change.
pub(super) async fn supersede(tx: &mut Tx, now: DateTime<Utc>, id: i64) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "UPDATE grant_requests SET status = 'superseded', decided_at = $1 WHERE user_id = $2 AND status = 'pending'",
        )
        .bind(now)
        .bind(id),
    )
    .await?;
    Ok(())
}

pub(super) fn scopes_text(grants: &[Grant]) -> String {
    grants
        .iter()
        .map(|g| format!("{}:{}", g.region, g.kinds.bits()))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn parse_scopes(text: &str) -> Vec<Grant> {
    text.split(',')
        .filter_map(|part| {
            let (region, bits) = part.split_once(':')?;
            Some(Grant {
                region: DivisionCode::parse(region).ok()?,
                kinds: KindSet::from_bits(bits.parse().ok()?),
            })
        })
        .collect()
}

pub(super) fn parse_roles(text: &str) -> RoleSet {
    RoleSet::new(text.split(',').filter_map(Role::from_code).collect())
}

/// A grant of access to personal data waiting for a second person.
#[derive(Clone, Debug)]
pub struct PendingGrant {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_name: Option<String>,
    /// What the account holds now.
    pub current_roles: RoleSet,
    pub current_grants: Vec<Grant>,
    /// What was asked for.
    pub roles: RoleSet,
    pub grants: Vec<Grant>,
    /// Who asked (None: the command line).
    pub requested_by: Option<i64>,
    pub requester_name: String,
    pub requested_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct PendingRow {
    id: i64,
    user_id: i64,
    username: String,
    display_name: String,
    unit_name: Option<String>,
    roles: String,
    scopes: String,
    requested_by: Option<i64>,
    requester_name: Option<String>,
    requested_at: DateTime<Utc>,
}

pub(super) const PENDING_COLUMNS: &str = "SELECT g.id, g.user_id, u.username, u.display_name, n.name AS unit_name, g.roles, g.scopes, \
     g.requested_by, q.username AS requester_name, g.requested_at \
     FROM grant_requests g JOIN users u ON u.id = g.user_id LEFT JOIN units n ON n.id = u.unit_id \
     LEFT JOIN users q ON q.id = g.requested_by WHERE g.status = 'pending'";

pub(super) async fn pending_rows(tx: &mut Tx, q: Sql) -> AppResult<Vec<PendingGrant>> {
    let rows: Vec<PendingRow> = tx.all(q).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(PendingGrant {
            id: r.id,
            user_id: r.user_id,
            username: r.username,
            display_name: r.display_name,
            unit_name: r.unit_name,
            current_roles: roles_of(tx, r.user_id).await?,
            current_grants: grants_of(tx, r.user_id).await?,
            roles: parse_roles(&r.roles),
            grants: parse_scopes(&r.scopes),
            requested_by: r.requested_by,
            requester_name: r.requester_name.unwrap_or_else(|| "命令行".into()),
            requested_at: r.requested_at,
        });
    }
    Ok(out)
}

/// Every pending grant, oldest first: for those who approve them.
pub async fn pending_grants(db: &Db, actor: &Actor) -> AppResult<Vec<PendingGrant>> {
    require(actor, Permission::ApproveGrants)?;
    let mut tx = db.read().await?;
    let mut q = Sql::new(PENDING_COLUMNS);
    q.push(" ORDER BY g.id");
    pending_rows(&mut tx, q).await
}

/// The pending grant of one user, if any (the administrator's user form).
pub async fn pending_grant_of(db: &Db, actor: &Actor, user_id: UserId) -> AppResult<Option<PendingGrant>> {
    let user_id = user_id.0;
    if !actor.can(Permission::ManageUsers) && !actor.can(Permission::ApproveGrants) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.read().await?;
    let mut q = Sql::new(PENDING_COLUMNS);
    q.push(" AND g.user_id = ").arg(user_id);
    Ok(pending_rows(&mut tx, q).await?.pop())
}

/// The id of the user's pending grant, if any, without an actor (set-up
/// and tests).
pub async fn pending_grant_of_any(db: &Db, user_id: UserId) -> AppResult<Option<i64>> {
    let user_id = user_id.0;
    let mut tx = db.read().await?;
    let row: Option<(i64,)> = tx
        .opt(Sql::new("SELECT id FROM grant_requests WHERE user_id = $1 AND status = 'pending'").bind(user_id))
        .await?;
    Ok(row.map(|(id,)| id))
}

/// Approves (`approve`) or rejects a pending grant. The approver holds
/// [`Permission::ApproveGrants`], is neither the requester nor the account
/// concerned, and holds the scope asked for; both outcomes are audited.
pub async fn decide_grant(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    now: DateTime<Utc>,
    request_id: i64,
    approve: bool,
) -> AppResult<()> {
    require(actor, Permission::ApproveGrants)?;
    let mut tx = db.write().await?;
    let mut q = Sql::new(PENDING_COLUMNS);
    q.push(" AND g.id = ").arg(request_id);
    let Some(p) = pending_rows(&mut tx, q).await?.pop() else {
        return Err(AppError::NotFound);
    };
    let who = Who::actor(actor, origin);
    let action = if approve { "grant.approve" } else { "grant.reject" };
    let refuse = |why: &str| Event::failed(action, "user", p.user_id).detail(format!("request={request_id}; {why}"));
    let refusal = if p.user_id == actor.user_id {
        Some((
            "own account",
            "不能审批授予自己的权限，请由另一位有审批权限的人员办理。",
        ))
    } else if p.requested_by == Some(actor.user_id) {
        Some((
            "own request",
            "提出授权申请的人不能审批同一申请，请由另一位有审批权限的人员办理。",
        ))
    } else if approve && !p.grants.iter().all(|g| actor.scope.covers_grant(g)) {
        Some(("scope not held", "所申请的数据范围超出您本人的数据范围，不能审批。"))
    } else {
        None
    };
    if let Some((why, msg)) = refusal {
        drop(tx);
        audit::record_alone(db, now, &who, refuse(why)).await?;
        return Err(AppError::Conflict(msg.into()));
    }
    if approve {
        let f = UserForm {
            roles: p.roles.iter().collect(),
            grants: p.grants.clone(),
            ..UserForm::default()
        };
        write_roles_and_scopes(&mut tx, p.user_id, &f).await?;
        tx.exec(
            Sql::new("UPDATE users SET updated_at = $1, version = version + 1 WHERE id = $2")
                .bind(now)
                .bind(p.user_id),
        )
        .await?;
    }
    tx.exec(
        Sql::new("UPDATE grant_requests SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4")
            .bind(if approve { "approved" } else { "rejected" })
            .bind(actor.user_id)
            .bind(now)
            .bind(request_id),
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        &who,
        Event::ok(action, "user", p.user_id).detail(format!(
            "request={request_id}; requested_by={}; roles={}; scopes={}",
            p.requested_by.map_or("cli".to_string(), |i| i.to_string()),
            p.roles.codes(),
            scopes_text(&p.grants)
        )),
    )
    .await?;
    tx.commit().await
}
