//! HTTP for shiminhua: router, sessions, CSRF, permission extractors and
//! server-rendered pages (Simplified Chinese, usable without JavaScript).

mod error;
mod extract;
mod layout;
mod metrics;
mod mw;
mod throttle;
mod views;

pub use error::WebError;
pub use metrics::Metrics;

use axum::Router;
use axum::routing::{get, post};
use shiminhua_app::clock::Clock;
use shiminhua_app::config::Config;
use shiminhua_app::crypto::Cipher;
use shiminhua_app::store::Db;
use std::net::SocketAddr;
use std::sync::Arc;

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub clock: Clock,
    /// Running with `--demo`: demo accounts skip the forced change and the
    /// second factor, and every page shows the 演示环境 banner.
    pub demo: bool,
    pub metrics: Metrics,
    /// Seals and opens personal information and second-factor secrets.
    pub cipher: Cipher,
    /// The public progress page as last rendered.
    pub public_page: views::public::PageCache,
    /// Throttling and the challenge of the public case pages.
    pub(crate) public_guard: throttle::Guard,
    /// Throttling of failed sign-ins per client address and user name.
    pub(crate) login_guard: throttle::LoginGuard,
    /// Audited reads of personal data, written in batches; closed (and
    /// written out) on graceful shutdown.
    pub reads: shiminhua_app::audit::ReadQueue,
    /// The checks and imports of uploaded files (批量导入), by upload.
    pub(crate) imports: views::imports::Jobs,
    /// Which units' department accounts see the monitored projects (for the navigation).
    pub(crate) monitor_units: views::monitor::UnitViews,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(db: Db, config: Config, clock: Clock, demo: bool, cipher: Cipher) -> AppState {
        AppState(Arc::new(Inner {
            reads: shiminhua_app::audit::ReadQueue::start(db.clone(), READS_EVERY, READS_BATCH),
            db,
            public_guard: throttle::Guard::new(&config.public),
            login_guard: throttle::LoginGuard::new(&config.security),
            config,
            clock,
            demo,
            metrics: Metrics::default(),
            cipher,
            public_page: Default::default(),
            imports: Default::default(),
            monitor_units: Default::default(),
        }))
    }
}

/// How often queued reads are written, and how many at most in one transaction.
const READS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
const READS_BATCH: usize = 500;

/// Declares every route once: the router is built from this list, and the
/// authorisation-matrix test reads [`ROUTES`] so that a new route without a
/// row in the matrix fails the test.
macro_rules! routes {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        /// Every (method, path) the server answers.
        pub const ROUTES: &[(&str, &str)] = &[$( (stringify!($method), $path) ),*];

        fn add_routes(r: Router<AppState>) -> Router<AppState> {
            r $( .route($path, $method($handler)) )*
        }
    };
}

