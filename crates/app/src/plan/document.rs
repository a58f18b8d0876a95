//! The plan (目标与举措) in the database: the shipped Huangshan 2023 plan
//! loaded at set-up, read by everyone signed in, edited as TOML text by the
//! task-force office with every earlier text kept (`plan_versions`).

use crate::audit::{self, Event, Who};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::plan::in_force;
use crate::store::{Db, Sql, Tx};
use crate::{Call, Origin};
use chrono::{DateTime, Utc};
use shiminhua_core::auth::Permission;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::plan::{self, Plan};
use std::collections::BTreeMap;

/// The shipped plan file, embedded so that a fresh binary needs no files.
pub const SHIPPED_TOML: &str = include_str!("../../../../data/plans/huangshan-2023.toml");

/// The longest plan text accepted (the shipped one is about 40 KB).
pub const MAX_TEXT: usize = 1024 * 1024;

/// The longest change note accepted, in characters.
pub const MAX_NOTE: usize = 200;

/// The plan as stored now.
#[derive(Clone, Debug)]
pub struct Current {
    pub plan: Plan,
    pub text: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// One stored version, for the history page.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub note: String,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    toml: String,
    version: i64,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

async fn row(tx: &mut Tx) -> AppResult<Option<PlanRow>> {
    tx.opt(Sql::new(
        "SELECT id, toml, version, updated_at, updated_by FROM plans ORDER BY id LIMIT 1",
    ))
    .await
}

/// Stores the shipped plan when there is none yet (idempotent: an edited plan
/// is never replaced). Returns whether it was loaded now.
pub async fn load_seed(tx: &mut Tx, now: DateTime<Utc>) -> AppResult<bool> {
    if row(tx).await?.is_some() {
        return Ok(false);
    }
    let p = plan::parse(SHIPPED_TOML, in_force::context()).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
        AppError::Internal(format!("shipped plan invalid: {}", lines.join("; ")))
    })?;
    let who = Who::system(&Origin::cli());
    let (id,): (i64,) = tx
        .one(
            Sql::new(
                "INSERT INTO plans (code, title, toml, version, updated_at, updated_by) VALUES ($1, $2, $3, 1, $4, $5) RETURNING id",
            )
            .bind(p.meta.id.clone())
            .bind(p.meta.title.clone())
            .bind(SHIPPED_TOML)
            .bind(now)
            .bind(who.actor_name.clone()),
        )
        .await?;
    tx.exec(
        Sql::new(
            "INSERT INTO plan_versions (plan_id, version, toml, changed_at, changed_by, note) VALUES ($1, 1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(SHIPPED_TOML)
        .bind(now)
        .bind(who.actor_name)
        .bind("初始化载入《开展县域农民工市民化质量提升行动实施方案》"),
    )
    .await?;
    Ok(true)
}

/// The plan in force, its text and version. Everyone signed in may read it.
pub async fn current(db: &Db) -> AppResult<Current> {
    let mut tx = db.read().await?;
    let r = row(&mut tx).await?.ok_or(AppError::NotFound)?;
    let plan = in_force::parsed(&r.toml)?;
    Ok(Current {
        plan: (*plan).clone(),
        text: r.toml,
        version: r.version,
        updated_at: r.updated_at,
        updated_by: r.updated_by,
    })
}

/// Every version of the plan, newest first.
pub async fn history(db: &Db) -> AppResult<Vec<VersionRow>> {
    let mut tx = db.read().await?;
    let r = row(&mut tx).await?.ok_or(AppError::NotFound)?;
    tx.all(
        Sql::new(
            "SELECT version, changed_at, changed_by, note FROM plan_versions WHERE plan_id = $1 ORDER BY version DESC",
        )
        .bind(r.id),
    )
    .await
}

