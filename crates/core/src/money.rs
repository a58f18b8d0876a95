//! Money amounts held as whole fen (分, 0.01 yuan) in an `i64`.
//!
//! [`Fen::from_yuan_str`] accepts what people type in Excel sheets and web
//! forms ("3,500元", "￥12,000.00", "1.2万元"); [`Fen`]'s `Display` writes
//! yuan with thousands separators and two decimals ("1,234,567.89").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Fen per yuan.
const FEN_PER_YUAN: i64 = 100;
/// Fen per 万元 (10,000 yuan).
const FEN_PER_WAN_YUAN: i64 = 1_000_000;
/// Decimal places allowed for an amount in yuan (whole fen).
const YUAN_DECIMALS: usize = 2;
/// Decimal places allowed for an amount in 万元 (still whole fen).
const WAN_DECIMALS: usize = 6;

/// Why an amount was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// Nothing but whitespace was given.
    Empty,
    /// Not a number in an accepted notation; `input` is the trimmed input.
    Format { input: String },
    /// A minus sign was given.
    Negative,
    /// More decimal places than whole fen allow: 2 for yuan, 6 for 万元
    /// (`wan`). Trailing zeros do not count.
    TooManyDecimals { input: String, wan: bool },
    /// The amount does not fit in an `i64` number of fen.
    Overflow { input: String },
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Empty => f.write_str("金额不能为空"),
            MoneyError::Format { input } => write!(f, "金额格式不正确：{input}"),
            MoneyError::Negative => f.write_str("金额不能为负数"),
            MoneyError::TooManyDecimals { input, wan: false } => {
                write!(f, "金额最多保留{YUAN_DECIMALS}位小数（精确到分）：{input}")
            }
            MoneyError::TooManyDecimals { input, wan: true } => {
                write!(f, "以万元为单位的金额最多保留{WAN_DECIMALS}位小数（精确到分）：{input}")
            }
            MoneyError::Overflow { input } => write!(f, "金额超出可处理的范围：{input}"),
        }
    }
}

impl std::error::Error for MoneyError {}

/// An amount of money in fen (分). The field is public; amounts built from
/// user input by [`Fen::from_yuan_str`] are never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

/// Converts full-width digits and punctuation used in amounts to ASCII.
fn half_width(c: char) -> char {
    match c {
        '０'..='９' => char::from_digit(u32::from(c) - u32::from('０'), 10).unwrap_or(c),
        '，' => ',',
        '．' => '.',
        '－' | '−' => '-',
        other => other,
    }
}

/// Value of an ASCII digit string, or `None` on overflow. The caller has
/// checked that `digits` holds only ASCII digits.
fn digits_value(digits: &str) -> Option<i64> {
    digits
        .bytes()
        .try_fold(0i64, |acc, b| acc.checked_mul(10)?.checked_add(i64::from(b - b'0')))
}

/// Whether `int_part` is digits with optional, correctly placed thousands
/// separators ("3500", "3,500", "1,234,567"; not "35,00" or ",350").
fn valid_integer_part(int_part: &str) -> bool {
    let mut groups = int_part.split(',');
    let Some(first) = groups.next() else {
        return false;
    };
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(first) {
        return false;
    }
    if !int_part.contains(',') {
        return true;
    }
    first.len() <= 3 && groups.all(|g| g.len() == 3 && all_digits(g))
}

