//! Accounts' access over HTTP: the user form round trip, department kinds,
//! and the second person's approval of grants to personal data.

mod common;

use axum::http::StatusCode;
use common::{Agent, TestApp, t0};
use shiminhua_app::both;
use shiminhua_app::store::Db;
use shiminhua_app::users::{self, UserForm};
use shiminhua_app::{Origin, users::UserRow};
use shiminhua_core::auth::{Grant, KindSet, RecordKind, Role, RoleSet};
use shiminhua_core::division::DivisionCode;

both!(user_form_round_trip_keeps_roles_and_grants,);

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).unwrap()
}

fn kinds(ks: &[RecordKind]) -> KindSet {
    ks.iter().copied().collect()
}

fn grant(region: &str, k: KindSet) -> Grant {
    Grant {
        region: code(region),
        kinds: k,
    }
}

async fn admin_actor(app: &TestApp) -> shiminhua_core::auth::Actor {
    let mut tx = app.db.read().await.unwrap();
    users::load_actor(&mut tx, app.ids["admin"]).await.unwrap()
}

async fn stored(app: &TestApp, id: i64) -> (UserRow, RoleSet, Vec<Grant>) {
    users::get(&app.db, &admin_actor(app).await, id).await.unwrap()
}

/// Gives a user these roles and grants through the use cases (the
/// administrator's change, approved by the office where it needs approval).
async fn set_access(app: &TestApp, name: &str, roles: Vec<Role>, grants: Vec<Grant>) {
    let id = app.ids[name];
    let admin = admin_actor(app).await;
    let (row, _, _) = users::get(&app.db, &admin, id).await.unwrap();
    let form = UserForm {
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        unit_id: row.unit_id,
        roles: roles.clone(),
        grants: grants.clone(),
    };
    users::update(&app.db, &admin, &Origin::default(), t0(), id, row.version, form)
        .await
        .unwrap();
    common::approve_pending(app, id).await;
    let (_, r, g) = stored(app, id).await;
    assert_eq!((r, g), (RoleSet::new(roles), grants), "set-up of {name}");
}

/// Decodes the few entities the templates emit.
fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The attributes of one start tag (`<input a="b" c>`): name → value
/// (empty for a bare attribute).
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let body = tag.trim_start_matches('<');
    let body = body.trim_end_matches('>').trim_end_matches('/');
    let mut rest = body.split_once(char::is_whitespace).map_or("", |(_, r)| r);
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = rest[..end].to_ascii_lowercase();
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix('=') {
            let (value, after) = if let Some(r) = r.strip_prefix('"') {
                let close = r.find('"').unwrap();
                (&r[..close], &r[close + 1..])
            } else {
                let close = r.find(char::is_whitespace).unwrap_or(r.len());
                (&r[..close], &r[close..])
            };
            out.push((name, unescape(value)));
            rest = after;
        } else {
            out.push((name, String::new()));
        }
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// What a browser submits for the form posting to `action` in `html`, in
/// document order: text and hidden inputs, checked boxes, and each select's
/// selected option (or its first one).
fn browser_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action}"));
    let start = html[..start].rfind("<form").unwrap();
    let end = start + html[start..].find("</form>").unwrap();
    let form = &html[start..end];
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = form[pos..].find('<') {
        let at = pos + i;
        let close = at + form[at..].find('>').unwrap();
        let tag = &form[at..=close];
        let lower = tag.to_ascii_lowercase();
        pos = close + 1;
        if lower.starts_with("<input") {
            let a = attributes(tag);
            let Some(name) = attr(&a, "name") else { continue };
            if attr(&a, "disabled").is_some() {
                continue;
            }
            let kind = attr(&a, "type").unwrap_or("text").to_ascii_lowercase();
            let value = attr(&a, "value").unwrap_or("").to_string();
            match kind.as_str() {
                "checkbox" | "radio" => {
                    if attr(&a, "checked").is_some() {
                        out.push((name.to_string(), if value.is_empty() { "on".into() } else { value }));
                    }
                }
                "submit" | "button" | "file" | "image" | "reset" => {}
                _ => out.push((name.to_string(), value)),
            }
        } else if lower.starts_with("<select") {
            let a = attributes(tag);
            let end = pos + form[pos..].find("</select>").unwrap();
            let options = &form[pos..end];
            pos = end;
            let Some(name) = attr(&a, "name") else { continue };
            let mut first = None;
            let mut chosen = None;
            let mut p = 0;
            while let Some(j) = options[p..].find("<option") {
                let o = p + j;
                let c = o + options[o..].find('>').unwrap();
                let oa = attributes(&options[o..=c]);
                let text_end = c + 1 + options[c + 1..].find('<').unwrap_or(options.len() - c - 1);
                let value = attr(&oa, "value")
                    .map(str::to_string)
                    .unwrap_or_else(|| unescape(options[c + 1..text_end].trim()));
                if first.is_none() {
                    first = Some(value.clone());
                }
                if chosen.is_none() && attr(&oa, "selected").is_some() {
                    chosen = Some(value);
                }
                p = c + 1;
            }
            if let Some(v) = chosen.or(first) {
                out.push((name.to_string(), v));
            }
        } else if lower.starts_with("<textarea") {
            let a = attributes(tag);
            let end = pos + form[pos..].find("</textarea>").unwrap();
            if let Some(name) = attr(&a, "name") {
                out.push((name.to_string(), unescape(&form[pos..end])));
            }
            pos = end;
        }
    }
    out
}

/// Opens the edit form of `name`, submits it as a browser would without
/// changing anything, and checks that roles and grants are as before.
async fn round_trip(app: &TestApp, admin: &mut Agent, name: &str) {
    let id = app.ids[name];
    let before = stored(app, id).await;
    let action = format!("/admin/users/{id}");
    let page = app.get(admin, &action).await;
    assert_eq!(page.status, StatusCode::OK, "{name}");
    let fields = browser_fields(&page.body, &action);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = app.post(admin, &action, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "saving {name} unchanged: {}", r.body);
    let after = stored(app, id).await;
    assert_eq!(before.1, after.1, "roles of {name} after an unchanged save");
    assert_eq!(before.2, after.2, "grants of {name} after an unchanged save");
    assert_eq!(before.0.unit_id, after.0.unit_id, "unit of {name}");
    assert_eq!(before.0.display_name, after.0.display_name, "name of {name}");
}

async fn user_form_round_trip_keeps_roles_and_grants(db: Db) {
    let app = TestApp::new(db, false).await;
    use RecordKind::*;
    // Several scopes: the whole city, several grants with some kinds each,
    // a township, and a user holding two roles.
    set_access(&app, "lead", vec![Role::Lead], vec![grant("341000", KindSet::all())]).await;
    set_access(
        &app,
        "dept",
        vec![Role::Department],
        vec![
            grant("341000", kinds(&[Schooling])),
            grant("341021", kinds(&[Housing, Employment])),
            grant("341022", kinds(&[Insurance, Settlement, Training])),
        ],
    )
    .await;
    set_access(
        &app,
        "shexian",
        vec![Role::Local],
        vec![
            grant("341021", KindSet::all()),
            grant("341022100", kinds(&[Worker, WageCase])),
        ],
    )
    .await;
    set_access(
        &app,
        "inspector",
        vec![Role::Inspector, Role::Local],
        vec![grant("341004", kinds(&[WageCase, Worker]))],
    )
    .await;
    let mut admin = app.login("admin").await;
    for (name, _, _) in common::USERS {
        round_trip(&app, &mut admin, name).await;
    }
}
