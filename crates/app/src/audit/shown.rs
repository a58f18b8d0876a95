//! The audit trail as the auditor reads it: roles, objects and details in
//! Chinese, objects by what people call them (案件 HS2023-000123, 农民工 张**,
//! 用户 程专班（lead1）) rather than by row ids. Names of workers are masked;
//! nothing unmasked of a person is shown.

use super::AuditRow;
use crate::error::AppResult;
use crate::regions::CountyNames;
use crate::store::{Db, Sql, Tx};
use shiminhua_core::auth::{RecordKind, Role};
use shiminhua_core::case::Source;
use std::collections::HashMap;

/// The kinds of object the trail names, with their Chinese names (for the
/// filter by object and for display).
pub const OBJECT_KINDS: &[(&str, &str)] = &[
    ("case", "欠薪案件"),
    ("worker", "农民工"),
    ("user", "用户"),
    ("record", "业务记录"),
    ("facility", "设施台账"),
    ("report", "调度报告"),
    ("blacklist", "失信联合惩戒名单"),
    ("vacancy", "岗位"),
    ("seeker", "求职登记"),
    ("referral", "推荐"),
    ("job_event", "招聘活动"),
    ("job_application", "手机求职登记申请"),
    ("registration", "就业失业登记"),
    ("wage_guide", "工资价位"),
    ("occupations", "职业分类"),
    ("calendar", "节假日安排"),
    ("plan", "目标计划"),
    ("region", "行政区划"),
    ("api_key", "接口密钥"),
    ("audit_log", "审计日志"),
    ("system", "系统"),
];

/// The Chinese name of an object kind (a record kind's name for a record).
pub fn kind_label(kind: &str) -> String {
    if let Some((_, l)) = OBJECT_KINDS.iter().find(|(k, _)| *k == kind) {
        return (*l).to_string();
    }
    if let Some(k) = RecordKind::from_code(kind) {
        return format!("{}记录", k.label_zh());
    }
    match kind {
        "settings" => "办理设置".into(),
        "evaluation" => "市民化情况评估".into(),
        "report_period" => "调度期".into(),
        "report_urge" => "调度督办".into(),
        "database" => "数据库".into(),
        "" => String::new(),
        other => other.to_string(),
    }
}

/// Role codes as stored ("local,inspector") in Chinese.
pub fn role_label(codes: &str) -> String {
    codes
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| match (c, Role::from_code(c)) {
            (_, Some(r)) => r.label_zh().to_string(),
            ("system", None) => "系统".to_string(),
            ("anonymous" | "public", None) => "未登录".to_string(),
            (other, None) => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Chinese names of the keys of details (`key=value; …`).
const DETAIL_KEYS: &[(&str, &str)] = &[
    ("number", "案件编号"),
    ("source", "来源"),
    ("county", "区县"),
    ("file", "文件"),
    ("kind", "类型"),
    ("worker", "农民工"),
    ("dependant", "随迁家属编号"),
    ("relation", "关系"),
    ("field", "字段"),
    ("reason", "理由"),
    ("username", "用户名"),
    ("unit", "单位"),
    ("period", "调度期"),
    ("was", "原状态"),
    ("files_added", "新增附件"),
    ("files_removed", "删除附件"),
    ("version", "版本"),
    ("added", "新增日期数"),
    ("cases_redated", "重新计算期限的案件数"),
    ("request", "申请编号"),
    ("requested_by", "申请人编号"),
    ("roles", "角色"),
    ("scopes", "数据范围"),
    ("prefix", "密钥前缀"),
    ("seed", "随机种子"),
    ("batch", "批次"),
    ("rows", "行数"),
    ("inserted", "新增"),
    ("updated", "更新"),
    ("unchanged", "未变"),
    ("rejected", "未通过"),
    ("credit_code", "统一社会信用代码"),
    ("document", "文书编号"),
    ("listed_on", "列入日期"),
    ("on", "日期"),
    ("from", "起始日期"),
    ("to", "截止日期"),
    ("cases", "案件数"),
    ("open", "办理中"),
    ("as_of", "截至"),
    ("counties", "区县数"),
    ("city_total", "全市得分"),
    ("platform_days", "平台线索办理时限（工作日）"),
    ("target", "保留登记编号"),
    ("records_moved", "迁入记录"),
    ("records_dropped", "重复记录"),
    ("dependants_moved", "迁入随迁家属"),
    ("dependants_dropped", "重复随迁家属"),
    ("resealed", "重新加密"),
    ("key", "密钥"),
    ("regions", "区划数"),
    ("units", "单位数"),
    ("plan", "计划"),
    ("holidays", "节假日数"),
    ("name", "名称"),
];

/// What the page shows of one row besides its time, user and action.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    pub role: String,
    pub object: String,
    pub detail: String,
}

/// Names looked up for a page of rows.
#[derive(Default)]
struct Names {
    cases: HashMap<i64, String>,
    workers: HashMap<i64, String>,
    users: HashMap<i64, String>,
    counties: CountyNames,
}

fn ids_of<'a>(it: impl Iterator<Item = &'a str>) -> Vec<i64> {
    let mut v: Vec<i64> = it.filter_map(|s| s.trim().parse::<i64>().ok()).collect();
    v.sort_unstable();
    v.dedup();
    v.truncate(1000);
    v
}

async fn by_id(tx: &mut Tx, select: &str, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(select);
    q.push(" WHERE id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.arg(*id);
    }
    q.push(")");
    tx.all(q).await
}