/// Checks `text` with the plan rules: every problem as a `toml` field error
/// reading "第N行：…".
pub fn check(text: &str) -> AppResult<Plan> {
    if text.trim().is_empty() {
        return Err(AppError::field("toml", "计划文本不能为空。"));
    }
    if text.len() > MAX_TEXT {
        return Err(AppError::field("toml", "计划文本超过1MB，请检查是否粘贴了多余内容。"));
    }
    plan::parse(text, in_force::context()).map_err(|errs| {
        let mut f = FieldErrors::default();
        for e in errs {
            f.add("toml", e.to_string());
        }
        AppError::Validation(f)
    })
}

/// Saves a new text of the plan, if it reads and nobody saved meanwhile
/// (`version` is the one the editor started from). The earlier text stays in
/// `plan_versions`. Returns the new version.
pub async fn save(call: &Call<'_>, text: &str, version: i64, note: &str) -> AppResult<i64> {
    crate::require(call.actor, Permission::ManagePlan)?;
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(AppError::field("note", format!("修改说明不能超过{MAX_NOTE}个字。")));
    }
    let p = check(text)?;
    let mut tx = call.db.write().await?;
    let cur = row(&mut tx).await?.ok_or(AppError::NotFound)?;
    let stale = || {
        AppError::Conflict(format!(
            "保存失败：目标计划已被他人修改（您打开的是第{version}版，现为第{}版）。请刷新页面查看最新内容后再修改，您填写的内容仍保留在编辑框中。",
            cur.version
        ))
    };
    if cur.version != version {
        return Err(stale());
    }
    if cur.toml == text {
        return Err(AppError::field("toml", "计划文本没有改动，无需保存。"));
    }
    let next = version + 1;
    let n = tx
        .exec(
            Sql::new(
                "UPDATE plans SET code = $1, title = $2, toml = $3, version = $4, updated_at = $5, updated_by = $6 WHERE id = $7 AND version = $8",
            )
            .bind(p.meta.id.clone())
            .bind(p.meta.title.clone())
            .bind(text)
            .bind(next)
            .bind(call.now)
            .bind(call.actor.username.clone())
            .bind(cur.id)
            .bind(version),
        )
        .await?;
    if n != 1 {
        return Err(stale());
    }
    // New target definitions: their figures are recomputed with the save.
    let before = check(&cur.toml).ok();
    if before.is_none_or(|b| b.targets != p.targets || b.meta.region != p.meta.region || b.meta.start != p.meta.start) {
        crate::plan::indicators::rebuild_in(&mut tx, &p).await?;
    }
    tx.exec(
        Sql::new(
            "INSERT INTO plan_versions (plan_id, version, toml, changed_at, changed_by, note) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(cur.id)
        .bind(next)
        .bind(text)
        .bind(call.now)
        .bind(call.actor.username.clone())
        .bind(note),
    )
    .await?;
    audit::record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("plan.update", "plan", p.meta.id.clone()).detail(format!("version={next}")),
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// One target's allocation as the office enters it on 任务分解: the city
/// figure (`None`: the sum of the allocations) and each county's share.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Allocation {
    pub value: Option<String>,
    pub counties: BTreeMap<DivisionCode, String>,
}

/// Figures typed on the allocation form are read by the core.
pub use shiminhua_core::plan::allocation_figure;

