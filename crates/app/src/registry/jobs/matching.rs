//! Matching (人岗匹配): for a seeker, the open vacancies ranked by the
//! rules of `shiminhua_core::jobs::matching`; for a vacancy, the seekers.
//!
//! Only the columns a fit needs are read for the candidates, and the whole
//! rows for the best few. A candidate sharing a middle group with the other
//! side always ranks above one sharing only the major group, so the middle
//! groups are read first and the major groups only when they give fewer
//! candidates than asked for.

use super::seekers::{self, Seeker};
use super::vacancies::{self, VacancyRow};
use super::{own_ranges, split_list};
use crate::error::AppResult;
use crate::store::{Db, Sql, Tx};
use chrono::NaiveDate;
use shiminhua_core::auth::Actor;
use shiminhua_core::jobs::matching::{Fit, SeekerSide, VacancySide, fit, rank};
use shiminhua_core::jobs::occupation::OccupationCode;
use std::collections::{BTreeMap, HashMap};

/// How many matches a page shows.
pub const MATCHES: usize = 20;

#[derive(sqlx::FromRow)]
struct VacancyCandidate {
    id: i64,
    occupation: String,
    region_code: i64,
    wage_min_fen: i64,
    wage_max_fen: i64,
    valid_until: NaiveDate,
    posted_on: NaiveDate,
}

impl VacancyCandidate {
    fn side(&self) -> Option<VacancySide> {
        Some(VacancySide {
            occupation: OccupationCode::parse(&self.occupation).ok()?,
            region: self.region_code,
            wage_min_fen: self.wage_min_fen,
            wage_max_fen: self.wage_max_fen,
            valid_until: self.valid_until,
        })
    }
}

fn seeker_side(s: &Seeker) -> SeekerSide {
    SeekerSide {
        occupations: s
            .occupations
            .iter()
            .filter_map(|c| OccupationCode::parse(c).ok())
            .collect(),
        home_region: s.row.region_code,
        places: s.place_codes(),
        min_wage_fen: s.row.min_wage_fen,
        available_from: s.row.available_from,
    }
}

fn vacancy_side(v: &VacancyRow) -> Option<VacancySide> {
    Some(VacancySide {
        occupation: OccupationCode::parse(&v.occupation).ok()?,
        region: v.region_code,
        wage_min_fen: v.wage_min_fen,
        wage_max_fen: v.wage_max_fen,
        valid_until: v.valid_until,
    })
}

async fn vacancy_candidates(
    tx: &mut Tx,
    column: &str,
    keys: Vec<crate::store::Arg>,
    today: NaiveDate,
) -> AppResult<Vec<VacancyCandidate>> {
    let mut q = Sql::new(
        "SELECT id, occupation, region_code, wage_min_fen, wage_max_fen, valid_until, posted_on FROM vacancies \
         WHERE status = 'open' AND valid_until >= ",
    );
    q.arg(today).push(" AND ");
    q.in_list(column, keys);
    // Newest first, sorted here: an ORDER BY would sort on disk.
    let mut rows: Vec<VacancyCandidate> = tx.all(q).await?;
    rows.sort_unstable_by_key(|c| std::cmp::Reverse((c.posted_on, c.id)));
    Ok(rows)
}

/// The open vacancies that fit a seeker best, with why.
pub async fn for_seeker(db: &Db, actor: &Actor, seeker_id: i64, today: NaiveDate) -> AppResult<Vec<(VacancyRow, Fit)>> {
    own_ranges(actor)?;
    let mut tx = db.read().await?;
    let seeker = seekers::get_in(&mut tx, actor, seeker_id).await?;
    let side = seeker_side(&seeker);
    let score = |cands: Vec<VacancyCandidate>| -> Vec<(i64, Fit)> {
        let fits = cands
            .iter()
            .filter_map(|c| Some((c.id, fit(&side, &c.side()?, today)?)))
            .collect();
        rank(fits, MATCHES)
    };
    let middles: Vec<crate::store::Arg> = side
        .occupations
        .iter()
        .filter_map(|c| c.middle().map(|m| m.to_string().into()))
        .collect();
    let mut best = Vec::new();
    if !middles.is_empty() {
        best = score(vacancy_candidates(&mut tx, "middle", middles, today).await?);
    }
    if best.len() < MATCHES {
        let majors: Vec<crate::store::Arg> = side.occupations.iter().map(|c| i64::from(c.major()).into()).collect();
        if !majors.is_empty() {
            best = score(vacancy_candidates(&mut tx, "major", majors, today).await?);
        }
    }
    let mut rows: HashMap<i64, VacancyRow> = HashMap::new();
    if !best.is_empty() {
        let mut q = Sql::new(vacancies::COLUMNS);
        q.push(" WHERE ");
        q.in_list("v.id", best.iter().map(|(id, _)| *id));
        for r in tx.all::<VacancyRow>(q).await? {
            rows.insert(r.id, r);
        }
    }
    Ok(best
        .into_iter()
        .filter_map(|(id, f)| Some((rows.remove(&id)?, f)))
        .collect())
}

