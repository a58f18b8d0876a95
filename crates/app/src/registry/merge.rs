//! Merging two registrations of one person (合并重复登记).
//!
//! A person can be registered twice when one registration carries a
//! mistyped ID number. The wrong registration (the source) is merged into the
//! right one (the target), in one transaction:
//!
//! - every record of the source moves to the target; where the target already
//!   has a record of the same kind and natural key, the target's record stays
//!   and the source's goes to history (a deletion noting the merge) and is
//!   deleted;
//! - family members move to the target; one the target already has (same ID
//!   number, or without ID numbers the same relation, name and birth date) is
//!   merged into the target's after its records are re-pointed;
//! - its lines on construction projects' rosters (with their attendance),
//!   its payroll lines and the cases it reported move to the target; when
//!   both are on one project's roster the merge is refused, naming the
//!   project;
//! - the source's history follows it to the target; the source itself is
//!   kept in history (its non-secret fields) and deleted, and the target gets
//!   a history row noting the merge;
//! - the merge is audited as `worker.merge` with both ids and the reason.
//!
//! Both registrations must lie in the actor's scope for workers; the target's
//! version comes from the confirmation form (optimistic concurrency).

use crate::audit::{self, Event, Who};
use crate::crypto::Cipher;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::history::keep_history;
use crate::plan::feed::RecordChange;
use crate::registry::records::from_json;
use crate::registry::workers::{self, DependantRow, WorkerRow, dependant_name_context};
use crate::store::{Sql, Tx, dialect};
use crate::{Call, require};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value as Json, json};
use shiminhua_core::auth::{Actor, Permission, RecordKind};
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::DependantId;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::record;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// What a merge did (or, in a preview, will do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeSummary {
    /// Records of the source re-pointed to the target.
    pub records_moved: u64,
    /// Records of the source the target already had (same kind and natural
    /// key): kept in history and deleted.
    pub records_dropped: u64,
    /// Family members of the source re-pointed to the target.
    pub dependants_moved: u64,
    /// Family members of the source the target already had: merged into the
    /// target's (kept in history and deleted).
    pub dependants_dropped: u64,
}

/// What the confirmation page shows before a merge.
#[derive(Clone, Debug)]
pub struct MergePreview {
    pub target: WorkerRow,
    pub target_dependants: Vec<DependantRow>,
    pub source: WorkerRow,
    pub source_dependants: Vec<DependantRow>,
    pub summary: MergeSummary,
    /// Per record kind of the source: (label, moving, dropped as duplicates).
    pub kinds: Vec<(&'static str, u64, u64)>,
    /// The reason, trimmed.
    pub reason: String,
}

const REASON_MIN: usize = 4;
const REASON_MAX: usize = 200;

/// The reason, trimmed, or the field error.
fn check_reason(reason: &str, errs: &mut FieldErrors) -> String {
    let reason = reason.trim();
    let n = reason.chars().count();
    if n < REASON_MIN {
        errs.add(
            "reason",
            "请填写合并事由（至少4个字），如：乡镇录入身份证号错误导致重复登记",
        );
    } else if n > REASON_MAX {
        errs.add("reason", "合并事由不超过200个字");
    }
    reason.to_string()
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Text as it may be stored in the audit trail and history: a run of 11 or
/// more digits (an ID or phone number typed into a reason) is hidden.
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A number as people type it: digits, the check letter X, spaces
        // and hyphens between groups.
        let (mut j, mut end, mut digits) = (i, i, 0);
        while j < chars.len() && (is_digit(chars[j]) || matches!(chars[j], 'X' | 'x' | 'Ｘ' | 'ｘ' | ' ' | '　' | '-'))
        {
            if is_digit(chars[j]) {
                digits += 1;
            }
            if !matches!(chars[j], ' ' | '　' | '-') {
                end = j + 1;
            }
            j += 1;
        }
        if digits >= 11 {
            out.push_str("[号码已隐去]");
        } else {
            out.extend(&chars[i..end]);
        }
        i = end;
    }
    out
}

