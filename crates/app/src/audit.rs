//! The audit trail (审计日志): append-only, chained with HMAC-SM3 under a key
//! that lives outside the database, its head anchored in a checkpoint file
//! outside the database, written in the same transaction as the change it
//! records. See `docs/decisions/0004-audit-chain.md`.

use crate::Origin;
pub use crate::chain_key::{ANCHOR_FILE, Anchor, ChainKey};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Sql, Tx};
use chrono::{DateTime, Utc};
use shiminhua_core::audit::{AuditFields, GENESIS, chain_hash, chain_mac};
use shiminhua_core::auth::{Actor, Permission};
use std::fmt;
use std::sync::Mutex;

mod shown;
pub use shown::{OBJECT_KINDS, Shown, kind_label, role_label, shown};

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

fn no_key() -> AppError {
    AppError::Config("审计日志密钥未加载，无法写入或校验审计日志。".into())
}

/// Appends one record inside `tx`, chained under the audit key; the head is
/// anchored outside the database when `tx` commits.
pub async fn record(tx: &mut Tx, now: DateTime<Utc>, who: &Who, ev: Event<'_>) -> AppResult<()> {
    let key = tx.audit_key().ok_or_else(no_key)?;
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
    let hash = chain_mac(&key.key, &prev, &fields);
    tx.exec(
        Sql::new(
            "INSERT INTO audit_log (id, at, at_micros, actor_id, actor_name, role, action, object_kind, object_id, success, client_addr, detail, prev_hash, hash, key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
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
        .bind(hash.to_vec())
        .bind(key.id.clone()),
    )
    .await?;
    tx.note_audit_head(seq, hash);
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
    /// The id of the key the row is chained under (None: written before the
    /// chain was keyed).
    pub key_id: Option<String>,
}

impl AuditRow {
    pub fn action_label(&self) -> &'static str {
        action_label(&self.action)
    }
}

/// The actions the trail knows, with their Chinese names (for filters and display).
pub const ACTIONS: &[(&str, &str)] = &[
    ("project.create", "新增工程建设项目"),
    ("project.update", "修改工程建设项目"),
    ("project.account", "登记农民工工资专用账户"),
    ("project.transfer", "登记人工费用拨付"),
    ("project.deposit", "登记工资保证金"),
    ("project.board", "登记维权信息告示牌"),
    ("project.roster", "登记实名制人员"),
    ("project.attendance", "登记考勤"),
    ("project.payroll", "登记工资发放"),
    ("payroll.self_check", "农民工查询工资到账"),
    ("monitor.evaluate", "工资支付预警核验"),
    ("monitor.rules", "修改工资支付监控规则"),
    ("monitor.warnings.export", "导出工资支付预警"),
    ("warning.acknowledge", "签收预警"),
    ("warning.escalate", "预警升级督办"),
    ("warning.resolve", "解除预警"),
    ("warning.to_case", "预警转为欠薪线索"),
    ("demo.monitor", "生成工资支付监控演示数据"),
    ("demo.jobs", "生成就业服务演示数据"),
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
    ("audit.key", "审计日志启用密钥链"),
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
    ("worker.view", "查看农民工信息"),
    ("worker.search", "按身份证号或手机号查找农民工"),
    ("case.view", "查看欠薪案件（含反映人信息）"),
    ("case.download", "下载欠薪案件附件"),
    ("audit.who_looked", "查询个人信息被查看记录"),
    ("demo.generate", "生成演示数据"),
    ("key.rotate", "轮换密钥"),
    ("backup", "备份"),
    ("restore", "从备份恢复"),
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
    ("occupations.load", "导入职业分类细类"),
    ("vacancy.create", "发布岗位"),
    ("vacancy.update", "修改岗位"),
    ("vacancy.status", "改变岗位状态"),
    ("seeker.register", "办理求职登记"),
    ("seeker.update", "修改求职登记"),
    ("seeker.status", "改变求职状态"),
    ("referral.create", "推荐求职人员"),
    ("referral.outcome", "登记推荐结果"),
    ("wage_guide.compute", "计算工资价位"),
    ("registration.employment", "办理就业登记"),
    ("registration.unemployment", "办理失业登记"),
    ("registration.end", "结束失业登记"),
    ("job_event.create", "新增招聘活动"),
    ("job_event.update", "修改招聘活动"),
    ("job_event.vacancies", "设置招聘活动的岗位"),
    ("job_application.file", "手机提交求职登记申请"),
    ("job_application.accept", "确认手机求职登记"),
    ("job_application.refuse", "不予办理手机求职登记"),
    ("job_application.purge", "删除超过保存期限的手机求职登记申请"),
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
    /// The object's kind ([`OBJECT_KINDS`]; `record`: any record kind).
    pub object_kind: Option<String>,
    /// The object's id as recorded (a case's number is resolved to its id
    /// by [`object_id`]).
    pub object_id: Option<String>,
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
    match f.object_kind.as_deref().filter(|k| !k.is_empty()) {
        Some("record") => {
            q.push(" AND object_kind IN (");
            for (i, k) in shiminhua_core::auth::RecordKind::ALL
                .iter()
                .filter(|k| **k != shiminhua_core::auth::RecordKind::Worker)
                .enumerate()
            {
                if i > 0 {
                    q.push(", ");
                }
                q.arg(k.code());
            }
            q.push(")");
        }
        Some(k) => {
            q.push(" AND object_kind = ").arg(k);
        }
        None => {}
    }
    if let Some(id) = f.object_id.as_deref().filter(|i| !i.is_empty()) {
        q.push(" AND object_id = ").arg(id);
    }
    q
}

