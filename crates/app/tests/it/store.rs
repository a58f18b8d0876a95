//! Use cases against a real database: every test runs on SQLite and on PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shiminhua_app::audit::{self, Filter, Verdict};
use shiminhua_app::config::Security;
use shiminhua_app::crypto::Cipher;
use shiminhua_app::keys::MasterKey;
use shiminhua_app::regions;
use shiminhua_app::sessions::{self, Gone, Stage};
use shiminhua_app::store::{Arg, Backend, Db, Sql};
use shiminhua_app::users::{self, NextStep, PasswordChange, SignInRules, UserForm};
use shiminhua_app::{AppError, Origin, both, ops::setup, units};
use shiminhua_core::auth::{Actor, Grant, KindSet, RecordKind, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::UserId;
use shiminhua_core::password::PasswordPolicy;
use shiminhua_core::totp::TotpSecret;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 30, 2, 0, 0).unwrap()
}

fn origin() -> Origin {
    Origin {
        client_addr: "127.0.0.1".into(),
    }
}

const ADMIN_PW: &str = "Init-Root-2026";

async fn fresh(db: &Db) -> Actor {
    setup::init(db, t0(), &PasswordPolicy::default(), Some(ADMIN_PW.into()))
        .await
        .unwrap();
    let mut tx = db.read().await.unwrap();
    let (id,): (i64,) = tx
        .one(Sql::new("SELECT id FROM users WHERE username = 'admin'"))
        .await
        .unwrap();
    users::load_actor(&mut tx, UserId(id)).await.unwrap()
}

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).unwrap()
}

async fn make_user(db: &Db, admin: &Actor, name: &str, roles: Vec<Role>, region: Option<&str>) -> (Actor, String) {
    let grants = region
        .map(|r| {
            vec![Grant {
                region: code(r),
                kinds: KindSet::all(),
            }]
        })
        .unwrap_or_default();
    let form = UserForm {
        username: name.into(),
        display_name: format!("测试{name}"),
        unit_id: None,
        roles,
        grants,
    };
    let (id, pw) = users::create(db, admin, &origin(), t0(), form).await.unwrap();
    shiminhua_app::testing::approve_pending(db, t0(), id).await;
    let mut tx = db.read().await.unwrap();
    (users::load_actor(&mut tx, UserId(id)).await.unwrap(), pw)
}

fn rules<'a>(security: &'a Security, policy: &'a PasswordPolicy) -> SignInRules<'a> {
    SignInRules {
        security,
        policy,
        demo: false,
    }
}

both!(
    init_is_idempotent_and_loads_the_shipped_data,
    scope_limits_region_reads_to_the_subtree,
    subtree_queries_use_an_index,
    separation_of_duties,
    audit_chain_detects_alteration,
    audit_chain_detects_deletion,
    lockout_after_five_failures_with_one_message,
    password_change_policy_and_history,
    stale_user_edit_is_refused,
    village_import_is_all_or_nothing,
    sessions_end_when_idle_or_disabled,
    totp_enrolment_and_replay,
    forced_steps_after_password,
    audit_filters_and_export,
    bulk_insert_stores_what_binding_stores,
);

