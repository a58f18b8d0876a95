//! User administration (系统管理 › 用户管理).

use super::{Pager, html, parse_id, query_string, with_status};
use crate::error::WebError;
use crate::extract::{Form, ManageUsers, Need};
use crate::layout::Layout;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::users::{self, UserForm};
use shiminhua_app::{AppError, FieldErrors, regions, units};
use shiminhua_core::auth::{Grant, KindSet, RecordKind, Role, RoleSet};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::UserId;
use std::collections::HashMap;

pub struct Row {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit: String,
    pub roles: String,
    pub has_totp: bool,
    pub status: &'static str,
    pub status_class: &'static str,
}

#[derive(Template)]
#[template(path = "users.html")]
struct ListTpl {
    layout: Layout,
    q: String,
    rows: Vec<Row>,
    pager: Pager,
}

pub async fn list(n: Need<ManageUsers>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let search = q.get("q").cloned().unwrap_or_default();
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, query_string(&[("q", &search)]));
    let (rows, total) = users::list(&st.db, &n.actor, &search, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let now = st.clock.now();
    let rows = rows
        .into_iter()
        .map(|(r, roles)| {
            let (status, status_class) = if r.disabled {
                ("已停用", "off")
            } else if r.locked_until.is_some_and(|t| t > now) {
                ("锁定中", "warn")
            } else {
                ("正常", "ok")
            };
            Row {
                id: r.id,
                username: r.username,
                display_name: r.display_name,
                unit: r.unit_name.unwrap_or_default(),
                roles: roles.label_zh(),
                has_totp: r.has_totp,
                status,
                status_class,
            }
        })
        .collect();
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "用户管理")
            .crumb("系统管理", "")
            .crumb("用户管理", ""),
        q: search,
        rows,
        pager,
    }))
}

pub struct GrantRow {
    pub region: String,
    /// (code, label, checked)
    pub kinds: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct FormTpl {
    layout: Layout,
    id: Option<i64>,
    action: String,
    version: i64,
    username: String,
    display_name: String,
    units: Vec<(i64, String, bool)>,
    roles: Vec<(&'static str, &'static str, bool)>,
    regions: Vec<(String, String)>,
    grants: Vec<GrantRow>,
    disabled: bool,
    errors: FieldErrors,
    notice: Option<String>,
    conflict: Option<String>,
    one_time_password: Option<String>,
    /// The roles and scope asked for that wait for a second person.
    pending: Option<String>,
}

/// What the form shows, as entered (kept when the form comes back with errors).
struct Entered {
    username: String,
    display_name: String,
    unit_id: Option<i64>,
    roles: Vec<Role>,
    grants: Vec<(String, KindSet)>,
}

impl Entered {
    /// What is stored for a user, as the form shows it.
    fn stored(u: &users::UserRow, roles: &RoleSet, grants: &[Grant]) -> Entered {
        Entered {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            unit_id: u.unit_id,
            roles: roles.iter().collect(),
            grants: grants.iter().map(|g| (g.region.to_string(), g.kinds)).collect(),
        }
    }
}

fn grant_row(region: String, kinds: KindSet) -> GrantRow {
    GrantRow {
        region,
        kinds: RecordKind::ALL
            .iter()
            .map(|k| (k.code(), k.label_zh(), kinds.contains(*k)))
            .collect(),
    }
}

async fn render_form(
    n: &Need<ManageUsers>,
    id: Option<i64>,
    version: i64,
    disabled: bool,
    e: Entered,
    errors: FieldErrors,
) -> Result<FormTpl, WebError> {
    let st = &n.ctx.state;
    let units = units::all(&st.db, &n.actor)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name, Some(u.id) == e.unit_id))
        .collect();
    let counties = regions::CountyNames::load(&st.db).await?;
    let regions = regions::pickable(&st.db, &n.actor)
        .await?
        .into_iter()
        .map(|r| {
            let indent = "　".repeat((r.level - 2).max(0) as usize);
            (r.display_code(), format!("{indent}{}", counties.full(r.code, &r.name)))
        })
        .collect();
    let mut grants: Vec<GrantRow> = e.grants.iter().map(|(r, k)| grant_row(r.clone(), *k)).collect();
    // New rows offer a department its unit's kinds, and everyone else all.
    let fresh = match e.unit_id {
        Some(u) if e.roles.contains(&Role::Department) => Some(units::default_kinds_of(&st.db, u).await?),
        _ => None,
    }
    .filter(|k| !k.is_empty())
    .unwrap_or_else(KindSet::all);
    for _ in 0..2 {
        grants.push(grant_row(String::new(), fresh));
    }
    let pending = match id {
        Some(id) => users::pending_grant_of(&st.db, &n.actor, UserId(id))
            .await?
            .map(|p| super::grants::access_label(&p.roles, &p.grants)),
        None => None,
    };
    let title = if id.is_some() { "编辑用户" } else { "新建用户" };
    Ok(FormTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), title)
            .crumb("用户管理", "/admin/users")
            .crumb(title, ""),
        action: id.map_or("/admin/users/new".to_string(), |i| format!("/admin/users/{i}")),
        id,
        version,
        username: e.username,
        display_name: e.display_name,
        units,
        roles: Role::ALL
            .iter()
            .map(|r| (r.code(), r.label_zh(), e.roles.contains(r)))
            .collect(),
        regions,
        grants,
        disabled,
        errors,
        notice: None,
        conflict: None,
        one_time_password: None,
        pending,
    })
}

