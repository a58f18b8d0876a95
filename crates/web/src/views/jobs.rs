//! 就业服务 (public employment services, plan 二(三)): vacancies (岗位) and
//! job seekers (求职登记) of the whole city, each with the matches of the
//! other side and their referrals (推荐) and results, the wage guide
//! (工资价位) and the occupation list. Every page calls
//! `shiminhua_app::registry::jobs`, which keeps the data scope and masks the
//! seekers of other places.

use crate::error::WebError;
use crate::extract::{Form, ManagePlan, ManageSystem, Need, ViewDashboard, ViewUnits, WriteRecords};
use crate::layout::Layout;
use crate::views::fields::{FieldForm, Filled, submitted};
use crate::views::{Pager, date_zh, html, parse_id, q_get, query_string, region_options, with_status, xlsx_download};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use shiminhua_app::regions::{CountyNames, PlaceBook};
use shiminhua_app::registry::jobs::occupations::{self, OccupationBook};
use shiminhua_app::registry::jobs::referrals::{self, ReferralRow};
use shiminhua_app::registry::jobs::seekers::{self, Seeker, SeekerFilter};
use shiminhua_app::registry::jobs::vacancies::{self, VacancyFilter, VacancyRow, yuan};
use shiminhua_app::registry::jobs::wage_guide::{self, GuideRow};
use shiminhua_app::registry::jobs::{events, matching};
use shiminhua_app::registry::workers;
use shiminhua_app::{AppError, FieldErrors};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::jobs::forms::{EVENT, SEEKER, VACANCY};
use shiminhua_core::jobs::matching::Fit;
use shiminhua_core::jobs::occupation::MAJOR_GROUP_NAMES;
use shiminhua_core::jobs::wage_guide::DEFAULT_MIN_CELL;
use shiminhua_core::jobs::{EventSeries, ReferralOutcome, SeekerStatus, VacancyStatus};
use std::collections::HashMap;

fn today(n: &crate::extract::Ctx) -> NaiveDate {
    n.state.clock.today()
}

/// The 8 major groups as (code, label) options.
pub fn majors() -> Vec<(String, String)> {
    MAJOR_GROUP_NAMES
        .iter()
        .zip(1..)
        .map(|(n, i)| (i.to_string(), format!("{i} {n}")))
        .collect()
}

fn major_of(q: &HashMap<String, String>) -> Result<Option<u8>, WebError> {
    match q_get(q, "major").as_str() {
        "" => Ok(None),
        s => s
            .parse::<u8>()
            .ok()
            .filter(|m| (1..=8).contains(m))
            .map(Some)
            .ok_or_else(|| WebError(AppError::BadRequest("职业大类不对".into()))),
    }
}

fn region_of(q: &HashMap<String, String>) -> Result<Option<DivisionCode>, WebError> {
    match q_get(q, "region").as_str() {
        "" => Ok(None),
        s => DivisionCode::parse(s)
            .map(Some)
            .map_err(|_| WebError(AppError::BadRequest("区划代码不对".into()))),
    }
}

fn crumbs(l: Layout) -> Layout {
    l.crumb("就业服务", "/jobs")
}

// ---------------------------------------------------------------------------
// Vacancies

/// A vacancy as listed.
pub struct VacancyLine {
    pub id: i64,
    pub title: String,
    pub employer: String,
    pub occupation: String,
    pub place: String,
    pub headcount: i64,
    pub wage: String,
    pub valid_until: String,
    pub status: &'static str,
}

fn vacancy_line(v: &VacancyRow, places: &PlaceBook, book: &OccupationBook) -> VacancyLine {
    VacancyLine {
        id: v.id,
        title: v.title.clone(),
        employer: v.employer_name.clone(),
        occupation: book.label(&v.occupation),
        place: places.full_name(v.region_code),
        headcount: v.headcount,
        wage: v.wage_label(),
        valid_until: date_zh(v.valid_until),
        status: v.status_label(),
    }
}

#[derive(Template)]
#[template(path = "jobs/vacancies.html")]
struct VacanciesTpl {
    layout: Layout,
    rows: Vec<VacancyLine>,
    pager: Pager,
    q: String,
    regions: Vec<(String, String)>,
    region: String,
    majors: Vec<(String, String)>,
    major: String,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    /// Open vacancies and places by county: (county, vacancies, headcount).
    counties: Vec<(String, i64, i64)>,
    can_write: bool,
}

/// GET /jobs?q=…&region=…&major=…&status=…
pub async fn vacancies_page(
    n: Need<ViewDashboard>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let search: String = q_get(&q, "q").chars().take(50).collect();
    let expired = q_get(&q, "status") == "expired";
    let status = match q_get(&q, "status").as_str() {
        "" | "expired" => None,
        s => Some(VacancyStatus::from_code(s).ok_or_else(|| WebError(AppError::BadRequest("状态不对".into())))?),
    };
    let f = VacancyFilter {
        q: search.clone(),
        region: region_of(&q)?,
        major: major_of(&q)?,
        wage_at_least: None,
        status,
        expired,
    };
    let base = query_string(&[
        ("q", &search),
        ("region", &q_get(&q, "region")),
        ("major", &q_get(&q, "major")),
        ("status", &q_get(&q, "status")),
    ]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, base);
    let day = today(&n.ctx);
    let (rows, total) = vacancies::list(&st.db, &n.actor, &f, day, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let mut tx = st.db.read().await?;
    let places = PlaceBook::load(&mut tx).await?;
    let book = OccupationBook::load(&mut tx).await?;
    drop(tx);
    let names = CountyNames::load(&st.db).await?;
    let counties = vacancies::open_by_county(&st.db, &n.actor, day)
        .await?
        .into_iter()
        .map(|(c, k, h)| (names.name_of(c).unwrap_or("").to_string(), k, h))
        .collect();
    Ok(html(&VacanciesTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), "岗位")).crumb("岗位", ""),
        rows: rows.iter().map(|v| vacancy_line(v, &places, &book)).collect(),
        pager,
        q: search,
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        region: q_get(&q, "region"),
        majors: majors(),
        major: q_get(&q, "major"),
        statuses: VacancyStatus::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        status: q_get(&q, "status"),
        counties,
        can_write: n.actor.can(Permission::WriteRecords),
    }))
}

#[derive(Template)]
#[template(path = "jobs/vacancy_form.html")]
struct VacancyFormTpl {
    layout: Layout,
    form: FieldForm,
    id: i64,
}

async fn vacancy_form(
    n: &Need<WriteRecords>,
    id: i64,
    version: i64,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
    conflict: Option<String>,
) -> Result<VacancyFormTpl, WebError> {
    let (title, action) = if id > 0 {
        ("修改岗位", format!("/jobs/vacancies/{id}/edit"))
    } else {
        ("发布岗位", "/jobs/vacancies/new".to_string())
    };
    let filled = Filled {
        values,
        errors,
        conflict,
        child_help: None,
    };
    Ok(VacancyFormTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), title))
            .crumb("岗位", "/jobs")
            .crumb(title, ""),
        form: FieldForm::new(&n.ctx, &n.actor, &VACANCY, action, version, filled).await?,
        id,
    })
}

/// GET /jobs/vacancies/new
pub async fn vacancy_new(n: Need<WriteRecords>) -> Result<Response, WebError> {
    // Only for those who work on job services.
    vacancies::list(
        &n.ctx.state.db,
        &n.actor,
        &VacancyFilter::default(),
        today(&n.ctx),
        1,
        0,
    )
    .await?;
    Ok(html(
        &vacancy_form(&n, 0, 0, &HashMap::new(), &FieldErrors::default(), None).await?,
    ))
}