async fn init_is_idempotent_and_loads_the_shipped_data(db: Db) {
    let r1 = setup::init(&db, t0(), &PasswordPolicy::default(), None).await.unwrap();
    assert!(r1.admin_created && r1.admin_password.is_some());
    let r2 = setup::init(&db, t0(), &PasswordPolicy::default(), None).await.unwrap();
    assert!(
        !r2.admin_created && r2.admin_password.is_none(),
        "a second init creates no admin"
    );
    let mut tx = db.read().await.unwrap();
    let count = |t: &str| Sql::new(&format!("SELECT COUNT(*) FROM {t}"));
    // The city, 7 counties and 109 township-level units.
    assert_eq!(tx.int(count("regions")).await.unwrap(), 117);
    assert_eq!(
        tx.int(Sql::new("SELECT COUNT(*) FROM regions WHERE level = 3"))
            .await
            .unwrap(),
        7
    );
    assert_eq!(
        tx.int(Sql::new("SELECT COUNT(*) FROM regions WHERE level = 4"))
            .await
            .unwrap(),
        109
    );
    // 9 member units and the transport and water bureaus (the wage-payment
    // monitoring's supervising authorities), in the city and each of 7 counties.
    assert_eq!(tx.int(count("units")).await.unwrap(), 88);
    assert_eq!(tx.int(count("taskforce_members")).await.unwrap(), 19);
    assert_eq!(
        tx.int(Sql::new("SELECT COUNT(*) FROM user_roles WHERE role = 'admin'"))
            .await
            .unwrap(),
        1
    );
    let (name,): (String,) = tx
        .one(Sql::new("SELECT name FROM units WHERE code = '341021-rsj'"))
        .await
        .unwrap();
    assert_eq!(name, "歙县人力资源社会保障局");
    let (lead,): (String,) = tx
        .one(Sql::new(
            "SELECT u.name FROM taskforce_members m JOIN units u ON u.id = m.unit_id WHERE m.position = '组长'",
        ))
        .await
        .unwrap();
    assert_eq!(lead, "市人力资源社会保障局");
    drop(tx);
    assert!(matches!(audit::verify(&db).await.unwrap(), Verdict::Intact { rows } if rows >= 3));
}

async fn scope_limits_region_reads_to_the_subtree(db: Db) {
    let admin = fresh(&db).await;
    let (shexian, _) = make_user(&db, &admin, "shexian1", vec![Role::Local], Some("341021")).await;
    let rows = regions::tree(&db, &shexian, 5).await.unwrap();
    let towns = regions::SEED_CSV.lines().filter(|l| l.contains(",341021,")).count();
    assert_eq!(rows.len(), towns + 1, "歙县 and its townships");
    assert!(
        rows.iter()
            .all(|r| code("341021").contains(DivisionCode::from_i64(r.code).unwrap()))
    );
    assert!(regions::get(&db, &shexian, code("341021100")).await.is_ok());
    assert!(matches!(
        regions::get(&db, &shexian, code("341022")).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        regions::get(&db, &shexian, code("341000")).await,
        Err(AppError::NotFound)
    ));
    // Units: the city's member units and 歙县's, none of another county.
    let units = units::list(&db, &shexian).await.unwrap();
    assert_eq!(units.len(), 22);
    assert!(
        units
            .iter()
            .all(|u| u.region_code == 341000000000 || u.region_code == 341021000000)
    );
    // The administrator manages all regions.
    assert_eq!(regions::tree(&db, &admin, 5).await.unwrap().len(), 117);
    // A business role without a scope sees nothing.
    let mut nobody = shexian.clone();
    nobody.scope = Default::default();
    assert!(regions::tree(&db, &nobody, 5).await.unwrap().is_empty());
}

async fn subtree_queries_use_an_index(db: Db) {
    let mut tx = db.write().await.unwrap();
    let plan: Vec<String> = match db.backend() {
        Backend::Sqlite => {
            let rows: Vec<(i64, i64, i64, String)> = tx
                .all(
                    Sql::new("EXPLAIN QUERY PLAN SELECT name FROM regions WHERE code BETWEEN $1 AND $2")
                        .bind(1i64)
                        .bind(2i64),
                )
                .await
                .unwrap();
            rows.into_iter().map(|r| r.3).collect()
        }
        Backend::Postgres => {
            tx.exec(Sql::new("SET LOCAL enable_seqscan = off")).await.unwrap();
            let rows: Vec<(String,)> = tx
                .all(Sql::new(
                    "EXPLAIN SELECT name FROM regions WHERE code BETWEEN 341021000000 AND 341021999999",
                ))
                .await
                .unwrap();
            rows.into_iter().map(|r| r.0).collect()
        }
    };
    let text = plan.join("\n");
    assert!(
        text.contains("USING INTEGER PRIMARY KEY")
            || text.contains("Index Scan")
            || text.contains("Index Only Scan")
            || text.contains("Bitmap Index Scan"),
        "subtree query must use an index:\n{text}"
    );
}

