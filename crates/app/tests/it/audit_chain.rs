//! The audit chain against someone who can write the database: an edited
//! row, a deleted row, a truncated tail and a recomputed chain (with the
//! append-only trigger dropped) are each caught by `audit::verify`, on both
//! backends.

use chrono::{DateTime, TimeZone, Utc};
use shiminhua_app::audit::{self, Event, Verdict, Who};
use shiminhua_app::store::{Backend, Db, Sql, Tx};
use shiminhua_app::{Origin, both};
use shiminhua_core::audit::{AuditFields, GENESIS, chain_hash};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 30, 2, 0, 0).unwrap()
}

/// Six events, one transaction each; returns the id of the last row.
async fn six_events(db: &Db) -> i64 {
    let who = Who::system(&Origin::cli());
    for i in 0..6 {
        audit::record_alone(
            db,
            t0() + chrono::Duration::seconds(i),
            &who,
            Event::ok("backup", "file", i).detail(format!("第{i}次")),
        )
        .await
        .unwrap();
    }
    let mut tx = db.read().await.unwrap();
    tx.int(Sql::new("SELECT MAX(id) FROM audit_log")).await.unwrap()
}

/// A writer that first drops the append-only trigger, as an intruder with
/// database access would.
async fn intruder(db: &Db) -> Tx {
    let mut tx = db.write().await.unwrap();
    match db.backend() {
        Backend::Sqlite => {
            tx.exec(Sql::new("DROP TRIGGER audit_log_no_update")).await.unwrap();
            tx.exec(Sql::new("DROP TRIGGER audit_log_no_delete")).await.unwrap();
        }
        Backend::Postgres => {
            tx.exec(Sql::new("DROP TRIGGER audit_log_no_change ON audit_log"))
                .await
                .unwrap();
        }
    }
    tx
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at_micros: i64,
    actor_id: Option<i64>,
    actor_name: String,
    role: String,
    action: String,
    object_kind: String,
    object_id: String,
    success: bool,
    client_addr: String,
    detail: String,
}