/// POST /jobs/vacancies/new
pub async fn vacancy_create(n: Need<WriteRecords>, form: Form) -> Result<Response, WebError> {
    let get = |k: &str| form.get(k).to_string();
    match vacancies::create(&n.ctx.call(&n.actor), &get, "form").await {
        Ok(id) => Ok(Redirect::to(&format!("/jobs/vacancies/{id}?done=created")).into_response()),
        Err(AppError::Validation(e)) => {
            let page = vacancy_form(&n, 0, 0, &submitted(&VACANCY, &form), &e, None).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /jobs/vacancies/{id}/edit
pub async fn vacancy_edit(n: Need<WriteRecords>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    let v = vacancies::get(&st.db, &n.actor, id).await?;
    let mut tx = st.db.read().await?;
    let places = PlaceBook::load(&mut tx).await?;
    let book = OccupationBook::load(&mut tx).await?;
    drop(tx);
    let mut values = v.form_values(&places, &book);
    if let Ok(code) = DivisionCode::from_i64(v.region_code) {
        values.insert("place".into(), code.to_string());
    }
    Ok(html(
        &vacancy_form(&n, id, v.version, &values, &FieldErrors::default(), None).await?,
    ))
}

/// POST /jobs/vacancies/{id}/edit
pub async fn vacancy_update(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let get = |k: &str| form.get(k).to_string();
    match vacancies::update(&n.ctx.call(&n.actor), id, version, &get).await {
        Ok(()) => Ok(Redirect::to(&format!("/jobs/vacancies/{id}?done=saved")).into_response()),
        Err(AppError::Validation(e)) => {
            let page = vacancy_form(&n, id, version, &submitted(&VACANCY, &form), &e, None).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let page = vacancy_form(
                &n,
                id,
                version,
                &submitted(&VACANCY, &form),
                &FieldErrors::default(),
                Some(m),
            )
            .await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /jobs/vacancies/{id}/status (status = open | filled | withdrawn)
pub async fn vacancy_status(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let status = VacancyStatus::from_code(form.get("status"))
        .ok_or_else(|| WebError(AppError::BadRequest("请选择岗位状态".into())))?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    vacancies::set_status(&n.ctx.call(&n.actor), id, version, status).await?;
    Ok(Redirect::to(&format!("/jobs/vacancies/{id}?done=saved")).into_response())
}

/// A seeker as a match or in a list.
pub struct SeekerLine {
    pub id: i64,
    pub name: String,
    pub open: bool,
    /// Of the account's places (it may refer the seeker).
    pub own: bool,
    pub worker_id: i64,
    pub sex: String,
    pub birth_year: i32,
    pub place: String,
    pub wishes: String,
    pub wage: String,
    pub registered: String,
    pub status: &'static str,
}

fn seeker_line(s: &Seeker, places: &PlaceBook, book: &OccupationBook) -> SeekerLine {
    SeekerLine {
        id: s.row.id,
        name: s.shown_name(),
        open: s.open,
        own: s.own,
        worker_id: s.row.worker_id,
        sex: s.row.sex.clone(),
        birth_year: s.row.birth_year,
        place: places.full_name(s.row.region_code),
        wishes: s
            .occupations
            .iter()
            .map(|c| book.label(c))
            .collect::<Vec<_>>()
            .join("、"),
        wage: s.wage_label(),
        registered: date_zh(s.row.registered_on),
        status: s.status_label(),
    }
}

/// A referral as listed on either side's page.
pub struct ReferralLine {
    pub id: i64,
    pub version: i64,
    pub seeker_id: i64,
    pub seeker: String,
    pub vacancy_id: i64,
    pub vacancy: String,
    pub referred: String,
    pub outcome: &'static str,
    pub outcome_on: String,
    pub note: String,
    pub by: String,
    pub record_id: Option<i64>,
    /// The results that may follow, as (code, label).
    pub next: Vec<(&'static str, &'static str)>,
}

fn referral_line(r: &ReferralRow, seeker: String) -> ReferralLine {
    ReferralLine {
        id: r.id,
        version: r.version,
        seeker_id: r.seeker_id,
        seeker,
        vacancy_id: r.vacancy_id,
        vacancy: format!("{}（{}）", r.title, r.employer_name),
        referred: date_zh(r.referred_on),
        outcome: r.outcome_label(),
        outcome_on: r.outcome_on.map(date_zh).unwrap_or_default(),
        note: r.note.clone(),
        by: r.created_by.clone(),
        record_id: r.record_id,
        next: r.next().iter().map(|o| (o.code(), o.label_zh())).collect(),
    }
}

#[derive(Template)]
#[template(path = "jobs/vacancy.html")]
struct VacancyTpl {
    layout: Layout,
    v: VacancyLine,
    version: i64,
    industry: String,
    requirements: String,
    contact: String,
    posted: String,
    status_code: String,
    /// The median of its cell of the wage guide, if published.
    median: Option<String>,
    matches: Vec<(SeekerLine, String)>,
    referrals: Vec<ReferralLine>,
    can_write: bool,
    can_refer: bool,
    /// Whether the referral lines offer their result form.
    can_write_referrals: bool,
    /// This page, for the referral forms to come back to.
    back: String,
    /// The status buttons: (code, label) of the states it may move to.
    status_actions: Vec<(&'static str, &'static str)>,
    done: String,
    today: String,
}

/// GET /jobs/vacancies/{id}
pub async fn vacancy_page(
    n: Need<ViewDashboard>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    let day = today(&n.ctx);
    let v = vacancies::get(&st.db, &n.actor, id).await?;
    let mut tx = st.db.read().await?;
    let places = PlaceBook::load(&mut tx).await?;
    let book = OccupationBook::load(&mut tx).await?;
    drop(tx);
    let matches = if v.is_public(day) {
        matching::for_vacancy(&st.db, &n.actor, id, day)
            .await?
            .iter()
            .map(|(s, f)| (seeker_line(s, &places, &book), f.explain_zh()))
            .collect()
    } else {
        Vec::new()
    };
    let refs = referrals::of_vacancy(&st.db, &n.actor, id).await?;
    let referrals = seeker_names(&n.ctx, &n.actor, &refs).await?;
    let median = guide_median(&n.ctx, &v).await?;
    let writer = n.actor.can(Permission::WriteRecords);
    Ok(html(&VacancyTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), v.title.clone()))
            .crumb("岗位", "/jobs")
            .crumb(v.title.clone(), ""),
        industry: v.industry_label(),
        requirements: v.requirements.clone(),
        contact: v.contact.clone(),
        posted: date_zh(v.posted_on),
        status_code: v.status.clone(),
        version: v.version,
        median,
        v: vacancy_line(&v, &places, &book),
        matches,
        referrals,
        can_write: writer && own(&n.actor, v.region_code),
        can_refer: writer && v.is_public(day),
        can_write_referrals: writer,
        back: format!("/jobs/vacancies/{id}"),
        status_actions: [
            (VacancyStatus::Open, "恢复招聘"),
            (VacancyStatus::Filled, "已招满"),
            (VacancyStatus::Withdrawn, "撤回岗位"),
        ]
        .into_iter()
        .filter(|(s, _)| s.code() != v.status)
        .map(|(s, l)| (s.code(), l))
        .collect(),
        done: q_get(&q, "done"),
        today: day.to_string(),
    }))
}

/// Whether a place is in the actor's job-service scope.
fn own(actor: &Actor, region: i64) -> bool {
    actor
        .scope
        .ranges_for(shiminhua_core::auth::RecordKind::JobService)
        .iter()
        .any(|(lo, hi)| (*lo..=*hi).contains(&region))
}

/// Referral lines with each seeker's name as the actor may see it.
async fn seeker_names(
    ctx: &crate::extract::Ctx,
    actor: &Actor,
    refs: &[ReferralRow],
) -> Result<Vec<ReferralLine>, WebError> {
    let mut out = Vec::new();
    for r in refs {
        let s = seekers::get(&ctx.state.db, actor, r.seeker_id).await?;
        out.push(referral_line(r, s.shown_name()));
    }
    Ok(out)
}

/// The published median of the newest wage guide for a vacancy.
async fn guide_median(ctx: &crate::extract::Ctx, v: &VacancyRow) -> Result<Option<String>, WebError> {
    let Some(year) = wage_guide::latest_published_year(&ctx.state.db).await? else {
        return Ok(None);
    };
    let cells = wage_guide::published_cells(&ctx.state.db, year).await?;
    Ok(wage_guide::median_for(&cells, v.major, &v.industry)
        .map(|c| format!("{} 元/月（{year}年工资价位）", yuan(c.p50))))
}

// ---------------------------------------------------------------------------
// Seekers

#[derive(Template)]
#[template(path = "jobs/seekers.html")]
struct SeekersTpl {
    layout: Layout,
    rows: Vec<SeekerLine>,
    pager: Pager,
    regions: Vec<(String, String)>,
    region: String,
    majors: Vec<(String, String)>,
    major: String,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
}

/// GET /jobs/seekers?region=…&major=…&status=…
pub async fn seekers_page(
    n: Need<ViewDashboard>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let status = match q_get(&q, "status").as_str() {
        "" => None,
        s => Some(SeekerStatus::from_code(s).ok_or_else(|| WebError(AppError::BadRequest("状态不对".into())))?),
    };
    let f = SeekerFilter {
        region: region_of(&q)?,
        major: major_of(&q)?,
        status,
    };
    let base = query_string(&[
        ("region", &q_get(&q, "region")),
        ("major", &q_get(&q, "major")),
        ("status", &q_get(&q, "status")),
    ]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, base);
    let (rows, total) = seekers::list(&st.db, &n.actor, &f, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let mut tx = st.db.read().await?;
    let places = PlaceBook::load(&mut tx).await?;
    let book = OccupationBook::load(&mut tx).await?;
    drop(tx);
    Ok(html(&SeekersTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), "求职登记")).crumb("求职登记", ""),
        rows: rows.iter().map(|s| seeker_line(s, &places, &book)).collect(),
        pager,
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        region: q_get(&q, "region"),
        majors: majors(),
        major: q_get(&q, "major"),
        statuses: SeekerStatus::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        status: q_get(&q, "status"),
    }))
}

