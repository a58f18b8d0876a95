//! Creating, changing, disabling and listing accounts; resetting passwords.

use super::form::*;
use super::grants::*;
use super::*;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{Db, Sql};
use crate::{Origin, require};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::{Actor, Grant, Permission, RoleSet, interim_access, widens_pii};
use shiminhua_core::ids::UserId;
use shiminhua_core::password::PasswordPolicy;

/// Creates a user with a one-time password, which is returned once.
pub async fn create(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    now: DateTime<Utc>,
    f: UserForm,
) -> AppResult<(i64, String)> {
    require(actor, Permission::ManageUsers)?;
    create_as(db, &Who::actor(actor, origin), now, f, None, false).await
}

/// Creates a user on behalf of `who`, with `password` (already checked
/// against the policy) or a generated one-time password.
/// A role or scope that reads personal data is stored as a pending grant
/// (see [`request_grant`]) unless `bootstrap` allows it at once.
pub(super) async fn create_as(
    db: &Db,
    who: &Who,
    now: DateTime<Utc>,
    f: UserForm,
    password: Option<(String, FieldErrors)>,
    bootstrap: bool,
) -> AppResult<(i64, String)> {
    let (pw, mut errs) = password.unwrap_or_else(|| (one_time_password(), FieldErrors::default()));
    validate_form(&f, &mut errs);
    let hash = hash_password(&pw).await?;
    let mut tx = db.write().await?;
    check_refs(&mut tx, &f, &mut errs).await?;
    errs.into_result()?;
    let new_roles = RoleSet::new(f.roles.clone());
    let held = RoleSet::default();
    // The first approver of an installation cannot be approved by anyone.
    let first_approver = bootstrap && new_roles.allows(Permission::ApproveGrants) && !has_approver(&mut tx).await?;
    let pending = widens_pii(&held, &[], &new_roles, &f.grants) && !first_approver;
    let stored = if pending {
        let (roles, grants) = interim_access(&held, &[], &new_roles, &f.grants);
        UserForm {
            roles: roles.iter().collect(),
            grants,
            ..f.clone()
        }
    } else {
        f.clone()
    };
    let id = insert_user(&mut tx, now, &stored, &hash, true, false).await?;
    let detail = if first_approver {
        "; first approver, approved at set-up"
    } else {
        ""
    };
    audit::record(
        &mut tx,
        now,
        who,
        Event::ok("user.create", "user", id).detail(format!(
            "username={}; {}{detail}",
            f.username.trim(),
            describe(&stored)
        )),
    )
    .await?;
    if pending {
        request_grant(&mut tx, now, who, id, &f).await?;
    }
    tx.commit().await?;
    Ok((id, pw))
}