/// The id an object is recorded under, from what the auditor types: a
/// case's number (HS2023-000123), a user's name, or the id itself.
/// `None`: no such object.
pub async fn object_id(db: &Db, kind: &str, typed: &str) -> AppResult<Option<String>> {
    let typed: String = shiminhua_core::record::normalise(typed)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if typed.is_empty() {
        return Ok(Some(String::new()));
    }
    let mut tx = db.read().await?;
    let found: Option<(i64,)> = match kind {
        "case" if !typed.bytes().all(|b| b.is_ascii_digit()) => {
            tx.opt(Sql::new("SELECT id FROM cases WHERE number = $1").bind(typed.to_ascii_uppercase()))
                .await?
        }
        "user" if !typed.bytes().all(|b| b.is_ascii_digit()) => {
            tx.opt(Sql::new("SELECT id FROM users WHERE username = $1").bind(typed.clone()))
                .await?
        }
        _ => return Ok(Some(typed)),
    };
    Ok(found.map(|(id,)| id.to_string()))
}

/// The people the trail names, for the filter by person: (user name,
/// shown name), the accounts first, then others recorded (系统).
pub async fn people(db: &Db, actor: &Actor) -> AppResult<Vec<(String, String)>> {
    require_auditor(actor)?;
    let mut tx = db.read().await?;
    let users: Vec<(String, String)> = tx
        .all(Sql::new("SELECT username, display_name FROM users ORDER BY username"))
        .await?;
    Ok(users
        .into_iter()
        .map(|(u, d)| {
            let shown = if d.is_empty() || d == u {
                u.clone()
            } else {
                format!("{d}（{u}）")
            };
            (u, shown)
        })
        .chain(std::iter::once(("系统".to_string(), "系统".to_string())))
        .collect())
}

const COLUMNS: &str = "SELECT id, at, at_micros, actor_id, actor_name, role, action, object_kind, object_id, success, client_addr, detail, prev_hash, hash, key_id FROM audit_log";

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

// ---------------------------------------------------------------------------
// Reads of personal data

/// One read waiting to be written.
struct Pending {
    at: DateTime<Utc>,
    who: Who,
    ev: Event<'static>,
}

