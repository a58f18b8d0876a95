//! What the app's integration tests share: a world with an initialised
//! database, a cipher and users of given roles and scopes.
#![allow(dead_code, reason = "each test binary uses part of it")]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use shiminhua_app::crypto::Cipher;
use shiminhua_app::keys::MasterKey;
use shiminhua_app::registry::workers::WorkerInput;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::users::{self, UserForm};
use shiminhua_app::{Call, Origin, ops::setup};
use shiminhua_core::auth::{Actor, Grant, KindSet, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::id_number::IdNumber;
use shiminhua_core::ids::UserId;
use shiminhua_core::password::PasswordPolicy;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 30, 2, 0, 0).unwrap()
}

pub fn origin() -> Origin {
    Origin {
        client_addr: "127.0.0.1".into(),
    }
}

pub fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).unwrap()
}

pub struct World {
    pub db: Db,
    pub cipher: Cipher,
    pub admin: Actor,
    pub origin: Origin,
}

impl World {
    pub async fn new(db: Db) -> World {
        setup::init(&db, t0(), &PasswordPolicy::default(), Some("Init-Root-2026".into()))
            .await
            .unwrap();
        let mut tx = db.read().await.unwrap();
        let (id,): (i64,) = tx
            .one(Sql::new("SELECT id FROM users WHERE username = 'admin'"))
            .await
            .unwrap();
        let admin = users::load_actor(&mut tx, UserId(id)).await.unwrap();
        drop(tx);
        World {
            db,
            cipher: Cipher::new(&MasterKey::generate()),
            admin,
            origin: origin(),
        }
    }

    pub fn call<'a>(&'a self, actor: &'a Actor) -> Call<'a> {
        self.call_with(&self.cipher, actor)
    }

    pub fn call_with<'a>(&'a self, cipher: &'a Cipher, actor: &'a Actor) -> Call<'a> {
        Call {
            db: &self.db,
            cipher,
            actor,
            origin: &self.origin,
            now: t0(),
        }
    }

    pub async fn user(&self, name: &str, role: Role, grants: Vec<Grant>) -> Actor {
        let form = UserForm {
            username: name.into(),
            display_name: name.into(),
            unit_id: None,
            roles: vec![role],
            grants,
        };
        let (id, _) = users::create(&self.db, &self.admin, &origin(), t0(), form)
            .await
            .unwrap();
        shiminhua_app::testing::approve_pending(&self.db, t0(), id).await;
        let mut tx = self.db.read().await.unwrap();
        users::load_actor(&mut tx, UserId(id)).await.unwrap()
    }

    pub async fn scoped(&self, name: &str, role: Role, region: &str) -> Actor {
        self.user(
            name,
            role,
            vec![Grant {
                region: code(region),
                kinds: KindSet::all(),
            }],
        )
        .await
    }
}

/// A valid ID number for test person `n` born in 1990.
pub fn id_for(n: u16) -> String {
    let birth = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + Duration::days(i64::from(n));
    IdNumber::from_parts("341021", birth, n % 1000)
        .unwrap()
        .as_str()
        .to_string()
}

pub fn input(name: &str, id: &str, region: &str) -> WorkerInput {
    WorkerInput {
        name: name.into(),
        id_number: id.into(),
        phone: String::new(),
        region: region.into(),
        education: "初中".into(),
        tags: "返乡".into(),
        ..WorkerInput::default()
    }
}
