//! Units (责任单位): the task force's member units at city level and their
//! county counterparts, and the task force itself (工作专班).

use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use shiminhua_core::auth::{Actor, KindSet, Permission, RecordKind};
use shiminhua_core::division::DivisionCode;

pub const UNITS_CSV: &str = include_str!("../../../data/units.csv");
pub const TASKFORCE_CSV: &str = include_str!("../../../data/taskforce.csv");
/// Each member unit's record kinds (`dept,kind;kind…`): what a department
/// account of that unit holds unless told otherwise.
pub const UNIT_KINDS_CSV: &str = include_str!("../../../data/unit_kinds.csv");

/// The record kinds a unit of department `dept` (e.g. `jyj`) owns; empty
/// for a unit that owns none.
pub fn default_kinds(dept: &str) -> KindSet {
    UNIT_KINDS_CSV
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .find(|(d, _)| d.trim() == dept)
        .map(|(_, kinds)| kinds.split(';').filter_map(RecordKind::from_code).collect())
        .unwrap_or_default()
}

/// The default record kinds of a unit by its id (see [`default_kinds`]).
pub async fn default_kinds_of(db: &Db, unit_id: i64) -> AppResult<KindSet> {
    let row: Option<(String,)> = db
        .read()
        .await?
        .opt(Sql::new("SELECT dept FROM units WHERE id = $1").bind(unit_id))
        .await?;
    Ok(row.map(|(d,)| default_kinds(&d)).unwrap_or_default())
}

/// The task-force positions in the order the plan lists them.
pub const POSITIONS: [&str; 4] = ["组长", "副组长", "成员", "联络员"];

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UnitRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub dept: String,
    pub region_code: i64,
    pub region_name: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub position: String,
    pub person_name: String,
    pub title: String,
    pub unit_name: String,
}

fn seed_err(what: &str, line: usize) -> AppError {
    AppError::Internal(format!("{what} seed line {line}"))
}

/// Loads the member units for the city and every county, and the task force
/// (idempotent: existing rows are kept).
pub async fn load_seed(tx: &mut Tx) -> AppResult<usize> {
    let counties: Vec<(i64, String)> = tx
        .all(Sql::new("SELECT code, name FROM regions WHERE level = 3 ORDER BY code"))
        .await?;
    let city = DivisionCode::parse(crate::regions::CITY_CODE).map_err(|_| seed_err("city", 0))?;
    let mut n = 0;
    for (i, line) in UNITS_CSV.lines().enumerate().skip(1) {
        let c: Vec<&str> = line.split(',').map(str::trim).collect();
        if c.len() != 5 {
            return Err(seed_err("units", i + 1));
        }
        let (dept, city_name, city_short, suffix, short_suffix) = (c[0], c[1], c[2], c[3], c[4]);
        let sort = (i as i64) * 100;
        insert_unit(
            tx,
            &format!("{city}-{dept}"),
            city_name,
            city_short,
            dept,
            city.as_i64(),
            sort,
        )
        .await?;
        n += 1;
        for (k, (code, cname)) in counties.iter().enumerate() {
            let county = DivisionCode::from_i64(*code).map_err(|_| seed_err("county", i + 1))?;
            insert_unit(
                tx,
                &format!("{county}-{dept}"),
                &format!("{cname}{suffix}"),
                &format!("{cname}{short_suffix}"),
                dept,
                *code,
                sort + 1 + k as i64,
            )
            .await?;
            n += 1;
        }
    }
    let existing = tx.int(Sql::new("SELECT COUNT(*) FROM taskforce_members")).await?;
    if existing == 0 {
        for (i, line) in TASKFORCE_CSV.lines().enumerate().skip(1) {
            let c: Vec<&str> = line.split(',').map(str::trim).collect();
            if c.len() != 4 {
                return Err(seed_err("taskforce", i + 1));
            }
            let unit_code = format!("{city}-{}", c[2]);
            let (unit_id,): (i64,) = tx
                .one(Sql::new("SELECT id FROM units WHERE code = $1").bind(unit_code))
                .await?;
            tx.exec(
                Sql::new("INSERT INTO taskforce_members (position, person_name, unit_id, title, sort) VALUES ($1, $2, $3, $4, $5)")
                    .bind(c[0])
                    .bind(c[1])
                    .bind(unit_id)
                    .bind(c[3])
                    .bind(i as i64),
            )
            .await?;
        }
    }
    Ok(n)
}

