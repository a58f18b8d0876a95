//! How far clear values narrow one person's ID number
//! (`docs/decisions/0003-id-masking.md`).
//!
//! A mask is judged by counting the ID numbers that everything a user sees
//! without the reveal permission (or everything a copy of the database holds
//! without the key) leaves possible for one person. [`Exposure`] collects
//! what clear text gives away about a given person's number and
//! [`Exposure::candidates`] enumerates the numbers consistent with it: every
//! date of the birth year (narrowed to a month or a day when the text gives
//! them away), every sequence of the person's sex, the check character
//! computed, and every mask-like fragment matched.
//!
//! The count is conservative: the address code, the birth year and the sex
//! are kept in clear on purpose and are always taken as known, so only what
//! goes beyond them can lower it.

use crate::error::AppResult;
use crate::store::{Db, Sql, dialect};
use chrono::{Datelike, NaiveDate};
use shiminhua_core::id_number::{IdNumber, Sex, check_char};

/// What clear text gives away about one person's ID number.
#[derive(Clone, Debug)]
pub struct Exposure {
    truth: IdNumber,
    /// The full number was seen.
    full: bool,
    /// The birth month was seen (e.g. "2016-03", "2016年3月").
    month: bool,
    /// The birth date was seen, in any common spelling.
    day: bool,
    /// Mask-like fragments consistent with the number: a character per
    /// position, `None` where hidden.
    patterns: Vec<[Option<u8>; 18]>,
}

impl Exposure {
    /// Nothing seen yet about `truth` beyond its address code, birth year and sex.
    pub fn new(truth: &IdNumber) -> Exposure {
        Exposure {
            truth: truth.clone(),
            full: false,
            month: false,
            day: false,
            patterns: Vec::new(),
        }
    }

    /// Takes in text that a user sees, or a value of a row that concerns the
    /// person. Dates are matched against the person's own birth date, mask
    /// fragments against the person's own number: a value that gives nothing
    /// away about this person changes nothing.
    pub fn see(&mut self, text: &str) {
        let id = self.truth.as_str();
        if text.contains(id) || text.contains(&id.to_ascii_lowercase()) {
            self.full = true;
        }
        let b = self.truth.birth_date();
        let (y, m, d) = (b.year(), b.month(), b.day());
        let days = [
            format!("{y}-{m:02}-{d:02}"),
            format!("{y}{m:02}{d:02}"),
            format!("{y}/{m:02}/{d:02}"),
            format!("{y}/{m}/{d}"),
            format!("{y}.{m:02}.{d:02}"),
            format!("{y}年{m}月{d}日"),
            format!("{y}年{m:02}月{d:02}日"),
        ];
        if days.iter().any(|s| text.contains(s.as_str())) {
            self.day = true;
        }
        let months = [
            format!("{y}-{m:02}"),
            format!("{y}/{m:02}"),
            format!("{y}年{m}月"),
            format!("{y}年{m:02}月"),
        ];
        if months.iter().any(|s| text.contains(s.as_str())) {
            self.month = true;
        }
        // 18 characters of digits, X and mask characters, starting with the
        // person's address code and agreeing with the number where shown.
        let chars: Vec<char> = text.chars().collect();
        let truth = id.as_bytes();
        for w in chars.windows(18) {
            let Some(p) = pattern(w) else { continue };
            let agrees = p.iter().zip(truth).all(|(c, t)| c.is_none_or(|c| c == *t));
            let shows_more_than_the_region = p.iter().skip(6).any(Option::is_some);
            if agrees && shows_more_than_the_region {
                self.patterns.push(p);
            }
        }
    }

    /// Takes in text about other people (a list, a row that does not
    /// concern the person): only the person's number and mask fragments
    /// consistent with it count, not dates (they are somebody else's).
    pub fn see_fragments(&mut self, text: &str) {
        let mut other = Exposure::new(&self.truth);
        other.see(text);
        self.full |= other.full;
        self.patterns.extend(other.patterns);
    }