routes! {
    get "/healthz" => views::ops::healthz,
    get "/metrics" => views::ops::metrics,
    get "/static/app.css" => views::ops::css,
    get "/login" => views::auth::login_page,
    post "/login" => views::auth::login_submit,
    get "/login/totp" => views::auth::totp_page,
    post "/login/totp" => views::auth::totp_submit,
    post "/logout" => views::auth::logout,
    get "/account" => views::account::profile,
    get "/account/password" => views::account::password_page,
    post "/account/password" => views::account::password_submit,
    get "/account/totp" => views::account::totp_enrol_page,
    post "/account/totp" => views::account::totp_enrol_submit,
    get "/" => views::home::workbench,
    get "/regions" => views::regions::tree,
    get "/regions/import" => views::regions::import_page,
    post "/regions/import" => views::regions::import_submit,
    get "/regions/{code}" => views::regions::detail,
    get "/units" => views::units::list,
    get "/taskforce" => views::units::taskforce,
    get "/admin/users" => views::users::list,
    get "/admin/users/new" => views::users::new_page,
    post "/admin/users/new" => views::users::create,
    get "/admin/users/{id}" => views::users::edit_page,
    post "/admin/users/{id}" => views::users::update,
    post "/admin/users/{id}/disable" => views::users::disable,
    post "/admin/users/{id}/enable" => views::users::enable,
    post "/admin/users/{id}/reset-password" => views::users::reset_password,
    get "/grants" => views::grants::list,
    post "/grants/{id}/approve" => views::grants::approve,
    post "/grants/{id}/reject" => views::grants::reject,
    get "/workers" => views::workers::list,
    get "/workers/export" => views::workers::export,
    get "/workers/new" => views::workers::new_page,
    post "/workers/new" => views::workers::create,
    get "/workers/{id}" => views::workers::profile,
    get "/workers/{id}/edit" => views::workers::edit_page,
    post "/workers/{id}/edit" => views::workers::update,
    post "/workers/{id}/reveal" => views::workers::reveal,
    get "/workers/{id}/dependants/new" => views::workers::dependant_new_page,
    post "/workers/{id}/dependants/new" => views::workers::dependant_create,
    post "/workers/{id}/merge" => views::workers::merge_preview,
    post "/workers/{id}/merge/confirm" => views::workers::merge_confirm,
    get "/workers/{id}/records/new" => views::records::new_page,
    post "/workers/{id}/records/new" => views::records::create,
    get "/records" => views::records::list,
    get "/records/export" => views::records::export,
    get "/records/{id}/edit" => views::records::edit_page,
    post "/records/{id}/edit" => views::records::update,
    post "/records/{id}/delete" => views::records::delete,
    get "/imports" => views::imports::page,
    post "/imports" => views::imports::LargeUpload,
    get "/imports/template/{kind}" => views::imports::template,
    get "/imports/{token}" => views::imports::show,
    post "/imports/{token}/map" => views::imports::map,
    post "/imports/{token}/commit" => views::imports::commit,
    get "/imports/{token}/rejected" => views::imports::rejected,
    post "/imports/{token}/cancel" => views::imports::cancel,
    get "/api/v1/openapi.json" => views::api::openapi,
    get "/api/v1/workers" => views::api::workers,
    post "/api/v1/workers" => views::api::put_worker,
    get "/api/v1/workers/{id}" => views::api::worker,
    get "/api/v1/records/{kind}" => views::api::records_list,
    post "/api/v1/records/{kind}" => views::api::put_record,
    post "/api/v1/vacancies" => views::api::post_vacancy,
    get "/plan" => views::plan::show,
    get "/plan/edit" => views::plan::edit_page,
    post "/plan/edit" => views::plan::edit_submit,
    get "/plan/history" => views::plan::history,
    get "/plan/board" => views::indicators::board,
    get "/plan/board/figure" => views::indicators::figure,
    get "/plan/allocation" => views::plan::allocation_page,
    post "/plan/allocation" => views::plan::allocation_submit,
    get "/plan/evaluation" => views::evaluation::page,
    get "/plan/evaluation/export" => views::evaluation::export,
    get "/progress" => views::public::progress,
    get "/reports" => views::reports::overview,
    get "/reports/measures" => views::reports::measures,
    get "/reports/new" => views::reports::new_page,
    post "/reports/new" => views::reports::create,
    post "/reports/urge" => views::reports::urge,
    post "/reports/close" => views::reports::close,
    get "/reports/{id}" => views::reports::show,
    get "/reports/{id}/edit" => views::reports::edit_page,
    post "/reports/{id}/edit" => views::reports::update,
    post "/reports/{id}/review" => views::reports::review,
    get "/reports/{id}/files/{file}" => views::reports::download,
    get "/facilities" => views::facilities::list,
    get "/facilities/export" => views::facilities::export,
    get "/facilities/new" => views::facilities::new_page,
    post "/facilities/new" => views::facilities::create,
    get "/facilities/{id}/edit" => views::facilities::edit_page,
    post "/facilities/{id}/edit" => views::facilities::update,
    post "/facilities/{id}/delete" => views::facilities::delete,
    // -- cases (staff pages)
    get "/cases" => views::cases::list,
    get "/cases/new" => views::cases::new_page,
    post "/cases/new" => views::cases::create,
    get "/cases/registered" => views::cases::registered,
    get "/cases/settings" => views::cases::settings,
    post "/cases/settings" => views::cases::settings_submit,
    get "/cases/{id}" => views::cases::show,
    post "/cases/{id}/act" => views::cases::act,
    post "/cases/{id}/files" => views::cases::upload,
    get "/cases/{id}/files/{file}" => views::cases::download,
    // -- cases (public pages)
    get "/public/cases/new" => views::public_cases::report_page,
    post "/public/cases/new" => views::public_cases::report_submit,
    get "/public/cases/done" => views::public_cases::done_page,
    get "/public/cases/query" => views::public_cases::query_page,
    get "/public/jobs/register" => views::public_seekers::register_page,
    post "/public/jobs/register" => views::public_seekers::register_submit,
    get "/public/jobs/register/query" => views::public_seekers::query_page,
    post "/public/jobs/register/query" => views::public_seekers::query_submit,
    post "/public/cases/query" => views::public_cases::query_submit,
    // -- cases (blacklist)
    get "/blacklist" => views::blacklist::list,
    get "/blacklist/export" => views::blacklist::export,
    get "/blacklist/new" => views::blacklist::new_page,
    post "/blacklist/new" => views::blacklist::create,
    get "/blacklist/{id}" => views::blacklist::show,
    post "/blacklist/{id}/remove" => views::blacklist::remove,
    post "/blacklist/{id}/revoke" => views::blacklist::revoke,
    // -- cases (statistics)
    get "/cases/stats" => views::case_stats::stats,
    get "/cases/stats/export" => views::case_stats::export,
    get "/cases/clearance" => views::case_stats::clearance,
    // -- wage-payment monitoring (工资支付监控)
    get "/monitor" => views::monitor::board,
    post "/monitor/evaluate" => views::monitor::evaluate,
    get "/monitor/rules" => views::monitor::rules_page,
    post "/monitor/rules" => views::monitor::rules_submit,
    get "/monitor/warnings" => views::monitor::warnings::list,
    get "/monitor/warnings/export" => views::monitor::warnings::export,
    get "/monitor/warnings/{id}" => views::monitor::warnings::show,
    post "/monitor/warnings/{id}/act" => views::monitor::warnings::act,
    post "/monitor/warnings/{id}/case" => views::monitor::warnings::to_case,
    get "/monitor/projects" => views::monitor::projects::list,
    get "/monitor/projects/new" => views::monitor::projects::new_page,
    post "/monitor/projects/new" => views::monitor::projects::create,
    get "/monitor/projects/{id}" => views::monitor::projects::show,
    get "/monitor/projects/{id}/edit" => views::monitor::projects::edit_page,
    post "/monitor/projects/{id}/edit" => views::monitor::projects::update,
    post "/monitor/projects/{id}/account" => views::monitor::projects::account,
    post "/monitor/projects/{id}/transfers" => views::monitor::projects::transfer,
    post "/monitor/projects/{id}/deposits" => views::monitor::projects::deposit,
    post "/monitor/projects/{id}/board" => views::monitor::projects::notice_board,
    get "/monitor/projects/{id}/board/{file}" => views::monitor::projects::board_photo,
    post "/monitor/projects/{id}/roster" => views::monitor::projects::roster,
    post "/monitor/projects/{id}/attendance" => views::monitor::projects::attendance,
    post "/monitor/projects/{id}/payroll" => views::monitor::projects::payroll,
    // -- public employment services (就业服务)
    get "/jobs" => views::jobs::vacancies_page,
    get "/jobs/vacancies/new" => views::jobs::vacancy_new,
    post "/jobs/vacancies/new" => views::jobs::vacancy_create,
    get "/jobs/vacancies/{id}" => views::jobs::vacancy_page,
    get "/jobs/vacancies/{id}/edit" => views::jobs::vacancy_edit,
    post "/jobs/vacancies/{id}/edit" => views::jobs::vacancy_update,
    post "/jobs/vacancies/{id}/status" => views::jobs::vacancy_status,
    get "/jobs/seekers" => views::jobs::seekers_page,
    get "/jobs/seekers/new" => views::jobs::seeker_new,
    post "/jobs/seekers/new" => views::jobs::seeker_create,
    get "/jobs/seekers/{id}" => views::jobs::seeker_page,
    post "/jobs/seekers/{id}/status" => views::jobs::seeker_status,
    post "/jobs/referrals" => views::jobs::refer,
    post "/jobs/referrals/{id}/outcome" => views::jobs::outcome,
    get "/jobs/registrations" => views::jobs::registrations_page,
    get "/jobs/registrations/new" => views::jobs::registration_new,
    post "/jobs/registrations/new" => views::jobs::registration_create,
    post "/jobs/registrations/{id}/end" => views::jobs::registration_end,
    get "/jobs/events" => views::jobs::events_page,
    get "/jobs/events/new" => views::jobs::event_new,
    post "/jobs/events/new" => views::jobs::event_create,
    get "/jobs/events/{id}" => views::jobs::event_page,
    get "/jobs/events/{id}/edit" => views::jobs::event_edit,
    post "/jobs/events/{id}/edit" => views::jobs::event_update,
    post "/jobs/events/{id}/vacancies" => views::jobs::event_vacancies,
    get "/jobs/wage-guide" => views::jobs::guide_page,
    post "/jobs/wage-guide" => views::jobs::guide_compute,
    get "/jobs/wage-guide/export" => views::jobs::guide_export,
    get "/jobs/occupations" => views::jobs::occupations_page,
    get "/jobs/figure" => views::jobs::figure_page,
    get "/jobs/applications" => views::jobs::applications_page,
    post "/jobs/applications/{id}/accept" => views::jobs::application_accept,
    post "/jobs/applications/{id}/refuse" => views::jobs::application_refuse,
    post "/jobs/occupations" => views::jobs::occupations_load,
    get "/public/jobs" => views::public_jobs::board,
    get "/public/jobs/{id}" => views::public_jobs::vacancy,
    get "/public/pay" => views::monitor::public::page,
    post "/public/pay" => views::monitor::public::submit,
    get "/admin/calendar" => views::calendar::page,
    post "/admin/calendar" => views::calendar::load,
    get "/audit" => views::audit::list,
    get "/audit/export" => views::audit::export,
    get "/audit/person" => views::audit::person,
    post "/audit/person" => views::audit::person_search,
}

