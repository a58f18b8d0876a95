//! How well a job seeker and a vacancy fit ([`fit`]), and the ranking of
//! candidates by that fit ([`rank`]).
//!
//! Regions are twelve-digit division codes as stored (see
//! [`crate::division`]): a township `PPCCDDTTT000`, a county `PPCCDD000000`.
//!
//! # The parts of a fit
//!
//! * occupation ([`OccupationFit`]), the best over the seeker's wanted
//!   occupations:
//!   - **Exact** when the codes are equal, or one lies within the other and
//!     the more general of the two is a small group (小类, level 3) or finer:
//!     a seeker wanting `6-29-01` fits a vacancy for `6-29-01-02`;
//!   - **Related** when they share the middle group (中类, `6-29`);
//!   - **SameMajor** when they share only the major group (大类, `6`);
//!   - otherwise there is no fit at all.
//! * distance ([`Distance`]):
//!   - **SameTownship** when the vacancy's township is one of the townships
//!     the seeker wants, or, when the seeker wants no township, the township
//!     the seeker lives in;
//!   - **SameCounty** when the vacancy's county is a county the seeker
//!     wants, the county of a township the seeker wants, or the county the
//!     seeker lives in;
//!   - **Elsewhere** otherwise.
//! * wage ([`WageFit`]) against the seeker's lowest acceptable monthly wage:
//!   **Meets** when the vacancy's lower bound reaches it, **Partly** when
//!   only the upper bound does, **Below** when neither, **NoWish** when the
//!   seeker gave none.
//! * timing ([`Timing`]): **Ready** when the seeker can start by the
//!   vacancy's closing date (or gave no date), **Later** otherwise.
//!
//! A vacancy past its closing date (`valid_until < today`) fits nobody.
//!
//! # The score
//!
//! One integer, the sum of the parts' points, each part's weights chosen so
//! that it outweighs everything after it:
//!
//! | part       | points                                        |
//! |------------|-----------------------------------------------|
//! | occupation | Exact 3000, Related 2000, SameMajor 1000      |
//! | distance   | SameTownship 300, SameCounty 200, Elsewhere 100 |
//! | wage       | Meets 30, Partly 20, NoWish 20, Below 0       |
//! | timing     | Ready 3, Later 0                              |
//!
//! So occupation dominates distance, which dominates wage, which dominates
//! timing; the best possible score is 3333.

use chrono::NaiveDate;

use super::occupation::OccupationCode;

/// Twelve-digit units per county block (`PPCCDD` then six digits).
const COUNTY_SPAN: i64 = 1_000_000;
/// Twelve-digit units per township block (`PPCCDDTTT` then three digits).
const TOWNSHIP_SPAN: i64 = 1_000;

/// The county-level code of a twelve-digit region code: its first six
/// digits followed by zeros (`341021100000` → `341021000000`), as SQL would
/// compute it with `region / 1000000 * 1000000`. For a township of a city
/// without counties (东莞 `441900003000`) this is the city, which stands in
/// for a county there. A county gives itself.
pub fn county_of(region: i64) -> i64 {
    region - region.rem_euclid(COUNTY_SPAN)
}

/// The township-level code of a twelve-digit region code: its first nine
/// digits followed by zeros (a village gives its township).
pub fn township_of(region: i64) -> i64 {
    region - region.rem_euclid(TOWNSHIP_SPAN)
}

/// Whether a twelve-digit region code is below county level (a township, or
/// a village standing for its township).
pub fn is_below_county(region: i64) -> bool {
    region.rem_euclid(COUNTY_SPAN) != 0
}

/// What the seeker side of a match needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeekerSide {
    /// Wanted occupations, most wanted first.
    pub occupations: Vec<OccupationCode>,
    /// Township of residence (twelve-digit code).
    pub home_region: i64,
    /// Wanted places: township or county codes (twelve digits).
    pub places: Vec<i64>,
    /// Lowest acceptable monthly wage, in fen.
    pub min_wage_fen: Option<i64>,
    /// Earliest date the seeker can start.
    pub available_from: Option<NaiveDate>,
}

/// What the vacancy side of a match needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VacancySide {
    pub occupation: OccupationCode,
    /// Township of the workplace (twelve-digit code).
    pub region: i64,
    /// Monthly wage range, in fen.
    pub wage_min_fen: i64,
    pub wage_max_fen: i64,
    /// Last day the vacancy is open.
    pub valid_until: NaiveDate,
}

