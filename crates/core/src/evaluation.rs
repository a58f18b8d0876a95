//! The year-end evaluation (市民化情况评估): each target's points for the city
//! and for every county, from the plan's scoring rules (`plan::Scoring`) and
//! the figures of the day. Pure arithmetic; the figures come from the caller.
//!
//! The rules (also in `docs/plan-format.md`, section 评分规则):
//!
//! - A target reached gets its full points; one not reached gets the share of
//!   its points that it reached, never more than its points. 不超过 targets
//!   are reached at or below the figure and otherwise get figure ÷ actual;
//!   左右 targets are reached within `about_tolerance` percent below the
//!   figure; 区间 targets are reached from the lower end up (going past the
//!   upper end loses nothing). A target without a number (定性) is reached
//!   once its figure is above zero.
//! - The city's goal is the target's figure (or the sum of its allocation).
//!   A county's goal is its allocation; without one, a level target (a
//!   ratio, a rate) has the city's level as the county's goal, and a
//!   cumulative target is not scored for counties: its points go to the
//!   county's other targets in proportion to their points, so that every
//!   county is scored out of the same total. `counties = false` in the rules
//!   keeps a target for the city only.
//! - No figure (nothing reported yet, a ratio of nothing) is 0 points, shown
//!   as 暂无数据 with its reason.
//! - Points are kept in hundredths; a sheet's total is the sum of its lines
//!   as shown, and counties with equal totals share a rank.

use crate::division::DivisionCode;
use crate::plan::{Comparison, Measurement, Plan, Progress, Scoring, Target};
use std::fmt;

/// Points in hundredths (12.5 points = `Points(1250)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(pub i64);

impl Points {
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Without trailing zeros: 100, 33.3, 33.33 (for 满分).
    pub fn trimmed(self) -> String {
        let s = self.to_string();
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// What a target is measured against in one region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// A figure (and the upper end of a 区间 target).
    Figure { value: f64, upper: Option<f64> },
    /// A target without a number (定性): any progress reaches it.
    Any,
}

/// Why a target is not scored in a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The rules keep it for the city (`counties = false`).
    CityOnly,
    /// A cumulative target not allocated to this county.
    NotAllocated,
}

impl Skip {
    pub fn label_zh(self) -> &'static str {
        match self {
            Skip::CityOnly => "只评全市，不按区县评分",
            Skip::NotAllocated => "未分解到区县，只评全市，分值折算到其余目标",
        }
    }
}

/// How one target came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Full marks.
    Reached,
    /// Points in proportion to what was reached.
    Partial,
    /// No figure: 0 points.
    NoData,
    /// Not part of this region's sheet.
    NotScored(Skip),
}

impl State {
    pub fn label_zh(self) -> &'static str {
        match self {
            State::Reached => "达到目标",
            State::Partial => "未达到目标，按完成比例得分",
            State::NoData => "暂无数据",
            State::NotScored(_) => "不评分",
        }
    }

    /// The CSS class of the mark (green / amber / grey).
    pub fn css(self) -> &'static str {
        match self {
            State::Reached => "green",
            State::Partial => "amber",
            State::NoData | State::NotScored(_) => "grey",
        }
    }
}

/// One target on a sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The target's id.
    pub target: String,
    pub goal: Option<Goal>,
    /// The figure of the day in the target's unit (a ratio in percent).
    pub figure: Option<f64>,
    /// The points the line is out of (after any redistribution).
    pub weight: Points,
    /// The figure as a percentage of the goal (完成率), where that means
    /// something (a goal above zero).
    pub rate: Option<f64>,
    pub score: Points,
    pub state: State,
    /// Why there is no figure or no score, in Chinese; empty otherwise.
    pub reason: String,
}

/// One region's score sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    pub region: DivisionCode,
    /// Every target with points, in the plan's order.
    pub lines: Vec<Line>,
    pub total: Points,
    /// What the sheet is out of (the rules' total; 0 when nothing is scored).
    pub full: Points,
    /// Among the counties (1 = best), once ranked.
    pub rank: Option<u32>,
}

impl Sheet {
    pub fn line(&self, target: &str) -> Option<&Line> {
        self.lines.iter().find(|l| l.target == target)
    }

    /// Lines that reached their goal.
    pub fn reached(&self) -> usize {
        self.lines.iter().filter(|l| l.state == State::Reached).count()
    }

    /// Lines that are scored (reached, partly reached or without data).
    pub fn scored(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| !matches!(l.state, State::NotScored(_)))
            .count()
    }
}

