//! Accounts' access over HTTP: the user form round trip, department kinds,
//! and the second person's approval of grants to personal data.

use crate::common::{Agent, TestApp, t0};
use axum::http::StatusCode;
use shiminhua_app::both;
use shiminhua_app::store::Db;
use shiminhua_app::users::{self, UserForm};
use shiminhua_app::{Origin, users::UserRow};
use shiminhua_core::auth::{Grant, KindSet, RecordKind, Role, RoleSet};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::UserId;

both!(
    user_form_round_trip_keeps_roles_and_grants,
    personal_data_grants_need_a_second_person,
    departments_and_inspectors_see_only_their_workers,
    a_department_is_offered_its_units_kinds,
);

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
    users::load_actor(&mut tx, UserId(app.ids["admin"])).await.unwrap()
}

async fn stored(app: &TestApp, id: i64) -> (UserRow, RoleSet, Vec<Grant>) {
    users::get(&app.db, &admin_actor(app).await, UserId(id)).await.unwrap()
}

/// Gives a user these roles and grants through the use cases (the
/// administrator's change, approved by the office where it needs approval).
async fn set_access(app: &TestApp, name: &str, roles: Vec<Role>, grants: Vec<Grant>) {
    let id = app.ids[name];
    let admin = admin_actor(app).await;
    let (row, _, _) = users::get(&app.db, &admin, UserId(id)).await.unwrap();
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
    crate::common::approve_pending(app, id).await;
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
    for (name, _, _) in crate::common::USERS {
        round_trip(&app, &mut admin, name).await;
    }
}