async fn insert_unit(
    tx: &mut Tx,
    code: &str,
    name: &str,
    short: &str,
    dept: &str,
    region: i64,
    sort: i64,
) -> AppResult<()> {
    tx.exec(
        Sql::new("INSERT INTO units (code, name, short_name, dept, region_code, sort) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING")
            .bind(code)
            .bind(name)
            .bind(short)
            .bind(dept)
            .bind(region)
            .bind(sort),
    )
    .await?;
    Ok(())
}

const UNIT_COLUMNS: &str = "SELECT u.id, u.code, u.name, u.short_name, u.dept, u.region_code, r.name AS region_name FROM units u JOIN regions r ON r.code = u.region_code";

/// Units the actor may see: the city's member units, and county units inside
/// the actor's scope (all of them for the administrator).
pub async fn list(db: &Db, actor: &Actor) -> AppResult<Vec<UnitRow>> {
    if !actor.can(Permission::ViewUnits) {
        return Err(AppError::Forbidden);
    }
    let mut q = Sql::new(UNIT_COLUMNS);
    if !actor.can(Permission::ManageSystem) {
        q.push(" WHERE (r.level = 2 OR ");
        q.in_ranges("u.region_code", &actor.scope.region_ranges());
        q.push(")");
    }
    q.push(" ORDER BY u.region_code, u.sort");
    db.read().await?.all(q).await
}

/// All units, for the administrator's pickers.
pub async fn all(db: &Db, actor: &Actor) -> AppResult<Vec<UnitRow>> {
    if !actor.can(Permission::ManageUsers) {
        return Err(AppError::Forbidden);
    }
    let mut q = Sql::new(UNIT_COLUMNS);
    q.push(" ORDER BY u.region_code, u.sort");
    db.read().await?.all(q).await
}

/// The task force, in the order of the plan's attachment.
pub async fn taskforce(db: &Db, actor: &Actor) -> AppResult<Vec<MemberRow>> {
    if !actor.can(Permission::ViewUnits) {
        return Err(AppError::Forbidden);
    }
    db.read()
        .await?
        .all(Sql::new(
            "SELECT m.position, m.person_name, m.title, u.name AS unit_name FROM taskforce_members m JOIN units u ON u.id = m.unit_id ORDER BY m.sort",
        ))
        .await
}

/// Looks a unit up by its code (`341000-rsj`), for the command line.
pub async fn id_by_code(db: &Db, code: &str) -> AppResult<Option<i64>> {
    let row: Option<(i64,)> = db
        .read()
        .await?
        .opt(Sql::new("SELECT id FROM units WHERE code = $1").bind(code))
        .await?;
    Ok(row.map(|(id,)| id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_has_a_row_of_kinds() {
        for line in UNITS_CSV.lines().skip(1) {
            let dept = line.split(',').next().unwrap();
            let row = UNIT_KINDS_CSV
                .lines()
                .skip(1)
                .find(|l| l.starts_with(&format!("{dept},")));
            let row = row.unwrap_or_else(|| panic!("{dept} has no row in unit_kinds.csv"));
            for code in row.split_once(',').unwrap().1.split(';').filter(|c| !c.is_empty()) {
                assert!(RecordKind::from_code(code).is_some(), "{dept}: {code}");
            }
        }
        let one = |k: RecordKind| [k].into_iter().collect::<KindSet>();
        assert_eq!(default_kinds("jyj"), one(RecordKind::Schooling));
        let two = |a: RecordKind, b: RecordKind| [a, b].into_iter().collect::<KindSet>();
        assert_eq!(default_kinds("zjj"), two(RecordKind::Housing, RecordKind::Project));
        assert_eq!(default_kinds("slj"), one(RecordKind::Project));
        assert_eq!(default_kinds("zgh"), two(RecordKind::Training, RecordKind::JobService));
        assert!(default_kinds("rsj").contains(RecordKind::JobService));
        assert_eq!(default_kinds("gaj"), one(RecordKind::Settlement));
        assert_eq!(default_kinds("ybj"), one(RecordKind::Insurance));
        assert!(default_kinds("czj").is_empty());
        assert!(default_kinds("nobody").is_empty());
    }
}
