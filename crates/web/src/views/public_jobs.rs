//! 招聘岗位 (`/public/jobs`): the public job board, for a phone and without
//! signing in — open vacancies of the whole city by county, township,
//! occupation group and wage, each with the wage guide's median for its
//! group and how to apply (the HR office's window; an employer's or a
//! person's own phone is never published), and the coming recruitment
//! events. Expired, filled and withdrawn
//! vacancies are not found here.

use crate::error::WebError;
use crate::extract::Ctx;
use crate::layout::Layout;
use crate::views::jobs::majors;
use crate::views::public_cases::layout;
use crate::views::{Pager, date_zh, html, parse_id, q_get, query_string};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use shiminhua_app::AppError;
use shiminhua_app::regions::PlaceBook;
use shiminhua_app::registry::jobs::events;
use shiminhua_app::registry::jobs::occupations::OccupationBook;
use shiminhua_app::registry::jobs::vacancies::{self, VacancyFilter, VacancyRow, yuan};
use shiminhua_app::registry::jobs::wage_guide::{self, GuideRow};
use shiminhua_core::division::{DivisionCode, Level};
use std::collections::HashMap;

/// A vacancy as the board shows it.
pub struct BoardLine {
    pub id: i64,
    pub title: String,
    pub employer: String,
    pub occupation: String,
    pub place: String,
    pub headcount: i64,
    pub wage: String,
    pub median: String,
    pub valid_until: String,
}

fn board_line(v: &VacancyRow, places: &PlaceBook, book: &OccupationBook, guide: &Guide) -> BoardLine {
    BoardLine {
        id: v.id,
        title: v.title.clone(),
        employer: v.employer_name.clone(),
        occupation: book.label(&v.occupation),
        place: places.full_name(v.region_code),
        headcount: v.headcount,
        wage: v.wage_label(),
        median: guide.median(v),
        valid_until: date_zh(v.valid_until),
    }
}

/// The newest published wage guide.
struct Guide {
    year: i32,
    cells: Vec<GuideRow>,
}

impl Guide {
    async fn load(ctx: &Ctx) -> Result<Guide, WebError> {
        let db = &ctx.state.db;
        Ok(match wage_guide::latest_published_year(db).await? {
            Some(year) => Guide {
                year,
                cells: wage_guide::published_cells(db, year).await?,
            },
            None => Guide {
                year: 0,
                cells: Vec::new(),
            },
        })
    }

    fn median(&self, v: &VacancyRow) -> String {
        wage_guide::median_for(&self.cells, v.major, &v.industry)
            .map(|c| format!("同类岗位工资中位数 {} 元/月（{}年工资价位）", yuan(c.p50), self.year))
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "jobs/board.html")]
struct BoardTpl {
    layout: Layout,
    rows: Vec<BoardLine>,
    pager: Pager,
    counties: Vec<(String, String)>,
    county: String,
    towns: Vec<(String, String)>,
    town: String,
    majors: Vec<(String, String)>,
    major: String,
    wage: String,
    q: String,
    /// The coming recruitment events: (date, name, series, place).
    events: Vec<(String, String, &'static str, String)>,
}

fn bad(msg: &str) -> WebError {
    WebError(AppError::BadRequest(msg.into()))
}

fn cached(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    r
}

/// GET /public/jobs?county=…&town=…&major=…&wage=…&q=…&page=…
pub async fn board(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &ctx.state;
    let code = |k: &str, level: Level| -> Result<Option<DivisionCode>, WebError> {
        match q_get(&q, k).as_str() {
            "" => Ok(None),
            s => DivisionCode::parse(s)
                .ok()
                .filter(|c| c.level() == level)
                .map(Some)
                .ok_or_else(|| bad("地区不对")),
        }
    };
    let county = code("county", Level::County)?;
    let town = code("town", Level::Township)?;
    let major = match q_get(&q, "major").as_str() {
        "" => None,
        s => Some(
            s.parse::<u8>()
                .ok()
                .filter(|m| (1..=8).contains(m))
                .ok_or_else(|| bad("职业大类不对"))?,
        ),
    };
    let wage = match q_get(&q, "wage").trim() {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .ok()
                .filter(|w| (0..=1_000_000).contains(w))
                .ok_or_else(|| bad("期望月工资请填写整数（元）"))?
                * 100,
        ),
    };
    let search: String = q_get(&q, "q").chars().take(30).collect();
    let f = VacancyFilter {
        q: search.clone(),
        region: town.filter(|t| county.is_none_or(|c| c.contains(*t))).or(county),
        major,
        wage_at_least: wage,
        ..VacancyFilter::default()
    };
    let base = query_string(&[
        ("county", &q_get(&q, "county")),
        ("town", &q_get(&q, "town")),
        ("major", &q_get(&q, "major")),
        ("wage", &q_get(&q, "wage")),
        ("q", &search),
    ]);
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, base);
    let today = st.clock.today();
    let (rows, total) = vacancies::board(&st.db, &f, today, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let mut tx = st.db.read().await?;
    let places = PlaceBook::load(&mut tx).await?;
    let book = OccupationBook::load(&mut tx).await?;
    drop(tx);
    let guide = Guide::load(&ctx).await?;
    let regions = shiminhua_app::regions::public_tree(&st.db).await?;
    let counties = regions
        .iter()
        .filter(|r| r.level == 3)
        .map(|r| (r.display_code(), r.name.clone()))
        .collect();
    let towns = match county {
        Some(c) => regions
            .iter()
            .filter(|r| r.level == 4 && r.division().is_some_and(|d| c.contains(d)))
            .map(|r| (r.display_code(), r.name.clone()))
            .collect(),
        None => Vec::new(),
    };
    let events = events::coming(&st.db, today, 5)
        .await?
        .iter()
        .map(|e| {
            let place = if e.online {
                "线上".to_string()
            } else {
                format!("{} {}", places.full_name(e.region_code), e.venue)
            };
            (date_zh(e.held_on), e.name.clone(), e.series_label(), place)
        })
        .collect();
    Ok(cached(html(&BoardTpl {
        layout: layout(&ctx, "招聘岗位", String::new()),
        rows: rows.iter().map(|v| board_line(v, &places, &book, &guide)).collect(),
        pager,
        counties,
        county: q_get(&q, "county"),
        towns,
        town: q_get(&q, "town"),
        majors: majors(),
        major: q_get(&q, "major"),
        wage: q_get(&q, "wage"),
        q: search,
        events,
    })))
}

#[derive(Template)]
#[template(path = "jobs/board_vacancy.html")]
struct VacancyTpl {
    layout: Layout,
    v: BoardLine,
    industry: String,
    requirements: String,
    contact: String,
    posted: String,
}

/// GET /public/jobs/{id}
pub async fn vacancy(ctx: Ctx, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let st = &ctx.state;
    let v = vacancies::public_get(&st.db, id, st.clock.today()).await?;
    let mut tx = st.db.read().await?;
    let places = PlaceBook::load(&mut tx).await?;
    let book = OccupationBook::load(&mut tx).await?;
    drop(tx);
    let guide = Guide::load(&ctx).await?;
    Ok(cached(html(&VacancyTpl {
        layout: layout(&ctx, &v.title, String::new()),
        industry: v.industry_label(),
        requirements: v.requirements.clone(),
        contact: v.contact.clone(),
        posted: date_zh(v.posted_on),
        v: board_line(&v, &places, &book, &guide),
    })))
}
