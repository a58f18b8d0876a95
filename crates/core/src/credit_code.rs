//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! Layout of the 18 characters:
//! * 1: registration department (登记管理部门),
//! * 2: organisation category (机构类别),
//! * 3–8: administrative division code of the registering authority
//!   (six digits; not checked against a code list),
//! * 9–17: the organisation code (组织机构代码, GB 11714) with its own check
//!   character at position 17,
//! * 18: the check character.
//!
//! All characters come from the 31-character set
//! `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, Z, S or V).
//!
//! Both check characters are enforced on parse. Every valid example in
//! FACTS.md section 2 (91341002MA2N0001XL, 91341000123456788U,
//! 92341021MA8P3K2LX9, 12341000003000006Y, 91350100M000100Y43) also passes
//! the GB 11714 organisation-code check, so that check is part of parsing;
//! [`CreditCode::org_code_valid`] is therefore always `true` for a parsed code.

use std::fmt;
use std::str::FromStr;

/// The 31 allowed characters; a character's value is its index.
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of characters 1..=17 (`3^(i-1) mod 31`).
const WEIGHTS: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// GB 11714 weights of the first 8 organisation-code characters.
const ORG_WEIGHTS: [usize; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
/// Length of a code.
const LEN: usize = 18;
/// Letters that never occur in a code.
const FORBIDDEN_LETTERS: [char; 5] = ['I', 'O', 'Z', 'S', 'V'];

/// Why a unified social credit code was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditCodeError {
    /// Nothing but whitespace was given.
    Empty,
    /// Not 18 characters after normalisation.
    BadLength { found: usize },
    /// A character outside the 31-character set. `position` is 1-based and
    /// counts characters after spaces were removed.
    BadChar { position: usize, ch: char },
    /// One of positions 3–8 (the division code) is not a digit.
    DivisionNotDigit { position: usize, ch: char },
    /// The organisation code's check character (position 17) is wrong.
    WrongOrgCheckChar { expected: char },
    /// The check character (position 18) is wrong.
    WrongCheckChar { expected: char },
    /// [`CreditCode::from_parts`]: a part has the wrong length or characters.
    /// `part` names the part, `requirement` says what it must be.
    InvalidPart {
        part: &'static str,
        requirement: &'static str,
    },
}

impl fmt::Display for CreditCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CreditCodeError::Empty => f.write_str("统一社会信用代码不能为空"),
            CreditCodeError::BadLength { found } => {
                write!(f, "统一社会信用代码应为18位，实际为{found}位")
            }
            CreditCodeError::BadChar { position, ch } if FORBIDDEN_LETTERS.contains(ch) => {
                write!(
                    f,
                    "统一社会信用代码第{position}位不能使用字母{ch}（代码中不使用I、O、Z、S、V）"
                )
            }
            CreditCodeError::BadChar { position, ch } => {
                let shown = shown_char(*ch);
                write!(
                    f,
                    "统一社会信用代码第{position}位字符“{shown}”无效，只能使用数字和除I、O、Z、S、V以外的大写字母"
                )
            }
            CreditCodeError::DivisionNotDigit { position, ch } => {
                let shown = shown_char(*ch);
                write!(
                    f,
                    "统一社会信用代码第{position}位应为数字（第3至8位是行政区划代码），不能是“{shown}”"
                )
            }
            // The check characters catch a mistyped character anywhere in the
            // code: the whole code is to be checked, not the last character
            // changed to fit.
            CreditCodeError::WrongOrgCheckChar { .. } => f.write_str(
                "统一社会信用代码校验不通过（组织机构代码部分），可能有字符输错，请对照营业执照逐位核对整个代码",
            ),
            CreditCodeError::WrongCheckChar { .. } => {
                f.write_str("统一社会信用代码校验不通过，可能有字符输错，请对照营业执照逐位核对整个代码")
            }
            CreditCodeError::InvalidPart { part, requirement } => {
                write!(f, "统一社会信用代码的{part}应为{requirement}")
            }
        }
    }
}

impl std::error::Error for CreditCodeError {}

