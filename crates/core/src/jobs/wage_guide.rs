//! The wage guide (工资价位): statistics of the monthly wages observed in
//! one cell (an occupation in a region and year), in fen.
//!
//! # Percentiles
//!
//! Linear interpolation between closest ranks, the method of Excel's
//! `PERCENTILE.INC` (Hyndman–Fan type 7, also R's and NumPy's default): for
//! the sorted values `x[0] ≤ … ≤ x[n-1]` and the fraction `p`,
//! `h = (n − 1)·p` and the percentile is
//! `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋])`, rounded to the nearest fen,
//! halves away from zero. The arithmetic is exact (integers, `p` in
//! hundredths), so no floating-point error can move a rounding. The mean is
//! rounded the same way.
//!
//! # Publication
//!
//! A cell with fewer than [`DEFAULT_MIN_CELL`] observations is not
//! published: too few to be representative, and it could point at single
//! employers' pay. The figure is a setting; this is the default.

/// Fewest observations for a cell to be published (a setting; the default).
pub const DEFAULT_MIN_CELL: usize = 30;

/// The statistics of one cell: the number of observations and the monthly
/// wage's 10th, 25th, 50th, 75th and 90th percentiles and mean, in fen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cell {
    pub count: usize,
    pub p10: i64,
    pub p25: i64,
    pub p50: i64,
    pub p75: i64,
    pub p90: i64,
    pub mean: i64,
}

/// `num / den` rounded to the nearest integer, halves away from zero;
/// `den > 0`.
fn div_round(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den { q + num.signum() } else { q }
}

