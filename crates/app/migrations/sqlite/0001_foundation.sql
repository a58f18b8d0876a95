-- Foundation: regions, units, task force, accounts, sessions, audit trail.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE regions (
    code        INTEGER PRIMARY KEY,           -- 12-digit division code
    name        TEXT NOT NULL,
    level       INTEGER NOT NULL,              -- 1 province .. 5 village
    parent_code INTEGER,
    county_code INTEGER,                       -- the county it belongs to (distribution key)
    unit_type   TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,                 -- seed | import
    created_at  TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    short_name  TEXT NOT NULL,
    dept        TEXT NOT NULL,
    region_code INTEGER NOT NULL REFERENCES regions(code),
    sort        INTEGER NOT NULL
);
CREATE INDEX units_region ON units(region_code);

CREATE TABLE taskforce_members (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    position    TEXT NOT NULL,
    person_name TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    title       TEXT NOT NULL,
    sort        INTEGER NOT NULL
);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    unit_id              INTEGER REFERENCES units(id),
    password_hash        TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    disabled             INTEGER NOT NULL DEFAULT 0,
    demo                 INTEGER NOT NULL DEFAULT 0,
    failed_count         INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    totp_secret          BLOB,
    totp_last_step       INTEGER,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE user_scopes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    region_code INTEGER NOT NULL REFERENCES regions(code),
    kinds       INTEGER NOT NULL
);
CREATE INDEX user_scopes_user ON user_scopes(user_id);

CREATE TABLE password_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history(user_id);

CREATE TABLE sessions (
    id_hash     BLOB PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,
    stage       TEXT NOT NULL,                 -- totp | enrol | password | active
    created_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    client_addr TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,           -- contiguous sequence, part of the chain
    at          TEXT NOT NULL,
    at_micros   INTEGER NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    success     INTEGER NOT NULL,
    client_addr TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at_micros);
CREATE INDEX audit_log_actor ON audit_log(actor_name);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
