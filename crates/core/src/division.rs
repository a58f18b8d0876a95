//! Administrative division codes (GB/T 2260 six-digit codes extended by the
//! NBS 统计用区划代码 to twelve digits).
//!
//! A code is always held as its canonical twelve-digit value
//! `PPCCDDTTTVVV`: province, city, county, township, village.
//!
//! Level rules (checked from the lowest segment up):
//! * `VVV != 000` → village (村/社区),
//! * `TTT != 000` → township (乡镇/街道),
//! * `DD != 00` → county (区县),
//! * `CC != 00` → city (市),
//! * otherwise → province (省).
//!
//! Cities without counties (东莞 441900, 中山 442000, 嘉峪关 620200,
//! 儋州 460400) have townships directly below them, so the NBS codes of those
//! townships have `DD == 00` and `TTT != 000` (e.g. 441900003). These are
//! accepted; every other gap (a non-zero lower segment below a zero higher
//! segment) is rejected as inconsistent.

use std::fmt;
use std::str::FromStr;

/// Smallest canonical twelve-digit value (province 11).
const MIN_CODE: u64 = 110_000_000_000;
/// Largest canonical twelve-digit value (province 82).
const MAX_CODE: u64 = 829_999_999_999;

/// Hierarchy level of a division code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Province,
    City,
    County,
    Township,
    Village,
}

impl Level {
    /// Chinese label of the level, for display.
    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Province => "省",
            Level::City => "市",
            Level::County => "区县",
            Level::Township => "乡镇（街道）",
            Level::Village => "村（社区）",
        }
    }

    /// Size of the numeric block (in the twelve-digit space) covered by one
    /// code of this level, i.e. `hi - lo + 1` of its subtree range.
    fn span(self) -> u64 {
        match self {
            Level::Province => 10_000_000_000,
            Level::City => 100_000_000,
            Level::County => 1_000_000,
            Level::Township => 1_000,
            Level::Village => 1,
        }
    }
}

/// Why a division code was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DivisionError {
    /// Not 6, 9 or 12 digits (after trimming and full-width conversion).
    Format,
    /// All digits are zero.
    AllZero,
    /// The first two digits are not in 11..=82.
    Province,
    /// A lower segment is non-zero while a higher one is zero.
    Inconsistent,
}

impl fmt::Display for DivisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            DivisionError::Format => "区划代码应为6、9或12位数字",
            DivisionError::AllZero => "区划代码不能全为零",
            DivisionError::Province => "区划代码的省级部分无效",
            DivisionError::Inconsistent => "区划代码层级不连续",
        };
        f.write_str(msg)
    }
}

impl std::error::Error for DivisionError {}

/// A validated administrative division code, stored as its canonical
/// twelve-digit value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DivisionCode(u64);

/// The five segments of a twelve-digit code.
struct Segments {
    city: u64,
    county: u64,
    township: u64,
    village: u64,
}

fn segments(v: u64) -> Segments {
    Segments {
        city: (v / 100_000_000) % 100,
        county: (v / 1_000_000) % 100,
        township: (v / 1_000) % 1_000,
        village: v % 1_000,
    }
}

impl DivisionCode {
    /// Parses a 6-, 9- or 12-digit code. Surrounding whitespace is trimmed
    /// and full-width digits (０-９) are accepted.
    pub fn parse(s: &str) -> Result<DivisionCode, DivisionError> {
        let mut value: u64 = 0;
        let mut len: usize = 0;
        for c in s.trim().chars() {
            let digit = match c {
                '0'..='9' => u64::from(c) - u64::from('0'),
                '０'..='９' => u64::from(c) - u64::from('０'),
                _ => return Err(DivisionError::Format),
            };
            len += 1;
            if len > 12 {
                return Err(DivisionError::Format);
            }
            value = value * 10 + digit;
        }
        let canonical = match len {
            6 => value * 1_000_000,
            9 => value * 1_000,
            12 => value,
            _ => return Err(DivisionError::Format),
        };
        Self::from_canonical(canonical)
    }

    /// Builds a code from its canonical twelve-digit value (as stored in a
    /// database BIGINT column), validating it like [`DivisionCode::parse`].
    pub fn from_i64(v: i64) -> Result<DivisionCode, DivisionError> {
        if v == 0 {
            return Err(DivisionError::AllZero);
        }
        match u64::try_from(v) {
            Ok(u) if u <= 999_999_999_999 => Self::from_canonical(u),
            _ => Err(DivisionError::Format),
        }
    }