/// A worker as the merge reads it (non-secret columns and the blind index).
#[derive(Clone, Debug, sqlx::FromRow)]
struct Person {
    id: i64,
    county_code: i64,
    region_code: i64,
    name: String,
    id_index: Vec<u8>,
    id_masked: String,
    birth_year: i32,
    sex: String,
    origin_code: String,
    phone_masked: String,
    hukou_place: String,
    education: String,
    skills: String,
    tags: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl Person {
    /// The non-secret fields, for history.
    fn snapshot(&self) -> serde_json::Map<String, Json> {
        let v = json!({
            "name": self.name,
            "id_masked": self.id_masked,
            "sex": self.sex,
            "birth_year": self.birth_year,
            "origin_code": self.origin_code,
            "phone_masked": self.phone_masked,
            "county_code": self.county_code,
            "region_code": self.region_code,
            "hukou_place": self.hukou_place,
            "education": self.education,
            "skills": self.skills,
            "tags": self.tags,
            "created_at": self.created_at.to_rfc3339(),
            "updated_at": self.updated_at.to_rfc3339(),
        });
        match v {
            Json::Object(m) => m,
            _ => serde_json::Map::new(),
        }
    }
}

const PERSON: &str = "SELECT w.id, w.county_code, w.region_code, w.name, w.id_index, w.id_masked, w.birth_year, w.sex, \
     w.origin_code, w.phone_masked, w.hukou_place, w.education, w.skills, w.tags, w.created_at, w.updated_at, w.version \
     FROM workers w";

/// The worker in the actor's scope for workers (NotFound outside it).
async fn person_in(tx: &mut Tx, actor: &Actor, id: i64) -> AppResult<Person> {
    let mut q = Sql::new(PERSON);
    q.push(" WHERE w.id = ").arg(id).push(" AND ");
    q.in_ranges("w.region_code", &actor.scope.ranges_for(RecordKind::Worker));
    tx.one(q).await
}

/// The worker in the actor's scope registered under this blind index.
async fn person_by_index(tx: &mut Tx, actor: &Actor, index: Vec<u8>) -> AppResult<Option<Person>> {
    let mut q = Sql::new(PERSON);
    q.push(" WHERE w.id_index = ").arg(index).push(" AND ");
    q.in_ranges("w.region_code", &actor.scope.ranges_for(RecordKind::Worker));
    tx.opt(q).await
}

#[derive(Clone, Debug, sqlx::FromRow)]
struct Dependant {
    id: i64,
    relation: String,
    name_sealed: Vec<u8>,
    name_masked: String,
    id_sealed: Option<Vec<u8>>,
    id_index: Option<Vec<u8>>,
    id_masked: String,
    birth_year: i32,
    /// The full birth date, sealed to the row.
    birth_sealed: Option<Vec<u8>>,
}

/// A family member's non-secret fields, for history.
fn family_snapshot(d: &Dependant, worker_id: i64) -> String {
    json!({
        "relation": d.relation,
        "name_masked": d.name_masked,
        "id_masked": d.id_masked,
        "birth_year": d.birth_year,
        "worker_id": worker_id,
    })
    .to_string()
}

async fn dependants_of(tx: &mut Tx, worker_id: i64) -> AppResult<Vec<Dependant>> {
    tx.all(
        Sql::new(
            "SELECT id, relation, name_sealed, name_masked, id_sealed, id_index, id_masked, birth_year, birth_sealed \
             FROM dependants WHERE worker_id = $1 ORDER BY id",
        )
        .bind(worker_id),
    )
    .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
struct Record {
    id: i64,
    kind: String,
    dependant_id: Option<i64>,
    natural_key: String,
    data: String,
    version: i64,
}

/// What becomes of a family member of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DependantFate {
    /// Re-pointed to the target (its name sealed again for the target).
    Move,
    /// The target's family member `into` is the same person; its records are
    /// re-pointed there and it is deleted. With `take_id`, the target's has
    /// no ID number and takes this one's.
    Into { into: i64, take_id: bool },
}

/// What becomes of a record of the source.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RecordFate {
    Move {
        dependant_id: Option<i64>,
        natural_key: String,
    },
    /// The target's record `kept` has the same kind and natural key.
    Drop { kept: i64 },
}