/// An `i128` known to lie between two `i64` values, back as `i64`.
fn narrow(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// The `percent`-th percentile (0–100) of values sorted ascending, by the
/// method of the [module documentation](self); `None` when empty or
/// `percent > 100`.
pub fn percentile(sorted: &[i64], percent: u32) -> Option<i64> {
    if sorted.is_empty() || percent > 100 {
        return None;
    }
    // h = (n − 1)·percent / 100 = i + r / 100.
    let scaled = (sorted.len() - 1) as u128 * u128::from(percent);
    let i = usize::try_from(scaled / 100).ok()?;
    let r = i128::try_from(scaled % 100).ok()?;
    let lo = i128::from(sorted[i]);
    if r == 0 {
        return Some(sorted[i]);
    }
    let hi = i128::from(*sorted.get(i + 1)?);
    Some(narrow(div_round(lo * 100 + r * (hi - lo), 100)))
}

/// Statistics of one cell's monthly wages (fen); sorts `wages` in place.
/// `None` when empty.
pub fn cell(wages: &mut [i64]) -> Option<Cell> {
    if wages.is_empty() {
        return None;
    }
    wages.sort_unstable();
    let sum: i128 = wages.iter().map(|&w| i128::from(w)).sum();
    let n = i128::try_from(wages.len()).ok()?;
    Some(Cell {
        count: wages.len(),
        p10: percentile(wages, 10)?,
        p25: percentile(wages, 25)?,
        p50: percentile(wages, 50)?,
        p75: percentile(wages, 75)?,
        p90: percentile(wages, 90)?,
        mean: narrow(div_round(sum, n)),
    })
}

/// Whether a cell is published: it has at least `min_cell` observations.
pub fn published(cell: &Cell, min_cell: usize) -> bool {
    cell.count >= min_cell
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(wages: &[i64]) -> Cell {
        let mut v = wages.to_vec();
        cell(&mut v).unwrap_or_else(|| panic!("empty"))
    }

    #[test]
    fn empty_has_no_cell() {
        assert_eq!(cell(&mut []), None);
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[1, 2], 101), None);
    }

    #[test]
    fn one_observation() {
        let c = stats(&[480_000]);
        assert_eq!(
            c,
            Cell {
                count: 1,
                p10: 480_000,
                p25: 480_000,
                p50: 480_000,
                p75: 480_000,
                p90: 480_000,
                mean: 480_000,
            }
        );
    }

    #[test]
    fn all_equal() {
        let c = stats(&[350_000; 40]);
        assert_eq!(c.count, 40);
        for v in [c.p10, c.p25, c.p50, c.p75, c.p90, c.mean] {
            assert_eq!(v, 350_000);
        }
    }

    #[test]
    fn matches_percentile_inc() {
        // PERCENTILE.INC({1,2,3,4,5,6,7,8,9,10}, k): h = 9k.
        // 0.1 → 1.9, 0.25 → 3.25, 0.5 → 5.5, 0.75 → 7.75, 0.9 → 9.1.
        let c = stats(&[1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
        assert_eq!((c.p10, c.p25, c.p50, c.p75, c.p90), (1900, 3250, 5500, 7750, 9100));
        assert_eq!(c.mean, 5500);

        // {15, 20, 35, 40, 50}: h = 4k.
        // 0.1 → 15 + 0.4·5 = 17; 0.25 → 20; 0.5 → 35; 0.75 → 40; 0.9 → 40 + 0.6·10 = 46.
        let c = stats(&[15, 20, 35, 40, 50]);
        assert_eq!((c.p10, c.p25, c.p50, c.p75, c.p90), (17, 20, 35, 40, 46));
        assert_eq!(c.mean, 32);

        // Even count median: {3000, 4000, 5000, 9000} → 4500; h = 3k.
        // 0.1 → 3000 + 0.3·1000 = 3300; 0.25 → 0.75 → 3750; 0.75 → 2.25 → 6000;
        // 0.9 → 2.7 → 5000 + 0.7·4000 = 7800; mean 5250.
        let c = stats(&[3000, 4000, 5000, 9000]);
        assert_eq!((c.p10, c.p25, c.p50, c.p75, c.p90), (3300, 3750, 4500, 6000, 7800));
        assert_eq!(c.mean, 5250);
    }

    #[test]
    fn rounds_halves_away_from_zero() {
        // {0, 1}: p50 = 0.5 → 1; p25 = 0.25 → 0; p75 = 0.75 → 1; mean 0.5 → 1.
        let c = stats(&[0, 1]);
        assert_eq!((c.p25, c.p50, c.p75, c.mean), (0, 1, 1, 1));
        // {0, 3}: p10 = 0.3 → 0; p90 = 2.7 → 3; p50 = 1.5 → 2.
        let c = stats(&[0, 3]);
        assert_eq!((c.p10, c.p50, c.p90), (0, 2, 3));
        // Negative values (not wages, but the rounding is symmetric).
        let c = stats(&[-1, 0]);
        assert_eq!((c.p50, c.mean), (-1, -1));
        // Mean of {1, 1, 2} = 1.33 → 1; of {1, 2, 2} = 1.67 → 2.
        assert_eq!(stats(&[1, 1, 2]).mean, 1);
        assert_eq!(stats(&[1, 2, 2]).mean, 2);
    }

    #[test]
    fn sorts_unsorted_input_in_place() {
        let mut v = vec![9000, 1000, 5000, 3000, 7000, 2000, 10000, 4000, 8000, 6000];
        let c = cell(&mut v).unwrap_or_else(|| panic!("empty"));
        assert_eq!(v, [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
        assert_eq!((c.p10, c.p25, c.p50, c.p75, c.p90), (1900, 3250, 5500, 7750, 9100));
    }

    #[test]
    fn large_values_do_not_overflow() {
        let c = stats(&[i64::MAX, i64::MAX, i64::MAX - 1]);
        // (3·MAX − 1) / 3 = MAX − ⅓ rounds to MAX.
        assert_eq!(c.mean, i64::MAX);
        assert_eq!(c.p90, i64::MAX);
        // MIN + 0.5·(MAX − MIN) = −0.5, rounded away from zero.
        let c = stats(&[i64::MIN, i64::MAX]);
        assert_eq!((c.p50, c.mean), (-1, -1));
        // MIN + 0.1·(2⁶⁴ − 1) = −7378697629483820646.5; MIN + 0.9·(2⁶⁴ − 1) = 7378697629483820645.5.
        assert_eq!((c.p10, c.p90), (-7_378_697_629_483_820_647, 7_378_697_629_483_820_646));
    }

    #[test]
    fn percentile_endpoints() {
        let v = [100, 200, 400];
        assert_eq!(percentile(&v, 0), Some(100));
        assert_eq!(percentile(&v, 100), Some(400));
        assert_eq!(percentile(&v, 50), Some(200));
        assert_eq!(percentile(&v, 75), Some(300));
    }

    #[test]
    fn publication_threshold() {
        assert_eq!(DEFAULT_MIN_CELL, 30);
        let small = stats(&[400_000; 29]);
        let enough = stats(&[400_000; 30]);
        assert!(!published(&small, DEFAULT_MIN_CELL));
        assert!(published(&enough, DEFAULT_MIN_CELL));
        assert!(published(&small, 10));
        assert!(published(&small, 0));
    }

    /// A small linear congruential generator (Knuth's MMIX constants).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
    }

    #[test]
    fn percentiles_are_ordered_and_bounded() {
        let mut rng = Lcg(20_260_401);
        for round in 0..500 {
            let n = 1 + (rng.next() % 200) as usize;
            // Wages from 1,000 to 50,000 元, some rounds with many repeats.
            let spread = if round % 5 == 0 { 20 } else { 4_900_000 };
            let mut v: Vec<i64> = (0..n).map(|_| 100_000 + (rng.next() % spread) as i64).collect();
            let (min, max) = (*v.iter().min().unwrap_or(&0), *v.iter().max().unwrap_or(&0));
            let c = cell(&mut v).unwrap_or_else(|| panic!("empty"));
            assert_eq!(c.count, n);
            assert!(v.windows(2).all(|w| w[0] <= w[1]), "sorted");
            assert!(min <= c.p10 && c.p10 <= c.p25 && c.p25 <= c.p50, "{c:?}");
            assert!(c.p50 <= c.p75 && c.p75 <= c.p90 && c.p90 <= max, "{c:?}");
            assert!(min <= c.mean && c.mean <= max, "{c:?}");
            // The median agrees with the textbook definition.
            let median2 = i128::from(v[(n - 1) / 2]) + i128::from(v[n / 2]);
            assert_eq!(i128::from(c.p50), div_round(median2, 2), "{v:?}");
        }
    }
}