#[derive(Template)]
#[template(path = "jobs/seeker.html")]
struct SeekerTpl {
    layout: Layout,
    s: SeekerLine,
    version: i64,
    status_code: String,
    places_wanted: String,
    available: String,
    skills: String,
    matches: Vec<(VacancyLine, String)>,
    referrals: Vec<ReferralLine>,
    can_write: bool,
    can_refer: bool,
    /// Whether the referral lines offer their result form.
    can_write_referrals: bool,
    /// This page, for the referral forms to come back to.
    back: String,
    /// The status buttons: (code, label) of the states it may move to.
    status_actions: Vec<(&'static str, &'static str)>,
    done: String,
    today: String,
}

/// GET /jobs/seekers/{id}
pub async fn seeker_page(
    n: Need<ViewDashboard>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    let day = today(&n.ctx);
    let s = seekers::get(&st.db, &n.actor, id).await?;
    let mut tx = st.db.read().await?;
    let places = PlaceBook::load(&mut tx).await?;
    let book = OccupationBook::load(&mut tx).await?;
    drop(tx);
    let active = s.row.status == SeekerStatus::Active.code();
    let matches: Vec<(VacancyLine, String)> = if active {
        matching::for_seeker(&st.db, &n.actor, id, day)
            .await?
            .iter()
            .map(|(v, f): &(VacancyRow, Fit)| (vacancy_line(v, &places, &book), f.explain_zh()))
            .collect()
    } else {
        Vec::new()
    };
    let refs = referrals::of_seeker(&st.db, &n.actor, &s).await?;
    let referrals = refs.iter().map(|r| referral_line(r, s.shown_name())).collect();
    let writer = n.actor.can(Permission::WriteRecords);
    let wanted: Vec<String> = s.place_codes().iter().map(|c| places.full_name(*c)).collect();
    Ok(html(&SeekerTpl {
        layout: crumbs(Layout::new(
            &n.ctx,
            Some(&n.actor),
            format!("求职登记：{}", s.shown_name()),
        ))
        .crumb("求职登记", "/jobs/seekers")
        .crumb(s.shown_name(), ""),
        version: s.row.version,
        status_code: s.row.status.clone(),
        places_wanted: if wanted.is_empty() {
            "居住地附近".into()
        } else {
            wanted.join("、")
        },
        available: s.row.available_from.map_or_else(|| "随时".into(), date_zh),
        skills: s.row.skills.clone(),
        s: seeker_line(&s, &places, &book),
        matches,
        referrals,
        can_write: writer && own(&n.actor, s.row.region_code),
        can_refer: writer && active && s.own,
        can_write_referrals: writer,
        back: format!("/jobs/seekers/{id}"),
        status_actions: [
            (SeekerStatus::Active, "恢复求职"),
            (SeekerStatus::Employed, "已就业"),
            (SeekerStatus::Closed, "注销登记"),
        ]
        .into_iter()
        .filter(|(st, _)| st.code() != s.row.status)
        .map(|(st, l)| (st.code(), l))
        .collect(),
        done: q_get(&q, "done"),
        today: day.to_string(),
    }))
}

#[derive(Template)]
#[template(path = "jobs/seeker_form.html")]
struct SeekerFormTpl {
    layout: Layout,
    form: FieldForm,
    worker_id: i64,
    worker: String,
}

async fn seeker_form(
    n: &Need<WriteRecords>,
    worker_id: i64,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
) -> Result<SeekerFormTpl, WebError> {
    let (w, _) = workers::get_worker(&n.ctx.state.db, &n.actor, WorkerId(worker_id)).await?;
    let filled = Filled {
        values,
        errors,
        conflict: None,
        child_help: None,
    };
    Ok(SeekerFormTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), "求职登记"))
            .crumb("求职登记", "/jobs/seekers")
            .crumb(w.name.clone(), ""),
        form: FieldForm::new(
            &n.ctx,
            &n.actor,
            &SEEKER,
            format!("/jobs/seekers/new?worker={worker_id}"),
            0,
            filled,
        )
        .await?,
        worker_id,
        worker: format!("{}（{}，{}）", w.name, w.id_masked, w.region_name),
    })
}

fn worker_param(q: &HashMap<String, String>) -> Result<i64, WebError> {
    parse_id(&q_get(q, "worker")).map_err(|_| WebError(AppError::BadRequest("请从农民工信息页进入求职登记".into())))
}