struct Plan {
    /// The source's family: each with its fate and its name in the clear.
    dependants: Vec<(Dependant, DependantFate, String)>,
    /// The target's family as it was.
    target_family: Vec<Dependant>,
    records: Vec<(Record, RecordFate)>,
}

impl Plan {
    fn summary(&self) -> MergeSummary {
        let mut s = MergeSummary::default();
        for (_, fate, _) in &self.dependants {
            match fate {
                DependantFate::Move => s.dependants_moved += 1,
                DependantFate::Into { .. } => s.dependants_dropped += 1,
            }
        }
        for (_, fate) in &self.records {
            match fate {
                RecordFate::Move { .. } => s.records_moved += 1,
                RecordFate::Drop { .. } => s.records_dropped += 1,
            }
        }
        s
    }
}

/// Decides what happens to each family member and record of `source`.
/// Also returns each source family member's name in the clear (to seal it
/// again for the target).
async fn plan(tx: &mut Tx, cipher: &Cipher, target: &Person, source: &Person) -> AppResult<Plan> {
    let target_family = dependants_of(tx, target.id).await?;
    let source_family = dependants_of(tx, source.id).await?;
    let mut target_names: HashMap<i64, String> = HashMap::new();
    let mut dependants = Vec::with_capacity(source_family.len());
    let mut into: HashMap<i64, i64> = HashMap::new();
    let mut given_id: HashSet<i64> = HashSet::new();
    let mut target_births: HashMap<i64, Option<NaiveDate>> = HashMap::new();
    for t in &target_family {
        target_births.insert(
            t.id,
            workers::open_birth(cipher, DependantId(t.id), t.birth_sealed.as_deref())?,
        );
    }
    for d in source_family {
        let name = open_name(cipher, &source.id_index, &d)?;
        let birth = workers::open_birth(cipher, DependantId(d.id), d.birth_sealed.as_deref())?;
        let mut fate = DependantFate::Move;
        for t in &target_family {
            let same = match (&d.id_index, &t.id_index) {
                (Some(a), Some(b)) => a == b,
                _ if t.relation != d.relation || target_births.get(&t.id).copied().flatten() != birth => false,
                // Only one ID number can pass to a family member kept.
                (Some(_), None) if given_id.contains(&t.id) => false,
                _ => {
                    let known = match target_names.entry(t.id) {
                        Entry::Occupied(e) => e.into_mut(),
                        Entry::Vacant(e) => e.insert(open_name(cipher, &target.id_index, t)?),
                    };
                    *known == name
                }
            };
            if same {
                let take_id = t.id_index.is_none() && d.id_index.is_some();
                if take_id {
                    given_id.insert(t.id);
                }
                fate = DependantFate::Into { into: t.id, take_id };
                into.insert(d.id, t.id);
                break;
            }
        }
        dependants.push((d, fate, name));
    }
    // The target's records by (kind, natural key); a moving record takes its
    // place there, so that two source records landing on one key keep one.
    let keys: Vec<(i64, String, String)> = tx
        .all(Sql::new("SELECT id, kind, natural_key FROM records WHERE worker_id = $1").bind(target.id))
        .await?;
    let mut taken: HashMap<(String, String), i64> = keys.into_iter().map(|(id, k, n)| ((k, n), id)).collect();
    let rows: Vec<Record> = tx
        .all(
            Sql::new(
                "SELECT id, kind, dependant_id, natural_key, data, version FROM records WHERE worker_id = $1 ORDER BY id",
            )
            .bind(source.id),
        )
        .await?;
    let mut records = Vec::with_capacity(rows.len());
    for r in rows {
        let (dependant_id, natural_key) = match r.dependant_id.and_then(|d| into.get(&d).copied()) {
            // The child is now the target's: the natural key names the child.
            Some(new) => {
                let key = RecordKind::from_code(&r.kind)
                    .and_then(record::spec)
                    .map(|spec| record::natural_key(spec, &from_json(spec, &r.data), Some(new)))
                    .unwrap_or_else(|| r.natural_key.clone());
                (Some(new), key)
            }
            None => (r.dependant_id, r.natural_key.clone()),
        };
        let fate = match taken.get(&(r.kind.clone(), natural_key.clone())) {
            Some(kept) => RecordFate::Drop { kept: *kept },
            None => {
                taken.insert((r.kind.clone(), natural_key.clone()), r.id);
                RecordFate::Move {
                    dependant_id,
                    natural_key,
                }
            }
        };
        records.push((r, fate));
    }
    Ok(Plan {
        dependants,
        target_family,
        records,
    })
}