async fn separation_of_duties(db: Db) {
    let admin = fresh(&db).await;
    // The administrator cannot read the audit log; the auditor sees only the log.
    assert!(matches!(
        audit::list(&db, &admin, &Filter::default(), 10, 0).await,
        Err(AppError::Forbidden)
    ));
    let (auditor, _) = make_user(&db, &admin, "auditor1", vec![Role::Auditor], None).await;
    assert!(audit::list(&db, &auditor, &Filter::default(), 10, 0).await.is_ok());
    assert!(matches!(
        regions::tree(&db, &auditor, 5).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        users::list(&db, &auditor, "", 10, 0).await,
        Err(AppError::Forbidden)
    ));
    // Business roles need a scope; the admin may not change its own roles.
    let form = UserForm {
        username: "nobody".into(),
        display_name: "无范围".into(),
        unit_id: None,
        roles: vec![Role::Local],
        grants: vec![],
    };
    match users::create(&db, &admin, &origin(), t0(), form).await {
        Err(AppError::Validation(e)) => assert!(e.get("scopes").is_some()),
        other => panic!("{other:?}"),
    }
    let (u, _, _) = users::get(&db, &admin, UserId(admin.user_id)).await.unwrap();
    let form = UserForm {
        username: "admin".into(),
        display_name: "系统管理员".into(),
        unit_id: None,
        roles: vec![Role::Admin, Role::Office],
        grants: vec![Grant {
            region: code("341000"),
            kinds: KindSet::all(),
        }],
    };
    match users::update(&db, &admin, &origin(), t0(), admin.user_id, u.version, form).await {
        Err(AppError::Validation(e)) => assert!(e.get("roles").unwrap().contains("不能修改自己")),
        other => panic!("{other:?}"),
    }
}

async fn tamper(db: &Db, sql: &str) {
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
    tx.exec(Sql::new(sql)).await.unwrap();
    tx.commit().await.unwrap();
}

async fn audit_chain_detects_alteration(db: Db) {
    let admin = fresh(&db).await;
    make_user(&db, &admin, "user1", vec![Role::Local], Some("341021")).await;
    make_user(&db, &admin, "user2", vec![Role::Local], Some("341022")).await;
    let Verdict::Intact { rows } = audit::verify(&db).await.unwrap() else {
        panic!()
    };
    assert!(rows >= 4);
    // The table refuses changes outright…
    let mut tx = db.write().await.unwrap();
    assert!(
        tx.exec(Sql::new("UPDATE audit_log SET detail = 'x' WHERE id = 2"))
            .await
            .is_err()
    );
    drop(tx);
    let mut tx = db.write().await.unwrap();
    assert!(tx.exec(Sql::new("DELETE FROM audit_log WHERE id = 2")).await.is_err());
    drop(tx);
    // …and when someone with database access forces one, verify names the row.
    tamper(&db, "UPDATE audit_log SET actor_name = 'someone' WHERE id = 3").await;
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Altered { id: 3 });
}

async fn audit_chain_detects_deletion(db: Db) {
    let admin = fresh(&db).await;
    make_user(&db, &admin, "user1", vec![Role::Local], Some("341021")).await;
    make_user(&db, &admin, "user2", vec![Role::Local], Some("341022")).await;
    let Verdict::Intact { rows } = audit::verify(&db).await.unwrap() else {
        panic!()
    };
    tamper(&db, "DELETE FROM audit_log WHERE id = 2").await;
    assert_eq!(
        audit::verify(&db).await.unwrap(),
        Verdict::Missing { after: 1, next: 3 }
    );
    // Cutting the newest row off is detected too.
    let mut tx = db.write().await.unwrap();
    tx.exec(Sql::new("DELETE FROM audit_log WHERE id = $1").bind(rows))
        .await
        .unwrap();
    tx.exec(Sql::new("DELETE FROM audit_log WHERE id < $1").bind(rows))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        audit::verify(&db).await.unwrap(),
        Verdict::Missing { after: 0, next: rows }
    );
}

