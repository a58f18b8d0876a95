//! The only place where SQLite and PostgreSQL differ in the SQL of the use
//! cases: each function names what it gives and returns the text for the
//! backend at hand. The migrations are written once per backend.

use super::Backend;

/// The text of a JSON field of `r.data`, in each backend's dialect.
pub fn json_field(backend: Backend, key: &str) -> String {
    // Keys come from the specs (ASCII identifiers), never from users.
    debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    match backend {
        Backend::Sqlite => format!("json_extract(r.data, '$.{key}')"),
        Backend::Postgres => format!("(r.data::jsonb ->> '{key}')"),
    }
}