crate::coded! {
    /// How close the occupations are; see the [module documentation](self).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum OccupationFit {
        Exact = "exact" / "职业相同",
        Related = "related" / "同一中类",
        SameMajor = "same_major" / "同一大类",
    }
}

crate::coded! {
    /// How far the workplace is from what the seeker wants.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Distance {
        SameTownship = "same_township" / "同乡镇（街道）",
        SameCounty = "same_county" / "同区县",
        Elsewhere = "elsewhere" / "市内其他区县",
    }
}

crate::coded! {
    /// The vacancy's wage against the seeker's wish.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum WageFit {
        Meets = "meets" / "工资达到期望",
        Partly = "partly" / "工资区间上限达到期望",
        Below = "below" / "低于期望工资",
        NoWish = "no_wish" / "未填期望工资",
    }
}

crate::coded! {
    /// Whether the seeker can start while the vacancy is open.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Timing {
        Ready = "ready" / "可到岗",
        Later = "later" / "到岗日期晚于岗位截止日期",
    }
}

impl OccupationFit {
    /// Points in the score.
    pub fn points(self) -> i64 {
        match self {
            OccupationFit::Exact => 3000,
            OccupationFit::Related => 2000,
            OccupationFit::SameMajor => 1000,
        }
    }
}

impl Distance {
    /// Points in the score.
    pub fn points(self) -> i64 {
        match self {
            Distance::SameTownship => 300,
            Distance::SameCounty => 200,
            Distance::Elsewhere => 100,
        }
    }
}

impl WageFit {
    /// Points in the score.
    pub fn points(self) -> i64 {
        match self {
            WageFit::Meets => 30,
            WageFit::Partly | WageFit::NoWish => 20,
            WageFit::Below => 0,
        }
    }
}

impl Timing {
    /// Points in the score.
    pub fn points(self) -> i64 {
        match self {
            Timing::Ready => 3,
            Timing::Later => 0,
        }
    }
}

/// How well a seeker and a vacancy fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fit {
    pub occupation: OccupationFit,
    /// The group both sides share at the level of `occupation`: for Exact
    /// the more general of the two codes, for Related the middle group, for
    /// SameMajor the major group.
    pub shared: OccupationCode,
    pub distance: Distance,
    pub wage: WageFit,
    pub timing: Timing,
    /// The sum of the parts' points (see the module documentation).
    pub score: i64,
}

impl Fit {
    /// The fit in words, e.g.
    /// `职业相同（6-29-01）；同乡镇（街道）；工资达到期望；可到岗`.
    pub fn explain_zh(&self) -> String {
        format!(
            "{}（{}）；{}；{}；{}",
            self.occupation.label_zh(),
            self.shared,
            self.distance.label_zh(),
            self.wage.label_zh(),
            self.timing.label_zh()
        )
    }
}

/// How two occupation codes fit, and the group they share; `None` for
/// different major groups.
fn occupation_fit(a: &OccupationCode, b: &OccupationCode) -> Option<(OccupationFit, OccupationCode)> {
    let general = if a.is_within(b) {
        Some(b)
    } else if b.is_within(a) {
        Some(a)
    } else {
        None
    };
    if let Some(g) = general
        && (a == b || g.level() >= 3)
    {
        return Some((OccupationFit::Exact, g.clone()));
    }
    match (a.middle(), b.middle()) {
        (Some(x), Some(y)) if x == y => return Some((OccupationFit::Related, x)),
        _ => {}
    }
    (a.major() == b.major()).then(|| (OccupationFit::SameMajor, a.major_code()))
}

fn distance(seeker: &SeekerSide, region: i64) -> Distance {
    let township = township_of(region);
    let wanted_townships: Vec<i64> = seeker
        .places
        .iter()
        .copied()
        .filter(|&p| is_below_county(p))
        .map(township_of)
        .collect();
    if is_below_county(region) {
        let same = if wanted_townships.is_empty() {
            is_below_county(seeker.home_region) && township == township_of(seeker.home_region)
        } else {
            wanted_townships.contains(&township)
        };
        if same {
            return Distance::SameTownship;
        }
    }
    let county = county_of(region);
    let same_county = seeker.places.iter().any(|&p| county_of(p) == county)
        || (seeker.home_region != 0 && county_of(seeker.home_region) == county);
    if same_county {
        Distance::SameCounty
    } else {
        Distance::Elsewhere
    }
}