async fn lockout_after_five_failures_with_one_message(db: Db) {
    let admin = fresh(&db).await;
    let (_, pw) = make_user(&db, &admin, "lockme", vec![Role::Local], Some("341021")).await;
    let sec = Security::default();
    let policy = PasswordPolicy::default();
    let r = rules(&sec, &policy);
    let o = origin();
    let unknown = users::authenticate(&db, &o, t0(), &r, "ghost", "whatever")
        .await
        .unwrap_err()
        .to_string();
    for _ in 0..5 {
        let e = users::authenticate(&db, &o, t0(), &r, "lockme", "Wrong-pass-1")
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            unknown,
            "the message never tells whether the user exists"
        );
    }
    let locked = users::authenticate(&db, &o, t0() + Duration::minutes(14), &r, "lockme", &pw)
        .await
        .unwrap_err();
    assert_eq!(
        locked.to_string(),
        unknown,
        "a locked account answers like a wrong password"
    );
    let ok = users::authenticate(&db, &o, t0() + Duration::minutes(16), &r, "lockme", &pw)
        .await
        .unwrap();
    assert_eq!(ok.next, NextStep::ChangePassword { expired: false });
    // Every attempt is in the audit trail, failures as failures.
    let mut tx = db.read().await.unwrap();
    let fails = tx
        .int(Sql::new("SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND success = $1").bind(false))
        .await
        .unwrap();
    assert_eq!(fails, 7);
}

async fn password_change_policy_and_history(db: Db) {
    let admin = fresh(&db).await;
    let (u, pw) = make_user(&db, &admin, "changer", vec![Role::Local], Some("341021")).await;
    let policy = PasswordPolicy::default();
    let o = origin();
    let change = |cur: &'static str, new: &'static str| PasswordChange {
        current: cur,
        new,
        confirm: new,
    };
    let pw: &'static str = Box::leak(pw.into_boxed_str());
    // Wrong current password, weak, containing the user name, reuse of the one-time password.
    for (input, field) in [
        (change("Bad-Current-1", "Fresh-Pass-2026"), "current"),
        (change(pw, "short1A"), "new"),
        (change(pw, "alllowercase1"), "new"),
        (change(pw, "My-changer-2026"), "new"),
        (change(pw, pw), "new"),
    ] {
        match users::change_password(&db, u.user_id, &o, t0(), &policy, &input).await {
            Err(AppError::Validation(e)) => assert!(e.get(field).is_some(), "{input:?}: {e:?}"),
            other => panic!("{input:?}: {other:?}"),
        }
    }
    let mismatch = PasswordChange {
        current: pw,
        new: "Fresh-Pass-2026",
        confirm: "Fresh-Pass-2027",
    };
    assert!(
        users::change_password(&db, u.user_id, &o, t0(), &policy, &mismatch)
            .await
            .is_err()
    );
    // Six changes; the five newest (02–06) are then refused, 01 is allowed again.
    let seq = [
        "Pass-Word-01",
        "Pass-Word-02",
        "Pass-Word-03",
        "Pass-Word-04",
        "Pass-Word-05",
        "Pass-Word-06",
    ];
    let mut cur = pw;
    for p in seq {
        users::change_password(&db, u.user_id, &o, t0(), &policy, &change(cur, p))
            .await
            .unwrap();
        cur = p;
    }
    match users::change_password(&db, u.user_id, &o, t0(), &policy, &change(cur, "Pass-Word-02")).await {
        Err(AppError::Validation(e)) => assert!(e.get("new").unwrap().contains("最近5次")),
        other => panic!("{other:?}"),
    }
    users::change_password(&db, u.user_id, &o, t0(), &policy, &change(cur, "Pass-Word-01"))
        .await
        .unwrap();
    // Expiry: 90 days later the next sign-in must change the password.
    let sec = Security::default();
    let r = rules(&sec, &policy);
    let s = users::authenticate(&db, &o, t0() + Duration::days(91), &r, "changer", "Pass-Word-01")
        .await
        .unwrap();
    assert_eq!(s.next, NextStep::ChangePassword { expired: true });
    let s = users::authenticate(&db, &o, t0() + Duration::days(89), &r, "changer", "Pass-Word-01")
        .await
        .unwrap();
    assert_eq!(s.next, NextStep::Done);
}

