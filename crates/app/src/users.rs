//! Accounts (用户): creation, roles and scopes, passwords, sign-in with
//! lockout, and the TOTP second factor.

use crate::audit::{self, Event, Who};
use crate::config::Security;
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{Db, Sql, Tx};
use crate::{Origin, require};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use shiminhua_core::auth::{Actor, Grant, KindSet, Permission, Role, RoleSet, Scope, interim_access, widens_pii};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::UserId;
use shiminhua_core::password::PasswordPolicy;
use shiminhua_core::totp::TotpSecret;

/// The one message for every sign-in failure: it never tells whether the
/// user exists, the password was wrong or the account is locked.
pub const LOGIN_FAILED: &str = "用户名或密码错误，或账户已被暂时锁定。连续失败5次将锁定15分钟，请稍后再试。";

pub async fn hash_password(pw: &str) -> AppResult<String> {
    let pw = pw.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

pub async fn verify_password(pw: &str, hash: &str) -> bool {
    let (pw, hash) = (pw.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(pw.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// A random one-time password that satisfies the policy (no look-alike characters).
pub fn one_time_password() -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const OTHER: &[u8] = b"#%+=@";
    let mut rng = rand::rng();
    let mut pick = |set: &[u8]| set[rng.random_range(0..set.len())] as char;
    let mut s = String::new();
    for i in 0..12 {
        s.push(match i % 4 {
            0 => pick(UPPER),
            1 => pick(LOWER),
            2 => pick(DIGIT),
            _ => pick(if i == 11 { OTHER } else { LOWER }),
        });
    }
    s
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: Option<i64>,
    pub password_hash: String,
    pub password_changed_at: DateTime<Utc>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub demo: bool,
    pub failed_count: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const USER_COLUMNS: &str = "SELECT id, username, display_name, unit_id, password_hash, password_changed_at, must_change_password, disabled, demo, failed_count, locked_until, totp_secret, totp_last_step, created_at, updated_at, version FROM users";

pub(crate) async fn get_row(tx: &mut Tx, id: i64) -> AppResult<UserRow> {
    let mut q = Sql::new(USER_COLUMNS);
    q.push(" WHERE id = ").arg(id);
    tx.one(q).await
}

async fn get_by_name(tx: &mut Tx, username: &str) -> AppResult<Option<UserRow>> {
    let mut q = Sql::new(USER_COLUMNS);
    q.push(" WHERE username = ").arg(username);
    tx.opt(q).await
}

pub(crate) async fn roles_of(tx: &mut Tx, id: i64) -> AppResult<RoleSet> {
    let rows: Vec<(String,)> = tx
        .all(Sql::new("SELECT role FROM user_roles WHERE user_id = $1").bind(id))
        .await?;
    Ok(RoleSet::new(
        rows.iter().filter_map(|(r,)| Role::from_code(r)).collect(),
    ))
}

pub(crate) async fn grants_of(tx: &mut Tx, id: i64) -> AppResult<Vec<Grant>> {
    let rows: Vec<(i64, i64)> = tx
        .all(Sql::new("SELECT region_code, kinds FROM user_scopes WHERE user_id = $1 ORDER BY id").bind(id))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, kinds)| {
            Some(Grant {
                region: DivisionCode::from_i64(code).ok()?,
                kinds: KindSet::from_bits(kinds),
            })
        })
        .collect())
}

/// Builds the [`Actor`] of a signed-in user.
pub async fn load_actor(tx: &mut Tx, id: UserId) -> AppResult<Actor> {
    let id = id.0;
    let u = get_row(tx, id).await?;
    let roles = roles_of(tx, id).await?;
    // Only business roles carry a data scope.
    let scope = if roles.iter().any(Role::needs_scope) {
        Scope::new(grants_of(tx, id).await?)
    } else {
        Scope::default()
    };
    Ok(Actor {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        roles,
        scope,
        unit_id: u.unit_id,
    })
}

/// What an administrator enters for a user.
#[derive(Clone, Debug, Default)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub unit_id: Option<i64>,
    pub roles: Vec<Role>,
    pub grants: Vec<Grant>,
}