impl Fen {
    /// Parses an amount in yuan as typed in forms and Excel sheets.
    ///
    /// Accepted: surrounding whitespace; full-width digits, commas and
    /// periods; thousands separators ("," or "，", in groups of three); an
    /// optional "¥"/"￥" prefix; an optional "元" suffix, or a "万元"/"万"
    /// suffix meaning units of 10,000 yuan. Yuan take at most 2 decimal
    /// places and 万元 at most 6, so the result is always a whole number of
    /// fen (trailing zeros beyond that are allowed: "3500.000").
    ///
    /// Rejected: empty input, negative amounts, other notations (scientific
    /// notation, ".5", "5."), amounts beyond `i64::MAX` fen.
    pub fn from_yuan_str(input: &str) -> Result<Fen, MoneyError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(MoneyError::Empty);
        }
        let format_error = || MoneyError::Format {
            input: trimmed.to_owned(),
        };
        let normalised: String = trimmed.chars().map(half_width).collect();

        let mut rest = normalised.as_str();
        let mut negative = false;
        if let Some(r) = rest.strip_prefix('-') {
            negative = true;
            rest = r.trim_start();
        }
        if let Some(r) = rest.strip_prefix('¥').or_else(|| rest.strip_prefix('￥')) {
            rest = r.trim_start();
        }
        if !negative && let Some(r) = rest.strip_prefix('-') {
            negative = true;
            rest = r.trim_start();
        }
        let (number, wan) = if let Some(r) = rest.strip_suffix("万元").or_else(|| rest.strip_suffix('万')) {
            (r.trim_end(), true)
        } else if let Some(r) = rest.strip_suffix('元') {
            (r.trim_end(), false)
        } else {
            (rest, false)
        };

        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (number, None),
        };
        if !valid_integer_part(int_part) {
            return Err(format_error());
        }
        let frac = match frac_part {
            Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => f.trim_end_matches('0'),
            Some(_) => return Err(format_error()),
            None => "",
        };
        let (max_decimals, fen_per_unit) = if wan {
            (WAN_DECIMALS, FEN_PER_WAN_YUAN)
        } else {
            (YUAN_DECIMALS, FEN_PER_YUAN)
        };
        if frac.len() > max_decimals {
            return Err(MoneyError::TooManyDecimals {
                input: trimmed.to_owned(),
                wan,
            });
        }
        if negative {
            return Err(MoneyError::Negative);
        }

        let overflow = || MoneyError::Overflow {
            input: trimmed.to_owned(),
        };
        let int_digits: String = int_part.chars().filter(|c| *c != ',').collect();
        let whole = digits_value(&int_digits).ok_or_else(overflow)?;
        // Right-pad the fraction to `max_decimals` digits: it is then a
        // number of fen (yuan: hundredths; 万元: millionths = fen).
        let padded = format!("{frac:0<max_decimals$}");
        let fraction = digits_value(&padded).ok_or_else(overflow)?;
        whole
            .checked_mul(fen_per_unit)
            .and_then(|v| v.checked_add(fraction))
            .map(Fen)
            .ok_or_else(overflow)
    }

    /// Sum of two amounts; `None` on overflow.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// Difference of two amounts; `None` on overflow.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// The amount in 万元 with thousands separators and two decimals,
    /// rounded half away from zero to the nearest 0.01 万元 (100 yuan), e.g.
    /// `Fen(40_000_000_000)` (4亿元) → "40,000.00".
    pub fn wan_yuan(&self) -> String {
        // Hundredths of 万元 are 10,000 fen.
        let abs = u128::from(self.0.unsigned_abs());
        let hundredths = (abs + 5_000) / 10_000;
        let sign = if self.0 < 0 && hundredths != 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", group_thousands(hundredths / 100), hundredths % 100)
    }
}

/// Writes a non-negative integer with "," every three digits.
fn group_thousands(n: u128) -> String {
    let digits = n.to_string();
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Fen {
    /// Yuan with thousands separators and two decimals, e.g. "1,234,567.89";
    /// negative amounts get a leading "-".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = u128::from(self.0.unsigned_abs());
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", group_thousands(abs / 100), abs % 100)
    }
}

impl FromStr for Fen {
    type Err = MoneyError;