async fn audited(db: &Db, action: &str) -> i64 {
    db.read()
        .await
        .unwrap()
        .int(Sql::new("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action))
        .await
        .unwrap()
}

async fn stale_user_edit_is_refused(db: Db) {
    let admin = fresh(&db).await;
    let (u, _) = make_user(&db, &admin, "edited", vec![Role::Local], Some("341021")).await;
    let (row, _, _) = users::get(&db, &admin, UserId(u.user_id)).await.unwrap();
    let form = |name: &str| UserForm {
        username: "edited".into(),
        display_name: name.into(),
        unit_id: None,
        roles: vec![Role::Local],
        grants: vec![Grant {
            region: code("341021"),
            kinds: KindSet::all(),
        }],
    };
    users::update(&db, &admin, &origin(), t0(), u.user_id, row.version, form("第一次"))
        .await
        .unwrap();
    match users::update(&db, &admin, &origin(), t0(), u.user_id, row.version, form("第二次")).await {
        Err(AppError::Conflict(m)) => assert!(m.contains("已被他人修改")),
        other => panic!("{other:?}"),
    }
    let (row2, _, _) = users::get(&db, &admin, UserId(u.user_id)).await.unwrap();
    assert_eq!(row2.display_name, "第一次");
    // Changing the scope is recorded as such.
    let wider = UserForm {
        grants: vec![Grant {
            region: code("341000"),
            kinds: KindSet::all(),
        }],
        ..form("第三次")
    };
    users::update(&db, &admin, &origin(), t0(), u.user_id, row2.version, wider)
        .await
        .unwrap();
    // A wider scope for a role that reads personal data waits for approval.
    // (The account's first grant, at its creation, was one request already.)
    assert_eq!(audited(&db, "grant.request").await, 2);
    assert_eq!(audited(&db, "user.scopes").await, 0);
    shiminhua_app::testing::approve_pending(&db, t0(), u.user_id).await;
    assert_eq!(audited(&db, "grant.approve").await, 2);
    let (_, _, grants) = users::get(&db, &admin, UserId(u.user_id)).await.unwrap();
    assert_eq!(grants[0].region, code("341000"));
}

async fn village_import_is_all_or_nothing(db: Db) {
    let admin = fresh(&db).await;
    let bad = "代码,名称\n341021100201,徽城村\n341021100,不是村\n341099100201,无上级村\n,空代码\n341021100202,\n";
    let (errors, fatal) = regions::import_villages(&db, &admin, &origin(), t0(), bad)
        .await
        .unwrap_err();
    assert!(fatal.is_none());
    let rows: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column)).collect();
    assert_eq!(
        rows,
        vec![(3, "代码"), (4, "代码"), (5, "代码"), (6, "名称")],
        "{errors:?}"
    );
    let mut tx = db.read().await.unwrap();
    assert_eq!(
        tx.int(Sql::new("SELECT COUNT(*) FROM regions WHERE level = 5"))
            .await
            .unwrap(),
        0
    );
    drop(tx);
    let good = "\u{feff}代码,名称\n341021100201,徽城村\n341021100202,问政村\n";
    assert_eq!(
        regions::import_villages(&db, &admin, &origin(), t0(), good)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        regions::import_villages(&db, &admin, &origin(), t0(), good)
            .await
            .unwrap(),
        2
    );
    let mut tx = db.read().await.unwrap();
    assert_eq!(
        tx.int(Sql::new("SELECT COUNT(*) FROM regions WHERE level = 5"))
            .await
            .unwrap(),
        2,
        "re-import does not duplicate"
    );
    let (parent,): (Option<i64>,) = tx
        .one(Sql::new("SELECT parent_code FROM regions WHERE code = 341021100201"))
        .await
        .unwrap();
    assert_eq!(parent, Some(341021100000));
    drop(tx);
    let (local, _) = make_user(&db, &admin, "importer", vec![Role::Local], Some("341021")).await;
    assert!(matches!(
        regions::import_villages(&db, &local, &origin(), t0(), good).await,
        Err((_, Some(AppError::Forbidden)))
    ));
}