fn validate_form(f: &UserForm, errs: &mut FieldErrors) {
    let name = f.username.trim();
    if name.is_empty() {
        errs.add("username", "请填写用户名");
    } else if name.chars().count() < 3
        || name.chars().count() > 32
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        errs.add("username", "用户名应为3至32位字母、数字、下划线、点或连字符");
    }
    let dn = f.display_name.trim();
    if dn.is_empty() {
        errs.add("display_name", "请填写姓名");
    } else if dn.chars().count() > 32 {
        errs.add("display_name", "姓名不能超过32个字");
    }
    if f.roles.is_empty() {
        errs.add("roles", "请至少选择一个角色");
    }
    if f.roles.iter().any(|r| r.needs_scope()) && f.grants.is_empty() {
        errs.add("scopes", "业务角色必须设置数据范围（区划和业务类别）");
    }
}

async fn check_refs(tx: &mut Tx, f: &UserForm, errs: &mut FieldErrors) -> AppResult<()> {
    if let Some(u) = f.unit_id {
        let n = tx
            .int(Sql::new("SELECT COUNT(*) FROM units WHERE id = $1").bind(u))
            .await?;
        if n == 0 {
            errs.add("unit_id", "所选单位不存在");
        }
    }
    for g in &f.grants {
        let n = tx
            .int(Sql::new("SELECT COUNT(*) FROM regions WHERE code = $1").bind(g.region.as_i64()))
            .await?;
        if n == 0 {
            errs.add("scopes", format!("区划 {} 不存在", g.region));
        }
    }
    Ok(())
}

