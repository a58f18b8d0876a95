//! Occupation codes of the national occupation classification
//! (中华人民共和国职业分类大典, 2022年版).
//!
//! A code is a major group (大类) digit 1–8 followed by up to four segments
//! of two digits: `6` 大类, `6-29` 中类, `6-29-01` 小类, `6-29-01-02` 细类
//! (职业), `6-29-01-02-01` 工种. The "other" groups use `99` and the groups
//! with one member `00` (e.g. `8-00-00-00`), so any two digits are accepted.
//!
//! The eight major groups are shipped (`data/occupations.csv`); the finer
//! groups are a list the administrator loads ([`parse_list`]).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// The shipped major groups, `code,name`.
pub const MAJOR_GROUPS_CSV: &str = include_str!("../../../../data/occupations.csv");

/// The names of the eight major groups, 1 to 8 (the same as
/// [`MAJOR_GROUPS_CSV`], which a test checks).
pub const MAJOR_GROUP_NAMES: [&str; 8] = [
    "党的机关、国家机关、群众团体和社会组织、企事业单位负责人",
    "专业技术人员",
    "办事人员和有关人员",
    "社会生产服务和生活服务人员",
    "农、林、牧、渔业生产及辅助人员",
    "生产制造及有关人员",
    "军人",
    "不便分类的其他从业人员",
];

/// Most segments of a code (大类 … 工种).
const MAX_LEVEL: usize = 5;
/// Most characters of an occupation's name.
pub const MAX_NAME_CHARS: usize = 100;
/// Most data rows of a loaded list.
pub const MAX_ROWS: usize = 20_000;
/// Most errors reported for a loaded list.
pub const MAX_ERRORS: usize = 100;

/// A validated occupation code, held in its canonical form (ASCII digits
/// and `-`). Ordering is by the text, which with fixed-width segments puts
/// every group right before its members.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OccupationCode(String);

impl OccupationCode {
    /// Parses a code such as `6-29-01`. Surrounding whitespace is trimmed;
    /// full-width digits and the dashes people type instead of `-`
    /// (`－`, `‐`, `‑`, `–`, `—`) are accepted.
    pub fn parse(s: &str) -> Result<OccupationCode, String> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err("职业代码不能为空".to_string());
        }
        let bad = || format!("职业代码“{trimmed}”格式不对，应为“6-29-01”这样的大典代码");
        let mut canonical = String::with_capacity(trimmed.len());
        for c in trimmed.chars() {
            let c = match c {
                '0'..='9' | '-' => c,
                '０'..='９' => char::from_digit(u32::from(c) - u32::from('０'), 10).ok_or_else(bad)?,
                '－' | '‐' | '‑' | '–' | '—' => '-',
                _ => return Err(bad()),
            };
            canonical.push(c);
        }
        let segments: Vec<&str> = canonical.split('-').collect();
        if segments.len() > MAX_LEVEL {
            return Err(bad());
        }
        let (first, rest) = segments.split_first().ok_or_else(bad)?;
        if first.len() != 1 || rest.iter().any(|seg| seg.len() != 2) {
            return Err(bad());
        }
        if !matches!(first.as_bytes()[0], b'1'..=b'8') {
            return Err(format!("职业代码“{trimmed}”的大类应为1至8"));
        }
        Ok(OccupationCode(canonical))
    }

    /// The canonical text, e.g. `6-29-01`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The major group, 1 to 8.
    pub fn major(&self) -> u8 {
        self.0.as_bytes()[0] - b'0'
    }

    /// The level: 1 大类, 2 中类, 3 小类, 4 细类 (职业), 5 工种.
    pub fn level(&self) -> u8 {
        // One more segment per '-'; at most five, so the cast is exact.
        self.0.bytes().filter(|&b| b == b'-').count() as u8 + 1
    }

    /// The group one level up; `None` for a major group.
    pub fn parent(&self) -> Option<OccupationCode> {
        self.0.rfind('-').map(|i| OccupationCode(self.0[..i].to_string()))
    }

    /// Whether this code is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &OccupationCode) -> bool {
        self.0
            .strip_prefix(ancestor.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
    }

    /// The middle group (中类, the first two segments); `None` for a major
    /// group.
    pub fn middle(&self) -> Option<OccupationCode> {
        // "d-dd" is the first four bytes.
        (self.level() >= 2).then(|| OccupationCode(self.0[..4].to_string()))
    }

    /// The major group's code (`6`).
    pub fn major_code(&self) -> OccupationCode {
        OccupationCode(self.0[..1].to_string())
    }
}