/// A character as shown in an error message: control and whitespace
/// characters are written as `U+XXXX` so that they are visible.
fn shown_char(ch: char) -> String {
    if ch.is_control() || ch.is_whitespace() {
        format!("U+{:04X}", u32::from(ch))
    } else {
        ch.to_string()
    }
}

/// Value (0..=30) of a character of the 31-character set.
fn value(ch: char) -> Option<usize> {
    CHARSET.iter().position(|&b| char::from(b) == ch)
}

/// GB 11714 value of an organisation-code character: 0–9, then A = 10 …
/// Z = 35.
fn org_value(ch: char) -> Option<usize> {
    match ch {
        '0'..='9' | 'A'..='Z' => ch.to_digit(36).and_then(|v| usize::try_from(v).ok()),
        _ => None,
    }
}

/// Trims, removes inner whitespace, converts full-width ASCII forms
/// (U+FF01..=U+FF5E) to ASCII and upper-cases ASCII letters.
fn normalise(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            let half = match u32::from(c) {
                cp @ 0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            half.to_ascii_uppercase()
        })
        .collect()
}

/// The check character (position 18) for the first 17 characters; `None`
/// unless `first17` is exactly 17 characters of the 31-character set.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != LEN - 1 {
        return None;
    }
    let mut sum = 0usize;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    let c18 = (31 - sum % 31) % 31;
    CHARSET.get(c18).map(|&b| char::from(b))
}

/// The GB 11714 organisation-code check character for its first 8
/// characters (digits and upper-case ASCII letters); `None` for anything
/// else. The result is a digit or `X`.
pub fn org_check_char(first8: &str) -> Option<char> {
    if first8.chars().count() != 8 {
        return None;
    }
    let mut sum = 0usize;
    for (c, w) in first8.chars().zip(ORG_WEIGHTS) {
        sum += org_value(c)? * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        d => u32::try_from(d).ok().and_then(|d| char::from_digit(d, 10)),
    }
}

