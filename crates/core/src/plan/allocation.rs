//! Allocation (任务分解): the city targets shared out to the counties, as
//! figures typed on the office's form and as totals.

use super::Figure;

/// Reads a figure typed on the allocation form: a non-negative number with
/// at most four decimals. Returns the literal as it will stand in the plan
/// text (no leading zeros, no trailing decimal zeros).
pub fn allocation_figure(s: &str) -> Result<String, String> {
    let s = s.trim().replace(['，', ','], "");
    if s.is_empty() {
        return Err("请填写数字".into());
    }
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return Err(format!("“{s}”不是非负数字"));
    }
    if frac.len() > 4 {
        return Err("最多四位小数".into());
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if int.len() > 12 {
        return Err("数字过大".into());
    }
    let frac = frac.trim_end_matches('0');
    Ok(if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    })
}

/// How the city figure relates to the counties' allocations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationFit {
    /// No county has a figure (未分解).
    NotAllocated,
    /// No city figure: the city's is the allocations' sum.
    CityIsSum,
    /// The allocations add up to the city figure.
    Matches,
    /// The allocations add up to more (`more`) or less than the city figure, by `by`.
    Off { more: bool, by: Figure },
}

/// The counties' allocations of one target as typed, added up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AllocationTotal {
    /// Some county has a figure typed.
    pub any: bool,
    /// The sum of the valid figures typed.
    pub sum: f64,
    pub fit: AllocationFit,
}

impl AllocationTotal {
    /// The total of the figures typed for the counties against the city's
    /// (figures that do not read are left out).
    pub fn of(city: &str, counties: &[String]) -> AllocationTotal {
        let sum: f64 = counties
            .iter()
            .filter_map(|v| allocation_figure(v).ok())
            .filter_map(|v| v.parse::<f64>().ok())
            .sum();
        let any = counties.iter().any(|v| !v.trim().is_empty());
        let city_value = allocation_figure(city).ok().and_then(|v| v.parse::<f64>().ok());
        let fit = match (any, city_value) {
            (false, _) => AllocationFit::NotAllocated,
            (true, None) => AllocationFit::CityIsSum,
            (true, Some(v)) if (v - sum).abs() < 1e-9 => AllocationFit::Matches,
            (true, Some(v)) => AllocationFit::Off {
                more: sum > v,
                by: Figure(((sum - v).abs() * Figure::SCALE as f64).round() as i64),
            },
        };
        AllocationTotal { any, sum, fit }
    }

    /// The sum as a figure, when some county has one.
    pub fn sum_figure(&self) -> Option<Figure> {
        self.any
            .then(|| Figure((self.sum * Figure::SCALE as f64).round() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn figures_as_typed() {
        assert_eq!(allocation_figure(" 1,200 ").unwrap(), "1200");
        assert_eq!(allocation_figure("007.50").unwrap(), "7.5");
        assert_eq!(allocation_figure("0").unwrap(), "0");
        assert_eq!(allocation_figure("-5"), Err("“-5”不是非负数字".into()));
        assert_eq!(allocation_figure("1.23456"), Err("最多四位小数".into()));
        assert_eq!(allocation_figure(""), Err("请填写数字".into()));
        assert_eq!(allocation_figure("1234567890123"), Err("数字过大".into()));
    }

    #[test]
    fn totals_against_the_city() {
        let t = AllocationTotal::of("100", &typed(&["", " "]));
        assert_eq!(
            (t.any, t.fit, t.sum_figure()),
            (false, AllocationFit::NotAllocated, None)
        );
        let t = AllocationTotal::of("", &typed(&["40", "60.5"]));
        assert_eq!(t.fit, AllocationFit::CityIsSum);
        assert_eq!(t.sum_figure().map(|f| f.to_string()), Some("100.5".into()));
        assert_eq!(
            AllocationTotal::of("0.3", &typed(&["0.1", "0.2"])).fit,
            AllocationFit::Matches
        );
        assert_eq!(
            AllocationTotal::of("100", &typed(&["40", "70", "x"])).fit,
            AllocationFit::Off {
                more: true,
                by: Figure(10 * Figure::SCALE)
            }
        );
        assert_eq!(
            AllocationTotal::of("100", &typed(&["40", "59.5"])).fit,
            AllocationFit::Off {
                more: false,
                by: Figure(5_000)
            }
        );
    }
}