impl fmt::Display for OccupationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OccupationCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OccupationCode::parse(s)
    }
}

crate::serde_as_string!(OccupationCode, |c: &OccupationCode| c.0.clone());

/// An occupation (or group) with its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Occupation {
    pub code: OccupationCode,
    pub name: String,
}

/// The name of a major group (1–8); empty for any other number.
pub fn major_name(major: u8) -> &'static str {
    usize::from(major)
        .checked_sub(1)
        .and_then(|i| MAJOR_GROUP_NAMES.get(i))
        .copied()
        .unwrap_or("")
}

/// The eight major groups, read from [`MAJOR_GROUPS_CSV`] (which a test
/// checks, so this is never empty in a build that passed its tests).
pub fn major_groups() -> Vec<Occupation> {
    parse_list(MAJOR_GROUPS_CSV).unwrap_or_default()
}

/// An occupation as shown in lists: `6-29-01 名称` (the code alone when the
/// name is empty).
pub fn occupation_label(code: &OccupationCode, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        code.to_string()
    } else {
        format!("{code} {name}")
    }
}

/// Splits one line into trimmed cells at `sep`; a cell may be quoted, with
/// `""` for a quote inside. `None` when a quote is left open.
fn split_line(line: &str, sep: char) -> Option<Vec<String>> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cell.push(c);
            }
        } else if c == '"' && cell.trim().is_empty() {
            cell.clear();
            in_quotes = true;
        } else if c == sep {
            cells.push(cell.trim().to_string());
            cell.clear();
        } else {
            cell.push(c);
        }
    }
    if in_quotes {
        return None;
    }
    cells.push(cell.trim().to_string());
    Some(cells)
}

/// Whether a first cell names the code column of a header row.
fn is_header_cell(cell: &str) -> bool {
    matches!(cell, "代码" | "职业代码") || cell.eq_ignore_ascii_case("code")
}