fn open_name(cipher: &Cipher, worker_index: &[u8], d: &Dependant) -> AppResult<String> {
    let plain = cipher.open(&dependant_name_context(worker_index, &d.relation), &d.name_sealed)?;
    String::from_utf8(plain).map_err(|_| AppError::Internal("sealed name is not text".into()))
}

/// Per record kind of the plan: (label, moving, dropped), in the kinds' order.
fn by_kind(plan: &Plan) -> Vec<(&'static str, u64, u64)> {
    record::KINDS
        .iter()
        .filter_map(|k| {
            let (mut moving, mut dropped) = (0, 0);
            for (r, fate) in &plan.records {
                if r.kind == k.code() {
                    match fate {
                        RecordFate::Move { .. } => moving += 1,
                        RecordFate::Drop { .. } => dropped += 1,
                    }
                }
            }
            (moving + dropped > 0).then(|| (k.label_zh(), moving, dropped))
        })
        .collect()
}

const NOT_FOUND_BY_ID: &str = "在您的数据范围内没有找到以该身份证号登记的农民工，请核对后重新输入";
const SAME_PERSON: &str = "输入的身份证号就是本条登记，请输入重复登记（错误的那一条）所用的身份证号";

/// Finds the duplicate registration by its full ID number (in the actor's
/// scope) and reports what merging it into `target_id` would do. Nothing is
/// written.
pub async fn preview_merge(
    call: &Call<'_>,
    target_id: WorkerId,
    id_number: &str,
    reason: &str,
) -> AppResult<MergePreview> {
    let target_id = target_id.0;
    let Call { db, cipher, actor, .. } = *call;
    require(actor, Permission::WriteRecords)?;
    let mut tx = db.read().await?;
    let target = person_in(&mut tx, actor, target_id).await?;
    let mut errs = FieldErrors::default();
    let source = if id_number.trim().is_empty() {
        errs.add("id_number", "请填写重复登记所用的完整身份证号");
        None
    } else {
        match IdNumber::parse(id_number) {
            Err(e) => {
                errs.add("id_number", e.to_string());
                None
            }
            Ok(id) => match person_by_index(&mut tx, actor, cipher.blind_index("id_number", id.as_str())).await? {
                None => {
                    errs.add("id_number", NOT_FOUND_BY_ID);
                    None
                }
                Some(p) if p.id == target.id => {
                    errs.add("id_number", SAME_PERSON);
                    None
                }
                Some(p) => Some(p),
            },
        }
    };
    let reason = check_reason(reason, &mut errs);
    errs.into_result()?;
    let source = source.ok_or_else(|| AppError::Internal("merge preview without a source".into()))?;
    let plan = plan(&mut tx, cipher, &target, &source).await?;
    drop(tx);
    let (target_row, target_dependants) = workers::get_worker(db, actor, WorkerId(target.id)).await?;
    let (source_row, source_dependants) = workers::get_worker(db, actor, WorkerId(source.id)).await?;
    Ok(MergePreview {
        target: target_row,
        target_dependants,
        source: source_row,
        source_dependants,
        summary: plan.summary(),
        kinds: by_kind(&plan),
        reason,
    })
}

