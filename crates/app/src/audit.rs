//! The audit trail (审计日志): append-only, SM3-chained, written in the same
//! transaction as the change it records.

use crate::Origin;
use crate::error::AppResult;
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, Utc};
use shiminhua_core::audit::{AuditFields, GENESIS, chain_hash};
use shiminhua_core::auth::{Actor, Permission};

/// Who did it, as the audit trail records it.
#[derive(Clone, Debug)]
pub struct Who {
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub role: String,
    pub client_addr: String,
}

impl Who {
    pub fn actor(a: &Actor, o: &Origin) -> Who {
        Who {
            actor_id: Some(a.user_id),
            actor_name: a.username.clone(),
            role: a.roles.codes(),
            client_addr: o.client_addr.clone(),
        }
    }

    /// A user part-way through signing in (no `Actor` yet).
    pub fn user(id: i64, username: &str, roles: &shiminhua_core::auth::RoleSet, o: &Origin) -> Who {
        Who {
            actor_id: Some(id),
            actor_name: username.to_string(),
            role: roles.codes(),
            client_addr: o.client_addr.clone(),
        }
    }

    /// The system itself (set-up, command line).
    pub fn system(o: &Origin) -> Who {
        Who {
            actor_id: None,
            actor_name: "系统".into(),
            role: "system".into(),
            client_addr: o.client_addr.clone(),
        }
    }

    /// An unauthenticated person naming a user (sign-in attempts).
    pub fn anonymous(name: &str, o: &Origin) -> Who {
        Who {
            actor_id: None,
            actor_name: name.chars().take(64).collect(),
            role: String::new(),
            client_addr: o.client_addr.clone(),
        }
    }
}

/// One event to record.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: String,
    pub success: bool,
    pub detail: String,
}

impl<'a> Event<'a> {
    pub fn ok(action: &'a str, object_kind: &'a str, object_id: impl ToString) -> Event<'a> {
        Event {
            action,
            object_kind,
            object_id: object_id.to_string(),
            success: true,
            detail: String::new(),
        }
    }

    pub fn failed(action: &'a str, object_kind: &'a str, object_id: impl ToString) -> Event<'a> {
        Event {
            success: false,
            ..Event::ok(action, object_kind, object_id)
        }
    }

    pub fn detail(mut self, d: impl Into<String>) -> Event<'a> {
        self.detail = d.into();
        self
    }
}

#[derive(sqlx::FromRow)]
struct Last {
    id: i64,
    hash: Vec<u8>,
}

