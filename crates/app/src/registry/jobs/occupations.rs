//! The occupation list: the 8 major groups of the 2022 classification
//! (shipped) and the finer groups an administrator loads from a file.

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use crate::{Call, require};
use shiminhua_core::auth::{Actor, Permission};
use shiminhua_core::jobs::occupation::{self, OccupationCode};
use std::collections::BTreeMap;

/// Every occupation known: code → name.
#[derive(Clone, Debug, Default)]
pub struct OccupationBook {
    names: BTreeMap<OccupationCode, String>,
}

impl OccupationBook {
    pub async fn load(tx: &mut Tx) -> AppResult<OccupationBook> {
        let mut names: BTreeMap<OccupationCode, String> = occupation::major_groups()
            .into_iter()
            .map(|o| (o.code, o.name))
            .collect();
        let rows: Vec<(String, String)> = tx.all(Sql::new("SELECT code, name FROM occupations")).await?;
        for (code, name) in rows {
            if let Ok(c) = OccupationCode::parse(&code) {
                names.insert(c, name);
            }
        }
        Ok(OccupationBook { names })
    }

    /// An occupation by its code, "code name", or its exact name.
    pub fn resolve(&self, s: &str) -> Result<OccupationCode, String> {
        let t = s.trim();
        let head = t.split_whitespace().next().unwrap_or("");
        if let Ok(code) = OccupationCode::parse(head) {
            return if self.names.contains_key(&code) {
                Ok(code)
            } else {
                Err(format!(
                    "职业代码“{code}”不在职业分类中，请核对或由系统管理员导入职业细类"
                ))
            };
        }
        let found: Vec<&OccupationCode> = self
            .names
            .iter()
            .filter(|(_, n)| n.as_str() == t)
            .map(|(c, _)| c)
            .collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!("没有名为“{t}”的职业，请填写职业分类大典的代码或名称")),
            _ => Err(format!("有多个名为“{t}”的职业，请填写代码")),
        }
    }

    /// The name of a code ("" when unknown).
    pub fn name(&self, code: &str) -> &str {
        OccupationCode::parse(code)
            .ok()
            .and_then(|c| self.names.get(&c))
            .map_or("", String::as_str)
    }

    /// "6-29-01 name", or the code alone when it is unknown.
    pub fn label(&self, code: &str) -> String {
        match self.name(code) {
            "" => code.to_string(),
            n => format!("{code} {n}"),
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// One occupation for the list page.
#[derive(Clone, Debug)]
pub struct OccupationRow {
    pub code: String,
    pub name: String,
    pub level: u8,
    /// Shipped with the system (a major group) rather than loaded.
    pub shipped: bool,
}

/// The occupations, major groups first then the loaded ones, by code;
/// `q` keeps those whose code or name contains it.
pub async fn list(db: &Db, actor: &Actor, q: &str) -> AppResult<Vec<OccupationRow>> {
    require(actor, Permission::ViewUnits)?;
    let mut tx = db.read().await?;
    let book = OccupationBook::load(&mut tx).await?;
    let q = q.trim();
    Ok(book
        .names
        .iter()
        .filter(|(c, n)| q.is_empty() || c.as_str().contains(q) || n.contains(q))
        .map(|(c, n)| OccupationRow {
            code: c.to_string(),
            name: n.clone(),
            level: c.level(),
            shipped: c.level() == 1,
        })
        .collect())
}

/// Replaces the loaded finer groups with those of a file (CSV text, see
/// `occupation::parse_list`); the whole file or nothing. Returns the number
/// of rows loaded.
pub async fn load_file(call: &Call<'_>, text: &str) -> AppResult<usize> {
    require(call.actor, Permission::ManageSystem)?;
    let list = occupation::parse_list(text).map_err(|errs| AppError::BadRequest(errs.join("\n")))?;
    let finer: Vec<_> = list.into_iter().filter(|o| o.code.level() > 1).collect();
    let mut tx = call.db.write().await?;
    tx.exec(Sql::new("DELETE FROM occupations")).await?;
    let by = call.actor.display_name.clone();
    for chunk in finer.chunks(500) {
        let mut q = Sql::new("INSERT INTO occupations (code, name, major, level, loaded_at, loaded_by) VALUES ");
        for (i, o) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .arg(o.code.as_str())
                .push(", ")
                .arg(o.name.clone())
                .push(", ")
                .arg(i64::from(o.code.major()))
                .push(", ")
                .arg(i64::from(o.code.level()))
                .push(", ")
                .arg(call.now)
                .push(", ")
                .arg(by.clone())
                .push(")");
        }
        tx.exec(q).await?;
    }
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("occupations.load", "occupations", finer.len()).detail(format!("rows={}", finer.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(finer.len())
}