/// Moves what the duplicate has on construction projects (roster lines
/// with their attendance, payroll lines), the cases it reported and its
/// job-seeker registration to the person kept. Refused when both are on
/// one project's roster: which of the two lines holds is the project's call.
async fn moved_on_projects(tx: &mut Tx, target: i64, source: i64) -> AppResult<()> {
    let shared: Option<(String,)> = tx
        .opt(
            Sql::new(
                "SELECT p.code FROM project_roster s \
                 JOIN project_roster t ON t.project_id = s.project_id AND t.worker_id = $1 \
                 JOIN projects p ON p.id = s.project_id WHERE s.worker_id = $2 ORDER BY p.code LIMIT 1",
            )
            .bind(target)
            .bind(source),
        )
        .await?;
    if let Some((code,)) = shared {
        return Err(AppError::Conflict(format!(
            "两条登记都在工程项目“{code}”的实名制名单中，请先在该项目的名单中去掉重复的一条，再合并。"
        )));
    }
    // Both registered as job seekers: the kept person's registration holds,
    // unless the duplicate's already has referrals.
    let kept = tx
        .int(Sql::new("SELECT COUNT(*) FROM job_seekers WHERE worker_id = $1").bind(target))
        .await?;
    if kept > 0 {
        let referred = tx
            .int(
                Sql::new(
                    "SELECT COUNT(*) FROM referrals f JOIN job_seekers s ON s.id = f.seeker_id WHERE s.worker_id = $1",
                )
                .bind(source),
            )
            .await?;
        if referred > 0 {
            return Err(AppError::Conflict(
                "两条登记都有求职登记，且重复的一条已有推荐记录，请由就业服务窗口核对后再合并。".into(),
            ));
        }
        // A phone application that led to the duplicate's registration now
        // points at the kept one.
        tx.exec(
            Sql::new(
                "UPDATE job_applications SET seeker_id = (SELECT id FROM job_seekers WHERE worker_id = $1) \
                 WHERE seeker_id IN (SELECT id FROM job_seekers WHERE worker_id = $2)",
            )
            .bind(target)
            .bind(source),
        )
        .await?;
        tx.exec(Sql::new("DELETE FROM job_seekers WHERE worker_id = $1").bind(source))
            .await?;
    }
    // One open unemployment registration a person: the kept one's holds,
    // the duplicate's ends.
    tx.exec(
        Sql::new(
            "UPDATE job_registrations SET ended_on = registered_on WHERE worker_id = $1 AND kind = 'unemployment' \
             AND ended_on IS NULL AND EXISTS (SELECT 1 FROM job_registrations k WHERE k.worker_id = $2 \
             AND k.kind = 'unemployment' AND k.ended_on IS NULL)",
        )
        .bind(source)
        .bind(target),
    )
    .await?;
    // Payroll lines follow their roster lines (ON UPDATE CASCADE); a job
    // seeker's wishes and referrals follow the registration.
    for table in ["project_roster", "cases", "job_seekers", "job_registrations"] {
        tx.exec(
            Sql::new(&format!("UPDATE {table} SET worker_id = $1 WHERE worker_id = $2"))
                .bind(target)
                .bind(source),
        )
        .await?;
    }
    Ok(())
}

/// A JSON object with a `_merge` note added (history data).
fn noted(data: &str, note: Json) -> String {
    let mut m = match serde_json::from_str::<Json>(data) {
        Ok(Json::Object(m)) => m,
        _ => {
            let mut m = serde_json::Map::new();
            m.insert("raw".into(), Json::from(data));
            m
        }
    };
    m.insert("_merge".into(), note);
    Json::Object(m).to_string()
}