/// Appends one record inside `tx`.
pub async fn record(tx: &mut Tx, now: DateTime<Utc>, who: &Who, ev: Event<'_>) -> AppResult<()> {
    tx.lock_audit_chain().await?;
    let last: Option<Last> = tx
        .opt(Sql::new("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"))
        .await?;
    let (seq, prev) = match last {
        Some(l) => (l.id + 1, l.hash),
        None => (1, GENESIS.to_vec()),
    };
    let at_micros = now.timestamp_micros();
    let fields = AuditFields {
        seq,
        at_micros,
        actor_id: who.actor_id,
        actor_name: &who.actor_name,
        role: &who.role,
        action: ev.action,
        object_kind: ev.object_kind,
        object_id: &ev.object_id,
        success: ev.success,
        client_addr: &who.client_addr,
        detail: &ev.detail,
    };
    let hash = chain_hash(&prev, &fields);
    tx.exec(
        Sql::new(
            "INSERT INTO audit_log (id, at, at_micros, actor_id, actor_name, role, action, object_kind, object_id, success, client_addr, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(seq)
        .bind(now)
        .bind(at_micros)
        .bind(who.actor_id)
        .bind(&who.actor_name)
        .bind(&who.role)
        .bind(ev.action)
        .bind(ev.object_kind)
        .bind(ev.object_id.clone())
        .bind(ev.success)
        .bind(&who.client_addr)
        .bind(ev.detail.clone())
        .bind(prev)
        .bind(hash.to_vec()),
    )
    .await?;
    // The head is kept apart from the rows, so that cutting rows off the end
    // of the chain is detected as well.
    let head = format!("{seq}:{}", crate::hex(&hash));
    let n = tx
        .exec(Sql::new("UPDATE settings SET value = $1 WHERE key = 'audit_head'").bind(head.clone()))
        .await?;
    if n == 0 {
        tx.exec(Sql::new("INSERT INTO settings (key, value) VALUES ('audit_head', $1)").bind(head))
            .await?;
    }
    Ok(())
}

/// Records an event in a transaction of its own (sign-in failures, denials).
pub async fn record_alone(db: &Db, now: DateTime<Utc>, who: &Who, ev: Event<'_>) -> AppResult<()> {
    let mut tx = db.write().await?;
    record(&mut tx, now, who, ev).await?;
    tx.commit().await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub at_micros: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub role: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub success: bool,
    pub client_addr: String,
    pub detail: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

impl AuditRow {
    pub fn action_label(&self) -> &'static str {
        action_label(&self.action)
    }
}

/// The actions the trail knows, with their Chinese names (for filters and display).
pub const ACTIONS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("login.totp", "登录（第二因素）"),
    ("logout", "退出登录"),
    ("password.change", "修改密码"),
    ("totp.enrol", "绑定动态口令"),
    ("user.create", "新建用户"),
    ("user.update", "修改用户"),
    ("user.disable", "停用用户"),
    ("user.enable", "启用用户"),
    ("user.reset_password", "重置密码"),
    ("user.roles", "变更角色"),
    ("user.scopes", "变更数据范围"),
    ("grant.request", "申请授权（待审批）"),
    ("grant.approve", "批准授权"),
    ("grant.reject", "驳回授权"),
    ("region.import", "导入行政区划"),
    ("system.init", "系统初始化"),
    ("audit.export", "导出审计日志"),
    ("access.denied", "越权访问"),
    ("worker.create", "登记农民工"),
    ("worker.update", "修改农民工信息"),
    ("worker.export", "导出农民工名册"),
    ("worker.merge", "合并重复登记"),
    ("dependant.create", "添加随迁家属"),
    ("record.create", "新增业务记录"),
    ("record.update", "修改业务记录"),
    ("record.delete", "删除业务记录"),
    ("record.export", "导出业务记录"),
    ("facility.create", "新增设施台账"),
    ("facility.update", "修改设施台账"),
    ("facility.delete", "删除设施台账"),
    ("facility.export", "导出设施台账"),
    ("import.run", "批量导入"),
    ("apikey.create", "新建接口密钥"),
    ("apikey.revoke", "吊销接口密钥"),
    ("pii.reveal", "查看完整个人信息"),
    ("demo.generate", "生成演示数据"),
    ("key.rotate", "轮换密钥"),
    ("backup", "备份"),
    ("plan.update", "修改目标计划"),
    ("calendar.load", "载入节假日安排"),
    ("report.file", "报送调度报告"),
    ("report.revise", "修改调度报告"),
    ("report.accept", "采纳调度报告"),
    ("report.return", "退回调度报告"),
    ("report.urge", "督办调度报告"),
    ("report.close", "关闭调度期"),
    ("evaluation.export", "导出市民化情况评估"),
    ("case.register", "登记欠薪线索"),
    ("case.accept", "受理欠薪案件"),
    ("case.reject", "不予受理欠薪线索"),
    ("case.investigate", "开始调查欠薪案件"),
    ("case.close", "办结欠薪案件"),
    ("case.follow_up", "回访欠薪案件"),
    ("case.transfer", "转办欠薪案件"),
    ("case.arbitrate", "欠薪案件移送仲裁"),
    ("case.refer_police", "欠薪案件移送公安"),
    ("case.extend", "欠薪案件延期"),
    ("case.urge", "督办欠薪案件"),
    ("case.settings", "修改欠薪案件办理设置"),
    ("case.attach", "上传欠薪案件附件"),
    ("case.stats_export", "导出欠薪案件统计"),
    ("blacklist.add", "列入拖欠农民工工资失信联合惩戒名单"),
    ("blacklist.remove", "提前移出失信联合惩戒名单"),
    ("blacklist.revoke", "撤销失信联合惩戒名单列入决定"),
    ("blacklist.export", "导出失信联合惩戒名单"),
];

pub fn action_label(code: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("其他")
}

/// Filters of the auditor's page.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub user: Option<String>,
    pub action: Option<String>,
    pub success: Option<bool>,
}

fn require_auditor(actor: &Actor) -> AppResult<()> {
    crate::require(actor, Permission::ViewAudit)
}

fn where_clause(f: &Filter) -> Sql {
    let mut q = Sql::new(" WHERE 1 = 1");
    if let Some(t) = f.from {
        q.push(" AND at_micros >= ").arg(t.timestamp_micros());
    }
    if let Some(t) = f.to {
        q.push(" AND at_micros < ").arg(t.timestamp_micros());
    }
    if let Some(u) = f.user.as_deref().filter(|u| !u.is_empty()) {
        q.push(" AND actor_name = ").arg(u);
    }
    if let Some(a) = f.action.as_deref().filter(|a| !a.is_empty()) {
        q.push(" AND action = ").arg(a);
    }
    if let Some(s) = f.success {
        q.push(" AND success = ").arg(s);
    }
    q
}

