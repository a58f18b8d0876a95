//! Matching (人岗匹配): for a seeker, the open vacancies ranked by the
//! rules of `shiminhua_core::jobs::matching`; for a vacancy, the seekers.
//!
//! Only the columns a fit needs are read for the candidates, and the whole
//! rows for the best few. A candidate sharing a middle group with the other
//! side always ranks above one sharing only the major group, so the middle
//! groups are read first and the major groups only when they give fewer
//! candidates than asked for. For a vacancy, the seekers of a group are
//! read nearest first as well (`job_seeker_reach`, see [`for_vacancy`]).

use super::seekers::{self, Seeker};
use super::vacancies::{self, VacancyRow};
use super::{own_ranges, split_list};
use crate::error::AppResult;
use crate::store::{Db, Sql, Tx};
use chrono::NaiveDate;
use shiminhua_core::auth::Actor;
use shiminhua_core::jobs::matching::{
    Distance, Fit, OccupationFit, SeekerSide, VacancySide, best_possible, county_of, fit, is_below_county, rank,
    township_of,
};
use shiminhua_core::jobs::occupation::OccupationCode;
use std::collections::{HashMap, HashSet};

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

/// A group of wanted occupations matching reads candidates by: seekers
/// sharing the vacancy's middle group, or its major group.
#[derive(Clone, Copy)]
enum Group<'a> {
    Middle(&'a str),
    Major(i64),
}

/// The candidates read so far: each seeker's side (the wishes in the group
/// read) and registration day, by id.
type Read = HashMap<i64, (NaiveDate, SeekerSide)>;

/// Reads the active seekers of `group` near `near` (a township or county
/// in `job_seeker_reach`), or all of the group for `None`, into `read`;
/// seekers read before are skipped.
async fn read_candidates(tx: &mut Tx, group: Group<'_>, near: Option<i64>, read: &mut Read) -> AppResult<()> {
    let (column, key): (&str, crate::store::Arg) = match group {
        Group::Middle(m) => ("middle", m.to_string().into()),
        Group::Major(m) => ("major", m.into()),
    };
    let mut q =
        Sql::new("SELECT s.id, o.code, s.region_code, s.places, s.min_wage_fen, s.available_from, s.registered_on ");
    match near {
        Some(region) => {
            q.push("FROM job_seeker_reach r JOIN job_seekers s ON s.id = r.seeker_id ")
                .push("JOIN job_seeker_occupations o ON o.seeker_id = r.seeker_id AND o.")
                .push(column)
                .push(" = r.")
                .push(column)
                .push(" WHERE r.")
                .push(column)
                .push(" = ")
                .arg(key)
                .push(" AND r.region_code = ")
                .arg(region);
        }
        None => {
            q.push("FROM job_seeker_occupations o JOIN job_seekers s ON s.id = o.seeker_id WHERE o.")
                .push(column)
                .push(" = ")
                .arg(key);
        }
    }
    q.push(" AND s.status = 'active'");
    let wishes: Vec<SeekerWish> = tx.all(q).await?;
    let fresh: HashSet<i64> = wishes
        .iter()
        .map(|w| w.id)
        .filter(|id| !read.contains_key(id))
        .collect();
    for w in wishes {
        if !fresh.contains(&w.id) {
            continue;
        }
        let Ok(code) = OccupationCode::parse(&w.code) else {
            continue;
        };
        let (_, side) = read.entry(w.id).or_insert_with(|| {
            (
                w.registered_on,
                SeekerSide {
                    occupations: Vec::new(),
                    home_region: w.region_code,
                    places: split_list(&w.places).iter().filter_map(|p| p.parse().ok()).collect(),
                    min_wage_fen: w.min_wage_fen,
                    available_from: w.available_from,
                },
            )
        });
        // Near a place, a seeker wanting two middle groups of a major group
        // has a row of `job_seeker_reach` for each: the join repeats wishes.
        if !side.occupations.contains(&code) {
            side.occupations.push(code);
        }
    }
    Ok(())
}

/// The best [`MATCHES`] of the candidates read, by score, then newest
/// registration first (the wishes of each in code order, so that the group
/// shown is the same however they were read).
fn best_of(read: &mut Read, vacancy: &VacancySide, today: NaiveDate) -> Vec<(i64, Fit)> {
    let mut order: Vec<(NaiveDate, i64)> = read.iter().map(|(id, (day, _))| (*day, *id)).collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let fits = order
        .into_iter()
        .filter_map(|(_, id)| {
            let (_, side) = read.get_mut(&id)?;
            side.occupations.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            Some((id, fit(side, vacancy, today)?))
        })
        .collect();
    rank(fits, MATCHES)
}

/// The active seekers who fit a vacancy best, with why; persons outside
/// the actor's places are masked.
///
/// The result is the best [`MATCHES`] of every active seeker sharing the
/// vacancy's major group. They are read nearest first, and reading stops as
/// soon as no seeker not yet read could rank among them: the middle group
/// in the vacancy's township, then its county, then everywhere; then the
/// major group the same way. Each step's bound is the best score a seeker
/// left unread can reach ([`best_possible`]).
pub async fn for_vacancy(db: &Db, actor: &Actor, vacancy_id: i64, today: NaiveDate) -> AppResult<Vec<(Seeker, Fit)>> {
    own_ranges(actor)?;
    let mut tx = db.read().await?;
    let vacancy = vacancies::get_in(&mut tx, vacancy_id).await?;
    let Some(side) = vacancy_side(&vacancy) else {
        return Ok(Vec::new());
    };
    if side.valid_until < today {
        return Ok(Vec::new());
    }
    let middle = side.occupation.middle().map(|m| m.to_string());
    let township = is_below_county(side.region).then(|| township_of(side.region));
    let county = county_of(side.region);
    // The steps: a group, where, and the best score of a seeker not read
    // after it. Within the middle group a seeker may fit exactly; outside
    // it only by the major group, unless the vacancy names a major group
    // only, whose seekers may fit exactly too.
    let outside = if middle.is_some() {
        OccupationFit::SameMajor
    } else {
        OccupationFit::Exact
    };
    let mut steps: Vec<(Group<'_>, Option<i64>, i64)> = Vec::new();
    let major = Group::Major(i64::from(side.occupation.major()));
    for (group, fit) in [
        (middle.as_deref().map(Group::Middle), OccupationFit::Exact),
        (Some(major), outside),
    ] {
        let Some(group) = group else {
            continue;
        };
        if let Some(t) = township {
            steps.push((group, Some(t), best_possible(fit, Distance::SameCounty)));
        }
        steps.push((group, Some(county), best_possible(fit, Distance::Elsewhere)));
        steps.push((group, None, best_possible(outside, Distance::SameTownship)));
    }
    let mut read = Read::new();
    let mut best = Vec::new();
    for (group, near, unread_at_most) in steps {
        read_candidates(&mut tx, group, near, &mut read).await?;
        best = best_of(&mut read, &side, today);
        if best.len() == MATCHES && best.last().is_some_and(|(_, f)| f.score > unread_at_most) {
            break;
        }
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