/// GET /jobs/seekers/new?worker={id}: registers the worker, or renews the
/// registration with the wishes on file.
pub async fn seeker_new(n: Need<WriteRecords>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let worker_id = worker_param(&q)?;
    let st = &n.ctx.state;
    let mut values = HashMap::new();
    if let Some(s) = seekers::of_worker(&st.db, &n.actor, WorkerId(worker_id)).await? {
        let mut tx = st.db.read().await?;
        let places = PlaceBook::load(&mut tx).await?;
        let book = OccupationBook::load(&mut tx).await?;
        values = s.form_values(&places, &book);
    }
    Ok(html(
        &seeker_form(&n, worker_id, &values, &FieldErrors::default()).await?,
    ))
}

/// POST /jobs/seekers/new?worker={id}
pub async fn seeker_create(
    n: Need<WriteRecords>,
    Query(q): Query<HashMap<String, String>>,
    form: Form,
) -> Result<Response, WebError> {
    let worker_id = worker_param(&q)?;
    let get = |k: &str| form.get(k).to_string();
    match seekers::register(&n.ctx.call(&n.actor), WorkerId(worker_id), &get, "form").await {
        Ok(id) => Ok(Redirect::to(&format!("/jobs/seekers/{id}?done=saved")).into_response()),
        Err(AppError::Validation(e)) => {
            let page = seeker_form(&n, worker_id, &submitted(&SEEKER, &form), &e).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /jobs/seekers/{id}/status (status = active | employed | closed)
pub async fn seeker_status(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let status = SeekerStatus::from_code(form.get("status"))
        .ok_or_else(|| WebError(AppError::BadRequest("请选择求职状态".into())))?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    seekers::set_status(&n.ctx.call(&n.actor), id, version, status).await?;
    Ok(Redirect::to(&format!("/jobs/seekers/{id}?done=saved")).into_response())
}

// ---------------------------------------------------------------------------
// Referrals

/// Where to go back after a referral's form: the page it was sent from.
fn back(form: &Form, fallback: String) -> String {
    let b = form.get("back");
    if (b.starts_with("/jobs/seekers/") || b.starts_with("/jobs/vacancies/")) && !b.contains("//") {
        b.split('?').next().unwrap_or(b).to_string()
    } else {
        fallback
    }
}

/// POST /jobs/referrals (seeker, vacancy, note, back)
pub async fn refer(n: Need<WriteRecords>, form: Form) -> Result<Response, WebError> {
    let pick = |k: &str| {
        parse_id(form.get(k)).map_err(|_| WebError(AppError::BadRequest("请选择要推荐的求职人员和岗位".into())))
    };
    let (seeker, vacancy) = (pick("seeker")?, pick("vacancy")?);
    referrals::refer(&n.ctx.call(&n.actor), seeker, vacancy, form.get("note")).await?;
    let to = back(&form, format!("/jobs/seekers/{seeker}"));
    Ok(Redirect::to(&format!("{to}?done=referred#referrals")).into_response())
}

/// POST /jobs/referrals/{id}/outcome (outcome, on, wage, contract, note, back)
pub async fn outcome(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let outcome = ReferralOutcome::from_code(form.get("outcome"))
        .ok_or_else(|| WebError(AppError::BadRequest("请选择推荐结果".into())))?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let get = |k: &str| form.get(k).to_string();
    let r = referrals::get(&n.ctx.state.db, &n.actor, id).await?;
    match referrals::set_outcome(&n.ctx.call(&n.actor), id, version, outcome, &get).await {
        Ok(()) => {
            let to = back(&form, format!("/jobs/vacancies/{}", r.vacancy_id));
            Ok(Redirect::to(&format!("{to}?done=outcome#referrals")).into_response())
        }
        Err(AppError::Validation(e)) => {
            let msg = e.0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("；");
            Err(WebError(AppError::BadRequest(format!("推荐结果未保存：{msg}"))))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// The wage guide

/// A cell as shown.
pub struct GuideLine {
    pub major: &'static str,
    pub industry: String,
    pub n: i64,
    pub figures: [String; 6],
    pub published: bool,
}

fn guide_line(r: &GuideRow) -> GuideLine {
    GuideLine {
        major: r.major_label(),
        industry: r.industry_label(),
        n: r.n,
        figures: [r.p10, r.p25, r.p50, r.p75, r.p90, r.mean].map(yuan),
        published: r.published,
    }
}

#[derive(Template)]
#[template(path = "jobs/wage_guide.html")]
struct GuideTpl {
    layout: Layout,
    year: i32,
    years: Vec<i32>,
    rows: Vec<GuideLine>,
    computed: String,
    min_cell: usize,
    can_compute: bool,
    done: String,
}

fn year_of(q: &HashMap<String, String>, default: i32) -> Result<i32, WebError> {
    match q_get(q, "year").as_str() {
        "" => Ok(default),
        s => s
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| WebError(AppError::BadRequest("年份不对".into()))),
    }
}

/// GET /jobs/wage-guide?year=…
pub async fn guide_page(
    n: Need<ViewDashboard>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let this = today(&n.ctx).year();
    let latest = wage_guide::latest_year(&st.db).await?.unwrap_or(this);
    let year = year_of(&q, latest)?;
    let cells = wage_guide::cells(&st.db, &n.actor, year).await?;
    let computed = cells
        .first()
        .map(|c| format!("{} {}", shiminhua_app::xlsx::local_time(c.computed_at), c.computed_by))
        .unwrap_or_default();
    Ok(html(&GuideTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), "工资价位")).crumb("工资价位", ""),
        year,
        years: (this - 4..=this).rev().collect(),
        rows: cells.iter().map(guide_line).collect(),
        computed,
        min_cell: DEFAULT_MIN_CELL,
        can_compute: n.actor.can(Permission::ManagePlan),
        done: q_get(&q, "done"),
    }))
}

/// POST /jobs/wage-guide (year, min_cell)
pub async fn guide_compute(n: Need<ManagePlan>, form: Form) -> Result<Response, WebError> {
    let year = form
        .get("year")
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| WebError(AppError::BadRequest("请选择年份".into())))?;
    let min_cell = match form.get("min_cell") {
        "" => DEFAULT_MIN_CELL,
        s => s
            .parse::<usize>()
            .ok()
            .filter(|m| (1..=10_000).contains(m))
            .ok_or_else(|| WebError(AppError::BadRequest("最少样本数应为1至10000的整数".into())))?,
    };
    let used = wage_guide::compute(&n.ctx.call(&n.actor), year, min_cell).await?;
    Ok(Redirect::to(&format!("/jobs/wage-guide?year={year}&done={used}")).into_response())
}

/// GET /jobs/wage-guide/export?year=…: the published cells as a workbook.
pub async fn guide_export(
    n: Need<ViewDashboard>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let year = year_of(&q, today(&n.ctx).year())?;
    let cells = wage_guide::cells(&st.db, &n.actor, year).await?;
    let bytes = wage_guide::workbook(year, &cells)?;
    Ok(xlsx_download(bytes, &format!("{year}年工资价位.xlsx")))
}

// ---------------------------------------------------------------------------
// The occupation list

#[derive(Template)]
#[template(path = "jobs/occupations.html")]
struct OccupationsTpl {
    layout: Layout,
    rows: Vec<occupations::OccupationRow>,
    q: String,
    can_load: bool,
    error: String,
    done: String,
}

/// GET /jobs/occupations?q=…
pub async fn occupations_page(
    n: Need<ViewUnits>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let search: String = q_get(&q, "q").chars().take(30).collect();
    let mut rows = occupations::list(&n.ctx.state.db, &n.actor, &search).await?;
    rows.truncate(500);
    Ok(html(&OccupationsTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), "职业分类")
            .crumb("基础信息", "")
            .crumb("职业分类", ""),
        rows,
        q: search,
        can_load: n.actor.can(Permission::ManageSystem),
        error: String::new(),
        done: q_get(&q, "done"),
    }))
}

