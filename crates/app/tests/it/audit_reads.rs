//! Reads of personal data: queued, written in batches, written out on
//! shutdown, and answerable as "who looked at this person" by ID number.

use crate::common::{World, id_for, input};
use shiminhua_app::audit::{self, Event, ReadQueue, Verdict};
use shiminhua_app::registry::workers;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{AppError, both};
use shiminhua_core::auth::Role;
use shiminhua_core::id_number::IdNumber;
use std::time::Duration;

async fn reads_of(db: &Db, action: &str) -> i64 {
    let mut tx = db.read().await.unwrap();
    tx.int(Sql::new("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action))
        .await
        .unwrap()
}

/// Reads queued just before shutdown are all written by `close`, even with
/// a flush interval far longer than the test, and the chain stays intact.
async fn queued_reads_are_written_on_shutdown(db: Db) {
    let w = World::new(db.clone()).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let q = ReadQueue::start(db.clone(), Duration::from_secs(3600), 1_000_000);
    for id in 0..250 {
        q.saw(&w.call(&office), Event::ok("worker.view", "worker", id));
    }
    // Nothing yet: the batch waits for its interval…
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(reads_of(&db, "worker.view").await, 0);
    // …and shutdown writes it out.
    q.close().await;
    assert_eq!(reads_of(&db, "worker.view").await, 250);
    assert!(matches!(audit::verify(&db).await.unwrap(), Verdict::Intact { .. }));
}

/// Full batches are written without waiting for the interval; `flush`
/// waits for what was queued before it.
async fn reads_are_written_in_batches(db: Db) {
    let w = World::new(db.clone()).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let q = ReadQueue::start(db.clone(), Duration::from_secs(3600), 10);
    for id in 0..25 {
        q.saw(&w.call(&office), Event::ok("worker.view", "worker", id));
    }
    for _ in 0..100 {
        if reads_of(&db, "worker.view").await >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(reads_of(&db, "worker.view").await, 20, "two full batches");
    q.flush().await;
    assert_eq!(reads_of(&db, "worker.view").await, 25);
    // The rows name who read what, from where.
    let mut tx = db.read().await.unwrap();
    let (name, addr, object): (String, String, String) = tx
        .one(Sql::new(
            "SELECT actor_name, client_addr, object_id FROM audit_log WHERE action = 'worker.view' ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap();
    assert_eq!(
        (name.as_str(), addr.as_str(), object.as_str()),
        ("office1", "127.0.0.1", "0")
    );
    drop(tx);
    q.close().await;
}

/// The auditor enters an ID number and gets the reads of that person (and
/// only of that person); the number itself is stored nowhere in the log.
async fn who_looked_at_this_person(db: Db) {
    let w = World::new(db.clone()).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let other = w.scoped("office2", Role::Office, "341000").await;
    let auditor = w.user("aud1", Role::Auditor, vec![]).await;
    let (a_id, b_id) = (id_for(1), id_for(2));
    let a = workers::create_worker(&w.call(&office), &input("张甲", &a_id, "341021100"))
        .await
        .unwrap();
    let b = workers::create_worker(&w.call(&office), &input("李乙", &b_id, "341021100"))
        .await
        .unwrap();
    let q = ReadQueue::start(db.clone(), Duration::from_millis(10), 100);
    q.saw(&w.call(&office), Event::ok("worker.view", "worker", a));
    q.saw(
        &w.call(&other),
        Event::ok("worker.search", "worker", a).detail("按身份证号查找"),
    );
    q.saw(&w.call(&other), Event::ok("worker.view", "worker", b));
    q.close().await;

    let person = IdNumber::parse(&a_id).unwrap();
    let rows = audit::who_looked(&w.call(&auditor), &person, 100).await.unwrap();
    let seen: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.actor_name.as_str(), r.action.as_str()))
        .collect();
    assert!(seen.contains(&("office1", "worker.view")), "{seen:?}");
    assert!(seen.contains(&("office2", "worker.search")), "{seen:?}");
    assert!(rows.iter().all(|r| r.object_id == a.to_string()), "only this person");
    // Creating the worker is part of the answer too.
    assert!(seen.contains(&("office1", "worker.create")), "{seen:?}");
    // The search is audited, without the number.
    assert_eq!(reads_of(&db, "audit.who_looked").await, 1);
    let mut tx = db.read().await.unwrap();
    let leaked = tx
        .int(
            Sql::new("SELECT COUNT(*) FROM audit_log WHERE detail LIKE $1 OR object_id LIKE $1")
                .bind(format!("%{a_id}%")),
        )
        .await
        .unwrap();
    assert_eq!(leaked, 0);
    drop(tx);
    // Nobody registered under a number: no rows.
    let nobody = IdNumber::parse(&id_for(3)).unwrap();
    assert!(
        audit::who_looked(&w.call(&auditor), &nobody, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Only the auditor may ask.
    assert!(matches!(
        audit::who_looked(&w.call(&office), &person, 100).await,
        Err(AppError::Forbidden)
    ));
}

both!(
    queued_reads_are_written_on_shutdown,
    reads_are_written_in_batches,
    who_looked_at_this_person,
);
