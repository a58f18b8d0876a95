//! People in the registry: how their names are shown, and the rules of a
//! worker's and a dependant's fields that need no database (names, education,
//! relations, lengths, tags, a dependant's birth date).

use crate::id_number::IdNumber;
use chrono::NaiveDate;

/// A Chinese name shown on screen: the surname and one star per other character.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// A name as registered: trimmed and, when it holds Chinese characters,
/// without whitespace ("张 三" → "张三", a full-width space too), the dots
/// that separate the parts of a minority name written as "·"
/// ("阿依古丽 • 买买提" → "阿依古丽·买买提"). A name in letters only keeps
/// its spaces.
pub fn normalise_name(name: &str) -> String {
    let name = name.trim();
    if !name.chars().any(is_han) {
        return name.to_string();
    }
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}'))
        .map(|c| match c {
            '•' | '・' | '‧' | '･' | '∙' | '⋅' | '．' | '.' | '\u{2E31}' | '\u{16EB}' => '·',
            c => c,
        })
        .collect()
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// Education levels offered in forms and templates.
pub const EDUCATION: [&str; 7] = ["小学及以下", "初中", "高中", "中专/技校", "大专", "本科", "研究生"];

/// Relations of a dependant to the worker.
pub const RELATIONS: [&str; 3] = ["配偶", "子女", "父母"];

/// How a name is checked and what is said when it fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameRule {
    /// The message when the name is empty.
    pub missing: &'static str,
    /// The message when the name is too short, too long or (with `script`)
    /// holds other characters.
    pub invalid: &'static str,
    /// Only Chinese characters, `·`, ASCII letters and spaces are allowed.
    pub script: bool,
}

/// A worker's or a dependant's name: 2–20 Chinese characters (minority
/// names may hold `·`; letters and spaces are let through).
pub const REGISTRY_NAME: NameRule = NameRule {
    missing: "请填写姓名",
    invalid: "姓名应为2至20个汉字（少数民族姓名可含“·”）",
    script: true,
};

/// A case reporter's name: 2–20 characters of any kind.
pub const REPORTER_NAME: NameRule = NameRule {
    missing: "请填写反映人姓名，或选择匿名反映",
    invalid: "反映人姓名应为2至20个字",
    script: false,
};

/// Checks a name (already tidied) by `rule`; the error is the rule's message.
pub fn check_name(name: &str, rule: &NameRule) -> Result<(), &'static str> {
    let n = name.chars().count();
    if n == 0 {
        return Err(rule.missing);
    }
    let script_ok = || {
        name.chars()
            .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || c == '·' || c.is_ascii_alphabetic() || c == ' ')
    };
    if !(2..=20).contains(&n) || (rule.script && !script_ok()) {
        return Err(rule.invalid);
    }
    Ok(())
}

/// Checks an education level (tidied; empty: not given).
pub fn check_education(education: &str) -> Result<(), String> {
    if !education.is_empty() && !EDUCATION.contains(&education) {
        return Err(format!("文化程度应为：{}", EDUCATION.join("、")));
    }
    Ok(())
}

/// Checks a worker's place of household registration (tidied).
pub fn check_hukou_place(place: &str) -> Result<(), &'static str> {
    if place.chars().count() > 100 {
        return Err("户籍地不超过100个字");
    }
    Ok(())
}

/// Checks a worker's skills (tidied).
pub fn check_skills(skills: &str) -> Result<(), &'static str> {
    if skills.chars().count() > 200 {
        return Err("职业技能不超过200个字");
    }
    Ok(())
}