/// POST /jobs/occupations (file): replaces the finer groups.
pub async fn occupations_load(n: Need<ManageSystem>, form: Form) -> Result<Response, WebError> {
    let text = match form.file("file") {
        Some((_, bytes)) => String::from_utf8(bytes.to_vec()).map_err(|_| ()),
        None => Err(()),
    };
    let result = match text {
        Ok(t) => occupations::load_file(&n.ctx.call(&n.actor), &t).await,
        Err(()) => Err(AppError::BadRequest(
            "请选择 UTF-8 编码的 CSV 文件（两列：职业代码、职业名称）".into(),
        )),
    };
    match result {
        Ok(k) => Ok(Redirect::to(&format!("/jobs/occupations?done={k}")).into_response()),
        Err(AppError::BadRequest(m)) => {
            let rows = occupations::list(&n.ctx.state.db, &n.actor, "").await?;
            let page = OccupationsTpl {
                layout: Layout::new(&n.ctx, Some(&n.actor), "职业分类")
                    .crumb("基础信息", "")
                    .crumb("职业分类", ""),
                rows: rows.into_iter().take(500).collect(),
                q: String::new(),
                can_load: true,
                error: m,
                done: String::new(),
            };
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// Recruitment events

/// An event as listed.
pub struct EventLine {
    pub id: i64,
    pub name: String,
    pub series: &'static str,
    pub organiser: String,
    pub place: String,
    pub held_on: String,
    pub visitors: String,
    pub intents: String,
    pub hires: String,
}

fn event_line(e: &events::EventRow, places: &PlaceBook) -> EventLine {
    let n = |v: Option<i64>| v.map_or_else(|| "—".to_string(), |n| n.to_string());
    EventLine {
        id: e.id,
        name: e.name.clone(),
        series: e.series_label(),
        organiser: e.organiser.clone(),
        place: if e.online {
            format!("线上（{}）", places.full_name(e.region_code))
        } else {
            format!("{} {}", places.full_name(e.region_code), e.venue)
        },
        held_on: date_zh(e.held_on),
        visitors: n(e.visitors),
        intents: n(e.intents),
        hires: n(e.hires),
    }
}

#[derive(Template)]
#[template(path = "jobs/events.html")]
struct EventsTpl {
    layout: Layout,
    rows: Vec<EventLine>,
    pager: Pager,
    year: i32,
    years: Vec<i32>,
    regions: Vec<(String, String)>,
    region: String,
    series_options: Vec<(&'static str, &'static str)>,
    series: String,
    /// The county-by-series view: the series' labels, then a line a county
    /// (name, per series (events, visitors, intents, hires)), and the totals.
    heads: Vec<&'static str>,
    view: Vec<(String, Vec<[i64; 4]>)>,
    can_write: bool,
}

/// GET /jobs/events?year=…&region=…&series=…
pub async fn events_page(
    n: Need<ViewDashboard>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let this = today(&n.ctx).year();
    let year = year_of(&q, this)?;
    let series = match q_get(&q, "series").as_str() {
        "" => None,
        s => Some(EventSeries::from_code(s).ok_or_else(|| WebError(AppError::BadRequest("活动系列不对".into())))?),
    };
    let f = events::EventFilter {
        year: Some(year),
        region: region_of(&q)?,
        series,
    };
    let base = query_string(&[
        ("year", &year.to_string()),
        ("region", &q_get(&q, "region")),
        ("series", &q_get(&q, "series")),
    ]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, base);
    let (rows, total) = events::list(&st.db, &n.actor, &f, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let places = PlaceBook::load(&mut st.db.read().await?).await?;
    let names = CountyNames::load(&st.db).await?;
    let lines = events::by_county_series(&st.db, &n.actor, year).await?;
    let mut counties: Vec<i64> = lines.iter().map(|l| l.county_code).collect();
    counties.dedup();
    let cell = |county: Option<i64>, s: EventSeries| -> [i64; 4] {
        lines
            .iter()
            .filter(|l| county.is_none_or(|c| c == l.county_code) && l.series == s.code())
            .fold([0; 4], |a, l| {
                [a[0] + l.events, a[1] + l.visitors, a[2] + l.intents, a[3] + l.hires]
            })
    };
    let mut view: Vec<(String, Vec<[i64; 4]>)> = counties
        .iter()
        .map(|c| {
            (
                names.name_of(*c).unwrap_or("").to_string(),
                EventSeries::ALL.iter().map(|s| cell(Some(*c), *s)).collect(),
            )
        })
        .collect();
    if !view.is_empty() {
        view.push(("合计".into(), EventSeries::ALL.iter().map(|s| cell(None, *s)).collect()));
    }
    Ok(html(&EventsTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), "招聘活动")).crumb("招聘活动", ""),
        rows: rows.iter().map(|e| event_line(e, &places)).collect(),
        pager,
        year,
        years: (this - 4..=this + 1).rev().collect(),
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        region: q_get(&q, "region"),
        series_options: EventSeries::ALL.iter().map(|s| (s.code(), s.label_zh())).collect(),
        series: q_get(&q, "series"),
        heads: EventSeries::ALL.iter().map(|s| s.label_zh()).collect(),
        view,
        can_write: n.actor.can(Permission::WriteRecords),
    }))
}

#[derive(Template)]
#[template(path = "jobs/event_form.html")]
struct EventFormTpl {
    layout: Layout,
    form: FieldForm,
    id: i64,
}

async fn event_form(
    n: &Need<WriteRecords>,
    id: i64,
    version: i64,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
    conflict: Option<String>,
) -> Result<EventFormTpl, WebError> {
    let (title, action) = if id > 0 {
        ("修改招聘活动", format!("/jobs/events/{id}/edit"))
    } else {
        ("新增招聘活动", "/jobs/events/new".to_string())
    };
    let filled = Filled {
        values,
        errors,
        conflict,
        child_help: None,
    };
    Ok(EventFormTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), title))
            .crumb("招聘活动", "/jobs/events")
            .crumb(title, ""),
        form: FieldForm::new(&n.ctx, &n.actor, &EVENT, action, version, filled).await?,
        id,
    })
}

/// GET /jobs/events/new
pub async fn event_new(n: Need<WriteRecords>) -> Result<Response, WebError> {
    events::list(&n.ctx.state.db, &n.actor, &events::EventFilter::default(), 1, 0).await?;
    let values = HashMap::from([("online".to_string(), "否".to_string())]);
    Ok(html(
        &event_form(&n, 0, 0, &values, &FieldErrors::default(), None).await?,
    ))
}