/// Reads an administrator's list of occupations (CSV text: UTF-8, a BOM
/// allowed; cells separated by commas, or by tabs when the first line has a
/// tab; cells may be quoted; blank lines skipped; a first line whose first
/// cell is `代码`, `职业代码` or `code` is a header). Each row is
/// `code,name`; further cells are ignored.
///
/// The list may hold major groups, under their shipped names. Every code
/// below the middle groups needs its parent in the file (a middle group's
/// parent, a major group, is always known).
///
/// Returns the occupations sorted by code, or the errors, each as
/// `第N行：…` with N the line in the file (at most [`MAX_ERRORS`]; when
/// there are more, the last says how many were left out).
pub fn parse_list(text: &str) -> Result<Vec<Occupation>, Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let sep = match text.lines().find(|l| !l.trim().is_empty()) {
        Some(first) if first.contains('\t') => '\t',
        _ => ',',
    };
    let mut errors: Vec<(usize, String)> = Vec::new();
    // Rows read: (line, occupation).
    let mut rows: Vec<(usize, Occupation)> = Vec::new();
    let mut seen: HashMap<OccupationCode, usize> = HashMap::new();
    let mut first_line = true;
    let mut data_rows = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let Some(cells) = split_line(raw, sep) else {
            errors.push((line, "引号没有成对".to_string()));
            continue;
        };
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if std::mem::take(&mut first_line) && is_header_cell(&cells[0]) {
            continue;
        }
        data_rows += 1;
        if data_rows > MAX_ROWS {
            errors.push((line, format!("文件最多{MAX_ROWS}行职业，请拆分后分批导入")));
            break;
        }
        let code = match OccupationCode::parse(&cells[0]) {
            Ok(code) => code,
            Err(e) => {
                errors.push((line, e));
                continue;
            }
        };
        let name = cells.get(1).map(String::as_str).unwrap_or("");
        if name.is_empty() {
            errors.push((line, format!("职业代码“{code}”缺少名称")));
            continue;
        }
        if name.chars().count() > MAX_NAME_CHARS {
            errors.push((line, format!("职业名称超过{MAX_NAME_CHARS}个字")));
            continue;
        }
        if code.level() == 1 && name != major_name(code.major()) {
            errors.push((line, format!("大类“{code}”的名称应为“{}”", major_name(code.major()))));
            continue;
        }
        if let Some(&earlier) = seen.get(&code) {
            errors.push((line, format!("职业代码“{code}”与第{earlier}行重复")));
            continue;
        }
        seen.insert(code.clone(), line);
        rows.push((
            line,
            Occupation {
                code,
                name: name.to_string(),
            },
        ));
    }
    for (line, occupation) in &rows {
        if occupation.code.level() < 3 {
            continue;
        }
        if let Some(parent) = occupation.code.parent()
            && !seen.contains_key(&parent)
        {
            errors.push((*line, format!("上级代码“{parent}”不在文件中")));
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(vec!["文件中没有职业数据".to_string()]);
    }
    if !errors.is_empty() {
        errors.sort_by_key(|(line, _)| *line);
        let mut out: Vec<String> = errors.iter().map(|(line, e)| format!("第{line}行：{e}")).collect();
        if out.len() > MAX_ERRORS {
            let left = out.len() - (MAX_ERRORS - 1);
            out.truncate(MAX_ERRORS - 1);
            out.push(format!("另有{left}处错误未列出"));
        }
        return Err(out);
    }
    let mut list: Vec<Occupation> = rows.into_iter().map(|(_, o)| o).collect();
    list.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> OccupationCode {
        OccupationCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn errors(text: &str) -> Vec<String> {
        match parse_list(text) {
            Ok(list) => panic!("accepted: {list:?}"),
            Err(e) => e,
        }
    }

    fn codes(list: &[Occupation]) -> Vec<&str> {
        list.iter().map(|o| o.code.as_str()).collect()
    }

    #[test]
    fn parses_every_level() {
        for (s, level) in [
            ("6", 1),
            ("6-29", 2),
            ("6-29-01", 3),
            ("6-29-01-02", 4),
            ("6-29-01-02-01", 5),
            ("8-00-00-00", 4),
            ("4-99", 2),
        ] {
            let c = code(s);
            assert_eq!(c.as_str(), s);
            assert_eq!(c.to_string(), s);
            assert_eq!(c.level(), level, "{s}");
            assert_eq!(s.parse::<OccupationCode>(), Ok(c));
        }
        assert_eq!(code("6-29-01").major(), 6);
        assert_eq!(code("1").major(), 1);
        assert_eq!(code("8-00").major(), 8);
    }

    #[test]
    fn trims_and_accepts_full_width() {
        assert_eq!(code("  6-29-01\t"), code("6-29-01"));
        assert_eq!(code("６－２９－０１"), code("6-29-01"));
        assert_eq!(code("\u{3000}６-２9—01‐02–03\u{3000}"), code("6-29-01-02-03"));
        assert_eq!(code("6‑29"), code("6-29"));
        assert_eq!(code("６"), code("6"));
    }

    #[test]
    fn rejects_bad_codes() {
        for s in [
            "629",
            "6-2",
            "6-290",
            "6-29-1",
            "6--29",
            "6-29-",
            "-6-29",
            "06-29",
            "66",
            "6-29-01-02-01-01",
            "6 29 01",
            "6.29.01",
            "6-29-0a",
            "六",
            "6_29",
            "+6",
        ] {
            let e = OccupationCode::parse(s).unwrap_err();
            assert_eq!(e, format!("职业代码“{s}”格式不对，应为“6-29-01”这样的大典代码"), "{s}");
        }
        assert_eq!(OccupationCode::parse("   ").unwrap_err(), "职业代码不能为空");
        assert_eq!(OccupationCode::parse("").unwrap_err(), "职业代码不能为空");
        assert_eq!(
            OccupationCode::parse("9-01").unwrap_err(),
            "职业代码“9-01”的大类应为1至8"
        );
        assert_eq!(OccupationCode::parse("0").unwrap_err(), "职业代码“0”的大类应为1至8");
        // The message shows the trimmed input as typed.
        assert_eq!(
            OccupationCode::parse(" ６－２ ").unwrap_err(),
            "职业代码“６－２”格式不对，应为“6-29-01”这样的大典代码"
        );
    }

    #[test]
    fn hierarchy() {
        let c = code("6-29-01-02-01");
        assert_eq!(c.parent(), Some(code("6-29-01-02")));
        assert_eq!(code("6-29").parent(), Some(code("6")));
        assert_eq!(code("6").parent(), None);
        assert_eq!(c.middle(), Some(code("6-29")));
        assert_eq!(code("6-29").middle(), Some(code("6-29")));
        assert_eq!(code("6").middle(), None);
        assert_eq!(c.major_code(), code("6"));

        let mut steps = 0;
        let mut x = c.clone();
        while let Some(p) = x.parent() {
            assert!(x.is_within(&p));
            assert!(!p.is_within(&x));
            assert_eq!(p.level() + 1, x.level());
            x = p;
            steps += 1;
        }
        assert_eq!(steps, 4);
        assert_eq!(x, code("6"));

        assert!(c.is_within(&c));
        assert!(c.is_within(&code("6")));
        assert!(c.is_within(&code("6-29-01")));
        assert!(!c.is_within(&code("6-29-02")));
        assert!(!c.is_within(&code("5")));
        assert!(!code("6-29").is_within(&c));
        assert!(!code("6-29-01").is_within(&code("6-29-01-02")));
        assert!(!code("1-01").is_within(&code("1-02")));
    }

    #[test]
    fn ordering_puts_groups_before_members() {
        let mut v = [
            code("6-29-01"),
            code("7"),
            code("6"),
            code("6-29"),
            code("6-03"),
            code("6-29-01-02"),
            code("1-01"),
        ];
        v.sort();
        let s: Vec<&str> = v.iter().map(OccupationCode::as_str).collect();
        assert_eq!(s, ["1-01", "6", "6-03", "6-29", "6-29-01", "6-29-01-02", "7"]);
    }

    #[test]
    fn serde_as_canonical_string() {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, StrDeserializer};

        let de: StrDeserializer<'_, ValueError> = "６－２９".into_deserializer();
        assert_eq!(OccupationCode::deserialize(de), Ok(code("6-29")));
        let de: StrDeserializer<'_, ValueError> = "9-29".into_deserializer();
        let err = OccupationCode::deserialize(de).map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("大类应为1至8"));
    }

    #[test]
    fn shipped_major_groups() {
        let groups = major_groups();
        assert_eq!(groups.len(), 8);
        for (i, g) in groups.iter().enumerate() {
            let major = u8::try_from(i + 1).unwrap_or(0);
            assert_eq!(g.code.level(), 1);
            assert_eq!(g.code.major(), major);
            assert_eq!(g.name, MAJOR_GROUP_NAMES[i]);
            assert_eq!(major_name(major), g.name);
        }
        assert_eq!(groups[1].name, "专业技术人员");
        assert_eq!(groups[5].name, "生产制造及有关人员");
        assert_eq!(major_name(0), "");
        assert_eq!(major_name(9), "");
        assert_eq!(major_name(255), "");
        assert!(MAJOR_GROUPS_CSV.starts_with("code,name\n"));
        assert_eq!(MAJOR_GROUPS_CSV.lines().count(), 9);
    }

    #[test]
    fn labels() {
        assert_eq!(
            occupation_label(&code("6-29-01"), "建筑施工人员"),
            "6-29-01 建筑施工人员"
        );
        assert_eq!(occupation_label(&code("6"), " "), "6");
    }

    #[test]
    fn list_with_header_bom_quotes_and_blank_lines() {
        let text = "\u{feff}职业代码,职业名称\r\n\r\n6-29,\"建筑施工人员\"\r\n6-29-01,\"房屋建筑施工人员, 含\"\"砌筑\"\"\",备注\r\n6-29-01-02,砌筑工\r\n ,\r\n";
        let list = parse_list(text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(codes(&list), ["6-29", "6-29-01", "6-29-01-02"]);
        assert_eq!(list[1].name, "房屋建筑施工人员, 含\"砌筑\"");
        assert_eq!(list[2].name, "砌筑工");
    }

    #[test]
    fn list_tab_separated_and_sorted() {
        let text =
            "code\tname\n6-29-01\t房屋建筑施工人员, 杂项\n4-01\t采购人员\n6-29\t建筑施工人员\n6\t生产制造及有关人员\n";
        let list = parse_list(text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(codes(&list), ["4-01", "6", "6-29", "6-29-01"]);
        assert_eq!(list[3].name, "房屋建筑施工人员, 杂项");
        // Without a header, the first row is data.
        let list = parse_list("６－２９,建筑施工人员").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(codes(&list), ["6-29"]);
    }

    #[test]
    fn list_reports_every_error_with_its_line() {
        let text = [
            "代码,名称",          // 1
            "6-29,建筑施工人员",  // 2
            "6-2x,坏代码",        // 3
            "6-29-01,",           // 4
            "6-29,又一个",        // 5
            "6,生产制造人员",     // 6
            "6-30-01,缺上级",     // 7
            "6-29-01-02,缺上级2", // 8
            "\"6-31,未闭合引号",  // 9
            "",                   // 10
            "7-00,军人",          // 11
        ]
        .join("\n");
        let e = errors(&text);
        assert_eq!(
            e,
            [
                "第3行：职业代码“6-2x”格式不对，应为“6-29-01”这样的大典代码",
                "第4行：职业代码“6-29-01”缺少名称",
                "第5行：职业代码“6-29”与第2行重复",
                "第6行：大类“6”的名称应为“生产制造及有关人员”",
                "第7行：上级代码“6-30”不在文件中",
                "第8行：上级代码“6-29-01”不在文件中",
                "第9行：引号没有成对",
            ]
        );
    }

    #[test]
    fn list_parent_may_come_later() {
        let list = parse_list("6-29-01-02,砌筑工\n6-29-01,房屋建筑施工人员\n6-29,建筑施工人员\n")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(codes(&list), ["6-29", "6-29-01", "6-29-01-02"]);
        // A code whose parent is only in the file under an error still
        // reports the missing parent.
        let e = errors("6-29-01,\n6-29-01-02,砌筑工\n");
        assert_eq!(
            e,
            ["第1行：职业代码“6-29-01”缺少名称", "第2行：上级代码“6-29-01”不在文件中",]
        );
    }

    #[test]
    fn list_name_length() {
        let ok = "字".repeat(MAX_NAME_CHARS);
        let list = parse_list(&format!("6-29,{ok}")).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(list[0].name.chars().count(), 100);
        let long = "字".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(errors(&format!("6-29,{long}")), ["第1行：职业名称超过100个字"]);
        assert_eq!(errors("6-29"), ["第1行：职业代码“6-29”缺少名称"]);
    }

    #[test]
    fn list_empty() {
        assert_eq!(errors(""), ["文件中没有职业数据"]);
        assert_eq!(errors("\u{feff}代码,名称\n\n  \n,\n"), ["文件中没有职业数据"]);
    }

    #[test]
    fn list_caps_errors() {
        let text: String = (0..150).map(|i| format!("x{i},坏\n")).collect();
        let e = errors(&text);
        assert_eq!(e.len(), MAX_ERRORS);
        assert!(e[0].starts_with("第1行：职业代码“x0”"));
        assert!(e[98].starts_with("第99行："));
        assert_eq!(e[99], "另有51处错误未列出");
        // Exactly the cap: all listed.
        let text: String = (0..100).map(|i| format!("x{i},坏\n")).collect();
        let e = errors(&text);
        assert_eq!(e.len(), 100);
        assert!(e[99].starts_with("第100行："));
    }

    #[test]
    fn list_caps_rows() {
        // Groups before their members, so every prefix of the list is whole.
        let mut lines = vec!["code,name".to_string()];
        'fill: for m in 0..100 {
            lines.push(format!("6-{m:02},中类"));
            for s in 0..100 {
                lines.push(format!("6-{m:02}-{s:02},小类"));
                for t in 0..100 {
                    if lines.len() > MAX_ROWS + 1 {
                        break 'fill;
                    }
                    lines.push(format!("6-{m:02}-{s:02}-{t:02},细类"));
                }
            }
        }
        assert_eq!(lines.len(), MAX_ROWS + 2);
        let e = errors(&lines.join("\n"));
        assert_eq!(e, ["第20002行：文件最多20000行职业，请拆分后分批导入"]);
        // Exactly the cap is accepted.
        let list = parse_list(&lines[..=MAX_ROWS].join("\n")).unwrap_or_else(|e| panic!("{:?}", &e[..e.len().min(3)]));
        assert_eq!(list.len(), MAX_ROWS);
    }
}
