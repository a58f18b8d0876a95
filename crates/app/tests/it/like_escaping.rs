//! Name searches take `%`, `_` and `\` as the characters they are, not as
//! wildcards, on SQLite and PostgreSQL.

use shiminhua_app::registry::workers::{self, WorkerFilter};
use shiminhua_app::store::Db;
use shiminhua_app::{both, users};
use shiminhua_core::auth::Role;

use crate::common::*;

both!(worker_name_search_has_no_wildcards, user_search_has_no_wildcards);

async fn worker_name_search_has_no_wildcards(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    for (n, name) in ["张三", "张伟", "李四"].iter().enumerate() {
        let n = u16::try_from(n).unwrap() + 1;
        workers::create_worker(&w.call(&office), &input(name, &id_for(n), "341021100"))
            .await
            .unwrap();
    }
    let names = |q: &'static str| {
        let (w, office) = (&w, &office);
        async move {
            let f = WorkerFilter {
                q: q.into(),
                sort: "name".into(),
                ..WorkerFilter::default()
            };
            let (rows, total) = workers::list_workers(&w.db, &w.cipher, office, &f, 50, 0, 1000)
                .await
                .unwrap();
            let mut names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
            names.sort();
            assert_eq!(total, names.len() as i64, "{q}");
            names
        }
    };
    assert_eq!(names("张").await, ["张三", "张伟"]);
    assert_eq!(names("张三").await, ["张三"]);
    for q in ["%", "_", "张_", "张%", "_三", "\\", "张\\"] {
        assert!(names(q).await.is_empty(), "{q} is no wildcard");
    }
}

async fn user_search_has_no_wildcards(db: Db) {
    let w = World::new(db).await;
    w.user("li_si", Role::Auditor, vec![]).await;
    w.user("lixsi", Role::Auditor, vec![]).await;
    w.user("wang.wu", Role::Auditor, vec![]).await;
    let found = |q: &'static str| {
        let w = &w;
        async move {
            let (rows, total) = users::list(&w.db, &w.admin, q, 100, 0).await.unwrap();
            let mut names: Vec<String> = rows.into_iter().map(|(u, _)| u.username).collect();
            names.sort();
            assert_eq!(total, names.len() as i64, "{q}");
            names
        }
    };
    assert_eq!(found("_").await, ["li_si"]);
    assert_eq!(found("i_s").await, ["li_si"]);
    assert!(found("%").await.is_empty());
    assert!(found("\\").await.is_empty());
    assert_eq!(found("lix").await, ["lixsi"]);
}
