//! The only place where SQLite and PostgreSQL differ in the SQL of the use
//! cases: each function names what it gives and returns the text for the
//! backend at hand. The migrations are written once per backend.
//!
//! Most differences are planner hints. SQLite keeps no statistics, so a
//! unary `+` before a column (`+c.region_code`) keeps its planner from
//! choosing an index on that column; PostgreSQL plans from statistics,
//! which the same `+` would hide, so it gets the plain column.

use super::Backend;

/// The rosters of projects, a row a project: its id and its workers as a
/// JSON array of `[blind index in hex, worker id, name]`. Rows cross from
/// SQLite's thread one at a time, each at a cost; a project's roster in one
/// row is as cheap as one worker's. The caller appends the project ids and
/// [`PACKED_ROSTERS_END`].
pub fn packed_rosters(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT r.project_id, json_group_array(json_array(hex(w.id_index), w.id, w.name)) \
             FROM project_roster r JOIN workers w ON w.id = r.worker_id WHERE r.project_id IN ("
        }
        Backend::Postgres => {
            "SELECT r.project_id, json_agg(json_build_array(encode(w.id_index, 'hex'), w.id, w.name))::text \
             FROM project_roster r JOIN workers w ON w.id = r.worker_id WHERE r.project_id IN ("
        }
    }
}

/// The end of [`packed_rosters`]'s statement, after the project ids.
pub const PACKED_ROSTERS_END: &str = ") GROUP BY r.project_id";

/// The text of a JSON field of `r.data`, in each backend's dialect.
pub fn json_field(backend: Backend, key: &str) -> String {
    // Keys come from the specs (ASCII identifiers), never from users.
    debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    match backend {
        Backend::Sqlite => format!("json_extract(r.data, '$.{key}')"),
        Backend::Postgres => format!("(r.data::jsonb ->> '{key}')"),
    }
}

/// A JSON object as text, built from `pairs` (`'key', column, …`), in each
/// backend's dialect (an import's merge writes the workers' history so).
pub fn json_object_text(backend: Backend, pairs: &str) -> String {
    match backend {
        Backend::Sqlite => format!("json_object({pairs})"),
        Backend::Postgres => format!("json_build_object({pairs})::text"),
    }
}

/// The literal a JSON flag of `r.data` (see [`json_field`]) is compared
/// with: JSON booleans read back as 1/0 on SQLite and as 'true'/'false' on
/// PostgreSQL (`->>` gives text).
pub fn flag_literal(backend: Backend, yes: bool) -> &'static str {
    match (backend, yes) {
        (Backend::Sqlite, true) => "1",
        (Backend::Sqlite, false) => "0",
        (Backend::Postgres, true) => "'true'",
        (Backend::Postgres, false) => "'false'",
    }
}

/// The cases' region column where a list is read or counted in due-date
/// order: SQLite keeps no statistics, and "+" keeps it from choosing the
/// index by place there; PostgreSQL estimates the place's share from its
/// statistics, which "+" would hide (it then joined the regions to all
/// overdue cases: 104 ms instead of 0.4).
pub fn case_region_by_due(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "+c.region_code",
        Backend::Postgres => "c.region_code",
    }
}

/// The condition of cases without a running time limit where they are
/// listed newest first: SQLite keeps no statistics, and asked for those
/// cases (most of them) it would fetch them all through the due-date index
/// and sort them; "+" leaves it the table in id order. PostgreSQL chooses
/// from its statistics and gets the plain condition.
pub fn case_no_limit_newest_first(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "+c.due_on IS NULL",
        Backend::Postgres => "c.due_on IS NULL",
    }
}

/// The workers' region column in a list's scope condition; `off_index`
/// when a broad scope should not be read through the region index. On
/// SQLite, which keeps no statistics, "+" then keeps the planner away from
/// that index so that the scope walks the primary key (newest first) or
/// the name index instead of sorting the whole scope; PostgreSQL chooses
/// from its statistics and gets the plain column.
pub fn worker_region(backend: Backend, off_index: bool) -> &'static str {
    match (backend, off_index) {
        (Backend::Sqlite, true) => "+w.region_code",
        _ => "w.region_code",
    }
}

/// The records' region column where a count is read from the index of one
/// kind's field (which holds the place too). SQLite keeps no statistics:
/// left to itself it counts along the (kind, place) index and reads every
/// candidate record to test the field; "+" takes the place out of the
/// choice so that the count is read from the field's index alone (a
/// drill-down at 5,000,000 records: 72 ms -> 4 ms). PostgreSQL chooses from
/// its statistics and gets the plain column.
pub fn record_region_on_field_index(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "+r.region_code",
        Backend::Postgres => "r.region_code",
    }
}

