//! Citizen identity number (公民身份号码), GB 11643-1999.
//!
//! An [`IdNumber`] always holds the canonical 18-character form: a 6-digit
//! address code, an 8-digit birth date `YYYYMMDD`, a 3-digit sequence code
//! (odd last digit for men, even for women) and a check character computed
//! with ISO 7064 MOD 11-2 (`0`–`9` or upper-case `X`).
//!
//! Legacy 15-digit numbers (GB 11643-1989, `6 + YYMMDD + 3`) are converted on
//! parse by inserting "19" before the year and appending the check character.
//!
//! The address code is deliberately not checked against a current code list:
//! a number keeps the code in force when it was issued (e.g. the pre-1988
//! 徽州地区 prefix 3427xx). Only the province part (11..=82) is checked.
//!
//! The number is personal data: [`IdNumber`] has no `Display`, and its
//! `Debug` shows only the masked form. Callers choose explicitly between
//! [`IdNumber::as_str`] and [`IdNumber::masked`].

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::division::DivisionCode;

/// ISO 7064 MOD 11-2 weights for characters 1..=17 (`2^(18-i) mod 11`).
const WEIGHTS: [usize; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by `S mod 11`.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Smallest accepted birth year.
const MIN_BIRTH_YEAR: i32 = 1900;
/// Largest accepted birth year.
const MAX_BIRTH_YEAR: i32 = 2100;
/// Smallest valid province code.
const MIN_PROVINCE: u8 = 11;
/// Largest valid province code.
const MAX_PROVINCE: u8 = 82;
/// Length of the canonical form.
const LEN: usize = 18;
/// Length of a legacy GB 11643-1989 number.
const LEGACY_LEN: usize = 15;

/// Sex as encoded by the parity of the 17th character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// Chinese label: "男" or "女".
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// Sex as people write it in a roster: 男/女, 男性/女性, M/F.
    pub fn parse_zh(s: &str) -> Option<Sex> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        match t.to_ascii_lowercase().as_str() {
            "男" | "男性" | "m" | "male" => Some(Sex::Male),
            "女" | "女性" | "f" | "female" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Whether `input` is a legacy 15-digit number (spaces, hyphens and
/// full-width digits allowed), which [`IdNumber::parse`] converts.
pub fn is_legacy(input: &str) -> bool {
    let s = normalise(input.trim());
    s.len() == LEGACY_LEN && s.bytes().all(|b| b.is_ascii_digit())
}

/// Why an ID number was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdNumberError {
    /// Nothing but whitespace (or separators) was given.
    Empty,
    /// After normalisation the number is neither 18 nor 15 characters long.
    BadLength { found: usize },
    /// A character that is not allowed at this position. `position` is
    /// 1-based and counts characters after spaces and hyphens were removed.
    BadChar { position: usize, ch: char },
    /// The first two digits are not a province code in 11..=82.
    InvalidProvince { code: u8 },
    /// Digits 7–14 (`YYYYMMDD`) are not a real date in 1900..=2100.
    InvalidBirthDate { date: String },
    /// The 18th character does not match the computed check character.
    WrongCheckChar { expected: char },
    /// The value looks like a number mangled by Excel (scientific notation
    /// or a decimal point): its last digits are lost.
    ExcelNumber,
    /// [`IdNumber::from_parts`]: the address code is not 6 ASCII digits.
    InvalidAddressCode,
    /// [`IdNumber::from_parts`]: the sequence code is above 999.
    InvalidSequence { seq: u16 },
}

impl fmt::Display for IdNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdNumberError::Empty => f.write_str("身份证号不能为空"),
            IdNumberError::BadLength { found } => {
                write!(f, "身份证号应为18位（旧版为15位），实际为{found}位")
            }
            IdNumberError::BadChar { position, ch } => {
                let shown = shown_char(*ch);
                if *position == LEN {
                    write!(f, "身份证号第{position}位应为数字或X，不能是“{shown}”")
                } else {
                    write!(f, "身份证号第{position}位应为数字，不能是“{shown}”")
                }
            }
            IdNumberError::InvalidProvince { code } => {
                write!(f, "身份证号前两位省份代码{code:02}无效")
            }
            IdNumberError::InvalidBirthDate { date } => {
                write!(f, "身份证号中的出生日期{date}不是有效日期")
            }
            IdNumberError::WrongCheckChar { expected } => {
                write!(f, "身份证号第18位校验码应为{expected}")
            }
            IdNumberError::ExcelNumber => {
                f.write_str("身份证号被Excel当作数字保存，后几位已丢失，请将该列设为文本格式后重新填写")
            }
            IdNumberError::InvalidAddressCode => f.write_str("身份证号的地址码应为6位数字"),
            IdNumberError::InvalidSequence { seq } => {
                write!(f, "身份证号的顺序码应在0至999之间，实际为{seq}")
            }
        }
    }
}

