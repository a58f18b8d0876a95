//! Header detection and column mapping, shared by both formats: the
//! header row found among the first rows, its columns matched to the
//! template's after normalising both.

use super::ReadError;
use super::{Cell, MAX_COLS, RawRow};
use crate::registry::import::read_error::HEADER_SCAN_ROWS;

// Header detection and column mapping (shared by both formats)

/// A producer of physical rows.
pub(super) trait Source {
    /// Appends the next row to `out` as (0-based column, cell) pairs, leaving out empty cells and,
    /// when `map` is given, columns it does not map. Returns the row's 1-based number, or `None`
    /// at the end.
    fn next_row(&mut self, map: Option<&[Option<usize>]>, out: &mut Vec<(u32, Cell)>)
    -> Result<Option<u64>, ReadError>;
}

pub(super) fn wanted(map: Option<&[Option<usize>]>, col: u32) -> bool {
    match map {
        None => col < MAX_COLS,
        Some(m) => matches!(m.get(col as usize), Some(Some(_))),
    }
}

/// A header name compared loosely: trimmed, full-width ASCII made half-width, whitespace removed,
/// ASCII lower-cased, required marks (`*`, `＊`) removed from both ends and, with `drop_note`, a
/// parenthesised note at the end removed ("月收入（元）" -> "月收入").
pub(crate) fn normalize(s: &str, drop_note: bool) -> String {
    let mut t: String = s
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    loop {
        let before = t.len();
        let trimmed = t.trim_matches('*');
        if trimmed.len() != t.len() {
            t = trimmed.to_string();
        }
        if drop_note
            && t.ends_with(')')
            && let Some(open) = t.rfind('(')
            && open > 0
        {
            t.truncate(open);
        }
        if t.len() == before {
            return t;
        }
    }
}

fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// An expected column's names, normalised both ways.
struct Target {
    strict: Vec<String>,
    loose: Vec<String>,
}

/// How a file column was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// Its header is one of the column's names.
    Name,
    /// The user mapped it (to a column, or to nothing).
    User,
    /// A column that is never data (序号, the rejected-rows workbook's own columns).
    Skipped,
    /// Nobody knows it: left out unless the user maps it.
    Unknown,
}

/// One column of the header row found.
#[derive(Clone, Debug, PartialEq)]
pub struct HeaderColumn {
    /// The header as typed (trimmed).
    pub name: String,
    /// The expected column it is read as.
    pub target: Option<usize>,
    pub by: MatchedBy,
}

/// For each file column of the header row: the expected column it is read as. The user's
/// mapping first, then exact (normalised) names, then names without their parenthesised notes;
/// each expected column takes one file column, leftmost first.
fn match_columns(row: &[(u32, Cell)], targets: &[Target], layout: &Layout) -> Vec<(u32, HeaderColumn)> {
    let user: Vec<(String, Option<usize>)> = layout.mapped.iter().map(|(h, t)| (normalize(h, false), *t)).collect();
    let skipped: Vec<String> = layout.skipped.iter().map(|h| normalize(h, true)).collect();
    let mut cols: Vec<(u32, String, String, HeaderColumn)> = row
        .iter()
        .filter_map(|(c, cell)| {
            let text = cell.to_text();
            let strict = normalize(&text, false);
            (!strict.is_empty()).then(|| {
                let loose = normalize(&text, true);
                let name = text.trim().to_string();
                (
                    *c,
                    strict,
                    loose,
                    HeaderColumn {
                        name,
                        target: None,
                        by: MatchedBy::Unknown,
                    },
                )
            })
        })
        .collect();
    let mut taken = vec![false; targets.len()];
    for (_, strict, _, hc) in &mut cols {
        if let Some((_, t)) = user.iter().find(|(h, _)| h == strict) {
            hc.by = MatchedBy::User;
            if let Some(i) = t.filter(|i| *i < targets.len() && !taken[*i]) {
                taken[i] = true;
                hc.target = Some(i);
            }
        }
    }
    for loose in [false, true] {
        for (i, t) in targets.iter().enumerate() {
            if taken[i] {
                continue;
            }
            let names = if loose { &t.loose } else { &t.strict };
            let hit = cols.iter_mut().find(|(_, s, l, hc)| {
                hc.by == MatchedBy::Unknown
                    && names
                        .iter()
                        .any(|n| !n.is_empty() && if loose { l == n } else { s == n })
            });
            if let Some((_, _, _, hc)) = hit {
                hc.by = MatchedBy::Name;
                hc.target = Some(i);
                taken[i] = true;
            }
        }
    }
    for (_, _, loose, hc) in &mut cols {
        if hc.by == MatchedBy::Unknown && skipped.contains(loose) {
            hc.by = MatchedBy::Skipped;
        }
    }
    cols.into_iter().map(|(c, _, _, hc)| (c, hc)).collect()
}

