-- Registry, part 2: the seven record kinds, their history, import batches,
-- worker merges and the department API's keys.

CREATE TABLE records (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,                    -- employment | venture | … | settlement
    worker_id    INTEGER NOT NULL REFERENCES workers(id),
    dependant_id INTEGER REFERENCES dependants(id),
    county_code  INTEGER NOT NULL,                 -- distribution key
    region_code  INTEGER NOT NULL REFERENCES regions(code),
    unit_id      INTEGER REFERENCES units(id),     -- owning unit
    period_date  TEXT NOT NULL,                    -- the date that places it in a period
    natural_key  TEXT NOT NULL,
    data         TEXT NOT NULL,                    -- JSON object of the kind's fields
    source       TEXT NOT NULL,                    -- form | import | api
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX records_key ON records(worker_id, kind, natural_key);
CREATE INDEX records_kind ON records(kind, region_code, period_date);

-- Earlier versions of workers and records (non-personal fields), and merges.
CREATE TABLE history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    object_kind TEXT NOT NULL,                     -- worker | record
    object_id   INTEGER NOT NULL,
    worker_id   INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    action      TEXT NOT NULL,                     -- update | delete | merge
    data        TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL
);
CREATE INDEX history_worker ON history(worker_id);

CREATE TABLE import_batches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    file_hash   BLOB NOT NULL,                     -- SM3 of the file: a rerun resumes
    actor_name  TEXT NOT NULL,
    status      TEXT NOT NULL,                     -- running | done
    rows_done   INTEGER NOT NULL DEFAULT 0,        -- data rows committed so far
    last_line   INTEGER NOT NULL DEFAULT 0,        -- last file row committed
    inserted    INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX import_batches_file ON import_batches(file_hash, kind);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL UNIQUE,              -- shown to people: smh_xxxxxxxx
    secret_hash BLOB NOT NULL,                     -- SM3 of the whole key
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    last_used   TEXT
);

CREATE TABLE api_key_scopes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id      INTEGER NOT NULL REFERENCES api_keys(id),
    region_code INTEGER NOT NULL REFERENCES regions(code),
    kinds       INTEGER NOT NULL
);
CREATE INDEX api_key_scopes_key ON api_key_scopes(key_id);