/// Tags as stored: split on commas, 、, spaces and semicolons, sorted,
/// without repeats, joined with `,`.
pub fn normalise_tags(s: &str) -> String {
    let mut tags: Vec<&str> = s
        .split([',', '，', '、', ' ', ';', '；'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    tags.join(",")
}

/// Checks a dependant's relation to the worker (trimmed).
pub fn check_relation(relation: &str) -> Result<(), &'static str> {
    if !RELATIONS.contains(&relation) {
        return Err("请选择与本人关系：配偶、子女或父母");
    }
    Ok(())
}

/// A dependant's birth date: the one typed (`typed`, if it was a date) or
/// the ID number's, which must agree when both are given; not after `today`.
pub fn dependant_birth(
    id: Option<&IdNumber>,
    typed: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<NaiveDate, &'static str> {
    let birth = match (id, typed) {
        (Some(id), None) => id.birth_date(),
        (Some(id), Some(d)) if d != id.birth_date() => return Err("出生日期与身份证号不一致"),
        (_, Some(d)) => d,
        (None, None) => return Err("请填写出生日期（如 2015-09-01），或填写身份证号"),
    };
    if birth > today {
        return Err("出生日期不能晚于今天");
    }
    Ok(birth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn masks_and_tags() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name(""), "");
        assert_eq!(
            normalise_tags("返乡， 技能人才、返乡;新就业形态"),
            "技能人才,新就业形态,返乡"
        );
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalise_name(" 张 三 "), "张三");
        assert_eq!(normalise_name("张\u{3000}三"), "张三");
        assert_eq!(normalise_name("阿依古丽 · 买买提"), "阿依古丽·买买提");
        assert_eq!(normalise_name("阿依古丽•买买提"), "阿依古丽·买买提");
        assert_eq!(normalise_name("阿依古丽・买买提"), "阿依古丽·买买提");
        assert_eq!(normalise_name("Anna Maria"), "Anna Maria");
        assert_eq!(normalise_name(""), "");
        assert_eq!(check_name(&normalise_name("阿依古丽 · 买买提"), &REGISTRY_NAME), Ok(()));
    }

    #[test]
    fn names_by_rule() {
        assert_eq!(check_name("张三", &REGISTRY_NAME), Ok(()));
        assert_eq!(check_name("阿依古丽·买买提", &REGISTRY_NAME), Ok(()));
        assert_eq!(check_name("", &REGISTRY_NAME), Err("请填写姓名"));
        assert_eq!(check_name("张", &REGISTRY_NAME), Err(REGISTRY_NAME.invalid));
        assert_eq!(check_name("张3", &REGISTRY_NAME), Err(REGISTRY_NAME.invalid));
        assert_eq!(check_name(&"张".repeat(21), &REGISTRY_NAME), Err(REGISTRY_NAME.invalid));
        // A reporter's name may hold any character.
        assert_eq!(check_name("张3", &REPORTER_NAME), Ok(()));
        assert_eq!(check_name("", &REPORTER_NAME), Err("请填写反映人姓名，或选择匿名反映"));
        assert_eq!(check_name("张", &REPORTER_NAME), Err("反映人姓名应为2至20个字"));
    }

    #[test]
    fn education_lengths_and_relations() {
        assert_eq!(check_education(""), Ok(()));
        assert_eq!(check_education("本科"), Ok(()));
        assert_eq!(
            check_education("博士"),
            Err("文化程度应为：小学及以下、初中、高中、中专/技校、大专、本科、研究生".to_string())
        );
        assert!(check_hukou_place(&"黄".repeat(100)).is_ok());
        assert_eq!(check_hukou_place(&"黄".repeat(101)), Err("户籍地不超过100个字"));
        assert!(check_skills(&"电".repeat(200)).is_ok());
        assert_eq!(check_skills(&"电".repeat(201)), Err("职业技能不超过200个字"));
        for r in RELATIONS {
            assert_eq!(check_relation(r), Ok(()));
        }
        assert_eq!(check_relation("兄弟"), Err("请选择与本人关系：配偶、子女或父母"));
    }

    #[test]
    fn dependant_birth_dates() {
        let id = IdNumber::parse("11010519491231002X").ok();
        let today = d("2023-06-01");
        match &id {
            Some(id) => {
                let born = id.birth_date();
                assert_eq!(dependant_birth(Some(id), None, today), Ok(born));
                assert_eq!(dependant_birth(Some(id), Some(born), today), Ok(born));
                assert_eq!(
                    dependant_birth(Some(id), Some(d("1949-12-30")), today),
                    Err("出生日期与身份证号不一致")
                );
            }
            None => panic!("test ID number invalid"),
        }
        assert_eq!(dependant_birth(None, Some(d("2015-09-01")), today), Ok(d("2015-09-01")));
        assert_eq!(
            dependant_birth(None, None, today),
            Err("请填写出生日期（如 2015-09-01），或填写身份证号")
        );
        assert_eq!(
            dependant_birth(None, Some(d("2023-06-02")), today),
            Err("出生日期不能晚于今天")
        );
    }
}
