//! Mainland China telephone numbers: mobile and fixed line.
//!
//! Canonical forms:
//! * mobile: 11 digits starting with 13–19, e.g. "13812345678";
//! * fixed line: area code, hyphen, 7–8 digit local number, e.g.
//!   "0559-1234567" or "010-12345678".
//!
//! Area codes are split by rule rather than by the separator the user typed:
//! the 3-character codes are 010 and 020–029; every other area code is
//! 4 characters (0 + 3 digits). So "05591234567" and "055-91234567" both
//! become "0559-1234567".
//!
//! A phone number is personal data: [`Phone`] has no `Display`, and its
//! `Debug` shows only the masked form.

use std::fmt;
use std::str::FromStr;

/// Length of a mobile number.
const MOBILE_LEN: usize = 11;
/// Shortest local (subscriber) part of a fixed-line number.
const MIN_LOCAL_LEN: usize = 7;
/// Longest local (subscriber) part of a fixed-line number.
const MAX_LOCAL_LEN: usize = 8;

/// Why a phone number was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing but whitespace or separators was given.
    Empty,
    /// A character other than digits, spaces, hyphens, parentheses and a
    /// leading "+".
    BadChar { ch: char },
    /// A "+" country code other than +86.
    ForeignCountryCode,
    /// Starts with 1 but is not 11 digits long.
    MobileLength { found: usize },
    /// 11 digits starting with 10, 11 or 12.
    MobilePrefix,
    /// Starts with 0 but the area code is not a valid one.
    BadAreaCode,
    /// The local part after the area code is not 7–8 digits long.
    FixedLength { found: usize },
    /// 7–8 digits without an area code.
    MissingAreaCode,
    /// Neither a mobile nor a fixed-line number.
    Unrecognised,
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhoneError::Empty => f.write_str("电话号码不能为空"),
            PhoneError::BadChar { ch } => {
                if ch.is_control() || ch.is_whitespace() {
                    write!(f, "电话号码含有无效字符“U+{:04X}”", u32::from(*ch))
                } else {
                    write!(f, "电话号码含有无效字符“{ch}”")
                }
            }
            PhoneError::ForeignCountryCode => f.write_str("电话号码只支持中国大陆号码（国家代码+86）"),
            PhoneError::MobileLength { found } => {
                write!(f, "手机号码应为11位数字，实际为{found}位")
            }
            PhoneError::MobilePrefix => f.write_str("手机号码应以13至19开头"),
            PhoneError::BadAreaCode => f.write_str("固定电话的区号无效"),
            PhoneError::FixedLength { found } => {
                write!(f, "固定电话区号后的号码应为7至8位数字，实际为{found}位")
            }
            PhoneError::MissingAreaCode => f.write_str("固定电话号码缺少区号"),
            PhoneError::Unrecognised => f.write_str("电话号码格式不正确，应为11位手机号码或带区号的固定电话"),
        }
    }
}

impl std::error::Error for PhoneError {}

/// A validated mobile or fixed-line number in canonical form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl fmt::Debug for Phone {
    /// Only the masked form, e.g. `Phone(138****5678)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// Length of the area code (including the leading 0) of a fixed-line
/// number given as digits; `None` if it does not start with a valid one.
fn area_code_len(digits: &str) -> Option<usize> {
    let b = digits.as_bytes();
    match (b.first(), b.get(1), b.get(2), b.get(3)) {
        (Some(b'0'), Some(b'1'), Some(b'0'), _) => Some(3),
        (Some(b'0'), Some(b'2'), Some(d), _) if d.is_ascii_digit() => Some(3),
        (Some(b'0'), Some(b'3'..=b'9'), Some(d2), Some(d3)) if d2.is_ascii_digit() && d3.is_ascii_digit() => Some(4),
        _ => None,
    }
}