    /// How many ID numbers are consistent with what was seen.
    pub fn candidates(&self) -> u64 {
        if self.full {
            return 1;
        }
        let b = self.truth.birth_date();
        let year = b.year();
        let Some(mut date) = NaiveDate::from_ymd_opt(year, 1, 1) else {
            return 0;
        };
        let region = self.truth.address_code();
        let odd = self.truth.sex() == Sex::Male;
        let mut count = 0u64;
        while date.year() == year {
            let fits = (!self.day || date == b) && (!self.month || date.month() == b.month());
            if fits {
                let head = format!("{region}{}", date.format("%Y%m%d"));
                for seq in 0..1000u16 {
                    if (seq % 2 == 1) != odd {
                        continue;
                    }
                    let first17 = format!("{head}{seq:03}");
                    let Some(check) = check_char(&first17) else { continue };
                    let mut n = [0u8; 18];
                    n[..17].copy_from_slice(first17.as_bytes());
                    n[17] = check as u8;
                    if self
                        .patterns
                        .iter()
                        .all(|p| p.iter().zip(n.iter()).all(|(c, d)| c.is_none_or(|c| c == *d)))
                    {
                        count += 1;
                    }
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        count
    }
}

/// An 18-character window read as a mask: digits and X shown, `*`, `＊`,
/// `×` or `#` hidden; `None` unless every character is one of these and at
/// least one is hidden or all are shown.
fn pattern(w: &[char]) -> Option<[Option<u8>; 18]> {
    let mut p = [None; 18];
    for (i, c) in w.iter().enumerate() {
        p[i] = match c {
            '0'..='9' => Some(*c as u8),
            'X' | 'x' => Some(b'X'),
            '*' | '＊' | '×' | '#' => None,
            _ => return None,
        };
    }
    Some(p)
}

/// Every clear value a copy of the database holds, row by row: for each row
/// of every table, the worker it concerns (the `id` of `workers`, the
/// `worker_id` column of any other table) and its non-binary cells joined
/// into one text. Binary cells (sealed values, blind indexes) are what the
/// key protects and are left out.
pub async fn database_copy(db: &Db) -> AppResult<Vec<(Option<i64>, String)>> {
    let mut tx = db.read().await?;
    let backend = tx.backend();
    let tables: Vec<(String,)> = tx.all(Sql::new(dialect::tables_query(backend))).await?;
    let mut out = Vec::new();
    for (table,) in tables {
        let columns: Vec<(String, String)> = tx
            .all(Sql::new(dialect::columns_query(backend)).bind(table.clone()))
            .await?;
        let text: Vec<String> = columns
            .iter()
            .filter(|(_, ty)| !matches!(ty.to_ascii_uppercase().as_str(), "BLOB" | "BYTEA"))
            .map(|(c, _)| dialect::text_or_empty(backend, c))
            .collect();
        if text.is_empty() {
            continue;
        }
        let link = if table == "workers" {
            "CAST(id AS BIGINT)"
        } else if columns.iter().any(|(c, _)| c == "worker_id") {
            "CAST(worker_id AS BIGINT)"
        } else {
            "CAST(NULL AS BIGINT)"
        };
        let sql = format!("SELECT {link}, {} FROM \"{table}\"", text.join(" || '|' || "));
        let rows: Vec<(Option<i64>, String)> = tx.all(Sql::new(&sql)).await?;
        out.extend(rows);
    }
    Ok(out)
}

/// What a copy of the database gives away about `person`, a member of the
/// household of worker `worker_id`: the rows that concern the household are
/// read whole, every other row for the person's number and its fragments.
pub fn from_copy(copy: &[(Option<i64>, String)], person: &IdNumber, worker_id: i64) -> Exposure {
    let mut e = Exposure::new(person);
    let region = person.address_code();
    for (link, text) in copy {
        if *link == Some(worker_id) {
            e.see(text);
        } else if text.contains(region) {
            e.see_fragments(text);
        }
    }
    e
}
