//! Password policy (等保2.0 第三级): minimum length, character classes,
//! no user name inside, history and maximum age.
//!
//! Hashing and the history comparison are the caller's business; this module
//! only states the rules and their Chinese messages.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Number of character classes that exist (upper, lower, digit, other).
const CLASS_COUNT: usize = 4;

/// Configurable password rules. Every field may be overridden by a config
/// file; missing fields keep their default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    /// Minimum number of characters (Unicode scalar values, not bytes).
    pub min_len: usize,
    /// Minimum number of character classes among upper-case ASCII letter,
    /// lower-case ASCII letter, digit and other. Values above 4 act as 4.
    pub min_classes: usize,
    /// How many previous passwords may not be reused.
    pub history: usize,
    /// Days after which a password expires; `<= 0` means never.
    pub max_age_days: i64,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_len: 8,
            min_classes: 3,
            history: 5,
            max_age_days: 90,
        }
    }
}

/// Why a password was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Fewer characters than `min_len`.
    TooShort { min_len: usize },
    /// Fewer character classes than `min_classes`.
    TooFewClasses { min_classes: usize },
    /// The password contains the user name (case-insensitive).
    ContainsUsername,
    /// Leading/trailing whitespace or a control character.
    WhitespaceOrControl,
    /// The password equals one of the last `history` passwords.
    Reused { history: usize },
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordProblem::TooShort { min_len } => {
                write!(f, "密码长度不能少于{min_len}位")
            }
            PasswordProblem::TooFewClasses { min_classes } => {
                write!(f, "密码须包含大写字母、小写字母、数字、特殊字符中的至少{min_classes}类")
            }
            PasswordProblem::ContainsUsername => f.write_str("密码不能包含用户名"),
            PasswordProblem::WhitespaceOrControl => f.write_str("密码首尾不能有空格，且不能包含控制字符"),
            PasswordProblem::Reused { history } if *history <= 1 => f.write_str("新密码不能与上一次使用过的密码相同"),
            PasswordProblem::Reused { history } => {
                write!(f, "新密码不能与最近{history}次使用过的密码相同")
            }
        }
    }
}

impl std::error::Error for PasswordProblem {}

/// Character classes present in a password, as a count in 0..=4.
fn class_count(password: &str) -> usize {
    let (mut upper, mut lower, mut digit, mut other) = (false, false, false, false);
    for c in password.chars() {
        if c.is_ascii_uppercase() {
            upper = true;
        } else if c.is_ascii_lowercase() {
            lower = true;
        } else if c.is_ascii_digit() {
            digit = true;
        } else {
            other = true;
        }
    }
    [upper, lower, digit, other].into_iter().filter(|b| *b).count()
}