impl Phone {
    /// Parses a mobile or fixed-line number.
    ///
    /// Normalisation: whitespace (including U+3000), hyphens and
    /// parentheses are removed; full-width digits, "＋" and parentheses are
    /// accepted. A leading "+86", "0086", or "86" before an 11-digit mobile
    /// number is removed; "+86" before an area code without its 0 (e.g.
    /// "+86 559 1234567") yields the domestic form "0559-1234567".
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let mut s = String::with_capacity(input.len());
        for c in input.chars() {
            match c {
                c if c.is_whitespace() => {}
                '-' | '－' | '‐' | '‑' | '–' | '—' | '(' | ')' | '（' | '）' => {}
                '０'..='９' => s.push(char::from_digit(u32::from(c) - u32::from('０'), 10).unwrap_or(c)),
                '＋' => s.push('+'),
                c => s.push(c),
            }
        }
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (international, rest) = if let Some(r) = s.strip_prefix('+') {
            match r.strip_prefix("86") {
                Some(national) => (true, national),
                None if r.starts_with(|c: char| c.is_ascii_digit()) => return Err(PhoneError::ForeignCountryCode),
                None => (false, s.as_str()),
            }
        } else if let Some(national) = s.strip_prefix("0086") {
            (true, national)
        } else {
            (false, s.as_str())
        };
        if let Some(ch) = rest.chars().find(|c| !c.is_ascii_digit()) {
            return Err(PhoneError::BadChar { ch });
        }
        if rest.is_empty() {
            return Err(PhoneError::Empty);
        }
        // Only ASCII digits remain, so byte offsets equal positions.
        let digits = if international {
            // Mobiles start with 13–19; an area code without its 0 (including
            // Beijing's "10") gets the 0 back.
            if rest.starts_with('0') || (rest.starts_with('1') && !rest.starts_with("10")) {
                rest.to_owned()
            } else {
                format!("0{rest}")
            }
        } else if rest.len() == MOBILE_LEN + 2 && rest.starts_with("861") {
            rest.get(2..).unwrap_or_default().to_owned()
        } else {
            rest.to_owned()
        };