/// The pairs of a detail `key=value; key=value` (`None` when it is free text).
fn pairs(detail: &str) -> Option<Vec<(&str, &str)>> {
    if !detail.contains('=') {
        return None;
    }
    Some(
        detail
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect(),
    )
}

/// The rows as the auditor reads them, in the same order.
pub async fn shown(db: &Db, rows: &[AuditRow]) -> AppResult<Vec<Shown>> {
    let of_kind = |k: &'static str| {
        rows.iter()
            .filter(move |r| r.object_kind == k)
            .map(|r| r.object_id.as_str())
    };
    let detail_workers = rows.iter().filter_map(|r| pairs(&r.detail)).flat_map(|p| {
        p.into_iter()
            .filter(|(k, _)| *k == "worker")
            .map(|(_, v)| v)
            .collect::<Vec<_>>()
    });
    let case_ids = ids_of(of_kind("case"));
    let worker_ids = ids_of(of_kind("worker").chain(detail_workers));
    let user_ids = ids_of(of_kind("user"));
    let mut names = Names {
        counties: CountyNames::load(db).await?,
        ..Names::default()
    };
    let mut tx = db.read().await?;
    names.cases = by_id(&mut tx, "SELECT id, number FROM cases", &case_ids)
        .await?
        .into_iter()
        .collect();
    names.workers = by_id(&mut tx, "SELECT id, name FROM workers", &worker_ids)
        .await?
        .into_iter()
        .map(|(id, name)| (id, shiminhua_core::person::mask_name(&name)))
        .collect();
    let users: Vec<(i64, String, String)> = if user_ids.is_empty() {
        Vec::new()
    } else {
        let mut q = Sql::new("SELECT id, username, display_name FROM users WHERE id IN (");
        for (i, id) in user_ids.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.arg(*id);
        }
        q.push(")");
        tx.all(q).await?
    };
    names.users = users
        .into_iter()
        .map(|(id, username, display)| {
            let shown = if display.is_empty() || display == username {
                username
            } else {
                format!("{display}（{username}）")
            };
            (id, shown)
        })
        .collect();
    drop(tx);
    Ok(rows.iter().map(|r| one(r, &names)).collect())
}

fn one(r: &AuditRow, n: &Names) -> Shown {
    let kind = kind_label(&r.object_kind);
    let id = r.object_id.trim();
    let numeric = id.parse::<i64>().ok();
    let named = match (r.object_kind.as_str(), numeric) {
        ("case", Some(i)) => n.cases.get(&i).cloned(),
        ("worker", Some(i)) => n.workers.get(&i).map(|m| format!("{m}（编号 {i}）")),
        ("user", Some(i)) => n.users.get(&i).cloned(),
        _ => None,
    };
    let object = match (named, id.is_empty()) {
        (Some(name), _) => format!("{kind} {name}"),
        (None, true) => kind,
        (None, false) if numeric.is_some() => format!("{kind}（编号 {id}）"),
        (None, false) => format!("{kind} {id}"),
    };
    Shown {
        role: role_label(&r.role),
        object,
        detail: detail_zh(&r.action, &r.detail, n),
    }
}

fn detail_zh(action: &str, detail: &str, n: &Names) -> String {
    let Some(pairs) = pairs(detail) else {
        return detail.to_string();
    };
    pairs
        .into_iter()
        .map(|(k, v)| {
            // A merge's source is the registration merged away, not a case's.
            if action == "worker.merge" && k == "source" {
                return format!("并入的重复登记编号：{v}");
            }
            let Some((_, label)) = DETAIL_KEYS.iter().find(|(key, _)| *key == k) else {
                return match (k, v) {
                    ("demo", "") => "演示数据".to_string(),
                    (k, "") => k.to_string(),
                    (k, v) => format!("{k}={v}"),
                };
            };
            let value = match k {
                "source" => Source::from_code(v).map_or(v.to_string(), |s| s.label_zh().to_string()),
                "county" => shiminhua_core::division::DivisionCode::parse(v)
                    .ok()
                    .and_then(|c| n.counties.name_of(c.as_i64()))
                    .map_or(v.to_string(), str::to_string),
                "kind" => RecordKind::from_code(v).map_or(v.to_string(), |k| k.label_zh().to_string()),
                "roles" => role_label(v),
                "worker" => v
                    .parse::<i64>()
                    .ok()
                    .and_then(|i| n.workers.get(&i).map(|m| format!("{m}（编号 {i}）")))
                    .unwrap_or_else(|| v.to_string()),
                _ => v.to_string(),
            };
            format!("{label}：{value}")
        })
        .collect::<Vec<_>>()
        .join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_kinds_and_details_in_chinese() {
        assert_eq!(role_label("local,inspector"), "区县/乡镇工作人员、劳动保障监察员");
        assert_eq!(role_label("system"), "系统");
        assert_eq!(kind_label("case"), "欠薪案件");
        assert_eq!(kind_label("employment"), "就业记录");
        let mut names = Names::default();
        names.workers.insert(7, "张**".into());
        assert_eq!(
            detail_zh("case.register", "number=HS2023-000123; source=hotline", &names),
            "案件编号：HS2023-000123；来源：12333热线"
        );
        assert_eq!(detail_zh("record.create", "worker=7", &names), "农民工：张**（编号 7）");
        assert_eq!(detail_zh("worker.search", "按身份证号查找", &names), "按身份证号查找");
        assert_eq!(
            detail_zh("user.create", "demo; username=lead1", &names),
            "演示数据；用户名：lead1"
        );
        assert_eq!(
            detail_zh("worker.merge", "target=3; source=9", &names),
            "保留登记编号：3；并入的重复登记编号：9"
        );
    }
}