/// Updates name, unit, roles and scopes; refused when `version` is stale.
pub async fn update(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    now: DateTime<Utc>,
    id: i64,
    version: i64,
    f: UserForm,
) -> AppResult<()> {
    require(actor, Permission::ManageUsers)?;
    let mut errs = FieldErrors::default();
    validate_form(&f, &mut errs);
    let mut tx = db.write().await?;
    let old = get_row(&mut tx, id).await?;
    check_refs(&mut tx, &f, &mut errs).await?;
    let old_roles = roles_of(&mut tx, id).await?;
    let old_grants = grants_of(&mut tx, id).await?;
    let new_roles = RoleSet::new(f.roles.clone());
    let roles_changed = old_roles != new_roles;
    let scopes_changed = old_grants != f.grants;
    if id == actor.user_id && (roles_changed || scopes_changed) {
        errs.add("roles", "不能修改自己的角色和数据范围，请由另一位系统管理员操作");
    }
    if f.username.trim() != old.username {
        errs.add("username", "用户名创建后不能修改");
    }
    errs.into_result()?;
    let n = tx
        .exec(
            Sql::new(
                "UPDATE users SET display_name = $1, unit_id = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
            )
            .bind(f.display_name.trim())
            .bind(f.unit_id)
            .bind(now)
            .bind(id)
            .bind(version),
        )
        .await?;
    if n == 0 {
        return Err(AppError::Conflict(
            "保存失败：该用户信息已被他人修改。请刷新页面查看最新内容后再修改，您填写的内容仍保留在表单中。".into(),
        ));
    }
    // A change that widens access to personal data waits for a second
    // person; meanwhile the account keeps what both old and new allow.
    let who = Who::actor(actor, origin);
    let pending = widens_pii(&old_roles, &old_grants, &new_roles, &f.grants);
    let stored = if pending {
        let (roles, grants) = interim_access(&old_roles, &old_grants, &new_roles, &f.grants);
        UserForm {
            roles: roles.iter().collect(),
            grants,
            ..f.clone()
        }
    } else {
        f.clone()
    };
    write_roles_and_scopes(&mut tx, id, &stored).await?;
    if pending {
        request_grant(&mut tx, now, &who, id, &f).await?;
    } else if roles_changed || scopes_changed {
        supersede(&mut tx, now, id).await?;
    }
    let (roles_changed, scopes_changed) = (
        old_roles != RoleSet::new(stored.roles.clone()),
        old_grants != stored.grants,
    );
    let new_roles = RoleSet::new(stored.roles.clone());
    let f = stored;
    audit::record(
        &mut tx,
        now,
        &who,
        Event::ok("user.update", "user", id).detail(describe(&f)),
    )
    .await?;
    if roles_changed {
        audit::record(
            &mut tx,
            now,
            &who,
            Event::ok("user.roles", "user", id).detail(new_roles.codes()),
        )
        .await?;
    }
    if scopes_changed {
        audit::record(
            &mut tx,
            now,
            &who,
            Event::ok("user.scopes", "user", id).detail(describe(&f)),
        )
        .await?;
    }
    tx.commit().await
}

/// Disables or re-enables an account; disabling ends its sessions at once.
pub async fn set_disabled(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    now: DateTime<Utc>,
    id: i64,
    disabled: bool,
) -> AppResult<()> {
    require(actor, Permission::ManageUsers)?;
    if id == actor.user_id && disabled {
        return Err(AppError::Conflict("不能停用自己的账户。".into()));
    }
    set_disabled_as(db, &Who::actor(actor, origin), now, id, disabled).await
}

pub(super) async fn set_disabled_as(db: &Db, who: &Who, now: DateTime<Utc>, id: i64, disabled: bool) -> AppResult<()> {
    let mut tx = db.write().await?;
    get_row(&mut tx, id).await?;
    tx.exec(
        Sql::new("UPDATE users SET disabled = $1, failed_count = 0, locked_until = NULL, updated_at = $2, version = version + 1 WHERE id = $3")
            .bind(disabled)
            .bind(now)
            .bind(id),
    )
    .await?;
    if disabled {
        tx.exec(Sql::new("DELETE FROM sessions WHERE user_id = $1").bind(id))
            .await?;
    }
    let action = if disabled { "user.disable" } else { "user.enable" };
    audit::record(&mut tx, now, who, Event::ok(action, "user", id)).await?;
    tx.commit().await
}

/// Gives an account a new one-time password (returned once), unlocks it and ends its sessions.
pub async fn reset_password(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    now: DateTime<Utc>,
    id: UserId,
) -> AppResult<String> {
    let id = id.0;
    require(actor, Permission::ManageUsers)?;
    reset_as(db, &Who::actor(actor, origin), now, id).await
}

pub(super) async fn reset_as(db: &Db, who: &Who, now: DateTime<Utc>, id: i64) -> AppResult<String> {
    let pw = one_time_password();
    let hash = hash_password(&pw).await?;
    let mut tx = db.write().await?;
    get_row(&mut tx, id).await?;
    set_password_hash(&mut tx, now, id, &hash, true).await?;
    audit::record(&mut tx, now, who, Event::ok("user.reset_password", "user", id)).await?;
    tx.commit().await?;
    Ok(pw)
}

/// Resets a password by user name, without an actor (the command line).
pub async fn reset_password_cli(db: &Db, now: DateTime<Utc>, username: &str) -> AppResult<String> {
    let id = id_by_name(db, username).await?;
    reset_as(db, &Who::system(&Origin::cli()), now, id).await
}

