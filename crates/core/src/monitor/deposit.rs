//! The wage deposit a project needs (工资保证金应存金额).

use super::rules::DepositRules;
use crate::money::Fen;

/// The general contractor's record that moves the rate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContractorRecord {
    /// Whole years in a row, up to the evaluation date, without wage arrears.
    pub clean_years: u32,
    /// Arrears within the last year.
    pub recent_arrears: bool,
}

/// The amount required and why, in Chinese (`合同额的2%`, `免存：…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Required {
    pub amount: Fen,
    pub reason: String,
}

/// The deposit required for a contract of `contract_sum`: none after
/// `exempt_after_clean_years` clean years, or for a contract below
/// `exempt_below` without recent arrears; else the sum times the rate (raised
/// after recent arrears, reduced after `reduce_after_clean_years` clean
/// years), rounded half up to the fen and held to the cap.
pub fn required(rules: &DepositRules, contract_sum: Fen, record: ContractorRecord) -> Required {
    let exempt = |reason: String| Required { amount: Fen(0), reason };
    if record.clean_years >= rules.exempt_after_clean_years {
        return exempt(format!("连续{}年无拖欠，免存", record.clean_years));
    }
    if contract_sum < rules.exempt_below && !record.recent_arrears {
        return exempt(format!(
            "合同额低于{}且上一年度无拖欠，免存",
            amount_zh(rules.exempt_below)
        ));
    }
    let mut notes = Vec::new();
    let rate = if record.recent_arrears {
        notes.push("上一年度有拖欠".to_string());
        rules.raised_rate_permille
    } else if record.clean_years >= rules.reduce_after_clean_years {
        notes.push(format!("连续{}年无拖欠", record.clean_years));
        rules.reduced_rate_permille
    } else {
        rules.rate_permille
    };
    let exact = (i128::from(contract_sum.0.max(0)) * i128::from(rate) + 500) / 1000;
    let mut amount = Fen(i64::try_from(exact).unwrap_or(i64::MAX));
    if let Some(cap) = rules.cap
        && amount > cap
    {
        amount = cap;
        notes.push(format!("上限{}", amount_zh(cap)));
    }
    let mut reason = format!("合同额的{}", percent(rate));
    if !notes.is_empty() {
        reason = format!("{reason}（{}）", notes.join("，"));
    }
    Required { amount, reason }
}

/// A rate in per mille as a percentage: 10 → `1%`, 5 → `0.5%`.
fn percent(permille: u32) -> String {
    match permille % 10 {
        0 => format!("{}%", permille / 10),
        d => format!("{}.{d}%", permille / 10),
    }
}

/// Yuan without a zero fraction: `1,930`, `1,930.50`.
pub(crate) fn yuan(f: Fen) -> String {
    let s = f.to_string();
    match s.strip_suffix(".00") {
        Some(whole) => whole.to_string(),
        None => s,
    }
}