/// The password of a new account, changed from its one-time one.
async fn first_sign_in(app: &TestApp, name: &str, otp: &str) -> Agent {
    let mut u = Agent::default();
    let csrf = app.get(&mut u, "/login").await.csrf();
    let r = app
        .post(
            &mut u,
            "/login",
            &[("csrf", &csrf), ("username", name), ("password", otp)],
        )
        .await;
    assert_eq!(r.location(), "/account/password");
    let page = app.get(&mut u, "/account/password").await;
    let r = app
        .post(
            &mut u,
            "/account/password",
            &[
                ("csrf", &page.csrf()),
                ("current", otp),
                ("new", "Huangshan#2026"),
                ("confirm", "Huangshan#2026"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/");
    u
}

/// The first form on the page posting to `/grants/…/{verb}`.
fn grant_action(html: &str, verb: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = html[from..].find("action=\"/grants/") {
        let start = from + i + "action=\"".len();
        let end = start + html[start..].find('"').unwrap();
        if html[start..end].ends_with(verb) {
            return Some(html[start..end].to_string());
        }
        from = end;
    }
    None
}

async fn audited(db: &Db, action: &str, user_id: i64) -> i64 {
    db.read()
        .await
        .unwrap()
        .int(
            shiminhua_app::store::Sql::new("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND object_id = $2")
                .bind(action)
                .bind(user_id.to_string()),
        )
        .await
        .unwrap()
}

async fn personal_data_grants_need_a_second_person(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut admin = app.login("admin").await;
    // The administrator creates an office account and signs in with it.
    let form = app.get(&mut admin, "/admin/users/new").await;
    let r = app
        .post(
            &mut admin,
            "/admin/users/new",
            &[
                ("csrf", &form.csrf()),
                ("username", "office2"),
                ("display_name", "第二办公室"),
                ("roles", "office"),
                ("grant_rows", "1"),
                ("region_0", "341000"),
                ("kinds_0", "worker"),
                ("kinds_0", "employment"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body.contains("待审批"), "{}", r.body);
    let otp = {
        let i = r.body.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
        r.body[i..i + 12].to_string()
    };
    let mut mine = first_sign_in(&app, "office2", &otp).await;
    let id = {
        let mut tx = db.read().await.unwrap();
        let (id,): (i64,) = tx
            .one(shiminhua_app::store::Sql::new(
                "SELECT id FROM users WHERE username = 'office2'",
            ))
            .await
            .unwrap();
        id
    };
    // Signed in, but the grant is not in effect: no personal data, no approving.
    for path in ["/workers", "/grants", "/records?kind=employment"] {
        assert_eq!(app.get(&mut mine, path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, roles, grants) = stored(&app, id).await;
    assert!(roles.is_empty() && grants.is_empty(), "{roles:?} {grants:?}");
    assert_eq!(audited(&db, "grant.request", id).await, 1);
    // The administrator cannot approve it; the form says it waits.
    assert_eq!(app.get(&mut admin, "/grants").await.status, StatusCode::FORBIDDEN);
    assert!(
        app.get(&mut admin, &format!("/admin/users/{id}"))
            .await
            .body
            .contains("待审批")
    );
    // The office (a different person) approves it.
    let mut office = app.login("office").await;
    let list = app.get(&mut office, "/grants").await;
    assert!(
        list.body.contains("office2") && list.body.contains("admin"),
        "{}",
        list.body
    );
    let approve = grant_action(&list.body, "/approve").unwrap();
    let r = app.post(&mut office, &approve, &[("csrf", &list.csrf())]).await;
    assert_eq!(r.location(), "/grants?done=approved");
    assert_eq!(audited(&db, "grant.approve", id).await, 1);
    let (_, roles, grants) = stored(&app, id).await;
    assert_eq!(roles, RoleSet::new(vec![Role::Office]));
    assert_eq!(
        grants,
        vec![grant("341000", kinds(&[RecordKind::Worker, RecordKind::Employment]))]
    );
    assert_eq!(app.get(&mut mine, "/workers").await.status, StatusCode::OK);
    // Approving again finds nothing to approve.
    let r = app.post(&mut office, &approve, &[("csrf", &list.csrf())]).await;
    assert_eq!(r.location(), "/grants?done=gone");
    // A wider grant for office2 waits again; office2 cannot approve its own.
    let page = app.get(&mut admin, &format!("/admin/users/{id}")).await;
    let mut fields = browser_fields(&page.body, &format!("/admin/users/{id}"));
    fields.push(("roles".into(), "local".into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = app.post(&mut admin, &format!("/admin/users/{id}"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (_, roles, _) = stored(&app, id).await;
    assert_eq!(roles, RoleSet::new(vec![Role::Office]), "the new role waits");
    let list = app.get(&mut mine, "/grants").await;
    assert!(list.body.contains("须由他人审批"), "{}", list.body);
    let pending = users::pending_grant_of_any(&db, UserId(id)).await.unwrap().unwrap();
    let r = app
        .post(
            &mut mine,
            &format!("/grants/{pending}/approve"),
            &[("csrf", &list.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("不能审批授予自己的权限"), "{}", r.body);
    assert_eq!(audited(&db, "grant.approve", id).await, 2, "the refusal is audited too");
    // The office rejects it: office2 keeps what it had.
    let list = app.get(&mut office, "/grants").await;
    let reject = grant_action(&list.body, "/reject").unwrap();
    let r = app.post(&mut office, &reject, &[("csrf", &list.csrf())]).await;
    assert_eq!(r.location(), "/grants?done=rejected");
    assert_eq!(audited(&db, "grant.reject", id).await, 1);
    let (_, roles, _) = stored(&app, id).await;
    assert_eq!(roles, RoleSet::new(vec![Role::Office]));
    assert!(users::pending_grant_of_any(&db, UserId(id)).await.unwrap().is_none());

    // Whoever asked cannot approve, even holding the right to: an account
    // that is both administrator and office (from the command line, so its
    // office role waits for the office as well).
    let policy = shiminhua_core::password::PasswordPolicy::default();
    let dual = UserForm {
        username: "dual".into(),
        display_name: "双重角色".into(),
        unit_id: None,
        roles: vec![Role::Admin, Role::Office],
        grants: vec![grant("341000", KindSet::all())],
    };
    let (dual_id, _) = users::add_cli(&db, t0(), &policy, dual, None).await.unwrap();
    let (_, roles, _) = stored(&app, dual_id).await;
    assert_eq!(roles, RoleSet::new(vec![Role::Admin]), "the command line asks too");
    crate::common::approve_pending(&app, dual_id).await;
    let dual = {
        let mut tx = db.read().await.unwrap();
        users::load_actor(&mut tx, UserId(dual_id)).await.unwrap()
    };
    let local = UserForm {
        username: "local2".into(),
        display_name: "乡镇二".into(),
        unit_id: None,
        roles: vec![Role::Local],
        grants: vec![grant("341021", KindSet::all())],
    };
    let (local_id, _) = users::create(&db, &dual, &Origin::default(), t0(), local)
        .await
        .unwrap();
    let req = users::pending_grant_of_any(&db, UserId(local_id))
        .await
        .unwrap()
        .unwrap();
    match users::decide_grant(&db, &dual, &Origin::default(), t0(), req, true).await {
        Err(shiminhua_app::AppError::Conflict(m)) => assert!(m.contains("提出授权申请的人不能审批"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(stored(&app, local_id).await.1.is_empty());
    // Narrowing takes effect at once, and cancels what waited.
    let (row, _, _) = stored(&app, id).await;
    let narrower = UserForm {
        username: "office2".into(),
        display_name: row.display_name.clone(),
        unit_id: None,
        roles: vec![Role::Office],
        grants: vec![grant("341021", kinds(&[RecordKind::Worker]))],
    };
    users::update(
        &db,
        &admin_actor(&app).await,
        &Origin::default(),
        t0(),
        id,
        row.version,
        narrower,
    )
    .await
    .unwrap();
    assert_eq!(
        stored(&app, id).await.2,
        vec![grant("341021", kinds(&[RecordKind::Worker]))]
    );
    assert!(users::pending_grant_of_any(&db, UserId(id)).await.unwrap().is_none());
}

async fn departments_and_inspectors_see_only_their_workers(db: Db) {
    use shiminhua_core::case::CaseInput;
    let app = TestApp::new(db.clone(), false).await;
    let workers = app
        .workers_in(&["341021100", "341022100", "341004100", "341004101"])
        .await;
    // Employment records of the workers of 歙县 and 徽州区.
    let with_record: std::collections::HashMap<String, i64> = ["341021100", "341004100", "341004101"]
        .into_iter()
        .map(|t| (t.to_string(), workers[t]))
        .collect();
    app.records_for(&with_record).await;
    // A case in 徽州区 that names the worker of 岩寺镇 as its party.
    let office = {
        let mut tx = db.read().await.unwrap();
        users::load_actor(&mut tx, UserId(app.ids["office"])).await.unwrap()
    };
    let origin = Origin::default();
    let call = shiminhua_app::Call {
        db: &db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &origin,
        now: t0(),
    };
    let input = CaseInput {
        source: "12333".into(),
        received_on: "2026-09-30".into(),
        anonymous: false,
        worker_id: Some(workers["341004100"]),
        employer_name: "黄山某餐饮有限公司".into(),
        sector: "餐饮".into(),
        workers: "1".into(),
        amount_claimed: "3000".into(),
        arrears_from: "2026-06-01".into(),
        arrears_to: "2026-08-31".into(),
        description: "工资未发放".into(),
        region: "341004100".into(),
        ..CaseInput::default()
    };
    shiminhua_app::rights::cases::register(&call, &input).await.unwrap();
    // A department holding employment (and, by mistake, the worker kind) in
    // the whole city: only the worker its employment records concern.
    set_access(
        &app,
        "dept",
        vec![Role::Department],
        vec![grant("341000", kinds(&[RecordKind::Worker, RecordKind::Employment]))],
    )
    .await;
    let expect = |who: &'static str, visible: &'static [&'static str]| (who, visible);
    for (who, visible) in [
        expect("dept", &["341021100", "341004100", "341004101"]),
        expect("inspector", &["341004100"]),
        expect("shexian", &["341021100"]),
        expect("office", &["341021100", "341022100", "341004100", "341004101"]),
    ] {
        let mut a = app.login(who).await;
        let list = app.get(&mut a, "/workers").await;
        assert_eq!(list.status, StatusCode::OK, "{who}");
        for (town, id) in &workers {
            let shown = visible.contains(&town.as_str());
            let href = format!("href=\"/workers/{id}\"");
            assert_eq!(list.body.contains(&href), shown, "{who} lists the worker of {town}");
            let profile = app.get(&mut a, &format!("/workers/{id}")).await;
            let want = if shown { StatusCode::OK } else { StatusCode::NOT_FOUND };
            assert_eq!(profile.status, want, "{who} opens the worker of {town}");
        }
        // So does the list of records (of the workers shown).
        let records = app.get(&mut a, "/records?kind=employment").await;
        for (town, id) in &workers {
            let shown = visible.contains(&town.as_str()) && with_record.contains_key(town);
            let href = format!("href=\"/workers/{id}\"");
            assert_eq!(records.body.contains(&href), shown, "{who} lists the record of {town}");
        }
        // The export follows the same rule.
        let actor = {
            let mut tx = db.read().await.unwrap();
            users::load_actor(&mut tx, UserId(app.ids[who])).await.unwrap()
        };
        let dir = shiminhua_app::testing::TempDir::new("grants-export");
        let call = shiminhua_app::Call {
            db: &db,
            cipher: &app.state.cipher,
            actor: &actor,
            origin: &origin,
            now: t0(),
        };
        let n = shiminhua_app::registry::workers::export_workers(
            &call,
            &shiminhua_app::registry::workers::WorkerFilter::default(),
            &dir.0.join("out.xlsx"),
        )
        .await
        .unwrap();
        assert_eq!(n, visible.len() as u64, "{who} exports");
    }
}

async fn a_department_is_offered_its_units_kinds(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    // The demo account of 市教育局 holds 随迁子女就学 only.
    shiminhua_app::ops::setup::demo_accounts(&db, t0()).await.unwrap();
    let jyj = {
        let mut tx = db.read().await.unwrap();
        let (id,): (i64,) = tx
            .one(shiminhua_app::store::Sql::new(
                "SELECT id FROM users WHERE username = 'demo.jyj'",
            ))
            .await
            .unwrap();
        users::load_actor(&mut tx, UserId(id)).await.unwrap()
    };
    assert_eq!(jyj.scope.grants(), &[grant("341000", kinds(&[RecordKind::Schooling]))]);
    // The department user of 市住建局: new scope rows offer 住房保障.
    let unit = shiminhua_app::units::id_by_code(&db, "341000-zjj")
        .await
        .unwrap()
        .unwrap();
    let id = app.ids["dept"];
    let admin = admin_actor(&app).await;
    let (row, roles, grants) = users::get(&db, &admin, UserId(id)).await.unwrap();
    let form = UserForm {
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        unit_id: Some(unit),
        roles: roles.iter().collect(),
        grants,
    };
    users::update(&db, &admin, &Origin::default(), t0(), id, row.version, form)
        .await
        .unwrap();
    let mut a = app.login("admin").await;
    let action = format!("/admin/users/{id}");
    let page = app.get(&mut a, &action).await;
    let fields = browser_fields(&page.body, &action);
    // Row 0 is the stored grant (every kind); rows 1 and 2 are new.
    for row in ["kinds_1", "kinds_2"] {
        let ticked: Vec<&str> = fields
            .iter()
            .filter(|(k, _)| k == row)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(ticked, vec!["housing", "project"], "{row}");
    }
    let ticked = fields.iter().filter(|(k, _)| k == "kinds_0").count();
    assert_eq!(ticked, RecordKind::ALL.len());
}