pub(super) async fn id_by_name(db: &Db, username: &str) -> AppResult<i64> {
    let mut tx = db.read().await?;
    get_by_name(&mut tx, username)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| AppError::Config(format!("用户 {username} 不存在。")))
}

/// The actor a command-line job (such as an import) runs as: an enabled
/// user, named by the operator, whose roles and scope apply.
pub async fn actor_cli(db: &Db, username: &str) -> AppResult<Actor> {
    let mut tx = db.read().await?;
    let u = get_by_name(&mut tx, username)
        .await?
        .ok_or_else(|| AppError::Config(format!("用户 {username} 不存在。")))?;
    if u.disabled {
        return Err(AppError::Config(format!("用户 {username} 已停用。")));
    }
    load_actor(&mut tx, UserId(u.id)).await
}

/// Disables a user by name, without an actor (the command line).
pub async fn disable_cli(db: &Db, now: DateTime<Utc>, username: &str) -> AppResult<()> {
    let id = id_by_name(db, username).await?;
    set_disabled_as(db, &Who::system(&Origin::cli()), now, id, true).await
}

/// Creates a user from the command line with a given or generated password.
/// Roles that read personal data wait for a second person's approval like
/// the administrator's, except for the first approver of an installation
/// (an office account while no enabled one exists), whom nobody could approve.
pub async fn add_cli(
    db: &Db,
    now: DateTime<Utc>,
    policy: &PasswordPolicy,
    f: UserForm,
    password: Option<String>,
) -> AppResult<(i64, String)> {
    let password = password.map(|p| {
        let mut errs = FieldErrors::default();
        if let Err(e) = policy.check(f.username.trim(), &p) {
            errs.add("password", e.to_string());
        }
        (p, errs)
    });
    create_as(db, &Who::system(&Origin::cli()), now, f, password, true).await
}

/// A row of the user list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserListRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_name: Option<String>,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub has_totp: bool,
    pub created_at: DateTime<Utc>,
}

/// Users, searched by user name or name, paged. Administrators only.
pub async fn list(
    db: &Db,
    actor: &Actor,
    search: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<(UserListRow, RoleSet)>, i64)> {
    require(actor, Permission::ManageUsers)?;
    let mut tx = db.read().await?;
    let mut w = Sql::new(" WHERE 1 = 1");
    let s = search.trim();
    if !s.is_empty() {
        w.push(" AND (").like_contains("u.username", s);
        w.push(" OR ").like_contains("u.display_name", s).push(")");
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM users u");
    count.append(&w);
    let total = tx.int(count).await?;
    let mut q = Sql::new(
        "SELECT u.id, u.username, u.display_name, n.name AS unit_name, u.disabled, u.locked_until, (u.totp_secret IS NOT NULL) AS has_totp, u.created_at FROM users u LEFT JOIN units n ON n.id = u.unit_id",
    );
    q.append(&w);
    q.push(" ORDER BY u.id");
    q.page(limit, offset);
    let rows: Vec<UserListRow> = tx.all(q).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let roles = roles_of(&mut tx, r.id).await?;
        out.push((r, roles));
    }
    Ok((out, total))
}

/// One user with roles and scope, for the edit page. Administrators only.
pub async fn get(db: &Db, actor: &Actor, id: UserId) -> AppResult<(UserRow, RoleSet, Vec<Grant>)> {
    let id = id.0;
    require(actor, Permission::ManageUsers)?;
    let mut tx = db.read().await?;
    let u = get_row(&mut tx, id).await?;
    let roles = roles_of(&mut tx, id).await?;
    let grants = grants_of(&mut tx, id).await?;
    Ok((u, roles, grants))
}

/// The signed-in user's own account (profile page, TOTP status).
pub async fn me(db: &Db, user_id: UserId) -> AppResult<UserRow> {
    let user_id = user_id.0;
    let mut tx = db.read().await?;
    get_row(&mut tx, user_id).await
}