        if digits.starts_with('1') {
            if digits.len() != MOBILE_LEN {
                return Err(PhoneError::MobileLength { found: digits.len() });
            }
            if !matches!(digits.as_bytes().get(1), Some(b'3'..=b'9')) {
                return Err(PhoneError::MobilePrefix);
            }
            return Ok(Phone(digits));
        }
        if digits.starts_with('0') {
            let area_len = area_code_len(&digits).ok_or(PhoneError::BadAreaCode)?;
            let area = digits.get(..area_len).unwrap_or_default();
            let local = digits.get(area_len..).unwrap_or_default();
            if !(MIN_LOCAL_LEN..=MAX_LOCAL_LEN).contains(&local.len()) {
                return Err(PhoneError::FixedLength { found: local.len() });
            }
            return Ok(Phone(format!("{area}-{local}")));
        }
        if (MIN_LOCAL_LEN..=MAX_LOCAL_LEN).contains(&digits.len()) {
            return Err(PhoneError::MissingAreaCode);
        }
        Err(PhoneError::Unrecognised)
    }

    /// The canonical form: "13812345678" or "0559-1234567".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a mobile number.
    pub fn is_mobile(&self) -> bool {
        !self.0.contains('-')
    }

    /// The area code of a fixed-line number (e.g. "0559"); `None` for a
    /// mobile number.
    pub fn area_code(&self) -> Option<&str> {
        self.0.split_once('-').map(|(area, _)| area)
    }

    /// Masked form: mobile "138****5678" (first 3 and last 4 kept); fixed
    /// line "0559-****567" (area code and last 3 digits kept).
    pub fn masked(&self) -> String {
        match self.0.split_once('-') {
            Some((area, local)) => {
                let keep = local.len().saturating_sub(3);
                let tail = local.get(keep..).unwrap_or_default();
                format!("{area}-{}{tail}", "*".repeat(keep))
            }
            None => {
                let head = self.0.get(..3).unwrap_or_default();
                let tail = self.0.get(self.0.len().saturating_sub(4)..).unwrap_or_default();
                format!("{head}****{tail}")
            }
        }
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

crate::serde_as_string!(Phone, |v: &Phone| v.as_str().to_string());

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn phone(s: &str) -> Phone {
        Phone::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn mobiles() {
        for s in [
            "13812345678",
            " 13812345678 ",
            "138 1234 5678",
            "138-1234-5678",
            "１３８１２３４５６７８",
            "138\u{3000}1234\u{3000}5678",
            "+8613812345678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "＋８６１３８１２３４５６７８",
            "(+86) 13812345678",
            "008613812345678",
            "8613812345678",
            "86 138 1234 5678",
        ] {
            let p = phone(s);
            assert_eq!(p.as_str(), "13812345678", "{s}");
            assert!(p.is_mobile());
            assert_eq!(p.area_code(), None);
        }
        for s in [
            "13000000000",
            "14512345678",
            "15912345678",
            "16612345678",
            "17712345678",
            "19912345678",
        ] {
            assert_eq!(phone(s).as_str(), s);
        }
    }

    #[test]
    fn mobile_errors() {
        let err = Phone::parse("1381234567").unwrap_err();
        assert_eq!(err, PhoneError::MobileLength { found: 10 });
        assert_eq!(err.to_string(), "手机号码应为11位数字，实际为10位");
        assert_eq!(
            Phone::parse("138123456789"),
            Err(PhoneError::MobileLength { found: 12 })
        );
        assert_eq!(
            Phone::parse("+86138123456789"),
            Err(PhoneError::MobileLength { found: 12 })
        );
        assert_eq!(Phone::parse("1"), Err(PhoneError::MobileLength { found: 1 }));
        for s in ["10012345678", "11012345678", "12012345678"] {
            assert_eq!(Phone::parse(s), Err(PhoneError::MobilePrefix), "{s}");
        }
        assert_eq!(PhoneError::MobilePrefix.to_string(), "手机号码应以13至19开头");
    }

    #[test]
    fn fixed_lines() {
        assert_eq!(phone("0559-1234567").as_str(), "0559-1234567");
        assert_eq!(phone("05591234567").as_str(), "0559-1234567");
        assert_eq!(phone("0559 1234567").as_str(), "0559-1234567");
        assert_eq!(phone("(0559)1234567").as_str(), "0559-1234567");
        assert_eq!(phone("（0559）1234567").as_str(), "0559-1234567");
        assert_eq!(phone("０５５９－１２３４５６７").as_str(), "0559-1234567");
        assert_eq!(phone("0559-12345678").as_str(), "0559-12345678");
        // The area code is split by rule, not by where the user put the hyphen.
        assert_eq!(phone("055-91234567").as_str(), "0559-1234567");
        // Three-character area codes: 010 and 02x.
        assert_eq!(phone("010-12345678").as_str(), "010-12345678");
        assert_eq!(phone("01012345678").as_str(), "010-12345678");
        assert_eq!(phone("021-1234567").as_str(), "021-1234567");
        assert_eq!(phone("02912345678").as_str(), "029-12345678");
        // +86 before an area code without its 0.
        assert_eq!(phone("+86 559 1234567").as_str(), "0559-1234567");
        assert_eq!(phone("+86 10 12345678").as_str(), "010-12345678");
        assert_eq!(phone("+86 0559 1234567").as_str(), "0559-1234567");
        let p = phone("0559-1234567");
        assert!(!p.is_mobile());
        assert_eq!(p.area_code(), Some("0559"));
        assert_eq!(phone("010-12345678").area_code(), Some("010"));
    }

    #[test]
    fn fixed_line_errors() {
        assert_eq!(Phone::parse("0559-123456"), Err(PhoneError::FixedLength { found: 6 }));
        assert_eq!(
            Phone::parse("0559-123456789"),
            Err(PhoneError::FixedLength { found: 9 })
        );
        assert_eq!(
            Phone::parse("0559-123456").unwrap_err().to_string(),
            "固定电话区号后的号码应为7至8位数字，实际为6位"
        );
        assert_eq!(Phone::parse("0559"), Err(PhoneError::FixedLength { found: 0 }));
        for s in ["00591234567", "01112345678", "0", "05", "055", "0-1234567"] {
            assert_eq!(Phone::parse(s), Err(PhoneError::BadAreaCode), "{s}");
        }
        assert_eq!(PhoneError::BadAreaCode.to_string(), "固定电话的区号无效");
        // Local numbers never start with 1, so these are short mobiles.
        assert_eq!(Phone::parse("1234567"), Err(PhoneError::MobileLength { found: 7 }));
        assert_eq!(
            Phone::parse("12345678").unwrap_err(),
            PhoneError::MobileLength { found: 8 }
        );
        assert_eq!(Phone::parse("8765432"), Err(PhoneError::MissingAreaCode));
        assert_eq!(Phone::parse("87654321"), Err(PhoneError::MissingAreaCode));
        assert_eq!(PhoneError::MissingAreaCode.to_string(), "固定电话号码缺少区号");
    }

    #[test]
    fn other_errors() {
        assert_eq!(Phone::parse(""), Err(PhoneError::Empty));
        assert_eq!(Phone::parse(" - ( ) "), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("+86"), Err(PhoneError::Empty));
        assert_eq!(PhoneError::Empty.to_string(), "电话号码不能为空");
        assert_eq!(Phone::parse("138a2345678"), Err(PhoneError::BadChar { ch: 'a' }));
        assert_eq!(
            Phone::parse("138a2345678").unwrap_err().to_string(),
            "电话号码含有无效字符“a”"
        );
        assert_eq!(Phone::parse("138.1234.5678"), Err(PhoneError::BadChar { ch: '.' }));
        assert_eq!(Phone::parse("+1 202 555 0100"), Err(PhoneError::ForeignCountryCode));
        assert_eq!(
            PhoneError::ForeignCountryCode.to_string(),
            "电话号码只支持中国大陆号码（国家代码+86）"
        );
        assert_eq!(Phone::parse("+"), Err(PhoneError::BadChar { ch: '+' }));
        assert_eq!(Phone::parse("138+12345678"), Err(PhoneError::BadChar { ch: '+' }));
        assert_eq!(
            Phone::parse("1381234567\u{7}").unwrap_err().to_string(),
            "电话号码含有无效字符“U+0007”"
        );
        assert_eq!(Phone::parse("123"), Err(PhoneError::MobileLength { found: 3 }));
        assert_eq!(Phone::parse("555"), Err(PhoneError::Unrecognised));
        assert_eq!(Phone::parse("98765432109"), Err(PhoneError::Unrecognised));
        assert_eq!(
            PhoneError::Unrecognised.to_string(),
            "电话号码格式不正确，应为11位手机号码或带区号的固定电话"
        );
    }

    #[test]
    fn masking() {
        assert_eq!(phone("13812345678").masked(), "138****5678");
        assert_eq!(phone("0559-1234567").masked(), "0559-****567");
        assert_eq!(phone("010-12345678").masked(), "010-*****678");
        assert_eq!(phone("0559-12345678").masked(), "0559-*****678");
    }

    #[test]
    fn debug_does_not_leak() {
        let p = phone("13812345678");
        let debug = format!("{p:?}");
        assert_eq!(debug, "Phone(138****5678)");
        assert!(!debug.contains("1234"));
        let p = phone("0559-1234567");
        let debug = format!("{:?}", Some(p));
        assert_eq!(debug, "Some(Phone(0559-****567))");
        assert!(!debug.contains("1234"));
    }

    #[test]
    fn serde_and_from_str() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, StrDeserializer};

        let de: StrDeserializer<'_, ValueError> = "+86 138 1234 5678".into_deserializer();
        assert_eq!(Phone::deserialize(de), Ok(phone("13812345678")));
        let de: StrDeserializer<'_, ValueError> = "1381234567".into_deserializer();
        let err = Phone::deserialize(de).unwrap_err();
        assert!(err.to_string().contains("手机号码应为11位数字"));
        assert_eq!("05591234567".parse::<Phone>(), Ok(phone("0559-1234567")));
    }

    #[test]
    fn canonical_forms_parse_to_themselves() {
        for s in ["13812345678", "0559-1234567", "010-12345678", "021-1234567"] {
            let p = phone(s);
            assert_eq!(phone(p.as_str()), p);
        }
    }

    #[test]
    fn all_error_messages_are_chinese() {
        let errors = [
            PhoneError::Empty,
            PhoneError::BadChar { ch: 'x' },
            PhoneError::ForeignCountryCode,
            PhoneError::MobileLength { found: 3 },
            PhoneError::MobilePrefix,
            PhoneError::BadAreaCode,
            PhoneError::FixedLength { found: 3 },
            PhoneError::MissingAreaCode,
            PhoneError::Unrecognised,
        ];
        for e in errors {
            let msg = e.to_string();
            assert!(msg.starts_with("电话号码") || msg.starts_with("手机号码") || msg.starts_with("固定电话"));
            let boxed: Box<dyn std::error::Error> = Box::new(e);
            assert_eq!(boxed.to_string(), msg);
        }
    }

    #[test]
    fn no_panics_on_odd_input() {
        for s in [
            "\u{0}", "é", "😀", "+８", "+86+86", "0086", "86", "0٣", "1\u{301}", "+861",
        ] {
            assert!(Phone::parse(s).is_err(), "{s:?}");
        }
    }
}