/// An amount for a sentence: whole hundreds of yuan from 10,000 up in 万元
/// (`300万元`, `12.5万元`), else in yuan (`9,500元`, `30,000.40元`).
pub(crate) fn amount_zh(f: Fen) -> String {
    if f.0 >= 1_000_000 && f.0 % 10_000 == 0 {
        let wan = f.wan_yuan();
        format!("{}万元", wan.trim_end_matches('0').trim_end_matches('.'))
    } else {
        format!("{}元", yuan(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped figures: 1% (0.5%–3%), 0.5% after 2 clean years, none
    /// after 3, 2% after arrears, none below 300万元.
    fn rules() -> DepositRules {
        DepositRules {
            rate_permille: 10,
            min_rate_permille: 5,
            max_rate_permille: 30,
            cap: None,
            exempt_below: Fen(300_000_000),
            reduce_after_clean_years: 2,
            reduced_rate_permille: 5,
            exempt_after_clean_years: 3,
            raised_rate_permille: 20,
        }
    }

    fn wan(n: i64) -> Fen {
        Fen(n * 1_000_000)
    }

    fn record(clean_years: u32, recent_arrears: bool) -> ContractorRecord {
        ContractorRecord {
            clean_years,
            recent_arrears,
        }
    }

    fn req(rules: &DepositRules, sum: Fen, rec: ContractorRecord) -> (i64, String) {
        let r = required(rules, sum, rec);
        (r.amount.0, r.reason)
    }

    #[test]
    fn deposit_exemptions() {
        let r = rules();
        assert_eq!(req(&r, wan(1_000), record(3, false)), (0, "连续3年无拖欠，免存".into()));
        assert_eq!(req(&r, wan(1_000), record(5, false)), (0, "连续5年无拖欠，免存".into()));
        let small = Fen(wan(300).0 - 1);
        assert_eq!(
            req(&r, small, record(0, false)),
            (0, "合同额低于300万元且上一年度无拖欠，免存".into())
        );
        // Not with arrears in the last year: then at the raised rate.
        assert_eq!(
            req(&r, small, record(0, true)),
            (6_000_000, "合同额的2%（上一年度有拖欠）".into())
        );
        // 300万元 itself is not below.
        assert_eq!(req(&r, wan(300), record(0, false)), (wan(3).0, "合同额的1%".into()));
        let none = DepositRules {
            exempt_below: Fen(0),
            ..rules()
        };
        assert_eq!(req(&none, wan(100), record(0, false)), (wan(1).0, "合同额的1%".into()));
    }

    #[test]
    fn deposit_rates_cap_and_rounding() {
        let r = rules();
        assert_eq!(req(&r, wan(1_000), record(0, false)), (wan(10).0, "合同额的1%".into()));
        assert_eq!(req(&r, wan(1_000), record(1, false)), (wan(10).0, "合同额的1%".into()));
        assert_eq!(
            req(&r, wan(1_000), record(2, false)),
            (wan(5).0, "合同额的0.5%（连续2年无拖欠）".into())
        );
        assert_eq!(
            req(&r, wan(1_000), record(0, true)),
            (wan(20).0, "合同额的2%（上一年度有拖欠）".into())
        );
        let capped = DepositRules {
            cap: Some(wan(8)),
            ..rules()
        };
        assert_eq!(
            req(&capped, wan(1_000), record(0, false)),
            (wan(8).0, "合同额的1%（上限8万元）".into())
        );
        assert_eq!(
            req(&capped, wan(1_000), record(2, false)),
            (wan(5).0, "合同额的0.5%（连续2年无拖欠）".into())
        );
        assert_eq!(
            req(&capped, wan(1_000), record(0, true)),
            (wan(8).0, "合同额的2%（上一年度有拖欠，上限8万元）".into())
        );
        // Half a fen and up rounds up.
        assert_eq!(req(&r, Fen(300_000_050), record(0, false)).0, 3_000_001);
        assert_eq!(req(&r, Fen(300_000_049), record(0, false)).0, 3_000_000);
        assert_eq!(req(&r, Fen(i64::MAX), record(0, true)).0, 184_467_440_737_095_516);
        let odd = DepositRules {
            rate_permille: 15,
            ..rules()
        };
        assert_eq!(req(&odd, wan(1_000), record(0, false)).1, "合同额的1.5%");
    }

    /// Pseudo-random deposit rules (rates in order), sums and records: the
    /// amount is never above the sum at the highest rate (plus the rounding)
    /// and is zero exactly when the reason is an exemption.
    #[test]
    fn deposit_amount_is_bounded_and_zero_only_when_exempt() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..20_000 {
            let mut rates = [0u32; 5].map(|_| 1 + next(300) as u32);
            rates.sort_unstable();
            let [min, reduced, rate, raised, max] = rates;
            let reduce_after = 1 + next(4) as u32;
            let rules = DepositRules {
                rate_permille: rate,
                min_rate_permille: min,
                max_rate_permille: max,
                cap: (next(2) == 0).then(|| Fen(1 + next(1 << 40) as i64)),
                exempt_below: Fen(next(1 << 36) as i64),
                reduce_after_clean_years: reduce_after,
                reduced_rate_permille: reduced,
                exempt_after_clean_years: reduce_after + 1 + next(3) as u32,
                raised_rate_permille: raised,
            };
            // From 10 yuan: at 1‰ at least a fen.
            let bits = 10 + next(50);
            let sum = Fen(1_000 + next(1 << bits) as i64);
            let rec = record(next(8) as u32, next(3) == 0);
            let r = required(&rules, sum, rec);
            let bound = i128::from(sum.0) * i128::from(max) / 1000 + 1;
            assert!(i128::from(r.amount.0) <= bound, "{rules:?} {sum:?} {rec:?} {r:?}");
            assert!(r.amount.0 >= 0);
            assert_eq!(
                r.amount.0 == 0,
                r.reason.ends_with("免存"),
                "{rules:?} {sum:?} {rec:?} {r:?}"
            );
        }
    }

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(amount_zh(Fen(300_000_000)), "300万元");
        assert_eq!(amount_zh(Fen(12_500_000_000)), "12,500万元");
        assert_eq!(amount_zh(Fen(12_500_000)), "12.5万元");
        assert_eq!(amount_zh(Fen(1_250_000)), "1.25万元");
        assert_eq!(amount_zh(Fen(1_000_000)), "1万元");
        assert_eq!(amount_zh(Fen(950_000)), "9,500元");
        assert_eq!(amount_zh(Fen(3_000_040)), "30,000.40元");
        assert_eq!(amount_zh(Fen(0)), "0元");
        assert_eq!(yuan(Fen(193_000)), "1,930");
        assert_eq!(yuan(Fen(193_050)), "1,930.50");
        assert_eq!(percent(5), "0.5%");
        assert_eq!(percent(30), "3%");
    }
}