#[derive(sqlx::FromRow)]
struct SeekerWish {
    id: i64,
    code: String,
    region_code: i64,
    places: String,
    min_wage_fen: Option<i64>,
    available_from: Option<NaiveDate>,
    registered_on: NaiveDate,
}

async fn seeker_candidates(tx: &mut Tx, column: &str, key: crate::store::Arg) -> AppResult<Vec<(i64, SeekerSide)>> {
    let mut q = Sql::new(
        "SELECT s.id, o.code, s.region_code, s.places, s.min_wage_fen, s.available_from, s.registered_on \
         FROM job_seeker_occupations o JOIN job_seekers s ON s.id = o.seeker_id \
         WHERE s.status = 'active' AND o.",
    );
    q.push(column).push(" = ").arg(key);
    let mut wishes: Vec<SeekerWish> = tx.all(q).await?;
    // Newest registration first, sorted here: an ORDER BY would sort on disk.
    wishes.sort_by_key(|w| std::cmp::Reverse((w.registered_on, w.id)));
    // One side a seeker, in the order read (newest registration first).
    let mut order = Vec::new();
    let mut sides: BTreeMap<i64, SeekerSide> = BTreeMap::new();
    for w in wishes {
        let Ok(code) = OccupationCode::parse(&w.code) else {
            continue;
        };
        let side = sides.entry(w.id).or_insert_with(|| {
            order.push(w.id);
            SeekerSide {
                occupations: Vec::new(),
                home_region: w.region_code,
                places: split_list(&w.places).iter().filter_map(|p| p.parse().ok()).collect(),
                min_wage_fen: w.min_wage_fen,
                available_from: w.available_from,
            }
        });
        side.occupations.push(code);
    }
    Ok(order
        .into_iter()
        .filter_map(|id| Some((id, sides.remove(&id)?)))
        .collect())
}

/// The active seekers who fit a vacancy best, with why; persons outside
/// the actor's places are masked.
pub async fn for_vacancy(db: &Db, actor: &Actor, vacancy_id: i64, today: NaiveDate) -> AppResult<Vec<(Seeker, Fit)>> {
    own_ranges(actor)?;
    let mut tx = db.read().await?;
    let vacancy = vacancies::get_in(&mut tx, vacancy_id).await?;
    let Some(side) = vacancy_side(&vacancy) else {
        return Ok(Vec::new());
    };
    let score = |cands: Vec<(i64, SeekerSide)>| -> Vec<(i64, Fit)> {
        let fits = cands
            .iter()
            .filter_map(|(id, s)| Some((*id, fit(s, &side, today)?)))
            .collect();
        rank(fits, MATCHES)
    };
    let mut best = Vec::new();
    if let Some(middle) = side.occupation.middle() {
        best = score(seeker_candidates(&mut tx, "middle", middle.to_string().into()).await?);
    }
    if best.len() < MATCHES {
        best = score(seeker_candidates(&mut tx, "major", i64::from(side.occupation.major()).into()).await?);
    }
    let rows = seekers::rows_in(&mut tx, &best.iter().map(|(id, _)| *id).collect::<Vec<_>>()).await?;
    let mut shown: HashMap<i64, Seeker> = seekers::shown(&mut tx, actor, rows)
        .await?
        .into_iter()
        .map(|s| (s.row.id, s))
        .collect();
    Ok(best
        .into_iter()
        .filter_map(|(id, f)| Some((shown.remove(&id)?, f)))
        .collect())
}