async fn sessions_end_when_idle_or_disabled(db: Db) {
    let admin = fresh(&db).await;
    let (u, _) = make_user(&db, &admin, "sess", vec![Role::Local], Some("341021")).await;
    let o = origin();
    let tok = sessions::create(&db, UserId(u.user_id), Stage::Active, &o, t0())
        .await
        .unwrap();
    assert!(
        sessions::load(&db, &tok, t0() + Duration::minutes(29), 30)
            .await
            .unwrap()
            .is_ok()
    );
    // Activity at 29 minutes keeps it alive for another 30.
    assert!(
        sessions::load(&db, &tok, t0() + Duration::minutes(58), 30)
            .await
            .unwrap()
            .is_ok()
    );
    assert_eq!(
        sessions::load(&db, &tok, t0() + Duration::minutes(89), 30)
            .await
            .unwrap()
            .unwrap_err(),
        Gone::Expired
    );
    assert_eq!(
        sessions::load(&db, &tok, t0() + Duration::minutes(89), 30)
            .await
            .unwrap()
            .unwrap_err(),
        Gone::Unknown
    );
    let tok = sessions::create(&db, UserId(u.user_id), Stage::Active, &o, t0())
        .await
        .unwrap();
    users::set_disabled(&db, &admin, &o, t0(), u.user_id, true)
        .await
        .unwrap();
    assert!(
        sessions::load(&db, &tok, t0(), 30).await.unwrap().is_err(),
        "disabling ends the sessions"
    );
    // Rotation: advancing a session retires the old token.
    let t1 = sessions::create(&db, UserId(admin.user_id), Stage::Totp, &o, t0())
        .await
        .unwrap();
    let t2 = sessions::advance(&db, &t1, admin.user_id, Stage::Active, &o, t0())
        .await
        .unwrap();
    assert_ne!(t1, t2);
    assert!(sessions::load(&db, &t1, t0(), 30).await.unwrap().is_err());
    assert_eq!(
        sessions::load(&db, &t2, t0(), 30).await.unwrap().unwrap().stage,
        Stage::Active
    );
}

async fn totp_enrolment_and_replay(db: Db) {
    let admin = fresh(&db).await;
    let cipher = Cipher::new(&MasterKey::generate());
    let o = origin();
    let sec = Security::default();
    let secret = TotpSecret::from_bytes(b"0123456789abcdefghij".to_vec());
    let b32 = secret.to_base32();
    let now = t0();
    assert!(
        users::enrol_totp(&db, &cipher, admin.user_id, &o, now, &b32, "000000")
            .await
            .is_err()
            || secret.code_at(now.timestamp()) == "000000"
    );
    users::enrol_totp(
        &db,
        &cipher,
        admin.user_id,
        &o,
        now,
        &b32,
        &secret.code_at(now.timestamp()),
    )
    .await
    .unwrap();
    // The secret is sealed at rest: not in the column, and useless without the key.
    let mut tx = db.read().await.unwrap();
    let (stored,): (Vec<u8>,) = tx
        .one(Sql::new("SELECT totp_secret FROM users WHERE id = $1").bind(admin.user_id))
        .await
        .unwrap();
    drop(tx);
    assert!(!stored.windows(20).any(|w| w == b"0123456789abcdefghij"));
    assert_eq!(stored[0], 1, "sealed-value format version");
    let wrong = Cipher::new(&MasterKey::generate());
    let later0 = now + Duration::seconds(30);
    let e = users::verify_totp(
        &db,
        &wrong,
        admin.user_id,
        &o,
        later0,
        &sec,
        &secret.code_at(later0.timestamp()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, AppError::Config(ref m) if m.contains("另一个密钥")),
        "{e:?}"
    );
    // The code used for enrolment cannot be used again; the next one can, once.
    let later = now + Duration::seconds(30);
    let code = secret.code_at(later.timestamp());
    users::verify_totp(&db, &cipher, admin.user_id, &o, later, &sec, &code)
        .await
        .unwrap();
    assert!(
        users::verify_totp(&db, &cipher, admin.user_id, &o, later, &sec, &code)
            .await
            .is_err(),
        "replay refused"
    );
    // With a second factor enrolled, the password step asks for it.
    let policy = PasswordPolicy::default();
    let s = users::authenticate(&db, &o, later, &rules(&sec, &policy), "admin", ADMIN_PW)
        .await
        .unwrap();
    assert_eq!(s.next, NextStep::Totp);
}

