//! The account form: its checks, and writing its roles and scopes.

use crate::error::{AppResult, FieldErrors};
use crate::store::{Sql, Tx};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::{Grant, Role, RoleSet};

/// What an administrator enters for a user.
#[derive(Clone, Debug, Default)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub unit_id: Option<i64>,
    pub roles: Vec<Role>,
    pub grants: Vec<Grant>,
}

pub(super) fn validate_form(f: &UserForm, errs: &mut FieldErrors) {
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

pub(super) async fn check_refs(tx: &mut Tx, f: &UserForm, errs: &mut FieldErrors) -> AppResult<()> {
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

pub(super) async fn write_roles_and_scopes(tx: &mut Tx, id: i64, f: &UserForm) -> AppResult<()> {
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

pub(super) fn describe(f: &UserForm) -> String {
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