/// POST /jobs/events/new
pub async fn event_create(n: Need<WriteRecords>, form: Form) -> Result<Response, WebError> {
    let get = |k: &str| form.get(k).to_string();
    match events::create(&n.ctx.call(&n.actor), &get).await {
        Ok(id) => Ok(Redirect::to(&format!("/jobs/events/{id}?done=created")).into_response()),
        Err(AppError::Validation(e)) => {
            let page = event_form(&n, 0, 0, &submitted(&EVENT, &form), &e, None).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /jobs/events/{id}/edit
pub async fn event_edit(n: Need<WriteRecords>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    let e = events::get(&st.db, &n.actor, id).await?;
    let places = PlaceBook::load(&mut st.db.read().await?).await?;
    let mut values = e.form_values(&places);
    if let Ok(code) = DivisionCode::from_i64(e.region_code) {
        values.insert("place".into(), code.to_string());
    }
    Ok(html(
        &event_form(&n, id, e.version, &values, &FieldErrors::default(), None).await?,
    ))
}

/// POST /jobs/events/{id}/edit
pub async fn event_update(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let get = |k: &str| form.get(k).to_string();
    match events::update(&n.ctx.call(&n.actor), id, version, &get).await {
        Ok(()) => Ok(Redirect::to(&format!("/jobs/events/{id}?done=saved")).into_response()),
        Err(AppError::Validation(e)) => {
            let page = event_form(&n, id, version, &submitted(&EVENT, &form), &e, None).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let page = event_form(
                &n,
                id,
                version,
                &submitted(&EVENT, &form),
                &FieldErrors::default(),
                Some(m),
            )
            .await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "jobs/event.html")]
struct EventTpl {
    layout: Layout,
    e: EventLine,
    version: i64,
    offered: Vec<VacancyLine>,
    /// Open vacancies of the event's county to choose from: (line, chosen).
    choices: Vec<(VacancyLine, bool)>,
    can_write: bool,
    done: String,
}

/// GET /jobs/events/{id}
pub async fn event_page(
    n: Need<ViewDashboard>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &n.ctx.state;
    let e = events::get(&st.db, &n.actor, id).await?;
    let mut tx = st.db.read().await?;
    let places = PlaceBook::load(&mut tx).await?;
    let book = OccupationBook::load(&mut tx).await?;
    drop(tx);
    let offered_rows = events::vacancies_of(&st.db, &n.actor, id).await?;
    let can_write = n.actor.can(Permission::WriteRecords) && own(&n.actor, e.region_code);
    let choices = if can_write {
        let county = DivisionCode::from_i64(e.county_code).ok();
        let f = VacancyFilter {
            region: county,
            ..VacancyFilter::default()
        };
        let (open, _) = vacancies::list(&st.db, &n.actor, &f, today(&n.ctx), 100, 0).await?;
        let mut all: Vec<(VacancyLine, bool)> = offered_rows
            .iter()
            .map(|v| (vacancy_line(v, &places, &book), true))
            .collect();
        all.extend(
            open.iter()
                .filter(|v| !offered_rows.iter().any(|o| o.id == v.id))
                .map(|v| (vacancy_line(v, &places, &book), false)),
        );
        all
    } else {
        Vec::new()
    };
    Ok(html(&EventTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), e.name.clone()))
            .crumb("招聘活动", "/jobs/events")
            .crumb(e.name.clone(), ""),
        version: e.version,
        e: event_line(&e, &places),
        offered: offered_rows.iter().map(|v| vacancy_line(v, &places, &book)).collect(),
        choices,
        can_write,
        done: q_get(&q, "done"),
    }))
}

/// POST /jobs/events/{id}/vacancies (version, vacancy = … repeated)
pub async fn event_vacancies(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let ids = form
        .all("vacancy")
        .iter()
        .map(|v| parse_id(v))
        .collect::<Result<Vec<i64>, WebError>>()
        .map_err(|_| WebError(AppError::BadRequest("岗位编号不对".into())))?;
    events::set_vacancies(&n.ctx.call(&n.actor), id, version, &ids).await?;
    Ok(Redirect::to(&format!("/jobs/events/{id}?done=vacancies")).into_response())
}

// ---------------------------------------------------------------------------
// 就业失业登记

/// A registration as listed.
pub struct RegistrationLine {
    pub id: i64,
    pub version: i64,
    pub number: String,
    pub kind: &'static str,
    pub worker_id: i64,
    pub name: String,
    pub place: String,
    pub since: String,
    pub registered: String,
    pub late: bool,
    pub reason: &'static str,
    pub ended: String,
    /// Days waited (open unemployment registrations).
    pub waited: Option<i64>,
    pub record_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "jobs/registrations.html")]
struct RegistrationsTpl {
    layout: Layout,
    rows: Vec<RegistrationLine>,
    pager: Pager,
    regions: Vec<(String, String)>,
    region: String,
    view: String,
    /// The registered unemployed still waiting: (township, people, longest wait in days).
    waiting: Vec<(String, i64, i64)>,
    today: String,
    can_write: bool,
}

/// GET /jobs/registrations?view=open|employment|late|all&region=…
pub async fn registrations_page(
    n: Need<ViewDashboard>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    use shiminhua_app::registry::jobs::registrations::{self, RegistrationFilter};
    use shiminhua_core::jobs::{RegistrationKind, waited_days};
    let st = &n.ctx.state;
    let day = today(&n.ctx);
    let view = match q_get(&q, "view").as_str() {
        "" => "open".to_string(),
        v @ ("open" | "employment" | "late" | "all") => v.to_string(),
        _ => return Err(WebError(AppError::BadRequest("查看方式不对".into()))),
    };
    let f = RegistrationFilter {
        kind: (view == "employment").then_some(RegistrationKind::Employment),
        region: region_of(&q)?,
        open: view == "open",
        late: view == "late",
    };
    let base = query_string(&[("view", &view), ("region", &q_get(&q, "region"))]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, base);
    let (rows, total) = registrations::list(&st.db, &n.actor, &f, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let places = PlaceBook::load(&mut st.db.read().await?).await?;
    let rows = rows
        .iter()
        .map(|r| RegistrationLine {
            id: r.row.id,
            version: r.row.version,
            number: r.row.number.clone().unwrap_or_default(),
            kind: r.row.kind_label(),
            worker_id: r.row.worker_id,
            name: r.shown_name(),
            place: places.full_name(r.row.region_code),
            since: date_zh(r.row.since),
            registered: date_zh(r.row.registered_on),
            late: r.row.late,
            reason: r.row.reason_label(),
            ended: r.row.ended_on.map(date_zh).unwrap_or_default(),
            waited: (r.row.kind == "unemployment" && r.row.ended_on.is_none()).then(|| waited_days(r.row.since, day)),
            record_id: r.row.record_id,
        })
        .collect();
    let waiting = registrations::waiting_by_township(&st.db, &n.actor, day)
        .await?
        .into_iter()
        .map(|(t, k, d)| (places.full_name(t), k, d))
        .collect();
    Ok(html(&RegistrationsTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), "就业失业登记")).crumb("就业失业登记", ""),
        rows,
        pager,
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        region: q_get(&q, "region"),
        view,
        waiting,
        today: day.to_string(),
        can_write: n.actor.can(Permission::WriteRecords),
    }))
}

#[derive(Template)]
#[template(path = "jobs/registration_form.html")]
struct RegistrationFormTpl {
    layout: Layout,
    form: FieldForm,
    worker_id: i64,
    worker: String,
    employment: bool,
}