const COLUMNS: &str = "SELECT id, at, at_micros, actor_id, actor_name, role, action, object_kind, object_id, success, client_addr, detail, prev_hash, hash FROM audit_log";

/// One page of the log, newest first, with the total count. Auditor only.
pub async fn list(db: &Db, actor: &Actor, f: &Filter, limit: i64, offset: i64) -> AppResult<(Vec<AuditRow>, i64)> {
    require_auditor(actor)?;
    let mut tx = db.read().await?;
    let w = where_clause(f);
    let mut count = Sql::new("SELECT COUNT(*) FROM audit_log");
    count.append(&w);
    let total = tx.int(count).await?;
    let mut q = Sql::new(COLUMNS);
    q.append(&w);
    q.push(" ORDER BY id DESC");
    q.page(limit, offset);
    Ok((tx.all(q).await?, total))
}

/// Every matching row (oldest first) for the export, and the export's own audit record.
pub async fn export(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    now: DateTime<Utc>,
    f: &Filter,
) -> AppResult<Vec<AuditRow>> {
    require_auditor(actor)?;
    let mut tx = db.write().await?;
    let mut q = Sql::new(COLUMNS);
    q.append(&where_clause(f));
    q.push(" ORDER BY id LIMIT 1000000");
    let rows: Vec<AuditRow> = tx.all(q).await?;
    record(
        &mut tx,
        now,
        &Who::actor(actor, origin),
        Event::ok("audit.export", "audit_log", "").detail(format!("{}行", rows.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// The outcome of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        rows: i64,
    },
    /// The row with this id was altered (its hash does not match its content).
    Altered {
        id: i64,
    },
    /// Rows are missing before this id (a gap in the sequence, or a broken link).
    Missing {
        after: i64,
        next: i64,
    },
}

/// Walks the whole chain in id order, in batches.
pub async fn verify(db: &Db) -> AppResult<Verdict> {
    let mut tx = db.read().await?;
    let mut prev = GENESIS.to_vec();
    let mut expected = 1i64;
    loop {
        let mut q = Sql::new(COLUMNS);
        q.push(" WHERE id >= ").arg(expected).push(" ORDER BY id LIMIT 5000");
        let rows: Vec<AuditRow> = tx.all(q).await?;
        if rows.is_empty() {
            let head: Option<(String,)> = tx
                .opt(Sql::new("SELECT value FROM settings WHERE key = 'audit_head'"))
                .await?;
            let head_id = head
                .and_then(|(v,)| v.split(':').next().and_then(|n| n.parse::<i64>().ok()))
                .unwrap_or(0);
            if head_id != expected - 1 {
                return Ok(Verdict::Missing {
                    after: expected - 1,
                    next: head_id,
                });
            }
            return Ok(Verdict::Intact { rows: expected - 1 });
        }
        for r in rows {
            if r.id != expected || r.prev_hash != prev {
                return Ok(Verdict::Missing {
                    after: expected - 1,
                    next: r.id,
                });
            }
            let fields = AuditFields {
                seq: r.id,
                at_micros: r.at_micros,
                actor_id: r.actor_id,
                actor_name: &r.actor_name,
                role: &r.role,
                action: &r.action,
                object_kind: &r.object_kind,
                object_id: &r.object_id,
                success: r.success,
                client_addr: &r.client_addr,
                detail: &r.detail,
            };
            let h = chain_hash(&prev, &fields);
            if h.as_slice() != r.hash.as_slice() || r.at.timestamp_micros() != r.at_micros {
                return Ok(Verdict::Altered { id: r.id });
            }
            prev = r.hash;
            expected += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action written with a literal code has a label on the audit
    /// page (an unlabelled one would show as 其他).
    #[test]
    fn every_action_written_has_a_label() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let mut sources = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut sources,
        );
        let mut codes = Vec::new();
        for src in &sources {
            for opener in ["Event::ok(\"", "Event::failed(\""] {
                for (i, _) in src.match_indices(opener) {
                    let rest = &src[i + opener.len()..];
                    codes.push(rest[..rest.find('"').unwrap()].to_string());
                }
            }
        }
        assert!(codes.len() > 30, "found the audit calls ({})", codes.len());
        for code in codes {
            assert_ne!(action_label(&code), "其他", "no label for audit action {code}");
        }
    }
}