/// The regions near a seeker: the townships where a workplace is
/// [`Distance::SameTownship`] and the counties where it is at least
/// [`Distance::SameCounty`] (the rules of `distance`), sorted, each once.
/// A workplace in region `r` is SameTownship exactly when `r` is below
/// county level and `township_of(r)` is in the list, and at least
/// SameCounty exactly when `county_of(r)` is. Matching reads candidates by
/// these (`job_seeker_reach`), nearest first.
pub fn reach(places: &[i64], home_region: i64) -> Vec<i64> {
    let mut near: Vec<i64> = places
        .iter()
        .copied()
        .filter(|&p| is_below_county(p))
        .map(township_of)
        .collect();
    if near.is_empty() && is_below_county(home_region) {
        near.push(township_of(home_region));
    }
    near.extend(places.iter().map(|&p| county_of(p)));
    if home_region != 0 {
        near.push(county_of(home_region));
    }
    near.sort_unstable();
    near.dedup();
    near
}

/// The highest score a fit with this occupation fit and a distance no
/// nearer than `distance` can have: what candidates not yet read may still
/// reach, when they are read nearest first.
pub fn best_possible(occupation: OccupationFit, distance: Distance) -> i64 {
    occupation.points() + distance.points() + WageFit::Meets.points() + Timing::Ready.points()
}

fn wage_fit(min_wage: Option<i64>, vacancy: &VacancySide) -> WageFit {
    match min_wage {
        None => WageFit::NoWish,
        Some(m) if vacancy.wage_min_fen >= m => WageFit::Meets,
        Some(m) if vacancy.wage_max_fen >= m => WageFit::Partly,
        Some(_) => WageFit::Below,
    }
}

/// How well `seeker` fits `vacancy` on `today`; `None` when the vacancy has
/// closed or no wanted occupation shares the vacancy's major group. See the
/// [module documentation](self) for the rules.
pub fn fit(seeker: &SeekerSide, vacancy: &VacancySide, today: NaiveDate) -> Option<Fit> {
    if vacancy.valid_until < today {
        return None;
    }
    // The best over the wanted occupations; the first wins a tie.
    let mut best: Option<(OccupationFit, OccupationCode)> = None;
    for wanted in &seeker.occupations {
        if let Some(f) = occupation_fit(wanted, &vacancy.occupation)
            && best.as_ref().is_none_or(|b| f.0.points() > b.0.points())
        {
            best = Some(f);
        }
    }
    let (occupation, shared) = best?;
    let distance = distance(seeker, vacancy.region);
    let wage = wage_fit(seeker.min_wage_fen, vacancy);
    let timing = match seeker.available_from {
        Some(from) if from > vacancy.valid_until => Timing::Later,
        _ => Timing::Ready,
    };
    let score = occupation.points() + distance.points() + wage.points() + timing.points();
    Some(Fit {
        occupation,
        shared,
        distance,
        wage,
        timing,
        score,
    })
}