/// What a file's header row is matched against.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Per expected column, the names it is known by; the first is its header.
    pub names: Vec<Vec<String>>,
    pub required: Vec<bool>,
    /// The first `template` columns are the template's: a header row holds at least half of
    /// them (or all required columns), and the error for a file without one lists them.
    pub template: usize,
    /// File headers (as typed) the user mapped: to an expected column, or to nothing.
    pub mapped: Vec<(String, Option<usize>)>,
    /// Headers left out without asking.
    pub skipped: Vec<String>,
}

impl Layout {
    /// A layout of plain headers, all of them the template's.
    pub fn plain(expected: &[String], required: &[bool]) -> Layout {
        Layout {
            names: expected.iter().map(|e| vec![e.clone()]).collect(),
            required: required.to_vec(),
            template: expected.len(),
            ..Layout::default()
        }
    }

    fn headers(&self, n: usize) -> Vec<String> {
        self.names
            .iter()
            .take(n)
            .map(|n| n.first().cloned().unwrap_or_default())
            .collect()
    }
}

pub(super) struct Header {
    pub(super) line: u64,
    /// file column -> expected column
    pub(super) map: Vec<Option<usize>>,
    pub(super) missing: Vec<String>,
    pub(super) columns: Vec<HeaderColumn>,
}

pub(super) fn find_header<S: Source>(src: &mut S, layout: &Layout) -> Result<Header, ReadError> {
    let targets: Vec<Target> = layout
        .names
        .iter()
        .map(|names| Target {
            strict: names.iter().map(|n| normalize(n, false)).collect(),
            loose: names.iter().map(|n| normalize(n, true)).collect(),
        })
        .collect();
    let template = layout.template.min(targets.len());
    let required = &layout.required;
    let mut row = Vec::new();
    let mut seen = 0;
    while seen < HEADER_SCAN_ROWS {
        row.clear();
        let Some(line) = src.next_row(None, &mut row)? else {
            break;
        };
        if row.iter().all(|(_, c)| c.is_blank()) {
            continue;
        }
        seen += 1;
        let matched = match_columns(&row, &targets, layout);
        let mut cols: Vec<Option<u32>> = vec![None; targets.len()];
        for (c, hc) in &matched {
            if let Some(slot) = hc.target.and_then(|i| cols.get_mut(i)) {
                *slot = Some(*c);
            }
        }
        let found = cols.iter().take(template).flatten().count();
        // The header: at least half of the template's columns, or all of its
        // required ones (a file with only the required columns is fine).
        let has_required = required.iter().any(|r| *r)
            && required
                .iter()
                .enumerate()
                .filter(|(_, r)| **r)
                .all(|(i, _)| cols.get(i).is_some_and(Option::is_some));
        if found == 0 || (found * 2 < template && !has_required) {
            continue;
        }
        let absent = |want_required: bool| -> Vec<String> {
            cols.iter()
                .zip(layout.headers(cols.len()))
                .enumerate()
                .filter(|(i, (c, _))| c.is_none() && required.get(*i).copied().unwrap_or(false) == want_required)
                .map(|(_, (_, name))| name)
                .collect()
        };
        let missing_required = absent(true);
        if !missing_required.is_empty() {
            return Err(ReadError::MissingColumns {
                line,
                columns: missing_required,
            });
        }
        let width = cols.iter().flatten().max().map_or(0, |m| *m as usize + 1);
        let mut map = vec![None; width];
        for (i, c) in cols.iter().enumerate() {
            if let Some(slot) = c.and_then(|c| map.get_mut(c as usize)) {
                *slot = Some(i);
            }
        }
        return Ok(Header {
            line,
            map,
            missing: absent(false),
            columns: matched.into_iter().map(|(_, hc)| hc).collect(),
        });
    }
    if seen == 0 {
        Err(ReadError::Empty)
    } else {
        Err(ReadError::WrongTemplate {
            expected: layout.headers(template),
        })
    }
}

/// Data rows after the header, mapped to the template's columns.
pub(super) struct Rows<S> {
    src: S,
    map: Vec<Option<usize>>,
    width: usize,
    scratch: Vec<(u32, Cell)>,
}

impl<S: Source> Rows<S> {
    pub(super) fn new(src: S, map: Vec<Option<usize>>, width: usize) -> Self {
        Rows {
            src,
            map,
            width,
            scratch: Vec::new(),
        }
    }

    /// The next row with anything in the template's columns.
    pub(super) fn next_row(&mut self) -> Result<Option<RawRow>, ReadError> {
        loop {
            self.scratch.clear();
            let Some(line) = self.src.next_row(Some(&self.map), &mut self.scratch)? else {
                return Ok(None);
            };
            if self.scratch.iter().all(|(_, c)| c.is_blank()) {
                continue;
            }
            return Ok(Some(place(line, self.scratch.drain(..), &self.map, self.width)));
        }
    }
}

