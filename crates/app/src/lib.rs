//! The use cases of shiminhua over a database: store, accounts and sessions,
//! data scope, audit trail, regions and units, set-up and backup.
//!
//! One function per use case; each runs in one transaction and writes its
//! audit record in that transaction. No HTTP here.

// The shared floor: storage, keys, audit, calendar, regions, units and
// accounts. Floor modules import no group.
pub mod apikeys;
pub mod attachments;
pub mod audit;
pub mod calendar;
pub mod chain_key;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod exposure;
pub mod fields;
pub mod history;
pub mod keys;
mod reach;
pub mod regions;
pub mod sessions;
pub mod staging;
pub mod store;
pub mod stored_values;
pub mod testing;
pub mod units;
pub mod users;
pub mod xlsx;

// The groups, lowest first: each may use the floor and the groups before it.
pub mod ops;
pub mod plan;
pub mod registry;
pub mod rights;

pub use error::{AppError, AppResult, FieldErrors};

/// Refuses a use case to an actor without the permission.
pub(crate) fn require(actor: &shiminhua_core::auth::Actor, p: shiminhua_core::auth::Permission) -> AppResult<()> {
    if actor.can(p) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    shiminhua_core::audit::hex(bytes)
}

/// The bytes of hex text (either case).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    shiminhua_core::audit::unhex(s)
}

/// Who calls a use case, from where and when, with the keys it may need.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub db: &'a store::Db,
    pub cipher: &'a crypto::Cipher,
    pub actor: &'a shiminhua_core::auth::Actor,
    pub origin: &'a Origin,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Where a request came from, for the audit trail.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub client_addr: String,
}

impl Origin {
    pub fn cli() -> Origin {
        Origin {
            client_addr: "命令行".into(),
        }
    }
}