async fn write_roles_and_scopes(tx: &mut Tx, id: i64, f: &UserForm) -> AppResult<()> {
    tx.exec(Sql::new("DELETE FROM user_roles WHERE user_id = $1").bind(id))
        .await?;
    tx.exec(Sql::new("DELETE FROM user_scopes WHERE user_id = $1").bind(id))
        .await?;
    for r in RoleSet::new(f.roles.clone()).iter() {
        tx.exec(
            Sql::new("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(r.code()),
        )
        .await?;
    }
    for g in &f.grants {
        tx.exec(
            Sql::new("INSERT INTO user_scopes (user_id, region_code, kinds) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(g.region.as_i64())
                .bind(g.kinds.bits()),
        )
        .await?;
    }
    Ok(())
}

fn describe(f: &UserForm) -> String {
    let roles = RoleSet::new(f.roles.clone()).codes();
    let scopes: Vec<String> = f
        .grants
        .iter()
        .map(|g| format!("{}:{}", g.region, g.kinds.bits()))
        .collect();
    format!("roles={roles}; scopes={}", scopes.join(","))
}

/// Inserts a user without permission checks (set-up and the command line).
pub(crate) async fn insert_user(
    tx: &mut Tx,
    now: DateTime<Utc>,
    f: &UserForm,
    password_hash: &str,
    must_change: bool,
    demo: bool,
) -> AppResult<i64> {
    let id = tx
        .int(
            Sql::new(
                "INSERT INTO users (username, display_name, unit_id, password_hash, password_changed_at, must_change_password, disabled, demo, failed_count, created_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $5, $5, 1) RETURNING id",
            )
            .bind(f.username.trim())
            .bind(f.display_name.trim())
            .bind(f.unit_id)
            .bind(password_hash)
            .bind(now)
            .bind(must_change)
            .bind(false)
            .bind(demo),
        )
        .await
        .map_err(crate::store::unique_as("username", "该用户名已被使用"))?;
    write_roles_and_scopes(tx, id, f).await?;
    tx.exec(
        Sql::new("INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(password_hash)
            .bind(now),
    )
    .await?;
    Ok(id)
}

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
async fn create_as(
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

/// Whether an enabled account holds (approved) the right to approve grants.
async fn has_approver(tx: &mut Tx) -> AppResult<bool> {
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
async fn request_grant(tx: &mut Tx, now: DateTime<Utc>, who: &Who, id: i64, f: &UserForm) -> AppResult<()> {
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
async fn supersede(tx: &mut Tx, now: DateTime<Utc>, id: i64) -> AppResult<()> {
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

fn scopes_text(grants: &[Grant]) -> String {
    grants
        .iter()
        .map(|g| format!("{}:{}", g.region, g.kinds.bits()))
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_scopes(text: &str) -> Vec<Grant> {
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

fn parse_roles(text: &str) -> RoleSet {
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
struct PendingRow {
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

const PENDING_COLUMNS: &str = "SELECT g.id, g.user_id, u.username, u.display_name, n.name AS unit_name, g.roles, g.scopes, \
     g.requested_by, q.username AS requester_name, g.requested_at \
     FROM grant_requests g JOIN users u ON u.id = g.user_id LEFT JOIN units n ON n.id = u.unit_id \
     LEFT JOIN users q ON q.id = g.requested_by WHERE g.status = 'pending'";

async fn pending_rows(tx: &mut Tx, q: Sql) -> AppResult<Vec<PendingGrant>> {
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

async fn set_disabled_as(db: &Db, who: &Who, now: DateTime<Utc>, id: i64, disabled: bool) -> AppResult<()> {
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

async fn reset_as(db: &Db, who: &Who, now: DateTime<Utc>, id: i64) -> AppResult<String> {
    let pw = one_time_password();
    let hash = hash_password(&pw).await?;
    let mut tx = db.write().await?;
    get_row(&mut tx, id).await?;
    set_password_hash(&mut tx, now, id, &hash, true).await?;
    audit::record(&mut tx, now, who, Event::ok("user.reset_password", "user", id)).await?;
    tx.commit().await?;
    Ok(pw)
}

async fn set_password_hash(tx: &mut Tx, now: DateTime<Utc>, id: i64, hash: &str, must_change: bool) -> AppResult<()> {
    tx.exec(
        Sql::new(
            "UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = $3, failed_count = 0, locked_until = NULL, updated_at = $2, version = version + 1 WHERE id = $4",
        )
        .bind(hash)
        .bind(now)
        .bind(must_change)
        .bind(id),
    )
    .await?;
    tx.exec(Sql::new("DELETE FROM sessions WHERE user_id = $1").bind(id))
        .await?;
    tx.exec(
        Sql::new("INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(hash)
            .bind(now),
    )
    .await?;
    Ok(())
}

/// Resets a password by user name, without an actor (the command line).
pub async fn reset_password_cli(db: &Db, now: DateTime<Utc>, username: &str) -> AppResult<String> {
    let id = id_by_name(db, username).await?;
    reset_as(db, &Who::system(&Origin::cli()), now, id).await
}

async fn id_by_name(db: &Db, username: &str) -> AppResult<i64> {
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

/// What a user types to change their password.
#[derive(Clone, Copy, Debug)]
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub confirm: &'a str,
}

/// The user's own password change: checks the current password, the policy and the history.
pub async fn change_password(
    db: &Db,
    user_id: i64,
    origin: &Origin,
    now: DateTime<Utc>,
    policy: &PasswordPolicy,
    input: &PasswordChange<'_>,
) -> AppResult<()> {
    let PasswordChange { current, new, confirm } = *input;
    let mut tx = db.read().await?;
    let u = get_row(&mut tx, user_id).await?;
    let history: Vec<(String,)> = tx
        .all(
            Sql::new("SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(user_id)
                .bind(policy.history as i64),
        )
        .await?;
    drop(tx);
    let mut errs = FieldErrors::default();
    if !verify_password(current, &u.password_hash).await {
        errs.add("current", "当前密码不正确");
    }
    if new != confirm {
        errs.add("confirm", "两次输入的新密码不一致");
    }
    if let Err(e) = policy.check(&u.username, new) {
        errs.add("new", e.to_string());
    } else {
        for (h,) in &history {
            if verify_password(new, h).await {
                errs.add("new", policy.reused().to_string());
                break;
            }
        }
    }
    let who = Who::user(u.id, &u.username, &RoleSet::default(), origin);
    if !errs.is_empty() {
        audit::record_alone(db, now, &who, Event::failed("password.change", "user", u.id)).await?;
        return Err(AppError::Validation(errs));
    }
    let hash = hash_password(new).await?;
    let mut tx = db.write().await?;
    set_password_hash(&mut tx, now, u.id, &hash, false).await?;
    audit::record(&mut tx, now, &who, Event::ok("password.change", "user", u.id)).await?;
    tx.commit().await
}

/// What a correct password leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Fully signed in.
    Done,
    /// Must enter the TOTP code.
    Totp,
    /// Must enrol a TOTP authenticator (administrators).
    EnrolTotp,
    /// Must change the one-time or expired password.
    ChangePassword { expired: bool },
}

#[derive(Clone, Debug)]
pub struct SignIn {
    pub user_id: i64,
    pub next: NextStep,
}

/// The rules sign-in applies.
#[derive(Clone, Copy, Debug)]
pub struct SignInRules<'a> {
    pub security: &'a Security,
    pub policy: &'a PasswordPolicy,
    /// The server runs with `--demo`.
    pub demo: bool,
}

/// Checks a user name and password, with lockout. Every outcome is audited.
/// `demo` is true when the server runs with `--demo`: demo accounts then skip
/// the forced change and the second factor.
pub async fn authenticate(
    db: &Db,
    origin: &Origin,
    now: DateTime<Utc>,
    rules: &SignInRules<'_>,
    username: &str,
    password: &str,
) -> AppResult<SignIn> {
    let SignInRules {
        security: sec,
        policy,
        demo,
    } = *rules;
    let username = username.trim();
    let mut tx = db.read().await?;
    let user = if username.is_empty() {
        None
    } else {
        get_by_name(&mut tx, username).await?
    };
    drop(tx);
    let who = Who::anonymous(username, origin);
    let Some(u) = user else {
        // Spend the same time as for a real account.
        let _ = verify_password(password, DUMMY_HASH).await;
        audit::record_alone(db, now, &who, Event::failed("login", "user", "").detail("unknown user")).await?;
        return Err(AppError::Auth(LOGIN_FAILED.into()));
    };
    let locked = u.locked_until.is_some_and(|t| t > now);
    let ok = verify_password(password, &u.password_hash).await;
    let mut tx = db.write().await?;
    if locked || u.disabled || !ok {
        let reason = if u.disabled {
            "disabled"
        } else if locked {
            "locked"
        } else {
            "bad password"
        };
        if !locked && !u.disabled {
            note_failure(&mut tx, now, sec, u.id).await?;
        }
        audit::record(&mut tx, now, &who, Event::failed("login", "user", u.id).detail(reason)).await?;
        tx.commit().await?;
        return Err(AppError::Auth(LOGIN_FAILED.into()));
    }
    tx.exec(Sql::new("UPDATE users SET failed_count = 0, locked_until = NULL WHERE id = $1").bind(u.id))
        .await?;
    let roles = roles_of(&mut tx, u.id).await?;
    let next = next_step(&u, &roles, policy, now, demo);
    let who = Who {
        actor_id: Some(u.id),
        role: roles.codes(),
        ..who
    };
    let detail = match next {
        NextStep::Done => "",
        NextStep::Totp => "awaiting second factor",
        NextStep::EnrolTotp => "must enrol second factor",
        NextStep::ChangePassword { .. } => "must change password",
    };
    audit::record(&mut tx, now, &who, Event::ok("login", "user", u.id).detail(detail)).await?;
    tx.commit().await?;
    Ok(SignIn { user_id: u.id, next })
}

/// What a user who proved their password must do next.
fn next_step(u: &UserRow, roles: &RoleSet, policy: &PasswordPolicy, now: DateTime<Utc>, demo: bool) -> NextStep {
    if demo && u.demo {
        NextStep::Done
    } else if u.must_change_password {
        NextStep::ChangePassword { expired: false }
    } else if policy.is_expired(u.password_changed_at, now) {
        NextStep::ChangePassword { expired: true }
    } else if u.totp_secret.is_some() {
        NextStep::Totp
    } else if roles.contains(Role::Admin) {
        NextStep::EnrolTotp
    } else {
        NextStep::Done
    }
}

/// The next step of a user who is part-way through signing in (after a
/// forced password change, say).
pub async fn next_step_for(
    db: &Db,
    user_id: i64,
    policy: &PasswordPolicy,
    now: DateTime<Utc>,
    demo: bool,
) -> AppResult<NextStep> {
    let mut tx = db.read().await?;
    let u = get_row(&mut tx, user_id).await?;
    let roles = roles_of(&mut tx, user_id).await?;
    Ok(next_step(&u, &roles, policy, now, demo))
}

async fn note_failure(tx: &mut Tx, now: DateTime<Utc>, sec: &Security, id: i64) -> AppResult<()> {
    let (count,): (i32,) = tx
        .one(Sql::new("UPDATE users SET failed_count = failed_count + 1 WHERE id = $1 RETURNING failed_count").bind(id))
        .await?;
    if i64::from(count) >= sec.lockout_threshold {
        tx.exec(
            Sql::new("UPDATE users SET failed_count = 0, locked_until = $1 WHERE id = $2")
                .bind(now + Duration::minutes(sec.lockout_minutes))
                .bind(id),
        )
        .await?;
    }
    Ok(())
}

/// An argon2id hash of a random string, verified against for unknown users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2hpbWluaHVhLWR1bW15$8f2GgUyJg2pX6mJ2n4wq0m2mQ0jD7m6QyJb3vZ0a3o8";

/// What a user's TOTP secret is bound to when sealed.
pub(crate) fn totp_context(user_id: i64) -> String {
    format!("users.totp_secret:{user_id}")
}

/// Checks a TOTP code for a user who passed the password step.
pub async fn verify_totp(
    db: &Db,
    cipher: &Cipher,
    user_id: i64,
    origin: &Origin,
    now: DateTime<Utc>,
    sec: &Security,
    code: &str,
) -> AppResult<()> {
    let mut tx = db.write().await?;
    let u = get_row(&mut tx, user_id).await?;
    let who = Who::user(u.id, &u.username, &roles_of(&mut tx, u.id).await?, origin);
    let secret = match &u.totp_secret {
        Some(sealed) => Some(TotpSecret::from_bytes(cipher.open(&totp_context(u.id), sealed)?)),
        None => None,
    };
    let matched = secret.and_then(|s| s.verify(code, now.timestamp(), 1));
    let fresh = matched.filter(|step| u.totp_last_step.is_none_or(|last| *step > last));
    let locked = u.locked_until.is_some_and(|t| t > now);
    match fresh {
        Some(step) if !locked && !u.disabled => {
            tx.exec(
                Sql::new("UPDATE users SET totp_last_step = $1, failed_count = 0 WHERE id = $2")
                    .bind(step)
                    .bind(u.id),
            )
            .await?;
            audit::record(&mut tx, now, &who, Event::ok("login.totp", "user", u.id)).await?;
            tx.commit().await
        }
        _ => {
            if !locked {
                note_failure(&mut tx, now, sec, u.id).await?;
            }
            audit::record(&mut tx, now, &who, Event::failed("login.totp", "user", u.id)).await?;
            tx.commit().await?;
            Err(AppError::field(
                "code",
                "动态口令不正确或已使用，请输入认证器上最新的6位数字",
            ))
        }
    }
}

/// Stores a new TOTP secret once the user proved they can generate codes with it.
pub async fn enrol_totp(
    db: &Db,
    cipher: &Cipher,
    user_id: i64,
    origin: &Origin,
    now: DateTime<Utc>,
    secret_b32: &str,
    code: &str,
) -> AppResult<()> {
    let secret = TotpSecret::from_base32(secret_b32)
        .filter(|s| s.as_bytes().len() >= 16)
        .ok_or_else(|| AppError::field("code", "密钥无效，请刷新页面重新绑定"))?;
    let Some(step) = secret.verify(code, now.timestamp(), 1) else {
        return Err(AppError::field(
            "code",
            "动态口令不正确，请核对手机时间后输入认证器上最新的6位数字",
        ));
    };
    let mut tx = db.write().await?;
    let u = get_row(&mut tx, user_id).await?;
    tx.exec(
        Sql::new("UPDATE users SET totp_secret = $1, totp_last_step = $2, updated_at = $3, version = version + 1 WHERE id = $4")
            .bind(cipher.seal(&totp_context(u.id), secret.as_bytes())?)
            .bind(step)
            .bind(now)
            .bind(u.id),
    )
    .await?;
    let who = Who::user(u.id, &u.username, &roles_of(&mut tx, u.id).await?, origin);
    audit::record(&mut tx, now, &who, Event::ok("totp.enrol", "user", u.id)).await?;
    tx.commit().await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_satisfy_the_policy() {
        let p = PasswordPolicy::default();
        for _ in 0..200 {
            let pw = one_time_password();
            assert_eq!(pw.len(), 12);
            p.check("someone", &pw).unwrap();
        }
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