/// The city's goal for a target: its figure, or the sum of its allocation;
/// a target with neither has no number.
pub fn city_goal(t: &Target) -> Goal {
    let upper = t.upper.map(|u| u.as_f64());
    match t.value {
        Some(v) => Goal::Figure {
            value: v.as_f64(),
            upper,
        },
        None if !t.allocation.is_empty() => Goal::Figure {
            value: t.allocation.values().map(|f| f.as_f64()).sum(),
            upper: None,
        },
        None => Goal::Any,
    }
}

/// A county's goal for a target: its allocation; without one the city's
/// level for a level target; a cumulative target without allocation is not
/// scored for the county.
pub fn county_goal(t: &Target, county: DivisionCode, counties: bool) -> Result<Goal, Skip> {
    if !counties {
        return Err(Skip::CityOnly);
    }
    if let Some(a) = t.allocation.get(&county) {
        return Ok(Goal::Figure {
            value: a.as_f64(),
            upper: None,
        });
    }
    if t.progress == Progress::Level && !t.level_per_county() {
        // A counted level (a stock of facilities) is the city's.
        return Err(Skip::NotAllocated);
    }
    match (t.progress, t.value) {
        (Progress::Level, Some(v)) => Ok(Goal::Figure {
            value: v.as_f64(),
            upper: t.upper.map(|u| u.as_f64()),
        }),
        (Progress::Level, None) if t.allocation.is_empty() => Ok(Goal::Any),
        _ => Err(Skip::NotAllocated),
    }
}

/// The share of its points a figure earns against a goal, from 0 to 1.
/// `about_tolerance`: percent below the goal at which 左右 counts as reached.
pub fn share(goal: Goal, comparison: Comparison, figure: f64, about_tolerance: u32) -> f64 {
    if !figure.is_finite() {
        return 0.0;
    }
    // At least `goal`: reached at or above it, in proportion below it; a
    // goal of zero or less is reached or missed, never divided by.
    let at_least = |goal: f64| {
        if figure >= goal {
            1.0
        } else if goal <= 0.0 {
            0.0
        } else {
            figure / goal
        }
    };
    let s = match goal {
        Goal::Any => {
            if figure > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Goal::Figure { value, .. } => match comparison {
            Comparison::AtLeast | Comparison::Between => at_least(value),
            Comparison::About => at_least(value * (1.0 - f64::from(about_tolerance.min(100)) / 100.0)),
            Comparison::AtMost => {
                if figure <= value {
                    1.0
                } else if value <= 0.0 {
                    0.0
                } else {
                    value / figure
                }
            }
        },
    };
    if s.is_finite() { s.clamp(0.0, 1.0) } else { 0.0 }
}

/// The points earned: `weight` times `share`, rounded to the hundredth.
pub fn score(weight: Points, share: f64) -> Points {
    let s = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
    Points(((weight.0 as f64) * s).round() as i64).clamp(Points(0), weight)
}

/// Splits `total` (hundredths) in proportion to `weights` (any positive
/// scale), so that the parts add up to `total` exactly (largest remainder;
/// ties go to the earlier part).
pub fn apportion(total: Points, weights: &[i64]) -> Vec<Points> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 || total.0 <= 0 {
        return vec![Points(0); weights.len()];
    }
    let exact: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| {
            let n = i128::from(total.0) * i128::from((*w).max(0));
            (n / sum, n % sum)
        })
        .collect();
    let mut parts: Vec<i64> = exact.iter().map(|(q, _)| *q as i64).collect();
    let mut left = total.0 - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for i in order {
        if left <= 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts.into_iter().map(Points).collect()
}

/// The points of the rules' total (a `Figure` in ten-thousandths) in hundredths.
fn total_points(s: &Scoring) -> Points {
    Points((s.total.0 + 50).div_euclid(100))
}

/// Which region a sheet is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    City,
    County(DivisionCode),
}