impl std::error::Error for IdNumberError {}

/// A character as shown in an error message: control and whitespace
/// characters are written as `U+XXXX` so that they are visible.
fn shown_char(ch: char) -> String {
    if ch.is_control() || ch.is_whitespace() {
        format!("U+{:04X}", u32::from(ch))
    } else {
        ch.to_string()
    }
}

/// A validated citizen ID number in canonical 18-character form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

impl fmt::Debug for IdNumber {
    /// Only the masked form, e.g. `IdNumber(341002************)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// Whether the input looks like a number that Excel stored as a float
/// (`3.41002198503121E+17`, `341002198503120000.0`).
fn looks_like_excel_number(trimmed: &str) -> bool {
    let half: String = trimmed
        .chars()
        .map(|c| match c {
            '．' => '.',
            'Ｅ' | 'ｅ' | 'e' => 'E',
            '＋' => '+',
            other => other,
        })
        .collect();
    half.contains('.') || half.contains("E+")
}

/// Removes whitespace and hyphens, converts full-width digits to ASCII and
/// every form of x to upper-case `X`. Other characters are kept unchanged.
fn normalise(trimmed: &str) -> String {
    trimmed
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '－' | '‐' | '‑' | '–' | '—'))
        .map(|c| match c {
            '０'..='９' => char::from_digit(u32::from(c) - u32::from('０'), 10).unwrap_or(c),
            'x' | 'ｘ' | 'Ｘ' => 'X',
            other => other,
        })
        .collect()
}

/// Checks the province part and the birth date of the first 17 characters
/// (which must already be known to be ASCII digits).
fn check_body(first17: &str) -> Result<(), IdNumberError> {
    let province: u8 = first17
        .get(0..2)
        .and_then(|p| p.parse().ok())
        .ok_or(IdNumberError::InvalidProvince { code: 0 })?;
    if !(MIN_PROVINCE..=MAX_PROVINCE).contains(&province) {
        return Err(IdNumberError::InvalidProvince { code: province });
    }
    let date = first17.get(6..14).unwrap_or_default();
    if parse_birth_date(date).is_none() {
        return Err(IdNumberError::InvalidBirthDate { date: date.to_owned() });
    }
    Ok(())
}