    /// Same as [`Fen::from_yuan_str`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fen::from_yuan_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(s: &str) -> i64 {
        Fen::from_yuan_str(s).unwrap_or_else(|e| panic!("{s}: {e}")).0
    }

    #[test]
    fn brief_examples() {
        assert_eq!(fen("3,500元"), 350_000);
        assert_eq!(fen("3500.5"), 350_050);
        assert_eq!(fen("￥12,000.00"), 1_200_000);
        // 1.2万元 = 12,000 yuan = 1,200,000 fen.
        assert_eq!(fen("1.2万元"), 1_200_000);
        assert_eq!(
            Fen::from_yuan_str("abc"),
            Err(MoneyError::Format {
                input: "abc".to_owned()
            })
        );
        assert_eq!(
            Fen::from_yuan_str("abc").unwrap_err().to_string(),
            "金额格式不正确：abc"
        );
        let err = Fen::from_yuan_str("1.234").unwrap_err();
        assert_eq!(
            err,
            MoneyError::TooManyDecimals {
                input: "1.234".to_owned(),
                wan: false
            }
        );
        assert_eq!(err.to_string(), "金额最多保留2位小数（精确到分）：1.234");
    }

    #[test]
    fn plain_numbers() {
        assert_eq!(fen("0"), 0);
        assert_eq!(fen("0.00"), 0);
        assert_eq!(fen("0.01"), 1);
        assert_eq!(fen("0.1"), 10);
        assert_eq!(fen("1"), 100);
        assert_eq!(fen("3500"), 350_000);
        assert_eq!(fen("3500.05"), 350_005);
        assert_eq!(fen("007"), 700);
        assert_eq!(fen("1234567.89"), 123_456_789);
    }

    #[test]
    fn separators_prefixes_and_suffixes() {
        assert_eq!(fen("1,234,567.89"), 123_456_789);
        assert_eq!(fen("1，234，567.89"), 123_456_789);
        assert_eq!(fen("¥3,500"), 350_000);
        assert_eq!(fen("￥ 3500 元"), 350_000);
        assert_eq!(fen("  3500元  "), 350_000);
        assert_eq!(fen("\u{3000}3500\u{3000}"), 350_000);
        assert_eq!(fen("3500.00元"), 350_000);
        assert_eq!(fen("1万"), 1_000_000);
        assert_eq!(fen("1万元"), 1_000_000);
        assert_eq!(fen("12.5 万元"), 12_500_000);
        assert_eq!(fen("￥1.2万元"), 1_200_000);
        assert_eq!(fen("1,000万元"), 1_000_000_000);
        assert_eq!(fen("40,000万元"), 40_000_000_000);
    }

    #[test]
    fn full_width_input() {
        assert_eq!(fen("３，５００元"), 350_000);
        assert_eq!(fen("３５００．５"), 350_050);
        assert_eq!(fen("￥１２，０００．００"), 1_200_000);
        assert_eq!(fen("１．２万元"), 1_200_000);
    }

    #[test]
    fn wan_yuan_decimals() {
        // Six decimals of 万元 are exactly one fen.
        assert_eq!(fen("1.234567万元"), 1_234_567);
        assert_eq!(fen("0.000001万元"), 1);
        assert_eq!(fen("1.2345670万"), 1_234_567);
        let err = Fen::from_yuan_str("1.2345678万元").unwrap_err();
        assert_eq!(
            err,
            MoneyError::TooManyDecimals {
                input: "1.2345678万元".to_owned(),
                wan: true
            }
        );
        assert_eq!(
            err.to_string(),
            "以万元为单位的金额最多保留6位小数（精确到分）：1.2345678万元"
        );
    }

    #[test]
    fn trailing_zero_decimals_are_exact() {
        assert_eq!(fen("3500.000"), 350_000);
        assert_eq!(fen("3500.100"), 350_010);
        assert!(matches!(
            Fen::from_yuan_str("3500.001"),
            Err(MoneyError::TooManyDecimals { wan: false, .. })
        ));
    }

    #[test]
    fn negative_amounts_are_rejected() {
        for s in [
            "-1",
            "-3,500元",
            "－3500",
            "￥-12.00",
            "-￥12.00",
            "- 5",
            "−5",
            "-1.2万元",
        ] {
            assert_eq!(Fen::from_yuan_str(s), Err(MoneyError::Negative), "{s}");
        }
        assert_eq!(MoneyError::Negative.to_string(), "金额不能为负数");
    }

    #[test]
    fn empty_is_rejected() {
        assert_eq!(Fen::from_yuan_str(""), Err(MoneyError::Empty));
        assert_eq!(Fen::from_yuan_str("  \u{3000}"), Err(MoneyError::Empty));
        assert_eq!(MoneyError::Empty.to_string(), "金额不能为空");
    }

    #[test]
    fn malformed_input_is_rejected() {
        for s in [
            "abc",
            "元",
            "万元",
            "￥",
            "-",
            ".5",
            "5.",
            "1.2.3",
            "1,2345",
            "35,00",
            ",350",
            "350,",
            "1,,000",
            "1,000,00",
            "1234,567",
            "1e5",
            "1.2E+5",
            "+5",
            "5-",
            "5元元",
            "5万万元",
            "元5",
            "3 500",
            "1.2,3",
            "--5",
            "¥¥5",
            "5 亿元",
            "1.5.万元",
            "٣",
        ] {
            assert!(
                matches!(Fen::from_yuan_str(s), Err(MoneyError::Format { .. })),
                "{s} gave {:?}",
                Fen::from_yuan_str(s)
            );
        }
        // The message quotes the trimmed input.
        assert_eq!(
            Fen::from_yuan_str("  12a  ").unwrap_err().to_string(),
            "金额格式不正确：12a"
        );
    }

    #[test]
    fn overflow_is_rejected() {
        // i64::MAX fen = 92,233,720,368,547,758.07 yuan.
        assert_eq!(fen("92233720368547758.07"), i64::MAX);
        for s in [
            "92233720368547758.08",
            "92233720368547759",
            "99999999999999999999999999",
            "9223372036854.775808万元",
            "9223372036855万元",
        ] {
            assert!(matches!(Fen::from_yuan_str(s), Err(MoneyError::Overflow { .. })), "{s}");
        }
        assert_eq!(fen("9223372036854.775807万元"), i64::MAX);
        assert_eq!(
            Fen::from_yuan_str("99999999999999999999").unwrap_err().to_string(),
            "金额超出可处理的范围：99999999999999999999"
        );
    }

    #[test]
    fn display_in_yuan() {
        assert_eq!(Fen(123_456_789).to_string(), "1,234,567.89");
        assert_eq!(Fen(0).to_string(), "0.00");
        assert_eq!(Fen(1).to_string(), "0.01");
        assert_eq!(Fen(10).to_string(), "0.10");
        assert_eq!(Fen(100).to_string(), "1.00");
        assert_eq!(Fen(99_999).to_string(), "999.99");
        assert_eq!(Fen(100_000).to_string(), "1,000.00");
        assert_eq!(Fen(350_000).to_string(), "3,500.00");
        assert_eq!(Fen(100_000_000).to_string(), "1,000,000.00");
        assert_eq!(Fen(-123_456).to_string(), "-1,234.56");
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen(i64::MAX).to_string(), "92,233,720,368,547,758.07");
        assert_eq!(Fen(i64::MIN).to_string(), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn display_round_trips() {
        for v in [0, 1, 99, 100, 350_050, 123_456_789, i64::MAX] {
            assert_eq!(fen(&Fen(v).to_string()), v);
        }
    }

    #[test]
    fn wan_yuan_display() {
        // 4亿元 = 40,000万元.
        assert_eq!(Fen(40_000_000_000).wan_yuan(), "40,000.00");
        assert_eq!(Fen(0).wan_yuan(), "0.00");
        assert_eq!(Fen(1_200_000).wan_yuan(), "1.20");
        assert_eq!(Fen(1_000_000).wan_yuan(), "1.00");
        // Rounded half away from zero to 100 yuan.
        assert_eq!(Fen(1_234_567).wan_yuan(), "1.23");
        assert_eq!(Fen(1_235_000).wan_yuan(), "1.24");
        assert_eq!(Fen(1_234_999).wan_yuan(), "1.23");
        assert_eq!(Fen(4_999).wan_yuan(), "0.00");
        assert_eq!(Fen(5_000).wan_yuan(), "0.01");
        assert_eq!(Fen(-5_000).wan_yuan(), "-0.01");
        assert_eq!(Fen(-4_999).wan_yuan(), "0.00");
        assert_eq!(Fen(123_456_789_000).wan_yuan(), "123,456.79");
        assert_eq!(Fen(i64::MAX).wan_yuan(), "9,223,372,036,854.78");
        assert_eq!(Fen(i64::MIN).wan_yuan(), "-9,223,372,036,854.78");
    }

    #[test]
    fn arithmetic() {
        assert_eq!(Fen(100).checked_add(Fen(250)), Some(Fen(350)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(350).checked_sub(Fen(100)), Some(Fen(250)));
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert_eq!(Fen::default(), Fen(0));
        assert!(Fen(1) < Fen(2));
    }

    #[test]
    fn from_str_matches_from_yuan_str() {
        assert_eq!("3,500元".parse::<Fen>(), Ok(Fen(350_000)));
        assert_eq!("-1".parse::<Fen>(), Err(MoneyError::Negative));
    }

    #[test]
    fn serde_is_a_plain_integer() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, I64Deserializer};

        let de: I64Deserializer<ValueError> = 350_050i64.into_deserializer();
        assert_eq!(Fen::deserialize(de), Ok(Fen(350_050)));
    }

    #[test]
    fn error_trait() {
        let boxed: Box<dyn std::error::Error> = Box::new(MoneyError::Overflow { input: "1".to_owned() });
        assert_eq!(boxed.to_string(), "金额超出可处理的范围：1");
    }
}
