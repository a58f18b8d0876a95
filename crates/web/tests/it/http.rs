//! The web console over HTTP, on SQLite and PostgreSQL.

use crate::common::{Agent, PASSWORD, TestApp, USERS, credit, field_value, multipart};
use axum::http::StatusCode;
use chrono::Duration;
use shiminhua_app::both;
use shiminhua_app::store::{Db, Sql};
use shiminhua_core::auth::{Permission, Role};
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::CaseId;
use shiminhua_core::ids::ReportId;
use shiminhua_core::ids::UserId;

both!(
    authorisation_matrix,
    sign_in_flow_and_security_headers,
    bad_sign_in_and_lockout,
    csrf_is_required_on_every_form,
    idle_timeout_and_disabled_sessions,
    admin_creates_a_county_user_who_sees_only_the_county,
    auditor_page_filters_and_export,
    error_pages_and_bad_input,
    demo_mode,
    stale_edit_keeps_the_input,
    worker_pages,
    record_form_round_trip,
    records_list_filters_and_export,
    import_pages,
    worker_list_derived_conditions,
    merging_a_duplicate_registration,
    plan_pages,
    target_board,
    calendar_admin_page,
    facility_pages,
    report_pages,
);

/// Who may use a route.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// Anyone, signed in or not; the handler answers.
    Public,
    /// A public page that is off unless configured: not found here.
    PublicOff,
    /// Part of signing in: never forbidden, answers or redirects.
    Flow,
    /// Every signed-in user.
    Signed,
    /// Signed-in users holding the permission.
    Perm(Permission),
    /// As `Perm`, and `{code}` is checked against the data scope.
    Scoped(Permission),
    /// As `Perm`, and the worker `{id}` is checked against the data scope.
    Worker(Permission),
    /// As `Perm`, and the record `{id}` is checked against the data scope
    /// (its kind and region).
    Record(Permission),
    /// As `Perm`, and the facility `{id}` is checked against the data scope
    /// (its region).
    Facility(Permission),
    /// As `Perm`, and the report `{id}` (with its attachment `{file}`) is
    /// checked against the data scope: a county unit's report is visible
    /// in that county's scope (fixtures: `{county}-rsj`).
    Report(Permission),
    /// As `Perm`, and the report `{id}` must be the user's own unit's;
    /// another unit's is not found.
    Unit(Permission),
    /// As `Perm`, and `{token}` must name an upload of the user's own: an
    /// unknown token (or another user's, see `import_pages`) is not found.
    Upload(Permission),
    /// Wage-arrears cases: signed-in users holding one of the roles (the
    /// case rules go by role, finer than a permission), and the case `{id}`
    /// (with its attachment `{file}`) is checked against the data scope
    /// (fixtures: one case in each of three counties).
    Case(&'static [Role]),
    /// Wage-payment monitoring: signed-in users holding one of the roles
    /// and seeing projects (a department only with its unit an authority's:
    /// here the 发改委, so never), and the project `{id}` is checked against
    /// the data scope (fixtures: one project in each of three counties).
    Project(&'static [Role]),
    /// As `Project`, the warning `{id}` (one on each fixture project).
    Warning(&'static [Role]),
    /// Public employment services: as `Perm`, and the vacancy, seeker or
    /// referral `{id}` is one of the user's own county (fixtures: one of
    /// each in two counties). Other counties' vacancies and seekers are
    /// seen too (劳务协作): tests/jobs.rs checks what is masked.
    Job(Permission),
    /// The department API: a unit's key, never a session (see tests/api.rs
    /// for keys and their scopes).
    Api,
}

/// Who reads wage-arrears cases (in scope), and who registers and acts on them.
const CASE_READERS: &[Role] = &[Role::Lead, Role::Office, Role::Local, Role::Inspector];
const CASE_HANDLERS: &[Role] = &[Role::Office, Role::Local, Role::Inspector];

/// Who sees the monitored projects (and deals with their warnings), and who
/// records their facts.
const PROJECT_READERS: &[Role] = &[Role::Lead, Role::Office, Role::Local, Role::Inspector];
const PROJECT_WRITERS: &[Role] = &[Role::Office, Role::Local];

/// Every route × who may use it. A route missing here fails the test.
const MATRIX: &[(&str, &str, Access)] = &[
    ("get", "/healthz", Access::Public),
    // Served only with `[metrics] token` or on its own address (tests/signin.rs).
    ("get", "/metrics", Access::PublicOff),
    ("get", "/static/app.css", Access::Public),
    ("get", "/login", Access::Flow),
    ("post", "/login", Access::Flow),
    ("get", "/login/totp", Access::Flow),
    ("post", "/login/totp", Access::Flow),
    ("post", "/logout", Access::Flow),
    ("get", "/account", Access::Signed),
    ("get", "/account/password", Access::Signed),
    ("post", "/account/password", Access::Signed),
    ("get", "/account/totp", Access::Signed),
    ("post", "/account/totp", Access::Signed),
    ("get", "/", Access::Signed),
    ("get", "/regions", Access::Perm(Permission::ViewRegions)),
    ("get", "/regions/import", Access::Perm(Permission::ManageSystem)),
    ("post", "/regions/import", Access::Perm(Permission::ManageSystem)),
    ("get", "/regions/{code}", Access::Scoped(Permission::ViewRegions)),
    ("get", "/units", Access::Perm(Permission::ViewUnits)),
    ("get", "/taskforce", Access::Perm(Permission::ViewUnits)),
    ("get", "/admin/users", Access::Perm(Permission::ManageUsers)),
    ("get", "/admin/users/new", Access::Perm(Permission::ManageUsers)),
    ("post", "/admin/users/new", Access::Perm(Permission::ManageUsers)),
    ("get", "/admin/users/{id}", Access::Perm(Permission::ManageUsers)),
    ("post", "/admin/users/{id}", Access::Perm(Permission::ManageUsers)),
    (
        "post",
        "/admin/users/{id}/disable",
        Access::Perm(Permission::ManageUsers),
    ),
    (
        "post",
        "/admin/users/{id}/enable",
        Access::Perm(Permission::ManageUsers),
    ),
    (
        "post",
        "/admin/users/{id}/reset-password",
        Access::Perm(Permission::ManageUsers),
    ),
    ("get", "/grants", Access::Perm(Permission::ApproveGrants)),
    ("post", "/grants/{id}/approve", Access::Perm(Permission::ApproveGrants)),
    ("post", "/grants/{id}/reject", Access::Perm(Permission::ApproveGrants)),
    ("get", "/workers", Access::Perm(Permission::ReadPii)),
    ("get", "/workers/export", Access::Perm(Permission::ReadPii)),
    ("get", "/workers/new", Access::Perm(Permission::WriteRecords)),
    ("post", "/workers/new", Access::Perm(Permission::WriteRecords)),
    ("get", "/workers/{id}", Access::Worker(Permission::ReadPii)),
    ("get", "/workers/{id}/edit", Access::Worker(Permission::WriteRecords)),
    ("post", "/workers/{id}/edit", Access::Worker(Permission::WriteRecords)),
    ("post", "/workers/{id}/reveal", Access::Worker(Permission::RevealPii)),
    (
        "get",
        "/workers/{id}/dependants/new",
        Access::Worker(Permission::WriteRecords),
    ),
    (
        "post",
        "/workers/{id}/dependants/new",
        Access::Worker(Permission::WriteRecords),
    ),
    ("post", "/workers/{id}/merge", Access::Worker(Permission::WriteRecords)),
    (
        "post",
        "/workers/{id}/merge/confirm",
        Access::Worker(Permission::WriteRecords),
    ),
    (
        "get",
        "/workers/{id}/records/new",
        Access::Worker(Permission::WriteRecords),
    ),
    (
        "post",
        "/workers/{id}/records/new",
        Access::Worker(Permission::WriteRecords),
    ),
    ("get", "/records", Access::Perm(Permission::ReadPii)),
    ("get", "/records/export", Access::Perm(Permission::ReadPii)),
    ("get", "/records/{id}/edit", Access::Record(Permission::WriteRecords)),
    ("post", "/records/{id}/edit", Access::Record(Permission::WriteRecords)),
    ("post", "/records/{id}/delete", Access::Record(Permission::WriteRecords)),
    ("get", "/imports", Access::Perm(Permission::WriteRecords)),
    ("post", "/imports", Access::Perm(Permission::WriteRecords)),
    (
        "get",
        "/imports/template/{kind}",
        Access::Perm(Permission::WriteRecords),
    ),
    ("get", "/imports/{token}", Access::Upload(Permission::WriteRecords)),
    ("post", "/imports/{token}/map", Access::Upload(Permission::WriteRecords)),
    (
        "post",
        "/imports/{token}/commit",
        Access::Upload(Permission::WriteRecords),
    ),
    (
        "get",
        "/imports/{token}/rejected",
        Access::Upload(Permission::WriteRecords),
    ),
    (
        "post",
        "/imports/{token}/cancel",
        Access::Upload(Permission::WriteRecords),
    ),
    ("get", "/plan", Access::Signed),
    ("get", "/plan/edit", Access::Perm(Permission::ManagePlan)),
    ("post", "/plan/edit", Access::Perm(Permission::ManagePlan)),
    ("get", "/plan/history", Access::Perm(Permission::ViewDashboard)),
    ("get", "/plan/board", Access::Perm(Permission::ViewDashboard)),
    ("get", "/plan/board/figure", Access::Perm(Permission::ViewDashboard)),
    ("get", "/plan/allocation", Access::Perm(Permission::ManagePlan)),
    ("post", "/plan/allocation", Access::Perm(Permission::ManagePlan)),
    ("get", "/plan/evaluation", Access::Perm(Permission::ViewDashboard)),
    (
        "get",
        "/plan/evaluation/export",
        Access::Perm(Permission::ViewDashboard),
    ),
    ("get", "/progress", Access::PublicOff),
    ("get", "/reports", Access::Perm(Permission::ViewDashboard)),
    ("get", "/reports/measures", Access::Perm(Permission::ViewDashboard)),
    ("get", "/reports/new", Access::Perm(Permission::FileReports)),
    ("post", "/reports/new", Access::Perm(Permission::FileReports)),
    ("post", "/reports/urge", Access::Perm(Permission::SuperviseReports)),
    ("post", "/reports/close", Access::Perm(Permission::SuperviseReports)),
    ("get", "/reports/{id}", Access::Report(Permission::ViewDashboard)),
    ("get", "/reports/{id}/edit", Access::Unit(Permission::FileReports)),
    ("post", "/reports/{id}/edit", Access::Unit(Permission::FileReports)),
    (
        "post",
        "/reports/{id}/review",
        Access::Report(Permission::SuperviseReports),
    ),
    (
        "get",
        "/reports/{id}/files/{file}",
        Access::Report(Permission::ViewDashboard),
    ),
    ("get", "/facilities", Access::Perm(Permission::ViewDashboard)),
    ("get", "/facilities/export", Access::Perm(Permission::ViewDashboard)),
    ("get", "/facilities/new", Access::Perm(Permission::WriteRecords)),
    ("post", "/facilities/new", Access::Perm(Permission::WriteRecords)),
    (
        "get",
        "/facilities/{id}/edit",
        Access::Facility(Permission::WriteRecords),
    ),
    (
        "post",
        "/facilities/{id}/edit",
        Access::Facility(Permission::WriteRecords),
    ),
    (
        "post",
        "/facilities/{id}/delete",
        Access::Facility(Permission::WriteRecords),
    ),
    // -- cases (staff pages)
    ("get", "/cases", Access::Case(CASE_READERS)),
    ("get", "/cases/new", Access::Case(CASE_HANDLERS)),
    ("post", "/cases/new", Access::Case(CASE_HANDLERS)),
    ("get", "/cases/registered", Access::Case(CASE_HANDLERS)),
    ("get", "/cases/settings", Access::Case(&[Role::Office])),
    ("post", "/cases/settings", Access::Case(&[Role::Office])),
    ("get", "/cases/{id}", Access::Case(CASE_READERS)),
    ("post", "/cases/{id}/act", Access::Case(CASE_HANDLERS)),
    ("post", "/cases/{id}/files", Access::Case(CASE_HANDLERS)),
    ("get", "/cases/{id}/files/{file}", Access::Case(CASE_READERS)),
    // -- cases (public pages)
    ("get", "/public/cases/new", Access::Public),
    ("post", "/public/cases/new", Access::Public),
    ("get", "/public/cases/done", Access::Public),
    ("get", "/public/cases/query", Access::Public),
    ("post", "/public/cases/query", Access::Public),
    // -- cases (blacklist)
    // Listing and removing: the roles that register cases (监察员, 区县/乡镇
    // 工作人员, 专班办公室), who are exactly the holders of RevealPii. A
    // listing not found (here: none exists) leads back to the list.
    ("get", "/blacklist", Access::Perm(Permission::ViewDashboard)),
    ("get", "/blacklist/export", Access::Perm(Permission::ViewDashboard)),
    ("get", "/blacklist/new", Access::Perm(Permission::RevealPii)),
    ("post", "/blacklist/new", Access::Perm(Permission::RevealPii)),
    ("get", "/blacklist/{id}", Access::Perm(Permission::ViewDashboard)),
    ("post", "/blacklist/{id}/remove", Access::Perm(Permission::RevealPii)),
    ("post", "/blacklist/{id}/revoke", Access::Perm(Permission::RevealPii)),
    // -- cases (statistics)
    ("get", "/cases/stats", Access::Perm(Permission::ViewDashboard)),
    ("get", "/cases/stats/export", Access::Perm(Permission::ViewDashboard)),
    ("get", "/cases/clearance", Access::Perm(Permission::ViewDashboard)),
    // -- wage-payment monitoring
    ("get", "/monitor", Access::Project(PROJECT_READERS)),
    ("post", "/monitor/evaluate", Access::Project(&[Role::Office])),
    ("get", "/monitor/rules", Access::Perm(Permission::ManagePlan)),
    ("post", "/monitor/rules", Access::Perm(Permission::ManagePlan)),
    ("get", "/monitor/warnings", Access::Project(PROJECT_READERS)),
    ("get", "/monitor/warnings/export", Access::Project(PROJECT_READERS)),
    ("get", "/monitor/warnings/{id}", Access::Warning(PROJECT_READERS)),
    ("post", "/monitor/warnings/{id}/act", Access::Warning(PROJECT_READERS)),
    ("post", "/monitor/warnings/{id}/case", Access::Warning(CASE_HANDLERS)),
    ("get", "/monitor/projects", Access::Project(PROJECT_READERS)),
    ("get", "/monitor/projects/new", Access::Project(PROJECT_WRITERS)),
    ("post", "/monitor/projects/new", Access::Project(PROJECT_WRITERS)),
    ("get", "/monitor/projects/{id}", Access::Project(PROJECT_READERS)),
    ("get", "/monitor/projects/{id}/edit", Access::Project(PROJECT_WRITERS)),
    ("post", "/monitor/projects/{id}/edit", Access::Project(PROJECT_WRITERS)),
    (
        "post",
        "/monitor/projects/{id}/account",
        Access::Project(PROJECT_WRITERS),
    ),
    (
        "post",
        "/monitor/projects/{id}/transfers",
        Access::Project(PROJECT_WRITERS),
    ),
    (
        "post",
        "/monitor/projects/{id}/deposits",
        Access::Project(PROJECT_WRITERS),
    ),
    ("post", "/monitor/projects/{id}/board", Access::Project(PROJECT_WRITERS)),
    (
        "get",
        "/monitor/projects/{id}/board/{file}",
        Access::Project(PROJECT_READERS),
    ),
    (
        "post",
        "/monitor/projects/{id}/roster",
        Access::Project(PROJECT_WRITERS),
    ),
    (
        "post",
        "/monitor/projects/{id}/attendance",
        Access::Project(PROJECT_WRITERS),
    ),
    (
        "post",
        "/monitor/projects/{id}/payroll",
        Access::Project(PROJECT_WRITERS),
    ),
    // The workers' own check of their pay: the same guards as the public case pages.
    // -- public employment services
    ("get", "/jobs", Access::Perm(Permission::ViewDashboard)),
    ("get", "/jobs/vacancies/new", Access::Perm(Permission::WriteRecords)),
    ("post", "/jobs/vacancies/new", Access::Perm(Permission::WriteRecords)),
    ("get", "/jobs/vacancies/{id}", Access::Job(Permission::ViewDashboard)),
    (
        "get",
        "/jobs/vacancies/{id}/edit",
        Access::Job(Permission::WriteRecords),
    ),
    (
        "post",
        "/jobs/vacancies/{id}/edit",
        Access::Job(Permission::WriteRecords),
    ),
    (
        "post",
        "/jobs/vacancies/{id}/status",
        Access::Job(Permission::WriteRecords),
    ),
    ("get", "/jobs/seekers", Access::Perm(Permission::ViewDashboard)),
    ("get", "/jobs/seekers/new", Access::Perm(Permission::WriteRecords)),
    ("post", "/jobs/seekers/new", Access::Perm(Permission::WriteRecords)),
    ("get", "/jobs/seekers/{id}", Access::Job(Permission::ViewDashboard)),
    (
        "post",
        "/jobs/seekers/{id}/status",
        Access::Job(Permission::WriteRecords),
    ),
    ("post", "/jobs/referrals", Access::Perm(Permission::WriteRecords)),
    (
        "post",
        "/jobs/referrals/{id}/outcome",
        Access::Job(Permission::WriteRecords),
    ),
    ("get", "/jobs/registrations", Access::Perm(Permission::ViewDashboard)),
    ("get", "/jobs/registrations/new", Access::Perm(Permission::WriteRecords)),
    (
        "post",
        "/jobs/registrations/new",
        Access::Perm(Permission::WriteRecords),
    ),
    (
        "post",
        "/jobs/registrations/{id}/end",
        Access::Job(Permission::WriteRecords),
    ),
    ("get", "/jobs/events", Access::Perm(Permission::ViewDashboard)),
    ("get", "/jobs/events/new", Access::Perm(Permission::WriteRecords)),
    ("post", "/jobs/events/new", Access::Perm(Permission::WriteRecords)),
    ("get", "/jobs/events/{id}", Access::Job(Permission::ViewDashboard)),
    ("get", "/jobs/events/{id}/edit", Access::Job(Permission::WriteRecords)),
    ("post", "/jobs/events/{id}/edit", Access::Job(Permission::WriteRecords)),
    (
        "post",
        "/jobs/events/{id}/vacancies",
        Access::Job(Permission::WriteRecords),
    ),
    ("get", "/jobs/wage-guide", Access::Perm(Permission::ViewDashboard)),
    ("post", "/jobs/wage-guide", Access::Perm(Permission::ManagePlan)),
    (
        "get",
        "/jobs/wage-guide/export",
        Access::Perm(Permission::ViewDashboard),
    ),
    ("get", "/jobs/occupations", Access::Perm(Permission::ViewUnits)),
    ("get", "/jobs/figure", Access::Perm(Permission::ViewDashboard)),
    ("get", "/jobs/applications", Access::Perm(Permission::ViewDashboard)),
    (
        "post",
        "/jobs/applications/{id}/accept",
        Access::Job(Permission::WriteRecords),
    ),
    (
        "post",
        "/jobs/applications/{id}/refuse",
        Access::Job(Permission::WriteRecords),
    ),
    ("post", "/jobs/occupations", Access::Perm(Permission::ManageSystem)),
    ("get", "/public/jobs", Access::Public),
    ("get", "/public/jobs/register", Access::Public),
    ("post", "/public/jobs/register", Access::Public),
    ("get", "/public/jobs/register/query", Access::Public),
    ("post", "/public/jobs/register/query", Access::Public),
    ("get", "/public/jobs/{id}", Access::Job(Permission::ViewDashboard)),
    ("get", "/public/pay", Access::Public),
    ("post", "/public/pay", Access::Public),
    ("get", "/admin/calendar", Access::Perm(Permission::ManageSystem)),
    ("post", "/admin/calendar", Access::Perm(Permission::ManageSystem)),
    ("get", "/audit", Access::Perm(Permission::ViewAudit)),
    ("get", "/audit/export", Access::Perm(Permission::ViewAudit)),
    ("get", "/audit/person", Access::Perm(Permission::ViewAudit)),
    ("post", "/audit/person", Access::Perm(Permission::ViewAudit)),
    ("get", "/api/v1/openapi.json", Access::Public),
    ("get", "/api/v1/workers", Access::Api),
    ("post", "/api/v1/workers", Access::Api),
    ("get", "/api/v1/workers/{id}", Access::Api),
    ("get", "/api/v1/records/{kind}", Access::Api),
    ("post", "/api/v1/records/{kind}", Access::Api),
    ("post", "/api/v1/vacancies", Access::Api),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Unauthorized,
    Forbidden,
    NotFound,
    ToLogin,
    Redirect,
}

fn classify(r: &crate::common::Resp) -> Outcome {
    let loc = r.location();
    match r.status.as_u16() {
        401 => Outcome::Unauthorized,
        403 => Outcome::Forbidden,
        404 => Outcome::NotFound,
        300..=399 if loc == "/login" || loc.starts_with("/login?r=expired") || loc.starts_with("/login?r=disabled") => {
            Outcome::ToLogin
        }
        300..=399 => Outcome::Redirect,
        500..=599 => panic!("server error: {}", r.body),
        _ => Outcome::Ok,
    }
}

async fn authorisation_matrix(db: Db) {
    // Every route has a row, and every row a route.
    let mut routes: Vec<(String, String)> = shiminhua_web::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let mut rows: Vec<(String, String)> = MATRIX.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    routes.sort();
    rows.sort();
    assert_eq!(routes, rows, "every route needs a row in the authorisation matrix");

    let app = TestApp::new(db.clone(), false).await;
    // The target of the account actions: nobody who takes part in the table.
    let form = shiminhua_app::users::UserForm {
        username: "victim".into(),
        display_name: "被操作用户".into(),
        unit_id: None,
        roles: vec![Role::Auditor],
        grants: vec![],
    };
    let policy = shiminhua_core::password::PasswordPolicy::default();
    let (victim, _) = shiminhua_app::users::add_cli(&db, crate::common::t0(), &policy, form, None)
        .await
        .unwrap();
    // Workers in three counties, for the scoped worker routes.
    let worker_in = app.workers_in(&["341021100", "341022100", "341004100"]).await;
    // One employment record of each, for the scoped record routes.
    let record_in = app.records_for(&worker_in).await;
    // One 工会驿站 in each, for the scoped facility routes.
    let facility_in = app.facilities_in(&["341021100", "341022100", "341004100"]).await;
    // One case with an attachment in each, for the scoped case routes.
    let case_in = case_fixtures(&app, &["341021100", "341022100", "341004100"]).await;
    // One building project in each, in warning, for the monitoring routes.
    let monitored = monitor_fixtures(&app, &["341021100", "341022100", "341004100"]).await;
    // A vacancy, a seeker and a referral in two, for the job-service routes.
    let jobs = job_fixtures(&app, &worker_in, &["341021100", "341004100"]).await;
    // Inspectors read the workers their cases name: that of 徽州区 is one.
    party_case(&app, worker_in["341004100"], "341004100").await;
    // Units for the users who file reports, and a report with an attachment
    // of the city's 人社局 and 发改委 and of the 人社局 of three counties.
    for (user, unit) in [
        ("office", "341000-rsj"),
        ("dept", "341000-fgw"),
        ("shexian", "341021-rsj"),
    ] {
        set_unit(&db, user, unit).await;
    }
    let report_of = report_fixtures(
        &app,
        &["341000-rsj", "341000-fgw", "341021-rsj", "341022-rsj", "341004-rsj"],
    )
    .await;
    // (who, own county, another county the user may not see)
    let mut who: Vec<(Option<Role>, &str, Agent)> = vec![(None, "anonymous", Agent::default())];
    for &(name, role, _) in USERS {
        who.push((Some(role), name, app.login(name).await));
    }
    for (role, name, agent) in &mut who {
        let (own, other) = match *name {
            "shexian" => ("341021", Some("341022")),
            "inspector" => ("341004", Some("341021")),
            _ => ("341021", None),
        };
        let worker = |county: &str| worker_in[&format!("{county}100")].to_string();
        let record = |county: &str| record_in[&format!("{county}100")].to_string();
        let facility = |county: &str| facility_in[&format!("{county}100")].to_string();
        let project = |county: &str| monitored[county].0.to_string();
        // A project's path, with its notice board's photo.
        let project_path = |path: &str, county: &str| {
            let (id, _, photo) = monitored[county];
            path.replace("{id}", &id.to_string())
                .replace("{file}", &photo.to_string())
        };
        let warning = |county: &str| monitored[county].1.to_string();
        // Log out last, so that the session lasts through the table.
        let mut order: Vec<&(&str, &str, Access)> = MATRIX.iter().filter(|r| r.1 != "/logout").collect();
        order.extend(MATRIX.iter().filter(|r| r.1 == "/logout"));
        // The report of a unit, with its attachment.
        let report = |path: &str, unit: &str| {
            let (id, file) = report_of[unit];
            path.replace("{id}", &id.to_string())
                .replace("{file}", &file.to_string())
        };
        let own_unit = match *name {
            "dept" => "341000-fgw",
            "shexian" => "341021-rsj",
            _ => "341000-rsj",
        };
        for &&(method, path, access) in &order {
            let id = match access {
                Access::Worker(_) => worker(own),
                Access::Record(_) => record(own),
                Access::Facility(_) => facility(own),
                Access::Project(_) => project(own),
                Access::Warning(_) => warning(own),
                _ => victim.to_string(),
            };
            // An upload token that exists nowhere.
            let path = path.replace("{kind}", "employment").replace("{token}", &"0".repeat(32));
            let mut targets = vec![(path.replace("{code}", own).replace("{id}", &id), false)];
            if let Access::Project(_) = access {
                targets[0].0 = project_path(&path, own);
            }
            if let Access::Job(_) = access {
                let (vacancy, seeker, referral, event, registration, application) = jobs[own];
                let id = if path.starts_with("/jobs/seekers/") {
                    seeker
                } else if path.starts_with("/jobs/referrals/") {
                    referral
                } else if path.starts_with("/jobs/events/") {
                    event
                } else if path.starts_with("/jobs/registrations/") {
                    registration
                } else if path.starts_with("/jobs/applications/") {
                    application
                } else {
                    vacancy
                };
                targets[0].0 = path.replace("{id}", &id.to_string());
            }
            match access {
                Access::Report(_) => targets[0].0 = report(&path, &format!("{own}-rsj")),
                Access::Unit(_) => {
                    targets[0].0 = report(&path, own_unit);
                    targets.push((report(&path, "341022-rsj"), true));
                }
                _ => {}
            }
            if let Access::Case(_) = access {
                let case = |county: &str| {
                    let (id, file) = case_in[county];
                    path.replace("{id}", &id.to_string())
                        .replace("{file}", &file.to_string())
                };
                targets = vec![(case(own), false)];
                if let Some(o) = other.filter(|_| path.contains("{id}")) {
                    targets.push((case(o), true));
                }
            }
            match (access, other) {
                (Access::Scoped(_), Some(o)) => targets.push((path.replace("{code}", o), true)),
                (Access::Worker(_), Some(o)) => targets.push((path.replace("{id}", &worker(o)), true)),
                (Access::Record(_), Some(o)) => targets.push((path.replace("{id}", &record(o)), true)),
                (Access::Facility(_), Some(o)) => targets.push((path.replace("{id}", &facility(o)), true)),
                (Access::Project(_), Some(o)) if path.contains("{id}") => targets.push((project_path(&path, o), true)),
                (Access::Warning(_), Some(o)) => targets.push((path.replace("{id}", &warning(o)), true)),
                (Access::Report(_), Some(o)) => targets.push((report(&path, &format!("{o}-rsj")), true)),
                _ => {}
            }
            for (url, outside) in targets {
                let r = if method == "get" {
                    app.get(agent, &url).await
                } else {
                    let csrf = app.csrf(agent).await;
                    app.post(agent, &url, &[("csrf", &csrf), ("grant_rows", "0"), ("username", "")])
                        .await
                };
                let got = classify(&r);
                let signed = role.is_some();
                let holds = |p: Permission| role.is_some_and(|r| r.permissions().contains(&p));
                let ok = match access {
                    Access::Public => got == Outcome::Ok,
                    // The public vacancy page: anyone.
                    Access::Job(_) if path.starts_with("/public/") => got == Outcome::Ok,
                    Access::PublicOff => got == Outcome::NotFound,
                    Access::Api => got == Outcome::Unauthorized,
                    Access::Flow => got != Outcome::Forbidden && got != Outcome::NotFound,
                    Access::Signed if !signed => got == Outcome::ToLogin,
                    Access::Signed => got == Outcome::Ok || got == Outcome::Redirect,
                    Access::Case(_) if !signed => got == Outcome::ToLogin,
                    Access::Case(roles) => match (role.is_some_and(|r| roles.contains(&r)), outside) {
                        (false, _) => got == Outcome::Forbidden,
                        (true, false) => got == Outcome::Ok,
                        (true, true) => got == Outcome::NotFound,
                    },
                    Access::Project(_) | Access::Warning(_) if !signed => got == Outcome::ToLogin,
                    Access::Project(roles) | Access::Warning(roles) => {
                        match (role.is_some_and(|r| roles.contains(&r)), outside) {
                            (false, _) => got == Outcome::Forbidden,
                            (true, false) => got == Outcome::Ok || got == Outcome::Redirect,
                            (true, true) => got == Outcome::NotFound,
                        }
                    }
                    Access::Perm(_)
                    | Access::Scoped(_)
                    | Access::Worker(_)
                    | Access::Record(_)
                    | Access::Facility(_)
                    | Access::Report(_)
                    | Access::Unit(_)
                    | Access::Upload(_)
                    | Access::Job(_)
                        if !signed =>
                    {
                        got == Outcome::ToLogin
                    }
                    Access::Perm(p) | Access::Job(p) => {
                        if holds(p) {
                            got == Outcome::Ok || got == Outcome::Redirect
                        } else {
                            got == Outcome::Forbidden
                        }
                    }
                    Access::Upload(p) => {
                        if holds(p) {
                            got == Outcome::NotFound
                        } else {
                            got == Outcome::Forbidden
                        }
                    }
                    Access::Scoped(p)
                    | Access::Worker(p)
                    | Access::Record(p)
                    | Access::Facility(p)
                    | Access::Report(p)
                    | Access::Unit(p) => match (holds(p), outside) {
                        (false, _) => got == Outcome::Forbidden,
                        (true, false) => got == Outcome::Ok,
                        (true, true) => got == Outcome::NotFound,
                    },
                };
                assert!(
                    ok,
                    "{name} {method} {url}: expected {access:?}, got {got:?} ({})",
                    r.status
                );
            }
        }
    }
}

/// Registers a case (anonymous, received today) with one attachment in each
/// township given, as the office; returns county code → (case id,
/// attachment id).
async fn case_fixtures(app: &TestApp, towns: &[&str]) -> std::collections::HashMap<String, (i64, i64)> {
    use shiminhua_core::case::CaseInput;
    let mut tx = app.db.read().await.unwrap();
    let office = shiminhua_app::users::load_actor(&mut tx, UserId(app.ids["office"]))
        .await
        .unwrap();
    drop(tx);
    let origin = shiminhua_app::Origin::default();
    let call = shiminhua_app::Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &origin,
        now: crate::common::t0(),
    };
    let mut out = std::collections::HashMap::new();
    for town in towns {
        let input = CaseInput {
            source: "12333".into(),
            received_on: "2026-09-30".into(),
            anonymous: true,
            employer_name: "黄山某餐饮有限公司".into(),
            sector: "餐饮".into(),
            workers: "3".into(),
            amount_claimed: "9000".into(),
            arrears_from: "2026-06-01".into(),
            arrears_to: "2026-08-31".into(),
            description: "三个月工资未发放".into(),
            region: town.to_string(),
            ..CaseInput::default()
        };
        let reg = shiminhua_app::rights::cases::register(&call, &input).await.unwrap();
        let file = shiminhua_app::rights::cases::add_file(&call, CaseId(reg.id), "材料.pdf", b"%PDF-1.4 fixture")
            .await
            .unwrap();
        out.insert(town[..6].to_string(), (reg.id, file));
    }
    out
}

/// In each township given: a vacancy, a job seeker (the township's worker
/// of `worker_in`), a referral of the one to the other, a recruitment event
/// and an unemployment registration of the seeker, entered by the office;
/// returns county code → (vacancy, seeker, referral, event,
/// registration).
async fn job_fixtures(
    app: &TestApp,
    worker_in: &std::collections::HashMap<String, i64>,
    towns: &[&str],
) -> std::collections::HashMap<String, (i64, i64, i64, i64, i64, i64)> {
    use shiminhua_app::registry::jobs::{applications, events, referrals, registrations, seekers, vacancies};
    let mut tx = app.db.read().await.unwrap();
    let office = shiminhua_app::users::load_actor(&mut tx, UserId(app.ids["office"]))
        .await
        .unwrap();
    drop(tx);
    let origin = shiminhua_app::Origin::default();
    let call = shiminhua_app::Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &origin,
        now: crate::common::t0(),
    };
    let mut out = std::collections::HashMap::new();
    for town in towns {
        let employer = credit(7);
        let vacancy = |k: &str| -> String {
            match k {
                "employer_code" => employer.clone(),
                "employer" => "黄山某制造有限公司".into(),
                "industry" => "C".into(),
                "title" => "装配工".into(),
                "occupation" => "6".into(),
                "headcount" => "2".into(),
                "wage_min" => "4000".into(),
                "wage_max" => "5000".into(),
                "place" => town.to_string(),
                "contact" => "区县人社局就业服务窗口".into(),
                "valid_until" => "2026-12-31".into(),
                _ => String::new(),
            }
        };
        let v = vacancies::create(&call, &vacancy, "form").await.unwrap();
        let wish = |k: &str| {
            if k == "occupations" {
                "6".to_string()
            } else {
                String::new()
            }
        };
        let s = seekers::register(&call, shiminhua_core::ids::WorkerId(worker_in[*town]), &wish, "form")
            .await
            .unwrap();
        let r = referrals::refer(&call, s, v, "").await.unwrap();
        let event = |k: &str| -> String {
            match k {
                "name" => "春风行动专场招聘会".into(),
                "series" => "春风行动".into(),
                "organiser" => "区县人社局".into(),
                "held_on" => "2026-10-20".into(),
                "place" => town.to_string(),
                "online" => "否".into(),
                _ => String::new(),
            }
        };
        let e = events::create(&call, &event).await.unwrap();
        let unemployed = |k: &str| -> String {
            match k {
                "since" => "2026-09-01".into(),
                "reason" => "劳动合同期满".into(),
                "registered_on" => "2026-09-02".into(),
                _ => String::new(),
            }
        };
        let g =
            registrations::register_unemployment(&call, shiminhua_core::ids::WorkerId(worker_in[*town]), &unemployed)
                .await
                .unwrap();
        // A seeker's own application from a phone, pending.
        let birth = chrono::NaiveDate::from_ymd_opt(1992, 3, 1).unwrap();
        let person = shiminhua_core::id_number::IdNumber::from_parts("341021", birth, 500 + out.len() as u16).unwrap();
        let application = applications::Application {
            name: "章求职".into(),
            id_number: person.as_str().into(),
            phone: "13912345678".into(),
            region: town.to_string(),
            wishes: [("occupations".to_string(), "6".to_string())].into_iter().collect(),
            consent: true,
        };
        let token = format!("{:064x}", out.len() + 1);
        let number = applications::file(&app.db, &app.state.cipher, &origin, call.now, &application, &token)
            .await
            .unwrap()
            .number;
        let (a,): (i64,) = app
            .db
            .read()
            .await
            .unwrap()
            .one(shiminhua_app::store::Sql::new("SELECT id FROM job_applications WHERE number = $1").bind(number))
            .await
            .unwrap();
        out.insert(town[..6].to_string(), (v, s, r, e, g, a));
    }
    out
}