async fn forced_steps_after_password(db: Db) {
    let admin = fresh(&db).await;
    let o = origin();
    let sec = Security::default();
    let policy = PasswordPolicy::default();
    // The administrator without a second factor must enrol one.
    let s = users::authenticate(&db, &o, t0(), &rules(&sec, &policy), "admin", ADMIN_PW)
        .await
        .unwrap();
    assert_eq!(s.next, NextStep::EnrolTotp);
    // Demo accounts skip the forced steps only when the server runs with --demo.
    let demo = setup::demo_accounts(&db, t0()).await.unwrap();
    assert_eq!(demo.len(), Role::ALL.len());
    let a = demo.iter().find(|a| a.role == Role::Admin).unwrap();
    let mut r = rules(&sec, &policy);
    r.demo = true;
    assert_eq!(
        users::authenticate(&db, &o, t0(), &r, &a.username, &a.password)
            .await
            .unwrap()
            .next,
        NextStep::Done
    );
    r.demo = false;
    assert_eq!(
        users::authenticate(&db, &o, t0(), &r, &a.username, &a.password)
            .await
            .unwrap()
            .next,
        NextStep::EnrolTotp
    );
    // Scopes of the demo accounts.
    let mut tx = db.read().await.unwrap();
    let (id,): (i64,) = tx
        .one(Sql::new("SELECT id FROM users WHERE username = 'demo.shexian'"))
        .await
        .unwrap();
    let actor = users::load_actor(&mut tx, UserId(id)).await.unwrap();
    assert!(actor.scope.allows(RecordKind::Worker, code("341021101")));
    assert!(!actor.scope.allows(RecordKind::Worker, code("341022101")));
    let _ = admin;
}

async fn audit_filters_and_export(db: Db) {
    let admin = fresh(&db).await;
    let (auditor, _) = make_user(&db, &admin, "aud", vec![Role::Auditor], None).await;
    let sec = Security::default();
    let policy = PasswordPolicy::default();
    let _ = users::authenticate(
        &db,
        &origin(),
        t0() + Duration::days(1),
        &rules(&sec, &policy),
        "ghost",
        "x",
    )
    .await;
    let f = Filter {
        success: Some(false),
        ..Filter::default()
    };
    let (rows, total) = audit::list(&db, &auditor, &f, 10, 0).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].action, "login");
    let f = Filter {
        from: Some(t0() + Duration::hours(12)),
        ..Filter::default()
    };
    assert_eq!(audit::list(&db, &auditor, &f, 10, 0).await.unwrap().1, 1);
    let f = Filter {
        user: Some("admin".into()),
        action: Some("user.create".into()),
        ..Filter::default()
    };
    assert_eq!(audit::list(&db, &auditor, &f, 10, 0).await.unwrap().1, 1);
    let all = audit::export(&db, &auditor, &origin(), t0(), &Filter::default())
        .await
        .unwrap();
    let bytes = shiminhua_app::xlsx::audit_workbook(&all).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip file");
    // The export itself is audited.
    let f = Filter {
        action: Some("audit.export".into()),
        ..Filter::default()
    };
    assert_eq!(audit::list(&db, &auditor, &f, 10, 0).await.unwrap().1, 1);
}

