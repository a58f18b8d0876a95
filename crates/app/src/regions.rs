//! Regions (行政区划): the shipped Huangshan divisions, village imports, and
//! scoped reads of the tree.

use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::division::{DivisionCode, Level};

/// The project's own copy of Huangshan's divisions (NBS 2023).
pub const SEED_CSV: &str = include_str!("../../../data/huangshan_divisions.csv");

/// The city this installation serves.
pub const CITY_CODE: &str = "341000";

fn level_no(l: Level) -> i16 {
    match l {
        Level::Province => 1,
        Level::City => 2,
        Level::County => 3,
        Level::Township => 4,
        Level::Village => 5,
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RegionRow {
    pub code: i64,
    pub name: String,
    pub level: i16,
    pub parent_code: Option<i64>,
    pub unit_type: String,
}

impl RegionRow {
    pub fn division(&self) -> Option<DivisionCode> {
        DivisionCode::from_i64(self.code).ok()
    }

    /// The code as users write it (6, 9 or 12 digits).
    pub fn display_code(&self) -> String {
        self.division().map(|d| d.to_string()).unwrap_or_default()
    }

    pub fn level_label(&self) -> &'static str {
        match self.level {
            1 => "省",
            2 => "市",
            3 => "区县",
            4 => "乡镇（街道）",
            _ => "村（社区）",
        }
    }
}

/// One parsed region to store.
struct NewRegion {
    code: DivisionCode,
    name: String,
    unit_type: String,
}

async fn upsert(tx: &mut Tx, now: DateTime<Utc>, r: &NewRegion, source: &str) -> AppResult<()> {
    let parent = r.code.parent().map(|p| p.as_i64());
    let county = r.code.county().map(|c| c.as_i64());
    tx.exec(
        Sql::new(
            "INSERT INTO regions (code, name, level, parent_code, county_code, unit_type, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit_type = excluded.unit_type",
        )
        .bind(r.code.as_i64())
        .bind(r.name.clone())
        .bind(level_no(r.code.level()))
        .bind(parent)
        .bind(county)
        .bind(r.unit_type.clone())
        .bind(source)
        .bind(now),
    )
    .await?;
    Ok(())
}

/// Loads the shipped divisions (idempotent). Returns how many rows it holds.
pub async fn load_seed(tx: &mut Tx, now: DateTime<Utc>) -> AppResult<usize> {
    let mut n = 0;
    for (i, line) in SEED_CSV.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').collect();
        let bad = || AppError::Internal(format!("division seed line {}", i + 1));
        let code = DivisionCode::parse(cols.first().ok_or_else(bad)?).map_err(|_| bad())?;
        let name = cols.get(2).ok_or_else(bad)?.trim().to_string();
        let unit_type = cols.get(5).map(|s| s.trim().to_string()).unwrap_or_default();
        upsert(tx, now, &NewRegion { code, name, unit_type }, "seed").await?;
        n += 1;
    }
    Ok(n)
}

/// One problem in an imported file, with its row and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub row: usize,
    pub column: &'static str,
    pub message: String,
}