async fn registration_form(
    n: &Need<WriteRecords>,
    worker_id: i64,
    employment: bool,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
) -> Result<RegistrationFormTpl, WebError> {
    use shiminhua_core::jobs::forms::{EMPLOYMENT_REGISTRATION, UNEMPLOYMENT};
    let (w, _) = workers::get_worker(&n.ctx.state.db, &n.actor, WorkerId(worker_id)).await?;
    let title = if employment { "就业登记" } else { "失业登记" };
    let kind = if employment { "employment" } else { "unemployment" };
    let filled = Filled {
        values,
        errors,
        conflict: None,
        child_help: None,
    };
    let action = format!("/jobs/registrations/new?worker={worker_id}&kind={kind}");
    let form = if employment {
        // The day of the registration, then the job as its employment record.
        let filled_again = Filled {
            values,
            errors,
            conflict: None,
            child_help: None,
        };
        let mut form = FieldForm::new(&n.ctx, &n.actor, &EMPLOYMENT_REGISTRATION, action.clone(), 0, filled).await?;
        let job = FieldForm::new(
            &n.ctx,
            &n.actor,
            shiminhua_core::record::spec(shiminhua_core::auth::RecordKind::Employment)
                .ok_or_else(|| WebError(AppError::Internal("employment spec".into())))?,
            action,
            0,
            filled_again,
        )
        .await?;
        form.inputs.extend(job.inputs);
        form.summary
            .extend(job.summary.into_iter().filter(|(k, _)| !k.is_empty()));
        form
    } else {
        FieldForm::new(&n.ctx, &n.actor, &UNEMPLOYMENT, action, 0, filled).await?
    };
    Ok(RegistrationFormTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), title))
            .crumb("就业失业登记", "/jobs/registrations")
            .crumb(title, ""),
        form,
        worker_id,
        worker: format!("{}（{}，{}）", w.name, w.id_masked, w.region_name),
        employment,
    })
}

fn registration_kind(q: &HashMap<String, String>) -> Result<bool, WebError> {
    match q_get(q, "kind").as_str() {
        "employment" => Ok(true),
        "unemployment" => Ok(false),
        _ => Err(WebError(AppError::BadRequest("请选择就业登记或失业登记".into()))),
    }
}

/// GET /jobs/registrations/new?worker={id}&kind=employment|unemployment
pub async fn registration_new(
    n: Need<WriteRecords>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let worker_id = worker_param(&q)?;
    let employment = registration_kind(&q)?;
    let day = today(&n.ctx).to_string();
    let values = HashMap::from([("registered_on".to_string(), day)]);
    Ok(html(
        &registration_form(&n, worker_id, employment, &values, &FieldErrors::default()).await?,
    ))
}

/// POST /jobs/registrations/new?worker={id}&kind=…
pub async fn registration_create(
    n: Need<WriteRecords>,
    Query(q): Query<HashMap<String, String>>,
    form: Form,
) -> Result<Response, WebError> {
    use shiminhua_app::registry::jobs::registrations;
    let worker_id = worker_param(&q)?;
    let employment = registration_kind(&q)?;
    let get = |k: &str| form.get(k).to_string();
    let call = n.ctx.call(&n.actor);
    let done = if employment {
        registrations::register_employment(&call, WorkerId(worker_id), &get).await
    } else {
        registrations::register_unemployment(&call, WorkerId(worker_id), &get).await
    };
    match done {
        Ok(_) => {
            let view = if employment { "employment" } else { "open" };
            Ok(Redirect::to(&format!("/jobs/registrations?view={view}")).into_response())
        }
        Err(AppError::Validation(e)) => {
            let values: HashMap<String, String> = form_values(&form);
            let page = registration_form(&n, worker_id, employment, &values, &e).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every field a registration form may carry, as sent.
fn form_values(form: &Form) -> HashMap<String, String> {
    use shiminhua_core::field::FieldSpec;
    use shiminhua_core::jobs::forms::{EMPLOYMENT_REGISTRATION, UNEMPLOYMENT};
    let mut m = submitted(&EMPLOYMENT_REGISTRATION, form);
    m.extend(submitted(&UNEMPLOYMENT, form));
    if let Some(spec) = shiminhua_core::record::spec(shiminhua_core::auth::RecordKind::Employment) {
        for f in spec.fields() {
            m.insert(f.key.to_string(), form.get(f.key).to_string());
        }
    }
    m
}

/// POST /jobs/registrations/{id}/end (version, on)
pub async fn registration_end(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    use shiminhua_app::registry::jobs::registrations;
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let on = shiminhua_core::field::parse_date(form.get("on"))
        .ok_or_else(|| WebError(AppError::BadRequest("请按 2023-03-05 的格式填写结束日期".into())))?;
    registrations::end_unemployment(&n.ctx.call(&n.actor), id, version, on).await?;
    Ok(Redirect::to("/jobs/registrations?view=open").into_response())
}

// ---------------------------------------------------------------------------
// 求职登记 filed from a phone

/// An application as listed (masked).
pub struct ApplicationLine {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub id_masked: String,
    pub phone_masked: String,
    pub place: String,
    pub wishes: String,
    pub filed: String,
    pub status: &'static str,
    pub reason: String,
    pub seeker: Option<i64>,
    pub decided_by: String,
}

#[derive(Template)]
#[template(path = "jobs/applications.html")]
struct ApplicationsTpl {
    layout: Layout,
    rows: Vec<ApplicationLine>,
    pager: Pager,
    view: String,
    can_write: bool,
    error: &'static str,
}

/// GET /jobs/applications?view=pending|accepted|refused
pub async fn applications_page(
    n: Need<ViewDashboard>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    use shiminhua_app::registry::jobs::applications;
    let st = &n.ctx.state;
    let view = match q_get(&q, "view").as_str() {
        "" | "pending" => "pending",
        "accepted" => "accepted",
        "refused" => "refused",
        _ => return Err(WebError(AppError::BadRequest("查看的类别不对".into()))),
    };
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, query_string(&[("view", view)]));
    let (rows, total) = applications::list(&st.db, &n.actor, view, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let places = PlaceBook::load(&mut st.db.read().await?).await?;
    let book = OccupationBook::load(&mut st.db.read().await?).await?;
    let lines = rows
        .iter()
        .map(|r| {
            let w = r.wishes();
            let get = |k: &str| w.get(k).cloned().unwrap_or_default();
            let occupations: Vec<String> = get("occupations")
                .split('、')
                .filter(|s| !s.is_empty())
                .map(|c| book.label(c))
                .collect();
            let mut wishes = vec![occupations.join("、")];
            for (k, label) in [("places", "意向工作地"), ("min_wage", "期望月工资"), ("skills", "技能")] {
                if !get(k).is_empty() {
                    wishes.push(format!("{label}：{}", get(k)));
                }
            }
            ApplicationLine {
                id: r.id,
                number: r.number.clone().unwrap_or_default(),
                name: r.name_masked(),
                id_masked: r.id_masked.clone(),
                phone_masked: r.phone_masked.clone(),
                place: places.full_name(r.region_code),
                wishes: wishes.join("；"),
                filed: date_zh((r.created_at + chrono::Duration::hours(8)).date_naive()),
                status: r.status_label(),
                reason: r.reason.clone(),
                seeker: r.seeker_id,
                decided_by: r.decided_by.clone(),
            }
        })
        .collect();
    Ok(html(&ApplicationsTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), "手机求职登记")).crumb("手机求职登记", ""),
        rows: lines,
        pager,
        view: view.to_string(),
        can_write: n.actor.can(Permission::WriteRecords),
        // Fixed texts by code: nothing typed into an address is shown.
        error: match q_get(&q, "error").as_str() {
            "decided" => applications::ALREADY_DECIDED,
            "name" => applications::NAME_DIFFERS,
            "elsewhere" => applications::ELSEWHERE,
            "seeker" => applications::SEEKER_EXISTS,
            "reason" => "请填写不予登记的原因，申请人查询时可以看到。",
            "invalid" => "申请的内容未通过核验（如意向职业已不在职业分类中），请不予登记并写明原因。",
            _ => "",
        },
    }))
}