    fn from_canonical(v: u64) -> Result<DivisionCode, DivisionError> {
        if v == 0 {
            return Err(DivisionError::AllZero);
        }
        if !(MIN_CODE..=MAX_CODE).contains(&v) {
            return Err(DivisionError::Province);
        }
        let s = segments(v);
        let consistent = if s.city == 0 {
            s.county == 0 && s.township == 0 && s.village == 0
        } else if s.township == 0 {
            s.village == 0
        } else {
            // A township may sit directly under a city without counties
            // (DD == 00), so no further constraint here.
            true
        };
        if !consistent {
            return Err(DivisionError::Inconsistent);
        }
        Ok(DivisionCode(v))
    }

    /// The canonical twelve-digit value, for the database BIGINT column.
    pub fn as_i64(self) -> i64 {
        // The value is at most 829_999_999_999, far below i64::MAX.
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// The hierarchy level of this code.
    pub fn level(self) -> Level {
        let s = segments(self.0);
        if s.village != 0 {
            Level::Village
        } else if s.township != 0 {
            Level::Township
        } else if s.county != 0 {
            Level::County
        } else if s.city != 0 {
            Level::City
        } else {
            Level::Province
        }
    }

    /// The canonical twelve-digit representation, e.g. "341021000000".
    pub fn full12(self) -> String {
        format!("{:012}", self.0)
    }

    /// Inclusive numeric range `[lo, hi]` of all twelve-digit codes in this
    /// code's subtree, including the code itself.
    pub fn subtree_range(self) -> (i64, i64) {
        let lo = self.as_i64();
        let span = i64::try_from(self.level().span()).unwrap_or(1);
        (lo, lo + span - 1)
    }

    /// Whether `other` lies in this code's subtree (a code contains itself).
    pub fn contains(self, other: DivisionCode) -> bool {
        let (lo, hi) = self.subtree_range();
        (lo..=hi).contains(&other.as_i64())
    }

    /// The code one level up; `None` for a province.
    ///
    /// A township directly under a city without counties (e.g. 441900003)
    /// has that city as its parent.
    pub fn parent(self) -> Option<DivisionCode> {
        let v = self.0;
        let parent = match self.level() {
            Level::Province => return None,
            Level::City => v - v % 10_000_000_000,
            Level::County => v - v % 100_000_000,
            Level::Township => {
                let county = v - v % 1_000_000;
                if segments(county).county == 0 {
                    v - v % 100_000_000
                } else {
                    county
                }
            }
            Level::Village => v - v % 1_000,
        };
        Some(DivisionCode(parent))
    }

    /// The county-level ancestor, or the code itself if it is a county.
    /// `None` for provinces, cities, and townships/villages of cities that
    /// have no counties.
    pub fn county(self) -> Option<DivisionCode> {
        if self.level() < Level::County {
            return None;
        }
        let county = self.0 - self.0 % 1_000_000;
        if segments(county).county == 0 {
            None
        } else {
            Some(DivisionCode(county))
        }
    }

    /// The kind of a township-level unit, derived from digits 7–9:
    /// 001–099 街道, 100–199 镇, 200–399 乡, 400–599 类似乡级单位.
    /// `None` for other levels or other ranges.
    pub fn township_kind(self) -> Option<&'static str> {
        if self.level() != Level::Township {
            return None;
        }
        match segments(self.0).township {
            1..=99 => Some("街道"),
            100..=199 => Some("镇"),
            200..=399 => Some("乡"),
            400..=599 => Some("类似乡级单位"),
            _ => None,
        }
    }
}

impl fmt::Display for DivisionCode {
    /// Six digits for province/city/county, nine for township, twelve for
    /// village.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level() {
            Level::Province | Level::City | Level::County => {
                write!(f, "{:06}", self.0 / 1_000_000)
            }
            Level::Township => write!(f, "{:09}", self.0 / 1_000),
            Level::Village => write!(f, "{:012}", self.0),
        }
    }
}

impl FromStr for DivisionCode {
    type Err = DivisionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DivisionCode::parse(s)
    }
}