/// Rows loaded in bulk (on SQLite as multi-row INSERTs, on PostgreSQL by
/// COPY in its text format) read back exactly as the same rows bound one by
/// one: every kind of value, NULLs, and text that needs escaping.
async fn bulk_insert_stores_what_binding_stores(db: Db) {
    let ddl = match db.backend() {
        Backend::Sqlite => "(k INTEGER, i INTEGER, t TEXT, b INTEGER, y BLOB, tm TEXT, d TEXT)",
        Backend::Postgres => "(k BIGINT, i BIGINT, t TEXT, b BOOLEAN, y BYTEA, tm TIMESTAMPTZ, d DATE)",
    };
    let texts = [
        "",
        "张三·李四",
        "引号\"与\\反斜杠",
        "换行\n制表\t回车\r",
        "\u{1}控制\u{1f}",
        "{\"像\":[\"JSON\"]}",
        "'; DROP TABLE bulk_probe; --",
        "𠮷野家",
    ];
    let ints = [0, -1, 1, i64::MAX, i64::MIN + 1, 9_007_199_254_740_993, 42, -42];
    let when = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
    let mut rows: Vec<Vec<Arg>> = texts
        .iter()
        .zip(ints)
        .enumerate()
        .map(|(k, (t, i))| {
            let k = k as i64;
            vec![
                k.into(),
                i.into(),
                t.to_string().into(),
                (k % 2 == 0).into(),
                (0..k as u8 * 3).map(|b| b.wrapping_mul(97)).collect::<Vec<u8>>().into(),
                (when + Duration::microseconds(k * 123_457)).into(),
                (when.date_naive() + Duration::days(k * 400)).into(),
            ]
        })
        .collect();
    rows.push(vec![
        (texts.len() as i64).into(),
        Arg::I64(None),
        Arg::Text(None),
        false.into(),
        Arg::Bytes(None),
        Arg::Time(None),
        Arg::Date(None),
    ]);
    let cols = ["k", "i", "t", "b", "y", "tm", "d"];
    let mut tx = db.write().await.unwrap();
    for table in ["bulk_probe", "bound_probe"] {
        tx.exec(Sql::new(&format!("CREATE TABLE {table} {ddl}"))).await.unwrap();
    }
    assert_eq!(
        tx.bulk_insert("bulk_probe", &cols, rows.clone()).await.unwrap(),
        rows.len() as u64
    );
    for row in &rows {
        let mut q = Sql::new("INSERT INTO bound_probe VALUES (");
        for (i, a) in row.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.arg(a.clone());
        }
        q.push(")");
        tx.exec(q).await.unwrap();
    }
    type Probe = (
        i64,
        Option<i64>,
        Option<String>,
        Option<bool>,
        Option<Vec<u8>>,
        Option<DateTime<Utc>>,
        Option<chrono::NaiveDate>,
    );
    let read = async |tx: &mut shiminhua_app::store::Tx, table: &str| -> Vec<Probe> {
        tx.all(Sql::new(&format!("SELECT {} FROM {table} ORDER BY k", cols.join(", "))))
            .await
            .unwrap()
    };
    let bulk = read(&mut tx, "bulk_probe").await;
    assert_eq!(bulk.len(), rows.len());
    assert_eq!(bulk, read(&mut tx, "bound_probe").await);
    assert_eq!(bulk[2].2.as_deref(), Some(texts[2]));
    if db.backend() == Backend::Sqlite {
        // Stored alike, not only read alike: the same types and the same text.
        let stored = "SELECT k, typeof(i) || ' ' || typeof(t) || ' ' || typeof(b) || ' ' || typeof(y) || ' ' || \
                      typeof(tm) || ' ' || typeof(d) || ' ' || quote(tm) || ' ' || quote(d) || ' ' || quote(y) \
                      FROM TABLE ORDER BY k";
        let mut seen = Vec::new();
        for table in ["bulk_probe", "bound_probe"] {
            let got: Vec<(i64, String)> = tx.all(Sql::new(&stored.replace("TABLE", table))).await.unwrap();
            seen.push(got);
        }
        assert_eq!(seen[0], seen[1]);
    }
}