pub async fn new_page(n: Need<ManageUsers>) -> Result<Response, WebError> {
    let e = Entered {
        username: String::new(),
        display_name: String::new(),
        unit_id: None,
        roles: vec![],
        grants: vec![],
    };
    Ok(html(&render_form(&n, None, 0, false, e, FieldErrors::default()).await?))
}

/// Parses the posted form; errors in the scope rows are reported as field errors.
fn parse(form: &Form) -> (Entered, UserForm, FieldErrors) {
    let mut errs = FieldErrors::default();
    let unit_id = form.get("unit_id").parse::<i64>().ok();
    let roles: Vec<Role> = form.all("roles").iter().filter_map(|c| Role::from_code(c)).collect();
    let rows = form.get("grant_rows").parse::<usize>().unwrap_or(0).min(50);
    let mut entered_grants = Vec::new();
    let mut grants = Vec::new();
    for i in 0..rows {
        let region = form.get(&format!("region_{i}")).to_string();
        let kinds: KindSet = form
            .all(&format!("kinds_{i}"))
            .iter()
            .filter_map(|c| RecordKind::from_code(c))
            .collect();
        if region.is_empty() {
            continue;
        }
        entered_grants.push((region.clone(), kinds));
        match DivisionCode::parse(&region) {
            Ok(code) if !kinds.is_empty() => grants.push(Grant { region: code, kinds }),
            Ok(_) => errs.add("scopes", format!("请为区划 {region} 至少选择一个业务类别")),
            Err(e) => errs.add("scopes", e.to_string()),
        }
    }
    let entered = Entered {
        username: form.get("username").to_string(),
        display_name: form.get("display_name").to_string(),
        unit_id,
        roles: roles.clone(),
        grants: entered_grants,
    };
    let uf = UserForm {
        username: entered.username.clone(),
        display_name: entered.display_name.clone(),
        unit_id,
        roles,
        grants,
    };
    (entered, uf, errs)
}

pub async fn create(n: Need<ManageUsers>, form: Form) -> Result<Response, WebError> {
    let (entered, uf, mut errs) = parse(&form);
    let st = &n.ctx.state;
    let result = if errs.is_empty() {
        users::create(&st.db, &n.actor, &n.ctx.origin, st.clock.now(), uf).await
    } else {
        Err(AppError::Validation(FieldErrors::default()))
    };
    match result {
        Ok((id, pw)) => {
            let (u, roles, grants) = users::get(&st.db, &n.actor, UserId(id)).await?;
            let e = Entered::stored(&u, &roles, &grants);
            let mut t = render_form(&n, Some(id), u.version, false, e, FieldErrors::default()).await?;
            t.notice = Some(format!("用户 {} 已创建。", t.username));
            t.one_time_password = Some(pw);
            Ok(with_status(html(&t), StatusCode::CREATED))
        }
        Err(AppError::Validation(more)) => {
            errs.0.extend(more.0);
            let t = render_form(&n, None, 0, false, entered, errs).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_page(
    n: Need<ManageUsers>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (u, roles, grants) = users::get(&n.ctx.state.db, &n.actor, UserId(id)).await?;
    let e = Entered::stored(&u, &roles, &grants);
    let mut t = render_form(&n, Some(id), u.version, u.disabled, e, FieldErrors::default()).await?;
    t.notice = match q.get("done").map(String::as_str) {
        Some("saved") => Some("已保存。".into()),
        Some("disabled") => Some("账户已停用，其登录会话已全部失效。".into()),
        Some("enabled") => Some("账户已启用。".into()),
        _ => None,
    };
    Ok(html(&t))
}

pub async fn update(n: Need<ManageUsers>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (entered, uf, mut errs) = parse(&form);
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let st = &n.ctx.state;
    let result = if errs.is_empty() {
        users::update(&st.db, &n.actor, &n.ctx.origin, st.clock.now(), id, version, uf).await
    } else {
        Err(AppError::Validation(FieldErrors::default()))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}?done=saved")).into_response()),
        Err(AppError::Validation(more)) => {
            errs.0.extend(more.0);
            let (u, _, _) = users::get(&st.db, &n.actor, UserId(id)).await?;
            let t = render_form(&n, Some(id), version, u.disabled, entered, errs).await?;
            Ok(with_status(html(&t), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(msg)) => {
            // Keep what the user typed; the version stays the old one so a
            // second save is refused too until the page is reloaded.
            let (u, _, _) = users::get(&st.db, &n.actor, UserId(id)).await?;
            let mut t = render_form(&n, Some(id), version, u.disabled, entered, errs).await?;
            t.conflict = Some(msg);
            Ok(with_status(html(&t), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn disable(n: Need<ManageUsers>, Path(id): Path<String>, _form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    users::set_disabled(&st.db, &n.actor, &n.ctx.origin, st.clock.now(), id, true).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?done=disabled")).into_response())
}

pub async fn enable(n: Need<ManageUsers>, Path(id): Path<String>, _form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    users::set_disabled(&st.db, &n.actor, &n.ctx.origin, st.clock.now(), id, false).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?done=enabled")).into_response())
}

pub async fn reset_password(n: Need<ManageUsers>, Path(id): Path<String>, _form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    let pw = users::reset_password(&st.db, &n.actor, &n.ctx.origin, st.clock.now(), UserId(id)).await?;
    let (u, roles, grants) = users::get(&st.db, &n.actor, UserId(id)).await?;
    let e = Entered::stored(&u, &roles, &grants);
    let mut t = render_form(&n, Some(id), u.version, u.disabled, e, FieldErrors::default()).await?;
    t.notice = Some("密码已重置，该用户的登录会话已全部失效。".into());
    t.one_time_password = Some(pw);
    Ok(html(&t))
}