/// The list of applications with the code of a refused decision.
fn applications_error(e: AppError) -> Result<Response, WebError> {
    use shiminhua_app::registry::jobs::applications;
    let code = match &e {
        AppError::Conflict(m) if m == applications::NAME_DIFFERS => "name",
        AppError::Conflict(m) if m == applications::ELSEWHERE => "elsewhere",
        AppError::Conflict(m) if m == applications::SEEKER_EXISTS => "seeker",
        AppError::Conflict(_) => "decided",
        AppError::Validation(v) if v.get("reason").is_some() => "reason",
        AppError::Validation(_) => "invalid",
        _ => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/jobs/applications?error={code}")).into_response())
}

/// POST /jobs/applications/{id}/accept: the worker and the seeker
/// registered; to the seeker's page.
pub async fn application_accept(
    n: Need<WriteRecords>,
    Path(id): Path<String>,
    _csrf: Form,
) -> Result<Response, WebError> {
    use shiminhua_app::registry::jobs::applications;
    let id = parse_id(&id)?;
    match applications::accept(&n.ctx.call(&n.actor), id).await {
        Ok(seeker) => Ok(Redirect::to(&format!("/jobs/seekers/{seeker}?done=saved")).into_response()),
        // Shown on the list, the application left pending.
        Err(e) => applications_error(e),
    }
}

/// POST /jobs/applications/{id}/refuse (reason)
pub async fn application_refuse(
    n: Need<WriteRecords>,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, WebError> {
    use shiminhua_app::registry::jobs::applications;
    let id = parse_id(&id)?;
    match applications::refuse(&n.ctx.call(&n.actor), id, form.get("reason")).await {
        Ok(()) => Ok(Redirect::to("/jobs/applications?view=refused").into_response()),
        Err(e) => applications_error(e),
    }
}

// ---------------------------------------------------------------------------
// The entries behind a plan figure counted from a register

/// An entry counted: its page (none for a register without one), place and
/// the register's fields in order.
pub struct FigureLine {
    pub id: i64,
    pub link: String,
    pub place: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "jobs/figure.html")]
struct FigureTpl {
    layout: Layout,
    title: String,
    register: &'static str,
    figure: String,
    /// Per county: (name, entries, their sum when the figure is a sum).
    counties: Vec<(String, i64, String)>,
    sums: bool,
    heads: Vec<&'static str>,
    rows: Vec<FigureLine>,
    /// Entries counted outside the reader's scope, not listed.
    hidden: usize,
    pager: Pager,
}

/// GET /jobs/figure?target=…&region=…&as_of=…: the entries of the register
/// (求职登记, 推荐, 招聘活动, 就业失业登记) that a plan target counted from it
/// takes in a region as of a day, grouped by county; the figure and the
/// county totals are the board's (`plan::facility_tally::counted`). A
/// person's entries (seekers, referrals, registrations) are listed only
/// within the reader's job-service scope, the others counted as not shown,
/// as the record drill-downs do; events are listed for everyone.
pub async fn figure_page(
    n: Need<ViewDashboard>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    use shiminhua_app::plan::{document, facility_tally};
    use shiminhua_core::jobs::counts::ServiceRegister;
    use shiminhua_core::plan::{CountSource, FacilityAggregate};
    let st = &n.ctx.state;
    if n.actor
        .scope
        .ranges_for(shiminhua_core::auth::RecordKind::JobService)
        .is_empty()
    {
        return Err(WebError(AppError::Forbidden));
    }
    let target = q_get(&q, "target");
    let cur = document::current(&st.db).await?;
    let p = &cur.plan;
    let (t, count, register) = match (p.target(&target), facility_tally::count_of(p, &target)) {
        (Some(t), Some(c)) => match c.kind {
            CountSource::Service(r) => (t, c, r),
            CountSource::Facility(_) => {
                return Err(WebError(AppError::BadRequest(format!(
                    "目标“{target}”不是按就业服务台账统计的目标。"
                ))));
            }
        },
        _ => {
            return Err(WebError(AppError::BadRequest(format!(
                "目标“{target}”不是按就业服务台账统计的目标。"
            ))));
        }
    };
    let day = match q_get(&q, "as_of").as_str() {
        "" => today(&n.ctx),
        s => shiminhua_core::record::parse_date(s).ok_or_else(|| {
            WebError(AppError::BadRequest(
                "日期格式不正确，应为“年-月-日”，如 2023-09-30。".into(),
            ))
        })?,
    };
    let area = region_of(&q)?.unwrap_or(p.meta.region);
    let counted = facility_tally::counted(&st.db, p, &target, area, day)
        .await?
        .ok_or(WebError(AppError::NotFound))?;
    let places = PlaceBook::load(&mut st.db.read().await?).await?;
    let spec = register.spec();
    let figure = match count.aggregate {
        FacilityAggregate::Sum(key) => format!(
            "{} {} 条，{}合计 {} {}",
            register.label_zh(),
            counted.entries.len(),
            spec.fields.iter().find(|f| f.key == key).map_or(key, |f| f.label),
            counted.figure,
            t.unit
        ),
        FacilityAggregate::Counties => format!("覆盖 {} {}（{} 条）", counted.figure, t.unit, counted.entries.len()),
        FacilityAggregate::Count => format!("计入 {} {}", counted.figure, t.unit),
    };
    let counties = counted
        .by_county
        .iter()
        .map(|(c, (n, sum))| {
            let sum = match count.aggregate {
                FacilityAggregate::Sum(_) => format!("{sum} {}", t.unit),
                _ => String::new(),
            };
            (places.name(*c).to_string(), *n, sum)
        })
        .collect();
    let base = query_string(&[
        ("target", target.as_str()),
        ("region", &q_get(&q, "region")),
        ("as_of", &q_get(&q, "as_of")),
    ]);
    let personal = register != ServiceRegister::Events;
    let shown: Vec<_> = counted
        .entries
        .iter()
        .filter(|e| {
            !personal
                || n.actor
                    .scope
                    .allows(shiminhua_core::auth::RecordKind::JobService, e.region)
        })
        .collect();
    let hidden = counted.entries.len() - shown.len();
    let mut pager = Pager::new(q.get("page").map(String::as_str), 50, base);
    pager.total = shown.len() as i64;
    let rows = shown
        .into_iter()
        .skip(pager.offset() as usize)
        .take(pager.per_page as usize)
        .map(|e| FigureLine {
            id: e.id,
            link: match register {
                ServiceRegister::Seekers => format!("/jobs/seekers/{}", e.id),
                ServiceRegister::Events => format!("/jobs/events/{}", e.id),
                ServiceRegister::Referrals | ServiceRegister::Registrations => String::new(),
            },
            place: places.full_name(e.region.as_i64()),
            cells: spec
                .fields
                .iter()
                .map(|f| e.values.get(f.key).map(|v| v.display()).unwrap_or_default())
                .collect(),
        })
        .collect();
    Ok(html(&FigureTpl {
        layout: crumbs(Layout::new(&n.ctx, Some(&n.actor), "目标统计明细")).crumb("目标统计明细", ""),
        title: format!(
            "{}（{}，截至{}）",
            t.name,
            places.name(area.as_i64()),
            day.format("%Y年%-m月%-d日")
        ),
        register: register.label_zh(),
        figure,
        counties,
        sums: matches!(count.aggregate, FacilityAggregate::Sum(_)),
        heads: spec.fields.iter().map(|f| f.label).collect(),
        rows,
        hidden,
        pager,
    }))
}