/// A validated unified social credit code, upper-case, 18 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses and validates a code.
    ///
    /// Normalisation: whitespace (including U+3000) is removed anywhere,
    /// full-width letters and digits become ASCII, letters are upper-cased.
    pub fn parse(input: &str) -> Result<CreditCode, CreditCodeError> {
        let s = normalise(input);
        if s.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        if let Some((i, ch)) = s.chars().enumerate().find(|(_, c)| value(*c).is_none()) {
            return Err(CreditCodeError::BadChar { position: i + 1, ch });
        }
        // Only ASCII characters remain, so byte offsets equal positions.
        if s.len() != LEN {
            return Err(CreditCodeError::BadLength { found: s.len() });
        }
        if let Some((i, ch)) = s.chars().enumerate().skip(2).take(6).find(|(_, c)| !c.is_ascii_digit()) {
            return Err(CreditCodeError::DivisionNotDigit { position: i + 1, ch });
        }
        let org = s.get(8..17).unwrap_or_default();
        let org_expected =
            org_check_char(org.get(..8).unwrap_or_default()).ok_or(CreditCodeError::BadLength { found: s.len() })?;
        if !org.ends_with(org_expected) {
            return Err(CreditCodeError::WrongOrgCheckChar { expected: org_expected });
        }
        let expected =
            check_char(s.get(..LEN - 1).unwrap_or_default()).ok_or(CreditCodeError::BadLength { found: s.len() })?;
        if !s.ends_with(expected) {
            return Err(CreditCodeError::WrongCheckChar { expected });
        }
        Ok(CreditCode(s))
    }

    /// Builds a valid code from its parts, computing the organisation-code
    /// check character and the final check character (used by the demo-data
    /// generator).
    ///
    /// * `dept_and_category`: 2 characters of the 31-character set, e.g. "91",
    /// * `division`: 6 ASCII digits, e.g. "341002",
    /// * `org9_without_check`: the first 8 organisation-code characters, from
    ///   digits and upper-case letters other than I, O, Z, S, V.
    pub fn from_parts(
        dept_and_category: &str,
        division: &str,
        org9_without_check: &str,
    ) -> Result<CreditCode, CreditCodeError> {
        let in_set = |s: &str, n: usize| s.chars().count() == n && s.chars().all(|c| value(c).is_some());
        if !in_set(dept_and_category, 2) {
            return Err(CreditCodeError::InvalidPart {
                part: "登记管理部门和机构类别",
                requirement: "2个有效字符",
            });
        }
        if division.len() != 6 || !division.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CreditCodeError::InvalidPart {
                part: "行政区划代码",
                requirement: "6位数字",
            });
        }
        let org_requirement = CreditCodeError::InvalidPart {
            part: "组织机构代码本体",
            requirement: "8个数字或除I、O、Z、S、V以外的大写字母",
        };
        if !in_set(org9_without_check, 8) {
            return Err(org_requirement);
        }
        let org_check = org_check_char(org9_without_check).ok_or(org_requirement)?;
        let first17 = format!("{dept_and_category}{division}{org9_without_check}{org_check}");
        let check = check_char(&first17).ok_or(CreditCodeError::BadLength {
            found: first17.chars().count() + 1,
        })?;
        CreditCode::parse(&format!("{first17}{check}"))
    }

    /// The check character (position 18) for the first 17 characters; same
    /// as the module-level [`check_char`].
    pub fn check_char(first17: &str) -> Option<char> {
        check_char(first17)
    }

    /// The canonical 18-character code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registration department (登记管理部门), e.g. '9' 工商.
    pub fn registration_dept(&self) -> char {
        self.0.chars().next().unwrap_or('0')
    }

    /// Position 2: the organisation category (机构类别), e.g. '1' 企业.
    pub fn category(&self) -> char {
        self.0.chars().nth(1).unwrap_or('0')
    }

    /// Positions 3–8: the division code of the registering authority.
    pub fn division_code(&self) -> &str {
        self.0.get(2..8).unwrap_or_default()
    }

    /// Positions 9–17: the organisation code, including its check character.
    pub fn org_code(&self) -> &str {
        self.0.get(8..17).unwrap_or_default()
    }

    /// Whether the embedded organisation code passes the GB 11714 check.
    /// Parsing enforces this check, so it is `true` for every `CreditCode`.
    pub fn org_code_valid(&self) -> bool {
        let org = self.org_code();
        org_check_char(org.get(..8).unwrap_or_default()).is_some_and(|c| org.ends_with(c))
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

crate::serde_as_string!(CreditCode, |v: &CreditCode| v.as_str().to_string());

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    const VALID: [&str; 5] = [
        "91341002MA2N0001XL",
        "91341000123456788U",
        "92341021MA8P3K2LX9",
        "12341000003000006Y",
        "91350100M000100Y43",
    ];

    fn code(s: &str) -> CreditCode {
        CreditCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1usize;
        for (i, weight) in WEIGHTS.iter().enumerate() {
            assert_eq!(*weight, w, "weight {}", i + 1);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn charset_excludes_forbidden_letters() {
        assert_eq!(CHARSET.len(), 31);
        for letter in FORBIDDEN_LETTERS {
            assert_eq!(value(letter), None);
        }
        assert_eq!(value('0'), Some(0));
        assert_eq!(value('A'), Some(10));
        assert_eq!(value('H'), Some(17));
        assert_eq!(value('J'), Some(18));
        assert_eq!(value('Y'), Some(30));
    }

    #[test]
    fn facts_valid_examples() {
        for s in VALID {
            let c = code(s);
            assert_eq!(c.as_str(), s);
            assert_eq!(c.to_string(), s);
            assert!(c.org_code_valid(), "{s}");
            assert_eq!(check_char(&s[..17]), s.chars().last(), "{s}");
            assert_eq!(org_check_char(&s[8..16]), s[16..17].chars().next(), "{s}");
        }
    }

    #[test]
    fn facts_worked_sum() {
        // 91341002MA2N0001XL: Σ = 2088, mod 31 = 11, 31 − 11 = 20 → 'L'.
        let sum: usize = "91341002MA2N0001X"
            .chars()
            .zip(WEIGHTS)
            .map(|(c, w)| value(c).unwrap() * w)
            .sum();
        assert_eq!(sum, 2088);
        assert_eq!(sum % 31, 11);
        assert_eq!(CHARSET[20], b'L');
    }

    #[test]
    fn facts_parts() {
        let c = code("91341002MA2N0001XL");
        assert_eq!(c.registration_dept(), '9');
        assert_eq!(c.category(), '1');
        assert_eq!(c.division_code(), "341002");
        assert_eq!(c.org_code(), "MA2N0001X");
        let c = code("92341021MA8P3K2LX9");
        assert_eq!(c.registration_dept(), '9');
        assert_eq!(c.category(), '2');
        assert_eq!(c.division_code(), "341021");
        assert_eq!(c.org_code(), "MA8P3K2LX");
        let c = code("12341000003000006Y");
        assert_eq!(c.registration_dept(), '1');
        assert_eq!(c.category(), '2');
        assert_eq!(c.division_code(), "341000");
        assert_eq!(c.org_code(), "003000006");
        let c = code("91341000123456788U");
        assert_eq!(c.org_code(), "123456788");
        assert_eq!(code("91350100M000100Y43").division_code(), "350100");
    }

    #[test]
    fn facts_negative_example() {
        let err = CreditCode::parse("91341002MA2N0001XA").unwrap_err();
        assert_eq!(err, CreditCodeError::WrongCheckChar { expected: 'L' });
        assert_eq!(
            err.to_string(),
            "统一社会信用代码校验不通过，可能有字符输错，请对照营业执照逐位核对整个代码"
        );
        assert!(!err.to_string().contains('L'), "no character to change the code to");
    }

    #[test]
    fn wrong_org_check_char() {
        // Changing the organisation-code check character breaks that check.
        let err = CreditCode::parse("91341002MA2N00011L").unwrap_err();
        assert_eq!(err, CreditCodeError::WrongOrgCheckChar { expected: 'X' });
        assert_eq!(
            err.to_string(),
            "统一社会信用代码校验不通过（组织机构代码部分），可能有字符输错，请对照营业执照逐位核对整个代码"
        );
        // Even when the final check character is made consistent.
        let first17 = "91341002MA2N00011";
        let full = format!("{first17}{}", check_char(first17).unwrap());
        assert_eq!(
            CreditCode::parse(&full),
            Err(CreditCodeError::WrongOrgCheckChar { expected: 'X' })
        );
    }

    #[test]
    fn org_check_char_rules() {
        // 10 → X, 11 → 0.
        assert_eq!(org_check_char("MA2N0001"), Some('X'));
        assert_eq!(org_check_char("00000000"), Some('0'));
        assert_eq!(org_check_char("12345678"), Some('8'));
        assert_eq!(org_check_char("1234567"), None);
        assert_eq!(org_check_char("123456789"), None);
        assert_eq!(org_check_char("1234567a"), None);
        assert_eq!(org_check_char("1234567-"), None);
        // GB 11714 itself allows all letters A–Z.
        assert!(org_check_char("ZZZZZZZZ").is_some());
    }

    #[test]
    fn forbidden_letters_are_named() {
        for (input, position, ch) in [
            ("91341002MA2N0OO1XL", 14, 'O'),
            ("9I341002MA2N0001XL", 2, 'I'),
            ("91341002MZ2N0001XL", 10, 'Z'),
            ("91341002MA2S0001XL", 12, 'S'),
            ("91341002MA2N0001XV", 18, 'V'),
        ] {
            let err = CreditCode::parse(input).unwrap_err();
            assert_eq!(err, CreditCodeError::BadChar { position, ch }, "{input}");
            assert_eq!(
                err.to_string(),
                format!("统一社会信用代码第{position}位不能使用字母{ch}（代码中不使用I、O、Z、S、V）")
            );
        }
        // Lower-case forbidden letters are upper-cased first.
        assert_eq!(
            CreditCode::parse("91341002ma2n0o01xl"),
            Err(CreditCodeError::BadChar { position: 14, ch: 'O' })
        );
    }

    #[test]
    fn other_bad_characters() {
        let err = CreditCode::parse("91341002MA2N-001XL").unwrap_err();
        assert_eq!(err, CreditCodeError::BadChar { position: 13, ch: '-' });
        assert_eq!(
            err.to_string(),
            "统一社会信用代码第13位字符“-”无效，只能使用数字和除I、O、Z、S、V以外的大写字母"
        );
        assert_eq!(
            CreditCode::parse("公司"),
            Err(CreditCodeError::BadChar { position: 1, ch: '公' })
        );
        assert_eq!(
            CreditCode::parse("91341002MA2N0001X\u{7}").unwrap_err().to_string(),
            "统一社会信用代码第18位字符“U+0007”无效，只能使用数字和除I、O、Z、S、V以外的大写字母"
        );
    }

    #[test]
    fn division_must_be_digits() {
        let err = CreditCode::parse("913410A2MA2N0001XL").unwrap_err();
        assert_eq!(err, CreditCodeError::DivisionNotDigit { position: 7, ch: 'A' });
        assert_eq!(
            err.to_string(),
            "统一社会信用代码第7位应为数字（第3至8位是行政区划代码），不能是“A”"
        );
        assert_eq!(
            CreditCode::parse("91A41002MA2N0001XL"),
            Err(CreditCodeError::DivisionNotDigit { position: 3, ch: 'A' })
        );
    }

    #[test]
    fn lengths_and_empty() {
        assert_eq!(CreditCode::parse(""), Err(CreditCodeError::Empty));
        assert_eq!(CreditCode::parse(" \u{3000}\t"), Err(CreditCodeError::Empty));
        assert_eq!(CreditCodeError::Empty.to_string(), "统一社会信用代码不能为空");
        assert_eq!(
            CreditCode::parse("91341002MA2N0001X"),
            Err(CreditCodeError::BadLength { found: 17 })
        );
        assert_eq!(
            CreditCode::parse("91341002MA2N0001XLL"),
            Err(CreditCodeError::BadLength { found: 19 })
        );
        assert_eq!(
            CreditCode::parse("91341002MA2N0001X").unwrap_err().to_string(),
            "统一社会信用代码应为18位，实际为17位"
        );
        // Old 15-digit business registration numbers are not accepted.
        assert_eq!(
            CreditCode::parse("341000000012345"),
            Err(CreditCodeError::BadLength { found: 15 })
        );
    }

    #[test]
    fn normalisation() {
        let expected = code("91341002MA2N0001XL");
        assert_eq!(code("91341002ma2n0001xl"), expected);
        assert_eq!(code("  91341002MA2N0001XL\n"), expected);
        assert_eq!(code("9134 1002 MA2N 0001 XL"), expected);
        assert_eq!(code("\u{3000}91341002MA2N0001XL\u{3000}"), expected);
        assert_eq!(code("９１３４１００２ＭＡ２Ｎ０００１ＸＬ"), expected);
        assert_eq!(code("９１３４１００２ｍａ２ｎ０００１ｘｌ"), expected);
        assert_eq!(code("91350100m000100y43").as_str(), "91350100M000100Y43");
    }

    #[test]
    fn from_parts_round_trip() {
        let c = CreditCode::from_parts("91", "341002", "MA2N0001").unwrap();
        assert_eq!(c.as_str(), "91341002MA2N0001XL");
        let c = CreditCode::from_parts("92", "341021", "MA8P3K2L").unwrap();
        assert_eq!(c.as_str(), "92341021MA8P3K2LX9");
        let c = CreditCode::from_parts("12", "341000", "00300000").unwrap();
        assert_eq!(c.as_str(), "12341000003000006Y");
        let c = CreditCode::from_parts("91", "350100", "M000100Y").unwrap();
        assert_eq!(c.as_str(), "91350100M000100Y43");
        for (dc, division, org8) in [
            ("91", "341002", "MA000001"),
            ("93", "341024", "MA2XYWUT"),
            ("N1", "341022", "12345678"),
            ("Y1", "110105", "HJKLMNPQ"),
            ("51", "341003", "50000000"),
            ("A1", "341004", "00000000"),
        ] {
            let c = CreditCode::from_parts(dc, division, org8).unwrap();
            assert_eq!(CreditCode::parse(c.as_str()), Ok(c.clone()));
            assert_eq!(&c.as_str()[..2], dc);
            assert_eq!(c.division_code(), division);
            assert_eq!(&c.org_code()[..8], org8);
            assert!(c.org_code_valid());
        }
    }

    #[test]
    fn from_parts_rejects_bad_parts() {
        let err = CreditCode::from_parts("9", "341002", "MA2N0001").unwrap_err();
        assert_eq!(
            err.to_string(),
            "统一社会信用代码的登记管理部门和机构类别应为2个有效字符"
        );
        assert!(CreditCode::from_parts("9I", "341002", "MA2N0001").is_err());
        let err = CreditCode::from_parts("91", "34100", "MA2N0001").unwrap_err();
        assert_eq!(err.to_string(), "统一社会信用代码的行政区划代码应为6位数字");
        assert!(CreditCode::from_parts("91", "34100A", "MA2N0001").is_err());
        let err = CreditCode::from_parts("91", "341002", "MA2N001").unwrap_err();
        assert_eq!(
            err.to_string(),
            "统一社会信用代码的组织机构代码本体应为8个数字或除I、O、Z、S、V以外的大写字母"
        );
        assert!(CreditCode::from_parts("91", "341002", "MA2NO001").is_err());
        assert!(CreditCode::from_parts("91", "341002", "ma2n0001").is_err());
    }

    #[test]
    fn check_char_input_rules() {
        assert_eq!(check_char("91341002MA2N0001X"), Some('L'));
        assert_eq!(CreditCode::check_char("91341000123456788"), Some('U'));
        assert_eq!(check_char("91341002MA2N0001"), None);
        assert_eq!(check_char("91341002MA2N0001XL"), None);
        assert_eq!(check_char("91341002MA2N0O01X"), None);
        assert_eq!(check_char("91341002ma2n0001x"), None);
        // Σ mod 31 == 0 maps to '0', not to a 32nd character.
        let mut found_zero = false;
        for c in CHARSET.iter().map(|&b| char::from(b)) {
            let first17 = format!("0000000000000000{c}");
            let check = check_char(&first17).unwrap();
            assert!(value(check).is_some());
            if c == '0' {
                assert_eq!(check, '0');
                found_zero = true;
            }
        }
        assert!(found_zero);
    }

    #[test]
    fn all_error_messages_are_prefixed() {
        let errors = [
            CreditCodeError::Empty,
            CreditCodeError::BadLength { found: 3 },
            CreditCodeError::BadChar { position: 1, ch: 'I' },
            CreditCodeError::BadChar { position: 1, ch: '#' },
            CreditCodeError::DivisionNotDigit { position: 3, ch: 'A' },
            CreditCodeError::WrongOrgCheckChar { expected: '0' },
            CreditCodeError::WrongCheckChar { expected: '0' },
            CreditCodeError::InvalidPart {
                part: "行政区划代码",
                requirement: "6位数字",
            },
        ];
        for e in errors {
            let msg = e.to_string();
            assert!(msg.starts_with("统一社会信用代码"), "{msg}");
            let boxed: Box<dyn std::error::Error> = Box::new(e);
            assert_eq!(boxed.to_string(), msg);
        }
    }

    #[test]
    fn serde_and_from_str() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, StrDeserializer};

        let de: StrDeserializer<'_, ValueError> = "91341002ma2n0001xl".into_deserializer();
        assert_eq!(CreditCode::deserialize(de), Ok(code("91341002MA2N0001XL")));
        let de: StrDeserializer<'_, ValueError> = "91341002MA2N0001XA".into_deserializer();
        let err = CreditCode::deserialize(de).unwrap_err();
        assert!(err.to_string().contains("统一社会信用代码校验不通过"));
        assert_eq!(
            "91341000123456788U".parse::<CreditCode>(),
            Ok(code("91341000123456788U"))
        );
        assert_eq!(
            format!("{:?}", code("91341000123456788U")),
            "CreditCode(\"91341000123456788U\")"
        );
    }

    #[test]
    fn no_panics_on_odd_input() {
        for s in [
            "\u{0}",
            "é",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
            "000000000000000000",
            "YYYYYYYYYYYYYYYYYY",
            "ＹＹ",
            "91341002MA2N0001X\u{301}",
            "ß91341002MA2N0001X",
        ] {
            let _ = CreditCode::parse(s);
        }
        assert!(CreditCode::parse("YYYYYYYYYYYYYYYYYY").is_err());
        // All zeros is syntactically valid per both check algorithms.
        assert!(CreditCode::parse("000000000000000000").is_ok());
    }
}