impl PasswordPolicy {
    /// Checks a new password against the policy. Rules are checked in this
    /// order: whitespace/control characters, length, character classes,
    /// user name. The history rule is checked by the caller (see
    /// [`PasswordPolicy::reused`]).
    pub fn check(&self, username: &str, password: &str) -> Result<(), PasswordProblem> {
        let edge_whitespace = password.starts_with(char::is_whitespace) || password.ends_with(char::is_whitespace);
        if edge_whitespace || password.chars().any(char::is_control) {
            return Err(PasswordProblem::WhitespaceOrControl);
        }
        if password.chars().count() < self.min_len {
            return Err(PasswordProblem::TooShort { min_len: self.min_len });
        }
        let min_classes = self.min_classes.min(CLASS_COUNT);
        if class_count(password) < min_classes {
            return Err(PasswordProblem::TooFewClasses { min_classes });
        }
        let username = username.trim();
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(PasswordProblem::ContainsUsername);
        }
        Ok(())
    }

    /// The problem to report when the new password matches one of the last
    /// `history` passwords.
    pub fn reused(&self) -> PasswordProblem {
        PasswordProblem::Reused { history: self.history }
    }

    /// Whether a password changed at `changed_at` has expired at `now`: it
    /// expires once `max_age_days` full days have passed. A non-positive
    /// `max_age_days` means passwords never expire.
    pub fn is_expired(&self, changed_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        if self.max_age_days <= 0 {
            return false;
        }
        let Some(max_age) = TimeDelta::try_days(self.max_age_days) else {
            return false;
        };
        match changed_at.checked_add_signed(max_age) {
            Some(deadline) => now >= deadline,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy::default()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("valid timestamp")
    }

    const DAY: i64 = 86_400;

    #[test]
    fn defaults() {
        let p = policy();
        assert_eq!(p.min_len, 8);
        assert_eq!(p.min_classes, 3);
        assert_eq!(p.history, 5);
        assert_eq!(p.max_age_days, 90);
    }

    #[test]
    fn deserialize_keeps_defaults_for_missing_fields() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error as ValueError;
        use std::collections::BTreeMap;

        let map: BTreeMap<&str, i64> = [("min_len", 12), ("max_age_days", 0)].into();
        let de = IntoDeserializer::<'_, ValueError>::into_deserializer(map);
        let p = PasswordPolicy::deserialize(de).expect("deserializes");
        assert_eq!(
            p,
            PasswordPolicy {
                min_len: 12,
                min_classes: 3,
                history: 5,
                max_age_days: 0,
            }
        );
    }

    #[test]
    fn accepts_good_passwords() {
        let p = policy();
        assert_eq!(p.check("zhangsan", "Abcdef1!"), Ok(()));
        assert_eq!(p.check("zhangsan", "Abcdefg1"), Ok(()));
        assert_eq!(p.check("zhangsan", "abcdef1!"), Ok(()));
        assert_eq!(p.check("zhangsan", "ABCDEF1!"), Ok(()));
        assert_eq!(p.check("zhangsan", "Abcdefg!"), Ok(()));
        assert_eq!(p.check("zhangsan", "市民化Abc12"), Ok(()));
        // Interior spaces are allowed and count as "other".
        assert_eq!(p.check("zhangsan", "correct horse 1"), Ok(()));
        assert_eq!(p.check("", "Abcdef1!"), Ok(()));
    }

    #[test]
    fn length_counts_chars_not_bytes() {
        let p = policy();
        // Exactly 8 characters: accepted.
        assert_eq!(p.check("u", "Abcde12!"), Ok(()));
        // 7 characters: rejected.
        assert_eq!(p.check("u", "Abcd12!"), Err(PasswordProblem::TooShort { min_len: 8 }));
        // 7 characters but 15 bytes: still too short.
        assert_eq!(
            p.check("u", "市民化Ab1!"),
            Err(PasswordProblem::TooShort { min_len: 8 })
        );
        // 8 characters with CJK: accepted.
        assert_eq!(p.check("u", "市民化Ab12!"), Ok(()));
        assert_eq!(p.check("u", ""), Err(PasswordProblem::TooShort { min_len: 8 }));
    }

    #[test]
    fn class_rule() {
        let p = policy();
        let too_few = Err(PasswordProblem::TooFewClasses { min_classes: 3 });
        assert_eq!(p.check("u", "abcdefgh"), too_few);
        assert_eq!(p.check("u", "abcd1234"), too_few);
        assert_eq!(p.check("u", "ABCDabcd"), too_few);
        assert_eq!(p.check("u", "12345678"), too_few);
        assert_eq!(p.check("u", "市民化市民化市民"), too_few);
        assert_eq!(p.check("u", "市民化市民化12"), too_few);
        // Exactly 3 classes.
        assert_eq!(p.check("u", "市民化市民化1a"), Ok(()));
        assert_eq!(p.check("u", "abcd1234!"), Ok(()));
        // Non-ASCII letters count as "other", not as upper/lower.
        assert_eq!(class_count("ÄÖÜäöü"), 1);
        assert_eq!(class_count("Aa1!"), 4);
        assert_eq!(class_count(""), 0);
    }

    #[test]
    fn class_requirement_is_clamped_to_four() {
        let p = PasswordPolicy {
            min_classes: 9,
            ..policy()
        };
        assert_eq!(p.check("u", "Abcdef1!"), Ok(()));
        assert_eq!(
            p.check("u", "Abcdefg1"),
            Err(PasswordProblem::TooFewClasses { min_classes: 4 })
        );
    }

    #[test]
    fn username_rule() {
        let p = policy();
        let bad = Err(PasswordProblem::ContainsUsername);
        assert_eq!(p.check("zhangsan", "zhangsan1!A"), bad);
        assert_eq!(p.check("zhangsan", "1!ZhangSan"), bad);
        assert_eq!(p.check("ZhangSan", "x1!zhangsanX"), bad);
        assert_eq!(p.check(" zhangsan ", "x1!zhangsanX"), bad);
        assert_eq!(p.check("张三", "Abc1!张三xyz"), bad);
        assert_eq!(p.check("zhangsan", "Zhang1!san"), Ok(()));
        // Empty or blank user names are ignored.
        assert_eq!(p.check("", "Abcdef1!"), Ok(()));
        assert_eq!(p.check("   ", "Abcdef1!"), Ok(()));
    }

    #[test]
    fn whitespace_and_control_rule() {
        let p = policy();
        let bad = Err(PasswordProblem::WhitespaceOrControl);
        assert_eq!(p.check("u", " Abcdef1!"), bad);
        assert_eq!(p.check("u", "Abcdef1! "), bad);
        assert_eq!(p.check("u", "\tAbcdef1!"), bad);
        assert_eq!(p.check("u", "Abcdef1!\n"), bad);
        assert_eq!(p.check("u", "\u{3000}Abcdef1!"), bad);
        assert_eq!(p.check("u", "Abc\u{0}def1!"), bad);
        assert_eq!(p.check("u", "Abc\u{7f}def1!"), bad);
        assert_eq!(p.check("u", "Abc\ndef1!"), bad);
        // Takes precedence over the length rule.
        assert_eq!(p.check("u", " a"), bad);
    }

    #[test]
    fn custom_policy() {
        let p = PasswordPolicy {
            min_len: 12,
            min_classes: 2,
            history: 3,
            max_age_days: 30,
        };
        assert_eq!(p.check("u", "Abcdef1!"), Err(PasswordProblem::TooShort { min_len: 12 }));
        assert_eq!(p.check("u", "abcdefgh1234"), Ok(()));
        assert_eq!(
            p.check("u", "abcdefghijkl"),
            Err(PasswordProblem::TooFewClasses { min_classes: 2 })
        );
        let lax = PasswordPolicy {
            min_len: 0,
            min_classes: 0,
            ..p
        };
        assert_eq!(lax.check("u", ""), Ok(()));
    }

    #[test]
    fn messages() {
        let p = policy();
        let msg = |pw: &str| p.check("zhangsan", pw).map_err(|e| e.to_string());
        assert_eq!(msg("Ab1!"), Err("密码长度不能少于8位".to_string()));
        assert_eq!(
            msg("abcdefgh"),
            Err("密码须包含大写字母、小写字母、数字、特殊字符中的至少3类".to_string())
        );
        assert_eq!(msg("zhangsan1!"), Err("密码不能包含用户名".to_string()));
        assert_eq!(
            msg(" Abcdef1!"),
            Err("密码首尾不能有空格，且不能包含控制字符".to_string())
        );
        assert_eq!(p.reused().to_string(), "新密码不能与最近5次使用过的密码相同");
        let p3 = PasswordPolicy { history: 3, ..p };
        assert_eq!(p3.reused(), PasswordProblem::Reused { history: 3 });
        assert_eq!(p3.reused().to_string(), "新密码不能与最近3次使用过的密码相同");
        let p1 = PasswordPolicy { history: 1, ..p };
        assert_eq!(p1.reused().to_string(), "新密码不能与上一次使用过的密码相同");
        let boxed: Box<dyn std::error::Error> = Box::new(p.reused());
        assert!(boxed.to_string().contains('5'));
    }

    #[test]
    fn expiry() {
        let p = policy();
        let changed = at(1_700_000_000);
        assert!(!p.is_expired(changed, changed));
        assert!(!p.is_expired(changed, at(1_700_000_000 + 90 * DAY - 1)));
        assert!(p.is_expired(changed, at(1_700_000_000 + 90 * DAY)));
        assert!(p.is_expired(changed, at(1_700_000_000 + 400 * DAY)));
        // A change time in the future (clock skew) is not expired.
        assert!(!p.is_expired(changed, at(1_700_000_000 - DAY)));
    }

    #[test]
    fn expiry_disabled_or_extreme() {
        let changed = at(0);
        let far = at(4_000_000_000);
        for days in [0, -1, i64::MIN] {
            let p = PasswordPolicy {
                max_age_days: days,
                ..policy()
            };
            assert!(!p.is_expired(changed, far), "max_age_days {days}");
        }
        // Absurdly large values never overflow and never expire.
        let p = PasswordPolicy {
            max_age_days: i64::MAX,
            ..policy()
        };
        assert!(!p.is_expired(changed, far));
        let p = PasswordPolicy {
            max_age_days: 1,
            ..policy()
        };
        assert!(p.is_expired(changed, far));
        assert!(!p.is_expired(DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MAX_UTC));
    }
}