/// The plan text with the given targets' `value` and `allocation` replaced
/// (分解下达). Only the targets named change; everything else, comments
/// included, stays as written. The lines are rewritten within each
/// target's own table: `value = …` is replaced or removed, an `allocation`
/// key or `[target.allocation]` table is removed and one inline table is
/// written after the target's last key.
pub fn with_allocations(text: &str, changes: &BTreeMap<String, Allocation>) -> AppResult<String> {
    #[derive(PartialEq)]
    enum Section {
        Other,
        Target,
        TargetAllocation,
    }
    fn key_of(line: &str) -> Option<&str> {
        let t = line.trim_start();
        if t.starts_with('#') || t.starts_with('[') {
            return None;
        }
        let (k, _) = t.split_once('=')?;
        Some(k.trim().trim_matches('"'))
    }
    // First pass: split into target blocks so that each can be rewritten
    // knowing its id.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len() + 256);
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "[[target]]" {
            out.push_str(lines[i]);
            i += 1;
            continue;
        }
        // The target's block runs to the next [[target]] or a header that
        // is not a sub-table of this target.
        let start = i;
        i += 1;
        while i < lines.len() {
            let t = lines[i].trim();
            if t.starts_with('[') && (t == "[[target]]" || !(t.starts_with("[target.") || t.starts_with("[[target."))) {
                break;
            }
            i += 1;
        }
        let block = &lines[start..i];
        let mut section = Section::Target;
        let mut id = None;
        for l in block.iter().skip(1) {
            let t = l.trim();
            if t.starts_with('[') {
                section = Section::Other;
            } else if section == Section::Target && key_of(l) == Some("id") {
                id = l.split_once('=').map(|(_, v)| v.trim().trim_matches('"').to_string());
            }
        }
        let Some(change) = id.as_ref().and_then(|id| changes.get(id)) else {
            block.iter().for_each(|l| out.push_str(l));
            continue;
        };
        // Rewrite: keep the header, the target's own keys except value and
        // allocation, then the new keys, then the sub-tables.
        let mut own = vec![block[0].to_string()];
        let mut rest = Vec::new();
        section = Section::Target;
        let mut value_at = None;
        for l in block.iter().skip(1) {
            let t = l.trim();
            if t.starts_with('[') {
                section = if t == "[target.allocation]" {
                    Section::TargetAllocation
                } else {
                    Section::Other
                };
            }
            match section {
                Section::TargetAllocation => {}
                Section::Target => match key_of(l) {
                    Some("allocation") => {}
                    Some("value") => value_at = Some(own.len()),
                    _ => own.push(l.to_string()),
                },
                Section::Other => rest.push(l.to_string()),
            }
        }
        // Trailing blank lines and comments belong before the next table.
        let mut tail = Vec::new();
        while own.len() > 1
            && own
                .last()
                .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            tail.push(own.pop().unwrap_or_default());
        }
        tail.reverse();
        if let Some(v) = &change.value {
            let at = value_at.unwrap_or(own.len()).min(own.len());
            own.insert(at, format!("value = {v}\n"));
        }
        if !change.counties.is_empty() {
            let cells: Vec<String> = change.counties.iter().map(|(c, v)| format!("\"{c}\" = {v}")).collect();
            own.push(format!("allocation = {{ {} }}\n", cells.join(", ")));
        }
        own.iter().chain(&tail).chain(&rest).for_each(|l| out.push_str(l));
    }
    Ok(out)
}

/// Saves the office's allocation (任务分解) as a new version of the plan:
/// the text is rewritten with [`with_allocations`], checked like any plan
/// text, and saved with history, audit and recomputed figures.
pub async fn save_allocations(
    call: &Call<'_>,
    changes: &BTreeMap<String, Allocation>,
    version: i64,
    note: &str,
) -> AppResult<i64> {
    crate::require(call.actor, Permission::ManagePlan)?;
    let cur = current(call.db).await?;
    let text = with_allocations(&cur.text, changes)?;
    // The rewritten text must say what was entered (a hand-edited layout the
    // rewrite does not understand would otherwise be saved wrong).
    let p = check(&text)?;
    for (id, a) in changes {
        let t = p.targets.iter().find(|t| &t.id == id).ok_or(AppError::NotFound)?;
        let typed: BTreeMap<DivisionCode, String> = a.counties.clone();
        let read: BTreeMap<DivisionCode, String> = t.allocation.iter().map(|(c, f)| (*c, f.to_string())).collect();
        if typed != read || a.value != t.value.map(|v| v.to_string()) {
            return Err(AppError::Internal(format!(
                "allocation rewrite of target {id} did not read back"
            )));
        }
    }
    let note = if note.trim().is_empty() { "任务分解" } else { note };
    save(call, &text, version, note).await
}