/// Parses `YYYYMMDD` as a real calendar date with a year in 1900..=2100.
fn parse_birth_date(digits: &str) -> Option<NaiveDate> {
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = digits.get(0..4)?.parse().ok()?;
    let month: u32 = digits.get(4..6)?.parse().ok()?;
    let day: u32 = digits.get(6..8)?.parse().ok()?;
    if !(MIN_BIRTH_YEAR..=MAX_BIRTH_YEAR).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

impl IdNumber {
    /// Parses and validates an ID number.
    ///
    /// Normalisation: surrounding whitespace is trimmed; inner whitespace
    /// (including the ideographic space U+3000) and hyphens are removed;
    /// full-width digits become ASCII digits; `x`, `ｘ` and `Ｘ` become `X`.
    /// A 15-digit legacy number is converted to 18 characters.
    pub fn parse(input: &str) -> Result<IdNumber, IdNumberError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IdNumberError::Empty);
        }
        if looks_like_excel_number(trimmed) {
            return Err(IdNumberError::ExcelNumber);
        }
        let s = normalise(trimmed);
        if s.is_empty() {
            return Err(IdNumberError::Empty);
        }
        if let Some((i, ch)) = s.chars().enumerate().find(|(_, c)| !(c.is_ascii_digit() || *c == 'X')) {
            return Err(IdNumberError::BadChar { position: i + 1, ch });
        }
        // Only ASCII characters remain, so byte offsets equal positions.
        match s.len() {
            LEN => {
                let first17 = s.get(..LEN - 1).unwrap_or_default();
                if let Some(i) = first17.find('X') {
                    return Err(IdNumberError::BadChar {
                        position: i + 1,
                        ch: 'X',
                    });
                }
                check_body(first17)?;
                let expected = check_char(first17).ok_or(IdNumberError::BadLength { found: s.len() })?;
                if !s.ends_with(expected) {
                    return Err(IdNumberError::WrongCheckChar { expected });
                }
                Ok(IdNumber(s))
            }
            LEGACY_LEN => {
                if let Some(i) = s.find('X') {
                    return Err(IdNumberError::BadChar {
                        position: i + 1,
                        ch: 'X',
                    });
                }
                let address = s.get(..6).unwrap_or_default();
                let rest = s.get(6..).unwrap_or_default();
                let mut full = format!("{address}19{rest}");
                check_body(&full)?;
                let check = check_char(&full).ok_or(IdNumberError::BadLength { found: s.len() })?;
                full.push(check);
                Ok(IdNumber(full))
            }
            found => Err(IdNumberError::BadLength { found }),
        }
    }

    /// Builds a valid number from its parts, computing the check character
    /// (used by the demo-data generator). `address` must be 6 ASCII digits
    /// with a province part in 11..=82, `birth` in 1900..=2100 and `seq` in
    /// 0..=999 (written as three zero-padded digits).
    pub fn from_parts(address: &str, birth: NaiveDate, seq: u16) -> Result<IdNumber, IdNumberError> {
        if address.len() != 6 || !address.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdNumberError::InvalidAddressCode);
        }
        if seq > 999 {
            return Err(IdNumberError::InvalidSequence { seq });
        }
        if !(MIN_BIRTH_YEAR..=MAX_BIRTH_YEAR).contains(&birth.year()) {
            return Err(IdNumberError::InvalidBirthDate {
                date: birth.format("%Y%m%d").to_string(),
            });
        }
        let first17 = format!("{address}{}{seq:03}", birth.format("%Y%m%d"));
        check_body(&first17)?;
        let check = check_char(&first17).ok_or(IdNumberError::InvalidAddressCode)?;
        IdNumber::parse(&format!("{first17}{check}"))
    }

    /// The check character for the first 17 characters; same as the
    /// module-level [`check_char`].
    pub fn check_char(first17: &str) -> Option<char> {
        check_char(first17)
    }

    /// The canonical 18-character form (personal data: prefer
    /// [`IdNumber::masked`] wherever the full number is not needed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit address code (characters 1–6).
    pub fn address_code(&self) -> &str {
        self.0.get(..6).unwrap_or_default()
    }

    /// The birth date (characters 7–14).
    pub fn birth_date(&self) -> NaiveDate {
        // Validated on construction; the default is never reached.
        parse_birth_date(self.0.get(6..14).unwrap_or_default()).unwrap_or_default()
    }

    /// Sex from the parity of the 17th character (odd: male).
    pub fn sex(&self) -> Sex {
        match self.0.as_bytes().get(16) {
            Some(b) if (b.wrapping_sub(b'0')) % 2 == 1 => Sex::Male,
            _ => Sex::Female,
        }
    }

    /// Age in full years on `date`. A person born on 29 February reaches the
    /// next year of age on 1 March in non-leap years. Negative if `date` is
    /// before the birth date.
    pub fn age_on(&self, date: NaiveDate) -> i32 {
        let birth = self.birth_date();
        let mut age = date.year() - birth.year();
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            age -= 1;
        }
        age
    }

    /// The 6-digit address code and 12 asterisks, e.g.
    /// "341002************".
    ///
    /// The birth date, the sequence and the check character are all hidden:
    /// the last four characters beside a birth year (or any date-like value)
    /// would narrow the number to a few dozen candidates, and beside the full
    /// birth date to one. With the address code, birth year and sex known,
    /// about 365 × 500 numbers remain (see `docs/decisions/0003-id-masking.md`).
    pub fn masked(&self) -> String {
        let head = self.0.get(..6).unwrap_or_default();
        format!("{head}************")
    }

    /// The address code as a division code. This is normally a county-level
    /// code; a code ending in "00" yields a city or province. `None` if the
    /// address code is not a well-formed division code (e.g. "340021").
    /// Historical codes that are no longer in force still parse.
    pub fn origin_division(&self) -> Option<DivisionCode> {
        DivisionCode::parse(self.address_code()).ok()
    }
}