/// Imports villages/communities from CSV (`代码,名称`, a header row first).
/// All or nothing: any error leaves the database as it was.
pub async fn import_villages(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    now: DateTime<Utc>,
    csv: &str,
) -> Result<usize, (Vec<ImportError>, Option<AppError>)> {
    if !actor.can(Permission::ManageSystem) {
        return Err((Vec::new(), Some(AppError::Forbidden)));
    }
    let csv = csv.trim_start_matches('\u{feff}');
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in csv.lines().enumerate() {
        let row = i + 1;
        if i == 0 || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        let code = match DivisionCode::parse(cols.first().copied().unwrap_or_default()) {
            Ok(c) if c.level() == Level::Village => Some(c),
            Ok(_) => {
                errors.push(ImportError {
                    row,
                    column: "代码",
                    message: "应为12位村（社区）级区划代码".into(),
                });
                None
            }
            Err(e) => {
                errors.push(ImportError {
                    row,
                    column: "代码",
                    message: e.to_string(),
                });
                None
            }
        };
        let name = cols.get(1).copied().unwrap_or_default();
        if name.is_empty() || name.chars().count() > 40 {
            errors.push(ImportError {
                row,
                column: "名称",
                message: "名称不能为空且不超过40个字".into(),
            });
        }
        if let Some(c) = code {
            if !seen.insert(c) {
                errors.push(ImportError {
                    row,
                    column: "代码",
                    message: format!("代码 {c} 在文件中重复"),
                });
            }
            rows.push((
                row,
                NewRegion {
                    code: c,
                    name: name.to_string(),
                    unit_type: String::new(),
                },
            ));
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(ImportError {
            row: 1,
            column: "代码",
            message: "文件中没有数据行".into(),
        });
    }
    let result: AppResult<Vec<ImportError>> = async {
        let mut tx = db.write().await?;
        for (row, r) in &rows {
            let parent = r.code.parent().map(|p| p.as_i64()).unwrap_or_default();
            let n = tx
                .int(Sql::new("SELECT COUNT(*) FROM regions WHERE code = $1").bind(parent))
                .await?;
            if n == 0 {
                errors.push(ImportError {
                    row: *row,
                    column: "代码",
                    message: format!(
                        "所属乡镇（街道）{} 不存在",
                        r.code.parent().map(|p| p.to_string()).unwrap_or_default()
                    ),
                });
            }
        }
        if !errors.is_empty() {
            return Ok(std::mem::take(&mut errors));
        }
        for (_, r) in &rows {
            upsert(&mut tx, now, r, "import").await?;
        }
        audit::record(
            &mut tx,
            now,
            &Who::actor(actor, origin),
            Event::ok("region.import", "region", "").detail(format!("{}行", rows.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(Vec::new())
    }
    .await;
    match result {
        Ok(errs) if errs.is_empty() => Ok(rows.len()),
        Ok(mut errs) => {
            errs.sort_by_key(|e| e.row);
            Err((errs, None))
        }
        Err(e) => Err((Vec::new(), Some(e))),
    }
}

/// The ranges of region codes an actor may see: everything for the
/// administrator (who manages regions), the scope for everyone else.
fn visible(actor: &Actor) -> AppResult<Option<Vec<(i64, i64)>>> {
    if !actor.can(Permission::ViewRegions) {
        return Err(AppError::Forbidden);
    }
    Ok(if actor.can(Permission::ManageSystem) {
        None
    } else {
        Some(actor.scope.region_ranges())
    })
}

const REGION_COLUMNS: &str = "SELECT code, name, level, parent_code, unit_type FROM regions";

/// Every region the actor may see, in code order (a tree walk order).
pub async fn tree(db: &Db, actor: &Actor, max_level: i16) -> AppResult<Vec<RegionRow>> {
    let ranges = visible(actor)?;
    let mut q = Sql::new(REGION_COLUMNS);
    q.push(" WHERE level <= ").arg(max_level);
    if let Some(r) = &ranges {
        q.push(" AND ");
        q.in_ranges("code", r);
    }
    q.push(" ORDER BY code");
    db.read().await?.all(q).await
}

/// The counties and townships of the city, for the public pages' choices
/// (their names and codes are public).
pub async fn public_tree(db: &Db) -> AppResult<Vec<RegionRow>> {
    let mut q = Sql::new(REGION_COLUMNS);
    q.push(" WHERE level IN (3, 4) ORDER BY code");
    db.read().await?.all(q).await
}

/// One region with its children, if the actor may see it.
pub async fn get(db: &Db, actor: &Actor, code: DivisionCode) -> AppResult<(RegionRow, Vec<RegionRow>, Vec<RegionRow>)> {
    let ranges = visible(actor)?;
    if let Some(r) = &ranges
        && !r.iter().any(|(lo, hi)| (*lo..=*hi).contains(&code.as_i64()))
    {
        return Err(AppError::NotFound);
    }
    let mut tx = db.read().await?;
    let mut q = Sql::new(REGION_COLUMNS);
    q.push(" WHERE code = ").arg(code.as_i64());
    let region: RegionRow = tx.one(q).await?;
    let mut q = Sql::new(REGION_COLUMNS);
    q.push(" WHERE parent_code = ")
        .arg(code.as_i64())
        .push(" ORDER BY code");
    let children = tx.all(q).await?;
    // Ancestors, for the breadcrumb, limited to what the actor sees.
    let mut ancestors = Vec::new();
    let mut cur = code.parent();
    while let Some(p) = cur {
        if ranges
            .as_ref()
            .is_none_or(|r| r.iter().any(|(lo, hi)| (*lo..=*hi).contains(&p.as_i64())))
        {
            let mut q = Sql::new(REGION_COLUMNS);
            q.push(" WHERE code = ").arg(p.as_i64());
            if let Some(row) = tx.opt::<RegionRow>(q).await? {
                ancestors.push(row);
            }
        }
        cur = p.parent();
    }
    ancestors.reverse();
    Ok((region, children, ancestors))
}

/// Region counts by level in the actor's view (工作台).
pub async fn counts(db: &Db, actor: &Actor) -> AppResult<Vec<(i16, i64)>> {
    let ranges = visible(actor)?;
    let mut q = Sql::new("SELECT level, COUNT(*) FROM regions");
    if let Some(r) = &ranges {
        q.push(" WHERE ");
        q.in_ranges("code", r);
    }
    q.push(" GROUP BY level ORDER BY level");
    db.read().await?.all(q).await
}

/// The counties of the city and their townships (for scope pickers). Not scoped:
/// administrators assign scopes from the whole list.
pub async fn pickable(db: &Db, actor: &Actor) -> AppResult<Vec<RegionRow>> {
    if !actor.can(Permission::ManageUsers) {
        return Err(AppError::Forbidden);
    }
    let mut q = Sql::new(REGION_COLUMNS);
    q.push(" WHERE level <= 4 ORDER BY code");
    db.read().await?.all(q).await
}

/// The names of the city's counties, to name a township or a village with
/// its county as people say it (歙县三阳镇), not by its code.
#[derive(Clone, Debug, Default)]
pub struct CountyNames(std::collections::HashMap<i64, String>);

impl CountyNames {
    pub async fn load(db: &Db) -> AppResult<CountyNames> {
        let rows: Vec<(i64, String)> = db
            .read()
            .await?
            .all(Sql::new("SELECT code, name FROM regions WHERE level = 3"))
            .await?;
        Ok(CountyNames(rows.into_iter().collect()))
    }

    /// A county's name by its code.
    pub fn name_of(&self, county: i64) -> Option<&str> {
        self.0.get(&county).map(String::as_str)
    }

    /// `name` (the region's own) preceded by its county's, for a township or
    /// a village; a county or the city as it is.
    pub fn full(&self, code: i64, name: &str) -> String {
        full_name(&self.0, code, name)
    }
}

fn full_name(counties: &std::collections::HashMap<i64, String>, code: i64, name: &str) -> String {
    let county = DivisionCode::from_i64(code)
        .ok()
        .filter(|c| matches!(c.level(), Level::Township | Level::Village))
        .and_then(|c| c.county())
        .and_then(|c| counties.get(&c.as_i64()));
    match county {
        Some(county) if !name.starts_with(county.as_str()) => format!("{county}{name}"),
        _ => name.to_string(),
    }
}

/// Every region of the city in memory, to resolve places typed by people
/// (a code, a name, or a county name followed by a township name) quickly,
/// e.g. for each row of an import.
#[derive(Clone, Debug, Default)]
pub struct PlaceBook {
    names: std::collections::HashMap<i64, String>,
    counties: std::collections::HashMap<i64, String>,
    by_name: std::collections::HashMap<String, Vec<DivisionCode>>,
}

impl PlaceBook {
    pub async fn load(tx: &mut Tx) -> AppResult<PlaceBook> {
        let mut q = Sql::new(REGION_COLUMNS);
        q.push(" ORDER BY code");
        let rows: Vec<RegionRow> = tx.all(q).await?;
        let mut book = PlaceBook::default();
        let county_names: std::collections::HashMap<i64, String> = rows
            .iter()
            .filter(|r| r.level == 3)
            .map(|r| (r.code, r.name.clone()))
            .collect();
        book.counties = county_names.clone();
        for r in &rows {
            book.names.insert(r.code, r.name.clone());
            let Some(code) = r.division() else { continue };
            if r.level >= 4 {
                book.by_name.entry(r.name.clone()).or_default().push(code);
                if let Some(county) = code.county().and_then(|c| county_names.get(&c.as_i64())) {
                    book.by_name
                        .entry(format!("{county}{}", r.name))
                        .or_default()
                        .push(code);
                }
            }
        }
        Ok(book)
    }

    /// The name of a region ("" when unknown).
    pub fn name(&self, code: i64) -> &str {
        self.names.get(&code).map(String::as_str).unwrap_or("")
    }

    /// The name of a region with its county's before it (歙县三阳镇) for a
    /// township or a village ("" when unknown).
    pub fn full_name(&self, code: i64) -> String {
        match self.names.get(&code) {
            Some(name) => full_name(&self.counties, code, name),
            None => String::new(),
        }
    }

    /// A township or village of the city, by code or by (county +) name.
    pub fn resolve(&self, s: &str) -> Result<DivisionCode, String> {
        let t: String = shiminhua_core::record::normalise(s).split_whitespace().collect();
        if t.bytes().all(|b| b.is_ascii_digit()) {
            let code = DivisionCode::parse(&t).map_err(|e| e.to_string())?;
            if !matches!(code.level(), Level::Township | Level::Village) {
                return Err("应填写乡镇（街道）或村（社区）".into());
            }
            return if self.names.contains_key(&code.as_i64()) {
                Ok(code)
            } else {
                Err(format!("区划 {code} 不存在"))
            };
        }
        match self.by_name.get(&t).map(Vec::as_slice) {
            Some([one]) => Ok(*one),
            Some(_) => Err(format!("本市有多个“{t}”，请在前面加上区县名称，或填写区划代码")),
            None => Err(format!("本市没有名为“{t}”的乡镇（街道）或村（社区）")),
        }
    }
}

impl PlaceBook {
    /// A county of the city by code or name (歙县), else a township or
    /// village as [`PlaceBook::resolve`] finds it: a wanted place of work.
    pub fn resolve_area(&self, s: &str) -> Result<DivisionCode, String> {
        let t: String = shiminhua_core::record::normalise(s).split_whitespace().collect();
        if let Ok(code) = DivisionCode::parse(&t)
            && code.level() == Level::County
        {
            return if self.counties.contains_key(&code.as_i64()) {
                Ok(code)
            } else {
                Err(format!("区县 {code} 不在本市"))
            };
        }
        let county = self.counties.iter().filter(|(_, n)| **n == t).map(|(c, _)| *c).min();
        match county {
            Some(c) => DivisionCode::from_i64(c).map_err(|e| e.to_string()),
            None => self.resolve(&t),
        }
    }
}

impl shiminhua_core::record::Places for PlaceBook {
    fn place(&self, s: &str) -> Result<DivisionCode, String> {
        self.resolve(s)
    }
}