/// A building project in each township given (see `TestApp::projects_in`),
/// evaluated so that each has an open warning; returns county code →
/// (project id, warning id).
/// A project in each of `towns`' counties, evaluated: by county, (project,
/// its first warning, the photo of its notice board).
async fn monitor_fixtures(app: &TestApp, towns: &[&str]) -> std::collections::HashMap<String, (i64, i64, i64)> {
    use shiminhua_app::rights::monitor;
    let projects = app.projects_in(towns).await;
    let origin = shiminhua_app::Origin::default();
    monitor::evaluate_all(
        &app.db,
        crate::common::t0(),
        &shiminhua_app::audit::Who::anonymous("系统", &origin),
        None,
    )
    .await
    .unwrap();
    let mut tx = app.db.read().await.unwrap();
    let office = shiminhua_app::users::load_actor(&mut tx, UserId(app.ids["office"]))
        .await
        .unwrap();
    drop(tx);
    let mut out = std::collections::HashMap::new();
    for (town, project) in projects {
        let f = monitor::WarningFilter {
            project_id: Some(project),
            ..monitor::WarningFilter::default()
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let (w, _) = monitor::warnings(&app.db, &office, &f, today, 1, 0).await.unwrap();
        let call = shiminhua_app::Call {
            db: &app.db,
            cipher: &app.state.cipher,
            actor: &office,
            origin: &origin,
            now: crate::common::t0(),
        };
        let on = |_: &str| "2026-09-01".to_string();
        monitor::set_board(&call, project, &on, Some(("告示牌.png", b"\x89PNG\r\n\x1a\n0000")))
            .await
            .unwrap();
        let photo = monitor::board_photos(&app.db, &office, project).await.unwrap()[0].id;
        out.insert(town[..6].to_string(), (project, w[0].id, photo));
    }
    out
}

/// A case (registered by the office) that names worker `worker` as its party.
async fn party_case(app: &TestApp, worker: i64, town: &str) {
    use shiminhua_core::case::CaseInput;
    let mut tx = app.db.read().await.unwrap();
    let office = shiminhua_app::users::load_actor(&mut tx, UserId(app.ids["office"]))
        .await
        .unwrap();
    drop(tx);
    let origin = shiminhua_app::Origin::default();
    let call = shiminhua_app::Call {
        db: &app.db,
        cipher: &app.state.cipher,
        actor: &office,
        origin: &origin,
        now: crate::common::t0(),
    };
    let input = CaseInput {
        source: "12333".into(),
        received_on: "2026-09-30".into(),
        worker_id: Some(worker),
        employer_name: "黄山某餐饮有限公司".into(),
        sector: "餐饮".into(),
        workers: "1".into(),
        amount_claimed: "3000".into(),
        arrears_from: "2026-06-01".into(),
        arrears_to: "2026-08-31".into(),
        description: "工资未发放".into(),
        region: town.to_string(),
        ..CaseInput::default()
    };
    shiminhua_app::rights::cases::register(&call, &input).await.unwrap();
}

/// Makes `user` a member of the unit with this code.
async fn set_unit(db: &Db, user: &str, unit: &str) {
    let mut tx = db.write().await.unwrap();
    tx.exec(
        Sql::new("UPDATE users SET unit_id = (SELECT id FROM units WHERE code = $1) WHERE username = $2")
            .bind(unit)
            .bind(user),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Files a 2023 Q3 report with one attachment for each unit given, as a
/// member of the unit; returns unit code → (report id, attachment id).
async fn report_fixtures(app: &TestApp, units: &[&str]) -> std::collections::HashMap<String, (i64, i64)> {
    use shiminhua_app::plan::reports::{self, ReportInput, Upload};
    use shiminhua_core::auth::{Actor, RoleSet, Scope};
    let mut out = std::collections::HashMap::new();
    for unit in units {
        let unit_id = shiminhua_app::units::id_by_code(&app.db, unit).await.unwrap().unwrap();
        let actor = Actor {
            user_id: app.ids["office"],
            username: "office".into(),
            display_name: format!("{unit}填报人"),
            roles: RoleSet::new(vec![Role::Local]),
            scope: Scope::default(),
            unit_id: Some(unit_id),
        };
        let input = ReportInput {
            body: "三季度工作进展。".into(),
            figures: [
                ("fig_startup_loans", "1"),
                ("fig_jiazheng_coverage", "3"),
                ("fig_jiazheng_bases", "1"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            files: vec![Upload {
                name: "附件.pdf".into(),
                bytes: b"%PDF-1.4 fixture".to_vec(),
            }],
            ..ReportInput::default()
        };
        let origin = shiminhua_app::Origin::default();
        let call = shiminhua_app::Call {
            db: &app.db,
            cipher: &app.state.cipher,
            actor: &actor,
            origin: &origin,
            now: crate::common::t0(),
        };
        let id = reports::file(&call, "2023Q3", &input).await.unwrap();
        let v = reports::get(
            &app.db,
            &Actor {
                roles: RoleSet::new(vec![Role::Lead]),
                ..actor.clone()
            },
            ReportId(id),
        )
        .await
        .unwrap();
        out.insert(unit.to_string(), (id, v.files[0].id));
    }
    out
}

async fn sign_in_flow_and_security_headers(db: Db) {
    let metrics_token = "metrics-token-0123456789";
    let app = TestApp::new(db.clone(), false)
        .await
        .with_config(|c| c.metrics.token = Some(metrics_token.into()));
    let mut a = Agent::default();
    let page = app.get(&mut a, "/login").await;
    assert_eq!(page.status, StatusCode::OK);
    let h = &page.headers;
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("referrer-policy"));
    assert!(!page.body.contains("<script"), "pages work without JavaScript");
    let pre = a.cookies.get("shm_csrf").cloned().unwrap();
    let set = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
    // Sign in: a session cookie that was never seen before.
    let r = app
        .post(
            &mut a,
            "/login",
            &[("csrf", &pre), ("username", "shexian"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.location(), "/");
    let s1 = a.cookies["shm_session"].clone();
    assert!(!a.cookies.contains_key("shm_csrf"), "the pre-session token is retired");
    let home = app.get(&mut a, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("工作台") && home.body.contains("乡镇（街道）"));
    assert!(!home.body.contains("演示环境"), "no demo banner outside --demo");
    // The figures are real: 歙县 has this many townships in the data.
    let towns = shiminhua_app::regions::SEED_CSV
        .lines()
        .filter(|l| l.contains(",341021,"))
        .count();
    assert!(
        home.body.contains(&format!("<span class=\"num\">{towns}</span>")),
        "{}",
        home.body
    );
    // Signing in again rotates the id; the old one is dead.
    let mut b = a.clone();
    let r = app
        .post(
            &mut b,
            "/login",
            &[("csrf", &app.get(&mut Agent::default(), "/login").await.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a forged pre-session token is refused");
    let mut c = app.login("shexian").await;
    assert_ne!(c.cookies["shm_session"], s1);
    // Sign out.
    let csrf = app.get(&mut c, "/").await.csrf();
    let r = app.post(&mut c, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.location(), "/login?r=out");
    assert_eq!(classify(&app.get(&mut c, "/").await), Outcome::ToLogin);
    // The admin's path goes through the second factor; the session id changes at that step.
    let mut d = Agent::default();
    let page = app.get(&mut d, "/login").await;
    let r = app
        .post(
            &mut d,
            "/login",
            &[("csrf", &page.csrf()), ("username", "admin"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.location(), "/login/totp");
    let pending = d.cookies["shm_session"].clone();
    assert_eq!(
        classify(&app.get(&mut d, "/admin/users").await),
        Outcome::Redirect,
        "half signed in is not signed in"
    );
    let page = app.get(&mut d, "/login/totp").await;
    let wrong = app
        .post(&mut d, "/login/totp", &[("csrf", &page.csrf()), ("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("动态口令不正确"));
    let _ = pending;
    // Metrics saw the requests.
    let m = app
        .request_from(
            &mut Agent::default(),
            "GET",
            "/metrics",
            "127.0.0.1",
            &[("authorization", &format!("Bearer {metrics_token}"))],
            &[],
        )
        .await;
    assert!(
        m.body
            .contains("shiminhua_http_requests_total{method=\"GET\",route=\"/login\",status=\"200\"}")
    );
    assert!(m.body.contains("shiminhua_db_pool_connections"));
    assert_eq!(app.get(&mut Agent::default(), "/healthz").await.body, "ok\n");
}

async fn bad_sign_in_and_lockout(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = Agent::default();
    let csrf = app.get(&mut a, "/login").await.csrf();
    let unknown = app
        .post(
            &mut a,
            "/login",
            &[("csrf", &csrf), ("username", "nobody"), ("password", "x")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let msg = "用户名或密码错误，或账户已被暂时锁定";
    assert!(unknown.body.contains(msg));
    assert!(unknown.body.contains("value=\"nobody\""), "the user name is kept");
    for _ in 0..5 {
        let r = app
            .post(
                &mut a,
                "/login",
                &[("csrf", &csrf), ("username", "lead"), ("password", "Wrong-1234")],
            )
            .await;
        assert!(r.body.contains(msg));
    }
    let locked = app
        .post(
            &mut a,
            "/login",
            &[("csrf", &csrf), ("username", "lead"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert!(locked.body.contains(msg), "locked reads like any failure");
    app.clock.advance(Duration::minutes(16));
    app.login("lead").await;
}

async fn csrf_is_required_on_every_form(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    let mut admin = app.login("admin").await;
    let count = || async {
        let mut tx = db.read().await.unwrap();
        tx.int(Sql::new("SELECT COUNT(*) FROM users")).await.unwrap()
    };
    let before = count().await;
    let fields = [("username", "forged"), ("display_name", "伪造"), ("roles", "auditor")];
    let r = app.post(&mut admin, "/admin/users/new", &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("安全令牌"));
    let mut with_wrong = fields.to_vec();
    with_wrong.push(("csrf", "deadbeef"));
    assert_eq!(
        app.post(&mut admin, "/admin/users/new", &with_wrong).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(count().await, before, "nothing changed");
    let csrf = app.csrf(&mut admin).await;
    let mut good = fields.to_vec();
    good.push(("csrf", &csrf));
    good.push(("grant_rows", "0"));
    let r = app.post(&mut admin, "/admin/users/new", &good).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(count().await, before + 1);
    // Another user's token does not work either.
    let mut other = app.login("office").await;
    let theirs = app.csrf(&mut other).await;
    let r = app
        .post(
            &mut admin,
            "/admin/users/new",
            &[("csrf", theirs.as_str()), ("username", "x2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn idle_timeout_and_disabled_sessions(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(app.get(&mut a, "/").await.status, StatusCode::OK);
    app.clock.advance(Duration::minutes(31));
    let r = app.get(&mut a, "/").await;
    assert_eq!(r.location(), "/login?r=expired");
    let page = app.get(&mut a, "/login?r=expired").await;
    assert!(page.body.contains("会话已超时"));
    // A disabled user's session ends at once.
    let mut u = app.login("office").await;
    let mut admin = app.login("admin").await;
    let csrf = app.csrf(&mut admin).await;
    let id = app.ids["office"].to_string();
    let r = app
        .post(&mut admin, &format!("/admin/users/{id}/disable"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut u, "/").await;
    assert!(r.location().starts_with("/login"), "{}", r.location());
    let mut again = Agent::default();
    let csrf = app.get(&mut again, "/login").await.csrf();
    let r = app
        .post(
            &mut again,
            "/login",
            &[("csrf", &csrf), ("username", "office"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn admin_creates_a_county_user_who_sees_only_the_county(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut admin = app.login("admin").await;
    let form = app.get(&mut admin, "/admin/users/new").await;
    assert!(
        form.body.contains(">　歙县</option>") && !form.body.contains("歙县（341021）"),
        "places by name"
    );
    let csrf = form.csrf();
    let r = app
        .post(
            &mut admin,
            "/admin/users/new",
            &[
                ("csrf", &csrf),
                ("username", "sx.wang"),
                ("display_name", "王<script>"),
                ("roles", "local"),
                ("grant_rows", "1"),
                ("region_0", "341021"),
                ("kinds_0", "worker"),
                ("kinds_0", "employment"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        r.body.contains("王&lt;script&gt;") || r.body.contains("王&#60;script&#62;"),
        "escaped"
    );
    assert!(!r.body.contains("王<script>"));
    let otp = {
        let i = r.body.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
        r.body[i..i + 12].to_string()
    };
    // The new user must change the one-time password first.
    let mut u = Agent::default();
    let csrf = app.get(&mut u, "/login").await.csrf();
    let r = app
        .post(
            &mut u,
            "/login",
            &[("csrf", &csrf), ("username", "sx.wang"), ("password", &otp)],
        )
        .await;
    assert_eq!(r.location(), "/account/password");
    assert_eq!(app.get(&mut u, "/regions").await.location(), "/account/password");
    let page = app.get(&mut u, "/account/password").await;
    assert!(page.body.contains("须先修改初始密码"));
    let weak = app
        .post(
            &mut u,
            "/account/password",
            &[
                ("csrf", &page.csrf()),
                ("current", &otp),
                ("new", "abc"),
                ("confirm", "abc"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("密码长度不能少于8位"));
    let r = app
        .post(
            &mut u,
            "/account/password",
            &[
                ("csrf", &page.csrf()),
                ("current", &otp),
                ("new", "Huangshan#2026"),
                ("confirm", "Huangshan#2026"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/");
    // The role reads personal data: until a second person approves it, the
    // account holds nothing.
    assert_eq!(app.get(&mut u, "/regions").await.status, StatusCode::FORBIDDEN);
    let mut office = app.login("office").await;
    let list = app.get(&mut office, "/grants").await;
    assert!(list.body.contains("sx.wang"), "{}", list.body);
    let approve = {
        let i = list.body.find("action=\"/grants/").unwrap() + "action=\"".len();
        list.body[i..i + list.body[i..].find('"').unwrap()].to_string()
    };
    assert!(approve.ends_with("/approve"), "{approve}");
    let r = app.post(&mut office, &approve, &[("csrf", &list.csrf())]).await;
    assert_eq!(r.location(), "/grants?done=approved");
    let tree = app.get(&mut u, "/regions").await;
    assert_eq!(tree.status, StatusCode::OK);
    assert!(tree.body.contains("徽城镇") && tree.body.contains("歙县"));
    assert!(
        !tree.body.contains("海阳镇") && !tree.body.contains("屯溪区"),
        "only 歙县 and its townships"
    );
    assert_eq!(app.get(&mut u, "/regions/341022").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&mut u, "/admin/users").await.status, StatusCode::FORBIDDEN);
    // The auditor sees all of it.
    let mut aud = app.login("auditor").await;
    let log = app.get(&mut aud, "/audit?user=admin&action=user.create").await;
    assert!(
        log.body.contains("新建用户") && log.body.contains("sx.wang"),
        "{}",
        log.body
    );
    let log = app.get(&mut aud, "/audit?user=sx.wang").await;
    assert!(log.body.contains("修改密码") && log.body.contains("登录"));
    let ok = app.get(&mut aud, "/audit?verify=1").await;
    assert!(ok.body.contains("校验通过"), "{}", ok.body);
}

async fn auditor_page_filters_and_export(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut aud = app.login("auditor").await;
    let r = app.get(&mut aud, "/audit?result=fail").await;
    assert!(r.body.contains("没有符合条件的记录"));
    let mut admin = app.login("admin").await;
    assert_eq!(app.get(&mut admin, "/audit").await.status, StatusCode::FORBIDDEN);
    let r = app.get(&mut aud, "/audit?result=fail&action=access.denied").await;
    assert!(
        r.body.contains("越权访问") && r.body.contains("GET /audit"),
        "the denial is audited"
    );
    let bad = app.get(&mut aud, "/audit?from=2026-13-40").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("格式不正确"));
    let x = app.get(&mut aud, "/audit/export?result=fail").await;
    assert_eq!(x.status, StatusCode::OK);
    assert_eq!(
        x.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        x.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    // Paging: 50 a page.
    for _ in 0..30 {
        app.get(&mut admin, "/audit").await;
    }
    let p2 = app.get(&mut aud, "/audit?page=2").await;
    assert!(p2.body.contains("第 2/"), "{}", p2.body);
}

async fn error_pages_and_bad_input(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("lead").await;
    let r = app.get(&mut a, "/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body.contains("页面不存在") && r.body.contains("测试lead"),
        "a Chinese page inside the layout"
    );
    let r = app.get(&mut a, "/regions/34x021").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("区划代码") && r.body.contains("无效"));
    let r = app.get(&mut a, "/regions/3410211001").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.get(&mut a, "/admin/users/abc").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut admin = app.login("admin").await;
    assert_eq!(
        app.get(&mut admin, "/admin/users/abc").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&mut admin, "/admin/users/99999").await.status,
        StatusCode::NOT_FOUND
    );
    // A cookie that names no session leads to the sign-in page.
    let mut forged = Agent::default();
    forged.cookies.insert("shm_session".into(), "ab".repeat(32));
    assert_eq!(app.get(&mut forged, "/").await.location(), "/login");
    // With the database gone, a 500 page that says nothing of the cause.
    app.db.close().await;
    let r = app.get(&mut a, "/").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.body.contains("系统暂时出现问题"));
    assert!(!r.body.to_lowercase().contains("pool") && !r.body.contains("sqlx"));
    assert_eq!(
        app.get(&mut Agent::default(), "/healthz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

async fn demo_mode(db: Db) {
    let app = TestApp::new(db.clone(), true).await;
    let accounts = shiminhua_app::ops::setup::demo_accounts(&db, crate::common::t0())
        .await
        .unwrap();
    let admin = accounts.iter().find(|a| a.role == Role::Admin).unwrap();
    let mut a = Agent::default();
    let page = app.get(&mut a, "/login").await;
    assert!(page.body.contains("演示环境"));
    let r = app
        .post(
            &mut a,
            "/login",
            &[
                ("csrf", &page.csrf()),
                ("username", &admin.username),
                ("password", &admin.password),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        "/",
        "demo accounts skip the forced change and the second factor"
    );
    let home = app.get(&mut a, "/").await;
    assert!(home.body.contains("演示环境") && home.body.contains("用户管理"));
    // The real administrator still goes through the second factor.
    let mut b = Agent::default();
    let page = app.get(&mut b, "/login").await;
    let r = app
        .post(
            &mut b,
            "/login",
            &[("csrf", &page.csrf()), ("username", "admin"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.location(), "/login/totp");
}

async fn stale_edit_keeps_the_input(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut admin = app.login("admin").await;
    let id = app.ids["lead"];
    let page = app.get(&mut admin, &format!("/admin/users/{id}")).await;
    let version = field_value(&page.body, "version");
    let csrf = page.csrf();
    let post = |name: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", version.clone()),
            ("username", "lead".to_string()),
            ("display_name", name.to_string()),
            ("roles", "lead".to_string()),
            ("grant_rows", "1".to_string()),
            ("region_0", "341000".to_string()),
            ("kinds_0", "worker".to_string()),
        ]
    };
    let f1 = post("第一次保存");
    let f1: Vec<(&str, &str)> = f1.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post(&mut admin, &format!("/admin/users/{id}"), &f1).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let f2 = post("第二次保存");
    let f2: Vec<(&str, &str)> = f2.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post(&mut admin, &format!("/admin/users/{id}"), &f2).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("已被他人修改") && r.body.contains("第二次保存"),
        "the input is kept"
    );
    let now = app.get(&mut admin, &format!("/admin/users/{id}")).await;
    assert!(now.body.contains("第一次保存"));
}

async fn worker_pages(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    let form = app.get(&mut a, "/workers/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("歙县 徽城镇") && !form.body.contains("海阳镇"),
        "only townships in scope are offered"
    );
    let csrf = form.csrf();
    let bad = app
        .post(
            &mut a,
            "/workers/new",
            &[
                ("csrf", &csrf),
                ("name", "王小红"),
                ("id_number", "341002198503120012"),
                ("region", "341021100"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("身份证号校验不通过，可能有数字输错或顺序颠倒，请对照身份证逐位核对整个号码"),
        "{}",
        bad.body
    );
    assert!(
        !bad.body.contains("校验码应为"),
        "no character offered to make the number fit"
    );
    assert!(bad.body.contains("value=\"王小红\""), "the input is kept");
    assert!(
        bad.body
            .contains("aria-invalid=\"true\" aria-describedby=\"id_number-err\"")
            && bad.body.contains("id=\"id_number-err\""),
        "the error is tied to its field for screen readers"
    );
    let ok = app
        .post(
            &mut a,
            "/workers/new",
            &[
                ("csrf", &csrf),
                ("name", "王小红"),
                ("id_number", "341002198503120011"),
                ("phone", "13800138000"),
                ("region", "341021100"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let profile = app.get(&mut a, ok.location()).await;
    assert!(profile.body.contains("341002************") && profile.body.contains("138****8000"));
    assert!(
        profile.body.contains("1985年") && !profile.body.contains("1985-03-12"),
        "the birth year only"
    );
    assert!(!profile.body.contains("341002198503120011") && !profile.body.contains("13800138000"));
    let reveal_path = format!("{}/reveal", ok.location().split('?').next().unwrap());
    let r = app
        .post(
            &mut a,
            &reveal_path,
            &[("csrf", &csrf), ("field", "id_number"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &mut a,
            &reveal_path,
            &[
                ("csrf", &csrf),
                ("field", "id_number"),
                ("reason", "核实欠薪线索当事人"),
            ],
        )
        .await;
    assert!(r.body.contains("341002198503120011") && r.body.contains("审计日志"));
    let list = app.get(&mut a, "/workers?q=341002198503120011").await;
    assert!(list.body.contains("王小红") && list.body.contains("<td class=\"code\">341002************</td>"));
    let home = app.get(&mut a, "/").await;
    assert!(home.body.contains("登记农民工"));
    let x = app.get(&mut a, "/workers/export?q=%E7%8E%8B").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(
        x.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let mut aud = app.login("auditor").await;
    let log = app.get(&mut aud, "/audit?action=worker.export").await;
    assert!(
        log.body.contains("导出农民工名册") && log.body.contains("行数：1"),
        "{}",
        log.body
    );
    // The lead sees masks and no reveal form.
    let mut lead = app.login("lead").await;
    let p = app.get(&mut lead, ok.location()).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("查看完整信息"));
}

/// The id in the first link `/records/{id}/edit` of a page.
fn record_link(body: &str) -> String {
    let i = body.find("href=\"/records/").expect("a record link") + "href=\"/records/".len();
    body[i..].chars().take_while(char::is_ascii_digit).collect()
}

/// The fields of an employment record as (name, value) pairs for a post.
fn job_form<'a>(csrf: &'a str, credit_code: &'a str, employer: &'a str, start: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("form_kind", "employment"),
        ("credit_code", credit_code),
        ("employer", employer),
        ("industry", "C"),
        ("form", "就近就业"),
        ("start", start),
        ("wage", "4200"),
        ("contract", "是"),
        ("public_service", "否"),
    ]
}

async fn record_form_round_trip(db: Db) {
    let app = TestApp::new(db, false).await;
    let wid = app.workers_in(&["341021100"]).await["341021100"];
    let mut a = app.login("shexian").await;
    let profile = app.get(&mut a, &format!("/workers/{wid}")).await;
    assert!(profile.body.contains("<h2>记录</h2>") && profile.body.contains("暂无就业"));
    assert!(
        profile
            .body
            .contains(&format!("/workers/{wid}/records/new?kind=employment")),
        "a 新增记录 button per kind"
    );
    // Without a kind: a choice of kinds.
    let choose = app.get(&mut a, &format!("/workers/{wid}/records/new")).await;
    assert_eq!(choose.status, StatusCode::OK);
    assert!(choose.body.contains("?kind=schooling"));
    let form = app
        .get(&mut a, &format!("/workers/{wid}/records/new?kind=employment"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains("用人单位统一社会信用代码 <span class=\"req\">*</span>")
            && form.body.contains("placeholder=\"2023-03-05\"")
            && form.body.contains("<select id=\"f-form\"")
            && form.body.contains("就近就业")
            && form.body.contains("C 制造业")
            && form.body.contains("仍在岗的不填"),
        "a form from the spec: {}",
        form.body
    );
    let csrf = form.csrf();
    let code = credit(1);
    let action = format!("/workers/{wid}/records/new");
    // Invalid: the error under the field, the input kept.
    let bad = app
        .post(
            &mut a,
            &action,
            &job_form(&csrf, &code, "黄山某某制造有限公司", "2023-02-30"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("不是有效日期"), "{}", bad.body);
    assert!(bad.body.contains("value=\"2023-02-30\"") && bad.body.contains("value=\"黄山某某制造有限公司\""));
    assert!(
        bad.body.contains("<option value=\"就近就业\" selected>"),
        "the choice is kept"
    );
    let ok = app
        .post(
            &mut a,
            &action,
            &job_form(&csrf, &code, "黄山某某制造有限公司", "2024-03-05"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), format!("/workers/{wid}?done=record_created"));
    let profile = app.get(&mut a, ok.location()).await;
    assert!(
        profile.body.contains("已新增记录")
            && profile.body.contains("2024-03-05")
            && profile.body.contains("黄山某某制造有限公司")
            && profile.body.contains("4,200.00 元")
            && profile.body.contains("C 制造业"),
        "{}",
        profile.body
    );
    let rid = record_link(&profile.body);
    // The same record twice is refused at its key fields.
    let again = app
        .post(
            &mut a,
            &action,
            &job_form(&csrf, &code, "黄山某某制造有限公司", "2024-03-05"),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("相同"));

    // Edit, then a stale edit.
    let edit = app.get(&mut a, &format!("/records/{rid}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("value=\"4200.00\"") && edit.body.contains(&code));
    let version = field_value(&edit.body, "version");
    let mut f1 = job_form(&csrf, &code, "黄山某某制造有限公司", "2024-03-05");
    f1.push(("version", &version));
    f1.retain(|(k, _)| *k != "wage");
    f1.push(("wage", "4500"));
    let r = app.post(&mut a, &format!("/records/{rid}/edit"), &f1).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/workers/{wid}?done=record_saved"));
    let mut f2 = job_form(&csrf, &code, "第二次保存公司", "2024-03-05");
    f2.push(("version", &version));
    let stale = app.post(&mut a, &format!("/records/{rid}/edit"), &f2).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.body.contains("已被他人修改") && stale.body.contains("value=\"第二次保存公司\""),
        "the input is kept: {}",
        stale.body
    );
    let profile = app.get(&mut a, &format!("/workers/{wid}")).await;
    assert!(profile.body.contains("4,500.00 元") && !profile.body.contains("第二次保存公司"));
    assert!(
        profile.body.contains("<h2>变更历史</h2>") && profile.body.contains("<td>修改</td>"),
        "{}",
        profile.body
    );
    assert!(profile.body.contains("就业记录（编号"));

    // Delete: a stale version is refused, the current one deletes.
    let r = app
        .post(
            &mut a,
            &format!("/records/{rid}/delete"),
            &[("csrf", &csrf), ("version", &version)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let current = field_value(&app.get(&mut a, &format!("/records/{rid}/edit")).await.body, "version");
    let r = app
        .post(
            &mut a,
            &format!("/records/{rid}/delete"),
            &[("csrf", &csrf), ("version", &current)],
        )
        .await;
    assert_eq!(r.location(), format!("/workers/{wid}?done=record_deleted"));
    let profile = app.get(&mut a, r.location()).await;
    assert!(profile.body.contains("记录已删除") && profile.body.contains("<td>删除</td>"));
    assert!(
        profile.body.contains(&format!("就业记录（编号 {rid}），第 2 版")),
        "a deleted record is still named by its kind: {}",
        profile.body
    );
    assert!(!profile.body.contains(&format!("/records/{rid}/edit")));
    assert_eq!(
        app.get(&mut a, &format!("/records/{rid}/edit")).await.status,
        StatusCode::NOT_FOUND
    );

    // 随迁子女: named by name, listed masked.
    let school = app
        .get(&mut a, &format!("/workers/{wid}/records/new?kind=schooling"))
        .await;
    assert!(school.body.contains("尚未登记随迁子女"));
    let r = app
        .post(
            &mut a,
            &format!("/workers/{wid}/dependants/new"),
            &[
                ("csrf", &csrf),
                ("relation", "子女"),
                ("name", "李小明"),
                ("birth_date", "2016-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let school = app
        .get(&mut a, &format!("/workers/{wid}/records/new?kind=schooling"))
        .await;
    assert!(school.body.contains("已登记的随迁子女：李**"), "{}", school.body);
    let r = app
        .post(
            &mut a,
            &action,
            &[
                ("csrf", &csrf),
                ("form_kind", "schooling"),
                ("child", "李小明"),
                ("school", "歙县实验小学"),
                ("school_type", "公办"),
                ("stage", "小学"),
                ("grade", "3"),
                ("school_year", "2024-2025"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let profile = app.get(&mut a, &format!("/workers/{wid}")).await;
    assert!(profile.body.contains("随迁子女就学") || profile.body.contains("歙县实验小学"));
    assert!(profile.body.contains("李**") && !profile.body.contains("李小明"));

    // Readers see the timeline without the buttons.
    let mut lead = app.login("lead").await;
    let p = app.get(&mut lead, &format!("/workers/{wid}")).await;
    assert!(p.body.contains("歙县实验小学") && !p.body.contains("records/new") && !p.body.contains("/delete"));
}

async fn records_list_filters_and_export(db: Db) {
    let app = TestApp::new(db, false).await;
    let wid = app.workers_in(&["341021100"]).await["341021100"];
    let mut a = app.login("office").await;
    let csrf = app.csrf(&mut a).await;
    let action = format!("/workers/{wid}/records/new");
    let (c1, c2) = (credit(1), credit(2));
    let r = app
        .post(&mut a, &action, &job_form(&csrf, &c1, "就近甲厂", "2024-03-05"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut far = job_form(&csrf, &c2, "外出乙厂", "2023-05-01");
    far.retain(|(k, _)| *k != "form" && *k != "contract");
    far.push(("form", "外出务工"));
    far.push(("contract", "否"));
    let r = app.post(&mut a, &action, &far).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let all = app.get(&mut a, "/records").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(
        all.body.contains("就近甲厂") && all.body.contains("外出乙厂"),
        "employment by default"
    );
    assert!(
        all.body.contains(&format!("href=\"/workers/{wid}\"")),
        "rows link to the profile"
    );
    assert!(all.body.contains("id=\"f_form\"") && all.body.contains("id=\"f_industry\""));
    let near = app
        .get(
            &mut a,
            "/records?kind=employment&f_form=%E5%B0%B1%E8%BF%91%E5%B0%B1%E4%B8%9A",
        )
        .await;
    assert!(
        near.body.contains("就近甲厂") && !near.body.contains("外出乙厂"),
        "{}",
        near.body
    );
    assert!(near.body.contains("<option value=\"就近就业\" selected>"));
    // 是/否 fields filter on both backends.
    let signed = app.get(&mut a, "/records?kind=employment&f_contract=%E6%98%AF").await;
    assert!(
        signed.body.contains("就近甲厂") && !signed.body.contains("外出乙厂"),
        "{}",
        signed.body
    );
    let unsigned = app.get(&mut a, "/records?kind=employment&f_contract=%E5%90%A6").await;
    assert!(!unsigned.body.contains("就近甲厂") && unsigned.body.contains("外出乙厂"));
    let recent = app.get(&mut a, "/records?kind=employment&from=2024-01-01").await;
    assert!(recent.body.contains("就近甲厂") && !recent.body.contains("外出乙厂"));
    let bad = app.get(&mut a, "/records?kind=employment&from=2024-13-01").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("格式不正确"));
    let elsewhere = app.get(&mut a, "/records?kind=employment&region=341022").await;
    assert!(elsewhere.body.contains("没有符合条件的就业记录"));
    let other_kind = app.get(&mut a, "/records?kind=insurance").await;
    assert!(other_kind.body.contains("没有符合条件的参保记录") && other_kind.body.contains("id=\"f_status\""));
    assert_eq!(
        app.get(&mut a, "/records?kind=nonsense").await.status,
        StatusCode::BAD_REQUEST
    );
    // The nav entry is active on the list.
    assert!(all.body.contains("href=\"/records?kind=employment\" class=\"active\""));

    let x = app.get(&mut a, "/records/export?kind=employment").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with("PK"), "an xlsx file");
    assert!(
        x.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let mut aud = app.login("auditor").await;
    let log = app.get(&mut aud, "/audit?action=record.export").await;
    assert!(log.body.contains("行数：2"), "the export is audited: {}", log.body);
}

async fn import_pages(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    let page = app.get(&mut a, "/imports").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("/imports/template/employment") && page.body.contains("enctype=\"multipart/form-data\"")
    );
    assert!(page.body.contains("href=\"/imports\" class=\"active\""));
    let t = app.get(&mut a, "/imports/template/employment").await;
    assert_eq!(t.status, StatusCode::OK);
    assert!(t.body.starts_with("PK"), "an xlsx file");
    assert!(
        t.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''%E5%B0%B1%E4%B8%9A-")
    );
    assert_eq!(
        app.get(&mut a, "/imports/template/nothing").await.status,
        StatusCode::NOT_FOUND
    );
    let csrf = page.csrf();
    let good = IdNumber::from_parts("341021", chrono::NaiveDate::from_ymd_opt(1990, 1, 2).unwrap(), 21)
        .unwrap()
        .as_str()
        .to_string();
    let bad = {
        let ok = IdNumber::from_parts("341021", chrono::NaiveDate::from_ymd_opt(1991, 1, 2).unwrap(), 22)
            .unwrap()
            .as_str()
            .to_string();
        let last = if ok.ends_with('1') { '2' } else { '1' };
        format!("{}{last}", &ok[..17])
    };
    let csv = format!(
        "姓名,身份证号,手机号码,现居住地,户籍地,文化程度,职业技能,标签\n\
         王大,{good},,徽城镇,,初中,,\n\
         李二,{bad},,徽城镇,,,,\n"
    );
    let upload = |csrf: &str, target: &str, name: &str, content: &str| {
        multipart(&[("csrf", csrf), ("target", target)], Some(("file", name, content)))
    };
    // Without the token nothing is stored.
    let (ct, body) = upload("", "worker", "w.csv", &csv);
    let r = app.request(&mut a, "POST", "/imports", Some((&ct, body))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The preview: counts and the bad row.
    let (ct, body) = upload(&csrf, "worker", "w.csv", &csv);
    let r = app.request(&mut a, "POST", "/imports", Some((&ct, body))).await;
    let preview = app.import_done(&mut a, r).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body.contains("共2行，可新增1，更新0，无变化0，有误1"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("<td class=\"num\">3</td><td>身份证号</td>") && preview.body.contains("校验不通过"),
        "{}",
        preview.body
    );
    let token = {
        let i = preview.body.find("/imports/").unwrap() + "/imports/".len();
        let rest = &preview.body[i..];
        let t: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        assert_eq!(t.len(), 32, "{rest}");
        t
    };
    let find = |agent: &mut Agent| {
        let app = &app;
        let good = good.clone();
        let mut agent = agent.clone();
        async move { app.get(&mut agent, &format!("/workers?q={good}")).await.body }
    };
    assert!(!find(&mut a).await.contains("王大"), "a preview writes nothing");
    // Another user cannot use the token.
    let mut other = app.login("office").await;
    let theirs = app.csrf(&mut other).await;
    assert_eq!(
        app.get(&mut other, &format!("/imports/{token}/rejected")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post(
            &mut other,
            &format!("/imports/{token}/commit"),
            &[("csrf", &theirs), ("target", "worker")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!find(&mut a).await.contains("王大"));
    // 下载错误行
    let x = app.get(&mut a, &format!("/imports/{token}/rejected")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with("PK"));
    // Commit.
    let r = app
        .post(
            &mut a,
            &format!("/imports/{token}/commit"),
            &[("csrf", &csrf), ("target", "worker")],
        )
        .await;
    let done = app.import_done(&mut a, r).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("导入完成：共2行，已新增1，更新0，无变化0，有误1"),
        "{}",
        done.body
    );
    assert!(find(&mut a).await.contains("王大"), "the worker exists");
    assert_eq!(
        app.get(&mut a, &format!("/imports/{token}/rejected")).await.status,
        StatusCode::OK
    );
    let twice = app
        .post(
            &mut a,
            &format!("/imports/{token}/commit"),
            &[("csrf", &csrf), ("target", "worker")],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    // Bad files: the reason on the upload page, nothing written.
    for (content, expect) in [
        ("项目,金额\n甲,1\n", "身份证号"),
        ("姓名,身份证号,手机号码,现居住地,户籍地,文化程度\n", "没有数据"),
    ] {
        let (ct, body) = upload(&csrf, "worker", "bad.csv", content);
        let r = app.request(&mut a, "POST", "/imports", Some((&ct, body))).await;
        let r = app.import_done(&mut a, r).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(expect) && r.body.contains("error-box"), "{}", r.body);
    }
    // Above the server's general 16 MB body limit, the upload still arrives
    // (and is judged by its content).
    let big = "甲乙丙丁戊己庚辛壬癸,子丑寅卯辰巳午未申酉\n".repeat(300_000);
    assert!(big.len() > 17 * 1024 * 1024);
    let (ct, body) = upload(&csrf, "worker", "big.csv", &big);
    let r = app.request(&mut a, "POST", "/imports", Some((&ct, body))).await;
    let r = app.import_done(&mut a, r).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("找不到模板的表头"), "{}", r.body);
    let (ct, body) = upload(&csrf, "worker", "empty.csv", "");
    let r = app.request(&mut a, "POST", "/imports", Some((&ct, body))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (ct, body) = upload(&csrf, "", "w.csv", &csv);
    let r = app.request(&mut a, "POST", "/imports", Some((&ct, body))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请选择导入的数据类型"));
    // A record file.
    let jobs = format!(
        "姓名,身份证号,用人单位统一社会信用代码,用人单位名称,行业门类,就业形式,就业开始日期,是否签订劳动合同,是否经公共就业服务机构介绍\n\
         王大,{good},{},徽州某厂,制造业,就近就业,2024-03-06,是,否\n",
        credit(9)
    );
    let (ct, body) = upload(&csrf, "employment", "jobs.csv", &jobs);
    let r = app.request(&mut a, "POST", "/imports", Some((&ct, body))).await;
    let preview = app.import_done(&mut a, r).await;
    assert!(preview.body.contains("共1行，可新增1"), "{}", preview.body);
    assert!(!preview.body.contains("下载错误行"));
}

async fn worker_list_derived_conditions(db: Db) {
    let app = TestApp::new(db, false).await;
    let w = app.workers_in(&["341021100", "341022100"]).await;
    let (insured, uninsured) = (w["341021100"], w["341022100"]);
    let mut a = app.login("office").await;
    let csrf = app.csrf(&mut a).await;
    let r = app
        .post(
            &mut a,
            &format!("/workers/{insured}/records/new"),
            &[
                ("csrf", &csrf),
                ("form_kind", "insurance"),
                ("insurance", "养老保险"),
                ("scheme", "职工"),
                ("status", "参保缴费"),
                ("from", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let all = app.get(&mut a, "/workers").await;
    assert!(all.body.contains("测试甲") && all.body.contains("测试乙"));
    assert!(all.body.contains("<select id=\"condition\" name=\"condition\">") && all.body.contains("无社保"));
    let list = app.get(&mut a, "/workers?condition=no_insurance").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(&format!("/workers/{uninsured}\"")) && !list.body.contains(&format!("/workers/{insured}\"")),
        "{}",
        list.body
    );
    assert!(list.body.contains("<option value=\"no_insurance\" selected>"));
    assert!(list.body.contains("condition=no_insurance"), "kept in the export link");
}

async fn merging_a_duplicate_registration(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    let birth = chrono::NaiveDate::from_ymd_opt(1986, 4, 2).unwrap();
    let right = IdNumber::from_parts("341021", birth, 21).unwrap().as_str().to_string();
    let wrong = IdNumber::from_parts("341021", birth, 12).unwrap().as_str().to_string();
    let csrf = app.get(&mut a, "/workers/new").await.csrf();
    let register = async |agent: &mut crate::common::Agent, id_number: &str, region: &str| {
        let token = app.csrf(agent).await;
        let r = app
            .post(
                agent,
                "/workers/new",
                &[
                    ("csrf", &token),
                    ("name", "程大海"),
                    ("id_number", id_number),
                    ("region", region),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        r.location()
            .trim_start_matches("/workers/")
            .split('?')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    let target = register(&mut a, &right, "341021100").await;
    let source = register(&mut a, &wrong, "341021101").await;
    // A third registration in another county, outside 歙县's scope.
    let mut office = app.login("office").await;
    let outside_id = IdNumber::from_parts("341022", birth, 31).unwrap().as_str().to_string();
    register(&mut office, &outside_id, "341022100").await;
    // The same job on both, and one more on the duplicate.
    for (worker, n, employer) in [
        (target, 1, "本条登记的单位"),
        (source, 1, "重复登记的单位"),
        (source, 2, "另一家单位"),
    ] {
        let code = credit(n);
        let r = app
            .post(
                &mut a,
                &format!("/workers/{worker}/records/new"),
                &job_form(&csrf, &code, employer, "2024-03-05"),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let profile = app.get(&mut a, &format!("/workers/{target}")).await;
    assert!(
        profile.body.contains("<h2>合并重复登记</h2>")
            && profile.body.contains(&format!("action=\"/workers/{target}/merge\"")),
        "the merge form is on the profile"
    );
    let mut lead = app.login("lead").await;
    let p = app.get(&mut lead, &format!("/workers/{target}")).await;
    assert!(
        !p.body.contains("合并重复登记"),
        "no merge form without the right to write"
    );

    // Step one: the duplicate by its full number.
    let step1 = format!("/workers/{target}/merge");
    let reason = "乡镇录入身份证号错误导致重复登记";
    let refused = |body: &str, text: &str| assert!(body.contains(text), "{text}: {body}");
    let r = app
        .post(
            &mut a,
            &step1,
            &[("csrf", &csrf), ("id_number", ""), ("reason", reason)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused(&r.body, "请填写重复登记所用的完整身份证号");
    assert!(r.body.contains(&format!("value=\"{reason}\"")), "the reason is kept");
    let r = app
        .post(
            &mut a,
            &step1,
            &[("csrf", &csrf), ("id_number", &right), ("reason", reason)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused(&r.body, "就是本条登记");
    let r = app
        .post(
            &mut a,
            &step1,
            &[("csrf", &csrf), ("id_number", &outside_id), ("reason", reason)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused(&r.body, "没有找到");
    let r = app
        .post(
            &mut a,
            &step1,
            &[("csrf", &csrf), ("id_number", &wrong), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused(&r.body, "请填写合并事由");
    let spaced = format!("{} {} {}", &wrong[..6], &wrong[6..14], &wrong[14..]);
    let confirm = app
        .post(
            &mut a,
            &step1,
            &[("csrf", &csrf), ("id_number", &spaced), ("reason", reason)],
        )
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    let masked = |n: &str| IdNumber::parse(n).unwrap().masked();
    assert!(
        confirm.body.contains(&masked(&right))
            && confirm.body.contains(&masked(&wrong))
            && confirm.body.contains("确认合并")
            && confirm.body.contains("并入 1 条")
            && confirm.body.contains("另有 1 条与本条登记已有的记录重复"),
        "{}",
        confirm.body
    );
    assert!(
        !confirm.body.contains(&wrong) && !confirm.body.contains(&right),
        "full ID numbers are not shown again"
    );
    assert_eq!(field_value(&confirm.body, "source"), source.to_string());
    let version = field_value(&confirm.body, "version");
    let step2 = format!("/workers/{target}/merge/confirm");
    let source_s = source.to_string();
    // A stale version is refused; nothing changed.
    let stale = (version.parse::<i64>().unwrap() + 1).to_string();
    let r = app
        .post(
            &mut a,
            &step2,
            &[
                ("csrf", &csrf),
                ("source", &source_s),
                ("version", &stale),
                ("reason", reason),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    refused(&r.body, "已被他人修改");
    assert_eq!(
        app.get(&mut a, &format!("/workers/{source}")).await.status,
        StatusCode::OK
    );
    // Without the token, nothing either.
    let r = app
        .post(
            &mut a,
            &step2,
            &[("source", &source_s), ("version", &version), ("reason", reason)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&mut a, &format!("/workers/{source}")).await.status,
        StatusCode::OK
    );
    let r = app
        .post(
            &mut a,
            &step2,
            &[
                ("csrf", &csrf),
                ("source", &source_s),
                ("version", &version),
                ("reason", reason),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/workers/{target}?done=merged"));
    let after = app.get(&mut a, r.location()).await;
    assert!(
        after.body.contains("已合并重复登记")
            && after.body.contains("另一家单位")
            && after.body.contains("本条登记的单位")
            && !after.body.contains("重复登记的单位"),
        "{}",
        after.body
    );
    assert!(
        after
            .body
            .contains(&format!("重复登记（原编号 {source}），已并入本条登记并删除"))
            && after.body.contains("<td>合并</td>")
            && after.body.contains("与编号"),
        "the merge is in 变更历史: {}",
        after.body
    );
    assert_eq!(
        app.get(&mut a, &format!("/workers/{source}")).await.status,
        StatusCode::NOT_FOUND
    );
    let list = app.get(&mut a, &format!("/workers?q={wrong}")).await;
    assert!(!list.body.contains("程大海"), "the wrong number finds no one");
    let mut aud = app.login("auditor").await;
    let log = app.get(&mut aud, "/audit?action=worker.merge").await;
    assert!(
        log.body.contains("合并重复登记") && log.body.contains(&format!("并入的重复登记编号：{source}")),
        "{}",
        log.body
    );
    assert!(!log.body.contains(&wrong) && !log.body.contains(&right));
}

/// The plan's page, its editor and its versions.
async fn plan_pages(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut dept = app.login("dept").await;
    let page = app.get(&mut dept, "/plan").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "开展县域农民工市民化质量提升行动实施方案",
        "5000人左右",
        "不低于8000人次",
        "市人力资源社会保障局",
        "（十二）",
        "目标督办",
    ] {
        assert!(page.body.contains(text), "the plan page shows {text}");
    }
    assert!(
        !page.body.contains("href=\"/plan/edit\""),
        "no edit link without the permission"
    );
    // A department may read but not edit.
    assert_eq!(app.get(&mut dept, "/plan/edit").await.status, StatusCode::FORBIDDEN);
    let csrf = app.csrf(&mut dept).await;
    let r = app
        .post(
            &mut dept,
            "/plan/edit",
            &[("csrf", &csrf), ("version", "1"), ("toml", "format = 1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let mut office = app.login("office").await;
    let form = app.get(&mut office, "/plan/edit").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(field_value(&form.body, "version"), "1");
    let shipped = shiminhua_app::plan::document::SHIPPED_TOML;
    let csrf = form.csrf();

    // A syntax error: the line is named, the text kept, nothing saved.
    let broken = format!("{}\n[broken-table-marker\n", shipped.trim_end());
    let line = shipped.trim_end().lines().count() + 1;
    let r = app
        .post(
            &mut office,
            "/plan/edit",
            &[("csrf", &csrf), ("version", "1"), ("toml", &broken), ("note", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(&format!("第{line}行")), "the error names its line");
    assert!(r.body.contains("[broken-table-marker"), "the text is kept");
    assert!(r.body.contains("value = 5000"), "the whole text is kept");
    assert_eq!(
        shiminhua_app::plan::document::current(&app.db).await.unwrap().version,
        1
    );

    // A good edit bumps the version; the history lists the previous one.
    let edited = shipped.replacen("value = 8000", "value = 9000", 1);
    let r = app
        .post(
            &mut office,
            "/plan/edit",
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("toml", &edited),
                ("note", "培训目标调整为9000人次"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&mut office, "/plan?done=saved").await;
    assert!(page.body.contains("不低于9000人次") && page.body.contains("第2版"));
    let h = app.get(&mut dept, "/plan/history").await;
    assert_eq!(h.status, StatusCode::OK);
    assert!(
        h.body.contains("第2版（现行）") && h.body.contains("第1版") && h.body.contains("培训目标调整为9000人次"),
        "{}",
        h.body
    );
    assert!(h.body.contains("office"), "who saved it");

    // A save from the old version is refused, the text kept.
    let again = edited.replacen("value = 9000", "value = 9500", 1);
    let r = app
        .post(
            &mut office,
            "/plan/edit",
            &[("csrf", &csrf), ("version", "1"), ("toml", &again), ("note", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已被他人修改") && r.body.contains("value = 9500"));
    let cur = shiminhua_app::plan::document::current(&app.db).await.unwrap();
    assert_eq!((cur.version, cur.text), (2, edited));
}

/// A made-up table (not a State Council notice): for tests only.
const MADE_UP_2027: &str = "date,weekday,kind,festival_cn,festival_en,arrangement_year,in_lieu_weekday_off,source
2027-01-01,Fri,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试）
2027-02-20,Sat,workday,春节,Spring Festival,2027,,虚构数据（仅供测试）
";

async fn calendar_admin_page(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut office = app.login("office").await;
    assert_eq!(
        app.get(&mut office, "/admin/calendar").await.status,
        StatusCode::FORBIDDEN
    );
    let mut admin = app.login("admin").await;
    let page = app.get(&mut admin, "/admin/calendar").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("2023年") && page.body.contains("2026年") && !page.body.contains("2027年安排"));
    assert!(page.body.contains("国庆节") && page.body.contains("调休上班"));
    let csrf = page.csrf();
    // An error names its line and column, keeps the pasted text, loads nothing.
    let bad = MADE_UP_2027.replace("2027-01-01,Fri", "2027-01-01,Mon");
    let (ctype, body) = multipart(&[("csrf", &csrf), ("csv", &bad)], None);
    let r = app
        .request(&mut admin, "POST", "/admin/calendar", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("第2行第2列") && r.body.contains("2027-01-01,Mon"),
        "{}",
        r.body
    );
    // An uploaded file loads.
    let (ctype, body) = multipart(&[("csrf", &csrf)], Some(("file", "2027.csv", MADE_UP_2027)));
    let r = app
        .request(&mut admin, "POST", "/admin/calendar", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已载入2027年节假日安排，新增 2 个日期") && r.body.contains("2027年安排"));
    let cal = shiminhua_app::calendar::calendar(&app.db).await.unwrap();
    assert!(cal.covers(2027));
}

async fn target_board(db: Db) {
    let app = TestApp::new(db, false).await;
    shiminhua_app::ops::demo::generate(&app.db, &app.state.cipher, crate::common::t0(), 150, 5)
        .await
        .unwrap();
    let plan = shiminhua_app::plan::document::current(&app.db).await.unwrap().plan;
    let as_of = chrono::NaiveDate::from_ymd_opt(2023, 9, 30).unwrap();
    let (_, board) = shiminhua_app::plan::indicators::board(&app.db, &plan, as_of)
        .await
        .unwrap();
    let training = board.iter().find(|t| t.id == "training").unwrap();
    let city = training.city.actual.unwrap();
    assert!(city > 0.0, "the demo trains people in 2023");
    let counties: f64 = training.counties.iter().filter_map(|c| c.actual).sum();
    assert_eq!(counties, city, "a count's counties add up to the city");
    assert_eq!(training.counties.len(), 7);

    let mut lead = app.login("lead").await;
    let page = app.get(&mut lead, "/plan/board?as_of=2023-09-30").await;
    assert_eq!(page.status, StatusCode::OK);
    let shown = format!("{}人次", city as i64);
    for text in [
        "截至2023年9月30日",
        "计划期时间进度 74.8%",
        "补贴性农民工职业技能培训",
        shown.as_str(),
        "歙县",
        "黟县",
        "<svg class=\"chart\"",
        "/plan/board/figure?target=training&#38;region=341000000000&#38;as_of=2023-09-30",
        "市住房城乡建设局填报",
    ] {
        assert!(page.body.contains(text), "the board shows {text}");
    }
    // The counties most behind come first (then by name).
    use shiminhua_core::indicator::Pace;
    let mut expected: Vec<(i32, String)> = (0..7)
        .map(|i| {
            let score: i32 = board
                .iter()
                .map(|t| match t.counties[i].status {
                    Pace::Severe => 10,
                    Pace::Lagging => 1,
                    _ => 0,
                })
                .sum();
            (-score, t_name(&board, i))
        })
        .collect();
    expected.sort();
    let positions: Vec<usize> = expected
        .iter()
        .map(|(_, name)| {
            page.body
                .find(&format!("<th scope=\"row\" class=\"nowrap\">{name}</th>"))
                .unwrap_or_else(|| panic!("row of {name}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{expected:?}");
    // Month by month: the last point is the day's figure, and it never falls.
    let months = shiminhua_app::plan::indicators::monthly(&app.db, &plan, "training", plan.meta.region, as_of)
        .await
        .unwrap();
    assert_eq!(months.len(), 9, "January to September");
    assert_eq!(months.last().unwrap(), &(as_of, Some(city)));
    assert!(months.windows(2).all(|w| w[0].1 <= w[1].1));
    assert!(page.body.contains("补贴性农民工职业技能培训：全市逐月累计（人次）"));
    assert!(page.body.contains("<polyline points=\""));
    // A date that does not read: today's board and the reason.
    let bad = app.get(&mut lead, "/plan/board?as_of=2023-13-45").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("日期“2023-13-45”格式不正确"), "{}", bad.body);
    // The drill-down lists the training records of the figure.
    let mut office = app.login("office").await;
    let list = app
        .get(
            &mut office,
            "/records?kind=training&region=341000&to=2023-09-30&from=2023-01-01&f_subsidised=%E6%98%AF",
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
}

fn t_name(board: &[shiminhua_app::plan::indicators::TargetBoard], i: usize) -> String {
    board[0].counties[i].region_name.clone()
}

async fn facility_pages(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    // The nav entry, and the list of the first kind by default.
    let list = app.get(&mut a, "/facilities").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("设施台账") && list.body.contains("没有符合条件的工会驿站"));
    let nav = app.get(&mut a, "/facilities?kind=station").await;
    assert!(
        nav.body.contains("href=\"/facilities?kind=station\" class=\"active\""),
        "{}",
        nav.body
    );
    assert_eq!(
        app.get(&mut a, "/facilities?kind=nonsense").await.status,
        StatusCode::BAD_REQUEST
    );
    // The form is generated from the spec.
    let form = app.get(&mut a, "/facilities/new?kind=rental_housing").await;
    assert_eq!(form.status, StatusCode::OK);
    for label in ["项目名称", "计划套（间）数", "已交付套（间）数", "交付日期"] {
        assert!(form.body.contains(label), "{label}");
    }
    let csrf = form.csrf();
    // An error: the input stays, the message sits next to its field.
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("form_kind", "rental_housing"),
        ("name", "徽城人才公寓"),
        ("place", "341021100"),
        ("planned", "100"),
        ("delivered", "120"),
        ("delivered_on", "2023-12-01"),
    ];
    let r = app.post(&mut a, "/facilities/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("已交付套（间）数（120）不能多于计划套（间）数（100）"),
        "{}",
        r.body
    );
    assert_eq!(field_value(&r.body, "name"), "徽城人才公寓");
    assert_eq!(field_value(&r.body, "delivered"), "120");
    assert!(r.body.contains("<option value=\"341021100\" selected>"));
    // Fixed: saved, and the list shows it.
    fields[5] = ("delivered", "60");
    let r = app.post(&mut a, "/facilities/new", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/facilities?kind=rental_housing&done=created");
    let list = app.get(&mut a, r.location()).await;
    assert!(list.body.contains("已新增"));
    assert!(
        list.body.contains("徽城人才公寓") && list.body.contains("已交付套（间）数：60"),
        "{}",
        list.body
    );
    // A second entry of the same project is refused.
    let r = app.post(&mut a, "/facilities/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("已有项目名称、项目所在地"), "{}", r.body);
    // The name search and the region filter.
    let found = app
        .get(&mut a, "/facilities?kind=rental_housing&q=%E4%BA%BA%E6%89%8D")
        .await;
    assert!(found.body.contains("徽城人才公寓"));
    let none = app
        .get(&mut a, "/facilities?kind=rental_housing&q=%E6%B2%A1%E6%9C%89")
        .await;
    assert!(!none.body.contains("徽城人才公寓"));
    let elsewhere = app.get(&mut a, "/facilities?kind=rental_housing&region=341022").await;
    assert!(!elsewhere.body.contains("徽城人才公寓"));

    // Editing: a stale version keeps the input and says why.
    let id = list
        .body
        .split("href=\"/facilities/")
        .filter_map(|s| s.split("/edit\"").next())
        .find(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .expect("an edit link")
        .to_string();
    let edit = app.get(&mut a, &format!("/facilities/{id}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert_eq!(field_value(&edit.body, "delivered"), "60");
    assert_eq!(field_value(&edit.body, "version"), "1");
    let mut change = fields.clone();
    change[5] = ("delivered", "80");
    change.push(("version", "1"));
    let r = app.post(&mut a, &format!("/facilities/{id}/edit"), &change).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    change[5] = ("delivered", "90");
    let r = app.post(&mut a, &format!("/facilities/{id}/edit"), &change).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已被他人修改") && field_value(&r.body, "delivered") == "90");

    // Another county's user sees none of it.
    let mut other = app.login("inspector").await;
    let theirs = app.get(&mut other, "/facilities?kind=rental_housing").await;
    assert!(!theirs.body.contains("徽城人才公寓") && !theirs.body.contains("/facilities/new"));

    // The export downloads the list, and is audited.
    let x = app.get(&mut a, "/facilities/export?kind=rental_housing").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with("PK"), "an xlsx file");
    assert!(
        x.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    // Deleting with the current version.
    let csrf = app.csrf(&mut a).await;
    let r = app
        .post(
            &mut a,
            &format!("/facilities/{id}/delete"),
            &[("csrf", &csrf), ("version", "2")],
        )
        .await;
    assert_eq!(r.location(), "/facilities?kind=rental_housing&done=deleted");
    let after = app.get(&mut a, "/facilities?kind=rental_housing").await;
    assert!(!after.body.contains("徽城人才公寓"));
    let mut aud = app.login("auditor").await;
    let log = app.get(&mut aud, "/audit?action=facility.export").await;
    assert!(log.body.contains("行数：1"), "the export is audited: {}", log.body);
    let log = app.get(&mut aud, "/audit?action=facility.delete").await;
    assert!(log.body.contains("删除设施台账"), "{}", log.body);
}

/// The page of `path` as the agent sees it, asserting it answers 200.
async fn page_ok(app: &TestApp, agent: &mut Agent, path: &str) -> String {
    let r = app.get(agent, path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

async fn report_pages(db: Db) {
    let app = TestApp::new(db.clone(), false).await;
    set_unit(&db, "dept", "341000-rsj").await;
    let mut dept = app.login("dept").await;
    let mut office = app.login("office").await;
    // The workbench says what the unit owes and by when: every 2023 quarter, overdue.
    let home = page_ok(&app, &mut dept, "/").await;
    for text in [
        "待报送（市人力资源社会保障局）",
        "2023年第三季度",
        "2023年10月11日",
        "已逾期",
        "/reports/new?period=2023Q3",
    ] {
        assert!(home.contains(text), "the workbench shows {text}");
    }
    // The nav has the entry; the form lists the measures and the figures.
    let form = page_ok(&app, &mut dept, "/reports/new?period=2023Q3").await;
    assert!(form.contains("href=\"/reports\""));
    assert!(form.contains("（六）保障农民工工资支付 第6.1条"));
    assert!(form.contains("创业担保贷款发放总量"));
    assert!(form.contains("name=\"fig_startup_loans_341021\""));
    let csrf = field_value(&form, "csrf");
    let post = |fields: Vec<(&'static str, String)>, file: Option<(&'static str, &'static str)>| {
        let fields: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            multipart(&refs, file.map(|(name, content)| ("files", name, content)))
        }
    };
    // Bad input: the reasons next to the fields, the input kept.
    let (ctype, body) = post(
        vec![
            ("csrf", csrf.clone()),
            ("period", "2023Q3".into()),
            ("body", String::new()),
            ("note_6.1", "专项行动情况".into()),
            ("fig_startup_loans", "三亿".into()),
        ],
        Some(("程序.exe", "MZ")),
    )
    .await;
    let r = app
        .request(&mut dept, "POST", "/reports/new", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in [
        "请填写本期工作进展",
        "“三亿”不是数字",
        "value=\"三亿\"",
        "专项行动情况",
        "程序.exe",
        "类型不能上传",
    ] {
        assert!(r.body.contains(text), "the refused form shows {text}");
    }
    // Filed with a PDF.
    let (ctype, body) = post(
        vec![
            ("csrf", csrf.clone()),
            ("period", "2023Q3".into()),
            ("body", "三季度发放创业担保贷款。".into()),
            ("fig_startup_loans", "2.85".into()),
            ("fig_startup_loans_341021", "0.4".into()),
        ],
        Some(("三季度.pdf", "%PDF-1.4 report")),
    )
    .await;
    let r = app
        .request(&mut dept, "POST", "/reports/new", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let show = r.location().split('?').next().unwrap().to_string();
    let id: i64 = show.rsplit('/').next().unwrap().parse().unwrap();
    let page = page_ok(&app, &mut dept, r.location()).await;
    for text in [
        "报告已报送",
        "三季度发放创业担保贷款。",
        "2.85亿元",
        "0.4亿元",
        "三季度.pdf",
        "已报送",
    ] {
        assert!(page.contains(text), "the report shows {text}");
    }
    let file_link = page.split("href=\"").find(|s| s.contains("/files/")).unwrap();
    let file_link = &file_link[..file_link.find('"').unwrap()];
    let dl = app.get(&mut office, file_link).await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.headers["content-type"], "application/pdf");
    assert_eq!(dl.body, "%PDF-1.4 report");
    // The office: overdue units first, the measure view, 督办.
    let ov = page_ok(&app, &mut office, "/reports?period=2023Q3").await;
    let overdue = ov.find("逾期</span>").unwrap();
    let filed = ov.find("市人力资源社会保障局").unwrap();
    assert!(overdue < filed, "the overdue first");
    assert!(ov.contains("应报单位 9 个，已报送 1 个，逾期未报 <strong>8</strong> 个"));
    let m = page_ok(&app, &mut office, "/reports/measures?period=2023Q3").await;
    let six = &m[m.find("（六）保障农民工工资支付").unwrap()..];
    let six = &six[..six.find("</section>").unwrap()];
    assert_eq!(
        six.matches("class=\"mark").count(),
        6,
        "the lead and five cooperating units"
    );
    assert_eq!(
        six.matches("action=\"/reports/urge\"").count(),
        5,
        "督办 for the five that have not filed"
    );
    let gaj = shiminhua_app::units::id_by_code(&db, "341000-gaj")
        .await
        .unwrap()
        .unwrap()
        .to_string();
    let ocsrf = app.csrf(&mut office).await;
    let r = app
        .post(
            &mut office,
            "/reports/urge",
            &[
                ("csrf", &ocsrf),
                ("unit", &gaj),
                ("period", "2023Q3"),
                ("note", "请立即报送"),
                ("back", "measures"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/reports/measures?period=2023Q3&done=urged");
    let m = page_ok(&app, &mut office, "/reports/measures?period=2023Q3").await;
    assert!(m.contains("已督办1次"));
    // Review: a return needs its reason; then returned, revised and accepted.
    let review = format!("/reports/{id}/review");
    let r = app
        .post(
            &mut office,
            &review,
            &[("csrf", &ocsrf), ("version", "1"), ("decision", "return")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("退回报告须写明退回原因"));
    let r = app
        .post(
            &mut office,
            &review,
            &[
                ("csrf", &ocsrf),
                ("version", "1"),
                ("decision", "return"),
                ("comment", "请补充各区县数"),
            ],
        )
        .await;
    assert_eq!(r.location(), format!("/reports/{id}?done=returned"));
    let home = page_ok(&app, &mut dept, "/").await;
    assert!(home.contains("退回意见：请补充各区县数"));
    assert!(home.contains(&format!("/reports/{id}/edit")));
    let edit = page_ok(&app, &mut dept, &format!("/reports/{id}/edit")).await;
    assert!(edit.contains("value=\"2.85\"") && edit.contains("专班办公室意见：请补充各区县数"));
    let stale = vec![
        ("csrf", csrf.clone()),
        ("version", "1".to_string()),
        ("body", "补充后的进展。".into()),
        ("fig_startup_loans", "2.9".into()),
    ];
    let (ctype, body) = post(stale.clone(), None).await;
    let r = app
        .request(&mut dept, "POST", &format!("/reports/{id}/edit"), Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("已被他人修改") && r.body.contains("补充后的进展。"),
        "input kept"
    );
    let mut fresh = stale;
    fresh[1].1 = "2".into();
    let (ctype, body) = post(fresh, None).await;
    let r = app
        .request(&mut dept, "POST", &format!("/reports/{id}/edit"), Some((&ctype, body)))
        .await;
    assert_eq!(r.location(), format!("/reports/{id}?done=saved"));
    let r = app
        .post(
            &mut office,
            &review,
            &[("csrf", &ocsrf), ("version", "3"), ("decision", "accept")],
        )
        .await;
    assert_eq!(r.location(), format!("/reports/{id}?done=accepted"));
    // The board shows the accepted figure and links to the report.
    let board = page_ok(&app, &mut office, "/plan/board?as_of=2023-12-31").await;
    assert!(board.contains("2.9亿元"), "the reported figure on the board");
    assert!(board.contains(&format!("href=\"/reports/{id}\"")));
    assert!(board.contains("截至2023年9月30日，已采纳的调度报告"));
    // Closing the period: filing for it is refused with the reason.
    let r = app
        .post(&mut office, "/reports/close", &[("csrf", &ocsrf), ("period", "2023Q3")])
        .await;
    assert_eq!(r.location(), "/reports?period=2023Q3&done=closed");
    set_unit(&db, "dept", "341000-zgh").await;
    let (ctype, body) = post(
        vec![
            ("csrf", csrf.clone()),
            ("period", "2023Q3".into()),
            ("body", "迟报。".into()),
        ],
        None,
    )
    .await;
    let r = app
        .request(&mut dept, "POST", "/reports/new", Some((&ctype, body)))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body
            .contains("该调度期（2023年第三季度）已于2026年9月30日关闭，不能再报送"),
        "{}",
        r.body
    );
    // A lead reads but neither files nor reviews.
    let mut lead = app.login("lead").await;
    assert_eq!(app.get(&mut lead, &show).await.status, StatusCode::OK);
    assert_eq!(app.get(&mut lead, "/reports/new").await.status, StatusCode::FORBIDDEN);
}