/// The records' region column where a broad list (more records than it
/// counts) is paged newest first. SQLite keeps no statistics: left to
/// itself it reads every record of the kind in the place through the
/// (kind, place, date) index and sorts them all to show 20 (the city's
/// employment records at 1,000,000 workers: 1.3 million, 125 ms); "+"
/// leaves it the (kind, date) index, walked backwards until the page is
/// full. PostgreSQL chooses from its statistics and gets the plain column.
pub fn record_region_by_date(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "+r.region_code",
        Backend::Postgres => "r.region_code",
    }
}

/// A column of the records in a condition read for one worker at a time
/// (`rr.worker_id = w.id AND rr.kind = … AND place`, or a profile's
/// records in the scope). SQLite keeps no statistics and chose the (kind,
/// place) index over the (worker, kind) key, reading every record of the
/// kind in the city for each worker (a department's worker list, 工作台 and
/// profile at 1,000,000 workers: 0.4 to 1.4 s, or no answer in minutes when
/// probed per worker); "+" leaves it the key. PostgreSQL chooses from its
/// statistics and gets the plain column.
pub fn record_column_per_worker(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("+{column}"),
        Backend::Postgres => column.to_string(),
    }
}

/// Whether a drill-down's search for the next workers in worker order tests
/// each record's date and filters as well as its kind and place. SQLite
/// reads each entry's row to test the place anyway, and finding only
/// records that count makes it read a third as many (a county's reader of
/// the city's figure: 185 → 224 requests/s). PostgreSQL estimates the
/// narrower condition as rare and sorts all of the region's records instead
/// of walking the key (6.7 → 12.9 ms a page).
pub fn drill_tests_dates_and_filters(backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => true,
        Backend::Postgres => false,
    }
}

/// The workers' name as the list orders by it, so that the name index
/// serves the order: PostgreSQL's index is on `name COLLATE "C"` (code-point
/// order; migration 0004), while SQLite compares text in code-point order
/// already (BINARY).
pub fn worker_name_order(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "w.name",
        Backend::Postgres => "w.name COLLATE \"C\"",
    }
}

/// The statement that has each query of the transaction planned with its
/// values, where that is needed. Lists differ widely in how much their
/// conditions match; a plan made once for the statement without its values
/// (PostgreSQL's choice after five runs) sorts every match of a city-wide
/// filter to show 20 of them (1 s at 5,000,000 records), so on PostgreSQL
/// each list is planned with its values (PostgreSQL 12 and later). SQLite
/// plans every statement as it is prepared: `None`.
pub fn plan_with_values(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"),
    }
}

/// The statement that has the transaction walk a partial index in order
/// instead of reading a bitmap of it, where that is needed. PostgreSQL does
/// not use a partial index's statistics: it takes a field's value for rare
/// and reads a bitmap of every matching record, before counting the first
/// 10,001 or sorting for a page (0.4 to 5 s at 5,000,000 records when the
/// bitmap turns lossy); walking the index in order stops at the cap or at
/// the page (10 to 90 ms). SQLite has no bitmap scans: `None`.
pub fn walk_indexes_in_order(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SELECT set_config('enable_bitmapscan', 'off', true)"),
    }
}

/// The statement that lets the transaction commit without waiting for the
/// disk, where that is needed. On PostgreSQL a commit waits for its log
/// record to be flushed unless told otherwise. SQLite, in WAL mode with
/// `synchronous = NORMAL` (see the store's connection set-up), does not
/// sync the log on commit already: `None`.
pub fn commit_without_flush(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SET LOCAL synchronous_commit = off"),
    }
}

/// The clause that locks the rows a query of the writing transaction reads
/// until it commits, where that is needed: PostgreSQL writers run side by
/// side and lock rows with `FOR UPDATE`; a SQLite writer holds the whole
/// database's write lock from its start (`BEGIN IMMEDIATE`), so there is
/// nothing more to lock: `None`.
pub fn lock_rows(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(" FOR UPDATE"),
    }
}

/// The query listing the database's own tables (one `name` column), in
/// name order: SQLite lists them in `sqlite_master`, PostgreSQL in the
/// information schema.
pub fn tables_query(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    }
}

/// The query listing the columns of table `$1` (name, declared type), in
/// table order: SQLite gives them through `pragma_table_info` (types as
/// declared, upper-cased here), PostgreSQL through the information schema.
pub fn columns_query(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SELECT name, UPPER(type) FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position"
        }
    }
}

/// Column `column` of any type as text, empty when NULL, in each
/// backend's cast: `CAST(… AS TEXT)` on SQLite, `::TEXT` on PostgreSQL.
pub fn text_or_empty(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("COALESCE(CAST(\"{column}\" AS TEXT), '')"),
        Backend::Postgres => format!("COALESCE(\"{column}\"::TEXT, '')"),
    }
}