/// Merges worker `source_id` (a duplicate registration, e.g. under a mistyped
/// ID number) into worker `target_id`; see the module documentation. Refused
/// with NotFound when either lies outside the actor's scope, with a field
/// error when they are the same worker or the reason is missing, and with
/// Conflict when `target_version` is stale; a refusal changes nothing.
pub async fn merge_workers(
    call: &Call<'_>,
    target_id: WorkerId,
    target_version: i64,
    source_id: WorkerId,
    reason: &str,
) -> AppResult<MergeSummary> {
    let source_id = source_id.0;
    let target_id = target_id.0;
    let Call {
        db,
        cipher,
        actor,
        origin,
        now,
    } = *call;
    require(actor, Permission::WriteRecords)?;
    let mut tx = db.write().await?;
    if let Some(lock) = dialect::lock_rows(tx.backend()) {
        // Both rows, in id order: concurrent merges and edits wait, and a
        // record being added to the source meanwhile fails its reference.
        let q = format!("SELECT id FROM workers WHERE id IN ($1, $2) ORDER BY id{lock}");
        let _: Vec<(i64,)> = tx.all(Sql::new(&q).bind(target_id).bind(source_id)).await?;
    }
    let target = person_in(&mut tx, actor, target_id).await?;
    let mut errs = FieldErrors::default();
    let reason = check_reason(reason, &mut errs);
    if source_id == target_id {
        errs.add("id_number", "不能将一条登记与其自身合并");
    }
    errs.into_result()?;
    let source = person_in(&mut tx, actor, source_id).await?;
    let bumped = tx
        .exec(
            Sql::new("UPDATE workers SET updated_at = $1, version = version + 1 WHERE id = $2 AND version = $3")
                .bind(now)
                .bind(target.id)
                .bind(target_version),
        )
        .await?;
    if target.version != target_version || bumped == 0 {
        return Err(AppError::Conflict(
            "合并失败：本条登记已被他人修改。请返回农民工信息页面重新核对后再合并。".into(),
        ));
    }
    let plan = plan(&mut tx, cipher, &target, &source).await?;
    let summary = plan.summary();
    let stored_reason = scrub(&reason);
    let note = |extra: Json| {
        let mut n = json!({ "from_worker": source.id, "into_worker": target.id });
        if let (Json::Object(n), Json::Object(e)) = (&mut n, extra) {
            n.extend(e);
        }
        n
    };
    // The source's earlier history follows it.
    tx.exec(
        Sql::new("UPDATE history SET worker_id = $1 WHERE worker_id = $2")
            .bind(target.id)
            .bind(source.id),
    )
    .await?;
    // Family members: moved ones are sealed again for the target (a name is
    // bound to its worker); a duplicate gives up its ID number first when
    // the target's has none.
    for (d, fate, name) in &plan.dependants {
        let before = family_snapshot(d, source.id);
        match *fate {
            DependantFate::Move => {
                keep_history(
                    &mut tx,
                    call,
                    "dependant",
                    d.id,
                    target.id,
                    1,
                    "merge",
                    &noted(&before, note(json!({}))),
                )
                .await?;
                let sealed = cipher.seal(&dependant_name_context(&target.id_index, &d.relation), name.as_bytes())?;
                tx.exec(
                    Sql::new("UPDATE dependants SET worker_id = $1, county_code = $2, name_sealed = $3 WHERE id = $4")
                        .bind(target.id)
                        .bind(target.county_code)
                        .bind(sealed)
                        .bind(d.id),
                )
                .await?;
                crate::plan::feed::family_moved(&mut tx, source.id, -1).await?;
                crate::plan::feed::family_moved(&mut tx, target.id, 1).await?;
            }
            DependantFate::Into { into, take_id } => {
                keep_history(
                    &mut tx,
                    call,
                    "dependant",
                    d.id,
                    target.id,
                    1,
                    "delete",
                    &noted(&before, note(json!({ "merged_into_dependant": into }))),
                )
                .await?;
                tx.exec(
                    Sql::new("UPDATE records SET dependant_id = $1 WHERE dependant_id = $2")
                        .bind(into)
                        .bind(d.id),
                )
                .await?;
                if take_id {
                    if let Some(kept) = plan.target_family.iter().find(|t| t.id == into) {
                        keep_history(
                            &mut tx,
                            call,
                            "dependant",
                            into,
                            target.id,
                            1,
                            "merge",
                            &noted(
                                &family_snapshot(kept, target.id),
                                note(json!({ "id_number_from_dependant": d.id })),
                            ),
                        )
                        .await?;
                    }
                    tx.exec(Sql::new("UPDATE dependants SET id_index = NULL WHERE id = $1").bind(d.id))
                        .await?;
                    tx.exec(
                        Sql::new("UPDATE dependants SET id_sealed = $1, id_index = $2, id_masked = $3 WHERE id = $4")
                            .bind(d.id_sealed.clone())
                            .bind(d.id_index.clone())
                            .bind(d.id_masked.clone())
                            .bind(into),
                    )
                    .await?;
                }
            }
        }
    }
    // Records: the target's wins a natural-key clash.
    for (r, fate) in &plan.records {
        match fate {
            RecordFate::Move {
                dependant_id,
                natural_key,
            } => {
                keep_history(
                    &mut tx,
                    call,
                    "record",
                    r.id,
                    target.id,
                    r.version,
                    "merge",
                    &noted(&r.data, note(json!({ "kind": r.kind }))),
                )
                .await?;
                let change = RecordChange::begin(&mut tx, r.id).await?;
                let n = tx
                    .exec(
                        Sql::new(
                            "UPDATE records SET worker_id = $1, dependant_id = $2, natural_key = $3, updated_at = $4, \
                             version = version + 1 WHERE id = $5 AND version = $6",
                        )
                        .bind(target.id)
                        .bind(*dependant_id)
                        .bind(natural_key.clone())
                        .bind(now)
                        .bind(r.id)
                        .bind(r.version),
                    )
                    .await?;
                if n == 0 {
                    return Err(AppError::Conflict(
                        "合并失败：重复登记的业务记录正被他人修改，请稍后重试。".into(),
                    ));
                }
                change.finish(&mut tx, r.id).await?;
            }
            RecordFate::Drop { kept } => {
                keep_history(
                    &mut tx,
                    call,
                    "record",
                    r.id,
                    target.id,
                    r.version,
                    "delete",
                    &noted(&r.data, note(json!({ "kind": r.kind, "kept_record": kept }))),
                )
                .await?;
                let change = RecordChange::begin(&mut tx, r.id).await?;
                tx.exec(Sql::new("DELETE FROM records WHERE id = $1").bind(r.id))
                    .await?;
                change.finish(&mut tx, r.id).await?;
            }
        }
    }
    for (d, fate, _) in &plan.dependants {
        if matches!(fate, DependantFate::Into { .. }) {
            tx.exec(Sql::new("DELETE FROM dependants WHERE id = $1").bind(d.id))
                .await?;
            crate::plan::feed::family_moved(&mut tx, source.id, -1).await?;
        }
    }
    // The two registrations themselves.
    let mut gone = source.snapshot();
    gone.insert(
        "_merge".into(),
        note(json!({ "reason": stored_reason, "role": "source" })),
    );
    keep_history(
        &mut tx,
        call,
        "worker",
        source.id,
        target.id,
        source.version,
        "merge",
        &Json::Object(gone).to_string(),
    )
    .await?;
    let mut kept = target.snapshot();
    kept.insert(
        "_merge".into(),
        note(json!({
            "reason": stored_reason,
            "role": "target",
            "records_moved": summary.records_moved,
            "records_dropped": summary.records_dropped,
            "dependants_moved": summary.dependants_moved,
            "dependants_dropped": summary.dependants_dropped,
        })),
    );
    keep_history(
        &mut tx,
        call,
        "worker",
        target.id,
        target.id,
        target.version,
        "merge",
        &Json::Object(kept).to_string(),
    )
    .await?;
    moved_on_projects(&mut tx, target.id, source.id).await?;
    tx.exec(Sql::new("DELETE FROM workers WHERE id = $1").bind(source.id))
        .await?;
    audit::record(
        &mut tx,
        now,
        &Who::actor(actor, origin),
        Event::ok("worker.merge", "worker", target.id).detail(format!(
            "target={}; source={}; records_moved={}; records_dropped={}; dependants_moved={}; dependants_dropped={}; reason={}",
            target.id,
            source.id,
            summary.records_moved,
            summary.records_dropped,
            summary.dependants_moved,
            summary.dependants_dropped,
            stored_reason
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_scrubbed_from_reasons() {
        assert_eq!(scrub("乡镇录入错误"), "乡镇录入错误");
        assert_eq!(
            scrub("正确号码341022197806154561，原录为341022197806154651"),
            "正确号码[号码已隐去]，原录为[号码已隐去]"
        );
        assert_eq!(scrub("号码 34102219780615456x 录错"), "号码 [号码已隐去] 录错");
        assert_eq!(scrub("341022 1978 0615 456X"), "[号码已隐去]");
        assert_eq!(scrub("电话138-0013-8000"), "电话[号码已隐去]");
        assert_eq!(scrub("２０２４年3月登记两次"), "２０２４年3月登记两次");
        assert_eq!(scrub("第2次 "), "第2次 ");
    }
}