/// The best `limit` items, by score descending; items with equal scores
/// keep their input order (callers pass a deterministic order, e.g. newest
/// first).
pub fn rank<T>(mut items: Vec<(T, Fit)>, limit: usize) -> Vec<(T, Fit)> {
    // `sort_by_key` is stable.
    items.sort_by_key(|(_, f)| std::cmp::Reverse(f.score));
    items.truncate(limit);
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::division::DivisionCode;

    fn code(s: &str) -> OccupationCode {
        OccupationCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    // 黄山市: 歙县 341021, its 徽城镇 341021100 and 深渡镇 341021105;
    // 休宁县 341022 and its 海阳镇 341022100; 屯溪区 341002.
    const SHEXIAN: i64 = 341_021_000_000;
    const HUICHENG: i64 = 341_021_100_000;
    const SHENDU: i64 = 341_021_105_000;
    const XIUNING: i64 = 341_022_000_000;
    const HAIYANG: i64 = 341_022_100_000;
    const TUNXI_STREET: i64 = 341_002_001_000;

    fn seeker(occupations: &[&str]) -> SeekerSide {
        SeekerSide {
            occupations: occupations.iter().map(|s| code(s)).collect(),
            home_region: HUICHENG,
            places: vec![],
            min_wage_fen: Some(400_000),
            available_from: None,
        }
    }

    fn vacancy(occupation: &str, region: i64) -> VacancySide {
        VacancySide {
            occupation: code(occupation),
            region,
            wage_min_fen: 450_000,
            wage_max_fen: 600_000,
            valid_until: d("2026-06-30"),
        }
    }

    fn today() -> NaiveDate {
        d("2026-04-01")
    }

    fn fit_of(s: &SeekerSide, v: &VacancySide) -> Fit {
        fit(s, v, today()).unwrap_or_else(|| panic!("no fit: {s:?} {v:?}"))
    }

    #[test]
    fn region_helpers_agree_with_division_codes() {
        for s in ["341021100", "341021100201", "341021", "341002001"] {
            let c = DivisionCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            let county = c.county().map(DivisionCode::as_i64);
            assert_eq!(Some(county_of(c.as_i64())), county, "{s}");
        }
        assert_eq!(county_of(HUICHENG), SHEXIAN);
        assert_eq!(county_of(SHEXIAN), SHEXIAN);
        assert_eq!(county_of(341_021_100_201), SHEXIAN);
        // A township of a city without counties: the city stands in.
        assert_eq!(county_of(441_900_003_000), 441_900_000_000);
        assert_eq!(township_of(341_021_100_201), HUICHENG);
        assert_eq!(township_of(HUICHENG), HUICHENG);
        assert!(is_below_county(HUICHENG));
        assert!(is_below_county(341_021_100_201));
        assert!(!is_below_county(SHEXIAN));
    }

    #[test]
    fn occupation_levels() {
        let v = vacancy("6-29-01-02", HUICHENG);
        let cases = [
            ("6-29-01-02", OccupationFit::Exact, "6-29-01-02"),
            ("6-29-01", OccupationFit::Exact, "6-29-01"),
            ("6-29-01-02-03", OccupationFit::Exact, "6-29-01-02"),
            // The more general code is only a middle group: related.
            ("6-29", OccupationFit::Related, "6-29"),
            ("6-29-02", OccupationFit::Related, "6-29"),
            ("6-29-01-03", OccupationFit::Related, "6-29"),
            ("6-30-01", OccupationFit::SameMajor, "6"),
            ("6", OccupationFit::SameMajor, "6"),
        ];
        for (wanted, expected, shared) in cases {
            let f = fit_of(&seeker(&[wanted]), &v);
            assert_eq!(f.occupation, expected, "{wanted}");
            assert_eq!(f.shared, code(shared), "{wanted}");
        }
        // Equal major groups, equal middle groups.
        let f = fit_of(&seeker(&["6"]), &vacancy("6", HUICHENG));
        assert_eq!((f.occupation, f.shared), (OccupationFit::Exact, code("6")));
        let f = fit_of(&seeker(&["6-29"]), &vacancy("6-29", HUICHENG));
        assert_eq!(f.occupation, OccupationFit::Exact);
        // Another major group: no fit.
        assert_eq!(fit(&seeker(&["4-01-02"]), &v, today()), None);
        assert_eq!(fit(&seeker(&[]), &v, today()), None);
    }

    #[test]
    fn best_of_the_wanted_occupations() {
        let v = vacancy("6-29-01-02", HUICHENG);
        let f = fit_of(&seeker(&["4-01", "6-30", "6-29-02", "6-29-01"]), &v);
        assert_eq!((f.occupation, f.shared), (OccupationFit::Exact, code("6-29-01")));
        let f = fit_of(&seeker(&["4-01", "6-30", "6-29-02"]), &v);
        assert_eq!((f.occupation, f.shared), (OccupationFit::Related, code("6-29")));
        // On a tie the first wanted occupation gives the shared group.
        let f = fit_of(&seeker(&["6-29-01-02-05", "6-29-01"]), &v);
        assert_eq!(f.shared, code("6-29-01-02"));
    }

    #[test]
    fn closed_vacancy_fits_nobody() {
        let s = seeker(&["6-29-01"]);
        let mut v = vacancy("6-29-01", HUICHENG);
        v.valid_until = d("2026-04-01");
        assert!(fit(&s, &v, d("2026-04-01")).is_some());
        assert_eq!(fit(&s, &v, d("2026-04-02")), None);
    }

    /// `reach` lists exactly the townships and counties `distance` calls
    /// near, for every kind of seeker and workplace.
    #[test]
    fn reach_is_what_distance_calls_near() {
        let villages = [341_021_100_201, 341_022_101_000 + 201];
        let regions = [
            HUICHENG,
            SHENDU,
            SHEXIAN,
            XIUNING,
            HAIYANG,
            TUNXI_STREET,
            341_002_000_000,
            341_022_101_000,
            villages[0],
            villages[1],
        ];
        let homes = [0, HUICHENG, HAIYANG, villages[0], SHEXIAN];
        let place_sets: [&[i64]; 6] = [
            &[],
            &[HAIYANG],
            &[XIUNING],
            &[HAIYANG, SHEXIAN],
            &[villages[1], TUNXI_STREET],
            &[341_002_000_000, SHENDU, HUICHENG],
        ];
        for home in homes {
            for places in place_sets {
                let mut s = seeker(&["6-29-01"]);
                s.home_region = home;
                s.places = places.to_vec();
                let near = reach(&s.places, home);
                for r in regions {
                    let d = fit_of(&s, &vacancy("6-29-01", r)).distance;
                    let town = is_below_county(r) && near.contains(&township_of(r));
                    let county = near.contains(&county_of(r));
                    assert_eq!(
                        d == Distance::SameTownship,
                        town,
                        "home {home}, places {places:?}, at {r}"
                    );
                    assert_eq!(
                        d != Distance::Elsewhere,
                        county,
                        "home {home}, places {places:?}, at {r}"
                    );
                }
            }
        }
    }

    #[test]
    fn distances() {
        let v = |region| vacancy("6-29-01", region);
        let mut s = seeker(&["6-29-01"]);
        // No wanted place: the home township, then the home county.
        assert_eq!(fit_of(&s, &v(HUICHENG)).distance, Distance::SameTownship);
        assert_eq!(fit_of(&s, &v(341_021_100_201)).distance, Distance::SameTownship);
        assert_eq!(fit_of(&s, &v(SHENDU)).distance, Distance::SameCounty);
        assert_eq!(fit_of(&s, &v(SHEXIAN)).distance, Distance::SameCounty);
        assert_eq!(fit_of(&s, &v(HAIYANG)).distance, Distance::Elsewhere);

        // A wanted township replaces the home township, not the home county.
        s.places = vec![HAIYANG];
        assert_eq!(fit_of(&s, &v(HAIYANG)).distance, Distance::SameTownship);
        assert_eq!(fit_of(&s, &v(HUICHENG)).distance, Distance::SameCounty);
        assert_eq!(fit_of(&s, &v(341_022_101_000)).distance, Distance::SameCounty);
        assert_eq!(fit_of(&s, &v(TUNXI_STREET)).distance, Distance::Elsewhere);

        // Only a county wanted: the home township still counts.
        s.places = vec![XIUNING];
        assert_eq!(fit_of(&s, &v(HUICHENG)).distance, Distance::SameTownship);
        assert_eq!(fit_of(&s, &v(HAIYANG)).distance, Distance::SameCounty);
        assert_eq!(fit_of(&s, &v(SHENDU)).distance, Distance::SameCounty);
        assert_eq!(fit_of(&s, &v(TUNXI_STREET)).distance, Distance::Elsewhere);

        // A vacancy placed at county level is never the same township.
        s.places = vec![];
        s.home_region = SHEXIAN;
        assert_eq!(fit_of(&s, &v(SHEXIAN)).distance, Distance::SameCounty);
        // An unknown home (0) matches nothing.
        s.home_region = 0;
        assert_eq!(fit_of(&s, &v(HUICHENG)).distance, Distance::Elsewhere);
    }

    #[test]
    fn wages() {
        let mut s = seeker(&["6-29-01"]);
        let v = vacancy("6-29-01", HUICHENG); // 4,500–6,000 元
        for (wish, expected) in [
            (None, WageFit::NoWish),
            (Some(400_000), WageFit::Meets),
            (Some(450_000), WageFit::Meets),
            (Some(450_001), WageFit::Partly),
            (Some(600_000), WageFit::Partly),
            (Some(600_001), WageFit::Below),
        ] {
            s.min_wage_fen = wish;
            assert_eq!(fit_of(&s, &v).wage, expected, "{wish:?}");
        }
    }

    #[test]
    fn timing() {
        let mut s = seeker(&["6-29-01"]);
        let v = vacancy("6-29-01", HUICHENG);
        for (from, expected) in [
            (None, Timing::Ready),
            (Some("2026-03-01"), Timing::Ready),
            (Some("2026-06-30"), Timing::Ready),
            (Some("2026-07-01"), Timing::Later),
        ] {
            s.available_from = from.map(d);
            assert_eq!(fit_of(&s, &v).timing, expected, "{from:?}");
        }
    }

    #[test]
    fn score_and_explanation() {
        let s = seeker(&["6-29-01"]);
        let f = fit_of(&s, &vacancy("6-29-01", HUICHENG));
        assert_eq!(f.score, 3333);
        assert_eq!(
            f.explain_zh(),
            "职业相同（6-29-01）；同乡镇（街道）；工资达到期望；可到岗"
        );

        let mut s = seeker(&["6-29-02"]);
        s.min_wage_fen = Some(700_000);
        s.available_from = Some(d("2026-08-01"));
        let f = fit_of(&s, &vacancy("6-29-01-02", SHENDU));
        assert_eq!(f.score, 2000 + 200);
        assert_eq!(
            f.explain_zh(),
            "同一中类（6-29）；同区县；低于期望工资；到岗日期晚于岗位截止日期"
        );

        s.min_wage_fen = None;
        let f = fit_of(&s, &vacancy("6-01", HAIYANG));
        assert_eq!(f.score, 1000 + 100 + 20);
        assert_eq!(
            f.explain_zh(),
            "同一大类（6）；市内其他区县；未填期望工资；到岗日期晚于岗位截止日期"
        );
    }

    #[test]
    fn each_part_outweighs_all_later_ones() {
        let occupations = OccupationFit::ALL.map(OccupationFit::points);
        let distances = Distance::ALL.map(Distance::points);
        let wages = WageFit::ALL.map(WageFit::points);
        let timings = Timing::ALL.map(Timing::points);
        let spread = |p: &[i64]| p.iter().max().unwrap_or(&0) - p.iter().min().unwrap_or(&0);
        let min_step = |p: &[i64]| {
            let mut v = p.to_vec();
            v.sort_unstable();
            v.dedup();
            v.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(i64::MAX)
        };
        assert!(min_step(&occupations) > spread(&distances) + spread(&wages) + spread(&timings));
        assert!(min_step(&distances) > spread(&wages) + spread(&timings));
        assert!(min_step(&wages) > spread(&timings));
        // The order within each part.
        assert!(occupations.windows(2).all(|w| w[0] > w[1]));
        assert!(distances.windows(2).all(|w| w[0] > w[1]));
        assert!(WageFit::Meets.points() > WageFit::Partly.points());
        assert!(WageFit::Partly.points() > WageFit::Below.points());
        assert!(WageFit::NoWish.points() > WageFit::Below.points());
        assert!(Timing::Ready.points() > Timing::Later.points());
    }

    #[test]
    fn ranking_is_by_score_then_input_order() {
        let s = seeker(&["6-29-01"]);
        let vacancies = [
            ("a", vacancy("6-30", HUICHENG)),      // 1000 + 300 + 30 + 3
            ("b", vacancy("6-29-01", HAIYANG)),    // 3000 + 100 + 30 + 3
            ("c", vacancy("6-29-02", HUICHENG)),   // 2000 + 300 + 30 + 3
            ("d", vacancy("6-29-01", SHENDU)),     // 3000 + 200 + 30 + 3
            ("e", vacancy("6-29-01-02", HAIYANG)), // same as b
            ("f", vacancy("4-01", HUICHENG)),      // no fit
        ];
        let fits: Vec<(&str, Fit)> = vacancies
            .iter()
            .filter_map(|(id, v)| fit(&s, v, today()).map(|f| (*id, f)))
            .collect();
        assert_eq!(fits.len(), 5);
        fn ids<'a>(r: &[(&'a str, Fit)]) -> Vec<&'a str> {
            r.iter().map(|(id, _)| *id).collect()
        }
        assert_eq!(ids(&rank(fits.clone(), 10)), ["d", "b", "e", "c", "a"]);
        assert_eq!(ids(&rank(fits.clone(), 2)), ["d", "b"]);
        assert!(rank(fits.clone(), 0).is_empty());
        // Reversed input: equal scores keep the new input order.
        let reversed: Vec<_> = fits.into_iter().rev().collect();
        assert_eq!(ids(&rank(reversed, 10)), ["d", "e", "b", "c", "a"]);
        assert!(rank(Vec::<((), Fit)>::new(), 5).is_empty());
    }
}