crate::serde_as_string!(DivisionCode, |v: &DivisionCode| v.to_string());

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn canonical_values() {
        assert_eq!(code("341021").as_i64(), 341_021_000_000);
        assert_eq!(code("341021100").as_i64(), 341_021_100_000);
        assert_eq!(code("341021100201").as_i64(), 341_021_100_201);
        assert_eq!(code("341021").full12(), "341021000000");
        assert_eq!(code("341021100").full12(), "341021100000");
    }

    #[test]
    fn levels() {
        assert_eq!(code("340000").level(), Level::Province);
        assert_eq!(code("341000").level(), Level::City);
        assert_eq!(code("341002").level(), Level::County);
        assert_eq!(code("341021").level(), Level::County);
        assert_eq!(code("341004198").level(), Level::Township);
        assert_eq!(code("341021100").level(), Level::Township);
        assert_eq!(code("341021100201").level(), Level::Village);
        // Twelve-digit input of a higher level is recognised as such.
        assert_eq!(code("341000000000").level(), Level::City);
        assert_eq!(code("110101000000").level(), Level::County);
        assert!(Level::Province < Level::Village);
    }

    #[test]
    fn level_labels() {
        assert_eq!(Level::Province.label_zh(), "省");
        assert_eq!(Level::City.label_zh(), "市");
        assert_eq!(Level::County.label_zh(), "区县");
        assert_eq!(Level::Township.label_zh(), "乡镇（街道）");
        assert_eq!(Level::Village.label_zh(), "村（社区）");
    }

    #[test]
    fn display_lengths() {
        assert_eq!(code("340000000000").to_string(), "340000");
        assert_eq!(code("341000").to_string(), "341000");
        assert_eq!(code("341021000000").to_string(), "341021");
        assert_eq!(code("341021100000").to_string(), "341021100");
        assert_eq!(code("341021100201").to_string(), "341021100201");
    }

    #[test]
    fn round_trip() {
        for s in [
            "110000",
            "110101",
            "341000",
            "341021",
            "341021100",
            "341021100201",
            "441900003",
            "820000",
        ] {
            let c = code(s);
            assert_eq!(c.to_string(), s);
            assert_eq!(code(&c.to_string()), c);
            assert_eq!(code(&c.full12()), c);
            assert_eq!(DivisionCode::from_i64(c.as_i64()), Ok(c));
            assert_eq!(s.parse::<DivisionCode>(), Ok(c));
        }
    }

    #[test]
    fn trims_and_accepts_full_width() {
        assert_eq!(code("３４１０２１"), code("341021"));
        assert_eq!(code("  341021\n"), code("341021"));
        assert_eq!(code("\u{3000}３４１０２１１００\u{3000}"), code("341021100"));
        assert_eq!(code("34１０21"), code("341021"));
    }

    #[test]
    fn rejects_bad_format() {
        for s in [
            "",
            "   ",
            "34102",
            "3410210",
            "34102110",
            "3410211002",
            "34102110020",
            "3410211002011",
            "34102110020100000000",
            "34102a",
            "３４１０２Ａ",
            "341 021",
            "-34102",
            "+341021",
            "３４１０２١",
        ] {
            assert_eq!(DivisionCode::parse(s), Err(DivisionError::Format), "input {s:?}");
        }
    }

    #[test]
    fn rejects_all_zero_and_bad_province() {
        assert_eq!(DivisionCode::parse("000000"), Err(DivisionError::AllZero));
        assert_eq!(DivisionCode::parse("000000000000"), Err(DivisionError::AllZero));
        assert_eq!(DivisionCode::parse("990000"), Err(DivisionError::Province));
        assert_eq!(DivisionCode::parse("100000"), Err(DivisionError::Province));
        assert_eq!(DivisionCode::parse("830000"), Err(DivisionError::Province));
        assert_eq!(DivisionCode::parse("001021"), Err(DivisionError::Province));
        assert!(DivisionCode::parse("110000").is_ok());
        assert!(DivisionCode::parse("820000").is_ok());
    }

    #[test]
    fn rejects_inconsistent_levels() {
        for s in [
            "340000100000",
            "340021",
            "340000001",
            "340000000001",
            "341021000201",
            "341000000001",
        ] {
            assert_eq!(DivisionCode::parse(s), Err(DivisionError::Inconsistent), "input {s:?}");
        }
    }

    #[test]
    fn townships_of_cities_without_counties() {
        // 东莞市东城街道 441900003, 中山市石岐街道 442000001.
        let t = code("441900003");
        assert_eq!(t.level(), Level::Township);
        assert_eq!(t.parent(), Some(code("441900")));
        assert_eq!(t.county(), None);
        assert_eq!(t.township_kind(), Some("街道"));
        assert!(code("441900").contains(t));
        assert!(code("440000").contains(t));
        let v = code("441900003001");
        assert_eq!(v.level(), Level::Village);
        assert_eq!(v.parent(), Some(t));
        assert_eq!(v.county(), None);
        assert_eq!(code("442000001").parent(), Some(code("442000")));
    }

    #[test]
    fn error_messages_are_chinese() {
        assert_eq!(DivisionError::Format.to_string(), "区划代码应为6、9或12位数字");
        assert_eq!(DivisionError::Province.to_string(), "区划代码的省级部分无效");
        assert_eq!(DivisionError::Inconsistent.to_string(), "区划代码层级不连续");
        assert_eq!(DivisionError::AllZero.to_string(), "区划代码不能全为零");
        let boxed: Box<dyn std::error::Error> = Box::new(DivisionError::Format);
        assert!(!boxed.to_string().is_empty());
    }

    #[test]
    fn from_i64_validates() {
        assert_eq!(DivisionCode::from_i64(341_021_000_000), Ok(code("341021")));
        assert_eq!(DivisionCode::from_i64(0), Err(DivisionError::AllZero));
        assert_eq!(DivisionCode::from_i64(-1), Err(DivisionError::Format));
        assert_eq!(DivisionCode::from_i64(i64::MIN), Err(DivisionError::Format));
        assert_eq!(DivisionCode::from_i64(i64::MAX), Err(DivisionError::Format));
        assert_eq!(DivisionCode::from_i64(1_000_000_000_000), Err(DivisionError::Format));
        // A six-digit value is not a canonical twelve-digit value.
        assert_eq!(DivisionCode::from_i64(341_021), Err(DivisionError::Province));
        assert_eq!(DivisionCode::from_i64(990_000_000_000), Err(DivisionError::Province));
        assert_eq!(
            DivisionCode::from_i64(340_000_100_000),
            Err(DivisionError::Inconsistent)
        );
    }

    #[test]
    fn subtree_ranges() {
        assert_eq!(code("340000").subtree_range(), (340_000_000_000, 349_999_999_999));
        assert_eq!(code("341000").subtree_range(), (341_000_000_000, 341_099_999_999));
        assert_eq!(code("341021").subtree_range(), (341_021_000_000, 341_021_999_999));
        assert_eq!(code("341021100").subtree_range(), (341_021_100_000, 341_021_100_999));
        assert_eq!(code("341021100201").subtree_range(), (341_021_100_201, 341_021_100_201));
    }

    #[test]
    fn containment() {
        assert!(code("341021").contains(code("341021100")));
        assert!(code("341021").contains(code("341021100201")));
        assert!(code("341021").contains(code("341021")));
        assert!(!code("341021").contains(code("341022100")));
        assert!(code("341000").contains(code("341024210")));
        assert!(code("340000").contains(code("341024210")));
        assert!(!code("341021100").contains(code("341021")));
        assert!(!code("341000").contains(code("342000")));
        assert!(!code("341021100201").contains(code("341021100202")));
        assert!(code("341021100201").contains(code("341021100201")));
    }

    #[test]
    fn parents() {
        assert_eq!(code("340000").parent(), None);
        assert_eq!(code("341000").parent(), Some(code("340000")));
        assert_eq!(code("341021").parent(), Some(code("341000")));
        assert_eq!(code("341021100").parent(), Some(code("341021")));
        assert_eq!(code("341021100201").parent(), Some(code("341021100")));
        // 仙桃市 (省直辖县级行政单位) sits under 429000.
        assert_eq!(code("429004").parent(), Some(code("429000")));
        // Walking up always terminates at the province.
        let mut c = code("341021100201");
        let mut steps = 0;
        while let Some(p) = c.parent() {
            assert!(p.contains(c));
            assert!(p.level() < c.level());
            c = p;
            steps += 1;
        }
        assert_eq!(steps, 4);
        assert_eq!(c, code("340000"));
    }

    #[test]
    fn county_ancestor() {
        assert_eq!(code("340000").county(), None);
        assert_eq!(code("341000").county(), None);
        assert_eq!(code("341021").county(), Some(code("341021")));
        assert_eq!(code("341021100").county(), Some(code("341021")));
        assert_eq!(code("341021100201").county(), Some(code("341021")));
    }

    #[test]
    fn township_kinds() {
        assert_eq!(code("341004001").township_kind(), Some("街道"));
        assert_eq!(code("341004099").township_kind(), Some("街道"));
        assert_eq!(code("341021100").township_kind(), Some("镇"));
        assert_eq!(code("341004198").township_kind(), Some("镇"));
        assert_eq!(code("341024210").township_kind(), Some("乡"));
        assert_eq!(code("341024399").township_kind(), Some("乡"));
        assert_eq!(code("341024400").township_kind(), Some("类似乡级单位"));
        assert_eq!(code("341024599").township_kind(), Some("类似乡级单位"));
        assert_eq!(code("341024600").township_kind(), None);
        assert_eq!(code("341021").township_kind(), None);
        assert_eq!(code("341021100201").township_kind(), None);
    }

    #[test]
    fn deserializes_from_string() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, StrDeserializer};

        let de: StrDeserializer<'_, ValueError> = "３４１０２１１００".into_deserializer();
        assert_eq!(DivisionCode::deserialize(de), Ok(code("341021100")));
        let de: StrDeserializer<'_, ValueError> = "990000".into_deserializer();
        let err = DivisionCode::deserialize(de).map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("区划代码的省级部分无效"));
    }

    #[test]
    fn ordering_follows_numeric_value() {
        assert!(code("340000") < code("341000"));
        assert!(code("341021") < code("341021100"));
        assert!(code("341021100201") < code("341022"));
    }
}