enum Msg {
    Read(Pending),
    /// Write everything received so far, then answer.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Reads of personal data (profile views, exact searches, API reads, case
/// pages with the reporter's details, attachment downloads) are recorded
/// through this queue, so that a page does not wait for the audit chain's
/// write lock: a task writes what has queued up every `every` (or every
/// `batch` reads) in one transaction. [`ReadQueue::close`] writes the rest
/// and ends the task; the server calls it on graceful shutdown, after the
/// last request has been answered. A batch that fails to write is retried;
/// reads are never dropped while the process lives.
#[derive(Clone)]
pub struct ReadQueue {
    inner: std::sync::Arc<QueueInner>,
}

struct QueueInner {
    sender: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Msg>>>,
    worker: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Reads recorded off (measurement only): nothing is queued.
    off: bool,
}

impl fmt::Debug for ReadQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReadQueue")
    }
}

impl ReadQueue {
    /// Starts the writer task (needs a Tokio runtime).
    pub fn start(db: Db, every: std::time::Duration, batch: usize) -> ReadQueue {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let worker = tokio::spawn(write_reads(db, rx, every, batch.max(1)));
        ReadQueue {
            inner: std::sync::Arc::new(QueueInner {
                sender: Mutex::new(Some(tx)),
                worker: tokio::sync::Mutex::new(Some(worker)),
                off: false,
            }),
        }
    }

    /// A queue that records nothing: only for measuring what auditing reads
    /// costs (`[audit] reads = false`), never the default.
    pub fn off() -> ReadQueue {
        ReadQueue {
            inner: std::sync::Arc::new(QueueInner {
                sender: Mutex::new(None),
                worker: tokio::sync::Mutex::new(None),
                off: true,
            }),
        }
    }

    /// Queues one read by `call`'s actor, at `call`'s time.
    pub fn saw(&self, call: &crate::Call<'_>, ev: Event<'static>) {
        self.push(call.now, Who::actor(call.actor, call.origin), ev);
    }

    /// Queues one read.
    pub fn push(&self, at: DateTime<Utc>, who: Who, ev: Event<'static>) {
        if self.inner.off {
            return;
        }
        let sender = self.inner.sender.lock().unwrap_or_else(|p| p.into_inner());
        let sent = sender
            .as_ref()
            .is_some_and(|s| s.send(Msg::Read(Pending { at, who, ev })).is_ok());
        if !sent {
            // After close (should not happen: the server stops taking
            // requests first). Say so, without the read's details.
            tracing::error!("read audited after the audit queue closed");
        }
    }

    /// Waits until every read queued before the call is written.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = {
            let sender = self.inner.sender.lock().unwrap_or_else(|p| p.into_inner());
            sender.as_ref().is_some_and(|s| s.send(Msg::Flush(tx)).is_ok())
        };
        if sent {
            let _ = rx.await;
        }
    }

    /// Writes every queued read and stops the writer task.
    pub async fn close(&self) {
        drop(self.inner.sender.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(worker) = self.inner.worker.lock().await.take() {
            let _ = worker.await;
        }
    }
}