/// Recomputes the unkeyed SM3 chain over every row from `from` on and moves
/// the head in `settings` along, as anyone who knows the algorithm can.
async fn recompute(tx: &mut Tx, from: i64) {
    let prev: Option<(Vec<u8>,)> = tx
        .opt(Sql::new("SELECT hash FROM audit_log WHERE id = $1").bind(from - 1))
        .await
        .unwrap();
    let mut prev = prev.map(|(h,)| h).unwrap_or(GENESIS.to_vec());
    let rows: Vec<Row> = tx
        .all(
            Sql::new(
                "SELECT id, at_micros, actor_id, actor_name, role, action, object_kind, object_id, success, client_addr, detail \
                 FROM audit_log WHERE id >= $1 ORDER BY id",
            )
            .bind(from),
        )
        .await
        .unwrap();
    for r in rows {
        let h = chain_hash(
            &prev,
            &AuditFields {
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
            },
        );
        tx.exec(
            Sql::new("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
                .bind(prev.clone())
                .bind(h.to_vec())
                .bind(r.id),
        )
        .await
        .unwrap();
        tx.exec(
            Sql::new("UPDATE settings SET value = $1 WHERE key = 'audit_head'").bind(format!(
                "{}:{}",
                r.id,
                shiminhua_app::hex(&h)
            )),
        )
        .await
        .unwrap();
        prev = h.to_vec();
    }
}

async fn edited_row_is_detected(db: Db) {
    let last = six_events(&db).await;
    assert!(matches!(audit::verify(&db).await.unwrap(), Verdict::Intact { .. }));
    let mut tx = intruder(&db).await;
    tx.exec(Sql::new("UPDATE audit_log SET actor_name = 'someone' WHERE id = $1").bind(last - 2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Altered { id: last - 2 });
}

async fn deleted_row_is_detected(db: Db) {
    let last = six_events(&db).await;
    let mut tx = intruder(&db).await;
    tx.exec(Sql::new("DELETE FROM audit_log WHERE id = $1").bind(last - 2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        audit::verify(&db).await.unwrap(),
        Verdict::Missing {
            after: last - 3,
            next: last - 1
        }
    );
}

/// The newest rows are cut off and the head in the database is moved back
/// with them: only a head kept outside the database shows the cut.
async fn truncated_tail_is_detected(db: Db) {
    let last = six_events(&db).await;
    let mut tx = intruder(&db).await;
    tx.exec(Sql::new("DELETE FROM audit_log WHERE id > $1").bind(last - 2))
        .await
        .unwrap();
    let (h,): (Vec<u8>,) = tx
        .one(Sql::new("SELECT hash FROM audit_log WHERE id = $1").bind(last - 2))
        .await
        .unwrap();
    tx.exec(
        Sql::new("UPDATE settings SET value = $1 WHERE key = 'audit_head'").bind(format!(
            "{}:{}",
            last - 2,
            shiminhua_app::hex(&h)
        )),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let v = audit::verify(&db).await.unwrap();
    assert!(!matches!(v, Verdict::Intact { .. }), "a truncated tail passed: {v:?}");
    assert_eq!(
        v,
        Verdict::Truncated {
            last: last - 2,
            anchored: last
        }
    );
}

/// A row is edited and the whole chain after it recomputed, head included:
/// without the chain's key the result does not verify.
async fn recomputed_chain_is_detected(db: Db) {
    let last = six_events(&db).await;
    let mut tx = intruder(&db).await;
    tx.exec(Sql::new("UPDATE audit_log SET detail = '无' WHERE id = $1").bind(last - 3))
        .await
        .unwrap();
    recompute(&mut tx, last - 3).await;
    tx.commit().await.unwrap();
    let v = audit::verify(&db).await.unwrap();
    assert!(!matches!(v, Verdict::Intact { .. }), "a recomputed chain passed: {v:?}");
    assert_eq!(v, Verdict::Altered { id: last - 3 });
}

/// The same, but the intruder also marks every row as written before the
/// chain was keyed, so that the unkeyed SM3 rule applies to all of them: the
/// anchor outside the database still names the true head.
async fn chain_recomputed_as_unkeyed_is_detected(db: Db) {
    let last = six_events(&db).await;
    let mut tx = intruder(&db).await;
    tx.exec(Sql::new("UPDATE audit_log SET detail = '无' WHERE id = $1").bind(last - 3))
        .await
        .unwrap();
    tx.exec(Sql::new("UPDATE audit_log SET key_id = NULL")).await.unwrap();
    recompute(&mut tx, 1).await;
    tx.commit().await.unwrap();
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Rewritten { id: last });
    // Without the anchor file the chain does not verify either…
    let anchor = db.audit_key().unwrap().anchor_path().to_path_buf();
    let saved = std::fs::read_to_string(&anchor).unwrap();
    std::fs::remove_file(&anchor).unwrap();
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Unanchored);
    // …nor with one written without the key.
    let forged = saved
        .lines()
        .map(|l| {
            if l.starts_with("seq ") {
                format!("seq {}", last - 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&anchor, forged).unwrap();
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::BadAnchor);
}

/// The anchor follows each commit, is private to its owner, and a later
/// row keeps the chain intact.
async fn the_anchor_follows_the_chain(db: Db) {
    let last = six_events(&db).await;
    let key = db.audit_key().unwrap();
    let a = key.read_anchor().unwrap().unwrap();
    assert_eq!(a.seq, last);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key.anchor_path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A transaction that rolls back anchors nothing.
    let mut tx = db.write().await.unwrap();
    audit::record(
        &mut tx,
        t0(),
        &Who::system(&Origin::cli()),
        Event::ok("backup", "file", "x"),
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(key.read_anchor().unwrap().unwrap().seq, last);
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { rows: last });
}

/// A database from before migration 0019: its rows are chained with plain
/// SM3. Keying the chain appends one keyed row over their head, after which
/// rewriting the old rows (and their SM3 chain) is detected.
async fn an_unkeyed_chain_is_adopted(db: Db) {
    let mut tx = db.write().await.unwrap();
    let mut prev = GENESIS.to_vec();
    for id in 1..=4i64 {
        let f = AuditFields {
            seq: id,
            at_micros: t0().timestamp_micros(),
            actor_id: None,
            actor_name: "系统",
            role: "system",
            action: "backup",
            object_kind: "file",
            object_id: "1",
            success: true,
            client_addr: "命令行",
            detail: "",
        };
        let h = chain_hash(&prev, &f);
        tx.exec(
            Sql::new(
                "INSERT INTO audit_log (id, at, at_micros, actor_id, actor_name, role, action, object_kind, object_id, success, client_addr, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, NULL, '系统', 'system', 'backup', 'file', '1', $4, '命令行', '', $5, $6)",
            )
            .bind(id)
            .bind(t0())
            .bind(t0().timestamp_micros())
            .bind(true)
            .bind(prev.clone())
            .bind(h.to_vec()),
        )
        .await
        .unwrap();
        prev = h.to_vec();
    }
    tx.exec(
        Sql::new("INSERT INTO settings (key, value) VALUES ('audit_head', $1)")
            .bind(format!("4:{}", shiminhua_app::hex(&prev))),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(audit::adopt_key(&db, t0()).await.unwrap());
    assert!(!audit::adopt_key(&db, t0()).await.unwrap(), "only once");
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { rows: 5 });
    let mut tx = intruder(&db).await;
    tx.exec(Sql::new("UPDATE audit_log SET object_id = '2' WHERE id = 2"))
        .await
        .unwrap();
    recompute(&mut tx, 2).await;
    tx.commit().await.unwrap();
    // The old rows recompute, the keyed row over them does not.
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Altered { id: 5 });
}

both!(
    edited_row_is_detected,
    deleted_row_is_detected,
    truncated_tail_is_detected,
    recomputed_chain_is_detected,
    chain_recomputed_as_unkeyed_is_detected,
    the_anchor_follows_the_chain,
    an_unkeyed_chain_is_adopted,
);