/// The whole application as a router.
pub fn router(state: AppState) -> Router {
    add_routes(Router::new())
        .fallback(views::ops::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), mw::session))
        .layer(axum::middleware::from_fn_with_state(state.clone(), mw::observe))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            mw::security_headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(state)
}

/// `/metrics` alone, for its own listen address (`[metrics] listen`); a
/// `[metrics] token`, when also set, is required there too.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(views::ops::metrics_own))
        .fallback(views::ops::plain_not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            mw::security_headers,
        ))
        .with_state(state)
}

/// Serves [`metrics_router`] on `listener` until Ctrl-C / SIGTERM.
pub async fn serve_metrics(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, metrics_router(state))
        .with_graceful_shutdown(shutdown())
        .await
}

/// Serves until Ctrl-C / SIGTERM. `ready` is called once the socket listens.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_until(state, listener, shutdown()).await
}

/// Serves until `stop` completes, then lets the requests in flight finish
/// and writes out the audited reads still queued.
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
            loop {
                tick.tick().await;
                // A key rotated meanwhile is taken up for sealing new values.
                state.cipher.refresh();
                let now = state.clock.now();
                // Uploads and exports left behind (personal data outside the database).
                views::imports::sweep(&state).await;
                if let Err(e) =
                    shiminhua_app::sessions::sweep(&state.db, now, state.config.security.session_idle_minutes).await
                {
                    tracing::warn!(error = %e, "session sweep failed");
                }
                // Job seekers' own applications past the time the notice promises.
                if let Err(e) = shiminhua_app::registry::jobs::applications::sweep(&state.db, now).await {
                    tracing::warn!(error = %e, "application sweep failed");
                }
                // The wage-payment monitoring's rules, once a day.
                if let Err(e) = shiminhua_app::rights::monitor::evaluate_if_due(&state.db, now).await {
                    tracing::warn!(error = %e, "daily monitoring evaluation failed");
                }
            }
        })
    };
    let reads = state.reads.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let r = axum::serve(listener, app).with_graceful_shutdown(stop).await;
    sweeper.abort();
    // Every request has been answered: write the reads still queued.
    reads.close().await;
    r
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