/// A row of `width` template columns from (file column, cell) pairs.
pub(super) fn place(
    line: u64,
    found: impl Iterator<Item = (u32, Cell)>,
    map: &[Option<usize>],
    width: usize,
) -> RawRow {
    let mut cells = vec![Cell::Empty; width];
    for (col, cell) in found {
        if let Some(Some(i)) = map.get(col as usize)
            && let Some(slot) = cells.get_mut(*i)
        {
            *slot = cell;
        }
    }
    RawRow { line, cells }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;
    use super::*;

    #[test]
    fn header_normalisation() {
        assert_eq!(normalize(" ＊身份证号 ", false), "身份证号");
        assert_eq!(normalize("*姓 名*", false), "姓名");
        assert_eq!(normalize("月收入（元）", true), "月收入");
        assert_eq!(normalize("月收入(元)", false), "月收入(元)");
        assert_eq!(normalize("姓名（必填）*", true), "姓名");
        assert_eq!(normalize("ＩＤ　Ｎｏ", false), "idno");
        assert_eq!(normalize("(备注)", true), "(备注)");
        assert_eq!(normalize("\u{FEFF}姓名", false), "姓名");
    }

    #[test]
    fn other_names_mapping_and_columns_left_out() {
        let dir = TempDir::new("read");
        let layout = Layout {
            names: vec![
                vec!["姓名".into()],
                vec!["身份证号".into(), "身份证号码".into(), "公民身份号码".into()],
                vec!["职业技能".into()],
                vec!["备注".into()],
            ],
            required: vec![true, true, false, false],
            template: 4,
            mapped: vec![("技能 特长".into(), Some(2)), ("工号".into(), None)],
            skipped: vec!["序号".into()],
        };
        let p = file(
            &dir,
            "r.csv",
            "某镇花名册\n序号,姓名,公民身份号码,技能特长,工号,民族\n1,张三,341,电工,A7,汉\n".as_bytes(),
        );
        let r = open_layout(&p, &layout).expect("open");
        let seen: Vec<(&str, Option<usize>, MatchedBy)> =
            r.columns().iter().map(|c| (c.name.as_str(), c.target, c.by)).collect();
        assert_eq!(
            seen,
            [
                ("序号", None, MatchedBy::Skipped),
                ("姓名", Some(0), MatchedBy::Name),
                ("公民身份号码", Some(1), MatchedBy::Name),
                ("技能特长", Some(2), MatchedBy::User),
                ("工号", None, MatchedBy::User),
                ("民族", None, MatchedBy::Unknown),
            ]
        );
        assert_eq!(r.header_line(), 2);
        let got = rows(r);
        assert_eq!(texts(&got[0]), ["张三", "341", "电工", ""]);

        // The user's choice comes before a header's own name.
        let twice = Layout {
            mapped: vec![("民族".into(), Some(0))],
            ..layout.clone()
        };
        let r = open_layout(&p, &twice).expect("open");
        assert_eq!(texts(&rows(r)[0]), ["汉", "341", "", ""]);
    }

    #[test]
    fn wrong_template() {
        let dir = TempDir::new("read");
        let p = file(
            &dir,
            "w.csv",
            "单位名称,统一社会信用代码,地址\n某局,123,某路\n".as_bytes(),
        );
        let e = open_err(&p);
        assert_eq!(
            e,
            ReadError::WrongTemplate {
                expected: TEMPLATE.iter().map(|s| s.to_string()).collect()
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("姓名、身份证号、月收入（元）、备注"), "{msg}");
        assert!(msg.contains("不是本模板"), "{msg}");
        assert_eq!(e.line(), None);

        let p = xlsx(&dir, "w.xlsx", |ws| {
            ws.write_string(0, 0, "单位名称")?;
            ws.write_string(1, 0, "某局")?;
            Ok(())
        });
        assert!(matches!(open_err(&p), ReadError::WrongTemplate { .. }));

        // The header must be among the first 20 non-empty rows.
        let mut text = String::new();
        for i in 0..20 {
            text.push_str(&format!("说明第{i}行\n"));
        }
        text.push_str("姓名,身份证号\n张三,1\n");
        let p = file(&dir, "late.csv", text.as_bytes());
        assert!(matches!(open_err(&p), ReadError::WrongTemplate { .. }));
    }

    #[test]
    fn required_column_missing() {
        let dir = TempDir::new("read");
        let p = file(&dir, "m.csv", "说明\n姓名,月收入,备注\n张三,1,\n".as_bytes());
        let e = open_err(&p);
        assert_eq!(
            e,
            ReadError::MissingColumns {
                line: 2,
                columns: vec!["身份证号".into()]
            }
        );
        assert_eq!(e.line(), Some(2));
        assert!(e.to_string().contains("身份证号"));

        let p = xlsx(&dir, "m.xlsx", |ws| {
            ws.write_string(0, 0, "身份证号")?;
            ws.write_string(0, 1, "备注")?;
            ws.write_string(0, 2, "月收入")?;
            Ok(())
        });
        assert_eq!(
            open_err(&p),
            ReadError::MissingColumns {
                line: 1,
                columns: vec!["姓名".into()]
            }
        );
    }
}