/// A region's sheet from the plan's rules and the figures of the day
/// (`figure(target id)`, in the target's unit, a ratio in percent). `None`
/// when the plan has no scoring rules.
pub fn sheet(plan: &Plan, region: Region, figure: impl Fn(&str) -> Option<f64>) -> Option<Sheet> {
    let rules = plan.scoring.as_ref()?;
    // The targets with points, in the plan's order, with their goals here.
    let mut rows: Vec<(&Target, i64, Result<Goal, Skip>)> = Vec::new();
    for t in &plan.targets {
        let Some(w) = rules.weight(&t.id) else { continue };
        let goal = match region {
            Region::City => Ok(city_goal(t)),
            Region::County(c) => county_goal(t, c, w.counties),
        };
        rows.push((t, w.weight.0, goal));
    }
    let scored: Vec<i64> = rows.iter().filter(|(_, _, g)| g.is_ok()).map(|(_, w, _)| *w).collect();
    let full = if scored.is_empty() {
        Points(0)
    } else {
        total_points(rules)
    };
    let mut weights = apportion(full, &scored).into_iter();
    let mut lines = Vec::with_capacity(rows.len());
    for (t, _, goal) in rows {
        let fig = figure(&t.id).filter(|f| f.is_finite());
        let line = match goal {
            Err(skip) => Line {
                target: t.id.clone(),
                goal: None,
                figure: fig,
                weight: Points(0),
                rate: None,
                score: Points(0),
                state: State::NotScored(skip),
                reason: skip.label_zh().to_string(),
            },
            Ok(goal) => {
                let weight = weights.next().unwrap_or_default();
                let rate = match (goal, fig) {
                    (Goal::Figure { value, .. }, Some(f)) if value > 0.0 => Some(f / value * 100.0),
                    _ => None,
                };
                match fig {
                    None => Line {
                        target: t.id.clone(),
                        goal: Some(goal),
                        figure: None,
                        weight,
                        rate: None,
                        score: Points(0),
                        state: State::NoData,
                        reason: match t.measurement {
                            Measurement::Reported { .. } => "暂无数据：尚未填报，按0分计".into(),
                            Measurement::Computed(_) => "暂无数据：没有可统计的记录，按0分计".into(),
                            Measurement::Counted { ref count, .. } => {
                                format!("暂无数据：{}台账中没有可统计的记录，按0分计", count.kind.label_zh())
                            }
                        },
                    },
                    Some(f) => {
                        let s = share(goal, t.comparison, f, rules.about_tolerance);
                        let points = score(weight, s);
                        Line {
                            target: t.id.clone(),
                            goal: Some(goal),
                            figure: Some(f),
                            weight,
                            rate,
                            score: points,
                            state: if s >= 1.0 { State::Reached } else { State::Partial },
                            reason: String::new(),
                        }
                    }
                }
            }
        };
        lines.push(line);
    }
    let total = Points(lines.iter().map(|l| l.score.0).sum());
    Some(Sheet {
        region: match region {
            Region::City => plan.meta.region,
            Region::County(c) => c,
        },
        lines,
        total,
        full,
        rank: None,
    })
}