async fn write_reads(
    db: Db,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Msg>,
    every: std::time::Duration,
    batch: usize,
) {
    let mut buf: Vec<Pending> = Vec::new();
    let mut open = true;
    while open {
        let mut waiting = Vec::new();
        match rx.recv().await {
            Some(Msg::Read(p)) => buf.push(p),
            Some(Msg::Flush(t)) => waiting.push(t),
            None => open = false,
        }
        if open && waiting.is_empty() {
            let deadline = tokio::time::Instant::now() + every;
            while buf.len() < batch {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(Msg::Read(p))) => buf.push(p),
                    Ok(Some(Msg::Flush(t))) => {
                        waiting.push(t);
                        break;
                    }
                    Ok(None) => {
                        open = false;
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
        if !open {
            // Closed: take whatever is still in the channel.
            while let Ok(m) = rx.try_recv() {
                match m {
                    Msg::Read(p) => buf.push(p),
                    Msg::Flush(t) => waiting.push(t),
                }
            }
        }
        let mut attempt = 0u32;
        while !buf.is_empty() {
            match write_batch(&db, &buf).await {
                Ok(()) => buf.clear(),
                Err(e) => {
                    attempt += 1;
                    tracing::error!(error = %e, reads = buf.len(), attempt, "cannot write audited reads; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt.min(25)))).await;
                }
            }
        }
        for t in waiting {
            let _ = t.send(());
        }
    }
}

async fn write_batch(db: &Db, buf: &[Pending]) -> AppResult<()> {
    let mut tx = db.write().await?;
    for p in buf {
        record(&mut tx, p.at, &p.who, p.ev.clone()).await?;
    }
    tx.commit().await
}

/// Who read the personal data of the person with this ID number: the
/// workers registered under it (or with a family member under it) and the
/// cases that name them as the reporter, and every audited read of those
/// (newest first, at most `limit`). Auditor only; the search is audited
/// itself. The number is looked up through the blind index and is never
/// stored or logged.
pub async fn who_looked(
    call: &crate::Call<'_>,
    id_number: &shiminhua_core::id_number::IdNumber,
    limit: i64,
) -> AppResult<Vec<AuditRow>> {
    require_auditor(call.actor)?;
    let index = call.cipher.blind_index("id_number", id_number.as_str());
    let mut tx = call.db.write().await?;
    let workers: Vec<(i64,)> = tx
        .all(
            Sql::new(
                "SELECT id FROM workers WHERE id_index = $1 \
                 UNION SELECT worker_id FROM dependants WHERE id_index = $2",
            )
            .bind(index.clone())
            .bind(index.clone()),
        )
        .await?;
    let cases: Vec<(i64,)> = tx
        .all(Sql::new("SELECT id FROM cases WHERE reporter_id_index = $1").bind(index))
        .await?;
    let rows = if workers.is_empty() && cases.is_empty() {
        Vec::new()
    } else {
        let mut q = Sql::new(COLUMNS);
        q.push(" WHERE (object_kind = 'worker' AND object_id IN (");
        push_ids(&mut q, &workers);
        q.push(")) OR (object_kind = 'case' AND object_id IN (");
        push_ids(&mut q, &cases);
        q.push(")) ORDER BY id DESC");
        q.page(limit, 0);
        tx.all(q).await?
    };
    let found: Vec<String> = workers.iter().map(|(id,)| id.to_string()).collect();
    record(
        &mut tx,
        call.now,
        &Who::actor(call.actor, call.origin),
        Event::ok("audit.who_looked", "audit_log", "").detail(format!(
            "农民工编号[{}]，案件{}件，查看记录{}条",
            found.join(","),
            cases.len(),
            rows.len()
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}

fn push_ids(q: &mut Sql, ids: &[(i64,)]) {
    if ids.is_empty() {
        q.push("''");
    }
    for (i, (id,)) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.arg(id.to_string());
    }
}

/// The outcome of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        rows: i64,
    },
    /// The row with this id was altered (its MAC does not match its content,
    /// or it is chained under an unknown key or without one).
    Altered {
        id: i64,
    },
    /// Rows are missing before this id (a gap in the sequence, or a broken link).
    Missing {
        after: i64,
        next: i64,
    },
    /// The table ends at `last` but the anchor outside the database has
    /// seen the chain reach `anchored`: the tail was cut off.
    Truncated {
        last: i64,
        anchored: i64,
    },
    /// The row the anchor names no longer has the head the anchor recorded:
    /// the chain was rebuilt.
    Rewritten {
        id: i64,
    },
    /// There are rows but no anchor file.
    Unanchored,
    /// The anchor file is unreadable, malformed, or its MAC does not match.
    BadAnchor,
}

/// Checks every link of the chain without the anchor: the number of rows
/// and the last row's hash, or the first fault.
async fn walk(tx: &mut Tx, key: &ChainKey, want: Option<i64>) -> AppResult<Result<(i64, Option<Vec<u8>>), Verdict>> {
    let mut prev = GENESIS.to_vec();
    let mut expected = 1i64;
    let mut keyed = false;
    let mut at_want = None;
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
                return Ok(Err(Verdict::Missing {
                    after: expected - 1,
                    next: head_id,
                }));
            }
            return Ok(Ok((expected - 1, at_want)));
        }
        for r in rows {
            if r.id != expected || r.prev_hash != prev {
                return Ok(Err(Verdict::Missing {
                    after: expected - 1,
                    next: r.id,
                }));
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
            let h = match r.key_id.as_deref() {
                Some(id) if id == key.id => {
                    keyed = true;
                    chain_mac(&key.key, &prev, &fields)
                }
                // Unkeyed rows are older than every keyed one.
                None if !keyed => chain_hash(&prev, &fields),
                _ => return Ok(Err(Verdict::Altered { id: r.id })),
            };
            if h.as_slice() != r.hash.as_slice() || r.at.timestamp_micros() != r.at_micros {
                return Ok(Err(Verdict::Altered { id: r.id }));
            }
            if Some(r.id) == want {
                at_want = Some(r.hash.clone());
            }
            prev = r.hash;
            expected += 1;
        }
    }
}

/// Walks the whole chain in id order, in batches, and checks its end
/// against the anchor kept outside the database.
pub async fn verify(db: &Db) -> AppResult<Verdict> {
    let key = db.audit_key().ok_or_else(no_key)?;
    // Read before the rows: the anchor never runs ahead of committed rows.
    let anchor = key.read_anchor();
    let mut tx = db.read().await?;
    let want = anchor.as_ref().ok().and_then(|a| a.as_ref().map(|a| a.seq));
    let (rows, head) = match walk(&mut tx, &key, want).await? {
        Ok(r) => r,
        Err(v) => return Ok(v),
    };
    Ok(match anchor {
        Err(_) => Verdict::BadAnchor,
        Ok(None) if rows == 0 => Verdict::Intact { rows },
        Ok(None) => Verdict::Unanchored,
        Ok(Some(a)) if a.seq > rows => Verdict::Truncated {
            last: rows,
            anchored: a.seq,
        },
        Ok(Some(a)) if head.as_deref() != Some(a.head.as_slice()) => Verdict::Rewritten { id: a.seq },
        Ok(Some(_)) => Verdict::Intact { rows },
    })
}

/// Starts the keyed chain on a database whose newest rows are unkeyed
/// (written before migration 0019): appends one keyed row that covers the
/// unkeyed chain's head, and so every row before it. Runs at start, once
/// the key ring is loaded; does nothing on a chain already keyed or empty.
pub async fn adopt_key(db: &Db, now: DateTime<Utc>) -> AppResult<bool> {
    let mut tx = db.write().await?;
    tx.lock_audit_chain().await?;
    let last: Option<(i64, Option<String>)> = tx
        .opt(Sql::new("SELECT id, key_id FROM audit_log ORDER BY id DESC LIMIT 1"))
        .await?;
    let Some((id, None)) = last else {
        return Ok(false);
    };
    record(
        &mut tx,
        now,
        &Who::system(&Origin::cli()),
        Event::ok("audit.key", "audit_log", id).detail(format!("第1至{id}条记录的SM3链由本条起以HMAC-SM3密钥链接续")),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// After a backup is restored the table is older than the anchor: records
/// the restore in the chain and anchors the restored chain's new head (the
/// operator who restores holds the key).
pub async fn after_restore(db: &Db, now: DateTime<Utc>, detail: &str) -> AppResult<()> {
    let key = db.audit_key().ok_or_else(no_key)?;
    let mut tx = db.write().await?;
    record(
        &mut tx,
        now,
        &Who::system(&Origin::cli()),
        Event::ok("restore", "database", "").detail(detail),
    )
    .await?;
    let (id, hash): (i64, Vec<u8>) = tx
        .one(Sql::new("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"))
        .await?;
    tx.commit().await?;
    let mut done = key.anchored.lock().unwrap_or_else(|p| p.into_inner());
    let _ = std::fs::remove_file(&key.anchor);
    key.write_anchor(id, &hash)
        .map_err(|_| AppError::Config(format!("无法写入审计日志锚点文件 {}。", key.anchor.display())))?;
    *done = id;
    Ok(())
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