/// The ISO 7064 MOD 11-2 check character for the first 17 characters of an
/// ID number; `None` unless `first17` is exactly 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != LEN - 1 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: usize = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| usize::from(b - b'0') * w)
        .sum();
    CHECK_CHARS.get(sum % 11).copied()
}

impl FromStr for IdNumber {
    type Err = IdNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

crate::serde_as_string!(IdNumber, |v: &IdNumber| v.as_str().to_string());

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn id(s: &str) -> IdNumber {
        IdNumber::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad test date {y}-{m}-{d}"))
    }

    fn weighted_sum(first17: &str) -> usize {
        first17
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| usize::from(b - b'0') * w)
            .sum()
    }

    #[test]
    fn weights_are_powers_of_two_mod_11() {
        for (i, w) in WEIGHTS.iter().enumerate() {
            let expected = (1usize << (17 - i)) % 11;
            assert_eq!(*w, expected, "weight {}", i + 1);
        }
    }

    #[test]
    fn facts_examples_with_sums_and_sex() {
        // (number, S, S mod 11, sex) from FACTS.md section 1.
        let cases = [
            ("341002198503120011", 198, 0, Sex::Male),
            ("34100219850312002X", 200, 2, Sex::Female),
            ("341021199001011230", 188, 1, Sex::Male),
            ("34102219780615456X", 321, 2, Sex::Female),
            ("341023199202290873", 295, 9, Sex::Male),
            ("34102420000101003X", 123, 2, Sex::Male),
            ("341003198503120771", 242, 0, Sex::Male),
        ];
        for (number, sum, rem, sex) in cases {
            let first17 = &number[..17];
            assert_eq!(weighted_sum(first17), sum, "{number}");
            assert_eq!(sum % 11, rem, "{number}");
            assert_eq!(check_char(first17), number.chars().last(), "{number}");
            let parsed = id(number);
            assert_eq!(parsed.as_str(), number);
            assert_eq!(parsed.sex(), sex, "{number}");
        }
    }

    #[test]
    fn accessors() {
        let n = id("341002198503120011");
        assert_eq!(n.address_code(), "341002");
        assert_eq!(n.birth_date(), date(1985, 3, 12));
        assert_eq!(n.sex(), Sex::Male);
        assert_eq!(n.sex().label_zh(), "男");
        let f = id("34102219780615456X");
        assert_eq!(f.address_code(), "341022");
        assert_eq!(f.birth_date(), date(1978, 6, 15));
        assert_eq!(f.sex(), Sex::Female);
        assert_eq!(f.sex().label_zh(), "女");
        let leap = id("341023199202290873");
        assert_eq!(leap.birth_date(), date(1992, 2, 29));
        let y2k = id("34102420000101003X");
        assert_eq!(y2k.birth_date(), date(2000, 1, 1));
        assert_eq!(y2k.sex(), Sex::Male);
    }

    #[test]
    fn negative_example_names_the_expected_check_char() {
        let err = IdNumber::parse("341002198503120012").unwrap_err();
        assert_eq!(err, IdNumberError::WrongCheckChar { expected: '1' });
        assert_eq!(err.to_string(), "身份证号第18位校验码应为1");
        let err = IdNumber::parse("341022197806154561").unwrap_err();
        assert_eq!(err.to_string(), "身份证号第18位校验码应为X");
    }

    #[test]
    fn lower_case_and_full_width_x() {
        assert_eq!(id("34102219780615456x").as_str(), "34102219780615456X");
        assert_eq!(id("34102219780615456ｘ").as_str(), "34102219780615456X");
        assert_eq!(id("34102219780615456Ｘ").as_str(), "34102219780615456X");
        assert_eq!(id("34102420000101003x"), id("34102420000101003X"));
    }

    #[test]
    fn full_width_digits() {
        assert_eq!(
            id("３４１００２１９８５０３１２００１１").as_str(),
            "341002198503120011"
        );
        assert_eq!(
            id("３４１０２２１９７８０６１５４５６ｘ").as_str(),
            "34102219780615456X"
        );
        assert_eq!(id("34100219850312００11").as_str(), "341002198503120011");
    }

    #[test]
    fn spaces_and_hyphens_are_removed() {
        assert_eq!(id("  341002198503120011 ").as_str(), "341002198503120011");
        assert_eq!(id("341002 19850312 0011").as_str(), "341002198503120011");
        assert_eq!(id("341002\u{3000}19850312\u{3000}0011").as_str(), "341002198503120011");
        assert_eq!(id("341002-19850312-0011").as_str(), "341002198503120011");
        assert_eq!(id("\u{3000}341022－19780615－456x\t").as_str(), "34102219780615456X");
        assert_eq!(id("3410 2219 7806 1545 6x").as_str(), "34102219780615456X");
    }

    #[test]
    fn legacy_15_digit_round_trip() {
        for full in [
            "341002198503120011",
            "34102219780615456X",
            "341021199001011230",
            "341003198503120771",
        ] {
            // Remove the "19" of the year and the check character.
            let legacy = format!("{}{}", &full[..6], &full[8..17]);
            assert_eq!(legacy.len(), 15);
            let parsed = id(&legacy);
            assert_eq!(parsed.as_str(), full, "{legacy}");
            assert_eq!(parsed, id(full));
        }
        // Spaces and full-width digits work for legacy numbers too.
        assert_eq!(id("341002 850312 001").as_str(), "341002198503120011");
        assert_eq!(id("３４１００２８５０３１２００１").as_str(), "341002198503120011");
        assert!(is_legacy("３４１００２８５０３１２００１"));
        assert!(is_legacy(" 341002 850312 001 "));
        assert!(!is_legacy("341002198503120011"));
        assert!(!is_legacy("34100285031200X"));
    }

    #[test]
    fn sex_as_written() {
        assert_eq!(Sex::parse_zh(" 男 "), Some(Sex::Male));
        assert_eq!(Sex::parse_zh("女性"), Some(Sex::Female));
        assert_eq!(Sex::parse_zh("F"), Some(Sex::Female));
        assert_eq!(Sex::parse_zh("未知"), None);
    }

    #[test]
    fn legacy_numbers_are_validated() {
        assert_eq!(
            IdNumber::parse("341002850230001"),
            Err(IdNumberError::InvalidBirthDate {
                date: "19850230".to_owned()
            })
        );
        assert_eq!(
            IdNumber::parse("001002850312001"),
            Err(IdNumberError::InvalidProvince { code: 0 })
        );
        assert_eq!(
            IdNumber::parse("34100285031200X"),
            Err(IdNumberError::BadChar { position: 15, ch: 'X' })
        );
    }

    #[test]
    fn leap_days() {
        // 1992 is a leap year (FACTS.md example), 1990 is not, 2000 is, 1900 is not.
        assert!(IdNumber::parse("341023199202290873").is_ok());
        let first17 = "34102319900229087";
        let candidate = format!("{first17}{}", check_char(first17).unwrap());
        assert_eq!(
            IdNumber::parse(&candidate),
            Err(IdNumberError::InvalidBirthDate {
                date: "19900229".to_owned()
            })
        );
        assert!(IdNumber::from_parts("441900", date(2000, 2, 29), 4).is_ok());
        assert_eq!(id("441900200002290047").birth_date(), date(2000, 2, 29));
        let first17 = "34102319000229087";
        let candidate = format!("{first17}{}", check_char(first17).unwrap());
        assert!(matches!(
            IdNumber::parse(&candidate),
            Err(IdNumberError::InvalidBirthDate { .. })
        ));
    }

    #[test]
    fn invalid_dates_and_years() {
        for body in [
            "34100219851301001", // month 13
            "34100219850001001", // month 0
            "34100219850100001", // day 0
            "34100219850431001", // 31 April
            "34100218991231001", // before 1900
            "34100221010101001", // after 2100
        ] {
            let candidate = format!("{body}{}", check_char(body).unwrap());
            let err = IdNumber::parse(&candidate).unwrap_err();
            assert_eq!(
                err,
                IdNumberError::InvalidBirthDate {
                    date: body[6..14].to_owned()
                }
            );
            assert!(err.to_string().starts_with("身份证号中的出生日期"));
        }
        assert!(IdNumber::from_parts("341002", date(1900, 1, 1), 1).is_ok());
        assert!(IdNumber::from_parts("341002", date(2100, 12, 31), 1).is_ok());
    }

    #[test]
    fn province_range() {
        for prefix in ["00", "10", "83", "99"] {
            let body = format!("{prefix}100219850312001");
            let candidate = format!("{body}{}", check_char(&body).unwrap());
            let err = IdNumber::parse(&candidate).unwrap_err();
            assert_eq!(
                err,
                IdNumberError::InvalidProvince {
                    code: prefix.parse().unwrap()
                }
            );
        }
        assert_eq!(
            IdNumberError::InvalidProvince { code: 0 }.to_string(),
            "身份证号前两位省份代码00无效"
        );
        assert!(IdNumber::from_parts("110105", date(1949, 12, 31), 2).is_ok());
        assert_eq!(id("11010519491231002X").address_code(), "110105");
        assert!(IdNumber::from_parts("820000", date(1999, 12, 20), 2).is_ok());
    }

    #[test]
    fn historical_address_codes_are_accepted() {
        // Pre-1988 徽州地区 prefix 3427xx is no longer a current code.
        let n = id("342701196501010023");
        assert_eq!(n.address_code(), "342701");
        assert_eq!(n.birth_date(), date(1965, 1, 1));
        assert_eq!(n.sex(), Sex::Female);
        assert_eq!(n.origin_division(), DivisionCode::parse("342701").ok());
        assert!(n.origin_division().is_some());
    }

    #[test]
    fn origin_division() {
        let n = id("341002198503120011");
        let d = n.origin_division().unwrap();
        assert_eq!(d, DivisionCode::parse("341002").unwrap());
        assert_eq!(d.level(), crate::division::Level::County);
        // An address code that is not a consistent division code.
        let body = "34002119850312001";
        let n = id(&format!("{body}{}", check_char(body).unwrap()));
        assert_eq!(n.origin_division(), None);
    }

    #[test]
    fn excel_damage_is_detected() {
        for s in [
            "3.41002198503121E+17",
            "3.41002198503121e+17",
            "341002198503120000.0",
            "3.41002E+17",
            "341002198503121E+3",
            "３．４１００２１９８５０３１２１Ｅ＋１７",
            " 3.41002198503121E+17 ",
        ] {
            let err = IdNumber::parse(s).unwrap_err();
            assert_eq!(err, IdNumberError::ExcelNumber, "{s}");
            assert_eq!(
                err.to_string(),
                "身份证号被Excel当作数字保存，后几位已丢失，请将该列设为文本格式后重新填写"
            );
        }
        // A plain 18-digit number ending in zeros gets the normal error.
        assert_eq!(
            IdNumber::parse("341002198503120000"),
            Err(IdNumberError::WrongCheckChar { expected: '3' })
        );
    }

    #[test]
    fn empty_and_length_errors() {
        assert_eq!(IdNumber::parse(""), Err(IdNumberError::Empty));
        assert_eq!(IdNumber::parse("   \u{3000} "), Err(IdNumberError::Empty));
        assert_eq!(IdNumber::parse(" - - "), Err(IdNumberError::Empty));
        assert_eq!(IdNumberError::Empty.to_string(), "身份证号不能为空");
        assert_eq!(
            IdNumber::parse("34100219850312001"),
            Err(IdNumberError::BadLength { found: 17 })
        );
        assert_eq!(
            IdNumber::parse("3410021985031200111"),
            Err(IdNumberError::BadLength { found: 19 })
        );
        assert_eq!(IdNumber::parse("1"), Err(IdNumberError::BadLength { found: 1 }));
        assert_eq!(
            IdNumber::parse("34100219850312001").unwrap_err().to_string(),
            "身份证号应为18位（旧版为15位），实际为17位"
        );
    }

    #[test]
    fn bad_characters_name_position_and_char() {
        assert_eq!(
            IdNumber::parse("3410021985O3120011"),
            Err(IdNumberError::BadChar { position: 11, ch: 'O' })
        );
        assert_eq!(
            IdNumber::parse("3410021985O3120011").unwrap_err().to_string(),
            "身份证号第11位应为数字，不能是“O”"
        );
        assert_eq!(
            IdNumber::parse("34100219850312001Y").unwrap_err().to_string(),
            "身份证号第18位应为数字或X，不能是“Y”"
        );
        // X anywhere but the last position.
        assert_eq!(
            IdNumber::parse("3410021985031200X1"),
            Err(IdNumberError::BadChar { position: 17, ch: 'X' })
        );
        assert_eq!(
            IdNumber::parse("张三"),
            Err(IdNumberError::BadChar { position: 1, ch: '张' })
        );
        assert_eq!(
            IdNumber::parse("341002198503120011\u{0}").unwrap_err().to_string(),
            "身份证号第19位应为数字，不能是“U+0000”"
        );
        // Positions count after spaces were removed.
        assert_eq!(
            IdNumber::parse("341002 1985031200１a"),
            Err(IdNumberError::BadChar { position: 18, ch: 'a' })
        );
        assert_eq!(
            IdNumber::parse("+341002198503120011"),
            Err(IdNumberError::BadChar { position: 1, ch: '+' })
        );
    }

    #[test]
    fn masking_and_debug() {
        let n = id("341002198503120011");
        assert_eq!(n.masked(), "341002************");
        assert_eq!(id("34102219780615456x").masked(), "341022************");
        let debug = format!("{n:?}");
        assert_eq!(debug, "IdNumber(341002************)");
        assert!(!debug.contains("0011"));
        assert!(!debug.contains("341002198503120011"));
        assert!(!debug.contains("19850312"));
        let pretty = format!("{:#?}", Some(n.clone()));
        assert!(!pretty.contains("19850312"));
        let in_vec = format!("{:?}", vec![n]);
        assert!(!in_vec.contains("19850312"));
    }

    #[test]
    fn age_in_full_years() {
        let n = id("341002198503120011");
        assert_eq!(n.age_on(date(1985, 3, 12)), 0);
        assert_eq!(n.age_on(date(2025, 3, 11)), 39);
        assert_eq!(n.age_on(date(2025, 3, 12)), 40);
        assert_eq!(n.age_on(date(2025, 12, 31)), 40);
        assert_eq!(n.age_on(date(1985, 3, 11)), -1);
        let leap = id("341023199202290873");
        assert_eq!(leap.age_on(date(2010, 2, 28)), 17);
        assert_eq!(leap.age_on(date(2010, 3, 1)), 18);
        assert_eq!(leap.age_on(date(2012, 2, 29)), 20);
    }

    #[test]
    fn from_parts_builds_parseable_numbers() {
        let n = IdNumber::from_parts("341002", date(1985, 3, 12), 1).unwrap();
        assert_eq!(n.as_str(), "341002198503120011");
        let n = IdNumber::from_parts("341022", date(1978, 6, 15), 456).unwrap();
        assert_eq!(n.as_str(), "34102219780615456X");
        let n = IdNumber::from_parts("341002", date(2023, 1, 1), 1).unwrap();
        assert_eq!(n.as_str(), "341002202301010016");
        let n = IdNumber::from_parts("342701", date(1965, 1, 1), 2).unwrap();
        assert_eq!(n.as_str(), "342701196501010023");
        for seq in [0u16, 1, 2, 9, 10, 99, 100, 500, 998, 999] {
            for (address, birth) in [
                ("341002", date(1950, 7, 1)),
                ("341021", date(2004, 2, 29)),
                ("342701", date(1966, 12, 31)),
            ] {
                let n = IdNumber::from_parts(address, birth, seq).unwrap();
                assert_eq!(IdNumber::parse(n.as_str()), Ok(n.clone()));
                assert_eq!(n.address_code(), address);
                assert_eq!(n.birth_date(), birth);
                let expected_sex = if seq % 2 == 1 { Sex::Male } else { Sex::Female };
                assert_eq!(n.sex(), expected_sex);
                assert_eq!(&n.as_str()[14..17], format!("{seq:03}"));
            }
        }
    }

    #[test]
    fn from_parts_rejects_bad_parts() {
        let d = date(1985, 3, 12);
        assert_eq!(
            IdNumber::from_parts("34100", d, 1),
            Err(IdNumberError::InvalidAddressCode)
        );
        assert_eq!(
            IdNumber::from_parts("34100a", d, 1),
            Err(IdNumberError::InvalidAddressCode)
        );
        assert_eq!(
            IdNumber::from_parts("３４１００２", d, 1),
            Err(IdNumberError::InvalidAddressCode)
        );
        assert_eq!(
            IdNumber::from_parts("341002", d, 1000),
            Err(IdNumberError::InvalidSequence { seq: 1000 })
        );
        assert_eq!(
            IdNumber::from_parts("001002", d, 1),
            Err(IdNumberError::InvalidProvince { code: 0 })
        );
        assert_eq!(
            IdNumber::from_parts("341002", date(1899, 12, 31), 1),
            Err(IdNumberError::InvalidBirthDate {
                date: "18991231".to_owned()
            })
        );
        assert_eq!(
            IdNumber::from_parts("341002", date(-5, 1, 1), 1),
            Err(IdNumberError::InvalidBirthDate {
                date: "-00050101".to_owned()
            })
        );
        assert_eq!(
            IdNumberError::InvalidSequence { seq: 1000 }.to_string(),
            "身份证号的顺序码应在0至999之间，实际为1000"
        );
    }

    #[test]
    fn check_char_requires_17_digits() {
        assert_eq!(check_char("34100219850312001"), Some('1'));
        assert_eq!(IdNumber::check_char("34102219780615456"), Some('X'));
        assert_eq!(check_char("3410021985031200"), None);
        assert_eq!(check_char("341002198503120011"), None);
        assert_eq!(check_char("3410021985031200X"), None);
        assert_eq!(check_char("３４１００２１９８５０３１２００"), None);
        assert_eq!(check_char(""), None);
    }

    #[test]
    fn all_error_messages_are_chinese_and_prefixed() {
        let errors = [
            IdNumberError::Empty,
            IdNumberError::BadLength { found: 3 },
            IdNumberError::BadChar { position: 2, ch: 'a' },
            IdNumberError::InvalidProvince { code: 99 },
            IdNumberError::InvalidBirthDate {
                date: "19850230".to_owned(),
            },
            IdNumberError::WrongCheckChar { expected: 'X' },
            IdNumberError::ExcelNumber,
            IdNumberError::InvalidAddressCode,
            IdNumberError::InvalidSequence { seq: 1234 },
        ];
        for e in errors {
            let msg = e.to_string();
            assert!(msg.starts_with("身份证号"), "{msg}");
            let boxed: Box<dyn std::error::Error> = Box::new(e);
            assert_eq!(boxed.to_string(), msg);
        }
        assert_eq!(
            IdNumberError::InvalidBirthDate {
                date: "19850230".to_owned()
            }
            .to_string(),
            "身份证号中的出生日期19850230不是有效日期"
        );
    }

    #[test]
    fn serde_uses_the_canonical_string() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, StrDeserializer};

        let de: StrDeserializer<'_, ValueError> = "34102219780615456x".into_deserializer();
        let n = IdNumber::deserialize(de).unwrap();
        assert_eq!(n.as_str(), "34102219780615456X");
        let de: StrDeserializer<'_, ValueError> = "341002198503120012".into_deserializer();
        let err = IdNumber::deserialize(de).unwrap_err();
        assert!(err.to_string().contains("身份证号第18位校验码应为1"));
    }

    #[test]
    fn from_str_and_ordering() {
        let a: IdNumber = "341002198503120011".parse().unwrap();
        let b: IdNumber = "34102219780615456X".parse().unwrap();
        assert!(a < b);
        assert_eq!("341002 850312 001".parse::<IdNumber>(), Ok(a));
    }

    #[test]
    fn no_panics_on_odd_input() {
        for s in [
            "\u{0}",
            "é",
            "３",
            "ｘ",
            "X",
            "XXXXXXXXXXXXXXXXXX",
            "000000000000000000",
            "999999999999999999",
            "000000000000000",
            "12345678901234567890123456789",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
            "34100219850312001\u{301}",
            ".",
            "E+",
            "----",
        ] {
            assert!(IdNumber::parse(s).is_err(), "{s:?}");
        }
    }
}