/// Ranks sheets by total, highest first; equal totals share a rank (1, 2,
/// 2, 4). The sheets keep their order.
pub fn rank(sheets: &mut [Sheet]) {
    let totals: Vec<Points> = sheets.iter().map(|s| s.total).collect();
    for s in sheets.iter_mut() {
        let better = totals.iter().filter(|t| **t > s.total).count();
        s.rank = Some(u32::try_from(better + 1).unwrap_or(u32::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::{SHIPPED, context as ctx, shipped};
    use crate::plan::{self, Figure};

    fn fig(v: f64) -> Goal {
        Goal::Figure { value: v, upper: None }
    }

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    #[test]
    fn evaluation_reached_is_full_marks_and_half_way_is_half() {
        let w = Points(1200);
        assert_eq!(score(w, share(fig(8000.0), Comparison::AtLeast, 8000.0, 5)), w);
        assert_eq!(
            score(w, share(fig(8000.0), Comparison::AtLeast, 4000.0, 5)),
            Points(600)
        );
        assert_eq!(
            score(w, share(fig(8000.0), Comparison::AtLeast, 2000.0, 5)),
            Points(300)
        );
        // Over the goal: capped at the points.
        assert_eq!(score(w, share(fig(8000.0), Comparison::AtLeast, 24_000.0, 5)), w);
        // Nothing, or less than nothing.
        assert_eq!(score(w, share(fig(8000.0), Comparison::AtLeast, 0.0, 5)), Points(0));
        assert_eq!(score(w, share(fig(6.0), Comparison::AtLeast, -3.0, 5)), Points(0));
        // Rounded to the hundredth: 10 points × 1/3.
        assert_eq!(
            score(Points(1000), share(fig(3.0), Comparison::AtLeast, 1.0, 5)),
            Points(333)
        );
    }

    #[test]
    fn evaluation_zero_goals_and_odd_figures_never_give_nan() {
        for cmp in Comparison::ALL {
            for goal in [0.0, -5.0, 100.0] {
                for figure in [0.0, -1.0, 3.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let s = share(fig(goal), cmp, figure, 5);
                    assert!(
                        s.is_finite() && (0.0..=1.0).contains(&s),
                        "{cmp:?} {goal} {figure}: {s}"
                    );
                }
            }
        }
        // A goal of zero is reached by anything at or above it.
        assert_eq!(share(fig(0.0), Comparison::AtLeast, 0.0, 5), 1.0);
        // Below a goal of zero or less: nothing, not a negative ratio.
        assert_eq!(share(fig(-5.0), Comparison::AtLeast, -10.0, 5), 0.0);
        assert_eq!(share(fig(-5.0), Comparison::AtLeast, -5.0, 5), 1.0);
        assert_eq!(share(fig(0.0), Comparison::AtMost, 3.0, 5), 0.0);
        assert_eq!(score(Points(500), f64::NAN), Points(0));
    }

    #[test]
    fn evaluation_about_between_and_at_most() {
        // 5000人左右 with a 5 % tolerance: reached at 4750, proportional below.
        assert_eq!(share(fig(5000.0), Comparison::About, 4750.0, 5), 1.0);
        assert_eq!(share(fig(5000.0), Comparison::About, 6000.0, 5), 1.0);
        assert_eq!(
            score(Points(1500), share(fig(5000.0), Comparison::About, 2375.0, 5)),
            Points(750)
        );
        // Without tolerance, 左右 is 不低于.
        assert_eq!(
            score(Points(1500), share(fig(5000.0), Comparison::About, 4750.0, 0)),
            Points(1425)
        );
        // 1—2家: reached from the lower end, past the upper end loses nothing.
        let range = Goal::Figure {
            value: 1.0,
            upper: Some(2.0),
        };
        assert_eq!(share(range, Comparison::Between, 0.0, 5), 0.0);
        assert_eq!(share(range, Comparison::Between, 1.0, 5), 1.0);
        assert_eq!(share(range, Comparison::Between, 3.0, 5), 1.0);
        let range = Goal::Figure {
            value: 4.0,
            upper: Some(6.0),
        };
        assert_eq!(
            score(Points(400), share(range, Comparison::Between, 3.0, 5)),
            Points(300)
        );
        // 不超过 10: reached at or below, figure ÷ actual above.
        assert_eq!(share(fig(10.0), Comparison::AtMost, 0.0, 5), 1.0);
        assert_eq!(share(fig(10.0), Comparison::AtMost, 10.0, 5), 1.0);
        assert_eq!(
            score(Points(800), share(fig(10.0), Comparison::AtMost, 20.0, 5)),
            Points(400)
        );
        // A target without a number: any progress.
        assert_eq!(share(Goal::Any, Comparison::AtLeast, 0.0, 5), 0.0);
        assert_eq!(share(Goal::Any, Comparison::AtLeast, 2.0, 5), 1.0);
    }

    #[test]
    fn evaluation_apportion_adds_up_exactly() {
        assert_eq!(
            apportion(Points(10_000), &[10, 10, 10]),
            [Points(3334), Points(3333), Points(3333)]
        );
        let parts = apportion(Points(10_000), &[150_000, 70_000, 30_000]);
        assert_eq!(parts.iter().map(|p| p.0).sum::<i64>(), 10_000);
        assert_eq!(parts, [Points(6000), Points(2800), Points(1200)]);
        assert_eq!(apportion(Points(10_000), &[0, 0]), [Points(0), Points(0)]);
        assert!(apportion(Points(10_000), &[]).is_empty());
        assert_eq!(Points(8533).to_string(), "85.33");
        assert_eq!(Points(5).to_string(), "0.05");
        assert_eq!(Points(-250).to_string(), "-2.50");
        assert_eq!(Points(10_000).trimmed(), "100");
        assert_eq!(Points(3330).trimmed(), "33.3");
        assert_eq!(Points(0).trimmed(), "0");
    }

    #[test]
    fn evaluation_city_sheet_of_the_shipped_plan() {
        let p = shipped();
        let rules = p.scoring.as_ref().expect("the shipped plan has scoring rules");
        assert_eq!(rules.total, Figure::from_int(100).unwrap());
        assert_eq!(rules.weights.len(), 14);
        let figures = |id: &str| match id {
            "local_jobs" => Some(5200.0),
            "training" => Some(4000.0),
            "schooling_public" => Some(96.0),
            "settlement" => Some(80.0),
            "return_parks" => Some(3.0),
            "jiazheng_bases" => Some(2.0),
            _ => None,
        };
        let s = sheet(&p, Region::City, figures).unwrap();
        assert_eq!(s.lines.len(), 14);
        assert_eq!(s.full, Points(10_000));
        let line = |id: &str| s.line(id).unwrap().clone();
        assert_eq!(line("local_jobs").score, Points(1500));
        assert_eq!(line("local_jobs").state, State::Reached);
        assert_eq!(line("training").score, Points(600));
        assert_eq!(line("training").state, State::Partial);
        assert_eq!(line("training").rate, Some(50.0));
        assert_eq!(line("schooling_public").score, Points(1000));
        assert_eq!(line("settlement").score, Points(800));
        assert_eq!(line("return_parks").score, Points(300));
        assert_eq!(line("return_parks_upgraded").state, State::NoData);
        assert!(line("return_parks_upgraded").reason.contains("台账"));
        assert_eq!(line("jiazheng_bases").score, Points(400));
        assert_eq!(line("income_growth").state, State::NoData);
        assert_eq!(line("income_growth").score, Points(0));
        assert!(line("income_growth").reason.contains("尚未填报"));
        assert_eq!(s.total, Points(1500 + 600 + 1000 + 800 + 300 + 400));
        assert_eq!(s.reached(), 4);
    }

    #[test]
    fn evaluation_county_sheets_redistribute_unallocated_targets() {
        let p = shipped();
        // The shipped plan allocates nothing: a county is scored on the level
        // targets but 家政覆盖区县 (city only), each out of 100 ÷ 3.
        let figures = |id: &str| match id {
            "schooling_public" => Some(95.0),
            "settlement" => Some(50.0),
            "training" => Some(1000.0),
            _ => None,
        };
        let s = sheet(&p, Region::County(code("341021")), figures).unwrap();
        assert_eq!(s.full, Points(10_000));
        let scored: Vec<&str> = s
            .lines
            .iter()
            .filter(|l| !matches!(l.state, State::NotScored(_)))
            .map(|l| l.target.as_str())
            .collect();
        assert_eq!(scored, ["income_growth", "schooling_public", "settlement"]);
        let weights: i64 = s.lines.iter().map(|l| l.weight.0).sum();
        assert_eq!(weights, 10_000, "the county's points add up to the total");
        assert_eq!(s.line("training").unwrap().state, State::NotScored(Skip::NotAllocated));
        assert_eq!(s.line("training").unwrap().score, Points(0));
        assert_eq!(
            s.line("jiazheng_coverage").unwrap().state,
            State::NotScored(Skip::CityOnly)
        );
        let schooling = s.line("schooling_public").unwrap();
        assert_eq!(schooling.state, State::Reached);
        assert_eq!(schooling.score, schooling.weight);
        let settlement = s.line("settlement").unwrap();
        assert_eq!(settlement.score.0, (settlement.weight.0 as f64 * 0.5).round() as i64);
        assert_eq!(s.total, Points(schooling.score.0 + settlement.score.0));

        // Allocated, a cumulative target is scored per county against its share.
        let text = SHIPPED.replacen(
            "value = 8000\n",
            "value = 8000\nallocation = { \"341021\" = 2000, \"341022\" = 1000 }\n",
            1,
        );
        let p = plan::parse(&text, &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
        let s = sheet(&p, Region::County(code("341021")), figures).unwrap();
        let training = s.line("training").unwrap();
        assert_eq!(training.goal, Some(fig(2000.0)));
        assert_eq!(training.state, State::Partial);
        assert_eq!(training.rate, Some(50.0));
        // Out of 100 × 12 ÷ (10 + 10 + 10 + 12).
        assert_eq!(training.weight, Points(2857));
        assert_eq!(training.score, Points(1429));
        // A county the allocation leaves out is not scored on it.
        let other = sheet(&p, Region::County(code("341024")), figures).unwrap();
        assert_eq!(
            other.line("training").unwrap().state,
            State::NotScored(Skip::NotAllocated)
        );
    }

    #[test]
    fn evaluation_ranks_share_places_on_equal_totals() {
        let p = shipped();
        let mut sheets: Vec<Sheet> = [("341021", 95.0), ("341022", 50.0), ("341023", 95.0), ("341024", 10.0)]
            .iter()
            .map(|(c, v)| {
                sheet(&p, Region::County(code(c)), |id| {
                    (id == "schooling_public").then_some(*v)
                })
                .unwrap()
            })
            .collect();
        rank(&mut sheets);
        let ranks: Vec<Option<u32>> = sheets.iter().map(|s| s.rank).collect();
        assert_eq!(ranks, [Some(1), Some(3), Some(1), Some(4)]);
    }

    #[test]
    fn evaluation_without_rules_has_no_sheet() {
        let text = SHIPPED.split("\n[evaluation]").next().unwrap();
        let p = plan::parse(text, &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(p.scoring.is_none());
        assert!(sheet(&p, Region::City, |_| Some(1.0)).is_none());
    }
}
